package dev.tandem.core.asm;

/** An assembly error, carrying the source name and 1-based line number when known. */
public final class AsmException extends RuntimeException {
    private final String sourceName;
    private final int line;

    public AsmException(String sourceName, int line, String message) {
        super(sourceName + ":" + line + ": " + message);
        this.sourceName = sourceName;
        this.line = line;
    }

    public String sourceName() { return sourceName; }

    /** 1-based line number of the offending statement. */
    public int line() { return line; }
}

package dev.tandem.core.replay;

/**
 * One framed log record as read back.
 *
 * @param index   record number, 0 for the first record after the header
 * @param offset  byte offset of the record's length field in the log
 * @param type    {@link LogWriter#INPUT}, {@link LogWriter#HASH} or {@link LogWriter#END}
 * @param icount  instruction count at which the record takes effect
 * @param payload type-specific payload
 */
public record LogRecord(long index, long offset, int type, long icount, byte[] payload) {
    public String describe() {
        return "record #" + index + " (" + LogWriter.typeName(type) + " at icount " + icount + ", byte offset " + offset + ")";
    }
}

package dev.tandem.core.testkit;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;

/**
 * Runs an in-process command (a CLI's {@code Main.execute(args)}) with {@code System.out} and
 * {@code System.err} captured, then copies both to the real streams (the surefire report files),
 * so a failing assertion can quote them and the report still shows them.
 */
public final class ConsoleCapture {
    private ConsoleCapture() {
    }

    /** Exit status and the two streams of one run. */
    public record Captured(int exit, String out, String err) {
        /** Both streams, stdout first (for assertion messages). */
        public String both() {
            return out + err;
        }
    }

    /** Captures with ISO-8859-1, so guest bytes come back unchanged. */
    public static Captured run(Callable<Integer> command) throws Exception {
        return run(StandardCharsets.ISO_8859_1, command);
    }

    public static synchronized Captured run(Charset cs, Callable<Integer> command) throws Exception {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int rc;
        try (PrintStream o = new PrintStream(out, true, cs); PrintStream e = new PrintStream(err, true, cs)) {
            System.setOut(o);
            System.setErr(e);
            rc = command.call();
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
        Captured c = new Captured(rc, out.toString(cs), err.toString(cs));
        oldOut.print(c.out());
        oldErr.print(c.err());
        return c;
    }
}

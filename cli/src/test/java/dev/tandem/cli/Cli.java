package dev.tandem.cli;

import dev.tandem.core.testkit.ConsoleCapture;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;

/** Runs the CLI in-process with its output captured ({@link ConsoleCapture}), for every CLI test. */
final class Cli {
    private Cli() {
    }

    /** {@code tandem ARGS}: exit status, stdout and stderr (UTF-8). */
    static ConsoleCapture.Captured run(String... args) throws Exception {
        return run(StandardCharsets.UTF_8, args);
    }

    /** As {@link #run(String...)}, decoding with {@code cs} (ISO-8859-1 keeps guest bytes as they are). */
    static ConsoleCapture.Captured run(Charset cs, String... args) throws Exception {
        return ConsoleCapture.run(cs, () -> Main.execute(args));
    }
}

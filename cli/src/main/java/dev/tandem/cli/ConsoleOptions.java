package dev.tandem.cli;

import dev.tandem.cli.console.EscapeDecoder;
import picocli.CommandLine.Option;

/** Options of the interactive console ({@code --serial stdio} on a terminal), shared by run, record and restore. */
final class ConsoleOptions {
    @Option(names = "--escape", defaultValue = "ctrl-a", paramLabel = "KEY",
            description = "console escape prefix on a terminal: ctrl-LETTER, ^LETTER, a byte value such as 0x14, or none "
                    + "(default: ${DEFAULT-VALUE}). Then x quits, s writes a snapshot, p pauses/resumes, h lists the keys, "
                    + "the prefix again sends it to the guest")
    String escape;

    @Option(names = "--console-snapshot", defaultValue = "tandem-{icount}.snap", paramLabel = "FILE",
            description = "file written by the console's snapshot key; {icount} becomes the instruction count "
                    + "(default: ${DEFAULT-VALUE})")
    String snapshotName;

    int escapeKey() {
        return EscapeDecoder.parseKey(escape);
    }
}

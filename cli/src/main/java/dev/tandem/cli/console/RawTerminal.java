package dev.tandem.cli.console;

import java.io.IOException;
import java.io.PrintStream;
import java.util.EnumSet;
import org.jline.terminal.Attributes;
import org.jline.terminal.Attributes.ControlChar;
import org.jline.terminal.Attributes.ControlFlag;
import org.jline.terminal.Attributes.InputFlag;
import org.jline.terminal.Attributes.LocalFlag;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import org.jline.terminal.spi.SystemStream;
import org.jline.terminal.spi.TerminalProvider;

/**
 * The terminal on standard input switched to raw mode for the length of a run, through JLine's
 * JNI terminal provider (termios calls; no {@code stty} child process).
 *
 * <p>Raw here means what QEMU's stdio console uses: no line editing, no echo, no signals from
 * Ctrl-C/Ctrl-Z/Ctrl-\, no CR/NL translation or flow control on input, 8-bit bytes, reads return
 * after one byte; output post-processing (NL to CR NL) stays on so the emulator's own messages
 * still start at the left margin.
 *
 * <p>The saved settings are written back by {@link #restore()} (idempotent), which the caller runs
 * in a {@code finally} block, and by a shutdown hook for SIGTERM, SIGINT sent from elsewhere and
 * {@code System.exit}. Nothing can restore them after SIGKILL; {@code reset} or {@code stty sane}
 * does then.
 */
public final class RawTerminal {
    private final Terminal terminal;
    private final Attributes original;
    private final Thread hook;
    private boolean restored;

    private RawTerminal(Terminal terminal, Attributes original) {
        this.terminal = terminal;
        this.original = original;
        this.hook = new Thread(this::restoreQuietly, "terminal-restore");
    }

    /**
     * Switches the terminal on standard input to raw mode and returns it, or returns null (the
     * terminal is left alone) when standard input is not a terminal. When it is one but cannot be
     * switched, says why on {@code warn} and returns null.
     */
    public static RawTerminal enterIfInteractive(PrintStream warn) {
        TerminalProvider provider;
        try {
            provider = TerminalProvider.load("jni");
            if (!provider.isSystemStream(SystemStream.Input)) return null;
        } catch (IOException | RuntimeException | LinkageError e) {
            // no native access: cannot even tell whether stdin is a terminal
            warn.println("[tandem] note: cannot use the terminal's raw mode (" + e
                    + "); console input stays line-buffered and echoed by the terminal");
            return null;
        }
        TerminalBuilder.SystemOutput out;
        if (provider.isSystemStream(SystemStream.Output)) out = TerminalBuilder.SystemOutput.SysOut;
        else if (provider.isSystemStream(SystemStream.Error)) out = TerminalBuilder.SystemOutput.SysErr;
        else {
            warn.println("[tandem] note: standard input is a terminal but neither standard output nor standard error is; "
                    + "console input stays line-buffered");
            return null;
        }
        try {
            Terminal t = TerminalBuilder.builder()
                    .name("tandem")
                    .system(true)
                    .systemOutput(out)
                    .provider("jni")
                    .exec(false)
                    .dumb(false)
                    .nativeSignals(false)
                    .paused(true)
                    // no capability probes: their answers would arrive as guest input
                    .graphemeCluster(false)
                    .build();
            Attributes original = new Attributes(t.getAttributes());
            RawTerminal rt = new RawTerminal(t, original);
            Runtime.getRuntime().addShutdownHook(rt.hook);
            t.setAttributes(raw(original));
            return rt;
        } catch (IOException | RuntimeException | LinkageError e) {
            warn.println("[tandem] note: cannot switch the terminal to raw mode (" + e
                    + "); console input stays line-buffered and echoed by the terminal");
            return null;
        }
    }

    /** The raw settings derived from {@code a}. */
    static Attributes raw(Attributes a) {
        Attributes r = new Attributes(a);
        r.setInputFlags(EnumSet.of(InputFlag.IGNBRK, InputFlag.BRKINT, InputFlag.PARMRK, InputFlag.ISTRIP,
                InputFlag.INLCR, InputFlag.IGNCR, InputFlag.ICRNL, InputFlag.IXON), false);
        r.setLocalFlags(EnumSet.of(LocalFlag.ECHO, LocalFlag.ECHONL, LocalFlag.ICANON, LocalFlag.ISIG,
                LocalFlag.IEXTEN), false);
        r.setControlFlag(ControlFlag.PARENB, false);
        r.setControlFlag(ControlFlag.CS8, true);
        r.setControlChar(ControlChar.VMIN, 1);
        r.setControlChar(ControlChar.VTIME, 0);
        return r;
    }

    /** Writes the saved settings back (once; later calls do nothing). */
    public synchronized void restore() throws IOException {
        if (restored) return;
        restored = true;
        try {
            terminal.setAttributes(original);
        } finally {
            terminal.close();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // the JVM is shutting down: this may be the hook itself
            }
        }
    }

    private void restoreQuietly() {
        try {
            restore();
        } catch (IOException e) {
            System.err.println("[tandem] could not restore the terminal settings (" + e.getMessage()
                    + "); run 'reset' or 'stty sane'");
        }
    }
}

package dev.tandem.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.core.asm.Assembler;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The interactive console on a real pseudo-terminal (util-linux {@code script}; see
 * {@link PtySession}): the emulator runs as a separate JVM whose standard streams are the pty, as
 * in a terminal window. Checked: raw mode (typed bytes reach the guest exactly once, unechoed by
 * the terminal, Ctrl-C/Ctrl-Z/arrow keys included), the escape keys (quit, help, pause, snapshot,
 * literal prefix, another prefix), the terminal settings ({@code stty -g}) equal before and after on
 * every way out (console quit, also while waiting for input to an idle guest, guest halt, triple fault,
 * SIGTERM, an exception), a console snapshot
 * that restores to the same state, a recording with escape keys that replays identically, and,
 * with the Debian guest, a shell session where Ctrl-C interrupts a {@code sleep}.
 *
 * <p>Most checks use echo-rom.asm, a ROM that prints each received byte as {@code [XX]}.
 */
class ConsolePtyTest {
    private static final Duration START = Duration.ofSeconds(90);
    private static final Duration STEP = Duration.ofSeconds(60);
    private static final byte CTRL_A = 0x01;
    private static Path rom;

    @BeforeAll
    static void assemble(@TempDir Path dir) throws IOException {
        String src;
        try (InputStream in = ConsolePtyTest.class.getResourceAsStream("echo-rom.asm")) {
            src = new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        }
        rom = dir.resolve("echo.rom");
        Files.write(rom, Assembler.assemble(src, "echo-rom.asm").image());
    }

    /** The emulator as a child JVM on this test's class path. */
    private static String tandem(String... args) {
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-cp", cp, "dev.tandem.cli.Main"));
        cmd.addAll(List.of(args));
        StringBuilder sb = new StringBuilder();
        for (String c : cmd) sb.append(PtySession.quote(c)).append(' ');
        return sb.toString();
    }

    /** Shell command: terminal settings to before.txt, the emulator, "rc=N", settings to after.txt. */
    private static String session(String... args) {
        return "stty -g > before.txt; " + tandem(args) + "; echo \"rc=$?\"; stty -g > after.txt";
    }

    private static void assertSettingsRestored(Path dir) throws IOException {
        String before = Files.readString(dir.resolve("before.txt")).strip();
        String after = Files.readString(dir.resolve("after.txt")).strip();
        assertTrue(before.contains(":"), "stty -g output: " + before);
        assertEquals(before, after, "terminal settings after the run (stty -g)");
    }

    private static int count(String hay, String needle) {
        int n = 0;
        for (int i = hay.indexOf(needle); i >= 0; i = hay.indexOf(needle, i + 1)) n++;
        return n;
    }

    /** The first match of {@code regex} in {@code text} at or after {@code from} (fails the test if none). */
    private static Matcher find(String regex, String text, int from) {
        Matcher m = Pattern.compile(regex).matcher(text);
        assertTrue(m.find(from), "no '" + regex + "' in: " + PtySession.printable(text.substring(from)));
        return m;
    }

    private static long number(String s) {
        return Long.parseLong(s.replace(",", ""));
    }

    private static void requirePty() {
        String why = PtySession.unavailableReason();
        dev.tandem.core.testkit.Tools.require(why == null, why, "apt-get install bsdutils (util-linux script)");
    }

    @Test
    void typedBytesReachTheGuestOnceAndCtrlAxQuitsRestoringTheTerminal(@TempDir Path tmp) throws Exception {
        requirePty();
        try (PtySession s = new PtySession(session("run", "--rom", rom.toString()), tmp)) {
            s.await("ECHO-ROM READY", START);
            // letters, Ctrl-C, Ctrl-Z, the up-arrow sequence, Ctrl-A Ctrl-A (one literal Ctrl-A), DEL
            s.type("zq");
            s.type((byte) 0x03, (byte) 0x1A, (byte) 0x1B, (byte) '[', (byte) 'A', CTRL_A, CTRL_A, (byte) 0x7F);
            int at = s.await("[7F]", STEP);
            String shown = s.screen();
            assertEquals(1, count(shown, "[7A][71][03][1A][1B][5B][41][01][7F]"),
                    "every byte reaches the guest once, in order: " + PtySession.printable(shown));
            assertFalse(shown.contains("zq"), "the terminal itself must not echo: " + PtySession.printable(shown));
            assertFalse(shown.contains("^C") || shown.contains("^Z"), "no echoed control keys: " + PtySession.printable(shown));
            s.type(CTRL_A, (byte) 'h');
            at = s.await("Ctrl-A x  quit", at, STEP);
            s.type(CTRL_A, (byte) 'x');
            s.await("rc=0", at, STEP);
            s.waitFor(STEP);
            assertTrue(s.screen().matches("(?s).*stopped from the console after [\\d,]+ instructions.*"),
                    PtySession.printable(s.screen()));
        }
        assertSettingsRestored(tmp);
    }

    @Test
    void everyWayOutRestoresTheTerminal(@TempDir Path tmp) throws Exception {
        requirePty();
        // the guest halts (exit 0); --escape ctrl-t: Ctrl-A is an ordinary byte, Ctrl-T is the prefix
        Path a = Files.createDirectory(tmp.resolve("halt"));
        try (PtySession s = new PtySession(session("run", "--rom", rom.toString(), "--escape", "ctrl-t"), a)) {
            int at = s.await("Ctrl-T x quits", START);
            s.await("ECHO-ROM READY", at, START);
            s.type(CTRL_A, (byte) 0x14, (byte) 0x14);
            at = s.await("[01][14]", at, STEP);
            s.type((byte) 0x14, (byte) 'h');
            at = s.await("Ctrl-T p  pause", at, STEP);
            s.type("Q");
            at = s.await("ECHO-ROM BYE", at, STEP);
            s.await("rc=0", at, STEP);
            s.waitFor(STEP);
            assertTrue(s.screen().contains("guest halted"), PtySession.printable(s.screen()));
        }
        assertSettingsRestored(a);

        // Ctrl-A x while the guest is idle for ever and the run waits for input: still exit 0
        Path i = Files.createDirectory(tmp.resolve("idle"));
        try (PtySession s = new PtySession(session("run", "--rom", rom.toString()), i)) {
            int at = s.await("ECHO-ROM READY", START);
            s.type("I");
            at = s.await("ECHO-ROM IDLE", at, STEP);
            Thread.sleep(300);
            s.type(CTRL_A, (byte) 'x');
            s.await("rc=0", at, STEP);
            s.waitFor(STEP);
            assertTrue(s.screen().contains("stopped from the console"), PtySession.printable(s.screen()));
        }
        assertSettingsRestored(i);

        // triple fault (exit 1)
        Path b = Files.createDirectory(tmp.resolve("triple"));
        try (PtySession s = new PtySession(session("run", "--rom", rom.toString()), b)) {
            int at = s.await("ECHO-ROM READY", START);
            s.type("T");
            s.await("rc=1", at, STEP);
            s.waitFor(STEP);
            assertTrue(s.screen().contains("triple fault"), PtySession.printable(s.screen()));
        }
        assertSettingsRestored(b);

        // SIGTERM from another process (exit 143 = 128 + 15)
        Path c = Files.createDirectory(tmp.resolve("sigterm"));
        try (PtySession s = new PtySession(session("run", "--rom", rom.toString()), c)) {
            int at = s.await("ECHO-ROM READY", START);
            List<ProcessHandle> jvms = s.javaProcesses();
            assertEquals(1, jvms.size(), "the emulator JVM inside the session: " + jvms);
            assertTrue(jvms.get(0).destroy(), "SIGTERM sent");
            s.await("rc=143", at, STEP);
            s.waitFor(STEP);
        }
        assertSettingsRestored(c);

        // an exception inside the run: the input log cannot be written (/dev/full: no space left)
        dev.tandem.core.testkit.Tools.require(Files.isWritable(Path.of("/dev/full")), "no writable /dev/full", "a Linux host");
        Path d = Files.createDirectory(tmp.resolve("exception"));
        try (PtySession s = new PtySession(session("record", "--log", "/dev/full", "--rom", rom.toString()), d)) {
            int at = s.await("raw terminal", START);
            s.type("a");
            s.await("rc=1", at, STEP);
            s.waitFor(STEP);
            assertTrue(s.screen().contains("error: "), PtySession.printable(s.screen()));
        }
        assertSettingsRestored(d);
    }

    @Test
    void pauseHoldsTheGuestAndAConsoleSnapshotRestoresToTheSameState(@TempDir Path tmp) throws Exception {
        requirePty();
        long limit = 200_000_000L;
        String name = tmp.resolve("shot-{icount}.snap").toString();
        String finalHash;
        long pausedAt;
        Path snap;
        try (PtySession s = new PtySession(session("run", "--rom", rom.toString(), "--max-instructions", Long.toString(limit),
                "--console-snapshot", name), tmp)) {
            int at = s.await("ECHO-ROM READY", START);
            s.type("ab");
            at = s.await("[61][62]", at, STEP);
            int mark = s.mark();
            s.type(CTRL_A, (byte) 'p');
            at = s.await("; Ctrl-A p resumes", mark, STEP);
            Matcher p = find("paused at ([\\d,]+) instructions \\(guest time ([\\d.]+) s\\)", s.screen(), mark);
            pausedAt = number(p.group(1));
            assertTrue(pausedAt < limit, "paused at " + pausedAt + ", before the limit " + limit);
            // a snapshot while paused is taken at the paused instruction count
            mark = s.mark();
            s.type(CTRL_A, (byte) 's');
            at = s.await("restore with:", mark, STEP);
            Matcher w = find("snapshot at ([\\d,]+) instructions written to (\\S+) \\(", s.screen(), mark);
            assertEquals(pausedAt, number(w.group(1)), "no instruction ran while paused");
            snap = Path.of(w.group(2));
            assertEquals(Path.of(name.replace("{icount}", Long.toString(pausedAt))), snap);
            Thread.sleep(500);
            mark = s.mark();
            s.type(CTRL_A, (byte) 'p');
            at = s.await("resumed at ", mark, STEP);
            Matcher r = find("resumed at ([\\d,]+) instructions \\(guest time ([\\d.]+) s\\)", s.screen(), mark);
            assertEquals(pausedAt, number(r.group(1)), "no instruction ran while paused");
            assertEquals(p.group(2), r.group(2), "virtual guest time stood still during the pause");
            s.await("rc=0", at, Duration.ofSeconds(300));
            s.waitFor(STEP);
            Matcher f = find("instruction limit reached after ([\\d,]+) instructions.*\\r?\\n.*final (state hash [0-9a-f]+)",
                    s.screen(), at);
            assertEquals(limit, number(f.group(1)));
            finalHash = f.group(2);
        }
        assertSettingsRestored(tmp);

        // the snapshot continues to the same final state with `restore` and with `run --restore`
        String[] a = runInProcess("restore", "--file", snap.toString(), "--max-instructions", Long.toString(limit),
                "--serial", "none");
        assertEquals("0", a[0], a[1]);
        assertTrue(a[1].contains(String.format("LIMIT at %,d instructions, %s", limit, finalHash)), a[1] + " vs " + finalHash);
        String[] b = runInProcess("run", "--restore", snap.toString(), "--max-instructions", Long.toString(limit),
                "--serial", "none");
        assertEquals("0", b[0], b[1]);
        assertTrue(b[1].contains("final " + finalHash), b[1] + " vs " + finalHash);
    }

    @Test
    void escapeKeysInARecordingActButAreNotRecorded(@TempDir Path tmp) throws Exception {
        requirePty();
        Path log = tmp.resolve("session.log");
        // host-clock timing at a nominal 1e9 instructions/s: guest time follows the host clock, not the
        // instruction count, so a pause that were not held would show up as guest time
        long pauseMs = 2500;
        String recorded;
        try (PtySession s = new PtySession(session("record", "--log", log.toString(), "--rom", rom.toString(),
                "--timing", "host", "--ips", "1000000000", "--console-snapshot", tmp.resolve("r.snap").toString()), tmp)) {
            int at = s.await("ECHO-ROM READY", START);
            s.type("ab");
            at = s.await("[61][62]", at, STEP);
            s.type(CTRL_A, (byte) 'h');
            at = s.await("Ctrl-A x  quit", at, STEP);
            s.type(CTRL_A, (byte) 'p');
            at = s.await("Ctrl-A p resumes", at, STEP);
            Thread.sleep(pauseMs);
            s.type(CTRL_A, (byte) 'p');
            at = s.await("guest time was held during the pause", at, STEP);
            s.type(CTRL_A, (byte) 's');
            at = s.await("restore with:", at, STEP);
            s.type(CTRL_A, (byte) '?');
            at = s.await("Ctrl-A h  this help", at, STEP);
            s.type((byte) 'c', CTRL_A, CTRL_A);
            at = s.await("[63][01]", at, STEP);
            s.type(CTRL_A, (byte) 'x');
            s.await("rc=0", at, STEP);
            s.waitFor(STEP);
            recorded = s.screen();
        }
        assertSettingsRestored(tmp);
        assertTrue(Files.size(tmp.resolve("r.snap")) > 0);
        Matcher m = find("recorded STOPPED after ([\\d,]+) instructions \\(guest time ([\\d.]+) s\\) in ([\\d.]+) s",
                recorded, 0);
        double guest = Double.parseDouble(m.group(2)), host = Double.parseDouble(m.group(3));
        assertTrue(guest <= host - pauseMs / 1000.0 + 0.5,
                "guest time " + guest + " s must exclude the " + pauseMs + " ms pause of a " + host + " s recording");

        // the guest saw a, b, c and one Ctrl-A: the replay (input from the log alone) prints exactly that
        Path out = tmp.resolve("replay.out");
        String[] r = runInProcess("replay", "--log", log.toString(), "--serial", "file:" + out);
        assertEquals("0", r[0], r[1]);
        assertTrue(r[1].contains("replay matches the recording (end state hash equal)"), r[1]);
        assertTrue(r[1].contains("replayed " + m.group(1) + " instructions"), r[1]);
        assertEquals("ECHO-ROM READY\r\n[61][62][63][01]", Files.readString(out, StandardCharsets.ISO_8859_1));
    }

    @Test
    void aBadEscapeKeyIsAUsageErrorBeforeAnythingRuns() {
        String[] r = runInProcess("run", "--rom", rom.toString(), "--escape", "ctrl-1", "--max-instructions", "1000");
        assertEquals("2", r[0], r[1]);
        assertTrue(r[1].contains("bad --escape 'ctrl-1'"), r[1]);
        assertFalse(r[1].contains("instructions in"), "nothing ran: " + r[1]);
    }

    @Test
    void linuxShellWithoutDoubleEchoAndCtrlCInterruptsSleep(@TempDir Path tmp) throws Exception {
        requirePty();
        Path g = dev.tandem.core.testkit.LinuxGuest.require();
        try (PtySession s = new PtySession(session("run", "--kernel", g.resolve("vmlinuz").toString(),
                "--initrd", g.resolve("initrd.cpio.gz").toString(), "--append", "console=ttyS0 nokaslr cryptomgr.notests",
                "-m", "128M", "--kernel-decompress", "host"), tmp)) {
            int at = s.await("/ # ", Duration.ofSeconds(400));
            s.type("echo hel''lo-1\r");
            at = s.await("\nhello-1", at, STEP);
            assertEquals(1, count(s.screen(), "echo hel''lo-1"), "the typed line is shown once (by the guest): "
                    + PtySession.printable(s.screen()));
            at = s.await("/ # ", at, STEP);
            // a sleep of 11 guest days: only Ctrl-C brings the prompt back
            s.type("sleep 1000000; echo slept\r");
            at = s.await("echo slept", at, STEP);
            Thread.sleep(1500);
            s.type((byte) 0x03);
            at = s.await("/ # ", at, STEP);
            s.type("echo al''ive\r");
            at = s.await("\nalive", at, STEP);
            assertFalse(s.screen().contains("\nslept"), "the sleep was interrupted: " + PtySession.printable(s.screen()));
            s.type(CTRL_A, (byte) 'x');
            s.await("rc=0", at, STEP);
            s.waitFor(STEP);
        }
        assertSettingsRestored(tmp);
    }

    /** Runs the CLI in this JVM (standard input is not a terminal here); returns {exit code, stderr}. */
    private static String[] runInProcess(String... args) {
        PrintStream old = System.err;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int rc;
        try (PrintStream ps = new PrintStream(buf, true, StandardCharsets.UTF_8)) {
            System.setErr(ps);
            rc = Main.execute(args);
        } finally {
            System.setErr(old);
        }
        String err = buf.toString(StandardCharsets.UTF_8);
        System.err.print(err);
        return new String[] {Integer.toString(rc), err};
    }
}

package dev.tandem.core.boot;

import static dev.tandem.core.testkit.Rejects.rejects;

import dev.tandem.core.testkit.Tools;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

class InitramfsTest {

    private static final List<Initramfs.Entry> DEVICES = List.of(
            Initramfs.Entry.charDevice("/dev/console", 0600, 5, 1),
            Initramfs.Entry.charDevice("/dev/ttyS0", 0660, 4, 64),
            Initramfs.Entry.blockDevice("/dev/sda", 0660, 8, 0));

    /** A small tree: a script, a binary-ish file, an empty file, nested dirs and symlinks. */
    private static Path makeTree(Path root) throws IOException {
        Files.createDirectories(root.resolve("bin"));
        Files.createDirectories(root.resolve("etc/init.d"));
        Files.createDirectories(root.resolve("proc"));
        Path init = root.resolve("init");
        Files.writeString(init, "#!/bin/sh\necho hello\n");
        Files.setPosixFilePermissions(init, PosixFilePermissions.fromString("rwxr-xr-x"));
        byte[] bin = new byte[5003];
        for (int i = 0; i < bin.length; i++) bin[i] = (byte) (i * 31);
        Path bb = root.resolve("bin/busybox");
        Files.write(bb, bin);
        Files.setPosixFilePermissions(bb, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.write(root.resolve("etc/empty"), new byte[0]);
        Path hosts = root.resolve("etc/init.d/rcS");
        Files.writeString(hosts, "x");
        Files.setPosixFilePermissions(hosts, PosixFilePermissions.fromString("rw-r-----"));
        Files.createSymbolicLink(root.resolve("bin/sh"), Path.of("busybox"));
        Files.createSymbolicLink(root.resolve("linuxrc"), Path.of("/bin/busybox"));
        return root;
    }

    @Test
    void roundTripsADirectoryWithDeviceSpecs(@TempDir Path tmp) throws IOException {
        Path root = makeTree(tmp.resolve("root"));
        List<Initramfs.Entry> entries = Initramfs.collect(root, DEVICES, false);
        List<String> paths = entries.stream().map(Initramfs.Entry::path).toList();
        assertEquals(List.of("bin", "bin/busybox", "bin/sh", "dev", "dev/console", "dev/sda", "dev/ttyS0", "etc",
                "etc/empty", "etc/init.d", "etc/init.d/rcS", "init", "linuxrc", "proc"), paths);

        byte[] gz = Initramfs.gzip(Initramfs.cpio(entries));
        List<Initramfs.Entry> back = Initramfs.read(gz);
        assertEquals(entries, back);

        Initramfs.Entry console = back.get(paths.indexOf("dev/console"));
        assertEquals(Initramfs.S_IFCHR | 0600, console.mode());
        assertEquals(5, console.rdevMajor());
        assertEquals(1, console.rdevMinor());
        Initramfs.Entry sda = back.get(paths.indexOf("dev/sda"));
        assertEquals(Initramfs.S_IFBLK | 0660, sda.mode());
        Initramfs.Entry dev = back.get(paths.indexOf("dev"));
        assertEquals(Initramfs.S_IFDIR | 0755, dev.mode(), "missing parent directory added");
        Initramfs.Entry sh = back.get(paths.indexOf("bin/sh"));
        assertEquals(Initramfs.S_IFLNK | 0777, sh.mode());
        assertEquals("busybox", sh.linkTarget());
        assertEquals("/bin/busybox", back.get(paths.indexOf("linuxrc")).linkTarget());
        Initramfs.Entry init = back.get(paths.indexOf("init"));
        assertEquals(Initramfs.S_IFREG | 0755, init.mode());
        assertEquals("#!/bin/sh\necho hello\n", new String(init.data(), StandardCharsets.UTF_8));
        assertEquals(Initramfs.S_IFREG | 0640, back.get(paths.indexOf("etc/init.d/rcS")).mode());
        assertEquals(5003, back.get(paths.indexOf("bin/busybox")).data().length);
        assertArrayEquals(Files.readAllBytes(root.resolve("bin/busybox")), back.get(paths.indexOf("bin/busybox")).data());
        for (Initramfs.Entry e : back) {
            assertEquals(0, e.uid(), e.path());
            assertEquals(0, e.gid(), e.path());
            assertEquals(0, e.mtime(), e.path());
        }
    }

    @Test
    void archiveLayoutIsNewcWithTrailerAndAlignment() {
        List<Initramfs.Entry> entries = List.of(
                Initramfs.Entry.dir("a", 0755),
                Initramfs.Entry.file("a/bc", 0644, "12345".getBytes(StandardCharsets.US_ASCII)));
        byte[] c = Initramfs.cpio(entries);
        String s = new String(c, StandardCharsets.ISO_8859_1);
        // first header: magic, ino 1, mode 040755, uid 0, gid 0, nlink 2, mtime 0, size 0, ..., namesize 2
        assertEquals("070701" + "00000001" + "000041ED" + "00000000" + "00000000" + "00000002" + "00000000"
                + "00000000" + "00000000" + "00000000" + "00000000" + "00000000" + "00000002" + "00000000", s.substring(0, 110));
        assertEquals("a\0", s.substring(110, 112));
        // 110 + 2 = 112 is already aligned; second header follows at once
        assertEquals("070701" + "00000002" + "000081A4", s.substring(112, 112 + 22));
        int nameAt = 112 + 110;
        assertEquals("a/bc\0", s.substring(nameAt, nameAt + 5));
        int dataAt = (nameAt + 5 + 3) & ~3;
        assertEquals(228, dataAt);
        assertEquals("12345", s.substring(dataAt, dataAt + 5));
        int trailerAt = (dataAt + 5 + 3) & ~3;
        assertEquals("070701", s.substring(trailerAt, trailerAt + 6));
        assertEquals("TRAILER!!!\0", s.substring(trailerAt + 110, trailerAt + 121));
        assertEquals((trailerAt + 121 + 3) & ~3, c.length);
        assertEquals(0, c.length % 4);
    }

    @Test
    void outputIsDeterministic(@TempDir Path tmp) throws IOException {
        Path root = makeTree(tmp.resolve("root"));
        byte[] a = Initramfs.build(root, DEVICES);
        // same tree again, created in a different order and with different timestamps
        Path root2 = tmp.resolve("root2");
        Files.createDirectories(root2.resolve("proc"));
        makeTree(root2);
        Files.setLastModifiedTime(root2.resolve("init"), java.nio.file.attribute.FileTime.fromMillis(123456789000L));
        List<Initramfs.Entry> reversed = new ArrayList<>(DEVICES);
        java.util.Collections.reverse(reversed);
        byte[] b = Initramfs.build(root2, reversed);
        assertArrayEquals(a, b);
        // gzip header: magic, deflate, no flags, mtime 0, XFL 2, OS 255
        assertArrayEquals(new byte[] {0x1F, (byte) 0x8B, 8, 0, 0, 0, 0, 0, 2, (byte) 0xFF}, Arrays.copyOf(a, 10));
    }

    @Test
    void extraEntriesReplaceHostEntriesAndKeepOwnersWhenAsked() throws IOException {
        List<Initramfs.Entry> e = Initramfs.collect(null, List.of(
                Initramfs.Entry.file("x/y/z", 0600, new byte[] {1}),
                new Initramfs.Entry("x/owned", Initramfs.S_IFREG | 0644, 1000, 100, 77, 0, 0, new byte[] {2}),
                Initramfs.Entry.file("x/y/z", 0644, new byte[] {3})), false);
        assertEquals(List.of("x", "x/owned", "x/y", "x/y/z"), e.stream().map(Initramfs.Entry::path).toList());
        assertArrayEquals(new byte[] {3}, e.get(3).data(), "the later entry wins");
        List<Initramfs.Entry> back = Initramfs.read(Initramfs.cpio(e));
        assertEquals(1000, back.get(1).uid());
        assertEquals(100, back.get(1).gid());
        assertEquals(77, back.get(1).mtime());
    }

    @Test
    void rejectsBadEntriesAndArchives() {
        byte[] c = Initramfs.cpio(List.of(Initramfs.Entry.file("hello", 0644, new byte[100])));
        byte[] bad = c.clone();
        bad[3] = '9';
        byte[] badHex = c.clone();
        badHex[10] = 'Z';
        assertAll(
                rejects("a path leaving the root", () -> Initramfs.Entry.file("../etc/passwd", 0644, new byte[0])),
                rejects("the root itself as an entry", () -> Initramfs.Entry.dir("/", 0755)),
                rejects("an empty symlink target", () -> Initramfs.Entry.symlink("a", "")),
                rejects("an entry without a type", () -> new Initramfs.Entry("a", 0644, 0, 0, 0, 0, 0, null)),
                rejects("a file used as a directory", () -> Initramfs.collect(null,
                        List.of(Initramfs.Entry.file("f", 0644, new byte[1]), Initramfs.Entry.file("f/g", 0644, new byte[1])), false),
                        "not a directory"),
                rejects("an archive cut inside a file's data", () -> Initramfs.read(Arrays.copyOf(c, 150)), "truncated"),
                () -> {
                    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                            () -> Initramfs.read(Arrays.copyOf(c, c.length - 20)), "an archive cut in the trailer");
                    assertTrue(e.getMessage().contains("truncated") || e.getMessage().contains("namesize"), e.getMessage());
                },
                rejects("a bad magic", () -> Initramfs.read(bad), "magic"),
                rejects("a bad hex digit in a header", () -> Initramfs.read(badHex), "hex"));
    }

    @Test
    void devSpecParsing() {
        Initramfs.Entry e = Initramfs.parseDevSpec("/dev/console:c:5:1");
        assertAll(
                () -> assertEquals(Initramfs.Entry.charDevice("dev/console", 0600, 5, 1), e),
                () -> assertEquals(Initramfs.Entry.blockDevice("dev/vda", 0660, 254, 0), Initramfs.parseDevSpec("/dev/vda:b:254:0:0660")),
                rejects("an unknown device type", () -> Initramfs.parseDevSpec("/dev/x:q:1:2")),
                rejects("a missing minor number", () -> Initramfs.parseDevSpec("/dev/x:c:1")),
                rejects("a major number that is no number", () -> Initramfs.parseDevSpec("/dev/x:c:one:2")));
    }

    @Test
    void commandLineWritesGzipOrPlain(@TempDir Path tmp) throws IOException {
        Path root = makeTree(tmp.resolve("root"));
        Path gz = tmp.resolve("out.cpio.gz");
        Path plain = tmp.resolve("out.cpio");
        Initramfs.run(new String[] {root.toString(), gz.toString(), "--dev", "/dev/console:c:5:1"});
        Initramfs.run(new String[] {root.toString(), plain.toString(), "--dev", "/dev/console:c:5:1"});
        byte[] g = Files.readAllBytes(gz);
        byte[] p = Files.readAllBytes(plain);
        assertEquals(0x1F, g[0]);
        assertEquals('0', p[0]);
        assertArrayEquals(p, Initramfs.gunzip(g));
        assertEquals(Initramfs.read(g), Initramfs.read(p));
        assertTrue(Initramfs.read(p).stream().anyMatch(e -> e.path().equals("dev/console")));
        assertThrows(IllegalArgumentException.class, () -> Initramfs.run(new String[] {root.toString()}));
    }

    /** GNU cpio (or any cpio that reads newc) must list exactly our entries. */
    @Test
    void hostCpioAgrees(@TempDir Path tmp) throws Exception {
        Tools.requireCpio();
        String cpio = Tools.binary("cpio");
        Path root = makeTree(tmp.resolve("root"));
        List<Initramfs.Entry> entries = Initramfs.collect(root, DEVICES, false);
        Path archive = tmp.resolve("a.cpio");
        Files.write(archive, Initramfs.cpio(entries));

        List<String> listed = runLines(tmp, cpio, "-t", "--quiet", "-F", archive.toString());
        assertEquals(entries.stream().map(Initramfs.Entry::path).toList(), listed);

        List<String> verbose = runLines(tmp, cpio, "-tv", "--quiet", "--numeric-uid-gid", "-F", archive.toString());
        String consoleLine = verbose.stream().filter(l -> l.endsWith(" dev/console")).findFirst().orElseThrow();
        assertTrue(consoleLine.startsWith("crw-------"), consoleLine);
        assertTrue(consoleLine.matches(".*\\b5,\\s+1 .*"), consoleLine);
        String shLine = verbose.stream().filter(l -> l.contains(" bin/sh ")).findFirst().orElseThrow();
        assertTrue(shLine.startsWith("lrwxrwxrwx") && shLine.endsWith("bin/sh -> busybox"), shLine);
        String bbLine = verbose.stream().filter(l -> l.endsWith(" bin/busybox")).findFirst().orElseThrow();
        assertTrue(bbLine.startsWith("-rwxr-xr-x") && bbLine.contains(" 5003 "), bbLine);

        // extract the regular files with the host tool and compare bytes
        Path out = Files.createDirectories(tmp.resolve("x"));
        runLines(out, cpio, "-i", "--quiet", "-d", "-F", archive.toString(), "init", "bin/busybox", "etc/*");
        assertArrayEquals(Files.readAllBytes(root.resolve("bin/busybox")), Files.readAllBytes(out.resolve("bin/busybox")));
        assertArrayEquals(Files.readAllBytes(root.resolve("init")), Files.readAllBytes(out.resolve("init")));
        assertEquals("x", Files.readString(out.resolve("etc/init.d/rcS")));
    }

    private static List<String> runLines(Path cwd, String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).directory(cwd.toFile()).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "cpio timed out");
        String text = new String(out, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), String.join(" ", cmd) + " failed:\n" + text);
        return text.isEmpty() ? List.of() : Arrays.asList(text.split("\n"));
    }
}

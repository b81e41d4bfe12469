package dev.tandem.core.boot;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import java.util.zip.GZIPInputStream;

/**
 * Builds (and reads back) Linux initramfs images: cpio archives in the "newc" format, optionally
 * gzip-compressed.
 *
 * <p>The output is deterministic: entries sorted by path (a parent before its children), inode
 * numbers counted from 1 in that order, mtime 0 and owner 0:0 unless an entry says otherwise, and a
 * gzip header with no name and mtime 0. Device nodes, which an unprivileged host cannot create, are
 * given as {@link Entry} specs next to the host directory.
 *
 * <p>Command line: {@code Initramfs DIR OUT [--dev PATH:c|b:MAJOR:MINOR[:OCTAL_MODE]]... [--keep-owners]}
 * writes DIR as an archive to OUT, gzip-compressed when OUT ends in ".gz".
 */
public final class Initramfs {
    public static final int S_IFMT = 0170000;
    public static final int S_IFSOCK = 0140000;
    public static final int S_IFLNK = 0120000;
    public static final int S_IFREG = 0100000;
    public static final int S_IFBLK = 0060000;
    public static final int S_IFDIR = 0040000;
    public static final int S_IFCHR = 0020000;
    public static final int S_IFIFO = 0010000;

    public static final String TRAILER = "TRAILER!!!";
    private static final String NEWC_MAGIC = "070701";
    private static final String CRC_MAGIC = "070702";
    private static final int HEADER_SIZE = 110;

    /**
     * One archive member. {@code mode} holds the file type bits and the permissions (st_mode);
     * {@code data} is a regular file's content or a symlink's target (empty otherwise).
     */
    public record Entry(String path, int mode, int uid, int gid, long mtime, int rdevMajor, int rdevMinor,
                        byte[] data) {
        public Entry {
            path = normalize(path);
            if (data == null) data = new byte[0];
            int type = mode & S_IFMT;
            if (type != S_IFREG && type != S_IFDIR && type != S_IFLNK && type != S_IFCHR && type != S_IFBLK
                    && type != S_IFIFO && type != S_IFSOCK) {
                throw new IllegalArgumentException(String.format("entry %s: bad file type in mode 0%o", path, mode));
            }
            if (type != S_IFREG && type != S_IFLNK && data.length != 0) {
                throw new IllegalArgumentException("entry " + path + ": only files and symlinks carry data");
            }
            if (type == S_IFLNK && data.length == 0) {
                throw new IllegalArgumentException("entry " + path + ": symlink with an empty target");
            }
            if (mtime < 0 || mtime > 0xFFFFFFFFL) {
                throw new IllegalArgumentException("entry " + path + ": mtime " + mtime + " does not fit 32 bits");
            }
        }

        public static Entry file(String path, int perm, byte[] data) {
            return new Entry(path, S_IFREG | (perm & 07777), 0, 0, 0, 0, 0, data);
        }

        public static Entry dir(String path, int perm) {
            return new Entry(path, S_IFDIR | (perm & 07777), 0, 0, 0, 0, 0, null);
        }

        public static Entry symlink(String path, String target) {
            return new Entry(path, S_IFLNK | 0777, 0, 0, 0, 0, 0, target.getBytes(StandardCharsets.UTF_8));
        }

        public static Entry charDevice(String path, int perm, int major, int minor) {
            return new Entry(path, S_IFCHR | (perm & 07777), 0, 0, 0, major, minor, null);
        }

        public static Entry blockDevice(String path, int perm, int major, int minor) {
            return new Entry(path, S_IFBLK | (perm & 07777), 0, 0, 0, major, minor, null);
        }

        public int type() {
            return mode & S_IFMT;
        }

        /** The symlink target (for symlinks). */
        public String linkTarget() {
            return new String(data, StandardCharsets.UTF_8);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Entry e && path.equals(e.path) && mode == e.mode && uid == e.uid && gid == e.gid
                    && mtime == e.mtime && rdevMajor == e.rdevMajor && rdevMinor == e.rdevMinor
                    && Arrays.equals(data, e.data);
        }

        @Override
        public int hashCode() {
            return path.hashCode() * 31 + mode;
        }

        @Override
        public String toString() {
            return String.format("%s mode=0%o uid=%d gid=%d mtime=%d rdev=%d,%d size=%d", path, mode, uid, gid,
                    mtime, rdevMajor, rdevMinor, data.length);
        }
    }

    private Initramfs() {
    }

    /** "./a/b", "/a/b/" and "a//b" all become "a/b"; ".." and empty paths are refused. */
    static String normalize(String path) {
        if (path == null) throw new IllegalArgumentException("entry path is null");
        StringBuilder sb = new StringBuilder();
        for (String part : path.split("/")) {
            if (part.isEmpty() || part.equals(".")) continue;
            if (part.equals("..")) throw new IllegalArgumentException("entry path contains '..': " + path);
            if (sb.length() > 0) sb.append('/');
            sb.append(part);
        }
        if (sb.length() == 0) throw new IllegalArgumentException("entry path is empty: \"" + path + "\"");
        return sb.toString();
    }

    // ---------------------------------------------------------------- building

    /**
     * The entries of host directory {@code root} (not including the root itself), sorted, with
     * {@code extra} added (an extra entry replaces a host entry with the same path) and missing
     * parent directories created (mode 0755). Symlinks are stored as links, never followed.
     *
     * @param keepOwners keep the host's uid/gid instead of 0:0
     */
    public static List<Entry> collect(Path root, List<Entry> extra, boolean keepOwners) throws IOException {
        TreeMap<String, Entry> byPath = new TreeMap<>(Initramfs::comparePaths);
        if (root != null) {
            if (!Files.isDirectory(root, LinkOption.NOFOLLOW_LINKS)) {
                throw new IllegalArgumentException("not a directory: " + root);
            }
            List<Path> paths;
            try (Stream<Path> s = Files.walk(root)) {
                paths = s.filter(p -> !p.equals(root)).toList();
            }
            for (Path p : paths) {
                String rel = root.relativize(p).toString().replace('\\', '/');
                byPath.put(normalize(rel), fromHost(p, rel, keepOwners));
            }
        }
        if (extra != null) {
            for (Entry e : extra) byPath.put(e.path(), e);
        }
        // parents of every entry must exist in the archive
        List<String> missing = new ArrayList<>();
        for (String path : byPath.keySet()) {
            int slash = path.lastIndexOf('/');
            while (slash > 0) {
                String parent = path.substring(0, slash);
                Entry pe = byPath.get(parent);
                if (pe != null) {
                    if (pe.type() != S_IFDIR) {
                        throw new IllegalArgumentException("entry " + path + " lies under " + parent + ", which is not a directory");
                    }
                    break;
                }
                missing.add(parent);
                slash = parent.lastIndexOf('/');
            }
        }
        for (String m : missing) byPath.putIfAbsent(m, Entry.dir(m, 0755));
        return new ArrayList<>(byPath.values());
    }

    /** Byte-wise (UTF-8) order of paths; a parent sorts before its children. */
    static int comparePaths(String a, String b) {
        return Arrays.compareUnsigned(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
    }

    private static Entry fromHost(Path p, String rel, boolean keepOwners) throws IOException {
        Map<String, Object> unix = null;
        try {
            unix = Files.readAttributes(p, "unix:mode,uid,gid,rdev", LinkOption.NOFOLLOW_LINKS);
        } catch (UnsupportedOperationException | IllegalArgumentException e) {
            // no "unix" attribute view on this platform: fall back to POSIX permissions below
        }
        int uid = keepOwners && unix != null ? (Integer) unix.get("uid") : 0;
        int gid = keepOwners && unix != null ? (Integer) unix.get("gid") : 0;
        if (Files.isSymbolicLink(p)) {
            String target = Files.readSymbolicLink(p).toString();
            return new Entry(rel, S_IFLNK | 0777, uid, gid, 0, 0, 0, target.getBytes(StandardCharsets.UTF_8));
        }
        int perm;
        int type;
        if (unix != null) {
            int mode = (Integer) unix.get("mode");
            perm = mode & 07777;
            type = mode & S_IFMT;
        } else {
            perm = posixPerm(p);
            type = Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS) ? S_IFDIR
                    : Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS) ? S_IFREG : 0;
        }
        switch (type) {
            case S_IFDIR:
                return new Entry(rel, S_IFDIR | perm, uid, gid, 0, 0, 0, null);
            case S_IFREG:
                return new Entry(rel, S_IFREG | perm, uid, gid, 0, 0, 0, Files.readAllBytes(p));
            case S_IFCHR:
            case S_IFBLK: {
                long rdev = ((Number) unix.get("rdev")).longValue();
                // Linux dev_t encoding (glibc's gnu_dev_major/minor)
                int major = (int) (((rdev >>> 8) & 0xFFF) | ((rdev >>> 32) & ~0xFFFL));
                int minor = (int) ((rdev & 0xFF) | ((rdev >>> 12) & ~0xFFL));
                return new Entry(rel, type | perm, uid, gid, 0, major, minor, null);
            }
            case S_IFIFO:
                return new Entry(rel, S_IFIFO | perm, uid, gid, 0, 0, 0, null);
            default:
                throw new IllegalArgumentException("cannot archive " + p
                        + ": unsupported file type (give device nodes as Entry specs)");
        }
    }

    private static int posixPerm(Path p) throws IOException {
        try {
            Set<PosixFilePermission> s = Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS);
            int perm = 0;
            for (PosixFilePermission x : s) perm |= 1 << (8 - x.ordinal());
            return perm;
        } catch (UnsupportedOperationException e) {
            return Files.isDirectory(p) || Files.isExecutable(p) ? 0755 : 0644;
        }
    }

    /** The uncompressed newc archive of {@code entries}, in the given order, with the trailer. */
    public static byte[] cpio(List<Entry> entries) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int ino = 1;
        for (Entry e : entries) {
            int nlink = e.type() == S_IFDIR ? 2 : 1;
            writeHeader(out, ino++, e.mode(), e.uid(), e.gid(), nlink, e.mtime(), e.data().length,
                    e.rdevMajor(), e.rdevMinor(), e.path());
            out.write(e.data(), 0, e.data().length);
            pad(out);
        }
        writeHeader(out, 0, 0, 0, 0, 1, 0, 0, 0, 0, TRAILER);
        return out.toByteArray();
    }

    private static void writeHeader(ByteArrayOutputStream out, int ino, int mode, int uid, int gid, int nlink,
                                    long mtime, int size, int rdevMajor, int rdevMinor, String name) {
        byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
        StringBuilder h = new StringBuilder(HEADER_SIZE);
        h.append(NEWC_MAGIC);
        for (long v : new long[] {ino, mode, uid, gid, nlink, mtime, size, 0, 0, rdevMajor, rdevMinor,
                nameBytes.length + 1, 0}) {
            h.append(String.format("%08X", v & 0xFFFFFFFFL));
        }
        byte[] hb = h.toString().getBytes(StandardCharsets.US_ASCII);
        out.write(hb, 0, hb.length);
        out.write(nameBytes, 0, nameBytes.length);
        out.write(0);
        pad(out);
    }

    private static void pad(ByteArrayOutputStream out) {
        while ((out.size() & 3) != 0) out.write(0);
    }

    /** gzip of {@code data} at maximum compression with a fixed header (no name, mtime 0, OS unknown). */
    public static byte[] gzip(byte[] data) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(data.length / 2 + 64);
        // ID1 ID2 CM=deflate FLG=0 MTIME=0 XFL=2 (max compression) OS=255 (unknown)
        out.write(new byte[] {0x1F, (byte) 0x8B, 8, 0, 0, 0, 0, 0, 2, (byte) 0xFF}, 0, 10);
        Deflater d = new Deflater(Deflater.BEST_COMPRESSION, true);
        try {
            d.setInput(data);
            d.finish();
            byte[] buf = new byte[65536];
            while (!d.finished()) {
                int n = d.deflate(buf);
                out.write(buf, 0, n);
            }
        } finally {
            d.end();
        }
        CRC32 crc = new CRC32();
        crc.update(data);
        writeLe32(out, (int) crc.getValue());
        writeLe32(out, data.length);
        return out.toByteArray();
    }

    private static void writeLe32(ByteArrayOutputStream out, int v) {
        out.write(v);
        out.write(v >>> 8);
        out.write(v >>> 16);
        out.write(v >>> 24);
    }

    /** Collects {@code root} plus {@code extra} and returns the gzip-compressed archive. */
    public static byte[] build(Path root, List<Entry> extra) throws IOException {
        return gzip(cpio(collect(root, extra, false)));
    }

    // ---------------------------------------------------------------- reading

    /**
     * Parses a newc (or newc-with-CRC) archive, gunzipping it first if it starts with the gzip
     * magic. Stops at the trailer, which is not returned. Concatenated archives are not followed.
     */
    public static List<Entry> read(byte[] archive) {
        byte[] a = archive;
        if (a.length >= 2 && (a[0] & 0xFF) == 0x1F && (a[1] & 0xFF) == 0x8B) a = gunzip(a);
        List<Entry> out = new ArrayList<>();
        int pos = 0;
        while (true) {
            if (pos + HEADER_SIZE > a.length) {
                throw new IllegalArgumentException("cpio archive truncated at offset " + pos + " (no " + TRAILER + ")");
            }
            String magic = new String(a, pos, 6, StandardCharsets.US_ASCII);
            if (!magic.equals(NEWC_MAGIC) && !magic.equals(CRC_MAGIC)) {
                throw new IllegalArgumentException("bad cpio magic \"" + magic + "\" at offset " + pos);
            }
            long[] f = new long[13];
            for (int i = 0; i < 13; i++) f[i] = hex(a, pos + 6 + i * 8, pos);
            int mode = (int) f[1];
            long size = f[6];
            int nameSize = (int) f[11];
            if (nameSize < 1 || pos + HEADER_SIZE + (long) nameSize > a.length) {
                throw new IllegalArgumentException("bad cpio namesize " + nameSize + " at offset " + pos);
            }
            int nameStart = pos + HEADER_SIZE;
            if (a[nameStart + nameSize - 1] != 0) {
                throw new IllegalArgumentException("cpio name at offset " + nameStart + " is not NUL-terminated");
            }
            String name = new String(a, nameStart, nameSize - 1, StandardCharsets.UTF_8);
            int dataStart = align4(nameStart + nameSize);
            if (dataStart + size > a.length) {
                throw new IllegalArgumentException("cpio entry " + name + " truncated: " + size + " bytes at offset "
                        + dataStart + " but the archive ends at " + a.length);
            }
            if (name.equals(TRAILER)) return out;
            byte[] data = Arrays.copyOfRange(a, dataStart, dataStart + (int) size);
            out.add(new Entry(name, mode, (int) f[2], (int) f[3], f[5], (int) f[9], (int) f[10], data));
            pos = align4(dataStart + (int) size);
        }
    }

    private static int align4(int v) {
        return (v + 3) & ~3;
    }

    private static long hex(byte[] a, int off, int entryOffset) {
        long v = 0;
        for (int i = 0; i < 8; i++) {
            int c = a[off + i];
            int d = Character.digit(c, 16);
            if (d < 0) {
                throw new IllegalArgumentException("bad hex digit '" + (char) c + "' in cpio header at offset " + entryOffset);
            }
            v = (v << 4) | d;
        }
        return v;
    }

    static byte[] gunzip(byte[] gz) {
        try (InputStream in = new GZIPInputStream(new java.io.ByteArrayInputStream(gz))) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new IllegalArgumentException("bad gzip data: " + e.getMessage(), e);
        }
    }

    // ---------------------------------------------------------------- command line

    public static void main(String[] args) {
        try {
            run(args);
        } catch (IllegalArgumentException e) {
            System.err.println("Initramfs: " + e.getMessage());
            System.exit(2);
        } catch (IOException | UncheckedIOException e) {
            System.err.println("Initramfs: " + e);
            System.exit(1);
        }
    }

    static void run(String[] args) throws IOException {
        List<String> positional = new ArrayList<>();
        List<Entry> extra = new ArrayList<>();
        boolean keepOwners = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--dev" -> {
                    if (i + 1 >= args.length) throw new IllegalArgumentException("--dev needs PATH:c|b:MAJOR:MINOR[:MODE]");
                    extra.add(parseDevSpec(args[++i]));
                }
                case "--keep-owners" -> keepOwners = true;
                default -> positional.add(args[i]);
            }
        }
        if (positional.size() != 2) {
            throw new IllegalArgumentException(
                    "usage: Initramfs DIR OUT [--dev PATH:c|b:MAJOR:MINOR[:OCTAL_MODE]]... [--keep-owners]");
        }
        Path dir = Path.of(positional.get(0));
        Path out = Path.of(positional.get(1));
        byte[] archive = cpio(collect(dir, extra, keepOwners));
        if (out.getFileName().toString().endsWith(".gz")) archive = gzip(archive);
        Files.write(out, archive);
    }

    /** "/dev/console:c:5:1" or "/dev/sda:b:8:0:0660" (mode in octal, default 0600). */
    static Entry parseDevSpec(String spec) {
        String[] p = spec.split(":");
        if (p.length < 4 || p.length > 5 || !(p[1].equals("c") || p[1].equals("b"))) {
            throw new IllegalArgumentException("bad device spec \"" + spec + "\": want PATH:c|b:MAJOR:MINOR[:MODE]");
        }
        try {
            int major = Integer.parseInt(p[2]);
            int minor = Integer.parseInt(p[3]);
            int perm = p.length == 5 ? Integer.parseInt(p[4], 8) : 0600;
            return p[1].equals("c") ? Entry.charDevice(p[0], perm, major, minor)
                    : Entry.blockDevice(p[0], perm, major, minor);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad number in device spec \"" + spec + "\"", e);
        }
    }
}

package dev.tandem.cli;

/** Parses sizes like 256M, 1G, 65536, 64K. */
final class Sizes {
    private Sizes() { }

    static long parse(String s) {
        String t = s.trim().toUpperCase();
        long mult = 1;
        if (t.endsWith("K")) mult = 1024;
        else if (t.endsWith("M")) mult = 1024 * 1024;
        else if (t.endsWith("G")) mult = 1024L * 1024 * 1024;
        if (mult != 1) t = t.substring(0, t.length() - 1);
        try {
            long v = Long.parseLong(t) * mult;
            if (v <= 0) throw new IllegalArgumentException("size must be positive: " + s);
            return v;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a size: '" + s + "' (examples: 256M, 1G, 65536)");
        }
    }

    static int parsePort(String s) {
        try {
            int v = s.startsWith("0x") || s.startsWith("0X") ? Integer.parseInt(s.substring(2), 16) : Integer.decode(s);
            if (v < 0 || v > 0xFFFF) throw new IllegalArgumentException("port out of range 0..0xFFFF: " + s);
            return v;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a port number: " + s);
        }
    }
}

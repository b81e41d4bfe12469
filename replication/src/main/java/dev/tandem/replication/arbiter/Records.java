package dev.tandem.replication.arbiter;

import dev.tandem.replication.arbiter.Arbiter.ArbiterException;

import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * The text records both arbiters store (epoch, lease and fence records in files or znodes):
 * a header line {@code tandem-arbiter/1 KIND}, then {@code key=value} lines with URL-encoded
 * values, then {@code crc32c=XXXXXXXX} over everything before it. A record that does not parse or
 * whose checksum is wrong is corruption, reported with {@link ArbiterException}, never skipped.
 */
final class Records {
    static final String MAGIC = "tandem-arbiter/1";

    private Records() {
    }

    static byte[] encode(String kind, Map<String, String> fields) {
        StringBuilder sb = new StringBuilder(MAGIC).append(' ').append(kind).append('\n');
        for (Map.Entry<String, String> e : fields.entrySet()) {
            sb.append(e.getKey()).append('=').append(enc(e.getValue())).append('\n');
        }
        byte[] body = sb.toString().getBytes(StandardCharsets.UTF_8);
        CRC32C crc = new CRC32C();
        crc.update(body);
        String tail = String.format("crc32c=%08x\n", crc.getValue());
        byte[] out = new byte[body.length + tail.length()];
        System.arraycopy(body, 0, out, 0, body.length);
        System.arraycopy(tail.getBytes(StandardCharsets.US_ASCII), 0, out, body.length, tail.length());
        return out;
    }

    /** Decodes a record of the given kind; {@code where} names the file or znode for the error message. */
    static Map<String, String> decode(byte[] data, String kind, String where) throws ArbiterException {
        String text = new String(data, StandardCharsets.UTF_8);
        int crcAt = text.lastIndexOf("crc32c=");
        if (data.length == 0) {
            throw new ArbiterException("corrupt arbiter record " + where + ": empty");
        }
        if (crcAt < 0 || !text.endsWith("\n")) {
            throw new ArbiterException("corrupt arbiter record " + where + ": no checksum line (torn or not an arbiter record)");
        }
        String want = text.substring(crcAt + 7, text.length() - 1);
        byte[] body = text.substring(0, crcAt).getBytes(StandardCharsets.UTF_8);
        CRC32C crc = new CRC32C();
        crc.update(body);
        if (!want.equals(String.format("%08x", crc.getValue()))) {
            throw new ArbiterException("corrupt arbiter record " + where + ": checksum mismatch");
        }
        String[] lines = text.substring(0, crcAt).split("\n", -1);
        if (!lines[0].equals(MAGIC + " " + kind)) {
            throw new ArbiterException("corrupt arbiter record " + where + ": expected '" + MAGIC + " " + kind
                    + "', found '" + abbreviate(lines[0]) + "'");
        }
        Map<String, String> fields = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            if (lines[i].isEmpty() && i == lines.length - 1) {
                break;
            }
            int eq = lines[i].indexOf('=');
            if (eq <= 0) {
                throw new ArbiterException("corrupt arbiter record " + where + ": bad line '" + abbreviate(lines[i]) + "'");
            }
            fields.put(lines[i].substring(0, eq), dec(lines[i].substring(eq + 1), where));
        }
        return fields;
    }

    static String need(Map<String, String> f, String key, String where) throws ArbiterException {
        String v = f.get(key);
        if (v == null) {
            throw new ArbiterException("corrupt arbiter record " + where + ": missing " + key);
        }
        return v;
    }

    static long needLong(Map<String, String> f, String key, String where) throws ArbiterException {
        String v = need(f, key, where);
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new ArbiterException("corrupt arbiter record " + where + ": " + key + " is not a number: '" + abbreviate(v) + "'");
        }
    }

    static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    static String dec(String s, String where) throws ArbiterException {
        try {
            return URLDecoder.decode(s, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new ArbiterException("corrupt arbiter record " + where + ": bad encoding '" + abbreviate(s) + "'");
        }
    }

    static String abbreviate(String s) {
        String t = s.replaceAll("\\p{Cntrl}", "?");
        return t.length() > 60 ? t.substring(0, 60) + "..." : t;
    }

    /** Rejects ids and addresses that could not be told apart in transcripts. */
    static void checkCandidate(Arbiter.Candidate c) {
        if (c == null || c.nodeId() == null || c.nodeId().isBlank()) {
            throw new IllegalArgumentException("candidate needs a non-empty node id");
        }
        if (c.address() == null) {
            throw new IllegalArgumentException("candidate " + c.nodeId() + " needs an address (may be empty)");
        }
        if (c.appliedCount() < 0) {
            throw new IllegalArgumentException("candidate " + c.nodeId() + ": negative applied count " + c.appliedCount());
        }
    }
}

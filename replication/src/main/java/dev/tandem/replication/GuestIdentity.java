package dev.tandem.replication;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;

/**
 * What identifies a guest for the replication handshake: its load spec with every file replaced by
 * the SHA-256 of its contents (paths differ between machines, contents must not).
 */
public final class GuestIdentity {
    private GuestIdentity() {
    }

    /** The identity of a guest spec ({@code kernel}, {@code initrd}, {@code rom} files are hashed). */
    public static Map<String, String> of(Map<String, String> spec) throws IOException {
        Map<String, String> id = new TreeMap<>();
        for (Map.Entry<String, String> e : spec.entrySet()) {
            switch (e.getKey()) {
                case "kernel", "initrd", "rom" -> id.put(e.getKey() + "-sha256", sha256(Path.of(e.getValue())));
                default -> id.put(e.getKey(), e.getValue());
            }
        }
        return id;
    }

    /** The identity of a machine restored from a snapshot file. */
    public static Map<String, String> ofSnapshot(Path snapshot) throws IOException {
        return Map.of("snapshot-sha256", sha256(snapshot));
    }

    static String sha256(Path p) throws IOException {
        try (InputStream in = Files.newInputStream(p)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) md.update(buf, 0, n);
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}

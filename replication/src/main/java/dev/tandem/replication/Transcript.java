package dev.tandem.replication;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A process's machine-readable transcript: one JSON object per line, written through at once (a
 * process killed with SIGKILL leaves every line it wrote). Every line has {@code t} (wall-clock
 * ms), {@code node}, {@code pid} and {@code ev}; the events are listed in
 * docs/replication-protocol.md ("Transcripts").
 */
public final class Transcript implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final OutputStream out;
    private final String node;
    private final long pid = ProcessHandle.current().pid();

    private Transcript(OutputStream out, String node) {
        this.out = out;
        this.node = node;
    }

    public static Transcript open(Path file, String node) throws IOException {
        return new Transcript(file == null ? null : new FileOutputStream(file.toFile(), true), node);
    }

    public static Transcript none(String node) {
        return new Transcript(null, node);
    }

    /** Writes one event; {@code kv} are alternating keys and values. */
    public void event(String ev, Object... kv) {
        if (out == null) return;
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("t", System.currentTimeMillis());
        m.put("node", node);
        m.put("pid", pid);
        m.put("ev", ev);
        for (int i = 0; i + 1 < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
        try {
            byte[] line = (JSON.writeValueAsString(m) + "\n").getBytes(StandardCharsets.UTF_8);
            synchronized (this) {
                out.write(line);
            }
        } catch (IOException e) {
            // a transcript that cannot be written must not stop the replica
        }
    }

    public static String json(Object o) {
        try {
            return JSON.writeValueAsString(o);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public synchronized void close() throws IOException {
        if (out != null) out.close();
    }
}

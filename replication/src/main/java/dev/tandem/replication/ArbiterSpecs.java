package dev.tandem.replication;

import dev.tandem.replication.arbiter.Arbiter;
import java.lang.reflect.InvocationTargetException;
import java.nio.file.Path;

/** Opens arbiters from spec strings ({@code file:DIR[?lease=...]}, {@code zk:...}) and names the default one. */
public final class ArbiterSpecs {
    private ArbiterSpecs() {
    }

    /** Opens the arbiter a spec names (through {@code Arbiters.open}). */
    public static Arbiter open(String spec) {
        try {
            Class<?> c = Class.forName("dev.tandem.replication.arbiter.Arbiters");
            return (Arbiter) c.getMethod("open", String.class).invoke(null, spec);
        } catch (ClassNotFoundException | NoSuchMethodException | IllegalAccessException e) {
            throw new IllegalStateException("no arbiter implementation in this build (" + e + ")");
        } catch (InvocationTargetException e) {
            Throwable t = e.getCause();
            if (t instanceof RuntimeException re) throw re;
            throw new IllegalArgumentException("cannot open arbiter '" + spec + "': " + t.getMessage(), t);
        }
    }

    /**
     * The default arbiter of a stream led from {@code host:port}: a directory under the system's
     * temporary directory named after that address, so every replica on this host agrees on it
     * (followers are told the leader's spec at the handshake).
     */
    public static String defaultFor(String host, int port) {
        Path dir = Path.of(System.getProperty("java.io.tmpdir"), "tandem-arbiter", host.replace(':', '_') + "-" + port);
        return "file:" + dir;
    }
}

package dev.tandem.replication.arbiter;

import dev.tandem.replication.arbiter.Arbiter.ArbiterException;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;

/**
 * Opens an arbiter from a spec string (the {@code --arbiter} option):
 * <ul>
 *   <li>{@code file:DIR} — {@link FileArbiter} on directory DIR (created if missing);</li>
 *   <li>{@code zk:HOST:PORT[,HOST:PORT...]/PATH} — {@link ZooKeeperArbiter} under znode PATH.</li>
 * </ul>
 * Either may end with {@code ?lease=DURATION} (for ZooKeeper the session timeout asked for; the
 * server may adjust it), where DURATION is {@code 250ms}, {@code 2s} or a plain number of
 * milliseconds. Without it, {@code defaultLease} applies.
 */
public final class Arbiters {
    /** The lease time when neither the spec nor the caller gives one. */
    public static final Duration DEFAULT_FILE_LEASE = Duration.ofMillis(500);

    private Arbiters() {
    }

    /** A parsed spec: kind {@code file} or {@code zk}, the target (directory, or connect string and path), and the lease. */
    public record Spec(String kind, String target, String path, Duration lease) {
    }

    public static Arbiter open(String spec) throws ArbiterException {
        return open(spec, null);
    }

    /** Opens the arbiter named by {@code spec}; {@code defaultLease} (null: the built-in default) applies unless the spec has {@code ?lease=}. */
    public static Arbiter open(String spec, Duration defaultLease) throws ArbiterException {
        Spec s = parse(spec, defaultLease);
        return switch (s.kind()) {
            case "file" -> new FileArbiter(Path.of(s.target()), s.lease());
            case "zk" -> new ZooKeeperArbiter(s.target(), s.path(), s.lease());
            default -> throw new IllegalArgumentException("arbiter spec '" + spec + "': unknown kind " + s.kind());
        };
    }

    /** Parses a spec without opening anything; throws {@link IllegalArgumentException} with the reason for a bad one. */
    public static Spec parse(String spec, Duration defaultLease) {
        if (spec == null || spec.isBlank()) {
            throw new IllegalArgumentException("empty arbiter spec (expected file:DIR or zk:HOST:PORT[,HOST:PORT...]/PATH)");
        }
        String body = spec;
        Duration lease = defaultLease;
        int q = spec.indexOf('?');
        if (q >= 0) {
            body = spec.substring(0, q);
            lease = parseOptions(spec, spec.substring(q + 1));
        }
        int colon = body.indexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("arbiter spec '" + spec + "' has no kind (expected file:DIR or zk:HOST:PORT[,HOST:PORT...]/PATH)");
        }
        String kind = body.substring(0, colon).toLowerCase(Locale.ROOT);
        String rest = body.substring(colon + 1);
        switch (kind) {
            case "file": {
                if (rest.isEmpty()) {
                    throw new IllegalArgumentException("arbiter spec '" + spec + "': file: needs a directory");
                }
                return new Spec("file", rest, rest, lease == null ? DEFAULT_FILE_LEASE : lease);
            }
            case "zk": {
                int slash = rest.indexOf('/');
                if (slash <= 0) {
                    throw new IllegalArgumentException("arbiter spec '" + spec + "': zk: needs HOST:PORT[,HOST:PORT...]/PATH");
                }
                String hosts = rest.substring(0, slash);
                String path = rest.substring(slash);
                for (String hp : hosts.split(",", -1)) {
                    int c = hp.lastIndexOf(':');
                    if (c <= 0 || c == hp.length() - 1) {
                        throw new IllegalArgumentException("arbiter spec '" + spec + "': '" + hp + "' is not HOST:PORT");
                    }
                    try {
                        int port = Integer.parseInt(hp.substring(c + 1));
                        if (port <= 0 || port > 65535) {
                            throw new NumberFormatException();
                        }
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException("arbiter spec '" + spec + "': bad port in '" + hp + "'");
                    }
                }
                if (path.length() < 2 || path.endsWith("/") || path.contains("//")) {
                    throw new IllegalArgumentException("arbiter spec '" + spec + "': bad znode path '" + path + "' (like /tandem/guest1)");
                }
                return new Spec("zk", hosts, path, lease == null ? DEFAULT_ZK_SESSION : lease);
            }
            default:
                throw new IllegalArgumentException("arbiter spec '" + spec + "': unknown kind '" + kind + "' (expected file: or zk:)");
        }
    }

    /** The session timeout asked of ZooKeeper when neither the spec nor the caller gives one. */
    public static final Duration DEFAULT_ZK_SESSION = Duration.ofMillis(2000);

    private static Duration parseOptions(String spec, String options) {
        Duration lease = null;
        for (String opt : options.split("&", -1)) {
            int eq = opt.indexOf('=');
            String key = eq < 0 ? opt : opt.substring(0, eq);
            if (!key.equals("lease") || eq < 0) {
                throw new IllegalArgumentException("arbiter spec '" + spec + "': unknown option '" + opt + "' (only lease=DURATION)");
            }
            lease = parseDuration(spec, opt.substring(eq + 1));
        }
        return lease;
    }

    /** {@code 250ms}, {@code 2s}, or a plain number of milliseconds. */
    public static Duration parseDuration(String spec, String v) {
        String t = v.trim().toLowerCase(Locale.ROOT);
        try {
            long n;
            if (t.endsWith("ms")) {
                n = Long.parseLong(t.substring(0, t.length() - 2));
            } else if (t.endsWith("s")) {
                n = Math.multiplyExact(Long.parseLong(t.substring(0, t.length() - 1)), 1000L);
            } else {
                n = Long.parseLong(t);
            }
            if (n <= 0) {
                throw new NumberFormatException();
            }
            return Duration.ofMillis(n);
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException("arbiter spec '" + spec + "': bad duration '" + v + "' (like 250ms or 2s)");
        }
    }
}

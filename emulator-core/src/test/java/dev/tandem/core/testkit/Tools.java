package dev.tandem.core.testkit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.opentest4j.AssertionFailedError;
import org.opentest4j.TestAbortedException;

/**
 * What a test needs from outside the JVM (a tool on the PATH, a guest, test data, a compiler) and
 * what happens when it is missing.
 *
 * <p>By default a missing requirement skips the test, and the skip says what is missing and how to
 * get it. With {@code -Dtandem.requireTools=true} (what {@code .ci/run} passes) the same call fails
 * the test instead, so a CI run cannot go green while an oracle quietly did not run. Every test that
 * depends on something outside the JVM goes through {@link #require}; a test that skips on its own
 * (with {@code assumeTrue}) for a missing tool defeats the mode.
 *
 * <p>Use from any module's tests through the emulator-core test-jar (see docs/verification.md).
 */
public final class Tools {
    /** The system property that turns missing requirements into failures. */
    public static final String PROPERTY = "tandem.requireTools";

    private Tools() {
    }

    /** True when missing requirements fail ({@code -Dtandem.requireTools=true}). */
    public static boolean required() {
        return Boolean.getBoolean(PROPERTY);
    }

    /**
     * Returns when {@code ok}; otherwise skips the calling test (default) or fails it (require mode).
     *
     * @param ok      whether the requirement is met
     * @param missing what is missing, e.g. "nasm is not on the PATH"
     * @param install how to get it, e.g. "apt-get install nasm"
     */
    public static void require(boolean ok, String missing, String install) {
        if (ok) return;
        throw missing(missing, install);
    }

    /** As {@link #require(boolean, String, String)} for a probe: returns when {@code p} found its tool. */
    public static void require(Probe p) {
        require(p.ok(), p.missing(), p.install());
    }

    /**
     * For {@code throw Tools.missing(...)}: in require mode throws the failure itself, otherwise
     * returns the skip ({@link TestAbortedException}) for the caller to throw.
     */
    public static RuntimeException missing(String missing, String install) {
        String how = install == null || install.isEmpty() ? "" : "; to get it: " + install;
        if (required()) {
            throw new AssertionFailedError("required by -D" + PROPERTY + "=true but missing: " + missing + how);
        }
        return new TestAbortedException(missing + how + " (skipped; -D" + PROPERTY + "=true makes this a failure)");
    }

    /**
     * The outcome of looking for a tool: {@code version} is its first line of version output when
     * found, {@code missing} says why not otherwise.
     */
    public record Probe(String name, String version, String missing, String install) {
        public boolean ok() {
            return missing == null;
        }
    }

    private static final Map<String, Probe> PROBES = new ConcurrentHashMap<>();

    /**
     * Runs {@code command} (a version query) once per JVM; the tool counts as present when it
     * exits with status 0 within 30 s.
     */
    public static Probe probe(String name, List<String> command, String install) {
        return PROBES.computeIfAbsent(String.join("\u0000", command), k -> {
            try {
                Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                if (!p.waitFor(30, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    return new Probe(name, null, String.join(" ", command) + " did not answer within 30 s", install);
                }
                if (p.exitValue() != 0) {
                    return new Probe(name, null, String.join(" ", command) + " exited with status " + p.exitValue() + ": "
                            + out.strip(), install);
                }
                String first = out.lines().findFirst().orElse("").strip();
                return new Probe(name, first, null, install);
            } catch (IOException e) {
                return new Probe(name, null, command.get(0) + " is not installed (" + e.getMessage() + ")", install);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return new Probe(name, null, "interrupted while running " + command.get(0), install);
            }
        });
    }

    /**
     * The command to run for {@code tool}: {@code -Dtandem.TOOL=PATH} when given (and not empty),
     * else {@code tool} on the PATH. Naming a missing binary shows what a machine without the tool
     * gets (e.g. {@code -Dtandem.nasm=no-nasm}).
     */
    public static String binary(String tool) {
        String p = System.getProperty("tandem." + tool);
        return p == null || p.isBlank() ? tool : p;
    }

    /** {@code nasm}, the reference assembler ({@code -Dtandem.nasm=PATH}). */
    public static Probe nasm() {
        return probe("nasm", List.of(binary("nasm"), "-v"), "apt-get install nasm");
    }

    /** {@code cpio}, the reference initramfs reader ({@code -Dtandem.cpio=PATH}). */
    public static Probe cpio() {
        return probe("cpio", List.of(binary("cpio"), "--version"), "apt-get install cpio");
    }

    /** Skips or fails unless {@code nasm} runs. */
    public static void requireNasm() {
        require(nasm());
    }

    /** Skips or fails unless {@code cpio} runs. */
    public static void requireCpio() {
        require(cpio());
    }
}

package dev.tandem.core.testkit;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where things are, relative to the checkout, for tests in any module: the checkout's root,
 * {@code ../shared} beside it, the test data in it. Nothing here names a directory of one machine.
 */
public final class Checkout {
    private Checkout() {
    }

    private static Path root;

    /**
     * The checkout's root: the nearest directory at or above the working directory (a module
     * directory under Maven) that holds both {@code pom.xml} and {@code tandem-test}.
     */
    public static synchronized Path root() {
        if (root == null) {
            Path start = Path.of(System.getProperty("user.dir")).toAbsolutePath().normalize();
            for (Path d = start; d != null; d = d.getParent()) {
                if (Files.isRegularFile(d.resolve("tandem-test")) && Files.isRegularFile(d.resolve("pom.xml"))) {
                    root = d;
                    break;
                }
            }
            if (root == null) {
                throw new IllegalStateException("cannot find the checkout (a directory with pom.xml and tandem-test) at or above " + start);
            }
        }
        return root;
    }

    /** A path inside the checkout. */
    public static Path resolve(String relative) {
        return root().resolve(relative);
    }

    /**
     * The shared data directory: {@code -Dtandem.shared=DIR} when given (and not empty), else
     * {@code ../shared} beside the checkout.
     */
    public static Path shared() {
        String p = System.getProperty("tandem.shared");
        if (p != null && !p.isBlank()) return Path.of(p).toAbsolutePath().normalize();
        return root().resolveSibling("shared");
    }

    /** The SingleStepTests 80286 real-mode vectors in the shared directory (may be absent). */
    public static Path sstVectors() {
        return shared().resolve("testdata").resolve("sst-80286-real");
    }

    /** Skips or fails (see {@link Tools}) unless the SST vectors are present; returns their directory. */
    public static Path requireSstVectors() {
        Path d = sstVectors();
        Tools.require(Files.isRegularFile(d.resolve("metadata.json")),
                "the SingleStepTests 80286 vectors are not at " + d + " (no metadata.json)",
                "put the shared data directory beside the checkout as ../shared, or pass -Dtandem.shared=DIR");
        return d;
    }
}

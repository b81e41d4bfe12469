package dev.tandem.core.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The Debian i386 guest built by {@code guests/build-linux-guest.sh}: the one way every test finds
 * it. The directory is {@code -Dtandem.guest.dir=DIR} when given, else {@code guests/cache/out} in
 * the checkout. The guest is complete when the build's outputs are all there: {@code vmlinuz},
 * {@code initrd.cpio.gz} and the kernel's release ({@code kernel-release}, or
 * {@code kernel-package} from builds before that file existed).
 */
public final class LinuxGuest {
    private LinuxGuest() {
    }

    public static final String BUILD = "run guests/build-linux-guest.sh as root (Debian packages; cached in guests/cache)";

    /** The guest directory (it may be empty or absent). */
    public static Path dir() {
        String p = System.getProperty("tandem.guest.dir");
        if (p != null && !p.isBlank()) return Path.of(p).toAbsolutePath().normalize();
        return Checkout.resolve("guests/cache/out");
    }

    /** Why the guest cannot be used, or null when it is complete. */
    public static String missingReason() {
        Path d = dir();
        for (String f : new String[] {"vmlinuz", "initrd.cpio.gz"}) {
            if (!Files.isRegularFile(d.resolve(f))) return "no Linux guest: " + d.resolve(f) + " does not exist";
        }
        if (!Files.isRegularFile(d.resolve("kernel-release")) && !Files.isRegularFile(d.resolve("kernel-package"))) {
            return "incomplete Linux guest in " + d + ": neither kernel-release nor kernel-package (written by the build)";
        }
        return null;
    }

    public static boolean present() {
        return missingReason() == null;
    }

    /** Skips or fails (see {@link Tools}) unless the guest is complete; returns its directory. */
    public static Path require() {
        String why = missingReason();
        Tools.require(why == null, why, BUILD);
        return dir();
    }

    public static Path kernel() {
        return dir().resolve("vmlinuz");
    }

    public static Path initrd() {
        return dir().resolve("initrd.cpio.gz");
    }

    /**
     * The kernel's release as the guest build recorded it (what {@code uname -r} prints in the
     * guest, e.g. {@code 6.1.0-50-686}): {@code kernel-release}, else {@code kernel-package}
     * without its {@code linux-image-} prefix. Changes whenever Debian updates the kernel.
     */
    public static String kernelRelease() {
        Path d = require();
        try {
            Path rel = d.resolve("kernel-release");
            if (Files.isRegularFile(rel)) return nonEmpty(rel, Files.readString(rel, StandardCharsets.US_ASCII).strip());
            Path pkg = d.resolve("kernel-package");
            String p = Files.readString(pkg, StandardCharsets.US_ASCII).strip();
            if (!p.startsWith("linux-image-")) throw new IllegalStateException(pkg + " does not name a linux-image package: '" + p + "'");
            return nonEmpty(pkg, p.substring("linux-image-".length()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String nonEmpty(Path f, String s) {
        if (s.isEmpty()) throw new IllegalStateException(f + " is empty");
        return s;
    }
}

package dev.tandem.core.replay;

import java.nio.file.Path;

/** Lets tests in other packages find the cached Linux guest. */
public final class HarnessAccess {
    private HarnessAccess() {
    }

    public static Path linuxDir() {
        return Harness.linuxDir();
    }
}

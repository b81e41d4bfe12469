package dev.tandem.core.snapshot;

import java.io.IOException;

/** A snapshot file that cannot be used: wrong magic or version, truncated, or corrupted. */
public final class SnapshotFormatException extends IOException {
    public SnapshotFormatException(String message) {
        super(message);
    }

    public SnapshotFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}

package dev.tandem.core.replay;

import java.io.IOException;

/** An input log that cannot be read: bad header, truncated or corrupted record (the message names it). */
public final class LogFormatException extends IOException {
    public LogFormatException(String message) {
        super(message);
    }
}

package dev.tandem.core.replay;

import java.io.IOException;

/**
 * Where a {@link Replayer} takes its records from: a log file ({@link LogReader}) or a live
 * stream (a replica's queue of records received from its leader, which may block until the next
 * record arrives).
 */
public interface RecordSource {
    /**
     * The next record. A file returns null at a clean end; a live stream blocks until a record
     * arrives and returns null when the stream ends here (the replica stops following).
     */
    LogRecord next() throws IOException;

    /** Index the next record will have (for messages). */
    long nextIndex();

    /** Byte offset of the next record, or -1 when the source has none (for messages). */
    default long offset() {
        return -1;
    }
}

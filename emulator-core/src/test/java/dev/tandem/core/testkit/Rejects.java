package dev.tandem.core.testkit;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.function.Executable;

/**
 * One scenario of a "bad input is rejected" test, for {@code assertAll(...)}: every scenario runs
 * and reports, so the first failing one does not hide the others.
 */
public final class Rejects {
    private Rejects() {
    }

    /**
     * {@code call} must throw an {@link IllegalArgumentException} whose message contains every one
     * of {@code messageParts}; {@code what} names the scenario in the report.
     */
    public static Executable rejects(String what, Executable call, String... messageParts) {
        return () -> {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call, what + ": not rejected");
            for (String p : messageParts) {
                assertTrue(String.valueOf(e.getMessage()).contains(p), what + ": message lacks '" + p + "': " + e.getMessage());
            }
        };
    }
}

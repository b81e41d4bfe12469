package dev.tandem.cli;

/**
 * Log line format (slf4j-simple, configured in {@code simplelogger.properties}): by default short
 * lines on standard error, {@code [INFO] message}, so an interactive console shows the guest and
 * not the emulator; with {@code -v} each line also carries the time, thread and logger, and
 * Tandem's debug messages are shown.
 */
final class Logging {
    private Logging() {
    }

    /**
     * Applies {@code -v} if it is among {@code args} (before {@code --}). Must run before the first
     * logger is created: picocli instantiates the commands, and with them their static loggers,
     * before it parses the arguments, hence this scan of the raw arguments. Properties already set
     * with {@code -D} win.
     */
    static void configure(String[] args) {
        boolean verbose = false;
        for (String a : args) {
            if (a.equals("--")) break;
            if (a.equals("-v")) verbose = true;
        }
        if (!verbose) return;
        set("org.slf4j.simpleLogger.showDateTime", "true");
        set("org.slf4j.simpleLogger.dateTimeFormat", "HH:mm:ss.SSS");
        set("org.slf4j.simpleLogger.showThreadName", "true");
        set("org.slf4j.simpleLogger.showLogName", "true");
        set("org.slf4j.simpleLogger.log.dev.tandem", "debug");
    }

    private static void set(String key, String value) {
        if (System.getProperty(key) == null) System.setProperty(key, value);
    }
}

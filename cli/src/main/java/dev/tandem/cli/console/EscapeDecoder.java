package dev.tandem.cli.console;

import java.util.Locale;

/**
 * Splits console input into guest bytes and console commands, the way QEMU's {@code -nographic}
 * console does: after the escape prefix (Ctrl-A by default) one key is a command: {@code x}
 * quits, {@code s} saves a snapshot, {@code p} pauses or resumes, {@code h} (or {@code ?})
 * lists the keys, and the prefix itself sends one literal prefix byte to the guest. Every other
 * byte goes to the guest unchanged. Single-threaded (the console's input thread).
 */
public final class EscapeDecoder {
    /** What the command keys do. Called on the input thread. */
    public interface Actions {
        void quit();

        void snapshot();

        void togglePause();

        void help();

        /** A key after the prefix that is no command (it is dropped). */
        void unknown(int key);
    }

    /** No escape prefix: every byte goes to the guest. */
    public static final int NONE = -1;

    private final int prefix;
    private final Actions actions;
    private boolean afterPrefix;

    /** @param prefix the escape byte (0..255) or {@link #NONE} */
    public EscapeDecoder(int prefix, Actions actions) {
        if (prefix != NONE && (prefix < 0 || prefix > 0xFF)) throw new IllegalArgumentException("escape byte " + prefix);
        this.prefix = prefix;
        this.actions = actions;
    }

    public int prefix() {
        return prefix;
    }

    /** Feeds one input byte; returns the byte for the guest, or -1 when it was (part of) a command. */
    public int accept(int b) {
        b &= 0xFF;
        if (prefix == NONE) return b;
        if (!afterPrefix) {
            if (b == prefix) {
                afterPrefix = true;
                return -1;
            }
            return b;
        }
        afterPrefix = false;
        if (b == prefix) return b;
        switch (Character.toLowerCase((char) b)) {
            case 'x' -> actions.quit();
            case 's' -> actions.snapshot();
            case 'p' -> actions.togglePause();
            case 'h', '?' -> actions.help();
            default -> actions.unknown(b);
        }
        return -1;
    }

    /**
     * Parses an escape key: {@code ctrl-a}, {@code C-a}, {@code ^A} (a letter or one of
     * {@code @[\]^_}), a byte value ({@code 0x01}, {@code 1}), or {@code none}.
     */
    public static int parseKey(String s) {
        String t = s.strip().toLowerCase(Locale.ROOT);
        if (t.equals("none")) return NONE;
        String ctrl = null;
        if (t.startsWith("ctrl-") || t.startsWith("ctrl+")) ctrl = t.substring(5);
        else if (t.startsWith("c-")) ctrl = t.substring(2);
        else if (t.startsWith("^") && t.length() == 2) ctrl = t.substring(1);
        if (ctrl != null) {
            if (ctrl.length() == 1) {
                char c = Character.toUpperCase(ctrl.charAt(0));
                if (c >= '@' && c <= '_') return c - '@';
            }
            throw new IllegalArgumentException("bad --escape '" + s + "': Ctrl- takes a letter or one of @[\\]^_");
        }
        try {
            int v = t.startsWith("0x") ? Integer.parseInt(t.substring(2), 16) : Integer.parseInt(t);
            if (v >= 0 && v <= 0xFF) return v;
        } catch (NumberFormatException e) {
            // below
        }
        throw new IllegalArgumentException("bad --escape '" + s + "': use ctrl-LETTER (e.g. ctrl-a, ctrl-t), ^LETTER, "
                + "a byte value such as 0x14, or none");
    }

    /** How a key is written for people: {@code Ctrl-A}, {@code 0x7F}, {@code 'q'}. */
    public static String describe(int key) {
        if (key == NONE) return "none";
        if (key < 0x20) return "Ctrl-" + (char) ('@' + key);
        if (key < 0x7F) return "'" + (char) key + "'";
        return String.format("0x%02X", key);
    }
}

package dev.tandem.cli.console;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import org.jline.terminal.Attributes;
import org.jline.terminal.Attributes.ControlChar;
import org.jline.terminal.Attributes.InputFlag;
import org.jline.terminal.Attributes.LocalFlag;
import org.jline.terminal.Attributes.OutputFlag;
import org.junit.jupiter.api.Test;

/** The escape-key decoder, key parsing and the raw terminal settings. */
class EscapeDecoderTest {
    /** Feeds {@code in}; returns the guest bytes and the actions as "x", "s", "p", "h", "?NN". */
    private static String[] decode(int prefix, int... in) {
        List<String> acts = new ArrayList<>();
        EscapeDecoder d = new EscapeDecoder(prefix, new EscapeDecoder.Actions() {
            @Override
            public void quit() {
                acts.add("x");
            }

            @Override
            public void snapshot() {
                acts.add("s");
            }

            @Override
            public void togglePause() {
                acts.add("p");
            }

            @Override
            public void help() {
                acts.add("h");
            }

            @Override
            public void unknown(int key) {
                acts.add(String.format("?%02x", key));
            }
        });
        StringBuilder guest = new StringBuilder();
        for (int b : in) {
            int g = d.accept(b);
            if (g >= 0) guest.append(String.format("%02x ", g));
        }
        return new String[] {guest.toString().strip(), String.join(",", acts)};
    }

    @Test
    void commandsAfterThePrefixOtherBytesPassThrough() {
        String[] r = decode(0x01, 'a', 0x03, 0x1A, 0x1B, '[', 'A', 0x01, 'h', 'b', 0x01, 'p', 0x01, 'P', 0x01, 's',
                0x01, 0x01, 0x01, 'z', 0x01, '?', 0x01, 'x', 'c');
        assertEquals("61 03 1a 1b 5b 41 62 01 63", r[0]);
        assertEquals("h,p,p,s,?7a,h,x", r[1]);
    }

    @Test
    void anotherPrefixAndNone() {
        // Ctrl-T as prefix: Ctrl-A is an ordinary byte
        String[] r = decode(0x14, 0x01, 'x', 0x14, 0x14, 0x14, 'x');
        assertEquals("01 78 14", r[0]);
        assertEquals("x", r[1]);
        String[] none = decode(EscapeDecoder.NONE, 0x01, 'x', 0x01, 0x01);
        assertEquals("01 78 01 01", none[0]);
        assertEquals("", none[1]);
        // a prefix split from its key by time is still one command (state is kept between bytes)
        assertEquals("", decode(0x01, 0x01)[0]);
    }

    @Test
    void keySpellings() {
        assertEquals(0x01, EscapeDecoder.parseKey("ctrl-a"));
        assertEquals(0x01, EscapeDecoder.parseKey("Ctrl-A"));
        assertEquals(0x01, EscapeDecoder.parseKey("C-a"));
        assertEquals(0x14, EscapeDecoder.parseKey("^T"));
        assertEquals(0x1D, EscapeDecoder.parseKey("ctrl-]"));
        assertEquals(0x14, EscapeDecoder.parseKey("0x14"));
        assertEquals(20, EscapeDecoder.parseKey("20"));
        assertEquals(EscapeDecoder.NONE, EscapeDecoder.parseKey("none"));
        for (String bad : new String[] {"ctrl-", "ctrl-ab", "ctrl-1", "0x100", "-1", "xyz", ""}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> EscapeDecoder.parseKey(bad), bad);
            assertTrue(e.getMessage().contains("--escape"), e.getMessage());
        }
        assertEquals("Ctrl-A", EscapeDecoder.describe(0x01));
        assertEquals("Ctrl-]", EscapeDecoder.describe(0x1D));
        assertEquals("'~'", EscapeDecoder.describe('~'));
        assertEquals("0x7F", EscapeDecoder.describe(0x7F));
    }

    @Test
    void rawSettingsTurnOffLineDisciplineButKeepOutputProcessing() {
        Attributes cooked = new Attributes();
        cooked.setInputFlags(EnumSet.of(InputFlag.ICRNL, InputFlag.IXON, InputFlag.BRKINT, InputFlag.IUTF8));
        cooked.setOutputFlags(EnumSet.of(OutputFlag.OPOST, OutputFlag.ONLCR));
        cooked.setLocalFlags(EnumSet.of(LocalFlag.ECHO, LocalFlag.ICANON, LocalFlag.ISIG, LocalFlag.IEXTEN, LocalFlag.ECHOE,
                LocalFlag.ECHOK, LocalFlag.ECHOCTL, LocalFlag.ECHOKE));
        cooked.setControlChar(ControlChar.VMIN, 0);
        cooked.setControlChar(ControlChar.VTIME, 5);
        cooked.setControlChar(ControlChar.VINTR, 3);
        Attributes raw = RawTerminal.raw(cooked);
        for (LocalFlag f : new LocalFlag[] {LocalFlag.ECHO, LocalFlag.ICANON, LocalFlag.ISIG, LocalFlag.IEXTEN, LocalFlag.ECHONL}) {
            assertFalse(raw.getLocalFlag(f), f.toString());
        }
        for (InputFlag f : new InputFlag[] {InputFlag.ICRNL, InputFlag.IXON, InputFlag.BRKINT, InputFlag.INLCR, InputFlag.IGNCR}) {
            assertFalse(raw.getInputFlag(f), f.toString());
        }
        assertTrue(raw.getInputFlag(InputFlag.IUTF8), "untouched flags stay");
        assertTrue(raw.getOutputFlag(OutputFlag.OPOST) && raw.getOutputFlag(OutputFlag.ONLCR), "output processing stays");
        assertEquals(1, raw.getControlChar(ControlChar.VMIN));
        assertEquals(0, raw.getControlChar(ControlChar.VTIME));
        assertEquals(3, raw.getControlChar(ControlChar.VINTR), "control characters other than VMIN/VTIME stay");
        assertTrue(cooked.getLocalFlag(LocalFlag.ECHO), "the saved settings are not modified");
    }
}

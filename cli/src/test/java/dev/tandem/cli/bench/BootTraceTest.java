package dev.tandem.cli.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class BootTraceTest {
    private static final Pattern PROMPT = Pattern.compile("^(\\S+@\\S+:)?[~/]\\S*\\s?[#$] $");

    /** Feeds text, each byte at time {@code t}; returns whether a stop marker was reached. */
    private static boolean feed(BootTrace tr, String s, long t) {
        boolean stop = false;
        for (byte b : s.getBytes(StandardCharsets.ISO_8859_1)) stop |= tr.accept(b & 0xFF, t);
        return stop;
    }

    @Test
    void markersAreStampedWithTheFirstByteOfTheirLine() {
        BootTrace tr = new BootTrace(1000, PROMPT, Map.of(), Set.of("END"));
        feed(tr, "[    0.1] kernel says hi\r\n", 1500);
        feed(tr, "MARK BOO", 2000);
        assertFalse(feed(tr, "T 2.60\r\n", 9000));
        feed(tr, "\u001b[0mjunk MARK MD5 3.02\n", 12000);
        feed(tr, "RES MD5 2c7ab85a893283e98c931e9511add182\n", 12100);
        feed(tr, "MARK BOOT 99\n", 13000); // only the first occurrence counts
        assertTrue(feed(tr, "MARK END 13.03\n", 20000));
        assertEquals(List.of("BOOT", "MD5", "END"), List.copyOf(tr.marks().keySet()));
        assertEquals(1000L, tr.marks().get("BOOT"));
        assertEquals(11000L, tr.marks().get("MD5"));
        assertEquals(19000L, tr.marks().get("END"));
        assertEquals("2c7ab85a893283e98c931e9511add182", tr.results().get("MD5"));
    }

    @Test
    void promptIsFoundBeforeItsNewlineAndExtraMarkersWork() {
        BootTrace tr = new BootTrace(0, PROMPT, Map.of("RUNINIT", Pattern.compile("Run /init")), Set.of(BootTrace.PROMPT));
        feed(tr, "Run /init as init process\n", 5);
        feed(tr, "# echo is not a prompt\n", 6);
        feed(tr, "echo # nor is this\n", 6);
        assertFalse(tr.marks().containsKey(BootTrace.PROMPT));
        feed(tr, "~ ", 7);
        assertTrue(feed(tr, "# ", 8));
        assertEquals(7L, tr.marks().get(BootTrace.PROMPT));
        assertEquals(5L, tr.marks().get("RUNINIT"));
    }

    @Test
    void statsAndJson() {
        Stats s = Stats.of(new double[] {3, 1, 2, 10});
        assertEquals(2.5, s.median());
        assertEquals(1, s.min());
        assertEquals(10, s.max());
        assertEquals("2.50 [1.00..10.00]", s.format(2));
        assertEquals("{\n  \"a\": [1.5, 0],\n  \"b\": \"x\\\"y\",\n  \"c\": null\n}\n", json());
    }

    private static String json() {
        Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("a", new double[] {1.5, 0});
        m.put("b", "x\"y");
        m.put("c", null);
        return Json.write(m);
    }
}

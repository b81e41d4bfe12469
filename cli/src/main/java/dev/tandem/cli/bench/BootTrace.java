package dev.tandem.cli.bench;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Splits a serial byte stream into lines, each stamped with the host time of its first byte, and
 * picks out the markers of one boot:
 * <ul>
 *   <li>{@code MARK <name> ...} anywhere in a line: marker {@code <name>} (the anchors' bench
 *       guest prints {@code MARK BOOT <uptime>} ... {@code MARK END <uptime>});</li>
 *   <li>{@code RES <name> <value...>} anywhere in a line: a result value to compare;</li>
 *   <li>the shell-prompt pattern, matched against the whole (possibly unfinished) line: marker
 *       {@code PROMPT};</li>
 *   <li>any extra {@code NAME=REGEX} markers (found anywhere in a line).</li>
 * </ul>
 * Only the first occurrence of each marker counts. Not thread-safe: feed it from one thread.
 */
public final class BootTrace {
    /** Name of the shell-prompt marker. */
    public static final String PROMPT = "PROMPT";

    private final long t0;
    private final Pattern prompt;
    private final Map<String, Pattern> extra;
    private final Set<String> stopAt;
    private final Map<String, Long> marks = new LinkedHashMap<>();
    private final Map<String, String> res = new LinkedHashMap<>();
    private final Deque<String> lastLines = new ArrayDeque<>();
    private final byte[] line = new byte[4096];
    private int lineLen;
    private long lineStart = -1;
    private boolean stopReached;
    private long bytes;

    /**
     * @param t0     host time zero ({@code System.nanoTime()} at the spawn or start)
     * @param prompt shell-prompt pattern (null: none)
     * @param extra  extra named patterns
     * @param stopAt marker names that end the run when reached
     */
    public BootTrace(long t0, Pattern prompt, Map<String, Pattern> extra, Set<String> stopAt) {
        this.t0 = t0;
        this.prompt = prompt;
        this.extra = extra;
        this.stopAt = stopAt;
    }

    /** Feeds one byte received at {@code now}; returns true once a stop marker has been reached. */
    public boolean accept(int b, long now) {
        bytes++;
        if (lineStart < 0) lineStart = now;
        if (b == '\n') {
            String s = text();
            endLine(s, true);
            lineLen = 0;
            lineStart = -1;
        } else if (b != '\r') {
            if (lineLen < line.length) line[lineLen++] = (byte) b;
            // a prompt has no newline: look at the unfinished line when it could end in one
            if (prompt != null && (b == ' ' || b == '#' || b == '$' || b == '>') && !marks.containsKey(PROMPT)) {
                if (prompt.matcher(text()).find()) mark(PROMPT, lineStart);
            }
        }
        return stopReached;
    }

    private String text() {
        return new String(line, 0, lineLen, StandardCharsets.ISO_8859_1);
    }

    private void endLine(String s, boolean complete) {
        if (lastLines.size() == 20) lastLines.removeFirst();
        lastLines.addLast(s);
        int k = s.indexOf("MARK ");
        if (k >= 0) {
            String[] p = s.substring(k).trim().split("\\s+");
            if (p.length >= 2) mark(p[1], lineStart);
        }
        k = s.indexOf("RES ");
        if (k >= 0) {
            String[] p = s.substring(k).trim().split("\\s+", 3);
            if (p.length >= 3 && !res.containsKey(p[1])) res.put(p[1], p[2].trim());
        }
        if (prompt != null && !marks.containsKey(PROMPT) && prompt.matcher(s).find()) mark(PROMPT, lineStart);
        for (Map.Entry<String, Pattern> e : extra.entrySet()) {
            if (!marks.containsKey(e.getKey()) && e.getValue().matcher(s).find()) mark(e.getKey(), lineStart);
        }
    }

    private void mark(String name, long at) {
        if (marks.containsKey(name)) return;
        marks.put(name, at - t0);
        if (stopAt.contains(name)) stopReached = true;
    }

    /** Flushes an unfinished last line (call once at the end). */
    public void finish() {
        if (lineLen > 0) endLine(text(), false);
        lineLen = 0;
        lineStart = -1;
    }

    public boolean stopReached() {
        return stopReached;
    }

    /** Marker name to nanoseconds since t0, in the order reached. */
    public Map<String, Long> marks() {
        return marks;
    }

    public Map<String, String> results() {
        return res;
    }

    public long bytes() {
        return bytes;
    }

    /** The last lines seen (for diagnostics). */
    public List<String> lastLines() {
        return new ArrayList<>(lastLines);
    }
}

package dev.tandem.core.testkit;

import java.util.function.Function;

/**
 * Expands {@code %include "file"} lines of an assembly source (our assembler has no include
 * path; the tests resolve includes themselves, one way). Included files may include others; a
 * cycle is an error.
 */
public final class AsmIncludes {
    private AsmIncludes() {
    }

    /**
     * Returns {@code source} with every {@code %include "name"} line replaced by
     * {@code loader.apply(name)}, recursively.
     */
    public static String expand(String source, Function<String, String> loader) {
        return expand(source, loader, new java.util.ArrayDeque<>());
    }

    private static String expand(String source, Function<String, String> loader, java.util.Deque<String> stack) {
        StringBuilder sb = new StringBuilder();
        String[] lines = source.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            String t = line.strip();
            if (t.startsWith("%include")) {
                int a = t.indexOf('"'), b = t.lastIndexOf('"');
                if (a < 0 || b <= a) throw new IllegalArgumentException("bad %include line: " + line);
                String name = t.substring(a + 1, b);
                if (stack.contains(name)) throw new IllegalArgumentException("%include cycle: " + stack + " -> " + name);
                stack.push(name);
                sb.append(expand(loader.apply(name), loader, stack));
                stack.pop();
                if (!sb.isEmpty() && sb.charAt(sb.length() - 1) != '\n') sb.append('\n');
            } else {
                sb.append(line);
                if (i < lines.length - 1) sb.append('\n');
            }
        }
        return sb.toString();
    }
}

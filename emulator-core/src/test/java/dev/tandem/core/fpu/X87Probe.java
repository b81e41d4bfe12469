package dev.tandem.core.fpu;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Investigation tool (not a test): runs hand-written x87 cases on the host harness and on {@link X87}
 * and prints both. Input lines on stdin: {@code op modrm cw sw st0 [st1 ...]} in hex, registers as
 * {@code se:sig} (ST(i) valid for each given value, the rest empty). Run from emulator-core after
 * test-compile: {@code java -cp target/classes:target/test-classes dev.tandem.core.fpu.X87Probe}.
 */
public final class X87Probe {
    private X87Probe() {
    }

    public static void main(String[] args) throws Exception {
        X87DiffTest.assumeHarness();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        List<X87DiffTest.Case> cases = new ArrayList<>();
        List<String> lines = new ArrayList<>();
        for (String line; (line = in.readLine()) != null; ) {
            line = line.trim();
            if (line.isEmpty() || line.startsWith("#")) continue;
            String[] t = line.split("\\s+");
            X87DiffTest.Case c = new X87DiffTest.Case();
            c.opcode = Integer.parseInt(t[0], 16);
            c.modrm = Integer.parseInt(t[1], 16);
            c.fam = X87DiffTest.FAMS.get(0);
            byte[] b = c.in;
            X87DiffTest.put32(b, 0, (c.opcode << 8) | c.modrm);
            X87DiffTest.put32(b, 4, 2);
            int cw = Integer.parseInt(t[2], 16), sw = Integer.parseInt(t[3], 16);
            int top = (sw >> 11) & 7;
            int tw = 0xFFFF;
            for (int i = 0; i < 8; i++) {
                int p = (top + i) & 7;
                if (4 + i < t.length) {
                    String[] v = t[4 + i].split(":");
                    int se = Integer.parseInt(v[0], 16);
                    long sig = Long.parseUnsignedLong(v[1], 16);
                    X87DiffTest.put64(b, 8 + 28 + 10 * i, sig);
                    X87DiffTest.put16(b, 8 + 36 + 10 * i, se);
                    tw &= ~(3 << (2 * p));
                    tw |= X87.tagOf(se, sig) << (2 * p);
                }
            }
            X87DiffTest.put32(b, 8, 0xFFFF0000 | cw);
            X87DiffTest.put32(b, 12, 0xFFFF0000 | sw);
            X87DiffTest.put32(b, 16, 0xFFFF0000 | tw);
            cases.add(c);
            lines.add(line);
        }
        byte[] nat = X87DiffTest.runNative(cases);
        for (int i = 0; i < cases.size(); i++) {
            byte[] jav = X87DiffTest.runJava(cases.get(i));
            byte[] n = new byte[X87DiffTest.REC];
            System.arraycopy(nat, i * X87DiffTest.REC, n, 0, X87DiffTest.REC);
            System.out.println("in : " + lines.get(i));
            System.out.println("hw : " + brief(n));
            String j = brief(jav);
            System.out.println("jav: " + j + (j.equals(brief(n)) ? "  (same)" : "  DIFF"));
        }
    }

    static String brief(byte[] b) {
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        int sw = bb.getShort(4) & 0xFFFF, tw = bb.getShort(8) & 0xFFFF;
        int top = (sw >> 11) & 7;
        StringBuilder s = new StringBuilder(String.format("sw=%04x", sw));
        for (int i = 0; i < 8; i++) {
            int p = (top + i) & 7;
            if (((tw >> (2 * p)) & 3) == 3) continue;
            s.append(String.format(" st%d=%04x:%016x", i, bb.getShort(36 + 10 * i) & 0xFFFF, bb.getLong(28 + 10 * i)));
        }
        return s.toString();
    }
}

package dev.tandem.core.difftest;

import static dev.tandem.core.difftest.Gen.EAX;
import static dev.tandem.core.difftest.Gen.EBX;
import static dev.tandem.core.difftest.Gen.ECX;
import static dev.tandem.core.difftest.Gen.EDI;
import static dev.tandem.core.difftest.Gen.EDX;
import static dev.tandem.core.difftest.Gen.ESI;
import static dev.tandem.core.difftest.UndefinedFlags.*;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.Predicate;

/** The table of instruction forms and a deterministic case stream over them. */
final class CaseGenerator {
    static final String[] CC = {"o", "no", "b", "ae", "e", "ne", "be", "a", "s", "ns", "p", "np", "l", "ge", "le", "g"};
    private static final int[] SIZES = {8, 16, 32};
    private static final int[] WIDE = {16, 32};

    private final List<Form> forms;
    private final Gen g;

    CaseGenerator(long seed, Predicate<Form> filter) {
        this(seed, filter, false);
    }

    /** {@code faults}: the fault-layout forms of {@link FaultForms} instead of the ordinary table. */
    CaseGenerator(long seed, Predicate<Form> filter, boolean faults) {
        List<Form> all = faults ? FaultForms.all() : allForms();
        List<Form> sel = new ArrayList<>();
        for (Form f : all) if (filter.test(f)) sel.add(f);
        if (sel.isEmpty()) throw new IllegalArgumentException("the form filter selects no instruction form");
        forms = Collections.unmodifiableList(sel);
        g = new Gen(seed);
    }

    List<Form> forms() {
        return forms;
    }

    TestCase next() {
        Form f = forms.get(g.rnd.nextInt(forms.size()));
        TestCase c = new TestCase(f);
        g.begin(c);
        f.builder().build(g, c);
        g.finish();
        return c;
    }

    // ------------------------------------------------------------------ the form table

    static List<Form> allForms() {
        List<Form> l = new ArrayList<>();
        alu(l);
        unary(l);
        shifts(l);
        doubleShifts(l);
        mulDiv(l);
        bcd(l);
        bitOps(l);
        misc(l);
        strings(l);
        lock(l);
        moves(l);
        stack(l);
        return l;
    }

    private static String sz(String pattern, int s) {
        return pattern.replace("R", "r" + s).replace("M", "m" + s).replace("I", "imm" + s);
    }

    private static int w(int s) {
        return s == 8 ? 0 : 1;
    }

    private static void alu(List<Form> l) {
        String[] names = {"add", "or", "adc", "sbb", "and", "sub", "xor", "cmp"};
        for (int i = 0; i < 8; i++) {
            final int op = i;
            final int fl = (op == 1 || op == 4 || op == 6) ? LOGIC : ARITH;
            String cat = fl == LOGIC ? "alu-logic" : "alu-arith";
            for (int s : SIZES) {
                l.add(new Form(sz(names[op] + " R,R", s), cat, (g, c) -> {
                    int d = g.pickReg(s), r = g.pickReg(s);
                    g.setReg(s, d, g.val(s));
                    g.setReg(s, r, g.val(s));
                    g.osize(s);
                    g.b(op * 8 + w(s));
                    g.modrmReg(r, d);
                    c.flagsDefined = fl;
                }));
                l.add(new Form(sz(names[op] + " R,I", s), cat, (g, c) -> {
                    int d = g.pickReg(s);
                    g.setReg(s, d, g.val(s));
                    g.osize(s);
                    g.b(s == 8 ? 0x80 : 0x81);
                    g.modrmReg(op, d);
                    g.imm(s, g.val(s));
                    c.flagsDefined = fl;
                }));
                l.add(new Form(sz(names[op] + " acc,I", s), cat, (g, c) -> {
                    g.setReg(s, EAX, g.val(s));
                    g.osize(s);
                    g.b(op * 8 + 4 + w(s));
                    g.imm(s, g.val(s));
                    c.flagsDefined = fl;
                }));
                l.add(new Form(sz(names[op] + " R,M", s), cat, (g, c) -> {
                    int off = g.randomOff(s / 8);
                    g.chooseMem(off);
                    g.setMem(off, s, g.val(s));
                    int d = g.pickReg(s);
                    g.setReg(s, d, g.val(s));
                    g.osize(s);
                    g.b(op * 8 + 2 + w(s));
                    g.emitMem(d);
                    c.flagsDefined = fl;
                }));
                l.add(new Form(sz(names[op] + " M,R", s), cat, (g, c) -> {
                    int off = g.randomOff(s / 8);
                    g.chooseMem(off);
                    g.setMem(off, s, g.val(s));
                    int r = g.pickReg(s);
                    g.setReg(s, r, g.val(s));
                    g.osize(s);
                    g.b(op * 8 + w(s));
                    g.emitMem(r);
                    c.flagsDefined = fl;
                }));
                l.add(new Form(sz(names[op] + " M,I", s), cat, (g, c) -> {
                    int off = g.randomOff(s / 8);
                    g.chooseMem(off);
                    g.setMem(off, s, g.val(s));
                    g.osize(s);
                    g.b(s == 8 ? 0x80 : 0x81);
                    g.emitMem(op);
                    g.imm(s, g.val(s));
                    c.flagsDefined = fl;
                }));
                if (s != 8) {
                    l.add(new Form(sz(names[op] + " R,imm8s", s), cat, (g, c) -> {
                        int d = g.pickReg(s);
                        g.setReg(s, d, g.val(s));
                        g.osize(s);
                        g.b(0x83);
                        g.modrmReg(op, d);
                        g.imm(8, g.val(8));
                        c.flagsDefined = fl;
                    }));
                    l.add(new Form(sz(names[op] + " M,imm8s", s), cat, (g, c) -> {
                        int off = g.randomOff(s / 8);
                        g.chooseMem(off);
                        g.setMem(off, s, g.val(s));
                        g.osize(s);
                        g.b(0x83);
                        g.emitMem(op);
                        g.imm(8, g.val(8));
                        c.flagsDefined = fl;
                    }));
                }
            }
        }
        for (int s : SIZES) { // TEST
            l.add(new Form(sz("test R,R", s), "alu-logic", (g, c) -> {
                int d = g.pickReg(s), r = g.pickReg(s);
                g.setReg(s, d, g.val(s));
                g.setReg(s, r, g.val(s));
                g.osize(s);
                g.b(0x84 + w(s));
                g.modrmReg(r, d);
                c.flagsDefined = LOGIC;
            }));
            l.add(new Form(sz("test M,R", s), "alu-logic", (g, c) -> {
                int off = g.randomOff(s / 8);
                g.chooseMem(off);
                g.setMem(off, s, g.val(s));
                int r = g.pickReg(s);
                g.setReg(s, r, g.val(s));
                g.osize(s);
                g.b(0x84 + w(s));
                g.emitMem(r);
                c.flagsDefined = LOGIC;
            }));
            l.add(new Form(sz("test R,I", s), "alu-logic", (g, c) -> {
                int d = g.pickReg(s);
                g.setReg(s, d, g.val(s));
                g.osize(s);
                g.b(0xF6 + w(s));
                g.modrmReg(0, d);
                g.imm(s, g.val(s));
                c.flagsDefined = LOGIC;
            }));
            l.add(new Form(sz("test M,I", s), "alu-logic", (g, c) -> {
                int off = g.randomOff(s / 8);
                g.chooseMem(off);
                g.setMem(off, s, g.val(s));
                g.osize(s);
                g.b(0xF6 + w(s));
                g.emitMem(0);
                g.imm(s, g.val(s));
                c.flagsDefined = LOGIC;
            }));
            l.add(new Form(sz("test acc,I", s), "alu-logic", (g, c) -> {
                g.setReg(s, EAX, g.val(s));
                g.osize(s);
                g.b(0xA8 + w(s));
                g.imm(s, g.val(s));
                c.flagsDefined = LOGIC;
            }));
        }
    }

    private static void unary(List<Form> l) {
        String[] names = {"inc", "dec", "not", "neg"};
        int[] ext = {0, 1, 2, 3};
        for (int k = 0; k < 4; k++) {
            final int e = ext[k];
            final boolean incdec = k < 2;
            final int fl = k == 2 ? NONE_AFFECTED : ARITH;
            for (int s : SIZES) {
                int opc = incdec ? 0xFE + w(s) : 0xF6 + w(s);
                l.add(new Form(sz(names[k] + " R", s), "alu-unary", (g, c) -> {
                    int d = g.pickReg(s);
                    g.setReg(s, d, g.val(s));
                    g.osize(s);
                    g.b(opc);
                    g.modrmReg(e, d);
                    c.flagsDefined = fl;
                }));
                l.add(new Form(sz(names[k] + " M", s), "alu-unary", (g, c) -> {
                    int off = g.randomOff(s / 8);
                    g.chooseMem(off);
                    g.setMem(off, s, g.val(s));
                    g.osize(s);
                    g.b(opc);
                    g.emitMem(e);
                    c.flagsDefined = fl;
                }));
                if (incdec && s != 8) {
                    l.add(new Form(sz(names[k] + " R (short)", s), "alu-unary", (g, c) -> {
                        int d = g.pickReg(s);
                        g.setReg(s, d, g.val(s));
                        g.osize(s);
                        g.b(0x40 + 8 * e + d);
                        c.flagsDefined = fl;
                    }));
                }
            }
        }
    }

    private static void shifts(List<Form> l) {
        // /6 is the undocumented alias of SHL (SAL) that Intel and AMD processors execute as SHL
        String[] names = {"rol", "ror", "rcl", "rcr", "shl", "shr", "sal(/6)", "sar"};
        String[] kinds = {"1", "cl", "imm8"};
        for (int op = 0; op < 8; op++) {
            if (names[op] == null) continue;
            final int o = op;
            for (int k = 0; k < 3; k++) {
                final int kind = k;
                for (boolean mem : new boolean[] {false, true}) {
                    for (int s : SIZES) {
                        String name = names[op] + " " + (mem ? "m" : "r") + s + "," + kinds[k];
                        l.add(new Form(name, "shift-rotate", (g, c) -> {
                            if (kind == 1) g.implicit(ECX);
                            int d = 0, off = 0;
                            if (mem) {
                                off = g.randomOff(s / 8);
                                g.chooseMem(off);
                                g.setMem(off, s, g.val(s));
                            } else {
                                d = g.pickReg(s);
                                g.setReg(s, d, g.val(s));
                            }
                            int cnt;
                            if (kind == 0) {
                                cnt = 1;
                            } else if (kind == 1) {
                                g.setReg(8, 1, g.count());
                                cnt = g.getReg(8, 1);
                            } else {
                                cnt = g.count();
                            }
                            g.osize(s);
                            g.b((kind == 0 ? 0xD0 : kind == 1 ? 0xD2 : 0xC0) + w(s));
                            if (mem) g.emitMem(o);
                            else g.modrmReg(o, d);
                            if (kind == 2) g.imm(8, cnt);
                            c.flagsDefined = shiftRotate(o, s, cnt);
                        }));
                    }
                }
            }
        }
    }

    private static void doubleShifts(List<Form> l) {
        for (int dir = 0; dir < 2; dir++) {
            final int base = dir == 0 ? 0xA4 : 0xAC;
            String nm = dir == 0 ? "shld" : "shrd";
            for (int k = 0; k < 2; k++) {
                final boolean cl = k == 1;
                for (boolean mem : new boolean[] {false, true}) {
                    for (int s : WIDE) {
                        String name = nm + " " + (mem ? "m" : "r") + s + ",r" + s + "," + (cl ? "cl" : "imm8");
                        l.add(new Form(name, "shld-shrd", (g, c) -> {
                            if (cl) g.implicit(ECX);
                            int d = 0, off = 0;
                            if (mem) {
                                off = g.randomOff(s / 8);
                                g.chooseMem(off);
                                g.setMem(off, s, g.val(s));
                            } else {
                                d = g.pickReg(s);
                                g.setReg(s, d, g.val(s));
                            }
                            int src = g.pickReg(s);
                            g.setReg(s, src, g.val(s));
                            int cnt;
                            if (cl) {
                                g.setReg(8, 1, g.count());
                                cnt = g.getReg(8, 1);
                            } else {
                                cnt = g.count();
                            }
                            g.osize(s);
                            g.b(0x0F, base + (cl ? 1 : 0));
                            if (mem) g.emitMem(src);
                            else g.modrmReg(src, d);
                            if (!cl) g.imm(8, cnt);
                            c.flagsDefined = doubleShift(s, cnt);
                            if (doubleShiftDestUndefined(s, cnt)) {
                                if (mem) c.undefineMem(off, s / 8);
                                else g.undefineReg(s, d);
                            }
                        }));
                    }
                }
            }
        }
    }

    private static void mulDiv(List<Form> l) {
        String[] names = {"mul", "imul", "div", "idiv"};
        for (int k = 0; k < 4; k++) {
            final int ext = 4 + k;
            final boolean div = k >= 2, signed = (k & 1) == 1;
            for (boolean mem : new boolean[] {false, true}) {
                for (int s : SIZES) {
                    String name = names[k] + " " + (mem ? "m" : "r") + s;
                    l.add(new Form(name, div ? "div" : "mul", (g, c) -> {
                        g.implicit(EAX, EDX);
                        int off = 0, r = 0;
                        if (mem) {
                            off = g.randomOff(s / 8);
                            g.chooseMem(off);
                        } else {
                            r = g.pickReg(s);
                        }
                        int divisor = g.val(s);
                        if (div) {
                            int mode = g.rnd.nextInt(10);
                            int lo = g.val(s), hi;
                            if (mode == 0) {
                                divisor = 0;
                                hi = g.val(s);
                            } else if (mode <= 6) {
                                if (divisor == 0) divisor = 1;
                                if (signed) {
                                    int sh = 32 - s;
                                    hi = ((lo << sh) >> sh) < 0 ? -1 : 0;
                                } else {
                                    long dv = Integer.toUnsignedLong(divisor);
                                    hi = (int) g.rnd.nextLong(dv);
                                }
                            } else {
                                hi = g.val(s);
                            }
                            if (s == 8) g.setReg(16, EAX, (hi & 0xFF) << 8 | (lo & 0xFF));
                            else {
                                g.setReg(s, EAX, lo);
                                g.setReg(s, EDX, hi);
                            }
                        } else {
                            g.setReg(s, EAX, g.val(s));
                        }
                        if (mem) g.setMem(off, s, divisor);
                        else g.setReg(s, r, divisor);
                        g.osize(s);
                        g.b(0xF6 + w(s));
                        if (mem) g.emitMem(ext);
                        else g.modrmReg(ext, r);
                        c.flagsDefined = div ? DIV : MUL;
                    }));
                }
            }
        }
        for (boolean mem : new boolean[] {false, true}) {
            for (int s : WIDE) {
                for (int form = 0; form < 3; form++) {
                    final int f = form;
                    String name = "imul r" + s + "," + (mem ? "m" : "r") + s + (f == 0 ? "" : f == 1 ? ",imm8" : ",imm" + s);
                    l.add(new Form(name, "mul", (g, c) -> {
                        int off = 0, r = 0;
                        if (mem) {
                            off = g.randomOff(s / 8);
                            g.chooseMem(off);
                            g.setMem(off, s, g.val(s));
                        } else {
                            r = g.pickReg(s);
                            g.setReg(s, r, g.val(s));
                        }
                        int d = g.pickReg(s);
                        if (d != r || mem) g.setReg(s, d, g.val(s));
                        g.osize(s);
                        if (f == 0) g.b(0x0F, 0xAF);
                        else g.b(f == 1 ? 0x6B : 0x69);
                        if (mem) g.emitMem(d);
                        else g.modrmReg(d, r);
                        if (f == 1) g.imm(8, g.val(8));
                        else if (f == 2) g.imm(s, g.val(s));
                        c.flagsDefined = MUL;
                    }));
                }
            }
        }
    }

    private static void bcd(List<Form> l) {
        String[] names = {"daa", "das", "aaa", "aas"};
        int[] opc = {0x27, 0x2F, 0x37, 0x3F};
        int[] fl = {DAA_DAS, DAA_DAS, AAA_AAS, AAA_AAS};
        for (int k = 0; k < 4; k++) {
            final int o = opc[k], f = fl[k];
            l.add(new Form(names[k], "bcd", (g, c) -> {
                int al = g.chance(50) ? g.val(8) : g.rnd.nextInt(10) << 4 | g.rnd.nextInt(16);
                g.setReg(8, 0, al);
                g.b(o);
                c.flagsDefined = f;
            }));
        }
        for (int k = 0; k < 2; k++) {
            final int o = k == 0 ? 0xD4 : 0xD5;
            l.add(new Form(k == 0 ? "aam imm8" : "aad imm8", "bcd", (g, c) -> {
                int base = g.pick(10, 10, 10, 10, 0, 1, 2, 16, 255, 7) ;
                if (g.chance(20)) base = g.rnd.nextInt(256);
                g.b(o, base);
                c.flagsDefined = AAM_AAD;
            }));
        }
    }

    private static void bitOps(List<Form> l) {
        String[] names = {"bt", "bts", "btr", "btc"};
        int[] regOpc = {0xA3, 0xAB, 0xB3, 0xBB};
        for (int k = 0; k < 4; k++) {
            final int ro = regOpc[k], ext = 4 + k;
            for (int s : WIDE) {
                l.add(new Form(names[k] + " r" + s + ",r" + s, "bit", (g, c) -> {
                    int d = g.pickReg(s), b = g.pickReg(s);
                    g.setReg(s, d, g.val(s));
                    g.setReg(s, b, g.chance(50) ? g.count() : g.val(s));
                    g.osize(s);
                    g.b(0x0F, ro);
                    g.modrmReg(b, d);
                    c.flagsDefined = BIT_TEST;
                }));
                l.add(new Form(names[k] + " m" + s + ",r" + s, "bit", (g, c) -> {
                    int ea = 64 + g.rnd.nextInt(125);
                    g.chooseMem(ea);
                    int lo = (-ea + 4) * 8, hi = (248 - ea) * 8;
                    int bo = g.chance(30) ? g.rnd.nextInt(s) : lo + g.rnd.nextInt(hi - lo);
                    int b = g.pickReg(s);
                    g.setReg(s, b, bo);
                    g.osize(s);
                    g.b(0x0F, ro);
                    g.emitMem(b);
                    c.flagsDefined = BIT_TEST;
                }));
                l.add(new Form(names[k] + " r" + s + ",imm8", "bit", (g, c) -> {
                    int d = g.pickReg(s);
                    g.setReg(s, d, g.val(s));
                    g.osize(s);
                    g.b(0x0F, 0xBA);
                    g.modrmReg(ext, d);
                    g.imm(8, g.count());
                    c.flagsDefined = BIT_TEST;
                }));
                l.add(new Form(names[k] + " m" + s + ",imm8", "bit", (g, c) -> {
                    int off = g.randomOff(s / 8);
                    g.chooseMem(off);
                    g.osize(s);
                    g.b(0x0F, 0xBA);
                    g.emitMem(ext);
                    g.imm(8, g.count());
                    c.flagsDefined = BIT_TEST;
                }));
            }
        }
        for (int k = 0; k < 2; k++) {
            final int opc = 0xBC + k;
            String nm = k == 0 ? "bsf" : "bsr";
            for (boolean mem : new boolean[] {false, true}) {
                for (int s : WIDE) {
                    l.add(new Form(nm + " r" + s + "," + (mem ? "m" : "r") + s, "bit", (g, c) -> {
                        int src = g.chance(25) ? 0 : g.chance(30) ? 1 << g.rnd.nextInt(s) : g.val(s);
                        int r = 0, off;
                        if (mem) {
                            off = g.randomOff(s / 8);
                            g.chooseMem(off);
                            g.setMem(off, s, src);
                        } else {
                            r = g.pickReg(s);
                            g.setReg(s, r, src);
                        }
                        int d = g.pickReg(s);
                        if (d != r || mem) g.setReg(s, d, g.val(s));
                        g.osize(s);
                        g.b(0x0F, opc);
                        if (mem) g.emitMem(d);
                        else g.modrmReg(d, r);
                        c.flagsDefined = BIT_SCAN;
                        if (bitScanDestUndefined(src, s)) g.undefineReg(s, d);
                    }));
                }
            }
        }
    }

    private static void misc(List<Form> l) {
        for (int cc = 0; cc < 16; cc++) {
            final int k = cc;
            l.add(new Form("set" + CC[cc] + " r8/m8", "setcc-cmovcc", (g, c) -> {
                if (g.chance(50)) {
                    int off = g.randomOff(1);
                    g.chooseMem(off);
                    g.b(0x0F, 0x90 + k);
                    g.emitMem(0);
                } else {
                    g.b(0x0F, 0x90 + k);
                    g.modrmReg(0, g.pickReg(8));
                }
            }));
            l.add(new Form("cmov" + CC[cc] + " r,r/m", "setcc-cmovcc", (g, c) -> {
                int s = g.chance(50) ? 16 : 32;
                if (g.chance(50)) {
                    int off = g.randomOff(s / 8);
                    g.chooseMem(off);
                    int d = g.pickReg(s);
                    g.osize(s);
                    g.b(0x0F, 0x40 + k);
                    g.emitMem(d);
                } else {
                    int d = g.pickReg(s), r = g.pickReg(s);
                    g.osize(s);
                    g.b(0x0F, 0x40 + k);
                    g.modrmReg(d, r);
                }
            }));
        }
        for (int s : WIDE) {
            l.add(new Form("bswap r" + s, "misc", (g, c) -> {
                int d = g.pickReg(s);
                g.osize(s);
                g.b(0x0F, 0xC8 + d);
                if (bswapDestUndefined(s)) g.undefineReg(16, d);
            }));
        }
        for (int k = 0; k < 2; k++) {
            final boolean cx = k == 1;
            String nm = cx ? "cmpxchg" : "xadd";
            for (boolean mem : new boolean[] {false, true}) {
                for (int s : SIZES) {
                    l.add(new Form(nm + " " + (mem ? "m" : "r") + s + ",r" + s, cx ? "cmpxchg-xadd" : "cmpxchg-xadd", (g, c) -> {
                        if (cx) g.implicit(EAX);
                        int d = 0, off = 0, dv;
                        if (mem) {
                            off = g.randomOff(s / 8);
                            g.chooseMem(off);
                            g.setMem(off, s, g.val(s));
                            dv = g.getMem(off, s);
                        } else {
                            d = g.pickReg(s);
                            g.setReg(s, d, g.val(s));
                            dv = g.getReg(s, d);
                        }
                        int r = g.pickReg(s);
                        g.setReg(s, r, g.val(s));
                        if (cx && g.chance(50)) {
                            if (!mem) dv = g.getReg(s, d);
                            g.setReg(s, EAX, dv);
                        }
                        g.osize(s);
                        g.b(0x0F, (cx ? 0xB0 : 0xC0) + w(s));
                        if (mem) g.emitMem(r);
                        else g.modrmReg(r, d);
                        c.flagsDefined = ARITH;
                    }));
                }
            }
        }
        l.add(new Form("cmpxchg8b m64", "cmpxchg-xadd", (g, c) -> {
            g.implicit(EAX, ECX, EDX, EBX);
            int off = g.randomOff(8);
            g.chooseMem(off);
            if (g.chance(50)) {
                g.setReg(32, EAX, g.getMem(off, 32));
                g.setReg(32, EDX, g.getMem(off + 4, 32));
            }
            g.b(0x0F, 0xC7);
            g.emitMem(1);
            c.flagsDefined = CMPXCHG8B;
        }));
        String[][] ext = {{"movzx", "B6", "B7"}, {"movsx", "BE", "BF"}};
        for (String[] e : ext) {
            for (boolean mem : new boolean[] {false, true}) {
                int[][] combos = {{16, 8}, {32, 8}, {32, 16}};
                for (int[] sd : combos) {
                    final int ds = sd[0], ss = sd[1];
                    final int opc = Integer.parseInt(ss == 8 ? e[1] : e[2], 16);
                    l.add(new Form(e[0] + " r" + ds + "," + (mem ? "m" : "r") + ss, "movzx-movsx", (g, c) -> {
                        int r = 0;
                        if (mem) {
                            g.chooseMem(g.randomOff(ss / 8));
                        } else {
                            r = g.pickReg(ss);
                        }
                        int d = g.pickReg(ds);
                        g.osize(ds);
                        g.b(0x0F, opc);
                        if (mem) g.emitMem(d);
                        else g.modrmReg(d, r);
                    }));
                }
            }
        }
        l.add(new Form("cbw", "misc", (g, c) -> g.b(0x66, 0x98)));
        l.add(new Form("cwde", "misc", (g, c) -> g.b(0x98)));
        l.add(new Form("cwd", "misc", (g, c) -> g.b(0x66, 0x99)));
        l.add(new Form("cdq", "misc", (g, c) -> g.b(0x99)));
        l.add(new Form("lahf", "misc", (g, c) -> g.b(0x9F)));
        l.add(new Form("sahf", "misc", (g, c) -> {
            g.b(0x9E);
            c.flagsDefined = SAHF;
        }));
    }

    private static void strings(List<Form> l) {
        String[] names = {"movs", "cmps", "stos", "lods", "scas"};
        int[] opc = {0xA4, 0xA6, 0xAA, 0xAC, 0xAE};
        for (int k = 0; k < 5; k++) {
            final int o = opc[k], kk = k;
            final boolean compare = k == 1 || k == 4;
            final boolean usesSi = k == 0 || k == 1 || k == 3, usesDi = k != 3;
            int[] prefixes = compare ? new int[] {0, 0xF3, 0xF2} : new int[] {0, 0xF3};
            for (int p : prefixes) {
                for (int s : SIZES) {
                    String pre = p == 0 ? "" : p == 0xF2 ? "repne " : compare ? "repe " : "rep ";
                    String name = pre + names[k] + (s == 8 ? "b" : s == 16 ? "w" : "d");
                    l.add(new Form(name, "string", (g, c) -> {
                        g.implicit(EAX, ECX, ESI, EDI);
                        int e = s / 8;
                        int si = 48 + g.rnd.nextInt(150), di = 48 + g.rnd.nextInt(150);
                        g.pointer(ESI, si);
                        g.pointer(EDI, di);
                        int n = 1;
                        if (p != 0) {
                            n = g.chance(15) ? 0 : 1 + g.rnd.nextInt(8);
                            c.regs[ECX] = n;
                        }
                        boolean down = (c.eflags & DF) != 0;
                        if (compare && g.chance(60)) {
                            // make the compared elements mostly equal so REPE/REPNE run on
                            for (int i = 0; i < n; i++) {
                                int step = down ? -i * e : i * e;
                                int v = g.getMem(si + step, s);
                                if (kk == 1) g.setMem(di + step, s, v);
                                else g.setMem(di + step, s, g.getMem(di, s));
                            }
                            if (kk == 4) g.setReg(s, EAX, g.getMem(di, s));
                            if (g.chance(50)) {
                                int step = (down ? -1 : 1) * g.rnd.nextInt(Math.max(n, 1)) * e;
                                g.setMem(di + step, s, g.val(s));
                            }
                        }
                        if (!usesSi && g.chance(50)) g.setReg(32, ESI, g.val(32));
                        if (!usesDi && g.chance(50)) g.setReg(32, EDI, g.val(32));
                        if (usesSi) g.segmentOverride(); // overrides the DS of DS:ESI
                        if (p != 0) g.b(p);
                        g.osize(s);
                        g.b(o + w(s));
                        c.flagsDefined = compare ? ARITH : NONE_AFFECTED;
                    }));
                }
            }
        }
    }

    /**
     * LOCK prefix: valid on read-modify-write memory forms; #UD on register destinations and on
     * instructions that do not write memory (CMP). Natively #UD arrives as SIGILL.
     */
    private static void lock(List<Form> l) {
        String[] names = {"add", "or", "adc", "sbb", "and", "sub", "xor", "cmp"};
        for (int i = 0; i < 8; i++) {
            final int op = i;
            final int fl = (op == 1 || op == 4 || op == 6) ? LOGIC : ARITH;
            l.add(new Form("lock " + names[op] + " m,r", "lock", (g, c) -> {
                int s = g.pick(8, 16, 32);
                int off = g.randomOff(s / 8);
                g.chooseMem(off);
                int r = g.pickReg(s);
                g.b(0xF0);
                g.osize(s);
                g.b(op * 8 + w(s));
                g.emitMem(r);
                c.flagsDefined = fl;
            }));
            l.add(new Form("lock " + names[op] + " r,r (#UD)", "lock", (g, c) -> {
                int s = g.pick(8, 16, 32);
                int d = g.pickReg(s), r = g.pickReg(s);
                g.b(0xF0);
                g.osize(s);
                g.b(op * 8 + w(s));
                g.modrmReg(r, d);
                c.flagsDefined = fl;
            }));
        }
        String[] un = {"not", "neg", "inc", "dec"};
        int[][] enc = {{0xF6, 2}, {0xF6, 3}, {0xFE, 0}, {0xFE, 1}};
        for (int k = 0; k < 4; k++) {
            final int opc = enc[k][0], ext = enc[k][1];
            final int fl = k == 0 ? NONE_AFFECTED : ARITH;
            l.add(new Form("lock " + un[k] + " m", "lock", (g, c) -> {
                int s = g.pick(8, 16, 32);
                g.chooseMem(g.randomOff(s / 8));
                g.b(0xF0);
                g.osize(s);
                g.b(opc + w(s));
                g.emitMem(ext);
                c.flagsDefined = fl;
            }));
        }
        l.add(new Form("lock xadd m,r", "lock", (g, c) -> {
            int s = g.pick(8, 16, 32);
            g.chooseMem(g.randomOff(s / 8));
            int r = g.pickReg(s);
            g.b(0xF0);
            g.osize(s);
            g.b(0x0F, 0xC0 + w(s));
            g.emitMem(r);
            c.flagsDefined = ARITH;
        }));
        l.add(new Form("lock cmpxchg m,r", "lock", (g, c) -> {
            g.implicit(EAX);
            int s = g.pick(8, 16, 32);
            int off = g.randomOff(s / 8);
            g.chooseMem(off);
            int r = g.pickReg(s);
            if (g.chance(50)) g.setReg(s, EAX, g.getMem(off, s));
            g.b(0xF0);
            g.osize(s);
            g.b(0x0F, 0xB0 + w(s));
            g.emitMem(r);
            c.flagsDefined = ARITH;
        }));
        l.add(new Form("lock bts/btr/btc m,imm8", "lock", (g, c) -> {
            int s = g.pick(16, 32);
            g.chooseMem(g.randomOff(s / 8));
            g.b(0xF0);
            g.osize(s);
            g.b(0x0F, 0xBA);
            g.emitMem(g.pick(5, 6, 7));
            g.imm(8, g.count());
            c.flagsDefined = BIT_TEST;
        }));
        l.add(new Form("lock bt m,imm8 (#UD)", "lock", (g, c) -> {
            g.chooseMem(g.randomOff(4));
            g.b(0xF0, 0x0F, 0xBA);
            g.emitMem(4);
            g.imm(8, g.count());
            c.flagsDefined = BIT_TEST;
        }));
        l.add(new Form("lock mov m,r (#UD)", "lock", (g, c) -> {
            g.chooseMem(g.randomOff(4));
            int r = g.pickReg(32);
            g.b(0xF0, 0x89);
            g.emitMem(r);
        }));
    }

    private static void moves(List<Form> l) {
        for (int s : SIZES) {
            l.add(new Form(sz("mov R,R", s), "mov-xchg-lea", (g, c) -> {
                int d = g.pickReg(s), r = g.pickReg(s);
                g.osize(s);
                g.b(0x88 + w(s));
                g.modrmReg(r, d);
            }));
            l.add(new Form(sz("mov R,M", s), "mov-xchg-lea", (g, c) -> {
                g.chooseMem(g.randomOff(s / 8));
                int d = g.pickReg(s);
                g.osize(s);
                g.b(0x8A + w(s));
                g.emitMem(d);
            }));
            l.add(new Form(sz("mov M,R", s), "mov-xchg-lea", (g, c) -> {
                g.chooseMem(g.randomOff(s / 8));
                int r = g.pickReg(s);
                g.osize(s);
                g.b(0x88 + w(s));
                g.emitMem(r);
            }));
            l.add(new Form(sz("mov R,I", s), "mov-xchg-lea", (g, c) -> {
                int d = g.pickReg(s);
                g.osize(s);
                if (g.chance(70)) g.b((s == 8 ? 0xB0 : 0xB8) + d);
                else {
                    g.b(0xC6 + w(s));
                    g.modrmReg(0, d);
                }
                g.imm(s, g.val(s));
            }));
            l.add(new Form(sz("mov M,I", s), "mov-xchg-lea", (g, c) -> {
                g.chooseMem(g.randomOff(s / 8));
                g.osize(s);
                g.b(0xC6 + w(s));
                g.emitMem(0);
                g.imm(s, g.val(s));
            }));
            l.add(new Form(sz("xchg R,R", s), "mov-xchg-lea", (g, c) -> {
                int d = g.pickReg(s), r = g.pickReg(s);
                g.osize(s);
                if (s != 8 && g.chance(40)) g.b(0x90 + d); // xchg eAX, reg
                else {
                    g.b(0x86 + w(s));
                    g.modrmReg(r, d);
                }
            }));
            l.add(new Form(sz("xchg M,R", s), "mov-xchg-lea", (g, c) -> {
                g.chooseMem(g.randomOff(s / 8));
                int r = g.pickReg(s);
                g.osize(s);
                g.b(0x86 + w(s));
                g.emitMem(r);
            }));
        }
        l.add(new Form("lea r32,m", "mov-xchg-lea", (g, c) -> {
            g.chooseMem(g.randomOff(1));
            int d = g.pickReg(32);
            g.b(0x8D);
            g.emitMem(d);
            g.resultIsAddress(d);
        }));
        // Both scratch bases have zero low 16 bits, so a 16-bit LEA yields the same value on both sides.
        l.add(new Form("lea r16,m", "mov-xchg-lea", (g, c) -> {
            g.chooseMem(g.randomOff(1));
            int d = g.pickReg(16);
            g.b(0x66, 0x8D);
            g.emitMem(d);
        }));
        l.add(new Form("xlat", "mov-xchg-lea", (g, c) -> {
            g.implicit(EAX);
            g.segmentOverride();
            g.pointer(EBX, 0);
            g.b(0xD7);
        }));
        l.add(new Form("nop r/m (0f 1f)", "mov-xchg-lea", (g, c) -> {
            g.chooseMem(g.randomOff(4));
            g.osize(g.pick(16, 32));
            g.b(0x0F, 0x1F);
            g.emitMem(0);
        }));
        String[] fn = {"clc", "stc", "cmc", "cld", "std"};
        int[] fo = {0xF8, 0xF9, 0xF5, 0xFC, 0xFD};
        for (int k = 0; k < fn.length; k++) {
            final int o = fo[k];
            l.add(new Form(fn[k], "flag-ops", (g, c) -> g.b(o)));
        }
    }

    /** Stack forms run with ESP pointing into the scratch block, so pushed data is compared. */
    private static void stack(List<Form> l) {
        for (int s : WIDE) {
            int e = s / 8;
            l.add(new Form("push r" + s, "stack", (g, c) -> {
                g.stackInScratch(g.randomStack());
                int r = g.pickReg(32);
                g.osize(s);
                g.b(0x50 + r);
            }));
            l.add(new Form("pop r" + s, "stack", (g, c) -> {
                g.stackInScratch(g.randomStack());
                int r = g.pickReg(32);
                g.osize(s);
                g.b(0x58 + r);
            }));
            l.add(new Form("push m" + s, "stack", (g, c) -> {
                g.stackInScratch(g.randomStack());
                g.chooseMem(g.randomOff(e));
                g.osize(s);
                g.b(0xFF);
                g.emitMem(6);
            }));
            l.add(new Form("pop m" + s, "stack", (g, c) -> {
                g.stackInScratch(g.randomStack());
                g.chooseMem(g.randomOff(e));
                g.osize(s);
                g.b(0x8F);
                g.emitMem(0);
            }));
            l.add(new Form("push imm" + s, "stack", (g, c) -> {
                g.stackInScratch(g.randomStack());
                g.osize(s);
                g.b(0x68);
                g.imm(s, g.val(s));
            }));
            l.add(new Form("push imm8 (o" + s + ")", "stack", (g, c) -> {
                g.stackInScratch(g.randomStack());
                g.osize(s);
                g.b(0x6A);
                g.imm(8, g.val(8));
            }));
            l.add(new Form(s == 16 ? "pushf" : "pushfd", "stack", (g, c) -> {
                g.stackInScratch(g.randomStack());
                g.osize(s);
                g.b(0x9C);
            }));
            l.add(new Form(s == 16 ? "popf" : "popfd", "stack", (g, c) -> {
                int sp = g.randomStack();
                g.stackInScratch(sp);
                // only the compared arithmetic flags and DF vary; IF=1 as on both sides (the host
                // process cannot change IF, the emulator at CPL 0 would); TF/AC/NT/ID stay clear
                g.setMem(sp, s, (g.rnd.nextInt() & ALL) | 0x202);
                g.osize(s);
                g.b(0x9D);
            }));
            l.add(new Form(s == 16 ? "pusha" : "pushad", "stack", (g, c) -> {
                int sp = 64 + 4 * g.rnd.nextInt(40);
                g.stackInScratch(sp);
                g.osize(s);
                g.b(0x60);
                // PUSHAD stores the original ESP, an absolute address that differs between the sides
                // by construction; 16-bit PUSHA stores only SP, whose low bits agree (both bases
                // have zero low 16 bits)
                if (s == 32) c.undefineMem(sp - 20, 4);
            }));
            l.add(new Form(s == 16 ? "popa" : "popad", "stack", (g, c) -> {
                g.stackInScratch(32 + 4 * g.rnd.nextInt(40));
                g.osize(s);
                g.b(0x61);
            }));
        }
        l.add(new Form("leave", "stack", (g, c) -> {
            int fp = 32 + 4 * g.rnd.nextInt(50);
            g.pointer(Gen.EBP, fp);
            g.resultIsData(Gen.EBP);
            g.stackInScratch(g.randomStack());
            g.b(0xC9);
        }));
        l.add(new Form("enter imm16,0", "stack", (g, c) -> {
            g.stackInScratch(160 + 4 * g.rnd.nextInt(20));
            g.resultIsAddress(Gen.EBP);
            g.b(0xC8);
            g.imm(16, g.rnd.nextInt(64));
            g.b(0);
        }));
        l.add(new Form("enter imm16,1", "stack", (g, c) -> {
            int sp = 160 + 4 * g.rnd.nextInt(20);
            g.stackInScratch(sp);
            g.resultIsAddress(Gen.EBP);
            g.b(0xC8);
            g.imm(16, g.rnd.nextInt(64));
            g.b(1);
            // level 1 pushes the new frame pointer, an absolute address that differs between the sides
            c.undefineMem(sp - 8, 4);
        }));
    }
}

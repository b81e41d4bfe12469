package dev.tandem.core.difftest;

import static dev.tandem.core.difftest.Gen.EAX;
import static dev.tandem.core.difftest.Gen.ECX;
import static dev.tandem.core.difftest.Gen.EDI;
import static dev.tandem.core.difftest.Gen.EDX;
import static dev.tandem.core.difftest.Gen.ESI;
import static dev.tandem.core.difftest.UndefinedFlags.*;

import java.util.ArrayList;
import java.util.List;

/**
 * Forms run in the fault layout ({@link TestCase#faultLayout}): their memory operands, stack
 * pointers and string pointers sit at the end of the scratch page, in the not-present guard page
 * after it, across the boundary, or in the read-only page, so the host raises SIGSEGV (with the
 * page-fault error code and address) and the emulator #PF at CPL 3 with paging on. Division forms
 * add #DE (SIGFPE) in user mode. The comparator then checks the exception kind, the fault address
 * (si_addr vs CR2), the P/W/U error-code bits and that the state equals the state before the
 * instruction (for REP strings: after the completed iterations).
 */
final class FaultForms {
    private FaultForms() { }

    private static final int[] SIZES = {8, 16, 32};

    private static int w(int s) {
        return s == 8 ? 0 : 1;
    }

    /** Chooses a fault-layout memory operand of {@code bytes} bytes; sets its initial value when it lies in the scratch block. */
    private static int mem(Gen g, int bytes, int value) {
        g.faultLayout();
        int off = g.faultOff(bytes);
        g.chooseMem(off);
        if (Gen.inScratch(off, bytes)) g.setMem(off, bytes * 8, value);
        return off;
    }

    static List<Form> all() {
        List<Form> l = new ArrayList<>();
        String[] alu = {"add", "or", "adc", "sbb", "and", "sub", "xor", "cmp"};
        for (int s : SIZES) {
            int e = s / 8;
            l.add(new Form("fault mov r" + s + ",m" + s, "fault-load", (g, c) -> {
                mem(g, e, g.val(s));
                int d = g.pickReg(s);
                g.osize(s);
                g.b(0x8A + w(s));
                g.emitMem(d);
            }));
            l.add(new Form("fault mov m" + s + ",r" + s, "fault-store", (g, c) -> {
                mem(g, e, g.val(s));
                int r = g.pickReg(s);
                g.osize(s);
                g.b(0x88 + w(s));
                g.emitMem(r);
            }));
            l.add(new Form("fault mov m" + s + ",imm" + s, "fault-store", (g, c) -> {
                mem(g, e, g.val(s));
                g.osize(s);
                g.b(0xC6 + w(s));
                g.emitMem(0);
                g.imm(s, g.val(s));
            }));
            l.add(new Form("fault alu m" + s + ",r" + s, "fault-rmw", (g, c) -> {
                int op = g.rnd.nextInt(8);
                mem(g, e, g.val(s));
                int r = g.pickReg(s);
                g.setReg(s, r, g.val(s));
                g.osize(s);
                g.b(op * 8 + w(s));
                g.emitMem(r);
                c.flagsDefined = (op == 1 || op == 4 || op == 6) ? LOGIC : ARITH;
            }));
            l.add(new Form("fault alu r" + s + ",m" + s, "fault-load", (g, c) -> {
                int op = g.rnd.nextInt(8);
                mem(g, e, g.val(s));
                int r = g.pickReg(s);
                g.setReg(s, r, g.val(s));
                g.osize(s);
                g.b(op * 8 + 2 + w(s));
                g.emitMem(r);
                c.flagsDefined = (op == 1 || op == 4 || op == 6) ? LOGIC : ARITH;
            }));
            l.add(new Form("fault alu m" + s + ",imm", "fault-rmw", (g, c) -> {
                int op = g.rnd.nextInt(8);
                mem(g, e, g.val(s));
                g.osize(s);
                g.b(s == 8 ? 0x80 : 0x81);
                g.emitMem(op);
                g.imm(s, g.val(s));
                c.flagsDefined = (op == 1 || op == 4 || op == 6) ? LOGIC : ARITH;
            }));
            l.add(new Form("fault inc/dec/not/neg m" + s, "fault-rmw", (g, c) -> {
                int k = g.rnd.nextInt(4);
                mem(g, e, g.val(s));
                g.osize(s);
                g.b(k < 2 ? 0xFE + w(s) : 0xF6 + w(s));
                g.emitMem(k == 0 ? 0 : k == 1 ? 1 : k == 2 ? 2 : 3);
                c.flagsDefined = ARITH;
            }));
            l.add(new Form("fault shl/rol m" + s + ",1", "fault-rmw", (g, c) -> {
                int op = g.pick(0, 4);
                mem(g, e, g.val(s));
                g.osize(s);
                g.b(0xD0 + w(s));
                g.emitMem(op);
                c.flagsDefined = shiftRotate(op, s, 1);
            }));
            l.add(new Form("fault xchg m" + s + ",r" + s, "fault-rmw", (g, c) -> {
                mem(g, e, g.val(s));
                int r = g.pickReg(s);
                g.osize(s);
                g.b(0x86 + w(s));
                g.emitMem(r);
            }));
            l.add(new Form("fault lock alu m" + s + ",r" + s, "fault-rmw", (g, c) -> {
                int op = g.rnd.nextInt(7); // not CMP (#UD with LOCK)
                mem(g, e, g.val(s));
                int r = g.pickReg(s);
                g.b(0xF0);
                g.osize(s);
                g.b(op * 8 + w(s));
                g.emitMem(r);
                c.flagsDefined = (op == 1 || op == 4 || op == 6) ? LOGIC : ARITH;
            }));
            l.add(new Form("fault xadd/cmpxchg m" + s + ",r" + s, "fault-rmw", (g, c) -> {
                boolean cx = g.chance(50);
                if (cx) g.implicit(EAX);
                int off = mem(g, e, g.val(s));
                int r = g.pickReg(s);
                if (cx && Gen.inScratch(off, e) && g.chance(50)) g.setReg(s, EAX, g.getMem(off, s));
                if (g.chance(30)) g.b(0xF0);
                g.osize(s);
                g.b(0x0F, (cx ? 0xB0 : 0xC0) + w(s));
                g.emitMem(r);
                c.flagsDefined = ARITH;
            }));
            l.add(new Form("fault div/idiv m" + s, "fault-div", (g, c) -> {
                g.implicit(EAX, EDX);
                int divisor = g.chance(25) ? 0 : g.val(s);
                mem(g, e, divisor);
                // a small dividend: completes unless the divisor is 0 (or the read-only page's 0)
                if (s == 8) g.setReg(16, EAX, g.rnd.nextInt(0x80));
                else {
                    g.setReg(s, EAX, g.rnd.nextInt(0x80));
                    g.setReg(s, EDX, 0);
                }
                g.osize(s);
                g.b(0xF6 + w(s));
                g.emitMem(g.pick(6, 7));
                c.flagsDefined = DIV;
            }));
            l.add(new Form("fault div/idiv r" + s + " (user mode)", "fault-div", (g, c) -> {
                g.faultLayout();
                g.implicit(EAX, EDX);
                int r = g.pickRegExcept(s, 1 << EAX | 1 << EDX);
                g.setReg(s, r, g.chance(50) ? 0 : g.val(s));
                g.osize(s);
                g.b(0xF6 + w(s));
                g.modrmReg(g.pick(6, 7), r);
                c.flagsDefined = DIV;
            }));
            if (s != 8) {
                l.add(new Form("fault movzx/movsx r32,m" + s, "fault-load", (g, c) -> {
                    mem(g, e, g.val(s));
                    int d = g.pickReg(32);
                    g.b(0x0F, (g.chance(50) ? 0xB6 : 0xBE) + (s == 16 ? 1 : 0));
                    g.emitMem(d);
                }));
            }
        }
        l.add(new Form("fault setcc m8", "fault-store", (g, c) -> {
            mem(g, 1, g.val(8));
            g.b(0x0F, 0x90 + g.rnd.nextInt(16));
            g.emitMem(0);
        }));
        l.add(new Form("fault cmpxchg8b m64", "fault-rmw", (g, c) -> {
            g.implicit(EAX, ECX, EDX, Gen.EBX);
            int off = mem(g, 8, 0);
            if (Gen.inScratch(off, 8)) {
                g.setMem(off, 32, g.val(32));
                g.setMem(off + 4, 32, g.val(32));
                if (g.chance(50)) {
                    g.setReg(32, EAX, g.getMem(off, 32));
                    g.setReg(32, EDX, g.getMem(off + 4, 32));
                }
            }
            g.b(0x0F, 0xC7);
            g.emitMem(1);
            c.flagsDefined = CMPXCHG8B;
        }));
        l.add(new Form("fault bt/bts/btr/btc m32,r32 (far bit offset)", "fault-rmw", (g, c) -> {
            g.faultLayout();
            int ea = 4 * g.rnd.nextInt(TestCase.SCRATCH_SIZE / 4);
            int target = g.faultOff(4) & ~3;
            g.chooseMem(ea);
            int r = g.pickReg(32);
            int bit = ((target - ea) / 4) * 32 + g.rnd.nextInt(32);
            g.setReg(32, r, bit);
            int op = g.rnd.nextInt(4);
            g.b(0x0F, 0xA3 + 8 * op);
            g.emitMem(r);
            c.flagsDefined = BIT_TEST;
        }));
        stack(l);
        strings(l);
        return l;
    }

    /** A stack pointer offset near the fault boundaries for pushes/pops of {@code bytes} bytes. */
    private static int faultStack(Gen g, int bytes, boolean push) {
        int off = g.faultOff(bytes);
        return push ? off + bytes : off;
    }

    private static void stack(List<Form> l) {
        for (int s : new int[] {16, 32}) {
            int e = s / 8;
            l.add(new Form("fault push r" + s, "fault-stack", (g, c) -> {
                g.faultLayout();
                g.stackInScratch(faultStack(g, e, true));
                int r = g.pickReg(32);
                g.osize(s);
                g.b(0x50 + r);
            }));
            l.add(new Form("fault pop r" + s, "fault-stack", (g, c) -> {
                g.faultLayout();
                int sp = faultStack(g, e, false);
                g.stackInScratch(sp);
                if (Gen.inScratch(sp, e)) g.setMem(sp, s, g.val(s));
                int r = g.pickReg(32);
                g.osize(s);
                g.b(0x58 + r);
            }));
            l.add(new Form("fault push imm" + s, "fault-stack", (g, c) -> {
                g.faultLayout();
                g.stackInScratch(faultStack(g, e, true));
                g.osize(s);
                g.b(0x68);
                g.imm(s, g.val(s));
            }));
            l.add(new Form("fault push m" + s + " (memory or stack faults)", "fault-stack", (g, c) -> {
                g.faultLayout();
                boolean memFault = g.chance(50);
                g.stackInScratch(memFault ? 64 + 4 * g.rnd.nextInt(16) : faultStack(g, e, true));
                int off = memFault ? g.faultOff(e) : g.randomOff(e);
                g.chooseMem(off);
                g.osize(s);
                g.b(0xFF);
                g.emitMem(6);
            }));
            l.add(new Form("fault pop m" + s + " (memory or stack faults)", "fault-stack", (g, c) -> {
                g.faultLayout();
                boolean memFault = g.chance(50);
                int sp = memFault ? 64 + 4 * g.rnd.nextInt(16) : faultStack(g, e, false);
                g.stackInScratch(sp);
                if (Gen.inScratch(sp, e)) g.setMem(sp, s, g.val(s));
                int off = memFault ? g.faultOff(e) : g.randomOff(e);
                g.chooseMem(off);
                g.osize(s);
                g.b(0x8F);
                g.emitMem(0);
            }));
            l.add(new Form(s == 16 ? "fault pusha" : "fault pushad", "fault-stack", (g, c) -> {
                g.faultLayout();
                int sp = faultStack(g, 8 * e, true);
                g.stackInScratch(sp);
                g.osize(s);
                g.b(0x60);
                // PUSHAD stores the absolute original ESP, which differs between the sides
                if (s == 32 && Gen.inScratch(sp - 20, 4)) c.undefineMem(sp - 20, 4);
            }));
            l.add(new Form(s == 16 ? "fault popa" : "fault popad", "fault-stack", (g, c) -> {
                g.faultLayout();
                c.faultRegsUnspecified = 0xFF & ~(1 << Gen.ESP);
                g.stackInScratch(faultStack(g, 8 * e, false));
                g.osize(s);
                g.b(0x61);
            }));
        }
        l.add(new Form("fault enter imm16,0", "fault-stack", (g, c) -> {
            g.faultLayout();
            g.stackInScratch(faultStack(g, 4, true));
            g.pointer(Gen.EBP, 4 * g.rnd.nextInt(64)); // scratch-relative on both sides, whether ENTER completes or not
            int sp = c.regs[Gen.ESP];
            // the pushed EBP is an absolute address, different on the two sides
            for (int i = 0; i < 4; i++) if (Gen.inScratch(sp - 4 + i, 1)) c.undefineMem(sp - 4 + i, 1);
            g.b(0xC8);
            g.imm(16, g.rnd.nextInt(64));
            g.b(0);
        }));
    }

    /**
     * String pointer offsets: near the end of the scratch block moving up (runs into the guard
     * page after some iterations), at the start of the read-only page moving down (runs into the
     * guard page from above), or inside the guard page (faults at once).
     */
    private static int stringOff(Gen g, int e, boolean down, int n) {
        int r = g.rnd.nextInt(10);
        if (r < 6) {
            if (!down) return TestCase.SCRATCH_SIZE - e * g.rnd.nextInt(Math.max(n, 1) + 1) - (g.chance(20) ? 1 : 0);
            return TestCase.RO_OFF + e * g.rnd.nextInt(Math.max(n, 1) + 1) + (g.chance(20) ? 1 : 0) - e;
        }
        if (r < 8) return TestCase.SCRATCH_SIZE + 4 * g.rnd.nextInt(16);
        // in the middle of the scratch block: no fault
        return 96 + g.rnd.nextInt(64);
    }

    private static void strings(List<Form> l) {
        String[] names = {"movs", "cmps", "stos", "lods", "scas"};
        int[] opc = {0xA4, 0xA6, 0xAA, 0xAC, 0xAE};
        for (int kk = 0; kk < 5; kk++) {
            final int k = kk, o = opc[k];
            final boolean compare = k == 1 || k == 4;
            final boolean usesSi = k == 0 || k == 1 || k == 3, usesDi = k != 3;
            for (int s : SIZES) {
                String name = "fault rep " + names[k] + (s == 8 ? "b" : s == 16 ? "w" : "d");
                l.add(new Form(name, "fault-string", (g, c) -> {
                    g.faultLayout();
                    g.implicit(EAX, ECX, ESI, EDI);
                    int e = s / 8;
                    if (k == 1) c.cmpsElement = e;
                    boolean down = (c.eflags & DF) != 0;
                    int p = g.chance(80) ? (compare ? g.pick(0xF3, 0xF2) : 0xF3) : 0;
                    int n = p == 0 ? 1 : g.rnd.nextInt(13);
                    if (p != 0) c.regs[ECX] = n;
                    c.repCompare = compare && p != 0;
                    int si = usesSi ? stringOff(g, e, down, n) : 64;
                    int di = usesDi ? stringOff(g, e, down, n) : 64;
                    // a source in the scratch block or the read-only page always reads; make
                    // compared elements equal often so REPE runs on into the fault
                    if (compare && g.chance(60)) {
                        for (int i = 0; i < n; i++) {
                            int step = down ? -i * e : i * e;
                            if (k == 1 && Gen.inScratch(si + step, e) && Gen.inScratch(di + step, e)) {
                                g.setMem(di + step, s, g.getMem(si + step, s));
                            }
                        }
                        if (k == 4) g.setReg(s, EAX, Gen.inScratch(di, e) ? g.getMem(di, e * 8) : 0);
                    }
                    g.pointer(ESI, si);
                    g.pointer(EDI, di);
                    if (!usesSi && g.chance(50)) g.setReg(32, ESI, g.val(32));
                    if (!usesDi && g.chance(50)) g.setReg(32, EDI, g.val(32));
                    if (p != 0) g.b(p);
                    g.osize(s);
                    g.b(o + w(s));
                    c.flagsDefined = compare ? ARITH : NONE_AFFECTED;
                }));
            }
        }
    }
}

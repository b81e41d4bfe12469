package dev.tandem.core.cpu;

import static dev.tandem.core.cpu.Cpu.EAX;
import static dev.tandem.core.cpu.Cpu.EBP;
import static dev.tandem.core.cpu.Cpu.EBX;
import static dev.tandem.core.cpu.Cpu.ECX;
import static dev.tandem.core.cpu.Cpu.EDX;
import static dev.tandem.core.cpu.Cpu.ESP;
import static dev.tandem.core.cpu.Cpu.SS;
import static dev.tandem.core.cpu.Flags.AF;
import static dev.tandem.core.cpu.Flags.CF;
import static dev.tandem.core.cpu.Flags.OF;
import static dev.tandem.core.cpu.Flags.PF;
import static dev.tandem.core.cpu.Flags.SF;
import static dev.tandem.core.cpu.Flags.ZF;

/** The less frequent handlers: shifts, multiply/divide, BCD, bit operations and system instructions. */
final class Exec2 {
    private Exec2() { }

    static void execute(Cpu c, int sz) {
        switch (c.cur.dHandler) {
            case HandlerId.UD -> throw c.ud();
            case HandlerId.SHIFT_Eb -> shift(c, 0, c.cur.dImm);
            case HandlerId.SHIFT_Ev -> shift(c, sz, c.cur.dImm);
            case HandlerId.SHIFT1_Eb -> shift(c, 0, 1);
            case HandlerId.SHIFT1_Ev -> shift(c, sz, 1);
            case HandlerId.SHIFTCL_Eb -> shift(c, 0, c.reg[ECX]);
            case HandlerId.SHIFTCL_Ev -> shift(c, sz, c.reg[ECX]);
            case HandlerId.MUL_Eb -> {
                int r = (c.reg[EAX] & 0xFF) * c.readE(0);
                c.setReg(EAX, 1, r);
                mulFlags(c, (r & 0xFF00) != 0, r, 0);
            }
            case HandlerId.MUL_Ev -> {
                if (sz == 2) {
                    long r = (c.reg[EAX] & 0xFFFFFFFFL) * (c.readE(2) & 0xFFFFFFFFL);
                    c.reg[EAX] = (int) r;
                    c.reg[EDX] = (int) (r >>> 32);
                    mulFlags(c, (r >>> 32) != 0, (int) r, 2);
                } else {
                    int r = (c.reg[EAX] & 0xFFFF) * c.readE(1);
                    c.setReg(EAX, 1, r);
                    c.setReg(EDX, 1, r >>> 16);
                    mulFlags(c, (r >>> 16) != 0, r, 1);
                }
            }
            case HandlerId.IMUL_Eb -> {
                int r = (byte) c.reg[EAX] * (byte) c.readE(0);
                c.setReg(EAX, 1, r);
                mulFlags(c, r != (byte) r, r, 0);
            }
            case HandlerId.IMUL_Ev -> {
                if (sz == 2) {
                    long r = (long) c.reg[EAX] * c.readE(2);
                    c.reg[EAX] = (int) r;
                    c.reg[EDX] = (int) (r >>> 32);
                    mulFlags(c, r != (int) r, (int) r, 2);
                } else {
                    int r = (short) c.reg[EAX] * (short) c.readE(1);
                    c.setReg(EAX, 1, r);
                    c.setReg(EDX, 1, r >>> 16);
                    mulFlags(c, r != (short) r, r, 1);
                }
            }
            case HandlerId.IMUL_GvEv -> imul3(c, sz, c.readE(sz));
            case HandlerId.IMUL_GvEvI -> {
                int src = c.readE(sz);
                int saveReg = c.cur.dReg;
                long r = sz == 2 ? (long) src * c.cur.dImm : (long) (short) src * (short) c.cur.dImm;
                c.setReg(saveReg, sz, (int) r);
                boolean ovf = sz == 2 ? r != (int) r : r != (short) r;
                mulFlags(c, ovf, (int) r, sz);
            }
            case HandlerId.DIV_Eb -> {
                int d = c.readE(0);
                if (d == 0) throw c.fault(0);
                int a = c.reg[EAX] & 0xFFFF;
                int q = a / d;
                if (q > 0xFF) throw c.fault(0);
                c.setReg(EAX, 1, ((a % d) << 8) | q);
            }
            case HandlerId.DIV_Ev -> {
                if (sz == 2) {
                    long d = c.readE(2) & 0xFFFFFFFFL;
                    if (d == 0) throw c.fault(0);
                    long a = ((long) c.reg[EDX] << 32) | (c.reg[EAX] & 0xFFFFFFFFL);
                    long q = Long.divideUnsigned(a, d);
                    if ((q >>> 32) != 0) throw c.fault(0);
                    c.reg[EDX] = (int) Long.remainderUnsigned(a, d);
                    c.reg[EAX] = (int) q;
                } else {
                    int d = c.readE(1);
                    if (d == 0) throw c.fault(0);
                    long a = ((c.reg[EDX] & 0xFFFFL) << 16) | (c.reg[EAX] & 0xFFFF);
                    long q = a / d;
                    if (q > 0xFFFF) throw c.fault(0);
                    c.setReg(EDX, 1, (int) (a % d));
                    c.setReg(EAX, 1, (int) q);
                }
            }
            case HandlerId.IDIV_Eb -> {
                int d = (byte) c.readE(0);
                if (d == 0) throw c.fault(0);
                int a = (short) c.reg[EAX];
                int q = a / d;
                if (q != (byte) q) throw c.fault(0);
                c.setReg(EAX, 1, ((a % d) << 8) | (q & 0xFF));
            }
            case HandlerId.IDIV_Ev -> {
                if (sz == 2) {
                    long d = c.readE(2);
                    if (d == 0) throw c.fault(0);
                    long a = ((long) c.reg[EDX] << 32) | (c.reg[EAX] & 0xFFFFFFFFL);
                    if (a == Long.MIN_VALUE && d == -1) throw c.fault(0);
                    long q = a / d;
                    if (q != (int) q) throw c.fault(0);
                    c.reg[EDX] = (int) (a % d);
                    c.reg[EAX] = (int) q;
                } else {
                    int d = (short) c.readE(1);
                    if (d == 0) throw c.fault(0);
                    int a = (c.reg[EDX] << 16) | (c.reg[EAX] & 0xFFFF);
                    if (a == Integer.MIN_VALUE && d == -1) throw c.fault(0);
                    int q = a / d;
                    if (q != (short) q) throw c.fault(0);
                    c.setReg(EDX, 1, a % d);
                    c.setReg(EAX, 1, q);
                }
            }
            case HandlerId.DAA -> daa(c);
            case HandlerId.DAS -> das(c);
            case HandlerId.AAA -> aaa(c);
            case HandlerId.AAS -> aas(c);
            case HandlerId.AAM -> {
                int base = c.cur.dImm & 0xFF;
                if (base == 0) throw c.fault(0);
                int al = c.reg[EAX] & 0xFF;
                int r = ((al / base) << 8) | (al % base);
                c.setReg(EAX, 1, r);
                szp(c, r & 0xFF, 0);
            }
            case HandlerId.AAD -> {
                int base = c.cur.dImm & 0xFF;
                int al = c.reg[EAX] & 0xFF, ah = (c.reg[EAX] >>> 8) & 0xFF;
                int r = (al + ah * base) & 0xFF;
                c.setReg(EAX, 1, r);
                szp(c, r, 0);
            }
            case HandlerId.BOUND -> {
                int idx = c.getReg(c.cur.dReg, sz);
                int lo, hi;
                if (sz == 2) {
                    lo = c.mmu.rd32(c.cur.dSeg, c.eaOff);
                    hi = c.mmu.rd32(c.cur.dSeg, c.eaOff + 4);
                } else {
                    idx = (short) idx;
                    lo = (short) c.mmu.rd16(c.cur.dSeg, c.eaOff);
                    hi = (short) c.mmu.rd16(c.cur.dSeg, (c.eaOff + 2) & (c.cur.dAddr32 ? -1 : 0xFFFF));
                }
                if (idx < lo || idx > hi) throw c.fault(5);
            }
            case HandlerId.ARPL -> {
                int dst = c.readEw(1);
                int src = c.getReg(c.cur.dReg, 1);
                LazyFlags.materialize(c);
                if ((dst & 3) < (src & 3)) {
                    c.writeE(1, (dst & ~3) | (src & 3));
                    c.eflags |= ZF;
                } else {
                    c.eflags &= ~ZF;
                }
            }
            case HandlerId.SETCC -> c.writeE(0, LazyFlags.cond(c, c.cur.dSub) ? 1 : 0);
            case HandlerId.CMOVCC -> {
                int v = c.readE(sz);
                if (LazyFlags.cond(c, c.cur.dSub)) c.setReg(c.cur.dReg, sz, v);
            }
            case HandlerId.ENTER -> enter(c, sz);
            case HandlerId.LEAVE -> {
                int bp = c.stack32 ? c.reg[EBP] : c.reg[EBP] & 0xFFFF;
                int v = sz == 2 ? c.mmu.rd32(SS, bp) : c.mmu.rd16(SS, bp);
                c.setSp(bp + (sz == 2 ? 4 : 2));
                if (!c.stack32) c.reg[ESP] = (c.reg[ESP] & 0xFFFF0000) | ((bp + (sz == 2 ? 4 : 2)) & 0xFFFF);
                c.setReg(EBP, sz, v);
            }
            case HandlerId.LxS -> {
                int off = c.mmu.rd(c.cur.dSeg, c.eaOff, sz);
                int sel = c.mmu.rd16(c.cur.dSeg, c.eaOff + (sz == 2 ? 4 : 2));
                c.loadSeg(c.cur.dSub, sel);
                c.setReg(c.cur.dReg, sz, off);
                if (c.cur.dSub == SS) c.inhibitIrq = true;
            }
            case HandlerId.MOVZX_Eb -> c.setReg(c.cur.dReg, sz, c.readE(0));
            case HandlerId.MOVZX_Ew -> c.setReg(c.cur.dReg, sz, c.readE(1));
            case HandlerId.MOVSX_Eb -> c.setReg(c.cur.dReg, sz, (byte) c.readE(0));
            case HandlerId.MOVSX_Ew -> c.setReg(c.cur.dReg, sz, (short) c.readE(1));
            case HandlerId.BSWAP -> {
                if (sz == 2) c.reg[c.cur.dSub] = Integer.reverseBytes(c.reg[c.cur.dSub]);
                else c.setReg(c.cur.dSub, 1, 0); // undefined for 16-bit operands; a P6 clears the word
            }
            case HandlerId.XADD_Eb -> {
                int d = c.readEw(0);
                int s = c.getReg8(c.cur.dReg);
                int r = LazyFlags.alu(c, 0, d, s, 0);
                if (c.cur.dMod == 3) {
                    // register form: the source gets the old destination, then the destination the sum
                    c.setReg8(c.cur.dReg, d);
                    c.writeE(0, r);
                } else {
                    c.writeE(0, r);
                    c.setReg8(c.cur.dReg, d);
                }
            }
            case HandlerId.XADD_Ev -> {
                int d = c.readEw(sz);
                int s = c.getReg(c.cur.dReg, sz);
                int r = LazyFlags.alu(c, 0, d, s, sz);
                if (c.cur.dMod == 3) {
                    c.setReg(c.cur.dReg, sz, d);
                    c.writeE(sz, r);
                } else {
                    c.writeE(sz, r);
                    c.setReg(c.cur.dReg, sz, d);
                }
            }
            case HandlerId.CMPXCHG_Eb -> cmpxchg(c, 0);
            case HandlerId.CMPXCHG_Ev -> cmpxchg(c, sz);
            case HandlerId.CMPXCHG8B -> {
                // both halves are checked for writing before anything changes, low half first
                int lo = c.mmu.rdw(c.cur.dSeg, c.eaOff, 2);
                int hi = c.mmu.rdw(c.cur.dSeg, c.eaOff + 4, 2);
                LazyFlags.materialize(c);
                if (lo == c.reg[EAX] && hi == c.reg[EDX]) {
                    c.mmu.wr32(c.cur.dSeg, c.eaOff, c.reg[EBX]);
                    c.mmu.wr32(c.cur.dSeg, c.eaOff + 4, c.reg[ECX]);
                    c.eflags |= ZF;
                } else {
                    c.mmu.wr32(c.cur.dSeg, c.eaOff, lo);
                    c.mmu.wr32(c.cur.dSeg, c.eaOff + 4, hi);
                    c.reg[EAX] = lo;
                    c.reg[EDX] = hi;
                    c.eflags &= ~ZF;
                }
            }
            case HandlerId.BT_EvGv -> bitOp(c, sz, c.cur.dSub, c.getReg(c.cur.dReg, sz), true);
            case HandlerId.BT_EvIb -> bitOp(c, sz, c.cur.dSub, c.cur.dImm & 0xFF, false);
            case HandlerId.BSF, HandlerId.BSR -> {
                int v = c.readE(sz);
                if (sz == 1) v &= 0xFFFF;
                LazyFlags.materialize(c);
                if (v == 0) {
                    c.eflags |= ZF;
                } else {
                    c.eflags &= ~ZF;
                    int idx = c.cur.dHandler == HandlerId.BSF ? Integer.numberOfTrailingZeros(v)
                            : 31 - Integer.numberOfLeadingZeros(v);
                    c.setReg(c.cur.dReg, sz, idx);
                }
            }
            case HandlerId.SHLD -> shld(c, sz, c.cur.dSub == 1 ? c.reg[ECX] : c.cur.dImm, true);
            case HandlerId.SHRD -> shld(c, sz, c.cur.dSub == 1 ? c.reg[ECX] : c.cur.dImm, false);
            case HandlerId.CPUID -> c.cpuid();
            case HandlerId.RDTSC -> {
                if ((c.cr4 & Cpu.CR4_TSD) != 0 && c.cpl != 0 && c.protectedMode()) throw c.gp(0);
                long t = c.readTsc();
                c.reg[EAX] = (int) t;
                c.reg[EDX] = (int) (t >>> 32);
            }
            case HandlerId.RDMSR -> {
                requireCpl0(c);
                long v = Msr.read(c, c.reg[ECX]);
                c.reg[EAX] = (int) v;
                c.reg[EDX] = (int) (v >>> 32);
            }
            case HandlerId.WRMSR -> {
                requireCpl0(c);
                Msr.write(c, c.reg[ECX], ((long) c.reg[EDX] << 32) | (c.reg[EAX] & 0xFFFFFFFFL));
            }
            case HandlerId.WAIT -> {
                if ((c.cr0 & (Cpu.CR0_MP | Cpu.CR0_TS)) == (Cpu.CR0_MP | Cpu.CR0_TS)) throw c.fault(7);
                FpuGlue.checkPending(c);
            }
            case HandlerId.FPU -> FpuGlue.execute(c);
            case HandlerId.CLTS -> {
                requireCpl0(c);
                c.cr0 &= ~Cpu.CR0_TS;
            }
            case HandlerId.MOV_RdCd -> {
                requireCpl0(c);
                int v;
                switch (c.cur.dReg) {
                    case 0 -> v = c.cr0;
                    case 2 -> v = c.cr2;
                    case 3 -> v = c.cr3;
                    case 4 -> v = c.cr4;
                    default -> throw c.ud();
                }
                c.reg[c.cur.dRm] = v;
            }
            case HandlerId.MOV_CdRd -> {
                requireCpl0(c);
                int v = c.reg[c.cur.dRm];
                switch (c.cur.dReg) {
                    case 0 -> c.writeCr0(v);
                    case 2 -> c.cr2 = v;
                    case 3 -> c.writeCr3(v);
                    case 4 -> c.writeCr4(v);
                    default -> throw c.ud();
                }
            }
            case HandlerId.MOV_RdDd -> {
                requireCpl0(c);
                int r = debugReg(c, c.cur.dReg);
                c.reg[c.cur.dRm] = c.dr[r];
            }
            case HandlerId.MOV_DdRd -> {
                requireCpl0(c);
                int r = debugReg(c, c.cur.dReg);
                int v = c.reg[c.cur.dRm];
                if (r == 6) v = (v & 0xE00F) | 0xFFFF0FF0;
                else if (r == 7) v = (v & ~0x2000 & 0xFFFF23FF) | 0x400;
                c.dr[r] = v;
            }
            case HandlerId.GRP6 -> SystemOps.grp6(c, sz);
            case HandlerId.GRP7 -> SystemOps.grp7(c, sz);
            case HandlerId.LAR -> SystemOps.lar(c, sz);
            case HandlerId.LSL -> SystemOps.lsl(c, sz);
            default -> throw new IllegalStateException("no handler for " + HandlerId.NAMES[c.cur.dHandler]);
        }
    }

    static void requireCpl0(Cpu c) {
        if (c.protectedMode() && c.cpl != 0) throw c.gp(0);
    }

    private static int debugReg(Cpu c, int r) {
        if (r == 4 || r == 5) {
            if ((c.cr4 & Cpu.CR4_DE) != 0) throw c.ud();
            return r + 2;
        }
        return r;
    }

    /** Sets SF ZF PF from {@code r}; clears CF OF AF (the "undefined" ones get a fixed value). */
    private static void szp(Cpu c, int r, int sz) {
        int f = 0;
        r &= LazyFlags.mask(sz);
        if (r == 0) f |= ZF;
        if ((r & LazyFlags.signBit(sz)) != 0) f |= SF;
        if ((Integer.bitCount(r & 0xFF) & 1) == 0) f |= PF;
        LazyFlags.setArith(c, f);
    }

    private static void mulFlags(Cpu c, boolean overflow, int low, int sz) {
        int f = overflow ? CF | OF : 0;
        low &= LazyFlags.mask(sz);
        if (low == 0) f |= ZF;
        if ((low & LazyFlags.signBit(sz)) != 0) f |= SF;
        if ((Integer.bitCount(low & 0xFF) & 1) == 0) f |= PF;
        LazyFlags.setArith(c, f);
    }

    private static void imul3(Cpu c, int sz, int src) {
        int dst = c.getReg(c.cur.dReg, sz);
        long r = sz == 2 ? (long) dst * src : (long) (short) dst * (short) src;
        c.setReg(c.cur.dReg, sz, (int) r);
        boolean ovf = sz == 2 ? r != (int) r : r != (short) r;
        mulFlags(c, ovf, (int) r, sz);
    }

    private static void shift(Cpu c, int sz, int count) {
        int op = c.cur.dSub;
        count &= 31;
        int v = c.readEw(sz);
        if (count == 0) {
            c.writeE(sz, v); // a memory operand is still written (and its page checked)
            return;
        }
        int bits = sz == 0 ? 8 : sz == 1 ? 16 : 32;
        int m = LazyFlags.mask(sz);
        int sign = LazyFlags.signBit(sz);
        v &= m;
        int r;
        LazyFlags.materialize(c);
        int f = c.eflags;
        boolean cf;
        boolean of;
        switch (op) {
            case 0: { // ROL
                int n = count & (bits - 1);
                r = n == 0 ? v : ((v << n) | (v >>> (bits - n))) & m;
                cf = (r & 1) != 0;
                of = ((r & sign) != 0) ^ cf;
                f = (f & ~(CF | OF)) | (cf ? CF : 0) | (of ? OF : 0);
                c.eflags = f;
                c.writeE(sz, r);
                return;
            }
            case 1: { // ROR
                int n = count & (bits - 1);
                r = n == 0 ? v : ((v >>> n) | (v << (bits - n))) & m;
                cf = (r & sign) != 0;
                of = ((r & sign) != 0) ^ ((r & (sign >>> 1)) != 0);
                f = (f & ~(CF | OF)) | (cf ? CF : 0) | (of ? OF : 0);
                c.eflags = f;
                c.writeE(sz, r);
                return;
            }
            case 2: { // RCL
                int n = sz == 2 ? count : count % (bits + 1);
                long x = ((long) ((f & CF) != 0 ? 1 : 0) << bits) | (v & 0xFFFFFFFFL);
                long full = (1L << (bits + 1)) - 1;
                if (n != 0) x = ((x << n) | (x >>> (bits + 1 - n))) & full;
                r = (int) (x & m);
                cf = ((x >>> bits) & 1) != 0;
                of = ((r & sign) != 0) ^ cf;
                f = (f & ~(CF | OF)) | (cf ? CF : 0) | (of ? OF : 0);
                c.eflags = f;
                c.writeE(sz, r);
                return;
            }
            case 3: { // RCR
                int n = sz == 2 ? count : count % (bits + 1);
                long x = ((long) ((f & CF) != 0 ? 1 : 0) << bits) | (v & 0xFFFFFFFFL);
                long full = (1L << (bits + 1)) - 1;
                if (n != 0) x = ((x >>> n) | (x << (bits + 1 - n))) & full;
                r = (int) (x & m);
                cf = ((x >>> bits) & 1) != 0;
                of = ((r & sign) != 0) ^ ((r & (sign >>> 1)) != 0);
                f = (f & ~(CF | OF)) | (cf ? CF : 0) | (of ? OF : 0);
                c.eflags = f;
                c.writeE(sz, r);
                return;
            }
            case 4:
            case 6: { // SHL/SAL
                long x = ((long) v) << count;
                r = (int) x & m;
                cf = count <= bits && ((x >>> bits) & 1) != 0;
                of = ((r & sign) != 0) ^ cf;
                break;
            }
            case 5: { // SHR
                cf = count <= bits && ((v >>> (count - 1)) & 1) != 0;
                r = count >= bits ? 0 : v >>> count;
                // defined for 1-bit shifts only; for longer shifts the last 1-bit step leaves OF clear
                of = count == 1 && (v & sign) != 0;
                break;
            }
            default: { // SAR
                int sv = sz == 0 ? (byte) v : sz == 1 ? (short) v : v;
                int n = Math.min(count, 31);
                cf = ((sv >> (Math.min(count - 1, 31))) & 1) != 0;
                r = (sv >> n) & m;
                of = false;
                break;
            }
        }
        int nf = f & ~(CF | OF | SF | ZF | PF | AF);
        if (cf) nf |= CF;
        if (of) nf |= OF;
        if (r == 0) nf |= ZF;
        if ((r & sign) != 0) nf |= SF;
        if ((Integer.bitCount(r & 0xFF) & 1) == 0) nf |= PF;
        c.eflags = nf;
        c.writeE(sz, r);
    }

    private static void shld(Cpu c, int sz, int count, boolean left) {
        count &= 31;
        int d = c.readEw(sz);
        if (count == 0) {
            c.writeE(sz, d);
            return;
        }
        int s = c.getReg(c.cur.dReg, sz);
        int bits = sz == 2 ? 32 : 16;
        int m = LazyFlags.mask(sz);
        int sign = LazyFlags.signBit(sz);
        d &= m;
        s &= m;
        int r;
        boolean cf;
        if (sz == 2) {
            long x = left ? (((long) d) << 32) | (s & 0xFFFFFFFFL) : (((long) s) << 32) | (d & 0xFFFFFFFFL);
            if (left) {
                long y = x << count;
                r = (int) (y >>> 32);
                cf = ((x >>> (64 - count)) & 1) != 0;
            } else {
                long y = x >>> count;
                r = (int) y;
                cf = ((x >>> (count - 1)) & 1) != 0;
            }
        } else {
            // 16-bit: the operands form a 48-bit pattern dst:src:dst (counts above 16 are undefined)
            long x = left ? (((long) d) << 32) | ((long) s << 16) | d : (((long) d) << 32) | ((long) s << 16) | d;
            if (left) {
                long y = x << count;
                r = (int) (y >>> 32) & 0xFFFF;
                cf = ((x >>> (48 - count)) & 1) != 0;
            } else {
                long z = ((long) d) | ((long) s << 16) | ((long) d << 32);
                long y = z >>> count;
                r = (int) y & 0xFFFF;
                cf = ((z >>> (count - 1)) & 1) != 0;
            }
        }
        LazyFlags.materialize(c);
        int nf = c.eflags & ~(CF | OF | SF | ZF | PF | AF);
        if (cf) nf |= CF;
        if (((r ^ d) & sign) != 0) nf |= OF;
        if ((r & m) == 0) nf |= ZF;
        if ((r & sign) != 0) nf |= SF;
        if ((Integer.bitCount(r & 0xFF) & 1) == 0) nf |= PF;
        c.eflags = nf;
        c.writeE(sz, r);
    }

    private static void bitOp(Cpu c, int sz, int op, int bitOff, boolean regOffset) {
        int bits = sz == 2 ? 32 : 16;
        int v;
        int bit;
        if (c.cur.dMod == 3) {
            bit = bitOff & (bits - 1);
            v = c.getReg(c.cur.dRm, sz);
            LazyFlags.setCFOnly(c, ((v >>> bit) & 1) != 0);
            if (op != 0) c.setReg(c.cur.dRm, sz, apply(op, v, bit));
            return;
        }
        int off = c.eaOff;
        if (regOffset) {
            int signedOff = sz == 2 ? bitOff : (short) bitOff;
            int unit = signedOff >> (sz == 2 ? 5 : 4);
            off += unit * (bits / 8);
            if (!c.cur.dAddr32) off &= 0xFFFF;
            bit = signedOff & (bits - 1);
        } else {
            bit = bitOff & (bits - 1);
        }
        v = op != 0 ? c.mmu.rdw(c.cur.dSeg, off, sz) : c.mmu.rd(c.cur.dSeg, off, sz);
        LazyFlags.setCFOnly(c, ((v >>> bit) & 1) != 0);
        if (op != 0) c.mmu.wr(c.cur.dSeg, off, sz, apply(op, v, bit));
    }

    private static int apply(int op, int v, int bit) {
        return switch (op) {
            case 1 -> v | (1 << bit);
            case 2 -> v & ~(1 << bit);
            default -> v ^ (1 << bit);
        };
    }

    private static void cmpxchg(Cpu c, int sz) {
        int d = c.readEw(sz);
        int a = c.getReg(EAX, sz);
        LazyFlags.alu(c, 7, a, d, sz);
        if (((a ^ d) & LazyFlags.mask(sz)) == 0) {
            c.writeE(sz, c.getReg(c.cur.dReg, sz));
        } else {
            c.writeE(sz, d);
            c.setReg(EAX, sz, d);
        }
    }

    private static void enter(Cpu c, int sz) {
        int size = c.cur.dImm & 0xFFFF;
        int level = c.cur.dImm2 & 31;
        int n = sz == 2 ? 4 : 2;
        int sp = c.reg[ESP];
        int bp = c.reg[EBP];
        // compute every stack write first, then commit
        int a = c.stack32 ? sp - n : (sp - n) & 0xFFFF;
        if (n == 4) c.mmu.wr32(SS, a, bp);
        else c.mmu.wr16(SS, a, bp);
        int frame = a;
        int cur = a;
        if (level > 0) {
            int b = bp;
            for (int i = 1; i < level; i++) {
                b = c.stack32 ? b - n : (b - n) & 0xFFFF;
                int v = n == 4 ? c.mmu.rd32(SS, b) : c.mmu.rd16(SS, b);
                cur = c.stack32 ? cur - n : (cur - n) & 0xFFFF;
                if (n == 4) c.mmu.wr32(SS, cur, v);
                else c.mmu.wr16(SS, cur, v);
            }
            cur = c.stack32 ? cur - n : (cur - n) & 0xFFFF;
            if (n == 4) c.mmu.wr32(SS, cur, frame);
            else c.mmu.wr16(SS, cur, frame);
        }
        int newSp = c.stack32 ? cur - size : (cur - size) & 0xFFFF;
        // the final stack pointer must be writable too
        if (size > 0) c.mmu.checkSeg(SS, newSp, 1, true);
        c.setReg(EBP, sz, frame);
        if (!c.stack32) c.reg[EBP] = sz == 2 ? frame : (c.reg[EBP] & 0xFFFF0000) | (frame & 0xFFFF);
        c.setSp(newSp);
    }

    private static void daa(Cpu c) {
        LazyFlags.materialize(c);
        int al = c.reg[EAX] & 0xFF;
        boolean oldCf = (c.eflags & CF) != 0;
        boolean af = (c.eflags & AF) != 0;
        boolean cf = false;
        int r = al;
        if ((al & 0xF) > 9 || af) {
            r = al + 6;
            cf = oldCf || r > 0xFF;
            af = true;
        } else {
            af = false;
        }
        if (al > 0x99 || oldCf) {
            r += 0x60;
            cf = true;
        } else {
            cf = false;
        }
        r &= 0xFF;
        c.setReg8(EAX, r);
        bcdFlags(c, r, cf, af);
    }

    private static void das(Cpu c) {
        LazyFlags.materialize(c);
        int al = c.reg[EAX] & 0xFF;
        boolean oldCf = (c.eflags & CF) != 0;
        boolean af = (c.eflags & AF) != 0;
        boolean cf = false;
        int r = al;
        if ((al & 0xF) > 9 || af) {
            r = al - 6;
            cf = oldCf || r < 0;
            af = true;
        } else {
            af = false;
        }
        if (al > 0x99 || oldCf) {
            r -= 0x60;
            cf = true;
        }
        r &= 0xFF;
        c.setReg8(EAX, r);
        bcdFlags(c, r, cf, af);
    }

    private static void bcdFlags(Cpu c, int r, boolean cf, boolean af) {
        int f = c.eflags & ~(CF | AF | SF | ZF | PF);
        if (cf) f |= CF;
        if (af) f |= AF;
        if (r == 0) f |= ZF;
        if ((r & 0x80) != 0) f |= SF;
        if ((Integer.bitCount(r) & 1) == 0) f |= PF;
        c.eflags = f;
    }

    private static void aaa(Cpu c) {
        LazyFlags.materialize(c);
        int ax = c.reg[EAX] & 0xFFFF;
        boolean adj = (ax & 0xF) > 9 || (c.eflags & AF) != 0;
        if (adj) ax = (ax + 0x106) & 0xFFFF;
        ax &= 0xFF0F;
        c.setReg(EAX, 1, ax);
        int f = c.eflags & ~(CF | AF);
        if (adj) f |= CF | AF;
        c.eflags = f;
    }

    private static void aas(Cpu c) {
        LazyFlags.materialize(c);
        int ax = c.reg[EAX] & 0xFFFF;
        boolean adj = (ax & 0xF) > 9 || (c.eflags & AF) != 0;
        if (adj) {
            int al = (ax - 6) & 0xFF;
            int ah = ((ax >>> 8) - 1 - ((ax & 0xFF) < 6 ? 1 : 0)) & 0xFF;
            ax = (ah << 8) | al;
        }
        ax &= 0xFF0F;
        c.setReg(EAX, 1, ax);
        int f = c.eflags & ~(CF | AF);
        if (adj) f |= CF | AF;
        c.eflags = f;
    }
}

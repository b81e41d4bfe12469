package dev.tandem.core.asm;

import static dev.tandem.core.asm.Assembler.CREG;
import static dev.tandem.core.asm.Assembler.DREG;
import static dev.tandem.core.asm.Assembler.K_FAR;
import static dev.tandem.core.asm.Assembler.K_IMM;
import static dev.tandem.core.asm.Assembler.K_MEM;
import static dev.tandem.core.asm.Assembler.K_REG;
import static dev.tandem.core.asm.Assembler.R16;
import static dev.tandem.core.asm.Assembler.R32;
import static dev.tandem.core.asm.Assembler.R8;
import static dev.tandem.core.asm.Assembler.SREG;

import dev.tandem.core.asm.Assembler.Opnd;
import dev.tandem.core.asm.Assembler.Stmt;
import dev.tandem.core.asm.Assembler.Val;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Encodes one instruction statement into the assembler's output buffer (one pass). */
final class Encoder {

    // ---- static tables ------------------------------------------------------------------

    /** Zero-operand instructions: {operand size (0, 16, 32), opcode bytes...}. */
    private static final Map<String, int[]> ZERO = new HashMap<>();
    private static final Map<String, Integer> CC = new HashMap<>();
    private static final Set<String> MNEMONICS = new HashSet<>();
    private static final List<String> ALU = List.of("add", "or", "adc", "sbb", "and", "sub", "xor", "cmp");
    private static final List<String> SHIFTS = List.of("rol", "ror", "rcl", "rcr", "shl", "shr", "sal", "sar");
    private static final int[] SEG_PREFIX = {0x26, 0x2E, 0x36, 0x3E, 0x64, 0x65};

    private static void z(String m, int osz, int... bytes) {
        int[] e = new int[bytes.length + 1];
        e[0] = osz;
        System.arraycopy(bytes, 0, e, 1, bytes.length);
        ZERO.put(m, e);
    }

    static {
        z("nop", 0, 0x90); z("hlt", 0, 0xF4); z("cli", 0, 0xFA); z("sti", 0, 0xFB); z("cld", 0, 0xFC);
        z("std", 0, 0xFD); z("clc", 0, 0xF8); z("stc", 0, 0xF9); z("cmc", 0, 0xF5); z("int3", 0, 0xCC);
        z("into", 0, 0xCE); z("int1", 0, 0xF1); z("icebp", 0, 0xF1);
        z("iret", 0, 0xCF); z("iretw", 16, 0xCF); z("iretd", 32, 0xCF);
        z("cbw", 16, 0x98); z("cwde", 32, 0x98); z("cwd", 16, 0x99); z("cdq", 32, 0x99);
        z("pushf", 0, 0x9C); z("pushfw", 16, 0x9C); z("pushfd", 32, 0x9C);
        z("popf", 0, 0x9D); z("popfw", 16, 0x9D); z("popfd", 32, 0x9D);
        z("pusha", 0, 0x60); z("pushaw", 16, 0x60); z("pushad", 32, 0x60);
        z("popa", 0, 0x61); z("popaw", 16, 0x61); z("popad", 32, 0x61);
        z("lahf", 0, 0x9F); z("sahf", 0, 0x9E); z("leave", 0, 0xC9);
        z("daa", 0, 0x27); z("das", 0, 0x2F); z("aaa", 0, 0x37); z("aas", 0, 0x3F);
        z("xlat", 0, 0xD7); z("xlatb", 0, 0xD7); z("wait", 0, 0x9B); z("fwait", 0, 0x9B); z("salc", 0, 0xD6);
        z("cpuid", 0, 0x0F, 0xA2); z("rdtsc", 0, 0x0F, 0x31); z("rdmsr", 0, 0x0F, 0x32); z("wrmsr", 0, 0x0F, 0x30);
        z("clts", 0, 0x0F, 0x06); z("invd", 0, 0x0F, 0x08); z("wbinvd", 0, 0x0F, 0x09); z("ud2", 0, 0x0F, 0x0B);
        z("rdpmc", 0, 0x0F, 0x33);
        String[][] str = {{"movs", "A4"}, {"cmps", "A6"}, {"stos", "AA"}, {"lods", "AC"}, {"scas", "AE"},
                {"ins", "6C"}, {"outs", "6E"}};
        for (String[] e : str) {
            int op = Integer.parseInt(e[1], 16);
            z(e[0] + "b", 0, op);
            z(e[0] + "w", 16, op + 1);
            z(e[0] + "d", 32, op + 1);
        }
        String[][] cc = {{"o"}, {"no"}, {"b", "c", "nae"}, {"ae", "nb", "nc"}, {"e", "z"}, {"ne", "nz"},
                {"be", "na"}, {"a", "nbe"}, {"s"}, {"ns"}, {"p", "pe"}, {"np", "po"}, {"l", "nge"}, {"ge", "nl"},
                {"le", "ng"}, {"g", "nle"}};
        for (int i = 0; i < cc.length; i++) {
            for (String n : cc[i]) {
                CC.put(n, i);
                MNEMONICS.add("j" + n);
                MNEMONICS.add("set" + n);
                MNEMONICS.add("cmov" + n);
            }
        }
        MNEMONICS.addAll(ZERO.keySet());
        MNEMONICS.addAll(ALU);
        MNEMONICS.addAll(SHIFTS);
        MNEMONICS.addAll(List.of("mov", "test", "push", "pop", "inc", "dec", "not", "neg", "mul", "imul", "div",
                "idiv", "shld", "shrd", "lea", "lds", "les", "lss", "lfs", "lgs", "xchg", "jmp", "call",
                "loop", "loope", "loopz", "loopne", "loopnz", "jcxz", "jecxz", "ret", "retn", "retf", "int",
                "in", "out", "lgdt", "lidt", "sgdt", "sidt", "lmsw", "smsw", "ltr", "str", "lldt", "sldt",
                "verr", "verw", "invlpg", "movzx", "movsx", "bt", "bts", "btr", "btc", "bsf", "bsr", "bswap",
                "xadd", "cmpxchg", "cmpxchg8b", "enter", "aam", "aad", "arpl", "lar", "lsl", "bound"));
    }

    static boolean isMnemonic(String m) {
        return MNEMONICS.contains(m);
    }

    // ---- per-instruction state ------------------------------------------------------------

    private final Assembler a;
    private final Stmt s;
    private final List<Opnd> ops;
    private final int bits;
    private final Assembler.Buf out;

    Encoder(Assembler a, Stmt s) {
        this.a = a;
        this.s = s;
        this.ops = s.ops;
        this.bits = a.bits;
        this.out = a.buf;
    }

    private AsmException err(String msg) {
        return a.error(msg + " (in '" + s.mnem + "')");
    }

    private void need(int n) {
        if (ops.size() != n) throw err("expected " + n + " operand" + (n == 1 ? "" : "s") + ", got " + ops.size());
    }

    private Opnd op(int i) { return ops.get(i); }

    private Val val(Opnd o) { return a.eval(o.disp); }

    // ---- emission helpers -------------------------------------------------------------------

    private int memAsz(Opnd m) {
        if (m.addrRegs != 0) return m.addrRegs;
        if (s.userAsz != 0) return s.userAsz;
        return bits;
    }

    /** Emits lock/rep, segment, operand-size and address-size prefixes. size 8 or 0 means none. */
    private void pfx(int size, Opnd rm) {
        if (s.lock) out.put(0xF0);
        if (s.rep != 0) out.put(s.rep);
        int seg = s.segPrefix;
        if (rm != null && rm.kind == K_MEM && rm.seg >= 0) seg = rm.seg;
        if (seg >= 0) out.put(SEG_PREFIX[seg]);
        int osz = s.userOsz != 0 ? s.userOsz : (size == 16 || size == 32) ? size : 0;
        if (osz != 0 && osz != bits) out.put(0x66);
        int asz = (rm != null && rm.kind == K_MEM) ? memAsz(rm) : s.userAsz;
        if (asz != 0 && asz != bits) out.put(0x67);
    }

    private void asz(int size) {
        int asz = size != 0 ? size : s.userAsz;
        if (asz != 0 && asz != bits) out.put(0x67);
    }

    private void put(int... b) {
        for (int x : b) out.put(x);
    }

    private void imm(Val v, int bytes) {
        out.put(v.v(), bytes);
    }

    private static boolean fitsS8(long x) {
        return x >= -128 && x <= 127;
    }

    /** Emits a ModRM byte (plus SIB and displacement) for the given reg field and r/m operand. */
    private void modrm(int reg, Opnd rm) {
        if (rm.kind == K_REG) {
            out.put(0xC0 | (reg << 3) | rm.reg.num());
            return;
        }
        if (rm.kind != K_MEM) throw err("internal: modrm on non r/m operand");
        Val d = rm.disp == null ? new Val(0, 0, false) : a.eval(rm.disp);
        boolean abs = d.isAbs();
        int asz = memAsz(rm);
        if (asz == 32) {
            int b = rm.base, i = rm.index;
            if (b < 0 && i < 0) {
                out.put((reg << 3) | 5);
                imm(d, 4);
                return;
            }
            int ss = switch (rm.scale) { case 2 -> 1; case 4 -> 2; case 8 -> 3; default -> 0; };
            if (b < 0) {
                out.put((reg << 3) | 4);
                out.put((ss << 6) | (i << 3) | 5);
                imm(d, 4);
                return;
            }
            int mod = (abs && d.v() == 0 && b != 5) ? 0 : (abs && fitsS8(d.v())) ? 1 : 2;
            if (i < 0 && b != 4) {
                out.put((mod << 6) | (reg << 3) | b);
            } else {
                out.put((mod << 6) | (reg << 3) | 4);
                out.put((ss << 6) | ((i < 0 ? 4 : i) << 3) | b);
            }
            if (mod == 1) imm(d, 1);
            else if (mod == 2) imm(d, 4);
            return;
        }
        int b = rm.base, i = rm.index;
        int r;
        if (b < 0 && i < 0) {
            out.put((reg << 3) | 6);
            imm(d, 2);
            return;
        }
        if (b == 3 && i == 6) r = 0;
        else if (b == 3 && i == 7) r = 1;
        else if (b == 5 && i == 6) r = 2;
        else if (b == 5 && i == 7) r = 3;
        else if (b < 0 && i == 6) r = 4;
        else if (b < 0 && i == 7) r = 5;
        else if (b == 5) r = 6;
        else r = 7;
        int mod = (abs && d.v() == 0 && r != 6) ? 0 : (abs && fitsS8(d.v())) ? 1 : 2;
        out.put((mod << 6) | (reg << 3) | r);
        if (mod == 1) imm(d, 1);
        else if (mod == 2) imm(d, 2);
    }

    /** Size in bits of an r/m operand, or 0 if a memory operand has no size. */
    private static int rmSize(Opnd o) {
        if (o.kind == K_REG) return o.reg.type();
        return o.size;
    }

    private int requireSize(Opnd rm, Opnd other) {
        int sz = rmSize(rm);
        if (sz == 0 && other != null && other.kind == K_IMM && other.size != 0 && other.size != 8) sz = other.size;
        if (sz == 0 && other != null && other.kind == K_IMM && other.size == 8 && other.strict) sz = 8;
        if (sz == 0) throw err("operation size not specified");
        if (sz != 8 && sz != 16 && sz != 32) throw err("unsupported operand size " + sz);
        return sz;
    }

    private boolean sbyte(Opnd immOp, Val v, int size) {
        if (immOp.size == 8) return true;
        if (immOp.strict) return false;
        if (!v.isAbs()) return false;
        long x = v.v() + 128;
        return size == 16 ? (x & 0xFFFF) <= 255 : (x & 0xFFFFFFFFL) <= 255;
    }

    private void checkRm(Opnd o) {
        if (!o.isRm()) throw err("expected a register or memory operand");
    }

    private void checkSameSize(Opnd m, int size) {
        if (m.kind == K_MEM && m.size != 0 && m.size != size) throw err("operand size mismatch");
        if (m.kind == K_REG && m.reg.type() != size) throw err("operand size mismatch");
    }

    /** Generic "op r/m,reg" (opcode base) or "op reg,r/m" (base+2), with w bit at +1. */
    private void rmReg(int base, Opnd x, Opnd y) {
        if (y.isGpReg() && x.isRm()) {
            int size = y.reg.type();
            checkSameSize(x, size);
            pfx(size, x);
            put(base + (size == 8 ? 0 : 1));
            modrm(y.reg.num(), x);
        } else if (x.isGpReg() && y.kind == K_MEM) {
            int size = x.reg.type();
            checkSameSize(y, size);
            pfx(size, y);
            put(base + 2 + (size == 8 ? 0 : 1));
            modrm(x.reg.num(), y);
        } else {
            throw err("invalid combination of operands");
        }
    }

    private void requireGp(Opnd o, boolean allow8) {
        if (!o.isGpReg() || (!allow8 && o.reg.type() == R8)) throw err("expected a general register"
                + (allow8 ? "" : " (16 or 32 bit)"));
    }

    // ---- main dispatch ---------------------------------------------------------------------

    void encode() {
        String m = s.mnem;
        int[] z = ZERO.get(m);
        if (z != null) {
            need(0);
            pfx(z[0], null);
            for (int i = 1; i < z.length; i++) out.put(z[i]);
            return;
        }
        int alu = ALU.indexOf(m);
        if (alu >= 0) { alu(alu); return; }
        int sh = SHIFTS.indexOf(m);
        if (sh >= 0) { shift(sh == 6 ? 4 : sh == 7 ? 7 : sh); return; }
        if (m.startsWith("j") && CC.containsKey(m.substring(1))) { jump(CC.get(m.substring(1)), false); return; }
        if (m.startsWith("set") && CC.containsKey(m.substring(3))) {
            need(1);
            checkRm(op(0));
            checkSameSize(op(0), 8);
            pfx(0, op(0));
            put(0x0F, 0x90 + CC.get(m.substring(3)));
            modrm(0, op(0));
            return;
        }
        if (m.startsWith("cmov") && CC.containsKey(m.substring(4))) { regRm(0x0F, 0x40 + CC.get(m.substring(4))); return; }
        switch (m) {
            case "mov" -> mov();
            case "test" -> test();
            case "push" -> push();
            case "pop" -> pop();
            case "inc", "dec" -> incDec(m.equals("inc") ? 0 : 1);
            case "not" -> unary(2);
            case "neg" -> unary(3);
            case "mul" -> unary(4);
            case "div" -> unary(6);
            case "idiv" -> unary(7);
            case "imul" -> imul();
            case "shld", "shrd" -> shxd(m.equals("shld") ? 0xA4 : 0xAC);
            case "lea" -> loadPtr(-1, 0x8D);
            case "lds" -> loadPtr(-1, 0xC5);
            case "les" -> loadPtr(-1, 0xC4);
            case "lss" -> loadPtr(0x0F, 0xB2);
            case "lfs" -> loadPtr(0x0F, 0xB4);
            case "lgs" -> loadPtr(0x0F, 0xB5);
            case "bound" -> loadPtr(-1, 0x62);
            case "xchg" -> xchg();
            case "jmp" -> jump(-1, false);
            case "call" -> jump(-1, true);
            case "loopne", "loopnz" -> shortOnly(0xE0, 0);
            case "loope", "loopz" -> shortOnly(0xE1, 0);
            case "loop" -> shortOnly(0xE2, 0);
            case "jcxz" -> shortOnly(0xE3, 16);
            case "jecxz" -> shortOnly(0xE3, 32);
            case "ret", "retn" -> ret(0xC3);
            case "retf" -> ret(0xCB);
            case "int" -> {
                need(1);
                Opnd o = immOp(0);
                pfx(0, null);
                put(0xCD);
                imm(val(o), 1);
            }
            case "in" -> inOut(true);
            case "out" -> inOut(false);
            case "sgdt" -> memOnly(0x01, 0);
            case "sidt" -> memOnly(0x01, 1);
            case "lgdt" -> memOnly(0x01, 2);
            case "lidt" -> memOnly(0x01, 3);
            case "invlpg" -> memOnly(0x01, 7);
            case "smsw" -> sysRm(0x01, 4, true);
            case "lmsw" -> sysRm(0x01, 6, false);
            case "sldt" -> sysRm(0x00, 0, true);
            case "str" -> sysRm(0x00, 1, true);
            case "lldt" -> sysRm(0x00, 2, false);
            case "ltr" -> sysRm(0x00, 3, false);
            case "verr" -> sysRm(0x00, 4, false);
            case "verw" -> sysRm(0x00, 5, false);
            case "movzx" -> movx(0xB6);
            case "movsx" -> movx(0xBE);
            case "bt" -> bitTest(0);
            case "bts" -> bitTest(1);
            case "btr" -> bitTest(2);
            case "btc" -> bitTest(3);
            case "bsf" -> regRm(0x0F, 0xBC);
            case "bsr" -> regRm(0x0F, 0xBD);
            case "lar" -> regRm(0x0F, 0x02);
            case "lsl" -> regRm(0x0F, 0x03);
            case "arpl" -> {
                need(2);
                checkRm(op(0));
                if (!op(1).isReg(R16)) throw err("arpl needs a 16-bit register source");
                checkSameSize(op(0), 16);
                pfx(0, op(0));
                put(0x63);
                modrm(op(1).reg.num(), op(0));
            }
            case "bswap" -> {
                need(1);
                if (!op(0).isReg(R32)) throw err("bswap needs a 32-bit register");
                pfx(32, null);
                put(0x0F, 0xC8 + op(0).reg.num());
            }
            case "xadd" -> rmRegOnly(0x0F, 0xC0);
            case "cmpxchg" -> rmRegOnly(0x0F, 0xB0);
            case "cmpxchg8b" -> {
                need(1);
                if (op(0).kind != K_MEM) throw err("cmpxchg8b needs a memory operand");
                pfx(0, op(0));
                put(0x0F, 0xC7);
                modrm(1, op(0));
            }
            case "enter" -> {
                need(2);
                Opnd x = immOp(0), y = immOp(1);
                pfx(0, null);
                put(0xC8);
                imm(val(x), 2);
                imm(val(y), 1);
            }
            case "aam", "aad" -> {
                if (ops.size() > 1) throw err("too many operands");
                long v = ops.isEmpty() ? 10 : val(immOp(0)).v();
                pfx(0, null);
                put(m.equals("aam") ? 0xD4 : 0xD5, (int) v);
            }
            default -> throw err("unknown mnemonic");
        }
    }

    private Opnd immOp(int i) {
        Opnd o = op(i);
        if (o.kind != K_IMM) throw err("operand " + (i + 1) + " must be an immediate value");
        return o;
    }

    // ---- instruction groups ------------------------------------------------------------------

    private void alu(int code) {
        need(2);
        Opnd x = op(0), y = op(1);
        if (y.kind == K_IMM) {
            checkRm(x);
            int size = requireSize(x, y);
            Val v = val(y);
            if (size == 8) {
                if (x.isAcc()) {
                    pfx(0, null);
                    put(code * 8 + 4);
                } else {
                    pfx(0, x);
                    put(0x80);
                    modrm(code, x);
                }
                imm(v, 1);
                return;
            }
            if (sbyte(y, v, size)) {
                pfx(size, x);
                put(0x83);
                modrm(code, x);
                imm(v, 1);
            } else if (x.isAcc()) {
                pfx(size, null);
                put(code * 8 + 5);
                imm(v, size / 8);
            } else {
                pfx(size, x);
                put(0x81);
                modrm(code, x);
                imm(v, size / 8);
            }
            return;
        }
        rmReg(code * 8, x, y);
    }

    private void test() {
        need(2);
        Opnd x = op(0), y = op(1);
        if (y.kind == K_IMM) {
            checkRm(x);
            int size = requireSize(x, y);
            Val v = val(y);
            if (x.isAcc()) {
                pfx(size, null);
                put(size == 8 ? 0xA8 : 0xA9);
            } else {
                pfx(size, x);
                put(size == 8 ? 0xF6 : 0xF7);
                modrm(0, x);
            }
            imm(v, size / 8);
            return;
        }
        if (x.kind == K_MEM && y.isGpReg() || x.isGpReg() && y.isGpReg()) {
            rmReg(0x84, x, y);
        } else if (x.isGpReg() && y.kind == K_MEM) {
            rmReg(0x84, y, x);
        } else {
            throw err("invalid combination of operands");
        }
    }

    private void mov() {
        need(2);
        Opnd x = op(0), y = op(1);
        if (x.isReg(CREG) || x.isReg(DREG)) {
            if (!y.isReg(R32)) throw err("control/debug register moves need a 32-bit general register");
            pfx(0, null);
            put(0x0F, x.isReg(CREG) ? 0x22 : 0x23);
            modrm(x.reg.num(), y);
            return;
        }
        if (y.isReg(CREG) || y.isReg(DREG)) {
            if (!x.isReg(R32)) throw err("control/debug register moves need a 32-bit general register");
            pfx(0, null);
            put(0x0F, y.isReg(CREG) ? 0x20 : 0x21);
            modrm(y.reg.num(), x);
            return;
        }
        if (y.isReg(SREG)) {
            checkRm(x);
            if (x.kind == K_MEM && x.size != 0 && x.size != 16) throw err("segment register store needs a word operand");
            pfx(x.kind == K_REG ? x.reg.type() : 0, x);
            if (x.isReg(R8)) throw err("cannot move a segment register to an 8-bit register");
            put(0x8C);
            modrm(y.reg.num(), x);
            return;
        }
        if (x.isReg(SREG)) {
            checkRm(y);
            if (y.isReg(R8)) throw err("cannot load a segment register from an 8-bit register");
            if (x.reg.num() == 1) throw err("cannot load CS with mov");
            pfx(0, y);
            put(0x8E);
            modrm(x.reg.num(), y);
            return;
        }
        if (y.kind == K_IMM) {
            checkRm(x);
            int size = requireSize(x, y);
            Val v = val(y);
            if (x.kind == K_REG) {
                pfx(size, null);
                put((size == 8 ? 0xB0 : 0xB8) + x.reg.num());
            } else {
                pfx(size, x);
                put(size == 8 ? 0xC6 : 0xC7);
                modrm(0, x);
            }
            imm(v, size / 8);
            return;
        }
        if (x.isAcc() && y.noRegsMem()) {
            int size = x.reg.type();
            checkSameSize(y, size);
            pfx(size, y);
            put(size == 8 ? 0xA0 : 0xA1);
            imm(val(y.disp == null ? zeroDisp(y) : y), memAsz(y) / 8);
            return;
        }
        if (y.isAcc() && x.noRegsMem()) {
            int size = y.reg.type();
            checkSameSize(x, size);
            pfx(size, x);
            put(size == 8 ? 0xA2 : 0xA3);
            imm(val(x.disp == null ? zeroDisp(x) : x), memAsz(x) / 8);
            return;
        }
        rmReg(0x88, x, y);
    }

    private Opnd zeroDisp(Opnd m) {
        Opnd o = new Opnd();
        o.kind = K_IMM;
        o.disp = new Assembler.Num(0);
        return o;
    }

    private void push() {
        need(1);
        Opnd x = op(0);
        if (x.isReg(SREG)) {
            pfx(0, null);
            switch (x.reg.num()) {
                case 0 -> put(0x06);
                case 1 -> put(0x0E);
                case 2 -> put(0x16);
                case 3 -> put(0x1E);
                case 4 -> put(0x0F, 0xA0);
                default -> put(0x0F, 0xA8);
            }
            return;
        }
        if (x.kind == K_IMM) {
            Val v = val(x);
            int size = x.size == 16 || x.size == 32 ? x.size : bits;
            if (x.size == 8) {
                pfx(0, null);
                put(0x6A);
                imm(v, 1);
            } else if (sbyte(x, v, size)) {
                pfx(size, null);
                put(0x6A);
                imm(v, 1);
            } else {
                pfx(size, null);
                put(0x68);
                imm(v, size / 8);
            }
            return;
        }
        pushPopRm(x, 0x50, 0xFF, 6);
    }

    private void pop() {
        need(1);
        Opnd x = op(0);
        if (x.isReg(SREG)) {
            pfx(0, null);
            switch (x.reg.num()) {
                case 0 -> put(0x07);
                case 1 -> throw err("cannot pop CS");
                case 2 -> put(0x17);
                case 3 -> put(0x1F);
                case 4 -> put(0x0F, 0xA1);
                default -> put(0x0F, 0xA9);
            }
            return;
        }
        pushPopRm(x, 0x58, 0x8F, 0);
    }

    private void pushPopRm(Opnd x, int regBase, int opc, int ext) {
        if (x.isGpReg()) {
            if (x.reg.type() == R8) throw err("cannot push/pop an 8-bit register");
            pfx(x.reg.type(), null);
            put(regBase + x.reg.num());
            return;
        }
        if (x.kind != K_MEM) throw err("invalid operand");
        int size = x.size == 0 ? bits : x.size;
        if (size != 16 && size != 32) throw err("push/pop memory operand must be word or dword");
        pfx(size, x);
        put(opc);
        modrm(ext, x);
    }

    private void incDec(int ext) {
        need(1);
        Opnd x = op(0);
        checkRm(x);
        if (x.isGpReg() && x.reg.type() != R8) {
            pfx(x.reg.type(), null);
            put((ext == 0 ? 0x40 : 0x48) + x.reg.num());
            return;
        }
        int size = requireSize(x, null);
        pfx(size, x);
        put(size == 8 ? 0xFE : 0xFF);
        modrm(ext, x);
    }

    private void unary(int ext) {
        need(1);
        Opnd x = op(0);
        checkRm(x);
        int size = requireSize(x, null);
        pfx(size, x);
        put(size == 8 ? 0xF6 : 0xF7);
        modrm(ext, x);
    }

    private void imul() {
        if (ops.size() == 1) { unary(5); return; }
        Opnd r = op(0);
        requireGp(r, false);
        int size = r.reg.type();
        Opnd src;
        Opnd im;
        if (ops.size() == 2) {
            if (op(1).kind == K_IMM) { src = r; im = op(1); }
            else {
                src = op(1);
                checkRm(src);
                checkSameSize(src, size);
                pfx(size, src);
                put(0x0F, 0xAF);
                modrm(r.reg.num(), src);
                return;
            }
        } else if (ops.size() == 3) {
            src = op(1);
            im = immOp(2);
            checkRm(src);
            checkSameSize(src, size);
        } else {
            throw err("imul takes 1 to 3 operands");
        }
        Val v = val(im);
        if (sbyte(im, v, size)) {
            pfx(size, src);
            put(0x6B);
            modrm(r.reg.num(), src);
            imm(v, 1);
        } else {
            pfx(size, src);
            put(0x69);
            modrm(r.reg.num(), src);
            imm(v, size / 8);
        }
    }

    private void shift(int ext) {
        need(2);
        Opnd x = op(0), c = op(1);
        checkRm(x);
        int size = requireSize(x, null);
        int w = size == 8 ? 0 : 1;
        if (c.isGpReg()) {
            if (c.reg.type() != R8 || c.reg.num() != 1) throw err("shift count register must be cl");
            pfx(size, x);
            put(0xD2 + w);
            modrm(ext, x);
            return;
        }
        if (c.kind != K_IMM) throw err("shift count must be cl or an immediate");
        Val v = val(c);
        if (v.isAbs() && v.v() == 1 && !c.strict) {
            pfx(size, x);
            put(0xD0 + w);
            modrm(ext, x);
            return;
        }
        pfx(size, x);
        put(0xC0 + w);
        modrm(ext, x);
        imm(v, 1);
    }

    private void shxd(int opc) {
        need(3);
        Opnd x = op(0), r = op(1), c = op(2);
        checkRm(x);
        requireGp(r, false);
        checkSameSize(x, r.reg.type());
        if (c.isGpReg()) {
            if (c.reg.type() != R8 || c.reg.num() != 1) throw err("shift count register must be cl");
            pfx(r.reg.type(), x);
            put(0x0F, opc + 1);
            modrm(r.reg.num(), x);
            return;
        }
        if (c.kind != K_IMM) throw err("shift count must be cl or an immediate");
        pfx(r.reg.type(), x);
        put(0x0F, opc);
        modrm(r.reg.num(), x);
        imm(val(c), 1);
    }

    private void loadPtr(int esc, int opc) {
        need(2);
        Opnd r = op(0), m = op(1);
        requireGp(r, false);
        if (m.kind != K_MEM) throw err("second operand must be a memory operand");
        pfx(r.reg.type(), m);
        if (esc >= 0) put(esc);
        put(opc);
        modrm(r.reg.num(), m);
    }

    /** reg16/32, r/m16/32 with opcode 0F xx. */
    private void regRm(int esc, int opc) {
        need(2);
        Opnd r = op(0), m = op(1);
        requireGp(r, false);
        checkRm(m);
        checkSameSize(m, r.reg.type());
        pfx(r.reg.type(), m);
        put(esc, opc);
        modrm(r.reg.num(), m);
    }

    /** r/m, reg with opcode 0F xx (+1 for non-byte). */
    private void rmRegOnly(int esc, int opc) {
        need(2);
        Opnd x = op(0), r = op(1);
        checkRm(x);
        requireGp(r, true);
        int size = r.reg.type();
        checkSameSize(x, size);
        pfx(size, x);
        put(esc, opc + (size == 8 ? 0 : 1));
        modrm(r.reg.num(), x);
    }

    private void xchg() {
        need(2);
        Opnd x = op(0), y = op(1);
        if (x.isGpReg() && y.isGpReg()) {
            int size = x.reg.type();
            if (y.reg.type() != size) throw err("operand size mismatch");
            if (size != 8 && (x.reg.num() == 0 || y.reg.num() == 0)) {
                int other = x.reg.num() == 0 ? y.reg.num() : x.reg.num();
                pfx(size, null);
                put(0x90 + other);
                return;
            }
            pfx(size, null);
            put(size == 8 ? 0x86 : 0x87);
            modrm(x.reg.num(), y);
            return;
        }
        Opnd r = x.isGpReg() ? x : y, m = x.isGpReg() ? y : x;
        if (!r.isGpReg() || m.kind != K_MEM) throw err("invalid combination of operands");
        int size = r.reg.type();
        checkSameSize(m, size);
        pfx(size, m);
        put(size == 8 ? 0x86 : 0x87);
        modrm(r.reg.num(), m);
    }

    private void jump(int cc, boolean call) {
        need(1);
        Opnd t = op(0);
        boolean isJmp = cc < 0 && !call;
        if (cc < 0 && t.kind == K_FAR) {
            int size = (t.size == 16 || t.size == 32) ? t.size : bits;
            Val off = a.eval(t.disp), seg = a.eval(t.farSeg);
            pfx(size, null);
            put(call ? 0x9A : 0xEA);
            imm(off, size / 8);
            imm(seg, 2);
            return;
        }
        if (cc < 0 && (t.kind == K_REG || t.kind == K_MEM)) {
            if (t.kind == K_REG && !t.isGpReg()) throw err("invalid jump target register");
            if (t.isFar) {
                if (t.kind != K_MEM) throw err("far indirect jump needs a memory operand");
                int size = t.size == 16 || t.size == 32 ? t.size : 0;
                pfx(size, t);
                put(0xFF);
                modrm(call ? 3 : 5, t);
                return;
            }
            int size = rmSize(t);
            if (size == 8) throw err("invalid jump operand size");
            pfx(size, t);
            put(0xFF);
            modrm(call ? 2 : 4, t);
            return;
        }
        if (t.kind != K_IMM) throw err("invalid jump target");
        Val v = val(t);
        int nearSize = (t.size == 16 || t.size == 32) ? t.size : bits;
        boolean canShort = !call && !t.isNear && t.size == 0 && (v.unknown() || v.rel() != 0) && !(t.strict && t.size != 8);
        if (t.isShort || (canShort && !s.longJump)) {
            long start = a.buf.n;
            pfx(0, null);
            put(isJmp ? 0xEB : 0x70 + cc);
            long d = v.v() - (a.here() + 1);
            if (!v.unknown() && !fitsS8(d)) {
                if (t.isShort) {
                    a.softError("short jump out of range (distance " + d + ")");
                } else {
                    s.longJump = true;
                    a.buf.n = (int) start;
                    nearJump(cc, call, v, nearSize);
                    return;
                }
            }
            imm(new Val(d, 0, false), 1);
            return;
        }
        nearJump(cc, call, v, nearSize);
    }

    private void nearJump(int cc, boolean call, Val v, int size) {
        pfx(size, null);
        if (call) put(0xE8);
        else if (cc < 0) put(0xE9);
        else put(0x0F, 0x80 + cc);
        long d = v.v() - (a.here() + size / 8);
        imm(new Val(d, 0, false), size / 8);
    }

    private void shortOnly(int opc, int addrSize) {
        if (ops.size() != 1) throw err("expected 1 operand");
        Opnd t = op(0);
        if (t.kind != K_IMM) throw err("jump target must be a label or address");
        Val v = val(t);
        if (s.lock) out.put(0xF0);
        asz(addrSize);
        put(opc);
        long d = v.v() - (a.here() + 1);
        if (!v.unknown() && !fitsS8(d)) a.softError("short jump out of range (distance " + d + ")");
        imm(new Val(d, 0, false), 1);
    }

    private void ret(int opc) {
        if (ops.isEmpty()) {
            pfx(0, null);
            put(opc);
            return;
        }
        need(1);
        Opnd x = immOp(0);
        pfx(0, null);
        put(opc - 1);
        imm(val(x), 2);
    }

    private void inOut(boolean in) {
        need(2);
        Opnd acc = in ? op(0) : op(1), port = in ? op(1) : op(0);
        if (!acc.isAcc()) throw err("in/out data operand must be al, ax or eax");
        int size = acc.reg.type();
        int w = size == 8 ? 0 : 1;
        if (port.isReg(R16) && port.reg.num() == 2) {
            pfx(size, null);
            put((in ? 0xEC : 0xEE) + w);
            return;
        }
        if (port.kind != K_IMM) throw err("port must be an immediate or dx");
        pfx(size, null);
        put((in ? 0xE4 : 0xE6) + w);
        imm(val(port), 1);
    }

    private void memOnly(int opc2, int ext) {
        need(1);
        Opnd x = op(0);
        if (x.kind != K_MEM) throw err("needs a memory operand");
        pfx(0, x);
        put(0x0F, opc2);
        modrm(ext, x);
    }

    /** System instructions on r/m16; stores to a 32-bit register get an o32 form. */
    private void sysRm(int opc2, int ext, boolean store) {
        need(1);
        Opnd x = op(0);
        checkRm(x);
        if (x.isReg(R8)) throw err("invalid 8-bit operand");
        if (!store && x.isReg(R32)) throw err("needs a 16-bit operand");
        pfx(x.kind == K_REG && store ? x.reg.type() : 0, x);
        put(0x0F, opc2);
        modrm(ext, x);
    }

    private void movx(int opc) {
        need(2);
        Opnd r = op(0), src = op(1);
        requireGp(r, false);
        checkRm(src);
        int ss = rmSize(src);
        if (ss == 0) throw err("source operand size not specified (use byte or word)");
        if (ss != 8 && ss != 16) throw err("source operand must be 8 or 16 bits");
        if (ss >= r.reg.type()) throw err("source must be smaller than destination");
        pfx(r.reg.type(), src);
        put(0x0F, opc + (ss == 16 ? 1 : 0));
        modrm(r.reg.num(), src);
    }

    private void bitTest(int k) {
        need(2);
        Opnd x = op(0), y = op(1);
        checkRm(x);
        if (y.kind == K_IMM) {
            int size = requireSize(x, y);
            if (size == 8) throw err("bit test needs a 16 or 32-bit operand");
            pfx(size, x);
            put(0x0F, 0xBA);
            modrm(4 + k, x);
            imm(val(y), 1);
            return;
        }
        requireGp(y, false);
        checkSameSize(x, y.reg.type());
        pfx(y.reg.type(), x);
        put(0x0F, 0xA3 + 8 * k);
        modrm(y.reg.num(), x);
    }
}

package dev.tandem.core.cpu;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The one declarative table of the IA-32 integer instruction set implemented here.
 *
 * <p>Each row names an opcode (one byte, or {@code 0F xx}), optionally a ModRM reg field for group
 * opcodes ({@code "80/3"}), the mnemonic, the operands in the Intel manual's notation
 * ({@code Eb,Gb}, {@code Ev,Iz}, {@code Jb} ...), the handler that executes it, and a sub-operation
 * number the handler interprets (ALU operation, condition code, register number ...).
 *
 * <p>The decoder derives everything it needs from the operand notation: whether a ModRM byte
 * follows, and the size of each immediate. The conformance and differential tests read the same
 * table to report coverage per instruction form.
 */
public final class OpTable {
    private OpTable() { }

    /** One instruction form. */
    public record Form(int opcode, int regField, String mnemonic, String operands, int handler, int sub,
                       int flags) {
        /** {@code "0F A3"} / {@code "80/3"} style key, as in the test data file names. */
        public String key() {
            String op = opcode >= 0x100 ? String.format("0F%02X", opcode & 0xFF) : String.format("%02X", opcode);
            return regField >= 0 ? op + "." + regField : op;
        }

        @Override
        public String toString() {
            return key() + " " + mnemonic + (operands.isEmpty() ? "" : " " + operands);
        }
    }

    // ------------------------------------------------------------------ form flags
    /** The form may carry a LOCK prefix (memory destination only). */
    public static final int LOCKABLE = 1;
    /** Only valid in protected mode (not real or virtual-8086): #UD otherwise. */
    public static final int PM_ONLY = 2;
    /** Ends a decoded block (control transfer, or changes state decoding depends on). */
    public static final int ENDS_BLOCK = 4;
    /** ModRM must encode a memory operand; mod==3 raises #UD. */
    public static final int MEM_ONLY = 8;
    /** ModRM must encode a register operand (MOV CRn/DRn ignore mod). */
    public static final int REG_ONLY = 16;

    // ------------------------------------------------------------------ decode info packing
    // info word: handler (bits 0-9) | sub (10-17) | modrm (18) | imm1 kind (19-22) | imm2 kind (23-25) | valid (26) | flags (27-31)
    static final int IMM_NONE = 0, IMM_B = 1, IMM_W = 2, IMM_Z = 3, IMM_V = 4, IMM_SB = 5, IMM_JB = 6, IMM_JZ = 7,
            IMM_AP = 8, IMM_O = 9;

    static final int[] INFO = new int[512];
    static final int[] GROUP_INFO = new int[512 * 8];
    static final boolean[] IS_GROUP = new boolean[512];
    private static final List<Form> FORMS = new ArrayList<>();

    public static List<Form> forms() {
        return Collections.unmodifiableList(FORMS);
    }

    static int handler(int info) {
        return info & 0x3FF;
    }

    static int sub(int info) {
        return (info >>> 10) & 0xFF;
    }

    static boolean hasModrm(int info) {
        return (info & (1 << 18)) != 0;
    }

    static int imm1(int info) {
        return (info >>> 19) & 0xF;
    }

    static int imm2(int info) {
        return (info >>> 23) & 0x7;
    }

    static boolean valid(int info) {
        return (info & (1 << 26)) != 0;
    }

    static int flags(int info) {
        return info >>> 27;
    }

    private static void def(String op, String mnemonic, String operands, int handler, int sub, int flags) {
        int slash = op.indexOf('/');
        int reg = slash < 0 ? -1 : Integer.parseInt(op.substring(slash + 1));
        String code = slash < 0 ? op : op.substring(0, slash);
        int opcode = code.startsWith("0F") ? 0x100 | Integer.parseInt(code.substring(2).trim(), 16)
                : Integer.parseInt(code, 16);
        boolean modrm = reg >= 0;
        int imm1 = IMM_NONE, imm2 = IMM_NONE;
        if (!operands.isEmpty()) {
            for (String o : operands.split(",")) {
                switch (o) {
                    case "Eb", "Ev", "Ew", "Ed", "Gb", "Gv", "Gw", "Gd", "M", "Ma", "Mp", "Mq", "Ms", "Sw", "Rd", "Cd",
                            "Dd", "Ep", "Mb" -> modrm = true;
                    case "Ib" -> {
                        if (imm1 == IMM_NONE) imm1 = IMM_B; else imm2 = IMM_B;
                    }
                    case "Iw" -> imm1 = IMM_W;
                    case "Iz" -> imm1 = IMM_Z;
                    case "Iv" -> imm1 = IMM_V;
                    case "Ibs" -> imm1 = IMM_SB;
                    case "Jb" -> imm1 = IMM_JB;
                    case "Jz" -> imm1 = IMM_JZ;
                    case "Ap" -> imm1 = IMM_AP;
                    case "Ob", "Ov" -> imm1 = IMM_O;
                    case "AL", "CL", "DX", "eAX", "AX", "1", "Zb", "Zv", "Sreg", "rSP" -> { }
                    default -> throw new IllegalStateException("unknown operand " + o + " in " + op);
                }
            }
        }
        int info = handler | (sub << 10) | (modrm ? 1 << 18 : 0) | (imm1 << 19) | (imm2 << 23) | (1 << 26)
                | (flags << 27);
        if (reg >= 0) {
            IS_GROUP[opcode] = true;
            GROUP_INFO[opcode * 8 + reg] = info;
        } else {
            if (INFO[opcode] != 0) throw new IllegalStateException("duplicate " + op);
            INFO[opcode] = info;
        }
        FORMS.add(new Form(opcode, reg, mnemonic, operands, handler, sub, flags));
    }

    private static void def(String op, String mnemonic, String operands, int handler) {
        def(op, mnemonic, operands, handler, 0, 0);
    }

    private static final String[] ALU = {"ADD", "OR", "ADC", "SBB", "AND", "SUB", "XOR", "CMP"};
    private static final String[] SHIFT = {"ROL", "ROR", "RCL", "RCR", "SHL", "SHR", "SAL", "SAR"};
    private static final String[] CC = {"O", "NO", "B", "AE", "E", "NE", "BE", "A", "S", "NS", "P", "NP", "L", "GE", "LE",
            "G"};
    private static final String[] REG32 = {"EAX", "ECX", "EDX", "EBX", "ESP", "EBP", "ESI", "EDI"};
    private static final String[] SEG = {"ES", "CS", "SS", "DS", "FS", "GS"};

    static {
        final int L = LOCKABLE, E = ENDS_BLOCK;
        for (int a = 0; a < 8; a++) {
            int b = a * 8;
            int lk = a == 7 ? 0 : L;
            def(hex(b), ALU[a], "Eb,Gb", HandlerId.ALU_EbGb, a, lk);
            def(hex(b + 1), ALU[a], "Ev,Gv", HandlerId.ALU_EvGv, a, lk);
            def(hex(b + 2), ALU[a], "Gb,Eb", HandlerId.ALU_GbEb, a, 0);
            def(hex(b + 3), ALU[a], "Gv,Ev", HandlerId.ALU_GvEv, a, 0);
            def(hex(b + 4), ALU[a], "AL,Ib", HandlerId.ALU_ALIb, a, 0);
            def(hex(b + 5), ALU[a], "eAX,Iz", HandlerId.ALU_eAXIz, a, 0);
            def("80/" + a, ALU[a], "Eb,Ib", HandlerId.ALU_EbIb, a, lk);
            def("81/" + a, ALU[a], "Ev,Iz", HandlerId.ALU_EvIz, a, lk);
            def("82/" + a, ALU[a], "Eb,Ib", HandlerId.ALU_EbIb, a, lk);
            def("83/" + a, ALU[a], "Ev,Ibs", HandlerId.ALU_EvIz, a, lk);
        }
        def("06", "PUSH", "Sreg", HandlerId.PUSH_SEG, 0, 0);
        def("07", "POP", "Sreg", HandlerId.POP_SEG, 0, E);
        def("0E", "PUSH", "Sreg", HandlerId.PUSH_SEG, 1, 0);
        def("16", "PUSH", "Sreg", HandlerId.PUSH_SEG, 2, 0);
        def("17", "POP", "Sreg", HandlerId.POP_SEG, 2, E);
        def("1E", "PUSH", "Sreg", HandlerId.PUSH_SEG, 3, 0);
        def("1F", "POP", "Sreg", HandlerId.POP_SEG, 3, E);
        def("27", "DAA", "", HandlerId.DAA);
        def("2F", "DAS", "", HandlerId.DAS);
        def("37", "AAA", "", HandlerId.AAA);
        def("3F", "AAS", "", HandlerId.AAS);
        for (int r = 0; r < 8; r++) {
            def(hex(0x40 + r), "INC", "Zv", HandlerId.INC_Zv, r, 0);
            def(hex(0x48 + r), "DEC", "Zv", HandlerId.DEC_Zv, r, 0);
            def(hex(0x50 + r), "PUSH", "Zv", HandlerId.PUSH_Zv, r, 0);
            def(hex(0x58 + r), "POP", "Zv", HandlerId.POP_Zv, r, 0);
        }
        def("60", "PUSHA", "", HandlerId.PUSHA);
        def("61", "POPA", "", HandlerId.POPA);
        def("62", "BOUND", "Gv,Ma", HandlerId.BOUND, 0, MEM_ONLY);
        def("63", "ARPL", "Ew,Gw", HandlerId.ARPL, 0, PM_ONLY);
        def("68", "PUSH", "Iz", HandlerId.PUSH_I);
        def("69", "IMUL", "Gv,Ev,Iz", HandlerId.IMUL_GvEvI);
        def("6A", "PUSH", "Ibs", HandlerId.PUSH_I);
        def("6B", "IMUL", "Gv,Ev,Ibs", HandlerId.IMUL_GvEvI);
        def("6C", "INSB", "", HandlerId.INS, 1, E);
        def("6D", "INSW", "", HandlerId.INS, 0, E);
        def("6E", "OUTSB", "", HandlerId.OUTS, 1, E);
        def("6F", "OUTSW", "", HandlerId.OUTS, 0, E);
        for (int c = 0; c < 16; c++) {
            def(hex(0x70 + c), "J" + CC[c], "Jb", HandlerId.JCC, c, E);
            def("0F" + hex(0x80 + c), "J" + CC[c], "Jz", HandlerId.JCC, c, E);
            def("0F" + hex(0x90 + c), "SET" + CC[c], "Eb", HandlerId.SETCC, c, 0);
            def("0F" + hex(0x40 + c), "CMOV" + CC[c], "Gv,Ev", HandlerId.CMOVCC, c, 0);
        }
        def("84", "TEST", "Eb,Gb", HandlerId.TEST_EbGb);
        def("85", "TEST", "Ev,Gv", HandlerId.TEST_EvGv);
        def("86", "XCHG", "Eb,Gb", HandlerId.XCHG_EbGb, 0, L);
        def("87", "XCHG", "Ev,Gv", HandlerId.XCHG_EvGv, 0, L);
        def("88", "MOV", "Eb,Gb", HandlerId.MOV_EbGb);
        def("89", "MOV", "Ev,Gv", HandlerId.MOV_EvGv);
        def("8A", "MOV", "Gb,Eb", HandlerId.MOV_GbEb);
        def("8B", "MOV", "Gv,Ev", HandlerId.MOV_GvEv);
        def("8C", "MOV", "Ev,Sw", HandlerId.MOV_EvSw);
        def("8D", "LEA", "Gv,M", HandlerId.LEA, 0, MEM_ONLY);
        def("8E", "MOV", "Sw,Ew", HandlerId.MOV_SwEw, 0, E);
        def("8F/0", "POP", "Ev", HandlerId.POP_Ev);
        def("90", "NOP", "", HandlerId.NOP);
        for (int r = 1; r < 8; r++) def(hex(0x90 + r), "XCHG", "eAX,Zv", HandlerId.XCHG_eAX, r, 0);
        def("98", "CBW", "", HandlerId.CBW);
        def("99", "CWD", "", HandlerId.CWD);
        def("9A", "CALLF", "Ap", HandlerId.CALLF_Ap, 0, E);
        def("9B", "WAIT", "", HandlerId.WAIT, 0, E);
        def("9C", "PUSHF", "", HandlerId.PUSHF);
        def("9D", "POPF", "", HandlerId.POPF, 0, E);
        def("9E", "SAHF", "", HandlerId.SAHF);
        def("9F", "LAHF", "", HandlerId.LAHF);
        def("A0", "MOV", "AL,Ob", HandlerId.MOV_ALOb);
        def("A1", "MOV", "eAX,Ov", HandlerId.MOV_eAXOv);
        def("A2", "MOV", "Ob,AL", HandlerId.MOV_ObAL);
        def("A3", "MOV", "Ov,eAX", HandlerId.MOV_OveAX);
        def("A4", "MOVSB", "", HandlerId.MOVS, 1, 0);
        def("A5", "MOVSW", "", HandlerId.MOVS, 0, 0);
        def("A6", "CMPSB", "", HandlerId.CMPS, 1, 0);
        def("A7", "CMPSW", "", HandlerId.CMPS, 0, 0);
        def("A8", "TEST", "AL,Ib", HandlerId.TEST_ALIb);
        def("A9", "TEST", "eAX,Iz", HandlerId.TEST_eAXIz);
        def("AA", "STOSB", "", HandlerId.STOS, 1, 0);
        def("AB", "STOSW", "", HandlerId.STOS, 0, 0);
        def("AC", "LODSB", "", HandlerId.LODS, 1, 0);
        def("AD", "LODSW", "", HandlerId.LODS, 0, 0);
        def("AE", "SCASB", "", HandlerId.SCAS, 1, 0);
        def("AF", "SCASW", "", HandlerId.SCAS, 0, 0);
        for (int r = 0; r < 8; r++) {
            def(hex(0xB0 + r), "MOV", "Zb,Ib", HandlerId.MOV_ZbIb, r, 0);
            def(hex(0xB8 + r), "MOV", "Zv,Iv", HandlerId.MOV_ZvIv, r, 0);
        }
        for (int s = 0; s < 8; s++) {
            def("C0/" + s, SHIFT[s], "Eb,Ib", HandlerId.SHIFT_Eb, s, 0);
            def("C1/" + s, SHIFT[s], "Ev,Ib", HandlerId.SHIFT_Ev, s, 0);
            def("D0/" + s, SHIFT[s], "Eb,1", HandlerId.SHIFT1_Eb, s, 0);
            def("D1/" + s, SHIFT[s], "Ev,1", HandlerId.SHIFT1_Ev, s, 0);
            def("D2/" + s, SHIFT[s], "Eb,CL", HandlerId.SHIFTCL_Eb, s, 0);
            def("D3/" + s, SHIFT[s], "Ev,CL", HandlerId.SHIFTCL_Ev, s, 0);
        }
        def("C2", "RET", "Iw", HandlerId.RET_Iw, 0, E);
        def("C3", "RET", "", HandlerId.RET, 0, E);
        def("C4", "LES", "Gv,Mp", HandlerId.LxS, 0, MEM_ONLY | E);
        def("C5", "LDS", "Gv,Mp", HandlerId.LxS, 3, MEM_ONLY | E);
        def("C6/0", "MOV", "Eb,Ib", HandlerId.MOV_EbIb);
        def("C7/0", "MOV", "Ev,Iz", HandlerId.MOV_EvIz);
        def("C8", "ENTER", "Iw,Ib", HandlerId.ENTER);
        def("C9", "LEAVE", "", HandlerId.LEAVE);
        def("CA", "RETF", "Iw", HandlerId.RETF, 1, E);
        def("CB", "RETF", "", HandlerId.RETF, 0, E);
        def("CC", "INT3", "", HandlerId.INT3, 0, E);
        def("CD", "INT", "Ib", HandlerId.INT_Ib, 0, E);
        def("CE", "INTO", "", HandlerId.INTO, 0, E);
        def("CF", "IRET", "", HandlerId.IRET, 0, E);
        def("D4", "AAM", "Ib", HandlerId.AAM);
        def("D5", "AAD", "Ib", HandlerId.AAD);
        def("D6", "SALC", "", HandlerId.SALC);
        def("D7", "XLAT", "", HandlerId.XLAT);
        for (int f = 0; f < 8; f++) def(hex(0xD8 + f), "ESC", "Ev", HandlerId.FPU, f, 0);
        def("E0", "LOOPNE", "Jb", HandlerId.LOOP, 0, E);
        def("E1", "LOOPE", "Jb", HandlerId.LOOP, 1, E);
        def("E2", "LOOP", "Jb", HandlerId.LOOP, 2, E);
        def("E3", "JCXZ", "Jb", HandlerId.JCXZ, 0, E);
        def("E4", "IN", "AL,Ib", HandlerId.IN_I, 1, E);
        def("E5", "IN", "eAX,Ib", HandlerId.IN_I, 0, E);
        def("E6", "OUT", "Ib,AL", HandlerId.OUT_I, 1, E);
        def("E7", "OUT", "Ib,eAX", HandlerId.OUT_I, 0, E);
        def("E8", "CALL", "Jz", HandlerId.CALL_Jz, 0, E);
        def("E9", "JMP", "Jz", HandlerId.JMP_J, 0, E);
        def("EA", "JMPF", "Ap", HandlerId.JMPF_Ap, 0, E);
        def("EB", "JMP", "Jb", HandlerId.JMP_J, 0, E);
        def("EC", "IN", "AL,DX", HandlerId.IN_DX, 1, E);
        def("ED", "IN", "eAX,DX", HandlerId.IN_DX, 0, E);
        def("EE", "OUT", "DX,AL", HandlerId.OUT_DX, 1, E);
        def("EF", "OUT", "DX,eAX", HandlerId.OUT_DX, 0, E);
        def("F1", "INT1", "", HandlerId.INT1, 0, E);
        def("F4", "HLT", "", HandlerId.HLT, 0, E);
        def("F5", "CMC", "", HandlerId.CMC);
        def("F6/0", "TEST", "Eb,Ib", HandlerId.TEST_EbIb);
        def("F6/1", "TEST", "Eb,Ib", HandlerId.TEST_EbIb);
        def("F6/2", "NOT", "Eb", HandlerId.NOT_Eb, 0, L);
        def("F6/3", "NEG", "Eb", HandlerId.NEG_Eb, 0, L);
        def("F6/4", "MUL", "Eb", HandlerId.MUL_Eb);
        def("F6/5", "IMUL", "Eb", HandlerId.IMUL_Eb);
        def("F6/6", "DIV", "Eb", HandlerId.DIV_Eb);
        def("F6/7", "IDIV", "Eb", HandlerId.IDIV_Eb);
        def("F7/0", "TEST", "Ev,Iz", HandlerId.TEST_EvIz);
        def("F7/1", "TEST", "Ev,Iz", HandlerId.TEST_EvIz);
        def("F7/2", "NOT", "Ev", HandlerId.NOT_Ev, 0, L);
        def("F7/3", "NEG", "Ev", HandlerId.NEG_Ev, 0, L);
        def("F7/4", "MUL", "Ev", HandlerId.MUL_Ev);
        def("F7/5", "IMUL", "Ev", HandlerId.IMUL_Ev);
        def("F7/6", "DIV", "Ev", HandlerId.DIV_Ev);
        def("F7/7", "IDIV", "Ev", HandlerId.IDIV_Ev);
        def("F8", "CLC", "", HandlerId.CLC);
        def("F9", "STC", "", HandlerId.STC);
        def("FA", "CLI", "", HandlerId.CLI, 0, E);
        def("FB", "STI", "", HandlerId.STI, 0, E);
        def("FC", "CLD", "", HandlerId.CLD);
        def("FD", "STD", "", HandlerId.STD);
        def("FE/0", "INC", "Eb", HandlerId.INC_Eb, 0, L);
        def("FE/1", "DEC", "Eb", HandlerId.DEC_Eb, 0, L);
        def("FF/0", "INC", "Ev", HandlerId.INC_Ev, 0, L);
        def("FF/1", "DEC", "Ev", HandlerId.DEC_Ev, 0, L);
        def("FF/2", "CALL", "Ev", HandlerId.CALL_Ev, 0, E);
        def("FF/3", "CALLF", "Mp", HandlerId.CALLF_Ep, 0, E | MEM_ONLY);
        def("FF/4", "JMP", "Ev", HandlerId.JMP_Ev, 0, E);
        def("FF/5", "JMPF", "Mp", HandlerId.JMPF_Ep, 0, E | MEM_ONLY);
        def("FF/6", "PUSH", "Ev", HandlerId.PUSH_Ev);

        // ---- two-byte opcodes
        String[] g6 = {"SLDT", "STR", "LLDT", "LTR", "VERR", "VERW"};
        for (int r = 0; r < 6; r++) def("0F00/" + r, g6[r], "Ew", HandlerId.GRP6, r, PM_ONLY | E);
        String[] g7 = {"SGDT", "SIDT", "LGDT", "LIDT", "SMSW", null, "LMSW", "INVLPG"};
        for (int r = 0; r < 8; r++) {
            if (g7[r] == null) continue;
            int fl = (r < 4 || r == 7) ? MEM_ONLY : 0;
            def("0F01/" + r, g7[r], r == 4 || r == 6 ? "Ew" : "Ms", HandlerId.GRP7, r, fl | E);
        }
        def("0F02", "LAR", "Gv,Ew", HandlerId.LAR, 0, PM_ONLY);
        def("0F03", "LSL", "Gv,Ew", HandlerId.LSL, 0, PM_ONLY);
        def("0F06", "CLTS", "", HandlerId.CLTS, 0, E);
        def("0F08", "INVD", "", HandlerId.NOP);
        def("0F09", "WBINVD", "", HandlerId.NOP);
        def("0F0B", "UD2", "", HandlerId.UD, 0, E);
        for (int n = 0x18; n <= 0x1F; n++) def("0F" + hex(n), "NOP", "Ev", HandlerId.NOP_Ev);
        def("0F20", "MOV", "Rd,Cd", HandlerId.MOV_RdCd, 0, REG_ONLY);
        def("0F21", "MOV", "Rd,Dd", HandlerId.MOV_RdDd, 0, REG_ONLY);
        def("0F22", "MOV", "Cd,Rd", HandlerId.MOV_CdRd, 0, REG_ONLY | E);
        def("0F23", "MOV", "Dd,Rd", HandlerId.MOV_DdRd, 0, REG_ONLY | E);
        def("0F30", "WRMSR", "", HandlerId.WRMSR, 0, E);
        def("0F31", "RDTSC", "", HandlerId.RDTSC);
        def("0F32", "RDMSR", "", HandlerId.RDMSR, 0, E);
        def("0FA0", "PUSH", "Sreg", HandlerId.PUSH_SEG, 4, 0);
        def("0FA1", "POP", "Sreg", HandlerId.POP_SEG, 4, E);
        def("0FA2", "CPUID", "", HandlerId.CPUID);
        def("0FA3", "BT", "Ev,Gv", HandlerId.BT_EvGv, 0, 0);
        def("0FA4", "SHLD", "Ev,Gv,Ib", HandlerId.SHLD, 0, 0);
        def("0FA5", "SHLD", "Ev,Gv,CL", HandlerId.SHLD, 1, 0);
        def("0FA8", "PUSH", "Sreg", HandlerId.PUSH_SEG, 5, 0);
        def("0FA9", "POP", "Sreg", HandlerId.POP_SEG, 5, E);
        def("0FAB", "BTS", "Ev,Gv", HandlerId.BT_EvGv, 1, L);
        def("0FAC", "SHRD", "Ev,Gv,Ib", HandlerId.SHRD, 0, 0);
        def("0FAD", "SHRD", "Ev,Gv,CL", HandlerId.SHRD, 1, 0);
        def("0FAF", "IMUL", "Gv,Ev", HandlerId.IMUL_GvEv);
        def("0FB0", "CMPXCHG", "Eb,Gb", HandlerId.CMPXCHG_Eb, 0, L);
        def("0FB1", "CMPXCHG", "Ev,Gv", HandlerId.CMPXCHG_Ev, 0, L);
        def("0FB2", "LSS", "Gv,Mp", HandlerId.LxS, 2, MEM_ONLY | E);
        def("0FB3", "BTR", "Ev,Gv", HandlerId.BT_EvGv, 2, L);
        def("0FB4", "LFS", "Gv,Mp", HandlerId.LxS, 4, MEM_ONLY | E);
        def("0FB5", "LGS", "Gv,Mp", HandlerId.LxS, 5, MEM_ONLY | E);
        def("0FB6", "MOVZX", "Gv,Eb", HandlerId.MOVZX_Eb);
        def("0FB7", "MOVZX", "Gv,Ew", HandlerId.MOVZX_Ew);
        for (int r = 4; r < 8; r++) {
            def("0FBA/" + r, new String[] {"BT", "BTS", "BTR", "BTC"}[r - 4], "Ev,Ib", HandlerId.BT_EvIb, r - 4,
                    r == 4 ? 0 : L);
        }
        def("0FBB", "BTC", "Ev,Gv", HandlerId.BT_EvGv, 3, L);
        def("0FBC", "BSF", "Gv,Ev", HandlerId.BSF);
        def("0FBD", "BSR", "Gv,Ev", HandlerId.BSR);
        def("0FBE", "MOVSX", "Gv,Eb", HandlerId.MOVSX_Eb);
        def("0FBF", "MOVSX", "Gv,Ew", HandlerId.MOVSX_Ew);
        def("0FC0", "XADD", "Eb,Gb", HandlerId.XADD_Eb, 0, L);
        def("0FC1", "XADD", "Ev,Gv", HandlerId.XADD_Ev, 0, L);
        def("0FC7/1", "CMPXCHG8B", "Mq", HandlerId.CMPXCHG8B, 0, L | MEM_ONLY);
        for (int r = 0; r < 8; r++) def("0F" + hex(0xC8 + r), "BSWAP", "Zv", HandlerId.BSWAP, r, 0);
    }

    private static String hex(int v) {
        return String.format("%02X", v);
    }

    /** Names of segment registers, general registers, condition codes (for disassembly and reports). */
    public static String segName(int s) {
        return SEG[s];
    }

    public static String reg32Name(int r) {
        return REG32[r];
    }

    public static String ccName(int c) {
        return CC[c];
    }
}

package dev.tandem.core.cpu;

/**
 * Handler ids: the number {@link OpTable} stores for each instruction form and the interpreter
 * dispatches on, named after the form in the Intel manual's operand notation ({@code ALU_EvGv}: an
 * ALU operation with a ModRM r/m destination and a register source of operand size).
 */
final class HandlerId {
    /**
     * Handlers specialized for 32-bit operand size (picked by the decoder from the table's handler
     * and the operand size; they behave exactly like the generic handler with size 32).
     */
    static final int[] SPECIAL32 = new int[512];

    private HandlerId() { }

    static final int UD = 0;
    static final int ALU_EbGb = 1;
    static final int ALU_EvGv = 2;
    static final int ALU_GbEb = 3;
    static final int ALU_GvEv = 4;
    static final int ALU_ALIb = 5;
    static final int ALU_eAXIz = 6;
    static final int ALU_EbIb = 7;
    static final int ALU_EvIz = 8;
    static final int PUSH_SEG = 9;
    static final int POP_SEG = 10;
    static final int DAA = 11;
    static final int DAS = 12;
    static final int AAA = 13;
    static final int AAS = 14;
    static final int INC_Zv = 15;
    static final int DEC_Zv = 16;
    static final int PUSH_Zv = 17;
    static final int POP_Zv = 18;
    static final int PUSHA = 19;
    static final int POPA = 20;
    static final int BOUND = 21;
    static final int ARPL = 22;
    static final int PUSH_I = 23;
    static final int IMUL_GvEvI = 24;
    static final int INS = 25;
    static final int OUTS = 26;
    static final int JCC = 27;
    static final int SETCC = 28;
    static final int CMOVCC = 29;
    static final int TEST_EbGb = 30;
    static final int TEST_EvGv = 31;
    static final int XCHG_EbGb = 32;
    static final int XCHG_EvGv = 33;
    static final int MOV_EbGb = 34;
    static final int MOV_EvGv = 35;
    static final int MOV_GbEb = 36;
    static final int MOV_GvEv = 37;
    static final int MOV_EvSw = 38;
    static final int LEA = 39;
    static final int MOV_SwEw = 40;
    static final int POP_Ev = 41;
    static final int NOP = 42;
    static final int XCHG_eAX = 43;
    static final int CBW = 44;
    static final int CWD = 45;
    static final int CALLF_Ap = 46;
    static final int WAIT = 47;
    static final int PUSHF = 48;
    static final int POPF = 49;
    static final int SAHF = 50;
    static final int LAHF = 51;
    static final int MOV_ALOb = 52;
    static final int MOV_eAXOv = 53;
    static final int MOV_ObAL = 54;
    static final int MOV_OveAX = 55;
    static final int MOVS = 56;
    static final int CMPS = 57;
    static final int TEST_ALIb = 58;
    static final int TEST_eAXIz = 59;
    static final int STOS = 60;
    static final int LODS = 61;
    static final int SCAS = 62;
    static final int MOV_ZbIb = 63;
    static final int MOV_ZvIv = 64;
    static final int SHIFT_Eb = 65;
    static final int SHIFT_Ev = 66;
    static final int SHIFT1_Eb = 67;
    static final int SHIFT1_Ev = 68;
    static final int SHIFTCL_Eb = 69;
    static final int SHIFTCL_Ev = 70;
    static final int RET_Iw = 71;
    static final int RET = 72;
    static final int LxS = 73;
    static final int MOV_EbIb = 74;
    static final int MOV_EvIz = 75;
    static final int ENTER = 76;
    static final int LEAVE = 77;
    static final int RETF = 78;
    static final int INT3 = 79;
    static final int INT_Ib = 80;
    static final int INTO = 81;
    static final int IRET = 82;
    static final int AAM = 83;
    static final int AAD = 84;
    static final int SALC = 85;
    static final int XLAT = 86;
    static final int FPU = 87;
    static final int LOOP = 88;
    static final int JCXZ = 89;
    static final int IN_I = 90;
    static final int OUT_I = 91;
    static final int CALL_Jz = 92;
    static final int JMP_J = 93;
    static final int JMPF_Ap = 94;
    static final int IN_DX = 95;
    static final int OUT_DX = 96;
    static final int INT1 = 97;
    static final int HLT = 98;
    static final int CMC = 99;
    static final int TEST_EbIb = 100;
    static final int NOT_Eb = 101;
    static final int NEG_Eb = 102;
    static final int MUL_Eb = 103;
    static final int IMUL_Eb = 104;
    static final int DIV_Eb = 105;
    static final int IDIV_Eb = 106;
    static final int TEST_EvIz = 107;
    static final int NOT_Ev = 108;
    static final int NEG_Ev = 109;
    static final int MUL_Ev = 110;
    static final int IMUL_Ev = 111;
    static final int DIV_Ev = 112;
    static final int IDIV_Ev = 113;
    static final int CLC = 114;
    static final int STC = 115;
    static final int CLI = 116;
    static final int STI = 117;
    static final int CLD = 118;
    static final int STD = 119;
    static final int INC_Eb = 120;
    static final int DEC_Eb = 121;
    static final int INC_Ev = 122;
    static final int DEC_Ev = 123;
    static final int CALL_Ev = 124;
    static final int CALLF_Ep = 125;
    static final int JMP_Ev = 126;
    static final int JMPF_Ep = 127;
    static final int PUSH_Ev = 128;
    static final int GRP6 = 129;
    static final int GRP7 = 130;
    static final int LAR = 131;
    static final int LSL = 132;
    static final int CLTS = 133;
    static final int NOP_Ev = 134;
    static final int MOV_RdCd = 135;
    static final int MOV_RdDd = 136;
    static final int MOV_CdRd = 137;
    static final int MOV_DdRd = 138;
    static final int WRMSR = 139;
    static final int RDTSC = 140;
    static final int RDMSR = 141;
    static final int CPUID = 142;
    static final int BT_EvGv = 143;
    static final int SHLD = 144;
    static final int SHRD = 145;
    static final int IMUL_GvEv = 146;
    static final int CMPXCHG_Eb = 147;
    static final int CMPXCHG_Ev = 148;
    static final int MOVZX_Eb = 149;
    static final int MOVZX_Ew = 150;
    static final int BT_EvIb = 151;
    static final int BSF = 152;
    static final int BSR = 153;
    static final int MOVSX_Eb = 154;
    static final int MOVSX_Ew = 155;
    static final int XADD_Eb = 156;
    static final int XADD_Ev = 157;
    static final int CMPXCHG8B = 158;
    static final int BSWAP = 159;
    /** Handlers from here on are the 32-bit specializations (Interpreter.executeSpecial32). */
    static final int FIRST_SPECIAL = 160;
    static final int MOV_EvGv32 = 160;
    static final int MOV_GvEv32 = 161;
    static final int ALU_EvGv32 = 162;
    static final int ALU_GvEv32 = 163;
    static final int ALU_EvIz32 = 164;
    static final int TEST_EvGv32 = 165;
    static final int INC_Zv32 = 166;
    static final int DEC_Zv32 = 167;
    static final int PUSH_Zv32 = 168;
    static final int POP_Zv32 = 169;
    static final int MOV_ZvIv32 = 170;
    static final int LEA32 = 171;
    static final int COUNT = 172;

    static final String[] NAMES = {
        "UD",
        "ALU_EbGb",
        "ALU_EvGv",
        "ALU_GbEb",
        "ALU_GvEv",
        "ALU_ALIb",
        "ALU_eAXIz",
        "ALU_EbIb",
        "ALU_EvIz",
        "PUSH_SEG",
        "POP_SEG",
        "DAA",
        "DAS",
        "AAA",
        "AAS",
        "INC_Zv",
        "DEC_Zv",
        "PUSH_Zv",
        "POP_Zv",
        "PUSHA",
        "POPA",
        "BOUND",
        "ARPL",
        "PUSH_I",
        "IMUL_GvEvI",
        "INS",
        "OUTS",
        "JCC",
        "SETCC",
        "CMOVCC",
        "TEST_EbGb",
        "TEST_EvGv",
        "XCHG_EbGb",
        "XCHG_EvGv",
        "MOV_EbGb",
        "MOV_EvGv",
        "MOV_GbEb",
        "MOV_GvEv",
        "MOV_EvSw",
        "LEA",
        "MOV_SwEw",
        "POP_Ev",
        "NOP",
        "XCHG_eAX",
        "CBW",
        "CWD",
        "CALLF_Ap",
        "WAIT",
        "PUSHF",
        "POPF",
        "SAHF",
        "LAHF",
        "MOV_ALOb",
        "MOV_eAXOv",
        "MOV_ObAL",
        "MOV_OveAX",
        "MOVS",
        "CMPS",
        "TEST_ALIb",
        "TEST_eAXIz",
        "STOS",
        "LODS",
        "SCAS",
        "MOV_ZbIb",
        "MOV_ZvIv",
        "SHIFT_Eb",
        "SHIFT_Ev",
        "SHIFT1_Eb",
        "SHIFT1_Ev",
        "SHIFTCL_Eb",
        "SHIFTCL_Ev",
        "RET_Iw",
        "RET",
        "LxS",
        "MOV_EbIb",
        "MOV_EvIz",
        "ENTER",
        "LEAVE",
        "RETF",
        "INT3",
        "INT_Ib",
        "INTO",
        "IRET",
        "AAM",
        "AAD",
        "SALC",
        "XLAT",
        "FPU",
        "LOOP",
        "JCXZ",
        "IN_I",
        "OUT_I",
        "CALL_Jz",
        "JMP_J",
        "JMPF_Ap",
        "IN_DX",
        "OUT_DX",
        "INT1",
        "HLT",
        "CMC",
        "TEST_EbIb",
        "NOT_Eb",
        "NEG_Eb",
        "MUL_Eb",
        "IMUL_Eb",
        "DIV_Eb",
        "IDIV_Eb",
        "TEST_EvIz",
        "NOT_Ev",
        "NEG_Ev",
        "MUL_Ev",
        "IMUL_Ev",
        "DIV_Ev",
        "IDIV_Ev",
        "CLC",
        "STC",
        "CLI",
        "STI",
        "CLD",
        "STD",
        "INC_Eb",
        "DEC_Eb",
        "INC_Ev",
        "DEC_Ev",
        "CALL_Ev",
        "CALLF_Ep",
        "JMP_Ev",
        "JMPF_Ep",
        "PUSH_Ev",
        "GRP6",
        "GRP7",
        "LAR",
        "LSL",
        "CLTS",
        "NOP_Ev",
        "MOV_RdCd",
        "MOV_RdDd",
        "MOV_CdRd",
        "MOV_DdRd",
        "WRMSR",
        "RDTSC",
        "RDMSR",
        "CPUID",
        "BT_EvGv",
        "SHLD",
        "SHRD",
        "IMUL_GvEv",
        "CMPXCHG_Eb",
        "CMPXCHG_Ev",
        "MOVZX_Eb",
        "MOVZX_Ew",
        "BT_EvIb",
        "BSF",
        "BSR",
        "MOVSX_Eb",
        "MOVSX_Ew",
        "XADD_Eb",
        "XADD_Ev",
        "CMPXCHG8B",
        "BSWAP",
        "MOV_EvGv32",
        "MOV_GvEv32",
        "ALU_EvGv32",
        "ALU_GvEv32",
        "ALU_EvIz32",
        "TEST_EvGv32",
        "INC_Zv32",
        "DEC_Zv32",
        "PUSH_Zv32",
        "POP_Zv32",
        "MOV_ZvIv32",
        "LEA32",
    };

    static {
        for (int i = 0; i < SPECIAL32.length; i++) SPECIAL32[i] = i;
        SPECIAL32[MOV_EvGv] = MOV_EvGv32;
        SPECIAL32[MOV_GvEv] = MOV_GvEv32;
        SPECIAL32[ALU_EvGv] = ALU_EvGv32;
        SPECIAL32[ALU_GvEv] = ALU_GvEv32;
        SPECIAL32[ALU_EvIz] = ALU_EvIz32;
        SPECIAL32[TEST_EvGv] = TEST_EvGv32;
        SPECIAL32[INC_Zv] = INC_Zv32;
        SPECIAL32[DEC_Zv] = DEC_Zv32;
        SPECIAL32[PUSH_Zv] = PUSH_Zv32;
        SPECIAL32[POP_Zv] = POP_Zv32;
        SPECIAL32[MOV_ZvIv] = MOV_ZvIv32;
        SPECIAL32[LEA] = LEA32;
    }
}

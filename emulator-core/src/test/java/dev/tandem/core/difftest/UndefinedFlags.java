package dev.tandem.core.difftest;

/**
 * The single table of architecturally undefined results, paraphrasing the Intel SDM
 * (Vol. 2, "Flags Affected" of each instruction). Every method returns the mask of EFLAGS bits
 * (among CF PF AF ZF SF DF OF) whose value after the instruction is defined, so the comparison
 * ignores the others. "Unaffected" flags are defined: they must keep their input value.
 * Undefined destinations (BSF/BSR with a zero source, SHLD/SHRD with count above the operand
 * size, 16-bit BSWAP) are marked by the generator through {@link TestCase#undefineReg} and
 * {@link TestCase#undefineMem}, using the predicates here.
 */
final class UndefinedFlags {
    static final int CF = 0x001, PF = 0x004, AF = 0x010, ZF = 0x040, SF = 0x080, DF = 0x400, OF = 0x800;
    /** All flags the tester randomizes and compares. */
    static final int ALL = CF | PF | AF | ZF | SF | DF | OF;

    private UndefinedFlags() {}

    /** ADD ADC SUB SBB CMP NEG INC DEC XADD CMPXCHG CMPS SCAS: every status flag is set from the result (INC/DEC leave CF alone, which is still defined). */
    static final int ARITH = ALL;

    /** AND OR XOR TEST: OF and CF are cleared, SF ZF PF follow the result, AF is left undefined. */
    static final int LOGIC = ALL & ~AF;

    /** NOT MOV* SETcc CMOVcc BSWAP CBW/CWDE/CWD/CDQ LAHF MOVS STOS LODS: no flag is affected. */
    static final int NONE_AFFECTED = ALL;

    /** SAHF: SF ZF AF PF CF come from AH; OF and DF are unaffected. */
    static final int SAHF = ALL;

    /** MUL and all IMUL forms: CF and OF tell whether the upper half is significant; SF ZF AF PF are undefined. */
    static final int MUL = CF | OF | DF;

    /** DIV and IDIV: CF OF SF ZF AF PF are all undefined (also when the instruction completes). */
    static final int DIV = DF;

    /** DAA and DAS: CF and AF record the decimal carries, SF ZF PF follow the result, OF is undefined. */
    static final int DAA_DAS = ALL & ~OF;

    /** AAA and AAS: AF and CF are set on a decimal carry/borrow, OF SF ZF PF are undefined. */
    static final int AAA_AAS = AF | CF | DF;

    /** AAM and AAD: SF ZF PF follow the binary result in AL; OF AF CF are undefined. */
    static final int AAM_AAD = ALL & ~(OF | AF | CF);

    /** BT BTS BTR BTC: CF takes the selected bit, ZF is unaffected, OF SF AF PF are undefined. */
    static final int BIT_TEST = CF | ZF | DF;

    /** BSF and BSR: ZF tells whether the source was zero; CF OF SF AF PF are undefined. */
    static final int BIT_SCAN = ZF | DF;

    /** CMPXCHG8B: ZF reports the comparison; the other flags are unaffected. */
    static final int CMPXCHG8B = ALL;

    /** BSF/BSR: when the source is zero the destination's content is undefined. */
    static boolean bitScanDestUndefined(int source, int size) {
        return (source & sizeMask(size)) == 0;
    }

    /** 16-bit BSWAP: the SDM states the result is undefined (use XCHG for 16-bit swaps). */
    static boolean bswapDestUndefined(int size) {
        return size == 16;
    }

    /**
     * Shifts and rotates. op: 0 ROL, 1 ROR, 2 RCL, 3 RCR, 4 SHL, 5 SHR, 6 SAL (alias of SHL), 7 SAR.
     * The count is masked to 5 bits. A masked count of 0 affects no flag.
     * SHL/SHR/SAR: CF is the last bit shifted out, but undefined for SHL and SHR when the count is
     *   at least the operand width; OF is defined only for 1-bit shifts; SF ZF PF follow the result;
     *   AF is undefined for any non-zero count.
     * ROL/ROR: only CF and OF are affected; OF is defined only for a masked count of 1.
     * RCL/RCR: the rotate count is the masked count modulo width+1 for 8/16-bit operands; CF is
     *   affected only when that is non-zero; OF is defined only for a masked count of 1.
     */
    static int shiftRotate(int op, int size, int count) {
        int c = count & 31;
        if (c == 0) return ALL;
        switch (op) {
            case 0, 1, 2, 3 -> {
                return c == 1 ? ALL : ALL & ~OF;
            }
            case 4, 5, 6 -> {
                int m = ALL & ~AF;
                if (c != 1) m &= ~OF;
                if (c >= size) m &= ~CF;
                return m;
            }
            case 7 -> {
                int m = ALL & ~AF;
                if (c != 1) m &= ~OF;
                return m;
            }
            default -> throw new IllegalArgumentException("no shift/rotate /" + op);
        }
    }

    /**
     * SHLD/SHRD: count masked to 5 bits; 0 affects nothing. Otherwise CF is the last bit shifted
     * out, SF ZF PF follow the result, OF is defined only for a 1-bit shift, AF is undefined.
     * A count greater than the operand size (possible only for 16-bit operands) leaves the
     * destination and all these flags undefined.
     */
    static int doubleShift(int size, int count) {
        int c = count & 31;
        if (c == 0) return ALL;
        if (c > size) return DF;
        int m = ALL & ~AF;
        if (c != 1) m &= ~OF;
        return m;
    }

    static boolean doubleShiftDestUndefined(int size, int count) {
        return (count & 31) > size;
    }

    static int sizeMask(int size) {
        return size == 32 ? -1 : (1 << size) - 1;
    }
}

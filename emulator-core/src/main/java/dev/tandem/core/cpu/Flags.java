package dev.tandem.core.cpu;

/** EFLAGS bit masks. */
public final class Flags {
    private Flags() { }

    public static final int CF = 1, PF = 1 << 2, AF = 1 << 4, ZF = 1 << 6, SF = 1 << 7, TF = 1 << 8, IF = 1 << 9,
            DF = 1 << 10, OF = 1 << 11, IOPL = 3 << 12, NT = 1 << 14, RF = 1 << 16, VM = 1 << 17, AC = 1 << 18,
            VIF = 1 << 19, VIP = 1 << 20, ID = 1 << 21;
    /** The six arithmetic flags. */
    public static final int ARITH = CF | PF | AF | ZF | SF | OF;
    /** Bits a P6 lets software change in EFLAGS (subject to privilege). */
    public static final int WRITABLE = ARITH | TF | IF | DF | IOPL | NT | RF | VM | AC | ID;
    /** Bit 1 reads as one. */
    public static final int FIXED_ONE = 2;
}

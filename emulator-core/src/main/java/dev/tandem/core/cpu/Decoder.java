package dev.tandem.core.cpu;

import static dev.tandem.core.cpu.Cpu.CS;
import static dev.tandem.core.cpu.Cpu.DS;
import static dev.tandem.core.cpu.Cpu.EBP;
import static dev.tandem.core.cpu.Cpu.EBX;
import static dev.tandem.core.cpu.Cpu.EDI;
import static dev.tandem.core.cpu.Cpu.ES;
import static dev.tandem.core.cpu.Cpu.ESI;
import static dev.tandem.core.cpu.Cpu.ESP;
import static dev.tandem.core.cpu.Cpu.FS;
import static dev.tandem.core.cpu.Cpu.GS;
import static dev.tandem.core.cpu.Cpu.SEG_NONE;
import static dev.tandem.core.cpu.Cpu.SS;

/**
 * The instruction decoder: reads the bytes at CS:EIP through the memory path and fills an
 * {@link Insn} with everything that follows from them (prefixes, opcode, ModRM/SIB, displacement,
 * immediates, length, the handler id from {@link OpTable}), never from register values, so the
 * result can be cached in a decoded block and executed many times.
 *
 * <p>Prefixes (66/67, segment overrides, LOCK, REP/REPNE) are taken in one loop; the operand
 * notation of the table row says whether a ModRM byte follows and the size of each immediate.
 * Fetching checks the CS limit and the 15-byte limit (#GP) and may page-fault; a fault leaves
 * {@code in} partly written. An opcode or group member not in the table decodes to the
 * {@code UD} handler (#UD when executed).
 */
final class Decoder {
    private final Cpu c;
    /** Bytes fetched so far for the instruction being decoded. */
    private int fetchCount;

    Decoder(Cpu c) {
        this.c = c;
    }


    private int fetch8() {
        if (++fetchCount > 15) throw c.gp(0);
        int off = c.eip + fetchCount - 1;
        if (!c.code32) off &= 0xFFFF;
        if (Integer.compareUnsigned(off, c.segLimit[CS]) > 0) throw c.gp(0);
        return c.mmu.lrd8(c.segBase[CS] + off);
    }

    private int fetch16() {
        int lo = fetch8();
        return lo | (fetch8() << 8);
    }

    private int fetch32() {
        int lo = fetch16();
        return lo | (fetch16() << 16);
    }

    /** Decodes the instruction at CS:EIP into {@code in}. */
    void decode(Insn in) {
        fetchCount = 0;
        boolean op32 = c.code32, addr32 = c.code32;
        int rep = 0;
        boolean lock = false;
        int segOvr = SEG_NONE;
        int b;
        for (;;) {
            b = fetch8();
            switch (b) {
                case 0x26: segOvr = ES; continue;
                case 0x2E: segOvr = CS; continue;
                case 0x36: segOvr = SS; continue;
                case 0x3E: segOvr = DS; continue;
                case 0x64: segOvr = FS; continue;
                case 0x65: segOvr = GS; continue;
                case 0x66: op32 = !c.code32; continue;
                case 0x67: addr32 = !c.code32; continue;
                case 0xF0: lock = true; continue;
                case 0xF2: rep = 2; continue;
                case 0xF3: rep = 1; continue;
                default:
            }
            break;
        }
        int opcode = b;
        if (b == 0x0F) opcode = 0x100 | fetch8();
        in.dOpcode = opcode;
        in.dOp32 = op32;
        in.dAddr32 = addr32;
        in.dRep = rep;
        in.dLock = lock;
        in.dSegOvr = segOvr;
        int info = OpTable.INFO[opcode];
        boolean group = OpTable.IS_GROUP[opcode];
        if (group || OpTable.hasModrm(info)) {
            int modrm = fetch8();
            in.dMod = modrm >>> 6;
            in.dReg = (modrm >>> 3) & 7;
            in.dRm = modrm & 7;
            if (group) info = OpTable.GROUP_INFO[opcode * 8 + in.dReg];
            if (in.dMod != 3) decodeEa(in, addr32, segOvr);
            else {
                in.dSeg = segOvr == SEG_NONE ? DS : segOvr;
            }
        } else {
            in.dMod = 3;
            in.dReg = in.dRm = 0;
            in.dSeg = segOvr == SEG_NONE ? DS : segOvr;
        }
        if (!OpTable.valid(info)) {
            in.dInfo = 0;
            in.dHandler = HandlerId.UD;
            in.dLen = fetchCount;
            return;
        }
        in.dInfo = info;
        in.dHandler = op32 ? HandlerId.SPECIAL32[OpTable.handler(info)] : OpTable.handler(info);
        in.dSub = OpTable.sub(info);
        int k = OpTable.imm1(info);
        if (k != OpTable.IMM_NONE) in.dImm = fetchImm(k, op32, addr32);
        k = OpTable.imm2(info);
        if (k != OpTable.IMM_NONE) in.dImm2 = fetchImm(k, op32, addr32);
        else if (OpTable.imm1(info) == OpTable.IMM_AP) {
            in.dImm2 = fetch16(); // selector after the offset
        }
        in.dLen = fetchCount;
    }

    private int fetchImm(int kind, boolean op32, boolean addr32) {
        switch (kind) {
            case OpTable.IMM_B:
                return fetch8();
            case OpTable.IMM_SB:
            case OpTable.IMM_JB:
                return (byte) fetch8();
            case OpTable.IMM_W:
                return fetch16();
            case OpTable.IMM_Z:
            case OpTable.IMM_V:
            case OpTable.IMM_AP:
                return op32 ? fetch32() : fetch16();
            case OpTable.IMM_JZ:
                return op32 ? fetch32() : (short) fetch16();
            case OpTable.IMM_O:
                return addr32 ? fetch32() : fetch16();
            default:
                throw new IllegalStateException();
        }
    }

    private void decodeEa(Insn in, boolean addr32, int segOvr) {
        int defSeg = DS;
        in.dBase = -1;
        in.dIndex = -1;
        in.dScale = 0;
        in.dDisp = 0;
        if (!addr32) {
            switch (in.dRm) {
                case 0: in.dBase = EBX; in.dIndex = ESI; break;
                case 1: in.dBase = EBX; in.dIndex = EDI; break;
                case 2: in.dBase = EBP; in.dIndex = ESI; defSeg = SS; break;
                case 3: in.dBase = EBP; in.dIndex = EDI; defSeg = SS; break;
                case 4: in.dBase = ESI; break;
                case 5: in.dBase = EDI; break;
                case 6:
                    if (in.dMod == 0) {
                        in.dDisp = fetch16();
                    } else {
                        in.dBase = EBP;
                        defSeg = SS;
                    }
                    break;
                default: in.dBase = EBX; break;
            }
            if (in.dMod == 1) in.dDisp = (byte) fetch8();
            else if (in.dMod == 2) in.dDisp = fetch16();
        } else {
            int rm = in.dRm;
            if (rm == 4) {
                int sib = fetch8();
                in.dScale = sib >>> 6;
                int idx = (sib >>> 3) & 7;
                if (idx != 4) in.dIndex = idx;
                int base = sib & 7;
                if (base == 5 && in.dMod == 0) {
                    in.dDisp = fetch32();
                } else {
                    in.dBase = base;
                    if (base == ESP || base == EBP) defSeg = SS;
                }
            } else if (rm == 5 && in.dMod == 0) {
                in.dDisp = fetch32();
            } else {
                in.dBase = rm;
                if (rm == EBP) defSeg = SS;
            }
            if (in.dMod == 1) in.dDisp = (byte) fetch8();
            else if (in.dMod == 2) in.dDisp = fetch32();
        }
        in.dSeg = segOvr == SEG_NONE ? defSeg : segOvr;
    }
}

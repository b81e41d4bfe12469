package dev.tandem.core.dev;

import dev.tandem.core.io.InterruptController;
import dev.tandem.core.io.IoBus;
import dev.tandem.core.io.IoDevice;
import dev.tandem.core.io.IrqSink;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;

/**
 * The two cascaded 8259A programmable interrupt controllers of a PC/AT, plus the PIIX edge/level
 * control registers (ELCR, ports 0x4D0/0x4D1).
 *
 * <p>The master (ports 0x20/0x21) serves IRQ0-7, the slave (0xA0/0xA1) IRQ8-15 and drives the
 * master's IR2. State of chip {@code c} (0 = master, 1 = slave) lives in the arrays below.
 *
 * <p>Triggering: an edge-triggered input latches its IRR bit on a 0-&gt;1 transition and the bit
 * stays set until the INTA cycle (so {@link IrqSink#pulseIrq} works); a level-triggered input
 * (ELCR bit or ICW1.LTIM) has its IRR bit follow the line. If a request disappears before INTA
 * the controller answers with the spurious vector of IR7 (without setting ISR), as the 8259A
 * does; for a vanished slave request the master's IR2 is acknowledged and the slave supplies its
 * IR7 vector (IRQ15).
 */
public final class Pic8259Pair implements IoDevice, IrqSink, InterruptController {
    public static final int STATE_VERSION = 1;

    private static final int MASTER = 0;
    private static final int SLAVE = 1;
    private static final int CASCADE_IR = 2;
    /** ELCR bits that can be set: IRQ0, 1, 2, 8 and 13 are always edge triggered on a PC. */
    private static final int[] ELCR_MASK = {0xF8, 0xDE};

    // ---- guest-visible state, per chip
    private final int[] irr = new int[2];
    private final int[] isr = new int[2];
    private final int[] imr = new int[2];
    /** Current input line levels (one bit per IR input). */
    private final int[] lines = new int[2];
    private final int[] elcr = new int[2];
    private final int[] vectorBase = new int[2];
    private final int[] icw3 = new int[2];
    /** IR input that has the highest priority ((lowest-priority IR + 1) mod 8). */
    private final int[] priorityBase = new int[2];
    /** 0 = not initializing, 2/3/4 = the ICW expected next. */
    private final int[] initStep = new int[2];
    private final boolean[] icw4Needed = new boolean[2];
    private final boolean[] single = new boolean[2];
    private final boolean[] levelAll = new boolean[2];
    private final boolean[] autoEoi = new boolean[2];
    private final boolean[] rotateOnAutoEoi = new boolean[2];
    private final boolean[] specialFullyNested = new boolean[2];
    private final boolean[] specialMask = new boolean[2];
    /** OCW3 read register select: false = IRR, true = ISR. */
    private final boolean[] readIsr = new boolean[2];
    private final boolean[] pollPending = new boolean[2];

    // ---- derived / wiring
    private boolean intr;
    private Runnable intrListener = () -> { };

    public Pic8259Pair() {
        reset();
    }

    /** Power-on state: all registers cleared; the guest (BIOS) must send ICW1-4. */
    public void reset() {
        for (int c = 0; c < 2; c++) {
            irr[c] = 0;
            isr[c] = 0;
            imr[c] = 0;
            lines[c] = 0;
            elcr[c] = 0;
            vectorBase[c] = 0;
            icw3[c] = 0;
            priorityBase[c] = 0;
            initStep[c] = 0;
            icw4Needed[c] = false;
            single[c] = false;
            levelAll[c] = false;
            autoEoi[c] = false;
            rotateOnAutoEoi[c] = false;
            specialFullyNested[c] = false;
            specialMask[c] = false;
            readIsr[c] = false;
            pollPending[c] = false;
        }
        update();
    }

    /** Registers ports 0x20-0x21, 0xA0-0xA1 and the ELCR at 0x4D0-0x4D1. */
    public void register(IoBus bus) {
        bus.register(0x20, 0x21, this);
        bus.register(0xA0, 0xA1, this);
        bus.register(0x4D0, 0x4D1, this);
    }

    /** Called (on the CPU thread) whenever the INTR output may have changed. */
    public void setIntrListener(Runnable listener) {
        this.intrListener = listener == null ? () -> { } : listener;
    }

    // ------------------------------------------------------------------ IrqSink

    @Override
    public void setIrq(int irq, boolean level) {
        if (irq < 0 || irq > 15) {
            throw new IllegalArgumentException("IRQ out of range 0..15: " + irq);
        }
        setLine(irq >> 3, irq & 7, level);
        update();
    }

    private void setLine(int c, int ir, boolean level) {
        int bit = 1 << ir;
        boolean was = (lines[c] & bit) != 0;
        if (level) {
            lines[c] |= bit;
        } else {
            lines[c] &= ~bit;
        }
        if (isLevel(c, ir)) {
            if (level) irr[c] |= bit;
            else irr[c] &= ~bit;
        } else if (level && !was) {
            irr[c] |= bit;
        }
    }

    private boolean isLevel(int c, int ir) {
        return levelAll[c] || (elcr[c] & (1 << ir)) != 0;
    }

    // ------------------------------------------------------------------ priority logic

    /** Priority rank of IR {@code ir} on chip {@code c}: 0 is highest, 7 lowest. */
    private int rank(int c, int ir) {
        return (ir - priorityBase[c]) & 7;
    }

    /** The highest-priority IR whose bit is set in {@code bits}, or -1. */
    private int highest(int c, int bits) {
        if ((bits & 0xFF) == 0) return -1;
        for (int r = 0; r < 8; r++) {
            int ir = (r + priorityBase[c]) & 7;
            if ((bits & (1 << ir)) != 0) return ir;
        }
        return -1;
    }

    /** The IR chip {@code c} would deliver now, or -1 if its INT output is inactive. */
    private int pending(int c) {
        int req = irr[c] & ~imr[c];
        if (specialMask[c]) {
            // special mask mode: every unmasked level that is not itself in service may
            // interrupt, lower as well as higher ones; the ISR no longer orders them
            return highest(c, req & ~isr[c]);
        }
        int ir = highest(c, req);
        if (ir < 0) return -1;
        int inService = isr[c];
        if (c == MASTER && specialFullyNested[c]) inService &= ~(1 << CASCADE_IR);
        int cur = highest(c, inService);
        if (cur >= 0 && rank(c, cur) <= rank(c, ir)) return -1;
        return ir;
    }

    private void update() {
        boolean slaveOut = pending(SLAVE) >= 0;
        setLine(MASTER, CASCADE_IR, slaveOut);
        boolean now = pending(MASTER) >= 0;
        if (now != intr) {
            intr = now;
            intrListener.run();
        }
    }

    /** The INTA effect on one chip: ISR set (unless AEOI), edge IRR bit cleared. */
    private void ackChip(int c, int ir) {
        int bit = 1 << ir;
        if (!isLevel(c, ir)) irr[c] &= ~bit;
        if (autoEoi[c]) {
            if (rotateOnAutoEoi[c]) priorityBase[c] = (ir + 1) & 7;
        } else {
            isr[c] |= bit;
        }
    }

    // ------------------------------------------------------------------ InterruptController

    @Override
    public boolean hasInterrupt() {
        return intr;
    }

    @Override
    public int acknowledge() {
        int vector;
        int ir = pending(MASTER);
        if (ir < 0) {
            vector = vectorBase[MASTER] + 7; // spurious IRQ7, ISR untouched
        } else {
            ackChip(MASTER, ir);
            if (ir == CASCADE_IR && !single[MASTER]) {
                int sir = pending(SLAVE);
                if (sir < 0) {
                    vector = vectorBase[SLAVE] + 7; // spurious IRQ15
                } else {
                    ackChip(SLAVE, sir);
                    vector = vectorBase[SLAVE] + sir;
                }
                // the slave's INT output drops during the INTA sequence; if it still has a request
                // the next update produces a fresh edge on the master's IR2
                lines[MASTER] &= ~(1 << CASCADE_IR);
            } else {
                vector = vectorBase[MASTER] + ir;
            }
        }
        update();
        return vector & 0xFF;
    }

    /** Current INTR-relevant state for diagnostics: IRR of master (bits 0-7) and slave (8-15). */
    public int irr() {
        return irr[MASTER] | irr[SLAVE] << 8;
    }

    public int isr() {
        return isr[MASTER] | isr[SLAVE] << 8;
    }

    public int imr() {
        return imr[MASTER] | imr[SLAVE] << 8;
    }

    // ------------------------------------------------------------------ port I/O

    @Override
    public int ioRead(int port, int size) {
        switch (port) {
            case 0x20: return readEven(MASTER);
            case 0x21: return readOdd(MASTER);
            case 0xA0: return readEven(SLAVE);
            case 0xA1: return readOdd(SLAVE);
            case 0x4D0: return elcr[MASTER];
            case 0x4D1: return elcr[SLAVE];
            default: return 0xFF;
        }
    }

    private int readEven(int c) {
        if (pollPending[c]) {
            pollPending[c] = false;
            return pollRead(c);
        }
        return readIsr[c] ? isr[c] : irr[c];
    }

    private int readOdd(int c) {
        if (pollPending[c]) {
            pollPending[c] = false;
            return pollRead(c);
        }
        return imr[c];
    }

    /** Poll command: the read acts as an INTA; bit 7 = request pending, bits 0-2 = its level. */
    private int pollRead(int c) {
        int ir = pending(c);
        if (ir < 0) return 0;
        ackChip(c, ir);
        update();
        return 0x80 | ir;
    }

    @Override
    public void ioWrite(int port, int size, int value) {
        value &= 0xFF;
        switch (port) {
            case 0x20 -> writeEven(MASTER, value);
            case 0x21 -> writeOdd(MASTER, value);
            case 0xA0 -> writeEven(SLAVE, value);
            case 0xA1 -> writeOdd(SLAVE, value);
            case 0x4D0 -> setElcr(MASTER, value);
            case 0x4D1 -> setElcr(SLAVE, value);
            default -> { }
        }
        update();
    }

    private void setElcr(int c, int value) {
        elcr[c] = value & ELCR_MASK[c];
        // IRR of level inputs follows the line from now on
        for (int ir = 0; ir < 8; ir++) {
            if (isLevel(c, ir)) {
                int bit = 1 << ir;
                irr[c] = (irr[c] & ~bit) | (lines[c] & bit);
            }
        }
    }

    private void writeEven(int c, int v) {
        if ((v & 0x10) != 0) {
            icw1(c, v);
        } else if ((v & 0x08) != 0) {
            ocw3(c, v);
        } else {
            ocw2(c, v);
        }
    }

    private void icw1(int c, int v) {
        // ICW1: IMR cleared, IR7 lowest priority, special mask mode off, status read = IRR,
        // edge detection re-armed (an edge input must see a fresh 0->1 transition).
        icw4Needed[c] = (v & 0x01) != 0;
        single[c] = (v & 0x02) != 0;
        levelAll[c] = (v & 0x08) != 0;
        imr[c] = 0;
        isr[c] = 0;
        irr[c] = 0;
        for (int ir = 0; ir < 8; ir++) {
            if (isLevel(c, ir)) irr[c] |= lines[c] & (1 << ir);
        }
        priorityBase[c] = 0;
        specialMask[c] = false;
        readIsr[c] = false;
        pollPending[c] = false;
        if (!icw4Needed[c]) {
            autoEoi[c] = false;
            specialFullyNested[c] = false;
        }
        rotateOnAutoEoi[c] = false;
        initStep[c] = 2;
    }

    private void writeOdd(int c, int v) {
        switch (initStep[c]) {
            case 2 -> {
                vectorBase[c] = v & 0xF8; // ICW2: T7-T3; the IR number fills bits 0-2
                initStep[c] = single[c] ? (icw4Needed[c] ? 4 : 0) : 3;
            }
            case 3 -> {
                icw3[c] = v; // ICW3: slave mask (master) or slave id (slave)
                initStep[c] = icw4Needed[c] ? 4 : 0;
            }
            case 4 -> {
                // ICW4: bit 1 AEOI, bit 4 SFNM; bit 0 (8086 mode) and buffering do not matter here
                autoEoi[c] = (v & 0x02) != 0;
                specialFullyNested[c] = (v & 0x10) != 0;
                initStep[c] = 0;
            }
            default -> imr[c] = v; // OCW1
        }
    }

    private void ocw2(int c, int v) {
        int cmd = v >> 5;
        int level = v & 7;
        switch (cmd) {
            case 0b001 -> { // non-specific EOI: clear the highest-priority in-service bit
                int ir = highest(c, isr[c]);
                if (ir >= 0) isr[c] &= ~(1 << ir);
            }
            case 0b011 -> isr[c] &= ~(1 << level); // specific EOI
            case 0b101 -> { // rotate on non-specific EOI
                int ir = highest(c, isr[c]);
                if (ir >= 0) {
                    isr[c] &= ~(1 << ir);
                    priorityBase[c] = (ir + 1) & 7;
                }
            }
            case 0b100 -> rotateOnAutoEoi[c] = true;
            case 0b000 -> rotateOnAutoEoi[c] = false;
            case 0b111 -> { // rotate on specific EOI
                isr[c] &= ~(1 << level);
                priorityBase[c] = (level + 1) & 7;
            }
            case 0b110 -> priorityBase[c] = (level + 1) & 7; // set priority: level becomes lowest
            default -> { } // 0b010: no operation
        }
    }

    private void ocw3(int c, int v) {
        if ((v & 0x04) != 0) pollPending[c] = true;
        if ((v & 0x02) != 0) readIsr[c] = (v & 0x01) != 0;
        if ((v & 0x40) != 0) specialMask[c] = (v & 0x20) != 0;
    }

    // ------------------------------------------------------------------ snapshot

    public void saveState(DataOutput out) throws IOException {
        out.writeInt(STATE_VERSION);
        for (int c = 0; c < 2; c++) {
            out.writeInt(irr[c]);
            out.writeInt(isr[c]);
            out.writeInt(imr[c]);
            out.writeInt(lines[c]);
            out.writeInt(elcr[c]);
            out.writeInt(vectorBase[c]);
            out.writeInt(icw3[c]);
            out.writeInt(priorityBase[c]);
            out.writeInt(initStep[c]);
            out.writeBoolean(icw4Needed[c]);
            out.writeBoolean(single[c]);
            out.writeBoolean(levelAll[c]);
            out.writeBoolean(autoEoi[c]);
            out.writeBoolean(rotateOnAutoEoi[c]);
            out.writeBoolean(specialFullyNested[c]);
            out.writeBoolean(specialMask[c]);
            out.writeBoolean(readIsr[c]);
            out.writeBoolean(pollPending[c]);
        }
    }

    public void loadState(DataInput in) throws IOException {
        StateIo.expectVersion(in, "Pic8259Pair", STATE_VERSION);
        for (int c = 0; c < 2; c++) {
            irr[c] = in.readInt() & 0xFF;
            isr[c] = in.readInt() & 0xFF;
            imr[c] = in.readInt() & 0xFF;
            lines[c] = in.readInt() & 0xFF;
            elcr[c] = in.readInt() & ELCR_MASK[c];
            vectorBase[c] = in.readInt() & 0xF8;
            icw3[c] = in.readInt() & 0xFF;
            priorityBase[c] = in.readInt() & 7;
            initStep[c] = in.readInt();
            if (initStep[c] != 0 && (initStep[c] < 2 || initStep[c] > 4)) {
                throw new IOException("Pic8259Pair: bad init step " + initStep[c]);
            }
            icw4Needed[c] = in.readBoolean();
            single[c] = in.readBoolean();
            levelAll[c] = in.readBoolean();
            autoEoi[c] = in.readBoolean();
            rotateOnAutoEoi[c] = in.readBoolean();
            specialFullyNested[c] = in.readBoolean();
            specialMask[c] = in.readBoolean();
            readIsr[c] = in.readBoolean();
            pollPending[c] = in.readBoolean();
        }
        intr = false;
        update();
        intrListener.run();
    }
}

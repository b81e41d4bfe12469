package dev.tandem.core.dev;

import dev.tandem.core.io.IoBus;
import dev.tandem.core.io.IoDevice;
import dev.tandem.core.io.IrqSink;
import dev.tandem.core.time.Clock;
import dev.tandem.core.time.Scheduler;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;

/**
 * NS16550A UART (COM1: base 0x3F8, IRQ4; COM2: base 0x2F8, IRQ3).
 *
 * <p>Transmission is instantaneous: a byte written to THR goes to the {@link SerialBackend} (or,
 * in loopback mode, into our own receiver) at once, so THR and the transmitter are always empty
 * again by the time the guest looks (LSR.THRE and LSR.TEMT read 1) and the THRE interrupt is
 * re-armed after every write. Input arrives through {@link #receive} at deterministic points
 * chosen by the machine; {@link #canReceive} lets it pace input to the FIFO.
 *
 * <p>Like on a PC, the interrupt reaches the PIC only while MCR.OUT2 is set and loopback is off
 * (in loopback the OUT2 pin is forced inactive).
 */
public final class Uart16550 implements IoDevice {
    public static final int STATE_VERSION = 1;
    public static final int COM1_BASE = 0x3F8;
    public static final int COM1_IRQ = 4;
    public static final int COM2_BASE = 0x2F8;
    public static final int COM2_IRQ = 3;

    private static final int FIFO_SIZE = 16;
    private static final int IER_RDA = 0x01;
    private static final int IER_THRE = 0x02;
    private static final int IER_RLS = 0x04;
    private static final int IER_MSI = 0x08;
    private static final int LSR_DR = 0x01;
    private static final int LSR_OE = 0x02;
    private static final int LSR_ERRORS = 0x1E; // OE, PE, FE, BI
    private static final int LSR_THRE = 0x20;
    private static final int LSR_TEMT = 0x40;
    private static final int MCR_OUT2 = 0x08;
    private static final int MCR_LOOP = 0x10;

    private final int base;
    private final int irq;
    private final Clock clock;
    private final IrqSink irqSink;
    private final Scheduler.Timer timeoutTimer;
    private SerialBackend backend = b -> { };

    // ---- guest-visible state
    private final byte[] rxFifo = new byte[FIFO_SIZE];
    private int rxHead;
    private int rxCount;
    private int ier;
    private int lcr;
    private int mcr;
    /** Latched line-status error bits (OE, PE, FE, BI); DR/THRE/TEMT are derived. */
    private int lsrErrors;
    /** Modem input lines from the outside world (MSR bits 4-7: CTS, DSR, RI, DCD). */
    private int modemInputs = 0xB0;
    /** Current MSR bits 4-7 as seen by the UART (inputs or the loopback wiring). */
    private int msrLines;
    /** MSR delta bits 0-3. */
    private int msrDelta;
    private int scratch;
    private int dll = 12; // 9600 baud until software sets it
    private int dlm;
    private boolean fifoEnabled;
    /** FCR bits 7-6: receiver trigger level select. */
    private int rxTriggerBits;
    private boolean thrInterrupt;
    private boolean timeoutInterrupt;
    private boolean irqLine;

    public Uart16550(int base, int irq, Clock clock, Scheduler scheduler, IrqSink irqSink) {
        if (base < 0 || base > 0xFFF8) throw new IllegalArgumentException("bad UART base port " + base);
        if (irq < 0 || irq > 15) throw new IllegalArgumentException("bad UART IRQ " + irq);
        this.base = base;
        this.irq = irq;
        this.clock = clock;
        this.irqSink = irqSink;
        this.timeoutTimer = scheduler.create("uart-" + Integer.toHexString(base) + "-timeout", this::timeoutFired);
        msrLines = modemInputs;
    }

    public void register(IoBus bus) {
        bus.register(base, base + 7, this);
    }

    public void setBackend(SerialBackend backend) {
        this.backend = backend == null ? b -> { } : backend;
    }

    public int base() {
        return base;
    }

    public int irq() {
        return irq;
    }

    // ------------------------------------------------------------------ machine side

    /** True if the receiver has room for another character (never in loopback mode). */
    public boolean canReceive() {
        if ((mcr & MCR_LOOP) != 0) return false;
        return rxCount < (fifoEnabled ? FIFO_SIZE : 1);
    }

    /** A character arrives on the serial input (dropped while in loopback mode). */
    public void receive(int b) {
        if ((mcr & MCR_LOOP) != 0) return;
        pushRx(b);
        updateIrq();
    }

    /** Sets the external modem status inputs (MSR bit layout: 0x10 CTS, 0x20 DSR, 0x40 RI, 0x80 DCD). */
    public void setModemInputs(int lines) {
        modemInputs = lines & 0xF0;
        refreshModemLines();
        updateIrq();
    }

    private void pushRx(int b) {
        int cap = fifoEnabled ? FIFO_SIZE : 1;
        if (rxCount >= cap) {
            lsrErrors |= LSR_OE;
            if (!fifoEnabled) {
                rxFifo[rxHead] = (byte) b; // 16450 mode: the new character overwrites RBR
            }
            // FIFO mode: the character in the shift register is lost, the FIFO is kept
        } else {
            rxFifo[(rxHead + rxCount) % FIFO_SIZE] = (byte) b;
            rxCount++;
        }
        timeoutInterrupt = false;
        armTimeout();
    }

    // ------------------------------------------------------------------ character timeout

    /** Four character times in ns at the programmed divisor and frame format. */
    private long timeoutNs() {
        int divisor = dll | dlm << 8;
        if (divisor == 0) divisor = 0x10000;
        // start bit, 5-8 data bits, optional parity, 1 or 2 stop bits (1.5 counted as 2)
        int bits = 1 + 5 + (lcr & 3) + ((lcr & 0x08) != 0 ? 1 : 0) + ((lcr & 0x04) != 0 ? 2 : 1);
        return 4L * bits * divisor * 1_000_000_000L / 115_200L; // 1.8432 MHz / 16 = 115200
    }

    private void armTimeout() {
        if (fifoEnabled && rxCount > 0) {
            // timeout: data in the FIFO and nothing moved in or out for 4 character times
            timeoutTimer.set(clock.nowNs() + timeoutNs());
        } else {
            timeoutTimer.cancel();
        }
    }

    private void timeoutFired() {
        if (fifoEnabled && rxCount > 0) {
            timeoutInterrupt = true;
            updateIrq();
        }
    }

    // ------------------------------------------------------------------ interrupts

    private int rxTrigger() {
        return switch (rxTriggerBits) {
            case 0 -> 1;
            case 1 -> 4;
            case 2 -> 8;
            default -> 14;
        };
    }

    /** IIR bits 3-0 for the highest-priority pending interrupt (0x1 = none). */
    private int interruptId() {
        if ((ier & IER_RLS) != 0 && lsrErrors != 0) return 0x06;
        if ((ier & IER_RDA) != 0) {
            if (fifoEnabled ? rxCount >= rxTrigger() : rxCount > 0) return 0x04;
            if (fifoEnabled && timeoutInterrupt && rxCount > 0) return 0x0C;
        }
        if ((ier & IER_THRE) != 0 && thrInterrupt) return 0x02;
        if ((ier & IER_MSI) != 0 && msrDelta != 0) return 0x00;
        return 0x01;
    }

    private void updateIrq() {
        boolean level = interruptId() != 0x01 && (mcr & (MCR_OUT2 | MCR_LOOP)) == MCR_OUT2;
        if (level != irqLine) {
            irqLine = level;
            irqSink.setIrq(irq, level);
        }
    }

    // ------------------------------------------------------------------ modem lines

    private void refreshModemLines() {
        int lines;
        if ((mcr & MCR_LOOP) != 0) {
            // loopback wiring: RTS->CTS, DTR->DSR, OUT1->RI, OUT2->DCD
            lines = (mcr & 0x02) << 3 | (mcr & 0x01) << 5 | (mcr & 0x04) << 4 | (mcr & 0x08) << 4;
        } else {
            lines = modemInputs;
        }
        int changed = lines ^ msrLines;
        if ((changed & 0x10) != 0) msrDelta |= 0x01;
        if ((changed & 0x20) != 0) msrDelta |= 0x02;
        if ((msrLines & 0x40) != 0 && (lines & 0x40) == 0) msrDelta |= 0x04; // RI trailing edge
        if ((changed & 0x80) != 0) msrDelta |= 0x08;
        msrLines = lines;
    }

    // ------------------------------------------------------------------ port I/O

    private boolean dlab() {
        return (lcr & 0x80) != 0;
    }

    @Override
    public int ioRead(int port, int size) {
        int v;
        switch (port - base) {
            case 0 -> v = dlab() ? dll : readRbr();
            case 1 -> v = dlab() ? dlm : ier;
            case 2 -> v = readIir();
            case 3 -> v = lcr;
            case 4 -> v = mcr;
            case 5 -> {
                v = (rxCount > 0 ? LSR_DR : 0) | lsrErrors | LSR_THRE | LSR_TEMT;
                lsrErrors = 0; // reading LSR clears OE/PE/FE/BI
            }
            case 6 -> {
                v = msrLines | msrDelta;
                msrDelta = 0;
            }
            case 7 -> v = scratch;
            default -> v = 0xFF;
        }
        updateIrq();
        return v;
    }

    private int readRbr() {
        if (rxCount == 0) return 0;
        int v = rxFifo[rxHead] & 0xFF;
        rxHead = (rxHead + 1) % FIFO_SIZE;
        rxCount--;
        timeoutInterrupt = false;
        armTimeout();
        return v;
    }

    private int readIir() {
        int id = interruptId();
        if (id == 0x02) thrInterrupt = false; // reading IIR with THRE as the source clears it
        return id | (fifoEnabled ? 0xC0 : 0);
    }

    @Override
    public void ioWrite(int port, int size, int value) {
        value &= 0xFF;
        switch (port - base) {
            case 0 -> {
                if (dlab()) dll = value;
                else writeThr(value);
            }
            case 1 -> {
                if (dlab()) {
                    dlm = value;
                } else {
                    int old = ier;
                    ier = value & 0x0F;
                    // enabling the THRE interrupt while THR is empty raises it at once
                    if ((ier & IER_THRE) != 0 && (old & IER_THRE) == 0) thrInterrupt = true;
                }
            }
            case 2 -> writeFcr(value);
            case 3 -> lcr = value;
            case 4 -> {
                boolean wasLoop = (mcr & MCR_LOOP) != 0;
                mcr = value & 0x1F;
                if (wasLoop != ((mcr & MCR_LOOP) != 0) || (mcr & MCR_LOOP) != 0) refreshModemLines();
            }
            case 7 -> scratch = value;
            default -> { } // LSR and MSR writes are ignored (factory test only)
        }
        updateIrq();
    }

    private void writeThr(int value) {
        int mask = (1 << (5 + (lcr & 3))) - 1;
        int ch = value & mask;
        thrInterrupt = false;
        if ((mcr & MCR_LOOP) != 0) {
            pushRx(ch);
        } else {
            backend.transmit(ch);
        }
        thrInterrupt = true; // the character left at once: THR is empty again
    }

    private void writeFcr(int value) {
        boolean enable = (value & 0x01) != 0;
        if (enable != fifoEnabled) {
            // changing the FIFO enable bit resets both FIFOs
            rxCount = 0;
            rxHead = 0;
            timeoutInterrupt = false;
        }
        fifoEnabled = enable;
        if (enable) {
            if ((value & 0x02) != 0) {
                rxCount = 0;
                rxHead = 0;
                timeoutInterrupt = false;
            }
            rxTriggerBits = (value >> 6) & 3;
        }
        armTimeout();
    }

    // ------------------------------------------------------------------ snapshot

    public void saveState(DataOutput out) throws IOException {
        out.writeInt(STATE_VERSION);
        out.writeInt(rxFifo.length);
        out.write(rxFifo);
        out.writeInt(rxHead);
        out.writeInt(rxCount);
        out.writeInt(ier);
        out.writeInt(lcr);
        out.writeInt(mcr);
        out.writeInt(lsrErrors);
        out.writeInt(modemInputs);
        out.writeInt(msrLines);
        out.writeInt(msrDelta);
        out.writeInt(scratch);
        out.writeInt(dll);
        out.writeInt(dlm);
        out.writeBoolean(fifoEnabled);
        out.writeInt(rxTriggerBits);
        out.writeBoolean(thrInterrupt);
        out.writeBoolean(timeoutInterrupt);
        out.writeBoolean(irqLine);
        out.writeLong(timeoutTimer.deadline());
    }

    public void loadState(DataInput in) throws IOException {
        StateIo.expectVersion(in, "Uart16550", STATE_VERSION);
        StateIo.readFully(in, rxFifo, "Uart16550", "RX FIFO");
        rxHead = in.readInt();
        rxCount = in.readInt();
        if (rxHead < 0 || rxHead >= FIFO_SIZE || rxCount < 0 || rxCount > FIFO_SIZE) {
            throw new IOException("Uart16550: corrupt FIFO pointers " + rxHead + "/" + rxCount);
        }
        ier = in.readInt() & 0x0F;
        lcr = in.readInt() & 0xFF;
        mcr = in.readInt() & 0x1F;
        lsrErrors = in.readInt() & LSR_ERRORS;
        modemInputs = in.readInt() & 0xF0;
        msrLines = in.readInt() & 0xF0;
        msrDelta = in.readInt() & 0x0F;
        scratch = in.readInt() & 0xFF;
        dll = in.readInt() & 0xFF;
        dlm = in.readInt() & 0xFF;
        fifoEnabled = in.readBoolean();
        rxTriggerBits = in.readInt() & 3;
        thrInterrupt = in.readBoolean();
        timeoutInterrupt = in.readBoolean();
        irqLine = in.readBoolean();
        long deadline = in.readLong();
        if (deadline == Scheduler.NEVER) timeoutTimer.cancel();
        else timeoutTimer.set(deadline);
    }
}

package dev.tandem.core.dev;

import dev.tandem.core.io.IoBus;
import dev.tandem.core.io.IoDevice;
import dev.tandem.core.io.IrqSink;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;

/**
 * 8042 keyboard controller (data port 0x60, status/command port 0x64) with an MF2 keyboard
 * behind it and an empty auxiliary (mouse) port.
 *
 * <p>The controller is infinitely fast: the input buffer is never full and every command's reply
 * is in the output buffer when the guest next looks. Keyboard bytes queue inside the keyboard and
 * move into the output buffer when it is empty and the keyboard interface is enabled. IRQ1 (or
 * IRQ12 for auxiliary data) is asserted while the output buffer is full and the matching command
 * byte bit allows it.
 *
 * <p>No mouse is attached: bytes sent to the auxiliary device (command 0xD4) are answered with a
 * timeout (status bit 6) and 0xFE, as a controller with an empty PS/2 port does. The auxiliary
 * interface itself works (0xA7/0xA8/0xA9, loopback 0xD3), which is what Linux probes.
 */
public final class I8042 implements IoDevice {
    public static final int STATE_VERSION = 1;

    private static final int STAT_OBF = 0x01;
    private static final int STAT_SYS = 0x04;
    private static final int STAT_CMD = 0x08;
    private static final int STAT_UNLOCKED = 0x10;
    private static final int STAT_AUX = 0x20;
    private static final int STAT_TIMEOUT = 0x40;

    private static final int CTR_KBD_INT = 0x01;
    private static final int CTR_AUX_INT = 0x02;
    private static final int CTR_SYS = 0x04;
    private static final int CTR_KBD_DISABLE = 0x10;
    private static final int CTR_AUX_DISABLE = 0x20;
    private static final int CTR_TRANSLATE = 0x40;

    private static final int OUT_RESET = 0x01; // active low
    private static final int OUT_A20 = 0x02;

    private static final int QUEUE = 16;

    private final IrqSink irq;
    private A20Listener a20 = on -> { };
    private Runnable reset = () -> { };

    // ---- guest-visible state
    /** Controller RAM; byte 0 is the command byte. */
    private final byte[] ram = new byte[32];
    private int outputPort = 0xCF;
    private boolean obFull;
    private int obData;
    private boolean obFromAux;
    private boolean lastWriteWasCommand;
    private boolean timeoutFlag;
    /** Controller command waiting for its data byte, or 0. */
    private int pendingCommand;
    private final byte[] kbdQueue = new byte[QUEUE];
    private int kbdHead;
    private int kbdCount;
    private final byte[] auxQueue = new byte[QUEUE];
    private int auxHead;
    private int auxCount;
    /** Keyboard command waiting for its parameter byte (0xED, 0xF0, 0xF3), or 0. */
    private int kbdPendingCommand;
    private boolean scanning = true;
    private int leds;
    private int scanSet = 2;
    private int typematic = 0x2B;
    private boolean irq1;
    private boolean irq12;

    public I8042(IrqSink irq) {
        this.irq = irq;
        ram[0] = CTR_KBD_INT | CTR_AUX_INT | CTR_SYS | CTR_TRANSLATE;
    }

    public void register(IoBus bus) {
        bus.register(0x60, 0x60, this);
        bus.register(0x64, 0x64, this);
    }

    /** Called with the A20 bit of the output port whenever the guest writes it. */
    public void setA20Listener(A20Listener l) {
        this.a20 = l == null ? on -> { } : l;
    }

    /** Called when the guest pulses or clears the CPU reset line (output port bit 0). */
    public void setResetCallback(Runnable r) {
        this.reset = r == null ? () -> { } : r;
    }

    /** A20 output of the controller (output port bit 1). */
    public boolean a20() {
        return (outputPort & OUT_A20) != 0;
    }

    /** A byte from the keyboard (a scan code the machine feeds at a deterministic point). */
    public void keyboardInput(int b) {
        if (!scanning) return;
        pushKbd(b);
        refill();
        updateIrq();
    }

    private int commandByte() {
        return ram[0] & 0xFF;
    }

    // ------------------------------------------------------------------ buffers and IRQs

    private void pushKbd(int b) {
        if (kbdCount == QUEUE) return; // keyboard buffer overrun: byte lost
        kbdQueue[(kbdHead + kbdCount) % QUEUE] = (byte) b;
        kbdCount++;
    }

    private void pushAux(int b) {
        if (auxCount == QUEUE) return;
        auxQueue[(auxHead + auxCount) % QUEUE] = (byte) b;
        auxCount++;
    }

    /** Controller replies go straight into the output buffer. */
    private void reply(int b) {
        if (obFull) {
            // an unread device byte is not lost: it goes back to the head of its queue
            if (obFromAux && auxCount < QUEUE) {
                auxHead = (auxHead + QUEUE - 1) % QUEUE;
                auxQueue[auxHead] = (byte) obData;
                auxCount++;
            } else if (!obFromAux && kbdCount < QUEUE) {
                kbdHead = (kbdHead + QUEUE - 1) % QUEUE;
                kbdQueue[kbdHead] = (byte) obData;
                kbdCount++;
            }
        }
        obData = b & 0xFF;
        obFull = true;
        obFromAux = false;
    }

    private void refill() {
        if (obFull) return;
        int ctr = commandByte();
        if (kbdCount > 0 && (ctr & CTR_KBD_DISABLE) == 0) {
            obData = kbdQueue[kbdHead] & 0xFF;
            kbdHead = (kbdHead + 1) % QUEUE;
            kbdCount--;
            obFull = true;
            obFromAux = false;
        } else if (auxCount > 0 && (ctr & CTR_AUX_DISABLE) == 0) {
            obData = auxQueue[auxHead] & 0xFF;
            auxHead = (auxHead + 1) % QUEUE;
            auxCount--;
            obFull = true;
            obFromAux = true;
        }
    }

    private void updateIrq() {
        int ctr = commandByte();
        boolean k = obFull && !obFromAux && (ctr & CTR_KBD_INT) != 0;
        boolean a = obFull && obFromAux && (ctr & CTR_AUX_INT) != 0;
        if (k != irq1) {
            irq1 = k;
            irq.setIrq(1, k);
        }
        if (a != irq12) {
            irq12 = a;
            irq.setIrq(12, a);
        }
    }

    // ------------------------------------------------------------------ port I/O

    @Override
    public int ioRead(int port, int size) {
        if (port == 0x64) {
            return (obFull ? STAT_OBF : 0) | (commandByte() & CTR_SYS) | (lastWriteWasCommand ? STAT_CMD : 0)
                    | STAT_UNLOCKED | (obFull && obFromAux ? STAT_AUX : 0) | (timeoutFlag ? STAT_TIMEOUT : 0);
        }
        int v = obData;
        obFull = false;
        updateIrq(); // the IRQ line drops, so the next byte makes a fresh edge
        refill();
        updateIrq();
        return v;
    }

    @Override
    public void ioWrite(int port, int size, int value) {
        value &= 0xFF;
        if (port == 0x64) {
            lastWriteWasCommand = true;
            pendingCommand = 0;
            controllerCommand(value);
        } else {
            lastWriteWasCommand = false;
            if (pendingCommand != 0) {
                int c = pendingCommand;
                pendingCommand = 0;
                commandData(c, value);
            } else {
                // sending to the keyboard re-enables its interface
                ram[0] &= ~CTR_KBD_DISABLE;
                keyboardCommand(value);
            }
        }
        refill();
        updateIrq();
    }

    private void controllerCommand(int c) {
        if (c >= 0x20 && c <= 0x3F) {
            reply(ram[c & 0x1F]);
            return;
        }
        if (c >= 0x60 && c <= 0x7F) {
            pendingCommand = c;
            return;
        }
        if (c >= 0xF0) {
            // pulse output port bits 0-3 low for those bits that are 0 in the command
            if ((c & 0x01) == 0) reset.run();
            return;
        }
        switch (c) {
            case 0xA4 -> reply(0xF1); // no password installed
            case 0xA7 -> ram[0] |= CTR_AUX_DISABLE;
            case 0xA8 -> ram[0] &= ~CTR_AUX_DISABLE;
            case 0xA9 -> reply(0x00); // auxiliary interface test passed
            case 0xAA -> { // controller self test
                ram[0] |= CTR_SYS;
                reply(0x55);
            }
            case 0xAB -> reply(0x00); // keyboard interface test passed
            case 0xAD -> ram[0] |= CTR_KBD_DISABLE;
            case 0xAE -> ram[0] &= ~CTR_KBD_DISABLE;
            case 0xC0 -> reply(0x80); // input port: keyboard not inhibited
            case 0xD0 -> reply(outputPort);
            case 0xD1, 0xD2, 0xD3, 0xD4 -> pendingCommand = c;
            case 0xDD -> writeOutputPort(outputPort & ~OUT_A20);
            case 0xDF -> writeOutputPort(outputPort | OUT_A20);
            case 0xE0 -> reply(0x00); // test inputs
            default -> { } // unsupported commands are ignored
        }
    }

    private void commandData(int c, int v) {
        if (c >= 0x60 && c <= 0x7F) {
            ram[c & 0x1F] = (byte) v;
            return;
        }
        switch (c) {
            case 0xD1 -> writeOutputPort(v);
            case 0xD2 -> reply(v); // as if the keyboard had sent it
            case 0xD3 -> pushAux(v); // auxiliary loopback
            case 0xD4 -> { // to the mouse: nobody answers
                timeoutFlag = true;
                pushAux(0xFE);
            }
            default -> { }
        }
        if (c != 0xD4) timeoutFlag = false;
    }

    private void writeOutputPort(int v) {
        int old = outputPort;
        outputPort = v & 0xFF;
        if (((old ^ outputPort) & OUT_A20) != 0) a20.a20Changed((outputPort & OUT_A20) != 0);
        if ((outputPort & OUT_RESET) == 0) {
            outputPort |= OUT_RESET; // the reset line is released again once the CPU restarts
            reset.run();
        }
    }

    // ------------------------------------------------------------------ the keyboard

    private void keyboardCommand(int v) {
        if (kbdPendingCommand != 0) {
            int c = kbdPendingCommand;
            kbdPendingCommand = 0;
            switch (c) {
                case 0xED -> leds = v & 7;
                case 0xF3 -> typematic = v & 0x7F;
                case 0xF0 -> {
                    if (v == 0) {
                        pushKbd(0xFA);
                        pushKbd(scanSet);
                        return;
                    }
                    if (v >= 1 && v <= 3) scanSet = v;
                }
                default -> { }
            }
            pushKbd(0xFA);
            return;
        }
        switch (v) {
            case 0xFF -> { // reset: ACK, then the self-test (BAT) result
                kbdCount = 0;
                setDefaults();
                pushKbd(0xFA);
                pushKbd(0xAA);
            }
            case 0xEE -> pushKbd(0xEE); // echo, no ACK
            case 0xF2 -> { // identify: MF2 keyboard (0x83 becomes 0x41 through translation)
                pushKbd(0xFA);
                pushKbd(0xAB);
                pushKbd((commandByte() & CTR_TRANSLATE) != 0 ? 0x41 : 0x83);
            }
            case 0xED, 0xF0, 0xF3 -> {
                kbdPendingCommand = v;
                pushKbd(0xFA);
            }
            case 0xF4 -> {
                scanning = true;
                pushKbd(0xFA);
            }
            case 0xF5 -> {
                setDefaults();
                scanning = false;
                pushKbd(0xFA);
            }
            case 0xF6 -> {
                setDefaults();
                pushKbd(0xFA);
            }
            case 0xF7, 0xF8, 0xF9, 0xFA, 0xFB, 0xFC, 0xFD -> pushKbd(0xFA);
            default -> pushKbd(0xFE); // resend: unknown command
        }
    }

    private void setDefaults() {
        scanning = true;
        leds = 0;
        scanSet = 2;
        typematic = 0x2B;
    }

    /** Keyboard LED state (bit 0 Scroll, 1 Num, 2 Caps Lock). */
    public int leds() {
        return leds;
    }

    // ------------------------------------------------------------------ snapshot

    public void saveState(DataOutput out) throws IOException {
        out.writeInt(STATE_VERSION);
        out.writeInt(ram.length);
        out.write(ram);
        out.writeInt(outputPort);
        out.writeBoolean(obFull);
        out.writeInt(obData);
        out.writeBoolean(obFromAux);
        out.writeBoolean(lastWriteWasCommand);
        out.writeBoolean(timeoutFlag);
        out.writeInt(pendingCommand);
        out.writeInt(kbdQueue.length);
        out.write(kbdQueue);
        out.writeInt(kbdHead);
        out.writeInt(kbdCount);
        out.writeInt(auxQueue.length);
        out.write(auxQueue);
        out.writeInt(auxHead);
        out.writeInt(auxCount);
        out.writeInt(kbdPendingCommand);
        out.writeBoolean(scanning);
        out.writeInt(leds);
        out.writeInt(scanSet);
        out.writeInt(typematic);
        out.writeBoolean(irq1);
        out.writeBoolean(irq12);
    }

    public void loadState(DataInput in) throws IOException {
        StateIo.expectVersion(in, "I8042", STATE_VERSION);
        StateIo.readFully(in, ram, "I8042", "controller RAM");
        outputPort = in.readInt() & 0xFF;
        obFull = in.readBoolean();
        obData = in.readInt() & 0xFF;
        obFromAux = in.readBoolean();
        lastWriteWasCommand = in.readBoolean();
        timeoutFlag = in.readBoolean();
        pendingCommand = in.readInt() & 0xFF;
        StateIo.readFully(in, kbdQueue, "I8042", "keyboard queue");
        kbdHead = in.readInt();
        kbdCount = in.readInt();
        StateIo.readFully(in, auxQueue, "I8042", "aux queue");
        auxHead = in.readInt();
        auxCount = in.readInt();
        if (kbdHead < 0 || kbdHead >= QUEUE || kbdCount < 0 || kbdCount > QUEUE
                || auxHead < 0 || auxHead >= QUEUE || auxCount < 0 || auxCount > QUEUE) {
            throw new IOException("I8042: corrupt queue pointers");
        }
        kbdPendingCommand = in.readInt() & 0xFF;
        scanning = in.readBoolean();
        leds = in.readInt() & 7;
        scanSet = in.readInt();
        typematic = in.readInt() & 0x7F;
        irq1 = in.readBoolean();
        irq12 = in.readBoolean();
    }
}

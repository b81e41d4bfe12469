package dev.tandem.core.dev;

import dev.tandem.core.io.IoBus;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class I8042Test {
    private final FakeClock clock = new FakeClock();
    private final RecordingIrqSink irqs = new RecordingIrqSink(clock);
    private final IoBus bus = new IoBus();
    private final I8042 kbc = new I8042(irqs);
    private final List<Boolean> a20 = new ArrayList<>();
    private int resets;

    @BeforeEach
    void setUp() {
        kbc.register(bus);
        kbc.setA20Listener(a20::add);
        kbc.setResetCallback(() -> resets++);
    }

    /** Like Linux's i8042_wait_read + read: the output buffer must be full. */
    private int readData() {
        assertEquals(1, bus.in(0x64, 1) & 1, "output buffer full");
        return bus.in(0x60, 1);
    }

    private void flush() {
        int n = 0;
        while ((bus.in(0x64, 1) & 1) != 0 && n++ < 64) bus.in(0x60, 1);
    }

    @Test
    void linuxProbeSequence() {
        flush();
        bus.out(0x64, 1, 0xAA); // controller self test
        assertEquals(0x55, readData());
        assertEquals(0x04, bus.in(0x64, 1) & 0x04, "system flag set after self test");
        bus.out(0x64, 1, 0xAB); // keyboard interface test
        assertEquals(0x00, readData());
        bus.out(0x64, 1, 0x20); // read CTR
        int ctr = readData();
        assertEquals(0x47, ctr, "kbd int, aux int, sys, translate");
        bus.out(0x64, 1, 0x60); // write CTR: disable both interfaces and interrupts
        bus.out(0x60, 1, (ctr | 0x30) & ~0x03);
        int risesBefore = irqs.rises[1] + irqs.rises[12]; // the replies above did raise IRQ1
        assertEquals(3, risesBefore, "one IRQ1 per controller reply while enabled");
        bus.out(0x64, 1, 0x20);
        assertEquals(0x74, readData());
        assertEquals(0x08, bus.in(0x64, 1) & 0x08, "last write went to the command port");
        bus.out(0x64, 1, 0xA8); // aux enable clears the aux disable bit
        bus.out(0x64, 1, 0x20);
        assertEquals(0x54, readData());
        bus.out(0x64, 1, 0xA7);
        bus.out(0x64, 1, 0x20);
        assertEquals(0x74, readData());
        assertEquals(0x10, bus.in(0x64, 1) & 0x10, "keyboard not locked");
        assertEquals(risesBefore, irqs.rises[1] + irqs.rises[12], "no interrupts while disabled in the CTR");
    }

    @Test
    void auxLoopbackRaisesIrq12() {
        bus.out(0x64, 1, 0xA8);
        bus.out(0x64, 1, 0xD3);
        bus.out(0x60, 1, 0x5A);
        assertEquals(0x21, bus.in(0x64, 1) & 0x21, "OBF with the aux bit");
        assertTrue(irqs.level[12]);
        assertFalse(irqs.level[1]);
        assertEquals(0x5A, bus.in(0x60, 1));
        assertFalse(irqs.level[12]);
        bus.out(0x64, 1, 0xA9);
        assertEquals(0x00, readData(), "aux interface test passes");
        bus.out(0x64, 1, 0xD4); // to the (absent) mouse
        bus.out(0x60, 1, 0xF2);
        assertEquals(0x61, bus.in(0x64, 1) & 0x61, "timeout + aux data");
        assertEquals(0xFE, bus.in(0x60, 1));
    }

    @Test
    void keyboardCommands() {
        bus.out(0x60, 1, 0xFF); // reset
        assertEquals(0xFA, readData());
        assertEquals(0xAA, readData(), "basic assurance test passed");
        bus.out(0x60, 1, 0xF2); // identify
        assertEquals(0xFA, readData());
        assertEquals(0xAB, readData());
        assertEquals(0x41, readData(), "MF2 id as seen through translation");
        bus.out(0x60, 1, 0xEE);
        assertEquals(0xEE, readData(), "echo");
        bus.out(0x60, 1, 0xED); // set LEDs
        assertEquals(0xFA, readData());
        bus.out(0x60, 1, 0x05);
        assertEquals(0xFA, readData());
        assertEquals(5, kbc.leds());
        bus.out(0x60, 1, 0xF0); // get scan code set
        assertEquals(0xFA, readData());
        bus.out(0x60, 1, 0x00);
        assertEquals(0xFA, readData());
        assertEquals(0x02, readData());
        bus.out(0x60, 1, 0x99);
        assertEquals(0xFE, readData(), "unknown command -> resend");
        assertEquals(0, bus.in(0x64, 1) & 1);
    }

    @Test
    void irq1PerByteWithFreshEdges() {
        kbc.keyboardInput(0x1E);
        kbc.keyboardInput(0x9E);
        assertTrue(irqs.level[1]);
        assertEquals(1, irqs.rises[1]);
        assertEquals(0x1E, bus.in(0x60, 1));
        assertTrue(irqs.level[1], "second byte loaded");
        assertEquals(2, irqs.rises[1], "with a new rising edge for the edge-triggered PIC");
        assertEquals(0x9E, bus.in(0x60, 1));
        assertFalse(irqs.level[1]);
        bus.out(0x64, 1, 0xAD); // disable keyboard interface
        kbc.keyboardInput(0x2C);
        assertEquals(0, bus.in(0x64, 1) & 1, "held in the keyboard while disabled");
        bus.out(0x64, 1, 0xAE);
        assertEquals(0x2C, readData());
    }

    @Test
    void a20AndResetThroughOutputPort() {
        bus.out(0x64, 1, 0xD0);
        assertEquals(0xCF, readData(), "A20 on, reset released");
        bus.out(0x64, 1, 0xD1);
        bus.out(0x60, 1, 0xDD); // A20 off (bit 1 clear), bit 0 kept high
        assertFalse(kbc.a20());
        bus.out(0x64, 1, 0xD1);
        bus.out(0x60, 1, 0xDF); // A20 on: what HIMEM-style and Linux's A20 code write
        assertTrue(kbc.a20());
        assertEquals(List.of(false, true), a20);
        assertEquals(0, resets);
        bus.out(0x64, 1, 0xFE); // pulse output port bit 0: CPU reset (Linux reboot=kbd)
        assertEquals(1, resets);
        bus.out(0x64, 1, 0xFF); // pulse nothing
        assertEquals(1, resets);
        bus.out(0x64, 1, 0xD1);
        bus.out(0x60, 1, 0xDE); // reset bit written low
        assertEquals(2, resets);
    }

    @Test
    void replyDoesNotLoseUnreadKeyboardByte() {
        kbc.keyboardInput(0x10);
        bus.out(0x64, 1, 0x20);
        assertEquals(0x47, readData());
        assertEquals(0x10, readData());
    }

    @Test
    void port92FastA20AndReset() {
        Port92 p = new Port92();
        p.register(bus);
        List<Boolean> fast = new ArrayList<>();
        int[] r = new int[1];
        p.setA20Listener(fast::add);
        p.setResetCallback(() -> r[0]++);
        bus.out(0x92, 1, bus.in(0x92, 1) | 0x02);
        assertEquals(0x02, bus.in(0x92, 1));
        assertEquals(List.of(true), fast);
        bus.out(0x92, 1, 0x03);
        assertEquals(1, r[0], "0->1 on bit 0 resets");
        assertEquals(List.of(true), fast, "A20 unchanged by the reset write");
        bus.out(0x92, 1, 0x00);
        assertEquals(List.of(true, false), fast);
    }

    @Test
    void postAndDebugPortsForwardBytes() {
        StringBuilder post = new StringBuilder();
        StringBuilder dbg = new StringBuilder();
        new PostPort(b -> post.append(Integer.toHexString(b)).append(' ')).register(bus);
        new DebugConsolePort(b -> dbg.append((char) b)).register(bus);
        bus.out(0x80, 1, 0x3A);
        bus.out(0x80, 1, 0x00);
        for (char c : "ok\n".toCharArray()) bus.out(0xE9, 1, c);
        assertEquals("3a 0 ", post.toString());
        assertEquals("ok\n", dbg.toString());
        assertEquals(0x00, bus.in(0x80, 1));
        assertEquals(0xE9, bus.in(0xE9, 1));
    }

    @Test
    void stateRoundTrip() throws IOException {
        bus.out(0x64, 1, 0xAD);
        kbc.keyboardInput(0x11);
        bus.out(0x60, 1, 0xED); // re-enables the keyboard; 0x11 then the ACK
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        kbc.saveState(new DataOutputStream(bytes));
        I8042 copy = new I8042(new RecordingIrqSink(clock));
        copy.loadState(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
        IoBus b2 = new IoBus();
        copy.register(b2);
        assertEquals(0x11, b2.in(0x60, 1));
        assertEquals(0xFA, b2.in(0x60, 1));
        b2.out(0x60, 1, 0x02); // the LED parameter the snapshot was waiting for
        assertEquals(2, copy.leds());
    }
}

package dev.tandem.core.dev;

import dev.tandem.core.io.IoBus;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;

import static org.junit.jupiter.api.Assertions.*;

class Uart16550Test {
    private static final int B = 0x3F8;
    private final FakeClock clock = new FakeClock();
    private final RecordingIrqSink irqs = new RecordingIrqSink(clock);
    private final IoBus bus = new IoBus();
    private final ByteArrayOutputStream sent = new ByteArrayOutputStream();
    private Uart16550 uart;

    @BeforeEach
    void setUp() {
        uart = new Uart16550(Uart16550.COM1_BASE, Uart16550.COM1_IRQ, clock, clock.scheduler, irqs);
        uart.register(bus);
        uart.setBackend(sent::write);
    }

    private int in(int reg) {
        return bus.in(B + reg, 1);
    }

    private void out(int reg, int v) {
        bus.out(B + reg, 1, v);
    }

    /** 115200 baud, 8N1, FIFO with the given FCR, OUT2 set (as Linux's 8250 driver does). */
    private void init(int fcr, int ier) {
        out(3, 0x80);
        out(0, 1);
        out(1, 0);
        out(3, 0x03);
        out(2, fcr);
        out(4, 0x0B); // DTR, RTS, OUT2
        out(1, ier);
    }

    @Test
    void scratchAndDivisorLatch() {
        out(7, 0x5A);
        assertEquals(0x5A, in(7));
        out(3, 0x83);
        out(0, 0x0C);
        out(1, 0x01);
        assertEquals(0x0C, in(0));
        assertEquals(0x01, in(1));
        out(3, 0x03);
        assertEquals(0x00, in(1), "IER, not DLM, once DLAB is clear");
        assertEquals(0x60, in(5), "idle: THRE and TEMT");
        assertEquals(0x01, in(2), "no interrupt, FIFOs off");
    }

    @Test
    void transmitGoesToBackendMaskedToWordLength() {
        init(0x07, 0);
        out(0, 'h');
        out(0, 'i');
        out(3, 0x02); // 7 data bits
        out(0, 0xFF);
        assertArrayEquals(new byte[] {'h', 'i', 0x7F}, sent.toByteArray());
        assertEquals(0x60, in(5) & 0x60, "THR and transmitter empty again at once");
    }

    @Test
    void loopbackModemLinesAsLinuxProbesThem() {
        // autoconfig: MCR = LOOP | OUT2 | RTS must read back CTS | DCD in the MSR
        out(4, 0x1A);
        assertEquals(0x90, in(6) & 0xF0);
        out(4, 0x1F);
        assertEquals(0xF0, in(6) & 0xF0);
        out(4, 0x1B); // OUT1 dropped -> RI trailing edge
        assertEquals(0x04, in(6) & 0x04);
        assertEquals(0x00, in(6) & 0x0F, "reading MSR cleared the deltas");
    }

    @Test
    void loopbackDataStaysInside() {
        init(0x07, 0);
        out(4, 0x10);
        out(0, 0x41);
        out(0, 0x42);
        assertEquals(0, sent.size(), "nothing leaves in loopback");
        assertEquals(0x61, in(5) & 0x61, "DR set");
        assertEquals(0x41, in(0));
        assertEquals(0x42, in(0));
        assertEquals(0, in(5) & 0x01);
        assertFalse(uart.canReceive(), "external input is disconnected in loopback");
    }

    @Test
    void rxTriggerLevels() {
        int[][] cases = {{0x07, 1}, {0x47, 4}, {0x87, 8}, {0xC7, 14}};
        for (int[] c : cases) {
            init(c[0], 0x01);
            for (int i = 0; i < c[1] - 1; i++) uart.receive(i);
            assertEquals(0xC1, in(2), "below trigger " + c[1]);
            assertFalse(irqs.level[4]);
            uart.receive(0x55);
            assertEquals(0xC4, in(2), "at trigger " + c[1]);
            assertTrue(irqs.level[4]);
            in(0);
            if (c[1] > 1) assertEquals(0xC1, in(2), "back below trigger " + c[1]);
            out(2, c[0] | 0x02); // clear RX FIFO
            assertEquals(0, in(5) & 1);
            assertFalse(irqs.level[4]);
        }
    }

    @Test
    void characterTimeoutAfterFourCharacterTimes() {
        init(0xC7, 0x01);
        uart.receive('a');
        uart.receive('b');
        // 115200 baud, 10 bits per character: 86805 ns; timeout after 4 of them
        long t4 = 4 * 10L * 1_000_000_000L / 115_200L;
        clock.advanceTo(t4 - 1);
        assertEquals(0xC1, in(2));
        clock.advanceTo(t4);
        assertEquals(0xCC, in(2), "character timeout indication");
        assertTrue(irqs.level[4]);
        assertEquals('a', in(0));
        assertEquals(0xC1, in(2), "reading a character clears the timeout");
        clock.advanceBy(t4);
        assertEquals(0xCC, in(2), "and it comes back while data remains");
        assertEquals('b', in(0));
        clock.advanceBy(10 * t4);
        assertEquals(0xC1, in(2), "no timeout on an empty FIFO");
    }

    @Test
    void iirPrioritySequence() {
        init(0x07, 0x0F);
        // enabling the THRE interrupt with THR empty raises it immediately
        assertTrue(irqs.level[4]);
        assertEquals(0xC2, in(2));
        assertEquals(0xC1, in(2), "reading IIR cleared the THRE interrupt");
        assertFalse(irqs.level[4]);
        // overrun: 17 characters into a 16 byte FIFO
        for (int i = 0; i < 17; i++) uart.receive(i);
        assertFalse(uart.canReceive());
        assertEquals(0xC6, in(2), "receiver line status outranks data");
        assertEquals(0x63, in(5), "DR, OE, THRE, TEMT");
        assertEquals(0xC4, in(2), "then received data available");
        for (int i = 0; i < 16; i++) assertEquals(i, in(0), "FIFO order, overrun char lost");
        assertEquals(0xC1, in(2));
        uart.setModemInputs(0xA0); // CTS drops
        assertEquals(0xC0, in(2), "modem status");
        assertEquals(0xA1, in(6), "DSR|DCD lines, delta CTS");
        assertEquals(0xC1, in(2));
        out(0, 'x');
        assertEquals(0xC2, in(2), "THRE again after the byte went out");
        assertEquals(0xC1, in(2));
    }

    @Test
    void threReassertedOnReenableAsLinuxChecks() {
        init(0x00, 0x00);
        out(1, 0x02);
        int iir1 = in(2);
        out(1, 0x00);
        out(1, 0x02);
        int iir = in(2);
        out(1, 0x00);
        assertEquals(0x02, iir1);
        assertEquals(0x02, iir, "a real 16550 re-asserts THRE when the interrupt is re-enabled");
    }

    @Test
    void irqGatedByOut2() {
        init(0x07, 0x01);
        out(4, 0x03); // OUT2 clear
        uart.receive(1);
        assertEquals(0xC4, in(2));
        assertFalse(irqs.level[4], "no IRQ without OUT2");
        out(4, 0x0B);
        assertTrue(irqs.level[4]);
    }

    @Test
    void nonFifoOverrunOverwrites() {
        init(0x00, 0x00);
        assertTrue(uart.canReceive());
        uart.receive(1);
        assertFalse(uart.canReceive());
        uart.receive(2);
        assertEquals(0x63, in(5));
        assertEquals(2, in(0), "holding register overwritten by the newer character");
        assertEquals(0x60, in(5));
    }

    @Test
    void stateRoundTrip() throws IOException {
        init(0xC7, 0x01);
        uart.receive('q');
        uart.receive('r');
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        uart.saveState(new DataOutputStream(bytes));
        FakeClock c2 = new FakeClock();
        c2.now = clock.now;
        RecordingIrqSink irq2 = new RecordingIrqSink(c2);
        Uart16550 copy = new Uart16550(B, 4, c2, c2.scheduler, irq2);
        copy.loadState(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
        IoBus b2 = new IoBus();
        copy.register(b2);
        c2.advanceTo(1_000_000);
        assertEquals(0xCC, b2.in(B + 2, 1), "timeout timer re-armed from the snapshot");
        assertEquals('q', b2.in(B, 1));
        assertEquals('r', b2.in(B, 1));
    }
}

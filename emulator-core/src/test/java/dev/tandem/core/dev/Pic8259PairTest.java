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

class Pic8259PairTest {
    private final IoBus bus = new IoBus();
    private final Pic8259Pair pic = new Pic8259Pair();
    private int intrChanges;

    @BeforeEach
    void setUp() {
        pic.register(bus);
        pic.setIntrListener(() -> intrChanges++);
        linuxInit();
    }

    /** The sequence Linux's init_8259A() sends: mask all, ICW1-4 on both chips, vectors 0x30/0x38. */
    private void linuxInit() {
        bus.out(0x21, 1, 0xFF);
        bus.out(0xA1, 1, 0xFF);
        bus.out(0x20, 1, 0x11); // ICW1: edge, cascade, ICW4 needed
        bus.out(0x21, 1, 0x30); // ICW2: IR0-7 -> vectors 0x30-0x37
        bus.out(0x21, 1, 0x04); // ICW3: a slave hangs on IR2
        bus.out(0x21, 1, 0x01); // ICW4: 8086 mode, normal EOI
        bus.out(0xA0, 1, 0x11);
        bus.out(0xA1, 1, 0x38);
        bus.out(0xA1, 1, 0x02); // ICW3 of the slave: its cascade identity is 2
        bus.out(0xA1, 1, 0x01);
        bus.out(0x21, 1, 0x00); // OCW1: unmask everything
        bus.out(0xA1, 1, 0x00);
    }

    private int readIrr(int base) {
        bus.out(base, 1, 0x0A); // OCW3 RR=1 RIS=0
        return bus.in(base, 1);
    }

    private int readIsr(int base) {
        bus.out(base, 1, 0x0B); // OCW3 RR=1 RIS=1
        return bus.in(base, 1);
    }

    @Test
    void imrReadsBackAndIcw1ClearsIt() {
        bus.out(0x21, 1, 0xB8);
        assertEquals(0xB8, bus.in(0x21, 1));
        bus.out(0x20, 1, 0x11); // ICW1 clears the interrupt mask register
        bus.out(0x21, 1, 0x08);
        bus.out(0x21, 1, 0x04);
        bus.out(0x21, 1, 0x01);
        assertEquals(0x00, bus.in(0x21, 1));
    }

    @Test
    void fixedPriorityAndNonSpecificEoi() {
        pic.setIrq(3, true);
        pic.setIrq(1, true);
        assertTrue(pic.hasInterrupt());
        assertEquals(0x0A, readIrr(0x20));
        // IR0 has the highest priority by default, so IR1 wins over IR3
        assertEquals(0x31, pic.acknowledge());
        assertEquals(0x02, readIsr(0x20));
        assertEquals(0x08, readIrr(0x20), "edge request cleared from IRR by INTA");
        // IR3 has lower priority than the in-service IR1: INTR stays low until the EOI
        assertFalse(pic.hasInterrupt());
        // a higher priority request (IR0) nests on top of IR1
        pic.setIrq(0, true);
        assertTrue(pic.hasInterrupt());
        assertEquals(0x30, pic.acknowledge());
        assertEquals(0x03, readIsr(0x20));
        bus.out(0x20, 1, 0x20); // non-specific EOI clears the highest in-service bit (IR0)
        assertEquals(0x02, readIsr(0x20));
        assertFalse(pic.hasInterrupt());
        bus.out(0x20, 1, 0x20);
        assertTrue(pic.hasInterrupt());
        assertEquals(0x33, pic.acknowledge());
        bus.out(0x20, 1, 0x63); // specific EOI for IR3
        assertEquals(0, readIsr(0x20));
        assertFalse(pic.hasInterrupt());
        assertTrue(intrChanges >= 4, "listener told about INTR transitions: " + intrChanges);
    }

    @Test
    void edgeNeedsNewRisingEdge() {
        pic.setIrq(4, true);
        assertEquals(0x34, pic.acknowledge());
        bus.out(0x20, 1, 0x20);
        // line still high: no new edge, so no new request
        assertFalse(pic.hasInterrupt());
        pic.setIrq(4, false);
        pic.pulseIrq(4);
        assertTrue(pic.hasInterrupt());
        assertEquals(0x34, pic.acknowledge());
    }

    @Test
    void maskedRequestStaysInIrr() {
        bus.out(0x21, 1, 0x10);
        pic.pulseIrq(4);
        assertFalse(pic.hasInterrupt());
        assertEquals(0x10, readIrr(0x20));
        bus.out(0x21, 1, 0x00);
        assertTrue(pic.hasInterrupt());
        assertEquals(0x34, pic.acknowledge());
    }

    @Test
    void slaveCascadeThroughIr2() {
        pic.pulseIrq(10);
        assertTrue(pic.hasInterrupt());
        assertEquals(0x3A, pic.acknowledge());
        assertEquals(0x04, readIsr(0x20), "master has IR2 in service");
        assertEquals(0x04, readIsr(0xA0), "slave has IR2 (IRQ10) in service");
        // a second, lower priority slave request waits for the slave EOI
        pic.pulseIrq(12);
        assertFalse(pic.hasInterrupt());
        bus.out(0xA0, 1, 0x20);
        // slave is free but the master still has IR2 in service (no special fully nested mode)
        assertFalse(pic.hasInterrupt());
        bus.out(0x20, 1, 0x20);
        assertTrue(pic.hasInterrupt());
        assertEquals(0x3C, pic.acknowledge());
        // IRQ0-1 outrank the whole slave, IRQ3-7 are below it
        pic.pulseIrq(1);
        assertTrue(pic.hasInterrupt());
        pic.pulseIrq(5);
        assertEquals(0x31, pic.acknowledge());
        assertFalse(pic.hasInterrupt());
    }

    @Test
    void spuriousIrq7WhenLevelRequestVanishes() {
        bus.out(0x4D0, 1, 0x08); // IRQ3 level triggered
        assertEquals(0x08, bus.in(0x4D0, 1));
        pic.setIrq(3, true);
        assertTrue(pic.hasInterrupt());
        pic.setIrq(3, false); // the device drops the request before the INTA cycle
        assertEquals(0x37, pic.acknowledge(), "spurious IRQ7 vector");
        assertEquals(0, readIsr(0x20), "the spurious IR7 is not put in service");
    }

    @Test
    void spuriousIrq15FromSlave() {
        bus.out(0x4D1, 1, 0x04); // IRQ10 level triggered
        pic.setIrq(10, true);
        assertTrue(pic.hasInterrupt());
        pic.setIrq(10, false);
        // the master latched the slave's edge on IR2; the slave has nothing and answers IR7
        assertEquals(0x3F, pic.acknowledge());
        assertEquals(0, readIsr(0xA0));
        assertEquals(0x04, readIsr(0x20), "master still puts IR2 in service (needs an EOI)");
    }

    @Test
    void elcrMasksFixedEdgeLines() {
        bus.out(0x4D0, 1, 0xFF);
        bus.out(0x4D1, 1, 0xFF);
        // IRQ0, 1, 2, 8 and 13 cannot be made level triggered
        assertEquals(0xF8, bus.in(0x4D0, 1));
        assertEquals(0xDE, bus.in(0x4D1, 1));
    }

    @Test
    void levelTriggeredRequestRepeatsUntilLineDrops() {
        bus.out(0x4D1, 1, 0x08); // IRQ11 level (a PCI interrupt)
        pic.setIrq(11, true);
        assertEquals(0x3B, pic.acknowledge());
        bus.out(0xA0, 1, 0x20);
        bus.out(0x20, 1, 0x20);
        assertTrue(pic.hasInterrupt(), "level still asserted: requested again after EOI");
        assertEquals(0x3B, pic.acknowledge());
        pic.setIrq(11, false); // the handler services the device, which drops its line
        bus.out(0xA0, 1, 0x20);
        bus.out(0x20, 1, 0x20);
        assertFalse(pic.hasInterrupt());
        assertEquals(0, readIrr(0xA0));
    }

    @Test
    void setPriorityAndRotateOnEoi() {
        bus.out(0x20, 1, 0xC4); // OCW2 set priority: IR4 lowest, so IR5 highest
        pic.pulseIrq(3);
        pic.pulseIrq(6);
        assertEquals(0x36, pic.acknowledge());
        bus.out(0x20, 1, 0xA0); // rotate on non-specific EOI: IR6 becomes lowest, IR7 highest
        pic.pulseIrq(7);
        pic.pulseIrq(6);
        assertEquals(0x37, pic.acknowledge());
        bus.out(0x20, 1, 0xE7); // rotate on specific EOI for IR7: IR0 highest again
        assertEquals(0x33, pic.acknowledge(), "IR3 outranks IR6 in the restored order");
        bus.out(0x20, 1, 0x20);
        assertEquals(0x36, pic.acknowledge());
    }

    @Test
    void autoEoiLeavesIsrClearAndCanRotate() {
        bus.out(0x20, 1, 0x11);
        bus.out(0x21, 1, 0x08);
        bus.out(0x21, 1, 0x04);
        bus.out(0x21, 1, 0x03); // ICW4: AEOI
        pic.pulseIrq(0);
        pic.pulseIrq(1);
        assertEquals(0x08, pic.acknowledge());
        assertEquals(0, readIsr(0x20));
        assertTrue(pic.hasInterrupt(), "no EOI needed for the next one");
        bus.out(0x20, 1, 0x80); // rotate in AEOI mode
        assertEquals(0x09, pic.acknowledge());
        // IR1 became lowest: IR2..IR0 order; IR0 now outranked by IR7
        pic.pulseIrq(0);
        pic.pulseIrq(7);
        assertEquals(0x0F, pic.acknowledge());
    }

    @Test
    void specialMaskModeLetsLowerLevelsIn() {
        pic.pulseIrq(3);
        assertEquals(0x33, pic.acknowledge());
        pic.pulseIrq(5);
        assertFalse(pic.hasInterrupt());
        bus.out(0x21, 1, 0x08); // mask IR3 (in service)
        assertFalse(pic.hasInterrupt(), "without special mask mode the ISR bit still blocks");
        bus.out(0x20, 1, 0x68); // OCW3: set special mask mode
        assertTrue(pic.hasInterrupt());
        assertEquals(0x35, pic.acknowledge());
        // still in special mask mode: a higher level nests, an in-service level does not repeat
        pic.pulseIrq(1);
        assertEquals(0x31, pic.acknowledge());
        bus.out(0x20, 1, 0x48); // reset special mask mode
        assertEquals(0x2A, readIsr(0x20));
        pic.pulseIrq(6);
        assertFalse(pic.hasInterrupt(), "normal nesting again: IR1 in service blocks IR6");
    }

    @Test
    void specialFullyNestedModeLetsHigherSlaveRequestsThrough() {
        pic.pulseIrq(10);
        assertEquals(0x3A, pic.acknowledge());
        pic.pulseIrq(9); // outranks IRQ10 on the slave
        assertFalse(pic.hasInterrupt(), "fully nested mode: master IR2 in service blocks all of the slave");
        bus.out(0xA0, 1, 0x20);
        bus.out(0x20, 1, 0x20);
        assertEquals(0x39, pic.acknowledge());
        bus.out(0xA0, 1, 0x20);
        bus.out(0x20, 1, 0x20);
        assertFalse(pic.hasInterrupt());

        bus.out(0x20, 1, 0x11); // re-initialize the master with ICW4.SFNM
        bus.out(0x21, 1, 0x30);
        bus.out(0x21, 1, 0x04);
        bus.out(0x21, 1, 0x11);
        pic.pulseIrq(10);
        assertEquals(0x3A, pic.acknowledge());
        pic.pulseIrq(9);
        assertTrue(pic.hasInterrupt(), "SFNM: the master ignores its in-service cascade input");
        assertEquals(0x39, pic.acknowledge());
        assertEquals(0x06, readIsr(0xA0), "IRQ9 nested on IRQ10 in the slave");
        assertEquals(0x04, readIsr(0x20));
        pic.pulseIrq(11); // lower than both in-service slave levels: the slave holds it back
        assertFalse(pic.hasInterrupt());
    }

    @Test
    void pollCommand() {
        pic.pulseIrq(6);
        bus.out(0x20, 1, 0x0C); // OCW3 poll
        assertEquals(0x86, bus.in(0x20, 1), "bit 7 set, level 6");
        assertEquals(0x40, readIsr(0x20), "poll read acts as the acknowledge");
        bus.out(0x20, 1, 0x0C);
        assertEquals(0x00, bus.in(0x20, 1), "nothing else pending");
    }

    @Test
    void stateRoundTrip() throws IOException {
        pic.pulseIrq(10);
        assertEquals(0x3A, pic.acknowledge());
        pic.pulseIrq(4);
        bus.out(0x21, 1, 0x10);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        pic.saveState(new DataOutputStream(bytes));
        Pic8259Pair copy = new Pic8259Pair();
        copy.loadState(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
        assertEquals(pic.isr(), copy.isr());
        assertEquals(pic.irr(), copy.irr());
        assertEquals(0x10, copy.imr());
        assertFalse(copy.hasInterrupt());
        copy.ioWrite(0x21, 1, 0); // unmask IR4
        assertFalse(copy.hasInterrupt(), "IR4 ranks below the in-service IR2");
        copy.ioWrite(0xA0, 1, 0x20);
        copy.ioWrite(0x20, 1, 0x20);
        assertTrue(copy.hasInterrupt());
        assertEquals(0x34, copy.acknowledge());
        byte[] bad = bytes.toByteArray();
        bad[3] = 99;
        IOException e = assertThrows(IOException.class,
                () -> new Pic8259Pair().loadState(new DataInputStream(new ByteArrayInputStream(bad))));
        assertTrue(e.getMessage().contains("version"));
    }
}

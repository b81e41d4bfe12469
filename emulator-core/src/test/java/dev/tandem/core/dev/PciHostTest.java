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

class PciHostTest {
    private final IoBus bus = new IoBus();
    private final PciHost pci = new PciHost();
    private int pamChanges;
    private int pirqChanges;
    private int resets;

    @BeforeEach
    void setUp() {
        pci.register(bus);
        pci.setPamListener(() -> pamChanges++);
        pci.setPirqListener(() -> pirqChanges++);
        pci.setResetCallback(() -> resets++);
    }

    private static int addr(int dev, int fn, int reg) {
        return 0x8000_0000 | dev << 11 | fn << 8 | (reg & 0xFC);
    }

    private int read(int dev, int reg, int size) {
        bus.out(0xCF8, 4, addr(dev, 0, reg));
        return bus.in(0xCFC + (reg & 3), size);
    }

    private void write(int dev, int reg, int size, int v) {
        bus.out(0xCF8, 4, addr(dev, 0, reg));
        bus.out(0xCFC + (reg & 3), size, v);
    }

    @Test
    void linuxType1Detection() {
        // pci_check_type1(): a byte write to 0xCFB must not disturb the dword address register
        bus.out(0xCFB, 1, 0x01);
        int saved = bus.in(0xCF8, 4);
        bus.out(0xCF8, 4, 0x8000_0000);
        assertEquals(0x8000_0000, bus.in(0xCF8, 4));
        bus.out(0xCF8, 4, saved);
        // and the type 2 probe must fail: byte reads of 0xCF8/0xCFA are not both zero
        bus.out(0xCFB, 1, 0x00);
        bus.out(0xCF8, 1, 0x00);
        bus.out(0xCFA, 1, 0x00);
        assertFalse(bus.in(0xCF8, 1) == 0 && bus.in(0xCFA, 1) == 0);
    }

    @Test
    void vendorDeviceAndClass() {
        assertEquals(0x1237_8086, read(0, 0x00, 4), "i440FX host bridge");
        assertEquals(0x7000_8086, read(1, 0x00, 4), "PIIX3 ISA bridge");
        assertEquals(0x8086, read(0, 0x00, 2));
        assertEquals(0x1237, read(0, 0x02, 2), "word read through 0xCFE");
        assertEquals(0x86, read(1, 0x00, 1));
        assertEquals(0x70, read(1, 0x03, 1), "byte read through 0xCFF");
        assertEquals(0x0600, read(0, 0x0A, 2), "class: host bridge");
        assertEquals(0x0601, read(1, 0x0A, 2), "class: ISA bridge");
        assertEquals(0x80, read(1, 0x0E, 1), "PIIX3 is multi-function");
        assertEquals(0x00, read(0, 0x0E, 1));
    }

    @Test
    void absentFunctionsReadAllOnes() {
        assertEquals(0xFFFF_FFFF, read(2, 0x00, 4));
        assertEquals(0xFFFF, read(31, 0x00, 2));
        bus.out(0xCF8, 4, addr(1, 1, 0));
        assertEquals(0xFFFF_FFFF, bus.in(0xCFC, 4), "00:01.1 not present");
        bus.out(0xCF8, 4, 0x8001_0000); // bus 1
        assertEquals(0xFFFF_FFFF, bus.in(0xCFC, 4));
        bus.out(0xCF8, 4, 0x0000_0000); // enable bit clear
        assertEquals(0xFFFF_FFFF, bus.in(0xCFC, 4));
        write(5, 0x04, 2, 0x0007); // writes to nothing are ignored without error
    }

    @Test
    void readOnlyAndWritableRegisters() {
        write(0, 0x00, 4, 0);
        assertEquals(0x1237_8086, read(0, 0x00, 4), "IDs are read-only");
        write(0, 0x08, 4, 0);
        assertEquals(0x0600_0002, read(0, 0x08, 4), "class/revision read-only");
        write(0, 0x04, 2, 0x0107);
        assertEquals(0x0107, read(0, 0x04, 2), "command writable");
        assertEquals(0x0280, read(0, 0x06, 2), "status is read-only");
        write(0, 0x0D, 1, 0x40);
        assertEquals(0x40, read(0, 0x0D, 1), "latency timer");
        write(0, 0x0C, 4, 0xFFFF_FFFF);
        assertEquals(0x0000_F800, read(0, 0x0C, 4), "only latency bits 7-3 stick");
    }

    @Test
    void pamAndPirqRegistersAreStored() {
        assertEquals(0, pci.pam(0));
        write(0, 0x59, 1, 0x30); // PAM0: BIOS area F0000-FFFFF read/write to DRAM
        write(0, 0x5C, 4, 0x3333_3333); // PAM3-6 in one dword
        assertEquals(0x30, pci.pam(0));
        assertEquals(0x33, pci.pam(6));
        assertEquals(2, pamChanges);
        assertEquals(-1, pci.pirqRoute(0), "routing disabled at reset (bit 7)");
        write(1, 0x60, 4, 0x0B0A_0B0A); // PIRQA->IRQ10, B->11, C->10, D->11
        assertEquals(10, pci.pirqRoute(0));
        assertEquals(11, pci.pirqRoute(1));
        assertEquals(0x0B0A_0B0A, read(1, 0x60, 4));
        assertEquals(1, pirqChanges);
        write(1, 0x61, 1, 0xF5);
        assertEquals(0x85, read(1, 0x61, 1), "reserved bits 6-4 read 0");
        assertEquals(-1, pci.pirqRoute(1));
    }

    @Test
    void resetControlRegister() {
        bus.out(0xCF9, 1, 0x02);
        assertEquals(0, resets);
        assertEquals(0x02, bus.in(0xCF9, 1));
        bus.out(0xCF9, 1, 0x06); // Linux reboot=pci: SYS_RST | RST_CPU
        assertEquals(1, resets);
    }

    @Test
    void stateRoundTrip() throws IOException {
        write(0, 0x5A, 1, 0x11);
        write(1, 0x62, 1, 0x05);
        bus.out(0xCF8, 4, addr(1, 0, 0x60));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        pci.saveState(new DataOutputStream(bytes));
        PciHost copy = new PciHost();
        copy.loadState(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
        assertEquals(0x11, copy.pam(1));
        assertEquals(5, copy.pirqRoute(2));
        assertEquals(addr(1, 0, 0x60), copy.ioRead(0xCF8, 4));
        assertEquals(0x80, copy.ioRead(0xCFC, 1), "address register restored too");
    }
}

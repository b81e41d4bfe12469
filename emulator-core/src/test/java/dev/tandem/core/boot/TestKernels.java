package dev.tandem.core.boot;

import dev.tandem.core.testkit.LinuxGuest;
import java.io.IOException;
import java.nio.file.Files;

/** Synthetic bzImages for tests, and the files of the real guest built by guests/build-linux-guest.sh. */
final class TestKernels {
    private TestKernels() {
    }

    /** Builder for a minimal bzImage: a setup header, setup sectors and a protected-mode payload. */
    static final class Builder {
        int setupSectsField = 4;
        int version = 0x020F;
        int loadflags = BzImage.LOADED_HIGH;
        int code32Start = 0x100000;
        int initrdAddrMax = 0x7FFFFFFF;
        int kernelAlignment = 0x200000;
        int relocatable = 1;
        int minAlignment = 21;
        int xloadflags = 0;
        int cmdlineSize = 2047;
        long prefAddress = 0x1000000;
        int initSize = 0x800000;
        int payloadSize = 10000;
        int headerEndByte = 0x6A; // header ends at 0x26C
        String version_string = "6.9.9-synthetic (test@tandem) #1";
        Integer syssizeOverride = null;

        byte[] payload() {
            byte[] p = new byte[payloadSize];
            for (int i = 0; i < p.length; i++) p[i] = (byte) (i * 7 + (i >>> 8));
            return p;
        }

        byte[] build() {
            int sects = setupSectsField == 0 ? 4 : setupSectsField;
            int setup = (sects + 1) * 512;
            byte[] img = new byte[setup + payloadSize];
            img[0x1F1] = (byte) setupSectsField;
            int syssize = syssizeOverride != null ? syssizeOverride : (payloadSize + 15) / 16;
            le32(img, 0x1F4, syssize);
            le16(img, 0x1FE, 0xAA55);
            img[0x200] = (byte) 0xEB;
            img[0x201] = (byte) headerEndByte;
            le32(img, 0x202, BzImage.HDRS_MAGIC);
            le16(img, 0x206, version);
            int strOff = 0x300;
            le16(img, 0x20E, strOff - 0x200);
            byte[] vs = version_string.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            System.arraycopy(vs, 0, img, strOff, vs.length);
            img[0x211] = (byte) loadflags;
            le32(img, 0x214, code32Start);
            le32(img, 0x22C, initrdAddrMax);
            le32(img, 0x230, kernelAlignment);
            img[0x234] = (byte) relocatable;
            img[0x235] = (byte) minAlignment;
            le16(img, 0x236, xloadflags);
            le32(img, 0x238, cmdlineSize);
            le32(img, 0x258, (int) prefAddress);
            le32(img, 0x25C, (int) (prefAddress >>> 32));
            le32(img, 0x260, initSize);
            System.arraycopy(payload(), 0, img, setup, payloadSize);
            return img;
        }
    }

    static void le16(byte[] b, int off, int v) {
        b[off] = (byte) v;
        b[off + 1] = (byte) (v >>> 8);
    }

    static void le32(byte[] b, int off, int v) {
        le16(b, off, v);
        le16(b, off + 2, v >>> 16);
    }

    /** A file of the real guest ({@link LinuxGuest}; skipped or failed when the guest is absent). */
    static byte[] readGuestFile(String name) throws IOException {
        return Files.readAllBytes(LinuxGuest.require().resolve(name));
    }
}

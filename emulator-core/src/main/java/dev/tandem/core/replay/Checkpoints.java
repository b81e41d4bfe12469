package dev.tandem.core.replay;

import dev.tandem.core.mem.PhysicalMemory;
import dev.tandem.core.snapshot.PageHash;
import dev.tandem.core.snapshot.StateDigest;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

/**
 * Encoding of state digests in HASH and END records. Page hashes are sent as a delta: the
 * 32-bit page hashes that changed since the previous checkpoint of the same log (both sides start
 * from "every page is zero"), deflated. Each side keeps the running page-hash array.
 */
final class Checkpoints {
    private final int[] pages;

    Checkpoints(int ramBytes) {
        int np = ramBytes >>> PhysicalMemory.PAGE_SHIFT;
        pages = new int[np];
        Arrays.fill(pages, (int) PageHash.hash(new byte[PhysicalMemory.PAGE_SIZE]));
    }

    /** The running page-hash array (low 32 bits of each page hash as of the last checkpoint). */
    int[] baseline() {
        return pages.clone();
    }

    /** Replaces the running array (a stream continued by another writer or joined mid-way). */
    void seed(int[] baseline) {
        if (baseline.length != pages.length) throw new IllegalArgumentException("page count differs");
        System.arraycopy(baseline, 0, pages, 0, pages.length);
    }

    /** The running array a machine's state implies: every page's current hash. */
    static int[] baselineOf(StateDigest d) {
        long[] p = d.pages();
        int[] out = new int[p.length];
        for (int i = 0; i < p.length; i++) out[i] = (int) p[i];
        return out;
    }

    /** Writes {@code d} and updates the running page array. */
    void write(StateDigest d, DataOutputStream out) throws IOException {
        out.writeLong(d.total());
        out.writeShort(d.cpuState().length);
        out.write(d.cpuState());
        out.writeLong(d.cpu());
        out.writeByte(d.devices().length);
        for (long h : d.devices()) out.writeLong(h);
        out.writeLong(d.time());
        out.writeLong(d.ram());
        ByteArrayOutputStream raw = new ByteArrayOutputStream();
        DataOutputStream r = new DataOutputStream(raw);
        int n = 0;
        long[] p = d.pages();
        for (int i = 0; i < p.length; i++) {
            int h = (int) p[i];
            if (h != pages[i]) {
                r.writeInt(i);
                r.writeInt(h);
                pages[i] = h;
                n++;
            }
        }
        r.flush();
        byte[] rb = raw.toByteArray();
        Deflater def = new Deflater(Deflater.BEST_SPEED);
        def.setInput(rb);
        def.finish();
        byte[] comp = new byte[rb.length + 64];
        int clen = 0;
        while (!def.finished()) {
            if (clen == comp.length) comp = Arrays.copyOf(comp, comp.length * 2);
            clen += def.deflate(comp, clen, comp.length - clen);
        }
        def.end();
        out.writeInt(n);
        out.writeInt(clen);
        out.write(comp, 0, clen);
    }

    /** A checkpoint as read back: the digest (with 32-bit page hashes widened) and the page list. */
    record Expected(long total, byte[] cpuState, long cpu, long[] devices, long time, long ram, int[] pages) {
    }

    Expected read(DataInputStream in) throws IOException {
        long total = in.readLong();
        byte[] cpuState = new byte[in.readUnsignedShort()];
        in.readFully(cpuState);
        long cpu = in.readLong();
        long[] devices = new long[in.readUnsignedByte()];
        for (int i = 0; i < devices.length; i++) devices[i] = in.readLong();
        long time = in.readLong();
        long ram = in.readLong();
        int n = in.readInt();
        int clen = in.readInt();
        if (n < 0 || n > pages.length || clen < 0 || clen > LogWriter.MAX_PAYLOAD) throw new IOException("bad page list sizes");
        byte[] comp = new byte[clen];
        in.readFully(comp);
        byte[] rawb = new byte[n * 8];
        Inflater inf = new Inflater();
        try {
            inf.setInput(comp);
            int got = 0;
            while (got < rawb.length && !inf.finished()) {
                int k = inf.inflate(rawb, got, rawb.length - got);
                if (k == 0 && (inf.needsInput() || inf.needsDictionary())) break;
                got += k;
            }
            if (got != rawb.length) throw new IOException("page list is short");
        } catch (DataFormatException e) {
            throw new IOException("bad page list: " + e.getMessage());
        } finally {
            inf.end();
        }
        for (int k = 0; k < n; k++) {
            int i = LogReader.getInt(rawb, k * 8);
            if (i < 0 || i >= pages.length) throw new IOException("page index out of range: " + i);
            pages[i] = LogReader.getInt(rawb, k * 8 + 4);
        }
        return new Expected(total, cpuState, cpu, devices, time, ram, pages.clone());
    }

    /** The components of {@code actual} that differ from {@code e}, named. */
    static java.util.List<String> differences(Expected e, StateDigest actual) {
        long[] widened = new long[e.pages().length];
        for (int i = 0; i < widened.length; i++) widened[i] = e.pages()[i] & 0xFFFFFFFFL;
        long[] actualLow = new long[actual.pages().length];
        for (int i = 0; i < actualLow.length; i++) actualLow[i] = actual.pages()[i] & 0xFFFFFFFFL;
        // compare through StateDigest with truncated page hashes on both sides
        StateDigest exp = new StateDigest(e.cpuState(), e.cpu(), e.devices(), e.time(), widened, e.ram(), e.total());
        StateDigest act = new StateDigest(actual.cpuState(), actual.cpu(), actual.devices(), actual.time(), actualLow,
                actual.ram(), actual.total());
        return act.differences(exp);
    }
}

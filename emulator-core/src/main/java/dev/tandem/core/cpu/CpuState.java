package dev.tandem.core.cpu;

import dev.tandem.core.fpu.X87;
import java.io.ByteArrayInputStream;
import java.io.DataInput;
import java.io.DataInputStream;
import java.io.DataOutput;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Saves and restores every piece of guest-visible CPU and x87 state, including the
 * package-private fields of {@link Cpu}, in one fixed canonical order (used by snapshots, state
 * hashes and divergence reports).
 *
 * <p>The field list exists once, in {@link #walk}: saving, loading and naming fields all go
 * through it, so they cannot drift apart. Lazy arithmetic flags are materialized before saving
 * (that changes the representation, not the value of EFLAGS). Derived state (code/stack size,
 * TLB, decoded blocks) is not saved; {@link #load} recomputes or drops it.
 *
 * <p>Not saved, by design: the software TLB and decoded-block cache (caches; a restored CPU
 * starts with both empty), diagnostics counters ({@code blocksBuilt}, {@code straddleFaults},
 * {@code lastException}) and per-instruction scratch (decoder fields), which are dead at an
 * instruction boundary.
 */
public final class CpuState {
    /** Format version of the serialized state; bump on any change to {@link #walk}. */
    public static final int VERSION = 1;

    private CpuState() {
    }

    /** One field visitor: returns the value to store back into the field. */
    private interface Visitor {
        int i(String name, int v) throws IOException;

        long l(String name, long v) throws IOException;

        boolean b(String name, boolean v) throws IOException;
    }

    private static final String[] REG = {"eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"};
    private static final String[] SEG = {"es", "cs", "ss", "ds", "fs", "gs"};

    /** The one list of CPU and x87 state fields, in serialization order. */
    private static void walk(Cpu c, X87 f, Visitor v) throws IOException {
        for (int r = 0; r < 8; r++) c.reg[r] = v.i(REG[r], c.reg[r]);
        c.eip = v.i("eip", c.eip);
        c.eflags = v.i("eflags", c.eflags);
        for (int s = 0; s < 6; s++) {
            c.segSel[s] = v.i(SEG[s] + ".sel", c.segSel[s]);
            c.segBase[s] = v.i(SEG[s] + ".base", c.segBase[s]);
            c.segLimit[s] = v.i(SEG[s] + ".limit", c.segLimit[s]);
            c.segAttr[s] = v.i(SEG[s] + ".attr", c.segAttr[s]);
            c.segUsable[s] = v.b(SEG[s] + ".usable", c.segUsable[s]);
        }
        c.cr0 = v.i("cr0", c.cr0);
        c.cr2 = v.i("cr2", c.cr2);
        c.cr3 = v.i("cr3", c.cr3);
        c.cr4 = v.i("cr4", c.cr4);
        for (int r = 0; r < 8; r++) c.dr[r] = v.i("dr" + r, c.dr[r]);
        c.gdtrBase = v.i("gdtr.base", c.gdtrBase);
        c.gdtrLimit = v.i("gdtr.limit", c.gdtrLimit);
        c.idtrBase = v.i("idtr.base", c.idtrBase);
        c.idtrLimit = v.i("idtr.limit", c.idtrLimit);
        c.ldtrSel = v.i("ldtr.sel", c.ldtrSel);
        c.ldtrBase = v.i("ldtr.base", c.ldtrBase);
        c.ldtrLimit = v.i("ldtr.limit", c.ldtrLimit);
        c.ldtrAttr = v.i("ldtr.attr", c.ldtrAttr);
        c.trSel = v.i("tr.sel", c.trSel);
        c.trBase = v.i("tr.base", c.trBase);
        c.trLimit = v.i("tr.limit", c.trLimit);
        c.trAttr = v.i("tr.attr", c.trAttr);
        c.cpl = v.i("cpl", c.cpl);
        c.tscOffset = v.l("tscOffset", c.tscOffset);
        c.icount = v.l("icount", c.icount);
        c.halted = v.b("halted", c.halted);
        c.shutdown = v.b("shutdown", c.shutdown);
        c.inhibitIrq = v.b("inhibitIrq", c.inhibitIrq);
        // x87
        f.cw = v.i("fpu.cw", f.cw);
        f.sw = v.i("fpu.sw", f.sw);
        f.tw = v.i("fpu.tw", f.tw);
        for (int r = 0; r < 8; r++) {
            f.regSE[r] = v.i("fpu.r" + r + ".se", f.regSE[r]);
            f.regSig[r] = v.l("fpu.r" + r + ".sig", f.regSig[r]);
        }
        f.fip = v.i("fpu.fip", f.fip);
        f.fcs = v.i("fpu.fcs", f.fcs);
        f.fop = v.i("fpu.fop", f.fop);
        f.fdp = v.i("fpu.fdp", f.fdp);
        f.fds = v.i("fpu.fds", f.fds);
    }

    /** Writes the state of {@code c} and {@code f} (version first). */
    public static void save(Cpu c, X87 f, DataOutput out) throws IOException {
        LazyFlags.materialize(c);
        out.writeInt(VERSION);
        walk(c, f, new Visitor() {
            @Override
            public int i(String name, int v) throws IOException {
                out.writeInt(v);
                return v;
            }

            @Override
            public long l(String name, long v) throws IOException {
                out.writeLong(v);
                return v;
            }

            @Override
            public boolean b(String name, boolean v) throws IOException {
                out.writeBoolean(v);
                return v;
            }
        });
    }

    /**
     * Replaces the state of {@code c} and {@code f} with the saved one, then recomputes derived
     * state and drops the TLB and decoded blocks.
     */
    public static void load(Cpu c, X87 f, DataInput in) throws IOException {
        int v = in.readInt();
        if (v != VERSION) throw new IOException("CPU state: unsupported version " + v + " (expected " + VERSION + ")");
        walk(c, f, new Visitor() {
            @Override
            public int i(String name, int old) throws IOException {
                return in.readInt();
            }

            @Override
            public long l(String name, long old) throws IOException {
                return in.readLong();
            }

            @Override
            public boolean b(String name, boolean old) throws IOException {
                return in.readBoolean();
            }
        });
        if (c.cpl < 0 || c.cpl > 3) throw new IOException("CPU state: corrupt CPL " + c.cpl);
        c.lfOp = 0;
        c.eflags = (c.eflags & Flags.WRITABLE) | Flags.FIXED_ONE;
        c.updateMode();
        c.flushTlbAll();
        c.flushBlockCache();
    }

    /** The state as bytes (see {@link #save}). */
    public static byte[] toBytes(Cpu c, X87 f) {
        java.io.ByteArrayOutputStream bo = new java.io.ByteArrayOutputStream(512);
        try {
            save(c, f, new java.io.DataOutputStream(bo));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bo.toByteArray();
    }

    /** Decodes saved state bytes into named fields (hex values), in serialization order. */
    public static Map<String, String> describe(byte[] state) throws IOException {
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(state));
        int v = in.readInt();
        if (v != VERSION) throw new IOException("CPU state: unsupported version " + v);
        Map<String, String> out = new LinkedHashMap<>();
        // walk over throwaway objects: the visitor only reads the stream and names the fields
        Cpu scratch = scratchCpu();
        walk(scratch, new X87(), new Visitor() {
            @Override
            public int i(String name, int old) throws IOException {
                int x = in.readInt();
                out.put(name, String.format("%08x", x));
                return x;
            }

            @Override
            public long l(String name, long old) throws IOException {
                long x = in.readLong();
                out.put(name, String.format("%016x", x));
                return x;
            }

            @Override
            public boolean b(String name, boolean old) throws IOException {
                boolean x = in.readBoolean();
                out.put(name, Boolean.toString(x));
                return x;
            }
        });
        return out;
    }

    /** Names of the fields whose values differ between two saved states, with both values. */
    public static Map<String, String> diff(byte[] expected, byte[] actual) throws IOException {
        Map<String, String> a = describe(expected);
        Map<String, String> b = describe(actual);
        Map<String, String> d = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : a.entrySet()) {
            String other = b.get(e.getKey());
            if (!e.getValue().equals(other)) d.put(e.getKey(), "expected " + e.getValue() + ", got " + other);
        }
        return d;
    }

    private static Cpu scratchCpu() {
        return new Cpu(new dev.tandem.core.mem.PhysicalMemory(1 << 20), new dev.tandem.core.io.IoBus());
    }
}

package dev.tandem.core.cpu;

import static dev.tandem.core.cpu.Cpu.CS;

import dev.tandem.core.mem.PhysicalMemory;

/**
 * The decoded-block cache: straight-line runs of up to 32 decoded instructions, keyed by the
 * physical address of their first byte and the code-segment size (16 or 32 bit).
 *
 * <p>A block never crosses a 4 KiB page and ends at any instruction whose table row has
 * {@link OpTable#ENDS_BLOCK} (control transfers, I/O, anything that changes how later bytes
 * decode). Pages holding blocks are write-watched in {@link PhysicalMemory}: a write to one, by
 * the CPU or a device, reaches {@link #codeWritten}, which bumps the page's generation, so blocks
 * built from the old bytes are never used again, and sets {@link #blockAbort} when the page is
 * the one being executed. Instructions live in one pool of reused {@link Insn} objects; when it
 * is full the whole cache is flushed. The cache is not guest state: snapshots drop it.
 */
final class BlockCache {
    private final Cpu c;

    BlockCache(Cpu c) {
        this.c = c;
    }

    private static final int MAX_BLOCK = 32;
    private static final int POOL_INSNS = 1 << 18;
    /** Decoded instructions; a block is a run of consecutive entries. */
    final Insn[] pool = new Insn[POOL_INSNS];
    private int poolUsed;
    private static final int BT_BITS = 16;
    private static final int BT_SIZE = 1 << BT_BITS;
    final int[] btPhys = new int[BT_SIZE];
    /** 0 = empty, 1 = 16-bit code, 2 = 32-bit code. */
    private final byte[] btMode = new byte[BT_SIZE];
    final int[] btStart = new int[BT_SIZE];
    final byte[] btCount = new byte[BT_SIZE];
    private final int[] btBytes = new int[BT_SIZE];
    private final int[] btGen = new int[BT_SIZE];
    private final int[] pageGen = new int[1 << 20];
    private final boolean[] codePageFlag = new boolean[1 << 20];
    /** Physical page of the block being executed, -1 between blocks. */
    int curBlockPage = -1;
    /** Set when the block being executed has been written to: it stops after the current instruction. */
    boolean blockAbort;
    /** Blocks built, and flushes of the whole cache (statistics). */
    long blocksBuilt, blockFlushes;

    /** PhysicalMemory's write listener: a write of {@code size} bytes hit a watched page. */
    void codeWritten(int physAddr, int size) {
        invalidateCodePage(physAddr >>> 12);
        if (((physAddr + size - 1) >>> 12) != (physAddr >>> 12)) invalidateCodePage((physAddr + size - 1) >>> 12);
    }

    private void invalidateCodePage(int page) {
        if (codePageFlag[page]) {
            codePageFlag[page] = false;
            pageGen[page]++;
            c.mem.unwatchPage(page);
            if (page == curBlockPage) blockAbort = true;
        }
    }

    /** Drops every decoded block. */
    void flush() {
        java.util.Arrays.fill(btMode, (byte) 0);
        poolUsed = 0;
        blockFlushes++;
    }

    /** Finds or builds the block at CS:EIP; -1 when the instruction must go through {@link Interpreter#step}. */
    int find() {
        int lin = c.segBase[CS] + c.eip;
        int ti = (lin >>> 12) & Mmu.TLB_MASK;
        if (c.mmu.rtag[ti] != (lin >>> 12)) return -1; // let step() translate (and fault) first
        int phys = c.mmu.tlbPhys[ti] | (lin & 0xFFF);
        int mode = c.code32 ? 2 : 1;
        int idx = ((phys * 0x9E3779B1) >>> (32 - BT_BITS)) ^ mode;
        if (btMode[idx] == mode && btPhys[idx] == phys && btGen[idx] == pageGen[phys >>> 12]) {
            // the CS limit may have changed since the block was built
            if (Integer.compareUnsigned(c.eip + btBytes[idx] - 1, c.segLimit[CS]) > 0) return -1;
            return idx;
        }
        return buildBlock(idx, phys, mode, lin);
    }

    private int buildBlock(int idx, int phys, int mode, int lin) {
        if (poolUsed + MAX_BLOCK > POOL_INSNS) flush();
        int start = poolUsed;
        int n = 0;
        int bytes = 0;
        int saveEip = c.eip;
        int e = c.eip;
        int pageEnd = (lin | 0xFFF);
        try {
            while (n < MAX_BLOCK) {
                int l = c.segBase[CS] + e;
                // stop before an instruction that might reach into the next page
                if (Integer.compareUnsigned(pageEnd - l, 15) < 0) break;
                c.eip = e;
                Insn in = pool[start + n];
                if (in == null) in = pool[start + n] = new Insn();
                c.decoder.decode(in);
                n++;
                bytes += in.dLen;
                e += in.dLen;
                if (!c.code32) e &= 0xFFFF;
                if (in.dInfo == 0 || (OpTable.flags(in.dInfo) & OpTable.ENDS_BLOCK) != 0) break;
            }
        } catch (CpuFault f) {
            // a later instruction does not decode: the block ends before it
        }
        c.eip = saveEip;
        if (n == 0) return -1;
        poolUsed += n;
        int page = phys >>> 12;
        if (!codePageFlag[page] && c.mem.pageKind(phys) == PhysicalMemory.KIND_RAM) {
            codePageFlag[page] = true;
            c.mem.watchPage(page);
        }
        btPhys[idx] = phys;
        btMode[idx] = (byte) mode;
        btStart[idx] = start;
        btCount[idx] = (byte) n;
        btBytes[idx] = bytes;
        btGen[idx] = pageGen[page];
        blocksBuilt++;
        return idx;
    }
}

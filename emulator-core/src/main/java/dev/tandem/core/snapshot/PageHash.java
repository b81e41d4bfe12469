package dev.tandem.core.snapshot;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * The state hash function ("TH64", see docs/record-replay.md): a 64-bit non-cryptographic hash
 * over bytes, processed as little-endian 64-bit words in four independent lanes (so the JIT can
 * overlap the multiplies), each lane updated as {@code lane = rotl(lane + word * K1, 29) * K2};
 * the lanes, the length and any tail bytes are folded together and finished with the SplitMix64
 * finalizer. Fast (about one word per ns) and sensitive to every bit; not for adversarial input.
 */
public final class PageHash {
    private PageHash() {
    }

    private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    static final long K1 = 0x9E3779B97F4A7C15L;
    static final long K2 = 0xC2B2AE3D27D4EB4FL;
    static final long K3 = 0x165667B19E3779F9L;

    /** Hash of {@code len} bytes of {@code b} from {@code off}. Allocation-free. */
    public static long hash(byte[] b, int off, int len) {
        long a = 0x243F6A8885A308D3L, c = 0x13198A2E03707344L, d = 0xA4093822299F31D0L, e = 0x082EFA98EC4E6C89L;
        int i = off;
        int end32 = off + (len & ~31);
        while (i < end32) {
            a = Long.rotateLeft(a + (long) LONG.get(b, i) * K1, 29) * K2;
            c = Long.rotateLeft(c + (long) LONG.get(b, i + 8) * K1, 29) * K2;
            d = Long.rotateLeft(d + (long) LONG.get(b, i + 16) * K1, 29) * K2;
            e = Long.rotateLeft(e + (long) LONG.get(b, i + 24) * K1, 29) * K2;
            i += 32;
        }
        long h = Long.rotateLeft(a, 1) + Long.rotateLeft(c, 7) + Long.rotateLeft(d, 12) + Long.rotateLeft(e, 18);
        h += len * K3;
        int end = off + len;
        while (i + 8 <= end) {
            h = Long.rotateLeft(h ^ ((long) LONG.get(b, i) * K1), 27) * K2 + K3;
            i += 8;
        }
        while (i < end) {
            h = Long.rotateLeft(h ^ ((b[i] & 0xFFL) * K3), 11) * K1;
            i++;
        }
        return finish(h);
    }

    public static long hash(byte[] b) {
        return hash(b, 0, b.length);
    }

    /** Hash of a sequence of 64-bit values (component hashes, page hash lists). */
    public static long hashLongs(long[] v, int n) {
        long h = 0x452821E638D01377L + n * K3;
        for (int i = 0; i < n; i++) h = Long.rotateLeft(h ^ (v[i] * K1), 27) * K2 + K3;
        return finish(h);
    }

    /** SplitMix64 finalizer. */
    static long finish(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}

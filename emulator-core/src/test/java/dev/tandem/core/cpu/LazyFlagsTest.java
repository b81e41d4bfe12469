package dev.tandem.core.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tandem.core.io.IoBus;
import dev.tandem.core.mem.PhysicalMemory;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The condition-code shortcuts taken straight from the operands of CMP/SUB and logic operations
 * must agree with the conditions evaluated from fully materialized EFLAGS (which the
 * differential and conformance tests check against hardware).
 */
class LazyFlagsTest {
    private static final int[] EDGES = {0, 1, -1, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF, 0x7FFFFFFF, 0x80000000, 2, -2};

    @Test
    void shortcutsAgreeWithMaterializedFlags() {
        Cpu c = new Cpu(new PhysicalMemory(1 << 20), new IoBus());
        SplittableRandom rnd = new SplittableRandom(42);
        int checked = 0;
        for (int i = 0; i < 200_000; i++) {
            int a = i % 3 == 0 ? EDGES[rnd.nextInt(EDGES.length)] : rnd.nextInt();
            int b = i % 5 == 0 ? EDGES[rnd.nextInt(EDGES.length)] : (i % 7 == 0 ? a : rnd.nextInt());
            int sz = rnd.nextInt(3);
            int op = switch (rnd.nextInt(5)) {
                case 0 -> 7; // CMP
                case 1 -> 5; // SUB
                case 2 -> 4; // AND/TEST
                case 3 -> 1; // OR
                default -> 6; // XOR
            };
            for (int cc = 0; cc < 16; cc++) {
                LazyFlags.alu(c, op, a, b, sz);
                boolean fast = LazyFlags.cond(c, cc);
                LazyFlags.materialize(c);
                boolean slow = LazyFlags.cond(c, cc);
                assertEquals(slow, fast, String.format("op %d size %d a=%08x b=%08x cc=%d", op, sz, a, b, cc));
                checked++;
            }
        }
        assertEquals(3_200_000, checked);
    }
}

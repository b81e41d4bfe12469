package dev.tandem.core.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.core.io.IoBus;
import dev.tandem.core.mem.PhysicalMemory;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The condition-code shortcuts taken straight from the operands of CMP/SUB and logic operations
 * must agree with the conditions evaluated from fully materialized EFLAGS (which the
 * differential and conformance tests check against hardware), for CMP, SUB, AND, OR and XOR at
 * every operand size; every condition is checked both taken and not taken wherever the operation
 * allows it.
 */
class LazyFlagsTest {
    private static final int[] EDGES = {0, 1, -1, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF, 0x7FFFFFFF, 0x80000000, 2, -2};

    @Test
    void shortcutsAgreeWithMaterializedFlags() {
        Cpu c = new Cpu(new PhysicalMemory(1 << 20), new IoBus());
        SplittableRandom rnd = new SplittableRandom(42);
        // [op][size][cc][outcome]: every condition must have been checked both taken and not taken
        boolean[][][][] seen = new boolean[8][3][16][2];
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
                seen[op][sz][cc][fast ? 1 : 0] = true;
            }
        }
        // CMP and SUB can make every condition true and false; the logic operations clear OF and CF,
        // so O and B are never taken and NO and AE always are
        StringBuilder missing = new StringBuilder();
        for (int op : new int[] {7, 5, 4, 1, 6}) {
            boolean logic = op == 4 || op == 1 || op == 6;
            for (int sz = 0; sz < 3; sz++) {
                for (int cc = 0; cc < 16; cc++) {
                    for (int outcome = 0; outcome < 2; outcome++) {
                        boolean possible = !logic || !(cc == 0 || cc == 2) || outcome == 0;
                        possible &= !logic || !(cc == 1 || cc == 3) || outcome == 1;
                        if (possible != seen[op][sz][cc][outcome]) {
                            missing.append(String.format("op %d size %d cc %d %s: %s; ", op, sz, cc, outcome == 1 ? "taken" : "not taken",
                                    possible ? "never generated" : "generated but impossible"));
                        }
                    }
                }
            }
        }
        assertTrue(missing.isEmpty(), "condition outcomes: " + missing);
    }
}

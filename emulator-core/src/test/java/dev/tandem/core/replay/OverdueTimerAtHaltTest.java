package dev.tandem.core.replay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.core.asm.Assembler;
import dev.tandem.core.machine.Machine;
import dev.tandem.core.machine.MachineConfig;
import dev.tandem.core.machine.TimingMode;
import dev.tandem.core.snapshot.StateHasher;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Host-clock time: a guest arms a timer in the middle of a slice, runs past its deadline and halts.
 * The timer fires at the next slice boundary (timers fire only at boundaries) and wakes the guest
 * without any input, so the recording logs nothing at that count; the replay must accept that
 * halt instead of calling it a divergence. (Seen first with Linux and a network card, whose
 * recorder catches guest time up only while halted and never past the next timer.)
 */
class OverdueTimerAtHaltTest {
    static final int ROUNDS = 20;

    /** Real mode: IRQ0 handler, 8259 init, then ROUNDS x (PIT one-shot of ~84k ticks, spin ~100k instructions, sti; hlt). */
    static byte[] rom() {
        String src = """
                bits 16
                org 0
                start:
                    cli
                    xor ax, ax
                    mov ds, ax
                    mov ss, ax
                    mov sp, 0x7000
                    mov word [0x20], handler
                    mov word [0x22], 0xF000
                    mov al, 0x11
                    out 0x20, al
                    mov al, 0x08
                    out 0x21, al
                    mov al, 0x04
                    out 0x21, al
                    mov al, 0x01
                    out 0x21, al
                    mov al, 0xFE
                    out 0x21, al
                    mov cx, %d
                round:
                    mov al, 0x30
                    out 0x43, al
                    mov al, 0xE8
                    out 0x40, al
                    mov al, 0x03
                    out 0x40, al
                    mov bx, 50000
                spin:
                    dec bx
                    jnz spin
                    sti
                    hlt
                    cli
                    dec cx
                    jnz round
                    mov al, 'D'
                    out 0xE9, al
                    cli
                    hlt
                handler:
                    push ax
                    mov al, 'T'
                    out 0xE9, al
                    mov al, 0x20
                    out 0x20, al
                    pop ax
                    iret
                    times 0xFFF0 - ($ - $$) db 0xFF
                    jmp 0xF000:start
                    times 0x10000 - ($ - $$) db 0xFF
                """.formatted(ROUNDS);
        return Assembler.assemble(src);
    }

    @Test
    void aTimerDueBeforeTheHaltWakesTheReplayToo(@TempDir Path tmp) throws Exception {
        Path romFile = tmp.resolve("overdue.rom");
        Files.write(romFile, rom());
        Map<String, String> spec = Map.of("rom", romFile.toString());
        ByteArrayOutputStream bo = new ByteArrayOutputStream();
        LogWriter w = new LogWriter(bo);
        Recorder rec = new Recorder(HostWorld.system(() -> -1), w, 200_000);
        rec.setCatchUpWhenHaltedOnly(true);
        Machine m = new Machine(MachineConfig.defaults(16 << 20), rec);
        m.setTimingMode(TimingMode.HOST_CLOCK);
        StringBuilder out = new StringBuilder();
        Harness.wireOutput(m, out);
        GuestSpec.load(m, spec);
        w.writeHeader(rec.header(m, spec));
        Machine.Exit exit = m.run(Long.MAX_VALUE);
        rec.finish(m, exit);
        w.close();
        assertEquals(Machine.Exit.HALTED, exit);
        assertEquals("T".repeat(ROUNDS) + "D", out.toString());

        Harness.Run rep = Harness.replay(bo.toByteArray(), Long.MAX_VALUE);
        assertNull(rep.divergence(), rep.divergence());
        assertEquals(out.toString(), rep.output());
        assertEquals(m.cpu().icount, rep.icount());
        assertEquals(StateHasher.digest(m).total(), rep.digest().total());
        assertTrue(rep.checkpoints() >= 5, "checkpoints " + rep.checkpoints());
    }
}

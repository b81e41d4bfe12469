package dev.tandem.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.core.asm.Assembler;
import dev.tandem.core.pmtests.PmPrograms;
import dev.tandem.core.testkit.ConsoleCapture;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tandem run --rom}: firmware images that leave real mode. The pmtests program paging.asm
 * ({@link PmPrograms}, from the emulator-core test-jar; switches to protected mode, enables paging, exercises 4 KiB/4 MiB
 * pages, WP, U/S, R/W, INVLPG and global pages, printing each result on the debug port) must run
 * to its end through the CLI with exactly the output stored in paging.expected (captured from
 * QEMU). A second ROM written here reports its progress as POST codes on port 0x80.
 */
class RunRomTest {
    @Test
    void pagingProgramRunsToItsEndWithTheStoredOutput(@TempDir Path tmp) throws Exception {
        Path file = tmp.resolve("paging.rom");
        Files.write(file, PmPrograms.rom("paging"));
        String expected = PmPrograms.expected("paging");
        assertTrue(expected.contains("CR0 with paging=e0000011"), "paging.expected is not the paging program's output");

        ConsoleCapture.Captured r = Cli.run(StandardCharsets.ISO_8859_1, "run", "--rom", file.toString(), "--post-port", "0x80",
                "--serial", "none", "--max-instructions", "50000000");
        assertEquals(expected, r.out(), "debug-port output of paging.asm through `tandem run --rom`");
        assertTrue(r.err().contains("guest halted"), "the program ends with HLT: " + r.err());
        assertEquals(0, r.exit());
    }

    /**
     * A ROM that enters protected mode, turns paging on, writes through a remapped page and
     * reports each step as a POST code (0x01 real mode, 0x02 protected mode, 0x03 paging on,
     * 0x04 remapped write read back, 0xAA done); it prints "ok" on the debug port at the end.
     */
    private static final String POST_ROM = """
            bits 16
            org 0
    start16:
            cli
            mov al, 0x01
            out 0x80, al
            xor ax, ax
            mov ds, ax
            ; GDT at 0x600: null, flat code 0x08, flat data 0x10
            mov dword [0x600], 0
            mov dword [0x604], 0
            mov dword [0x608], 0x0000FFFF
            mov dword [0x60C], 0x00CF9A00
            mov dword [0x610], 0x0000FFFF
            mov dword [0x614], 0x00CF9200
            mov word [0x620], 23
            mov dword [0x622], 0x600
            o32 lgdt [0x620]
            mov eax, cr0
            or eax, 1
            mov cr0, eax
            jmp dword 0x08:(0xF0000 + pm32)
            bits 32
    pm32:
            mov ax, 0x10
            mov ds, ax
            mov es, ax
            mov ss, ax
            mov esp, 0x8000
            mov al, 0x02
            out 0x80, al
            ; page directory at 0x10000, one page table at 0x11000: identity map of 4 MiB,
            ; except linear 0x200000 -> physical 0x300000
            mov edi, 0x11000
            mov eax, 3
            mov ecx, 1024
    fill:
            stosd
            add eax, 0x1000
            loop fill
            mov dword [0x11000 + 0x200 * 4], 0x300003
            mov edi, 0x10000
            xor eax, eax
            mov ecx, 1024
            rep stosd
            mov dword [0x10000], 0x11003
            mov eax, 0x10000
            mov cr3, eax
            mov eax, cr0
            or eax, 0x80000000
            mov cr0, eax
            mov al, 0x03
            out 0x80, al
            mov dword [0x200000], 0x12345678
            mov eax, cr0
            and eax, 0x7FFFFFFF
            mov cr0, eax
            cmp dword [0x300000], 0x12345678
            jne fail
            mov al, 0x04
            out 0x80, al
            mov al, 'o'
            out 0xE9, al
            mov al, 'k'
            out 0xE9, al
            mov al, 10
            out 0xE9, al
            mov al, 0xAA
            out 0x80, al
            hlt
    fail:
            mov al, 0xEE
            out 0x80, al
            hlt
            times 0xFFF0 - ($ - $$) db 0
            bits 16
            jmp 0xF000:start16
            times 0x10000 - ($ - $$) db 0
    """;

    @Test
    void romReportsProgressAsPostCodes(@TempDir Path tmp) throws Exception {
        byte[] rom = Assembler.assemble(POST_ROM, "post.asm").image();
        assertEquals(0x10000, rom.length);
        Path file = tmp.resolve("post.rom");
        Files.write(file, rom);
        ConsoleCapture.Captured r = Cli.run(StandardCharsets.ISO_8859_1, "run", "--rom", file.toString(), "--post-port", "0x80",
                "--serial", "none", "--max-instructions", "1000000");
        assertEquals("ok\n", r.out());
        String posts = r.err().lines().filter(l -> l.startsWith("[POST ")).reduce("", (a, b) -> a + b + "\n");
        assertEquals("[POST 01]\n[POST 02]\n[POST 03]\n[POST 04]\n[POST AA]\n", posts);
        assertTrue(r.err().contains("guest halted"), r.err());
        assertEquals(0, r.exit());
    }
}

package dev.tandem.core.asm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HexFormat;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/**
 * Encodings checked by hand against the opcode tables and ModRM/SIB tables of the Intel SDM
 * (Vol. 2, chapter 2 and the instruction reference); no nasm needed.
 */
class AssemblerTest {

    private static String hex(String bits, String insn) {
        byte[] b = Assembler.assemble("bits " + bits + "\n" + insn + "\n");
        return HexFormat.of().withUpperCase().formatHex(b);
    }

    @ParameterizedTest(name = "bits {0}: {1} -> {2}")
    @CsvSource(delimiter = '|', value = {
        // MOV r/m32, r32 = 89 /r; ModRM mod=11 reg=ebx(011) rm=eax(000)
        "32|mov eax, ebx|89D8",
        // ADD r/m32, imm8 (sign-extended) = 83 /0 ib
        "32|add eax, 1|83C001",
        // ADD EAX, imm32 = 05 id when the value does not fit in a signed byte
        "32|add eax, 0x1000|0500100000",
        // ModRM 01 000 100 + SIB ss=10 index=esi(110) base=ebx(011) + disp8
        "32|mov eax, [ebx+esi*4+8]|8B44B308",
        // [esp] needs a SIB byte with index=100 (none)
        "32|mov eax, [esp]|8B0424",
        // [ebp] has no mod=00 form: mod=01 with disp8 0
        "32|mov eax, [ebp]|8B4500",
        // MOV EAX, moffs32 = A1
        "32|mov eax, [0x1000]|A100100000",
        // index without base: mod=00 rm=100, SIB base=101 + disp32
        "32|mov eax, [ecx*4+0x10]|8B048D10000000",
        "32|push 0x12345678|6878563412",
        "32|push 5|6A05",
        "32|push ds|1E",
        "32|pop fs|0FA1",
        "32|int 0x80|CD80",
        "32|int3|CC",
        // LGDT m = 0F 01 /2
        "32|lgdt [eax]|0F0110",
        // MOV CR0, r32 = 0F 22 /r
        "32|mov cr0, eax|0F22C0",
        "32|mov eax, cr3|0F20D8",
        // JMP ptr16:32 = EA cd iw
        "32|jmp 0x08:0x1000|EA001000000800",
        "16|jmp 0xf000:0xfff0|EAF0FF00F0",
        // 16-bit addressing: rm=000 is [bx+si]; rm=110 mod=00 is disp16 so [bp] is mod=01 disp8 0
        "16|mov ax, [bx+si]|8B00",
        "16|mov ax, [bp]|8B4600",
        "16|mov ax, [bp+di+0x100]|8B830001",
        // operand-size and address-size prefixes in 16-bit code
        "16|mov eax, ebx|6689D8",
        "16|mov ax, [ebx]|678B03",
        "16|mov eax, [es:di]|26668B05",
        "32|rep movsd|F3A5",
        "16|rep movsd|F366A5",
        "32|repne scasb|F2AE",
        "32|lock add [eax], ebx|F00118",
        "32|cpuid|0FA2",
        "32|rdtsc|0F31",
        // shift group C0/C1 /4 ib, D1 /4 for count 1, D3 /7 for SAR by CL
        "32|shl eax, 1|D1E0",
        "32|shl eax, 4|C1E004",
        "32|sar ecx, cl|D3F9",
        // IMUL r32, r/m32, imm8 = 6B /r ib
        "32|imul eax, ebx, 10|6BC30A",
        "32|imul eax, ebx|0FAFC3",
        // MOVZX r32, r/m8 = 0F B6 /r
        "32|movzx eax, byte [esi]|0FB606",
        "32|movsx eax, word [esi]|0FBF06",
        "32|bswap ecx|0FC9",
        // CMPXCHG8B m64 = 0F C7 /1
        "32|cmpxchg8b [edi]|0FC70F",
        "32|xadd [ebx], eax|0FC103",
        "32|bt eax, 5|0FBAE005",
        "32|bts [ebx], ecx|0FAB0B",
        "32|setz al|0F94C0",
        "32|cmovne eax, ecx|0F45C1",
        "32|jmp short $|EBFE",
        "32|jz near $|0F84FAFFFFFF",
        "16|jz near $|0F84FCFF",
        "32|call $|E8FBFFFFFF",
        "32|jmp eax|FFE0",
        "32|call [ebx]|FF13",
        "16|loop $|E2FE",
        "16|jecxz $|67E3FD",
        "32|in al, dx|EC",
        "32|out 0xe9, al|E6E9",
        "16|out dx, eax|66EF",
        "32|enter 16, 0|C8100000",
        "32|ret 8|C20800",
        "32|retf|CB",
        "16|iretd|66CF",
        "32|cwde|98",
        "16|cdq|6699",
        "32|pushad|60",
        "16|pushfd|669C",
        "32|xchg eax, ecx|91",
        "32|xchg [ebx], cl|860B",
        "32|lea esi, [eax+eax*2]|8D3440",
        "32|test al, 0x20|A820",
        "32|test dword [ebx], 1|F70301000000",
        "32|neg dword [eax]|F718",
        "32|inc ecx|41",
        "32|dec byte [eax]|FE08",
        "32|shld eax, ebx, 3|0FA4D803",
        "32|aam|D40A",
        "32|xlatb|D7",
        "16|mov ds, ax|8ED8",
        "32|mov [ebx], es|8C03",
        "16|smsw ax|0F01E0",
        "16|lmsw ax|0F01F0",
    })
    void sdmEncodings(String bits, String insn, String expected) {
        assertEquals(expected, hex(bits, insn));
    }

    @Test
    void labelsDirectivesAndExpressions() {
        String src = """
                org 0x7c00
                bits 16
                N equ 3
                start:
                    jmp .skip          ; short forward jump over the data
                .data: db 'AB', N*2, (1 << 4) | 1
                .skip:
                    mov ax, .data - start
                    dw $ - $$, start
                    times 2 db 0x90
                    align 4, db 0xCC
                    dd 'wxyz'
                """;
        Assembler.Result r = Assembler.assemble(src, "t.asm");
        byte[] expected = {
            (byte) 0xEB, 4, 'A', 'B', 6, 0x11,                 // jmp .skip (+4), data
            (byte) 0xB8, 2, 0,                                 // mov ax, 2
            9, 0, 0x00, 0x7C,                                  // dw 9, 0x7c00
            (byte) 0x90, (byte) 0x90,                          // times 2 nop
            (byte) 0xCC,                                       // align 4 (15 -> 16)
            'w', 'x', 'y', 'z'};
        assertArrayEquals(expected, r.image());
        assertEquals(0x7c00, r.symbol("start"));
        assertEquals(0x7c06, r.symbol("start.skip"));
        assertEquals(3, r.symbol("N"));
    }

    @Test
    void forwardJumpGrowsToNearWhenTargetIsFar() {
        byte[] shortForm = Assembler.assemble("bits 32\njmp t\ntimes 127 nop\nt:\n");
        assertEquals(0xEB, shortForm[0] & 0xFF);
        assertEquals(127, shortForm[1]);
        byte[] nearForm = Assembler.assemble("bits 32\njmp t\ntimes 128 nop\nt:\n");
        assertEquals(0xE9, nearForm[0] & 0xFF);
        assertEquals(128, nearForm[1] & 0xFF);
        assertEquals(5 + 128, nearForm.length);
        byte[] jcc16 = Assembler.assemble("bits 16\njnz t\ntimes 200 nop\nt:\n");
        assertEquals("0F85C800", HexFormat.of().withUpperCase().formatHex(jcc16, 0, 4));
    }

    @Test
    void romPaddingLayout() {
        byte[] img = Assembler.assemble("bits 16\nstart: cli\ntimes 0xFFF0-($-$$) db 0xFF\njmp 0xF000:start\n"
                + "times 0x10000-($-$$) db 0\n");
        assertEquals(0x10000, img.length);
        assertEquals(0xFA, img[0] & 0xFF);
        assertEquals(0xEA, img[0xFFF0] & 0xFF);
        assertEquals(0xF0, img[0xFFF4] & 0xFF);
    }

    private static AsmException fail(String src) {
        return assertThrows(AsmException.class, () -> Assembler.assemble(src, "bad.asm"));
    }

    @Test
    void errorsCarryLineNumbers() {
        AsmException e = fail("bits 32\nnop\nfrobnicate eax\n");
        assertEquals(3, e.line());
        assertTrue(e.getMessage().contains("frobnicate"), e.getMessage());
        assertTrue(e.getMessage().startsWith("bad.asm:3:"), e.getMessage());

        e = fail("bits 32\njmp nowhere\n");
        assertEquals(2, e.line());
        assertTrue(e.getMessage().contains("undefined symbol 'nowhere'"), e.getMessage());

        e = fail("bits 32\n\nmov [eax], 5\n");
        assertEquals(3, e.line());
        assertTrue(e.getMessage().contains("operation size not specified"), e.getMessage());

        e = fail("bits 32\nmov al, bx\n");
        assertTrue(e.getMessage().contains("size mismatch"), e.getMessage());

        e = fail("bits 32\njmp short t\ntimes 200 nop\nt:\n");
        assertEquals(2, e.line());
        assertTrue(e.getMessage().contains("out of range"), e.getMessage());

        e = fail("bits 16\ntimes 20 nop\ntimes 16-($-$$) db 0\n");
        assertEquals(3, e.line());
        assertTrue(e.getMessage().contains("negative"), e.getMessage());

        e = fail("a:\nnop\na:\n");
        assertEquals(3, e.line());
        assertTrue(e.getMessage().contains("redefined"), e.getMessage());

        e = fail("bits 32\nmov eax, [eax+ebx+ecx]\n");
        assertTrue(e.getMessage().contains("too many registers"), e.getMessage());

        e = fail("bits 32\nmov eax, [esp*2]\n");
        assertTrue(e.getMessage().contains("esp"), e.getMessage());

        e = fail("bits 32\nadd eax\n");
        assertTrue(e.getMessage().contains("expected 2 operands"), e.getMessage());

        e = fail("bits 32\ndb \"abc\n");
        assertTrue(e.getMessage().contains("unterminated"), e.getMessage());

        e = fail("bits 64\n");
        assertTrue(e.getMessage().contains("bits"), e.getMessage());

        e = fail(".x: nop\n");
        assertTrue(e.getMessage().contains("no preceding non-local label"), e.getMessage());
    }
}

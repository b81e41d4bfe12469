package dev.tandem.core.asm;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Generates assembler test sources that exercise every supported mnemonic with many operand
 * forms, in both 16- and 32-bit mode. The same text is fed to our assembler and to nasm.
 */
final class CorpusGenerator {
    private CorpusGenerator() {}

    static final List<String> R8 = List.of("al", "cl", "dl", "bl", "ah", "ch", "dh", "bh");
    static final List<String> R16 = List.of("ax", "cx", "dx", "bx", "sp", "bp", "si", "di");
    static final List<String> R32 = List.of("eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi");
    static final List<String> SREGS = List.of("es", "cs", "ss", "ds", "fs", "gs");

    /** Memory operands valid in either mode (16- and 32-bit address forms). */
    static final List<String> MEM_ALL = List.of(
            "[bx]", "[bp]", "[si]", "[di]", "[bx+si]", "[bx+di]", "[bp+si]", "[bp+di]", "[si+bx+4]",
            "[bp+di-4]", "[bx+0x1234]", "[0x1234]", "[bp+127]", "[di-128]", "[si+128]", "[es:bx]",
            "[ss:bp+2]", "[cs:0x10]", "[bp+0]", "[bx-0x8000]", "[bx+di+0x7fff]",
            "[eax]", "[ebp]", "[esp]", "[ebx+4]", "[esp+8]", "[ebp-4]", "[eax+ebx]", "[eax+ecx*4]",
            "[ecx*8+0x100]", "[esi*2]", "[edx+edi*2-0x80]", "[0x12345678]", "[fs:eax+1]",
            "[ebp+esi*8+0x1000]", "[esp+eax*2]", "[ebx*4]", "[eax*1]", "[ecx+ebp]", "[ebp+ecx]",
            "[esi+0x7f]", "[edi-0x81]", "[gs:0x10]", "[es:ebx+edx*1+3]", "[eax*3]", "[ecx*5+2]",
            "[eax+esp]", "[ds:esi+4*edx]", "[esp+0]", "[ebp+0x12345678]", "[ebx+K8]", "[ebx+K200]",
            "[bx+K8]", "[K200]");
    static final List<String> MEM_FEW = List.of("[bx+si+2]", "[bp]", "[0x1234]", "[ebx]",
            "[esp+eax*4+0x200]", "[es:edi-3]", "[ebp+K8]");

    static final List<String> IMM8 = List.of("0", "1", "0x7f", "0x80", "0xff", "-1", "-128", "K8", "'A'");
    static final List<String> IMM16 = List.of("0", "1", "-1", "0x7f", "0x80", "-0x80", "-0x81", "0xff80",
            "0xff7f", "0x1234", "0xffff", "0x8000", "K8", "K200", "K8*3-1", "(1<<7)-1");
    static final List<String> IMM32 = List.of("0", "1", "-1", "0x7f", "0x80", "-0x80", "-0x81", "0xffffff80",
            "0x12345678", "0xffffffff", "0x80000000", "0xff80", "K8", "K200", "~0x7f", "K200 >> 1");

    static final String FOOTER = "\nK8 equ 8\nK200 equ 200\n";

    static Map<String, String> generate() {
        Map<String, String> out = new LinkedHashMap<>();
        for (int bits : new int[] {16, 32}) {
            out.put("alu" + bits, alu(bits));
            out.put("mov" + bits, mov(bits));
            out.put("unary" + bits, unaryAndShifts(bits));
            out.put("misc" + bits, misc(bits));
            out.put("system" + bits, system(bits));
        }
        return out;
    }

    private static StringBuilder head(int bits) {
        return new StringBuilder("bits " + bits + "\n");
    }

    private static String fin(StringBuilder sb) {
        return sb.append(FOOTER).toString();
    }

    private static void l(StringBuilder sb, String s) {
        sb.append(s).append('\n');
    }

    private static String alu(int bits) {
        StringBuilder sb = head(bits);
        List<String> ops = List.of("add", "or", "adc", "sbb", "and", "sub", "xor", "cmp", "test");
        for (String op : ops) {
            boolean full = op.equals("add") || op.equals("test");
            for (int i = 0; i < 8; i += 3) {
                for (int j = 0; j < 8; j += 2) {
                    l(sb, op + " " + R8.get(i) + ", " + R8.get(j));
                    l(sb, op + " " + R16.get(i) + ", " + R16.get(j));
                    l(sb, op + " " + R32.get(i) + ", " + R32.get(j));
                }
            }
            for (String m : full ? MEM_ALL : MEM_FEW) {
                l(sb, op + " " + m + ", cl");
                l(sb, op + " " + m + ", dx");
                l(sb, op + " " + m + ", esi");
                l(sb, op + " bh, " + m);
                l(sb, op + " bp, " + m);
                l(sb, op + " eax, " + m);
                l(sb, op + " byte " + m + ", 5");
                l(sb, op + " word " + m + ", 0x1234");
                l(sb, op + " dword " + m + ", -2");
            }
            for (String v : IMM8) {
                l(sb, op + " al, " + v);
                l(sb, op + " dh, " + v);
                l(sb, op + " byte [bx], " + v);
            }
            for (String v : IMM16) {
                l(sb, op + " ax, " + v);
                l(sb, op + " si, " + v);
                l(sb, op + " word [ebx+2], " + v);
            }
            for (String v : IMM32) {
                l(sb, op + " eax, " + v);
                l(sb, op + " ebp, " + v);
                l(sb, op + " dword [di], " + v);
            }
            if (!op.equals("test")) {
                l(sb, op + " eax, byte 3");
                l(sb, op + " ax, strict word 3");
                l(sb, op + " ecx, strict dword 3");
                l(sb, op + " word [bx], byte -3");
                l(sb, op + " [bx], word 7");
                l(sb, op + " [ebx], dword 0x1000");
            }
            l(sb, "lock " + op + " [ebx], eax");
        }
        return fin(sb);
    }

    private static String mov(int bits) {
        StringBuilder sb = head(bits);
        for (int i = 0; i < 8; i++) {
            for (int j = 0; j < 8; j += 3) {
                l(sb, "mov " + R8.get(i) + ", " + R8.get(j));
                l(sb, "mov " + R16.get(i) + ", " + R16.get(j));
                l(sb, "mov " + R32.get(i) + ", " + R32.get(j));
            }
            l(sb, "mov " + R8.get(i) + ", 0x12");
            l(sb, "mov " + R16.get(i) + ", 0x1234");
            l(sb, "mov " + R32.get(i) + ", 0x12345678");
            l(sb, "mov " + R32.get(i) + ", -1");
            l(sb, "mov " + R16.get(i) + ", K200");
        }
        for (String m : MEM_ALL) {
            l(sb, "mov " + m + ", al");
            l(sb, "mov " + m + ", bl");
            l(sb, "mov " + m + ", ax");
            l(sb, "mov " + m + ", di");
            l(sb, "mov " + m + ", eax");
            l(sb, "mov " + m + ", ecx");
            l(sb, "mov al, " + m);
            l(sb, "mov ch, " + m);
            l(sb, "mov ax, " + m);
            l(sb, "mov sp, " + m);
            l(sb, "mov eax, " + m);
            l(sb, "mov edx, " + m);
            l(sb, "mov byte " + m + ", 0x80");
            l(sb, "mov word " + m + ", 0x8000");
            l(sb, "mov dword " + m + ", 0x80000000");
            l(sb, "mov " + m + ", ds");
            l(sb, "mov es, " + m);
            l(sb, "mov word " + m + ", ss");
        }
        for (String s : SREGS) {
            l(sb, "mov ax, " + s);
            l(sb, "mov eax, " + s);
            l(sb, "mov bx, " + s);
            l(sb, "mov edi, " + s);
            if (!s.equals("cs")) {
                l(sb, "mov " + s + ", ax");
                l(sb, "mov " + s + ", ebx");
                l(sb, "mov " + s + ", word [bx]");
            }
        }
        for (String c : List.of("cr0", "cr2", "cr3", "cr4")) {
            l(sb, "mov " + c + ", eax");
            l(sb, "mov " + c + ", esi");
            l(sb, "mov edx, " + c);
            l(sb, "mov eax, " + c);
        }
        for (int d : new int[] {0, 1, 2, 3, 6, 7}) {
            l(sb, "mov dr" + d + ", ecx");
            l(sb, "mov ebx, dr" + d);
        }
        for (String m : List.of("[es:0x1234]", "[fs:0x10]", "[0]", "[0xffff]")) {
            l(sb, "mov al, " + m);
            l(sb, "mov " + m + ", eax");
            l(sb, "mov ax, " + m);
        }
        l(sb, "a32 mov al, [0x10]");
        l(sb, "a16 mov eax, [0x10]");
        return fin(sb);
    }

    private static String unaryAndShifts(int bits) {
        StringBuilder sb = head(bits);
        for (String op : List.of("inc", "dec", "not", "neg", "mul", "imul", "div", "idiv")) {
            for (int i = 0; i < 8; i++) {
                l(sb, op + " " + R8.get(i));
                l(sb, op + " " + R16.get(i));
                l(sb, op + " " + R32.get(i));
            }
            for (String m : MEM_FEW) {
                l(sb, op + " byte " + m);
                l(sb, op + " word " + m);
                l(sb, op + " dword " + m);
            }
        }
        for (int i = 0; i < 8; i += 3) {
            for (int j = 0; j < 8; j += 2) {
                l(sb, "imul " + R16.get(i) + ", " + R16.get(j));
                l(sb, "imul " + R32.get(i) + ", " + R32.get(j));
                for (String v : List.of("3", "-128", "127", "128", "0x1234", "-1000", "K8")) {
                    l(sb, "imul " + R16.get(i) + ", " + R16.get(j) + ", " + v);
                    l(sb, "imul " + R32.get(i) + ", " + R32.get(j) + ", " + v);
                }
            }
            l(sb, "imul " + R32.get(i) + ", 100");
            l(sb, "imul " + R32.get(i) + ", 1000");
            l(sb, "imul " + R16.get(i) + ", 5");
        }
        for (String m : MEM_FEW) {
            l(sb, "imul ax, " + m);
            l(sb, "imul ecx, " + m);
            l(sb, "imul edi, " + m + ", 9");
            l(sb, "imul si, " + m + ", 300");
        }
        for (String op : List.of("rol", "ror", "rcl", "rcr", "shl", "shr", "sal", "sar")) {
            for (String r : List.of("al", "bh", "cx", "sp", "eax", "edi")) {
                l(sb, op + " " + r + ", 1");
                l(sb, op + " " + r + ", cl");
                l(sb, op + " " + r + ", 4");
                l(sb, op + " " + r + ", 31");
                l(sb, op + " " + r + ", K8");
            }
            for (String m : MEM_FEW) {
                l(sb, op + " byte " + m + ", 1");
                l(sb, op + " word " + m + ", cl");
                l(sb, op + " dword " + m + ", 7");
            }
        }
        for (String op : List.of("shld", "shrd")) {
            l(sb, op + " ax, bx, 4");
            l(sb, op + " eax, ebx, 31");
            l(sb, op + " cx, dx, cl");
            l(sb, op + " esi, edi, cl");
            for (String m : MEM_FEW) {
                l(sb, op + " " + m + ", ax, 2");
                l(sb, op + " " + m + ", ebp, cl");
            }
        }
        return fin(sb);
    }

    private static String misc(int bits) {
        StringBuilder sb = head(bits);
        for (int i = 0; i < 8; i++) {
            l(sb, "push " + R16.get(i));
            l(sb, "push " + R32.get(i));
            l(sb, "pop " + R16.get(i));
            l(sb, "pop " + R32.get(i));
            l(sb, "bswap " + R32.get(i));
            for (int j = 0; j < 8; j += 3) {
                l(sb, "xchg " + R8.get(i) + ", " + R8.get(j));
                l(sb, "xchg " + R16.get(i) + ", " + R16.get(j));
                l(sb, "xchg " + R32.get(i) + ", " + R32.get(j));
            }
        }
        for (String s : SREGS) {
            l(sb, "push " + s);
            if (!s.equals("cs")) l(sb, "pop " + s);
        }
        for (String m : MEM_FEW) {
            l(sb, "push word " + m);
            l(sb, "push dword " + m);
            l(sb, "pop word " + m);
            l(sb, "pop dword " + m);
            l(sb, "xchg " + m + ", al");
            l(sb, "xchg bx, " + m);
            l(sb, "xchg " + m + ", esi");
            l(sb, "lea ax, " + m);
            l(sb, "lea edi, " + m);
            l(sb, "lds si, " + m);
            l(sb, "les ebx, " + m);
            l(sb, "lss sp, " + m);
            l(sb, "lfs eax, " + m);
            l(sb, "lgs dx, " + m);
            l(sb, "movzx ax, byte " + m);
            l(sb, "movzx eax, byte " + m);
            l(sb, "movzx ecx, word " + m);
            l(sb, "movsx dx, byte " + m);
            l(sb, "movsx ebp, byte " + m);
            l(sb, "movsx esi, word " + m);
            l(sb, "cmpxchg8b " + m);
            l(sb, "xadd " + m + ", cl");
            l(sb, "xadd " + m + ", dx");
            l(sb, "xadd " + m + ", ebx");
            l(sb, "cmpxchg " + m + ", al");
            l(sb, "cmpxchg " + m + ", si");
            l(sb, "lock cmpxchg " + m + ", edi");
            l(sb, "bsf ax, " + m);
            l(sb, "bsr edx, " + m);
            l(sb, "jmp " + m.replace("[", "word ["));
            l(sb, "jmp " + m.replace("[", "dword ["));
            l(sb, "call " + m.replace("[", "word ["));
            l(sb, "call " + m.replace("[", "dword ["));
            l(sb, "jmp far " + m);
            l(sb, "call far " + m);
            l(sb, "jmp far " + m.replace("[", "dword ["));
            l(sb, "call far " + m.replace("[", "word ["));
            for (String bt : List.of("bt", "bts", "btr", "btc")) {
                l(sb, bt + " " + m + ", ax");
                l(sb, bt + " " + m + ", ecx");
                l(sb, bt + " word " + m + ", 3");
                l(sb, bt + " dword " + m + ", 31");
            }
            l(sb, "setnz " + m);
            l(sb, "setg byte " + m);
            l(sb, "cmovl ax, " + m);
            l(sb, "cmovae esi, " + m);
        }
        for (String v : List.of("0", "1", "-1", "127", "128", "-128", "-129", "0x1234", "0x12345678", "K8", "K200")) {
            l(sb, "push " + v);
            l(sb, "push word " + v);
            l(sb, "push dword " + v);
        }
        l(sb, "push byte 5");
        l(sb, "push strict word 5");
        l(sb, "push strict dword 5");
        for (String r : List.of("ax", "si", "eax", "ebp")) {
            l(sb, "jmp " + r);
            l(sb, "call " + r);
        }
        for (String mz : List.of("ax, bl", "ax, bh", "eax, cl", "ecx, dx", "edi, ax", "sp, dl", "esp, si")) {
            l(sb, "movzx " + mz);
            l(sb, "movsx " + mz);
        }
        String[] ccs = {"o", "no", "b", "c", "nae", "ae", "nb", "nc", "e", "z", "ne", "nz", "be", "na", "a",
                "nbe", "s", "ns", "p", "pe", "np", "po", "l", "nge", "ge", "nl", "le", "ng", "g", "nle"};
        for (String cc : ccs) {
            l(sb, "set" + cc + " al");
            l(sb, "set" + cc + " bh");
            l(sb, "cmov" + cc + " ax, bx");
            l(sb, "cmov" + cc + " edi, esp");
        }
        for (String bt : List.of("bt", "bts", "btr", "btc")) {
            l(sb, bt + " ax, bx");
            l(sb, bt + " esi, edi");
            l(sb, bt + " cx, 15");
            l(sb, bt + " edx, 0");
        }
        l(sb, "bsf eax, ebx");
        l(sb, "bsr cx, dx");
        l(sb, "xadd eax, ebx");
        l(sb, "xadd cl, dl");
        l(sb, "cmpxchg ecx, edx");
        l(sb, "cmpxchg bh, al");
        for (String z : List.of("nop", "hlt", "cli", "sti", "cld", "std", "clc", "stc", "cmc", "int3", "into",
                "iret", "iretw", "iretd", "cbw", "cwde", "cwd", "cdq", "pushf", "pushfw", "pushfd", "popf",
                "popfw", "popfd", "pusha", "pushaw", "pushad", "popa", "popaw", "popad", "lahf", "sahf", "leave",
                "daa", "das", "aaa", "aas", "aam", "aad", "xlat", "xlatb", "wait", "fwait", "cpuid", "rdtsc",
                "rdmsr", "wrmsr", "clts", "invd", "wbinvd", "ud2", "ret", "retf", "retn",
                "movsb", "movsw", "movsd", "stosb", "stosw", "stosd", "lodsb", "lodsw", "lodsd", "cmpsb",
                "cmpsw", "cmpsd", "scasb", "scasw", "scasd", "insb", "insw", "insd", "outsb", "outsw", "outsd")) {
            l(sb, z);
        }
        for (String s : List.of("movsb", "movsd", "stosw", "lodsd", "insb", "outsw")) {
            l(sb, "rep " + s);
            l(sb, "a16 rep " + s);
            l(sb, "a32 " + s);
        }
        for (String s : List.of("cmpsb", "cmpsw", "scasd", "scasb")) {
            l(sb, "repe " + s);
            l(sb, "repz " + s);
            l(sb, "repne " + s);
            l(sb, "repnz " + s);
        }
        l(sb, "es movsb");
        l(sb, "fs lodsd");
        l(sb, "o16 movsd");
        l(sb, "o32 stosw");
        l(sb, "ret 4");
        l(sb, "ret 0x1234");
        l(sb, "retf 8");
        l(sb, "retn 2");
        l(sb, "int 3");
        l(sb, "int 0x10");
        l(sb, "int 0xff");
        l(sb, "aam 16");
        l(sb, "aad 7");
        l(sb, "enter 0, 0");
        l(sb, "enter 0x1234, 3");
        l(sb, "enter K200, 1");
        l(sb, "in al, 0x60");
        l(sb, "in ax, 0x60");
        l(sb, "in eax, 0xcf");
        l(sb, "in al, dx");
        l(sb, "in ax, dx");
        l(sb, "in eax, dx");
        l(sb, "out 0xe9, al");
        l(sb, "out 0x80, ax");
        l(sb, "out 0x21, eax");
        l(sb, "out dx, al");
        l(sb, "out dx, ax");
        l(sb, "out dx, eax");
        l(sb, "jmp 0xf000:0xfff0");
        l(sb, "jmp 0x08:0x12345678");
        l(sb, "jmp word 0x10:0x100");
        l(sb, "jmp dword 0x10:0x100");
        l(sb, "call 0x1234:0x5678");
        l(sb, "call dword 0x1234:0x5678");
        l(sb, "jmp K8:K200");
        return fin(sb);
    }

    private static String system(int bits) {
        StringBuilder sb = head(bits);
        for (String m : MEM_FEW) {
            for (String op : List.of("lgdt", "lidt", "sgdt", "sidt", "invlpg", "lmsw", "smsw", "ltr", "str",
                    "lldt", "sldt", "verr", "verw")) {
                l(sb, op + " " + m);
            }
            l(sb, "o32 lgdt " + m);
            l(sb, "o16 lidt " + m);
            l(sb, "arpl " + m + ", cx");
            l(sb, "lar ax, " + m);
            l(sb, "lsl ecx, " + m);
        }
        for (String r : List.of("ax", "bx", "di")) {
            l(sb, "lmsw " + r);
            l(sb, "ltr " + r);
            l(sb, "lldt " + r);
            l(sb, "verr " + r);
            l(sb, "verw " + r);
            l(sb, "arpl " + r + ", dx");
        }
        for (String r : List.of("ax", "bx", "eax", "esi")) {
            l(sb, "smsw " + r);
            l(sb, "str " + r);
            l(sb, "sldt " + r);
            l(sb, "lar " + r + ", " + (r.startsWith("e") ? "ecx" : "cx"));
            l(sb, "lsl " + r + ", " + (r.startsWith("e") ? "ecx" : "cx"));
        }
        return fin(sb);
    }
}

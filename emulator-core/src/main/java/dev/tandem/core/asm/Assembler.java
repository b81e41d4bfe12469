package dev.tandem.core.asm;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A two-pass (iterated to a fixpoint) assembler for a subset of NASM syntax, producing a flat
 * binary like {@code nasm -f bin}. Supports 16- and 32-bit code ({@code bits 16/32}), labels
 * (global and {@code .local}), {@code equ}, {@code org}, {@code db/dw/dd/dq}, {@code times},
 * {@code align}, and most of the integer IA-32 instruction set. Instruction encodings follow the
 * choices NASM 2.16 makes with its default optimisation (short jumps where they fit,
 * sign-extended 8-bit immediates, shortest displacements for constant offsets, full-size fields
 * for values that depend on label addresses).
 *
 * <p>Usage: {@code byte[] image = Assembler.assemble(sourceText);}
 */
public final class Assembler {

    /** Result of an assembly: the flat image and the final value of every symbol. */
    public record Result(byte[] image, Map<String, Long> symbols) {
        /** Value of a symbol (label or equ); throws if not defined. */
        public long symbol(String name) {
            Long v = symbols.get(name);
            if (v == null) throw new IllegalArgumentException("no symbol named '" + name + "'");
            return v;
        }
    }

    private static final int MAX_PASSES = 100;

    /** Assembles the given source text; errors are reported as {@link AsmException}. */
    public static byte[] assemble(String source) {
        return assemble(source, "<input>").image();
    }

    /** Assembles the given source text; {@code sourceName} is used in error messages. */
    public static Result assemble(String source, String sourceName) {
        Assembler a = new Assembler(sourceName);
        a.parseAll(source);
        return a.runPasses();
    }

    // =====================================================================================
    // Tokens
    // =====================================================================================

    private static final int T_ID = 0, T_NUM = 1, T_STR = 2, T_OP = 3;

    private record Tok(int kind, String text, long num) {
        boolean isOp(String s) { return kind == T_OP && text.equals(s); }
        boolean isId(String s) { return kind == T_ID && text.equalsIgnoreCase(s); }
        @Override public String toString() { return kind == T_STR ? "'" + text + "'" : text; }
    }

    private final String sourceName;
    private int lineNo;

    private Assembler(String sourceName) {
        this.sourceName = sourceName;
    }

    private AsmException err(String msg) {
        return new AsmException(sourceName, lineNo, msg);
    }

    private AsmException err(int line, String msg) {
        return new AsmException(sourceName, line, msg);
    }

    private static boolean isIdStart(char c) {
        return Character.isLetter(c) || c == '_' || c == '.' || c == '?' || c == '@';
    }

    private static boolean isIdChar(char c) {
        return Character.isLetterOrDigit(c) || c == '_' || c == '.' || c == '?' || c == '@'
                || c == '$' || c == '#' || c == '~';
    }

    private List<Tok> lex(String line) {
        List<Tok> out = new ArrayList<>();
        int i = 0, n = line.length();
        while (i < n) {
            char c = line.charAt(i);
            if (c == ';') break;
            if (Character.isWhitespace(c)) { i++; continue; }
            if (c == '\'' || c == '"' || c == '`') {
                int j = i + 1;
                StringBuilder sb = new StringBuilder();
                boolean closed = false;
                while (j < n) {
                    char d = line.charAt(j);
                    if (d == c) { closed = true; j++; break; }
                    if (c == '`' && d == '\\' && j + 1 < n) {
                        j = unescape(line, j + 1, sb);
                        continue;
                    }
                    sb.append(d);
                    j++;
                }
                if (!closed) throw err("unterminated string");
                out.add(new Tok(T_STR, sb.toString(), 0));
                i = j;
                continue;
            }
            if (Character.isDigit(c)) {
                int j = i;
                while (j < n && (Character.isLetterOrDigit(line.charAt(j)) || line.charAt(j) == '_')) j++;
                String t = line.substring(i, j);
                out.add(new Tok(T_NUM, t, parseNumber(t)));
                i = j;
                continue;
            }
            if (c == '$') {
                if (i + 1 < n && line.charAt(i + 1) == '$') {
                    out.add(new Tok(T_OP, "$$", 0));
                    i += 2;
                    continue;
                }
                if (i + 1 < n && isIdStart(line.charAt(i + 1))) { // $name: escaped identifier
                    int j = i + 1;
                    while (j < n && isIdChar(line.charAt(j))) j++;
                    out.add(new Tok(T_ID, line.substring(i + 1, j), 0));
                    i = j;
                    continue;
                }
                out.add(new Tok(T_OP, "$", 0));
                i++;
                continue;
            }
            if (isIdStart(c)) {
                int j = i;
                while (j < n && isIdChar(line.charAt(j))) j++;
                out.add(new Tok(T_ID, line.substring(i, j), 0));
                i = j;
                continue;
            }
            if (i + 1 < n) {
                String two = line.substring(i, i + 2);
                if (two.equals("<<") || two.equals(">>") || two.equals("//") || two.equals("%%")) {
                    out.add(new Tok(T_OP, two, 0));
                    i += 2;
                    continue;
                }
            }
            if ("+-*/%&|^~!()[],:".indexOf(c) >= 0) {
                out.add(new Tok(T_OP, String.valueOf(c), 0));
                i++;
                continue;
            }
            throw err("unexpected character '" + c + "'");
        }
        return out;
    }

    private int unescape(String s, int j, StringBuilder sb) {
        char e = s.charAt(j);
        switch (e) {
            case 'n' -> sb.append('\n');
            case 't' -> sb.append('\t');
            case 'r' -> sb.append('\r');
            case '0' -> sb.append('\0');
            case 'a' -> sb.append('\u0007');
            case 'b' -> sb.append('\b');
            case 'f' -> sb.append('\f');
            case 'v' -> sb.append('\u000b');
            case 'e' -> sb.append('\u001b');
            case 'x' -> {
                int k = j + 1, v = 0, cnt = 0;
                while (k < s.length() && cnt < 2 && Character.digit(s.charAt(k), 16) >= 0) {
                    v = v * 16 + Character.digit(s.charAt(k), 16);
                    k++;
                    cnt++;
                }
                if (cnt == 0) throw err("bad \\x escape");
                sb.append((char) v);
                return k;
            }
            default -> sb.append(e);
        }
        return j + 1;
    }

    private long parseNumber(String t) {
        String s = t.replace("_", "").toLowerCase();
        try {
            if (s.startsWith("0x")) return Long.parseUnsignedLong(s.substring(2), 16);
            if (s.startsWith("0h")) return Long.parseUnsignedLong(s.substring(2), 16);
            if (s.endsWith("h")) return Long.parseUnsignedLong(s.substring(0, s.length() - 1), 16);
            if ((s.startsWith("0b") || s.startsWith("0y")) && s.length() > 2)
                return Long.parseUnsignedLong(s.substring(2), 2);
            if ((s.startsWith("0o") || s.startsWith("0q")) && s.length() > 2)
                return Long.parseUnsignedLong(s.substring(2), 8);
            if (s.startsWith("0d") && s.length() > 2) return Long.parseUnsignedLong(s.substring(2), 10);
            if (s.endsWith("b") || s.endsWith("y")) return Long.parseUnsignedLong(s.substring(0, s.length() - 1), 2);
            if (s.endsWith("q") || s.endsWith("o")) return Long.parseUnsignedLong(s.substring(0, s.length() - 1), 8);
            if (s.endsWith("d")) return Long.parseUnsignedLong(s.substring(0, s.length() - 1), 10);
            return Long.parseUnsignedLong(s, 10);
        } catch (NumberFormatException e) {
            throw err("invalid number '" + t + "'");
        }
    }

    // =====================================================================================
    // Expressions
    // =====================================================================================

    sealed interface Ex permits Num, SymRef, Here, SecStart, Un, Bin, RegEx {}
    record Num(long v) implements Ex {}
    record SymRef(String name) implements Ex {}
    record Here() implements Ex {}
    record SecStart() implements Ex {}
    record Un(String op, Ex a) implements Ex {}
    record Bin(String op, Ex a, Ex b) implements Ex {}
    /** A register inside an effective address expression. */
    record RegEx(Reg r) implements Ex {}

    /** Evaluated value: v plus rel times the section base (rel counts label terms). */
    record Val(long v, int rel, boolean unknown) {
        boolean isAbs() { return rel == 0 && !unknown; }
    }

    /** Token cursor used by the parsers. */
    private final class Cur {
        final List<Tok> t;
        int p;
        final String localBase;

        Cur(List<Tok> t, int p, String localBase) { this.t = t; this.p = p; this.localBase = localBase; }

        boolean end() { return p >= t.size(); }
        Tok peek() { return p < t.size() ? t.get(p) : null; }
        Tok peek(int k) { return p + k < t.size() ? t.get(p + k) : null; }
        Tok next() {
            if (p >= t.size()) throw err("unexpected end of line");
            return t.get(p++);
        }
        boolean acceptOp(String s) {
            Tok k = peek();
            if (k != null && k.isOp(s)) { p++; return true; }
            return false;
        }
        void expectOp(String s) {
            if (!acceptOp(s)) throw err("expected '" + s + "'" + (end() ? " at end of line" : " before '" + peek() + "'"));
        }
    }

    private Ex parseExpr(Cur c, boolean allowRegs) { return parseOr(c, allowRegs); }

    private Ex parseOr(Cur c, boolean r) {
        Ex a = parseXor(c, r);
        while (c.acceptOp("|")) a = new Bin("|", a, parseXor(c, r));
        return a;
    }

    private Ex parseXor(Cur c, boolean r) {
        Ex a = parseAnd(c, r);
        while (c.acceptOp("^")) a = new Bin("^", a, parseAnd(c, r));
        return a;
    }

    private Ex parseAnd(Cur c, boolean r) {
        Ex a = parseShift(c, r);
        while (c.acceptOp("&")) a = new Bin("&", a, parseShift(c, r));
        return a;
    }

    private Ex parseShift(Cur c, boolean r) {
        Ex a = parseAdd(c, r);
        while (true) {
            if (c.acceptOp("<<")) a = new Bin("<<", a, parseAdd(c, r));
            else if (c.acceptOp(">>")) a = new Bin(">>", a, parseAdd(c, r));
            else return a;
        }
    }

    private Ex parseAdd(Cur c, boolean r) {
        Ex a = parseMul(c, r);
        while (true) {
            if (c.acceptOp("+")) a = new Bin("+", a, parseMul(c, r));
            else if (c.acceptOp("-")) a = new Bin("-", a, parseMul(c, r));
            else return a;
        }
    }

    private Ex parseMul(Cur c, boolean r) {
        Ex a = parseUnary(c, r);
        while (true) {
            Tok k = c.peek();
            if (k != null && k.kind == T_OP && (k.text.equals("*") || k.text.equals("/") || k.text.equals("%")
                    || k.text.equals("//") || k.text.equals("%%"))) {
                c.p++;
                a = new Bin(k.text, a, parseUnary(c, r));
            } else {
                return a;
            }
        }
    }

    private Ex parseUnary(Cur c, boolean r) {
        Tok k = c.peek();
        if (k != null && k.kind == T_OP && (k.text.equals("-") || k.text.equals("+") || k.text.equals("~")
                || k.text.equals("!"))) {
            c.p++;
            return new Un(k.text, parseUnary(c, r));
        }
        return parsePrimary(c, r);
    }

    private Ex parsePrimary(Cur c, boolean allowRegs) {
        Tok k = c.next();
        switch (k.kind) {
            case T_NUM:
                return new Num(k.num);
            case T_STR: {
                if (k.text.length() > 8) throw err("character constant too long: '" + k.text + "'");
                long v = 0;
                for (int i = k.text.length() - 1; i >= 0; i--) v = (v << 8) | (k.text.charAt(i) & 0xFF);
                return new Num(v);
            }
            case T_OP:
                if (k.text.equals("$")) return new Here();
                if (k.text.equals("$$")) return new SecStart();
                if (k.text.equals("(")) {
                    Ex e = parseExpr(c, allowRegs);
                    c.expectOp(")");
                    return e;
                }
                throw err("unexpected '" + k.text + "' in expression");
            default: {
                Reg reg = Reg.lookup(k.text);
                if (reg != null) {
                    if (allowRegs) return new RegEx(reg);
                    throw err("register '" + k.text + "' not allowed in this expression");
                }
                if (KEYWORDS.contains(k.text.toLowerCase())) throw err("unexpected keyword '" + k.text + "' in expression");
                return new SymRef(qualify(k.text, c.localBase));
            }
        }
    }

    private String qualify(String name, String localBase) {
        if (name.startsWith(".") && !name.startsWith("..")) {
            if (localBase == null) throw err("local label '" + name + "' has no preceding non-local label");
            return localBase + name;
        }
        return name;
    }

    // =====================================================================================
    // Registers and operands
    // =====================================================================================

    static final int R8 = 8, R16 = 16, R32 = 32, SREG = 1, CREG = 2, DREG = 3;

    record Reg(int type, int num, String name) {
        private static final Map<String, Reg> TABLE = new HashMap<>();
        static {
            String[] r8 = {"al", "cl", "dl", "bl", "ah", "ch", "dh", "bh"};
            String[] r16 = {"ax", "cx", "dx", "bx", "sp", "bp", "si", "di"};
            String[] r32 = {"eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"};
            String[] sr = {"es", "cs", "ss", "ds", "fs", "gs"};
            for (int i = 0; i < 8; i++) {
                TABLE.put(r8[i], new Reg(R8, i, r8[i]));
                TABLE.put(r16[i], new Reg(R16, i, r16[i]));
                TABLE.put(r32[i], new Reg(R32, i, r32[i]));
                TABLE.put("dr" + i, new Reg(DREG, i, "dr" + i));
            }
            for (int i = 0; i < sr.length; i++) TABLE.put(sr[i], new Reg(SREG, i, sr[i]));
            for (int i : new int[] {0, 2, 3, 4}) TABLE.put("cr" + i, new Reg(CREG, i, "cr" + i));
        }

        static Reg lookup(String s) { return TABLE.get(s.toLowerCase()); }

        boolean gp() { return type == R8 || type == R16 || type == R32; }
    }

    static final int K_REG = 1, K_MEM = 2, K_IMM = 3, K_FAR = 4;

    /** A parsed operand; expressions are evaluated in every pass. */
    static final class Opnd {
        int kind;
        Reg reg;
        int size;            // explicit size specifier in bits, 0 if none
        boolean strict, isShort, isNear, isFar;
        // memory
        int seg = -1;
        int base = -1, index = -1, scale = 1;
        int addrRegs;        // 16 or 32 if registers are used in the address, else 0
        Ex disp;             // memory displacement / immediate value / far offset
        Ex farSeg;

        boolean isReg(int type) { return kind == K_REG && reg.type == type; }
        boolean isGpReg() { return kind == K_REG && reg.gp(); }
        boolean isAcc() { return isGpReg() && reg.num == 0; }
        boolean isRm() { return kind == K_MEM || isGpReg(); }
        boolean noRegsMem() { return kind == K_MEM && base < 0 && index < 0; }
    }

    private static final java.util.Set<String> SIZE_WORDS = java.util.Set.of("byte", "word", "dword", "qword", "tword");

    private static int sizeOf(String w) {
        return switch (w) {
            case "byte" -> 8;
            case "word" -> 16;
            case "dword" -> 32;
            case "qword" -> 64;
            case "tword" -> 80;
            default -> 0;
        };
    }

    private Opnd parseOperand(List<Tok> toks, String localBase) {
        Cur c = new Cur(toks, 0, localBase);
        Opnd o = new Opnd();
        while (!c.end() && c.peek().kind == T_ID) {
            String w = c.peek().text.toLowerCase();
            if (SIZE_WORDS.contains(w)) o.size = sizeOf(w);
            else if (w.equals("strict")) o.strict = true;
            else if (w.equals("short")) o.isShort = true;
            else if (w.equals("near")) o.isNear = true;
            else if (w.equals("far")) o.isFar = true;
            else break;
            c.p++;
        }
        if (c.end()) throw err("missing operand");
        if (c.peek().isOp("[")) {
            c.p++;
            parseMemory(c, o);
            c.expectOp("]");
            if (!c.end()) throw err("unexpected '" + c.peek() + "' after memory operand");
            return o;
        }
        if (c.peek().kind == T_ID && c.peek(1) == null) {
            Reg r = Reg.lookup(c.peek().text);
            if (r != null) {
                o.kind = K_REG;
                o.reg = r;
                if (o.size != 0 && r.gp() && o.size != r.type) throw err("size specifier conflicts with register " + r.name);
                return o;
            }
        }
        Ex e = parseExpr(c, false);
        if (c.acceptOp(":")) {
            o.kind = K_FAR;
            o.farSeg = e;
            o.disp = parseExpr(c, false);
        } else {
            o.kind = K_IMM;
            o.disp = e;
        }
        if (!c.end()) throw err("unexpected '" + c.peek() + "' in operand");
        return o;
    }

    private void parseMemory(Cur c, Opnd o) {
        o.kind = K_MEM;
        // optional size inside brackets is not supported; segment override first
        Tok a = c.peek(), b = c.peek(1);
        if (a != null && a.kind == T_ID && b != null && b.isOp(":")) {
            Reg r = Reg.lookup(a.text);
            if (r == null || r.type != SREG) throw err("invalid segment override '" + a.text + "'");
            o.seg = r.num;
            c.p += 2;
        }
        Ex e = parseExpr(c, true);
        List<int[]> regs = new ArrayList<>(); // {regType, num, scale, explicitScale}
        List<Ex> dispTerms = new ArrayList<>();
        List<Boolean> dispNeg = new ArrayList<>();
        collectEa(e, false, regs, dispTerms, dispNeg);
        Ex disp = null;
        for (int i = 0; i < dispTerms.size(); i++) {
            Ex t = dispTerms.get(i);
            if (disp == null) disp = dispNeg.get(i) ? new Un("-", t) : t;
            else disp = new Bin(dispNeg.get(i) ? "-" : "+", disp, t);
        }
        o.disp = disp;
        if (regs.isEmpty()) return;
        int rs = regs.get(0)[0];
        for (int[] r : regs) {
            if (r[0] != rs) throw err("cannot mix 16-bit and 32-bit registers in an address");
            if (r[0] != R16 && r[0] != R32) throw err("invalid register in address");
        }
        o.addrRegs = rs;
        if (rs == R16) {
            int bx = -1, si = -1;
            for (int[] r : regs) {
                if (r[2] != 1) throw err("scaled index not allowed in 16-bit address");
                if (r[1] == 3 || r[1] == 5) {
                    if (bx >= 0) throw err("invalid 16-bit address (two base registers)");
                    bx = r[1];
                } else if (r[1] == 6 || r[1] == 7) {
                    if (si >= 0) throw err("invalid 16-bit address (two index registers)");
                    si = r[1];
                } else {
                    throw err("invalid 16-bit address register");
                }
            }
            o.base = bx;
            o.index = si;
            return;
        }
        int base = -1, index = -1, scale = 1;
        for (int[] r : regs) {
            if (r[3] != 0) {
                if (index >= 0) {
                    if (base < 0 && scale == 1) { base = index; } else throw err("too many registers in address");
                }
                index = r[1];
                scale = r[2];
            } else if (base < 0) {
                base = r[1];
            } else if (index < 0) {
                index = r[1];
                scale = 1;
            } else {
                throw err("too many registers in address");
            }
        }
        if (index >= 0 && scale == 0) index = -1;
        if (index >= 0 && base < 0 && scale == 1) { base = index; index = -1; }
        if (index >= 0 && base < 0 && (scale == 2 || scale == 3 || scale == 5 || scale == 9)) {
            base = index;
            scale = scale - 1;
        }
        if (index >= 0 && scale != 1 && scale != 2 && scale != 4 && scale != 8) throw err("invalid scale factor " + scale);
        if (index == 4) {
            if (scale == 1 && base != 4) { index = base; base = 4; }
            else throw err("esp cannot be used as an index register");
        }
        o.base = base;
        o.index = index;
        o.scale = index >= 0 ? scale : 1;
    }

    private void collectEa(Ex e, boolean neg, List<int[]> regs, List<Ex> disp, List<Boolean> dneg) {
        if (!containsReg(e)) {
            disp.add(e);
            dneg.add(neg);
            return;
        }
        if (e instanceof RegEx r) {
            if (neg) throw err("register cannot be subtracted in an address");
            regs.add(new int[] {r.r().type(), r.r().num(), 1, 0});
            return;
        }
        if (e instanceof Bin b) {
            switch (b.op()) {
                case "+" -> { collectEa(b.a(), neg, regs, disp, dneg); collectEa(b.b(), neg, regs, disp, dneg); return; }
                case "-" -> { collectEa(b.a(), neg, regs, disp, dneg); collectEa(b.b(), !neg, regs, disp, dneg); return; }
                case "*" -> {
                    Ex regSide = b.a(), k = b.b();
                    if (!(regSide instanceof RegEx)) { regSide = b.b(); k = b.a(); }
                    if (regSide instanceof RegEx r && !containsReg(k)) {
                        if (neg) throw err("register cannot be subtracted in an address");
                        long s = constEval(k);
                        regs.add(new int[] {r.r().type(), r.r().num(), (int) s, 1});
                        return;
                    }
                }
                default -> { }
            }
        }
        if (e instanceof Un u && u.op().equals("+")) { collectEa(u.a(), neg, regs, disp, dneg); return; }
        throw err("invalid effective address");
    }

    private static boolean containsReg(Ex e) {
        return switch (e) {
            case RegEx r -> true;
            case Un u -> containsReg(u.a());
            case Bin b -> containsReg(b.a()) || containsReg(b.b());
            default -> false;
        };
    }

    private long constEval(Ex e) {
        Val v = evalNoSyms(e);
        return v.v();
    }

    private Val evalNoSyms(Ex e) {
        if (e instanceof Num n) return new Val(n.v(), 0, false);
        if (e instanceof Un u) return unary(u.op(), evalNoSyms(u.a()));
        if (e instanceof Bin b) return binary(b.op(), evalNoSyms(b.a()), evalNoSyms(b.b()));
        throw err("scale factor must be a constant number");
    }

    // =====================================================================================
    // Statements
    // =====================================================================================

    static final int S_LABEL = 1, S_EQU = 2, S_ORG = 3, S_BITS = 4, S_DATA = 5, S_TIMES = 6,
            S_ALIGN = 7, S_INSN = 8, S_RES = 9;

    static final class Stmt {
        int kind;
        int line;
        String name;         // label / equ name
        Ex expr;             // equ value, org, times count, align boundary, bits
        int width;           // data width in bytes
        List<Object> items;  // data items: Ex or String
        Stmt inner;          // times body / align fill
        // instruction
        String mnem;
        List<Opnd> ops;
        int rep;             // 0, 0xF3, 0xF2
        boolean lock;
        int segPrefix = -1;
        int userOsz, userAsz;
        boolean longJump;    // sticky: a relative jump that did not fit in 8 bits
    }

    private final List<Stmt> stmts = new ArrayList<>();

    private static final java.util.Set<String> DATA_DIRS = java.util.Set.of("db", "dw", "dd", "dq");
    private static final java.util.Set<String> RES_DIRS = java.util.Set.of("resb", "resw", "resd", "resq");
    private static final java.util.Set<String> PREFIXES = java.util.Set.of("rep", "repe", "repz", "repne", "repnz",
            "lock", "o16", "o32", "a16", "a32");
    private static final java.util.Set<String> DIRECTIVES = java.util.Set.of("org", "bits", "times", "align", "alignb",
            "equ", "section", "segment", "cpu", "global", "extern", "use16", "use32", "default");
    private static final java.util.Set<String> KEYWORDS = new java.util.HashSet<>();

    static {
        KEYWORDS.addAll(DATA_DIRS);
        KEYWORDS.addAll(RES_DIRS);
        KEYWORDS.addAll(PREFIXES);
        KEYWORDS.addAll(DIRECTIVES);
        KEYWORDS.addAll(SIZE_WORDS);
        KEYWORDS.addAll(List.of("strict", "short", "near", "far"));
    }

    private boolean isMnemonicWord(String w) {
        String l = w.toLowerCase();
        return Encoder.isMnemonic(l) || KEYWORDS.contains(l);
    }

    private String globalBase;

    private void parseAll(String source) {
        String[] lines = source.split("\r?\n", -1);
        for (int i = 0; i < lines.length; i++) {
            lineNo = i + 1;
            List<Tok> toks = lex(lines[i]);
            if (toks.isEmpty()) continue;
            // [bits 32] style
            if (toks.get(0).isOp("[") && toks.get(toks.size() - 1).isOp("]")) {
                toks = toks.subList(1, toks.size() - 1);
                if (toks.isEmpty()) continue;
            }
            int p = 0;
            Tok t0 = toks.get(0);
            boolean segPrefix = t0.kind == T_ID && Reg.lookup(t0.text) != null && Reg.lookup(t0.text).type() == SREG
                    && toks.size() > 1 && toks.get(1).kind == T_ID;
            if (t0.kind == T_ID && !isMnemonicWord(t0.text) && !segPrefix) {
                boolean colon = toks.size() > 1 && toks.get(1).isOp(":");
                boolean bare = toks.size() == 1 || (toks.get(1).kind == T_ID && isMnemonicWord(toks.get(1).text));
                if (!colon && !bare) throw err("unknown mnemonic or directive '" + t0.text + "'");
                String name = t0.text;
                p = colon ? 2 : 1;
                if (Reg.lookup(name) != null) throw err("register name '" + name + "' cannot be used as a label");
                boolean isEqu = p < toks.size() && toks.get(p).isId("equ");
                String full = qualify(name, globalBase);
                if (isEqu) {
                    Stmt s = newStmt(S_EQU);
                    s.name = full;
                    Cur c = new Cur(toks, p + 1, globalBase);
                    s.expr = parseExpr(c, false);
                    if (!c.end()) throw err("unexpected '" + c.peek() + "' after equ expression");
                    stmts.add(s);
                    continue;
                }
                if (!name.startsWith(".")) globalBase = name;
                Stmt s = newStmt(S_LABEL);
                s.name = full;
                stmts.add(s);
            }
            if (p >= toks.size()) continue;
            Stmt s = parseStatement(toks, p);
            if (s != null) stmts.add(s);
        }
    }

    private Stmt newStmt(int kind) {
        Stmt s = new Stmt();
        s.kind = kind;
        s.line = lineNo;
        return s;
    }

    private Stmt parseStatement(List<Tok> toks, int p) {
        Tok t = toks.get(p);
        if (t.kind != T_ID) throw err("expected a mnemonic or directive, found '" + t + "'");
        String w = t.text.toLowerCase();
        Cur c = new Cur(toks, p + 1, globalBase);
        switch (w) {
            case "org": {
                Stmt s = newStmt(S_ORG);
                s.expr = parseExpr(c, false);
                expectEnd(c);
                return s;
            }
            case "bits": case "use16": case "use32": {
                Stmt s = newStmt(S_BITS);
                if (w.equals("bits")) s.expr = parseExpr(c, false);
                else s.expr = new Num(w.equals("use16") ? 16 : 32);
                expectEnd(c);
                return s;
            }
            case "section": case "segment": case "cpu": case "global": case "extern": case "default":
                return null; // accepted and ignored: flat binary, single section
            case "times": {
                Stmt s = newStmt(S_TIMES);
                s.expr = parseExpr(c, false);
                if (c.end()) throw err("times needs a statement to repeat");
                s.inner = parseStatement(toks, c.p);
                if (s.inner == null) throw err("times needs a statement to repeat");
                return s;
            }
            case "align": case "alignb": {
                Stmt s = newStmt(S_ALIGN);
                s.expr = parseExpr(c, false);
                if (c.acceptOp(",")) {
                    s.inner = parseStatement(toks, c.p);
                } else if (w.equals("align")) {
                    s.inner = newStmt(S_DATA);
                    s.inner.width = 1;
                    s.inner.items = List.of(new Num(0x90));
                } else {
                    s.inner = newStmt(S_DATA);
                    s.inner.width = 1;
                    s.inner.items = List.of(new Num(0));
                }
                return s;
            }
            case "equ":
                throw err("equ without a name");
            default:
                break;
        }
        if (DATA_DIRS.contains(w)) {
            Stmt s = newStmt(S_DATA);
            s.width = switch (w) { case "db" -> 1; case "dw" -> 2; case "dd" -> 4; default -> 8; };
            s.items = new ArrayList<>();
            do {
                Tok k = c.peek();
                if (k == null) throw err("missing data item");
                Tok after = c.peek(1);
                if (k.kind == T_STR && (after == null || after.isOp(","))) {
                    s.items.add(k.text);
                    c.p++;
                } else {
                    s.items.add(parseExpr(c, false));
                }
            } while (c.acceptOp(","));
            expectEnd(c);
            return s;
        }
        if (RES_DIRS.contains(w)) {
            Stmt s = newStmt(S_RES);
            s.width = switch (w) { case "resb" -> 1; case "resw" -> 2; case "resd" -> 4; default -> 8; };
            s.expr = parseExpr(c, false);
            expectEnd(c);
            return s;
        }
        // instruction with optional prefixes
        Stmt s = newStmt(S_INSN);
        int q = p;
        while (q < toks.size() && toks.get(q).kind == T_ID) {
            String pw = toks.get(q).text.toLowerCase();
            Reg sr = Reg.lookup(pw);
            if (PREFIXES.contains(pw)) {
                switch (pw) {
                    case "rep", "repe", "repz" -> s.rep = 0xF3;
                    case "repne", "repnz" -> s.rep = 0xF2;
                    case "lock" -> s.lock = true;
                    case "o16" -> s.userOsz = 16;
                    case "o32" -> s.userOsz = 32;
                    case "a16" -> s.userAsz = 16;
                    case "a32" -> s.userAsz = 32;
                    default -> { }
                }
            } else if (sr != null && sr.type == SREG && q + 1 < toks.size() && toks.get(q + 1).kind == T_ID) {
                s.segPrefix = sr.num;
            } else {
                break;
            }
            q++;
        }
        if (q >= toks.size()) {
            throw err("prefix without an instruction");
        }
        Tok m = toks.get(q);
        if (m.kind != T_ID) throw err("expected a mnemonic, found '" + m + "'");
        s.mnem = m.text.toLowerCase();
        if (!Encoder.isMnemonic(s.mnem)) throw err("unknown mnemonic '" + m.text + "'");
        s.ops = new ArrayList<>();
        q++;
        if (q < toks.size()) {
            int depth = 0, start = q;
            for (int i = q; i <= toks.size(); i++) {
                Tok k = i < toks.size() ? toks.get(i) : null;
                if (k == null || (depth == 0 && k.isOp(","))) {
                    if (i == start) throw err("empty operand");
                    s.ops.add(parseOperand(toks.subList(start, i), globalBase));
                    start = i + 1;
                    continue;
                }
                if (k.isOp("[") || k.isOp("(")) depth++;
                if (k.isOp("]") || k.isOp(")")) depth--;
            }
        }
        return s;
    }

    private void expectEnd(Cur c) {
        if (!c.end()) throw err("unexpected '" + c.peek() + "'");
    }

    // =====================================================================================
    // Passes
    // =====================================================================================

    private static final class Sym {
        long value;
        int rel;
        int pass;
        int line;
    }

    private final Map<String, Sym> syms = new HashMap<>();
    int pass;
    private boolean changed;
    private boolean usedUnknown;
    long origin;
    private boolean originSet;
    int bits;
    final Buf buf = new Buf();
    private final List<AsmException> softErrors = new ArrayList<>();

    /** Growable byte output. */
    static final class Buf {
        byte[] a = new byte[4096];
        int n;

        void put(int b) {
            if (n == a.length) a = java.util.Arrays.copyOf(a, a.length * 2);
            a[n++] = (byte) b;
        }

        void put(long v, int bytes) {
            for (int i = 0; i < bytes; i++) put((int) (v >>> (8 * i)));
        }
    }

    private Result runPasses() {
        for (pass = 1; pass <= MAX_PASSES; pass++) {
            changed = false;
            usedUnknown = false;
            softErrors.clear();
            origin = 0;
            originSet = false;
            bits = 16;
            buf.n = 0;
            for (Stmt s : stmts) {
                lineNo = s.line;
                exec(s);
            }
            if (!changed && !usedUnknown) {
                if (!softErrors.isEmpty()) throw softErrors.get(0);
                byte[] img = java.util.Arrays.copyOf(buf.a, buf.n);
                Map<String, Long> out = new TreeMap<>();
                for (Map.Entry<String, Sym> e : syms.entrySet()) out.put(e.getKey(), e.getValue().value);
                return new Result(img, Collections.unmodifiableMap(out));
            }
        }
        throw err(0, "assembly did not converge after " + MAX_PASSES + " passes");
    }

    long here() { return origin + buf.n; }

    /** Address of the statement being assembled: the value of {@code $}. */
    private long stmtStart;

    /** Records an error that depends on values, reported only if it persists in the final pass. */
    void softError(String msg) {
        softErrors.add(err(lineNo, msg));
    }

    private void define(String name, long value, int rel) {
        Sym s = syms.get(name);
        if (s == null) {
            s = new Sym();
            s.line = lineNo;
            s.value = value;
            s.rel = rel;
            s.pass = pass;
            syms.put(name, s);
            if (pass > 1) changed = true;
            return;
        }
        if (s.pass == pass) throw err("symbol '" + name + "' redefined (first defined on line " + s.line + ")");
        if (s.value != value || s.rel != rel) changed = true;
        s.value = value;
        s.rel = rel;
        s.pass = pass;
    }

    private void exec(Stmt s) {
        stmtStart = here();
        switch (s.kind) {
            case S_LABEL -> define(s.name, here(), 1);
            case S_EQU -> {
                Val v = eval(s.expr);
                define(s.name, v.v(), v.rel());
                if (v.unknown()) usedUnknown = true;
            }
            case S_ORG -> {
                Val v = eval(s.expr);
                if (!v.isAbs()) throw err("org needs a constant");
                if (buf.n != 0) throw err("org must come before any code or data");
                if (originSet && origin != v.v()) throw err("org given twice");
                origin = v.v();
                originSet = true;
            }
            case S_BITS -> {
                Val v = eval(s.expr);
                if (v.v() != 16 && v.v() != 32) throw err("bits must be 16 or 32");
                bits = (int) v.v();
            }
            case S_DATA -> emitData(s);
            case S_RES -> {
                Val v = eval(s.expr);
                long n = v.isAbs() ? v.v() : 0;
                if (n < 0) throw err("negative reserve count");
                for (long i = 0; i < n * s.width; i++) buf.put(0);
            }
            case S_TIMES -> {
                Val v = eval(s.expr);
                long n = 0;
                if (!v.unknown()) {
                    if (v.rel() != 0) throw err("times count must be a constant (not an address)");
                    n = v.v();
                    if (n < 0) {
                        softError("times count is negative (" + n + "): the code before this line is too long");
                        n = 0;
                    }
                }
                if (n > (1L << 28)) throw err("times count too large: " + n);
                for (long i = 0; i < n; i++) exec(s.inner);
            }
            case S_ALIGN -> {
                Val v = eval(s.expr);
                if (!v.isAbs() || v.v() <= 0 || Long.bitCount(v.v()) != 1) throw err("align needs a power of two");
                long a = v.v();
                long pad = (a - ((buf.n) % a)) % a;
                int start = buf.n;
                while (buf.n - start < pad) exec(s.inner);
                if (buf.n - start != pad) throw err("align fill does not divide the padding");
            }
            case S_INSN -> {
                int before = buf.n;
                new Encoder(this, s).encode();
                if (buf.n == before) throw err("internal: no bytes emitted");
            }
            default -> throw err("internal: bad statement");
        }
    }

    private void emitData(Stmt s) {
        for (Object it : s.items) {
            if (it instanceof String str) {
                int n = str.length();
                for (int i = 0; i < n; i++) {
                    char ch = str.charAt(i);
                    if (ch > 0xFF) throw err("non-byte character in string");
                    buf.put(ch);
                }
                int pad = (s.width - n % s.width) % s.width;
                for (int i = 0; i < pad; i++) buf.put(0);
            } else {
                Val v = eval((Ex) it);
                buf.put(v.v(), s.width);
            }
        }
    }

    // =====================================================================================
    // Evaluation
    // =====================================================================================

    Val eval(Ex e) {
        return switch (e) {
            case Num n -> new Val(n.v(), 0, false);
            case Here h -> new Val(stmtStart, 1, false);
            case SecStart h -> new Val(origin, 1, false);
            case SymRef r -> {
                Sym s = syms.get(r.name());
                if (s == null) {
                    if (pass > 1) throw err("undefined symbol '" + r.name() + "'");
                    usedUnknown = true;
                    yield new Val(0, 0, true);
                }
                yield new Val(s.value, s.rel, false);
            }
            case Un u -> unary(u.op(), eval(u.a()));
            case Bin b -> binary(b.op(), eval(b.a()), eval(b.b()));
            case RegEx r -> throw err("register '" + r.r().name() + "' not allowed here");
        };
    }

    private Val unary(String op, Val a) {
        if (op.equals("+")) return a;
        if (a.rel() != 0 && !a.unknown()) throw err("operator '" + op + "' cannot be applied to an address");
        long v = switch (op) {
            case "-" -> -a.v();
            case "~" -> ~a.v();
            case "!" -> a.v() == 0 ? 1 : 0;
            default -> throw err("bad operator " + op);
        };
        return new Val(v, 0, a.unknown());
    }

    private Val binary(String op, Val a, Val b) {
        boolean unk = a.unknown() || b.unknown();
        if (op.equals("+")) return new Val(a.v() + b.v(), a.rel() + b.rel(), unk);
        if (op.equals("-")) return new Val(a.v() - b.v(), a.rel() - b.rel(), unk);
        if (!unk && (a.rel() != 0 || b.rel() != 0))
            throw err("operator '" + op + "' needs scalar operands (use label differences such as label-$$)");
        long x = a.v(), y = b.v();
        if ((op.equals("/") || op.equals("//") || op.equals("%") || op.equals("%%")) && y == 0) {
            if (unk) return new Val(0, 0, true);
            throw err("division by zero");
        }
        long v = switch (op) {
            case "*" -> x * y;
            case "/" -> Long.divideUnsigned(x, y);
            case "//" -> x / y;
            case "%" -> Long.remainderUnsigned(x, y);
            case "%%" -> x % y;
            case "<<" -> y >= 64 ? 0 : x << y;
            case ">>" -> y >= 64 ? 0 : x >>> y;
            case "&" -> x & y;
            case "|" -> x | y;
            case "^" -> x ^ y;
            default -> throw err("bad operator " + op);
        };
        return new Val(v, 0, unk);
    }

    // Accessors used by the Encoder.
    AsmException error(String msg) { return err(msg); }

    static int regType(Opnd o) { return o.reg.type; }
}

/**
 * A small x86 assembler for a NASM-syntax subset, used to build the built-in guest ROMs at run
 * time (no external assembler needed).
 *
 * <p>Supported: {@code bits 16|32} (also {@code [bits 32]}, {@code use16/use32}), {@code org},
 * labels with or without a colon, {@code .local} labels (scoped to the previous non-local label),
 * {@code equ}, {@code db/dw/dd/dq} with numbers, expressions and strings ('', "", and `` with C
 * escapes), {@code resb/resw/resd/resq} (zero-filled), {@code times}, {@code align/alignb}
 * (NOP/zero fill or an explicit fill statement). Expressions: {@code + - * / % // %% << >> & | ^ ~ !},
 * parentheses, {@code $}, {@code $$}, character constants, NASM number formats (0x, h, 0b, b, q,
 * o, d, underscores). Label arithmetic follows NASM: an address minus an address is a plain
 * number; other operators need plain numbers.
 *
 * <p>Prefixes: {@code rep/repe/repz/repne/repnz/lock}, {@code o16/o32/a16/a32}, and segment
 * register prefixes before string instructions ({@code es movsb}). Operand sizes: {@code byte,
 * word, dword}, plus {@code strict}, {@code short}, {@code near}, {@code far}.
 *
 * <p>Encoding choices follow NASM 2.16 with its default optimisation: jumps start short and grow
 * to near (sticky) until a fixpoint; sign-extended imm8 forms whenever the value is a known number
 * that fits; shortest displacements for number offsets; full-size fields for values depending on
 * label addresses. The nasm comparison tests in the test tree check this byte for byte.
 */
package dev.tandem.core.asm;

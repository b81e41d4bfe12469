; data directives, expressions, equ, times, align, local labels
org 0x1000
bits 16
COUNT equ 10
SHIFTED equ (1 << 12) | 0x34
NEGV equ -5
MIXED equ ((COUNT * 3 + 2) / 4) % 7 - ~3
SDIV equ -7 // 2
SMOD equ -7 %% 3
CHAR equ 'A'
TWOCH equ 'AB'
FWDCALC equ fwd_label - start
start:
    db 1, 2, 3, 0xff, -1, 'x', "yz", `a\tb\n\x41\0`
    db 'hello', 0
    dw 1, 0x1234, -2, start, 'AB', 'ABC'
    dd 0x12345678, start, end - start, -1, 'abcd', 'abcde'
    dq 0x123456789abcdef0, -1, start
    db COUNT, SHIFTED & 0xff, NEGV, MIXED, SDIV, SMOD, CHAR, FWDCALC
    dw TWOCH, SHIFTED, $ - start, $$, $-$$
    db 10b, 0b101, 17q, 0o17, 0x1f, 1fh, 0FFh, 1_000 & 0xff, 0d99, 99d, 0h10
    db (5+3)*2, 5+3*2, 100/7, 100 % 7, 1<<3>>1, 0xf0 ^ 0xff, !0, !7, -(-3), +4
    times 3 db 0xaa
    times COUNT-8 dw 0x5555
    times 2 nop
    align 16
    db 0x11
    align 8, db 0xcc
    alignb 4
    dd $
label1:
.loc1: dw .loc1
.loc2: dw .loc2 - label1
label2:
.loc1: dw .loc1
    jmp .loc1
    jmp label1.loc2
    mov ax, FWDCALC
    mov bx, fwd_label
    mov cx, fwd_label - start
    add ax, fwd_label - start
    add ax, fwd_label
    push fwd_label - start
    push fwd_label
    mov ax, [bx + fwd_label - start]
    mov ax, [bx + fwd_label]
    mov ax, [fwd_label]
    mov ax, [bx + COUNT]
    mov ax, [bx + LATE]
    add ax, LATE
    resb 4
    resw 2
fwd_label:
    dw fwd_label
no_colon db 7
    dd no_colon
LATE equ 3
end:
    times 0x200-($-$$) db 0
    dw 0xaa55

; Tandem built-in guest "bench": a CPU-bound loop with an exactly known instruction count.
;
; Same ROM layout as hello.asm (64 KiB, mapped at 0xF0000 and aliased at 0xFFFF0000, reset
; vector at offset 0xFFF0). It switches to 32-bit flat protected mode, fills a 257-dword buffer,
; writes 'S' '\n' to the debug console (port 0xE9), runs the loop, writes 'E' '\n', the final
; value of the accumulator (ebx) as 8 hex digits and '\n', writes 0 to port 0xF4 (QEMU
; isa-debug-exit) and stops with cli; hlt.
;
; Instruction count between the two markers: counting every instruction retired after the
; "out 0xE9, al" that writes the '\n' following 'S', up to but not including the
; "out 0xE9, al" that writes 'E':
;
;     SETUP_INSNS (4)  +  ITERATIONS * PER_ITERATION (62)  +  TAIL_INSNS (1)
;
; where one outer iteration is
;     mov edx, INNER                                        1
;     INNER (4) x inner body (13, see below; each arm of the branch is 2)   52
;     call mix + mix body (5) + ret                          7
;     dec ecx, jnz .outer                                    2
;                                                         = 62
; With ITERATIONS = 8000000 that is 4 + 496000000 + 1 = 496000005 instructions.
; dev.tandem.core.guests.BuiltinGuests holds the same figures (a test checks they match these equ
; values, and a QEMU single-step trace checks the count itself).

        bits 16
        org 0

ITERATIONS      equ 8000000         ; outer iterations: change this to make the run longer/shorter
INNER           equ 4               ; inner iterations per outer iteration
SETUP_INSNS     equ 4
PER_ITERATION   equ 62
TAIL_INSNS      equ 1

ROMBASE         equ 0xF0000
STACK32         equ 0x80000
BUF             equ 0x20000         ; 256 table dwords + 1 result dword
SEED            equ 0x12345678
GOLDEN          equ 0x9E3779B9
DEBUGCON        equ 0xE9
EXIT_PORT       equ 0xF4

start16:
        cli
        cld
        mov ax, cs
        mov ds, ax
        o32 lgdt [gdt_desc]
        mov eax, cr0
        or al, 1
        mov cr0, eax
        jmp dword 0x08:(ROMBASE + pm_entry)

        bits 32
pm_entry:
        mov ax, 0x10
        mov ds, ax
        mov es, ax
        mov ss, ax
        mov esp, STACK32

        ; buffer[i] = i * GOLDEN for i < 256, buffer[256] = 0
        xor eax, eax
        xor ecx, ecx
.init:
        mov [BUF + ecx*4], eax
        add eax, GOLDEN
        inc ecx
        cmp ecx, 256
        jne .init
        mov dword [BUF + 1024], 0

        mov al, 'S'
        out DEBUGCON, al
        mov al, 10
        out DEBUGCON, al
        ; ---- counted region starts after the out above
count_start:
        mov esi, BUF                ; setup 1
        mov ecx, ITERATIONS         ; setup 2
        xor ebx, ebx                ; setup 3
        mov edi, SEED               ; setup 4
.outer:
        mov edx, INNER              ; 1
.inner:
        mov eax, edi                ; 1
        shr eax, 7                  ; 2
        and eax, 255                ; 3
        add edi, [esi + eax*4]      ; 4  load
        rol edi, 5                  ; 5
        xor edi, ecx                ; 6
        mov [esi + eax*4], edi      ; 7  store
        test edi, 0x100             ; 8
        jz .even                    ; 9  conditional branch (data dependent)
        add ebx, edi                ; 10 (odd arm)
        jmp .join                   ; 11
.even:
        sub ebx, eax                ; 10 (even arm)
        nop                         ; 11
.join:
        dec edx                     ; 12
        jnz .inner                  ; 13 (with the 2-instruction arm)
        call mix                    ; 1 (+5 in mix, +1 ret)
        dec ecx
        jnz .outer
        mov al, 'E'                 ; tail 1
        ; ---- counted region ends before this out
count_end:
        out DEBUGCON, al
        mov al, 10
        out DEBUGCON, al

        mov eax, ebx
        call print_hex32
        mov al, 10
        out DEBUGCON, al

        xor al, al
        out EXIT_PORT, al           ; QEMU isa-debug-exit; ignored elsewhere
        cli
        hlt
        jmp $ - 1

mix:
        mov eax, ebx                ; 1
        shl eax, 3                  ; 2
        sub eax, ebx                ; 3
        add eax, ecx                ; 4
        mov [esi + 1024], eax       ; 5
        ret                         ; 6

; print eax as 8 upper-case hex digits on the debug console
print_hex32:
        mov edx, eax
        mov ecx, 8
.digit:
        rol edx, 4
        mov al, dl
        and al, 0x0F
        add al, '0'
        cmp al, '9'
        jbe .emit
        add al, 'A' - '0' - 10
.emit:
        out DEBUGCON, al
        dec ecx
        jnz .digit
        ret

        align 8
gdt:
        dq 0
        dw 0xFFFF, 0x0000, 0x9A00, 0x00CF       ; 0x08: flat 32-bit code
        dw 0xFFFF, 0x0000, 0x9200, 0x00CF       ; 0x10: flat data
gdt_end:
gdt_desc:
        dw gdt_end - gdt - 1
        dd ROMBASE + gdt

        times 0xFFF0 - ($ - $$) db 0xFF
        bits 16
reset_vector:
        jmp 0xF000:start16
        times 0x10000 - ($ - $$) db 0xFF

; pmtests (SDM-only): segment limit, type and null-selector checks on data accesses, and the
; IDIV quotient overflow of INT64_MIN / -1. Not compared with QEMU: QEMU's TCG does not check
; data segment limits or types on ordinary accesses, and QEMU 7.2 dies on that IDIV (host SIGFPE).
; The expected output was checked line by line against the Intel SDM rules instead.
%include "head.inc"

main:
        ; test descriptors
        mov eax, 0x38                   ; data, not present
        mov ebx, 0x20000
        mov ecx, 0xFFFF
        mov edx, 0x4013
        call set_desc
        mov eax, 0x40                   ; read-only data, limit 0xFFF, base 0x10000
        mov ebx, 0x10000
        mov ecx, 0xFFF
        mov edx, 0x4091
        call set_desc
        mov eax, 0x50                   ; execute-only code
        mov ebx, ROMBASE
        mov ecx, 0xFFFF
        mov edx, 0x4099
        call set_desc
        mov eax, 0x58                   ; writable data, not present (for SS)
        mov ebx, 0
        mov ecx, 0xFFFFF
        mov edx, 0xC013
        call set_desc
        mov eax, 0x60                   ; expand-down data, limit 0xFFF, B=1, base 0x20000
        mov ebx, 0x20000
        mov ecx, 0xFFF
        mov edx, 0x4097
        call set_desc
        mov eax, 0x68                   ; small stack/data, limit 0xFF, base 0x20000
        mov ebx, 0x20000
        mov ecx, 0xFF
        mov edx, 0x4093
        call set_desc
        mov eax, 0x70                   ; code, not present
        mov ebx, ROMBASE
        mov ecx, 0xFFFF
        mov edx, 0x401B
        call set_desc
        mov eax, 0x78                   ; 4 KiB-granular data, limit 0xFFFFF
        mov ebx, 0
        mov ecx, 0xFFFFF
        mov edx, 0xC093
        call set_desc
        mov dword [0x10000], 0x11223344
        mov dword [0x20000 + 0x1000], 0x55667788
        ; a call gate (0x80) and an interrupt gate (0x88) in the GDT for LAR
        mov edi, GDT + 0x80
        mov ebx, SEL_CODE0
        mov ecx, main
        mov edx, 0xEC00
        call set_gate
        mov edi, GDT + 0x88
        mov edx, 0x8E00
        call set_gate

        mov esi, t9
        call puts
        mov eax, .s9
        call arm
        xor eax, eax
        mov ds, ax
        mov eax, [0x100]
        call nofault
.s9:
        mov esi, t10
        call puts
        mov ax, 0x40
        mov es, ax
        mov eax, [es:0xFFC]
        call puthex32
        call newline
        mov eax, .s10
        call arm
        mov ax, 0x40
        mov es, ax
        mov [es:0], eax
        call nofault
.s10:
        mov esi, t11
        call puts
        mov eax, .s11
        call arm
        mov ax, 0x40
        mov es, ax
        mov eax, [es:0xFFE]
        call nofault
.s11:
        mov esi, t12
        call puts
        mov ax, 0x60
        mov fs, ax
        mov eax, [fs:0x1000]
        call puthex32
        call newline
        mov eax, .s12
        call arm
        mov ax, 0x60
        mov fs, ax
        mov eax, [fs:0x800]
        call nofault
.s12:
        mov esi, t13
        call puts
        mov eax, .s13
        call arm
        mov ax, 0x68
        mov ss, ax
        mov esp, 0x100
        mov eax, [ss:0x200]
        call nofault
.s13:
        mov esi, t14
        call puts
        mov eax, .s14
        call arm
        mov [cs:0x100], eax
        call nofault
.s14:
        mov esi, t22
        call puts
        mov eax, .s22
        call arm
        mov edx, 0x80000000
        xor eax, eax
        mov ecx, -1
        idiv ecx
        call nofault
.s22:
        jmp finish

t9:             db "access through null DS: ", 0
t10:            db "read-only data: read=", 0
t11:            db "read straddling the limit: ", 0
t12:            db "expand-down: read above limit=", 0
t13:            db "SS-relative read beyond the SS limit: ", 0
t14:            db "write through CS override: ", 0
t22:            db "idiv overflow: ", 0

%include "lib.inc"

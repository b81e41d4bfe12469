; mode switching and a typical boot-style sequence
[bits 16]
[org 0]
    cli
    xor ax, ax
    mov ds, ax
    mov ss, ax
    mov sp, 0x7000
    lgdt [cs:gdt_desc]
    o32 lgdt [gdt_desc]
    mov eax, cr0
    or al, 1
    mov cr0, eax
    jmp 0x08:pm
    jmp dword 0x08:pm32 + 0xf0000
bits 32
pm:
pm32:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov esp, 0x90000
    mov esi, msg + 0xf0000
.next:
    lodsb
    test al, al
    jz .done
    out 0xe9, al
    jmp .next
.done:
    mov ecx, 0x10000 / 4
    mov edi, 0x10000
    xor eax, eax
    rep stosd
    cli
    hlt
    align 8
gdt:
    dq 0
    dw 0xffff, 0, 0x9a00, 0x00cf
    dw 0xffff, 0, 0x9200, 0x00cf
gdt_end:
gdt_desc:
    dw gdt_end - gdt - 1
    dd gdt + 0xf0000
msg: db "Hello", 13, 10, 0
use16
    mov ax, [gdt_desc]
    mov eax, [ebx + gdt_desc]
    mov eax, [ebx + gdt_desc - gdt]

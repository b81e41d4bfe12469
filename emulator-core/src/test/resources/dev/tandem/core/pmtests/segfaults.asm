; pmtests: protected-mode entry, segment register loads and segment checks with their exact
; faults and error codes (#GP, #NP, #SS), #DE, #BR, #OF, #BP, #UD, and LAR/LSL/VERR/VERW/ARPL.
%include "head.inc"

main:
        mov esi, m_cr0
        mov eax, cr0
        and eax, 0x8005003F
        call show32
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

        mov esi, t1
        call puts
        mov eax, .r1
        call arm
        mov ax, 0x38
        mov ds, ax
        call nofault
.r1:
        mov esi, t2
        call puts
        mov eax, .r2
        call arm
        mov ax, 0x800
        mov ds, ax
        call nofault
.r2:
        mov esi, t3
        call puts
        mov eax, .r3
        call arm
        mov ax, 0x3C
        mov es, ax
        call nofault
.r3:
        mov esi, t4
        call puts
        mov eax, .r4
        call arm
        mov ax, SEL_DATA3
        mov ss, ax
        call nofault
.r4:
        mov esi, t5
        call puts
        mov eax, .r5
        call arm
        mov ax, 0x58
        mov ss, ax
        call nofault
.r5:
        mov esi, t6
        call puts
        mov eax, .r6
        call arm
        mov ax, 0x50
        mov fs, ax
        call nofault
.r6:
        mov esi, t7
        call puts
        mov eax, .r7
        call arm
        mov ax, SEL_TSS0
        mov gs, ax
        call nofault
.r7:
        mov esi, t8
        call puts
        mov eax, .r8
        call arm
        mov ax, 0x13
        mov ds, ax
        call nofault
.r8:
        mov esi, t15
        call puts
        mov eax, .r15
        call arm
        jmp SEL_DATA0:0
.r15:
        mov esi, t16
        call puts
        mov eax, .r16
        call arm
        call 0x70:0
.r16:
        mov esi, t17
        call puts
        mov eax, .r17
        call arm
        mov eax, 0x12345678
        xor ecx, ecx
        xor edx, edx
        div ecx
        call nofault
.r17:
        mov esi, t18
        call puts
        mov eax, .r18
        call arm
        mov eax, 20
        bound eax, [ROMBASE + bounds]
        mov esi, m_inbounds
        call puts
        mov eax, 31
        bound eax, [ROMBASE + bounds]
        call nofault
.r18:
        mov esi, t19
        call puts
        mov eax, .r19
        call arm
        mov al, 0x7F
        add al, 1
        into
        call nofault
.r19:
        mov esi, t20
        call puts
        mov eax, .r20
        call arm
        int3
        call nofault
.r20:
        mov esi, t21
        call puts
        mov eax, .r21
        call arm
        ud2
        call nofault
.r21:
        ; LAR / LSL / VERR / VERW / ARPL
        mov esi, m_lar08
        mov eax, 0xFFFFFFFF
        lar eax, [ROMBASE + sel08]
        call show32
        mov esi, m_lar28
        mov ebx, SEL_TSS0
        lar eax, ebx
        call show32
        mov esi, m_lar80
        mov ebx, 0x80
        lar eax, ebx
        call show32
        mov esi, m_lar88
        mov ebx, 0x88
        xor eax, eax
        lar eax, ebx
        setz al
        call show32
        mov esi, m_larnull
        xor ebx, ebx
        mov eax, 0x5555
        lar eax, ebx
        setz al
        call show32
        mov esi, m_lsl28
        mov ebx, SEL_TSS0
        lsl eax, ebx
        call show32
        mov esi, m_lsl78
        mov ebx, 0x78
        lsl eax, ebx
        call show32
        mov esi, m_lsl38
        mov ebx, 0x38
        lsl eax, ebx
        call show32
        mov esi, m_lsl800
        mov ebx, 0x800
        mov eax, 0x77
        lsl eax, ebx
        setz al
        call show32
        mov esi, m_verr50
        mov bx, 0x50
        verr bx
        setz al
        movzx eax, al
        call show32
        mov esi, m_verr08
        mov bx, 0x08
        verr bx
        setz al
        movzx eax, al
        call show32
        mov esi, m_verw40
        mov bx, 0x40
        verw bx
        setz al
        movzx eax, al
        call show32
        mov esi, m_verw10
        mov bx, 0x10
        verw bx
        setz al
        movzx eax, al
        call show32
        mov esi, m_verw23
        mov bx, SEL_DATA3
        verw bx
        setz al
        movzx eax, al
        call show32
        mov esi, m_arpl1
        mov ax, 0x0008
        mov bx, 0x0003
        arpl ax, bx
        setz bl
        shl ebx, 16
        mov bx, ax
        mov eax, ebx
        call show32
        mov esi, m_arpl2
        mov ax, 0x0013
        mov bx, 0x0001
        arpl ax, bx
        setz bl
        shl ebx, 16
        mov bx, ax
        mov eax, ebx
        call show32
        ; the accessed bit of a loaded descriptor is set in memory
        mov esi, m_acc
        mov ax, 0x68
        mov es, ax
        mov eax, [GDT + 0x6C]
        call show32
        jmp finish

bounds:         dd 10, 30
sel08:          dw SEL_CODE0
m_cr0:          db "CR0 & 8005003F = ", 0
t1:             db "mov ds, not-present data: ", 0
t2:             db "mov ds, selector beyond GDT limit: ", 0
t3:             db "mov es, LDT selector without LDT: ", 0
t4:             db "mov ss, DPL 3 data at CPL 0: ", 0
t5:             db "mov ss, not-present data: ", 0
t6:             db "mov fs, execute-only code: ", 0
t7:             db "mov gs, TSS selector: ", 0
t8:             db "mov ds, RPL 3 selector for DPL 0 data: ", 0
t9:             db "access through null DS: ", 0
t10:            db "read-only data: read=", 0
t11:            db "read straddling the limit: ", 0
t12:            db "expand-down: read above limit=", 0
t13:            db "SS-relative read beyond the SS limit: ", 0
t14:            db "write through CS override: ", 0
t15:            db "far jmp to a data segment: ", 0
t16:            db "far call to a not-present code segment: ", 0
t17:            db "div by zero: ", 0
t18:            db "bound: ", 0
t19:            db "into with OF=1: ", 0
t20:            db "int3: ", 0
t21:            db "ud2: ", 0
t22:            db "idiv overflow: ", 0
m_inbounds:     db "in bounds ok; ", 0
m_lar08:        db "lar 08 = ", 0
m_lar28:        db "lar 28 = ", 0
m_lar80:        db "lar 80 (call gate) = ", 0
m_lar88:        db "lar 88 (int gate) ZF = ", 0
m_larnull:      db "lar null ZF (eax kept 5555) = ", 0
m_lsl28:        db "lsl 28 = ", 0
m_lsl78:        db "lsl 78 (G=1) = ", 0
m_lsl38:        db "lsl 38 (not present) = ", 0
m_lsl800:       db "lsl 800 (beyond GDT) ZF = ", 0
m_verr50:       db "verr execute-only code = ", 0
m_verr08:       db "verr readable code = ", 0
m_verw40:       db "verw read-only data = ", 0
m_verw10:       db "verw writable data = ", 0
m_verw23:       db "verw DPL 3 data = ", 0
m_arpl1:        db "arpl 0008,0003 (ZF<<16|ax) = ", 0
m_arpl2:        db "arpl 0013,0001 (ZF<<16|ax) = ", 0
m_acc:          db "descriptor 68 high dword after load = ", 0

%include "lib.inc"

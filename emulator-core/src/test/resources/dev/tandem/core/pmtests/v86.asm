; pmtests: virtual-8086 mode. Entry via IRETD with VM=1, the v86 interrupt frame (with ES DS FS
; GS) seen by a ring-0 handler, INT n to a ring-0 handler and IRETD back, IOPL-sensitive
; instructions (CLI STI PUSHF POPF INT n IRET) with IOPL 3 and IOPL 0, the I/O permission bitmap
; (consulted in v86 mode whatever IOPL is), privileged instructions, real-mode style addressing.
%include "head.inc"

ESP0    equ 0x8800
VM_IOPL3 equ 0x23002
VM_IOPL0 equ 0x20002

main:
        mov dword [TSS0 + 4], ESP0
        mov eax, 0x30
        mov ecx, sys30
        mov edx, 0xEE00
        call set_idt
        mov eax, 0x31
        mov ecx, to_kernel
        mov edx, 0xEE00
        call set_idt
        mov eax, 0x32               ; DPL 0 gate
        mov ecx, to_kernel
        mov edx, 0x8E00
        call set_idt
        and byte [IOMAP + (0xE9 >> 3)], ~(1 << (0xE9 & 7)) & 0xFF   ; port E9 allowed

        mov esi, t1
        call puts
        mov eax, .r1
        call arm
        mov eax, v_iopl3
        mov ebx, VM_IOPL3
        jmp enterv86
.r1:
        mov esi, m_mem
        mov eax, [0x10010]
        call show32
        mov esi, t2
        call puts
        mov eax, .r2
        call arm
        mov eax, v_cli
        mov ebx, VM_IOPL0
        jmp enterv86
.r2:
        mov esi, t3
        call puts
        mov eax, .r3
        call arm
        mov eax, v_pushf
        mov ebx, VM_IOPL0
        jmp enterv86
.r3:
        mov esi, t4
        call puts
        mov eax, .r4
        call arm
        mov eax, v_popf
        mov ebx, VM_IOPL0
        jmp enterv86
.r4:
        mov esi, t5
        call puts
        mov eax, .r5
        call arm
        mov eax, v_int
        mov ebx, VM_IOPL0
        jmp enterv86
.r5:
        mov esi, t6
        call puts
        mov eax, .r6
        call arm
        mov eax, v_io0
        mov ebx, VM_IOPL0
        jmp enterv86
.r6:
        mov esi, t7
        call puts
        mov eax, .r7
        call arm
        mov eax, v_io3
        mov ebx, VM_IOPL3
        jmp enterv86
.r7:
        mov esi, t8
        call puts
        mov eax, .r8
        call arm
        mov eax, v_int32
        mov ebx, VM_IOPL3
        jmp enterv86
.r8:
        mov esi, t9
        call puts
        mov eax, .r9
        call arm
        mov eax, v_cr0
        mov ebx, VM_IOPL3
        jmp enterv86
.r9:
        mov esi, t10
        call puts
        mov eax, .r10
        call arm
        mov eax, v_iret0
        mov ebx, VM_IOPL0
        jmp enterv86
.r10:
        jmp finish

; enterv86: eax = IP (CS = F000), ebx = EFLAGS; SS:SP = 0900:0F00, DS = F000, ES = 2000
enterv86:
        push dword 0x3000           ; GS
        push dword 0x4000           ; FS
        push dword 0xF000           ; DS
        push dword 0x2000           ; ES
        push dword 0x0900           ; SS
        push dword 0x0F00           ; ESP
        push ebx
        push dword 0xF000           ; CS
        push eax
        iretd

; INT 30 from v86: prints the string at F000:SI, EAX and the whole frame
sys30:
        pushad
        mov ax, SEL_DATA0
        mov ds, ax
        mov ebp, esp
        movzx esi, si
        call puts
        mov esi, m_eax
        call puts
        mov eax, [ebp + 28]
        call puthex32
        mov esi, m_frame
        call puts
        mov ebx, 32
.f:
        mov eax, [ebp + ebx]
        call puthex32
        call space
        add ebx, 4
        cmp ebx, 68
        jne .f
        call newline
        popad
        iretd

to_kernel:
        mov ax, SEL_DATA0
        mov ds, ax
        mov es, ax
        mov fs, ax
        mov gs, ax
        mov esp, [resume_esp]
        jmp dword [resume_eip]

; ---- v86 code (CS = F000)
        bits 16
v_iopl3:
        mov ax, 0x1234
        mov si, m_v1
        int 0x30
        cli
        sti
        cli
        pushf
        pop ax
        mov si, m_v2
        int 0x30
        push ax
        popf
        mov al, '!'
        out 0xE9, al
        mov al, 10
        out 0xE9, al
        mov ax, 0x1000
        mov ds, ax
        mov word [0x10], 0xBEEF
        mov word [0x12], ss
        int 0x31
v_cli:
        cli
        int 0x31
v_pushf:
        pushf
        int 0x31
v_popf:
        popf
        int 0x31
v_int:
        int 0x30
        int 0x31
v_io0:
        mov al, '#'
        out 0xE9, al
        mov al, 10
        out 0xE9, al
        out 0xEA, al
        int 0x31
v_io3:
        in al, 0xEA
        int 0x31
v_int32:
        int 0x32
        int 0x31
v_cr0:
        mov eax, cr0
        int 0x31
v_iret0:
        iret
        int 0x31
        bits 32

t1:             db "1. v86 with IOPL 3:", 10, 0
t2:             db "2. cli in v86, IOPL 0: ", 0
t3:             db "3. pushf in v86, IOPL 0: ", 0
t4:             db "4. popf in v86, IOPL 0: ", 0
t5:             db "5. int 30 in v86, IOPL 0: ", 0
t6:             db "6. IOPL 0: out E9 (allowed by the bitmap), then out EA: ", 0
t7:             db "7. IOPL 3: in EA (denied by the bitmap): ", 0
t8:             db "8. int 32 (gate DPL 0) in v86: ", 0
t9:             db "9. mov eax, cr0 in v86: ", 0
t10:            db "10. iret in v86, IOPL 0: ", 0
m_v1:           db "  v86 int 30:", 0
m_v2:           db "  after cli/sti/cli, pushf ->", 0
m_mem:          db "word written at 1000:0010 (linear 10010) with SS above: ", 0
m_eax:          db " eax=", 0
m_frame:        db " frame(eip cs efl esp ss es ds fs gs)=", 0

%include "lib.inc"

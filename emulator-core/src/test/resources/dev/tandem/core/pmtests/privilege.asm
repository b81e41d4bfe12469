; pmtests: privilege transitions. Ring 0 -> 3 via IRET, ring 3 -> 0 via an interrupt gate
; (TSS stack switch, frame contents), privileged and IOPL-sensitive instructions at ring 3,
; the I/O permission bitmap, a DPL 0 gate used by INT n at ring 3, call gates with parameter
; copy and RETF n, conforming code, data segment invalidation on the return to ring 3.
%include "head.inc"

ESP0    equ 0x8800

main:
        mov dword [TSS0 + 4], ESP0
        mov eax, 0x30               ; INT 30: print cs:esi and the frame (DPL 3)
        mov ecx, sys30
        mov edx, 0xEE00
        call set_idt
        mov eax, 0x31               ; INT 31: back to the armed ring-0 resume point (DPL 3)
        mov ecx, to_kernel
        mov edx, 0xEE00
        call set_idt
        mov eax, 0x32               ; INT 32: DPL 0 gate
        mov ecx, to_kernel
        mov edx, 0x8E00
        call set_idt
        mov edi, GDT + 0x40         ; call gate, DPL 3, 2 dword parameters -> gate_target
        mov ebx, SEL_CODE0
        mov ecx, gate_target
        mov edx, 0xEC02
        call set_gate
        mov eax, 0x48               ; conforming code, DPL 0
        mov ebx, ROMBASE
        mov ecx, 0xFFFF
        mov edx, 0x409F
        call set_desc
        and byte [IOMAP + (0xE9 >> 3)], ~(1 << (0xE9 & 7)) & 0xFF   ; port E9 allowed at ring 3

        mov esi, t1
        call puts
        mov eax, .r1
        call arm
        mov eax, r3_basic
        jmp enter3
.r1:
        mov esi, t2
        call puts
        mov eax, .r2
        call arm
        mov eax, r3_cli
        jmp enter3
.r2:
        mov esi, t3
        call puts
        mov eax, .r3
        call arm
        mov eax, r3_hlt
        jmp enter3
.r3:
        mov esi, t4
        call puts
        mov eax, .r4
        call arm
        mov eax, r3_int32
        jmp enter3
.r4:
        mov esi, t5
        call puts
        mov eax, .r5
        call arm
        mov eax, r3_cr0
        jmp enter3
.r5:
        mov esi, t6
        call puts
        mov eax, .r6
        call arm
        mov eax, r3_ds
        jmp enter3
.r6:
        mov esi, t7
        call puts
        mov eax, .r7
        call arm
        mov eax, r3_io
        jmp enter3
.r7:
        mov esi, t8
        call puts
        mov eax, .r8
        call arm
        mov eax, r3_gate
        jmp enter3
.r8:
        mov esi, t9
        call puts
        mov eax, .r9
        call arm
        mov eax, r3_conf
        jmp enter3
.r9:
        mov esi, t10
        call puts
        mov eax, .r10
        call arm
        mov eax, r3_direct
        jmp enter3
.r10:
        mov esi, t11
        call puts
        mov eax, .r11
        call arm
        mov eax, r3_gate_ring0
        jmp enter3
.r11:
        jmp finish

; enter3: eax = ring-3 entry offset; IRET to SEL_CODE3:eax with SS:ESP = SEL_DATA3:STACK3
enter3:
        push dword SEL_DATA3
        push dword STACK3
        push dword 0x0002
        push dword SEL_CODE3
        push eax
        iretd

; INT 30 handler: prints the string at cs:esi, EAX, DS and the interrupt frame
sys30:
        push ds
        push es
        pushad
        mov ax, SEL_DATA0
        mov ds, ax
        mov es, ax
        mov ebp, esp
        call puts
        mov esi, m_eax
        call puts
        mov eax, [ebp + 28]
        call puthex32
        mov esi, m_ds
        call puts
        mov eax, [ebp + 36]
        call puthex16
        mov esi, m_frame
        call puts
        mov ebx, 40
.f:
        mov eax, [ebp + ebx]
        call puthex32
        call space
        add ebx, 4
        cmp ebx, 60
        jne .f
        mov esi, m_r0esp
        call puts
        lea eax, [ebp + 40]
        call puthex32
        call newline
        popad
        pop es
        pop ds
        iretd

to_kernel:
        mov ax, SEL_DATA0
        mov ds, ax
        mov es, ax
        mov fs, ax
        mov gs, ax
        mov esp, [resume_esp]
        jmp dword [resume_eip]

; call gate target (ring 0): print CS, ESP, SS and the six dwords at the top of the new stack
gate_target:
        push eax
        push ebx
        push esi
        mov esi, m_gate
        call puts
        mov eax, cs
        call puthex16
        call space
        mov eax, ss
        call puthex16
        call space
        lea eax, [esp + 12]
        call puthex32
        mov esi, m_colon
        call puts
        xor ebx, ebx
.g:
        mov eax, [esp + 12 + ebx]
        call puthex32
        call space
        add ebx, 4
        cmp ebx, 24
        jne .g
        call newline
        pop esi
        pop ebx
        pop eax
        retf 8

conf_fn:
        mov eax, cs
        movzx eax, ax
        retf

; ---- ring-3 code
r3_basic:
        mov eax, 0x33
        mov esi, m_hello
        int 0x30
        pushfd
        pop eax
        or eax, 0x3200              ; IOPL=3, IF=1: ignored by POPFD at CPL 3 > IOPL
        push eax
        popfd
        pushfd
        pop eax
        mov esi, m_popf
        int 0x30
        int 0x31
r3_cli:
        cli
        int 0x31
r3_hlt:
        hlt
        int 0x31
r3_int32:
        int 0x32
        int 0x31
r3_cr0:
        mov eax, cr0
        int 0x31
r3_ds:
        mov ax, SEL_DATA0 | 3
        mov ds, ax
        int 0x31
r3_io:
        mov al, '+'
        out 0xE9, al                ; allowed by the bitmap
        mov al, 10
        out 0xE9, al
        in al, 0xE9                 ; same port: allowed
        mov al, '-'
        out 0xEA, al                ; denied -> #GP(0)
        int 0x31
r3_gate:
        mov eax, 0x5A5A
        push dword 0x1111
        push dword 0x2222
        call 0x40:0
        mov esi, m_aftergate
        int 0x30
        int 0x31
r3_conf:
        xor eax, eax
        call 0x48:conf_fn
        mov esi, m_conf
        int 0x30
        int 0x31
r3_direct:
        call SEL_CODE0:conf_fn      ; non-conforming DPL 0 code from CPL 3 -> #GP(08)
        int 0x31
r3_gate_ring0:
        mov edi, 0x1234
        jmp 0x40:0                  ; JMP through a call gate cannot change privilege -> #GP(08)
        int 0x31

t1:             db "1. iret to ring 3, int 30 (gate DPL 3):", 10, 0
t2:             db "2. cli at CPL 3, IOPL 0: ", 0
t3:             db "3. hlt at CPL 3: ", 0
t4:             db "4. int 32 (gate DPL 0) at CPL 3: ", 0
t5:             db "5. mov eax, cr0 at CPL 3: ", 0
t6:             db "6. mov ds, DPL 0 data at CPL 3: ", 0
t7:             db "7. I/O bitmap at CPL 3 (E9 allowed, EA denied): ", 0
t8:             db "8. call gate with 2 parameters, retf 8:", 10, 0
t9:             db "9. call conforming DPL 0 code from CPL 3:", 10, 0
t10:            db "10. call non-conforming DPL 0 code from CPL 3: ", 0
t11:            db "11. jmp through a call gate to an inner level: ", 0
m_hello:        db "  ring 3 says hello (DS nulled by the iret):", 0
m_popf:         db "  popfd at CPL 3 with IOPL/IF set, pushfd =", 0
m_aftergate:    db "  back in ring 3 after retf 8:", 0
m_conf:         db "  conforming code ran with CS=", 0
m_eax:          db " eax=", 0
m_ds:           db " ds=", 0
m_frame:        db " frame(eip cs efl esp ss)=", 0
m_r0esp:        db "r0esp=", 0
m_gate:         db "  gate target: cs ss esp=", 0
m_colon:        db " stack: ", 0

%include "lib.inc"

; pmtests: hardware task switching. CALL/JMP to a TSS, CALL through a task gate, IRET through
; the back link (NT), INT n through a task gate, #GP through a task gate (error code on the new
; task's stack), busy bits, CR0.TS, a 16-bit TSS, #TS for a too-small TSS, #TS after the switch
; point (bad DS in the incoming TSS) handled by a #TS task, and a ring-0 stack overflow into a
; not-present page -> #PF -> #PF -> #DF through a task gate.
%include "head.inc"

TSS_A   equ 0x7000
TSS_B   equ 0x7200
TSS_DF  equ 0x7400
TSS_C   equ 0x7600          ; 16-bit TSS
TSS_BAD equ 0x7800
TSS_TS  equ 0x7A00
TSS_G   equ 0x7C00
PD      equ 0x100000
PT      equ 0x101000
HOLE    equ 0x1F000         ; not-present page (stack overflow target)

main:
        ; paging: identity map 0-4 MiB with 4 KiB pages, one hole
        mov edi, PD
        mov ecx, 1024
        xor eax, eax
        rep stosd
        mov dword [PD], PT + 3
        mov edi, PT
        mov eax, 3
        mov ecx, 1024
.pt:
        stosd
        add eax, 0x1000
        loop .pt
        mov dword [PT + (HOLE >> 12) * 4], 0
        mov eax, PD
        mov cr3, eax
        mov [TSS0 + 0x1C], eax      ; the main task's CR3 (loaded when switching back to it)
        mov eax, cr0
        or eax, 0x80000000
        mov cr0, eax

        ; TSS descriptors and gates
        mov eax, 0x40
        mov ebx, TSS_A
        mov ecx, 0x67
        mov edx, 0x0089
        call set_desc
        mov eax, 0x48
        mov ebx, TSS_B
        call set_desc
        mov eax, 0x58
        mov ebx, TSS_DF
        call set_desc
        mov eax, 0x68               ; TSS with limit 0x60 < 0x67
        mov ebx, TSS_BAD
        mov ecx, 0x60
        call set_desc
        mov eax, 0x70
        mov ebx, TSS_BAD
        mov ecx, 0x67
        call set_desc
        mov eax, 0x78
        mov ebx, TSS_TS
        call set_desc
        mov eax, 0x80
        mov ebx, TSS_G
        call set_desc
        mov eax, 0x60               ; 16-bit TSS (type 1)
        mov ebx, TSS_C
        mov ecx, 0x2B
        mov edx, 0x0081
        call set_desc
        mov edi, GDT + 0x50         ; task gate -> TSS_A
        mov ebx, 0x40
        xor ecx, ecx
        mov edx, 0x8500
        call set_gate
        mov edi, IDT + 0x40 * 8     ; INT 0x40 -> task gate -> TSS_A
        call set_gate
        mov edi, IDT + 8 * 8        ; #DF -> task gate -> TSS_DF
        mov ebx, 0x58
        call set_gate

        mov edi, TSS_A
        mov ebx, task_a
        mov ecx, 0xB000
        call init_tss
        mov edi, TSS_B
        mov ebx, task_b
        mov ecx, 0xB800
        call init_tss
        mov edi, TSS_DF
        mov ebx, task_df
        mov ecx, 0xC000
        call init_tss
        mov edi, TSS_TS
        mov ebx, task_ts
        mov ecx, 0xD000
        call init_tss
        mov edi, TSS_G
        mov ebx, task_g
        mov ecx, 0xD800
        call init_tss
        mov edi, TSS_BAD
        mov ebx, task_bad
        mov ecx, 0xE000
        call init_tss
        mov word [TSS_BAD + 0x54], 0x7F8        ; DS: an empty GDT slot (S=0) -> #TS(7F8)
        ; 16-bit TSS for task C
        mov edi, TSS_C
        mov ecx, 0x2C / 4
        xor eax, eax
        rep stosd
        mov word [TSS_C + 0x0E], task_c
        mov word [TSS_C + 0x10], 2
        mov word [TSS_C + 0x1A], 0xC800         ; SP
        mov word [TSS_C + 0x22], SEL_DATA0      ; ES
        mov word [TSS_C + 0x24], SEL_CODE0      ; CS
        mov word [TSS_C + 0x26], SEL_DATA0      ; SS
        mov word [TSS_C + 0x28], SEL_DATA0      ; DS

        mov esi, m_main
        call puts
        call task_state

        ; 1. CALL to a TSS, IRET back through the link
        mov esi, m_t1
        call puts
        mov eax, 0x12345678
        call 0x40:0
        mov esi, m_eax
        call show32
        mov esi, m_back
        call puts
        call task_state

        ; 2. JMP to a TSS, JMP back
        mov esi, m_t2
        call puts
        jmp 0x48:0
        mov esi, m_back
        call puts
        call task_state

        ; 3. CALL through a task gate in the GDT (task A runs again from after its IRET)
        mov esi, m_t3
        call puts
        call 0x50:0
        mov esi, m_back
        call puts
        call task_state

        ; 4. INT n through a task gate
        mov esi, m_t4
        call puts
        int 0x40
        mov esi, m_back
        call puts
        call task_state

        ; 5. 16-bit TSS
        mov esi, m_t5
        call puts
        call 0x60:0
        mov esi, m_back
        call puts
        mov eax, [TSS_C + 0x0E]
        and eax, 0xFFFF
        mov esi, m_savedip
        call show32

        ; 6. JMP to the busy current TSS -> #GP(28); CALL a busy TSS through a gate
        mov esi, m_t6
        call puts
        mov eax, .r6
        call arm
        jmp SEL_TSS0:0
        call nofault
.r6:
        ; 7. TSS limit below 0x67 -> #TS(68)
        mov esi, m_t7
        call puts
        mov eax, .r7
        call arm
        call 0x68:0
        call nofault
.r7:
        ; 8. #GP through a task gate: the error code is on the handler task's stack
        mov esi, m_t8
        call puts
        mov edi, IDT + 13 * 8
        mov ebx, 0x80
        xor ecx, ecx
        mov edx, 0x8500
        call set_gate
        mov [scratch], esp
        mov ax, 0x800
        mov ds, ax
        call nofault
.r8:
        mov ax, SEL_DATA0
        mov ds, ax
        mov eax, 13
        mov ecx, exc13
        mov edx, 0x8E00
        call set_idt
        mov esi, m_back
        call puts
        call task_state

        ; 9. #TS after the switch point, through a #TS task gate
        mov esi, m_t9
        call puts
        mov edi, IDT + 10 * 8
        mov ebx, 0x78
        xor ecx, ecx
        mov edx, 0x8500
        call set_gate
        mov [scratch], esp
        call 0x70:0
        call nofault
.r9:
        mov eax, 10
        mov ecx, exc10
        mov edx, 0x8E00
        call set_idt
        mov esi, m_back
        call puts
        call task_state

        ; 10. ring-0 stack overflow into a not-present page -> #DF through a task gate
        mov esi, m_t10
        call puts
        mov [scratch], esp
        mov esp, HOLE + 0x1000 + 8
        push eax
        push eax
        push eax
        call nofault
.r10:
        mov esi, m_back
        call puts
        call task_state
        jmp finish

; ---- task bodies
task_a:
        mov esi, m_ta
        call puts
        call task_state
        mov eax, 0xA11A
        iretd
        jmp task_a

task_b:
        mov esi, m_tb
        call puts
        call task_state
        jmp SEL_TSS0:0
        jmp task_b

task_c:
        mov esi, m_tc
        call puts
        call task_state
        mov esi, m_fs
        mov ax, fs
        movzx eax, ax
        call show32
        iretd
        jmp task_c

task_g:
        pop eax
        mov esi, m_tg
        call puts
        call puthex32
        call task_state
        mov esi, m_savedeip
        mov eax, [TSS0 + 0x20]
        call show32
        ; resume the main task after the faulting instruction's test
        mov dword [TSS0 + 0x20], main.r8
        mov eax, [scratch]
        mov [TSS0 + 0x38], eax
        iretd
        jmp task_g

task_bad:
        mov esi, m_tbad
        call puts
        iretd

task_ts:
        pop eax
        mov esi, m_tts
        call puts
        call puthex32
        call task_state
        ; (the EIP saved for BAD is not printed: the SDM says the fault happens in the new task,
        ; i.e. at BAD's first instruction, which is what we save; QEMU 7.2 saves the CALL's EIP)
        mov esi, m_badds
        movzx eax, word [TSS_BAD + 0x54]
        call show32
        ; back to main: the chain main -> BAD -> TS is abandoned; free the busy bits by hand
        and byte [GDT + 0x70 + 5], 0xFD
        and byte [GDT + 0x28 + 5], 0xFD
        mov dword [TSS0 + 0x20], main.r9
        mov eax, [scratch]
        mov [TSS0 + 0x38], eax
        jmp SEL_TSS0:0
        jmp task_ts

task_df:
        pop eax
        mov esi, m_tdf
        call puts
        call puthex32
        mov esi, m_cr2
        mov eax, cr2
        call show32
        call task_state
        mov esi, m_savedesp
        mov eax, [TSS0 + 0x38]
        call show32
        mov esi, m_savedeip
        mov eax, [TSS0 + 0x20]
        call show32
        and byte [GDT + 0x28 + 5], 0xFD
        mov dword [TSS0 + 0x20], main.r10
        mov eax, [scratch]
        mov [TSS0 + 0x38], eax
        jmp SEL_TSS0:0
        jmp task_df

; init_tss: edi = 32-bit TSS base, ebx = EIP, ecx = ESP (flat ring-0 segments, current CR3)
init_tss:
        push eax
        push ecx
        push edi
        mov ecx, 0x68 / 4
        xor eax, eax
        rep stosd
        pop edi
        pop ecx
        mov [edi + 0x20], ebx
        mov dword [edi + 0x24], 2
        mov [edi + 0x38], ecx
        mov eax, cr3
        mov [edi + 0x1C], eax
        mov word [edi + 0x48], SEL_DATA0
        mov word [edi + 0x4C], SEL_CODE0
        mov word [edi + 0x50], SEL_DATA0
        mov word [edi + 0x54], SEL_DATA0
        mov word [edi + 0x58], SEL_DATA0
        mov word [edi + 0x5C], SEL_DATA0
        mov word [edi + 0x66], 0x68
        pop eax
        ret

; task_state: prints " TR=.. NT=. link=.. TS=. types=<access bytes of 28 40 48 58 60 70 78 80>\n"
task_state:
        pushad
        mov esi, m_tr
        call puts
        str ax
        movzx ebx, ax
        mov eax, ebx
        call puthex16
        mov esi, m_nt
        call puts
        pushfd
        pop eax
        shr eax, 14
        and eax, 1
        call puthex8
        mov esi, m_link
        call puts
        and ebx, 0xFFF8
        movzx ebx, word [GDT + ebx + 2]
        movzx eax, word [ebx]
        call puthex16
        mov esi, m_ts
        call puts
        mov eax, cr0
        shr eax, 3
        and eax, 1
        call puthex8
        clts
        mov esi, m_types
        call puts
        mov ebx, 0x28
.ty:
        mov al, [GDT + ebx + 5]
        call puthex8
        call space
        add ebx, 8
        cmp ebx, 0x88
        jne .ty
        call newline
        popad
        ret

m_main:         db "main task:", 0
m_t1:           db "1. call 40:0 (TSS A), eax=12345678", 10, 0
m_t2:           db "2. jmp 48:0 (TSS B)", 10, 0
m_t3:           db "3. call 50:0 (task gate -> TSS A)", 10, 0
m_t4:           db "4. int 40 (task gate -> TSS A)", 10, 0
m_t5:           db "5. call 60:0 (16-bit TSS C)", 10, 0
m_t6:           db "6. jmp to the busy current TSS: ", 0
m_t7:           db "7. call a TSS with limit 60: ", 0
m_t8:           db "8. #GP through a task gate (mov ds, 800)", 10, 0
m_t9:           db "9. call 70:0, incoming DS=7F8 invalid, #TS task gate", 10, 0
m_t10:          db "10. ring-0 stack overflow into a not-present page, #DF task gate", 10, 0
m_back:         db "back in main:", 0
m_eax:          db "back in main: eax=", 0
m_ta:           db "  task A:", 0
m_tb:           db "  task B:", 0
m_tc:           db "  task C (16-bit TSS):", 0
m_tg:           db "  #GP task: error code=", 0
m_tts:          db "  #TS task: error code=", 0
m_tdf:          db "  #DF task: error code=", 0
m_tbad:         db "  task BAD ran (wrong)", 10, 0
m_fs:           db "  task C FS=", 0
m_savedip:      db "task C saved IP=", 0
m_savedeip:     db "  main saved EIP=", 0
m_savedesp:     db "  main saved ESP=", 0
m_badeip:       db "  BAD saved EIP=", 0
m_badds:        db "  BAD saved DS=", 0
m_cr2:          db " CR2=", 0
m_tr:           db " TR=", 0
m_nt:           db " NT=", 0
m_link:         db " link=", 0
m_ts:           db " TS=", 0
m_types:        db " types=", 0

%include "lib.inc"

; pmtests: paging. 4 KiB pages and 4 MiB pages (CR4.PSE), accessed/dirty bits read back from
; the tables, CR0.WP, U/S and R/W violations from ring 0 and ring 3 with the #PF error code and
; CR2, not-present pages, INVLPG, CR3 reload, global pages (CR4.PGE) flushed by toggling PGE.
; Only architecturally defined TLB behaviour is observed (no reads through stale entries).
%include "head.inc"

PD      equ 0x100000
PT      equ 0x101000
ESP0    equ 0x8800

main:
        mov dword [TSS0 + 4], ESP0
        mov eax, 0x31
        mov ecx, to_kernel
        mov edx, 0xEE00
        call set_idt
        ; page directory: PDE0 -> PT (user, RW); PDE1 4 MiB -> phys 0xC00000; PDE3 4 MiB identity
        mov edi, PD
        mov ecx, 1024
        xor eax, eax
        rep stosd
        mov dword [PD + 0], PT + 7
        mov dword [PD + 4], 0xC00000 + 0x83
        mov dword [PD + 12], 0xC00000 + 0x83
        ; PT: identity, supervisor RW; ROM and the ring-3 stack page user
        mov edi, PT
        mov eax, 3
        mov ecx, 1024
.pt:
        stosd
        add eax, 0x1000
        loop .pt
        mov ebx, 0xF0
.rom:
        or dword [PT + ebx * 4], 4
        inc ebx
        cmp ebx, 0x100
        jne .rom
        or dword [PT + 9 * 4], 4                    ; 0x9000: ring-3 stack
        mov dword [PT + 0x200 * 4], 0x200000 + 5    ; user, read-only
        mov dword [PT + 0x201 * 4], 0x201000 + 3    ; supervisor, RW
        mov dword [PT + 0x202 * 4], 0               ; not present
        mov dword [PT + 0x203 * 4], 0x203000 + 7    ; user, RW
        mov dword [PT + 0x204 * 4], 0x204000 + 1    ; supervisor, read-only
        mov dword [PT + 0x205 * 4], 0x300000 + 3    ; remapped by the INVLPG test
        mov dword [0x300000], 0x11111111
        mov dword [0x301000], 0x22222222
        mov eax, cr4
        or eax, 0x10                                ; PSE
        mov cr4, eax
        mov eax, PD
        mov cr3, eax
        mov eax, cr0
        or eax, 0x80000000
        mov cr0, eax
        mov esi, m_on
        mov eax, cr0
        call show32

        ; A/D bits, 4 KiB page
        mov esi, m_pte0
        mov eax, [PT + 0x201 * 4]
        call show32
        mov eax, [0x201000]
        mov esi, m_pter
        mov eax, [PT + 0x201 * 4]
        call show32
        mov dword [0x201000], 5
        mov esi, m_ptew
        mov eax, [PT + 0x201 * 4]
        call show32
        mov esi, m_pde0
        mov eax, [PD]
        call show32
        ; 4 MiB page
        mov dword [0x400010], 0xCAFEBABE
        mov esi, m_big
        mov eax, [0xC00010]
        call show32
        mov esi, m_bigpde
        mov eax, [PD + 4]
        call show32

        ; CR0.WP
        mov esi, t1
        call puts
        mov eax, .r1
        call arm
        mov dword [0x200000], 1
        call nofault
.r1:
        mov eax, cr0
        or eax, 0x10000
        mov cr0, eax
        mov esi, t2
        call puts
        mov eax, .r2
        call arm
        mov dword [0x200000], 2
        call nofault
.r2:
        mov esi, t3
        call puts
        mov eax, .r3
        call arm
        mov byte [0x204abc], 2
        call nofault
.r3:
        mov esi, t4
        call puts
        mov eax, .r4
        call arm
        mov eax, [0x202004]
        call nofault
.r4:
        mov esi, t5
        call puts
        mov eax, .r5
        call arm
        mov [0x202ff0], ax
        call nofault
.r5:
        ; ring 3
        mov esi, t6
        call puts
        mov eax, .r6
        call arm
        mov eax, r3_sup
        jmp enter3
.r6:
        mov esi, t7
        call puts
        mov eax, .r7
        call arm
        mov eax, r3_ro
        jmp enter3
.r7:
        mov esi, t8
        call puts
        mov eax, .r8
        call arm
        mov eax, r3_np
        jmp enter3
.r8:
        mov esi, t9
        call puts
        mov eax, .r9
        call arm
        mov eax, r3_ok
        jmp enter3
.r9:
        mov esi, m_pte3
        mov eax, [PT + 0x203 * 4]
        call show32
        mov esi, m_pte0r
        mov eax, [PT + 0x200 * 4]
        call show32

        ; INVLPG and CR3 reload
        mov esi, m_map1
        mov eax, [0x205000]
        call show32
        mov dword [PT + 0x205 * 4], 0x301000 + 3
        invlpg [0x205000]
        mov esi, m_invlpg
        mov eax, [0x205000]
        call show32
        mov dword [PT + 0x205 * 4], 0x300000 + 3
        mov eax, cr3
        mov cr3, eax
        mov esi, m_cr3
        mov eax, [0x205000]
        call show32
        ; global page: flushed by INVLPG and by clearing CR4.PGE
        mov eax, cr4
        or eax, 0x80
        mov cr4, eax
        mov dword [PT + 0x206 * 4], 0x300000 + 0x103
        mov eax, cr3
        mov cr3, eax
        mov esi, m_g1
        mov eax, [0x206000]
        call show32
        mov dword [PT + 0x206 * 4], 0x301000 + 0x103
        invlpg [0x206000]
        mov esi, m_g2
        mov eax, [0x206000]
        call show32
        mov dword [PT + 0x206 * 4], 0x300000 + 0x103
        mov eax, cr4
        and eax, ~0x80
        mov cr4, eax
        mov esi, m_g3
        mov eax, [0x206000]
        call show32
        jmp finish

enter3:
        push dword SEL_DATA3
        push dword STACK3
        push dword 0x0002
        push dword SEL_CODE3
        push eax
        iretd
to_kernel:
        mov ax, SEL_DATA0
        mov ds, ax
        mov es, ax
        mov fs, ax
        mov gs, ax
        mov esp, [resume_esp]
        jmp dword [resume_eip]

r3_sup:
        mov ax, SEL_DATA3
        mov ds, ax
        mov eax, [0x201008]
        int 0x31
r3_ro:
        mov ax, SEL_DATA3
        mov ds, ax
        mov eax, [0x200000]
        mov [0x200100], eax
        int 0x31
r3_np:
        mov ax, SEL_DATA3
        mov ds, ax
        mov eax, [0x202000]
        int 0x31
r3_ok:
        mov ax, SEL_DATA3
        mov ds, ax
        mov eax, [0x200000]
        mov dword [0x203010], 7
        mov esi, m_r3ok
        int 0x31

m_on:           db "CR0 with paging=", 0
m_pte0:         db "PTE 201000 before=", 0
m_pter:         db "PTE 201000 after read=", 0
m_ptew:         db "PTE 201000 after write=", 0
m_pde0:         db "PDE 0=", 0
m_big:          db "4 MiB page: phys C00010=", 0
m_bigpde:       db "PDE 1 (4 MiB) after write=", 0
t1:             db "supervisor write to user read-only page, WP=0: ", 0
t2:             db "same with WP=1: ", 0
t3:             db "supervisor write to supervisor read-only page, WP=1: ", 0
t4:             db "read of a not-present page: ", 0
t5:             db "write of a not-present page: ", 0
t6:             db "ring 3 read of a supervisor page: ", 0
t7:             db "ring 3 write to a user read-only page: ", 0
t8:             db "ring 3 read of a not-present page: ", 0
t9:             db "ring 3 read RO + write RW user pages: ", 0
m_r3ok:         db "", 0
m_pte3:         db "ok; PTE 203000=", 0
m_pte0r:        db "PTE 200000=", 0
m_map1:         db "205000 -> 300000: ", 0
m_invlpg:       db "remapped to 301000, after invlpg: ", 0
m_cr3:          db "remapped to 300000, after CR3 reload: ", 0
m_g1:           db "global 206000 -> 300000: ", 0
m_g2:           db "global remapped to 301000, after invlpg: ", 0
m_g3:           db "global remapped to 300000, after clearing CR4.PGE: ", 0

%include "lib.inc"

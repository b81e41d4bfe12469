; Tandem built-in guest "hello": a 64 KiB firmware-style ROM image.
;
; Layout: the image is mapped at physical 0xF0000 (and aliased at 0xFFFF0000). The CPU starts
; at F000:FFF0 with CS base 0xFFFF0000, i.e. at offset 0xFFF0 of this image, where a far jump
; reloads CS with 0xF000 (base 0xF0000).
;
; What it does:
;   1. real mode: sets up a stack, initialises COM1 (115200 8N1), prints a banner;
;   2. loads a flat GDT and switches to 32-bit protected mode;
;   3. fills 64 KiB of RAM at 0x10000 with a linear congruential sequence
;      (x = x * 1103515245 + 12345, byte = bits 16..23 of x, seed 12345678),
;      builds a CRC-32 table at 0x20000 and prints the CRC-32 of the buffer;
;   4. sieves the primes below 65536 in a byte array at 0x30000 and prints their count,
;      the 1000th prime, the largest one and their sum;
;   5. prints a final line, writes 0 to port 0xF4 (QEMU isa-debug-exit), then cli; hlt.
;
; Every output byte goes to the debug console (port 0xE9) and to COM1 (0x3F8). Before each
; COM1 byte the line status register (0x3FD) bit 5 is polled a bounded number of times, so the
; program also works without a UART (an unmapped port reads 0xFF).
;
; The expected output is computed independently in dev.tandem.core.guests.BuiltinGuests.

        bits 16
        org 0

ROMBASE         equ 0xF0000         ; physical/linear address of offset 0 of this image
STACK16         equ 0x7000
STACK32         equ 0x80000
BUF             equ 0x10000         ; 64 KiB generated data
BUF_LEN         equ 0x10000
CRCTAB          equ 0x20000         ; 256 dwords
SIEVE           equ 0x30000         ; one byte per number, 0 = prime
SIEVE_LEN       equ 65536
SEED            equ 12345678
VARS            equ 0x500           ; result variables in RAM
V_CRC           equ VARS + 0
V_COUNT         equ VARS + 4
V_NTH           equ VARS + 8
V_LARGEST       equ VARS + 12
V_SUM           equ VARS + 16
NTH             equ 1000
COM1            equ 0x3F8
DEBUGCON        equ 0xE9
EXIT_PORT       equ 0xF4
POLL_LIMIT      equ 10000

; ---------------------------------------------------------------------------------------------
; 16-bit real-mode part
; ---------------------------------------------------------------------------------------------
start16:
        cli
        cld
        xor ax, ax
        mov ss, ax
        mov sp, STACK16
        mov ax, cs
        mov ds, ax                  ; DS = F000: strings and the GDT descriptor live in the ROM

        ; COM1: DLAB=1, divisor 1 (115200 baud), 8N1, no interrupts
        mov dx, COM1 + 3
        mov al, 0x80
        out dx, al
        mov dx, COM1
        mov al, 1
        out dx, al
        inc dx
        xor al, al
        out dx, al
        mov dx, COM1 + 3
        mov al, 0x03
        out dx, al
        mov dx, COM1 + 1
        xor al, al
        out dx, al

        mov si, msg_banner
        call puts16
        mov si, msg_real
        call puts16

        o32 lgdt [gdt_desc]
        mov eax, cr0
        or al, 1
        mov cr0, eax
        jmp dword 0x08:(ROMBASE + pm_entry)

; print the NUL-terminated string at ds:si
puts16:
        push ax
.next:
        lodsb
        test al, al
        jz .done
        call putc16
        jmp .next
.done:
        pop ax
        ret

; write al to the debug console and to COM1
putc16:
        push cx
        push dx
        push ax
        out DEBUGCON, al
        mov dx, COM1 + 5
        mov cx, POLL_LIMIT
.wait:
        in al, dx
        test al, 0x20
        jnz .ready
        loop .wait
.ready:
        pop ax
        mov dx, COM1
        out dx, al
        pop dx
        pop cx
        ret

; ---------------------------------------------------------------------------------------------
; 32-bit protected-mode part (flat segments, code runs at ROMBASE + offset)
; ---------------------------------------------------------------------------------------------
        bits 32
pm_entry:
        mov ax, 0x10
        mov ds, ax
        mov es, ax
        mov ss, ax
        mov fs, ax
        mov gs, ax
        mov esp, STACK32

        mov esi, ROMBASE + msg_pm
        call puts32

        ; --- fill the buffer with the LCG sequence
        mov edi, BUF
        mov ecx, BUF_LEN
        mov eax, SEED
.gen:
        imul eax, eax, 1103515245
        add eax, 12345
        mov edx, eax
        shr edx, 16
        mov [edi], dl
        inc edi
        dec ecx
        jnz .gen

        ; --- CRC-32 table (reflected polynomial 0xEDB88320)
        xor ecx, ecx
.tbl:
        mov eax, ecx
        mov edx, 8
.bit:
        shr eax, 1
        jnc .nox
        xor eax, 0xEDB88320
.nox:
        dec edx
        jnz .bit
        mov [CRCTAB + ecx*4], eax
        inc ecx
        cmp ecx, 256
        jne .tbl

        ; --- CRC-32 of the buffer
        mov eax, 0xFFFFFFFF
        mov esi, BUF
        mov ecx, BUF_LEN
.crc:
        movzx edx, byte [esi]
        xor dl, al
        shr eax, 8
        xor eax, [CRCTAB + edx*4]
        inc esi
        loop .crc
        not eax
        mov [V_CRC], eax

        mov esi, ROMBASE + msg_crc
        call puts32
        mov eax, [V_CRC]
        call print_hex32
        call newline

        ; --- sieve of Eratosthenes below SIEVE_LEN
        mov edi, SIEVE
        mov ecx, SIEVE_LEN / 4
        xor eax, eax
        rep stosd
        mov byte [SIEVE + 0], 1
        mov byte [SIEVE + 1], 1
        mov ebx, 2
.sv:
        mov eax, ebx
        imul eax, ebx
        cmp eax, SIEVE_LEN
        jae .svdone
        cmp byte [SIEVE + ebx], 0
        jne .svnext
.mark:
        mov byte [SIEVE + eax], 1
        add eax, ebx
        cmp eax, SIEVE_LEN
        jb .mark
.svnext:
        inc ebx
        jmp .sv
.svdone:
        ; count, sum, NTH-th and largest prime
        xor ecx, ecx
        xor ebp, ebp
        xor edi, edi
        xor edx, edx
        mov ebx, 2
.cnt:
        cmp byte [SIEVE + ebx], 0
        jne .notprime
        inc ecx
        add ebp, ebx
        mov edx, ebx
        cmp ecx, NTH
        jne .notprime
        mov edi, ebx
.notprime:
        inc ebx
        cmp ebx, SIEVE_LEN
        jb .cnt
        mov [V_COUNT], ecx
        mov [V_NTH], edi
        mov [V_LARGEST], edx
        mov [V_SUM], ebp

        mov esi, ROMBASE + msg_count
        call puts32
        mov eax, [V_COUNT]
        call print_dec32
        call newline
        mov esi, ROMBASE + msg_nth
        call puts32
        mov eax, [V_NTH]
        call print_dec32
        call newline
        mov esi, ROMBASE + msg_largest
        call puts32
        mov eax, [V_LARGEST]
        call print_dec32
        call newline
        mov esi, ROMBASE + msg_sum
        call puts32
        mov eax, [V_SUM]
        call print_dec32
        mov esi, ROMBASE + msg_hexopen
        call puts32
        mov eax, [V_SUM]
        call print_hex32
        mov al, ')'
        call putc32
        call newline

        mov esi, ROMBASE + msg_done
        call puts32

        xor al, al
        out EXIT_PORT, al           ; QEMU isa-debug-exit; ignored elsewhere
        cli
        hlt
        jmp $ - 1                   ; not reached: halt again if woken

; print the NUL-terminated string at esi
puts32:
        push eax
        push esi
.next:
        lodsb
        test al, al
        jz .done
        call putc32
        jmp .next
.done:
        pop esi
        pop eax
        ret

newline:
        push eax
        mov al, 10
        call putc32
        pop eax
        ret

; write al to the debug console and to COM1
putc32:
        push ecx
        push edx
        push eax
        out DEBUGCON, al
        mov dx, COM1 + 5
        mov ecx, POLL_LIMIT
.wait:
        in al, dx
        test al, 0x20
        jnz .ready
        dec ecx
        jnz .wait
.ready:
        pop eax
        mov dx, COM1
        out dx, al
        pop edx
        pop ecx
        ret

; print eax as 8 upper-case hex digits
print_hex32:
        push eax
        push ecx
        push edx
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
        call putc32
        dec ecx
        jnz .digit
        pop edx
        pop ecx
        pop eax
        ret

; print eax as an unsigned decimal number
print_dec32:
        push eax
        push ebx
        push ecx
        push edx
        mov ebx, 10
        xor ecx, ecx
.div:
        xor edx, edx
        div ebx
        push edx
        inc ecx
        test eax, eax
        jnz .div
.out:
        pop eax
        add al, '0'
        call putc32
        loop .out
        pop edx
        pop ecx
        pop ebx
        pop eax
        ret

; ---------------------------------------------------------------------------------------------
; data
; ---------------------------------------------------------------------------------------------
msg_banner:     db "Tandem built-in guest: hello", 10, 0
msg_real:       db "Real mode: OK", 10, 0
msg_pm:         db "Protected mode: OK", 10, 0
msg_crc:        db "CRC-32 of 64 KiB at 0x10000: 0x", 0
msg_count:      db "Primes below 65536: ", 0
msg_nth:        db "Prime number 1000: ", 0
msg_largest:    db "Largest prime below 65536: ", 0
msg_sum:        db "Sum of primes below 65536: ", 0
msg_hexopen:    db " (0x", 0
msg_done:       db "Done.", 10, 0

        align 8
gdt:
        dq 0                                    ; null descriptor
        dw 0xFFFF, 0x0000, 0x9A00, 0x00CF       ; 0x08: code, base 0, limit 4 GiB, 32-bit
        dw 0xFFFF, 0x0000, 0x9200, 0x00CF       ; 0x10: data, base 0, limit 4 GiB
gdt_end:
gdt_desc:
        dw gdt_end - gdt - 1
        dd ROMBASE + gdt

; ---------------------------------------------------------------------------------------------
; reset vector at offset 0xFFF0 (linear 0xFFFFFFF0 at power-on)
; ---------------------------------------------------------------------------------------------
        times 0xFFF0 - ($ - $$) db 0xFF
        bits 16
reset_vector:
        jmp 0xF000:start16
        times 0x10000 - ($ - $$) db 0xFF

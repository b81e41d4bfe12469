; Tandem built-in guest "echo": a console workload for replication and console tests.
;
; Same ROM layout as hello.asm (64 KiB, mapped at 0xF0000 and aliased at 0xFFFF0000). It
; switches to 32-bit flat protected mode, sets COM1 to 115200 8N1 with FIFOs and no interrupts,
; prints a banner line, and then loops forever:
;   - it polls COM1's line status DELAY times; every received byte is added to a line buffer,
;     and CR or LF ends the line, which is printed back as "E <line>\r\n" (empty lines are not);
;   - then it increments a 32-bit counter and prints "C <counter in decimal>\r\n".
; So the output is a gap-free sequence of counter lines with every typed line echoed once
; between them; a replicated console can be checked for gaps, duplicates and exactly-once input.
; The line "halt" is echoed and then stops the guest (cli; hlt). Lines longer than 250 bytes are
; cut. All output goes to COM1 only.

        bits 16
        org 0

ROMBASE         equ 0xF0000
STACK32         equ 0x80000
COM1            equ 0x3F8
VARS            equ 0x1000          ; counter (dword), line length (dword), line buffer at +16
DELAY           equ 200000          ; status polls between counter lines (~7 instructions each)
MAXLINE         equ 250

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

        mov dx, COM1 + 3
        mov al, 0x80
        out dx, al                  ; DLAB = 1
        mov dx, COM1
        mov al, 1
        out dx, al                  ; divisor 1: 115200 baud
        mov dx, COM1 + 1
        xor al, al
        out dx, al
        mov dx, COM1 + 3
        mov al, 0x03
        out dx, al                  ; 8N1, DLAB = 0
        mov dx, COM1 + 2
        mov al, 0x07
        out dx, al                  ; FIFOs on and cleared
        mov dx, COM1 + 1
        xor al, al
        out dx, al                  ; no interrupts

        mov dword [VARS], 0
        mov dword [VARS + 4], 0
        mov esi, ROMBASE + msg_banner
        call puts

main:
        mov ecx, DELAY
.poll:
        mov dx, COM1 + 5
        in al, dx
        test al, 1
        jz .none
        mov dx, COM1
        in al, dx
        call got_char
.none:
        dec ecx
        jnz .poll
        inc dword [VARS]
        mov al, 'C'
        call putc
        mov al, ' '
        call putc
        mov eax, [VARS]
        call print_dec
        call crlf
        jmp main

; a received byte in al
got_char:
        cmp al, 13
        je .eol
        cmp al, 10
        je .eol
        mov ebx, [VARS + 4]
        cmp ebx, MAXLINE
        jae .done
        mov [VARS + 16 + ebx], al
        inc ebx
        mov [VARS + 4], ebx
.done:
        ret
.eol:
        mov ebx, [VARS + 4]
        test ebx, ebx
        jz .done
        push ecx
        mov al, 'E'
        call putc
        mov al, ' '
        call putc
        xor ecx, ecx
.echo:
        mov al, [VARS + 16 + ecx]
        call putc
        inc ecx
        cmp ecx, ebx
        jne .echo
        call crlf
        mov dword [VARS + 4], 0
        pop ecx
        ; the line "halt" stops the guest (cli; hlt: the machine ends with HALTED)
        cmp ebx, 4
        jne .done
        cmp dword [VARS + 16], 0x746C6168   ; "halt" (little-endian)
        jne .done
        cli
        hlt
        jmp $ - 1

crlf:
        mov al, 13
        call putc
        mov al, 10
        call putc
        ret

; al to COM1 once the transmitter holding register is empty
putc:
        push edx
        push eax
        mov dx, COM1 + 5
.wait:
        in al, dx
        test al, 0x20
        jz .wait
        pop eax
        mov dx, COM1
        out dx, al
        pop edx
        ret

; the NUL-terminated string at esi
puts:
        lodsb
        test al, al
        jz .end
        call putc
        jmp puts
.end:
        ret

; eax as an unsigned decimal number
print_dec:
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
        call putc
        dec ecx
        jnz .out
        pop edx
        pop ecx
        pop ebx
        ret

msg_banner:
        db "Tandem built-in guest: echo", 13, 10, 0

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

; Test ROM for the interactive console (ConsolePtyTest): prints "ECHO-ROM READY", then polls COM1
; and prints every received byte as [XX] (hex), so the test sees exactly which bytes reached the
; guest and that the terminal did not echo them itself. A running sum of the received bytes is
; kept in EBX and at 0000:0500 (so it is part of the state hash and of snapshots).
; 'Q' prints "ECHO-ROM BYE" and halts with interrupts off (the run ends: guest halted);
; 'T' loads an empty IDT and raises INT 3 (the run ends: triple fault).
; 'I' waits with interrupts on and no timer armed (the machine is idle for ever; the run waits for input).

        bits 16
        org 0

COM1    equ 0x3F8

start16:
        cli
        cld
        xor ax, ax
        mov ss, ax
        mov sp, 0x7000
        mov es, ax
        mov ax, cs
        mov ds, ax
        mov dx, COM1 + 3            ; 8 data bits, no parity, 1 stop bit (LCR resets to 5 bits)
        mov al, 0x03
        out dx, al
        xor ebx, ebx
        mov si, banner
        call puts
main:
        mov dx, COM1 + 5
        in al, dx
        test al, 1
        jz main
        mov dx, COM1
        in al, dx
        movzx ecx, al
        add ebx, ecx
        mov [es:0x500], ebx
        cmp al, 'Q'
        je quit
        cmp al, 'T'
        je triple
        cmp al, 'I'
        je idle
        mov ah, al
        mov al, '['
        call putc
        mov al, ah
        shr al, 4
        call hexdigit
        mov al, ah
        and al, 0x0F
        call hexdigit
        mov al, ']'
        call putc
        jmp main

hexdigit:
        add al, '0'
        cmp al, '9'
        jbe putc
        add al, 7
putc:
        push dx
        push ax
.wait:
        mov dx, COM1 + 5
        in al, dx
        test al, 0x20
        jz .wait
        pop ax
        mov dx, COM1
        out dx, al
        pop dx
        ret

puts:
        lodsb
        test al, al
        jz .done
        call putc
        jmp puts
.done:
        ret

quit:
        mov si, bye
        call puts
        cli
        hlt

idle:
        mov si, idling
        call puts
        sti
.again:
        hlt
        jmp .again

triple:
        lidt [zero_idt]
        int 3
        hlt

zero_idt:
        dw 0, 0, 0
banner:
        db "ECHO-ROM READY", 13, 10, 0
bye:
        db "ECHO-ROM BYE", 13, 10, 0
idling:
        db "ECHO-ROM IDLE", 13, 10, 0

        times 0xFFF0 - ($ - $$) db 0
        jmp 0xF000:start16
        times 0x10000 - ($ - $$) db 0

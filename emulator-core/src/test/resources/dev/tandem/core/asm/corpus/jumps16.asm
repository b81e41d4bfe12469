; jumps, calls, loops and conditional branches in 16-bit code
bits 16
org 0x7c00
start:
    jmp short start
    jmp start
    jmp near start
    jmp fwd1
    jz start
    jnz fwd1
    call func
    call start
    jcxz start
    jecxz start
    loop start
    loope start
    loopz start
    loopne start
    loopnz start
fwd1:
    ja .far_target
    jb .far_target
    jmp .far_target
    jg near .near_local
.near_local:
    times 125 nop
    jmp .near_local            ; exactly at the rel8 limit
    jmp fwd1
    times 200 nop
.far_target:
    jo start
    jno start
    jc start
    jnc start
    jae start
    jnae start
    je start
    jne start
    jbe start
    jna start
    jnbe start
    js start
    jns start
    jp start
    jpe start
    jnp start
    jpo start
    jl start
    jnge start
    jge start
    jnl start
    jle start
    jng start
    jnle start
func:
    ret
    jmp $
    jmp $+2
    jmp $$
    jmp 0x7c00
    jmp dword fwd2
    call dword fwd2
fwd2:
    jmp edge
    times 127 db 0x90
edge:
    jmp edge2
    times 128 db 0x90
edge2:
    jz edge3
    times 127 db 0x90
edge3:
    jz edge4
    times 128 db 0x90
edge4:
    times 10 jmp edge4
chain1: jmp chain3
    times 60 nop
chain2: jmp chain4
    times 60 nop
chain3: jmp chain1
    times 60 nop
chain4: jmp chain2

/*
 * Tandem differential tester: native execution core (i386, GNU as, AT&T syntax).
 *
 * run_native() loads the guest-visible state from in_frame (popal layout followed by
 * EFLAGS), switches to test_esp and jumps to the instruction copied at *code_entry.
 * The instruction bytes are followed by a "jmp return_stub", which stores the state
 * into out_frame (same layout) and returns 0 to C. If the instruction faults, the C
 * signal handler records the state from the ucontext and resumes at fault_stub,
 * which returns 1.
 */
        .section .note.GNU-stack,"",@progbits
        .text

        .globl  _start
_start:
        xor     %ebp, %ebp
        and     $-16, %esp
        call    harness_main
        mov     %eax, %ebx
        mov     $1, %eax                /* exit */
        int     $0x80
        hlt

        .globl  run_native
run_native:
        push    %ebp
        push    %ebx
        push    %esi
        push    %edi
        mov     %esp, saved_esp
        mov     $in_frame, %esp
        popal                           /* EDI ESI EBP (skip) EBX EDX ECX EAX */
        popfl
        mov     test_esp, %esp
        jmp     *code_entry

        .globl  return_stub
return_stub:
        mov     %esp, out_esp
        mov     $out_frame + 36, %esp
        pushfl
        pushal
        mov     saved_esp, %esp
        cld
        pop     %edi
        pop     %esi
        pop     %ebx
        pop     %ebp
        xor     %eax, %eax
        ret

        .globl  fault_stub
fault_stub:
        mov     saved_esp, %esp
        cld
        pop     %edi
        pop     %esi
        pop     %ebx
        pop     %ebp
        mov     $1, %eax
        ret

        .globl  sig_restorer
sig_restorer:
        mov     $173, %eax              /* rt_sigreturn */
        int     $0x80
        hlt

        .bss
        .align  16
        .globl  in_frame, out_frame, saved_esp, test_esp, code_entry, out_esp
in_frame:       .space  36
out_frame:      .space  36
saved_esp:      .space  4
test_esp:       .space  4
code_entry:     .space  4
out_esp:        .space  4

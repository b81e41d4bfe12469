/*
 * Tandem differential tester: native side (freestanding i386 Linux, raw int 0x80).
 *
 * Protocol (all little-endian), repeated until EOF on stdin:
 *   request:  u32 count, then count input records of IN_SIZE bytes
 *   response: count output records of OUT_SIZE bytes
 * Input record:
 *   u32 regs[8] (EAX..EDI; ESP is ignored, it always starts at STACK_TOP)
 *   u32 eflags  (only CF PF AF ZF SF DF OF are taken)
 *   u32 relmask (bit r set: regs[r] is an offset into the scratch block, SCRATCH_BASE is added;
 *                bit 8+r set: the final regs[r] is reported minus SCRATCH_BASE. Bit 4 (ESP) makes
 *                ESP start at SCRATCH_BASE + regs[4] and be reported relative to SCRATCH_BASE)
 *   u32 len     (instruction length, 1..15)
 *   u32 layout  (0: scratch block at SCRATCH_BASE inside a mapped page; 1: fault layout, the block
 *                is the last 256 bytes of a read/write page at FAULT_BASE, the page after it is
 *                unmapped (guard) and the page after that is mapped read-only. Every relative
 *                register/ESP/fault address is then relative to FAULT_BASE.)
 *   u8  code[16]
 *   u8  scratch[256]
 * Output record:
 *   u32 status  (0 = completed, otherwise the signal number)
 *   u32 regs[8] (relmask bit 8+r registers have SCRATCH_BASE subtracted; ESP has STACK_TOP
 *                subtracted, or SCRATCH_BASE with relmask bit 4)
 *   u32 eflags
 *   u32 fault_addr (si_addr for SIGSEGV/SIGBUS minus the layout's scratch base, 0 otherwise)
 *   u32 fault_eip  (EIP at the fault minus the start of the instruction)
 *   u32 trapno     (the ucontext's trap number: 14 page fault, 13 #GP, 0 #DE...; 0 when completed)
 *   u32 err        (the ucontext's error code: for a page fault the hardware error code, bits
 *                   P=1 W/R=2 U/S=4; 0 when completed)
 *   u8  scratch[256]
 */
typedef unsigned int u32;
typedef unsigned char u8;

#define SCRATCH_BASE 0x10000000u
#define SCRATCH_SIZE 256
#define STACK_AREA   0x10100000u
#define STACK_SIZE   0x10000u
#define STACK_TOP    (STACK_AREA + STACK_SIZE - 0x100u)
#define CODE_BASE    0x20000000u
#define ALT_STACK    0x10200000u
#define ALT_SIZE     0x10000u
#define FAULT_PAGE   0x10400000u
#define FAULT_BASE   (FAULT_PAGE + 0x1000u - SCRATCH_SIZE)
#define GUARD_PAGE   (FAULT_PAGE + 0x1000u)
#define RO_PAGE      (FAULT_PAGE + 0x2000u)

#define IN_SIZE  (4 * 8 + 4 + 4 + 4 + 4 + 16 + SCRATCH_SIZE)
#define OUT_SIZE (4 + 4 * 8 + 4 + 4 + 4 + 4 + 4 + SCRATCH_SIZE)
#define MAX_BATCH 8192

extern u32 in_frame[9], out_frame[9], saved_esp, test_esp, code_entry, out_esp;
extern int run_native(void);
extern void return_stub(void), fault_stub(void), sig_restorer(void);

static u8 inbuf[MAX_BATCH * IN_SIZE];
static u8 outbuf[MAX_BATCH * OUT_SIZE];

static volatile u32 fault_sig, fault_addr, fault_eip, fault_trapno, fault_err, fault_regs[9];

static inline int sys1(int n, u32 a) {
    int r;
    __asm__ volatile("int $0x80" : "=a"(r) : "0"(n), "b"(a) : "memory");
    return r;
}
static inline int sys3(int n, u32 a, u32 b, u32 c) {
    int r;
    __asm__ volatile("int $0x80" : "=a"(r) : "0"(n), "b"(a), "c"(b), "d"(c) : "memory");
    return r;
}
static inline int sys4(int n, u32 a, u32 b, u32 c, u32 d) {
    int r;
    __asm__ volatile("int $0x80" : "=a"(r) : "0"(n), "b"(a), "c"(b), "d"(c), "S"(d) : "memory");
    return r;
}

/* The compiler may emit calls to these even with -nostdlib. */
__attribute__((optimize("no-tree-loop-distribute-patterns")))
void *memcpy(void *d, const void *s, unsigned n) {
    u8 *dd = d; const u8 *ss = s;
    while (n--) *dd++ = *ss++;
    return d;
}
__attribute__((optimize("no-tree-loop-distribute-patterns")))
void *memset(void *d, int c, unsigned n) {
    u8 *dd = d;
    while (n--) *dd++ = (u8)c;
    return d;
}

static void die(const char *msg) {
    unsigned n = 0;
    while (msg[n]) n++;
    sys3(4, 2, (u32)msg, n);
    sys1(1, 111);
}

static void map_fixed(u32 addr, u32 len, u32 prot) {
    u32 args[6] = { addr, len, prot, 0x32 /* MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED */, (u32)-1, 0 };
    int r = sys1(90, (u32)args); /* old_mmap */
    if ((u32)r != addr) die("harness: mmap failed\n");
}

static int read_full(u8 *p, u32 n) {
    u32 got = 0;
    while (got < n) {
        int r = sys3(3, 0, (u32)(p + got), n - got);
        if (r == -4) continue; /* EINTR */
        if (r <= 0) return got == 0 && r == 0 ? 0 : -1;
        got += (u32)r;
    }
    return 1;
}

static void write_full(const u8 *p, u32 n) {
    while (n > 0) {
        int r = sys3(4, 1, (u32)p, n);
        if (r == -4) continue;
        if (r <= 0) die("harness: write failed\n");
        p += r;
        n -= (u32)r;
    }
}

/* i386 ucontext: uc_flags, uc_link, uc_stack(3 words), then gregs[19]. */
enum { G_EDI = 4, G_ESI, G_EBP, G_ESP, G_EBX, G_EDX, G_ECX, G_EAX, G_TRAPNO, G_ERR, G_EIP, G_CS, G_EFL };

static void on_signal(int sig, u32 *info, u32 *uc) {
    u32 *g = uc + 5;
    fault_sig = (u32)sig;
    fault_addr = (sig == 11 || sig == 7) ? info[3] : 0;
    fault_eip = g[G_EIP] - CODE_BASE;
    fault_trapno = g[G_TRAPNO];
    fault_err = g[G_ERR];
    /* popal order: EDI ESI EBP ESP EBX EDX ECX EAX, then EFLAGS */
    fault_regs[0] = g[G_EDI];
    fault_regs[1] = g[G_ESI];
    fault_regs[2] = g[G_EBP];
    fault_regs[3] = g[G_ESP];
    fault_regs[4] = g[G_EBX];
    fault_regs[5] = g[G_EDX];
    fault_regs[6] = g[G_ECX];
    fault_regs[7] = g[G_EAX];
    fault_regs[8] = g[G_EFL];
    g[G_EIP] = (u32)fault_stub;
    g[G_EFL] &= ~0x400u;
}

static void install(int sig) {
    u32 act[5];
    act[0] = (u32)on_signal;
    act[1] = 0x04000000u | 0x08000000u | 0x4u; /* SA_RESTORER | SA_ONSTACK | SA_SIGINFO */
    act[2] = (u32)sig_restorer;
    act[3] = 0;
    act[4] = 0;
    if (sys4(174, (u32)sig, (u32)act, 0, 8) != 0) die("harness: rt_sigaction failed\n");
}

static inline u32 get32(const u8 *p) { return p[0] | p[1] << 8 | p[2] << 16 | (u32)p[3] << 24; }
static inline void put32(u8 *p, u32 v) { p[0] = v; p[1] = v >> 8; p[2] = v >> 16; p[3] = v >> 24; }

/* Map register index (EAX..EDI) to the popal frame slot. */
static const int slot_of[8] = { 7, 6, 5, 4, 3, 2, 1, 0 };

static void run_one(const u8 *in, u8 *out) {
    u32 regs[8], relmask = get32(in + 36), len = get32(in + 40), layout = get32(in + 44);
    u32 base = layout == 1 ? FAULT_BASE : SCRATCH_BASE;
    u8 *code = (u8 *)CODE_BASE;
    u8 *scratch = (u8 *)base;
    int r;
    for (r = 0; r < 8; r++) {
        regs[r] = get32(in + 4 * r);
        if (relmask & (1u << r)) regs[r] += base;
    }
    if (len > 15) len = 15;
    memcpy(code, in + 48, len);
    code[len] = 0xE9;
    put32(code + len + 1, (u32)return_stub - (CODE_BASE + len + 5));
    memcpy(scratch, in + 64, SCRATCH_SIZE);
    for (r = 0; r < 8; r++) in_frame[slot_of[r]] = regs[r];
    in_frame[8] = (get32(in + 32) & 0xCD5u) | 0x2u;
    u32 esp_base = (relmask & 0x10u) ? base : STACK_TOP;
    test_esp = (relmask & 0x10u) ? regs[4] : STACK_TOP;
    code_entry = CODE_BASE;

    u32 status = 0, faddr = 0, feip = 0, trapno = 0, err = 0, esp, *frame;
    if (run_native() == 0) {
        frame = out_frame;
        esp = out_esp;
    } else {
        frame = (u32 *)fault_regs;
        esp = fault_regs[3];
        status = fault_sig;
        faddr = (fault_sig == 11 || fault_sig == 7) ? fault_addr - base : 0;
        feip = fault_eip;
        trapno = fault_trapno;
        err = fault_err;
    }
    put32(out, status);
    for (r = 0; r < 8; r++) {
        u32 v = r == 4 ? esp - esp_base : frame[slot_of[r]];
        if (r != 4 && (relmask & (0x100u << r))) v -= base;
        put32(out + 4 + 4 * r, v);
    }
    put32(out + 36, frame[8]);
    put32(out + 40, faddr);
    put32(out + 44, feip);
    put32(out + 48, trapno);
    put32(out + 52, err);
    memcpy(out + 56, scratch, SCRATCH_SIZE);
}

int harness_main(void) {
    map_fixed(SCRATCH_BASE, 0x1000, 3);
    map_fixed(STACK_AREA, STACK_SIZE, 3);
    map_fixed(ALT_STACK, ALT_SIZE, 3);
    map_fixed(CODE_BASE, 0x1000, 7);
    map_fixed(FAULT_PAGE, 0x1000, 3);
    map_fixed(RO_PAGE, 0x1000, 1);   /* read-only; GUARD_PAGE between them stays unmapped */
    /* read the read-only page once so that it is present in the page tables (Linux maps it on
       first touch): a write then faults with P=1, as in the emulator's tables */
    if (*(volatile u8 *)RO_PAGE != 0) die("harness: read-only page not zero\n");
    u32 ss[3] = { ALT_STACK, 0, ALT_SIZE };
    if (sys3(186, (u32)ss, 0, 0) != 0) die("harness: sigaltstack failed\n");
    install(4);  /* SIGILL */
    install(5);  /* SIGTRAP */
    install(7);  /* SIGBUS */
    install(8);  /* SIGFPE */
    install(11); /* SIGSEGV */
    for (;;) {
        u8 hdr[4];
        int r = read_full(hdr, 4);
        if (r == 0) return 0;
        if (r < 0) die("harness: short read\n");
        u32 n = get32(hdr);
        if (n > MAX_BATCH) die("harness: batch too large\n");
        if (read_full(inbuf, n * IN_SIZE) != 1) die("harness: short batch\n");
        for (u32 i = 0; i < n; i++) run_one(inbuf + i * IN_SIZE, outbuf + i * OUT_SIZE);
        write_full(outbuf, n * OUT_SIZE);
    }
}

/*
 * cap_fanout.c - the fanout program (see cap_fanout.h) and joining the
 * group.  The program is written by a small assembler with forward labels:
 * conditional jumps reach 255 instructions at most, which bounds the port
 * lists (CAP_FANOUT_MAX_PORTS); unconditional ones go anywhere.
 */
#include "capture/cap_fanout.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <pcap/pcap.h>

#ifdef __linux__
#include <linux/filter.h>
#include <linux/if_packet.h>
#include <sys/socket.h>
#endif

/* the multiplier of Knuth's multiplicative hashing (2^32 / the golden
 * ratio): the upper half of the product depends on every bit of the
 * address */
#define CAP_FANOUT_MIX 0x9e3779b1u

enum {
    L_CHOOSE, L_DFOLLOW, L_DNOT, L_LOWER, L_TIE, L_SRC, L_DST, L_HASH,
    L_VLAN1, L_VLAN2,
    L_V4,          /* + tags (0, 1, 2) */
    L_V6 = L_V4 + 3,
    L_COUNT = L_V6 + 3,
};

/* M[] slots the address blocks leave for the choice */
enum { M_SPORT, M_DPORT, M_SRC, M_DST };

struct fixup {
    size_t insn;
    int label;
    char which;                      /* 't' or 'f': which offset of the jump */
};

struct asm_state {
    struct bpf_insn *p;
    size_t n;
    int at[L_COUNT];                 /* a label's instruction, -1 not yet */
    struct fixup fix[CAP_FANOUT_MAX_INSNS];
    size_t nfix;
    bool bad;
};

static void emit(struct asm_state *a, uint16_t code, uint32_t k, int jt, int jf)
{
    struct bpf_insn *i;

    if (a->n >= CAP_FANOUT_MAX_INSNS) {
        a->bad = true;
        return;
    }
    i = &a->p[a->n];
    i->code = code;
    i->k = k;
    i->jt = i->jf = 0;
    if (jt >= 0 && a->nfix < CAP_FANOUT_MAX_INSNS)
        a->fix[a->nfix++] = (struct fixup){a->n, jt, 't'};
    if (jf >= 0 && a->nfix < CAP_FANOUT_MAX_INSNS)
        a->fix[a->nfix++] = (struct fixup){a->n, jf, 'f'};
    a->n++;
}

static void stmt(struct asm_state *a, uint16_t code, uint32_t k)
{
    emit(a, code, k, -1, -1);
}

/* jump to |label| when A == k (else the next instruction) */
static void jeq(struct asm_state *a, uint32_t k, int label)
{
    emit(a, BPF_JMP | BPF_JEQ | BPF_K, k, label, -1);
}

static void jmp(struct asm_state *a, int label)
{
    emit(a, BPF_JMP | BPF_JA, 0, label, -1);
}

/* go on when A == k (jset: when no bit of k is set); else return 0 */
static void or_ret0(struct asm_state *a, uint16_t jump, uint32_t k)
{
    bool skip_on_true = BPF_OP(jump) == BPF_JEQ;

    emit(a, BPF_JMP | jump | BPF_K, k, -1, -1);
    if (!a->bad) {
        a->p[a->n - 1].jt = skip_on_true ? 1 : 0;
        a->p[a->n - 1].jf = skip_on_true ? 0 : 1;
    }
    stmt(a, BPF_RET | BPF_K, 0);
}

static void label(struct asm_state *a, int l)
{
    a->at[l] = (int)a->n;
}

/* resolve the jumps: all forward */
static bool resolve(struct asm_state *a)
{
    for (size_t i = 0; i < a->nfix; i++) {
        struct bpf_insn *in = &a->p[a->fix[i].insn];
        int to = a->at[a->fix[i].label];
        long d = (long)to - (long)a->fix[i].insn - 1;

        if (to < 0 || d < 0)
            return false;
        if (BPF_OP(in->code) == BPF_JA && BPF_CLASS(in->code) == BPF_JMP)
            in->k = (uint32_t)d;
        else if (d > 255)
            return false;
        else if (a->fix[i].which == 't')
            in->jt = (uint8_t)d;
        else
            in->jf = (uint8_t)d;
    }
    return true;
}

static void ethertype(struct asm_state *a, uint32_t base, unsigned tags)
{
    static const uint32_t vlans[] = {0x8100, 0x88a8, 0x9100};

    stmt(a, BPF_LD | BPF_H | BPF_ABS, base + 12 + 4 * tags);
    if (tags < 2)
        for (size_t i = 0; i < sizeof(vlans) / sizeof(vlans[0]); i++)
            jeq(a, vlans[i], tags == 0 ? L_VLAN1 : L_VLAN2);
    jeq(a, 0x0800, L_V4 + (int)tags);
    jeq(a, 0x86dd, L_V6 + (int)tags);
    stmt(a, BPF_RET | BPF_K, 0);
}

/* the IPv4 header at |l3|: ports and addresses into M[] */
static void ipv4(struct asm_state *a, uint32_t l3)
{
    stmt(a, BPF_LD | BPF_B | BPF_ABS, l3 + 9);
    or_ret0(a, BPF_JEQ, 6);
    stmt(a, BPF_LD | BPF_H | BPF_ABS, l3 + 6);
    or_ret0(a, BPF_JSET, 0x1fff);       /* no ports in a later fragment */
    stmt(a, BPF_LD | BPF_B | BPF_ABS, l3);
    stmt(a, BPF_ALU | BPF_AND | BPF_K, 0x0f);
    stmt(a, BPF_ALU | BPF_LSH | BPF_K, 2);
    stmt(a, BPF_MISC | BPF_TAX, 0);
    stmt(a, BPF_LD | BPF_H | BPF_IND, l3);
    stmt(a, BPF_ST, M_SPORT);
    stmt(a, BPF_LD | BPF_H | BPF_IND, l3 + 2);
    stmt(a, BPF_ST, M_DPORT);
    stmt(a, BPF_LD | BPF_W | BPF_ABS, l3 + 12);
    stmt(a, BPF_ST, M_SRC);
    stmt(a, BPF_LD | BPF_W | BPF_ABS, l3 + 16);
    stmt(a, BPF_ST, M_DST);
    jmp(a, L_CHOOSE);
}

/* the IPv6 header at |l3|, TCP right after it */
static void ipv6(struct asm_state *a, uint32_t l3)
{
    stmt(a, BPF_LD | BPF_B | BPF_ABS, l3 + 6);
    or_ret0(a, BPF_JEQ, 6);
    stmt(a, BPF_LD | BPF_H | BPF_ABS, l3 + 40);
    stmt(a, BPF_ST, M_SPORT);
    stmt(a, BPF_LD | BPF_H | BPF_ABS, l3 + 42);
    stmt(a, BPF_ST, M_DPORT);
    stmt(a, BPF_LD | BPF_W | BPF_ABS, l3 + 8 + 12);
    stmt(a, BPF_ST, M_SRC);
    stmt(a, BPF_LD | BPF_W | BPF_ABS, l3 + 24 + 12);
    stmt(a, BPF_ST, M_DST);
    jmp(a, L_CHOOSE);
}

/* the followed ports the program compares; 0 when the lower port decides
 * alone (--any-port, or too many) */
static size_t followed(const struct cap_ports *ports, uint16_t *out)
{
    size_t n = 0;

    if (ports->any)
        return 0;
    for (unsigned p = 1; p < 65536; p++)
        if (cap_ports_has(ports, (uint16_t)p)) {
            if (n == CAP_FANOUT_MAX_PORTS)
                return 0;
            out[n++] = (uint16_t)p;
        }
    return n;
}

size_t cap_fanout_program(const struct cap_ports *ports, unsigned nworkers, uint32_t base,
                          struct bpf_insn *prog)
{
    static struct asm_state a;      /* large (the fix-ups); one caller at a time */
    uint16_t fp[CAP_FANOUT_MAX_PORTS];
    size_t np = followed(ports, fp);

    memset(&a, 0, sizeof(a));
    a.p = prog;
    for (int l = 0; l < L_COUNT; l++)
        a.at[l] = -1;
    if (nworkers == 0)
        nworkers = 1;
    ethertype(&a, base, 0);
    label(&a, L_VLAN1);
    ethertype(&a, base, 1);
    label(&a, L_VLAN2);
    ethertype(&a, base, 2);
    for (unsigned t = 0; t < 3; t++) {
        label(&a, L_V4 + (int)t);
        ipv4(&a, base + 14 + 4 * t);
        label(&a, L_V6 + (int)t);
        ipv6(&a, base + 14 + 4 * t);
    }
    /* the choice: the destination port followed and the source port not,
     * the destination is the server; the other way round, the source;
     * else the lower port's side */
    label(&a, L_CHOOSE);
    if (np > 0) {
        stmt(&a, BPF_LD | BPF_MEM, M_DPORT);
        for (size_t i = 0; i < np; i++)
            jeq(&a, fp[i], L_DFOLLOW);
        jmp(&a, L_DNOT);
        label(&a, L_DFOLLOW);
        stmt(&a, BPF_LD | BPF_MEM, M_SPORT);
        for (size_t i = 0; i < np; i++)
            jeq(&a, fp[i], L_LOWER);
        jmp(&a, L_DST);
        label(&a, L_DNOT);
        stmt(&a, BPF_LD | BPF_MEM, M_SPORT);
        for (size_t i = 0; i < np; i++)
            jeq(&a, fp[i], L_SRC);
    }
    label(&a, L_LOWER);
    stmt(&a, BPF_LDX | BPF_MEM, M_SPORT);
    stmt(&a, BPF_LD | BPF_MEM, M_DPORT);
    emit(&a, BPF_JMP | BPF_JGT | BPF_X, 0, L_SRC, -1);   /* dport > sport: the source */
    emit(&a, BPF_JMP | BPF_JEQ | BPF_X, 0, L_TIE, -1);
    jmp(&a, L_DST);
    label(&a, L_TIE);
    stmt(&a, BPF_LDX | BPF_MEM, M_SRC);
    stmt(&a, BPF_LD | BPF_MEM, M_DST);
    stmt(&a, BPF_ALU | BPF_XOR | BPF_X, 0);
    jmp(&a, L_HASH);
    label(&a, L_SRC);
    stmt(&a, BPF_LD | BPF_MEM, M_SRC);
    jmp(&a, L_HASH);
    label(&a, L_DST);
    stmt(&a, BPF_LD | BPF_MEM, M_DST);
    label(&a, L_HASH);
    stmt(&a, BPF_ALU | BPF_MUL | BPF_K, CAP_FANOUT_MIX);
    stmt(&a, BPF_ALU | BPF_RSH | BPF_K, 16);
    stmt(&a, BPF_ALU | BPF_MOD | BPF_K, nworkers);
    stmt(&a, BPF_RET | BPF_A, 0);
    if (a.bad || !resolve(&a))
        return 0;
    return a.n;
}

unsigned cap_fanout_server_worker(uint32_t addr, unsigned nworkers)
{
    addr = (uint32_t)(addr * CAP_FANOUT_MIX) >> 16;
    return nworkers > 0 ? addr % nworkers : 0;
}

int cap_fanout_join(int fd, int dlt, uint16_t group, unsigned nworkers,
                    const struct cap_ports *ports, bool *by_flow, char *err, size_t errlen)
{
#if defined(__linux__) && defined(PACKET_FANOUT_CBPF)
    struct bpf_insn prog[CAP_FANOUT_MAX_INSNS];
    struct sock_filter kp[CAP_FANOUT_MAX_INSNS];
    struct sock_fprog fprog;
    size_t n = 0;
    int arg;

    *by_flow = dlt != DLT_EN10MB;
    if (!*by_flow && (n = cap_fanout_program(ports, nworkers, (uint32_t)SKF_LL_OFF, prog)) == 0) {
        snprintf(err, errlen, "the fanout program could not be written");
        return -1;
    }
    arg = group | (*by_flow ? PACKET_FANOUT_HASH : PACKET_FANOUT_CBPF) << 16;
    if (setsockopt(fd, SOL_PACKET, PACKET_FANOUT, &arg, sizeof(arg)) < 0) {
        snprintf(err, errlen, "PACKET_FANOUT: %s", strerror(errno));
        return -1;
    }
    if (*by_flow)
        return 0;
    for (size_t i = 0; i < n; i++)
        kp[i] = (struct sock_filter){prog[i].code, prog[i].jt, prog[i].jf, prog[i].k};
    fprog.len = (unsigned short)n;
    fprog.filter = kp;
    if (setsockopt(fd, SOL_PACKET, PACKET_FANOUT_DATA, &fprog, sizeof(fprog)) < 0) {
        snprintf(err, errlen, "PACKET_FANOUT_DATA: %s", strerror(errno));
        return -1;
    }
    return 0;
#else
    (void)fd; (void)dlt; (void)group; (void)nworkers; (void)ports; (void)by_flow;
    snprintf(err, errlen, "--workers needs Linux's PACKET_FANOUT");
    return -1;
#endif
}

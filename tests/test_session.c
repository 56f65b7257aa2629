/*
 * test_session.c - the session layer (dissect/session.c) driven the way the
 * capture does it: a real struct tcp_flow_table, fed hand-made TCP segments
 * (three-way handshake, the dialogue, FIN both ways), with the session
 * layer's callbacks (session_layer_cbs) behind a thin proxy that logs what
 * each on_data call was offered and how much it consumed.  The TLS bytes are
 * the OpenSSL handshakes of tests/vectors/tls_vectors.h.
 *
 * The record the sink gets is checked field by field against values read
 * off the vector bytes (offsets and lengths worked out by hand), and as a
 * whole, in a canonical text dump, against other runs: every step of a
 * dialogue split into two segments at every offset, and the whole dialogue
 * byte by byte, must give the dump of the whole-segment run, timestamps and
 * transcript included.  Allocation failures are injected through
 * session_opts.fail_alloc: each must show in the record's alloc_failed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/tcp_flow.h"
#include "dissect/session.h"
#include "tests/dyn.h"
#include "tests/vectors/tls_certs.h"
#include "tests/vectors/tls_vectors.h"

#define NEL(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_STEPS 32


static uint32_t fnv(const void *p, size_t n)
{
    const uint8_t *b = p;
    uint32_t h = 2166136261u;

    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 16777619u;
    return h;
}

static void dyn_hex(struct dyn *d, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dyn_printf(d, "%02x", p[i]);
}

/* ---- the canonical dump of a session record ------------------------- */

static const char *str(const char *s)
{
    return s ? s : "(null)";
}

static void dump_chain(struct dyn *d, const char *name, const struct session_chain *c, bool times)
{
    dyn_printf(d, "%s: seen=%d n=%zu total=%zu", name, c->seen, c->n, c->total);
    if (times)
        dyn_printf(d, " ts=%llu", (unsigned long long)c->ts_us);
    for (size_t i = 0; i < c->n; i++)
        dyn_printf(d, " %zu:%08x", c->certs[i].len, fnv(c->certs[i].der, c->certs[i].len));
    dyn_add(d, "\n", 1);
}

static void dump_smtp(struct dyn *d, const struct smtp *smtp, bool times)
{
    const struct smtp_facts *f;

    if (!smtp) {
        dyn_printf(d, "smtp: none\n");
        return;
    }
    f = smtp_facts(smtp);
    dyn_printf(d, "smtp: banner=%s host=%s greeting=%u helo=%s ehlo=%d ehlo_host=%s caps=",
               str(f->banner), str(f->banner_host), f->greeting_code, str(f->helo), f->ehlo,
               str(f->ehlo_host));
    for (size_t i = 0; i < f->ncaps; i++)
        dyn_printf(d, "%s%s", i ? "," : "", f->caps[i]);
    dyn_printf(d, " auth=%s offered=%d xanon=%d requested=%d code=%u reply=%s started=%d",
               str(f->auth_mechs), f->starttls_offered, f->x_anonymoustls_offered,
               f->starttls_requested, f->starttls_code, str(f->starttls_reply), f->tls_started);
    if (times)
        dyn_printf(d, " start=%llu", (unsigned long long)f->tls_start_us);
    dyn_printf(d, " clear=%d/%d/%d data=%llu cmds=%u replies=%u last=%u:%s stop=%s/%d\n",
               f->mail_in_clear, f->rcpt_in_clear, f->data_in_clear,
               (unsigned long long)f->data_bytes, f->commands, f->replies, f->last_code,
               str(f->last_reply), smtp_stop_name(f->stop), (int)f->stop_dir);
}

static void dump_session(struct dyn *d, const struct session *s, bool times)
{
    const struct tls_server_flight *fl = &s->server_flight;

    if (times)
        dyn_printf(d, "time: first=%llu last=%llu\n", (unsigned long long)s->first_us,
                   (unsigned long long)s->last_us);
    dyn_printf(d, "conn: id=%llu cport=%u sport=%u end=%s gaps=%llu/%llu midstream=%d "
               "classified=%d\n", (unsigned long long)s->id, s->cport, s->sport,
               tcp_close_reason_name(s->end), (unsigned long long)s->gaps[0],
               (unsigned long long)s->gaps[1], s->midstream, s->classified);
    dump_smtp(d, s->smtp, times);
    dyn_printf(d, "route: implicit=%d mismatch=%d tls=%d alloc_failed=%#x\n", s->implicit_tls,
               s->protocol_mismatch, s->tls, s->alloc_failed);
    dyn_printf(d, "ch: %d v=%04x sni=%s ja3=%s ja4_r=%s alpn=%s ech=%d\n", s->client_hello,
               s->ch_version, str(s->sni), str(s->ja3), str(s->ja4_r), str(s->alpn_offered),
               s->ech);
    dyn_printf(d, "sh: %d v=%04x cipher=%04x ja3s=%s hrr=%d kx=%d/%d/%u/%u kx_group=%u\n",
               s->server_hello, s->version, s->cipher, str(s->ja3s), s->hello_retry, s->kx_seen,
               (int)s->kx.kind, s->kx.group, s->kx.bits, s->kx_group);
    dump_chain(d, "server_chain", &s->server_chain, times);
    dump_chain(d, "client_chain", &s->client_chain, times);
    dyn_printf(d, "cr: %d ca=%zu", s->cert_request, s->ncr_ca);
    for (size_t i = 0; i < s->ncr_ca; i++)
        dyn_printf(d, " %08x", fnv(s->cr_ca_der[i].der, s->cr_ca_der[i].len));
    dyn_printf(d, "\nalerts: %zu/%zu", s->nalerts, s->total_alerts);
    for (size_t i = 0; i < s->nalerts; i++) {
        const struct session_alert *a = &s->alerts[i];

        dyn_printf(d, " [%d %u %u enc=%d after=%u/%d cert=%d", (int)a->from, a->level, a->desc,
                   a->encrypted, a->after_type, (int)a->after_from, a->after_certificate);
        if (times)
            dyn_printf(d, " ts=%llu", (unsigned long long)a->ts_us);
        dyn_add(d, "]", 1);
    }
    dyn_printf(d, "\nstate: ccs=%d/%d app=%d/%d enc_hs=%d/%d last_hs=%u/%d err=%s/%s state=%s "
               "hidden=%d incomplete=%d\n", s->ccs[0], s->ccs[1], s->appdata[0], s->appdata[1],
               s->encrypted_hs[0], s->encrypted_hs[1], s->last_hs_type, (int)s->last_hs_from,
               tls_error_name(s->tls_error[0]), tls_error_name(s->tls_error[1]),
               session_tls_state_name(s->tls_state), s->cert_hidden, s->incomplete);
    dyn_printf(d, "digest: random=%d:", s->client_random_seen);
    dyn_hex(d, s->client_random, sizeof(s->client_random));
    dyn_printf(d, " sid=%u:", s->session_id_len);
    dyn_hex(d, s->session_id, s->session_id_len);
    dyn_printf(d, " sh_ext=%zu/%zu:", s->nsh_ext_types, s->sh_ext_total);
    for (size_t i = 0; i < s->nsh_ext_types; i++)
        dyn_printf(d, "%s%u", i ? "," : "", s->sh_ext_types[i]);
    dyn_printf(d, " flight=%u/%u/%d %u/%u/%d\n", fl->clear_msgs, fl->clear_bytes,
               fl->clear_complete, fl->enc_records, fl->enc_bytes, fl->enc_complete);
    dyn_printf(d, "lines: %zu dropped=%zu\n", s->nlines, s->lines_dropped);
    for (size_t i = 0; i < s->nlines; i++) {
        const struct session_line *l = &s->lines[i];

        if (times)
            dyn_printf(d, "  %llu", (unsigned long long)l->ts_us);
        dyn_printf(d, "  %c%c %s\n", l->dir == TCP_TO_SERVER ? 'C' : 'S', l->kind, l->text);
    }
}

/* ---- what the sink got ---------------------------------------------- */

struct rec {
    unsigned n;                  /* sessions handed to the sink */
    struct session s;            /* the last one's scalars (pointers cleared) */
    bool smtp;
    struct smtp_facts facts;     /* scalars of its SMTP facts (pointers cleared) */
    char banner[256], helo[256], starttls_reply[256];
    char sni[256], ja3[2048], ja3s[512], alpn[256];
    bool sni_set, ja3_set, ja4_set, ja3s_set, alpn_set;
    uint8_t *der[2][TLS_MAX_CERTS];   /* [0] server chain, [1] client chain */
    size_t der_len[2][TLS_MAX_CERTS];
    struct dyn dump, dump_notimes;
};

static void keep_str(char *out, size_t cap, bool *set, const char *s)
{
    if (set)
        *set = s != NULL;
    snprintf(out, cap, "%s", s ? s : "");
}

static void keep_chain(struct rec *r, int which, const struct session_chain *c)
{
    for (size_t i = 0; i < c->n; i++) {
        r->der[which][i] = malloc(c->certs[i].len);
        assert_non_null(r->der[which][i]);
        memcpy(r->der[which][i], c->certs[i].der, c->certs[i].len);
        r->der_len[which][i] = c->certs[i].len;
    }
}

static void rec_clear(struct rec *r)
{
    for (int w = 0; w < 2; w++)
        for (size_t i = 0; i < TLS_MAX_CERTS; i++)
            free(r->der[w][i]);
    dyn_free(&r->dump);
    dyn_free(&r->dump_notimes);
    memset(r, 0, sizeof(*r));
}

static void sink(void *ctx, const struct session *s)
{
    struct rec *r = ctx;

    rec_clear(r);   /* one session per test run; keep the last */
    r->n = 1;
    dump_session(&r->dump, s, true);
    dump_session(&r->dump_notimes, s, false);
    r->s = *s;
    r->s.smtp = NULL;
    r->s.sni = r->s.ja3 = r->s.ja4_r = r->s.alpn_offered = r->s.ja3s = NULL;
    memset(r->s.server_chain.certs, 0, sizeof(r->s.server_chain.certs));
    memset(r->s.client_chain.certs, 0, sizeof(r->s.client_chain.certs));
    memset(r->s.cr_ca_der, 0, sizeof(r->s.cr_ca_der));
    r->s.lines = NULL;
    r->smtp = s->smtp != NULL;
    if (s->smtp) {
        const struct smtp_facts *f = smtp_facts(s->smtp);

        r->facts = *f;
        keep_str(r->banner, sizeof(r->banner), NULL, f->banner);
        keep_str(r->helo, sizeof(r->helo), NULL, f->helo);
        keep_str(r->starttls_reply, sizeof(r->starttls_reply), NULL, f->starttls_reply);
        r->facts.banner = r->facts.banner_host = NULL;
        r->facts.helo = r->facts.ehlo_host = r->facts.auth_mechs = NULL;
        r->facts.starttls_reply = r->facts.last_reply = NULL;
        memset(r->facts.caps, 0, sizeof(r->facts.caps));
        memset(r->facts.tls_errors, 0, sizeof(r->facts.tls_errors));
    }
    keep_str(r->sni, sizeof(r->sni), &r->sni_set, s->sni);
    keep_str(r->ja3, sizeof(r->ja3), &r->ja3_set, s->ja3);
    keep_str(r->ja3s, sizeof(r->ja3s), &r->ja3s_set, s->ja3s);
    keep_str(r->alpn, sizeof(r->alpn), &r->alpn_set, s->alpn_offered);
    r->ja4_set = s->ja4_r != NULL;
    keep_chain(r, 0, &s->server_chain);
    keep_chain(r, 1, &s->client_chain);
}

/* ---- the proxy between the table and the session layer -------------- */

/* One on_data call, logged in the order the calls began; |depth| > 0 for
 * a call made from inside another (a redelivery). */
struct call {
    enum tcp_dir dir;
    size_t n, used;
    unsigned depth;
};

struct harness {
    struct session_layer *sl;
    struct tcp_flow_table *tab;
    const struct tcp_flow_cbs *real;
    uint32_t seq[2];             /* next sequence number per direction */
    struct call calls[8192];
    size_t ncalls;
    unsigned depth;
};

static void *px_open(void *ctx, struct tcp_flow *f)
{
    struct harness *h = ctx;

    return h->real->on_open(h->sl, f);
}

static void px_packet(void *ctx, struct tcp_flow *f, enum tcp_dir dir,
                      const struct cap_tcp_seg *seg)
{
    struct harness *h = ctx;

    if (h->real->on_packet)
        h->real->on_packet(h->sl, f, dir, seg);
}

static size_t px_data(void *ctx, struct tcp_flow *f, enum tcp_dir dir, const uint8_t *p,
                      size_t n, uint64_t off)
{
    struct harness *h = ctx;
    struct call *c = h->ncalls < NEL(h->calls) ? &h->calls[h->ncalls++] : NULL;
    size_t used;

    if (c)
        *c = (struct call){dir, n, 0, h->depth};
    h->depth++;
    used = h->real->on_data(h->sl, f, dir, p, n, off);
    h->depth--;
    assert_true(used <= n);
    if (c)
        c->used = used;
    return used;
}

static void px_gap(void *ctx, struct tcp_flow *f, enum tcp_dir dir, uint64_t off, uint64_t len)
{
    struct harness *h = ctx;

    h->real->on_gap(h->sl, f, dir, off, len);
}

static void px_close(void *ctx, struct tcp_flow *f)
{
    struct harness *h = ctx;

    h->real->on_close(h->sl, f);
}

static const struct tcp_flow_cbs proxy = {px_open, px_packet, px_data, px_gap, NULL, px_close};

/* ---- dialogues ------------------------------------------------------ */

struct step {
    enum tcp_dir dir;
    const uint8_t *p;
    size_t n;
};

#define C(s) {TCP_TO_SERVER, (const uint8_t *)(s), sizeof(s) - 1}
#define S(s) {TCP_TO_CLIENT, (const uint8_t *)(s), sizeof(s) - 1}
#define FL(f) {(f).dir, (f).p, (f).n}

#define BANNER "220 mail.example.test ESMTP\r\n"
#define EHLO "EHLO client.example.org\r\n"
#define EHLO_REPLY "250-mail.example.test\r\n250-PIPELINING\r\n250-STARTTLS\r\n250 8BITMIME\r\n"
#define STARTTLS "STARTTLS\r\n"
#define READY "220 2.0.0 Ready to start TLS\r\n"

struct dialogue {
    struct step st[MAX_STEPS];
    size_t n;
};

static void add_step(struct dialogue *d, enum tcp_dir dir, const uint8_t *p, size_t n)
{
    assert_true(d->n < MAX_STEPS);
    d->st[d->n++] = (struct step){dir, p, n};
}

static void add_flights(struct dialogue *d, const struct tls_flight *fl, size_t n)
{
    for (size_t i = 0; i < n; i++)
        add_step(d, fl[i].dir, fl[i].p, fl[i].n);
}

/* The SMTP part up to the server's 220 to STARTTLS, then |fl|. */
static struct dialogue starttls_dialogue(const struct tls_flight *fl, size_t n)
{
    static const struct step smtp[] = {S(BANNER), C(EHLO), S(EHLO_REPLY), C(STARTTLS), S(READY)};
    struct dialogue d = {.n = 0};

    for (size_t i = 0; i < NEL(smtp); i++)
        add_step(&d, smtp[i].dir, smtp[i].p, smtp[i].n);
    add_flights(&d, fl, n);
    return d;
}

static struct dialogue tls_dialogue(const struct tls_flight *fl, size_t n)
{
    struct dialogue d = {.n = 0};

    add_flights(&d, fl, n);
    return d;
}

/* ---- running a dialogue --------------------------------------------- */

enum mode { M_WHOLE, M_SPLIT, M_BYTES };

struct run_opts {
    uint16_t sport;                  /* 0 = 25 */
    bool transcript;
    bool (*fail_alloc)(void *ctx, enum session_alloc what);
    void *fail_ctx;
};

#define T0 1700000000000000ull

static void send_seg(struct harness *h, enum tcp_dir dir, uint8_t flags, const uint8_t *p,
                     size_t n, uint64_t ts, uint16_t sport)
{
    struct cap_tcp_seg s;
    struct cap_addr client = {4, {192, 0, 2, 10}}, server = {4, {198, 51, 100, 25}};

    memset(&s, 0, sizeof(s));
    s.src = dir == TCP_TO_SERVER ? client : server;
    s.dst = dir == TCP_TO_SERVER ? server : client;
    s.sport = dir == TCP_TO_SERVER ? 41000 : sport;
    s.dport = dir == TCP_TO_SERVER ? sport : 41000;
    s.flags = flags;
    s.seq = h->seq[dir];
    s.ack = (flags & CAP_TH_ACK) ? h->seq[!dir] : 0;
    s.ttl = 64;
    s.win = 65535;
    s.payload = p;
    s.payload_len = n;
    s.payload_wire_len = n;
    tcp_flow_packet(h->tab, &s, ts, 0, TCP_HINT_NONE);
    h->seq[dir] += (uint32_t)n + ((flags & (CAP_TH_SYN | CAP_TH_FIN)) ? 1 : 0);
}

/* play sends |d| as one connection to port |sport| from time |ts|: the
 * handshake, every step in one segment, except step |si| cut in two at
 * |cut| (M_SPLIT), or every byte in its own segment (M_BYTES), and the
 * FINs.  Both pieces of a step carry the step's time. */
static void play(struct harness *h, const struct dialogue *d, enum mode m, size_t si, size_t cut,
                 uint16_t sport, uint64_t ts)
{
    h->seq[TCP_TO_SERVER] = 1000;
    h->seq[TCP_TO_CLIENT] = 7000;
    send_seg(h, TCP_TO_SERVER, CAP_TH_SYN, NULL, 0, ts, sport);
    send_seg(h, TCP_TO_CLIENT, CAP_TH_SYN | CAP_TH_ACK, NULL, 0, ts + 10, sport);
    send_seg(h, TCP_TO_SERVER, CAP_TH_ACK, NULL, 0, ts + 20, sport);
    for (size_t i = 0; i < d->n; i++) {
        const struct step *st = &d->st[i];
        uint8_t fl = CAP_TH_ACK | CAP_TH_PSH;

        ts += 1000;
        if (m == M_BYTES) {
            for (size_t k = 0; k < st->n; k++)
                send_seg(h, st->dir, fl, st->p + k, 1, ts, sport);
        } else if (m == M_SPLIT && i == si) {
            send_seg(h, st->dir, fl, st->p, cut, ts, sport);
            send_seg(h, st->dir, fl, st->p + cut, st->n - cut, ts, sport);
        } else {
            send_seg(h, st->dir, fl, st->p, st->n, ts, sport);
        }
    }
    ts += 1000;
    send_seg(h, TCP_TO_SERVER, CAP_TH_FIN | CAP_TH_ACK, NULL, 0, ts, sport);
    send_seg(h, TCP_TO_CLIENT, CAP_TH_FIN | CAP_TH_ACK, NULL, 0, ts + 10, sport);
    send_seg(h, TCP_TO_SERVER, CAP_TH_ACK, NULL, 0, ts + 20, sport);
}

/* run plays |d| (see play) through a new table and session layer.  |r|
 * gets the record; |h| (if not NULL) keeps the call log. */
static void run(const struct dialogue *d, enum mode m, size_t si, size_t cut,
                const struct run_opts *ro, struct rec *r, struct harness *out)
{
    struct harness *h = calloc(1, sizeof(*h));
    struct session_opts so = {0};
    struct session_sink sk = {.on_session = sink, .ctx = r};

    assert_non_null(h);
    rec_clear(r);
    if (ro) {
        so.transcript = ro->transcript;
        so.fail_alloc = ro->fail_alloc;
        so.fail_ctx = ro->fail_ctx;
    }
    h->real = session_layer_cbs();
    h->sl = session_layer_new(&so, &sk);
    assert_non_null(h->sl);
    h->tab = tcp_flow_table_new(NULL, &proxy, h);
    assert_non_null(h->tab);
    play(h, d, m, si, cut, ro && ro->sport ? ro->sport : 25, T0);
    tcp_flow_table_free(h->tab);
    assert_int_equal(session_layer_count(h->sl), r->n);
    if (out)
        *out = *h;
    session_layer_free(h->sl);
    free(h);
}

/* A connection without a payload byte either way (a handshake and FINs; a
 * SYN answered by a RST; a SYN alone) is not a session: the sink's
 * on_no_dialogue sees it, with its addresses, ends and handshake, and the
 * layer counts it.  One byte from the server makes it a session again, with
 * the handshake seen before its record was made (a connection holds only
 * its network facts until its first byte). */
struct quiet_rec {
    unsigned n;
    struct session last;
};

static void quiet(void *ctx, const struct session *s)
{
    struct quiet_rec *q = ctx;

    q->n++;
    q->last = *s;
}

struct kept {
    struct session *v[4];
    bool no_dialogue[4];
    size_t n;
};

static void not_with_keep(void *ctx, const struct session *s)
{
    (void)ctx;
    (void)s;
    fail_msg("a sink with keep got a record another way");
}

static void keep(void *ctx, struct session *s, bool no_dialogue)
{
    struct kept *k = ctx;

    assert_true(k->n < 4);
    k->no_dialogue[k->n] = no_dialogue;
    k->v[k->n++] = s;
}

static void session_count(void *ctx, const struct session *s)
{
    (void)s;
    ++*(unsigned *)ctx;
}

static void test_no_dialogue(void **state)
{
    struct harness *h = calloc(1, sizeof(*h));
    struct quiet_rec q = {0};
    unsigned nsess = 0;
    uint64_t ts = T0;

    (void)state;
    assert_non_null(h);
    {
        struct session_sink qs = {.ctx = &q, .on_no_dialogue = quiet};

        h->sl = session_layer_new(NULL, &qs);
    }
    assert_non_null(h->sl);
    h->real = session_layer_cbs();
    h->tab = tcp_flow_table_new(NULL, &proxy, h);
    assert_non_null(h->tab);
    h->seq[TCP_TO_SERVER] = 1000;
    h->seq[TCP_TO_CLIENT] = 7000;
    /* a handshake and FINs, nothing said */
    send_seg(h, TCP_TO_SERVER, CAP_TH_SYN, NULL, 0, ts, 25);
    send_seg(h, TCP_TO_CLIENT, CAP_TH_SYN | CAP_TH_ACK, NULL, 0, ts + 10, 25);
    send_seg(h, TCP_TO_SERVER, CAP_TH_ACK, NULL, 0, ts + 20, 25);
    send_seg(h, TCP_TO_SERVER, CAP_TH_FIN | CAP_TH_ACK, NULL, 0, ts + 30, 25);
    send_seg(h, TCP_TO_CLIENT, CAP_TH_FIN | CAP_TH_ACK, NULL, 0, ts + 40, 25);
    assert_int_equal(q.n, 1);
    assert_int_equal(q.last.sport, 25);
    assert_int_equal(q.last.cport, 41000);
    assert_int_equal(q.last.server.b[0], 198);
    assert_int_equal(q.last.end, TCP_CLOSE_FIN);
    assert_int_equal(q.last.first_us, ts);
    assert_int_equal(q.last.last_us, ts + 40);
    /* the handshake's facts, kept while the connection had no record */
    assert_int_equal(q.last.net.syn_us, ts);
    assert_int_equal(q.last.net.synack_us, ts + 10);
    assert_int_equal(q.last.net.ack_us, ts + 20);
    assert_int_equal(session_layer_no_dialogue(h->sl), 1);
    assert_int_equal(session_layer_count(h->sl), 0);
    tcp_flow_table_free(h->tab);
    session_layer_free(h->sl);

    /* the same with one byte of a banner: a session, not counted here */
    q.n = 0;
    {
        struct session_sink qs = {.on_session = session_count, .ctx = &nsess};

        h->sl = session_layer_new(NULL, &qs);
    }
    h->tab = tcp_flow_table_new(NULL, &proxy, h);
    assert_non_null(h->sl);
    assert_non_null(h->tab);
    h->seq[TCP_TO_SERVER] = 1000;
    h->seq[TCP_TO_CLIENT] = 7000;
    send_seg(h, TCP_TO_SERVER, CAP_TH_SYN, NULL, 0, ts, 25);
    send_seg(h, TCP_TO_CLIENT, CAP_TH_SYN | CAP_TH_ACK, NULL, 0, ts + 10, 25);
    send_seg(h, TCP_TO_CLIENT, CAP_TH_ACK | CAP_TH_PSH, (const uint8_t *)"2", 1, ts + 20, 25);
    tcp_flow_table_free(h->tab);
    assert_int_equal(nsess, 1);
    assert_int_equal(session_layer_count(h->sl), 1);
    assert_int_equal(session_layer_no_dialogue(h->sl), 0);
    session_layer_free(h->sl);

    /* a sink that keeps the records (the analysis thread's): both kinds
     * come to keep, neither to the other two, and each record stays whole
     * (under ASan: not freed) after its connection is gone, until it is
     * given back */
    {
        struct kept k = {0};
        struct session_sink ks = {.on_session = not_with_keep, .ctx = &k,
                                  .on_no_dialogue = not_with_keep, .keep = keep};

        h->sl = session_layer_new(NULL, &ks);
        h->tab = tcp_flow_table_new(NULL, &proxy, h);
        assert_non_null(h->sl);
        assert_non_null(h->tab);
        send_seg(h, TCP_TO_SERVER, CAP_TH_SYN, NULL, 0, ts, 25);
        send_seg(h, TCP_TO_CLIENT, CAP_TH_SYN | CAP_TH_ACK, NULL, 0, ts + 10, 25);
        send_seg(h, TCP_TO_CLIENT, CAP_TH_ACK | CAP_TH_PSH,
                 (const uint8_t *)"220 kept.example ESMTP\r\n", 24, ts + 20, 25);
        send_seg(h, TCP_TO_SERVER, CAP_TH_SYN, NULL, 0, ts + 30, 587);
        tcp_flow_finish(h->tab);
        assert_int_equal(k.n, 2);
        assert_false(k.no_dialogue[0]);
        assert_int_equal(k.v[0]->sport, 25);
        assert_non_null(k.v[0]->smtp);
        assert_string_equal(smtp_facts(k.v[0]->smtp)->banner_host, "kept.example");
        /* made at the banner's first byte, with the handshake seen before */
        assert_int_equal(k.v[0]->net.syn_us, ts);
        assert_int_equal(k.v[0]->net.synack_us, ts + 10);
        assert_int_equal(k.v[0]->net.data_us[TCP_TO_CLIENT], ts + 20);
        assert_true(k.no_dialogue[1]);
        assert_int_equal(k.v[1]->sport, 587);
        /* given back before the table goes: the records' memcap is its */
        for (size_t i = 0; i < k.n; i++)
            session_release_kept(k.v[i]);
        tcp_flow_table_free(h->tab);
        session_layer_free(h->sl);
    }
    free(h);
}

/* assert_same_dump fails with the first line where |got| differs from
 * |want| (cmocka cuts long messages). */
static void assert_same_dump(const char *want, const char *got, const char *what, size_t i,
                             size_t c)
{
    size_t k = 0, line = 0;

    if (strcmp(want, got) == 0)
        return;
    while (want[k] && want[k] == got[k])
        if (want[k++] == '\n')
            line = k;
    fail_msg("%s (step %zu, cut %zu) differs from the whole run:\n  whole: %.300s\n  this:  %.300s",
             what, i, c, want + line, got + line);
}

/* every_offset: the whole run, then every step split at every offset and
 * the whole dialogue byte by byte, each with the whole run's dump. */
static void every_offset(const struct dialogue *d, const struct run_opts *ro, struct rec *whole)
{
    struct rec r = {0};

    run(d, M_WHOLE, 0, 0, ro, whole, NULL);
    assert_int_equal(whole->n, 1);
    for (size_t i = 0; i < d->n; i++)
        for (size_t c = 1; c < d->st[i].n; c++) {
            run(d, M_SPLIT, i, c, ro, &r, NULL);
            assert_same_dump(whole->dump.p, r.dump.p, "split", i, c);
        }
    run(d, M_BYTES, 0, 0, ro, &r, NULL);
    assert_same_dump(whole->dump.p, r.dump.p, "byte by byte", 0, 0);
    rec_clear(&r);
}

/* ---- checks --------------------------------------------------------- */

/* The vectors' ClientHello: record header (5), handshake header (4),
 * legacy_version (2), then the random (32) and the session id's length
 * byte and bytes. */
#define CH_RANDOM 11
#define CH_SID_LEN 43

static void assert_digest_ch(const struct rec *r, const uint8_t *ch)
{
    assert_true(r->s.client_random_seen);
    assert_memory_equal(r->s.client_random, ch + CH_RANDOM, 32);
    assert_int_equal(r->s.session_id_len, ch[CH_SID_LEN]);
    if (ch[CH_SID_LEN])
        assert_memory_equal(r->s.session_id, ch + CH_SID_LEN + 1, ch[CH_SID_LEN]);
}

static void assert_sh_exts(const struct rec *r, const uint16_t *v, size_t n)
{
    assert_int_equal(r->s.nsh_ext_types, n);
    assert_int_equal(r->s.sh_ext_total, n);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(r->s.sh_ext_types[i], v[i]);
}

static void assert_flight(const struct tls_server_flight *fl, unsigned clear_msgs,
                          unsigned clear_bytes, unsigned enc_records, unsigned enc_bytes,
                          bool enc_complete)
{
    assert_int_equal(fl->clear_msgs, clear_msgs);
    assert_int_equal(fl->clear_bytes, clear_bytes);
    assert_true(fl->clear_complete);
    assert_int_equal(fl->enc_records, enc_records);
    assert_int_equal(fl->enc_bytes, enc_bytes);
    assert_int_equal(fl->enc_complete, enc_complete);
}

static void assert_der(const struct rec *r, int which, size_t i, const uint8_t *der, size_t n)
{
    assert_int_equal(r->der_len[which][i], n);
    assert_memory_equal(r->der[which][i], der, n);
}

/* The SMTP facts of the STARTTLS dialogue. */
static void assert_starttls_facts(const struct rec *r)
{
    assert_true(r->smtp);
    assert_string_equal(r->banner, "220 mail.example.test ESMTP");
    assert_int_equal(r->facts.greeting_code, 220);
    assert_string_equal(r->helo, "client.example.org");
    assert_true(r->facts.starttls_offered);
    assert_true(r->facts.starttls_requested);
    assert_int_equal(r->facts.starttls_code, 220);
    assert_string_equal(r->starttls_reply, "220 2.0.0 Ready to start TLS");
    assert_true(r->facts.tls_started);
    assert_false(r->s.implicit_tls);
    assert_false(r->s.protocol_mismatch);
}

/* The TLS facts of t12 (and its reframings): ServerHello extensions
 * renegotiation_info, ec_point_formats, session_ticket, ALPN,
 * extended_master_secret; the server flight 76 + 765 + 115 + 4. */
static const uint16_t t12_sh_exts[] = {65281, 11, 35, 16, 23};

static void assert_t12(const struct rec *r)
{
    assert_true(r->s.tls);
    assert_true(r->s.client_hello);
    assert_string_equal(r->sni, "mx.example.test");
    assert_string_equal(r->ja3, T12_JA3);
    assert_string_equal(r->ja3s, T12_JA3S);
    assert_string_equal(r->alpn, "smtp");
    assert_true(r->ja4_set);
    assert_int_equal(r->s.version, 0x0303);
    assert_int_equal(r->s.cipher, 0xc02c);
    assert_true(r->s.kx_seen);
    assert_int_equal(r->s.kx.group, 29);
    assert_int_equal(r->s.tls_state, SESSION_TLS_ESTABLISHED);
    assert_false(r->s.cert_hidden);
    assert_false(r->s.incomplete);
    assert_true(r->s.server_chain.seen);
    assert_int_equal(r->s.server_chain.n, 2);
    assert_int_equal(r->s.server_chain.total, 2);
    assert_der(r, 0, 0, cert_leaf, sizeof(cert_leaf));
    assert_der(r, 0, 1, cert_inter, sizeof(cert_inter));
    assert_false(r->s.client_chain.seen);
    assert_digest_ch(r, t12_0);
    assert_int_equal(r->s.session_id_len, 0);
    assert_sh_exts(r, t12_sh_exts, NEL(t12_sh_exts));
    assert_flight(&r->s.server_flight, 4, 960, 0, 0, false);
    assert_int_equal(r->s.alloc_failed, 0);
}

/* ---- the STARTTLS hand-off ------------------------------------------ */

static void test_starttls_tls12(void **state)
{
    struct dialogue d = starttls_dialogue(t12, NEL(t12));
    struct rec r = {0};

    (void)state;
    run(&d, M_WHOLE, 0, 0, NULL, &r, NULL);
    assert_int_equal(r.n, 1);
    assert_starttls_facts(&r);
    assert_t12(&r);
    assert_int_equal(r.s.end, TCP_CLOSE_FIN);
    assert_int_equal(r.s.sport, 25);
    rec_clear(&r);
}

/* TLS 1.3: the certificate is hidden; the digest and the encrypted flight
 * (records of 23, 787, 95 and 69 bytes after the ServerHello of 4 + 118)
 * are what is left to compare. */
static void test_starttls_tls13(void **state)
{
    static const uint16_t exts[] = {43, 51};   /* supported_versions, key_share */
    struct dialogue d = starttls_dialogue(t13, NEL(t13));
    struct rec r = {0};

    (void)state;
    run(&d, M_WHOLE, 0, 0, NULL, &r, NULL);
    assert_starttls_facts(&r);
    assert_true(r.s.tls);
    assert_string_equal(r.sni, "mx.example.test");
    assert_string_equal(r.ja3, T13_JA3);
    assert_string_equal(r.ja3s, T13_JA3S);
    assert_int_equal(r.s.ch_version, 0x0304);
    assert_int_equal(r.s.version, 0x0304);
    assert_int_equal(r.s.cipher, 0x1302);
    assert_int_equal(r.s.kx_group, 29);
    assert_true(r.s.cert_hidden);
    assert_false(r.s.server_chain.seen);
    assert_int_equal(r.s.tls_state, SESSION_TLS_ESTABLISHED);
    assert_true(r.s.ccs[TCP_TO_CLIENT] && r.s.ccs[TCP_TO_SERVER]);
    assert_digest_ch(&r, t13_0);
    assert_int_equal(r.s.session_id_len, 32);
    assert_sh_exts(&r, exts, NEL(exts));
    assert_flight(&r.s.server_flight, 1, 122, 4, 23 + 787 + 95 + 69, true);
    assert_int_equal(r.s.alloc_failed, 0);
    rec_clear(&r);
}

/* The client's Finished ends the server's flight and the server's
 * direction with it: its NewSessionTicket (t13[3]) and everything after
 * are never offered to the session layer. */
static void test_tls13_stops_after_flight(void **state)
{
    struct dialogue d = starttls_dialogue(t13, NEL(t13));
    struct harness *h = calloc(1, sizeof(*h));
    struct rec r = {0};
    size_t fin = 0;

    (void)state;
    assert_non_null(h);
    run(&d, M_WHOLE, 0, 0, NULL, &r, h);
    for (size_t i = 0; i < h->ncalls; i++)
        if (h->calls[i].dir == TCP_TO_SERVER && h->calls[i].n == t13[2].n)
            fin = i;
    assert_true(fin > 0);
    for (size_t i = fin + 1; i < h->ncalls; i++)
        assert_int_not_equal(h->calls[i].dir, TCP_TO_CLIENT);
    /* and the server flight cut right after the ServerHello record (5 +
     * 122) still counts whole: the server's direction stays open for it */
    run(&d, M_SPLIT, 6, 127, NULL, &r, NULL);
    assert_true(r.s.ccs[TCP_TO_CLIENT]);
    assert_true(r.s.appdata[TCP_TO_CLIENT]);
    assert_flight(&r.s.server_flight, 1, 122, 4, 974, true);
    rec_clear(&r);
    free(h);
}

/* The server's 220 and the ClientHello in one data callback: the client
 * sent STARTTLS and its ClientHello in one segment before the reply (held
 * back, then redelivered from inside the server's callback), or the
 * server's 220 came with its ServerHello flight; and a pipelined EHLO +
 * STARTTLS + ClientHello.  The record is the same as with one message per
 * segment. */
static void test_starttls_same_callback(void **state)
{
    static uint8_t st_ch[sizeof(STARTTLS) - 1 + sizeof(t12_0)];
    static uint8_t ready_sh[sizeof(READY) - 1 + sizeof(t12_1)];
    static uint8_t ehlo_st_ch[sizeof(EHLO) - 1 + sizeof(st_ch)];
    struct dialogue ref = starttls_dialogue(t12, NEL(t12)), d;
    struct rec w = {0}, r = {0};

    (void)state;
    memcpy(st_ch, STARTTLS, sizeof(STARTTLS) - 1);
    memcpy(st_ch + sizeof(STARTTLS) - 1, t12_0, sizeof(t12_0));
    memcpy(ready_sh, READY, sizeof(READY) - 1);
    memcpy(ready_sh + sizeof(READY) - 1, t12_1, sizeof(t12_1));
    memcpy(ehlo_st_ch, EHLO, sizeof(EHLO) - 1);
    memcpy(ehlo_st_ch + sizeof(EHLO) - 1, st_ch, sizeof(st_ch));
    run(&ref, M_WHOLE, 0, 0, NULL, &w, NULL);

    /* STARTTLS + ClientHello, then the 220 alone */
    d = (struct dialogue){.n = 0};
    add_step(&d, TCP_TO_CLIENT, (const uint8_t *)BANNER, sizeof(BANNER) - 1);
    add_step(&d, TCP_TO_SERVER, (const uint8_t *)EHLO, sizeof(EHLO) - 1);
    add_step(&d, TCP_TO_CLIENT, (const uint8_t *)EHLO_REPLY, sizeof(EHLO_REPLY) - 1);
    add_step(&d, TCP_TO_SERVER, st_ch, sizeof(st_ch));
    add_step(&d, TCP_TO_CLIENT, (const uint8_t *)READY, sizeof(READY) - 1);
    add_flights(&d, t12 + 1, NEL(t12) - 1);
    run(&d, M_WHOLE, 0, 0, NULL, &r, NULL);
    assert_string_equal(r.dump_notimes.p, w.dump_notimes.p);

    /* ... and the 220 with the server's flight */
    d.st[4] = (struct step){TCP_TO_CLIENT, ready_sh, sizeof(ready_sh)};
    memmove(&d.st[5], &d.st[6], (d.n - 6) * sizeof(d.st[0]));
    d.n--;
    run(&d, M_WHOLE, 0, 0, NULL, &r, NULL);
    assert_string_equal(r.dump_notimes.p, w.dump_notimes.p);
    assert_starttls_facts(&r);
    assert_t12(&r);

    /* EHLO, STARTTLS and the ClientHello in one segment */
    d = (struct dialogue){.n = 0};
    add_step(&d, TCP_TO_CLIENT, (const uint8_t *)BANNER, sizeof(BANNER) - 1);
    add_step(&d, TCP_TO_SERVER, ehlo_st_ch, sizeof(ehlo_st_ch));
    add_step(&d, TCP_TO_CLIENT, (const uint8_t *)EHLO_REPLY, sizeof(EHLO_REPLY) - 1);
    add_step(&d, TCP_TO_CLIENT, (const uint8_t *)READY, sizeof(READY) - 1);
    add_flights(&d, t12 + 1, NEL(t12) - 1);
    run(&d, M_WHOLE, 0, 0, NULL, &r, NULL);
    assert_string_equal(r.dump_notimes.p, w.dump_notimes.p);
    rec_clear(&w);
    rec_clear(&r);
}

/* ---- re-delivery of unconsumed bytes -------------------------------- */

/* What on_data returns: nothing of a line without its CRLF or of a record
 * without all its bytes; whole records of a flight cut inside one. */
/* Records and parser states come back for the next connections
 * (lib/objcache.h): a session that follows another through the same layer
 * is recorded as it would be alone, with nothing of the first left in it. */
static void test_state_reused(void **state)
{
    static const struct step plain[] = {S("220 second.example.test ESMTP\r\n"),
                                        C("HELO plain.example.org\r\n"),
                                        S("250 second.example.test\r\n"), C("QUIT\r\n"),
                                        S("221 2.0.0 Bye\r\n")};
    struct dialogue first = starttls_dialogue(t12, NEL(t12)), second = {.n = 0};
    struct rec alone = {0}, after = {0};
    struct run_opts ro = {.sport = 587};
    struct harness *h = calloc(1, sizeof(*h));
    struct session_sink sk = {.on_session = sink, .ctx = &after};
    const char *a, *b;

    (void)state;
    assert_non_null(h);
    for (size_t i = 0; i < NEL(plain); i++)
        add_step(&second, plain[i].dir, plain[i].p, plain[i].n);
    run(&second, M_WHOLE, 0, 0, &ro, &alone, NULL);
    assert_int_equal(alone.n, 1);
    assert_string_equal(alone.banner, "220 second.example.test ESMTP");

    h->real = session_layer_cbs();
    h->sl = session_layer_new(NULL, &sk);
    h->tab = tcp_flow_table_new(NULL, &proxy, h);
    assert_non_null(h->sl);
    assert_non_null(h->tab);
    play(h, &first, M_WHOLE, 0, 0, 25, T0);
    assert_int_equal(after.n, 1);
    assert_t12(&after);                           /* the first: STARTTLS, names, a chain */
    /* a minute later, when the first connection is forgotten too */
    play(h, &second, M_WHOLE, 0, 0, 587, T0 + 60000000u);
    tcp_flow_table_free(h->tab);
    assert_int_equal(session_layer_count(h->sl), 2);
    session_layer_free(h->sl);
    free(h);
    assert_false(after.sni_set || after.ja3_set || after.ja4_set || after.ja3s_set ||
                 after.alpn_set);
    assert_false(after.s.tls || after.s.client_hello || after.s.server_chain.seen);
    assert_string_equal(after.banner, "220 second.example.test ESMTP");
    /* the whole record, but for the connection's id on the first line */
    a = strchr(alone.dump_notimes.p, '\n');
    b = strchr(after.dump_notimes.p, '\n');
    assert_non_null(a);
    assert_non_null(b);
    assert_string_equal(b, a);
    rec_clear(&alone);
    rec_clear(&after);
}

static void test_consumed(void **state)
{
    struct dialogue d = starttls_dialogue(t12, NEL(t12));
    struct harness *h = calloc(1, sizeof(*h));
    struct rec r = {0};
    size_t i = 0;

    (void)state;
    assert_non_null(h);
    /* the banner cut after 10 bytes */
    run(&d, M_SPLIT, 0, 10, NULL, &r, h);
    assert_int_equal(h->calls[0].dir, TCP_TO_CLIENT);
    assert_int_equal(h->calls[0].n, 10);
    assert_int_equal(h->calls[0].used, 0);
    assert_int_equal(h->calls[1].n, sizeof(BANNER) - 1);
    assert_int_equal(h->calls[1].used, sizeof(BANNER) - 1);

    /* the server flight cut at 100: the ServerHello record (5 + 76) is
     * taken, the Certificate's first 19 bytes are offered once more on
     * their own (reassembly re-offers what is left after a partial take),
     * left again, and taken with the rest of the flight */
    run(&d, M_SPLIT, 6, 100, NULL, &r, h);
    while (i < h->ncalls && !(h->calls[i].dir == TCP_TO_CLIENT && h->calls[i].n == 100))
        i++;
    assert_true(i + 2 < h->ncalls);
    assert_int_equal(h->calls[i].used, 81);
    assert_int_equal(h->calls[i + 1].dir, TCP_TO_CLIENT);
    assert_int_equal(h->calls[i + 1].n, 19);
    assert_int_equal(h->calls[i + 1].used, 0);
    assert_int_equal(h->calls[i + 2].dir, TCP_TO_CLIENT);
    assert_int_equal(h->calls[i + 2].n, sizeof(t12_1) - 81);
    assert_int_equal(h->calls[i + 2].used, sizeof(t12_1) - 81);
    assert_t12(&r);

    /* the client's bytes after STARTTLS wait for the server's reply: the
     * ClientHello sent with STARTTLS is offered, left (twice: with STARTTLS
     * and once more on its own), and taken after the 220, from inside the
     * server's call */
    {
        static uint8_t st_ch[sizeof(STARTTLS) - 1 + sizeof(t12_0)];
        struct dialogue p = {.n = 0};
        size_t k = 0;

        memcpy(st_ch, STARTTLS, sizeof(STARTTLS) - 1);
        memcpy(st_ch + sizeof(STARTTLS) - 1, t12_0, sizeof(t12_0));
        add_step(&p, TCP_TO_CLIENT, (const uint8_t *)BANNER, sizeof(BANNER) - 1);
        add_step(&p, TCP_TO_SERVER, (const uint8_t *)EHLO, sizeof(EHLO) - 1);
        add_step(&p, TCP_TO_CLIENT, (const uint8_t *)EHLO_REPLY, sizeof(EHLO_REPLY) - 1);
        add_step(&p, TCP_TO_SERVER, st_ch, sizeof(st_ch));
        add_step(&p, TCP_TO_CLIENT, (const uint8_t *)READY, sizeof(READY) - 1);
        run(&p, M_WHOLE, 0, 0, NULL, &r, h);
        while (k < h->ncalls && h->calls[k].n != sizeof(st_ch))
            k++;
        assert_true(k + 3 < h->ncalls);
        assert_int_equal(h->calls[k].used, sizeof(STARTTLS) - 1);
        assert_int_equal(h->calls[k + 1].dir, TCP_TO_SERVER);
        assert_int_equal(h->calls[k + 1].n, sizeof(t12_0));
        assert_int_equal(h->calls[k + 1].used, 0);
        assert_int_equal(h->calls[k + 2].dir, TCP_TO_CLIENT);       /* the 220 ... */
        assert_int_equal(h->calls[k + 2].used, sizeof(READY) - 1);
        assert_int_equal(h->calls[k + 3].dir, TCP_TO_SERVER);       /* ... redelivers */
        assert_int_equal(h->calls[k + 3].depth, 1);
        assert_int_equal(h->calls[k + 3].n, sizeof(t12_0));
        assert_int_equal(h->calls[k + 3].used, sizeof(t12_0));
        assert_true(r.s.client_hello);
        assert_string_equal(r.sni, "mx.example.test");
    }
    rec_clear(&r);
    free(h);
}

/* Every step of a dialogue split at every offset, and byte by byte: the
 * same record, transcript and timestamps included. */
static void test_split_every_offset(void **state)
{
    static const struct run_opts tx = {.transcript = true};
    static const struct run_opts tx465 = {.sport = 465, .transcript = true};
    struct dialogue d;
    struct rec w = {0};

    (void)state;
    d = starttls_dialogue(t12, NEL(t12));
    every_offset(&d, &tx, &w);
    assert_t12(&w);
    assert_true(w.s.nlines > 10);
    d = starttls_dialogue(t13, NEL(t13));
    every_offset(&d, &tx, &w);
    assert_flight(&w.s.server_flight, 1, 122, 4, 974, true);
    d = starttls_dialogue(hrr, NEL(hrr));
    every_offset(&d, &tx, &w);
    d = tls_dialogue(mtls12, NEL(mtls12));
    every_offset(&d, &tx465, &w);
    assert_true(w.s.client_chain.seen);
    rec_clear(&w);
}

/* ---- implicit TLS and mismatches ------------------------------------ */

static void test_implicit_tls(void **state)
{
    static const struct run_opts p465 = {.sport = 465};
    static const uint16_t t13_exts[] = {43, 51};
    struct dialogue d = tls_dialogue(t12, NEL(t12));
    struct rec r = {0};

    (void)state;
    run(&d, M_WHOLE, 0, 0, &p465, &r, NULL);
    assert_int_equal(r.s.sport, 465);
    assert_true(r.s.implicit_tls);
    assert_false(r.s.protocol_mismatch);
    assert_false(r.smtp);
    assert_t12(&r);

    /* recognised by the bytes, not the port */
    run(&d, M_WHOLE, 0, 0, NULL, &r, NULL);
    assert_true(r.s.implicit_tls);
    assert_t12(&r);

    d = tls_dialogue(t13, NEL(t13));
    run(&d, M_WHOLE, 0, 0, &p465, &r, NULL);
    assert_true(r.s.implicit_tls);
    assert_true(r.s.cert_hidden);
    assert_sh_exts(&r, t13_exts, NEL(t13_exts));
    assert_flight(&r.s.server_flight, 1, 122, 4, 974, true);
    rec_clear(&r);
}

/* TLS behind a clear-text prelude that is not SMTP: a PROXY protocol v1
 * line in a segment of its own, then the ClientHello, is read as implicit
 * TLS from the hello on, at every cut; the same line before SMTP is SMTP's;
 * text that is neither, with no hello, goes to SMTP when the connection
 * ends. */
static void test_prelude(void **state)
{
    static const char pv1[] = "PROXY TCP4 192.0.2.10 198.51.100.25 40000 465\r\n";
    static const char junk[] = "GET / HTTP/1.0\r\n\r\n";
    static const struct run_opts tx = {.sport = 4650, .transcript = true};
    struct dialogue d = {.n = 0};
    struct rec r = {0};

    (void)state;
    add_step(&d, TCP_TO_SERVER, (const uint8_t *)pv1, sizeof(pv1) - 1);
    add_flights(&d, t12, NEL(t12));
    every_offset(&d, &tx, &r);
    assert_true(r.s.implicit_tls);
    assert_int_equal(r.s.tls_prelude[TCP_TO_SERVER], sizeof(pv1) - 1);
    assert_int_equal(r.s.tls_prelude[TCP_TO_CLIENT], 0);
    assert_false(r.smtp);
    assert_t12(&r);

    /* before SMTP (a PROXY line to a server that speaks SMTP): SMTP */
    d = (struct dialogue){.n = 0};
    add_step(&d, TCP_TO_CLIENT, (const uint8_t *)BANNER, sizeof(BANNER) - 1);
    add_step(&d, TCP_TO_SERVER, (const uint8_t *)pv1, sizeof(pv1) - 1);
    add_step(&d, TCP_TO_SERVER, (const uint8_t *)EHLO, sizeof(EHLO) - 1);
    run(&d, M_WHOLE, 0, 0, &tx, &r, NULL);
    assert_true(r.smtp);
    assert_false(r.s.tls);
    assert_int_equal(r.s.tls_prelude[TCP_TO_SERVER], 0);
    assert_string_equal(r.helo, "client.example.org");

    /* neither SMTP nor TLS, and the connection ends: SMTP reads it then */
    d = (struct dialogue){.n = 0};
    add_step(&d, TCP_TO_SERVER, (const uint8_t *)junk, sizeof(junk) - 1);
    run(&d, M_WHOLE, 0, 0, &tx, &r, NULL);
    assert_true(r.smtp);
    assert_false(r.s.tls);
    assert_true(r.s.nlines >= 1);
    rec_clear(&r);
}

/* A client that speaks TLS to a server that greets in plain SMTP, in both
 * orders of arrival, and a client that speaks SMTP to a TLS server. */
static void test_protocol_mismatch(void **state)
{
    struct dialogue d = {.n = 0};
    struct rec r = {0};

    (void)state;
    add_step(&d, TCP_TO_CLIENT, (const uint8_t *)BANNER, sizeof(BANNER) - 1);
    add_flights(&d, t12, 1);
    add_step(&d, TCP_TO_CLIENT, (const uint8_t *)"500 5.5.1 Unrecognized command\r\n", 32);
    run(&d, M_WHOLE, 0, 0, NULL, &r, NULL);
    assert_true(r.s.protocol_mismatch);
    assert_false(r.s.implicit_tls);
    assert_true(r.s.tls);
    assert_true(r.s.client_hello);       /* the client's side is read as TLS */
    assert_string_equal(r.sni, "mx.example.test");
    assert_false(r.s.server_hello);
    assert_true(r.smtp);
    assert_string_equal(r.banner, "220 mail.example.test ESMTP");

    /* the ClientHello first, then the banner: a mismatch all the same.
     * implicit_tls says what the client's first bytes met: no SMTP yet, so
     * the client did start TLS from its first byte (analyze keeps the
     * banner/EHLO/STARTTLS checks "not applicable" for it; with the banner
     * first they are judged).  Which one a capture shows depends on the
     * order the two sides' first bytes arrived in. */
    d.st[0] = (struct step){TCP_TO_SERVER, t12_0, sizeof(t12_0)};
    d.st[1] = (struct step){TCP_TO_CLIENT, (const uint8_t *)BANNER, sizeof(BANNER) - 1};
    run(&d, M_WHOLE, 0, 0, NULL, &r, NULL);
    assert_true(r.s.protocol_mismatch);
    assert_true(r.s.implicit_tls);
    assert_true(r.s.client_hello);
    assert_string_equal(r.banner, "220 mail.example.test ESMTP");

    /* SMTP to a TLS server (which answers with its flight regardless) */
    d = (struct dialogue){.n = 0};
    add_step(&d, TCP_TO_SERVER, (const uint8_t *)EHLO, sizeof(EHLO) - 1);
    add_step(&d, TCP_TO_CLIENT, t12_5, sizeof(t12_5));
    run(&d, M_WHOLE, 0, 0, NULL, &r, NULL);
    assert_true(r.s.protocol_mismatch);
    assert_false(r.s.implicit_tls);
    assert_string_equal(r.helo, "client.example.org");
    rec_clear(&r);
}

/* ---- the digest on other handshakes --------------------------------- */

static void test_digest(void **state)
{
    static const uint16_t t13_exts[] = {43, 51};
    static const uint16_t resume_exts[] = {65281, 23};
    struct dialogue d;
    struct rec r = {0};

    (void)state;
    /* HelloRetryRequest: the first ClientHello's random and session id,
     * the real ServerHello's extensions and flight */
    d = starttls_dialogue(hrr, NEL(hrr));
    run(&d, M_WHOLE, 0, 0, NULL, &r, NULL);
    assert_true(r.s.hello_retry);
    assert_digest_ch(&r, hrr_0);
    assert_int_equal(r.s.session_id_len, 32);
    assert_sh_exts(&r, t13_exts, NEL(t13_exts));
    assert_int_equal(r.s.kx_group, 29);
    assert_flight(&r.s.server_flight, 1, 122, 4, 974, true);

    /* resumption: a 32-byte session id, a ServerHello (85) and nothing more
     * in clear */
    d = starttls_dialogue(resume, NEL(resume));
    run(&d, M_WHOLE, 0, 0, NULL, &r, NULL);
    assert_digest_ch(&r, resume_0);
    assert_int_equal(r.s.session_id_len, 32);
    assert_sh_exts(&r, resume_exts, NEL(resume_exts));
    assert_flight(&r.s.server_flight, 1, 85, 0, 0, false);

    /* mutual TLS 1.3: the CertificateRequest makes the encrypted flight
     * one record longer (23 + 92 + 787 + 97 + 69) */
    d = starttls_dialogue(mtls13, NEL(mtls13));
    run(&d, M_WHOLE, 0, 0, NULL, &r, NULL);
    assert_flight(&r.s.server_flight, 1, 122, 5, 1068, true);

    /* DHE over 1.2: SH 57, Certificate 869, SKE 783, SHD 4 */
    d = starttls_dialogue(dhe, NEL(dhe));
    run(&d, M_WHOLE, 0, 0, NULL, &r, NULL);
    assert_flight(&r.s.server_flight, 4, 1713, 0, 0, false);
    assert_int_equal(r.s.kx.kind, TLS_KX_DHE);

    /* no ClientHello (a server-side capture): no random */
    d = tls_dialogue(t12 + 1, 1);
    run(&d, M_WHOLE, 0, 0, NULL, &r, NULL);
    assert_false(r.s.client_random_seen);
    assert_int_equal(r.s.session_id_len, 0);
    assert_int_equal(r.s.nsh_ext_types, 5);
    rec_clear(&r);
}

/* ---- allocation failures -------------------------------------------- */

struct fail {
    unsigned mask;        /* SESSION_ALLOC_BIT of the kinds to fail (every time) */
    unsigned nth;         /* or fail only the nth allocation, of any kind (1-based) */
    unsigned calls;
    unsigned failed;      /* SESSION_ALLOC_BIT of what was failed */
    unsigned nfailed;
};

static bool fail_alloc(void *ctx, enum session_alloc what)
{
    struct fail *f = ctx;
    bool no;

    assert_true((unsigned)what < SESSION_ALLOC_COUNT);
    f->calls++;
    no = (f->mask & SESSION_ALLOC_BIT(what)) || f->calls == f->nth;
    if (no) {
        f->failed |= SESSION_ALLOC_BIT(what);
        f->nfailed++;
    }
    return no;
}

static void run_failing(const struct dialogue *d, unsigned mask, bool transcript,
                        uint16_t sport, struct rec *r, struct fail *f)
{
    struct run_opts ro = {.sport = sport, .transcript = transcript, .fail_alloc = fail_alloc};

    memset(f, 0, sizeof(*f));
    f->mask = mask;
    ro.fail_ctx = f;
    run(d, M_WHOLE, 0, 0, &ro, r, NULL);
}

/* No TLS parser: TLS was still there (tls), nothing of it was read, and
 * the record says why; the SMTP facts are whole. */
static void test_alloc_tls(void **state)
{
    struct dialogue d = starttls_dialogue(t12, NEL(t12));
    struct rec r = {0};
    struct fail f;

    (void)state;
    run_failing(&d, SESSION_ALLOC_BIT(SESSION_ALLOC_TLS), false, 0, &r, &f);
    assert_int_equal(r.n, 1);
    assert_int_equal(f.nfailed, 1);      /* asked once, never again */
    assert_true(r.s.tls);
    assert_int_equal(r.s.alloc_failed, SESSION_ALLOC_BIT(SESSION_ALLOC_TLS));
    assert_int_equal(r.s.tls_state, SESSION_TLS_NONE);
    assert_false(r.s.client_hello);
    assert_false(r.s.incomplete);
    assert_starttls_facts(&r);

    d = tls_dialogue(t12, NEL(t12));
    run_failing(&d, SESSION_ALLOC_BIT(SESSION_ALLOC_TLS), false, 465, &r, &f);
    assert_true(r.s.tls);
    assert_true(r.s.implicit_tls);
    assert_int_equal(r.s.alloc_failed, SESSION_ALLOC_BIT(SESSION_ALLOC_TLS));
    assert_false(r.s.server_chain.seen);
    rec_clear(&r);
}

/* No SMTP parser: no facts, and not mistaken for implicit TLS. */
static void test_alloc_smtp(void **state)
{
    struct dialogue d = starttls_dialogue(t12, NEL(t12));
    struct rec r = {0};
    struct fail f;

    (void)state;
    run_failing(&d, SESSION_ALLOC_BIT(SESSION_ALLOC_SMTP), false, 0, &r, &f);
    assert_int_equal(r.n, 1);
    assert_int_equal(f.nfailed, 1);
    assert_false(r.smtp);
    assert_false(r.s.implicit_tls);
    assert_int_equal(r.s.alloc_failed, SESSION_ALLOC_BIT(SESSION_ALLOC_SMTP));
    rec_clear(&r);
}

/* A chain that could not be copied is not an empty chain seen. */
static void test_alloc_chain(void **state)
{
    struct dialogue d = starttls_dialogue(t12, NEL(t12));
    struct rec r = {0};
    struct fail f;

    (void)state;
    run_failing(&d, SESSION_ALLOC_BIT(SESSION_ALLOC_SERVER_CHAIN), false, 0, &r, &f);
    assert_int_equal(f.nfailed, 1);
    assert_false(r.s.server_chain.seen);
    assert_int_equal(r.s.server_chain.n, 0);
    assert_int_equal(r.s.alloc_failed, SESSION_ALLOC_BIT(SESSION_ALLOC_SERVER_CHAIN));
    assert_int_equal(r.s.tls_state, SESSION_TLS_ESTABLISHED);
    assert_string_equal(r.sni, "mx.example.test");
    assert_flight(&r.s.server_flight, 4, 960, 0, 0, false);

    /* mutual TLS: the client's chain, then the CertificateRequest's CA
     * names; the other side's chain is kept */
    d = tls_dialogue(mtls12, NEL(mtls12));
    run_failing(&d, SESSION_ALLOC_BIT(SESSION_ALLOC_CLIENT_CHAIN), false, 465, &r, &f);
    assert_false(r.s.client_chain.seen);
    assert_true(r.s.server_chain.seen);
    assert_int_equal(r.s.server_chain.n, 2);
    assert_int_equal(r.s.ncr_ca, 1);
    assert_int_equal(r.s.alloc_failed, SESSION_ALLOC_BIT(SESSION_ALLOC_CLIENT_CHAIN));
    run_failing(&d, SESSION_ALLOC_BIT(SESSION_ALLOC_CA_NAMES), false, 465, &r, &f);
    assert_true(r.s.cert_request);
    assert_int_equal(r.s.ncr_ca, 0);
    assert_true(r.s.client_chain.seen);
    assert_der(&r, 1, 0, cert_client, sizeof(cert_client));
    assert_int_equal(r.s.alloc_failed, SESSION_ALLOC_BIT(SESSION_ALLOC_CA_NAMES));
    rec_clear(&r);
}

/* Names that could not be copied are missing for that reason. */
static void test_alloc_names(void **state)
{
    struct dialogue d = starttls_dialogue(t12, NEL(t12));
    struct rec r = {0};
    struct fail f;

    (void)state;
    run_failing(&d, SESSION_ALLOC_BIT(SESSION_ALLOC_NAMES), false, 0, &r, &f);
    /* sni, the ClientHello kept for its JA3 and JA4_r (so neither is
     * asked for), alpn, ja3s */
    assert_int_equal(f.nfailed, 4);
    assert_false(r.sni_set || r.ja3_set || r.ja4_set || r.alpn_set || r.ja3s_set);
    assert_int_equal(r.s.alloc_failed, SESSION_ALLOC_BIT(SESSION_ALLOC_NAMES));
    assert_true(r.s.server_chain.seen);
    assert_int_equal(r.s.version, 0x0303);
    rec_clear(&r);
}

static void test_alloc_transcript(void **state)
{
    struct dialogue d = starttls_dialogue(t12, NEL(t12));
    struct rec w = {0}, r = {0};
    struct fail f;

    (void)state;
    run_failing(&d, 0, true, 0, &w, &f);
    assert_int_equal(f.nfailed, 0);
    assert_true(w.s.nlines > 0);
    assert_int_equal(w.s.lines_dropped, 0);
    run_failing(&d, SESSION_ALLOC_BIT(SESSION_ALLOC_TRANSCRIPT), true, 0, &r, &f);
    assert_int_equal(r.s.nlines, 0);
    assert_int_equal(r.s.lines_dropped, w.s.nlines);
    assert_int_equal(r.s.alloc_failed, SESSION_ALLOC_BIT(SESSION_ALLOC_TRANSCRIPT));
    assert_t12(&w);
    rec_clear(&w);
    rec_clear(&r);
}

/* No state for the connection: no record, and the layer counts it. */
static void test_alloc_session(void **state)
{
    struct dialogue d = starttls_dialogue(t12, NEL(t12));
    struct harness *h = calloc(1, sizeof(*h));
    struct run_opts ro = {.fail_alloc = fail_alloc};
    struct session_opts so = {.fail_alloc = fail_alloc};
    struct session_layer *sl;
    struct rec r = {0};
    struct fail f = {.mask = SESSION_ALLOC_BIT(SESSION_ALLOC_SESSION)};

    (void)state;
    assert_non_null(h);
    ro.fail_ctx = &f;
    run(&d, M_WHOLE, 0, 0, &ro, &r, h);
    assert_int_equal(r.n, 0);
    assert_int_equal(f.nfailed, 1);
    assert_int_equal(h->ncalls, 0);      /* no consumer: no bytes offered */
    free(h);

    so.fail_ctx = &f;
    sl = session_layer_new(&so, NULL);
    assert_non_null(sl);
    assert_int_equal(session_layer_lost(sl), 0);
    session_layer_free(sl);
    assert_string_equal(session_alloc_name(SESSION_ALLOC_SERVER_CHAIN), "server_chain");
    assert_string_equal(session_alloc_name(SESSION_ALLOC_SESSION), "session");
    assert_string_equal(session_alloc_name(SESSION_ALLOC_COUNT), "unknown");
    rec_clear(&r);
}

/* Fail each allocation in turn, one per run, on dialogues that make every
 * kind: the run never crashes or leaks (ASan), and the one failure is in
 * the record (or, for the session's own state, there is no record). */
static void test_alloc_each(void **state)
{
    struct dialogue d[2];
    uint16_t ports[2] = {25, 465};
    struct rec r = {0};

    (void)state;
    d[0] = starttls_dialogue(t12, NEL(t12));
    d[1] = tls_dialogue(mtls12, NEL(mtls12));
    for (int k = 0; k < 2; k++) {
        unsigned total, seen = 0;
        struct fail f;

        run_failing(&d[k], 0, true, ports[k], &r, &f);
        total = f.calls;
        assert_true(total > 10);
        for (unsigned nth = 1; nth <= total; nth++) {
            struct run_opts ro = {.sport = ports[k], .transcript = true,
                                  .fail_alloc = fail_alloc};

            memset(&f, 0, sizeof(f));
            f.nth = nth;
            ro.fail_ctx = &f;
            run(&d[k], M_WHOLE, 0, 0, &ro, &r, NULL);
            assert_int_equal(f.nfailed, 1);
            seen |= f.failed;
            if (f.failed == SESSION_ALLOC_BIT(SESSION_ALLOC_SESSION)) {
                assert_int_equal(r.n, 0);
                continue;
            }
            assert_int_equal(r.n, 1);
            assert_int_equal(r.s.alloc_failed, f.failed);
            if (!(f.failed & (SESSION_ALLOC_BIT(SESSION_ALLOC_TLS) |
                              SESSION_ALLOC_BIT(SESSION_ALLOC_SMTP) |
                              SESSION_ALLOC_BIT(SESSION_ALLOC_SERVER_CHAIN))))
                assert_true(r.s.server_chain.seen && r.s.server_chain.n == 2);
            if (f.failed != SESSION_ALLOC_BIT(SESSION_ALLOC_SMTP))
                assert_true(r.s.tls);
        }
        /* every kind but the other dialogue's was exercised */
        if (k == 0)
            assert_int_equal(seen, SESSION_ALLOC_BIT(SESSION_ALLOC_SESSION) |
                                   SESSION_ALLOC_BIT(SESSION_ALLOC_SMTP) |
                                   SESSION_ALLOC_BIT(SESSION_ALLOC_TLS) |
                                   SESSION_ALLOC_BIT(SESSION_ALLOC_NAMES) |
                                   SESSION_ALLOC_BIT(SESSION_ALLOC_SERVER_CHAIN) |
                                   SESSION_ALLOC_BIT(SESSION_ALLOC_TRANSCRIPT));
        else
            assert_int_equal(seen, SESSION_ALLOC_BIT(SESSION_ALLOC_SESSION) |
                                   SESSION_ALLOC_BIT(SESSION_ALLOC_TLS) |
                                   SESSION_ALLOC_BIT(SESSION_ALLOC_NAMES) |
                                   SESSION_ALLOC_BIT(SESSION_ALLOC_SERVER_CHAIN) |
                                   SESSION_ALLOC_BIT(SESSION_ALLOC_CLIENT_CHAIN) |
                                   SESSION_ALLOC_BIT(SESSION_ALLOC_CA_NAMES) |
                                   SESSION_ALLOC_BIT(SESSION_ALLOC_TRANSCRIPT));
    }
    rec_clear(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_dialogue),
        cmocka_unit_test(test_starttls_tls12),
        cmocka_unit_test(test_starttls_tls13),
        cmocka_unit_test(test_tls13_stops_after_flight),
        cmocka_unit_test(test_starttls_same_callback),
        cmocka_unit_test(test_state_reused),
        cmocka_unit_test(test_consumed),
        cmocka_unit_test(test_split_every_offset),
        cmocka_unit_test(test_implicit_tls),
        cmocka_unit_test(test_prelude),
        cmocka_unit_test(test_protocol_mismatch),
        cmocka_unit_test(test_digest),
        cmocka_unit_test(test_alloc_tls),
        cmocka_unit_test(test_alloc_smtp),
        cmocka_unit_test(test_alloc_chain),
        cmocka_unit_test(test_alloc_names),
        cmocka_unit_test(test_alloc_transcript),
        cmocka_unit_test(test_alloc_session),
        cmocka_unit_test(test_alloc_each),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

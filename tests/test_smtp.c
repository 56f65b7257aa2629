/*
 * test_smtp.c - the SMTP dialogue parser on dialogues taken from real
 * software: Google's and Exim's servers (zeek/nDPI captures in shared/pcaps),
 * Sendmail 8.8.7 (nDPI's smtp.pcap), SubEthaSMTP (zeek's smtp.pcap),
 * Postfix's reply texts (strings of /usr/lib/postfix/sbin/smtpd 3.7) and
 * Exchange's X-ANONYMOUSTLS.
 *
 * Every dialogue runs four ways (STYLE.md): whole; split at every offset;
 * byte by byte, both with the facts, the transcript and the bytes left
 * unconsumed identical to the whole run; and every truncated prefix, which
 * must not crash.  Each feed hands smtp_feed an exact-size heap copy of the
 * pending bytes, so ASan sees any read past the end.  The harness re-offers
 * unconsumed bytes with the next ones, as tcp_reasm does.
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

#include "dissect/smtp.h"
#include "tests/dyn.h"

/* ---- the harness ---------------------------------------------------- */

struct step {
    enum tcp_dir dir;
    const char *data;
    size_t len;
};

#define C(s) {TCP_TO_SERVER, s, sizeof(s) - 1}
#define S(s) {TCP_TO_CLIENT, s, sizeof(s) - 1}
#define NSTEPS(a) (sizeof(a) / sizeof((a)[0]))

static void dyn_escaped(struct dyn *d, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)p[i];

        if (ch < 0x20 || ch >= 0x7f || ch == '\\')
            dyn_printf(d, "\\x%02x", ch);
        else
            dyn_add(d, &ch, 1);
    }
}


/* dyn_has is true when |needle| occurs in the |d| bytes (NULs included). */
static bool dyn_has(const struct dyn *d, const char *needle)
{
    size_t n = strlen(needle);

    for (size_t i = 0; d->p && i + n <= d->len; i++)
        if (memcmp(d->p + i, needle, n) == 0)
            return true;
    return false;
}

struct rec {
    enum tcp_dir dir;
    uint64_t ts;
    enum smtp_line_kind kind;
    char *text;
    size_t len, arg_off;
};

struct run {
    struct smtp *s;
    struct dyn transcript;   /* one escaped line per callback */
    struct dyn raw;          /* every reported byte, for "never shown" checks */
    struct dyn facts;        /* smtp_facts, printed */
    struct rec *recs;
    size_t nrecs;
    uint8_t *pend[2];        /* offered, not consumed */
    size_t plen[2];
    bool done[2];            /* TLS or stopped: bytes only accumulate */
};

static const char *const kind_names[] = {"C", "R", "CONTENT", "AUTH"};

static void on_line(void *user, enum tcp_dir dir, uint64_t ts_us, enum smtp_line_kind kind,
                    const struct cbs *line, size_t arg_off)
{
    struct run *r = user;
    struct rec *rec;
    size_t n = cbs_len(line);

    assert_true(kind <= SMTP_LINE_AUTH);
    assert_true(arg_off <= n);
    /* Lines come without their CRLF. */
    if (n)
        assert_int_not_equal(cbs_data(line)[n - 1], '\n');
    r->recs = realloc(r->recs, (r->nrecs + 1) * sizeof(*r->recs));
    assert_non_null(r->recs);
    rec = &r->recs[r->nrecs++];
    rec->dir = dir;
    rec->ts = ts_us;
    rec->kind = kind;
    rec->len = n;
    rec->arg_off = arg_off;
    rec->text = malloc(n + 1);
    assert_non_null(rec->text);
    if (n)
        memcpy(rec->text, cbs_data(line), n);
    rec->text[n] = '\0';
    dyn_printf(&r->transcript, "%s %llu %s %zu |", dir == TCP_TO_SERVER ? "C>" : "S<",
               (unsigned long long)ts_us, kind_names[kind], arg_off);
    dyn_escaped(&r->transcript, rec->text, n);
    dyn_add(&r->transcript, "|\n", 2);
    dyn_add(&r->raw, rec->text, n);
    dyn_add(&r->raw, "\n", 1);
}

static const struct smtp_cbs test_cbs = {.on_line = on_line};

static void print_str(struct dyn *d, const char *name, const char *v)
{
    dyn_printf(d, "%s=", name);
    if (v)
        dyn_escaped(d, v, strlen(v));
    else
        dyn_add(d, "(null)", 6);
    dyn_add(d, "\n", 1);
}

static void print_facts(struct dyn *d, const struct smtp_facts *f)
{
    print_str(d, "banner", f->banner);
    print_str(d, "banner_host", f->banner_host);
    dyn_printf(d, "greeting_code=%u\n", f->greeting_code);
    print_str(d, "helo", f->helo);
    dyn_printf(d, "ehlo=%d\n", f->ehlo);
    print_str(d, "ehlo_host", f->ehlo_host);
    assert_true(f->ncaps <= SMTP_MAX_CAPS);
    for (size_t i = 0; i < f->ncaps; i++)
        print_str(d, "cap", f->caps[i]);
    print_str(d, "auth_mechs", f->auth_mechs);
    dyn_printf(d, "offered=%d xanon=%d requested=%d code=%u\n", f->starttls_offered,
               f->x_anonymoustls_offered, f->starttls_requested, f->starttls_code);
    print_str(d, "starttls_reply", f->starttls_reply);
    dyn_printf(d, "tls_started=%d at=%llu\n", f->tls_started,
               (unsigned long long)f->tls_start_us);
    dyn_printf(d, "clear mail=%d rcpt=%d data=%d bytes=%llu\n", f->mail_in_clear,
               f->rcpt_in_clear, f->data_in_clear, (unsigned long long)f->data_bytes);
    dyn_printf(d, "commands=%u replies=%u\n", f->commands, f->replies);
    assert_true(f->ntls_errors <= SMTP_MAX_TLS_ERRORS);
    for (size_t i = 0; i < f->ntls_errors; i++) {
        dyn_printf(d, "tls_error %llu %u ", (unsigned long long)f->tls_errors[i].ts_us,
                   f->tls_errors[i].code);
        print_str(d, "enhanced", f->tls_errors[i].enhanced);
        print_str(d, "text", f->tls_errors[i].text);
    }
    dyn_printf(d, "last_code=%u\n", f->last_code);
    print_str(d, "last_reply", f->last_reply);
    dyn_printf(d, "stop=%s dir=%d\n", smtp_stop_name(f->stop), (int)f->stop_dir);
}

static void run_init(struct run *r)
{
    memset(r, 0, sizeof(*r));
    r->s = smtp_new(&test_cbs, r);
    assert_non_null(r->s);
}

static void run_free(struct run *r)
{
    smtp_free(r->s);
    dyn_free(&r->transcript);
    dyn_free(&r->raw);
    dyn_free(&r->facts);
    for (size_t i = 0; i < r->nrecs; i++)
        free(r->recs[i].text);
    free(r->recs);
    free(r->pend[0]);
    free(r->pend[1]);
    memset(r, 0, sizeof(*r));
}

static void mark_done(struct run *r)
{
    for (int d = 0; d < 2; d++) {
        enum smtp_mode m = smtp_mode(r->s, (enum tcp_dir)d);

        if (m == SMTP_MODE_TLS || m == SMTP_MODE_STOPPED)
            r->done[d] = true;
    }
}

/* Offer what |dir| has pending in an exact-size heap copy, drop what was
 * consumed: tcp_reasm's contract. */
static void offer(struct run *r, enum tcp_dir dir, uint64_t ts)
{
    size_t n = r->plen[dir], used;
    uint8_t *copy;

    mark_done(r);
    if (r->done[dir] || n == 0)
        return;
    copy = malloc(n);
    assert_non_null(copy);
    memcpy(copy, r->pend[dir], n);
    used = smtp_feed(r->s, dir, copy, n, ts);
    free(copy);
    assert_true(used <= n);
    memmove(r->pend[dir], r->pend[dir] + used, n - used);
    r->plen[dir] = n - used;
    mark_done(r);
}

static void feed(struct run *r, enum tcp_dir dir, const char *p, size_t n, uint64_t ts)
{
    if (n == 0)
        return;
    r->pend[dir] = realloc(r->pend[dir], r->plen[dir] + n);
    assert_non_null(r->pend[dir]);
    memcpy(r->pend[dir] + r->plen[dir], p, n);
    r->plen[dir] += n;
    offer(r, dir, ts);
}

enum how { WHOLE, SPLIT, BYTES };

/* Feed at most |limit| bytes of the dialogue; with SPLIT the step holding
 * global offset |at| is cut there.  Step i carries timestamp 1000*(i+1).
 * After each step the other direction's held bytes are offered again, as
 * the session layer does when one side's reply unblocks the other. */
static void play(struct run *r, const struct step *steps, size_t nsteps, enum how how,
                 size_t at, size_t limit)
{
    size_t g = 0;

    for (size_t i = 0; i < nsteps && g < limit; i++) {
        const struct step *st = &steps[i];
        size_t take = st->len < limit - g ? st->len : limit - g;
        uint64_t ts = 1000 * (uint64_t)(i + 1);

        if (how == BYTES) {
            for (size_t k = 0; k < take; k++)
                feed(r, st->dir, st->data + k, 1, ts);
        } else if (how == SPLIT && at > g && at < g + take) {
            feed(r, st->dir, st->data, at - g, ts);
            feed(r, st->dir, st->data + (at - g), take - (at - g), ts);
        } else {
            feed(r, st->dir, st->data, take, ts);
        }
        offer(r, st->dir == TCP_TO_SERVER ? TCP_TO_CLIENT : TCP_TO_SERVER, ts);
        g += take;
    }
    /* The end of the capture: everything is offered one last time. */
    offer(r, TCP_TO_SERVER, 999999);
    offer(r, TCP_TO_CLIENT, 999999);
    print_facts(&r->facts, smtp_facts(r->s));
}

static size_t total_len(const struct step *steps, size_t n)
{
    size_t t = 0;

    for (size_t i = 0; i < n; i++)
        t += steps[i].len;
    return t;
}

static void same_as(const struct run *a, const struct run *b, const char *what, size_t at)
{
    if (strcmp(a->facts.p, b->facts.p) != 0 || a->transcript.len != b->transcript.len ||
        memcmp(a->transcript.p, b->transcript.p, a->transcript.len) != 0) {
        print_message("%s at %zu differs\n--- whole facts\n%s--- this run\n%s--- whole "
                      "transcript\n%s--- this run\n%s",
                      what, at, a->facts.p, b->facts.p, a->transcript.p, b->transcript.p);
        fail();
    }
    for (int d = 0; d < 2; d++) {
        assert_int_equal(a->plen[d], b->plen[d]);
        if (a->plen[d])
            assert_memory_equal(a->pend[d], b->pend[d], a->plen[d]);
    }
}

typedef void (*expect_fn)(const struct run *r);

/* Run a dialogue four ways; |expect| checks the whole run, the others must
 * equal it; |secrets| must appear nowhere in what is reported or kept. */
static void check_dialogue(const struct step *steps, size_t nsteps, expect_fn expect,
                           const char *const *secrets)
{
    size_t total = total_len(steps, nsteps);
    struct run whole, r;

    run_init(&whole);
    play(&whole, steps, nsteps, WHOLE, 0, SIZE_MAX);
    if (expect)
        expect(&whole);
    for (size_t i = 0; secrets && secrets[i]; i++) {
        if (dyn_has(&whole.raw, secrets[i]) || dyn_has(&whole.facts, secrets[i])) {
            print_message("secret \"%s\" was reported\n%s%s", secrets[i], whole.transcript.p,
                          whole.facts.p);
            fail();
        }
    }
    for (size_t at = 1; at < total; at++) {
        run_init(&r);
        play(&r, steps, nsteps, SPLIT, at, SIZE_MAX);
        same_as(&whole, &r, "split", at);
        run_free(&r);
    }
    run_init(&r);
    play(&r, steps, nsteps, BYTES, 0, SIZE_MAX);
    same_as(&whole, &r, "byte by byte", 0);
    run_free(&r);
    for (size_t limit = 0; limit < total; limit++) {
        run_init(&r);
        play(&r, steps, nsteps, WHOLE, 0, limit);
        for (size_t i = 0; secrets && secrets[i]; i++)
            assert_false(dyn_has(&r.raw, secrets[i]));
        run_free(&r);
    }
    run_free(&whole);
}

static const struct smtp_facts *F(const struct run *r)
{
    return smtp_facts(r->s);
}

/* rec_at returns the |i|-th reported line; fails the test when absent. */
static const struct rec *rec_at(const struct run *r, size_t i)
{
    assert_true(i < r->nrecs);
    return &r->recs[i];
}

static size_t count_kind(const struct run *r, enum smtp_line_kind k)
{
    size_t n = 0;

    for (size_t i = 0; i < r->nrecs; i++)
        n += r->recs[i].kind == k;
    return n;
}

static const struct rec *find_rec(const struct run *r, enum smtp_line_kind k, const char *prefix)
{
    for (size_t i = 0; i < r->nrecs; i++)
        if (r->recs[i].kind == k && strncmp(r->recs[i].text, prefix, strlen(prefix)) == 0)
            return &r->recs[i];
    return NULL;
}

static void left_is(const struct run *r, enum tcp_dir dir, const char *bytes, size_t n)
{
    assert_int_equal(r->plen[dir], n);
    if (n)
        assert_memory_equal(r->pend[dir], bytes, n);
}

/* ---- Google, STARTTLS accepted (nDPI smtp-starttls.pcap) ------------ */

#define GMAIL_CH "\x16\x03\x01\x00\x6b\x01\x00\x00\x67\x03\x01\x52\xbb\x75\xe4\x4e"
#define GMAIL_SH "\x16\x03\x01\x00\x35\x02\x00\x00\x31\x03\x01\x52\xbb\x75\xe4\x01"

static const struct step gmail[] = {
    S("220 mx.google.com ESMTP s4si9696358qcc.63 - gsmtp\r\n"),
    C("EHLO xxxxxxxxxxxxx.xxx.com\r\n"),
    S("250-mx.google.com at your service, [10.000.000.01]\r\n"
      "250-SIZE 35882577\r\n"
      "250-8BITMIME\r\n"
      "250-STARTTLS\r\n"
      "250-ENHANCEDSTATUSCODES\r\n"
      "250-PIPELINING\r\n"
      "250 CHUNKING\r\n"),
    C("STARTTLS\r\n"),
    S("220 2.0.0 Ready to start TLS\r\n"),
    C(GMAIL_CH),
    S(GMAIL_SH),
};

static void expect_gmail(const struct run *r)
{
    const struct smtp_facts *f = F(r);
    static const char *const caps[] = {"SIZE",   "8BITMIME",   "STARTTLS", "ENHANCEDSTATUSCODES",
                                       "PIPELINING", "CHUNKING"};

    assert_string_equal(f->banner, "220 mx.google.com ESMTP s4si9696358qcc.63 - gsmtp");
    assert_string_equal(f->banner_host, "mx.google.com");
    assert_int_equal(f->greeting_code, 220);
    assert_string_equal(f->helo, "xxxxxxxxxxxxx.xxx.com");
    assert_true(f->ehlo);
    assert_string_equal(f->ehlo_host, "mx.google.com");
    assert_int_equal(f->ncaps, 6);
    for (size_t i = 0; i < 6; i++)
        assert_string_equal(f->caps[i], caps[i]);
    assert_null(f->auth_mechs);
    assert_true(f->starttls_offered);
    assert_false(f->x_anonymoustls_offered);
    assert_true(f->starttls_requested);
    assert_int_equal(f->starttls_code, 220);
    assert_string_equal(f->starttls_reply, "220 2.0.0 Ready to start TLS");
    assert_true(f->tls_started);
    assert_int_equal(f->tls_start_us, 5000);
    assert_false(f->mail_in_clear);
    assert_false(f->data_in_clear);
    assert_int_equal(f->commands, 2);
    assert_int_equal(f->replies, 3);
    assert_int_equal(f->ntls_errors, 0);
    assert_int_equal(f->last_code, 220);
    assert_int_equal(f->stop, SMTP_STOP_NONE);
    assert_int_equal(smtp_mode(r->s, TCP_TO_SERVER), SMTP_MODE_TLS);
    assert_int_equal(smtp_mode(r->s, TCP_TO_CLIENT), SMTP_MODE_TLS);
    /* Exactly the TLS bytes are left, in both directions. */
    left_is(r, TCP_TO_SERVER, GMAIL_CH, sizeof(GMAIL_CH) - 1);
    left_is(r, TCP_TO_CLIENT, GMAIL_SH, sizeof(GMAIL_SH) - 1);
    /* The transcript: 1 + 1 + 7 + 1 + 1 lines, timestamps of their steps. */
    assert_int_equal(r->nrecs, 11);
    assert_int_equal(rec_at(r, 0)->kind, SMTP_LINE_REPLY);
    assert_int_equal(rec_at(r, 0)->ts, 1000);
    assert_string_equal(rec_at(r, 1)->text, "EHLO xxxxxxxxxxxxx.xxx.com");
    assert_int_equal(rec_at(r, 1)->kind, SMTP_LINE_COMMAND);
    assert_int_equal(rec_at(r, 1)->dir, TCP_TO_SERVER);
    assert_string_equal(rec_at(r, 8)->text, "250 CHUNKING");
    assert_string_equal(rec_at(r, 9)->text, "STARTTLS");
    assert_string_equal(rec_at(r, 10)->text, "220 2.0.0 Ready to start TLS");
    assert_int_equal(rec_at(r, 10)->ts, 5000);
}

static void test_starttls_gmail(void **state)
{
    (void)state;
    check_dialogue(gmail, NSTEPS(gmail), expect_gmail, NULL);
}

/* The same, but each side's TLS bytes arrive in the segment that carries
 * its last SMTP line: the server's 220 and ServerHello together, and a
 * client that sends its ClientHello right behind STARTTLS without waiting.
 * The client's bytes must wait until the 220 says what they are. */
static const struct step gmail_glued[] = {
    S("220 mx.google.com ESMTP s4si9696358qcc.63 - gsmtp\r\n"),
    C("EHLO xxxxxxxxxxxxx.xxx.com\r\n"),
    S("250-mx.google.com at your service, [10.000.000.01]\r\n"
      "250-STARTTLS\r\n"
      "250 CHUNKING\r\n"),
    C("STARTTLS\r\n" GMAIL_CH),
    S("220 2.0.0 Ready to start TLS\r\n" GMAIL_SH),
};

static void expect_gmail_glued(const struct run *r)
{
    assert_true(F(r)->tls_started);
    left_is(r, TCP_TO_SERVER, GMAIL_CH, sizeof(GMAIL_CH) - 1);
    left_is(r, TCP_TO_CLIENT, GMAIL_SH, sizeof(GMAIL_SH) - 1);
}

static void test_starttls_glued(void **state)
{
    (void)state;
    check_dialogue(gmail_glued, NSTEPS(gmail_glued), expect_gmail_glued, NULL);
}

/* What smtp_feed returns, step by step, at the hand-off. */
static void test_starttls_consumed_counts(void **state)
{
    static const char ehlo_reply[] = "250-mx\r\n250 STARTTLS\r\n";
    static const char cl[] = "STARTTLS\r\n" GMAIL_CH;
    static const char sv[] = "220 2.0.0 Ready to start TLS\r\n" GMAIL_SH;
    struct smtp *s = smtp_new(NULL, NULL);
    uint8_t *b;

    (void)state;
    assert_non_null(s);
    assert_int_equal(smtp_feed(s, TCP_TO_CLIENT, (const uint8_t *)"220 mx\r\n", 8, 1), 8);
    assert_int_equal(smtp_feed(s, TCP_TO_SERVER, (const uint8_t *)"EHLO a\r\n", 8, 2), 8);
    assert_int_equal(smtp_feed(s, TCP_TO_CLIENT, (const uint8_t *)ehlo_reply,
                               sizeof(ehlo_reply) - 1, 3),
                     sizeof(ehlo_reply) - 1);
    b = malloc(sizeof(cl) - 1);
    assert_non_null(b);
    memcpy(b, cl, sizeof(cl) - 1);
    /* Up to and including the STARTTLS line, and not a byte more. */
    assert_int_equal(smtp_feed(s, TCP_TO_SERVER, b, sizeof(cl) - 1, 4), 10);
    assert_int_equal(smtp_mode(s, TCP_TO_SERVER), SMTP_MODE_TEXT);
    /* Re-offered before the reply: still nothing. */
    assert_int_equal(smtp_feed(s, TCP_TO_SERVER, b + 10, sizeof(cl) - 11, 4), 0);
    free(b);
    b = malloc(sizeof(sv) - 1);
    assert_non_null(b);
    memcpy(b, sv, sizeof(sv) - 1);
    assert_int_equal(smtp_feed(s, TCP_TO_CLIENT, b, sizeof(sv) - 1, 5), 30);
    free(b);
    assert_int_equal(smtp_mode(s, TCP_TO_SERVER), SMTP_MODE_TLS);
    assert_int_equal(smtp_mode(s, TCP_TO_CLIENT), SMTP_MODE_TLS);
    assert_int_equal(smtp_feed(s, TCP_TO_SERVER, (const uint8_t *)GMAIL_CH, 16, 6), 0);
    assert_int_equal(smtp_feed(s, TCP_TO_CLIENT, (const uint8_t *)GMAIL_SH, 16, 6), 0);
    assert_int_equal(smtp_facts(s)->tls_start_us, 5);
    smtp_free(s);
}

/* ---- Exim: AUTH LOGIN, MAIL, DATA (zeek smtp.pcap, stream 0) -------- */

static const struct step exim[] = {
    S("220-xc90.websitewelcome.com ESMTP Exim 4.69 #1 Mon, 05 Oct 2009 01:05:54 -0500 \r\n"
      "220-We do not authorize the use of this system to transport unsolicited, \r\n"
      "220 and/or bulk e-mail.\r\n"),
    C("EHLO GP\r\n"),
    S("250-xc90.websitewelcome.com Hello GP [122.162.143.157]\r\n"
      "250-SIZE 52428800\r\n"
      "250-PIPELINING\r\n"
      "250-AUTH PLAIN LOGIN\r\n"
      "250-STARTTLS\r\n"
      "250 HELP\r\n"),
    C("AUTH LOGIN\r\n"),
    S("334 VXNlcm5hbWU6\r\n"),
    C("Z3VycGFydGFwQHBhdHJpb3RzLmlu\r\n"),
    S("334 UGFzc3dvcmQ6\r\n"),
    C("cHVuamFiQDEyMw==\r\n"),
    S("235 Authentication succeeded\r\n"),
    C("MAIL FROM: <gurpartap@patriots.in>\r\n"),
    S("250 OK\r\n"),
    C("RCPT TO: <raj_deol2002in@yahoo.co.in>\r\n"),
    S("250 Accepted\r\n"),
    C("DATA\r\n"),
    S("354 Enter message, ending with \".\" on a line by itself\r\n"),
    /* Outlook 12's message, shortened; a dot-stuffed line added. */
    C("From: \"Gurpartap Singh\" <gurpartap@patriots.in>\r\n"
      "To: <raj_deol2002in@yahoo.co.in>\r\n"
      "Subject: SMTP\r\n"
      "Content-Type: multipart/mixed;\r\n"
      "\tboundary=\"----=_NextPart_000_0004_01CA45B0.095693F0\"\r\n"
      "\r\n"
      "I send u smtp pcap file \r\n"
      "..dot-stuffed line\r\n"
      ".\r\n"),
    S("250 OK id=1Mugho-0003Dg-Un\r\n"),
    C("QUIT\r\n"),
    S("221 xc90.websitewelcome.com closing connection\r\n"),
};

static const char *const exim_secrets[] = {
    "Z3VycGFydGFwQHBhdHJpb3RzLmlu", "cHVuamFiQDEyMw==", "Gurpartap Singh",
    "I send u smtp", "dot-stuffed", "boundary", "Subject", NULL,
};

#define EXIM_CONTENT_LEN                                                                      \
    (sizeof("From: \"Gurpartap Singh\" <gurpartap@patriots.in>\r\n"                            \
            "To: <raj_deol2002in@yahoo.co.in>\r\n"                                              \
            "Subject: SMTP\r\n"                                                                 \
            "Content-Type: multipart/mixed;\r\n"                                                \
            "\tboundary=\"----=_NextPart_000_0004_01CA45B0.095693F0\"\r\n"                      \
            "\r\n"                                                                              \
            "I send u smtp pcap file \r\n"                                                      \
            "..dot-stuffed line\r\n") - 1)

static void expect_exim(const struct run *r)
{
    const struct smtp_facts *f = F(r);
    const struct rec *mail, *rcpt, *content, *auth;
    char summary[64];

    assert_string_equal(f->banner, "220-xc90.websitewelcome.com ESMTP Exim 4.69 #1 Mon, 05 Oct "
                                   "2009 01:05:54 -0500 ");
    assert_string_equal(f->banner_host, "xc90.websitewelcome.com");
    assert_string_equal(f->helo, "GP");
    assert_string_equal(f->ehlo_host, "xc90.websitewelcome.com");
    assert_int_equal(f->ncaps, 5);
    assert_string_equal(f->caps[2], "AUTH");
    assert_string_equal(f->auth_mechs, "PLAIN LOGIN");
    assert_true(f->starttls_offered);
    assert_false(f->starttls_requested);
    assert_int_equal(f->starttls_code, 0);
    assert_null(f->starttls_reply);
    assert_false(f->tls_started);
    assert_true(f->mail_in_clear);
    assert_true(f->rcpt_in_clear);
    assert_true(f->data_in_clear);
    assert_int_equal(f->data_bytes, EXIM_CONTENT_LEN);
    /* EHLO AUTH MAIL RCPT DATA QUIT; credential lines are not commands. */
    assert_int_equal(f->commands, 6);
    assert_int_equal(f->replies, 10);
    assert_int_equal(f->last_code, 221);
    assert_int_equal(f->stop, SMTP_STOP_NONE);
    assert_int_equal(smtp_mode(r->s, TCP_TO_SERVER), SMTP_MODE_TEXT);

    auth = find_rec(r, SMTP_LINE_COMMAND, "AUTH");
    assert_non_null(auth);
    assert_string_equal(auth->text, "AUTH LOGIN");
    assert_int_equal(count_kind(r, SMTP_LINE_AUTH), 2);
    assert_string_equal(find_rec(r, SMTP_LINE_AUTH, "")->text, "[credentials omitted]");
    mail = find_rec(r, SMTP_LINE_COMMAND, "MAIL");
    assert_non_null(mail);
    assert_int_equal(mail->arg_off, strlen("MAIL FROM: "));
    assert_string_equal(mail->text + mail->arg_off, "<gurpartap@patriots.in>");
    rcpt = find_rec(r, SMTP_LINE_COMMAND, "RCPT");
    assert_non_null(rcpt);
    assert_string_equal(rcpt->text + rcpt->arg_off, "<raj_deol2002in@yahoo.co.in>");
    assert_int_equal(count_kind(r, SMTP_LINE_CONTENT), 1);
    content = find_rec(r, SMTP_LINE_CONTENT, "");
    snprintf(summary, sizeof(summary), "[message content omitted: %zu bytes]",
             (size_t)EXIM_CONTENT_LEN);
    assert_string_equal(content->text, summary);
    assert_int_equal(content->dir, TCP_TO_SERVER);
    assert_int_equal(content->ts, 16000);
    /* Other commands carry no redaction offset. */
    assert_int_equal(find_rec(r, SMTP_LINE_COMMAND, "EHLO")->arg_off, 0);
}

static void test_exim_auth_login_data(void **state)
{
    (void)state;
    check_dialogue(exim, NSTEPS(exim), expect_exim, exim_secrets);
}

/* ---- Postfix: STARTTLS refused, then mail in clear ------------------ */

static const struct step postfix_454[] = {
    S("220 mx.mxwitness.test ESMTP Postfix (Debian/GNU)\r\n"),
    C("EHLO client.example\r\n"),
    S("250-mx.mxwitness.test\r\n"
      "250-PIPELINING\r\n"
      "250-SIZE 10240000\r\n"
      "250-VRFY\r\n"
      "250-ETRN\r\n"
      "250-STARTTLS\r\n"
      "250-ENHANCEDSTATUSCODES\r\n"
      "250-8BITMIME\r\n"
      "250-DSN\r\n"
      "250-SMTPUTF8\r\n"
      "250 CHUNKING\r\n"),
    C("STARTTLS\r\n"),
    S("454 4.7.0 TLS not available due to local problem\r\n"),
    C("MAIL FROM:<alice@client.example>\r\n"),
    S("250 2.1.0 Ok\r\n"),
    C("RCPT TO:<bob@mxwitness.test>\r\n"),
    S("250 2.1.5 Ok\r\n"),
    C("QUIT\r\n"),
    S("221 2.0.0 Bye\r\n"),
};

static void expect_postfix_454(const struct run *r)
{
    const struct smtp_facts *f = F(r);

    assert_string_equal(f->banner_host, "mx.mxwitness.test");
    assert_int_equal(f->ncaps, 10);
    assert_string_equal(f->caps[1], "SIZE");
    assert_true(f->starttls_offered);
    assert_true(f->starttls_requested);
    assert_int_equal(f->starttls_code, 454);
    assert_string_equal(f->starttls_reply, "454 4.7.0 TLS not available due to local problem");
    assert_false(f->tls_started);
    assert_int_equal(f->tls_start_us, 0);
    assert_true(f->mail_in_clear);
    assert_true(f->rcpt_in_clear);
    assert_false(f->data_in_clear);
    assert_int_equal(f->ntls_errors, 1);
    assert_int_equal(f->tls_errors[0].code, 454);
    assert_string_equal(f->tls_errors[0].enhanced, "4.7.0");
    assert_string_equal(f->tls_errors[0].text, "454 4.7.0 TLS not available due to local problem");
    assert_int_equal(f->tls_errors[0].ts_us, 5000);
    assert_int_equal(f->commands, 5);
    assert_int_equal(f->replies, 6);
    assert_int_equal(smtp_mode(r->s, TCP_TO_SERVER), SMTP_MODE_TEXT);
    assert_int_equal(smtp_mode(r->s, TCP_TO_CLIENT), SMTP_MODE_TEXT);
    left_is(r, TCP_TO_SERVER, "", 0);
    left_is(r, TCP_TO_CLIENT, "", 0);
    assert_string_equal(find_rec(r, SMTP_LINE_COMMAND, "MAIL")->text +
                            find_rec(r, SMTP_LINE_COMMAND, "MAIL")->arg_off,
                        "<alice@client.example>");
}

static void test_starttls_refused_454(void **state)
{
    (void)state;
    check_dialogue(postfix_454, NSTEPS(postfix_454), expect_postfix_454, NULL);
}

/* ---- Sendmail 8.8.7, no ESMTP at all (nDPI smtp.pcap) --------------- */

static const struct step sendmail[] = {
    S("220 pigeon.eyrie.af.mil ESMTP Sendmail 8.8.7/8.8.7; Sat, 7 Aug 1999 08:20:11 -0400\r\n"),
    C("EHLO delta.peach.mil\r\n"),
    S("500 Command unrecognized\r\n"),
    C("HELO delta.peach.mil\r\n"),
    S("250 (delta.peach.mil) pleased to meet you.\r\n"),
    C("MAIL From:<coreys@delta.peach.mil>\r\n"),
    S("250 <coreys@delta.peach.mil>... Sender Ok\r\n"),
    C("RCPT To:<camronm@pigeon.eyrie.af.mil>\r\n"),
    S("250 <camronm@pigeon.eyrie.af.mil> OK\r\n"),
    C("DATA\r\n"),
    S("354 Enter mail, end with \".\" on a line by itself\r\n"),
    C("ZWN0aWNlIHNhdmUgaXQgYWdhaW4gYnkgSXNvIGRpcmVjdG9yeTogdGlw\r\n"
      "ZWxkIG9mIFRoZSBtb3N0CiAgICAgICAgICAgIG90aGVyIHBhcmFtZXRlcnMgb2YgSU1TRSAo\r\n\r\n"),
    C(".\r\n"),
    S("250 Mail accepted\r\n"),
    C("QUIT\r\n"),
    S("221 Closing connection\r\n"),
};

static const char *const sendmail_secrets[] = {"ZWN0aWNl", "ZWxkIG9m", NULL};

static void expect_sendmail(const struct run *r)
{
    const struct smtp_facts *f = F(r);

    assert_string_equal(f->banner_host, "pigeon.eyrie.af.mil");
    assert_string_equal(f->helo, "delta.peach.mil");
    assert_false(f->ehlo);
    assert_int_equal(f->ncaps, 0);
    assert_null(f->auth_mechs);
    assert_false(f->starttls_offered);
    assert_false(f->starttls_requested);
    assert_true(f->mail_in_clear);
    assert_true(f->data_in_clear);
    assert_int_equal(f->data_bytes, 58 + 76);
    assert_string_equal(find_rec(r, SMTP_LINE_CONTENT, "")->text,
                        "[message content omitted: 134 bytes]");
    /* the "." arrived alone: the summary carries its timestamp */
    assert_int_equal(find_rec(r, SMTP_LINE_CONTENT, "")->ts, 13000);
    assert_string_equal(find_rec(r, SMTP_LINE_COMMAND, "MAIL")->text +
                            find_rec(r, SMTP_LINE_COMMAND, "MAIL")->arg_off,
                        "<coreys@delta.peach.mil>");
    assert_int_equal(f->commands, 6);
    assert_int_equal(f->replies, 8);
    assert_int_equal(f->last_code, 221);
}

static void test_no_esmtp_no_starttls(void **state)
{
    (void)state;
    check_dialogue(sendmail, NSTEPS(sendmail), expect_sendmail, sendmail_secrets);
}

/* SubEthaSMTP (zeek smtp.pcap, stream 2): ESMTP but no STARTTLS. */
static const struct step subetha[] = {
    S("220 uprise ESMTP SubEthaSMTP null\r\n"),
    C("EHLO [192.168.133.100]\r\n"),
    S("250-uprise\r\n"
      "250-8BITMIME\r\n"
      "250-AUTH LOGIN\r\n"
      "250 Ok\r\n"),
    C("MAIL FROM:<albert@example.com>\r\n"),
    S("250 Ok\r\n"),
};

static void expect_subetha(const struct run *r)
{
    const struct smtp_facts *f = F(r);

    assert_string_equal(f->banner_host, "uprise");
    assert_string_equal(f->helo, "[192.168.133.100]");
    assert_string_equal(f->ehlo_host, "uprise");
    assert_int_equal(f->ncaps, 3);
    assert_string_equal(f->caps[2], "OK");
    assert_string_equal(f->auth_mechs, "LOGIN");
    assert_false(f->starttls_offered);
    assert_false(f->starttls_requested);
    assert_true(f->mail_in_clear);
}

static void test_starttls_not_offered(void **state)
{
    (void)state;
    check_dialogue(subetha, NSTEPS(subetha), expect_subetha, NULL);
}

/* ---- PIPELINING (RFC 2920) with Postfix's replies ------------------- */

static const struct step pipelined[] = {
    S("220 mx.mxwitness.test ESMTP Postfix\r\n"),
    C("EHLO client.example\r\n"),
    S("250-mx.mxwitness.test\r\n250-PIPELINING\r\n250 CHUNKING\r\n"),
    /* one segment, three commands answered in one segment, as Postfix's
     * own client sends them */
    C("MAIL FROM:<a@client.example> SIZE=42\r\n"
      "RCPT TO:<b@mxwitness.test> NOTIFY=NEVER\r\n"
      "RCPT TO:<c@elsewhere.example>\r\n"
      "DATA\r\n"),
    S("250 2.1.0 Ok\r\n"
      "250 2.1.5 Ok\r\n"
      "454 4.7.1 <c@elsewhere.example>: Relay access denied\r\n"
      "354 End data with <CR><LF>.<CR><LF>\r\n"),
    C("Subject: pipelined secret\r\n\r\nbody\r\n.\r\n"
      "MAIL FROM:<a@client.example>\r\nRCPT TO:<x@y.example>\r\nDATA\r\n"),
    S("250 2.0.0 Ok: queued as 4Xyz\r\n"
      "250 2.1.0 Ok\r\n"
      "554 5.7.1 <x@y.example>: Relay access denied\r\n"
      "554 5.5.1 Error: no valid recipients\r\n"),
    /* DATA was refused: what follows is a command, not content */
    C("QUIT\r\n"),
    S("221 2.0.0 Bye\r\n"),
};

static const char *const pipelined_secrets[] = {"pipelined secret", "body", NULL};

static void expect_pipelined(const struct run *r)
{
    const struct smtp_facts *f = F(r);

    assert_int_equal(count_kind(r, SMTP_LINE_CONTENT), 1);
    assert_string_equal(find_rec(r, SMTP_LINE_CONTENT, "")->text,
                        "[message content omitted: 35 bytes]");
    assert_int_equal(f->data_bytes, 35);
    assert_non_null(find_rec(r, SMTP_LINE_COMMAND, "QUIT"));
    assert_int_equal(f->commands, 9);
    assert_int_equal(f->replies, 11);
    assert_int_equal(f->last_code, 221);
    assert_int_equal(f->ntls_errors, 2);
    assert_string_equal(f->tls_errors[0].enhanced, "4.7.1");
    assert_int_equal(f->tls_errors[1].code, 554);
    assert_string_equal(f->tls_errors[1].enhanced, "5.7.1");
    assert_int_equal(smtp_mode(r->s, TCP_TO_SERVER), SMTP_MODE_TEXT);
    /* The parameter after the address stays inside the redacted part. */
    assert_string_equal(find_rec(r, SMTP_LINE_COMMAND, "MAIL")->text +
                            find_rec(r, SMTP_LINE_COMMAND, "MAIL")->arg_off,
                        "<a@client.example> SIZE=42");
}

static void test_pipelining(void **state)
{
    (void)state;
    check_dialogue(pipelined, NSTEPS(pipelined), expect_pipelined, pipelined_secrets);
}

/* Pipelined EHLO and STARTTLS in one segment (not allowed by RFC 2920 but
 * sent by some clients): the FIFO still pairs the 220 with STARTTLS. */
static const struct step pipelined_starttls[] = {
    S("220 mx ESMTP\r\n"),
    C("EHLO c\r\nSTARTTLS\r\n"),
    S("250-mx\r\n250-PIPELINING\r\n250 STARTTLS\r\n220 2.0.0 Ready to start TLS\r\n" GMAIL_SH),
    C(GMAIL_CH),
};

static void expect_pipelined_starttls(const struct run *r)
{
    assert_true(F(r)->tls_started);
    assert_int_equal(F(r)->starttls_code, 220);
    assert_int_equal(F(r)->ncaps, 2);
    left_is(r, TCP_TO_SERVER, GMAIL_CH, sizeof(GMAIL_CH) - 1);
    left_is(r, TCP_TO_CLIENT, GMAIL_SH, sizeof(GMAIL_SH) - 1);
}

static void test_pipelined_starttls(void **state)
{
    (void)state;
    check_dialogue(pipelined_starttls, NSTEPS(pipelined_starttls), expect_pipelined_starttls,
                   NULL);
}

/* Hundreds of pipelined RCPTs share FIFO slots. */
static void test_many_pipelined_rcpts(void **state)
{
    struct run r;
    struct dyn c = {0}, s = {0};

    (void)state;
    run_init(&r);
    feed(&r, TCP_TO_CLIENT, "220 mx\r\n", 8, 1);
    dyn_add(&c, "MAIL FROM:<a@b>\r\n", 17);
    for (int i = 0; i < 500; i++)
        dyn_printf(&c, "RCPT TO:<r%d@example.org>\r\n", i);
    dyn_add(&c, "DATA\r\n", 6);
    feed(&r, TCP_TO_SERVER, c.p, c.len, 2);
    assert_int_equal(r.plen[TCP_TO_SERVER], 0);
    for (int i = 0; i < 501; i++)
        dyn_add(&s, "250 2.1.5 Ok\r\n", 14);
    dyn_add(&s, "354 go\r\n", 8);
    feed(&r, TCP_TO_CLIENT, s.p, s.len, 3);
    assert_int_equal(smtp_mode(r.s, TCP_TO_SERVER), SMTP_MODE_DATA);
    feed(&r, TCP_TO_SERVER, "secret\r\n.\r\n", 11, 4);
    assert_int_equal(smtp_mode(r.s, TCP_TO_SERVER), SMTP_MODE_TEXT);
    assert_int_equal(F(&r)->commands, 502);
    assert_int_equal(F(&r)->data_bytes, 8);
    dyn_free(&c);
    dyn_free(&s);
    run_free(&r);
}

/* When no slot is left, the client's later commands wait (unconsumed)
 * until replies drain the FIFO. */
static void test_fifo_full_waits(void **state)
{
    struct run r;
    struct dyn c = {0};

    (void)state;
    run_init(&r);
    feed(&r, TCP_TO_CLIENT, "220 mx\r\n", 8, 1);
    for (int i = 0; i < 40; i++)
        dyn_add(&c, "NOOP\r\nRSET\r\nHELP\r\nVRFY x\r\n", 26);   /* K_OTHER x3, K_OTHER */
    for (int i = 0; i < 40; i++)
        dyn_add(&c, "MAIL FROM:<a>\r\nRCPT TO:<b>\r\n", 28);
    feed(&r, TCP_TO_SERVER, c.p, c.len, 2);
    /* 40 x (OTHER) merge into one slot; 63 MAIL/RCPT slots follow */
    assert_int_equal(F(&r)->commands, 160 + 63);
    assert_true(r.plen[TCP_TO_SERVER] > 0);
    for (int i = 0; i < 160 + 80; i++)
        feed(&r, TCP_TO_CLIENT, "250 ok\r\n", 8, 3);
    offer(&r, TCP_TO_SERVER, 4);
    assert_int_equal(F(&r)->commands, 240);
    assert_int_equal(r.plen[TCP_TO_SERVER], 0);
    dyn_free(&c);
    run_free(&r);
}

/* ---- BDAT (RFC 3030) ------------------------------------------------ */

static const struct step bdat[] = {
    S("220 mx.mxwitness.test ESMTP Postfix\r\n"),
    C("EHLO client.example\r\n"),
    S("250-mx.mxwitness.test\r\n250-PIPELINING\r\n250 CHUNKING\r\n"),
    C("MAIL FROM:<a@client.example>\r\nRCPT TO:<b@mxwitness.test>\r\n"),
    S("250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n"),
    /* content that looks like commands and ends like DATA must be skipped
     * by count alone */
    C("BDAT 27\r\nMAIL FROM:<evil>\r\n.\r\nQUIT\r\n"
      "bdat 12 last\r\nSECRET-TAIL\n"),
    S("250 2.0.0 Ok: 27 bytes\r\n250 2.0.0 Ok: queued as 4Xyz\r\n"),
    C("BDAT 0 LAST\r\n"),
    S("551 5.7.1 Null BDAT request\r\n"),
    C("QUIT\r\n"),
    S("221 2.0.0 Bye\r\n"),
};

static const char *const bdat_secrets[] = {"evil", "SECRET", NULL};

static void expect_bdat(const struct run *r)
{
    const struct smtp_facts *f = F(r);

    assert_int_equal(count_kind(r, SMTP_LINE_CONTENT), 3);
    assert_non_null(find_rec(r, SMTP_LINE_CONTENT, "[message content omitted: 27 bytes]"));
    assert_non_null(find_rec(r, SMTP_LINE_CONTENT, "[message content omitted: 12 bytes]"));
    assert_non_null(find_rec(r, SMTP_LINE_CONTENT, "[message content omitted: 0 bytes]"));
    assert_int_equal(f->data_bytes, 39);
    assert_true(f->data_in_clear);
    /* EHLO MAIL RCPT BDAT BDAT BDAT QUIT */
    assert_int_equal(f->commands, 7);
    assert_int_equal(f->replies, 8);
    assert_int_equal(f->last_code, 221);
    assert_int_equal(f->ntls_errors, 1);
}

static void test_bdat(void **state)
{
    (void)state;
    check_dialogue(bdat, NSTEPS(bdat), expect_bdat, bdat_secrets);
}

/* ---- AUTH PLAIN (RFC 4954, Postfix's replies) ----------------------- */

static const struct step auth_plain[] = {
    S("220 mx.mxwitness.test ESMTP Postfix\r\n"),
    C("EHLO client.example\r\n"),
    S("250-mx.mxwitness.test\r\n250-AUTH PLAIN LOGIN\r\n250-AUTH=PLAIN LOGIN\r\n250 8BITMIME\r\n"),
    /* initial response on the command line */
    C("AUTH PLAIN AGFsaWNlAHMzY3JldFBhc3N3b3Jk\r\n"),
    S("535 5.7.8 Error: authentication failed: authentication failure\r\n"),
    /* no initial response: the server asks with an empty 334 */
    C("auth plain\r\n"),
    S("334 \r\n"),
    C("AGFsaWNlAGNvcnJlY3RIb3JzZQ==\r\n"),
    S("235 2.7.0 Authentication successful\r\n"),
    C("MAIL FROM:<alice@client.example>\r\n"),
    S("250 2.1.0 Ok\r\n"),
};

static const char *const auth_secrets[] = {"AGFsaWNl", "s3cret", "correctHorse", "Password",
                                           NULL};

static void expect_auth_plain(const struct run *r)
{
    const struct smtp_facts *f = F(r);

    assert_string_equal(f->auth_mechs, "PLAIN LOGIN");
    assert_int_equal(count_kind(r, SMTP_LINE_AUTH), 2);
    assert_non_null(find_rec(r, SMTP_LINE_COMMAND, "AUTH PLAIN"));
    assert_string_equal(find_rec(r, SMTP_LINE_COMMAND, "AUTH PLAIN")->text, "AUTH PLAIN");
    assert_string_equal(find_rec(r, SMTP_LINE_COMMAND, "auth")->text, "auth plain");
    assert_int_equal(f->ntls_errors, 1);
    assert_string_equal(f->tls_errors[0].enhanced, "5.7.8");
    assert_int_equal(f->commands, 4);
    assert_int_equal(f->replies, 6);
    assert_true(f->mail_in_clear);
    assert_int_equal(smtp_mode(r->s, TCP_TO_SERVER), SMTP_MODE_TEXT);
}

static void test_auth_plain(void **state)
{
    (void)state;
    check_dialogue(auth_plain, NSTEPS(auth_plain), expect_auth_plain, auth_secrets);
}

/* AUTH=… alone (the pre-RFC 2554 form) still names the mechanisms. */
static void test_auth_old_form(void **state)
{
    static const struct step st[] = {
        S("220 mx\r\n"),
        C("EHLO c\r\n"),
        S("250-mx\r\n250-AUTH=LOGIN PLAIN\r\n250 HELP\r\n"),
    };
    struct run r;

    (void)state;
    run_init(&r);
    play(&r, st, NSTEPS(st), WHOLE, 0, SIZE_MAX);
    assert_string_equal(F(&r)->auth_mechs, "LOGIN PLAIN");
    assert_string_equal(F(&r)->caps[0], "AUTH=LOGIN");
    run_free(&r);
}

/* A GSSAPI token is longer than SMTP_MAX_LINE: still an AUTH line. */
static void test_auth_long_token(void **state)
{
    struct run r;
    struct dyn c = {0};

    (void)state;
    run_init(&r);
    feed(&r, TCP_TO_CLIENT, "220 mx\r\n", 8, 1);
    dyn_add(&c, "AUTH GSSAPI ", 12);
    for (int i = 0; i < 5000; i++)
        dyn_add(&c, "Q", 1);
    dyn_add(&c, "\r\n", 2);
    feed(&r, TCP_TO_SERVER, c.p, c.len, 2);
    feed(&r, TCP_TO_CLIENT, "334 YGgGCSqGSIb3EgECAgIBAAD\r\n", 29, 3);
    c.len = 0;
    for (int i = 0; i < 20000; i++)
        dyn_add(&c, "Z", 1);
    dyn_add(&c, "\r\n", 2);
    feed(&r, TCP_TO_SERVER, c.p, c.len, 4);
    feed(&r, TCP_TO_CLIENT, "235 2.7.0 ok\r\n", 14, 5);
    feed(&r, TCP_TO_SERVER, "QUIT\r\n", 6, 6);
    assert_int_equal(F(&r)->stop, SMTP_STOP_NONE);
    assert_int_equal(count_kind(&r, SMTP_LINE_AUTH), 2);
    assert_false(dyn_has(&r.raw, "QQQQ"));
    assert_false(dyn_has(&r.raw, "ZZZZ"));
    assert_non_null(find_rec(&r, SMTP_LINE_COMMAND, "QUIT"));
    dyn_free(&c);
    run_free(&r);
}

/* ---- Exchange: X-ANONYMOUSTLS --------------------------------------- */

static const struct step exchange[] = {
    S("220 EXCH01.contoso.local Microsoft ESMTP MAIL Service ready at Mon, 6 May 2024 "
      "10:00:00 +0000\r\n"),
    C("EHLO EXCH02.contoso.local\r\n"),
    S("250-EXCH01.contoso.local Hello [10.0.0.12]\r\n"
      "250-SIZE 37748736\r\n"
      "250-PIPELINING\r\n"
      "250-DSN\r\n"
      "250-ENHANCEDSTATUSCODES\r\n"
      "250-STARTTLS\r\n"
      "250-X-ANONYMOUSTLS\r\n"
      "250-AUTH NTLM\r\n"
      "250-X-EXPS GSSAPI NTLM\r\n"
      "250-8BITMIME\r\n"
      "250-BINARYMIME\r\n"
      "250-CHUNKING\r\n"
      "250 XRDST\r\n"),
    C("X-ANONYMOUSTLS\r\n"),
    S("220 2.0.0 SMTP server ready\r\n"),
    C(GMAIL_CH),
};

static void expect_exchange(const struct run *r)
{
    const struct smtp_facts *f = F(r);

    assert_string_equal(f->banner_host, "EXCH01.contoso.local");
    assert_true(f->x_anonymoustls_offered);
    assert_true(f->starttls_offered);
    assert_true(f->starttls_requested);
    assert_int_equal(f->starttls_code, 220);
    assert_true(f->tls_started);
    assert_string_equal(f->auth_mechs, "NTLM");
    assert_int_equal(f->ncaps, 12);
    assert_string_equal(f->caps[5], "X-ANONYMOUSTLS");
    assert_string_equal(f->caps[7], "X-EXPS");
    left_is(r, TCP_TO_SERVER, GMAIL_CH, sizeof(GMAIL_CH) - 1);
    assert_int_equal(smtp_mode(r->s, TCP_TO_CLIENT), SMTP_MODE_TLS);
}

static void test_x_anonymoustls(void **state)
{
    (void)state;
    check_dialogue(exchange, NSTEPS(exchange), expect_exchange, NULL);
}

/* Exchange's X-EXPS (its NTLM/GSSAPI AUTH) in clear: tokens are credentials. */
static const struct step x_exps[] = {
    S("220 EXCH01.contoso.local Microsoft ESMTP MAIL Service ready\r\n"),
    C("EHLO EXCH02\r\n"),
    S("250-EXCH01.contoso.local Hello [10.0.0.12]\r\n250-X-EXPS GSSAPI NTLM\r\n250 XRDST\r\n"),
    C("X-EXPS NTLM TlRMTVNTUAABAAAAB4IIogAAAAAAAAAAAAAAAAAAAAAKAGFKAAAADw==\r\n"),
    S("334 TlRMTVNTUAACAAAADAAMADgAAAAFgomi\r\n"),
    C("TlRMTVNTUAADAAAAGAAYAEgAAAAYABgAYAAAAAwADAB4AAAACAAIAIQA\r\n"),
    S("235 2.7.0 Authentication successful\r\n"),
    C("MAIL FROM:<a@contoso.local>\r\n"),
};

static const char *const x_exps_secrets[] = {"TlRMTVNTUAAB", "TlRMTVNTUAAD", NULL};

static void expect_x_exps(const struct run *r)
{
    assert_string_equal(find_rec(r, SMTP_LINE_COMMAND, "X-EXPS")->text, "X-EXPS NTLM");
    assert_int_equal(count_kind(r, SMTP_LINE_AUTH), 2);
    assert_true(F(r)->mail_in_clear);
    assert_int_equal(F(r)->commands, 3);
}

static void test_x_exps(void **state)
{
    (void)state;
    check_dialogue(x_exps, NSTEPS(x_exps), expect_x_exps, x_exps_secrets);
}

/* ---- Office 365's 450 4.7.320 --------------------------------------- */

static const struct step o365[] = {
    S("220 mail.contoso.com Microsoft ESMTP MAIL Service ready\r\n"),
    C("EHLO NAM12-DM6-obe.outbound.protection.outlook.com\r\n"),
    S("250-mail.contoso.com Hello [40.107.1.1]\r\n250-STARTTLS\r\n250 CHUNKING\r\n"),
    C("MAIL FROM:<a@fabrikam.com>\r\n"),
    S("450 4.7.320 Certificate validation failed\r\n"),
    C("QUIT\r\n"),
    S("221 2.0.0 Service closing transmission channel\r\n"),
};

static void expect_o365(const struct run *r)
{
    const struct smtp_facts *f = F(r);

    assert_int_equal(f->ntls_errors, 1);
    assert_int_equal(f->tls_errors[0].code, 450);
    assert_string_equal(f->tls_errors[0].enhanced, "4.7.320");
    assert_string_equal(f->tls_errors[0].text, "450 4.7.320 Certificate validation failed");
    assert_int_equal(f->tls_errors[0].ts_us, 5000);
    assert_int_equal(f->last_code, 221);
    assert_string_equal(f->last_reply, "221 2.0.0 Service closing transmission channel");
}

static void test_450_4_7_320(void **state)
{
    (void)state;
    check_dialogue(o365, NSTEPS(o365), expect_o365, NULL);
}

/* tls_errors is bounded. */
static void test_tls_errors_bounded(void **state)
{
    struct run r;

    (void)state;
    run_init(&r);
    feed(&r, TCP_TO_CLIENT, "220 mx\r\n", 8, 1);
    for (int i = 0; i < 20; i++) {
        feed(&r, TCP_TO_SERVER, "MAIL FROM:<a>\r\n", 15, 2);
        feed(&r, TCP_TO_CLIENT, "530 5.7.0 Must issue a STARTTLS command first\r\n", 47, 3);
    }
    assert_int_equal(F(&r)->ntls_errors, SMTP_MAX_TLS_ERRORS);
    assert_int_equal(F(&r)->replies, 21);
    run_free(&r);
}

/* ---- greeting refused ----------------------------------------------- */

static const struct step refused[] = {
    S("554 mail.example.net ESMTP not accepting messages\r\n"),
    C("QUIT\r\n"),
    S("221 2.0.0 mail.example.net closing connection\r\n"),
};

static void expect_refused(const struct run *r)
{
    const struct smtp_facts *f = F(r);

    assert_int_equal(f->greeting_code, 554);
    assert_string_equal(f->banner, "554 mail.example.net ESMTP not accepting messages");
    assert_string_equal(f->banner_host, "mail.example.net");
    assert_null(f->helo);
    assert_int_equal(f->commands, 1);
    assert_int_equal(f->replies, 2);
}

static void test_554_greeting(void **state)
{
    (void)state;
    check_dialogue(refused, NSTEPS(refused), expect_refused, NULL);
}

/* With an enhanced code before the host, the host is still found. */
static void test_554_greeting_enhanced(void **state)
{
    static const struct step st[] = {
        S("554 5.7.1 mx.example.org Client host [192.0.2.7] blocked using zen.spamhaus.org\r\n"),
    };
    struct run r;

    (void)state;
    run_init(&r);
    play(&r, st, NSTEPS(st), WHOLE, 0, SIZE_MAX);
    assert_string_equal(F(&r)->banner_host, "mx.example.org");
    assert_int_equal(F(&r)->greeting_code, 554);
    assert_int_equal(F(&r)->ntls_errors, 1);
    run_free(&r);
}

/* ---- robustness ----------------------------------------------------- */

/* A TLS ClientHello sent in clear to a plaintext server (smtps on 465
 * against a server that speaks SMTP): the client direction stops at once,
 * without waiting for a line feed, and nothing of it is consumed. */
static const struct step hello_in_clear[] = {
    S("220 mx.mxwitness.test ESMTP Postfix\r\n"),
    C("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\x8a\x11"),
    S("500 5.5.2 Error: bad syntax\r\n"),
};

static void expect_hello_in_clear(const struct run *r)
{
    const struct smtp_facts *f = F(r);

    assert_int_equal(f->stop, SMTP_STOP_NOT_SMTP);
    assert_int_equal(f->stop_dir, TCP_TO_SERVER);
    assert_int_equal(smtp_mode(r->s, TCP_TO_SERVER), SMTP_MODE_STOPPED);
    assert_int_equal(smtp_mode(r->s, TCP_TO_CLIENT), SMTP_MODE_TEXT);
    left_is(r, TCP_TO_SERVER, "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\x8a\x11", 13);
    assert_int_equal(f->commands, 0);
    /* the server's side goes on */
    assert_int_equal(f->replies, 2);
    assert_int_equal(f->last_code, 500);
}

static void test_binary_client(void **state)
{
    (void)state;
    check_dialogue(hello_in_clear, NSTEPS(hello_in_clear), expect_hello_in_clear, NULL);
}

/* Bytes after valid lines: those lines count, the stop is at the bad one. */
static void test_binary_after_commands(void **state)
{
    struct smtp *s = smtp_new(NULL, NULL);
    static const char in[] = "EHLO a\r\nNOOP\r\nX\x01Y\r\nQUIT\r\n";

    (void)state;
    assert_int_equal(smtp_feed(s, TCP_TO_SERVER, (const uint8_t *)in, sizeof(in) - 1, 1), 14);
    assert_int_equal(smtp_mode(s, TCP_TO_SERVER), SMTP_MODE_STOPPED);
    assert_int_equal(smtp_facts(s)->commands, 2);
    assert_int_equal(smtp_feed(s, TCP_TO_SERVER, (const uint8_t *)"QUIT\r\n", 6, 2), 0);
    smtp_free(s);
}

/* The server answers in TLS (or HTTP): not SMTP. */
static void test_server_not_smtp(void **state)
{
    static const char *const bad[] = {
        "\x16\x03\x03\x00\x5a\x02", "HTTP/1.1 400 Bad Request\r\n", "22O ready\r\n",
        "220+ready\r\n",            "2\r\n",                        "\r\n",
    };

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct smtp *s = smtp_new(NULL, NULL);

        assert_int_equal(smtp_feed(s, TCP_TO_CLIENT, (const uint8_t *)bad[i], strlen(bad[i]), 1),
                         0);
        assert_int_equal(smtp_mode(s, TCP_TO_CLIENT), SMTP_MODE_STOPPED);
        assert_int_equal(smtp_facts(s)->stop, SMTP_STOP_NOT_SMTP);
        assert_int_equal(smtp_facts(s)->stop_dir, TCP_TO_CLIENT);
        smtp_free(s);
    }
    /* "220" alone and "220\r\n" are replies (RFC 5321 allows no text) */
    {
        struct smtp *s = smtp_new(NULL, NULL);

        assert_int_equal(smtp_feed(s, TCP_TO_CLIENT, (const uint8_t *)"220\r\n", 5, 1), 5);
        assert_int_equal(smtp_facts(s)->greeting_code, 220);
        assert_string_equal(smtp_facts(s)->banner_host, "");
        smtp_free(s);
    }
}

static void test_line_too_long(void **state)
{
    uint8_t *big = malloc(SMTP_MAX_LINE + 10);
    struct smtp *s;

    (void)state;
    assert_non_null(big);
    /* a client line of exactly SMTP_MAX_LINE bytes with CRLF is fine */
    memset(big, 'A', SMTP_MAX_LINE);
    memcpy(big, "NOOP ", 5);
    big[SMTP_MAX_LINE - 2] = '\r';
    big[SMTP_MAX_LINE - 1] = '\n';
    s = smtp_new(NULL, NULL);
    assert_int_equal(smtp_feed(s, TCP_TO_SERVER, big, SMTP_MAX_LINE, 1), SMTP_MAX_LINE);
    assert_int_equal(smtp_facts(s)->stop, SMTP_STOP_NONE);
    smtp_free(s);
    /* one more byte before the LF is too long; fewer bytes just wait */
    memset(big, 'A', SMTP_MAX_LINE + 10);
    memcpy(big, "NOOP ", 5);
    s = smtp_new(NULL, NULL);
    assert_int_equal(smtp_feed(s, TCP_TO_SERVER, big, SMTP_MAX_LINE - 1, 1), 0);
    assert_int_equal(smtp_mode(s, TCP_TO_SERVER), SMTP_MODE_TEXT);
    assert_int_equal(smtp_feed(s, TCP_TO_SERVER, big, SMTP_MAX_LINE + 10, 2), 0);
    assert_int_equal(smtp_mode(s, TCP_TO_SERVER), SMTP_MODE_STOPPED);
    assert_int_equal(smtp_facts(s)->stop, SMTP_STOP_LINE_TOO_LONG);
    assert_int_equal(smtp_facts(s)->stop_dir, TCP_TO_SERVER);
    smtp_free(s);
    /* the same for a server line */
    memcpy(big, "250-", 4);
    s = smtp_new(NULL, NULL);
    assert_int_equal(smtp_feed(s, TCP_TO_CLIENT, big, SMTP_MAX_LINE + 10, 1), 0);
    assert_int_equal(smtp_facts(s)->stop, SMTP_STOP_LINE_TOO_LONG);
    assert_int_equal(smtp_facts(s)->stop_dir, TCP_TO_CLIENT);
    assert_int_equal(smtp_mode(s, TCP_TO_CLIENT), SMTP_MODE_STOPPED);
    /* the first stop is the one recorded */
    smtp_gap(s, TCP_TO_SERVER);
    assert_int_equal(smtp_facts(s)->stop, SMTP_STOP_LINE_TOO_LONG);
    assert_int_equal(smtp_mode(s, TCP_TO_SERVER), SMTP_MODE_STOPPED);
    smtp_free(s);
    free(big);
}

/* A malformed BDAT size cannot be skipped safely: the client side stops. */
static void test_bdat_bad_size(void **state)
{
    static const char *const bad[] = {"BDAT\r\n", "BDAT x\r\n", "BDAT -1\r\n",
                                      "BDAT 12345678901234567890\r\n"};

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct smtp *s = smtp_new(NULL, NULL);

        assert_int_equal(smtp_feed(s, TCP_TO_SERVER, (const uint8_t *)bad[i], strlen(bad[i]), 1),
                         0);
        assert_int_equal(smtp_facts(s)->stop, SMTP_STOP_NOT_SMTP);
        smtp_free(s);
    }
}

/* A long multi-line reply fed in many small pieces. */
static void test_reply_split_across_feeds(void **state)
{
    static const char reply[] = "250-mx.example.com Hello [192.0.2.1]\r\n"
                                "250-SIZE 52428800\r\n"
                                "250-STARTTLS\r\n"
                                "250 HELP\r\n";
    struct run r;

    (void)state;
    run_init(&r);
    feed(&r, TCP_TO_CLIENT, "220 mx\r\n", 8, 1);
    feed(&r, TCP_TO_SERVER, "EHLO c\r\n", 8, 2);
    for (size_t i = 0; i < sizeof(reply) - 1; i += 3)
        feed(&r, TCP_TO_CLIENT, reply + i, sizeof(reply) - 1 - i < 3 ? sizeof(reply) - 1 - i : 3,
             100 + i);
    assert_int_equal(F(&r)->replies, 2);
    assert_int_equal(F(&r)->ncaps, 3);
    assert_true(F(&r)->starttls_offered);
    /* each line carries the time of the feed that completed it */
    assert_int_equal(rec_at(&r, 2)->ts, 100 + 36);
    assert_int_equal(rec_at(&r, 5)->ts, 100 + 78);
    run_free(&r);
}

/* SMTP_MAX_CAPS bounds the keywords kept. */
static void test_caps_bounded(void **state)
{
    struct run r;
    struct dyn s = {0};

    (void)state;
    run_init(&r);
    feed(&r, TCP_TO_CLIENT, "220 mx\r\n", 8, 1);
    feed(&r, TCP_TO_SERVER, "EHLO c\r\n", 8, 2);
    dyn_add(&s, "250-mx\r\n", 8);
    for (int i = 0; i < 100; i++)
        dyn_printf(&s, "250-x-kw%d arg\r\n", i);
    dyn_add(&s, "250 STARTTLS\r\n", 14);
    feed(&r, TCP_TO_CLIENT, s.p, s.len, 3);
    assert_int_equal(F(&r)->ncaps, SMTP_MAX_CAPS);
    assert_string_equal(F(&r)->caps[0], "X-KW0");
    /* past the bound, STARTTLS still counts */
    assert_true(F(&r)->starttls_offered);
    dyn_free(&s);
    run_free(&r);
}

/* A failed EHLO does not replace the keywords of an earlier one. */
static void test_ehlo_failed_keeps_caps(void **state)
{
    static const struct step st[] = {
        S("220 mx\r\n"),          C("EHLO a\r\n"),
        S("250-mx\r\n250 STARTTLS\r\n"), C("EHLO b\r\n"),
        S("421-4.3.0 try\r\n421 4.3.0 later\r\n"),
    };
    struct run r;

    (void)state;
    run_init(&r);
    play(&r, st, NSTEPS(st), WHOLE, 0, SIZE_MAX);
    assert_int_equal(F(&r)->ncaps, 1);
    assert_string_equal(F(&r)->caps[0], "STARTTLS");
    assert_string_equal(F(&r)->helo, "b");
    run_free(&r);
}

/* Keywords are staged inline and kept in the slab while they fit, on the
 * heap when they do not: the facts are the same either way.  Here the first
 * EHLO reply outgrows the inline staging, the second fits it, the third
 * no longer fits the slab; the last reply outgrows its inline buffer. */
#define KW40 "X-ABCDEFGHIJKLMNOPQRSTUVWXYZ-abcdefghijkl"
#define KW8 "250-" KW40 "\r\n250-" KW40 "\r\n250-" KW40 "\r\n250-" KW40 "\r\n" \
            "250-" KW40 "\r\n250-" KW40 "\r\n250-" KW40 "\r\n250-" KW40 "\r\n"
#define REPLY140 "250 " KW40 KW40 KW40 "abcdefghijklmnopqrst"

static void expect_caps_storage(const struct run *r)
{
    const struct smtp_facts *f = F(r);

    assert_int_equal(f->ncaps, 3);
    assert_string_equal(f->caps[0], "PIPELINING");
    assert_string_equal(f->caps[1], "SIZE");
    assert_string_equal(f->caps[2], "STARTTLS");
    assert_true(f->starttls_offered);
    assert_null(f->auth_mechs);
    assert_string_equal(f->ehlo_host, "mx3");
    assert_string_equal(f->last_reply, REPLY140);
    assert_int_equal(f->stop, SMTP_STOP_NONE);
}

static void test_caps_storage(void **state)
{
    static const struct step st[] = {
        S("220 mx ESMTP\r\n"),
        C("EHLO a\r\n"),
        S("250-mx1\r\n" KW8 "250 auth\tPLAIN LOGIN\r\n"),
        C("EHLO b\r\n"),
        S("250-mx2\r\n250-pipelining\r\n250 Size 100\r\n"),
        C("EHLO c\r\n"),
        S("250-mx3\r\n250-PIPELINING\r\n250-size\r\n250 sTaRtTlS\r\n"),
        C("NOOP\r\n"),
        S(REPLY140 "\r\n"),
        C("NOOP\r\n"),
        S("250 ok\r\n"),
        C("NOOP\r\n"),
        S(REPLY140 "\r\n"),
    };
    struct run r;

    (void)state;
    /* the first two EHLO replies on their own */
    run_init(&r);
    play(&r, st, 3, WHOLE, 0, SIZE_MAX);
    assert_int_equal(F(&r)->ncaps, 9);
    for (size_t i = 0; i < 8; i++)
        assert_string_equal(F(&r)->caps[i], "X-ABCDEFGHIJKLMNOPQRSTUVWXYZ-ABCDEFGHIJKL");
    assert_string_equal(F(&r)->caps[8], "AUTH");
    assert_string_equal(F(&r)->auth_mechs, "PLAIN LOGIN");
    run_free(&r);
    run_init(&r);
    play(&r, st, 5, WHOLE, 0, SIZE_MAX);
    assert_int_equal(F(&r)->ncaps, 2);
    assert_string_equal(F(&r)->caps[0], "PIPELINING");
    assert_string_equal(F(&r)->caps[1], "SIZE");
    assert_null(F(&r)->auth_mechs);
    run_free(&r);
    check_dialogue(st, NSTEPS(st), expect_caps_storage, NULL);
}

/* ---- gaps ----------------------------------------------------------- */

/* In DATA content a gap loses only content: the end is still found, but
 * not at the gap boundary (a line start is no longer known). */
static void test_gap_in_content(void **state)
{
    struct run r;

    (void)state;
    run_init(&r);
    feed(&r, TCP_TO_CLIENT, "220 mx\r\n", 8, 1);
    feed(&r, TCP_TO_SERVER, "DATA\r\n", 6, 2);
    feed(&r, TCP_TO_CLIENT, "354 go\r\n", 8, 3);
    feed(&r, TCP_TO_SERVER, "line one\r\n", 10, 4);
    smtp_gap(r.s, TCP_TO_SERVER);
    assert_int_equal(smtp_mode(r.s, TCP_TO_SERVER), SMTP_MODE_DATA);
    feed(&r, TCP_TO_SERVER, ".\r\nmore\r\n.\r\n", 12, 5);
    assert_int_equal(smtp_mode(r.s, TCP_TO_SERVER), SMTP_MODE_TEXT);
    assert_int_equal(F(&r)->data_bytes, 10 + 3 + 6);
    assert_int_equal(F(&r)->stop, SMTP_STOP_NONE);
    feed(&r, TCP_TO_CLIENT, "250 ok\r\n", 8, 6);
    feed(&r, TCP_TO_SERVER, "QUIT\r\n", 6, 7);
    assert_non_null(find_rec(&r, SMTP_LINE_COMMAND, "QUIT"));
    run_free(&r);
}

/* When the "." itself fell into the gap, the server's reply shows that the
 * content ended somewhere unknown: the client side stops. */
static void test_gap_swallowed_end(void **state)
{
    struct run r;

    (void)state;
    run_init(&r);
    feed(&r, TCP_TO_CLIENT, "220 mx\r\n", 8, 1);
    feed(&r, TCP_TO_SERVER, "DATA\r\n", 6, 2);
    feed(&r, TCP_TO_CLIENT, "354 go\r\n", 8, 3);
    feed(&r, TCP_TO_SERVER, "line one\r\n", 10, 4);
    smtp_gap(r.s, TCP_TO_SERVER);
    feed(&r, TCP_TO_CLIENT, "250 2.0.0 Ok: queued\r\n", 22, 5);
    assert_int_equal(smtp_mode(r.s, TCP_TO_SERVER), SMTP_MODE_STOPPED);
    assert_int_equal(F(&r)->stop, SMTP_STOP_GAP);
    assert_int_equal(F(&r)->stop_dir, TCP_TO_SERVER);
    run_free(&r);
}

/* Anywhere else a gap stops that direction (resync is not worth a misread). */
static void test_gap_elsewhere_stops(void **state)
{
    struct smtp *s = smtp_new(NULL, NULL);

    (void)state;
    smtp_feed(s, TCP_TO_CLIENT, (const uint8_t *)"220 mx\r\n", 8, 1);
    smtp_gap(s, TCP_TO_CLIENT);
    assert_int_equal(smtp_mode(s, TCP_TO_CLIENT), SMTP_MODE_STOPPED);
    assert_int_equal(smtp_mode(s, TCP_TO_SERVER), SMTP_MODE_TEXT);
    assert_int_equal(smtp_facts(s)->stop, SMTP_STOP_GAP);
    assert_int_equal(smtp_facts(s)->stop_dir, TCP_TO_CLIENT);
    assert_int_equal(smtp_feed(s, TCP_TO_CLIENT, (const uint8_t *)"250 ok\r\n", 8, 2), 0);
    smtp_free(s);

    /* a BDAT chunk's remaining count is unknown after a gap (zeek's
     * smtp-bdat-gap.pcap: BDAT 200 with 100 bytes, then 1000 missing) */
    s = smtp_new(NULL, NULL);
    smtp_feed(s, TCP_TO_SERVER, (const uint8_t *)"BDAT 200\r\n", 10, 1);
    assert_int_equal(smtp_mode(s, TCP_TO_SERVER), SMTP_MODE_DATA);
    smtp_gap(s, TCP_TO_SERVER);
    assert_int_equal(smtp_mode(s, TCP_TO_SERVER), SMTP_MODE_STOPPED);
    smtp_free(s);

    /* after TLS a gap is TLS's business */
    s = smtp_new(NULL, NULL);
    smtp_feed(s, TCP_TO_CLIENT, (const uint8_t *)"220 mx\r\n", 8, 1);
    smtp_feed(s, TCP_TO_SERVER, (const uint8_t *)"STARTTLS\r\n", 10, 2);
    smtp_feed(s, TCP_TO_CLIENT, (const uint8_t *)"220 go\r\n", 8, 3);
    smtp_gap(s, TCP_TO_SERVER);
    smtp_gap(s, TCP_TO_CLIENT);
    assert_int_equal(smtp_mode(s, TCP_TO_SERVER), SMTP_MODE_TLS);
    assert_int_equal(smtp_facts(s)->stop, SMTP_STOP_NONE);
    smtp_free(s);
}

/* A client that only saw its own side (zeek smtp-one-side-only.pcap): the
 * content after DATA is never read as commands without the 354. */
static void test_one_side_only(void **state)
{
    static const char in[] = "ehlo enzo.icir.org\r\n"
                             "mail FROM:<robin@icir.org> size=9030\r\n"
                             "rcpt TO:<robin@icir.org>\r\n"
                             "data\r\n"
                             "From: robin@icir.org\r\nSubject: Hello1!\r\n";
    struct run r;

    (void)state;
    run_init(&r);
    feed(&r, TCP_TO_SERVER, in, sizeof(in) - 1, 1);
    assert_int_equal(F(&r)->commands, 4);
    assert_false(dyn_has(&r.raw, "Hello1"));
    assert_int_equal(r.plen[TCP_TO_SERVER], 40);
    assert_true(F(&r)->mail_in_clear);
    assert_string_equal(F(&r)->helo, "enzo.icir.org");
    run_free(&r);
}

/* 354 answers DATA only.  A server that sent one reply too few (here none
 * for RCPT) puts the FIFO out of step; one that sent one too many makes
 * DATA's reply a 250 and the 354 unsolicited.  The content is recognised
 * either way. */
static const struct step too_few[] = {
    S("220 mx\r\n"),
    C("MAIL FROM:<a>\r\nRCPT TO:<b>\r\nDATA\r\n"),
    S("250 ok\r\n354 go\r\n"),
    C("secret content\r\n.\r\n"),
    S("250 ok\r\n"),
};

static const struct step too_many[] = {
    S("220 mx\r\n"),
    C("MAIL FROM:<a>\r\nDATA\r\n"),
    S("250 ok\r\n250 extra\r\n354 go\r\n"),
    C("secret content\r\n.\r\n"),
    S("250 ok\r\n"),
};

static void expect_resync(const struct run *r)
{
    assert_int_equal(count_kind(r, SMTP_LINE_CONTENT), 1);
    assert_int_equal(F(r)->data_bytes, 16);
    assert_int_equal(smtp_mode(r->s, TCP_TO_SERVER), SMTP_MODE_TEXT);
}

static void test_354_resync(void **state)
{
    static const char *const secrets[] = {"secret", NULL};

    (void)state;
    check_dialogue(too_few, NSTEPS(too_few), expect_resync, secrets);
    check_dialogue(too_many, NSTEPS(too_many), expect_resync, secrets);
}

/* Content end variants (RFC 5321 §4.1.1.4): only <CRLF>.<CRLF>. */
static void test_content_end_variants(void **state)
{
    static const struct {
        const char *content;
        bool ends;
        uint64_t bytes;
    } v[] = {
        {".\r\n", true, 0},                      /* empty message */
        {"a\r\n.\r\n", true, 3},
        {"a\r\n..\r\n.\r\n", true, 7},            /* ".." is a stuffed "." */
        {"a\n.\nb\r\n", false, 0},                 /* bare LF does not end */
        {"a\r\n.\n", false, 0},
        {"a\r\n. \r\n", false, 0},
        {"a\r\r\n.\r\n", true, 4},
        {"a\r\n.\r\r\n.\r\n", true, 7},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        struct smtp *s = smtp_new(NULL, NULL);
        size_t n = strlen(v[i].content);
        uint8_t *b = malloc(n);

        assert_non_null(b);
        memcpy(b, v[i].content, n);
        smtp_feed(s, TCP_TO_CLIENT, (const uint8_t *)"220 mx\r\n", 8, 1);
        smtp_feed(s, TCP_TO_SERVER, (const uint8_t *)"DATA\r\n", 6, 2);
        smtp_feed(s, TCP_TO_CLIENT, (const uint8_t *)"354 go\r\n", 8, 3);
        assert_int_equal(smtp_feed(s, TCP_TO_SERVER, b, n, 4), n);
        assert_int_equal(smtp_mode(s, TCP_TO_SERVER), v[i].ends ? SMTP_MODE_TEXT : SMTP_MODE_DATA);
        if (v[i].ends)
            assert_int_equal(smtp_facts(s)->data_bytes, v[i].bytes);
        free(b);
        smtp_free(s);
    }
}

/* ---- RFC 3463 enhanced status codes --------------------------------- */

static bool enh(const char *t, unsigned *c, unsigned *s, unsigned *d)
{
    struct cbs cb;

    cbs_init(&cb, (const uint8_t *)t, strlen(t));
    return smtp_enhanced_code(&cb, c, s, d);
}

static void test_enhanced_code(void **state)
{
    static const struct {
        const char *text;
        bool ok;
        unsigned c, s, d;
    } v[] = {
        {"4.7.320 Certificate validation failed", true, 4, 7, 320},
        {"4.7.0 TLS not available", true, 4, 7, 0},
        {"5.7.1", true, 5, 7, 1},
        {"2.0.0 Ok", true, 2, 0, 0},
        {"5.999.999 x", true, 5, 999, 999},
        {"4.07.001\tx", true, 4, 7, 1},
        {"3.0.0 x", false, 0, 0, 0},        /* class is 2, 4 or 5 */
        {"1.0.0", false, 0, 0, 0},
        {"4.7.3200 x", false, 0, 0, 0},     /* four digits */
        {"4.1000.1", false, 0, 0, 0},
        {"4.7. x", false, 0, 0, 0},
        {"4..1", false, 0, 0, 0},
        {"4.7", false, 0, 0, 0},
        {"4.7.1.", false, 0, 0, 0},
        {"4.7.1x", false, 0, 0, 0},
        {"47.1.1", false, 0, 0, 0},
        {" 4.7.1", false, 0, 0, 0},
        {"", false, 0, 0, 0},
        {"4", false, 0, 0, 0},
        {"4.", false, 0, 0, 0},
        {"4.7.", false, 0, 0, 0},
        {"Ok", false, 0, 0, 0},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        unsigned c = 99, s = 99, d = 99;
        bool ok = enh(v[i].text, &c, &s, &d);

        if (ok != v[i].ok) {
            print_message("\"%s\": expected %d\n", v[i].text, v[i].ok);
            fail();
        }
        if (ok) {
            assert_int_equal(c, v[i].c);
            assert_int_equal(s, v[i].s);
            assert_int_equal(d, v[i].d);
        } else {
            /* outputs untouched on failure */
            assert_int_equal(c, 99);
        }
    }
    /* the parser stops at the slice's end, not at a NUL */
    {
        static const char buf[] = "4.7.1234";
        struct cbs cb;
        unsigned c, s, d;

        cbs_init(&cb, (const uint8_t *)buf, 5);
        assert_true(smtp_enhanced_code(&cb, &c, &s, &d));
        assert_int_equal(d, 1);
        cbs_init(&cb, (const uint8_t *)buf, 4);
        assert_false(smtp_enhanced_code(&cb, &c, &s, &d));
    }
}

/* Only 4.7.x and 5.7.x replies are TLS/security errors. */
static void test_tls_error_classes(void **state)
{
    static const char *const replies[] = {
        "250 2.7.0 fine\r\n", "550 5.1.1 no such user\r\n", "451 4.7.1 greylisted\r\n",
        "530 5.7.0 Must issue a STARTTLS command first\r\n", "454 TLS not available\r\n",
    };
    struct run r;

    (void)state;
    run_init(&r);
    feed(&r, TCP_TO_CLIENT, "220 mx\r\n", 8, 1);
    for (size_t i = 0; i < sizeof(replies) / sizeof(replies[0]); i++) {
        feed(&r, TCP_TO_SERVER, "NOOP\r\n", 6, 2);
        feed(&r, TCP_TO_CLIENT, replies[i], strlen(replies[i]), 3);
    }
    assert_int_equal(F(&r)->ntls_errors, 2);
    assert_string_equal(F(&r)->tls_errors[0].enhanced, "4.7.1");
    assert_string_equal(F(&r)->tls_errors[1].enhanced, "5.7.0");
    run_free(&r);
}

static void test_stop_names(void **state)
{
    (void)state;
    assert_string_equal(smtp_stop_name(SMTP_STOP_NONE), "none");
    assert_string_equal(smtp_stop_name(SMTP_STOP_LINE_TOO_LONG), "line_too_long");
    assert_string_equal(smtp_stop_name(SMTP_STOP_NOT_SMTP), "not_smtp");
    assert_string_equal(smtp_stop_name(SMTP_STOP_GAP), "gap");
    assert_string_equal(smtp_stop_name(SMTP_STOP_COUNT), "unknown");
    smtp_free(NULL);
    assert_int_equal(smtp_feed(NULL, TCP_TO_SERVER, NULL, 0, 0), 0);
}

/* Commands are case-insensitive; VRFY/EXPN addresses are redactable. */
static void test_verbs_nocase(void **state)
{
    static const struct step st[] = {
        S("220 mx\r\n"),
        C("ehlo c\r\nmail from:<a@b>\r\nRcPt To:<c@d>\r\nvrfy postmaster\r\nStartTls\r\n"),
        S("250 mx\r\n250 ok\r\n250 ok\r\n252 2.0.0 postmaster\r\n220 2.0.0 Ready to start TLS\r\n"),
    };
    struct run r;

    (void)state;
    run_init(&r);
    play(&r, st, NSTEPS(st), WHOLE, 0, SIZE_MAX);
    assert_true(F(&r)->ehlo);
    assert_true(F(&r)->mail_in_clear);
    assert_true(F(&r)->rcpt_in_clear);
    assert_true(F(&r)->tls_started);
    assert_string_equal(find_rec(&r, SMTP_LINE_COMMAND, "mail")->text +
                            find_rec(&r, SMTP_LINE_COMMAND, "mail")->arg_off,
                        "<a@b>");
    assert_string_equal(find_rec(&r, SMTP_LINE_COMMAND, "RcPt")->text +
                            find_rec(&r, SMTP_LINE_COMMAND, "RcPt")->arg_off,
                        "<c@d>");
    assert_string_equal(find_rec(&r, SMTP_LINE_COMMAND, "vrfy")->text +
                            find_rec(&r, SMTP_LINE_COMMAND, "vrfy")->arg_off,
                        "postmaster");
    run_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_starttls_gmail),
        cmocka_unit_test(test_starttls_glued),
        cmocka_unit_test(test_starttls_consumed_counts),
        cmocka_unit_test(test_exim_auth_login_data),
        cmocka_unit_test(test_starttls_refused_454),
        cmocka_unit_test(test_no_esmtp_no_starttls),
        cmocka_unit_test(test_starttls_not_offered),
        cmocka_unit_test(test_pipelining),
        cmocka_unit_test(test_pipelined_starttls),
        cmocka_unit_test(test_many_pipelined_rcpts),
        cmocka_unit_test(test_fifo_full_waits),
        cmocka_unit_test(test_bdat),
        cmocka_unit_test(test_auth_plain),
        cmocka_unit_test(test_auth_old_form),
        cmocka_unit_test(test_auth_long_token),
        cmocka_unit_test(test_x_anonymoustls),
        cmocka_unit_test(test_x_exps),
        cmocka_unit_test(test_450_4_7_320),
        cmocka_unit_test(test_tls_errors_bounded),
        cmocka_unit_test(test_554_greeting),
        cmocka_unit_test(test_554_greeting_enhanced),
        cmocka_unit_test(test_binary_client),
        cmocka_unit_test(test_binary_after_commands),
        cmocka_unit_test(test_server_not_smtp),
        cmocka_unit_test(test_line_too_long),
        cmocka_unit_test(test_bdat_bad_size),
        cmocka_unit_test(test_reply_split_across_feeds),
        cmocka_unit_test(test_caps_bounded),
        cmocka_unit_test(test_ehlo_failed_keeps_caps),
        cmocka_unit_test(test_gap_in_content),
        cmocka_unit_test(test_gap_swallowed_end),
        cmocka_unit_test(test_gap_elsewhere_stops),
        cmocka_unit_test(test_one_side_only),
        cmocka_unit_test(test_354_resync),
        cmocka_unit_test(test_content_end_variants),
        cmocka_unit_test(test_enhanced_code),
        cmocka_unit_test(test_tls_error_classes),
        cmocka_unit_test(test_stop_names),
        cmocka_unit_test(test_verbs_nocase),
        cmocka_unit_test(test_caps_storage),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

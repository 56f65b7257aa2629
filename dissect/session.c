/*
 * session.c - the connection table's consumer: SMTP, STARTTLS, TLS.
 *
 * Per direction the bytes are first undecided.  The first bytes decide:
 * a TLS record header means TLS (implicit TLS when it is the client's first
 * bytes), anything else is SMTP.  SMTP hands a direction over to TLS when
 * the server accepted STARTTLS; the client's bytes after its STARTTLS line
 * wait, unconsumed, until the server has answered (then they are offered
 * again).  Once a direction has nothing more to tell (TLS encrypted, parse
 * stopped), its reassembly is stopped so the rest of the connection costs a
 * header decode per packet and nothing else.  With TLS 1.3 that is once the
 * server's encrypted flight is over (tls_done): the client's answer to it,
 * in the client's direction, ends the server's too.
 *
 * Allocations.  Everything allocated for a session goes through s_alloc,
 * which the test hook (session_opts.fail_alloc) can fail; a failure sets a
 * bit in the record's alloc_failed naming what is missing, so the record
 * never claims the wire lacked what memory lacked (no TLS, an empty chain,
 * no SNI).  A parser that could not be allocated is not asked for again:
 * half a dialogue read would be worse than none.
 *
 * Stopping a direction frees its reassembly buffer, so it is done only from
 * that direction's own on_data (which then touches its bytes no more), or
 * when no on_data of that direction is running: |depth| counts them (the
 * server's reply redelivers the client's bytes from inside its own call).
 */
#include "session.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/cap_pipe.h"
#include "dissect/classify.h"
#include "dissect/decrypt.h"
#include "lib/objcache.h"
#include "lib/strbuf.h"

/* Decrypted SMTP waits here per direction until it makes whole lines (and,
 * for the client's, until the server answered): bounded. */
#define INNER_MAX (64u * 1024u)

enum route { R_UNDECIDED = 0, R_SMTP, R_TLS, R_DONE };
enum kind { K_MAIL = 0, K_CLASSIFYING, K_NOT_MAIL };

struct sess_state {
    struct session s;               /* first: the record handed to the sink */
    struct session_layer *sl;
    struct tcp_flow *flow;
    struct tls *tls;
    enum route route[2];
    unsigned depth[2];              /* sl_data calls of each direction on the stack */
    bool chain_tried[2];            /* by sender: a Certificate was taken (or not kept) */
    bool redelivering;
    bool smtp_was_tls;              /* SMTP had handed over to TLS (for redelivery) */
    enum kind kind;
    struct classify_flow *cf;
    const struct keylog_secrets *secrets;  /* found for the client random */
    bool secrets_looked;
    uint8_t *inner[2];              /* decrypted SMTP not yet consumed, by sender */
    size_t inner_len[2], inner_cap[2];  /* grown as needed, up to INNER_MAX: most records
                                       are read whole from the decrypted record itself */
    bool inner_stopped;
    /* The connection table's budget (--memcap): the TLS parser draws the
     * handshake messages it collects from it, and the kept certificate
     * chains (chain_held bytes, given back when the session is freed) are
     * drawn from it too, so that a flood of sessions each sending a chain of
     * megabytes is bounded like a flood of stream bytes. */
    struct tcp_memcap *mc;
    size_t chain_held;
    size_t skip[2];                 /* prelude bytes still to pass over, by sender */
    /* The record's short strings (SNI, JA3, JA4_r, ALPN, JA3S) while they
     * fit; longer ones go to the heap (see names_take). */
    size_t names_used;
    /* the first ClientHello's body with prints_later (tls.h), in the slab
     * when it fits, until session_finish has built the JA3 and JA4_r */
    uint8_t *ch_body;
    size_t ch_body_len;
    uint16_t ch_record_version;
    char names[1536];               /* last: objcache_zalloc leaves it as it was */
};

struct session_layer {
    struct session_opts opts;
    struct session_sink sink;
    /* freed records and parser states, for the next connections (on the
     * layer's thread: records come back through session_release_kept) */
    struct objcache pres, states, smtps, tlss;
    uint64_t count;
    uint64_t lost;                  /* connections without a record (SESSION_ALLOC_SESSION) */
    uint64_t no_dialogue;           /* mail connections without a payload byte */
};

static const char *const tls_state_names[] = {
    [SESSION_TLS_NONE] = "none",
    [SESSION_TLS_CLIENT_HELLO] = "client_hello",
    [SESSION_TLS_SERVER_HELLO] = "server_hello",
    [SESSION_TLS_CERTIFICATE] = "certificate",
    [SESSION_TLS_ESTABLISHED] = "established",
};

static const char *const decrypt_names[SESSION_DECRYPT_COUNT] = {
    [SESSION_DECRYPT_NONE] = "none",
    [SESSION_DECRYPT_OK] = "ok",
    [SESSION_DECRYPT_MISSING_SECRET] = "missing_secret",
    [SESSION_DECRYPT_BAD_TAG] = "bad_tag",
    [SESSION_DECRYPT_UNSUPPORTED] = "unsupported_cipher",
    [SESSION_DECRYPT_ERROR] = "error",
};

const char *session_decrypt_name(enum session_decrypt d)
{
    return (unsigned)d < SESSION_DECRYPT_COUNT ? decrypt_names[d] : "unknown";
}

const char *session_tls_state_name(enum session_tls_state s)
{
    return (unsigned)s <= SESSION_TLS_ESTABLISHED ? tls_state_names[s] : "unknown";
}

static const char *const alloc_names[SESSION_ALLOC_COUNT] = {
    [SESSION_ALLOC_SESSION] = "session",
    [SESSION_ALLOC_SMTP] = "smtp",
    [SESSION_ALLOC_TLS] = "tls",
    [SESSION_ALLOC_NAMES] = "names",
    [SESSION_ALLOC_SERVER_CHAIN] = "server_chain",
    [SESSION_ALLOC_CLIENT_CHAIN] = "client_chain",
    [SESSION_ALLOC_CA_NAMES] = "ca_names",
    [SESSION_ALLOC_TRANSCRIPT] = "transcript",
};

const char *session_alloc_name(enum session_alloc a)
{
    return (unsigned)a < SESSION_ALLOC_COUNT ? alloc_names[a] : "unknown";
}

/* ---- allocation ----------------------------------------------------- */

/* refused: the test hook fails this allocation. */
static bool refused(const struct session_layer *sl, enum session_alloc what)
{
    return sl->opts.fail_alloc != NULL && sl->opts.fail_alloc(sl->opts.fail_ctx, what);
}

static void alloc_failed(struct sess_state *st, enum session_alloc what)
{
    st->s.alloc_failed |= SESSION_ALLOC_BIT(what);
}

/* s_alloc is realloc(|old|, |n|) (malloc when |old| is NULL) for |what| of
 * the session; NULL (|old| left alone) and the failure recorded. */
static void *s_alloc(struct sess_state *st, enum session_alloc what, void *old, size_t n)
{
    void *p = refused(st->sl, what) ? NULL : realloc(old, n ? n : 1);

    if (!p)
        alloc_failed(st, what);
    return p;
}

/* put_string copies the bytes of |c| to |out| (cbs_len + 1 bytes, or
 * NULL) as a NUL-terminated string. */
static char *put_string(char *out, const struct cbs *c)
{
    struct cbs in = *c;

    if (!out)
        return NULL;
    out[cbs_len(&in)] = '\0';
    if (!cbs_copy_bytes(&in, (uint8_t *)out, cbs_len(&in)))
        out[0] = '\0';
    return out;
}

/* s_cbsdup copies the bytes of |c| as a NUL-terminated string. */
static char *s_cbsdup(struct sess_state *st, enum session_alloc what, const struct cbs *c)
{
    return put_string(s_alloc(st, what, NULL, cbs_len(c) + 1), c);
}

/* names_take: |n| bytes for one of the record's strings, from its slab
 * while there is room, else from the heap (NULL when that fails). */
static char *names_take(struct sess_state *st, size_t n)
{
    char *p;

    if (refused(st->sl, SESSION_ALLOC_NAMES)) {
        alloc_failed(st, SESSION_ALLOC_NAMES);
        return NULL;
    }
    if (n <= sizeof(st->names) - st->names_used) {
        p = st->names + st->names_used;
        st->names_used += n;
        return p;
    }
    if ((p = malloc(n)) == NULL)
        alloc_failed(st, SESSION_ALLOC_NAMES);
    return p;
}

/* names_drop frees a string names_take gave, unless it is in the slab. */
static void names_drop(struct sess_state *st, char *p)
{
    uintptr_t a = (uintptr_t)p, slab = (uintptr_t)st->names;

    if (p != NULL && (a < slab || a >= slab + sizeof(st->names)))
        free(p);
}

/* names_dup copies the bytes of |c| as a string from names_take. */
static char *names_dup(struct sess_state *st, const struct cbs *c)
{
    return put_string(names_take(st, cbs_len(c) + 1), c);
}

static char *names_strdup(struct sess_state *st, const char *str)
{
    struct cbs c;

    cbs_init(&c, (const uint8_t *)str, strlen(str));
    return names_dup(st, &c);
}

/* new_smtp: an SMTP parser for |st|, from the layer's freed ones. */
static struct smtp *new_smtp(struct sess_state *st, const struct smtp_cbs *cbs)
{
    struct smtp *p = refused(st->sl, SESSION_ALLOC_SMTP) ? NULL : objcache_alloc(&st->sl->smtps);

    if (p)
        smtp_init(p, cbs, st);
    return p;
}

static void drop_smtp(struct session_layer *sl, struct smtp *p)
{
    if (p) {
        smtp_fini(p);
        objcache_free(&sl->smtps, p);
    }
}

/* ---- transcript ----------------------------------------------------- */

static void add_line(struct sess_state *st, enum tcp_dir dir, char kind, const char *text,
                     size_t len)
{
    struct session *s = &st->s;
    struct session_line *l;
    struct cbs c;

    if (!st->sl->opts.transcript)
        return;
    if (s->nlines >= SESSION_MAX_TRANSCRIPT) {
        s->lines_dropped++;
        return;
    }
    if (s->nlines == s->lines_cap) {
        size_t cap = s->lines_cap ? s->lines_cap * 2 : 32;
        struct session_line *nl = s_alloc(st, SESSION_ALLOC_TRANSCRIPT, s->lines,
                                          cap * sizeof(*nl));

        if (!nl) {
            s->lines_dropped++;
            return;
        }
        s->lines = nl;
        s->lines_cap = cap;
    }
    l = &s->lines[s->nlines];
    cbs_init(&c, (const uint8_t *)text, len);
    l->text = s_cbsdup(st, SESSION_ALLOC_TRANSCRIPT, &c);
    if (!l->text) {
        s->lines_dropped++;
        return;
    }
    l->ts_us = st->flow ? st->flow->last_us : s->last_us;
    l->dir = dir;
    l->kind = kind;
    s->nlines++;
}

static void add_linef(struct sess_state *st, enum tcp_dir dir, char kind, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void add_linef(struct sess_state *st, enum tcp_dir dir, char kind, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    int n;

    if (!st->sl->opts.transcript)
        return;
    va_start(ap, fmt);
    n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    add_line(st, dir, kind, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

/* ---- SMTP callbacks ------------------------------------------------- */

/* smtp_line_as keeps one SMTP line as transcript line kind |as|: 'S' read
 * in clear, 'D' read from decrypted TLS (the dialogue inside TLS). */
static void smtp_line_as(void *user, enum tcp_dir dir, uint64_t ts_us, enum smtp_line_kind kind,
                         const struct cbs *line, size_t arg_off, char as)
{
    struct sess_state *st = user;
    char buf[SMTP_MAX_LINE + 32];
    size_t n = cbs_len(line);

    (void)ts_us;
    if (!st->sl->opts.transcript)
        return;
    if (n > SMTP_MAX_LINE)
        n = SMTP_MAX_LINE;
    if (kind == SMTP_LINE_COMMAND && st->sl->opts.redact && arg_off > 0 && arg_off <= n) {
        memcpy(buf, cbs_data(line), arg_off);
        memcpy(buf + arg_off, "[redacted]", 10);
        n = arg_off + 10;
    } else if (n) {
        memcpy(buf, cbs_data(line), n);
    }
    add_line(st, dir, as, buf, n);
}

static void smtp_line(void *user, enum tcp_dir dir, uint64_t ts_us, enum smtp_line_kind kind,
                      const struct cbs *line, size_t arg_off)
{
    smtp_line_as(user, dir, ts_us, kind, line, arg_off, 'S');
}

static void smtp_line_decrypted(void *user, enum tcp_dir dir, uint64_t ts_us,
                                enum smtp_line_kind kind, const struct cbs *line, size_t arg_off)
{
    smtp_line_as(user, dir, ts_us, kind, line, arg_off, 'D');
}

static const struct smtp_cbs smtp_callbacks = {.on_line = smtp_line};
static const struct smtp_cbs smtp_tls_callbacks = {.on_line = smtp_line_decrypted};

/* ---- TLS callbacks -------------------------------------------------- */

static char *join_alpn(struct sess_state *st, const struct cbs *alpn)
{
    struct cbs c = *alpn, name;
    size_t cap = cbs_len(alpn) + 1, len = 0;
    char *out = names_take(st, cap);

    if (!out)
        return NULL;
    out[0] = '\0';
    while (cbs_len(&c) > 0 && cbs_get_u8_prefixed(&c, &name)) {
        size_t k = cbs_len(&name);

        if (len + k + 2 > cap)
            break;
        if (len)
            out[len++] = ',';
        if (!cbs_copy_bytes(&name, (uint8_t *)out + len, k))
            break;
        len += k;
        out[len] = '\0';
    }
    return out;
}

static void tls_client_hello(void *user, const struct tls_client_hello *ch)
{
    struct sess_state *st = user;
    struct session *s = &st->s;
    uint16_t best = ch->legacy_version;
    struct cbs rnd, sid;

    for (size_t i = 0; i < ch->versions.n; i++)
        if (!tls_is_grease(ch->versions.v[i]) && ch->versions.v[i] > best &&
            ch->versions.v[i] <= 0x0304)
            best = ch->versions.v[i];
    if (s->client_hello) /* a second ClientHello (after HelloRetryRequest) */
        return;
    s->client_hello = true;
    s->ch_version = best;
    if (cbs_len(&ch->sni))
        s->sni = names_dup(st, &ch->sni);
    if (ch->ja3[0] != '\0') {
        s->ja3 = names_strdup(st, ch->ja3);
        if (ch->ja4_r[0])
            s->ja4_r = names_strdup(st, ch->ja4_r);
    } else if (cbs_len(&ch->body) > 0) {
        /* prints_later: the hello itself, for session_finish */
        struct cbs body = ch->body;
        uint8_t *d = (uint8_t *)names_take(st, cbs_len(&body));

        if (d != NULL && cbs_copy_bytes(&body, d, cbs_len(&ch->body))) {
            st->ch_body = d;
            st->ch_body_len = cbs_len(&ch->body);
            st->ch_record_version = ch->record_version;
        } else {
            names_drop(st, (char *)d);
        }
    }
    if (cbs_len(&ch->alpn))
        s->alpn_offered = join_alpn(st, &ch->alpn);
    s->ech = ch->ech;
    /* The parser took exactly 32 bytes of random and at most 32 of
     * session id; copied through the cursor all the same. */
    rnd = ch->random;
    s->client_random_seen = cbs_len(&rnd) == sizeof(s->client_random) &&
                            cbs_copy_bytes(&rnd, s->client_random, sizeof(s->client_random));
    sid = ch->session_id;
    if (cbs_len(&sid) <= sizeof(s->session_id) &&
        cbs_copy_bytes(&sid, s->session_id, cbs_len(&sid)))
        s->session_id_len = (uint8_t)cbs_len(&ch->session_id);
    if (s->tls_state < SESSION_TLS_CLIENT_HELLO)
        s->tls_state = SESSION_TLS_CLIENT_HELLO;
}

static void tls_server_hello(void *user, const struct tls_server_hello *sh)
{
    struct sess_state *st = user;
    struct session *s = &st->s;

    if (sh->hello_retry_request) {
        s->hello_retry = true;
        return;
    }
    s->server_hello = true;
    s->version = sh->version;
    s->cipher = sh->cipher;
    s->kx_group = sh->key_share_group;
    s->nsh_ext_types = 0;
    for (size_t i = 0; i < sh->ext_types.n && i < SESSION_MAX_SH_EXTS; i++)
        s->sh_ext_types[s->nsh_ext_types++] = sh->ext_types.v[i];
    s->sh_ext_total = sh->ext_types.total;
    names_drop(st, s->ja3s);
    s->ja3s = names_strdup(st, sh->ja3s);
    if (sh->version == 0x0304)
        s->cert_hidden = true;
    {
        struct cbs rnd = sh->random;

        s->server_random_seen = cbs_len(&rnd) == sizeof(s->server_random) &&
                                cbs_copy_bytes(&rnd, s->server_random, sizeof(s->server_random));
    }
    s->encrypt_then_mac = sh->encrypt_then_mac;
    if (s->tls_state < SESSION_TLS_SERVER_HELLO)
        s->tls_state = SESSION_TLS_SERVER_HELLO;
}

/* copy_chain keeps the first Certificate message |from| sent (a
 * renegotiation would be a second).  If the copy cannot be allocated the
 * chain stays unseen and alloc_failed says why. */
static void copy_chain(struct sess_state *st, enum tcp_dir from, const struct tls_certificate *c,
                       uint64_t ts)
{
    struct session_chain *dst = from == TCP_TO_CLIENT ? &st->s.server_chain : &st->s.client_chain;
    enum session_alloc what = from == TCP_TO_CLIENT ? SESSION_ALLOC_SERVER_CHAIN
                                                    : SESSION_ALLOC_CLIENT_CHAIN;
    size_t n = c->n < TLS_MAX_CERTS ? c->n : TLS_MAX_CERTS, total = 0;
    uint8_t *block = NULL;

    if (st->chain_tried[from])
        return;
    st->chain_tried[from] = true;
    /* One allocation for the whole chain (certs[0].der owns it, see
     * free_chain): a chain is two or three certificates of a kilobyte or
     * two, copied in every session.  An empty chain needs none. */
    for (size_t i = 0; i < n; i++)
        total += cbs_len(&c->certs[i]);
    if (n > 0 && !tcp_memcap_reserve(st->mc, total)) {
        alloc_failed(st, what);
        return;
    }
    if (n > 0 && (block = s_alloc(st, what, NULL, total)) == NULL) {
        tcp_memcap_release(st->mc, total);
        return;
    }
    st->chain_held += n > 0 ? total : 0;
    dst->seen = true;
    dst->ts_us = ts;
    dst->total = c->total;
    for (size_t i = 0; i < n; i++) {
        struct cbs der = c->certs[i];
        size_t len = cbs_len(&der);

        if (!cbs_copy_bytes(&der, block, len))
            break;
        dst->certs[dst->n].der = block;
        dst->certs[dst->n].len = len;
        dst->n++;
        block += len;
    }
}

static void tls_certificate(void *user, enum tcp_dir from, const struct tls_certificate *c)
{
    struct sess_state *st = user;
    struct session *s = &st->s;
    uint64_t ts = st->flow ? st->flow->last_us : s->last_us;

    copy_chain(st, from, c, ts);
    if (from == TCP_TO_CLIENT) {
        if (s->tls_state < SESSION_TLS_CERTIFICATE)
            s->tls_state = SESSION_TLS_CERTIFICATE;
        /* A TLS 1.3 certificate we could read was decrypted: not hidden. */
        s->cert_hidden = false;
    }
}

static void tls_cert_request(void *user, const struct tls_cert_request *cr)
{
    struct sess_state *st = user;
    struct session *s = &st->s;

    s->cert_request = true;
    for (size_t i = 0; i < cr->nca && s->ncr_ca < TLS_MAX_CERTS; i++) {
        struct cbs name = cr->ca_names[i];
        size_t n = cbs_len(&name);
        uint8_t *d = s_alloc(st, SESSION_ALLOC_CA_NAMES, NULL, n);

        if (!d)
            break;
        if (!cbs_copy_bytes(&name, d, n)) {
            free(d);
            break;
        }
        s->cr_ca_der[s->ncr_ca].der = d;
        s->cr_ca_der[s->ncr_ca].len = n;
        s->ncr_ca++;
    }
}

static void tls_key_exchange(void *user, const struct tls_key_exchange *kx)
{
    struct sess_state *st = user;

    st->s.kx = *kx;
    st->s.kx_seen = true;
}

/* tls_kind: the transcript kind of a TLS line about what |from| sent: 'E'
 * when it was read from a decrypted record (encrypted on the wire), 'T'
 * when it crossed the wire in clear. */
static char tls_kind(const struct sess_state *st, enum tcp_dir from)
{
    return tls_reading_decrypted(st->tls, from) ? 'E' : 'T';
}

static void tls_handshake(void *user, enum tcp_dir from, uint8_t type, uint32_t len, bool encrypted)
{
    struct sess_state *st = user;
    struct session *s = &st->s;

    if (encrypted || type == TLS_HS_FINISHED) {
        /* a Finished read is one decrypted: encrypted on the wire all the same */
        s->encrypted_hs[from] = true;
        if (!encrypted)
            add_linef(st, from, 'E', "finished (%u bytes)", len);
        else
            add_linef(st, from, 'T', "[encrypted handshake message]");
        /* TLS 1.3: the client's encrypted Finished follows the server's;
         * TLS <= 1.2: Finished after CCS on both sides. */
        if (s->encrypted_hs[TCP_TO_SERVER] && s->encrypted_hs[TCP_TO_CLIENT])
            s->tls_state = SESSION_TLS_ESTABLISHED;
        else if (s->version == 0x0304 && from == TCP_TO_SERVER && s->server_hello)
            s->tls_state = SESSION_TLS_ESTABLISHED;
        return;
    }
    s->last_hs_type = type;
    s->last_hs_from = from;
    if (tls_hs_name(type))
        add_linef(st, from, tls_kind(st, from), "%s (%u bytes)", tls_hs_name(type), len);
    else
        add_linef(st, from, tls_kind(st, from), "handshake type %u (%u bytes)", type, len);
}

static void tls_alert(void *user, enum tcp_dir from, uint8_t level, uint8_t desc, bool encrypted)
{
    struct sess_state *st = user;
    struct session *s = &st->s;

    s->total_alerts++;
    if (s->nalerts < SESSION_MAX_ALERTS) {
        struct session_alert *a = &s->alerts[s->nalerts++];

        a->ts_us = st->flow ? st->flow->last_us : s->last_us;
        a->from = from;
        a->level = level;
        a->desc = desc;
        a->encrypted = encrypted;
        a->after_type = s->last_hs_type;
        a->after_from = s->last_hs_from;
        a->after_certificate = !encrypted && !s->ccs[from] &&
                               (from == TCP_TO_SERVER ? s->server_chain.seen : s->client_chain.seen);
    }
    if (encrypted)
        add_linef(st, from, 'T', "alert (encrypted)");
    else
        add_linef(st, from, tls_kind(st, from), "alert %s %s", tls_alert_level_name(level),
                  tls_alert_name(desc) ? tls_alert_name(desc) : "unknown");
}

static void tls_ccs(void *user, enum tcp_dir from)
{
    struct sess_state *st = user;

    st->s.ccs[from] = true;
    add_linef(st, from, 'T', "change_cipher_spec");
}

static void tls_appdata(void *user, enum tcp_dir from)
{
    struct sess_state *st = user;

    st->s.appdata[from] = true;
    if (st->s.server_hello)
        st->s.tls_state = SESSION_TLS_ESTABLISHED;
    if (tls_kind(st, from) == 'E')
        add_linef(st, from, 'E', "application data");
    else
        add_linef(st, from, 'T', "[encrypted records]");
}

static void tls_err(void *user, enum tcp_dir from, enum tls_error e)
{
    struct sess_state *st = user;

    if (st->s.tls_error[from] == TLS_ERR_NONE)
        st->s.tls_error[from] = e;
    add_linef(st, from, 'N', "TLS parse stopped: %s", tls_error_name(e));
}

/* ---- decryption (--keylog) --------------------------------------------- */

/* decrypt_failed records the first reason decryption stopped. */
static void decrypt_failed(struct sess_state *st, enum tcp_dir from, enum session_decrypt why)
{
    struct session *s = &st->s;

    if (s->decrypt == SESSION_DECRYPT_NONE || s->decrypt == SESSION_DECRYPT_OK) {
        s->decrypt = why;
        s->decrypt_failed_dir = from;
    }
    add_linef(st, from, 'N', "decryption stopped: %s", session_decrypt_name(why));
}

static enum session_decrypt from_result(enum decrypt_result r)
{
    switch (r) {
    case DECRYPT_BAD_TAG:
    case DECRYPT_BAD_INNER:
        return SESSION_DECRYPT_BAD_TAG;
    case DECRYPT_UNSUPPORTED_CIPHER:
        return SESSION_DECRYPT_UNSUPPORTED;
    case DECRYPT_BAD_SECRET:
        return SESSION_DECRYPT_MISSING_SECRET;
    default:
        return SESSION_DECRYPT_ERROR;
    }
}

static void tls_keys_needed(void *user, enum tcp_dir from, enum tls_epoch epoch)
{
    struct sess_state *st = user;
    struct session *s = &st->s;
    const struct keylog_secrets *sec;
    enum decrypt_result why = DECRYPT_OK;
    struct decrypt *d = NULL;
    bool server = from == TCP_TO_CLIENT;

    if (st->sl->opts.keylog == NULL || st->tls == NULL || keylog_empty(st->sl->opts.keylog))
        return;   /* no key log (an empty one stands for pcapng secrets that may come) */
    if (!st->secrets_looked && s->client_random_seen) {
        st->secrets_looked = true;
        st->secrets = keylog_find(st->sl->opts.keylog, s->client_random);
    }
    if ((sec = st->secrets) == NULL) {
        decrypt_failed(st, from, SESSION_DECRYPT_MISSING_SECRET);
        return;
    }
    if (s->version == 0x0304) {
        enum keylog_kind k = epoch == TLS_EPOCH_HANDSHAKE
                                 ? (server ? KEYLOG_SERVER_HS : KEYLOG_CLIENT_HS)
                                 : (server ? KEYLOG_SERVER_AP : KEYLOG_CLIENT_AP);

        if (sec->len[k] == 0) {
            decrypt_failed(st, from, SESSION_DECRYPT_MISSING_SECRET);
            return;
        }
        d = decrypt_new_tls13(s->cipher, sec->v[k], sec->len[k], &why);
    } else {
        if (sec->len[KEYLOG_MASTER] != DECRYPT_MASTER_LEN || !s->server_random_seen) {
            decrypt_failed(st, from, SESSION_DECRYPT_MISSING_SECRET);
            return;
        }
        d = decrypt_new_tls12(s->version, s->cipher, sec->v[KEYLOG_MASTER], s->client_random,
                              s->server_random, server, s->encrypt_then_mac, &why);
    }
    if (d == NULL) {
        decrypt_failed(st, from, from_result(why));
        return;
    }
    if (!tls_set_decryptor(st->tls, from, d)) {
        decrypt_failed(st, from, SESSION_DECRYPT_ERROR);
        return;
    }
    if (s->decrypt == SESSION_DECRYPT_NONE)
        s->decrypt = SESSION_DECRYPT_OK;
}

static void tls_decrypt_failed(void *user, enum tcp_dir from, int why)
{
    decrypt_failed(user, from, from_result((enum decrypt_result)why));
}

/* feed_inner offers |dir|'s waiting decrypted bytes to the inner SMTP
 * parser and keeps what it did not take. */
static void feed_inner(struct sess_state *st, enum tcp_dir dir)
{
    uint64_t ts = st->flow ? st->flow->last_us : st->s.last_us;
    size_t used;

    if (st->inner_len[dir] == 0 || st->s.smtp_tls == NULL)
        return;
    used = smtp_feed(st->s.smtp_tls, dir, st->inner[dir], st->inner_len[dir], ts);
    if (used > st->inner_len[dir])
        used = st->inner_len[dir];
    memmove(st->inner[dir], st->inner[dir] + used, st->inner_len[dir] - used);
    st->inner_len[dir] -= used;
}

static void tls_plaintext(void *user, enum tcp_dir from, const uint8_t *p, size_t n)
{
    struct sess_state *st = user;
    struct session *s = &st->s;

    if (st->inner_stopped)
        return;
    if (s->smtp_tls == NULL && (s->smtp_tls = new_smtp(st, &smtp_tls_callbacks)) == NULL) {
        st->inner_stopped = true;
        alloc_failed(st, SESSION_ALLOC_SMTP);
        return;
    }
    if (st->inner_len[from] == 0) {
        /* nothing waiting: the parser reads the record in place, and only
         * what it leaves (a line cut by the record's end, commands held
         * back) is kept */
        uint64_t ts = st->flow ? st->flow->last_us : s->last_us;
        size_t used = smtp_feed(s->smtp_tls, from, p, n, ts);

        used = used < n ? used : n;
        p += used;
        n -= used;
        if (n == 0) {
            if (from == TCP_TO_CLIENT)
                feed_inner(st, TCP_TO_SERVER);
            return;
        }
    }
    if (n > INNER_MAX - st->inner_len[from]) {
        /* a line or a held-back pipeline longer than we keep: the inner
         * dialogue ends here, said in the transcript */
        st->inner_stopped = true;
        add_linef(st, from, 'N', "decrypted SMTP over %u bytes unread: not followed further",
                  INNER_MAX);
        return;
    }
    if (st->inner_len[from] + n > st->inner_cap[from]) {
        size_t cap = st->inner_cap[from] ? st->inner_cap[from] : 1024;
        uint8_t *nb;

        while (cap < st->inner_len[from] + n)
            cap *= 2;
        cap = cap < INNER_MAX ? cap : INNER_MAX;
        if ((nb = s_alloc(st, SESSION_ALLOC_SMTP, st->inner[from], cap)) == NULL) {
            st->inner_stopped = true;
            return;
        }
        st->inner[from] = nb;
        st->inner_cap[from] = cap;
    }
    memcpy(st->inner[from] + st->inner_len[from], p, n);
    st->inner_len[from] += n;
    feed_inner(st, from);
    /* a reply may release client commands the parser held back */
    if (from == TCP_TO_CLIENT)
        feed_inner(st, TCP_TO_SERVER);
}

static const struct tls_cbs tls_callbacks = {
    .on_client_hello = tls_client_hello,
    .on_server_hello = tls_server_hello,
    .on_certificate = tls_certificate,
    .on_cert_request = tls_cert_request,
    .on_key_exchange = tls_key_exchange,
    .on_handshake = tls_handshake,
    .on_alert = tls_alert,
    .on_ccs = tls_ccs,
    .on_appdata = tls_appdata,
    .on_error = tls_err,
    .on_keys_needed = tls_keys_needed,
    .on_plaintext = tls_plaintext,
    .on_decrypt_failed = tls_decrypt_failed,
    /* JA3 and JA4_r by session_finish, from the record's copy of the hello:
     * on the analysis thread when there is one (report.c), which had time
     * to spare while the packet thread had none */
    .prints_later = true,
};

/* ---- routing -------------------------------------------------------- */

/* A connection to a mail port holds only a sess_pre until its first
 * payload byte (or its close): the network layer's facts.  Under a SYN
 * flood the connections table is full of such connections, and each holds
 * a few dozen bytes instead of a session record of two kilobytes; the
 * record is made from it by upgrade() at the first byte, the first gap or
 * the close, with the same facts (a connection without a dialogue still
 * hands its record over, to be counted on its server).  The flow's
 * user_kind says which of the two f->user is. */
enum { U_STATE = 0, U_PRE = 1 };

struct sess_pre {
    struct session_net net;
};

/* new_state: the session record of |f|, as the connection began. */
static struct sess_state *new_state(struct session_layer *sl, struct tcp_flow *f)
{
    struct sess_state *st = refused(sl, SESSION_ALLOC_SESSION) ? NULL : objcache_zalloc(&sl->states);

    if (!st)
        return NULL;
    st->sl = sl;
    st->flow = f;
    st->mc = tcp_flow_memcap(f);
    st->s.id = f->id;
    st->s.input = f->input;
    st->s.client = f->client;
    st->s.server = f->server;
    st->s.cport = f->cport;
    st->s.sport = f->sport;
    st->s.first_us = f->first_us;
    return st;
}

/* upgrade: |f|'s sess_pre becomes its session record (NULL when that
 * cannot be had: the connection is then given up, its directions stopped
 * unless it is closing, and counted lost). */
static struct sess_state *upgrade(struct session_layer *sl, struct tcp_flow *f, bool closing)
{
    struct sess_pre *pre = f->user;
    struct sess_state *st = new_state(sl, f);

    if (st != NULL) {
        st->s.net = pre->net;
    } else {
        sl->lost++;
        if (!closing) {
            tcp_flow_stop(f, TCP_TO_SERVER);
            tcp_flow_stop(f, TCP_TO_CLIENT);
        }
    }
    objcache_free(&sl->pres, pre);
    f->user = st;
    f->user_kind = U_STATE;
    return st;
}

/* state: |f|'s session record, made now if it has none yet. */
static struct sess_state *state(struct session_layer *sl, struct tcp_flow *f)
{
    return f->user_kind == U_PRE ? upgrade(sl, f, false) : f->user;
}

static void *sl_open(void *ctx, struct tcp_flow *f)
{
    struct session_layer *sl = ctx;
    struct sess_state *st;

    if (!sl->opts.ports || cap_ports_has(sl->opts.ports, f->sport)) {
        struct sess_pre *pre = refused(sl, SESSION_ALLOC_SESSION) ? NULL : objcache_zalloc(&sl->pres);

        if (pre == NULL)
            sl->lost++;
        else
            f->user_kind = U_PRE;
        return pre;
    }
    if ((st = new_state(sl, f)) == NULL) {
        sl->lost++;
        return NULL;
    }
    /* Not a mail port: mail only if nDPI says so. */
    if (sl->opts.classify) {
        st->cf = refused(sl, SESSION_ALLOC_SESSION) ? NULL : classify_flow_new(sl->opts.classify);
        if (!st->cf)
            sl->lost++;   /* might have been mail: nobody will know */
    }
    st->kind = st->cf ? K_CLASSIFYING : K_NOT_MAIL;
    if (st->kind == K_NOT_MAIL) {
        tcp_flow_stop(f, TCP_TO_SERVER);
        tcp_flow_stop(f, TCP_TO_CLIENT);
    }
    return st;
}

int session_net_hops(uint8_t ttl)
{
    static const unsigned initial[] = {32, 64, 128, 255};

    if (ttl == 0)
        return -1;
    for (size_t i = 0; i < sizeof(initial) / sizeof(initial[0]); i++)
        if (ttl <= initial[i])
            return (int)(initial[i] - ttl);
    return 0;
}

char *session_net_opts(const struct session_net *n, char *buf, size_t size)
{
    struct strbuf b;

    strbuf_init(&b, buf, size);
    for (size_t i = 0; i < n->nsynack_opts; i++) {
        if (i > 0)
            strbuf_putc(&b, ',');
        switch (n->synack_opts[i]) {
        case 0: strbuf_lit(&b, "eol"); break;
        case 1: strbuf_lit(&b, "nop"); break;
        case 2: strbuf_lit(&b, "mss"); break;
        case 3: strbuf_lit(&b, "ws"); break;
        case 4: strbuf_lit(&b, "sok"); break;
        case 5: strbuf_lit(&b, "sack"); break;
        case 8: strbuf_lit(&b, "ts"); break;
        default: strbuf_printf(&b, "?%u", n->synack_opts[i]); break;
        }
    }
    return buf;
}

/* net_synack reads the SYN-ACK's options (RFC 9293 §3.2: kinds 0 and 1 are
 * one byte, every other kind has a length byte). */
static void net_synack(struct session_net *n, const struct cap_tcp_seg *seg)
{
    struct cbs c;
    uint8_t kind, len;

    n->synack_win = seg->win;
    n->synack_ipid = seg->ip_id;
    n->synack_wscale = -1;
    n->nsynack_opts = 0;
    cbs_init(&c, seg->tcp_opt, seg->tcp_opt_len);
    while (cbs_get_u8(&c, &kind)) {
        struct cbs val;

        if (n->nsynack_opts < SESSION_TCP_OPTS_MAX)
            n->synack_opts[n->nsynack_opts++] = kind;
        if (kind == 0)
            break;
        if (kind == 1)
            continue;
        if (!cbs_get_u8(&c, &len) || len < 2 || !cbs_get_bytes(&c, &val, (size_t)len - 2))
            break;
        if (kind == 2 && len == 4)
            (void)cbs_get_u16(&val, &n->synack_mss);
        else if (kind == 3 && len == 3) {
            uint8_t ws;

            if (cbs_get_u8(&val, &ws))
                n->synack_wscale = ws;
        }
    }
}

/* net_packet keeps what the network layer shows of the two ends. */
static void net_packet(struct session_net *n, enum tcp_dir dir, const struct cap_tcp_seg *seg,
                       uint64_t ts_us)
{
    bool syn = (seg->flags & CAP_TH_SYN) != 0, ack = (seg->flags & CAP_TH_ACK) != 0;

    if (syn && !ack && dir == TCP_TO_SERVER && n->syn_us == 0) {
        n->syn_us = ts_us;
        n->syn_ttl = seg->ttl;
    } else if (syn && ack && dir == TCP_TO_CLIENT && n->synack_us == 0) {
        n->synack_us = ts_us;
        n->synack_ttl = seg->ttl;
        net_synack(n, seg);
    } else if (!syn && ack && dir == TCP_TO_SERVER && n->synack_us != 0 && n->ack_us == 0) {
        n->ack_us = ts_us;
    }
    if (seg->payload_wire_len > 0 && n->data_us[dir] == 0) {
        n->data_us[dir] = ts_us;
        n->data_ttl[dir] = seg->ttl;
        if (dir == TCP_TO_CLIENT)
            n->data_ipid = seg->ip_id;
    }
}

static void sl_packet(void *ctx, struct tcp_flow *f, enum tcp_dir dir, const struct cap_tcp_seg *seg)
{
    struct session_layer *sl = ctx;
    struct sess_state *st = f->user;
    enum classify_result r;

    if (f->user_kind == U_PRE) {
        net_packet(&((struct sess_pre *)f->user)->net, dir, seg, f->last_us);
        return;
    }
    net_packet(&st->s.net, dir, seg, f->last_us);
    if (st->kind != K_CLASSIFYING) {
        /* every first of net_packet taken: no later packet can change the
         * record, and half of a mail connection's packets come after that
         * (the encrypted dialogue), each a call and a cache miss here */
        const struct session_net *n = &st->s.net;

        if (n->syn_us && n->synack_us && n->ack_us && n->data_us[0] && n->data_us[1])
            tcp_flow_quiet(f);
        return;
    }
    r = classify_packet(sl->opts.classify, st->cf, seg->ip_hdr, seg->ip_len, f->last_us);
    if (r == CLASSIFY_PENDING)
        return;
    classify_flow_free(st->cf);
    st->cf = NULL;
    if (r == CLASSIFY_OTHER) {
        st->kind = K_NOT_MAIL;
        tcp_flow_stop(f, TCP_TO_SERVER);
        tcp_flow_stop(f, TCP_TO_CLIENT);
        return;
    }
    /* Mail after all: the bytes held back so far are offered now. */
    st->kind = K_MAIL;
    st->s.classified = true;
    tcp_flow_redeliver(f, TCP_TO_CLIENT);
    tcp_flow_redeliver(f, TCP_TO_SERVER);
}

/* new_tls: a TLS parser for |st|, from the layer's freed ones (as new_smtp);
 * drop_tls gives one back. */
static struct tls *new_tls(struct sess_state *st)
{
    struct tls *t = refused(st->sl, SESSION_ALLOC_TLS) ? NULL : objcache_alloc(&st->sl->tlss);

    if (t)
        tls_init(t, &tls_callbacks, st);
    return t;
}

static void drop_tls(struct session_layer *sl, struct tls *t)
{
    if (t) {
        tls_fini(t);
        objcache_free(&sl->tlss, t);
    }
}

/* ensure_tls and ensure_smtp create the parser on first use.  One that
 * could not be allocated is not tried again (see the top of the file). */
static bool ensure_tls(struct sess_state *st)
{
    st->s.tls = true;
    if (!st->tls && !(st->s.alloc_failed & SESSION_ALLOC_BIT(SESSION_ALLOC_TLS))) {
        st->tls = new_tls(st);
        if (!st->tls)
            alloc_failed(st, SESSION_ALLOC_TLS);
        else
            tls_set_memcap(st->tls, st->mc);
    }
    return st->tls != NULL;
}

static bool ensure_smtp(struct sess_state *st)
{
    if (!st->s.smtp && !(st->s.alloc_failed & SESSION_ALLOC_BIT(SESSION_ALLOC_SMTP))) {
        st->s.smtp = new_smtp(st, &smtp_callbacks);
        if (!st->s.smtp)
            alloc_failed(st, SESSION_ALLOC_SMTP);
    }
    return st->s.smtp != NULL;
}

/* stop_dir ends direction |dir|: only from |dir|'s own on_data, which must
 * not touch its bytes afterwards, or while none of its calls is running. */
static void stop_dir(struct sess_state *st, struct tcp_flow *f, enum tcp_dir dir)
{
    st->route[dir] = R_DONE;
    tcp_flow_stop(f, dir);
}

/* end_other ends direction |dir| from the other direction's on_data: at
 * once if no call of |dir| is running, else its bytes are consumed unread
 * from now on (R_DONE). */
static void end_other(struct sess_state *st, struct tcp_flow *f, enum tcp_dir dir)
{
    st->route[dir] = R_DONE;
    if (st->depth[dir] == 0)
        tcp_flow_stop(f, dir);
}

/*
 * A clear-text prelude before TLS.  TLS may start after a few bytes that are
 * neither TLS nor SMTP: the PROXY protocol line or binary header a relay puts
 * in front of implicit TLS (HAProxy's v1 and v2), a custom greeting on a port
 * given with --port.  When a direction's first bytes do not begin the way
 * SMTP does (a reply code from the server, a command word from the client),
 * its first PRELUDE_MAX bytes are searched for the first record of a hello
 * (tls_hello_at: ten bytes text does not hold), and TLS is read from
 * there.  The search gives the bytes to SMTP instead at a CRLF-ended line
 * that begins like SMTP (SMTP after a prelude is SMTP's to read, and so is a
 * "QUIT" inside a binary header, which ends in a bare LF), after PRELUDE_MAX
 * bytes without a hello, or when the connection ends; until then the
 * direction waits (its bytes stay in reassembly).
 */
#define PRELUDE_MAX 512u

/* smtp_begins says whether |c| begins like SMTP from |dir|'s sender: three
 * digits and a space, hyphen or line end from the server, a four-letter
 * command word (or STARTTLS) and a space or line end from the client.
 * SB_NEED: the bytes end before that can be told ("PROX").  With |crlf|,
 * only a whole line ended by CRLF counts (and a line not ended yet is not
 * one). */
enum smtp_begins { SB_NO = 0, SB_YES, SB_NEED };

static enum smtp_begins smtp_begins(struct cbs c, enum tcp_dir dir, bool crlf)
{
    uint8_t b = 0;

    if (crlf) {
        struct cbs probe = c, line;

        if (!cbs_get_line(&probe, &line, PRELUDE_MAX, NULL) ||
            cbs_len(&c) - cbs_len(&probe) != cbs_len(&line) + 2)
            return SB_NO;
        c = line;
    }
    if (dir == TCP_TO_CLIENT) {
        for (int i = 0; i < 3; i++) {
            if (!cbs_get_u8(&c, &b))
                return crlf ? SB_NO : SB_NEED;
            if (b < '0' || b > '9')
                return SB_NO;
        }
    } else {
        if (cbs_starts_nocase(&c, "STARTTLS"))
            return SB_YES;
        for (int i = 0; i < 4; i++) {
            if (!cbs_get_u8(&c, &b))
                return crlf ? SB_NO : SB_NEED;
            if ((unsigned)((b | 0x20) - 'a') >= 26)
                return SB_NO;
        }
    }
    if (!cbs_get_u8(&c, &b))
        return crlf ? SB_YES : SB_NEED;   /* a line of just that is SMTP's */
    if (b == ' ' || b == '\r' || b == '\n')
        return SB_YES;
    return dir == TCP_TO_CLIENT && b == '-' ? SB_YES : SB_NO;
}

enum prelude { P_NONE, P_TLS, P_WAIT };

/* find_prelude looks for a hello behind a prelude in |p|; P_TLS with its
 * offset in *|at|.  |last|: no more bytes will come. */
static enum prelude find_prelude(const uint8_t *p, size_t n, enum tcp_dir dir, bool last,
                                 size_t *at)
{
    struct cbs c;
    uint8_t prev = 0;

    cbs_init(&c, p, n);
    for (size_t i = 0; i < PRELUDE_MAX && cbs_len(&c) > 0; i++) {
        if (i > 0) {
            if (prev == '\n' && smtp_begins(c, dir, true) == SB_YES)
                return P_NONE;
            switch (tls_hello_at(cbs_data(&c), cbs_len(&c), dir == TCP_TO_SERVER)) {
            case TLS_HELLO_YES:
                *at = i;
                return P_TLS;
            case TLS_HELLO_NEED:
                return last ? P_NONE : P_WAIT;
            case TLS_HELLO_NO:
                break;
            }
        }
        if (!cbs_get_u8(&c, &prev))
            break;
    }
    return n >= PRELUDE_MAX || last ? P_NONE : P_WAIT;
}

/* Decide what a direction carries from its first bytes; false: need more.
 * The flags describe the bytes, so they are set whether or not the parser
 * for them can be had. */
static bool decide(struct sess_state *st, struct tcp_flow *f, enum tcp_dir dir,
                   const uint8_t *p, size_t n)
{
    bool tls, last = (f->flags & TCP_FLOW_CLOSING) != 0;   /* no more bytes will come */
    struct cbs first;
    enum smtp_begins sb;
    size_t at = 0;

    if (n < 3)
        return false;
    tls = tls_looks_like_record(p, n);
    cbs_init(&first, p, n);
    sb = tls ? SB_NO : smtp_begins(first, dir, false);
    if (sb == SB_NEED && !last)
        return false;
    if (!tls && sb == SB_NO) {
        switch (find_prelude(p, n, dir, last, &at)) {
        case P_WAIT:
            return false;
        case P_TLS:
            tls = true;
            st->skip[dir] = at;
            st->s.tls_prelude[dir] = (uint32_t)at;
            add_linef(st, dir, 'N', "[%zu bytes of clear text before TLS, not SMTP: skipped]",
                      at);
            break;
        case P_NONE:
            break;
        }
    }
    if (tls) {
        if (dir == TCP_TO_SERVER && st->route[TCP_TO_CLIENT] != R_SMTP)
            st->s.implicit_tls = true;
        if (st->route[!dir] == R_SMTP && !st->smtp_was_tls)
            st->s.protocol_mismatch = true;
    } else if (st->route[!dir] == R_TLS && !st->smtp_was_tls) {
        st->s.protocol_mismatch = true;
    }
    if (tls ? !ensure_tls(st) : !ensure_smtp(st)) {
        stop_dir(st, f, dir);
        return true;
    }
    st->route[dir] = tls ? R_TLS : R_SMTP;
    return true;
}

/* feed_tls hands |dir|'s bytes to the parser unless it has learnt all it
 * can from them.  The client's answer to a TLS 1.3 server flight makes the
 * server's direction done as well: it is stopped here when that is safe,
 * else on its own next bytes. */
static size_t feed_tls(struct sess_state *st, struct tcp_flow *f, enum tcp_dir dir,
                       const uint8_t *p, size_t n)
{
    size_t used = n;
    bool done = tls_done(st->tls, dir);

    if (!done) {
        used = tls_feed(st->tls, dir, p, n);
        done = tls_done(st->tls, dir);
    }
    if (st->route[!dir] == R_TLS && st->depth[!dir] == 0 && tls_done(st->tls, !dir))
        stop_dir(st, f, !dir);
    if (done) {
        stop_dir(st, f, dir);
        return n;
    }
    return used;
}

static size_t route_data(struct sess_state *st, struct tcp_flow *f, enum tcp_dir dir,
                         const uint8_t *p, size_t n)
{
    size_t used;

    if (st->route[dir] == R_UNDECIDED && !decide(st, f, dir, p, n))
        return 0;
    switch (st->route[dir]) {
    case R_TLS:
        if (st->skip[dir] > 0) {
            size_t k = st->skip[dir] < n ? st->skip[dir] : n;

            st->skip[dir] -= k;
            return k == n ? n : k + feed_tls(st, f, dir, p + k, n - k);
        }
        return feed_tls(st, f, dir, p, n);
    case R_SMTP:
        used = smtp_feed(st->s.smtp, dir, p, n, f->last_us);
        switch (smtp_mode(st->s.smtp, dir)) {
        case SMTP_MODE_TLS:
            st->smtp_was_tls = true;
            if (!ensure_tls(st)) {
                /* TLS follows and cannot be read (alloc_failed says so):
                 * both directions end here. */
                if (smtp_mode(st->s.smtp, !dir) == SMTP_MODE_TLS && st->route[!dir] == R_SMTP)
                    end_other(st, f, !dir);
                stop_dir(st, f, dir);
                return n;
            }
            st->route[dir] = R_TLS;
            if (smtp_mode(st->s.smtp, !dir) == SMTP_MODE_TLS && st->route[!dir] == R_SMTP) {
                /* The server's 220 decided it: the client's bytes after
                 * STARTTLS, held back so far, are TLS. */
                st->route[!dir] = R_TLS;
                if (!st->redelivering) {
                    st->redelivering = true;
                    tcp_flow_redeliver(f, !dir);
                    st->redelivering = false;
                }
            }
            if (used < n)
                used += feed_tls(st, f, dir, p + used, n - used);
            return st->route[dir] == R_DONE ? n : used;
        case SMTP_MODE_STOPPED:
            stop_dir(st, f, dir);
            return n;
        case SMTP_MODE_TEXT:
        case SMTP_MODE_DATA:
            break;
        }
        /* A server reply may release client bytes the parser held back
         * (after DATA, AUTH, or a full pipeline): offer them again. */
        if (dir == TCP_TO_CLIENT && st->route[TCP_TO_SERVER] == R_SMTP && !st->redelivering &&
            tcp_half_pending(&f->half[TCP_TO_SERVER]) > 0) {
            st->redelivering = true;
            tcp_flow_redeliver(f, TCP_TO_SERVER);
            st->redelivering = false;
        }
        return used;
    case R_DONE:
    case R_UNDECIDED:
        break;
    }
    return n;
}

static size_t sl_data(void *ctx, struct tcp_flow *f, enum tcp_dir dir, const uint8_t *p,
                      size_t n, uint64_t off)
{
    struct sess_state *st = state(ctx, f);
    size_t used;

    (void)off;
    if (st == NULL)
        return 0;                  /* given up: both directions stopped */
    if (st->kind != K_MAIL)
        return st->kind == K_CLASSIFYING ? 0 : n;
    st->s.last_us = f->last_us;
    st->depth[dir]++;
    used = route_data(st, f, dir, p, n);
    st->depth[dir]--;
    return used;
}

static void sl_gap(void *ctx, struct tcp_flow *f, enum tcp_dir dir, uint64_t off, uint64_t len)
{
    struct sess_state *st = state(ctx, f);

    (void)off;
    if (st == NULL || st->kind != K_MAIL)
        return;
    add_linef(st, dir, 'N', "[%llu bytes missing from the capture]", (unsigned long long)len);
    switch (st->route[dir]) {
    case R_SMTP:
        smtp_gap(st->s.smtp, dir);
        if (smtp_mode(st->s.smtp, dir) == SMTP_MODE_STOPPED)
            stop_dir(st, f, dir);
        break;
    case R_TLS:
        tls_gap(st->tls, dir);
        if (st->s.tls_state < SESSION_TLS_ESTABLISHED)
            st->s.incomplete = true;
        stop_dir(st, f, dir);
        break;
    case R_UNDECIDED:
        stop_dir(st, f, dir);
        break;
    case R_DONE:
        break;
    }
}

static void free_chain(struct session_chain *c)
{
    if (c->n)
        free(c->certs[0].der);   /* the block of the whole chain (copy_chain) */
}

static void session_release(struct sess_state *st)
{
    struct session *s = &st->s;
    struct session_layer *sl = st->sl;

    drop_smtp(sl, s->smtp);
    drop_smtp(sl, s->smtp_tls);
    free(st->inner[0]);
    free(st->inner[1]);
    drop_tls(sl, st->tls);
    classify_flow_free(st->cf);
    names_drop(st, s->sni);
    names_drop(st, s->ja3);
    names_drop(st, s->ja4_r);
    names_drop(st, s->ja3s);
    names_drop(st, s->alpn_offered);
    names_drop(st, (char *)st->ch_body);
    free_chain(&s->server_chain);
    free_chain(&s->client_chain);
    tcp_memcap_release(st->mc, st->chain_held);
    for (size_t i = 0; i < s->ncr_ca; i++)
        free(s->cr_ca_der[i].der);
    for (size_t i = 0; i < s->nlines; i++)
        free(s->lines[i].text);
    free(s->lines);
    objcache_free(&sl->states, st);
}

static void sl_close(void *ctx, struct tcp_flow *f)
{
    struct session_layer *sl = ctx;
    struct sess_state *st = f->user_kind == U_PRE ? upgrade(sl, f, true) : f->user;
    struct session *s;

    if (!st)
        return;
    s = &st->s;
    if (st->kind != K_MAIL) {
        session_release(st);
        return;
    }
    s->last_us = f->last_us;
    s->end = f->close_reason;
    if (!(f->flags & TCP_FLOW_DATA)) {
        /* No byte either way (a SYN flood, a scan, a half-open or RST-only
         * connection): nothing to analyse, counted, never a session. */
        sl->no_dialogue++;
        if (sl->sink.keep != NULL) {
            sl->sink.keep(sl->sink.ctx, s, true);
            return;
        }
        if (sl->sink.on_no_dialogue)
            sl->sink.on_no_dialogue(sl->sink.ctx, s);
        session_release(st);
        return;
    }
    s->midstream = !(f->flags & (TCP_FLOW_SYN | TCP_FLOW_SYNACK));
    for (int d = 0; d < 2; d++) {
        s->net.ttl_min[d] = f->packets[d] > 0 ? f->ttl_min[d] : 0;
        s->net.ttl_max[d] = f->ttl_max[d];
    }
    for (int d = 0; d < 2; d++) {
        s->gaps[d] = f->half[d].st.gaps;
        s->gap_bytes[d] = f->half[d].st.gap_bytes;
        s->bytes[d] = f->half[d].st.bytes_delivered + f->half[d].st.bytes_skipped;
    }
    /* A handshake that had begun and did not finish, with bytes missing or
     * the capture over, is incomplete; one the server cut with an alert or
     * that TLS 1.3 hid is not. */
    if (s->tls && st->tls && s->tls_state < SESSION_TLS_ESTABLISHED && !s->cert_hidden &&
        (s->gaps[0] || s->gaps[1] || s->end == TCP_CLOSE_END || s->end == TCP_CLOSE_TIMEOUT ||
         s->end == TCP_CLOSE_EVICTED || s->midstream) && s->nalerts == 0)
        s->incomplete = true;
    tls_server_flight_get(st->tls, &s->server_flight);
    s->decrypted[0] = tls_decrypted(st->tls, TCP_TO_SERVER);
    s->decrypted[1] = tls_decrypted(st->tls, TCP_TO_CLIENT);
    st->flow = NULL;
    sl->count++;
    if (sl->sink.keep != NULL) {
        sl->sink.keep(sl->sink.ctx, s, false);
        return;
    }
    session_finish(s);
    if (sl->sink.on_session)
        sl->sink.on_session(sl->sink.ctx, s);
    session_release(st);
}

void session_finish(struct session *s)
{
    /* the record is the first member of its state (struct sess_state) */
    struct sess_state *st = (struct sess_state *)(void *)s;
    static _Thread_local struct tls_client_hello ch;   /* ~5 KB: not on the stack */

    if (st->ch_body == NULL || s->ja3 != NULL)
        return;
    if (tls_client_hello_parse(st->ch_body, st->ch_body_len, st->ch_record_version, false, &ch)) {
        s->ja3 = names_strdup(st, ch.ja3);
        if (ch.ja4_r[0])
            s->ja4_r = names_strdup(st, ch.ja4_r);
    }
    names_drop(st, (char *)st->ch_body);
    st->ch_body = NULL;
}

void session_release_kept(struct session *s)
{
    /* the record is the first member of its state (struct sess_state) */
    session_release((struct sess_state *)(void *)s);
}

static const struct tcp_flow_cbs layer_cbs = {
    .on_open = sl_open,
    .on_packet = sl_packet,
    .on_data = sl_data,
    .on_gap = sl_gap,
    .on_close = sl_close,
};

const struct tcp_flow_cbs *session_layer_cbs(void)
{
    return &layer_cbs;
}

struct session_layer *session_layer_new(const struct session_opts *opts,
                                        const struct session_sink *sink)
{
    struct session_layer *sl = calloc(1, sizeof(*sl));

    if (!sl)
        return NULL;
    objcache_init(&sl->pres, sizeof(struct sess_pre), sizeof(struct sess_pre));
    /* the names slab is written before it is read */
    objcache_init(&sl->states, sizeof(struct sess_state), offsetof(struct sess_state, names));
    objcache_init(&sl->smtps, smtp_size(), 0);      /* smtp_init clears what it needs */
    objcache_init(&sl->tlss, tls_size(), 0);        /* and tls_init */
    if (opts)
        sl->opts = *opts;
    if (sink)
        sl->sink = *sink;
    return sl;
}

void session_layer_free(struct session_layer *sl)
{
    if (!sl)
        return;
    objcache_cleanup(&sl->pres);
    objcache_cleanup(&sl->states);
    objcache_cleanup(&sl->smtps);
    objcache_cleanup(&sl->tlss);
    free(sl);
}

uint64_t session_layer_count(const struct session_layer *sl)
{
    return sl->count;
}

uint64_t session_layer_lost(const struct session_layer *sl)
{
    return sl->lost;
}

uint64_t session_layer_no_dialogue(const struct session_layer *sl)
{
    return sl->no_dialogue;
}

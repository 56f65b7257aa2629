/*
 * test_tls.c - the TLS record layer, handshake defragmentation and message
 * parsers, on handshakes captured from OpenSSL on loopback
 * (tests/vectors/tls_vectors.h says how) and on hand-built edge cases.
 *
 * Every captured handshake runs four ways (STYLE.md): whole; each flight
 * split at every offset into two feeds; byte by byte, both with a transcript
 * of every callback (values and content hashes) and the tls_done() states
 * identical to the whole run; and every truncated prefix, whose transcript
 * must be a prefix of the whole one with no error.  The server's flight size
 * (tls_server_flight_get) after each flight must be identical too.  Each
 * feed hands tls_feed
 * an exact-size heap copy of the pending bytes, so ASan sees any read past
 * the end, and the harness re-offers unconsumed bytes with the next ones, as
 * tcp_reasm does.  The JA3/JA3S references are tshark's, not ours.
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

#include "dissect/tls.h"
#include "tests/vectors/tls_certs.h"
#include "tests/vectors/tls_vectors.h"

#define NFL(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_FLIGHTS 16

/* ---- growable buffers ----------------------------------------------- */

struct dyn {
    uint8_t *p;
    size_t len, cap;
};

static void dyn_add(struct dyn *d, const void *p, size_t n)
{
    if (d->len + n + 1 > d->cap) {
        size_t cap = d->cap ? d->cap : 256;

        while (d->len + n + 1 > cap)
            cap *= 2;
        d->p = realloc(d->p, cap);
        assert_non_null(d->p);
        d->cap = cap;
    }
    if (n)
        memcpy(d->p + d->len, p, n);
    d->len += n;
    d->p[d->len] = '\0';
}

static void dyn_u8(struct dyn *d, unsigned v)
{
    uint8_t b = (uint8_t)v;

    dyn_add(d, &b, 1);
}

static void dyn_u16(struct dyn *d, unsigned v)
{
    dyn_u8(d, v >> 8);
    dyn_u8(d, v);
}

static void dyn_u24(struct dyn *d, unsigned long v)
{
    dyn_u8(d, (unsigned)(v >> 16));
    dyn_u8(d, (unsigned)(v >> 8));
    dyn_u8(d, (unsigned)v);
}

static void dyn_free(struct dyn *d)
{
    free(d->p);
    d->p = NULL;
    d->len = d->cap = 0;
}

__attribute__((format(printf, 2, 3)))
static void dyn_printf(struct dyn *d, const char *fmt, ...)
{
    char tmp[4096];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    assert_true(n >= 0 && (size_t)n < sizeof(tmp));
    dyn_add(d, tmp, (size_t)n);
}

/* ---- what the callbacks saw ----------------------------------------- */

struct obs {
    struct dyn tx;          /* the transcript */
    int ncb;
    int n_ch, n_sh, n_cert[2], n_cr, n_kx, n_ccs[2], n_app[2], n_err;
    enum tls_error err[2];

    struct tls_client_hello ch;    /* the last one; its slices are cleared */
    uint8_t body[4096];            /* its body (tls_client_hello.body) */
    size_t body_len;
    char sni[256];
    uint8_t alpn[256];
    size_t alpn_len, sid_len, comp_len;
    uint8_t pf[16];
    size_t npf;

    struct tls_server_hello sh, sh_first;
    char sh_alpn[64];

    struct {
        uint8_t *der[TLS_MAX_CERTS];
        size_t len[TLS_MAX_CERTS];
        size_t n, total, ctx;
    } cert[2];

    struct tls_cert_request cr;
    uint8_t cert_types[16];
    size_t ncert_types;
    uint8_t ca0[256];
    size_t ca0_len;

    struct tls_key_exchange kx;

    struct {
        enum tcp_dir from;
        uint8_t level, desc;
        bool enc;
    } alerts[16];
    size_t nalerts;

    struct {
        uint8_t type;
        uint32_t len;
        bool enc;
    } hs[2][64];
    size_t nhs[2];

    bool done[MAX_FLIGHTS][2];
    struct tls_server_flight fl[MAX_FLIGHTS];   /* after each flight */
};

static char dchar(enum tcp_dir d)
{
    return d == TCP_TO_SERVER ? 'c' : 's';
}

static uint32_t fnv(const void *p, size_t n)
{
    const uint8_t *b = p;
    uint32_t h = 2166136261u;

    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 16777619u;
    return h;
}

static uint32_t fnv_cbs(const struct cbs *c)
{
    return fnv(cbs_data(c), cbs_len(c));
}

static uint32_t fnv_list(const struct tls_u16_list *l)
{
    return fnv(l->v, l->n * sizeof(l->v[0])) ^ (uint32_t)l->total;
}

static void copy_cbs(uint8_t *out, size_t cap, size_t *out_len, const struct cbs *c)
{
    size_t n = cbs_len(c) < cap ? cbs_len(c) : cap;

    if (n)
        memcpy(out, cbs_data(c), n);
    *out_len = n;
}

static void on_ch(void *user, const struct tls_client_hello *ch)
{
    struct obs *o = user;
    size_t n;

    o->ncb++;
    o->n_ch++;
    dyn_printf(&o->tx,
               "c ch rv=%04x v=%04x rnd=%08x sid=%zu:%08x ciphers=%zu/%zu:%08x comp=%zu:%08x "
               "ext=%d types=%zu/%zu:%08x sni=%.*s vers=%08x groups=%08x sig=%08x pf=%08x "
               "alpn=%08x ech=%d ja3=%s\n",
               ch->record_version, ch->legacy_version, fnv_cbs(&ch->random),
               cbs_len(&ch->session_id), fnv_cbs(&ch->session_id), ch->ciphers.n,
               ch->ciphers.total, fnv_list(&ch->ciphers), cbs_len(&ch->compressions),
               fnv_cbs(&ch->compressions), ch->has_extensions, ch->ext_types.n,
               ch->ext_types.total, fnv_list(&ch->ext_types), (int)cbs_len(&ch->sni),
               (const char *)cbs_data(&ch->sni), fnv_list(&ch->versions), fnv_list(&ch->groups),
               fnv_list(&ch->sig_algs), fnv_cbs(&ch->ec_point_formats), fnv_cbs(&ch->alpn),
               ch->ech, ch->ja3);
    o->ch = *ch;
    memset(&o->ch.random, 0, sizeof(o->ch.random));
    memset(&o->ch.session_id, 0, sizeof(o->ch.session_id));
    memset(&o->ch.compressions, 0, sizeof(o->ch.compressions));
    memset(&o->ch.sni, 0, sizeof(o->ch.sni));
    memset(&o->ch.ec_point_formats, 0, sizeof(o->ch.ec_point_formats));
    memset(&o->ch.alpn, 0, sizeof(o->ch.alpn));
    memset(&o->ch.body, 0, sizeof(o->ch.body));
    copy_cbs(o->body, sizeof(o->body), &o->body_len, &ch->body);
    assert_int_equal(cbs_len(&ch->random), 32);
    o->sid_len = cbs_len(&ch->session_id);
    o->comp_len = cbs_len(&ch->compressions);
    copy_cbs((uint8_t *)o->sni, sizeof(o->sni) - 1, &n, &ch->sni);
    o->sni[n] = '\0';
    copy_cbs(o->alpn, sizeof(o->alpn), &o->alpn_len, &ch->alpn);
    copy_cbs(o->pf, sizeof(o->pf), &o->npf, &ch->ec_point_formats);
    assert_true(strlen(ch->ja3) < sizeof(ch->ja3));
}

static void on_sh(void *user, const struct tls_server_hello *sh)
{
    struct obs *o = user;
    size_t n;

    o->ncb++;
    dyn_printf(&o->tx,
               "s sh rv=%04x lv=%04x v=%04x rnd=%08x sid=%zu cipher=%04x comp=%u types=%zu/%zu:%08x "
               "ks=%u hrr=%d alpn=%.*s ja3s=%s\n",
               sh->record_version, sh->legacy_version, sh->version, fnv_cbs(&sh->random),
               cbs_len(&sh->session_id), sh->cipher, sh->compression, sh->ext_types.n,
               sh->ext_types.total, fnv_list(&sh->ext_types), sh->key_share_group,
               sh->hello_retry_request, (int)cbs_len(&sh->alpn), (const char *)cbs_data(&sh->alpn),
               sh->ja3s);
    o->sh = *sh;
    memset(&o->sh.random, 0, sizeof(o->sh.random));
    memset(&o->sh.session_id, 0, sizeof(o->sh.session_id));
    memset(&o->sh.alpn, 0, sizeof(o->sh.alpn));
    copy_cbs((uint8_t *)o->sh_alpn, sizeof(o->sh_alpn) - 1, &n, &sh->alpn);
    o->sh_alpn[n] = '\0';
    if (o->n_sh++ == 0)
        o->sh_first = o->sh;
}

static void on_cert(void *user, enum tcp_dir from, const struct tls_certificate *c)
{
    struct obs *o = user;

    o->ncb++;
    o->n_cert[from]++;
    dyn_printf(&o->tx, "%c cert n=%zu total=%zu ctx=%zu:", dchar(from), c->n, c->total,
               cbs_len(&c->context));
    assert_true(c->n <= TLS_MAX_CERTS && c->n <= c->total);
    for (size_t i = 0; i < c->n; i++)
        dyn_printf(&o->tx, " %zu:%08x", cbs_len(&c->certs[i]), fnv_cbs(&c->certs[i]));
    dyn_printf(&o->tx, "\n");
    for (size_t i = 0; i < o->cert[from].n; i++)
        free(o->cert[from].der[i]);
    o->cert[from].n = c->n;
    o->cert[from].total = c->total;
    o->cert[from].ctx = cbs_len(&c->context);
    for (size_t i = 0; i < c->n; i++) {
        o->cert[from].len[i] = cbs_len(&c->certs[i]);
        o->cert[from].der[i] = malloc(cbs_len(&c->certs[i]) + 1);
        assert_non_null(o->cert[from].der[i]);
        memcpy(o->cert[from].der[i], cbs_data(&c->certs[i]), cbs_len(&c->certs[i]));
    }
}

static void on_cr(void *user, const struct tls_cert_request *cr)
{
    struct obs *o = user;

    o->ncb++;
    o->n_cr++;
    dyn_printf(&o->tx, "s cr types=%zu:%08x sig=%zu/%zu:%08x ca=%zu/%zu:", cbs_len(&cr->cert_types),
               fnv_cbs(&cr->cert_types), cr->sig_algs.n, cr->sig_algs.total,
               fnv_list(&cr->sig_algs), cr->nca, cr->total_ca);
    assert_true(cr->nca <= TLS_MAX_CERTS && cr->nca <= cr->total_ca);
    for (size_t i = 0; i < cr->nca; i++)
        dyn_printf(&o->tx, " %zu:%08x", cbs_len(&cr->ca_names[i]), fnv_cbs(&cr->ca_names[i]));
    dyn_printf(&o->tx, "\n");
    o->cr = *cr;
    memset(&o->cr.cert_types, 0, sizeof(o->cr.cert_types));
    memset(o->cr.ca_names, 0, sizeof(o->cr.ca_names));
    copy_cbs(o->cert_types, sizeof(o->cert_types), &o->ncert_types, &cr->cert_types);
    o->ca0_len = 0;
    if (cr->nca)
        copy_cbs(o->ca0, sizeof(o->ca0), &o->ca0_len, &cr->ca_names[0]);
}

static void on_kx(void *user, const struct tls_key_exchange *kx)
{
    struct obs *o = user;

    o->ncb++;
    o->n_kx++;
    dyn_printf(&o->tx, "s kx kind=%d group=%u bits=%u\n", (int)kx->kind, kx->group, kx->bits);
    o->kx = *kx;
}

static void on_hs(void *user, enum tcp_dir from, uint8_t type, uint32_t len, bool enc)
{
    struct obs *o = user;

    o->ncb++;
    dyn_printf(&o->tx, "%c hs %u %u%s\n", dchar(from), type, len, enc ? " enc" : "");
    if (enc)
        assert_true(type == 0xff && len == 0);
    if (o->nhs[from] < 64) {
        o->hs[from][o->nhs[from]].type = type;
        o->hs[from][o->nhs[from]].len = len;
        o->hs[from][o->nhs[from]].enc = enc;
        o->nhs[from]++;
    }
}

static void on_alert(void *user, enum tcp_dir from, uint8_t level, uint8_t desc, bool enc)
{
    struct obs *o = user;

    o->ncb++;
    dyn_printf(&o->tx, "%c alert %u %u%s\n", dchar(from), level, desc, enc ? " enc" : "");
    if (enc)
        assert_true(level == 0 && desc == 0);
    if (o->nalerts < 16) {
        o->alerts[o->nalerts].from = from;
        o->alerts[o->nalerts].level = level;
        o->alerts[o->nalerts].desc = desc;
        o->alerts[o->nalerts].enc = enc;
        o->nalerts++;
    }
}

static void on_ccs(void *user, enum tcp_dir from)
{
    struct obs *o = user;

    o->ncb++;
    o->n_ccs[from]++;
    dyn_printf(&o->tx, "%c ccs\n", dchar(from));
}

static void on_app(void *user, enum tcp_dir from)
{
    struct obs *o = user;

    o->ncb++;
    o->n_app[from]++;
    dyn_printf(&o->tx, "%c app\n", dchar(from));
}

static void on_err(void *user, enum tcp_dir from, enum tls_error e)
{
    struct obs *o = user;

    o->ncb++;
    o->n_err++;
    assert_int_equal(o->err[from], TLS_ERR_NONE);   /* once per direction */
    assert_true(e > TLS_ERR_NONE && e < TLS_ERR_COUNT);
    o->err[from] = e;
    dyn_printf(&o->tx, "%c err %s\n", dchar(from), tls_error_name(e));
}

static const struct tls_cbs all_cbs = {
    .on_client_hello = on_ch,
    .on_server_hello = on_sh,
    .on_certificate = on_cert,
    .on_cert_request = on_cr,
    .on_key_exchange = on_kx,
    .on_handshake = on_hs,
    .on_alert = on_alert,
    .on_ccs = on_ccs,
    .on_appdata = on_app,
    .on_error = on_err,
};

/* runs while it is set are with prints_later (tls.h) */
static bool prints_later;

static struct obs *obs_new(void)
{
    struct obs *o = calloc(1, sizeof(*o));

    assert_non_null(o);
    dyn_add(&o->tx, "", 0);
    return o;
}

static void obs_free(struct obs *o)
{
    if (!o)
        return;
    for (int d = 0; d < 2; d++)
        for (size_t i = 0; i < o->cert[d].n; i++)
            free(o->cert[d].der[i]);
    dyn_free(&o->tx);
    free(o);
}

/* ---- the feeder: what tcp_reasm does -------------------------------- */

struct feeder {
    struct tls *t;
    struct dyn pend[2];
};

/* offer hands the pending bytes of |d| to tls_feed in an exact-size heap
 * copy and keeps what it did not consume. */
static void offer(struct feeder *f, enum tcp_dir d)
{
    size_t n = f->pend[d].len, used;
    uint8_t *copy = malloc(n ? n : 1);

    assert_non_null(copy);
    if (n)
        memcpy(copy, f->pend[d].p, n);
    used = tls_feed(f->t, d, n ? copy : NULL, n);
    free(copy);
    assert_true(used <= n);
    memmove(f->pend[d].p, f->pend[d].p + used, n - used);
    f->pend[d].len = n - used;
}

static void feed(struct feeder *f, enum tcp_dir d, const uint8_t *p, size_t n)
{
    dyn_add(&f->pend[d], p, n);
    offer(f, d);
}

enum mode { M_WHOLE, M_SPLIT, M_BYTES, M_PREFIX };

/* run feeds |fl| to a new parser: every flight whole, except flight |fi|
 * which M_SPLIT cuts at |cut| and M_PREFIX ends at |cut|; M_BYTES feeds
 * every byte on its own. */
static struct obs *run(const struct tls_flight *fl, size_t nfl, enum mode m, size_t fi, size_t cut)
{
    struct obs *o = obs_new();
    struct feeder f = {0};
    struct tls_cbs cbs = all_cbs;   /* copied by tls_new */

    assert_true(nfl <= MAX_FLIGHTS);
    cbs.prints_later = prints_later;
    f.t = tls_new(&cbs, o);
    assert_non_null(f.t);
    for (size_t i = 0; i < nfl; i++) {
        if (m == M_PREFIX && i == fi) {
            feed(&f, fl[i].dir, fl[i].p, cut);
            break;
        }
        if (m == M_SPLIT && i == fi) {
            feed(&f, fl[i].dir, fl[i].p, cut);
            feed(&f, fl[i].dir, fl[i].p + cut, fl[i].n - cut);
        } else if (m == M_BYTES) {
            for (size_t j = 0; j < fl[i].n; j++)
                feed(&f, fl[i].dir, fl[i].p + j, 1);
        } else {
            feed(&f, fl[i].dir, fl[i].p, fl[i].n);
        }
        o->done[i][0] = tls_done(f.t, TCP_TO_SERVER);
        o->done[i][1] = tls_done(f.t, TCP_TO_CLIENT);
        tls_server_flight_get(f.t, &o->fl[i]);
    }
    tls_free(f.t);
    dyn_free(&f.pend[0]);
    dyn_free(&f.pend[1]);
    return o;
}

static void assert_flight(const struct tls_server_flight *fl, unsigned clear_msgs,
                          unsigned clear_bytes, bool clear_complete, unsigned enc_records,
                          unsigned enc_bytes, bool enc_complete)
{
    assert_int_equal(fl->clear_msgs, clear_msgs);
    assert_int_equal(fl->clear_bytes, clear_bytes);
    assert_int_equal(fl->clear_complete, clear_complete);
    assert_int_equal(fl->enc_records, enc_records);
    assert_int_equal(fl->enc_bytes, enc_bytes);
    assert_int_equal(fl->enc_complete, enc_complete);
}

static void assert_same(const struct obs *w, const struct obs *o, size_t nfl)
{
    assert_string_equal((const char *)o->tx.p, (const char *)w->tx.p);
    assert_memory_equal(o->done, w->done, nfl * sizeof(o->done[0]));
    for (size_t i = 0; i < nfl; i++) {
        const struct tls_server_flight *a = &w->fl[i];

        assert_flight(&o->fl[i], a->clear_msgs, a->clear_bytes, a->clear_complete,
                      a->enc_records, a->enc_bytes, a->enc_complete);
    }
}

/* four_ways runs |fl| whole, split at every offset of every flight, byte by
 * byte and truncated at every offset; returns the whole run's observations.
 * |clean|: no error expected anywhere. */
static struct obs *four_ways(const struct tls_flight *fl, size_t nfl, bool clean)
{
    struct obs *w = run(fl, nfl, M_WHOLE, 0, 0), *o;

    if (getenv("TLS_TEST_DUMP"))   /* to read what a vector gives */
        fprintf(stderr, "----\n%s", (const char *)w->tx.p);
    if (clean)
        assert_int_equal(w->n_err, 0);
    for (size_t i = 0; i < nfl; i++) {
        for (size_t c = 1; c < fl[i].n; c++) {
            o = run(fl, nfl, M_SPLIT, i, c);
            assert_same(w, o, nfl);
            obs_free(o);
        }
    }
    o = run(fl, nfl, M_BYTES, 0, 0);
    assert_same(w, o, nfl);
    obs_free(o);
    for (size_t i = 0; i < nfl; i++) {
        for (size_t c = 0; c < fl[i].n; c++) {
            o = run(fl, nfl, M_PREFIX, i, c);
            assert_true(o->tx.len <= w->tx.len);
            assert_memory_equal(o->tx.p, w->tx.p, o->tx.len);
            assert_true(o->ncb <= w->ncb);
            if (clean)
                assert_int_equal(o->n_err, 0);
            obs_free(o);
        }
    }
    return w;
}

static void assert_hs_types(const struct obs *o, enum tcp_dir d, const int *types, size_t n)
{
    assert_int_equal(o->nhs[d], n);
    for (size_t i = 0; i < n; i++) {
        if (types[i] < 0) {
            assert_true(o->hs[d][i].enc);
        } else {
            assert_false(o->hs[d][i].enc);
            assert_int_equal(o->hs[d][i].type, types[i]);
        }
    }
}

static void assert_cert(const struct obs *o, enum tcp_dir d, size_t i, const uint8_t *der, size_t n)
{
    assert_true(i < o->cert[d].n);
    assert_int_equal(o->cert[d].len[i], n);
    assert_memory_equal(o->cert[d].der[i], der, n);
}

static bool has_bytes(const uint8_t *hay, size_t n, const char *needle)
{
    size_t k = strlen(needle);

    for (size_t i = 0; i + k <= n; i++)
        if (memcmp(hay + i, needle, k) == 0)
            return true;
    return false;
}

/* ---- captured handshakes -------------------------------------------- */

/* TLS 1.2, ECDHE-ECDSA-AES256-GCM, SNI and ALPN, a 2-certificate chain,
 * then encrypted close_notify alerts from both sides. */
static void test_tls12_full(void **state)
{
    static const int client_hs[] = {1, 16, -1};
    static const int server_hs[] = {2, 11, 12, 14, 4, -1};
    struct obs *o;

    (void)state;
    o = four_ways(t12, NFL(t12), true);
    assert_int_equal(o->n_ch, 1);
    assert_int_equal(o->ch.record_version, 0x0301);
    assert_int_equal(o->ch.legacy_version, 0x0303);
    assert_string_equal(o->sni, "mx.example.test");
    assert_int_equal(o->alpn_len, 5);
    assert_memory_equal(o->alpn, "\x04smtp", 5);
    assert_int_equal(o->ch.ciphers.total, 28);
    assert_int_equal(o->ch.ciphers.v[0], 0xc02c);
    assert_int_equal(o->ch.ext_types.n, 8);
    assert_int_equal(o->ch.ext_types.v[4], 16);
    assert_int_equal(o->ch.groups.n, 5);
    assert_int_equal(o->ch.groups.v[0], 29);
    assert_true(o->ch.sig_algs.n > 10);
    assert_int_equal(o->ch.versions.total, 0);
    assert_int_equal(o->npf, 3);
    assert_false(o->ch.ech);
    assert_true(o->ch.has_extensions);
    assert_string_equal(o->ch.ja3, T12_JA3);

    assert_int_equal(o->n_sh, 1);
    assert_int_equal(o->sh.version, 0x0303);
    assert_int_equal(o->sh.cipher, 0xc02c);
    assert_false(o->sh.hello_retry_request);
    assert_string_equal(o->sh_alpn, "smtp");
    assert_string_equal(o->sh.ja3s, T12_JA3S);

    assert_int_equal(o->n_cert[TCP_TO_CLIENT], 1);
    assert_int_equal(o->n_cert[TCP_TO_SERVER], 0);
    assert_int_equal(o->cert[TCP_TO_CLIENT].n, 2);
    assert_int_equal(o->cert[TCP_TO_CLIENT].total, 2);
    assert_cert(o, TCP_TO_CLIENT, 0, cert_leaf, sizeof(cert_leaf));
    assert_cert(o, TCP_TO_CLIENT, 1, cert_inter, sizeof(cert_inter));

    assert_int_equal(o->n_kx, 1);
    assert_int_equal(o->kx.kind, TLS_KX_ECDHE);
    assert_int_equal(o->kx.group, 29);
    assert_int_equal(o->kx.bits, 256);

    assert_hs_types(o, TCP_TO_SERVER, client_hs, NFL(client_hs));
    assert_hs_types(o, TCP_TO_CLIENT, server_hs, NFL(server_hs));
    assert_int_equal(o->n_ccs[0], 1);
    assert_int_equal(o->n_ccs[1], 1);
    assert_int_equal(o->nalerts, 2);
    assert_true(o->alerts[0].enc && o->alerts[1].enc);
    assert_int_equal(o->n_cr, 0);

    /* done: not before the server's Certificate and ServerHelloDone, the
     * client's after its CCS and Finished, the server's after its own. */
    assert_false(o->done[0][0]);
    assert_false(o->done[0][1]);
    assert_false(o->done[1][0]);
    assert_false(o->done[1][1]);
    assert_true(o->done[2][0]);
    assert_false(o->done[2][1]);
    assert_true(o->done[3][1]);
    obs_free(o);
}

/* The same handshake with the server flight framed differently must give
 * the same transcript. */
static void test_tls12_reframed(void **state)
{
    struct obs *w, *o;

    (void)state;
    w = run(t12, NFL(t12), M_WHOLE, 0, 0);
    o = four_ways(t12_onerec, NFL(t12_onerec), true);
    assert_same(w, o, NFL(t12));
    obs_free(o);
    o = four_ways(t12_frag100, NFL(t12_frag100), true);
    assert_same(w, o, NFL(t12));
    obs_free(o);
    /* 1-byte records, three flights: a prefix of the whole transcript */
    o = four_ways(t12_frag1, NFL(t12_frag1), true);
    assert_true(o->tx.len < w->tx.len);
    assert_memory_equal(o->tx.p, w->tx.p, o->tx.len);
    assert_int_equal(o->cert[TCP_TO_CLIENT].n, 2);
    assert_cert(o, TCP_TO_CLIENT, 0, cert_leaf, sizeof(cert_leaf));
    obs_free(o);
    obs_free(w);
}

/* TLS 1.2 DHE-RSA: the DH prime's size from ServerKeyExchange. */
static void test_tls12_dhe(void **state)
{
    struct obs *o;

    (void)state;
    o = four_ways(dhe, NFL(dhe), true);
    assert_string_equal(o->ch.ja3, DHE_JA3);
    assert_string_equal(o->sh.ja3s, DHE_JA3S);
    assert_int_equal(o->sh.cipher, 0x009e);
    assert_int_equal(o->kx.kind, TLS_KX_DHE);
    assert_int_equal(o->kx.bits, 2048);
    assert_int_equal(o->kx.group, 0);
    assert_string_equal(o->sni, "rsa.example.test");
    assert_int_equal(o->cert[TCP_TO_CLIENT].n, 2);
    assert_cert(o, TCP_TO_CLIENT, 0, cert_rsa, sizeof(cert_rsa));
    assert_cert(o, TCP_TO_CLIENT, 1, cert_inter, sizeof(cert_inter));
    obs_free(o);
}

/* TLS 1.3: the ServerHello's supported_versions makes it 1.3, after which
 * nothing is parsed; both directions are done once the client answered the
 * server's encrypted flight (its size is learnt until then). */
static void test_tls13(void **state)
{
    static const int server_hs[] = {2};
    static const int client_hs[] = {1};
    struct obs *o;

    (void)state;
    o = four_ways(t13, NFL(t13), true);
    assert_string_equal(o->ch.ja3, T13_JA3);
    assert_int_equal(o->ch.versions.n, 1);
    assert_int_equal(o->ch.versions.v[0], 0x0304);
    assert_int_equal(o->n_sh, 1);
    assert_int_equal(o->sh.legacy_version, 0x0303);
    assert_int_equal(o->sh.version, 0x0304);
    assert_int_equal(o->sh.cipher, 0x1302);
    assert_int_equal(o->sh.key_share_group, 29);
    assert_false(o->sh.hello_retry_request);
    assert_string_equal(o->sh.ja3s, T13_JA3S);
    assert_int_equal(o->n_cert[0] + o->n_cert[1], 0);
    assert_int_equal(o->n_kx, 0);
    assert_hs_types(o, TCP_TO_SERVER, client_hs, NFL(client_hs));
    assert_hs_types(o, TCP_TO_CLIENT, server_hs, NFL(server_hs));
    assert_int_equal(o->n_ccs[0], 1);
    assert_int_equal(o->n_ccs[1], 1);
    assert_int_equal(o->n_app[0], 1);   /* encrypted 1.3 records are application_data */
    assert_int_equal(o->n_app[1], 1);
    assert_false(o->done[0][0]);
    assert_false(o->done[1][0]);
    assert_false(o->done[1][1]);
    assert_true(o->done[2][0]);
    assert_true(o->done[2][1]);
    obs_free(o);
}

/* HelloRetryRequest: the compatibility CCS after it does not encrypt; the
 * second ClientHello and the real ServerHello are read. */
static void test_tls13_hrr(void **state)
{
    struct obs *o;

    (void)state;
    o = four_ways(hrr, NFL(hrr), true);
    assert_int_equal(o->n_ch, 2);
    assert_int_equal(o->n_sh, 2);
    assert_true(o->sh_first.hello_retry_request);
    assert_int_equal(o->sh_first.key_share_group, 29);
    assert_int_equal(o->sh_first.version, 0x0304);
    assert_string_equal(o->sh_first.ja3s, HRR_JA3S);
    assert_false(o->sh.hello_retry_request);
    assert_int_equal(o->sh.key_share_group, 29);
    assert_string_equal(o->sh.ja3s, HRR_JA3S_2);
    assert_string_equal(o->ch.ja3, HRR_JA3_2);
    assert_int_equal(o->ch.groups.n, 2);
    assert_int_equal(o->n_err, 0);
    /* after the HRR and both CCS nothing is done yet, nor after the real
     * ServerHello's flight: the client's Finished ends it */
    assert_false(o->done[1][0]);
    assert_false(o->done[1][1]);
    assert_false(o->done[2][0]);
    assert_false(o->done[3][0]);
    assert_false(o->done[3][1]);
    assert_true(o->done[4][0]);
    assert_true(o->done[4][1]);
    obs_free(o);
}

/* Mutual TLS 1.2: CertificateRequest with signature algorithms and one CA
 * name; the client's Certificate is reported from the client side. */
static void test_mtls12(void **state)
{
    static const int client_hs[] = {1, 11, 16, 15, -1};
    struct obs *o;

    (void)state;
    o = four_ways(mtls12, NFL(mtls12), true);
    assert_string_equal(o->ch.ja3, MTLS12_JA3);
    assert_string_equal(o->sh.ja3s, MTLS12_JA3S);
    assert_int_equal(o->n_cr, 1);
    assert_int_equal(o->ncert_types, 3);
    assert_memory_equal(o->cert_types, "\x01\x02\x40", 3);
    assert_int_equal(o->cr.sig_algs.total, 20);
    assert_int_equal(o->cr.sig_algs.v[0], 0x0403);
    assert_int_equal(o->cr.nca, 1);
    assert_int_equal(o->cr.total_ca, 1);
    assert_int_equal(o->ca0_len, 0x16);
    assert_true(has_bytes(o->ca0, o->ca0_len, "Test Root"));
    assert_int_equal(o->n_cert[TCP_TO_SERVER], 1);
    assert_int_equal(o->cert[TCP_TO_SERVER].n, 1);
    assert_cert(o, TCP_TO_SERVER, 0, cert_client, sizeof(cert_client));
    assert_int_equal(o->cert[TCP_TO_CLIENT].n, 2);
    assert_hs_types(o, TCP_TO_SERVER, client_hs, NFL(client_hs));
    /* the client direction waits for its CCS: its Certificate comes first */
    assert_false(o->done[1][0]);
    assert_true(o->done[2][0]);
    obs_free(o);
}

/* Mutual TLS 1.0: the CertificateRequest has no signature algorithms. */
static void test_mtls10(void **state)
{
    struct obs *o;

    (void)state;
    o = four_ways(mtls10, NFL(mtls10), true);
    assert_int_equal(o->ch.legacy_version, 0x0301);
    assert_int_equal(o->sh.version, 0x0301);
    assert_string_equal(o->ch.ja3, MTLS10_JA3);
    assert_string_equal(o->sh.ja3s, MTLS10_JA3S);
    assert_int_equal(o->n_cr, 1);
    assert_int_equal(o->cr.sig_algs.total, 0);
    assert_int_equal(o->cr.nca, 1);
    assert_true(has_bytes(o->ca0, o->ca0_len, "Test Root"));
    assert_cert(o, TCP_TO_SERVER, 0, cert_client, sizeof(cert_client));
    assert_int_equal(o->kx.kind, TLS_KX_ECDHE);
    obs_free(o);
}

/* Mutual TLS 1.3: on the wire only the hellos; the decrypted messages (from
 * s_client -msg) through tls_feed_plaintext parse in the 1.3 formats. */
static void test_mtls13_plaintext(void **state)
{
    static const int server_hs[] = {2, 8, 13, 11, 15, 20};
    struct obs *o = obs_new();
    struct tls *t;

    (void)state;
    t = tls_new(&all_cbs, o);
    assert_non_null(t);
    for (size_t i = 0; i < 2; i++)
        assert_int_equal(tls_feed(t, mtls13[i].dir, mtls13[i].p, mtls13[i].n), mtls13[i].n);
    /* the server's encrypted flight is still being measured */
    assert_false(tls_done(t, TCP_TO_CLIENT));
    assert_false(tls_done(t, TCP_TO_SERVER));
    assert_int_equal(o->n_cr + o->n_cert[0] + o->n_cert[1], 0);
    for (size_t i = 0; i < NFL(mtls13_plain_server); i++) {
        /* the Certificate in two pieces, as a record boundary would cut it */
        const struct tls_flight *m = &mtls13_plain_server[i];
        size_t half = m->n / 2;

        assert_int_equal(tls_feed_plaintext(t, m->dir, TLS_CT_HANDSHAKE, m->p, half), half);
        assert_int_equal(tls_feed_plaintext(t, m->dir, TLS_CT_HANDSHAKE, m->p + half, m->n - half),
                         m->n - half);
    }
    for (size_t i = 0; i < NFL(mtls13_plain_client); i++)
        tls_feed_plaintext(t, mtls13_plain_client[i].dir, TLS_CT_HANDSHAKE,
                           mtls13_plain_client[i].p, mtls13_plain_client[i].n);
    assert_int_equal(o->n_err, 0);
    assert_hs_types(o, TCP_TO_CLIENT, server_hs, NFL(server_hs));
    assert_int_equal(o->n_cr, 1);
    assert_int_equal(o->ncert_types, 0);
    assert_int_equal(o->cr.sig_algs.total, 16);
    assert_int_equal(o->cr.nca, 1);
    assert_true(has_bytes(o->ca0, o->ca0_len, "Test Root"));
    assert_int_equal(o->cert[TCP_TO_CLIENT].n, 2);
    assert_int_equal(o->cert[TCP_TO_CLIENT].ctx, 0);
    assert_cert(o, TCP_TO_CLIENT, 0, cert_leaf, sizeof(cert_leaf));
    assert_cert(o, TCP_TO_CLIENT, 1, cert_inter, sizeof(cert_inter));
    assert_int_equal(o->cert[TCP_TO_SERVER].n, 1);
    assert_cert(o, TCP_TO_SERVER, 0, cert_client, sizeof(cert_client));
    /* the record stream after it still frames without error */
    for (size_t i = 2; i < NFL(mtls13); i++)
        tls_feed(t, mtls13[i].dir, mtls13[i].p, mtls13[i].n);
    assert_int_equal(o->n_err, 0);
    tls_free(t);
    obs_free(o);
    o = four_ways(mtls13, NFL(mtls13), true);
    obs_free(o);
}

/* A client that does not trust the server's chain: a plain fatal alert. */
static void test_alert_plain(void **state)
{
    struct obs *o;

    (void)state;
    o = four_ways(alert12, NFL(alert12), true);
    assert_int_equal(o->nalerts, 1);
    assert_int_equal(o->alerts[0].from, TCP_TO_SERVER);
    assert_int_equal(o->alerts[0].level, 2);
    assert_int_equal(o->alerts[0].desc, 48);
    assert_false(o->alerts[0].enc);
    assert_string_equal(tls_alert_name(o->alerts[0].desc), "unknown_ca");
    assert_true(o->done[2][0]);    /* a fatal alert ends the direction */
    assert_false(o->done[2][1]);
    obs_free(o);

    o = four_ways(hsfail, NFL(hsfail), true);
    assert_string_equal(o->ch.ja3, HSFAIL_JA3);
    assert_int_equal(o->n_sh, 0);
    assert_int_equal(o->nalerts, 1);
    assert_int_equal(o->alerts[0].from, TCP_TO_CLIENT);
    assert_int_equal(o->alerts[0].level, 2);
    assert_string_equal(tls_alert_name(o->alerts[0].desc), "handshake_failure");
    assert_true(o->done[1][1]);
    obs_free(o);
}

/* Session resumption: ServerHello, CCS, Finished: no certificate at all. */
static void test_resumption(void **state)
{
    static const int server_hs[] = {2, -1};
    struct obs *o;

    (void)state;
    o = four_ways(resume, NFL(resume), true);
    assert_string_equal(o->sh.ja3s, RESUME_JA3S);
    assert_true(o->sid_len > 0);
    assert_int_equal(o->n_cert[0] + o->n_cert[1], 0);
    assert_hs_types(o, TCP_TO_CLIENT, server_hs, NFL(server_hs));
    assert_true(o->done[1][1]);
    assert_false(o->done[1][0]);
    assert_true(o->done[2][0]);
    assert_int_equal(o->nalerts, 2);
    assert_true(o->alerts[0].enc);
    obs_free(o);
}

/* RFC 8701 §2: the sixteen GREASE values, and nothing else in the 16-bit
 * space. */
static void test_grease_values(void **state)
{
    unsigned n = 0;

    (void)state;
    for (unsigned hi = 0x0a; hi <= 0xfa; hi += 0x10)
        assert_true(tls_is_grease((uint16_t)(hi << 8 | hi)));
    for (unsigned v = 0; v <= 0xffff; v++)
        n += tls_is_grease((uint16_t)v);
    assert_int_equal(n, 16);
    assert_false(tls_is_grease(0x0a1a));   /* both nibbles A, bytes differ */
    assert_false(tls_is_grease(0x1a0a));
    assert_false(tls_is_grease(0x0b0b));
    assert_false(tls_is_grease(0x0000));
    assert_false(tls_is_grease(0x0304));
    assert_false(tls_is_grease(0xabab));
    assert_true(tls_is_grease(0xaaaa));    /* 0xAA is 0x?A too */
}

/* The server's flight size, TLS <= 1.2: its handshake messages in clear
 * from the ServerHello to the ServerHelloDone, 4-byte headers included,
 * whatever the record framing.  The expected numbers are the vectors'
 * handshake lengths added up by hand (t12: ServerHello 4+72, Certificate
 * 4+761, ServerKeyExchange 4+111, ServerHelloDone 4+0); the
 * NewSessionTicket of the server's second flight is not part of it. */
static void test_flight_tls12(void **state)
{
    struct tls_server_flight none;
    struct obs *o;
    struct tls *t;

    (void)state;
    o = four_ways(t12, NFL(t12), true);
    assert_flight(&o->fl[0], 0, 0, false, 0, 0, false);
    assert_flight(&o->fl[1], 4, 960, true, 0, 0, false);
    assert_flight(&o->fl[5], 4, 960, true, 0, 0, false);
    obs_free(o);
    /* one record, 100-byte records, 1-byte records: the same numbers */
    o = four_ways(t12_onerec, NFL(t12_onerec), true);
    assert_flight(&o->fl[5], 4, 960, true, 0, 0, false);
    obs_free(o);
    o = four_ways(t12_frag100, NFL(t12_frag100), true);
    assert_flight(&o->fl[1], 4, 960, true, 0, 0, false);
    obs_free(o);
    o = four_ways(t12_frag1, NFL(t12_frag1), true);
    assert_flight(&o->fl[1], 4, 960, true, 0, 0, false);
    obs_free(o);
    /* DHE: ServerHello 57, Certificate (RSA) 869, ServerKeyExchange 783, ServerHelloDone 4 */
    o = four_ways(dhe, NFL(dhe), true);
    assert_flight(&o->fl[5], 4, 1713, true, 0, 0, false);
    obs_free(o);
    /* with a CertificateRequest (76) */
    o = four_ways(mtls12, NFL(mtls12), true);
    assert_flight(&o->fl[5], 5, 65 + 765 + 115 + 76 + 4, true, 0, 0, false);
    obs_free(o);
    /* abbreviated: the ServerHello (85), ended by the server's CCS */
    o = four_ways(resume, NFL(resume), true);
    assert_flight(&o->fl[1], 1, 85, true, 0, 0, false);
    obs_free(o);
    /* no ServerHello: nothing */
    o = four_ways(hsfail, NFL(hsfail), true);
    assert_flight(&o->fl[1], 0, 0, false, 0, 0, false);
    obs_free(o);

    /* cut inside the Certificate: the ServerHello only, not complete; a
     * gap leaves it so */
    o = obs_new();
    t = tls_new(&all_cbs, o);
    assert_non_null(t);
    assert_int_equal(tls_feed(t, TCP_TO_SERVER, t12[0].p, t12[0].n), t12[0].n);
    assert_int_equal(tls_feed(t, TCP_TO_CLIENT, t12[1].p, 400), 81);
    tls_server_flight_get(t, &o->fl[0]);
    assert_flight(&o->fl[0], 1, 76, false, 0, 0, false);
    tls_gap(t, TCP_TO_CLIENT);
    tls_server_flight_get(t, &o->fl[0]);
    assert_flight(&o->fl[0], 1, 76, false, 0, 0, false);
    tls_free(t);
    obs_free(o);
    memset(&none, 0xff, sizeof(none));
    tls_server_flight_get(NULL, &none);
    assert_flight(&none, 0, 0, false, 0, 0, false);
}

/* The server's flight size, TLS 1.3: the ServerHello (4+118) in clear,
 * then the server's application_data records until the client answers (its
 * CCS does not count as an answer, its Finished does).  t13's server flight
 * carries records of 23, 787, 95 and 69 bytes after the ServerHello and the
 * CCS; the NewSessionTicket record (250) after the client's Finished is not
 * part of it. */
static void test_flight_tls13(void **state)
{
    const struct tls_flight server_only[] = {t13[1], t13[3], t13[5]};
    static const uint8_t early[] = {0x17, 0x03, 0x03, 0x00, 0x03, 1, 2, 3};
    struct obs *o;
    struct tls *t;
    struct dyn d = {0};

    (void)state;
    o = four_ways(t13, NFL(t13), true);
    assert_flight(&o->fl[1], 1, 122, true, 4, 23 + 787 + 95 + 69, false);
    assert_flight(&o->fl[2], 1, 122, true, 4, 974, true);
    assert_flight(&o->fl[5], 1, 122, true, 4, 974, true);
    obs_free(o);
    /* after a HelloRetryRequest: the real ServerHello's flight only */
    o = four_ways(hrr, NFL(hrr), true);
    assert_flight(&o->fl[1], 0, 0, false, 0, 0, false);
    assert_flight(&o->fl[3], 1, 122, true, 4, 974, false);
    assert_flight(&o->fl[4], 1, 122, true, 4, 974, true);
    obs_free(o);
    /* mutual TLS: one record more (the CertificateRequest), 1068 bytes in
     * all (23 + 92 + 787 + 97 + 69: from the vector's record headers) */
    o = four_ways(mtls13, NFL(mtls13), true);
    assert_flight(&o->fl[2], 1, 122, true, 5, 1068, true);
    obs_free(o);

    /* a capture of the server side only: nothing ends the flight, so what
     * followed is counted too and it is not complete */
    o = four_ways(server_only, NFL(server_only), true);
    assert_flight(&o->fl[2], 1, 122, true, 6, 974 + 250 + 19, false);
    assert_false(o->done[2][1]);
    obs_free(o);

    /* ... until TLS_MAX_FLIGHT_RECORDS, which ends it (done) */
    o = obs_new();
    t = tls_new(&all_cbs, o);
    assert_non_null(t);
    assert_int_equal(tls_feed(t, TCP_TO_CLIENT, t13[1].p, t13[1].n), t13[1].n);
    for (int i = 0; i < 40; i++) {
        dyn_u8(&d, TLS_CT_APPDATA);
        dyn_u16(&d, 0x0303);
        dyn_u16(&d, 10);
        dyn_add(&d, "0123456789", 10);
    }
    assert_int_equal(tls_feed(t, TCP_TO_CLIENT, d.p, d.len), d.len);
    tls_server_flight_get(t, &o->fl[0]);
    assert_flight(&o->fl[0], 1, 122, true, TLS_MAX_FLIGHT_RECORDS,
                  974 + (TLS_MAX_FLIGHT_RECORDS - 4) * 10, false);
    assert_true(tls_done(t, TCP_TO_CLIENT));
    assert_true(tls_done(t, TCP_TO_SERVER));
    tls_free(t);
    obs_free(o);
    dyn_free(&d);

    /* a gap in the client's direction ends it too: its answer may be lost */
    o = obs_new();
    t = tls_new(&all_cbs, o);
    assert_non_null(t);
    assert_int_equal(tls_feed(t, TCP_TO_SERVER, t13[0].p, t13[0].n), t13[0].n);
    assert_int_equal(tls_feed(t, TCP_TO_CLIENT, t13[1].p, t13[1].n), t13[1].n);
    assert_false(tls_done(t, TCP_TO_CLIENT));
    tls_gap(t, TCP_TO_SERVER);
    assert_true(tls_done(t, TCP_TO_CLIENT));
    assert_int_equal(tls_feed(t, TCP_TO_CLIENT, t13[3].p, t13[3].n), t13[3].n);
    tls_server_flight_get(t, &o->fl[0]);
    assert_flight(&o->fl[0], 1, 122, true, 4, 974, false);
    tls_free(t);
    obs_free(o);

    /* client application data before the ServerHello (0-RTT) answers
     * nothing: the flight starts at the ServerHello */
    o = obs_new();
    t = tls_new(&all_cbs, o);
    assert_non_null(t);
    assert_int_equal(tls_feed(t, TCP_TO_SERVER, t13[0].p, t13[0].n), t13[0].n);
    assert_int_equal(tls_feed(t, TCP_TO_SERVER, early, sizeof(early)), sizeof(early));
    assert_int_equal(tls_feed(t, TCP_TO_CLIENT, t13[1].p, t13[1].n), t13[1].n);
    tls_server_flight_get(t, &o->fl[0]);
    assert_flight(&o->fl[0], 1, 122, true, 4, 974, false);
    assert_int_equal(tls_feed(t, TCP_TO_SERVER, t13[2].p, t13[2].n), t13[2].n);
    tls_server_flight_get(t, &o->fl[0]);
    assert_flight(&o->fl[0], 1, 122, true, 4, 974, true);
    tls_free(t);
    obs_free(o);
}

/* GREASE values stay in the lists but not in JA3 (checked against
 * tshark's ja3_full on the same bytes). */
static void test_grease_ja3(void **state)
{
    struct obs *o;

    (void)state;
    o = four_ways(grease, NFL(grease), true);
    assert_string_equal(o->ch.ja3, GREASE_JA3);
    assert_int_equal(o->ch.ciphers.v[0], 0x0a0a);
    assert_int_equal(o->ch.ext_types.v[0], 0x1a1a);
    assert_int_equal(o->ch.ext_types.v[o->ch.ext_types.n - 1], 0x2a2a);
    assert_int_equal(o->ch.groups.v[0], 0x3a3a);
    assert_int_equal(o->ch.versions.n, 3);
    assert_int_equal(o->ch.versions.v[0], 0x5a5a);
    assert_int_equal(o->ch.versions.v[1], 0x0304);
    assert_string_equal(o->sni, "mx.example.test");
    assert_memory_equal(o->alpn, "\x04smtp", 5);
    /* JA4_r by hand from the vector (FoxIO's JA4.md): GREASE gone
     * everywhere, supported_versions' highest (1.3), SNI, 28 ciphers, 9
     * extensions, ALPN "smtp" as "sp"; ciphers and extensions sorted, SNI and
     * ALPN not in the extension list, signature algorithms as sent */
    assert_string_equal(o->ch.ja4_r,
                        "t13d2809sp_002f,0033,0035,0039,003c,003d,0067,006b,009c,009d,009e,"
                        "009f,00ff,c009,c00a,c013,c014,c023,c024,c027,c028,c02b,c02c,c02f,"
                        "c030,cca8,cca9,ccaa_000a,000b,000d,0016,0017,0023,002b_0403,0503,"
                        "0603,0807,0808,0809,080a,080b,0804,0805,0806,0401,0501,0601,0303,"
                        "0301,0302,0402,0502,0602");
    obs_free(o);
}

/* ---- hand-built cases ----------------------------------------------- */

/* rec appends a record of |type| holding |n| bytes at |p|. */
static void rec(struct dyn *out, uint8_t type, uint16_t version, const void *p, size_t n)
{
    dyn_u8(out, type);
    dyn_u16(out, version);
    dyn_u16(out, (unsigned)n);
    dyn_add(out, p, n);
}

/* hs appends a handshake message (header + body) to |out|, no record. */
static void hs(struct dyn *out, uint8_t type, const struct dyn *body)
{
    dyn_u8(out, type);
    dyn_u24(out, body->len);
    dyn_add(out, body->p, body->len);
}

/* hs_records frames the handshake bytes |m| into records of at most |max|. */
static void hs_records(struct dyn *out, const struct dyn *m, size_t max)
{
    for (size_t i = 0; i < m->len; i += max)
        rec(out, TLS_CT_HANDSHAKE, 0x0303, m->p + i, m->len - i < max ? m->len - i : max);
}

/* server_hello builds a TLS 1.2 ServerHello message with |cipher|. */
static void server_hello(struct dyn *out, uint16_t cipher)
{
    struct dyn b = {0};
    uint8_t rnd[32];

    memset(rnd, 0x11, sizeof(rnd));
    dyn_u16(&b, 0x0303);
    dyn_add(&b, rnd, 32);
    dyn_u8(&b, 0);
    dyn_u16(&b, cipher);
    dyn_u8(&b, 0);
    hs(out, TLS_HS_SERVER_HELLO, &b);
    dyn_free(&b);
}

static struct obs *feed_one(enum tcp_dir d, const struct dyn *bytes)
{
    struct tls_flight fl = {d, bytes->p, bytes->len};

    return four_ways(&fl, 1, false);
}

/* ske_case: a server flight ServerHello(|cipher|) + ServerKeyExchange(|ske|). */
static struct obs *ske_case(uint16_t cipher, const struct dyn *ske)
{
    struct dyn m = {0}, r = {0};
    struct obs *o;

    server_hello(&m, cipher);
    hs(&m, TLS_HS_SERVER_KEY_EXCHANGE, ske);
    hs_records(&r, &m, 16384);
    o = feed_one(TCP_TO_CLIENT, &r);
    dyn_free(&m);
    dyn_free(&r);
    return o;
}

static void test_ske_variants(void **state)
{
    struct dyn s = {0};
    struct obs *o;

    (void)state;
    /* DHE: leading zero bits of p are not counted (0x00 0x7f ff ff: 23 bits) */
    dyn_add(&s, "\x00\x04\x00\x7f\xff\xff" "\x00\x01\x02" "\x00\x01\x05" "\x04\x01\x00\x00", 16);
    o = ske_case(0x009e, &s);
    assert_int_equal(o->n_err, 0);
    assert_int_equal(o->kx.kind, TLS_KX_DHE);
    assert_int_equal(o->kx.bits, 23);
    obs_free(o);

    /* a 6144-bit prime is 0x0300 bytes long: its first byte is ECDHE's
     * named_curve tag, and the suite decides */
    s.len = 0;
    dyn_u16(&s, 768);
    dyn_u8(&s, 0xff);
    for (int i = 1; i < 768; i++)
        dyn_u8(&s, 0xab);
    dyn_add(&s, "\x00\x01\x02" "\x00\x01\x05", 6);
    o = ske_case(0x009e, &s);
    assert_int_equal(o->kx.kind, TLS_KX_DHE);
    assert_int_equal(o->kx.bits, 6144);
    obs_free(o);

    /* ECDHE secp384r1, x448 and secp521r1 by name */
    s.len = 0;
    dyn_add(&s, "\x03\x00\x18\x03\x04\x01\x02" "\x04\x03\x00\x01\x00", 12);
    o = ske_case(0xc030, &s);
    assert_int_equal(o->kx.kind, TLS_KX_ECDHE);
    assert_int_equal(o->kx.group, 24);
    assert_int_equal(o->kx.bits, 384);
    obs_free(o);
    s.len = 0;
    dyn_add(&s, "\x03\x00\x1e\x01\x09", 5);
    o = ske_case(0xcca8, &s);
    assert_int_equal(o->kx.bits, 448);
    obs_free(o);
    s.len = 0;
    dyn_add(&s, "\x03\x00\x19\x01\x09", 5);
    o = ske_case(0xc02c, &s);
    assert_int_equal(o->kx.bits, 521);
    obs_free(o);

    /* ECDHE with an explicit prime curve: the prime's bit length */
    s.len = 0;
    dyn_add(&s, "\x01\x03\x00\x7f\xff" "\x01\x01" "\x01\x02" "\x01\x04" "\x01\x05" "\x01\x01"
                "\x01\x04", 17);
    o = ske_case(0xc02b, &s);
    assert_int_equal(o->n_err, 0);
    assert_int_equal(o->kx.kind, TLS_KX_ECDHE);
    assert_int_equal(o->kx.group, 0);
    assert_int_equal(o->kx.bits, 15);
    obs_free(o);

    /* explicit char2, trinomial: the degree m */
    s.len = 0;
    dyn_add(&s, "\x02\x00\xa3\x01\x01\x07" "\x01\x01" "\x01\x02" "\x01\x04" "\x01\x05" "\x01\x02"
                "\x01\x04", 18);
    o = ske_case(0xc013, &s);
    assert_int_equal(o->kx.bits, 163);
    obs_free(o);

    /* ECDHE_PSK: the identity hint comes first */
    s.len = 0;
    dyn_add(&s, "\x00\x02hi\x03\x00\x17\x01\x04", 9);
    o = ske_case(0xc035, &s);
    assert_int_equal(o->kx.kind, TLS_KX_ECDHE);
    assert_int_equal(o->kx.bits, 256);
    obs_free(o);

    /* DHE_PSK */
    s.len = 0;
    dyn_add(&s, "\x00\x00" "\x00\x02\x01\x00" "\x00\x01\x02" "\x00\x01\x05", 12);
    o = ske_case(0x00aa, &s);
    assert_int_equal(o->kx.kind, TLS_KX_DHE);
    assert_int_equal(o->kx.bits, 9);
    obs_free(o);

    /* an unknown suite: tried as named curve, then as DH, else unknown */
    s.len = 0;
    dyn_add(&s, "\x03\x00\x17\x01\x04", 5);
    o = ske_case(0xfe00, &s);
    assert_int_equal(o->kx.kind, TLS_KX_ECDHE);
    assert_int_equal(o->kx.bits, 256);
    obs_free(o);
    s.len = 0;
    dyn_add(&s, "\x00\x02\x01\x00" "\x00\x01\x02" "\x00\x01\x05", 10);
    o = ske_case(0xfe00, &s);
    assert_int_equal(o->kx.kind, TLS_KX_DHE);
    assert_int_equal(o->kx.bits, 9);
    obs_free(o);
    s.len = 0;
    dyn_add(&s, "\x09\x09", 2);
    o = ske_case(0xfe00, &s);
    assert_int_equal(o->n_err, 0);
    assert_int_equal(o->n_kx, 1);
    assert_int_equal(o->kx.kind, TLS_KX_UNKNOWN);
    obs_free(o);

    /* RSA_EXPORT carries RSA parameters: not (EC)DH */
    s.len = 0;
    dyn_add(&s, "\x00\x02\x01\x00" "\x00\x01\x03" "\x00\x01\x05", 10);
    o = ske_case(0x0003, &s);
    assert_int_equal(o->kx.kind, TLS_KX_UNKNOWN);
    obs_free(o);

    /* the cipher suite table decides for the suites the old range list
     * missed: DHE_DSS_WITH_RC4_128_SHA (0x0066) and DHE_PSK_WITH_NULL_SHA
     * (0x002D) carry DH parameters, PSK_WITH_AES_128_CCM (0xC0A4) only a
     * hint, though these bytes would parse as DH */
    s.len = 0;
    dyn_add(&s, "\x00\x02\x01\x00" "\x00\x01\x02" "\x00\x01\x05", 10);
    o = ske_case(0x0066, &s);
    assert_int_equal(o->kx.kind, TLS_KX_DHE);
    assert_int_equal(o->kx.bits, 9);
    obs_free(o);
    o = ske_case(0xc0a4, &s);
    assert_int_equal(o->n_err, 0);
    assert_int_equal(o->kx.kind, TLS_KX_UNKNOWN);
    obs_free(o);
    s.len = 0;
    dyn_add(&s, "\x00\x00" "\x00\x02\x01\x00" "\x00\x01\x02" "\x00\x01\x05", 12);
    o = ske_case(0x002d, &s);
    assert_int_equal(o->kx.kind, TLS_KX_DHE);
    assert_int_equal(o->kx.bits, 9);
    obs_free(o);

    /* an ECDHE suite whose parameters do not parse */
    s.len = 0;
    dyn_add(&s, "\x03\x00\x17", 3);
    o = ske_case(0xc02f, &s);
    assert_int_equal(o->n_kx, 0);
    assert_int_equal(o->err[TCP_TO_CLIENT], TLS_ERR_MALFORMED);
    obs_free(o);
    s.len = 0;
    dyn_add(&s, "\x05\x00\x17\x01\x04", 5);   /* curve_type 5 */
    o = ske_case(0xc02f, &s);
    assert_int_equal(o->err[TCP_TO_CLIENT], TLS_ERR_MALFORMED);
    obs_free(o);
    s.len = 0;
    dyn_add(&s, "\x00\x01\x00" "\x00\x01\x02" "\x00\x01\x05", 9);   /* p = 0 */
    o = ske_case(0x0033, &s);
    assert_int_equal(o->err[TCP_TO_CLIENT], TLS_ERR_MALFORMED);
    obs_free(o);
    dyn_free(&s);
}

static void test_sslv2_hello(void **state)
{
    /* RFC 6101 E.1: 2-byte header (high bit, length 0x22), CLIENT-HELLO,
     * version 3.1, 9 bytes of cipher specs, no session id, 16-byte challenge */
    static const uint8_t v2[] = {
        0x80, 0x22, 0x01, 0x03, 0x01, 0x00, 0x09, 0x00, 0x00, 0x00, 0x10,
        0x00, 0x00, 0x35, 0x00, 0x00, 0x2f, 0x01, 0x00, 0x80,
        1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
    };
    struct tls_flight fl = {TCP_TO_SERVER, v2, sizeof(v2)};
    struct obs *o;

    (void)state;
    assert_true(tls_looks_like_record(v2, sizeof(v2)));
    o = four_ways(&fl, 1, false);
    assert_int_equal(o->n_err, 1);
    assert_int_equal(o->err[TCP_TO_SERVER], TLS_ERR_SSLV2);
    assert_int_equal(o->n_ch, 0);
    assert_true(o->done[0][0]);
    assert_false(o->done[0][1]);
    obs_free(o);
}

static void test_not_tls(void **state)
{
    static const char ehlo[] = "EHLO client.example.test\r\n";
    static const uint8_t badver[] = {0x16, 0x02, 0x00, 0x00, 0x01, 0x00};
    static const uint8_t badtype[] = {0x19, 0x03, 0x03, 0x00, 0x01, 0x00};
    static const uint8_t hibit[] = {0x80, 0x22, 0x04, 0x00, 0x02, 0x00};
    struct tls_flight fl = {TCP_TO_CLIENT, (const uint8_t *)ehlo, sizeof(ehlo) - 1};
    struct obs *o;

    (void)state;
    assert_false(tls_looks_like_record((const uint8_t *)ehlo, sizeof(ehlo) - 1));
    o = four_ways(&fl, 1, false);
    assert_int_equal(o->n_err, 1);
    assert_int_equal(o->err[TCP_TO_CLIENT], TLS_ERR_NOT_TLS);
    assert_true(o->done[0][1]);
    obs_free(o);

    fl.p = badver;
    fl.n = sizeof(badver);
    o = four_ways(&fl, 1, false);
    assert_int_equal(o->err[TCP_TO_CLIENT], TLS_ERR_NOT_TLS);
    obs_free(o);
    fl.p = badtype;
    fl.n = sizeof(badtype);
    o = four_ways(&fl, 1, false);
    assert_int_equal(o->err[TCP_TO_CLIENT], TLS_ERR_NOT_TLS);
    obs_free(o);
    fl.p = hibit;   /* an SSLv2 SERVER-HELLO is not a ClientHello */
    fl.n = sizeof(hibit);
    o = four_ways(&fl, 1, false);
    assert_int_equal(o->err[TCP_TO_CLIENT], TLS_ERR_NOT_TLS);
    obs_free(o);
}

static void test_record_length_bound(void **state)
{
    struct dyn r = {0};
    uint8_t *zeros = calloc(1, 16384 + 2049);
    struct obs *o;

    (void)state;
    assert_non_null(zeros);
    /* exactly 2^14 + 2048: accepted */
    rec(&r, TLS_CT_APPDATA, 0x0303, zeros, 16384 + 2048);
    rec(&r, TLS_CT_APPDATA, 0x0303, zeros, 0);
    o = run(&(struct tls_flight){TCP_TO_SERVER, r.p, r.len}, 1, M_WHOLE, 0, 0);
    assert_int_equal(o->n_err, 0);
    assert_int_equal(o->n_app[TCP_TO_SERVER], 1);
    obs_free(o);
    /* one more: record_too_long, from the header alone */
    r.len = 0;
    rec(&r, TLS_CT_HANDSHAKE, 0x0301, zeros, 16384 + 2049);
    o = feed_one(TCP_TO_SERVER, &(struct dyn){r.p, 5, 0});
    assert_int_equal(o->err[TCP_TO_SERVER], TLS_ERR_RECORD_TOO_LONG);
    obs_free(o);
    o = run(&(struct tls_flight){TCP_TO_SERVER, r.p, r.len}, 1, M_WHOLE, 0, 0);
    assert_int_equal(o->err[TCP_TO_SERVER], TLS_ERR_RECORD_TOO_LONG);
    obs_free(o);
    dyn_free(&r);
    free(zeros);
}

/* certificate_msg builds a Certificate message of body length |body_len|
 * holding |ncerts| fake certificates. */
static void certificate_msg(struct dyn *m, size_t body_len, size_t ncerts)
{
    size_t list = body_len - 3, each = list / ncerts - 3, last = list - (ncerts - 1) * (each + 3) - 3;

    dyn_u8(m, TLS_HS_CERTIFICATE);
    dyn_u24(m, body_len);
    dyn_u24(m, list);
    for (size_t i = 0; i < ncerts; i++) {
        size_t n = i + 1 == ncerts ? last : each;

        dyn_u24(m, n);
        dyn_u8(m, 0x30);
        for (size_t j = 1; j < n; j++)
            dyn_u8(m, (unsigned)(i + j));
    }
}

/* feed_all hands |r| (whole records) to |t| for direction |d|. */
static void feed_all(struct tls *t, enum tcp_dir d, const struct dyn *r)
{
    assert_int_equal(tls_feed(t, d, r->p, r->len), r->len);
}

static void test_hs_message_bounds(void **state)
{
    /* 600 KB: past the 256 KiB the parser used to stop at, as a certificate
     * with 10,000 names is */
    const size_t big = 600u * 1024u;
    struct dyn m = {0}, r = {0};
    struct obs *o;
    struct tls_flight fl[2];

    (void)state;
    /* a Certificate of |big| bytes over 38 records, with more certificates
     * than are kept */
    server_hello(&m, 0xc02f);
    certificate_msg(&m, big, 20);
    hs_records(&r, &m, 16384);
    fl[0] = (struct tls_flight){TCP_TO_CLIENT, r.p, r.len};
    o = run(fl, 1, M_WHOLE, 0, 0);
    assert_int_equal(o->n_err, 0);
    assert_int_equal(o->n_cert[TCP_TO_CLIENT], 1);
    assert_int_equal(o->cert[TCP_TO_CLIENT].n, TLS_MAX_CERTS);
    assert_int_equal(o->cert[TCP_TO_CLIENT].total, 20);
    assert_int_equal(o->cert[TCP_TO_CLIENT].len[0], (big - 3) / 20 - 3);
    obs_free(o);
    /* split at a few offsets: the same */
    for (size_t cut = 1; cut < r.len; cut += 40999) {
        struct obs *w = run(fl, 1, M_WHOLE, 0, 0);

        o = run(fl, 1, M_SPLIT, 0, cut);
        assert_same(w, o, 1);
        obs_free(o);
        obs_free(w);
    }
    /* truncated: no certificate and no error (the capture just ended) */
    for (size_t cut = 100; cut < r.len; cut += 150001) {
        o = run(fl, 1, M_PREFIX, 0, cut);
        assert_int_equal(o->n_cert[TCP_TO_CLIENT], 0);
        assert_int_equal(o->n_err, 0);
        obs_free(o);
    }
    /* the largest message the 24-bit length can say is taken too */
    m.len = r.len = 0;
    server_hello(&m, 0xc02f);
    certificate_msg(&m, TLS_MAX_HS_MSG, 3);
    hs_records(&r, &m, 16384);
    o = run(&(struct tls_flight){TCP_TO_CLIENT, r.p, r.len}, 1, M_WHOLE, 0, 0);
    assert_int_equal(o->n_err, 0);
    assert_int_equal(o->cert[TCP_TO_CLIENT].total, 3);
    obs_free(o);
    dyn_free(&m);
    dyn_free(&r);
}

/* The buffer of a message spanning records grows as its bytes arrive and is
 * drawn from the memory budget: an announced 16 MB costs nothing, a budget
 * that runs out stops that direction with hs_memcap (and nothing else), and
 * every byte drawn is given back. */
static void test_hs_message_memcap(void **state)
{
    struct tcp_memcap mc = {.limit = 1024u * 1024u};
    struct dyn r = {0}, more = {0}, m = {0};
    uint8_t chunk[16000];
    enum { FLOOD = 200 };
    struct tls *t, *flood[FLOOD];
    struct obs *o = obs_new(), *fo[FLOOD];
    size_t refused = 0;

    (void)state;
    memset(chunk, 0x5a, sizeof(chunk));
    /* a header announcing 2^24 - 1 bytes allocates nothing */
    t = tls_new(&all_cbs, o);
    assert_non_null(t);
    tls_set_memcap(t, &mc);
    rec(&r, TLS_CT_HANDSHAKE, 0x0303, "\x0b\xff\xff\xff", 4);
    feed_all(t, TCP_TO_CLIENT, &r);
    assert_int_equal(mc.used, 0);
    assert_int_equal(o->n_err, 0);
    /* ... and then grows with what comes, doubling from 4 KiB */
    rec(&more, TLS_CT_HANDSHAKE, 0x0303, chunk, 100);
    feed_all(t, TCP_TO_CLIENT, &more);
    assert_int_equal(mc.used, 4096);
    more.len = 0;
    rec(&more, TLS_CT_HANDSHAKE, 0x0303, chunk, sizeof(chunk));
    feed_all(t, TCP_TO_CLIENT, &more);
    assert_int_equal(mc.used, 16384);
    tls_free(t);
    assert_int_equal(mc.used, 0);
    assert_int_equal(o->n_err, 0);
    obs_free(o);

    /* a budget smaller than the message: hs_memcap, the budget given back */
    mc.limit = 64u * 1024u;
    server_hello(&m, 0xc02f);
    certificate_msg(&m, 300u * 1024u, 4);
    r.len = 0;
    hs_records(&r, &m, 16384);
    o = obs_new();
    t = tls_new(&all_cbs, o);
    tls_set_memcap(t, &mc);
    feed_all(t, TCP_TO_CLIENT, &r);
    assert_int_equal(o->n_err, 1);
    assert_int_equal(o->err[TCP_TO_CLIENT], TLS_ERR_HS_MEMCAP);
    assert_int_equal(o->n_cert[TCP_TO_CLIENT], 0);
    assert_int_equal(o->n_sh, 1);
    assert_int_equal(mc.used, 0);
    assert_true(mc.refusals >= 1);
    tls_free(t);
    obs_free(o);

    /* a flood: FLOOD sessions each announce 16 MB and send 16000 bytes of
     * it, within 1 MiB: the budget is never passed, those it cannot hold
     * stop with hs_memcap, the others keep going */
    mc = (struct tcp_memcap){.limit = 1024u * 1024u};
    for (int i = 0; i < FLOOD; i++) {
        fo[i] = obs_new();
        flood[i] = tls_new(&all_cbs, fo[i]);
        assert_non_null(flood[i]);
        tls_set_memcap(flood[i], &mc);
    }
    r.len = 0;
    rec(&r, TLS_CT_HANDSHAKE, 0x0303, "\x0b\xff\xff\xff", 4);
    rec(&r, TLS_CT_HANDSHAKE, 0x0303, chunk, sizeof(chunk));
    for (int i = 0; i < FLOOD; i++) {
        feed_all(flood[i], TCP_TO_CLIENT, &r);
        assert_true(mc.used <= mc.limit);
        if (fo[i]->n_err > 0) {
            assert_int_equal(fo[i]->err[TCP_TO_CLIENT], TLS_ERR_HS_MEMCAP);
            refused++;
        }
    }
    assert_int_equal(refused, FLOOD - 1024u * 1024u / 16384u);
    assert_int_equal(mc.used, 1024u * 1024u);
    for (int i = 0; i < FLOOD; i++) {
        tls_free(flood[i]);
        obs_free(fo[i]);
    }
    assert_int_equal(mc.used, 0);
    dyn_free(&m);
    dyn_free(&r);
    dyn_free(&more);
}

/* Several handshake records with an alert between two fragments of one
 * message (legal in TLS <= 1.2), and a CCS there (never legal). */
static void test_interleaved(void **state)
{
    const struct tls_flight *sf = &t12[1];
    struct dyn r = {0};
    struct obs *o;
    uint32_t shlen = 0;
    struct cbs c, sh = {NULL, 0};
    uint8_t type = 0;

    (void)state;
    /* the ServerHello record of t12: header, then the message */
    cbs_init(&c, sf->p + 5, sf->n - 5);
    assert_true(cbs_get_u8(&c, &type) && cbs_get_u24(&c, &shlen));
    cbs_init(&c, sf->p + 5, 4 + shlen);
    assert_true(cbs_get_bytes(&c, &sh, 4 + shlen));
    rec(&r, TLS_CT_HANDSHAKE, 0x0303, cbs_data(&sh), 10);
    rec(&r, TLS_CT_ALERT, 0x0303, "\x01\x70", 2);
    rec(&r, TLS_CT_HANDSHAKE, 0x0303, cbs_data(&sh) + 10, cbs_len(&sh) - 10);
    o = feed_one(TCP_TO_CLIENT, &r);
    assert_int_equal(o->n_err, 0);
    assert_int_equal(o->nalerts, 1);
    assert_int_equal(o->alerts[0].desc, 112);
    assert_int_equal(o->n_sh, 1);
    assert_string_equal(o->sh.ja3s, T12_JA3S);
    assert_true(strstr((const char *)o->tx.p, "alert 1 112\ns hs 2") != NULL);
    obs_free(o);

    r.len = 0;
    rec(&r, TLS_CT_HANDSHAKE, 0x0303, cbs_data(&sh), 10);
    rec(&r, TLS_CT_CCS, 0x0303, "\x01", 1);
    rec(&r, TLS_CT_HANDSHAKE, 0x0303, cbs_data(&sh) + 10, cbs_len(&sh) - 10);
    o = feed_one(TCP_TO_CLIENT, &r);
    assert_int_equal(o->err[TCP_TO_CLIENT], TLS_ERR_MALFORMED);
    assert_int_equal(o->n_sh, 0);
    assert_int_equal(o->n_ccs[1], 0);
    obs_free(o);

    /* a record that ends right after a message header, the body in the
     * next ones (found by the fuzzer: the empty body buffer was offset) */
    r.len = 0;
    rec(&r, TLS_CT_HANDSHAKE, 0x0303, "\x50\x00\x00\x03", 4);
    rec(&r, TLS_CT_HANDSHAKE, 0x0303, "\xaa", 1);
    rec(&r, TLS_CT_HANDSHAKE, 0x0303, "\xbb\xcc\x0e\x00", 4);
    rec(&r, TLS_CT_HANDSHAKE, 0x0303, "\x00\x00", 2);
    o = feed_one(TCP_TO_CLIENT, &r);
    assert_int_equal(o->n_err, 0);
    assert_string_equal((const char *)o->tx.p, "s hs 80 3\ns hs 14 0\n");
    obs_free(o);

    /* heartbeat and zero-length records are framed and ignored; a CCS
     * with the wrong content is malformed */
    r.len = 0;
    rec(&r, TLS_CT_HEARTBEAT, 0x0303, "\x01\x00\x00", 3);
    rec(&r, TLS_CT_HANDSHAKE, 0x0303, "", 0);
    rec(&r, TLS_CT_ALERT, 0x0303, "", 0);
    rec(&r, TLS_CT_CCS, 0x0303, "\x02", 1);
    o = feed_one(TCP_TO_CLIENT, &r);
    assert_int_equal(o->ncb, 1);
    assert_int_equal(o->err[TCP_TO_CLIENT], TLS_ERR_MALFORMED);
    obs_free(o);
    /* an alert record of odd length */
    r.len = 0;
    rec(&r, TLS_CT_ALERT, 0x0303, "\x02\x28\x02", 3);
    o = feed_one(TCP_TO_CLIENT, &r);
    assert_int_equal(o->nalerts, 1);
    assert_int_equal(o->err[TCP_TO_CLIENT], TLS_ERR_MALFORMED);
    obs_free(o);
    dyn_free(&r);
}

/* After the ServerHello chose 1.3: a 2-byte alert is in clear (a client
 * that cannot process the ServerHello has no keys), a longer one is not. */
static void test_tls13_alerts(void **state)
{
    struct dyn r = {0};
    struct tls_flight fl[3];
    uint8_t enc[19] = {0};
    struct obs *o;

    (void)state;
    rec(&r, TLS_CT_ALERT, 0x0303, "\x02\x2f", 2);
    rec(&r, TLS_CT_ALERT, 0x0303, enc, sizeof(enc));
    rec(&r, TLS_CT_HANDSHAKE, 0x0303, enc, sizeof(enc));
    fl[0] = t13[0];
    fl[1] = t13[1];
    fl[2] = (struct tls_flight){TCP_TO_SERVER, r.p, r.len};
    o = four_ways(fl, 3, true);
    assert_int_equal(o->nalerts, 2);
    assert_int_equal(o->alerts[0].level, 2);
    assert_int_equal(o->alerts[0].desc, 47);
    assert_false(o->alerts[0].enc);
    assert_true(o->alerts[1].enc);
    assert_true(o->hs[TCP_TO_SERVER][o->nhs[TCP_TO_SERVER] - 1].enc);
    obs_free(o);
    dyn_free(&r);
}

/* TLS 1.2 after CCS: encrypted alerts, encrypted handshake (one report per
 * record), and the CCS of a renegotiation, which is encrypted too. */
static void test_tls12_encrypted_records(void **state)
{
    struct dyn r = {0};
    uint8_t enc[40];
    struct tls_flight fl[4];
    struct obs *o;

    (void)state;
    memset(enc, 0x5a, sizeof(enc));
    rec(&r, TLS_CT_HANDSHAKE, 0x0303, enc, sizeof(enc));
    rec(&r, TLS_CT_HANDSHAKE, 0x0303, enc, sizeof(enc));
    rec(&r, TLS_CT_CCS, 0x0303, enc, sizeof(enc));
    rec(&r, TLS_CT_ALERT, 0x0303, enc, 26);
    memcpy(fl, t12, 3 * sizeof(fl[0]));
    fl[3] = (struct tls_flight){TCP_TO_SERVER, r.p, r.len};
    o = four_ways(fl, 4, true);
    assert_int_equal(o->n_ccs[TCP_TO_SERVER], 2);
    assert_int_equal(o->nalerts, 1);
    assert_true(o->alerts[0].enc);
    assert_int_equal(o->nhs[TCP_TO_SERVER], 5);   /* CH, CKE, Finished, 2 more */
    obs_free(o);
    dyn_free(&r);
}

/* ClientHello edge cases. */
/* prints_later: the ClientHello is taken or refused as always, its SNI,
 * versions and ALPN read, but no list, JA3 or JA4_r built; from the body it
 * hands over, tls_client_hello_parse gives what the whole reading gives.
 * Every captured hello, fed whole, split everywhere, byte by byte, cut. */
static void test_prints_later(void **state)
{
    static const struct {
        const struct tls_flight *fl;
        size_t n;
    } v[] = {
        {t12, NFL(t12)}, {t12_frag1, NFL(t12_frag1)}, {dhe, NFL(dhe)}, {t13, NFL(t13)},
        {hrr, NFL(hrr)}, {mtls12, NFL(mtls12)}, {mtls10, NFL(mtls10)}, {grease, NFL(grease)},
        {hsfail, NFL(hsfail)},
    };
    static struct tls_client_hello ch;

    (void)state;
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        struct obs *w = run(v[i].fl, v[i].n, M_WHOLE, 0, 0), *o;

        prints_later = true;
        o = four_ways(v[i].fl, v[i].n, true);
        prints_later = false;
        assert_int_equal(o->n_ch, w->n_ch);
        assert_true(o->n_ch > 0);
        assert_string_equal(o->ch.ja3, "");
        assert_string_equal(o->ch.ja4_r, "");
        assert_int_equal(o->ch.ciphers.total, 0);
        assert_int_equal(o->ch.ext_types.total, 0);
        assert_string_equal(o->sni, w->sni);
        assert_int_equal(fnv_list(&o->ch.versions), fnv_list(&w->ch.versions));
        assert_int_equal(o->alpn_len, w->alpn_len);
        assert_int_equal(o->ch.ech, w->ch.ech);
        assert_int_equal(o->n_err, w->n_err);
        assert_int_equal(o->n_sh, w->n_sh);
        assert_int_equal(o->body_len, w->body_len);
        assert_memory_equal(o->body, w->body, w->body_len);

        assert_true(tls_client_hello_parse(o->body, o->body_len, o->ch.record_version, false, &ch));
        assert_string_equal(ch.ja3, w->ch.ja3);
        assert_string_equal(ch.ja4_r, w->ch.ja4_r);
        assert_int_equal(ch.ciphers.total, 0);
        assert_true(tls_client_hello_parse(o->body, o->body_len, o->ch.record_version, true, &ch));
        assert_string_equal(ch.ja3, w->ch.ja3);
        assert_string_equal(ch.ja4_r, w->ch.ja4_r);
        assert_true(ch.ja3[0] != '\0');
        assert_int_equal(fnv_list(&ch.ciphers), fnv_list(&w->ch.ciphers));
        assert_int_equal(fnv_list(&ch.ext_types), fnv_list(&w->ch.ext_types));
        assert_int_equal(fnv_list(&ch.groups), fnv_list(&w->ch.groups));
        assert_int_equal(fnv_list(&ch.sig_algs), fnv_list(&w->ch.sig_algs));
        assert_int_equal(ch.legacy_version, w->ch.legacy_version);
        /* the prints remembered (tls.c's hello memo) are those of a whole
         * reading, for the same body and for every body one bit away from
         * it, whether that bit is in a byte the prints depend on or not */
        assert_true(tls_client_hello_parse(o->body, o->body_len, o->ch.record_version, false, &ch));
        assert_string_equal(ch.ja3, w->ch.ja3);
        assert_string_equal(ch.ja4_r, w->ch.ja4_r);
        for (size_t k = 0; k < o->body_len; k++) {
            static struct tls_client_hello whole;
            bool a, b;

            o->body[k] ^= 0x01;
            a = tls_client_hello_parse(o->body, o->body_len, o->ch.record_version, false, &ch);
            b = tls_client_hello_parse(o->body, o->body_len, o->ch.record_version, true, &whole);
            assert_int_equal(a, b);
            if (a) {
                assert_string_equal(ch.ja3, whole.ja3);
                assert_string_equal(ch.ja4_r, whole.ja4_r);
                assert_string_equal(cbs_len(&ch.sni) ? "sni" : "", cbs_len(&whole.sni) ? "sni" : "");
            }
            /* and again, now that it may be remembered */
            assert_int_equal(tls_client_hello_parse(o->body, o->body_len, o->ch.record_version,
                                                    false, &ch), b);
            if (b) {
                assert_string_equal(ch.ja3, whole.ja3);
                assert_string_equal(ch.ja4_r, whole.ja4_r);
            }
            o->body[k] ^= 0x01;
        }
        /* cut short, or one byte more: no hello */
        assert_false(tls_client_hello_parse(o->body, o->body_len - 1, o->ch.record_version, true, &ch));
        o->body[o->body_len] = 0;
        assert_false(tls_client_hello_parse(o->body, o->body_len + 1, o->ch.record_version, false, &ch));
        obs_free(o);
        obs_free(w);
    }
    assert_false(tls_client_hello_parse(NULL, 0, 0x0303, true, &ch));
}

static void test_client_hello_variants(void **state)
{
    struct dyn b = {0}, m = {0}, r = {0}, e = {0}, x = {0};
    uint8_t rnd[32] = {0};
    struct obs *o;

    (void)state;
    /* SSLv3 style: no extensions at all */
    dyn_u16(&b, 0x0300);
    dyn_add(&b, rnd, 32);
    dyn_u8(&b, 0);
    dyn_add(&b, "\x00\x04\x00\x2f\x0a\x0a\x01\x00", 8);
    hs(&m, TLS_HS_CLIENT_HELLO, &b);
    hs_records(&r, &m, 16384);
    o = feed_one(TCP_TO_SERVER, &r);
    assert_int_equal(o->n_err, 0);
    assert_false(o->ch.has_extensions);
    assert_string_equal(o->ch.ja3, "768,47,,,");
    /* JA4: SSL 3.0, no SNI, one cipher (GREASE not counted), no extensions,
     * no ALPN; an empty extension list and no signature algorithms */
    assert_string_equal(o->ch.ja4_r, "ts3i010000_002f_");
    assert_int_equal(o->sni[0], '\0');
    obs_free(o);

    /* with a trailing byte after the compressions: malformed */
    dyn_u8(&b, 0);
    m.len = r.len = 0;
    hs(&m, TLS_HS_CLIENT_HELLO, &b);
    hs_records(&r, &m, 16384);
    o = feed_one(TCP_TO_SERVER, &r);
    assert_int_equal(o->err[TCP_TO_SERVER], TLS_ERR_MALFORMED);
    assert_int_equal(o->n_ch, 0);
    obs_free(o);

    /* JA4's ALPN characters (JA4.md): first and last of the first name if
     * both are alphanumeric, else the first and last hex digit of its bytes */
    {
        static const struct {
            const char *name;
            size_t len;
            const char *want;
        } alpn[] = {
            {"h2", 2, "t12i0101h2_002f_"},
            {"http/1.1", 8, "t12i0101h1_002f_"},
            {"a", 1, "t12i0101aa_002f_"},
            {"\xab", 1, "t12i0101ab_002f_"},
            {"\xab\xcd", 2, "t12i0101ad_002f_"},
            {"0\xab", 2, "t12i0101" "3b_002f_"},
            {"01\xab\xcd", 4, "t12i0101" "3d_002f_"},
            {"0\xab\xcd" "1", 4, "t12i0101" "01_002f_"},
        };

        for (size_t i = 0; i < sizeof(alpn) / sizeof(alpn[0]); i++) {
            b.len = m.len = r.len = 0;
            dyn_u16(&b, 0x0303);
            dyn_add(&b, rnd, 32);
            dyn_add(&b, "\x00\x00\x02\x00\x2f\x01\x00", 7);
            dyn_u16(&b, (unsigned)(4 + 3 + alpn[i].len));  /* extensions */
            dyn_u16(&b, 0x0010);
            dyn_u16(&b, (unsigned)(3 + alpn[i].len));
            dyn_u16(&b, (unsigned)(1 + alpn[i].len));
            dyn_u8(&b, (uint8_t)alpn[i].len);
            dyn_add(&b, alpn[i].name, alpn[i].len);
            hs(&m, TLS_HS_CLIENT_HELLO, &b);
            hs_records(&r, &m, 16384);
            o = feed_one(TCP_TO_SERVER, &r);
            assert_int_equal(o->n_err, 0);
            assert_string_equal(o->ch.ja4_r, alpn[i].want);
            obs_free(o);
        }
        b.len = m.len = r.len = 0;
    }

    /* 10000 cipher suites over two records, 200 extensions, an SNI list
     * whose first entry is not a host name, ECH */
    b.len = 0;
    dyn_u16(&b, 0x0303);
    dyn_add(&b, rnd, 32);
    dyn_u8(&b, 32);
    dyn_add(&b, rnd, 32);
    dyn_u16(&b, 20000);
    for (unsigned i = 0; i < 10000; i++)
        dyn_u16(&b, i % 7 == 0 ? 0x7a7a : 0xc000 + i % 300);
    dyn_add(&b, "\x01\x00", 2);
    for (unsigned i = 0; i < 200; i++) {
        dyn_u16(&e, 1000 + i);
        dyn_u16(&e, 0);
    }
    dyn_add(&x, "\x00\x14\x05\x00\x03xyz\x00\x00\x0bmail.a.test", 22);
    dyn_u16(&e, 0);
    dyn_u16(&e, (unsigned)x.len);
    dyn_add(&e, x.p, x.len);
    dyn_add(&e, "\xfe\x0d\x00\x01\x00", 5);
    dyn_u16(&b, (unsigned)e.len);
    dyn_add(&b, e.p, e.len);
    m.len = r.len = 0;
    hs(&m, TLS_HS_CLIENT_HELLO, &b);
    hs_records(&r, &m, 16384);
    o = feed_one(TCP_TO_SERVER, &r);
    assert_int_equal(o->n_err, 0);
    assert_int_equal(o->ch.ciphers.n, TLS_MAX_LIST);
    assert_int_equal(o->ch.ciphers.total, 10000);
    assert_int_equal(o->ch.ext_types.n, TLS_MAX_LIST);
    assert_int_equal(o->ch.ext_types.total, 202);
    assert_string_equal(o->sni, "mail.a.test");
    assert_true(o->ch.ech);
    assert_int_equal(o->sid_len, 32);
    assert_true(strlen(o->ch.ja3) == sizeof(o->ch.ja3) - 1);   /* cut, bounded */
    assert_string_equal(o->ch.ja4_r, "");   /* too many ciphers to write whole: none */
    assert_true(strncmp(o->ch.ja3, "771,49153-49154-49155-49156-49157-49158-49160-", 46) == 0);
    obs_free(o);

    /* an extension whose length runs past the block: malformed */
    r.len = 0;
    b.len = 0;
    dyn_u16(&b, 0x0303);
    dyn_add(&b, rnd, 32);
    dyn_add(&b, "\x00\x00\x02\x00\x2f\x01\x00" "\x00\x06" "\x00\x0a\x00\x04\x00\x02", 15);
    m.len = 0;
    hs(&m, TLS_HS_CLIENT_HELLO, &b);
    hs_records(&r, &m, 16384);
    o = feed_one(TCP_TO_SERVER, &r);
    assert_int_equal(o->err[TCP_TO_SERVER], TLS_ERR_MALFORMED);
    obs_free(o);

    /* supported_groups of odd length: malformed */
    r.len = 0;
    b.len = 0;
    dyn_u16(&b, 0x0303);
    dyn_add(&b, rnd, 32);
    dyn_add(&b, "\x00\x00\x02\x00\x2f\x01\x00" "\x00\x07" "\x00\x0a\x00\x03\x00\x01\x17", 16);
    m.len = 0;
    hs(&m, TLS_HS_CLIENT_HELLO, &b);
    hs_records(&r, &m, 16384);
    o = feed_one(TCP_TO_SERVER, &r);
    assert_int_equal(o->err[TCP_TO_SERVER], TLS_ERR_MALFORMED);
    obs_free(o);
    dyn_free(&b);
    dyn_free(&m);
    dyn_free(&r);
    dyn_free(&e);
    dyn_free(&x);
}

/* Messages from the wrong side are reported by type only. */
static void test_wrong_side(void **state)
{
    struct obs *o;
    struct tls_flight fl = t12[0];

    (void)state;
    fl.dir = TCP_TO_CLIENT;   /* a ClientHello from the server */
    o = four_ways(&fl, 1, true);
    assert_int_equal(o->n_ch, 0);
    assert_int_equal(o->nhs[TCP_TO_CLIENT], 1);
    assert_int_equal(o->hs[TCP_TO_CLIENT][0].type, TLS_HS_CLIENT_HELLO);
    obs_free(o);
}

/* One-sided captures (asymmetric routing): a client that offered 1.3 and
 * got 1.2, whose CCS must still count, and a server alone. */
static void test_one_sided(void **state)
{
    static const int client_hs[] = {1, 16, -1};
    static const int server_hs[] = {2, 11, 12, 14, 4, -1};
    const struct tls_flight client[] = {grease[0], t12[2], t12[4]};
    const struct tls_flight server[] = {t12[1], t12[3], t12[5]};
    struct obs *o;

    (void)state;
    o = four_ways(client, NFL(client), true);
    assert_int_equal(o->ch.versions.v[1], 0x0304);
    assert_hs_types(o, TCP_TO_SERVER, client_hs, NFL(client_hs));
    assert_int_equal(o->nalerts, 1);
    assert_true(o->alerts[0].enc);
    assert_false(o->done[0][0]);
    assert_true(o->done[1][0]);
    obs_free(o);

    o = four_ways(server, NFL(server), true);
    assert_hs_types(o, TCP_TO_CLIENT, server_hs, NFL(server_hs));
    assert_int_equal(o->cert[TCP_TO_CLIENT].n, 2);
    assert_int_equal(o->kx.kind, TLS_KX_ECDHE);
    assert_false(o->done[0][1]);
    assert_true(o->done[1][1]);
    obs_free(o);
}

static void test_gap(void **state)
{
    struct obs *o = obs_new();
    struct tls *t = tls_new(&all_cbs, o);

    (void)state;
    assert_non_null(t);
    assert_int_equal(tls_feed(t, TCP_TO_SERVER, t12[0].p, t12[0].n), t12[0].n);
    /* half a server flight, then a gap: the partial message is dropped */
    assert_true(tls_feed(t, TCP_TO_CLIENT, t12[1].p, 200) < 200);
    assert_int_equal(o->n_sh, 1);
    tls_gap(t, TCP_TO_CLIENT);
    assert_true(tls_done(t, TCP_TO_CLIENT));
    assert_false(tls_done(t, TCP_TO_SERVER));
    assert_int_equal(o->err[TCP_TO_CLIENT], TLS_ERR_GAP);
    /* a stopped direction consumes and ignores everything */
    assert_int_equal(tls_feed(t, TCP_TO_CLIENT, t12[1].p, t12[1].n), t12[1].n);
    tls_gap(t, TCP_TO_CLIENT);
    assert_int_equal(o->n_err, 1);
    assert_int_equal(o->n_cert[1], 0);
    tls_free(t);
    obs_free(o);
}

static void test_api_edges(void **state)
{
    struct tls *t = tls_new(NULL, NULL);
    static const uint8_t ch3[] = {0x16, 0x03, 0x01};

    (void)state;
    assert_non_null(t);
    /* no callbacks at all: everything is parsed and nothing reported */
    for (size_t i = 0; i < NFL(t12); i++)
        assert_int_equal(tls_feed(t, t12[i].dir, t12[i].p, t12[i].n), t12[i].n);
    assert_true(tls_done(t, TCP_TO_SERVER));
    assert_int_equal(tls_feed(t, TCP_TO_SERVER, NULL, 0), 0);
    assert_int_equal(tls_feed(t, (enum tcp_dir)2, ch3, 3), 0);
    assert_int_equal(tls_feed(NULL, TCP_TO_SERVER, ch3, 3), 0);
    tls_gap(NULL, TCP_TO_SERVER);
    assert_true(tls_done(NULL, TCP_TO_SERVER));
    tls_free(t);
    tls_free(NULL);

    assert_true(tls_looks_like_record(ch3, 3));
    assert_false(tls_looks_like_record(ch3, 2));
    assert_false(tls_looks_like_record(NULL, 0));
    assert_true(tls_looks_like_record((const uint8_t *)"\x17\x03\x03", 3));
    assert_false(tls_looks_like_record((const uint8_t *)"\x13\x03\x03", 3));
    assert_false(tls_looks_like_record((const uint8_t *)"\x19\x03\x03", 3));
    assert_false(tls_looks_like_record((const uint8_t *)"\x16\x02\x00", 3));
    assert_false(tls_looks_like_record((const uint8_t *)"220", 3));
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(tls_error_name(TLS_ERR_NONE), "none");
    assert_string_equal(tls_error_name(TLS_ERR_NOT_TLS), "not_tls");
    assert_string_equal(tls_error_name(TLS_ERR_RECORD_TOO_LONG), "record_too_long");
    assert_string_equal(tls_error_name(TLS_ERR_MALFORMED), "malformed");
    assert_string_equal(tls_error_name(TLS_ERR_HS_MEMCAP), "hs_memcap");
    assert_string_equal(tls_error_name(TLS_ERR_SSLV2), "sslv2");
    assert_string_equal(tls_error_name(TLS_ERR_GAP), "gap");
    assert_string_equal(tls_error_name(TLS_ERR_COUNT), "unknown");
    for (int e = 0; e < TLS_ERR_COUNT; e++)
        assert_non_null(tls_error_name((enum tls_error)e));

    assert_string_equal(tls_version_name(0x0300), "SSLv3");
    assert_string_equal(tls_version_name(0x0301), "1.0");
    assert_string_equal(tls_version_name(0x0302), "1.1");
    assert_string_equal(tls_version_name(0x0303), "1.2");
    assert_string_equal(tls_version_name(0x0304), "1.3");
    assert_string_equal(tls_version_name(0x7f1c), "0x7F1C");
    assert_string_equal(tls_version_name(0x0a0a), "0x0A0A");

    assert_string_equal(tls_alert_name(0), "close_notify");
    assert_string_equal(tls_alert_name(10), "unexpected_message");
    assert_string_equal(tls_alert_name(20), "bad_record_mac");
    assert_string_equal(tls_alert_name(22), "record_overflow");
    assert_string_equal(tls_alert_name(40), "handshake_failure");
    assert_string_equal(tls_alert_name(42), "bad_certificate");
    assert_string_equal(tls_alert_name(45), "certificate_expired");
    assert_string_equal(tls_alert_name(46), "certificate_unknown");
    assert_string_equal(tls_alert_name(47), "illegal_parameter");
    assert_string_equal(tls_alert_name(48), "unknown_ca");
    assert_string_equal(tls_alert_name(50), "decode_error");
    assert_string_equal(tls_alert_name(51), "decrypt_error");
    assert_string_equal(tls_alert_name(70), "protocol_version");
    assert_string_equal(tls_alert_name(71), "insufficient_security");
    assert_string_equal(tls_alert_name(80), "internal_error");
    assert_string_equal(tls_alert_name(86), "inappropriate_fallback");
    assert_string_equal(tls_alert_name(90), "user_canceled");
    assert_string_equal(tls_alert_name(100), "no_renegotiation");
    assert_string_equal(tls_alert_name(109), "missing_extension");
    assert_string_equal(tls_alert_name(110), "unsupported_extension");
    assert_string_equal(tls_alert_name(112), "unrecognized_name");
    assert_string_equal(tls_alert_name(115), "unknown_psk_identity");
    assert_string_equal(tls_alert_name(116), "certificate_required");
    assert_string_equal(tls_alert_name(120), "no_application_protocol");
    assert_null(tls_alert_name(1));
    assert_null(tls_alert_name(255));

    /* alert levels: the two RFC 5246 defines, and every other one by its
     * number, all distinct */
    assert_string_equal(tls_alert_level_name(1), "warning");
    assert_string_equal(tls_alert_level_name(2), "fatal");
    assert_string_equal(tls_alert_level_name(0), "level-0");
    assert_string_equal(tls_alert_level_name(7), "level-7");
    assert_string_equal(tls_alert_level_name(255), "level-255");
    for (unsigned l = 0; l <= 255; l++) {
        char want[16];

        if (l == 1 || l == 2)
            continue;
        snprintf(want, sizeof(want), "level-%u", l);
        assert_string_equal(tls_alert_level_name((uint8_t)l), want);
    }

    assert_string_equal(tls_hs_name(TLS_HS_CLIENT_HELLO), "client_hello");
    assert_string_equal(tls_hs_name(TLS_HS_SERVER_HELLO), "server_hello");
    assert_string_equal(tls_hs_name(TLS_HS_CERTIFICATE), "certificate");
    assert_string_equal(tls_hs_name(TLS_HS_SERVER_KEY_EXCHANGE), "server_key_exchange");
    assert_string_equal(tls_hs_name(TLS_HS_CERTIFICATE_REQUEST), "certificate_request");
    assert_string_equal(tls_hs_name(TLS_HS_SERVER_HELLO_DONE), "server_hello_done");
    assert_string_equal(tls_hs_name(TLS_HS_CLIENT_KEY_EXCHANGE), "client_key_exchange");
    assert_string_equal(tls_hs_name(TLS_HS_FINISHED), "finished");
    assert_string_equal(tls_hs_name(TLS_HS_NEW_SESSION_TICKET), "new_session_ticket");
    assert_string_equal(tls_hs_name(TLS_HS_ENCRYPTED_EXTENSIONS), "encrypted_extensions");
    assert_string_equal(tls_hs_name(TLS_HS_CERTIFICATE_VERIFY), "certificate_verify");
    assert_string_equal(tls_hs_name(TLS_HS_CERTIFICATE_STATUS), "certificate_status");
    assert_string_equal(tls_hs_name(TLS_HS_HELLO_REQUEST), "hello_request");
    assert_string_equal(tls_hs_name(TLS_HS_END_OF_EARLY_DATA), "end_of_early_data");
    assert_string_equal(tls_hs_name(TLS_HS_KEY_UPDATE), "key_update");
    assert_null(tls_hs_name(0xff));
    assert_null(tls_hs_name(7));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tls12_full),
        cmocka_unit_test(test_tls12_reframed),
        cmocka_unit_test(test_tls12_dhe),
        cmocka_unit_test(test_tls13),
        cmocka_unit_test(test_tls13_hrr),
        cmocka_unit_test(test_mtls12),
        cmocka_unit_test(test_mtls10),
        cmocka_unit_test(test_mtls13_plaintext),
        cmocka_unit_test(test_alert_plain),
        cmocka_unit_test(test_resumption),
        cmocka_unit_test(test_grease_values),
        cmocka_unit_test(test_flight_tls12),
        cmocka_unit_test(test_flight_tls13),
        cmocka_unit_test(test_grease_ja3),
        cmocka_unit_test(test_ske_variants),
        cmocka_unit_test(test_sslv2_hello),
        cmocka_unit_test(test_not_tls),
        cmocka_unit_test(test_record_length_bound),
        cmocka_unit_test(test_hs_message_bounds),
        cmocka_unit_test(test_hs_message_memcap),
        cmocka_unit_test(test_interleaved),
        cmocka_unit_test(test_tls13_alerts),
        cmocka_unit_test(test_tls12_encrypted_records),
        cmocka_unit_test(test_client_hello_variants),
        cmocka_unit_test(test_prints_later),
        cmocka_unit_test(test_wrong_side),
        cmocka_unit_test(test_one_sided),
        cmocka_unit_test(test_gap),
        cmocka_unit_test(test_api_edges),
        cmocka_unit_test(test_names),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

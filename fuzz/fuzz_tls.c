/*
 * fuzz_tls.c - the TLS parser fed both directions as a reassembler would.
 *
 * The input is a list of operations:
 *   u8 op    bit 0: direction (0 = client's bytes, 1 = server's bytes)
 *            bits 1-2: 0, 1 = stream data; 2 = one decrypted record for
 *                      tls_feed_plaintext (then u8 content type); 3 = a gap
 *   u8 len   (data only) then |len| bytes (fewer if the input ends)
 * Each direction keeps what tls_feed did not consume and offers it again
 * with the next bytes, in an exact-size heap copy (ASan sees overreads), as
 * tcp_reasm does; a direction is fed on after tls_done() too, so the
 * encrypted states are exercised.
 *
 * Besides memory errors it checks the contract: a consumed count never
 * exceeds the offer and covers whole records (so what is left is shorter
 * than a record header plus the largest record); a stopped direction
 * consumes everything; on_error comes at most once per direction; lists and
 * certificate counts stay within their bounds; encrypted messages and
 * alerts carry no content; every slice handed to a callback is readable
 * (each byte is read).  Built with libFuzzer (make fuzz) or fuzz/replay.c.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dissect/tls.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_PENDING (64 * 1024)

struct fz {
    struct tls *t;
    uint8_t *pend[2];
    size_t plen[2];
    bool errored[2];
    volatile uint8_t sink;
};

static void check(bool ok)
{
    if (!ok)
        abort();
}

/* touch reads every byte of |c|: a slice into freed or foreign memory
 * shows up under ASan here rather than in the consumer. */
static void touch(struct fz *z, const struct cbs *c)
{
    uint8_t acc = 0;

    check(cbs_len(c) == 0 || cbs_data(c) != NULL);
    for (size_t i = 0; i < cbs_len(c); i++)
        acc ^= cbs_data(c)[i];
    z->sink ^= acc;
}

static void check_list(const struct tls_u16_list *l)
{
    check(l->n <= TLS_MAX_LIST);
    check(l->n <= l->total);
}

static void on_ch(void *user, const struct tls_client_hello *ch)
{
    struct fz *z = user;

    check(cbs_len(&ch->random) == 32);
    check(cbs_len(&ch->session_id) <= 32);
    touch(z, &ch->random);
    touch(z, &ch->session_id);
    touch(z, &ch->compressions);
    touch(z, &ch->sni);
    touch(z, &ch->ec_point_formats);
    touch(z, &ch->alpn);
    check_list(&ch->ciphers);
    check_list(&ch->ext_types);
    check_list(&ch->versions);
    check_list(&ch->groups);
    check_list(&ch->sig_algs);
    check(ch->ciphers.total > 0);
    check(memchr(ch->ja3, '\0', sizeof(ch->ja3)) != NULL);
    {
        /* the body read again, as the analysis thread reads a kept copy
         * (prints_later): the same prints, remembered or not (twice: the
         * second may come from tls.c's memo) */
        static struct tls_client_hello again;

        for (int k = 0; k < 2; k++) {
            check(tls_client_hello_parse(cbs_data(&ch->body), cbs_len(&ch->body),
                                         ch->record_version, k == 1, &again));
            check(strcmp(again.ja3, ch->ja3) == 0);
            check(strcmp(again.ja4_r, ch->ja4_r) == 0);
        }
        check(tls_client_hello_parse(cbs_data(&ch->body), cbs_len(&ch->body),
                                     ch->record_version, false, &again));
        check(strcmp(again.ja3, ch->ja3) == 0 && strcmp(again.ja4_r, ch->ja4_r) == 0);
    }
}

static void on_sh(void *user, const struct tls_server_hello *sh)
{
    struct fz *z = user;

    check(cbs_len(&sh->random) == 32);
    touch(z, &sh->random);
    touch(z, &sh->session_id);
    touch(z, &sh->alpn);
    check_list(&sh->ext_types);
    check(memchr(sh->ja3s, '\0', sizeof(sh->ja3s)) != NULL);
}

static void on_cert(void *user, enum tcp_dir from, const struct tls_certificate *c)
{
    struct fz *z = user;

    check(from == TCP_TO_SERVER || from == TCP_TO_CLIENT);
    check(c->n <= TLS_MAX_CERTS && c->n <= c->total);
    for (size_t i = 0; i < c->n; i++) {
        check(cbs_len(&c->certs[i]) > 0);
        touch(z, &c->certs[i]);
    }
    touch(z, &c->context);
}

static void on_cr(void *user, const struct tls_cert_request *cr)
{
    struct fz *z = user;

    touch(z, &cr->cert_types);
    check_list(&cr->sig_algs);
    check(cr->nca <= TLS_MAX_CERTS && cr->nca <= cr->total_ca);
    for (size_t i = 0; i < cr->nca; i++)
        touch(z, &cr->ca_names[i]);
}

static void on_kx(void *user, const struct tls_key_exchange *kx)
{
    (void)user;
    check(kx->kind == TLS_KX_UNKNOWN || kx->kind == TLS_KX_ECDHE || kx->kind == TLS_KX_DHE);
    check(kx->bits <= 65535 * 8);
}

static void on_hs(void *user, enum tcp_dir from, uint8_t type, uint32_t len, bool enc)
{
    (void)user;
    check(from == TCP_TO_SERVER || from == TCP_TO_CLIENT);
    check(len <= TLS_MAX_HS_MSG);
    if (enc)
        check(type == 0xff && len == 0);
}

static void on_alert(void *user, enum tcp_dir from, uint8_t level, uint8_t desc, bool enc)
{
    (void)user;
    check(from == TCP_TO_SERVER || from == TCP_TO_CLIENT);
    if (enc)
        check(level == 0 && desc == 0);
    (void)tls_alert_name(desc);
    check(tls_alert_level_name(level) != NULL);
}

static void on_dir(void *user, enum tcp_dir from)
{
    (void)user;
    check(from == TCP_TO_SERVER || from == TCP_TO_CLIENT);
}

static void on_err(void *user, enum tcp_dir from, enum tls_error e)
{
    struct fz *z = user;

    check(from == TCP_TO_SERVER || from == TCP_TO_CLIENT);
    check(e > TLS_ERR_NONE && e < TLS_ERR_COUNT);
    check(!z->errored[from]);
    z->errored[from] = true;
    check(tls_error_name(e) != NULL);
}

static void offer(struct fz *z, enum tcp_dir dir)
{
    size_t n = z->plen[dir], used;
    uint8_t *copy;

    copy = malloc(n ? n : 1);
    if (!copy)
        return;
    if (n)
        memcpy(copy, z->pend[dir], n);
    used = tls_feed(z->t, dir, n ? copy : NULL, n);
    free(copy);
    check(used <= n);
    if (z->errored[dir])
        check(used == n);
    /* whole records only: what is left is at most one record */
    check(n - used <= 5 + 16384 + 2048);
    memmove(z->pend[dir], z->pend[dir] + used, n - used);
    z->plen[dir] = n - used;
    if (z->errored[dir])
        check(tls_done(z->t, dir));
}

static void add(struct fz *z, enum tcp_dir dir, const uint8_t *p, size_t n)
{
    uint8_t *b;

    if (z->plen[dir] + n > MAX_PENDING)
        return;   /* depth reached: tcp_reasm would stop delivering */
    b = realloc(z->pend[dir], z->plen[dir] + n ? z->plen[dir] + n : 1);
    if (!b)
        return;
    z->pend[dir] = b;
    if (n)
        memcpy(b + z->plen[dir], p, n);
    z->plen[dir] += n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct tls_cbs cbs = {
        .on_client_hello = on_ch,
        .on_server_hello = on_sh,
        .on_certificate = on_cert,
        .on_cert_request = on_cr,
        .on_key_exchange = on_kx,
        .on_handshake = on_hs,
        .on_alert = on_alert,
        .on_ccs = on_dir,
        .on_appdata = on_dir,
        .on_error = on_err,
    };
    struct fz z = {0};
    struct cbs in;
    uint8_t op, len, type;

    z.t = tls_new(&cbs, &z);
    if (!z.t)
        return 0;
    cbs_init(&in, data, size);
    while (cbs_get_u8(&in, &op)) {
        enum tcp_dir dir = (op & 1) ? TCP_TO_CLIENT : TCP_TO_SERVER;
        unsigned kind = (op >> 1) & 3;
        struct cbs chunk;

        if (kind == 3) {
            /* tcp_reasm drops the bytes held before a gap */
            z.plen[dir] = 0;
            tls_gap(z.t, dir);
            check(tls_done(z.t, dir));
            continue;
        }
        if (kind == 2 && !cbs_get_u8(&in, &type))
            break;
        if (!cbs_get_u8(&in, &len))
            break;
        if (!cbs_get_bytes(&in, &chunk, len))
            chunk = in, cbs_skip(&in, cbs_len(&in));
        if (kind == 2) {
            uint8_t *copy = malloc(cbs_len(&chunk) ? cbs_len(&chunk) : 1);

            if (!copy)
                break;
            if (cbs_len(&chunk))
                memcpy(copy, cbs_data(&chunk), cbs_len(&chunk));
            check(tls_feed_plaintext(z.t, dir, type, cbs_len(&chunk) ? copy : NULL,
                                     cbs_len(&chunk)) == cbs_len(&chunk));
            free(copy);
            continue;
        }
        add(&z, dir, cbs_data(&chunk), cbs_len(&chunk));
        offer(&z, dir);
    }
    (void)tls_done(z.t, TCP_TO_SERVER);
    (void)tls_done(z.t, TCP_TO_CLIENT);
    tls_free(z.t);
    free(z.pend[0]);
    free(z.pend[1]);
    return 0;
}

/*
 * json_lines.c - JSON lines: one object per session as it ends, one per
 * server (when it leaves the server table, and at the end for the rest),
 * and the server table's counters when it had to evict or refuse.  Field
 * names follow the Elastic Common Schema where ECS has a field (README).
 *
 * Each distinct certificate's PEM is written once, in a
 * mxwitness.certificate line just before the first session line that
 * names it; session lines carry the chain's SHA-256s and the leaf's x509
 * fields (the habit of Zeek's x509.log and of Packetbeat without
 * include_raw_certificates), unless --json-chains asks for the PEM in
 * every line.  The certificates already written are remembered in a
 * table of CERT_SEEN_SLOTS digests; when it is CERT_SEEN_MAX full it is
 * emptied, so over months a certificate may be written again, after that
 * many others, and a consumer keeps the last line of each SHA-256.
 *
 * Every string goes through the JSON writer (report/json), which escapes
 * it: a hostile certificate cannot break the JSON a SIEM ingests.
 */
#include "report/writers.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyze/digest.h"
#include "analyze/findings.h"
#include "analyze/names.h"
#include "analyze/x509.h"
#include "lib/keyhash.h"
#include "lib/seen.h"
#include "lib/out.h"
#include "report/common.h"
#include "report/json.h"

/* The JSON of a certificate's x509 object, built once per certificate: a
 * server's chain repeats in every session's line, and escaping its names
 * again each time was a visible share of a run.  Direct-mapped by the
 * certificate's SHA-256; a slot is trusted only if the cache entry and the
 * digest both match (a cache entry freed and its memory reused for another
 * certificate has another digest). */
#define X509_MEMO 256
struct x509_memo {
    uintptr_t xi;                    /* the cache entry's address, only compared */
    uint8_t sha256[32];
    char *json;
    size_t len;
};

#define SEEN_SLOTS 65536              /* 2 MiB of digests, allocated at the first one */

/* The client fingerprint pairs met lately, each with the generation of
 * the prints seen-set it is known to be in: a session whose pair is here
 * is done with two string comparisons, where the pair's key (a keyed hash
 * of a kilobyte, four times) was a twentieth of the time of --json.  A
 * direct-mapped table indexed by a cheap sample of the strings (a
 * collision costs a miss: the strings are compared whole). */
#define FP_MEMO 256
#define FP_MEMO_LEN 2048             /* a longer pair is not remembered */

struct fp_memo {
    char *ja3, *ja4r;                /* NULL: empty */
    size_t n3, n4;
    uint64_t gen;
};

struct json_writer {
    FILE *out;
    const struct pipeline *pl;
    struct x509_memo *xmemo;         /* X509_MEMO slots, NULL until the first line */
    bool chains;                     /* --json-chains: the PEM chain in every session line */
    int worker;                      /* --workers: this process's number; -1: one process */
    struct seen_set *certs;          /* certificates written */
    struct seen_set *prints;         /* client fingerprints written (ja3 string, ja4_r) */
    bool own_sets;                   /* this writer's; else the workers' shared ones */
    uint64_t seed;                   /* keys the fingerprints' digests */
    struct fp_memo *fmemo;           /* FP_MEMO slots, NULL until the first pair */
};

static void json_strings(struct json *j, const char *key, char *const *v, size_t n)
{
    json_arr(j, key);
    for (size_t i = 0; i < n; i++)
        json_str(j, NULL, v[i]);
    json_arr_end(j);
}

/* An ECS x509 name: {"common_name": [...], "distinguished_name": "..."}. */
static void json_name(struct json *j, const char *key, char *const *cn, size_t ncn,
                      const char *dn)
{
    json_obj(j, key);
    json_strings(j, "common_name", cn, ncn);
    json_str(j, "distinguished_name", dn);
    json_obj_end(j);
}

/* json_x509 writes the ECS x509 object of |xi|; |brief| (a session line's
 * leaf, whose certificate line has the rest) only what a search needs:
 * subject, issuer, names, validity, serial and whether it signed itself. */
static void json_x509(struct json *j, const char *key, const struct x509_info *xi, bool brief)
{
    char a[40];

    json_obj(j, key);
    if (xi->parsed) {
        json_name(j, "subject", xi->subject_cn, xi->nsubject_cn, xi->subject);
        json_name(j, "issuer", xi->issuer_cn, xi->nissuer_cn, xi->issuer);
        json_strings(j, "alternative_names", xi->san, xi->nsan);
        json_ascii(j, "not_before", report_cert_time(xi->not_before, a, sizeof(a)));
        json_ascii(j, "not_after", report_cert_time(xi->not_after, a, sizeof(a)));
        if (!brief) {
            json_str(j, "public_key_algorithm", xi->key_alg);
            json_u64(j, "public_key_size", xi->key_bits > 0 ? (uint64_t)xi->key_bits : 0);
            if (xi->key_curve)
                json_str(j, "public_key_curve", xi->key_curve);
            json_str(j, "signature_algorithm", xi->sig_alg);
        }
        json_ascii(j, "serial_number", xi->serial_hex);
        if (!brief)
            json_u64(j, "version_number", (uint64_t)xi->version);
        json_bool(j, "self_signed", xi->self_signed);
    } else {
        json_str(j, "parse_error", xi->parse_error);
    }
    json_obj_end(j);
}

/* x509_json returns the memoised x509 object of |xi| (its length in
 * |*len|), building it on first use; NULL if memory ran out (the caller
 * writes it directly then). */
static const char *x509_json(struct json_writer *r, const struct x509_info *xi, bool brief,
                             size_t *len)
{
    struct x509_memo *m;
    uint64_t h;
    char *text = NULL;
    size_t n = 0;
    FILE *mf;
    struct json *j;

    if (!r->xmemo && (r->xmemo = calloc(2 * X509_MEMO, sizeof(*r->xmemo))) == NULL)
        return NULL;
    memcpy(&h, xi->sha256, sizeof(h));
    m = &r->xmemo[(h & (X509_MEMO - 1)) + (brief ? X509_MEMO : 0)];
    if (m->xi == (uintptr_t)xi && memcmp(m->sha256, xi->sha256, sizeof(m->sha256)) == 0) {
        *len = m->len;
        return m->json;
    }
    if ((j = malloc(sizeof(*j))) == NULL)
        return NULL;
    if ((mf = open_memstream(&text, &n)) == NULL) {
        free(j);
        return NULL;
    }
    json_init(j, mf);
    json_x509(j, NULL, xi, brief);
    json_flush(j);
    free(j);
    if (fclose(mf) != 0 || !text) {
        free(text);
        return NULL;
    }
    free(m->json);
    m->xi = (uintptr_t)xi;
    memcpy(m->sha256, xi->sha256, sizeof(m->sha256));
    m->json = text;
    m->len = n;
    *len = n;
    return text;
}

/* json_client_prints writes the client's JA3 and JA4 (with their raw
 * forms when |raw|) into the open tls.client object. */
static void json_client_prints(struct json *j, const struct session *s, char md5[33], bool raw)
{
    if (s->ja3) {
        x509_md5_hex((const uint8_t *)s->ja3, strlen(s->ja3), md5);
        json_ascii(j, "ja3", md5);
        if (raw)
            json_ascii(j, "ja3_string", s->ja3);
    }
    if (s->ja4_r) {
        char ja4[X509_JA4_LEN + 1];

        if (x509_ja4(s->ja4_r, ja4))
            json_ascii(j, "ja4", ja4);
        if (raw)
            json_ascii(j, "ja4_r", s->ja4_r);
    }
}

/* line_open starts a line of |dataset| at time |us|: the object, its
 * @timestamp, and its event object, left open for the caller's fields. */
static void line_open(struct json *j, FILE *out, uint64_t us, const char *dataset)
{
    char t[40];

    json_init(j, out);
    json_obj(j, NULL);
    json_ascii(j, "@timestamp", out_time_rfc3339(us, t, sizeof(t)));
    json_obj(j, "event");
    json_ascii(j, "dataset", dataset);
}

/* once_open starts a line of |dataset| about something session |s| showed
 * first: its time and capture point. */
static void once_open(struct json_writer *r, struct json *j, const struct session *s,
                      const char *dataset)
{
    line_open(j, r->out, s->first_us, dataset);
    json_obj_end(j);
    json_obj(j, "observer");
    json_str(j, "name", pipeline_point(r->pl, s->input));
    json_obj_end(j);
}

/* json_fingerprint writes a mxwitness.fingerprint line for the client
 * fingerprint of |s| the first time it is seen: the JA3 and JA4 hashes
 * with their raw forms, which session lines leave out (500-odd bytes the
 * same in every session of one sending software). */
/* fp_remember keeps the pair in slot |m| (when there is one), as known to
 * be in seen-set generation |gen|. */
static void fp_remember(struct fp_memo *m, const char *ja3, size_t n3, const char *ja4r,
                        size_t n4, uint64_t gen)
{
    char *a, *b;

    if (m == NULL)
        return;
    if ((a = malloc(n3)) == NULL || (b = malloc(n4 + 1)) == NULL) {
        free(a);
        return;
    }
    memcpy(a, ja3, n3);
    memcpy(b, ja4r, n4);
    free(m->ja3);
    free(m->ja4r);
    m->ja3 = a;
    m->ja4r = b;
    m->n3 = n3;
    m->n4 = n4;
    m->gen = gen;
}

static void json_fingerprint(struct json_writer *r, const struct session *s)
{
    const char *ja3 = s->ja3 ? s->ja3 : "", *ja4r = s->ja4_r ? s->ja4_r : "";
    size_t n3 = strlen(ja3) + 1, n4 = strlen(ja4r);
    uint8_t key[32];
    char md5[33];
    struct json j;
    struct fp_memo *fm = NULL;
    uint64_t gen;
    bool dup;

    if (s->ja3 == NULL && s->ja4_r == NULL)
        return;
    gen = seen_gen(r->prints);
    if (r->fmemo == NULL)
        r->fmemo = calloc(FP_MEMO, sizeof(*r->fmemo));
    if (r->fmemo != NULL && n3 + n4 <= FP_MEMO_LEN) {
        /* the slot: the lengths and the strings' last bytes */
        uint8_t tail[40] = {0};
        size_t t3 = n3 < 16 ? n3 : 16, t4 = n4 < 16 ? n4 : 16;
        uint32_t l3 = (uint32_t)n3, l4 = (uint32_t)n4;

        memcpy(tail, &l3, sizeof(l3));
        memcpy(tail + 4, &l4, sizeof(l4));
        memcpy(tail + 8, ja3 + n3 - t3, t3);
        memcpy(tail + 24, ja4r + n4 - t4, t4);
        fm = &r->fmemo[keyhash(r->seed, tail, sizeof(tail)) % FP_MEMO];
        if (fm->ja3 != NULL && fm->n3 == n3 && fm->n4 == n4 && fm->gen == gen &&
            memcmp(fm->ja3, ja3, n3) == 0 && memcmp(fm->ja4r, ja4r, n4) == 0)
            return;
    }
    /* the pair's key: four lanes of the keyed hash (a SHA-256 per session
     * cost more than the rest of the line); the secret seed keeps a client
     * from making its pair collide with another's */
    for (unsigned l = 0; l < 4; l++) {
        uint64_t h = keyhash(r->seed + l * 0x9E3779B97F4A7C15u, (const uint8_t *)ja3, n3);

        h = keyhash(h, (const uint8_t *)ja4r, n4);
        memcpy(key + 8 * l, &h, sizeof(h));
    }
    dup = seen_add(r->prints, key);
    fp_remember(fm, ja3, n3, ja4r, n4, seen_gen(r->prints));
    if (dup)
        return;
    once_open(r, &j, s, "mxwitness.fingerprint");
    /* not under tls.client: a search there finds the sessions only */
    json_obj(&j, "mxwitness");
    json_obj(&j, "fingerprint");
    json_client_prints(&j, s, md5, true);
    json_u64(&j, "first_session_id", s->id);
    json_obj_end(&j);
    json_obj_end(&j);
    json_obj_end(&j);
    json_end(&j);
}

/* json_certificates writes a mxwitness.certificate line for each
 * certificate of |v| not written before: its x509 fields, SHA-256 and
 * PEM, and the session that first presented it. */
static void json_certificates(struct json_writer *r, const struct session *s, const char *side,
                              const struct x509_info *const *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *x;
        size_t xlen;
        struct json j;

        if (seen_add(r->certs, v[i]->sha256))
            continue;
        once_open(r, &j, s, "mxwitness.certificate");
        json_obj(&j, "file");
        json_obj(&j, "hash");
        json_ascii(&j, "sha256", v[i]->sha256_hex);
        json_obj_end(&j);
        if ((x = x509_json(r, v[i], false, &xlen)) != NULL)
            json_raw(&j, "x509", x, xlen);
        else
            json_x509(&j, "x509", v[i], false);
        json_obj_end(&j);
        json_obj(&j, "mxwitness");
        json_obj(&j, "certificate");
        if (v[i]->pem_json != NULL)
            json_raw(&j, "pem", v[i]->pem_json, v[i]->pem_json_len);
        else
            json_str(&j, "pem", v[i]->pem);
        json_ascii(&j, "first_side", side);
        json_u64(&j, "first_chain_position", i);
        json_u64(&j, "first_session_id", s->id);
        json_obj_end(&j);
        json_obj_end(&j);
        json_obj_end(&j);
        json_end(&j);
    }
}

/* The certificate fields of one side, inside that side's object. */
static void json_cert_fields(struct json_writer *r, struct json *j, const struct session_chain *c,
                             const struct x509_info *const *v, size_t n)
{
    const char *x;
    size_t xlen;

    if (n == 0)
        return;
    json_obj(j, "hash");
    json_ascii(j, "sha256", v[0]->sha256_hex);
    json_obj_end(j);
    if ((x = x509_json(r, v[0], !r->chains, &xlen)) != NULL)
        json_raw(j, "x509", x, xlen);
    else
        json_x509(j, "x509", v[0], !r->chains);
    if (r->chains) {
        json_arr(j, "certificate_chain");
        for (size_t i = 0; i < n; i++) {
            if (v[i]->pem_json != NULL)
                json_raw(j, NULL, v[i]->pem_json, v[i]->pem_json_len);
            else
                json_str(j, NULL, v[i]->pem);
        }
        json_arr_end(j);
    }
    json_arr(j, "certificate_chain_sha256");
    for (size_t i = 0; i < n; i++)
        json_ascii(j, NULL, v[i]->sha256_hex);
    json_arr_end(j);
    json_u64(j, "certificate_chain_length", c->total);
}

static void json_session(void *ctx, const struct analysed *an)
{
    struct json_writer *r = ctx;
    const struct session *s = an->s;
    const struct smtp_facts *sf = s->smtp ? smtp_facts(s->smtp) : NULL;
    struct json j;
    char t[40], a[64], md5[33], cb[16];

    if (!r->chains) {
        json_certificates(r, s, "server", an->server_chain, an->nserver);
        json_certificates(r, s, "client", an->client_chain, an->nclient);
        if (s->client_hello)
            json_fingerprint(r, s);
    }
    line_open(&j, r->out, s->first_us, "mxwitness.session");
    json_ascii(&j, "end", out_time_rfc3339(s->last_us, t, sizeof(t)));
    json_u64(&j, "duration", (s->last_us - s->first_us) * 1000u);
    json_obj_end(&j);
    json_obj(&j, "observer");
    json_str(&j, "name", an->point);
    json_obj_end(&j);
    json_obj(&j, "source");
    json_ascii(&j, "ip", cap_addr_format(&s->client, a, sizeof(a)));
    json_u64(&j, "port", s->cport);
    json_u64(&j, "bytes", s->bytes[TCP_TO_SERVER]);
    json_obj_end(&j);
    json_obj(&j, "destination");
    json_ascii(&j, "ip", cap_addr_format(&s->server, a, sizeof(a)));
    json_u64(&j, "port", s->sport);
    json_u64(&j, "bytes", s->bytes[TCP_TO_CLIENT]);
    json_obj_end(&j);

    json_obj(&j, "smtp");
    json_bool(&j, "implicit_tls", s->implicit_tls);
    if (s->tls_prelude[0] || s->tls_prelude[1]) {
        json_obj(&j, "tls_prelude");
        for (int d = 0; d < 2; d++)
            if (s->tls_prelude[d])
                json_u64(&j, report_side((enum tcp_dir)d), s->tls_prelude[d]);
        json_obj_end(&j);
    }
    if (sf) {
        json_str(&j, "banner", sf->banner);
        if (sf->banner_host)
            json_str(&j, "banner_host", sf->banner_host);
        json_str(&j, "ehlo", sf->helo);
        if (sf->ehlo_host)
            json_str(&j, "ehlo_host", sf->ehlo_host);
        json_strings(&j, "capabilities", sf->caps, sf->ncaps);
        if (sf->auth_mechs)
            json_str(&j, "auth_mechanisms", sf->auth_mechs);
        json_obj(&j, "starttls");
        json_bool(&j, "offered", sf->starttls_offered);
        json_bool(&j, "requested", sf->starttls_requested);
        json_str(&j, "reply", sf->starttls_reply);
        json_obj_end(&j);
        json_bool(&j, "mail_in_clear", sf->mail_in_clear);
        if (sf->ntls_errors) {
            json_arr(&j, "tls_errors");
            for (size_t i = 0; i < sf->ntls_errors; i++)
                json_str(&j, NULL, sf->tls_errors[i].text);
            json_arr_end(&j);
        }
        if (sf->stop != SMTP_STOP_NONE)
            json_str(&j, "parse_stopped", smtp_stop_name(sf->stop));
    } else {
        json_obj(&j, "starttls");
        json_bool(&j, "offered", false);
        json_bool(&j, "requested", false);
        json_null(&j, "reply");
        json_obj_end(&j);
    }
    json_obj_end(&j);

    json_obj(&j, "tls");
    if (s->server_hello) {
        json_ascii(&j, "version", tls_version_name(s->version));
        json_ascii(&j, "version_protocol", "tls");
        json_ascii(&j, "cipher", report_cipher(s->cipher, cb, sizeof(cb)));
    } else {
        json_null(&j, "version");
        json_null(&j, "cipher");
    }
    json_bool(&j, "established", s->tls_state == SESSION_TLS_ESTABLISHED);
    json_ascii(&j, "state", session_tls_state_name(s->tls_state));
    json_bool(&j, "certificate_hidden", s->cert_hidden);
    /* the server asked for another key share (TLS 1.3 HelloRetryRequest):
     * written only when it did */
    if (s->hello_retry)
        json_bool(&j, "hello_retry", true);
    json_bool(&j, "incomplete", s->incomplete);
    if (s->decrypt != SESSION_DECRYPT_NONE) {
        /* with --keylog: what became of decryption, records by sender */
        json_bool(&j, "decrypted", s->decrypt == SESSION_DECRYPT_OK);
        json_ascii(&j, "decryption", session_decrypt_name(s->decrypt));
        json_obj(&j, "decrypted_records");
        json_u64(&j, "client", s->decrypted[TCP_TO_SERVER]);
        json_u64(&j, "server", s->decrypted[TCP_TO_CLIENT]);
        json_obj_end(&j);
        if (s->smtp_tls != NULL) {
            const struct smtp_facts *in = smtp_facts(s->smtp_tls);

            json_obj(&j, "smtp");
            if (in->auth_mechs)
                json_str(&j, "auth_mechanisms", in->auth_mechs);
            if (in->last_reply)
                json_str(&j, "last_reply", in->last_reply);
            json_u64(&j, "replies", in->replies);
            json_obj_end(&j);
        }
    }
    if (s->tls_error[TCP_TO_SERVER] != TLS_ERR_NONE || s->tls_error[TCP_TO_CLIENT] != TLS_ERR_NONE) {
        json_obj(&j, "parse_errors");
        for (unsigned d = 0; d < 2; d++)
            if (s->tls_error[d] != TLS_ERR_NONE)
                json_ascii(&j, report_side((enum tcp_dir)d), tls_error_name(s->tls_error[d]));
        json_obj_end(&j);
    }
    if (s->kx_seen || s->kx_group) {
        const char *g = names_group(s->kx_seen ? s->kx.group : s->kx_group);

        json_obj(&j, "key_exchange");
        json_str(&j, "kind", s->kx.kind == TLS_KX_DHE ? "dhe" :
                             s->kx.kind == TLS_KX_ECDHE || s->kx_group ? "ecdhe" : "unknown");
        if (g)
            json_str(&j, "group", g);
        if (s->kx_seen && s->kx.bits)
            json_u64(&j, "bits", s->kx.bits);
        json_obj_end(&j);
    }
    if (s->client_hello) {
        json_obj(&j, "client");
        if (s->sni)
            json_str(&j, "server_name", s->sni);
        json_client_prints(&j, s, md5, r->chains);
        json_ascii(&j, "offered_version", tls_version_name(s->ch_version));
        if (s->client_random_seen) {
            char hx[65];

            x509_hex(s->client_random, 32, hx);
            json_ascii(&j, "random", hx);
            if (s->session_id_len > 0 && s->session_id_len <= 32) {
                x509_hex(s->session_id, s->session_id_len, hx);
                json_ascii(&j, "session_id", hx);
            }
        }
        if (s->alpn_offered)
            json_str(&j, "alpn", s->alpn_offered);
        json_cert_fields(r, &j, &s->client_chain, an->client_chain, an->nclient);
        json_obj_end(&j);
    }
    if (s->server_hello || s->server_chain.seen) {
        json_obj(&j, "server");
        if (s->ja3s) {
            x509_md5_hex((const uint8_t *)s->ja3s, strlen(s->ja3s), md5);
            json_ascii(&j, "ja3s", md5);
            json_ascii(&j, "ja3s_string", s->ja3s);
        }
        if (s->server_hello) {
            char fp[DIGEST_FP_MAX];

            digest_hello_fp(s, fp, sizeof(fp));
            json_ascii(&j, "hello_fingerprint", fp);
            json_obj(&j, "flight");
            json_u64(&j, "clear_messages", s->server_flight.clear_msgs);
            json_u64(&j, "clear_bytes", s->server_flight.clear_bytes);
            json_bool(&j, "clear_complete", s->server_flight.clear_complete);
            if (s->version == 0x0304) {
                json_u64(&j, "encrypted_records", s->server_flight.enc_records);
                json_u64(&j, "encrypted_bytes", s->server_flight.enc_bytes);
                json_bool(&j, "encrypted_complete", s->server_flight.enc_complete);
            }
            json_obj_end(&j);
        }
        json_cert_fields(r, &j, &s->server_chain, an->server_chain, an->nserver);
        json_obj_end(&j);
    }
    if (s->nalerts)
        json_arr(&j, "alerts");
    for (size_t i = 0; i < s->nalerts; i++) {
        const struct session_alert *al = &s->alerts[i];

        json_obj(&j, NULL);
        json_ascii(&j, "from", report_side(al->from));
        if (al->encrypted) {
            json_bool(&j, "encrypted", true);
        } else {
            json_ascii(&j, "level", tls_alert_level_name(al->level));
            json_str(&j, "description", tls_alert_name(al->desc) ? tls_alert_name(al->desc) : "unknown");
            if (al->after_type && tls_hs_name(al->after_type))
                json_str(&j, "after", tls_hs_name(al->after_type));
            json_bool(&j, "answers_certificate", al->after_certificate);
        }
        json_obj_end(&j);
    }
    if (s->nalerts)
        json_arr_end(&j);
    json_obj_end(&j);

    json_arr(&j, "findings");
    for (size_t i = 0; i < an->fs->n; i++) {
        const struct finding *x = &an->fs->v[i];

        json_obj(&j, NULL);
        json_ascii(&j, "code", finding_code_name(x->code));
        json_ascii(&j, "severity", severity_name(x->sev));
        json_str(&j, "message", x->msg);
        json_obj_end(&j);
    }
    json_arr_end(&j);

    json_obj(&j, "mxwitness");
    json_u64(&j, "session_id", s->id);
    if (r->worker >= 0)
        json_u64(&j, "worker", (uint64_t)r->worker);
    json_ascii(&j, "end", tcp_close_reason_name(s->end));
    /* the anomalies only when there are some (as not_kept) */
    if (s->gap_bytes[0] + s->gap_bytes[1])
        json_u64(&j, "gap_bytes", s->gap_bytes[0] + s->gap_bytes[1]);
    if (s->midstream)
        json_bool(&j, "midstream", true);
    if (s->protocol_mismatch)
        json_bool(&j, "protocol_mismatch", true);
    if (s->alloc_failed) {
        /* what could not be kept (out of memory): missing for that reason,
         * not because the wire lacked it */
        json_arr(&j, "not_kept");
        for (unsigned k = 0; k < SESSION_ALLOC_COUNT; k++)
            if (s->alloc_failed & SESSION_ALLOC_BIT(k))
                json_ascii(&j, NULL, session_alloc_name((enum session_alloc)k));
        json_arr_end(&j);
    }
    if (an->expected[0])
        json_str(&j, "expected", an->expected);
    if (s->net.synack_us != 0 || s->net.data_us[TCP_TO_CLIENT] != 0) {
        /* the network layer of the two ends (one-point evidence) */
        const struct session_net *n = &s->net;
        char opts[96];

        json_obj(&j, "network");
        if (n->syn_ttl != 0)
            json_u64(&j, "syn_ttl", n->syn_ttl);
        if (n->synack_ttl != 0)
            json_u64(&j, "synack_ttl", n->synack_ttl);
        if (n->data_ttl[TCP_TO_CLIENT] != 0)
            json_u64(&j, "server_data_ttl", n->data_ttl[TCP_TO_CLIENT]);
        if (n->ttl_min[TCP_TO_CLIENT] != 0 && n->ttl_min[TCP_TO_CLIENT] != n->ttl_max[TCP_TO_CLIENT]) {
            /* the range only when the server's TTL moved */
            json_u64(&j, "server_ttl_min", n->ttl_min[TCP_TO_CLIENT]);
            json_u64(&j, "server_ttl_max", n->ttl_max[TCP_TO_CLIENT]);
        }
        if (n->synack_us != 0) {
            json_str(&j, "synack_options", session_net_opts(n, opts, sizeof(opts)));
            json_u64(&j, "synack_window", n->synack_win);
            if (n->synack_mss != 0)
                json_u64(&j, "synack_mss", n->synack_mss);
            if (n->synack_wscale >= 0)
                json_u64(&j, "synack_wscale", (uint64_t)n->synack_wscale);
        }
        if (n->syn_us != 0 && n->ack_us >= n->syn_us)
            json_u64(&j, "handshake_rtt_us", n->ack_us - n->syn_us);
        if (n->ack_us != 0 && n->data_us[TCP_TO_CLIENT] >= n->ack_us)
            json_u64(&j, "first_reply_us", n->data_us[TCP_TO_CLIENT] - n->ack_us);
        json_obj_end(&j);
    }
    if (an->ev != NULL && an->ev->n > 0) {
        /* one-point evidence of a box in front of the server */
        json_arr(&j, "evidence");
        for (size_t i = 0; i < an->ev->n; i++) {
            const struct evidence_item *it = &an->ev->v[i];

            json_obj(&j, NULL);
            json_ascii(&j, "kind", evidence_kind_name(it->kind));
            json_ascii(&j, "strength", evidence_strength_name(it->strength));
            json_str(&j, "seen", it->seen);
            json_str(&j, "expected", it->expected);
            if (it->product != NULL) {
                json_str(&j, "product", it->product);
                json_str(&j, "source", it->source);
            }
            json_obj_end(&j);
        }
        json_arr_end(&j);
        if (an->ev->dropped > 0)
            json_u64(&j, "evidence_dropped", an->ev->dropped);
    }
    json_obj(&j, "checks");
    for (unsigned k = 0; k < STEP_COUNT; k++)
        json_ascii(&j, judge_step_name((enum judge_step)k), step_state_name(an->steps[k]));
    json_obj_end(&j);
    json_obj_end(&j);
    json_obj_end(&j);
    json_end(&j);
}

/* Why a summary is written. */
enum summary_why { SUM_END, SUM_EVICTED, SUM_PERIODIC };

/* json_server writes the summary object of one server.  Its @timestamp is
 * the time of writing (the pipeline's clock); the window it covers runs
 * from the first session counted in the entry to then. */
static void json_server(struct json_writer *r, const struct server *sv, enum summary_why why)
{
    static const char *const whys[] = {"end", "evicted", "periodic"};
    const struct server_summary *s = sv->sum;
    uint64_t now = pipeline_now(r->pl);
    char a[64], t[40], vb[3072];
    struct json j;

    if (now < s->last_us)
        now = s->last_us;
    json_init(&j, r->out);
    json_obj(&j, NULL);
    json_ascii(&j, "@timestamp", out_time_rfc3339(now, t, sizeof(t)));
    json_obj(&j, "event");
    json_ascii(&j, "dataset", "mxwitness.summary");
    json_ascii(&j, "start", out_time_rfc3339(s->first_us, t, sizeof(t)));
    json_ascii(&j, "end", out_time_rfc3339(s->last_us, t, sizeof(t)));
    json_obj_end(&j);
    json_obj(&j, "observer");
    json_str(&j, "name", pipeline_point(r->pl, sv->input));
    json_obj_end(&j);
    json_obj(&j, "destination");
    json_ascii(&j, "ip", cap_addr_format(&sv->addr, a, sizeof(a)));
    json_u64(&j, "port", sv->port);
    if (s->name)
        json_str(&j, "domain", s->name);
    json_obj_end(&j);
    json_obj(&j, "mxwitness");
    if (r->worker >= 0)
        json_u64(&j, "worker", (uint64_t)r->worker);
    json_ascii(&j, "written", whys[why]);
    json_obj(&j, "window");
    json_ascii(&j, "start", out_time_rfc3339(s->first_us, t, sizeof(t)));
    json_ascii(&j, "end", out_time_rfc3339(now, t, sizeof(t)));
    json_obj_end(&j);
    json_u64(&j, "sessions", s->sessions);
    json_u64(&j, "connections_without_dialogue", s->no_dialogue);
    json_u64(&j, "tls_sessions", s->tls_sessions);
    json_u64(&j, "plain_sessions", s->plain);
    json_u64(&j, "hidden_certificate_sessions", s->hidden);
    json_u64(&j, "no_certificate_sessions", s->no_cert);
    json_arr(&j, "certificates");
    for (size_t k = 0; k < sv->ncerts; k++) {
        const struct server_cert *c = &sv->certs[k];

        json_obj(&j, NULL);
        json_ascii(&j, "sha256", c->sha256_hex);
        json_str(&j, "subject", c->subject);
        json_str(&j, "issuer", c->issuer);
        json_bool(&j, "self_signed", c->self_signed);
        json_u64(&j, "sessions", c->count);
        json_ascii(&j, "first_seen", out_time_rfc3339(c->first_us, t, sizeof(t)));
        json_ascii(&j, "last_seen", out_time_rfc3339(c->last_us, t, sizeof(t)));
        json_obj_end(&j);
    }
    json_arr_end(&j);
    if (sv->certs_dropped)
        json_u64(&j, "certificates_not_listed", sv->certs_dropped);
    report_verdict(sv, vb, sizeof(vb));
    json_str(&j, "verdict", vb);
    if (s->expected)
        json_str(&j, "expected", s->expected);
    if (s->conclusion)
        json_str(&j, "conclusion", s->conclusion);
    json_ascii(&j, "worst_severity", severity_name(s->worst));
    /* not "checks": that is a session's step verdicts, strings, and one
     * index cannot map a field as a string and as an object */
    json_obj(&j, "check_counts");
    for (unsigned k = 0; k < STEP_COUNT; k++) {
        json_obj(&j, judge_step_name((enum judge_step)k));
        json_u64(&j, "pass", s->steps[k][STEP_PASS]);
        json_u64(&j, "fail", s->steps[k][STEP_FAIL]);
        json_u64(&j, "not_seen", s->steps[k][STEP_NOT_SEEN]);
        json_u64(&j, "not_applicable", s->steps[k][STEP_NA]);
        json_obj_end(&j);
    }
    json_obj_end(&j);
    json_arr(&j, "findings");
    for (unsigned k = 0; k < F_CODE_COUNT; k++) {
        if (!s->code_sessions[k])
            continue;
        json_obj(&j, NULL);
        json_ascii(&j, "code", finding_code_name((enum finding_code)k));
        json_ascii(&j, "severity", severity_name(s->code_sev[k]));
        json_u64(&j, "sessions", s->code_sessions[k]);
        json_obj_end(&j);
    }
    json_arr_end(&j);
    if (why == SUM_EVICTED)
        json_bool(&j, "evicted", true);
    json_obj_end(&j);
    json_obj_end(&j);
    json_end(&j);
}

static void json_between(struct json *j, const char *key, const struct hop_delivery *d,
                         const struct hop_change *c)
{
    if (c->from < 0) {
        json_null(j, key);
        return;
    }
    json_arr(j, key);
    json_str(j, NULL, d->points[c->from]);
    json_str(j, NULL, d->points[c->to]);
    json_arr_end(j);
}

/* json_delivery writes one mxwitness.hops object: the points in path
 * order with what each saw, the first hop of each change, the pairing's
 * confidence and reasons, and the findings of the hops. */
static void json_delivery(void *ctx, const struct hop_delivery *d, const struct findings *fs)
{
    struct json_writer *r = ctx;
    const struct session_digest *first = NULL;
    char t[40], a[64], hx[65];
    struct json j;

    for (size_t i = 0; i < d->npoints && first == NULL; i++)
        first = d->at[i];
    if (first == NULL)
        return;
    line_open(&j, r->out, first->first_us, "mxwitness.hops");
    json_obj_end(&j);
    json_obj(&j, "hops");
    json_arr(&j, "points");
    for (size_t i = 0; i < d->npoints; i++) {
        const struct session_digest *x = d->at[i];

        json_obj(&j, NULL);
        json_obj(&j, "observer");
        json_str(&j, "name", d->points[i]);
        json_obj_end(&j);
        json_bool(&j, "seen", x != NULL);
        if (x != NULL) {
            json_u64(&j, "session_id", x->id);
            json_ascii(&j, "@timestamp", out_time_rfc3339(x->first_us, t, sizeof(t)));
            json_obj(&j, "source");
            json_ascii(&j, "ip", cap_addr_format(&x->client, a, sizeof(a)));
            json_u64(&j, "port", x->cport);
            json_u64(&j, "bytes", x->cbytes);
            json_obj_end(&j);
            json_obj(&j, "destination");
            json_ascii(&j, "ip", cap_addr_format(&x->server, a, sizeof(a)));
            json_u64(&j, "port", x->sport);
            json_obj_end(&j);
            json_obj(&j, "smtp");
            if (x->banner_host[0])
                json_str(&j, "banner_host", x->banner_host);
            if (x->ehlo_host[0])
                json_str(&j, "ehlo_host", x->ehlo_host);
            json_obj(&j, "starttls");
            json_bool(&j, "offered", x->starttls_offered);
            json_obj_end(&j);
            json_obj_end(&j);
            json_obj(&j, "tls");
            if (x->server_hello)
                json_ascii(&j, "version", tls_version_name(x->version));
            else
                json_null(&j, "version");
            json_bool(&j, "certificate_hidden", x->cert_hidden);
            json_obj(&j, "server");
            json_obj(&j, "hash");
            if (x->nchain > 0 && !x->cert_hidden) {
                x509_hex(x->chain[0], 32, hx);
                json_ascii(&j, "sha256", hx);
            } else {
                json_null(&j, "sha256");
            }
            json_obj_end(&j);
            if (x->nchain > 0 && !x->cert_hidden) {
                json_obj(&j, "x509");
                json_obj(&j, "subject");
                json_str(&j, "distinguished_name", x->leaf_subject);
                json_obj_end(&j);
                json_bool(&j, "self_signed", x->leaf_self_signed);
                json_obj_end(&j);
            }
            if (x->hello_fp[0])
                json_str(&j, "hello_fingerprint", x->hello_fp);
            if (x->server_hello && x->version == 0x0304 && x->flight.enc_records) {
                json_obj(&j, "flight");
                json_u64(&j, "encrypted_records", x->flight.enc_records);
                json_u64(&j, "encrypted_bytes", x->flight.enc_bytes);
                json_bool(&j, "encrypted_complete", x->flight.enc_complete);
                json_obj_end(&j);
            }
            json_obj_end(&j);
            json_obj_end(&j);
        }
        json_obj_end(&j);
    }
    json_arr_end(&j);
    json_between(&j, "certificate_changed_between", d, &d->certificate);
    json_between(&j, "terminator_changed_between", d, &d->terminator);
    json_between(&j, "starttls_stripped_between", d, &d->starttls);
    json_between(&j, "banner_changed_between", d, &d->banner);
    json_between(&j, "ehlo_changed_between", d, &d->ehlo);
    json_u64(&j, "confidence", d->confidence);
    json_str(&j, "reason", d->reason);
    json_obj_end(&j);
    json_arr(&j, "findings");
    for (size_t i = 0; i < fs->n; i++) {
        json_obj(&j, NULL);
        json_ascii(&j, "code", finding_code_name(fs->v[i].code));
        json_ascii(&j, "severity", severity_name(fs->v[i].sev));
        json_str(&j, "message", fs->v[i].msg);
        json_obj_end(&j);
    }
    json_arr_end(&j);
    json_obj_end(&j);
    json_end(&j);
}

static void json_evicted(void *ctx, const struct server *sv)
{
    json_server(ctx, sv, SUM_EVICTED);
}

static void json_periodic(void *ctx, struct server *const *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        json_server(ctx, v[i], SUM_PERIODIC);
}

/* json_table_stats writes the server table's counters, when it evicted or
 * refused anything, and the connections without a dialogue, when there
 * were any (a run within its budget and without them writes none). */
static void json_table_stats(struct json_writer *r, const struct pipeline_totals *t)
{
    const struct servers_stats *st = &t->st;
    bool any = t->unsummarised != 0 || t->no_dialogue != 0;
    struct json j;

    for (unsigned k = 0; k < SERVER_KIND_COUNT; k++)
        any = any || st->evicted[k] || st->refused[k];
    if (!any)
        return;
    json_init(&j, r->out);
    json_obj(&j, NULL);
    json_obj(&j, "event");
    json_ascii(&j, "dataset", "mxwitness.stats");
    json_obj_end(&j);
    json_obj(&j, "mxwitness");
    json_obj(&j, "server_table");
    for (unsigned k = 0; k < SERVER_KIND_COUNT; k++) {
        json_obj(&j, server_kind_name((enum server_kind)k));
        json_u64(&j, "created", st->created[k]);
        json_u64(&j, "evicted", st->evicted[k]);
        json_u64(&j, "refused", st->refused[k]);
        json_u64(&j, "active", st->active[k]);
        json_u64(&j, "peak", st->peak[k]);
        json_obj_end(&j);
    }
    json_u64(&j, "sessions_not_summarised", t->unsummarised);
    json_obj_end(&j);
    json_u64(&j, "connections_without_dialogue", t->no_dialogue);
    json_obj_end(&j);
    json_obj_end(&j);
    json_end(&j);
}

static void json_finish(void *ctx, struct server *const *v, size_t n,
                        const struct pipeline_totals *t)
{
    for (size_t i = 0; i < n; i++)
        json_server(ctx, v[i], SUM_END);
    json_table_stats(ctx, t);
}

struct json_writer *json_writer_new(FILE *out, const struct pipeline *pl, bool chains,
                                    int worker, const struct json_shared *shared)
{
    struct json_writer *r = calloc(1, sizeof(*r));

    if (r == NULL)
        return NULL;
    r->out = out;
    r->pl = pl;
    r->chains = chains;
    r->worker = worker;
    if (shared != NULL && shared->certs != NULL && shared->prints != NULL) {
        /* the workers' sets: the fingerprints' key is the same in all */
        r->certs = shared->certs;
        r->prints = shared->prints;
        r->seed = shared->seed;
        return r;
    }
    r->own_sets = true;
    r->certs = seen_new(SEEN_SLOTS, false);
    r->prints = seen_new(SEEN_SLOTS, false);
    if (r->certs == NULL || r->prints == NULL) {
        json_writer_free(r);
        return NULL;
    }
    if (getentropy(&r->seed, sizeof(r->seed)) != 0)
        r->seed = 0x2545F4914F6CDD1Du;
    return r;
}

int json_shared_init(struct json_shared *sh)
{
    sh->certs = seen_new(SEEN_SLOTS, true);
    sh->prints = seen_new(SEEN_SLOTS, true);
    if (sh->certs == NULL || sh->prints == NULL) {
        json_shared_free(sh);
        return -1;
    }
    if (getentropy(&sh->seed, sizeof(sh->seed)) != 0)
        sh->seed = 0x2545F4914F6CDD1Du;
    return 0;
}

void json_shared_free(struct json_shared *sh)
{
    seen_free(sh->certs);
    seen_free(sh->prints);
    sh->certs = sh->prints = NULL;
}

struct pipeline_consumer json_writer_consumer(struct json_writer *r)
{
    struct pipeline_consumer c = {
        .on_session = json_session,
        .on_evicted = json_evicted,
        .on_periodic = json_periodic,
        .on_delivery = json_delivery,
        .on_finish = json_finish,
        .ctx = r,
    };

    return c;
}

void json_writer_free(struct json_writer *r)
{
    if (r == NULL)
        return;
    if (r->xmemo)
        for (size_t i = 0; i < 2 * X509_MEMO; i++)
            free(r->xmemo[i].json);
    free(r->xmemo);
    if (r->own_sets) {
        seen_free(r->certs);
        seen_free(r->prints);
    }
    if (r->fmemo)
        for (size_t i = 0; i < FP_MEMO; i++) {
            free(r->fmemo[i].ja3);
            free(r->fmemo[i].ja4r);
        }
    free(r->fmemo);
    free(r);
}

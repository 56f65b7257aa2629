/*
 * digest.c - the session digest from the pipeline and from a JSON line
 * (see digest.h).
 */
#include "analyze/digest.h"

#include <stdio.h>
#include <string.h>

#include "analyze/names.h"
#include "analyze/pipeline.h"
#include "lib/hex.h"
#include "lib/jsonr.h"
#include "lib/out.h"
#include "lib/strbuf.h"

/* copy_utf8 is strbuf_copy cut on a UTF-8 boundary (a subject can be
 * long), the way a reader of the JSON line cuts it too. */
static void copy_utf8(char *dst, size_t cap, const char *src)
{
    size_t n = src != NULL ? strlen(src) : 0;

    if (n >= cap) {
        n = cap - 1;
        while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80)
            n--;
    }
    if (n > 0)
        memcpy(dst, src, n);
    dst[n] = '\0';
}

void digest_hello_fp(const struct session *s, char *buf, size_t size)
{
    struct strbuf b;
    uint16_t group = s->kx_group ? s->kx_group : s->kx_seen ? s->kx.group : 0;

    strbuf_init(&b, buf, size);
    if (!s->server_hello)
        return;
    strbuf_u64(&b, s->version);
    strbuf_putc(&b, ',');
    strbuf_u64(&b, s->cipher);
    strbuf_putc(&b, ',');
    for (size_t i = 0; i < s->nsh_ext_types; i++) {
        if (i)
            strbuf_putc(&b, '-');
        strbuf_u64(&b, s->sh_ext_types[i]);
    }
    strbuf_putc(&b, ',');
    strbuf_u64(&b, group);
}

void digest_fill(struct session_digest *d, const struct analysed *a)
{
    const struct session *s = a->s;
    const struct smtp_facts *sf = s->smtp ? smtp_facts(s->smtp) : NULL;

    memset(d, 0, sizeof(*d));
    strbuf_copy(d->point, sizeof(d->point), a->point);
    d->id = s->id;
    d->first_us = s->first_us;
    d->last_us = s->last_us;
    d->client = s->client;
    d->server = s->server;
    d->cport = s->cport;
    d->sport = s->sport;
    d->cbytes = s->bytes[TCP_TO_SERVER];
    d->sbytes = s->bytes[TCP_TO_CLIENT];
    if (sf != NULL) {
        strbuf_copy(d->banner_host, sizeof(d->banner_host), sf->banner_host);
        strbuf_copy(d->ehlo, sizeof(d->ehlo), sf->helo);
        strbuf_copy(d->ehlo_host, sizeof(d->ehlo_host), sf->ehlo_host);
        d->starttls_offered = sf->starttls_offered;
        d->starttls_requested = sf->starttls_requested;
    }
    d->implicit_tls = s->implicit_tls;
    d->tls_state = s->tls_state;
    d->server_hello = s->server_hello;
    if (s->server_hello) {
        d->version = s->version;
        d->cipher = s->cipher;
    }
    d->cert_hidden = s->cert_hidden;
    if (s->client_hello)
        strbuf_copy(d->sni, sizeof(d->sni), s->sni);
    strbuf_copy(d->ja3s, sizeof(d->ja3s), s->ja3s);
    digest_hello_fp(s, d->hello_fp, sizeof(d->hello_fp));
    if (s->client_hello && s->client_random_seen) {
        d->random_seen = true;
        memcpy(d->random, s->client_random, 32);
        d->session_id_len = s->session_id_len <= 32 ? s->session_id_len : 32;
        memcpy(d->session_id, s->session_id, d->session_id_len);
    }
    if (s->server_hello)
        d->flight = s->server_flight;
    for (size_t i = 0; i < a->nserver && i < DIGEST_MAX_CHAIN; i++)
        memcpy(d->chain[d->nchain++], a->server_chain[i]->sha256, 32);
    if (a->nserver > 0 && a->server_chain[0]->parsed) {
        copy_utf8(d->leaf_subject, sizeof(d->leaf_subject), a->server_chain[0]->subject);
        d->leaf_self_signed = a->server_chain[0]->self_signed;
    }
    d->expected = a->expected[0] != '\0';
    for (size_t i = 0; i < a->fs->n && i < DIGEST_MAX_FINDINGS; i++) {
        d->findings[d->nfindings].code = a->fs->v[i].code;
        d->findings[d->nfindings++].sev = a->fs->v[i].sev;
    }
}

bool digest_equal(const struct session_digest *a, const struct session_digest *b)
{
    /* field by field: the struct has padding, and names end at their NUL */
    return strcmp(a->point, b->point) == 0 && a->id == b->id && a->first_us == b->first_us &&
           a->last_us == b->last_us && memcmp(&a->client, &b->client, sizeof(a->client)) == 0 &&
           memcmp(&a->server, &b->server, sizeof(a->server)) == 0 && a->cport == b->cport &&
           a->sport == b->sport && a->cbytes == b->cbytes && a->sbytes == b->sbytes &&
           strcmp(a->banner_host, b->banner_host) == 0 &&
           strcmp(a->ehlo, b->ehlo) == 0 && strcmp(a->ehlo_host, b->ehlo_host) == 0 &&
           a->starttls_offered == b->starttls_offered &&
           a->starttls_requested == b->starttls_requested && a->implicit_tls == b->implicit_tls &&
           a->tls_state == b->tls_state && a->server_hello == b->server_hello &&
           a->version == b->version && a->cipher == b->cipher &&
           a->cert_hidden == b->cert_hidden && strcmp(a->sni, b->sni) == 0 &&
           strcmp(a->ja3s, b->ja3s) == 0 && strcmp(a->hello_fp, b->hello_fp) == 0 &&
           a->random_seen == b->random_seen && memcmp(a->random, b->random, 32) == 0 &&
           a->session_id_len == b->session_id_len &&
           memcmp(a->session_id, b->session_id, a->session_id_len) == 0 &&
           a->flight.clear_msgs == b->flight.clear_msgs &&
           a->flight.clear_bytes == b->flight.clear_bytes &&
           a->flight.clear_complete == b->flight.clear_complete &&
           a->flight.enc_records == b->flight.enc_records &&
           a->flight.enc_bytes == b->flight.enc_bytes &&
           a->flight.enc_complete == b->flight.enc_complete && a->nchain == b->nchain &&
           memcmp(a->chain, b->chain, a->nchain * 32) == 0 &&
           strcmp(a->leaf_subject, b->leaf_subject) == 0 &&
           a->leaf_self_signed == b->leaf_self_signed && a->expected == b->expected &&
           a->nfindings == b->nfindings &&
           memcmp(a->findings, b->findings, a->nfindings * sizeof(a->findings[0])) == 0;
}

/* ---- reading a JSON line back ------------------------------------------ */

struct reader {
    struct session_digest *d;
    bool session, dataset_seen;
    char *err;
    size_t errlen;
    bool bad;
};

static bool bad_field(struct reader *r, const char *path, const char *why)
{
    snprintf(r->err, r->errlen, "%s: %s", path, why);
    r->bad = true;
    return false;
}

/* hex_bytes reads exactly 2 * |n| hex digits (the string ends there). */
static bool hex_bytes(const char *s, uint8_t *out, size_t n)
{
    return strlen(s) == 2 * n && hex_decode(s, out, n);
}

static bool version_parse(const char *s, uint16_t *out)
{
    static const struct { const char *name; uint16_t v; } known[] = {
        {"SSLv3", 0x0300}, {"1.0", 0x0301}, {"1.1", 0x0302}, {"1.2", 0x0303}, {"1.3", 0x0304},
    };
    unsigned v;

    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
        if (strcmp(s, known[i].name) == 0) {
            *out = known[i].v;
            return true;
        }
    }
    if (sscanf(s, "0x%4X", &v) == 1 && strlen(s) == 6) {
        *out = (uint16_t)v;
        return true;
    }
    return false;
}

static bool cipher_parse(const char *s, uint16_t *out)
{
    unsigned v;

    if (strncmp(s, "0x", 2) == 0 && strlen(s) == 6 && sscanf(s, "0x%4X", &v) == 1) {
        *out = (uint16_t)v;
        return true;
    }
    return names_cipher_id(s, out);
}

static bool state_parse(const char *s, enum session_tls_state *out)
{
    for (unsigned k = SESSION_TLS_NONE; k <= SESSION_TLS_ESTABLISHED; k++) {
        if (strcmp(s, session_tls_state_name((enum session_tls_state)k)) == 0) {
            *out = (enum session_tls_state)k;
            return true;
        }
    }
    return false;
}

static bool on_value(void *ctx, const char *path, long index, const struct jsonr_value *v)
{
    struct reader *r = ctx;
    struct session_digest *d = r->d;
    bool str = v->type == JSONR_STRING, num = v->type == JSONR_NUMBER && v->is_u64;
    bool boolean = v->type == JSONR_BOOL;

    if (strcmp(path, "event.dataset") == 0) {
        r->dataset_seen = true;
        r->session = str && strcmp(v->str, "mxwitness.session") == 0;
        return true;
    }
    if (!r->session && r->dataset_seen)
        return false;                /* another kind of line: nothing to read */
#define WANT(cond, why) do { if (!(cond)) return bad_field(r, path, why); } while (0)
    if (strcmp(path, "observer.name") == 0) {
        WANT(str, "not a string");
        strbuf_copy(d->point, sizeof(d->point), v->str);
    } else if (strcmp(path, "mxwitness.session_id") == 0) {
        WANT(num, "not a whole number");
        d->id = v->u64;
    } else if (strcmp(path, "@timestamp") == 0) {
        WANT(str && out_time_parse_rfc3339(v->str, &d->first_us), "not an RFC 3339 time");
    } else if (strcmp(path, "event.end") == 0) {
        WANT(str && out_time_parse_rfc3339(v->str, &d->last_us), "not an RFC 3339 time");
    } else if (strcmp(path, "source.ip") == 0) {
        WANT(str && cap_addr_parse(v->str, &d->client), "not an IP address");
    } else if (strcmp(path, "destination.ip") == 0) {
        WANT(str && cap_addr_parse(v->str, &d->server), "not an IP address");
    } else if (strcmp(path, "source.port") == 0) {
        WANT(num && v->u64 <= 65535, "not a port");
        d->cport = (uint16_t)v->u64;
    } else if (strcmp(path, "destination.port") == 0) {
        WANT(num && v->u64 <= 65535, "not a port");
        d->sport = (uint16_t)v->u64;
    } else if (strcmp(path, "source.bytes") == 0) {
        WANT(num, "not a whole number");
        d->cbytes = v->u64;
    } else if (strcmp(path, "destination.bytes") == 0) {
        WANT(num, "not a whole number");
        d->sbytes = v->u64;
    } else if (strcmp(path, "smtp.banner_host") == 0) {
        if (str)
            strbuf_copy(d->banner_host, sizeof(d->banner_host), v->str);
    } else if (strcmp(path, "smtp.ehlo") == 0) {
        if (str)
            strbuf_copy(d->ehlo, sizeof(d->ehlo), v->str);
    } else if (strcmp(path, "smtp.ehlo_host") == 0) {
        if (str)
            strbuf_copy(d->ehlo_host, sizeof(d->ehlo_host), v->str);
    } else if (strcmp(path, "smtp.starttls.offered") == 0) {
        WANT(boolean, "not true or false");
        d->starttls_offered = v->b;
    } else if (strcmp(path, "smtp.starttls.requested") == 0) {
        WANT(boolean, "not true or false");
        d->starttls_requested = v->b;
    } else if (strcmp(path, "smtp.implicit_tls") == 0) {
        WANT(boolean, "not true or false");
        d->implicit_tls = v->b;
    } else if (strcmp(path, "tls.state") == 0) {
        WANT(str && state_parse(v->str, &d->tls_state), "not a handshake state");
    } else if (strcmp(path, "tls.version") == 0) {
        if (v->type != JSONR_NULL) {
            WANT(str && version_parse(v->str, &d->version), "not a TLS version");
            d->server_hello = true;
        }
    } else if (strcmp(path, "tls.cipher") == 0) {
        if (v->type != JSONR_NULL)
            WANT(str && cipher_parse(v->str, &d->cipher), "not a cipher suite");
    } else if (strcmp(path, "tls.certificate_hidden") == 0) {
        WANT(boolean, "not true or false");
        d->cert_hidden = v->b;
    } else if (strcmp(path, "tls.client.server_name") == 0) {
        WANT(str, "not a string");
        strbuf_copy(d->sni, sizeof(d->sni), v->str);
    } else if (strcmp(path, "tls.server.ja3s_string") == 0) {
        WANT(str, "not a string");
        strbuf_copy(d->ja3s, sizeof(d->ja3s), v->str);
    } else if (strcmp(path, "tls.server.hello_fingerprint") == 0) {
        WANT(str, "not a string");
        strbuf_copy(d->hello_fp, sizeof(d->hello_fp), v->str);
    } else if (strcmp(path, "tls.client.random") == 0) {
        WANT(str && v->len == 64 && hex_bytes(v->str, d->random, 32), "not 32 bytes in hex");
        d->random_seen = true;
    } else if (strcmp(path, "tls.client.session_id") == 0) {
        WANT(str && v->len % 2 == 0 && v->len <= 64 &&
             hex_bytes(v->str, d->session_id, v->len / 2), "not up to 32 bytes in hex");
        d->session_id_len = (uint8_t)(v->len / 2);
    } else if (strncmp(path, "tls.server.flight.", 18) == 0) {
        const char *k = path + 18;

        if (strcmp(k, "clear_complete") == 0 || strcmp(k, "encrypted_complete") == 0) {
            WANT(boolean, "not true or false");
            *(k[0] == 'c' ? &d->flight.clear_complete : &d->flight.enc_complete) = v->b;
        } else {
            WANT(num && v->u64 <= UINT32_MAX, "not a 32-bit count");
            if (strcmp(k, "clear_messages") == 0)
                d->flight.clear_msgs = (uint32_t)v->u64;
            else if (strcmp(k, "clear_bytes") == 0)
                d->flight.clear_bytes = (uint32_t)v->u64;
            else if (strcmp(k, "encrypted_records") == 0)
                d->flight.enc_records = (uint32_t)v->u64;
            else if (strcmp(k, "encrypted_bytes") == 0)
                d->flight.enc_bytes = (uint32_t)v->u64;
        }
    } else if (strcmp(path, "tls.server.certificate_chain_sha256") == 0) {
        WANT(str && index >= 0, "not an array of strings");
        if (d->nchain < DIGEST_MAX_CHAIN) {
            WANT(v->len == 64 && hex_bytes(v->str, d->chain[d->nchain], 32), "not a SHA-256");
            d->nchain++;
        }
    } else if (strcmp(path, "tls.server.x509.subject.distinguished_name") == 0) {
        if (str)
            copy_utf8(d->leaf_subject, sizeof(d->leaf_subject), v->str);
    } else if (strcmp(path, "tls.server.x509.self_signed") == 0) {
        WANT(boolean, "not true or false");
        d->leaf_self_signed = v->b;
    } else if (strcmp(path, "mxwitness.expected") == 0) {
        WANT(str, "not a string");
        d->expected = v->len > 0;
    } else if (strcmp(path, "findings.code") == 0) {
        WANT(str && index >= 0, "not a string in an array");
        if ((size_t)index < DIGEST_MAX_FINDINGS) {
            WANT(finding_code_parse(v->str, &d->findings[index].code), "not a finding code");
            if ((size_t)index >= d->nfindings)
                d->nfindings = (size_t)index + 1;
        }
    } else if (strcmp(path, "findings.severity") == 0) {
        WANT(str && index >= 0, "not a string in an array");
        if ((size_t)index < DIGEST_MAX_FINDINGS) {
            WANT(severity_parse(v->str, &d->findings[index].sev), "not a severity");
            if ((size_t)index >= d->nfindings)
                d->nfindings = (size_t)index + 1;
        }
    }
#undef WANT
    return true;
}

int digest_from_json(struct session_digest *d, const char *line, size_t len, char *err,
                     size_t errlen)
{
    struct reader r = {.d = d, .err = err, .errlen = errlen};
    char jerr[128];

    memset(d, 0, sizeof(*d));
    if (errlen > 0)
        err[0] = '\0';
    if (jsonr_walk(line, len, on_value, &r, jerr, sizeof(jerr)) < 0) {
        snprintf(err, errlen, "not JSON: %s", jerr);
        return -1;
    }
    if (r.bad)
        return -1;
    if (!r.dataset_seen) {
        snprintf(err, errlen, "no event.dataset: not a line of mxwitness --json");
        return -1;
    }
    return r.session ? 1 : 0;
}

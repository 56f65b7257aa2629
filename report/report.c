/*
 * report.c - text, JSON lines, certificate export and transcript.
 *
 * Everything that came from the wire (banners, names, certificate fields) is
 * printed through out_text_escaped or the JSON writer, never raw: a hostile
 * banner cannot move the cursor of the terminal that reads the report, and a
 * hostile certificate cannot break the JSON a SIEM ingests.
 */
#include "report/report.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "analyze/findings.h"
#include "analyze/judge.h"
#include "report/json.h"
#include "analyze/names.h"
#include "lib/out.h"
#include "lib/strbuf.h"

#define MAX_SERVERS 65536
#define MAX_SERVER_CERTS 16

struct server_cert {
    char sha256[65];
    char *subject, *issuer;
    bool self_signed;
    uint64_t count, first_us, last_us;
};

struct server {
    struct server *next;
    unsigned input;                  /* capture point: a server is judged per point */
    struct cap_addr addr;
    uint16_t port;
    uint64_t sessions, tls_sessions, hidden, no_cert, starttls_offered, plain;
    uint64_t first_us, last_us;
    char *name;                      /* first banner host or SNI seen */
    struct server_cert certs[MAX_SERVER_CERTS];
    size_t ncerts;
    uint64_t certs_dropped;          /* sessions whose certificate did not fit */
    uint64_t steps[STEP_COUNT][4];   /* sessions by step and enum step_state */
    uint64_t code_sessions[F_CODE_COUNT];   /* sessions with each finding */
    enum severity code_sev[F_CODE_COUNT];   /* its worst severity */
    enum severity worst;
    char *expected;                  /* the expectation that applied (first seen) */
};

struct report {
    struct report_opts o;
    FILE *out;
    const struct cap_source *src;
    struct x509_cache *xc;
    struct server **buckets;
    size_t nbuckets, nservers;
    uint64_t servers_dropped, sessions;
    unsigned cert_errors;
    /* findings */
    struct findings fs;              /* the current session's (a few KB: not on the stack) */
    char expected[2048];
    enum step_state steps[STEP_COUNT];
    uint64_t by_sev[SEV_CRITICAL + 1];      /* findings by severity, all sessions */
    uint64_t sessions_with_findings;
    enum severity worst;
    struct x509_memo *xmemo;         /* X509_MEMO slots, NULL until the first JSON line */
};

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

/* A session's certificates parsed (shared cache entries). */
struct chain_view {
    const struct x509_info *x[TLS_MAX_CERTS];
    size_t n;
};

struct report *report_new(const struct report_opts *opts, FILE *out,
                          const struct cap_source *src, struct x509_cache *xc)
{
    struct report *r = calloc(1, sizeof(*r));

    if (!r)
        return NULL;
    r->o = *opts;
    r->out = out;
    r->src = src;
    r->xc = xc;
    r->nbuckets = 1024;
    r->buckets = calloc(r->nbuckets, sizeof(*r->buckets));
    if (!r->buckets) {
        free(r);
        return NULL;
    }
    return r;
}

enum severity report_worst(const struct report *r)
{
    return r->worst;
}

unsigned report_errors(const struct report *r)
{
    return r->cert_errors;
}

static void chain_get(struct report *r, const struct session_chain *c, struct chain_view *v)
{
    v->n = 0;
    for (size_t i = 0; i < c->n; i++) {
        const struct x509_info *xi = x509_cache_get(r->xc, c->certs[i].der, c->certs[i].len);

        if (xi)
            v->x[v->n++] = xi;
    }
}

static void chain_put(struct report *r, struct chain_view *v)
{
    for (size_t i = 0; i < v->n; i++)
        x509_cache_release(r->xc, v->x[i]);
    v->n = 0;
}

/* ---- small helpers --------------------------------------------------- */

static void tx(FILE *f, const char *s)
{
    if (s)
        out_text_escaped(f, (const uint8_t *)s, strlen(s));
    else
        fputc('-', f);
}

static const char *label(const struct report *r, unsigned input)
{
    const struct cap_input *in = cap_source_input(r->src, input);

    return in ? in->label : "?";
}

static char *time_s(int64_t secs, char *buf, size_t size)
{
    if (secs < 0) {
        snprintf(buf, size, "@%lld", (long long)secs);
        return buf;
    }
    out_time_rfc3339((uint64_t)secs * 1000000u, buf, size);
    /* certificates have whole seconds: drop ".000000" */
    {
        char *dot = strchr(buf, '.');

        if (dot)
            memmove(dot, dot + 7, strlen(dot + 7) + 1);
    }
    return buf;
}

static const char *cipher_text(uint16_t id, char *buf, size_t size)
{
    const char *n = names_cipher(id);

    if (n)
        return n;
    snprintf(buf, size, "0x%04X", id);
    return buf;
}

static const char *side(enum tcp_dir d)
{
    return d == TCP_TO_SERVER ? "client" : "server";
}

static bool established(const struct session *s)
{
    return s->tls_state == SESSION_TLS_ESTABLISHED;
}

/* ---- certificate export ---------------------------------------------- */

static void export_cert(struct report *r, const struct x509_info *xi, const struct session_der *d)
{
    char path[4096];
    int fd;
    FILE *f;

    if (!r->o.certs_dir)
        return;
    snprintf(path, sizeof(path), "%s/%s.pem", r->o.certs_dir, xi->sha256_hex);
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
    if (fd < 0) {
        if (errno != EEXIST) { /* written already: once per certificate */
            fprintf(stderr, "mxwitness: %s: %s\n", path, strerror(errno));
            r->cert_errors++;
        }
        return;
    }
    f = fdopen(fd, "w");
    if (!f) {
        close(fd);
        r->cert_errors++;
        return;
    }
    if (xi->pem) {
        fputs(xi->pem, f);
    } else {
        /* Not parseable by OpenSSL: keep the bytes as a PEM block all the
         * same, so the evidence is complete. */
        char *pem = x509_pem(d->der, d->len);

        if (pem)
            fputs(pem, f);
        else
            r->cert_errors++;
        free(pem);
    }
    if (fclose(f) != 0) {
        fprintf(stderr, "mxwitness: %s: %s\n", path, strerror(errno));
        r->cert_errors++;
    }
}

static void export_chain(struct report *r, const struct session_chain *c, const struct chain_view *v)
{
    for (size_t i = 0; i < v->n && i < c->n; i++)
        export_cert(r, v->x[i], &c->certs[i]);
}

/* ---- text ------------------------------------------------------------ */

static void text_cert(struct report *r, size_t i, const struct x509_info *xi)
{
    FILE *f = r->out;
    char a[40], b[40];

    fprintf(f, "    [%zu] ", i);
    if (!xi->parsed) {
        fprintf(f, "unparseable certificate (%s)\n        sha256 %s\n",
                xi->parse_error ? xi->parse_error : "OpenSSL could not read it", xi->sha256_hex);
        return;
    }
    tx(f, xi->subject);
    fputs("\n        issuer  ", f);
    tx(f, xi->issuer);
    if (xi->self_signed)
        fputs("  (self-signed)", f);
    fprintf(f, "\n        valid   %s .. %s\n", time_s(xi->not_before, a, sizeof(a)),
            time_s(xi->not_after, b, sizeof(b)));
    if (xi->nsan) {
        fputs("        names   ", f);
        for (size_t k = 0; k < xi->nsan && k < 8; k++) {
            if (k)
                fputs(", ", f);
            tx(f, xi->san[k]);
        }
        if (xi->total_san > 8)
            fprintf(f, " (+%zu more)", xi->total_san - 8);
        fputc('\n', f);
    }
    fprintf(f, "        key     %s %d%s%s, signed %s\n", xi->key_alg ? xi->key_alg : "?",
            xi->key_bits, xi->key_curve ? " " : "", xi->key_curve ? xi->key_curve : "",
            xi->sig_alg ? xi->sig_alg : "?");
    fprintf(f, "        sha256  %s\n", xi->sha256_hex);
}

static void text_chain(struct report *r, const char *who, const struct session_chain *c,
                       const struct chain_view *v)
{
    fprintf(r->out, "  %s certificate chain (%zu as presented%s):\n", who, c->total,
            c->total > c->n ? ", first ones kept" : "");
    for (size_t i = 0; i < v->n; i++)
        text_cert(r, i, v->x[i]);
}

/* sev_text: the severity, upper-case, in colour on a terminal. */
static void sev_text(struct report *r, enum severity sev)
{
    static const char *const up[] = {"NONE", "INFO", "LOW", "MEDIUM", "HIGH", "CRITICAL"};
    static const char *const col[] = {"", "\033[2m", "\033[36m", "\033[33m", "\033[31m",
                                      "\033[1;31m"};
    unsigned i = (unsigned)sev <= SEV_CRITICAL ? (unsigned)sev : 0;

    if (r->o.color)
        fprintf(r->out, "%s%-8s\033[0m", col[i], up[i]);
    else
        fprintf(r->out, "%-8s", up[i]);
}

static void text_findings(struct report *r, const struct findings *fs)
{
    FILE *f = r->out;

    if (fs->n == 0)
        return;
    fputs("  findings:\n", f);
    for (size_t i = 0; i < fs->n; i++) {
        fputs("    ", f);
        sev_text(r, fs->v[i].sev);
        fprintf(f, " %-22s ", finding_code_name(fs->v[i].code));
        tx(f, fs->v[i].msg);
        fputc('\n', f);
    }
    if (fs->dropped)
        fprintf(f, "    (%zu more findings not listed)\n", fs->dropped);
}

static void text_session(struct report *r, const struct session *s, const struct chain_view *sv,
                         const struct chain_view *cv)
{
    FILE *f = r->out;
    const struct smtp_facts *sf = s->smtp ? smtp_facts(s->smtp) : NULL;
    char t[40], ce[80], se[80], cb[16];

    fprintf(f, "session %llu  %s  %s -> %s", (unsigned long long)s->id,
            out_time_rfc3339(s->first_us, t, sizeof(t)),
            cap_endpoint_format(&s->client, s->cport, ce, sizeof(ce)),
            cap_endpoint_format(&s->server, s->sport, se, sizeof(se)));
    if (cap_source_ninputs(r->src) > 1) {
        fputs("  at ", f);
        tx(f, label(r, s->input));
    }
    fputc('\n', f);
    if (sf) {
        if (sf->banner) {
            fputs("  banner    ", f);
            tx(f, sf->banner);
            fputc('\n', f);
        }
        if (sf->helo) {
            fprintf(f, "  %s      ", sf->ehlo ? "ehlo" : "helo");
            tx(f, sf->helo);
            fputc('\n', f);
        }
        fprintf(f, "  starttls  %s, %s", sf->starttls_offered ? "offered" : "not offered",
                sf->starttls_requested ? "requested" : "not requested");
        if (sf->starttls_reply) {
            fputs(", reply ", f);
            tx(f, sf->starttls_reply);
        }
        fputc('\n', f);
        for (size_t i = 0; i < sf->ntls_errors; i++) {
            fputs("  refused   ", f);
            tx(f, sf->tls_errors[i].text);
            fputc('\n', f);
        }
        if (sf->mail_in_clear)
            fputs("  mail      MAIL FROM sent without TLS\n", f);
        if (sf->stop != SMTP_STOP_NONE)
            fprintf(f, "  smtp      parse stopped (%s, %s side)\n", smtp_stop_name(sf->stop),
                    side(sf->stop_dir));
    } else if (s->implicit_tls) {
        fputs("  implicit TLS (TLS from the first byte)\n", f);
    }
    if (s->protocol_mismatch)
        fputs("  mismatch  one side spoke TLS, the other plain SMTP\n", f);
    if (s->tls) {
        fprintf(f, "  tls       %s", s->server_hello ? tls_version_name(s->version) :
                                      "no ServerHello");
        if (s->server_hello)
            fprintf(f, "  %s", cipher_text(s->cipher, cb, sizeof(cb)));
        fputs("  sni ", f);
        tx(f, s->sni);
        fprintf(f, "  %s\n", session_tls_state_name(s->tls_state));
        if (s->cert_hidden)
            fputs("  certificate hidden: TLS 1.3 encrypts it (no key log given)\n", f);
        else if (s->server_chain.seen)
            text_chain(r, "server", &s->server_chain, sv);
        else if (s->server_hello)
            fputs("  no server certificate seen\n", f);
        if (s->cert_request)
            fprintf(f, "  client certificate requested (%zu CA names)\n", s->ncr_ca);
        if (s->client_chain.seen)
            text_chain(r, "client", &s->client_chain, cv);
        for (size_t i = 0; i < s->nalerts; i++) {
            const struct session_alert *a = &s->alerts[i];

            if (a->encrypted) {
                fprintf(f, "  alert     %s, encrypted\n", side(a->from));
                continue;
            }
            fprintf(f, "  alert     %s %s %s", side(a->from), tls_alert_level_name(a->level),
                    tls_alert_name(a->desc) ? tls_alert_name(a->desc) : "unknown");
            if (a->after_certificate)
                fprintf(f, " (answering the %s's certificate)", side(!a->from));
            else if (a->after_type && tls_hs_name(a->after_type))
                fprintf(f, " (after the %s's %s)", side(a->after_from), tls_hs_name(a->after_type));
            fputc('\n', f);
        }
    }
    if (s->incomplete)
        fputs("  incomplete: the handshake was not fully captured\n", f);
    for (unsigned d = 0; d < 2; d++)
        if (s->tls_error[d] != TLS_ERR_NONE)
            fprintf(f, "  tls error %s: %s (its TLS bytes after that were not read)\n",
                    side((enum tcp_dir)d), tls_error_name(s->tls_error[d]));
    fprintf(f, "  end       %s after %.3f s", tcp_close_reason_name(s->end),
            (double)(s->last_us - s->first_us) / 1e6);
    if (s->gaps[0] || s->gaps[1])
        fprintf(f, ", %llu bytes missing from the capture",
                (unsigned long long)(s->gap_bytes[0] + s->gap_bytes[1]));
    fputc('\n', f);
    text_findings(r, &r->fs);
    if (r->o.transcript && s->nlines) {
        fputs("  transcript:\n", f);
        for (size_t i = 0; i < s->nlines; i++) {
            const struct session_line *l = &s->lines[i];

            fprintf(f, "    %s %s ", out_time_rfc3339(l->ts_us, t, sizeof(t)),
                    l->kind == 'N' ? "  " : l->dir == TCP_TO_SERVER ? "C:" : "S:");
            if (l->kind == 'T')
                fputs("[tls] ", f);
            tx(f, l->text);
            fputc('\n', f);
        }
        if (s->lines_dropped)
            fprintf(f, "    (%zu more lines not kept)\n", s->lines_dropped);
    }
    fputc('\n', f);
}

/* ---- JSON ------------------------------------------------------------ */

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

static void json_x509(struct json *j, const char *key, const struct x509_info *xi)
{
    char a[40];

    json_obj(j, key);
    if (xi->parsed) {
        json_name(j, "subject", xi->subject_cn, xi->nsubject_cn, xi->subject);
        json_name(j, "issuer", xi->issuer_cn, xi->nissuer_cn, xi->issuer);
        json_strings(j, "alternative_names", xi->san, xi->nsan);
        json_ascii(j, "not_before", time_s(xi->not_before, a, sizeof(a)));
        json_ascii(j, "not_after", time_s(xi->not_after, a, sizeof(a)));
        json_str(j, "public_key_algorithm", xi->key_alg);
        json_u64(j, "public_key_size", xi->key_bits > 0 ? (uint64_t)xi->key_bits : 0);
        if (xi->key_curve)
            json_str(j, "public_key_curve", xi->key_curve);
        json_str(j, "signature_algorithm", xi->sig_alg);
        json_ascii(j, "serial_number", xi->serial_hex);
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
static const char *x509_json(struct report *r, const struct x509_info *xi, size_t *len)
{
    struct x509_memo *m;
    uint64_t h;
    char *text = NULL;
    size_t n = 0;
    FILE *mf;
    struct json *j;

    if (!r->xmemo && (r->xmemo = calloc(X509_MEMO, sizeof(*r->xmemo))) == NULL)
        return NULL;
    memcpy(&h, xi->sha256, sizeof(h));
    m = &r->xmemo[h & (X509_MEMO - 1)];
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
    json_x509(j, NULL, xi);
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

/* The certificate fields of one side, inside that side's object. */
static void json_cert_fields(struct report *r, struct json *j, const struct session_chain *c,
                             const struct chain_view *v)
{
    const char *x;
    size_t xlen;

    if (v->n == 0)
        return;
    json_obj(j, "hash");
    json_ascii(j, "sha256", v->x[0]->sha256_hex);
    json_obj_end(j);
    if ((x = x509_json(r, v->x[0], &xlen)) != NULL)
        json_raw(j, "x509", x, xlen);
    else
        json_x509(j, "x509", v->x[0]);
    json_arr(j, "certificate_chain");
    for (size_t i = 0; i < v->n; i++) {
        if (v->x[i]->pem_json != NULL)
            json_raw(j, NULL, v->x[i]->pem_json, v->x[i]->pem_json_len);
        else
            json_str(j, NULL, v->x[i]->pem);
    }
    json_arr_end(j);
    json_arr(j, "certificate_chain_sha256");
    for (size_t i = 0; i < v->n; i++)
        json_ascii(j, NULL, v->x[i]->sha256_hex);
    json_arr_end(j);
    json_u64(j, "certificate_chain_length", c->total);
}

static void json_session(struct report *r, const struct session *s, const struct chain_view *sv,
                         const struct chain_view *cv)
{
    const struct smtp_facts *sf = s->smtp ? smtp_facts(s->smtp) : NULL;
    struct json j;
    char t[40], a[64], md5[33], cb[16];

    json_init(&j, r->out);
    json_obj(&j, NULL);
    json_ascii(&j, "@timestamp", out_time_rfc3339(s->first_us, t, sizeof(t)));
    json_obj(&j, "event");
    json_ascii(&j, "dataset", "mxwitness.session");
    json_ascii(&j, "end", out_time_rfc3339(s->last_us, t, sizeof(t)));
    json_u64(&j, "duration", (s->last_us - s->first_us) * 1000u);
    json_obj_end(&j);
    json_obj(&j, "observer");
    json_str(&j, "name", label(r, s->input));
    json_obj_end(&j);
    json_obj(&j, "source");
    json_ascii(&j, "ip", cap_addr_format(&s->client, a, sizeof(a)));
    json_u64(&j, "port", s->cport);
    json_obj_end(&j);
    json_obj(&j, "destination");
    json_ascii(&j, "ip", cap_addr_format(&s->server, a, sizeof(a)));
    json_u64(&j, "port", s->sport);
    json_obj_end(&j);

    json_obj(&j, "smtp");
    json_bool(&j, "implicit_tls", s->implicit_tls);
    if (sf) {
        json_str(&j, "banner", sf->banner);
        json_str(&j, "ehlo", sf->helo);
        json_strings(&j, "capabilities", sf->caps, sf->ncaps);
        if (sf->auth_mechs)
            json_str(&j, "auth_mechanisms", sf->auth_mechs);
        json_obj(&j, "starttls");
        json_bool(&j, "offered", sf->starttls_offered);
        json_bool(&j, "requested", sf->starttls_requested);
        json_str(&j, "reply", sf->starttls_reply);
        json_obj_end(&j);
        json_bool(&j, "mail_in_clear", sf->mail_in_clear);
        json_arr(&j, "tls_errors");
        for (size_t i = 0; i < sf->ntls_errors; i++)
            json_str(&j, NULL, sf->tls_errors[i].text);
        json_arr_end(&j);
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
        json_ascii(&j, "cipher", cipher_text(s->cipher, cb, sizeof(cb)));
    } else {
        json_null(&j, "version");
        json_null(&j, "cipher");
    }
    json_bool(&j, "established", established(s));
    json_ascii(&j, "state", session_tls_state_name(s->tls_state));
    json_bool(&j, "certificate_hidden", s->cert_hidden);
    json_bool(&j, "incomplete", s->incomplete);
    if (s->tls_error[TCP_TO_SERVER] != TLS_ERR_NONE || s->tls_error[TCP_TO_CLIENT] != TLS_ERR_NONE) {
        json_obj(&j, "parse_errors");
        for (unsigned d = 0; d < 2; d++)
            if (s->tls_error[d] != TLS_ERR_NONE)
                json_ascii(&j, side((enum tcp_dir)d), tls_error_name(s->tls_error[d]));
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
        if (s->ja3) {
            x509_md5_hex((const uint8_t *)s->ja3, strlen(s->ja3), md5);
            json_ascii(&j, "ja3", md5);
            json_ascii(&j, "ja3_string", s->ja3);
        }
        if (s->ja4_r) {
            char ja4[X509_JA4_LEN + 1];

            if (x509_ja4(s->ja4_r, ja4))
                json_ascii(&j, "ja4", ja4);
            json_ascii(&j, "ja4_r", s->ja4_r);
        }
        json_ascii(&j, "offered_version", tls_version_name(s->ch_version));
        if (s->alpn_offered)
            json_str(&j, "alpn", s->alpn_offered);
        json_cert_fields(r, &j, &s->client_chain, cv);
        json_obj_end(&j);
    }
    if (s->server_hello || s->server_chain.seen) {
        json_obj(&j, "server");
        if (s->ja3s) {
            x509_md5_hex((const uint8_t *)s->ja3s, strlen(s->ja3s), md5);
            json_ascii(&j, "ja3s", md5);
            json_ascii(&j, "ja3s_string", s->ja3s);
        }
        json_cert_fields(r, &j, &s->server_chain, sv);
        json_obj_end(&j);
    }
    json_arr(&j, "alerts");
    for (size_t i = 0; i < s->nalerts; i++) {
        const struct session_alert *al = &s->alerts[i];

        json_obj(&j, NULL);
        json_ascii(&j, "from", side(al->from));
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
    json_arr_end(&j);
    json_obj_end(&j);

    json_arr(&j, "findings");
    for (size_t i = 0; i < r->fs.n; i++) {
        const struct finding *x = &r->fs.v[i];

        json_obj(&j, NULL);
        json_ascii(&j, "code", finding_code_name(x->code));
        json_ascii(&j, "severity", severity_name(x->sev));
        json_str(&j, "message", x->msg);
        json_obj_end(&j);
    }
    json_arr_end(&j);

    json_obj(&j, "mxwitness");
    json_u64(&j, "session_id", s->id);
    json_ascii(&j, "end", tcp_close_reason_name(s->end));
    json_u64(&j, "gap_bytes", s->gap_bytes[0] + s->gap_bytes[1]);
    json_bool(&j, "midstream", s->midstream);
    json_bool(&j, "protocol_mismatch", s->protocol_mismatch);
    if (r->expected[0])
        json_str(&j, "expected", r->expected);
    if (r->o.judge) {
        json_obj(&j, "checks");
        for (unsigned k = 0; k < STEP_COUNT; k++)
            json_ascii(&j, judge_step_name((enum judge_step)k), step_state_name(r->steps[k]));
        json_obj_end(&j);
    }
    json_obj_end(&j);
    json_obj_end(&j);
    json_end(&j);
}

/* ---- per-server summary ---------------------------------------------- */

static uint32_t server_hash(unsigned input, const struct cap_addr *a, uint16_t port)
{
    uint32_t h = (2166136261u ^ port) * 16777619u ^ input;

    for (size_t i = 0; i < 16; i++)
        h = (h ^ a->b[i]) * 16777619u;
    return h;
}

static struct server *server_get(struct report *r, unsigned input, const struct cap_addr *a,
                                 uint16_t port)
{
    uint32_t h = server_hash(input, a, port);
    struct server **pp = &r->buckets[h & (r->nbuckets - 1)];

    for (struct server *s = *pp; s; s = s->next)
        if (s->input == input && s->port == port && s->addr.family == a->family &&
            !memcmp(s->addr.b, a->b, 16))
            return s;
    if (r->nservers >= MAX_SERVERS) {
        r->servers_dropped++;
        return NULL;
    }
    {
        struct server *s = calloc(1, sizeof(*s));

        if (!s)
            return NULL;
        s->input = input;
        s->addr = *a;
        s->port = port;
        s->next = *pp;
        *pp = s;
        r->nservers++;
        return s;
    }
}

static void server_add(struct report *r, const struct session *s, const struct chain_view *sv)
{
    struct server *sv_ = server_get(r, s->input, &s->server, s->sport);
    const struct smtp_facts *sf = s->smtp ? smtp_facts(s->smtp) : NULL;

    if (!sv_)
        return;
    if (!sv_->sessions || s->first_us < sv_->first_us)
        sv_->first_us = s->first_us;
    if (s->last_us > sv_->last_us)
        sv_->last_us = s->last_us;
    sv_->sessions++;
    if (r->o.judge) {
        bool seen[F_CODE_COUNT] = {false};

        for (unsigned k = 0; k < STEP_COUNT; k++)
            sv_->steps[k][r->steps[k] & 3]++;
        for (size_t i = 0; i < r->fs.n; i++) {
            const struct finding *x = &r->fs.v[i];

            if (!seen[x->code]) {
                seen[x->code] = true;
                sv_->code_sessions[x->code]++;
            }
            if (x->sev > sv_->code_sev[x->code])
                sv_->code_sev[x->code] = x->sev;
            if (x->sev > sv_->worst)
                sv_->worst = x->sev;
        }
        if (!sv_->expected && r->expected[0])
            sv_->expected = strdup(r->expected);
    }
    if (!sv_->name) {
        if (sf && sf->banner_host)
            sv_->name = strdup(sf->banner_host);
        else if (s->sni)
            sv_->name = strdup(s->sni);
    }
    if (sf && sf->starttls_offered)
        sv_->starttls_offered++;
    if (!s->tls) {
        sv_->plain++;
        return;
    }
    sv_->tls_sessions++;
    if (s->cert_hidden) {
        sv_->hidden++;
        return;
    }
    if (sv->n == 0) {
        sv_->no_cert++;
        return;
    }
    for (size_t i = 0; i < sv_->ncerts; i++) {
        struct server_cert *c = &sv_->certs[i];

        if (!strcmp(c->sha256, sv->x[0]->sha256_hex)) {
            c->count++;
            if (s->first_us < c->first_us)
                c->first_us = s->first_us;
            if (s->first_us > c->last_us)
                c->last_us = s->first_us;
            return;
        }
    }
    if (sv_->ncerts >= MAX_SERVER_CERTS) {
        sv_->certs_dropped++;
        return;
    }
    {
        struct server_cert *c = &sv_->certs[sv_->ncerts++];

        memcpy(c->sha256, sv->x[0]->sha256_hex, sizeof(c->sha256));
        c->subject = sv->x[0]->subject ? strdup(sv->x[0]->subject) : NULL;
        c->issuer = sv->x[0]->issuer ? strdup(sv->x[0]->issuer) : NULL;
        c->self_signed = sv->x[0]->self_signed;
        c->count = 1;
        c->first_us = c->last_us = s->first_us;
    }
}

static int cmp_server(const void *a, const void *b)
{
    const struct server *x = *(struct server *const *)a, *y = *(struct server *const *)b;
    int c = memcmp(x->addr.b, y->addr.b, 16);

    if (x->input != y->input)
        return x->input < y->input ? -1 : 1;
    if (x->addr.family != y->addr.family)
        return x->addr.family < y->addr.family ? -1 : 1;
    if (c)
        return c;
    return x->port < y->port ? -1 : x->port > y->port;
}

static struct server **servers_sorted(struct report *r)
{
    struct server **v = malloc((r->nservers ? r->nservers : 1) * sizeof(*v));
    size_t n = 0;

    if (!v)
        return NULL;
    for (size_t b = 0; b < r->nbuckets; b++)
        for (struct server *s = r->buckets[b]; s; s = s->next)
            v[n++] = s;
    qsort(v, n, sizeof(*v), cmp_server);
    return v;
}

/* verdict writes the server's verdict line: what it presented, what was
 * wrong with it, and whether that is what was expected. */
static void verdict(const struct server *s, char *buf, size_t size)
{
    struct strbuf b;
    static const enum finding_code cert_codes[] = {
        F_SELF_SIGNED, F_UNTRUSTED_CHAIN, F_NAME_MISMATCH, F_EXPIRED, F_NOT_YET_VALID,
    };
    static const char *const cert_words[] = {
        "self-signed", "untrusted", "wrong name", "expired", "not yet valid",
    };

    strbuf_init(&b, buf, size);
    if (s->ncerts > 0) {
        const struct server_cert *c = &s->certs[0];
        bool first = true;

        strbuf_printf(&b, "presented %s (sha256 %.16s...)", c->subject ? c->subject : "?", c->sha256);
        if (s->ncerts > 1)
            strbuf_printf(&b, " and %zu other certificate%s", s->ncerts - 1, s->ncerts > 2 ? "s" : "");
        for (size_t i = 0; i < sizeof(cert_codes) / sizeof(cert_codes[0]); i++) {
            if (s->code_sessions[cert_codes[i]]) {
                strbuf_printf(&b, "%s%s", first ? ", " : ", ", cert_words[i]);
                first = false;
            }
        }
    } else if (s->hidden) {
        strbuf_printf(&b, "certificate hidden by TLS 1.3");
    } else if (s->tls_sessions) {
        strbuf_printf(&b, "no certificate seen");
    } else {
        strbuf_printf(&b, "no TLS");
    }
    if (s->expected)
        strbuf_printf(&b, "; expected %s - %s", s->expected,
            s->code_sessions[F_CERT_MISMATCH] ? "certificate is not the expected one" :
            s->ncerts ? "as expected" : "not seen");
    if (s->worst == SEV_NONE) {
        strbuf_printf(&b, " - no findings");
    } else {
        enum finding_code worst = F_CODE_COUNT;

        for (unsigned k = 0; k < F_CODE_COUNT; k++)
            if (s->code_sessions[k] && s->code_sev[k] == s->worst) {
                worst = (enum finding_code)k;
                break;
            }
        strbuf_printf(&b, " - worst: %s %s", severity_name(s->worst),
            worst < F_CODE_COUNT ? finding_code_name(worst) : "?");
    }
}

static void summary_text(struct report *r, struct server **v)
{
    FILE *f = r->out;
    char se[80], t1[40], t2[40], vb[3072];

    if (r->nservers == 0) {
        fputs("no mail sessions found\n", f);
        return;
    }
    fprintf(f, "servers (%zu):\n", r->nservers);
    for (size_t i = 0; i < r->nservers; i++) {
        struct server *s = v[i];

        fprintf(f, "  %s", cap_endpoint_format(&s->addr, s->port, se, sizeof(se)));
        if (cap_source_ninputs(r->src) > 1) {
            fputs(" at ", f);
            tx(f, label(r, s->input));
        }
        if (s->name) {
            fputs(" (", f);
            tx(f, s->name);
            fputc(')', f);
        }
        fprintf(f, ": %llu session%s, %llu with TLS", (unsigned long long)s->sessions,
                s->sessions == 1 ? "" : "s", (unsigned long long)s->tls_sessions);
        if (s->plain)
            fprintf(f, ", %llu without", (unsigned long long)s->plain);
        if (r->o.quiet && r->o.judge && s->worst == SEV_NONE) {
            /* quiet when all is well: the verdict on the same line */
            verdict(s, vb, sizeof(vb));
            fputs(": ", f);
            tx(f, vb);
            fputc('\n', f);
            continue;
        }
        fputc('\n', f);
        if (r->o.judge) {
            verdict(s, vb, sizeof(vb));
            fputs("    verdict  ", f);
            tx(f, vb);
            fputs("\n    checks  ", f);
            for (unsigned k = 0; k < STEP_COUNT; k++) {
                uint64_t pass = s->steps[k][STEP_PASS], fail = s->steps[k][STEP_FAIL];
                uint64_t na = s->steps[k][STEP_NA];

                fprintf(f, " %s ", judge_step_name((enum judge_step)k));
                if (fail)
                    fprintf(f, r->o.color ? "\033[31mFAIL\033[0m" : "FAIL");
                else if (pass)
                    fputs("pass", f);
                else if (na)
                    fputs("n/a", f);
                else
                    fputs("not-seen", f);
                if (fail && fail < s->sessions)
                    fprintf(f, "(%llu/%llu)", (unsigned long long)fail,
                            (unsigned long long)s->sessions);
            }
            fputc('\n', f);
            for (unsigned k = 0; k < F_CODE_COUNT; k++) {
                if (!s->code_sessions[k])
                    continue;
                fputs("    ", f);
                sev_text(r, s->code_sev[k]);
                fprintf(f, " %-22s in %llu of %llu session%s\n", finding_code_name((enum finding_code)k),
                        (unsigned long long)s->code_sessions[k], (unsigned long long)s->sessions,
                        s->sessions == 1 ? "" : "s");
            }
        }
        for (size_t k = 0; k < s->ncerts && !r->o.quiet; k++) {
            struct server_cert *c = &s->certs[k];

            fputs("    presented ", f);
            tx(f, c->subject);
            fprintf(f, "%s, sha256 %s\n      issuer ", c->self_signed ? " (self-signed)" : "", c->sha256);
            tx(f, c->issuer);
            fprintf(f, "; %llu session%s, %s .. %s\n", (unsigned long long)c->count,
                    c->count == 1 ? "" : "s", out_time_rfc3339(c->first_us, t1, sizeof(t1)),
                    out_time_rfc3339(c->last_us, t2, sizeof(t2)));
        }
        if (s->hidden)
            fprintf(f, "    %llu session%s with the certificate hidden by TLS 1.3\n",
                    (unsigned long long)s->hidden, s->hidden == 1 ? "" : "s");
        if (s->no_cert)
            fprintf(f, "    %llu TLS session%s without a visible certificate\n",
                    (unsigned long long)s->no_cert, s->no_cert == 1 ? "" : "s");
        if (s->certs_dropped)
            fprintf(f, "    %llu session%s with further certificates (not listed)\n",
                    (unsigned long long)s->certs_dropped, s->certs_dropped == 1 ? "" : "s");
    }
    if (r->servers_dropped)
        fprintf(f, "  (%llu sessions to further servers not summarised)\n",
                (unsigned long long)r->servers_dropped);
    if (r->o.judge)
        fprintf(f, "summary: %zu server%s, %llu session%s (%llu with findings); findings: "
                "%llu critical, %llu high, %llu medium, %llu low, %llu info\n",
                r->nservers, r->nservers == 1 ? "" : "s", (unsigned long long)r->sessions,
                r->sessions == 1 ? "" : "s", (unsigned long long)r->sessions_with_findings,
                (unsigned long long)r->by_sev[SEV_CRITICAL], (unsigned long long)r->by_sev[SEV_HIGH],
                (unsigned long long)r->by_sev[SEV_MEDIUM], (unsigned long long)r->by_sev[SEV_LOW],
                (unsigned long long)r->by_sev[SEV_INFO]);
}

static void summary_json(struct report *r, struct server **v)
{
    char a[64], t[40];

    for (size_t i = 0; i < r->nservers; i++) {
        struct server *s = v[i];
        struct json j;

        json_init(&j, r->out);
        json_obj(&j, NULL);
        json_ascii(&j, "@timestamp", out_time_rfc3339(s->first_us, t, sizeof(t)));
        json_obj(&j, "event");
        json_ascii(&j, "dataset", "mxwitness.summary");
        json_ascii(&j, "end", out_time_rfc3339(s->last_us, t, sizeof(t)));
        json_obj_end(&j);
        json_obj(&j, "observer");
        json_str(&j, "name", label(r, s->input));
        json_obj_end(&j);
        json_obj(&j, "destination");
        json_ascii(&j, "ip", cap_addr_format(&s->addr, a, sizeof(a)));
        json_u64(&j, "port", s->port);
        if (s->name)
            json_str(&j, "domain", s->name);
        json_obj_end(&j);
        json_obj(&j, "mxwitness");
        json_u64(&j, "sessions", s->sessions);
        json_u64(&j, "tls_sessions", s->tls_sessions);
        json_u64(&j, "plain_sessions", s->plain);
        json_u64(&j, "hidden_certificate_sessions", s->hidden);
        json_u64(&j, "no_certificate_sessions", s->no_cert);
        json_arr(&j, "certificates");
        for (size_t k = 0; k < s->ncerts; k++) {
            struct server_cert *c = &s->certs[k];

            json_obj(&j, NULL);
            json_ascii(&j, "sha256", c->sha256);
            json_str(&j, "subject", c->subject);
            json_str(&j, "issuer", c->issuer);
            json_bool(&j, "self_signed", c->self_signed);
            json_u64(&j, "sessions", c->count);
            json_ascii(&j, "first_seen", out_time_rfc3339(c->first_us, t, sizeof(t)));
            json_ascii(&j, "last_seen", out_time_rfc3339(c->last_us, t, sizeof(t)));
            json_obj_end(&j);
        }
        json_arr_end(&j);
        if (r->o.judge) {
            char vb[3072];

            verdict(s, vb, sizeof(vb));
            json_str(&j, "verdict", vb);
            if (s->expected)
                json_str(&j, "expected", s->expected);
            json_ascii(&j, "worst_severity", severity_name(s->worst));
            json_obj(&j, "checks");
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
        }
        json_obj_end(&j);
        json_obj_end(&j);
        json_end(&j);
    }
}

void report_finish(struct report *r)
{
    struct server **v = servers_sorted(r);

    if (!v)
        return;
    if (r->o.json)
        summary_json(r, v);
    else
        summary_text(r, v);
    free(v);
}

void report_session(void *report, const struct session *s)
{
    struct report *r = report;
    struct chain_view sv, cv;

    r->sessions++;
    chain_get(r, &s->server_chain, &sv);
    chain_get(r, &s->client_chain, &cv);
    r->fs.n = 0;
    r->fs.dropped = 0;
    r->expected[0] = '\0';
    if (r->o.judge) {
        judge_session(r->o.judge, s, sv.x, sv.n, &r->fs, r->expected, sizeof(r->expected));
        judge_steps(s, &r->fs, r->steps);
        for (size_t i = 0; i < r->fs.n; i++) {
            r->by_sev[r->fs.v[i].sev]++;
            if (r->fs.v[i].sev > r->worst)
                r->worst = r->fs.v[i].sev;
        }
        if (r->fs.n)
            r->sessions_with_findings++;
    }
    if (r->o.json)
        json_session(r, s, &sv, &cv);
    else
        if (!r->o.quiet)
            text_session(r, s, &sv, &cv);
    export_chain(r, &s->server_chain, &sv);
    export_chain(r, &s->client_chain, &cv);
    server_add(r, s, &sv);
    chain_put(r, &sv);
    chain_put(r, &cv);
}

void report_free(struct report *r)
{
    if (!r)
        return;
    for (size_t b = 0; b < r->nbuckets; b++) {
        struct server *s = r->buckets[b];

        while (s) {
            struct server *next = s->next;

            for (size_t k = 0; k < s->ncerts; k++) {
                free(s->certs[k].subject);
                free(s->certs[k].issuer);
            }
            free(s->name);
            free(s->expected);
            free(s);
            s = next;
        }
    }
    free(r->buckets);
    if (r->xmemo)
        for (size_t i = 0; i < X509_MEMO; i++)
            free(r->xmemo[i].json);
    free(r->xmemo);
    free(r);
}

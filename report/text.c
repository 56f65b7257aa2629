/*
 * text.c - the text report: a block per session as it ends, then per
 * server the verdict, the matrix of the steps of a delivery, the findings
 * with session counts and every certificate it presented.  A server that
 * leaves the server table (more than --max-servers) is written as it
 * leaves.
 *
 * Everything that came from the wire (banners, names, certificate fields) is
 * printed through out_text_escaped, never raw: a hostile banner cannot move
 * the cursor of the terminal that reads the report.
 */
#include "report/writers.h"

#include <stdlib.h>
#include <string.h>

#include "analyze/findings.h"
#include "analyze/x509.h"
#include "lib/out.h"
#include "report/common.h"

struct text_writer {
    FILE *out;                       /* where the blocks go now: |spool| until the end */
    FILE *final;                     /* the real output */
    FILE *spool;                     /* answer first: the session and delivery blocks
                                        wait here (a temporary file), NULL when streaming */
    bool color, quiet, transcript;
    bool several_points;             /* name the capture point of each session */
    const struct pipeline *pl;
    uint64_t evicted;                /* servers written as they left the table */
    uint64_t deliveries;             /* several points: deliveries written */
};

static void text_cert(struct text_writer *r, size_t i, const struct x509_info *xi)
{
    FILE *f = r->out;
    char a[40], b[40];

    fprintf(f, "    [%zu] ", i);
    if (!xi->parsed) {
        fprintf(f, "unparseable certificate (%s)\n        sha256 %s\n",
                xi->parse_error ? xi->parse_error : "OpenSSL could not read it", xi->sha256_hex);
        return;
    }
    report_tx(f, xi->subject);
    fputs("\n        issuer  ", f);
    report_tx(f, xi->issuer);
    if (xi->self_signed)
        fputs("  (self-signed)", f);
    fprintf(f, "\n        valid   %s .. %s\n", report_cert_time(xi->not_before, a, sizeof(a)),
            report_cert_time(xi->not_after, b, sizeof(b)));
    if (xi->nsan) {
        fputs("        names   ", f);
        for (size_t k = 0; k < xi->nsan && k < 8; k++) {
            if (k)
                fputs(", ", f);
            report_tx(f, xi->san[k]);
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

static void text_chain(struct text_writer *r, const char *who, const struct session_chain *c,
                       const struct x509_info *const *x, size_t n)
{
    fprintf(r->out, "  %s certificate chain (%zu as presented%s):\n", who, c->total,
            c->total > c->n ? ", first ones kept" : "");
    for (size_t i = 0; i < n; i++)
        text_cert(r, i, x[i]);
}

/* sev_text: the severity, upper-case, in colour on a terminal. */
static void sev_text(struct text_writer *r, enum severity sev)
{
    static const char *const up[] = {"NONE", "INFO", "LOW", "MEDIUM", "HIGH", "CRITICAL"};
    static const char *const col[] = {"", "\033[2m", "\033[36m", "\033[33m", "\033[31m",
                                      "\033[1;31m"};
    unsigned i = (unsigned)sev <= SEV_CRITICAL ? (unsigned)sev : 0;

    if (r->color)
        fprintf(r->out, "%s%-8s\033[0m", col[i], up[i]);
    else
        fprintf(r->out, "%-8s", up[i]);
}

/* text_finding writes one finding: severity, code, message (escaped). */
static void text_finding(struct text_writer *r, const char *indent, const struct finding *x)
{
    fputs(indent, r->out);
    sev_text(r, x->sev);
    fprintf(r->out, " %-22s ", finding_code_name(x->code));
    report_tx(r->out, x->msg);
    fputc('\n', r->out);
}

static void text_findings(struct text_writer *r, const struct findings *fs)
{
    FILE *f = r->out;

    if (fs->n == 0)
        return;
    fputs("  findings:\n", f);
    for (size_t i = 0; i < fs->n; i++)
        text_finding(r, "    ", &fs->v[i]);
    if (fs->dropped)
        fprintf(f, "    (%zu more findings not listed)\n", fs->dropped);
}

static void text_session(void *ctx, const struct analysed *an)
{
    struct text_writer *r = ctx;
    const struct session *s = an->s;
    FILE *f = r->out;
    const struct smtp_facts *sf = s->smtp ? smtp_facts(s->smtp) : NULL;
    char t[40], ce[80], se[80], cb[16];

    fprintf(f, "session %llu  %s  %s -> %s", (unsigned long long)s->id,
            out_time_rfc3339(s->first_us, t, sizeof(t)),
            cap_endpoint_format(&s->client, s->cport, ce, sizeof(ce)),
            cap_endpoint_format(&s->server, s->sport, se, sizeof(se)));
    if (r->several_points) {
        fputs("  at ", f);
        report_tx(f, an->point);
    }
    fputc('\n', f);
    if (sf) {
        if (sf->banner) {
            fputs("  banner    ", f);
            report_tx(f, sf->banner);
            fputc('\n', f);
        }
        if (sf->helo) {
            fprintf(f, "  %s      ", sf->ehlo ? "ehlo" : "helo");
            report_tx(f, sf->helo);
            fputc('\n', f);
        }
        fprintf(f, "  starttls  %s, %s", sf->starttls_offered ? "offered" : "not offered",
                sf->starttls_requested ? "requested" : "not requested");
        if (sf->starttls_reply) {
            fputs(", reply ", f);
            report_tx(f, sf->starttls_reply);
        }
        fputc('\n', f);
        for (size_t i = 0; i < sf->ntls_errors; i++) {
            fputs("  refused   ", f);
            report_tx(f, sf->tls_errors[i].text);
            fputc('\n', f);
        }
        if (sf->mail_in_clear)
            fputs("  mail      MAIL FROM sent without TLS\n", f);
        if (sf->stop != SMTP_STOP_NONE)
            fprintf(f, "  smtp      parse stopped (%s, %s side)\n", smtp_stop_name(sf->stop),
                    report_side(sf->stop_dir));
    } else if (s->implicit_tls && (s->tls_prelude[0] || s->tls_prelude[1])) {
        fputs("  implicit TLS after a clear-text prelude, not SMTP (", f);
        for (int d = 0; d < 2; d++)
            if (s->tls_prelude[d])
                fprintf(f, "%s%s %u bytes", d && s->tls_prelude[0] ? ", " : "",
                        report_side((enum tcp_dir)d), (unsigned)s->tls_prelude[d]);
        fputs(")\n", f);
    } else if (s->implicit_tls) {
        fputs("  implicit TLS (TLS from the first byte)\n", f);
    }
    if (s->protocol_mismatch)
        fputs("  mismatch  one side spoke TLS, the other plain SMTP\n", f);
    if (s->tls) {
        fprintf(f, "  tls       %s", s->server_hello ? tls_version_name(s->version) :
                                      "no ServerHello");
        if (s->server_hello)
            fprintf(f, "  %s", report_cipher(s->cipher, cb, sizeof(cb)));
        fputs("  sni ", f);
        report_tx(f, s->sni);
        fprintf(f, "  %s%s\n", session_tls_state_name(s->tls_state),
                s->hello_retry ? "  after a HelloRetryRequest" : "");
        if (s->decrypt != SESSION_DECRYPT_NONE)
            fprintf(f, "  decrypted %s (%llu records from the client, %llu from the server)\n",
                    session_decrypt_name(s->decrypt), (unsigned long long)s->decrypted[0],
                    (unsigned long long)s->decrypted[1]);
        if (s->smtp_tls != NULL) {
            const struct smtp_facts *in = smtp_facts(s->smtp_tls);

            if (in->auth_mechs)
                fprintf(f, "  inside    AUTH %s\n", in->auth_mechs);
            if (in->last_reply)
                fprintf(f, "  inside    last reply %s\n", in->last_reply);
        }
        if (s->cert_hidden && s->decrypt == SESSION_DECRYPT_NONE)
            fputs("  certificate hidden: TLS 1.3 encrypts it (no key log given)\n", f);
        else if (s->cert_hidden)
            fprintf(f, "  certificate hidden: TLS 1.3 encrypts it (key log: %s)\n",
                    session_decrypt_name(s->decrypt));
        else if (s->server_chain.seen)
            text_chain(r, "server", &s->server_chain, an->server_chain, an->nserver);
        else if (s->server_hello)
            fputs("  no server certificate seen\n", f);
        if (s->cert_request)
            fprintf(f, "  client certificate requested (%zu CA names)\n", s->ncr_ca);
        if (s->client_chain.seen)
            text_chain(r, "client", &s->client_chain, an->client_chain, an->nclient);
        for (size_t i = 0; i < s->nalerts; i++) {
            const struct session_alert *a = &s->alerts[i];

            if (a->encrypted) {
                fprintf(f, "  alert     %s, encrypted\n", report_side(a->from));
                continue;
            }
            fprintf(f, "  alert     %s %s %s", report_side(a->from), tls_alert_level_name(a->level),
                    tls_alert_name(a->desc) ? tls_alert_name(a->desc) : "unknown");
            if (a->after_certificate)
                fprintf(f, " (answering the %s's certificate)", report_side(!a->from));
            else if (a->after_type && tls_hs_name(a->after_type))
                fprintf(f, " (after the %s's %s)", report_side(a->after_from), tls_hs_name(a->after_type));
            fputc('\n', f);
        }
    }
    if (s->alloc_failed) {
        fputs("  not kept  (out of memory):", f);
        for (unsigned k = 0; k < SESSION_ALLOC_COUNT; k++)
            if (s->alloc_failed & SESSION_ALLOC_BIT(k))
                fprintf(f, " %s", session_alloc_name((enum session_alloc)k));
        fputc('\n', f);
    }
    if (s->incomplete)
        fputs("  incomplete: the handshake was not fully captured\n", f);
    for (unsigned d = 0; d < 2; d++)
        if (s->tls_error[d] != TLS_ERR_NONE)
            fprintf(f, "  tls error %s: %s (its TLS bytes after that were not read)\n",
                    report_side((enum tcp_dir)d), tls_error_name(s->tls_error[d]));
    fprintf(f, "  end       %s after %.3f s", tcp_close_reason_name(s->end),
            (double)(s->last_us - s->first_us) / 1e6);
    if (s->gaps[0] || s->gaps[1])
        fprintf(f, ", %llu bytes missing from the capture",
                (unsigned long long)(s->gap_bytes[0] + s->gap_bytes[1]));
    fputc('\n', f);
    text_findings(r, an->fs);
    if (r->transcript && s->nlines) {
        fputs("  transcript:\n", f);
        for (size_t i = 0; i < s->nlines; i++) {
            const struct session_line *l = &s->lines[i];

            fprintf(f, "    %s %s ", out_time_rfc3339(l->ts_us, t, sizeof(t)),
                    l->kind == 'N' ? "  " : l->dir == TCP_TO_SERVER ? "C:" : "S:");
            /* what crossed the wire in clear, what stayed encrypted, and
             * what was read only by decrypting it (--keylog) are told apart */
            if (l->kind == 'T')
                fputs("[tls] ", f);
            else if (l->kind == 'E')
                fputs("[tls, decrypted] ", f);
            else if (l->kind == 'D')
                fputs("[decrypted] ", f);
            report_tx(f, l->text);
            fputc('\n', f);
        }
        if (s->lines_dropped)
            fprintf(f, "    (%zu more lines not kept)\n", s->lines_dropped);
    }
    fputc('\n', f);
}

/* text_server writes one server's summary: a line, then (unless quiet
 * and nothing is wrong) its verdict, checks, findings and certificates. */
/* server_name writes a server's address, capture point and name. */
static void server_name(struct text_writer *r, FILE *f, const struct server *sv)
{
    char se[80];

    fputs(cap_endpoint_format(&sv->addr, sv->port, se, sizeof(se)), f);
    if (r->several_points) {
        fputs(" at ", f);
        report_tx(f, pipeline_point(r->pl, sv->input));
    }
    if (sv->sum->name) {
        fputs(" (", f);
        report_tx(f, sv->sum->name);
        fputc(')', f);
    }
}

/* no_dialogue_line: the connections that were not sessions. */
static void no_dialogue_line(FILE *f, const struct pipeline_totals *t)
{
    fprintf(f, "connections without a dialogue (no payload either way: SYN floods, scans, "
               "half-open): %llu, not written as sessions", (unsigned long long)t->no_dialogue);
    if (t->no_dialogue_counted)
        fprintf(f, "; %llu of them counted in their server's summary",
                (unsigned long long)t->no_dialogue_counted);
    fputc('\n', f);
}

static void text_server(struct text_writer *r, const struct server *sv)
{
    const struct server_summary *s = sv->sum;
    FILE *f = r->out;
    char t1[40], t2[40], vb[3072];

    fputs("  ", f);
    server_name(r, f, sv);
    fprintf(f, ": %llu session%s, %llu with TLS", (unsigned long long)s->sessions,
            s->sessions == 1 ? "" : "s", (unsigned long long)s->tls_sessions);
    if (s->plain)
        fprintf(f, ", %llu without", (unsigned long long)s->plain);
    if (s->no_dialogue)
        fprintf(f, "; %llu connection%s without a dialogue", (unsigned long long)s->no_dialogue,
                s->no_dialogue == 1 ? "" : "s");
    report_verdict(sv, vb, sizeof(vb));
    if (s->conclusion != NULL) {
        fputs("\n    conclusion ", f);
        report_tx(f, s->conclusion);
    }
    if (r->quiet && s->worst == SEV_NONE) {
        /* quiet when all is well: the verdict on the same line */
        fputs(": ", f);
        report_tx(f, vb);
        fputc('\n', f);
        return;
    }
    fputs("\n    verdict  ", f);
    report_tx(f, vb);
    fputs("\n    checks  ", f);
    for (unsigned k = 0; k < STEP_COUNT; k++) {
        uint64_t pass = s->steps[k][STEP_PASS], fail = s->steps[k][STEP_FAIL];
        uint64_t na = s->steps[k][STEP_NA];

        fprintf(f, " %s ", judge_step_name((enum judge_step)k));
        if (fail)
            fputs(r->color ? "\033[31mFAIL\033[0m" : "FAIL", f);
        else if (pass)
            fputs("pass", f);
        else if (na)
            fputs("n/a", f);
        else
            fputs("not-seen", f);
        if (fail && fail < s->sessions)
            fprintf(f, "(%llu/%llu)", (unsigned long long)fail, (unsigned long long)s->sessions);
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
    for (size_t k = 0; k < sv->ncerts && !r->quiet; k++) {
        const struct server_cert *c = &sv->certs[k];

        fputs("    presented ", f);
        report_tx(f, c->subject);
        fprintf(f, "%s, sha256 %s\n      issuer ", c->self_signed ? " (self-signed)" : "",
                c->sha256_hex);
        report_tx(f, c->issuer);
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
    if (sv->certs_dropped)
        fprintf(f, "    %llu session%s with further certificates (not listed)\n",
                (unsigned long long)sv->certs_dropped, sv->certs_dropped == 1 ? "" : "s");
}

/* text_point writes what one capture point saw of a delivery. */
static void text_point(struct text_writer *r, const char *label, size_t width,
                       const struct session_digest *d)
{
    FILE *f = r->out;
    char ce[80], se[80], hx[65], cb[16];

    fputs("   -> ", f);
    report_tx(f, label);
    fprintf(f, "%*s", (int)(width - strlen(label) + 2), "");
    if (d == NULL) {
        fputs("not seen\n", f);
        return;
    }
    fprintf(f, "%s > %s", cap_endpoint_format(&d->client, d->cport, ce, sizeof(ce)),
            cap_endpoint_format(&d->server, d->sport, se, sizeof(se)));
    if (d->banner_host[0]) {
        fputs("  banner ", f);
        report_tx(f, d->banner_host);
    }
    if (d->implicit_tls)
        fputs("  implicit TLS", f);
    else if (d->banner_host[0] || d->ehlo_host[0])
        fprintf(f, "  STARTTLS %s", d->starttls_offered ? "offered" : "not offered");
    if (d->server_hello)
        fprintf(f, "  TLS %s %s", tls_version_name(d->version), report_cipher(d->cipher, cb,
                                                                              sizeof(cb)));
    fputc('\n', f);
    fprintf(f, "      %*s", (int)width, "");
    if (d->nchain > 0 && !d->cert_hidden) {
        x509_hex(d->chain[0], 32, hx);
        fputs("certificate ", f);
        report_tx(f, d->leaf_subject[0] ? d->leaf_subject : "(no subject)");
        fprintf(f, "%s, sha256 %s\n", d->leaf_self_signed ? " (self-signed)" : "", hx);
    } else if (d->cert_hidden) {
        fputs("certificate hidden (TLS 1.3)", f);
        if (d->hello_fp[0]) {
            fputs(", ServerHello ", f);
            report_tx(f, d->hello_fp);
        }
        if (d->flight.enc_records)
            fprintf(f, ", encrypted flight %u bytes", d->flight.enc_bytes);
        fputc('\n', f);
    } else {
        fputs(d->server_hello ? "no certificate seen\n" : "no TLS\n", f);
    }
}

static void text_delivery(void *ctx, const struct hop_delivery *d, const struct findings *fs)
{
    struct text_writer *r = ctx;
    FILE *f = r->out;
    const struct session_digest *first = NULL;
    size_t width = 0;
    char t[40], ce[80];

    for (size_t i = 0; i < d->npoints; i++) {
        if (first == NULL && d->at[i] != NULL)
            first = d->at[i];
        if (strlen(d->points[i]) > width)
            width = strlen(d->points[i]);
    }
    if (first == NULL)
        return;
    if (r->deliveries++ == 0)
        fputs("deliveries along the capture points (sender first):\n", f);
    fprintf(f, "delivery %llu  %s", (unsigned long long)r->deliveries,
            out_time_rfc3339(first->first_us, t, sizeof(t)));
    if (d->seen > 1)
        fprintf(f, "  paired (confidence %u): ", d->confidence);
    else
        fputs("  unpaired: ", f);
    report_tx(f, d->reason);
    fprintf(f, "\n   sender %s\n", cap_endpoint_format(&first->client, first->cport, ce,
                                                      sizeof(ce)));
    for (size_t i = 0; i < d->npoints; i++)
        text_point(r, d->points[i], width, d->at[i]);
    for (size_t i = 0; i < fs->n; i++)
        text_finding(r, "  ", &fs->v[i]);
    if (fs->n == 0 && d->seen > 1)
        fputs("  nothing changed between the points\n", f);
    fputc('\n', f);
}

/* text_evicted: a server leaves the table; its summary is written now, as
 * far as it goes (a later session to it starts a new one). */
static void text_evicted(void *ctx, const struct server *sv)
{
    struct text_writer *r = ctx;

    if (r->evicted++ == 0)
        fputs("servers written as they left the server table (more than --max-servers):\n",
              r->out);
    text_server(r, sv);
}

#define ANSWER_SERVERS 20             /* servers named in the answer; the rest below */

static int cmp_worst(const void *x, const void *y)
{
    const struct server *a = *(struct server *const *)x, *b = *(struct server *const *)y;

    if (a->sum->worst != b->sum->worst)
        return a->sum->worst > b->sum->worst ? -1 : 1;
    return pipeline_cmp_server(x, y);   /* not the addresses in memory: the same on every run */
}

/* text_answer writes the answer first: per server (the worst first) its
 * hop conclusion and its verdict, one or two lines each. */
static void text_answer(struct text_writer *r, struct server *const *v, size_t n,
                        const struct pipeline_totals *t)
{
    FILE *f = r->final;
    struct server **w = n > 0 ? malloc(n * sizeof(*w)) : NULL;
    char vb[3072];
    size_t shown = n < ANSWER_SERVERS ? n : ANSWER_SERVERS;

    if (w == NULL && n > 0)
        return;
    if (n > 0)
        memcpy(w, v, n * sizeof(*w));
    if (n > 1)
        qsort(w, n, sizeof(*w), cmp_worst);
    fprintf(f, "answer: %zu server%s, %llu session%s", n, n == 1 ? "" : "s",
            (unsigned long long)t->sessions, t->sessions == 1 ? "" : "s");
    if (t->deliveries)
        fprintf(f, ", %llu deliver%s compared along the capture points",
                (unsigned long long)t->deliveries, t->deliveries == 1 ? "y" : "ies");
    fputs(" (the sessions and the details follow)\n", f);
    for (size_t i = 0; i < shown; i++) {
        const struct server *sv = w[i];
        const struct server_summary *s = sv->sum;

        fputs("  ", f);
        if (s->worst == SEV_NONE)
            fputs(r->color ? "\033[32mOK\033[0m      " : "OK      ", f);
        else
            sev_text(r, s->worst);
        fputc(' ', f);
        server_name(r, f, sv);
        if (s->conclusion != NULL) {
            fputs("\n           ", f);
            report_tx(f, s->conclusion);
        }
        report_verdict(sv, vb, sizeof(vb));
        fputs("\n           ", f);
        report_tx(f, vb);
        fputc('\n', f);
    }
    if (shown < n)
        fprintf(f, "  ... and %zu more server%s (below)\n", n - shown,
                n - shown == 1 ? "" : "s");
    if (r->evicted)
        fprintf(f, "  and %llu server summar%s written as their server left the table (below)\n",
                (unsigned long long)r->evicted, r->evicted == 1 ? "y" : "ies");
    fputc('\n', f);
    free(w);
}

/* spool_copy writes the blocks that waited to the real output. */
static void spool_copy(struct text_writer *r)
{
    char buf[16384];
    size_t k;

    fflush(r->spool);
    rewind(r->spool);
    while ((k = fread(buf, 1, sizeof(buf), r->spool)) > 0)
        fwrite(buf, 1, k, r->final);
    fclose(r->spool);
    r->spool = NULL;
    r->out = r->final;
}

static void text_finish(void *ctx, struct server *const *v, size_t n,
                        const struct pipeline_totals *t)
{
    struct text_writer *r = ctx;
    FILE *f = r->final;

    if (r->spool != NULL) {
        r->out = r->final;
        if (t->servers > 0)
            text_answer(r, v, n, t);
        spool_copy(r);
    }

    if (t->servers == 0 && t->deliveries == 0) {
        fputs("no mail sessions found\n", f);
        if (t->no_dialogue)
            no_dialogue_line(f, t);
        return;
    }
    if (t->servers == 0)
        ;   /* only JSON lines of other runs: the deliveries above are the report */
    else if (r->evicted)
        fprintf(f, "servers still in the table (%zu):\n", n);
    else
        fprintf(f, "servers (%zu):\n", n);
    for (size_t i = 0; i < n; i++)
        text_server(r, v[i]);
    if (t->deliveries)
        fprintf(f, "deliveries: %llu compared along the capture points\n",
                (unsigned long long)t->deliveries);
    if (t->unsummarised)
        fprintf(f, "  (%llu sessions to further servers not summarised: out of memory)\n",
                (unsigned long long)t->unsummarised);
    if (r->evicted)
        fprintf(f, "summary: %llu server summaries (%llu written as their server left the "
                "table; a server may have several)", (unsigned long long)t->servers,
                (unsigned long long)r->evicted);
    else
        fprintf(f, "summary: %llu server%s", (unsigned long long)t->servers,
                t->servers == 1 ? "" : "s");
    fprintf(f, ", %llu session%s (%llu with findings); findings: "
            "%llu critical, %llu high, %llu medium, %llu low, %llu info\n",
            (unsigned long long)t->sessions, t->sessions == 1 ? "" : "s",
            (unsigned long long)t->sessions_with_findings,
            (unsigned long long)t->by_sev[SEV_CRITICAL], (unsigned long long)t->by_sev[SEV_HIGH],
            (unsigned long long)t->by_sev[SEV_MEDIUM], (unsigned long long)t->by_sev[SEV_LOW],
            (unsigned long long)t->by_sev[SEV_INFO]);
    if (t->no_dialogue)
        no_dialogue_line(f, t);
}

struct text_writer *text_writer_new(FILE *out, const struct report_opts *o,
                                    const struct pipeline *pl, bool several_points)
{
    struct text_writer *r = calloc(1, sizeof(*r));

    if (r == NULL)
        return NULL;
    r->out = r->final = out;
    /* answer first: the blocks wait in a temporary file (memory stays flat);
     * without one they stream as on a live capture */
    if (o->answer_first && !o->quiet && (r->spool = tmpfile()) != NULL)
        r->out = r->spool;
    r->color = o->color;
    r->quiet = o->quiet;
    r->transcript = o->transcript;
    r->several_points = several_points;
    r->pl = pl;
    return r;
}

struct pipeline_consumer text_writer_consumer(struct text_writer *r)
{
    struct pipeline_consumer c = {
        .on_session = r->quiet ? NULL : text_session,
        .on_evicted = text_evicted,
        .on_delivery = text_delivery,
        .on_finish = text_finish,
        .ctx = r,
    };

    return c;
}

void text_writer_free(struct text_writer *r)
{
    if (r != NULL && r->spool != NULL)
        spool_copy(r);
    free(r);
}

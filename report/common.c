/*
 * common.c - the pieces of text every report writer prints the same way.
 */
#include "report/common.h"

#include <string.h>

#include "analyze/findings.h"
#include "analyze/names.h"
#include "lib/out.h"
#include "lib/strbuf.h"

void report_tx(FILE *f, const char *s)
{
    if (s)
        out_text_escaped(f, (const uint8_t *)s, strlen(s));
    else
        fputc('-', f);
}

char *report_cert_time(int64_t secs, char *buf, size_t size)
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

const char *report_cipher(uint16_t id, char *buf, size_t size)
{
    const char *n = names_cipher(id);

    if (n)
        return n;
    snprintf(buf, size, "0x%04X", id);
    return buf;
}

const char *report_side(enum tcp_dir d)
{
    return d == TCP_TO_SERVER ? "client" : "server";
}

void report_verdict(const struct server *sv, char *buf, size_t size)
{
    const struct server_summary *u = sv->sum;
    struct strbuf b;

    strbuf_init(&b, buf, size);
    if (sv->ncerts > 0) {
        const struct server_cert *c = &sv->certs[0];
        bool first = true;

        strbuf_printf(&b, "presented %s (sha256 %.16s...)", c->subject ? c->subject : "?",
                      c->sha256_hex);
        if (sv->ncerts > 1)
            strbuf_printf(&b, " and %zu other certificate%s", sv->ncerts - 1,
                          sv->ncerts > 2 ? "s" : "");
        /* the certificate's own faults; a mismatch is said with the
         * expectation below */
        for (unsigned k = 0; k < F_CODE_COUNT; k++) {
            if (k != F_CERT_MISMATCH && finding_concerns_certificate((enum finding_code)k) &&
                u->code_sessions[k]) {
                strbuf_printf(&b, "%s%s", first ? ", " : ", ",
                              finding_certificate_word((enum finding_code)k));
                first = false;
            }
        }
    } else if (u->hidden) {
        strbuf_lit(&b, "certificate hidden by TLS 1.3");
    } else if (u->tls_sessions) {
        strbuf_lit(&b, "no certificate seen");
    } else {
        strbuf_lit(&b, "no TLS");
    }
    if (u->expected)
        strbuf_printf(&b, "; expected %s - %s", u->expected,
                      u->code_sessions[F_CERT_MISMATCH] ? "certificate is not the expected one" :
                      sv->ncerts ? "as expected" : "not seen");
    if (u->worst == SEV_NONE) {
        strbuf_lit(&b, " - no findings");
    } else {
        enum finding_code worst = F_CODE_COUNT;

        for (unsigned k = 0; k < F_CODE_COUNT; k++)
            if (u->code_sessions[k] && u->code_sev[k] == u->worst) {
                worst = (enum finding_code)k;
                break;
            }
        strbuf_printf(&b, " - worst: %s %s", severity_name(u->worst),
                      worst < F_CODE_COUNT ? finding_code_name(worst) : "?");
    }
}

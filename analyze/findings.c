/*
 * findings.c - the code and severity tables, and the per-session list.
 */
#include "analyze/findings.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "lib/out.h"

static const char *const code_names[F_CODE_COUNT] = {
    [F_CERT_MISMATCH] = "CERT_MISMATCH",
    [F_SELF_SIGNED] = "SELF_SIGNED",
    [F_UNTRUSTED_CHAIN] = "UNTRUSTED_CHAIN",
    [F_NAME_MISMATCH] = "NAME_MISMATCH",
    [F_EXPIRED] = "EXPIRED",
    [F_NOT_YET_VALID] = "NOT_YET_VALID",
    [F_WEAK_KEY] = "WEAK_KEY",
    [F_WEAK_SIGNATURE] = "WEAK_SIGNATURE",
    [F_WEAK_PROTOCOL] = "WEAK_PROTOCOL",
    [F_WEAK_CIPHER] = "WEAK_CIPHER",
    [F_STARTTLS_NOT_OFFERED] = "STARTTLS_NOT_OFFERED",
    [F_STARTTLS_REFUSED] = "STARTTLS_REFUSED",
    [F_STARTTLS_STRIPPED] = "STARTTLS_STRIPPED",
    [F_TLS_ALERT] = "TLS_ALERT",
    [F_MAIL_IN_CLEAR] = "MAIL_IN_CLEAR",
    [F_SMTP_TLS_ERROR] = "SMTP_TLS_ERROR",
    [F_CERT_CHANGED] = "CERT_CHANGED",
    [F_CERT_HIDDEN] = "CERT_HIDDEN",
    [F_INCOMPLETE] = "INCOMPLETE",
    [F_TLS_TERMINATOR_CHANGED] = "TLS_TERMINATOR_CHANGED",
    [F_CHAIN_ORDER] = "CHAIN_ORDER",
    [F_CERT_REPLACED] = "CERT_REPLACED",
    [F_KNOWN_INTERCEPTOR] = "KNOWN_INTERCEPTOR",
    [F_TLS_TERMINATOR_SUSPECTED] = "TLS_TERMINATOR_SUSPECTED",
};

/* The findings about the presented certificate itself: they fail the
 * "certificate" step of a delivery, and the verdict line of a server names
 * them with these words (CERT_MISMATCH is said there as "not the expected
 * one", beside the expectation). */
static const char *const cert_words[F_CODE_COUNT] = {
    [F_CERT_MISMATCH] = "not the expected certificate",
    [F_SELF_SIGNED] = "self-signed",
    [F_UNTRUSTED_CHAIN] = "untrusted",
    [F_NAME_MISMATCH] = "wrong name",
    [F_EXPIRED] = "expired",
    [F_NOT_YET_VALID] = "not yet valid",
};

static const char *const sev_names[] = {
    [SEV_NONE] = "none",
    [SEV_INFO] = "info",
    [SEV_LOW] = "low",
    [SEV_MEDIUM] = "medium",
    [SEV_HIGH] = "high",
    [SEV_CRITICAL] = "critical",
};

const char *finding_code_name(enum finding_code c)
{
    return (unsigned)c < F_CODE_COUNT ? code_names[c] : "UNKNOWN";
}

bool finding_concerns_certificate(enum finding_code c)
{
    return (unsigned)c < F_CODE_COUNT && cert_words[c] != NULL;
}

const char *finding_certificate_word(enum finding_code c)
{
    return (unsigned)c < F_CODE_COUNT ? cert_words[c] : NULL;
}

bool finding_code_parse(const char *s, enum finding_code *out)
{
    for (unsigned i = 0; i < F_CODE_COUNT; i++) {
        if (strcasecmp(s, code_names[i]) == 0) {
            *out = (enum finding_code)i;
            return true;
        }
    }
    return false;
}

const char *severity_name(enum severity s)
{
    return (unsigned)s <= SEV_CRITICAL ? sev_names[s] : "unknown";
}

bool severity_parse(const char *s, enum severity *out)
{
    for (unsigned i = SEV_INFO; i <= SEV_CRITICAL; i++) {
        if (strcasecmp(s, sev_names[i]) == 0) {
            *out = (enum severity)i;
            return true;
        }
    }
    return false;
}

struct finding *findings_new(struct findings *f, enum finding_code code, enum severity sev)
{
    struct finding *x;

    if (sev == SEV_NONE)
        return NULL;
    if (f->n >= FINDINGS_MAX) {
        f->dropped++;
        return NULL;
    }
    x = &f->v[f->n++];
    x->code = code;
    x->sev = sev;
    x->msg[0] = '\0';
    return x;
}

void findings_add(struct findings *f, enum finding_code code, enum severity sev,
                  const char *fmt, ...)
{
    struct finding *x = findings_new(f, code, sev);
    va_list ap;

    if (x == NULL)
        return;
    va_start(ap, fmt);
    vsnprintf(x->msg, sizeof(x->msg), fmt, ap);
    va_end(ap);
}

void findings_add_str(struct findings *f, enum finding_code code, enum severity sev,
                      const char *msg)
{
    struct finding *x = findings_new(f, code, sev);
    struct strbuf b;

    if (x == NULL)
        return;
    strbuf_init(&b, x->msg, sizeof(x->msg));
    strbuf_puts(&b, msg);
}

bool findings_has(const struct findings *f, enum finding_code code)
{
    for (size_t i = 0; i < f->n; i++)
        if (f->v[i].code == code)
            return true;
    return false;
}

enum severity findings_max(const struct findings *f)
{
    enum severity m = SEV_NONE;

    for (size_t i = 0; i < f->n; i++)
        if (f->v[i].sev > m)
            m = f->v[i].sev;
    return m;
}

void findings_sort(struct findings *f)
{
    /* insertion sort: a handful of entries, and it is stable */
    for (size_t i = 1; i < f->n; i++) {
        struct finding t;
        size_t k = i;

        /* most lists are in order already: a finding is 520 bytes to copy */
        if (f->v[i - 1].sev >= f->v[i].sev)
            continue;
        t = f->v[i];

        while (k > 0 && f->v[k - 1].sev < t.sev) {
            f->v[k] = f->v[k - 1];
            k--;
        }
        f->v[k] = t;
    }
}

/*
 * findings.h - the finding codes, their severities and the per-session list.
 *
 * The codes are the stable strings of DESIGN.md ("add more, never rename"):
 * monitoring alerts on them.  This is the one table that names them; every
 * check elsewhere produces a code, a severity and a one-line message that
 * names its evidence (fingerprints, subjects, the reply or alert seen).
 */
#ifndef MXW_FINDINGS_H
#define MXW_FINDINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "analyze/severity.h"
#include "lib/strbuf.h"

enum finding_code {
    F_CERT_MISMATCH = 0,
    F_SELF_SIGNED,
    F_UNTRUSTED_CHAIN,
    F_NAME_MISMATCH,
    F_EXPIRED,
    F_NOT_YET_VALID,
    F_WEAK_KEY,
    F_WEAK_SIGNATURE,
    F_WEAK_PROTOCOL,
    F_WEAK_CIPHER,
    F_STARTTLS_NOT_OFFERED,
    F_STARTTLS_REFUSED,
    F_STARTTLS_STRIPPED,
    F_TLS_ALERT,
    F_MAIL_IN_CLEAR,
    F_SMTP_TLS_ERROR,
    F_CERT_CHANGED,
    F_CERT_HIDDEN,
    F_INCOMPLETE,
    F_TLS_TERMINATOR_CHANGED,
    F_CHAIN_ORDER,          /* chain sent out of order, with extra or repeated certificates */
    F_CERT_REPLACED,        /* several capture points: the certificate changed at a hop */
    F_KNOWN_INTERCEPTOR,    /* certificate or banner of a known gateway/firewall/proxy */
    F_TLS_TERMINATOR_SUSPECTED, /* one point: evidence of a box answering for the server */
    F_CODE_COUNT
};

#define FINDINGS_MAX 24          /* kept per session; the rest are counted */
#define FINDING_MSG_MAX 512      /* bytes of one message, NUL included */

/* A message is UTF-8 that may quote the wire (subjects, replies): escape it
 * when printing, as everything else from the wire. */
struct finding {
    enum finding_code code;
    enum severity sev;
    char msg[FINDING_MSG_MAX];
};

struct findings {
    struct finding v[FINDINGS_MAX];
    size_t n;
    size_t dropped;              /* findings beyond FINDINGS_MAX */
};

/* finding_code_name returns the stable code ("CERT_MISMATCH"). */
const char *finding_code_name(enum finding_code c);

/* finding_concerns_certificate: the finding is about the presented
 * certificate itself (CERT_MISMATCH, SELF_SIGNED, UNTRUSTED_CHAIN,
 * NAME_MISMATCH, EXPIRED, NOT_YET_VALID): the one list the steps, the
 * verdict lines and the tests read. */
bool finding_concerns_certificate(enum finding_code c);

/* finding_certificate_word returns how a verdict line names such a finding
 * ("self-signed", "wrong name", ...), NULL for the other codes. */
const char *finding_certificate_word(enum finding_code c);

/* finding_code_parse maps a code name (case-insensitive) back; false if
 * unknown. */
bool finding_code_parse(const char *s, enum finding_code *out);

/* severity_name returns "info", "low", "medium", "high", "critical" (and
 * "none" for SEV_NONE). */
const char *severity_name(enum severity s);

/* severity_parse reads one of those names (case-insensitive); false if it
 * is none of them. */
bool severity_parse(const char *s, enum severity *out);

/* findings_add appends a finding whose message is formatted from |fmt|
 * (cut at FINDING_MSG_MAX).  SEV_NONE adds nothing. */
void findings_add(struct findings *f, enum finding_code code, enum severity sev,
                  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* findings_new appends an entry with an empty message and returns it, for
 * the caller to write the message (strbuf); NULL for SEV_NONE, and when the
 * list is full (the entry is counted as dropped). */
struct finding *findings_new(struct findings *f, enum finding_code code, enum severity sev);

/* findings_add_str is findings_add(f, code, sev, "%s", msg) without the
 * formatting. */
void findings_add_str(struct findings *f, enum finding_code code, enum severity sev,
                      const char *msg);

/* findings_has says whether |code| is in the list. */
bool findings_has(const struct findings *f, enum finding_code code);

/* findings_max returns the worst severity in the list (SEV_NONE if empty). */
enum severity findings_max(const struct findings *f);

/* findings_sort orders the list by severity, worst first, keeping the order
 * in which the checks ran among equals. */
void findings_sort(struct findings *f);

#endif

/*
 * judge.c - the checks of one session, and what the judge remembers across
 * sessions (see judge.h).
 *
 * Severities, in one place so that they stay consistent:
 *   critical  the leaf is not what an explicit expectation names
 *   high      what makes a verifying sender refuse or queue the mail: no
 *             trust path, self-signed, wrong name, expired or not yet valid,
 *             STARTTLS refused, a 4.7.x/5.7.x reply, a sender's fatal alert
 *             against the certificate; and the broken crypto (SSLv3, MD5,
 *             keys under 1024 bits, NULL/anonymous/export suites)
 *   medium    mail that may travel in clear (STARTTLS not offered, MAIL
 *             FROM before TLS), TLS 1.0/1.1, RC4/3DES, small keys, a server
 *             whose certificate or TLS terminator changes, other fatal alerts
 *   low       CBC with SHA-1, chains sent out of order, warning alerts
 *   info      what could not be seen: the certificate hidden by TLS 1.3, a
 *             handshake cut by the capture
 */
#include "judge.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include "analyze/expect.h"
#include "analyze/hostname.h"
#include "lib/keyhash.h"
#include "analyze/servers.h"
#include "lib/out.h"
#include "analyze/verify.h"
#include "analyze/weak.h"

#define MAX_PINS 16             /* pins considered per session */
#define FAIL_WINDOW_US (15u * 60u * 1000000u)  /* a retry in clear within this follows a failure */
#define SUBJ_SHOWN 120          /* bytes of a subject quoted in a message */

/* ---- memory across sessions ------------------------------------------- */

/* Memos: what depends only on a certificate (and a name) is the same in
 * every session that presents it, so it is worked out once.  Small
 * direct-mapped tables keyed by the certificate's SHA-256: a miss only
 * costs the check again. */
#define MEMO_SLOTS 256
#define WHY_MAX 192

struct cert_memo {
    bool used;
    uint8_t sha[32];
    enum severity key_sev, sig_sev;
    char key_why[WHY_MAX], sig_why[WHY_MAX];
};

struct name_memo {
    bool used;
    uint8_t sha[32];
    char name[HOSTNAME_BUFSZ];
    enum hostname_result r;
};

struct suite_memo {
    bool used;
    uint16_t suite;
    enum severity sev;
    char why[WHY_MAX];
};

/* A server name as a session gave it (SNI or banner) and the identity it
 * names, so that the name is not normalized and the key not hashed twice
 * per session; only names that normalized, to an identity that exists. */
struct sname_memo {
    struct server *id;               /* NULL: empty slot */
    uint64_t hash;
    unsigned input;
    char name[HOSTNAME_BUFSZ];
};

/* Times quoted in messages: the first and last sessions of a certificate
 * stay the same over many sessions. */
#define TIME_SLOTS 64

struct time_memo {
    bool used;
    uint64_t us;
    char text[40];
};

/* The last CERT_CHANGED message of an identity (by slot): it reads the
 * same until the certificate it names is presented again (its count and
 * dates change), which for a server that changed is most of its sessions. */
#define CHANGE_SLOTS 128

struct change_memo {
    const struct server *id;         /* NULL: empty slot */
    uint8_t csha[32];                /* the earlier certificate named */
    size_t w;
    bool others;
    uint8_t leaf[32];
    uint64_t count, first_us, last_us;
    size_t len;
    char msg[FINDING_MSG_MAX];
};

struct judge {
    struct judge_opts o;
    struct verify_result vr;         /* scratch for verify_chain (several KB) */
    struct cert_memo cmemo[MEMO_SLOTS];
    struct name_memo nmemo[MEMO_SLOTS];
    struct suite_memo smemo[MEMO_SLOTS];
    struct sname_memo snmemo[MEMO_SLOTS];
    struct time_memo tmemo[TIME_SLOTS];
    struct change_memo chmemo[CHANGE_SLOTS];
    struct servers *servers;         /* o.servers, or the judge's own */
    struct server *last;             /* the last session's server, by address */
    bool own_servers;
    uint64_t seed;
    char **clock_notes;              /* per capture point: why its clock is in doubt */
    size_t nclock_notes;
};

struct judge *judge_new(const struct judge_opts *o)
{
    struct judge *j = calloc(1, sizeof(*j));

    if (j == NULL)
        return NULL;
    j->o = *o;
    j->servers = o->servers;
    if (j->servers == NULL) {
        if ((j->servers = servers_new(0)) == NULL) {
            free(j);
            return NULL;
        }
        j->own_servers = true;
    }
    /* the memos are keyed by names from the wire: a secret seed keeps a
     * sender from choosing their slots */
    if (getentropy(&j->seed, sizeof(j->seed)) != 0)
        j->seed = 0x9E3779B97F4A7C15u;
    return j;
}

void judge_free(struct judge *j)
{
    if (j == NULL)
        return;
    if (j->own_servers)
        servers_free(j->servers);
    for (size_t i = 0; i < j->nclock_notes; i++)
        free(j->clock_notes[i]);
    free(j->clock_notes);
    free(j);
}

int judge_clock_note(struct judge *j, unsigned point, const char *what)
{
    char *note;

    if (point >= j->nclock_notes) {
        size_t n = (size_t)point + 1;
        char **v = realloc(j->clock_notes, n * sizeof(*v));

        if (v == NULL)
            return -1;
        for (size_t i = j->nclock_notes; i < n; i++)
            v[i] = NULL;
        j->clock_notes = v;
        j->nclock_notes = n;
    }
    if ((note = strdup(what)) == NULL)
        return -1;
    free(j->clock_notes[point]);
    j->clock_notes[point] = note;
    return 0;
}

/* validity_note writes into |out| the message of a validity problem |p| of
 * a session at a capture point whose clock is in doubt: the problem, the
 * time it was judged at and why that time may be wrong.  False when the
 * point's clock is not in doubt (the message stays as it is). */
static bool validity_note(const struct judge *j, const struct session *s, int64_t at,
                          const struct verify_problem *p, char *out, size_t outlen)
{
    char t[40];

    if ((p->kind != VERIFY_EXPIRED && p->kind != VERIFY_NOT_YET_VALID) ||
        s->input >= j->nclock_notes || j->clock_notes[s->input] == NULL)
        return false;
    out_time_rfc3339(at > 0 ? (uint64_t)at * 1000000u : 0, t, sizeof(t));
    if (j->o.at_set)
        snprintf(out, outlen, "%s; judged as of %s (--at; the capture clock is in doubt: %s)",
                 p->message, t, j->clock_notes[s->input]);
    else
        snprintf(out, outlen, "%s; judged as of %s, the session's capture time, which is in "
                 "doubt: %s (--at TIME judges at another time)", p->message, t,
                 j->clock_notes[s->input]);
    return true;
}

/* change_slot: the CERT_CHANGED memo slot of an entry (by its address). */
static size_t change_slot(const struct server *sv)
{
    return (size_t)(((uint64_t)(uintptr_t)sv * 0x9E3779B97F4A7C15u >> 32) % CHANGE_SLOTS);
}

struct server *judge_server(const struct judge *j)
{
    return j->last;
}

void judge_forget(struct judge *j, const struct server *sv)
{
    struct change_memo *m = &j->chmemo[change_slot(sv)];

    if (j->last == sv)
        j->last = NULL;
    if (m->id == sv)
        m->id = NULL;
    /* the name memo is keyed by the name as sent, which the entry does not
     * keep: look through it, for names only */
    if (sv->kind == SERVER_BY_NAME)
        for (size_t i = 0; i < MEMO_SLOTS; i++)
            if (j->snmemo[i].id == sv)
                j->snmemo[i].id = NULL;
}

void judge_stats(const struct judge *j, uint64_t *verifications, uint64_t *verify_hits)
{
    struct verify_stats st = {0};

    if (j != NULL && j->o.store != NULL)
        verify_store_stats(j->o.store, &st);
    if (verifications != NULL)
        *verifications = st.verifications;
    if (verify_hits != NULL)
        *verify_hits = st.hits;
}

/* ---- message helpers ------------------------------------------------- */

/* subj writes at most SUBJ_SHOWN bytes of a subject ("?" if none), cut on a
 * UTF-8 boundary. */
static const char *subj_text(const char *s, char *buf, size_t size)
{
    size_t len, n;

    if (s == NULL)
        s = "(no subject)";
    n = len = strlen(s);
    if (n > SUBJ_SHOWN)
        n = SUBJ_SHOWN;
    if (n >= size)
        n = size - 1;
    while (n > 0 && n < len && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    memcpy(buf, s, n);
    buf[n] = '\0';
    if (n < len && n + 4 < size)
        strcat(buf, "...");
    return buf;
}

static const char *subj(const struct x509_info *xi, char *buf, size_t size)
{
    return subj_text(xi == NULL ? NULL : xi->parsed ? xi->subject : "(unparseable certificate)",
                     buf, size);
}

/* merge adds a finding, or, when |code| is already listed, appends the
 * message to it and keeps the worse severity: one entry per code. */
static void merge(struct findings *f, enum finding_code code, enum severity sev, const char *msg)
{
    if (sev == SEV_NONE)
        return;
    for (size_t i = 0; i < f->n; i++) {
        struct finding *x = &f->v[i];

        if (x->code != code)
            continue;
        if (sev > x->sev)
            x->sev = sev;
        size_t l = strlen(x->msg);
        if (l + 3 < sizeof(x->msg) && strstr(x->msg, msg) == NULL) {
            struct strbuf b;

            strbuf_init(&b, x->msg + l, sizeof(x->msg) - l);
            strbuf_lit(&b, "; ");
            strbuf_puts(&b, msg);
        }
        return;
    }
    findings_add_str(f, code, sev, msg);
}

/* pin_text describes |p| with the whole fingerprint (the message is
 * evidence: a reader compares it with `openssl x509 -fingerprint`). */
static void pin_text(const struct expect_pin *p, char *buf, size_t size)
{
    char h[65];

    switch (p->kind) {
    case EXPECT_SHA256:
    case EXPECT_SPKI:
        x509_hex(p->hash, 32, h);
        if (p->pem_file != NULL)
            snprintf(buf, size, "%s:%s (%s%spem:%s, %s)", expect_kind_name(p->kind), h,
                     p->subject ? p->subject : "", p->subject ? ", " : "", p->pem_file,
                     p->origin ? p->origin : "?");
        else
            snprintf(buf, size, "%s:%s (%s)", expect_kind_name(p->kind), h,
                     p->origin ? p->origin : "?");
        break;
    default:
        expect_pin_describe(p, buf, size);
        break;
    }
}

/* ---- the checks -------------------------------------------------------- */

static void check_smtp(struct judge *j, const struct session *s, struct findings *f)
{
    const struct smtp_facts *sf = s->smtp ? smtp_facts(s->smtp) : NULL;
    bool ehlo_seen, refused = false, not_offered;
    const char *masked;
    char m[FINDING_MSG_MAX];

    if (sf == NULL || s->implicit_tls)
        return;
    ehlo_seen = sf->ehlo && (sf->ncaps > 0 || sf->ehlo_host != NULL);
    not_offered = ehlo_seen && !sf->starttls_offered && !sf->x_anonymoustls_offered && !s->tls;
    masked = not_offered ? smtp_starttls_masked(sf) : NULL;
    if (masked != NULL)
        findings_add(f, F_STARTTLS_STRIPPED, SEV_HIGH,
                     "the EHLO reply lists '%s' where STARTTLS would be: a middlebox between "
                     "the sender and the server removed the offer (Cisco ESMTP inspection does "
                     "this)", masked);
    else if (not_offered)
        findings_add(f, F_STARTTLS_NOT_OFFERED, SEV_MEDIUM,
                     "the server's EHLO reply%s%s does not offer STARTTLS",
                     sf->ehlo_host ? " from " : "", sf->ehlo_host ? sf->ehlo_host : "");
    if (sf->starttls_requested && sf->starttls_code != 0 &&
        (sf->starttls_code < 200 || sf->starttls_code > 299)) {
        refused = true;
        findings_add(f, F_STARTTLS_REFUSED, SEV_HIGH, "the server answered STARTTLS with '%s'",
                     sf->starttls_reply ? sf->starttls_reply : "?");
    }
    for (size_t i = 0; i < sf->ntls_errors; i++) {
        const struct smtp_tls_error *e = &sf->tls_errors[i];
        char t[40];

        /* the refusal of STARTTLS itself is STARTTLS_REFUSED, quoted there */
        if (refused && sf->starttls_reply && e->text && !strcmp(e->text, sf->starttls_reply))
            continue;
        snprintf(m, sizeof(m), "the server replied '%s' at %s", e->text ? e->text : "?",
                 out_time_rfc3339(e->ts_us, t, sizeof(t)));
        merge(f, F_SMTP_TLS_ERROR, SEV_HIGH, m);
    }
    /* the same replies inside TLS, read with a key log */
    for (size_t i = 0; s->smtp_tls != NULL && i < smtp_facts(s->smtp_tls)->ntls_errors; i++) {
        const struct smtp_tls_error *e = &smtp_facts(s->smtp_tls)->tls_errors[i];
        char t[40];

        snprintf(m, sizeof(m), "the server replied '%s' inside TLS (decrypted) at %s",
                 e->text ? e->text : "?", out_time_rfc3339(e->ts_us, t, sizeof(t)));
        merge(f, F_SMTP_TLS_ERROR, SEV_HIGH, m);
    }
    if (sf->mail_in_clear) {
        const char *why;
        char buf[160];
        struct server *pair = servers_pair(j->servers, s->input, &s->client, &s->server,
                                           s->sport, false);

        if (masked != NULL)
            why = "the STARTTLS offer was removed on the way";
        else if (not_offered || (!sf->starttls_offered && !sf->x_anonymoustls_offered && sf->ehlo))
            why = "STARTTLS was not offered";
        else if (!sf->ehlo)
            why = "the client greeted with HELO, which cannot negotiate STARTTLS";
        else if (refused)
            why = "STARTTLS was refused";
        else if (pair != NULL && pair->fail_us != 0 && s->first_us >= pair->fail_us &&
                 s->first_us - pair->fail_us <= FAIL_WINDOW_US) {
            snprintf(buf, sizeof(buf), "the TLS handshake of session %llu from this client failed "
                     "%.0f s before", (unsigned long long)pair->fail_id,
                     (double)(s->first_us - pair->fail_us) / 1e6);
            why = buf;
        } else
            why = "STARTTLS was offered but the client did not use it";
        findings_add(f, F_MAIL_IN_CLEAR, SEV_MEDIUM, "MAIL FROM was sent without TLS: %s", why);
    }
}

/* A fatal alert from the client right after the server's certificate, of
 * one of these kinds, is the sender refusing the certificate. */
static bool cert_rejection(uint8_t desc)
{
    switch (desc) {
    case 42: /* bad_certificate */
    case 43: /* unsupported_certificate */
    case 44: /* certificate_revoked */
    case 45: /* certificate_expired */
    case 46: /* certificate_unknown */
    case 48: /* unknown_ca */
    case 49: /* access_denied */
    case 112: /* unrecognized_name */
        return true;
    default:
        return false;
    }
}

static void check_alerts(const struct session *s, struct findings *f)
{
    char m[FINDING_MSG_MAX];

    for (size_t i = 0; i < s->nalerts; i++) {
        const struct session_alert *a = &s->alerts[i];
        const char *who = a->from == TCP_TO_SERVER ? "client" : "server";
        const char *name = tls_alert_name(a->desc) ? tls_alert_name(a->desc) : "unknown";
        const char *after = a->after_type ? tls_hs_name(a->after_type) : NULL;
        char t[40], ctx[96] = "";
        enum severity sev;

        /* encrypted alerts are mostly close_notify; their kind is unknown */
        if (a->encrypted || (a->level == 1 && (a->desc == 0 || a->desc == 90)))
            continue;
        if (a->after_certificate)
            snprintf(ctx, sizeof(ctx), " right after the %s's Certificate",
                     a->from == TCP_TO_SERVER ? "server" : "client");
        else if (after != NULL)
            snprintf(ctx, sizeof(ctx), " after the %s's %s",
                     a->after_from == TCP_TO_SERVER ? "client" : "server", after);
        out_time_rfc3339(a->ts_us, t, sizeof(t));
        if (a->level == 2 && a->from == TCP_TO_SERVER && a->after_certificate &&
            cert_rejection(a->desc)) {
            sev = SEV_HIGH;
            snprintf(m, sizeof(m), "the client rejected the server's certificate: fatal %s%s at %s",
                     name, ctx, t);
        } else {
            sev = a->level == 2 ? SEV_MEDIUM : SEV_LOW;
            snprintf(m, sizeof(m), "the %s sent %s %s%s at %s", who,
                     tls_alert_level_name(a->level), name, ctx, t);
        }
        merge(f, F_TLS_ALERT, sev, m);
    }
}

static unsigned slot_of(const uint8_t *sha, uint32_t extra)
{
    uint32_t h;

    memcpy(&h, sha, sizeof(h));
    return (h ^ (extra * 0x9E3779B1u)) % MEMO_SLOTS;
}

static const struct cert_memo *cert_strength(struct judge *j, const struct x509_info *xi)
{
    struct cert_memo *m = &j->cmemo[slot_of(xi->sha256, 0)];

    if (!m->used || memcmp(m->sha, xi->sha256, 32) != 0) {
        m->used = true;
        memcpy(m->sha, xi->sha256, 32);
        m->key_why[0] = m->sig_why[0] = '\0';
        m->key_sev = weak_key(xi, m->key_why, sizeof(m->key_why));
        m->sig_sev = weak_signature(xi, false, m->sig_why, sizeof(m->sig_why));
    }
    return m;
}

static const struct suite_memo *suite_strength(struct judge *j, uint16_t suite)
{
    struct suite_memo *m = &j->smemo[(suite * 0x9E3779B1u) >> 24 & (MEMO_SLOTS - 1)];

    if (!m->used || m->suite != suite) {
        m->used = true;
        m->suite = suite;
        m->why[0] = '\0';
        m->sev = weak_cipher(suite, m->why, sizeof(m->why));
    }
    return m;
}

static void check_strength(struct judge *j, const struct session *s,
                           const struct x509_info *const *chain, size_t n, struct findings *f)
{
    char why[WHY_MAX], m[FINDING_MSG_MAX], sb[SUBJ_SHOWN + 8];
    enum severity sev;

    if (s->server_hello) {
        if ((sev = weak_protocol(s->version, why, sizeof(why))) != SEV_NONE)
            findings_add(f, F_WEAK_PROTOCOL, sev, "the server negotiated %s", why);
        const struct suite_memo *sm = suite_strength(j, s->cipher);

        if (sm->sev != SEV_NONE) {
            const char *cn = weak_cipher_name(s->cipher);

            if (cn != NULL)
                findings_add(f, F_WEAK_CIPHER, sm->sev, "the server chose %s: %s", cn, sm->why);
            else
                findings_add(f, F_WEAK_CIPHER, sm->sev, "the server chose 0x%04X: %s", s->cipher,
                             sm->why);
        }
    }
    if (s->kx_seen && (sev = weak_dh(&s->kx, why, sizeof(why))) != SEV_NONE) {
        snprintf(m, sizeof(m), "key exchange: %s", why);
        merge(f, F_WEAK_KEY, sev, m);
    }
    for (size_t i = 0; i < n; i++) {
        const struct cert_memo *cm;

        if (!chain[i]->parsed)
            continue;
        cm = cert_strength(j, chain[i]);
        if (cm->key_sev != SEV_NONE) {
            snprintf(m, sizeof(m), "%s %s: %s", i == 0 ? "leaf" : "chain certificate",
                     subj(chain[i], sb, sizeof(sb)), cm->key_why);
            merge(f, F_WEAK_KEY, cm->key_sev, m);
        }
        if (cm->sig_sev != SEV_NONE) {
            snprintf(m, sizeof(m), "%s %s: %s", i == 0 ? "leaf" : "chain certificate",
                     subj(chain[i], sb, sizeof(sb)), cm->sig_why);
            merge(f, F_WEAK_SIGNATURE, cm->sig_sev, m);
        }
    }
}

static enum finding_code verify_code(enum verify_kind k)
{
    switch (k) {
    case VERIFY_SELF_SIGNED_LEAF: return F_SELF_SIGNED;
    case VERIFY_EXPIRED: return F_EXPIRED;
    case VERIFY_NOT_YET_VALID: return F_NOT_YET_VALID;
    case VERIFY_OUT_OF_ORDER:
    case VERIFY_UNRELATED:
    case VERIFY_DUPLICATE: return F_CHAIN_ORDER;
    default: return F_UNTRUSTED_CHAIN;
    }
}

static void check_chain(struct judge *j, const struct session *s,
                        const struct x509_info *const *chain, size_t n, int64_t at,
                        struct findings *f)
{
    struct verify_result *vr = &j->vr;

    if (j->o.store == NULL || n == 0)
        return;
    if (verify_chain(j->o.store, chain, n, at, vr) == 0) {
        for (size_t i = 0; i < vr->nproblems; i++) {
            const struct verify_problem *p = &vr->problems[i];
            enum finding_code c = verify_code(p->kind);
            char m[FINDING_MSG_MAX];

            merge(f, c, c == F_CHAIN_ORDER ? SEV_LOW : SEV_HIGH,
                  validity_note(j, s, at, p, m, sizeof(m)) ? m : p->message);
        }
    }
}

/* name_check: hostname_check, remembered per certificate and name. */
static enum hostname_result name_check(struct judge *j, const struct x509_info *leaf,
                                       const char *name)
{
    uint32_t h = (uint32_t)keyhash(j->seed, (const uint8_t *)name, strlen(name));
    struct name_memo *m = &j->nmemo[slot_of(leaf->sha256, h)];

    if (m->used && memcmp(m->sha, leaf->sha256, 32) == 0 && strcmp(m->name, name) == 0)
        return m->r;
    if (strlen(name) >= sizeof(m->name))
        return hostname_check(leaf, name, NULL, 0);
    m->used = true;
    memcpy(m->sha, leaf->sha256, 32);
    strcpy(m->name, name);
    m->r = hostname_check(leaf, name, NULL, 0);
    return m->r;
}

static void check_names(struct judge *j, const struct session *s, const struct x509_info *leaf,
                        struct findings *f)
{
    const struct smtp_facts *sf = s->smtp ? smtp_facts(s->smtp) : NULL;
    const char *name = NULL, *src = NULL;
    char sb[SUBJ_SHOWN + 8], shown[256] = "";

    if (leaf == NULL || !leaf->parsed)
        return;
    if (s->sni != NULL && s->sni[0] != '\0') {
        name = s->sni;
        src = "the SNI";
    } else if (sf != NULL && hostname_fqdn_like(sf->banner_host)) {
        name = sf->banner_host;
        src = "the server's banner name";
    } else if (sf != NULL && hostname_fqdn_like(sf->ehlo_host)) {
        name = sf->ehlo_host;
        src = "the server's EHLO name";
    }
    if (name == NULL)
        return;
    switch (name_check(j, leaf, name)) {
    case HOST_NO_MATCH:
        for (size_t i = 0; i < leaf->nsan && i < 4; i++) {
            size_t l = strlen(shown);

            snprintf(shown + l, sizeof(shown) - l, "%s%s", i ? ", " : "", leaf->san[i]);
        }
        if (shown[0] == '\0' && leaf->nsubject_cn > 0)
            snprintf(shown, sizeof(shown), "CN %s", leaf->subject_cn[0]);
        findings_add(f, F_NAME_MISMATCH, SEV_HIGH,
                     "%s (%s) is not a name of the certificate %s, which names %s", name, src,
                     subj(leaf, sb, sizeof(sb)), shown[0] ? shown : "nothing");
        break;
    default:
        /* a match, or a name that is no host name (nothing to check) */
        break;
    }
}

/*
 * The size of a TLS 1.3 server flight against an expected pem: chain.
 *
 * Without a key log a TLS 1.3 session shows how many bytes the server's
 * encrypted flight took (struct tls_server_flight: its records after the
 * ServerHello until the client answered), not the certificate.  RFC 8446
 * fixes how a chain becomes bytes there, so the certificates of a pem:
 * expectation predict the least that flight can be:
 *
 *   EncryptedExtensions  4 + 2                 (an empty extension list, §4.3.1)
 *   Certificate          4 + 1 + 3, and per entry 3 + DER + 2
 *                        (§4.4.2: no request context, no entry extensions)
 *   CertificateVerify    4 + 2 + 2 + the signature: RSA the modulus, ECDSA at
 *                        least 6 + 2 * (coordinate - 1), Ed25519 64, Ed448 114
 *                        (struct expect_size.cv_min; 64 when unknown)
 *   Finished             4 + the hash: 48 for TLS_AES_256_GCM_SHA384, else 32
 *   records              each adds its inner content type and the AEAD tag
 *                        (1 + 16; 1 + 8 for TLS_AES_128_CCM_8_SHA256), at
 *                        least ceil(plaintext / 2^14) of them; the 5-byte
 *                        headers are not in enc_bytes
 *
 * The chain is the pem's certificates in file order, less a last one that is
 * self-issued when there are more (a server may leave the root out).  When
 * the last is not self-issued and its issuer is no trust anchor the verifier
 * knows, the server has to send that issuer too: it is not in the file (a
 * pem: often holds the leaf alone, while the server sends leaf and
 * intermediate), so a lower bound of its size counts (expect_size.issuer_min:
 * the issuer's name, a key of the kind and size its signature shows, 128
 * bytes for the rest).  Whatever else a server may send only makes the flight
 * longer (extensions, an OCSP staple, SCTs, a CertificateRequest, padding,
 * more records, a NewSessionTicket before the client's Finished), so a flight
 * shorter than that least is evidence that another chain was sent: another
 * box terminated TLS.  The other way is weaker, and only checked when the
 * whole chain is known (no issuer missing from the file, or the file's last
 * certificate self-issued): a flight more than FLIGHT_SLACK bytes above the
 * exact size with the root sent, four records and a CertificateVerify at its
 * longest - the slack being room for a CertificateRequest with CA names and
 * an OCSP staple.  Several pem: rules for one server are alternatives: the
 * flight must fit none of them.  A pin that is not from a pem: file predicts
 * nothing, and then neither does the set.
 */
#define FLIGHT_SLACK 4096u

struct flight_guess {
    uint64_t least, most;      /* most: only when whole */
    bool whole;                /* every certificate the server must send is in the file */
    uint32_t ncerts, der;      /* the file's certificates and their DER */
    uint32_t issuer_min;       /* the issuer not in the file: its least DER, else 0 */
    const char *file;
};

/* guess_flight predicts the flight for the pins of |rule| among |pins|. */
static void guess_flight(struct judge *j, const struct session *s,
                         const struct expect_pin *const *pins, size_t np, size_t rule,
                         struct flight_guess *g)
{
    const struct expect_pin *c[MAX_PINS], *last = NULL;
    size_t k = 0;
    uint64_t lo = 0, hi = 0, cv, plain_lo, plain_hi;
    unsigned hash = s->cipher == 0x1302 ? 48 : 32, tag = s->cipher == 0x1305 ? 8 : 16;

    memset(g, 0, sizeof(*g));
    for (size_t i = 0; i < np; i++)
        if (pins[i]->rule == rule && k < MAX_PINS)
            c[k++] = pins[i];
    /* file order (pem_index), leaf first */
    for (size_t a = 1; a < k; a++)
        for (size_t b = a; b > 0 && c[b - 1]->pem_index > c[b]->pem_index; b--) {
            const struct expect_pin *t = c[b];

            c[b] = c[b - 1];
            c[b - 1] = t;
        }
    g->file = c[0]->pem_file;
    g->ncerts = (uint32_t)k;
    for (size_t i = 0; i < k; i++) {
        uint64_t e = 5u + c[i]->size.der_len;

        g->der += c[i]->size.der_len;
        hi += e;
        if (!(i + 1 == k && k > 1 && c[i]->size.self_issued))
            lo += e;
    }
    last = c[k - 1];
    g->whole = last->size.self_issued ||
               verify_anchor_named(j->o.store, last->size.issuer_der, last->size.issuer_der_len);
    if (!g->whole) {
        g->issuer_min = last->size.issuer_min;
        lo += 5u + g->issuer_min;
    }
    cv = c[0]->size.cv_min ? c[0]->size.cv_min : 64;
    plain_lo = 6 + (8 + lo) + (8 + cv) + (4 + hash);
    g->least = plain_lo + (plain_lo + 16383) / 16384 * (1 + tag);
    plain_hi = 6 + (8 + hi) + (8 + cv + 8) + (4 + hash);
    g->most = plain_hi + (4 + plain_hi / 16384) * (1 + tag) + FLIGHT_SLACK;
}

/* check_flight: the TLS 1.3 flight against the pem: pins that apply (see
 * above); TLS_TERMINATOR_CHANGED when it fits none. */
static void check_flight(struct judge *j, const struct session *s,
                         const struct expect_pin *const *pins, size_t np, struct findings *f)
{
    const struct tls_server_flight *fl = &s->server_flight;
    struct flight_guess g, first = {0};   /* set with the first rule (nrules > 0) */
    char msg[FINDING_MSG_MAX], extra[96] = "";
    struct strbuf b;
    size_t nrules = 0;

    if (!s->cert_hidden || s->version != 0x0304 || !fl->enc_complete || fl->enc_records == 0)
        return;
    for (size_t i = 0; i < np; i++)
        if (pins[i]->size.der_len == 0)
            return;   /* an alternative that predicts nothing */
    for (size_t i = 0; i < np; i++) {
        bool seen = false;

        for (size_t k = 0; k < i; k++)
            seen = seen || pins[k]->rule == pins[i]->rule;
        if (seen)
            continue;
        guess_flight(j, s, pins, np, pins[i]->rule, &g);
        if (fl->enc_bytes >= g.least && (!g.whole || fl->enc_bytes <= g.most))
            return;   /* fits this one */
        if (nrules++ == 0)
            first = g;
    }
    if (nrules == 0)
        return;
    if (first.issuer_min > 0)
        snprintf(extra, sizeof(extra), ", and its issuer, not in the file: at least %u bytes",
                 (unsigned)first.issuer_min);
    /* the one innocent reading of a short flight: a server that leaves out
     * the issuer it must send (a chain that does not verify) */
    const char *innocent = first.issuer_min > 0
                               ? " (or the server left out the issuer it must send)"
                               : "";

    /* the numbers and the conclusion first, the file last: a long path
     * only shortens the tail (strbuf cuts it) */
    strbuf_init(&b, msg, sizeof(msg));
    if (fl->enc_bytes < first.least)
        strbuf_printf(&b,
                 "the server's encrypted TLS 1.3 flight took %u bytes in %u records, less than "
                 "the %llu the expected chain needs at least: evidence, not proof, that "
                 "another certificate answered and another box terminated TLS%s%s; the "
                 "flight's size is all TLS 1.3 shows without a key log; expected pem:%s: %u "
                 "certificate%s, %u bytes of DER%s",
                 (unsigned)fl->enc_bytes, (unsigned)fl->enc_records,
                 (unsigned long long)first.least, innocent,
                 nrules > 1 ? ", nor does it fit the other expected chains" : "", first.file,
                 (unsigned)first.ncerts, first.ncerts == 1 ? "" : "s", (unsigned)first.der,
                 extra);
    else
        strbuf_printf(&b,
                 "the server's encrypted TLS 1.3 flight took %u bytes in %u records, more than "
                 "the %llu the expected chain can make with %u bytes of room for a "
                 "CertificateRequest or an OCSP staple: evidence, not proof, that another "
                 "certificate answered and another box terminated TLS%s; the flight's size is "
                 "all TLS 1.3 shows without a key log; expected pem:%s: %u certificate%s, %u "
                 "bytes of DER",
                 (unsigned)fl->enc_bytes, (unsigned)fl->enc_records,
                 (unsigned long long)first.most, FLIGHT_SLACK,
                 nrules > 1 ? ", nor does it fit the other expected chains" : "", first.file,
                 (unsigned)first.ncerts, first.ncerts == 1 ? "" : "s", (unsigned)first.der);
    merge(f, F_TLS_TERMINATOR_CHANGED, SEV_MEDIUM, msg);
}

static void check_expect(struct judge *j, const struct session *s,
                         const struct x509_info *leaf, struct findings *f,
                         char *expected, size_t expected_len)
{
    const struct smtp_facts *sf = s->smtp ? smtp_facts(s->smtp) : NULL;
    const struct expect_pin *pins[MAX_PINS];
    const char *names[3];
    struct expect_target t;
    size_t np, shown;
    char desc[FINDING_MSG_MAX], one[320], sb[SUBJ_SHOWN + 8];

    if (j->o.expect == NULL)
        return;
    names[0] = s->sni;
    names[1] = sf ? sf->banner_host : NULL;
    names[2] = sf ? sf->ehlo_host : NULL;
    memset(&t, 0, sizeof(t));
    t.addr = s->server;
    t.port = s->sport;
    t.names = names;
    t.nnames = 3;
    np = expect_lookup(j->o.expect, &t, pins, MAX_PINS);
    if (np == 0)
        return;
    shown = np < MAX_PINS ? np : MAX_PINS;
    desc[0] = '\0';
    for (size_t i = 0; i < shown; i++) {
        size_t l = strlen(desc);

        pin_text(pins[i], one, sizeof(one));
        snprintf(desc + l, sizeof(desc) - l, "%s%s", i ? " or " : "", one);
    }
    if (expected != NULL && expected_len > 0)
        snprintf(expected, expected_len, "%s", desc);
    if (leaf == NULL) {
        /* hidden or not seen: no certificate to compare, but TLS 1.3's
         * flight size may tell */
        if (np <= MAX_PINS)
            check_flight(j, s, pins, shown, f);
        return;
    }
    for (size_t i = 0; i < shown; i++)
        if (expect_pin_matches(pins[i], leaf))
            return;
    findings_add(f, F_CERT_MISMATCH, SEV_CRITICAL,
                 "presented sha256:%s (%s), expected %s", leaf->sha256_hex,
                 subj(leaf, sb, sizeof(sb)), desc);
}

/* name_server finds or adds the entry of the server name |name| seen at
 * capture point |input|; NULL when the name is no host name or the entry
 * could not be had. */
static struct server *name_server(struct judge *j, unsigned input, const char *name)
{
    size_t len = strlen(name);
    uint64_t h = keyhash(j->seed, (const uint8_t *)name, len);
    struct sname_memo *m = &j->snmemo[(h ^ input * 0x9E3779B1u) % MEMO_SLOTS];
    char norm[HOSTNAME_BUFSZ];
    struct server *id;

    if (m->id != NULL && m->hash == h && m->input == input && strcmp(m->name, name) == 0) {
        /* found again: the most recently seen, as a lookup would make it */
        servers_touch(j->servers, m->id);
        return m->id;
    }
    if (!hostname_normalize(name, norm, sizeof(norm)) ||
        (id = servers_name(j->servers, input, norm, true)) == NULL)
        return NULL;
    /* an evicted entry leaves the slot through judge_forget */
    if (len < sizeof(m->name)) {
        m->id = id;
        m->hash = h;
        m->input = input;
        memcpy(m->name, name, len + 1);
    }
    return id;
}

/* server_who: the entry as a message names it: the first of a session by
 * the server's address and port (remembered with the entry), the second by
 * its normalized name. */
static const char *server_who(const struct session *s, struct server *id, char *ep, size_t eplen)
{
    if (id->kind == SERVER_BY_NAME)
        return id->name;
    if (id->who != NULL)
        return id->who;
    cap_endpoint_format(&s->server, s->sport, ep, eplen);
    id->who = strdup(ep);   /* none: formatted again next time */
    return ep;
}

/* flight_usual compares a hidden TLS 1.3 session's encrypted flight with
 * the one its server (by address) sent first: a chain of other
 * certificates is another size, while what a server varies from one
 * session to the next (an ECDSA signature's DER length, a stapled OCSP
 * response renewed, a session ticket's extension) stays within
 * FLIGHT_USUAL bytes.  A renewal by the same CA with the same kind of key
 * stays within it too, and is not reported: what is reported is evidence
 * that another chain, likely another box, answered (a self-signed
 * certificate of an appliance is a whole certificate shorter). */
#define FLIGHT_USUAL 256
static void flight_usual(const struct session *s, struct server *id, struct findings *f)
{
    const struct tls_server_flight *fl = &s->server_flight;
    char ep[80];

    if (s->version != 0x0304 || !fl->enc_complete || fl->enc_bytes == 0)
        return;
    if (id->flight_bytes == 0) {
        id->flight_bytes = fl->enc_bytes;
        id->flight_sessions = 1;
        return;
    }
    if (fl->enc_bytes + FLIGHT_USUAL >= id->flight_bytes &&
        fl->enc_bytes <= id->flight_bytes + FLIGHT_USUAL) {
        id->flight_sessions++;
        return;
    }
    findings_add(f, F_TLS_TERMINATOR_CHANGED, SEV_MEDIUM,
                 "%s sent an encrypted TLS 1.3 flight of %u bytes, where its earlier sessions "
                 "(%llu) sent %u: another certificate chain than before, likely another box "
                 "terminating TLS (evidence, not proof: the same ServerHello fingerprint, "
                 "certificates hidden)", server_who(s, id, ep, sizeof(ep)), fl->enc_bytes,
                 (unsigned long long)id->flight_sessions, id->flight_bytes);
}

/* time_text is out_time_rfc3339, remembered (a miss formats again). */
static const char *time_text(struct judge *j, uint64_t us)
{
    struct time_memo *m = &j->tmemo[(us * 0x9E3779B97F4A7C15u >> 32) % TIME_SLOTS];

    if (!m->used || m->us != us) {
        m->used = true;
        m->us = us;
        out_time_rfc3339(us, m->text, sizeof(m->text));
    }
    return m->text;
}

/* cert_subj is subj for a remembered certificate. */
static const char *cert_subj(const struct server_cert *c, char *buf, size_t size)
{
    return subj_text(c->parsed ? c->subject : "(unparseable certificate)", buf, size);
}

/* cert_changed adds the CERT_CHANGED finding: entry |id| (the |w|-th of
 * session |s|) presented |leaf| where its earlier sessions showed |c| (and
 * more certificates if |others|). */
static void cert_changed(struct judge *j, const struct session *s, struct server *id, size_t w,
                         const struct x509_info *leaf, const struct server_cert *c, bool others,
                         struct findings *f)
{
    struct finding *x = findings_new(f, F_CERT_CHANGED, SEV_MEDIUM);
    struct change_memo *m = &j->chmemo[change_slot(id)];
    char sb[SUBJ_SHOWN + 8], ep[80];
    struct strbuf b;

    if (x == NULL)
        return;
    if (m->id == id && memcmp(m->csha, c->sha256, 32) == 0 && m->w == w &&
        m->others == others && m->count == c->count && m->first_us == c->first_us &&
        m->last_us == c->last_us && memcmp(m->leaf, leaf->sha256, 32) == 0) {
        memcpy(x->msg, m->msg, m->len + 1);
        return;
    }
    /* "%s presented sha256:%s (%s) here, but sha256:%s (%s) in %llu earlier
     * session%s (%s .. %s)%s", piece by piece */
    strbuf_init(&b, x->msg, sizeof(x->msg));
    strbuf_puts(&b, server_who(s, id, ep, sizeof(ep)));
    strbuf_lit(&b, " presented sha256:");
    strbuf_puts(&b, leaf->sha256_hex);
    strbuf_lit(&b, " (");
    strbuf_puts(&b, subj(leaf, sb, sizeof(sb)));
    strbuf_lit(&b, ") here, but sha256:");
    strbuf_puts(&b, c->sha256_hex);
    strbuf_lit(&b, " (");
    strbuf_puts(&b, cert_subj(c, sb, sizeof(sb)));
    strbuf_lit(&b, ") in ");
    strbuf_u64(&b, c->count);
    strbuf_lit(&b, " earlier session");
    if (c->count != 1)
        strbuf_lit(&b, "s");
    strbuf_lit(&b, " (");
    strbuf_puts(&b, time_text(j, c->first_us));
    strbuf_lit(&b, " .. ");
    strbuf_puts(&b, time_text(j, c->last_us));
    strbuf_lit(&b, ")");
    if (others)
        strbuf_lit(&b, " and others");
    m->id = id;
    memcpy(m->csha, c->sha256, 32);
    m->w = w;
    m->others = others;
    memcpy(m->leaf, leaf->sha256, 32);
    m->count = c->count;
    m->first_us = c->first_us;
    m->last_us = c->last_us;
    m->len = b.len;
    memcpy(m->msg, x->msg, b.len + 1);
}

/* check_changes compares the leaf and the TLS fingerprint with what this
 * server presented in its earlier sessions, then remembers them: by the
 * address and port, and by the name the session gave (SNI, else banner).
 * Certificates the server stopped presenting retire (servers.h), so a
 * renewal is one change, not a change for ever. */
static void check_changes(struct judge *j, const struct session *s, const struct x509_info *leaf,
                          struct findings *f)
{
    const struct smtp_facts *sf = s->smtp ? smtp_facts(s->smtp) : NULL;
    const char *name = s->sni && s->sni[0] ? s->sni : sf ? sf->banner_host : NULL;
    char ep[80];
    struct server *ids[2];
    size_t nids = 0;

    if ((ids[0] = j->last = servers_addr(j->servers, s->input, &s->server, s->sport, true)) != NULL)
        nids++;
    if (name != NULL && (ids[nids] = name_server(j, s->input, name)) != NULL)
        nids++;

    for (size_t w = 0; w < nids; w++) {
        struct server *id = ids[w];

        if (leaf != NULL) {
            struct server_cert *same = server_cert_find(id, leaf->sha256);
            const struct server_cert *other = NULL;
            size_t others = 0;

            id->seq++;
            server_certs_age(id, same);
            for (size_t i = 0; i < id->ncerts; i++) {
                if (&id->certs[i] == same || id->certs[i].retired)
                    continue;
                if (other == NULL)
                    other = &id->certs[i];
                others++;
            }
            /* one finding per session, naming the first other certificate */
            if (other != NULL && !findings_has(f, F_CERT_CHANGED))
                cert_changed(j, s, id, w, leaf, other, others > 1, f);
            if (same != NULL)
                server_cert_seen(id, same, s->first_us);
            else
                server_cert_add(id, leaf->sha256, leaf->subject, leaf->issuer, leaf->parsed,
                                leaf->self_signed, s->first_us);
        } else if (s->cert_hidden && s->ja3s != NULL && w == 0) {
            /* without a certificate, the ServerHello's fingerprint says
             * whether the same kind of box answered, and the size of its
             * encrypted flight whether it sent the same chain */
            if (id->ja3s != NULL && strcmp(id->ja3s, s->ja3s) != 0)
                findings_add(f, F_TLS_TERMINATOR_CHANGED, SEV_MEDIUM,
                             "%s answered with ServerHello fingerprint (JA3S string) %s, "
                             "unlike its earlier sessions (%s)",
                             server_who(s, id, ep, sizeof(ep)), s->ja3s, id->ja3s);
            else
                flight_usual(s, id, f);
        }
        if (w == 0 && s->ja3s != NULL && id->ja3s == NULL)
            id->ja3s = strdup(s->ja3s);
    }
}

static bool tls_failed(const struct session *s)
{
    if (!s->tls || s->tls_state == SESSION_TLS_ESTABLISHED || s->incomplete)
        return false;
    for (size_t i = 0; i < s->nalerts; i++)
        if (!s->alerts[i].encrypted && s->alerts[i].level == 2)
            return true;
    return s->end == TCP_CLOSE_RST || s->end == TCP_CLOSE_FIN;
}

void judge_session(struct judge *j, const struct session *s,
                   const struct x509_info *const *chain, size_t n,
                   struct findings *out, char *expected, size_t expected_len)
{
    const struct x509_info *leaf = n > 0 && !s->cert_hidden ? chain[0] : NULL;
    int64_t at = j->o.at_set ? j->o.at : (int64_t)(s->first_us / 1000000u);

    out->n = 0;
    out->dropped = 0;
    j->last = NULL;
    if (expected != NULL && expected_len > 0)
        expected[0] = '\0';

    check_expect(j, s, leaf, out, expected, expected_len);
    if (leaf != NULL) {
        check_chain(j, s, chain, n, at, out);
        check_names(j, s, leaf, out);
    }
    check_strength(j, s, leaf != NULL ? chain : NULL, leaf != NULL ? n : 0, out);
    check_smtp(j, s, out);
    check_alerts(s, out);
    check_changes(j, s, leaf, out);
    if (s->cert_hidden && s->decrypt == SESSION_DECRYPT_NONE)
        findings_add(out, F_CERT_HIDDEN, SEV_INFO,
                     "TLS %s encrypts the certificate and no key log was given",
                     tls_version_name(s->version));
    else if (s->cert_hidden)
        findings_add(out, F_CERT_HIDDEN, SEV_INFO,
                     "TLS %s encrypts the certificate and the key log did not decrypt it: %s",
                     tls_version_name(s->version),
                     s->decrypt == SESSION_DECRYPT_MISSING_SECRET
                         ? "no secret for this session's client random"
                         : s->decrypt == SESSION_DECRYPT_BAD_TAG
                               ? "a record did not verify (a wrong secret)"
                               : s->decrypt == SESSION_DECRYPT_UNSUPPORTED
                                     ? "a cipher suite it cannot decrypt"
                                     : "decryption failed");
    if (s->incomplete)
        findings_add(out, F_INCOMPLETE, SEV_INFO,
                     "the capture ended or missed bytes before the handshake finished (last: %s)",
                     session_tls_state_name(s->tls_state));
    if (s->alloc_failed & (SESSION_ALLOC_BIT(SESSION_ALLOC_TLS) |
                           SESSION_ALLOC_BIT(SESSION_ALLOC_SERVER_CHAIN)))
        merge(out, F_INCOMPLETE, SEV_INFO,
              s->alloc_failed & SESSION_ALLOC_BIT(SESSION_ALLOC_TLS) ?
              "the TLS handshake could not be kept (out of memory): the certificate checks "
              "did not run" :
              "the server's certificate chain could not be kept (out of memory): the "
              "certificate checks did not run (raise --memcap if it said so)");
    for (int d = 0; d < 2; d++)
        if (s->tls_error[d] == TLS_ERR_HS_MEMCAP)
            merge(out, F_INCOMPLETE, SEV_INFO,
                  d == TCP_TO_CLIENT
                      ? "a handshake message of the server spanning records could not be "
                        "held (the --memcap budget or memory ran out): the rest of its "
                        "handshake was not read"
                      : "a handshake message of the client spanning records could not be "
                        "held (the --memcap budget or memory ran out): the rest of its "
                        "handshake was not read");
    /* remember a failed handshake, so that the client's retry in clear can
     * say why; a handshake that worked since makes it history */
    if (s->tls) {
        struct server *pair;

        if (tls_failed(s) &&
            (pair = servers_pair(j->servers, s->input, &s->client, &s->server, s->sport,
                                 true)) != NULL) {
            pair->fail_id = s->id;
            pair->fail_us = s->last_us;
        } else if (s->tls_state == SESSION_TLS_ESTABLISHED &&
                   (pair = servers_pair(j->servers, s->input, &s->client, &s->server, s->sport,
                                        false)) != NULL) {
            pair->fail_id = pair->fail_us = 0;
        }
    }
    findings_sort(out);
}

/* ---- the matrix -------------------------------------------------------- */

static const char *const step_names[STEP_COUNT] = {
    [STEP_CONNECT] = "connect",
    [STEP_BANNER] = "banner",
    [STEP_EHLO] = "ehlo",
    [STEP_STARTTLS] = "starttls",
    [STEP_TLS] = "tls",
    [STEP_CERTIFICATE] = "certificate",
    [STEP_STRENGTH] = "strength",
};

const char *judge_step_name(enum judge_step st)
{
    return (unsigned)st < STEP_COUNT ? step_names[st] : "?";
}

const char *step_state_name(enum step_state s)
{
    switch (s) {
    case STEP_PASS: return "pass";
    case STEP_FAIL: return "fail";
    case STEP_NA: return "n/a";
    default: return "not seen";
    }
}

void judge_steps(const struct session *s, const struct findings *f,
                 enum step_state out[STEP_COUNT])
{
    const struct smtp_facts *sf = s->smtp ? smtp_facts(s->smtp) : NULL;
    bool fatal = false, cert_failed = false;

    for (size_t i = 0; i < s->nalerts; i++)
        if (!s->alerts[i].encrypted && s->alerts[i].level == 2)
            fatal = true;

    out[STEP_CONNECT] = s->midstream ? STEP_NOT_SEEN : STEP_PASS;

    if (s->implicit_tls) {
        out[STEP_BANNER] = out[STEP_EHLO] = out[STEP_STARTTLS] = STEP_NA;
    } else {
        out[STEP_BANNER] = sf == NULL || sf->greeting_code == 0 ? STEP_NOT_SEEN :
                           sf->greeting_code == 220 ? STEP_PASS : STEP_FAIL;
        out[STEP_EHLO] = sf != NULL && (sf->ncaps > 0 || sf->ehlo_host != NULL) ? STEP_PASS :
                         STEP_NOT_SEEN;
        if (findings_has(f, F_STARTTLS_NOT_OFFERED) || findings_has(f, F_STARTTLS_REFUSED) ||
            findings_has(f, F_STARTTLS_STRIPPED) ||
            (sf != NULL && sf->mail_in_clear))
            out[STEP_STARTTLS] = STEP_FAIL;
        else if (sf != NULL && (sf->tls_started || s->tls))
            out[STEP_STARTTLS] = STEP_PASS;
        else
            out[STEP_STARTTLS] = STEP_NOT_SEEN;
    }

    if (!s->tls)
        out[STEP_TLS] = STEP_NOT_SEEN;
    else if (fatal)
        out[STEP_TLS] = STEP_FAIL;
    else if (s->tls_state == SESSION_TLS_ESTABLISHED)
        out[STEP_TLS] = STEP_PASS;
    else
        out[STEP_TLS] = STEP_NOT_SEEN;

    for (size_t i = 0; i < f->n; i++)
        if (finding_concerns_certificate(f->v[i].code))
            cert_failed = true;
    if (cert_failed)
        out[STEP_CERTIFICATE] = STEP_FAIL;
    else if (s->server_chain.seen && s->server_chain.n > 0 && !s->cert_hidden)
        out[STEP_CERTIFICATE] = STEP_PASS;
    else
        out[STEP_CERTIFICATE] = STEP_NOT_SEEN;

    if (findings_has(f, F_WEAK_PROTOCOL) || findings_has(f, F_WEAK_CIPHER) ||
        findings_has(f, F_WEAK_KEY) || findings_has(f, F_WEAK_SIGNATURE))
        out[STEP_STRENGTH] = STEP_FAIL;
    else if (s->server_hello)
        out[STEP_STRENGTH] = STEP_PASS;
    else
        out[STEP_STRENGTH] = STEP_NOT_SEEN;
}

/*
 * weak.c - strength checks (see weak.h for the thresholds).
 *
 * Decisions:
 *  - One scale for every algorithm family: SP 800-57 Part 1 Table 2 gives
 *    80 bits of security for RSA/DSA/DH 1024 and EC 160, 112 bits for
 *    RSA/DSA/DH 2048 and EC 224.  Below 80 is high, below 112 medium.  So
 *    secp160r1 and sect163k1 are medium and secp112r1 would be high.
 *  - A trust anchor's own signature is not part of path validation (RFC 5280
 *    §6.1.1(d): the anchor is a name and a key), so no hash on a trust
 *    anchor or a self-signed root is weak.  A self-signed leaf is not a root:
 *    its SHA-1 is reported (a pin on it is the caller's is_trust_anchor).
 *  - Cipher suites are judged from their parts in the one cipher suite
 *    table (dissect/tls_suite.h: key exchange, authentication, cipher, mode,
 *    MAC, export grade), so every suite the table lists is covered by the
 *    same few rules and no second list of suites can drift from it.  The
 *    CBC note is only added when the cipher itself is not already weak, so a
 *    3DES suite reads "3DES (64-bit block, Sweet32)" and not also "CBC".
 *  - Static DH/ECDH and RSA key transport (no forward secrecy) are not
 *    reported: neither is in the brief's classes and both are still common
 *    between MTAs; the findings table can add a class later.
 */
#include "analyze/weak.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <openssl/objects.h>
#include <openssl/x509.h>

#include "analyze/findings.h"
#include "analyze/names.h"
#include "analyze/x509.h"
#include "dissect/tls.h"
#include "dissect/tls_suite.h"

/* ---------------------------------------------------------------- helpers */

/* set_reason copies |s| as snprintf("%s") would (cut at reason_len - 1):
 * the protocol and key exchange checks run on every session. */
static void set_reason(char *reason, size_t reason_len, const char *s)
{
    struct strbuf b;

    if (reason == NULL)
        return;
    strbuf_init(&b, reason, reason_len);
    strbuf_puts(&b, s);
}

static enum severity by_bits(int bits, int high_below, int medium_below)
{
    if (bits <= 0)
        return SEV_NONE;
    if (bits < high_below)
        return SEV_HIGH;
    if (bits < medium_below)
        return SEV_MEDIUM;
    return SEV_NONE;
}

/* ------------------------------------------------------------------- keys */

enum severity weak_key(const struct x509_info *xi, char *reason, size_t reason_len)
{
    char buf[160];
    enum severity sev = SEV_NONE;
    int lim;

    set_reason(reason, reason_len, "");
    if (xi == NULL || !xi->parsed || xi->key_alg == NULL || xi->key_bits <= 0)
        return SEV_NONE;
    if (strcmp(xi->key_alg, "RSA") == 0 || strcmp(xi->key_alg, "RSASSA-PSS") == 0 ||
        strcmp(xi->key_alg, "DSA") == 0 || strcmp(xi->key_alg, "DH") == 0) {
        sev = by_bits(xi->key_bits, 1024, 2048);
        lim = sev == SEV_HIGH ? 1024 : 2048;
        snprintf(buf, sizeof(buf), "%s key of %d bits (below %d)", xi->key_alg, xi->key_bits, lim);
    } else if (strcmp(xi->key_alg, "EC") == 0) {
        sev = by_bits(xi->key_bits, 160, 224);
        lim = sev == SEV_HIGH ? 160 : 224;
        if (xi->key_curve != NULL)
            snprintf(buf, sizeof(buf), "EC key of %d bits on %.64s (below %d)", xi->key_bits,
                     xi->key_curve, lim);
        else
            snprintf(buf, sizeof(buf), "EC key of %d bits (below %d)", xi->key_bits, lim);
    }
    /* ED25519, ED448 and the rest: fixed-size, no weak sizes to judge */
    if (sev != SEV_NONE)
        set_reason(reason, reason_len, buf);
    return sev;
}

/* ------------------------------------------------------------- signatures */

enum sig_hash { H_OTHER, H_MD2, H_MD4, H_MD5, H_SHA0, H_SHA1 };

static enum sig_hash hash_of_nid(int nid)
{
    switch (nid) {
    case NID_md2: return H_MD2;
    case NID_md4: return H_MD4;
    case NID_md5: return H_MD5;
    case NID_sha: return H_SHA0;
    case NID_sha1: return H_SHA1;
    default: return H_OTHER;
    }
}

/* hash_of_name reads the hash out of an algorithm name such as
 * "md5WithRSAEncryption", "ecdsa-with-SHA1" or "dsaWithSHA1", for
 * certificates we only have the text of. */
static enum sig_hash hash_of_name(const char *name)
{
    char low[128];
    size_t i;

    for (i = 0; name[i] != '\0' && i < sizeof(low) - 1; i++)
        low[i] = (char)tolower((unsigned char)name[i]);
    low[i] = '\0';
    if (strstr(low, "md2") != NULL)
        return H_MD2;
    if (strstr(low, "md4") != NULL)
        return H_MD4;
    if (strstr(low, "md5") != NULL)
        return H_MD5;
    if (strstr(low, "sha1") != NULL || strstr(low, "sha-1") != NULL)
        return H_SHA1;
    if (strncmp(low, "shawith", 7) == 0)  /* shaWithRSAEncryption: SHA-0 */
        return H_SHA0;
    return H_OTHER;
}

enum severity weak_signature(const struct x509_info *xi, bool is_trust_anchor, char *reason,
                             size_t reason_len)
{
    enum sig_hash h = H_OTHER;
    const char *alg, *hname;
    enum severity sev;
    char buf[200];
    int mdnid = NID_undef;

    set_reason(reason, reason_len, "");
    if (xi == NULL || !xi->parsed)
        return SEV_NONE;
    if (is_trust_anchor || (xi->self_signed && (xi->is_ca || xi->version == 1)))
        return SEV_NONE;
    if (xi->x509 != NULL && X509_get_signature_info((X509 *)xi->x509, &mdnid, NULL, NULL, NULL))
        h = hash_of_nid(mdnid);
    else if (xi->sig_alg != NULL)
        h = hash_of_name(xi->sig_alg);
    switch (h) {
    case H_MD2: hname = "MD2"; sev = SEV_HIGH; break;
    case H_MD4: hname = "MD4"; sev = SEV_HIGH; break;
    case H_MD5: hname = "MD5"; sev = SEV_HIGH; break;
    case H_SHA0: hname = "SHA-0"; sev = SEV_HIGH; break;
    case H_SHA1: hname = "SHA-1"; sev = SEV_MEDIUM; break;
    default: return SEV_NONE;
    }
    alg = xi->sig_alg != NULL ? xi->sig_alg : "?";
    snprintf(buf, sizeof(buf), "signed with %s (%.100s)", hname, alg);
    set_reason(reason, reason_len, buf);
    return sev;
}

/* ----------------------------------------------------------- key exchange */

enum severity weak_dh(const struct tls_key_exchange *kx, char *reason, size_t reason_len)
{
    char buf[160];
    enum severity sev = SEV_NONE;
    const char *gname;
    int bits;

    set_reason(reason, reason_len, "");
    if (kx == NULL || kx->bits == 0 || kx->bits > 1000000)
        return SEV_NONE;
    bits = (int)kx->bits;
    /* the reason is formatted only for a finding: most sessions have none */
    switch (kx->kind) {
    case TLS_KX_DHE:
        if ((sev = by_bits(bits, 1024, 2048)) == SEV_NONE)
            return SEV_NONE;
        snprintf(buf, sizeof(buf), "DH group of %d bits (below %d)", bits,
                 sev == SEV_HIGH ? 1024 : 2048);
        break;
    case TLS_KX_ECDHE:
        sev = by_bits(bits, 160, 224);
        if (sev == SEV_NONE && kx->group != 0)
            return SEV_NONE;
        gname = kx->group != 0 ? names_group(kx->group) : NULL;
        if (kx->group == 0) {
            /* group 0 is no named curve: the parameters were explicit */
            if (sev == SEV_NONE) {
                sev = SEV_LOW;
                snprintf(buf, sizeof(buf),
                         "explicit curve parameters of %d bits (deprecated by RFC 8422)", bits);
            } else {
                snprintf(buf, sizeof(buf), "explicit curve of %d bits (below %d)", bits,
                         sev == SEV_HIGH ? 160 : 224);
            }
        } else if (gname != NULL) {
            snprintf(buf, sizeof(buf), "curve %s of %d bits (below %d)", gname, bits,
                     sev == SEV_HIGH ? 160 : 224);
        } else {
            snprintf(buf, sizeof(buf), "curve 0x%04X of %d bits (below %d)", kx->group, bits,
                     sev == SEV_HIGH ? 160 : 224);
        }
        break;
    default:
        return SEV_NONE;
    }
    if (sev != SEV_NONE)
        set_reason(reason, reason_len, buf);
    return sev;
}

/* --------------------------------------------------------------- protocol */

enum severity weak_protocol(uint16_t version, char *reason, size_t reason_len)
{
    set_reason(reason, reason_len, "");
    switch (version) {
    case 0x0002:
    case 0x0200:
        set_reason(reason, reason_len, "SSL 2.0 (prohibited by RFC 6176)");
        return SEV_HIGH;
    case 0x0300:
        set_reason(reason, reason_len, "SSL 3.0 (prohibited by RFC 7568)");
        return SEV_HIGH;
    case 0x0301:
        set_reason(reason, reason_len, "TLS 1.0 (deprecated by RFC 8996)");
        return SEV_MEDIUM;
    case 0x0302:
        set_reason(reason, reason_len, "TLS 1.1 (deprecated by RFC 8996)");
        return SEV_MEDIUM;
    case 0xFEFF:
        set_reason(reason, reason_len, "DTLS 1.0 (deprecated by RFC 8996)");
        return SEV_MEDIUM;
    default:
        return SEV_NONE;
    }
}

/* ---------------------------------------------------------- cipher suites */

const char *weak_cipher_name(uint16_t suite)
{
    return names_cipher(suite);
}

struct verdict {
    enum severity sev;
    const char *why[8];
    enum severity whysev[8];
    size_t n;
};

static void add(struct verdict *v, enum severity sev, const char *why)
{
    if (v->n < sizeof(v->why) / sizeof(v->why[0])) {
        v->why[v->n] = why;
        v->whysev[v->n] = sev;
        v->n++;
    }
    if (sev > v->sev)
        v->sev = sev;
}

/* weak_bulk returns what is wrong with a suite's cipher (NULL when nothing
 * is): the ciphers prohibited or broken outright, and the 64-bit blocks
 * that Sweet32 reaches. */
static const char *weak_bulk(const struct tls_suite *cs)
{
    switch (cs->cipher) {
    case TLS_SUITE_CIPHER_RC4: return "RC4 (prohibited by RFC 7465)";
    case TLS_SUITE_CIPHER_DES: return "single DES (56-bit key or less)";
    case TLS_SUITE_CIPHER_3DES: return "3DES (64-bit block, Sweet32)";
    case TLS_SUITE_CIPHER_IDEA: return "IDEA (64-bit block)";
    case TLS_SUITE_CIPHER_RC2: return "RC2 (64-bit block)";
    case TLS_SUITE_CIPHER_MAGMA:
    case TLS_SUITE_CIPHER_GOST28147: return "GOST 64-bit block cipher (Sweet32)";
    default: return NULL;
    }
}

enum severity weak_cipher(uint16_t suite, char *reason, size_t reason_len)
{
    const struct tls_suite *cs = tls_suite_find(suite);
    const char *bulk;
    struct verdict v;
    size_t i;

    set_reason(reason, reason_len, "");
    if (cs == NULL || cs->kx == TLS_SUITE_KX_SCSV)
        return SEV_NONE;     /* unknown, GREASE, or a signal, never a negotiated suite */
    memset(&v, 0, sizeof(v));

    /* key exchange and authentication */
    if (cs->au == TLS_SUITE_AU_NULL)
        add(&v, SEV_HIGH, cs->kx == TLS_SUITE_KX_NULL
                              ? "no authentication"
                              : "anonymous key exchange (server not authenticated)");
    if (cs->export_grade)
        add(&v, SEV_HIGH, "export-grade cryptography");

    /* bulk cipher and MAC */
    bulk = weak_bulk(cs);
    if (cs->cipher == TLS_SUITE_CIPHER_NULL)
        add(&v, SEV_HIGH, cs->kx == TLS_SUITE_KX_ANY
                              ? "no encryption (integrity-only suite, RFC 9150)"
                              : "no encryption (NULL cipher)");
    else if (bulk != NULL)
        add(&v, SEV_MEDIUM, bulk);
    else if (cs->mode == TLS_SUITE_MODE_CBC && cs->mac == TLS_SUITE_MAC_HMAC_SHA1)
        add(&v, SEV_LOW, "CBC mode with HMAC-SHA1 (no AEAD)");
    else if (cs->mode == TLS_SUITE_MODE_CBC && cs->mac == TLS_SUITE_MAC_HMAC_MD5)
        add(&v, SEV_LOW, "CBC mode with HMAC-MD5 (no AEAD)");

    if (v.sev != SEV_NONE && reason != NULL && reason_len > 0) {
        size_t len = 0;
        int s;

        /* worst first, in rule order within a severity */
        for (s = SEV_CRITICAL; s > SEV_NONE; s--) {
            for (i = 0; i < v.n; i++) {
                if ((int)v.whysev[i] != s)
                    continue;
                int w = snprintf(reason + len, reason_len - len, "%s%s", len ? ", " : "",
                                 v.why[i]);
                if (w < 0 || (size_t)w >= reason_len - len) {
                    len = reason_len - 1;
                    break;
                }
                len += (size_t)w;
            }
        }
    }
    return v.sev;
}

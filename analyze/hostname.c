/*
 * hostname.c - reference identities in canonical form, and RFC 6125 checks
 * with OpenSSL.
 *
 * Ours: splitting a name into labels, strict UTF-8 decoding, the Punycode
 * encoder (RFC 3492 §6.3, with the overflow checks of §6.4) and the LDH
 * rules.  OpenSSL's: every comparison with what the certificate presents
 * (X509_check_host, X509_check_ip_asc), wildcards included.
 *
 * Decisions:
 *  - X509_check_host / X509_check_ip_asc return a negative value on an
 *    internal error (out of memory; malformed input cannot happen, the name
 *    is checked first).  That is reported as HOST_NO_MATCH: the name could
 *    not be shown to match.
 *  - A label is converted only if it holds a non-ASCII byte; an ASCII label
 *    (including one that already is an A-label) is only lower-cased.
 */
#include "analyze/hostname.h"

#include <arpa/inet.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "analyze/x509.h"

/* ---------------------------------------------------------------- Punycode */

/* RFC 3492 §5: the Bootstring parameters for Punycode. */
enum {
    PC_BASE = 36,
    PC_TMIN = 1,
    PC_TMAX = 26,
    PC_SKEW = 38,
    PC_DAMP = 700,
    PC_INITIAL_BIAS = 72,
    PC_INITIAL_N = 0x80,
};

#define UNICODE_MAX 0x10FFFFu

/* RFC 3492 §6.1: bias adaptation after each delta. */
static uint32_t pc_adapt(uint32_t delta, uint32_t numpoints, bool firsttime)
{
    uint32_t k = 0;

    delta = firsttime ? delta / PC_DAMP : delta / 2;
    delta += delta / numpoints;
    while (delta > ((PC_BASE - PC_TMIN) * PC_TMAX) / 2) {
        delta /= PC_BASE - PC_TMIN;
        k += PC_BASE;
    }
    return k + ((PC_BASE - PC_TMIN + 1) * delta) / (delta + PC_SKEW);
}

/* RFC 3492 §5: digit values 0-25 are a-z, 26-35 are 0-9. */
static char pc_digit(uint32_t d)
{
    return d < 26 ? (char)('a' + d) : (char)('0' + (d - 26));
}

struct pc_out {
    char *p;
    size_t len, cap;   /* cap: bytes available for characters (NUL excluded) */
};

static bool pc_put(struct pc_out *o, char c)
{
    if (o->len >= o->cap)
        return false;
    o->p[o->len++] = c;
    return true;
}

/* RFC 3492 §6.3, the encoding procedure:
 *
 *   let n = initial_n, delta = 0, bias = initial_bias
 *   copy the basic code points, then a delimiter if there were any
 *   while h < length(input) do begin
 *     let m = the minimum code point >= n in the input
 *     let delta = delta + (m - n) * (h + 1), fail on overflow
 *     let n = m
 *     for each code point c in the input (in order) do begin
 *       if c < n then increment delta, fail on overflow
 *       if c == n then begin
 *         write delta as a generalized variable-length integer (§3.3)
 *         let bias = adapt(delta, h + 1, test h equals b?)
 *         let delta = 0, increment h
 *       end
 *     end
 *     increment delta and n
 *   end
 */
int hostname_punycode_encode(const uint32_t *cp, size_t n, char *out, size_t outlen)
{
    struct pc_out o;
    uint32_t code = PC_INITIAL_N, delta = 0, bias = PC_INITIAL_BIAS;
    uint32_t h, b;

    if (out == NULL || outlen == 0)
        return -1;
    out[0] = '\0';
    if (n > 0 && cp == NULL)
        return -1;
    /* h and the per-code-point arithmetic below are 32-bit */
    if (n >= UINT32_MAX)
        return -1;
    o.p = out;
    o.len = 0;
    o.cap = (outlen - 1 > INT_MAX) ? INT_MAX : outlen - 1;

    for (size_t i = 0; i < n; i++) {
        if (cp[i] > UNICODE_MAX)
            return -1;
        if (cp[i] < 0x80 && !pc_put(&o, (char)cp[i]))
            return -1;
    }
    h = b = (uint32_t)o.len;
    if (b > 0 && !pc_put(&o, '-'))
        return -1;

    while (h < n) {
        uint32_t m = UINT32_MAX;

        for (size_t i = 0; i < n; i++)
            if (cp[i] >= code && cp[i] < m)
                m = cp[i];
        if ((m - code) > (UINT32_MAX - delta) / (h + 1))
            return -1;
        delta += (m - code) * (h + 1);
        code = m;
        for (size_t i = 0; i < n; i++) {
            if (cp[i] < code && ++delta == 0)
                return -1;
            if (cp[i] != code)
                continue;
            uint32_t q = delta;
            for (uint32_t k = PC_BASE;; k += PC_BASE) {
                uint32_t t = k <= bias ? PC_TMIN : k >= bias + PC_TMAX ? PC_TMAX : k - bias;

                if (q < t)
                    break;
                if (!pc_put(&o, pc_digit(t + (q - t) % (PC_BASE - t))))
                    return -1;
                q = (q - t) / (PC_BASE - t);
            }
            if (!pc_put(&o, pc_digit(q)))
                return -1;
            bias = pc_adapt(delta, h + 1, h == b);
            delta = 0;
            h++;
        }
        delta++;
        code++;
    }
    out[o.len] = '\0';
    return (int)o.len;
}

/* ---------------------------------------------------------------- UTF-8 */

/* utf8_next decodes one code point from |s| (|len| bytes left, len > 0)
 * into |*cp| and returns its length in bytes, or 0 if the bytes are not
 * well-formed UTF-8 (RFC 3629 §4: no overlong forms, no surrogates, nothing
 * above U+10FFFF, no truncated sequence). */
static size_t utf8_next(const unsigned char *s, size_t len, uint32_t *cp)
{
    uint32_t c = s[0], min;
    size_t need;

    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF) {
        need = 1;
        c &= 0x1F;
        min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 2;
        c &= 0x0F;
        min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 3;
        c &= 0x07;
        min = 0x10000;
    } else {
        return 0;   /* continuation byte, 0xC0/0xC1, or 0xF5..0xFF */
    }
    if (len < need + 1)
        return 0;
    for (size_t i = 1; i <= need; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        c = (c << 6) | (s[i] & 0x3F);
    }
    if (c < min || c > UNICODE_MAX || (c >= 0xD800 && c <= 0xDFFF))
        return 0;
    *cp = c;
    return need + 1;
}

/* ---------------------------------------------------------------- names */

static bool is_ldh(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

static char ascii_lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* label_convert writes label |s| (|len| > 0 bytes, no '.') in canonical form
 * into |out| (HOSTNAME_LABEL_MAX + 1 bytes) and returns its length, or 0 if
 * it is not a valid label. */
static size_t label_convert(const char *s, size_t len, char out[HOSTNAME_LABEL_MAX + 1])
{
    const unsigned char *u = (const unsigned char *)s;
    bool ascii = true;
    size_t olen = 0;

    for (size_t i = 0; i < len; i++)
        if (u[i] >= 0x80)
            ascii = false;

    if (ascii) {
        if (len > HOSTNAME_LABEL_MAX)
            return 0;
        for (size_t i = 0; i < len; i++)
            out[i] = ascii_lower(s[i]);
        olen = len;
    } else {
        /* Every code point costs at least one output character after the
         * four of "xn--", so more than 59 can never fit in a label. */
        uint32_t cp[HOSTNAME_LABEL_MAX];
        size_t ncp = 0;

        for (size_t i = 0; i < len;) {
            uint32_t c;
            size_t k = utf8_next(u + i, len - i, &c);

            if (k == 0 || ncp >= HOSTNAME_LABEL_MAX - 4)
                return 0;
            if (c >= 'A' && c <= 'Z')
                c += 'a' - 'A';
            cp[ncp++] = c;
            i += k;
        }
        memcpy(out, "xn--", 4);
        int r = hostname_punycode_encode(cp, ncp, out + 4, HOSTNAME_LABEL_MAX + 1 - 4);
        if (r <= 0)
            return 0;
        olen = 4 + (size_t)r;
    }
    for (size_t i = 0; i < olen; i++)
        if (!is_ldh(out[i]))
            return 0;
    if (out[0] == '-' || out[olen - 1] == '-')
        return 0;
    out[olen] = '\0';
    return olen;
}

bool hostname_normalize(const char *in, char *out, size_t outlen)
{
    char buf[HOSTNAME_BUFSZ];
    size_t inlen, pos = 0, i = 0;
    bool last_numeric = false;

    if (out != NULL && outlen > 0)
        out[0] = '\0';
    if (in == NULL || out == NULL || outlen == 0)
        return false;
    inlen = strlen(in);
    if (inlen > 0 && in[inlen - 1] == '.')
        inlen--;
    if (inlen == 0)
        return false;

    for (;;) {
        char lab[HOSTNAME_LABEL_MAX + 1];
        size_t j = i, llen;

        while (j < inlen && in[j] != '.')
            j++;
        if (j == i || (llen = label_convert(in + i, j - i, lab)) == 0)
            return false;
        if (pos + (pos > 0) + llen > HOSTNAME_MAX)
            return false;
        if (pos > 0)
            buf[pos++] = '.';
        memcpy(buf + pos, lab, llen);
        pos += llen;
        last_numeric = strspn(lab, "0123456789") == llen;
        if (j == inlen)
            break;
        i = j + 1;
    }
    if (last_numeric || pos >= outlen)
        return false;
    memcpy(out, buf, pos);
    out[pos] = '\0';
    return true;
}

bool hostname_fqdn_like(const char *name)
{
    char norm[HOSTNAME_BUFSZ];

    return name != NULL && strchr(name, '.') != NULL && !hostname_is_ip(name) &&
           hostname_normalize(name, norm, sizeof(norm));
}

bool hostname_is_ip(const char *name)
{
    unsigned char a[16];

    return name != NULL &&
           (inet_pton(AF_INET, name, a) == 1 || inet_pton(AF_INET6, name, a) == 1);
}

const char *hostname_result_name(enum hostname_result r)
{
    switch (r) {
    case HOST_MATCH:
        return "match";
    case HOST_NO_MATCH:
        return "no_match";
    case HOST_BAD_NAME:
        return "bad_name";
    case HOST_UNPARSED:
        return "unparsed";
    }
    return "unknown";
}

static void put_text(char *dst, size_t len, const char *s)
{
    if (dst != NULL && len > 0)
        snprintf(dst, len, "%s", s);
}

/* ip_canonical writes the usual text form of address |name| (RFC 5952 for
 * IPv6) into |dst|. */
static void ip_canonical(const char *name, char *dst, size_t len)
{
    unsigned char a[16];
    char txt[INET6_ADDRSTRLEN];

    if (inet_pton(AF_INET, name, a) == 1 && inet_ntop(AF_INET, a, txt, sizeof(txt)) != NULL)
        put_text(dst, len, txt);
    else if (inet_pton(AF_INET6, name, a) == 1 && inet_ntop(AF_INET6, a, txt, sizeof(txt)) != NULL)
        put_text(dst, len, txt);
    else
        put_text(dst, len, name);
}

enum hostname_result hostname_check(const struct x509_info *xi, const char *name,
                                    char *matched, size_t matched_len)
{
    char norm[HOSTNAME_BUFSZ];
    X509 *x;
    int r;

    put_text(matched, matched_len, "");
    if (name == NULL)
        return HOST_BAD_NAME;

    if (hostname_is_ip(name)) {
        if (xi == NULL || !xi->parsed || xi->x509 == NULL)
            return HOST_UNPARSED;
        x = xi->x509;
        /* RFC 6125 §1.7.2 leaves IP identities to RFC 5280: iPAddress SANs
         * only, compared as bytes (OpenSSL never looks at the CN for one). */
        r = X509_check_ip_asc(x, name, 0);
        ERR_clear_error();
        if (r != 1)
            return HOST_NO_MATCH;
        ip_canonical(name, matched, matched_len);
        return HOST_MATCH;
    }

    if (!hostname_normalize(name, norm, sizeof(norm)))
        return HOST_BAD_NAME;
    if (xi == NULL || !xi->parsed || xi->x509 == NULL)
        return HOST_UNPARSED;
    x = xi->x509;

    char *peer = NULL;
    /* RFC 6125 §6.4.3: the wildcard is the whole left-most label and stands
     * for exactly one label (OpenSSL's default without
     * X509_CHECK_FLAG_MULTI_LABEL_WILDCARDS); partial wildcards are refused
     * outright, and OpenSSL never lets a wildcard match part of an A-label. */
    r = X509_check_host(x, norm, strlen(norm), X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS, &peer);
    ERR_clear_error();
    if (r == 1 && peer != NULL)
        put_text(matched, matched_len, peer);
    OPENSSL_free(peer);
    return r == 1 ? HOST_MATCH : HOST_NO_MATCH;
}

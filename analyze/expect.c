/*
 * expect.c - parsing --expect / --expect-file, finding the pins that apply to
 * a session, and comparing a leaf certificate with a pin.
 *
 * The input is the user's (command line, a configuration file, PEM files),
 * not the network's, but it is parsed with the same care: every length is
 * bounded, files are read whole with a size cap, and a line holding a NUL
 * byte is an error rather than silently cut short.
 *
 * OpenSSL reads the PEM files (PEM_read_bio, d2i_X509) and hashes their
 * DER (EVP_Digest); the pins hash the DER exactly as written in the file,
 * which is what x509_info.sha256 holds for a presented certificate.
 *
 * Decisions:
 *  - The pins live in an array of pointers: a pointer handed out by
 *    expect_lookup stays valid while more specs are added.
 *  - "TRUSTED CERTIFICATE" PEM blocks (a certificate followed by OpenSSL's
 *    trust settings) count as certificates; the pin hashes the certificate
 *    part.  Other blocks (keys, CRLs) are skipped.  A CERTIFICATE block whose
 *    content is not exactly one certificate is an error.
 *  - expect_lookup compares addresses as they are: an IPv4 rule does not
 *    match the IPv4-mapped IPv6 form of the same address.
 */
#include "analyze/expect.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "analyze/hostname.h"
#include "analyze/x509.h"
#include "lib/hex.h"

#define EXPECT_FILE_MAX   (64u << 20)   /* bytes of an expect or PEM file */
#define EXPECT_LINE_MAX   65536         /* bytes of one expect-file line */
#define REASON_MAX        512
#define QUOTE_MAX         80            /* bytes of user text quoted in a reason */
#define QUOTE_SPEC_MAX    256           /* ... and of the whole SPEC in expect_add's message */

struct expect_set {
    struct expect_pin **pins;
    size_t npins, cap;
    size_t nrules;
};

/* ---------------------------------------------------------------- names */

const char *expect_kind_name(enum expect_kind k)
{
    switch (k) {
    case EXPECT_SHA256:
        return "sha256";
    case EXPECT_SPKI:
        return "spki";
    case EXPECT_NAME:
        return "name";
    case EXPECT_ISSUER:
        return "issuer";
    }
    return "unknown";
}

const char *expect_scope_name(enum expect_scope s)
{
    switch (s) {
    case EXPECT_ANY_SERVER:
        return "any";
    case EXPECT_IP_PORT:
        return "ip_port";
    case EXPECT_IP:
        return "ip";
    case EXPECT_HOST:
        return "host";
    }
    return "unknown";
}

/* ---------------------------------------------------------------- set */

struct expect_set *expect_new(void)
{
    return calloc(1, sizeof(struct expect_set));
}

static void pin_free(struct expect_pin *p)
{
    if (p == NULL)
        return;
    free(p->value);
    free(p->pem_file);
    free(p->subject);
    free(p->size.issuer_der);
    free(p->spec);
    free(p->origin);
    free(p->server);
    free(p->host);
    free(p);
}

/* truncate_pins drops the pins past the first |n| (undoing a failed add). */
static void truncate_pins(struct expect_set *set, size_t n)
{
    while (set->npins > n)
        pin_free(set->pins[--set->npins]);
}

void expect_free(struct expect_set *set)
{
    if (set == NULL)
        return;
    truncate_pins(set, 0);
    free(set->pins);
    free(set);
}

void expect_swap(struct expect_set *a, struct expect_set *b)
{
    struct expect_set t = *a;

    *a = *b;
    *b = t;
}

size_t expect_count(const struct expect_set *set)
{
    return set != NULL ? set->nrules : 0;
}

size_t expect_pin_count(const struct expect_set *set)
{
    return set != NULL ? set->npins : 0;
}

const struct expect_pin *expect_pin_at(const struct expect_set *set, size_t i)
{
    return (set != NULL && i < set->npins) ? set->pins[i] : NULL;
}

static bool push_pin(struct expect_set *set, struct expect_pin *p)
{
    if (set->npins == set->cap) {
        size_t ncap = set->cap ? set->cap * 2 : 16;
        struct expect_pin **np;

        if (ncap > SIZE_MAX / sizeof(*np))
            return false;
        np = realloc(set->pins, ncap * sizeof(*np));
        if (np == NULL)
            return false;
        set->pins = np;
        set->cap = ncap;
    }
    set->pins[set->npins++] = p;
    return true;
}

/* ---------------------------------------------------------------- text helpers */

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

/* trim returns |s| without leading whitespace, with the trailing whitespace
 * overwritten by NULs. */
static char *trim(char *s)
{
    size_t n;

    while (is_space(*s))
        s++;
    n = strlen(s);
    while (n > 0 && is_space(s[n - 1]))
        s[--n] = '\0';
    return s;
}

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);

    if (d != NULL)
        memcpy(d, s, n);
    return d;
}

/* reason formats a failure explanation into the caller's buffer; always
 * returns -1 so a parser can `return reason(...)`. */
__attribute__((format(printf, 3, 4)))
static int reason(char *r, size_t rlen, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(r, rlen, fmt, ap);
    va_end(ap);
    return -1;
}

/* utf8_cut shortens the NUL-terminated |s| so it does not end inside a UTF-8
 * sequence (after snprintf truncated it). */
static void utf8_cut(char *s)
{
    size_t n = strlen(s), i = n;
    const unsigned char *u = (const unsigned char *)s;

    /* walk back over continuation bytes to the last lead byte */
    while (i > 0 && (u[i - 1] & 0xC0) == 0x80)
        i--;
    if (i == 0)
        return;
    unsigned char lead = u[i - 1];
    size_t want = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
    if (n - (i - 1) < want)
        s[i - 1] = '\0';
}

/* quoted is user text made safe to print in a one-line message: at most
 * |max| (<= QUOTE_SPEC_MAX) bytes of it ("..." when cut), control characters
 * and bytes that are not part of well-formed UTF-8 written as \xNN. */
struct quoted {
    char s[QUOTE_SPEC_MAX * 4 + 4];
};

/* utf8_seq returns the length of the well-formed UTF-8 sequence at |u|
 * (|n| bytes available), or 0. */
static size_t utf8_seq(const unsigned char *u, size_t n)
{
    size_t need;
    unsigned char lo = 0x80, hi = 0xBF;

    if (u[0] < 0x80)
        return 1;
    if (u[0] >= 0xC2 && u[0] <= 0xDF)
        need = 1;
    else if (u[0] >= 0xE0 && u[0] <= 0xEF)
        need = 2;
    else if (u[0] >= 0xF0 && u[0] <= 0xF4)
        need = 3;
    else
        return 0;
    /* RFC 3629 §4: the second byte's range excludes overlongs, surrogates, > U+10FFFF */
    if (u[0] == 0xE0)
        lo = 0xA0;
    else if (u[0] == 0xED)
        hi = 0x9F;
    else if (u[0] == 0xF0)
        lo = 0x90;
    else if (u[0] == 0xF4)
        hi = 0x8F;
    if (n < need + 1 || u[1] < lo || u[1] > hi)
        return 0;
    for (size_t i = 2; i <= need; i++)
        if ((u[i] & 0xC0) != 0x80)
            return 0;
    return need + 1;
}

static const char *quote_max(struct quoted *q, const char *text, size_t n, size_t max)
{
    static const char hexu[] = "0123456789ABCDEF";
    const unsigned char *u = (const unsigned char *)text;
    size_t i = 0, o = 0, lim;

    if (max > QUOTE_SPEC_MAX)
        max = QUOTE_SPEC_MAX;
    lim = n < max ? n : max;

    while (i < lim) {
        size_t k = utf8_seq(u + i, n - i);

        if (k == 0 || (k == 1 && (u[i] < 0x20 || u[i] == 0x7F))) {
            q->s[o++] = '\\';
            q->s[o++] = 'x';
            q->s[o++] = hexu[u[i] >> 4];
            q->s[o++] = hexu[u[i] & 15];
            i++;
            continue;
        }
        if (i + k > lim)
            break;
        memcpy(q->s + o, u + i, k);
        o += k;
        i += k;
    }
    if (i < n) {
        memcpy(q->s + o, "...", 3);
        o += 3;
    }
    q->s[o] = '\0';
    return q->s;
}

static const char *quote(struct quoted *q, const char *text, size_t n)
{
    return quote_max(q, text, n, QUOTE_MAX);
}

/* ---------------------------------------------------------------- files */

/* read_all reads the whole file at |path| (at most EXPECT_FILE_MAX bytes)
 * into a heap buffer with a NUL after the |*len| bytes; NULL with the OS
 * reason in |r| on failure. */
static char *read_all(const char *path, size_t *len, char *r, size_t rlen)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t n = 0, cap = 0;

    if (f == NULL) {
        reason(r, rlen, "%s", strerror(errno));
        return NULL;
    }
    for (;;) {
        if (cap - n < 4096 + 1) {
            size_t ncap = cap ? cap * 2 : 8192;
            char *nb;

            if (ncap > EXPECT_FILE_MAX + (size_t)8192)
                ncap = EXPECT_FILE_MAX + (size_t)8192;
            if (ncap <= cap || (nb = realloc(buf, ncap)) == NULL) {
                reason(r, rlen, ncap <= cap ? "larger than %u MiB" : "out of memory",
                       EXPECT_FILE_MAX >> 20);
                goto fail;
            }
            buf = nb;
            cap = ncap;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0) {
            if (ferror(f)) {
                reason(r, rlen, "%s", strerror(errno));
                goto fail;
            }
            break;
        }
        if (n > EXPECT_FILE_MAX) {
            reason(r, rlen, "larger than %u MiB", EXPECT_FILE_MAX >> 20);
            goto fail;
        }
    }
    fclose(f);
    buf[n] = '\0';
    *len = n;
    return buf;
fail:
    fclose(f);
    free(buf);
    return NULL;
}

/* ---------------------------------------------------------------- parsing */

struct kind_word {
    const char *word;
    size_t len;
    enum expect_kind kind;
    bool pem;
};

static const struct kind_word kinds[] = {
    { "sha256", 6, EXPECT_SHA256, false },
    { "spki", 4, EXPECT_SPKI, false },
    { "pem", 3, EXPECT_SHA256, true },
    { "name", 4, EXPECT_NAME, false },
    { "issuer", 6, EXPECT_ISSUER, false },
};

/* kind_prefix returns the kind whose "word:" starts |s|, or NULL. */
static const struct kind_word *kind_prefix(const char *s)
{
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (strncasecmp(s, kinds[i].word, kinds[i].len) == 0 && s[kinds[i].len] == ':')
            return &kinds[i];
    return NULL;
}

/* parse_hash reads 64 hex digits, bare or as 32 ':'-separated pairs. */
static int parse_hash(const char *v, const char *kind, uint8_t out[32], char *r, size_t rlen)
{
    size_t nd = 0, group = 0;
    bool colons = strchr(v, ':') != NULL;

    memset(out, 0, 32);
    for (const char *p = v; *p; p++) {
        int d = hex_digit((unsigned char)*p);

        if (*p == ':') {
            if (group != 2 || p[1] == '\0')
                return reason(r, rlen, "%s: misplaced ':' (write 64 hex digits, or 32 pairs "
                              "separated by ':')", kind);
            group = 0;
            continue;
        }
        if (d < 0) {
            unsigned char c = (unsigned char)*p;

            if (c > 0x20 && c < 0x7F)
                return reason(r, rlen, "%s: '%c' is not a hex digit", kind, c);
            return reason(r, rlen, "%s: byte 0x%02X is not a hex digit", kind, c);
        }
        if (nd < 64)
            out[nd / 2] = (uint8_t)(out[nd / 2] | (d << (nd % 2 ? 0 : 4)));
        nd++;
        group++;
    }
    if (colons && group != 2 && nd > 0)
        return reason(r, rlen, "%s: misplaced ':' (write 64 hex digits, or 32 pairs "
                      "separated by ':')", kind);
    if (nd != 64)
        return reason(r, rlen, "%s needs 64 hex digits, got %zu", kind, nd);
    return 0;
}

/* parse_port reads a decimal port 1-65535. */
static bool parse_port(const char *s, uint16_t *out)
{
    unsigned long v = 0;
    size_t n = 0;

    for (; s[n]; n++) {
        if (s[n] < '0' || s[n] > '9' || n >= 5)
            return false;
        v = v * 10 + (unsigned long)(s[n] - '0');
    }
    if (n == 0 || v == 0 || v > 65535)
        return false;
    *out = (uint16_t)v;
    return true;
}

/* A parsed SERVER part. */
struct server {
    enum expect_scope scope;
    struct cap_addr addr;
    uint16_t port;
    char host[HOSTNAME_BUFSZ];
};

/* parse_server reads the SERVER part |s| (trimmed, non-empty; modified). */
static int parse_server(char *s, struct server *sv, char *r, size_t rlen)
{
    struct quoted qb;
    const char *q = quote(&qb, s, strlen(s));
    char *colon;

    memset(sv, 0, sizeof(*sv));
    if (s[0] == '[') {
        char *close = strchr(s, ']');

        if (close == NULL)
            return reason(r, rlen, "server '%s': missing ']'", q);
        *close = '\0';
        if (!cap_addr_parse(s + 1, &sv->addr) || sv->addr.family != 6) {
            *close = ']';
            return reason(r, rlen, "server '%s': not an IPv6 address in brackets", q);
        }
        *close = ']';
        if (close[1] == '\0') {
            sv->scope = EXPECT_IP;
            return 0;
        }
        if (close[1] != ':' || !parse_port(close + 2, &sv->port))
            return reason(r, rlen, "server '%s': bad port (1-65535 after \"]:\")", q);
        sv->scope = EXPECT_IP_PORT;
        return 0;
    }

    colon = strchr(s, ':');
    if (colon == NULL) {
        if (cap_addr_parse(s, &sv->addr)) {
            sv->scope = EXPECT_IP;
            return 0;
        }
        if (!hostname_normalize(s, sv->host, sizeof(sv->host)))
            return reason(r, rlen, "server '%s' is not an IP address or host name", q);
        sv->scope = EXPECT_HOST;
        return 0;
    }
    if (strchr(colon + 1, ':') != NULL) {
        if (!cap_addr_parse(s, &sv->addr) || sv->addr.family != 6)
            return reason(r, rlen, "server '%s' is not an IPv6 address "
                          "(with a port: [IPv6]:PORT)", q);
        sv->scope = EXPECT_IP;
        return 0;
    }
    /* one ':' - IPv4:PORT */
    *colon = '\0';
    bool v4 = cap_addr_parse(s, &sv->addr) && sv->addr.family == 4;
    bool host = !v4 && hostname_normalize(s, sv->host, sizeof(sv->host));
    *colon = ':';
    if (host)
        return reason(r, rlen, "server '%s': a port needs an IP address "
                      "(a host name applies to every port)", q);
    if (!v4)
        return reason(r, rlen, "server '%s' is not IP:PORT", q);
    if (!parse_port(colon + 1, &sv->port))
        return reason(r, rlen, "server '%s': bad port (1-65535)", q);
    sv->scope = EXPECT_IP_PORT;
    return 0;
}

/* resolve_path returns |file| relative to |base_dir| (or as it is, when it
 * is absolute or there is no base) in a heap string. */
static char *resolve_path(const char *base_dir, const char *file)
{
    size_t bl, fl;
    char *p;

    if (base_dir == NULL || base_dir[0] == '\0' || file[0] == '/')
        return dup_str(file);
    bl = strlen(base_dir);
    fl = strlen(file);
    if (bl > SIZE_MAX - fl - 2 || (p = malloc(bl + fl + 2)) == NULL)
        return NULL;
    memcpy(p, base_dir, bl);
    p[bl] = '/';
    memcpy(p + bl + 1, file, fl + 1);
    return p;
}

/* The sha256 of each certificate in a PEM file. */
struct pem_hashes {
    uint8_t (*h)[32];
    char **subj;             /* RFC 2253 subject of each (NULL if it has none) */
    struct expect_size *size;
    size_t n, cap;
};

static void pem_hashes_free(struct pem_hashes *ph)
{
    for (size_t i = 0; i < ph->n; i++) {
        free(ph->subj[i]);
        free(ph->size[i].issuer_der);
    }
    free(ph->size);
    free(ph->subj);
    free(ph->h);
}

/* subject_text: the certificate's subject as x509.c writes it, so that a
 * message compares like with like. */
static char *subject_text(X509 *x)
{
    unsigned char *der = NULL;
    int n = i2d_X509_NAME(X509_get_subject_name(x), &der);
    char *s = n > 0 ? x509_dn_text(der, (size_t)n) : NULL;

    OPENSSL_free(der);
    return s;
}

/* pem_size fills |z| for the certificate |x| of |len| DER bytes (see struct
 * expect_size); false when out of memory. */
static bool pem_size(struct expect_size *z, X509 *x, size_t len)
{
    const ASN1_BIT_STRING *sig = NULL;
    const X509_ALGOR *alg = NULL;
    EVP_PKEY *key = X509_get0_pubkey(x);
    unsigned char *der = NULL;
    int n, md = 0, pk = 0;
    uint32_t spki_min = 44;   /* Ed25519's SubjectPublicKeyInfo, the smallest kind */

    memset(z, 0, sizeof(*z));
    z->der_len = len > UINT32_MAX ? UINT32_MAX : (uint32_t)len;
    z->self_issued = X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(x)) == 0;
    n = i2d_X509_NAME(X509_get_issuer_name(x), &der);
    if (n > 0) {
        z->issuer_der = malloc((size_t)n);
        if (z->issuer_der == NULL) {
            OPENSSL_free(der);
            return false;
        }
        memcpy(z->issuer_der, der, (size_t)n);
        z->issuer_der_len = (size_t)n;
    }
    OPENSSL_free(der);
    /* the issuer's key, from the signature it made: an RSA signature is as
     * long as the modulus (SPKI: modulus + 38 bytes for a 65537 exponent
     * and the DER around it); an ECDSA one says only "EC" (P-256's SPKI is
     * the smallest, 91) */
    X509_get0_signature(&sig, &alg, x);
    if (OBJ_find_sigid_algs(X509_get_signature_nid(x), &md, &pk)) {
        if ((pk == NID_rsaEncryption || pk == NID_rsassaPss) && sig != NULL)
            spki_min = (uint32_t)ASN1_STRING_length(sig) + 38;
        else if (pk == NID_X9_62_id_ecPublicKey)
            spki_min = 91;
        else if (pk == NID_ED448)
            spki_min = 69;
    } else if (X509_get_signature_nid(x) == NID_rsassaPss && sig != NULL) {
        spki_min = (uint32_t)ASN1_STRING_length(sig) + 38;
    }
    z->issuer_min = (uint32_t)z->issuer_der_len + spki_min + 128;
    if (key != NULL) {
        int id = EVP_PKEY_get_base_id(key), bits = EVP_PKEY_get_bits(key);

        if (id == EVP_PKEY_RSA || id == EVP_PKEY_RSA_PSS)
            z->cv_min = (uint32_t)EVP_PKEY_get_size(key);
        else if (id == EVP_PKEY_EC && bits > 16)
            z->cv_min = 6 + 2 * ((uint32_t)(bits + 7) / 8 - 1);
        else if (id == EVP_PKEY_ED25519)
            z->cv_min = 64;
        else if (id == EVP_PKEY_ED448)
            z->cv_min = 114;
    }
    return true;
}

static bool pem_push(struct pem_hashes *ph, const uint8_t *der, size_t len, X509 *x)
{
    unsigned int mdlen = 0;

    if (ph->n == ph->cap) {
        size_t ncap = ph->cap ? ph->cap * 2 : 4;
        uint8_t (*nh)[32];
        char **ns;

        if (ncap > SIZE_MAX / 32 || (nh = realloc(ph->h, ncap * 32)) == NULL)
            return false;
        ph->h = nh;
        if ((ns = realloc(ph->subj, ncap * sizeof(*ns))) == NULL)
            return false;
        ph->subj = ns;
        struct expect_size *nz = realloc(ph->size, ncap * sizeof(*nz));

        if (nz == NULL)
            return false;
        ph->size = nz;
        ph->cap = ncap;
    }
    if (!EVP_Digest(der, len, ph->h[ph->n], &mdlen, EVP_sha256(), NULL) || mdlen != 32)
        return false;
    if (!pem_size(&ph->size[ph->n], x, len))
        return false;
    ph->subj[ph->n] = subject_text(x);
    ph->n++;
    return true;
}

/* openssl_why returns OpenSSL's reason for the last error (and clears the
 * queue) in |buf|. */
static const char *openssl_why(char *buf, size_t len)
{
    unsigned long e = ERR_peek_last_error();
    const char *s = e ? ERR_reason_error_string(e) : NULL;

    snprintf(buf, len, "%s", s ? s : "unknown error");
    ERR_clear_error();
    return buf;
}

/* load_pem collects the SHA-256 of every certificate in the PEM file at
 * |path| (shown to the user as |shown|). */
static int load_pem(const char *path, const char *shown, struct pem_hashes *ph,
                    char *r, size_t rlen)
{
    char why[REASON_MAX], ossl[160];
    struct quoted qb;
    const char *q = quote(&qb, shown, strlen(shown));
    size_t len;
    char *text = read_all(path, &len, why, sizeof(why));
    BIO *bio;
    int rc = 0;
    unsigned block = 0;

    if (text == NULL)
        return reason(r, rlen, "pem: cannot read '%s': %s", q, why);
    if (len > INT_MAX || (bio = BIO_new_mem_buf(text, (int)len)) == NULL) {
        free(text);
        return reason(r, rlen, "pem: '%s': out of memory", q);
    }
    ERR_clear_error();
    for (;;) {
        char *name = NULL, *header = NULL;
        unsigned char *data = NULL;
        long dlen = 0;

        if (!PEM_read_bio(bio, &name, &header, &data, &dlen)) {
            unsigned long e = ERR_peek_last_error();

            if (ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE) {
                ERR_clear_error();   /* the end of the file */
                break;
            }
            rc = reason(r, rlen, "pem: '%s': bad PEM after block %u: %s", q, block,
                        openssl_why(ossl, sizeof(ossl)));
            break;
        }
        block++;
        bool plain = strcmp(name, "CERTIFICATE") == 0 || strcmp(name, "X509 CERTIFICATE") == 0;
        bool trusted = strcmp(name, "TRUSTED CERTIFICATE") == 0;
        if (plain || trusted) {
            const unsigned char *p = data;
            X509 *x = dlen > 0 ? d2i_X509(NULL, &p, dlen) : NULL;
            size_t used = x != NULL ? (size_t)(p - data) : 0;

            if (x == NULL || (plain && used != (size_t)dlen)) {
                rc = reason(r, rlen, "pem: '%s': block %u (%s) is not a certificate", q,
                            block, name);
                ERR_clear_error();
            } else if (!pem_push(ph, data, used, x)) {
                rc = reason(r, rlen, "pem: '%s': out of memory", q);
            }
            X509_free(x);
        }
        OPENSSL_free(name);
        OPENSSL_free(header);
        OPENSSL_free(data);
        if (rc != 0)
            break;
    }
    BIO_free(bio);
    free(text);
    if (rc == 0 && ph->n == 0)
        rc = reason(r, rlen, "pem: no certificate in '%s'", q);
    return rc;
}

/* new_pin allocates a pin with the fields every pin of one spec shares. */
static struct expect_pin *new_pin(const char *spec, const char *origin, size_t rule,
                                  const char *server_text, const struct server *sv)
{
    struct expect_pin *p = calloc(1, sizeof(*p));

    if (p == NULL)
        return NULL;
    p->spec = dup_str(spec);
    p->origin = dup_str(origin);
    p->rule = rule;
    p->scope = sv->scope;
    p->addr = sv->addr;
    p->port = sv->port;
    if (server_text != NULL)
        p->server = dup_str(server_text);
    if (sv->scope == EXPECT_HOST)
        p->host = dup_str(sv->host);
    if (p->spec == NULL || p->origin == NULL || (server_text != NULL && p->server == NULL) ||
        (sv->scope == EXPECT_HOST && p->host == NULL)) {
        pin_free(p);
        return NULL;
    }
    return p;
}

/* add_spec parses |spec_in| and appends its pins; on failure the set is as
 * it was and |r| holds the reason. */
static int add_spec(struct expect_set *set, const char *spec_in, const char *origin,
                    const char *base_dir, char *r, size_t rlen)
{
    char *copy, *spec, *server_text = NULL, *pinpart, *value, *shown = NULL;
    const struct kind_word *kw;
    struct server sv;
    struct quoted qb;
    size_t before = set->npins;
    int rc = -1;

    memset(&sv, 0, sizeof(sv));
    if (spec_in == NULL)
        return reason(r, rlen, "empty expectation");
    if ((copy = dup_str(spec_in)) == NULL)
        return reason(r, rlen, "out of memory");
    spec = trim(copy);
    if (spec[0] == '\0') {
        reason(r, rlen, "empty expectation");
        goto out;
    }

    /* the SERVER part: absent when the spec starts with a pin kind */
    if ((kw = kind_prefix(spec)) != NULL) {
        pinpart = spec;
    } else {
        char *eq = strchr(spec, '=');

        if (eq == NULL) {
            pinpart = spec;
        } else {
            *eq = '\0';
            server_text = trim(spec);
            pinpart = trim(eq + 1);
            if (server_text[0] == '\0') {
                reason(r, rlen, "empty server before '='");
                goto out;
            }
            kw = kind_prefix(pinpart);
        }
    }

    if (kw == NULL) {
        char *colon = strchr(pinpart, ':');

        if (pinpart[0] == '\0')
            reason(r, rlen, "no pin after '='");
        else if (colon == NULL)
            reason(r, rlen, "'%s' is not KIND:VALUE (sha256, spki, pem, name, issuer)",
                   quote(&qb, pinpart, strlen(pinpart)));
        else
            reason(r, rlen, "unknown pin kind '%s'", quote(&qb, pinpart, (size_t)(colon - pinpart)));
        goto out;
    }
    value = trim(pinpart + kw->len + 1);
    if (value[0] == '\0') {
        reason(r, rlen, "%s: empty value", kw->word);
        goto out;
    }
    if (server_text != NULL && parse_server(server_text, &sv, r, rlen) != 0)
        goto out;

    /* the spec for the pins: the trimmed parts (no whitespace around '=') */
    size_t slen = (server_text ? strlen(server_text) + 1 : 0) + strlen(pinpart) + 1;
    if ((shown = malloc(slen)) == NULL) {
        reason(r, rlen, "out of memory");
        goto out;
    }
    if (server_text != NULL)
        snprintf(shown, slen, "%s=%s", server_text, pinpart);
    else
        snprintf(shown, slen, "%s", pinpart);

    if (kw->pem) {
        struct pem_hashes ph = { NULL, NULL, NULL, 0, 0 };
        char *path = resolve_path(base_dir, value);

        if (path == NULL) {
            reason(r, rlen, "out of memory");
            goto out;
        }
        rc = load_pem(path, value, &ph, r, rlen);
        free(path);
        for (size_t i = 0; rc == 0 && i < ph.n; i++) {
            struct expect_pin *p = new_pin(shown, origin, set->nrules, server_text, &sv);

            if (p != NULL) {
                p->kind = EXPECT_SHA256;
                memcpy(p->hash, ph.h[i], 32);
                p->pem_index = i + 1 > UINT_MAX ? UINT_MAX : (unsigned)(i + 1);
                p->pem_count = ph.n > UINT_MAX ? UINT_MAX : (unsigned)ph.n;
                p->pem_file = dup_str(value);
                p->subject = ph.subj[i];
                ph.subj[i] = NULL;
                p->size = ph.size[i];
                ph.size[i].issuer_der = NULL;
            }
            if (p == NULL || p->pem_file == NULL || !push_pin(set, p)) {
                pin_free(p);
                rc = reason(r, rlen, "out of memory");
            }
        }
        pem_hashes_free(&ph);
        goto out;
    }

    struct expect_pin *p = NULL;
    uint8_t hash[32];
    char norm[HOSTNAME_BUFSZ];
    const char *text = NULL;

    switch (kw->kind) {
    case EXPECT_SHA256:
    case EXPECT_SPKI:
        if (parse_hash(value, kw->word, hash, r, rlen) != 0)
            goto out;
        break;
    case EXPECT_NAME:
        if (hostname_is_ip(value)) {
            struct cap_addr a;
            char txt[64];

            if (!cap_addr_parse(value, &a)) {
                reason(r, rlen, "name: '%s' is not an address", quote(&qb, value, strlen(value)));
                goto out;
            }
            cap_addr_format(&a, txt, sizeof(txt));
            snprintf(norm, sizeof(norm), "%s", txt);
        } else if (!hostname_normalize(value, norm, sizeof(norm))) {
            reason(r, rlen, "name: '%s' is not a host name or IP address",
                   quote(&qb, value, strlen(value)));
            goto out;
        }
        text = norm;
        break;
    case EXPECT_ISSUER:
        text = value;
        break;
    }
    p = new_pin(shown, origin, set->nrules, server_text, &sv);
    if (p != NULL) {
        p->kind = kw->kind;
        if (kw->kind == EXPECT_SHA256 || kw->kind == EXPECT_SPKI)
            memcpy(p->hash, hash, 32);
        if (text != NULL)
            p->value = dup_str(text);
    }
    if (p == NULL || (text != NULL && p->value == NULL) || !push_pin(set, p)) {
        pin_free(p);
        reason(r, rlen, "out of memory");
        goto out;
    }
    rc = 0;
out:
    if (rc == 0)
        set->nrules++;
    else
        truncate_pins(set, before);
    free(shown);
    free(copy);
    return rc;
}

int expect_add(struct expect_set *set, const char *spec, const char *origin,
               char *err, size_t errlen)
{
    char why[REASON_MAX];
    struct quoted qb;

    if (origin == NULL)
        origin = "--expect";
    if (set == NULL) {
        if (err != NULL && errlen > 0)
            snprintf(err, errlen, "%s: no expectation set", origin);
        return -1;
    }
    if (add_spec(set, spec, origin, NULL, why, sizeof(why)) == 0)
        return 0;
    if (err != NULL && errlen > 0) {
        snprintf(err, errlen, "%s '%s': %s", origin,
                 quote_max(&qb, spec ? spec : "", spec ? strlen(spec) : 0, QUOTE_SPEC_MAX), why);
        utf8_cut(err);
    }
    return -1;
}

/* dir_of returns the directory part of |path| ("" when it has none) in a
 * heap string. */
static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    size_t n = slash == NULL ? 0 : slash == path ? 1 : (size_t)(slash - path);
    char *d = malloc(n + 1);

    if (d != NULL) {
        memcpy(d, path, n);
        d[n] = '\0';
    }
    return d;
}

int expect_add_file(struct expect_set *set, const char *path, char *err, size_t errlen)
{
    char why[REASON_MAX];
    size_t len, before, rules_before, lineno = 0;
    char *text, *dir, *line;
    int rc = 0;

    if (err != NULL && errlen > 0)
        err[0] = '\0';
    if (set == NULL || path == NULL) {
        if (err != NULL && errlen > 0)
            snprintf(err, errlen, "%s: no expectation set", path ? path : "(null)");
        return -1;
    }
    if ((text = read_all(path, &len, why, sizeof(why))) == NULL) {
        if (err != NULL && errlen > 0)
            snprintf(err, errlen, "%s: cannot read: %s", path, why);
        return -1;
    }
    if ((dir = dir_of(path)) == NULL) {
        free(text);
        if (err != NULL && errlen > 0)
            snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    before = set->npins;
    rules_before = set->nrules;

    line = text;
    while (line < text + len) {
        char *end = memchr(line, '\n', (size_t)(text + len - line));
        size_t llen = end != NULL ? (size_t)(end - line) : (size_t)(text + len - line);
        char origin[64 + PATH_MAX];

        lineno++;
        if (memchr(line, '\0', llen) != NULL) {
            snprintf(why, sizeof(why), "NUL byte in the line");
            rc = -1;
        } else if (llen > EXPECT_LINE_MAX) {
            snprintf(why, sizeof(why), "line longer than %d bytes", EXPECT_LINE_MAX);
            rc = -1;
        }
        if (rc != 0)
            goto bad;
        line[llen] = '\0';

        /* comments: a '#' that starts the line or follows whitespace */
        char *s = line;
        while (is_space(*s))
            s++;
        for (char *h = s; *h; h++) {
            if (*h == '#' && (h == s || is_space(h[-1]))) {
                *h = '\0';
                break;
            }
        }
        s = trim(s);
        if (s[0] != '\0') {
            snprintf(origin, sizeof(origin), "%s:%zu", path, lineno);
            if (add_spec(set, s, origin, dir, why, sizeof(why)) != 0) {
                rc = -1;
                goto bad;
            }
        }
        if (end == NULL)
            break;
        line = end + 1;
    }
    free(dir);
    free(text);
    return 0;
bad:
    truncate_pins(set, before);
    set->nrules = rules_before;
    if (err != NULL && errlen > 0) {
        snprintf(err, errlen, "%s:%zu: %s", path, lineno, why);
        utf8_cut(err);
    }
    free(dir);
    free(text);
    return rc;
}

/* ---------------------------------------------------------------- lookup */

static bool addr_eq(const struct cap_addr *a, const struct cap_addr *b)
{
    return a->family == b->family && memcmp(a->b, b->b, sizeof(a->b)) == 0;
}

static bool has_name(const struct expect_target *t, const char *host)
{
    char norm[HOSTNAME_BUFSZ];

    for (size_t i = 0; i < t->nnames; i++)
        if (t->names[i] != NULL && hostname_normalize(t->names[i], norm, sizeof(norm)) &&
            strcmp(norm, host) == 0)
            return true;
    return false;
}

static bool applies(const struct expect_pin *p, const struct expect_target *t)
{
    switch (p->scope) {
    case EXPECT_ANY_SERVER:
        return false;
    case EXPECT_IP_PORT:
        return addr_eq(&p->addr, &t->addr) && p->port == t->port;
    case EXPECT_IP:
        return addr_eq(&p->addr, &t->addr);
    case EXPECT_HOST:
        return t->names != NULL && has_name(t, p->host);
    }
    return false;
}

size_t expect_lookup(const struct expect_set *set, const struct expect_target *t,
                     const struct expect_pin **out, size_t max)
{
    size_t n = 0;

    if (set == NULL)
        return 0;
    if (out == NULL)
        max = 0;
    if (t != NULL) {
        for (size_t i = 0; i < set->npins; i++) {
            if (!applies(set->pins[i], t))
                continue;
            if (n < max)
                out[n] = set->pins[i];
            n++;
        }
    }
    if (n > 0)
        return n;
    for (size_t i = 0; i < set->npins; i++) {
        if (set->pins[i]->scope != EXPECT_ANY_SERVER)
            continue;
        if (n < max)
            out[n] = set->pins[i];
        n++;
    }
    return n;
}

/* ---------------------------------------------------------------- matching */

static char fold(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* contains_nocase: |needle| occurs in |hay|, ASCII letters compared without
 * case (other bytes exactly). */
static bool contains_nocase(const char *hay, const char *needle)
{
    size_t nl = strlen(needle), hl = strlen(hay);

    if (nl == 0)
        return true;
    for (size_t i = 0; i + nl <= hl; i++) {
        size_t k = 0;

        while (k < nl && fold(hay[i + k]) == fold(needle[k]))
            k++;
        if (k == nl)
            return true;
    }
    return false;
}

bool expect_pin_matches(const struct expect_pin *pin, const struct x509_info *leaf)
{
    if (pin == NULL || leaf == NULL)
        return false;
    switch (pin->kind) {
    case EXPECT_SHA256:
        return memcmp(leaf->sha256, pin->hash, sizeof(pin->hash)) == 0;
    case EXPECT_SPKI:
        /* an unparsed certificate has no SPKI (spki_hex is "") */
        return leaf->parsed && leaf->spki_hex[0] != '\0' &&
               memcmp(leaf->spki_sha256, pin->hash, sizeof(pin->hash)) == 0;
    case EXPECT_NAME:
        return pin->value != NULL && hostname_check(leaf, pin->value, NULL, 0) == HOST_MATCH;
    case EXPECT_ISSUER:
        return leaf->parsed && leaf->issuer != NULL && pin->value != NULL &&
               contains_nocase(leaf->issuer, pin->value);
    }
    return false;
}

void expect_pin_describe(const struct expect_pin *pin, char *buf, size_t len)
{
    char val[32];
    const char *shown;

    if (buf == NULL || len == 0)
        return;
    if (pin == NULL) {
        snprintf(buf, len, "(none)");
        return;
    }
    if (pin->kind == EXPECT_SHA256 || pin->kind == EXPECT_SPKI) {
        /* the first and last three bytes around U+2026 HORIZONTAL ELLIPSIS */
        x509_hex(pin->hash, 3, val);
        memcpy(val + 6, "\xE2\x80\xA6", 3);
        x509_hex(pin->hash + 29, 3, val + 9);
        shown = val;
    } else {
        shown = pin->value != NULL ? pin->value : "";
    }
    if (pin->pem_file != NULL && pin->pem_count > 1)
        snprintf(buf, len, "%s:%s (pem:%s #%u of %u, %s)", expect_kind_name(pin->kind), shown,
                 pin->pem_file, pin->pem_index, pin->pem_count, pin->origin);
    else if (pin->pem_file != NULL)
        snprintf(buf, len, "%s:%s (pem:%s, %s)", expect_kind_name(pin->kind), shown,
                 pin->pem_file, pin->origin);
    else
        snprintf(buf, len, "%s:%s (%s)", expect_kind_name(pin->kind), shown, pin->origin);
    utf8_cut(buf);
}

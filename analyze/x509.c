/*
 * x509.c - certificates as presented, read with OpenSSL 3.0.
 *
 * Every certificate operation is OpenSSL's: d2i_X509 parses, X509_NAME_print_ex
 * writes RFC 2253, ASN1_STRING_to_UTF8 converts strings, ASN1_TIME_to_tm
 * reads dates, X509_self_signed checks the signature, EVP_Digest hashes.
 * What is ours: the cache, and making sure that every string handed out is
 * NUL-terminated, contains no NUL, is valid UTF-8 and has a bounded length,
 * whatever the certificate says.
 *
 * Decisions (the header's contract leaves these open):
 *  - Trailing bytes after the certificate's DER: parsed = false, with
 *    parse_error "trailing data after the certificate (N bytes)".  The TLS
 *    Certificate message gives each certificate's length, and OpenSSL's own
 *    TLS client rejects an entry that d2i_X509 does not consume exactly
 *    (SSL_R_CERT_LENGTH_MISMATCH), so such an entry is no certificate to a
 *    real client either.  The hashes are still of all |len| bytes.
 *  - parse_error when parsed = true is a note, not a failure: things in an
 *    otherwise readable certificate that the fields cannot show (an invalid
 *    notBefore/notAfter, left 0; a string that is not valid UTF-8; text cut
 *    at X509_TEXT_MAX; more CNs than X509_MAX_NAMES; a SAN extension that
 *    does not decode or is repeated; a public key OpenSSL cannot decode;
 *    extensions OpenSSL marks invalid).  "; " separates notes.
 *  - subject/issuer are X509_NAME_print_ex(XN_FLAG_RFC2253) without
 *    ASN1_STRFLGS_ESC_MSB, so non-ASCII text is UTF-8; control characters
 *    and NUL are RFC 2253 hex escapes ("CN=a\00b\1B[m").  If the result is
 *    not valid UTF-8 (a UTF8String with bad bytes: the printer copies them
 *    through), the name is printed again with ESC_MSB, so every byte >= 0x80
 *    is a "\XX" escape of the certificate's bytes (ASCII, lossless).  In 3.0
 *    this is a second line of defence: d2i_X509 canonicalises names and
 *    already rejects a DirectoryString that is not valid UTF-8 ("invalid
 *    utf8string"), so such a certificate has parsed = false.
 *  - CNs and SAN DNS names are the value itself (no escaping: control
 *    characters stay, the caller escapes on output) except that a NUL and any
 *    byte that is not part of valid UTF-8 become U+FFFD.  So
 *    "www.example.test\0.evil.test" is kept at full length as
 *    "www.example.test\xEF\xBF\xBD.evil.test": it never silently turns into
 *    "www.example.test", and it matches no host name.
 *  - Every string is cut at X509_TEXT_MAX bytes (at a UTF-8 character
 *    boundary) and then ends in "..."; at most X509_MAX_NAMES CNs per name and
 *    X509_MAX_NAMES SAN entries are kept (total_san counts every GeneralName,
 *    of any type).  Memory is therefore bounded by the DER length OpenSSL
 *    parses plus a constant per certificate.
 *  - serial_hex is i2a_ASN1_INTEGER's text, as `openssl x509 -serial` shows it
 *    ("00" for zero, a leading "-" for a negative serial).
 *  - pem is the PEM encoding of the bytes as presented (not re-encoded by
 *    OpenSSL), so its SHA-256 after decoding equals sha256_hex.
 *  - A certificate that does not parse has spki_hex "" (there is no SPKI to
 *    hash), pem NULL and x509 NULL.
 *  - x509_cache_stats' "parsed" counts parses: a certificate evicted and
 *    seen again counts twice.  The cache is not thread safe: one per thread.
 */
#include "analyze/x509.h"

#include <arpa/inet.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "lib/keyhash.h"

#define X509_TEXT_MAX 4096      /* bytes of one string, before the "..." */
#define NOTES_MAX 512

_Static_assert(sizeof(time_t) >= 8, "validity beyond 2038 needs a 64-bit time_t");

/* ---------------------------------------------------------------- digests */

static const char hexu[] = "0123456789ABCDEF";
static const char hexl[] = "0123456789abcdef";

static void to_hex(const uint8_t *p, size_t n, const char *digits, char *out)
{
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    out[2 * n] = '\0';
}

void x509_hex(const uint8_t *p, size_t n, char *out)
{
    to_hex(p, n, hexu, out);
}

/* OpenSSL 3 looks an algorithm up in its provider tables on every use of
 * EVP_sha256()/EVP_md5() (an "implicit fetch"); hashing a certificate per
 * session is on the hot path, so the algorithms are fetched once and kept
 * (reachable for the life of the process). */
static const EVP_MD *md_sha256(void)
{
    static EVP_MD *m;

    if (!m)
        m = EVP_MD_fetch(NULL, "SHA2-256", NULL);
    return m ? m : EVP_sha256();
}

static const EVP_MD *md_md5(void)
{
    static EVP_MD *m;

    if (!m)
        m = EVP_MD_fetch(NULL, "MD5", NULL);
    if (!m)
        ERR_clear_error();
    return m ? m : EVP_md5();
}

/* digest: EVP_Digest of |len| bytes into |md| (|mdlen| bytes); false if the
 * digest is unavailable (MD5 under a FIPS-only configuration). */
static bool digest(const EVP_MD *type, const uint8_t *p, size_t len, uint8_t *md, size_t mdlen)
{
    unsigned int n = 0;
    static const uint8_t empty[1];

    if (p == NULL)
        p = empty, len = 0;
    if (type == NULL || (size_t)EVP_MD_get_size(type) != mdlen ||
        !EVP_Digest(p, len, md, &n, type, NULL) || n != mdlen) {
        ERR_clear_error();
        return false;
    }
    return true;
}

void x509_sha256_hex(const uint8_t *p, size_t len, char out[65])
{
    uint8_t md[32];

    if (digest(md_sha256(), p, len, md, sizeof(md)))
        to_hex(md, sizeof(md), hexu, out);
    else
        out[0] = '\0';
}

/* JA3/JA3S strings repeat from session to session (one per client or
 * server software), and each EVP_Digest allocates and frees its contexts:
 * the last results are kept in a small direct-mapped table, looked up by a
 * cheap hash and confirmed by comparing the whole string.  Bounded: MD5_SLOTS
 * strings of at most MD5_CACHE_MAX bytes, for the life of the process. */
#define MD5_SLOTS 64
#define MD5_CACHE_MAX 2048

static uint64_t text_hash(const uint8_t *p, size_t len)
{
    uint64_t h = 0x9E3779B97F4A7C15ull ^ len, w;
    size_t i = 0;

    for (; len - i >= 8; i += 8) {
        memcpy(&w, p + i, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdull;
        h ^= h >> 29;
    }
    w = 0;
    memcpy(&w, p + i, len - i);
    h = (h ^ w) * 0xc4ceb9fe1a85ec53ull;
    return h ^ (h >> 32);
}

struct md5_slot {
    uint64_t h;
    size_t len;
    uint8_t *text;
    char hex[X509_JA4_LEN + 1];      /* the MD5 in hex, or a JA4 */
};

/* slot_find returns the slot for |p| in |slots| and whether it holds |p|;
 * NULL (never a hit) when |p| is too long to remember. */
static struct md5_slot *slot_find(struct md5_slot *slots, const uint8_t *p, size_t len,
                                  uint64_t *h, bool *hit)
{
    struct md5_slot *e;

    *hit = false;
    if (p == NULL || len > MD5_CACHE_MAX)
        return NULL;
    *h = text_hash(p, len);
    e = &slots[*h % MD5_SLOTS];
    *hit = e->text != NULL && e->h == *h && e->len == len && memcmp(e->text, p, len) == 0;
    return e;
}

/* slot_keep remembers |out| for |p| in |e| (forgets the slot on allocation
 * failure). */
static void slot_keep(struct md5_slot *e, const uint8_t *p, size_t len, uint64_t h,
                      const char *out)
{
    uint8_t *t = realloc(e->text, len ? len : 1);

    if (t == NULL) {
        free(e->text);
        e->text = NULL;
        return;
    }
    memcpy(t, p, len);
    e->text = t;
    e->h = h;
    e->len = len;
    memcpy(e->hex, out, strlen(out) + 1);
}

void x509_md5_hex(const uint8_t *p, size_t len, char out[33])
{
    static struct md5_slot slots[MD5_SLOTS];
    uint8_t md[16];
    uint64_t h = 0;
    bool hit;
    struct md5_slot *e = slot_find(slots, p, len, &h, &hit);

    if (hit) {
        memcpy(out, e->hex, 33);
        return;
    }
    if (!digest(md_md5(), p, len, md, sizeof(md))) {
        out[0] = '\0';
        return;
    }
    to_hex(md, sizeof(md), hexl, out);
    if (e != NULL)
        slot_keep(e, p, len, h, out);
}

/* ja4_hash12 writes the first 12 lower-case hex digits of the SHA-256 of
 * |n| bytes at |p|, or "000000000000" for none (JA4's mark of an empty
 * list); false if SHA-256 is unavailable. */
static bool ja4_hash12(const char *p, size_t n, char *out)
{
    uint8_t md[32];
    char hex[65];

    if (n == 0) {
        memcpy(out, "000000000000", 12);
        return true;
    }
    if (!digest(md_sha256(), (const uint8_t *)p, n, md, sizeof(md)))
        return false;
    to_hex(md, sizeof(md), hexl, hex);
    memcpy(out, hex, 12);
    return true;
}

bool x509_ja4(const char *raw, char out[X509_JA4_LEN + 1])
{
    static struct md5_slot slots[MD5_SLOTS];
    size_t len = strlen(raw);
    const char *u1 = memchr(raw, '_', len), *u2, *end = raw + len;
    uint64_t h = 0;
    bool hit;
    struct md5_slot *e = slot_find(slots, (const uint8_t *)raw, len, &h, &hit);

    out[0] = '\0';
    if (hit) {
        memcpy(out, e->hex, X509_JA4_LEN + 1);
        return true;
    }
    /* a: ten characters; b: up to the next '_'; c: the rest, whose
     * extension list (before any '_') may be empty */
    if (u1 == NULL || u1 - raw != 10 ||
        (u2 = memchr(u1 + 1, '_', (size_t)(end - u1 - 1))) == NULL)
        return false;
    memcpy(out, raw, 10);
    out[10] = '_';
    out[23] = '_';
    if (!ja4_hash12(u1 + 1, (size_t)(u2 - u1 - 1), out + 11) ||
        !ja4_hash12(u2 + 1, u2 + 1 == end || u2[1] == '_' ? 0 : (size_t)(end - u2 - 1),
                    out + 24)) {
        out[0] = '\0';
        return false;
    }
    out[X509_JA4_LEN] = '\0';
    if (e != NULL)
        slot_keep(e, (const uint8_t *)raw, len, h, out);
    return true;
}

/* ---------------------------------------------------------------- strings */

/* Parsing state: notes for parse_error, and whether an allocation failed. */
struct pctx {
    char notes[NOTES_MAX];
    size_t nlen;
    bool oom;
};

static void note(struct pctx *cx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void note(struct pctx *cx, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (cx == NULL || cx->nlen + 3 >= sizeof(cx->notes))
        return;
    if (cx->nlen > 0) {
        memcpy(cx->notes + cx->nlen, "; ", 3);
        cx->nlen += 2;
    }
    va_start(ap, fmt);
    n = vsnprintf(cx->notes + cx->nlen, sizeof(cx->notes) - cx->nlen, fmt, ap);
    va_end(ap);
    if (n > 0)
        cx->nlen += (size_t)n;
    if (cx->nlen >= sizeof(cx->notes))
        cx->nlen = sizeof(cx->notes) - 1;
}

static char *xstrdup(struct pctx *cx, const char *s)
{
    char *d = strdup(s);

    if (d == NULL)
        cx->oom = true;
    return d;
}

/* utf8_char: the length of the valid UTF-8 character at |p| (at most |n|
 * bytes), or 0 if there is none there.  UTF8_getc rejects truncated and
 * overlong forms; surrogates and values above U+10FFFF are rejected here. */
static size_t utf8_char(const unsigned char *p, size_t n, unsigned long *val)
{
    int r = UTF8_getc(p, n > 8 ? 8 : (int)n, val);

    if (r <= 0 || (*val >= 0xD800 && *val <= 0xDFFF) || *val > 0x10FFFF)
        return 0;
    return (size_t)r;
}

static bool utf8_valid(const unsigned char *p, size_t n)
{
    unsigned long v;

    for (size_t i = 0, k; i < n; i += k)
        if ((k = utf8_char(p + i, n - i, &v)) == 0 || v == 0)
            return false;
    return true;
}

/* clean_text returns a heap copy of |n| bytes as a string for x509_info:
 * valid UTF-8 is copied, NUL and every byte that is not part of valid UTF-8
 * become U+FFFD, and the text is cut at X509_TEXT_MAX bytes (at a character
 * boundary) followed by "...".  Sets *bad / *cut when it replaced / cut. */
static char *clean_text(struct pctx *cx, const unsigned char *p, size_t n, bool *bad, bool *cut)
{
    size_t cap = (n < X509_TEXT_MAX ? 3 * n : X509_TEXT_MAX) + 4;
    char *s = malloc(cap + 1);
    size_t o = 0;

    if (s == NULL) {
        if (cx != NULL)
            cx->oom = true;
        return NULL;
    }
    for (size_t i = 0, k; i < n; i += k) {
        unsigned long v = 0;
        const unsigned char *src = p + i;

        k = utf8_char(p + i, n - i, &v);
        if (k == 0 || v == 0) {
            src = (const unsigned char *)"\xEF\xBF\xBD";
            k = k ? k : 1;
            if (bad != NULL)
                *bad = true;
        }
        size_t w = src == p + i ? k : 3;
        if (o + w > X509_TEXT_MAX) {
            memcpy(s + o, "...", 3);
            o += 3;
            if (cut != NULL)
                *cut = true;
            break;
        }
        memcpy(s + o, src, w);
        o += w;
    }
    s[o] = '\0';
    return s;
}

/* bio_text: what was written to the memory BIO |b|, as clean_text. */
static char *bio_text(struct pctx *cx, BIO *b, bool *cut)
{
    char *data = NULL;
    long n = BIO_get_mem_data(b, &data);

    return clean_text(cx, (const unsigned char *)data, n > 0 ? (size_t)n : 0, NULL, cut);
}

/* asn1_text: an ASN1_STRING (CN, dNSName) as UTF-8.  A value that does not
 * convert (a UTF8String with bad bytes, a non-string type) is shown from its
 * raw bytes, bad bytes as U+FFFD. */
static char *asn1_text(struct pctx *cx, const ASN1_STRING *as, const char *what)
{
    unsigned char *u = NULL;
    int n = ASN1_STRING_to_UTF8(&u, as);
    bool bad = false, cut = false;
    char *s;

    if (n >= 0) {
        s = clean_text(cx, u, (size_t)n, &bad, &cut);
        OPENSSL_free(u);
    } else {
        ERR_clear_error();
        s = clean_text(cx, ASN1_STRING_get0_data(as), (size_t)ASN1_STRING_length(as), &bad, &cut);
        bad = true;
    }
    if (bad)
        note(cx, "%s: not valid text, shown with U+FFFD", what);
    if (cut)
        note(cx, "%s: longer than %d bytes, cut", what, X509_TEXT_MAX);
    return s;
}

/* name_text: RFC 2253 text of a DistinguishedName (see the top of the file
 * for the three flag sets, tried in order).  NULL only if out of memory. */
static char *name_text(struct pctx *cx, const X509_NAME *nm, const char *what)
{
    static const unsigned long flags[] = {
        XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB,
        XN_FLAG_RFC2253,
        (XN_FLAG_RFC2253 | ASN1_STRFLGS_IGNORE_TYPE) & ~ASN1_STRFLGS_UTF8_CONVERT,
    };

    for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
        BIO *b = BIO_new(BIO_s_mem());
        char *data = NULL, *s;
        long n;
        bool cut = false;

        if (b == NULL) {
            cx->oom = true;
            return NULL;
        }
        if (X509_NAME_print_ex(b, nm, 0, flags[i]) < 0 ||
            (n = BIO_get_mem_data(b, &data)) < 0 ||
            !utf8_valid((const unsigned char *)data, (size_t)n)) {
            BIO_free(b);
            ERR_clear_error();
            continue;
        }
        s = bio_text(cx, b, &cut);
        BIO_free(b);
        if (i > 0)
            note(cx, "%s: not valid UTF-8, non-ASCII shown as \\XX", what);
        if (cut)
            note(cx, "%s: longer than %d bytes, cut", what, X509_TEXT_MAX);
        return s;
    }
    note(cx, "%s: cannot be printed", what);
    return xstrdup(cx, "");
}

/* name_cns: every CN of |nm| in order, at most X509_MAX_NAMES. */
static char **name_cns(struct pctx *cx, const X509_NAME *nm, size_t *count, const char *what)
{
    char **v = NULL;
    size_t n = 0, total = 0;

    for (int pos = -1; (pos = X509_NAME_get_index_by_NID(nm, NID_commonName, pos)) >= 0;) {
        const X509_NAME_ENTRY *ne = X509_NAME_get_entry(nm, pos);
        const ASN1_STRING *as = ne != NULL ? X509_NAME_ENTRY_get_data(ne) : NULL;
        char *s;

        if (as == NULL)
            continue;
        if (++total > X509_MAX_NAMES)
            continue;
        if (v == NULL && (v = calloc(X509_MAX_NAMES, sizeof(*v))) == NULL) {
            cx->oom = true;
            break;
        }
        if ((s = asn1_text(cx, as, what)) == NULL)
            break;
        v[n++] = s;
    }
    if (total > X509_MAX_NAMES)
        note(cx, "%s: %zu CNs, first %d kept", what, total, X509_MAX_NAMES);
    *count = n;
    return v;
}

/* ---------------------------------------------------------------- fields */

/* RFC 5280 §4.2.1.6: GeneralNames; dNSName is an IA5String, iPAddress four
 * or sixteen octets in network order. */
static void read_san(struct pctx *cx, X509 *x, struct x509_info *xi)
{
    int crit = -1;
    GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, &crit, NULL);
    int n;

    if (gens == NULL) {
        if (crit == -2)
            note(cx, "subjectAltName: more than one extension, none read");
        else if (crit >= 0)
            note(cx, "subjectAltName: does not decode");
        ERR_clear_error();
        return;
    }
    n = sk_GENERAL_NAME_num(gens);
    for (int i = 0; i < n && !cx->oom; i++) {
        const GENERAL_NAME *gn = sk_GENERAL_NAME_value(gens, i);
        char *s = NULL;

        xi->total_san++;
        if (xi->nsan >= X509_MAX_NAMES || gn == NULL)
            continue;
        if (gn->type == GEN_DNS) {
            s = asn1_text(cx, gn->d.dNSName, "subjectAltName dNSName");
        } else if (gn->type == GEN_IPADD) {
            const ASN1_OCTET_STRING *ip = gn->d.iPAddress;
            char buf[INET6_ADDRSTRLEN];
            int af = ASN1_STRING_length(ip) == 4 ? AF_INET :
                     ASN1_STRING_length(ip) == 16 ? AF_INET6 : 0;

            if (af == 0 || inet_ntop(af, ASN1_STRING_get0_data(ip), buf, sizeof(buf)) == NULL) {
                note(cx, "subjectAltName: iPAddress of %d bytes", ASN1_STRING_length(ip));
                continue;
            }
            s = xstrdup(cx, buf);
        } else {
            continue;
        }
        if (s == NULL)
            break;
        if (xi->san == NULL && (xi->san = calloc(X509_MAX_NAMES, sizeof(*xi->san))) == NULL) {
            free(s);
            cx->oom = true;
            break;
        }
        xi->san[xi->nsan++] = s;
    }
    GENERAL_NAMES_free(gens);
}

/* asn1_time_secs: UTCTime or GeneralizedTime as seconds since the epoch. */
static bool asn1_time_secs(const ASN1_TIME *t, int64_t *out)
{
    struct tm tm;

    /* ASN1_TIME_to_tm(NULL) would mean "now": never that here */
    if (t == NULL || !ASN1_TIME_to_tm(t, &tm)) {
        ERR_clear_error();
        return false;
    }
    *out = (int64_t)timegm(&tm);
    return true;
}

/* key_alg_name: the header's names for the common algorithms, else
 * OpenSSL's short name, else the OID in dotted form. */
static char *key_alg_name(struct pctx *cx, int nid, const ASN1_OBJECT *obj)
{
    char buf[128];

    switch (nid) {
    case EVP_PKEY_RSA: return xstrdup(cx, "RSA");
    case EVP_PKEY_EC: return xstrdup(cx, "EC");
    case EVP_PKEY_DSA: return xstrdup(cx, "DSA");
    case EVP_PKEY_DH:
    case EVP_PKEY_DHX: return xstrdup(cx, "DH");
    case EVP_PKEY_ED25519: return xstrdup(cx, "ED25519");
    case EVP_PKEY_ED448: return xstrdup(cx, "ED448");
    default: break;
    }
    if (nid != NID_undef && OBJ_nid2sn(nid) != NULL)
        return xstrdup(cx, OBJ_nid2sn(nid));
    if (obj == NULL || OBJ_obj2txt(buf, sizeof(buf), obj, 1) <= 0)
        return xstrdup(cx, "unknown");
    return clean_text(cx, (const unsigned char *)buf, strlen(buf), NULL, NULL);
}

static void read_key(struct pctx *cx, X509 *x, struct x509_info *xi)
{
    X509_PUBKEY *xpk = X509_get_X509_PUBKEY(x);
    EVP_PKEY *pk = X509_get0_pubkey(x);
    ASN1_OBJECT *obj = NULL;
    unsigned char *spki = NULL;
    int n;

    /* RFC 5280 §4.1.2.7: the SPKI pin is over its DER, key or no key */
    if (xpk != NULL && (n = i2d_X509_PUBKEY(xpk, &spki)) > 0 &&
        digest(md_sha256(), spki, (size_t)n, xi->spki_sha256, sizeof(xi->spki_sha256)))
        to_hex(xi->spki_sha256, sizeof(xi->spki_sha256), hexu, xi->spki_hex);
    OPENSSL_free(spki);

    if (xpk != NULL)
        X509_PUBKEY_get0_param(&obj, NULL, NULL, NULL, xpk);
    if (pk == NULL) {
        note(cx, "public key: OpenSSL cannot decode it");
        xi->key_alg = key_alg_name(cx, obj != NULL ? OBJ_obj2nid(obj) : NID_undef, obj);
        ERR_clear_error();
        return;
    }
    xi->key_alg = key_alg_name(cx, EVP_PKEY_get_base_id(pk), obj);
    xi->key_bits = EVP_PKEY_get_bits(pk) > 0 ? EVP_PKEY_get_bits(pk) : 0;
    if (EVP_PKEY_get_base_id(pk) == EVP_PKEY_EC) {
        char group[80];
        size_t glen = 0;

        if (EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), &glen))
            xi->key_curve = clean_text(cx, (const unsigned char *)group, glen, NULL, NULL);
        else
            note(cx, "public key: EC without a named curve");
    }
    ERR_clear_error();
}

static void read_sig_alg(struct pctx *cx, const X509 *x, struct x509_info *xi)
{
    int nid = X509_get_signature_nid(x);
    const X509_ALGOR *alg = NULL;
    const ASN1_OBJECT *obj = NULL;
    char buf[128];

    if (nid != NID_undef && OBJ_nid2ln(nid) != NULL) {
        xi->sig_alg = xstrdup(cx, OBJ_nid2ln(nid));
        return;
    }
    X509_get0_signature(NULL, &alg, x);
    if (alg != NULL)
        X509_ALGOR_get0(&obj, NULL, NULL, alg);
    if (obj == NULL || OBJ_obj2txt(buf, sizeof(buf), obj, 1) <= 0)
        xi->sig_alg = xstrdup(cx, "unknown");
    else
        xi->sig_alg = clean_text(cx, (const unsigned char *)buf, strlen(buf), NULL, NULL);
}

static char *serial_text(struct pctx *cx, const X509 *x)
{
    BIO *b = BIO_new(BIO_s_mem());
    char *s = NULL;
    bool cut = false;

    if (b == NULL) {
        cx->oom = true;
        return NULL;
    }
    if (i2a_ASN1_INTEGER(b, X509_get0_serialNumber(x)) > 0)
        s = bio_text(cx, b, &cut);
    else
        s = xstrdup(cx, "");
    if (cut)
        note(cx, "serial: longer than %d bytes, cut", X509_TEXT_MAX);
    BIO_free(b);
    return s;
}

/* RFC 7468 §5: "CERTIFICATE" around the bytes as presented. */
static char *pem_text(struct pctx *cx, const uint8_t *der, size_t len)
{
    BIO *b = BIO_new(BIO_s_mem());
    char *data = NULL, *s = NULL;
    long n;

    if (b != NULL && PEM_write_bio(b, PEM_STRING_X509, "", der, (long)len) > 0 &&
        (n = BIO_get_mem_data(b, &data)) >= 0 && (s = malloc((size_t)n + 1)) != NULL) {
        memcpy(s, data, (size_t)n);
        s[n] = '\0';
    }
    if (s == NULL)
        cx->oom = true;
    BIO_free(b);
    return s;
}

/* pem_json_text: |pem| as a JSON string.  PEM is printable ASCII (RFC 7468
 * §3) apart from its line ends, so '\n' is the only byte to escape; any
 * other byte below 0x20 would mean a PEM writer gone wrong and is refused. */
static char *pem_json_text(struct pctx *cx, const char *pem, size_t *out_len)
{
    size_t n = 0, lines = 0, o = 0;
    char *s;

    for (; pem[n] != '\0'; n++) {
        if (pem[n] == '\n')
            lines++;
        else if ((unsigned char)pem[n] < 0x20 || pem[n] == '"' || pem[n] == '\\' ||
                 (unsigned char)pem[n] >= 0x7f)
            return NULL;
    }
    if ((s = malloc(n + lines + 3)) == NULL) {
        cx->oom = true;
        return NULL;
    }
    s[o++] = '"';
    for (size_t i = 0; i < n; i++) {
        if (pem[i] == '\n') {
            s[o++] = '\\';
            s[o++] = 'n';
        } else {
            s[o++] = pem[i];
        }
    }
    s[o++] = '"';
    s[o] = '\0';
    *out_len = o;
    return s;
}

char *x509_pem(const uint8_t *der, size_t len)
{
    struct pctx cx = {.nlen = 0};

    return pem_text(&cx, der, len);
}

/* ---------------------------------------------------------------- parse */

static void info_cleanup(struct x509_info *xi)
{
    free(xi->parse_error);
    free(xi->subject);
    free(xi->issuer);
    for (size_t i = 0; i < xi->nsubject_cn; i++)
        free(xi->subject_cn[i]);
    free(xi->subject_cn);
    for (size_t i = 0; i < xi->nissuer_cn; i++)
        free(xi->issuer_cn[i]);
    free(xi->issuer_cn);
    for (size_t i = 0; i < xi->nsan; i++)
        free(xi->san[i]);
    free(xi->san);
    free(xi->serial_hex);
    free(xi->key_alg);
    free(xi->key_curve);
    free(xi->sig_alg);
    free(xi->pem);
    free(xi->pem_json);
    X509_free(xi->x509);
    memset(xi, 0, sizeof(*xi));
}

/* openssl_reason: the first error on OpenSSL's queue as text (the queue is
 * cleared), or |fallback|. */
static char *openssl_reason(const char *fallback)
{
    unsigned long e = ERR_get_error();
    char buf[256];

    ERR_clear_error();
    if (e == 0)
        return strdup(fallback);
    ERR_error_string_n(e, buf, sizeof(buf));
    return strdup(buf);
}

/* info_fill reads one certificate into |xi| (zeroed by the caller); false
 * only when out of memory (|xi| is then cleaned up). */
static bool info_fill(struct x509_info *xi, const uint8_t *der, size_t len, const uint8_t sha[32])
{
    struct pctx cx;
    const unsigned char *p = der;
    X509 *x;

    memset(&cx, 0, sizeof(cx));
    memcpy(xi->sha256, sha, 32);
    to_hex(sha, 32, hexu, xi->sha256_hex);
    xi->der_len = len;

    ERR_clear_error();
    if (len == 0 || len > LONG_MAX) {
        xi->parse_error = strdup(len == 0 ? "empty certificate" : "certificate too long");
        return xi->parse_error != NULL;
    }
    x = d2i_X509(NULL, &p, (long)len);
    if (x == NULL) {
        xi->parse_error = openssl_reason("d2i_X509 failed");
        return xi->parse_error != NULL;
    }
    if (p != der + len) {
        char buf[96];

        snprintf(buf, sizeof(buf), "trailing data after the certificate (%zu bytes)",
                 len - (size_t)(p - der));
        X509_free(x);
        ERR_clear_error();
        xi->parse_error = strdup(buf);
        return xi->parse_error != NULL;
    }
    xi->parsed = true;
    xi->x509 = x;

    xi->subject = name_text(&cx, X509_get_subject_name(x), "subject");
    xi->issuer = name_text(&cx, X509_get_issuer_name(x), "issuer");
    xi->subject_cn = name_cns(&cx, X509_get_subject_name(x), &xi->nsubject_cn, "subject CN");
    xi->issuer_cn = name_cns(&cx, X509_get_issuer_name(x), &xi->nissuer_cn, "issuer CN");
    read_san(&cx, x, xi);
    xi->serial_hex = serial_text(&cx, x);
    if (!asn1_time_secs(X509_get0_notBefore(x), &xi->not_before))
        note(&cx, "notBefore: not a valid time");
    if (!asn1_time_secs(X509_get0_notAfter(x), &xi->not_after))
        note(&cx, "notAfter: not a valid time");
    read_key(&cx, x, xi);
    read_sig_alg(&cx, x, xi);
    long version = X509_get_version(x);   /* RFC 5280 §4.1.2.1: 0, 1 or 2 */
    if (version >= 0 && version <= 2)
        xi->version = (int)version + 1;
    else
        note(&cx, "version: %ld is not 0, 1 or 2", version);

    /* X509_get_extension_flags decodes the extensions once (RFC 5280 §4.2.1.9) */
    uint32_t ex = X509_get_extension_flags(x);
    xi->is_ca = (ex & EXFLAG_CA) != 0;
    if (ex & EXFLAG_INVALID)
        note(&cx, "extensions: OpenSSL marks them invalid (repeated or undecodable)");
    xi->self_issued = X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(x)) == 0;
    /* 3.0: self-issued, AKID/SKID and algorithms agree, X509_verify with its own key */
    xi->self_signed = xi->self_issued && X509_self_signed(x, 1) == 1;
    xi->pem = pem_text(&cx, der, len);
    if (xi->pem != NULL)
        xi->pem_json = pem_json_text(&cx, xi->pem, &xi->pem_json_len);
    ERR_clear_error();

    if (cx.nlen > 0 && !cx.oom)
        xi->parse_error = xstrdup(&cx, cx.notes);
    if (cx.oom) {
        info_cleanup(xi);
        return false;
    }
    return true;
}

char *x509_dn_text(const uint8_t *der, size_t len)
{
    struct pctx cx;
    const unsigned char *p = der;
    X509_NAME *nm;
    char *s = NULL;

    if (der == NULL || len == 0 || len > LONG_MAX)
        return NULL;
    memset(&cx, 0, sizeof(cx));
    nm = d2i_X509_NAME(NULL, &p, (long)len);
    /* as for certificates: trailing bytes mean it is not this DN */
    if (nm != NULL && p == der + len)
        s = name_text(&cx, nm, "name");
    X509_NAME_free(nm);
    ERR_clear_error();
    return s;
}

/* ---------------------------------------------------------------- cache */

struct entry {
    struct x509_info info;
    uint8_t *der;                    /* the bytes, compared on lookup */
    uint64_t hash;                   /* der_hash of them */
    struct entry *hnext;             /* hash chain */
    struct entry *prev, *next;       /* LRU list of unused entries, oldest first */
};

struct x509_cache {
    struct entry **buckets;
    unsigned shift;                  /* 1 << shift buckets */
    size_t count;
    uint64_t key;                    /* random key of der_hash */
    struct entry *lru_head, *lru_tail;
    size_t nunused, max_unused;
    uint64_t nparsed, nhits;
};

/* The bucket comes from a keyed hash of the whole DER: each session looks
 * its certificates up, and hashing them with SHA-256 for that showed in every
 * profile, while a parse (and its SHA-256) happens once per distinct
 * certificate.  The key is random because the certificates come from the
 * network: without it a sender could build certificates that share a bucket
 * and make one long chain.  Equality is decided by comparing the DER itself,
 * so a collision only costs a longer chain, never a wrong answer. */
static uint64_t der_hash(const struct x509_cache *c, const uint8_t *p, size_t n)
{
    return keyhash(c->key, p, n);
}

static size_t bucket_of(const struct x509_cache *c, uint64_t h)
{
    return (size_t)(h >> (64 - c->shift));
}

struct x509_cache *x509_cache_new(size_t max_unused)
{
    struct x509_cache *c = calloc(1, sizeof(*c));

    if (c == NULL)
        return NULL;
    c->shift = 8;
    c->buckets = calloc((size_t)1 << c->shift, sizeof(*c->buckets));
    if (c->buckets == NULL) {
        free(c);
        return NULL;
    }
    if (RAND_bytes((unsigned char *)&c->key, sizeof(c->key)) != 1) {
        ERR_clear_error();
        c->key = 0x9E3779B97F4A7C15u;
    }
    c->max_unused = max_unused ? max_unused : 4096;
    return c;
}

static void entry_free(struct entry *e)
{
    info_cleanup(&e->info);
    free(e->der);
    free(e);
}

void x509_cache_free(struct x509_cache *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < (size_t)1 << c->shift; i++) {
        for (struct entry *e = c->buckets[i], *nx; e != NULL; e = nx) {
            nx = e->hnext;
            entry_free(e);
        }
    }
    free(c->buckets);
    free(c);
}

static void lru_unlink(struct x509_cache *c, struct entry *e)
{
    if (e->prev != NULL)
        e->prev->next = e->next;
    else
        c->lru_head = e->next;
    if (e->next != NULL)
        e->next->prev = e->prev;
    else
        c->lru_tail = e->prev;
    e->prev = e->next = NULL;
    c->nunused--;
}

static void lru_append(struct x509_cache *c, struct entry *e)
{
    e->prev = c->lru_tail;
    e->next = NULL;
    if (c->lru_tail != NULL)
        c->lru_tail->next = e;
    else
        c->lru_head = e;
    c->lru_tail = e;
    c->nunused++;
}

static void hash_remove(struct x509_cache *c, struct entry *e)
{
    for (struct entry **pp = &c->buckets[bucket_of(c, e->hash)]; *pp != NULL; pp = &(*pp)->hnext) {
        if (*pp == e) {
            *pp = e->hnext;
            c->count--;
            return;
        }
    }
}

/* grow doubles the table; on allocation failure the old one stays (longer
 * chains, still correct). */
static void grow(struct x509_cache *c)
{
    unsigned oshift = c->shift;
    struct entry **old = c->buckets, **nb;

    if (oshift >= 30 || (nb = calloc((size_t)1 << (oshift + 1), sizeof(*nb))) == NULL)
        return;
    c->buckets = nb;
    c->shift = oshift + 1;
    for (size_t i = 0; i < (size_t)1 << oshift; i++) {
        for (struct entry *e = old[i], *nx; e != NULL; e = nx) {
            size_t b = bucket_of(c, e->hash);

            nx = e->hnext;
            e->hnext = nb[b];
            nb[b] = e;
        }
    }
    free(old);
}

static struct entry *lookup(const struct x509_cache *c, uint64_t h, const uint8_t *der,
                            size_t len)
{
    for (struct entry *e = c->buckets[bucket_of(c, h)]; e != NULL; e = e->hnext)
        if (e->hash == h && e->info.der_len == len &&
            (e->der == der || len == 0 || memcmp(e->der, der, len) == 0))
            return e;
    return NULL;
}

const struct x509_info *x509_cache_get(struct x509_cache *c, const uint8_t *der, size_t len)
{
    uint8_t sha[32];
    struct entry *e;
    uint64_t h;

    if (c == NULL || (der == NULL && len != 0))
        return NULL;
    h = der_hash(c, der, len);
    if ((e = lookup(c, h, der, len)) != NULL) {
        if (e->info.refs == 0)
            lru_unlink(c, e);
        e->info.refs++;
        c->nhits++;
        return &e->info;
    }
    if (!digest(md_sha256(), der, len, sha, sizeof(sha)) || (e = calloc(1, sizeof(*e))) == NULL)
        return NULL;
    if ((e->der = malloc(len ? len : 1)) == NULL) {
        free(e);
        return NULL;
    }
    if (len)
        memcpy(e->der, der, len);
    e->hash = h;
    if (!info_fill(&e->info, der, len, sha)) {
        free(e->der);
        free(e);
        return NULL;
    }
    c->nparsed++;
    e->info.refs = 1;
    if (c->count >= (size_t)1 << c->shift)
        grow(c);
    size_t b = bucket_of(c, h);
    e->hnext = c->buckets[b];
    c->buckets[b] = e;
    c->count++;
    return &e->info;
}

void x509_cache_release(struct x509_cache *c, const struct x509_info *xi)
{
    struct entry *e;

    if (c == NULL || xi == NULL)
        return;
    /* found through the table, so a pointer this cache did not hand out (or
     * one released too often) is ignored instead of corrupting the lists */
    /* the info is the entry's first member, but only a pointer found in
     * the table is trusted */
    e = (struct entry *)((char *)(uintptr_t)xi - offsetof(struct entry, info));
    e = lookup(c, e->hash, e->der, xi->der_len);
    if (e == NULL || &e->info != xi || e->info.refs == 0)
        return;
    if (--e->info.refs > 0)
        return;
    lru_append(c, e);
    while (c->nunused > c->max_unused) {
        struct entry *old = c->lru_head;

        lru_unlink(c, old);
        hash_remove(c, old);
        entry_free(old);
    }
}

void x509_cache_stats(const struct x509_cache *c, uint64_t *parsed, uint64_t *hits)
{
    if (parsed != NULL)
        *parsed = c != NULL ? c->nparsed : 0;
    if (hits != NULL)
        *hits = c != NULL ? c->nhits : 0;
}

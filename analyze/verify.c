/*
 * verify.c - chain verification with OpenSSL 3.0 at the capture time.
 *
 * OpenSSL does the verifying (X509_verify_cert); what is ours is the
 * bookkeeping around it:
 *
 *  - Purpose.  The context is set up with X509_STORE_CTX_set_default(ctx,
 *    "ssl_server"): purpose X509_PURPOSE_SSL_SERVER and trust
 *    X509_TRUST_SSL_SERVER, exactly what libssl does when a TLS client
 *    verifies a server (ssl_verify_cert_chain).  A sending MTA is a TLS
 *    client, so an OpenSSL-based MTA that verifies at all (Postfix "verify"/
 *    "secure", MTA-STS, which RFC 8461 §4.2 ties to PKIX as for HTTPS)
 *    rejects what this rejects: a leaf whose extendedKeyUsage lacks
 *    serverAuth, or a CA whose EKU excludes it.  A certificate with no EKU is
 *    fine for any purpose (RFC 5280 §4.2.1.12).  Purpose failures are their
 *    own kind (VERIFY_PURPOSE) because DANE-EE (RFC 7672 §3.1.1) ignores them
 *    and opportunistic TLS never looks: the findings table can weigh them.
 *  - A verify callback records every error (kind, depth, the certificate's
 *    position as sent) and returns 1, so one run reports every problem.  An
 *    expired leaf gives X509_V_ERR_CERT_HAS_EXPIRED and nothing else: the
 *    time errors are never also a trust error, because OpenSSL reports them
 *    separately and we map each error to one kind.
 *  - Presentation (order, unrelated and duplicate certificates) is judged
 *    from what was sent, with X509_check_issued (names, AKID/SKID, key
 *    usage) and the issuer's key, independently of the path OpenSSL built
 *    (which reorders and may take issuers from the store).
 *  - A certificate that did not parse makes the chain unverifiable: a real
 *    client rejects the whole Certificate message (decode_error).
 *  - The cache key is SHA-256 over the chain's certificate SHA-256s, in the
 *    order sent (order matters to the presentation checks).  A verdict only
 *    depends on the time through certificates' validity, so it holds on the
 *    interval between the nearest notBefore/notAfter boundaries around
 *    at_time of every certificate that could take part: those sent, those in
 *    the path built, and every store certificate whose subject is the issuer
 *    name of one of those (the candidates OpenSSL looks at; it prefers a
 *    candidate valid at the time).  OpenSSL treats notBefore <= t as valid and
 *    t >= notAfter as expired (X509_cmp_time's "<="); both b and b + 1 are
 *    taken as boundaries, which is safe whichever way a boundary falls and
 *    for fractional-second times.  Least recently used entries go first.
 */
#include "analyze/verify.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "lib/keyhash.h"
#include "analyze/x509.h"

_Static_assert(sizeof(time_t) >= 8, "capture times beyond 2038 need a 64-bit time_t");

#define CACHE_BUCKETS 4096       /* power of two */
#define MAX_CHAIN 64             /* certificates considered per chain */
#define SHORT_NAME 160           /* bytes of a subject inside a message */
#define MAX_SEEN 64              /* distinct (error, depth) pairs remembered per run */

/* ------------------------------------------------------------------ names */

static const char *const kind_names[VERIFY_KIND_COUNT] = {
    [VERIFY_UNPARSED] = "UNPARSED",
    [VERIFY_UNTRUSTED] = "UNTRUSTED",
    [VERIFY_SELF_SIGNED_LEAF] = "SELF_SIGNED_LEAF",
    [VERIFY_SELF_SIGNED_ROOT] = "SELF_SIGNED_ROOT",
    [VERIFY_BAD_SIGNATURE] = "BAD_SIGNATURE",
    [VERIFY_EXPIRED] = "EXPIRED",
    [VERIFY_NOT_YET_VALID] = "NOT_YET_VALID",
    [VERIFY_PURPOSE] = "PURPOSE",
    [VERIFY_INVALID] = "INVALID",
    [VERIFY_OUT_OF_ORDER] = "OUT_OF_ORDER",
    [VERIFY_UNRELATED] = "UNRELATED",
    [VERIFY_DUPLICATE] = "DUPLICATE",
};

const char *verify_kind_name(enum verify_kind k)
{
    if ((unsigned)k >= VERIFY_KIND_COUNT)
        return "?";
    return kind_names[k];
}

const char *verify_kind_finding(enum verify_kind k)
{
    switch (k) {
    case VERIFY_UNPARSED:
    case VERIFY_UNTRUSTED:
    case VERIFY_BAD_SIGNATURE:
    case VERIFY_PURPOSE:
    case VERIFY_INVALID:
        return "UNTRUSTED_CHAIN";
    case VERIFY_SELF_SIGNED_LEAF:
    case VERIFY_SELF_SIGNED_ROOT:
        return "SELF_SIGNED";
    case VERIFY_EXPIRED:
        return "EXPIRED";
    case VERIFY_NOT_YET_VALID:
        return "NOT_YET_VALID";
    default:
        return NULL;
    }
}

bool verify_result_has(const struct verify_result *r, enum verify_kind k)
{
    return r != NULL && (unsigned)k < VERIFY_KIND_COUNT && (r->kinds & (1u << k)) != 0;
}

/* ------------------------------------------------------------------- text */

/* utf8_valid is true when |s|[0..n) is well-formed UTF-8 without NUL
 * (no overlong forms, surrogates or code points above U+10FFFF). */
static bool utf8_valid(const unsigned char *s, size_t n)
{
    size_t i = 0;

    while (i < n) {
        unsigned c = s[i];
        size_t len, k;
        unsigned cp;

        if (c == 0)
            return false;
        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF) {
            len = 2;
            cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            len = 3;
            cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            len = 4;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (n - i < len)
            return false;
        for (k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
            (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
            return false;
        i += len;
    }
    return true;
}

/* copy_text copies |n| bytes of valid UTF-8 into |dst| (|cap| >= 4 bytes),
 * cut at a character boundary with "..." when it does not fit. */
static void copy_text(char *dst, size_t cap, const char *src, size_t n)
{
    size_t cut;

    if (n < cap) {
        memcpy(dst, src, n);
        dst[n] = '\0';
        return;
    }
    cut = cap - 4;
    while (cut > 0 && ((unsigned char)src[cut] & 0xC0) == 0x80)
        cut--;
    memcpy(dst, src, cut);
    memcpy(dst + cut, "...", 4);
}

/* fmt is snprintf into |dst| (|cap| >= 4), cut at a UTF-8 boundary with
 * "..." when the text does not fit; the arguments are valid UTF-8. */
__attribute__((format(printf, 3, 4)))
static void fmt(char *dst, size_t cap, const char *f, ...)
{
    va_list ap;
    int n;
    size_t cut;

    va_start(ap, f);
    n = vsnprintf(dst, cap, f, ap);
    va_end(ap);
    if (n < 0) {
        dst[0] = '\0';
        return;
    }
    if ((size_t)n < cap)
        return;
    cut = cap - 4;
    while (cut > 0 && ((unsigned char)dst[cut] & 0xC0) == 0x80)
        cut--;
    memcpy(dst + cut, "...", 4);
}

/* name_text writes |nm| as RFC 2253 text into |dst|, as x509.c does for
 * the certificates it reads: UTF-8, or every byte >= 0x80 escaped if the
 * UTF-8 form is not valid. */
static void name_text(const X509_NAME *nm, char *dst, size_t cap)
{
    static const unsigned long flags[2] = {XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB,
                                           XN_FLAG_RFC2253};
    int i;

    for (i = 0; i < 2 && nm != NULL; i++) {
        BIO *b = BIO_new(BIO_s_mem());
        char *data = NULL;
        long len;

        if (b == NULL)
            break;
        if (X509_NAME_print_ex(b, nm, 0, flags[i]) >= 0 &&
            (len = BIO_get_mem_data(b, &data)) >= 0 &&
            utf8_valid((const unsigned char *)data, (size_t)len)) {
            copy_text(dst, cap, data, (size_t)len);
            BIO_free(b);
            return;
        }
        BIO_free(b);
    }
    ERR_clear_error();
    copy_text(dst, cap, "?", 1);
}

static void time_text(int64_t t, char out[40])
{
    time_t tt = (time_t)t;
    struct tm tm;

    if (gmtime_r(&tt, &tm) == NULL || strftime(out, 40, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(out, 40, "%lld s", (long long)t);
}

static bool asn1_secs(const ASN1_TIME *t, int64_t *out)
{
    struct tm tm;

    memset(&tm, 0, sizeof(tm));
    if (t == NULL || !ASN1_TIME_to_tm(t, &tm)) {
        ERR_clear_error();
        return false;
    }
    *out = (int64_t)timegm(&tm);
    return true;
}

/* ------------------------------------------------------------------ store */

struct cprob {                   /* a problem as the cache keeps it */
    enum verify_kind kind;
    int depth, index, err;
    int64_t when;
    char *msg;
    size_t len;                  /* strlen(msg) */
};

struct centry {
    uint8_t key[32];
    int64_t lo, hi;              /* valid for lo <= t < hi */
    bool verified;
    int depth;
    char *anchor;
    unsigned kinds;
    size_t nproblems, nomitted;
    struct cprob *probs;
    struct centry *hnext;        /* bucket chain */
    struct centry *older, *newer;   /* LRU list */
};

#define KMEMO 256                /* chains whose key is remembered */
#define KMEMO_CERTS 6            /* ... when they have at most this many certificates */

struct kmemo {
    size_t n;                      /* 0: empty */
    uint8_t sha[KMEMO_CERTS][32];
    uint8_t key[32];
};

struct verify_store {
    X509_STORE *store;
    EVP_MD *sha256;
    EVP_MD_CTX *kctx;              /* for chain_key */
    struct kmemo kmemo[KMEMO];
    struct centry **buckets;
    struct centry *oldest, *newest;
    size_t count, max;
    struct verify_stats st;
    char dirs[PATH_MAX];           /* the hashed directories in use (':' between), for
                                      verify_store_preload */
};

static void errf(char *err, size_t errlen, const char *f, ...) __attribute__((format(printf, 3, 4)));

static void errf(char *err, size_t errlen, const char *f, ...)
{
    va_list ap;

    if (err == NULL || errlen == 0)
        return;
    va_start(ap, f);
    vsnprintf(err, errlen, f, ap);
    va_end(ap);
}

/* ossl_reason returns OpenSSL's reason for the last error (into |buf|), or
 * |fallback|, and clears the queue. */
static const char *ossl_reason(char *buf, size_t len, const char *fallback)
{
    unsigned long e = ERR_peek_last_error();

    ERR_clear_error();
    if (e == 0)
        return fallback;
    ERR_error_string_n(e, buf, len);
    return buf;
}

/* load_ca_file adds every certificate of |path| (PEM, several allowed; or
 * one DER certificate) to |st|. */
static bool load_ca_file(X509_STORE *st, const char *path, char *err, size_t errlen)
{
    struct stat sb;
    FILE *f;
    BIO *b;
    X509 *x;
    int count = 0;
    unsigned long e;
    char why[256];

    if (stat(path, &sb) != 0) {
        errf(err, errlen, "cannot read CA file %s: %s", path, strerror(errno));
        return false;
    }
    if (S_ISDIR(sb.st_mode)) {
        errf(err, errlen, "CA file %s is a directory (a hashed directory is --ca-path)", path);
        return false;
    }
    if ((f = fopen(path, "rb")) == NULL) {
        errf(err, errlen, "cannot read CA file %s: %s", path, strerror(errno));
        return false;
    }
    if ((b = BIO_new_fp(f, BIO_CLOSE)) == NULL) {
        fclose(f);
        errf(err, errlen, "out of memory");
        return false;
    }
    ERR_clear_error();
    while ((x = PEM_read_bio_X509_AUX(b, NULL, NULL, NULL)) != NULL) {
        int ok = X509_STORE_add_cert(st, x);

        X509_free(x);
        if (!ok) {
            errf(err, errlen, "CA file %s: certificate %d: %s", path, count + 1,
                 ossl_reason(why, sizeof(why), "cannot add it to the store"));
            BIO_free(b);
            return false;
        }
        count++;
    }
    e = ERR_peek_last_error();
    if (count > 0 && ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE) {
        ERR_clear_error();
        BIO_free(b);
        return true;
    }
    if (count > 0 || !(ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE)) {
        errf(err, errlen, "CA file %s: certificate %d does not parse: %s", path, count + 1,
             ossl_reason(why, sizeof(why), "unknown error"));
        BIO_free(b);
        return false;
    }
    /* no PEM block at all: perhaps one DER certificate */
    ERR_clear_error();
    if (BIO_reset(b) == 0 && (x = d2i_X509_bio(b, NULL)) != NULL) {
        int ok = X509_STORE_add_cert(st, x);

        X509_free(x);
        BIO_free(b);
        if (!ok) {
            errf(err, errlen, "CA file %s: %s", path,
                 ossl_reason(why, sizeof(why), "cannot add it to the store"));
            return false;
        }
        ERR_clear_error();
        return true;
    }
    BIO_free(b);
    ERR_clear_error();
    errf(err, errlen, "no certificate in CA file %s (expected PEM or DER)", path);
    return false;
}

/* hashed_name is true for "<8 hex digits>.<digits>", the names
 * `openssl rehash` gives certificates (CRLs have ".r<digits>"). */
static bool hashed_name(const char *s)
{
    int i;

    for (i = 0; i < 8; i++) {
        char c = s[i];

        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
            return false;
    }
    if (s[8] != '.' || s[9] < '0' || s[9] > '9')
        return false;
    for (i = 10; s[i] != '\0'; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

static bool load_ca_path(X509_STORE *st, const char *path, char *err, size_t errlen)
{
    struct stat sb;
    DIR *d;
    struct dirent *de;
    size_t hashed = 0;
    char why[256];

    if (stat(path, &sb) != 0) {
        errf(err, errlen, "cannot read CA directory %s: %s", path, strerror(errno));
        return false;
    }
    if (!S_ISDIR(sb.st_mode)) {
        errf(err, errlen, "CA path %s is not a directory (a file of certificates is --ca-file)",
             path);
        return false;
    }
    if ((d = opendir(path)) == NULL) {
        errf(err, errlen, "cannot read CA directory %s: %s", path, strerror(errno));
        return false;
    }
    while ((de = readdir(d)) != NULL)
        if (hashed_name(de->d_name))
            hashed++;
    closedir(d);
    if (hashed == 0) {
        errf(err, errlen,
             "no certificate in CA directory %s: OpenSSL finds them by hashed names "
             "(run: openssl rehash %s)", path, path);
        return false;
    }
    if (X509_STORE_load_path(st, path) != 1) {
        errf(err, errlen, "cannot use CA directory %s: %s", path,
             ossl_reason(why, sizeof(why), "unknown error"));
        return false;
    }
    ERR_clear_error();
    return true;
}

/* hashed_dir: |dir| holds OpenSSL's <hash>.N names (c_rehash). */
static bool hashed_dir(const char *dir)
{
    DIR *d = opendir(dir);
    const struct dirent *e;
    bool found = false;

    if (d == NULL)
        return false;
    while (!found && (e = readdir(d)) != NULL)
        found = hashed_name(e->d_name);
    closedir(d);
    return found;
}

/* system_store: OpenSSL's default anchors (SSL_CERT_FILE and SSL_CERT_DIR,
 * or the built-in places).  Loading them means parsing the bundle file
 * whole, some 140 certificates and tens of milliseconds before the first
 * packet.  Debian's update-ca-certificates writes the bundle
 * (ca-certificates.crt) from exactly the certificates it links, hashed, in
 * the same directory; when the bundle is that file and the directory is
 * hashed, the directory alone holds the same anchors and OpenSSL reads one
 * only when a chain asks for its issuer. */
static bool system_store(X509_STORE *st, char *dirs, size_t dirslen)
{
    const char *file = getenv(X509_get_default_cert_file_env());
    const char *dir = getenv(X509_get_default_cert_dir_env());
    char rf[PATH_MAX], rd[PATH_MAX], want[PATH_MAX + 32];

    if (file == NULL)
        file = X509_get_default_cert_file();
    if (dir == NULL)
        dir = X509_get_default_cert_dir();
    if (strchr(dir, ':') == NULL && realpath(file, rf) != NULL && realpath(dir, rd) != NULL &&
        snprintf(want, sizeof(want), "%s/ca-certificates.crt", rd) < (int)sizeof(want) &&
        strcmp(rf, want) == 0 && hashed_dir(rd)) {
        snprintf(dirs, dirslen, "%s", rd);
        return X509_STORE_load_path(st, rd) == 1;
    }
    snprintf(dirs, dirslen, "%s", dir);
    return X509_STORE_set_default_paths(st) == 1;
}

bool verify_anchor_named(struct verify_store *s, const uint8_t *name, size_t len)
{
    const unsigned char *p = name;
    X509_NAME *xn;
    X509_STORE_CTX *ctx;
    X509_OBJECT *obj;
    bool found = false;

    if (s == NULL || name == NULL || len == 0 || len > LONG_MAX)
        return false;
    if ((xn = d2i_X509_NAME(NULL, &p, (long)len)) == NULL) {
        ERR_clear_error();
        return false;
    }
    ctx = X509_STORE_CTX_new();
    obj = X509_OBJECT_new();
    /* the lookups (a --ca-path directory loads by hash) see it too */
    if (ctx != NULL && obj != NULL && X509_STORE_CTX_init(ctx, s->store, NULL, NULL) == 1)
        found = X509_STORE_CTX_get_by_subject(ctx, X509_LU_X509, xn, obj) == 1;
    X509_OBJECT_free(obj);
    X509_STORE_CTX_free(ctx);
    X509_NAME_free(xn);
    ERR_clear_error();
    return found;
}

struct verify_store *verify_store_new(const char *ca_file, const char *ca_path, char *err,
                                      size_t errlen)
{
    char why[256];
    struct verify_store *s = calloc(1, sizeof(*s));

    if (err != NULL && errlen > 0)
        err[0] = '\0';
    if (s == NULL) {
        errf(err, errlen, "out of memory");
        return NULL;
    }
    s->max = VERIFY_CACHE_MAX;
    s->buckets = calloc(CACHE_BUCKETS, sizeof(*s->buckets));
    s->store = X509_STORE_new();
    s->sha256 = EVP_MD_fetch(NULL, "SHA2-256", NULL);
    if (s->buckets == NULL || s->store == NULL || s->sha256 == NULL) {
        errf(err, errlen, "out of memory");
        goto fail;
    }
    if (ca_file == NULL && ca_path == NULL) {
        if (!system_store(s->store, s->dirs, sizeof(s->dirs))) {
            errf(err, errlen, "cannot use the system trust store: %s",
                 ossl_reason(why, sizeof(why), "unknown error"));
            goto fail;
        }
    } else {
        if (ca_file != NULL && !load_ca_file(s->store, ca_file, err, errlen))
            goto fail;
        if (ca_path != NULL && !load_ca_path(s->store, ca_path, err, errlen))
            goto fail;
        if (ca_path != NULL)
            snprintf(s->dirs, sizeof(s->dirs), "%s", ca_path);
        /* an intermediate given as an anchor is one (DESIGN.md) */
        X509_STORE_set_flags(s->store, X509_V_FLAG_PARTIAL_CHAIN);
    }
    ERR_clear_error();
    return s;
fail:
    ERR_clear_error();
    verify_store_free(s);
    return NULL;
}

/* preload_dir loads every hashed-name file of |dir| into the store; a
 * directory that does not exist is no error (the system's default list
 * may name one), a file that cannot be read is. */
static bool preload_dir(X509_LOOKUP *lu, const char *dir, size_t *n, char *err,
                        size_t errlen)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    char path[PATH_MAX];
    bool ok = true;

    if (d == NULL)
        return errno == ENOENT;
    while (ok && (de = readdir(d)) != NULL) {
        if (!hashed_name(de->d_name) ||
            snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >= (int)sizeof(path))
            continue;
        if (access(path, R_OK) != 0) {
            errf(err, errlen, "cannot read CA file %s: %s", path, strerror(errno));
            ok = false;
        } else if (X509_load_cert_crl_file(lu, path, X509_FILETYPE_PEM) > 0) {
            (*n)++;
        }
    }
    closedir(d);
    ERR_clear_error();
    return ok;
}

int verify_store_preload(struct verify_store *s, char *err, size_t errlen)
{
    X509_LOOKUP *lu = X509_STORE_add_lookup(s->store, X509_LOOKUP_file());
    char *list, *save = NULL;
    size_t n = 0;
    bool ok = true;

    if (lu == NULL || (list = strdup(s->dirs)) == NULL) {
        errf(err, errlen, "out of memory");
        return -1;
    }
    for (char *dir = strtok_r(list, ":", &save); ok && dir != NULL;
         dir = strtok_r(NULL, ":", &save))
        ok = preload_dir(lu, dir, &n, err, errlen);
    free(list);
    ERR_clear_error();
    return ok ? (int)(n > INT_MAX ? INT_MAX : n) : -1;
}

static void centry_free(struct centry *e)
{
    size_t i;

    if (e == NULL)
        return;
    for (i = 0; i < e->nproblems; i++)
        free(e->probs[i].msg);
    free(e->probs);
    free(e->anchor);
    free(e);
}

void verify_store_free(struct verify_store *s)
{
    struct centry *e, *next;

    if (s == NULL)
        return;
    for (e = s->oldest; e != NULL; e = next) {
        next = e->newer;
        centry_free(e);
    }
    free(s->buckets);
    X509_STORE_free(s->store);
    EVP_MD_CTX_free(s->kctx);
    EVP_MD_free(s->sha256);
    free(s);
}

void verify_store_stats(const struct verify_store *s, struct verify_stats *out)
{
    if (out == NULL)
        return;
    memset(out, 0, sizeof(*out));
    if (s == NULL)
        return;
    *out = s->st;
    out->entries = s->count;
}

/* ------------------------------------------------------------------ cache */

static size_t bucket_of(const uint8_t key[32])
{
    /* the key is a SHA-256: any 32 bits of it are uniform */
    uint32_t h = (uint32_t)key[0] | (uint32_t)key[1] << 8 | (uint32_t)key[2] << 16 |
                 (uint32_t)key[3] << 24;

    return h & (CACHE_BUCKETS - 1);
}

static void lru_unlink(struct verify_store *s, struct centry *e)
{
    if (e->older != NULL)
        e->older->newer = e->newer;
    else
        s->oldest = e->newer;
    if (e->newer != NULL)
        e->newer->older = e->older;
    else
        s->newest = e->older;
    e->older = e->newer = NULL;
}

static void lru_push(struct verify_store *s, struct centry *e)
{
    e->older = s->newest;
    e->newer = NULL;
    if (s->newest != NULL)
        s->newest->newer = e;
    else
        s->oldest = e;
    s->newest = e;
}

static void cache_remove(struct verify_store *s, struct centry *e)
{
    struct centry **pp = &s->buckets[bucket_of(e->key)];

    while (*pp != NULL && *pp != e)
        pp = &(*pp)->hnext;
    if (*pp == e)
        *pp = e->hnext;
    lru_unlink(s, e);
    s->count--;
    centry_free(e);
}

void verify_store_set_cache_max(struct verify_store *s, size_t max)
{
    if (s == NULL)
        return;
    s->max = max;
    while (s->count > s->max && s->oldest != NULL) {
        cache_remove(s, s->oldest);
        s->st.evictions++;
    }
}

static struct centry *cache_find(struct verify_store *s, const uint8_t key[32], int64_t t)
{
    struct centry *e;

    for (e = s->buckets[bucket_of(key)]; e != NULL; e = e->hnext)
        if (memcmp(e->key, key, 32) == 0 && e->lo <= t && t < e->hi)
            return e;
    return NULL;
}

static void cache_put(struct verify_store *s, const uint8_t key[32], int64_t lo, int64_t hi,
                      const struct verify_result *r)
{
    struct centry *e;
    size_t i, b;

    if (s->max == 0)
        return;
    while (s->count >= s->max && s->oldest != NULL) {
        cache_remove(s, s->oldest);
        s->st.evictions++;
    }
    if ((e = calloc(1, sizeof(*e))) == NULL)
        return;
    memcpy(e->key, key, 32);
    e->lo = lo;
    e->hi = hi;
    e->verified = r->verified;
    e->depth = r->depth;
    e->kinds = r->kinds;
    e->nomitted = r->nomitted;
    if (r->anchor[0] != '\0' && (e->anchor = strdup(r->anchor)) == NULL)
        goto oom;
    if (r->nproblems > 0 && (e->probs = calloc(r->nproblems, sizeof(*e->probs))) == NULL)
        goto oom;
    for (i = 0; i < r->nproblems; i++) {
        const struct verify_problem *p = &r->problems[i];

        e->probs[i] = (struct cprob){p->kind, p->depth, p->index, p->ossl_error, p->when, NULL,
                                     strlen(p->message)};
        if ((e->probs[i].msg = strdup(p->message)) == NULL)
            goto oom;
        e->nproblems = i + 1;
    }
    b = bucket_of(key);
    e->hnext = s->buckets[b];
    s->buckets[b] = e;
    lru_push(s, e);
    s->count++;
    return;
oom:
    centry_free(e);
}

static void cache_copy_out(const struct centry *e, struct verify_result *out)
{
    size_t i;

    out->verified = e->verified;
    out->unverifiable = false;
    out->depth = e->depth;
    if (e->anchor != NULL)
        copy_text(out->anchor, sizeof(out->anchor), e->anchor, strlen(e->anchor));
    out->kinds = e->kinds;
    out->nproblems = e->nproblems;
    out->nomitted = e->nomitted;
    for (i = 0; i < e->nproblems; i++) {
        struct verify_problem *p = &out->problems[i];
        const struct cprob *c = &e->probs[i];

        p->kind = c->kind;
        p->depth = c->depth;
        p->index = c->index;
        p->ossl_error = c->err;
        p->when = c->when;
        copy_text(p->message, sizeof(p->message), c->msg, c->len);
    }
}

/* ---------------------------------------------------------------- results */

/* result_reset empties |r| field by field: problems[] is 6 KB that only
 * add_problem writes and only problems[0..nproblems) is read, and a cache
 * hit, once per session, costs less than clearing it. */
static void result_reset(struct verify_result *r)
{
    r->verified = false;
    r->unverifiable = false;
    r->from_cache = false;
    r->depth = -1;
    r->anchor[0] = '\0';
    r->kinds = 0;
    r->nproblems = 0;
    r->nomitted = 0;
}

static void add_problem(struct verify_result *r, enum verify_kind kind, int depth, int index,
                        int err, int64_t when, const char *msg)
{
    struct verify_problem *p;

    r->kinds |= 1u << kind;
    if (r->nproblems >= VERIFY_MAX_PROBLEMS) {
        r->nomitted++;
        return;
    }
    p = &r->problems[r->nproblems++];
    p->kind = kind;
    p->depth = depth;
    p->index = index;
    p->ossl_error = err;
    p->when = when;
    copy_text(p->message, sizeof(p->message), msg, strlen(msg));
}

static void fail_internal(struct verify_result *r, const char *why)
{
    result_reset(r);
    r->unverifiable = true;
    add_problem(r, VERIFY_UNPARSED, -1, -1, 0, 0, why);
}

/* ----------------------------------------------------------- verification */

struct run {
    struct verify_result *out;
    const struct x509_info *const *chain;
    size_t n;
    bool oom;
    bool any_error;              /* the callback saw an error */
    size_t nseen;
    struct { int err, depth; } seen[MAX_SEEN];
};

/* sent_index returns the position of |x| in the chain as sent, or -1. */
static int sent_index(const struct run *run, const X509 *x)
{
    size_t i;

    if (x == NULL)
        return -1;
    for (i = 0; i < run->n; i++)
        if (run->chain[i]->x509 == x || X509_cmp(run->chain[i]->x509, x) == 0)
            return (int)i;
    return -1;
}

/* who writes "leaf (CN=...)", "intermediate at depth 1 (CN=...)" or
 * "trust anchor at depth 2 (CN=...)" for the certificate at |depth|. */
static void who(X509_STORE_CTX *ctx, const struct run *run, int depth, X509 *cur, char *dst,
                size_t cap)
{
    STACK_OF(X509) *ch = X509_STORE_CTX_get0_chain(ctx);
    int untrusted = X509_STORE_CTX_get_num_untrusted(ctx);
    int top = ch != NULL ? sk_X509_num(ch) - 1 : -1;
    int idx = sent_index(run, cur);
    char subj[SHORT_NAME];
    const char *role;

    if (idx >= 0 && run->chain[idx]->subject != NULL)
        copy_text(subj, sizeof(subj), run->chain[idx]->subject, strlen(run->chain[idx]->subject));
    else
        name_text(cur != NULL ? X509_get_subject_name(cur) : NULL, subj, sizeof(subj));
    if (depth == 0) {
        fmt(dst, cap, "leaf (%s)", subj);
        return;
    }
    if (depth == top && depth >= untrusted)
        role = "trust anchor";
    else if (depth == top && cur != NULL && X509_check_issued(cur, cur) == X509_V_OK)
        role = "root";
    else
        role = "intermediate";
    ERR_clear_error();
    fmt(dst, cap, "%s at depth %d (%s)", role, depth, subj);
}

static void record_error(struct run *run, X509_STORE_CTX *ctx, int err, int depth, X509 *cur)
{
    char w[SHORT_NAME + 48], msg[VERIFY_MSG_MAX], when_s[40], iss[SHORT_NAME];
    const char *reason = X509_verify_cert_error_string(err);
    enum verify_kind kind;
    int idx = sent_index(run, cur);
    int64_t when = 0;
    size_t i;

    for (i = 0; i < run->nseen; i++)
        if (run->seen[i].err == err && run->seen[i].depth == depth)
            return;
    if (run->nseen < MAX_SEEN) {
        run->seen[run->nseen].err = err;
        run->seen[run->nseen].depth = depth;
        run->nseen++;
    }
    run->any_error = true;
    who(ctx, run, depth, cur, w, sizeof(w));

    switch (err) {
    case X509_V_ERR_CERT_HAS_EXPIRED:
    case X509_V_ERR_CERT_NOT_YET_VALID:
        if (err == X509_V_ERR_CERT_HAS_EXPIRED) {
            kind = VERIFY_EXPIRED;
            if (idx >= 0)
                when = run->chain[idx]->not_after;
            else if (cur != NULL)
                asn1_secs(X509_get0_notAfter(cur), &when);
            time_text(when, when_s);
            fmt(msg, sizeof(msg), "%s: %s was valid until %s", reason, w, when_s);
        } else {
            kind = VERIFY_NOT_YET_VALID;
            if (idx >= 0)
                when = run->chain[idx]->not_before;
            else if (cur != NULL)
                asn1_secs(X509_get0_notBefore(cur), &when);
            time_text(when, when_s);
            fmt(msg, sizeof(msg), "%s: %s is valid from %s", reason, w, when_s);
        }
        break;
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
        kind = VERIFY_UNTRUSTED;
        if (idx >= 0 && run->chain[idx]->issuer != NULL)
            copy_text(iss, sizeof(iss), run->chain[idx]->issuer, strlen(run->chain[idx]->issuer));
        else
            name_text(cur != NULL ? X509_get_issuer_name(cur) : NULL, iss, sizeof(iss));
        fmt(msg, sizeof(msg), "%s: no certificate for issuer %s, which issued the %s", reason,
            iss, w);
        break;
    case X509_V_ERR_CERT_UNTRUSTED:
    case X509_V_ERR_CERT_REJECTED:
        kind = VERIFY_UNTRUSTED;
        fmt(msg, sizeof(msg), "%s: %s", reason, w);
        break;
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
        kind = VERIFY_SELF_SIGNED_LEAF;
        fmt(msg, sizeof(msg), "%s: the %s is self-signed and not a trust anchor", reason, w);
        break;
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
        kind = VERIFY_SELF_SIGNED_ROOT;
        fmt(msg, sizeof(msg), "%s: the self-signed %s is not a trust anchor", reason, w);
        break;
    case X509_V_ERR_CERT_SIGNATURE_FAILURE:
    case X509_V_ERR_UNABLE_TO_DECRYPT_CERT_SIGNATURE:
    case X509_V_ERR_UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY:
    case X509_V_ERR_NO_ISSUER_PUBLIC_KEY:
    case X509_V_ERR_SIGNATURE_ALGORITHM_MISMATCH:
    case X509_V_ERR_UNSUPPORTED_SIGNATURE_ALGORITHM:
        kind = VERIFY_BAD_SIGNATURE;
        if (idx >= 0 && run->chain[idx]->issuer != NULL)
            copy_text(iss, sizeof(iss), run->chain[idx]->issuer, strlen(run->chain[idx]->issuer));
        else
            name_text(cur != NULL ? X509_get_issuer_name(cur) : NULL, iss, sizeof(iss));
        fmt(msg, sizeof(msg), "%s: the signature on the %s does not verify with the key of %s",
            reason, w, iss);
        break;
    case X509_V_ERR_INVALID_PURPOSE:
        kind = VERIFY_PURPOSE;
        fmt(msg, sizeof(msg), "%s: the %s is not valid for TLS server authentication", reason,
            w);
        break;
    default:
        kind = VERIFY_INVALID;
        fmt(msg, sizeof(msg), "%s: %s", reason, w);
        break;
    }
    add_problem(run->out, kind, depth, idx, err, when, msg);
}

static int verify_cb(int ok, X509_STORE_CTX *ctx)
{
    struct run *run = X509_STORE_CTX_get_app_data(ctx);
    int err;

    if (ok || run == NULL)
        return ok;
    err = X509_STORE_CTX_get_error(ctx);
    if (err == X509_V_ERR_OUT_OF_MEM) {
        run->oom = true;
        return 0;
    }
    record_error(run, ctx, err, X509_STORE_CTX_get_error_depth(ctx),
                 X509_STORE_CTX_get_current_cert(ctx));
    return 1;
}

/* ------------------------------------------------------------ time range */

static void edge(int64_t at, int64_t b, int64_t *lo, int64_t *hi)
{
    if (b <= at) {
        if (b > *lo)
            *lo = b;
    } else if (b < *hi) {
        *hi = b;
    }
}

static void bound_cert(int64_t at, const X509 *x, int64_t *lo, int64_t *hi)
{
    int64_t t;

    if (x == NULL)
        return;
    if (asn1_secs(X509_get0_notBefore(x), &t)) {
        edge(at, t, lo, hi);
        edge(at, t + 1, lo, hi);
    }
    if (asn1_secs(X509_get0_notAfter(x), &t)) {
        edge(at, t, lo, hi);
        edge(at, t + 1, lo, hi);
    }
}

/* bound_candidates narrows [lo, hi) by every store certificate named |nm|. */
static void bound_candidates(X509_STORE_CTX *ctx, const X509_NAME *nm, int64_t at, int64_t *lo,
                             int64_t *hi)
{
    STACK_OF(X509) *sk = X509_STORE_CTX_get1_certs(ctx, nm);
    int i;

    for (i = 0; sk != NULL && i < sk_X509_num(sk); i++)
        bound_cert(at, sk_X509_value(sk, i), lo, hi);
    sk_X509_pop_free(sk, X509_free);
    ERR_clear_error();
}

static void time_range(X509_STORE_CTX *ctx, const struct run *run, int64_t at, int64_t *lo,
                       int64_t *hi)
{
    STACK_OF(X509) *ch = X509_STORE_CTX_get0_chain(ctx);
    size_t i;
    int k;

    *lo = INT64_MIN;
    *hi = INT64_MAX;
    for (i = 0; i < run->n; i++) {
        X509 *x = run->chain[i]->x509;

        bound_cert(at, x, lo, hi);
        bound_candidates(ctx, X509_get_issuer_name(x), at, lo, hi);
    }
    /* the leaf itself may be in the store (partial chains) */
    bound_candidates(ctx, X509_get_subject_name(run->chain[0]->x509), at, lo, hi);
    for (k = 0; ch != NULL && k < sk_X509_num(ch); k++) {
        X509 *x = sk_X509_value(ch, k);

        bound_cert(at, x, lo, hi);
        bound_candidates(ctx, X509_get_issuer_name(x), at, lo, hi);
    }
}

/* --------------------------------------------------------- presentation */

static bool issued_by(X509 *issuer, X509 *subject)
{
    int r = X509_check_issued(issuer, subject);

    ERR_clear_error();
    return r == X509_V_OK;
}

static bool sig_by(X509 *subject, X509 *issuer)
{
    EVP_PKEY *k = X509_get0_pubkey(issuer);
    int r = k != NULL ? X509_verify(subject, k) : -1;

    ERR_clear_error();
    return r == 1;
}

static void short_subject(const struct x509_info *xi, char *dst, size_t cap)
{
    const char *s = xi->subject != NULL ? xi->subject : "?";

    copy_text(dst, cap, s, strlen(s));
}

/* presentation judges the order of what was sent: duplicates, then the
 * path from the leaf through the sent certificates, then what is left. */
static bool presentation(struct verify_result *out, const struct x509_info *const *chain,
                         size_t n)
{
    size_t *uniq = malloc(n * sizeof(*uniq));
    bool *on_path = calloc(n, sizeof(*on_path));
    char msg[VERIFY_MSG_MAX], a[SHORT_NAME], b[SHORT_NAME];
    size_t nu = 0, i, j, p, cur, k;
    bool reported = false;

    if (uniq == NULL || on_path == NULL) {
        free(uniq);
        free(on_path);
        return false;
    }
    for (i = 0; i < n; i++) {
        for (j = 0; j < i; j++)
            if (memcmp(chain[i]->sha256, chain[j]->sha256, 32) == 0)
                break;
        if (j < i) {
            short_subject(chain[i], a, sizeof(a));
            fmt(msg, sizeof(msg), "duplicate: certificate %zu (%s) was already sent as certificate %zu",
                i, a, j);
            add_problem(out, VERIFY_DUPLICATE, -1, (int)i, 0, 0, msg);
        } else {
            uniq[nu++] = i;
        }
    }

    /* the server's own certificate must come first (RFC 8446 §4.4.2,
     * RFC 5246 §7.4.2): a first certificate that issued another one sent
     * means the chain is reversed or starts with a CA */
    for (p = 1; p < nu; p++) {
        X509 *first = chain[0]->x509, *other = chain[uniq[p]]->x509;

        if (!issued_by(other, other) && issued_by(first, other)) {
            short_subject(chain[0], a, sizeof(a));
            short_subject(chain[uniq[p]], b, sizeof(b));
            fmt(msg, sizeof(msg),
                "sent out of order: certificate 0 (%s) issued certificate %zu (%s); the "
                "server's own certificate must come first", a, uniq[p], b);
            add_problem(out, VERIFY_OUT_OF_ORDER, -1, 0, 0, 0, msg);
            free(uniq);
            free(on_path);
            return true;
        }
    }

    /* walk from the leaf: the issuer of the k-th certificate on the path
     * should be the (k+1)-th distinct certificate sent */
    on_path[0] = true;
    cur = 0;
    for (k = 1; k < nu; k++) {
        X509 *cx = chain[uniq[cur]]->x509;
        size_t best = nu;
        bool best_sig = false;

        if (issued_by(cx, cx))
            break;               /* self-issued: the path ends here */
        for (p = 0; p < nu; p++) {
            X509 *cand = chain[uniq[p]]->x509;
            bool sig;

            if (on_path[p] || !issued_by(cand, cx))
                continue;
            sig = sig_by(cx, cand);
            if (best == nu || (sig && !best_sig) || (sig == best_sig && p == k)) {
                best = p;
                best_sig = sig;
            }
        }
        if (best == nu)
            break;
        if (best != k && !reported) {
            short_subject(chain[uniq[cur]], a, sizeof(a));
            short_subject(chain[uniq[best]], b, sizeof(b));
            fmt(msg, sizeof(msg),
                "sent out of order: the issuer of certificate %zu (%s) is certificate %zu (%s), "
                "not the next one", uniq[cur], a, uniq[best], b);
            add_problem(out, VERIFY_OUT_OF_ORDER, -1, (int)uniq[best], 0, 0, msg);
            reported = true;
        }
        on_path[best] = true;
        cur = best;
    }

    /* the rest: unrelated, unless it is another issuer of a certificate on
     * the path (a cross-signed or reissued CA, sent for older clients) */
    for (p = 0; p < nu; p++) {
        bool alt = false;

        if (on_path[p])
            continue;
        for (k = 0; k < nu && !alt; k++)
            alt = on_path[k] && issued_by(chain[uniq[p]]->x509, chain[uniq[k]]->x509);
        if (alt)
            continue;
        short_subject(chain[uniq[p]], a, sizeof(a));
        fmt(msg, sizeof(msg), "unrelated: certificate %zu (%s) is not part of the chain from the leaf",
            uniq[p], a);
        add_problem(out, VERIFY_UNRELATED, -1, (int)uniq[p], 0, 0, msg);
    }
    free(uniq);
    free(on_path);
    return true;
}

/* run_verify runs OpenSSL on the chain and fills |out| (reset by the
 * caller) and the validity interval; false when out of memory. */
static bool run_verify(struct verify_store *s, const struct x509_info *const *chain, size_t n,
                       int64_t at, struct verify_result *out, int64_t *lo, int64_t *hi)
{
    STACK_OF(X509) *untrusted = sk_X509_new_null();
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    struct run run;
    size_t i;
    int rc = -1;
    bool ok = false;

    memset(&run, 0, sizeof(run));
    run.out = out;
    run.chain = chain;
    run.n = n;
    if (untrusted == NULL || ctx == NULL)
        goto done;
    for (i = 1; i < n; i++)
        if (!sk_X509_push(untrusted, chain[i]->x509))
            goto done;
    if (!X509_STORE_CTX_init(ctx, s->store, chain[0]->x509, untrusted) ||
        !X509_STORE_CTX_set_default(ctx, "ssl_server"))
        goto done;
    X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx), (time_t)at);
    X509_STORE_CTX_set_verify_cb(ctx, verify_cb);
    if (!X509_STORE_CTX_set_app_data(ctx, &run))
        goto done;
    rc = X509_verify_cert(ctx);
    s->st.verifications++;
    if (run.oom)
        goto done;
    if (rc != 1 && !run.any_error) {
        int e = X509_STORE_CTX_get_error(ctx);
        char msg[VERIFY_MSG_MAX];

        if (e == X509_V_ERR_OUT_OF_MEM)
            goto done;
        fmt(msg, sizeof(msg), "verification failed: %s",
            e != X509_V_OK ? X509_verify_cert_error_string(e) : "internal error");
        add_problem(out, VERIFY_INVALID, -1, -1, e, 0, msg);
    }
    out->verified = rc == 1 && !run.any_error;
    if (out->verified) {
        STACK_OF(X509) *ch = X509_STORE_CTX_get0_chain(ctx);
        int num = ch != NULL ? sk_X509_num(ch) : 0;

        if (num > 0) {
            out->depth = num - 1;
            name_text(X509_get_subject_name(sk_X509_value(ch, num - 1)), out->anchor,
                      sizeof(out->anchor));
        }
    }
    time_range(ctx, &run, at, lo, hi);
    ok = presentation(out, chain, n);
done:
    X509_STORE_CTX_free(ctx);
    sk_X509_free(untrusted);
    ERR_clear_error();
    return ok;
}

/* chain_key: SHA-256 over the certificates' SHA-256s, in the order sent.
 * The same chains come back session after session, so the keys of recent
 * chains are remembered (KMEMO slots, found by a cheap hash of the
 * certificates' SHA-256s and confirmed by comparing all of them): the
 * digest runs once per distinct chain, not once per session. */
static bool chain_key(struct verify_store *s, const struct x509_info *const *chain, size_t n,
                      uint8_t key[32])
{
    unsigned int len = 0;
    bool ok;
    size_t i;
    uint64_t h = n;
    struct kmemo *m;

    /* the slot: the first eight bytes of each hash, chained */
    for (i = 0; i < n; i++)
        h = keyhash(h, chain[i]->sha256, 8);
    m = &s->kmemo[h % KMEMO];
    if (m->n == n && n <= KMEMO_CERTS) {
        for (i = 0; i < n && memcmp(m->sha[i], chain[i]->sha256, 32) == 0; i++)
            ;
        if (i == n) {
            memcpy(key, m->key, 32);
            return true;
        }
    }
    if (s->kctx == NULL && (s->kctx = EVP_MD_CTX_new()) == NULL)
        return false;
    ok = EVP_DigestInit_ex(s->kctx, s->sha256, NULL) == 1;
    for (i = 0; ok && i < n; i++)
        ok = EVP_DigestUpdate(s->kctx, chain[i]->sha256, 32) == 1;
    ok = ok && EVP_DigestFinal_ex(s->kctx, key, &len) == 1 && len == 32;
    if (ok && n <= KMEMO_CERTS) {
        m->n = n;
        for (i = 0; i < n; i++)
            memcpy(m->sha[i], chain[i]->sha256, 32);
        memcpy(m->key, key, 32);
    }
    return ok;
}

int verify_chain(struct verify_store *s, const struct x509_info *const *chain, size_t n,
                 int64_t at_time, struct verify_result *out)
{
    char msg[VERIFY_MSG_MAX];
    uint8_t key[32];
    struct centry *e;
    int64_t lo, hi;
    size_t i, nv;
    bool bad = false;

    if (out == NULL)
        return -1;
    result_reset(out);
    if (s == NULL || (n > 0 && chain == NULL)) {
        fail_internal(out, "internal error: no store or no chain");
        return -1;
    }
    if (n == 0) {
        out->unverifiable = true;
        add_problem(out, VERIFY_UNPARSED, -1, -1, 0, 0, "no certificate was sent");
        return 0;
    }
    for (i = 0; i < n; i++) {
        const struct x509_info *xi = chain[i];

        if (xi != NULL && xi->parsed && xi->x509 != NULL)
            continue;
        fmt(msg, sizeof(msg), "certificate %zu did not parse, so the chain cannot be verified: %s",
            i, xi != NULL && xi->parse_error != NULL ? xi->parse_error : "unknown reason");
        add_problem(out, VERIFY_UNPARSED, -1, (int)i, 0, 0, msg);
        bad = true;
    }
    if (bad) {
        out->unverifiable = true;
        return 0;
    }
    if (!chain_key(s, chain, n, key)) {
        fail_internal(out, "out of memory");
        return -1;
    }
    s->st.lookups++;
    if ((e = cache_find(s, key, at_time)) != NULL) {
        s->st.hits++;
        lru_unlink(s, e);
        lru_push(s, e);
        cache_copy_out(e, out);
        out->from_cache = true;
        return 0;
    }
    /* OpenSSL's depth limit is 100; a TLS client bounds the message too */
    nv = n > MAX_CHAIN ? MAX_CHAIN : n;
    if (!run_verify(s, chain, nv, at_time, out, &lo, &hi)) {
        fail_internal(out, "out of memory");
        return -1;
    }
    if (nv < n) {
        fmt(msg, sizeof(msg), "%zu certificates sent: only the first %d were considered", n,
            MAX_CHAIN);
        add_problem(out, VERIFY_INVALID, -1, -1, 0, 0, msg);
    }
    cache_put(s, key, lo, hi, out);
    return 0;
}

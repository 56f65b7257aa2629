/*
 * tls_suite.c - the cipher suite table (rows: tls_suites.inc, written by
 * tools/gen-cipher-suites.sh) and its lookups.
 */
#include "dissect/tls_suite.h"

/* SUITE turns a generated row into a struct tls_suite.  The words are the
 * enums' suffixes, pasted, so a row reads as the table's columns do; being
 * pasted, they are never macro-expanded (NULL stays a word). */
#define SUITE(id_, name_, kx_, au_, cipher_, bits_, mode_, aead_, mac_, prf_, export_) \
    {                                                                                 \
        .id = (id_),                                                                  \
        .name = (name_),                                                              \
        .kx = TLS_SUITE_KX_##kx_,                                                     \
        .au = TLS_SUITE_AU_##au_,                                                     \
        .cipher = TLS_SUITE_CIPHER_##cipher_,                                         \
        .key_bits = (bits_),                                                          \
        .mode = TLS_SUITE_MODE_##mode_,                                               \
        .aead = (aead_) != 0,                                                         \
        .mac = TLS_SUITE_MAC_##mac_,                                                  \
        .prf = TLS_SUITE_HASH_##prf_,                                                 \
        .export_grade = (export_) != 0,                                               \
    },

static const struct tls_suite suites[] = {
#include "dissect/tls_suites.inc"
};

#undef SUITE

#define N_SUITES (sizeof(suites) / sizeof(suites[0]))

const struct tls_suite *tls_suite_find(uint16_t id)
{
    size_t lo = 0, hi = N_SUITES;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (suites[mid].id == id)
            return &suites[mid];
        if (suites[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

size_t tls_suite_count(void)
{
    return N_SUITES;
}

const struct tls_suite *tls_suite_at(size_t i)
{
    return i < N_SUITES ? &suites[i] : NULL;
}

/* ---- names ---------------------------------------------------------- */

static const char *const kx_names[TLS_SUITE_KX_COUNT] = {
    [TLS_SUITE_KX_NULL] = "null",         [TLS_SUITE_KX_RSA] = "rsa",
    [TLS_SUITE_KX_DH] = "dh",             [TLS_SUITE_KX_DHE] = "dhe",
    [TLS_SUITE_KX_ECDH] = "ecdh",         [TLS_SUITE_KX_ECDHE] = "ecdhe",
    [TLS_SUITE_KX_PSK] = "psk",           [TLS_SUITE_KX_DHE_PSK] = "dhe-psk",
    [TLS_SUITE_KX_ECDHE_PSK] = "ecdhe-psk", [TLS_SUITE_KX_RSA_PSK] = "rsa-psk",
    [TLS_SUITE_KX_SRP] = "srp",           [TLS_SUITE_KX_KRB5] = "krb5",
    [TLS_SUITE_KX_ECCPWD] = "eccpwd",     [TLS_SUITE_KX_GOST] = "gost",
    [TLS_SUITE_KX_ANY] = "any",           [TLS_SUITE_KX_SCSV] = "scsv",
};

static const char *const au_names[TLS_SUITE_AU_COUNT] = {
    [TLS_SUITE_AU_NULL] = "null",   [TLS_SUITE_AU_RSA] = "rsa",       [TLS_SUITE_AU_DSS] = "dss",
    [TLS_SUITE_AU_ECDSA] = "ecdsa", [TLS_SUITE_AU_PSK] = "psk",       [TLS_SUITE_AU_SRP] = "srp",
    [TLS_SUITE_AU_KRB5] = "krb5",   [TLS_SUITE_AU_ECCPWD] = "eccpwd", [TLS_SUITE_AU_GOST] = "gost",
    [TLS_SUITE_AU_ANY] = "any",
};

static const char *const cipher_names[TLS_SUITE_CIPHER_COUNT] = {
    [TLS_SUITE_CIPHER_NULL] = "null",
    [TLS_SUITE_CIPHER_RC4] = "rc4",
    [TLS_SUITE_CIPHER_RC2] = "rc2",
    [TLS_SUITE_CIPHER_DES] = "des",
    [TLS_SUITE_CIPHER_3DES] = "3des",
    [TLS_SUITE_CIPHER_IDEA] = "idea",
    [TLS_SUITE_CIPHER_SEED] = "seed",
    [TLS_SUITE_CIPHER_AES] = "aes",
    [TLS_SUITE_CIPHER_CAMELLIA] = "camellia",
    [TLS_SUITE_CIPHER_ARIA] = "aria",
    [TLS_SUITE_CIPHER_CHACHA20] = "chacha20",
    [TLS_SUITE_CIPHER_SM4] = "sm4",
    [TLS_SUITE_CIPHER_KUZNYECHIK] = "kuznyechik",
    [TLS_SUITE_CIPHER_MAGMA] = "magma",
    [TLS_SUITE_CIPHER_GOST28147] = "gost28147",
    [TLS_SUITE_CIPHER_AEGIS_128L] = "aegis-128l",
    [TLS_SUITE_CIPHER_AEGIS_256] = "aegis-256",
};

static const char *const mode_names[TLS_SUITE_MODE_COUNT] = {
    [TLS_SUITE_MODE_NONE] = "none", [TLS_SUITE_MODE_STREAM] = "stream",
    [TLS_SUITE_MODE_CBC] = "cbc",   [TLS_SUITE_MODE_CTR] = "ctr",
    [TLS_SUITE_MODE_GCM] = "gcm",   [TLS_SUITE_MODE_CCM] = "ccm",
    [TLS_SUITE_MODE_CCM_8] = "ccm8", [TLS_SUITE_MODE_POLY1305] = "poly1305",
    [TLS_SUITE_MODE_MGM] = "mgm",   [TLS_SUITE_MODE_AEGIS] = "aegis",
};

static const char *const mac_names[TLS_SUITE_MAC_COUNT] = {
    [TLS_SUITE_MAC_NONE] = "none",
    [TLS_SUITE_MAC_HMAC_MD5] = "hmac-md5",
    [TLS_SUITE_MAC_HMAC_SHA1] = "hmac-sha1",
    [TLS_SUITE_MAC_HMAC_SHA256] = "hmac-sha256",
    [TLS_SUITE_MAC_HMAC_SHA384] = "hmac-sha384",
    [TLS_SUITE_MAC_OMAC] = "omac",
    [TLS_SUITE_MAC_IMIT] = "imit",
};

static const char *const hash_names[TLS_SUITE_HASH_COUNT] = {
    [TLS_SUITE_HASH_NONE] = "none",     [TLS_SUITE_HASH_SHA256] = "sha256",
    [TLS_SUITE_HASH_SHA384] = "sha384", [TLS_SUITE_HASH_SHA512] = "sha512",
    [TLS_SUITE_HASH_SM3] = "sm3",       [TLS_SUITE_HASH_STREEBOG256] = "streebog256",
};

/* name_of returns t[v], or "?" when |v| is out of range (or has no name). */
static const char *name_of(const char *const *t, unsigned n, unsigned v)
{
    return v < n && t[v] != NULL ? t[v] : "?";
}

const char *tls_suite_kx_name(enum tls_suite_kx kx)
{
    return name_of(kx_names, TLS_SUITE_KX_COUNT, (unsigned)kx);
}

const char *tls_suite_au_name(enum tls_suite_au au)
{
    return name_of(au_names, TLS_SUITE_AU_COUNT, (unsigned)au);
}

const char *tls_suite_cipher_name(enum tls_suite_cipher c)
{
    return name_of(cipher_names, TLS_SUITE_CIPHER_COUNT, (unsigned)c);
}

const char *tls_suite_mode_name(enum tls_suite_mode m)
{
    return name_of(mode_names, TLS_SUITE_MODE_COUNT, (unsigned)m);
}

const char *tls_suite_mac_name(enum tls_suite_mac m)
{
    return name_of(mac_names, TLS_SUITE_MAC_COUNT, (unsigned)m);
}

const char *tls_suite_hash_name(enum tls_suite_hash h)
{
    return name_of(hash_names, TLS_SUITE_HASH_COUNT, (unsigned)h);
}

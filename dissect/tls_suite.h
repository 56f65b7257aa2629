/*
 * tls_suite.h - what each TLS cipher suite is made of: the one table of
 * cipher suites, by code point.
 *
 * Every row has the IANA name and the parts the suite fixes: key exchange,
 * authentication, bulk cipher with its key size and mode, whether that is an
 * AEAD, the record MAC, and the PRF hash.  That is what a report names, what
 * a strength check judges (analyze/weak.c), what the ServerKeyExchange parser
 * needs to tell DH parameters from ECDH ones (dissect/tls.c), and what a
 * decrypter needs to derive keys (TLS 1.2: cipher, mode, key length, MAC and
 * PRF hash; TLS 1.3: the AEAD and the HKDF hash).
 *
 * The rows are generated (tools/gen-cipher-suites.sh, into tls_suites.inc)
 * from OpenSSL's cipher table, whose Kx=, Au=, Enc= and Mac= columns give
 * these facts for the suites OpenSSL builds, and from the IANA registry's
 * names for the rest (RC4, export, DES, Kerberos, SEED, static DH/ECDH, GOST,
 * ...): the registry's named suites plus the nine reserved code points
 * that deployed implementations used (0x0060-0x0066, 0xFEFE-0xFEFF).  GREASE values (RFC 8701) are not suites and not in it.
 */
#ifndef MXW_TLS_SUITE_H
#define MXW_TLS_SUITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* tls_suite_kx: how the premaster secret is agreed. */
enum tls_suite_kx {
    TLS_SUITE_KX_NULL,        /* TLS_NULL_WITH_NULL_NULL: none */
    TLS_SUITE_KX_RSA,         /* RSA key transport (also RSA_EXPORT, RSA_FIPS) */
    TLS_SUITE_KX_DH,          /* static DH: the key in the server's certificate */
    TLS_SUITE_KX_DHE,         /* ephemeral finite-field DH, DH_anon included */
    TLS_SUITE_KX_ECDH,        /* static ECDH */
    TLS_SUITE_KX_ECDHE,       /* ephemeral ECDH, ECDH_anon included */
    TLS_SUITE_KX_PSK,         /* pre-shared key alone (RFC 4279) */
    TLS_SUITE_KX_DHE_PSK,
    TLS_SUITE_KX_ECDHE_PSK,
    TLS_SUITE_KX_RSA_PSK,
    TLS_SUITE_KX_SRP,         /* RFC 5054 */
    TLS_SUITE_KX_KRB5,        /* RFC 2712 */
    TLS_SUITE_KX_ECCPWD,      /* RFC 8492 */
    TLS_SUITE_KX_GOST,        /* GOST R 34.10-2012 VKO (RFC 9189) */
    TLS_SUITE_KX_ANY,         /* TLS 1.3 style: negotiated apart from the suite */
    TLS_SUITE_KX_SCSV,        /* a signalling value (RFC 5746, RFC 7507), not a suite */
    TLS_SUITE_KX_COUNT
};

/* tls_suite_au: what authenticates the server.  For static DH/ECDH it is
 * the algorithm the name gives (the CA's signature on the DH certificate). */
enum tls_suite_au {
    TLS_SUITE_AU_NULL,        /* nobody: DH_anon, ECDH_anon, NULL, signalling values */
    TLS_SUITE_AU_RSA,
    TLS_SUITE_AU_DSS,
    TLS_SUITE_AU_ECDSA,
    TLS_SUITE_AU_PSK,
    TLS_SUITE_AU_SRP,         /* the SRP password alone (TLS_SRP_SHA_WITH_...) */
    TLS_SUITE_AU_KRB5,
    TLS_SUITE_AU_ECCPWD,
    TLS_SUITE_AU_GOST,
    TLS_SUITE_AU_ANY,         /* TLS 1.3 style: by the signature algorithm */
    TLS_SUITE_AU_COUNT
};

/* tls_suite_cipher: the bulk cipher. */
enum tls_suite_cipher {
    TLS_SUITE_CIPHER_NULL,    /* no encryption */
    TLS_SUITE_CIPHER_RC4,
    TLS_SUITE_CIPHER_RC2,
    TLS_SUITE_CIPHER_DES,     /* single DES, DES40 included */
    TLS_SUITE_CIPHER_3DES,    /* 3DES_EDE */
    TLS_SUITE_CIPHER_IDEA,
    TLS_SUITE_CIPHER_SEED,
    TLS_SUITE_CIPHER_AES,
    TLS_SUITE_CIPHER_CAMELLIA,
    TLS_SUITE_CIPHER_ARIA,
    TLS_SUITE_CIPHER_CHACHA20,
    TLS_SUITE_CIPHER_SM4,
    TLS_SUITE_CIPHER_KUZNYECHIK,  /* GOST R 34.12-2015, 128-bit block */
    TLS_SUITE_CIPHER_MAGMA,       /* GOST R 34.12-2015, 64-bit block */
    TLS_SUITE_CIPHER_GOST28147,   /* GOST 28147-89, 64-bit block */
    TLS_SUITE_CIPHER_AEGIS_128L,
    TLS_SUITE_CIPHER_AEGIS_256,
    TLS_SUITE_CIPHER_COUNT
};

/* tls_suite_mode: how the cipher is used on records. */
enum tls_suite_mode {
    TLS_SUITE_MODE_NONE,      /* no cipher */
    TLS_SUITE_MODE_STREAM,    /* RC4 */
    TLS_SUITE_MODE_CBC,
    TLS_SUITE_MODE_CTR,       /* GOST CTR and CNT (RFC 9189) */
    TLS_SUITE_MODE_GCM,
    TLS_SUITE_MODE_CCM,       /* 16-byte tag */
    TLS_SUITE_MODE_CCM_8,     /* 8-byte tag */
    TLS_SUITE_MODE_POLY1305,  /* ChaCha20-Poly1305 (RFC 7905, RFC 8439) */
    TLS_SUITE_MODE_MGM,       /* GOST Multilinear Galois Mode (RFC 9367) */
    TLS_SUITE_MODE_AEGIS,     /* AEGIS is an AEAD by itself */
    TLS_SUITE_MODE_COUNT
};

/* tls_suite_mac: the record MAC of a suite that is not an AEAD. */
enum tls_suite_mac {
    TLS_SUITE_MAC_NONE,       /* an AEAD, or no protection at all */
    TLS_SUITE_MAC_HMAC_MD5,
    TLS_SUITE_MAC_HMAC_SHA1,
    TLS_SUITE_MAC_HMAC_SHA256,
    TLS_SUITE_MAC_HMAC_SHA384,
    TLS_SUITE_MAC_OMAC,       /* GOST CTR_OMAC (RFC 9189) */
    TLS_SUITE_MAC_IMIT,       /* GOST 28147 CNT_IMIT (RFC 9189) */
    TLS_SUITE_MAC_COUNT
};

/* tls_suite_hash: the hash of the TLS 1.2 PRF, or for a TLS 1.3 suite of
 * HKDF. */
enum tls_suite_hash {
    TLS_SUITE_HASH_NONE,      /* never derives keys: NULL_WITH_NULL_NULL, signalling values */
    TLS_SUITE_HASH_SHA256,
    TLS_SUITE_HASH_SHA384,
    TLS_SUITE_HASH_SHA512,
    TLS_SUITE_HASH_SM3,
    TLS_SUITE_HASH_STREEBOG256,
    TLS_SUITE_HASH_COUNT
};

/* tls_suite is one row of the table. */
struct tls_suite {
    uint16_t id;                    /* code point */
    const char *name;               /* IANA name: "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256" */
    enum tls_suite_kx kx;
    enum tls_suite_au au;
    enum tls_suite_cipher cipher;
    uint16_t key_bits;              /* as OpenSSL counts: 3DES 168; export: 40 or 56; NULL 0 */
    enum tls_suite_mode mode;
    bool aead;                      /* GCM, CCM, CCM_8, Poly1305, MGM or AEGIS */
    enum tls_suite_mac mac;         /* TLS_SUITE_MAC_NONE when aead */
    /* TLS 1.2 PRF hash: SHA-256 unless the suite names another (RFC 5246
     * §5; a suite from before TLS 1.2 gets SHA-256 there too).  TLS 1.0 and
     * 1.1 use MD5 and SHA-1 whatever this says. */
    enum tls_suite_hash prf;
    bool export_grade;              /* _EXPORT_ or _EXPORT1024_ */
};

/* tls_suite_find returns the row of suite |id|, or NULL when the table has
 * none (unassigned, GREASE).  The row is static. */
const struct tls_suite *tls_suite_find(uint16_t id);

/* tls_suite_count returns the number of rows. */
size_t tls_suite_count(void);

/* tls_suite_at returns row |i| (sorted by id), or NULL when |i| >=
 * tls_suite_count(). */
const struct tls_suite *tls_suite_at(size_t i);

/* tls_suite_kx_name, tls_suite_au_name, tls_suite_cipher_name,
 * tls_suite_mode_name, tls_suite_mac_name and tls_suite_hash_name return the
 * lower-case name of a value ("ecdhe", "rsa", "aes", "gcm", "hmac-sha1",
 * "sha256"), or "?" for one out of range.  Static strings. */
const char *tls_suite_kx_name(enum tls_suite_kx kx);
const char *tls_suite_au_name(enum tls_suite_au au);
const char *tls_suite_cipher_name(enum tls_suite_cipher c);
const char *tls_suite_mode_name(enum tls_suite_mode m);
const char *tls_suite_mac_name(enum tls_suite_mac m);
const char *tls_suite_hash_name(enum tls_suite_hash h);

#endif

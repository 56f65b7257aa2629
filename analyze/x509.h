/*
 * x509.h - certificates as presented, read with OpenSSL.  OpenSSL's headers
 * stay in analyze/: here, verify (chains), hostname (X509_check_host) and
 * expect (PEM pins); the rest of the tree sees plain structs.
 *
 * Certificates repeat across sessions (every session to one MX presents the
 * same chain), so each distinct DER is parsed once: x509_cache_get returns a
 * shared, reference-counted struct x509_info for the DER (found by a keyed
 * hash of the bytes and compared whole; the SHA-256 is computed at parse).
 */
#ifndef MXW_X509_H
#define MXW_X509_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define X509_MAX_NAMES 64   /* SAN entries kept (the rest are counted) */

/* x509_info is what one certificate says.  Strings are owned, NUL-terminated
 * UTF-8 from the certificate (escape before printing: they are attacker
 * controlled); NULL when absent. */
struct x509_info {
    uint8_t sha256[32];          /* SHA-256 of the DER */
    char sha256_hex[65];         /* uppercase hex, no separators (ECS) */
    uint8_t spki_sha256[32];     /* SHA-256 of the SubjectPublicKeyInfo DER */
    char spki_hex[65];
    size_t der_len;
    bool parsed;                 /* false: OpenSSL could not parse it (only the hashes are set) */
    char *parse_error;           /* OpenSSL's reason when !parsed */

    char *subject;               /* RFC 2253 ("CN=mail.example.test,O=Example") */
    char *issuer;
    char **subject_cn;           /* every CN in the subject, in order */
    size_t nsubject_cn;
    char **issuer_cn;
    size_t nissuer_cn;
    char **san;                  /* DNS names and IP addresses (text), in order */
    size_t nsan, total_san;
    char *serial_hex;            /* uppercase hex */
    int64_t not_before, not_after;  /* seconds since the epoch (UTC) */
    char *key_alg;               /* "RSA", "EC", "DSA", "DH", "ED25519", "ED448", or OpenSSL's short name */
    int key_bits;
    char *key_curve;             /* "prime256v1" for EC, else NULL */
    char *sig_alg;               /* "sha256WithRSAEncryption" */
    bool self_issued;            /* subject == issuer */
    bool self_signed;            /* self-issued and its signature verifies with its own key */
    bool is_ca;                  /* basicConstraints CA:TRUE */
    int version;                 /* 1, 2 or 3 */
    char *pem;                   /* PEM text of the DER */
    char *pem_json;              /* the PEM as a JSON string literal, quotes included,
                                    escaped once here because a chain repeats in
                                    every session's JSON object; NULL with pem */
    size_t pem_json_len;

    void *x509;                  /* OpenSSL X509 * (for chain verification), NULL if !parsed */
    unsigned refs;               /* private */
};

struct x509_cache;

/* x509_cache_new returns an empty cache that keeps at most |max_unused|
 * certificates no session refers to (0 = 4096); NULL on failure. */
struct x509_cache *x509_cache_new(size_t max_unused);

/* x509_cache_free frees the cache; every x509_info it returned must have
 * been released.  NULL is a no-op. */
void x509_cache_free(struct x509_cache *c);

/* x509_cache_get returns the info for the |len| bytes of DER at |der|,
 * parsing them the first time, with one more reference (release it with
 * x509_cache_release).  NULL only on allocation failure.  A certificate
 * OpenSSL cannot parse still gets an info with parsed = false and its
 * hashes. */
const struct x509_info *x509_cache_get(struct x509_cache *c, const uint8_t *der, size_t len);

/* x509_cache_release drops a reference from x509_cache_get. */
void x509_cache_release(struct x509_cache *c, const struct x509_info *xi);

/* x509_cache_stats: distinct certificates parsed, lookups served from cache. */
void x509_cache_stats(const struct x509_cache *c, uint64_t *parsed, uint64_t *hits);

/* x509_sha256_hex computes the uppercase hex SHA-256 of |len| bytes into
 * |out| (65 bytes). */
void x509_sha256_hex(const uint8_t *p, size_t len, char out[65]);

/* x509_hex writes the |n| bytes at |p| as uppercase hex into |out| (2n + 1
 * bytes, NUL-terminated): fingerprints as they are printed everywhere. */
void x509_hex(const uint8_t *p, size_t n, char *out);

/* x509_md5_hex computes the lowercase hex MD5 of |len| bytes into |out| (33
 * bytes); for JA3/JA3S, which are defined over MD5. */
void x509_md5_hex(const uint8_t *p, size_t len, char out[33]);

/* x509_ja4 turns a JA4_r (raw JA4, see dissect/tls.h) into the JA4
 * fingerprint ("t13d1516h2_8daaf6152771_e5627efa2ab1", X509_JA4_LEN
 * characters): the cipher list and the extension list (with the signature
 * algorithms after it) replaced by the first 12 hex digits of their SHA-256,
 * an empty list by twelve zeros.  False (and |out| empty) if |raw| is not a
 * JA4_r. */
#define X509_JA4_LEN 36
bool x509_ja4(const char *raw, char out[X509_JA4_LEN + 1]);

/* x509_pem returns the PEM text ("CERTIFICATE", RFC 7468) of |len| bytes
 * exactly as given, whether or not they parse as a certificate: evidence of
 * what was presented.  A heap string, or NULL on allocation failure. */
char *x509_pem(const uint8_t *der, size_t len);

/* x509_dn_text turns a DER DistinguishedName (as in CertificateRequest) into
 * RFC 2253 text; a heap string or NULL if it does not parse. */
char *x509_dn_text(const uint8_t *der, size_t len);

#endif

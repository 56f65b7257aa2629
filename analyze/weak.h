/*
 * weak.h - strength checks for what a handshake showed: the server's key
 * and signature algorithm, the ServerKeyExchange group, the protocol
 * version and the cipher suite.  Each check returns an enum severity
 * (SEV_NONE when fine) and writes a short, human-readable reason into the
 * caller's buffer (always NUL-terminated when |reason_len| > 0; "" with
 * SEV_NONE).  The findings table turns them into WEAK_KEY, WEAK_SIGNATURE,
 * WEAK_PROTOCOL and WEAK_CIPHER (a weak DH group is a WEAK_CIPHER finding
 * or a WEAK_KEY one, as the findings table decides).
 *
 * Thresholds follow NIST SP 800-57 security strengths: below 80 bits
 * (RSA/DSA/DH < 1024, EC < 160) is high, below 112 bits (RSA/DSA/DH < 2048,
 * EC < 224) is medium.
 */
#ifndef MXW_WEAK_H
#define MXW_WEAK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analyze/severity.h"

struct x509_info;
struct tls_key_exchange;

/* weak_key judges a certificate's public key: RSA, DSA or DH below 2048
 * bits (high below 1024), EC below 224 bits (high below 160).  Ed25519,
 * Ed448 and algorithms it does not know are SEV_NONE, as is a certificate
 * that did not parse or whose key size is unknown. */
enum severity weak_key(const struct x509_info *xi, char *reason, size_t reason_len);

/* weak_signature judges the algorithm a certificate is signed with: MD2,
 * MD4, MD5 or SHA-0 high, SHA-1 medium.  The signature on a trust anchor
 * (|is_trust_anchor|) or on a self-signed root (self-signed and CA, or a
 * self-signed v1 certificate) is never checked by a verifier, so it is
 * SEV_NONE whatever the hash.  The hash comes from OpenSSL
 * (X509_get_signature_info: the PSS hash for RSASSA-PSS) when |xi->x509| is
 * set, else from the name in |xi->sig_alg|. */
enum severity weak_signature(const struct x509_info *xi, bool is_trust_anchor, char *reason,
                             size_t reason_len);

/* weak_dh judges a ServerKeyExchange: finite-field DH below 2048 bits
 * medium (below 1024 high); an elliptic curve below 224 bits medium (below
 * 160 high); explicit curve parameters (RFC 8422 deprecated them) low.  An
 * unknown group, an unknown key exchange or NULL is SEV_NONE. */
enum severity weak_dh(const struct tls_key_exchange *kx, char *reason, size_t reason_len);

/* weak_protocol judges a negotiated version: SSL 2.0 (0x0002) and SSL 3.0
 * high, TLS 1.0, TLS 1.1 and DTLS 1.0 medium, others SEV_NONE. */
enum severity weak_protocol(uint16_t version, char *reason, size_t reason_len);

/* weak_cipher judges a cipher suite from its row in the cipher suite table
 * (tls_suite_find): NULL encryption, integrity-only suites, anonymous key
 * exchange and export-grade suites high; RC4, DES, 3DES, IDEA, RC2 and
 * other 64-bit block ciphers medium; CBC with an HMAC-SHA1 or HMAC-MD5 MAC
 * low; AEAD and CBC with SHA-256/384 SEV_NONE.  The reason lists every
 * weakness found, worst first.  An unknown suite, GREASE or a signalling
 * value is SEV_NONE with an empty reason. */
enum severity weak_cipher(uint16_t suite, char *reason, size_t reason_len);

/* weak_cipher_name returns the IANA name of |suite| that weak_cipher
 * judges, names_cipher's (the same table), or NULL when unknown.  Static
 * storage. */
const char *weak_cipher_name(uint16_t suite);

#endif

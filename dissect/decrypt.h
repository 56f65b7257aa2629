/*
 * decrypt.h - TLS record decryption, one direction of one connection, from
 * the secrets of a key log (dissect/keylog.h).
 *
 * TLS 1.3 (RFC 8446 §5.2, §7.1, §7.3): the traffic key and IV come from a
 * traffic secret with HKDF-Expand-Label and the suite's hash; a record is
 * AEAD-decrypted with the nonce IV XOR the sequence number and the 5-byte
 * record header as additional data; the inner content type and the zero
 * padding are stripped.  KeyUpdate moves to the next secret ("traffic upd").
 * Suites: AES-128-GCM, AES-256-GCM, ChaCha20-Poly1305, AES-128-CCM and
 * AES-128-CCM-8.
 *
 * TLS 1.0 to 1.2 (RFC 5246 §6.3, RFC 2246 §6.3): the key block comes from
 * the master secret (the CLIENT_RANDOM line) with the PRF of the version and
 * suite; records are AES/ARIA/Camellia GCM or CCM (explicit 8-byte nonce,
 * RFC 5288, RFC 6655), ChaCha20-Poly1305 (RFC 7905) or CBC with HMAC-SHA1,
 * -SHA256 or -SHA384, MAC-then-encrypt or encrypt-then-MAC (RFC 7366), the
 * TLS 1.0 IV chained from record to record.
 *
 * A struct decrypt holds the keys of one direction and its sequence number,
 * which advances with each record that decrypts.  It allocates when created,
 * never per record.  OpenSSL 3.0's EVP is the only cryptography used.
 */
#ifndef MXW_DECRYPT_H
#define MXW_DECRYPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DECRYPT_MAX_RECORD (16384u + 2048u)  /* a TLSCiphertext's body, at most */
#define DECRYPT_MAX_SECRET 48                /* SHA-384 */
#define DECRYPT_MASTER_LEN 48

/* decrypt_result: what became of a record, or why no decrypter was made. */
enum decrypt_result {
    DECRYPT_OK = 0,
    DECRYPT_BAD_TAG,             /* the AEAD tag, the MAC or the CBC padding did not verify */
    DECRYPT_UNSUPPORTED_CIPHER,  /* a suite (or version) we cannot decrypt */
    DECRYPT_TOO_SHORT,           /* a body shorter than its nonce, tag, MAC or block */
    DECRYPT_TOO_LONG,            /* a body over DECRYPT_MAX_RECORD */
    DECRYPT_BAD_INNER,           /* TLS 1.3: a plaintext of zeros only (no content type) */
    DECRYPT_BAD_SECRET,          /* a secret of the wrong length for the suite */
    DECRYPT_CRYPTO_ERROR,        /* OpenSSL refused (allocation, an unavailable algorithm) */
    DECRYPT_RESULT_COUNT
};

/* decrypt_result_name returns a stable snake_case name ("bad_tag"). */
const char *decrypt_result_name(enum decrypt_result r);

struct decrypt;

/* decrypt_new_tls13 returns a decrypter for the TLS 1.3 records protected
 * with the traffic secret |secret| (|len| bytes: the suite's hash length)
 * of suite |suite|, or NULL with the reason in *|why| (when not NULL). */
struct decrypt *decrypt_new_tls13(uint16_t suite, const uint8_t *secret, size_t len,
                                  enum decrypt_result *why);

/* decrypt_new_tls12 returns a decrypter for the records that the client
 * (|from_server| false) or the server sends in a TLS 1.0, 1.1 or 1.2
 * (|version| 0x0301..0x0303) session with suite |suite|, master secret
 * |master| and the hellos' randoms; |etm| when both sides negotiated
 * encrypt_then_mac (extension 22; CBC suites only).  NULL with the reason
 * in *|why| (when not NULL). */
struct decrypt *decrypt_new_tls12(uint16_t version, uint16_t suite,
                                  const uint8_t master[DECRYPT_MASTER_LEN],
                                  const uint8_t client_random[32],
                                  const uint8_t server_random[32], bool from_server, bool etm,
                                  enum decrypt_result *why);

/* decrypt_free frees |d|.  NULL is a no-op. */
void decrypt_free(struct decrypt *d);

/* decrypt_record decrypts one record: |hdr5| its 5-byte header, |body| the
 * |len| bytes after it.  The plaintext goes to |out|, which has room for
 * |len| bytes (a plaintext is never longer), its length to *|outlen| and its
 * content type to *|inner_type| (TLS 1.3: the inner type; else the header's).
 * The sequence number advances only when the record decrypts (DECRYPT_OK);
 * after anything else the direction's later records cannot be trusted. */
enum decrypt_result decrypt_record(struct decrypt *d, const uint8_t hdr5[5], const uint8_t *body,
                                   size_t len, uint8_t *out, size_t *outlen,
                                   uint8_t *inner_type);

/* decrypt_key_update moves a TLS 1.3 decrypter to its next traffic secret
 * (RFC 8446 §7.2) with the sequence number back at 0; DECRYPT_UNSUPPORTED_CIPHER
 * for TLS <= 1.2. */
enum decrypt_result decrypt_key_update(struct decrypt *d);

/* decrypt_seq returns the sequence number of the next record. */
uint64_t decrypt_seq(const struct decrypt *d);

/* decrypt_tls13_traffic_keys writes the key (*|keylen| bytes) and the IV
 * (12 bytes) that |secret| gives for TLS 1.3 suite |suite| (RFC 8446 §7.3);
 * |key| has room for 32 bytes.  For tests and for what the session reports. */
enum decrypt_result decrypt_tls13_traffic_keys(uint16_t suite, const uint8_t *secret, size_t len,
                                               uint8_t key[32], size_t *keylen,
                                               uint8_t iv[12]);

/* decrypt_tls12_key_block writes |n| bytes of the TLS <= 1.2 key block
 * (RFC 5246 §6.3) into |out|. */
enum decrypt_result decrypt_tls12_key_block(uint16_t version, uint16_t suite,
                                            const uint8_t master[DECRYPT_MASTER_LEN],
                                            const uint8_t client_random[32],
                                            const uint8_t server_random[32], uint8_t *out,
                                            size_t n);

/* decrypt_aead_open is one AEAD decryption for known-answer tests: |name|
 * an OpenSSL cipher name ("AES-128-GCM", "ChaCha20-Poly1305",
 * "AES-128-CCM"), the tag the last |taglen| of the |len| bytes at |in|. */
enum decrypt_result decrypt_aead_open(const char *name, const uint8_t *key, const uint8_t *nonce,
                                      size_t noncelen, const uint8_t *aad, size_t aadlen,
                                      const uint8_t *in, size_t len, size_t taglen,
                                      uint8_t *out);

#endif

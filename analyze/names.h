/*
 * names.h - IANA names of TLS code points for reports.  Cipher suite names
 * come from the one cipher suite table (dissect/tls_suite.h, whose
 * tls_suite_find gives the whole row).
 */
#ifndef MXW_NAMES_H
#define MXW_NAMES_H

#include <stdbool.h>
#include <stdint.h>

/* names_cipher returns the IANA name of cipher suite |id|
 * ("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"): tls_suite_find(id)->name, or
 * NULL when the table has no such suite. */
const char *names_cipher(uint16_t id);

/* names_cipher_id is names_cipher backwards: the id of the suite named
 * |name| (exactly as names_cipher writes it); false when none is. */
bool names_cipher_id(const char *name, uint16_t *out);

/* names_cipher_count returns the number of suites in the table
 * (tls_suite_count). */
unsigned names_cipher_count(void);

/* names_group returns the IANA name of a named group ("x25519",
 * "secp256r1", "ffdhe2048"), or NULL. */
const char *names_group(uint16_t id);

#endif

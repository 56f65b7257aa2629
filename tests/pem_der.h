/*
 * pem_der.h - for the cmocka tests (include after cmocka.h): the bytes
 * inside the first PEM block of a file, exactly as in the file, never
 * re-encoded by a parse.  Paths are relative to the top of the tree.
 */
#ifndef MXW_TEST_PEM_DER_H
#define MXW_TEST_PEM_DER_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/pem.h>

#include "analyze/x509.h"

/* pem_der returns the first block of |path| in a heap buffer (free it) and
 * its length in |*len|; it fails the test when the file cannot be opened,
 * holds no PEM block, or (|label| not NULL) the block is not a |label|. */
static uint8_t *pem_der(const char *path, const char *label, size_t *len)
{
    BIO *b = BIO_new_file(path, "r");
    char *name = NULL, *header = NULL;
    unsigned char *data = NULL;
    long n = 0;
    uint8_t *out;

    if (b == NULL)
        fail_msg("cannot open %s (run from the top of the tree)", path);
    assert_int_equal(PEM_read_bio(b, &name, &header, &data, &n), 1);
    if (label != NULL)
        assert_string_equal(name, label);
    out = malloc(n > 0 ? (size_t)n : 1);
    assert_non_null(out);
    memcpy(out, data, (size_t)n);
    *len = (size_t)n;
    OPENSSL_free(name);
    OPENSSL_free(header);
    OPENSSL_free(data);
    BIO_free(b);
    return out;
}

/* pem_cert returns pcaps/certs/|name|.pem through x509_cache_get of |c|
 * (the DER exactly as in the file); fails the test when there is none.
 * Inline: not every test that includes this uses it. */
static inline const struct x509_info *pem_cert(struct x509_cache *c, const char *name)
{
    char path[256];
    size_t len;
    uint8_t *der;
    const struct x509_info *xi;

    snprintf(path, sizeof(path), "pcaps/certs/%s.pem", name);
    der = pem_der(path, NULL, &len);
    xi = x509_cache_get(c, der, len);
    free(der);
    assert_non_null(xi);
    return xi;
}

#endif

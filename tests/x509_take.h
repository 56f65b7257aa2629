/*
 * x509_take.h - for the cmocka tests (include after cmocka.h): a
 * certificate the test built with OpenSSL, put through the project's
 * certificate cache as if it had come off the wire.
 */
#ifndef MXW_TEST_X509_TAKE_H
#define MXW_TEST_X509_TAKE_H

#include <stddef.h>

#include <openssl/crypto.h>
#include <openssl/x509.h>

#include "analyze/x509.h"

/* x509_take encodes the signed |x| (freed here), parses the DER through
 * |c| and returns its entry, which must parse (release it with
 * x509_cache_release). */
static inline const struct x509_info *x509_take(struct x509_cache *c, X509 *x)
{
    unsigned char *der = NULL;
    const struct x509_info *xi;
    int n = i2d_X509(x, &der);

    assert_true(n > 0);
    xi = x509_cache_get(c, der, (size_t)n);
    assert_non_null(xi);
    assert_true(xi->parsed);
    OPENSSL_free(der);
    X509_free(x);
    return xi;
}

#endif

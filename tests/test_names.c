/*
 * test_names.c - the code point tables: sorted (they are binary-searched),
 * and known entries, old and new, come out by their IANA names.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "analyze/names.h"

static void test_ciphers(void **state)
{
    (void)state;
    assert_string_equal(names_cipher(0x0005), "TLS_RSA_WITH_RC4_128_SHA");
    assert_string_equal(names_cipher(0x000A), "TLS_RSA_WITH_3DES_EDE_CBC_SHA");
    assert_string_equal(names_cipher(0x002F), "TLS_RSA_WITH_AES_128_CBC_SHA");
    assert_string_equal(names_cipher(0xC02F), "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
    assert_string_equal(names_cipher(0x1301), "TLS_AES_128_GCM_SHA256");
    assert_string_equal(names_cipher(0xCCA8), "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256");
    assert_null(names_cipher(0x0A0A)); /* GREASE */
    assert_null(names_cipher(0xFFFF));
}

/* Every code point in the table is found: only true if it is sorted. */
static void test_cipher_table_sorted(void **state)
{
    unsigned found = 0;

    (void)state;
    for (unsigned id = 0; id <= 0xFFFF; id++)
        if (names_cipher((uint16_t)id))
            found++;
    assert_true(found > 200);
    assert_int_equal(found, names_cipher_count());
}

static void test_groups(void **state)
{
    (void)state;
    assert_string_equal(names_group(23), "secp256r1");
    assert_string_equal(names_group(29), "x25519");
    assert_string_equal(names_group(256), "ffdhe2048");
    assert_null(names_group(0x1A1A));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ciphers),
        cmocka_unit_test(test_cipher_table_sorted),
        cmocka_unit_test(test_groups),
    };

    return cmocka_run_group_tests_name("names", tests, NULL, NULL);
}

/*
 * test_names.c - the code point tables: sorted (they are binary-searched),
 * and known entries, old and new, come out by their IANA names; the cipher
 * suite table (dissect/tls_suite.h) has consistent rows and the RFCs'
 * values for the suites a decrypter and the strength checks rely on.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "analyze/names.h"
#include "dissect/tls_suite.h"

static void test_ciphers(void **state)
{
    (void)state;
    assert_string_equal(names_cipher(0x0005), "TLS_RSA_WITH_RC4_128_SHA");
    assert_string_equal(names_cipher(0x000A), "TLS_RSA_WITH_3DES_EDE_CBC_SHA");
    assert_string_equal(names_cipher(0x002F), "TLS_RSA_WITH_AES_128_CBC_SHA");
    assert_string_equal(names_cipher(0xC02F), "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
    assert_string_equal(names_cipher(0x1301), "TLS_AES_128_GCM_SHA256");
    assert_string_equal(names_cipher(0xCCA8), "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256");
    /* once only in weak.c's own list: now in the one table */
    assert_string_equal(names_cipher(0x1304), "TLS_AES_128_CCM_SHA256");
    assert_string_equal(names_cipher(0x001E), "TLS_KRB5_WITH_DES_CBC_SHA");
    assert_string_equal(names_cipher(0xFEFF), "SSL_RSA_FIPS_WITH_3DES_EDE_CBC_SHA");
    assert_null(names_cipher(0x0A0A)); /* GREASE */
    assert_null(names_cipher(0xD004)); /* unassigned between D003 and D005 */
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

/* ends_with is true when |s| ends in |suffix|. */
static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);

    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Every row: its fields agree with each other and with the words of its
 * name, the ids are sorted and unique (tls_suite_find finds each row), and
 * every enum value has a name. */
static void test_suite_rows_consistent(void **state)
{
    size_t n = tls_suite_count(), i, j;

    (void)state;
    assert_true(n >= 361);
    assert_null(tls_suite_at(n));
    for (i = 0; i < n; i++) {
        const struct tls_suite *s = tls_suite_at(i);
        const char *nm = s->name;
        bool aead_mode = s->mode == TLS_SUITE_MODE_GCM || s->mode == TLS_SUITE_MODE_CCM ||
                         s->mode == TLS_SUITE_MODE_CCM_8 || s->mode == TLS_SUITE_MODE_POLY1305 ||
                         s->mode == TLS_SUITE_MODE_MGM || s->mode == TLS_SUITE_MODE_AEGIS;
        char why[160];

        snprintf(why, sizeof(why), "0x%04X %s: %s/%s %s(%u) %s mac %s prf %s", s->id, nm,
                 tls_suite_kx_name(s->kx), tls_suite_au_name(s->au),
                 tls_suite_cipher_name(s->cipher), s->key_bits, tls_suite_mode_name(s->mode),
                 tls_suite_mac_name(s->mac), tls_suite_hash_name(s->prf));
        if (i > 0 && tls_suite_at(i - 1)->id >= s->id)
            fail_msg("not sorted at %s", why);
        if (tls_suite_find(s->id) != s)
            fail_msg("not found: %s", why);
        if (strncmp(nm, "TLS_", 4) != 0 && strncmp(nm, "SSL_", 4) != 0)
            fail_msg("name: %s", why);
        if (strchr(why, '?'))
            fail_msg("a field out of range: %s", why);

        /* AEAD: exactly the AEAD modes, and then no separate MAC */
        if (s->aead != aead_mode || (s->aead && s->mac != TLS_SUITE_MAC_NONE))
            fail_msg("aead: %s", why);
        /* a cipher has a key and a mode; no cipher has neither */
        if ((s->cipher == TLS_SUITE_CIPHER_NULL) != (s->mode == TLS_SUITE_MODE_NONE) ||
            (s->cipher == TLS_SUITE_CIPHER_NULL) != (s->key_bits == 0))
            fail_msg("cipher: %s", why);
        if ((s->cipher == TLS_SUITE_CIPHER_RC4) != (s->mode == TLS_SUITE_MODE_STREAM))
            fail_msg("stream: %s", why);
        /* what is not an AEAD has a MAC, unless it protects nothing at all */
        if (!s->aead && s->mac == TLS_SUITE_MAC_NONE &&
            s->kx != TLS_SUITE_KX_NULL && s->kx != TLS_SUITE_KX_SCSV)
            fail_msg("no MAC: %s", why);
        /* keys are derived with a hash, except where nothing is derived */
        if ((s->prf == TLS_SUITE_HASH_NONE) !=
            (s->kx == TLS_SUITE_KX_NULL || s->kx == TLS_SUITE_KX_SCSV))
            fail_msg("prf: %s", why);
        if (s->mac == TLS_SUITE_MAC_HMAC_SHA384 && s->prf != TLS_SUITE_HASH_SHA384)
            fail_msg("SHA-384 MAC without SHA-384 PRF: %s", why);
        /* TLS 1.3 style: key exchange and authentication both elsewhere */
        if ((s->kx == TLS_SUITE_KX_ANY) != (s->au == TLS_SUITE_AU_ANY))
            fail_msg("any: %s", why);
        if (s->kx == TLS_SUITE_KX_ANY && strstr(nm, "_WITH_") && s->mode != TLS_SUITE_MODE_MGM)
            fail_msg("a TLS 1.2 name as TLS 1.3: %s", why);
        if ((s->kx == TLS_SUITE_KX_SCSV) != ends_with(nm, "_SCSV"))
            fail_msg("scsv: %s", why);
        /* export: a short key, and the name says so */
        if (s->export_grade != (strstr(nm, "_EXPORT") != NULL) ||
            (s->export_grade && s->key_bits > 56))
            fail_msg("export: %s", why);
        if ((strstr(nm, "_anon_") != NULL) !=
            (s->au == TLS_SUITE_AU_NULL && s->kx != TLS_SUITE_KX_NULL && s->kx != TLS_SUITE_KX_SCSV))
            fail_msg("anon: %s", why);

        /* the words of the name */
        if ((strstr(nm, "_CBC") != NULL) != (s->mode == TLS_SUITE_MODE_CBC))
            fail_msg("CBC: %s", why);
        if ((strstr(nm, "_GCM") != NULL) != (s->mode == TLS_SUITE_MODE_GCM))
            fail_msg("GCM: %s", why);
        if ((strstr(nm, "_CCM_8") != NULL) != (s->mode == TLS_SUITE_MODE_CCM_8))
            fail_msg("CCM_8: %s", why);
        if ((strstr(nm, "_POLY1305") != NULL) != (s->mode == TLS_SUITE_MODE_POLY1305))
            fail_msg("Poly1305: %s", why);
        if ((strstr(nm, "_AES_128_") != NULL || strstr(nm, "_CAMELLIA_128_") != NULL ||
             strstr(nm, "_ARIA_128_") != NULL) &&
            s->key_bits != 128)
            fail_msg("128: %s", why);
        if ((strstr(nm, "_AES_256_") != NULL || strstr(nm, "_CAMELLIA_256_") != NULL ||
             strstr(nm, "_ARIA_256_") != NULL) &&
            s->key_bits != 256)
            fail_msg("256: %s", why);
        if (ends_with(nm, "_SHA") && s->mac != TLS_SUITE_MAC_HMAC_SHA1)
            fail_msg("_SHA: %s", why);
        if (ends_with(nm, "_MD5") && s->mac != TLS_SUITE_MAC_HMAC_MD5)
            fail_msg("_MD5: %s", why);
        if (ends_with(nm, "_SHA384") && s->prf != TLS_SUITE_HASH_SHA384)
            fail_msg("_SHA384: %s", why);
        if (ends_with(nm, "_SHA256") && s->prf != TLS_SUITE_HASH_SHA256)
            fail_msg("_SHA256: %s", why);
    }
    /* no name twice */
    for (i = 0; i < n; i++)
        for (j = i + 1; j < n; j++)
            if (strcmp(tls_suite_at(i)->name, tls_suite_at(j)->name) == 0)
                fail_msg("%s twice", tls_suite_at(i)->name);
}

/* check_suite asserts the parts of suite |id|. */
static void check_suite(uint16_t id, const char *name, enum tls_suite_kx kx,
                        enum tls_suite_au au, enum tls_suite_cipher cipher, unsigned bits,
                        enum tls_suite_mode mode, bool aead, enum tls_suite_mac mac,
                        enum tls_suite_hash prf)
{
    const struct tls_suite *s = tls_suite_find(id);

    assert_non_null(s);
    assert_int_equal(s->id, id);
    assert_string_equal(s->name, name);
    assert_string_equal(tls_suite_kx_name(s->kx), tls_suite_kx_name(kx));
    assert_string_equal(tls_suite_au_name(s->au), tls_suite_au_name(au));
    assert_string_equal(tls_suite_cipher_name(s->cipher), tls_suite_cipher_name(cipher));
    assert_int_equal(s->key_bits, bits);
    assert_string_equal(tls_suite_mode_name(s->mode), tls_suite_mode_name(mode));
    assert_int_equal(s->aead, aead);
    assert_string_equal(tls_suite_mac_name(s->mac), tls_suite_mac_name(mac));
    assert_string_equal(tls_suite_hash_name(s->prf), tls_suite_hash_name(prf));
}

/* Values from the RFCs that define the suites. */
static void test_suite_rfc_values(void **state)
{
    (void)state;
    /* TLS 1.3, RFC 8446 §B.4: the AEAD and the HKDF hash */
    check_suite(0x1301, "TLS_AES_128_GCM_SHA256", TLS_SUITE_KX_ANY, TLS_SUITE_AU_ANY,
                TLS_SUITE_CIPHER_AES, 128, TLS_SUITE_MODE_GCM, true, TLS_SUITE_MAC_NONE,
                TLS_SUITE_HASH_SHA256);
    check_suite(0x1302, "TLS_AES_256_GCM_SHA384", TLS_SUITE_KX_ANY, TLS_SUITE_AU_ANY,
                TLS_SUITE_CIPHER_AES, 256, TLS_SUITE_MODE_GCM, true, TLS_SUITE_MAC_NONE,
                TLS_SUITE_HASH_SHA384);
    check_suite(0x1303, "TLS_CHACHA20_POLY1305_SHA256", TLS_SUITE_KX_ANY, TLS_SUITE_AU_ANY,
                TLS_SUITE_CIPHER_CHACHA20, 256, TLS_SUITE_MODE_POLY1305, true,
                TLS_SUITE_MAC_NONE, TLS_SUITE_HASH_SHA256);
    check_suite(0x1304, "TLS_AES_128_CCM_SHA256", TLS_SUITE_KX_ANY, TLS_SUITE_AU_ANY,
                TLS_SUITE_CIPHER_AES, 128, TLS_SUITE_MODE_CCM, true, TLS_SUITE_MAC_NONE,
                TLS_SUITE_HASH_SHA256);
    check_suite(0x1305, "TLS_AES_128_CCM_8_SHA256", TLS_SUITE_KX_ANY, TLS_SUITE_AU_ANY,
                TLS_SUITE_CIPHER_AES, 128, TLS_SUITE_MODE_CCM_8, true, TLS_SUITE_MAC_NONE,
                TLS_SUITE_HASH_SHA256);
    /* RFC 5289 §3.2: GCM with ECDHE, PRF from the name's hash */
    check_suite(0xC02F, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", TLS_SUITE_KX_ECDHE,
                TLS_SUITE_AU_RSA, TLS_SUITE_CIPHER_AES, 128, TLS_SUITE_MODE_GCM, true,
                TLS_SUITE_MAC_NONE, TLS_SUITE_HASH_SHA256);
    check_suite(0xC030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", TLS_SUITE_KX_ECDHE,
                TLS_SUITE_AU_RSA, TLS_SUITE_CIPHER_AES, 256, TLS_SUITE_MODE_GCM, true,
                TLS_SUITE_MAC_NONE, TLS_SUITE_HASH_SHA384);
    check_suite(0xC02B, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", TLS_SUITE_KX_ECDHE,
                TLS_SUITE_AU_ECDSA, TLS_SUITE_CIPHER_AES, 128, TLS_SUITE_MODE_GCM, true,
                TLS_SUITE_MAC_NONE, TLS_SUITE_HASH_SHA256);
    /* RFC 5289 §3.1: CBC with HMAC-SHA-384 and the SHA-384 PRF */
    check_suite(0xC028, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384", TLS_SUITE_KX_ECDHE,
                TLS_SUITE_AU_RSA, TLS_SUITE_CIPHER_AES, 256, TLS_SUITE_MODE_CBC, false,
                TLS_SUITE_MAC_HMAC_SHA384, TLS_SUITE_HASH_SHA384);
    /* RFC 5246 §A.5: AES-CBC with HMAC-SHA1, and the TLS 1.2 PRF (SHA-256) */
    check_suite(0x002F, "TLS_RSA_WITH_AES_128_CBC_SHA", TLS_SUITE_KX_RSA, TLS_SUITE_AU_RSA,
                TLS_SUITE_CIPHER_AES, 128, TLS_SUITE_MODE_CBC, false, TLS_SUITE_MAC_HMAC_SHA1,
                TLS_SUITE_HASH_SHA256);
    check_suite(0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA", TLS_SUITE_KX_RSA, TLS_SUITE_AU_RSA,
                TLS_SUITE_CIPHER_AES, 256, TLS_SUITE_MODE_CBC, false, TLS_SUITE_MAC_HMAC_SHA1,
                TLS_SUITE_HASH_SHA256);
    check_suite(0x003C, "TLS_RSA_WITH_AES_128_CBC_SHA256", TLS_SUITE_KX_RSA, TLS_SUITE_AU_RSA,
                TLS_SUITE_CIPHER_AES, 128, TLS_SUITE_MODE_CBC, false,
                TLS_SUITE_MAC_HMAC_SHA256, TLS_SUITE_HASH_SHA256);
    check_suite(0x0033, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA", TLS_SUITE_KX_DHE, TLS_SUITE_AU_RSA,
                TLS_SUITE_CIPHER_AES, 128, TLS_SUITE_MODE_CBC, false, TLS_SUITE_MAC_HMAC_SHA1,
                TLS_SUITE_HASH_SHA256);
    check_suite(0x000A, "TLS_RSA_WITH_3DES_EDE_CBC_SHA", TLS_SUITE_KX_RSA, TLS_SUITE_AU_RSA,
                TLS_SUITE_CIPHER_3DES, 168, TLS_SUITE_MODE_CBC, false, TLS_SUITE_MAC_HMAC_SHA1,
                TLS_SUITE_HASH_SHA256);
    check_suite(0x0001, "TLS_RSA_WITH_NULL_MD5", TLS_SUITE_KX_RSA, TLS_SUITE_AU_RSA,
                TLS_SUITE_CIPHER_NULL, 0, TLS_SUITE_MODE_NONE, false, TLS_SUITE_MAC_HMAC_MD5,
                TLS_SUITE_HASH_SHA256);
    /* RFC 5288 §3: GCM with RSA key transport */
    check_suite(0x009C, "TLS_RSA_WITH_AES_128_GCM_SHA256", TLS_SUITE_KX_RSA, TLS_SUITE_AU_RSA,
                TLS_SUITE_CIPHER_AES, 128, TLS_SUITE_MODE_GCM, true, TLS_SUITE_MAC_NONE,
                TLS_SUITE_HASH_SHA256);
    check_suite(0x009D, "TLS_RSA_WITH_AES_256_GCM_SHA384", TLS_SUITE_KX_RSA, TLS_SUITE_AU_RSA,
                TLS_SUITE_CIPHER_AES, 256, TLS_SUITE_MODE_GCM, true, TLS_SUITE_MAC_NONE,
                TLS_SUITE_HASH_SHA384);
    /* RFC 7905 §2: ChaCha20-Poly1305, SHA-256 PRF */
    check_suite(0xCCA8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", TLS_SUITE_KX_ECDHE,
                TLS_SUITE_AU_RSA, TLS_SUITE_CIPHER_CHACHA20, 256, TLS_SUITE_MODE_POLY1305, true,
                TLS_SUITE_MAC_NONE, TLS_SUITE_HASH_SHA256);
    /* RFC 6655 §3: CCM suites name no hash and use the SHA-256 PRF, AES-256 too */
    check_suite(0xC09D, "TLS_RSA_WITH_AES_256_CCM", TLS_SUITE_KX_RSA, TLS_SUITE_AU_RSA,
                TLS_SUITE_CIPHER_AES, 256, TLS_SUITE_MODE_CCM, true, TLS_SUITE_MAC_NONE,
                TLS_SUITE_HASH_SHA256);
    check_suite(0xC0A0, "TLS_RSA_WITH_AES_128_CCM_8", TLS_SUITE_KX_RSA, TLS_SUITE_AU_RSA,
                TLS_SUITE_CIPHER_AES, 128, TLS_SUITE_MODE_CCM_8, true, TLS_SUITE_MAC_NONE,
                TLS_SUITE_HASH_SHA256);
    /* RFC 4279 / RFC 5489: PSK kinds and who authenticates */
    check_suite(0xC035, "TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA", TLS_SUITE_KX_ECDHE_PSK,
                TLS_SUITE_AU_PSK, TLS_SUITE_CIPHER_AES, 128, TLS_SUITE_MODE_CBC, false,
                TLS_SUITE_MAC_HMAC_SHA1, TLS_SUITE_HASH_SHA256);
    check_suite(0x0094, "TLS_RSA_PSK_WITH_AES_128_CBC_SHA", TLS_SUITE_KX_RSA_PSK,
                TLS_SUITE_AU_RSA, TLS_SUITE_CIPHER_AES, 128, TLS_SUITE_MODE_CBC, false,
                TLS_SUITE_MAC_HMAC_SHA1, TLS_SUITE_HASH_SHA256);
    /* legacy rows from the IANA names */
    check_suite(0x0003, "TLS_RSA_EXPORT_WITH_RC4_40_MD5", TLS_SUITE_KX_RSA, TLS_SUITE_AU_RSA,
                TLS_SUITE_CIPHER_RC4, 40, TLS_SUITE_MODE_STREAM, false, TLS_SUITE_MAC_HMAC_MD5,
                TLS_SUITE_HASH_SHA256);
    assert_true(tls_suite_find(0x0003)->export_grade);
    assert_false(tls_suite_find(0x0004)->export_grade);
    check_suite(0x0018, "TLS_DH_anon_WITH_RC4_128_MD5", TLS_SUITE_KX_DHE, TLS_SUITE_AU_NULL,
                TLS_SUITE_CIPHER_RC4, 128, TLS_SUITE_MODE_STREAM, false, TLS_SUITE_MAC_HMAC_MD5,
                TLS_SUITE_HASH_SHA256);
    check_suite(0x0030, "TLS_DH_DSS_WITH_AES_128_CBC_SHA", TLS_SUITE_KX_DH, TLS_SUITE_AU_DSS,
                TLS_SUITE_CIPHER_AES, 128, TLS_SUITE_MODE_CBC, false, TLS_SUITE_MAC_HMAC_SHA1,
                TLS_SUITE_HASH_SHA256);
    check_suite(0xC004, "TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA", TLS_SUITE_KX_ECDH,
                TLS_SUITE_AU_ECDSA, TLS_SUITE_CIPHER_AES, 128, TLS_SUITE_MODE_CBC, false,
                TLS_SUITE_MAC_HMAC_SHA1, TLS_SUITE_HASH_SHA256);
    check_suite(0x0026, "TLS_KRB5_EXPORT_WITH_DES_CBC_40_SHA", TLS_SUITE_KX_KRB5,
                TLS_SUITE_AU_KRB5, TLS_SUITE_CIPHER_DES, 40, TLS_SUITE_MODE_CBC, false,
                TLS_SUITE_MAC_HMAC_SHA1, TLS_SUITE_HASH_SHA256);
    /* RFC 9150: integrity only, HMAC and HKDF with the same hash */
    check_suite(0xC0B5, "TLS_SHA384_SHA384", TLS_SUITE_KX_ANY, TLS_SUITE_AU_ANY,
                TLS_SUITE_CIPHER_NULL, 0, TLS_SUITE_MODE_NONE, false, TLS_SUITE_MAC_HMAC_SHA384,
                TLS_SUITE_HASH_SHA384);
    /* RFC 8998 (SM4/SM3), RFC 9189 and RFC 9367 (GOST, TLS 1.2 and 1.3) */
    check_suite(0x00C6, "TLS_SM4_GCM_SM3", TLS_SUITE_KX_ANY, TLS_SUITE_AU_ANY,
                TLS_SUITE_CIPHER_SM4, 128, TLS_SUITE_MODE_GCM, true, TLS_SUITE_MAC_NONE,
                TLS_SUITE_HASH_SM3);
    check_suite(0xC100, "TLS_GOSTR341112_256_WITH_KUZNYECHIK_CTR_OMAC", TLS_SUITE_KX_GOST,
                TLS_SUITE_AU_GOST, TLS_SUITE_CIPHER_KUZNYECHIK, 256, TLS_SUITE_MODE_CTR, false,
                TLS_SUITE_MAC_OMAC, TLS_SUITE_HASH_STREEBOG256);
    check_suite(0xC103, "TLS_GOSTR341112_256_WITH_KUZNYECHIK_MGM_L", TLS_SUITE_KX_ANY,
                TLS_SUITE_AU_ANY, TLS_SUITE_CIPHER_KUZNYECHIK, 256, TLS_SUITE_MODE_MGM, true,
                TLS_SUITE_MAC_NONE, TLS_SUITE_HASH_STREEBOG256);
    /* signalling values and the initial state: no keys */
    check_suite(0x00FF, "TLS_EMPTY_RENEGOTIATION_INFO_SCSV", TLS_SUITE_KX_SCSV,
                TLS_SUITE_AU_NULL, TLS_SUITE_CIPHER_NULL, 0, TLS_SUITE_MODE_NONE, false,
                TLS_SUITE_MAC_NONE, TLS_SUITE_HASH_NONE);
    check_suite(0x5600, "TLS_FALLBACK_SCSV", TLS_SUITE_KX_SCSV, TLS_SUITE_AU_NULL,
                TLS_SUITE_CIPHER_NULL, 0, TLS_SUITE_MODE_NONE, false, TLS_SUITE_MAC_NONE,
                TLS_SUITE_HASH_NONE);
    check_suite(0x0000, "TLS_NULL_WITH_NULL_NULL", TLS_SUITE_KX_NULL, TLS_SUITE_AU_NULL,
                TLS_SUITE_CIPHER_NULL, 0, TLS_SUITE_MODE_NONE, false, TLS_SUITE_MAC_NONE,
                TLS_SUITE_HASH_NONE);
    /* not suites */
    assert_null(tls_suite_find(0x0A0A));
    assert_null(tls_suite_find(0xFAFA));
    assert_null(tls_suite_find(0x1300));
    assert_null(tls_suite_find(0xFFFF));
}

/* The enum names, and "?" for what is out of range. */
static void test_suite_enum_names(void **state)
{
    (void)state;
    assert_string_equal(tls_suite_kx_name(TLS_SUITE_KX_ECDHE), "ecdhe");
    assert_string_equal(tls_suite_kx_name(TLS_SUITE_KX_ANY), "any");
    assert_string_equal(tls_suite_au_name(TLS_SUITE_AU_NULL), "null");
    assert_string_equal(tls_suite_cipher_name(TLS_SUITE_CIPHER_3DES), "3des");
    assert_string_equal(tls_suite_mode_name(TLS_SUITE_MODE_CCM_8), "ccm8");
    assert_string_equal(tls_suite_mac_name(TLS_SUITE_MAC_HMAC_SHA1), "hmac-sha1");
    assert_string_equal(tls_suite_hash_name(TLS_SUITE_HASH_SHA384), "sha384");
    assert_string_equal(tls_suite_kx_name(TLS_SUITE_KX_COUNT), "?");
    assert_string_equal(tls_suite_au_name(TLS_SUITE_AU_COUNT), "?");
    assert_string_equal(tls_suite_cipher_name(TLS_SUITE_CIPHER_COUNT), "?");
    assert_string_equal(tls_suite_mode_name(TLS_SUITE_MODE_COUNT), "?");
    assert_string_equal(tls_suite_mac_name(TLS_SUITE_MAC_COUNT), "?");
    assert_string_equal(tls_suite_hash_name(TLS_SUITE_HASH_COUNT), "?");
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
        cmocka_unit_test(test_suite_rows_consistent),
        cmocka_unit_test(test_suite_rfc_values),
        cmocka_unit_test(test_suite_enum_names),
        cmocka_unit_test(test_groups),
    };

    return cmocka_run_group_tests_name("names", tests, NULL, NULL);
}

/*
 * names.c - code point to name tables.  Cipher suites: dissect/tls_suite.c
 * (see tools/gen-cipher-suites.sh).
 */
#include "analyze/names.h"

#include <stddef.h>
#include <string.h>

#include "dissect/tls_suite.h"

struct name16 {
    uint16_t id;
    const char *name;
};

/* RFC 8446 §4.2.7, RFC 8422 §5.1.1, RFC 7919 */
static const struct name16 groups[] = {
    {1, "sect163k1"}, {2, "sect163r1"}, {3, "sect163r2"}, {4, "sect193r1"},
    {5, "sect193r2"}, {6, "sect233k1"}, {7, "sect233r1"}, {8, "sect239k1"},
    {9, "sect283k1"}, {10, "sect283r1"}, {11, "sect409k1"}, {12, "sect409r1"},
    {13, "sect571k1"}, {14, "sect571r1"}, {15, "secp160k1"}, {16, "secp160r1"},
    {17, "secp160r2"}, {18, "secp192k1"}, {19, "secp192r1"}, {20, "secp224k1"},
    {21, "secp224r1"}, {22, "secp256k1"}, {23, "secp256r1"}, {24, "secp384r1"},
    {25, "secp521r1"}, {26, "brainpoolP256r1"}, {27, "brainpoolP384r1"},
    {28, "brainpoolP512r1"}, {29, "x25519"}, {30, "x448"}, {256, "ffdhe2048"},
    {257, "ffdhe3072"}, {258, "ffdhe4096"}, {259, "ffdhe6144"}, {260, "ffdhe8192"},
    {0x11EC, "X25519MLKEM768"}, {0x6399, "X25519Kyber768Draft00"},
};

static const char *lookup(const struct name16 *t, size_t n, uint16_t id)
{
    size_t lo = 0, hi = n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (t[mid].id == id)
            return t[mid].name;
        if (t[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

const char *names_cipher(uint16_t id)
{
    const struct tls_suite *s = tls_suite_find(id);

    return s != NULL ? s->name : NULL;
}

unsigned names_cipher_count(void)
{
    return (unsigned)tls_suite_count();
}

const char *names_group(uint16_t id)
{
    return lookup(groups, sizeof(groups) / sizeof(groups[0]), id);
}

bool names_cipher_id(const char *name, uint16_t *out)
{
    /* a few hundred names, read back once per JSON line: a scan will do */
    for (size_t i = 0; i < tls_suite_count(); i++) {
        const struct tls_suite *r = tls_suite_at(i);

        if (strcmp(r->name, name) == 0) {
            *out = r->id;
            return true;
        }
    }
    return false;
}

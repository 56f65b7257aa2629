/*
 * fuzz_expect.c - the --expect grammar and --expect-file reader, and the
 * host-name normaliser they use.
 *
 * Input: the first byte chooses the mode (bit 0: 1 = the rest is the text of
 * an expect file, 0 = the rest is one SPEC); the last line of the rest is
 * also used as a session's host name for the lookup.  Specs naming a PEM
 * file are skipped (they would read files of the fuzzing machine, such as
 * /dev/zero; OpenSSL's PEM reader is OpenSSL's to fuzz).
 *
 * Besides memory errors it checks the contract: an add that fails says why
 * (a non-empty message) and changes nothing; a lookup never reports more
 * pins than the set holds; a description is always a terminated string; a
 * normalised name is normalised again to itself.  Built with libFuzzer (make
 * fuzz) or fuzz/replay.c.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz/fuzz_file.h"
#include "analyze/expect.h"
#include "analyze/hostname.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(bool ok)
{
    if (!ok)
        abort();
}

static bool has(const uint8_t *p, size_t n, const char *needle)
{
    size_t k = strlen(needle);

    for (size_t i = 0; i + k <= n; i++)
        if (memcmp(p + i, needle, k) == 0)
            return true;
    return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct expect_set *set;
    char err[512], name[HOSTNAME_BUFSZ], norm[HOSTNAME_BUFSZ], again[HOSTNAME_BUFSZ];
    char *text;
    size_t n, before, nl;
    int rc;

    if (size < 1 || size > 65536)
        return 0;
    n = size - 1;
    if (has(data + 1, n, "pem:") || has(data + 1, n, "PEM:") || has(data + 1, n, "Pem:"))
        return 0;
    if ((text = malloc(n + 1)) == NULL || (set = expect_new()) == NULL) {
        free(text);
        return 0;
    }
    memcpy(text, data + 1, n);
    text[n] = '\0';

    err[0] = '\0';
    before = expect_pin_count(set);
    if (data[0] & 1) {
        char path[] = "/tmp/mxw-fuzz-expect-XXXXXX";

        if (fuzz_file(path, data + 1, n) == 0) {
            rc = expect_add_file(set, path, err, sizeof(err));
            check(rc == 0 || (rc == -1 && err[0] != '\0' && expect_pin_count(set) == before));
            unlink(path);
        }
    } else {
        rc = expect_add(set, text, "fuzz", err, sizeof(err));
        check(rc == 0 || (rc == -1 && err[0] != '\0' && expect_pin_count(set) == before));
    }
    check(memchr(err, '\0', sizeof(err)) != NULL);

    /* the last line as a host name, normalised twice */
    nl = n;
    while (nl > 0 && text[nl - 1] != '\n')
        nl--;
    snprintf(name, sizeof(name), "%s", text + nl);
    if (hostname_normalize(name, norm, sizeof(norm))) {
        check(hostname_normalize(norm, again, sizeof(again)));
        check(strcmp(norm, again) == 0);
    }

    {
        const struct expect_pin *pins[8];
        const char *names[3] = {name, "mail.example.test", NULL};
        struct expect_target t;
        size_t got, total = expect_pin_count(set);

        memset(&t, 0, sizeof(t));
        t.addr.family = 4;
        t.addr.b[0] = 198;
        t.addr.b[1] = 51;
        t.addr.b[2] = 100;
        t.addr.b[3] = 25;
        t.port = 25;
        t.names = names;
        t.nnames = 3;
        got = expect_lookup(set, &t, pins, 8);
        check(got <= total);
        for (size_t i = 0; i < got && i < 8; i++) {
            char d[96];

            expect_pin_describe(pins[i], d, sizeof(d));
            check(memchr(d, '\0', sizeof(d)) != NULL);
            check(!expect_pin_matches(pins[i], NULL));
        }
        for (size_t i = 0; i < total; i++)
            check(expect_pin_at(set, i) != NULL);
    }
    expect_free(set);
    free(text);
    return 0;
}

/*
 * fuzz_json.c - the JSON-lines reader: lib/jsonr's walk and the session
 * digest read back from a line (analyze/digest), on any bytes.
 *
 * Besides memory errors it checks the contract: a refused line says why (a
 * non-empty message); the names read into the digest are terminated within
 * their arrays; counts never exceed their arrays; a walk that succeeded
 * once succeeds again with the same values (no state kept between calls).
 * Built with libFuzzer (make fuzz) or fuzz/replay.c.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/digest.h"
#include "lib/jsonr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(bool ok)
{
    if (!ok)
        abort();
}

struct tally {
    size_t n;
    uint64_t h;
};

static bool count(void *ctx, const char *path, long index, const struct jsonr_value *v)
{
    struct tally *t = ctx;

    check(strlen(path) < JSONR_PATH_MAX);
    check(index >= -1);
    t->n++;
    t->h = t->h * 31 + strlen(path) + (uint64_t)index + (uint64_t)v->type;
    if (v->type == JSONR_STRING) {
        check(v->str != NULL && strlen(v->str) <= v->len && v->len <= JSONR_STR_MAX);
        t->h = t->h * 31 + v->len;
    }
    return true;
}

static bool terminated(const char *s, size_t cap)
{
    return memchr(s, '\0', cap) != NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tally a = {0, 0}, b = {0, 0};
    struct session_digest *d = malloc(sizeof(*d));
    char err[256];
    int rc1, rc2;

    if (d == NULL)
        return 0;
    rc1 = jsonr_walk((const char *)data, size, count, &a, err, sizeof(err));
    check(rc1 == 0 || (rc1 == -1 && err[0] != '\0'));
    rc2 = jsonr_walk((const char *)data, size, count, &b, NULL, 0);
    check(rc1 == rc2 && a.n == b.n && a.h == b.h);

    rc1 = digest_from_json(d, (const char *)data, size, err, sizeof(err));
    check(rc1 >= -1 && rc1 <= 1);
    check(rc1 != -1 || err[0] != '\0');
    check(terminated(d->point, sizeof(d->point)) && terminated(d->sni, sizeof(d->sni)) &&
          terminated(d->banner_host, sizeof(d->banner_host)) &&
          terminated(d->ehlo, sizeof(d->ehlo)) && terminated(d->ehlo_host, sizeof(d->ehlo_host)) &&
          terminated(d->ja3s, sizeof(d->ja3s)));
    check(d->nchain <= DIGEST_MAX_CHAIN && d->nfindings <= DIGEST_MAX_FINDINGS);
    free(d);
    return 0;
}

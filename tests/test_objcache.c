/* test_objcache.c - lib/objcache.h: objects come back cleared, at most
 * OBJCACHE_MAX are kept, and (but under AddressSanitizer) a freed object is
 * the next one handed out. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lib/objcache.h"

struct thing {
    uint64_t a, b;
    char scratch[48];        /* not cleared on reuse (objcache_init's |zero|) */
};

static bool all_zero(const void *p, size_t n)
{
    const unsigned char *b = p;

    for (size_t i = 0; i < n; i++)
        if (b[i] != 0)
            return false;
    return true;
}

static void test_cleared(void **state)
{
    struct objcache c;
    struct thing *t, *u;

    (void)state;
    objcache_init(&c, sizeof(struct thing), offsetof(struct thing, scratch));
    t = objcache_zalloc(&c);
    assert_non_null(t);
    assert_true(all_zero(t, sizeof(*t)));           /* new: all of it */
    t->a = 1;
    t->b = 2;
    memcpy(t->scratch, "left as it was", 15);
    objcache_free(&c, t);
    u = objcache_zalloc(&c);
    assert_non_null(u);
    assert_true(all_zero(u, offsetof(struct thing, scratch)));
#if OBJCACHE_KEEP > 0
    assert_ptr_equal(u, t);
    assert_string_equal(u->scratch, "left as it was");
#endif
    objcache_free(&c, u);
    objcache_free(&c, NULL);
    objcache_cleanup(&c);
    assert_int_equal(c.n, 0);
}

static void test_bounded(void **state)
{
    enum { N = OBJCACHE_MAX + 40 };
    static void *v[N];
    struct objcache c;

    (void)state;
    objcache_init(&c, 64, 64);
    for (size_t i = 0; i < N; i++) {
        v[i] = objcache_alloc(&c);
        assert_non_null(v[i]);
    }
    for (size_t i = 0; i < N; i++)
        objcache_free(&c, v[i]);
    assert_int_equal(c.n, OBJCACHE_KEEP);           /* the rest went back to free() */
    for (size_t i = 0; i < N; i++) {
        v[i] = objcache_zalloc(&c);
        assert_non_null(v[i]);
        assert_true(all_zero(v[i], 64));
    }
    assert_int_equal(c.n, 0);
    for (size_t i = 0; i < N; i++)
        objcache_free(&c, v[i]);
    objcache_cleanup(&c);
    assert_int_equal(c.n, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cleared),
        cmocka_unit_test(test_bounded),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

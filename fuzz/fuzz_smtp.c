/*
 * fuzz_smtp.c - the SMTP dialogue parser fed both directions as a
 * reassembler would.
 *
 * The input is a list of records:
 *   u8 op    bit 0: direction (0 = client's bytes, 1 = server's bytes)
 *            bits 1-2: 0..2 = data, 3 = a gap in that direction
 *   u8 len   (data only) then |len| bytes
 * Each direction keeps what smtp_feed did not consume and offers it again
 * with the next bytes, in an exact-size heap copy (ASan sees overreads);
 * after each record the other direction's held bytes are offered again, as
 * the session layer does when one side's reply unblocks the other.  Pending
 * bytes are capped like tcp_reasm's max_pending.
 *
 * Besides memory errors it checks the contract: a consumed count never
 * exceeds the offer; a direction in TLS or stopped consumes nothing; facts
 * stay within their bounds; content and credential lines are reported only
 * as their placeholders, and no command is reported while the client is in
 * message content.  Built with libFuzzer (make fuzz) or fuzz/replay.c.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dissect/smtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_PENDING (64 * 1024)

struct fz {
    struct smtp *s;
    uint8_t *pend[2];
    size_t plen[2];
    bool in_content;    /* the client was in DATA content when the feed began */
};

static void check(bool ok)
{
    if (!ok)
        abort();
}

static bool starts(const struct cbs *line, const char *lit)
{
    return cbs_starts_nocase(line, lit);
}

static void on_line(void *user, enum tcp_dir dir, uint64_t ts_us, enum smtp_line_kind kind,
                    const struct cbs *line, size_t arg_off)
{
    struct fz *z = user;

    (void)ts_us;
    check(dir == TCP_TO_SERVER || dir == TCP_TO_CLIENT);
    check(arg_off <= cbs_len(line));
    switch (kind) {
    case SMTP_LINE_COMMAND:
        check(dir == TCP_TO_SERVER);
        check(!z->in_content);
        check(cbs_len(line) <= 12288);
        break;
    case SMTP_LINE_REPLY:
        check(dir == TCP_TO_CLIENT);
        check(cbs_len(line) < SMTP_MAX_LINE);
        break;
    case SMTP_LINE_CONTENT:
        check(dir == TCP_TO_SERVER);
        check(starts(line, "[message content omitted: "));
        z->in_content = false;
        break;
    case SMTP_LINE_AUTH:
        check(dir == TCP_TO_SERVER);
        check(cbs_eq_nocase(line, "[credentials omitted]"));
        break;
    default:
        abort();
    }
}

static void check_facts(const struct smtp_facts *f)
{
    check(f->ncaps <= SMTP_MAX_CAPS);
    check(f->ntls_errors <= SMTP_MAX_TLS_ERRORS);
    for (size_t i = 0; i < f->ncaps; i++)
        check(f->caps[i] && strlen(f->caps[i]) < SMTP_MAX_LINE);
    check(!f->last_reply || strlen(f->last_reply) < SMTP_MAX_LINE);
    check(!f->helo || strlen(f->helo) < SMTP_MAX_LINE);
    check(f->stop < SMTP_STOP_COUNT);
    check(!f->tls_started || f->starttls_requested);
}

static bool finished(const struct fz *z, enum tcp_dir dir)
{
    enum smtp_mode m = smtp_mode(z->s, dir);

    return m == SMTP_MODE_TLS || m == SMTP_MODE_STOPPED;
}

static void offer(struct fz *z, enum tcp_dir dir)
{
    size_t n = z->plen[dir], used;
    bool was_finished = finished(z, dir);
    uint8_t *copy;

    if (n == 0)
        return;
    copy = malloc(n);
    if (!copy)
        return;
    memcpy(copy, z->pend[dir], n);
    z->in_content = dir == TCP_TO_SERVER && smtp_mode(z->s, dir) == SMTP_MODE_DATA;
    used = smtp_feed(z->s, dir, copy, n, 1);
    z->in_content = false;
    free(copy);
    check(used <= n);
    if (was_finished)
        check(used == 0);
    memmove(z->pend[dir], z->pend[dir] + used, n - used);
    z->plen[dir] = n - used;
    check_facts(smtp_facts(z->s));
}

static void add(struct fz *z, enum tcp_dir dir, const uint8_t *p, size_t n)
{
    uint8_t *b;

    if (z->plen[dir] + n > MAX_PENDING)
        return;   /* depth reached: tcp_reasm would stop delivering */
    b = realloc(z->pend[dir], z->plen[dir] + n ? z->plen[dir] + n : 1);
    if (!b)
        return;
    z->pend[dir] = b;
    if (n)
        memcpy(b + z->plen[dir], p, n);
    z->plen[dir] += n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct smtp_cbs cbs = {.on_line = on_line};
    struct fz z = {0};
    struct cbs in;
    uint8_t op, len;

    z.s = smtp_new(&cbs, &z);
    if (!z.s)
        return 0;
    cbs_init(&in, data, size);
    while (cbs_get_u8(&in, &op)) {
        enum tcp_dir dir = (op & 1) ? TCP_TO_CLIENT : TCP_TO_SERVER;
        enum tcp_dir other = dir == TCP_TO_SERVER ? TCP_TO_CLIENT : TCP_TO_SERVER;
        struct cbs chunk;

        if (((op >> 1) & 3) == 3) {
            /* tcp_reasm drops the bytes held before a gap */
            z.plen[dir] = 0;
            smtp_gap(z.s, dir);
            check_facts(smtp_facts(z.s));
            continue;
        }
        if (!cbs_get_u8(&in, &len))
            break;
        if (!cbs_get_bytes(&in, &chunk, len))
            chunk = in, cbs_skip(&in, cbs_len(&in));
        add(&z, dir, cbs_data(&chunk), cbs_len(&chunk));
        offer(&z, dir);
        offer(&z, other);
    }
    /* end of capture: one last offer each */
    offer(&z, TCP_TO_SERVER);
    offer(&z, TCP_TO_CLIENT);
    smtp_free(z.s);
    free(z.pend[0]);
    free(z.pend[1]);
    return 0;
}

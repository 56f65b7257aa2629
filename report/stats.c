/*
 * stats.c - the periodic counters of a run (see stats.h).
 */
#include "report/stats.h"

#include <stddef.h>
#include <stdlib.h>

#include "analyze/pipeline.h"
#include "dissect/session.h"
#include "lib/out.h"
#include "report/json.h"

struct stats_ticker {
    struct stats_opts o;
    bool started;
    uint64_t start_us, next_us, last_us;   /* the open interval; the latest time seen */
    struct stats_counts prev;              /* the totals at the start of the interval */
    uint64_t lines;
};

/* One counter: its name, and where it is in struct stats_counts. */
struct counter {
    const char *name;
    size_t off;
    bool kernel;                           /* a live capture's only */
};

#define C(n, f, k) {n, offsetof(struct stats_counts, f), k}
static const struct counter counters[] = {
    C("packets", packets, false),
    C("bytes", bytes, false),
    C("kernel_received", kernel_received, true),
    C("kernel_dropped", kernel_dropped, true),
    C("interface_dropped", interface_dropped, true),
    C("connections", connections, false),
    C("connections_evicted", evicted, false),
    C("connections_evicted_without_dialogue", evicted_no_dialogue, false),
    C("connections_without_dialogue", no_dialogue, false),
    C("memcap_refusals", memcap_refusals, false),
    C("servers_evicted", servers_evicted, false),
    C("sessions_written", sessions, false),
};
#undef C
#define NCOUNTERS (sizeof(counters) / sizeof(counters[0]))

static uint64_t get(const struct stats_counts *c, size_t i)
{
    return *(const uint64_t *)(const void *)((const char *)c + counters[i].off);
}

void stats_collect(const struct stats_opts *o, struct stats_counts *c, bool *live)
{
    struct cap_live_stats ls;
    const struct tcp_flow_stats *fs = tcp_flow_table_stats(o->tab);

    *c = (struct stats_counts){0};
    c->packets = o->ctr->packets;
    c->bytes = o->ctr->bytes;
    *live = o->src != NULL && cap_source_live_stats(o->src, &ls);
    if (*live) {
        c->kernel_received = ls.received;
        c->kernel_dropped = ls.dropped;
        c->interface_dropped = ls.if_dropped;
    }
    c->connections = fs->created;
    c->evicted = fs->closed[TCP_CLOSE_EVICTED];
    c->evicted_no_dialogue = fs->evicted_no_dialogue;
    c->memcap_refusals = fs->mem_refusals;
    if (o->run != NULL && o->run->sessions != NULL) {
        c->no_dialogue = session_layer_no_dialogue(o->run->sessions);
        c->sessions = session_layer_count(o->run->sessions);
    }
    if (o->run != NULL && o->run->pipeline != NULL)
        c->servers_evicted = pipeline_totals_get(o->run->pipeline)->st.evicted[SERVER_BY_ADDR];
}

struct stats_ticker *stats_ticker_new(const struct stats_opts *o)
{
    struct stats_ticker *t = calloc(1, sizeof(*t));

    if (t != NULL)
        t->o = *o;
    return t;
}

static void write_json(struct stats_ticker *t, const struct stats_counts *now, bool live,
                       uint64_t end_us, bool final, uint64_t open, uint64_t servers)
{
    char ts[40];
    struct json j;

    json_init(&j, t->o.out);
    json_obj(&j, NULL);
    json_ascii(&j, "@timestamp", out_time_rfc3339(end_us, ts, sizeof(ts)));
    json_obj(&j, "event");
    json_ascii(&j, "dataset", "mxwitness.stats");
    json_ascii(&j, "start", out_time_rfc3339(t->start_us, ts, sizeof(ts)));
    json_ascii(&j, "end", out_time_rfc3339(end_us, ts, sizeof(ts)));
    json_obj_end(&j);
    json_obj(&j, "mxwitness");
    json_obj(&j, "window");
    json_ascii(&j, "start", out_time_rfc3339(t->start_us, ts, sizeof(ts)));
    json_ascii(&j, "end", out_time_rfc3339(end_us, ts, sizeof(ts)));
    json_obj_end(&j);
    if (t->o.nworkers > 0) {
        json_u64(&j, "worker", t->o.worker);
        json_u64(&j, "workers", t->o.nworkers);
    }
    json_u64(&j, "interval_seconds", t->o.interval_us / 1000000u);
    json_bool(&j, "final", final);
    json_u64(&j, "connections_open", open);
    json_u64(&j, "servers_active", servers);
    json_obj(&j, "interval");
    for (size_t i = 0; i < NCOUNTERS; i++)
        if (live || !counters[i].kernel)
            json_u64(&j, counters[i].name, get(now, i) - get(&t->prev, i));
    json_obj_end(&j);
    json_obj(&j, "total");
    for (size_t i = 0; i < NCOUNTERS; i++)
        if (live || !counters[i].kernel)
            json_u64(&j, counters[i].name, get(now, i));
    json_obj_end(&j);
    json_obj_end(&j);
    json_obj_end(&j);
    json_end(&j);
}

static void write_text(struct stats_ticker *t, const struct stats_counts *now, bool live,
                       uint64_t end_us, bool final, uint64_t open, uint64_t servers)
{
    char t1[40], t2[40], w[32] = "", line[2048];
    size_t n;

    /* one write for the line: the workers share standard error */
    if (t->o.nworkers > 0)
        snprintf(w, sizeof(w), " worker %u/%u", t->o.worker, t->o.nworkers);
    n = (size_t)snprintf(line, sizeof(line), "mxwitness: %s%s %s to %s:",
                         final ? "stats (final)" : "stats", w,
                         out_time_rfc3339(t->start_us, t1, sizeof(t1)),
                         out_time_rfc3339(end_us, t2, sizeof(t2)));
    for (size_t i = 0; i < NCOUNTERS && n < sizeof(line); i++)
        if (live || !counters[i].kernel)
            n += (size_t)snprintf(line + n, sizeof(line) - n, " %s +%llu (%llu)",
                                  counters[i].name,
                                  (unsigned long long)(get(now, i) - get(&t->prev, i)),
                                  (unsigned long long)get(now, i));
    if (n < sizeof(line))
        snprintf(line + n, sizeof(line) - n, " connections_open %llu servers_active %llu\n",
                 (unsigned long long)open, (unsigned long long)servers);
    fputs(line, t->o.err);
    fflush(t->o.err);
}

/* emit writes the line of the interval from t->start_us to |end_us| and
 * starts the next one there. */
static void emit(struct stats_ticker *t, uint64_t end_us, bool final)
{
    struct stats_counts now;
    bool live;
    uint64_t open = tcp_flow_table_stats(t->o.tab)->active, servers = 0;
    struct pipeline *p = t->o.run != NULL ? t->o.run->pipeline : NULL;

    /* the analysis thread, if any, caught up first: the line counts every
     * session finished before its end */
    if (t->o.run != NULL)
        report_run_sync(t->o.run);
    /* the summaries first: a server evicted meanwhile is counted below */
    if (p != NULL && t->o.json && !final)
        pipeline_periodic(p, end_us);
    else if (p != NULL)
        pipeline_clock(p, end_us);
    stats_collect(&t->o, &now, &live);
    if (p != NULL)
        servers = pipeline_totals_get(p)->st.active[SERVER_BY_ADDR];
    if (t->o.json)
        write_json(t, &now, live, end_us, final, open, servers);
    else
        write_text(t, &now, live, end_us, final, open, servers);
    t->prev = now;
    t->start_us = end_us;
    t->next_us = end_us + t->o.interval_us;
    t->lines++;
}

void stats_tick(struct stats_ticker *t, uint64_t now_us)
{
    if (!t->started) {
        t->started = true;
        t->start_us = t->last_us = now_us;
        t->next_us = now_us + t->o.interval_us;
        return;
    }
    if (now_us + t->o.interval_us < t->start_us) {
        /* more than an interval behind the open interval: the clock had
         * been pushed ahead by a bogus time (a packet from the future), so
         * follow the packets again from here */
        t->start_us = t->last_us = now_us;
        t->next_us = now_us + t->o.interval_us;
        return;
    }
    if (now_us > t->last_us)
        t->last_us = now_us;
    if (now_us < t->next_us)
        return;
    /* the last interval boundary at or before now: one line however many
     * intervals passed without a packet */
    emit(t, t->start_us + (now_us - t->start_us) / t->o.interval_us * t->o.interval_us, false);
}

void stats_ticker_finish(struct stats_ticker *t, uint64_t now_us)
{
    if (now_us == 0)
        now_us = t->last_us;
    if (!t->started && now_us == 0)
        return;   /* no packet and no clock (an empty file, JSON lines only) */
    if (!t->started)
        t->start_us = now_us;
    if (now_us < t->start_us)
        now_us = t->start_us;
    emit(t, now_us, true);
}

uint64_t stats_ticker_lines(const struct stats_ticker *t)
{
    return t->lines;
}

void stats_ticker_free(struct stats_ticker *t)
{
    free(t);
}

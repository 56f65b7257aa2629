/*
 * flows_report.c - one record per TCP connection: endpoints, bytes delivered
 * per direction, gaps, retransmissions, conflicting overlaps, anomalies and
 * how it ended.  It consumes every byte, so "delivered" is the whole
 * reassembled stream, comparable with what tshark's "follow tcp" shows.
 */
#include "report/flows_report.h"

#include <string.h>

#include "lib/out.h"

static void *fr_open(void *ctx, struct tcp_flow *f)
{
    (void)f;
    return ctx; /* any non-NULL pointer: we want the bytes reassembled */
}

static size_t fr_data(void *ctx, struct tcp_flow *f, enum tcp_dir dir, const uint8_t *p,
                      size_t n, uint64_t off)
{
    (void)ctx, (void)f, (void)dir, (void)p, (void)off;
    return n;
}

static const char *dir_name(enum tcp_dir d)
{
    return d == TCP_TO_SERVER ? "c2s" : "s2c";
}

static const char *start_name(const struct tcp_flow *f)
{
    if (f->flags & TCP_FLOW_SYN)
        return "syn";
    if (f->flags & TCP_FLOW_SYNACK)
        return "synack";
    return "midstream";
}

/* Anomalies as "name/dir" words separated by |sep|. */
static void anomaly_list(FILE *o, const struct tcp_flow *f, bool json)
{
    bool first = true;

    for (int d = 0; d < 2; d++) {
        for (int a = 0; a < TCP_AN_COUNT; a++) {
            if (!f->half[d].st.anomalies[a] || a == TCP_AN_MIDSTREAM)
                continue;
            if (json)
                fprintf(o, "%s{\"name\":\"%s\",\"direction\":\"%s\",\"count\":%llu}",
                        first ? "" : ",", tcp_anomaly_name((enum tcp_anomaly)a),
                        dir_name((enum tcp_dir)d),
                        (unsigned long long)f->half[d].st.anomalies[a]);
            else
                fprintf(o, "%s%s/%s", first ? "" : ",", tcp_anomaly_name((enum tcp_anomaly)a),
                        dir_name((enum tcp_dir)d));
            first = false;
        }
    }
    if (first && !json)
        fputc('-', o);
}

static void fr_text(struct flows_report *r, const struct tcp_flow *f)
{
    const struct tcp_half_stats *c = &f->half[TCP_TO_SERVER].st, *s = &f->half[TCP_TO_CLIENT].st;
    char t[40], ce[80], se[80];
    FILE *o = r->out;

    fprintf(o, "%s %s > %s", out_time_rfc3339(f->first_us, t, sizeof(t)),
            cap_endpoint_format(&f->client, f->cport, ce, sizeof(ce)),
            cap_endpoint_format(&f->server, f->sport, se, sizeof(se)));
    if (cap_source_ninputs(r->src) > 1) {
        fputs(" point=", o);
        out_text_escaped(o, (const uint8_t *)cap_source_input(r->src, f->input)->label,
                         strlen(cap_source_input(r->src, f->input)->label));
    }
    fprintf(o, " c2s=%llu s2c=%llu pkts=%llu/%llu gaps=%llu/%llu gap_bytes=%llu/%llu"
               " retrans=%llu/%llu ooo=%llu/%llu conflicts=%llu/%llu start=%s end=%s"
               " dur=%.3f anomalies=",
            (unsigned long long)c->bytes_delivered, (unsigned long long)s->bytes_delivered,
            (unsigned long long)f->packets[0], (unsigned long long)f->packets[1],
            (unsigned long long)c->gaps, (unsigned long long)s->gaps,
            (unsigned long long)c->gap_bytes, (unsigned long long)s->gap_bytes,
            (unsigned long long)c->retransmitted, (unsigned long long)s->retransmitted,
            (unsigned long long)c->out_of_order, (unsigned long long)s->out_of_order,
            (unsigned long long)c->conflicts, (unsigned long long)s->conflicts,
            start_name(f), tcp_close_reason_name(f->close_reason),
            (double)(f->last_us - f->first_us) / 1e6);
    anomaly_list(o, f, false);
    fputc('\n', o);
}

static void fr_json_half(FILE *o, const char *name, const struct tcp_half_stats *h)
{
    fprintf(o, "\"%s\":{\"bytes\":%llu,\"bytes_seen\":%llu,\"gaps\":%llu,\"gap_bytes\":%llu,"
               "\"retransmitted\":%llu,\"out_of_order\":%llu,\"conflicts\":%llu}",
            name, (unsigned long long)h->bytes_delivered, (unsigned long long)h->bytes_seen,
            (unsigned long long)h->gaps, (unsigned long long)h->gap_bytes,
            (unsigned long long)h->retransmitted, (unsigned long long)h->out_of_order,
            (unsigned long long)h->conflicts);
}

static void fr_json(struct flows_report *r, const struct tcp_flow *f)
{
    char t[40], a[64];
    FILE *o = r->out;

    fprintf(o, "{\"@timestamp\":\"%s\",\"event\":{\"dataset\":\"mxwitness.flow\"",
            out_time_rfc3339(f->first_us, t, sizeof(t)));
    fprintf(o, ",\"duration\":%llu},\"observer\":{\"name\":",
            (unsigned long long)(f->last_us - f->first_us) * 1000u);
    out_json_cstr(o, cap_source_input(r->src, f->input)->label);
    fprintf(o, "},\"source\":{\"ip\":\"%s\",\"port\":%u,\"packets\":%llu}",
            cap_addr_format(&f->client, a, sizeof(a)), f->cport,
            (unsigned long long)f->packets[0]);
    fprintf(o, ",\"destination\":{\"ip\":\"%s\",\"port\":%u,\"packets\":%llu}",
            cap_addr_format(&f->server, a, sizeof(a)), f->sport,
            (unsigned long long)f->packets[1]);
    fprintf(o, ",\"tcp\":{\"start\":\"%s\",\"end\":\"%s\",",
            start_name(f), tcp_close_reason_name(f->close_reason));
    fr_json_half(o, "client", &f->half[TCP_TO_SERVER].st);
    fputc(',', o);
    fr_json_half(o, "server", &f->half[TCP_TO_CLIENT].st);
    fputs(",\"anomalies\":[", o);
    anomaly_list(o, f, true);
    fputs("]}}\n", o);
}

static void fr_close(void *ctx, struct tcp_flow *f)
{
    struct flows_report *r = ctx;

    r->connections++;
    if (r->json)
        fr_json(r, f);
    else
        fr_text(r, f);
}

static const struct tcp_flow_cbs cbs = {
    .on_open = fr_open,
    .on_data = fr_data,
    .on_close = fr_close,
};

const struct tcp_flow_cbs *flows_report_cbs(void)
{
    return &cbs;
}

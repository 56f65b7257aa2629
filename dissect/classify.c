/*
 * classify.c - nDPI glue (nDPI 4.2).
 */
#include "classify.h"

#include <stdlib.h>
#include <string.h>

#include <ndpi/ndpi_api.h>

struct classify {
    struct ndpi_detection_module_struct *mod;
};

struct classify_flow {
    struct ndpi_flow_struct *flow;
    unsigned packets;
    enum classify_result done;
};

struct classify *classify_new(void)
{
    struct classify *c = calloc(1, sizeof(*c));
    NDPI_PROTOCOL_BITMASK all;

    if (!c)
        return NULL;
    c->mod = ndpi_init_detection_module(ndpi_no_prefs);
    if (!c->mod) {
        free(c);
        return NULL;
    }
    /* Every protocol stays enabled: nDPI needs the others to rule them out. */
    NDPI_BITMASK_SET_ALL(all);
    ndpi_set_protocol_detection_bitmask2(c->mod, &all);
    ndpi_finalize_initialization(c->mod);
    return c;
}

void classify_free(struct classify *c)
{
    if (!c)
        return;
    ndpi_exit_detection_module(c->mod);
    free(c);
}

struct classify_flow *classify_flow_new(struct classify *c)
{
    struct classify_flow *f = calloc(1, sizeof(*f));

    (void)c;
    if (!f)
        return NULL;
    f->flow = ndpi_flow_malloc(SIZEOF_FLOW_STRUCT);
    if (!f->flow) {
        free(f);
        return NULL;
    }
    memset(f->flow, 0, SIZEOF_FLOW_STRUCT);
    return f;
}

void classify_flow_free(struct classify_flow *f)
{
    if (!f)
        return;
    ndpi_free_flow(f->flow);
    free(f);
}

static enum classify_result map(ndpi_protocol p)
{
    if (p.app_protocol == NDPI_PROTOCOL_MAIL_SMTP || p.master_protocol == NDPI_PROTOCOL_MAIL_SMTP)
        return CLASSIFY_SMTP;
    if (p.app_protocol == NDPI_PROTOCOL_MAIL_SMTPS || p.master_protocol == NDPI_PROTOCOL_MAIL_SMTPS)
        return CLASSIFY_SMTPS;
    return CLASSIFY_OTHER;
}

enum classify_result classify_packet(struct classify *c, struct classify_flow *f,
                                     const uint8_t *ip, size_t len, uint64_t ts_us)
{
    ndpi_protocol p;

    if (f->done != CLASSIFY_PENDING)
        return f->done;
    if (len > 65535)
        len = 65535;
    p = ndpi_detection_process_packet(c->mod, f->flow, ip, (unsigned short)len, ts_us / 1000u);
    f->packets++;
    if (p.app_protocol != NDPI_PROTOCOL_UNKNOWN || p.master_protocol != NDPI_PROTOCOL_UNKNOWN) {
        f->done = map(p);
    } else if (f->packets >= CLASSIFY_MAX_PACKETS) {
        uint8_t guessed = 0;

        f->done = map(ndpi_detection_giveup(c->mod, f->flow, 1, &guessed));
    }
    return f->done;
}

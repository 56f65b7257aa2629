/*
 * cap_pipe.h - one packet from the source to the connection table:
 * link layer, IP, TCP, the mail-port check, then tcp_flow_packet.
 *
 * Non-mail traffic is dropped here, before any lookup or copy: a packet costs
 * a link and IP header walk and two bitmap tests unless it belongs to a port
 * we follow.
 */
#ifndef MXW_CAP_PIPE_H
#define MXW_CAP_PIPE_H

#include <stdbool.h>
#include <stdint.h>

#include "cap_link.h"
#include "cap_source.h"
#include "tcp_flow.h"

/* cap_ports is the set of service ports to follow. */
struct cap_ports {
    uint64_t bits[65536 / 64];
    bool any;               /* every TCP port (the consumer decides per flow) */
};

/* cap_ports_init empties |p|; cap_ports_add_mail adds 25, 465, 587, 2525. */
void cap_ports_init(struct cap_ports *p);
void cap_ports_add(struct cap_ports *p, uint16_t port);
void cap_ports_add_mail(struct cap_ports *p);

static inline bool cap_ports_has(const struct cap_ports *p, uint16_t port)
{
    return (p->bits[port >> 6] >> (port & 63)) & 1u;
}

/* cap_ports_bpf writes a tcpdump filter for |p| into |buf|: the ports over
 * TCP and every IP-in-IP packet, untagged, under one VLAN tag or two
 * (QinQ); false if it does not fit. */
bool cap_ports_bpf(const struct cap_ports *p, char *buf, size_t size);

/* cap_counters counts every packet by what became of it. */
struct cap_counters {
    uint64_t packets, bytes;
    uint64_t status[CAP_STATUS_COUNT];  /* link + IP outcome: ok, not_ip, not_tcp, ... */
    uint64_t other_ports;               /* TCP, but no followed port */
    uint64_t followed;                  /* TCP segments given to the table */
};

/* cap_pipe_packet decodes |pkt| and gives it to |tab| if it is TCP on a
 * port in |ports|. */
void cap_pipe_packet(const struct cap_ports *ports, struct tcp_flow_table *tab,
                     const struct cap_packet *pkt, struct cap_counters *ctr);

#endif

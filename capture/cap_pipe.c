/*
 * cap_pipe.c - link, IP and port check in front of the connection table.
 */
#include "cap_pipe.h"

#include <stdio.h>
#include <string.h>

static const uint16_t mail_ports[] = {25, 465, 587, 2525};

void cap_ports_init(struct cap_ports *p)
{
    memset(p, 0, sizeof(*p));
}

void cap_ports_add(struct cap_ports *p, uint16_t port)
{
    p->bits[port >> 6] |= (uint64_t)1 << (port & 63);
}

void cap_ports_add_mail(struct cap_ports *p)
{
    for (size_t i = 0; i < sizeof(mail_ports) / sizeof(mail_ports[0]); i++)
        cap_ports_add(p, mail_ports[i]);
}

/* The live default filter: the followed ports over TCP, and every IP-in-IP
 * packet (IPv4 or IPv6 in IPv4 or IPv6: protocols 4 and 41), which a BPF
 * filter cannot look inside and cap_ip decapsulates; untagged, under one
 * VLAN tag or under two (QinQ, 802.1ad), as cap_link decodes them.
 * libpcap's "vlan" moves the offsets of everything after it, so each level
 * repeats the whole test inside the one before:
 *   M or (vlan and (M or (vlan and (M))))
 * (checked on crafted frames through pcap_offline_filter, test_link_ip). */
bool cap_ports_bpf(const struct cap_ports *p, char *buf, size_t size)
{
    static const char tunnel[] = "ip proto 4 or ip proto 41 or ip6 proto 4 or ip6 proto 41";
    char list[4096], m[4600];
    size_t len = 0;
    int w;

    list[0] = '\0';
    for (unsigned port = 0; !p->any && port < 65536; port++) {
        if (!cap_ports_has(p, (uint16_t)port))
            continue;
        w = snprintf(list + len, sizeof(list) - len, "%sport %u", len ? " or " : "", port);
        if (w < 0 || (size_t)w >= sizeof(list) - len)
            return false;
        len += (size_t)w;
    }
    if (len == 0 && !p->any)
        return false;
    if (p->any)
        w = snprintf(m, sizeof(m), "%s or tcp", tunnel);
    else
        w = snprintf(m, sizeof(m), "%s or (tcp and (%s))", tunnel, list);
    if (w < 0 || (size_t)w >= sizeof(m))
        return false;
    w = snprintf(buf, size, "%s or (vlan and (%s or (vlan and (%s))))", m, m, m);
    return w > 0 && (size_t)w < size;
}

void cap_pipe_packet(const struct cap_ports *ports, struct tcp_flow_table *tab,
                     const struct cap_packet *pkt, struct cap_counters *ctr)
{
    struct cap_l3 l3;
    struct cap_tcp_seg seg;
    enum cap_status st;
    enum tcp_flow_hint hint;

    ctr->packets++;
    ctr->bytes += pkt->caplen;
    st = cap_link_decode(pkt->dlt, pkt->data, pkt->caplen, &l3);
    if (st == CAP_OK)
        st = cap_ip_decode(&l3, &seg);
    ctr->status[st]++;
    if (st != CAP_OK)
        return;
    if (cap_ports_has(ports, seg.dport))
        hint = TCP_HINT_DST_SERVER;
    else if (cap_ports_has(ports, seg.sport))
        hint = TCP_HINT_SRC_SERVER;
    else if (ports->any)
        hint = TCP_HINT_NONE;
    else {
        ctr->other_ports++;
        return;
    }
    ctr->followed++;
    tcp_flow_packet(tab, &seg, pkt->ts_us, pkt->input, hint);
}

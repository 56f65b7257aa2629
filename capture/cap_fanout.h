/*
 * cap_fanout.h - --workers N: the worker processes share one interface
 * through a Linux PACKET_FANOUT group, and a classic BPF program of ours
 * picks the worker of each packet by the *server's* address.
 *
 * Why the server and not the flow: each worker has its own server table,
 * and CERT_CHANGED compares what one server presented across connections;
 * a flow hash would scatter a server's connections over the workers and
 * each would see only part of its history.  With the server's address
 * both directions of a connection go to one worker too (the address is
 * the same either way).  The price: all the traffic to one server lands in
 * one worker, a SYN flood against one MX included; the other workers go
 * on with the other servers.
 *
 * The program, for Ethernet frames with up to two VLAN tags (802.1Q,
 * 802.1ad, 0x9100), IPv4 or IPv6 with TCP: the server is the address on
 * the side of a followed port (25 465 587 2525 and --port); when both
 * ports or neither are followed (--any-port: every port is), the side of
 * the lower port; equal ports, both addresses.  The address (IPv4: all 32
 * bits; IPv6: the last 32) is mixed (the upper 16 bits of a * 0x9e3779b1,
 * so that every bit counts: the servers of one subnet may well all be
 * even, or all ::25) and the result modulo N is the worker.  Anything
 * else (ARP, a non-first IP fragment, IPv6 extension headers before TCP)
 * goes to worker 0.  Another link type: PACKET_FANOUT_HASH (by flow), and
 * the per-server state is then split between the workers.
 */
#ifndef MXW_CAP_FANOUT_H
#define MXW_CAP_FANOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <pcap/pcap.h>

#include "capture/cap_pipe.h"

/* The program's size is bounded by the followed ports it compares (two
 * lists of them); beyond CAP_FANOUT_MAX_PORTS followed ports, the lower
 * port decides alone. */
#define CAP_FANOUT_MAX_PORTS 64
#define CAP_FANOUT_MAX_INSNS 512

/* cap_fanout_program writes the program for |nworkers| (1..65535) into
 * |prog| (CAP_FANOUT_MAX_INSNS) and returns its length.  Its loads are
 * at |base| + the offset in the frame: 0 for libpcap's bpf_filter (the
 * tests), SKF_LL_OFF for the kernel, where a fanout program otherwise sees
 * a received packet from its network header.  It returns the worker. */
size_t cap_fanout_program(const struct cap_ports *ports, unsigned nworkers, uint32_t base,
                          struct bpf_insn *prog);

/* cap_fanout_server_worker is the same choice in C for an address already
 * picked (IPv4, or an IPv6 address's last 32 bits, in host order): the
 * tests compare the program with it. */
unsigned cap_fanout_server_worker(uint32_t addr, unsigned nworkers);

/* cap_fanout_join puts the packet socket |fd| (pcap_fileno) in fanout
 * group |group| of |nworkers| members: by the program above for DLT
 * |dlt| Ethernet, else by flow hash (|*by_flow| true).  -1 with the
 * reason in |err|. */
int cap_fanout_join(int fd, int dlt, uint16_t group, unsigned nworkers,
                    const struct cap_ports *ports, bool *by_flow, char *err, size_t errlen);

#endif

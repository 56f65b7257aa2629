/*
 * helper_starttls.c - test helper: write the capture of one SMTP STARTTLS
 * session whose server presents a given certificate, for certificates a
 * test makes at run time (openssl) that no recorded capture holds: a
 * subject with markup, say.  Capturing a real exchange on the loopback
 * needs root; this needs nothing.
 *
 *   helper_starttls CERT.der OUT.pcap BANNER_HOST SNI [CLIENT_PORT]
 *
 * Ethernet, IPv4, client 192.0.2.50:CLIENT_PORT (40000), server
 * 198.51.100.80:25, starting CLIENT_PORT - 40000 seconds after
 * 2025-11-24T16:00:00Z (so that captures of several ports merge into
 * sessions one after the other), with
 * the three-way handshake, the dialogue
 *
 *   S: 220 BANNER_HOST ESMTP
 *   C: EHLO client.example.test
 *   S: 250-BANNER_HOST / 250 STARTTLS
 *   C: STARTTLS
 *   S: 220 2.0.0 Ready to start TLS
 *   C: ClientHello (TLS 1.2, one suite, server_name SNI)      RFC 5246 7.4.1.2
 *   S: ServerHello, Certificate (the DER), ServerHelloDone    in one record
 *
 * or, when those messages pass one record's 16384 bytes (a certificate with
 * thousands of names: up to 2 MiB are taken), in records of 16384 bytes
 * whose handshake messages span them, sent in TCP segments of 1448 bytes
 * that cut across the records, as a real server's large flight is.
 *
 * and FIN both ways.  The IPv4 header checksum is right, the TCP checksum
 * zero (mxwitness does not verify it).  A dialogue of our own making: the
 * server's bytes are not a real server's.
 */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PAYLOAD 60000
#define MAX_DER (2u * 1024u * 1024u)
#define RECORD_MAX 16384u
#define SEGMENT 1448u

static pcap_dumper_t *g_out;
static uint64_t g_us = UINT64_C(1764000000000000);
static unsigned g_cport = 40000;
static uint32_t g_seq[2] = {1000, 5000000};   /* next sequence number: client, server */

static void put16(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put24(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)(v >> 16);
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, v >> 16);
    put16(p + 2, v & 0xffff);
}

/* packet writes one TCP segment from the client (|from_server| false) or
 * the server, with |flags| and |n| bytes of payload. */
static void packet(int from_server, uint8_t flags, const uint8_t *data, size_t n)
{
    static const uint8_t cmac[6] = {2, 0, 0, 0, 0, 1}, smac[6] = {2, 0, 0, 0, 0, 2};
    static const uint8_t cip[4] = {192, 0, 2, 50}, sip[4] = {198, 51, 100, 80};
    static uint8_t buf[14 + 20 + 20 + MAX_PAYLOAD];
    struct pcap_pkthdr h;
    uint8_t *ip = buf + 14, *tcp = ip + 20;
    uint32_t sum = 0;
    int me = from_server ? 1 : 0;

    memcpy(buf, from_server ? cmac : smac, 6);
    memcpy(buf + 6, from_server ? smac : cmac, 6);
    put16(buf + 12, 0x0800);
    memset(ip, 0, 20);
    ip[0] = 0x45;
    put16(ip + 2, (unsigned)(40 + n));
    ip[8] = 64;
    ip[9] = 6;
    memcpy(ip + 12, from_server ? sip : cip, 4);
    memcpy(ip + 16, from_server ? cip : sip, 4);
    for (int i = 0; i < 20; i += 2)
        sum += (uint32_t)(ip[i] << 8 | ip[i + 1]);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    put16(ip + 10, ~sum & 0xffff);
    memset(tcp, 0, 20);
    put16(tcp, from_server ? 25 : g_cport);
    put16(tcp + 2, from_server ? g_cport : 25);
    put32(tcp + 4, g_seq[me]);
    put32(tcp + 8, (flags & 0x10) ? g_seq[!me] : 0);
    tcp[12] = 5 << 4;
    tcp[13] = flags;
    put16(tcp + 14, 65535);
    if (n)
        memcpy(tcp + 20, data, n);
    g_seq[me] += (uint32_t)n + ((flags & 0x03) ? 1 : 0);   /* SYN and FIN count one */
    g_us += 2000;
    h.ts.tv_sec = (long)(g_us / 1000000);
    h.ts.tv_usec = (long)(g_us % 1000000);
    h.caplen = h.len = (unsigned)(54 + n);
    pcap_dump((u_char *)g_out, &h, buf);
}

static void say(int from_server, const char *text)
{
    packet(from_server, 0x18, (const uint8_t *)text, strlen(text));
    packet(!from_server, 0x10, NULL, 0);
}

/* handshake wraps |n| bytes of body as handshake message |type| at |p|;
 * returns the bytes written. */
static size_t handshake(uint8_t *p, uint8_t type, const uint8_t *body, size_t n)
{
    p[0] = type;
    put24(p + 1, (unsigned)n);
    if (n)
        memcpy(p + 4, body, n);
    return 4 + n;
}

static size_t record(uint8_t *p, const uint8_t *frag, size_t n)
{
    p[0] = 22;
    put16(p + 1, 0x0303);
    put16(p + 3, (unsigned)n);
    memcpy(p + 5, frag, n);
    return 5 + n;
}

/* send_server sends the handshake bytes |msgs| (|m| of them): one record
 * in one segment when they fit, else records of RECORD_MAX in segments of
 * SEGMENT.  |rec| has room for the records. */
static void send_server(uint8_t *rec, const uint8_t *msgs, size_t m)
{
    size_t n = 0;

    if (m <= RECORD_MAX) {
        n = record(rec, msgs, m);
        packet(1, 0x18, rec, n);
        packet(0, 0x10, NULL, 0);
        return;
    }
    for (size_t i = 0; i < m; i += RECORD_MAX)
        n += record(rec + n, msgs + i, m - i < RECORD_MAX ? m - i : RECORD_MAX);
    for (size_t i = 0; i < n; i += SEGMENT) {
        packet(1, 0x18, rec + i, n - i < SEGMENT ? n - i : SEGMENT);
        packet(0, 0x10, NULL, 0);
    }
}

int main(int argc, char **argv)
{
    static uint8_t der[MAX_DER], body[MAX_DER + 8192], msgs[MAX_DER + 16384],
        rec[MAX_DER + MAX_DER / 256 + 32768];
    char line[1024];
    size_t dn, n = 0, m, sni;
    FILE *f;
    pcap_t *dead;

    if (argc == 6) {
        char *end;
        unsigned long p = strtoul(argv[5], &end, 10);

        if (*end != '\0' || p < 1024 || p > 65535) {
            fprintf(stderr, "helper_starttls: CLIENT_PORT 1024..65535\n");
            return 2;
        }
        g_cport = (unsigned)p;
        g_us += (uint64_t)((long)p - 40000) * 1000000;
    }
    if (argc != 5 && argc != 6) {
        fprintf(stderr, "usage: helper_starttls CERT.der OUT.pcap BANNER_HOST SNI [CLIENT_PORT]\n");
        return 2;
    }
    if ((f = fopen(argv[1], "rb")) == NULL) {
        perror(argv[1]);
        return 2;
    }
    dn = fread(der, 1, sizeof(der), f);
    fclose(f);
    sni = strlen(argv[4]);
    if (dn == 0 || dn == sizeof(der) || strlen(argv[3]) > 400 || sni > 200) {
        fprintf(stderr, "helper_starttls: certificate empty or over 2 MiB, or names too long\n");
        return 2;
    }
    dead = pcap_open_dead(DLT_EN10MB, 65535);
    if ((g_out = pcap_dump_open(dead, argv[2])) == NULL) {
        fprintf(stderr, "helper_starttls: %s\n", pcap_geterr(dead));
        return 2;
    }
    packet(0, 0x02, NULL, 0);
    packet(1, 0x12, NULL, 0);
    packet(0, 0x10, NULL, 0);
    snprintf(line, sizeof(line), "220 %s ESMTP\r\n", argv[3]);
    say(1, line);
    say(0, "EHLO client.example.test\r\n");
    snprintf(line, sizeof(line), "250-%s\r\n250 STARTTLS\r\n", argv[3]);
    say(1, line);
    say(0, "STARTTLS\r\n");
    say(1, "220 2.0.0 Ready to start TLS\r\n");

    /* ClientHello: version, random, no session id, one suite, no compression,
     * the server_name extension (RFC 6066 3) */
    put16(body, 0x0303);
    for (int i = 0; i < 32; i++)
        body[2 + i] = (uint8_t)(0xA0 + i);
    n = 34;
    body[n++] = 0;
    put16(body + n, 2), n += 2;
    put16(body + n, 0xC02F), n += 2;
    body[n++] = 1;
    body[n++] = 0;
    put16(body + n, (unsigned)(9 + sni)), n += 2;    /* extensions */
    put16(body + n, 0), n += 2;                      /* server_name */
    put16(body + n, (unsigned)(5 + sni)), n += 2;
    put16(body + n, (unsigned)(3 + sni)), n += 2;
    body[n++] = 0;                                   /* host_name */
    put16(body + n, (unsigned)sni), n += 2;
    memcpy(body + n, argv[4], sni), n += sni;
    m = handshake(msgs, 1, body, n);
    m = record(rec, msgs, m);
    packet(0, 0x18, rec, m);
    packet(1, 0x10, NULL, 0);

    /* ServerHello, Certificate, ServerHelloDone */
    n = 0;
    put16(body, 0x0303);
    for (int i = 0; i < 32; i++)
        body[2 + i] = (uint8_t)(0x50 + i);
    n = 34;
    body[n++] = 0;
    put16(body + n, 0xC02F), n += 2;
    body[n++] = 0;
    m = handshake(msgs, 2, body, n);
    put24(body, (unsigned)(3 + dn));
    put24(body + 3, (unsigned)dn);
    memcpy(body + 6, der, dn);
    m += handshake(msgs + m, 11, body, 6 + dn);
    m += handshake(msgs + m, 14, NULL, 0);
    send_server(rec, msgs, m);

    packet(0, 0x11, NULL, 0);
    packet(1, 0x11, NULL, 0);
    packet(0, 0x10, NULL, 0);
    pcap_dump_close(g_out);
    pcap_close(dead);
    return 0;
}

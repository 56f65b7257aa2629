/*
 * pcapng.h - our own reader of pcapng capture files, through the cursor.
 *
 * libpcap 1.10 refuses a pcapng whose interfaces differ in link type or
 * snapshot length, which is what mergecap writes from two capture points.
 * This reader takes every Interface Description Block as it is (its own
 * link type, snapshot length, time stamp resolution and offset, name and
 * description), every section in either byte order, the Enhanced, Simple
 * and obsolete Packet Blocks, and keeps the Decryption Secrets Blocks; any
 * other block is skipped by its length.  A regular file is read with
 * pread through a window of its own (256 KiB, or the largest block); any
 * other stream (standard input, a pipe) block by block with stdio, into one
 * buffer the size of the largest block.  No block over PCAPNG_MAX_BLOCK
 * bytes is read.
 */
#ifndef MXW_PCAPNG_H
#define MXW_PCAPNG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define PCAPNG_ERRBUF_SIZE 256
#define PCAPNG_MAX_BLOCK   (16u << 20)  /* larger blocks are refused, as libpcap does */
#define PCAPNG_MAX_IFACES  256          /* over all sections of a file */
#define PCAPNG_MAX_SECRETS 1024
#define PCAPNG_MAX_SECRET_BYTES (16u << 20) /* over all the secrets of a file */
#define PCAPNG_SECRETS_TLS 0x544c534bu  /* "TLSK": an NSS key log */

/* pcapng_iface is one Interface Description Block. */
struct pcapng_iface {
    uint16_t linktype;     /* LINKTYPE_ value, as the file gives it */
    uint32_t snaplen;      /* 0: no limit */
    uint64_t tsresol;      /* time stamp units per second (if_tsresol; default 10^6) */
    int64_t tsoffset;      /* seconds added to every time stamp (if_tsoffset) */
    char *name;            /* if_name, or NULL; NUL-terminated, owned by the reader */
    char *description;     /* if_description, or NULL */
    unsigned section;      /* 0 for the file's first section */
    uint64_t offset;       /* file offset of the block */
};

/* pcapng_packet is one packet.  |data| is borrowed: valid until the next
 * pcapng_next() call. */
struct pcapng_packet {
    uint64_t ts_us;        /* microseconds since the epoch, as libpcap computes them */
    const uint8_t *data;
    uint32_t caplen, wirelen;
    size_t iface;          /* index for pcapng_iface() (over all sections) */
    uint64_t offset;       /* file offset of its block */
};

/* pcapng_secret is one Decryption Secrets Block's secrets. */
struct pcapng_secret {
    uint32_t type;         /* PCAPNG_SECRETS_TLS, ... */
    uint8_t *data;         /* owned by the reader */
    size_t len;
};

struct pcapng;

/* pcapng_is_magic is true when |b| (|n| bytes, the start of a file) begins
 * with the Section Header Block type.  One byte is enough to tell a pcapng
 * from a classic pcap, whose magic never begins with 0x0a. */
bool pcapng_is_magic(const uint8_t *b, size_t n);

/* pcapng_open reads the Section Header Block of |f| and every block up to
 * the first packet (so that the interfaces described before it are known).
 * Returns the reader, or NULL with the reason in |errbuf|
 * (PCAPNG_ERRBUF_SIZE bytes; "block at offset N: ..."), when the file is
 * not a pcapng or is damaged before its first packet.  The reader does not
 * own |f|. */
struct pcapng *pcapng_open(FILE *f, char *errbuf);

/* pcapng_free frees the reader and everything it holds.  NULL is a no-op. */
void pcapng_free(struct pcapng *r);

/* pcapng_next reads the next packet into |*out|: 1 a packet, 0 the clean
 * end of the file, -1 an error (truncated, bad block) whose message
 * pcapng_error() gives; after 0 or -1 it returns the same again. */
int pcapng_next(struct pcapng *r, struct pcapng_packet *out);

/* pcapng_offset returns the file offset of the next block to be read (the
 * bytes taken so far, from the stream's position at pcapng_open). */
uint64_t pcapng_offset(const struct pcapng *r);

/* pcapng_error returns why pcapng_next returned -1 ("" otherwise). */
const char *pcapng_error(const struct pcapng *r);

/* pcapng_niface and pcapng_iface: the interfaces seen so far, in file
 * order; NULL past the end.  New ones may appear after any pcapng_next. */
size_t pcapng_niface(const struct pcapng *r);
const struct pcapng_iface *pcapng_iface(const struct pcapng *r, size_t i);

/* pcapng_nsecrets and pcapng_secret: the Decryption Secrets Blocks read so
 * far, in file order; pcapng_secrets_dropped counts those over the limits
 * (PCAPNG_MAX_SECRETS, PCAPNG_MAX_SECRET_BYTES), which are not kept. */
size_t pcapng_nsecrets(const struct pcapng *r);
const struct pcapng_secret *pcapng_secret(const struct pcapng *r, size_t i);
uint64_t pcapng_secrets_dropped(const struct pcapng *r);

#endif

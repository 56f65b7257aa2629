/*
 * cap_source.h - where packets come from: capture files or a live interface.
 *
 * Several files are read as one capture, merged by timestamp.  Each input
 * (cap_input) is a capture point: a pcap file, the interface, or one
 * interface of a pcapng file, with its index and label.  '-' reads standard
 * input.  Classic pcap is read through libpcap, pcapng through our own
 * reader (pcapng.h), which takes interfaces of different link types and
 * snapshot lengths, and keeps the file's decryption secrets.
 */
#ifndef MXW_CAP_SOURCE_H
#define MXW_CAP_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <pcap/pcap.h>

#define CAP_ERRBUF_SIZE 512
#define CAP_MAX_INPUTS  64

/* cap_packet is one captured frame.  |data| is borrowed: valid until the
 * next cap_source_next() call. */
struct cap_packet {
    uint64_t ts_us;        /* capture time, microseconds since the epoch */
    const uint8_t *data;
    uint32_t caplen;       /* bytes captured */
    uint32_t wirelen;      /* bytes on the wire */
    int dlt;               /* link type of the input it came from */
    unsigned input;        /* index of that input (order of cap_source_add_*) */
    bool live;             /* that input is an interface (cap_input.live) */
};

/* cap_input describes one input, for reports. */
struct cap_input {
    char *path;            /* file name, "-" or interface name */
    char *label;           /* capture point label: "-r FILE@LABEL", else the file's base name;
                            * for a pcapng of several interfaces each one's if_name, else
                            * its if_description, else the file's ("#N" added if taken) */
    unsigned file;         /* which cap_source_add_* call made it (0 the first) */
    bool live;
    int dlt;
    uint64_t packets, bytes;
    uint64_t first_us, last_us;
    bool ended;            /* no more packets */
    char error[CAP_ERRBUF_SIZE]; /* why it ended early ("truncated dump file ..."), or "";
                                  * for a pcapng, on the file's first input only */
};

/* cap_secret is the content of a pcapng Decryption Secrets Block. */
struct cap_secret {
    uint32_t type;         /* 0x544c534b: a TLS key log (NSS format) */
    const uint8_t *data;   /* borrowed from the source, valid until cap_source_free */
    size_t len;
    unsigned input;        /* the file's first input */
};

/* cap_live_opts are the options of a live capture. */
struct cap_live_opts {
    int snaplen;           /* 0 = 262144 */
    int buffer_size;       /* bytes, 0 = libpcap's default */
    bool promisc;
    int timeout_ms;        /* packet buffer timeout; 0 = 200 */
};

/* cap_live_stats are the kernel's counters for a live capture. */
struct cap_live_stats {
    uint64_t received, dropped, if_dropped;
};

/* cap_next_result is what cap_source_next found. */
enum cap_next_result {
    CAP_NEXT_PACKET = 1,   /* |*out| is a packet */
    CAP_NEXT_END = 0,      /* every input has ended */
    CAP_NEXT_IDLE = 2,     /* live: nothing arrived within the timeout */
    CAP_NEXT_ERROR = -1,   /* a live capture failed; see cap_source_error */
};

struct cap_source;

/* cap_source_new returns an empty source (NULL on allocation failure). */
struct cap_source *cap_source_new(void);

/* cap_source_free closes every input.  NULL is a no-op. */
void cap_source_free(struct cap_source *src);

/* cap_source_add_file opens a pcap or pcapng file ("-" for standard input)
 * with capture-point label |label| (NULL: the file's base name).  A pcapng
 * adds an input per interface described before its first packet (one, the
 * file's, when none is), in file order; interfaces described later are
 * added as their blocks are read.  Returns 0, or -1 with a message in
 * |errbuf| (CAP_ERRBUF_SIZE bytes) naming the file and the reason
 * (for a pcapng damaged before its first packet, the block's offset),
 * including a link type we cannot decode. */
int cap_source_add_file(struct cap_source *src, const char *path, const char *label,
                        char *errbuf);

/* cap_source_add_live opens interface |iface| for live capture, its capture
 * point labelled |label| (NULL: the interface's name).  Returns 0 or -1 with
 * a message in |errbuf|.  A live input cannot be mixed with others. */
int cap_source_add_live(struct cap_source *src, const char *iface, const char *label,
                        const struct cap_live_opts *opts, char *errbuf);

/* cap_source_set_filter compiles |bpf| (tcpdump syntax) for every input and
 * installs it.  Returns 0 or -1 with a message in |errbuf|. */
int cap_source_set_filter(struct cap_source *src, const char *bpf, char *errbuf);

/* cap_source_next returns the next packet in timestamp order across all
 * inputs.  An input that fails mid-file (truncated, corrupt) ends with its
 * reason in cap_input.error and the others go on. */
enum cap_next_result cap_source_next(struct cap_source *src, struct cap_packet *out);

/* cap_source_break makes a blocked cap_source_next return CAP_NEXT_END soon;
 * safe to call from a signal handler. */
void cap_source_break(struct cap_source *src);

/* cap_source_ninputs and cap_source_input describe the inputs. */
size_t cap_source_ninputs(const struct cap_source *src);
const struct cap_input *cap_source_input(const struct cap_source *src, size_t i);

/* cap_source_nsecrets counts the decryption secrets read so far from the
 * pcapng inputs (a Decryption Secrets Block is read where it lies, most
 * often before the first packet); cap_source_secret fills |*out| with the
 * |i|th, false past the end. */
size_t cap_source_nsecrets(const struct cap_source *src);
bool cap_source_secret(const struct cap_source *src, size_t i, struct cap_secret *out);

/* cap_source_any_pcapng is true when an input is a pcapng file (the only
 * kind that can carry secrets). */
bool cap_source_any_pcapng(const struct cap_source *src);

/* cap_source_live_stats fills |*out| for a live source; false for files or
 * when libpcap cannot tell.  libpcap's counters are 32-bit and wrap (a
 * busy span port passes 2^32 packets in days): each call adds what they
 * moved since the previous call, modulo 2^32, to 64-bit totals, so the
 * totals stay right across wraps as long as it is called at least once per
 * 2^32 packets (the periodic stats do). */
bool cap_source_live_stats(struct cap_source *src, struct cap_live_stats *out);

/* cap_counter_add adds to |*total| what a wrapping 32-bit counter moved
 * from |*last| to |now| (modulo 2^32), and remembers |now| in |*last|. */
void cap_counter_add(uint64_t *total, uint32_t *last, uint32_t now);

/* cap_source_live_fd returns the packet socket of a live source (for
 * PACKET_FANOUT) with its link type in |*dlt|; -1 for files. */
int cap_source_live_fd(const struct cap_source *src, int *dlt);

/* cap_source_progress tells how far the files have been read: |*done|
 * bytes of |*total| (0 when a size is unknown: standard input; |*done| is
 * then the captured bytes read from it, about). */
void cap_source_progress(const struct cap_source *src, uint64_t *done, uint64_t *total);

/* cap_source_error returns the message of the last CAP_NEXT_ERROR. */
const char *cap_source_error(const struct cap_source *src);

#endif

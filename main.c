/*
 * main.c - mxwitness: options in, the stages wired together.
 *
 *   source (files / interface) -> cap_pipe (link, IP, ports) -> tcp_flow
 *   (connections, reassembly) -> session layer (SMTP, STARTTLS, TLS) ->
 *   pipeline (certificates, verdicts, the server table) -> report writers
 *   (text, JSON lines, certificate files); or, with --flows, tcp_flow ->
 *   the --flows report.  report_run_open wires the analysis and the writers
 *   as the whole-pipeline fuzz target does.  With --threads 2 (the default
 *   on more than one CPU) the pipeline and the writers run on a thread of
 *   their own, fed the finished sessions in order (lib/handoff): everything
 *   up to the session layer is this thread's.
 */
#define _GNU_SOURCE              /* sched_getaffinity */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#ifdef __GLIBC__
#include <malloc.h>
#include <stdio_ext.h>
#endif
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "analyze/expect.h"
#include "analyze/findings.h"
#include "analyze/judge.h"
#include "analyze/pipeline.h"
#include "analyze/servers.h"
#include "analyze/verify.h"
#include "analyze/x509.h"
#include "capture/cap_clock.h"
#include "capture/cap_fanout.h"
#include "capture/cap_pipe.h"
#include "capture/cap_source.h"
#include "capture/tcp_flow.h"
#include "lib/handoff.h"
#include "lib/outfile.h"
#include "lib/privs.h"
#include "lib/workers.h"
#include "dissect/classify.h"
#include "dissect/session.h"
#include "report/events.h"
#include "report/flows_report.h"
#include "report/report.h"
#include "report/progress.h"
#include "report/stats.h"

#define MXW_VERSION "0.1.0"

enum { EXIT_OK = 0, EXIT_FINDING = 1, EXIT_USAGE = 2 };

/* A capture point as the command line gives it: the order of -r, --point
 * and --from-json is the path, the sender's side first. */
struct point_arg {
    char kind;                        /* 'r' a capture file, 'j' JSON lines, 'i' the interface */
    size_t index;                     /* into files[] or jsons[] */
};

struct options {
    const char *files[CAP_MAX_INPUTS];
    size_t nfiles;
    const char *jsons[HOPS_MAX_POINTS];   /* --from-json FILE[@LABEL] */
    size_t njsons;
    struct point_arg order[CAP_MAX_INPUTS + HOPS_MAX_POINTS];
    size_t norder;
    const char *point;                /* --point LABEL for -i */
    uint64_t hop_window_us;
    const char *iface;
    const char *bpf;
    int snaplen;
    int buffer_kib;
    bool promisc;
    const char *user;
    const char *write_file;           /* -w FILE */
    unsigned write_retries;
    bool certs_made;                  /* --certs DIR was created by this run */
    struct cap_ports ports;
    bool json;
    bool json_chains;                 /* --json-chains */
    bool quiet;
    bool flows;
    bool stats;
    long stats_interval_s;            /* --stats-interval; -1: not given */
    bool transcript;
    bool redact;
    const char *certs_dir;
    const char *report_html;          /* --report FILE.html */
    size_t max_flows;
    size_t max_servers;
    size_t memcap_mib;
    unsigned idle_timeout_s;
    /* verdicts */
    const char *expects[256];     /* --expect SPEC, in order */
    size_t nexpects;
    const char *expect_files[64]; /* --expect-file FILE */
    size_t nexpect_files;
    const char *ca_file, *ca_path;
    const char *keylogs[64];      /* --keylog FILE */
    size_t nkeylogs;
    enum severity fail_on;
    bool at_set;
    int64_t at;
    unsigned workers;                 /* --workers N; 0: one process */
    unsigned threads;                 /* --threads N; 0: chosen (threads_default) */
    uint16_t fanout_group;            /* their PACKET_FANOUT group */
};

/* Signals: TERM and INT end the run as the end of the input would (every
 * open connection is closed, its session written, then the summaries);
 * HUP asks the loop to reopen -w and read the --expect-file files again;
 * a closed pipe is a write error (EPIPE), said and ended like any other. */
static struct cap_source *g_src;
static volatile sig_atomic_t g_stop, g_hup;

static void on_stop(int sig)
{
    (void)sig;
    g_stop = 1;
    if (g_src)
        cap_source_break(g_src);
}

static void on_hup(int sig)
{
    (void)sig;
    g_hup = 1;
}

static void set_signals(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_stop;      /* no SA_RESTART: a wait to write again ends */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sa.sa_handler = on_hup;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGHUP, &sa, NULL);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
}

static void usage(FILE *f)
{
    fputs(
"usage: mxwitness -r FILE [-r FILE ...] [options]\n"
"       mxwitness -i IFACE [-f BPF] [-s SNAPLEN] [-B KIB] [-Z USER] [options]\n"
"\n"
"Reads SMTP sessions from captures (pcap or pcapng; '-' is standard input)\n"
"or a live interface, and reports what each mail server presented.\n"
"\n"
"inputs\n"
"  -r FILE[@LABEL]    read a capture; several are merged by time. LABEL names\n"
"                     the capture point (default: the file name); each\n"
"                     interface of a pcapng is a point, named by its if_name\n"
"  -i IFACE           capture live (a span port)\n"
"  --point LABEL      the capture point's name for -i (default: the interface)\n"
"  --from-json FILE[@LABEL]  JSON lines of an earlier run (mxwitness --json) as\n"
"                     capture points: LABEL, else each line's observer.name;\n"
"                     '-' is standard input\n"
"  -f BPF             capture filter (live default: the followed ports)\n"
"  -s SNAPLEN         live snap length (default 262144)\n"
"  -B KIB             live kernel buffer size in KiB\n"
"  -p                 do not put the interface in promiscuous mode\n"
"  --workers N        with -i: N processes share the interface (Linux\n"
"                     PACKET_FANOUT by the server's address: a server's\n"
"                     connections, both ways, stay in one worker)\n"
"  --threads N        1: one thread; 2 (the default with more than one CPU\n"
"                     and no --workers): the analysis of finished sessions\n"
"                     and the output on a second thread (the same output)\n"
"  -Z USER            with -i: drop to USER once the interface, the trust\n"
"                     anchors, the output and the expectations are open (the\n"
"                     --certs directory made here is given to USER)\n"
"ports\n"
"  --port N           follow TCP port N too (repeatable); default 25 465 587 2525\n"
"  --any-port         follow every TCP connection\n"
"output\n"
"  --json             JSON lines instead of text (one object per session,\n"
"                     then one per server; each certificate's PEM once, in a\n"
"                     mxwitness.certificate line before the first session\n"
"                     that presents it)\n"
"  --json-chains      --json with everything in every session line: the PEM\n"
"                     chain, all x509 fields, the raw client fingerprints\n"
"  -w FILE            write the sessions (JSON lines or text) to FILE,\n"
"                     appending; SIGHUP reopens it (logrotate) and reads the\n"
"                     --expect-file files again\n"
"  --write-retries N  with -w, a failed write waits and is tried again up to N\n"
"                     times (default 10; 0: fail at once), then the run ends\n"
"  -q, --quiet        text: only the servers (one line each when nothing is\n"
"                     wrong), their findings and the summary line\n"
"  --transcript       the SMTP dialogue and TLS handshake line by line\n"
"                     (message content is never shown)\n"
"  --redact           hide MAIL FROM / RCPT TO addresses in the transcript\n"
"  --certs DIR        write every presented certificate as DIR/<SHA256>.pem\n"
"  --report FILE.html also write one self-contained HTML page at the end: the\n"
"                     verdict per server (and the hop diagram), the findings,\n"
"                     each certificate and the sessions behind them\n"
"  --flows            diagnostic: one line per TCP connection (bytes each way,\n"
"                     gaps, retransmissions, anomalies, how it ended)\n"
"  --stats            counters on standard error at the end\n"
"  --stats-interval S a mxwitness.stats line every S seconds (JSON lines; text:\n"
"                     on standard error) and, in JSON, the summaries of the\n"
"                     servers that changed; capture time for -r (default off),\n"
"                     the clock for -i (default 60); 0: off\n"
"capture points\n"
"  The order of -r, -i and --from-json on the command line is the path from\n"
"  the sender to the receiver.  With several points, the sessions of each\n"
"  delivery are paired across them and the first hop where the certificate,\n"
"  the TLS terminator, STARTTLS or the server's names change is reported.\n"
"  --hop-window S     a relay forwards within S seconds (default 60)\n"
"verdicts\n"
"  --expect [SERVER=]PIN  what a server should present (repeatable; several\n"
"                     pins for one server: any of them). SERVER: IP, IP:PORT\n"
"                     or host name (SNI, banner or EHLO name). PIN: sha256:HEX,\n"
"                     spki:HEX, pem:FILE, name:HOST, issuer:TEXT\n"
"  --expect-file FILE one SPEC per line, '#' comments\n"
"  --ca-file FILE     trust anchors (PEM); an intermediate is accepted as one\n"
"  --ca-path DIR      trust anchors (hashed directory); default: the system store\n"
"  --keylog FILE      TLS secrets, NSS key log format (SSLKEYLOGFILE; repeatable):\n"
"                     decrypts the TLS 1.3 certificate and the SMTP inside TLS\n"
"  --at TIME          judge validity as of TIME (2024-05-01, 2024-05-01T12:00:00Z,\n"
"                     @EPOCH) instead of each session's capture time\n"
"  --fail-on SEV      exit 1 when a finding is at least SEV: info, low, medium,\n"
"                     high (default), critical\n"
"limits\n"
"  --max-flows N      connections tracked at once (default 65536)\n"
"  --max-servers N    servers remembered (by address, and by name; default\n"
"                     65536 each): beyond, the least recently seen one's\n"
"                     summary is written and it is forgotten\n"
"  --memcap MIB       reassembly memory for all connections (default 256)\n"
"  --idle-timeout S   close a connection idle this long (default 300)\n"
"\n"
"  -h, --help         this text;  -V, --version  the version\n"
"exit status: 0 nothing at or above --fail-on, 1 a finding at or above it\n"
"             (files only: -i ends with 0 on SIGTERM or SIGINT), 2 usage, input or\n"
"             output error (a write that failed: disk full, a closed pipe)\n", f);
}

static bool parse_uint(const char *s, unsigned long max, unsigned long *out)
{
    char *end;
    unsigned long v;

    if (!s || !*s || *s == '-')
        return false;
    errno = 0;
    v = strtoul(s, &end, 10);
    if (errno || *end || v > max)
        return false;
    *out = v;
    return true;
}

enum long_only {
    OPT_PORT = 256, OPT_ANY_PORT, OPT_FLOWS, OPT_JSON, OPT_JSON_CHAINS, OPT_STATS,
    OPT_MAX_FLOWS, OPT_MEMCAP, OPT_IDLE, OPT_TRANSCRIPT, OPT_REDACT, OPT_CERTS, OPT_REPORT,
    OPT_EXPECT, OPT_EXPECT_FILE, OPT_CA_FILE, OPT_CA_PATH, OPT_FAIL_ON, OPT_AT,
    OPT_MAX_SERVERS, OPT_FROM_JSON, OPT_POINT, OPT_HOP_WINDOW, OPT_KEYLOG, OPT_WRITE_RETRIES,
    OPT_STATS_INTERVAL, OPT_WORKERS, OPT_THREADS,
};

/* parse_time reads --at: YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS][Z] (UTC; a space
 * may replace the T) or @SECONDS since the epoch. */
static bool parse_time(const char *s, int64_t *out)
{
    struct tm tm;
    int y, mo, d, h = 0, mi = 0, sec = 0, n = 0;
    unsigned long v;
    const char *rest;

    if (s[0] == '@') {
        if (!parse_uint(s + 1, 253402300799ul, &v))
            return false;
        *out = (int64_t)v;
        return true;
    }
    if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10)
        return false;
    rest = s + n;
    if (*rest == 'T' || *rest == 't' || *rest == ' ') {
        int m = 0;

        if (sscanf(rest + 1, "%2d:%2d%n", &h, &mi, &m) != 2 || m != 5)
            return false;
        rest += 1 + m;
        if (*rest == ':') {
            if (sscanf(rest + 1, "%2d%n", &sec, &m) != 1 || m != 2)
                return false;
            rest += 1 + m;
        }
        if (*rest == 'Z' || *rest == 'z')
            rest++;
    }
    if (*rest != '\0' || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
        sec > 60 || y < 1970)
        return false;
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    *out = (int64_t)timegm(&tm);
    return true;
}

static int parse_options(int argc, char **argv, struct options *o)
{
    static const struct option longopts[] = {
        {"port", required_argument, NULL, OPT_PORT},
        {"any-port", no_argument, NULL, OPT_ANY_PORT},
        {"flows", no_argument, NULL, OPT_FLOWS},
        {"json", no_argument, NULL, OPT_JSON},
        {"json-chains", no_argument, NULL, OPT_JSON_CHAINS},
        {"stats", no_argument, NULL, OPT_STATS},
        {"stats-interval", required_argument, NULL, OPT_STATS_INTERVAL},
        {"transcript", no_argument, NULL, OPT_TRANSCRIPT},
        {"redact", no_argument, NULL, OPT_REDACT},
        {"certs", required_argument, NULL, OPT_CERTS},
        {"report", required_argument, NULL, OPT_REPORT},
        {"max-flows", required_argument, NULL, OPT_MAX_FLOWS},
        {"max-servers", required_argument, NULL, OPT_MAX_SERVERS},
        {"from-json", required_argument, NULL, OPT_FROM_JSON},
        {"point", required_argument, NULL, OPT_POINT},
        {"hop-window", required_argument, NULL, OPT_HOP_WINDOW},
        {"memcap", required_argument, NULL, OPT_MEMCAP},
        {"idle-timeout", required_argument, NULL, OPT_IDLE},
        {"expect", required_argument, NULL, OPT_EXPECT},
        {"expect-file", required_argument, NULL, OPT_EXPECT_FILE},
        {"ca-file", required_argument, NULL, OPT_CA_FILE},
        {"keylog", required_argument, NULL, OPT_KEYLOG},
        {"ca-path", required_argument, NULL, OPT_CA_PATH},
        {"fail-on", required_argument, NULL, OPT_FAIL_ON},
        {"at", required_argument, NULL, OPT_AT},
        {"write-retries", required_argument, NULL, OPT_WRITE_RETRIES},
        {"workers", required_argument, NULL, OPT_WORKERS},
        {"threads", required_argument, NULL, OPT_THREADS},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    unsigned long v;
    int c;

    memset(o, 0, sizeof(*o));
    o->promisc = true;
    o->stats_interval_s = -1;
    o->fail_on = SEV_HIGH;
    o->write_retries = 10;
    cap_ports_init(&o->ports);
    cap_ports_add_mail(&o->ports);
    while ((c = getopt_long(argc, argv, "r:i:f:s:B:pZ:w:qhV", longopts, NULL)) != -1) {
        switch (c) {
        case 'r':
            if (o->nfiles >= CAP_MAX_INPUTS) {
                fprintf(stderr, "mxwitness: at most %d -r inputs\n", CAP_MAX_INPUTS);
                return -1;
            }
            o->order[o->norder].kind = 'r';
            o->order[o->norder++].index = o->nfiles;
            o->files[o->nfiles++] = optarg;
            break;
        case OPT_FROM_JSON:
            if (o->njsons >= HOPS_MAX_POINTS) {
                fprintf(stderr, "mxwitness: at most %d --from-json inputs\n", HOPS_MAX_POINTS);
                return -1;
            }
            o->order[o->norder].kind = 'j';
            o->order[o->norder++].index = o->njsons;
            o->jsons[o->njsons++] = optarg;
            break;
        case OPT_POINT:
            o->point = optarg;
            break;
        case OPT_HOP_WINDOW:
            if (!parse_uint(optarg, 86400, &v) || v == 0) {
                fprintf(stderr, "mxwitness: --hop-window: seconds (1..86400) expected\n");
                return -1;
            }
            o->hop_window_us = (uint64_t)v * 1000000u;
            break;
        case 'i':
            o->iface = optarg;
            o->order[o->norder].kind = 'i';
            o->order[o->norder++].index = 0;
            break;
        case 'f': o->bpf = optarg; break;
        case 's':
            if (!parse_uint(optarg, 262144, &v) || v < 64) {
                fprintf(stderr, "mxwitness: -s: snap length must be 64..262144\n");
                return -1;
            }
            o->snaplen = (int)v;
            break;
        case 'B':
            if (!parse_uint(optarg, INT_MAX / 1024, &v)) {
                fprintf(stderr, "mxwitness: -B: buffer size in KiB expected\n");
                return -1;
            }
            o->buffer_kib = (int)v;
            break;
        case 'p': o->promisc = false; break;
        case 'q': o->quiet = true; break;
        case 'Z': o->user = optarg; break;
        case 'w': o->write_file = optarg; break;
        case OPT_WRITE_RETRIES:
            if (!parse_uint(optarg, 1000, &v)) {
                fprintf(stderr, "mxwitness: --write-retries: 0..1000 expected\n");
                return -1;
            }
            o->write_retries = (unsigned)v;
            break;
        case OPT_THREADS:
            if (!parse_uint(optarg, 2, &v) || v == 0) {
                fprintf(stderr, "mxwitness: --threads: 1 or 2 expected\n");
                return -1;
            }
            o->threads = (unsigned)v;
            break;
        case OPT_WORKERS:
            if (!parse_uint(optarg, WORKERS_MAX, &v) || v == 0) {
                fprintf(stderr, "mxwitness: --workers: 1..%d expected\n", WORKERS_MAX);
                return -1;
            }
            o->workers = (unsigned)v;
            break;
        case OPT_PORT:
            if (!parse_uint(optarg, 65535, &v) || v == 0) {
                fprintf(stderr, "mxwitness: --port: \"%s\" is not a port number\n", optarg);
                return -1;
            }
            cap_ports_add(&o->ports, (uint16_t)v);
            break;
        case OPT_ANY_PORT: o->ports.any = true; break;
        case OPT_FLOWS: o->flows = true; break;
        case OPT_JSON: o->json = true; break;
        case OPT_JSON_CHAINS: o->json = o->json_chains = true; break;
        case OPT_STATS: o->stats = true; break;
        case OPT_STATS_INTERVAL:
            if (!parse_uint(optarg, 366u * 86400u, &v)) {
                fprintf(stderr, "mxwitness: --stats-interval: seconds (0..31622400) expected\n");
                return -1;
            }
            o->stats_interval_s = (long)v;
            break;
        case OPT_TRANSCRIPT: o->transcript = true; break;
        case OPT_REDACT: o->redact = true; break;
        case OPT_CERTS: o->certs_dir = optarg; break;
        case OPT_REPORT: o->report_html = optarg; break;
        case OPT_MAX_FLOWS:
            if (!parse_uint(optarg, 1u << 24, &v) || v == 0) {
                fprintf(stderr, "mxwitness: --max-flows: 1..16777216 expected\n");
                return -1;
            }
            o->max_flows = v;
            break;
        case OPT_MAX_SERVERS:
            if (!parse_uint(optarg, 1u << 24, &v) || v == 0) {
                fprintf(stderr, "mxwitness: --max-servers: 1..16777216 expected\n");
                return -1;
            }
            o->max_servers = v;
            break;
        case OPT_MEMCAP:
            if (!parse_uint(optarg, 1u << 20, &v) || v == 0) {
                fprintf(stderr, "mxwitness: --memcap: size in MiB expected\n");
                return -1;
            }
            o->memcap_mib = v;
            break;
        case OPT_IDLE:
            if (!parse_uint(optarg, 86400 * 7, &v) || v == 0) {
                fprintf(stderr, "mxwitness: --idle-timeout: seconds expected\n");
                return -1;
            }
            o->idle_timeout_s = (unsigned)v;
            break;
        case OPT_EXPECT:
            if (o->nexpects >= sizeof(o->expects) / sizeof(o->expects[0])) {
                fprintf(stderr, "mxwitness: too many --expect; use --expect-file\n");
                return -1;
            }
            o->expects[o->nexpects++] = optarg;
            break;
        case OPT_EXPECT_FILE:
            if (o->nexpect_files >= sizeof(o->expect_files) / sizeof(o->expect_files[0])) {
                fprintf(stderr, "mxwitness: too many --expect-file\n");
                return -1;
            }
            o->expect_files[o->nexpect_files++] = optarg;
            break;
        case OPT_CA_FILE: o->ca_file = optarg; break;
        case OPT_KEYLOG:
            if (o->nkeylogs == sizeof(o->keylogs) / sizeof(o->keylogs[0])) {
                fprintf(stderr, "mxwitness: --keylog: at most %zu files\n",
                        sizeof(o->keylogs) / sizeof(o->keylogs[0]));
                return -1;
            }
            o->keylogs[o->nkeylogs++] = optarg;
            break;
        case OPT_CA_PATH: o->ca_path = optarg; break;
        case OPT_FAIL_ON:
            if (!severity_parse(optarg, &o->fail_on)) {
                fprintf(stderr, "mxwitness: --fail-on: \"%s\" is not info, low, medium, high "
                                "or critical\n", optarg);
                return -1;
            }
            break;
        case OPT_AT:
            if (!parse_time(optarg, &o->at)) {
                fprintf(stderr, "mxwitness: --at: \"%s\" is not a time (2024-05-01, "
                                "2024-05-01T12:00:00Z or @SECONDS)\n", optarg);
                return -1;
            }
            o->at_set = true;
            break;
        case 'h': usage(stdout); exit(EXIT_OK);
        case 'V': printf("mxwitness %s\n", MXW_VERSION); exit(EXIT_OK);
        default:
            usage(stderr);
            return -1;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "mxwitness: unexpected argument \"%s\"\n", argv[optind]);
        return -1;
    }
    if (!o->nfiles && !o->iface && !o->njsons) {
        usage(stderr);
        return -1;
    }
    if (o->point && !o->iface) {
        fprintf(stderr, "mxwitness: --point names the capture point of -i; files take -r FILE@LABEL\n");
        return -1;
    }
    if (o->report_html && o->flows) {
        fprintf(stderr, "mxwitness: --report reports the analysis, which --flows does not run\n");
        return -1;
    }
    if (o->nfiles && o->iface) {
        fprintf(stderr, "mxwitness: -r and -i cannot be used together\n");
        return -1;
    }
    if (o->user && !o->iface) {
        fprintf(stderr, "mxwitness: -Z drops root after opening an interface (-i); files are "
                        "read with the privileges mxwitness is started with\n");
        return -1;
    }
    if (o->workers && !o->iface) {
        fprintf(stderr, "mxwitness: --workers shares a live interface (-i) between processes; "
                        "files are read by one\n");
        return -1;
    }
    if (o->workers && o->report_html) {
        fprintf(stderr, "mxwitness: --report is the page of one analysis; with --workers "
                        "each worker has its own: use --json and --from-json\n");
        return -1;
    }
    if (o->certs_dir) {
        struct stat sb;

        if (stat(o->certs_dir, &sb) != 0) {
            if (mkdir(o->certs_dir, 0755) != 0) {
                fprintf(stderr, "mxwitness: --certs %s: %s\n", o->certs_dir, strerror(errno));
                return -1;
            }
            o->certs_made = true;
        }
        if (stat(o->certs_dir, &sb) != 0 || !S_ISDIR(sb.st_mode) || access(o->certs_dir, W_OK) != 0) {
            fprintf(stderr, "mxwitness: --certs %s: not a writable directory\n", o->certs_dir);
            return -1;
        }
    }
    return 0;
}

/* "FILE@LABEL" names a capture point, unless FILE@LABEL is itself an existing
 * file (file names may contain '@'). */
static int open_file(struct cap_source *src, const char *arg, char *errbuf)
{
    const char *at = strrchr(arg, '@');
    struct stat sb;
    char *path;
    int rc;

    if (!at || at == arg || !at[1] || stat(arg, &sb) == 0)
        return cap_source_add_file(src, arg, NULL, errbuf);
    path = strndup(arg, (size_t)(at - arg));
    if (!path) {
        snprintf(errbuf, CAP_ERRBUF_SIZE, "out of memory");
        return -1;
    }
    rc = cap_source_add_file(src, path, at + 1, errbuf);
    free(path);
    return rc;
}

/* start_workers (--workers): the parent forks the workers, waits for them
 * and returns -(its exit status) - 1; a worker returns its index and runs
 * the pipeline as one process would.  Their fanout group is the parent's
 * pid (unique among the processes of the network namespace). */
static int start_workers(struct options *o)
{
    struct privs_user u;
    char err[512];
    int k, st = EXIT_USAGE;

    o->fanout_group = (uint16_t)getpid();
    /* -Z: the parent gives up root too once it has forked (a user that
     * does not exist is said by each worker) */
    k = workers_run(o->workers, o->user && privs_lookup(o->user, &u, err, sizeof(err)) == 0
                                    ? &u : NULL, &st);
    return k >= 0 ? k : -st - 1;
}

/* join_fanout puts worker |k|'s capture in the group of the workers; -1
 * with the reason in |errbuf|. */
static int join_fanout(const struct options *o, unsigned k, struct cap_source *src,
                       char *errbuf)
{
    char err[256];
    bool by_flow = false;
    int dlt = -1, fd = cap_source_live_fd(src, &dlt);

    if (fd < 0 || cap_fanout_join(fd, dlt, o->fanout_group, o->workers, &o->ports, &by_flow,
                                  err, sizeof(err)) < 0) {
        snprintf(errbuf, CAP_ERRBUF_SIZE, "%s: worker %u: %s", o->iface, k,
                 fd < 0 ? "not a packet socket" : err);
        return -1;
    }
    if (by_flow && k == 0)
        fprintf(stderr, "mxwitness: warning: %s is not Ethernet (link type %s): the workers "
                        "share it by flow, so a server's connections are split between them "
                        "and each judges CERT_CHANGED on its part only\n",
                o->iface, pcap_datalink_val_to_name(dlt) ? pcap_datalink_val_to_name(dlt) : "?");
    fprintf(stderr, "mxwitness: worker %u of %u capturing on %s (by %s)\n", k, o->workers,
            o->iface, by_flow ? "flow" : "server address");
    return 0;
}

/* start_progress: the progress line of files, when standard error is a
 * terminal and the output does not go to it too (a line drawn over itself
 * would be written over by the sessions); not with -q. */
static struct progress *start_progress(const struct options *o)
{
    static char what[64];

    if (o->iface || o->quiet || o->nfiles == 0 || !isatty(STDERR_FILENO) ||
        (o->write_file == NULL && isatty(STDOUT_FILENO)))
        return NULL;
    if (o->nfiles == 1) {
        const char *slash = strrchr(o->files[0], '/');

        snprintf(what, sizeof(what), "%s", slash ? slash + 1 : o->files[0]);
    } else {
        snprintf(what, sizeof(what), "%zu files", o->nfiles);
    }
    return progress_new(stderr, what);
}

static uint64_t wall_us(void)
{
    struct timeval tv;

    gettimeofday(&tv, NULL);
    return (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec;
}

/* file_packets counts the packets read from the inputs of one file (a
 * pcapng has one input per interface). */
static uint64_t file_packets(const struct cap_source *src, unsigned file)
{
    uint64_t n = 0;

    for (size_t i = 0; i < cap_source_ninputs(src); i++)
        if (cap_source_input(src, i)->file == file)
            n += cap_source_input(src, i)->packets;
    return n;
}

/* unreadable_input names a file that ended with an error before its first
 * packet: nothing of it was read, which is an input error (exit 2), not
 * an empty capture. */
static const struct cap_input *unreadable_input(const struct cap_source *src)
{
    for (size_t i = 0; i < cap_source_ninputs(src); i++) {
        const struct cap_input *in = cap_source_input(src, i);

        if (in->error[0] && !in->live && file_packets(src, in->file) == 0)
            return in;
    }
    return NULL;
}

static void print_stats(const struct cap_source *src, const struct cap_counters *ctr,
                        struct tcp_flow_table *tab, struct cap_source *msrc)
{
    const struct tcp_flow_stats *fs = tcp_flow_table_stats(tab);
    struct cap_live_stats ls;

    fprintf(stderr, "packets: %llu (%llu bytes) from %zu input(s)\n",
            (unsigned long long)ctr->packets, (unsigned long long)ctr->bytes,
            cap_source_ninputs(src));
    for (size_t i = 0; i < cap_source_ninputs(src); i++) {
        const struct cap_input *in = cap_source_input(src, i);

        fprintf(stderr, "  input %s: %llu packets (%llu bytes) from %s\n", in->label,
                (unsigned long long)in->packets, (unsigned long long)in->bytes, in->path);
    }
    if (cap_source_nsecrets(src) > 0) {
        size_t tls = 0;
        struct cap_secret sec;

        for (size_t i = 0; cap_source_secret(src, i, &sec); i++)
            tls += sec.type == 0x544c534bu;
        fprintf(stderr, "decryption secrets: %zu (%zu TLS key log)\n", cap_source_nsecrets(src),
                tls);
    }
    for (int s = 0; s < CAP_STATUS_COUNT; s++)
        if (ctr->status[s])
            fprintf(stderr, "  %-12s %llu\n", cap_status_name((enum cap_status)s),
                    (unsigned long long)ctr->status[s]);
    fprintf(stderr, "  other ports  %llu\n  followed     %llu\n",
            (unsigned long long)ctr->other_ports, (unsigned long long)ctr->followed);
    fprintf(stderr, "connections: %llu (peak %llu open)", (unsigned long long)fs->created,
            (unsigned long long)fs->peak_active);
    for (int r = 1; r < TCP_CLOSE_COUNT; r++)
        if (fs->closed[r])
            fprintf(stderr, ", %s %llu", tcp_close_reason_name((enum tcp_close_reason)r),
                    (unsigned long long)fs->closed[r]);
    if (fs->evicted_no_dialogue)
        fprintf(stderr, " (%llu of them without a payload byte)",
                (unsigned long long)fs->evicted_no_dialogue);
    fprintf(stderr, "\n  late packets %llu (data after a RST %llu), stray packets %llu,"
            " impossible flags %llu, clock jumps %llu\n",
            (unsigned long long)fs->late_packets, (unsigned long long)fs->late_after_rst,
            (unsigned long long)fs->stray_packets, (unsigned long long)fs->bad_packets,
            (unsigned long long)fs->clock_jumps);
    fprintf(stderr, "reassembly memory: peak %zu bytes, refusals %llu\n", fs->mem_peak,
            (unsigned long long)fs->mem_refusals);
    if (cap_source_live_stats(msrc, &ls))
        fprintf(stderr, "kernel: received %llu, dropped %llu, interface dropped %llu\n",
                (unsigned long long)ls.received, (unsigned long long)ls.dropped,
                (unsigned long long)ls.if_dropped);
}

/* Things the user must hear about even without --stats: input that ended
 * early, packets we could not decode, connections we had to give up. */
static void print_warnings(const struct cap_source *src, const struct cap_counters *ctr,
                           struct tcp_flow_table *tab, struct cap_source *msrc)
{
    const struct tcp_flow_stats *fs = tcp_flow_table_stats(tab);
    struct cap_live_stats ls;

    for (size_t i = 0; i < cap_source_ninputs(src); i++) {
        const struct cap_input *in = cap_source_input(src, i);

        if (in->error[0])
            fprintf(stderr, "mxwitness: warning: %s: %s (read %llu packets up to there)\n",
                    in->path, in->error, (unsigned long long)file_packets(src, in->file));
    }
    if (ctr->status[CAP_TRUNCATED] || ctr->status[CAP_MALFORMED] || ctr->status[CAP_UNSUPPORTED])
        fprintf(stderr, "mxwitness: warning: %llu truncated, %llu malformed, %llu unsupported "
                        "packet(s) skipped\n",
                (unsigned long long)ctr->status[CAP_TRUNCATED],
                (unsigned long long)ctr->status[CAP_MALFORMED],
                (unsigned long long)ctr->status[CAP_UNSUPPORTED]);
    if (ctr->status[CAP_FRAGMENT])
        fprintf(stderr, "mxwitness: warning: %llu IP fragment(s) without a TCP header skipped\n",
                (unsigned long long)ctr->status[CAP_FRAGMENT]);
    if (fs->closed[TCP_CLOSE_EVICTED])
        fprintf(stderr, "mxwitness: warning: %llu connection(s) evicted: more than --max-flows open\n",
                (unsigned long long)fs->closed[TCP_CLOSE_EVICTED]);
    if (fs->mem_refusals)
        fprintf(stderr, "mxwitness: warning: reassembly memory cap reached %llu time(s); "
                        "raise --memcap\n", (unsigned long long)fs->mem_refusals);
    if (cap_source_live_stats(msrc, &ls) && (ls.dropped || ls.if_dropped))
        fprintf(stderr, "mxwitness: warning: the kernel dropped %llu packet(s) "
                        "(interface: %llu)\n",
                (unsigned long long)ls.dropped, (unsigned long long)ls.if_dropped);
}

/* read_expectations builds the set of --expect and --expect-file (at
 * start, and again on SIGHUP); NULL with the reason in |err|. */
static struct expect_set *read_expectations(const struct options *o, char *err, size_t errlen)
{
    struct expect_set *e = expect_new();

    if (e == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < o->nexpects; i++)
        if (expect_add(e, o->expects[i], "--expect", err, errlen) < 0)
            goto fail;
    for (size_t i = 0; i < o->nexpect_files; i++)
        if (expect_add_file(e, o->expect_files[i], err, errlen) < 0)
            goto fail;
    return e;
fail:
    expect_free(e);
    return NULL;
}

/* setup_verdicts reads the expectations and the trust anchors; a bad spec
 * or an unreadable file is a usage error naming it. */
static int setup_verdicts(const struct options *o, struct expect_set **exp,
                          struct verify_store **store)
{
    char err[512];

    if ((o->nexpects || o->nexpect_files) &&
        (*exp = read_expectations(o, err, sizeof(err))) == NULL) {
        fprintf(stderr, "mxwitness: %s\n", err);
        return -1;
    }
    if ((*store = verify_store_new(o->ca_file, o->ca_path, err, sizeof(err))) == NULL) {
        fprintf(stderr, "mxwitness: %s\n", err);
        return -1;
    }
    return 0;
}

/* open_output: -w FILE (appending, written again after a failed write up
 * to --write-retries times) or standard output. */
static struct outfile *open_output(const struct options *o)
{
    struct outfile *w;
    char err[512];

    if (o->write_file == NULL) {
        if ((w = outfile_fd(STDOUT_FILENO, "standard output")) == NULL)
            fprintf(stderr, "mxwitness: out of memory\n");
        return w;
    }
    if ((w = outfile_open(o->write_file, OUTFILE_APPEND, NULL, err, sizeof(err))) == NULL) {
        fprintf(stderr, "mxwitness: -w %s\n", err);
        return NULL;
    }
    outfile_set_retries(w, o->write_retries, &g_stop);
    return w;
}

/* drop_root (-Z): the trust anchors read into memory, the --certs
 * directory made by this run and the -w file given to the user, then the
 * drop; the --certs directory must be the user's to write then. */
static int drop_root(const struct options *o, struct verify_store *store)
{
    struct privs_user u;
    struct stat sb;
    char err[512];

    if (privs_lookup(o->user, &u, err, sizeof(err)) < 0 ||
        (store != NULL && verify_store_preload(store, err, sizeof(err)) < 0) ||
        (o->certs_made && privs_give(o->certs_dir, &u, err, sizeof(err)) < 0) ||
        (o->write_file && stat(o->write_file, &sb) == 0 && S_ISREG(sb.st_mode) &&
         privs_give(o->write_file, &u, err, sizeof(err)) < 0) ||
        privs_drop(&u, err, sizeof(err)) < 0) {
        fprintf(stderr, "mxwitness: %s\n", err);
        return -1;
    }
    if (o->certs_dir && access(o->certs_dir, W_OK | X_OK) != 0) {
        fprintf(stderr, "mxwitness: --certs %s: not writable by %s (-Z): %s\n", o->certs_dir,
                u.name, strerror(errno));
        return -1;
    }
    return 0;
}

/* reload (SIGHUP): -w reopened (logrotate moved it), the --expect-file
 * files read again; what fails is said and the old kept.  Sessions,
 * connections and the server table are untouched. */
static void reload(const struct options *o, struct outfile *w, struct expect_set *expect)
{
    char err[512];

    if (o->write_file) {
        if (outfile_reopen(w, err, sizeof(err)) < 0)
            fprintf(stderr, "mxwitness: SIGHUP: %s\n", err);
        else
            fprintf(stderr, "mxwitness: SIGHUP: %s reopened\n", o->write_file);
    }
    if (expect != NULL && o->nexpect_files > 0) {
        struct expect_set *e = read_expectations(o, err, sizeof(err));

        if (e == NULL) {
            fprintf(stderr, "mxwitness: SIGHUP: %s; the expectations stay as they were\n", err);
            return;
        }
        expect_swap(expect, e);
        expect_free(e);
        fprintf(stderr, "mxwitness: SIGHUP: %zu expectation(s) read again\n",
                expect_count(expect));
    }
}

/* discard_report closes and removes a --report file that will not be
 * written (a run that failed before reading its input). */
static void discard_report(struct outfile *f)
{
    outfile_discard(f);
}

static void keylog_warning(void *ctx, const char *msg)
{
    (void)ctx;
    fprintf(stderr, "mxwitness: warning: %s\n", msg);
}

/* feed_secrets adds the TLS key logs among the pcapng secrets from the
 * |from|th on to |k| (warnings name the file and "DSB"); returns how many
 * secrets have been looked at, and counts the key logs in |*keys|. */
static size_t feed_secrets(struct keylog *k, const struct cap_source *src, size_t from,
                           size_t *keys)
{
    size_t n = cap_source_nsecrets(src);
    struct cap_secret sec;

    for (size_t i = from; i < n; i++) {
        const struct cap_input *in;
        char name[CAP_ERRBUF_SIZE];

        if (!cap_source_secret(src, i, &sec) || sec.type != 0x544c534bu)
            continue;   /* not a TLS key log (WireGuard, SSH, ...) */
        in = cap_source_input(src, sec.input);
        snprintf(name, sizeof(name), "%s (decryption secrets block %zu)",
                 in != NULL ? in->path : "?", i + 1);
        keylog_add_text(k, name, sec.data, sec.len, keylog_warning, NULL, 10);
        (*keys)++;
    }
    return n;
}

/* load_keylogs reads every --keylog file; NULL (said) when one cannot be
 * read. */
static struct keylog *load_keylogs(const struct options *o)
{
    struct keylog *k = keylog_new();
    char err[256];

    if (k == NULL) {
        fprintf(stderr, "mxwitness: out of memory\n");
        return NULL;
    }
    for (size_t i = 0; i < o->nkeylogs; i++)
        if (keylog_add_file(k, o->keylogs[i], keylog_warning, NULL, err, sizeof(err)) < 0) {
            fprintf(stderr, "mxwitness: --keylog: %s\n", err);
            keylog_free(k);
            return NULL;
        }
    return k;
}

/* fail_usage frees the verdict state on an early exit (status 2). */
static int fail_usage(struct expect_set *e, struct verify_store *s)
{
    verify_store_free(s);
    expect_free(e);
    return EXIT_USAGE;
}

/* split_label splits "FILE@LABEL" as open_file does: |*label| is NULL when
 * there is none (or FILE@LABEL is itself a file).  Returns the file name,
 * to be freed. */
static char *split_label(const char *arg, const char **label)
{
    const char *at = strrchr(arg, '@');
    struct stat sb;

    *label = NULL;
    if (!at || at == arg || !at[1] || stat(arg, &sb) == 0)
        return strdup(arg);
    *label = at + 1;
    return strndup(arg, (size_t)(at - arg));
}

/* read_json_points reads the session lines of --from-json |arg| into the
 * comparison of capture points.  A line that cannot be used is a warning
 * naming FILE:LINE (the first few, then a count); a file that cannot be
 * opened is an input error. */
static int read_json_points(const char *arg, struct pipeline *pl)
{
    const char *label;
    char *path = split_label(arg, &label), *line = NULL, err[256];
    struct session_digest *d = malloc(sizeof(*d));
    size_t cap = 0, lineno = 0, bad = 0, sessions = 0;
    ssize_t n;
    FILE *f;

    if (path == NULL || d == NULL) {
        fprintf(stderr, "mxwitness: out of memory\n");
        free(path);
        free(d);
        return -1;
    }
    f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    if (f == NULL) {
        fprintf(stderr, "mxwitness: --from-json %s: %s\n", path, strerror(errno));
        free(path);
        free(d);
        return -1;
    }
    while ((n = getline(&line, &cap, f)) >= 0) {
        int rc;

        lineno++;
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            n--;
        if (n == 0)
            continue;
        rc = digest_from_json(d, line, (size_t)n, err, sizeof(err));
        if (rc < 0) {
            if (bad++ < 5)
                fprintf(stderr, "mxwitness: warning: %s:%zu: %s\n", path, lineno, err);
            continue;
        }
        if (rc == 1) {
            pipeline_digest(pl, label != NULL ? label : d->point, d);
            sessions++;
        }
    }
    if (ferror(f))
        fprintf(stderr, "mxwitness: warning: %s: %s (read %zu lines up to there)\n", path,
                strerror(errno), lineno);
    if (bad > 5)
        fprintf(stderr, "mxwitness: warning: %s: %zu lines in all could not be used\n", path,
                bad);
    if (sessions == 0)
        fprintf(stderr, "mxwitness: warning: %s: no session lines (is it mxwitness --json "
                        "output?)\n", path);
    if (f != stdin)
        fclose(f);
    free(line);
    free(path);
    free(d);
    return 0;
}

/* add_points names the capture points to compare in command-line order
 * (the path, sender first), then reads the JSON-lines points. */
static int add_points(const struct options *o, const struct cap_source *src,
                      struct pipeline *pl)
{
    struct hops *h = pipeline_hops(pl);

    for (size_t i = 0; i < o->norder; i++) {
        const struct point_arg *pa = &o->order[i];
        const char *label = NULL;

        if (pa->kind == 'r' || pa->kind == 'i') {
            /* a file's inputs, in order: one, or a pcapng's interfaces
             * (files are opened in the order of -r, so the file index is
             * the index into files[]) */
            for (size_t k = 0; k < cap_source_ninputs(src); k++) {
                const struct cap_input *in = cap_source_input(src, k);

                if (in->file == (pa->kind == 'r' ? pa->index : 0) &&
                    hops_point(h, in->label) < 0)
                    goto too_many;
            }
        } else {
            char *path = split_label(o->jsons[pa->index], &label);

            free(path);
            if (label != NULL && hops_point(h, label) < 0)
                goto too_many;
        }
    }
    for (size_t i = 0; i < o->norder; i++)
        if (o->order[i].kind == 'j' && read_json_points(o->jsons[o->order[i].index], pl) < 0)
            return -1;
    return 0;
too_many:
    fprintf(stderr, "mxwitness: at most %d capture points can be compared\n", HOPS_MAX_POINTS);
    return -1;
}

/* print_server_warnings: the server table had to let servers go. */
static void print_server_warnings(const struct pipeline_totals *t)
{
    const struct servers_stats *st = &t->st;

    if (st->evicted[SERVER_BY_ADDR] || st->evicted[SERVER_BY_NAME])
        fprintf(stderr, "mxwitness: warning: %llu server(s) and %llu server name(s) left the "
                        "server table (more than --max-servers); their summaries were written "
                        "as they left\n",
                (unsigned long long)st->evicted[SERVER_BY_ADDR],
                (unsigned long long)st->evicted[SERVER_BY_NAME]);
    if (t->unsummarised)
        fprintf(stderr, "mxwitness: warning: %llu session(s) not summarised: out of memory for "
                        "their server\n", (unsigned long long)t->unsummarised);
}

/* print_lost_warning: connections the session layer could not follow. */
static void print_lost_warning(const struct session_layer *sl)
{
    uint64_t lost = session_layer_lost(sl);

    if (lost)
        fprintf(stderr, "mxwitness: warning: %llu connection(s) not followed: out of memory "
                        "for their session\n", (unsigned long long)lost);
}

/* print_analysis_stats: the caches and the server table (--stats). */
static void print_analysis_stats(struct pipeline *p)
{
    const struct pipeline_totals *t = pipeline_totals_get(p);
    uint64_t nv = 0, nh = 0, xp = 0, xh = 0;

    judge_stats(pipeline_judge(p), &nv, &nh);
    x509_cache_stats(pipeline_x509(p), &xp, &xh);
    fprintf(stderr, "certificates: %llu distinct parsed, %llu lookups served from the "
                    "cache; chains: %llu verified, %llu verdicts from the cache\n",
            (unsigned long long)xp, (unsigned long long)xh, (unsigned long long)nv,
            (unsigned long long)nh);
    fprintf(stderr, "server table: %zu buckets", t->st.buckets);
    for (unsigned k = 0; k < SERVER_KIND_COUNT; k++)
        fprintf(stderr, "; %ss %llu made, %zu kept (peak %zu), %llu evicted, %llu refused",
                server_kind_name((enum server_kind)k),
                (unsigned long long)t->st.created[k], t->st.active[k], t->st.peak[k],
                (unsigned long long)t->st.evicted[k], (unsigned long long)t->st.refused[k]);
    fputc('\n', stderr);
    fprintf(stderr, "connections without a dialogue: %llu (not sessions; %llu counted on their "
                    "server)\n", (unsigned long long)t->no_dialogue,
            (unsigned long long)t->no_dialogue_counted);
}

/* --workers with --json: the sets of what was written, shared by the
 * workers (made before the fork; a global, so that a worker's early return
 * leaves them reachable, not leaked) */
static struct json_shared g_jshared;

/* threads_default (--threads not given): the analysis on a thread of its
 * own when this process may run on more than one CPU (its affinity mask,
 * as taskset and cgroup cpusets set it), except with --workers, whose
 * processes share the CPUs already. */
static unsigned threads_default(const struct options *o)
{
    cpu_set_t set;

    if (o->workers > 0)
        return 1;
    if (sched_getaffinity(0, sizeof(set), &set) != 0)
        return 1;
    return CPU_COUNT(&set) > 1 ? 2 : 1;
}

/* clock_in_doubt: a capture point's clock cannot be right (capture/
 * cap_clock): said, and the judge told, so that its validity findings
 * state the time they were judged at. */
static void clock_in_doubt(const struct options *o, FILE *out, const struct cap_source *src,
                           struct report_run *run, const struct cap_clock_event *ev)
{
    const struct cap_input *in = cap_source_input(src, ev->point);

    if (run != NULL) {
        report_run_sync(run);   /* the sessions before it were judged without the note */
        if (judge_clock_note(pipeline_judge(run->pipeline), ev->point, ev->what) < 0)
            fprintf(stderr, "mxwitness: out of memory\n");
    }
    report_clock_event(out, o->json, ev, in != NULL ? in->label : "?", o->at_set, o->at);
}

int main(int argc, char **argv)
{
    struct options o;
    char errbuf[CAP_ERRBUF_SIZE];
    struct cap_source *src;
    struct tcp_flow_table *tab = NULL;
    struct tcp_flow_config fc = {0};
    struct flows_report fr = {0};
    struct report_run run = {0};
    bool running = false;
    struct classify *cls = NULL;
    struct cap_counters ctr = {0};
    struct expect_set *expect = NULL;
    struct verify_store *store = NULL;
    struct outfile *out = NULL, *html_out = NULL;
    FILE *outf, *html = NULL;
    struct cap_packet pkt;
    enum cap_next_result r;
    int rc = EXIT_OK;
    struct keylog *keylog = NULL;
    size_t nsecrets_fed = 0, dsb_keys = 0;
    bool dsb;
    struct cap_clock *clk = NULL;
    struct cap_clock_event cev;
    struct stats_ticker *tick = NULL;
    long interval_s;
    int worker = -1;
    struct progress *prog = NULL;
    bool jshared_ok = false;

    if (parse_options(argc, argv, &o) < 0)
        return EXIT_USAGE;
    /* the workers' JSON writers ask one set what was written: made before
     * the fork (each worker could only say it once per worker else) */
    if (o.workers > 0 && o.json && !o.flows && !(jshared_ok = json_shared_init(&g_jshared) == 0))
        fprintf(stderr, "mxwitness: warning: out of memory for the workers' shared sets: each "
                        "worker writes a certificate's line once\n");
    if (o.workers > 0 && (worker = start_workers(&o)) < 0) {
        json_shared_free(&g_jshared);
        return -worker - 1;      /* the parent: the workers' status */
    }
    if (!o.flows && setup_verdicts(&o, &expect, &store) < 0)
        return fail_usage(expect, store);
    src = cap_source_new();
    if (!src) {
        fprintf(stderr, "mxwitness: out of memory\n");
        return fail_usage(expect, store);
    }
    for (size_t i = 0; i < o.nfiles; i++) {
        if (open_file(src, o.files[i], errbuf) < 0) {
            fprintf(stderr, "mxwitness: %s\n", errbuf);
            cap_source_free(src);
            return fail_usage(expect, store);
        }
    }
    if (o.iface) {
        struct cap_live_opts lo = {
            .snaplen = o.snaplen, .buffer_size = o.buffer_kib * 1024, .promisc = o.promisc,
        };
        char bpf[16384];

        if (cap_source_add_live(src, o.iface, o.point, &lo, errbuf) < 0) {
            fprintf(stderr, "mxwitness: %s\n", errbuf);
            cap_source_free(src);
            return fail_usage(expect, store);
        }
        if (!o.bpf) {
            if (!cap_ports_bpf(&o.ports, bpf, sizeof(bpf))) {
                fprintf(stderr, "mxwitness: too many ports for a capture filter; use -f\n");
                cap_source_free(src);
                return fail_usage(expect, store);
            }
            o.bpf = bpf;
        }
        if (cap_source_set_filter(src, o.bpf, errbuf) < 0 ||
            (worker >= 0 && join_fanout(&o, (unsigned)worker, src, errbuf) < 0)) {
            fprintf(stderr, "mxwitness: %s\n", errbuf);
            cap_source_free(src);
            return fail_usage(expect, store);
        }
    } else if (o.bpf && cap_source_set_filter(src, o.bpf, errbuf) < 0) {
        fprintf(stderr, "mxwitness: %s\n", errbuf);
        cap_source_free(src);
        return fail_usage(expect, store);
    }

    fc.max_flows = o.max_flows;
    fc.memcap = o.memcap_mib * 1024u * 1024u;
    fc.idle_timeout_us = (uint64_t)o.idle_timeout_s * 1000000u;
    /* the key log: --keylog files, and the TLS key logs of pcapng
     * Decryption Secrets Blocks as they are read (an empty one costs
     * nothing: the session layer does not look into it) */
    if (!o.flows && (keylog = load_keylogs(&o)) == NULL) {
        cap_source_free(src);
        return fail_usage(expect, store);
    }
    if ((out = open_output(&o)) == NULL || (outf = outfile_stream(out, o.iface != NULL)) == NULL) {
        if (out != NULL)
            fprintf(stderr, "mxwitness: out of memory\n");
        outfile_close(out);
        keylog_free(keylog);
        cap_source_free(src);
        return fail_usage(expect, store);
    }
    if (o.flows) {
        fr.out = outf;
        fr.json = o.json;
        fr.src = src;
        tab = tcp_flow_table_new(&fc, flows_report_cbs(), &fr);
    } else {
        struct pipeline_opts po = {
            .expect = expect, .store = store, .at_set = o.at_set, .at = o.at,
            .max_servers = o.max_servers, .src = src,
            .hops = cap_source_ninputs(src) + o.njsons > 1, .hop_window_us = o.hop_window_us,
        };
        struct report_opts ro = {
            .json = o.json, .json_chains = o.json_chains, .transcript = o.transcript,
            .certs_dir = o.certs_dir,
            .color = !o.json && !o.write_file && isatty(STDOUT_FILENO) && !getenv("NO_COLOR"),
            .quiet = o.quiet, .answer_first = o.iface == NULL, .nworkers = o.workers,
            .worker = worker >= 0 ? (unsigned)worker : 0,
            .json_shared = jshared_ok ? &g_jshared : NULL,
            .threads = o.threads ? o.threads : threads_default(&o),
        };
        struct session_opts so = {
            .transcript = o.transcript, .redact = o.redact, .ports = &o.ports,
            .keylog = keylog,
        };

        if (o.ports.any && !(cls = classify_new()))
            fprintf(stderr, "mxwitness: warning: nDPI failed to start; --any-port follows mail "
                            "ports only\n");
        so.classify = cls;
        if (o.report_html) {
            char err[512], label[PATH_MAX + 16];

            snprintf(label, sizeof(label), "--report %s", o.report_html);
            if ((html_out = outfile_open(o.report_html, OUTFILE_TRUNCATE, label, err,
                                         sizeof(err))) == NULL ||
                (html = outfile_stream(html_out, false)) == NULL) {
                fprintf(stderr, "mxwitness: %s\n", html_out ? "out of memory" : err);
                discard_report(html_out);
                html_out = NULL;
            }
        }
        if (o.report_html && html_out == NULL) {
            outfile_close(out);
            classify_free(cls);
            keylog_free(keylog);
            cap_source_free(src);
            return fail_usage(expect, store);
        }
        ro.html = html;
        if (report_run_open(&run, &po, &ro, &so, outf) == 0) {
            running = true;
            tab = tcp_flow_table_new(&fc, session_layer_cbs(), run.sessions);
            if (tab && pipeline_hops(run.pipeline) &&
                add_points(&o, src, run.pipeline) < 0) {
                tcp_flow_table_free(tab);
                report_run_close(&run);
                discard_report(html_out);
                outfile_close(out);
                classify_free(cls);
                keylog_free(keylog);
                cap_source_free(src);
                return fail_usage(expect, store);
            }
        }
    }
    if (!tab || (o.user && drop_root(&o, store) < 0)) {
        if (!tab)
            fprintf(stderr, "mxwitness: out of memory\n");
        tcp_flow_table_free(tab);
        if (running)
            report_run_close(&run);
        discard_report(html_out);
        outfile_close(out);
        classify_free(cls);
        keylog_free(keylog);
        cap_source_free(src);
        return fail_usage(expect, store);
    }

    g_src = src;
    set_signals();
    if (worker >= 0)
        workers_ready();
    if ((clk = cap_clock_new()) == NULL)
        fprintf(stderr, "mxwitness: warning: out of memory: the capture clock is not checked\n");
    /* The output (lib/outfile): live, each line as soon as it is complete
     * (a log shipper tails it); files, 64 KiB a write (the reports are
     * mostly output; larger buffers measured slower, as for the input
     * side in cap_source.c). */
#ifdef __GLIBC__
    /* one thread at a time writes the output (the analysis thread, and this
     * one only after report_run_sync): skip the stream lock of every putc */
    __fsetlocking(outf, FSETLOCKING_BYCALLER);
    /* Sessions come and go by the thousand, each with a few buffers: by
     * default glibc gives the top of the heap back to the kernel as soon as
     * 128 KiB are free and faults the pages in again (zeroed) a moment
     * later, which was a tenth of a run.  Keep up to 32 MiB of free heap
     * instead: the memory cap (--memcap) bounds what is in use, this only
     * what is kept spare. */
    mallopt(M_TRIM_THRESHOLD, 32 << 20);
    mallopt(M_TOP_PAD, 4 << 20);
    mallopt(M_MMAP_THRESHOLD, 4 << 20);
#endif
    /* --stats-interval: capture time for files, the clock for a live capture */
    interval_s = o.stats_interval_s >= 0 ? o.stats_interval_s : o.iface ? 60 : 0;
    if (interval_s > 0) {
        struct stats_opts sto = {
            .interval_us = (uint64_t)interval_s * 1000000u, .json = o.json, .out = outf,
            .err = stderr, .ctr = &ctr, .tab = tab, .src = src, .run = running ? &run : NULL,
            .worker = worker >= 0 ? (unsigned)worker : 0, .nworkers = o.workers,
        };

        if ((tick = stats_ticker_new(&sto)) == NULL)
            fprintf(stderr, "mxwitness: warning: out of memory: no --stats-interval lines\n");
        else if (o.iface)
            stats_tick(tick, wall_us());
    }
    prog = start_progress(&o);
    /* only a pcapng file carries secrets (its Decryption Secrets Blocks,
     * which may come anywhere in it): asked after each packet only then */
    dsb = keylog != NULL && cap_source_any_pcapng(src);
    while ((r = cap_source_next(src, &pkt)) != CAP_NEXT_END) {
        if (dsb && cap_source_nsecrets(src) > nsecrets_fed)
            nsecrets_fed = feed_secrets(keylog, src, nsecrets_fed, &dsb_keys);
        if (r == CAP_NEXT_PACKET) {
            if (clk != NULL && cap_clock_packet(clk, pkt.input, pkt.live, pkt.ts_us, &cev))
                clock_in_doubt(&o, outf, src, running ? &run : NULL, &cev);
            cap_pipe_packet(&o.ports, tab, &pkt, &ctr);
            if (tick)
                stats_tick(tick, o.iface ? wall_us() : pkt.ts_us);
            if (prog != NULL && progress_due(prog))
                progress_draw(prog, src, running ? session_layer_count(run.sessions) : 0);
        } else if (r == CAP_NEXT_IDLE) {
            tcp_flow_expire(tab, wall_us());
            if (tick)
                stats_tick(tick, wall_us());
        } else {
            fprintf(stderr, "mxwitness: %s\n", cap_source_error(src));
            rc = EXIT_USAGE;
            break;
        }
        if (g_hup) {
            g_hup = 0;
            if (running)
                report_run_sync(&run);   /* the output and the expectations are the thread's */
            reload(&o, out, expect);
        }
        if (outfile_failed(out)) {
            rc = EXIT_USAGE;     /* said by outfile; nothing more can be written */
            break;
        }
    }
    /* the end of the input, or a stop signal: every open connection's
     * session, then the servers' summaries */
    for (unsigned p = 0; clk != NULL && cap_clock_finish(clk, p, &cev); p++)
        if (cev.problem != CAP_CLOCK_OK)
            clock_in_doubt(&o, outf, src, running ? &run : NULL, &cev);
    progress_free(prog);
    tcp_flow_finish(tab);
    if (tick)
        stats_ticker_finish(tick, o.iface ? wall_us() : 0);
    if (running)
        report_run_finish(&run);
    fflush(outf);
    if (outfile_failed(out))
        rc = EXIT_USAGE;
    if (html_out != NULL) {
        /* the report was written by report_run_finish; a failure was said */
        if (outfile_close(html_out) != 0)
            rc = EXIT_USAGE;
        html_out = NULL;
        html = NULL;
    }
    if (tcp_flow_table_stats(tab)->clock_jumps > 0)
        report_clock_jumps(outf, o.json, tcp_flow_table_stats(tab)->clock_jumps,
                           o.idle_timeout_s ? o.idle_timeout_s : 300);
    print_warnings(src, &ctr, tab, src);
    if (unreadable_input(src) != NULL) {
        fprintf(stderr, "mxwitness: %s: no packet could be read\n", unreadable_input(src)->path);
        rc = EXIT_USAGE;
    }
    if (running) {
        print_server_warnings(pipeline_totals_get(run.pipeline));
        print_lost_warning(run.sessions);
    }
    if (o.stats) {
        print_stats(src, &ctr, tab, src);
        if (running)
            print_analysis_stats(run.pipeline);
        if (running && run.handoff != NULL) {
            struct handoff_stats hs;
            struct timespec ts;

            handoff_stats(run.handoff, &hs);
            fprintf(stderr, "analysis thread: %llu records handed over, the capture waited "
                            "for it %llu time(s)", (unsigned long long)hs.put,
                    (unsigned long long)hs.producer_waits);
            /* the CPU time of each thread: the larger is what the run waits for */
            if (hs.consumer_cpu_known && clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) == 0)
                fprintf(stderr, "; CPU time: capture thread %.3f s, analysis thread %.3f s",
                        (double)ts.tv_sec + (double)ts.tv_nsec / 1e9,
                        (double)hs.consumer_cpu_us / 1e6);
            fputc('\n', stderr);
        }
    }
    stats_ticker_free(tick);
    tcp_flow_table_free(tab);
    if (running) {
        enum severity worst = report_run_worst(&run);

        if (report_errors(run.report))
            rc = EXIT_USAGE;
        /* findings decide the status of a file's analysis; a sensor (-i)
         * stopped by a signal ends normally: 0 */
        if (rc == EXIT_OK && !o.iface && worst != SEV_NONE && worst >= o.fail_on)
            rc = EXIT_FINDING;
        report_run_close(&run);
    }
    if (outfile_retries(out) > 0)
        fprintf(stderr, "mxwitness: warning: %llu write(s) to %s failed and were tried again\n",
                (unsigned long long)outfile_retries(out), o.write_file);
    if (outfile_close(out) != 0)
        rc = EXIT_USAGE;
    if (keylog != NULL) {
        struct keylog_stats ks;

        keylog_stats(keylog, &ks);
        if (ks.matched == 0 && (o.nkeylogs > 0 || dsb_keys > 0))
            fprintf(stderr, "mxwitness: warning: the key log%s (%llu client random%s) matched no "
                            "session\n", o.nkeylogs > 1 ? "s" : "",
                    (unsigned long long)ks.randoms, ks.randoms == 1 ? "" : "s");
        keylog_free(keylog);
    }
    verify_store_free(store);
    expect_free(expect);
    classify_free(cls);
    g_src = NULL;
    cap_clock_free(clk);
    cap_source_free(src);
    json_shared_free(&g_jshared);
    return rc;
}

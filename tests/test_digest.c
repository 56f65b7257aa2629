/*
 * test_digest.c - the session digest's contract: the JSON line a run
 * writes for a session reads back (digest_from_json) into the digest the
 * pipeline had for it (digest_fill), on every capture in pcaps/ and, where
 * present, ../shared/pcaps.  Also: summary lines read as "not a session",
 * and lines that are no JSON or miss a field's type are refused with the
 * field named.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/digest.h"
#include "analyze/pipeline.h"
#include "capture/cap_pipe.h"
#include "capture/cap_source.h"
#include "capture/tcp_flow.h"
#include "report/report.h"

#define MAX_DIGESTS 4096

struct kept {
    struct session_digest *v;
    size_t n;
};

static void keep(void *ctx, const struct analysed *a)
{
    struct kept *k = ctx;

    if (k->n < MAX_DIGESTS)
        k->v[k->n++] = *a->digest;
}

/* run_capture runs |path| through the whole pipeline with the JSON writer
 * into |*json| (a memstream) and keeps every digest in |k|; false if the
 * file cannot be read. */
static bool (*g_fail_alloc)(void *ctx, enum session_alloc what);
static bool g_text;

static bool run_capture(const char *path, char **json, size_t *jlen, struct kept *k)
{
    char errbuf[CAP_ERRBUF_SIZE];
    struct cap_source *src = cap_source_new();
    struct cap_ports ports;
    struct cap_counters ctr = {0};
    struct tcp_flow_config fc = {0};
    struct report_opts ro = {.json = true};
    struct session_opts so = {0};
    struct pipeline_opts po = {0};
    struct pipeline_consumer c = {.on_session = keep, .ctx = k};
    struct report_run run;
    struct tcp_flow_table *tab;
    struct cap_packet pkt;
    FILE *out;

    assert_non_null(src);
    if (cap_source_add_file(src, path, NULL, errbuf) < 0) {
        cap_source_free(src);
        return false;
    }
    /* every port: the third-party captures are mostly TLS on other ports,
     * which gives the certificate and fingerprint fields more to carry */
    cap_ports_init(&ports);
    for (unsigned p = 1; p < 65536; p++)
        cap_ports_add(&ports, (uint16_t)p);
    so.ports = &ports;
    so.fail_alloc = g_fail_alloc;
    ro.json = !g_text;
    po.src = src;
    out = open_memstream(json, jlen);
    assert_non_null(out);
    assert_int_equal(report_run_open(&run, &po, &ro, &so, out), 0);
    assert_int_equal(pipeline_add(run.pipeline, &c), 0);
    tab = tcp_flow_table_new(&fc, session_layer_cbs(), run.sessions);
    assert_non_null(tab);
    while (cap_source_next(src, &pkt) == CAP_NEXT_PACKET)
        cap_pipe_packet(&ports, tab, &pkt, &ctr);
    tcp_flow_finish(tab);
    report_run_finish(&run);
    tcp_flow_table_free(tab);
    report_run_close(&run);
    fclose(out);
    cap_source_free(src);
    return true;
}

/* check_capture: every session line reads back into its digest, in order;
 * returns the number of sessions compared. */
static size_t check_capture(const char *path)
{
    struct kept k = {.v = calloc(MAX_DIGESTS, sizeof(struct session_digest))};
    struct session_digest *d = malloc(sizeof(*d));
    char *json = NULL, *line, *end, err[256];
    size_t jlen = 0, sessions = 0;

    assert_non_null(k.v);
    assert_non_null(d);
    if (!run_capture(path, &json, &jlen, &k)) {
        free(k.v);
        free(d);
        return 0;
    }
    for (line = json; line < json + jlen; line = end + 1) {
        int rc;

        end = memchr(line, '\n', (size_t)(json + jlen - line));
        assert_non_null(end);
        rc = digest_from_json(d, line, (size_t)(end - line), err, sizeof(err));
        if (rc < 0)
            fail_msg("%s: a line of its own JSON does not read back: %s", path, err);
        if (rc == 0)
            continue;
        if (sessions >= k.n)
            fail_msg("%s: more session lines than sessions", path);
        if (!digest_equal(d, &k.v[sessions]))
            fail_msg("%s: session %llu reads back differently", path,
                     (unsigned long long)k.v[sessions].id);
        sessions++;
    }
    assert_int_equal(sessions, k.n < MAX_DIGESTS ? k.n : MAX_DIGESTS);
    free(json);
    free(k.v);
    free(d);
    return sessions;
}

static size_t check_dir(const char *dir, size_t *files)
{
    DIR *dp = opendir(dir);
    struct dirent *de;
    size_t n = 0;

    if (dp == NULL)
        return 0;
    while ((de = readdir(dp)) != NULL) {
        char path[4096];
        size_t l = strlen(de->d_name);

        if (!(l > 5 && strcmp(de->d_name + l - 5, ".pcap") == 0) &&
            !(l > 7 && strcmp(de->d_name + l - 7, ".pcapng") == 0))
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        n += check_capture(path);
        (*files)++;
    }
    closedir(dp);
    return n;
}

static void test_round_trip_own_captures(void **state)
{
    size_t files = 0, n;

    (void)state;
    n = check_dir("pcaps", &files);
    print_message("digest: %zu sessions from %zu captures in pcaps/ read back equal\n", n, files);
    assert_true(files >= 10);
    assert_true(n >= 20);
}

static void test_round_trip_third_party(void **state)
{
    static const char *const dirs[] = {"../shared/pcaps/ndpi", "../shared/pcaps/zeek",
                                       "../shared/pcaps/wireshark"};
    size_t files = 0, n = 0;

    (void)state;
    for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
        n += check_dir(dirs[i], &files);
    if (files == 0)
        skip();   /* a user's clone has no ../shared */
    print_message("digest: %zu sessions from %zu third-party captures read back equal\n", n,
                  files);
    assert_true(n > 0);
}

static bool fail_server_chain(void *ctx, enum session_alloc what)
{
    (void)ctx;
    return what == SESSION_ALLOC_SERVER_CHAIN;
}

/* A chain that could not be kept says so in both writers, and is not
 * mistaken for a session without a certificate by the verdicts. */
static void test_not_kept_reported(void **state)
{
    struct kept k = {.v = calloc(MAX_DIGESTS, sizeof(struct session_digest))};
    char *out = NULL;
    size_t len = 0;

    (void)state;
    g_fail_alloc = fail_server_chain;
    assert_true(run_capture("pcaps/clean-tls12.pcap", &out, &len, &k));
    assert_non_null(out);
    assert_non_null(strstr(out, "\"not_kept\":[\"server_chain\"]"));
    assert_null(strstr(out, "\"certificate_chain\""));
    assert_non_null(strstr(out, "chain could not be kept (out of memory)"));
    free(out);
    out = NULL;
    k.n = 0;
    g_text = true;
    assert_true(run_capture("pcaps/clean-tls12.pcap", &out, &len, &k));
    assert_non_null(strstr(out, "  not kept  (out of memory): server_chain\n"));
    free(out);
    g_text = false;
    g_fail_alloc = NULL;
    free(k.v);
}

static void test_other_lines(void **state)
{
    struct session_digest d;
    char err[256];
    static const char summary[] =
        "{\"@timestamp\":\"2026-01-01T00:00:00.000000Z\",\"event\":{\"dataset\":"
        "\"mxwitness.summary\"},\"destination\":{\"ip\":\"192.0.2.1\",\"port\":25}}";
    static const char bad_port[] =
        "{\"event\":{\"dataset\":\"mxwitness.session\"},\"source\":{\"port\":70000}}";
    static const char bad_time[] =
        "{\"@timestamp\":\"yesterday\",\"event\":{\"dataset\":\"mxwitness.session\"}}";
    static const char no_dataset[] = "{\"source\":{\"ip\":\"192.0.2.1\"}}";
    static const char not_json[] = "{\"event\":";

    (void)state;
    assert_int_equal(digest_from_json(&d, summary, strlen(summary), err, sizeof(err)), 0);
    assert_int_equal(digest_from_json(&d, bad_port, strlen(bad_port), err, sizeof(err)), -1);
    assert_string_equal(err, "source.port: not a port");
    assert_int_equal(digest_from_json(&d, bad_time, strlen(bad_time), err, sizeof(err)), -1);
    assert_string_equal(err, "@timestamp: not an RFC 3339 time");
    assert_int_equal(digest_from_json(&d, no_dataset, strlen(no_dataset), err, sizeof(err)), -1);
    assert_non_null(strstr(err, "event.dataset"));
    assert_int_equal(digest_from_json(&d, not_json, strlen(not_json), err, sizeof(err)), -1);
    assert_non_null(strstr(err, "not JSON"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_own_captures),
        cmocka_unit_test(test_round_trip_third_party),
        cmocka_unit_test(test_other_lines),
        cmocka_unit_test(test_not_kept_reported),
    };

    return cmocka_run_group_tests_name("digest", tests, NULL, NULL);
}

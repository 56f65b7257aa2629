#!/bin/sh
# e2e_flood.sh - a sensor's run: a SYN flood beside real deliveries, and
# the periodic counters (--stats-interval) of a capture that spans time.
#
# The capture is pcaps/many-sessions.pcap (40 deliveries to one MTA over
# 2.2 s, pcaps/many-sessions.truth) with 20000 SYNs from random sources to
# its two addresses mixed in by bench/gen --syn-flood (a quarter answered by
# a SYN-ACK, a quarter by a RST, the rest half-open).
#   flood-sessions     exactly the 40 deliveries are sessions, each as the
#                      truth says (server, count, certificate, STARTTLS, TLS 1.2)
#   flood-no-dialogue  the 20000 flood connections are counted, not written:
#                      in the stats lines and the end line, in --stats, in the
#                      text and HTML reports (40 session rows), and on
#                      the servers' summaries (at most the total between them)
#   flood-max-flows    with a table of 200 the flood evicts only itself: 40
#                      sessions, none evicted, every eviction one without a
#                      dialogue
#   stats-lines        --stats-interval 1: 2 lines at the boundaries and a
#                      final one; contiguous windows from the first packet;
#                      the intervals add up to the totals, the totals to
#                      --stats and capinfos, sessions_written to the session lines
#   stats-periodic     the summaries of the servers that changed come with
#                      the stats, stamped at the time of writing (the window's end)
#   stats-json         every line is one valid JSON object
#   stats-text         text mode: the same lines on standard error
#   stats-off          without the option (or with 0) a file writes none; an
#                      interval longer than the capture gives the final line only
#   stats-usage        --stats-interval x is a usage error
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
. tests/lib.sh
BIN=${MXW_BIN:-$top/build/mxwitness}
BUILD=${MXW_BUILD_DIR:-$top/build}
jq_or_skip sensor
mk_tmpdir
P=pcaps
T=$P/many-sessions.truth

if [ ! -x "$BUILD/bench/gen" ]; then
    fail flood-sessions "bench/gen is not built ($BUILD/bench/gen; make tests-bin builds it)"
    exit 0
fi
if ! "$BUILD/bench/gen" -q -o "$tmp/flood.pcap" --syn-flood 20000 "$P/many-sessions.pcap"; then
    fail flood-sessions "bench/gen --syn-flood could not write the capture"
    exit 0
fi

# ---- the flood -----------------------------------------------------------
"$BIN" --json --stats --stats-interval 1 -r "$tmp/flood.pcap" >"$tmp/f.json" 2>"$tmp/f.err"
rc=$?
sessions() { jq -c 'select(.event.dataset == "mxwitness.session")' "$1"; }
if [ "$rc" -gt 1 ] || [ ! -s "$tmp/f.json" ]; then
    fail flood-sessions "exit $rc: $(head -c 300 "$tmp/f.err")"
else
    bad=""
    n=$(sessions "$tmp/f.json" | wc -l)
    [ "$n" = 40 ] || bad="$bad $n session lines, not 40;"
    # each truth line: server, count, leaf, STARTTLS, version
    grep '^session' "$T" | while IFS= read -r line; do
        srv=$(printf '%s\n' "$line" | tr '\t' '\n' | sed -n 's/^server=//p')
        cnt=$(printf '%s\n' "$line" | tr '\t' '\n' | sed -n 's/^count=//p')
        sha=$(printf '%s\n' "$line" | tr '\t' '\n' | sed -n 's/^cert_sha256=//p')
        got=$(sessions "$tmp/f.json" | jq -r --arg s "$srv" --arg h "$sha" \
            'select(.destination.ip == $s and .tls.server.hash.sha256 == $h and
                    .smtp.starttls.requested == true and .tls.version == "1.2") | .destination.ip' | wc -l)
        [ "$got" = "$cnt" ] || echo "$srv: $got sessions as the truth says, not $cnt;"
    done >"$tmp/bad"
    bad="$bad$(cat "$tmp/bad")"
    if [ -z "$bad" ]; then pass flood-sessions "40 deliveries, as the truth says, among 20000 SYNs"
    else fail flood-sessions "$bad"; fi
fi

fin=$(jq -c 'select(.event.dataset == "mxwitness.stats" and .mxwitness.final == true)' "$tmp/f.json")
nd=$(printf '%s\n' "$fin" | jq -r '.mxwitness.total.connections_without_dialogue' 2>/dev/null)
per=$(jq -s '[.[] | select(.event.dataset == "mxwitness.summary" and .mxwitness.written == "end")
              | .mxwitness.connections_without_dialogue] | add // 0' "$tmp/f.json")
"$BIN" -q -r "$tmp/flood.pcap" >"$tmp/f.txt" 2>/dev/null
bad=""
[ "$nd" = 20000 ] || bad="$bad stats: $nd connections without a dialogue, not 20000;"
ne=$(jq -r 'select(.event.dataset == "mxwitness.stats" and .mxwitness.window == null) |
            .mxwitness.connections_without_dialogue' "$tmp/f.json")
[ "$ne" = 20000 ] || bad="$bad the end line: '$ne' connections without a dialogue, not 20000;"
grep -q '^connections without a dialogue: 20000 (not sessions; [0-9]* counted on their server)$' \
    "$tmp/f.err" || bad="$bad --stats: $(grep -i dialogue "$tmp/f.err");"
grep -q '^connections without a dialogue (no payload either way.*: 20000, not written as sessions' \
    "$tmp/f.txt" || bad="$bad text: $(grep -i dialogue "$tmp/f.txt" | head -3);"
case $per in ''|*[!0-9]*) bad="$bad summaries: no connections_without_dialogue ($per);" ;;
*) { [ "$per" -gt 0 ] && [ "$per" -le 20000 ]; } ||
       bad="$bad summaries count $per connections without a dialogue (0 < n <= 20000 expected);" ;;
esac
# the HTML report: the 40 sessions, the flood counted on the servers
"$BIN" -q --report "$tmp/f.html" -r "$tmp/flood.pcap" >/dev/null 2>&1
rows=$(grep -c '<tr id="s-' "$tmp/f.html" 2>/dev/null)
hd=$(grep -o 'and [0-9]* connections without a dialogue, not sessions' "$tmp/f.html" 2>/dev/null |
     sed 's/and \([0-9]*\) .*/\1/' | awk '{ n += $1 } END { print n + 0 }')
[ "${rows:-0}" = 40 ] || bad="$bad HTML: ${rows:-0} session rows, not 40;"
[ "$hd" = "$per" ] || bad="$bad HTML: $hd connections without a dialogue on the servers, JSON $per;"
if [ -z "$bad" ]; then pass flood-no-dialogue "20000 counted, $per of them on the servers' summaries"
else fail flood-no-dialogue "$bad"; fi

"$BIN" --json --max-flows 200 --stats-interval 100 -r "$tmp/flood.pcap" >"$tmp/m.json" 2>"$tmp/m.err"
n=$(sessions "$tmp/m.json" | wc -l)
nev=$(sessions "$tmp/m.json" | jq -r 'select(.mxwitness.end == "evicted") | .mxwitness.end' | wc -l)
est=$(sessions "$tmp/m.json" | jq -r 'select(.tls.established == true) | .tls.version' | wc -l)
ev=$(jq -r 'select(.mxwitness.final == true) | .mxwitness.total |
            "\(.connections_evicted) \(.connections_evicted_without_dialogue)"' "$tmp/m.json")
set -- $ev
if [ "$n" = 40 ] && [ "$est" = 40 ] && [ "$nev" = 0 ] && [ "${1:-0}" -gt 19000 ] && [ "$1" = "${2:-}" ]; then
    pass flood-max-flows "40 sessions with a table of 200; $1 evictions, all without a dialogue"
else
    fail flood-max-flows "$n sessions ($est established, $nev evicted), evictions: '$ev'"
fi

# ---- the periodic lines ----------------------------------------------------
st=$(jq -c 'select(.event.dataset == "mxwitness.stats" and .mxwitness.window != null)' "$tmp/f.json")
nst=$(printf '%s\n' "$st" | grep -c .)
first=$(sessions "$tmp/f.json" | jq -s -r 'map(.["@timestamp"]) | min')
pk=$(stats_packets "$tmp/f.err")
bad=""
[ "$nst" = 3 ] || bad="$bad $nst stats lines, not 3;"
printf '%s\n' "$st" | jq -s -e 'map(.mxwitness.final) == [false, false, true]' >/dev/null ||
    bad="$bad final is not on the last line only;"
printf '%s\n' "$st" | jq -s -e '[range(1; length) as $i | .[$i - 1].mxwitness.window.end == .[$i].mxwitness.window.start] | all' >/dev/null ||
    bad="$bad the windows are not contiguous;"
# the two periodic windows are one second each (same microseconds, a second apart)
printf '%s\n' "$st" | jq -s -e 'def sec: sub("\\.[0-9]+Z$"; "Z") | fromdate;
        .[0].mxwitness.window.start == .[0].event.start and
        (.[0:2] | map(.mxwitness.window | (.end | sec) - (.start | sec) == 1 and
                      .start[19:] == .end[19:]) | all)' >/dev/null ||
    bad="$bad the periodic windows are not one second each;"
[ "$(printf '%s\n' "$st" | jq -s -r '.[0].mxwitness.window.start')" \< "$first" ] ||
    [ "$(printf '%s\n' "$st" | jq -s -r '.[0].mxwitness.window.start')" = "$first" ] ||
    bad="$bad the first window starts after the first session;"
for k in packets bytes connections connections_evicted connections_without_dialogue \
         memcap_refusals servers_evicted sessions_written; do
    printf '%s\n' "$st" | jq -s -e --arg k "$k" \
        '(map(.mxwitness.interval[$k]) | add) == .[-1].mxwitness.total[$k]' >/dev/null ||
        bad="$bad the intervals' $k do not add up to the total;"
done
tp=$(printf '%s\n' "$st" | jq -s -r '.[-1].mxwitness.total.packets')
[ "$tp" = "$pk" ] || bad="$bad total packets $tp, --stats says $pk;"
if have_capinfos; then
    cp=$(capinfos_count "$tmp/flood.pcap")
    [ "$tp" = "$cp" ] || bad="$bad total packets $tp, capinfos says $cp;"
fi
sw=$(printf '%s\n' "$st" | jq -s -r '.[-1].mxwitness.total.sessions_written')
[ "$sw" = 40 ] || bad="$bad sessions_written $sw, not the 40 session lines;"
if [ -z "$bad" ]; then pass stats-lines "3 lines over 2.2 s, the intervals add up to $tp packets"
else fail stats-lines "$bad"; fi

bnd=$(printf '%s\n' "$st" | jq -r 'select(.mxwitness.final == false) | .mxwitness.window.end' | sort -u | tr '\n' ' ')
bad=""
np=$(jq -c 'select(.mxwitness.written == "periodic")' "$tmp/f.json" | wc -l)
[ "$np" -ge 2 ] || bad="$bad $np periodic summaries (2 servers);"
jq -c 'select(.mxwitness.written == "periodic")' "$tmp/f.json" | jq -r \
    'select(.["@timestamp"] != .mxwitness.window.end or .mxwitness.window.start != .event.start
            or .mxwitness.sessions < 1) | .destination.ip' | grep -q . &&
    bad="$bad a periodic summary is not stamped at its window's end;"
for t in $(jq -r 'select(.mxwitness.written == "periodic") | .["@timestamp"]' "$tmp/f.json"); do
    case " $bnd" in *" $t "*) ;; *) bad="$bad periodic summary at $t, not at a stats boundary ($bnd);" ;; esac
done
ne=$(jq -r 'select(.mxwitness.written == "end") | .mxwitness.sessions' "$tmp/f.json" | tr '\n' ' ')
[ "$ne" = "20 20 " ] || bad="$bad end summaries count '$ne' sessions, not 20 and 20;"
if [ -z "$bad" ]; then pass stats-periodic "$np periodic summaries at the boundaries"
else fail stats-periodic "$bad"; fi

nl=$(wc -l <"$tmp/f.json")
nj=$(jq -c 'select(type == "object")' "$tmp/f.json" | wc -l)
if [ "$nl" -gt 40 ] && [ "$nj" = "$nl" ]; then
    pass stats-json "$nl lines, each a JSON object"
else
    fail stats-json "$nj JSON objects in $nl lines"
fi

"$BIN" -q --stats-interval 1 -r "$tmp/flood.pcap" >"$tmp/t.out" 2>"$tmp/t.err"
nt=$(grep -c '^mxwitness: stats ' "$tmp/t.err")
nf=$(grep -c '^mxwitness: stats (final) .* packets +[0-9]* ([0-9]*) .* connections_without_dialogue +[0-9]* (20000) .* sessions_written +[0-9]* (40)' "$tmp/t.err")
if [ "$nt" = 3 ] && [ "$nf" = 1 ] && ! grep -q 'mxwitness: stats' "$tmp/t.out" && grep -q '40 sessions' "$tmp/t.out"; then
    pass stats-text "3 lines on standard error, the report on standard output"
else
    fail stats-text "$nt stats lines ($nf final as expected): $(grep 'mxwitness: stats' "$tmp/t.err" | head -c 400)"
fi

bad=""
for args in "" "--stats-interval 0"; do
    # shellcheck disable=SC2086
    "$BIN" --json $args -r "$P/many-sessions.pcap" >"$tmp/o.json" 2>/dev/null
    a=$(jq -c 'select(.mxwitness.window != null and .event.dataset == "mxwitness.stats")' "$tmp/o.json" | wc -l)
    s=$(sessions "$tmp/o.json" | wc -l)
    [ "$a" = 0 ] && [ "$s" = 40 ] || bad="$bad '$args': $a stats lines, $s sessions;"
done
"$BIN" --json --stats-interval 10 -r "$P/many-sessions.pcap" >"$tmp/o.json" 2>/dev/null
a=$(jq -c 'select(.event.dataset == "mxwitness.stats" and .mxwitness.final == true and
                  .mxwitness.total.sessions_written == 40)' "$tmp/o.json" | wc -l)
n=$(jq -c 'select(.event.dataset == "mxwitness.stats")' "$tmp/o.json" | wc -l)
[ "$a" = 1 ] && [ "$n" = 1 ] || bad="$bad --stats-interval 10 over 2.2 s: $n lines ($a final);"
if [ -z "$bad" ]; then pass stats-off; else fail stats-off "$bad"; fi

"$BIN" --stats-interval x -r "$P/many-sessions.pcap" >/dev/null 2>"$tmp/u.err"
rc=$?
if [ "$rc" = 2 ] && grep -q -- '--stats-interval' "$tmp/u.err"; then
    pass stats-usage
else
    fail stats-usage "exit $rc: $(head -c 200 "$tmp/u.err")"
fi
exit 0

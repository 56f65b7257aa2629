#!/bin/sh
# bench/workers.sh - the packet rate mxwitness -i holds with --workers 1 and
# --workers 2 (issue 13): a veth pair between two network namespaces, a
# capture of BENCH_WORKERS_SESSIONS mail sessions to 64 servers (bench/gen,
# IPv4 and IPv6) sent by tcpreplay from the other namespace, at full speed
# (--topspeed) and then at each rate of BENCH_WORKERS_PPS; for each run the
# rate tcpreplay reached, and from each worker's final mxwitness.stats line
# the packets it analysed, the kernel's received and dropped counters, and
# the sessions written (of how many sent).
#
#   sudo BENCH_WORKERS=1 make bench      (a row of make bench; off by default)
#   sudo sh bench/workers.sh             (alone; MXW_BUILD=build)
#
# Needs root, iproute2 and tcpreplay (tools/deps.sh test).  A benchmark:
# exit status 0 whatever the figures, 1 when it cannot run.
B=${MXW_BUILD:-build}
BIN=${MXW_BIN:-$B/mxwitness}
DATA=${BENCH_DATA:-bench/data}
SESSIONS=${BENCH_WORKERS_SESSIONS:-8000}
PPS=${BENCH_WORKERS_PPS:-"50000 100000 200000"}
WORKERS=${BENCH_WORKERS_N:-"1 2"}
say() { printf '%s\n' "$*"; }

if [ "$(id -u)" != 0 ] || ! command -v ip >/dev/null 2>&1 || ! command -v tcpreplay >/dev/null 2>&1 ||
   ! command -v jq >/dev/null 2>&1 || [ ! -x "$B/bench/gen" ] || [ ! -x "$BIN" ]; then
    say "workers: needs root, iproute2, tcpreplay, jq and $B/bench/gen; run: sudo BENCH_WORKERS=1 make bench"
    exit 1
fi
mkdir -p "$DATA"
cap="$DATA/workers-$SESSIONS.pcap"
if [ ! -s "$cap" ]; then
    "$B/bench/gen" -o "$cap" --sessions "$SESSIONS" --servers 64 pcaps/many-sessions.pcap \
        >/dev/null 2>&1 || { say "workers: bench/gen failed"; exit 1; }
fi
. "$(dirname "$0")/../tests/lib.sh"
netns_pair bench mxwb || {
    say "workers: cannot create the network namespaces"
    exit 1
}
ip -n "$a" link set mxwb0 mtu 65535 up
ip -n "$b" link set mxwb1 mtu 65535 up
npk=$("$BIN" -r "$cap" --flows --stats 2>&1 >/dev/null | sed -n 's/^packets: \([0-9]*\) .*/\1/p')
say "workers: $cap, $SESSIONS sessions, $npk packets; kernel buffer: ${BENCH_WORKERS_B:-libpcap's default} KiB each"
printf '  %-8s %-9s %10s %9s  %s\n' workers send "sent pps" sessions "per worker: analysed/kernel received/dropped"

# run WORKERS TCPREPLAY-RATE-OPTION
run() {
    rm -f "$d/out.json"
    ip netns exec "$a" "$BIN" -i mxwb0 --workers "$1" ${BENCH_WORKERS_B:+-B $BENCH_WORKERS_B} --json -w "$d/out.json" \
        --stats-interval 3600 2>"$d/err" &
    pid=$!
    _i=0
    while [ $_i -lt 50 ] && [ "$(grep -c "of $1 capturing" "$d/err")" -lt "$1" ]; do
        sleep 0.1
        _i=$((_i + 1))
    done
    rate=$(ip netns exec "$b" tcpreplay -i mxwb1 $2 "$cap" 2>&1 |
           sed -n 's/.*Rated: .* Bps, .* Mbps, \([0-9.]*\) pps.*/\1/p' | head -n 1)
    sleep 2
    kill -TERM "$pid"
    wait "$pid"
    pid=
    per=$(jq -r 'select(.event.dataset == "mxwitness.stats" and .mxwitness.final) |
                 "\(.mxwitness.worker) \(.mxwitness.total.packets) \(.mxwitness.total.kernel_received) \(.mxwitness.total.kernel_dropped) \(.mxwitness.total.sessions_written)"' \
          "$d/out.json" | sort -n)
    ses=$(echo "$per" | awk '{s += $5} END {print s + 0}')
    printf '  %-8s %-9s %10s %9s  %s\n' "$1" "$3" "${rate:-?}" "$ses/$SESSIONS" \
        "$(echo "$per" | awk '{printf "w%s %s/%s/%s  ", $1, $2, $3, $4}')"
}
for w in $WORKERS; do
    run "$w" --topspeed topspeed
    for p in $PPS; do
        run "$w" "--pps=$p" "$p"
    done
done
exit 0

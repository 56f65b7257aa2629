#!/bin/sh
# e2e_workers.sh - --workers 2 on a veth pair between two network
# namespaces: pcaps/many-sessions.pcap (20 IPv4 and 20 IPv6 deliveries, to
# 198.51.100.25 and 2001:db8:51::25, which the fanout program gives to
# different workers) and two STARTTLS sessions to 198.51.100.80:25 with
# different certificates (tests/helper_starttls) are sent out of the other
# end (tests/helper_replay).  Every session must be reported exactly once
# (the same client addresses and ports as the capture read as a file),
# both workers must have written sessions (their final stats lines, with
# the kernel's counters), each certificate's line must come once though
# both workers met it, the certificate change must be found (both
# sessions of that server in one worker), SIGHUP to the parent must reach
# both workers (each reopens -w), SIGTERM to the parent must give
# exit status 0 with -Z nobody, and the stats lines' fields must be mapped in
# tools/mxwitness-template.json; a worker killed ends the run with status 2
# and a message naming it.  --workers with -r is a usage error.
# Needs root, `ip netns`, jq, openssl and the test helpers; skipped otherwise.
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
. tests/lib.sh
BIN=${MXW_BIN:-$top/build/mxwitness}
BUILD=${MXW_BUILD_DIR:-$top/build}

# without the namespaces: --workers is for -i only
"$BIN" -r pcaps/many-sessions.pcap --workers 2 >/dev/null 2>"${TMPDIR:-/tmp}/mxw-wk-$$"
rc=$?
if [ "$rc" = 2 ] && grep -q -- '--workers shares a live interface (-i)' "${TMPDIR:-/tmp}/mxw-wk-$$"; then
    pass workers-files
else
    fail workers-files "status $rc: $(head -c 200 "${TMPDIR:-/tmp}/mxw-wk-$$")"
fi
rm -f "${TMPDIR:-/tmp}/mxw-wk-$$"

if [ "$(id -u)" != 0 ] || ! command -v ip >/dev/null 2>&1 || ! command -v jq >/dev/null 2>&1 ||
   ! command -v openssl >/dev/null 2>&1 || [ ! -x "$BUILD/tests/helper_replay" ] ||
   [ ! -x "$BUILD/tests/helper_starttls" ]; then
    skip workers "needs root, iproute2, jq, openssl and the test helpers (make tests-bin)"
    exit 0
fi
if ! netns_pair workers mxww; then
    skip workers "cannot create network namespaces here"
    exit 0
fi
ip -n "$a" link set mxww0 mtu 65535 up
ip -n "$b" link set mxww1 mtu 65535 up
user=nobody
id "$user" >/dev/null 2>&1 || user=root

# two certificates for one server: the second session presents the other
for n in 1 2; do
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$d/k$n.pem" \
        -subj "/CN=mx$n.workers.test" -days 30 -outform DER -out "$d/c$n.der" 2>/dev/null
done
"$BUILD/tests/helper_starttls" "$d/c1.der" "$d/s1.pcap" mx.workers.test mx.workers.test 40001 &&
"$BUILD/tests/helper_starttls" "$d/c2.der" "$d/s2.pcap" mx.workers.test mx.workers.test 40002 || {
    fail workers "the test sessions could not be written"
    exit 0
}
chmod 777 "$d"

# start WORKERS ARGS...: mxwitness -i mxww0 --workers WORKERS in $a, until
# every worker has said it captures (at most 5 s; not once it has exited)
start() {
    nw=$1
    shift
    ip netns exec "$a" "$BIN" -i mxww0 --workers "$nw" "$@" >"$d/out" 2>"$d/err" &
    pid=$!
    _i=0
    while [ $_i -lt 50 ] && kill -0 "$pid" 2>/dev/null &&
          [ "$(grep -c "of $nw capturing on mxww0" "$d/err")" -lt "$nw" ]; do
        sleep 0.1
        _i=$((_i + 1))
    done
    sleep 0.2
}
# stop: SIGTERM to the parent, at most 10 s; the status in $rc
stop() {
    kill -TERM "$pid" 2>/dev/null
    _i=0
    while kill -0 "$pid" 2>/dev/null && [ $_i -lt 100 ]; do sleep 0.1; _i=$((_i + 1)); done
    if kill -0 "$pid" 2>/dev/null; then
        rc=timeout
        kill -KILL "$pid" 2>/dev/null
    else
        wait "$pid"
        rc=$?
    fi
    pid=
}
send() { ip netns exec "$b" "$BUILD/tests/helper_replay" mxww1 "$@"; }

start 2 --json -w "$d/live.json" --stats-interval 1 -Z "$user"
send pcaps/many-sessions.pcap
send "$d/s1.pcap"
send "$d/s2.pcap"
sleep 1
kill -HUP "$pid" 2>/dev/null
sleep 0.5
stop
hups=$(grep -c "SIGHUP: $d/live.json reopened" "$d/err")
if [ "$hups" = 2 ]; then
    pass workers-hup "each worker reopened -w"
else
    fail workers-hup "$hups 'reopened' lines of 2: $(grep SIGHUP "$d/err" | head -c 200)"
fi
sessions() { jq -r 'select(.event.dataset == "mxwitness.session") | "\(.source.ip) \(.source.port)"' "$@" | sort; }
sessions "$d/live.json" >"$d/live.ports" 2>/dev/null
"$BIN" -r pcaps/many-sessions.pcap --json | sessions >"$d/file.ports"
truth=$(sed -n 's/^session.*count=\([0-9]*\).*/\1/p' pcaps/many-sessions.truth | awk '{s += $1} END {print s}')
echo "192.0.2.50 40001" >>"$d/file.ports"
echo "192.0.2.50 40002" >>"$d/file.ports"
sort -o "$d/file.ports" "$d/file.ports"
n=$(wc -l <"$d/live.ports")
if [ "$rc" != 0 ]; then
    fail workers-sessions "exit status $rc: $(head -c 400 "$d/err")"
elif [ "$n" != $((truth + 2)) ] || ! cmp -s "$d/live.ports" "$d/file.ports"; then
    fail workers-sessions "$n session lines, $((truth + 2)) expected: $(diff "$d/file.ports" "$d/live.ports" | head -5 | tr '\n' ' ') $(head -c 300 "$d/err")"
else
    pass workers-sessions "$n sessions, each once"
fi
# every certificate the sessions name has its mxwitness.certificate line once
# in the run, though both workers met it (many-sessions' IPv4 and IPv6
# servers present the same one): the workers share what was written
named=$(jq -r 'select(.event.dataset == "mxwitness.session") | .tls.server.certificate_chain_sha256[]?' "$d/live.json" 2>/dev/null | sort -u)
lines=$(jq -r 'select(.event.dataset == "mxwitness.certificate") | .file.hash.sha256' "$d/live.json" 2>/dev/null | sort)
leaf=$(sed -n 's/^session.*server=198\.51\.100\.25.*[[:space:]]cert_sha256=\([0-9A-F]*\).*/\1/p' pcaps/many-sessions.truth | head -n 1)
both=$(jq -r --arg l "$leaf" 'select(.event.dataset == "mxwitness.session" and .tls.server.hash.sha256 == $l) | .mxwitness.worker' "$d/live.json" 2>/dev/null | sort -u | tr -d '\n')
if [ -n "$named" ] && [ "$named" = "$lines" ] && [ "$both" = 01 ]; then
    pass workers-cert-once "$(echo "$lines" | wc -l) certificate lines, one per certificate, for two workers"
else
    fail workers-cert-once "named: $(echo "$named" | tr '\n' ' '); lines: $(echo "$lines" | tr '\n' ' '); workers of the shared one: $both"
fi
# each worker's final stats line: sessions written, the kernel's counters
finals=$(jq -r 'select(.event.dataset == "mxwitness.stats" and .mxwitness.final) | "\(.mxwitness.worker) \(.mxwitness.workers) \(.mxwitness.total.sessions_written) \(.mxwitness.total.kernel_received) \(.mxwitness.total.kernel_dropped)"' "$d/live.json" 2>/dev/null | sort)
w0=$(echo "$finals" | awk '$1 == 0 && $2 == 2 && $3 > 0 && $4 > 0 && $5 != "null"' | wc -l)
w1=$(echo "$finals" | awk '$1 == 1 && $2 == 2 && $3 > 0 && $4 > 0 && $5 != "null"' | wc -l)
sum=$(echo "$finals" | awk '{s += $3} END {print s + 0}')
# each session line names its worker, and each worker wrote what its stats say
byw=$(jq -r 'select(.event.dataset == "mxwitness.session") | .mxwitness.worker' "$d/live.json" 2>/dev/null |
      sort | uniq -c | awk '{printf "%s %s\n", $2, $1}')
stw=$(echo "$finals" | awk '{printf "%s %s\n", $1, $3}')
if [ "$w0" = 1 ] && [ "$w1" = 1 ] && [ "$sum" = "$n" ] && [ "$byw" = "$stw" ]; then
    pass workers-split "$(echo "$finals" | awk '{printf "worker %s: %s sessions, %s packets, %s dropped; ", $1, $3, $4, $5}')"
else
    fail workers-split "final stats lines (worker workers sessions received dropped): $(echo "$finals" | tr '\n' ';'); session lines by worker: $(echo "$byw" | tr '\n' ';')"
fi
# the workers' fields are mapped in the index template (tests/e2e_ecs.sh
# reads files only)
unmapped=$(jq -r --slurpfile t tools/mxwitness-template.json '
    select(.event.dataset == "mxwitness.stats") | paths(scalars) as $p |
    ($p | map(select(type == "string"))) as $k |
    select(($t[0].template.mappings | reduce $k[] as $x (.; if . == null then null else .properties[$x] end)) == null) |
    $k | join(".")' "$d/live.json" 2>&1 | sort -u | tr '\n' ' ')
nw=$(jq -r 'select(.event.dataset == "mxwitness.stats") | .mxwitness.worker | numbers' "$d/live.json" 2>/dev/null | wc -l)
if [ "$nw" -ge 2 ] && [ -z "$unmapped" ]; then
    pass workers-template "$nw stats lines with mxwitness.worker, every field mapped"
else
    fail workers-template "$nw stats lines with mxwitness.worker; unmapped: $unmapped"
fi
changed=$(jq -r 'select(.event.dataset == "mxwitness.session" and .source.port == 40002) | .findings[]? | select(.code == "CERT_CHANGED") | .code' "$d/live.json" 2>/dev/null)
if [ "$changed" = CERT_CHANGED ]; then
    pass workers-cert-changed
else
    fail workers-cert-changed "no CERT_CHANGED on the second session of 198.51.100.80: $(grep -c '"port":4000[12]' "$d/live.json") lines of its sessions"
fi

# a worker killed: said, the others stopped, status 2
start 2 --json --stats-interval 0
kids=$(ps -o pid= --ppid "$pid" 2>/dev/null | tr -d ' ' | tail -n 1)
[ -n "$kids" ] && kill -KILL "$kids" 2>/dev/null
_i=0
while kill -0 "$pid" 2>/dev/null && [ $_i -lt 50 ]; do sleep 0.1; _i=$((_i + 1)); done
if kill -0 "$pid" 2>/dev/null; then
    fail workers-failure "the run went on after a worker was killed"
    stop
else
    wait "$pid"
    rc=$?
    pid=
    if [ -n "$kids" ] && [ "$rc" = 2 ] &&
       grep -q "mxwitness: worker [01] (pid $kids) failed: killed by signal 9" "$d/err"; then
        pass workers-failure
    else
        fail workers-failure "status $rc (pid ${kids:-none}): $(head -c 300 "$d/err")"
    fi
fi

#!/bin/sh
# e2e_live.sh - live capture on an interface: two network namespaces joined
# by a veth pair (documentation addresses only, nothing leaves them), a
# connection attempt to port 25 and one to port 8080, and mxwitness -i on one
# end with privileges dropped after opening.  It must report the mail-port
# connection, not the other (the default filter covers the mail ports), and
# stop cleanly on SIGINT; --point names its capture point.
#
# Then the sensor: mxwitness -i --json -w FILE --certs DIR -Z nobody
# --expect-file, and STARTTLS sessions (tests/helper_starttls, sent out of
# the other end by tests/helper_replay): a session before a SIGHUP goes to
# the file logrotate moved away, one after it to the reopened file and is
# judged by the expectations read again; a connection still open at SIGTERM
# is written with the servers' summaries and the exit status is 0; the
# certificates are written into a --certs directory made by root for
# nobody, and a --ca-path only root can read still gives the anchor.
#
# Then --stats-interval 1 on the same interface: a stats line every second
# while nothing arrives (the capture wakes up on its timeout) and while
# tcpreplay sends the 40 deliveries of pcaps/many-sessions.pcap with a SYN
# flood mixed in (bench/gen --syn-flood) from the other namespace, each line
# with the kernel's received/dropped counters, the intervals adding up to
# the totals.
# Needs root and `ip netns` (and tcpreplay for the replay); skipped otherwise.
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
. tests/lib.sh
BIN=${MXW_BIN:-$top/build/mxwitness}

if [ "$(id -u)" != 0 ] || ! command -v ip >/dev/null 2>&1 || ! command -v bash >/dev/null 2>&1; then
    skip live-capture "needs root, iproute2 and bash"
    exit 0
fi
# wait_dropped: until the capture is open (mxwitness, $pid, has dropped to
# $user), at most 5 s, and not at all once it has exited (a binary that
# fails at once)
wait_dropped() {
    _i=0
    while [ $_i -lt 50 ] && kill -0 "$pid" 2>/dev/null; do
        [ "$(ps -o user= -p "$pid" 2>/dev/null | tr -d ' ')" = "$user" ] && break
        sleep 0.1
        _i=$((_i + 1))
    done
}
# stop_mxw SIGNAL: send it to mxwitness ($pid), wait up to 5 s for it to
# end; its exit status in $rc; 1 (and $pid kept, for cleanup) if it did
# not end
stop_mxw() {
    kill "-$1" "$pid" 2>/dev/null
    _i=0
    while kill -0 "$pid" 2>/dev/null && [ $_i -lt 50 ]; do sleep 0.1; _i=$((_i + 1)); done
    kill -0 "$pid" 2>/dev/null && return 1
    wait "$pid"
    rc=$?
    pid=
    return 0
}
if ! netns_pair live mxwt; then
    skip live-capture "cannot create network namespaces here"
    exit 0
fi
out=$d/out err=$d/err flood=$d/flood.pcap
ip -n "$a" addr add 192.0.2.1/24 dev mxwt0
ip -n "$b" addr add 192.0.2.2/24 dev mxwt1
ip -n "$a" link set mxwt0 up
ip -n "$b" link set mxwt1 up
ip -n "$a" link set lo up

user=nobody
id "$user" >/dev/null 2>&1 || user=root
ip netns exec "$a" "$BIN" -i mxwt0 --point span1 -Z "$user" --flows --stats >"$out" 2>"$err" &
pid=$!
wait_dropped
sleep 0.3
# nothing listens in $b: each attempt is a SYN answered by a RST
ip netns exec "$a" bash -c 'exec 3<>/dev/tcp/192.0.2.2/25' 2>/dev/null
ip netns exec "$a" bash -c 'exec 3<>/dev/tcp/192.0.2.2/8080' 2>/dev/null
sleep 0.5
if ! stop_mxw INT; then
    fail live-capture "did not stop within 5 s of SIGINT"
    exit 0
fi
if [ "$rc" != 0 ]; then
    fail live-capture "exit status $rc: $(head -c 300 "$err")"
elif ! grep -q '192\.0\.2\.1:[0-9]* > 192\.0\.2\.2:25 .*end=rst' "$out"; then
    fail live-capture "no port-25 connection reported: $(head -c 300 "$out") $(head -c 300 "$err")"
elif grep -q ':8080 ' "$out"; then
    fail live-capture "a connection to port 8080 was reported"
else
    pass live-capture
fi
# --point names the interface's capture point
if grep -q '^  input span1: [1-9][0-9]* packets .* from mxwt0$' "$err"; then
    pass live-point
else
    fail live-point "no 'input span1: N packets ... from mxwt0' in --stats: $(grep input "$err")"
fi

# ---- the sensor: SIGHUP, SIGTERM, -Z with --certs and -w
live_sensor() {
BUILD=${MXW_BUILD_DIR:-$top/build}
if ! command -v jq >/dev/null 2>&1 || ! command -v openssl >/dev/null 2>&1 ||
   [ ! -x "$BUILD/tests/helper_replay" ] || [ "$user" = root ]; then
    skip live-sensor "needs jq, openssl, the user nobody and tests/helper_replay (make tests-bin)"
    return 0
fi
chmod 755 "$d"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$d/k.pem" \
    -subj /CN=mx.live.test -addext subjectAltName=DNS:mx.live.test -days 30 -outform DER \
    -out "$d/c.der" 2>/dev/null
sha=$(openssl x509 -inform DER -in "$d/c.der" -noout -fingerprint -sha256 | sed 's/.*=//; s/://g')
# three connections to 198.51.100.80:25, client ports 40000, 40001, 40002
"$BUILD/tests/helper_starttls" "$d/c.der" "$d/s0.pcap" mx.live.test mx.live.test &&
"$BUILD/tests/helper_portmap" "$d/s0.pcap" "$d/s1.pcap" 40000 40001 &&
"$BUILD/tests/helper_portmap" "$d/s0.pcap" "$d/s2.pcap" 40000 40002 || {
    fail live-sensor "the test sessions could not be written"
    return 0
}
mkdir "$d/log" && chown "$user" "$d/log"
# the certificate is its own anchor, in a --ca-path only root can read
mkdir -m 700 "$d/ca" && openssl x509 -inform DER -in "$d/c.der" -out "$d/ca/c.pem" &&
    openssl rehash "$d/ca" 2>/dev/null
echo "198.51.100.80=sha256:$(printf '%064d' 0)" >"$d/expect.conf"
ip netns exec "$a" "$BIN" -i mxwt0 --json -w "$d/log/live.json" --certs "$d/certs" \
    -Z "$user" --expect-file "$d/expect.conf" --ca-path "$d/ca" >"$out" 2>"$err" &
pid=$!
wait_dropped
sleep 0.3
send() { ip netns exec "$b" "$BUILD/tests/helper_replay" mxwt1 "$@"; }
# wait_for FILE PATTERN: at most 5 s for a line matching PATTERN in FILE
wait_for() {
    _i=0
    while [ $_i -lt 50 ] && ! grep -q "$2" "$1" 2>/dev/null; do sleep 0.1; _i=$((_i + 1)); done
}
send "$d/s0.pcap"
wait_for "$d/log/live.json" '"port":40000'
mv "$d/log/live.json" "$d/log/live.json.1"
echo "198.51.100.80=sha256:$sha" >"$d/expect.conf"
kill -HUP "$pid" 2>/dev/null
wait_for "$err" 'reopened'
send "$d/s1.pcap"
wait_for "$d/log/live.json" '"port":40001'
send "$d/s2.pcap" 1 6          # handshake, banner, EHLO: left open
sleep 0.5
if ! stop_mxw TERM; then
    fail live-sensor "did not stop within 5 s of SIGTERM"
    return 0
fi
old=$d/log/live.json.1 new=$d/log/live.json
codes() { # codes FILE PORT: the finding codes of the session from PORT
    jq -r "select(.event.dataset == \"mxwitness.session\" and .source.port == $2) |
           .findings[]?.code" "$1" 2>/dev/null | sort -u | tr '\n' ' '
}
n_old=$(jq -r 'select(.event.dataset == "mxwitness.session") | .source.port' "$old" 2>/dev/null | tr '\n' ' ')
if [ "$n_old" = "40000 " ] && codes "$old" 40000 | grep -q CERT_MISMATCH; then
    pass live-hup-before "the session before SIGHUP in the moved file, judged by the first pin"
else
    fail live-hup-before "moved file: sessions from [$n_old], findings [$(codes "$old" 40000)]: $(head -c 300 "$err")"
fi
if grep -q "mxwitness: SIGHUP: $d/log/live.json reopened" "$err" &&
   grep -q 'SIGHUP: 1 expectation(s) read again' "$err" &&
   [ "$(jq -r 'select(.source.port == 40001) | .event.dataset' "$new" 2>/dev/null)" = mxwitness.session ] &&
   ! codes "$new" 40001 | grep -q CERT_MISMATCH; then
    pass live-hup-after "the file reopened, the expectations read again, the next session judged by them"
else
    fail live-hup-after "findings [$(codes "$new" 40001)]: $(head -c 400 "$err") | $(head -c 300 "$new")"
fi
if [ "$rc" = 0 ] && [ "$(jq -r 'select(.source.port == 40002) | .event.dataset' "$new" 2>/dev/null)" = mxwitness.session ] &&
   [ "$(jq -r 'select(.event.dataset == "mxwitness.summary") | .destination.ip' "$new" 2>/dev/null)" = 198.51.100.80 ]; then
    pass live-term "the open connection's session and the server summary written at SIGTERM, exit 0"
else
    fail live-term "exit $rc; $(jq -c '[.event.dataset, .source.port]' "$new" 2>/dev/null | tr '\n' ' ') $(head -c 300 "$err")"
fi
all=$(for p in 40000 40001 40002; do codes "$old" $p; codes "$new" $p; done)
if [ "$(jq -r 'select(.event.dataset == "mxwitness.session") | .source.port' "$old" "$new" 2>/dev/null | wc -l)" = 3 ] &&
   ! printf '%s' "$all" | grep -q 'SELF_SIGNED\|UNTRUSTED'; then
    pass live-ca-path-dropped "the --ca-path only root reads was read before -Z: the anchor trusted"
else
    fail live-ca-path-dropped "findings [$all]"
fi
f=$d/certs/$sha.pem
if [ -f "$f" ] && [ "$(stat -c %U "$f")" = "$user" ] && [ "$(stat -c %U "$d/certs")" = "$user" ] &&
   openssl x509 -in "$f" -noout -fingerprint -sha256 | sed 's/.*=//; s/://g' | grep -qx "$sha"; then
    pass live-certs-dropped "-Z $user: the certificate written into the --certs directory made for $user"
else
    fail live-certs-dropped "no $sha.pem written by $user: $(ls -l "$d/certs" 2>&1 | head -5) $(head -c 300 "$err")"
fi
}

# ---- --stats-interval 1 live: idle, then a replay ----------------------------
live_stats() {
BUILD=${MXW_BUILD_DIR:-$top/build}
start=$(date +%s.%N)
ip netns exec "$a" "$BIN" -i mxwt0 --json --stats-interval 1 -Z "$user" >"$out" 2>"$err" &
pid=$!
wait_dropped
sleep 2.6                                  # nothing on the wire: two lines all the same
replayed=no
if command -v tcpreplay >/dev/null 2>&1 && [ -x "$BUILD/bench/gen" ] &&
   "$BUILD/bench/gen" -q -o "$flood" --syn-flood 5000 pcaps/many-sessions.pcap; then
    ip netns exec "$b" tcpreplay -q -i mxwt1 --pps 10000 "$flood" >/dev/null 2>&1 && replayed=yes
fi
sleep 1.5
if ! stop_mxw INT; then
    fail live-stats "did not stop within 5 s of SIGINT"
    return 0
fi
elapsed=$(echo "$(date +%s.%N) - $start" | bc 2>/dev/null || echo 0)
if ! command -v jq >/dev/null 2>&1; then
    skip live-stats "jq is not installed (make test installs it)"
    return 0
fi
st=$(jq -c 'select(.event.dataset == "mxwitness.stats" and .mxwitness.window != null)' "$out" 2>/dev/null)
n=$(printf '%s\n' "$st" | grep -c .)
bad=""
[ "$rc" -le 1 ] || bad="$bad exit $rc: $(head -c 200 "$err");"
# one line a second while it ran, and the final line at SIGINT (the clock
# started a moment after $start: a second of slack below)
lo=$(echo "$elapsed" | awk '{ n = int($1) - 1; print n < 3 ? 3 : n }')
hi=$(echo "$elapsed" | awk '{ print int($1) + 2 }')
{ [ "$n" -ge "$lo" ] && [ "$n" -le "$hi" ]; } ||
    bad="$bad $n stats lines in ${elapsed}s ($lo..$hi expected);"
printf '%s\n' "$st" | jq -s -e 'length > 0 and (.[-1].mxwitness.final == true) and
        ([.[:-1][] | .mxwitness.final] | all(. == false))' >/dev/null 2>&1 ||
    bad="$bad the final flag is not on the last line only;"
printf '%s\n' "$st" | jq -s -e 'def sec: sub("\\.[0-9]+Z$"; "Z") | fromdate;
        [.[:-1][] | .mxwitness.window | (.end | sec) - (.start | sec) == 1] | all' >/dev/null 2>&1 ||
    bad="$bad a periodic window is not one second;"
printf '%s\n' "$st" | jq -s -e '[range(1; length) as $i | .[$i - 1].mxwitness.window.end == .[$i].mxwitness.window.start] | all' >/dev/null 2>&1 ||
    bad="$bad the windows are not contiguous;"
printf '%s\n' "$st" | jq -s -e '[.[] | .mxwitness.interval | has("kernel_received") and has("kernel_dropped") and has("interface_dropped")] | all' >/dev/null 2>&1 ||
    bad="$bad a line without the kernel's counters;"
for k in packets kernel_received kernel_dropped interface_dropped sessions_written connections_without_dialogue; do
    printf '%s\n' "$st" | jq -s -e --arg k "$k" '(map(.mxwitness.interval[$k]) | add) == .[-1].mxwitness.total[$k]' >/dev/null 2>&1 ||
        bad="$bad the intervals' $k do not add up;"
done
# the first two lines came while nothing was sent
idle=$(printf '%s\n' "$st" | jq -s -r '.[0:2] | map(.mxwitness.interval.packets) | add' 2>/dev/null)
[ "$idle" = 0 ] || bad="$bad $idle packets in the first two (idle) seconds;"
if [ "$replayed" = yes ]; then
    tot=$(printf '%s\n' "$st" | jq -s -r '.[-1].mxwitness.total | "\(.packets) \(.kernel_received) \(.kernel_dropped) \(.sessions_written) \(.connections_without_dialogue)"' 2>/dev/null)
    set -- $tot
    ns=$(jq -c 'select(.event.dataset == "mxwitness.session")' "$out" | wc -l)
    [ "${1:-0}" -gt 5000 ] || bad="$bad ${1:-0} packets of the replay read;"
    [ "${4:-x}" = "$ns" ] || bad="$bad sessions_written ${4:-?} but $ns session lines;"
    # the servers' summaries came with the lines, stamped at a boundary
    bnd=$(printf '%s\n' "$st" | jq -r '.mxwitness.window.end' | tr '\n' ' ')
    per=$(jq -r 'select(.mxwitness.written == "periodic") | .["@timestamp"]' "$out" | sort -u)
    [ -n "$per" ] || bad="$bad no periodic summary;"
    for t in $per; do
        case " $bnd" in *" $t "*) ;; *) bad="$bad a periodic summary at $t, not at a boundary;" ;; esac
    done
    if [ "${3:-1}" = 0 ]; then
        [ "$ns" = 40 ] || bad="$bad $ns sessions, not 40, without a kernel drop;"
        [ "${5:-0}" = 5000 ] || bad="$bad ${5:-?} connections without a dialogue, not 5000;"
    fi
    detail="$n lines; replay: ${1:-?} packets, ${3:-?} dropped by the kernel, $ns sessions"
else
    detail="$n lines (no replay: tcpreplay or bench/gen missing)"
fi
[ -n "${MXW_LIVE_KEEP:-}" ] && cp "$out" "$MXW_LIVE_KEEP"
if [ -z "$bad" ]; then pass live-stats "$detail"; else fail live-stats "$bad"; fi
}

live_sensor
live_stats
exit 0

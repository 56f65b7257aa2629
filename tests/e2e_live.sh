#!/bin/sh
# e2e_live.sh - live capture on an interface: two network namespaces joined
# by a veth pair (documentation addresses only, nothing leaves them), a
# connection attempt to port 25 and one to port 8080, and mxwitness -i on one
# end with privileges dropped after opening.  It must report the mail-port
# connection, not the other (the default filter covers the mail ports), and
# stop cleanly on SIGINT; --point names its capture point.  Needs root and `ip netns`; skipped otherwise.
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
. tests/lib.sh
BIN=${MXW_BIN:-$top/build/mxwitness}

if [ "$(id -u)" != 0 ] || ! command -v ip >/dev/null 2>&1 || ! command -v bash >/dev/null 2>&1; then
    skip live-capture "needs root, iproute2 and bash"
    exit 0
fi
a=mxwt-a-$$ b=mxwt-b-$$
out=$(mktemp) err=$(mktemp)
cleanup() {
    [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null
    ip netns del "$a" 2>/dev/null
    ip netns del "$b" 2>/dev/null
    rm -f "$out" "$err"
}
trap cleanup EXIT
# a TERM (a timeout around the suite) or INT still removes the namespaces
trap 'exit 130' INT TERM
if ! ip netns add "$a" 2>/dev/null || ! ip netns add "$b" 2>/dev/null ||
   ! ip link add mxwt0 netns "$a" type veth peer name mxwt1 netns "$b" 2>/dev/null; then
    skip live-capture "cannot create network namespaces here"
    exit 0
fi
ip -n "$a" addr add 192.0.2.1/24 dev mxwt0
ip -n "$b" addr add 192.0.2.2/24 dev mxwt1
ip -n "$a" link set mxwt0 up
ip -n "$b" link set mxwt1 up
ip -n "$a" link set lo up

user=nobody
id "$user" >/dev/null 2>&1 || user=root
ip netns exec "$a" "$BIN" -i mxwt0 --point span1 -Z "$user" --flows --stats >"$out" 2>"$err" &
pid=$!
# wait until the capture is open (the process has dropped to $user), at
# most 5 s, and not at all once it has exited (a binary that fails at once)
i=0
while [ $i -lt 50 ] && kill -0 "$pid" 2>/dev/null; do
    [ "$(ps -o user= -p "$pid" 2>/dev/null | tr -d ' ')" = "$user" ] && break
    sleep 0.1
    i=$((i + 1))
done
sleep 0.3
# nothing listens in $b: each attempt is a SYN answered by a RST
ip netns exec "$a" bash -c 'exec 3<>/dev/tcp/192.0.2.2/25' 2>/dev/null
ip netns exec "$a" bash -c 'exec 3<>/dev/tcp/192.0.2.2/8080' 2>/dev/null
sleep 0.5
kill -INT "$pid" 2>/dev/null
i=0
while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
if kill -0 "$pid" 2>/dev/null; then
    fail live-capture "did not stop within 5 s of SIGINT"
    exit 0
fi
wait "$pid"
rc=$?
pid=
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
exit 0

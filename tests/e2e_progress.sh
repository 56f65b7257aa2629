#!/bin/sh
# e2e_progress.sh - the progress line on standard error: drawn (over itself
# with \r, and cleared at the end) when standard error is a terminal
# (script(1) gives it one) and a capture takes more than a second, here
# standard input held back for 1.5 s in the middle, whose size is unknown:
# "N kB read of -, N sessions, N s"; absent when standard error is a file,
# and with -q.  The sessions are written all the same each time.
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
. tests/lib.sh
BIN=${MXW_BIN:-$top/build/mxwitness}
BUILD=${MXW_BUILD_DIR:-$top/build}

if ! command -v script >/dev/null 2>&1 || ! command -v jq >/dev/null 2>&1 ||
   [ ! -x "$BUILD/bench/gen" ]; then
    skip progress "needs script (bsdutils), jq and bench/gen (make tests-bin)"
    exit 0
fi
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
"$BUILD/bench/gen" -o "$d/c.pcap" --sessions 600 pcaps/many-sessions.pcap >/dev/null 2>&1 || {
    fail progress "bench/gen failed"
    exit 0
}
size=$(wc -c <"$d/c.pcap")
half=$((size / 3))
# feed: a third of the capture, a pause, the rest (more than the 4096
# packets between two looks at the clock)
cat >"$d/feed.sh" <<FEED
head -c $half "$d/c.pcap"; sleep 1.5; tail -c +$((half + 1)) "$d/c.pcap"
FEED
sessions() { jq -r 'select(.event.dataset == "mxwitness.session") | .source.port' "$1" | wc -l; }

# $1: the options; the terminal's bytes in $d/tty, the sessions in $d/out.json
on_tty() {
    script -qec "sh '$d/feed.sh' | '$BIN' -r - --json $1 >'$d/out.json'" /dev/null >"$d/tty" 2>&1
}
on_tty ""
n=$(sessions "$d/out.json")
if [ "$n" -ne 600 ]; then
    fail progress-tty "$n sessions written, 600 expected"
elif ! grep -aq 'mxwitness: [0-9.]* [kMG]*B read of -, [0-9,]* sessions, [0-9.]* s' "$d/tty"; then
    fail progress-tty "no progress line on the terminal: $(head -c 300 "$d/tty" | od -c | head -5)"
elif ! tr '\r' '\n' <"$d/tty" | tail -n 1 | grep -q '^ *$'; then
    fail progress-tty "the line is not cleared at the end: $(tr '\r' '\n' <"$d/tty" | tail -n 2)"
else
    pass progress-tty "$(tr '\r' '\n' <"$d/tty" | grep -a 'read of' | tail -n 1)"
fi
on_tty -q
n=$(sessions "$d/out.json")
if [ "$n" -eq 600 ] && ! grep -aq 'read of' "$d/tty"; then
    pass progress-quiet
else
    fail progress-quiet "$n sessions; the terminal: $(head -c 200 "$d/tty")"
fi
# standard error a file: no line
sh "$d/feed.sh" | "$BIN" -r - --json >"$d/out.json" 2>"$d/err"
n=$(sessions "$d/out.json")
if [ "$n" -eq 600 ] && ! grep -aq 'read of' "$d/err" && ! grep -q "$(printf '\r')" "$d/err"; then
    pass progress-file
else
    fail progress-file "$n sessions; standard error: $(head -c 200 "$d/err")"
fi

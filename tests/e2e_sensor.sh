#!/bin/sh
# e2e_sensor.sh - what a sensor that runs for months needs from its output
# and its clock, from captures (the live side is in e2e_live.sh):
#   - a write that fails ends the run with exit 2 and a message naming the
#     file and the errno: -w /dev/full (at once, and after --write-retries),
#     standard output on /dev/full, standard output into a closed pipe
#     (promptly), --report /dev/full;
#   - -w appends, and lines stay whole when several runs share one file;
#   - -Z without -i is an error;
#   - one timestamp ten years ahead (tests/helper_retime) moves no
#     connection clock: the 40 deliveries of many-sessions.pcap are all
#     analysed, none INCOMPLETE, and the jump is said and counted;
#   - a capture whose clock says 1970 is said once, and its NOT_YET_VALID
#     findings say the time they were judged at;
#   - tools/mxwitness@.service passes systemd-analyze verify, and the
#     options of its ExecStart work (with -r for -i, paths under a
#     temporary folder).
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
. tests/lib.sh
BIN=${MXW_BIN:-$top/build/mxwitness}
BUILD=${MXW_BUILD_DIR:-$top/build}
jq_or_skip sensor
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pcap=pcaps/many-sessions.pcap

# run_to NAME OUTFILE_REDIRECT ARGS...: mxwitness ARGS with stdout to
# OUTFILE; status in $rc, stderr in $tmp/err
run_to() {
    _o=$1
    shift
    "$BIN" "$@" >"$_o" 2>"$tmp/err"
    rc=$?
}

# ---- write errors
run_to /dev/null -r "$pcap" --json -w /dev/full --write-retries 0
if [ "$rc" = 2 ] && grep -qx 'mxwitness: writing /dev/full: No space left on device' "$tmp/err"; then
    pass write-full
else
    fail write-full "exit $rc: $(head -c 300 "$tmp/err")"
fi
run_to /dev/null -r "$pcap" --json -w /dev/full --write-retries 2
if [ "$rc" = 2 ] && [ "$(grep -c 'No space left on device; trying again in' "$tmp/err")" = 2 ] &&
   grep -q 'writing /dev/full: No space left on device (gave up after 3 tries)' "$tmp/err" &&
   grep -q '2 write(s) to /dev/full failed and were tried again' "$tmp/err"; then
    pass write-full-retried "two waits said and counted, then exit 2"
else
    fail write-full-retried "exit $rc: $(head -c 500 "$tmp/err")"
fi
run_to /dev/full -r "$pcap" --json
if [ "$rc" = 2 ] && grep -qx 'mxwitness: writing standard output: No space left on device' "$tmp/err"; then
    pass stdout-full
else
    fail stdout-full "exit $rc: $(head -c 300 "$tmp/err")"
fi
# a closed pipe: the reader is gone before the first line (SIGPIPE is
# ignored, EPIPE said); within 10 s, not after the whole input
start=$(date +%s)
{ "$BIN" -r "$pcap" -r "$pcap"@again --json 2>"$tmp/err"; echo $? >"$tmp/rc"; } | head -c 0
rc=$(cat "$tmp/rc")
if [ "$rc" = 2 ] && grep -qx 'mxwitness: writing standard output: Broken pipe' "$tmp/err" &&
   [ $(($(date +%s) - start)) -lt 10 ]; then
    pass stdout-closed-pipe
else
    fail stdout-closed-pipe "exit $rc: $(head -c 300 "$tmp/err")"
fi
run_to /dev/null -r "$pcap" --report /dev/full
if [ "$rc" = 2 ] && grep -qx 'mxwitness: --report /dev/full: No space left on device' "$tmp/err"; then
    pass report-full "the file and the errno named"
else
    fail report-full "exit $rc: $(head -c 300 "$tmp/err")"
fi

# ---- -w appends; four runs at once into one file: every line whole
run_to "$tmp/o" -r "$pcap" --json -w "$tmp/w.json"
one=$(wc -l <"$tmp/w.json")
run_to "$tmp/o" -r "$pcap" --json -w "$tmp/w.json"
if [ "$rc" = 1 ] && [ "$one" -gt 40 ] && [ "$(wc -l <"$tmp/w.json")" = $((one * 2)) ] && [ ! -s "$tmp/o" ]; then
    pass write-append "$one lines, then $((one * 2))"
else
    fail write-append "exit $rc, $one then $(wc -l <"$tmp/w.json") lines; stdout $(wc -c <"$tmp/o") bytes"
fi
rm -f "$tmp/w.json"
for k in 1 2 3 4; do
    "$BIN" -r "$pcap" -r "$pcap"@twice --json -w "$tmp/w.json" 2>/dev/null &
done
wait
lines=$(wc -l <"$tmp/w.json")
if [ "$lines" -gt 160 ] && [ "$(jq -c . "$tmp/w.json" 2>/dev/null | wc -l)" = "$lines" ] &&
   [ "$(jq -r 'select(.event.dataset == "mxwitness.session") | .source.port' "$tmp/w.json" | wc -l)" = 320 ]; then
    pass write-shared "four runs into one -w file: $lines whole JSON lines, 320 sessions"
else
    fail write-shared "$lines lines, $(jq -c . "$tmp/w.json" 2>&1 | grep -c error) parse errors"
fi

# ---- -Z is for -i
run_to "$tmp/o" -r "$pcap" -Z nobody
if [ "$rc" = 2 ] && grep -q 'mxwitness: -Z drops root after opening an interface (-i)' "$tmp/err" &&
   [ ! -s "$tmp/o" ]; then
    pass drop-needs-live
else
    fail drop-needs-live "exit $rc: $(head -c 300 "$tmp/err")"
fi

# ---- one timestamp ten years ahead (packet 600 of 1306, inside a session)
if ! "$BUILD/tests/helper_retime" "$pcap" "$tmp/jump.pcap" 600 315360000; then
    fail clock-jump "tests/helper_retime failed"
else
    run_to "$tmp/j.json" -r "$tmp/jump.pcap" --json --stats
    s=$(jq -r 'select(.event.dataset == "mxwitness.session") | .source.port' "$tmp/j.json" | wc -l)
    inc=$(grep -c INCOMPLETE "$tmp/j.json")
    jumps=$(jq -r 'select(.event.dataset == "mxwitness.clock") | .mxwitness.clock.clock_jumps // empty' "$tmp/j.json")
    far=$(jq -r 'select(.event.dataset == "mxwitness.clock") | .mxwitness.clock.problem' "$tmp/j.json" | head -1)
    if [ "$rc" = 1 ] && [ "$s" = 40 ] && [ "$inc" = 0 ] && [ "$jumps" = 1 ] &&
       [ "$far" = far_from_other_packets ] &&
       grep -q 'jump.pcap: a packet at 2036-.* is 3650 day(s) ahead of' "$tmp/err" &&
       grep -q 'clock jumps 1$' "$tmp/err" &&
       [ "$(grep -c 'did not move the connection clock' "$tmp/err")" = 1 ]; then
        pass clock-jump "40 sessions, none INCOMPLETE, the jump said once and counted"
    else
        fail clock-jump "exit $rc, $s sessions, $inc INCOMPLETE, jumps [$jumps], [$far]: $(head -c 400 "$tmp/err")"
    fi
fi

# ---- a real gap is no jump: the deliveries again two days later (on port
# 587, so that no connection's endpoints repeat), appended
if ! command -v mergecap >/dev/null 2>&1; then
    skip clock-gap "mergecap is not installed (make test installs wireshark-common)"
elif ! "$BUILD/tests/helper_retime" "$pcap" "$tmp/later.pcap" 0 172800 ||
     ! "$BUILD/tests/helper_portmap" "$tmp/later.pcap" "$tmp/later587.pcap" 25 587 ||
     ! mergecap -F pcap -a -w "$tmp/gap.pcap" "$pcap" "$tmp/later587.pcap"; then
    fail clock-gap "the capture with a gap could not be written"
else
    run_to "$tmp/g.json" -r "$tmp/gap.pcap" --json --stats
    s=$(jq -r 'select(.event.dataset == "mxwitness.session") | .source.port' "$tmp/g.json" | wc -l)
    if [ "$rc" = 1 ] && [ "$s" = 80 ] && ! grep -q INCOMPLETE "$tmp/g.json" &&
       ! grep -q mxwitness.clock "$tmp/g.json" && grep -q 'clock jumps 0$' "$tmp/err" &&
       ! grep -q 'capture.s other timestamps' "$tmp/err"; then
        pass clock-gap "two days without packets: 80 sessions, no clock said in doubt"
    else
        fail clock-gap "exit $rc, $s sessions: $(head -c 300 "$tmp/err")"
    fi
fi

# ---- a 1970 clock: every packet moved back 56.9 years
if ! "$BUILD/tests/helper_retime" "$pcap" "$tmp/1970.pcap" 0 -1795000000; then
    fail clock-1970 "tests/helper_retime failed"
else
    run_to "$tmp/c.json" -r "$tmp/1970.pcap" --json
    said=$(grep -c 'before 2000-01-01; certificate validity is judged as of each session' "$tmp/err")
    nyv=$(jq -r 'select(.event.dataset == "mxwitness.session") | .findings[]? |
                 select(.code == "NOT_YET_VALID") | .message' "$tmp/c.json")
    if [ "$rc" = 1 ] && [ "$said" = 1 ] && [ "$(printf '%s\n' "$nyv" | wc -l)" = 40 ] &&
       ! printf '%s\n' "$nyv" | grep -qv 'judged as of 1970-01-11T.*, the session.s capture time, which is in doubt: the capture clock says 1970' &&
       [ "$(jq -r 'select(.event.dataset == "mxwitness.clock") | .mxwitness.clock.problem' "$tmp/c.json")" = before_2000 ]; then
        pass clock-1970 "said once; the 40 NOT_YET_VALID findings state the time judged at"
    else
        fail clock-1970 "exit $rc, said $said times: $(printf '%s' "$nyv" | head -c 300) $(head -c 300 "$tmp/err")"
    fi
    run_to "$tmp/c.json" -r "$tmp/1970.pcap" --json --at 2026-11-29
    if [ "$rc" = 1 ] && grep -q 'certificate validity is judged as of 2026-11-29T00:00:00.000000Z (--at)' "$tmp/err" &&
       [ "$(jq -r 'select(.event.dataset == "mxwitness.clock") | .mxwitness.clock.validity_judged_at' "$tmp/c.json")" = 2026-11-29T00:00:00.000000Z ] &&
       ! grep -q NOT_YET_VALID "$tmp/c.json"; then
        pass clock-1970-at "--at stated, and nothing is NOT_YET_VALID at it"
    else
        fail clock-1970-at "exit $rc: $(head -c 300 "$tmp/err")"
    fi
fi

# ---- the systemd unit
unit=tools/mxwitness@.service
if ! command -v systemd-analyze >/dev/null 2>&1; then
    skip systemd-unit "systemd-analyze is not installed (make test installs systemd)"
    exit 0
fi
mkdir "$tmp/unit"
sed "s#/usr/local/bin/mxwitness#$BIN#" "$unit" >"$tmp/unit/mxwitness@lo.service"
args=$(sed -n 's/^ExecStart=[^ ]* //p' "$unit" | sed "s/-i %i/-r $(echo "$pcap" | sed 's#/#\\/#g')/;
       s/ -Z mxwitness//; s/ \$MXW_OPTS//; s#/var/log/mxwitness#$tmp/unit/log#; s#/var/lib/mxwitness#$tmp/unit/lib#;
       s/%i/lo/g")
mkdir "$tmp/unit/log" "$tmp/unit/lib"
if ! systemd-analyze verify "$tmp/unit/mxwitness@lo.service" >"$tmp/err" 2>&1; then
    fail systemd-unit "systemd-analyze verify: $(head -c 400 "$tmp/err")"
else
    # shellcheck disable=SC2086
    "$BIN" $args >"$tmp/o" 2>"$tmp/err"
    rc=$?
    n=$(jq -r 'select(.event.dataset == "mxwitness.session") | .source.port' "$tmp/unit/log/lo.json" 2>/dev/null | wc -l)
    if [ "$rc" = 1 ] && [ "$n" = 40 ] && [ "$(ls "$tmp/unit/lib/certs" | wc -l)" -ge 1 ] &&
       grep -q '^ExecReload=/bin/kill -HUP \$MAINPID$' "$unit" && grep -q '^AmbientCapabilities=CAP_NET_RAW' "$unit" &&
       grep -q '^After=.*time-sync.target' "$unit"; then
        pass systemd-unit "verified; its options ($args) write 40 sessions"
    else
        fail systemd-unit "exit $rc, $n sessions with: $args: $(head -c 300 "$tmp/err")"
    fi
fi

# every kind of line goes to -w FILE, whole: the stats lines of
# --stats-interval too (they went to standard output, around the file's
# buffer, and cut lines there)
"$BIN" --json -w "$tmp/all.jsonl" --stats-interval 1 -r pcaps/many-sessions.pcap >"$tmp/o" 2>"$tmp/err"
rc=$?
kinds=$(jq -r '.event.dataset' "$tmp/all.jsonl" 2>/dev/null | sort | uniq -c | awk '{ printf "%s=%s ", $2, $1 }')
if [ "$rc" -le 1 ] && [ ! -s "$tmp/o" ] && jq -e . "$tmp/all.jsonl" >/dev/null 2>&1 &&
   printf '%s' "$kinds" | grep -q 'mxwitness.session=40 ' && printf '%s' "$kinds" | grep -q 'mxwitness.stats='; then
    pass w-every-line "$kinds"
else
    fail w-every-line "exit $rc; stdout $(wc -c <"$tmp/o") bytes; in the file: $kinds $(head -c 200 "$tmp/err")"
fi
exit 0

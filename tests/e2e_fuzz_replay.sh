#!/bin/sh
# e2e_fuzz_replay.sh - replay every fuzz corpus file (and the project's own
# captures) through each fuzz target, built without libFuzzer, so that every
# input that ever crashed stays fixed.  Under make asan this runs with ASan.
#
# The replay driver (fuzz/replay.c) prints nothing and exits 0 after the
# last input, so exit 0 alone would also be what a binary that does nothing
# gives.  The list therefore ends with a file that does not exist: the driver
# opens its arguments in order and stops with exit 2 and perror naming the
# first one it cannot open, so that exit and that name on stderr, with no
# crash or sanitizer report, show that it ran every real input before it.
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
. tests/lib.sh
B=${MXW_BUILD_DIR:-$top/build}
mk_tmpdir
end=$tmp/end-of-list.absent
found=0
for bin in "$B"/fuzz/replay_*; do
    [ -x "$bin" ] || continue
    t=${bin##*/replay_}
    found=$((found + 1))
    files=$(find "fuzz/corpus/$t" pcaps -maxdepth 1 -type f \( -name '*.pcap' -o -name '*.pcapng' -o -path "fuzz/corpus/$t/*" \) 2>/dev/null | sort)
    if [ -z "$files" ]; then
        skip "fuzz-replay-$t" "no corpus files"
        continue
    fi
    n=$(echo "$files" | wc -l)
    # shellcheck disable=SC2086
    "$bin" $files "$end" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    if why=$(crash_report "$rc" "$tmp/err"); then
        fail "fuzz-replay-$t" "crashed: $why $(tail -n 5 "$tmp/err")"
    elif [ "$rc" -ne 2 ] || ! grep -q -F "$end" "$tmp/err"; then
        fail "fuzz-replay-$t" "exit $rc, want 2 with perror naming $end after the $n inputs: $(tail -n 5 "$tmp/err")"
    elif [ "$(grep -c . "$tmp/err")" -ne 1 ]; then
        fail "fuzz-replay-$t" "more on stderr than the end-of-list error: $(tail -n 5 "$tmp/err")"
    else
        pass "fuzz-replay-$t" "$n inputs, then the end-of-list error"
    fi
done
[ "$found" -gt 0 ] || fail fuzz-replay "no replay binaries in $B/fuzz (make tests-bin builds them)"
exit 0

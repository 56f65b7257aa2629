#!/bin/sh
# e2e_fuzz_replay.sh - replay every fuzz corpus file (and the project's own
# captures) through each fuzz target, built without libFuzzer, so that every
# input that ever crashed stays fixed.  Under make asan this runs with ASan.
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
B=${MXW_BUILD_DIR:-$top/build}
for bin in "$B"/fuzz/replay_*; do
    [ -x "$bin" ] || continue
    t=${bin##*/replay_}
    files=$(find "fuzz/corpus/$t" pcaps -maxdepth 1 -type f \( -name '*.pcap' -o -name '*.pcapng' -o -path "fuzz/corpus/$t/*" \) 2>/dev/null | sort)
    if [ -z "$files" ]; then
        echo "SKIP fuzz-replay-$t: no corpus files"
        continue
    fi
    n=$(echo "$files" | wc -l)
    # shellcheck disable=SC2086
    if "$bin" $files >/tmp/mxw-replay.$$ 2>&1; then
        echo "PASS fuzz-replay-$t ($n inputs)"
    else
        echo "FAIL fuzz-replay-$t: $(tail -n 5 /tmp/mxw-replay.$$ | tr '\n' ' ')"
    fi
    rm -f /tmp/mxw-replay.$$
done

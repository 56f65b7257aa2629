#!/bin/sh
# run.sh - run every test: the cmocka unit tests in $MXW_BUILD/tests/, then
# the end-to-end scripts tests/e2e_*.sh (which run the mxwitness binary on
# captures).  Prints each suite's outcome and one closing line:
#   tests: N passed, N failed, N skipped
# Exit status 1 when anything failed or crashed.
set -u
B=${MXW_BUILD:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
export MXW_BIN="$top/$B/mxwitness" MXW_BUILD_DIR="$top/$B"
passed=0 failed=0 skipped=0 broken=""
log=$(mktemp)
trap 'rm -f "$log"' EXIT

count() { # count PATTERN FILE -> the number in the first matching line
    sed -n "s/^.*$1 *\([0-9][0-9]*\) test.*$/\1/p" "$2" | head -n 1
}

for t in "$B"/tests/test_*; do
    [ -x "$t" ] || continue
    name=$(basename "$t")
    CMOCKA_MESSAGE_OUTPUT=stdout "$t" >"$log" 2>&1
    rc=$?
    p=$(count '\[  PASSED  \]' "$log"); f=$(count '\[  FAILED  \]' "$log"); s=$(count '\[  SKIPPED \]' "$log")
    p=${p:-0}; f=${f:-0}; s=${s:-0}
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        f=1; broken="$broken $name"
    fi
    if [ "$f" -ne 0 ] || [ "$rc" -ne 0 ]; then
        cat "$log"
    fi
    printf '%-28s %4d passed %4d failed %4d skipped\n' "$name" "$p" "$f" "$s"
    passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
done

for t in tests/e2e_*.sh; do
    [ -f "$t" ] || continue
    name=$(basename "$t" .sh)
    sh "$t" >"$log" 2>&1
    rc=$?
    p=$(grep -c '^PASS ' "$log"); f=$(grep -c '^FAIL ' "$log"); s=$(grep -c '^SKIP ' "$log")
    grep -E '^(FAIL|SKIP) ' "$log"
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        cat "$log"; f=1; broken="$broken $name"
    fi
    printf '%-28s %4d passed %4d failed %4d skipped\n' "$name" "$p" "$f" "$s"
    passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
done

[ -n "$broken" ] && echo "crashed or exited non-zero without a failure line:$broken"
[ -n "${MXW_SANITIZED:-}" ] && echo "(ASan + UBSan build in $B)"
echo "tests: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]

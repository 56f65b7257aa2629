# lib.sh - helpers for the end-to-end scripts tests/e2e_*.sh (POSIX sh).
# Source it after setting $top to the repository root:
#
#   top=$(cd "$(dirname "$0")/.." && pwd)
#   cd "$top" || exit 2
#   . "$top/tests/lib.sh"
#
# tests/run.sh counts the lines that start with "PASS ", "FAIL " and "SKIP ".
# A NAME has no spaces; details and reasons are kept on the same line.

: "${top:=$(pwd)}"
MXW_BIN=${MXW_BIN:-$top/build/mxwitness}

# pass NAME [DETAIL]
pass() {
    if [ $# -gt 1 ]; then echo "PASS $1: $2"; else echo "PASS $1"; fi
}

# fail NAME DETAIL (newlines in DETAIL become " | ", so it stays one line)
fail() {
    printf 'FAIL %s: %s\n' "$1" "$(printf '%s' "${2:-}" | tr '\n' '|' | sed 's/|/ | /g')"
}

# skip NAME REASON
skip() {
    echo "SKIP $1: ${2:-}"
}

# shared_dir: print the third-party captures folder (../shared/pcaps, or
# $MXW_SHARED/pcaps), or nothing when it is absent (a user's clone).
shared_dir() {
    _d=${MXW_SHARED:-$top/../shared}/pcaps
    if [ -d "$_d" ]; then (cd "$_d" && pwd); fi
}

# shared_or_skip NAME: set $shared to the shared pcaps folder; when it is
# absent print the one agreed SKIP line and exit 0.
shared_or_skip() {
    shared=$(shared_dir)
    if [ -z "$shared" ]; then
        skip "${1:-shared-pcaps}" "../shared/pcaps not found (third-party captures are not in a user's clone)"
        exit 0
    fi
}

# jq_or_skip NAME: when jq is missing print the one agreed SKIP line and
# exit 0 (make test installs it).
jq_or_skip() {
    if ! command -v jq >/dev/null 2>&1; then
        skip "${1:-jq}" "jq is not installed (make test installs it)"
        exit 0
    fi
}

# run_capture NAME FILE OUT [OPTIONS...]: mxwitness --json OPTIONS -r FILE
# into OUT, its stderr into OUT.err; prints the FAIL line for NAME and
# returns 1 when FILE is missing, the run crashed, or it exited with neither
# 0 nor 1 (findings).
run_capture() {
    _rn=$1 _rf=$2 _ro=$3
    shift 3
    if [ ! -f "$_rf" ]; then
        fail "$_rn" "capture $_rf is missing"
        return 1
    fi
    "${BIN:-$MXW_BIN}" --json "$@" -r "$_rf" >"$_ro" 2>"$_ro.err"
    _rrc=$?
    if _rwhy=$(crash_report "$_rrc" "$_ro.err"); then
        fail "$_rn" "crashed: $_rwhy"
        return 1
    fi
    if [ "$_rrc" -ne 0 ] && [ "$_rrc" -ne 1 ]; then
        fail "$_rn" "exit status $_rrc: $(head -c 200 "$_ro.err")"
        return 1
    fi
    return 0
}

# mk_tmpdir: set $tmp to a fresh directory, removed when the script exits.
mk_tmpdir() {
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/mxw-e2e.XXXXXX") || exit 2
    trap 'rm -rf "$tmp"' EXIT
    trap 'exit 130' INT TERM
}

# is_capture FILE: true for the file names that hold captures
is_capture() {
    case $1 in *.pcap|*.pcapng|*.cap|*.pcap.gz) [ -f "$1" ];; *) return 1;; esac
}

# crash_report RC STDERR_FILE: print why the run counts as a crash (a
# signal, or a sanitizer or assertion report on stderr), or nothing.
# Exit status 0 when it was a crash.
crash_report() {
    if [ "$1" -ge 128 ]; then
        echo "killed by signal $(($1 - 128))"
        grep -m 1 -E 'Sanitizer|runtime error|Assertion|SUMMARY' "$2" 2>/dev/null
        return 0
    fi
    if grep -q -E 'ERROR: (Address|Leak|Memory|Thread|UndefinedBehavior)Sanitizer|runtime error: |SUMMARY: [A-Za-z]*Sanitizer|Assertion .* failed' "$2" 2>/dev/null; then
        echo "exit $1, sanitizer report: $(grep -m 1 -E 'Sanitizer|runtime error' "$2")"
        return 0
    fi
    return 1
}

# flow_field KEY < FLOWS: print the value of KEY=value of each --flows line
flow_field() {
    awk -v k="$1" '{ for (i = 1; i <= NF; i++) if (index($i, k "=") == 1) { print substr($i, length(k) + 2); break } }'
}

# flows_tsv < FLOWS: turn --flows lines into tab-separated
#   start_time  client  server  c2s  s2c  gap_bytes(c2s/s2c)  end
# (lines that are not flow lines are dropped)
flows_tsv() {
    awk '$3 == ">" {
        c2s = s2c = gb = e = ""
        for (i = 5; i <= NF; i++) {
            if (index($i, "c2s=") == 1) c2s = substr($i, 5)
            else if (index($i, "s2c=") == 1) s2c = substr($i, 5)
            else if (index($i, "gap_bytes=") == 1) gb = substr($i, 11)
            else if (index($i, "end=") == 1) e = substr($i, 5)
        }
        printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", $1, $2, $4, c2s, s2c, gb, e
    }'
}

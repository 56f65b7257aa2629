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

# run_json NAME OUT [OPTIONS...]: mxwitness --json OPTIONS into OUT (stderr
# in OUT.err, the exit status in OUT.rc); false, with the FAIL line, when
# it crashed.  Any other status is the caller's to judge.
run_json() {
    _jn=$1 _jo=$2
    shift 2
    "${BIN:-$MXW_BIN}" --json "$@" >"$_jo" 2>"$_jo.err"
    _jrc=$?
    echo "$_jrc" >"$_jo.rc"
    if _jwhy=$(crash_report "$_jrc" "$_jo.err"); then
        fail "$_jn" "crashed: $_jwhy"
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

# netns_pair TAG IF: two network namespaces, $a and $b (mxw-TAG-a-PID,
# mxw-TAG-b-PID), joined by a veth pair, IF0 in $a and IF1 in $b (down: the
# caller sets their addresses, MTU and state), and a work folder $d; at
# exit (a TERM or INT too) mxwitness ($pid) is killed and all of it
# removed.  1 when the namespaces cannot be made here.
netns_pair() {
    a=mxw-$1-a-$$ b=mxw-$1-b-$$
    d=$(mktemp -d "${TMPDIR:-/tmp}/mxw-$1.XXXXXX") || exit 2
    trap 'netns_cleanup' EXIT
    trap 'exit 130' INT TERM
    ip netns add "$a" 2>/dev/null && ip netns add "$b" 2>/dev/null &&
        ip link add "${2}0" netns "$a" type veth peer name "${2}1" netns "$b" 2>/dev/null
}
netns_cleanup() {
    [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null
    ip netns del "$a" 2>/dev/null
    ip netns del "$b" 2>/dev/null
    rm -rf "$d"
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

# have_capinfos: true when capinfos (wireshark-common, which make test
# installs) is there to count packets independently of libpcap.
have_capinfos() {
    command -v capinfos >/dev/null 2>&1
}

# capinfos_count FILE: print the number of packets Wireshark's reader (not
# libpcap, which mxwitness uses) finds in FILE.  Exit status 0 when it read
# the whole file, 1 when it stopped at damage (the number printed is what it
# read up to there), 2 when it cannot read FILE at all (nothing printed).
capinfos_count() {
    _cc=$(capinfos -T -r -c -M "$1" 2>/dev/null)
    _ccrc=$?
    _cc=$(printf '%s\n' "$_cc" | awk -F '\t' 'NF >= 2 { print $NF; exit }')
    if [ -z "$_cc" ]; then return 2; fi
    echo "$_cc"
    [ "$_ccrc" -eq 0 ] || return 1
    return 0
}

# stats_packets STDERR_FILE: print N of the "packets: N (...)" line that
# mxwitness --stats wrote, or nothing
stats_packets() {
    sed -n 's/^packets: \([0-9][0-9]*\) .*$/\1/p' "$1" | head -n 1
}

# packets_check FILE RC STDERR_FILE [COUNT COUNT_RC]: were FILE's packets
# read?  Compares the
# count of mxwitness --stats (stderr in STDERR_FILE, exit status RC) with
# capinfos's.  Where capinfos stopped at damage, mxwitness must have read as
# many packets, warned naming FILE and exited 0 or 1; where capinfos cannot
# read FILE at all, mxwitness must exit 2 naming it or warn naming it.  Exit
# 2 naming FILE is also accepted for input mxwitness refuses (a link type it
# cannot decode).  Prints what is wrong, or nothing; without capinfos only
# that a count was reported is checked (have_capinfos tells the caller).
# COUNT and COUNT_RC, when given, are capinfos_count's output and exit
# status for FILE, for a caller that reads the same file several times.
packets_check() {
    _pf=$1 _prc=$2 _pe=$3 _pc=${4:-} _pcrc=${5:-}
    if [ "$_prc" -eq 2 ]; then
        grep -q -F -- "$_pf" "$_pe" || echo "exit 2 without an error naming $_pf: $(head -c 200 "$_pe")"
        return 0
    fi
    _pm=$(stats_packets "$_pe")
    if [ -z "$_pm" ]; then
        echo "no 'packets: N' line from --stats on stderr"
        return 0
    fi
    have_capinfos || return 0
    if [ -z "$_pcrc" ]; then
        _pc=$(capinfos_count "$_pf")
        _pcrc=$?
    fi
    case $_pcrc in
    0)  [ "$_pm" = "$_pc" ] || echo "read $_pm packets, capinfos counts $_pc" ;;
    1)  [ "$_pm" = "$_pc" ] || echo "read $_pm packets, capinfos reads $_pc before the damage"
        grep -q -F -- "$_pf" "$_pe" || echo "capinfos stops at damage after $_pc packets, but no warning names $_pf" ;;
    *)  grep -q -F -- "$_pf" "$_pe" || echo "capinfos cannot read $_pf, and no warning names it (read $_pm packets)" ;;
    esac
}

#!/bin/sh
# e2e_mutation.sh - can the end-to-end checks fail?  Every other
# tests/e2e_*.sh is run again against two fake builds, and counts how many
# of its checks still pass:
#   crash   every binary is a script that kills itself with SIGSEGV: no
#           check may pass
#   silent  every binary is a script that exits 0 and prints nothing: at
#           most 5 checks may pass (a check of an absence that has nothing
#           positive to hold on to belongs in that allowance, named here)
# A fake build is a folder laid out like build/: mxwitness and
# fuzz/replay_* are the fake (they are the code under test), while the
# test helpers (tests/helper_*: helper_portmap, helper_pcapng,
# helper_starttls) and the capture generator bench/gen are the real ones.
# The scripts find them through MXW_BIN and MXW_BUILD_DIR (tests/run.sh sets
# both).
#
# One PASS or FAIL line per fake, with the passes per script (passed of
# PASS+FAIL lines); a FAIL names each check that passed, as script:check, so
# that the next developer can fix it.  A script that does not finish within
# $MXW_MUTATION_TIMEOUT seconds (default 120) under a fake fails the line
# too: a fake must not be able to hang the suite.
#
# Under make asan (MXW_SANITIZED=1) this is skipped: the fakes are shell
# scripts, so the sanitized build adds nothing to what the first pass of
# make test measured (the scripts and the fakes are the same), and it would
# cost another minute.  MXW_MUTATION is set in the scripts' environment, so
# that a run of this script from inside a mutation run does nothing.
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
. tests/lib.sh
self=$(basename "$0")
[ -n "${MXW_MUTATION:-}" ] && exit 0
if [ -n "${MXW_SANITIZED:-}" ]; then
    skip mutation "measured once, in the unsanitized pass (the fake binaries are shell scripts)"
    exit 0
fi
real=${MXW_BUILD_DIR:-$top/build}
limit=${MXW_MUTATION_TIMEOUT:-120}
mk_tmpdir

# fake_build KIND BODY: $tmp/KIND laid out like the build folder, with every
# binary under test replaced by a script doing BODY
fake_build() {
    _d=$tmp/$1
    mkdir -p "$_d/fuzz" "$_d/tests"
    printf '#!/bin/sh\n%s\n' "$2" >"$_d/mxwitness"
    chmod +x "$_d/mxwitness"
    for _r in "$real"/fuzz/replay_*; do
        [ -x "$_r" ] && cp "$_d/mxwitness" "$_d/fuzz/${_r##*/}"
    done
    for _h in "$real"/tests/helper_*; do
        [ -x "$_h" ] && ln -s "$_h" "$_d/tests/${_h##*/}"
    done
    if [ -x "$real/bench/gen" ]; then
        mkdir -p "$_d/bench"
        ln -s "$real/bench/gen" "$_d/bench/gen"
    fi
}
fake_build crash 'kill -SEGV $$'
fake_build silent 'exit 0'

# the fakes themselves: a signal, and a clean exit with no output
"$tmp/crash/mxwitness" -r pcaps/clean-tls12.pcap >"$tmp/o" 2>&1
rc=$?
if [ "$rc" -lt 128 ]; then
    fail mutation-setup "the crashing fake exited $rc, not by a signal"
    exit 0
fi
"$tmp/silent/mxwitness" -r pcaps/clean-tls12.pcap >"$tmp/o" 2>&1
rc=$?
if [ "$rc" -ne 0 ] || [ -s "$tmp/o" ]; then
    fail mutation-setup "the silent fake exited $rc or printed something"
    exit 0
fi

to=""
command -v timeout >/dev/null 2>&1 && to="timeout -k 5 $limit"

# mutate KIND MAX DESCRIPTION: run the other scripts against $tmp/KIND and
# print the PASS or FAIL line
mutate() {
    _k=$1 _max=$2 _what=$3
    _total=0 _per="" _names="" _hung=""
    for _t in tests/e2e_*.sh; do
        [ -f "$_t" ] || continue
        _s=$(basename "$_t" .sh)
        [ "$_s.sh" = "$self" ] && continue
        # shellcheck disable=SC2086
        MXW_BIN=$tmp/$_k/mxwitness MXW_BUILD_DIR=$tmp/$_k MXW_MUTATION=1 \
            $to sh "$_t" >"$tmp/log" 2>&1 </dev/null
        _rc=$?
        [ -n "$to" ] && [ "$_rc" -eq 124 ] && _hung="$_hung $_s"
        _p=$(grep -c '^PASS ' "$tmp/log")
        _f=$(grep -c '^FAIL ' "$tmp/log")
        _total=$((_total + _p))
        _per="$_per ${_s#e2e_} $_p/$((_p + _f)),"
        # the NAME of "PASS NAME" or "PASS NAME: DETAIL" (a NAME may hold ':')
        for _n in $(sed -n 's/^PASS \([^ ]*\).*$/\1/p' "$tmp/log" | sed 's/:$//'); do
            _names="$_names $_s:$_n"
        done
    done
    _per=${_per%,}
    if [ -n "$_hung" ]; then
        fail "mutation-$_k" "$_what: did not finish within $limit s:$_hung (passes per script:$_per)"
    elif [ "$_total" -gt "$_max" ]; then
        fail "mutation-$_k" "$_what: $_total checks pass, at most $_max may:$_names (per script:$_per)"
    elif [ -n "$_names" ]; then
        pass "mutation-$_k" "$_what: $_total checks pass (at most $_max):$_names (per script:$_per)"
    else
        pass "mutation-$_k" "$_what: no check passes (per script:$_per)"
    fi
}
mutate crash 0 "a binary killed by SIGSEGV"
mutate silent 5 "a binary that exits 0 and prints nothing"
exit 0

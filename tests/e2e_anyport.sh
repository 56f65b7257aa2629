#!/bin/sh
# e2e_anyport.sh - mail on a port that is not a mail port.  The clean
# STARTTLS capture is moved from port 25 to 2626 (tests/helper_portmap).
# By default mxwitness does not follow 2626; with --port 2626 it does; with
# --any-port nDPI must recognise the connection as SMTP and the session must
# carry the same certificate as the truth says.
#
# The default case is more than "no session": the run exits 0 and its
# --stats show every packet read (capinfos's count), every one of them on a
# port not followed, none followed.  pcaps/record.sh captures with the
# filter "tcp" and the truth has one connection, so all of them are that
# connection's, now on 2626.
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
. tests/lib.sh
BIN=${MXW_BIN:-$top/build/mxwitness}
MAP=${MXW_BUILD_DIR:-$top/build}/tests/helper_portmap
mk_tmpdir
jq_or_skip any-port
want=$(tr '\t' '\n' <pcaps/clean-tls12.truth | sed -n 's/^cert_sha256=//p' | head -n 1)
"$MAP" pcaps/clean-tls12.pcap "$tmp/moved.pcap" 25 2626 || { fail any-port "helper_portmap failed"; exit 0; }
# stat_n NAME: the number on the --stats line "  NAME   N"
stat_n() { sed -n "s/^  $1  *\([0-9][0-9]*\)\$/\1/p" "$tmp/err" | head -n 1; }
for opts in "" "--port 2626" "--any-port"; do
    # shellcheck disable=SC2086
    "$BIN" --json --stats $opts -r "$tmp/moved.pcap" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    got=$(jq -r 'select(.event.dataset == "mxwitness.session") | "\(.destination.port) \(.tls.server.hash.sha256)"' "$tmp/out" 2>&1)
    name=any-port-$(echo "${opts:-default}" | tr -d ' -')
    bad=""
    case $opts in
    "")
        [ "$rc" = 0 ] || bad="$bad exit $rc, want 0: $(head -c 200 "$tmp/err");"
        [ -z "$got" ] || bad="$bad sessions reported on 2626: [$got];"
        read_n=$(stats_packets "$tmp/err")
        if have_capinfos; then
            total=$(capinfos_count "$tmp/moved.pcap") || bad="$bad capinfos cannot count $tmp/moved.pcap;"
        else
            total=$read_n
            skip any-port-default-count "capinfos is not installed (make test installs wireshark-common)"
        fi
        [ -n "$read_n" ] && [ "$read_n" = "$total" ] || bad="$bad --stats read [$read_n] packets, the capture has $total;"
        [ "$(stat_n 'other ports')" = "$total" ] || bad="$bad --stats 'other ports' [$(stat_n 'other ports')], want all $total;"
        [ "$(stat_n followed)" = 0 ] || bad="$bad --stats 'followed' [$(stat_n followed)], want 0;"
        ;;
    *)
        [ "$got" = "2626 $want" ] || bad="$bad got [$got], expected [2626 $want];"
        ;;
    esac
    if [ -z "$bad" ]; then pass "$name"; else fail "$name" "$bad"; fi
done
exit 0

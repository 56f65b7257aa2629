#!/bin/sh
# e2e_anyport.sh - mail on a port that is not a mail port.  The clean
# STARTTLS capture is moved from port 25 to 2626 (tests/helper_portmap).
# By default mxwitness does not follow 2626; with --port 2626 it does; with
# --any-port nDPI must recognise the connection as SMTP and the session must
# carry the same certificate as the truth says.
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
. tests/lib.sh
BIN=${MXW_BIN:-$top/build/mxwitness}
MAP=${MXW_BUILD_DIR:-$top/build}/tests/helper_portmap
mk_tmpdir
jq_or_skip any-port
want=$(tr '\t' '\n' <pcaps/clean-tls12.truth | sed -n 's/^cert_sha256=//p' | head -n 1)
"$MAP" pcaps/clean-tls12.pcap "$tmp/moved.pcap" 25 2626 || { fail any-port "helper_portmap failed"; exit 0; }
for opts in "" "--port 2626" "--any-port"; do
    # shellcheck disable=SC2086
    got=$("$BIN" --json $opts -r "$tmp/moved.pcap" |
        jq -r 'select(.event.dataset == "mxwitness.session") | "\(.destination.port) \(.tls.server.hash.sha256)"')
    case $opts in
    "") exp="" ;;
    *) exp="2626 $want" ;;
    esac
    name=any-port-$(echo "${opts:-default}" | tr -d ' -')
    if [ "$got" = "$exp" ]; then pass "$name"; else fail "$name" "got [$got], expected [$exp]"; fi
done
exit 0

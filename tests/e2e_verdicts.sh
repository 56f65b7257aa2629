#!/bin/sh
# e2e_verdicts.sh - findings, expectations, trust and the exit status.
#
# Part 1, on the recorded captures in pcaps/ (always run):
#   exit      the exit status follows --fail-on (default high), with the
#             sessions the capture's truth counts reported; 2 with a
#             message naming the culprit for a bad --expect, a bad line of an
#             --expect-file, a missing --ca-file, a bad --fail-on or --at
#   at        --at moves the judgement: the clean certificate judged after
#             its notAfter is EXPIRED, before its notBefore NOT_YET_VALID
#   expect    every pin kind against the appliance capture: the real
#             certificate's sha256/spki/pem/name/issuer pins hold inside and
#             fail outside (CERT_MISMATCH, critical, naming both
#             fingerprints); pins for another server do not apply (the
#             session is still reported, with its truth's other findings)
#   changed   the same server presenting two certificates in one input gives
#             CERT_CHANGED on the later session, naming both
#   reports   the text verdict line and matrix, and the JSON summary object
#
# Part 2, the third-party captures (skipped without ../shared/pcaps), one row
# per capture: what it must give and why (the reference it agrees with).
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
. tests/lib.sh
BIN=${MXW_BIN:-$top/build/mxwitness}
mk_tmpdir

jq_or_skip verdicts
P=$top/pcaps
CA="--ca-file $P/certs/test-root-ca.pem"

# codes FILE [SESSION_FILTER]: the sorted finding codes of the session
# objects in FILE, one line per session ("-" for none)
codes() {
    jq -r "select(.event.dataset == \"mxwitness.session\") ${2:+| select($2)} |
           [.findings[].code] | sort | if length == 0 then \"-\" else join(\",\") end" "$1"
}

# truth KEY CAPTURE: the value of KEY in the first session line of the
# capture's truth file (pcaps/NAME.truth beside pcaps/NAME.pcap)
truth() {
    grep '^session' "${2%.pcap}.truth" | head -n 1 | tr '\t' '\n' | sed -n "s/^$1=//p"
}

# truth_sessions CAPTURE: how many sessions its truth file counts
truth_sessions() {
    grep '^session' "${1%.pcap}.truth" | tr '\t' '\n' | sed -n 's/^count=//p' |
        awk '{ n += $1 } END { print n + 0 }'
}

# sessions FILE: the number of session objects in the JSON lines of FILE
sessions() {
    jq -s '[.[] | select(.event.dataset == "mxwitness.session")] | length' "$1" 2>/dev/null
}

# run NAME WANT_RC ARGS...: run mxwitness --json ARGS, check its exit status
# and that it reported as many sessions as the truth of the capture (the
# argument after -r) counts: a status alone would also come from a binary
# that reads nothing
run() {
    _n=$1 _want=$2
    shift 2
    _cap="" _prev=""
    for _a in "$@"; do
        [ "$_prev" = -r ] && _cap=$_a
        _prev=$_a
    done
    "$BIN" --json "$@" >"$tmp/out" 2>"$tmp/err"
    _rc=$?
    _sw=$(truth_sessions "$_cap") _sg=$(sessions "$tmp/out")
    if [ "$_rc" != "$_want" ]; then
        fail "$_n" "exit $_rc, want $_want: $* ($(head -c 200 "$tmp/err"))"
    elif [ "$_sg" != "$_sw" ]; then
        fail "$_n" "${_sg:-no valid JSON, 0} session(s) reported, the truth of $_cap has $_sw: $*"
    else
        pass "$_n"
    fi
}

# ------------------------------------------------------------------ exit
# shellcheck disable=SC2086
{
run exit-clean-0 0 $CA -r "$P/clean-tls12.pcap"
run exit-selfsigned-1 1 $CA -r "$P/appliance-outside.pcap"
run exit-fail-on-critical-0 0 $CA --fail-on critical -r "$P/appliance-outside.pcap"
run exit-fail-on-critical-mismatch-1 1 $CA --fail-on critical \
    --expect "mail.example.test=pem:$P/certs/appliance-inside.pem" -r "$P/appliance-outside.pcap"
run exit-medium-below-default-0 0 $CA -r "$P/starttls-not-offered.pcap"
run exit-fail-on-medium-1 1 $CA --fail-on medium -r "$P/starttls-not-offered.pcap"
run exit-info-hidden-0 0 $CA -r "$P/starttls-tls13.pcap"
run exit-fail-on-info-1 1 $CA --fail-on info -r "$P/starttls-tls13.pcap"
}

usage_err() {  # NAME PATTERN ARGS...: exit 2, stderr names PATTERN
    _n=$1 _pat=$2
    shift 2
    "$BIN" "$@" >"$tmp/out" 2>"$tmp/err"
    _rc=$?
    if [ "$_rc" = 2 ] && grep -q -- "$_pat" "$tmp/err"; then
        pass "$_n"
    else
        fail "$_n" "exit $_rc, want 2 with '$_pat' on stderr; got: $(head -c 200 "$tmp/err")"
    fi
}
usage_err usage-bad-sha256 "sha256" --expect "mail.example.test=sha256:12" -r "$P/clean-tls12.pcap"
usage_err usage-bad-kind "sha1" --expect "sha1:0011" -r "$P/clean-tls12.pcap"
printf '# expectations\nmail.example.test=name:mail.example.test\n\nmail.example.test=bogus:1\n' >"$tmp/bad.conf"
usage_err usage-expect-file-line "bad.conf:4" --expect-file "$tmp/bad.conf" -r "$P/clean-tls12.pcap"
usage_err usage-expect-file-missing "nonexistent.conf" --expect-file "$tmp/nonexistent.conf" -r "$P/clean-tls12.pcap"
usage_err usage-pem-missing "nope.pem" --expect "pem:$tmp/nope.pem" -r "$P/clean-tls12.pcap"
usage_err usage-ca-file-missing "nope-ca.pem" --ca-file "$tmp/nope-ca.pem" -r "$P/clean-tls12.pcap"
usage_err usage-fail-on "fail-on" --fail-on severe -r "$P/clean-tls12.pcap"
usage_err usage-at "at" --at "yesterday" -r "$P/clean-tls12.pcap"

# ------------------------------------------------------------------ at
# shellcheck disable=SC2086
"$BIN" --json $CA --at 2040-01-01 -r "$P/clean-tls12.pcap" >"$tmp/at.json" 2>"$tmp/err"
got=$(codes "$tmp/at.json")
case $got in *EXPIRED*) pass at-after-expiry ;; *) fail at-after-expiry "got $got" ;; esac
# shellcheck disable=SC2086
"$BIN" --json $CA --at 2001-01-01T00:00:00Z -r "$P/clean-tls12.pcap" >"$tmp/at.json" 2>"$tmp/err"
got=$(codes "$tmp/at.json")
case $got in *NOT_YET_VALID*) pass at-before-validity ;; *) fail at-before-validity "got $got" ;; esac
# @SECONDS: the session's own capture time given explicitly judges as the
# default does (nothing wrong with the clean capture then)
# shellcheck disable=SC2086
ts=$("$BIN" --json $CA -r "$P/clean-tls12.pcap" | jq -r 'select(.event.dataset == "mxwitness.session") | .["@timestamp"]' | cut -c1-19)
ts_s=$(date -u -d "${ts}Z" +%s 2>/dev/null)
if [ -n "$ts_s" ]; then
    # shellcheck disable=SC2086
    "$BIN" --json $CA --at "@$ts_s" -r "$P/clean-tls12.pcap" >"$tmp/at.json" 2>"$tmp/err"
    got=$(codes "$tmp/at.json")
    if [ "$got" = "-" ]; then pass at-epoch-capture-time; else fail at-epoch-capture-time "got $got"; fi
else
    skip at-epoch-capture-time "date -d cannot read $ts"
fi

# ------------------------------------------------------------------ expect
fp() { openssl x509 -in "$1" -outform DER | sha256sum | cut -d' ' -f1; }
spki() { openssl x509 -in "$1" -noout -pubkey | openssl pkey -pubin -outform DER | sha256sum | cut -d' ' -f1; }
real=$P/certs/appliance-inside.pem
sha=$(fp "$real")
spk=$(spki "$real")
colons=$(echo "$sha" | tr a-f A-F | sed 's/../&:/g; s/:$//')
for pin in "sha256:$sha" "sha256:$colons" "spki:$spk" "pem:$real" "name:mail.example.test" \
           "issuer:mxwitness Test Intermediate"; do
    tag=$(echo "$pin" | cut -d: -f1)
    [ "$pin" = "sha256:$colons" ] && tag=sha256-colons
    bad=""
    for where in inside outside; do
        # shellcheck disable=SC2086
        "$BIN" --json $CA --expect "mail.example.test=$pin" -r "$P/appliance-$where.pcap" >"$tmp/e.json" 2>"$tmp/err"
        got=$(codes "$tmp/e.json" ".tls.server.hash.sha256 == \"$(truth cert_sha256 "$P/appliance-$where.pcap")\"")
        case $where:$got in
        *:) bad="$bad no $where session with the certificate its truth names;" ;;
        inside:*CERT_MISMATCH*) bad="$bad inside gave CERT_MISMATCH;" ;;
        outside:*CERT_MISMATCH*) ;;
        outside:*) bad="$bad outside did not give CERT_MISMATCH ($got);" ;;
        esac
    done
    msg=$(jq -r 'select(.event.dataset == "mxwitness.session") | .findings[] | select(.code == "CERT_MISMATCH") | .severity + " " + .message' "$tmp/e.json")
    case $msg in "critical presented sha256:FDC16EA0"*barracuda.local*) ;;
                 *) bad="$bad message: $msg;" ;; esac
    if [ -z "$bad" ]; then pass "expect-$tag"; else fail "expect-$tag" "$bad"; fi
done
# scopes: the server's address and address:port apply, another server's do not
for spec in "203.0.113.25=sha256:$sha" "203.0.113.25:25=sha256:$sha" "sha256:$sha"; do
    # shellcheck disable=SC2086
    "$BIN" --json $CA --expect "$spec" -r "$P/appliance-outside.pcap" >"$tmp/e.json" 2>"$tmp/err"
    case $(codes "$tmp/e.json") in *CERT_MISMATCH*) pass "expect-scope-${spec%%=*}" ;;
        *) fail "expect-scope-${spec%%=*}" "$spec did not apply" ;; esac
done
# A pin that does not apply, or that holds, leaves the outside session with
# the findings of its truth (made with a pin that fails) less CERT_MISMATCH:
# still exit 1 (they are high), the session still reported, with the
# certificate the truth names.
out_srv=$(truth server "$P/appliance-outside.pcap")
out_sha=$(truth cert_sha256 "$P/appliance-outside.pcap")
out_want=$(truth findings "$P/appliance-outside.pcap" | tr ',' '\n' | grep -v -x -e CERT_MISMATCH -e - | sort | paste -s -d , -)
# unpinned NAME RC: the checks above on $tmp/e.json; prints what is wrong
unpinned() {
    _u=""
    [ "$2" = 1 ] || _u="$_u exit $2, want 1 ($(head -c 200 "$tmp/err"));"
    _g=$(codes "$tmp/e.json" ".destination.ip == \"$out_srv\" and .tls.server.hash.sha256 == \"$out_sha\"")
    if [ -z "$_g" ]; then
        _u="$_u no session of $out_srv with certificate ${out_sha%"${out_sha#????????????????}"}...;"
    elif [ "$_g" != "$out_want" ]; then
        _u="$_u findings $_g, want $out_want;"
    fi
    if [ -z "$_u" ]; then pass "$1"; else fail "$1" "$_u"; fi
}
for spec in "192.0.2.99=sha256:$sha" "203.0.113.25:587=sha256:$sha" "other.example.test=sha256:$sha"; do
    # shellcheck disable=SC2086
    "$BIN" --json $CA --expect "$spec" -r "$P/appliance-outside.pcap" >"$tmp/e.json" 2>"$tmp/err"
    unpinned "expect-not-${spec%%=*}" $?
done
# several pins for one server: any of them (a renewal)
printf 'mail.example.test=sha256:%s  # the old one\nmail.example.test=pem:%s\n' \
    "$(fp "$P/certs/clean-tls12.pem")" "$P/certs/appliance-outside.pem" >"$tmp/renew.conf"
# shellcheck disable=SC2086
"$BIN" --json $CA --expect-file "$tmp/renew.conf" -r "$P/appliance-outside.pcap" >"$tmp/e.json" 2>"$tmp/err"
unpinned expect-any-of $?

# ------------------------------------------------------------------ changed
# clean-tls12 then wrong-hostname: the same server 198.51.100.25:25, two
# certificates, in one input (the second file appended without its header;
# both are Ethernet pcaps and recorded in that order)
if [ "$(head -c 24 "$P/clean-tls12.pcap" | od -An -tx1)" = "$(head -c 24 "$P/wrong-hostname.pcap" | od -An -tx1)" ]; then
    { cat "$P/clean-tls12.pcap"; tail -c +25 "$P/wrong-hostname.pcap"; } >"$tmp/two.pcap"
    # shellcheck disable=SC2086
    "$BIN" --json $CA -r "$tmp/two.pcap" >"$tmp/c.json" 2>"$tmp/err"
    first=$(codes "$tmp/c.json" '.tls.server.x509.subject.common_name[0] == "mail.example.test"')
    second=$(jq -r 'select(.event.dataset == "mxwitness.session") | select(.tls.server.x509.subject.common_name[0] == "other.example.test") | .findings[] | select(.code == "CERT_CHANGED") | .message' "$tmp/c.json")
    sfind=$(jq -r 'select(.event.dataset == "mxwitness.summary") | [.mxwitness.findings[].code] | join(",")' "$tmp/c.json")
    clean=$(fp "$P/certs/clean-tls12.pem" | tr a-f A-F)
    other=$(fp "$P/certs/wrong-hostname.pem" | tr a-f A-F)
    case "$first|$second|$sfind" in
    "-|"*"$other"*"$clean"*"|"*CERT_CHANGED*) pass cert-changed ;;
    *) fail cert-changed "first: $first; second: $second; summary: $sfind" ;;
    esac
else
    fail cert-changed "clean-tls12.pcap and wrong-hostname.pcap headers differ"
fi

# ------------------------------------------------------------------ reports
# shellcheck disable=SC2086
"$BIN" $CA --expect "mail.example.test=pem:$real" -r "$P/appliance-outside.pcap" >"$tmp/t.txt" 2>"$tmp/err"
bad=""
grep -q "verdict  presented CN=barracuda.local.*self-signed.*certificate is not the expected one" "$tmp/t.txt" ||
    bad="$bad no verdict line;"
grep -q "checks   connect pass banner pass ehlo pass starttls pass tls pass certificate FAIL strength pass" "$tmp/t.txt" ||
    bad="$bad no matrix line;"
grep -q "^summary: 1 server, 1 session (1 with findings); findings: 1 critical, 2 high" "$tmp/t.txt" ||
    bad="$bad no final summary;"
if [ -z "$bad" ]; then pass report-text; else fail report-text "$bad $(tail -n 12 "$tmp/t.txt")"; fi
# shellcheck disable=SC2086
"$BIN" --json $CA --expect "mail.example.test=pem:$real" -r "$P/appliance-outside.pcap" >"$tmp/t.json" 2>"$tmp/err"
if jq -e -s 'map(select(.event.dataset == "mxwitness.summary")) | length == 1 and (.[0] |
          .mxwitness.worst_severity == "critical" and
          (.mxwitness.verdict | test("certificate is not the expected one")) and
          .mxwitness.check_counts.certificate.fail == 1 and .mxwitness.check_counts.tls.pass == 1 and
          ([.mxwitness.findings[].code] | sort == ["CERT_MISMATCH","NAME_MISMATCH","SELF_SIGNED"]))' \
          "$tmp/t.json" >/dev/null; then
    pass report-json-summary
else
    fail report-json-summary "$(grep summary "$tmp/t.json" | head -c 400)"
fi
if jq -e -s 'map(select(.event.dataset == "mxwitness.session")) | length == 1 and
          (.[0] | .mxwitness.checks.starttls == "pass" and
           (.findings | all(has("code") and has("severity") and has("message"))))' "$tmp/t.json" >/dev/null; then
    pass report-json-session
else
    fail report-json-session "$(head -c 400 "$tmp/t.json")"
fi

# -q: quiet when all is well (one line per clean server), findings in full
# shellcheck disable=SC2086
"$BIN" -q $CA -r "$P/many-sessions.pcap" >"$tmp/q.txt" 2>"$tmp/err"
rc=$?
lines=$(wc -l <"$tmp/q.txt")
if [ "$rc" = 0 ] && [ "$lines" = 4 ] && ! grep -q '^session' "$tmp/q.txt" &&
   [ "$(grep -c '20 sessions, 20 with TLS: presented CN=mail.example.test.* - no findings$' "$tmp/q.txt")" = 2 ]; then
    pass quiet-clean
else
    fail quiet-clean "exit $rc, $lines lines: $(cat "$tmp/q.txt")"
fi
# shellcheck disable=SC2086
"$BIN" -q $CA -r "$P/appliance-outside.pcap" >"$tmp/q.txt" 2>"$tmp/err"
rc=$?
if [ "$rc" = 1 ] && ! grep -q '^session' "$tmp/q.txt" && grep -q 'verdict  presented CN=barracuda.local' "$tmp/q.txt" &&
   grep -q 'HIGH     SELF_SIGNED            in 1 of 1 session' "$tmp/q.txt"; then
    pass quiet-findings
else
    fail quiet-findings "exit $rc: $(cat "$tmp/q.txt")"
fi

# ------------------------------------------------------------ third-party
shared_or_skip verdicts-shared
# row: NAME|CAPTURE|OPTIONS|SERVER|MUST (codes, all present)|MUST NOT|MESSAGE (substring of some message)|WHY
# The trust store is the system's (ca-certificates); the references named
# in WHY are Zeek's logs in the capture folder's expected/ and the captures'
# own certificates.
rows='expired|zeek/tls-expired-cert.pcap|--port 443|87.98.220.10|EXPIRED||valid until 2014-03-04T23:59:59Z|Zeek notice.log: SSL::Certificate_Expired for CN=www.spidh.org, expired at 2014-03-04 23:59:59
missing-intermediate|zeek/missing-intermediate.pcap|--port 443|128.32.169.140|UNTRUSTED_CHAIN||Starfield Secure Certificate Authority - G2|Zeek ssl-no-cache.log: unable to get local issuer certificate; the leaf names Starfield G2 as issuer, which the server does not send
missing-intermediate-other|zeek/missing-intermediate.pcap|--port 443|72.167.102.91||UNTRUSTED_CHAIN||Zeek ssl.log: ok (the server sends its whole chain)
dhe|zeek/dhe.pcap|--port 443|162.219.2.166|WEAK_KEY||DH group of 1024 bits|Zeek notice.log: SSL::Weak_Key, weak DH parameters with 1024 key bits
smtp-ssl|wireshark/smtp-ssl.pcapng||127.0.0.1|SELF_SIGNED||mail.example.com|the server certificate CN=mail.example.com,C=NL is its own issuer and verifies with its own key
ndpi-selfsigned|ndpi/selfsigned.pcap|--port 3001|127.0.0.1|SELF_SIGNED||O=ntop.org|nDPI selfsigned.pcap.out: TLS (self-signed); issuer = subject O=ntop.org'
n=0
echo "$rows" | while IFS='|' read -r name cap opts server must mustnot msg why; do
    # shellcheck disable=SC2086
    run_capture "verdicts-$name" "$shared/$cap" "$tmp/v.json" $opts || continue
    sel=".destination.ip == \"$server\""
    got=$(codes "$tmp/v.json" "$sel" | tr '\n' ' ')
    bad=""
    [ -n "$got" ] || bad="$bad no session to $server;"
    for c in $(echo "$must" | tr ',' ' '); do
        for g in $got; do case ",$g," in *",$c,"*) ;; *) bad="$bad a session lacks $c ($g);" ;; esac; done
    done
    for c in $(echo "$mustnot" | tr ',' ' '); do
        case " $got " in *"$c"*) bad="$bad $c found ($got);" ;; esac
    done
    if [ -n "$msg" ] && ! jq -r "select(.event.dataset == \"mxwitness.session\") | select($sel) | .findings[].message" "$tmp/v.json" | grep -qF "$msg"; then
        bad="$bad no message names '$msg';"
    fi
    if [ -z "$bad" ]; then pass "verdicts-$name" "$why"; else fail "verdicts-$name" "$bad"; fi
done

# The Google chain in smtp-starttls.pcap verifies at its capture time with
# its top certificate (GeoTrust Global CA, itself an intermediate under
# Equifax) as the only anchor: OpenSSL's partial-chain mode.  Judged after
# the leaf's notAfter (--at), it is EXPIRED.  The session checked is the
# one Zeek's ssl.log names: its server and its chain of fingerprints.
f=$shared/zeek/smtp-starttls.pcap
mkdir -p "$tmp/gc"
"$BIN" --json --certs "$tmp/gc" -r "$f" >"$tmp/g.json" 2>"$tmp/err"
top_fp=$(jq -r 'select(.event.dataset == "mxwitness.session") | .tls.server.certificate_chain_sha256[-1]' "$tmp/g.json" | head -n 1)
# Zeek's ssl.log of the capture: the server (id.resp_h) and its chain
# (cert_chain_fps, leaf first)
zlog=$shared/zeek/expected/smtp-starttls.pcap.ssl.log
zeek_col() {
    awk -F '\t' -v c="$1" '$1 == "#fields" { for (i = 2; i <= NF; i++) if ($i == c) k = i - 1; next }
        /^#/ { next } k { print $k; exit }' "$zlog" 2>/dev/null
}
g_srv=$(zeek_col id.resp_h)
g_chain=$(zeek_col cert_chain_fps | tr a-f A-F)
if [ -z "$g_srv" ] || [ -z "$g_chain" ]; then
    fail verdicts-google-anchor "no server or chain in $zlog"
elif [ -f "$tmp/gc/$top_fp.pem" ]; then
    "$BIN" --json --ca-file "$tmp/gc/$top_fp.pem" -r "$f" >"$tmp/g.json" 2>"$tmp/err"
    rc=$?
    sel=".destination.ip == \"$g_srv\" and (.tls.server.certificate_chain_sha256 | join(\",\")) == \"$g_chain\""
    got=$(codes "$tmp/g.json" "$sel")
    cert=$(jq -r "select(.event.dataset == \"mxwitness.session\") | select($sel) | .mxwitness.checks.certificate" "$tmp/g.json")
    # with the chain verified, what is left is below high: exit 0
    case "$rc|$cert|$got" in
    *UNTRUSTED_CHAIN*|*EXPIRED*|*SELF_SIGNED*|*NAME_MISMATCH*|"$rc||") fail verdicts-google-anchor "exit $rc, certificate check [$cert], findings [$got] of the session to $g_srv with Zeek's chain" ;;
    "0|pass|"?*) pass verdicts-google-anchor "verifies at 2014 capture time with the top certificate as anchor" ;;
    *) fail verdicts-google-anchor "exit $rc, certificate check [$cert], findings [$got] (want exit 0, pass)" ;;
    esac
    "$BIN" --json --ca-file "$tmp/gc/$top_fp.pem" --at 2015-01-01 -r "$f" >"$tmp/g.json" 2>"$tmp/err"
    got=$(codes "$tmp/g.json")
    case $got in *EXPIRED*) pass verdicts-google-at "EXPIRED when judged at 2015-01-01" ;;
        *) fail verdicts-google-at "got $got" ;; esac
    # without the anchor, today's system store no longer holds Equifax
    "$BIN" --json -r "$f" >"$tmp/g.json" 2>"$tmp/err"
    case $(codes "$tmp/g.json") in *UNTRUSTED_CHAIN*) pass verdicts-google-no-anchor ;;
        *) fail verdicts-google-no-anchor "got $(codes "$tmp/g.json")" ;; esac
else
    fail verdicts-google-anchor "top certificate $top_fp was not exported"
fi
exit 0

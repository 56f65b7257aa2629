#!/bin/sh
# e2e_outputs.sh - the evidence outputs on the project's own captures:
#   --certs      one PEM per presented certificate, named by the SHA-256 of
#                its DER, which must be what the truth file and
#                pcaps/certs/*.pem say
#   --transcript the dialogue line by line; the message content (the
#                "Subject: mxwitness test ..." header swaks sent) never
#                appears, a placeholder does
#   --redact     MAIL FROM / RCPT TO addresses hidden
#   an alert level TLS does not define, in the text report, the JSON, the
#                finding and the transcript: "level-7" in all four
#   a capture of a link type mxwitness cannot decode: exit 2, naming it
#   the text answers first: from files, the per-server answer (the worst
#                server first, with its hop conclusion) comes before the
#                session blocks, and every block still follows it
#   --json certificate lines: each distinct certificate of both sides once,
#                with the PEM of pcaps/certs (and its SHA-256 by openssl),
#                before the first session line naming it, which carries
#                the chain's SHA-256s and no PEM; each client fingerprint's
#                raw forms (JA3 string, JA4_r) once, in a
#                mxwitness.fingerprint line whose JA3 string has the MD5
#                (md5sum) the sessions name; --json-chains puts the PEMs and
#                the raw forms back into every session line and writes
#                neither kind of line
#   --threads 2  the analysis on its own thread writes exactly what one
#                thread writes (JSON, text and --transcript, status alike)
#                on every capture in pcaps/, merged as two points too; a
#                thread that cannot be started (its stack refused by a
#                limit on the address space) is said, and the run is the
#                one thread's; --stats says what was handed over to the
#                thread and the CPU time of each of the two
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
. tests/lib.sh
BIN=${MXW_BIN:-$top/build/mxwitness}
mk_tmpdir

# --certs
"$BIN" --certs "$tmp/certs" -r pcaps/clean-tls12.pcap -r pcaps/mutual-tls.pcap >/dev/null 2>"$tmp/err"
bad=""
for pem in pcaps/certs/clean-tls12.pem pcaps/certs/test-intermediate-ca.pem pcaps/certs/mutual-tls.pem \
           pcaps/certs/mutual-tls-client.pem; do
    fp=$(openssl x509 -in "$pem" -outform DER 2>/dev/null | sha256sum | cut -d' ' -f1 | tr a-f A-F)
    if [ ! -f "$tmp/certs/$fp.pem" ]; then
        bad="$bad $pem not written as $fp.pem;"
    elif [ "$(openssl x509 -in "$tmp/certs/$fp.pem" -outform DER | sha256sum | cut -d' ' -f1 | tr a-f A-F)" != "$fp" ]; then
        bad="$bad $fp.pem does not hold that certificate;"
    fi
done
n=$(ls "$tmp/certs" | wc -l)
[ "$n" = 4 ] || bad="$bad $n files written, expected 4 (2 server leaves, their intermediate once, 1 client certificate);"
if ! command -v openssl >/dev/null 2>&1; then
    skip certs-export "the openssl command is not installed"
elif [ -z "$bad" ]; then pass certs-export; else fail certs-export "$bad"; fi

# --transcript: content never shown
"$BIN" --transcript -r pcaps/starttls-not-offered.pcap >"$tmp/t" 2>&1
if grep -q "Subject: mxwitness test" "$tmp/t"; then
    fail transcript-content "message content appears in the transcript"
elif ! grep -q "C: \[message content omitted: [0-9]* bytes\]" "$tmp/t"; then
    fail transcript-content "no content placeholder"
elif ! grep -q "C: MAIL FROM:<sender@example.org>" "$tmp/t" || ! grep -q "S: 354 " "$tmp/t"; then
    fail transcript-content "dialogue lines missing"
else
    pass transcript-content
fi

# --redact
"$BIN" --transcript --redact -r pcaps/starttls-not-offered.pcap >"$tmp/r" 2>&1
if grep -q "sender@example.org\|postmaster@example.test" "$tmp/r"; then
    fail transcript-redact "an address survived --redact"
elif ! grep -q "C: MAIL FROM:\[redacted\]" "$tmp/r"; then
    fail transcript-redact "no [redacted] marker"
else
    pass transcript-redact
fi

# an unknown alert level: client-alert.pcap with its one alert record
# (15 03 03 00 02, level 2, unknown_ca 0x30 at offset 3972) at level 7; no
# checksum is verified, so the byte is all that changes
cp pcaps/client-alert.pcap "$tmp/level7.pcap"
rec=$(od -An -tx1 -j3972 -N7 "$tmp/level7.pcap" | tr -d ' \n')
if [ "$rec" != 15030300020230 ]; then
    fail alert-level-unknown "pcaps/client-alert.pcap changed: $rec at offset 3972"
else
    printf '\007' | dd of="$tmp/level7.pcap" bs=1 seek=3977 conv=notrunc 2>/dev/null
    "$BIN" -r "$tmp/level7.pcap" >"$tmp/l7.txt" 2>&1
    "$BIN" --json -r "$tmp/level7.pcap" >"$tmp/l7.json" 2>&1
    "$BIN" --transcript -r "$tmp/level7.pcap" >"$tmp/l7.tr" 2>&1
    if ! grep -q "^  alert     client level-7 unknown_ca" "$tmp/l7.txt"; then
        fail alert-level-unknown "text report: $(grep alert "$tmp/l7.txt" | head -n 1)"
    elif ! grep -q "TLS_ALERT .*the client sent level-7 unknown_ca" "$tmp/l7.txt"; then
        fail alert-level-unknown "finding: $(grep TLS_ALERT "$tmp/l7.txt" | head -n 1)"
    elif ! grep -q '"level":"level-7","description":"unknown_ca"' "$tmp/l7.json"; then
        fail alert-level-unknown "JSON: $(grep -o '"alerts":[^]]*' "$tmp/l7.json" | head -n 1)"
    elif ! grep -q "C: \[tls\] alert level-7 unknown_ca" "$tmp/l7.tr"; then
        fail alert-level-unknown "transcript: $(grep 'tls\] alert' "$tmp/l7.tr" | head -n 1)"
    else
        pass alert-level-unknown
    fi
fi

# an unknown link type: a pcap header (LINKTYPE 147, user 0) and no packets
printf '\324\303\262\241\002\000\004\000\000\000\000\000\000\000\000\000\377\377\000\000\223\000\000\000' >"$tmp/dlt147.pcap"
"$BIN" -r "$tmp/dlt147.pcap" >/dev/null 2>"$tmp/err"
rc=$?
if [ "$rc" = 2 ] && grep -q "link type .*147.* not supported" "$tmp/err"; then
    pass unknown-link-type
else
    fail unknown-link-type "exit $rc: $(head -c 200 "$tmp/err")"
fi
# the answer first: the appliance's server (HIGH, its conclusion naming
# the hop) leads, the clean inner server after it, then the session blocks
"$BIN" -r pcaps/appliance-outside.pcap@outside -r pcaps/appliance-inside.pcap@inside \
    --ca-file pcaps/certs/test-root-ca.pem >"$tmp/ans" 2>"$tmp/err"
rc=$?
first=$(sed -n 1p "$tmp/ans")
l_high=$(grep -n '^  HIGH .*203\.0\.113\.25:25 at outside' "$tmp/ans" | head -1 | cut -d: -f1)
l_concl=$(grep -n '^ *certificate replaced between outside and inside: outside sees CN=barracuda\.local' "$tmp/ans" | head -1 | cut -d: -f1)
l_ok=$(grep -n '^  OK .*198\.51\.100\.25:25 at inside' "$tmp/ans" | head -1 | cut -d: -f1)
l_s1=$(grep -n '^session 1 ' "$tmp/ans" | head -1 | cut -d: -f1)
l_s2=$(grep -n '^session 2 ' "$tmp/ans" | head -1 | cut -d: -f1)
l_sum=$(grep -n '^summary: 2 servers, 2 sessions' "$tmp/ans" | head -1 | cut -d: -f1)
case "$first" in
answer:\ 2\ servers,\ 2\ sessions,\ 1\ delivery*) f_ok=1 ;;
*) f_ok= ;;
esac
if [ "$rc" = 1 ] && [ -n "$f_ok" ] && [ -n "$l_high" ] && [ -n "$l_concl" ] && [ -n "$l_ok" ] &&
   [ -n "$l_s1" ] && [ -n "$l_s2" ] && [ -n "$l_sum" ] &&
   [ "$l_high" -lt "$l_concl" ] && [ "$l_concl" -lt "$l_ok" ] && [ "$l_ok" -lt "$l_s1" ] &&
   [ "$l_s1" -lt "$l_s2" ] && [ "$l_s2" -lt "$l_sum" ]; then
    pass answer-first
else
    fail answer-first "exit $rc; first line '$first'; lines high=$l_high conclusion=$l_concl ok=$l_ok session1=$l_s1 session2=$l_s2 summary=$l_sum"
fi

# --json: each certificate's PEM once, in its own line
pem_one() { openssl x509 -in "$1" | tr -d '\n'; }
fp_one() { openssl x509 -in "$1" -outform DER | sha256sum | cut -d' ' -f1 | tr a-f A-F; }
if ! command -v jq >/dev/null 2>&1 || ! command -v openssl >/dev/null 2>&1; then
    skip json-certificates "jq or openssl is not installed (make test installs both)"
else
    "$BIN" --json -r pcaps/many-sessions.pcap -r pcaps/mutual-tls.pcap >"$tmp/c.json" 2>"$tmp/err"
    rc=$?
    bad=""
    for pem in pcaps/certs/many-sessions.pem pcaps/certs/test-intermediate-ca.pem \
               pcaps/certs/mutual-tls.pem pcaps/certs/mutual-tls-client.pem; do
        fp=$(fp_one "$pem")
        n=$(jq -r --arg f "$fp" 'select(.event.dataset == "mxwitness.certificate" and .file.hash.sha256 == $f) | .mxwitness.certificate.pem' "$tmp/c.json" | tr -d '\n')
        [ "$n" = "$(pem_one "$pem")" ] || bad="$bad $pem: not once with its PEM;"
        # its line comes before the first session that names it
        lc=$(jq -r --arg f "$fp" 'select(.event.dataset == "mxwitness.certificate" and .file.hash.sha256 == $f) | input_line_number' "$tmp/c.json" | head -n 1)
        ls=$(jq -r --arg f "$fp" 'select(.event.dataset == "mxwitness.session" and ((.tls.server.certificate_chain_sha256 // []) + (.tls.client.certificate_chain_sha256 // []) | index($f))) | input_line_number' "$tmp/c.json" | head -n 1)
        [ -n "$lc" ] && [ -n "$ls" ] && [ "$lc" -lt "$ls" ] || bad="$bad $pem: line $lc, first session line $ls;"
    done
    ncert=$(jq -r 'select(.event.dataset == "mxwitness.certificate") | .file.hash.sha256' "$tmp/c.json" | sort | uniq | wc -l)
    nlines=$(jq -r 'select(.event.dataset == "mxwitness.certificate") | .file.hash.sha256' "$tmp/c.json" | wc -l)
    nsess=$(jq -r 'select(.event.dataset == "mxwitness.session") | .mxwitness.session_id' "$tmp/c.json" | wc -l)
    withpem=$(jq -r 'select(.event.dataset == "mxwitness.session" and (.tls.server.certificate_chain != null or .tls.client.certificate_chain != null)) | 1' "$tmp/c.json" | wc -l)
    [ "$ncert" = 4 ] && [ "$nlines" = 4 ] || bad="$bad $nlines certificate lines of $ncert certificates (expected 4 once each);"
    [ "$nsess" = 41 ] || bad="$bad $nsess session lines (40 + 1);"
    [ "$withpem" = 0 ] || bad="$bad $withpem session lines with PEM;"
    # the fingerprints: one line per distinct one, its JA3 string hashing
    # to the JA3 the sessions carry; no raw form in a session line
    jq -r 'select(.event.dataset == "mxwitness.session") | .tls.client.ja3' "$tmp/c.json" | sort -u >"$tmp/ja3.s"
    jq -r 'select(.event.dataset == "mxwitness.fingerprint") | .mxwitness.fingerprint.ja3' "$tmp/c.json" | sort >"$tmp/ja3.f"
    jq -r 'select(.event.dataset == "mxwitness.fingerprint") | .mxwitness.fingerprint.ja3_string' "$tmp/c.json" |
        while IFS= read -r x; do printf '%s' "$x" | md5sum | cut -d' ' -f1; done | sort >"$tmp/ja3.m"
    raw=$(jq -r 'select(.event.dataset == "mxwitness.session" and (.tls.client.ja3_string != null or .tls.client.ja4_r != null)) | 1' "$tmp/c.json" | wc -l)
    [ -s "$tmp/ja3.s" ] && cmp -s "$tmp/ja3.s" "$tmp/ja3.f" && cmp -s "$tmp/ja3.f" "$tmp/ja3.m" ||
        bad="$bad fingerprint lines ($(tr '\n' ' ' <"$tmp/ja3.f")) against the sessions' JA3 ($(tr '\n' ' ' <"$tmp/ja3.s")), md5 of their strings ($(tr '\n' ' ' <"$tmp/ja3.m"));"
    [ "$raw" = 0 ] || bad="$bad $raw session lines with a raw fingerprint;"
    "$BIN" --json-chains -r pcaps/many-sessions.pcap -r pcaps/mutual-tls.pcap >"$tmp/cc.json" 2>>"$tmp/err"
    rc2=$?
    full=$(jq -r 'select(.event.dataset == "mxwitness.session" and (.tls.server.certificate_chain | length) == 2) | 1' "$tmp/cc.json" | wc -l)
    clines=$(jq -r 'select(.event.dataset == "mxwitness.certificate" or .event.dataset == "mxwitness.fingerprint") | 1' "$tmp/cc.json" | wc -l)
    rawc=$(jq -r 'select(.event.dataset == "mxwitness.session" and .tls.client.ja3_string != null and .tls.client.ja4_r != null) | 1' "$tmp/cc.json" | wc -l)
    leaf=$(jq -r -s '[.[] | select(.event.dataset == "mxwitness.session" and .observer.name == "many-sessions.pcap")][0].tls.server.certificate_chain[0]' "$tmp/cc.json" | tr -d '\n')
    [ "$full" = 41 ] && [ "$clines" = 0 ] && [ "$rawc" = 41 ] ||
        bad="$bad --json-chains: $full lines with both PEMs, $rawc with raw fingerprints, $clines certificate or fingerprint lines;"
    [ "$leaf" = "$(pem_one pcaps/certs/many-sessions.pem)" ] || bad="$bad --json-chains: the leaf PEM differs;"
    if [ "$rc" != 2 ] && [ "$rc2" != 2 ] && [ -z "$bad" ]; then
        pass json-certificates "4 certificates once for 41 sessions; --json-chains in every line"
    else
        fail json-certificates "exit $rc/$rc2:$bad $(head -c 200 "$tmp/err")"
    fi
fi

# --threads 2 against --threads 1: the same bytes and status, never empty
bad=""
n=0
for f in pcaps/*.pcap pcaps/*.pcapng "pcaps/appliance-outside.pcap pcaps/appliance-inside.pcap"; do
    args=""
    for x in $f; do [ -f "$x" ] && args="$args -r $x"; done
    [ -n "$args" ] || continue
    for mode in --json "" --transcript; do
        # shellcheck disable=SC2086  # $mode and $args are word lists
        "$BIN" --threads 1 $mode $args >"$tmp/t1" 2>"$tmp/t1.err"
        r1=$?
        # shellcheck disable=SC2086
        "$BIN" --threads 2 $mode $args >"$tmp/t2" 2>"$tmp/t2.err"
        r2=$?
        n=$((n + 1))
        if [ "$r1" != "$r2" ] || [ "$r2" -ge 2 ] || [ ! -s "$tmp/t2" ] || ! cmp -s "$tmp/t1" "$tmp/t2" ||
            ! cmp -s "$tmp/t1.err" "$tmp/t2.err"; then
            bad="$bad $f ${mode:-text}: exit $r1/$r2, $(wc -c <"$tmp/t1")/$(wc -c <"$tmp/t2") bytes;"
        fi
    done
done
if [ -z "$bad" ] && [ "$n" -gt 30 ]; then
    pass threads-same-output "$n runs: --threads 2 wrote what --threads 1 wrote"
else
    fail threads-same-output "$n runs:$bad $(head -c 200 "$tmp/t2.err")"
fi
# Two capture points with many more deliveries than the analysis queue
# holds (256): the packet side pairs them while the analysis thread writes them
# (report.c put_delivery); the same bytes as one thread, one hops line per
# delivery, every one paired.
BUILD=${MXW_BUILD_DIR:-$top/build}
if "$BUILD/bench/gen" -q -o "$tmp/deliv.pcap" --sessions 2500 pcaps/many-sessions.pcap; then
    "$BIN" --threads 1 --json -r "$tmp/deliv.pcap@a" -r "$tmp/deliv.pcap@b" >"$tmp/d1" 2>"$tmp/d1.err"
    r1=$?
    "$BIN" --threads 2 --json -r "$tmp/deliv.pcap@a" -r "$tmp/deliv.pcap@b" >"$tmp/d2" 2>"$tmp/d2.err"
    r2=$?
    hops=$(grep -c '"dataset":"mxwitness.hops"' "$tmp/d2")
    paired=$(grep '"dataset":"mxwitness.hops"' "$tmp/d2" | grep -c '"confidence":[1-9]')
    if [ "$r1" = "$r2" ] && [ "$r2" -lt 2 ] && cmp -s "$tmp/d1" "$tmp/d2" &&
        cmp -s "$tmp/d1.err" "$tmp/d2.err" && [ "$hops" -ge 2500 ] && [ "$paired" = "$hops" ]; then
        pass threads-deliveries "$hops deliveries of two points, all paired: --threads 2 wrote what --threads 1 wrote"
    else
        fail threads-deliveries "exit $r1/$r2, $hops hops lines, $paired paired, $(wc -c <"$tmp/d1")/$(wc -c <"$tmp/d2") bytes; $(head -c 200 "$tmp/d2.err")"
    fi
else
    fail threads-deliveries "bench/gen could not write the capture"
fi

# --stats with the thread: what was handed over, and each thread's CPU time
f=pcaps/many-sessions.pcap
"$BIN" --threads 2 --stats --json -r "$f" >"$tmp/s2" 2>"$tmp/s2.err"
r2=$?
"$BIN" --threads 1 --stats --json -r "$f" >"$tmp/s1" 2>"$tmp/s1.err"
r1=$?
line=$(grep '^analysis thread: ' "$tmp/s2.err")
recs=$(printf '%s\n' "$line" | sed -n 's/^analysis thread: \([0-9]*\) records handed over, the capture waited for it [0-9]* time(s); CPU time: capture thread \([0-9]*\.[0-9][0-9][0-9]\) s, analysis thread [0-9]*\.[0-9][0-9][0-9] s$/\1 \2/p')
if [ "$r2" -le 1 ] && [ "$r1" = "$r2" ] && [ -n "$recs" ] && [ "${recs%% *}" -ge 40 ] &&
   [ "${recs#* }" != 0.000 ] && ! grep -q '^analysis thread' "$tmp/s1.err" &&
   grep -q '^packets: ' "$tmp/s1.err"; then
    pass threads-stats "$line"
else
    fail threads-stats "exit $r1/$r2: [$line] [$recs]; one thread: $(grep -c '^analysis thread' "$tmp/s1.err") such lines"
fi
# the thread refused: a stack larger than the address space allowed (the
# main thread's grows on demand and is not reserved)
f=pcaps/many-sessions.pcap
if [ -n "${MXW_SANITIZED:-}" ]; then
    # ASan reserves terabytes of address space for its shadow: no limit fits
    skip threads-fallback "under ASan (an address-space limit stops the sanitizer first)"
    exit 0
fi
"$BIN" --threads 1 --json -r "$f" >"$tmp/t1" 2>/dev/null
r1=$?
(ulimit -s 4000000 && ulimit -v 3000000 && exec "$BIN" --threads 2 --json -r "$f") \
    >"$tmp/t2" 2>"$tmp/t2.err"
r2=$?
if [ "$r2" = "$r1" ] && [ -s "$tmp/t2" ] && cmp -s "$tmp/t1" "$tmp/t2" &&
    grep -q "warning: the analysis thread could not be started: analysing on the capture's thread" "$tmp/t2.err"; then
    pass threads-fallback "said, and the same $(wc -l <"$tmp/t2") lines on one thread"
elif (ulimit -s 4000000 && ulimit -v 3000000) 2>/dev/null; then
    fail threads-fallback "exit $r1/$r2, $(wc -c <"$tmp/t1")/$(wc -c <"$tmp/t2") bytes: $(head -c 300 "$tmp/t2.err")"
else
    skip threads-fallback "the shell cannot set the stack and address-space limits"
fi
exit 0

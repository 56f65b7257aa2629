#!/bin/sh
# e2e_hops.sh - several capture points: the appliance case recorded by
# pcaps/record.sh (sender -> appliance with its own self-signed
# certificate -> the real MTA), whose truth files hold the certificate
# each side presented.  The two captures given in path order pair into one
# delivery whose certificate changed between outside and inside, with the
# truth's fingerprints at each point; CERT_REPLACED is critical when the
# inner certificate is the expected one, high otherwise; the same
# conclusion comes from --from-json of two separate runs; every other
# scenario recorded at several points (TLS 1.3 without keys, a NAT router
# before the appliance, STARTTLS stripped or masked, a TCP balancer, two
# deliveries in the same second) gives the conclusions of its truth's hops
# lines, from pcaps and from JSON lines; a point that saw
# nothing of the delivery leaves it unpaired with the reason; a JSON line
# that cannot be used is a warning naming FILE:LINE.
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
. tests/lib.sh
BIN=${MXW_BIN:-$top/build/mxwitness}
jq_or_skip hops
mk_tmpdir

out=pcaps/appliance-outside.pcap
in=pcaps/appliance-inside.pcap
truth_field() { # truth_field FILE KEY: the value of KEY on the first session line
    awk -F'\t' -v k="$2" '$1 == "session" { for (i = 2; i <= NF; i++) if (index($i, k "=") == 1) { print substr($i, length(k) + 2); exit } }' "$1"
}
sha_out=$(truth_field pcaps/appliance-outside.truth cert_sha256)
sha_in=$(truth_field pcaps/appliance-inside.truth cert_sha256)
expect="--ca-file pcaps/certs/test-root-ca.pem --expect mail.example.test=pem:pcaps/certs/appliance-inside.pem"


# hops_summary FILE: one line per delivery:
#   certificate_changed_between  sha@outside  sha@inside  codes:severities
hops_summary() {
    jq -r 'select(.event.dataset == "mxwitness.hops") |
        [ (.hops.certificate_changed_between // ["-"] | join(">")),
          (.hops.points | map(.tls.server.hash.sha256 // "-") | join(" ")),
          (.findings | map(.code + ":" + .severity) | join(",")) ] | join(" ")' "$1"
}

# 1. two points in path order, with the expectation
if run_json two-points "$tmp/two" $expect -r "$out@outside" -r "$in@inside"; then
    got=$(hops_summary "$tmp/two")
    want="outside>inside $sha_out $sha_in CERT_REPLACED:critical"
    if [ -n "$sha_out" ] && [ -n "$sha_in" ] && [ "$got" = "$want" ] && [ "$(cat "$tmp/two.rc")" = 1 ]; then
        pass two-points "$got"
    else
        fail two-points "want [$want] exit 1, got [$got] exit $(cat "$tmp/two.rc")"
    fi
    # the sender-side server's summary leads with the conclusion
    c=$(jq -r 'select(.event.dataset == "mxwitness.summary" and .observer.name == "outside") | .mxwitness.conclusion' "$tmp/two")
    case $c in
        "certificate replaced between outside and inside: outside sees CN=barracuda.local"*"$sha_out"*"inside sees the expected CN=mail.example.test"*"$sha_in"*)
            pass summary-conclusion ;;
        *) fail summary-conclusion "got '$c'" ;;
    esac
fi

# 2. without an expectation the replacement is high, not critical
if run_json no-expectation "$tmp/noexp" -r "$out@outside" -r "$in@inside"; then
    got=$(hops_summary "$tmp/noexp")
    want="outside>inside $sha_out $sha_in CERT_REPLACED:high"
    if [ "$got" = "$want" ]; then pass no-expectation; else fail no-expectation "want [$want], got [$got]"; fi
fi

# 3. the same from JSON lines of two separate runs
if run_json json-outside "$tmp/o.json" $expect -r "$out" &&
   run_json json-inside "$tmp/i.json" $expect -r "$in" &&
   run_json from-json "$tmp/fj" --from-json "$tmp/o.json@outside" --from-json "$tmp/i.json@inside"; then
    a=$(hops_summary "$tmp/two")
    b=$(hops_summary "$tmp/fj")
    if [ -n "$b" ] && [ "$a" = "$b" ] && [ "$(cat "$tmp/fj.rc")" = 1 ] &&
       [ "$(jq -c 'select(.event.dataset == "mxwitness.hops") | [.hops.confidence, .hops.reason]' "$tmp/two")" = \
         "$(jq -c 'select(.event.dataset == "mxwitness.hops") | [.hops.confidence, .hops.reason]' "$tmp/fj")" ]; then
        pass from-json-same "$b"
    else
        fail from-json-same "pcaps [$a], JSON lines [$b], exit $(cat "$tmp/fj.rc")"
    fi
fi

# 4. JSON lines from standard input, labelled by their observer.name
if jq -c '.observer.name = "outside"' "$tmp/o.json" >"$tmp/o2.json" &&
   jq -c '.observer.name = "inside"' "$tmp/i.json" >"$tmp/i2.json" &&
   run_json from-json-stdin "$tmp/fs" --from-json - --from-json "$tmp/i2.json" <"$tmp/o2.json"; then
    got=$(hops_summary "$tmp/fs")
    want="outside>inside $sha_out $sha_in CERT_REPLACED:critical"
    if [ "$got" = "$want" ]; then pass from-json-stdin; else fail from-json-stdin "want [$want], got [$got]"; fi
fi

# 4b. the exit status of --from-json counts the findings the lines carry
# (the balancer changes nothing, so the hops have none; the sessions,
# judged without the scenario's CA, have UNTRUSTED_CHAIN, high), and
# --fail-on above them leaves it 0
bo=pcaps/balancer-outside.pcap bi=pcaps/balancer-inside.pcap
if run_json json-bo "$tmp/bo.json" -r "$bo" && run_json json-bi "$tmp/bi.json" -r "$bi"; then
    worst=$(jq -r 'select(.event.dataset == "mxwitness.session") | .findings[]?.severity' "$tmp/bo.json" "$tmp/bi.json" |
            grep -c '^high$')
    "$BIN" --from-json "$tmp/bo.json@outside" --from-json "$tmp/bi.json@inside" >"$tmp/fjb" 2>/dev/null
    rc1=$?
    "$BIN" --fail-on critical --from-json "$tmp/bo.json@outside" --from-json "$tmp/bi.json@inside" >/dev/null 2>&1
    rc2=$?
    hf=$(grep -c 'CERT_REPLACED\|STARTTLS_STRIPPED\|TLS_TERMINATOR_CHANGED' "$tmp/fjb")
    if [ "$worst" -gt 0 ] && [ "$rc1" = 1 ] && [ "$rc2" = 0 ] && [ "$hf" = 0 ] && [ -s "$tmp/fjb" ]; then
        pass from-json-exit "the lines' $worst high findings give exit 1 (0 with --fail-on critical)"
    else
        fail from-json-exit "$worst high findings in the lines; exit $rc1 (want 1), with --fail-on critical $rc2 (want 0); $hf hop findings"
    fi
fi

# 5. a point that saw nothing of it: unpaired, with why, and no replacement claimed
if run_json unpaired "$tmp/un" -r "$out@outside" -r pcaps/clean-tls12.pcap@inside; then
    n=$(jq -r 'select(.event.dataset == "mxwitness.hops") | select(.hops.confidence == 0) |
               .hops.reason' "$tmp/un" | grep -c "^seen at outside only: no session at inside began")
    r=$(jq -r 'select(.event.dataset == "mxwitness.hops") | .findings[].code' "$tmp/un" | grep -c CERT_REPLACED)
    s=$(jq -r 'select(.event.dataset == "mxwitness.session") | .observer.name' "$tmp/un" | sort | uniq -c | wc -l)
    if [ "$n" = 1 ] && [ "$r" = 0 ] && [ "$s" = 2 ]; then
        pass unpaired
    else
        fail unpaired "$n unpaired outside sessions with the reason (want 1), $r CERT_REPLACED (want 0), sessions at $s points (want 2)"
    fi
fi

# 6. a line that is not of mxwitness --json: a warning with FILE:LINE, the rest still read
{ head -n 1 "$tmp/o.json"; echo '{"event": {"dataset": "mxwitness.session"}, "source": {"port": "x"}}'; echo 'not json'; tail -n +2 "$tmp/o.json"; } >"$tmp/bad.json"
if run_json bad-line "$tmp/bl" --from-json "$tmp/bad.json@outside" --from-json "$tmp/i.json@inside"; then
    if grep -q "bad.json:2: source.port: not a port" "$tmp/bl.err" &&
       grep -q "bad.json:3: not JSON" "$tmp/bl.err" &&
       [ "$(hops_summary "$tmp/bl")" = "outside>inside $sha_out $sha_in CERT_REPLACED:critical" ]; then
        pass bad-line-warned
    else
        fail bad-line-warned "stderr: $(head -c 300 "$tmp/bl.err"); hops: $(hops_summary "$tmp/bl")"
    fi
fi

# 7. an unreadable --from-json is an input error
"$BIN" --from-json "$tmp/missing.json@x" -r "$out" >/dev/null 2>"$tmp/miss.err"
rc=$?
if [ "$rc" = 2 ] && grep -q "missing.json" "$tmp/miss.err"; then
    pass from-json-missing
else
    fail from-json-missing "exit $rc: $(head -c 200 "$tmp/miss.err")"
fi

# 8. text: the hop diagram and the conclusion line
"$BIN" $expect -r "$out@outside" -r "$in@inside" >"$tmp/text" 2>"$tmp/text.err"
rc=$?
if why=$(crash_report "$rc" "$tmp/text.err"); then
    fail text-diagram "crashed: $why"
elif [ "$rc" = 1 ] && grep -q "^   -> outside  .* > 203.0.113.25:25  banner barracuda.local" "$tmp/text" &&
     grep -q "^   -> inside   .* > 198.51.100.25:25  banner mail.example.test" "$tmp/text" &&
     grep -q "certificate CN=barracuda.local.*(self-signed), sha256 $sha_out" "$tmp/text" &&
     grep -q "^  CRITICAL CERT_REPLACED .*certificate replaced between outside and inside" "$tmp/text" &&
     grep -q "^    conclusion certificate replaced between outside and inside" "$tmp/text"; then
    pass text-diagram
else
    fail text-diagram "exit $rc: $(grep -E '^(   ->|  CRIT|    concl)' "$tmp/text")"
fi

# 10. every scenario recorded at several points (pcaps/*.truth with a
# `capture` line), against its truth `hops` lines: the points in path
# order pair into exactly the truth's deliveries (each named by its client
# address and port at each point), with the truth's *_between conclusions
# and finding codes, nothing claimed at a hop that only forwards; the text
# output's conclusion line; the same from --from-json of one --json run per
# point.
tf() { # tf LINE KEY: the value of KEY in a truth line
    printf '%s\n' "$1" | tr '\t' '\n' | sed -n "s/^$2=//p" | head -n 1
}
# delivery_view FILE: one line per paired delivery, sorted: each point's
# "name ip port", then the four *_between and the finding codes
delivery_view() {
    jq -r 'select(.event.dataset == "mxwitness.hops" and .hops.confidence > 0) |
        [ (.hops.points | map(select(.seen) | "\(.observer.name) \(.source.ip) \(.source.port)") | join(",")),
          (.hops.certificate_changed_between // ["-"] | join(",")),
          (.hops.terminator_changed_between // ["-"] | join(",")),
          (.hops.starttls_stripped_between // ["-"] | join(",")),
          (.hops.banner_changed_between // ["-"] | join(",")),
          ([.findings[].code] | sort | if length == 0 then "-" else join(",") end) ] | join("|")' "$1" | sort
}
scenarios=$(grep -h '^capture' pcaps/*.truth 2>/dev/null | tr '\t' '\n' | sed -n 's/^scenario=//p' | sort -u)
[ -n "$scenarios" ] || fail scenarios "no truth file in pcaps/ has a capture line"
for sc in $scenarios; do
    first=$(grep -l "^capture.*	position=1	.*scenario=$sc	" pcaps/*.truth | head -n 1)
    cap=$(grep '^capture' "$first")
    path=$(tf "$cap" path)
    ca=$(tf "$cap" ca)
    exp=$(tf "$(grep '^session' "$first" | head -n 1)" expect)
    opts="--ca-file $ca"
    [ "$exp" != "-" ] && opts="$opts --expect $exp"
    rs="" js=""
    for pt in $(echo "$path" | tr ',' ' '); do
        rs="$rs -r $sc-$pt.pcap@$pt"
        js="$js --from-json $tmp/$sc-$pt.json@$pt"
    done
    # the truth, in the same shape as delivery_view
    grep '^hops' "$first" | while IFS= read -r h; do
        printf '%s|%s|%s|%s|%s|%s\n' "$(tf "$h" sessions)" "$(tf "$h" certificate_changed_between)" \
            "$(tf "$h" terminator_changed_between)" "$(tf "$h" starttls_stripped_between)" \
            "$(tf "$h" banner_changed_between)" "$(tf "$h" findings)"
    done | sort >"$tmp/$sc.want"
    # shellcheck disable=SC2086
    if ! (cd pcaps && run_json "hops-$sc" "$tmp/$sc.pts" $opts $rs); then continue; fi
    delivery_view "$tmp/$sc.pts" >"$tmp/$sc.got"
    unp=$(jq -r 'select(.event.dataset == "mxwitness.hops" and .hops.confidence == 0) | .hops.reason' "$tmp/$sc.pts")
    if [ -s "$tmp/$sc.want" ] && cmp -s "$tmp/$sc.want" "$tmp/$sc.got" && [ -z "$unp" ]; then
        pass "hops-$sc" "$(wc -l <"$tmp/$sc.want") deliveries"
    else
        fail "hops-$sc" "want [$(tr '\n' ';' <"$tmp/$sc.want")] got [$(tr '\n' ';' <"$tmp/$sc.got")] unpaired [$unp]"
    fi
    # CERT_REPLACED is critical when the sender expected the inner certificate
    if grep -q CERT_REPLACED "$tmp/$sc.want"; then
        sev=$(jq -r 'select(.event.dataset == "mxwitness.hops") | .findings[] | select(.code == "CERT_REPLACED") | .severity' "$tmp/$sc.pts" | sort -u)
        want_sev=high
        [ "$exp" != "-" ] && want_sev=critical
        if [ "$sev" = "$want_sev" ]; then pass "hops-$sc-severity" "$sev"; else fail "hops-$sc-severity" "want $want_sev, got '$sev'"; fi
    fi
    # text: each conclusion of the truth in a conclusion line, none claimed otherwise
    # shellcheck disable=SC2086
    (cd pcaps && "$BIN" $opts $rs) >"$tmp/$sc.text" 2>"$tmp/$sc.text.err"
    rc=$?
    if why=$(crash_report "$rc" "$tmp/$sc.text.err"); then
        fail "hops-$sc-text" "crashed: $why"
    else
        bad=""
        concl=$(grep '^    conclusion ' "$tmp/$sc.text")
        for kind in certificate terminator starttls; do
            case $kind in
                certificate) col=2 words="certificate replaced between" ;;
                terminator) col=3 words="another box may terminate TLS between" ;;
                starttls) col=4 words="STARTTLS removed between" ;;
            esac
            hop=$(cut -d'|' -f$col "$tmp/$sc.want" | grep -v '^-$' | sort -u | sed 's/,/ and /')
            if [ -n "$hop" ]; then
                echo "$concl" | grep -q "$words $hop" || bad="$bad no conclusion '$words $hop';"
                grep -q "^   -> " "$tmp/$sc.text" || bad="$bad no hop diagram;"
            else
                echo "$concl" | grep -q "$words" && bad="$bad a conclusion '$words' the truth does not have;"
            fi
        done
        [ -n "$(grep -c '^delivery ' "$tmp/$sc.text" | grep -vx 0)" ] || bad="$bad no delivery in the text;"
        # a server's summary counts a code in at most all of its sessions, the
        # hops' findings included
        over=$(sed -n 's/^ *[A-Z]* *\([A-Z_]*\) *in \([0-9]*\) of \([0-9]*\) session.*$/\1 \2 \3/p' "$tmp/$sc.text" |
               awk '$2 > $3 { printf "%s in %s of %s; ", $1, $2, $3 }')
        [ -z "$over" ] || bad="$bad summary counts $over"
        grep -q ' in [0-9]* of [0-9]* session' "$tmp/$sc.text" || bad="$bad no summary counts;"
        if [ -z "$bad" ]; then pass "hops-$sc-text"; else fail "hops-$sc-text" "exit $rc:$bad"; fi
    fi
    # the same from JSON lines of separate runs, one per point
    ok=1
    for pt in $(echo "$path" | tr ',' ' '); do
        # shellcheck disable=SC2086
        (cd pcaps && run_json "hops-$sc-json-$pt" "$tmp/$sc-$pt.json" $opts -r "$sc-$pt.pcap") || ok=0
    done
    # shellcheck disable=SC2086
    [ "$ok" = 1 ] && run_json "hops-$sc-from-json" "$tmp/$sc.fj" $js || ok=0
    # the exit status is the one the captures gave: the findings of the
    # session lines count, as the hops' do
    want_rc=$(cat "$tmp/$sc.pts.rc")
    if [ "$ok" = 1 ]; then
        delivery_view "$tmp/$sc.fj" >"$tmp/$sc.fjgot"
        if [ -s "$tmp/$sc.fjgot" ] && cmp -s "$tmp/$sc.want" "$tmp/$sc.fjgot" &&
           [ "$(cat "$tmp/$sc.fj.rc")" = "$want_rc" ]; then
            pass "hops-$sc-from-json"
        else
            fail "hops-$sc-from-json" "want [$(tr '\n' ';' <"$tmp/$sc.want")] got [$(tr '\n' ';' <"$tmp/$sc.fjgot")], exit $(cat "$tmp/$sc.fj.rc"), want $want_rc"
        fi
    fi
done

# 11. the balancer: the other certificate is the backend's (198.51.100.26
# inside presents it to every delivery it serves, at both points), not a
# change at the balancer
if [ -f "$tmp/balancer.pts" ]; then
    b=$(sed -n 's/^.*cert_sha256=\([0-9A-F]*\)	.*$/\1/p' pcaps/balancer-inside.truth | sort -u | wc -l)
    got=$(jq -r 'select(.event.dataset == "mxwitness.hops") | .hops.points |
        "\(.[1].destination.ip) \(.[0].tls.server.hash.sha256 == .[1].tls.server.hash.sha256)"' "$tmp/balancer.pts" | sort | uniq -c | awk '{print $1, $2, $3}' | tr '\n' ';')
    mism=$(jq -r 'select(.event.dataset == "mxwitness.session" and .observer.name == "inside") |
        "\(.destination.ip) \([.findings[].code] | index("CERT_MISMATCH") != null)"' "$tmp/balancer.pts" | sort | uniq -c | awk '{print $1, $2, $3}' | tr '\n' ';')
    if [ "$b" = 2 ] && [ "$got" = "2 198.51.100.25 true;2 198.51.100.26 true;" ] &&
       [ "$mism" = "2 198.51.100.25 false;2 198.51.100.26 true;" ]; then
        pass balancer-backend "$mism"
    else
        fail balancer-backend "certificates $b, per backend same-at-both-points [$got], CERT_MISMATCH inside [$mism]"
    fi
fi

# 9. one point: no comparison at all
if run_json one-point "$tmp/one" -r "$out"; then
    if [ "$(jq -c 'select(.event.dataset == "mxwitness.hops")' "$tmp/one" | wc -l)" = 0 ] &&
       [ "$(jq -c 'select(.event.dataset == "mxwitness.session")' "$tmp/one" | wc -l)" = 1 ]; then
        pass one-point
    else
        fail one-point "hops lines from one point, or no session"
    fi
fi

#!/bin/sh
# e2e_pcaps.sh - mxwitness against the truth of every capture in pcaps/.
#
# The captures were recorded from real mail software by pcaps/record.sh, and
# each truth file was written by that script from the certificates it made
# and the scenario it ran: never from mxwitness's output.  A truth line is
# "session<TAB>key=value<TAB>...": `count` sessions from `client` to
# `server`:`port` with the facts given ("-" = not applicable).
#
# For each capture:
#   flows     --flows --json: as many TCP connections per client/server pair as
#             the truth says, all starting with a SYN, no bytes missing
#   sessions  --json: for each truth line, exactly `count` session objects
#             carrying every fact of the line (STARTTLS offered/requested and
#             its reply code, implicit TLS, TLS version, SNI, the leaf's
#             SHA-256, subject and issuer, chain length, the client
#             certificate, the certificate hidden by TLS 1.3, alerts, the
#             4.7.x reply, the HelloRetryRequest)
#   keyed     a line with a `keylog`: --json --keylog pcaps/KEYLOG, exactly
#             `count` sessions decrypted, the certificate no longer hidden:
#             the leaf's SHA-256, subject, issuer and chain length, the
#             client certificate and its chain length, and a 4.7.x/5.7.x
#             `reply` as SMTP_TLS_ERROR quoting it
#   findings  --json from pcaps/ with --ca-file certs/test-root-ca.pem (or the
#             CA of the capture's own scenario, its `capture` or `trust`
#             line's `ca`) and
#             the line's --expect: each session's finding codes are exactly
#             the line's `findings`, and the exit status is 1 exactly when one
#             of them is high or critical (the default --fail-on).  Sessions
#             are told apart by client, server, port, STARTTLS used and the
#             leaf's SHA-256 (a balanced address presents two certificates);
#             the truth lines sharing all of these list their findings once
#             per session, in any order
#   capture   a capture of several points (its `capture` line): the point
#             named in its file name, its place in the path, its CA present,
#             and a `hops` line for each delivery naming a session here
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
. tests/lib.sh
BIN=${MXW_BIN:-$top/build/mxwitness}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

jq_or_skip pcaps

# field LINE KEY -> the value of KEY in a truth line
field() {
    printf '%s\n' "$1" | tr '\t' '\n' | sed -n "s/^$2=//p" | head -n 1
}

# lit VALUE: VALUE as a JSON (and jq) string literal; subjects hold
# backslashes and quotes
lit() {
    jq -n --arg v "$1" '$v'
}

# cert_filter LINE: the server certificate of a line, as jq conditions
cert_filter() {
    printf ' and .tls.server.hash.sha256 == %s' "$(lit "$(field "$1" cert_sha256)")"
    printf ' and .tls.server.x509.subject.distinguished_name == %s' "$(lit "$(field "$1" cert_subject)")"
    printf ' and .tls.server.x509.issuer.distinguished_name == %s' "$(lit "$(field "$1" cert_issuer)")"
    _v=$(field "$1" chain_len)
    [ "$_v" != "-" ] && [ -n "$_v" ] && printf ' and .tls.server.certificate_chain_length == %s' "$_v"
}

# client_filter LINE: the client certificate of a line, when it has one
client_filter() {
    _v=$(field "$1" client_cert_sha256)
    [ "$_v" != "-" ] && [ -n "$_v" ] || return 0
    printf ' and .tls.client.hash.sha256 == %s' "$(lit "$_v")"
    printf ' and .tls.client.x509.subject.distinguished_name == %s' "$(lit "$(field "$1" client_cert_subject)")"
    _v=$(field "$1" client_chain_len)
    [ "$_v" != "-" ] && [ -n "$_v" ] && printf ' and .tls.client.certificate_chain_length == %s' "$_v"
}

# who_filter LINE: a jq expression for the session lines of a truth line's
# server, port and client
who_filter() {
    printf '.event.dataset == "mxwitness.session" and .destination.ip == "%s" and .destination.port == %s and .source.ip == "%s"' \
        "$(field "$1" server)" "$(field "$1" port)" "$(field "$1" client)"
}

# A jq boolean expression over one session object for one truth line.
session_filter() {
    line=$1
    f=$(who_filter "$line")
    v=$(field "$line" starttls_offered)
    case $v in yes) f="$f and .smtp.starttls.offered == true" ;;
               no) f="$f and .smtp.starttls.offered == false" ;; esac
    v=$(field "$line" starttls_used)
    case $v in yes) f="$f and .smtp.starttls.requested == true" ;;
               no) f="$f and .smtp.starttls.requested == false" ;; esac
    v=$(field "$line" starttls_reply)
    [ "$v" != "-" ] && [ -n "$v" ] && f="$f and ((.smtp.starttls.reply // \"\") | startswith(\"$v\"))"
    v=$(field "$line" implicit_tls)
    case $v in yes) f="$f and .smtp.implicit_tls == true" ;;
               no) f="$f and .smtp.implicit_tls == false" ;; esac
    v=$(field "$line" tls_version)
    if [ "$v" = "-" ]; then f="$f and .tls.version == null"; elif [ -n "$v" ]; then f="$f and .tls.version == \"$v\""; fi
    v=$(field "$line" sni)
    [ "$v" != "-" ] && [ -n "$v" ] && f="$f and .tls.client.server_name == $(lit "$v")"
    visible=$(field "$line" cert_visible)
    v=$(field "$line" cert_sha256)
    if [ "$visible" = "no" ]; then
        # TLS 1.3 without its key log: both certificates are encrypted
        f="$f and .tls.certificate_hidden == true and .tls.server.hash == null and .tls.client.hash == null"
    else
        [ "$v" != "-" ] && [ -n "$v" ] && f="$f$(cert_filter "$line")"
        f="$f$(client_filter "$line")"
    fi
    # (captures recorded before the hrr key lack it)
    v=$(field "$line" hrr)
    case $v in yes) f="$f and .tls.hello_retry == true" ;;
               no) f="$f and (.tls.hello_retry // false) == false" ;; esac
    v=$(field "$line" alert)
    if [ "$v" != "-" ] && [ -n "$v" ]; then
        from=${v%%:*}; rest=${v#*:}; level=${rest%%:*}; desc=${rest#*:}
        f="$f and any(.tls.alerts[]; .from == \"$from\" and .level == \"$level\" and .description == \"$desc\")"
    fi
    # A reply sent after STARTTLS succeeded is encrypted: it can only be
    # checked once the session is decrypted with its key log.
    v=$(field "$line" reply)
    if [ "$v" != "-" ] && [ -n "$v" ] && [ "$(field "$line" starttls_reply)" != 220 ] &&
       [ "$(field "$line" implicit_tls)" != yes ]; then
        f="$f and any(.smtp.tls_errors[]; startswith(\"$v\"))"
    fi
    printf '%s' "$f"
}

# keyed_filter LINE: what its key log must show of the line's sessions
keyed_filter() {
    line=$1
    f=$(who_filter "$line")
    f="$f and .tls.decrypted == true and .tls.certificate_hidden == false"
    f="$f$(cert_filter "$line")$(client_filter "$line")"
    v=$(field "$line" reply)
    case $v in
    [45]??" "[45].7.*)
        f="$f and any(.findings[]; .code == \"SMTP_TLS_ERROR\" and (.message | contains($(lit "'$v "))))" ;;
    esac
    printf '%s' "$f"
}

n=0
for pcap in pcaps/*.pcap; do
    [ -f "$pcap" ] || continue
    name=$(basename "$pcap" .pcap)
    truth=pcaps/$name.truth
    if [ ! -f "$truth" ]; then
        fail "pcaps-$name" "no truth file $truth"
        continue
    fi
    n=$((n + 1))
    grep '^session' "$truth" >"$tmp/truth"

    # --- flows: connection counts, clean starts, nothing missing
    "$BIN" --flows --json -r "$pcap" >"$tmp/flows.json" 2>"$tmp/flows.err"
    rc=$?
    if [ "$rc" -ne 0 ]; then
        fail "flows-$name" "exit status $rc ($(head -c 300 "$tmp/flows.err"))"
    else
        bad=""
        want_total=0
        # connections per client/server pair, summed over the truth lines
        while IFS= read -r line; do
            printf '%s %s %s %s\n' "$(field "$line" client)" "$(field "$line" server)" \
                "$(field "$line" port)" "$(field "$line" count)"
        done <"$tmp/truth" | awk '{ n[$1 " " $2 " " $3] += $4 } END { for (k in n) print k, n[k] }' >"$tmp/pairs"
        while read -r cl sv port c; do
            want_total=$((want_total + c))
            got=$(jq -s --arg s "$sv" --argjson p "$port" --arg c "$cl" \
                '[.[] | select(.destination.ip == $s and .destination.port == $p and .source.ip == $c)] | length' \
                "$tmp/flows.json")
            [ "$got" = "$c" ] || bad="$bad $cl->$sv:$port want $c got $got;"
        done <"$tmp/pairs"
        total=$(jq -s 'length' "$tmp/flows.json")
        [ "$total" = "$want_total" ] || bad="$bad $total connections, truth has $want_total;"
        odd=$(jq -s '[.[] | select(.tcp.start != "syn" or .tcp.client.gap_bytes != 0 or .tcp.server.gap_bytes != 0)] | length' "$tmp/flows.json")
        [ "$odd" = 0 ] || bad="$bad $odd connection(s) without a SYN or with bytes missing;"
        if [ -z "$bad" ]; then pass "flows-$name"; else fail "flows-$name" "$bad"; fi
    fi

    # --- sessions: every fact of the truth
    "$BIN" --json -r "$pcap" >"$tmp/s.json" 2>"$tmp/s.err"
    rc=$?
    if [ "$rc" -ne 0 ] && [ "$rc" -ne 1 ]; then
        fail "sessions-$name" "exit status $rc ($(head -c 300 "$tmp/s.err"))"
        continue
    fi
    if ! jq -e . "$tmp/s.json" >/dev/null 2>&1; then
        fail "sessions-$name" "output is not valid JSON lines"
        continue
    fi
    bad=""
    # lines with the same facts (differing in findings only) count together
    : >"$tmp/filters"
    while IFS= read -r line; do
        printf '%s\t%s\t%s\n' "$(field "$line" count)" \
            "$(field "$line" client)->$(field "$line" server):$(field "$line" port)" \
            "$(session_filter "$line")" >>"$tmp/filters"
    done <"$tmp/truth"
    awk -F'\t' '{ n[$3] += $1; w[$3] = $2 } END { for (f in n) print n[f] "\t" w[f] "\t" f }' \
        "$tmp/filters" >"$tmp/groups"
    while IFS="$(printf '\t')" read -r c who filt; do
        got=$(jq -s "[.[] | select($filt)] | length" "$tmp/s.json" 2>"$tmp/jq.err")
        if [ "$got" != "$c" ]; then
            bad="$bad [$who] want $c matching, got ${got:-jq error $(head -c 200 "$tmp/jq.err")};"
        fi
    done <"$tmp/groups"
    if [ -z "$bad" ]; then pass "sessions-$name"; else fail "sessions-$name" "$bad"; fi

    # --- keyed: the lines with a key log, decrypted with it
    for kl in $(sed -n 's/.*	keylog=\([^	]*\).*/\1/p' "$tmp/truth" | grep -v '^-$' | sort -u); do
        bad=""
        if [ ! -f "pcaps/$kl" ]; then
            fail "keyed-$name" "no key log pcaps/$kl"
            continue
        fi
        "$BIN" --json --keylog "pcaps/$kl" -r "$pcap" >"$tmp/k.json" 2>"$tmp/k.err"
        rc=$?
        if [ "$rc" -ne 0 ] && [ "$rc" -ne 1 ]; then
            fail "keyed-$name" "exit status $rc ($(head -c 300 "$tmp/k.err"))"
            continue
        fi
        nl=0
        while IFS= read -r line; do
            [ "$(field "$line" keylog)" = "$kl" ] || continue
            nl=$((nl + 1))
            c=$(field "$line" count)
            got=$(jq -s "[.[] | select($(keyed_filter "$line"))] | length" "$tmp/k.json" 2>"$tmp/jq.err")
            [ "$got" = "$c" ] ||
                bad="$bad [$(field "$line" client)->$(field "$line" server)] want $c decrypted as the truth says, got ${got:-jq error $(head -c 200 "$tmp/jq.err")};"
        done <"$tmp/truth"
        if [ -z "$bad" ]; then pass "keyed-$name" "$nl line(s) through $kl"; else fail "keyed-$name" "$bad"; fi
    done

    # --- findings: exactly the codes the scenario was built to produce
    capline=$(grep '^capture' "$truth" | head -n 1)
    ca=certs/test-root-ca.pem
    [ -n "$capline" ] && ca=$(field "$capline" ca)
    trustline=$(grep '^trust' "$truth" | head -n 1)
    [ -n "$trustline" ] && ca=$(field "$trustline" ca)
    expect=$(field "$(head -n 1 "$tmp/truth")" expect)
    if [ "$expect" = "-" ] || [ -z "$expect" ]; then
        (cd pcaps && "$BIN" --json --ca-file "$ca" -r "$name.pcap") >"$tmp/f.json" 2>"$tmp/f.err"
    else
        (cd pcaps && "$BIN" --json --ca-file "$ca" --expect "$expect" -r "$name.pcap") >"$tmp/f.json" 2>"$tmp/f.err"
    fi
    rc=$?
    bad=""
    want_rc=0
    : >"$tmp/want"
    while IFS= read -r line; do
        want=$(field "$line" findings)
        used=$(field "$line" starttls_used)
        [ "$(field "$line" implicit_tls)" = yes ] && used=-
        sha=-
        [ "$(field "$line" cert_visible)" = yes ] && sha=$(field "$line" cert_sha256)
        key="$(field "$line" client) $(field "$line" server) $(field "$line" port) $used $sha"
        case $want in *CERT_MISMATCH*|*SELF_SIGNED*|*UNTRUSTED_CHAIN*|*NAME_MISMATCH*|*EXPIRED*|\
                      *STARTTLS_REFUSED*|*SMTP_TLS_ERROR*|*TLS_ALERT*|*STARTTLS_STRIPPED*|\
                      *TLS_TERMINATOR_SUSPECTED*) want_rc=1 ;; esac
        c=$(field "$line" count)
        while [ "$c" -gt 0 ]; do echo "$key $want" >>"$tmp/want"; c=$((c - 1)); done
    done <"$tmp/truth"
    for key in $(cut -d' ' -f1-5 "$tmp/want" | sort -u | tr ' ' '|'); do
        key=$(echo "$key" | tr '|' ' ')
        want=$(grep -F "$key " "$tmp/want" | cut -d' ' -f6 | sort | tr '\n' ' ')
        got=$(jq -r --arg k "$key" 'select(.event.dataset == "mxwitness.session") |
                select("\(.source.ip) \(.destination.ip) \(.destination.port) \(if .smtp.implicit_tls then "-" elif .smtp.starttls.requested then "yes" else "no" end) \(if .tls.certificate_hidden then "-" else .tls.server.hash.sha256 // "-" end)" == $k) |
                ([.findings[].code] | sort | if length == 0 then "-" else join(",") end)' "$tmp/f.json" | sort | tr '\n' ' ')
        [ "$got" = "$want" ] || bad="$bad [$key] want findings $want, got $got;"
    done
    [ "$rc" = "$want_rc" ] || bad="$bad exit status $rc, want $want_rc ($(head -c 200 "$tmp/f.err"));"
    if [ -z "$bad" ]; then pass "findings-$name"; else fail "findings-$name" "$bad"; fi

    # --- capture: a point of a several-point scenario, and its deliveries
    [ -n "$capline" ] || continue
    bad=""
    point=$(field "$capline" point)
    scen=$(field "$capline" scenario)
    [ "$name" = "$scen-$point" ] || bad="$bad capture $name names point $point of $scen;"
    pos=$(field "$capline" position)
    at=$(field "$capline" path | tr ',' '\n' | grep -nx "$point" | cut -d: -f1)
    [ "$at" = "$pos" ] || bad="$bad position $pos, but $point is number ${at:-none} of the path;"
    [ -f "pcaps/$ca" ] || bad="$bad no CA pcaps/$ca;"
    nh=0
    grep '^hops' "$truth" >"$tmp/hops"
    while IFS= read -r h; do
        nh=$((nh + 1))
        ses=$(field "$h" sessions | tr ',' '\n' | grep "^$point ")
        [ -n "$ses" ] || { bad="$bad delivery $(field "$h" delivery) has no session at $point;"; continue; }
        set -- $ses
        n=$(jq -s --arg a "$2" --argjson p "$3" '[.[] | select(.event.dataset == "mxwitness.session" and
              .source.ip == $a and .source.port == $p)] | length' "$tmp/s.json")
        [ "$n" = 1 ] || bad="$bad delivery $(field "$h" delivery): $n sessions from $2:$3;"
    done <"$tmp/hops"
    [ "$nh" -gt 0 ] || bad="$bad no hops lines;"
    if [ -z "$bad" ]; then pass "capture-$name" "$nh deliveries"; else fail "capture-$name" "$bad"; fi
done
[ "$n" -gt 0 ] || fail pcaps "no captures in pcaps/"
exit 0

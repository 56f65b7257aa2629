#!/bin/sh
# e2e_keylog.sh - decryption with --keylog (issue 11): the TLS 1.3 STARTTLS
# capture's certificate read through its key log (the subject and SHA-256
# of its truth file, no CERT_HIDDEN) and hidden without it; the encrypted
# 450 4.7.320 of reply-4-7-320 read as SMTP_TLS_ERROR with its key log and
# not without; a key log with a wrong secret and one missing a secret give
# CERT_HIDDEN with the reason; the key log as a pcapng Decryption Secrets
# Block decrypts the same; a key log that matches no session is said
# once; Wireshark's tls13-rfc8446 capture with its keys (../shared, skipped
# when absent) shows the certificate Wireshark's reference shows, and its
# tls12-dsb.pcapng is decrypted by the keys of its Decryption Secrets Blocks
# as Zeek's tls12-decryption is by its key log; a
# HelloRetryRequest (hrr-tls13) is reported with and without the key log,
# and the certificate read after it; TLS 1.3 mutual TLS with the client
# certificate refused (mtls13-rejected) shows the client's certificate and
# the encrypted 421 with its key log, both hidden without; the TLS 1.3
# appliance case with the key logs of both legs shows both certificates and
# certificate_changed_between, without them terminator_changed_between.
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
. tests/lib.sh
BIN=${MXW_BIN:-$top/build/mxwitness}
mk_tmpdir
jq_or_skip keylog

truth=pcaps/starttls-tls13.truth
want_subject=$(sed -n 's/.*	cert_subject=\([^	]*\).*/\1/p' "$truth")
want_sha=$(sed -n 's/.*	cert_sha256=\([^	]*\).*/\1/p' "$truth")

# truth_cert_read NAME JSON HOW: the first TLS session of JSON has the
# truth's certificate, decrypted, without CERT_HIDDEN
truth_cert_read() {
    got=$(jq -r 'select(.tls) | [.tls.server.x509.subject.distinguished_name,
                 (.tls.server.hash.sha256 // "" | ascii_upcase), .tls.decrypted,
                 ([.findings[]?.code] | index("CERT_HIDDEN") != null)] | @tsv' "$2" | head -n 1)
    if [ "$got" = "$(printf '%s\t%s\ttrue\tfalse' "$want_subject" "$want_sha")" ]; then
        pass "$1" "certificate $want_subject read through $3"
    else
        fail "$1" "got '$got', want '$want_subject' $want_sha, decrypted, no CERT_HIDDEN"
    fi
}

# 1. TLS 1.3 with its key log: the truth file's certificate, not hidden
if run_capture tls13-keylog pcaps/starttls-tls13.pcap "$tmp/a" --keylog pcaps/starttls-tls13.keylog; then
    truth_cert_read tls13-keylog "$tmp/a" "the key log"
fi

# 1b. the same key log inside the capture: a pcapng with a Decryption
# Secrets Block (editcap --inject-secrets), no --keylog
if ! command -v editcap >/dev/null 2>&1; then
    skip tls13-dsb "editcap (wireshark-common) is not installed"
elif ! editcap --inject-secrets tls,pcaps/starttls-tls13.keylog pcaps/starttls-tls13.pcap \
        "$tmp/dsb.pcapng" >/dev/null 2>&1; then
    fail tls13-dsb "editcap --inject-secrets failed"
elif run_capture tls13-dsb "$tmp/dsb.pcapng" "$tmp/a2"; then
    truth_cert_read tls13-dsb "$tmp/a2" "the file's own secrets"
fi

# 2. the same without a key log: hidden, nothing decrypted
if run_capture tls13-no-keylog pcaps/starttls-tls13.pcap "$tmp/b"; then
    got=$(jq -r 'select(.tls) | [.tls.certificate_hidden, (.tls.decrypted // "absent"),
                 ([.findings[]?.code] | index("CERT_HIDDEN") != null)] | @tsv' "$tmp/b" | head -n 1)
    if [ "$got" = "$(printf 'true\tabsent\ttrue')" ]; then
        pass tls13-no-keylog "CERT_HIDDEN, as without decryption"
    else
        fail tls13-no-keylog "got '$got', want hidden, no decryption, CERT_HIDDEN"
    fi
fi

# 3. reply-4-7-320: the encrypted 450 4.7.320 with the key log, not without
if run_capture reply-keylog pcaps/reply-4-7-320.pcap "$tmp/c" --keylog pcaps/reply-4-7-320.keylog; then
    got=$(jq -r 'select(.tls.version == "1.2") | [.findings[]? | select(.code == "SMTP_TLS_ERROR")
                 | .message] | join(" ")' "$tmp/c")
    case $got in
    *"450 4.7.320"*"inside TLS"*) pass reply-keylog "SMTP_TLS_ERROR for the encrypted reply" ;;
    *) fail reply-keylog "the TLS session's SMTP_TLS_ERROR: '$got'" ;;
    esac
fi
if run_capture reply-no-keylog pcaps/reply-4-7-320.pcap "$tmp/d"; then
    got=$(jq -r 'select(.tls.version == "1.2") | [.tls.established,
                 ([.findings[]?.code] | index("SMTP_TLS_ERROR") != null)] | @tsv' "$tmp/d")
    if [ "$got" = "$(printf 'true\tfalse')" ]; then
        pass reply-no-keylog "the encrypted reply stays unread without the key log"
    else
        fail reply-no-keylog "got '$got', want an established session without SMTP_TLS_ERROR"
    fi
fi

# 4. a wrong secret (bad tag) and a missing one: CERT_HIDDEN with the reason
cr=$(awk '$1 == "SERVER_HANDSHAKE_TRAFFIC_SECRET" { print $2 }' pcaps/starttls-tls13.keylog)
awk '{ if ($1 == "SERVER_HANDSHAKE_TRAFFIC_SECRET") { s = $3; gsub(/[0-9a-f]/, "5", s); print $1, $2, s } else print }' \
    pcaps/starttls-tls13.keylog >"$tmp/wrong.keylog"
grep -v '^SERVER_HANDSHAKE_TRAFFIC_SECRET' pcaps/starttls-tls13.keylog >"$tmp/partial.keylog"
for c in "wrong:bad_tag:did not verify" "partial:missing_secret:no secret"; do
    name=${c%%:*} rest=${c#*:} want=${rest%%:*} words=${rest#*:}
    if run_capture "tls13-$name-keylog" pcaps/starttls-tls13.pcap "$tmp/e" --keylog "$tmp/$name.keylog"; then
        got=$(jq -r 'select(.tls) | [.tls.decryption, .tls.certificate_hidden,
                     ([.findings[]? | select(.code == "CERT_HIDDEN") | .message] | join(""))] | @tsv' "$tmp/e")
        case $got in
        "$want	true	"*"$words"*) pass "tls13-$name-keylog" "CERT_HIDDEN: $want" ;;
        *) fail "tls13-$name-keylog" "got '$got', want $want, hidden, a CERT_HIDDEN saying '$words' (random $cr)" ;;
        esac
    fi
done

# 5. a key log that matches no session is said once, and the session still shows
if run_capture keylog-unmatched pcaps/clean-tls12.pcap "$tmp/f" --keylog pcaps/starttls-tls13.keylog; then
    n=$(grep -c 'matched no session' "$tmp/f.err")
    sessions=$(jq -r 'select(.tls) | .tls.version' "$tmp/f" | wc -l)
    if [ "$n" -eq 1 ] && [ "$sessions" -ge 1 ]; then
        pass keylog-unmatched "said once: $(grep 'matched no session' "$tmp/f.err")"
    else
        fail keylog-unmatched "$n warnings, $sessions TLS sessions: $(head -c 300 "$tmp/f.err")"
    fi
fi

# 6. Wireshark's RFC 8446 capture (port 443) with its keys
shared=$(shared_dir)
if [ -z "$shared" ] || [ ! -f "$shared/wireshark/tls13-rfc8446.pcap" ]; then
    skip keylog-wireshark-rfc8446 "../shared/pcaps not found (third-party captures are not in a user's clone)"
elif run_capture keylog-wireshark-rfc8446 "$shared/wireshark/tls13-rfc8446.pcap" "$tmp/g" \
        --port 443 --keylog "$shared/wireshark/tls13-rfc8446.keys"; then
    got=$(jq -r 'select(.tls.server.x509) | .tls.server.x509.subject.distinguished_name' "$tmp/g" | head -n 1)
    case $got in
    *O=BoringSSL*) pass keylog-wireshark-rfc8446 "certificate $got" ;;
    *) fail keylog-wireshark-rfc8446 "subject '$got', want O=BoringSSL (Wireshark's reference)" ;;
    esac
fi

# 6b. Wireshark's tls12-dsb.pcapng, read with the keys its Decryption
# Secrets Blocks carry (no --keylog), and Zeek's tls12-decryption with its
# key log: every TLS 1.2 session decrypted, both ways
for c in "wireshark/tls12-dsb.pcapng|" "zeek/tls12-decryption.pcap|zeek/tls12-decryption.keylog"; do
    cap=${c%%|*} kl=${c#*|} name=keylog-$(basename "$cap" | sed 's/\.[a-z]*$//')
    if [ -z "$shared" ] || [ ! -f "$shared/$cap" ]; then
        skip "$name" "../shared/pcaps not found (third-party captures are not in a user's clone)"
        continue
    fi
    if [ -n "$kl" ]; then set -- --keylog "$shared/$kl"; else set --; fi
    if run_capture "$name" "$shared/$cap" "$tmp/d" --port 443 "$@"; then
        got=$(jq -r 'select(.event.dataset == "mxwitness.session" and .tls) |
                     [.tls.version, .tls.decrypted, (.tls.decrypted_records.client > 0),
                      (.tls.decrypted_records.server > 0)] | @tsv' "$tmp/d" | sort | uniq -c |
              sed 's/^ *//' | tr '\t' ' ')
        case $got in
        *" 1.2 true true true") [ "$(printf '%s\n' "$got" | wc -l)" = 1 ] &&
                pass "$name" "${kl:+with its key log}${kl:-with the DSB keys}: sessions: $got" ||
                fail "$name" "'$got'" ;;
        *) fail "$name" "got '$got', want every TLS 1.2 session decrypted both ways" ;;
        esac
    fi
done

# 7. a key log that cannot be read is a usage error naming it
"$BIN" -r pcaps/clean-tls12.pcap --keylog "$tmp/none.keylog" >"$tmp/h" 2>"$tmp/h.err"
rc=$?
if [ "$rc" -eq 2 ] && grep -q -- "--keylog: .*none.keylog" "$tmp/h.err" && [ ! -s "$tmp/h" ]; then
    pass keylog-unreadable "$(head -n 1 "$tmp/h.err")"
else
    fail keylog-unreadable "exit $rc, stderr '$(head -c 200 "$tmp/h.err")'"
fi

# tv FILE KEY: KEY's value on the truth FILE's first session line
tv() {
    awk -F'\t' -v k="$2" '$1 == "session" { for (i = 2; i <= NF; i++) if (index($i, k "=") == 1) { print substr($i, length(k) + 2); exit } }' "$1"
}

# 8. a HelloRetryRequest (hrr-tls13: the client's key share was for P-256,
# the server allows X25519 only): with the key log the certificate of the
# truth; without it CERT_HIDDEN; both say the server asked again
t=pcaps/hrr-tls13.truth
if [ "$(tv "$t" hrr)" != yes ]; then
    fail hrr-truth "pcaps/hrr-tls13.truth does not say hrr=yes"
else
    if run_capture hrr-keylog pcaps/hrr-tls13.pcap "$tmp/r1" --keylog pcaps/hrr-tls13.keylog; then
        got=$(jq -r 'select(.tls) | [.tls.hello_retry, .tls.decrypted, .tls.server.x509.subject.distinguished_name,
                     (.tls.server.hash.sha256 // ""), .tls.server.certificate_chain_length,
                     ([.findings[]?.code] | index("CERT_HIDDEN") != null)] | @tsv' "$tmp/r1")
        want=$(printf 'true\ttrue\t%s\t%s\t%s\tfalse' "$(tv "$t" cert_subject)" "$(tv "$t" cert_sha256)" "$(tv "$t" chain_len)")
        if [ "$got" = "$want" ]; then
            pass hrr-keylog "after the HelloRetryRequest, $(tv "$t" cert_subject) through the key log"
        else
            fail hrr-keylog "got '$got', want '$want'"
        fi
    fi
    if run_capture hrr-no-keylog pcaps/hrr-tls13.pcap "$tmp/r2"; then
        got=$(jq -r 'select(.tls) | [.tls.hello_retry, .tls.version, .tls.certificate_hidden, .tls.established,
                     ([.findings[]?.code] | index("CERT_HIDDEN") != null)] | @tsv' "$tmp/r2")
        if [ "$got" = "$(printf 'true\t1.3\ttrue\ttrue\ttrue')" ] &&
           "$BIN" -r pcaps/hrr-tls13.pcap 2>/dev/null | grep -q '^  tls       1\.3 .* established  after a HelloRetryRequest$'; then
            pass hrr-no-keylog "HelloRetryRequest reported (JSON and text), CERT_HIDDEN"
        else
            fail hrr-no-keylog "got '$got', want hello_retry, 1.3, hidden, established, CERT_HIDDEN"
        fi
    fi
    # a session without one says so
    got=$(jq -r 'select(.tls) | [.tls.version, (.tls.hello_retry // "absent")] | @tsv' "$tmp/b" 2>/dev/null)
    [ "$got" = "$(printf '1.3\tabsent')" ] && pass hrr-absent "starttls-tls13: no hello_retry" ||
        fail hrr-absent "starttls-tls13: '$got', want 1.3 without hello_retry"
fi

# 9. TLS 1.3 mutual TLS, the client certificate rejected (mtls13-rejected:
# postfix requires a trusted one; the truth's reply is as the sender logged
# it): with the key log the client's certificate and the encrypted refusal;
# without it both certificates hidden and the refusal unread
t=pcaps/mtls13-rejected.truth
csub=$(tv "$t" client_cert_subject) csha=$(tv "$t" client_cert_sha256) reply=$(tv "$t" reply)
if run_capture mtls13-keylog pcaps/mtls13-rejected.pcap "$tmp/m1" --keylog pcaps/mtls13-rejected.keylog; then
    got=$(jq -r 'select(.tls) | [.tls.decrypted, .tls.client.x509.subject.distinguished_name, .tls.client.hash.sha256,
                 .tls.client.certificate_chain_length, .tls.server.hash.sha256,
                 ([.findings[]? | select(.code == "SMTP_TLS_ERROR") | .message] | join(" "))] | @tsv' "$tmp/m1")
    want=$(printf 'true\t%s\t%s\t%s\t%s\t' "$csub" "$csha" "$(tv "$t" client_chain_len)" "$(tv "$t" cert_sha256)")
    case $got in
    "$want"*"'$reply "*"inside TLS"*) pass mtls13-keylog "client $csub, refused: $reply inside TLS" ;;
    *) fail mtls13-keylog "got '$got', want '$want' and SMTP_TLS_ERROR quoting '$reply'" ;;
    esac
fi
if run_capture mtls13-no-keylog pcaps/mtls13-rejected.pcap "$tmp/m2"; then
    got=$(jq -r 'select(.tls) | [.tls.certificate_hidden, (.tls.client.hash // "none"), .tls.established,
                 ([.findings[]?.code] | sort | join(","))] | @tsv' "$tmp/m2")
    if [ "$got" = "$(printf 'true\tnone\ttrue\tCERT_HIDDEN')" ]; then
        pass mtls13-no-keylog "CERT_HIDDEN, no client certificate, the refusal unread"
    else
        fail mtls13-no-keylog "got '$got', want hidden, no client certificate, established, CERT_HIDDEN only"
    fi
fi

# 10. the TLS 1.3 appliance case with the key logs of both legs (the
# sender's and the appliance's smtp client's): the two real certificates,
# and the certificate (not only the terminator) changed between the points
o=pcaps/appliance-tls13-outside i=pcaps/appliance-tls13-inside
ca=pcaps/$(awk -F'\t' '$1 == "capture" { sub(/^ca=/, "", $6); print $6 }' "$o.truth")
if [ "$(tv "$i.truth" keylog)" != appliance-tls13-inside.keylog ] || [ ! -f "$i.keylog" ]; then
    fail appliance-tls13-keylogs "the inside capture has no key log in its truth"
elif run_json appliance-tls13-keylogs "$tmp/a1" --ca-file "$ca" -r "$o.pcap@outside" -r "$i.pcap@inside" \
        --keylog "$o.keylog" --keylog "$i.keylog"; then
    got=$(jq -r 'select(.event.dataset == "mxwitness.session") | [.destination.ip, .tls.decrypted,
                 .tls.server.hash.sha256, .tls.server.x509.subject.distinguished_name] | @tsv' "$tmp/a1" | sort)
    want=$(printf '%s\ttrue\t%s\t%s\n%s\ttrue\t%s\t%s' \
        "$(tv "$i.truth" server)" "$(tv "$i.truth" cert_sha256)" "$(tv "$i.truth" cert_subject)" \
        "$(tv "$o.truth" server)" "$(tv "$o.truth" cert_sha256)" "$(tv "$o.truth" cert_subject)" | sort)
    hops=$(jq -r 'select(.event.dataset == "mxwitness.hops") | [(.hops.certificate_changed_between // [] | join(",")),
                  ([.findings[]?.code] | join(","))] | @tsv' "$tmp/a1")
    if [ "$got" = "$want" ] && [ "$hops" = "$(printf 'outside,inside\tCERT_REPLACED')" ]; then
        pass appliance-tls13-keylogs "both legs decrypted: the certificate changed between outside and inside"
    else
        fail appliance-tls13-keylogs "sessions '$got' (want '$want'), hops '$hops' (want outside,inside CERT_REPLACED)"
    fi
fi
# the same without the key logs: hidden at both, the terminator changed
if run_json appliance-tls13-no-keylogs "$tmp/a2" --ca-file "$ca" -r "$o.pcap@outside" -r "$i.pcap@inside"; then
    got=$(jq -r 'select(.event.dataset == "mxwitness.session") | .tls.certificate_hidden' "$tmp/a2" | sort -u)
    hops=$(jq -r 'select(.event.dataset == "mxwitness.hops") | [(.hops.certificate_changed_between // [] | join(",")),
                  (.hops.terminator_changed_between // [] | join(","))] | @tsv' "$tmp/a2")
    if [ "$got" = true ] && [ "$hops" = "$(printf '\toutside,inside')" ]; then
        pass appliance-tls13-no-keylogs "hidden at both points, terminator_changed_between outside,inside"
    else
        fail appliance-tls13-no-keylogs "hidden '$got', hops '$hops'"
    fi
fi

# 11. the transcript tells apart what crossed the wire in clear ("C:"/"S:"
# alone), TLS records as seen ("[tls]"), and what only the key log showed:
# TLS read from decrypted records ("[tls, decrypted]") and the SMTP dialogue
# inside TLS ("[decrypted]").  reply-4-7-320 is STARTTLS in TLS 1.2: the
# clear EHLO before STARTTLS, the clear handshake, the decrypted Finished,
# and the encrypted 450 4.7.320 read as decrypted SMTP; without the key log
# its records stay "[tls] [encrypted records]" and no line is "decrypted".
"$BIN" --transcript --keylog pcaps/reply-4-7-320.keylog -r pcaps/reply-4-7-320.pcap >"$tmp/t" 2>"$tmp/t.err"
rc=$?
"$BIN" --transcript -r pcaps/reply-4-7-320.pcap >"$tmp/u" 2>"$tmp/u.err"
rcu=$?
bad=""
grep -q ' C: STARTTLS$' "$tmp/t" || bad="$bad clear-STARTTLS;"
grep -q ' C: \[tls\] client_hello (' "$tmp/t" || bad="$bad clear-client_hello;"
grep -q ' S: \[tls\] certificate (' "$tmp/t" || bad="$bad clear-certificate;"
grep -q ' C: \[tls, decrypted\] finished (12 bytes)$' "$tmp/t" || bad="$bad decrypted-finished;"
grep -q ' S: \[decrypted\] 450 4\.7\.320 ' "$tmp/t" || bad="$bad decrypted-450;"
grep -q ' C: \[decrypted\] RCPT TO:' "$tmp/t" || bad="$bad decrypted-RCPT;"
grep -q ' S: \[tls, decrypted\] alert warning close_notify$' "$tmp/t" || bad="$bad decrypted-alert;"
grep -q '\[encrypted records\]' "$tmp/t" && bad="$bad encrypted-records-while-decrypted;"
# the clear EHLOs (of both sessions: the capture's first is in clear) are
# not marked, the one inside TLS is
[ "$(grep -c ' C: EHLO sender.example.org$' "$tmp/t")" = 2 ] || bad="$bad clear-EHLO-twice;"
[ "$(grep -c ' C: \[decrypted\] EHLO sender.example.org$' "$tmp/t")" = 1 ] || bad="$bad decrypted-EHLO-once;"
grep -q 'decrypted' "$tmp/u" && bad="$bad decrypted-without-keylog;"
grep -q ' S: \[tls\] \[encrypted handshake message\]$' "$tmp/u" || bad="$bad encrypted-finished-without-keylog;"
grep -q ' C: \[tls\] client_hello (' "$tmp/u" || bad="$bad client_hello-without-keylog;"
[ "$rc" -eq 1 ] && [ "$rcu" -le 1 ] || bad="$bad exit $rc/$rcu, want 1 (SMTP_TLS_ERROR) and 0 or 1;"
if [ -z "$bad" ]; then
    pass keylog-transcript "clear, [tls], [tls, decrypted] and [decrypted] lines told apart"
else
    fail keylog-transcript "$bad $(grep -E 'tls|decrypted' "$tmp/t" | head -c 400)"
fi

#!/bin/sh
# e2e_keylog.sh - decryption with --keylog (issue 11): the TLS 1.3 STARTTLS
# capture's certificate read through its key log (the subject and SHA-256
# of its truth file, no CERT_HIDDEN) and hidden without it; the encrypted
# 450 4.7.320 of reply-4-7-320 read as SMTP_TLS_ERROR with its key log and
# not without; a key log with a wrong secret and one missing a secret give
# CERT_HIDDEN with the reason; the key log as a pcapng Decryption Secrets
# Block decrypts the same; a key log that matches no session is said
# once; Wireshark's tls13-rfc8446 capture with its keys (../shared, skipped
# when absent) shows the certificate Wireshark's reference shows.
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
. tests/lib.sh
BIN=${MXW_BIN:-$top/build/mxwitness}
mk_tmpdir
jq_or_skip keylog

truth=pcaps/starttls-tls13.truth
want_subject=$(sed -n 's/.*	cert_subject=\([^	]*\).*/\1/p' "$truth")
want_sha=$(sed -n 's/.*	cert_sha256=\([^	]*\).*/\1/p' "$truth")

# 1. TLS 1.3 with its key log: the truth file's certificate, not hidden
if run_capture tls13-keylog pcaps/starttls-tls13.pcap "$tmp/a" --keylog pcaps/starttls-tls13.keylog; then
    got=$(jq -r 'select(.tls) | [.tls.server.x509.subject.distinguished_name,
                 (.tls.server.hash.sha256 // "" | ascii_upcase), .tls.decrypted,
                 ([.findings[]?.code] | index("CERT_HIDDEN") != null)] | @tsv' "$tmp/a" | head -n 1)
    if [ "$got" = "$(printf '%s\t%s\ttrue\tfalse' "$want_subject" "$want_sha")" ]; then
        pass tls13-keylog "certificate $want_subject read through the key log"
    else
        fail tls13-keylog "got '$got', want '$want_subject' $want_sha, decrypted, no CERT_HIDDEN"
    fi
fi

# 1b. the same key log inside the capture: a pcapng with a Decryption
# Secrets Block (editcap --inject-secrets), no --keylog
if ! command -v editcap >/dev/null 2>&1; then
    skip tls13-dsb "editcap (wireshark-common) is not installed"
elif ! editcap --inject-secrets tls,pcaps/starttls-tls13.keylog pcaps/starttls-tls13.pcap \
        "$tmp/dsb.pcapng" >/dev/null 2>&1; then
    fail tls13-dsb "editcap --inject-secrets failed"
elif run_capture tls13-dsb "$tmp/dsb.pcapng" "$tmp/a2"; then
    got=$(jq -r 'select(.tls) | [.tls.server.x509.subject.distinguished_name,
                 (.tls.server.hash.sha256 // "" | ascii_upcase), .tls.decrypted,
                 ([.findings[]?.code] | index("CERT_HIDDEN") != null)] | @tsv' "$tmp/a2" | head -n 1)
    if [ "$got" = "$(printf '%s\t%s\ttrue\tfalse' "$want_subject" "$want_sha")" ]; then
        pass tls13-dsb "certificate $want_subject read through the file's own secrets"
    else
        fail tls13-dsb "got '$got', want '$want_subject' $want_sha, decrypted, no CERT_HIDDEN"
    fi
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

# 7. a key log that cannot be read is a usage error naming it
"$BIN" -r pcaps/clean-tls12.pcap --keylog "$tmp/none.keylog" >"$tmp/h" 2>"$tmp/h.err"
rc=$?
if [ "$rc" -eq 2 ] && grep -q -- "--keylog: .*none.keylog" "$tmp/h.err" && [ ! -s "$tmp/h" ]; then
    pass keylog-unreadable "$(head -n 1 "$tmp/h.err")"
else
    fail keylog-unreadable "exit $rc, stderr '$(head -c 200 "$tmp/h.err")'"
fi

# 8. the transcript tells apart what crossed the wire in clear ("C:"/"S:"
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

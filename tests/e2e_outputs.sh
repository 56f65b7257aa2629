#!/bin/sh
# e2e_outputs.sh - the evidence outputs on the project's own captures:
#   --certs      one PEM per presented certificate, named by the SHA-256 of
#                its DER, which must be what the truth file and
#                pcaps/certs/*.pem say
#   --transcript the dialogue line by line; the message content (the
#                "Subject: mxwitness test ..." header swaks sent) never
#                appears, a placeholder does
#   --redact     MAIL FROM / RCPT TO addresses hidden
#   a capture of a link type mxwitness cannot decode: exit 2, naming it
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

# an unknown link type: a pcap header (LINKTYPE 147, user 0) and no packets
printf '\324\303\262\241\002\000\004\000\000\000\000\000\000\000\000\000\377\377\000\000\223\000\000\000' >"$tmp/dlt147.pcap"
"$BIN" -r "$tmp/dlt147.pcap" >/dev/null 2>"$tmp/err"
rc=$?
if [ "$rc" = 2 ] && grep -q "link type .*147.* not supported" "$tmp/err"; then
    pass unknown-link-type
else
    fail unknown-link-type "exit $rc: $(head -c 200 "$tmp/err")"
fi
exit 0

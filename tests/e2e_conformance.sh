#!/bin/sh
# e2e_conformance.sh - mxwitness against references made by other tools, on
# the third-party captures in ../shared/pcaps (skipped where that folder is
# absent, as in a user's clone).
#
# References: tests/ref/certs/<folder>/<capture>.tsv, made once by
# tests/make-cert-refs.py from tshark's TLS dissector (SHA-256 of each
# certificate DER tshark extracted, per Certificate message, leaf first);
# where Zeek's x509.log exists for a capture its fingerprints are checked to
# be among what mxwitness reports too (tshark and Zeek agree on them).
#
# The table below lists every capture this test reads and what it compares:
#   chains     every Certificate message of the reference: a session between
#              the same endpoints whose server (or client) chain has exactly
#              those SHA-256s in that order
#   zeek       every fingerprint in Zeek's x509.log appears in mxwitness's chains
#   sessions=N exactly N SMTP sessions are reported
#   hidden=N   N sessions say the certificate is hidden (TLS 1.3)
#   incomplete=N  N sessions say the handshake was cut (the capture ends
#              after the ServerHello: SOURCE.md says so for these)
# Options are what a user would pass: captures off the mail ports are read
# with --port, as the issue says.
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
. tests/lib.sh
BIN=${MXW_BIN:-$top/build/mxwitness}
shared_or_skip conformance
mk_tmpdir
jq_or_skip conformance

# capture|options|checks
table='
ndpi/smtp-starttls.pcap||chains sessions=2
zeek/smtp-starttls.pcap||chains zeek sessions=1
wireshark/smtp-ssl.pcapng||chains sessions=1
ndpi/smtps.pcapng||sessions=1
ndpi/smtp.pcap||sessions=1
zeek/smtp.pcap|--port 443|chains
zeek/smtp-one-side-only.pcap||sessions=1
zeek/smtp-bdat-gap.pcap||sessions=1
zeek/connect-with-smtp.pcap|--port 8240|sessions=1
ndpi/selfsigned.pcap|--port 3001|chains
ndpi/ssl-cert-name-mismatch.pcap|--port 443|chains
ndpi/tls-rdn-extract.pcap|--port 443|chains
ndpi/long_tls_certificate.pcap|--port 443|chains
ndpi/tls_verylong_certificate.pcap|--port 443|chains
ndpi/tls_certificate_too_long.pcap|--port 443|chains
ndpi/tls_long_cert.pcap|--port 443|chains
ndpi/tls_malicious_sha1.pcapng|--port 443|chains
ndpi/ja3_lots_of_cipher_suites.pcap|--port 443|chains
ndpi/http_ipv6.pcap|--port 443|chains
ndpi/6in4tunnel.pcap|--port 443|chains
ndpi/whois.pcapng|--port 4343|chains
ndpi/tls_client_certificate_with_missing_server_one.pcapng|--port 443 --port 7070|chains
ndpi/tls_1.2_unidirectional_server.pcapng|--port 443|chains
ndpi/tls_multiple_synack_different_seq.pcapng|--port 443|chains
ndpi/google_ssl.pcap|--port 443|chains
ndpi/imaps.pcap|--port 993|chains incomplete=1
ndpi/pops.pcapng|--port 995|incomplete=1
ndpi/tls_1.3_unidirectional_server.pcapng|--port 443|hidden=1
ndpi/tls_ech.pcapng|--port 443|hidden=1
wireshark/rsasnakeoil2.pcap|--port 443|chains
wireshark/tls12-dsb.pcapng|--port 443|chains
zeek/CVE-2015-3194.pcap|--port 4433|chains
zeek/cert-no-cn.pcap|--port 8888|chains
zeek/certificate-request-failed.pcap|--port 3000|chains
zeek/client-certificate.pcap|--port 443|chains
zeek/dhe.pcap|--port 443|chains
zeek/ecdsa-cert.pcap|--port 443|chains zeek
zeek/google-duplicate.pcap|--port 443|chains zeek
zeek/missing-intermediate.pcap|--port 443|chains
zeek/ml-dsa-44-cert.pcap|--port 443|chains zeek
zeek/ocsp-stapling.pcap|--port 443|chains
zeek/telesec.pcap|--port 993|chains zeek
zeek/tls-expired-cert.pcap|--port 443|chains
zeek/tls1.2-late-protocol-error.pcap|--port 443|chains zeek
zeek/tls1.2.pcap|--port 443|chains zeek
zeek/tls12-decryption.pcap|--port 443|chains
zeek/x509-generalizedtime.pcap|--port 443|chains
zeek/tls13_wolfssl.pcap|--port 9090|hidden=1
zeek/hrr.pcap|--port 443|hidden=1
'
# Not compared, with the reason:
#   ndpi/ja3_lots_of_cipher_suites_2_anon.pcap  TLS inside GTP-U (UDP 2152), a tunnel mxwitness does not decode
#   ndpi/imap-starttls.pcap, zeek/imap-starttls.pcap, ndpi/pop3_stls.pcap,
#   zeek/pop3-starttls.pcap, ndpi/ftp-start-tls.pcap
#                                   STARTTLS of IMAP, POP3 and FTP: not mail submission or relay

# chain_ok FILE SERVER CLIENT SIDE SHA,SHA,... -> exit 0 when a session has it
chain_ok() {
    jq -e -s --arg s "$2" --arg c "$3" --arg side "$4" --arg fps "$5" '
        def ep($ip; $port): if ($ip | test(":")) then "[\($ip)]:\($port)" else "\($ip):\($port)" end;
        [.[] | select(.event.dataset == "mxwitness.session")
             | select(ep(.destination.ip; .destination.port) == $s and ep(.source.ip; .source.port) == $c)
             | (if $side == "server" then .tls.server else .tls.client end)
             | select(. != null) | (.certificate_chain_sha256 // []) | join(",")]
        | any(. == $fps)' "$1" >/dev/null
}

echo "$table" | while IFS='|' read -r cap opts checks; do
    [ -n "$cap" ] || continue
    name=$(echo "$cap" | tr '/' '-')
    # shellcheck disable=SC2086
    run_capture "conformance-$name" "$shared/$cap" "$tmp/out.json" $opts || continue
    if ! jq -e -s . "$tmp/out.json" >/dev/null 2>&1; then
        fail "conformance-$name" "output is not valid JSON lines"
        continue
    fi
    # every row needs a session (each reference has a Certificate message,
    # each count is at least 1): without one, say so and spare the checks
    if [ "$(jq -s '[.[] | select(.event.dataset == "mxwitness.session")] | length' "$tmp/out.json")" = 0 ]; then
        fail "conformance-$name" "no session reported ($checks)"
        continue
    fi
    bad=""
    for check in $checks; do
        case $check in
        chains)
            ref=tests/ref/certs/$cap.tsv
            if [ ! -f "$ref" ]; then bad="$bad no reference $ref;"; continue; fi
            grep -v '^#' "$ref" >"$tmp/ref"
            while IFS="$(printf '\t')" read -r _stream srv cli side fps; do
                chain_ok "$tmp/out.json" "$srv" "$cli" "$side" "$fps" ||
                    bad="$bad $side chain $cli->$srv not reported as [$(echo "$fps" | cut -c1-16)...];"
            done <"$tmp/ref"
            ;;
        zeek)
            log=$shared/zeek/expected/$(basename "$cap").x509.log
            if [ ! -f "$log" ]; then bad="$bad no Zeek x509.log;"; continue; fi
            jq -r -s '[.[] | .tls.server.certificate_chain_sha256?, .tls.client.certificate_chain_sha256? | select(. != null) | .[]] | .[]' \
                "$tmp/out.json" | sort -u >"$tmp/ours"
            grep -v '^#' "$log" | cut -f2 | tr 'a-f' 'A-F' | sort -u >"$tmp/zeek"
            missing=$(comm -23 "$tmp/zeek" "$tmp/ours" | head -n 3 | tr '\n' ' ')
            [ -z "$missing" ] || bad="$bad Zeek fingerprints not reported: $missing;"
            ;;
        sessions=*)
            want=${check#sessions=}
            got=$(jq -s '[.[] | select(.event.dataset == "mxwitness.session")] | length' "$tmp/out.json")
            [ "$got" = "$want" ] || bad="$bad $got sessions, expected $want;"
            ;;
        incomplete=*)
            want=${check#incomplete=}
            got=$(jq -s '[.[] | select(.event.dataset == "mxwitness.session" and .tls.incomplete == true)] | length' "$tmp/out.json")
            [ "$got" = "$want" ] || bad="$bad $got incomplete sessions, expected $want;"
            ;;
        hidden=*)
            want=${check#hidden=}
            got=$(jq -s '[.[] | select(.event.dataset == "mxwitness.session" and .tls.certificate_hidden == true)] | length' "$tmp/out.json")
            [ "$got" = "$want" ] || bad="$bad $got sessions with the certificate hidden, expected $want;"
            ;;
        esac
    done
    if [ -z "$bad" ]; then pass "conformance-$name" "$checks"; else fail "conformance-$name" "$bad"; fi
done
exit 0

#!/bin/sh
# e2e_ja4.sh - JA4 client fingerprints (FoxIO's technical_details/JA4.md)
# against nDPI's, from the third-party captures in ../shared/pcaps (skipped
# where that folder is absent, as in a user's clone).
#
# Expected values are nDPI's "[JA4: ...]" from ../shared/pcaps/ndpi/expected/,
# for the session with that client port.  Where nDPI departs from the JA4
# specification the row says so and carries the value the specification
# gives, from facts tshark shows for the same ClientHello (its
# tls.handshake.extensions_server_name and ..._alpn_str); the hashes (the
# second and third parts) are always nDPI's:
#   alpn   nDPI writes the first two characters of the first ALPN name; JA4
#          takes the first and the last ("http/1.1" is h1, "spdy/3.1" s1,
#          "anydesk/6.2.0/linux" ax)
#   sni    nDPI writes "d" when it learnt a host name anywhere; JA4 writes
#          "d" only when the ClientHello has the SNI extension, and tshark
#          shows none in these
# Not compared, with the reason:
#   ndpi/ftp-start-tls.pcap, ndpi/imap-starttls.pcap, ndpi/pop3_stls.pcap
#                         STARTTLS of FTP, IMAP and POP3: not mail submission or relay
#   ndpi/tls_invalid_reads.pcap  the fingerprinted connection is inside GTP-U,
#                         a tunnel mxwitness does not decode (its other
#                         ClientHello is malformed: no JA4 from nDPI or us)
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
. tests/lib.sh
BIN=${MXW_BIN:-$top/build/mxwitness}
shared_or_skip ja4
mk_tmpdir
jq_or_skip ja4

# capture|options|client port|JA4|basis
table='
ndpi/6in4tunnel.pcap|--port 443|60205|t12d660800_05dad94a8930_ad3c3a211394|ndpi
ndpi/6in4tunnel.pcap|--port 443|53234|t12d1311s1_94beff773b37_06a4338d0495|ndpi, alpn spdy/3.1
ndpi/http_ipv6.pcap|--port 443|37486|t12d1612h1_94fc43e2fc61_c9eaec7dbab4|ndpi, alpn http/1.1
ndpi/http_ipv6.pcap|--port 443|37488|t12d1612h1_94fc43e2fc61_c9eaec7dbab4|ndpi, alpn http/1.1
ndpi/http_ipv6.pcap|--port 443|37494|t12d1612h1_94fc43e2fc61_c9eaec7dbab4|ndpi, alpn http/1.1
ndpi/http_ipv6.pcap|--port 443|37506|t12d1612h1_94fc43e2fc61_c9eaec7dbab4|ndpi, alpn http/1.1
ndpi/http_ipv6.pcap|--port 443|53132|t12d1612h1_94fc43e2fc61_c9eaec7dbab4|ndpi, alpn http/1.1
ndpi/http_ipv6.pcap|--port 443|53134|t12d1612h1_94fc43e2fc61_c9eaec7dbab4|ndpi, alpn http/1.1
ndpi/imaps.pcap|--port 993|50506|t12d330700_81acdcf97981_3304d8368043|ndpi
ndpi/imaps.pcap|--port 993|51529|t13d261200_2802a3db6c62_845d286b0d67|ndpi
ndpi/long_tls_certificate.pcap|--port 443|55333|t12d6707h2_2955a3196ffa_c83f907a73d3|ndpi
ndpi/pops.pcapng|--port 995|55077|t12d280600_76ec540469e1_8b5687d2b2b8|ndpi
ndpi/selfsigned.pcap|--port 3001|51607|t12d6707h2_2955a3196ffa_c83f907a73d3|ndpi
ndpi/smtp-starttls.pcap||57406|t10i290100_cdba58456bdf_e78b541c01a9|ndpi, sni
ndpi/smtp-starttls.pcap||7562|t12d150900_073e58a039a6_b44afb9f0e6a|ndpi
ndpi/smtps.pcapng||37682|t12i860600_e18388e7f3a3_4446390ac224|ndpi, sni
ndpi/ssl-cert-name-mismatch.pcap|--port 443|54772|t12d3810h1_845d1e55a368_7448b1316cd7|ndpi, alpn http/1.1
ndpi/tls-rdn-extract.pcap|--port 443|31337|t10d120500_d94e65cdb899_c35b4a14be45|ndpi
ndpi/tls_2_reasms.pcapng|--port 443|38134|t00d0309h2_55b375c5d22e_566d5108064c|ndpi
ndpi/tls_2_reasms_b.pcapng|--port 443|37658|t00d0309h1_55b375c5d22e_566d5108064c|ndpi, alpn http/1.1
ndpi/tls_alert.pcap|--port 443|63158|t10d0909h2_61c4dbd01224_cc731f12afbb|ndpi
ndpi/tls_certificate_too_long.pcap|--port 443|53910|t13d2613h2_2802a3db6c62_845d286b0d67|ndpi
ndpi/tls_certificate_too_long.pcap|--port 443|53911|t13d2613h2_2802a3db6c62_845d286b0d67|ndpi
ndpi/tls_certificate_too_long.pcap|--port 443|53914|t13d2613h2_2802a3db6c62_845d286b0d67|ndpi
ndpi/tls_certificate_too_long.pcap|--port 443|53915|t13d2613h2_2802a3db6c62_845d286b0d67|ndpi
ndpi/tls_certificate_too_long.pcap|--port 443|53916|t13d2613h2_2802a3db6c62_845d286b0d67|ndpi
ndpi/tls_certificate_too_long.pcap|--port 443|53917|t13d2613h2_2802a3db6c62_845d286b0d67|ndpi
ndpi/tls_certificate_too_long.pcap|--port 443|53918|t13d2613h2_2802a3db6c62_845d286b0d67|ndpi
ndpi/tls_certificate_too_long.pcap|--port 443|53919|t13d2613h2_2802a3db6c62_845d286b0d67|ndpi
ndpi/tls_client_certificate_with_missing_server_one.pcapng|--port 443|48260|t12i6406ax_9197985d2161_a1e935682795|ndpi, sni, alpn anydesk/6.2.0/linux
ndpi/tls_client_certificate_with_missing_server_one.pcapng|--port 7070|59754|t12i640500_9197985d2161_a1e935682795|ndpi, sni
ndpi/tls_ech.pcapng|--port 443|47460|t13d1516h2_8daaf6152771_02713d6af862|ndpi
ndpi/tls_long_cert.pcap|--port 443|60174|t13d1615h2_46e7e9700bed_45f260be83e2|ndpi
ndpi/tls_malicious_sha1.pcapng|--port 443|40294|t12d2808h2_d943125447b4_dd0a478c1db3|ndpi
ndpi/tls_multiple_synack_different_seq.pcapng|--port 443|59927|t13d1515h2_8daaf6152771_de4a06bb82e3|ndpi
ndpi/tls_verylong_certificate.pcap|--port 443|54804|t12d6707h1_2955a3196ffa_c83f907a73d3|ndpi, alpn http/1.1
ndpi/whois.pcapng|--port 4343|64016|t12i1908h2_d83cc789557e_16bbda4055b2|ndpi, sni
'

echo "$table" | while IFS='|' read -r cap opts cport want basis; do
    [ -n "$cap" ] || continue
    name="ja4-$(basename "$cap" | sed 's/\.[a-z]*$//')-$cport"
    # shellcheck disable=SC2086
    run_capture "$name" "$shared/$cap" "$tmp/out.json" $opts || continue
    got=$(jq -r --argjson p "$cport" 'select(.event.dataset == "mxwitness.session")
            | select(.source.port == $p) | .tls.client.ja4 // "none"' "$tmp/out.json")
    if [ "$got" = "$want" ]; then
        pass "$name" "$want ($basis)"
    else
        fail "$name" "JA4 $got, want $want ($basis)"
    fi
done

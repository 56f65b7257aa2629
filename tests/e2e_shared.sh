#!/bin/sh
# e2e_shared.sh - mxwitness on the third-party captures in ../shared/pcaps
# (nDPI, Zeek and Wireshark test captures; see each folder's SOURCE.md).
#
# 1. Robustness: every capture file (*.pcap, *.pcapng; the key, keylog and
#    psk files are not captures) must be read with exit status 0, or exit 2
#    with an error that names the file; never a signal or a sanitizer report.
#    Read means all of it: the packet count of --stats equals capinfos's
#    (packets_check in lib.sh), so a capture with no TCP stream to compare
#    still has something to assert.
# 2. Stream bytes: for every capture with a reference in
#    tests/ref/follow/<folder>/<capture>.tsv (tshark's Follow TCP Stream,
#    made by tests/make-follow-refs.sh), `--flows --any-port` must report,
#    for each TCP connection, the same number of stream bytes in each
#    direction as tshark.  Connections are matched by their unordered pair of
#    endpoints (several connections on the same pair: in order of start), and
#    directions are mapped by endpoint.  A connection that only one side
#    reports counts as 0/0 bytes on the other: it is a mismatch when it
#    carried payload.  (tshark makes a stream of anything with a TCP header:
#    pure ACKs of a connection whose start was not captured, a TCP header
#    quoted in an ICMP error, headers with corrupted addresses; mxwitness
#    opens a connection only on a SYN, a SYN-ACK or a segment with data, so
#    those count as stray packets in --stats.  Neither carries stream bytes.)
# 3. A truncated copy of a capture: exit 0, a warning that says
#    "truncated" on stderr, and the flows read before the cut still printed.
# 4. A file of random bytes: exit 2 and an error that names the file.
#
# One PASS/FAIL line per capture (named shared:<folder>/<capture>), then
# truncated:<capture> (a pcap and a pcapng) and garbage-input.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
# shellcheck source=tests/lib.sh
. "$top/tests/lib.sh"
bin=$MXW_BIN
refs=$top/tests/ref/follow
shared_or_skip shared-pcaps
mk_tmpdir
have_capinfos ||
    skip shared-packet-count "capinfos is not installed (make test installs wireshark-common): only that --stats reports a count is checked"

# Known, explained divergences from tshark's Follow TCP Stream.  Each line:
#   <folder>/<capture>  <tshark stream>  <node0 bytes>  <node1 bytes>  <reason>
# The two numbers are what mxwitness must report for that stream instead of
# tshark's (node0/node1 as in the reference file); "absent" in place of the
# numbers means mxwitness must not report that connection at all.  Only
# divergences where mxwitness is right, or where the two tools answer a
# different question, belong here -- never a bug.
known() {
    cat <<'EOF'
# mxwitness does not reassemble IP fragments (README: fragments are counted
# and reported, never reassembled); tshark reassembles these two TCP
# "streams" out of the fuzzed fragment payloads.
ndpi/ip_fragmented_garbage.pcap 1 absent IP fragments are not reassembled
ndpi/ip_fragmented_garbage.pcap 2 absent IP fragments are not reassembled
# GTP-U (UDP 2152) is not decapsulated (README: Ethernet, VLAN, SLL, raw IP,
# loopback and IP-in-IP only); tshark follows the TCP inside the tunnel.
# Remove these lines if GTP-U decapsulation is added.
ndpi/ja3_lots_of_cipher_suites_2_anon.pcap 0 absent TCP inside GTP-U
ndpi/tls_change_cipher.pcap 0 absent TCP inside GTP-U
ndpi/reasm_segv_anon.pcapng 0 absent TCP inside GTP-U
ndpi/tls_invalid_reads.pcap 2 absent TCP inside GTP-U
# fuzz-2006 stream 28: SYN, SYN-ACK, ACK, a lost 1460-byte segment (its
# copy in the file has a corrupted port), then 423 bytes that the server
# acknowledges up to their first byte.  tshark 4.0's follow emits queued
# out-of-order data only once an ACK covers at least one byte of it
# (check_follow_fragments: GT_SEQ(acknowledged, lowest_seq)), so it never
# shows the 423 bytes; mxwitness records the 1460-byte gap and delivers them.
ndpi/fuzz-2006-09-29-28586.pcap 28 423 0 tshark drops data after a hole
# fuzz-2006 stream 33 (picked up mid-stream): the server's first packet is a
# pure ACK whose sequence number is corrupted (524288 ahead); tshark anchors
# the server direction on it and discards the server's 89+141+427 bytes as
# "old" data.  They are contiguous from the client's ACK 3847462945, and the
# client acknowledges exactly their end (3847463602): mxwitness is right.
ndpi/fuzz-2006-09-29-28586.pcap 33 316 657 tshark anchors on a corrupted pure ACK
# reasm_crash_anon (nDPI's regression for a reassembly crash): fuzzed and
# anonymised; a third of the client's segments carry corrupted sequence or
# acknowledgement numbers (1408984076, 620782734, 922444986 ... in a stream
# at 1006330879), and URG+RST+FIN or CWR+FIN+PSH flag soups sit in the
# middle.  tshark and mxwitness agree on the server's 4716 bytes; for the
# client each tool keeps a different subset of the contradictory copies
# (mxwitness records 149 conflicting and 10253 missing bytes).  Neither
# count is the truth: the test asserts no crash and the server direction.
ndpi/reasm_crash_anon.pcapng 0 572 4716 fuzzed sequence numbers: no single right answer
EOF
}

# compare REF FLOWS_TSV KNOWN: print one line per mismatching connection;
# print nothing when everything matches.  Exit status 0 always.
compare() {
    awk -F '\t' -v cap="$4" '
    function key(a, b) { return (a < b) ? a "|" b : b "|" a }
    FILENAME == ARGV[1] {                       # known divergences
        if ($0 ~ /^#/) next
        split($0, k, /[ \t]+/)
        if (k[1] != cap) next
        kn0[k[2]] = k[3]; kn1[k[2]] = k[4]; next
    }
    FILENAME == ARGV[2] {                       # the tshark reference
        if ($0 ~ /^#/ || NF < 5) next
        kk = key($2, $3); r = ++nr[kk]
        rs[kk, r] = $1; ra[kk, r] = $2; rb[kk, r] = $3; r0[kk, r] = $4; r1[kk, r] = $5
        if ($1 in kn0) {
            if (kn0[$1] == "absent") { rabsent[kk, r] = 1 }
            else { r0[kk, r] = kn0[$1]; r1[kk, r] = kn1[$1] }
        }
        if (!(kk in seen)) { seen[kk] = 1; order[++nk] = kk }
        next
    }
    {                                           # mxwitness: time client server c2s s2c
        kk = key($2, $3); m = ++nm[kk]
        mc[kk, m] = $2; ms[kk, m] = $3; m2s[kk, m] = $4; ms2c[kk, m] = $5; mt[kk, m] = $1
        if (!(kk in seen)) { seen[kk] = 1; order[++nk] = kk }
    }
    END {
        for (o = 1; o <= nk; o++) {
            kk = order[o]; j = 0
            for (r = 1; r <= nr[kk]; r++) {
                if ((kk, r) in rabsent) continue
                if (++j > nm[kk]) {
                    if (r0[kk, r] + r1[kk, r] > 0)
                        printf "stream %s %s-%s: tshark %d/%d bytes, mxwitness has no such connection\n", rs[kk, r], ra[kk, r], rb[kk, r], r0[kk, r], r1[kk, r]
                    continue
                }
                # map the directions: node0 is the client or the server
                if (ra[kk, r] == mc[kk, j]) { x0 = m2s[kk, j]; x1 = ms2c[kk, j] }
                else { x0 = ms2c[kk, j]; x1 = m2s[kk, j] }
                if (x0 != r0[kk, r] || x1 != r1[kk, r])
                    printf "stream %s %s>%s: tshark %d/%d, mxwitness %s/%s (%s)\n", rs[kk, r], ra[kk, r], rb[kk, r], r0[kk, r], r1[kk, r], x0, x1, \
                        (ra[kk, r] == mc[kk, j]) ? "c2s/s2c" : "s2c/c2s"
            }
            for (; j < nm[kk]; ) {
                j++
                if (m2s[kk, j] + ms2c[kk, j] > 0)
                    printf "mxwitness connection %s > %s at %s (c2s=%s s2c=%s) is not in tshark\n", mc[kk, j], ms[kk, j], mt[kk, j], m2s[kk, j], ms2c[kk, j]
            }
        }
    }' "$3" "$1" "$2"
}

known >"$tmp/known"
for f in "$shared"/*/*; do
    is_capture "$f" || continue
    folder=$(basename "$(dirname "$f")")
    cap=$(basename "$f")
    name=shared:$folder/$cap
    "$bin" --flows --any-port --stats -r "$f" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    if why=$(crash_report "$rc" "$tmp/err"); then
        fail "$name" "crashed: $why"
        continue
    fi
    if [ "$rc" -eq 0 ] && why=$(packets_check "$f" "$rc" "$tmp/err") && [ -n "$why" ]; then
        fail "$name" "$why"
        continue
    fi
    ref=$refs/$folder/$cap.tsv
    nref=0
    [ -f "$ref" ] && nref=$(grep -c -v '^#' "$ref")
    if [ "$rc" -ne 0 ]; then
        if [ "$rc" -eq 2 ] && grep -q -F "$cap" "$tmp/err" && [ "$nref" -eq 0 ]; then
            pass "$name" "unsupported input, exit 2: $(head -n 1 "$tmp/err")"
        elif [ "$rc" -eq 2 ] && grep -q -F "$cap" "$tmp/err"; then
            fail "$name" "exit 2 ($(head -n 1 "$tmp/err")) but tshark follows $nref TCP streams in it"
        else
            fail "$name" "exit $rc: $(head -n 3 "$tmp/err")"
        fi
        continue
    fi
    if [ ! -f "$ref" ]; then
        pass "$name" "read with exit 0, $(stats_packets "$tmp/err") packets (no tshark reference to compare)"
        continue
    fi
    flows_tsv <"$tmp/out" | sort -t "$(printf '\t')" -k 1,1 >"$tmp/flows"
    compare "$ref" "$tmp/flows" "$tmp/known" "$folder/$cap" >"$tmp/diff"
    if [ -s "$tmp/diff" ]; then
        fail "$name" "$(wc -l <"$tmp/diff") difference(s) from tshark follow (mxwitness reports $(wc -l <"$tmp/flows") connections): $(cat "$tmp/diff")"
    else
        pass "$name" "$(stats_packets "$tmp/err") packets, $nref streams, bytes match tshark follow"
    fi
done

# A capture cut short in the middle of a packet (pcap and pcapng): exit 0, a
# warning with "truncated", and the connections seen before the cut, each
# one also in the full capture's output.
for spec in zeek/smtp.pcap:20000 wireshark/smtp-ssl.pcapng:3000; do
    src=$shared/${spec%:*}
    name=truncated:${spec%:*}
    if [ ! -f "$src" ]; then
        skip "$name" "$src not found"
        continue
    fi
    head -c "${spec##*:}" "$src" >"$tmp/cut"
    "$bin" --flows --any-port -r "$src" 2>/dev/null | flows_tsv | cut -f 2,3 >"$tmp/full"
    "$bin" --flows --any-port -r "$tmp/cut" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    n=$(flows_tsv <"$tmp/out" | wc -l)
    unknown=$(flows_tsv <"$tmp/out" | cut -f 2,3 | grep -v -x -F -f "$tmp/full")
    if why=$(crash_report "$rc" "$tmp/err"); then
        fail "$name" "crashed: $why"
    elif [ "$rc" -ne 0 ]; then
        fail "$name" "exit $rc: $(head -n 2 "$tmp/err")"
    elif ! grep -q -i truncated "$tmp/err"; then
        fail "$name" "no warning with 'truncated' on stderr: $(head -n 2 "$tmp/err")"
    elif [ "$n" -lt 1 ]; then
        fail "$name" "no connection printed"
    elif [ -n "$unknown" ]; then
        fail "$name" "connections not in the full capture's output: $unknown"
    else
        pass "$name" "exit 0, $n connection(s), warning: $(grep -i -m 1 truncated "$tmp/err")"
    fi
done

# Random bytes (behind a prefix that is no capture magic): exit 2 and an
# error naming the file.
g=$tmp/garbage.pcap
{ printf 'not a capture\n'; head -c 4096 /dev/urandom; } >"$g"
"$bin" --flows --any-port -r "$g" >"$tmp/out" 2>"$tmp/err"
rc=$?
if why=$(crash_report "$rc" "$tmp/err"); then
    fail garbage-input "crashed: $why"
elif [ "$rc" -ne 2 ]; then
    fail garbage-input "exit $rc, expected 2: $(head -n 2 "$tmp/err")"
elif ! grep -q -F garbage.pcap "$tmp/err"; then
    fail garbage-input "the error does not name the file: $(head -n 2 "$tmp/err")"
else
    pass garbage-input "exit 2: $(head -n 1 "$tmp/err")"
fi
exit 0

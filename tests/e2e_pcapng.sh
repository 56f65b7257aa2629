#!/bin/sh
# e2e_pcapng.sh - pcapng through our own reader.  The appliance's two
# captures (pcaps/record.sh), given different snapshot lengths and merged
# by mergecap into one pcapng of two interfaces (which libpcap 1.10
# refuses), named outside and inside as dumpcap would have named them
# (tests/helper_pcapng): every packet of both is read, each interface is a
# capture point labelled by its name, and the hop conclusion is the one of
# -r outside.pcap@outside -r inside.pcap@inside; the same from standard
# input; a filter still applies per interface; the points of a pcapng take
# its place in the command-line order.  A pcapng with a Decryption Secrets
# Block (editcap --inject-secrets) has its secret counted; a truncated one
# gives the packets before the damage and a warning naming it; garbage
# after the Section Header Block is exit 2 naming the offset.
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
. tests/lib.sh
BIN=${MXW_BIN:-$top/build/mxwitness}
NAME=${MXW_BUILD_DIR:-$top/build}/tests/helper_pcapng
jq_or_skip pcapng
if ! command -v mergecap >/dev/null 2>&1 || ! command -v editcap >/dev/null 2>&1 || ! have_capinfos; then
    skip pcapng "mergecap, editcap and capinfos are not installed (make test installs wireshark-common)"
    exit 0
fi
mk_tmpdir

out=pcaps/appliance-outside.pcap
in=pcaps/appliance-inside.pcap
expect="--ca-file pcaps/certs/test-root-ca.pem --expect mail.example.test=pem:pcaps/certs/appliance-inside.pem"
n_out=$(capinfos_count "$out")
n_in=$(capinfos_count "$in")

# run NAME OUT [OPTIONS...]: mxwitness --json --stats OPTIONS, status in OUT.rc;
# false (with the FAIL line) when it crashed
run() {
    _n=$1 _o=$2
    shift 2
    run_json "$_n" "$_o" --stats "$@"
}

# hops_summary FILE: per delivery, the points in order, where the
# certificate changed, each point's certificate and the findings
hops_summary() {
    jq -r 'select(.event.dataset == "mxwitness.hops") |
        [ (.hops.points | map(.observer.name) | join(",")),
          (.hops.certificate_changed_between // ["-"] | join(">")),
          (.hops.points | map(.tls.server.hash.sha256 // "-") | join(" ")),
          (.findings | map(.code + ":" + .severity) | join(",")) ] | join(" ")' "$1"
}

# input_packets ERR LABEL: N of the "input LABEL: N packets" line of --stats
input_packets() {
    sed -n "s/^  input $2: \([0-9][0-9]*\) packets .*/\1/p" "$1" | head -n 1
}

# the merged file: the inside capture with another snapshot length, so that
# mergecap keeps two interfaces
editcap -F pcap -s 65535 "$in" "$tmp/in65k.pcap" &&
    mergecap -w "$tmp/merged.pcapng" "$out" "$tmp/in65k.pcap" &&
    "$NAME" name "$tmp/merged.pcapng" "$tmp/named.pcapng" outside inside ||
    { fail pcapng-setup "editcap, mergecap or helper_pcapng failed"; exit 0; }
n_merged=$(capinfos_count "$tmp/named.pcapng")

# 1. every packet of both interfaces, read as two capture points
if run merged-read "$tmp/m" -r "$tmp/merged.pcapng"; then
    got=$(stats_packets "$tmp/m.err")
    if [ "$got" = "$n_merged" ] && [ "$got" = $((n_out + n_in)) ] &&
       [ "$(input_packets "$tmp/m.err" merged.pcapng)" = "$n_out" ] &&
       [ "$(input_packets "$tmp/m.err" 'merged.pcapng#1')" = "$n_in" ]; then
        pass merged-read "$got packets, $n_out + $n_in at two unnamed interfaces"
    else
        fail merged-read "read $got of $n_merged (want $n_out + $n_in): $(grep -E '^(packets|  input)' "$tmp/m.err")"
    fi
fi

# 2. named interfaces: the same hop conclusion as the two files
if run two-files "$tmp/two" $expect -r "$out@outside" -r "$in@inside" &&
   run named "$tmp/named" $expect -r "$tmp/named.pcapng"; then
    a=$(hops_summary "$tmp/two")
    b=$(hops_summary "$tmp/named")
    if [ -n "$b" ] && [ "$a" = "$b" ] && [ "$(cat "$tmp/named.rc")" = "$(cat "$tmp/two.rc")" ] &&
       [ "$(input_packets "$tmp/named.err" outside)" = "$n_out" ] &&
       [ "$(input_packets "$tmp/named.err" inside)" = "$n_in" ]; then
        pass named-points "$b"
    else
        fail named-points "two files [$a] exit $(cat "$tmp/two.rc"), pcapng [$b] exit $(cat "$tmp/named.rc"): $(grep '^  input' "$tmp/named.err")"
    fi
    case $b in
        "outside,inside outside>inside "*CERT_REPLACED:critical) pass named-conclusion ;;
        *) fail named-conclusion "got [$b]" ;;
    esac
fi

# 3. from standard input
if run stdin "$tmp/stdin" $expect -r - <"$tmp/named.pcapng"; then
    b=$(hops_summary "$tmp/stdin")
    if [ -n "$b" ] && [ "$b" = "$(hops_summary "$tmp/two")" ] &&
       [ "$(stats_packets "$tmp/stdin.err")" = "$n_merged" ]; then
        pass stdin "$b"
    else
        fail stdin "got [$b], $(stats_packets "$tmp/stdin.err") packets of $n_merged"
    fi
fi

# 4. a filter applies to each interface (each with its own program)
if run filter "$tmp/f" -f "host 192.0.2.10" -r "$tmp/named.pcapng"; then
    if [ "$(input_packets "$tmp/f.err" outside)" = "$n_out" ] &&
       [ "$(input_packets "$tmp/f.err" inside)" = 0 ]; then
        pass filter "outside $n_out, inside 0"
    else
        fail filter "$(grep '^  input' "$tmp/f.err")"
    fi
fi

# 5. command-line order: the pcapng's points at its place, in their order
if run order "$tmp/o" -r pcaps/clean-tls12.pcap@first -r "$tmp/named.pcapng" -r pcaps/starttls-tls13.pcap@last; then
    pts=$(jq -r 'select(.event.dataset == "mxwitness.hops") | .hops.points | map(.observer.name) | join(",")' "$tmp/o" | sort -u)
    if [ "$pts" = "first,outside,inside,last" ]; then
        pass order "$pts"
    else
        fail order "points [$pts], want first,outside,inside,last"
    fi
fi

# 6. a Decryption Secrets Block: read and its secret counted
if editcap --inject-secrets tls,pcaps/starttls-tls13.keylog pcaps/starttls-tls13.pcap "$tmp/dsb.pcapng" &&
   run dsb "$tmp/d" -r "$tmp/dsb.pcapng"; then
    n=$(capinfos_count "$tmp/dsb.pcapng")
    if grep -q '^decryption secrets: 1 (1 TLS key log)$' "$tmp/d.err" &&
       [ "$(stats_packets "$tmp/d.err")" = "$n" ] && [ -n "$n" ]; then
        pass dsb "$n packets, 1 secret"
    else
        fail dsb "$(grep -E '^(packets|decryption)' "$tmp/d.err"), capinfos $n"
    fi
else
    fail dsb "editcap --inject-secrets failed"
fi

# 7. truncated: the packets before the damage, and a warning naming the file
size=$(wc -c <"$tmp/named.pcapng")
head -c $((size - 30)) "$tmp/named.pcapng" >"$tmp/trunc.pcapng"
if run truncated "$tmp/t" -r "$tmp/trunc.pcapng"; then
    rc=$(cat "$tmp/t.rc")
    why=$(packets_check "$tmp/trunc.pcapng" "$rc" "$tmp/t.err")
    if [ -z "$why" ] && { [ "$rc" = 0 ] || [ "$rc" = 1 ]; } &&
       grep -q "warning: $tmp/trunc.pcapng: block at offset [0-9]*: truncated block.* (read $((n_merged - 1)) packets up to there)" "$tmp/t.err"; then
        pass truncated "$(stats_packets "$tmp/t.err") packets, then the warning"
    else
        fail truncated "exit $rc $why: $(grep -E 'warning|^packets' "$tmp/t.err")"
    fi
fi

# 8. garbage after the Section Header Block: an input error naming the offset
shb_len=$(od -An -tu4 -j4 -N4 "$tmp/named.pcapng" | tr -d ' ')
{ head -c "$shb_len" "$tmp/named.pcapng"; printf 'garbage after the section header\n'; } >"$tmp/garbage.pcapng"
if run garbage "$tmp/g" -r "$tmp/garbage.pcapng"; then
    if [ "$(cat "$tmp/g.rc")" = 2 ] &&
       grep -q "$tmp/garbage.pcapng: pcapng: block at offset $shb_len: " "$tmp/g.err"; then
        pass garbage "exit 2: $(head -n 1 "$tmp/g.err")"
    else
        fail garbage "exit $(cat "$tmp/g.rc"): $(head -c 300 "$tmp/g.err")"
    fi
fi

# 9. the reason for all this: libpcap reads nothing of the merged file; we
# read it whole, where a file that cannot be read at all is exit 2
printf '\n\r\r\n' >"$tmp/short.pcapng"
if run short "$tmp/s" -r "$tmp/short.pcapng"; then
    if [ "$(cat "$tmp/s.rc")" = 2 ] && grep -q "short.pcapng: pcapng: block at offset 0: truncated" "$tmp/s.err"; then
        pass unreadable "exit 2"
    else
        fail unreadable "exit $(cat "$tmp/s.rc"): $(head -c 300 "$tmp/s.err")"
    fi
fi
exit 0

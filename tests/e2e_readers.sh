#!/bin/sh
# e2e_readers.sh - the ways a capture file is read give the same run.
#
# A classic pcap of 12 MB (bench/gen from pcaps/) is read as a file (our
# large reads, a 1 MiB buffer refilled a dozen times, records cut by its
# edge moved to its front), from standard input (libpcap), and as pcapng
# (editcap) from a file (our reader's pread window, refilled some fifty
# times) and from standard input (block by block).  Each must give byte
# for byte the same --json lines (the
# input's label set the same with -r FILE@LABEL) and the same packet count
# in --stats.  The same file cut in the middle of a record: the file and
# standard input stop at the same packet, with the same lines, and both
# warn that the file is truncated.
#
#   readers-same        the four readers of the whole file agree
#   readers-truncated   the cut file, as a file and from standard input
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
. tests/lib.sh
BIN=${MXW_BIN:-$top/build/mxwitness}
BUILD=${MXW_BUILD_DIR:-$top/build}
mk_tmpdir

if ! "$BUILD/bench/gen" -q -o "$tmp/big.pcap" --size 12 pcaps/*.pcap ||
   [ "$(wc -c <"$tmp/big.pcap")" -lt 9000000 ]; then
    fail readers-same "bench/gen could not write a 12 MB capture"
    exit 0
fi

# read NAME [-r ARG]: --json --stats into $tmp/NAME.json and .err; the
# packet count it read in $tmp/NAME.n
read_as() {
    _n=$1
    shift
    "$BIN" --json --stats "$@" >"$tmp/$_n.json" 2>"$tmp/$_n.err"
    _rc=$?
    stats_packets "$tmp/$_n.err" >"$tmp/$_n.n"
    [ "$_rc" -le 1 ] && [ -s "$tmp/$_n.json" ] && [ -s "$tmp/$_n.n" ]
}

bad=""
read_as file -r "$tmp/big.pcap@x" || bad="$bad file: did not run ($(head -c 200 "$tmp/file.err"));"
read_as stdin -r -@x <"$tmp/big.pcap" || bad="$bad stdin: did not run;"
if command -v editcap >/dev/null 2>&1 && editcap -F pcapng "$tmp/big.pcap" "$tmp/big.pcapng"; then
    read_as ng -r "$tmp/big.pcapng@x" || bad="$bad pcapng file: did not run;"
    read_as ngstdin -r -@x <"$tmp/big.pcapng" || bad="$bad pcapng stdin: did not run;"
    readers="file stdin ng ngstdin"
else
    skip readers-pcapng "editcap is not installed (make test installs wireshark-common): pcapng not compared"
    readers="file stdin"
fi
sessions=$(grep -c '"dataset":"mxwitness.session"' "$tmp/file.json")
for r in $readers; do
    cmp -s "$tmp/file.json" "$tmp/$r.json" || bad="$bad $r: other --json lines than the file's;"
    [ "$(cat "$tmp/$r.n")" = "$(cat "$tmp/file.n")" ] ||
        bad="$bad $r: $(cat "$tmp/$r.n") packets, the file $(cat "$tmp/file.n");"
done
if [ -z "$bad" ] && [ "$sessions" -ge 1000 ]; then
    pass readers-same "$readers: the same $sessions sessions, $(cat "$tmp/file.n") packets"
else
    fail readers-same "$sessions sessions;$bad"
fi

# cut inside a record, past several refills of the buffer
head -c 10300001 "$tmp/big.pcap" >"$tmp/cut.pcap"
bad=""
read_as cutfile -r "$tmp/cut.pcap@x" || bad="$bad file: did not run;"
read_as cutstdin -r -@x <"$tmp/cut.pcap" || bad="$bad stdin: did not run;"
cmp -s "$tmp/cutfile.json" "$tmp/cutstdin.json" || bad="$bad other --json lines;"
[ "$(cat "$tmp/cutfile.n")" = "$(cat "$tmp/cutstdin.n")" ] ||
    bad="$bad $(cat "$tmp/cutfile.n") packets from the file, $(cat "$tmp/cutstdin.n") from stdin;"
[ "$(cat "$tmp/cutfile.n")" -lt "$(cat "$tmp/file.n")" ] || bad="$bad the cut file read whole;"
for r in cutfile cutstdin; do
    grep -q 'warning: .*truncated' "$tmp/$r.err" || bad="$bad $r: no warning that the file is truncated;"
done
if [ -z "$bad" ]; then
    pass readers-truncated "both stop at packet $(cat "$tmp/cutfile.n") of $(cat "$tmp/file.n"), warned"
else
    fail readers-truncated "$bad"
fi

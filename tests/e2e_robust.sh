#!/bin/sh
# e2e_robust.sh - every capture we have, through the whole pipeline, in
# every output mode: the project's own (pcaps/) and, where present, the
# third-party ones (../shared/pcaps, fuzzed and malformed files among them).
# Each run must exit 0 or 1 (findings), or 2 with a message naming the file
# for input it refuses, never crash (under make asan a sanitizer report is a crash), and --json must be
# valid JSON, one object per line.  --any-port sends every TCP connection
# through nDPI and the session layer, not only the mail ports.  And every
# run must have read the file: the packet count of --stats equals what
# capinfos (Wireshark's reader, not libpcap) counts; for a file damaged part
# way, both stop at the same packet and mxwitness warns naming the file (see
# packets_check in lib.sh).
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
. tests/lib.sh
BIN=${MXW_BIN:-$top/build/mxwitness}
mk_tmpdir

files=$(ls pcaps/*.pcap 2>/dev/null)
shared=$(shared_dir)
if [ -n "$shared" ]; then
    files="$files $(find "$shared" -maxdepth 2 -type f \( -name '*.pcap' -o -name '*.pcapng' \) | sort)"
else
    skip robust-shared "../shared/pcaps not found (third-party captures are not in a user's clone)"
fi
have_capinfos ||
    skip robust-packet-count "capinfos is not installed (make test installs wireshark-common): only that --stats reports a count is checked"
for f in $files; do
    name=robust-$(echo "$f" | sed "s|^$shared/||; s|/|-|g")
    bad=""
    count="" count_rc=""
    for mode in "--json --any-port" "--transcript --any-port" "--json --transcript --redact"; do
        # shellcheck disable=SC2086
        "$BIN" $mode --stats --certs "$tmp/certs" -r "$f" >"$tmp/out" 2>"$tmp/err"
        rc=$?
        if why=$(crash_report "$rc" "$tmp/err"); then
            bad="$bad [$mode] crashed: $why;"
            continue
        fi
        # 0 or 1 (findings at or above --fail-on); 2 only with a message
        # naming the file (packets_check)
        if [ "$rc" -ne 0 ] && [ "$rc" -ne 1 ] && [ "$rc" -ne 2 ]; then
            bad="$bad [$mode] exit $rc: $(head -c 200 "$tmp/err");"
            continue
        fi
        if have_capinfos && [ -z "$count_rc" ]; then
            count=$(capinfos_count "$f")
            count_rc=$?
        fi
        why=$(packets_check "$f" "$rc" "$tmp/err" "$count" "$count_rc")
        if [ -n "$why" ]; then
            bad="$bad [$mode] $(echo "$why" | tr '\n' ' ');"
            continue
        fi
        case $mode in
        *--json*)
            command -v jq >/dev/null 2>&1 || continue
            if ! jq -e . "$tmp/out" >/dev/null 2>&1; then
                bad="$bad [$mode] output is not valid JSON;"
            elif [ "$(jq -c . "$tmp/out" | wc -l)" != "$(wc -l <"$tmp/out")" ]; then
                bad="$bad [$mode] not one JSON object per line;"
            fi
            ;;
        *)
            # text from the wire is escaped: no control characters but
            # newline in the report
            if LC_ALL=C grep -q "$(printf '[\001-\010\013-\037\177]')" "$tmp/out"; then
                bad="$bad [$mode] raw control characters in the text report;"
            fi
            ;;
        esac
    done
    if [ -z "$bad" ]; then pass "$name"; else fail "$name" "$bad"; fi
done
exit 0

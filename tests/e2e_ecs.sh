#!/bin/sh
# e2e_ecs.sh - the JSON lines against the Elasticsearch index template that
# ships with mxwitness (tools/mxwitness-template.json, ECS types where ECS
# has the field):
#   fields    the template is a composable index template whose mapping
#             uses only field types Elasticsearch has, and every field of every kind of line mxwitness writes (sessions
#             with and without key logs and --json-chains, certificate,
#             fingerprint, summary, hops, evicted-server, stats, clock and
#             flow lines, a SYN flood, a clock in 1970 and one that jumps,
#             and those of the third-party captures where present) is
#             mapped, with a type its values fit: a date is RFC 3339, an ip
#             an address, a long an integer, a boolean a boolean; no field
#             is an object in one line and a value in another
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
. tests/lib.sh
BIN=${MXW_BIN:-$top/build/mxwitness}
T=tools/mxwitness-template.json
mk_tmpdir
jq_or_skip ecs

# the template itself (a check of a file alone: it is part of the next one)
if jq -e '(.index_patterns | length > 0) and (.template.mappings.properties | type == "object") and
          ([.. | objects | select(has("type")) | .type] | all(IN("keyword", "text", "date", "ip",
            "long", "boolean")))' "$T" >/dev/null 2>"$tmp/t.err"; then
    tbad=""
    nt=$(jq '[.. | objects | select(has("type") and (.type | type) == "string")] | length' "$T")
else
    tbad="the template is not one: $(head -c 200 "$tmp/t.err")"
fi

# every field written, against it
o=$tmp/all.json
: >"$o"
for f in pcaps/*.pcap; do
    "$BIN" --json --ca-file pcaps/certs/test-root-ca.pem -r "$f" >>"$o" 2>/dev/null
done
"$BIN" --json -r pcaps/appliance-outside.pcap@outside -r pcaps/appliance-inside.pcap@inside >>"$o" 2>/dev/null
"$BIN" --json --flows -r pcaps/clean-tls12.pcap >>"$o" 2>/dev/null
"$BIN" --json --keylog pcaps/reply-4-7-320.keylog -r pcaps/reply-4-7-320.pcap >>"$o" 2>/dev/null
"$BIN" --json --keylog pcaps/starttls-tls13.keylog -r pcaps/starttls-tls13.pcap >>"$o" 2>/dev/null
"$BIN" --json-chains -r pcaps/mutual-tls.pcap >>"$o" 2>/dev/null
"$BIN" --json --max-servers 1 -r pcaps/balancer-outside.pcap >>"$o" 2>/dev/null
"$BIN" --json --stats-interval 1 -r pcaps/many-sessions.pcap >>"$o" 2>/dev/null
BUILD=${MXW_BUILD_DIR:-$top/build}
# a flood (connections without a dialogue), a clock in doubt, a prelude
if "$BUILD/bench/gen" -q -o "$tmp/flood.pcap" --syn-flood 2000 pcaps/many-sessions.pcap; then
    "$BIN" --json --stats-interval 1 --max-flows 200 -r "$tmp/flood.pcap" >>"$o" 2>/dev/null
fi
if "$BUILD/tests/helper_retime" pcaps/clean-tls12.pcap "$tmp/1970.pcap" 0 -1795000000 2>/dev/null; then
    "$BIN" --json -r "$tmp/1970.pcap" >>"$o" 2>/dev/null
fi
if "$BUILD/tests/helper_retime" pcaps/many-sessions.pcap "$tmp/jump.pcap" 600 315360000 2>/dev/null; then
    "$BIN" --json -r "$tmp/jump.pcap" >>"$o" 2>/dev/null
fi
if "$BUILD/tests/helper_portmap" pcaps/implicit-465.pcap "$tmp/prelude.pcap" 465 4650 \
        "$(printf 'PROXY TCP4 192.0.2.1 198.51.100.1 4000 4650\r\n')" 2>/dev/null; then
    "$BIN" --json --port 4650 -r "$tmp/prelude.pcap" >>"$o" 2>/dev/null
fi
for k in pcaps/*.keylog; do
    "$BIN" --json --keylog "$k" -r "${k%.keylog}.pcap" >>"$o" 2>/dev/null
done
shared=$(shared_dir)
if [ -n "$shared" ]; then
    for f in "$shared"/*/*smtp*.pcap "$shared"/*/*smtp*.pcapng "$shared"/*/*tls*.pcap; do
        [ -f "$f" ] && "$BIN" --json -r "$f" >>"$o" 2>/dev/null
    done
fi
[ -n "${MXW_ECS_DUMP:-}" ] && cp "$o" "$MXW_ECS_DUMP"    # the lines, for a look at them
# one line per scalar: path (array indices left out), JSON type, the
# template's type for it (or "unmapped"), and whether the value fits
jq -r --slurpfile t "$T" '
    def m($p): reduce $p[] as $k ($t[0].template.mappings;
        if . == null then null else (.properties[$k] // null) end);
    def fits($v; $ty):
        if $ty == "keyword" or $ty == "text" then ($v | type) == "string" or ($v | type) == "number"
        elif $ty == "long" then ($v | type) == "number" and ($v | floor) == $v
        elif $ty == "boolean" then ($v | type) == "boolean"
        elif $ty == "date" then ($v | type) == "string" and ($v | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?Z$"))
        elif $ty == "ip" then ($v | type) == "string" and ($v | test("^([0-9]{1,3}\\.){3}[0-9]{1,3}$|^[0-9a-fA-F:]*:[0-9a-fA-F:.]*$"))
        else false end;
    (.event.dataset // "none") as $ds |
    paths(scalars) as $p | ($p | map(select(type == "string"))) as $k | m($k) as $mm |
    [$ds, ($k | join(".")), (getpath($p) | type),
     (if $mm == null then "unmapped" elif ($mm | has("properties")) then "object" else $mm.type end),
     (if $mm == null or ($mm | has("properties")) then "no" elif fits(getpath($p); $mm.type) then "ok" else "no" end)]
    | @tsv' "$o" 2>"$tmp/jq.err" | sort -u >"$tmp/fields"
nf=$(cut -f2 "$tmp/fields" | sort -u | wc -l)
nd=$(cut -f1 "$tmp/fields" | sort -u | tr '\n' ' ')
bad=$(awk -F'\t' '$5 != "ok" { print $1 ":" $2 " (" $3 ", mapped " $4 ")" }' "$tmp/fields" | sort -u | head -n 20 | tr '\n' ' ')
if [ -z "$tbad" ] && [ ! -s "$tmp/jq.err" ] && [ "$nf" -gt 150 ] && [ -z "$bad" ]; then
    pass fields "$nf fields of the datasets $nd, in a template of $nt"
else
    fail fields "$tbad $nf fields; not fitting the template: $bad $(head -c 200 "$tmp/jq.err")"
fi

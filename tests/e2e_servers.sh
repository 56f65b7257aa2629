#!/bin/sh
# e2e_servers.sh - the server table's budget (--max-servers) on real
# captures: a server that leaves the table has its summary written as it
# leaves, never silently lost.  many-sessions.pcap holds 20 deliveries to
# each of two servers (its truth file); with room for one server, the
# summaries written (evicted ones and the last) must add up to the same 20
# and 20 as the run with the default budget, the evictions must be counted
# in the mxwitness.stats line and warned about, and the session lines must
# be the same.
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
. tests/lib.sh
BIN=${MXW_BIN:-$top/build/mxwitness}
jq_or_skip servers
mk_tmpdir

cap=pcaps/many-sessions.pcap
truth=pcaps/many-sessions.truth

# the servers and their session counts from the truth file
awk -F'\t' '$1 == "session" {
    for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = substr($i, length(kv[1]) + 2) }
    n[f["server"] " " f["port"]] += f["count"]
} END { for (k in n) print k, n[k] }' "$truth" | sort >"$tmp/want"

run_capture budget-default "$cap" "$tmp/default" || exit 0
run_capture budget-one "$cap" "$tmp/one" --max-servers 1 || exit 0

# summaries per server: the default run has one each, and they are the truth
jq -r 'select(.event.dataset == "mxwitness.summary") |
       "\(.destination.ip) \(.destination.port) \(.mxwitness.sessions)"' "$tmp/default" |
    sort >"$tmp/got-default"
if [ -s "$tmp/want" ] && cmp -s "$tmp/want" "$tmp/got-default"; then
    pass summaries-default
else
    fail summaries-default "want [$(cat "$tmp/want")], got [$(cat "$tmp/got-default")]"
fi

# with room for one server: several summaries per server, adding up to the truth
jq -r 'select(.event.dataset == "mxwitness.summary") |
       "\(.destination.ip) \(.destination.port) \(.mxwitness.sessions)"' "$tmp/one" |
    awk '{ n[$1 " " $2] += $3 } END { for (k in n) print k, n[k] }' | sort >"$tmp/got-one"
nsum=$(jq -r 'select(.event.dataset == "mxwitness.summary") | .destination.ip' "$tmp/one" | wc -l)
nev=$(jq -r 'select(.event.dataset == "mxwitness.summary" and .mxwitness.evicted == true) |
             .destination.ip' "$tmp/one" | wc -l)
if [ -s "$tmp/want" ] && cmp -s "$tmp/want" "$tmp/got-one" && [ "$nsum" -gt 2 ] &&
   [ "$nev" -eq $((nsum - 1)) ]; then
    pass summaries-evicted "$nsum summaries, $nev written as their server left the table"
else
    fail summaries-evicted "want [$(cat "$tmp/want")], got [$(cat "$tmp/got-one")], $nsum summaries, $nev evicted"
fi

# the evictions are counted where a SIEM sees them, and warned about
st=$(jq -r 'select(.event.dataset == "mxwitness.stats") |
            "\(.mxwitness.server_table.server.evicted) \(.mxwitness.server_table.server.peak)"' "$tmp/one")
if [ "$st" = "$nev 1" ] && grep -q "left the server table" "$tmp/one.err"; then
    pass evictions-counted "$st"
else
    fail evictions-counted "stats line '$st' (want '$nev 1'); stderr: $(head -c 300 "$tmp/one.err")"
fi
if jq -e 'select(.event.dataset == "mxwitness.stats")' "$tmp/default" >/dev/null 2>&1 ||
   [ "$(jq -c 'select(.event.dataset == "mxwitness.session")' "$tmp/default" | wc -l)" -ne 40 ]; then
    fail no-stats-within-budget "a stats line without evictions, or not the 40 sessions of the truth"
else
    pass no-stats-within-budget
fi

# the sessions themselves do not depend on the budget
jq -c 'select(.event.dataset == "mxwitness.session")' "$tmp/default" >"$tmp/s-default"
jq -c 'select(.event.dataset == "mxwitness.session")' "$tmp/one" >"$tmp/s-one"
if [ "$(wc -l <"$tmp/s-default")" -eq 40 ] && cmp -s "$tmp/s-default" "$tmp/s-one"; then
    pass sessions-same
else
    fail sessions-same "$(wc -l <"$tmp/s-default") and $(wc -l <"$tmp/s-one") session lines, or they differ"
fi

# text: the evicted servers are written as they leave, then the rest
"$BIN" --max-servers 1 -r "$cap" >"$tmp/text" 2>"$tmp/text.err"
rc=$?
if why=$(crash_report "$rc" "$tmp/text.err"); then
    fail text-evicted "crashed: $why"
elif [ "$rc" -gt 1 ]; then
    fail text-evicted "exit status $rc"
elif grep -q "^servers written as they left the server table" "$tmp/text" &&
     grep -q "^servers still in the table (1):" "$tmp/text" &&
     grep -q "^summary: $nsum server summaries ($nev written as their server left the table" "$tmp/text" &&
     grep -q ", 40 sessions" "$tmp/text"; then
    pass text-evicted
else
    fail text-evicted "$(grep -E '^(servers|summary)' "$tmp/text")"
fi

# a bad budget is a usage error
"$BIN" --max-servers 0 -r "$cap" >/dev/null 2>"$tmp/bad.err"
rc=$?
if [ "$rc" -eq 2 ] && grep -q -- "--max-servers" "$tmp/bad.err"; then
    pass max-servers-usage
else
    fail max-servers-usage "exit status $rc: $(head -c 200 "$tmp/bad.err")"
fi

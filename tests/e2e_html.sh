#!/bin/sh
# e2e_html.sh - the HTML report (--report FILE.html) as a browser sees it:
# headless Chromium (Debian's chromium, which make test installs) renders
# the page and the checks read the rendered DOM (--dump-dom).
#   appliance   the two-point appliance case: the hop where the certificate
#               changes and both certificates (subjects and SHA-256 from the
#               truth files, not from mxwitness) are in the DOM; a
#               screenshot is a PNG; the page loads nothing from outside
#   from-json   the same conclusion from the JSON lines of two runs
#   evidence    one point: the evidence items (kind, strength, what was
#               seen, the product and its source) under KNOWN_INTERCEPTOR
#   hostile     a certificate made here with openssl whose subject and
#               names hold markup, quotes and script, served in a capture
#               tests/helper_starttls writes around it (recording one needs
#               root): no element of theirs in the DOM, the script did not
#               run, the text shows as text, no attribute broken out of
#   hostile-recorded  pcaps/hostile-cert.pcap, recorded from postfix and swaks
#               with such a certificate (markup, script, quotes, &, ESC and
#               TAB in the subject; markup and quotes in the names): the
#               subject of its truth file and the names as text in the DOM,
#               no element of theirs, nothing ran, no control byte in the
#               page; in the text output the subject as the truth writes it
#               (RFC 2253, one backslash) and no control byte; the JSON valid
#               and carrying the subject and names
#   size        1000 sessions (bench/gen) give a report under 1 MB
#   worst       the worst case of that bound: 2650 sessions to 301 servers
#               and 150 certificates of their own (openssl, here) stay
#               under 1,000,000 bytes, well-formed, every certificate
#               listed one of those made here, and what was left out said
#   errors      an unwritable --report is exit 2 with the file named
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
. tests/lib.sh
BIN=${MXW_BIN:-$top/build/mxwitness}
BUILD=${MXW_BUILD_DIR:-$top/build}
mk_tmpdir

truth_field() { # truth_field FILE KEY: the value of KEY on the first session line
    awk -F'\t' -v k="$2" '$1 == "session" { for (i = 2; i <= NF; i++) if (index($i, k "=") == 1) { print substr($i, length(k) + 2); exit } }' "$1"
}

CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROMIUM" ]; then
    skip html "chromium is not installed (make test installs it: tools/deps.sh test)"
    exit 0
fi
to=""
command -v timeout >/dev/null 2>&1 && to="timeout -k 5 60"
# chrome ARGS...: headless Chromium, no sandbox (it refuses to start as root
# with one), no GPU, a profile of its own
chrome() {
    $to "$CHROMIUM" --headless --no-sandbox --disable-gpu --no-first-run \
        --user-data-dir="$tmp/profile" "$@" 2>>"$tmp/chromium.err"
}
# dom HTML OUT: the rendered DOM of the page HTML into OUT
dom() {
    chrome --dump-dom "file://$1" >"$2"
}
# Chromium itself, on a page of ours: when it cannot run here, say so once
printf '<!DOCTYPE html><title>t</title><p>chromium-runs</p>' >"$tmp/probe.html"
dom "$tmp/probe.html" "$tmp/probe.dom"
if ! grep -q chromium-runs "$tmp/probe.dom"; then
    skip html "chromium does not run here: $(tail -n 2 "$tmp/chromium.err" | tr '\n' ' ')"
    exit 0
fi

# report NAME HTML [OPTIONS...]: mxwitness OPTIONS --report HTML, text to
# HTML.out; FAIL and 1 when it crashed, failed or wrote no page
report() {
    _n=$1 _h=$2
    shift 2
    "$BIN" "$@" --report "$_h" >"$_h.out" 2>"$_h.err"
    _rc=$?
    if _why=$(crash_report "$_rc" "$_h.err"); then
        fail "$_n" "crashed: $_why"
        return 1
    fi
    if [ "$_rc" -gt 1 ] || [ ! -s "$_h" ] || ! tail -n 1 "$_h" | grep -q '</html>'; then
        fail "$_n" "exit $_rc, no complete page in $_h: $(head -c 200 "$_h.err")"
        return 1
    fi
    return 0
}

out=pcaps/appliance-outside.pcap
in=pcaps/appliance-inside.pcap
sha_out=$(truth_field pcaps/appliance-outside.truth cert_sha256)
sha_in=$(truth_field pcaps/appliance-inside.truth cert_sha256)
subj_out=$(truth_field pcaps/appliance-outside.truth cert_subject)
subj_in=$(truth_field pcaps/appliance-inside.truth cert_subject)
expect="--ca-file pcaps/certs/test-root-ca.pem --expect mail.example.test=pem:pcaps/certs/appliance-inside.pem"

# appliance_dom NAME DOM: the hop and both certificates in the rendered DOM
appliance_dom() {
    _miss=""
    grep -q "certificate replaced between outside and inside" "$2" || _miss="$_miss hop-text"
    grep -q "<svg class=\"hops\"" "$2" || _miss="$_miss svg"
    grep -q "the certificate changes on this hop" "$2" || _miss="$_miss hop-mark"
    for _v in "$subj_out" "$subj_in" "$sha_out" "$sha_in"; do
        grep -q -F -- "$_v" "$2" || _miss="$_miss [$_v]"
    done
    if [ -n "$sha_out" ] && [ -n "$subj_in" ] && [ -z "$_miss" ]; then
        pass "$1"
    else
        fail "$1" "missing from the rendered DOM:$_miss"
    fi
}

# 1. the two-point appliance case
if report appliance "$tmp/app.html" $expect -r "$out@outside" -r "$in@inside"; then
    dom "$tmp/app.html" "$tmp/app.dom"
    appliance_dom appliance-dom "$tmp/app.dom"
    # the answer comes first: the conclusion before the findings and certificates
    a=$(grep -n 'class="conclusion"' "$tmp/app.dom" | head -n 1 | cut -d: -f1)
    f=$(grep -n 'id="findings"' "$tmp/app.dom" | head -n 1 | cut -d: -f1)
    c=$(grep -n "id=\"c-$sha_in\"" "$tmp/app.dom" | head -n 1 | cut -d: -f1)
    if [ -n "$a" ] && [ -n "$f" ] && [ -n "$c" ] && [ "$a" -lt "$f" ] && [ "$f" -lt "$c" ]; then
        pass answer-first
    else
        fail answer-first "conclusion at line ${a:-none}, findings ${f:-none}, certificate ${c:-none}"
    fi
    # self-contained: nothing fetched (the SVG namespace is a name, not a
    # fetch; url(#...) is a marker in the page), no script; a print style
    ext=$(sed 's#xmlns="http://www.w3.org/2000/svg"##g' "$tmp/app.html" |
          grep -o -i -E '.{0,20}(<script|<link|<img|<iframe|<object|<embed|src=|@import|url\([^#]|https?:).{0,20}' | head -n 3)
    if [ -z "$ext" ] && grep -q '@media print' "$tmp/app.html" &&
       grep -q '<details><summary>PEM</summary>' "$tmp/app.html"; then
        pass self-contained
    else
        fail self-contained "external or script: [$ext], or no print style or no folded PEM"
    fi
    chrome --window-size=1200,1600 --screenshot="$tmp/app.png" "file://$tmp/app.html" >/dev/null
    if [ -s "$tmp/app.png" ] && [ "$(head -c 4 "$tmp/app.png" | od -An -tx1 | tr -d ' \n')" = 89504e47 ] &&
       [ "$(wc -c <"$tmp/app.png")" -gt 20000 ]; then
        pass screenshot "$(wc -c <"$tmp/app.png") bytes"
    else
        fail screenshot "no PNG (or an empty one) from --screenshot: $(tail -n 1 "$tmp/chromium.err")"
    fi
fi

# 2. the same page from the JSON lines of two separate runs
"$BIN" --json $expect -r "$out" >"$tmp/o.json" 2>/dev/null
"$BIN" --json $expect -r "$in" >"$tmp/i.json" 2>/dev/null
if report from-json "$tmp/fj.html" --from-json "$tmp/o.json@outside" --from-json "$tmp/i.json@inside"; then
    dom "$tmp/fj.html" "$tmp/fj.dom"
    if grep -q "certificate replaced between outside and inside" "$tmp/fj.dom" &&
       grep -q -F "$sha_out" "$tmp/fj.dom" && grep -q -F "$sha_in" "$tmp/fj.dom" &&
       grep -q -F "$subj_out" "$tmp/fj.dom"; then
        pass from-json
    else
        fail from-json "the hop or a certificate is missing from the rendered DOM"
    fi
fi

# 2b. evidence under its finding: the capture whose middlebox masks STARTTLS
# as XXXXXXXA, as Cisco's ASA does (its truth file says so)
asa=pcaps/starttls-strip-asa-outside.pcap
if [ -f "$asa" ] && report evidence "$tmp/asa.html" -r "$asa"; then
    dom "$tmp/asa.html" "$tmp/asa.dom"
    # the finding block, then its evidence rows: starttls_masked, strong, the keyword
    ev=$(sed -n '/<h3><span class="sev sev-[a-z]*">[a-z]*<\/span> KNOWN_INTERCEPTOR<\/h3>/,/<\/div>/p' "$tmp/asa.dom")
    if printf '%s\n' "$ev" | grep -q '<table class="evidence">' &&
       printf '%s\n' "$ev" | grep -q '<tr><td>starttls_masked</td><td class="ev-strong">strong</td><td>[^<]*XXXXXXXA' &&
       printf '%s\n' "$ev" | grep -q 'Cisco ASA'; then
        pass evidence "KNOWN_INTERCEPTOR with its evidence items"
    else
        fail evidence "no KNOWN_INTERCEPTOR with a strong starttls_masked item (XXXXXXXA, Cisco ASA) in the DOM"
    fi
fi

# 3. a hostile certificate: markup, quotes and script in the subject, the
# names, the banner and the SNI
cat >"$tmp/h.cnf" <<'EOF'
[req]
distinguished_name = dn
prompt = no
x509_extensions = ext
[dn]
CN = <script>document.title=\'pwned\'</script>
O = \"><img src=x onerror=document.title=\'pwned2\'>
OU = it\'s \"quoted\" & <b>bold</b>
[ext]
subjectAltName = @alt
[alt]
DNS.1 = <script>alert(1)</script>
DNS.2 = \"><img src=x onerror=alert(2)>
DNS.3 = a\'b\"c
EOF
if ! openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/h.key" -out "$tmp/h.pem" -days 30 \
        -config "$tmp/h.cnf" >/dev/null 2>&1 ||
   ! openssl x509 -in "$tmp/h.pem" -outform DER -out "$tmp/h.der"; then
    fail hostile "openssl could not make the certificate"
elif ! "$BUILD/tests/helper_starttls" "$tmp/h.der" "$tmp/h.pcap" "<b>mx</b>.hostile.test" \
        "\"><svg onload=alert(5)>"; then
    fail hostile "tests/helper_starttls could not write the capture"
elif report hostile "$tmp/h.html" -r "$tmp/h.pcap"; then
    sha=$(openssl x509 -in "$tmp/h.pem" -noout -fingerprint -sha256 | sed 's/.*=//; s/://g')
    dom "$tmp/h.html" "$tmp/h.dom"
    bad=""
    # no element of theirs: no script, image or svg with a handler anywhere
    grep -q -i '<script' "$tmp/h.dom" && bad="$bad script-element"
    grep -q -i '<img' "$tmp/h.dom" && bad="$bad img-element"
    grep -q -i -E '<[^>]*[[:space:]]on(error|load)=' "$tmp/h.dom" && bad="$bad handler-attribute"
    # the scripts did not run: the title is ours
    grep -q '<title>mxwitness report</title>' "$tmp/h.dom" || bad="$bad title-changed"
    # the text shows as text
    grep -q -F '&lt;script&gt;alert(1)&lt;/script&gt;' "$tmp/h.dom" || bad="$bad san-text"
    grep -q -F '"&gt;&lt;img src=x onerror=alert(2)&gt;' "$tmp/h.dom" || bad="$bad quote-san-text"
    grep -q -F "a'b\"c" "$tmp/h.dom" || bad="$bad quotes-text"
    # (the subject as RFC 2253 writes it: a backslash before < and >)
    grep -q -F "CN=\\&lt;script\\&gt;document.title='pwned'\\&lt;/script\\&gt;" "$tmp/h.dom" ||
        bad="$bad subject-text"
    grep -q -F '&lt;b&gt;mx&lt;/b&gt;.hostile.test' "$tmp/h.dom" || bad="$bad banner-text"
    # no attribute broken out of: the certificate's anchor (its SHA-256 by
    # openssl) is whole, and every link points inside the page
    [ -n "$sha" ] && grep -q "<div class=\"cert\" id=\"c-$sha\">" "$tmp/h.dom" || bad="$bad anchor"
    grep -o -E 'href="[^"]*"' "$tmp/h.dom" | grep -v -q -E '^href="#[a-zA-Z0-9-]+"$' && bad="$bad foreign-href"
    if [ -z "$bad" ]; then
        pass hostile "subject, names, banner shown as text; nothing ran"
    else
        fail hostile "$bad"
    fi
fi

# 3b. the recorded hostile certificate (pcaps/hostile-cert: its truth file
# has the subject openssl wrote, RFC 2253)
ht=pcaps/hostile-cert.truth
hca=pcaps/$(awk -F'\t' '$1 == "trust" { sub(/^ca=/, "", $2); print $2 }' "$ht")
hsubj=$(truth_field "$ht" cert_subject)
hsha=$(truth_field "$ht" cert_sha256)
# as_dom TEXT: TEXT as the DOM serializes a text node
as_dom() {
    printf '%s' "$1" | sed 's/&/\&amp;/g; s/</\&lt;/g; s/>/\&gt;/g'
}
# ctl FILE: how many control bytes other than newline FILE holds
ctl() {
    LC_ALL=C tr -d '\n\040-\176\200-\377' <"$1" | wc -c | tr -d ' '
}
if [ ! -f pcaps/hostile-cert.pcap ] || [ -z "$hsubj" ]; then
    fail hostile-recorded "pcaps/hostile-cert.pcap or its truth is missing"
elif report hostile-recorded "$tmp/hr.html" --ca-file "$hca" -r pcaps/hostile-cert.pcap; then
    dom "$tmp/hr.html" "$tmp/hr.dom"
    bad=""
    grep -q -i '<script' "$tmp/hr.dom" && bad="$bad script-element"
    grep -q -i '<img' "$tmp/hr.dom" && bad="$bad img-element"
    grep -q -F '<b>bold</b>' "$tmp/hr.dom" && bad="$bad b-element"
    grep -q -i -E '<[^>]*[[:space:]]on(error|load)=' "$tmp/hr.dom" && bad="$bad handler-attribute"
    grep -q '<title>mxwitness report</title>' "$tmp/hr.dom" || bad="$bad title-changed"
    grep -q -F -- "$(as_dom "$hsubj")" "$tmp/hr.dom" || bad="$bad subject-text"
    for n in '<img src=x onerror=alert(1)>.example.test' "a\"b'c.example.test" '<script>alert(2)</script>.example.test'; do
        grep -q -F -- "$(as_dom "$n")" "$tmp/hr.dom" || bad="$bad [name $n]"
    done
    grep -q "<div class=\"cert\" id=\"c-$hsha\">" "$tmp/hr.dom" || bad="$bad anchor"
    [ "$(ctl "$tmp/hr.html")" = 0 ] || bad="$bad $(ctl "$tmp/hr.html")-control-bytes-in-page"
    grep -q 'NAME_MISMATCH' "$tmp/hr.dom" || bad="$bad no-NAME_MISMATCH"
    if [ -z "$bad" ]; then
        pass hostile-recorded "the recorded subject and names as text; nothing ran"
    else
        fail hostile-recorded "$bad"
    fi
    # text: the subject as RFC 2253 writes it (one backslash before < and
    # the control characters as \1B and \09), no control byte
    NO_COLOR=1 "$BIN" --ca-file "$hca" -r pcaps/hostile-cert.pcap >"$tmp/hr.txt" 2>"$tmp/hr.txt.err"
    rc=$?
    if [ "$rc" -le 1 ] && grep -q -F -- "$hsubj" "$tmp/hr.txt" && [ "$(ctl "$tmp/hr.txt")" = 0 ] &&
       ! grep -q -F '\\<' "$tmp/hr.txt"; then
        pass hostile-text "the subject as the truth writes it, no control byte"
    else
        fail hostile-text "exit $rc, subject lines $(grep -c -F -- "$hsubj" "$tmp/hr.txt"), $(ctl "$tmp/hr.txt") control bytes, doubled backslashes $(grep -c -F '\\<' "$tmp/hr.txt")"
    fi
    "$BIN" --json --ca-file "$hca" -r pcaps/hostile-cert.pcap >"$tmp/hr.json" 2>/dev/null
    got=$(jq -r --arg s "$hsubj" 'select(.tls) | [(.tls.server.x509.subject.distinguished_name == $s),
              (.tls.server.x509.alternative_names | length)] | @tsv' "$tmp/hr.json" 2>/dev/null)
    if jq -e . "$tmp/hr.json" >/dev/null 2>&1 && [ "$got" = "$(printf 'true\t3')" ] && [ "$(ctl "$tmp/hr.json")" = 0 ]; then
        pass hostile-json "valid JSON, the subject of the truth, three names, no control byte"
    else
        fail hostile-json "JSON valid: $(jq -e . "$tmp/hr.json" >/dev/null 2>&1 && echo yes || echo no), subject and names '$got', $(ctl "$tmp/hr.json") control bytes"
    fi
fi

# 4. 1000 sessions: under 1 MB
if [ ! -x "$BUILD/bench/gen" ]; then
    fail size "bench/gen is not built ($BUILD/bench/gen; make tests-bin builds it)"
elif ! "$BUILD/bench/gen" -q -o "$tmp/big.pcap" --sessions 1000 --servers 20 \
        pcaps/clean-tls12.pcap pcaps/wrong-hostname.pcap; then
    fail size "bench/gen could not write 1000 sessions"
elif report size "$tmp/big.html" -q -r "$tmp/big.pcap"; then
    sz=$(wc -c <"$tmp/big.html")
    rows=$(grep -c '<tr id="s-' "$tmp/big.html")
    if [ "$sz" -lt 1048576 ] && grep -q "20 servers, 1000 sessions" "$tmp/big.html" &&
       [ "$rows" -gt 0 ]; then
        pass size "$sz bytes for 1000 sessions, $rows listed"
    else
        fail size "$sz bytes (limit 1048576), $rows rows; $(grep -o '[0-9]* servers, [0-9]* sessions' "$tmp/big.html" | head -n 1)"
    fi
fi

# 4b. the worst case: more rows, servers and certificates than the page
# may hold; it must stay under its bound, say what it left out, and stay
# a well-formed page whose certificates are those made here
worst() {
    mkdir -p "$tmp/w" || return 1
    i=1
    while [ $i -le 150 ]; do
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$tmp/w/k.pem" \
            -subj "/O=Worst Case $i/CN=mx$i.worst.test" -days 30 -outform DER -out "$tmp/w/c$i.der" \
            -addext "subjectAltName=DNS:mx$i.worst.test,DNS:mail$i.worst.test" 2>/dev/null &&
        openssl x509 -inform DER -in "$tmp/w/c$i.der" -noout -fingerprint -sha256 |
            sed 's/.*=//; s/://g' >>"$tmp/w/fps" &&
        "$BUILD/tests/helper_starttls" "$tmp/w/c$i.der" "$tmp/w/h$i.pcap" mx$i.worst.test \
            mx$i.worst.test $((41000 + i)) || return 1
        i=$((i + 1))
    done
    "$BUILD/bench/gen" -q -o "$tmp/w/gen.pcap" --sessions 2500 --servers 300 \
        pcaps/clean-tls12.pcap pcaps/wrong-hostname.pcap &&
    mergecap -F pcap -w "$tmp/w/all.pcap" "$tmp/w/gen.pcap" "$tmp/w"/h*.pcap
}
if ! command -v mergecap >/dev/null 2>&1; then
    skip worst "mergecap is not installed (make test installs wireshark-common)"
elif ! worst; then
    fail worst "could not make the certificates or the capture"
elif report worst "$tmp/w.html" -q -r "$tmp/w/all.pcap"; then
    sz=$(wc -c <"$tmp/w.html")
    bad=""
    [ "$sz" -lt 1000000 ] || bad="$bad size=$sz"
    grep -q "servers*, 2650 sessions" "$tmp/w.html" || bad="$bad total"
    grep -q -E '[0-9]+ more sessions not listed here' "$tmp/w.html" || bad="$bad no-sessions-cut"
    # every certificate listed is one made here or the seeds' (the leaves of
    # clean-tls12 and wrong-hostname, and the intermediate both send)
    for c in pcaps/clean-tls12.truth pcaps/wrong-hostname.truth; do
        truth_field "$c" cert_sha256 >>"$tmp/w/fps"
    done
    openssl x509 -in pcaps/certs/test-intermediate-ca.pem -noout -fingerprint -sha256 |
        sed 's/.*=//; s/://g' >>"$tmp/w/fps"
    grep -o '<div class="cert" id="c-[0-9A-F]*"' "$tmp/w.html" | sed 's/.*id="c-//; s/"//' >"$tmp/w/listed"
    nl=$(wc -l <"$tmp/w/listed")
    [ "$nl" -gt 100 ] || bad="$bad listed=$nl"
    grep -v -x -F -f "$tmp/w/fps" "$tmp/w/listed" >"$tmp/w/strange" && bad="$bad foreign-cert"
    python3 - "$tmp/w.html" >"$tmp/w/parse" 2>&1 <<'PY' || bad="$bad $(head -c 200 "$tmp/w/parse")"
import html.parser, sys
VOID = {"meta", "br", "img", "hr", "input", "link"}
class P(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.open = []
    def handle_starttag(self, t, a):
        if t not in VOID:
            self.open.append(t)
    def handle_endtag(self, t):
        if t in VOID:
            return
        if not self.open or self.open[-1] != t:
            sys.exit("unbalanced </%s> after %s" % (t, self.open[-3:]))
        self.open.pop()
p = P()
p.feed(open(sys.argv[1], encoding="utf-8").read())
if p.open:
    sys.exit("unclosed %s" % p.open)
PY
    if [ -z "$bad" ]; then
        pass worst "$sz bytes for 2650 sessions and $nl certificates listed; the rest said"
    else
        fail worst "$bad"
    fi
fi

# 5. an unwritable report: exit 2 naming it
"$BIN" -r pcaps/clean-tls12.pcap --report "$tmp/no/such/dir/r.html" >/dev/null 2>"$tmp/e1.err"
rc1=$?
"$BIN" -r pcaps/clean-tls12.pcap --report /dev/full >/dev/null 2>"$tmp/e2.err"
rc2=$?
if [ "$rc1" = 2 ] && grep -q "report $tmp/no/such/dir/r.html: " "$tmp/e1.err" &&
   { [ ! -w /dev/full ] || { [ "$rc2" = 2 ] && grep -q "report /dev/full: " "$tmp/e2.err"; }; }; then
    pass report-errors
else
    fail report-errors "exit $rc1 ($(head -c 100 "$tmp/e1.err")), /dev/full exit $rc2 ($(head -c 100 "$tmp/e2.err"))"
fi

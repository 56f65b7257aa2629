#!/bin/sh
# e2e_man.sh - the manual page (mxwitness.1) against the program it
# describes:
#   render    man -l renders it without a warning from groff, with its
#             sections, and its header names the version the binary says
#   options   the options of the OPTIONS section are those of --help, no
#             more and no fewer; the finding codes it names are codes the
#             binary's README table documents
#   install   make install DESTDIR=... puts the binary and the page where
#             man finds them (and the systemd unit, the Elasticsearch
#             template and the README), and the installed binary is the one
#             built
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
. tests/lib.sh
BIN=${MXW_BIN:-$top/build/mxwitness}
mk_tmpdir

if ! command -v man >/dev/null 2>&1; then
    skip man "man is not installed (make test installs man-db)"
    exit 0
fi
version=$("$BIN" --version 2>/dev/null)

# 1. it renders, cleanly, and names the binary's version
LC_ALL=C MANWIDTH=80 man --warnings -l mxwitness.1 >"$tmp/man.txt" 2>"$tmp/man.err"
rc=$?
missing=""
for s in NAME SYNOPSIS DESCRIPTION OPTIONS "EXIT STATUS" EXAMPLES "SEE ALSO"; do
    grep -q "^$s\$" "$tmp/man.txt" || missing="$missing '$s'"
done
th=$(sed -n 's/^\.TH MXWITNESS 1 [^ ]* "\([^"]*\)".*/\1/p' mxwitness.1)
if [ "$rc" = 0 ] && [ ! -s "$tmp/man.err" ] && [ -z "$missing" ] &&
   [ -n "$version" ] && [ "$th" = "$version" ]; then
    pass render "$(wc -l <"$tmp/man.txt") lines, $th"
else
    fail render "exit $rc, warnings: $(head -c 300 "$tmp/man.err"); missing:$missing; header '$th', binary '$version'"
fi

# 2. the same options as --help; finding codes that exist
# (options from the roff source, where \- is a hyphen: rendering could break
# a line inside --expect-file)
sed -n '/^\.SH OPTIONS/,/^\.SH /p' mxwitness.1 | sed 's/\\-/-/g' |
    grep -o -E '(^|[^a-zA-Z0-9-])--?[a-zA-Z][a-zA-Z-]*' | sed 's/^[^-]*//' | sort -u >"$tmp/man.opts"
"$BIN" --help 2>&1 | grep -o -E '(^|[ ,[])--?[a-zA-Z][a-zA-Z-]*' | sed 's/^[^-]*//' |
    sort -u >"$tmp/help.opts"
sed -n '/^\.SH FINDINGS/,/^\.SH /p' mxwitness.1 | grep -o -E '^\.BR? [A-Z][A-Z0-9_]+' |
    sed 's/^\.BR* //' | sort -u >"$tmp/man.codes"
grep -o -E '^\| `[A-Z][A-Z0-9_]+`(, `[A-Z][A-Z0-9_]+`)*' README.md | grep -o -E '[A-Z][A-Z0-9_]+' |
    sort -u >"$tmp/readme.codes"
only_man=$(comm -23 "$tmp/man.opts" "$tmp/help.opts" | tr '\n' ' ')
only_help=$(comm -13 "$tmp/man.opts" "$tmp/help.opts" | tr '\n' ' ')
bad_codes=$(comm -23 "$tmp/man.codes" "$tmp/readme.codes" | tr '\n' ' ')
nh=$(wc -l <"$tmp/help.opts")
if [ "$nh" -gt 20 ] && [ -z "$only_man$only_help$bad_codes" ] && [ -s "$tmp/man.codes" ]; then
    pass options "$nh options, $(wc -l <"$tmp/man.codes") finding codes"
else
    fail options "--help has $nh; only in the page: $only_man; only in --help: $only_help; codes not in README: $bad_codes"
fi

# 3. make install (into a folder of the test's own)
if ! make --no-print-directory -s install DESTDIR="$tmp/inst" PREFIX=/usr >"$tmp/install.out" 2>&1; then
    fail install "make install failed: $(tail -n 3 "$tmp/install.out")"
else
    iv=$("$tmp/inst/usr/bin/mxwitness" --version 2>/dev/null)
    page=$tmp/inst/usr/share/man/man1/mxwitness.1
    if [ -f "$page" ] && cmp -s "$page" mxwitness.1 && [ -n "$version" ] && [ "$iv" = "$version" ] &&
       cmp -s "$tmp/inst/usr/lib/systemd/system/mxwitness@.service" tools/mxwitness@.service &&
       cmp -s "$tmp/inst/usr/share/mxwitness/mxwitness-template.json" tools/mxwitness-template.json &&
       [ -f "$tmp/inst/usr/share/doc/mxwitness/README.md" ] &&
       LC_ALL=C MANWIDTH=80 man -l "$page" 2>/dev/null | grep -q '^EXIT STATUS$'; then
        pass install "$iv, man page in share/man/man1"
    else
        fail install "page: $(ls -l "$page" 2>&1); installed '$iv', built '$version'"
    fi
fi

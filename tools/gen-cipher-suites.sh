#!/bin/sh
# gen-cipher-suites.sh - writes dissect/tls_suites.inc: what each TLS cipher
# suite is made of, by code point (see dissect/tls_suite.h for the fields).
#
# Two sources, checked against each other:
#  - OpenSSL's own table, `openssl ciphers -V -stdname ALL:COMPLEMENTOFALL`:
#    every suite OpenSSL 3 can still negotiate, with its IANA name and its
#    Kx=, Au=, Enc= and Mac= columns, from which the row is taken.
#  - The IANA TLS Cipher Suites registry's names (listed below) for the
#    suites OpenSSL no longer builds (RC4, export, DES, IDEA, Kerberos, SEED,
#    static DH/ECDH, most ARIA and Camellia, GOST, ...).  An IANA name spells
#    out TLS_<kx>_<au>_WITH_<cipher>_<bits>_<mode>_<mac> (TLS 1.3 suites:
#    TLS_<aead>_<hash>), and the row is read from those words.
# The name reader is run on OpenSSL's suites too, and any row where it
# disagrees with OpenSSL's columns stops the script: the words are read the
# way OpenSSL describes the same suites.  Where both list a suite, OpenSSL's
# row is used and the names must match.
#
# Not in the name, from the RFCs:
#  - prf: the TLS 1.2 PRF hash (TLS 1.3: the HKDF hash).  SHA-256 unless the
#    suite's last word names another hash (RFC 5246 §5, which also gives it
#    to the suites older than TLS 1.2; RFC 5288 and RFC 5289 for _SHA384;
#    RFC 6655 and RFC 7251 for CCM, which names no hash; RFC 7905 for
#    ChaCha20; RFC 8446 §B.4; RFC 8998 for SM3; RFC 9150); Streebog-256 for
#    GOST (RFC 9189, RFC 9367); none for TLS_NULL_WITH_NULL_NULL and the
#    signalling values, which derive no keys.
#  - OpenSSL's Enc=AES(128) without a mode is CBC (as are its Camellia,
#    3DES, SEED and IDEA); 3DES counts 168 key bits, as OpenSSL prints it.
#  - The GOST suites with MGM are TLS 1.3 suites (RFC 9367): key exchange
#    and authentication are negotiated apart from the suite, as for 0x13xx.
#  - DH_anon and ECDH_anon are ephemeral (RFC 5246 §7.4.3, RFC 4492 §2.5),
#    which is also how OpenSSL's Kx=DH and Kx=ECDH read.
# The 0x0060-0x0066 and 0xFEFE-0xFEFF rows are code points the registry
# reserves "to avoid conflicts with widely deployed implementations"; the
# names are those implementations' (draft-ietf-tls-56-bit-ciphersuites,
# Netscape's FIPS suites).
set -eu
export LC_ALL=C
out=${1:-dissect/tls_suites.inc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

openssl ciphers -V -stdname 'ALL:COMPLEMENTOFALL:@SECLEVEL=0' |
    awk '{ split($1, b, ","); printf "0x%s%s %s %s %s %s %s\n", substr(b[1], 3),
           substr(b[2], 3), $3, $7, $8, $9, $10 }' >"$tmp/openssl"

cat >"$tmp/rows.awk" <<'AWK'
function die(msg) { print "gen-cipher-suites: " msg >"/dev/stderr"; failed = 1; exit 1 }

# name_row(name) reads the words of an IANA name into the globals kx, au,
# cipher, bits, mode, aead, mac, prf and xp (export grade).
function name_row(name,    n, i, kxs, cs, t, m, p, tail) {
    n = name
    sub(/^(TLS|SSL)_/, "", n)
    kx = au = cipher = mode = mac = prf = ""; bits = 0; aead = 0; xp = 0
    if (n ~ /_SCSV$/) {
        kx = "SCSV"; au = "NULL"; cipher = "NULL"; mode = "NONE"; mac = "NONE"; prf = "NONE"
        return
    }
    i = index(n, "_WITH_")
    if (i > 0) {
        kxs = substr(n, 1, i - 1)
        cs = substr(n, i + 6)
    } else {
        kxs = ""
        cs = n
    }
    if (kxs ~ /_EXPORT(1024)?$/) {
        xp = 1
        sub(/_EXPORT(1024)?$/, "", kxs)
    }
    if (kxs == "")                 { kx = "ANY"; au = "ANY" }
    else if (kxs == "NULL")        { kx = "NULL"; au = "NULL" }
    else if (kxs == "RSA" || kxs == "RSA_FIPS") { kx = "RSA"; au = "RSA" }
    else if (kxs == "DH_DSS")      { kx = "DH"; au = "DSS" }
    else if (kxs == "DH_RSA")      { kx = "DH"; au = "RSA" }
    else if (kxs == "DHE_DSS")     { kx = "DHE"; au = "DSS" }
    else if (kxs == "DHE_RSA")     { kx = "DHE"; au = "RSA" }
    else if (kxs == "DH_anon")     { kx = "DHE"; au = "NULL" }
    else if (kxs == "ECDH_ECDSA")  { kx = "ECDH"; au = "ECDSA" }
    else if (kxs == "ECDH_RSA")    { kx = "ECDH"; au = "RSA" }
    else if (kxs == "ECDHE_ECDSA") { kx = "ECDHE"; au = "ECDSA" }
    else if (kxs == "ECDHE_RSA")   { kx = "ECDHE"; au = "RSA" }
    else if (kxs == "ECDH_anon")   { kx = "ECDHE"; au = "NULL" }
    else if (kxs == "PSK")         { kx = "PSK"; au = "PSK" }
    else if (kxs == "DHE_PSK" || kxs == "PSK_DHE") { kx = "DHE_PSK"; au = "PSK" }
    else if (kxs == "ECDHE_PSK")   { kx = "ECDHE_PSK"; au = "PSK" }
    else if (kxs == "RSA_PSK")     { kx = "RSA_PSK"; au = "RSA" }
    else if (kxs == "SRP_SHA")     { kx = "SRP"; au = "SRP" }
    else if (kxs == "SRP_SHA_RSA") { kx = "SRP"; au = "RSA" }
    else if (kxs == "SRP_SHA_DSS") { kx = "SRP"; au = "DSS" }
    else if (kxs == "KRB5")        { kx = "KRB5"; au = "KRB5" }
    else if (kxs == "ECCPWD")      { kx = "ECCPWD"; au = "ECCPWD" }
    else if (kxs == "GOSTR341112_256") { kx = "GOST"; au = "GOST" }
    else die(name ": key exchange " kxs)

    m = split(cs, t, "_")
    p = 1
    if (t[p] == "NULL") {
        cipher = "NULL"; mode = "NONE"; p++
    } else if (t[p] == "RC4") {
        cipher = "RC4"; bits = t[p + 1]; mode = "STREAM"; p += 2
    } else if (t[p] == "RC2" && t[p + 1] == "CBC") {
        cipher = "RC2"; bits = t[p + 2]; mode = "CBC"; p += 3
    } else if (t[p] == "DES40" && t[p + 1] == "CBC") {
        cipher = "DES"; bits = 40; mode = "CBC"; p += 2
    } else if (t[p] == "DES" && t[p + 1] == "CBC") {
        cipher = "DES"; bits = 56; mode = "CBC"; p += 2
        if (t[p] == "40") { bits = 40; p++ }
    } else if (t[p] == "3DES" && t[p + 1] == "EDE" && t[p + 2] == "CBC") {
        cipher = "3DES"; bits = 168; mode = "CBC"; p += 3
    } else if ((t[p] == "IDEA" || t[p] == "SEED") && t[p + 1] == "CBC") {
        cipher = t[p]; bits = 128; mode = "CBC"; p += 2
    } else if (t[p] ~ /^(AES|CAMELLIA|ARIA)$/ && t[p + 1] ~ /^(128|256)$/ &&
               t[p + 2] ~ /^(CBC|GCM|CCM)$/) {
        cipher = t[p]; bits = t[p + 1]; mode = t[p + 2]; p += 3
        if (mode == "CCM" && t[p] == "8") { mode = "CCM_8"; p++ }
    } else if (t[p] == "CHACHA20" && t[p + 1] == "POLY1305") {
        cipher = "CHACHA20"; bits = 256; mode = "POLY1305"; p += 2
    } else if (t[p] == "SM4" && t[p + 1] ~ /^(GCM|CCM)$/) {
        cipher = "SM4"; bits = 128; mode = t[p + 1]; p += 2
    } else if (t[p] ~ /^(KUZNYECHIK|MAGMA)$/ && t[p + 1] == "CTR") {
        cipher = t[p]; bits = 256; mode = "CTR"; p += 2
    } else if (t[p] ~ /^(KUZNYECHIK|MAGMA)$/ && t[p + 1] == "MGM" && t[p + 2] ~ /^[LS]$/) {
        cipher = t[p]; bits = 256; mode = "MGM"; p += 3
        kx = "ANY"; au = "ANY"
    } else if (t[p] == "28147" && t[p + 1] == "CNT") {
        cipher = "GOST28147"; bits = 256; mode = "CTR"; p += 2
    } else if (t[p] == "AEGIS" && t[p + 1] ~ /^(256|128L)$/) {
        cipher = "AEGIS_" t[p + 1]; bits = t[p + 1] == "256" ? 256 : 128; mode = "AEGIS"; p += 2
    } else if (kxs == "" && t[p] ~ /^SHA(256|384)$/) {
        cipher = "NULL"; mode = "NONE"; mac = "HMAC_" t[p]; p++   # RFC 9150
    } else {
        die(name ": cipher " cs)
    }
    aead = mode ~ /^(GCM|CCM|CCM_8|POLY1305|MGM|AEGIS)$/ ? 1 : 0

    tail = ""
    for (; p <= m; p++)
        tail = tail (tail == "" ? "" : "_") t[p]
    if (kx == "GOST" || mode == "MGM") {
        if (mode == "CTR" && tail == "OMAC") mac = "OMAC"
        else if (mode == "CTR" && tail == "IMIT") mac = "IMIT"
        else if (mode == "MGM" && tail == "") mac = "NONE"
        else die(name ": GOST MAC " tail)
        prf = "STREEBOG256"
    } else if (aead) {
        if (tail !~ /^(|SHA256|SHA384|SHA512|SM3)$/) die(name ": AEAD hash " tail)
        mac = "NONE"
        prf = tail == "" ? "SHA256" : tail
    } else if (mac != "") {                  # integrity only: the hash is the HKDF's
        if (tail !~ /^SHA(256|384)$/) die(name ": hash " tail)
        prf = tail
    } else if (tail == "NULL" && kx == "NULL") {
        mac = "NONE"; prf = "NONE"            # TLS_NULL_WITH_NULL_NULL
    } else {
        if (tail == "SHA") mac = "HMAC_SHA1"
        else if (tail ~ /^(MD5|SHA256|SHA384)$/) mac = "HMAC_" tail
        else die(name ": MAC " tail)
        prf = tail == "SHA384" ? "SHA384" : "SHA256"
    }
}

# openssl_row(kxc, auc, enc, macc) reads OpenSSL's columns into the o_
# globals (the PRF is not among them: the caller takes name_row's).
function openssl_row(name, kxc, auc, enc, macc,    e, b) {
    sub(/^Kx=/, "", kxc); sub(/^Au=/, "", auc); sub(/^Enc=/, "", enc); sub(/^Mac=/, "", macc)
    if (kxc == "RSA" || kxc == "PSK" || kxc == "SRP") o_kx = kxc
    else if (kxc == "DH") o_kx = "DHE"
    else if (kxc == "ECDH") o_kx = "ECDHE"
    else if (kxc == "DHEPSK") o_kx = "DHE_PSK"
    else if (kxc == "ECDHEPSK") o_kx = "ECDHE_PSK"
    else if (kxc == "RSAPSK") o_kx = "RSA_PSK"
    else if (kxc == "any") o_kx = "ANY"
    else die(name ": OpenSSL Kx=" kxc)
    if (auc ~ /^(RSA|DSS|ECDSA|PSK|SRP)$/) o_au = auc
    else if (auc == "None") o_au = "NULL"
    else if (auc == "any") o_au = "ANY"
    else die(name ": OpenSSL Au=" auc)
    if (enc == "None") {
        e = "None"; o_bits = 0
    } else {
        if (enc !~ /^[A-Za-z0-9\/]+\([0-9]+\)$/) die(name ": OpenSSL Enc=" enc)
        b = index(enc, "(")
        e = substr(enc, 1, b - 1)
        o_bits = substr(enc, b + 1, length(enc) - b - 1) + 0
    }
    if (e == "None") { o_cipher = "NULL"; o_mode = "NONE" }
    else if (e == "AES") { o_cipher = "AES"; o_mode = "CBC" }
    else if (e == "AESGCM") { o_cipher = "AES"; o_mode = "GCM" }
    else if (e == "AESCCM") { o_cipher = "AES"; o_mode = "CCM" }
    else if (e == "AESCCM8") { o_cipher = "AES"; o_mode = "CCM_8" }
    else if (e == "Camellia") { o_cipher = "CAMELLIA"; o_mode = "CBC" }
    else if (e == "ARIAGCM") { o_cipher = "ARIA"; o_mode = "GCM" }
    else if (e == "CHACHA20/POLY1305") { o_cipher = "CHACHA20"; o_mode = "POLY1305" }
    else if (e ~ /^(3DES|SEED|IDEA|DES)$/) { o_cipher = e; o_mode = "CBC" }
    else if (e == "RC4") { o_cipher = "RC4"; o_mode = "STREAM" }
    else die(name ": OpenSSL Enc=" enc)
    if (macc == "AEAD") { o_mac = "NONE"; o_aead = 1 }
    else if (macc == "SHA1") { o_mac = "HMAC_SHA1"; o_aead = 0 }
    else if (macc ~ /^(MD5|SHA256|SHA384)$/) { o_mac = "HMAC_" macc; o_aead = 0 }
    else die(name ": OpenSSL Mac=" macc)
}

function emit(id, name, src) {
    # the first field sorts the rows by code point and is cut afterwards
    printf "%s     SUITE(%s, %-48s %-10s %-7s %-11s %3d, %-9s %d, %-12s %-12s %d) /* %s */\n",
        id, id, "\"" name "\",", kx ",", au ",", cipher ",", bits, mode ",", aead,
        mac ",", prf ",", xp, src
}

FNR == NR {
    if ($1 !~ /^0x[0-9A-F][0-9A-F][0-9A-F][0-9A-F]$/) die("OpenSSL id " $1)
    openssl_row($2, $3, $4, $5, $6)
    name_row($2)
    if (kx != o_kx || au != o_au || cipher != o_cipher || bits != o_bits || mode != o_mode ||
        aead != o_aead || mac != o_mac)
        die($2 ": the name reads " kx "/" au "/" cipher "(" bits ")/" mode "/" mac \
            ", OpenSSL says " o_kx "/" o_au "/" o_cipher "(" o_bits ")/" o_mode "/" o_mac)
    if ($1 in seen) die("OpenSSL lists " $1 " twice")
    seen[$1] = $2
    emit($1, $2, "OpenSSL")
    next
}
{
    if ($1 in seen) {
        if (seen[$1] != $2) die($1 ": OpenSSL names it " seen[$1] ", the list " $2)
        next
    }
    seen[$1] = $2
    name_row($2)
    emit($1, $2, "IANA name")
}
END { if (failed) exit 1 }
AWK

cat >"$tmp/iana" <<'IANA'
0x0000 TLS_NULL_WITH_NULL_NULL
0x0001 TLS_RSA_WITH_NULL_MD5
0x0002 TLS_RSA_WITH_NULL_SHA
0x0003 TLS_RSA_EXPORT_WITH_RC4_40_MD5
0x0004 TLS_RSA_WITH_RC4_128_MD5
0x0005 TLS_RSA_WITH_RC4_128_SHA
0x0006 TLS_RSA_EXPORT_WITH_RC2_CBC_40_MD5
0x0007 TLS_RSA_WITH_IDEA_CBC_SHA
0x0008 TLS_RSA_EXPORT_WITH_DES40_CBC_SHA
0x0009 TLS_RSA_WITH_DES_CBC_SHA
0x000A TLS_RSA_WITH_3DES_EDE_CBC_SHA
0x000B TLS_DH_DSS_EXPORT_WITH_DES40_CBC_SHA
0x000C TLS_DH_DSS_WITH_DES_CBC_SHA
0x000D TLS_DH_DSS_WITH_3DES_EDE_CBC_SHA
0x000E TLS_DH_RSA_EXPORT_WITH_DES40_CBC_SHA
0x000F TLS_DH_RSA_WITH_DES_CBC_SHA
0x0010 TLS_DH_RSA_WITH_3DES_EDE_CBC_SHA
0x0011 TLS_DHE_DSS_EXPORT_WITH_DES40_CBC_SHA
0x0012 TLS_DHE_DSS_WITH_DES_CBC_SHA
0x0013 TLS_DHE_DSS_WITH_3DES_EDE_CBC_SHA
0x0014 TLS_DHE_RSA_EXPORT_WITH_DES40_CBC_SHA
0x0015 TLS_DHE_RSA_WITH_DES_CBC_SHA
0x0016 TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA
0x0017 TLS_DH_anon_EXPORT_WITH_RC4_40_MD5
0x0018 TLS_DH_anon_WITH_RC4_128_MD5
0x0019 TLS_DH_anon_EXPORT_WITH_DES40_CBC_SHA
0x001A TLS_DH_anon_WITH_DES_CBC_SHA
0x001B TLS_DH_anon_WITH_3DES_EDE_CBC_SHA
0x001E TLS_KRB5_WITH_DES_CBC_SHA
0x001F TLS_KRB5_WITH_3DES_EDE_CBC_SHA
0x0020 TLS_KRB5_WITH_RC4_128_SHA
0x0021 TLS_KRB5_WITH_IDEA_CBC_SHA
0x0022 TLS_KRB5_WITH_DES_CBC_MD5
0x0023 TLS_KRB5_WITH_3DES_EDE_CBC_MD5
0x0024 TLS_KRB5_WITH_RC4_128_MD5
0x0025 TLS_KRB5_WITH_IDEA_CBC_MD5
0x0026 TLS_KRB5_EXPORT_WITH_DES_CBC_40_SHA
0x0027 TLS_KRB5_EXPORT_WITH_RC2_CBC_40_SHA
0x0028 TLS_KRB5_EXPORT_WITH_RC4_40_SHA
0x0029 TLS_KRB5_EXPORT_WITH_DES_CBC_40_MD5
0x002A TLS_KRB5_EXPORT_WITH_RC2_CBC_40_MD5
0x002B TLS_KRB5_EXPORT_WITH_RC4_40_MD5
0x0030 TLS_DH_DSS_WITH_AES_128_CBC_SHA
0x0031 TLS_DH_RSA_WITH_AES_128_CBC_SHA
0x0036 TLS_DH_DSS_WITH_AES_256_CBC_SHA
0x0037 TLS_DH_RSA_WITH_AES_256_CBC_SHA
0x003E TLS_DH_DSS_WITH_AES_128_CBC_SHA256
0x003F TLS_DH_RSA_WITH_AES_128_CBC_SHA256
0x0042 TLS_DH_DSS_WITH_CAMELLIA_128_CBC_SHA
0x0043 TLS_DH_RSA_WITH_CAMELLIA_128_CBC_SHA
0x0060 TLS_RSA_EXPORT1024_WITH_RC4_56_MD5
0x0061 TLS_RSA_EXPORT1024_WITH_RC2_CBC_56_MD5
0x0062 TLS_RSA_EXPORT1024_WITH_DES_CBC_SHA
0x0063 TLS_DHE_DSS_EXPORT1024_WITH_DES_CBC_SHA
0x0064 TLS_RSA_EXPORT1024_WITH_RC4_56_SHA
0x0065 TLS_DHE_DSS_EXPORT1024_WITH_RC4_56_SHA
0x0066 TLS_DHE_DSS_WITH_RC4_128_SHA
0x0068 TLS_DH_DSS_WITH_AES_256_CBC_SHA256
0x0069 TLS_DH_RSA_WITH_AES_256_CBC_SHA256
0x0085 TLS_DH_DSS_WITH_CAMELLIA_256_CBC_SHA
0x0086 TLS_DH_RSA_WITH_CAMELLIA_256_CBC_SHA
0x008A TLS_PSK_WITH_RC4_128_SHA
0x008B TLS_PSK_WITH_3DES_EDE_CBC_SHA
0x008E TLS_DHE_PSK_WITH_RC4_128_SHA
0x008F TLS_DHE_PSK_WITH_3DES_EDE_CBC_SHA
0x0092 TLS_RSA_PSK_WITH_RC4_128_SHA
0x0093 TLS_RSA_PSK_WITH_3DES_EDE_CBC_SHA
0x0096 TLS_RSA_WITH_SEED_CBC_SHA
0x0097 TLS_DH_DSS_WITH_SEED_CBC_SHA
0x0098 TLS_DH_RSA_WITH_SEED_CBC_SHA
0x0099 TLS_DHE_DSS_WITH_SEED_CBC_SHA
0x009A TLS_DHE_RSA_WITH_SEED_CBC_SHA
0x009B TLS_DH_anon_WITH_SEED_CBC_SHA
0x00A0 TLS_DH_RSA_WITH_AES_128_GCM_SHA256
0x00A1 TLS_DH_RSA_WITH_AES_256_GCM_SHA384
0x00A4 TLS_DH_DSS_WITH_AES_128_GCM_SHA256
0x00A5 TLS_DH_DSS_WITH_AES_256_GCM_SHA384
0x00BB TLS_DH_DSS_WITH_CAMELLIA_128_CBC_SHA256
0x00BC TLS_DH_RSA_WITH_CAMELLIA_128_CBC_SHA256
0x00C1 TLS_DH_DSS_WITH_CAMELLIA_256_CBC_SHA256
0x00C2 TLS_DH_RSA_WITH_CAMELLIA_256_CBC_SHA256
0x00C6 TLS_SM4_GCM_SM3
0x00C7 TLS_SM4_CCM_SM3
0x00FF TLS_EMPTY_RENEGOTIATION_INFO_SCSV
0x1304 TLS_AES_128_CCM_SHA256
0x1305 TLS_AES_128_CCM_8_SHA256
0x1306 TLS_AEGIS_256_SHA512
0x1307 TLS_AEGIS_128L_SHA256
0x5600 TLS_FALLBACK_SCSV
0xC001 TLS_ECDH_ECDSA_WITH_NULL_SHA
0xC002 TLS_ECDH_ECDSA_WITH_RC4_128_SHA
0xC003 TLS_ECDH_ECDSA_WITH_3DES_EDE_CBC_SHA
0xC004 TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA
0xC005 TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA
0xC006 TLS_ECDHE_ECDSA_WITH_NULL_SHA
0xC007 TLS_ECDHE_ECDSA_WITH_RC4_128_SHA
0xC008 TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA
0xC00B TLS_ECDH_RSA_WITH_NULL_SHA
0xC00C TLS_ECDH_RSA_WITH_RC4_128_SHA
0xC00D TLS_ECDH_RSA_WITH_3DES_EDE_CBC_SHA
0xC00E TLS_ECDH_RSA_WITH_AES_128_CBC_SHA
0xC00F TLS_ECDH_RSA_WITH_AES_256_CBC_SHA
0xC010 TLS_ECDHE_RSA_WITH_NULL_SHA
0xC011 TLS_ECDHE_RSA_WITH_RC4_128_SHA
0xC012 TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA
0xC015 TLS_ECDH_anon_WITH_NULL_SHA
0xC016 TLS_ECDH_anon_WITH_RC4_128_SHA
0xC017 TLS_ECDH_anon_WITH_3DES_EDE_CBC_SHA
0xC018 TLS_ECDH_anon_WITH_AES_128_CBC_SHA
0xC019 TLS_ECDH_anon_WITH_AES_256_CBC_SHA
0xC01A TLS_SRP_SHA_WITH_3DES_EDE_CBC_SHA
0xC01B TLS_SRP_SHA_RSA_WITH_3DES_EDE_CBC_SHA
0xC01C TLS_SRP_SHA_DSS_WITH_3DES_EDE_CBC_SHA
0xC025 TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA256
0xC026 TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA384
0xC029 TLS_ECDH_RSA_WITH_AES_128_CBC_SHA256
0xC02A TLS_ECDH_RSA_WITH_AES_256_CBC_SHA384
0xC02D TLS_ECDH_ECDSA_WITH_AES_128_GCM_SHA256
0xC02E TLS_ECDH_ECDSA_WITH_AES_256_GCM_SHA384
0xC031 TLS_ECDH_RSA_WITH_AES_128_GCM_SHA256
0xC032 TLS_ECDH_RSA_WITH_AES_256_GCM_SHA384
0xC033 TLS_ECDHE_PSK_WITH_RC4_128_SHA
0xC034 TLS_ECDHE_PSK_WITH_3DES_EDE_CBC_SHA
0xC03C TLS_RSA_WITH_ARIA_128_CBC_SHA256
0xC03D TLS_RSA_WITH_ARIA_256_CBC_SHA384
0xC03E TLS_DH_DSS_WITH_ARIA_128_CBC_SHA256
0xC03F TLS_DH_DSS_WITH_ARIA_256_CBC_SHA384
0xC040 TLS_DH_RSA_WITH_ARIA_128_CBC_SHA256
0xC041 TLS_DH_RSA_WITH_ARIA_256_CBC_SHA384
0xC042 TLS_DHE_DSS_WITH_ARIA_128_CBC_SHA256
0xC043 TLS_DHE_DSS_WITH_ARIA_256_CBC_SHA384
0xC044 TLS_DHE_RSA_WITH_ARIA_128_CBC_SHA256
0xC045 TLS_DHE_RSA_WITH_ARIA_256_CBC_SHA384
0xC046 TLS_DH_anon_WITH_ARIA_128_CBC_SHA256
0xC047 TLS_DH_anon_WITH_ARIA_256_CBC_SHA384
0xC048 TLS_ECDHE_ECDSA_WITH_ARIA_128_CBC_SHA256
0xC049 TLS_ECDHE_ECDSA_WITH_ARIA_256_CBC_SHA384
0xC04A TLS_ECDH_ECDSA_WITH_ARIA_128_CBC_SHA256
0xC04B TLS_ECDH_ECDSA_WITH_ARIA_256_CBC_SHA384
0xC04C TLS_ECDHE_RSA_WITH_ARIA_128_CBC_SHA256
0xC04D TLS_ECDHE_RSA_WITH_ARIA_256_CBC_SHA384
0xC04E TLS_ECDH_RSA_WITH_ARIA_128_CBC_SHA256
0xC04F TLS_ECDH_RSA_WITH_ARIA_256_CBC_SHA384
0xC054 TLS_DH_RSA_WITH_ARIA_128_GCM_SHA256
0xC055 TLS_DH_RSA_WITH_ARIA_256_GCM_SHA384
0xC058 TLS_DH_DSS_WITH_ARIA_128_GCM_SHA256
0xC059 TLS_DH_DSS_WITH_ARIA_256_GCM_SHA384
0xC05A TLS_DH_anon_WITH_ARIA_128_GCM_SHA256
0xC05B TLS_DH_anon_WITH_ARIA_256_GCM_SHA384
0xC05E TLS_ECDH_ECDSA_WITH_ARIA_128_GCM_SHA256
0xC05F TLS_ECDH_ECDSA_WITH_ARIA_256_GCM_SHA384
0xC062 TLS_ECDH_RSA_WITH_ARIA_128_GCM_SHA256
0xC063 TLS_ECDH_RSA_WITH_ARIA_256_GCM_SHA384
0xC064 TLS_PSK_WITH_ARIA_128_CBC_SHA256
0xC065 TLS_PSK_WITH_ARIA_256_CBC_SHA384
0xC066 TLS_DHE_PSK_WITH_ARIA_128_CBC_SHA256
0xC067 TLS_DHE_PSK_WITH_ARIA_256_CBC_SHA384
0xC068 TLS_RSA_PSK_WITH_ARIA_128_CBC_SHA256
0xC069 TLS_RSA_PSK_WITH_ARIA_256_CBC_SHA384
0xC070 TLS_ECDHE_PSK_WITH_ARIA_128_CBC_SHA256
0xC071 TLS_ECDHE_PSK_WITH_ARIA_256_CBC_SHA384
0xC074 TLS_ECDH_ECDSA_WITH_CAMELLIA_128_CBC_SHA256
0xC075 TLS_ECDH_ECDSA_WITH_CAMELLIA_256_CBC_SHA384
0xC078 TLS_ECDH_RSA_WITH_CAMELLIA_128_CBC_SHA256
0xC079 TLS_ECDH_RSA_WITH_CAMELLIA_256_CBC_SHA384
0xC07A TLS_RSA_WITH_CAMELLIA_128_GCM_SHA256
0xC07B TLS_RSA_WITH_CAMELLIA_256_GCM_SHA384
0xC07C TLS_DHE_RSA_WITH_CAMELLIA_128_GCM_SHA256
0xC07D TLS_DHE_RSA_WITH_CAMELLIA_256_GCM_SHA384
0xC07E TLS_DH_RSA_WITH_CAMELLIA_128_GCM_SHA256
0xC07F TLS_DH_RSA_WITH_CAMELLIA_256_GCM_SHA384
0xC080 TLS_DHE_DSS_WITH_CAMELLIA_128_GCM_SHA256
0xC081 TLS_DHE_DSS_WITH_CAMELLIA_256_GCM_SHA384
0xC082 TLS_DH_DSS_WITH_CAMELLIA_128_GCM_SHA256
0xC083 TLS_DH_DSS_WITH_CAMELLIA_256_GCM_SHA384
0xC084 TLS_DH_anon_WITH_CAMELLIA_128_GCM_SHA256
0xC085 TLS_DH_anon_WITH_CAMELLIA_256_GCM_SHA384
0xC086 TLS_ECDHE_ECDSA_WITH_CAMELLIA_128_GCM_SHA256
0xC087 TLS_ECDHE_ECDSA_WITH_CAMELLIA_256_GCM_SHA384
0xC088 TLS_ECDH_ECDSA_WITH_CAMELLIA_128_GCM_SHA256
0xC089 TLS_ECDH_ECDSA_WITH_CAMELLIA_256_GCM_SHA384
0xC08A TLS_ECDHE_RSA_WITH_CAMELLIA_128_GCM_SHA256
0xC08B TLS_ECDHE_RSA_WITH_CAMELLIA_256_GCM_SHA384
0xC08C TLS_ECDH_RSA_WITH_CAMELLIA_128_GCM_SHA256
0xC08D TLS_ECDH_RSA_WITH_CAMELLIA_256_GCM_SHA384
0xC08E TLS_PSK_WITH_CAMELLIA_128_GCM_SHA256
0xC08F TLS_PSK_WITH_CAMELLIA_256_GCM_SHA384
0xC090 TLS_DHE_PSK_WITH_CAMELLIA_128_GCM_SHA256
0xC091 TLS_DHE_PSK_WITH_CAMELLIA_256_GCM_SHA384
0xC092 TLS_RSA_PSK_WITH_CAMELLIA_128_GCM_SHA256
0xC093 TLS_RSA_PSK_WITH_CAMELLIA_256_GCM_SHA384
0xC0B0 TLS_ECCPWD_WITH_AES_128_GCM_SHA256
0xC0B1 TLS_ECCPWD_WITH_AES_256_GCM_SHA384
0xC0B2 TLS_ECCPWD_WITH_AES_128_CCM_SHA256
0xC0B3 TLS_ECCPWD_WITH_AES_256_CCM_SHA384
0xC0B4 TLS_SHA256_SHA256
0xC0B5 TLS_SHA384_SHA384
0xC100 TLS_GOSTR341112_256_WITH_KUZNYECHIK_CTR_OMAC
0xC101 TLS_GOSTR341112_256_WITH_MAGMA_CTR_OMAC
0xC102 TLS_GOSTR341112_256_WITH_28147_CNT_IMIT
0xC103 TLS_GOSTR341112_256_WITH_KUZNYECHIK_MGM_L
0xC104 TLS_GOSTR341112_256_WITH_MAGMA_MGM_L
0xC105 TLS_GOSTR341112_256_WITH_KUZNYECHIK_MGM_S
0xC106 TLS_GOSTR341112_256_WITH_MAGMA_MGM_S
0xD001 TLS_ECDHE_PSK_WITH_AES_128_GCM_SHA256
0xD002 TLS_ECDHE_PSK_WITH_AES_256_GCM_SHA384
0xD003 TLS_ECDHE_PSK_WITH_AES_128_CCM_8_SHA256
0xD005 TLS_ECDHE_PSK_WITH_AES_128_CCM_SHA256
0xFEFE SSL_RSA_FIPS_WITH_DES_CBC_SHA
0xFEFF SSL_RSA_FIPS_WITH_3DES_EDE_CBC_SHA
IANA

{
    echo "/* Generated by tools/gen-cipher-suites.sh from OpenSSL $(openssl version | cut -d' ' -f2)"
    echo " * and the IANA registry's names; do not edit by hand.  Columns (struct tls_suite):"
    echo " * id, IANA name, kx, au, cipher, key bits, mode, aead, mac, prf, export; the"
    echo " * comment says where the row comes from. */"
    awk -f "$tmp/rows.awk" "$tmp/openssl" "$tmp/iana" >"$tmp/rows"
    sort "$tmp/rows" | cut -d' ' -f2-
} >"$tmp/out"
mv "$tmp/out" "$out"
echo "wrote $(grep -c 'SUITE(0x' "$out") suites to $out"

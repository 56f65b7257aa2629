#!/bin/sh
# make-x509.sh - regenerate the certificates that tests/test_x509.c reads:
#   tests/vectors/x509_*.pem      one certificate each (PEM)
#   tests/vectors/x509_expected.h what the keys and signatures make random:
#                                 SHA-256 of each DER and of its SPKI, computed
#                                 here with sha256sum, not by OpenSSL's library
# Names, SANs, serials, dates and key sizes are fixed below; the test asserts
# them as literals.  Keys are new on every run, so the PEM files and the
# header must be committed together.  Run from anywhere:
#   sh tests/vectors/make-x509.sh
# Needs openssl (3.0: `openssl ca -startdate/-enddate` fixes the dates, which
# `openssl req -x509` cannot), sha256sum and GNU date.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
export W
mkdir "$W/new"
: >"$W/index.txt"

cat >"$W/ca.cnf" <<'CNF'
[ req ]
distinguished_name = dn
string_mask = utf8only
utf8 = yes
prompt = no
[ dn ]
CN = unused
[ ca ]
default_ca = tca
[ tca ]
dir = $ENV::W
database = $dir/index.txt
new_certs_dir = $dir/new
serial = $dir/serial
default_md = sha256
policy = anything
unique_subject = no
preserve = yes
email_in_dn = yes
copy_extensions = none
[ anything ]
countryName = optional
organizationName = optional
organizationalUnitName = optional
commonName = optional
[ v3_root ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[ v3_inter ]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[ v3_leaf_rsa ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:mail.example.test, DNS:mx1.example.test, IP:192.0.2.25, email:postmaster@example.test, IP:2001:db8::25, URI:https://example.test/
[ v3_leaf_ec ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:ec.example.test, DNS:alt.example.test
[ v3_self ]
basicConstraints = critical, CA:FALSE
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
subjectAltName = DNS:self.example.test
[ v3_plain ]
basicConstraints = critical, CA:FALSE
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:old.example.test
CNF

key() { # key NAME ALG [OPTION...]
    name=$1 alg=$2; shift 2
    openssl genpkey -quiet -algorithm "$alg" "$@" -out "$W/$name.key"
}
# cert NAME SERIAL SUBJECT START END MD SIGNER EXTENSIONS|- [ca option...]
# SIGNER "self" signs with the certificate's own key.
cert() {
    name=$1 serial=$2 subj=$3 start=$4 end=$5 md=$6 signer=$7 ext=$8; shift 8
    echo "$serial" >"$W/serial"
    openssl req -new -config "$W/ca.cnf" -utf8 -key "$W/$name.key" -subj "$subj" -out "$W/$name.csr"
    if [ "$signer" = self ]; then
        set -- -selfsign -keyfile "$W/$name.key" "$@"
    else
        set -- -cert "$W/$signer.pem" -keyfile "$W/$signer.key" "$@"
    fi
    if [ "$ext" != - ]; then
        set -- -extensions "$ext" "$@"
    fi
    openssl ca -batch -notext -config "$W/ca.cnf" -utf8 -in "$W/$name.csr" -out "$W/$name.pem" \
        -startdate "$start" -enddate "$end" -md "$md" "$@" 2>"$W/ca.log" ||
        { cat "$W/ca.log" >&2; exit 1; }
}

key root RSA -pkeyopt rsa_keygen_bits:2048
cert root 1001 "/C=DE/O=mxwitness tests/CN=MXW Test Root CA" \
    20200101000000Z 20600101000000Z sha256 self v3_root
key inter EC -pkeyopt ec_paramgen_curve:P-384
cert inter 1002 "/C=DE/O=mxwitness tests/CN=MXW Test Intermediate" \
    20200601000000Z 20400601000000Z sha384 root v3_inter
key leaf_rsa RSA -pkeyopt rsa_keygen_bits:2048
cert leaf_rsa 1003 "/C=DE/O=Example Mail/CN=mail.example.test" \
    20240101000000Z 20260101000000Z sha256 inter v3_leaf_rsa
key leaf_ec EC -pkeyopt ec_paramgen_curve:P-256
cert leaf_ec 1004 "/O=Example/CN=ec.example.test/CN=alt.example.test" \
    20240301120000Z 20250301120000Z sha256 inter v3_leaf_ec
key self EC -pkeyopt ec_paramgen_curve:P-256
cert self 1005 "/CN=self.example.test" \
    20230101000000Z 20330101000000Z sha256 self v3_self
key expired RSA -pkeyopt rsa_keygen_bits:2048
cert expired 1006 "/C=DE/O=Example Mail/CN=expired.example.test" \
    150301000000Z 160301000000Z sha256 inter v3_leaf_rsa
key weak RSA -pkeyopt rsa_keygen_bits:1024
cert weak 1007 "/CN=weak.example.test" \
    20240101000000Z 20250101000000Z sha256 root v3_plain
key sha1 RSA -pkeyopt rsa_keygen_bits:2048
cert sha1 1008 "/CN=sha1.example.test" \
    20240101000000Z 20250101000000Z sha1 root v3_plain
# UTF-8 (Grüße, ümlaut) and an ESC (0x1B) from a terminal escape sequence
key utf8 EC -pkeyopt ec_paramgen_curve:P-256
cert utf8 1009 "$(printf '/C=DE/O=Gr\303\274\303\237e GmbH/OU=esc\033[31mred/CN=\303\274mlaut.example.test')" \
    20240101000000Z 20250101000000Z sha256 self v3_self
# version 1 (no extensions): a self-signed one, and one with the same name
# but another key, signed by the first: self-issued, not self-signed
key v1 EC -pkeyopt ec_paramgen_curve:P-256
cert v1 100A "/CN=Same Name" 20240101000000Z 20250101000000Z sha256 self -
key selfissued EC -pkeyopt ec_paramgen_curve:P-256
cert selfissued 100B "/CN=Same Name" 20240101000000Z 20250101000000Z sha256 v1 -

names="root inter leaf_rsa leaf_ec self expired weak sha1 utf8 v1 selfissued"
out="$here/x509_expected.h"
{
    echo "/* x509_expected.h - written by make-x509.sh with sha256sum; do not edit. */"
    echo "#ifndef MXW_X509_EXPECTED_H"
    echo "#define MXW_X509_EXPECTED_H"
    for n in $names; do
        cp "$W/$n.pem" "$here/x509_$n.pem"
        N=$(echo "$n" | tr a-z A-Z)
        d=$(openssl x509 -in "$W/$n.pem" -outform DER | sha256sum | cut -c1-64 | tr a-f A-F)
        s=$(openssl x509 -in "$W/$n.pem" -noout -pubkey | openssl pkey -pubin -outform DER |
            sha256sum | cut -c1-64 | tr a-f A-F)
        echo "#define X509_${N}_SHA256 \"$d\""
        echo "#define X509_${N}_SPKI \"$s\""
    done
    echo "#endif"
} >"$out"
echo "wrote $(echo $names | wc -w) certificates and $out"

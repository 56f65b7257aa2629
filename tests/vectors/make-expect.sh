#!/bin/sh
# make-expect.sh - regenerate the PEM files that tests/test_expect.c reads
# (the expect_*.conf files next to them are written by hand):
#   expect_bundle.pem   two leaf certificates from pcaps/certs, with text and
#                       a private key around them (which pem: skips)
#   expect_trusted.pem  clean-tls12's leaf as a TRUSTED CERTIFICATE (with
#                       OpenSSL trust settings after the certificate)
#   expect_keyonly.pem  a private key and no certificate (pem: refuses it)
#   expect_notcert.pem  a CERTIFICATE block whose content is not a certificate
#   expect_badpem.pem   a CERTIFICATE block with broken base64
# The certificates are the committed captures' (pcaps/certs/*.pem), so the
# test can pin them by the cert_sha256 in pcaps/*.truth; only the key is new
# on every run.  Run from anywhere:  sh tests/vectors/make-expect.sh
set -eu
here=$(cd "$(dirname "$0")" && pwd)
certs="$here/../../pcaps/certs"
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT

openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$W/key.pem" 2>/dev/null

{
    echo "# two certificates and a key: only the certificates become pins"
    openssl x509 -in "$certs/clean-tls12.pem"
    cat "$W/key.pem"
    echo "some text between blocks"
    openssl x509 -in "$certs/wrong-hostname.pem"
} >"$here/expect_bundle.pem"

openssl x509 -in "$certs/clean-tls12.pem" -trustout -addtrust serverAuth >"$here/expect_trusted.pem"

cp "$W/key.pem" "$here/expect_keyonly.pem"
chmod 644 "$here/expect_keyonly.pem"

{
    echo "-----BEGIN CERTIFICATE-----"
    printf 'this is not DER' | openssl base64
    echo "-----END CERTIFICATE-----"
} >"$here/expect_notcert.pem"

{
    echo "-----BEGIN CERTIFICATE-----"
    echo "MIIB!!!!not*base64@@@"
    echo "-----END CERTIFICATE-----"
} >"$here/expect_badpem.pem"

#!/bin/sh
# deps.sh WHAT - make sure the Debian packages mxwitness needs are installed.
#   build: compiler, make, pkg-config, libpcap, nDPI, OpenSSL, cmocka
#   test:  the above plus jq (the end-to-end tests read the JSON), openssl, ca-certificates
#          (the system trust store the verdict tests verify against), iproute2 and
#          wireshark-common (capinfos: the packet counts the end-to-end tests check
#          mxwitness's --stats against, from a reader other than libpcap), chromium
#          (tests/e2e_html.sh renders the HTML report headless and reads the DOM),
#          python3 (e2e_html checks the page is well-formed), man-db
#          (tests/e2e_man.sh renders the manual page), systemd (systemd-analyze
#          verify checks tools/mxwitness@.service) and tcpreplay (tests/e2e_live.sh
#          replays a capture onto a veth pair), bsdutils (script: tests/e2e_progress.sh
#          gives the progress line a terminal)
#   bench: the above plus tshark (the peer the benchmark measures against)
#   record: what pcaps/record.sh records the test captures with: postfix,
#          swaks (and Net::SSLeay), openssl, tcpdump, tshark, iproute2,
#          nftables (the NAT router), haproxy (the TCP balancer); the host's
#          own postfix and haproxy are kept from starting; gcc and libssl-dev
#          build pcaps/keylog-preload.c (the appliance relay's key log)
# As root it installs what is missing with apt-get; otherwise it prints the
# command to run and fails.
set -eu
what=${1:-build}
pkgs="gcc make pkg-config libpcap-dev libndpi-dev libssl-dev libcmocka-dev"
[ "$what" = test ] && pkgs="$pkgs jq python3 man-db openssl ca-certificates iproute2 wireshark-common chromium systemd tcpreplay bsdutils"
[ "$what" = bench ] && pkgs="$pkgs jq tshark"
[ "$what" = record ] && pkgs="postfix swaks libnet-ssleay-perl openssl tcpdump tshark iproute2 nftables haproxy gcc libssl-dev"
missing=""
for p in $pkgs; do
    st=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
    case "$st" in ii*) ;; *) missing="$missing $p" ;; esac
done
[ -z "$missing" ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
    echo "deps: missing packages:$missing (this script knows Debian's apt-get only)" >&2
    exit 1
fi
if [ "$(id -u)" != 0 ]; then
    echo "deps: missing packages:$missing" >&2
    echo "deps: run: sudo apt-get install -y$missing" >&2
    exit 1
fi
echo "deps: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer no without a prompt.
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections 2>/dev/null || true
policy=""
if [ "$what" = record ]; then
    echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections 2>/dev/null || true
    if [ ! -e /usr/sbin/policy-rc.d ]; then   # no service starts during the install
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d
        policy=/usr/sbin/policy-rc.d
        trap 'rm -f "$policy"' EXIT
    fi
fi
apt-get update -qq >/dev/null || apt-get update
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null

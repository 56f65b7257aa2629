#!/usr/bin/env bash
# pcaps/record.sh -- record mxwitness' test captures from real software.
#
#   sudo pcaps/record.sh [scenario ...]     record (no args = all scenarios)
#   sudo pcaps/record.sh --verify [sc ...]  only re-check existing captures
#   pcaps/record.sh --list                  list scenarios
#
# Builds throw-away network namespaces (mxw-<pid>-*) joined by veth pairs,
# with documentation addresses only (192.0.2.0/24, 198.51.100.0/24,
# 203.0.113.0/24, 2001:db8::/32), runs postfix (receiving MTA, and a second
# postfix as the TLS-terminating "appliance"), swaks and openssl s_client in
# them, captures with tcpdump, writes each capture's truth file from the
# certificates generated here and from the scenario definition, then checks
# every capture against its truth with tshark. See pcaps/README.md.
#
# Environment: MXW_KEEP=1 keeps the work directory (logs, keys) for debugging.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT=$HERE
CERTS_OUT=$OUT/certs

ALL_SCENARIOS=(clean-tls12 appliance-outside appliance-inside implicit-465
  starttls-tls13 mutual-tls starttls-not-offered starttls-refused many-sessions
  expired-cert wrong-hostname wildcard-mismatch missing-intermediate
  tls10-weak-cipher client-alert reply-4-7-320
  appliance-tls13-outside appliance-tls13-inside
  nat-appliance-sender nat-appliance-outside nat-appliance-inside
  starttls-strip-discard-outside starttls-strip-discard-inside
  starttls-strip-asa-outside starttls-strip-asa-inside
  balancer-outside balancer-inside
  appliance-same-second-outside appliance-same-second-inside
  onepoint-appliance onepoint-nat
  hrr-tls13 mtls13-rejected hostile-cert)
# scenarios recorded at several points of one path, each with its own CA:
# the scenario's name, then its captures in path order
MULTI=("appliance-outside appliance-outside appliance-inside"
  "appliance-tls13 appliance-tls13-outside appliance-tls13-inside"
  "nat-appliance nat-appliance-sender nat-appliance-outside nat-appliance-inside"
  "starttls-strip-discard starttls-strip-discard-outside starttls-strip-discard-inside"
  "starttls-strip-asa starttls-strip-asa-outside starttls-strip-asa-inside"
  "balancer balancer-outside balancer-inside"
  "appliance-same-second appliance-same-second-outside appliance-same-second-inside")
# one capture each, with a CA of their own too (a trust line in the truth),
# so that recording them leaves certs/test-root-ca.pem as it is
OWN_CA_SINGLE=(hrr-tls13 mtls13-rejected hostile-cert)
scenario_of() {   # CAPTURE or SCENARIO -> the scenario that records it
  local m w
  for m in "${MULTI[@]}"; do
    for w in $m; do [[ $w == "$1" ]] && { echo "${m%% *}"; return; }; done
  done
  echo "$1"
}
captures_of() {   # SCENARIO -> its captures
  local m
  for m in "${MULTI[@]}"; do [[ ${m%% *} == "$1" ]] && { echo "${m#* }"; return; }; done
  echo "$1"
}
own_ca() {        # SCENARIO: has a CA of its own (not certs/test-root-ca.pem)
  [[ $1 == onepoint-* ]] && return 0    # one capture, but its own CA (its truth's trust line)
  [[ " ${OWN_CA_SINGLE[*]} " == *" $1 "* ]] && return 0
  [[ $1 != appliance-outside && $(captures_of "$1") != "$1" ]]
}

# ---------------------------------------------------------------- addresses
SND4=192.0.2.10          SND6=2001:db8:2::10        # the sending MTA
MTA4=198.51.100.25       MTA6=2001:db8:51::25       # the receiving MTA
PRXO4=203.0.113.25       PRXO6=2001:db8:113::25     # appliance, outside (public MX)
PRXI4=198.51.100.2       PRXI6=2001:db8:51::2       # appliance, inside
MX_NAME=mail.example.test
FROM=sender@example.org TO=postmaster@example.test HELO=sender.example.org

log()  { printf '[record] %s\n' "$*" >&2; }
die()  { printf '[record] ERROR: %s\n' "$*" >&2; exit 1; }

usage() { sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

# ------------------------------------------------------------------ arguments
MODE=record
ARGS=()
for a in "$@"; do
  case $a in
    -h|--help) usage; exit 0 ;;
    --list) printf '%s\n' "${ALL_SCENARIOS[@]}"; exit 0 ;;
    --verify) MODE=verify ;;
    -*) die "unknown option $a" ;;
    *) ARGS+=("$a") ;;
  esac
done
SCENARIOS=()
if ((${#ARGS[@]} == 0)); then SCENARIOS=("${ALL_SCENARIOS[@]}"); else
  for a in "${ARGS[@]}"; do
    [[ $a == appliance ]] && a=appliance-outside
    ok=0; for s in "${ALL_SCENARIOS[@]}"; do [[ $s == "$a" ]] && ok=1; done
    if ((ok)); then SCENARIOS+=("$a")
    elif [[ $(scenario_of "$a") == "$a" && $(captures_of "$a") != "$a" ]]; then
      read -ra c <<<"$(captures_of "$a")"; SCENARIOS+=("${c[@]}")   # a scenario's name: all its captures
    else die "unknown scenario '$a' (try --list)"; fi
  done
fi
[[ $MODE == verify ]] || ((EUID == 0)) || die "must run as root (network namespaces, tcpdump, postfix)"

# ------------------------------------------------------------------- packages
POLICY_RC=/usr/sbin/policy-rc.d
POLICY_RC_OURS=0
ensure_packages() {
  local need=()
  command -v postfix  >/dev/null || need+=(postfix)
  command -v swaks    >/dev/null || need+=(swaks)
  perl -MNet::SSLeay -e1 2>/dev/null || need+=(libnet-ssleay-perl)
  perl -MIO::Socket::IP -e1 2>/dev/null || need+=(perl)
  command -v tcpdump  >/dev/null || need+=(tcpdump)
  command -v openssl  >/dev/null || need+=(openssl)
  command -v ip       >/dev/null || need+=(iproute2)
  command -v ss       >/dev/null || need+=(iproute2)
  command -v tshark   >/dev/null || need+=(tshark)
  command -v perl     >/dev/null || need+=(perl)
  command -v nft      >/dev/null || need+=(nftables)     # the NAT router
  command -v haproxy  >/dev/null || need+=(haproxy)      # the TCP balancer
  command -v cc       >/dev/null || need+=(gcc)          # pcaps/keylog-preload.c
  [[ -f /usr/include/openssl/ssl.h ]] || need+=(libssl-dev)
  ((${#need[@]})) || return 0
  log "installing: ${need[*]}"
  # keep the host's postfix from starting during the install
  if [[ ! -e $POLICY_RC ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$POLICY_RC"; chmod 755 "$POLICY_RC"; POLICY_RC_OURS=1
  fi
  echo 'postfix postfix/main_mailer_type select No configuration' | debconf-set-selections
  echo 'wireshark-common wireshark-common/install-setuid boolean false' | debconf-set-selections
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  if ((POLICY_RC_OURS)); then rm -f "$POLICY_RC"; POLICY_RC_OURS=0; fi
}

# ------------------------------------------------------------ work dir, cleanup
W=
NETNS=()        # namespaces we created
PF_DIRS=()      # "ns:dir" of postfix instances we started
BG_PIDS=()      # background processes we started (tcpdump, senders)

# Stop everything a scenario started: postfix instances of this run, every
# process inside this run's namespaces (mxw-<pid>-*; all started by us), then
# the namespaces themselves.
scenario_cleanup() {
  local d ns pids pid i
  set +e
  if [[ -n $W ]]; then
    for d in "$W"/pf-*; do
      [[ -d $d/conf ]] || continue
      pid=$(tr -dc 0-9 <"$d/q/pid/master.pid" 2>/dev/null)
      postfix -c "$d/conf" stop >>"$W/logs/postfix.log" 2>&1
      if [[ -n $pid ]]; then
        for i in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      fi
      cp "$d/maillog" "$W/logs/$(basename "$d").maillog.${SC_TAG:-x}" 2>/dev/null
      rm -rf "$d"
    done
  fi
  for pid in "${BG_PIDS[@]}"; do kill -INT "$pid" 2>/dev/null; done
  for pid in "${BG_PIDS[@]}"; do
    for i in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
  done
  BG_PIDS=()
  for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^$RUN-"); do
    pids=$(ip netns pids "$ns" 2>/dev/null)
    if [[ -n $pids ]]; then
      kill -TERM $pids 2>/dev/null; sleep 0.3
      pids=$(ip netns pids "$ns" 2>/dev/null); [[ -z $pids ]] || kill -KILL $pids 2>/dev/null
    fi
    ip netns del "$ns" 2>/dev/null
  done
  NETNS=(); PF_DIRS=()
  set -e
}
cleanup() {
  local rc=$?
  set +e
  scenario_cleanup
  if ((POLICY_RC_OURS)); then rm -f "$POLICY_RC"; fi
  if [[ -n $W && -d $W ]]; then
    if [[ ${MXW_KEEP:-0} == 1 ]]; then log "work directory kept: $W"; else rm -rf "$W"; fi
  fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

RUN=mxw-$$
new_workdir() {
  W=$(mktemp -d /tmp/mxw-record.XXXXXX)
  chmod 755 "$W"          # postfix daemons must reach their queue dirs
  mkdir -p "$W/pki" "$W/out/certs" "$W/logs"
}

# ====================================================================== PKI
# All keys and certificates are generated here with openssl; the truth files
# are written from these files.
PKI=
DAY=86400
utc() { date -u -d "@$1" +%Y%m%d%H%M%SZ; }

ca_conf() {   # $1 = CA dir
  cat >"$1/ca.cnf" <<EOF
[ ca ]
default_ca = mxw
[ mxw ]
dir = $1
database = \$dir/index.txt
new_certs_dir = \$dir/newcerts
serial = \$dir/serial
certificate = \$dir/ca.pem
private_key = \$dir/ca.key
default_md = sha256
policy = pol
unique_subject = no
copy_extensions = none
email_in_dn = no
[ pol ]
commonName = supplied
organizationName = optional
organizationalUnitName = optional
countryName = optional
EOF
  : >"$1/index.txt"; mkdir -p "$1/newcerts"; openssl rand -hex 8 >"$1/serial"
}

# ca_sign CADIR CSR OUTPEM STARTSECS ENDSECS EXTFILE
ca_sign() {
  openssl ca -batch -notext -config "$1/ca.cnf" -in "$2" -out "$3" \
    -startdate "$(utc "$4")" -enddate "$(utc "$5")" -extfile "$6" \
    -preserveDN >>"$W/logs/pki.log" 2>&1 || die "openssl ca failed for $3 (see pki.log)"
}

# make_ca DIR LABEL: a root CA (DIR/root) and an intermediate signed by it
# (DIR/inter), both "mxwitness LABEL ... CA"
make_ca() {
  local d=$1 label=$2 now; now=$(date +%s)
  local root=$d/root inter=$d/inter
  mkdir -p "$root" "$inter"
  openssl req -x509 -new -newkey rsa:2048 -nodes -sha256 -keyout "$root/ca.key" -out "$root/ca.pem" \
    -days 3650 -subj "/O=mxwitness test/CN=mxwitness $label Root CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -addext "subjectKeyIdentifier=hash" 2>>"$W/logs/pki.log"
  ca_conf "$root"
  openssl req -new -newkey rsa:2048 -nodes -keyout "$inter/ca.key" -out "$inter/ca.csr" \
    -subj "/O=mxwitness test/CN=mxwitness $label Intermediate CA" 2>>"$W/logs/pki.log"
  cat >"$inter/ext.cnf" <<'EOF2'
basicConstraints = critical,CA:TRUE,pathlen:0
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF2
  ca_sign "$root" "$inter/ca.csr" "$inter/ca.pem" $((now - DAY)) $((now + 3000 * DAY)) "$inter/ext.cnf"
  ca_conf "$inter"
}

# The CA shared by the single-point scenarios (certs/test-root-ca.pem); it
# is installed into pcaps/ only when one of those scenarios was recorded.
make_pki() {
  PKI=$W/pki
  make_ca "$PKI" Test
  # an unrelated root, used as the only trust anchor of the client-alert sender
  mkdir -p "$PKI/other"
  openssl req -x509 -new -newkey rsa:2048 -nodes -sha256 -keyout "$PKI/other/ca.key" -out "$PKI/other/ca.pem" \
    -days 3650 -subj "/O=mxwitness other/CN=mxwitness Unrelated Root CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    2>>"$W/logs/pki.log"
  mkdir -p "$W/shared-certs"
  cp "$PKI/root/ca.pem"  "$W/shared-certs/test-root-ca.pem"
  cp "$PKI/inter/ca.pem" "$W/shared-certs/test-intermediate-ca.pem"
}

# scenario_pki NAME: the scenario's own CA (certs/NAME-root-ca.pem), so that
# recording it again leaves every other capture's CA as it is; leaf() and
# selfsigned() then work in $W/pki-NAME
scenario_pki() {
  PKI=$W/pki-$1
  rm -rf "$PKI"; mkdir -p "$PKI"
  make_ca "$PKI" "$1"
  cp "$PKI/root/ca.pem" "$W/out/certs/$1-root-ca.pem"
}

# leaf NAME CN SAN(dns list, comma sep) [server|client] [start_offset_days end_offset_days]
# -> $PKI/NAME.key, $PKI/NAME.pem (leaf), $PKI/NAME.chain.pem (leaf+intermediate)
leaf() {
  local name=$1 cn=$2 san=$3 kind=${4:-server} s=${5:--1} e=${6:-365}
  local now; now=$(date +%s)
  local ext=$PKI/$name.ext sanl="" d sans
  IFS=, read -ra sans <<<"$san"
  for d in "${sans[@]}"; do sanl+="${sanl:+,}DNS:$d"; done
  {
    echo "basicConstraints = critical,CA:FALSE"
    echo "keyUsage = critical,digitalSignature,keyEncipherment"
    if [[ $kind == client ]]; then echo "extendedKeyUsage = clientAuth"
    else echo "extendedKeyUsage = serverAuth,clientAuth"; fi
    echo "subjectAltName = $sanl"
    echo "subjectKeyIdentifier = hash"
    echo "authorityKeyIdentifier = keyid"
  } >"$ext"
  openssl req -new -newkey rsa:2048 -nodes -keyout "$PKI/$name.key" -out "$PKI/$name.csr" \
    -subj "/O=mxwitness test/CN=$cn" 2>>"$W/logs/pki.log"
  ca_sign "$PKI/inter" "$PKI/$name.csr" "$PKI/$name.pem" $((now + s * DAY)) $((now + e * DAY)) "$ext"
  cat "$PKI/$name.pem" "$PKI/inter/ca.pem" >"$PKI/$name.chain.pem"
  chmod 644 "$PKI/$name.key"
}

selfsigned() {  # NAME CN [O]
  openssl req -x509 -new -newkey rsa:2048 -nodes -sha256 -keyout "$PKI/$1.key" -out "$PKI/$1.pem" \
    -days 365 -subj "/O=${3:-mxwitness test appliance}/CN=$2" -addext "subjectAltName=DNS:$2" \
    -addext "basicConstraints=critical,CA:FALSE" -addext "extendedKeyUsage=serverAuth" 2>>"$W/logs/pki.log"
  cp "$PKI/$1.pem" "$PKI/$1.chain.pem"; chmod 644 "$PKI/$1.key"
}

fp()      { openssl x509 -in "$1" -noout -fingerprint -sha256 | sed 's/^.*=//; s/://g'; }
subj()    { openssl x509 -in "$1" -noout -subject -nameopt RFC2253 | sed 's/^subject=//'; }
issuer()  { openssl x509 -in "$1" -noout -issuer  -nameopt RFC2253 | sed 's/^issuer=//'; }
isodate() { date -u -d "$(openssl x509 -in "$1" -noout "-$2" | sed 's/^[^=]*=//')" +%Y-%m-%dT%H:%M:%SZ; }

# ================================================================= topology
# ns NAME: create namespace mxw-<pid>-NAME, lo up, no IPv6 DAD
ns() {
  local n=$RUN-$1
  ip netns add "$n"; NETNS+=("$n")
  ip -n "$n" link set lo up
  ip netns exec "$n" sh -c 'for k in all default; do
      echo 0 >/proc/sys/net/ipv6/conf/$k/accept_dad
      echo 0 >/proc/sys/net/ipv6/conf/$k/router_solicitations
      echo 0 >/proc/sys/net/ipv6/conf/$k/accept_ra; done'
}
# link NSA IFA MACA NSB IFB MACB
link() {
  ip link add "$2" address "$3" netns "$RUN-$1" type veth peer name "$5" address "$6" netns "$RUN-$4"
  ip -n "$RUN-$1" link set "$2" up
  ip -n "$RUN-$4" link set "$5" up
}
# p2p NS IF LOCAL4 LOCAL6 PEER4 PEER6: host addresses, on-link routes to the peer
p2p() {
  local n=$RUN-$1
  ip -n "$n" addr add "$3/32" dev "$2"
  ip -n "$n" -6 addr add "$4/128" dev "$2" nodad
  ip -n "$n" route add "$5/32" dev "$2"
  ip -n "$n" -6 route add "$6/128" dev "$2"
}

topo_direct() {      # sender <-> mta
  ns snd; ns mta
  link snd snd0 02:00:00:00:02:10 mta mta0 02:00:00:00:51:25
  p2p snd snd0 $SND4 $SND6 $MTA4 $MTA6
  p2p mta mta0 $MTA4 $MTA6 $SND4 $SND6
}
topo_appliance() {   # sender <-> appliance (proxy) <-> mta
  ns snd; ns prx; ns mta
  link snd snd0 02:00:00:00:02:10 prx prx0 02:00:00:01:13:25
  link prx prx1 02:00:00:00:51:02 mta mta0 02:00:00:00:51:25
  p2p snd snd0 $SND4 $SND6 $PRXO4 $PRXO6
  p2p prx prx0 $PRXO4 $PRXO6 $SND4 $SND6
  ip -n "$RUN-prx" addr add $PRXI4/24 dev prx1
  ip -n "$RUN-prx" -6 addr add $PRXI6/64 dev prx1 nodad
  ip -n "$RUN-mta" addr add $MTA4/24 dev mta0
  ip -n "$RUN-mta" -6 addr add $MTA6/64 dev mta0 nodad
}
topo_down() { scenario_cleanup; }

# ================================================================== postfix
# pf_setup INST NS HOSTNAME LISTEN_ADDRS(comma)  -> PFD=$W/pf-INST; then
# append scenario settings to $PFD/conf/main.cf and call pf_start.
PFD=
pf_setup() {
  PFD=$W/pf-$1
  mkdir -p "$PFD/conf" "$PFD/q" "$PFD/data"
  chown postfix:postfix "$PFD/data"
  cat >"$PFD/conf/main.cf" <<EOF
# postfix instance '$1' for pcaps/record.sh
compatibility_level = 3.6
queue_directory = $PFD/q
data_directory = $PFD/data
mail_owner = postfix
setgid_group = postdrop
myhostname = $3
mydomain = example.test
myorigin = \$myhostname
mydestination =
alias_maps =
alias_database =
local_recipient_maps =
inet_interfaces = $4
inet_protocols = all
mynetworks = 127.0.0.0/8, [::1]/128
relay_domains = example.test
relay_transport = discard:
default_transport = discard:
local_transport = discard:
smtpd_peername_lookup = no
smtp_dns_support_level = disabled
maillog_file = $PFD/maillog
maillog_file_prefixes = $W
smtpd_banner = \$myhostname ESMTP
biff = no
smtpd_tls_loglevel = 1
smtp_tls_loglevel = 1
EOF
  cat >"$PFD/conf/master.cf" <<'EOF'
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
  PF_INST_NS=$RUN-$2
}
pf_master() { echo "$*" >>"$PFD/conf/master.cf"; }
# pf_keylog FILE ROLE: the instance's TLS connections of ROLE (client: its
# smtp client; server: smtpd) write their NSS key log to FILE.  postfix has
# no key log option: pcaps/keylog-preload.c, an LD_PRELOAD library of ours,
# sets OpenSSL's key log callback on every SSL_CTX; postfix passes the
# variables to its daemons through import_environment (name=value).  The
# daemons run as the postfix user, which owns FILE.
preload_so() {    # build pcaps/keylog-preload.c once per run; print its path
  local so=$W/keylog-preload.so
  if [[ ! -f $so ]]; then
    cc -std=c11 -O2 -Wall -Wextra -shared -fPIC -o "$so" "$HERE/keylog-preload.c" -ldl \
      >>"$W/logs/keylog-preload.log" 2>&1 || die "cannot build keylog-preload.so (see keylog-preload.log)"
    chmod 755 "$so"
  fi
  echo "$so"
}
pf_keylog() {
  local so; so=$(preload_so)
  : >"$1"; chown postfix "$1"; chmod 644 "$1"
  pf_main "import_environment = $(postconf -dh import_environment) LD_PRELOAD=$so SSLKEYLOGFILE=$1 MXW_KEYLOG_ROLE=$2"
}
pf_main() {   # "key = value"...; a later setting replaces an earlier one
  local kv k
  for kv in "$@"; do
    k=${kv%%=*}; k=${k%% *}
    sed -i "/^$k = /d" "$PFD/conf/main.cf"
    printf '%s\n' "$kv" >>"$PFD/conf/main.cf"
  done
}
# TLS server settings: pf_tls CERT_CHAIN_FILE KEY_FILE [max12|any|tls10]
pf_tls() {
  pf_main "smtpd_tls_security_level = may" "smtpd_tls_cert_file = $1" "smtpd_tls_key_file = $2"
  # no anonymous (certificate-less) cipher suites: postfix' own smtp client
  # would otherwise pick ADH and the relay hop would carry no certificate
  pf_main "smtpd_tls_exclude_ciphers = aNULL"
  case ${3:-max12} in
    max12) pf_main "smtpd_tls_protocols = !SSLv2, !SSLv3, !TLSv1, !TLSv1.1, !TLSv1.3"
           pf_main "smtpd_tls_mandatory_protocols = !SSLv2, !SSLv3, !TLSv1, !TLSv1.1, !TLSv1.3" ;;
    any)   ;;
  esac
}
# pf_start PORT... : start the instance, wait until it listens on all ports
pf_start() {
  local ns=$PF_INST_NS port i
  ip netns exec "$ns" postfix -c "$PFD/conf" check >>"$W/logs/postfix.log" 2>&1 || true
  ip netns exec "$ns" postfix -c "$PFD/conf" start >>"$W/logs/postfix.log" 2>&1 \
    || { cat "$PFD/maillog" >&2 2>/dev/null; die "postfix $PFD did not start"; }
  PF_DIRS+=("$ns:$PFD")
  for port in "$@"; do
    for i in $(seq 50); do
      ip netns exec "$ns" ss -Hltn "sport = :$port" | grep -q LISTEN && break
      sleep 0.1
    done
    ip netns exec "$ns" ss -Hltn "sport = :$port" | grep -q LISTEN || die "postfix not listening on $port"
  done
}
pf_stop_all() {
  local entry ns d pid i
  for entry in "${PF_DIRS[@]}"; do
    ns=${entry%%:*}; d=${entry#*:}
    pid=$(tr -dc 0-9 <"$d/q/pid/master.pid" 2>/dev/null || true)
    ip netns exec "$ns" postfix -c "$d/conf" stop >>"$W/logs/postfix.log" 2>&1 || true
    if [[ -n $pid ]]; then
      for i in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
  done
  PF_DIRS=()
}
# wait_log FILE REGEX COUNT [TIMEOUT_S]
wait_log() {
  local i n=0
  for i in $(seq $((${4:-20} * 10))); do
    n=$(grep -cE "$2" "$1" 2>/dev/null || true)
    ((n >= $3)) && return 0
    sleep 0.1
  done
  log "timeout waiting for $3 x /$2/ in $1 (saw $n)"; return 1
}

# ================================================================== capture
declare -A CAP_PID
cap_start() {   # NAME NS IFACE
  local err=$W/logs/tcpdump-$1.err; : >"$err"
  ip netns exec "$RUN-$2" tcpdump -i "$3" -s 0 -U --immediate-mode -B 16384 -Z root -n \
    -w "$W/out/$1.pcap" tcp 2>"$err" &
  CAP_PID[$1]=$!; BG_PIDS+=($!)
  local i; for i in $(seq 50); do grep -q 'listening on' "$err" && return 0; sleep 0.1; done
  die "tcpdump for $1 did not start: $(cat "$err")"
}
cap_stop() {    # NAME
  local pid=${CAP_PID[$1]}
  sleep 0.5     # let FIN/ACKs of the last session pass
  kill -INT "$pid"; wait "$pid" || true
  unset "CAP_PID[$1]"
  # a capture with holes would not match its truth: have the scenario retried
  local err=$W/logs/tcpdump-$1.err drops
  drops=$(awk '/packets dropped by kernel/ {print $1}' "$err")
  [[ ${drops:-0} == 0 ]] || die "tcpdump for $1 dropped $drops packets (machine busy?)"
}

# ================================================================== senders
# swaks_run NS LOGNAME SERVER PORT [swaks args...]; returns swaks' exit code
swaks_run() {
  local ns=$RUN-$1 name=$2 logf=$W/logs/$2.swaks.log srv=$3 port=$4; shift 4
  ip netns exec "$ns" swaks --server "$srv" --port "$port" --from "$FROM" --to "$TO" \
    --helo "$HELO" --timeout 20 --header "Subject: mxwitness test $name" \
    --body "mxwitness test message for scenario $name" "$@" >"$logf" 2>&1
}
# sclient_smtp MODE NS LOGNAME CONNECT [s_client args...]: s_client -starttls
# smtp, then an SMTP transaction typed into the TLS session; MODE "mail" sends
# a message, "rcpt" stops after RCPT TO (for a rejected recipient) and quits.
sclient_smtp() {
  local mode=$1 ns=$RUN-$2 logf=$W/logs/$3.s_client.log conn=$4; shift 4
  { sleep 1.5
    printf 'EHLO %s\r\n' "$HELO"; sleep 0.3
    printf 'MAIL FROM:<%s>\r\n' "$FROM"; sleep 0.3
    printf 'RCPT TO:<%s>\r\n' "$TO"; sleep 0.3
    if [[ $mode == mail ]]; then
      printf 'DATA\r\n'; sleep 0.3
      printf 'Subject: mxwitness test %s\r\n\r\nmxwitness test message\r\n.\r\n' "$SC_TAG"; sleep 0.3
    fi
    printf 'QUIT\r\n'; sleep 1
  } | timeout 30 ip netns exec "$ns" openssl s_client -connect "$conn" -starttls smtp \
        -name "$HELO" -ign_eof "$@" >"$logf" 2>&1
}

# ==================================================================== truth
# Standard keys, in order. Every session line carries all of them.
TKEYS=(server port client count starttls_offered starttls_used implicit_tls starttls_reply
  tls_version sni cert_sha256 cert_subject cert_issuer chain_len client_cert_sha256
  client_cert_subject alert reply cert_visible cipher mx_name cert_not_before cert_not_after
  client_chain_len keylog expect findings hrr)
# expect and findings: what mxwitness must conclude, from the scenario's own
# definition: judged with --ca-file certs/test-root-ca.pem and, when expect is
# not '-', --expect EXPECT (paths relative to pcaps/); findings is the sorted
# set of finding codes of that session ('-': none).
declare -A T
truth_reset() {
  T=()
  local k; for k in "${TKEYS[@]}"; do T[$k]=-; done
  T[port]=25; T[client]=$SND4; T[count]=1; T[implicit_tls]=no; T[mx_name]=$MX_NAME
  T[cert_visible]=-; T[expect]=-; T[findings]=-; T[hrr]=-
}
# truth_cert PEM CHAIN_LEN: fill the server-certificate fields from a file
truth_cert() {
  T[cert_sha256]=$(fp "$1"); T[cert_subject]=$(subj "$1"); T[cert_issuer]=$(issuer "$1")
  T[cert_not_before]=$(isodate "$1" startdate); T[cert_not_after]=$(isodate "$1" enddate)
  T[chain_len]=$2
}
truth_client_cert() {
  T[client_cert_sha256]=$(fp "$1"); T[client_cert_subject]=$(subj "$1"); T[client_chain_len]=$2
}
# starttls TLS12 session defaults
truth_tls() {   # VERSION
  T[starttls_offered]=yes; T[starttls_used]=yes; T[starttls_reply]=220; T[tls_version]=$1; T[hrr]=no
  if [[ $1 == 1.3 ]]; then T[cert_visible]=no; else T[cert_visible]=yes; fi
}
truth_header() {  # NAME DESCRIPTION...
  local f=$W/out/$1.truth; shift
  {
    echo "# truth for $(basename "$f" .truth).pcap, written by pcaps/record.sh from the certificates it generated"
    echo "# and from the scenario definition (never from an analysis of the capture)."
    local l; for l in "$@"; do echo "# $l"; done
    echo "# recorded $(date -u +%Y-%m-%dT%H:%M:%SZ) with postfix $(postconf -dh mail_version), $(openssl version | cut -d' ' -f1-2), swaks $(swaks --version 2>/dev/null | awk '/version/{print $3; exit}')"
  } >"$f"
}
truth_line() {    # NAME
  local line=session k v
  for k in "${TKEYS[@]}"; do
    v=${T[$k]}; [[ $v != *$'\t'* ]] || die "tab in truth value $k"
    line+=$'\t'"$k=$v"
  done
  echo "$line" >>"$W/out/$1.truth"
}
export_cert() {   # PEM NAME
  cp "$1" "$W/out/certs/$2.pem"
}

# ================================================================ scenarios
SC_TAG=
sc_clean-tls12() {
  local n=clean-tls12
  leaf $n $MX_NAME $MX_NAME
  topo_direct
  pf_setup mta mta $MX_NAME "$MTA4, $MTA6"; pf_master "smtp inet n - n - - smtpd"
  pf_tls "$PKI/$n.chain.pem" "$PKI/$n.key" max12; pf_start 25
  cap_start $n mta mta0
  swaks_run snd $n $MTA4 25 --tls --tls-sni $MX_NAME || die "$n: swaks failed"
  wait_log "$PFD/maillog" 'smtpd.*disconnect from' 1
  cap_stop $n; pf_stop_all; topo_down
  truth_header $n "STARTTLS on port 25, TLS 1.2 (server capped at 1.2), leaf $MX_NAME signed by the" \
    "test intermediate, server sends leaf+intermediate. Sender: swaks --tls (no verification)."
  truth_reset; truth_tls 1.2; T[server]=$MTA4; T[sni]=$MX_NAME; truth_cert "$PKI/$n.pem" 2
  truth_line $n; export_cert "$PKI/$n.pem" $n
}

sc_appliance-outside() {
  local o=appliance-outside i=appliance-inside
  leaf $i $MX_NAME $MX_NAME
  selfsigned $o barracuda.local
  topo_appliance
  # inner MTA with the real certificate
  pf_setup mta mta $MX_NAME "$MTA4, $MTA6"; pf_master "smtp inet n - n - - smtpd"
  pf_tls "$PKI/$i.chain.pem" "$PKI/$i.key" max12; pf_start 25
  local mtalog=$PFD/maillog
  # the appliance: a second postfix, own self-signed cert, relays to the MTA over TLS
  pf_setup prx prx barracuda.local "$PRXO4, $PRXO6"; pf_master "smtp inet n - n - - smtpd"
  pf_tls "$PKI/$o.pem" "$PKI/$o.key" max12
  pf_main "relay_transport = smtp:[$MTA4]:25" "smtp_bind_address = $PRXI4" "smtp_bind_address6 = $PRXI6" \
    "smtp_tls_security_level = may" "smtp_tls_servername = $MX_NAME" \
    "smtp_connection_cache_on_demand = no" "smtp_tls_session_cache_database ="
  pf_start 25
  local prxlog=$PFD/maillog
  cap_start $o prx prx0
  cap_start $i mta mta0
  swaks_run snd $o $PRXO4 25 --tls --tls-sni $MX_NAME || die "$o: swaks failed"
  wait_log "$prxlog" 'smtp\[.*status=sent' 1 30
  wait_log "$mtalog" 'smtpd.*disconnect from' 1
  wait_log "$prxlog" 'smtpd.*disconnect from' 1
  cap_stop $o; cap_stop $i; pf_stop_all; topo_down
  truth_header $o "Appliance case, outside link (sender <-> appliance). The appliance is a postfix that" \
    "terminates STARTTLS with its own self-signed certificate (CN=barracuda.local) and relays to the" \
    "real MTA (see appliance-inside.pcap, same run). Sender: swaks --tls, SNI $MX_NAME, no verification."
  truth_reset; truth_tls 1.2; T[server]=$PRXO4; T[sni]=$MX_NAME; truth_cert "$PKI/$o.pem" 1
  # the sender expects the real certificate; it got the appliance's, self-signed, for another name
  T[expect]=$MX_NAME=pem:certs/$i.pem; T[findings]=CERT_MISMATCH,NAME_MISMATCH,SELF_SIGNED
  truth_line $o; export_cert "$PKI/$o.pem" $o
  truth_header $i "Appliance case, inside link (appliance $PRXI4 relaying to the real MTA), same run as" \
    "appliance-outside.pcap. Real certificate $MX_NAME, leaf+intermediate. Client is postfix smtp" \
    "(smtp_tls_security_level=may, smtp_tls_servername=$MX_NAME)."
  truth_reset; truth_tls 1.2; T[server]=$MTA4; T[client]=$PRXI4; T[sni]=$MX_NAME
  T[expect]=$MX_NAME=pem:certs/$i.pem
  truth_cert "$PKI/$i.pem" 2; truth_line $i; export_cert "$PKI/$i.pem" $i
}

sc_implicit-465() {
  local n=implicit-465
  leaf $n $MX_NAME $MX_NAME
  topo_direct
  pf_setup mta mta $MX_NAME "$MTA4, $MTA6"
  pf_master "465 inet n - n - - smtpd -o smtpd_tls_wrappermode=yes -o smtpd_tls_security_level=encrypt"
  pf_tls "$PKI/$n.chain.pem" "$PKI/$n.key" max12; pf_start 465
  cap_start $n mta mta0
  swaks_run snd $n $MTA4 465 --tls-on-connect --tls-sni $MX_NAME || die "$n: swaks failed"
  wait_log "$PFD/maillog" 'smtpd.*disconnect from' 1
  cap_stop $n; pf_stop_all; topo_down
  truth_header $n "Implicit TLS on port 465 (postfix smtpd_tls_wrappermode=yes), TLS 1.2, leaf+intermediate." \
    "Sender: swaks --tls-on-connect. starttls_* are '-': no cleartext SMTP on this connection."
  truth_reset; truth_tls 1.2; T[port]=465; T[implicit_tls]=yes; T[starttls_offered]=-
  T[starttls_used]=no; T[starttls_reply]=-; T[server]=$MTA4; T[sni]=$MX_NAME
  truth_cert "$PKI/$n.pem" 2; truth_line $n; export_cert "$PKI/$n.pem" $n
}

sc_starttls-tls13() {
  local n=starttls-tls13
  leaf $n $MX_NAME $MX_NAME
  topo_direct
  pf_setup mta mta $MX_NAME "$MTA4, $MTA6"; pf_master "smtp inet n - n - - smtpd"
  pf_tls "$PKI/$n.chain.pem" "$PKI/$n.key" any; pf_start 25
  cap_start $n mta mta0
  sclient_smtp mail snd $n $MTA4:25 -tls1_3 -servername $MX_NAME -keylogfile "$W/out/$n.keylog" \
    || die "$n: s_client failed"
  wait_log "$PFD/maillog" 'smtpd.*disconnect from' 1
  cap_stop $n; pf_stop_all; topo_down
  grep -q 'Protocol *: TLSv1.3\|TLSv1.3' "$W/logs/$n.s_client.log" || die "$n: s_client did not negotiate TLS 1.3"
  truth_header $n "STARTTLS, TLS 1.3 (openssl s_client -starttls smtp -tls1_3 -keylogfile), leaf+intermediate." \
    "The certificate is encrypted on the wire (cert_visible=no); $n.keylog (NSS key log) decrypts it."
  truth_reset; truth_tls 1.3; T[server]=$MTA4; T[sni]=$MX_NAME; T[keylog]=$n.keylog
  T[findings]=CERT_HIDDEN
  truth_cert "$PKI/$n.pem" 2; truth_line $n; export_cert "$PKI/$n.pem" $n
}

sc_mutual-tls() {
  local n=mutual-tls c=mutual-tls-client
  leaf $n $MX_NAME $MX_NAME
  leaf $c $HELO $HELO client
  cat "$PKI/root/ca.pem" "$PKI/inter/ca.pem" >"$PKI/$n.cafile"
  topo_direct
  pf_setup mta mta $MX_NAME "$MTA4, $MTA6"; pf_master "smtp inet n - n - - smtpd"
  pf_tls "$PKI/$n.chain.pem" "$PKI/$n.key" max12
  pf_main "smtpd_tls_ask_ccert = yes" "smtpd_tls_CAfile = $PKI/$n.cafile"
  pf_start 25
  cap_start $n mta mta0
  swaks_run snd $n $MTA4 25 --tls --tls-sni $MX_NAME --tls-cert "$PKI/$c.pem" --tls-key "$PKI/$c.key" \
    || die "$n: swaks failed"
  wait_log "$PFD/maillog" 'smtpd.*disconnect from' 1
  cap_stop $n; pf_stop_all; topo_down
  truth_header $n "STARTTLS, TLS 1.2, server asks for a client certificate (smtpd_tls_ask_ccert=yes);" \
    "sender swaks --tls-cert presents CN=$HELO (leaf only) issued by the test intermediate."
  truth_reset; truth_tls 1.2; T[server]=$MTA4; T[sni]=$MX_NAME
  truth_cert "$PKI/$n.pem" 2; truth_client_cert "$PKI/$c.pem" 1
  truth_line $n; export_cert "$PKI/$n.pem" $n; export_cert "$PKI/$c.pem" $c
}

sc_starttls-not-offered() {
  local n=starttls-not-offered
  topo_direct
  pf_setup mta mta $MX_NAME "$MTA4, $MTA6"; pf_master "smtp inet n - n - - smtpd"
  pf_main "smtpd_tls_security_level = none"; pf_start 25
  cap_start $n mta mta0
  swaks_run snd $n $MTA4 25 --tls-optional-strict || die "$n: swaks failed"
  wait_log "$PFD/maillog" 'smtpd.*disconnect from' 1
  cap_stop $n; pf_stop_all; topo_down
  truth_header $n "Server has TLS off (smtpd_tls_security_level=none): no STARTTLS in the EHLO reply;" \
    "sender (swaks --tls-optional-strict) delivers the mail in clear."
  truth_reset; T[server]=$MTA4; T[starttls_offered]=no; T[starttls_used]=no; T[mx_name]=$MX_NAME
  T[findings]=MAIL_IN_CLEAR,STARTTLS_NOT_OFFERED
  truth_line $n
}

sc_starttls-refused() {
  local n=starttls-refused
  leaf $n $MX_NAME $MX_NAME
  leaf $n-other $MX_NAME $MX_NAME
  topo_direct
  pf_setup mta mta $MX_NAME "$MTA4, $MTA6"; pf_master "smtp inet n - n - - smtpd"
  # genuine local problem: the private key does not belong to the certificate,
  # smtpd disables TLS but still advertises STARTTLS and answers it with 454.
  pf_tls "$PKI/$n.chain.pem" "$PKI/$n-other.key" max12; pf_start 25
  cap_start $n mta mta0
  swaks_run snd $n $MTA4 25 --tls-optional --tls-sni $MX_NAME || true
  wait_log "$PFD/maillog" 'smtpd.*disconnect from' 1
  cap_stop $n; pf_stop_all; topo_down
  grep -q '454 4.7.0 TLS not available due to local problem' "$W/logs/$n.swaks.log" \
    || die "$n: server did not answer STARTTLS with 454 (see $n.swaks.log)"
  truth_header $n "Server advertises STARTTLS but answers it with '454 4.7.0 TLS not available due to local" \
    "problem' (postfix whose key does not match its certificate); sender (swaks --tls-optional)" \
    "continues in clear."
  truth_reset; T[server]=$MTA4; T[starttls_offered]=yes; T[starttls_used]=yes; T[starttls_reply]=454
  T[findings]=MAIL_IN_CLEAR,STARTTLS_REFUSED
  truth_line $n
}

sc_many-sessions() {
  local n=many-sessions i pids=() fails=0
  leaf $n $MX_NAME $MX_NAME
  topo_direct
  pf_setup mta mta $MX_NAME "$MTA4, $MTA6"; pf_master "smtp inet n - n - - smtpd"
  pf_tls "$PKI/$n.chain.pem" "$PKI/$n.key" max12; pf_start 25
  cap_start $n mta mta0
  for i in $(seq 1 20); do
    swaks_run snd $n-v4-$i $MTA4 25 --tls --tls-sni $MX_NAME & pids+=($!); BG_PIDS+=($!)
    swaks_run snd $n-v6-$i $MTA6 25 -6 --tls --tls-sni $MX_NAME & pids+=($!); BG_PIDS+=($!)
  done
  for i in "${pids[@]}"; do wait "$i" || fails=$((fails + 1)); done
  ((fails == 0)) || die "$n: $fails swaks sessions failed"
  wait_log "$PFD/maillog" 'smtpd.*disconnect from' 40 30
  cap_stop $n; pf_stop_all; topo_down
  truth_header $n "40 concurrent STARTTLS/TLS 1.2 sessions to one MTA: 20 over IPv4, 20 over IPv6 (swaks --tls)."
  truth_reset; truth_tls 1.2; T[sni]=$MX_NAME; T[count]=20; truth_cert "$PKI/$n.pem" 2
  T[server]=$MTA4; T[client]=$SND4; truth_line $n
  T[server]=$MTA6; T[client]=$SND6; truth_line $n
  export_cert "$PKI/$n.pem" $n
}

# simple TLS 1.2 STARTTLS scenario with a given certificate setup, used by 8-11;
# SC_FINDINGS holds the finding codes the scenario is built to produce
tls12_simple() {  # NAME HOSTNAME CHAINFILE KEYFILE CHAIN_LEN DESCRIPTION...
  local n=$1 host=$2 chain=$3 key=$4 clen=$5; shift 5
  topo_direct
  pf_setup mta mta "$host" "$MTA4, $MTA6"; pf_master "smtp inet n - n - - smtpd"
  pf_tls "$chain" "$key" max12; pf_start 25
  cap_start $n mta mta0
  swaks_run snd $n $MTA4 25 --tls --tls-sni "$host" || die "$n: swaks failed"
  wait_log "$PFD/maillog" 'smtpd.*disconnect from' 1
  cap_stop $n; pf_stop_all; topo_down
  truth_header $n "$@"
  truth_reset; truth_tls 1.2; T[server]=$MTA4; T[sni]=$host; T[mx_name]=$host
  T[findings]=$SC_FINDINGS
  truth_cert "$PKI/$n.pem" "$clen"; truth_line $n; export_cert "$PKI/$n.pem" $n
}

sc_expired-cert() {
  local n=expired-cert SC_FINDINGS=EXPIRED
  leaf $n $MX_NAME $MX_NAME server -730 -365
  tls12_simple $n $MX_NAME "$PKI/$n.chain.pem" "$PKI/$n.key" 2 \
    "STARTTLS, TLS 1.2; leaf $MX_NAME (chain complete) expired: valid from 730 to 365 days before the" \
    "recording. Sender does not verify, mail flows."
}
sc_wrong-hostname() {
  local n=wrong-hostname SC_FINDINGS=NAME_MISMATCH
  leaf $n other.example.test other.example.test
  tls12_simple $n $MX_NAME "$PKI/$n.chain.pem" "$PKI/$n.key" 2 \
    "STARTTLS, TLS 1.2; the MTA is $MX_NAME (banner, SNI) but presents a certificate for" \
    "other.example.test (valid chain). mx_name is the name the sender meant to reach."
}
sc_wildcard-mismatch() {
  local n=wildcard-mismatch SC_FINDINGS=NAME_MISMATCH
  leaf $n '*.example.test' '*.example.test'
  tls12_simple $n a.b.example.test "$PKI/$n.chain.pem" "$PKI/$n.key" 2 \
    "STARTTLS, TLS 1.2; host a.b.example.test (banner, SNI) presents *.example.test, which does not" \
    "cover it (a wildcard matches one label only). Valid chain."
}
sc_missing-intermediate() {
  local n=missing-intermediate SC_FINDINGS=UNTRUSTED_CHAIN
  leaf $n $MX_NAME $MX_NAME
  tls12_simple $n $MX_NAME "$PKI/$n.pem" "$PKI/$n.key" 1 \
    "STARTTLS, TLS 1.2; leaf $MX_NAME issued by the test intermediate, but the server sends the leaf" \
    "only (chain_len=1): a verifier holding only the root cannot build the chain."
}

sc_tls10-weak-cipher() {
  local n=tls10-weak-cipher
  leaf $n $MX_NAME $MX_NAME
  topo_direct
  pf_setup mta mta $MX_NAME "$MTA4, $MTA6"; pf_master "smtp inet n - n - - smtpd"
  pf_tls "$PKI/$n.chain.pem" "$PKI/$n.key" any
  # a legacy server: everything allowed (OpenSSL 3 needs security level 0 for TLS 1.0)
  pf_main "smtpd_tls_protocols = !SSLv2, !SSLv3" "smtpd_tls_mandatory_protocols = !SSLv2, !SSLv3" \
    "tls_medium_cipherlist = ALL:@SECLEVEL=0" "smtpd_tls_ciphers = medium"
  pf_start 25
  cap_start $n mta mta0
  swaks_run snd $n $MTA4 25 --tls --tls-sni $MX_NAME --tls-protocol tlsv1 \
    --tls-cipher 'AES128-SHA:@SECLEVEL=0' || die "$n: swaks failed"
  wait_log "$PFD/maillog" 'smtpd.*disconnect from' 1
  grep -q 'TLSv1 with cipher AES128-SHA ' "$PFD/maillog" || die "$n: postfix did not log TLSv1 with AES128-SHA"
  cap_stop $n; pf_stop_all; topo_down
  truth_header $n "STARTTLS, TLS 1.0 with TLS_RSA_WITH_AES_128_CBC_SHA (swaks --tls-protocol tlsv1" \
    "--tls-cipher AES128-SHA:@SECLEVEL=0; postfix allowing everything at SECLEVEL=0): static RSA key" \
    "exchange, CBC, SHA-1 MAC. (Debian's OpenSSL 3 has no 3DES or RC4 suites at all.) Leaf+intermediate."
  truth_reset; truth_tls 1.0; T[server]=$MTA4; T[sni]=$MX_NAME; T[cipher]=TLS_RSA_WITH_AES_128_CBC_SHA
  T[findings]=WEAK_CIPHER,WEAK_PROTOCOL
  truth_cert "$PKI/$n.pem" 2; truth_line $n; export_cert "$PKI/$n.pem" $n
}

sc_client-alert() {
  local n=client-alert
  leaf $n $MX_NAME $MX_NAME
  topo_direct
  pf_setup mta mta $MX_NAME "$MTA4, $MTA6"; pf_master "smtp inet n - n - - smtpd"
  pf_tls "$PKI/$n.chain.pem" "$PKI/$n.key" max12; pf_start 25
  cap_start $n mta mta0
  timeout 30 ip netns exec "$RUN-snd" openssl s_client -connect $MTA4:25 -starttls smtp -name "$HELO" \
    -servername $MX_NAME -verify_return_error -CAfile "$PKI/other/ca.pem" </dev/null \
    >"$W/logs/$n.s_client.log" 2>&1 && die "$n: s_client unexpectedly succeeded"
  wait_log "$PFD/maillog" 'smtpd.*disconnect from' 1
  cap_stop $n; pf_stop_all; topo_down
  grep -q 'unable to get local issuer certificate' "$W/logs/$n.s_client.log" \
    || die "$n: s_client did not fail verification as expected"
  truth_header $n "STARTTLS, TLS 1.2; the sender verifies (openssl s_client -verify_return_error) against a" \
    "CA file holding only an unrelated root, and aborts with a fatal unknown_ca alert right after the" \
    "server's Certificate. No mail is sent."
  truth_reset; truth_tls 1.2; T[server]=$MTA4; T[sni]=$MX_NAME; T[alert]=client:fatal:unknown_ca
  T[findings]=TLS_ALERT
  truth_cert "$PKI/$n.pem" 2; truth_line $n; export_cert "$PKI/$n.pem" $n
  cp "$PKI/other/ca.pem" "$W/out/certs/client-alert-sender-trust.pem"
}

sc_reply-4-7-320() {
  local n=reply-4-7-320
  leaf $n $MX_NAME $MX_NAME
  topo_direct
  pf_setup mta mta $MX_NAME "$MTA4, $MTA6"; pf_master "smtp inet n - n - - smtpd"
  pf_tls "$PKI/$n.chain.pem" "$PKI/$n.key" max12
  printf '%s 450 4.7.320 Certificate validation failed\n' "$TO" >"$PFD/conf/rcpt_access"
  pf_main "smtpd_recipient_restrictions = check_recipient_access texthash:$PFD/conf/rcpt_access, reject_unauth_destination"
  pf_start 25
  cap_start $n mta mta0
  # 1: STARTTLS/TLS 1.2 from s_client with a key log: the 450 is inside TLS
  sclient_smtp rcpt snd $n $MTA4:25 -tls1_2 -servername $MX_NAME -keylogfile "$W/out/$n.keylog" \
    || die "$n: s_client failed"
  wait_log "$PFD/maillog" 'smtpd.*disconnect from' 1
  # 2: the same server, sender without TLS: the 450 is in clear
  swaks_run snd $n-plain $MTA4 25 && die "$n: plaintext swaks was not rejected"
  wait_log "$PFD/maillog" 'smtpd.*disconnect from' 2
  cap_stop $n; pf_stop_all; topo_down
  grep -q '450 4.7.320' "$W/logs/$n.s_client.log" || die "$n: no 450 4.7.320 in the TLS session"
  grep -q '450 4.7.320' "$W/logs/$n-plain.swaks.log" || die "$n: no 450 4.7.320 in the plain session"
  truth_header $n "postfix rejects RCPT with '450 4.7.320 ... Certificate validation failed'" \
    "(check_recipient_access). Two sessions, in this order: (1) STARTTLS TLS 1.2 by openssl s_client," \
    "the 450 is encrypted; $n.keylog decrypts it; (2) same server, sender without STARTTLS, the 450 in clear."
  truth_reset; truth_tls 1.2; T[server]=$MTA4; T[sni]=$MX_NAME; T[reply]='450 4.7.320'; T[keylog]=$n.keylog
  truth_cert "$PKI/$n.pem" 2; truth_line $n
  truth_reset; T[server]=$MTA4; T[starttls_offered]=yes; T[starttls_used]=no; T[reply]='450 4.7.320'
  T[findings]=MAIL_IN_CLEAR,SMTP_TLS_ERROR
  truth_line $n
  export_cert "$PKI/$n.pem" $n
}

# ============================================= several capture points (hops)
# The scenarios below are recorded at two or three points of one path.  Each
# has its own CA (certs/<scenario>-root-ca.pem).  Their truth files carry,
# besides the session lines:
#   capture  point=P position=N path=P1,P2,.. scenario=S ca=certs/S-root-ca.pem
#   hops     delivery=N sessions=P ADDR PORT,... <what changed, by hop>
# one hops line per delivery (the same lines in each capture of the
# scenario), naming the client address and port of the delivery's session
# at each point, as the software logged them (postfix with
# smtpd_client_port_logging, haproxy's log, the proxy's log, swaks
# --local-port), and the hops' conclusions from the scenario definition.
NATO4=192.0.2.25          # the NAT router, sender side: the public MX address
NATI4=203.0.113.1         # the NAT router, appliance side (masquerade source)
MTB4=198.51.100.26        # the balancer's second backend
LB4=203.0.113.80          # the balancer's address

# truth_capture NAME SCENARIO POINT POSITION PATH
truth_capture() {
  printf 'capture\tpoint=%s\tposition=%s\tpath=%s\tscenario=%s\tca=certs/%s-root-ca.pem\n' \
    "$3" "$4" "$5" "$2" "$2" >>"$W/out/$1.truth"
}
# hops_line DELIVERY SESSIONS CERT TERM STRIP BANNER FINDINGS: one delivery's
# line in $W/hops.truth, copied into each capture's truth by truth_hops
hops_line() {
  printf 'hops\tdelivery=%s\tsessions=%s\tcertificate_changed_between=%s\tterminator_changed_between=%s\tstarttls_stripped_between=%s\tbanner_changed_between=%s\tfindings=%s\n' \
    "$@" >>"$W/hops.truth"
}
truth_hops() {   # NAME...
  local n; for n in "$@"; do cat "$W/hops.truth" >>"$W/out/$n.truth"; done
}

# pf_chain OUTER_LOG INNER_LOG: for each message a postfix relay accepted
# (in the order it logged them), the client's address and port at the relay
# and the relay's own client address and port at the next MTA, followed
# through the queue ids ("client=" lines and "queued as" in the relay's
# delivery status).  Needs smtpd_client_port_logging = yes on both.
pf_chain() {
  perl -e '
    my ($o, $i) = @ARGV; my (@order, %cl, %next, %icl);
    open(my $f, "<", $o) or die "$o: $!";
    while (<$f>) {
      if (/smtpd\[\d+\]: (\w+): client=[^\[]*\[([^\]]+)\]:(\d+)/) { push @order, $1; $cl{$1} = "$2 $3"; }
      if (/smtp\[\d+\]: (\w+): to=.*status=sent .*queued as (\w+)/) { $next{$1} = $2; }
    }
    close $f; open($f, "<", $i) or die "$i: $!";
    while (<$f>) { $icl{$1} = "$2 $3" if /smtpd\[\d+\]: (\w+): client=[^\[]*\[([^\]]+)\]:(\d+)/; }
    for my $q (@order) {
      my $n = $next{$q} // die "queue id $q was not relayed\n";
      my $c = $icl{$n} // die "queue id $n ($q) not received inside\n";
      print "$cl{$q} $c\n";
    }' "$1" "$2"
}

# appliance_up PREFIX TLSMODE [BANNER [MTA_PORT]]: the real MTA (mail.example.test,
# leaf+intermediate of the scenario's CA, certs/PREFIX-inside.pem), with a
# second smtpd listener on MTA_PORT when given, and the appliance (postfix,
# self-signed CN=barracuda.local, certs/PREFIX-outside.pem; its smtpd_banner
# BANNER when given) relaying to it over STARTTLS.  Sets MTALOG and PRXLOG.
# With PRX_KEYLOG set, the appliance's smtp client (its outbound leg) writes
# the NSS key log of its connections there (pf_keylog).
MTALOG= PRXLOG= PRX_KEYLOG=
appliance_up() {
  local pre=$1 mode=$2 banner=${3:-} port=${4:-}
  leaf "$pre-inside" $MX_NAME $MX_NAME
  selfsigned "$pre-outside" barracuda.local
  pf_setup mta mta $MX_NAME "$MTA4, $MTA6"; pf_master "smtp inet n - n - - smtpd"
  [[ -z $port ]] || pf_master "$port inet n - n - - smtpd"
  pf_tls "$PKI/$pre-inside.chain.pem" "$PKI/$pre-inside.key" "$mode"
  pf_main "smtpd_client_port_logging = yes"; pf_start 25 $port
  MTALOG=$PFD/maillog
  pf_setup prx prx barracuda.local "$PRXO4, $PRXO6"; pf_master "smtp inet n - n - - smtpd"
  pf_tls "$PKI/$pre-outside.pem" "$PKI/$pre-outside.key" "$mode"
  pf_main "relay_transport = smtp:[$MTA4]:25" "smtp_bind_address = $PRXI4" "smtp_bind_address6 = $PRXI6" \
    "smtp_tls_security_level = may" "smtp_tls_servername = $MX_NAME" \
    "smtp_connection_cache_on_demand = no" "smtp_tls_session_cache_database =" \
    "smtpd_client_port_logging = yes"
  [[ -z $banner ]] || pf_main "smtpd_banner = $banner"
  [[ -z $PRX_KEYLOG ]] || pf_keylog "$PRX_KEYLOG" client
  pf_start 25
  PRXLOG=$PFD/maillog
  export_cert "$PKI/$pre-inside.pem" "$pre-inside"
  export_cert "$PKI/$pre-outside.pem" "$pre-outside"
}
# the truth of an appliance pair's session lines: outside (the appliance's
# certificate) and inside (the real one)
appliance_truth() {   # PREFIX VERSION OUTSIDE_CAPTURE INSIDE_CAPTURE OUT_FINDINGS OUT_CLIENT OUT_KEYLOG IN_KEYLOG
  local pre=$1 v=$2 o=$3 i=$4
  truth_reset; truth_tls "$v"; T[server]=$PRXO4; T[client]=$6; T[sni]=$MX_NAME
  truth_cert "$PKI/$pre-outside.pem" 1
  T[expect]=$MX_NAME=pem:certs/$pre-inside.pem; T[findings]=$5; T[keylog]=${7:--}
  truth_line "$o"
  truth_reset; truth_tls "$v"; T[server]=$MTA4; T[client]=$PRXI4; T[sni]=$MX_NAME
  truth_cert "$PKI/$pre-inside.pem" 2
  T[expect]=$MX_NAME=pem:certs/$pre-inside.pem; T[keylog]=${8:--}
  [[ $v == 1.3 ]] && T[findings]=CERT_HIDDEN
  truth_line "$i"
}

sc_appliance-tls13() {
  local s=appliance-tls13 o=appliance-tls13-outside i=appliance-tls13-inside
  scenario_pki $s
  topo_appliance
  local PRX_KEYLOG=$W/out/$i.keylog
  appliance_up $s any
  cap_start $o prx prx0
  cap_start $i mta mta0
  sclient_smtp mail snd $o $PRXO4:25 -tls1_3 -servername $MX_NAME -keylogfile "$W/out/$o.keylog" \
    || die "$o: s_client failed"
  wait_log "$PRXLOG" 'smtp\[.*status=sent' 1 30
  wait_log "$MTALOG" 'smtpd.*disconnect from' 1
  wait_log "$PRXLOG" 'smtpd.*disconnect from' 1
  cap_stop $o; cap_stop $i
  grep -q 'TLSv1.3' "$W/logs/$o.s_client.log" || die "$s: s_client did not negotiate TLS 1.3"
  grep -q 'TLS connection established to.*TLSv1.3' "$PRXLOG" || die "$s: the relay hop is not TLS 1.3"
  grep -q '^CLIENT_HANDSHAKE_TRAFFIC_SECRET ' "$W/out/$i.keylog" \
    || die "$s: the relay's smtp client wrote no key log ($W/out/$i.keylog)"
  [[ $(grep -c '^SERVER_HANDSHAKE_TRAFFIC_SECRET ' "$W/out/$i.keylog") == 1 ]] \
    || die "$s: the relay's key log is not of one connection"
  local chain; chain=$(pf_chain "$PRXLOG" "$MTALOG") || die "$s: $chain"
  pf_stop_all; topo_down
  read -r oc op ic ip <<<"$chain"
  : >"$W/hops.truth"
  hops_line 1 "outside $oc $op,inside $ic $ip" - outside,inside - outside,inside TLS_TERMINATOR_CHANGED
  truth_header $o "Appliance case in TLS 1.3, outside link: openssl s_client -starttls smtp -tls1_3 to the" \
    "appliance (postfix, self-signed CN=barracuda.local, chain of 1), which relays to the real MTA over" \
    "STARTTLS/TLS 1.3 (see $i.pcap, same run). Both certificates are encrypted; nothing but the" \
    "size of the server's encrypted flight and its ServerHello tells the two terminators apart." \
    "$o.keylog (s_client -keylogfile) decrypts the outside session."
  truth_header $i "Appliance case in TLS 1.3, inside link: the appliance's postfix smtp client ($PRXI4," \
    "smtp_tls_servername=$MX_NAME) to the real MTA (leaf+intermediate of the scenario's CA), same run" \
    "as $o.pcap. $i.keylog is the key log of the appliance's smtp client: postfix has none of its own," \
    "so pcaps/keylog-preload.c (LD_PRELOAD, given to postfix's daemons by import_environment) sets" \
    "OpenSSL's key log callback on its SSL_CTX."
  truth_capture $o $s outside 1 outside,inside
  truth_capture $i $s inside 2 outside,inside
  # without its key log, the outside session is judged against the inside's
  # pem: the appliance's encrypted flight (one self-signed certificate) is
  # shorter than any flight carrying the real leaf and its intermediate
  appliance_truth $s 1.3 $o $i CERT_HIDDEN,TLS_TERMINATOR_CHANGED "$SND4" $o.keylog $i.keylog
  truth_hops $o $i
}

topo_nat() {         # sender <-> NAT router <-> appliance <-> mta (IPv4)
  ns snd; ns nat; ns prx; ns mta
  link snd snd0 02:00:00:00:02:10 nat nat0 02:00:00:00:02:25
  link nat nat1 02:00:00:01:13:01 prx prx0 02:00:00:01:13:25
  link prx prx1 02:00:00:00:51:02 mta mta0 02:00:00:00:51:25
  ip -n "$RUN-snd" addr add $SND4/32 dev snd0; ip -n "$RUN-snd" route add $NATO4/32 dev snd0
  ip -n "$RUN-nat" addr add $NATO4/32 dev nat0; ip -n "$RUN-nat" route add $SND4/32 dev nat0
  ip -n "$RUN-nat" addr add $NATI4/32 dev nat1; ip -n "$RUN-nat" route add $PRXO4/32 dev nat1
  ip -n "$RUN-prx" addr add $PRXO4/32 dev prx0; ip -n "$RUN-prx" route add $NATI4/32 dev prx0
  ip -n "$RUN-prx" -6 addr add $PRXO6/128 dev prx0 nodad
  ip -n "$RUN-prx" addr add $PRXI4/24 dev prx1
  ip -n "$RUN-prx" -6 addr add $PRXI6/64 dev prx1 nodad
  ip -n "$RUN-mta" addr add $MTA4/24 dev mta0
  ip -n "$RUN-mta" -6 addr add $MTA6/64 dev mta0 nodad
  ip netns exec "$RUN-nat" sysctl -qw net.ipv4.ip_forward=1
  # the router publishes the appliance as NATO4:25 (dnat) and hides the
  # senders behind its own address and other ports (masquerade, random ports)
  ip netns exec "$RUN-nat" nft -f - <<NFT
table ip mxw_nat {
  chain pre { type nat hook prerouting priority dstnat; iifname "nat0" tcp dport 25 dnat to $PRXO4:25; }
  chain post { type nat hook postrouting priority srcnat; oifname "nat1" meta l4proto tcp masquerade to :20000-29999 random; }
}
NFT
}

sc_nat-appliance() {
  local s=nat-appliance a=nat-appliance-sender o=nat-appliance-outside i=nat-appliance-inside
  local lport=40125
  scenario_pki $s
  topo_nat
  appliance_up $s max12
  cap_start $a snd snd0
  cap_start $o prx prx0
  cap_start $i mta mta0
  swaks_run snd $a $NATO4 25 --tls --tls-sni $MX_NAME --local-port $lport || die "$s: swaks failed"
  wait_log "$PRXLOG" 'smtp\[.*status=sent' 1 30
  wait_log "$MTALOG" 'smtpd.*disconnect from' 1
  wait_log "$PRXLOG" 'smtpd.*disconnect from' 1
  cap_stop $a; cap_stop $o; cap_stop $i
  local chain; chain=$(pf_chain "$PRXLOG" "$MTALOG") || die "$s: $chain"
  pf_stop_all; topo_down
  read -r oc op ic ip <<<"$chain"
  [[ $oc == "$NATI4" && $op != "$lport" ]] || die "$s: the router did not translate $SND4:$lport (got $oc:$op)"
  : >"$W/hops.truth"
  hops_line 1 "sender $SND4 $lport,outside $oc $op,inside $ic $ip" outside,inside - - outside,inside CERT_REPLACED
  truth_header $a "Three points, sender side: swaks --tls (port $lport) to $NATO4:25, the public MX address of" \
    "a NAT router (nftables: dnat to the appliance $PRXO4:25, masquerade to $NATI4 with random ports" \
    "20000-29999). Behind it the appliance (postfix, self-signed CN=barracuda.local) relays to the real" \
    "MTA. The router only forwards: the sender sees the appliance's certificate."
  truth_header $o "Three points, between the NAT router and the appliance: the same connection, translated" \
    "($NATI4 and a random port to $PRXO4:25), same run as $a.pcap."
  truth_header $i "Three points, behind the appliance: its postfix smtp client ($PRXI4) to the real MTA," \
    "same run as $a.pcap."
  truth_capture $a $s sender 1 sender,outside,inside
  truth_capture $o $s outside 2 sender,outside,inside
  truth_capture $i $s inside 3 sender,outside,inside
  appliance_truth $s 1.2 $o $i CERT_MISMATCH,NAME_MISMATCH,SELF_SIGNED "$NATI4"
  truth_reset; truth_tls 1.2; T[server]=$NATO4; T[sni]=$MX_NAME; truth_cert "$PKI/$s-outside.pem" 1
  T[expect]=$MX_NAME=pem:certs/$s-inside.pem; T[findings]=CERT_MISMATCH,NAME_MISMATCH,SELF_SIGNED
  truth_line $a
  truth_hops $a $o $i
}

sc_starttls-strip-discard() {
  local s=starttls-strip-discard o=starttls-strip-discard-outside i=starttls-strip-discard-inside
  local lport=40225 relay=relay.example.test
  scenario_pki $s
  leaf $s-inside $MX_NAME $MX_NAME
  topo_appliance
  pf_setup mta mta $MX_NAME "$MTA4, $MTA6"; pf_master "smtp inet n - n - - smtpd"
  pf_tls "$PKI/$s-inside.chain.pem" "$PKI/$s-inside.key" max12
  pf_main "smtpd_client_port_logging = yes"; pf_start 25
  MTALOG=$PFD/maillog
  # the middlebox: a postfix relay that discards STARTTLS from its EHLO reply
  # (it has TLS configured: only the offer is removed) and relays over TLS
  pf_setup prx prx $relay "$PRXO4, $PRXO6"; pf_master "smtp inet n - n - - smtpd"
  pf_tls "$PKI/$s-inside.chain.pem" "$PKI/$s-inside.key" max12
  pf_main "smtpd_discard_ehlo_keywords = starttls" "relay_transport = smtp:[$MTA4]:25" \
    "smtp_bind_address = $PRXI4" "smtp_bind_address6 = $PRXI6" "smtp_tls_security_level = may" \
    "smtp_tls_servername = $MX_NAME" "smtp_connection_cache_on_demand = no" \
    "smtp_tls_session_cache_database =" "smtpd_client_port_logging = yes"
  pf_start 25
  PRXLOG=$PFD/maillog
  cap_start $o prx prx0
  cap_start $i mta mta0
  swaks_run snd $o $PRXO4 25 --tls-optional --local-port $lport || die "$s: swaks failed"
  wait_log "$PRXLOG" 'smtp\[.*status=sent' 1 30
  wait_log "$MTALOG" 'smtpd.*disconnect from' 1
  wait_log "$PRXLOG" 'smtpd.*disconnect from' 1
  cap_stop $o; cap_stop $i
  local chain; chain=$(pf_chain "$PRXLOG" "$MTALOG") || die "$s: $chain"
  pf_stop_all; topo_down
  grep -q '250.STARTTLS' "$W/logs/$o.swaks.log" && die "$s: the sender was offered STARTTLS"
  read -r oc op ic ip <<<"$chain"
  [[ $oc == "$SND4" && $op == "$lport" ]] || die "$s: relay logged $oc:$op, not $SND4:$lport"
  : >"$W/hops.truth"
  hops_line 1 "outside $oc $op,inside $ic $ip" - - outside,inside outside,inside STARTTLS_STRIPPED
  truth_header $o "STARTTLS stripped by a relay, outside: swaks --tls-optional (port $lport) to a postfix relay" \
    "($relay) that has TLS but removes STARTTLS from its EHLO reply (smtpd_discard_ehlo_keywords)," \
    "so the mail goes in clear; the relay forwards it over STARTTLS/TLS 1.2 to the real MTA" \
    "($s-inside.pcap, same run), which offers STARTTLS."
  truth_header $i "STARTTLS stripped by a relay, inside: the relay's postfix smtp client ($PRXI4) to the" \
    "real MTA over STARTTLS, TLS 1.2, leaf+intermediate of the scenario's CA; same run as $o.pcap."
  truth_capture $o $s outside 1 outside,inside
  truth_capture $i $s inside 2 outside,inside
  truth_reset; T[server]=$PRXO4; T[starttls_offered]=no; T[starttls_used]=no
  T[findings]=MAIL_IN_CLEAR,STARTTLS_NOT_OFFERED
  truth_line $o
  truth_reset; truth_tls 1.2; T[server]=$MTA4; T[client]=$PRXI4; T[sni]=$MX_NAME
  truth_cert "$PKI/$s-inside.pem" 2; truth_line $i
  export_cert "$PKI/$s-inside.pem" $s-inside
  truth_hops $o $i
}

sc_starttls-strip-asa() {
  local s=starttls-strip-asa o=starttls-strip-asa-outside i=starttls-strip-asa-inside
  local lport=40325 plog=$W/logs/starttls-mask.log
  scenario_pki $s
  leaf $s-inside $MX_NAME $MX_NAME
  topo_appliance
  pf_setup mta mta $MX_NAME "$MTA4, $MTA6"; pf_master "smtp inet n - n - - smtpd"
  pf_tls "$PKI/$s-inside.chain.pem" "$PKI/$s-inside.key" max12
  pf_main "smtpd_client_port_logging = yes"; pf_start 25
  MTALOG=$PFD/maillog
  # the middlebox: a TCP proxy masking STARTTLS as XXXXXXXA, as Cisco ASA does
  : >"$plog"
  ip netns exec "$RUN-prx" perl "$HERE/starttls-mask.pl" "$PRXO4:25" "$MTA4:25" "$PRXI4" "$plog" \
    2>>"$W/logs/starttls-mask.err" &
  BG_PIDS+=($!)
  wait_log "$plog" '^listening' 1 10 || die "$s: the proxy did not start"
  cap_start $o prx prx0
  cap_start $i mta mta0
  swaks_run snd $o $PRXO4 25 --tls-optional --local-port $lport || die "$s: swaks failed"
  wait_log "$MTALOG" 'smtpd.*disconnect from' 1
  cap_stop $o; cap_stop $i
  pf_stop_all; topo_down
  grep -q '250-XXXXXXXA' "$W/logs/$o.swaks.log" || die "$s: the sender did not see XXXXXXXA"
  local oc op ic ip
  read -r _ oc op _ ic ip < <(grep '^accepted' "$plog")
  [[ $oc == "$SND4" && $op == "$lport" && $ic == "$PRXI4" ]] || die "$s: the proxy logged $oc:$op via $ic:$ip"
  : >"$W/hops.truth"
  hops_line 1 "outside $oc $op,inside $ic $ip" - - outside,inside - STARTTLS_STRIPPED
  truth_header $o "STARTTLS masked by a middlebox, outside: swaks --tls-optional (port $lport) through a TCP" \
    "proxy (pcaps/starttls-mask.pl) that overwrites STARTTLS in the EHLO reply with XXXXXXXA, as" \
    "Cisco PIX/ASA ESMTP inspection does. The sender is not offered STARTTLS and sends in clear." \
    "The proxy forwards to the real MTA ($s-inside.pcap, same run), which offers STARTTLS."
  truth_header $i "STARTTLS masked by a middlebox, inside: the proxy's own connection ($PRXI4) to the real" \
    "MTA, which offers STARTTLS; the sender never asks for it, so the mail goes in clear here too."
  truth_capture $o $s outside 1 outside,inside
  truth_capture $i $s inside 2 outside,inside
  truth_reset; T[server]=$PRXO4; T[starttls_offered]=no; T[starttls_used]=no
  T[findings]=KNOWN_INTERCEPTOR,MAIL_IN_CLEAR,STARTTLS_STRIPPED   # XXXXXXXA is Cisco ASA inspection's (analyze/products.txt)
  truth_line $o
  truth_reset; T[server]=$MTA4; T[client]=$PRXI4; T[starttls_offered]=yes; T[starttls_used]=no
  T[findings]=MAIL_IN_CLEAR
  truth_line $i
  export_cert "$PKI/$s-inside.pem" $s-inside
  truth_hops $o $i
}

topo_balancer() {    # sender <-> balancer <-> two backends (one namespace, two addresses)
  ns snd; ns lb; ns mta
  link snd snd0 02:00:00:00:02:10 lb lb0 02:00:00:01:13:80
  link lb lb1 02:00:00:00:51:02 mta mta0 02:00:00:00:51:25
  ip -n "$RUN-snd" addr add $SND4/32 dev snd0; ip -n "$RUN-snd" route add $LB4/32 dev snd0
  ip -n "$RUN-lb" addr add $LB4/32 dev lb0; ip -n "$RUN-lb" route add $SND4/32 dev lb0
  ip -n "$RUN-lb" addr add $PRXI4/24 dev lb1
  ip -n "$RUN-mta" addr add $MTA4/24 dev mta0
  ip -n "$RUN-mta" addr add $MTB4/24 dev mta0
}

sc_balancer() {
  local s=balancer o=balancer-outside i=balancer-inside hlog=$W/logs/haproxy.log k
  scenario_pki $s
  leaf $s-a $MX_NAME $MX_NAME
  selfsigned $s-b $MX_NAME "mxwitness test backend"
  topo_balancer
  pf_setup mta-a mta $MX_NAME "$MTA4"; pf_master "smtp inet n - n - - smtpd"
  pf_tls "$PKI/$s-a.chain.pem" "$PKI/$s-a.key" max12; pf_start 25
  pf_setup mta-b mta $MX_NAME "$MTB4"; pf_master "smtp inet n - n - - smtpd"
  pf_tls "$PKI/$s-b.pem" "$PKI/$s-b.key" max12; pf_start 25
  cat >"$W/haproxy.cfg" <<HAP
global
  log stdout format raw local0
defaults
  mode tcp
  log global
  timeout connect 5s
  timeout client 30s
  timeout server 30s
frontend smtp
  bind $LB4:25
  log-format "delivery %ci %cp %s %bi %bp"
  default_backend mx
backend mx
  balance roundrobin
  server a $MTA4:25
  server b $MTB4:25
HAP
  ip netns exec "$RUN-lb" haproxy -db -f "$W/haproxy.cfg" >"$hlog" 2>&1 &
  BG_PIDS+=($!)
  for k in $(seq 50); do ip netns exec "$RUN-lb" ss -Hltn "sport = :25" | grep -q LISTEN && break; sleep 0.1; done
  cap_start $o lb lb0
  cap_start $i lb lb1
  for k in 1 2 3 4; do
    swaks_run snd $o-$k $LB4 25 --tls --tls-sni $MX_NAME --local-port $((40400 + k)) || die "$s: swaks $k failed"
    wait_log "$hlog" '^delivery' $k 10 || die "$s: haproxy did not log delivery $k"
  done
  cap_stop $o; cap_stop $i
  pf_stop_all; topo_down
  grep '^delivery' "$hlog" >"$W/lb.deliveries"
  [[ $(awk '{print $4}' "$W/lb.deliveries" | tr -d '\n') =~ ^(abab|baba)$ ]] \
    || die "$s: the balancer did not alternate: $(awk '{print $4}' "$W/lb.deliveries" | tr '\n' ' ')"
  : >"$W/hops.truth"
  truth_header $o "TCP balancer, outside: four swaks --tls deliveries (ports 40401-40404), one after the" \
    "other, to $LB4:25, an haproxy in tcp mode balancing round-robin over two backends: a" \
    "($MTA4, mail.example.test, leaf+intermediate of the scenario's CA, the expected certificate) and" \
    "b ($MTB4, a self-signed certificate for the same name). The balancer only forwards: each" \
    "delivery shows its backend's certificate at both points, and a changes to b per backend, not at" \
    "the balancer. The certificates alternate at the balanced address and name, so each delivery after" \
    "the first shows CERT_CHANGED."
  truth_header $i "TCP balancer, inside: haproxy's connections ($PRXI4) to the two backends, same run as" \
    "$o.pcap."
  truth_capture $o $s outside 1 outside,inside
  truth_capture $i $s inside 2 outside,inside
  local n=0 cp srv bi bp f
  while read -r _ _ cp srv bi bp; do
    n=$((n + 1))
    hops_line $n "outside $SND4 $cp,inside $bi $bp" - - - - -
    f=CERT_CHANGED; ((n > 1)) || f=
    truth_reset; truth_tls 1.2; T[sni]=$MX_NAME; T[expect]=$MX_NAME=pem:certs/$s-a.pem
    if [[ $srv == a ]]; then truth_cert "$PKI/$s-a.pem" 2; T[findings]=${f:--}
    else truth_cert "$PKI/$s-b.pem" 1; T[findings]=${f:+$f,}CERT_MISMATCH,SELF_SIGNED; fi
    T[server]=$LB4; truth_line $o
    T[client]=$PRXI4; T[server]=$MTA4; [[ $srv == a ]] || T[server]=$MTB4; truth_line $i
  done <"$W/lb.deliveries"
  export_cert "$PKI/$s-a.pem" $s-a; export_cert "$PKI/$s-b.pem" $s-b
  truth_hops $o $i
}

sc_appliance-same-second() {
  local s=appliance-same-second o=appliance-same-second-outside i=appliance-same-second-inside
  scenario_pki $s
  topo_appliance
  appliance_up $s max12
  cap_start $o prx prx0
  cap_start $i mta mta0
  # both deliveries begin in the same second: wait for the start of a second
  perl -MTime::HiRes=time,sleep -e 'my $t = time; sleep(int($t) + 1.05 - $t)'
  local big; big=$(perl -e 'print join("\n", map { "line $_ of the larger message of the two, " . ("x" x 40) } 1..60)')
  swaks_run snd $o-1 $PRXO4 25 --tls --tls-sni $MX_NAME --local-port 40501 --body "$big" & local p1=$!
  BG_PIDS+=($p1)
  sleep 0.03   # while the first is still in its handshake
  swaks_run snd $o-2 $PRXO4 25 --tls --tls-sni $MX_NAME --local-port 40502 & local p2=$!
  BG_PIDS+=($p2)
  wait $p1 || die "$s: swaks 1 failed"; wait $p2 || die "$s: swaks 2 failed"
  wait_log "$PRXLOG" 'smtp\[.*status=sent' 2 30
  wait_log "$MTALOG" 'smtpd.*disconnect from' 2
  wait_log "$PRXLOG" 'smtpd.*disconnect from' 2
  cap_stop $o; cap_stop $i
  local chain; chain=$(pf_chain "$PRXLOG" "$MTALOG") || die "$s: $chain"
  pf_stop_all; topo_down
  [[ $(wc -l <<<"$chain") == 2 ]] || die "$s: not two deliveries: $chain"
  local f; for f in $o $i; do
    [[ $(tshark -n -r "$W/out/$f.pcap" -Y 'tcp.flags.syn == 1 && tcp.flags.ack == 0' -T fields \
        -e frame.time_epoch 2>/dev/null | cut -d. -f1 | sort -u | wc -l) == 1 ]] \
      || die "$s: the two sessions of $f did not begin in the same second"
  done
  : >"$W/hops.truth"
  local n=0 oc op ic ip
  while read -r oc op ic ip; do
    n=$((n + 1))
    hops_line $n "outside $oc $op,inside $ic $ip" outside,inside - - outside,inside CERT_REPLACED
  done <<<"$chain"
  truth_header $o "Appliance case, two deliveries in the same second: swaks --tls from port 40501 (a message" \
    "of some 5 KB) and, 0.03 s later (the sessions overlap), from port 40502 (a short one) to the appliance (postfix," \
    "self-signed CN=barracuda.local), which relays each over its own STARTTLS/TLS 1.2 connection to" \
    "the real MTA ($i.pcap, same run). Each hops line follows one message through the queue ids."
  truth_header $i "Appliance case, two deliveries in the same second, inside: the appliance's two" \
    "connections ($PRXI4) to the real MTA, same run as $o.pcap."
  truth_capture $o $s outside 1 outside,inside
  truth_capture $i $s inside 2 outside,inside
  appliance_truth $s 1.2 $o $i CERT_MISMATCH,NAME_MISMATCH,SELF_SIGNED "$SND4"
  sed -i 's/^\(session\t.*\tcount=\)1\t/\12\t/' "$W/out/$o.truth" "$W/out/$i.truth"
  truth_hops $o $i
}

# ================================================ one capture point (evidence)
# The appliance case seen from the sender only: a router publishes one
# address, its port 25 forwarded to the appliance and its port 587 to the
# real MTA one routed hop further (through the appliance's namespace), so
# the two ports of one address answer from different distances.  Besides
# the session lines, their truth files carry
#   trust     ca=certs/S-root-ca.pem          the scenario's own CA
#   evidence  server=A port=P client=C kinds=K,.. [product=TEXT]
# the kinds of one-point evidence (mxwitness.evidence) each session must
# show ('-': none), from the scenario definition.
topo_onepoint() {    # MODE (plain|nat): sender <-> router <-> appliance <-> mta (IPv4)
  ns snd; ns rtr; ns prx; ns mta
  link snd snd0 02:00:00:00:02:10 rtr rtr0 02:00:00:00:02:25
  link rtr rtr1 02:00:00:01:13:01 prx prx0 02:00:00:01:13:25
  link prx prx1 02:00:00:00:51:02 mta mta0 02:00:00:00:51:25
  ip -n "$RUN-snd" addr add $SND4/32 dev snd0; ip -n "$RUN-snd" route add $NATO4/32 dev snd0
  ip -n "$RUN-rtr" addr add $NATO4/32 dev rtr0; ip -n "$RUN-rtr" route add $SND4/32 dev rtr0
  ip -n "$RUN-rtr" addr add $NATI4/32 dev rtr1; ip -n "$RUN-rtr" route add $PRXO4/32 dev rtr1
  ip -n "$RUN-rtr" route add $MTA4/32 via $PRXO4 dev rtr1
  ip -n "$RUN-prx" addr add $PRXO4/32 dev prx0; ip -n "$RUN-prx" route add $NATI4/32 dev prx0
  ip -n "$RUN-prx" route add $SND4/32 via $NATI4 dev prx0
  ip -n "$RUN-prx" -6 addr add $PRXO6/128 dev prx0 nodad
  ip -n "$RUN-prx" addr add $PRXI4/24 dev prx1
  ip -n "$RUN-prx" -6 addr add $PRXI6/64 dev prx1 nodad
  ip -n "$RUN-mta" addr add $MTA4/24 dev mta0
  ip -n "$RUN-mta" -6 addr add $MTA6/64 dev mta0 nodad
  ip -n "$RUN-mta" route add $SND4/32 via $PRXI4 dev mta0
  ip -n "$RUN-mta" route add $NATI4/32 via $PRXI4 dev mta0
  ip netns exec "$RUN-rtr" sysctl -qw net.ipv4.ip_forward=1
  ip netns exec "$RUN-prx" sysctl -qw net.ipv4.ip_forward=1
  # the router publishes NATO4:25 (the appliance) and NATO4:587 (the real
  # MTA); with nat it also hides the senders behind its own address
  local post=""
  [[ $1 == nat ]] && post="chain post { type nat hook postrouting priority srcnat; oifname \"rtr1\" meta l4proto tcp masquerade to :20000-29999 random; }"
  ip netns exec "$RUN-rtr" nft -f - <<NFT
table ip mxw_nat {
  chain pre { type nat hook prerouting priority dstnat; iifname "rtr0" tcp dport 25 dnat to $PRXO4:25; iifname "rtr0" tcp dport 587 dnat to $MTA4:587; }
  $post
}
NFT
}

onepoint() {   # SCENARIO MODE
  local s=$1 mode=$2 hex banner
  scenario_pki $s
  topo_onepoint "$mode"
  hex=$(openssl rand -hex 16)
  # the Barracuda form of nmap-service-probes line 3080: $myhostname ESMTP (<32 hex digits>)
  banner='$myhostname ESMTP ('"$hex"')'
  appliance_up $s max12 "$banner" 587
  cap_start $s snd snd0
  swaks_run snd $s-587 $NATO4 587 --tls --tls-sni $MX_NAME --local-port 40601 || die "$s: swaks to 587 failed"
  wait_log "$MTALOG" 'smtpd.*disconnect from' 1
  swaks_run snd $s-25 $NATO4 25 --tls --tls-sni $MX_NAME --local-port 40602 || die "$s: swaks to 25 failed"
  wait_log "$PRXLOG" 'smtp\[.*status=sent' 1 30
  wait_log "$MTALOG" 'smtpd.*disconnect from' 2
  wait_log "$PRXLOG" 'smtpd.*disconnect from' 1
  cap_stop $s
  local c587 c25
  c587=$(sed -n 's/.*smtpd\[[0-9]*\]: [0-9A-F]*: client=[^[]*\[\([^]]*\)\]:\([0-9]*\).*/\1 \2/p' "$MTALOG" | head -n 1)
  c25=$(sed -n 's/.*smtpd\[[0-9]*\]: [0-9A-F]*: client=[^[]*\[\([^]]*\)\]:\([0-9]*\).*/\1 \2/p' "$PRXLOG" | head -n 1)
  pf_stop_all; topo_down
  grep -q "^<- *220 barracuda.local ESMTP ($hex)" "$W/logs/$s-25.swaks.log" || die "$s: port 25 did not greet with the Barracuda banner"
  grep -q "^<- *220 $MX_NAME ESMTP" "$W/logs/$s-587.swaks.log" || die "$s: port 587 is not the real MTA"
  if [[ $mode == nat ]]; then
    [[ $c587 == "$NATI4 "* && $c587 != *" 40601" && $c25 == "$NATI4 "* && $c25 != *" 40602" ]] \
      || die "$s: the router did not translate the senders (MTA saw $c587, appliance saw $c25)"
  else
    [[ $c587 == "$SND4 40601" && $c25 == "$SND4 40602" ]] \
      || die "$s: the router translated the senders (MTA saw $c587, appliance saw $c25)"
  fi
  local how="forwards them unchanged (dnat only: the MTA and the appliance see the sender's address)"
  [[ $mode == nat ]] && how="hides the sender behind its own address $NATI4 with random ports 20000-29999 (nftables masquerade, as in nat-appliance)"
  truth_header $s "One capture point, sender side. swaks --tls (SNI $MX_NAME, no verification) makes two" \
    "deliveries, in this order: from port 40601 to $NATO4:587, then from port 40602 to $NATO4:25." \
    "$NATO4 is a router (nftables dnat) that forwards port 25 to the appliance $PRXO4:25 and port" \
    "587 to the real MTA $MTA4:587, routed through the appliance's namespace: one hop further, so" \
    "port 25 answers with a TTL one higher than port 587 (63 against 62 at the sender). The router" \
    "$how." \
    "The appliance is a postfix terminating STARTTLS with its own self-signed certificate" \
    "(CN=barracuda.local) and relaying to the real MTA; its smtpd_banner is the Barracuda form of" \
    "nmap-service-probes line 3080, \$myhostname ESMTP (<32 hex digits>): 220 barracuda.local ESMTP ($hex)." \
    "Port 587 is an smtpd listener of the real MTA, STARTTLS with the expected certificate" \
    "(leaf+intermediate of the scenario's CA). Judged with --ca-file only (no --expect); the port-25" \
    "session's certificate is another than the one the same address and name showed on 587 (CERT_CHANGED)."
  printf 'trust\tca=certs/%s-root-ca.pem\n' "$s" >>"$W/out/$s.truth"
  truth_reset; truth_tls 1.2; T[server]=$NATO4; T[port]=587; T[sni]=$MX_NAME
  truth_cert "$PKI/$s-inside.pem" 2; truth_line $s
  truth_reset; truth_tls 1.2; T[server]=$NATO4; T[sni]=$MX_NAME; truth_cert "$PKI/$s-outside.pem" 1
  # CERT_CHANGED: the same address and name presented the real certificate just before
  T[findings]=CERT_CHANGED,KNOWN_INTERCEPTOR,NAME_MISMATCH,SELF_SIGNED,TLS_TERMINATOR_SUSPECTED
  truth_line $s
  # the evidence the scenario puts there: none on 587; on 25 the banner's
  # product, the banner and certificate naming the appliance, not the SNI,
  # and port 25 nearer than port 587 of the same address
  printf 'evidence\tserver=%s\tport=587\tclient=%s\tkinds=-\n' $NATO4 $SND4 >>"$W/out/$s.truth"
  printf 'evidence\tserver=%s\tport=25\tclient=%s\tkinds=names,product_banner,ttl\tproduct=Barracuda\n' \
    $NATO4 $SND4 >>"$W/out/$s.truth"
}
sc_onepoint-appliance() { onepoint onepoint-appliance plain; }
sc_onepoint-nat() { onepoint onepoint-nat nat; }

# ================================================= TLS 1.3, one point, own CA
# One capture each, each with a CA of its own (certs/<scenario>-root-ca.pem,
# named by the truth's trust line), so that recording one of them leaves
# every other capture as it is.
trust_line() { printf 'trust\tca=certs/%s-root-ca.pem\n' "$1" >>"$W/out/$1.truth"; }

sc_hrr-tls13() {
  local s=hrr-tls13
  scenario_pki $s
  leaf $s $MX_NAME $MX_NAME
  topo_direct
  pf_setup mta mta $MX_NAME "$MTA4, $MTA6"; pf_master "smtp inet n - n - - smtpd"
  pf_tls "$PKI/$s.chain.pem" "$PKI/$s.key" any
  # the server's only group is X25519 (postfix 3.7: tls_eecdh_auto_curves; no
  # FFDHE groups in TLS 1.3 before 3.8's tls_ffdhe_auto_groups)
  pf_main "tls_eecdh_auto_curves = X25519"
  pf_start 25
  cap_start $s mta mta0
  # OpenSSL's client sends a key share for its first group only (P-256):
  # the server must ask again for X25519, with a HelloRetryRequest
  sclient_smtp mail snd $s $MTA4:25 -tls1_3 -groups P-256:X25519 -servername $MX_NAME \
    -keylogfile "$W/out/$s.keylog" || die "$s: s_client failed"
  wait_log "$PFD/maillog" 'smtpd.*disconnect from' 1
  cap_stop $s; pf_stop_all
  grep -q "TLS connection established from.*TLSv1.3" "$PFD/maillog" || die "$s: postfix logged no TLS 1.3"
  topo_down
  grep -q 'TLSv1.3' "$W/logs/$s.s_client.log" || die "$s: s_client did not negotiate TLS 1.3"
  grep -q 'Server Temp Key: X25519' "$W/logs/$s.s_client.log" || die "$s: the key exchange is not X25519"
  truth_header $s "STARTTLS, TLS 1.3 with a HelloRetryRequest: openssl s_client -starttls smtp -tls1_3" \
    "-groups P-256:X25519 -keylogfile sends a key share for P-256 only; postfix allows X25519 only" \
    "(tls_eecdh_auto_curves = X25519) and answers the first ClientHello with a HelloRetryRequest" \
    "for X25519; the second ClientHello completes the handshake. Leaf+intermediate of the scenario's" \
    "CA, encrypted on the wire; $s.keylog decrypts it. Judged with the trust line's CA, no --expect."
  trust_line $s
  truth_reset; truth_tls 1.3; T[server]=$MTA4; T[sni]=$MX_NAME; T[keylog]=$s.keylog; T[hrr]=yes
  T[findings]=CERT_HIDDEN
  truth_cert "$PKI/$s.pem" 2; truth_line $s; export_cert "$PKI/$s.pem" $s
}

sc_mtls13-rejected() {
  local s=mtls13-rejected c=mtls13-rejected-client spki cpki log reply
  scenario_pki $s
  leaf $s $MX_NAME $MX_NAME
  cat "$PKI/root/ca.pem" "$PKI/inter/ca.pem" >"$PKI/$s.cafile"
  # the client's certificate comes from a CA of its own, which the server
  # does not trust (its CAfile holds the scenario's root and intermediate)
  spki=$PKI; cpki=$PKI/client-ca; mkdir -p "$cpki"
  make_ca "$cpki" "$s client"
  PKI=$cpki; leaf $c $HELO $HELO client; PKI=$spki
  topo_direct
  pf_setup mta mta $MX_NAME "$MTA4, $MTA6"; pf_master "smtp inet n - n - - smtpd"
  pf_tls "$PKI/$s.chain.pem" "$PKI/$s.key" any
  # smtpd_tls_req_ccert needs mandatory TLS (security level encrypt)
  pf_main "smtpd_tls_security_level = encrypt" "smtpd_tls_req_ccert = yes" "smtpd_tls_CAfile = $PKI/$s.cafile"
  pf_start 25
  cap_start $s mta mta0
  # swaks presents the leaf (it sends no chain) and logs every reply; its key
  # log comes from pcaps/keylog-preload.c (Net::SSLeay's libssl), as the
  # appliance's.  (openssl s_client -cert -keylogfile does the same handshake
  # but loses the server's last reply when the close_notify follows it at once.)
  local so; so=$(preload_so)
  ( export LD_PRELOAD=$so SSLKEYLOGFILE=$W/out/$s.keylog
    swaks_run snd $s $MTA4 25 --tls --tls-sni $MX_NAME --tls-cert "$cpki/$c.pem" --tls-key "$cpki/$c.key" ) \
    && die "$s: swaks delivered the mail"
  wait_log "$PFD/maillog" 'smtpd.*disconnect from' 1
  cap_stop $s; pf_stop_all
  # postfix logs the abort; the reply it sends is the sender's to log
  grep -q 'NOQUEUE: abort: TLS from .*: Client certificate not trusted' "$PFD/maillog" \
    || die "$s: postfix did not log the untrusted client certificate"
  grep -q 'TLS connection established from.*TLSv1.3' "$PFD/maillog" || die "$s: postfix logged no TLS 1.3"
  topo_down
  log=$W/logs/$s.swaks.log
  grep -q '^CLIENT_HANDSHAKE_TRAFFIC_SECRET ' "$W/out/$s.keylog" || die "$s: no key log from swaks"
  # the rejection, as the sender logged it: the reply to its EHLO inside TLS
  reply=$(sed -n 's/^<~\{0,1\}\*\{0,1\} *\([45][0-9][0-9]\) \([245]\.[0-9]*\.[0-9]*\) .*/\1 \2/p' "$log" | head -n 1)
  [[ -n $reply ]] || die "$s: no 4xx/5xx reply in $log"
  truth_header $s "STARTTLS, TLS 1.3, mutual TLS with the client certificate rejected: postfix asks for and" \
    "requires a trusted client certificate (smtpd_tls_security_level = encrypt, smtpd_tls_req_ccert =" \
    "yes, smtpd_tls_CAfile = the scenario's root and intermediate). swaks --tls --tls-cert presents" \
    "CN=$HELO (leaf only), issued by a CA of its own the server does not trust; its key log is written" \
    "by pcaps/keylog-preload.c (LD_PRELOAD into swaks' Net::SSLeay). The TLS 1.3 handshake completes;" \
    "postfix logs 'NOQUEUE: abort: TLS from ...: Client certificate not trusted' and answers the EHLO" \
    "inside TLS with '$reply' (the reply as swaks logged it), then closes. Both certificates and the" \
    "reply are encrypted on the wire; $s.keylog decrypts them. Judged with the trust line's CA."
  trust_line $s
  truth_reset; truth_tls 1.3; T[server]=$MTA4; T[sni]=$MX_NAME; T[keylog]=$s.keylog; T[reply]=$reply
  T[findings]=CERT_HIDDEN
  truth_cert "$PKI/$s.pem" 2; truth_client_cert "$cpki/$c.pem" 1; truth_line $s
  export_cert "$PKI/$s.pem" $s; export_cert "$cpki/$c.pem" $c
  cp "$cpki/root/ca.pem" "$W/out/certs/$s-client-root-ca.pem"
}

sc_hostile-cert() {
  local s=hostile-cert now; now=$(date +%s)
  scenario_pki $s
  # a leaf whose subject and names hold markup, quotes, script and control
  # characters (ESC, TAB), for the escaping of every output (text, JSON, HTML)
  printf '%s\n' '[req]' 'distinguished_name = dn' 'prompt = no' 'utf8 = yes' '[dn]' \
    "O = \\\"quoted\\\" & \\'single\\' <b>bold</b>" \
    "OU = esc"$'\x1b'"[31mred"$'\x1b'"[0m tab\\ttab" \
    'CN = <script>alert(\"mxw\")</script>' >"$PKI/$s.cnf"
  printf '%s\n' 'basicConstraints = critical,CA:FALSE' 'keyUsage = critical,digitalSignature,keyEncipherment' \
    'extendedKeyUsage = serverAuth' 'subjectKeyIdentifier = hash' 'authorityKeyIdentifier = keyid' \
    'subjectAltName = @alt_names' '[alt_names]' 'DNS.1 = <img src=x onerror=alert(1)>.example.test' \
    "DNS.2 = a\\\"b\\'c.example.test" 'DNS.3 = <script>alert(2)</script>.example.test' >"$PKI/$s.ext"
  openssl req -new -newkey rsa:2048 -nodes -keyout "$PKI/$s.key" -out "$PKI/$s.csr" -config "$PKI/$s.cnf" \
    2>>"$W/logs/pki.log" || die "$s: openssl req failed"
  ca_sign "$PKI/inter" "$PKI/$s.csr" "$PKI/$s.pem" $((now - DAY)) $((now + 365 * DAY)) "$PKI/$s.ext"
  cat "$PKI/$s.pem" "$PKI/inter/ca.pem" >"$PKI/$s.chain.pem"; chmod 644 "$PKI/$s.key"
  subj "$PKI/$s.pem" | grep -q '^CN=\\<script\\>' || die "$s: the subject is not the hostile one: $(subj "$PKI/$s.pem")"
  topo_direct
  pf_setup mta mta $MX_NAME "$MTA4, $MTA6"; pf_master "smtp inet n - n - - smtpd"
  pf_tls "$PKI/$s.chain.pem" "$PKI/$s.key" max12; pf_start 25
  cap_start $s mta mta0
  swaks_run snd $s $MTA4 25 --tls --tls-sni $MX_NAME || die "$s: swaks failed"
  wait_log "$PFD/maillog" 'smtpd.*disconnect from' 1
  cap_stop $s; pf_stop_all; topo_down
  truth_header $s "STARTTLS, TLS 1.2 (the certificate in clear), swaks --tls, SNI $MX_NAME. The server's leaf" \
    "(signed by the scenario's intermediate, sent with it) is hostile to whatever shows it: its subject" \
    "holds markup, script, quotes, an ampersand and control characters (ESC, TAB), its DNS names markup" \
    "and quotes (pcaps/record.sh sc_hostile-cert has the openssl config). None of the names is the" \
    "host's: NAME_MISMATCH. Judged with the trust line's CA."
  trust_line $s
  truth_reset; truth_tls 1.2; T[server]=$MTA4; T[sni]=$MX_NAME; T[findings]=NAME_MISMATCH
  truth_cert "$PKI/$s.pem" 2; truth_line $s; export_cert "$PKI/$s.pem" $s
}

# ============================================================ verification
# Independent check of a capture against its truth file with tshark: every
# TCP connection must belong to exactly one truth line whose facts it shows.
VERIFY_PL='
use strict; use warnings;
my ($truth, $dump, $dumpk) = @ARGV;
my %alert = (0=>"close_notify",10=>"unexpected_message",20=>"bad_record_mac",40=>"handshake_failure",
  42=>"bad_certificate",43=>"unsupported_certificate",44=>"certificate_revoked",45=>"certificate_expired",
  46=>"certificate_unknown",47=>"illegal_parameter",48=>"unknown_ca",49=>"access_denied",50=>"decode_error",
  51=>"decrypt_error",70=>"protocol_version",71=>"insufficient_security",80=>"internal_error",
  86=>"inappropriate_fallback",90=>"user_canceled",112=>"unrecognized_name",116=>"certificate_required");
my %ver = ("0x0301"=>"1.0","0x0302"=>"1.1","0x0303"=>"1.2","0x0304"=>"1.3");
my %suite = ("0x002f"=>"TLS_RSA_WITH_AES_128_CBC_SHA");
use Digest::SHA qw(sha256_hex);
sub sha { return uc sha256_hex(pack("H*",shift)); }
sub canon { my $a=lc shift; return $a; }
# fields: stream src dst sport dport syn ack cmd rcode rparam hstype hsver suppver suite sni cert alevel adesc random
sub load { my ($f)=@_; my %s; return \%s unless $f;
  open(my $fh,"<",$f) or die "$f: $!";
  while (<$fh>) { chomp; my @c=split /\t/,$_,-1;
    my ($st,$src,$dst,$sp,$dp,$syn,$ack,$cmd,$rc,$rp,$ht,$hv,$sv,$cs,$sni,$cert,$al,$ad,$rnd)=@c;
    next if $st eq ""; my $S=($s{$st}//={ id=>$st, syns=>0, ev=>[] });
    if ($syn eq "1" && $ack eq "0") { $S->{syns}++; $S->{client}=$src; $S->{server}=$dst; $S->{port}=$dp; $S->{cport}=$sp; }
    next unless defined $S->{server};
    my $fromsrv = ($src eq $S->{server} && $sp eq $S->{port});
    push @{$S->{ev}}, [$fromsrv,$cmd//"",$rc//"",$rp//"",$ht//"",$hv//"",$sv//"",$cs//"",$sni//"",$cert//"",$al//"",$ad//"",$rnd//""];
  } close $fh; return \%s; }
sub facts { my ($S)=@_; my %f=(server=>$S->{server}, port=>$S->{port}, client=>$S->{client},
    starttls_offered=>"no", starttls_used=>"no", starttls_reply=>"-", tls_version=>"-", sni=>"-",
    cert_sha256=>"-", chain_len=>"-", client_cert_sha256=>"-", client_chain_len=>"-", alert=>"-",
    reply=>"-", cipher=>"-", smtp_seen=>0, hrr=>"-");
  my $pend=0;
  for my $e (@{$S->{ev}}) { my ($fs,$cmd,$rc,$rp,$ht,$hv,$sv,$cs,$sni,$cert,$al,$ad,$rnd)=@$e;
    if (!$fs && $cmd ne "") { $f{smtp_seen}=1; if ($cmd =~ /(^|,)STARTTLS(\\r\\n|\s|,|$)/i) { $f{starttls_used}="yes"; $pend=1; } }
    if ($fs && $rc ne "") { $f{smtp_seen}=1;
      if ($rp =~ /(^|,)STARTTLS(,|$)/) { $f{starttls_offered}="yes"; }
      my @codes=split /,/,$rc;
      if ($pend) { $f{starttls_reply}=$codes[0]; $pend=0; }
      elsif ($f{reply} eq "-" && $rc =~ /(^|,)([45]\d\d)(,|$)/) { my $code=$2;
        if ($rp =~ /(^|,)([45]\.\d+\.\d+)/) { $f{reply}="$code $2"; } }
    }
    my @ht=split /,/,$ht;
    if (!$fs && grep {$_ eq "1"} @ht) { $f{sni}=$sni if $sni ne ""; }
    if ($fs && grep {$_ eq "2"} @ht) {
      my @sv=split /,/,$sv; my $v=$ver{(split /,/,$hv)[0]} // "?";
      $v="1.3" if grep {$_ eq "0x0304"} @sv; $f{tls_version}=$v;
      my $c=(split /,/,$cs)[0]; $f{cipher}=$suite{$c} // $c;
      # a ServerHello with the special random of RFC 8446 4.1.3 is a HelloRetryRequest
      $f{hrr}="no" if $f{hrr} eq "-";
      $f{hrr}="yes" if grep { (my $x=lc $_) =~ s/^0x|://g; $x eq "cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c" } split /,/,$rnd; }
    if (grep {$_ eq "11"} @ht and $cert ne "") { my @c=split /,/,$cert;
      if ($fs) { $f{cert_sha256}=sha($c[0]); $f{chain_len}=scalar @c; }
      else { $f{client_cert_sha256}=sha($c[0]); $f{client_chain_len}=scalar @c; } }
    if ($ad ne "") { my @l=split /,/,$al; my @d=split /,/,$ad;
      for my $i (0..$#d) { next if $d[$i] eq "0"; next if $f{alert} ne "-";
        $f{alert}=($fs?"server":"client").":".(($l[$i]//"") eq "2"?"fatal":"warning").":".($alert{$d[$i]}//$d[$i]); } }
  }
  $f{implicit_tls}=($f{smtp_seen} || $f{tls_version} eq "-") ? "no" : "yes";
  return \%f; }
my $plain=load($dump); my $keyed=$dumpk ? load($dumpk) : undef;
my @lines; my @hops; my $point;
open(my $t,"<",$truth) or die; while (<$t>) { chomp; next if /^#/ || /^\s*$/;
  my @kv=split /\t/; my $kind=shift @kv; my %h=map { /^([^=]+)=(.*)$/ ? ($1,$2) : () } @kv;
  if ($kind eq "session") { push @lines, \%h; } elsif ($kind eq "capture") { $point=$h{point}; }
  elsif ($kind eq "hops") { push @hops, \%h; } elsif ($kind eq "trust" || $kind eq "evidence") { }
  else { die "$truth: unknown line \"$kind\"\n"; } } close $t;
my @err; my %used;
for my $st (sort {$a<=>$b} keys %$plain) { my $S=$plain->{$st};
  unless ($S->{syns}) { push @err,"stream $st: no SYN captured"; next; }
  my $f=facts($S); my $fk=$keyed && $keyed->{$st} ? facts($keyed->{$st}) : $f;
  my @cand; my @why;
  L: for my $i (0..$#lines) { my $L=$lines[$i]; my @miss;
    for my $k (qw(server port client)) { push @miss,"$k" if canon($L->{$k}) ne canon($f->{$k}); }
    if (@miss) { next L; }
    my $vis = ($L->{cert_visible}//"-") ne "no";
    my $useK = ($L->{keylog}//"-") ne "-";
    my $g = $useK ? $fk : $f;
    for my $k (qw(starttls_used starttls_reply tls_version sni cipher)) {
      next if $k eq "cipher" && ($L->{cipher}//"-") eq "-";
      push @miss,"$k=$g->{$k} (truth $L->{$k})" if $g->{$k} ne $L->{$k}; }
    if (($L->{starttls_offered}//"-") ne "-") { push @miss,"starttls_offered=$f->{starttls_offered}" if $f->{starttls_offered} ne $L->{starttls_offered}; }
    push @miss,"implicit_tls=$f->{implicit_tls}" if $f->{implicit_tls} ne $L->{implicit_tls};
    # plaintext view must (not) show the certificate
    if ($L->{tls_version} ne "-") {
      if ($vis) { for my $k (qw(cert_sha256 chain_len)) { push @miss,"$k=$f->{$k}" if $f->{$k} ne $L->{$k}; } }
      else { push @miss,"certificate visible in clear" if $f->{cert_sha256} ne "-";
        if ($useK) { for my $k (qw(cert_sha256 chain_len)) { push @miss,"decrypted $k=$fk->{$k}" if $fk->{$k} ne $L->{$k}; } } }
    }
    for my $k (qw(client_cert_sha256 client_chain_len)) { push @miss,"$k=$g->{$k}" if $g->{$k} ne $L->{$k}; }
    push @miss,"alert=$f->{alert}" if $f->{alert} ne $L->{alert};
    push @miss,"reply=$g->{reply}" if $g->{reply} ne $L->{reply};
    # (captures recorded before the hrr key lack it)
    push @miss,"hrr=$f->{hrr}" if defined $L->{hrr} && $L->{hrr} ne "-" && $f->{hrr} ne $L->{hrr};
    if (@miss) { push @why,"line ".($i+1).": ".join("; ",@miss); next L; }
    push @cand,$i; }
  if (!@cand) { push @err,"stream $st ($f->{client} -> $f->{server}:$f->{port}) matches no truth line: ".join(" | ",@why); next; }
  my @free=grep { ($used{$_}//0) < $lines[$_]{count} } @cand; $used{@free ? $free[0] : $cand[0]}++; }
for my $i (0..$#lines) { my $n=$used{$i}//0;
  push @err,"truth line ".($i+1)." count=$lines[$i]{count} but $n connections match" if $n != $lines[$i]{count}; }
# hops lines: each connection of this capture point is the session of
# exactly one delivery, named by its client address and port
if (@hops) { my %named;
  for my $H (@hops) { my $n=0;
    for my $x (split /,/, $H->{sessions}//"") { my ($p,$a,$port)=split / /,$x;
      next unless defined $point && $p eq $point; $n++;
      my @m=grep { ($plain->{$_}{client}//"") eq $a && ($plain->{$_}{cport}//"") eq $port } keys %$plain;
      push @err,"hops delivery $H->{delivery}: no connection from $a:$port at $p" unless @m;
      $named{$_}++ for @m; }
    push @err,"hops delivery $H->{delivery}: no session at point ".($point//"?") unless $n; }
  for my $st (keys %$plain) { my $n=$named{$st}//0;
    push @err,"stream $st: in $n hops deliveries, want 1" if $n != 1; } }
if (@err) { print STDERR "  $_\n" for @err; exit 1; }
my $tot=0; $tot+=$_ for values %used; print "ok ($tot connections, ".scalar(@lines)." truth lines)\n";
'
tshark_dump() {   # PCAP OUT [KEYLOG]
  local opts=(-n -r "$1" -o tcp.desegment_tcp_streams:TRUE -o tls.desegment_ssl_records:TRUE
    -d tcp.port==465,tls -T fields -E separator=/t -E occurrence=a -E aggregator=,)
  [[ -n ${3:-} ]] && opts+=(-o "tls.keylog_file:$3")
  local f; for f in tcp.stream ip.src ip.dst tcp.srcport tcp.dstport tcp.flags.syn tcp.flags.ack \
    smtp.command_line smtp.response.code smtp.rsp.parameter tls.handshake.type tls.handshake.version \
    tls.handshake.extensions.supported_version tls.handshake.ciphersuite \
    tls.handshake.extensions_server_name tls.handshake.certificate tls.alert_message.level \
    tls.alert_message.desc tls.handshake.random; do opts+=(-e "$f"); done
  # IPv6 rows: tshark leaves ip.src empty; fill it from ipv6.*
  tshark "${opts[@]}" -e ipv6.src -e ipv6.dst 2>/dev/null |
    awk -F'\t' 'BEGIN{OFS="\t"} { if ($2=="") { $2=$20; $3=$21 } NF=19; print }' >"$2"
}
verify_capture() {   # DIR NAME
  local d=$1 n=$2 tmp kl=""
  [[ -f $d/$n.pcap && -f $d/$n.truth ]] || { log "verify $n: missing $d/$n.pcap or .truth"; return 1; }
  tmp=$(mktemp -d /tmp/mxw-verify.XXXXXX)
  tshark_dump "$d/$n.pcap" "$tmp/plain"
  [[ -f $d/$n.keylog ]] && { kl=$tmp/keyed; tshark_dump "$d/$n.pcap" "$kl" "$d/$n.keylog"; }
  local res rc=0
  res=$(perl -e "$VERIFY_PL" "$d/$n.truth" "$tmp/plain" "$kl" 2>&1) || rc=1
  rm -rf "$tmp"
  if ((rc)); then log "verify $n: MISMATCH"; printf '%s\n' "$res" >&2; return 1; fi
  log "verify $n: $res"
}

# ===================================================================== main
if [[ $MODE == verify ]]; then
  bad=0
  for s in "${SCENARIOS[@]}"; do verify_capture "$OUT" "$s" || bad=1; done
  ((bad == 0)) || die "some captures do not match their truth"
  exit 0
fi

ensure_packages
new_workdir
make_pki
log "work dir $W, namespaces $RUN-*"

# run each scenario (the captures of a several-point scenario come from one run)
RAN=()
for s in "${SCENARIOS[@]}"; do
  s=$(scenario_of "$s")
  for r in "${RAN[@]}"; do [[ $r == "$s" ]] && continue 2; done
  RAN+=("$s")
  read -ra names <<<"$(captures_of "$s")"
  ok=0
  for attempt in 1 2 3; do
    SC_TAG=$s.$attempt
    log "scenario $s (attempt $attempt)"
    for nm in "${names[@]}"; do rm -f "$W/out/$nm".*; done
    rm -f "$W/hops.truth"
    set +e
    ( set -e; trap scenario_cleanup EXIT; trap 'exit 130' INT TERM; "sc_$s" )
    rc=$?
    set -e
    ((rc != 130)) || exit 130
    if ((rc == 0)); then
      good=1
      for nm in "${names[@]}"; do verify_capture "$W/out" "$nm" || good=0; done
      ((good)) && { ok=1; break; }
    else
      log "scenario $s failed (attempt $attempt)"
    fi
    topo_down
  done
  ((ok)) || die "scenario $s failed 3 times; rerun with MXW_KEEP=1 and look at the logs in the work dir"
done

# everything recorded and verified: install into pcaps/
mkdir -p "$CERTS_OUT"
shared=0
for s in "${RAN[@]}"; do
  own_ca "$s" || shared=1
  read -ra names <<<"$(captures_of "$s")"
  for nm in "${names[@]}"; do
    rm -f "$OUT/$nm.keylog"
    for ext in pcap truth keylog; do
      [[ -f $W/out/$nm.$ext ]] && install -m 644 "$W/out/$nm.$ext" "$OUT/$nm.$ext"
    done
  done
done
for f in "$W"/out/certs/*.pem; do [[ -f $f ]] && install -m 644 "$f" "$CERTS_OUT/"; done
((shared == 0)) || for f in "$W"/shared-certs/*.pem; do install -m 644 "$f" "$CERTS_OUT/"; done
n_shared=0; n_shared_ran=0
seen=" "
for s in "${ALL_SCENARIOS[@]}"; do
  s=$(scenario_of "$s"); own_ca "$s" && continue; [[ $seen == *" $s "* ]] && continue
  seen+="$s "; n_shared=$((n_shared + 1))
  for r in "${RAN[@]}"; do [[ $r == "$s" ]] && n_shared_ran=$((n_shared_ran + 1)); done
done
if ((shared && n_shared_ran < n_shared)); then
  log "NOTE: only some scenarios were recorded; the test CA was regenerated, so captures of the other"
  log "      scenarios now chain to a previous CA. Rerun without arguments before committing."
fi
log "done: $(ls "$OUT"/*.pcap | wc -l) captures in $OUT"

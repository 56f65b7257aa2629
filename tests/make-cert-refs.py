#!/usr/bin/env python3
"""make-cert-refs.py - certificate chains of the third-party captures, by tshark.

For every capture in ../shared/pcaps/*/ this writes
tests/ref/certs/<folder>/<capture>.tsv with one line per Certificate message
tshark decodes:

    stream <TAB> server endpoint <TAB> client endpoint <TAB> side <TAB> SHA-256 of each certificate, leaf first

side is "client" when the message came from the endpoint that sent the
ClientHello (or, without one, did not send the ServerHello), else "server".  Endpoints are written as mxwitness writes them
(1.2.3.4:25, [2001:db8::1]:25).  The SHA-256 is computed here from the DER
bytes tshark extracted, so the reference depends on tshark's TLS dissector
only.  tshark reassembles out-of-order segments only when told to; the
captures whose certificate is visible only that way (google_ssl,
tls_multiple_synack_different_seq) need it, so it is on for all.

Run once by a developer (tshark and python3 needed); the results are
committed and the end-to-end test reads them.  Usage:
    python3 tests/make-cert-refs.py [SHARED_PCAPS_DIR]
"""
import hashlib
import ipaddress
import os
import subprocess
import sys

TSHARK = ["tshark", "-n", "-o", "tcp.reassemble_out_of_order:TRUE",
          "-o", "tcp.desegment_tcp_streams:TRUE", "-o", "tls.desegment_ssl_records:TRUE",
          "-o", "tls.desegment_ssl_application_data:TRUE"]


def endpoint(ip, port):
    a = ipaddress.ip_address(ip)
    return f"[{a.compressed}]:{port}" if a.version == 6 else f"{a}:{port}"


def fields(path, flt, names):
    cmd = TSHARK + ["-r", path, "-Y", flt, "-T", "fields", "-E", "separator=\t",
                    "-E", "occurrence=a", "-E", "aggregator=,"]
    for n in names:
        cmd += ["-e", n]
    out = subprocess.run(cmd, capture_output=True, text=True, check=False).stdout
    rows = []
    for line in out.splitlines():
        parts = line.split("\t")
        parts += [""] * (len(names) - len(parts))
        rows.append(dict(zip(names, parts)))
    return rows


def addr(row, v4, v6):
    # The innermost IP header carries TCP.  tshark lists each field's
    # occurrences in order but not the order of IPv4 against IPv6, so take
    # IPv6 when both are there: 6in4 (protocol 41) is the tunnel these
    # captures hold; 4in6 would need the other choice.
    return row[v6].split(",")[-1] or row[v4].split(",")[-1]


def src(row):
    return endpoint(addr(row, "ip.src", "ipv6.src"), row["tcp.srcport"].split(",")[-1])


def dst(row):
    return endpoint(addr(row, "ip.dst", "ipv6.dst"), row["tcp.dstport"].split(",")[-1])


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    shared = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "..", "shared", "pcaps")
    version = subprocess.run(["tshark", "--version"], capture_output=True,
                             text=True).stdout.splitlines()[0]
    base = ["tcp.stream", "ip.src", "ipv6.src", "tcp.srcport", "ip.dst", "ipv6.dst", "tcp.dstport"]
    for folder in sorted(os.listdir(shared)):
        fdir = os.path.join(shared, folder)
        if not os.path.isdir(fdir):
            continue
        for name in sorted(os.listdir(fdir)):
            if not name.endswith((".pcap", ".pcapng")):
                continue
            path = os.path.join(fdir, name)
            # The server: where the ClientHello went, else who sent the ServerHello.
            servers = {}
            for r in fields(path, "tls.handshake.type == 1", base):
                servers.setdefault(r["tcp.stream"], dst(r))
            for r in fields(path, "tls.handshake.type == 2", base):
                servers.setdefault(r["tcp.stream"], src(r))
            lines = []
            for r in fields(path, "tls.handshake.type == 11", base + ["tls.handshake.certificate"]):
                certs = [c for c in r["tls.handshake.certificate"].split(",") if c]
                if not certs:
                    continue
                s, d = src(r), dst(r)
                server = servers.get(r["tcp.stream"])
                side = "server" if server is None or server == s else "client"
                srv, cli = (s, d) if side == "server" else (d, s)
                fps = [hashlib.sha256(bytes.fromhex(c.replace(":", ""))).hexdigest().upper()
                       for c in certs]
                lines.append("\t".join([r["tcp.stream"], srv, cli, side, ",".join(fps)]))
            if not lines:
                continue
            outdir = os.path.join(here, "ref", "certs", folder)
            os.makedirs(outdir, exist_ok=True)
            with open(os.path.join(outdir, name + ".tsv"), "w") as f:
                f.write(f"# certificate chains in {folder}/{name} as decoded by {version}\n")
                f.write("# made by tests/make-cert-refs.py: " + " ".join(TSHARK) +
                        " -Y 'tls.handshake.type == 11' -T fields -e tls.handshake.certificate ...\n")
                f.write("# stream\tserver\tclient\tside\tsha256 of each certificate, leaf first\n")
                for line in lines:
                    f.write(line + "\n")
            print(f"{folder}/{name}: {len(lines)} certificate message(s)")


if __name__ == "__main__":
    main()

#!/usr/bin/perl
# starttls-mask.pl - a STARTTLS-masking SMTP middlebox for pcaps/record.sh,
# as Cisco PIX/ASA ESMTP inspection behaves: a TCP proxy that forwards each
# connection to the real server and, in the server's replies, overwrites
# the STARTTLS keyword of the EHLO reply with XXXXXXXA (same length).  The
# sender then never sees the offer and goes on in clear.
#
#   starttls-mask.pl LISTEN_ADDR:PORT SERVER_ADDR:PORT BIND_ADDR LOGFILE
#
# Logs one line per connection: "accepted CLIENT PORT via BIND_ADDR PORT",
# the client's address and port outside and the proxy's own inward.
# Uses Perl's base modules only (perl-base on Debian).
use strict;
use warnings;
use IO::Socket::INET;
use IO::Select;
use IO::Handle;

my ($listen, $server, $bind, $logfile) = @ARGV;
die "usage: $0 LISTEN:PORT SERVER:PORT BIND_ADDR LOGFILE\n" unless defined $logfile;
open(my $log, '>>', $logfile) or die "$logfile: $!\n";
$log->autoflush(1);
my $l = IO::Socket::INET->new(LocalAddr => $listen, Listen => 16, ReuseAddr => 1, Proto => 'tcp')
    or die "listen $listen: $!\n";
print $log "listening $listen\n";
$SIG{CHLD} = 'IGNORE';

while (my $c = $l->accept) {
    my $pid = fork;
    die "fork: $!\n" unless defined $pid;
    if ($pid) { close $c; next; }
    close $l;
    my $s = IO::Socket::INET->new(PeerAddr => $server, LocalAddr => $bind, Proto => 'tcp')
        or die "connect $server: $!\n";
    printf $log "accepted %s %d via %s %d\n", $c->peerhost, $c->peerport, $s->sockhost, $s->sockport;
    relay($c, $s);
    exit 0;
}

# relay copies both ways until either side closes; the server's reply lines
# are rewritten until the client asks for STARTTLS itself (after which the
# bytes may be TLS and pass untouched)
sub relay {
    my ($c, $s) = @_;
    my $sel = IO::Select->new($c, $s);
    my ($pending, $mask) = ('', 1);
    while (1) {
        for my $h ($sel->can_read) {
            my $n = sysread($h, my $buf, 16384);
            if (!$n) { shutdown($c, 1); shutdown($s, 1); return; }
            if ($h == $c) {
                $mask = 0 if $buf =~ /^STARTTLS\r?$/mi;
                syswrite($s, $buf);
                next;
            }
            if (!$mask) { syswrite($c, $pending . $buf); $pending = ''; next; }
            $pending .= $buf;
            # whole lines only: a keyword may be split between two reads
            my $cut = rindex($pending, "\n") + 1;
            next unless $cut;
            my $out = substr($pending, 0, $cut, '');
            $out =~ s/^(250[- ])STARTTLS(\r?)$/${1}XXXXXXXA$2/mg;
            syswrite($c, $out);
        }
    }
}

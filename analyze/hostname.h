/*
 * hostname.h - host names as reference identities, and RFC 6125 checks of
 * them against a certificate.
 *
 * A reference identity is the name a client means to reach: an --expect
 * name, the SNI, the MX host name a banner or EHLO reply gives.  Before it
 * is compared with anything it is put in one canonical form
 * (hostname_normalize): ASCII lower case, no trailing dot, every label that
 * is not ASCII turned into its A-label ("bücher" -> "xn--bcher-kva") with
 * our own Punycode encoder (RFC 3492; OpenSSL exports none).
 *
 * Out of scope: the IDNA2008 mapping and validity rules (RFC 5891/5892,
 * UTS #46).  A U-label is encoded as given: no NFC normalisation, no case
 * folding of non-ASCII letters ("BÜCHER" and "bücher" give different
 * A-labels), no mapping of ideographic full stops (U+3002) to '.', no check
 * that its code points are PVALID, and a label that already is an A-label
 * ("xn--...") is not decoded to check it.  Callers that need those give the
 * name in NFC lower case; certificates carry A-labels anyway.
 *
 * The certificate side is OpenSSL's X509_check_host / X509_check_ip_asc:
 * nothing here matches names by hand.
 */
#ifndef MXW_HOSTNAME_H
#define MXW_HOSTNAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct x509_info;

#define HOSTNAME_MAX       253   /* octets of a name, without the trailing dot */
#define HOSTNAME_LABEL_MAX  63   /* octets of one label */
#define HOSTNAME_BUFSZ     (HOSTNAME_MAX + 1)   /* a normalized name and its NUL */

/* hostname_normalize writes the canonical form of the host name |in|
 * (UTF-8, NUL-terminated) into |out| of |outlen| bytes (HOSTNAME_BUFSZ is
 * always enough) and returns true; false, with |out| set to "" when
 * |outlen| > 0, if |in| is not a host name or does not fit.
 *
 * Canonical form: ASCII letters in lower case, one trailing dot removed,
 * every label with a non-ASCII character replaced by "xn--" and its
 * Punycode.  Rejected: NULL or empty input; an empty label (".", "a..b",
 * ".a", "a.."); invalid UTF-8 (overlong forms, surrogates, > U+10FFFF,
 * truncated sequences); after conversion, a character other than a letter,
 * digit or hyphen (so no '_', '*', ' ', or IP-literal brackets); a label that
 * starts or ends with a hyphen (RFC 1123 §2.1, RFC 5891 §4.2.3.1); a label
 * longer than 63 octets or a name longer than 253; a last label made only of
 * digits ("192.0.2.1" is an address, not a name: RFC 3696 §2). */
bool hostname_normalize(const char *in, char *out, size_t outlen);

/* hostname_punycode_encode writes the RFC 3492 Punycode of the |n| code
 * points at |cp| (no "xn--" prefix; basic code points are copied as they
 * are, so case is kept) into |out| of |outlen| bytes, NUL-terminated.
 * Returns the length written, or -1 if a code point is above U+10FFFF, the
 * arithmetic would overflow (RFC 3492 §6.4) or |out| is too small. */
int hostname_punycode_encode(const uint32_t *cp, size_t n, char *out, size_t outlen);

/* hostname_is_ip is true when |name| is an IPv4 address in dotted-quad
 * form or a textual IPv6 address (inet_pton's grammar; no brackets). */
bool hostname_is_ip(const char *name);

/* hostname_fqdn_like is true when |name| is worth checking a certificate
 * against: not NULL, it has a dot, it is no IP address and it normalizes. */
bool hostname_fqdn_like(const char *name);

/* The outcome of hostname_check. */
enum hostname_result {
    HOST_MATCH = 0,    /* a presented identifier matches the name */
    HOST_NO_MATCH,     /* the certificate was read and nothing in it matches */
    HOST_BAD_NAME,     /* |name| is neither a host name (see hostname_normalize) nor an IP address */
    HOST_UNPARSED,     /* the certificate could not be parsed: nothing to compare */
};

/* hostname_result_name returns a stable lower-case name ("match",
 * "no_match", "bad_name", "unparsed"). */
const char *hostname_result_name(enum hostname_result r);

/* hostname_check asks whether the certificate |xi| is valid for the
 * reference identity |name| under RFC 6125:
 *  - a host name is normalized (hostname_normalize) and given to OpenSSL's
 *    X509_check_host with X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS: a '*' must be
 *    a whole left-most label ("*.contoso.com"), matches exactly one label
 *    ("mail.contoso.com", never "a.b.contoso.com" nor "contoso.com"), and
 *    "f*.contoso.com" matches nothing.  OpenSSL also wants two labels or
 *    more after the '*' ("*.example" matches nothing), and lets a
 *    whole-label '*' match an A-label ("*.contoso.com" covers
 *    "xn--bcher-kva.contoso.com", but "xn--*.contoso.com" covers nothing).
 *    The subject CN is consulted only when the certificate has no dNSName
 *    SAN (OpenSSL's default, RFC 6125 §6.4.4);
 *  - an IP address (hostname_is_ip) is compared with the iPAddress SANs by
 *    X509_check_ip_asc (never with a CN or a dNSName).
 * The name is judged first: a bad name is HOST_BAD_NAME whatever the
 * certificate; then a NULL or unparsed |xi| is HOST_UNPARSED.  On HOST_MATCH,
 * when |matched| is not NULL, the presented identifier that matched is
 * written there (|matched_len| bytes, NUL-terminated, cut to fit): the SAN
 * or CN as OpenSSL reports it ("*.contoso.com"), or for an address its
 * canonical text; otherwise |matched| is set to "".  The result is
 * attacker-controlled text: escape it before printing. */
enum hostname_result hostname_check(const struct x509_info *xi, const char *name,
                                    char *matched, size_t matched_len);

#endif

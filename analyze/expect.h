/*
 * expect.h - expectations (pins): what a server should present, and which
 * server each applies to.
 *
 * Grammar (--expect SPEC, and one SPEC per line of --expect-file):
 *
 *   SPEC   = [SERVER "="] PIN
 *   SERVER = IPv4 | IPv6 | IPv4 ":" PORT | "[" IPv6 "]" [":" PORT] | HOST
 *   PIN    = "sha256:" HEX     SHA-256 of the certificate DER
 *          | "spki:" HEX       SHA-256 of its SubjectPublicKeyInfo DER
 *          | "pem:" FILE       every certificate in FILE, as sha256 pins
 *          | "name:" HOST      RFC 6125 match (hostname_check); HOST may be an IP
 *          | "issuer:" TEXT    case-insensitive substring of the RFC 2253 issuer
 *   HEX    = 64 hex digits, either case, optionally as 32 pairs separated by
 *            ':' (as `openssl x509 -fingerprint -sha256` prints them)
 *
 * A SPEC that starts with a pin kind and ':' has no SERVER part (so
 * "pem:/etc/a=b.pem" works); otherwise it is split at its first '='.  Kinds
 * are case-insensitive.  Whitespace around the SPEC, the SERVER and the
 * value is ignored.  A host-name SERVER matches on any port (there is no
 * HOST:PORT form); it is compared with the session's names after
 * hostname_normalize.
 *
 * Which pins apply to a session (expect_lookup): the union of the pins of
 * every rule specific to the server - its IP:PORT, its IP, or a host name
 * equal to one of the names the session showed (SNI, banner, EHLO reply) -
 * and only when no specific rule applies, the rules without SERVER.  Several
 * pins are alternatives: the leaf is as expected when any one matches
 * (renewals, several certificates behind one name).
 */
#ifndef MXW_EXPECT_H
#define MXW_EXPECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "capture/cap_ip.h"

struct x509_info;

/* What a pin compares.  pem:FILE gives EXPECT_SHA256 pins. */
enum expect_kind {
    EXPECT_SHA256 = 0,
    EXPECT_SPKI,
    EXPECT_NAME,
    EXPECT_ISSUER,
};

/* expect_kind_name returns "sha256", "spki", "name" or "issuer". */
const char *expect_kind_name(enum expect_kind k);

/* Which servers a pin applies to (the SERVER part). */
enum expect_scope {
    EXPECT_ANY_SERVER = 0,   /* no SERVER: the fallback */
    EXPECT_IP_PORT,          /* 192.0.2.1:25, [2001:db8::1]:25 */
    EXPECT_IP,               /* 192.0.2.1, 2001:db8::1, [2001:db8::1] */
    EXPECT_HOST,             /* mail.contoso.com (a session name) */
};

/* expect_scope_name returns "any", "ip_port", "ip" or "host". */
const char *expect_scope_name(enum expect_scope s);

/* expect_size: what a certificate of a pem: FILE tells about the size of a
 * TLS 1.3 server flight carrying it, which a session without a key log
 * shows where the certificate itself is encrypted (analyze/judge.c predicts
 * the flight from it).  Lower bounds are safe ones: a real certificate or
 * signature is never smaller. */
struct expect_size {
    uint32_t der_len;        /* its DER length; 0: not from a pem: FILE */
    bool self_issued;        /* its subject is its issuer: nothing certifies it in a chain */
    uint8_t *issuer_der;     /* its issuer's name (DER), to look the issuer up among the
                                trust anchors (a server need not send an anchor) */
    size_t issuer_der_len;
    uint32_t issuer_min;     /* at least this many DER bytes for its issuer's certificate:
                                the issuer's name, a public key of the kind and size the
                                signature shows, and 128 for the rest a certificate holds */
    uint32_t cv_min;         /* at least this many bytes for a TLS 1.3 CertificateVerify
                                signature by its key (RSA: the modulus; ECDSA: DER of two
                                integers each at most a byte short; EdDSA: fixed); 0: unknown */
};

/* expect_pin is one acceptable certificate property, with where it came
 * from.  Owned by its expect_set, read-only for everyone else, valid until
 * expect_free.  Strings are NUL-terminated and come from the user's command
 * line or files. */
struct expect_pin {
    enum expect_kind kind;
    uint8_t hash[32];        /* EXPECT_SHA256, EXPECT_SPKI */
    char *value;             /* EXPECT_NAME: normalized host name or canonical address;
                                EXPECT_ISSUER: the text as written; NULL otherwise */
    char *pem_file;          /* a sha256 pin from pem:FILE: FILE as written, else NULL */
    unsigned pem_index;      /* ... the certificate's place in FILE (1-based) */
    unsigned pem_count;      /* ... and how many FILE holds */
    char *subject;           /* ... its subject (RFC 2253, as x509_info.subject), or NULL */
    struct expect_size size; /* ... and the sizes it implies for a TLS 1.3 flight */

    char *spec;              /* the whole SPEC, without the whitespace around it and '=' */
    char *origin;            /* "--expect" or "expected.conf:3" (as given to expect_add) */
    size_t rule;             /* 0-based index of the SPEC in its set; pins of one pem: share it */

    enum expect_scope scope;
    char *server;            /* the SERVER part as written; NULL for EXPECT_ANY_SERVER */
    struct cap_addr addr;    /* EXPECT_IP_PORT, EXPECT_IP */
    uint16_t port;           /* EXPECT_IP_PORT */
    char *host;              /* EXPECT_HOST: normalized */
};

struct expect_set;

/* expect_new returns an empty set, or NULL when out of memory. */
struct expect_set *expect_new(void);

/* expect_free frees |set| and every pin in it.  NULL is a no-op. */
void expect_free(struct expect_set *set);

/* expect_add parses one SPEC and adds its pins.  |origin| says where it
 * came from ("--expect", "expected.conf:7"; NULL means "--expect") and is
 * copied into each pin.  A relative pem: FILE is opened relative to the
 * current directory.  Returns 0, or -1 with the set unchanged and a one-line
 * message in |err| (|errlen| bytes, NUL-terminated, may be cut) of the form
 *   ORIGIN 'SPEC': REASON      (--expect 'mail=sha256:12': sha256 needs 64 hex digits, got 2)
 * Errors: no pin kind or an unknown one, a hash that is not 64 hex digits, an
 * empty, unparsable or misbracketed SERVER, a port not in 1-65535, a
 * host name with a port, a bad name: value, an empty value, a pem: FILE that
 * cannot be read, holds no certificate, or holds a block that does not
 * parse; -1 also when out of memory. */
int expect_add(struct expect_set *set, const char *spec, const char *origin,
               char *err, size_t errlen);

/* expect_add_file adds every SPEC in the file at |path|: one per line;
 * leading and trailing whitespace, blank lines, whole-line '#' comments and
 * '#' comments that follow whitespace are ignored.  Each pin's origin is
 * "PATH:LINE".  A relative pem: FILE is opened relative to the directory
 * of |path| (and shown as written).  Returns 0, or -1 with a one-line
 * message in |err|: "PATH:LINE: REASON" for a bad line (unknown pin kind
 * 'sha1'), "PATH: cannot read: REASON" (the OS reason) when the file cannot
 * be read.  On error no pin from the file stays in the set. */
int expect_add_file(struct expect_set *set, const char *path, char *err, size_t errlen);

/* expect_count returns the number of SPECs (rules) in |set|; expect_pin_count
 * the number of pins (a pem: rule gives one per certificate). */
/* expect_swap exchanges the expectations of |a| and |b|: SIGHUP reads the
 * files into a new set and, when every one was read, swaps it into the
 * set the judge holds (then frees the old one in |b|). */
void expect_swap(struct expect_set *a, struct expect_set *b);

size_t expect_count(const struct expect_set *set);
size_t expect_pin_count(const struct expect_set *set);

/* expect_pin_at returns the |i|th pin in the order they were added, or NULL
 * past the end. */
const struct expect_pin *expect_pin_at(const struct expect_set *set, size_t i);

/* expect_target is the session a lookup is for. */
struct expect_target {
    struct cap_addr addr;        /* the server's address (session.server) */
    uint16_t port;               /* its port (session.sport) */
    const char *const *names;    /* host names the session showed: SNI, banner host
                                    name, EHLO-reply host name; NULL entries and
                                    names that do not normalize are skipped */
    size_t nnames;
};

/* expect_lookup finds the pins that apply to |t| (see the top of this
 * file), in the order they were added, stores the first |max| of them in
 * |out| and returns how many apply (more than |max| means some were left
 * out; 0: nothing is expected of this server).  The pointers are owned by
 * |set|.  A NULL |t| gets the pins without SERVER. */
size_t expect_lookup(const struct expect_set *set, const struct expect_target *t,
                     const struct expect_pin **out, size_t max);

/* expect_pin_matches is true when the certificate |leaf| has what |pin|
 * asks for.  A sha256 pin also matches a certificate OpenSSL could not parse
 * (its hash is known); the other kinds never do.  NULL |leaf| is false. */
bool expect_pin_matches(const struct expect_pin *pin, const struct x509_info *leaf);

/* expect_pin_describe writes a short text for finding messages into |buf|
 * (|len| bytes, NUL-terminated, cut at a UTF-8 character boundary):
 *   sha256:4AC5E1…C2ED0C (pem:certs/mail.pem, expected.conf:3)
 *   sha256:4AC5E1…C2ED0C (pem:certs/chain.pem #2 of 3, expected.conf:3)
 *   spki:9F00AB…0012CD (--expect)
 *   name:mail.contoso.com (--expect)
 *   issuer:Let's Encrypt (expected.conf:4)
 * Hashes are abbreviated to their first and last six hex digits (uppercase);
 * pin->hash has all of it. */
void expect_pin_describe(const struct expect_pin *pin, char *buf, size_t len);

#endif

/*
 * evidence.h - what one capture point shows of a box that terminates the
 * session in front of the server (issue 12), each piece with its strength.
 *
 * Evidence is never proof: a pattern of a known product in the certificate
 * or the banner, names that contradict each other, the masked STARTTLS of a
 * firewall's inspection.  Each item says what was seen, what was expected
 * instead, how strong it is, and for a product pattern which product and the
 * source the pattern comes from (analyze/products.txt, compiled in).
 *
 *   session + its parsed chain --> evidence_session --> struct evidence
 *       --> KNOWN_INTERCEPTOR (a product pattern matched)
 *       --> TLS_TERMINATOR_SUSPECTED (the items together reach "likely")
 *
 * The items are in the analysed record (pipeline.h) for every consumer:
 * JSON `mxwitness.evidence`, the text block, the HTML report.
 */
#ifndef MXW_EVIDENCE_H
#define MXW_EVIDENCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analyze/findings.h"
#include "analyze/x509.h"
#include "dissect/session.h"

#define EVIDENCE_MAX      12     /* items kept per session */
#define EVIDENCE_TEXT_MAX 200    /* bytes of |seen| and |expected| */

enum evidence_kind {
    EV_PRODUCT_CERTIFICATE = 0,  /* the leaf's subject or issuer is a product's */
    EV_PRODUCT_BANNER,           /* the greeting is a product's */
    EV_PRODUCT_EHLO,             /* an EHLO keyword is a product's (a masked STARTTLS) */
    EV_NAMES,                    /* banner / EHLO / certificate names against the expected server */
    EV_STARTTLS_MASKED,          /* STARTTLS overwritten in the EHLO reply: stripped on the way */
    EV_SENDER_REPLY,             /* the sender's own words: Office 365's 4.4.317 / 4.4.318 */
    EV_TTL,                      /* the server's TTL / hop limit against its other sessions */
    EV_TCP_FINGERPRINT,          /* the responder's TCP options against its other sessions */
    EV_TIMING,                   /* SYN answered at once, banner or ServerHello late */
    EV_KIND_COUNT
};

enum evidence_strength {
    EV_WEAK = 1,                 /* consistent with a box in front; many innocent causes */
    EV_MEDIUM,                   /* points at a box in front; few innocent causes */
    EV_STRONG,                   /* a box in front is the plain reading */
};

struct evidence_item {
    enum evidence_kind kind;
    enum evidence_strength strength;
    char seen[EVIDENCE_TEXT_MAX];      /* what the packets show */
    char expected[EVIDENCE_TEXT_MAX];  /* what the expected server would show, "" if unknown */
    const char *product;               /* product patterns: its name, else NULL */
    const char *source;                /* product patterns: where the pattern comes from */
};

struct evidence {
    struct evidence_item v[EVIDENCE_MAX];
    size_t n;
    size_t dropped;                    /* items beyond EVIDENCE_MAX */
    bool suspected;                    /* TLS_TERMINATOR_SUSPECTED was raised */
};

const char *evidence_kind_name(enum evidence_kind k);      /* "product_certificate" */
const char *evidence_strength_name(enum evidence_strength s); /* "weak" "medium" "strong" */

struct evidence_ctx;

/* evidence_new returns a context (NULL on allocation failure): the product
 * patterns compiled once.  |reproducible| (files: the same capture must
 * give the same evidence on every run) keys the address table from the
 * first session with a network layer, which no sender can aim at when it
 * does not know the capture's first connection to the microsecond; else
 * (a live capture) from getentropy. */
struct evidence_ctx *evidence_new(bool reproducible);
void evidence_free(struct evidence_ctx *cx);

/* evidence_products returns the number of product entries compiled in. */
size_t evidence_products(const struct evidence_ctx *cx);

/* evidence_session gathers the items of one session into |*ev| and adds
 * KNOWN_INTERCEPTOR and TLS_TERMINATOR_SUSPECTED to |fs| (not sorted again:
 * the caller sorts).  |chain| is the parsed server chain as presented (|n|
 * entries, leaf first), |expected_name| the name of the server the session
 * was expected to reach (NULL or "" if none: then the SNI stands for it),
 * |expected_leaf| whether the presented leaf is the expected one (false when
 * unknown).  |cx| NULL: no evidence. */
void evidence_session(struct evidence_ctx *cx, const struct session *s,
                      const struct x509_info *const *chain, size_t n,
                      const char *expected_name, bool expected_leaf, struct evidence *ev,
                      struct findings *fs);

#endif

/*
 * smtp.c - the SMTP dialogue of one connection (RFC 5321) up to STARTTLS
 * (RFC 3207), with message content (DATA, BDAT) and AUTH exchanges skipped.
 *
 * The two directions are parsed separately, each from its own reassembled
 * stream, and tied together the way the protocol ties them: replies come in
 * the order of the commands they answer (RFC 5321 §4.3, RFC 2920 for
 * PIPELINING), so every command that expects a reply goes into a bounded
 * FIFO and each complete reply pops its head.  That is how the reply to
 * STARTTLS, DATA, AUTH or EHLO is recognised even when the client pipelined
 * several commands into one segment.
 *
 * Three commands change what the client's following bytes are, and only the
 * server's reply says how: after STARTTLS they are TLS (220) or more
 * commands; after DATA they are message content (354) or more commands;
 * after AUTH they are a credential line (334) or more commands.  The client
 * direction therefore stops consuming after such a command and resumes once
 * the reply is known: guessing would either pass message content or
 * credentials to the transcript as commands, or hide commands.  A compliant
 * client sends nothing there before the reply anyway (RFC 3207 §4, RFC 5321
 * §4.1.1.4, RFC 4954 §4), so in practice nothing is held back.
 *
 * Where a parse stops (SMTP_MODE_STOPPED), smtp_feed returns the offset of
 * the line that could not be parsed: everything before it was parsed, it and
 * everything after are left unconsumed, and later calls for that direction
 * consume nothing.  A caller may hand those bytes elsewhere (a ClientHello
 * sent in clear is still a ClientHello) or drop them.
 *
 * Nothing here indexes raw bytes: every read goes through struct cbs.
 */
#include "dissect/smtp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Commands answered but not yet replied to.  Consecutive commands of the
 * same kind share a slot (a count), so a client pipelining hundreds of
 * RCPT TO lines needs one slot; when the slots run out the client direction
 * waits for replies to drain them (its bytes stay unconsumed). */
#define SMTP_MAX_PENDING 64

/* RFC 4954 §4: an AUTH command line carrying an initial response may be up to
 * 12288 octets (GSSAPI tokens); other lines keep SMTP_MAX_LINE. */
#define SMTP_MAX_AUTH_LINE 12288

static const char credentials_omitted[] = "[credentials omitted]";

enum cmd_kind {
    K_OTHER = 0,
    K_HELO,
    K_EHLO,
    K_STARTTLS,   /* STARTTLS or Exchange's X-ANONYMOUSTLS */
    K_AUTH,
    K_DATA,
    K_BDAT,
    K_MAIL,
    K_RCPT,
    K_QUIT,
    K_DOT,        /* the "." that ends DATA content: the server replies to it */
};

/* A command whose reply decides what the client's next bytes are. */
static bool kind_blocks(enum cmd_kind k)
{
    return k == K_STARTTLS || k == K_AUTH || k == K_DATA;
}

struct pending {
    enum cmd_kind kind;
    uint32_t count;
};

/* What the client direction is reading now. */
enum cstate {
    C_TEXT = 0,    /* command lines */
    C_WAIT,        /* after STARTTLS/DATA/AUTH: held until the reply is known */
    C_AUTH_RESP,   /* the server sent 334: one credential line follows */
    C_CONTENT,     /* DATA content up to <CRLF>.<CRLF> */
    C_BDAT,        /* a BDAT chunk of known length */
    C_TLS,
    C_STOPPED,
};

enum sstate { S_TEXT = 0, S_TLS, S_STOPPED };

/* Where the DATA content scanner stands relative to <CRLF>.<CRLF>. */
enum dotstate {
    D_MID = 0,  /* inside a line */
    D_CR,       /* inside a line, just after CR */
    D_BOL,      /* at the start of a line that followed CRLF */
    D_DOT,      /* "." at the start of such a line */
    D_DOTCR,    /* ".\r" there */
};

/* Which request a server reply answers. */
enum reply_to { RT_GREETING = 0, RT_PENDING, RT_UNSOLICITED };

struct smtp {
    struct smtp_facts f;
    struct smtp_cbs cbs;
    void *user;

    enum cstate cst;
    enum sstate sst;

    size_t qhead, qlen;        /* of the ring buffer q (below) */

    enum cmd_kind last_kind;   /* the client's last command */

    /* DATA content / BDAT chunk / AUTH credential line in progress. */
    enum dotstate dot;
    bool content_gap;        /* bytes of the content went missing */
    uint64_t chunk;          /* bytes of this message or chunk so far */
    uint64_t bdat_left;

    /* The reply being read (multi-line replies span lines and feeds). */
    bool greeted;
    bool in_reply;
    enum reply_to rto;
    enum cmd_kind rkind;
    char *rfirst;                     /* its first line, without CRLF: rfirst_small, or
                                         rfirst_big when the line does not fit */
    size_t rfirst_len;
    char *rfirst_big;                 /* SMTP_MAX_LINE + 1 bytes, once needed */

    /* An EHLO reply's keywords, committed when the reply turns out 2xx:
     * NUL-terminated one after the other in st_buf, st_off[i] where the i-th
     * starts.  st_buf is st_small until the keywords outgrow it, then the
     * heap.  At the commit the keywords move to caps_block (cut from the
     * slab while it has room; a heap st_buf is taken over as it is) and
     * f.caps point into it. */
    char *st_buf;
    size_t st_len, st_cap;
    size_t st_ncaps;
    char *caps_block;
    char *st_auth;
    bool st_auth_new;        /* st_auth came from "AUTH mechs", not "AUTH=mechs" */
    bool st_starttls, st_xanon;

    /* Short strings of the facts (banner, EHLO argument, host names, the
     * STARTTLS reply, the EHLO keywords) are cut from this slab while it
     * has room, instead of one malloc each; the slab is never reused, so it
     * is bounded by its size and longer or later strings go to the heap as
     * before.  The last reply, replaced at every reply, keeps one buffer and
     * its size: last_reply_small, or the heap once a longer one came. */
    size_t slab_used;
    size_t last_reply_cap;

    /* From here on nothing is read before it is written, so smtp_new
     * leaves it uncleared: clearing these 1.5 KB for every connection
     * would cost more than a reply line's parse. */
    struct pending q[SMTP_MAX_PENDING];   /* ring buffer */
    uint32_t st_off[SMTP_MAX_CAPS];
    char rfirst_small[160];
    char st_small[256];
    char slab[448];
    char last_reply_small[128];           /* the last reply while it fits */
};

static const char *const stop_names[SMTP_STOP_COUNT] = {
    [SMTP_STOP_NONE] = "none",
    [SMTP_STOP_LINE_TOO_LONG] = "line_too_long",
    [SMTP_STOP_NOT_SMTP] = "not_smtp",
    [SMTP_STOP_GAP] = "gap",
};

const char *smtp_stop_name(enum smtp_stop s)
{
    return (unsigned)s < SMTP_STOP_COUNT ? stop_names[s] : "unknown";
}

/* ---- small helpers -------------------------------------------------- */

static bool is_digit(uint8_t b)
{
    return b >= '0' && b <= '9';
}

static bool in_slab(const struct smtp *s, const char *p)
{
    uintptr_t a = (uintptr_t)p, lo = (uintptr_t)s->slab;

    return a >= lo && a < lo + sizeof(s->slab);
}

/* Free a fact string (heap or slab). */
static void free_str(struct smtp *s, char *p)
{
    if (p && !in_slab(s, p))
        free(p);
}

/* Replace *|dst| with a copy of |src| (in the slab while it has room).  On
 * allocation failure the fact is simply absent (NULL): losing a string is
 * better than losing the parse. */
static void set_str(struct smtp *s, char **dst, const struct cbs *src)
{
    size_t n = cbs_len(src);

    free_str(s, *dst);
    if (n < sizeof(s->slab) - s->slab_used) {
        char *p = s->slab + s->slab_used;

        if (n)
            memcpy(p, cbs_data(src), n);
        p[n] = '\0';
        s->slab_used += n + 1;
        *dst = p;
        return;
    }
    *dst = cbs_strdup(src);
}

/* The last reply: one buffer, last_reply_small or, once a longer line
 * comes, the heap. */
static void set_last_reply(struct smtp *s, const struct cbs *src)
{
    char **dst = &s->f.last_reply;
    size_t n = cbs_len(src);

    if (!*dst && n < sizeof(s->last_reply_small)) {
        *dst = s->last_reply_small;
        s->last_reply_cap = sizeof(s->last_reply_small);
    } else if (!*dst || n + 1 > s->last_reply_cap) {
        if (*dst != s->last_reply_small)
            free(*dst);
        s->last_reply_cap = 0;
        if ((*dst = malloc(n + 1)) == NULL)
            return;
        s->last_reply_cap = n + 1;
    }
    if (n)
        memcpy(*dst, cbs_data(src), n);
    (*dst)[n] = '\0';
}

static void skip_spaces(struct cbs *c)
{
    uint8_t b;

    while (cbs_peek_u8(c, &b) && (b == ' ' || b == '\t'))
        cbs_skip(c, 1);
}

static void report(struct smtp *s, enum tcp_dir dir, uint64_t ts, enum smtp_line_kind kind,
                   const struct cbs *line, size_t arg_off)
{
    if (s->cbs.on_line)
        s->cbs.on_line(s->user, dir, ts, kind, line, arg_off);
}

static void report_str(struct smtp *s, enum tcp_dir dir, uint64_t ts, enum smtp_line_kind kind,
                       const char *text, size_t len)
{
    struct cbs c;

    cbs_init(&c, (const uint8_t *)text, len);
    report(s, dir, ts, kind, &c, 0);
}

static void stop(struct smtp *s, enum tcp_dir dir, enum smtp_stop why)
{
    if (s->f.stop == SMTP_STOP_NONE) {
        s->f.stop = why;
        s->f.stop_dir = dir;
    }
    if (dir == TCP_TO_SERVER)
        s->cst = C_STOPPED;
    else
        s->sst = S_STOPPED;
}

/* ---- the FIFO of commands awaiting a reply -------------------------- */

static struct pending *q_at(struct smtp *s, size_t i)
{
    return &s->q[(s->qhead + i) % SMTP_MAX_PENDING];
}

static bool q_room(struct smtp *s, enum cmd_kind k)
{
    if (s->qlen < SMTP_MAX_PENDING)
        return true;
    return !kind_blocks(k) && q_at(s, s->qlen - 1)->kind == k &&
           q_at(s, s->qlen - 1)->count < UINT32_MAX;
}

/* Callers check q_room first. */
static void q_push(struct smtp *s, enum cmd_kind k)
{
    struct pending *tail = s->qlen ? q_at(s, s->qlen - 1) : NULL;

    if (tail && tail->kind == k && !kind_blocks(k) && tail->count < UINT32_MAX) {
        tail->count++;
        return;
    }
    if (s->qlen == SMTP_MAX_PENDING)
        return;
    s->qlen++;
    tail = q_at(s, s->qlen - 1);
    tail->kind = k;
    tail->count = 1;
}

static void q_pop(struct smtp *s)
{
    struct pending *head;

    if (!s->qlen)
        return;
    head = q_at(s, 0);
    if (--head->count == 0) {
        s->qhead = (s->qhead + 1) % SMTP_MAX_PENDING;
        s->qlen--;
    }
}

/* ---- RFC 3463 enhanced status codes --------------------------------- */

/* 1*3digit, at most 999. */
static bool get_number3(struct cbs *c, unsigned *out)
{
    unsigned v = 0, n = 0;
    uint8_t b;

    while (n < 3 && cbs_peek_u8(c, &b) && is_digit(b)) {
        cbs_skip(c, 1);
        v = v * 10 + (unsigned)(b - '0');
        n++;
    }
    *out = v;
    return n > 0;
}

/*
 * RFC 3463 §2:
 *   status-code = class "." subject "." detail
 *   class       = "2" / "4" / "5"
 *   subject     = 1*3digit
 *   detail      = 1*3digit
 * RFC 2034 §4 puts it first in the reply text, followed by SP.  So a code
 * must end there: "4.7.3200" or "4.7.1." are not codes.
 */
bool smtp_enhanced_code(const struct cbs *text, unsigned *cls, unsigned *subject,
                        unsigned *detail)
{
    struct cbs c = *text;
    unsigned k, sub, det;
    uint8_t b, dot1, dot2;

    if (!cbs_get_u8(&c, &b) || (b != '2' && b != '4' && b != '5'))
        return false;
    k = (unsigned)(b - '0');
    if (!cbs_get_u8(&c, &dot1) || dot1 != '.' || !get_number3(&c, &sub) ||
        !cbs_get_u8(&c, &dot2) || dot2 != '.' || !get_number3(&c, &det))
        return false;
    if (cbs_peek_u8(&c, &b) && b != ' ' && b != '\t')
        return false;
    if (cls)
        *cls = k;
    if (subject)
        *subject = sub;
    if (detail)
        *detail = det;
    return true;
}

/* ---- server side: replies ------------------------------------------- */

/*
 * RFC 5321 §4.2:
 *   Reply-line     = *( Reply-code "-" [ textstring ] CRLF )
 *                    Reply-code [ SP textstring ] CRLF
 *   Reply-code     = %x32-35 %x30-35 %x30-39
 * We accept any three digits (RFC 821's 1yz replies, odd servers) but
 * insist on the digits and the separator: anything else is not SMTP.
 */
static bool parse_reply_line(const struct cbs *line, unsigned *code, bool *last,
                             struct cbs *text)
{
    struct cbs c = *line;
    unsigned v = 0;
    uint8_t b;

    for (int i = 0; i < 3; i++) {
        if (!cbs_get_u8(&c, &b) || !is_digit(b))
            return false;
        v = v * 10 + (unsigned)(b - '0');
    }
    if (!cbs_get_u8(&c, &b))
        *last = true;               /* "250" alone: allowed, no text */
    else if (b == ' ')
        *last = true;
    else if (b == '-')
        *last = false;
    else
        return false;
    *code = v;
    *text = c;
    return true;
}

/* reply_prefix_ok is false when the start of an incomplete server line
 * already cannot become a reply (a TLS record, an HTTP response): no need to
 * wait for a line feed that may never come. */
static bool reply_prefix_ok(const struct cbs *partial)
{
    struct cbs c = *partial;
    uint8_t b;

    for (int i = 0; i < 3; i++) {
        if (!cbs_get_u8(&c, &b))
            return true;
        if (!is_digit(b))
            return false;
    }
    if (!cbs_get_u8(&c, &b))
        return true;
    return b == ' ' || b == '-' || b == '\r';
}

/* The text of a stored first line: what follows "DDD" and its separator. */
static struct cbs first_line(const struct smtp *s)
{
    struct cbs c;

    cbs_init(&c, (const uint8_t *)s->rfirst, s->rfirst_len);
    return c;
}

static struct cbs first_text(const struct smtp *s)
{
    struct cbs c = first_line(s);

    if (!cbs_skip(&c, 4))
        cbs_skip(&c, cbs_len(&c));
    return c;
}

/* The host name a greeting or EHLO/HELO reply starts with (RFC 5321
 * §4.1.1.1, §4.2: Domain first).  Some servers put an enhanced status code
 * before it ("554 5.7.1 mx.example.com ..."), which is not a host. */
static void host_word(struct cbs text, struct cbs *host)
{
    if (smtp_enhanced_code(&text, NULL, NULL, NULL)) {
        cbs_get_word(&text, host);
        skip_spaces(&text);
    }
    cbs_get_word(&text, host);
}

static void stage_clear(struct smtp *s)
{
    s->st_ncaps = 0;
    s->st_len = 0;
    free_str(s, s->st_auth);
    s->st_auth = NULL;
    s->st_auth_new = false;
    s->st_starttls = s->st_xanon = false;
}

/*
 * RFC 5321 §4.1.1.1: the EHLO reply's first line names the server; every
 * following line is "ehlo-keyword *(SP ehlo-param)".  Keywords are case-
 * insensitive, so they are kept upper-cased.  AUTH's parameters are the
 * SASL mechanisms (RFC 4954 §3); "AUTH=LOGIN PLAIN" is the pre-standard
 * form old Outlook clients needed, used only when the standard one is
 * absent.
 */
static void stage_keyword_line(struct smtp *s, const struct cbs *text)
{
    struct cbs c = *text, kw, args;
    size_t kn;
    char *up = NULL;
    uint8_t b;

    if (s->st_ncaps < SMTP_MAX_CAPS && cbs_len(text) < s->st_cap - s->st_len) {
        /* Room for any keyword of this line: copy it upper-cased while
         * looking for its end, one pass instead of two. */
        struct cbs scan = *text;   /* not |c|: its address escapes, and the
                                      char stores would reload it */

        up = s->st_buf + s->st_len;
        for (kn = 0; cbs_peek_u8(&scan, &b) && b != ' ' && b != '\t'; kn++) {
            cbs_skip(&scan, 1);
            up[kn] = (char)((unsigned)b - 'a' < 26u ? b - ('a' - 'A') : b);
        }
        cbs_init(&kw, cbs_data(text), kn);
        c = scan;
    } else {
        cbs_get_word(&c, &kw);
        kn = cbs_len(&kw);
    }
    if (kn == 0)
        return;
    skip_spaces(&c);
    args = c;
    if (cbs_eq_nocase(&kw, "STARTTLS"))
        s->st_starttls = true;
    else if (cbs_eq_nocase(&kw, "X-ANONYMOUSTLS"))
        s->st_xanon = true;
    if (cbs_eq_nocase(&kw, "AUTH") && !s->st_auth_new) {
        set_str(s, &s->st_auth, &args);
        s->st_auth_new = true;
    } else if (!s->st_auth && cbs_starts_nocase(&kw, "AUTH=")) {
        struct cbs old = *text;

        cbs_skip(&old, 5);
        set_str(s, &s->st_auth, &old);
    }
    if (s->st_ncaps >= SMTP_MAX_CAPS)
        return;
    if (!up) {
        /* at most SMTP_MAX_CAPS keywords of at most SMTP_MAX_LINE bytes */
        if (s->st_len + kn + 1 > s->st_cap) {
            size_t cap = s->st_cap;
            char *nb;

            while (cap < s->st_len + kn + 1)
                cap *= 2;
            if (s->st_buf == s->st_small) {
                if ((nb = malloc(cap)) == NULL)
                    return;
                memcpy(nb, s->st_small, s->st_len);
            } else if ((nb = realloc(s->st_buf, cap)) == NULL) {
                return;
            }
            s->st_buf = nb;
            s->st_cap = cap;
        }
        /* Bytes after a NUL in a keyword are folded too, though as a C
         * string no reader ever sees them. */
        up = s->st_buf + s->st_len;
        for (struct cbs k = kw; cbs_get_u8(&k, &b);)
            *up++ = (char)((unsigned)b - 'a' < 26u ? b - ('a' - 'A') : b);
        up -= kn;
    }
    up[kn] = '\0';
    s->st_off[s->st_ncaps++] = (uint32_t)s->st_len;
    s->st_len += kn + 1;
}

static void stage_commit(struct smtp *s)
{
    struct smtp_facts *f = &s->f;
    struct cbs host;

    host_word(first_text(s), &host);
    set_str(s, &f->ehlo_host, &host);
    /* the staged keywords become the facts' block */
    free_str(s, s->caps_block);
    s->caps_block = NULL;
    if (s->st_ncaps && s->st_buf != s->st_small) {
        s->caps_block = s->st_buf;
        s->st_buf = s->st_small;
        s->st_cap = sizeof(s->st_small);
    } else if (s->st_ncaps) {
        if (s->st_len <= sizeof(s->slab) - s->slab_used) {
            s->caps_block = s->slab + s->slab_used;
            s->slab_used += s->st_len;
        } else {
            s->caps_block = malloc(s->st_len);
        }
        if (s->caps_block)
            memcpy(s->caps_block, s->st_buf, s->st_len);
    }
    for (size_t i = 0; s->caps_block && i < s->st_ncaps; i++)
        f->caps[i] = s->caps_block + s->st_off[i];
    f->ncaps = s->caps_block ? s->st_ncaps : 0;
    s->st_ncaps = 0;
    s->st_len = 0;
    free_str(s, f->auth_mechs);
    f->auth_mechs = s->st_auth;
    s->st_auth = NULL;
    f->starttls_offered |= s->st_starttls;
    f->x_anonymoustls_offered |= s->st_xanon;
    stage_clear(s);
}

static void note_tls_error(struct smtp *s, unsigned code, uint64_t ts)
{
    struct cbs text = first_text(s), enh;
    unsigned cls, subject, detail;
    struct smtp_tls_error *e;
    struct cbs whole = first_line(s);

    if (!smtp_enhanced_code(&text, &cls, &subject, &detail) || cls < 4 || subject != 7)
        return;
    if (s->f.ntls_errors >= SMTP_MAX_TLS_ERRORS)
        return;
    cbs_get_word(&text, &enh);
    e = &s->f.tls_errors[s->f.ntls_errors++];
    e->ts_us = ts;
    e->code = code;
    e->enhanced = cbs_strdup(&enh);
    e->text = cbs_strdup(&whole);
}

/* The client's held bytes may now be read as commands again. */
static void client_resume(struct smtp *s)
{
    if (s->cst == C_WAIT || s->cst == C_AUTH_RESP)
        s->cst = C_TEXT;
}

/* The reply to the command at the head of the FIFO is complete. */
/* The server said 354: the client's bytes after DATA are message content. */
static void start_content(struct smtp *s)
{
    s->cst = C_CONTENT;
    s->dot = D_BOL;   /* the CRLF of "DATA" counts: ".\r\n" at once is an empty message */
    s->chunk = 0;
    s->content_gap = false;
    s->f.data_in_clear = true;
}

static void reply_to_command(struct smtp *s, enum cmd_kind kind, unsigned code, uint64_t ts)
{
    struct smtp_facts *f = &s->f;
    unsigned cls = code / 100;
    struct cbs c;

    /* RFC 5321 §4.3.2: 354 answers DATA and nothing else.  If it arrives
     * for another command the FIFO is out of step (a server that sent one
     * reply too many or too few); the client's next bytes are message
     * content all the same, and treating them as commands would put the
     * message into the transcript. */
    if (code == 354 && kind != K_DATA && s->qlen &&
        q_at(s, s->qlen - 1)->kind == K_DATA) {
        while (s->qlen > 1)
            q_pop(s);
        kind = K_DATA;
    }
    switch (kind) {
    case K_EHLO:
        if (cls == 2)
            stage_commit(s);
        else
            stage_clear(s);
        break;
    case K_HELO:
        if (cls == 2) {
            struct cbs host;

            host_word(first_text(s), &host);
            set_str(s, &f->ehlo_host, &host);
        }
        break;
    case K_STARTTLS:
        /* RFC 3207 §4: 220 to go ahead.  Clients (Postfix, Exim, OpenSSL's
         * s_client) start the handshake on any 2yz, so we follow them. */
        f->starttls_code = code;
        c = first_line(s);
        set_str(s, &f->starttls_reply, &c);
        if (cls == 2) {
            f->tls_started = true;
            f->tls_start_us = ts;
            s->sst = S_TLS;
            if (s->cst == C_WAIT)
                s->cst = C_TLS;
        } else {
            client_resume(s);
        }
        break;
    case K_AUTH:
        /* RFC 4954 §4: 334 carries a challenge and asks for one more
         * response line; anything else ends the exchange. */
        if (cls == 3) {
            if (s->cst == C_WAIT)
                s->cst = C_AUTH_RESP;
            return;   /* the AUTH stays at the head for the next reply */
        }
        client_resume(s);
        break;
    case K_DATA:
        if (cls == 3 && s->cst == C_WAIT) {
            start_content(s);
        } else {
            client_resume(s);
        }
        break;
    case K_OTHER:
    case K_BDAT:
    case K_MAIL:
    case K_RCPT:
    case K_QUIT:
    case K_DOT:
        break;
    }
    q_pop(s);
}

static void finish_reply(struct smtp *s, unsigned code, uint64_t ts)
{
    struct smtp_facts *f = &s->f;
    struct cbs whole = first_line(s);

    s->in_reply = false;
    f->replies++;
    f->last_code = code;
    set_last_reply(s, &whole);
    note_tls_error(s, code, ts);
    switch (s->rto) {
    case RT_GREETING: {
        struct cbs host;

        s->greeted = true;
        f->greeting_code = code;
        set_str(s, &f->banner, &whole);
        host_word(first_text(s), &host);
        set_str(s, &f->banner_host, &host);
        break;
    }
    case RT_PENDING:
        reply_to_command(s, s->rkind, code, ts);
        break;
    case RT_UNSOLICITED:
        /* A reply nobody asked for: a 421 before closing, or the reply to
         * the end of a message whose "." fell into a capture gap.  In the
         * latter case the client's stream is out of step for good. */
        if (s->cst == C_CONTENT && s->content_gap)
            stop(s, TCP_TO_SERVER, SMTP_STOP_GAP);
        /* Or one reply too many went before it and DATA got that one: a
         * 354 right after the client's DATA is still DATA's go-ahead. */
        else if (code == 354 && s->cst == C_TEXT && s->last_kind == K_DATA)
            start_content(s);
        break;
    }
}

/* One server line; false when it needs more bytes or the parse ended. */
static bool server_line(struct smtp *s, struct cbs *in, uint64_t ts)
{
    struct cbs save = *in, line, text;
    bool too_long, last;
    unsigned code;

    if (!cbs_get_line(in, &line, SMTP_MAX_LINE, &too_long)) {
        if (!reply_prefix_ok(in))
            stop(s, TCP_TO_CLIENT, SMTP_STOP_NOT_SMTP);
        else if (too_long)
            stop(s, TCP_TO_CLIENT, SMTP_STOP_LINE_TOO_LONG);
        return false;
    }
    if (!parse_reply_line(&line, &code, &last, &text)) {
        *in = save;
        stop(s, TCP_TO_CLIENT, SMTP_STOP_NOT_SMTP);
        return false;
    }
    report(s, TCP_TO_CLIENT, ts, SMTP_LINE_REPLY, &line, 0);
    if (!s->in_reply) {
        struct cbs copy = line;

        s->in_reply = true;
        s->rfirst_len = cbs_len(&line);
        s->rfirst = s->rfirst_small;
        if (s->rfirst_len >= sizeof(s->rfirst_small)) {
            if (!s->rfirst_big)
                s->rfirst_big = malloc(SMTP_MAX_LINE + 1);
            if (s->rfirst_big)
                s->rfirst = s->rfirst_big;
            else /* keep what fits: only the stored text is shortened */
                s->rfirst_len = sizeof(s->rfirst_small) - 1;
        }
        cbs_copy_bytes(&copy, (uint8_t *)s->rfirst, s->rfirst_len);
        s->rfirst[s->rfirst_len] = '\0';
        if (!s->greeted) {
            s->rto = RT_GREETING;
        } else if (s->qlen) {
            s->rto = RT_PENDING;
            s->rkind = q_at(s, 0)->kind;
        } else {
            s->rto = RT_UNSOLICITED;
        }
        stage_clear(s);
    } else if (s->rto == RT_PENDING && s->rkind == K_EHLO) {
        stage_keyword_line(s, &text);
    }
    if (last)
        finish_reply(s, code, ts);
    return true;
}

static void feed_server(struct smtp *s, struct cbs *in, uint64_t ts)
{
    while (s->sst == S_TEXT && server_line(s, in, ts))
        ;
}

/* ---- client side: commands ------------------------------------------ */

/* Where the argument of "MAIL FROM:" / "RCPT TO:" starts in |line| (for
 * --redact), given |rest| positioned after the verb; 0 when empty.  Without
 * the expected "FROM:"/"TO:" everything after the verb counts, so that a
 * malformed command still has its address hidden. */
static size_t address_offset(const struct cbs *line, struct cbs rest, const char *prefix)
{
    if (cbs_starts_nocase(&rest, prefix)) {
        cbs_skip(&rest, strlen(prefix));
        skip_spaces(&rest);
    }
    return cbs_len(&rest) ? cbs_len(line) - cbs_len(&rest) : 0;
}

/*
 * RFC 3030 §2:  bdat-cmd = "BDAT" SP chunk-size [ SP end-marker ] CR LF
 *               chunk-size = 1*DIGIT,  end-marker = "LAST"
 * Exactly chunk-size octets follow the line, whatever the reply.
 */
static bool parse_bdat(struct cbs rest, uint64_t *size)
{
    struct cbs num;
    uint64_t v = 0;
    uint8_t b;

    cbs_get_word(&rest, &num);
    /* 19 digits always fit in 64 bits. */
    if (cbs_len(&num) == 0 || cbs_len(&num) > 19)
        return false;
    while (cbs_get_u8(&num, &b)) {
        if (!is_digit(b))
            return false;
        v = v * 10 + (uint64_t)(b - '0');
    }
    *size = v;
    return true;
}

static enum cmd_kind classify(const struct cbs *verb)
{
#define VERB(name, kind) {name, sizeof(name) - 1, kind}
    static const struct {
        const char *name;
        size_t len;
        enum cmd_kind kind;
    } verbs[] = {
        VERB("EHLO", K_EHLO),     VERB("HELO", K_HELO), VERB("STARTTLS", K_STARTTLS),
        VERB("X-ANONYMOUSTLS", K_STARTTLS),             VERB("AUTH", K_AUTH),
        /* Exchange's own AUTH: "X-EXPS GSSAPI|NTLM token", 334 exchanges;
         * NTLM responses are crackable, so they are credentials too. */
        VERB("X-EXPS", K_AUTH),
        VERB("DATA", K_DATA),     VERB("BDAT", K_BDAT), VERB("MAIL", K_MAIL),
        VERB("RCPT", K_RCPT),     VERB("QUIT", K_QUIT),
    };
#undef VERB

    for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
        if (verb->len == verbs[i].len && cbs_starts_nocase(verb, verbs[i].name))
            return verbs[i].kind;
    return K_OTHER;
}

/*
 * RFC 5321 §4.1.1: command = verb [SP argument] CRLF, verbs are case-
 * insensitive.  Returns false when the line has to wait (no room in the
 * FIFO) or the parse stopped; *|in| is then back at the line's start.
 */
static bool client_command(struct smtp *s, const struct cbs *line, struct cbs *in,
                           const struct cbs *save, uint64_t ts)
{
    struct smtp_facts *f = &s->f;
    struct cbs c = *line, verb, rest, shown;
    enum cmd_kind kind;
    uint64_t bdat = 0;
    size_t arg_off = 0;

    cbs_get_word(&c, &verb);
    skip_spaces(&c);
    rest = c;
    kind = classify(&verb);
    if (kind == K_BDAT && !parse_bdat(rest, &bdat)) {
        /* Without the size the chunk cannot be skipped, and reading it as
         * commands would show message content. */
        *in = *save;
        stop(s, TCP_TO_SERVER, SMTP_STOP_NOT_SMTP);
        return false;
    }
    if (!q_room(s, kind)) {
        *in = *save;
        return false;
    }
    f->commands++;
    switch (kind) {
    case K_EHLO:
    case K_HELO:
        set_str(s, &f->helo, &rest);
        f->ehlo = kind == K_EHLO;
        break;
    case K_STARTTLS:
        f->starttls_requested = true;
        break;
    case K_MAIL:
        f->mail_in_clear = true;
        arg_off = address_offset(line, rest, "FROM:");
        break;
    case K_RCPT:
        f->rcpt_in_clear = true;
        arg_off = address_offset(line, rest, "TO:");
        break;
    case K_OTHER:
        /* VRFY and EXPN carry addresses too. */
        if (cbs_eq_nocase(&verb, "VRFY") || cbs_eq_nocase(&verb, "EXPN"))
            arg_off = cbs_len(&rest) ? cbs_len(line) - cbs_len(&rest) : 0;
        break;
    case K_AUTH: {
        /* RFC 4954 §4: AUTH SP mechanism [SP initial-response].  Show the
         * verb and mechanism; the initial response is a credential. */
        struct cbs mech, after, whole = *line;

        c = rest;
        cbs_get_word(&c, &mech);
        after = c;
        skip_spaces(&after);
        cbs_get_bytes(&whole, &shown, cbs_len(line) - cbs_len(&c));
        report(s, TCP_TO_SERVER, ts, SMTP_LINE_COMMAND, &shown, 0);
        if (cbs_len(&after))
            report_str(s, TCP_TO_SERVER, ts, SMTP_LINE_AUTH, credentials_omitted,
                       sizeof(credentials_omitted) - 1);
        break;
    }
    case K_BDAT:
    case K_DATA:
    case K_QUIT:
    case K_DOT:
        break;
    }
    if (kind != K_AUTH)
        report(s, TCP_TO_SERVER, ts, SMTP_LINE_COMMAND, line, arg_off);
    q_push(s, kind);
    s->last_kind = kind;
    if (kind_blocks(kind)) {
        s->cst = C_WAIT;
    } else if (kind == K_BDAT) {
        s->cst = C_BDAT;
        s->bdat_left = bdat;
        s->chunk = 0;
        f->data_in_clear = true;
    }
    return true;
}

static bool client_line(struct smtp *s, struct cbs *in, uint64_t ts)
{
    struct cbs save = *in, line;
    size_t max = cbs_starts_nocase(in, "AUTH ") || cbs_starts_nocase(in, "X-EXPS ")
                     ? SMTP_MAX_AUTH_LINE
                     : SMTP_MAX_LINE;
    bool too_long, binary;

    /* A line that is not text, or binary data without a line feed (which it
     * may never contain, so don't wait for one), is not SMTP. */
    if (!cbs_get_text_line(in, &line, max, &too_long, &binary)) {
        if (binary)
            stop(s, TCP_TO_SERVER, SMTP_STOP_NOT_SMTP);
        else if (too_long)
            stop(s, TCP_TO_SERVER, SMTP_STOP_LINE_TOO_LONG);
        return false;
    }
    return client_command(s, &line, in, &save, ts);
}

/* The summary that stands for a skipped message or chunk. */
static void report_content(struct smtp *s, uint64_t bytes, uint64_t ts)
{
    char buf[64];
    int n = snprintf(buf, sizeof(buf), "[message content omitted: %llu bytes]",
                     (unsigned long long)bytes);

    if (n > 0 && (size_t)n < sizeof(buf))
        report_str(s, TCP_TO_SERVER, ts, SMTP_LINE_CONTENT, buf, (size_t)n);
}

/*
 * RFC 5321 §4.1.1.4 and §4.5.2: the content ends with the line ".", i.e.
 * <CRLF>.<CRLF>; a line of content that starts with "." was sent with one
 * more ("..dot-stuffed").  Bare LF does not end a line here (the strict
 * reading; servers that accept "\n.\n" are what SMTP smuggling exploits, and
 * a mismatch only makes us count more content, never show it).
 *
 * Whole lines are skipped with one search for LF; only line starts are
 * looked at byte by byte.  Nothing is kept.
 */
static bool data_content(struct smtp *s, struct cbs *in, uint64_t ts)
{
    struct smtp_facts *f = &s->f;
    struct cbs line, rest;
    uint8_t b;

    while (cbs_peek_u8(in, &b)) {
        size_t before = cbs_len(in);

        switch (s->dot) {
        case D_MID:
            if (cbs_get_line(in, &line, cbs_len(in), NULL)) {
                /* line excludes LF and a CR before it */
                s->dot = before - cbs_len(in) - cbs_len(&line) == 2 ? D_BOL : D_MID;
            } else {
                /* no LF: all of it is this line; remember a trailing CR */
                cbs_get_bytes(in, &rest, before - 1);
                cbs_get_u8(in, &b);
                s->dot = b == '\r' ? D_CR : D_MID;
            }
            break;
        case D_CR:
            cbs_skip(in, 1);
            s->dot = b == '\n' ? D_BOL : b == '\r' ? D_CR : D_MID;
            break;
        case D_BOL:
            cbs_skip(in, 1);
            s->dot = b == '.' ? D_DOT : b == '\r' ? D_CR : D_MID;
            break;
        case D_DOT:
            cbs_skip(in, 1);
            s->dot = b == '\r' ? D_DOTCR : D_MID;
            break;
        case D_DOTCR:
            if (b == '\n') {
                /* The server replies to the "."; if the FIFO is full, wait
                 * here (this one byte stays unconsumed). */
                if (!q_room(s, K_DOT))
                    return false;
                cbs_skip(in, 1);
                s->chunk += 1;
                f->data_bytes += 1;
                /* ".\r\n" is framing, not content */
                s->chunk -= 3;
                f->data_bytes -= 3;
                report_content(s, s->chunk, ts);
                q_push(s, K_DOT);
                s->last_kind = K_DOT;
                s->cst = C_TEXT;
                return true;
            }
            cbs_skip(in, 1);
            s->dot = b == '\r' ? D_CR : D_MID;
            break;
        }
        s->chunk += before - cbs_len(in);
        f->data_bytes += before - cbs_len(in);
    }
    return false;
}

static bool bdat_content(struct smtp *s, struct cbs *in, uint64_t ts)
{
    size_t take = cbs_len(in);

    if ((uint64_t)take > s->bdat_left)
        take = (size_t)s->bdat_left;
    cbs_skip(in, take);
    s->bdat_left -= take;
    s->chunk += take;
    s->f.data_bytes += take;
    if (s->bdat_left)
        return false;
    report_content(s, s->chunk, ts);
    s->cst = C_TEXT;
    return true;
}

/* One response line of an AUTH exchange: skipped to its LF, never kept.
 * Credentials are not limited to SMTP_MAX_LINE (GSSAPI tokens are long), and
 * since nothing is stored they need no limit. */
static bool auth_response(struct smtp *s, struct cbs *in, uint64_t ts)
{
    struct cbs line;

    if (!cbs_get_line(in, &line, cbs_len(in), NULL)) {
        cbs_skip(in, cbs_len(in));
        return false;
    }
    report_str(s, TCP_TO_SERVER, ts, SMTP_LINE_AUTH, credentials_omitted,
               sizeof(credentials_omitted) - 1);
    s->cst = C_WAIT;
    return true;
}

static void feed_client(struct smtp *s, struct cbs *in, uint64_t ts)
{
    for (;;) {
        bool more = false;

        switch (s->cst) {
        case C_TEXT:
            more = client_line(s, in, ts);
            break;
        case C_AUTH_RESP:
            more = auth_response(s, in, ts);
            break;
        case C_CONTENT:
            more = data_content(s, in, ts);
            break;
        case C_BDAT:
            more = bdat_content(s, in, ts);
            break;
        case C_WAIT:
        case C_TLS:
        case C_STOPPED:
            break;
        }
        if (!more)
            return;
    }
}

/* ---- public interface ----------------------------------------------- */

size_t smtp_size(void)
{
    return sizeof(struct smtp);
}

struct smtp *smtp_new(const struct smtp_cbs *cbs, void *user)
{
    struct smtp *s = malloc(sizeof(*s));

    if (s)
        smtp_init(s, cbs, user);
    return s;
}

void smtp_init(struct smtp *s, const struct smtp_cbs *cbs, void *user)
{
    memset(s, 0, offsetof(struct smtp, q));
    if (cbs)
        s->cbs = *cbs;
    s->user = user;
    s->f.stop_dir = TCP_TO_SERVER;
    s->rfirst = s->rfirst_small;
    s->st_buf = s->st_small;
    s->st_cap = sizeof(s->st_small);
}

void smtp_free(struct smtp *s)
{
    smtp_fini(s);
    free(s);
}

void smtp_fini(struct smtp *s)
{
    struct smtp_facts *f;

    if (!s)
        return;
    f = &s->f;
    free_str(s, f->banner);
    free_str(s, f->banner_host);
    free_str(s, f->helo);
    free_str(s, f->ehlo_host);
    free_str(s, s->caps_block);
    free_str(s, f->auth_mechs);
    free_str(s, f->starttls_reply);
    for (size_t i = 0; i < f->ntls_errors; i++) {
        free(f->tls_errors[i].enhanced);
        free(f->tls_errors[i].text);
    }
    if (f->last_reply != s->last_reply_small)
        free(f->last_reply);
    stage_clear(s);
    if (s->st_buf != s->st_small)
        free(s->st_buf);
    free(s->rfirst_big);
}

size_t smtp_feed(struct smtp *s, enum tcp_dir dir, const uint8_t *p, size_t n, uint64_t ts_us)
{
    struct cbs in;

    if (!s || (!p && n))
        return 0;
    cbs_init(&in, p, n);
    if (dir == TCP_TO_SERVER)
        feed_client(s, &in, ts_us);
    else
        feed_server(s, &in, ts_us);
    return n - cbs_len(&in);
}

/*
 * A gap in DATA content only loses content we would have skipped anyway:
 * keep scanning for the end, but no longer at a known line start.  Anywhere
 * else the direction stops: after a gap a line may start mid-command, and
 * a FIFO that missed one command pairs every later reply with the wrong one
 * (a 220 taken for STARTTLS's, a 354 missed and a message read as commands).
 * A BDAT chunk's remaining count is unknown after a gap, so it stops too.
 */
void smtp_gap(struct smtp *s, enum tcp_dir dir)
{
    if (!s)
        return;
    if (dir == TCP_TO_SERVER) {
        switch (s->cst) {
        case C_CONTENT:
            s->dot = D_MID;
            s->content_gap = true;
            return;
        case C_TLS:
        case C_STOPPED:
            return;
        case C_TEXT:
        case C_WAIT:
        case C_AUTH_RESP:
        case C_BDAT:
            break;
        }
        stop(s, dir, SMTP_STOP_GAP);
    } else if (s->sst == S_TEXT) {
        stop(s, dir, SMTP_STOP_GAP);
    }
}

enum smtp_mode smtp_mode(const struct smtp *s, enum tcp_dir dir)
{
    if (!s)
        return SMTP_MODE_STOPPED;
    if (dir == TCP_TO_CLIENT)
        return s->sst == S_TLS ? SMTP_MODE_TLS
               : s->sst == S_STOPPED ? SMTP_MODE_STOPPED : SMTP_MODE_TEXT;
    switch (s->cst) {
    case C_CONTENT:
    case C_BDAT:
        return SMTP_MODE_DATA;
    case C_TLS:
        return SMTP_MODE_TLS;
    case C_STOPPED:
        return SMTP_MODE_STOPPED;
    case C_TEXT:
    case C_WAIT:
    case C_AUTH_RESP:
        break;
    }
    return SMTP_MODE_TEXT;
}

const char *smtp_starttls_masked(const struct smtp_facts *sf)
{
    for (size_t i = 0; i < sf->ncaps; i++) {
        const char *k = sf->caps[i];
        size_t x = 0;

        if (k == NULL || strlen(k) != 8)
            continue;
        while (x < 8 && k[x] == 'X')
            x++;
        if (x >= 7)
            return k;
    }
    return NULL;
}

const struct smtp_facts *smtp_facts(const struct smtp *s)
{
    return s ? &s->f : NULL;
}

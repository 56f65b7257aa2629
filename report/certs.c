/*
 * certs.c - --certs DIR: every presented certificate (both sides) once, as
 * DIR/<SHA256>.pem, ready to attach to a ticket.  A certificate OpenSSL
 * cannot parse is written all the same, from its bytes.
 */
#include "report/writers.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct cert_writer {
    const char *dir;
    unsigned errors;                 /* files that could not be written */
};

static void export_cert(struct cert_writer *r, const struct x509_info *xi, const struct session_der *d)
{
    char path[4096];
    int fd;
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s.pem", r->dir, xi->sha256_hex);
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
    if (fd < 0) {
        if (errno != EEXIST) { /* written already: once per certificate */
            fprintf(stderr, "mxwitness: %s: %s\n", path, strerror(errno));
            r->errors++;
        }
        return;
    }
    f = fdopen(fd, "w");
    if (!f) {
        close(fd);
        r->errors++;
        return;
    }
    if (xi->pem) {
        fputs(xi->pem, f);
    } else {
        /* Not parseable by OpenSSL: keep the bytes as a PEM block all the
         * same, so the evidence is complete. */
        char *pem = x509_pem(d->der, d->len);

        if (pem)
            fputs(pem, f);
        else
            r->errors++;
        free(pem);
    }
    if (fclose(f) != 0) {
        fprintf(stderr, "mxwitness: %s: %s\n", path, strerror(errno));
        r->errors++;
    }
}

static void export_chain(struct cert_writer *r, const struct session_chain *c,
                         const struct x509_info *const *x, size_t n)
{
    for (size_t i = 0; i < n && i < c->n; i++)
        export_cert(r, x[i], &c->certs[i]);
}

static void cert_session(void *ctx, const struct analysed *a)
{
    export_chain(ctx, &a->s->server_chain, a->server_chain, a->nserver);
    export_chain(ctx, &a->s->client_chain, a->client_chain, a->nclient);
}

struct cert_writer *cert_writer_new(const char *dir)
{
    struct cert_writer *r = calloc(1, sizeof(*r));

    if (r != NULL)
        r->dir = dir;
    return r;
}

struct pipeline_consumer cert_writer_consumer(struct cert_writer *r)
{
    struct pipeline_consumer c = {.on_session = cert_session, .ctx = r};

    return c;
}

unsigned cert_writer_errors(const struct cert_writer *r)
{
    return r->errors;
}

void cert_writer_free(struct cert_writer *r)
{
    free(r);
}

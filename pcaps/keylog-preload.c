/*
 * keylog-preload.c - an LD_PRELOAD library for pcaps/record.sh: it makes a
 * program that has no key log option (postfix's smtp client) write the NSS
 * key log of its TLS connections, as SSLKEYLOGFILE does in curl or browsers.
 *
 *   cc -shared -fPIC -o keylog-preload.so keylog-preload.c -ldl
 *   SSLKEYLOGFILE=/path/file LD_PRELOAD=/path/keylog-preload.so program
 *
 * It wraps SSL_new: the real one (dlsym RTLD_NEXT) makes the connection, and
 * the connection's SSL_CTX gets a key log callback unless it has one.  The
 * callback appends each line OpenSSL hands it, with a newline, to the file
 * named by SSLKEYLOGFILE (opened per line with O_APPEND, so several processes
 * can share it).  MXW_KEYLOG_ROLE=client or server limits it to the
 * connections of that side.  Nothing is linked against libssl: a process
 * that never calls SSL_new (every shell the variable reaches) loads nothing.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/ssl.h>

typedef SSL *(*ssl_new_fn)(SSL_CTX *);
typedef void (*set_cb_fn)(SSL_CTX *, SSL_CTX_keylog_cb_func);
typedef SSL_CTX_keylog_cb_func (*get_cb_fn)(const SSL_CTX *);
typedef int (*is_server_fn)(const SSL *);

static is_server_fn is_server;

static void keylog_line(const SSL *ssl, const char *line)
{
    const char *path = getenv("SSLKEYLOGFILE");
    const char *role = getenv("MXW_KEYLOG_ROLE");
    size_t n;
    int fd;

    if (path == NULL || *path == '\0' || line == NULL)
        return;
    if (role != NULL && is_server != NULL) {
        int srv = is_server(ssl);

        if ((strcmp(role, "client") == 0 && srv) || (strcmp(role, "server") == 0 && !srv))
            return;
    }
    fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return;
    n = strlen(line);
    /* one write per line, so lines of several processes never interleave */
    {
        char buf[1024];

        if (n + 1 <= sizeof(buf)) {
            memcpy(buf, line, n);
            buf[n] = '\n';
            (void)!write(fd, buf, n + 1);
        }
    }
    close(fd);
}

/* a symbol of libssl: the next definition after ours, or, when libssl came
 * in later by dlopen (a scripting language's module), from that library */
static void *ssl_sym(const char *name)
{
    void *p = dlsym(RTLD_NEXT, name);

    if (p == NULL) {
        void *h = dlopen("libssl.so.3", RTLD_LAZY | RTLD_NOLOAD);

        if (h != NULL)
            p = dlsym(h, name);
    }
    return p;
}

SSL *SSL_new(SSL_CTX *ctx)
{
    static ssl_new_fn real;
    static set_cb_fn set_cb;
    static get_cb_fn get_cb;

    if (real == NULL) {
        /* (the POSIX way to turn dlsym's object pointer into a function) */
        *(void **)&real = ssl_sym("SSL_new");
        *(void **)&set_cb = ssl_sym("SSL_CTX_set_keylog_callback");
        *(void **)&get_cb = ssl_sym("SSL_CTX_get_keylog_callback");
        *(void **)&is_server = ssl_sym("SSL_is_server");
        if (real == NULL)
            abort();
    }
    if (ctx != NULL && set_cb != NULL && get_cb != NULL && get_cb(ctx) == NULL)
        set_cb(ctx, keylog_line);
    return real(ctx);
}

/*
 * fuzz_file.h - the fuzz targets' temporary file: what reads files by name
 * (libpcap, our pcapng reader, --expect-file) gets the input as a user's
 * file would reach it.
 */
#ifndef MXW_FUZZ_FILE_H
#define MXW_FUZZ_FILE_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

/* fuzz_file writes |data| into a new file from the mkstemp template
 * |path| (which then names it; the caller unlinks it); -1 when it could
 * not, nothing left behind. */
static inline int fuzz_file(char *path, const uint8_t *data, size_t size)
{
    int fd = mkstemp(path);

    if (fd < 0)
        return -1;
    if (write(fd, data, size) != (ssize_t)size) {
        close(fd);
        unlink(path);
        return -1;
    }
    close(fd);
    return 0;
}

#endif

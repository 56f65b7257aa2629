/*
 * readahead.h - a regular file read ahead by a thread of its own, into a
 * few chunks that the reader takes in file order and parses in place.
 *
 *   reader (the packet side)              the read-ahead thread
 *   readahead_next -> chunk k+1  <------  pread chunk k+2, k+3 ...
 *   (chunk k still valid)
 *
 * The packet side of mxwitness reads a capture file, decodes, reassembles
 * and parses on one thread; the kernel's copy of the file into user memory
 * (pread) was a tenth of that thread's time on the bench's mail capture.
 * Here it happens on another core, ahead of the reader, and the chunks are
 * handed over without a copy.  Each chunk has |headroom| writable bytes
 * before its data, so that a record cut by the chunk's start can be made
 * whole by copying its first part (from the chunk before, still valid) in
 * front of it.
 *
 * The thread blocks every signal.  Nothing here is shared with the rest of
 * the program but the file descriptor, which the thread only preads.
 */
#ifndef MXW_READAHEAD_H
#define MXW_READAHEAD_H

#include <stddef.h>
#include <stdint.h>

struct readahead;

/* What the capture readers use: files from READAHEAD_FILE_MIN bytes on are
 * read ahead, in chunks of READAHEAD_CHUNK bytes with READAHEAD_ROOM bytes
 * of room before each (the largest record or block they take this way). */
#define READAHEAD_FILE_MIN (8ull << 20)
#define READAHEAD_CHUNK    (1u << 19)
#define READAHEAD_ROOM     ((256u << 10) + 64u)

/* readahead_new starts reading |fd| from |off| up to |end| in chunks of
 * |chunk| bytes, each with |headroom| bytes before it.  NULL when the
 * memory or the thread could not be had (the caller reads for itself). */
struct readahead *readahead_new(int fd, uint64_t off, uint64_t end, size_t chunk,
                                size_t headroom);

/* readahead_next waits for the next chunk in file order and returns its
 * length, its bytes at |*data| (|headroom| writable bytes before them) and
 * its file offset in |*off|; 0 at |end| or after a read error (then
 * readahead_error says which).  The chunk returned by the call before
 * stays valid until the next call; the one before that is given back. */
size_t readahead_next(struct readahead *ra, uint8_t **data, uint64_t *off);

/* readahead_error returns the errno of a failed pread, or 0. */
int readahead_error(const struct readahead *ra);

/* readahead_free stops the thread and frees every chunk.  NULL is a no-op. */
void readahead_free(struct readahead *ra);

#endif

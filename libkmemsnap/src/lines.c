/* SPDX-License-Identifier: MIT */
/*
 * A line reader over a fixed buffer: procfs files such as vmallocinfo grow
 * with the machine, so they are streamed, never slurped.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

void ks_lines_from_fd(struct ks_lines *lr, int fd, char *buf, size_t cap)
{
	memset(lr, 0, sizeof(*lr));
	lr->fd = fd;
	lr->buf = buf;
	lr->cap = cap;
}

int ks_lines_open(struct ks_lines *lr, int dirfd, const char *path, char *buf,
		  size_t cap)
{
	int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return -errno;
	ks_lines_from_fd(lr, fd, buf, cap);
	return 0;
}

void ks_lines_close(struct ks_lines *lr)
{
	if (lr->fd >= 0)
		close(lr->fd);
	lr->fd = -1;
}

/* Moves the unread tail to the front and reads more after it. Returns the
 * number of bytes read, 0 at end of file, or -errno. */
static long refill(struct ks_lines *lr)
{
	size_t tail = lr->end - lr->start;
	ssize_t n;

	if (lr->start > 0) {
		memmove(lr->buf, lr->buf + lr->start, tail);
		lr->start = 0;
		lr->end = tail;
	}
	/* One byte stays free for the NUL that ends a returned line. */
	do {
		n = read(lr->fd, lr->buf + lr->end, lr->cap - 1 - lr->end);
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		lr->err = errno;
		return -errno;
	}
	if (n == 0)
		lr->eof = true;
	lr->end += (size_t)n;
	lr->bytes += (uint64_t)n;
	return n;
}

/* Discards input up to and including the next newline. */
static int skip_rest_of_line(struct ks_lines *lr)
{
	for (;;) {
		char *nl = memchr(lr->buf + lr->start, '\n', lr->end - lr->start);
		long n;

		if (nl) {
			lr->start = (size_t)(nl - lr->buf) + 1;
			return 0;
		}
		lr->start = lr->end;
		if (lr->eof)
			return 0;
		n = refill(lr);
		if (n < 0)
			return (int)n;
	}
}

/* ks_lines_next when the buffer holds no whole line, or the rest of a cut
 * line is still to be skipped: reads more as needed. */
static int next_slow(struct ks_lines *lr, char **line, size_t *len)
{
	size_t scanned = 0;

	if (lr->skip_pending) {
		int err = skip_rest_of_line(lr);

		lr->skip_pending = false;
		if (err < 0)
			return err;
	}
	for (;;) {
		char *from = lr->buf + lr->start;
		size_t avail = lr->end - lr->start;
		char *nl = memchr(from + scanned, '\n', avail - scanned);
		long n;

		if (nl) {
			*nl = '\0';
			*line = from;
			*len = (size_t)(nl - from);
			lr->start += *len + 1;
			return 1;
		}
		scanned = avail;
		if (lr->eof) {
			if (avail == 0)
				return 0;
			/* Last line without a newline. */
			from[avail] = '\0';
			*line = from;
			*len = avail;
			lr->start = lr->end;
			return 1;
		}
		if (avail >= lr->cap - 1) {
			/* The line fills the buffer: return its head, drop the rest.
			 * The head's last byte is overwritten by the terminator. */
			from[avail - 1] = '\0';
			*line = from;
			*len = avail - 1;
			lr->start = lr->end;
			lr->overlong = true;
			/* The rest is skipped on the next call: reading now would
			 * overwrite the head being returned. */
			lr->skip_pending = true;
			return 1;
		}
		n = refill(lr);
		if (n < 0)
			return (int)n;
		scanned = lr->end - lr->start - (size_t)n;
	}
}

/* A whole line in the buffer is the common case, a memchr and no more:
 * this runs for every line of every file, ~3 000 of them a capture on a
 * small machine, most from the short lines of /proc/<pid>/status. */
int ks_lines_next(struct ks_lines *lr, char **line, size_t *len)
{
	char *from = lr->buf + lr->start;
	char *nl;

	lr->overlong = false;
	if (lr->skip_pending)
		return next_slow(lr, line, len);
	nl = memchr(from, '\n', lr->end - lr->start);
	if (!nl)
		return next_slow(lr, line, len);
	*nl = '\0';
	*line = from;
	*len = (size_t)(nl - from);
	lr->start += *len + 1;
	return 1;
}

long ks_read_fd(int fd, void *buf, size_t cap)
{
	size_t got = 0;

	while (got < cap) {
		ssize_t n = read(fd, (char *)buf + got, cap - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (long)got;
}

long ks_read_small(int dirfd, const char *path, char *buf, size_t cap)
{
	long got;
	int fd;

	if (cap == 0)
		return -EINVAL;
	fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	got = ks_read_fd(fd, buf, cap - 1);
	close(fd);
	if (got >= 0)
		buf[got] = '\0';
	return got;
}

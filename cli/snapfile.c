/* SPDX-License-Identifier: MIT */
/*
 * Loading a snapshot file for the commands. Every step is bounded, because
 * files come from other machines and tickets: the file is read only up to
 * SNAPFILE_MAX_BYTES, the library checks the frames and the checksum, and
 * the message is decoded into an arena of SNAPFILE_DECODE_BYTES.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "snapfile.h"
#include "units.h"

static int fail(struct snapfile *sf, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int fail(struct snapfile *sf, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sf->error, sizeof(sf->error), fmt, ap);
	va_end(ap);
	return -1;
}

/* ---- reading ------------------------------------------------------------ */

struct buf {
	uint8_t *data;
	size_t len;
};

/* size: the file's, when known before reading. */
static int too_large(struct snapfile *sf, const char *size)
{
	return fail(sf, "file too large (%s%sa snapshot file is at most %s)",
		    size ? size : "", size ? "; " : "",
		    human_bytes(SNAPFILE_MAX_BYTES).s);
}

/* Reads fd to its end, but never more than SNAPFILE_MAX_BYTES: a regular
 * file's size is only a hint (it can grow while read), and a pipe or a
 * device has none. */
static int read_bounded(struct snapfile *sf, int fd, size_t hint, struct buf *b)
{
	size_t cap = hint + 1 > 65536 ? hint + 1 : 65536;

	b->data = malloc(cap);
	if (!b->data)
		return fail(sf, "out of memory reading %zu bytes", cap);
	for (;;) {
		ssize_t n;

		if (b->len == cap) {
			uint8_t *bigger;

			if (cap > SNAPFILE_MAX_BYTES)
				return too_large(sf, NULL);
			cap = cap * 2 > SNAPFILE_MAX_BYTES ?
				      SNAPFILE_MAX_BYTES + 1 :
				      cap * 2;
			bigger = realloc(b->data, cap);
			if (!bigger)
				return fail(sf,
					    "out of memory reading %zu bytes",
					    cap);
			b->data = bigger;
		}
		n = read(fd, b->data + b->len, cap - b->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return fail(sf, "read error: %s", strerror(errno));
		if (n == 0)
			return 0;
		b->len += (size_t)n;
	}
}

static int read_file(struct snapfile *sf, const char *path, struct buf *b)
{
	bool is_stdin = strcmp(path, "-") == 0;
	int fd = is_stdin ? STDIN_FILENO :
			    open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	struct stat st;
	int ret;

	if (fd < 0)
		return fail(sf, "cannot open: %s", strerror(errno));
	if (fstat(fd, &st) < 0)
		ret = fail(sf, "cannot stat: %s", strerror(errno));
	else if (S_ISDIR(st.st_mode))
		ret = fail(sf, "is a directory, not a snapshot file");
	else if (S_ISREG(st.st_mode) &&
		 (unsigned long long)st.st_size > SNAPFILE_MAX_BYTES)
		/* Refused before reading: a huge file costs nothing. */
		ret = too_large(sf, human_bytes((uint64_t)st.st_size).s);
	else
		ret = read_bounded(sf, fd,
				   S_ISREG(st.st_mode) ? (size_t)st.st_size : 0,
				   b);
	if (!is_stdin)
		close(fd);
	if (ret == 0 && b->len == 0)
		ret = fail(sf, "empty file");
	return ret;
}

/* ---- extracting and decoding -------------------------------------------- */

/* Checks the blob and extracts the serialized Snapshot into *msg. */
static int extract(struct snapfile *sf, const struct buf *b, uint8_t **msg)
{
	int err;

	sf->info.sz = sizeof(sf->info);
	err = kmemsnap_blob_extract(b->data, b->len, NULL, 0, &sf->info);
	if (err == -ENOBUFS) {
		/* The header is good; it says how large the message is, and
		 * the library has bounded that. */
		*msg = malloc(sf->info.message_bytes ? sf->info.message_bytes : 1);
		if (!*msg)
			return fail(sf, "out of memory for a %s message",
				    human_bytes(sf->info.message_bytes).s);
		err = kmemsnap_blob_extract(b->data, b->len, *msg,
					    sf->info.message_bytes, &sf->info);
	}
	switch (err) {
	case 0:
		return 0;
	case -EPROTONOSUPPORT:
		return fail(sf, "written in a newer, incompatible format (v%u); "
				"this kmemsnap reads v%u",
			    sf->info.format_version, KS_BLOB_FORMAT_MAJOR);
	case -EFBIG:
		return fail(sf, "snapshot too large (the header says %s; the "
				"limit is %s)",
			    human_bytes(sf->info.message_bytes).s,
			    human_bytes(KMEMSNAP_MAX_MESSAGE_BYTES).s);
	default:
		return fail(sf, "%s", sf->info.problem ? sf->info.problem
						       : cli_strerror(err));
	}
}

static int decode(struct snapfile *sf, const uint8_t *msg)
{
	ProtobufCAllocator alloc;
	void *mem = mmap(NULL, SNAPFILE_DECODE_BYTES, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (mem == MAP_FAILED)
		return fail(sf, "cannot reserve %s to decode the snapshot: %s",
			    human_bytes(SNAPFILE_DECODE_BYTES).s,
			    strerror(errno));
	ks_arena_init(&sf->arena, mem, SNAPFILE_DECODE_BYTES);
	ks_arena_protobuf_allocator(&sf->arena, &alloc);
	sf->snap = kmemsnap__v1__snapshot__unpack(
		&alloc, (size_t)sf->info.message_bytes, msg);
	if (sf->snap)
		return 0;
	if (sf->arena.exhausted)
		return fail(sf,
			    "snapshot too large to decode (more than %s "
			    "decoded)",
			    human_bytes(SNAPFILE_DECODE_BYTES).s);
	return fail(sf, "corrupted: the snapshot message does not decode "
			"(protobuf)");
}

int snapfile_open(struct snapfile *sf, const char *path)
{
	struct buf b = { 0 };
	uint8_t *msg = NULL;
	int ret;

	memset(sf, 0, sizeof(*sf));
	sf->name = strcmp(path, "-") == 0 ? "<stdin>" : path;
	ret = read_file(sf, path, &b);
	sf->file_bytes = b.len;
	if (ret == 0)
		ret = extract(sf, &b, &msg);
	free(b.data);
	/* protobuf-c copies strings and bytes out of the message. */
	if (ret == 0)
		ret = decode(sf, msg);
	free(msg);
	return ret;
}

void snapfile_close(struct snapfile *sf)
{
	if (sf->arena.base)
		munmap(sf->arena.base, sf->arena.cap);
	sf->arena.base = NULL;
	sf->snap = NULL;
}

/* SPDX-License-Identifier: MIT */
/* Loading a snapshot file: read it (bounded), check and extract the blob,
 * decode the message into a bounded arena. */
#ifndef KMEMSNAP_CLI_SNAPFILE_H
#define KMEMSNAP_CLI_SNAPFILE_H

#include <stddef.h>

#include "internal.h"

/* Largest file accepted: the largest message the library extracts, plus
 * room for LZ4 framing (incompressible data grows by 4 bytes per block). */
#define SNAPFILE_MAX_BYTES ((size_t)KMEMSNAP_MAX_MESSAGE_BYTES + (1u << 20))

/* Decoded data is bounded too: a 64 MiB message of empty submessages would
 * otherwise unpack into gigabytes of structs. Address space only: pages are
 * touched as the decoder uses them. */
#define SNAPFILE_DECODE_BYTES ((size_t)512 << 20)

struct snapfile {
	const char *name; /* for messages: the path, or "<stdin>" */
	size_t file_bytes;
	struct kmemsnap_blob_info info;
	KsSnapshot *snap; /* lives until snapfile_close() */
	char error[256];  /* what is wrong, when snapfile_open() failed */
	struct ks_arena arena;
};

/* Reads path ("-" is stdin), checks it and decodes the snapshot. Returns 0,
 * or -1 with sf->error saying what is wrong with the file. Call
 * snapfile_close() in both cases. */
int snapfile_open(struct snapfile *sf, const char *path);
void snapfile_close(struct snapfile *sf);

#endif /* KMEMSNAP_CLI_SNAPFILE_H */

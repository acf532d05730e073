/* SPDX-License-Identifier: MIT */
/*
 * A whole snapshot file through the CLI's loader, cli/snapfile.c (linked as
 * it is): the bounded read, kmemsnap_blob_extract, and the protobuf unpack
 * into a bounded arena. The input is put in a memfd and opened by its
 * /proc/self/fd name, so snapfile_open reads it as it reads any file.
 *
 * Under libFuzzer a custom mutator changes, most of the time, the Snapshot
 * message inside the blob and frames it again with a fresh content
 * checksum: a mutated byte of the compressed frame would almost always fail
 * the checksum, and the decoder behind it would never be reached.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "fuzz.h"
#include "snapfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = fz_memfd(data, size);
	struct snapfile sf;
	char path[64];

	if (fd < 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (snapfile_open(&sf, path) == 0) {
		FZ_CHECK(sf.snap != NULL);
		FZ_CHECK(sf.info.message_bytes <= KMEMSNAP_MAX_MESSAGE_BYTES);
		fz_check_decoded(&sf.snap->base);
	} else {
		/* A refused file always says why. */
		FZ_CHECK(sf.error[0] != '\0' && sf.snap == NULL);
	}
	snapfile_close(&sf);
	close(fd);
	return 0;
}

#ifdef KMEMSNAP_LIBFUZZER
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size,
			       unsigned int seed);

/* Mutates the message of a blob that extracts, and frames it again.
 * Returns the new blob's size, or 0 when the blob does not extract or the
 * result would not fit in max_size. */
static size_t mutate_message(uint8_t *data, size_t size, size_t max_size)
{
	struct kmemsnap_blob_info info = { .sz = sizeof(info) };
	uint8_t *msg;
	size_t len;
	long n = 0;

	if (kmemsnap_blob_extract(data, size, NULL, 0, &info) != -ENOBUFS ||
	    info.message_bytes > max_size)
		return 0;
	msg = malloc(max_size);
	if (!msg)
		return 0;
	if (kmemsnap_blob_extract(data, size, msg, info.message_bytes, &info) == 0) {
		len = LLVMFuzzerMutate(msg, info.message_bytes, max_size);
		if (ks_blob_bound(len) <= max_size)
			n = ks_blob_write(data, max_size, msg, len, info.flags);
	}
	free(msg);
	return n > 0 ? (size_t)n : 0;
}

/* One mutation in four goes to the file's own bytes: frames, header,
 * checksum, trailing data. */
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size,
			       unsigned int seed)
{
	size_t n = seed % 4 ? mutate_message(data, size, max_size) : 0;

	return n ? n : LLVMFuzzerMutate(data, size, max_size);
}
#endif

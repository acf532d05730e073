/* SPDX-License-Identifier: MIT */
/*
 * A pstore record's bytes through ks_blob_find (section_pstore.c), scanned
 * as count_blobs() and `kmemsnap collect-boot` scan a pmsg zone: from
 * offset 0, each search starting where the last blob found ends. The input
 * is the record as it is: no byte of it chooses anything.
 *
 * What ks_blob_find guarantees, read from it: a range it returns lies in
 * data[from..len); it begins with the empty LZ4 frame, then the skippable
 * frame whose payload, at least the 24 header bytes and within the range,
 * starts with "KMEMSNAP"; the data frame after it is structurally whole
 * (its header, blocks of at most the frame's block size, end mark and
 * content checksum end the range) and declares the header's message size.
 * No checksum is verified, nothing is decompressed and the header's
 * version is not read. Bytes outside the range play no part, so the range
 * alone is found again, and a search from its start finds it again.
 *
 * So kmemsnap_blob_extract() of a range always gets past the prefix (it
 * never says "not a kmemsnap blob" nor a cut header): it returns 0, or
 * -EPROTONOSUPPORT / -EBADMSG (version 0) / -EFBIG for the header's
 * fields, or fails in the data frame: -EBADMSG (header or content
 * checksum, a block that does not decode, a size that differs), or
 * -ENODATA when the blocks decode to more than the declared size (the
 * one-call decode stops at the full buffer, which reads as a cut frame).
 * -ENOBUFS only when this target offers no buffer of the message's size.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

/* docs/FORMAT.md: the empty LZ4 frame every blob starts with. */
static const uint8_t empty_frame[] = { 0x04, 0x22, 0x4d, 0x18, 0x60, 0x40,
				       0x82, 0x00, 0x00, 0x00, 0x00 };
#define PREFIX_BYTES (sizeof(empty_frame) + 8 + KS_BLOB_HEADER_BYTES)
/* The smallest data frame: magic, FLG, BD, content size, header checksum,
 * end mark, content checksum. */
#define MIN_FRAME_BYTES (4 + 1 + 1 + 8 + 1 + 4 + 4)
/* A message buffer larger than this is not offered: such a message cannot
 * come out of a fuzz input's few KiB (an LZ4 byte expands to at most 255). */
#define MAX_BUF_BYTES (1u << 20)

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

/* The frames the range starts with, as kmemsnap_blob_extract() reads them. */
static void check_frames(const uint8_t *b, size_t n)
{
	size_t hdr = sizeof(empty_frame), size;

	FZ_CHECK(n >= PREFIX_BYTES + MIN_FRAME_BYTES);
	FZ_CHECK(memcmp(b, empty_frame, sizeof(empty_frame)) == 0);
	FZ_CHECK(le32(b + hdr) == KS_LZ4_SKIPPABLE_MAGIC);
	size = le32(b + hdr + 4);
	FZ_CHECK(size >= KS_BLOB_HEADER_BYTES);
	FZ_CHECK(size <= n - hdr - 8 - MIN_FRAME_BYTES);
	FZ_CHECK(memcmp(b + hdr + 8, KS_BLOB_MAGIC, 8) == 0);
	FZ_CHECK(le32(b + hdr + 8 + size) == KS_LZ4_FRAME_MAGIC);
}

static void check_extract(const uint8_t *b, size_t n)
{
	struct kmemsnap_blob_info info = { .sz = sizeof(info) };
	uint64_t msg_len = le64(b + sizeof(empty_frame) + 8 + 16);
	static uint8_t none[1];
	uint8_t *buf = none;
	size_t cap = 0;
	int err;

	if (msg_len <= MAX_BUF_BYTES) {
		cap = (size_t)msg_len;
		buf = malloc(cap ? cap : 1);
		FZ_CHECK(buf != NULL);
	}
	err = kmemsnap_blob_extract(b, n, buf, cap, &info);
	if (buf != none)
		free(buf);
	/* extract read the header: the prefix passed. */
	FZ_CHECK(info.message_bytes == msg_len);
	FZ_CHECK(err == 0 || info.problem != NULL);
	FZ_CHECK(err == 0 ||
		 strncmp(info.problem, "not a kmemsnap blob", 19) != 0);
	switch (err) {
	case 0:
	case -EBADMSG:
	case -EPROTONOSUPPORT:
		break;
	case -EFBIG:
		FZ_CHECK(msg_len > KMEMSNAP_MAX_MESSAGE_BYTES);
		break;
	case -ENOBUFS:
		FZ_CHECK(msg_len > MAX_BUF_BYTES);
		break;
	case -ENODATA:
		FZ_CHECK(strstr(info.problem, "data frame") != NULL);
		break;
	default:
		FZ_CHECK(!"an error ks_blob_find rules out");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t from = 0, start, n, again, found = 0;

	while ((n = ks_blob_find(data, size, from, &start)) > 0) {
		/* Within the input, at or after from: no overlap. */
		FZ_CHECK(start >= from && start <= size && n <= size - start);
		check_frames(data + start, n);
		/* The range alone, and a search from its start, find it. */
		again = start + 1;
		FZ_CHECK(ks_blob_find(data + start, n, 0, &again) == n);
		FZ_CHECK(again == 0);
		FZ_CHECK(ks_blob_find(data, size, start, &again) == n);
		FZ_CHECK(again == start);
		check_extract(data + start, n);
		/* Each blob takes more than its prefix: the scan ends. */
		FZ_CHECK(++found <= size / (PREFIX_BYTES + MIN_FRAME_BYTES));
		from = start + n;
	}
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * Blob framing cases that the CLI tests cannot build with stock tools: a
 * data frame whose blocks hold more than its declared content size (the
 * header and the frame agree on the smaller size, so only decoding tells).
 * Such a blob is damaged, not an unfinished copy: -EBADMSG.
 */
#include <errno.h>
#include <string.h>

#include "testlib.h"

/* XXH32, for the LZ4 frame descriptor's header checksum (lz4_Frame_format.md:
 * HC = (XXH32(descriptor, seed 0) >> 8) & 0xFF). */
static uint32_t rotl(uint32_t x, int r)
{
	return (x << r) | (x >> (32 - r));
}

static uint32_t read32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint32_t xxh32(const uint8_t *p, size_t len)
{
	const uint32_t p1 = 2654435761u, p2 = 2246822519u, p3 = 3266489917u,
		       p4 = 668265263u, p5 = 374761393u;
	const uint8_t *end = p + len;
	uint32_t h;

	/* Descriptors are 2 to 14 bytes: never the 16-byte stripe loop. */
	h = p5 + (uint32_t)len;
	for (; p + 4 <= end; p += 4)
		h = rotl(h + read32(p) * p3, 17) * p4;
	for (; p < end; p++)
		h = rotl(h + *p * p5, 11) * p1;
	h ^= h >> 15;
	h *= p2;
	h ^= h >> 13;
	h *= p3;
	h ^= h >> 16;
	return h;
}

static void put_le64(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void test_frame_larger_than_declared(void)
{
	static uint8_t msg[4096], blob[8192], out[4096];
	struct kmemsnap_blob_info info = { .sz = sizeof(info) };
	size_t prefix = ks_blob_prefix_bytes();
	uint8_t *frame;
	long len;
	size_t i;

	for (i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)(i * 7);
	len = ks_blob_write(blob, sizeof(blob), msg, sizeof(msg), 0);
	CHECK(len > 0);
	CHECK_EQ_U(kmemsnap_blob_extract(blob, (size_t)len, out, sizeof(out),
					 &info), 0);

	/* Declare 100 bytes less, in the kmemsnap header (its last 8 bytes)
	 * and in the frame's content size, and fix the descriptor's
	 * checksum: every check before decoding passes. */
	put_le64(blob + prefix - 8, sizeof(msg) - 100);
	frame = blob + prefix;
	CHECK(frame[4] & 0x08); /* FLG: content size present */
	put_le64(frame + 6, sizeof(msg) - 100);
	frame[14] = (uint8_t)(xxh32(frame + 4, 10) >> 8);

	info.problem = NULL;
	CHECK_EQ_U(kmemsnap_blob_extract(blob, (size_t)len, out,
					 sizeof(msg) - 100, &info),
		   -EBADMSG);
	CHECK(info.problem && strstr(info.problem, "more than its declared size"));

	/* The same blob cut inside the data frame is an unfinished copy. */
	put_le64(blob + prefix - 8, sizeof(msg));
	put_le64(frame + 6, sizeof(msg));
	frame[14] = (uint8_t)(xxh32(frame + 4, 10) >> 8);
	CHECK_EQ_U(kmemsnap_blob_extract(blob, (size_t)len - 40, out,
					 sizeof(msg), &info),
		   -ENODATA);
}

int main(void)
{
	RUN(test_frame_larger_than_declared);
	return tl_summary();
}

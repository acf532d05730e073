/* SPDX-License-Identifier: MIT */
/*
 * The blob: LZ4 frames only (docs/FORMAT.md).
 *
 *   1. an empty LZ4 frame: the frame format advises against starting a stream
 *      with a skippable frame, and file(1) then says "LZ4 compressed data";
 *   2. a skippable frame (magic 0x184D2A5E) holding the kmemsnap header;
 *   3. one LZ4 frame, content size and content checksum on, whose content is
 *      one serialized kmemsnap.v1.Snapshot.
 *
 * `lz4 -dc` skips frame 2 and prints the Snapshot bytes.
 */
#include <errno.h>
#include <string.h>

#define LZ4F_STATIC_LINKING_ONLY /* LZ4F_getErrorCode, exported by liblz4 */
#include <lz4frame.h>

#include "internal.h"

/* LZ4 frame of no content: magic, FLG (version 01, block independence),
 * BD (64 KiB blocks), header checksum, end mark. The checksum byte is
 * (XXH32(FLG..BD, 0) >> 8) & 0xff, as the frame format specifies. */
static const uint8_t empty_lz4_frame[] = { 0x04, 0x22, 0x4d, 0x18, 0x60,
					   0x40, 0x82, 0x00, 0x00, 0x00, 0x00 };

static void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put_le32(uint8_t *p, uint32_t v)
{
	put_le16(p, (uint16_t)v);
	put_le16(p + 2, (uint16_t)(v >> 16));
}

static void put_le64(uint8_t *p, uint64_t v)
{
	put_le32(p, (uint32_t)v);
	put_le32(p + 4, (uint32_t)(v >> 32));
}

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t get_le64(const uint8_t *p)
{
	return (uint64_t)get_le32(p) | (uint64_t)get_le32(p + 4) << 32;
}

static void data_frame_prefs(LZ4F_preferences_t *prefs, size_t msg_len)
{
	memset(prefs, 0, sizeof(*prefs));
	prefs->frameInfo.blockSizeID = LZ4F_max256KB;
	prefs->frameInfo.blockMode = LZ4F_blockIndependent;
	prefs->frameInfo.contentChecksumFlag = LZ4F_contentChecksumEnabled;
	prefs->frameInfo.contentSize = msg_len;
	/* Below level 3 LZ4F_compressFrame() keeps its state on the stack and
	 * allocates nothing (liblz4 1.9.4); see STYLE.md. */
	prefs->compressionLevel = 1;
}

size_t ks_blob_prefix_bytes(void)
{
	return sizeof(empty_lz4_frame) + 8 + KS_BLOB_HEADER_BYTES;
}

size_t ks_blob_bound(size_t msg_len)
{
	LZ4F_preferences_t prefs;

	data_frame_prefs(&prefs, msg_len);
	return ks_blob_prefix_bytes() + LZ4F_compressFrameBound(msg_len, &prefs);
}

long ks_blob_write(void *out, size_t cap, const void *msg, size_t msg_len,
		   uint32_t flags)
{
	uint8_t *o = out;
	size_t prefix = ks_blob_prefix_bytes();
	LZ4F_preferences_t prefs;
	size_t n;

	if (cap < ks_blob_bound(msg_len))
		return -ENOBUFS;
	memcpy(o, empty_lz4_frame, sizeof(empty_lz4_frame));
	o += sizeof(empty_lz4_frame);
	put_le32(o, KS_LZ4_SKIPPABLE_MAGIC);
	put_le32(o + 4, KS_BLOB_HEADER_BYTES);
	o += 8;
	memcpy(o, KS_BLOB_MAGIC, 8);
	put_le16(o + 8, KS_BLOB_FORMAT_MAJOR);
	put_le16(o + 10, KS_BLOB_FORMAT_MINOR);
	put_le32(o + 12, flags);
	put_le64(o + 16, msg_len);

	data_frame_prefs(&prefs, msg_len);
	n = LZ4F_compressFrame((uint8_t *)out + prefix, cap - prefix, msg,
			       msg_len, &prefs);
	if (LZ4F_isError(n))
		return -EIO;
	return (long)(prefix + n);
}

/* ---- reading ------------------------------------------------------------ */

/* Every way a blob can fail, said for a person. The return code tells
 * truncated (-ENODATA: a copy that did not finish) from damaged or foreign
 * (-EBADMSG). */
#define NOT_OURS "not a kmemsnap blob "

struct frame_walk {
	const uint8_t *p;
	size_t left;
	struct kmemsnap_blob_info *info;
};

static int problem(struct frame_walk *w, int err, const char *what)
{
	w->info->problem = what;
	return err;
}

/* Parses the kmemsnap header inside a skippable frame's payload. */
static int parse_header(struct frame_walk *w, const uint8_t *h, size_t len)
{
	struct kmemsnap_blob_info *info = w->info;

	if (len < KS_BLOB_HEADER_BYTES || memcmp(h, KS_BLOB_MAGIC, 8) != 0)
		return problem(w, -EBADMSG, NOT_OURS "(bad magic in the header frame)");
	info->format_version = (uint32_t)h[8] | (uint32_t)h[9] << 8;
	info->flags = get_le32(h + 12);
	info->message_bytes = get_le64(h + 16);
	/* A newer minor version only adds header bytes and schema fields,
	 * which this reader skips; a newer major changes the layout. */
	if (info->format_version > KS_BLOB_FORMAT_MAJOR)
		return problem(w, -EPROTONOSUPPORT,
			       "written in a newer, incompatible format version");
	if (info->format_version == 0)
		return problem(w, -EBADMSG, "corrupted: format version 0");
	return 0;
}

/* Skips the leading empty LZ4 frame, then reads the header frame. A file
 * cut short is told from a foreign one by comparing what it does hold. */
static int read_prefix(struct frame_walk *w)
{
	uint8_t skip_magic[4];
	size_t n = w->left < sizeof(empty_lz4_frame) ? w->left : sizeof(empty_lz4_frame);
	uint32_t size;
	int err;

	if (w->left == 0)
		return problem(w, -ENODATA, "empty file");
	if (memcmp(w->p, empty_lz4_frame, n < 4 ? n : 4) != 0)
		return problem(w, -EBADMSG, NOT_OURS "(bad magic)");
	if (memcmp(w->p, empty_lz4_frame, n) != 0)
		return problem(w, -EBADMSG, NOT_OURS "(LZ4 data without a kmemsnap header)");
	w->p += n;
	w->left -= n;
	put_le32(skip_magic, KS_LZ4_SKIPPABLE_MAGIC);
	if (memcmp(w->p, skip_magic, w->left < 4 ? w->left : 4) != 0)
		return problem(w, -EBADMSG, NOT_OURS "(LZ4 data without a kmemsnap header)");
	if (w->left < 8 + KS_BLOB_HEADER_BYTES) {
		if (w->left > 8 && memcmp(w->p + 8, KS_BLOB_MAGIC,
					  w->left - 8 < 8 ? w->left - 8 : 8) != 0)
			return problem(w, -EBADMSG, NOT_OURS "(bad magic in the header frame)");
		return problem(w, -ENODATA,
			       "truncated: the file ends inside the kmemsnap header");
	}
	size = get_le32(w->p + 4);
	if (size > w->left - 8)
		return problem(w, -ENODATA,
			       "truncated: the file ends inside the kmemsnap header");
	err = parse_header(w, w->p + 8, size);
	if (err < 0)
		return err;
	w->p += 8 + size;
	w->left -= 8 + size;
	return 0;
}

static int lz4_problem(struct frame_walk *w, size_t code)
{
	switch (LZ4F_getErrorCode(code)) {
	case LZ4F_ERROR_contentChecksum_invalid:
	case LZ4F_ERROR_blockChecksum_invalid:
		return problem(w, -EBADMSG, "corrupted: checksum mismatch in the data frame");
	case LZ4F_ERROR_frameSize_wrong:
		return problem(w, -EBADMSG,
			       "corrupted: the data frame's size differs from the header's");
	case LZ4F_ERROR_frameHeader_incomplete:
		return problem(w, -ENODATA, "truncated: the file ends inside the data frame");
	case LZ4F_ERROR_allocation_failed:
		return problem(w, -ENOMEM, "out of memory");
	default:
		return problem(w, -EBADMSG, "corrupted: bad LZ4 data frame");
	}
}

static int check_frame_info(struct frame_walk *w, const LZ4F_frameInfo_t *fi,
			    size_t msg_len)
{
	if (fi->contentSize == 0 && msg_len != 0)
		return problem(w, -EBADMSG,
			       "corrupted: the data frame does not record its size");
	if (fi->contentSize != msg_len)
		return problem(w, -EBADMSG,
			       "corrupted: the data frame's size differs from the header's");
	if (fi->contentChecksumFlag != LZ4F_contentChecksumEnabled)
		return problem(w, -EBADMSG,
			       "corrupted: the data frame has no content checksum");
	return 0;
}

/* Decompresses the data frame into buf, which holds exactly msg_len bytes,
 * and insists the frame ends the blob. */
static int decode_frame(struct frame_walk *w, LZ4F_decompressionContext_t dctx,
			void *buf, size_t msg_len)
{
	size_t src_len = w->left;
	size_t dst_len = msg_len;
	LZ4F_frameInfo_t fi;
	size_t hint;
	int err;

	if (w->left == 0)
		return problem(w, -ENODATA, "truncated: the data frame is missing");
	hint = LZ4F_getFrameInfo(dctx, &fi, w->p, &src_len);
	if (LZ4F_isError(hint))
		return lz4_problem(w, hint);
	err = check_frame_info(w, &fi, msg_len);
	if (err < 0)
		return err;
	w->p += src_len;
	w->left -= src_len;
	/* One call: the output buffer holds the whole content, so a frame
	 * that produces more than its declared size fails here. */
	src_len = w->left;
	hint = LZ4F_decompress(dctx, buf, &dst_len, w->p, &src_len, NULL);
	if (LZ4F_isError(hint))
		return lz4_problem(w, hint);
	/* Unfinished with input left over: the output filled up first, so the
	 * blocks hold more than the frame declared. Unfinished with all input
	 * used: the file ends early. */
	if (hint != 0 && src_len < w->left)
		return problem(w, -EBADMSG,
			       "corrupted: the data frame holds more than its declared size");
	if (hint != 0)
		return problem(w, -ENODATA, "truncated: the file ends inside the data frame");
	if (src_len != w->left)
		return problem(w, -EBADMSG, "corrupted: trailing data after the data frame");
	return 0;
}

static int read_data_frame(struct frame_walk *w, void *buf, size_t msg_len)
{
	LZ4F_decompressionContext_t dctx;
	int err;

	if (LZ4F_isError(LZ4F_createDecompressionContext(&dctx, LZ4F_VERSION)))
		return problem(w, -ENOMEM, "out of memory");
	err = decode_frame(w, dctx, buf, msg_len);
	LZ4F_freeDecompressionContext(dctx);
	return err;
}

KMEMSNAP_API int kmemsnap_blob_extract(const void *blob, size_t len, void *buf,
				       size_t cap,
				       struct kmemsnap_blob_info *info)
{
	struct kmemsnap_blob_info local = { .sz = sizeof(local) };
	struct frame_walk w = { .p = blob, .left = len, .info = &local };
	int err;

	if (!blob && len)
		return -EINVAL;
	err = read_prefix(&w);
	if (err == 0 && w.info->message_bytes > KMEMSNAP_MAX_MESSAGE_BYTES)
		err = problem(&w, -EFBIG, "snapshot larger than the decoder's limit");
	if (err == 0 && (!buf || cap < w.info->message_bytes))
		err = problem(&w, -ENOBUFS, "buffer too small");
	if (err == 0)
		err = read_data_frame(&w, buf, (size_t)w.info->message_bytes);
	if (info) {
		/* An older caller's smaller struct gets the fields it has. */
		size_t sz = info->sz;

		memcpy(info, &local, sz < sizeof(local) ? sz : sizeof(local));
		info->sz = sz;
	}
	return err;
}

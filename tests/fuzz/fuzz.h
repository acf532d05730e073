/* SPDX-License-Identifier: MIT */
/*
 * What the fuzz targets share. A target is one LLVMFuzzerTestOneInput: built
 * with clang -fsanitize=fuzzer (KMEMSNAP_FUZZ=ON) it is a libFuzzer program;
 * linked with replay.c it replays files in any build, so every input that
 * once crashed stays a test of every suite (tests/fuzz/regressions/).
 *
 * How an input is read, so that the seeds (real kernel text) work as they
 * are and mutations still reach every bound:
 *  - the first byte sizes the line reader's buffer: byte * 8 - 6 bytes
 *    for 0x01..0x7f, so lines longer than it take the overlong path, else
 *    64 KiB (the recorder's is 4 KiB);
 *  - the second byte sizes the arena: 64 B << (byte % 16) for a control
 *    character 0x01..0x1f, so that every allocation fails somewhere, else
 *    4 MiB;
 *  - the last byte sets the target's own bounds (top N, groups kept);
 *  - a target that needs several files splits the input at NUL bytes,
 *    which kernel text never holds; an empty part is an absent file.
 * The bytes that choose are still part of the text.
 */
#ifndef KMEMSNAP_FUZZ_H
#define KMEMSNAP_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include "internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An invariant broken: prints it and aborts, which libFuzzer reports as a
 * crash and a replay as a failed test. */
#define FZ_CHECK(cond)                                                       \
	((cond) ? (void)0 : fz_fail(__FILE__, __LINE__, #cond))
__attribute__((noreturn)) void fz_fail(const char *file, int line,
				       const char *what);

/* The last byte, or 0 for an empty input. */
uint8_t fz_knob(const uint8_t *data, size_t size);

/* A capture context for one input. The arena and the reader's buffer are
 * heap blocks of exactly their size, so AddressSanitizer sees a parser
 * that writes past either. */
struct fz_env {
	struct ks_arena arena;
	struct ks_config cfg;
	struct ks_ctx ctx;
};

void fz_env_init(struct fz_env *e, const uint8_t *data, size_t size,
		 int root_fd);

/* A memfd holding data, read from its start; -1 when none can be made. */
int fz_memfd(const void *data, size_t size);

/* A line reader over data through the env's buffer; false when no memfd
 * could be made. ks_lines_close() closes it. */
bool fz_lines(struct fz_env *e, struct ks_lines *lr, const uint8_t *data,
	      size_t size);

/* data[0..len) as a NUL-terminated heap string (free it). */
char *fz_strndup(const uint8_t *data, size_t len);

struct fz_part {
	const uint8_t *data;
	size_t len;
};

/* Splits the input at NUL bytes into at most max parts (the last takes the
 * rest, NULs included); the parts not present are empty. */
void fz_split(const uint8_t *data, size_t size, struct fz_part *parts,
	      size_t max);

/* A scratch directory laid out like / for the sections that read several
 * files; made on first use, removed at exit. Returns its fd. */
int fz_tree(void);
/* Writes part to path below the tree, making its directories; an empty
 * part removes the file. */
void fz_tree_put(const char *path, const struct fz_part *part);

/* A message a parser built is well formed: protobuf_c_message_check()
 * passes, it packs to its packed size, and what it packs to unpacks and
 * packs again to the same size. */
void fz_check_message(const ProtobufCMessage *m);
/* A decoded message passes the check and packs to its packed size. It
 * need not read back: protobuf-c (1.4.1) takes a field number 0 written as
 * an overlong varint ("\x80\x00") as an unknown field, writes it back
 * canonically and then refuses it; a string with a NUL in it comes back
 * cut. Nothing writes a decoded snapshot again. */
void fz_check_decoded(const ProtobufCMessage *m);

#endif /* KMEMSNAP_FUZZ_H */

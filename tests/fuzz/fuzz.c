/* SPDX-License-Identifier: MIT */
/* Helpers of the fuzz targets (fuzz.h). */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"

#define LINE_CAP_BIG (64u << 10)
#define ARENA_BIG (4u << 20)

void fz_fail(const char *file, int line, const char *what)
{
	fprintf(stderr, "%s:%d: invariant broken: %s\n", file, line, what);
	abort();
}

uint8_t fz_knob(const uint8_t *data, size_t size)
{
	return size ? data[size - 1] : 0;
}

/* NUL is "no choice": the seeds that start with an empty part get the
 * recorder-like sizes. */
static size_t line_cap(const uint8_t *data, size_t size)
{
	if (size == 0 || data[0] == 0 || data[0] >= 0x80)
		return LINE_CAP_BIG;
	return (size_t)data[0] * 8 - 6;
}

static size_t arena_cap(const uint8_t *data, size_t size)
{
	if (size < 2 || data[1] == 0 || data[1] >= 0x20)
		return ARENA_BIG;
	return (size_t)64 << (data[1] % 16);
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n);

	if (!p) {
		fprintf(stderr, "fuzz: out of memory (%zu bytes)\n", n);
		abort();
	}
	return p;
}

/* A heap block of exactly n bytes, kept for the next input that wants the
 * same size: mapping and unmapping megabytes per input would cost more
 * than the parse. */
struct block {
	void *p;
	size_t n;
};

static void *block_get(struct block *b, size_t n)
{
	if (b->p && b->n == n)
		return b->p;
	free(b->p);
	b->p = xmalloc(n);
	b->n = n;
	return b->p;
}

void fz_env_init(struct fz_env *e, const uint8_t *data, size_t size,
		 int root_fd)
{
	static struct block arena, lines;
	size_t acap = arena_cap(data, size);

	memset(e, 0, sizeof(*e));
	ks_arena_init(&e->arena, block_get(&arena, acap), acap);
	e->ctx.root_fd = root_fd;
	e->ctx.arena = &e->arena;
	e->ctx.io_cap = line_cap(data, size);
	e->ctx.io_buf = block_get(&lines, e->ctx.io_cap);
	e->ctx.page_size = 4096;
	e->ctx.cfg = &e->cfg;
}

static bool write_all(int fd, const void *data, size_t size)
{
	const uint8_t *p = data;

	while (size > 0) {
		ssize_t n = write(fd, p, size);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		size -= (size_t)n;
	}
	return true;
}

int fz_memfd(const void *data, size_t size)
{
	int fd = memfd_create("kmemsnap-fuzz", MFD_CLOEXEC);

	if (fd < 0)
		return -1;
	if (!write_all(fd, data, size) || lseek(fd, 0, SEEK_SET) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

bool fz_lines(struct fz_env *e, struct ks_lines *lr, const uint8_t *data,
	      size_t size)
{
	int fd = fz_memfd(data, size);

	if (fd < 0)
		return false;
	ks_lines_from_fd(lr, fd, e->ctx.io_buf, e->ctx.io_cap);
	return true;
}

char *fz_strndup(const uint8_t *data, size_t len)
{
	char *s = xmalloc(len + 1);

	if (len)
		memcpy(s, data, len);
	s[len] = '\0';
	return s;
}

void fz_split(const uint8_t *data, size_t size, struct fz_part *parts,
	      size_t max)
{
	size_t i;

	memset(parts, 0, max * sizeof(*parts));
	for (i = 0; i < max && size > 0; i++) {
		const uint8_t *nul = i + 1 < max ? memchr(data, 0, size) : NULL;
		size_t len = nul ? (size_t)(nul - data) : size;

		parts[i].data = data;
		parts[i].len = len;
		data += len + (nul != NULL);
		size -= len + (nul != NULL);
	}
}

/* ---- the scratch tree --------------------------------------------------- */

static char tree_path[64];
static int tree_fd = -1;

static int remove_entry(const char *path, const struct stat *sb, int type,
			struct FTW *ftw)
{
	(void)sb;
	(void)type;
	(void)ftw;
	remove(path);
	return 0;
}

static void remove_tree(void)
{
	nftw(tree_path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* In tmpfs when there is one: a target writes its files for every input. */
static bool make_tree(const char *parent)
{
	snprintf(tree_path, sizeof(tree_path), "%s/kmemsnap-fuzz-XXXXXX",
		 parent);
	return mkdtemp(tree_path) != NULL;
}

int fz_tree(void)
{
	if (tree_fd >= 0)
		return tree_fd;
	if (!make_tree("/dev/shm") && !make_tree("/tmp")) {
		perror("fuzz: mkdtemp");
		abort();
	}
	atexit(remove_tree);
	tree_fd = open(tree_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (tree_fd < 0) {
		perror("fuzz: open tree");
		abort();
	}
	return tree_fd;
}

/* mkdir -p of path's directories below the tree. */
static void make_parents(int root, const char *path)
{
	char dir[512];
	const char *slash;

	for (slash = strchr(path, '/'); slash; slash = strchr(slash + 1, '/')) {
		size_t n = (size_t)(slash - path);

		if (n >= sizeof(dir))
			abort();
		memcpy(dir, path, n);
		dir[n] = '\0';
		if (mkdirat(root, dir, 0755) < 0 && errno != EEXIST) {
			perror("fuzz: mkdir");
			abort();
		}
	}
}

void fz_tree_put(const char *path, const struct fz_part *part)
{
	int root = fz_tree();
	int fd;

	if (part->len == 0) {
		if (unlinkat(root, path, 0) < 0 && errno != ENOENT) {
			perror("fuzz: unlink");
			abort();
		}
		return;
	}
	make_parents(root, path);
	fd = openat(root, path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || !write_all(fd, part->data, part->len)) {
		perror("fuzz: write");
		abort();
	}
	close(fd);
}

/* ---- messages ----------------------------------------------------------- */

/* Packs m into a new buffer, checking it fills exactly its packed size. */
static uint8_t *pack(const ProtobufCMessage *m, size_t *size)
{
	uint8_t *buf;

	FZ_CHECK(protobuf_c_message_check(m));
	*size = protobuf_c_message_get_packed_size(m);
	buf = xmalloc(*size ? *size : 1);
	FZ_CHECK(protobuf_c_message_pack(m, buf) == *size);
	return buf;
}

void fz_check_message(const ProtobufCMessage *m)
{
	ProtobufCMessage *copy;
	size_t size, again;
	uint8_t *buf = pack(m, &size);

	copy = protobuf_c_message_unpack(m->descriptor, NULL, size, buf);
	FZ_CHECK(copy != NULL);
	again = protobuf_c_message_get_packed_size(copy);
	protobuf_c_message_free_unpacked(copy, NULL);
	free(buf);
	FZ_CHECK(again == size);
}

void fz_check_decoded(const ProtobufCMessage *m)
{
	size_t size;

	free(pack(m, &size));
}

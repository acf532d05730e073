/* SPDX-License-Identifier: MIT */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

int tl_failures;
int tl_checks;
static int tests_passed, tests_failed;

void tl_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	tl_failures++;
	fprintf(stderr, "%s:%d: check failed: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void tl_run(const char *name, void (*fn)(void))
{
	int before = tl_failures;

	fn();
	if (tl_failures == before) {
		tests_passed++;
		printf("ok   %s\n", name);
	} else {
		tests_failed++;
		printf("FAIL %s\n", name);
	}
}

int tl_summary(void)
{
	printf("%d passed, %d failed\n", tests_passed, tests_failed);
	return tests_failed ? 1 : 0;
}

const char *tl_fixture(const char *rel)
{
	static char path[4096];
	const char *dir = getenv("KMEMSNAP_FIXTURES");

	snprintf(path, sizeof(path), "%s/%s", dir ? dir : "fixtures", rel);
	return path;
}

KsSnapshot *tl_capture(const char *root,
		       const struct kmemsnap_recorder_opts *opts)
{
	static KsSnapshot *snap;
	static uint8_t *msg;
	struct kmemsnap_recorder *rec;
	KMEMSNAP_OPTS(kmemsnap_recorder_opts, defaults, .root = root);
	struct kmemsnap_blob_info info = { .sz = sizeof(info) };
	const void *blob;
	size_t len;
	int err;

	if (snap) {
		kmemsnap__v1__snapshot__free_unpacked(snap, NULL);
		snap = NULL;
	}
	free(msg);
	msg = NULL;
	err = kmemsnap_recorder_new(&rec, opts ? opts : &defaults);
	if (err < 0) {
		fprintf(stderr, "recorder_new(%s): %s\n", root, kmemsnap_strerror(err));
		return NULL;
	}
	err = kmemsnap_capture(rec, NULL, &blob, &len);
	if (err == 0) {
		kmemsnap_blob_extract(blob, len, NULL, 0, &info);
		msg = malloc(info.message_bytes + 1);
		err = kmemsnap_blob_extract(blob, len, msg, info.message_bytes, &info);
	}
	if (err == 0)
		snap = kmemsnap__v1__snapshot__unpack(NULL, info.message_bytes, msg);
	if (err < 0)
		fprintf(stderr, "capture(%s): %s\n", root, kmemsnap_strerror(err));
	kmemsnap_recorder_free(rec);
	return snap;
}

void tl_open_lines(struct ks_lines *lr, const char *path, size_t cap)
{
	static char *buf;
	static size_t buf_cap;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		perror(path);
		exit(2);
	}
	if (cap == 0)
		cap = 64 << 10;
	if (cap > buf_cap) {
		free(buf);
		buf = malloc(cap);
		buf_cap = cap;
	}
	ks_lines_from_fd(lr, fd, buf, cap);
}

struct ks_arena *tl_arena(void)
{
	static struct ks_arena arena;
	static void *mem;
	const size_t cap = 16u << 20;

	if (!mem)
		mem = malloc(cap);
	ks_arena_init(&arena, mem, cap);
	return &arena;
}

void tl_remove_tree(const char *dir)
{
	int status = -1;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		execlp("rm", "rm", "-rf", "--", dir, (char *)NULL);
		_exit(127);
	}
	CHECK(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	      WEXITSTATUS(status) == 0);
}

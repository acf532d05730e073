/* SPDX-License-Identifier: MIT */
/*
 * The capture path allocates nothing (DESIGN.md, "Capturing when memory is
 * gone"): this test counts every heap call made while captures run, on this
 * machine and on every fixture tree, through all three capture calls.
 * Counting is heap_counter.c's.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "heap_counter.h"
#include "testlib.h"

#define MAX_ROOTS 32
#define CAPTURES_PER_ROOT 3

/* The counter must see a plain malloc, or a zero below proves nothing. */
static void test_counter_counts(void)
{
	static void *volatile p;
	unsigned long calls;

	heap_counter_on();
	p = malloc(24);
	calls = heap_counter_off();
	free(p);
	CHECK_EQ_U(calls, 1);

	heap_counter_on();
	p = calloc(3, 8);
	p = realloc(p, 4096);
	calls = heap_counter_off();
	free(p);
	CHECK(calls >= 2);
}

struct roots {
	char path[MAX_ROOTS][PATH_MAX];
	struct kmemsnap_recorder *rec[MAX_ROOTS];
	size_t n;
};

/* "/" and every tests/fixtures/trees/<name>, each with its own recorder. */
static void open_roots(struct roots *r)
{
	DIR *d = opendir(tl_fixture("trees"));
	struct dirent *e;
	size_t i;

	snprintf(r->path[r->n++], PATH_MAX, "/");
	CHECK(d != NULL);
	while (d && (e = readdir(d)) && r->n < MAX_ROOTS) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(r->path[r->n++], PATH_MAX, "%s/%s",
			 tl_fixture("trees"), e->d_name);
	}
	if (d)
		closedir(d);
	/* el7, modern, slab-old, ...: more than "/" alone. */
	CHECK(r->n >= 3);
	for (i = 0; i < r->n; i++) {
		KMEMSNAP_OPTS(kmemsnap_recorder_opts, opts, .root = r->path[i]);
		int err = kmemsnap_recorder_new(&r->rec[i], &opts);

		if (err < 0)
			fprintf(stderr, "recorder_new(%s): %s\n", r->path[i],
				kmemsnap_strerror(err));
		CHECK_EQ_U(err, 0);
	}
}

static void close_roots(struct roots *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		kmemsnap_recorder_free(r->rec[i]);
}

/* The blob a capture produced must hold a message, or the zero count could
 * come from a capture that gave up early. */
static void check_blob(const void *blob, size_t len, const char *root)
{
	struct kmemsnap_blob_info info = { .sz = sizeof(info) };
	int err = kmemsnap_blob_extract(blob, len, NULL, 0, &info);

	if (err != -ENOBUFS || info.message_bytes == 0)
		fprintf(stderr, "%s: bad blob: %s\n", root,
			kmemsnap_strerror(err));
	CHECK_EQ_U(err, -ENOBUFS);
	CHECK(info.message_bytes > 0);
}

static void test_capture_allocates_nothing(void)
{
	static struct roots r;
	int errs[MAX_ROOTS][CAPTURES_PER_ROOT];
	const void *blob[MAX_ROOTS];
	size_t len[MAX_ROOTS];
	unsigned long calls;
	size_t i;
	int j;

	open_roots(&r);
	heap_counter_on();
	for (i = 0; i < r.n; i++)
		for (j = 0; j < CAPTURES_PER_ROOT; j++)
			errs[i][j] = kmemsnap_capture(r.rec[i], NULL, &blob[i],
						      &len[i]);
	calls = heap_counter_off();

	CHECK_EQ_U(calls, 0);
	for (i = 0; i < r.n; i++) {
		for (j = 0; j < CAPTURES_PER_ROOT; j++)
			CHECK_EQ_U(errs[i][j], 0);
		/* Each recorder's last blob is still in its buffer. */
		check_blob(blob[i], len[i], r.path[i]);
	}
	close_roots(&r);
}

static void test_capture_to_fd_allocates_nothing(void)
{
	static struct roots r;
	int errs[MAX_ROOTS];
	int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	unsigned long calls;
	size_t i;

	CHECK(fd >= 0);
	open_roots(&r);
	heap_counter_on();
	for (i = 0; i < r.n; i++)
		errs[i] = kmemsnap_capture_to_fd(r.rec[i], NULL, fd);
	calls = heap_counter_off();

	CHECK_EQ_U(calls, 0);
	for (i = 0; i < r.n; i++)
		CHECK_EQ_U(errs[i], 0);
	close(fd);
	close_roots(&r);
}

static long file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

static void test_capture_to_file_allocates_nothing(void)
{
	static struct roots r;
	static char out[MAX_ROOTS][PATH_MAX];
	char dir[] = "/tmp/kmemsnap-alloc-XXXXXX";
	int errs[MAX_ROOTS];
	unsigned long calls;
	size_t i;

	CHECK(mkdtemp(dir) != NULL);
	open_roots(&r);
	for (i = 0; i < r.n; i++)
		snprintf(out[i], PATH_MAX, "%s/snap-%zu.kms", dir, i);
	heap_counter_on();
	for (i = 0; i < r.n; i++)
		errs[i] = kmemsnap_capture_to_file(r.rec[i], NULL, out[i]);
	calls = heap_counter_off();

	CHECK_EQ_U(calls, 0);
	for (i = 0; i < r.n; i++) {
		CHECK_EQ_U(errs[i], 0);
		/* The file holds at least the 43-byte prefix and a frame. */
		CHECK(file_size(out[i]) > 43);
		unlink(out[i]);
	}
	rmdir(dir);
	close_roots(&r);
}

/* Storing into the black-box store (the crash handler and the watcher do)
 * allocates nothing either: naming, the temporary file, the rename and the
 * retention pass, here with a count budget of 4 so that passes remove
 * files. */
static void test_capture_to_store_allocates_nothing(void)
{
	static struct roots r;
	KMEMSNAP_OPTS(kmemsnap_store_opts, sopts, .max_files = 4, .create = 1);
	char dir[] = "/tmp/kmemsnap-alloc-XXXXXX";
	char name[KMEMSNAP_STORE_NAME_MAX];
	struct kmemsnap_store *store = NULL;
	int errs[MAX_ROOTS][CAPTURES_PER_ROOT];
	int pruned;
	unsigned long calls;
	size_t i;
	int j;

	CHECK(mkdtemp(dir) != NULL);
	CHECK_EQ_U(kmemsnap_store_open(&store, dir, &sopts), 0);
	open_roots(&r);
	heap_counter_on();
	for (i = 0; i < r.n; i++)
		for (j = 0; j < CAPTURES_PER_ROOT; j++)
			errs[i][j] = kmemsnap_capture_to_store(
				r.rec[i], NULL, store, name, sizeof(name));
	pruned = kmemsnap_store_prune(store);
	calls = heap_counter_off();

	CHECK_EQ_U(calls, 0);
	for (i = 0; i < r.n; i++)
		for (j = 0; j < CAPTURES_PER_ROOT; j++)
			CHECK_EQ_U(errs[i][j], 0);
	CHECK_EQ_U(pruned, 0);
	kmemsnap_store_close(store);
	close_roots(&r);
	tl_remove_tree(dir);
}

/* Feeding the OOM parser (the watcher does it from its poll loop, maybe
 * while memory is short) and embedding its report allocate nothing either. */
static void test_oom_parser_allocates_nothing(void)
{
	struct kmemsnap_oom_parser *parser;
	struct kmemsnap_recorder *rec;
	KMEMSNAP_OPTS(kmemsnap_capture_opts, cap);
	static char text[1 << 20];
	const void *blob;
	size_t len = 0, n;
	unsigned long calls;
	int i, done = 0, err = -1;
	FILE *f;

	CHECK_EQ_U(kmemsnap_oom_parser_new(&parser), 0);
	CHECK_EQ_U(kmemsnap_recorder_new(&rec, NULL), 0);
	for (i = 1; i <= 7; i++) {
		char path[64];

		snprintf(path, sizeof(path), "samples/oom_report/%d.txt", i);
		f = fopen(tl_fixture(path), "r");
		CHECK(f != NULL);
		if (!f)
			continue;
		n = fread(text + len, 1, sizeof(text) - len - 1, f);
		len += n;
		fclose(f);
	}
	text[len] = '\0';
	cap.oom_report = parser;
	heap_counter_on();
	for (n = 0; n < len;) {
		size_t end = n;

		while (end < len && text[end] != '\n')
			end++;
		done += kmemsnap_oom_parser_feed(parser, text + n, end - n) == 1;
		n = end + 1;
	}
	err = kmemsnap_capture(rec, &cap, &blob, &len);
	calls = heap_counter_off();
	CHECK_EQ_U(calls, 0);
	CHECK(done >= 7);
	CHECK_EQ_U(err, 0);
	kmemsnap_recorder_free(rec);
	kmemsnap_oom_parser_free(parser);
}

/* The Pstore section (collect-boot) allocates nothing either: listing the
 * mount and the archive one level deep, reading records into the arena and
 * counting the blobs in a pmsg record. The tree is the ramoops fixture with
 * the EFI archive beside it and a pmsg record of two blobs. */
static void test_capture_pstore_allocates_nothing(void)
{
	KMEMSNAP_OPTS(kmemsnap_recorder_opts, mopts,
		      .root = tl_fixture("trees/modern"));
	KMEMSNAP_OPTS(kmemsnap_capture_opts, cap, .collect_pstore = 1,
		      .previous_boot_id = "0f6a3c52-8d7e-4c8b-9a51-2f0e8b1c7d10");
	struct kmemsnap_recorder *rec = NULL, *mirror = NULL;
	struct kmemsnap_blob_info info = { .sz = sizeof(info) };
	char dir[] = "/tmp/kmemsnap-alloc-XXXXXX";
	char cmd[3 * PATH_MAX], pmsg[256], root[128], ramoops[PATH_MAX];
	KMEMSNAP_OPTS(kmemsnap_recorder_opts, opts, .root = root);
	const void *blob;
	size_t len;
	unsigned long calls;
	int i, err[CAPTURES_PER_ROOT];
	FILE *f;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(root, sizeof(root), "%s/root", dir);
	/* tl_fixture()'s buffer is static: one at a time. */
	snprintf(ramoops, sizeof(ramoops), "%s", tl_fixture("pstore/ramoops"));
	snprintf(cmd, sizeof(cmd), "cp -r '%s' '%s' && cp -r '%s/var' '%s/'",
		 ramoops, root, tl_fixture("pstore/efi-archived"), root);
	CHECK(system(cmd) == 0);
	snprintf(pmsg, sizeof(pmsg), "%s/sys/fs/pstore/pmsg-ramoops-0", root);
	f = fopen(pmsg, "wb");
	CHECK(f != NULL);
	CHECK_EQ_U(kmemsnap_recorder_new(&mirror, &mopts), 0);
	for (i = 0; f && mirror && i < 2; i++)
		if (kmemsnap_capture(mirror, NULL, &blob, &len) == 0)
			fwrite(blob, 1, len, f);
	if (f)
		fclose(f);
	kmemsnap_recorder_free(mirror);
	CHECK_EQ_U(kmemsnap_recorder_new(&rec, &opts), 0);
	if (!rec)
		return;
	heap_counter_on();
	for (i = 0; i < CAPTURES_PER_ROOT; i++)
		err[i] = kmemsnap_capture(rec, &cap, &blob, &len);
	calls = heap_counter_off();
	CHECK_EQ_U(calls, 0);
	for (i = 0; i < CAPTURES_PER_ROOT; i++)
		CHECK_EQ_U(err[i], 0);
	/* It did read the records: the message holds their text. */
	CHECK_EQ_U(kmemsnap_blob_extract(blob, len, NULL, 0, &info), -ENOBUFS);
	CHECK(info.message_bytes > 10333 + 877 + 1845);
	kmemsnap_recorder_free(rec);
	tl_remove_tree(dir);
}

int main(void)
{
	if (!heap_counter_install()) {
		fprintf(stderr, "cannot install the sanitizer malloc hooks\n");
		return 1;
	}
	RUN(test_counter_counts);
	RUN(test_capture_allocates_nothing);
	RUN(test_capture_to_fd_allocates_nothing);
	RUN(test_capture_to_file_allocates_nothing);
	RUN(test_capture_to_store_allocates_nothing);
	RUN(test_oom_parser_allocates_nothing);
	RUN(test_capture_pstore_allocates_nothing);
	return tl_summary();
}

/* SPDX-License-Identifier: MIT */
/*
 * The Pstore section (section_pstore.c) on the trees of tests/fixtures/
 * pstore: a ramoops mount (dmesg, console, and a pmsg record made here of
 * real blobs), systemd-pstore's archive of EFI dmesg parts, and trees
 * built in a temporary directory (empty, hidden files, symlinks). Also the
 * blob finder on cut and damaged blobs.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

typedef Kmemsnap__V1__Pstore KsPstore;
typedef Kmemsnap__V1__PstoreRecord KsPstoreRecord;

#define STATE_OK KMEMSNAP__V1__SECTION_STATUS__STATE__STATE_OK
#define STATE_UNAVAILABLE KMEMSNAP__V1__SECTION_STATUS__STATE__STATE_UNAVAILABLE
#define STATE_TRUNCATED KMEMSNAP__V1__SECTION_STATUS__STATE__STATE_TRUNCATED
#define KIND(k) KMEMSNAP__V1__PSTORE_KIND__PSTORE_KIND_##k

/* The ramoops fixture's files, as committed. */
#define DMESG_BYTES 10333
#define CONSOLE_BYTES 877
/* What precedes the two whole blobs in the pmsg record: the end of an
 * older one, which the ring cut. */
#define CUT_TAIL_BYTES 700
/* ramoops appends its ECC notice to a record (fs/pstore/ram_core.c:
 * persistent_ram_ecc_string). */
static const char ecc_notice[] = "\nECC: No errors detected\n";

static char tmp_dir[] = "/tmp/kmemsnap-pstore-XXXXXX";

static void sh(const char *fmt, const char *a, const char *b)
{
	char cmd[8192];

	snprintf(cmd, sizeof(cmd), fmt, a, b);
	if (system(cmd) != 0) {
		fprintf(stderr, "failed: %s\n", cmd);
		exit(2);
	}
}

static const char *tmp_path(const char *rel)
{
	static char path[2][4096];
	static int which;

	which ^= 1;
	snprintf(path[which], sizeof(path[which]), "%s/%s", tmp_dir, rel);
	return path[which];
}

/* Three blobs of the modern tree, as the watcher would mirror them. */
static uint8_t blobs[3][64 << 10];
static size_t blob_len[3];

static void make_blobs(void)
{
	KMEMSNAP_OPTS(kmemsnap_recorder_opts, ropts,
		      .root = tl_fixture("trees/modern"));
	KMEMSNAP_OPTS(kmemsnap_capture_opts, copts,
		      .trigger = KMEMSNAP_TRIGGER_OOM);
	struct kmemsnap_recorder *rec;
	const void *blob;
	size_t len;
	int i;

	if (kmemsnap_recorder_new(&rec, &ropts) != 0)
		exit(2);
	for (i = 0; i < 3; i++) {
		if (kmemsnap_capture(rec, &copts, &blob, &len) != 0 ||
		    len > sizeof(blobs[i]))
			exit(2);
		memcpy(blobs[i], blob, len);
		blob_len[i] = len;
	}
	kmemsnap_recorder_free(rec);
}

static void write_file(const char *path, const void *a, size_t alen,
		       const void *b, size_t blen)
{
	FILE *f = fopen(path, "wb");

	if (!f || fwrite(a, 1, alen, f) != alen ||
	    (blen && fwrite(b, 1, blen, f) != blen) || fclose(f) != 0) {
		perror(path);
		exit(2);
	}
}

/* The pmsg record: the cut end of blob 0, blobs 1 and 2, the ECC note. */
static size_t make_pmsg(const char *path)
{
	static uint8_t rec[3 * (64 << 10) + 64];
	size_t n = 0;

	memcpy(rec, blobs[0] + blob_len[0] - CUT_TAIL_BYTES, CUT_TAIL_BYTES);
	n += CUT_TAIL_BYTES;
	memcpy(rec + n, blobs[1], blob_len[1]);
	n += blob_len[1];
	memcpy(rec + n, blobs[2], blob_len[2]);
	n += blob_len[2];
	memcpy(rec + n, ecc_notice, sizeof(ecc_notice) - 1);
	n += sizeof(ecc_notice) - 1;
	write_file(path, rec, n, NULL, 0);
	return n;
}

/* Captures below root with the pstore options and decodes the snapshot,
 * which lives until the next call. */
static KsSnapshot *capture(const char *root, size_t max_message_bytes,
			   const struct kmemsnap_capture_opts *copts)
{
	static KsSnapshot *snap;
	static uint8_t *msg;
	KMEMSNAP_OPTS(kmemsnap_recorder_opts, ropts, .root = root,
		      .max_message_bytes = max_message_bytes);
	struct kmemsnap_blob_info info = { .sz = sizeof(info) };
	struct kmemsnap_recorder *rec;
	const void *blob;
	size_t len;
	int err;

	if (snap)
		kmemsnap__v1__snapshot__free_unpacked(snap, NULL);
	snap = NULL;
	free(msg);
	msg = NULL;
	if (kmemsnap_recorder_new(&rec, &ropts) != 0)
		return NULL;
	err = kmemsnap_capture(rec, copts, &blob, &len);
	CHECK_EQ_U(err, 0);
	if (err == 0) {
		kmemsnap_blob_extract(blob, len, NULL, 0, &info);
		msg = malloc(info.message_bytes + 1);
		if (kmemsnap_blob_extract(blob, len, msg, info.message_bytes,
					  &info) == 0)
			snap = kmemsnap__v1__snapshot__unpack(
				NULL, info.message_bytes, msg);
	}
	kmemsnap_recorder_free(rec);
	CHECK(snap != NULL);
	return snap;
}

static const KsPstoreRecord *record(const KsPstore *ps, const char *name)
{
	static const KsPstoreRecord none = KMEMSNAP__V1__PSTORE_RECORD__INIT;
	size_t i;

	for (i = 0; ps && i < ps->n_records; i++)
		if (strcmp(ps->records[i]->name, name) == 0)
			return ps->records[i];
	tl_fail(__FILE__, __LINE__, "no record %s", name);
	return &none;
}

static bool text_is_file(const KsPstoreRecord *r, const char *path)
{
	static char buf[1 << 20];
	FILE *f = fopen(path, "rb");
	size_t n = f ? fread(buf, 1, sizeof(buf), f) : 0;

	if (f)
		fclose(f);
	return r->has_text && r->text.len == n &&
	       memcmp(r->text.data, buf, n) == 0;
}

/* ---- the blob finder ---------------------------------------------------- */

static void test_blob_find(void)
{
	static uint8_t buf[4 * (64 << 10)];
	size_t start = 99, len0 = blob_len[0], n;

	/* A blob alone, whole. */
	CHECK_EQ_U(ks_blob_find(blobs[0], len0, 0, &start), len0);
	CHECK_EQ_U(start, 0);
	/* Cut by one byte at either end: kmemsnap_blob_extract() refuses
	 * both, the second for its missing empty frame. */
	CHECK_EQ_U(ks_blob_find(blobs[0], len0 - 1, 0, &start), 0);
	CHECK_EQ_U(ks_blob_find(blobs[0] + 1, len0 - 1, 0, &start), 0);
	CHECK(kmemsnap_blob_extract(blobs[0] + 1, len0 - 1, NULL, 0, NULL) !=
	      -ENOBUFS);
	/* Garbage naming the magic, then the blob: found after it. */
	memcpy(buf, "xxKMEMSNAPxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", 50);
	memcpy(buf + 50, blobs[0], len0);
	CHECK_EQ_U(ks_blob_find(buf, 50 + len0, 0, &start), len0);
	CHECK_EQ_U(start, 50);
	/* Two back to back; from past the first, the second. */
	memcpy(buf + 50 + len0, blobs[1], blob_len[1]);
	n = 50 + len0 + blob_len[1];
	CHECK_EQ_U(ks_blob_find(buf, n, start + len0, &start), blob_len[1]);
	CHECK_EQ_U(start, 50 + len0);
	/* A block size beyond the frame's maximum: not a blob (the data
	 * frame's first block size is at 43 + 7 + 8). */
	memcpy(buf, blobs[0], len0);
	buf[43 + 15 + 3] = 0x7f;
	CHECK_EQ_U(ks_blob_find(buf, len0, 0, &start), 0);
	/* A header whose message size differs from the frame's. */
	memcpy(buf, blobs[0], len0);
	buf[11 + 8 + 16] ^= 1;
	CHECK_EQ_U(ks_blob_find(buf, len0, 0, &start), 0);
	CHECK_EQ_U(ks_blob_find(NULL, 0, 0, &start), 0);
}

/* ---- the section -------------------------------------------------------- */

static void test_ramoops(void)
{
	KMEMSNAP_OPTS(kmemsnap_capture_opts, copts, .collect_pstore = 1,
		      .previous_boot_id =
			      "0f6a3c52-8d7e-4c8b-9a51-2f0e8b1c7d10");
	const KsPstoreRecord *r;
	const KsPstore *ps;
	KsSnapshot *snap;
	size_t pmsg;

	sh("cp -r '%s' '%s/ramoops'", tl_fixture("pstore/ramoops"), tmp_dir);
	pmsg = make_pmsg(tmp_path("ramoops/sys/fs/pstore/pmsg-ramoops-0"));
	snap = capture(tmp_path("ramoops"), 0, &copts);
	ps = snap ? snap->pstore : NULL;
	CHECK(ps != NULL);
	if (!ps)
		return;
	CHECK_EQ_U(ps->status->state, STATE_OK);
	CHECK_EQ_S(ps->status->path, "sys/fs/pstore");
	CHECK_EQ_U(ps->status->source_bytes,
		   DMESG_BYTES + CONSOLE_BYTES + pmsg);
	CHECK_EQ_S(ps->previous_boot_id,
		   "0f6a3c52-8d7e-4c8b-9a51-2f0e8b1c7d10");
	CHECK_EQ_U(ps->n_records, 3);

	r = record(ps, "dmesg-ramoops-0");
	CHECK_EQ_U(r->kind, KIND(DMESG));
	CHECK_EQ_U(r->size_bytes, DMESG_BYTES);
	CHECK(r->has_mtime_ns && r->mtime_ns > 0);
	CHECK(!r->truncated && !r->archived);
	CHECK_EQ_U(r->kmemsnap_blobs, 0);
	CHECK(text_is_file(r,
			   tmp_path("ramoops/sys/fs/pstore/dmesg-ramoops-0")));
	CHECK(r->text.len > 14 &&
	      memcmp(r->text.data, "Panic#1 Part1\n", 14) == 0);

	r = record(ps, "console-ramoops-0");
	CHECK_EQ_U(r->kind, KIND(CONSOLE));
	CHECK_EQ_U(r->size_bytes, CONSOLE_BYTES);
	CHECK_EQ_U(r->text.len, CONSOLE_BYTES);

	r = record(ps, "pmsg-ramoops-0");
	CHECK_EQ_U(r->kind, KIND(PMSG));
	CHECK_EQ_U(r->size_bytes, pmsg);
	CHECK_EQ_U(r->text.len, pmsg);
	/* The cut one is not counted. */
	CHECK_EQ_U(r->kmemsnap_blobs, 2);
	CHECK(!r->truncated);
}

/* max_pstore_record_bytes cuts each record's text and says so; the blobs
 * of a cut pmsg record are counted in what is kept. */
static void test_record_bound(void)
{
	KMEMSNAP_OPTS(kmemsnap_capture_opts, copts, .collect_pstore = 1,
		      .max_pstore_record_bytes = 1000);
	const KsPstoreRecord *r;
	KsSnapshot *snap = capture(tmp_path("ramoops"), 0, &copts);
	const KsPstore *ps = snap ? snap->pstore : NULL;

	CHECK(ps != NULL);
	if (!ps)
		return;
	CHECK_EQ_U(ps->status->state, STATE_TRUNCATED);
	CHECK_EQ_U(snap->header->has_trigger, 1);
	r = record(ps, "dmesg-ramoops-0");
	CHECK_EQ_U(r->size_bytes, DMESG_BYTES);
	CHECK_EQ_U(r->text.len, 1000);
	CHECK(r->truncated);
	r = record(ps, "console-ramoops-0");
	CHECK_EQ_U(r->text.len, CONSOLE_BYTES);
	CHECK(!r->truncated);
	r = record(ps, "pmsg-ramoops-0");
	CHECK_EQ_U(r->text.len, 1000);
	CHECK(r->truncated);
	CHECK_EQ_U(r->kmemsnap_blobs, 0);

	/* A bound that holds the first whole blob, not the second. */
	copts.max_pstore_record_bytes = CUT_TAIL_BYTES + blob_len[1] + 10;
	snap = capture(tmp_path("ramoops"), 0, &copts);
	r = record(snap ? snap->pstore : NULL, "pmsg-ramoops-0");
	CHECK_EQ_U(r->kmemsnap_blobs, 1);
}

/* The records together take what the message has room for: here a
 * message limit of 256 KiB (the room kept for what follows) + 4 KiB. */
static void test_message_budget(void)
{
	KMEMSNAP_OPTS(kmemsnap_capture_opts, copts, .collect_pstore = 1);
	KsSnapshot *snap =
		capture(tmp_path("ramoops"), (256u + 4) << 10, &copts);
	const KsPstore *ps = snap ? snap->pstore : NULL;
	uint64_t text = 0;
	size_t i, cut = 0;

	CHECK(ps != NULL);
	if (!ps)
		return;
	CHECK_EQ_U(ps->status->state, STATE_TRUNCATED);
	CHECK_EQ_U(ps->n_records, 3);
	for (i = 0; i < ps->n_records; i++) {
		text += ps->records[i]->text.len;
		cut += ps->records[i]->truncated;
	}
	CHECK(text > 0 && text <= 4096);
	CHECK(cut >= 2);
	CHECK(snap->header->has_trigger);
}

/* systemd-pstore's archive, one level deep: an EFI group's parts and its
 * dmesg.txt. This tree has no pstore mount. */
static void test_archive(void)
{
	KMEMSNAP_OPTS(kmemsnap_capture_opts, copts, .collect_pstore = 1);
	KsSnapshot *snap =
		capture(tl_fixture("pstore/efi-archived"), 0, &copts);
	const KsPstore *ps = snap ? snap->pstore : NULL;
	const KsPstoreRecord *r;

	CHECK(ps != NULL);
	if (!ps)
		return;
	/* The archive holds what the kernel kept: that is no failure. */
	CHECK_EQ_U(ps->status->state, STATE_OK);
	CHECK(!ps->status->has_error_number);
	CHECK_EQ_S(ps->status->detail,
		   "pstore is not mounted; the records are systemd-pstore's archive");
	CHECK_EQ_U(ps->n_records, 3);
	r = record(ps, "171234567/dmesg.txt");
	CHECK(r->archived);
	CHECK_EQ_U(r->kind, KIND(DMESG));
	CHECK_EQ_U(r->size_bytes, 1845);
	CHECK(text_is_file(r, tl_fixture("pstore/efi-archived/var/lib/systemd/"
					 "pstore/171234567/dmesg.txt")));
	r = record(ps, "171234567/dmesg-efi_pstore-171234567801001");
	CHECK(r->archived);
	CHECK_EQ_U(r->kind, KIND(DMESG));
	CHECK_EQ_U(r->size_bytes, 899);
	r = record(ps, "171234567/dmesg-efi_pstore-171234567802001");
	CHECK_EQ_U(r->size_bytes, 878);
}

/* Directories given by the caller, below the root (a leading '/' too);
 * the archive's own files; what is not a regular file or is hidden. */
static void test_layouts(void)
{
	KMEMSNAP_OPTS(kmemsnap_capture_opts, copts, .collect_pstore = 1,
		      .pstore_dir = "/mnt/pstore",
		      .pstore_archive_dir = "arch");
	const KsPstore *ps;
	KsSnapshot *snap;

	sh("mkdir -p '%s/t/mnt/pstore/sub' '%s/t/arch/7'", tmp_dir, tmp_dir);
	write_file(tmp_path("t/mnt/pstore/ftrace-ramoops-0"), "f\n", 2, NULL,
		   0);
	write_file(tmp_path("t/mnt/pstore/mce-erst-1"), "m\n", 2, NULL, 0);
	write_file(tmp_path("t/mnt/pstore/.hidden"), "h\n", 2, NULL, 0);
	write_file(tmp_path("t/mnt/pstore/sub/x"), "x\n", 2, NULL, 0);
	write_file(tmp_path("t/arch/pmsg-ramoops-0"), blobs[2], blob_len[2],
		   NULL, 0);
	write_file(tmp_path("t/arch/7/console-ramoops-0"), "c\n", 2, NULL, 0);
	sh("ln -s /etc/passwd '%s/t/mnt/pstore/dmesg-link' && ln -s /etc '%s/t/arch/9'",
	   tmp_dir, tmp_dir);
	snap = capture(tmp_path("t"), 0, &copts);
	ps = snap ? snap->pstore : NULL;
	CHECK(ps != NULL);
	if (!ps)
		return;
	CHECK_EQ_U(ps->status->state, STATE_OK);
	CHECK_EQ_S(ps->status->path, "mnt/pstore");
	CHECK_EQ_U(ps->n_records, 4);
	CHECK_EQ_U(record(ps, "ftrace-ramoops-0")->kind, KIND(FTRACE));
	CHECK_EQ_U(record(ps, "mce-erst-1")->kind, KIND(OTHER));
	CHECK(!record(ps, "mce-erst-1")->archived);
	CHECK_EQ_U(record(ps, "pmsg-ramoops-0")->kmemsnap_blobs, 1);
	CHECK(record(ps, "pmsg-ramoops-0")->archived);
	CHECK_EQ_U(record(ps, "7/console-ramoops-0")->kind, KIND(CONSOLE));
}

/* Sets path's mtime, in seconds since the epoch. */
static void set_mtime(const char *path, time_t s)
{
	struct timespec ts[2] = { { .tv_sec = s }, { .tv_sec = s } };

	if (utimensat(AT_FDCWD, path, ts, 0) != 0) {
		perror(path);
		exit(2);
	}
}

/* pstore_archive_since_s: archived files older than it (here from 2020,
 * an earlier boot) are left out, one level deep too; the pstore mount's
 * are kept whatever their age. */
static void test_archive_since(void)
{
	/* 2020-01-01, 2023-11-14 */
	const time_t old = 1577836800, since = 1700000000;
	KMEMSNAP_OPTS(kmemsnap_capture_opts, copts, .collect_pstore = 1,
		      .pstore_archive_since_s = (uint64_t)since);
	const KsPstore *ps;
	KsSnapshot *snap;

	sh("mkdir -p '%s/since/sys/fs/pstore' '%s/since/var/lib/systemd/pstore/5'",
	   tmp_dir, tmp_dir);
	write_file(tmp_path("since/sys/fs/pstore/dmesg-ramoops-0"), "d\n", 2,
		   NULL, 0);
	write_file(tmp_path("since/var/lib/systemd/pstore/pmsg-ramoops-0"),
		   "old\n", 4, NULL, 0);
	write_file(tmp_path("since/var/lib/systemd/pstore/5/dmesg.txt"),
		   "old\n", 4, NULL, 0);
	write_file(tmp_path("since/var/lib/systemd/pstore/console-ramoops-0"),
		   "new\n", 4, NULL, 0);
	set_mtime(tmp_path("since/sys/fs/pstore/dmesg-ramoops-0"), old);
	set_mtime(tmp_path("since/var/lib/systemd/pstore/pmsg-ramoops-0"), old);
	set_mtime(tmp_path("since/var/lib/systemd/pstore/5/dmesg.txt"), old);
	set_mtime(tmp_path("since/var/lib/systemd/pstore/console-ramoops-0"),
		  since);

	snap = capture(tmp_path("since"), 0, &copts);
	ps = snap ? snap->pstore : NULL;
	CHECK(ps != NULL);
	if (!ps)
		return;
	CHECK_EQ_U(ps->status->state, STATE_OK);
	CHECK_EQ_U(ps->status->lines_skipped, 0);
	CHECK_EQ_U(ps->status->source_bytes, 2 + 4);
	CHECK_EQ_U(ps->n_records, 2);
	CHECK(!record(ps, "dmesg-ramoops-0")->archived);
	CHECK(record(ps, "console-ramoops-0")->archived);

	/* 0: the whole archive. */
	copts.pstore_archive_since_s = 0;
	snap = capture(tmp_path("since"), 0, &copts);
	ps = snap ? snap->pstore : NULL;
	CHECK(ps != NULL);
	if (!ps)
		return;
	CHECK_EQ_U(ps->n_records, 4);
	CHECK_EQ_U(record(ps, "pmsg-ramoops-0")->mtime_ns,
		   (uint64_t)old * 1000000000u);
	CHECK_EQ_U(record(ps, "5/dmesg.txt")->size_bytes, 4);
}

static void test_empty_and_missing(void)
{
	KMEMSNAP_OPTS(kmemsnap_capture_opts, copts, .collect_pstore = 1);
	KMEMSNAP_OPTS(kmemsnap_capture_opts, none,
		      .trigger = KMEMSNAP_TRIGGER_MANUAL);
	KsSnapshot *snap;

	/* An unmounted /sys/fs/pstore is an empty directory. */
	sh("mkdir -p '%s/empty/sys/fs/pstore'%s", tmp_dir, "");
	snap = capture(tmp_path("empty"), 0, &copts);
	CHECK(snap && snap->pstore);
	if (snap && snap->pstore) {
		CHECK_EQ_U(snap->pstore->status->state, STATE_OK);
		CHECK_EQ_U(snap->pstore->n_records, 0);
		CHECK(snap->pstore->previous_boot_id == NULL);
	}
	/* No directory at all. */
	snap = capture(tl_fixture("trees/modern"), 0, &copts);
	CHECK(snap && snap->pstore);
	if (snap && snap->pstore) {
		CHECK_EQ_U(snap->pstore->status->state, STATE_UNAVAILABLE);
		CHECK_EQ_U(snap->pstore->status->error_number, ENOENT);
		CHECK_EQ_S(snap->pstore->status->path, "sys/fs/pstore");
		CHECK_EQ_S(snap->pstore->status->detail,
			   "pstore is not mounted");
		CHECK_EQ_U(snap->pstore->n_records, 0);
	}
	/* Not asked for: no section. */
	snap = capture(tmp_path("ramoops"), 0, &none);
	CHECK(snap && snap->pstore == NULL);
	snap = capture(tmp_path("ramoops"), 0, NULL);
	CHECK(snap && snap->pstore == NULL);
}

int main(void)
{
	int rc;

	if (!mkdtemp(tmp_dir)) {
		perror("mkdtemp");
		return 2;
	}
	make_blobs();
	RUN(test_blob_find);
	RUN(test_ramoops);
	RUN(test_record_bound);
	RUN(test_message_budget);
	RUN(test_archive);
	RUN(test_layouts);
	RUN(test_archive_since);
	RUN(test_empty_and_missing);
	rc = tl_summary();
	sh("rm -rf -- '%s'%s", tmp_dir, "");
	return rc;
}

/* SPDX-License-Identifier: MIT */
/*
 * The black-box store (docs/STORE.md): names that sort by time and carry
 * boot and trigger, files 0600 never written through a symlink, writes that
 * survive SIGKILL at any moment, the retention rule on fixture trees with
 * simulated reboots, and two processes sharing one store.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

#define MAX_NAMES 4096
#define NAME_MAX_ 64

struct names {
	char v[MAX_NAMES][NAME_MAX_];
	size_t n;
};

static void make_dir(char *tmpl)
{
	if (!mkdtemp(tmpl)) {
		perror("mkdtemp");
		exit(2);
	}
}

static void run_cmd(const char *fmt, const char *a, const char *b)
{
	char cmd[8192];

	snprintf(cmd, sizeof(cmd), fmt, a, b);
	if (system(cmd) != 0) {
		fprintf(stderr, "failed: %s\n", cmd);
		exit(2);
	}
}

static void remove_tree(const char *dir)
{
	run_cmd("rm -rf -- '%s'%s", dir, "");
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* The store's snapshots ("*.kms", not hidden), sorted. */
static void list_kms(const char *dir, struct names *out)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	out->n = 0;
	while (d && (e = readdir(d)) && out->n < MAX_NAMES) {
		size_t len = strlen(e->d_name);

		if (e->d_name[0] == '.' || len < 4 || len >= NAME_MAX_ ||
		    strcmp(e->d_name + len - 4, ".kms") != 0)
			continue;
		memcpy(out->v[out->n++], e->d_name, len + 1);
	}
	if (d)
		closedir(d);
	qsort(out->v, out->n, NAME_MAX_, name_cmp);
}

static size_t count_temps(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0, len;

	while (d && (e = readdir(d))) {
		len = strlen(e->d_name);
		n += e->d_name[0] == '.' && len > 4 &&
		     strcmp(e->d_name + len - 4, ".tmp") == 0;
	}
	if (d)
		closedir(d);
	return n;
}

static bool has_name(const struct names *ns, const char *name)
{
	return bsearch(name, ns->v, ns->n, NAME_MAX_, name_cmp) != NULL;
}

static uint64_t file_bytes(const char *dir, const char *name)
{
	char path[8192];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
}

/* Reads dir/name and checks it is a whole, intact blob. Returns the
 * blob_extract result. */
static int verify_file(const char *dir, const char *name)
{
	static uint8_t data[4 << 20], msg[8 << 20];
	struct kmemsnap_blob_info info = { .sz = sizeof(info) };
	char path[8192];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, data, sizeof(data));
	close(fd);
	if (n <= 0)
		return -ENODATA;
	return kmemsnap_blob_extract(data, (size_t)n, msg, sizeof(msg), &info);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* A writable copy of a fixture tree, whose boot id the tests rewrite to
 * simulate reboots. */
static void copy_tree(const char *tree, char *dst_tmpl)
{
	char src[4096];

	make_dir(dst_tmpl);
	snprintf(src, sizeof(src), "%s", tl_fixture(tree));
	run_cmd("cp -a '%s/.' '%s'", src, dst_tmpl);
}

static void set_boot_id(const char *root, const char *boot_id)
{
	char path[8192];
	FILE *f;

	snprintf(path, sizeof(path), "%s/proc/sys/kernel/random/boot_id", root);
	f = fopen(path, "w");
	if (!f || fprintf(f, "%s\n", boot_id) < 0 || fclose(f) != 0) {
		perror(path);
		exit(2);
	}
}

static struct kmemsnap_recorder *new_recorder(const char *root)
{
	KMEMSNAP_OPTS(kmemsnap_recorder_opts, opts, .root = root);
	struct kmemsnap_recorder *rec = NULL;

	CHECK_EQ_U(kmemsnap_recorder_new(&rec, &opts), 0);
	return rec;
}

static struct kmemsnap_store *open_store(const char *dir, uint64_t max_bytes,
					 uint32_t max_files, uint32_t percent)
{
	KMEMSNAP_OPTS(kmemsnap_store_opts, opts, .max_bytes = max_bytes,
		      .max_files = max_files, .max_protected_percent = percent,
		      .create = 1);
	struct kmemsnap_store *s = NULL;
	int err = kmemsnap_store_open(&s, dir, &opts);

	if (err < 0)
		fprintf(stderr, "store_open(%s): %s\n", dir,
			kmemsnap_strerror(err));
	CHECK_EQ_U(err, 0);
	return s;
}

static int capture_as(struct kmemsnap_recorder *rec, struct kmemsnap_store *s,
		      enum kmemsnap_trigger trigger, char *name)
{
	KMEMSNAP_OPTS(kmemsnap_capture_opts, cap, .trigger = trigger);

	return kmemsnap_capture_to_store(rec, &cap, s, name,
					 KMEMSNAP_STORE_NAME_MAX);
}

/* ---- names -------------------------------------------------------------- */

static void test_names(void)
{
	char a[KMEMSNAP_STORE_NAME_MAX], b[KMEMSNAP_STORE_NAME_MAX];

	/* date -u -d @1795435262 +%Y%m%dT%H%M%S: 20261123T120102 */
	ks_store_name(a, 1795435262123456789ull,
		      "0f6a3c52-8d7e-4c8b-9a51-2f0e8b1c7d10",
		      KMEMSNAP_TRIGGER_OOM);
	CHECK_EQ_S(a, "20261123T120102.123456Z_0f6a3c52_oom.kms");
	/* date -u -d @1709164800: Thu Feb 29 00:00:00 UTC 2024 */
	CHECK_EQ_U(ks_store_name(a, 1709164800000000000ull, "0F6A3C52-8D7E",
				 KMEMSNAP_TRIGGER_BOOT_COLLECT),
		   strlen("20240229T000000.000000Z_0f6a3c52_boot-collect.kms"));
	CHECK_EQ_S(a, "20240229T000000.000000Z_0f6a3c52_boot-collect.kms");
	ks_store_name(a, 0, NULL, KMEMSNAP_TRIGGER_TIMER);
	CHECK_EQ_S(a, "19700101T000000.000000Z_noboot00_timer.kms");
	ks_store_name(a, 1735689599999999000ull, "0f6a3c5", 99);
	CHECK_EQ_S(a, "20241231T235959.999999Z_noboot00_unknown.kms");
	ks_store_name(a, 1735689599999999000ull, "zz6a3c52-",
		      KMEMSNAP_TRIGGER_MANUAL);
	CHECK_EQ_S(a, "20241231T235959.999999Z_noboot00_manual.kms");

	/* Sorting by name is sorting by time, across a year, a second and a
	 * microsecond, whatever the boot and trigger. */
	ks_store_name(a, 1735689599999999000ull, "ffffffff",
		      KMEMSNAP_TRIGGER_TIMER);
	ks_store_name(b, 1735689600000000000ull, "00000000",
		      KMEMSNAP_TRIGGER_BASELINE);
	CHECK(strcmp(a, b) < 0);
	ks_store_name(a, 1735689600000001000ull, "00000000",
		      KMEMSNAP_TRIGGER_CRASH);
	CHECK(strcmp(b, a) < 0);
	ks_store_name(b, 1735689600000001999ull, "00000000",
		      KMEMSNAP_TRIGGER_CRASH);
	CHECK_EQ_S(a, b); /* same microsecond: the writer adds a counter */
}

/* ---- capture_to_store: name, mode, content ------------------------------ */

static void test_capture_to_store(void)
{
	char dir[] = "/tmp/kmemsnap-store-XXXXXX";
	char store_dir[4400], lo[KMEMSNAP_STORE_NAME_MAX];
	char name[KMEMSNAP_STORE_NAME_MAX], name2[KMEMSNAP_STORE_NAME_MAX];
	char hi[KMEMSNAP_STORE_NAME_MAX], path[8192];
	struct kmemsnap_recorder *rec =
		new_recorder(tl_fixture("trees/modern"));
	struct kmemsnap_store_pass pass = { .sz = sizeof(pass) };
	struct kmemsnap_store *s;
	struct stat st;
	uint64_t before, after;

	make_dir(dir);
	snprintf(store_dir, sizeof(store_dir), "%s/store", dir);
	s = open_store(store_dir, 0, 0, 0);
	CHECK(stat(store_dir, &st) == 0 && (st.st_mode & 0777) == 0700);
	CHECK_EQ_U(kmemsnap_store_last_pass(s, &pass), -ENODATA);

	before = now_ns();
	CHECK_EQ_U(capture_as(rec, s, KMEMSNAP_TRIGGER_OOM, name), 0);
	after = now_ns();
	/* trees/modern's boot id is 0f6a3c52-8d7e-...; the time is the
	 * capture's, between before and after. */
	ks_store_name(lo, before, "0f6a3c52", KMEMSNAP_TRIGGER_OOM);
	ks_store_name(hi, after, "0f6a3c52", KMEMSNAP_TRIGGER_OOM);
	CHECK(strcmp(lo, name) <= 0 && strcmp(name, hi) <= 0);
	CHECK_EQ_U(strlen(name),
		   strlen("20261123T120102.123456Z_0f6a3c52_oom.kms"));
	CHECK(strstr(name, "_0f6a3c52_oom.kms") != NULL);

	snprintf(path, sizeof(path), "%s/%s", store_dir, name);
	CHECK(lstat(path, &st) == 0 && S_ISREG(st.st_mode));
	CHECK_EQ_U(st.st_mode & 0777, 0600);
	CHECK_EQ_U(verify_file(store_dir, name), 0);

	/* NULL name_out is allowed; a short buffer is not. */
	CHECK_EQ_U(kmemsnap_capture_to_store(rec, NULL, s, NULL, 0), 0);
	CHECK_EQ_U(kmemsnap_capture_to_store(rec, NULL, s, name2, 10), -EINVAL);
	CHECK_EQ_U(capture_as(rec, s, KMEMSNAP_TRIGGER_TIMER, name2), 0);
	CHECK(strcmp(name, name2) < 0);
	CHECK(strstr(name2, "_0f6a3c52_timer.kms") != NULL);

	CHECK_EQ_U(kmemsnap_store_last_pass(s, &pass), 0);
	CHECK_EQ_U(pass.files, 3);
	CHECK_EQ_U(pass.removed, 0);
	CHECK_EQ_U(pass.error, 0);
	/* The first of the boot and the oom one: the same file. */
	CHECK_EQ_U(pass.protected_files, 1);
	CHECK_EQ_U(pass.protected_bytes, file_bytes(store_dir, name));

	/* Bad options. */
	{
		KMEMSNAP_OPTS(kmemsnap_store_opts, bad,
			      .max_protected_percent = 101);
		struct kmemsnap_store *t = NULL;

		CHECK_EQ_U(kmemsnap_store_open(&t, store_dir, &bad), -EINVAL);
		CHECK(t == NULL);
		CHECK_EQ_U(kmemsnap_store_open(&t, "", NULL), -EINVAL);
		snprintf(path, sizeof(path), "%s/missing", dir);
		CHECK_EQ_U(kmemsnap_store_open(&t, path, NULL), -ENOENT);
	}
	kmemsnap_store_close(s);
	kmemsnap_recorder_free(rec);
	remove_tree(dir);
}

/* ---- symlinks ----------------------------------------------------------- */

static bool victim_intact(const char *victim)
{
	char buf[64];
	int fd = open(victim, O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf)) : -1;

	if (fd >= 0)
		close(fd);
	return n == 7 && memcmp(buf, "victim\n", 7) == 0;
}

static void test_symlinks(void)
{
	char dir[] = "/tmp/kmemsnap-store-XXXXXX";
	char real[4400], link_path[4400], victim[4400], path[8192];
	char name[KMEMSNAP_STORE_NAME_MAX], out[KMEMSNAP_STORE_NAME_MAX];
	char tmp[KS_TEMP_NAME_MAX];
	struct kmemsnap_store *s = NULL;
	static struct names ns;
	struct stat st;
	unsigned long seq;
	int dirfd, i;
	FILE *f;

	make_dir(dir);
	snprintf(real, sizeof(real), "%s/real", dir);
	snprintf(link_path, sizeof(link_path), "%s/link", dir);
	snprintf(victim, sizeof(victim), "%s/victim", dir);
	CHECK(mkdir(real, 0700) == 0);
	CHECK(symlink(real, link_path) == 0);
	f = fopen(victim, "w");
	CHECK(f && fputs("victim\n", f) >= 0 && fclose(f) == 0);

	/* The store's own path: refused as it is, with a trailing slash, and
	 * with create. */
	CHECK_EQ_U(kmemsnap_store_open(&s, link_path, NULL), -ELOOP);
	snprintf(path, sizeof(path), "%s/", link_path);
	CHECK_EQ_U(kmemsnap_store_open(&s, path, NULL), -ELOOP);
	{
		KMEMSNAP_OPTS(kmemsnap_store_opts, create, .create = 1);

		CHECK_EQ_U(kmemsnap_store_open(&s, link_path, &create), -ELOOP);
	}
	CHECK(s == NULL);

	s = open_store(real, 0, 0, 0);
	if (!s)
		return;
	/* A symlink at the final name: the file goes to the next free name,
	 * the symlink and what it points to stay as they were. */
	ks_store_name(name, 1795435262123456000ull, "0f6a3c52",
		      KMEMSNAP_TRIGGER_OOM);
	snprintf(path, sizeof(path), "%s/%s", real, name);
	CHECK(symlink(victim, path) == 0);
	CHECK_EQ_U(ks_store_write(s, name, "snapshot", 8, out, sizeof(out)), 0);
	CHECK_EQ_S(out, "20261123T120102.123456Z_0f6a3c52_oom_1.kms");
	CHECK(lstat(path, &st) == 0 && S_ISLNK(st.st_mode));
	CHECK(victim_intact(victim));
	CHECK_EQ_U(file_bytes(real, out), 8);

	/* Symlinks at the next temporary names: ks_write_temp() numbers them
	 * ".<name>.<pid>.<seq>.tmp" with one counter per process; learn it,
	 * then plant the next three. The write takes the fourth. */
	ks_store_name(name, 1795435263000000000ull, "0f6a3c52",
		      KMEMSNAP_TRIGGER_TIMER);
	dirfd = open(real, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	CHECK(dirfd >= 0);
	CHECK_EQ_U(ks_write_temp(dirfd, name, "", 0, tmp, sizeof(tmp)), 0);
	CHECK(unlinkat(dirfd, tmp, 0) == 0);
	close(dirfd);
	*strrchr(tmp, '.') = '\0';
	seq = strtoul(strrchr(tmp, '.') + 1, NULL, 10);
	for (i = 1; i <= 3; i++) {
		snprintf(path, sizeof(path), "%s/.%s.%d.%lu.tmp", real, name,
			 (int)getpid(), seq + (unsigned long)i);
		CHECK(symlink(victim, path) == 0);
	}
	CHECK_EQ_U(ks_store_write(s, name, "snapshot", 8, out, sizeof(out)), 0);
	CHECK_EQ_S(out, name);
	CHECK(victim_intact(victim));
	CHECK_EQ_U(file_bytes(real, out), 8);
	CHECK(lstat(path, &st) == 0 && S_ISLNK(st.st_mode));

	/* Every temporary name taken: refused, nothing written anywhere. */
	for (i = 5; i <= 40; i++) {
		snprintf(path, sizeof(path), "%s/.%s.%d.%lu.tmp", real, name,
			 (int)getpid(), seq + (unsigned long)i);
		CHECK(symlink(victim, path) == 0);
	}
	ks_store_name(name, 1795435263000000000ull, "0f6a3c52",
		      KMEMSNAP_TRIGGER_TIMER);
	CHECK_EQ_U(ks_store_write(s, name, "snapshot", 8, out, sizeof(out)),
		   -EEXIST);
	CHECK(victim_intact(victim));
	list_kms(real, &ns);
	/* oom.kms (the symlink), oom_1.kms and timer.kms */
	CHECK_EQ_U(ns.n, 3);

	/* The planted symlinks are not temporary files of a writer (not
	 * regular files): a pass leaves them, and the victim, alone. */
	CHECK(kmemsnap_store_prune(s) >= 0);
	CHECK_EQ_U(count_temps(real), 3 + 36);
	CHECK(victim_intact(victim));
	kmemsnap_store_close(s);
	remove_tree(dir);
}

/* ---- SIGKILL at any moment ---------------------------------------------- */

static void writer_loop(struct kmemsnap_recorder *rec, const char *dir)
	__attribute__((noreturn));
static void writer_loop(struct kmemsnap_recorder *rec, const char *dir)
{
	KMEMSNAP_OPTS(kmemsnap_store_opts, opts, .max_bytes = 1ull << 30,
		      .max_files = 20000);
	struct kmemsnap_store *s;

	if (kmemsnap_store_open(&s, dir, &opts) < 0)
		_exit(1);
	for (;;)
		if (kmemsnap_capture_to_store(rec, NULL, s, NULL, 0) < 0)
			_exit(1);
}

/* A writer that dies between writing its temporary file and renaming it. */
static void leave_temp(const char *dir)
{
	char tmp[KS_TEMP_NAME_MAX];
	char name[KMEMSNAP_STORE_NAME_MAX];
	pid_t pid;
	int fd;

	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		ks_store_name(name, now_ns(), "0f6a3c52", KMEMSNAP_TRIGGER_OOM);
		_exit(fd >= 0 && ks_write_temp(fd, name, "x", 1, tmp,
					       sizeof(tmp)) == 0 ?
			      0 :
			      1);
	}
	CHECK(pid > 0);
	CHECK(pid > 0 && waitpid(pid, NULL, 0) == pid);
}

/* How long one capture into a store takes here (under valgrind, far
 * longer): the kills below are spread over a few of them. */
static uint64_t capture_us(struct kmemsnap_recorder *rec, const char *dir)
{
	struct kmemsnap_store *s = open_store(dir, 0, 0, 0);
	uint64_t start = monotonic_ms(), us;

	CHECK_EQ_U(kmemsnap_capture_to_store(rec, NULL, s, NULL, 0), 0);
	CHECK_EQ_U(kmemsnap_capture_to_store(rec, NULL, s, NULL, 0), 0);
	us = (monotonic_ms() - start) * 500 + 1000;
	kmemsnap_store_close(s);
	return us;
}

/* Children capture into the store in a loop and are killed at random
 * moments, within about three captures of starting. Whatever the moment,
 * every *.kms is whole, no file that existed before a child started is
 * lost, and the next pass removes the temporary files the dead left. The
 * loop runs 1.5 s, longer if it has not yet killed 20 writers and seen 5
 * snapshots stored, but never over 30 s. */
static void test_kill_writer(void)
{
	char dir[] = "/tmp/kmemsnap-store-XXXXXX";
	char tmp[KS_TEMP_NAME_MAX], name[KMEMSNAP_STORE_NAME_MAX];
	struct kmemsnap_recorder *rec =
		new_recorder(tl_fixture("trees/explain-boot"));
	struct kmemsnap_store_pass pass = { .sz = sizeof(pass) };
	static struct names before, after;
	struct kmemsnap_store *s;
	uint64_t start, elapsed, spread;
	unsigned seed = 20261123;
	size_t i, lost = 0, bad = 0, temps;
	int kills = 0, dirfd;

	make_dir(dir);
	spread = 3 * capture_us(rec, dir);
	start = monotonic_ms();
	for (;;) {
		pid_t pid;

		elapsed = monotonic_ms() - start;
		if (elapsed >= 30000 || kills >= 400 ||
		    (elapsed >= 1500 && kills >= 20 && after.n >= 7))
			break;
		list_kms(dir, &before);
		fflush(NULL); /* a child's exit must not print our buffers */
		pid = fork();
		if (pid == 0)
			writer_loop(rec, dir);
		CHECK(pid > 0);
		if (pid < 0)
			break;
		usleep((useconds_t)(rand_r(&seed) % spread));
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		kills++;
		list_kms(dir, &after);
		for (i = 0; i < before.n; i++)
			lost += !has_name(&after, before.v[i]);
	}
	leave_temp(dir);
	list_kms(dir, &after);
	for (i = 0; i < after.n; i++)
		bad += verify_file(dir, after.v[i]) != 0;
	fprintf(stderr,
		"  %d writers killed, %zu snapshots stored, %zu "
		"temporary files left\n",
		kills, after.n, count_temps(dir));
	CHECK(kills >= 20);
	CHECK(after.n >= 7); /* 5 and capture_us()'s two */
	CHECK_EQ_U(lost, 0);
	CHECK_EQ_U(bad, 0);

	/* A live writer's temporary file (ours) stays; the dead ones go. */
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ks_store_name(name, now_ns(), "0f6a3c52", KMEMSNAP_TRIGGER_TIMER);
	CHECK_EQ_U(ks_write_temp(dirfd, name, "x", 1, tmp, sizeof(tmp)), 0);
	temps = count_temps(dir);
	CHECK(temps >= 2); /* ours and leave_temp()'s */
	s = open_store(dir, 1ull << 30, 20000, 0);
	CHECK_EQ_U(kmemsnap_store_prune(s), 0);
	CHECK_EQ_U(kmemsnap_store_last_pass(s, &pass), 0);
	CHECK_EQ_U(pass.temps_removed, temps - 1);
	CHECK_EQ_U(pass.files, after.n);
	CHECK_EQ_U(count_temps(dir), 1);
	CHECK(unlinkat(dirfd, tmp, 0) == 0);
	close(dirfd);
	kmemsnap_store_close(s);
	kmemsnap_recorder_free(rec);
	remove_tree(dir);
}

/* ---- retention ---------------------------------------------------------- */

struct step {
	const char *boot_id;
	enum kmemsnap_trigger trigger;
};

/* Captures root (a copy of a fixture tree) once per step, with the step's
 * boot id written into the tree first: a reboot between steps of
 * different boots. */
static void capture_steps(const char *root, struct kmemsnap_store *s,
			  const struct step *steps, size_t n,
			  char (*names)[KMEMSNAP_STORE_NAME_MAX])
{
	struct kmemsnap_recorder *rec = new_recorder(root);
	size_t i;

	for (i = 0; i < n; i++) {
		set_boot_id(root, steps[i].boot_id);
		CHECK_EQ_U(capture_as(rec, s, steps[i].trigger, names[i]), 0);
	}
	kmemsnap_recorder_free(rec);
}

#define A_BOOT "a0000000-0000-4000-8000-00000000000a"
#define B_BOOT "b0000000-0000-4000-8000-00000000000b"
#define C_BOOT "c0000000-0000-4000-8000-00000000000c"

/* Count budget 8, half of it (4 files) for protected snapshots; a pass
 * after every capture. By hand, with P = protected:
 *  a1..c1 (8 files): P = a1 (first of A), a3 (oom), b1, c1: all fit.
 *  c2 (crash), 9 files: P newest first c2, c1, b1, a3 fill the 4; a1 loses
 *   protection and, oldest unprotected, goes.
 *  c3, 9 files: a2 is now A's first, but P is full again: a2 goes.
 *  c4, 9 files: a3 is A's first and oom: P = a3, b1, c1, c2; a4 goes.
 * Left: a3 b1 b2 b3 c1 c2 c3 c4: the periodic a-snapshots went first. */
static void test_retention_count(void)
{
	static const struct step steps[] = {
		{ A_BOOT, KMEMSNAP_TRIGGER_TIMER }, /* a1 */
		{ A_BOOT, KMEMSNAP_TRIGGER_TIMER }, /* a2 */
		{ A_BOOT, KMEMSNAP_TRIGGER_OOM },   /* a3 */
		{ A_BOOT, KMEMSNAP_TRIGGER_TIMER }, /* a4 */
		{ B_BOOT, KMEMSNAP_TRIGGER_TIMER }, /* b1 */
		{ B_BOOT, KMEMSNAP_TRIGGER_TIMER }, /* b2 */
		{ B_BOOT, KMEMSNAP_TRIGGER_TIMER }, /* b3 */
		{ C_BOOT, KMEMSNAP_TRIGGER_TIMER }, /* c1 */
		{ C_BOOT, KMEMSNAP_TRIGGER_CRASH }, /* c2 */
		{ C_BOOT, KMEMSNAP_TRIGGER_TIMER }, /* c3 */
		{ C_BOOT, KMEMSNAP_TRIGGER_TIMER }, /* c4 */
	};
	static const size_t kept[] = { 2, 4, 5, 6, 7, 8, 9, 10 };
	char root[] = "/tmp/kmemsnap-root-XXXXXX";
	char dir[] = "/tmp/kmemsnap-store-XXXXXX";
	char names[11][KMEMSNAP_STORE_NAME_MAX];
	struct kmemsnap_store_pass pass = { .sz = sizeof(pass) };
	static struct names ns;
	struct kmemsnap_store *s;
	size_t i;

	copy_tree("trees/explain-boot", root);
	make_dir(dir);
	s = open_store(dir, 1ull << 30, 8, 50);
	capture_steps(root, s, steps, 11, names);
	CHECK(strstr(names[0], "_a0000000_timer.kms") != NULL);
	CHECK(strstr(names[2], "_a0000000_oom.kms") != NULL);
	CHECK(strstr(names[8], "_c0000000_crash.kms") != NULL);
	for (i = 1; i < 11; i++)
		CHECK(strcmp(names[i - 1], names[i]) < 0);

	list_kms(dir, &ns);
	CHECK_EQ_U(ns.n, 8);
	for (i = 0; i < 8; i++)
		CHECK_EQ_S(ns.v[i], names[kept[i]]);
	CHECK_EQ_U(kmemsnap_store_last_pass(s, &pass), 0);
	CHECK_EQ_U(pass.files, 8);
	CHECK_EQ_U(pass.removed, 1);
	CHECK_EQ_U(pass.protected_files, 4);
	CHECK_EQ_U(pass.untracked, 0);
	/* Nothing over budget: a pass now removes nothing. */
	CHECK_EQ_U(kmemsnap_store_prune(s), 0);
	kmemsnap_store_close(s);
	remove_tree(root);
	remove_tree(dir);
}

#define D_BOOT "d0000000-0000-4000-8000-00000000000d"
#define E_BOOT "e0000000-0000-4000-8000-00000000000e"

/* Byte budget: seven snapshots of one tree, all within a few bytes of one
 * size S, stored without limits; then one pass with a budget of 4.5 S
 * (room for 4) and half of it (2.25 S, room for 2) for protected ones.
 * P newest first: e2 (oom), e1 (first of E); d1 (first of D) does not fit
 * and loses protection. Oldest unprotected go until 4 are left: d1, d2,
 * e3. Left: e1 e2 e4 e5. */
static void test_retention_bytes(void)
{
	static const struct step steps[] = {
		{ D_BOOT, KMEMSNAP_TRIGGER_TIMER },    /* d1 */
		{ D_BOOT, KMEMSNAP_TRIGGER_TIMER },    /* d2 */
		{ E_BOOT, KMEMSNAP_TRIGGER_BASELINE }, /* e1 */
		{ E_BOOT, KMEMSNAP_TRIGGER_OOM },      /* e2 */
		{ E_BOOT, KMEMSNAP_TRIGGER_TIMER },    /* e3 */
		{ E_BOOT, KMEMSNAP_TRIGGER_PRESSURE }, /* e4 */
		{ E_BOOT, KMEMSNAP_TRIGGER_TIMER },    /* e5 */
	};
	static const size_t kept[] = { 2, 3, 5, 6 };
	char root[] = "/tmp/kmemsnap-root-XXXXXX";
	char dir[] = "/tmp/kmemsnap-store-XXXXXX";
	char names[7][KMEMSNAP_STORE_NAME_MAX], path[4400];
	struct kmemsnap_store_pass pass = { .sz = sizeof(pass) };
	static struct names ns;
	struct kmemsnap_store *s;
	uint64_t size, min = UINT64_MAX, max = 0, total = 0;
	size_t i;
	FILE *f;

	copy_tree("trees/explain-boot", root);
	make_dir(dir);
	s = open_store(dir, 1ull << 30, 1000, 0);
	capture_steps(root, s, steps, 7, names);
	kmemsnap_store_close(s);
	for (i = 0; i < 7; i++) {
		size = file_bytes(dir, names[i]);
		min = size < min ? size : min;
		max = size > max ? size : max;
	}
	/* The arithmetic above needs sizes within 10 % of each other. */
	CHECK(min > 0 && max - min < max / 10);

	/* Files the store did not write are neither counted nor removed. */
	snprintf(path, sizeof(path), "%s/copied-by-hand.kms", dir);
	f = fopen(path, "w");
	CHECK(f && fputs("not a store name\n", f) >= 0 && fclose(f) == 0);

	s = open_store(dir, 4 * max + max / 2, 1000, 50);
	CHECK_EQ_U(kmemsnap_store_prune(s), 3);
	list_kms(dir, &ns);
	CHECK_EQ_U(ns.n, 5);
	CHECK(has_name(&ns, "copied-by-hand.kms"));
	for (i = 0; i < 4; i++) {
		CHECK(has_name(&ns, names[kept[i]]));
		total += file_bytes(dir, names[kept[i]]);
	}
	CHECK(total <= 4 * max + max / 2);
	CHECK_EQ_U(kmemsnap_store_last_pass(s, &pass), 0);
	CHECK_EQ_U(pass.files, 4);
	CHECK_EQ_U(pass.bytes, total);
	CHECK_EQ_U(pass.protected_files, 2);
	CHECK_EQ_U(pass.protected_bytes,
		   file_bytes(dir, names[2]) + file_bytes(dir, names[3]));
	kmemsnap_store_close(s);
	remove_tree(root);
	remove_tree(dir);
}

/* ---- two processes, one store ------------------------------------------- */

#define CONCURRENT_CAPTURES 25

static void concurrent_writer(const char *dir, int out)
	__attribute__((noreturn));
static void concurrent_writer(const char *dir, int out)
{
	KMEMSNAP_OPTS(kmemsnap_recorder_opts, ropts,
		      .root = tl_fixture("trees/explain-boot"));
	KMEMSNAP_OPTS(kmemsnap_store_opts, sopts, .max_bytes = 1ull << 30,
		      .max_files = 10, .max_protected_percent = 25);
	char line[KMEMSNAP_STORE_NAME_MAX + 1];
	struct kmemsnap_recorder *rec;
	struct kmemsnap_store *s;
	int i;

	if (kmemsnap_recorder_new(&rec, &ropts) < 0 ||
	    kmemsnap_store_open(&s, dir, &sopts) < 0)
		_exit(1);
	for (i = 0; i < CONCURRENT_CAPTURES; i++) {
		if (kmemsnap_capture_to_store(rec, NULL, s, line,
					      KMEMSNAP_STORE_NAME_MAX) < 0)
			_exit(1);
		strcat(line, "\n");
		/* One line per write, under PIPE_BUF: never interleaved. */
		if (write(out, line, strlen(line)) < 0)
			_exit(1);
		if (i % 3 == 0 && kmemsnap_store_prune(s) < 0)
			_exit(1);
	}
	_exit(0);
}

/* Two processes capture and prune into one store (count budget 10, all in
 * one boot, no oom or crash). Whatever the interleaving, the end state is
 * what the rule says of all the names ever stored: the oldest (the first
 * of the boot, protected) and the 9 newest. A pass that removed a file
 * wrongly, or a file half-written, shows. */
static void test_two_writers(void)
{
	char dir[] = "/tmp/kmemsnap-store-XXXXXX";
	static struct names all, ns;
	char buf[2 * CONCURRENT_CAPTURES * (KMEMSNAP_STORE_NAME_MAX + 1)];
	struct kmemsnap_store *s;
	size_t len = 0, i, bad = 0;
	pid_t pids[2];
	int fds[2], status;
	ssize_t n;
	char *line, *save;

	make_dir(dir);
	CHECK(pipe(fds) == 0);
	fflush(NULL);
	for (i = 0; i < 2; i++) {
		pids[i] = fork();
		if (pids[i] == 0) {
			close(fds[0]);
			concurrent_writer(dir, fds[1]);
		}
	}
	close(fds[1]);
	while ((n = read(fds[0], buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	close(fds[0]);
	for (i = 0; i < 2; i++) {
		CHECK(waitpid(pids[i], &status, 0) == pids[i]);
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	all.n = 0;
	for (line = strtok_r(buf, "\n", &save); line && all.n < MAX_NAMES;
	     line = strtok_r(NULL, "\n", &save))
		snprintf(all.v[all.n++], NAME_MAX_, "%s", line);
	qsort(all.v, all.n, NAME_MAX_, name_cmp);
	CHECK_EQ_U(all.n, 2 * CONCURRENT_CAPTURES);
	for (i = 1; i < all.n; i++)
		CHECK(strcmp(all.v[i - 1], all.v[i]) != 0);

	s = open_store(dir, 1ull << 30, 10, 25);
	CHECK(kmemsnap_store_prune(s) >= 0);
	kmemsnap_store_close(s);
	list_kms(dir, &ns);
	CHECK_EQ_U(ns.n, 10);
	CHECK(has_name(&ns, all.v[0]));
	for (i = all.n - 9; i < all.n; i++)
		CHECK(has_name(&ns, all.v[i]));
	for (i = 0; i < ns.n; i++)
		bad += verify_file(dir, ns.v[i]) != 0;
	CHECK_EQ_U(bad, 0);
	CHECK_EQ_U(count_temps(dir), 0);
	remove_tree(dir);
}

/* Budgets given when opening are kept in the directory; a handle opened
 * without budgets (`capture --store`) applies the saved ones instead of the
 * defaults, so it does not trim a store kept with other budgets, and one
 * that gives some keeps the saved value of the others. */
static void test_saved_budgets(void)
{
	char dir[] = "/tmp/kmemsnap-store-XXXXXX", path[64], text[256];
	struct kmemsnap_recorder *rec =
		new_recorder(tl_fixture("trees/explain-boot"));
	static struct names names;
	struct kmemsnap_store *s;
	long n;
	int i;

	make_dir(dir);
	s = open_store(dir, 0, 3, 0);
	kmemsnap_store_close(s);
	snprintf(path, sizeof(path), "%s/.kmemsnap-budgets", dir);
	n = ks_read_small(AT_FDCWD, path, text, sizeof(text));
	CHECK(n > 0);
	CHECK_EQ_S(text, "max_bytes 268435456\nmax_files 3\n"
			 "max_protected_percent 25\n");

	CHECK_EQ_U(kmemsnap_store_open(&s, dir, NULL), 0);
	for (i = 0; i < 6; i++)
		CHECK(kmemsnap_capture_to_store(rec, NULL, s, NULL, 0) >= 0);
	kmemsnap_store_close(s);
	list_kms(dir, &names);
	CHECK_EQ_U(names.n, 3);

	/* A writer naming only max_bytes keeps the saved max_files. */
	s = open_store(dir, 1u << 30, 0, 0);
	for (i = 0; i < 3; i++)
		CHECK(kmemsnap_capture_to_store(rec, NULL, s, NULL, 0) >= 0);
	kmemsnap_store_close(s);
	list_kms(dir, &names);
	CHECK_EQ_U(names.n, 3);
	n = ks_read_small(AT_FDCWD, path, text, sizeof(text));
	CHECK(n > 0);
	CHECK_EQ_S(text, "max_bytes 1073741824\nmax_files 3\n"
			 "max_protected_percent 25\n");

	/* A damaged file is ignored: the defaults apply. */
	run_cmd("printf 'max_files 0\\n' > '%s/.kmemsnap-budgets'%s", dir, "");
	CHECK_EQ_U(kmemsnap_store_open(&s, dir, NULL), 0);
	CHECK(kmemsnap_capture_to_store(rec, NULL, s, NULL, 0) >= 0);
	kmemsnap_store_close(s);
	list_kms(dir, &names);
	CHECK_EQ_U(names.n, 4);
	/* Still damaged: one budget named, the defaults fill in the rest. */
	s = open_store(dir, 0, 0, 50);
	kmemsnap_store_close(s);
	n = ks_read_small(AT_FDCWD, path, text, sizeof(text));
	CHECK(n > 0);
	CHECK_EQ_S(text, "max_bytes 268435456\nmax_files 2000\n"
			 "max_protected_percent 50\n");
	kmemsnap_recorder_free(rec);
	remove_tree(dir);
}

int main(void)
{
	RUN(test_names);
	RUN(test_capture_to_store);
	RUN(test_symlinks);
	RUN(test_kill_writer);
	RUN(test_retention_count);
	RUN(test_retention_bytes);
	RUN(test_two_writers);
	RUN(test_saved_budgets);
	return tl_summary();
}

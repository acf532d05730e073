/* SPDX-License-Identifier: MIT */
/*
 * kmemsnap-bench: the measurements behind bench/run.sh. Each subcommand
 * prints one JSON object on standard output.
 *
 *   time ROOT REPS     capture and floor alternately in this process, REPS
 *                      times each after a warm-up: medians, spread, ratio,
 *                      source bytes, blob and message size, arena used
 *   capture ROOT N     N captures and nothing else, for perf and callgrind
 *   floor ROOT N       N floor walks and nothing else
 *   alloc ROOT N       heap calls and bytes from the end of
 *                      kmemsnap_recorder_new() to kmemsnap_recorder_free(),
 *                      over N captures of each capture call
 *   store ROOT N DIR GEN PRESET SEED
 *                      N snapshots DIR/snap-00001.kms..., running
 *                      "GEN --preset PRESET --seed SEED --step k ROOT"
 *                      before capture k so that the slab caches grow
 *   run [--each DIR | --pairs DIR] -- CMD ARG...
 *                      runs CMD (stdout to /dev/null) once, or once per
 *                      file of DIR (sorted; the file appended), or once per
 *                      consecutive pair; wall time and the largest max RSS
 *
 * ROOT "/" is the live system. The recorder uses the library's defaults,
 * as `kmemsnap capture` does without options.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <kmemsnap/kmemsnap.h>

#include "floor.h"
#include "recorder.h" /* arena high-water mark */

extern char **environ;

/* ---- heap counting (as tests/unit/test_alloc.c) ------------------------- */

static volatile int counting;
static volatile unsigned long heap_calls;
static volatile unsigned long long heap_bytes;

static void count(size_t bytes)
{
	if (counting) {
		heap_calls++;
		heap_bytes += bytes;
	}
}

#if defined(__SANITIZE_ADDRESS__)
#define USE_SANITIZER_HOOK 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define USE_SANITIZER_HOOK 1
#endif
#endif

#ifdef USE_SANITIZER_HOOK

/* AddressSanitizer's allocator must stay in charge: its hooks count. */
int __sanitizer_install_malloc_and_free_hooks(
	void (*malloc_hook)(const volatile void *, size_t),
	void (*free_hook)(const volatile void *));

static void malloc_hook(const volatile void *ptr, size_t size)
{
	(void)ptr;
	count(size);
}

static void free_hook(const volatile void *ptr)
{
	if (ptr)
		count(0);
}

static void install_counter(void)
{
	__sanitizer_install_malloc_and_free_hooks(malloc_hook, free_hook);
}

#else

#include <malloc.h>

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *ptr, size_t size);
extern void __libc_free(void *ptr);
extern void *__libc_memalign(size_t align, size_t size);

void *malloc(size_t size)
{
	count(size);
	return __libc_malloc(size);
}

void *calloc(size_t n, size_t size)
{
	count(n * size);
	return __libc_calloc(n, size);
}

void *realloc(void *ptr, size_t size)
{
	count(size);
	return __libc_realloc(ptr, size);
}

/* A free during capture means something was allocated there too. */
void free(void *ptr)
{
	if (ptr)
		count(0);
	__libc_free(ptr);
}

void *memalign(size_t align, size_t size)
{
	count(size);
	return __libc_memalign(align, size);
}

void *aligned_alloc(size_t align, size_t size)
{
	count(size);
	return __libc_memalign(align, size);
}

int posix_memalign(void **out, size_t align, size_t size)
{
	count(size);
	*out = __libc_memalign(align, size);
	return *out ? 0 : ENOMEM;
}

static void install_counter(void)
{
}

#endif

/* ---- helpers ------------------------------------------------------------ */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void fail(const char *what, int err)
{
	fprintf(stderr, "kmemsnap-bench: %s: %s\n", what,
		err < 0 ? kmemsnap_strerror(err) : strerror(err));
	exit(1);
}

static struct kmemsnap_recorder *recorder(const char *root)
{
	KMEMSNAP_OPTS(kmemsnap_recorder_opts, opts, .root = root);
	struct kmemsnap_recorder *rec;
	int err = kmemsnap_recorder_new(&rec, &opts);

	if (err < 0)
		fail(root, err);
	return rec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Nearest-rank percentile of a sorted array. */
static size_t rank(size_t n, unsigned pct)
{
	size_t k = (n * pct + 99) / 100;

	return k ? k - 1 : 0;
}

static void print_stats(const char *name, uint64_t *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_u64);
	printf("\"%s\":{\"min\":%" PRIu64 ",\"p10\":%" PRIu64
	       ",\"median\":%" PRIu64 ",\"p90\":%" PRIu64 ",\"max\":%" PRIu64
	       "}",
	       name, v[0], v[rank(n, 10)], v[rank(n, 50)], v[rank(n, 90)],
	       v[n - 1]);
}

/* ---- time --------------------------------------------------------------- */

static const char *const part_names[FLOOR_PARTS] = {
	"header", "meminfo", "slab", "vmalloc", "processes", "kmemleak",
	"shmem", "pressure",
};

static uint64_t status_ns(const Kmemsnap__V1__SectionStatus *st)
{
	return st && st->has_duration_ns ? st->duration_ns : 0;
}

/* The capture's time per part, from the section statuses it recorded; the
 * "header" part is the rest: header, packing, LZ4, the arena reset. */
static void capture_parts(const void *blob, size_t len, uint64_t total,
			  uint64_t *part)
{
	struct kmemsnap_blob_info info = { .sz = sizeof(info) };
	static uint8_t *msg;
	static size_t msg_cap;
	KsSnapshot *s;
	uint64_t sum = 0;
	size_t i;

	memset(part, 0, FLOOR_PARTS * sizeof(*part));
	if (kmemsnap_blob_extract(blob, len, NULL, 0, &info) != -ENOBUFS)
		fail("blob", EBADMSG);
	if (info.message_bytes > msg_cap) {
		free(msg);
		msg_cap = (size_t)info.message_bytes;
		msg = malloc(msg_cap);
		if (!msg)
			fail("malloc", ENOMEM);
	}
	if (kmemsnap_blob_extract(blob, len, msg, msg_cap, &info) < 0)
		fail("blob", EBADMSG);
	s = kmemsnap__v1__snapshot__unpack(NULL, (size_t)info.message_bytes, msg);
	if (!s)
		fail("unpack", EBADMSG);
	part[FLOOR_MEMINFO] = status_ns(s->meminfo ? s->meminfo->status : NULL);
	part[FLOOR_SLAB] = status_ns(s->slab ? s->slab->status : NULL);
	part[FLOOR_VMALLOC] = status_ns(s->vmalloc ? s->vmalloc->status : NULL);
	part[FLOOR_PROCESSES] =
		status_ns(s->processes ? s->processes->status : NULL);
	part[FLOOR_KMEMLEAK] =
		status_ns(s->kmemleak ? s->kmemleak->status : NULL);
	part[FLOOR_SHMEM] = status_ns(s->shmem ? s->shmem->status : NULL);
	part[FLOOR_PRESSURE] =
		status_ns(s->pressure ? s->pressure->status : NULL);
	for (i = 1; i < FLOOR_PARTS; i++)
		sum += part[i];
	part[FLOOR_HEADER] = total > sum ? total - sum : 0;
	kmemsnap__v1__snapshot__free_unpacked(s, NULL);
}

static void print_parts(uint64_t (*cap)[FLOOR_PARTS],
			uint64_t (*flo)[FLOOR_PARTS], unsigned reps)
{
	uint64_t *c = calloc(reps, sizeof(*c)), *f = calloc(reps, sizeof(*f));
	size_t i;
	unsigned k;

	if (!c || !f)
		fail("calloc", ENOMEM);
	printf(",\"parts\":{");
	for (i = 0; i < FLOOR_PARTS; i++) {
		for (k = 0; k < reps; k++) {
			c[k] = cap[k][i];
			f[k] = flo[k][i];
		}
		qsort(c, reps, sizeof(*c), cmp_u64);
		qsort(f, reps, sizeof(*f), cmp_u64);
		printf("%s\"%s\":{\"capture_ns\":%" PRIu64
		       ",\"floor_ns\":%" PRIu64 "}",
		       i ? "," : "", part_names[i], c[rank(reps, 50)],
		       f[rank(reps, 50)]);
	}
	putchar('}');
	free(c);
	free(f);
}

static int cmd_time(const char *root, unsigned reps)
{
	struct kmemsnap_recorder *rec = recorder(root);
	struct floor_opts fo = { .process_top_n = 32, .copy_fd = -1 };
	struct kmemsnap_blob_info info = { .sz = sizeof(info) };
	uint64_t *cap = calloc(reps, sizeof(*cap));
	uint64_t *flo = calloc(reps, sizeof(*flo));
	uint64_t(*cap_part)[FLOOR_PARTS] = calloc(reps, sizeof(*cap_part));
	uint64_t(*flo_part)[FLOOR_PARTS] = calloc(reps, sizeof(*flo_part));
	double *ratio = calloc(reps, sizeof(*ratio));
	struct floor_result fr;
	const void *blob = NULL;
	size_t len = 0, arena_max = 0;
	int root_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	unsigned i;
	int err;

	if (root_fd < 0)
		fail(root, errno);
	if (!cap || !flo || !cap_part || !flo_part || !ratio || reps == 0)
		fail("calloc", ENOMEM);
	/* Warm-up: page cache, dentries, the code's own pages. */
	for (i = 0; i < 3; i++) {
		floor_walk(root_fd, &fo, &fr);
		err = kmemsnap_capture(rec, NULL, &blob, &len);
		if (err < 0)
			fail("capture", err);
	}
	for (i = 0; i < reps; i++) {
		uint64_t t0 = now_ns(), t1, t2;

		/* Which goes first alternates, so neither always finds the
		 * caches the other just warmed. */
		if (i & 1) {
			err = kmemsnap_capture(rec, NULL, &blob, &len);
			t1 = now_ns();
			floor_walk(root_fd, &fo, &fr);
			t2 = now_ns();
			cap[i] = t1 - t0;
			flo[i] = t2 - t1;
		} else {
			floor_walk(root_fd, &fo, &fr);
			t1 = now_ns();
			err = kmemsnap_capture(rec, NULL, &blob, &len);
			t2 = now_ns();
			flo[i] = t1 - t0;
			cap[i] = t2 - t1;
		}
		if (err < 0)
			fail("capture", err);
		ratio[i] = (double)cap[i] / (double)flo[i];
		memcpy(flo_part[i], fr.part_ns, sizeof(fr.part_ns));
		capture_parts(blob, len, cap[i], cap_part[i]);
		if (rec->arena.used > arena_max)
			arena_max = rec->arena.used;
	}
	kmemsnap_blob_extract(blob, len, NULL, 0, &info);
	qsort(ratio, reps, sizeof(*ratio), cmp_double);
	printf("{\"reps\":%u,", reps);
	print_stats("capture_ns", cap, reps);
	putchar(',');
	print_stats("floor_ns", flo, reps);
	printf(",\"ratio\":{\"p10\":%.4f,\"median\":%.4f,\"p90\":%.4f}",
	       ratio[rank(reps, 10)], ratio[rank(reps, 50)],
	       ratio[rank(reps, 90)]);
	printf(",\"ratio_of_medians\":%.4f",
	       (double)cap[rank(reps, 50)] / (double)flo[rank(reps, 50)]);
	print_parts(cap_part, flo_part, reps);
	printf(",\"source_bytes\":%" PRIu64 ",\"floor_opens\":%u,"
	       "\"floor_reads\":%u,\"blob_bytes\":%zu,\"message_bytes\":%" PRIu64
	       ",\"truncated\":%s,\"arena_used\":%zu,\"arena_cap\":%zu}\n",
	       fr.bytes, fr.opens, fr.reads, len, info.message_bytes,
	       info.flags & KMEMSNAP_BLOB_F_TRUNCATED ? "true" : "false",
	       arena_max, rec->arena.cap);
	kmemsnap_recorder_free(rec);
	close(root_fd);
	free(cap);
	free(flo);
	free(cap_part);
	free(flo_part);
	free(ratio);
	return 0;
}

/* ---- capture, floor: for profilers ------------------------------------- */

static int cmd_capture(const char *root, unsigned n)
{
	struct kmemsnap_recorder *rec = recorder(root);
	uint64_t t0 = now_ns();
	const void *blob;
	size_t len = 0;
	unsigned i;

	for (i = 0; i < n; i++) {
		int err = kmemsnap_capture(rec, NULL, &blob, &len);

		if (err < 0)
			fail("capture", err);
	}
	printf("{\"captures\":%u,\"ns\":%" PRIu64 ",\"blob_bytes\":%zu}\n", n,
	       now_ns() - t0, len);
	kmemsnap_recorder_free(rec);
	return 0;
}

static int cmd_floor(const char *root, unsigned n)
{
	struct floor_opts fo = { .process_top_n = 32, .copy_fd = -1 };
	int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct floor_result fr = { 0 };
	uint64_t t0 = now_ns();
	unsigned i;

	if (fd < 0)
		fail(root, errno);
	for (i = 0; i < n; i++)
		floor_walk(fd, &fo, &fr);
	printf("{\"walks\":%u,\"ns\":%" PRIu64 ",\"bytes\":%" PRIu64 "}\n", n,
	       now_ns() - t0, fr.bytes);
	close(fd);
	return 0;
}

/* ---- alloc -------------------------------------------------------------- */

/* A zero below proves something only if the counter sees a plain malloc. */
static int counter_works(void)
{
	static void *volatile p;

	install_counter();
	heap_calls = 0;
	counting = 1;
	p = malloc(24);
	counting = 0;
	free(p);
	return heap_calls == 1;
}

static int cmd_alloc(const char *root, unsigned n)
{
	char dir[] = "/tmp/kmemsnap-bench-XXXXXX", path[PATH_MAX];
	int null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	struct kmemsnap_recorder *rec;
	const void *blob;
	size_t len;
	unsigned i;
	int errs = 0;

	if (!mkdtemp(dir) || null_fd < 0)
		fail("temporary directory", errno);
	snprintf(path, sizeof(path), "%s/snap.kms", dir);
	rec = recorder(root);
	if (!counter_works())
		fail("the heap counter does not see malloc", ENOTSUP);
	heap_calls = 0;
	heap_bytes = 0;
	counting = 1;
	for (i = 0; i < n; i++) {
		errs += kmemsnap_capture(rec, NULL, &blob, &len) < 0;
		errs += kmemsnap_capture_to_fd(rec, NULL, null_fd) < 0;
		errs += kmemsnap_capture_to_file(rec, NULL, path) < 0;
	}
	counting = 0;
	kmemsnap_recorder_free(rec);
	unlink(path);
	rmdir(dir);
	close(null_fd);
	printf("{\"captures\":%u,\"failed\":%d,\"heap_calls\":%lu,"
	       "\"heap_bytes\":%llu}\n",
	       3 * n, errs, heap_calls, heap_bytes);
	return errs ? 1 : 0;
}

/* ---- spawning ----------------------------------------------------------- */

struct spawned {
	int status;
	long maxrss_kb;
};

static struct spawned spawn_wait(char **argv, int quiet)
{
	struct spawned s = { -1, 0 };
	posix_spawn_file_actions_t fa;
	struct rusage ru;
	pid_t pid;
	int err;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null",
					 O_WRONLY, 0);
	if (quiet)
		posix_spawn_file_actions_addopen(&fa, STDERR_FILENO,
						 "/dev/null", O_WRONLY, 0);
	err = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (err)
		fail(argv[0], err);
	if (wait4(pid, &s.status, 0, &ru) < 0)
		fail("wait4", errno);
	s.maxrss_kb = ru.ru_maxrss;
	return s;
}

/* ---- store -------------------------------------------------------------- */

static int cmd_store(const char *root, unsigned n, const char *dir,
		     const char *gen, const char *preset, const char *seed)
{
	struct kmemsnap_recorder *rec = recorder(root);
	char step[16], path[PATH_MAX];
	char *argv[] = { (char *)gen, "--preset", (char *)preset, "--seed",
			 (char *)seed, "--step", step, (char *)root, NULL };
	uint64_t bytes = 0, t0 = now_ns();
	unsigned k;

	for (k = 1; k <= n; k++) {
		const void *blob;
		size_t len;
		struct spawned s;
		int fd, err;

		snprintf(step, sizeof(step), "%u", k);
		s = spawn_wait(argv, 0);
		if (!WIFEXITED(s.status) || WEXITSTATUS(s.status) != 0)
			fail(gen, EIO);
		err = kmemsnap_capture(rec, NULL, &blob, &len);
		if (err < 0)
			fail("capture", err);
		snprintf(path, sizeof(path), "%s/snap-%05u.kms", dir, k);
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0 || write(fd, blob, len) != (ssize_t)len)
			fail(path, errno);
		close(fd);
		bytes += len;
	}
	kmemsnap_recorder_free(rec);
	printf("{\"snapshots\":%u,\"bytes\":%" PRIu64 ",\"ns\":%" PRIu64 "}\n",
	       n, bytes, now_ns() - t0);
	return 0;
}

/* ---- run ---------------------------------------------------------------- */

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The .kms files of dir, sorted; *n gets their count. */
static char **list_dir(const char *dir, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **v = NULL;
	size_t cap = 0;

	*n = 0;
	if (!d)
		fail(dir, errno);
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);

		if (len < 5 || strcmp(e->d_name + len - 4, ".kms") != 0)
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 1024;
			v = realloc(v, cap * sizeof(*v));
			if (!v)
				fail("realloc", ENOMEM);
		}
		if (asprintf(&v[(*n)++], "%s/%s", dir, e->d_name) < 0)
			fail("asprintf", ENOMEM);
	}
	closedir(d);
	qsort(v, *n, sizeof(*v), by_name);
	return v;
}

static int cmd_run(int argc, char **argv)
{
	const char *dir = NULL;
	int pairs = 0, i = 0, cmd_argc, failed = 0;
	char **files = NULL, **args;
	size_t n = 0, runs, r;
	long maxrss = 0;
	uint64_t t0, t;

	if (argc > 1 && (strcmp(argv[0], "--each") == 0 ||
			 strcmp(argv[0], "--pairs") == 0)) {
		pairs = strcmp(argv[0], "--pairs") == 0;
		dir = argv[1];
		i = 2;
	}
	if (i >= argc || strcmp(argv[i], "--") != 0 || i + 1 >= argc)
		return 2;
	i++;
	cmd_argc = argc - i;
	args = calloc((size_t)cmd_argc + 3, sizeof(*args));
	if (!args)
		fail("calloc", ENOMEM);
	memcpy(args, argv + i, (size_t)cmd_argc * sizeof(*args));
	if (dir)
		files = list_dir(dir, &n);
	runs = !dir ? 1 : pairs ? (n > 1 ? n - 1 : 0) : n;
	t0 = now_ns();
	for (r = 0; r < runs; r++) {
		struct spawned s;

		if (dir && pairs) {
			args[cmd_argc] = files[r];
			args[cmd_argc + 1] = files[r + 1];
		} else if (dir) {
			args[cmd_argc] = files[r];
		}
		s = spawn_wait(args, dir != NULL);
		if (!WIFEXITED(s.status) || WEXITSTATUS(s.status) != 0)
			failed++;
		if (s.maxrss_kb > maxrss)
			maxrss = s.maxrss_kb;
	}
	t = now_ns() - t0;
	printf("{\"runs\":%zu,\"failed\":%d,\"ns\":%" PRIu64
	       ",\"per_run_ns\":%" PRIu64 ",\"maxrss_kb\":%ld}\n",
	       runs, failed, t, runs ? t / runs : 0, maxrss);
	for (r = 0; r < n; r++)
		free(files[r]);
	free(files);
	free(args);
	return 0;
}

static int usage(void)
{
	fputs("usage: kmemsnap-bench time ROOT REPS\n"
	      "       kmemsnap-bench capture ROOT N\n"
	      "       kmemsnap-bench floor ROOT N\n"
	      "       kmemsnap-bench alloc ROOT N\n"
	      "       kmemsnap-bench store ROOT N DIR GEN PRESET SEED\n"
	      "       kmemsnap-bench run [--each DIR | --pairs DIR] -- CMD ARG...\n",
	      stderr);
	return 2;
}

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "time") == 0)
		return cmd_time(argv[2], (unsigned)strtoul(argv[3], NULL, 10));
	if (argc == 4 && strcmp(argv[1], "capture") == 0)
		return cmd_capture(argv[2], (unsigned)strtoul(argv[3], NULL, 10));
	if (argc == 4 && strcmp(argv[1], "floor") == 0)
		return cmd_floor(argv[2], (unsigned)strtoul(argv[3], NULL, 10));
	if (argc == 4 && strcmp(argv[1], "alloc") == 0)
		return cmd_alloc(argv[2], (unsigned)strtoul(argv[3], NULL, 10));
	if (argc == 8 && strcmp(argv[1], "store") == 0)
		return cmd_store(argv[2], (unsigned)strtoul(argv[3], NULL, 10),
				 argv[4], argv[5], argv[6], argv[7]);
	if (argc >= 4 && strcmp(argv[1], "run") == 0) {
		int rc = cmd_run(argc - 2, argv + 2);

		return rc == 2 ? usage() : rc;
	}
	return usage();
}

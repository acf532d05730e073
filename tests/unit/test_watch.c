/* SPDX-License-Identifier: MIT */
/*
 * The watcher on fixture trees: the sample ring's values and wrap-around,
 * the History message, option checking, and timer snapshots dispatched
 * without a single heap call. Real kernel events (OOM, PSI) are exercised
 * by tests/cli/test_watch.sh.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "heap_counter.h"
#include "testlib.h"
#include "watch.h"

static int open_root(const char *rel)
{
	return open(tl_fixture(rel), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

static void test_history_values(void)
{
	static uint8_t mem[1 << 16];
	struct ks_arena arena;
	struct ks_history h;
	Kmemsnap__V1__History *m;
	Kmemsnap__V1__HistorySample *s;
	int root = open_root("trees/modern");
	int i;

	CHECK(root >= 0);
	CHECK_EQ_U(ks_history_init(&h, root, 4096, 4, 3, 250), 0);
	for (i = 0; i < 5; i++)
		ks_history_sample(&h);
	CHECK_EQ_U(h.count, 4); /* the ring wrapped */

	ks_arena_init(&arena, mem, sizeof(mem));
	m = ks_history_message(&h, 0, &arena);
	CHECK(m != NULL);
	CHECK_EQ_U(m->n_samples, 4);
	CHECK_EQ_U(m->interval_ms, 250);
	CHECK_EQ_U(m->status->state,
		   KMEMSNAP__V1__SECTION_STATUS__STATE__STATE_OK);
	CHECK(m->samples[0]->boottime_ns <= m->samples[3]->boottime_ns);
	s = m->samples[3];
	CHECK_EQ_U(s->mem_available_kb, 28070392);
	CHECK_EQ_U(s->mem_free_kb, 539904);
	CHECK_EQ_U(s->cached_kb, 27201712);
	CHECK_EQ_U(s->anon_pages_kb, 2893880);
	CHECK_EQ_U(s->shmem_kb, 416040);
	CHECK_EQ_U(s->slab_reclaimable_kb, 803204);
	CHECK_EQ_U(s->slab_unreclaimable_kb, 249720);
	CHECK_EQ_U(s->vmalloc_used_kb, 69000);
	CHECK_EQ_U(s->swap_free_kb, 16776956);
	CHECK_EQ_U(s->psi_some_total_us, 15);
	CHECK_EQ_U(s->psi_full_total_us, 25);
	/* statm resident pages x 4 KiB, largest first; kernel threads (all
	 * zeros) and pids without statm are not candidates. */
	CHECK_EQ_U(s->n_top, 3);
	if (s->n_top == 3) {
		CHECK_EQ_U(s->top[0]->pid, 4100);
		CHECK_EQ_S(s->top[0]->comm, "java");
		CHECK_EQ_U(s->top[0]->rss_kb, 524288);
		CHECK_EQ_U(s->top[1]->pid, 1203);
		CHECK_EQ_S(s->top[1]->comm, "kube-proxy");
		CHECK_EQ_U(s->top[1]->rss_kb, 42652);
		CHECK_EQ_U(s->top[2]->pid, 412);
		CHECK_EQ_S(s->top[2]->comm, "systemd-journal");
	}

	ks_arena_reset(&arena);
	m = ks_history_message(&h, 2, &arena);
	CHECK_EQ_U(m->n_samples, 2);

	/* An arena too small for the samples marks the history truncated. */
	ks_arena_init(&arena, mem, 600);
	m = ks_history_message(&h, 0, &arena);
	CHECK(m == NULL || m->status->state ==
		KMEMSNAP__V1__SECTION_STATUS__STATE__STATE_TRUNCATED);
	ks_history_free(&h);
	close(root);
}

static void test_history_missing_files(void)
{
	static uint8_t mem[1 << 14];
	struct ks_arena arena;
	struct ks_history h;
	Kmemsnap__V1__History *m;
	int root = open_root("trees/sysfs-slab");

	CHECK(root >= 0);
	CHECK_EQ_U(ks_history_init(&h, root, 4096, 2, 5, 1000), 0);
	ks_history_sample(&h);
	ks_arena_init(&arena, mem, sizeof(mem));
	m = ks_history_message(&h, 0, &arena);
	CHECK_EQ_U(m->n_samples, 1);
	/* Fields of files the tree lacks stay unset rather than zero. */
	CHECK(!m->samples[0]->has_psi_some_total_us);
	CHECK_EQ_U(ks_history_init(&h, root, 4096, 0, 5, 1000), -EINVAL);
	ks_history_free(&h);
	close(root);
}

struct setup_log {
	int calls;
	int last_err;
};

/* Counts the problems; err 0 reports a source set up. */
static void on_setup(const char *what, int err, void *arg)
{
	struct setup_log *log = arg;

	(void)what;
	if (err == 0)
		return;
	log->calls++;
	log->last_err = err;
}

static void test_watcher_options(void)
{
	struct kmemsnap_recorder *rec;
	struct kmemsnap_store *store;
	struct kmemsnap_watcher *w = NULL;
	struct setup_log log = { 0 };
	char dir[] = "/tmp/kmemsnap-watch.XXXXXX";
	const char *groups[] = { "/kmemsnap-test-no-such-group" };
	KMEMSNAP_OPTS(kmemsnap_recorder_opts, ro,
		      .root = tl_fixture("trees/modern"));

	CHECK(mkdtemp(dir) != NULL);
	CHECK_EQ_U(kmemsnap_recorder_new(&rec, &ro), 0);
	CHECK_EQ_U(kmemsnap_store_open(&store, dir, NULL), 0);
	{
		KMEMSNAP_OPTS(kmemsnap_watch_opts, o, .store = store);
		CHECK_EQ_U(kmemsnap_watcher_new(&w, &o), -EINVAL);
	}
	{
		KMEMSNAP_OPTS(kmemsnap_watch_opts, o, .recorder = rec,
			      .store = store, .sample_ms = 50);
		CHECK_EQ_U(kmemsnap_watcher_new(&w, &o), -EINVAL);
	}
	{
		const char *long_trigger[] = {
			"some 150000 2000000 and a great deal more text than "
			"the sixty-four bytes a trigger may hold"
		};
		KMEMSNAP_OPTS(kmemsnap_watch_opts, o, .recorder = rec,
			      .store = store, .psi_triggers = long_trigger,
			      .n_psi_triggers = 1);
		CHECK_EQ_U(kmemsnap_watcher_new(&w, &o), -EINVAL);
	}
	{
		KMEMSNAP_OPTS(kmemsnap_watch_opts, o, .recorder = rec,
			      .store = store, .no_psi = 1, .no_kmsg = 1,
			      .no_pmsg = 1, .period_s = KMEMSNAP_WATCH_NEVER,
			      .baseline_delay_s = KMEMSNAP_WATCH_NEVER);
		CHECK_EQ_U(kmemsnap_watcher_new(&w, &o), -ENOENT);
	}
	{
		/* A cgroup that does not exist is reported, not fatal. */
		KMEMSNAP_OPTS(kmemsnap_watch_opts, o, .recorder = rec,
			      .store = store, .no_psi = 1, .no_kmsg = 1,
			      .no_pmsg = 1, .cgroups = groups, .n_cgroups = 1,
			      .on_setup = on_setup, .arg = &log);
		CHECK_EQ_U(kmemsnap_watcher_new(&w, &o), 0);
		CHECK_EQ_U(log.calls, 1);
		CHECK_EQ_U(log.last_err, -ENOENT);
		CHECK(kmemsnap_watcher_fd(w) >= 0);
		kmemsnap_watcher_free(w);
	}
	kmemsnap_store_close(store);
	kmemsnap_recorder_free(rec);
	tl_remove_tree(dir);
}

struct event_log {
	int stored;
	int baseline;
	int timer;
	int other;
};

static void on_event(const struct kmemsnap_watch_event *ev, void *arg)
{
	struct event_log *log = arg;

	if (ev->result < 0) {
		log->other++;
		return;
	}
	log->stored++;
	if (ev->trigger == KMEMSNAP_TRIGGER_BASELINE)
		log->baseline++;
	else if (ev->trigger == KMEMSNAP_TRIGGER_TIMER)
		log->timer++;
	else
		log->other++;
}

static int count_files(const char *dir, const char *suffix)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d))) {
		size_t len = strlen(e->d_name), sl = strlen(suffix);

		if (len > sl && strcmp(e->d_name + len - sl, suffix) == 0)
			n++;
	}
	if (d)
		closedir(d);
	return n;
}

static uint64_t now_ms(void)
{
	return ks_now_ns(CLOCK_MONOTONIC) / 1000000;
}

/* A watcher whose only sources are its timers, dispatched for a little
 * over four seconds: the baseline (at 1 s) and two periodic snapshots (at
 * 2 and 4 s) are stored, samples are taken every 100 ms, and none of it
 * calls the heap. */
static void test_dispatch_allocates_nothing(void)
{
	struct kmemsnap_recorder *rec;
	struct kmemsnap_store *store;
	struct kmemsnap_watcher *w;
	struct event_log log = { 0 };
	char dir[] = "/tmp/kmemsnap-watch.XXXXXX";
	unsigned long calls;
	uint64_t end;
	int stored = 0, r;
	KMEMSNAP_OPTS(kmemsnap_recorder_opts, ro,
		      .root = tl_fixture("trees/modern"));
	KMEMSNAP_OPTS(kmemsnap_store_opts, so, .max_files = 100);

	CHECK(mkdtemp(dir) != NULL);
	CHECK_EQ_U(kmemsnap_recorder_new(&rec, &ro), 0);
	CHECK_EQ_U(kmemsnap_store_open(&store, dir, &so), 0);
	{
		KMEMSNAP_OPTS(kmemsnap_watch_opts, o, .recorder = rec,
			      .store = store, .no_psi = 1, .no_kmsg = 1,
			      .no_pmsg = 1, .period_s = 2,
			      .baseline_delay_s = 1, .sample_ms = 100,
			      .on_event = on_event, .arg = &log);
		CHECK_EQ_U(kmemsnap_watcher_new(&w, &o), 0);
	}
	end = now_ms() + 4300;
	heap_counter_on();
	while (now_ms() < end) {
		r = kmemsnap_watcher_dispatch(w, 100);
		if (r > 0)
			stored += r;
	}
	calls = heap_counter_off();
	CHECK_EQ_U(calls, 0);
	CHECK_EQ_U(log.baseline, 1);
	CHECK(log.timer >= 2);
	CHECK_EQ_U(log.other, 0);
	CHECK_EQ_U(stored, log.stored);
	CHECK_EQ_U(count_files(dir, "_baseline.kms"), 1);
	CHECK_EQ_U(count_files(dir, "_timer.kms"), log.timer);
	kmemsnap_watcher_stop(w);
	CHECK_EQ_U(kmemsnap_watcher_run(w), 0);
	kmemsnap_watcher_free(w);
	kmemsnap_store_close(store);
	kmemsnap_recorder_free(rec);
	tl_remove_tree(dir);
}

/* ---- cgroup v2 memory.events in a test tree ------------------------------ */

/* One write(2) over the old content, as the kernel's files change in one
 * piece: truncating first would be an event of its own, an empty file. The
 * texts a test rewrites keep their length. */
static void write_text(const char *dir, const char *name, const char *text)
{
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	CHECK(fd >= 0);
	if (fd >= 0) {
		CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
		close(fd);
	}
}

static void make_dirs(const char *root, const char *const *dirs, size_t n)
{
	char path[512];
	size_t i;

	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", root, dirs[i]);
		CHECK(mkdir(path, 0700) == 0);
	}
}

struct v2_log {
	int setup_refused; /* on_setup calls with -EOPNOTSUPP */
	int setup_v2;      /* the cgroup reported set up through inotify */
	int calls;
	int result[8];
	enum kmemsnap_trigger trigger[8];
	char detail[8][256];
};

static void on_v2_event(const struct kmemsnap_watch_event *ev, void *arg)
{
	struct v2_log *log = arg;

	if (log->calls < 8) {
		log->result[log->calls] = ev->result;
		log->trigger[log->calls] = ev->trigger;
		snprintf(log->detail[log->calls], sizeof(log->detail[0]), "%s",
			 ev->detail);
	}
	log->calls++;
}

static void on_v2_setup(const char *what, int err, void *arg)
{
	struct v2_log *log = arg;

	(void)what;
	if (err == -EOPNOTSUPP)
		log->setup_refused++;
	if (err == 0 && strstr(what, "cgroup ") == what &&
	    strstr(what, "/sys/fs/cgroup/app/memory.events (v2 inotify)"))
		log->setup_v2++;
}

/* Dispatches until an event was reported or a second passed. */
static void dispatch_until_event(struct kmemsnap_watcher *w,
				 const struct v2_log *log, int before)
{
	uint64_t end = now_ms() + 1000;

	while (log->calls == before && now_ms() < end)
		kmemsnap_watcher_dispatch(w, 50);
}

#define EVENTS(max, oom, kill)                                               \
	"low 0\nhigh 0\nmax " #max "\noom " #oom "\noom_kill " #kill          \
	"\noom_group_kill 0\n"

/* The watcher's event sources are found below the recorder's root, so a
 * tree with a cgroup2 mount that lists the memory controller stands in for
 * the kernel: rewriting memory.events is the file modified event the
 * kernel sends. (This machine's kernel has no v2 memory controller; the
 * real v1 path runs in tests/cli/test_watch.sh.) */
static void test_memory_events_v2(void)
{
	static const char *const dirs[] = { "sys", "sys/fs", "sys/fs/cgroup",
					    "sys/fs/cgroup/app", "proc",
					    "proc/pressure" };
	char root[] = "/tmp/kmemsnap-v2.XXXXXX", store_dir[600], app[600];
	const char *groups[] = { "/app" };
	const char *triggers[] = { "some 150000 2000000" };
	struct kmemsnap_recorder *rec;
	struct kmemsnap_store *store;
	struct kmemsnap_watcher *w;
	struct v2_log log = { 0 };
	unsigned long calls;

	CHECK(mkdtemp(root) != NULL);
	make_dirs(root, dirs, sizeof(dirs) / sizeof(dirs[0]));
	snprintf(app, sizeof(app), "%s/sys/fs/cgroup/app", root);
	snprintf(store_dir, sizeof(store_dir), "%s/store", root);
	write_text(root, "sys/fs/cgroup/cgroup.controllers", "cpu io memory pids\n");
	write_text(app, "memory.events", EVENTS(0, 0, 0));
	write_text(app, "memory.pressure", "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n");
	write_text(root, "proc/pressure/memory", "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n");
	{
		KMEMSNAP_OPTS(kmemsnap_recorder_opts, ro, .root = root);
		KMEMSNAP_OPTS(kmemsnap_store_opts, so, .create = 1);

		CHECK_EQ_U(kmemsnap_recorder_new(&rec, &ro), 0);
		CHECK_EQ_U(kmemsnap_store_open(&store, store_dir, &so), 0);
	}
	{
		/* PSI on: the tree's pressure files are regular files, which
		 * are refused rather than written to. */
		KMEMSNAP_OPTS(kmemsnap_watch_opts, o, .recorder = rec,
			      .store = store, .psi_triggers = triggers,
			      .n_psi_triggers = 1, .no_kmsg = 1, .no_pmsg = 1,
			      .cgroups = groups, .n_cgroups = 1,
			      .period_s = KMEMSNAP_WATCH_NEVER,
			      .baseline_delay_s = KMEMSNAP_WATCH_NEVER,
			      .burst = 2, .min_gap_ms = 60000,
			      .on_event = on_v2_event, .on_setup = on_v2_setup,
			      .arg = &log);

		CHECK_EQ_U(kmemsnap_watcher_new(&w, &o), 0);
	}
	/* proc/pressure/memory and app/memory.pressure */
	CHECK_EQ_U(log.setup_refused, 2);
	CHECK_EQ_U(log.setup_v2, 1);

	heap_counter_on();
	/* max moved: pressure, at once. */
	write_text(app, "memory.events", EVENTS(3, 0, 0));
	dispatch_until_event(w, &log, 0);
	/* oom and oom_kill moved, no kernel log: oom, at once. */
	write_text(app, "memory.events", EVENTS(3, 1, 1));
	dispatch_until_event(w, &log, 1);
	/* Two more max moves: the pressure bucket (burst 2) lets one by. */
	write_text(app, "memory.events", EVENTS(5, 1, 1));
	dispatch_until_event(w, &log, 2);
	write_text(app, "memory.events", EVENTS(9, 1, 1));
	dispatch_until_event(w, &log, 3);
	/* low alone is no news. */
	write_text(app, "memory.events", "low 7\nhigh 0\nmax 9\noom 1\noom_kill 1\noom_group_kill 0\n");
	kmemsnap_watcher_dispatch(w, 200);
	calls = heap_counter_off();

	CHECK_EQ_U(calls, 0);
	CHECK_EQ_U(log.calls, 4);
	CHECK_EQ_U(log.result[0], 0);
	CHECK_EQ_U(log.trigger[0], KMEMSNAP_TRIGGER_PRESSURE);
	CHECK(strstr(log.detail[0], "/sys/fs/cgroup/app/memory.events: max 0 -> 3") != NULL);
	CHECK_EQ_U(log.result[1], 0);
	CHECK_EQ_U(log.trigger[1], KMEMSNAP_TRIGGER_OOM);
	CHECK(strstr(log.detail[1], "memory.events: oom 0 -> 1, oom_kill 0 -> 1") != NULL);
	CHECK_EQ_U(log.result[2], 0);
	CHECK(strstr(log.detail[2], "max 3 -> 5") != NULL);
	CHECK_EQ_U(log.result[3], -EAGAIN);
	CHECK(strstr(log.detail[3], "max 5 -> 9") != NULL);
	CHECK_EQ_U(count_files(store_dir, "_pressure.kms"), 2);
	CHECK_EQ_U(count_files(store_dir, "_oom.kms"), 1);

	kmemsnap_watcher_free(w);
	kmemsnap_store_close(store);
	kmemsnap_recorder_free(rec);
	/* The refused trigger files are as they were. */
	{
		char text[128];
		char path[600];

		snprintf(path, sizeof(path), "%s/proc/pressure/memory", root);
		CHECK(ks_read_small(AT_FDCWD, path, text, sizeof(text)) > 0);
		CHECK(strncmp(text, "some avg10", 10) == 0);
	}
	tl_remove_tree(root);
}

int main(void)
{
	if (!heap_counter_install()) {
		fprintf(stderr, "cannot install the sanitizer malloc hooks\n");
		return 1;
	}
	RUN(test_history_values);
	RUN(test_history_missing_files);
	RUN(test_watcher_options);
	RUN(test_dispatch_allocates_nothing);
	RUN(test_memory_events_v2);
	return tl_summary();
}

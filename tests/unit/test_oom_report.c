/* SPDX-License-Identifier: MIT */
/*
 * The kernel OOM-report parser on real reports (tests/fixtures/samples/
 * oom_report, quirks in MANIFEST.md), /dev/kmsg renditions
 * (tests/fixtures/oom) and hostile input, and the report inside a capture.
 *
 * Expected values are read off the sample lines quoted next to them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testlib.h"

typedef Kmemsnap__V1__OomReport OomReport;

#define STATE_OK KMEMSNAP__V1__SECTION_STATUS__STATE__STATE_OK
#define STATE_TRUNCATED KMEMSNAP__V1__SECTION_STATUS__STATE__STATE_TRUNCATED

static struct kmemsnap_oom_parser *new_parser(void)
{
	struct kmemsnap_oom_parser *p = NULL;

	if (kmemsnap_oom_parser_new(&p) != 0) {
		fprintf(stderr, "kmemsnap_oom_parser_new failed\n");
		exit(2);
	}
	return p;
}

static int feed_str(struct kmemsnap_oom_parser *p, const char *line)
{
	return kmemsnap_oom_parser_feed(p, line, strlen(line));
}

/* Feeds lines first..last (1-based, inclusive; last 0: to the end) of a
 * fixture, one call per line as a log reader would. Returns the number of
 * the last line whose feed returned 1 (0 if none). */
static int feed_lines(struct kmemsnap_oom_parser *p, const char *rel, int first,
		      int last)
{
	FILE *f = fopen(tl_fixture(rel), "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int no = 0, completed_at = 0;

	if (!f) {
		perror(tl_fixture(rel));
		exit(2);
	}
	while ((n = getline(&line, &cap, f)) >= 0) {
		if (++no < first)
			continue;
		if (last && no > last)
			break;
		if (n > 0 && line[n - 1] == '\n')
			n--;
		if (kmemsnap_oom_parser_feed(p, line, (size_t)n) == 1)
			completed_at = no;
	}
	free(line);
	fclose(f);
	return completed_at;
}

static int feed_file(struct kmemsnap_oom_parser *p, const char *rel)
{
	return feed_lines(p, rel, 1, 0);
}

static const OomReport *last(const struct kmemsnap_oom_parser *p)
{
	return ks_oom_parser_report(p);
}

static const Kmemsnap__V1__KeyValue *kv(Kmemsnap__V1__KeyValue *const *list,
					size_t n, const char *key)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(list[i]->key, key) == 0)
			return list[i];
	return NULL;
}

static uint64_t mem_info(const OomReport *r, const char *key)
{
	const Kmemsnap__V1__KeyValue *e = kv(r->mem_info, r->n_mem_info, key);

	return e ? e->value : UINT64_MAX;
}

static uint64_t memcg(const OomReport *r, const char *key)
{
	const Kmemsnap__V1__KeyValue *e =
		kv(r->memcg_usage_kb, r->n_memcg_usage_kb, key);

	return e ? e->value : UINT64_MAX;
}

static const Kmemsnap__V1__OomTask *task(const OomReport *r, int pid)
{
	static Kmemsnap__V1__OomTask none = KMEMSNAP__V1__OOM_TASK__INIT;
	size_t i;

	for (i = 0; i < r->n_tasks; i++)
		if (r->tasks[i]->pid == pid)
			return r->tasks[i];
	tl_fail(__FILE__, __LINE__, "no task row for pid %d", pid);
	return &none;
}

static bool text_has(const OomReport *r, const char *s)
{
	return memmem(r->text.data, r->text.len, s, strlen(s)) != NULL;
}

/* 6.11 global OOM (oom_report/1): the 6.x task table with
 * rss_anon/rss_file/rss_shmem, the one-line summary, no reaper line. */
static void test_global_6x(void)
{
	struct kmemsnap_oom_parser *p = new_parser();
	const Kmemsnap__V1__OomTask *t;
	const OomReport *r;
	int pid = -1;

	/* Only the "Killed process" line, the last of 68, completes it. */
	CHECK_EQ_U(feed_file(p, "samples/oom_report/1.txt"), 68);
	r = last(p);
	CHECK(r != NULL);
	if (!r)
		goto out;
	CHECK_EQ_U(r->status->state, STATE_OK);
	/* 68 lines; 18 become fields: header, "Mem-Info:", 8 counter lines,
	 * "Tasks state", the table header, 4 rows, summary, kill line. */
	CHECK_EQ_U(r->status->lines_skipped, 50);
	/* sed 's/^\[[^]]*\] //' 1.txt | wc -c */
	CHECK_EQ_U(r->status->source_bytes, 4628);
	CHECK_EQ_U(r->text.len, 4628);
	CHECK(memcmp(r->text.data, "stress-ng-vm invoked oom-killer: ", 33) ==
	      0);
	CHECK(r->has_timestamp_us);
	CHECK_EQ_U(r->timestamp_us, 30745678);
	/* stress-ng-vm invoked oom-killer: gfp_mask=0x440dc0(GFP_KERNEL_ACCOUNT|
	 * __GFP_COMP|__GFP_ZERO), order=0, oom_score_adj=1000 */
	CHECK_EQ_S(r->invoker_comm, "stress-ng-vm");
	CHECK(r->has_gfp_mask);
	CHECK_EQ_U(r->gfp_mask, 0x440dc0);
	CHECK_EQ_S(r->gfp_flags, "GFP_KERNEL_ACCOUNT|__GFP_COMP|__GFP_ZERO");
	CHECK(r->has_order);
	CHECK_EQ_U(r->order, 0);
	CHECK_EQ_U(r->oom_score_adj, 1000);
	/* oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,
	 * mems_allowed=0,global_oom,task_memcg=/,task=stress-ng-vm,pid=116,uid=0 */
	CHECK(r->has_constraint);
	CHECK_EQ_U(r->constraint,
		   KMEMSNAP__V1__OOM_CONSTRAINT__OOM_CONSTRAINT_NONE);
	CHECK(r->global_oom);
	CHECK_EQ_S(r->nodemask, "(null)");
	CHECK_EQ_S(r->cpuset, "/");
	CHECK_EQ_S(r->mems_allowed, "0");
	CHECK(r->oom_memcg == NULL);
	CHECK_EQ_S(r->task_memcg, "/");
	/* Mem-Info: 8 lines, 20 counters, continuation lines start with ' ' */
	CHECK_EQ_U(r->n_mem_info, 20);
	CHECK_EQ_U(mem_info(r, "active_anon"), 1999425);
	CHECK_EQ_U(mem_info(r, "slab_unreclaimable"), 5771);
	CHECK_EQ_U(mem_info(r, "kernel_misc_reclaimable"), 0);
	CHECK_EQ_U(mem_info(r, "free_pcp"), 8616);
	CHECK_EQ_U(r->n_memcg_usage_kb, 0);
	/* [    116]     0   116  2628942  1995298  1995157      141         0
	 *   16052224        0          1000 stress-ng-vm */
	CHECK_EQ_U(r->n_tasks, 4);
	CHECK_EQ_U(r->tasks_total, 4);
	t = task(r, 116);
	CHECK_EQ_U(t->uid, 0);
	CHECK_EQ_U(t->tgid, 116);
	CHECK_EQ_U(t->total_vm_pages, 2628942);
	CHECK_EQ_U(t->rss_pages, 1995298);
	CHECK(t->has_rss_anon_pages);
	CHECK_EQ_U(t->rss_anon_pages, 1995157);
	CHECK_EQ_U(t->rss_file_pages, 141);
	CHECK(t->has_rss_shmem_pages);
	CHECK_EQ_U(t->rss_shmem_pages, 0);
	CHECK_EQ_U(t->pgtables_bytes, 16052224);
	CHECK(!t->has_nr_ptes);
	CHECK_EQ_U(t->swapents_pages, 0);
	CHECK_EQ_U(t->oom_score_adj, 1000);
	CHECK_EQ_S(t->name, "stress-ng-vm");
	/* [    114]     0   114     7500     4676       96      452      4128
	 *      90112        0         -1000 stress-ng */
	t = task(r, 114);
	CHECK_EQ_U(t->rss_shmem_pages, 4128);
	CHECK_EQ_U((int64_t)t->oom_score_adj, -1000);
	CHECK_EQ_S(t->name, "stress-ng");
	/* Out of memory: Killed process 116 (stress-ng-vm) total-vm:10515768kB,
	 * anon-rss:7980628kB, file-rss:564kB, shmem-rss:0kB, UID:0
	 * pgtables:15676kB oom_score_adj:1000 */
	CHECK_EQ_S(r->kill_message, "Out of memory");
	CHECK(r->killed != NULL);
	if (r->killed) {
		CHECK_EQ_U(r->killed->pid, 116);
		CHECK_EQ_S(r->killed->comm, "stress-ng-vm");
		CHECK_EQ_U(r->killed->total_vm_kb, 10515768);
		CHECK_EQ_U(r->killed->anon_rss_kb, 7980628);
		CHECK_EQ_U(r->killed->file_rss_kb, 564);
		CHECK(r->killed->has_shmem_rss_kb);
		CHECK_EQ_U(r->killed->shmem_rss_kb, 0);
		CHECK(r->killed->has_uid);
		CHECK_EQ_U(r->killed->uid, 0);
		CHECK_EQ_U(r->killed->pgtables_kb, 15676);
		CHECK_EQ_U(r->killed->oom_score_adj, 1000);
	}
	CHECK(r->reaped == NULL);
	CHECK_EQ_U(kmemsnap_oom_parser_last(p, &pid), 1);
	CHECK_EQ_U(pid, 116);
out:
	kmemsnap_oom_parser_free(p);
}

/* 3.18 (oom_report/2): no flag names, separate cpuset line, 5-wide pid
 * table with nr_ptes, "Kill process ... or sacrifice child", another CPU's
 * allocation-failure trace before and inside the report. */
static void test_old_3x_interleaved(void)
{
	struct kmemsnap_oom_parser *p = new_parser();
	const Kmemsnap__V1__OomTask *t;
	const OomReport *r;

	CHECK_EQ_U(feed_file(p, "samples/oom_report/2.txt"), 147);
	r = last(p);
	CHECK(r != NULL);
	if (!r)
		goto out;
	/* The report starts at the header, not at the other CPU's trace. */
	CHECK_EQ_U(r->timestamp_us, 290305568);
	CHECK(memcmp(r->text.data, "rsyslogd invoked", 16) == 0);
	CHECK_EQ_S(r->invoker_comm, "rsyslogd");
	CHECK_EQ_U(r->gfp_mask, 0x201da);
	CHECK(r->gfp_flags == NULL);
	CHECK(r->nodemask == NULL);
	CHECK_EQ_U(r->order, 0);
	CHECK_EQ_U(r->oom_score_adj, 0);
	/* rsyslogd cpuset=/ mems_allowed=0 */
	CHECK_EQ_S(r->cpuset, "/");
	CHECK_EQ_S(r->mems_allowed, "0");
	CHECK(!r->has_constraint);
	/* 6 counter lines after 39 per-cpu lines: 18 counters */
	CHECK_EQ_U(r->n_mem_info, 18);
	CHECK_EQ_U(mem_info(r, "slab_unreclaimable"), 3985491);
	CHECK_EQ_U(mem_info(r, "unstable"), 0);
	CHECK_EQ_U(mem_info(r, "free_cma"), 0);
	/* grep -c '^\[ *[0-9.]*\] \[ *[0-9]*\]' 2.txt */
	CHECK_EQ_U(r->n_tasks, 28);
	CHECK_EQ_U(r->tasks_total, 28);
	/* [ 1845]     0  1845    10338     2114      41        0             0
	 *   ovs-vswitchd */
	t = task(r, 1845);
	CHECK_EQ_U(t->tgid, 1845);
	CHECK_EQ_U(t->total_vm_pages, 10338);
	CHECK_EQ_U(t->rss_pages, 2114);
	CHECK(t->has_nr_ptes);
	CHECK_EQ_U(t->nr_ptes, 41);
	CHECK(!t->has_nr_pmds);
	CHECK(!t->has_pgtables_bytes);
	CHECK(!t->has_rss_anon_pages);
	CHECK_EQ_U(t->swapents_pages, 0);
	CHECK_EQ_S(t->name, "ovs-vswitchd");
	/* [  680]     0   680     2678      264       9      107         -1000 udevd */
	t = task(r, 680);
	CHECK_EQ_U(t->swapents_pages, 107);
	CHECK_EQ_U((int64_t)t->oom_score_adj, -1000);
	/* [ 2598]   500  2598    25109      695      50      235             0 sshd */
	CHECK_EQ_U(task(r, 2598)->uid, 500);
	CHECK_EQ_S(task(r, 2345)->name, "hald-addon-inpu");
	/* Out of memory: Kill process 1845 (ovs-vswitchd) score 0 or sacrifice child
	 * Killed process 1845 (ovs-vswitchd) total-vm:41352kB, anon-rss:732kB,
	 * file-rss:7724kB */
	CHECK_EQ_S(r->kill_message, "Out of memory");
	CHECK(r->killed != NULL);
	if (r->killed) {
		CHECK_EQ_U(r->killed->pid, 1845);
		CHECK_EQ_S(r->killed->comm, "ovs-vswitchd");
		CHECK_EQ_U(r->killed->total_vm_kb, 41352);
		CHECK_EQ_U(r->killed->anon_rss_kb, 732);
		CHECK_EQ_U(r->killed->file_rss_kb, 7724);
		CHECK(!r->killed->has_shmem_rss_kb);
		CHECK(!r->killed->has_uid);
		CHECK(!r->killed->has_pgtables_kb);
	}
	/* The other CPU's "ret_from_fork" frames inside the report are kept. */
	CHECK(text_has(r, "ret_from_fork+0x7c/0xb0"));
out:
	kmemsnap_oom_parser_free(p);
}

static const Kmemsnap__V1__OomSlabCache *slab(const OomReport *r, size_t i)
{
	static Kmemsnap__V1__OomSlabCache none =
		KMEMSNAP__V1__OOM_SLAB_CACHE__INIT;

	return i < r->n_unreclaimable_slab ? r->unreclaimable_slab[i] : &none;
}

/* 5.8 (oom_report/3): "Unreclaimable slab info:", 4.19+ "[  pid  ]" table
 * with pgtables_bytes, reaper lines for other, earlier victims. */
static void test_unreclaimable_slab_5x(void)
{
	struct kmemsnap_oom_parser *p = new_parser();
	const OomReport *r;

	CHECK_EQ_U(feed_file(p, "samples/oom_report/3.txt"), 174);
	r = last(p);
	CHECK(r != NULL);
	if (!r)
		goto out;
	CHECK_EQ_S(r->invoker_comm, "test_maps");
	CHECK_EQ_U(r->gfp_mask, 0x100cca);
	CHECK_EQ_S(r->gfp_flags, "GFP_HIGHUSER_MOVABLE");
	/* grep -c 'KB  *[0-9]*KB$' 3.txt */
	CHECK_EQ_U(r->n_unreclaimable_slab, 85);
	/* 9p-fcall-cache           297KB        445KB, then 3 more of that name */
	CHECK_EQ_S(slab(r, 0)->name, "9p-fcall-cache");
	CHECK_EQ_U(slab(r, 0)->used_kb, 297);
	CHECK_EQ_U(slab(r, 0)->total_kb, 445);
	CHECK_EQ_S(slab(r, 1)->name, "9p-fcall-cache");
	CHECK_EQ_U(slab(r, 1)->total_kb, 49);
	CHECK_EQ_S(slab(r, 3)->name, "9p-fcall-cache");
	CHECK_EQ_U(slab(r, 3)->used_kb, 346);
	CHECK_EQ_U(slab(r, 3)->total_kb, 495);
	/* ext4_bio_post_read_ctx         15KB         15KB (22 chars > 17) */
	CHECK_EQ_S(slab(r, 8)->name, "ext4_bio_post_read_ctx");
	CHECK_EQ_U(slab(r, 8)->used_kb, 15);
	CHECK_EQ_U(slab(r, 8)->total_kb, 15);
	/* fsnotify_mark_connector          4KB          4KB */
	CHECK_EQ_S(slab(r, 33)->name, "fsnotify_mark_connector");
	CHECK_EQ_U(slab(r, 33)->total_kb, 4);
	/* page->ptl                385KB        433KB */
	CHECK_EQ_S(slab(r, 67)->name, "page->ptl");
	CHECK_EQ_U(slab(r, 67)->total_kb, 433);
	/* kmemleak_object       163919KB     168558KB */
	CHECK_EQ_S(slab(r, 69)->name, "kmemleak_object");
	CHECK_EQ_U(slab(r, 69)->used_kb, 163919);
	CHECK_EQ_U(slab(r, 69)->total_kb, 168558);
	CHECK_EQ_S(slab(r, 84)->name, "kmem_cache");
	CHECK_EQ_U(slab(r, 84)->total_kb, 140);
	/* [    103]     0   103     7766     1042    81920        0         -1000
	 *   systemd-udevd */
	CHECK_EQ_U(r->n_tasks, 15);
	CHECK_EQ_U(task(r, 103)->pgtables_bytes, 81920);
	CHECK_EQ_U(task(r, 103)->rss_pages, 1042);
	CHECK(!task(r, 103)->has_rss_anon_pages);
	CHECK_EQ_S(task(r, 3298)->name, "test_maps");
	CHECK(r->global_oom);
	/* Out of memory: Killed process 194 (bash) total-vm:4128kB,
	 * anon-rss:544kB, file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:40kB
	 * oom_score_adj:0 */
	CHECK(r->killed != NULL);
	if (r->killed) {
		CHECK_EQ_U(r->killed->pid, 194);
		CHECK_EQ_S(r->killed->comm, "bash");
		CHECK_EQ_U(r->killed->total_vm_kb, 4128);
		CHECK_EQ_U(r->killed->anon_rss_kb, 544);
		CHECK_EQ_U(r->killed->pgtables_kb, 40);
		CHECK(r->killed->has_oom_score_adj);
		CHECK_EQ_U(r->killed->oom_score_adj, 0);
	}
	/* The six reaper lines name 3298, 3178, ...: not this victim. */
	CHECK(r->reaped == NULL);
out:
	kmemsnap_oom_parser_free(p);
}

/* 4.15 docker memcg v1 (oom_report/4): nodemask=(null), memory/
 * memory+swap/kmem usage lines, "Task in ... killed as a result of limit
 * of ..." wrapped over 3 lines by the log's copy, reaper line merged. */
static void test_memcg_v1_4x(void)
{
	const char *id =
		"0f2b3fcdd2578165ea77266cdc7b1ad43e75877b0ac1889ecda30a78cb78bd53";
	struct kmemsnap_oom_parser *p = new_parser();
	char path[128];
	const OomReport *r;
	int pid = 0;

	snprintf(path, sizeof(path), "/docker/%s", id);
	/* Completed by line 36 ("Killed process"); line 37, the reaper's,
	 * merges and returns 0. */
	CHECK_EQ_U(feed_file(p, "samples/oom_report/4.txt"), 36);
	r = last(p);
	CHECK(r != NULL);
	if (!r)
		goto out;
	CHECK_EQ_S(r->invoker_comm, "java");
	CHECK_EQ_U(r->gfp_mask, 0x14000c0);
	CHECK_EQ_S(r->gfp_flags, "GFP_KERNEL");
	CHECK_EQ_S(r->nodemask, "(null)");
	CHECK_EQ_U(r->timestamp_us, 193038106393ull);
	/* java cpuset=0f2b... mems_allowed=0 */
	CHECK_EQ_S(r->cpuset, id);
	CHECK_EQ_S(r->mems_allowed, "0");
	CHECK_EQ_S(r->task_memcg, path);
	CHECK_EQ_S(r->oom_memcg, path);
	/* memory: usage 524288kB, limit 524288kB, failcnt 77
	 * memory+swap: usage 0kB, limit 9007199254740988kB, failcnt 0
	 * kmem: usage 3708kB, limit 9007199254740988kB, failcnt 0 */
	CHECK_EQ_U(r->n_memcg_usage_kb, 6);
	CHECK_EQ_U(memcg(r, "memory.usage"), 524288);
	CHECK_EQ_U(memcg(r, "memory.limit"), 524288);
	CHECK_EQ_U(memcg(r, "memory+swap.usage"), 0);
	CHECK_EQ_U(memcg(r, "memory+swap.limit"), 9007199254740988ull);
	CHECK_EQ_U(memcg(r, "kmem.usage"), 3708);
	CHECK_EQ_U(r->n_mem_info, 0);
	/* [ pid ] ... pgtables_bytes ...: [27281]     0 27281  1153302   134371
	 *   1466368        0             0 java */
	CHECK_EQ_U(r->n_tasks, 1);
	CHECK_EQ_U(task(r, 27281)->rss_pages, 134371);
	CHECK_EQ_U(task(r, 27281)->pgtables_bytes, 1466368);
	CHECK_EQ_S(r->kill_message, "Memory cgroup out of memory");
	CHECK(r->killed && r->reaped);
	if (r->killed && r->reaped) {
		CHECK_EQ_U(r->killed->pid, 27281);
		CHECK_EQ_U(r->killed->total_vm_kb, 4613208);
		CHECK_EQ_U(r->killed->anon_rss_kb, 517316);
		CHECK_EQ_U(r->killed->file_rss_kb, 20168);
		CHECK_EQ_U(r->killed->shmem_rss_kb, 0);
		/* oom_reaper: reaped process 27281 (java), now anon-rss:0kB, ... */
		CHECK_EQ_U(r->reaped->pid, 27281);
		CHECK_EQ_S(r->reaped->comm, "java");
		CHECK(r->reaped->has_anon_rss_kb);
		CHECK_EQ_U(r->reaped->anon_rss_kb, 0);
	}
	CHECK(text_has(r, "oom_reaper: reaped process 27281 (java)"));
	CHECK_EQ_U(kmemsnap_oom_parser_last(p, &pid), 1);
	CHECK_EQ_U(pid, 27281);
out:
	kmemsnap_oom_parser_free(p);
}

/* 4.9 i686 under syslog (oom_report/5): "Dec 16 18:56:29 boerne.fritz.box
 * kernel: " on every line but the Mem-Info continuation, nr_ptes nr_pmds
 * columns, "(sd-pam)". */
static void test_syslog_4x(void)
{
	struct kmemsnap_oom_parser *p = new_parser();
	const Kmemsnap__V1__OomTask *t;
	const OomReport *r;

	CHECK_EQ_U(feed_file(p, "samples/oom_report/5.txt"), 114);
	r = last(p);
	CHECK(r != NULL);
	if (!r)
		goto out;
	CHECK(!r->has_timestamp_us);
	CHECK(memcmp(r->text.data, "kthreadd invoked", 16) == 0);
	CHECK_EQ_S(r->invoker_comm, "kthreadd");
	CHECK_EQ_U(r->gfp_mask, 0x27080c0);
	CHECK_EQ_S(r->gfp_flags, "GFP_KERNEL_ACCOUNT|__GFP_ZERO|__GFP_NOTRACK");
	CHECK_EQ_S(r->nodemask, "0");
	CHECK_EQ_U(r->order, 1);
	CHECK_EQ_S(r->cpuset, "/");
	/* The 5 unprefixed continuation lines count: 19 counters. */
	CHECK_EQ_U(r->n_mem_info, 19);
	CHECK_EQ_U(mem_info(r, "active_anon"), 132176);
	CHECK_EQ_U(mem_info(r, "isolated_file"), 20);
	CHECK_EQ_U(mem_info(r, "free"), 77600);
	/* grep -c 'kernel: \[ *[0-9]*\] ' 5.txt */
	CHECK_EQ_U(r->n_tasks, 60);
	/* [ 2700]     0  2700     2279      586       7       3        0
	 *   0 (sd-pam) */
	t = task(r, 2700);
	CHECK_EQ_S(t->name, "(sd-pam)");
	CHECK_EQ_U(t->nr_ptes, 7);
	CHECK(t->has_nr_pmds);
	CHECK_EQ_U(t->nr_pmds, 3);
	CHECK_EQ_U(t->rss_pages, 586);
	/* [12950]  1000 12950   197232    73307     252       3        0
	 *   0 firefox */
	t = task(r, 12950);
	CHECK_EQ_U(t->uid, 1000);
	CHECK_EQ_U(t->nr_ptes, 252);
	CHECK_EQ_U(t->rss_pages, 73307);
	CHECK_EQ_S(t->name, "firefox");
	CHECK(r->killed && r->reaped);
	if (r->killed && r->reaped) {
		CHECK_EQ_U(r->killed->pid, 12950);
		CHECK_EQ_S(r->killed->comm, "firefox");
		CHECK_EQ_U(r->killed->anon_rss_kb, 192656);
		CHECK_EQ_U(r->killed->file_rss_kb, 100548);
		CHECK_EQ_U(r->killed->shmem_rss_kb, 24);
		/* now anon-rss:0kB, file-rss:96kB, shmem-rss:24kB */
		CHECK_EQ_U(r->reaped->file_rss_kb, 96);
		CHECK_EQ_U(r->reaped->shmem_rss_kb, 24);
	}
out:
	kmemsnap_oom_parser_free(p);
}

/* SysRq-f on 4.11 (oom_report/6): no dump_header, comm "(agetty)". */
static void test_sysrq_no_header(void)
{
	struct kmemsnap_oom_parser *p = new_parser();
	const OomReport *r;
	int pid = 0;

	CHECK_EQ_U(kmemsnap_oom_parser_last(p, &pid), 0);
	CHECK_EQ_U(feed_lines(p, "samples/oom_report/6.txt", 1, 3), 3);
	r = last(p);
	CHECK(r != NULL);
	if (!r)
		goto out;
	CHECK(r->invoker_comm == NULL);
	CHECK_EQ_U(r->timestamp_us, 713808920);
	CHECK_EQ_S(r->kill_message, "Out of memory");
	CHECK(r->killed != NULL);
	if (r->killed) {
		/* Killed process 4468 ((agetty)) total-vm:43704kB, anon-rss:1760kB,
		 * file-rss:0kB, shmem-rss:0kB */
		CHECK_EQ_U(r->killed->pid, 4468);
		CHECK_EQ_S(r->killed->comm, "(agetty)");
		CHECK_EQ_U(r->killed->total_vm_kb, 43704);
		CHECK_EQ_U(r->killed->anon_rss_kb, 1760);
	}
	/* The two kill lines; "sysrq: SysRq : Manual OOM execution" came
	 * before the report began. */
	CHECK_EQ_U(r->text.len,
		   strlen("Out of memory: Kill process 4468 ((agetty)) "
			  "score 0 or sacrifice child\nKilled process "
			  "4468 ((agetty)) total-vm:43704kB, anon-rss:"
			  "1760kB, file-rss:0kB, shmem-rss:0kB\n"));
	CHECK_EQ_U(r->status->lines_skipped, 0);
	/* The second SysRq kill replaces it; the ignored requests do not. */
	CHECK_EQ_U(feed_lines(p, "samples/oom_report/6.txt", 4, 0), 6);
	CHECK_EQ_U(kmemsnap_oom_parser_last(p, &pid), 1);
	CHECK_EQ_U(pid, 4469);
	CHECK_EQ_S(last(p)->killed->comm, "systemd-cgroups");
out:
	kmemsnap_oom_parser_free(p);
}

/* 4.5-rc (oom_report/7): child sacrificed (chosen 10595, killed 10596),
 * "shmem-rss:0lB", "** N printk messages dropped ** " before the
 * timestamp, and a report still open at the end. */
static void test_dropped_and_0lB(void)
{
	struct kmemsnap_oom_parser *p = new_parser();
	const OomReport *r;
	int pid = 0;

	CHECK_EQ_U(feed_lines(p, "samples/oom_report/7.txt", 1, 6), 5);
	r = last(p);
	CHECK(r != NULL);
	if (!r)
		goto out;
	CHECK_EQ_S(r->invoker_comm, "a.out");
	CHECK_EQ_U(r->gfp_mask, 0x24280ca);
	CHECK_EQ_S(r->cpuset, "/");
	CHECK_EQ_S(r->kill_message, "Out of memory (oom_kill_allocating_task)");
	CHECK(r->killed && r->reaped);
	if (r->killed && r->reaped) {
		CHECK_EQ_U(r->killed->pid, 10596);
		CHECK_EQ_U(r->reaped->pid, 10596);
		CHECK(r->reaped->has_shmem_rss_kb);
		CHECK_EQ_U(r->reaped->shmem_rss_kb, 0);
		CHECK_EQ_U(r->reaped->anon_rss_kb, 0);
	}
	/* Lines 8-9: a header-less report behind "** 3 printk messages
	 * dropped ** [  206.416481] "; line 10 opens another one. */
	CHECK_EQ_U(feed_lines(p, "samples/oom_report/7.txt", 7, 0), 9);
	r = last(p);
	CHECK_EQ_U(kmemsnap_oom_parser_last(p, &pid), 1);
	CHECK_EQ_U(pid, 10600);
	CHECK_EQ_U(r->timestamp_us, 206416481);
	CHECK(r->invoker_comm == NULL);
	CHECK(memcmp(r->text.data, "Out of memory (oom_kill_allocating_task)",
		     40) == 0);
	CHECK(!text_has(r, "printk messages dropped"));
	CHECK(r->reaped == NULL);
out:
	kmemsnap_oom_parser_free(p);
}

/* oom/kmsg_global_6.11.txt is oom_report/1 as /dev/kmsg prints it:
 *   awk 'match($0, /^\[ *[0-9]+\.[0-9]+\] /) {
 *     ts = substr($0, 2, RLENGTH - 3); gsub(/[ .]/, "", ts); ts += 0
 *     text = substr($0, RLENGTH + 1)
 *     if (text ~ /^ / && ts == prev && n) { rec = rec "\\x0a" text; next }
 *     if (n) print rec
 *     rec = (n ? 6 : 4) "," 1000 + n++ "," ts ",-;" text; prev = ts }
 *     END { print rec }' 1.txt
 * plus two dictionary lines after record 1002: the Mem-Info counters are
 * one record with \x0a escapes. It must read exactly as the dmesg text. */
static void test_kmsg_rendition(void)
{
	struct kmemsnap_oom_parser *p = new_parser();
	const OomReport *r;

	CHECK_EQ_U(feed_file(p, "oom/kmsg_global_6.11.txt"), 63);
	r = last(p);
	CHECK(r != NULL);
	if (!r)
		goto out;
	CHECK_EQ_U(r->timestamp_us, 30745678);
	CHECK_EQ_U(r->status->lines_skipped, 50);
	CHECK_EQ_U(r->text.len, 4628);
	CHECK(!text_has(r, "SUBSYSTEM"));
	CHECK(!text_has(r, "\\x0a"));
	CHECK(text_has(r,
		       "\n active_file:0 inactive_file:0 isolated_file:0\n"));
	CHECK_EQ_U(r->n_mem_info, 20);
	CHECK_EQ_U(mem_info(r, "free_cma"), 0);
	CHECK_EQ_U(mem_info(r, "unevictable"), 4653);
	CHECK_EQ_U(r->n_tasks, 4);
	CHECK_EQ_U(task(r, 116)->rss_anon_pages, 1995157);
	CHECK(r->killed && r->killed->pid == 116);
out:
	kmemsnap_oom_parser_free(p);
}

/* oom/kmsg_memcg_v1_6.18.txt: a real memcg v1 OOM read from this kind of
 * machine's /dev/kmsg (6.18, `head -c 200M /dev/zero | tail` in a 32 MiB
 * cgroup), with a dictionary before it and the reaper 2 s later. */
static void test_kmsg_memcg_6x(void)
{
	const char *cg =
		"/process_api/514c55b110563df5cb3e59fa0bd7a054/oomprobe";
	struct kmemsnap_oom_parser *p = new_parser();
	const OomReport *r;

	CHECK_EQ_U(feed_file(p, "oom/kmsg_memcg_v1_6.18.txt"), 93);
	r = last(p);
	CHECK(r != NULL);
	if (!r)
		goto out;
	CHECK_EQ_U(r->timestamp_us, 3492903526ull);
	CHECK_EQ_S(r->invoker_comm, "head");
	CHECK_EQ_U(r->gfp_mask, 0x500cc2);
	CHECK_EQ_U(r->constraint,
		   KMEMSNAP__V1__OOM_CONSTRAINT__OOM_CONSTRAINT_MEMCG);
	CHECK(!r->global_oom);
	CHECK_EQ_S(r->oom_memcg, cg);
	CHECK_EQ_S(r->task_memcg, cg);
	CHECK_EQ_U(memcg(r, "memory.limit"), 32768);
	CHECK_EQ_U(memcg(r, "memory+swap.usage"), 32768);
	CHECK_EQ_U(memcg(r, "kmem.usage"), 368);
	/* [   8561]     0  8561     8737     8399     8032      367         0
	 *   118784        0             0 tail */
	CHECK_EQ_U(r->n_tasks, 3);
	CHECK_EQ_U(task(r, 8561)->rss_anon_pages, 8032);
	CHECK_EQ_U(task(r, 8561)->pgtables_bytes, 118784);
	CHECK_EQ_S(r->kill_message, "Memory cgroup out of memory");
	CHECK(r->killed && r->reaped);
	if (r->killed && r->reaped) {
		CHECK_EQ_U(r->killed->pid, 8561);
		CHECK_EQ_S(r->killed->comm, "tail");
		CHECK_EQ_U(r->killed->anon_rss_kb, 32128);
		CHECK_EQ_U(r->killed->pgtables_kb, 116);
		CHECK_EQ_U(r->reaped->anon_rss_kb, 84);
		CHECK_EQ_U(r->reaped->file_rss_kb, 4);
	}
	CHECK(!text_has(r, "EXT4-fs"));
out:
	kmemsnap_oom_parser_free(p);
}

/* A newer report replaces the last one; one still being read does not. */
static void test_report_lifecycle(void)
{
	struct kmemsnap_oom_parser *p = new_parser();
	const OomReport *r;
	int pid = 0;

	feed_file(p, "samples/oom_report/2.txt");
	feed_file(p, "samples/oom_report/1.txt");
	CHECK_EQ_U(kmemsnap_oom_parser_last(p, &pid), 1);
	CHECK_EQ_U(pid, 116);
	/* 3.txt up to its task table: a report in progress, built in the
	 * other arena. */
	CHECK_EQ_U(feed_lines(p, "samples/oom_report/3.txt", 1, 160), 0);
	r = last(p);
	CHECK_EQ_U(kmemsnap_oom_parser_last(p, &pid), 1);
	CHECK_EQ_U(pid, 116);
	CHECK_EQ_S(r->invoker_comm, "stress-ng-vm");
	CHECK_EQ_U(r->n_tasks, 4);
	CHECK_EQ_U(r->n_unreclaimable_slab, 0);
	CHECK_EQ_U(r->text.len, 4628);
	CHECK_EQ_U(task(r, 116)->rss_pages, 1995298);
	CHECK_EQ_U(feed_lines(p, "samples/oom_report/3.txt", 161, 0), 174);
	CHECK_EQ_U(kmemsnap_oom_parser_last(p, &pid), 1);
	CHECK_EQ_U(pid, 194);
	CHECK_EQ_U(last(p)->n_unreclaimable_slab, 85);
	/* And back: the first arena is reused. */
	feed_file(p, "samples/oom_report/4.txt");
	CHECK_EQ_U(kmemsnap_oom_parser_last(p, &pid), 1);
	CHECK_EQ_U(pid, 27281);
	CHECK_EQ_U(last(p)->n_unreclaimable_slab, 0);
	CHECK(last(p)->reaped != NULL);
	kmemsnap_oom_parser_free(p);
}

/* The summary's values end at known keys: node lists and names with
 * commas. 4.19-5.0 print no UID in the kill line: the summary's stays. */
static void test_summary_keys(void)
{
	struct kmemsnap_oom_parser *p = new_parser();
	const OomReport *r;

	feed_str(
		p,
		"[ 1.000000] a b invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), "
		"order=-1, oom_score_adj=-17");
	feed_str(
		p,
		"[ 1.000001] oom-kill:constraint=CONSTRAINT_CPUSET,nodemask=0-1,3,"
		"cpuset=/a,b,mems_allowed=0,2-3,oom_memcg=/x,y,task_memcg=/x,y/z,"
		"task=my,task,pid=42,uid=1000");
	CHECK_EQ_U(
		feed_str(p,
			 "[ 1.000002] Killed process 42 (my,task) total-vm:100kB, "
			 "anon-rss:10kB, file-rss:0kB, shmem-rss:0kB"),
		1);
	r = last(p);
	CHECK(r != NULL);
	if (!r)
		goto out;
	CHECK_EQ_S(r->invoker_comm, "a b");
	CHECK_EQ_U((int64_t)r->order, -1);
	CHECK_EQ_U((int64_t)r->oom_score_adj, -17);
	CHECK_EQ_U(r->constraint,
		   KMEMSNAP__V1__OOM_CONSTRAINT__OOM_CONSTRAINT_CPUSET);
	CHECK_EQ_S(r->nodemask, "0-1,3");
	CHECK_EQ_S(r->cpuset, "/a,b");
	CHECK_EQ_S(r->mems_allowed, "0,2-3");
	CHECK_EQ_S(r->oom_memcg, "/x,y");
	CHECK_EQ_S(r->task_memcg, "/x,y/z");
	CHECK(!r->global_oom);
	CHECK(r->killed != NULL);
	if (r->killed) {
		CHECK_EQ_U(r->killed->pid, 42);
		CHECK_EQ_S(r->killed->comm, "my,task");
		CHECK(r->killed->has_uid);
		CHECK_EQ_U(r->killed->uid, 1000);
		CHECK_EQ_U(r->killed->anon_rss_kb, 10);
		CHECK(!r->killed->has_pgtables_kb);
	}
	CHECK(r->kill_message == NULL);
out:
	kmemsnap_oom_parser_free(p);
}

/* Every prefix of KERNEL-FORMATS.md 6.5 around the same two lines. */
static void test_prefixes(void)
{
	static const struct {
		const char *header, *kill;
		uint64_t ts_us; /* 0: none */
	} cases[] = {
		{ "[    7.372300][    T2] x invoked oom-killer: gfp_mask=0x0, order=0, oom_score_adj=0",
		  "[    7.372400][    T2] Out of memory: Killed process 7 (x) total-vm:1kB, anon-rss:1kB, file-rss:0kB, shmem-rss:0kB",
		  7372300 },
		{ "[Mon Jan 26 01:49:41 2026] x invoked oom-killer: gfp_mask=0x0, order=0, oom_score_adj=0",
		  "[Mon Jan 26 01:49:41 2026] Out of memory: Killed process 7 (x) total-vm:1kB, anon-rss:1kB, file-rss:0kB, shmem-rss:0kB",
		  0 },
		{ "2026-01-26T01:49:41.123456+01:00 host kernel: x invoked oom-killer: gfp_mask=0x0, order=0, oom_score_adj=0",
		  "2026-01-26T01:49:41.123456+01:00 host kernel: Out of memory: Killed process 7 (x) total-vm:1kB, anon-rss:1kB, file-rss:0kB, shmem-rss:0kB",
		  0 },
		{ "Jan  6 01:49:41 host kernel: [   12.5] x invoked oom-killer: gfp_mask=0x0, order=0, oom_score_adj=0",
		  "Jan  6 01:49:41 host kernel: [   12.6] Out of memory: Killed process 7 (x) total-vm:1kB, anon-rss:1kB, file-rss:0kB, shmem-rss:0kB",
		  12500000 },
		{ "6,5,7372300,-,caller=T2;x invoked oom-killer: gfp_mask=0x0, order=0, oom_score_adj=0",
		  "3,6,7372400,-,caller=T2;Out of memory: Killed process 7 (x) total-vm:1kB, anon-rss:1kB, file-rss:0kB, shmem-rss:0kB",
		  7372300 },
		{ "<4>[    9.000002] x invoked oom-killer: gfp_mask=0x0, order=0, oom_score_adj=0",
		  "<3>[    9.000003] Out of memory: Killed process 7 (x) total-vm:1kB, anon-rss:1kB, file-rss:0kB, shmem-rss:0kB",
		  9000002 },
		{ "** 12 printk messages dropped ** [ 3.000001] x invoked oom-killer: gfp_mask=0x0, order=0, oom_score_adj=0",
		  "Out of memory: Killed process 7 (x) total-vm:1kB, anon-rss:1kB, file-rss:0kB, shmem-rss:0kB",
		  3000001 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct kmemsnap_oom_parser *p = new_parser();
		const OomReport *r;

		CHECK_EQ_U(feed_str(p, cases[i].header), 0);
		CHECK_EQ_U(feed_str(p, cases[i].kill), 1);
		r = last(p);
		CHECK(r != NULL);
		if (r) {
			CHECK_EQ_S(r->invoker_comm, "x");
			CHECK(r->killed && r->killed->pid == 7);
			CHECK_EQ_U(r->has_timestamp_us, cases[i].ts_us != 0);
			CHECK_EQ_U(r->timestamp_us, cases[i].ts_us);
			CHECK_EQ_U(r->status->lines_skipped, 0);
		}
		kmemsnap_oom_parser_free(p);
	}
}

/* A whole /dev/kmsg read() at once: record, escapes, dictionary. */
static void test_kmsg_record_in_one_call(void)
{
	static const char rec[] =
		"4,1,5,-;sh invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0\n"
		" SUBSYSTEM=memory\n"
		"6,2,6,-;Mem-Info:\n"
		"6,3,7,-;active_anon:5 inactive_anon:6\\x0a free:7\n"
		"6,4,8,-;Task in \\x5cpath killed as a result of limit of /q\n"
		"3,5,9,-;Memory cgroup out of memory: Killed process 9 (a\\x5cb) total-vm:1kB, anon-rss:2kB, file-rss:3kB, shmem-rss:4kB\n";
	struct kmemsnap_oom_parser *p = new_parser();
	const OomReport *r;

	CHECK_EQ_U(kmemsnap_oom_parser_feed(p, rec, strlen(rec)), 1);
	r = last(p);
	CHECK(r != NULL);
	if (r) {
		CHECK_EQ_U(r->timestamp_us, 5);
		CHECK_EQ_U(r->n_mem_info, 3);
		CHECK_EQ_U(mem_info(r, "free"), 7);
		CHECK(r->killed != NULL);
		CHECK_EQ_S(r->killed ? r->killed->comm : NULL, "a\\b");
		CHECK_EQ_U(r->killed ? r->killed->shmem_rss_kb : 0, 4);
		CHECK_EQ_S(r->task_memcg, "\\path");
		CHECK_EQ_S(r->oom_memcg, "/q");
		CHECK(!text_has(r, "SUBSYSTEM"));
	}
	kmemsnap_oom_parser_free(p);
}

/* memory.oom.group (4.19+): the group's other kills follow the victim's
 * and belong to its report. */
static void test_oom_group(void)
{
	struct kmemsnap_oom_parser *p = new_parser();
	const OomReport *r;
	int pid = 0;

	feed_str(
		p,
		"[ 2.0] a invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0");
	CHECK_EQ_U(
		feed_str(
			p,
			"[ 2.1] Memory cgroup out of memory: Killed process 10 (a) "
			"total-vm:1kB, anon-rss:1kB, file-rss:0kB, shmem-rss:0kB"),
		1);
	CHECK_EQ_U(
		feed_str(
			p,
			"[ 2.2] Tasks in /g are going to be killed due to memory.oom.group set"),
		0);
	CHECK_EQ_U(
		feed_str(
			p,
			"[ 2.3] Memory cgroup out of memory: Killed process 11 (b) "
			"total-vm:1kB, anon-rss:1kB, file-rss:0kB, shmem-rss:0kB"),
		0);
	CHECK_EQ_U(kmemsnap_oom_parser_last(p, &pid), 1);
	CHECK_EQ_U(pid, 10);
	r = last(p);
	CHECK(text_has(r, "Killed process 11 (b)"));
	CHECK(text_has(r, "memory.oom.group set"));
	/* A new report ends the group. */
	feed_str(
		p,
		"[ 3.0] c invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0");
	CHECK_EQ_U(
		feed_str(
			p,
			"[ 3.1] Out of memory: Killed process 12 (c) "
			"total-vm:1kB, anon-rss:1kB, file-rss:0kB, shmem-rss:0kB"),
		1);
	CHECK_EQ_U(kmemsnap_oom_parser_last(p, &pid), 1);
	CHECK_EQ_U(pid, 12);
	kmemsnap_oom_parser_free(p);
}

/* A report that panics without a victim still completes. */
static void test_no_killable(void)
{
	struct kmemsnap_oom_parser *p = new_parser();
	int pid = -1;

	feed_str(
		p,
		"[ 2.0] a invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0");
	CHECK_EQ_U(
		feed_str(p,
			 "[ 2.1] Out of memory and no killable processes..."),
		1);
	CHECK_EQ_U(kmemsnap_oom_parser_last(p, &pid), 1);
	CHECK_EQ_U(pid, 0);
	CHECK_EQ_S(last(p)->invoker_comm, "a");
	kmemsnap_oom_parser_free(p);
}

/* The panics that end a report without a victim: out_of_memory() before
 * 4.19 and check_panic_on_oom(). */
static void test_panic_ends_report(void)
{
	static const char *const panics[] = {
		"<0>[ 2.1] Kernel panic - not syncing: Out of memory and no killable processes...",
		"<0>[ 2.1] Kernel panic - not syncing: Out of memory: system-wide panic_on_oom is enabled",
		"<0>[ 2.1] Kernel panic - not syncing: Out of memory: compulsory panic_on_oom is enabled",
	};
	size_t i;

	for (i = 0; i < sizeof(panics) / sizeof(panics[0]); i++) {
		struct kmemsnap_oom_parser *p = new_parser();
		int pid = -1;

		feed_str(p, "<4>[ 2.0] a invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0");
		CHECK_EQ_U(feed_str(p, panics[i]), 1);
		CHECK_EQ_U(kmemsnap_oom_parser_last(p, &pid), 1);
		CHECK_EQ_U(pid, 0);
		kmemsnap_oom_parser_free(p);
	}
}

/* pstore dmesg records (tests/fixtures/pstore): pstore_dump()'s
 * "Panic#1 Part1" line, "<level>[time]" prefixes. The ramoops record holds
 * a kill (pid 116), then a report without a killable task that panics: the
 * last report is that one. */
static void test_pstore_dmesg(void)
{
	struct kmemsnap_oom_parser *p = new_parser();
	const OomReport *r;
	int pid = -1;

	/* line 116: "Out of memory and no killable processes..." */
	CHECK_EQ_U(feed_file(p, "pstore/ramoops/sys/fs/pstore/dmesg-ramoops-0"),
		   116);
	CHECK_EQ_U(kmemsnap_oom_parser_last(p, &pid), 1);
	CHECK_EQ_U(pid, 0);
	r = last(p);
	CHECK_EQ_S(r->invoker_comm, "stress-ng-shm");
	CHECK_EQ_U(r->timestamp_us, 31204113);
	CHECK_EQ_U(r->n_tasks, 2);
	CHECK_EQ_U(task(r, 115)->rss_shmem_pages, 1994260);
	CHECK_EQ_U(mem_info(r, "shmem"), 1994260);
	kmemsnap_oom_parser_free(p);

	/* Up to the reaper's line (73), the first one with its victim. */
	p = new_parser();
	feed_lines(p, "pstore/ramoops/sys/fs/pstore/dmesg-ramoops-0", 1, 73);
	CHECK_EQ_U(kmemsnap_oom_parser_last(p, &pid), 1);
	CHECK_EQ_U(pid, 116);
	CHECK_EQ_S(last(p)->killed ? last(p)->killed->comm : NULL,
		   "stress-ng-vm");
	CHECK(last(p)->reaped != NULL);
	kmemsnap_oom_parser_free(p);

	/* systemd-pstore's dmesg.txt of two EFI parts: a panic_on_oom
	 * report cut over the parts, with their name and header lines. */
	p = new_parser();
	CHECK(feed_file(p, "pstore/efi-archived/var/lib/systemd/pstore/"
			   "171234567/dmesg.txt") > 0);
	CHECK_EQ_U(kmemsnap_oom_parser_last(p, &pid), 1);
	CHECK_EQ_U(pid, 0);
	r = last(p);
	CHECK_EQ_S(r->invoker_comm, "java");
	CHECK_EQ_U(task(r, 1733)->rss_pages, 481507);
	CHECK_EQ_U(mem_info(r, "active_anon"), 482113);
	kmemsnap_oom_parser_free(p);
}

/* Bounds: 300 task rows, 70 counters, 40 KiB of text. */
static void test_bounds(void)
{
	struct kmemsnap_oom_parser *p = new_parser();
	const OomReport *r;
	char line[256];
	int i;

	feed_str(
		p,
		"[ 1.0] big invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0");
	feed_str(p, "[ 1.0] Mem-Info:");
	for (i = 0; i < 70; i++) {
		snprintf(line, sizeof(line), "[ 1.0] %scounter%d:%d",
			 i ? " " : "", i, i);
		feed_str(p, line);
	}
	feed_str(
		p,
		"[ 1.0] [  pid  ]   uid  tgid total_vm      rss pgtables_bytes swapents oom_score_adj name");
	for (i = 0; i < 300; i++) {
		snprintf(
			line, sizeof(line),
			"[ 1.0] [%7d]     0 %5d      100       %d    4096        0             0 task %d",
			i + 1, i + 1, i, i);
		feed_str(p, line);
	}
	for (i = 0; i < 200; i++) {
		memset(line, 'z', 200);
		line[200] = '\0';
		feed_str(p, line);
	}
	CHECK_EQ_U(
		feed_str(
			p,
			"[ 1.1] Killed process 1 (task 0) total-vm:1kB, anon-rss:0kB, file-rss:0kB"),
		1);
	r = last(p);
	CHECK(r != NULL);
	if (!r)
		goto out;
	CHECK_EQ_U(r->status->state, STATE_TRUNCATED);
	CHECK_EQ_U(r->n_mem_info, 64);
	CHECK_EQ_U(mem_info(r, "counter63"), 63);
	CHECK_EQ_U(r->n_tasks, 256);
	CHECK_EQ_U(r->tasks_total, 300);
	CHECK_EQ_S(task(r, 256)->name, "task 255");
	CHECK_EQ_U(task(r, 256)->rss_pages, 255);
	CHECK_EQ_U(r->text.len <= 32768, 1);
	CHECK(r->status->source_bytes > 40000);
	CHECK(r->killed && r->killed->pid == 1);
	CHECK_EQ_S(r->killed ? r->killed->comm : NULL, "task 0");
out:
	kmemsnap_oom_parser_free(p);
}

/* Nothing a log holds may crash the parser or leave it unusable. */
static void test_garbage(void)
{
	static const char *const bad[] = {
		"x invoked oom-killer: ",
		" invoked oom-killer: gfp_mask=",
		"y invoked oom-killer: gfp_mask=0x(, nodemask=, order=, oom_score_adj=",
		"[",
		"[ 12.",
		"[ 12.5",
		"[Mon ",
		"** 3 printk messages dropped **",
		"1,2,3,",
		"1,2,3,-;",
		"1,2,3,-;\\x",
		"1,2,3,-;\\x4",
		"1,2,3,-;\\xzz\\x0a\\x0a\\x0a",
		"Mem-Info:",
		"a:1 b:2 c:",
		"Unreclaimable slab info:",
		"Name",
		"KB KB",
		" 1KB 2KB",
		"x 99999999999999999999999KB 1KB",
		"[ pid ] name",
		"[ pid ]   uid  tgid a b c d e f g h i j k l m n o p q r s t name",
		"[  pid  ]   uid  tgid total_vm      rss pgtables_bytes swapents oom_score_adj name",
		"[    1]",
		"[    1]     0     1",
		"[    1]     0     1      1      1     1     1     -1",
		"[99999999999999999999]     0     1      1      1     1     1     1 x",
		"oom-kill:",
		"oom-kill:constraint=",
		"oom-kill:,pid=,uid=,task=",
		"oom-kill:pid=1",
		"memory: usage",
		"memory: usage 1kB, limit",
		"Task in ",
		"killed as a result of limit of ",
		": Kill process ",
		"Out of memory: Kill process 1 (",
		"Killed process ",
		"Killed process 1",
		"Killed process 1 (",
		"Killed process 1 (x) total-vm:",
		"oom_reaper: reaped process 1 (x), now",
		"oom_reaper: reaped process ",
		"Tasks in  are going to be killed due to memory.oom.group set",
		"\xff\xfe\x01\x02",
	};
	struct kmemsnap_oom_parser *p = new_parser();
	char *huge = malloc(100000);
	size_t i;
	int pid = 0;

	CHECK(kmemsnap_oom_parser_feed(NULL, "x", 1) == -EINVAL);
	CHECK(kmemsnap_oom_parser_feed(p, NULL, 1) == -EINVAL);
	CHECK_EQ_U(kmemsnap_oom_parser_feed(p, "", 0), 0);
	CHECK_EQ_U(kmemsnap_oom_parser_last(NULL, &pid), 0);
	CHECK(ks_oom_parser_report(NULL) == NULL);
	kmemsnap_oom_parser_free(NULL);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		kmemsnap_oom_parser_feed(p, bad[i], strlen(bad[i]));
	/* Embedded NULs, and lines longer than any buffer. */
	kmemsnap_oom_parser_feed(p, "a\0b invoked oom-killer: \0", 25);
	memset(huge, 'x', 100000);
	memcpy(huge,
	       "[ 1.0] z invoked oom-killer: gfp_mask=0x1, order=0, oom_score_adj=0 ",
	       68);
	kmemsnap_oom_parser_feed(p, huge, 100000);
	memcpy(huge, "6,1,2,-;", 8);
	for (i = 8; i + 4 <= 100000; i += 4)
		memcpy(huge + i, "\\x0a", 4);
	kmemsnap_oom_parser_feed(p, huge, 100000);
	for (i = 0; i < 100000; i++)
		huge[i] = (char)(i * 7919 % 251 + 1);
	kmemsnap_oom_parser_feed(p, huge, 100000);
	free(huge);
	/* Still reads a real report afterwards. */
	CHECK_EQ_U(feed_file(p, "samples/oom_report/1.txt"), 68);
	CHECK_EQ_U(kmemsnap_oom_parser_last(p, &pid), 1);
	CHECK_EQ_U(pid, 116);
	CHECK_EQ_U(last(p)->n_tasks, 4);
	CHECK_EQ_U(last(p)->status->lines_skipped, 50);
	kmemsnap_oom_parser_free(p);
}

/* Captures below an empty root with the parser in the options and decodes
 * the blob. Returns the snapshot (free with
 * kmemsnap__v1__snapshot__free_unpacked) or NULL. */
static KsSnapshot *capture_with(const struct kmemsnap_capture_opts *opts)
{
	char dir[] = "/tmp/kmemsnap-oom-XXXXXX";
	KMEMSNAP_OPTS(kmemsnap_recorder_opts, ropts, .root = dir);
	struct kmemsnap_blob_info info = { .sz = sizeof(info) };
	struct kmemsnap_recorder *rec;
	KsSnapshot *snap = NULL;
	const void *blob;
	uint8_t *msg = NULL;
	size_t len;

	if (!mkdtemp(dir))
		return NULL;
	if (kmemsnap_recorder_new(&rec, &ropts) == 0) {
		if (kmemsnap_capture(rec, opts, &blob, &len) == 0 &&
		    kmemsnap_blob_extract(blob, len, NULL, 0, &info) ==
			    -ENOBUFS &&
		    (msg = malloc(info.message_bytes + 1)) &&
		    kmemsnap_blob_extract(blob, len, msg, info.message_bytes,
					  &info) == 0)
			snap = kmemsnap__v1__snapshot__unpack(
				NULL, info.message_bytes, msg);
		kmemsnap_recorder_free(rec);
	}
	free(msg);
	rmdir(dir);
	return snap;
}

static void test_capture_embeds_report(void)
{
	struct kmemsnap_oom_parser *p = new_parser();
	KMEMSNAP_OPTS(kmemsnap_capture_opts, opts,
		      .trigger = KMEMSNAP_TRIGGER_OOM, .oom_report = p);
	KsSnapshot *s;

	/* Nothing complete yet: no report. */
	feed_lines(p, "samples/oom_report/3.txt", 1, 100);
	s = capture_with(&opts);
	CHECK(s != NULL);
	if (s) {
		CHECK(s->oom_report == NULL);
		kmemsnap__v1__snapshot__free_unpacked(s, NULL);
	}
	feed_lines(p, "samples/oom_report/3.txt", 101, 0);
	s = capture_with(&opts);
	CHECK(s != NULL && s->oom_report != NULL);
	if (s && s->oom_report) {
		const OomReport *r = s->oom_report;

		CHECK_EQ_U(r->status->state, STATE_OK);
		CHECK(r->killed != NULL);
		CHECK_EQ_U(r->killed ? r->killed->pid : 0, 194);
		CHECK_EQ_S(r->invoker_comm, "test_maps");
		CHECK_EQ_U(r->n_unreclaimable_slab, 85);
		CHECK_EQ_S(r->unreclaimable_slab[8]->name,
			   "ext4_bio_post_read_ctx");
		CHECK_EQ_U(r->n_tasks, 15);
		CHECK_EQ_U(r->text.len, last(p)->text.len);
		CHECK_EQ_U(s->header->trigger,
			   KMEMSNAP__V1__TRIGGER__TRIGGER_OOM);
	}
	if (s)
		kmemsnap__v1__snapshot__free_unpacked(s, NULL);
	/* Options from a caller built before oom_report existed: ignored. */
	opts.sz = offsetof(struct kmemsnap_capture_opts, oom_report);
	s = capture_with(&opts);
	CHECK(s != NULL);
	if (s) {
		CHECK(s->oom_report == NULL);
		kmemsnap__v1__snapshot__free_unpacked(s, NULL);
	}
	kmemsnap_oom_parser_free(p);
}

int main(void)
{
	RUN(test_global_6x);
	RUN(test_old_3x_interleaved);
	RUN(test_unreclaimable_slab_5x);
	RUN(test_memcg_v1_4x);
	RUN(test_syslog_4x);
	RUN(test_sysrq_no_header);
	RUN(test_dropped_and_0lB);
	RUN(test_kmsg_rendition);
	RUN(test_kmsg_memcg_6x);
	RUN(test_report_lifecycle);
	RUN(test_summary_keys);
	RUN(test_prefixes);
	RUN(test_kmsg_record_in_one_call);
	RUN(test_oom_group);
	RUN(test_no_killable);
	RUN(test_panic_ends_report);
	RUN(test_pstore_dmesg);
	RUN(test_bounds);
	RUN(test_garbage);
	RUN(test_capture_embeds_report);
	return tl_summary();
}

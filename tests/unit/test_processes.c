/* SPDX-License-Identifier: MIT */
/*
 * The processes section: the /proc/<pid>/status parser on the shared samples
 * (tests/fixtures/samples/pid_status), the section on the fixture trees
 * "modern" (6.5) and "el7" (3.10), on a tree of odd cases built here, and on
 * this machine's /proc.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testlib.h"

typedef Kmemsnap__V1__Process KsProcess;
typedef Kmemsnap__V1__Processes KsProcesses;

#define STATE_OK KMEMSNAP__V1__SECTION_STATUS__STATE__STATE_OK

static char *slurp(const char *path)
{
	static char buf[64 << 10];
	FILE *f = fopen(path, "r");
	size_t n = 0;

	if (f) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
	} else {
		perror(path);
	}
	buf[n] = '\0';
	return buf;
}

static bool parse_text(const char *text, KsProcess *p)
{
	kmemsnap__v1__process__init(p);
	return ks_parse_pid_status(text, tl_arena(), p);
}

static bool parse_sample(int n, KsProcess *p)
{
	char rel[64];

	snprintf(rel, sizeof(rel), "samples/pid_status/%d.txt", n);
	return parse_text(slurp(tl_fixture(rel)), p);
}

static void check_mem(const KsProcess *p, uint64_t rss, uint64_t anon,
		      uint64_t file, uint64_t shmem, uint64_t swap)
{
	CHECK(p->has_vm_rss_kb && p->has_rss_anon_kb && p->has_rss_file_kb &&
	      p->has_rss_shmem_kb && p->has_vm_swap_kb);
	CHECK_EQ_U(p->vm_rss_kb, rss);
	CHECK_EQ_U(p->rss_anon_kb, anon);
	CHECK_EQ_U(p->rss_file_kb, file);
	CHECK_EQ_U(p->rss_shmem_kb, shmem);
	CHECK_EQ_U(p->vm_swap_kb, swap);
}

/* ---- the parser on the samples ------------------------------------------ */

/* 1.txt: 4.x-5.x, tab-separated, a leading blank line, VmPMD. */
static void test_sample_1(void)
{
	KsProcess p;

	CHECK(parse_sample(1, &p));
	CHECK_EQ_S(p.comm, "prometheus");
	CHECK(p.has_pid);
	CHECK_EQ_U(p.pid, 26231);
	check_mem(&p, 6716, 2092, 4624, 0, 660);
	CHECK(!p.has_oom_score && !p.has_oom_score_adj);
}

/* 2.txt: hand-edited, spaces instead of the TAB after most colons. */
static void test_sample_2_spaces(void)
{
	KsProcess p;

	CHECK(parse_sample(2, &p));
	CHECK_EQ_S(p.comm, "kube-proxy");
	CHECK_EQ_U(p.pid, 26235);
	check_mem(&p, 42652, 24852, 17800, 0, 0);
}

/* 3.txt: ~5.4-5.15, "Groups:\t " with a trailing space, long Mems_allowed. */
static void test_sample_3(void)
{
	KsProcess p;

	CHECK(parse_sample(3, &p));
	CHECK_EQ_S(p.comm, "systemd");
	CHECK_EQ_U(p.pid, 1);
	check_mem(&p, 13252, 4576, 8676, 0, 0);
}

/* 4.txt: 6.6, Kthread: 0, value-less x86_Thread_features lines at the end
 * (the last without even its TAB), RssAnon 0. */
static void test_sample_4_valueless(void)
{
	KsProcess p;

	CHECK(parse_sample(4, &p));
	CHECK_EQ_S(p.comm, "a.out");
	CHECK_EQ_U(p.pid, 21255);
	check_mem(&p, 1152, 0, 1152, 0, 0);
}

/* A 6.x kernel thread: no Vm or Rss lines at all. */
static void test_kernel_thread(void)
{
	KsProcess p;

	CHECK(!parse_text(slurp(tl_fixture("trees/modern/proc/9/status")), &p));
	CHECK_EQ_S(p.comm, "kworker/0:1H-events_highpri");
	CHECK_EQ_U(p.pid, 9);
	CHECK(!p.has_vm_rss_kb && !p.has_rss_anon_kb && !p.has_vm_swap_kb);
	CHECK(!parse_text(slurp(tl_fixture("trees/el7/proc/2/status")), &p));
	CHECK_EQ_S(p.comm, "kthreadd");
}

/* 3.10: task_mem without RssAnon/RssFile/RssShmem (4.5+), VmSwap present. */
static void test_el7_status(void)
{
	KsProcess p;

	CHECK(parse_text(slurp(tl_fixture("trees/el7/proc/1045/status")), &p));
	CHECK_EQ_S(p.comm, "mysqld");
	CHECK(p.has_vm_rss_kb && p.has_vm_swap_kb);
	CHECK_EQ_U(p.vm_rss_kb, 181240);
	CHECK_EQ_U(p.vm_swap_kb, 20480);
	CHECK(!p.has_rss_anon_kb && !p.has_rss_file_kb && !p.has_rss_shmem_kb);
}

/* Name is kept as printed: an escaped newline stays "\n", a blank after
 * the separating TAB belongs to the name; malformed memory lines are left
 * unset; a last line without '\n' still counts. */
static void test_status_quirks(void)
{
	KsProcess p;

	CHECK(parse_text("Name:\tevil\\nname\nVmRSS:\t      12 kB", &p));
	CHECK_EQ_S(p.comm, "evil\\nname");
	CHECK_EQ_U(p.vm_rss_kb, 12);
	CHECK(!p.has_pid);

	CHECK(parse_text("Name:\t lead\tand tab\nVmRSS:\t5 kB\n", &p));
	CHECK_EQ_S(p.comm, " lead\tand tab");

	CHECK(parse_text(
		"Name:\t\nVmRSS: 7 kB\nVmSwap:\tmany kB\nRssAnon:\t3 MB\n",
		&p));
	CHECK_EQ_S(p.comm, "");
	CHECK(!p.has_vm_swap_kb && !p.has_rss_anon_kb);

	/* A VmRSS without a number, or in another unit, is no VmRSS. */
	CHECK(!parse_text("Name:\tx\nVmRSS:\t\n", &p));
	CHECK(!parse_text("Name:\tx\nVmRSS:\t9 MB\n", &p));
	CHECK(!parse_text("", &p));
	CHECK(p.comm == NULL);
	/* A key is the whole text before ':'; a negative Pid is malformed. */
	CHECK(!parse_text("VmRSSx:\t9 kB\nPid:\t-4\n", &p));
	CHECK(!p.has_pid);
}

/* ---- the section on fixture trees --------------------------------------- */

static const KsProcesses *capture_tree(const char *tree, uint32_t top_n)
{
	char root[4096];
	KsSnapshot *s;

	snprintf(root, sizeof(root), "%s", tl_fixture(tree));
	{
		KMEMSNAP_OPTS(kmemsnap_recorder_opts, opts, .root = root,
			      .process_top_n = top_n);
		s = tl_capture(root, &opts);
	}
	CHECK(s != NULL && s->processes != NULL);
	if (!s || !s->processes)
		return NULL;
	CHECK(s->processes->status != NULL);
	return s->processes->status ? s->processes : NULL;
}

static off_t file_size(const char *tree, const char *rel)
{
	char path[4096];
	struct stat sb;

	snprintf(path, sizeof(path), "%s/%s", tl_fixture(tree), rel);
	return stat(path, &sb) == 0 ? sb.st_size : 0;
}

/*
 * trees/modern/proc (built from samples/pid_status, values varied):
 *
 *   pid  comm (base sample)       VmRSS RssAnon RssFile Shmem  Swap score   adj
 *   1    systemd (3)              13252    4576    8676     0     0     0 -1000
 *   2    kthreadd                 kernel thread
 *   9    kworker/0:1H-events_highpri, kernel thread
 *   412  systemd-journal (3)      30720    2048   20480  8192     0   500  -250
 *   981  prometheus (1)            6716    2092    4624     0   660   667     0
 *   1203 kube-proxy (2, spaces)   42652   24852   17800     0     0  1500  1000
 *   2210 evil\nname (4, 6.6)       1152       0    1152     0     0    67  -900
 *   3301 postgres (6.5)           20480    4096    8192  8192  1024   900   300
 *   3302 postgres (6.5)           20480    3072    9216  8192     0   900   300
 *   4100 java (6.5)              524288  501760   22528     0 65536   900     0
 *   5000 tmux: server (6.5)        4096    2048    2048     0     0  none     0
 *   6000 no status (exited): not counted
 *   self, sys, meminfo, ...: not pids
 *
 * VmRSS    13252+30720+6716+42652+1152+20480+20480+524288+4096 = 663836
 * RssAnon  4576+2048+2092+24852+0+4096+3072+501760+2048        = 544544
 * RssFile  8676+20480+4624+17800+1152+8192+9216+22528+2048     =  94716
 * RssShmem 8192+8192+8192                                      =  24576
 * VmSwap   660+1024+65536                                      =  67220
 * (checked with: cd trees/modern/proc && awk
 *  '/^(VmRSS|RssAnon|RssFile|RssShmem|VmSwap):/ {s[$1]+=$2}
 *  END {for (k in s) print k, s[k]}' [0-9]*\/status)
 *
 * Order: 1500; then three at 900, broken by VmRSS (java's 524288 first)
 * and, between the equal postgres, by the lower pid; then 667, 500, 67, 0;
 * the process without an oom_score last.
 */
static const int32_t modern_order[] = { 1203, 4100, 3301, 3302, 981,
					412,  2210, 1,    5000 };

static void test_modern_tree(void)
{
	const KsProcesses *o = capture_tree("trees/modern", 0);
	uint64_t bytes = 0;
	size_t i;

	if (!o)
		return;
	CHECK_EQ_U(o->status->state, STATE_OK);
	CHECK_EQ_U(o->status->lines_skipped, 0);
	CHECK_EQ_U(o->count, 9);
	CHECK_EQ_U(o->kernel_threads, 2);
	CHECK_EQ_U(o->vm_rss_kb_total, 663836);
	CHECK_EQ_U(o->rss_anon_kb_total, 544544);
	CHECK_EQ_U(o->rss_file_kb_total, 94716);
	CHECK_EQ_U(o->rss_shmem_kb_total, 24576);
	CHECK_EQ_U(o->vm_swap_kb_total, 67220);
	CHECK(o->has_top_n);
	CHECK_EQ_U(o->top_n, 32); /* the recorder's default */
	CHECK_EQ_U(o->n_top, 9);
	for (i = 0; i < o->n_top && i < 9; i++)
		CHECK_EQ_U(o->top[i]->pid, modern_order[i]);
	if (o->n_top != 9)
		return;
	CHECK_EQ_S(o->top[0]->comm, "kube-proxy");
	CHECK_EQ_U(o->top[0]->oom_score, 1500);
	CHECK_EQ_U(o->top[0]->oom_score_adj, 1000);
	check_mem(o->top[0], 42652, 24852, 17800, 0, 0);
	CHECK_EQ_S(o->top[1]->comm, "java");
	check_mem(o->top[1], 524288, 501760, 22528, 0, 65536);
	CHECK_EQ_S(o->top[2]->comm, "postgres");
	check_mem(o->top[2], 20480, 4096, 8192, 8192, 1024);
	check_mem(o->top[3], 20480, 3072, 9216, 8192, 0);
	CHECK_EQ_S(o->top[4]->comm, "prometheus");
	CHECK_EQ_U(o->top[4]->oom_score, 667);
	CHECK_EQ_S(o->top[6]->comm, "evil\\nname");
	CHECK(o->top[6]->has_oom_score_adj);
	CHECK(o->top[6]->oom_score_adj == -900);
	CHECK_EQ_S(o->top[7]->comm, "systemd");
	CHECK(o->top[7]->has_oom_score && o->top[7]->oom_score == 0);
	CHECK(o->top[7]->has_oom_score_adj &&
	      o->top[7]->oom_score_adj == -1000);
	/* No oom_score file: counted, the field unset, ranked last. */
	CHECK_EQ_S(o->top[8]->comm, "tmux: server");
	CHECK(!o->top[8]->has_oom_score);
	CHECK(o->top[8]->has_oom_score_adj && o->top[8]->oom_score_adj == 0);
	check_mem(o->top[8], 4096, 2048, 2048, 0, 0);

	/* source_bytes: every status read, and the oom files of the user
	 * processes (kernel threads' are not read; 6000 has no status). */
	for (i = 0; i < 9; i++) {
		char rel[64];

		snprintf(rel, sizeof(rel), "proc/%d/status", modern_order[i]);
		bytes += (uint64_t)file_size("trees/modern", rel);
		snprintf(rel, sizeof(rel), "proc/%d/oom_score",
			 modern_order[i]);
		bytes += (uint64_t)file_size("trees/modern", rel);
		snprintf(rel, sizeof(rel), "proc/%d/oom_score_adj",
			 modern_order[i]);
		bytes += (uint64_t)file_size("trees/modern", rel);
	}
	bytes += (uint64_t)file_size("trees/modern", "proc/2/status");
	bytes += (uint64_t)file_size("trees/modern", "proc/9/status");
	CHECK_EQ_U(o->status->source_bytes, bytes);
}

/* A bound of 3 keeps the first three of the full order; the totals still
 * cover every process. */
static void test_modern_top_3(void)
{
	const KsProcesses *o = capture_tree("trees/modern", 3);

	if (!o)
		return;
	CHECK_EQ_U(o->status->state, STATE_OK);
	CHECK_EQ_U(o->top_n, 3);
	CHECK_EQ_U(o->n_top, 3);
	if (o->n_top == 3) {
		CHECK_EQ_U(o->top[0]->pid, 1203);
		CHECK_EQ_U(o->top[1]->pid, 4100);
		CHECK_EQ_U(o->top[2]->pid, 3301);
		CHECK_EQ_S(o->top[2]->comm, "postgres");
	}
	CHECK_EQ_U(o->count, 9);
	CHECK_EQ_U(o->vm_rss_kb_total, 663836);
	CHECK_EQ_U(o->vm_swap_kb_total, 67220);
}

/*
 * trees/el7/proc (3.10 task_mem: no Rss* lines):
 *   1    systemd  VmRSS   6628 VmSwap  1200 oom_score  0
 *   2    kthreadd (kernel thread)
 *   1045 mysqld   VmRSS 181240 VmSwap 20480 oom_score 45
 * VmRSS 6628+181240 = 187868, VmSwap 1200+20480 = 21680.
 */
static void test_el7_tree(void)
{
	const KsProcesses *o = capture_tree("trees/el7", 0);
	size_t i;

	if (!o)
		return;
	CHECK_EQ_U(o->status->state, STATE_OK);
	CHECK_EQ_U(o->count, 2);
	CHECK_EQ_U(o->kernel_threads, 1);
	CHECK(o->has_vm_rss_kb_total && o->has_vm_swap_kb_total);
	CHECK_EQ_U(o->vm_rss_kb_total, 187868);
	CHECK_EQ_U(o->vm_swap_kb_total, 21680);
	CHECK(!o->has_rss_anon_kb_total && !o->has_rss_file_kb_total &&
	      !o->has_rss_shmem_kb_total);
	CHECK_EQ_U(o->n_top, 2);
	for (i = 0; i < o->n_top; i++) {
		CHECK(o->top[i]->has_vm_rss_kb);
		CHECK(!o->top[i]->has_rss_anon_kb);
		CHECK(!o->top[i]->has_rss_file_kb);
		CHECK(!o->top[i]->has_rss_shmem_kb);
	}
	if (o->n_top == 2) {
		CHECK_EQ_U(o->top[0]->pid, 1045);
		CHECK_EQ_S(o->top[0]->comm, "mysqld");
		CHECK_EQ_U(o->top[0]->vm_rss_kb, 181240);
		CHECK_EQ_U(o->top[0]->oom_score, 45);
		CHECK_EQ_U(o->top[1]->pid, 1);
	}
}

/* What a squeezed run of the section got wrong, or NULL. */
static const char *squeeze_error(const KsProcesses *o, const KsStatus *st,
				 bool exhausted)
{
	bool truncated =
		st->state == KMEMSNAP__V1__SECTION_STATUS__STATE__STATE_TRUNCATED;
	size_t i;

	if (truncated != exhausted)
		return "truncated state does not match a full arena";
	if (!truncated && o->n_top != 9)
		return "all fit but not all kept";
	if (o->has_count && (o->count != 9 || o->kernel_threads != 2 ||
			     o->vm_rss_kb_total != 663836 ||
			     o->vm_swap_kb_total != 67220))
		return "counts or totals wrong";
	if (!o->has_count && o->n_top != 0)
		return "processes kept without a scan";
	for (i = 0; i < o->n_top; i++)
		if (o->top[i]->pid != modern_order[i])
			return "kept processes are not the head of the order";
	return NULL;
}

/*
 * Every arena size from nothing to enough, on trees/modern: the section
 * never fails; a full arena marks it truncated; what it keeps is always
 * the head of the full order (a heap that cannot grow keeps competing at
 * the size it reached), and the counts and totals are exact whenever the
 * scan ran. Every number of kept processes from 0 to 9 must occur.
 */
static void test_arena_squeeze(void)
{
	static char io[64 << 10];
	static uint8_t mem[64 << 10];
	struct ks_config cfg = { .process_top_n = 32 };
	struct ks_arena arena;
	struct ks_ctx ctx = { .arena = &arena, .io_buf = io,
			      .io_cap = sizeof(io), .page_size = 4096,
			      .cfg = &cfg };
	unsigned kept_seen = 0;
	bool all_fit = false;
	size_t cap;

	ctx.root_fd = open(tl_fixture("trees/modern"),
			   O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	CHECK(ctx.root_fd >= 0);
	for (cap = 0; cap <= sizeof(mem) && !all_fit; cap += 8) {
		KsSnapshot snap;
		KsStatus st;
		const char *err;

		kmemsnap__v1__snapshot__init(&snap);
		kmemsnap__v1__section_status__init(&st);
		ks_arena_init(&arena, mem, cap);
		ks_section_processes(&ctx, &snap, &st);
		if (!snap.processes)
			continue;
		err = squeeze_error(snap.processes, &st, arena.exhausted);
		if (err) {
			tl_fail(__FILE__, __LINE__, "arena of %zu bytes: %s", cap,
				err);
			break;
		}
		kept_seen |= 1u << snap.processes->n_top;
		all_fit = !arena.exhausted;
	}
	close(ctx.root_fd);
	CHECK(all_fit);
	CHECK_EQ_U(kept_seen, 0x3ff);
}

/* ---- odd cases in a tree built here ------------------------------------- */

static void put(const char *dir, const char *rel, const char *text)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	f = fopen(path, "w");
	if (!f) {
		perror(path);
		return;
	}
	fputs(text, f);
	fclose(f);
}

static void mkdirs(const char *dir, const char *rel)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		perror(path);
}

/*
 *   proc/10  oom_score "abc", oom_score_adj 2000 (out of range): counted,
 *            both unset, 2 skipped
 *   proc/11  a regular file: skipped (ENOTDIR)
 *   proc/12  "VmSwap:\tlots kB": counted without VmSwap, 1 skipped
 *   proc/13  status is a directory: skipped (EISDIR)
 *   proc/14  a 100 KiB Groups line before VmRSS, longer than the 64 KiB
 *            read buffer: counted with its VmRSS
 *   proc/0, proc/01a, proc/99999999999: not pids, ignored
 * count 3, lines_skipped 2 + 1 + 1 + 1 = 5, VmRSS 100 + 300 + 1400 = 1800.
 */
static void test_odd_tree(void)
{
	char dir[] = "/tmp/kmemsnap-proc-XXXXXX";
	static char groups[100 << 10];
	static char status14[sizeof(groups) + 128];
	const char *pids[] = { "proc", "proc/10", "proc/12", "proc/13",
			       "proc/13/status", "proc/14", "proc/0", "proc/01a",
			       "proc/99999999999" };
	KsSnapshot *s;
	size_t i;

	if (!mkdtemp(dir)) {
		CHECK(!"mkdtemp");
		return;
	}
	for (i = 0; i < sizeof(pids) / sizeof(pids[0]); i++)
		mkdirs(dir, pids[i]);
	put(dir, "proc/10/status", "Name:\tten\nVmRSS:\t100 kB\n");
	put(dir, "proc/10/oom_score", "abc\n");
	put(dir, "proc/10/oom_score_adj", "2000\n");
	put(dir, "proc/11", "Name:\tfile\nVmRSS:\t1 kB\n");
	put(dir, "proc/12/status",
	    "Name:\ttwelve\nVmRSS:\t300 kB\nVmSwap:\tlots kB\n");
	put(dir, "proc/12/oom_score", "5\n");
	put(dir, "proc/12/oom_score_adj", "-5\n");
	for (i = 0; i + 6 < sizeof(groups); i += 6)
		memcpy(groups + i, "10000 ", 6);
	groups[i] = '\0';
	snprintf(status14, sizeof(status14),
		 "Name:\tmany groups\nGroups:\t%s\nVmRSS:\t1400 kB\n", groups);
	put(dir, "proc/14/status", status14);
	put(dir, "proc/14/oom_score", "7\n");
	put(dir, "proc/0/status", "Name:\tzero\nVmRSS:\t1 kB\n");
	put(dir, "proc/01a/status", "Name:\tnot\nVmRSS:\t1 kB\n");

	s = tl_capture(dir, NULL);
	CHECK(s != NULL && s->processes != NULL);
	if (s && s->processes) {
		const KsProcesses *o = s->processes;

		CHECK_EQ_U(o->status->state, STATE_OK);
		CHECK_EQ_U(o->count, 3);
		CHECK_EQ_U(o->kernel_threads, 0);
		CHECK_EQ_U(o->status->lines_skipped, 5);
		CHECK_EQ_U(o->vm_rss_kb_total, 1800);
		CHECK(!o->has_vm_swap_kb_total);
		CHECK_EQ_U(o->n_top, 3);
		if (o->n_top == 3) {
			CHECK_EQ_U(o->top[0]->pid, 14);
			CHECK_EQ_S(o->top[0]->comm, "many groups");
			CHECK_EQ_U(o->top[0]->vm_rss_kb, 1400);
			CHECK(!o->top[0]->has_oom_score_adj);
			CHECK_EQ_U(o->top[1]->pid, 12);
			CHECK(o->top[1]->oom_score_adj == -5);
			CHECK(!o->top[1]->has_vm_swap_kb);
			CHECK_EQ_U(o->top[2]->pid, 10);
			CHECK(!o->top[2]->has_oom_score);
			CHECK(!o->top[2]->has_oom_score_adj);
		}
	}
	tl_remove_tree(dir);
}

/* No proc/ at all: the section is unavailable and says where it looked. */
static void test_no_proc(void)
{
	char dir[] = "/tmp/kmemsnap-noproc-XXXXXX";
	KsSnapshot *s;

	if (!mkdtemp(dir)) {
		CHECK(!"mkdtemp");
		return;
	}
	s = tl_capture(dir, NULL);
	CHECK(s != NULL && s->processes != NULL);
	if (s && s->processes) {
		CHECK_EQ_U(s->processes->status->state,
			   KMEMSNAP__V1__SECTION_STATUS__STATE__STATE_UNAVAILABLE);
		CHECK_EQ_U(s->processes->status->error_number, ENOENT);
		CHECK_EQ_S(s->processes->status->path, "proc");
		CHECK(!s->processes->has_count);
		CHECK_EQ_U(s->processes->n_top, 0);
	}
	rmdir(dir);
}

/* ---- this machine ------------------------------------------------------- */

static uint64_t status_kb(const char *path, const char *key, bool *found)
{
	char line[512];
	FILE *f = fopen(path, "r");
	size_t klen = strlen(key);
	unsigned long long v = 0;

	*found = false;
	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, key, klen) == 0 && line[klen] == ':') {
			v = strtoull(line + klen + 1, NULL, 10);
			*found = true;
		}
	if (f)
		fclose(f);
	return v;
}

/* User processes as the section defines them: /proc/<digits> whose status
 * has a VmRSS line. */
static unsigned count_live_user_processes(void)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	unsigned n = 0;

	while (d && (e = readdir(d))) {
		char path[300];
		bool found;

		if (e->d_name[strspn(e->d_name, "0123456789")] != '\0')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/status", e->d_name);
		status_kb(path, "VmRSS", &found);
		n += found;
	}
	if (d)
		closedir(d);
	return n;
}

static const char *own_comm(void)
{
	static char comm[64];
	FILE *f = fopen("/proc/self/comm", "r");

	comm[0] = '\0';
	if (f) {
		if (!fgets(comm, sizeof(comm), f))
			comm[0] = '\0';
		fclose(f);
	}
	comm[strcspn(comm, "\n")] = '\0';
	return comm;
}

static bool ordered(const KsProcess *a, const KsProcess *b)
{
	if (a->has_oom_score != b->has_oom_score)
		return a->has_oom_score;
	if (a->oom_score != b->oom_score)
		return a->oom_score > b->oom_score;
	if (a->vm_rss_kb != b->vm_rss_kb)
		return a->vm_rss_kb > b->vm_rss_kb;
	return a->pid < b->pid;
}

/*
 * Processes come and go between counting and capturing, so the count is
 * compared with the range seen before and after, widened by 5. Our own
 * VmRSS grows during the capture by the recorder's buffers (arena, line
 * buffer, message and output buffers: mapped, locked and touched by
 * kmemsnap_recorder_new), so it must lie between what /proc/self/status
 * says before the capture (less 1 MiB) and that plus those buffers and
 * 2 MiB; RssFile (the mapped binary and libraries) barely moves.
 */
static void test_live(void)
{
	const size_t arena = 8u << 20, message = 1u << 20;
	KMEMSNAP_OPTS(kmemsnap_recorder_opts, opts, .process_top_n = 100000,
		      .arena_bytes = arena, .max_message_bytes = message);
	unsigned before = count_live_user_processes(), after;
	bool found;
	uint64_t rss = status_kb("/proc/self/status", "VmRSS", &found);
	uint64_t file = status_kb("/proc/self/status", "RssFile", &found);
	uint64_t budget_kb = (arena + (64u << 10) + 2 * message) / 1024 + 2048;
	const KsProcesses *o;
	const KsProcess *self = NULL;
	KsSnapshot *s = tl_capture("/", &opts);
	uint64_t rss_sum = 0;
	unsigned lo, hi;
	size_t i;

	after = count_live_user_processes();
	CHECK(s != NULL && s->processes != NULL);
	if (!s || !s->processes)
		return;
	o = s->processes;
	CHECK_EQ_U(o->status->state, STATE_OK);
	CHECK(o->count >= 1);
	CHECK_EQ_U(o->top_n, 100000);
	lo = (before < after ? before : after);
	hi = (before > after ? before : after) + 5;
	lo = lo > 5 ? lo - 5 : 0;
	if (o->count < lo || o->count > hi)
		tl_fail(__FILE__, __LINE__, "count %u outside [%u, %u]", o->count,
			lo, hi);
	/* Every process fits the bound: the list is complete and adds up. */
	CHECK_EQ_U(o->n_top, o->count);
	for (i = 0; i < o->n_top; i++) {
		rss_sum += o->top[i]->vm_rss_kb;
		if (i > 0 && !ordered(o->top[i - 1], o->top[i]))
			tl_fail(__FILE__, __LINE__, "top[%zu] pid %d before pid %d",
				i - 1, o->top[i - 1]->pid, o->top[i]->pid);
		if (o->top[i]->pid == getpid())
			self = o->top[i];
	}
	CHECK_EQ_U(rss_sum, o->vm_rss_kb_total);
	CHECK(self != NULL);
	if (!self)
		return;
	/* /proc/self/comm is the same name, unescaped: "test_processes",
	 * or valgrind's "memcheck-amd64-" when run under it. */
	CHECK_EQ_S(self->comm, own_comm());
	CHECK(self->has_oom_score && self->has_oom_score_adj);
	if (self->vm_rss_kb + 1024 < rss || self->vm_rss_kb > rss + budget_kb)
		tl_fail(__FILE__, __LINE__, "own VmRSS %llu kB, /proc/self %llu kB",
			(unsigned long long)self->vm_rss_kb,
			(unsigned long long)rss);
	if (self->rss_file_kb + 1024 < file || self->rss_file_kb > file + 1024)
		tl_fail(__FILE__, __LINE__, "own RssFile %llu kB, /proc/self %llu kB",
			(unsigned long long)self->rss_file_kb,
			(unsigned long long)file);
}

int main(void)
{
	RUN(test_sample_1);
	RUN(test_sample_2_spaces);
	RUN(test_sample_3);
	RUN(test_sample_4_valueless);
	RUN(test_kernel_thread);
	RUN(test_el7_status);
	RUN(test_status_quirks);
	RUN(test_modern_tree);
	RUN(test_modern_top_3);
	RUN(test_el7_tree);
	RUN(test_arena_squeeze);
	RUN(test_odd_tree);
	RUN(test_no_proc);
	RUN(test_live);
	return tl_summary();
}

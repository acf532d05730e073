/* SPDX-License-Identifier: MIT */
/* The memory cgroup section: fixture hierarchies (v1 and v2) and a real
 * cgroup created below this test's own. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testlib.h"

static const Kmemsnap__V1__KeyValue *kv(Kmemsnap__V1__KeyValue **list, size_t n,
					const char *key)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(list[i]->key, key) == 0)
			return list[i];
	return NULL;
}

static KsSnapshot *capture_cgroup(const char *root, const char *cgroup)
{
	KMEMSNAP_OPTS(kmemsnap_recorder_opts, opts, .root = root, .cgroup = cgroup);

	return tl_capture(root, &opts);
}

static void test_v2_fixture(void)
{
	KsSnapshot *s = capture_cgroup(tl_fixture("trees/cgroup-v2"), "/system.slice/db.service");
	const Kmemsnap__V1__Cgroup *cg;

	CHECK(s && s->n_cgroups == 1);
	if (!s || s->n_cgroups != 1)
		return;
	cg = s->cgroups[0];
	CHECK_EQ_U(cg->status->state, KMEMSNAP__V1__SECTION_STATUS__STATE__STATE_OK);
	CHECK_EQ_U(cg->version, 2);
	CHECK_EQ_S(cg->path, "/system.slice/db.service");
	CHECK_EQ_U(cg->usage_bytes, 268435456);
	CHECK_EQ_U(cg->max_bytes, 536870912);
	CHECK(!cg->has_high_bytes); /* "max" */
	CHECK(kv(cg->events, cg->n_events, "oom_kill") &&
	      kv(cg->events, cg->n_events, "oom_kill")->value == 1);
	CHECK(kv(cg->events, cg->n_events, "max") &&
	      kv(cg->events, cg->n_events, "max")->value == 35);
	CHECK(kv(cg->stat, cg->n_stat, "slab_unreclaimable") &&
	      kv(cg->stat, cg->n_stat, "slab_unreclaimable")->value == 4194304);
	CHECK(cg->pressure && cg->pressure->some &&
	      cg->pressure->some->avg10_centipct == 10);
}

static void test_v1_fixture(void)
{
	KsSnapshot *s = capture_cgroup(tl_fixture("trees/el7"), "docker/abc123");
	const Kmemsnap__V1__Cgroup *cg;

	CHECK(s && s->n_cgroups == 1);
	if (!s || s->n_cgroups != 1)
		return;
	cg = s->cgroups[0];
	CHECK_EQ_U(cg->version, 1);
	CHECK_EQ_U(cg->usage_bytes, 104857600);
	CHECK(!cg->has_max_bytes); /* 9223372036854771712: unlimited */
	CHECK_EQ_U(cg->kmem_usage_bytes, 8388608);
	CHECK(kv(cg->events, cg->n_events, "under_oom") != NULL);
	CHECK(kv(cg->stat, cg->n_stat, "total_rss") &&
	      kv(cg->stat, cg->n_stat, "total_rss")->value == 73400320);
}

static void test_missing_cgroup(void)
{
	KsSnapshot *s = capture_cgroup(tl_fixture("trees/el7"), "/no/such/group");

	CHECK(s && s->n_cgroups == 1);
	if (!s || s->n_cgroups != 1)
		return;
	CHECK_EQ_U(s->cgroups[0]->status->state,
		   KMEMSNAP__V1__SECTION_STATUS__STATE__STATE_UNAVAILABLE);
	CHECK_EQ_U(s->cgroups[0]->status->error_number, ENOENT);
	/* Not asked for: no cgroup at all. */
	s = tl_capture(tl_fixture("trees/el7"), NULL);
	CHECK(s && s->n_cgroups == 0);
}

/* The memory cgroup this process is in, from /proc/self/cgroup: the v1
 * "memory" line (version 1), else the v2 "0::" line (version 2). Returns
 * false when neither exists. */
static bool own_memory_cgroup(char *out, size_t cap, int *version)
{
	char line[1024];
	FILE *f = fopen("/proc/self/cgroup", "r");
	bool found = false;

	while (f && fgets(line, sizeof(line), f)) {
		char *path = strchr(strchr(line, ':') ? strchr(line, ':') + 1 : line, ':');

		line[strcspn(line, "\n")] = '\0';
		if (!path)
			continue;
		if (strstr(line, ":memory") && strstr(line, ":memory") < path + 1) {
			snprintf(out, cap, "%s", path + 1);
			*version = 1;
			found = true;
			break;
		}
		if (strncmp(line, "0::", 3) == 0) {
			snprintf(out, cap, "%s", path + 1);
			*version = 2;
			found = true;
		}
	}
	if (f)
		fclose(f);
	return found;
}

/* A real v1 or v2 child cgroup with a limit: the section reads it back. */
static void test_live_cgroup(void)
{
	char own[512], rel[640], dir[800], limit_path[900];
	const char *base = "/sys/fs/cgroup/memory";
	int version = 2;
	KsSnapshot *s;
	FILE *f;

	if (!own_memory_cgroup(own, sizeof(own), &version)) {
		printf("skip test_live_cgroup: this process is in no cgroup\n");
		return;
	}
	if (version == 2) {
		if (access("/sys/fs/cgroup/cgroup.controllers", R_OK) != 0) {
			printf("skip test_live_cgroup: no cgroup2 memory hierarchy at /sys/fs/cgroup\n");
			return;
		}
		base = "/sys/fs/cgroup";
	}
	snprintf(rel, sizeof(rel), "%s/kmemsnap-test-%d",
		 strcmp(own, "/") == 0 ? "" : own, (int)getpid());
	snprintf(dir, sizeof(dir), "%s%s", base, rel);
	if (mkdir(dir, 0755) != 0) {
		printf("skip test_live_cgroup: mkdir %s: %s\n", dir, strerror(errno));
		return;
	}
	snprintf(limit_path, sizeof(limit_path), "%s/%s", dir,
		 version == 1 ? "memory.limit_in_bytes" : "memory.max");
	f = fopen(limit_path, "w");
	CHECK(f != NULL);
	if (f) {
		fputs("67108864", f);
		CHECK(fclose(f) == 0);
	}
	s = capture_cgroup("/", rel);
	CHECK(s && s->n_cgroups == 1);
	if (s && s->n_cgroups == 1) {
		CHECK_EQ_U(s->cgroups[0]->status->state,
			   KMEMSNAP__V1__SECTION_STATUS__STATE__STATE_OK);
		CHECK_EQ_U(s->cgroups[0]->version, (unsigned)version);
		CHECK_EQ_U(s->cgroups[0]->max_bytes, 67108864);
		CHECK(s->cgroups[0]->has_usage_bytes);
		CHECK(s->cgroups[0]->n_stat > 0);
	}
	CHECK(rmdir(dir) == 0);
}

/* Processes point into one table of cgroup paths. */
static void test_process_cgroups(void)
{
	KsSnapshot *s = tl_capture(tl_fixture("trees/cgroup-v2"), NULL);
	const Kmemsnap__V1__Processes *p = s ? s->processes : NULL;
	size_t i;

	CHECK(p && p->n_top == 3);
	if (!p || p->n_top != 3)
		return;
	/* Two distinct paths: 77 and 78 share theirs, 79's v1 memory line
	 * wins over its "0::" line. */
	CHECK_EQ_U(p->n_cgroup_paths, 2);
	for (i = 0; i < p->n_top; i++) {
		const Kmemsnap__V1__Process *proc = p->top[i];

		CHECK(proc->has_cgroup && proc->cgroup < p->n_cgroup_paths);
		if (!proc->has_cgroup || proc->cgroup >= p->n_cgroup_paths)
			continue;
		CHECK_EQ_S(p->cgroup_paths[proc->cgroup],
			   proc->pid == 79 ? "/user.slice/x" : "/system.slice/db.service");
	}
}

/* This process's own memory cgroup, live. */
static void test_own_process_cgroup(void)
{
	KMEMSNAP_OPTS(kmemsnap_recorder_opts, opts, .process_top_n = 100000);
	char own[512];
	int version = 2;
	KsSnapshot *s;
	size_t i;
	bool found = false;

	if (!own_memory_cgroup(own, sizeof(own), &version))
		snprintf(own, sizeof(own), "/");
	s = tl_capture("/", &opts);
	for (i = 0; s && s->processes && i < s->processes->n_top; i++) {
		const Kmemsnap__V1__Process *proc = s->processes->top[i];

		if (proc->pid != getpid())
			continue;
		found = true;
		CHECK(proc->has_cgroup);
		if (proc->has_cgroup)
			CHECK_EQ_S(s->processes->cgroup_paths[proc->cgroup], own);
	}
	CHECK(found);
}

int main(void)
{
	RUN(test_process_cgroups);
	RUN(test_own_process_cgroup);
	RUN(test_v2_fixture);
	RUN(test_v1_fixture);
	RUN(test_missing_cgroup);
	RUN(test_live_cgroup);
	return tl_summary();
}

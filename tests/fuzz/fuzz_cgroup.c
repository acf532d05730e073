/* SPDX-License-Identifier: MIT */
/*
 * The memory cgroup section (section_cgroup.c) over a tree holding the
 * input's NUL-separated parts as the cgroup's files, under both the v2 and
 * the v1 names; the last part is sys/fs/cgroup/cgroup.controllers, which
 * picks the version ("memory" in it: v2).
 */
#include "fuzz.h"

/* section_cgroup.c: MAX_STAT_KEYS, MAX_EVENT_KEYS, V1_UNLIMITED_MIN. */
#define MAX_STAT_KEYS 128
#define MAX_EVENT_KEYS 16
#define UNLIMITED_MIN (1ull << 62)

enum { STAT, EVENTS, USAGE, LIMIT, HIGH_OR_KMEM, SWAP, PRESSURE, CONTROLLERS,
       PARTS };

#define V2 "sys/fs/cgroup/fuzz/"
#define V1 "sys/fs/cgroup/memory/fuzz/"

static void put_files(const struct fz_part *parts)
{
	fz_tree_put(V2 "memory.stat", &parts[STAT]);
	fz_tree_put(V2 "memory.events", &parts[EVENTS]);
	fz_tree_put(V2 "memory.current", &parts[USAGE]);
	fz_tree_put(V2 "memory.max", &parts[LIMIT]);
	fz_tree_put(V2 "memory.high", &parts[HIGH_OR_KMEM]);
	fz_tree_put(V2 "memory.swap.current", &parts[SWAP]);
	fz_tree_put(V2 "memory.pressure", &parts[PRESSURE]);
	fz_tree_put(V1 "memory.stat", &parts[STAT]);
	fz_tree_put(V1 "memory.oom_control", &parts[EVENTS]);
	fz_tree_put(V1 "memory.usage_in_bytes", &parts[USAGE]);
	fz_tree_put(V1 "memory.limit_in_bytes", &parts[LIMIT]);
	fz_tree_put(V1 "memory.kmem.usage_in_bytes", &parts[HIGH_OR_KMEM]);
	fz_tree_put("sys/fs/cgroup/cgroup.controllers", &parts[CONTROLLERS]);
}

static void check_pairs(Kmemsnap__V1__KeyValue *const *kv, size_t n,
			size_t max)
{
	size_t i;

	FZ_CHECK(n <= max);
	for (i = 0; i < n; i++)
		FZ_CHECK(kv[i]->key != NULL && kv[i]->has_value);
}

/* Limits of "max" or v1's page-counter maximum are left unset. */
static void check_cgroup(const Kmemsnap__V1__Cgroup *cg)
{
	FZ_CHECK(cg->version == 1 || cg->version == 2);
	FZ_CHECK(!cg->has_max_bytes || cg->max_bytes < UNLIMITED_MIN);
	FZ_CHECK(!cg->has_usage_bytes || cg->usage_bytes < UNLIMITED_MIN);
	check_pairs(cg->stat, cg->n_stat, MAX_STAT_KEYS);
	check_pairs(cg->events, cg->n_events, MAX_EVENT_KEYS);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_part parts[PARTS];
	KsSnapshot snap;
	struct fz_env e;
	KsStatus st;

	fz_split(data, size, parts, PARTS);
	put_files(parts);
	fz_env_init(&e, data, size, fz_tree());
	e.cfg.cgroup = "/fuzz";
	kmemsnap__v1__snapshot__init(&snap);
	kmemsnap__v1__section_status__init(&st);
	ks_section_cgroup(&e.ctx, &snap, &st);
	if (snap.n_cgroups == 1)
		check_cgroup(snap.cgroups[0]);
	fz_check_message(&snap.base);
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * /proc/<pid>/status through ks_parse_pid_status, then the processes
 * section (section_processes.c) over a tree holding one process whose
 * status, oom_score, oom_score_adj and cgroup files are the input's four
 * NUL-separated parts: the section streams status through the line reader
 * and parses the other three itself.
 */
#include <stdlib.h>

#include "fuzz.h"

enum { STATUS, OOM_SCORE, OOM_SCORE_ADJ, CGROUP, PARTS };

static void parse_status(struct fz_env *e, const struct fz_part *status)
{
	char *text = fz_strndup(status->data, status->len);
	Kmemsnap__V1__Process p;
	bool user;

	kmemsnap__v1__process__init(&p);
	user = ks_parse_pid_status(text, &e->arena, &p);
	/* A kernel thread is told by the absence of VmRSS. */
	FZ_CHECK(user == (bool)p.has_vm_rss_kb);
	fz_check_message(&p.base);
	free(text);
}

/* One process in the tree: it is a user process, a kernel thread or not
 * counted (gone, unreadable), and a kept one points at a stored cgroup. */
static void check_processes(const Kmemsnap__V1__Processes *ps, uint32_t top)
{
	size_t i;

	FZ_CHECK(ps->count + ps->kernel_threads <= 1);
	FZ_CHECK(ps->n_top <= top && ps->n_top <= ps->count);
	for (i = 0; i < ps->n_top; i++) {
		const Kmemsnap__V1__Process *p = ps->top[i];

		FZ_CHECK(p->pid == 1 && p->has_vm_rss_kb);
		FZ_CHECK(!p->has_cgroup || p->cgroup < ps->n_cgroup_paths);
		FZ_CHECK(!p->has_oom_score_adj ||
			 (p->oom_score_adj >= -1000 && p->oom_score_adj <= 1000));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_part parts[PARTS];
	KsSnapshot snap;
	struct fz_env e;
	KsStatus st;

	fz_split(data, size, parts, PARTS);
	fz_env_init(&e, data, size, fz_tree());
	parse_status(&e, &parts[STATUS]);

	fz_tree_put("proc/1/status", &parts[STATUS]);
	fz_tree_put("proc/1/oom_score", &parts[OOM_SCORE]);
	fz_tree_put("proc/1/oom_score_adj", &parts[OOM_SCORE_ADJ]);
	fz_tree_put("proc/1/cgroup", &parts[CGROUP]);
	ks_arena_reset(&e.arena);
	e.cfg.process_top_n = fz_knob(data, size) % 4;
	kmemsnap__v1__snapshot__init(&snap);
	kmemsnap__v1__section_status__init(&st);
	ks_section_processes(&e.ctx, &snap, &st);
	if (snap.processes)
		check_processes(snap.processes, e.cfg.process_top_n);
	fz_check_message(&snap.base);
	return 0;
}

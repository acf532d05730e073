/* SPDX-License-Identifier: MIT */
/*
 * The kernel's OOM-killer report (oom_report.c): the input is a kernel log,
 * read through the line reader (lines longer than its buffer arrive cut)
 * and fed to kmemsnap_oom_parser_feed one line at a time; with the last
 * byte odd it is fed whole instead, which the parser splits itself.
 */
#include "fuzz.h"

/* oom_report.c: the bounds of one report. */
#define MAX_MEMINFO 64
#define MAX_MEMCG 16
#define MAX_TASKS 256
#define MAX_SLABS 256
#define TEXT_BYTES (32u << 10)

static void feed(struct kmemsnap_oom_parser *p, struct fz_env *e,
		 const uint8_t *data, size_t size)
{
	struct ks_lines lr;
	char *line;
	size_t len;

	if (fz_knob(data, size) & 1) {
		FZ_CHECK(kmemsnap_oom_parser_feed(p, (const char *)data, size) >= 0);
		return;
	}
	if (!fz_lines(e, &lr, data, size))
		return;
	while (ks_lines_next(&lr, &line, &len) > 0)
		FZ_CHECK(kmemsnap_oom_parser_feed(p, line, len) >= 0);
	ks_lines_close(&lr);
}

static void check_report(const struct kmemsnap_oom_parser *p)
{
	const Kmemsnap__V1__OomReport *r = ks_oom_parser_report(p);
	int pid = -1;

	FZ_CHECK(kmemsnap_oom_parser_last(p, &pid) == (r != NULL));
	if (!r)
		return;
	FZ_CHECK(pid == (r->killed ? r->killed->pid : 0));
	FZ_CHECK(r->n_mem_info <= MAX_MEMINFO);
	FZ_CHECK(r->n_memcg_usage_kb <= MAX_MEMCG);
	FZ_CHECK(r->n_tasks <= MAX_TASKS && r->n_tasks <= r->tasks_total);
	FZ_CHECK(r->n_unreclaimable_slab <= MAX_SLABS);
	FZ_CHECK(r->text.len <= TEXT_BYTES);
	fz_check_message(&r->base);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kmemsnap_oom_parser *p;
	struct fz_env e;

	FZ_CHECK(kmemsnap_oom_parser_new(&p) == 0);
	fz_env_init(&e, data, size, -1);
	feed(p, &e, data, size);
	check_report(p);
	kmemsnap_oom_parser_free(p);
	return 0;
}

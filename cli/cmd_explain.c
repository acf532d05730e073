/* SPDX-License-Identifier: MIT */
/* kmemsnap explain: where did the memory go? */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "explain.h"
#include "json.h"
#include "snapfile.h"
#include "units.h"

static const char help[] =
	"usage: kmemsnap explain [--baseline FILE] [--top N] [--json [--compact]]\n"
	"                        [--color=WHEN] FILE\n"
	"\n"
	"Accounts for all of the memory in a snapshot, as one table that adds up\n"
	"to MemTotal: free, user anonymous, page cache, shmem/tmpfs, slab\n"
	"(reclaimable and not), vmalloc, kernel stacks, page tables, per-cpu,\n"
	"hugetlb, other reclaimable kernel memory, zswap, and the remainder no\n"
	"counter accounts for (pages taken straight from the page allocator).\n"
	"Each line names what holds most of it. Then the findings, each with the\n"
	"number that triggered it and its threshold.\n"
	"\n"
	"With --baseline (an earlier snapshot of the same machine, typically one\n"
	"taken just after boot) every line shows its change and the findings rank\n"
	"what grew.\n"
	"\n"
	"Options:\n"
	"  -b, --baseline FILE  compare against this earlier snapshot\n"
	"  -n, --top N          items listed under each line (default 3)\n"
	"  -j, --json           print the explanation as JSON\n"
	"      --compact        JSON on one line\n"
	"      --color=WHEN     auto (default), always or never\n"
	"  -h, --help           show this help\n";

static const char *const severity_word[] = { "", "info", "warning", "critical" };
static const enum color severity_color[] = { COLOR_RESET, COLOR_GREEN,
					     COLOR_YELLOW, COLOR_RED };

static void print_delta(bool on, int64_t kb)
{
	if (!on)
		return;
	printf("  %c%10s", kb < 0 ? '-' : '+',
	       human_kb((uint64_t)(kb < 0 ? -kb : kb)).s);
}

static void print_lines(const Kmemsnap__V1__Explanation *e)
{
	bool deltas = e->baseline_file != NULL;
	size_t i, j;

	printf("%s%-36s %12s %7s%s%s\n", color(COLOR_BOLD), "memory", "size",
	       "share", deltas ? "      change" : "", color(COLOR_RESET));
	for (i = 0; i < e->n_lines; i++) {
		const Kmemsnap__V1__ExplainLine *l = e->lines[i];
		uint64_t abs_kb = (uint64_t)(l->kb < 0 ? -l->kb : l->kb);

		printf("%-36s %12s%s %7s", l->label, human_kb(abs_kb).s,
		       l->kb < 0 ? "-" : " ",
		       human_percent(abs_kb, e->mem_total_kb).s);
		print_delta(deltas, l->delta_kb);
		putchar('\n');
		for (j = 0; j < l->n_top; j++) {
			const Kmemsnap__V1__ExplainItem *it = l->top[j];

			printf("    %-32.32s %12s  %7s", it->name, human_kb(it->kb).s,
			       human_percent(it->kb, e->mem_total_kb).s);
			print_delta(deltas, it->delta_kb);
			putchar('\n');
		}
	}
	printf("%s%-36s %12s  %7s%s\n", color(COLOR_BOLD), "MemTotal",
	       human_kb(e->mem_total_kb).s, "100.0%", color(COLOR_RESET));
}

static void print_findings(const Kmemsnap__V1__Explanation *e)
{
	size_t i;

	printf("\n%sFindings%s\n", color(COLOR_BOLD), color(COLOR_RESET));
	if (!e->n_findings)
		puts("  nothing stands out: every figure is under its threshold");
	for (i = 0; i < e->n_findings; i++) {
		const Kmemsnap__V1__ExplainFinding *f = e->findings[i];
		unsigned sev = f->severity < 4 ? f->severity : 3;

		printf("  %s%-8s%s %s [%s]\n", color(severity_color[sev]),
		       severity_word[sev], color(COLOR_RESET), f->text, f->id);
	}
}

static void print_human(const Kmemsnap__V1__Explanation *e)
{
	printf("%s%s%s", color(COLOR_BOLD), e->file, color(COLOR_RESET));
	if (e->host)
		printf(": %s", e->host);
	if (e->has_realtime_ns)
		printf(" at %s", human_time_utc(e->realtime_ns).s);
	putchar('\n');
	if (e->baseline_file)
		printf("baseline %s at %s\n", e->baseline_file,
		       e->has_baseline_realtime_ns
			       ? human_time_utc(e->baseline_realtime_ns).s
			       : "an unknown time");
	putchar('\n');
	print_lines(e);
	print_findings(e);
}

struct explain_args {
	const char *file;
	const char *baseline;
	uint32_t top;
	bool json;
	bool compact;
};

static int parse_args(int argc, char **argv, struct explain_args *a)
{
	static const struct option options[] = {
		{ "baseline", required_argument, NULL, 'b' },
		{ "top", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "compact", no_argument, NULL, 'C' },
		{ "color", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int when = COLOR_AUTO;
	int c;

	while ((c = getopt_long(argc, argv, "b:n:jh", options, NULL)) != -1) {
		switch (c) {
		case 'b':
			a->baseline = optarg;
			break;
		case 'n':
			if (!cli_parse_u32(argv[0], "--top", optarg, 0, 1000, &a->top))
				return CLI_USAGE;
			break;
		case 'j':
			a->json = true;
			break;
		case 'C':
			a->compact = true;
			break;
		case 'c':
			when = color_parse(optarg);
			if (when < 0)
				return cli_usage_error(argv[0], "--color takes auto, always or never");
			break;
		case 'h':
			cli_help(help);
			return -1;
		default:
			return cli_usage_error(argv[0], NULL);
		}
	}
	if (optind != argc - 1)
		return cli_usage_error(argv[0], optind == argc ? "no FILE given"
							       : "one FILE only");
	a->file = argv[optind];
	color_setup((enum color_when)when);
	return CLI_OK;
}

static int run(const struct explain_args *a, struct snapfile *sf,
	       struct snapfile *base)
{
	const size_t arena_bytes = 16u << 20;
	void *mem = malloc(arena_bytes);
	Kmemsnap__V1__Explanation *e;
	struct ks_arena arena;
	int err;

	if (!mem) {
		cli_error(NULL, "out of memory");
		return CLI_FAIL;
	}
	ks_arena_init(&arena, mem, arena_bytes);
	err = explain_build(&arena, sf->snap, sf->name, base ? base->snap : NULL,
			    base ? base->name : NULL, a->top, &e);
	if (err < 0) {
		cli_error(err == -1 ? sf->name : base->name,
			  "snapshot has no MemTotal (its meminfo section is missing)");
		free(mem);
		return CLI_FAIL;
	}
	if (a->json)
		json_print(stdout, &e->base, !a->compact);
	else
		print_human(e);
	free(mem);
	return CLI_OK;
}

int cmd_explain(int argc, char **argv)
{
	struct explain_args a = { .top = 3 };
	struct snapfile sf, base;
	int rc = parse_args(argc, argv, &a);

	if (rc != CLI_OK)
		return rc < 0 ? CLI_OK : rc;
	if (snapfile_open(&sf, a.file) < 0) {
		cli_error(sf.name, "%s", sf.error);
		snapfile_close(&sf);
		return CLI_FAIL;
	}
	if (a.baseline && snapfile_open(&base, a.baseline) < 0) {
		cli_error(base.name, "%s", base.error);
		snapfile_close(&base);
		snapfile_close(&sf);
		return CLI_FAIL;
	}
	rc = run(&a, &sf, a.baseline ? &base : NULL);
	if (a.baseline)
		snapfile_close(&base);
	snapfile_close(&sf);
	return rc;
}

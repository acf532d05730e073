/* SPDX-License-Identifier: MIT */
/* kmemsnap timeline: many snapshots, boot by boot, and what grows. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "json.h"
#include "series.h"
#include "units.h"

static const char help[] =
	"usage: kmemsnap timeline [--top N] [--min-rate BYTES] [--json [--compact]]\n"
	"                         [--color=WHEN] DIR | FILE...\n"
	"\n"
	"Reads every snapshot (a DIR stands for each *.kms file in it), orders\n"
	"them by boot and, within a boot, by uptime, and prints one line per\n"
	"snapshot with the figures of explain: MemAvailable, user anonymous, page\n"
	"cache, shmem, unreclaimable slab, vmalloc and the unaccounted remainder.\n"
	"A rule with the boot's start time and boot id separates the boots.\n"
	"\n"
	"Then the slab caches, vmalloc callers and kmemleak backtraces that grow\n"
	"steadily: a least-squares growth rate per hour within each boot, how\n"
	"consistent the growth is (fit, share of steps up, still growing at the\n"
	"end), and after how many reboots it started low and grew again, the\n"
	"signature of a leak. Ranked by rate x consistency x (1 + restarts);\n"
	"kmemsnap(1) explains the scoring. A file that cannot be read is\n"
	"reported and skipped (exit status 1).\n"
	"\n"
	"Options:\n"
	"  -n, --top N             growing series listed (default 10; 0: all)\n"
	"      --min-rate BYTES    list only growth of BYTES per hour or more\n"
	"                          (suffix K, M, G: KiB, MiB, GiB; default 0)\n"
	"  -j, --json              print the timeline as JSON\n"
	"      --compact           JSON on one line\n"
	"      --color=WHEN        auto (default), always or never\n"
	"  -h, --help              show this help\n";

enum { OPT_MIN_RATE = 256, OPT_COMPACT, OPT_COLOR };

struct timeline_args {
	char **paths;
	size_t n_paths;
	uint32_t top;
	uint64_t min_rate;
	bool json;
	bool compact;
};

/* ---- people ------------------------------------------------------------- */

static struct human signed_kb(int64_t kb)
{
	struct human h;

	snprintf(h.s, sizeof(h.s), "%s%.64s", kb < 0 ? "-" : "",
		 human_kb((uint64_t)(kb < 0 ? -kb : kb)).s);
	return h;
}

/* "-- boot <start> UTC  id <8 chars>  <host>  (N snapshots) -----" */
static void print_boot_rule(const struct series_boot *boot)
{
	static const char dashes[] = "----------------------------------------"
				     "----------------------------------------";
	char line[512];
	int n;

	n = snprintf(line, sizeof(line),
		     "-- boot %s UTC  id %.8s  %s  (%zu snapshot%s) ",
		     series_time(boot->start_ns).s,
		     *boot->boot_id ? boot->boot_id : "-",
		     human_text(boot->host).s, boot->count,
		     boot->count == 1 ? "" : "s");
	n = n < 100 ? 100 - n : 0;
	printf("%s%s%.*s%s\n", color(COLOR_BOLD), line, n, dashes,
	       color(COLOR_RESET));
}

static void print_snapshot(const struct series_snap *s)
{
	struct human trigger = { "-" }, available = { "-" };

	if (s->trigger)
		trigger = enum_word(&kmemsnap__v1__trigger__descriptor,
				    s->trigger);
	if (s->has_mem_available)
		available = human_kb(s->mem_available_kb);
	printf("%-19s %7s  %-8s %10s", series_time(s->realtime_ns).s,
	       series_uptime(s->uptime_ms).s, trigger.s, available.s);
	printf(" %10s %10s %10s", signed_kb(s->kb[CAT_ANON]).s,
	       signed_kb(s->kb[CAT_PAGE_CACHE]).s,
	       signed_kb(s->kb[CAT_SHMEM]).s);
	printf(" %11s %10s %11s\n",
	       signed_kb(s->kb[CAT_SLAB_UNRECLAIMABLE] + s->kb[CAT_SLAB]).s,
	       signed_kb(s->kb[CAT_VMALLOC]).s,
	       signed_kb(s->kb[CAT_UNACCOUNTED]).s);
}

static void print_snapshots(const struct series_set *set)
{
	size_t b, i;

	printf("%s%-19s %7s  %-8s %10s %10s %10s %10s %11s %10s %11s%s\n",
	       color(COLOR_BOLD), "time (UTC)", "uptime", "trigger",
	       "available", "anon", "page cache", "shmem", "slab unrecl",
	       "vmalloc", "unaccounted", color(COLOR_RESET));
	for (b = 0; b < set->n_boots; b++) {
		const struct series_boot *boot = &set->boots[b];

		print_boot_rule(boot);
		for (i = boot->first; i < boot->first + boot->count; i++)
			print_snapshot(&set->snaps[i]);
	}
}

static size_t shown(const struct series_set *set, uint32_t top)
{
	return top && top < set->n_ranked ? top : set->n_ranked;
}

static struct human restarts_text(const struct series *s)
{
	struct human h;

	if (s->n_fits < 2)
		snprintf(h.s, sizeof(h.s), "-");
	else
		snprintf(h.s, sizeof(h.s), "%u of %zu", s->restarts,
			 s->n_fits - 1);
	return h;
}

static void print_growing(const struct series_set *set,
			  const struct timeline_args *a)
{
	size_t i, n = shown(set, a->top);

	printf("\n%sGrowing steadily%s: %zu of %zu series", color(COLOR_BOLD),
	       color(COLOR_RESET), set->n_ranked, set->n_series);
	if (a->min_rate)
		printf(" at %s/hour or more", human_bytes(a->min_rate).s);
	printf(" (fit within each boot; score = rate x consistency x (1 + restarts))\n");
	if (!n) {
		puts("  nothing grows steadily");
		return;
	}
	printf("%s%3s  %-8s %12s %11s %9s %10s  %s%s\n", color(COLOR_BOLD), "#",
	       "kind", "rate/hour", "consistency", "restarts", "latest", "name",
	       color(COLOR_RESET));
	for (i = 0; i < n; i++) {
		const struct series *s = set->ranked[i];

		printf("%3zu  %-8s %12s %11.2f %9s %10s  %s\n", i + 1,
		       series_kind_word(s->kind),
		       human_bytes((uint64_t)llround(s->bytes_per_hour)).s,
		       s->consistency, restarts_text(s).s,
		       human_bytes(s->pts[s->n_pts - 1].bytes).s,
		       human_text(series_label(s).s).s);
	}
	if (n < set->n_ranked)
		printf("  ... %zu more (--top)\n", set->n_ranked - n);
}

static void print_skipped(const struct series_set *set)
{
	if (set->n_skipped)
		printf("\n%zu file%s skipped (see the errors above)\n",
		       set->n_skipped, set->n_skipped == 1 ? "" : "s");
}

/* ---- JSON: a Timeline message ------------------------------------------- */

typedef Kmemsnap__V1__Timeline Timeline;
typedef Kmemsnap__V1__TimelineSnapshot TSnap;
typedef Kmemsnap__V1__TimelineBoot TBoot;
typedef Kmemsnap__V1__TimelineSeries TSeries;
typedef Kmemsnap__V1__TimelineFit TFit;
typedef Kmemsnap__V1__TimelineSkipped TSkipped;

/* The message borrows the set's strings; its structs come from arena,
 * sized by json_bytes(). */
static void *zalloc(struct ks_arena *arena, size_t size)
{
	void *p = ks_arena_alloc(arena, size);

	if (!p) {
		cli_error(NULL, "out of memory");
		exit(CLI_FAIL);
	}
	return p;
}

static size_t json_bytes(const struct series_set *set, size_t n_series)
{
	size_t i, bytes = 4096 + sizeof(Timeline);

	bytes += set->n_snaps * (sizeof(TSnap) + 16);
	bytes += set->n_boots * (sizeof(TBoot) + 16);
	bytes += set->n_skipped * (sizeof(TSkipped) + 16);
	for (i = 0; i < n_series; i++)
		bytes += sizeof(TSeries) + 16 +
			 set->ranked[i]->n_fits * (sizeof(TFit) + 16);
	return bytes;
}

static TSnap *json_snap(struct ks_arena *arena, const struct series_snap *s)
{
	TSnap *j = zalloc(arena, sizeof(*j));

	kmemsnap__v1__timeline_snapshot__init(j);
	j->file = s->file;
	j->has_boot = true;
	j->boot = s->boot;
	j->has_realtime_ns = true;
	j->realtime_ns = s->realtime_ns;
	j->has_uptime_ms = true;
	j->uptime_ms = s->uptime_ms;
	j->has_trigger = s->trigger != 0;
	j->trigger = (Kmemsnap__V1__Trigger)s->trigger;
	j->has_mem_total_kb = true;
	j->mem_total_kb = s->mem_total_kb;
	j->has_mem_available_kb = s->has_mem_available;
	j->mem_available_kb = s->mem_available_kb;
	j->has_anon_kb = j->has_page_cache_kb = j->has_shmem_kb = true;
	j->anon_kb = s->kb[CAT_ANON];
	j->page_cache_kb = s->kb[CAT_PAGE_CACHE];
	j->shmem_kb = s->kb[CAT_SHMEM];
	j->has_slab_unreclaimable_kb = j->has_vmalloc_kb = true;
	j->slab_unreclaimable_kb =
		s->kb[CAT_SLAB_UNRECLAIMABLE] + s->kb[CAT_SLAB];
	j->vmalloc_kb = s->kb[CAT_VMALLOC];
	j->has_unaccounted_kb = true;
	j->unaccounted_kb = s->kb[CAT_UNACCOUNTED];
	return j;
}

static TBoot *json_boot(struct ks_arena *arena, const struct series_boot *b)
{
	TBoot *j = zalloc(arena, sizeof(*j));

	kmemsnap__v1__timeline_boot__init(j);
	j->boot_id = *b->boot_id ? (char *)b->boot_id : NULL;
	j->has_start_realtime_ns = true;
	j->start_realtime_ns = b->start_ns;
	j->host = (char *)b->host;
	j->has_first_snapshot = j->has_snapshots = true;
	j->first_snapshot = (uint32_t)b->first;
	j->snapshots = (uint32_t)b->count;
	return j;
}

static TFit *json_fit(struct ks_arena *arena, const struct series_fit *f)
{
	TFit *j = zalloc(arena, sizeof(*j));

	kmemsnap__v1__timeline_fit__init(j);
	j->has_boot = j->has_points = true;
	j->boot = f->boot;
	j->points = f->points;
	j->has_bytes_per_hour = j->has_r2 = true;
	j->bytes_per_hour = round(f->bytes_per_hour);
	j->r2 = f->r2;
	j->has_grew_fraction = j->has_sustained = true;
	j->grew_fraction = f->grew_fraction;
	j->sustained = f->sustained;
	j->has_first_bytes = j->has_last_bytes = true;
	j->first_bytes = f->first_bytes;
	j->last_bytes = f->last_bytes;
	j->has_restarted = true;
	j->restarted = f->restarted;
	return j;
}

static TSeries *json_series(struct ks_arena *arena, const struct series *s,
			    uint32_t rank)
{
	TSeries *j = zalloc(arena, sizeof(*j));
	size_t i;

	kmemsnap__v1__timeline_series__init(j);
	j->has_rank = j->has_kind = true;
	j->rank = rank;
	j->kind = (Kmemsnap__V1__TimelineSeriesKind)s->kind;
	j->name = s->name;
	j->has_vmalloc_flags = s->kind == SERIES_VMALLOC;
	j->vmalloc_flags = s->flags;
	j->has_bytes_per_hour = j->has_consistency = true;
	j->bytes_per_hour = round(s->bytes_per_hour);
	j->consistency = s->consistency;
	j->has_restarts = j->has_score = true;
	j->restarts = s->restarts;
	j->score = round(s->score);
	j->has_last_bytes = true;
	j->last_bytes = s->pts[s->n_pts - 1].bytes;
	j->fits = zalloc(arena, (s->n_fits + 1) * sizeof(*j->fits));
	for (i = 0; i < s->n_fits; i++)
		j->fits[j->n_fits++] = json_fit(arena, &s->fits[i]);
	return j;
}

static void print_json(const struct series_set *set,
		       const struct timeline_args *a)
{
	size_t i, n = shown(set, a->top);
	size_t bytes = json_bytes(set, n);
	struct ks_arena arena;
	void *mem = malloc(bytes);
	Timeline t;

	if (!mem) {
		cli_error(NULL, "out of memory");
		exit(CLI_FAIL);
	}
	ks_arena_init(&arena, mem, bytes);
	kmemsnap__v1__timeline__init(&t);
	t.boots = zalloc(&arena, (set->n_boots + 1) * sizeof(*t.boots));
	for (i = 0; i < set->n_boots; i++)
		t.boots[t.n_boots++] = json_boot(&arena, &set->boots[i]);
	t.snapshots = zalloc(&arena, (set->n_snaps + 1) * sizeof(*t.snapshots));
	for (i = 0; i < set->n_snaps; i++)
		t.snapshots[t.n_snapshots++] =
			json_snap(&arena, &set->snaps[i]);
	t.growing = zalloc(&arena, (n + 1) * sizeof(*t.growing));
	for (i = 0; i < n; i++)
		t.growing[t.n_growing++] =
			json_series(&arena, set->ranked[i], (uint32_t)i + 1);
	t.has_series_total = t.has_min_rate_bytes_per_hour = true;
	t.series_total = (uint32_t)set->n_series;
	t.min_rate_bytes_per_hour = (double)a->min_rate;
	t.skipped = zalloc(&arena, (set->n_skipped + 1) * sizeof(*t.skipped));
	for (i = 0; i < set->n_skipped; i++) {
		TSkipped *k = zalloc(&arena, sizeof(*k));

		kmemsnap__v1__timeline_skipped__init(k);
		k->file = set->skipped[i].file;
		k->error = set->skipped[i].error;
		t.skipped[t.n_skipped++] = k;
	}
	json_print(stdout, &t.base, !a->compact);
	free(mem);
}

/* ---- command ------------------------------------------------------------ */

/* Returns -1 when the arguments are good, else the exit code. */
static int parse_args(int argc, char **argv, struct timeline_args *a)
{
	static const struct option options[] = {
		{ "top", required_argument, NULL, 'n' },
		{ "min-rate", required_argument, NULL, OPT_MIN_RATE },
		{ "json", no_argument, NULL, 'j' },
		{ "compact", no_argument, NULL, OPT_COMPACT },
		{ "color", required_argument, NULL, OPT_COLOR },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int when = COLOR_AUTO;
	int c;

	while ((c = getopt_long(argc, argv, "n:jh", options, NULL)) != -1) {
		switch (c) {
		case 'n':
			if (!cli_parse_u32(argv[0], "--top", optarg, 0, 1000000,
					   &a->top))
				return CLI_USAGE;
			break;
		case OPT_MIN_RATE:
			if (!cli_parse_bytes(argv[0], "--min-rate", optarg,
					     &a->min_rate))
				return CLI_USAGE;
			break;
		case 'j': a->json = true; break;
		case OPT_COMPACT: a->json = a->compact = true; break;
		case OPT_COLOR:
			when = color_parse(optarg);
			if (when < 0)
				return cli_usage_error(
					argv[0],
					"--color takes auto, always or never");
			break;
		case 'h': return cli_help(help);
		default: return cli_usage_error(argv[0], NULL);
		}
	}
	if (optind == argc)
		return cli_usage_error(argv[0], "no DIR or FILE given");
	a->paths = argv + optind;
	a->n_paths = (size_t)(argc - optind);
	color_setup((enum color_when)when);
	return -1;
}

int cmd_timeline(int argc, char **argv)
{
	struct timeline_args a = { .top = 10 };
	struct series_set set;
	int rc = parse_args(argc, argv, &a);

	if (rc >= 0)
		return rc;
	if (!series_open(&set, a.paths, a.n_paths, (double)a.min_rate))
		return CLI_FAIL;
	if (a.json) {
		print_json(&set, &a);
	} else {
		print_snapshots(&set);
		print_growing(&set, &a);
		print_skipped(&set);
	}
	rc = set.n_skipped ? CLI_FAIL : CLI_OK;
	series_free(&set);
	return rc;
}

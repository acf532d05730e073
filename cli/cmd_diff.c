/* SPDX-License-Identifier: MIT */
/* kmemsnap diff: what changed between two snapshots of one machine. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "diff.h"
#include "json.h"
#include "snapfile.h"
#include "units.h"

#define CHANGE(x) KMEMSNAP__V1__DIFF_CHANGE__DIFF_CHANGE_##x
#define NAME_WIDTH 40
/* explain's accounting plus the two sides' lists: far below this. */
#define ARENA_BYTES ((size_t)64 << 20)

static const char help[] =
	"usage: kmemsnap diff [--top N] [--min-change BYTES] [--min-percent P]\n"
	"                     [--json [--compact]] [--color=WHEN] OLD NEW\n"
	"\n"
	"Shows what changed from snapshot OLD to snapshot NEW of the same machine:\n"
	"first the memory by category as `kmemsnap explain` accounts for it, then\n"
	"the /proc/meminfo fields, slab caches (footprint), vmalloc callers,\n"
	"kmemleak backtraces, processes (RSS) and memory-backed mounts (used) that\n"
	"grew, shrank, appeared or vanished, largest change first.\n"
	"\n"
	"A row is shown when its change is at least BYTES and at least P percent of\n"
	"its old value; a row without an old value (it appeared) or without a size\n"
	"(HugePages_Total) passes that test. Slab caches, processes, vmalloc callers\n"
	"and kmemleak backtraces are kept as top lists: an entry missing from one\n"
	"side, where it would have ranked below that side's smallest kept entry, is\n"
	"shown as \"below top N\", its change unknown.\n"
	"\n"
	"Snapshots of different hosts or kernels, or NEW older than OLD, are\n"
	"compared all the same, with a warning on standard error.\n"
	"\n"
	"Options:\n"
	"  -n, --top N             rows per table (default 10; 0 shows all)\n"
	"  -m, --min-change BYTES  smallest change shown (default 1M; suffixes\n"
	"                          K, M, G, T)\n"
	"  -p, --min-percent P     smallest change shown, in percent of the old\n"
	"                          value (default 1)\n"
	"  -j, --json              print the comparison as JSON\n"
	"      --compact           JSON on one line\n"
	"      --color=WHEN        colour growth and shrinkage: auto (default),\n"
	"                          always or never\n"
	"  -h, --help              show this help\n";

struct diff_args {
	const char *old_file;
	const char *new_file;
	struct diff_opts o;
	bool json;
	bool compact;
};

/* ---- human output ------------------------------------------------------- */

/* A signed size: "-1.5 GiB". */
static struct human signed_bytes(int64_t v, bool plus)
{
	struct human h;
	uint64_t m = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;

	snprintf(h.s, sizeof(h.s), "%s%.64s",
		 v < 0	   ? "-" :
		 plus && v ? "+" :
			     "",
		 human_bytes(m).s);
	return h;
}

static struct human signed_count(int64_t v, bool plus)
{
	struct human h;

	snprintf(h.s, sizeof(h.s), plus && v > 0 ? "+%lld" : "%lld",
		 (long long)v);
	return h;
}

/* One side's value: "-" where the entry is absent, "?" where a top list
 * did not keep it. */
static struct human side_value(const DiffRow *r, bool has_bytes, int64_t bytes,
			       bool has_count, int64_t count)
{
	struct human h = { "-" };

	if (has_bytes)
		return signed_bytes(bytes, false);
	if (has_count && !r->has_old_bytes && !r->has_new_bytes)
		return signed_count(count, false);
	if (r->change == CHANGE(BELOW_TOP_N))
		h.s[0] = '?';
	return h;
}

static struct human change_text(const DiffRow *r)
{
	struct human h = { "?" };

	if (r->has_delta_bytes)
		return signed_bytes(r->delta_bytes, true);
	if (r->has_delta_count)
		return signed_count(r->delta_count, true);
	return h;
}

static struct human percent_text(const DiffRow *r)
{
	struct human h = { "-" };

	if (r->has_percent)
		snprintf(h.s, sizeof(h.s), "%+.1f%%", r->percent);
	return h;
}

static const char *note(const DiffTable *t, const DiffRow *r)
{
	switch (r->change) {
	case CHANGE(APPEARED):
		return strcmp(t->name, "processes") == 0 ? "started" :
							   "appeared";
	case CHANGE(VANISHED):
		return strcmp(t->name, "processes") == 0 ? "exited" :
							   "vanished";
	case CHANGE(BELOW_TOP_N):
		return r->has_old_bytes || r->has_old_count ?
			       "now below top N" :
			       "was below top N";
	default: return "";
	}
}

/* How a row is named for people. */
static struct human display_name(const DiffTable *t, const DiffRow *r)
{
	struct human h;

	if (strcmp(t->name, "memory") == 0)
		return human_text(r->detail);
	if (r->has_pid)
		snprintf(h.s, sizeof(h.s), "%.200s (pid %d)",
			 human_text(r->name).s, r->pid);
	else if (r->detail)
		snprintf(h.s, sizeof(h.s), "%.160s (%.80s)",
			 human_text(r->name).s, human_text(r->detail).s);
	else
		return human_text(r->name);
	return h;
}

static enum color change_color(const DiffRow *r)
{
	int64_t d = r->has_delta_bytes ? r->delta_bytes : r->delta_count;

	if (r->change == CHANGE(BELOW_TOP_N) || d == 0)
		return COLOR_RESET;
	return d > 0 ? COLOR_RED : COLOR_GREEN;
}

static void print_row(const DiffTable *t, const DiffRow *r)
{
	struct human name = display_name(t, r);
	struct human old = side_value(r, r->has_old_bytes, r->old_bytes,
				      r->has_old_count, r->old_count);
	struct human new = side_value(r, r->has_new_bytes, r->new_bytes,
				      r->has_new_count, r->new_count);
	const char *what = note(t, r);
	size_t f;

	/* A long name gets its own line; the figures stay in their columns. */
	if (strlen(name.s) > NAME_WIDTH) {
		printf("  %s\n", name.s);
		name.s[0] = '\0';
	}
	printf("  %-*s %11s %11s %s%12s%s %9s%s%s\n", NAME_WIDTH, name.s,
	       old.s, new.s, color(change_color(r)), change_text(r).s,
	       color(COLOR_RESET), percent_text(r).s, *what ? "  " : "", what);
	/* A backtrace's innermost frame is often the allocator: show its
	 * callers too. */
	for (f = 1; f < r->n_frames && f < 4; f++)
		printf("      < %s\n", human_text(r->frames[f]).s);
}

static void print_heading(const DiffTable *t)
{
	printf("\n%s%s%s", color(COLOR_BOLD), t->title, color(COLOR_RESET));
	if (t->has_old_total_bytes && t->has_new_total_bytes)
		printf(": %s -> %s (%s)",
		       signed_bytes(t->old_total_bytes, false).s,
		       signed_bytes(t->new_total_bytes, false).s,
		       t->new_total_bytes == t->old_total_bytes ?
			       "unchanged" :
			       signed_bytes(t->new_total_bytes -
						    t->old_total_bytes,
					    true)
				       .s);
	putchar('\n');
}

static void print_table(const DiffTable *t)
{
	size_t more;
	size_t i;

	print_heading(t);
	if (t->not_compared) {
		printf("  not compared: %s\n", t->not_compared);
		return;
	}
	if (t->n_rows == 0) {
		printf("  %s\n", t->changed ?
					 "no change passes the thresholds" :
					 "no change");
		return;
	}
	printf("  %-*s %11s %11s %12s %9s\n", NAME_WIDTH, "", "old", "new",
	       "change", "%");
	for (i = 0; i < t->n_rows; i++)
		print_row(t, t->rows[i]);
	more = t->changed - t->hidden - t->n_rows;
	if (t->hidden || more)
		printf("  (%u more under the thresholds, %zu more past --top)\n",
		       t->hidden, more);
}

static void print_snapshot(const char *which,
			   const Kmemsnap__V1__DiffSnapshot *s)
{
	printf("  %s  %s", which, s->file);
	if (s->hostname)
		printf("  %s", human_text(s->hostname).s);
	if (s->has_realtime_ns)
		printf("  %s", human_time_utc(s->realtime_ns).s);
	if (s->kernel_release)
		printf("  %s", human_text(s->kernel_release).s);
	putchar('\n');
}

static void print_human(const DiffReport *r)
{
	const Kmemsnap__V1__DiffSnapshot *o = r->old_snapshot,
					 *n = r->new_snapshot;
	size_t i;

	printf("%sChanges from %s to %s%s\n", color(COLOR_BOLD), o->file,
	       n->file, color(COLOR_RESET));
	print_snapshot("old", o);
	print_snapshot("new", n);
	if (o->has_realtime_ns && n->has_realtime_ns &&
	    n->realtime_ns >= o->realtime_ns)
		printf("  %s later, %s\n",
		       human_duration_ns(n->realtime_ns - o->realtime_ns).s,
		       o->boot_id && n->boot_id &&
				       strcmp(o->boot_id, n->boot_id) ?
			       "after a reboot" :
			       "same boot");
	printf("  showing changes of at least %s and %g%%",
	       human_bytes(r->min_change_bytes).s, r->min_percent);
	if (r->top)
		printf(", %u rows per table", r->top);
	putchar('\n');
	for (i = 0; i < r->n_tables; i++)
		print_table(r->tables[i]);
}

/* ---- arguments ---------------------------------------------------------- */

static bool parse_percent(const char *prog, const char *arg, double *out)
{
	char *end;
	double v = strtod(arg, &end);

	if (end == arg || *end || !isfinite(v) || v < 0) {
		cli_usage_error(
			prog,
			"--min-percent: '%s' is not a number of 0 or more",
			arg);
		return false;
	}
	*out = v;
	return true;
}

/* Returns -1 when the arguments are good, else the exit code. */
static int parse_args(int argc, char **argv, struct diff_args *a)
{
	static const struct option options[] = {
		{ "top", required_argument, NULL, 'n' },
		{ "min-change", required_argument, NULL, 'm' },
		{ "min-percent", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ "compact", no_argument, NULL, 'C' },
		{ "color", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *prog = argv[0];
	int when = COLOR_AUTO;
	int c;

	while ((c = getopt_long(argc, argv, "n:m:p:jh", options, NULL)) != -1) {
		switch (c) {
		case 'n':
			if (!cli_parse_u32(prog, "--top", optarg, 0, 1000000,
					   &a->o.top))
				return CLI_USAGE;
			break;
		case 'm':
			if (!cli_parse_bytes(prog, "--min-change", optarg,
					     &a->o.min_change_bytes))
				return CLI_USAGE;
			break;
		case 'p':
			if (!parse_percent(prog, optarg, &a->o.min_percent))
				return CLI_USAGE;
			break;
		case 'j': a->json = true; break;
		case 'C': a->compact = a->json = true; break;
		case 'c':
			when = color_parse(optarg);
			if (when < 0)
				return cli_usage_error(
					prog,
					"--color takes auto, always or never");
			break;
		case 'h': return cli_help(help);
		default: return cli_usage_error(prog, NULL);
		}
	}
	if (argc - optind != 2)
		return cli_usage_error(prog,
				       argc - optind < 2 ?
					       "give two files, OLD and NEW" :
					       "two files only, OLD and NEW");
	a->old_file = argv[optind];
	a->new_file = argv[optind + 1];
	color_setup((enum color_when)when);
	return -1;
}

/* ---- running ------------------------------------------------------------ */

static int run(const struct diff_args *a, const struct snapfile *o,
	       const struct snapfile *n)
{
	void *mem = malloc(ARENA_BYTES);
	struct ks_arena arena;
	DiffReport *r;
	size_t i;

	if (!mem) {
		cli_error(NULL, "out of memory");
		return CLI_FAIL;
	}
	ks_arena_init(&arena, mem, ARENA_BYTES);
	r = diff_build(&arena, o->snap, o->name, n->snap, n->name, &a->o);
	for (i = 0; i < r->n_warnings; i++)
		cli_error(NULL, "warning: %s", r->warnings[i]);
	if (a->json)
		json_print(stdout, &r->base, !a->compact);
	else
		print_human(r);
	free(mem);
	return CLI_OK;
}

int cmd_diff(int argc, char **argv)
{
	struct diff_args a = {
		.o = { .top = 10,
		       .min_change_bytes = 1 << 20,
		       .min_percent = 1.0 },
	};
	struct snapfile o, n;
	int rc = parse_args(argc, argv, &a);

	if (rc >= 0)
		return rc;
	if (snapfile_open(&o, a.old_file) < 0) {
		cli_error(o.name, "%s", o.error);
		snapfile_close(&o);
		return CLI_FAIL;
	}
	if (snapfile_open(&n, a.new_file) < 0) {
		cli_error(n.name, "%s", n.error);
		snapfile_close(&n);
		snapfile_close(&o);
		return CLI_FAIL;
	}
	rc = run(&a, &o, &n);
	snapfile_close(&n);
	snapfile_close(&o);
	return rc;
}

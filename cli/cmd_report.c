/* SPDX-License-Identifier: MIT */
/*
 * kmemsnap report: one self-contained HTML file about many snapshots. The
 * charts are SVG written here; there is no script, no style sheet or font
 * to fetch, so the file opens offline, attached to a ticket, years later.
 * Every text that comes from a snapshot (host names, cache names, callers,
 * backtraces, file names) is escaped: a snapshot file can be hostile.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "explain.h"
#include "series.h"
#include "snapfile.h"
#include "units.h"

static const char help[] =
	"usage: kmemsnap report [-o FILE] [--top N] [--min-rate BYTES]\n"
	"                       DIR | FILE...\n"
	"\n"
	"Writes one self-contained HTML file (no network, no scripts, inline\n"
	"style, SVG charts) about the snapshots (a DIR stands for each *.kms file\n"
	"in it): the accounting of explain over time as stacked areas, boots\n"
	"separated by a rule; the slab caches, vmalloc callers and kmemleak\n"
	"backtraces that grow steadily (as ranked by timeline) as lines; and the\n"
	"findings of the newest snapshot. A file that cannot be read is reported\n"
	"and skipped (exit status 1; the report is still written).\n"
	"\n"
	"Options:\n"
	"  -o, --output FILE     write to FILE (temporary file, fsync, rename);\n"
	"                        default standard output\n"
	"  -n, --top N           growing series drawn per chart (default 6)\n"
	"      --min-rate BYTES  only growth of BYTES per hour or more (suffix\n"
	"                        K, M, G: KiB, MiB, GiB; default 0)\n"
	"  -h, --help            show this help\n";

enum { OPT_MIN_RATE = 256 };

struct report_args {
	char **paths;
	size_t n_paths;
	const char *output;
	uint32_t top;
	uint64_t min_rate;
};

/* ---- HTML text ---------------------------------------------------------- */

/* s escaped for an element's content or a quoted attribute value. Bytes
 * that are not UTF-8 and control characters become '?'. */
static void put_text(FILE *f, const char *s)
{
	while (s && *s) {
		size_t n = utf8_len((const uint8_t *)s, strnlen(s, 4));
		unsigned char c = (unsigned char)*s;

		if (n == 0 || c < 0x20 || c == 0x7f) {
			fputc('?', f);
			s++;
			continue;
		}
		switch (c) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default: fwrite(s, 1, n, f);
		}
		s += n;
	}
}

/* ---- chart geometry ----------------------------------------------------- */

/* All charts share the x axis: boots side by side, each as wide as its
 * share of the hours covered (at least a minimum, so a short boot stays
 * visible), separated by a gap with a rule. Within a boot x is the uptime.
 * Hours when the machine was off or unrecorded take no room. */
#define SVG_W 1100.0
#define PLOT_X 80.0
#define PLOT_W 1000.0
#define PLOT_Y 34.0
#define PLOT_H 300.0
#define SVG_H (PLOT_Y + PLOT_H + 40.0)

struct layout {
	const struct series_set *set;
	double *x;	/* per snapshot */
	double *boot_x; /* per boot: left edge, width */
	double *boot_w;
	double gap; /* between boots, with the rule in its middle */
};

static double boot_hours(const struct series_set *set, size_t b)
{
	const struct series_boot *boot = &set->boots[b];

	return (double)(set->snaps[boot->first + boot->count - 1].uptime_ms -
			set->snaps[boot->first].uptime_ms) /
	       3.6e6;
}

static void layout_boots(struct layout *l)
{
	const struct series_set *set = l->set;
	double nb = (double)set->n_boots, hours = 0, left = PLOT_X;
	double gap = fmin(12.0, PLOT_W / (4 * nb));
	double avail = PLOT_W - gap * (nb - 1);
	double min_w = fmin(40.0, avail / (4 * nb));
	size_t b;

	l->gap = gap;
	for (b = 0; b < set->n_boots; b++)
		hours += boot_hours(set, b);
	for (b = 0; b < set->n_boots; b++) {
		double share = hours > 0 ? boot_hours(set, b) / hours : 1 / nb;

		l->boot_x[b] = left;
		l->boot_w[b] = min_w + (avail - nb * min_w) * share;
		left += l->boot_w[b] + gap;
	}
}

static void layout_init(struct layout *l, const struct series_set *set)
{
	size_t b, i;

	l->set = set;
	l->x = calloc(set->n_snaps + 1, sizeof(*l->x));
	l->boot_x = calloc(set->n_boots + 1, sizeof(*l->boot_x));
	l->boot_w = calloc(set->n_boots + 1, sizeof(*l->boot_w));
	if (!l->x || !l->boot_x || !l->boot_w) {
		cli_error(NULL, "out of memory");
		exit(CLI_FAIL);
	}
	layout_boots(l);
	for (b = 0; b < set->n_boots; b++) {
		const struct series_boot *boot = &set->boots[b];
		double hours = boot_hours(set, b);

		for (i = 0; i < boot->count; i++) {
			double h =
				(double)(set->snaps[boot->first + i].uptime_ms -
					 set->snaps[boot->first].uptime_ms) /
				3.6e6;
			/* Copies of one snapshot, or no uptimes: spread evenly. */
			double at =
				hours > 0 ?
					h / hours :
				boot->count > 1 ?
					(double)i / (double)(boot->count - 1) :
					0.5;

			l->x[boot->first + i] =
				l->boot_x[b] + at * l->boot_w[b];
		}
	}
}

static void layout_free(struct layout *l)
{
	free(l->x);
	free(l->boot_x);
	free(l->boot_w);
}

static double y_of(double v, double ymax)
{
	return PLOT_Y + PLOT_H - (ymax > 0 ? v / ymax : 0) * PLOT_H;
}

/* A round step in binary units for three to five gridlines up to ymax. */
static double grid_step(double ymax)
{
	static const double nice[] = {
		1, 2, 5, 10, 20, 50, 100, 200, 500, 1024
	};
	double unit = 1, raw = ymax / 5;
	size_t i;

	while (raw / unit >= 1024)
		unit *= 1024;
	for (i = 0; i + 1 < sizeof(nice) / sizeof(nice[0]); i++)
		if (nice[i] * unit >= raw)
			break;
	return nice[i] * unit;
}

static void put_grid(FILE *f, double ymax)
{
	double step = grid_step(ymax), v;

	for (v = 0; v <= ymax * 1.0001 && step > 0; v += step) {
		double y = y_of(v, ymax);

		fprintf(f,
			"<line class=\"grid\" x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\"/>",
			PLOT_X, y, PLOT_X + PLOT_W, y);
		fprintf(f,
			"<text class=\"tick\" x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
			PLOT_X - 6, y + 4,
			human_bytes(v < 0x1p64 ? (uint64_t)v : UINT64_MAX).s);
	}
}

/* A boot's label above the plot, where there is room; its start and id
 * in full when hovered. */
static void put_boot_label(FILE *f, const struct series_boot *boot, double x,
			   double w)
{
	const char *id = *boot->boot_id ? boot->boot_id : "unknown";
	char prefix[9]; /* the first 8 characters, as timeline prints them */

	fprintf(f, "<g><title>boot %s UTC, id ", series_time(boot->start_ns).s);
	put_text(f, id);
	fprintf(f, ", %zu snapshots</title>", boot->count);
	if (w >= 110) {
		snprintf(prefix, sizeof(prefix), "%s", id);
		fprintf(f, "<text class=\"boot\" x=\"%.1f\" y=\"%.0f\">", x,
			PLOT_Y - 6);
		fprintf(f, "boot %.16s ", series_time(boot->start_ns).s);
		put_text(f, prefix);
		fputs("</text>", f);
	}
	fputs("</g>\n", f);
}

/* A boot's first and last uptime below the plot, where there is room. */
static void put_boot_uptimes(FILE *f, const struct series_set *set,
			     const struct series_boot *boot, double x, double w)
{
	uint64_t first = set->snaps[boot->first].uptime_ms;
	uint64_t last = set->snaps[boot->first + boot->count - 1].uptime_ms;
	double y = PLOT_Y + PLOT_H + 16;

	if (w < 90)
		return;
	fprintf(f, "<text class=\"tick\" x=\"%.1f\" y=\"%.0f\">up %s</text>", x,
		y, series_uptime(first).s);
	fprintf(f,
		"<text class=\"tick\" x=\"%.1f\" y=\"%.0f\" "
		"text-anchor=\"end\">%s</text>\n",
		x + w, y, series_uptime(last).s);
}

/* The rules between boots, and each boot's label and uptimes. */
static void put_boots(FILE *f, const struct layout *l)
{
	size_t b;

	for (b = 0; b < l->set->n_boots; b++) {
		double rule = l->boot_x[b] - l->gap / 2;

		if (b > 0)
			fprintf(f,
				"<line class=\"reboot\" x1=\"%.1f\" "
				"y1=\"%.0f\" x2=\"%.1f\" y2=\"%.0f\"/>",
				rule, PLOT_Y - 14, rule, PLOT_Y + PLOT_H);
		put_boot_label(f, &l->set->boots[b], l->boot_x[b],
			       l->boot_w[b]);
		put_boot_uptimes(f, l->set, &l->set->boots[b], l->boot_x[b],
				 l->boot_w[b]);
	}
}

static void svg_open(FILE *f, const char *label)
{
	fprintf(f,
		"<svg viewBox=\"0 0 %.0f %.0f\" width=\"%.0f\" height=\"%.0f\" role=\"img\" aria-label=\"%s\">\n",
		SVG_W, SVG_H, SVG_W, SVG_H, label);
}

/* ---- the stacked accounting --------------------------------------------- */

/* Bottom to top: what is used, then what is free; explain's order. */
static const struct category_style {
	enum series_cat cat;
	const char *label;
	const char *colour;
} stack[] = {
	{ CAT_ANON, "user anonymous", "#4e79a7" },
	{ CAT_PAGE_CACHE, "page cache", "#a0cbe8" },
	{ CAT_SHMEM, "shmem / tmpfs", "#f28e2b" },
	{ CAT_SLAB_RECLAIMABLE, "slab, reclaimable", "#8cd17d" },
	{ CAT_SLAB_UNRECLAIMABLE, "slab, unreclaimable", "#2f7d32" },
	{ CAT_SLAB, "slab", "#59a14f" },
	{ CAT_VMALLOC, "vmalloc", "#b6992d" },
	{ CAT_KERNEL_STACK, "kernel stacks", "#499894" },
	{ CAT_PAGE_TABLES, "page tables", "#86bcb6" },
	{ CAT_PERCPU, "per-cpu", "#e15759" },
	{ CAT_HUGETLB, "hugetlb pages", "#ff9d9a" },
	{ CAT_KERNEL_RECLAIMABLE_OTHER, "other reclaimable kernel", "#79706e" },
	{ CAT_ZSWAP, "zswap pool", "#bab0ac" },
	{ CAT_OTHER, "other", "#d37295" },
	{ CAT_UNACCOUNTED, "unaccounted (raw page allocations)", "#b07aa1" },
	{ CAT_FREE, "free", "#e8e8e8" },
};

#define N_STACK (sizeof(stack) / sizeof(stack[0]))

/* A negative remainder (counters that overlap) draws as nothing. */
static double kb_of(const struct series_snap *s, size_t k)
{
	int64_t kb = s->kb[stack[k].cat];

	return kb > 0 ? (double)kb : 0;
}

static double stack_below(const struct series_snap *s, size_t k)
{
	double sum = 0;
	size_t i;

	for (i = 0; i < k; i++)
		sum += kb_of(s, i);
	return sum;
}

static bool category_used(const struct series_set *set, size_t k)
{
	size_t i;

	for (i = 0; i < set->n_snaps; i++)
		if (kb_of(&set->snaps[i], k) > 0)
			return true;
	return false;
}

/* One band of one boot: along its top edge, back along its bottom edge. A
 * boot of one snapshot is a narrow bar. */
static void put_band(FILE *f, const struct layout *l, size_t b, size_t k,
		     double ymax)
{
	const struct series_boot *boot = &l->set->boots[b];
	const struct series_snap *s = l->set->snaps + boot->first;
	double dx = boot->count == 1 ? 3 : 0;
	size_t i;

	fprintf(f, "<polygon fill=\"%s\" points=\"", stack[k].colour);
	for (i = 0; i < boot->count; i++) {
		double top = stack_below(&s[i], k) + kb_of(&s[i], k);

		fprintf(f, "%.1f,%.1f ", l->x[boot->first + i] - dx,
			y_of(top, ymax));
		if (dx)
			fprintf(f, "%.1f,%.1f ", l->x[boot->first + i] + dx,
				y_of(top, ymax));
	}
	for (i = boot->count; i-- > 0;) {
		double bottom = stack_below(&s[i], k);

		if (dx)
			fprintf(f, "%.1f,%.1f ", l->x[boot->first + i] + dx,
				y_of(bottom, ymax));
		fprintf(f, "%.1f,%.1f ", l->x[boot->first + i] - dx,
			y_of(bottom, ymax));
	}
	fprintf(f, "\"><title>%s</title></polygon>\n", stack[k].label);
}

static void put_stack_legend(FILE *f, const struct series_set *set)
{
	size_t k;

	fputs("<ul class=\"legend\">", f);
	for (k = N_STACK; k-- > 0;)
		if (category_used(set, k))
			fprintf(f,
				"<li><span class=\"swatch\" style=\"background:%s\"></span>%s</li>",
				stack[k].colour, stack[k].label);
	fputs("</ul>\n", f);
}

static void put_stack_chart(FILE *f, const struct layout *l)
{
	const struct series_set *set = l->set;
	double ymax = 1;
	size_t b, k, i;

	for (i = 0; i < set->n_snaps; i++)
		ymax = fmax(ymax, stack_below(&set->snaps[i], N_STACK) * 1024);
	fputs("<h2>Where the memory is</h2>\n<p>The accounting of <code>kmemsnap explain</code> "
	      "for each snapshot, adding up to MemTotal; boots side by side, each "
	      "over its uptime.</p>\n",
	      f);
	svg_open(f, "memory accounting over time");
	put_grid(f, ymax);
	/* Bands are drawn in kB and labelled in bytes: scale ymax back. */
	for (b = 0; b < set->n_boots; b++)
		for (k = 0; k < N_STACK; k++)
			if (category_used(set, k))
				put_band(f, l, b, k, ymax / 1024);
	put_boots(f, l);
	fputs("</svg>\n", f);
	put_stack_legend(f, set);
}

/* ---- growing series as lines -------------------------------------------- */

static const char *const line_colours[] = {
	"#e15759", "#4e79a7", "#f28e2b", "#59a14f", "#b07aa1",
	"#76b7b2", "#edc948", "#9c755f", "#ff9da7", "#bab0ac",
};

#define N_LINE_COLOURS (sizeof(line_colours) / sizeof(line_colours[0]))
#define MAX_DOTS 60 /* points of a boot drawn as dots, at most */

/* The first top ranked series of kind, into out; returns how many. */
static size_t pick(const struct series_set *set, enum series_kind kind,
		   size_t top, const struct series **out)
{
	size_t i, n = 0;

	for (i = 0; i < set->n_ranked && n < top; i++)
		if (set->ranked[i]->kind == kind)
			out[n++] = set->ranked[i];
	return n;
}

/* A series' points as one polyline per boot: a reboot is a break, and a
 * snapshot without the series (below its top-N cut) is a gap the line
 * bridges, not a zero. */
static void put_series_line(FILE *f, const struct layout *l,
			    const struct series *s, const char *colour,
			    double ymax)
{
	size_t i = 0, j, k;

	while (i < s->n_pts) {
		uint32_t boot = l->set->snaps[s->pts[i].snap].boot;

		fprintf(f,
			"<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"",
			colour);
		for (j = i;
		     j < s->n_pts && l->set->snaps[s->pts[j].snap].boot == boot;
		     j++)
			fprintf(f, "%.1f,%.1f ", l->x[s->pts[j].snap],
				y_of((double)s->pts[j].bytes, ymax));
		fputs("\"><title>", f);
		put_text(f, series_label(s).s);
		fputs("</title></polyline>\n", f);
		/* Dots while they stay apart; a lone point has only its dot. */
		for (k = i; j - i <= MAX_DOTS && k < j; k++)
			fprintf(f,
				"<circle fill=\"%s\" r=\"2.5\" cx=\"%.1f\" cy=\"%.1f\"/>",
				colour, l->x[s->pts[k].snap],
				y_of((double)s->pts[k].bytes, ymax));
		i = j;
	}
}

static struct human restarts_text(const struct series *s)
{
	struct human h;

	if (s->n_fits < 2)
		snprintf(h.s, sizeof(h.s), "no reboot seen");
	else
		snprintf(h.s, sizeof(h.s), "restarted after %u of %zu reboots",
			 s->restarts, s->n_fits - 1);
	return h;
}

static void put_line_legend(FILE *f, const struct series **ss, size_t n)
{
	size_t i;

	fputs("<ul class=\"legend lines\">", f);
	for (i = 0; i < n; i++) {
		fprintf(f,
			"<li><span class=\"swatch\" style=\"background:%s\"></span><b>",
			line_colours[i % N_LINE_COLOURS]);
		put_text(f, series_label(ss[i]).s);
		fprintf(f, "</b> +%s/hour, %s</li>",
			human_bytes((uint64_t)llround(ss[i]->bytes_per_hour)).s,
			restarts_text(ss[i]).s);
	}
	fputs("</ul>\n", f);
}

static void put_line_chart(FILE *f, const struct layout *l,
			   enum series_kind kind, const char *title, size_t top)
{
	const struct series **ss = calloc(top + 1, sizeof(*ss));
	double ymax = 1;
	size_t n, i, k;

	if (!ss) {
		cli_error(NULL, "out of memory");
		exit(CLI_FAIL);
	}
	n = pick(l->set, kind, top, ss);
	for (i = 0; i < n; i++)
		for (k = 0; k < ss[i]->n_pts; k++)
			ymax = fmax(ymax, (double)ss[i]->pts[k].bytes);
	if (n) {
		fprintf(f, "<h3>%s</h3>\n", title);
		svg_open(f, title);
		put_grid(f, ymax);
		for (i = 0; i < n; i++)
			put_series_line(f, l, ss[i],
					line_colours[i % N_LINE_COLOURS], ymax);
		put_boots(f, l);
		fputs("</svg>\n", f);
		put_line_legend(f, ss, n);
	}
	free(ss);
}

static void put_growth_table(FILE *f, const struct series_set *set, size_t top)
{
	size_t i, n = set->n_ranked < top ? set->n_ranked : top;

	fputs("<table><tr><th>#</th><th>kind</th><th>rate/hour</th><th>consistency</th>"
	      "<th>restarts</th><th>latest</th><th>name</th></tr>\n",
	      f);
	for (i = 0; i < n; i++) {
		const struct series *s = set->ranked[i];

		fprintf(f,
			"<tr><td>%zu</td><td>%s</td><td class=\"num\">+%s</td>"
			"<td class=\"num\">%.2f</td><td>%s</td><td class=\"num\">%s</td><td>",
			i + 1, series_kind_word(s->kind),
			human_bytes((uint64_t)llround(s->bytes_per_hour)).s,
			s->consistency, restarts_text(s).s,
			human_bytes(s->pts[s->n_pts - 1].bytes).s);
		put_text(f, series_label(s).s);
		fputs("</td></tr>\n", f);
	}
	fputs("</table>\n", f);
}

static void put_growth(FILE *f, const struct layout *l, size_t top)
{
	const struct series_set *set = l->set;

	fputs("<h2>What grows steadily</h2>\n<p>A least-squares growth rate within "
	      "each boot, how consistent it is, and after how many reboots it started "
	      "low and grew again: the signature of a leak. Ranked by rate &times; "
	      "consistency &times; (1 + restarts); see <code>kmemsnap timeline</code>.</p>\n",
	      f);
	if (!set->n_ranked) {
		fprintf(f, "<p>Nothing grows steadily (%zu series seen).</p>\n",
			set->n_series);
		return;
	}
	put_line_chart(f, l, SERIES_SLAB, "Slab caches (footprint)", top);
	put_line_chart(f, l, SERIES_VMALLOC, "vmalloc callers", top);
	put_line_chart(f, l, SERIES_KMEMLEAK, "kmemleak backtraces", top);
	put_growth_table(f, set, 3 * top);
}

/* ---- the newest snapshot ------------------------------------------------ */

static void put_findings_of(FILE *f, const Kmemsnap__V1__Explanation *e)
{
	static const char *const severity[] = { "", "info", "warning",
						"critical" };
	size_t i;

	if (!e->n_findings) {
		fputs("<p>Nothing stands out: every figure is under its threshold.</p>\n",
		      f);
		return;
	}
	fputs("<table><tr><th>severity</th><th>finding</th><th>rule</th></tr>\n",
	      f);
	for (i = 0; i < e->n_findings; i++) {
		const Kmemsnap__V1__ExplainFinding *x = e->findings[i];
		unsigned sev = x->severity < 4 ? x->severity : 3;

		fprintf(f, "<tr class=\"sev%u\"><td>%s</td><td>", sev,
			severity[sev]);
		put_text(f, x->text);
		fputs("</td><td><code>", f);
		put_text(f, x->id);
		fputs("</code></td></tr>\n", f);
	}
	fputs("</table>\n", f);
}

/* explain of the newest snapshot, read again: the series keep figures, not
 * whole snapshots. */
static void put_findings(FILE *f, const struct series_set *set)
{
	const char *file = set->snaps[set->n_snaps - 1].file;
	const size_t arena_bytes = 16u << 20;
	void *mem = malloc(arena_bytes);
	Kmemsnap__V1__Explanation *e;
	struct ks_arena arena;
	struct snapfile sf;

	fputs("<h2>Findings of the newest snapshot</h2>\n<p><code>", f);
	put_text(f, file);
	fputs("</code></p>\n", f);
	if (!mem) {
		cli_error(NULL, "out of memory");
		exit(CLI_FAIL);
	}
	ks_arena_init(&arena, mem, arena_bytes);
	if (snapfile_open(&sf, file) < 0) {
		cli_error(sf.name, "%s", sf.error);
		fputs("<p>It could not be read again: ", f);
		put_text(f, sf.error);
		fputs("</p>\n", f);
	} else if (!explain_build(&arena, sf.snap, sf.name, NULL, NULL, 3,
				  &e)) {
		put_findings_of(f, e);
	}
	snapfile_close(&sf);
	free(mem);
}

/* ---- the page ----------------------------------------------------------- */

static const char style[] =
	"body{font-family:sans-serif;margin:24px;color:#222;max-width:1140px}"
	"h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em}h3{font-size:1em}"
	"svg{display:block;max-width:100%;height:auto;background:#fff}"
	"svg text{font-family:sans-serif;font-size:11px;fill:#444}"
	".grid{stroke:#ddd;stroke-width:1}"
	".reboot{stroke:#000;stroke-width:1.5;stroke-dasharray:5 3}"
	"text.boot{font-weight:bold;fill:#000}"
	".legend{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:4px 16px;font-size:.9em}"
	".legend.lines{display:block}.legend.lines li{margin:2px 0;word-break:break-all}"
	".swatch{display:inline-block;width:12px;height:12px;margin-right:6px;vertical-align:middle}"
	"table{border-collapse:collapse;font-size:.9em}"
	"th,td{border-bottom:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}"
	"td.num{text-align:right;white-space:nowrap}td{word-break:break-word}"
	"tr.sev3 td:first-child{color:#b00;font-weight:bold}"
	"tr.sev2 td:first-child{color:#a60}td code{white-space:nowrap}";

static void put_head(FILE *f, const struct series_set *set)
{
	const struct series_snap *first = &set->snaps[0];
	const struct series_snap *last = &set->snaps[set->n_snaps - 1];
	const char *host = set->boots[set->n_boots - 1].host;

	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width\">\n<title>kmemsnap report",
	      f);
	if (host) {
		fputs(": ", f);
		put_text(f, host);
	}
	fprintf(f,
		"</title>\n<style>%s</style>\n</head>\n<body>\n<h1>kmemsnap report",
		style);
	if (host) {
		fputs(": ", f);
		put_text(f, host);
	}
	fprintf(f,
		"</h1>\n<p>%zu snapshots in %zu boot%s, from %s to %s UTC; "
		"kmemsnap %s.</p>\n",
		set->n_snaps, set->n_boots, set->n_boots == 1 ? "" : "s",
		series_time(first->realtime_ns).s,
		series_time(last->realtime_ns).s, kmemsnap_version());
}

static void put_skipped(FILE *f, const struct series_set *set)
{
	size_t i;

	if (!set->n_skipped)
		return;
	fputs("<h2>Files skipped</h2>\n<table><tr><th>file</th><th>what is wrong</th></tr>\n",
	      f);
	for (i = 0; i < set->n_skipped; i++) {
		fputs("<tr><td><code>", f);
		put_text(f, set->skipped[i].file);
		fputs("</code></td><td>", f);
		put_text(f, set->skipped[i].error);
		fputs("</td></tr>\n", f);
	}
	fputs("</table>\n", f);
}

static void put_page(FILE *f, const struct series_set *set, size_t top)
{
	struct layout l;

	layout_init(&l, set);
	put_head(f, set);
	put_stack_chart(f, &l);
	put_growth(f, &l, top);
	put_findings(f, set);
	put_skipped(f, set);
	fputs("</body>\n</html>\n", f);
	layout_free(&l);
}

/* ---- output ------------------------------------------------------------- */

/* Replaces path atomically (temporary file, fsync, rename, fsync of the
 * directory), as capture -o does. */
static int write_output(const char *path, const char *buf, size_t len)
{
	const char *slash = strrchr(path, '/');
	char dir[4096];
	int dirfd, err;

	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		cli_error(path, "cannot open its directory: %s",
			  strerror(errno));
		return CLI_FAIL;
	}
	err = ks_write_file_atomic(dirfd, slash ? slash + 1 : path, buf, len);
	close(dirfd);
	if (err < 0) {
		cli_error(path, "cannot write: %s", strerror(-err));
		return CLI_FAIL;
	}
	return CLI_OK;
}

static int emit(const struct report_args *a, const struct series_set *set)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int rc;

	if (!f) {
		cli_error(NULL, "out of memory");
		return CLI_FAIL;
	}
	put_page(f, set, a->top);
	if (fclose(f) != 0) {
		cli_error(NULL, "out of memory");
		free(buf);
		return CLI_FAIL;
	}
	if (a->output)
		rc = write_output(a->output, buf, len);
	else
		rc = fwrite(buf, 1, len, stdout) == len ? CLI_OK : CLI_FAIL;
	free(buf);
	return rc;
}

/* Returns -1 when the arguments are good, else the exit code. */
static int parse_args(int argc, char **argv, struct report_args *a)
{
	static const struct option options[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "top", required_argument, NULL, 'n' },
		{ "min-rate", required_argument, NULL, OPT_MIN_RATE },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "o:n:h", options, NULL)) != -1) {
		switch (c) {
		case 'o': a->output = optarg; break;
		case 'n':
			if (!cli_parse_u32(argv[0], "--top", optarg, 1, 100,
					   &a->top))
				return CLI_USAGE;
			break;
		case OPT_MIN_RATE:
			if (!cli_parse_bytes(argv[0], "--min-rate", optarg,
					     &a->min_rate))
				return CLI_USAGE;
			break;
		case 'h': return cli_help(help);
		default: return cli_usage_error(argv[0], NULL);
		}
	}
	if (optind == argc)
		return cli_usage_error(argv[0], "no DIR or FILE given");
	a->paths = argv + optind;
	a->n_paths = (size_t)(argc - optind);
	return -1;
}

int cmd_report(int argc, char **argv)
{
	struct report_args a = { .top = 6 };
	struct series_set set;
	int rc = parse_args(argc, argv, &a);

	if (rc >= 0)
		return rc;
	if (!series_open(&set, a.paths, a.n_paths, (double)a.min_rate))
		return CLI_FAIL;
	rc = emit(&a, &set);
	if (rc == CLI_OK && set.n_skipped)
		rc = CLI_FAIL;
	series_free(&set);
	return rc;
}

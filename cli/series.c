/* SPDX-License-Identifier: MIT */
/*
 * Snapshots over time, and what grows in them.
 *
 * Order. A snapshot's header has the wall clock at capture (realtime_ns)
 * and the captured machine's /proc/uptime (uptime_ms). Within a boot the
 * x axis is the uptime: it never steps, where the wall clock can (NTP
 * setting it minutes after boot, a wrong RTC), and it is what a copy of
 * another machine's /proc carries, so test trees control it. A boot starts
 * at realtime - uptime; the median over its snapshots is taken, so one
 * snapshot from before the clock was set does not move it. Boots are
 * ordered by that start, snapshots within a boot by uptime.
 *
 * Series. Each slab cache (footprint bytes, by name), vmalloc caller
 * (bytes, by caller and flags) and kmemleak backtrace (bytes, by the frame
 * strings of the symbols table) is a series of (snapshot, bytes) points.
 * The sections keep only their top N entries, so an entry can be missing
 * from a snapshot because it was below the cut: that is a gap, not a zero.
 * A series has no point there, fits use the points present, and a boot
 * with fewer than MIN_POINTS points of a series is not fitted.
 *
 * Scoring (documented in kmemsnap(1), timeline). Within each boot with
 * enough points, a least-squares line is fitted to (hours since boot,
 * bytes); its slope is the growth rate. Three figures in [0, 1] say how
 * steady the growth is:
 *   r2             the fit's coefficient of determination: 1 for a straight
 *                  line, near 0 for a value that goes up and down;
 *   grew_fraction  of the steps between consecutive points that changed
 *                  the value, those that went up: 1 for a leak, about 0.5
 *                  for noise. Unchanged steps are left out because a slab
 *                  footprint moves in whole slabs and a slow leak leaves it
 *                  unchanged for several snapshots;
 *   sustained      the slope over the later half of the points divided by
 *                  the slope over all of them, clamped: 1 when it still
 *                  grows at the end, near 0 for a cache that filled once
 *                  and stays full.
 * Their product is the boot's steadiness (0 unless the slope is positive).
 * A boot restarts the series when its first point is below half of the
 * last point of the previous fitted boot and it grows steadily
 * (steadiness >= MIN_STEADY): the reboot gave the memory back and it was
 * taken again, the signature of a leak. Across boots, the rate and the
 * consistency are the means of the slopes and of the steadiness weighted by
 * points, and
 *   score = rate * consistency * (1 + restarts)   (bytes per hour).
 * Ranked are the series with a positive rate of at least --min-rate and a
 * consistency of at least MIN_STEADY, highest score first: a leak that
 * grew for days leads, noise and caches that fill once are left out.
 */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli.h"
#include "explain.h"
#include "figures.h"
#include "series.h"
#include "snapfile.h"

#define MIN_POINTS 3   /* per boot, for a fit */
#define MIN_STEADY 0.4 /* steadiness of a restart, consistency to rank */
#define MS_PER_HOUR 3.6e6
#define SCRATCH_BYTES ((size_t)1 << 20) /* explain, without item lists */
#define KEY_MAX 4096 /* a backtrace's key; longer ones are cut */

const char *const series_cat_name[CAT_COUNT] = {
	[CAT_FREE] = "free",
	[CAT_ANON] = "anon",
	[CAT_PAGE_CACHE] = "page_cache",
	[CAT_SHMEM] = "shmem",
	[CAT_SLAB_RECLAIMABLE] = "slab_reclaimable",
	[CAT_SLAB_UNRECLAIMABLE] = "slab_unreclaimable",
	[CAT_SLAB] = "slab",
	[CAT_VMALLOC] = "vmalloc",
	[CAT_KERNEL_STACK] = "kernel_stack",
	[CAT_PAGE_TABLES] = "page_tables",
	[CAT_PERCPU] = "percpu",
	[CAT_HUGETLB] = "hugetlb",
	[CAT_KERNEL_RECLAIMABLE_OTHER] = "kernel_reclaimable_other",
	[CAT_ZSWAP] = "zswap",
	[CAT_OTHER] = "other",
	[CAT_UNACCOUNTED] = "unaccounted",
};

/* ---- memory: the CLI gives up when it runs out, as explain does --------- */

/* Makes room for element n of *arr, doubling its capacity. */
static void *room(void *arr, size_t n, size_t *cap, size_t size)
{
	if (n < *cap)
		return arr;
	*cap = *cap ? *cap * 2 : 16;
	return cli_xrealloc(arr, *cap, size);
}

void series_init(struct series_set *set)
{
	memset(set, 0, sizeof(*set));
	ks_arena_init(&set->scratch, cli_xrealloc(NULL, SCRATCH_BYTES, 1),
		      SCRATCH_BYTES);
}

void series_free(struct series_set *set)
{
	size_t i;

	for (i = 0; i < set->n_snaps; i++) {
		free(set->snaps[i].file);
		free(set->snaps[i].boot_id);
		free(set->snaps[i].host);
	}
	for (i = 0; i < set->n_series; i++) {
		free(set->series[i].name);
		free(set->series[i].pts);
		free(set->series[i].fits);
	}
	for (i = 0; i < set->n_skipped; i++) {
		free(set->skipped[i].file);
		free(set->skipped[i].error);
	}
	free(set->snaps);
	free(set->boots);
	free(set->series);
	free(set->index);
	free(set->ranked);
	free(set->skipped);
	free(set->scratch.base);
	memset(set, 0, sizeof(*set));
}

/* ---- series, interned by (kind, flags, name) ----------------------------- */

/* FNV-1a (http://www.isthe.com/chongo/tech/comp/fnv/). */
static uint64_t hash_key(enum series_kind kind, uint32_t flags,
			 const char *name)
{
	uint64_t h = 0xcbf29ce484222325ull;

	h = (h ^ (uint64_t)kind) * 0x100000001b3ull;
	h = (h ^ flags) * 0x100000001b3ull;
	for (; *name; name++)
		h = (h ^ (uint8_t)*name) * 0x100000001b3ull;
	return h;
}

static void index_insert(struct series_set *set, size_t i)
{
	size_t mask = set->index_cap - 1;
	size_t slot = (size_t)set->series[i].hash & mask;

	while (set->index[slot])
		slot = (slot + 1) & mask;
	set->index[slot] = (uint32_t)(i + 1);
}

/* Keeps the open-addressing table at most half full. */
static void index_grow(struct series_set *set)
{
	size_t i;

	if (set->n_series * 2 < set->index_cap)
		return;
	free(set->index);
	set->index_cap = set->index_cap ? set->index_cap * 2 : 1024;
	set->index = cli_xrealloc(NULL, set->index_cap, sizeof(*set->index));
	memset(set->index, 0, set->index_cap * sizeof(*set->index));
	for (i = 0; i < set->n_series; i++)
		index_insert(set, i);
}

static struct series *intern(struct series_set *set, enum series_kind kind,
			     uint32_t flags, const char *name)
{
	uint64_t h = hash_key(kind, flags, name);
	struct series *s;
	size_t slot;

	index_grow(set);
	for (slot = (size_t)h & (set->index_cap - 1); set->index[slot];
	     slot = (slot + 1) & (set->index_cap - 1)) {
		s = &set->series[set->index[slot] - 1];
		if (s->hash == h && s->kind == kind && s->flags == flags &&
		    strcmp(s->name, name) == 0)
			return s;
	}
	set->series = room(set->series, set->n_series, &set->cap_series,
			   sizeof(*set->series));
	s = &set->series[set->n_series++];
	memset(s, 0, sizeof(*s));
	s->kind = kind;
	s->flags = flags;
	s->name = cli_xstrdup(name);
	s->hash = h;
	set->index[slot] = (uint32_t)set->n_series;
	return s;
}

/* An entry that appears twice in one snapshot (a hostile file) counts once,
 * with both sizes. */
static void add_point(struct series *s, uint32_t snap, uint64_t bytes)
{
	if (s->n_pts && s->pts[s->n_pts - 1].snap == snap) {
		s->pts[s->n_pts - 1].bytes += bytes;
		return;
	}
	s->pts = room(s->pts, s->n_pts, &s->cap_pts, sizeof(*s->pts));
	s->pts[s->n_pts++] = (struct series_point){ snap, bytes };
}

/* ---- loading ------------------------------------------------------------ */

static void skip(struct series_set *set, const char *file, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void skip(struct series_set *set, const char *file, const char *fmt, ...)
{
	struct series_skip *k;
	char error[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(error, sizeof(error), fmt, ap);
	va_end(ap);
	cli_error(file, "%s", error);
	set->skipped = room(set->skipped, set->n_skipped, &set->cap_skipped,
			    sizeof(*set->skipped));
	k = &set->skipped[set->n_skipped++];
	k->file = cli_xstrdup(file);
	k->error = cli_xstrdup(error);
}

static enum series_cat cat_of(const char *category)
{
	int i;

	for (i = 0; i < CAT_COUNT; i++)
		if (strcmp(series_cat_name[i], category) == 0)
			return (enum series_cat)i;
	return CAT_OTHER;
}

static void add_slab(struct series_set *set, uint32_t snap, const KsSnapshot *s)
{
	uint64_t page = s->header && s->header->page_size_bytes ?
				s->header->page_size_bytes :
				4096;
	size_t i;

	for (i = 0; s->slab && i < s->slab->n_caches; i++) {
		const Kmemsnap__V1__SlabCache *c = s->slab->caches[i];

		if (c->name)
			add_point(intern(set, SERIES_SLAB, 0, c->name), snap,
				  c->num_slabs * c->pages_per_slab * page);
	}
}

static void add_vmalloc(struct series_set *set, uint32_t snap,
			const KsSnapshot *s)
{
	size_t i;

	for (i = 0; s->vmalloc && i < s->vmalloc->n_callers; i++) {
		const Kmemsnap__V1__VmallocCaller *c = s->vmalloc->callers[i];

		add_point(intern(set, SERIES_VMALLOC, c->flags,
				 c->caller ? c->caller : ""),
			  snap, c->bytes);
	}
}

/* The frames of g joined by " < ", innermost first, as the key. */
static void backtrace_key(const Kmemsnap__V1__Kmemleak *k,
			  const Kmemsnap__V1__KmemleakGroup *g, char *key)
{
	size_t i, len = 0;

	key[0] = '\0';
	for (i = 0; i < g->n_frames && len < KEY_MAX; i++) {
		const char *frame = g->frames[i] < k->n_symbols ?
					    k->symbols[g->frames[i]] :
					    "?";

		len += (size_t)snprintf(key + len, KEY_MAX - len, "%s%s",
					i ? " < " : "", frame);
	}
}

static void add_kmemleak(struct series_set *set, uint32_t snap,
			 const KsSnapshot *s)
{
	char key[KEY_MAX];
	size_t i;

	for (i = 0; s->kmemleak && i < s->kmemleak->n_groups; i++) {
		const Kmemsnap__V1__KmemleakGroup *g = s->kmemleak->groups[i];

		backtrace_key(s->kmemleak, g, key);
		add_point(intern(set, SERIES_KMEMLEAK, 0, key), snap, g->bytes);
	}
}

static void add_snapshot(struct series_set *set, const struct snapfile *sf)
{
	const Kmemsnap__V1__Header *h = sf->snap->header;
	const Kmemsnap__V1__Meminfo *m = sf->snap->meminfo;
	Kmemsnap__V1__Explanation *e;
	struct series_snap *snap;
	uint32_t idx = (uint32_t)set->n_snaps;
	size_t i;

	ks_arena_reset(&set->scratch);
	if (explain_build(&set->scratch, sf->snap, sf->name, NULL, NULL, 0,
			  &e) < 0) {
		skip(set, sf->name,
		     "snapshot has no MemTotal (its meminfo section is missing)");
		return;
	}
	set->snaps = room(set->snaps, set->n_snaps, &set->cap_snaps,
			  sizeof(*set->snaps));
	snap = &set->snaps[set->n_snaps++];
	memset(snap, 0, sizeof(*snap));
	snap->file = cli_xstrdup(sf->name);
	if (h) {
		snap->realtime_ns = h->realtime_ns;
		snap->has_uptime = h->has_uptime_ms;
		snap->uptime_ms = h->uptime_ms;
		snap->trigger = h->trigger;
		snap->host = h->hostname ? cli_xstrdup(h->hostname) : NULL;
	}
	snap->boot_id = cli_xstrdup(h && h->boot_id ? h->boot_id : "");
	snap->mem_total_kb = e->mem_total_kb;
	snap->has_mem_available = m->has_mem_available_kb;
	snap->mem_available_kb = m->mem_available_kb;
	for (i = 0; i < e->n_lines; i++)
		snap->kb[cat_of(e->lines[i]->category)] += e->lines[i]->kb;
	snap->seq = idx;
	add_slab(set, idx, sf->snap);
	add_vmalloc(set, idx, sf->snap);
	add_kmemleak(set, idx, sf->snap);
}

static void load_file(struct series_set *set, const char *path)
{
	struct snapfile sf;

	if (snapfile_open(&sf, path) < 0)
		skip(set, sf.name, "%s", sf.error);
	else
		add_snapshot(set, &sf);
	snapfile_close(&sf);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool is_snapshot_name(const char *name)
{
	size_t len = strlen(name);

	return name[0] != '.' && len > 4 && strcmp(name + len - 4, ".kms") == 0;
}

/* Every *.kms of dir, in name order so that messages come in a stable
 * order; the analysis orders by the headers, not by names. */
static void load_dir(struct series_set *set, const char *dir)
{
	DIR *d = opendir(dir);
	char **names = NULL;
	size_t n = 0, cap = 0, i;
	struct dirent *de;

	if (!d) {
		skip(set, dir, "cannot open directory: %s", strerror(errno));
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (!is_snapshot_name(de->d_name))
			continue;
		names = room(names, n, &cap, sizeof(*names));
		names[n] =
			cli_xrealloc(NULL, strlen(dir) + strlen(de->d_name) + 2, 1);
		sprintf(names[n++], "%s/%s", dir, de->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), by_name);
	for (i = 0; i < n; i++) {
		load_file(set, names[i]);
		free(names[i]);
	}
	free(names);
}

void series_load(struct series_set *set, char *const *paths, size_t n_paths)
{
	struct stat st;
	size_t i;

	for (i = 0; i < n_paths; i++) {
		if (stat(paths[i], &st) == 0 && S_ISDIR(st.st_mode))
			load_dir(set, paths[i]);
		else
			load_file(set, paths[i]);
	}
}

/* ---- ordering and boots ------------------------------------------------- */

static int by_boot_id_then_realtime(const void *pa, const void *pb)
{
	const struct series_snap *a = pa, *b = pb;
	int c = strcmp(a->boot_id, b->boot_id);

	if (c)
		return c;
	return (a->realtime_ns > b->realtime_ns) -
	       (a->realtime_ns < b->realtime_ns);
}

static int by_uptime(const void *pa, const void *pb)
{
	const struct series_snap *a = pa, *b = pb;

	if (a->uptime_ms != b->uptime_ms)
		return a->uptime_ms > b->uptime_ms ? 1 : -1;
	return (a->realtime_ns > b->realtime_ns) -
	       (a->realtime_ns < b->realtime_ns);
}

/* realtime - uptime, or 0 when the uptime is longer (a hostile file). */
static uint64_t boot_estimate(const struct series_snap *s)
{
	if (s->uptime_ms >= s->realtime_ns / 1000000)
		return 0;
	return s->realtime_ns - s->uptime_ms * 1000000;
}

/* The boot of snaps[0..n) (one boot id, by realtime) starts at the median
 * of realtime - uptime; without any uptime, at its first snapshot. Those
 * without an uptime get realtime - start. */
static uint64_t boot_start(struct series_snap *snaps, size_t n, uint64_t *tmp)
{
	uint64_t start;
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		if (snaps[i].has_uptime)
			tmp[k++] = boot_estimate(&snaps[i]);
	start = boot_start_median(tmp, k, snaps[0].realtime_ns);
	for (i = 0; i < n; i++)
		if (!snaps[i].has_uptime)
			snaps[i].uptime_ms =
				snaps[i].realtime_ns > start ?
					(snaps[i].realtime_ns - start) /
						1000000 :
					0;
	return start;
}

static int by_start(const void *pa, const void *pb)
{
	const struct series_boot *a = pa, *b = pb;

	if (a->start_ns != b->start_ns)
		return a->start_ns > b->start_ns ? 1 : -1;
	return strcmp(a->boot_id, b->boot_id);
}

/* Groups the snapshots into boots, each ordered by uptime. */
static void find_boots(struct series_set *set)
{
	uint64_t *tmp = cli_xrealloc(NULL, set->n_snaps + 1, sizeof(*tmp));
	size_t i, j;

	qsort(set->snaps, set->n_snaps, sizeof(*set->snaps),
	      by_boot_id_then_realtime);
	set->boots = cli_xrealloc(NULL, set->n_snaps + 1, sizeof(*set->boots));
	for (i = 0; i < set->n_snaps; i = j) {
		struct series_boot *b = &set->boots[set->n_boots++];

		for (j = i + 1;
		     j < set->n_snaps &&
		     strcmp(set->snaps[j].boot_id, set->snaps[i].boot_id) == 0;
		     j++)
			;
		b->first = i;
		b->count = j - i;
		b->start_ns = boot_start(set->snaps + i, j - i, tmp);
		qsort(set->snaps + i, j - i, sizeof(*set->snaps), by_uptime);
		b->boot_id = set->snaps[i].boot_id;
		b->host = set->snaps[j - 1].host;
	}
	free(tmp);
	qsort(set->boots, set->n_boots, sizeof(*set->boots), by_start);
}

static int by_snap(const void *pa, const void *pb)
{
	const struct series_point *a = pa, *b = pb;

	return (a->snap > b->snap) - (a->snap < b->snap);
}

/* Lays the snapshots out boot after boot and points the series, which
 * refer to load positions, at their new places. */
static void order_snapshots(struct series_set *set)
{
	struct series_snap *ordered =
		cli_xrealloc(NULL, set->n_snaps + 1, sizeof(*ordered));
	uint32_t *place = cli_xrealloc(NULL, set->n_snaps + 1, sizeof(*place));
	size_t b, i, n = 0;

	find_boots(set);
	for (b = 0; b < set->n_boots; b++) {
		struct series_boot *boot = &set->boots[b];

		for (i = 0; i < boot->count; i++) {
			ordered[n] = set->snaps[boot->first + i];
			place[ordered[n].seq] = (uint32_t)n;
			ordered[n].boot = (uint32_t)b;
			n++;
		}
		boot->first = n - boot->count;
	}
	free(set->snaps);
	set->snaps = ordered;
	for (i = 0; i < set->n_series; i++) {
		struct series *s = &set->series[i];
		size_t k;

		for (k = 0; k < s->n_pts; k++)
			s->pts[k].snap = place[s->pts[k].snap];
		qsort(s->pts, s->n_pts, sizeof(*s->pts), by_snap);
	}
	free(place);
}

/* ---- fitting and ranking ------------------------------------------------ */

static double hours(const struct series_set *set, const struct series_point *p)
{
	return (double)set->snaps[p->snap].uptime_ms / MS_PER_HOUR;
}

/* The least-squares slope of bytes over hours through p[0..n), and its r2
 * (0 when the bytes do not vary). False when the hours do not vary. */
static bool least_squares(const struct series_set *set,
			  const struct series_point *p, size_t n, double *slope,
			  double *r2)
{
	double mx = 0, my = 0, sxx = 0, sxy = 0, syy = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		mx += hours(set, &p[i]);
		my += (double)p[i].bytes;
	}
	mx /= (double)n;
	my /= (double)n;
	for (i = 0; i < n; i++) {
		double dx = hours(set, &p[i]) - mx,
		       dy = (double)p[i].bytes - my;

		sxx += dx * dx;
		sxy += dx * dy;
		syy += dy * dy;
	}
	if (!(sxx > 0))
		return false;
	*slope = sxy / sxx;
	*r2 = syy > 0 ? sxy * sxy / (sxx * syy) : 0;
	return true;
}

/* Fits the points p[0..n) of one boot; false when they are too few or all
 * at the same uptime. */
static bool fit_boot(const struct series_set *set, const struct series_point *p,
		     size_t n, struct series_fit *f)
{
	size_t i, up = 0, changed = 0;
	double late, unused;

	memset(f, 0, sizeof(*f));
	if (n < MIN_POINTS ||
	    !least_squares(set, p, n, &f->bytes_per_hour, &f->r2))
		return false;
	for (i = 1; i < n; i++) {
		if (p[i].bytes == p[i - 1].bytes)
			continue;
		changed++;
		up += p[i].bytes > p[i - 1].bytes;
	}
	f->grew_fraction = changed ? (double)up / (double)changed : 0;
	if (f->bytes_per_hour > 0 &&
	    least_squares(set, p + n / 2, n - n / 2, &late, &unused))
		f->sustained = fmin(fmax(late / f->bytes_per_hour, 0), 1);
	if (f->bytes_per_hour > 0)
		f->steady = f->r2 * f->grew_fraction * f->sustained;
	f->boot = set->snaps[p[0].snap].boot;
	f->points = (uint32_t)n;
	f->first_bytes = p[0].bytes;
	f->last_bytes = p[n - 1].bytes;
	return true;
}

static void fit_series(const struct series_set *set, struct series *s)
{
	size_t i, j, cap = 0;

	for (i = 0; i < s->n_pts; i = j) {
		uint32_t boot = set->snaps[s->pts[i].snap].boot;
		struct series_fit f;

		for (j = i + 1;
		     j < s->n_pts && set->snaps[s->pts[j].snap].boot == boot;
		     j++)
			;
		if (!fit_boot(set, s->pts + i, j - i, &f))
			continue;
		s->fits = room(s->fits, s->n_fits, &cap, sizeof(*s->fits));
		s->fits[s->n_fits++] = f;
	}
}

static void score_series(struct series *s)
{
	double points = 0, rate = 0, steady = 0;
	size_t i;

	for (i = 0; i < s->n_fits; i++) {
		struct series_fit *f = &s->fits[i];

		f->restarted = i > 0 &&
			       f->first_bytes * 2 < s->fits[i - 1].last_bytes &&
			       f->steady >= MIN_STEADY;
		s->restarts += f->restarted;
		points += f->points;
		rate += f->points * f->bytes_per_hour;
		steady += f->points * f->steady;
	}
	if (points == 0)
		return;
	s->bytes_per_hour = rate / points;
	s->consistency = steady / points;
	if (s->bytes_per_hour > 0)
		s->score =
			s->bytes_per_hour * s->consistency * (1 + s->restarts);
}

static int by_score(const void *pa, const void *pb)
{
	const struct series *a = *(struct series *const *)pa;
	const struct series *b = *(struct series *const *)pb;

	if (a->score != b->score)
		return a->score > b->score ? -1 : 1;
	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	return strcmp(a->name, b->name);
}

void series_analyse(struct series_set *set, double min_rate)
{
	size_t i;

	order_snapshots(set);
	set->ranked = cli_xrealloc(NULL, set->n_series + 1, sizeof(*set->ranked));
	for (i = 0; i < set->n_series; i++) {
		struct series *s = &set->series[i];

		fit_series(set, s);
		score_series(s);
		if (s->bytes_per_hour > 0 && s->bytes_per_hour >= min_rate &&
		    s->consistency >= MIN_STEADY)
			set->ranked[set->n_ranked++] = s;
	}
	qsort(set->ranked, set->n_ranked, sizeof(*set->ranked), by_score);
}

/* ---- naming ------------------------------------------------------------- */

struct human series_label(const struct series *s)
{
	struct human h;

	switch (s->kind) {
	case SERIES_VMALLOC:
		snprintf(h.s, sizeof(h.s), "%s (%.80s)",
			 *s->name ? s->name : "(no caller)",
			 vmalloc_flag_words(s->flags).s);
		break;
	case SERIES_KMEMLEAK:
		snprintf(h.s, sizeof(h.s), "%s",
			 *s->name ? s->name : "(no backtrace)");
		break;
	default: snprintf(h.s, sizeof(h.s), "%s", s->name);
	}
	return h;
}

const char *series_kind_word(enum series_kind kind)
{
	switch (kind) {
	case SERIES_SLAB: return "slab";
	case SERIES_VMALLOC: return "vmalloc";
	case SERIES_KMEMLEAK: return "kmemleak";
	}
	return "?";
}

struct human series_time(uint64_t realtime_ns)
{
	struct human h;
	time_t t = (time_t)(realtime_ns / 1000000000);
	struct tm tm;

	if (!gmtime_r(&t, &tm) ||
	    !strftime(h.s, sizeof(h.s), "%Y-%m-%d %H:%M:%S", &tm))
		snprintf(h.s, sizeof(h.s), "%llu ns",
			 (unsigned long long)realtime_ns);
	return h;
}

struct human series_uptime(uint64_t ms)
{
	uint64_t s = ms / 1000;
	struct human h;

	if (s >= 86400)
		snprintf(h.s, sizeof(h.s), "%llud%02uh",
			 (unsigned long long)(s / 86400),
			 (unsigned)(s % 86400 / 3600));
	else if (s >= 3600)
		snprintf(h.s, sizeof(h.s), "%uh%02um", (unsigned)(s / 3600),
			 (unsigned)(s % 3600 / 60));
	else
		snprintf(h.s, sizeof(h.s), "%um%02us", (unsigned)(s / 60),
			 (unsigned)(s % 60));
	return h;
}

bool series_open(struct series_set *set, char *const *paths, size_t n_paths,
		 double min_rate)
{
	series_init(set);
	series_load(set, paths, n_paths);
	if (set->n_snaps == 0) {
		cli_error(NULL, "no snapshot could be read");
		series_free(set);
		return false;
	}
	series_analyse(set, min_rate);
	return true;
}

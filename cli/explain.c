/* SPDX-License-Identifier: MIT */
/*
 * Where did the memory go: an accounting of MemTotal from /proc/meminfo's
 * counters, each line with what holds it (caches, mounts, callers,
 * processes), the remainder no counter explains, and findings from one
 * table of rules.
 *
 * The accounting follows how fs/proc/meminfo.c builds its figures:
 * Cached is NR_FILE_PAGES less swap cache and buffers, and NR_FILE_PAGES
 * includes shmem, so page cache proper is Cached + Buffers + SwapCached -
 * Shmem. Everything else is a disjoint counter of its own; what is left of
 * MemTotal after MemFree and all of them was taken straight from the page
 * allocator by someone who keeps no counter (drivers, GPU, network buffers).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "explain.h"

typedef Kmemsnap__V1__Explanation Explanation;
typedef Kmemsnap__V1__ExplainLine Line;
typedef Kmemsnap__V1__ExplainItem Item;
typedef Kmemsnap__V1__ExplainFinding Finding;
typedef Kmemsnap__V1__Meminfo Meminfo;

#define MAX_LINES 16
#define MAX_FINDINGS 32

enum rule_id {
	RULE_AVAILABLE_LOW,
	RULE_SLAB_UNRECLAIMABLE,
	RULE_SLAB_CACHE_DOMINANT,
	RULE_SHMEM,
	RULE_REMAINDER,
	RULE_VMALLOC,
	RULE_PAGE_TABLES,
	RULE_KERNEL_STACK,
	RULE_HUGETLB_IDLE,
	RULE_UNKILLABLE,
	RULE_KMEMLEAK,
	RULE_GROWTH,
	RULE_ITEM_GROWTH,
};

/* The thresholds, in one place (documented in docs/kmemsnap.1, explain).
 * Shares are percent of MemTotal unless the comment says otherwise; the
 * growth rules apply only with a baseline. */
static const struct rule {
	const char *id;
	unsigned severity; /* 1 info, 2 warning, 3 critical */
	double threshold;
	double floor;      /* and at least this share of MemTotal, if set */
} rules[] = {
	[RULE_AVAILABLE_LOW] = { "available_low", 3, 10.0 }, /* MemAvailable below */
	[RULE_SLAB_UNRECLAIMABLE] = { "slab_unreclaimable_high", 2, 10.0 },
	[RULE_SLAB_CACHE_DOMINANT] = { "slab_cache_dominant", 2, 50.0, 5.0 }, /* % of all slab */
	[RULE_SHMEM] = { "shmem_high", 2, 10.0 },
	[RULE_REMAINDER] = { "unaccounted_high", 2, 5.0 },
	[RULE_VMALLOC] = { "vmalloc_high", 2, 5.0 },
	[RULE_PAGE_TABLES] = { "page_tables_high", 1, 5.0 },
	[RULE_KERNEL_STACK] = { "kernel_stack_high", 1, 2.0 },
	[RULE_HUGETLB_IDLE] = { "hugetlb_idle", 1, 5.0 }, /* free huge pages */
	[RULE_UNKILLABLE] = { "unkillable_process_large", 2, 30.0 }, /* RSS, adj -1000 */
	[RULE_KMEMLEAK] = { "kmemleak_suspects", 2, 0.0 }, /* any object */
	[RULE_GROWTH] = { "grew", 2, 2.0 },               /* a line grew by */
	[RULE_ITEM_GROWTH] = { "item_grew", 2, 1.0 },     /* a cache/caller/mount grew by */
};

/* Slab caches that are SLAB_RECLAIM_ACCOUNT: /proc/slabinfo does not say
 * which are, so the usual shrinkable ones are recognised by name. */
static bool slab_reclaimable_name(const char *name)
{
	return strcmp(name, "dentry") == 0 || strstr(name, "inode") ||
	       strcmp(name, "buffer_head") == 0 ||
	       strcmp(name, "radix_tree_node") == 0 ||
	       strncmp(name, "kmalloc-rcl-", 12) == 0 ||
	       strcmp(name, "xfs_buf") == 0 || strcmp(name, "xfs_ili") == 0;
}

struct builder {
	struct ks_arena *arena;
	Explanation *e;
	uint64_t total_kb;
	size_t top_n;
};

static void *zalloc(struct builder *b, size_t size)
{
	void *p = ks_arena_alloc(b->arena, size);

	if (!p) {
		fputs("kmemsnap: explain: out of memory\n", stderr);
		exit(1);
	}
	return p;
}

static char *dup_str(struct builder *b, const char *s)
{
	return strcpy(zalloc(b, strlen(s) + 1), s);
}

static uint64_t mi(const Meminfo *m, protobuf_c_boolean has, uint64_t v)
{
	return m && has ? v : 0;
}

static double share(int64_t kb, uint64_t total_kb)
{
	return total_kb ? 100.0 * (double)kb / (double)total_kb : 0.0;
}

static Line *add_line(struct builder *b, const char *category,
		      const char *label, int64_t kb, const char *source)
{
	Line *l = zalloc(b, sizeof(*l));

	kmemsnap__v1__explain_line__init(l);
	l->category = (char *)category;
	l->label = (char *)label;
	l->has_kb = true;
	l->kb = kb;
	l->source = (char *)source;
	l->top = zalloc(b, b->top_n * sizeof(*l->top) + sizeof(*l->top));
	b->e->lines[b->e->n_lines++] = l;
	return l;
}

/* Adds an item to line l, keeping the top_n largest in order. */
static void add_item(struct builder *b, Line *l, const char *name, uint64_t kb)
{
	Item *it;
	size_t i;

	if (kb == 0 || b->top_n == 0)
		return;
	if (l->n_top == b->top_n && l->top[l->n_top - 1]->kb >= kb)
		return;
	it = zalloc(b, sizeof(*it));
	kmemsnap__v1__explain_item__init(it);
	it->name = dup_str(b, name);
	it->has_kb = true;
	it->kb = kb;
	if (l->n_top < b->top_n)
		l->n_top++;
	for (i = l->n_top - 1; i > 0 && l->top[i - 1]->kb < kb; i--)
		l->top[i] = l->top[i - 1];
	l->top[i] = it;
}

static uint64_t cache_kb(const KsSnapshot *s, const Kmemsnap__V1__SlabCache *c)
{
	uint32_t page = s->header && s->header->page_size_bytes
				? s->header->page_size_bytes
				: 4096;

	return c->num_slabs * c->pages_per_slab * page / 1024;
}

static void slab_items(struct builder *b, const KsSnapshot *s, Line *l,
		       bool reclaimable)
{
	size_t i;

	for (i = 0; s->slab && i < s->slab->n_caches; i++) {
		const Kmemsnap__V1__SlabCache *c = s->slab->caches[i];

		if (slab_reclaimable_name(c->name) == reclaimable)
			add_item(b, l, c->name, cache_kb(s, c));
	}
}

static void vmalloc_items(struct builder *b, const KsSnapshot *s, Line *l)
{
	size_t i;

	for (i = 0; s->vmalloc && i < s->vmalloc->n_callers; i++) {
		const Kmemsnap__V1__VmallocCaller *c = s->vmalloc->callers[i];

		add_item(b, l, c->caller ? c->caller : "(no caller)", c->bytes / 1024);
	}
}

static void shmem_items(struct builder *b, const KsSnapshot *s, Line *l)
{
	char name[512];
	size_t i;

	for (i = 0; s->shmem && i < s->shmem->n_mounts; i++) {
		const Kmemsnap__V1__MemoryMount *m = s->shmem->mounts[i];

		if (m->fs_type == KMEMSNAP__V1__FS_TYPE__FS_TYPE_HUGETLBFS)
			continue;
		snprintf(name, sizeof(name), "mount %s", m->mount_point);
		add_item(b, l, name, m->used_bytes / 1024);
	}
	for (i = 0; s->shmem && i < s->shmem->n_segments; i++) {
		const Kmemsnap__V1__ShmSegment *g = s->shmem->segments[i];

		snprintf(name, sizeof(name), "SysV shm id %u (creator pid %d)",
			 g->shmid, g->cpid);
		add_item(b, l, name, (g->has_rss_bytes ? g->rss_bytes : g->size_bytes) / 1024);
	}
}

static void process_items(struct builder *b, const KsSnapshot *s, Line *l)
{
	char name[128];
	size_t i;

	for (i = 0; s->processes && i < s->processes->n_top; i++) {
		const Kmemsnap__V1__Process *p = s->processes->top[i];
		uint64_t kb = p->has_rss_anon_kb ? p->rss_anon_kb : p->vm_rss_kb;

		snprintf(name, sizeof(name), "%s (pid %d)", p->comm ? p->comm : "?",
			 p->pid);
		add_item(b, l, name, kb);
	}
}

static uint64_t vmalloc_kb(const KsSnapshot *s)
{
	const Meminfo *m = s->meminfo;
	uint32_t page = s->header ? s->header->page_size_bytes : 4096;

	/* VmallocUsed read 0 on 4.4-5.2; the section's page count is exact. */
	if (m && m->has_vmalloc_used_kb && m->vmalloc_used_kb)
		return m->vmalloc_used_kb;
	return s->vmalloc ? s->vmalloc->pages_total * page / 1024 : 0;
}

static uint64_t hugetlb_kb(const Meminfo *m)
{
	if (m->has_hugetlb_kb)
		return m->hugetlb_kb;
	return mi(m, m->has_huge_pages_total, m->huge_pages_total) *
	       mi(m, m->has_hugepagesize_kb, m->hugepagesize_kb);
}

static void account(struct builder *b, const KsSnapshot *s)
{
	const Meminfo *m = s->meminfo;
	uint64_t shmem = mi(m, m->has_shmem_kb, m->shmem_kb);
	uint64_t cache = mi(m, m->has_cached_kb, m->cached_kb) +
			 mi(m, m->has_buffers_kb, m->buffers_kb) +
			 mi(m, m->has_swap_cached_kb, m->swap_cached_kb);
	uint64_t kreclaim = mi(m, m->has_k_reclaimable_kb, m->k_reclaimable_kb);
	uint64_t sreclaim = mi(m, m->has_s_reclaimable_kb, m->s_reclaimable_kb);
	int64_t rest = (int64_t)b->total_kb;
	size_t i;
	Line *l;

	add_line(b, "free", "free", (int64_t)m->mem_free_kb, "MemFree");
	l = add_line(b, "anon", "user anonymous", (int64_t)m->anon_pages_kb, "AnonPages");
	process_items(b, s, l);
	add_line(b, "page_cache", "page cache", (int64_t)(cache > shmem ? cache - shmem : 0),
		 "Cached + Buffers + SwapCached - Shmem");
	l = add_line(b, "shmem", "shmem / tmpfs", (int64_t)shmem, "Shmem");
	shmem_items(b, s, l);
	if (m->has_s_unreclaim_kb) {
		l = add_line(b, "slab_reclaimable", "slab, reclaimable",
			     (int64_t)sreclaim, "SReclaimable");
		slab_items(b, s, l, true);
		l = add_line(b, "slab_unreclaimable", "slab, unreclaimable",
			     (int64_t)m->s_unreclaim_kb, "SUnreclaim");
		slab_items(b, s, l, false);
	} else {
		l = add_line(b, "slab", "slab", (int64_t)m->slab_kb, "Slab");
		slab_items(b, s, l, true);
		slab_items(b, s, l, false);
	}
	l = add_line(b, "vmalloc", "vmalloc", (int64_t)vmalloc_kb(s),
		     "VmallocUsed, else vmallocinfo pages");
	vmalloc_items(b, s, l);
	add_line(b, "kernel_stack", "kernel stacks", (int64_t)m->kernel_stack_kb, "KernelStack");
	add_line(b, "page_tables", "page tables",
		 (int64_t)(m->page_tables_kb + m->sec_page_tables_kb),
		 "PageTables + SecPageTables");
	add_line(b, "percpu", "per-cpu", (int64_t)m->percpu_kb, "Percpu");
	add_line(b, "hugetlb", "hugetlb pages", (int64_t)hugetlb_kb(m),
		 "Hugetlb, else HugePages_Total * Hugepagesize");
	add_line(b, "kernel_reclaimable_other", "other reclaimable kernel",
		 (int64_t)(kreclaim > sreclaim ? kreclaim - sreclaim : 0),
		 "KReclaimable - SReclaimable");
	add_line(b, "zswap", "zswap pool", (int64_t)m->zswap_kb, "Zswap");
	for (i = 0; i < b->e->n_lines; i++)
		rest -= b->e->lines[i]->kb;
	add_line(b, "unaccounted", "unaccounted (raw page allocations)", rest,
		 "MemTotal - MemFree - all of the above");
}

static Finding *add_finding(struct builder *b, int rule, double value,
			    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static Finding *add_finding(struct builder *b, int rule, double value,
			    const char *fmt, ...)
{
	char text[512];
	Finding *f;
	va_list ap;

	if (b->e->n_findings == MAX_FINDINGS)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	f = zalloc(b, sizeof(*f));
	kmemsnap__v1__explain_finding__init(f);
	f->id = (char *)rules[rule].id;
	f->has_severity = true;
	f->severity = rules[rule].severity;
	f->text = dup_str(b, text);
	f->has_value = true;
	f->value = value;
	f->has_threshold = true;
	f->threshold = rules[rule].threshold;
	b->e->findings[b->e->n_findings++] = f;
	return f;
}

static const Line *line_of(const Explanation *e, const char *category)
{
	size_t i;

	for (i = 0; i < e->n_lines; i++)
		if (strcmp(e->lines[i]->category, category) == 0)
			return e->lines[i];
	return NULL;
}

/* A line over its rule's share of memory becomes a finding naming what
 * holds most of it. */
static void share_rule(struct builder *b, int rule, const char *category,
		       const char *what)
{
	const Line *l = line_of(b->e, category);
	double pct = l ? share(l->kb, b->total_kb) : 0.0;

	if (!l || pct < rules[rule].threshold)
		return;
	if (l->n_top)
		add_finding(b, rule, pct, "%s is %.1f%% of memory (%lld MiB); largest: %s, %llu MiB",
			    what, pct, (long long)l->kb / 1024, l->top[0]->name,
			    (unsigned long long)l->top[0]->kb / 1024);
	else
		add_finding(b, rule, pct, "%s is %.1f%% of memory (%lld MiB)", what,
			    pct, (long long)l->kb / 1024);
}

static void slab_dominance(struct builder *b, const KsSnapshot *s)
{
	const Kmemsnap__V1__SlabCache *c;
	double pct;

	if (!s->slab || !s->slab->n_caches || !s->slab->footprint_bytes_total)
		return;
	c = s->slab->caches[0];
	pct = 100.0 * (double)(cache_kb(s, c) * 1024) /
	      (double)s->slab->footprint_bytes_total;
	/* Small slabs are always dominated by something; only a cache that
	 * is also a real share of memory matters. */
	if (pct >= rules[RULE_SLAB_CACHE_DOMINANT].threshold &&
	    share((int64_t)cache_kb(s, c), b->total_kb) >=
		    rules[RULE_SLAB_CACHE_DOMINANT].floor)
		add_finding(b, RULE_SLAB_CACHE_DOMINANT, pct,
			    "slab cache %s holds %.0f%% of all slab (%llu MiB, %llu objects of %u bytes)",
			    c->name, pct, (unsigned long long)cache_kb(s, c) / 1024,
			    (unsigned long long)c->active_objs, c->objsize_bytes);
}

static void process_rules(struct builder *b, const KsSnapshot *s)
{
	size_t i;

	for (i = 0; s->processes && i < s->processes->n_top; i++) {
		const Kmemsnap__V1__Process *p = s->processes->top[i];
		double pct = share((int64_t)p->vm_rss_kb, b->total_kb);

		if (p->oom_score_adj == -1000 &&
		    pct >= rules[RULE_UNKILLABLE].threshold)
			add_finding(b, RULE_UNKILLABLE, pct,
				    "%s (pid %d) has oom_score_adj -1000 and holds %.1f%% of memory: the OOM killer will kill everything else first",
				    p->comm, p->pid, pct);
	}
}

static void kmemleak_rule(struct builder *b, const KsSnapshot *s)
{
	const Kmemsnap__V1__Kmemleak *k = s->kmemleak;
	const char *first = "";

	if (!k || !k->objects_total)
		return;
	if (k->n_groups && k->groups[0]->n_frames &&
	    k->groups[0]->frames[0] < k->n_symbols)
		first = k->symbols[k->groups[0]->frames[0]];
	add_finding(b, RULE_KMEMLEAK, (double)k->objects_total,
		    "kmemleak reports %llu unreferenced objects (%llu KiB) in %u backtraces; largest group from %s",
		    (unsigned long long)k->objects_total,
		    (unsigned long long)k->bytes_total / 1024, k->groups_total, first);
}

static void absolute_rules(struct builder *b, const KsSnapshot *s)
{
	const Meminfo *m = s->meminfo;
	double pct;

	if (m->has_mem_available_kb) {
		pct = share((int64_t)m->mem_available_kb, b->total_kb);
		if (pct < rules[RULE_AVAILABLE_LOW].threshold)
			add_finding(b, RULE_AVAILABLE_LOW, pct,
				    "only %.1f%% of memory is available (MemAvailable %llu MiB)",
				    pct, (unsigned long long)m->mem_available_kb / 1024);
	}
	share_rule(b, RULE_SLAB_UNRECLAIMABLE, "slab_unreclaimable", "unreclaimable slab");
	slab_dominance(b, s);
	share_rule(b, RULE_SHMEM, "shmem", "shmem/tmpfs");
	share_rule(b, RULE_REMAINDER, "unaccounted",
		   "memory no counter accounts for (pages taken straight from the page allocator: drivers, GPU, network buffers)");
	share_rule(b, RULE_VMALLOC, "vmalloc", "vmalloc");
	share_rule(b, RULE_PAGE_TABLES, "page_tables", "page tables");
	share_rule(b, RULE_KERNEL_STACK, "kernel_stack", "kernel stacks");
	pct = share((int64_t)(mi(m, m->has_huge_pages_free, m->huge_pages_free) *
			      m->hugepagesize_kb), b->total_kb);
	if (pct >= rules[RULE_HUGETLB_IDLE].threshold)
		add_finding(b, RULE_HUGETLB_IDLE, pct,
			    "%.1f%% of memory is reserved as free huge pages nobody uses",
			    pct);
	process_rules(b, s);
	kmemleak_rule(b, s);
}

/* ---- baseline ----------------------------------------------------------- */

static int64_t baseline_item_kb(const Line *base, const char *name)
{
	size_t i;

	for (i = 0; base && i < base->n_top; i++)
		if (strcmp(base->top[i]->name, name) == 0)
			return (int64_t)base->top[i]->kb;
	return 0;
}

/* Sets every delta from the baseline's own explanation, and turns growth
 * over the thresholds into findings. An item missing from the baseline's
 * top list counts from zero: the list is bounded, so growth of an item
 * that was just below the cut is overstated; the baseline is usually a
 * freshly booted machine, where that matters little. */
static void compare(struct builder *b, const Explanation *base)
{
	size_t i, j;

	for (i = 0; i < b->e->n_lines; i++) {
		Line *l = b->e->lines[i];
		const Line *bl = line_of(base, l->category);
		int64_t grew = l->kb - (bl ? bl->kb : 0);

		l->has_delta_kb = true;
		l->delta_kb = grew;
		if (strcmp(l->category, "free") != 0 &&
		    share(grew, b->total_kb) >= rules[RULE_GROWTH].threshold) {
			Finding *f = add_finding(b, RULE_GROWTH, share(grew, b->total_kb),
						 "%s grew by %lld MiB (%.1f%% of memory) since the baseline",
						 l->label, (long long)grew / 1024,
						 share(grew, b->total_kb));
			if (f) {
				f->has_growth_kb = true;
				f->growth_kb = grew;
			}
		}
		for (j = 0; j < l->n_top; j++) {
			Item *it = l->top[j];
			int64_t item_grew = (int64_t)it->kb - baseline_item_kb(bl, it->name);
			Finding *f;

			it->has_delta_kb = true;
			it->delta_kb = item_grew;
			if (share(item_grew, b->total_kb) < rules[RULE_ITEM_GROWTH].threshold)
				continue;
			f = add_finding(b, RULE_ITEM_GROWTH, share(item_grew, b->total_kb),
					"%s: %s grew by %lld MiB since the baseline",
					l->label, it->name, (long long)item_grew / 1024);
			if (f) {
				f->has_growth_kb = true;
				f->growth_kb = item_grew;
			}
		}
	}
}

/* Most severe first; then by growth, then by the triggering value. */
static int finding_order(const void *pa, const void *pb)
{
	const Finding *a = *(Finding *const *)pa, *b = *(Finding *const *)pb;

	if (a->severity != b->severity)
		return a->severity > b->severity ? -1 : 1;
	if (a->growth_kb != b->growth_kb)
		return a->growth_kb > b->growth_kb ? -1 : 1;
	return a->value > b->value ? -1 : a->value < b->value;
}

static Explanation *build(struct builder *b, const KsSnapshot *s, const char *file)
{
	Explanation *e = zalloc(b, sizeof(*e));

	kmemsnap__v1__explanation__init(e);
	e->file = (char *)file;
	e->lines = zalloc(b, MAX_LINES * sizeof(*e->lines));
	e->findings = zalloc(b, MAX_FINDINGS * sizeof(*e->findings));
	e->has_mem_total_kb = true;
	e->mem_total_kb = b->total_kb;
	if (s->header) {
		e->host = s->header->hostname;
		e->has_realtime_ns = s->header->has_realtime_ns;
		e->realtime_ns = s->header->realtime_ns;
	}
	b->e = e;
	account(b, s);
	return e;
}

int explain_build(struct ks_arena *arena, const KsSnapshot *s, const char *file,
		  const KsSnapshot *baseline, const char *baseline_file,
		  size_t top_n, Explanation **out)
{
	struct builder b = { .arena = arena, .top_n = top_n };
	Explanation *e;

	if (!s->meminfo || !s->meminfo->has_mem_total_kb || !s->meminfo->mem_total_kb)
		return -1;
	if (baseline && (!baseline->meminfo || !baseline->meminfo->mem_total_kb))
		return -2;
	b.total_kb = s->meminfo->mem_total_kb;
	e = build(&b, s, file);
	absolute_rules(&b, s);
	if (baseline) {
		struct builder bb = { .arena = arena, .top_n = top_n * 4,
				      .total_kb = baseline->meminfo->mem_total_kb };
		const Explanation *base = build(&bb, baseline, baseline_file);

		compare(&b, base);
		e->baseline_file = (char *)baseline_file;
		e->has_baseline_realtime_ns = base->has_realtime_ns;
		e->baseline_realtime_ns = base->realtime_ns;
	}
	qsort(e->findings, e->n_findings, sizeof(*e->findings), finding_order);
	*out = e;
	return 0;
}

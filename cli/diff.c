/* SPDX-License-Identifier: MIT */
/*
 * What changed between two snapshots of one machine.
 *
 * Every table is built the same way: each side's entries become items with
 * an identity key (a cache's name, a caller with its flags, a process's pid
 * and comm, a backtrace's frame texts), both lists are sorted by key and
 * merged, so that entries on both sides pair up (duplicate keys pair in
 * their order) and the others appeared or vanished.
 *
 * The library keeps only the top entries of the long lists (slab caches by
 * footprint, processes by oom_score, vmalloc callers and kmemleak groups by
 * bytes). An entry missing from a cut list, where it would have ranked at
 * or below the smallest entry kept, may just not have made the cut: such a
 * row says so (BELOW_TOP_N) and leaves the unknown side and the change
 * unset, instead of claiming it appeared or vanished.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diff.h"
#include "explain.h"
#include "figures.h"
#include "units.h"

typedef Kmemsnap__V1__DiffSnapshot DiffSnapshot;
typedef Kmemsnap__V1__DiffChange DiffChange;
typedef Kmemsnap__V1__Meminfo Meminfo;

#define MAX_TABLES 8
#define MAX_WARNINGS 4

#define CHANGE(x) KMEMSNAP__V1__DIFF_CHANGE__DIFF_CHANGE_##x

/* One entry of one side. */
struct item {
	const char *key; /* identity across the two snapshots */
	const char *name;
	const char *detail;
	int64_t value; /* bytes, or a count when is_count */
	int64_t count; /* objects or areas, when has_count */
	uint64_t rank; /* what the side's bounded list is ordered by */
	bool is_count;
	bool has_count;
	bool has_pid;
	int32_t pid;
	bool has_flags;
	uint32_t flags;
	char **frames;
	size_t n_frames;
	size_t seq; /* position on its side, so duplicates pair in order */
};

struct side {
	struct item *items;
	size_t n;
	bool cut;	   /* a bounded list that dropped entries */
	uint64_t min_rank; /* the smallest rank kept, when cut */
	int64_t total;	   /* the section's own total, in bytes */
};

struct builder {
	struct ks_arena *arena;
	const struct diff_opts *o;
	DiffReport *r;
};

/* ---- memory ------------------------------------------------------------- */

static void *zalloc(struct builder *b, size_t size)
{
	void *p = ks_arena_alloc(b->arena, size);

	if (!p) {
		fputs("kmemsnap: diff: out of memory\n", stderr);
		exit(1);
	}
	return p;
}

static char *dup_printf(struct builder *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static char *dup_printf(struct builder *b, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	s = zalloc(b, (size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return s;
}

static struct item *new_items(struct builder *b, struct side *s, size_t cap)
{
	s->items = zalloc(b, (cap ? cap : 1) * sizeof(*s->items));
	return s->items;
}

static struct item *add_item(struct side *s, const char *key, int64_t value)
{
	struct item *it = &s->items[s->n];

	it->key = key;
	it->name = key;
	it->value = value;
	it->rank = value > 0 ? (uint64_t)value : 0;
	it->seq = s->n++;
	return it;
}

/* ---- numbers ------------------------------------------------------------ */

static int64_t to_i64(uint64_t v)
{
	return v > INT64_MAX ? INT64_MAX : (int64_t)v;
}

/* kB or pages to bytes; a hostile file's huge figure saturates. */
static int64_t times(uint64_t v, uint64_t unit)
{
	return unit && v > (uint64_t)INT64_MAX / unit ? INT64_MAX :
							(int64_t)(v * unit);
}

static int64_t sub(int64_t a, int64_t b)
{
	int64_t d;

	if (__builtin_sub_overflow(a, b, &d))
		return a > b ? INT64_MAX : INT64_MIN;
	return d;
}

static int64_t add(int64_t a, int64_t b)
{
	int64_t s;

	if (__builtin_add_overflow(a, b, &s))
		return a > 0 ? INT64_MAX : INT64_MIN;
	return s;
}

static uint64_t magnitude(int64_t v)
{
	return v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
}

/* ---- rows --------------------------------------------------------------- */

static DiffRow *new_row(struct builder *b, const struct item *it,
			DiffChange change)
{
	DiffRow *r = zalloc(b, sizeof(*r));

	kmemsnap__v1__diff_row__init(r);
	r->name = (char *)it->name;
	r->detail = (char *)it->detail;
	r->has_change = true;
	r->change = change;
	r->has_pid = it->has_pid;
	r->pid = it->pid;
	r->has_vmalloc_flags = it->has_flags;
	r->vmalloc_flags = it->flags;
	r->frames = it->frames;
	r->n_frames = it->n_frames;
	return r;
}

static void set_old(DiffRow *r, const struct item *it)
{
	if (it->is_count) {
		r->has_old_count = true;
		r->old_count = it->value;
		return;
	}
	r->has_old_bytes = true;
	r->old_bytes = it->value;
	r->has_old_count = it->has_count;
	r->old_count = it->count;
}

static void set_new(DiffRow *r, const struct item *it)
{
	if (it->is_count) {
		r->has_new_count = true;
		r->new_count = it->value;
		return;
	}
	r->has_new_bytes = true;
	r->new_bytes = it->value;
	r->has_new_count = it->has_count;
	r->new_count = it->count;
}

/* A side the entry is absent from counts as 0. The percent is of the old
 * main value (bytes, else the count), when there is one to take it of. */
static void set_deltas(DiffRow *r)
{
	bool bytes = r->has_old_bytes || r->has_new_bytes;
	int64_t old_main = bytes ? r->old_bytes : r->old_count;

	r->has_delta_bytes = bytes;
	r->delta_bytes = sub(r->new_bytes, r->old_bytes);
	r->has_delta_count = r->has_old_count || r->has_new_count;
	r->delta_count = sub(r->new_count, r->old_count);
	if (old_main == 0)
		return;
	r->has_percent = true;
	r->percent = 100.0 * (double)(bytes ? r->delta_bytes : r->delta_count) /
		     (double)magnitude(old_main);
}

static DiffRow *paired(struct builder *b, const struct item *o,
		       const struct item *n)
{
	DiffRow *r;

	if (o->value == n->value)
		return NULL;
	r = new_row(b, n, n->value > o->value ? CHANGE(GREW) : CHANGE(SHRANK));
	set_old(r, o);
	set_new(r, n);
	set_deltas(r);
	return r;
}

/* it is on one side only; other is the side it is missing from. */
static DiffRow *unpaired(struct builder *b, const struct item *it,
			 const struct side *other, bool appeared)
{
	bool below = other->cut && it->rank <= other->min_rank;
	DiffRow *r = new_row(b, it,
			     below    ? CHANGE(BELOW_TOP_N) :
			     appeared ? CHANGE(APPEARED) :
					CHANGE(VANISHED));

	if (appeared)
		set_new(r, it);
	else
		set_old(r, it);
	if (!below)
		set_deltas(r);
	return r;
}

/* The size a row is judged and ranked by: its byte change, or for a
 * BELOW_TOP_N row the size it has on the side it is on. A row of counts
 * only has none. */
static bool judged_bytes(const DiffRow *r, uint64_t *out)
{
	if (r->has_delta_bytes)
		*out = magnitude(r->delta_bytes);
	else if (r->has_old_bytes || r->has_new_bytes)
		*out = magnitude(r->has_old_bytes ? r->old_bytes : r->new_bytes);
	else
		return false;
	return true;
}

static bool passes(const struct diff_opts *o, const DiffRow *r)
{
	uint64_t bytes;

	if (judged_bytes(r, &bytes) && bytes < o->min_change_bytes)
		return false;
	return !r->has_percent || fabs(r->percent) >= o->min_percent;
}

/* Known changes first, by absolute bytes, then absolute count; rows whose
 * change is unknown after them, by their known size; then by name. */
static int row_order(const void *pa, const void *pb)
{
	const DiffRow *a = *(DiffRow *const *)pa, *b = *(DiffRow *const *)pb;
	bool ka = a->change != CHANGE(BELOW_TOP_N);
	bool kb = b->change != CHANGE(BELOW_TOP_N);
	uint64_t x = 0, y = 0;
	int c;

	if (ka != kb)
		return ka ? -1 : 1;
	judged_bytes(a, &x);
	judged_bytes(b, &y);
	if (x != y)
		return x > y ? -1 : 1;
	x = magnitude(a->delta_count);
	y = magnitude(b->delta_count);
	if (x != y)
		return x > y ? -1 : 1;
	c = strcmp(a->name ? a->name : "", b->name ? b->name : "");
	if (c)
		return c;
	return (a->pid > b->pid) - (a->pid < b->pid);
}

static int item_order(const void *pa, const void *pb)
{
	const struct item *a = pa, *b = pb;
	int c = strcmp(a->key, b->key);

	if (c)
		return c;
	return (a->seq > b->seq) - (a->seq < b->seq);
}

static void find_min_rank(struct side *s)
{
	size_t i;

	s->min_rank = s->n ? UINT64_MAX : 0;
	for (i = 0; i < s->n; i++)
		if (s->items[i].rank < s->min_rank)
			s->min_rank = s->items[i].rank;
}

/* Pairs the two sides and keeps the rows that pass, largest change first. */
static void compare(struct builder *b, DiffTable *t, struct side *o,
		    struct side *n)
{
	DiffRow **rows = zalloc(b, (o->n + n->n + 1) * sizeof(*rows));
	size_t i = 0, j = 0, count = 0, kept = 0;

	find_min_rank(o);
	find_min_rank(n);
	qsort(o->items, o->n, sizeof(*o->items), item_order);
	qsort(n->items, n->n, sizeof(*n->items), item_order);
	while (i < o->n || j < n->n) {
		int c = i == o->n ? 1 :
			j == n->n ? -1 :
				    strcmp(o->items[i].key, n->items[j].key);
		DiffRow *r;

		if (c == 0)
			r = paired(b, &o->items[i++], &n->items[j++]);
		else if (c < 0)
			r = unpaired(b, &o->items[i++], n, false);
		else
			r = unpaired(b, &n->items[j++], o, true);
		if (r)
			rows[count++] = r;
	}
	for (i = 0; i < count; i++)
		if (passes(b->o, rows[i]))
			rows[kept++] = rows[i];
	qsort(rows, kept, sizeof(*rows), row_order);
	t->has_changed = t->has_hidden = true;
	t->changed = (uint32_t)count;
	t->hidden = (uint32_t)(count - kept);
	t->rows = rows;
	t->n_rows = b->o->top && kept > b->o->top ? b->o->top : kept;
	t->has_old_total_bytes = t->has_new_total_bytes = true;
	t->old_total_bytes = o->total;
	t->new_total_bytes = n->total;
}

/* ---- which sections can be compared ------------------------------------- */

static const KsStatus *section_status(const void *section)
{
	const ProtobufCMessage *m = section;
	const ProtobufCFieldDescriptor *f =
		protobuf_c_message_descriptor_get_field(m->descriptor, 1);

	/* Every section's field 1 is its SectionStatus. */
	return *(const KsStatus *const *)((const char *)m + f->offset);
}

static bool usable(const void *section)
{
	const KsStatus *st = section ? section_status(section) : NULL;

	return section &&
	       !(st &&
		 st->state ==
			 KMEMSNAP__V1__SECTION_STATUS__STATE__STATE_UNAVAILABLE);
}

static const char *unusable_reason(struct builder *b, const void *section)
{
	const KsStatus *st = section ? section_status(section) : NULL;

	if (!st)
		return "absent";
	if (st->detail)
		return dup_printf(b, "%s", human_text(st->detail).s);
	if (st->has_error_number)
		return dup_printf(b, "%s", human_errno(st->error_number).s);
	return "unavailable";
}

/* NULL when both snapshots have the section, else why the table is empty. */
static char *not_compared(struct builder *b, const char *what, const void *o,
			  const void *n)
{
	if (!usable(o) && !usable(n))
		return dup_printf(b, "neither snapshot has %s data", what);
	if (!usable(o))
		return dup_printf(b, "the old snapshot has no %s data (%s)",
				  what, unusable_reason(b, o));
	if (!usable(n))
		return dup_printf(b, "the new snapshot has no %s data (%s)",
				  what, unusable_reason(b, n));
	return NULL;
}

static DiffTable *add_table(struct builder *b, const char *name,
			    const char *title)
{
	DiffTable *t = zalloc(b, sizeof(*t));

	kmemsnap__v1__diff_table__init(t);
	t->name = (char *)name;
	t->title = (char *)title;
	b->r->tables[b->r->n_tables++] = t;
	return t;
}

/* ---- the sides of each table -------------------------------------------- */

/* explain's accounting of MemTotal; false without a MemTotal. */
static bool memory_side(struct builder *b, const KsSnapshot *s,
			const char *file, struct side *out)
{
	Kmemsnap__V1__Explanation *e;
	size_t i;

	if (explain_build(b->arena, s, file, NULL, NULL, 0, &e) < 0)
		return false;
	new_items(b, out, e->n_lines);
	for (i = 0; i < e->n_lines; i++) {
		const Kmemsnap__V1__ExplainLine *l = e->lines[i];
		/* The remainder is negative when counters overlap. */
		int64_t bytes = l->kb < 0 ? -times(magnitude(l->kb), 1024) :
					    times((uint64_t)l->kb, 1024);

		add_item(out, l->category, bytes)->detail = l->label;
	}
	out->total = times(e->mem_total_kb, 1024);
	return true;
}

/* Every value the snapshot has, by the key /proc/meminfo prints: kB values
 * in bytes, the others (HugePages_*) as counts. */
static void meminfo_side(struct builder *b, const Meminfo *m, struct side *out)
{
	struct meminfo_value *v =
		zalloc(b, meminfo_values_max(m) * sizeof(*v) + 1);
	size_t i, n = meminfo_values(m, v);

	new_items(b, out, n);
	for (i = 0; i < n; i++)
		add_item(out, v[i].key,
			 v[i].kb ? times(v[i].value, 1024) : to_i64(v[i].value))
			->is_count = !v[i].kb;
}

static void slab_side(struct builder *b, const KsSnapshot *s, struct side *out)
{
	const Kmemsnap__V1__Slab *sl = s->slab;
	size_t i;

	new_items(b, out, sl->n_caches);
	for (i = 0; i < sl->n_caches; i++) {
		const Kmemsnap__V1__SlabCache *c = sl->caches[i];
		struct item *it;

		if (!c->name)
			continue;
		it = add_item(out, c->name, to_i64(slab_footprint_bytes(s, c)));
		it->has_count = true;
		it->count = to_i64(c->active_objs);
	}
	/* top_n is 0 when every cache was kept. */
	out->cut = sl->top_n != 0;
	out->total = to_i64(sl->footprint_bytes_total);
}

static void vmalloc_side(struct builder *b, const Kmemsnap__V1__Vmalloc *v,
			 struct side *out)
{
	size_t i;

	new_items(b, out, v->n_callers);
	for (i = 0; i < v->n_callers; i++) {
		const Kmemsnap__V1__VmallocCaller *c = v->callers[i];
		const char *caller = c->caller ? c->caller : "(no caller)";
		struct item *it = add_item(
			out, dup_printf(b, "%s\037%x", caller, c->flags),
			to_i64(c->bytes));

		it->name = caller;
		it->detail =
			dup_printf(b, "%s", vmalloc_flag_words(c->flags).s);
		it->has_flags = true;
		it->flags = c->flags;
		it->has_count = true;
		it->count = to_i64(c->areas);
	}
	out->cut = v->callers_total > v->n_callers || v->cut_areas > 0;
	out->total = to_i64(v->bytes_total);
}

static char *frame_text(const Kmemsnap__V1__Kmemleak *k, uint32_t index)
{
	return index < k->n_symbols && k->symbols[index] ? k->symbols[index]
							 : "?";
}

/* A group's backtrace is indexes into the snapshot's own symbol table:
 * two snapshots are compared by the frame texts, joined into the key. */
static void kmemleak_side(struct builder *b, const Kmemsnap__V1__Kmemleak *k,
			  struct side *out)
{
	size_t i, f;

	new_items(b, out, k->n_groups);
	for (i = 0; i < k->n_groups; i++) {
		const Kmemsnap__V1__KmemleakGroup *g = k->groups[i];
		char **frames = zalloc(b, (g->n_frames + 1) * sizeof(*frames));
		size_t len = 1;
		struct item *it;
		char *key, *p;

		for (f = 0; f < g->n_frames; f++) {
			frames[f] = frame_text(k, g->frames[f]);
			len += strlen(frames[f]) + 1;
		}
		key = p = zalloc(b, len);
		for (f = 0; f < g->n_frames; f++)
			p += sprintf(p, "%s\n", frames[f]);
		it = add_item(out, key, to_i64(g->bytes));
		it->name = g->n_frames ? frames[0] : "(no backtrace)";
		it->frames = frames;
		it->n_frames = g->n_frames;
		it->has_count = true;
		it->count = to_i64(g->objects);
	}
	out->cut = k->cut_groups > 0;
	out->total = to_i64(k->bytes_total);
}

/* Processes are told apart by pid and comm, so a reused pid is a new
 * process; the kept ones are those with the highest oom_score. */
static void process_side(struct builder *b, const Kmemsnap__V1__Processes *p,
			 struct side *out)
{
	size_t i;

	new_items(b, out, p->n_top);
	for (i = 0; i < p->n_top; i++) {
		const Kmemsnap__V1__Process *x = p->top[i];
		const char *comm = x->comm ? x->comm : "?";
		struct item *it =
			add_item(out, dup_printf(b, "%d\037%s", x->pid, comm),
				 times(x->vm_rss_kb, 1024));

		it->name = comm;
		it->has_pid = true;
		it->pid = x->pid;
		it->rank = x->oom_score;
	}
	out->cut = p->count > p->n_top;
	out->total = times(p->vm_rss_kb_total, 1024);
}

/* A mount whose usage could not be read (statfs failed) counts as 0. */
static void mount_side(struct builder *b, const Kmemsnap__V1__Shmem *sh,
		       struct side *out)
{
	size_t i;

	new_items(b, out, sh->n_mounts);
	for (i = 0; i < sh->n_mounts; i++) {
		const Kmemsnap__V1__MemoryMount *m = sh->mounts[i];
		struct item *it;

		if (!m->mount_point)
			continue;
		it = add_item(out, m->mount_point, to_i64(m->used_bytes));
		it->detail =
			dup_printf(b, "%s",
				   enum_word(&kmemsnap__v1__fs_type__descriptor,
					     m->fs_type)
					   .s);
		out->total = add(out->total, it->value);
	}
}

/* ---- the tables --------------------------------------------------------- */

static void memory_table(struct builder *b, const KsSnapshot *o,
			 const KsSnapshot *n)
{
	DiffTable *t = add_table(
		b, "memory",
		"Memory by category (as explain accounts for MemTotal)");
	struct side so = { 0 }, sn = { 0 };
	bool have_o = memory_side(b, o, b->r->old_snapshot->file, &so);
	bool have_n = memory_side(b, n, b->r->new_snapshot->file, &sn);

	if (!have_o && !have_n)
		t->not_compared = "neither snapshot has a MemTotal";
	else if (!have_o || !have_n)
		t->not_compared = dup_printf(b,
					     "the %s snapshot has no MemTotal",
					     have_o ? "new" : "old");
	else
		compare(b, t, &so, &sn);
}

static void meminfo_table(struct builder *b, const KsSnapshot *o,
			  const KsSnapshot *n)
{
	DiffTable *t = add_table(b, "meminfo", "/proc/meminfo");
	struct side so = { 0 }, sn = { 0 };

	t->not_compared = not_compared(b, "meminfo", o->meminfo, n->meminfo);
	if (t->not_compared)
		return;
	meminfo_side(b, o->meminfo, &so);
	meminfo_side(b, n->meminfo, &sn);
	compare(b, t, &so, &sn);
	/* The table's totals would add up unlike things. */
	t->has_old_total_bytes = t->has_new_total_bytes = false;
}

static void slab_table(struct builder *b, const KsSnapshot *o,
		       const KsSnapshot *n)
{
	DiffTable *t = add_table(b, "slab", "Slab caches (footprint)");
	struct side so = { 0 }, sn = { 0 };

	t->not_compared = not_compared(b, "slab", o->slab, n->slab);
	if (t->not_compared)
		return;
	slab_side(b, o, &so);
	slab_side(b, n, &sn);
	compare(b, t, &so, &sn);
}

static void vmalloc_table(struct builder *b, const KsSnapshot *o,
			  const KsSnapshot *n)
{
	DiffTable *t = add_table(b, "vmalloc", "vmalloc callers");
	struct side so = { 0 }, sn = { 0 };

	t->not_compared = not_compared(b, "vmalloc", o->vmalloc, n->vmalloc);
	if (t->not_compared)
		return;
	vmalloc_side(b, o->vmalloc, &so);
	vmalloc_side(b, n->vmalloc, &sn);
	compare(b, t, &so, &sn);
}

static void kmemleak_table(struct builder *b, const KsSnapshot *o,
			   const KsSnapshot *n)
{
	DiffTable *t = add_table(b, "kmemleak", "kmemleak backtraces");
	struct side so = { 0 }, sn = { 0 };

	t->not_compared = not_compared(b, "kmemleak", o->kmemleak, n->kmemleak);
	if (t->not_compared)
		return;
	kmemleak_side(b, o->kmemleak, &so);
	kmemleak_side(b, n->kmemleak, &sn);
	compare(b, t, &so, &sn);
}

static void process_table(struct builder *b, const KsSnapshot *o,
			  const KsSnapshot *n)
{
	DiffTable *t = add_table(b, "processes", "Processes (RSS)");
	struct side so = { 0 }, sn = { 0 };

	t->not_compared =
		not_compared(b, "process", o->processes, n->processes);
	if (t->not_compared)
		return;
	process_side(b, o->processes, &so);
	process_side(b, n->processes, &sn);
	compare(b, t, &so, &sn);
}

static void mount_table(struct builder *b, const KsSnapshot *o,
			const KsSnapshot *n)
{
	DiffTable *t = add_table(b, "mounts", "Memory-backed mounts (used)");
	struct side so = { 0 }, sn = { 0 };

	t->not_compared = not_compared(b, "mount", o->shmem, n->shmem);
	if (t->not_compared)
		return;
	mount_side(b, o->shmem, &so);
	mount_side(b, n->shmem, &sn);
	compare(b, t, &so, &sn);
}

/* ---- the two snapshots -------------------------------------------------- */

static DiffSnapshot *describe(struct builder *b, const KsSnapshot *s,
			      const char *file)
{
	DiffSnapshot *d = zalloc(b, sizeof(*d));
	const Kmemsnap__V1__Header *h = s->header;

	kmemsnap__v1__diff_snapshot__init(d);
	d->file = (char *)file;
	if (!h)
		return d;
	d->hostname = h->hostname;
	d->kernel_release = h->kernel_release;
	d->boot_id = h->boot_id;
	d->has_realtime_ns = h->has_realtime_ns;
	d->realtime_ns = h->realtime_ns;
	return d;
}

static void warn(struct builder *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void warn(struct builder *b, const char *fmt, ...)
{
	char text[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	b->r->warnings[b->r->n_warnings++] = dup_printf(b, "%s", text);
}

static bool differ(const char *x, const char *y)
{
	return x && y && strcmp(x, y) != 0;
}

/* The comparison still runs: the caller may know better. */
static void check_pair(struct builder *b)
{
	const DiffSnapshot *o = b->r->old_snapshot, *n = b->r->new_snapshot;

	if (differ(o->hostname, n->hostname))
		warn(b, "the snapshots are of different hosts (%s, %s)",
		     human_text(o->hostname).s, human_text(n->hostname).s);
	if (differ(o->kernel_release, n->kernel_release))
		warn(b, "the snapshots are of different kernels (%s, %s)",
		     human_text(o->kernel_release).s,
		     human_text(n->kernel_release).s);
	if (o->has_realtime_ns && n->has_realtime_ns &&
	    n->realtime_ns < o->realtime_ns)
		warn(b,
		     "%s (%s) is older than %s (%s): changes are counted from %s to %s",
		     n->file, human_time_utc(n->realtime_ns).s, o->file,
		     human_time_utc(o->realtime_ns).s, o->file, n->file);
}

DiffReport *diff_build(struct ks_arena *arena, const KsSnapshot *old_snap,
		       const char *old_file, const KsSnapshot *new_snap,
		       const char *new_file, const struct diff_opts *o)
{
	struct builder b = { .arena = arena, .o = o };
	DiffReport *r = zalloc(&b, sizeof(*r));

	kmemsnap__v1__diff_report__init(r);
	b.r = r;
	r->old_snapshot = describe(&b, old_snap, old_file);
	r->new_snapshot = describe(&b, new_snap, new_file);
	r->warnings = zalloc(&b, MAX_WARNINGS * sizeof(*r->warnings));
	r->tables = zalloc(&b, MAX_TABLES * sizeof(*r->tables));
	r->has_top = r->has_min_change_bytes = r->has_min_percent = true;
	r->top = o->top;
	r->min_change_bytes = o->min_change_bytes;
	r->min_percent = o->min_percent;
	check_pair(&b);
	memory_table(&b, old_snap, new_snap);
	meminfo_table(&b, old_snap, new_snap);
	slab_table(&b, old_snap, new_snap);
	vmalloc_table(&b, old_snap, new_snap);
	kmemleak_table(&b, old_snap, new_snap);
	process_table(&b, old_snap, new_snap);
	mount_table(&b, old_snap, new_snap);
	return r;
}

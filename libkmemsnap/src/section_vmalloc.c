/* SPDX-License-Identifier: MIT */
/*
 * /proc/vmallocinfo (mm/vmalloc.c: s_show; vmalloc_info_show since 6.9).
 * One line per area:
 *
 *   "0x%pK-0x%pK %7ld" [" %pS"] [" pages=%d"] [" phys=..."] [flag words]
 *   [" N%u=%u"...]
 *
 * or a whole-line kind, "vm_map_ram" or "unpurged vm_area", after the size.
 * Lines are read by tokens, never by column: sizes above 9,999,999 overflow
 * %7ld and leave a single space. Areas are summed by (caller as printed,
 * flag bits) in a fixed-capacity hash table from the arena, so memory does
 * not grow with the file; groups past the bound are summed as "cut".
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "internal.h"

typedef Kmemsnap__V1__Vmalloc KsVmalloc;
typedef Kmemsnap__V1__VmallocCaller KsVmallocCaller;
typedef Kmemsnap__V1__VmallocKindTotal KsVmallocKind;

/* One parsed line. caller points into the line buffer; caller_len is 0
 * when the kernel printed none (v->caller NULL). */
struct vm_line {
	const char *caller;
	size_t caller_len;
	uint32_t flags;
	uint64_t size;
	uint64_t pages;
};

struct flag_word {
	const char *word;
	uint32_t bit;
};

/* Flag words s_show prints after pages= and phys=. */
static const struct flag_word flag_words[] = {
	{ "ioremap", KMEMSNAP__V1__VMALLOC_FLAG__VMALLOC_FLAG_IOREMAP },
	/* VM_SPARSE, 6.9+ (BPF arena). */
	{ "sparse", KMEMSNAP__V1__VMALLOC_FLAG__VMALLOC_FLAG_SPARSE },
	{ "vmalloc", KMEMSNAP__V1__VMALLOC_FLAG__VMALLOC_FLAG_VMALLOC },
	{ "vmap", KMEMSNAP__V1__VMALLOC_FLAG__VMALLOC_FLAG_VMAP },
	{ "user", KMEMSNAP__V1__VMALLOC_FLAG__VMALLOC_FLAG_USER },
	/* VM_DMA_COHERENT, ~5.5+. */
	{ "dma-coherent", KMEMSNAP__V1__VMALLOC_FLAG__VMALLOC_FLAG_DMA_COHERENT },
	/* <= 4.5 the VM_VPAGES flag; 4.6+ is_vmalloc_addr(v->pages): the
	 * page array itself was vmalloc'ed. Same word, same meaning here. */
	{ "vpages", KMEMSNAP__V1__VMALLOC_FLAG__VMALLOC_FLAG_VPAGES },
	/* An area without a vm_struct. ~4.12-5.x printed it for every
	 * !VM_VM_AREA area (older kernels skipped those); 6.3+ only for
	 * VMAP_RAM areas. */
	{ "vm_map_ram", KMEMSNAP__V1__VMALLOC_FLAG__VMALLOC_FLAG_VM_MAP_RAM },
};

#define FLAG_WORD_COUNT (sizeof(flag_words) / sizeof(flag_words[0]))

/* VmallocKindTotal slots: NONE, then one per VmallocFlag bit in value order
 * (VMALLOC_FLAG_VMALLOC = 1 ... VMALLOC_FLAG_OTHER = 512). */
#define KIND_BITS 10
#define KIND_SLOTS (KIND_BITS + 1)

struct kind_sum {
	uint64_t areas;
	uint64_t bytes;
	uint64_t pages;
};

/* Open addressing over `groups`: idx is 1 + the group's index, 0 for an
 * empty slot; hash is the high half of the group's hash, so most probes that
 * miss never touch the caller string. */
struct vm_slot {
	uint32_t hash;
	uint32_t idx;
};

struct vm_table {
	struct vm_slot *slots;
	size_t mask;
	KsVmallocCaller **groups; /* becomes out->callers */
	size_t n;
	size_t cap;
	KsVmallocCaller *last; /* the group of the line before, or NULL */
	size_t last_len;       /* and the length of its caller */
};

/* ---- one line ----------------------------------------------------------- */

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* The kernel's blank is a space; the call is for the other blanks. */
static bool at_blank(const char *s)
{
	return *s == ' ' || ks_skip_space(s) != s;
}

static bool token_has_prefix(const char *tok, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	return len >= n && memcmp(tok, prefix, n) == 0;
}

/* A table lookup, not two ranges: hashed %pK addresses mix digits and
 * letters at random, and the branch between the ranges was mispredicted
 * every few digits, which made the two addresses of a line cost more than
 * all the rest of it. */
static bool is_hex_digit(char c)
{
	return ks_hex_digit(c) >= 0;
}

/* "0x%pK": the value is never used. With %pK hashing (4.15+) the end can
 * be below the start, and with kptr_restrict=2 both print as zeros; only the
 * size column is trustworthy. So the digits are only skipped, not
 * converted (two addresses a line were a quarter of this parser's time),
 * with ks_parse_hex's bound: at most 16 digits after leading zeros. The
 * zeros are looked at only when there are more than 16 digits: the kernel
 * prints 16 (8 on 32-bit) with or without them. */
static bool skip_address(const char **p)
{
	const char *s = *p;
	const char *digits;

	if (s[0] != '0' || s[1] != 'x' || !is_hex_digit(s[2]))
		return false;
	for (digits = s += 2; is_hex_digit(*s); s++)
		;
	if (s - digits > 16) {
		while (*digits == '0')
			digits++;
		if (s - digits > 16)
			return false;
	}
	*p = s;
	return true;
}

/* "0x<start>-0x<end> <size>", the size followed by a blank or the end. */
static bool parse_range_and_size(const char **p, uint64_t *size)
{
	const char *s = *p;

	if (!skip_address(&s) || *s++ != '-' || !skip_address(&s))
		return false;
	if (!at_blank(s) || !ks_parse_u64(&s, size))
		return false;
	if (*s != '\0' && !at_blank(s))
		return false;
	*p = s;
	return true;
}

/* Parses the decimal number that fills tok[from..len). */
static bool token_number(const char *tok, size_t len, size_t from,
			 uint64_t *out)
{
	const char *s = tok + from;

	if (from >= len || !is_digit(*s))
		return false;
	return ks_parse_u64(&s, out) && s == tok + len;
}

/* " pages=%d": v->nr_pages. */
static bool take_pages(struct vm_line *vl, const char *tok, size_t len)
{
	uint64_t pages;

	if (!token_number(tok, len, sizeof("pages=") - 1, &pages))
		return false;
	vl->pages += pages;
	return true;
}

/* " phys=%llx" up to ~4.9 ("phys=fed00000"), " phys=%pa" after
 * ("phys=0x00000000fed00000"). The address is not kept. */
static bool is_phys(const char *tok, size_t len)
{
	size_t from = sizeof("phys=") - 1;
	const char *s = tok + from;
	uint64_t ignored;

	return len > from && ks_parse_hex(&s, &ignored) && s == tok + len;
}

/* " N%u=%u": NUMA per-node page counts, only for nodes with pages, so
 * gaps are normal ("N0=4 N5=4"). pages= already has the sum. */
static bool is_numa_count(const char *tok, size_t len)
{
	size_t i = 1;
	uint64_t ignored;

	if (len < 4 || tok[0] != 'N' || !is_digit(tok[1]))
		return false;
	while (i < len && is_digit(tok[i]))
		i++;
	return i < len && tok[i] == '=' &&
	       token_number(tok, len, i + 1, &ignored);
}

static uint32_t flag_of(const char *tok, size_t len)
{
	size_t i;

	for (i = 0; i < FLAG_WORD_COUNT; i++)
		if (ks_token_is(tok, len, flag_words[i].word))
			return flag_words[i].bit;
	return 0;
}

/* "unpurged vm_area": a lazily freed area. ~4.12-5.9 printed it inline
 * (VM_LAZY_FREE chose it through "%s"); 5.10+ show_purge_info prints these
 * after all busy areas, per vmap node in 6.9+, so the file does not stay
 * address-sorted. */
static bool take_unpurged(struct vm_line *vl, const char **rest)
{
	const char *p = *rest;
	const char *tok;
	size_t len;

	if (!ks_next_token(&p, &tok, &len) || !ks_token_is(tok, len, "vm_area"))
		return false;
	vl->flags |= KMEMSNAP__V1__VMALLOC_FLAG__VMALLOC_FLAG_UNPURGED;
	*rest = p;
	return true;
}

/* Applies a token that is not the caller. Returns false for a word this
 * parser does not know (out-of-tree kernels print e.g. " xen"). */
static bool take_token(struct vm_line *vl, const char *tok, size_t len,
		       const char **rest)
{
	uint32_t bit;

	/* The first byte picks the kind, so a token is compared with only the
	 * words it can be: no token is of two kinds, and no flag word begins
	 * with 'p' or 'N'. "unpurged vm_area" can be most of the file (5.10+
	 * prints every lazily freed area), and it was tested last. */
	switch (tok[0]) {
	case 'p':
		if (token_has_prefix(tok, len, "pages="))
			return take_pages(vl, tok, len);
		return token_has_prefix(tok, len, "phys=") && is_phys(tok, len);
	case 'N':
		return is_numa_count(tok, len);
	case 'u':
		if (ks_token_is(tok, len, "unpurged"))
			return take_unpurged(vl, rest);
		break;
	default:
		break;
	}
	bit = flag_of(tok, len);
	vl->flags |= bit;
	return bit != 0;
}

/* " %pS" prints a module symbol as "sym+0x1/0x2 [mod]": the suffix is a
 * token of its own and belongs to the caller, kept as printed. */
static void take_module_suffix(struct vm_line *vl, const char **rest)
{
	const char *p = *rest;
	const char *tok;
	size_t len;

	/* Most callers are built in: one byte says so without a token. */
	if (*ks_skip_space(p) != '[')
		return;
	if (!ks_next_token(&p, &tok, &len) || len < 3 || tok[len - 1] != ']')
		return;
	vl->caller_len = (size_t)(tok + len - vl->caller);
	*rest = p;
}

/* The caller is the first token after the size unless it is a known word:
 * v->caller may be NULL, and vm_map_ram / unpurged lines have none. It can be
 * "sym+0x1c3/0x3f0", "sym.isra.0+0x0/0x1a40", or a bare address when
 * kallsyms has no symbol for it. */
static bool parse_line(const char *line, struct vm_line *vl)
{
	const char *p = ks_skip_space(line);
	const char *tok;
	size_t len;

	memset(vl, 0, sizeof(*vl));
	if (!parse_range_and_size(&p, &vl->size))
		return false;
	if (ks_next_token(&p, &tok, &len) && !take_token(vl, tok, len, &p)) {
		vl->caller = tok;
		vl->caller_len = len;
		take_module_suffix(vl, &p);
	}
	while (ks_next_token(&p, &tok, &len))
		if (!take_token(vl, tok, len, &p))
			vl->flags |= KMEMSNAP__V1__VMALLOC_FLAG__VMALLOC_FLAG_OTHER;
	return true;
}

/* ---- grouping ----------------------------------------------------------- */

/* Sizes the table for max groups at a load factor of at most 1/2. With no
 * memory for it every group is cut, and the totals stay exact. */
static void table_init(struct vm_table *t, struct ks_arena *a, uint32_t max)
{
	uint64_t want = (uint64_t)max * 2;
	size_t nslots = 2;

	memset(t, 0, sizeof(*t));
	/* nslots < 2 * want: the bound keeps the sizes below from overflowing
	 * a 32-bit size_t. */
	if (max == 0 || want > SIZE_MAX / (2 * sizeof(*t->slots)))
		return;
	while (nslots < want)
		nslots *= 2;
	t->slots = ks_arena_alloc(a, nslots * sizeof(*t->slots));
	t->groups = ks_arena_alloc(a, (size_t)max * sizeof(*t->groups));
	if (!t->slots || !t->groups) {
		t->slots = NULL;
		return;
	}
	t->mask = nslots - 1;
	t->cap = max;
}

static bool same_group(const KsVmallocCaller *g, const struct vm_line *vl)
{
	if (g->flags != vl->flags)
		return false;
	if (vl->caller_len == 0)
		return g->caller == NULL;
	return g->caller && memcmp(g->caller, vl->caller, vl->caller_len) == 0 &&
	       g->caller[vl->caller_len] == '\0';
}

static KsVmallocCaller *add_group(struct vm_table *t, struct ks_arena *a,
				  struct vm_slot *slot, uint32_t hash,
				  const struct vm_line *vl)
{
	KsVmallocCaller *g;

	if (t->n == t->cap)
		return NULL;
	g = ks_arena_alloc(a, sizeof(*g));
	if (!g)
		return NULL;
	kmemsnap__v1__vmalloc_caller__init(g);
	if (vl->caller_len) {
		g->caller = ks_arena_strndup(a, vl->caller, vl->caller_len);
		if (!g->caller)
			return NULL;
	}
	g->has_flags = true;
	g->flags = vl->flags;
	t->groups[t->n++] = g;
	slot->hash = hash;
	slot->idx = (uint32_t)t->n;
	return g;
}

/* The group of vl in the table, added when new; NULL when the table is full
 * or the arena is. The table always has a free slot (n <= cap < slots), so
 * probing ends. */
static KsVmallocCaller *probe(struct vm_table *t, struct ks_arena *a,
			      const struct vm_line *vl)
{
	uint64_t h = ks_hash_bytes(vl->caller, vl->caller_len, vl->flags);
	uint32_t h32 = (uint32_t)(h >> 32);
	size_t i;

	if (!t->slots)
		return NULL;
	for (i = (size_t)h & t->mask;; i = (i + 1) & t->mask) {
		struct vm_slot *s = &t->slots[i];

		if (s->idx == 0)
			return add_group(t, a, s, h32, vl);
		if (s->hash == h32 && same_group(t->groups[s->idx - 1], vl))
			return t->groups[s->idx - 1];
	}
}

/* Busy areas come in address order, and neighbouring areas mostly share a
 * caller (thread stacks, per-cpu chunks, one module's allocations); the
 * "unpurged vm_area" lines, which can be most of the file, come together.
 * On a live machine ~95 % of lines belong to the group of the line before,
 * found here without hashing. A group is unique per (caller, flags), so
 * this is the group the table would give. */
static KsVmallocCaller *find_group(struct vm_table *t, struct ks_arena *a,
				   const struct vm_line *vl)
{
	KsVmallocCaller *g;

	if (t->last && t->last_len == vl->caller_len &&
	    same_group(t->last, vl))
		return t->last;
	g = probe(t, a, vl);
	if (g) {
		t->last = g;
		t->last_len = vl->caller_len;
	}
	return g;
}

static void sum_kinds(struct kind_sum *kinds, const struct vm_line *vl)
{
	uint32_t f;
	unsigned b;

	if (vl->flags == 0) {
		kinds[0].areas++;
		kinds[0].bytes += vl->size;
		kinds[0].pages += vl->pages;
		return;
	}
	/* Only the set bits: most lines have one or two of the ten. */
	for (f = vl->flags & ((1u << KIND_BITS) - 1); f; f &= f - 1) {
		b = (unsigned)__builtin_ctz(f);
		kinds[b + 1].areas++;
		kinds[b + 1].bytes += vl->size;
		kinds[b + 1].pages += vl->pages;
	}
}

static void account(KsVmalloc *out, struct vm_table *t, struct ks_arena *a,
		    struct kind_sum *kinds, const struct vm_line *vl,
		    KsStatus *st)
{
	KsVmallocCaller *g = find_group(t, a, vl);

	out->areas_total++;
	out->bytes_total += vl->size;
	out->pages_total += vl->pages;
	sum_kinds(kinds, vl);
	if (g) {
		g->areas++;
		g->bytes += vl->size;
		g->pages += vl->pages;
		return;
	}
	out->cut_areas++;
	out->cut_bytes += vl->size;
	out->cut_pages += vl->pages;
	ks_status_truncated(st);
}

/* ---- output ------------------------------------------------------------- */

/* Most bytes first; ties by caller (absent first), then flags, so the
 * order does not depend on the hash. */
static int group_cmp(const KsVmallocCaller *x, const KsVmallocCaller *y)
{
	int c;

	if (x->bytes != y->bytes)
		return x->bytes > y->bytes ? -1 : 1;
	if (!x->caller || !y->caller)
		c = (x->caller != NULL) - (y->caller != NULL);
	else
		c = strcmp(x->caller, y->caller);
	if (c)
		return c;
	return (x->flags > y->flags) - (x->flags < y->flags);
}

static void sift_down(KsVmallocCaller **v, size_t root, size_t n)
{
	for (;;) {
		size_t child = 2 * root + 1;
		KsVmallocCaller *tmp;

		if (child >= n)
			return;
		if (child + 1 < n && group_cmp(v[child], v[child + 1]) < 0)
			child++;
		if (group_cmp(v[root], v[child]) >= 0)
			return;
		tmp = v[root];
		v[root] = v[child];
		v[child] = tmp;
		root = child;
	}
}

/* Heapsort in place: glibc's qsort may malloc a merge buffer, which the
 * capture path must not do. */
static void sort_groups(KsVmallocCaller **v, size_t n)
{
	size_t i;

	for (i = n / 2; i-- > 0;)
		sift_down(v, i, n);
	for (i = n; i-- > 1;) {
		KsVmallocCaller *tmp = v[0];

		v[0] = v[i];
		v[i] = tmp;
		sift_down(v, 0, i);
	}
}

static void finish_groups(KsVmalloc *out, struct vm_table *t)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		KsVmallocCaller *g = t->groups[i];

		g->has_areas = true;
		g->has_bytes = true;
		g->has_pages = g->pages > 0;
	}
	sort_groups(t->groups, t->n);
	out->callers = t->groups;
	out->n_callers = t->n;
	out->has_callers_total = true;
	out->callers_total = (uint32_t)t->n;
}

static void emit_kinds(KsVmalloc *out, struct ks_arena *a,
		       const struct kind_sum *kinds, KsStatus *st)
{
	KsVmallocKind **slots = ks_arena_alloc(a, KIND_SLOTS * sizeof(*slots));
	size_t i;

	if (!slots) {
		ks_status_truncated(st);
		return;
	}
	out->kinds = slots;
	for (i = 0; i < KIND_SLOTS; i++) {
		KsVmallocKind *k;

		if (kinds[i].areas == 0)
			continue;
		k = ks_arena_alloc(a, sizeof(*k));
		if (!k) {
			ks_status_truncated(st);
			return;
		}
		kmemsnap__v1__vmalloc_kind_total__init(k);
		k->has_kind = true;
		k->kind = i == 0 ?
			KMEMSNAP__V1__VMALLOC_FLAG__VMALLOC_FLAG_NONE :
			(Kmemsnap__V1__VmallocFlag)(1u << (i - 1));
		k->has_areas = k->has_bytes = k->has_pages = true;
		k->areas = kinds[i].areas;
		k->bytes = kinds[i].bytes;
		k->pages = kinds[i].pages;
		slots[out->n_kinds++] = k;
	}
}

static void finish(KsVmalloc *out, struct vm_table *t, struct ks_arena *a,
		   const struct kind_sum *kinds, KsStatus *st)
{
	out->has_areas_total = out->has_bytes_total = out->has_pages_total =
		true;
	finish_groups(out, t);
	emit_kinds(out, a, kinds, st);
	if (out->cut_areas)
		out->has_cut_areas = out->has_cut_bytes = out->has_cut_pages =
			true;
}

void ks_parse_vmallocinfo(struct ks_lines *lr, struct ks_ctx *ctx,
			  KsVmalloc *out, KsStatus *st)
{
	struct kind_sum kinds[KIND_SLOTS];
	struct vm_table t;
	char *line;
	size_t len;
	int r;

	memset(kinds, 0, sizeof(kinds));
	table_init(&t, ctx->arena, ctx->cfg->max_vmalloc_callers);
	while ((r = ks_lines_next(lr, &line, &len)) > 0) {
		struct vm_line vl;

		/* A line longer than the reader's buffer is not one s_show
		 * prints; its cut head would carry half a token. */
		if (lr->overlong || !parse_line(line, &vl)) {
			if (*ks_skip_space(line))
				st->lines_skipped++;
			continue;
		}
		account(out, &t, ctx->arena, kinds, &vl, st);
	}
	finish(out, &t, ctx->arena, kinds, st);
	ks_status_read_done(st, lr, "proc/vmallocinfo", r);
}

void ks_section_vmalloc(struct ks_ctx *ctx, KsSnapshot *snap, KsStatus *st)
{
	KsVmalloc *v = ks_arena_alloc(ctx->arena, sizeof(*v));
	struct ks_lines lr;
	int err;

	if (!v)
		return;
	kmemsnap__v1__vmalloc__init(v);
	v->status = st;
	snap->vmalloc = v;
	/* Mode 0400: unavailable with EACCES when not root. */
	err = ks_lines_open(&lr, ctx->root_fd, "proc/vmallocinfo", ctx->io_buf,
			    ctx->io_cap);
	if (err < 0) {
		ks_status_unavailable(st, "proc/vmallocinfo", err);
		return;
	}
	ks_parse_vmallocinfo(&lr, ctx, v, st);
	ks_lines_close(&lr);
}

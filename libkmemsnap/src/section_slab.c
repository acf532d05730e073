/* SPDX-License-Identifier: MIT */
/*
 * Slab caches, from /proc/slabinfo 2.x (mm/slab_common.c:
 * print_slabinfo_header and cache_show, 3.10 -> 6.x; mm/slab.c
 * slabinfo_show_stats for SLAB with statistics, <= 6.7), or, when that file
 * cannot be opened or gives no cache, from SLUB's sysfs directories
 * /sys/kernel/slab/<cache>/ (mm/slub.c: the *_show attributes, sprintf
 * before 5.10, sysfs_emit since). 6.8+ has /proc/slabinfo only with
 * CONFIG_SLUB_DEBUG, and SLUB makes it 0400.
 *
 * Every cache counts in the totals; only the largest footprints are kept in
 * full, in a bounded min-heap of fixed slots, so memory does not grow with
 * the number of caches and an evicted cache leaves no garbage in the arena.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

typedef Kmemsnap__V1__Slab KsSlab;
typedef Kmemsnap__V1__SlabCache KsSlabCache;

/* Bytes kept of a cache name, with its NUL. Names come from
 * kmem_cache_create() callers and are short (the longest in the samples,
 * "iwl_cmd_pool:0000:04:00.0" and "inotify_event_private_data", have 26);
 * a longer one is cut to 63 bytes, so two caches sharing such a prefix
 * would show the same name. */
#define SLAB_NAME_MAX 64
/* Values kept of a ": globalstat" or ": cpustat" group. SLAB printed at
 * most 9 and 4; further values are dropped, the row still counts. */
#define SLAB_STAT_MAX 12

/* One cache: the message plus the storage its pointers refer to. A parsed
 * row lives on the stack; a kept one is copied into a heap slot. */
struct slab_slot {
	KsSlabCache msg;
	char name[SLAB_NAME_MAX];
	uint64_t globalstat[SLAB_STAT_MAX];
	uint64_t cpustat[SLAB_STAT_MAX];
	uint64_t footprint; /* num_slabs * pages_per_slab * page size */
};

/* The totals and the kept caches of one pass. heap is a min-heap on
 * (footprint, name), so the smallest kept cache sits at the root and is the
 * one a larger newcomer replaces. */
struct slab_acc {
	struct ks_ctx *ctx;
	KsSlab *out;
	KsStatus *st;
	KsSlabCache **heap; /* msg of a struct slab_slot */
	size_t len;
	size_t cap;
	bool lossy;   /* dropping a cache is truncation, not top-N selection */
	bool dropped; /* some cache was not kept */
};

/* ---- the top-N heap ------------------------------------------------------ */

static struct slab_slot *slot_of(KsSlabCache *c)
{
	return (struct slab_slot *)((char *)c - offsetof(struct slab_slot, msg));
}

/* Ranks a below b: smaller footprint, or the same and a later name, so the
 * output (largest first) breaks ties by name in ascending order. */
static bool ranks_below(const struct slab_slot *a, const struct slab_slot *b)
{
	if (a->footprint != b->footprint)
		return a->footprint < b->footprint;
	return strcmp(a->name, b->name) > 0;
}

static bool entry_below(KsSlabCache **heap, size_t i, size_t j)
{
	return ranks_below(slot_of(heap[i]), slot_of(heap[j]));
}

static void swap_entries(KsSlabCache **heap, size_t i, size_t j)
{
	KsSlabCache *t = heap[i];

	heap[i] = heap[j];
	heap[j] = t;
}

static void sift_up(KsSlabCache **heap, size_t i)
{
	while (i > 0 && entry_below(heap, i, (i - 1) / 2)) {
		swap_entries(heap, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static void sift_down(KsSlabCache **heap, size_t len, size_t i)
{
	for (;;) {
		size_t low = i, l = 2 * i + 1, r = 2 * i + 2;

		if (l < len && entry_below(heap, l, low))
			low = l;
		if (r < len && entry_below(heap, r, low))
			low = r;
		if (low == i)
			return;
		swap_entries(heap, i, low);
		i = low;
	}
}

/* Heap sort in place: popping the minimum to the end leaves the array
 * largest first. */
static void sort_largest_first(KsSlabCache **heap, size_t len)
{
	while (len > 1) {
		len--;
		swap_entries(heap, 0, len);
		sift_down(heap, len, 0);
	}
}

static void copy_slot(struct slab_slot *dst, const struct slab_slot *src)
{
	*dst = *src;
	dst->msg.name = dst->name;
	dst->msg.globalstat = dst->msg.n_globalstat ? dst->globalstat : NULL;
	dst->msg.cpustat = dst->msg.n_cpustat ? dst->cpustat : NULL;
}

/* ---- totals and selection ------------------------------------------------ */

static void acc_init(struct slab_acc *acc, struct ks_ctx *ctx, KsSlab *out,
		     KsStatus *st)
{
	uint32_t top = ctx->cfg->slab_top_n, max = ctx->cfg->max_slab_caches;
	size_t fit = ctx->arena->cap / sizeof(struct slab_slot);

	memset(acc, 0, sizeof(*acc));
	acc->ctx = ctx;
	acc->out = out;
	acc->st = st;
	acc->cap = top && top < max ? top : max;
	acc->lossy = top == 0 || top > max;
	/* More slots than the arena could ever hold would only fail later. */
	if (acc->cap > fit) {
		acc->cap = fit;
		acc->lossy = true;
	}
	if (acc->cap == 0)
		return;
	acc->heap = ks_arena_alloc(ctx->arena, acc->cap * sizeof(*acc->heap));
	if (!acc->heap) {
		acc->cap = 0;
		ks_status_truncated(st);
	}
}

static void note_dropped(struct slab_acc *acc)
{
	acc->dropped = true;
	if (acc->lossy)
		ks_status_truncated(acc->st);
}

/* Keeps row if it is among the cap largest seen so far. */
static void keep(struct slab_acc *acc, const struct slab_slot *row)
{
	struct slab_slot *slot;

	if (acc->len < acc->cap) {
		slot = ks_arena_alloc(acc->ctx->arena, sizeof(*slot));
		if (slot) {
			copy_slot(slot, row);
			acc->heap[acc->len] = &slot->msg;
			sift_up(acc->heap, acc->len++);
			return;
		}
		/* The arena is full: keep what fits, still the largest. */
		acc->cap = acc->len;
		acc->lossy = true;
	}
	note_dropped(acc);
	if (acc->len == 0 || !ranks_below(slot_of(acc->heap[0]), row))
		return;
	/* The root, the smallest kept, makes way. */
	copy_slot(slot_of(acc->heap[0]), row);
	sift_down(acc->heap, acc->len, 0);
}

static void add_cache(struct slab_acc *acc, const struct slab_slot *row)
{
	KsSlab *out = acc->out;

	out->caches_total++;
	out->active_objs_total += row->msg.active_objs;
	out->num_objs_total += row->msg.num_objs;
	out->active_bytes_total += row->msg.active_objs * row->msg.objsize_bytes;
	out->footprint_bytes_total += row->footprint;
	keep(acc, row);
}

/* top_n is 0 when every cache was kept, else how many were kept: then the
 * list holds exactly the largest top_n of caches_total. */
static void acc_finish(struct slab_acc *acc)
{
	KsSlab *out = acc->out;

	sort_largest_first(acc->heap, acc->len);
	out->caches = acc->heap;
	out->n_caches = acc->len;
	out->has_caches_total = true;
	out->has_active_objs_total = true;
	out->has_num_objs_total = true;
	out->has_active_bytes_total = true;
	out->has_footprint_bytes_total = true;
	out->has_top_n = true;
	out->top_n = acc->dropped ? (uint32_t)acc->len : 0;
}

static void row_init(struct slab_slot *row, const char *name, size_t len)
{
	size_t n = len < SLAB_NAME_MAX ? len : SLAB_NAME_MAX - 1;

	kmemsnap__v1__slab_cache__init(&row->msg);
	memcpy(row->name, name, n);
	row->name[n] = '\0';
	row->msg.name = row->name;
	row->footprint = 0;
}

/* ---- /proc/slabinfo ------------------------------------------------------ */

/* A token that is a whole decimal number. Up to 19 digits cannot overflow
 * (10^19 - 1 < 2^64), so those are summed here without ks_parse_u64's call
 * and checks: this runs for the eleven numbers of every row. */
static bool token_u64(const char *tok, size_t len, uint64_t *v)
{
	const char *p = tok;
	uint64_t x = 0;
	size_t i;

	if (len == 0 || len > 19)
		return ks_parse_u64(&p, v) && p == tok + len;
	for (i = 0; i < len; i++) {
		unsigned digit = (unsigned)(unsigned char)tok[i] - '0';

		if (digit > 9)
			return false;
		x = x * 10 + digit;
	}
	*v = x;
	return true;
}

/* A ": <word> n n ..." group. Its values end at the next ":" token or at the
 * end of the line; bad is set when a token among them is not a number. */
struct slab_group {
	const char *word;
	size_t word_len;
	uint64_t v[SLAB_STAT_MAX];
	size_t n;
	bool bad;
};

/* Reads the group after a ":" token. Returns true when another ":" follows. */
static bool read_group(const char **p, struct slab_group *g)
{
	const char *tok;
	size_t len;
	uint64_t v;

	/* Not a memset: v[] is written before it is read, and this runs
	 * twice a line. */
	g->n = 0;
	g->bad = false;
	if (!ks_next_token(p, &g->word, &g->word_len)) {
		g->word = NULL;
		g->word_len = 0;
		g->bad = true;
		return false;
	}
	while (ks_next_token(p, &tok, &len)) {
		if (ks_token_is(tok, len, ":"))
			return true;
		if (!token_u64(tok, len, &v))
			g->bad = true;
		else if (g->n < SLAB_STAT_MAX)
			g->v[g->n++] = v;
	}
	return false;
}

/* What a row had: tunables and slabdata are required. */
#define HAD_TUNABLES 1u
#define HAD_SLABDATA 2u

static bool store_tunables(struct slab_slot *row, const struct slab_group *g)
{
	KsSlabCache *c = &row->msg;

	if (g->n != 3 || g->v[0] > UINT32_MAX || g->v[1] > UINT32_MAX ||
	    g->v[2] > UINT32_MAX)
		return false;
	c->limit = (uint32_t)g->v[0];
	c->batchcount = (uint32_t)g->v[1];
	c->shared_factor = (uint32_t)g->v[2];
	return true;
}

static bool store_slabdata(struct slab_slot *row, const struct slab_group *g)
{
	KsSlabCache *c = &row->msg;

	if (g->n != 3)
		return false;
	c->has_active_slabs = c->has_num_slabs = true;
	c->active_slabs = g->v[0];
	c->num_slabs = g->v[1];
	c->shared_avail = g->v[2];
	return true;
}

static bool store_stats(uint64_t *dst, size_t *n, const struct slab_group *g)
{
	if (g->n == 0)
		return false;
	memcpy(dst, g->v, g->n * sizeof(*dst));
	*n = g->n;
	return true;
}

/* Unknown groups (a 2.6 Android patch added ": shrinker stat n n") are
 * ignored whatever they hold; a known one must be well formed. */
static bool store_group(struct slab_slot *row, const struct slab_group *g,
			unsigned *had)
{
	KsSlabCache *c = &row->msg;

	if (g->word_len == 0) /* a ":" ends the line */
		return false;
	if (ks_token_is(g->word, g->word_len, "tunables")) {
		*had |= HAD_TUNABLES;
		return !g->bad && store_tunables(row, g);
	}
	if (ks_token_is(g->word, g->word_len, "slabdata")) {
		*had |= HAD_SLABDATA;
		return !g->bad && store_slabdata(row, g);
	}
	if (ks_token_is(g->word, g->word_len, "globalstat"))
		return !g->bad && store_stats(row->globalstat, &c->n_globalstat, g);
	if (ks_token_is(g->word, g->word_len, "cpustat"))
		return !g->bad && store_stats(row->cpustat, &c->n_cpustat, g);
	return true;
}

/* SLUB prints the tunables and sharedavail as 0, so they are left unset;
 * SLAB's are all set when any is non-zero (sharedfactor is 0 on UP, as in
 * sample slabinfo/7). */
static void set_tunables_if_slab(KsSlabCache *c)
{
	bool slab = c->limit || c->batchcount || c->shared_factor ||
		    c->shared_avail;

	c->has_limit = c->has_batchcount = slab;
	c->has_shared_factor = c->has_shared_avail = slab;
}

/* The groups after the first ":" token. Old SLAB's globalstat holds literal
 * TABs (a backslash-newline inside a string literal, sample slabinfo/6);
 * the tokenizer treats them as blanks. */
static bool parse_groups(const char *p, struct slab_slot *row)
{
	struct slab_group g;
	unsigned had = 0;
	bool more;

	do {
		more = read_group(&p, &g);
		if (!store_group(row, &g, &had))
			return false;
	} while (more);
	if (had != (HAD_TUNABLES | HAD_SLABDATA))
		return false;
	set_tunables_if_slab(&row->msg);
	row->msg.globalstat = row->msg.n_globalstat ? row->globalstat : NULL;
	row->msg.cpustat = row->msg.n_cpustat ? row->cpustat : NULL;
	return true;
}

/* The part before the first ":": "<name> <active_objs> <num_objs> <objsize>
 * <objperslab> <pagesperslab>". The five numbers are the last five tokens,
 * the name is everything before them, so a name longer than %-17s, wide
 * numbers, or even a name with a blank (only WARNed under DEBUG_VM) parse
 * alike. Returns the text after the ":" or NULL. */
#define HEAD_NUMBERS 5

static const char *parse_head(const char *line, struct slab_slot *row)
{
	const char *tok[HEAD_NUMBERS + 1], *p = line, *t;
	size_t len[HEAD_NUMBERS + 1], n = 0, l, i, k;
	const char *first = NULL;
	uint64_t v[HEAD_NUMBERS];
	KsSlabCache *c = &row->msg;
	bool colon = false;

	while (ks_next_token(&p, &t, &l)) {
		if (ks_token_is(t, l, ":")) {
			colon = true;
			break;
		}
		if (!first)
			first = t;
		tok[n % (HEAD_NUMBERS + 1)] = t;
		len[n % (HEAD_NUMBERS + 1)] = l;
		n++;
	}
	if (!colon || n < HEAD_NUMBERS + 1)
		return NULL;
	for (i = 0; i < HEAD_NUMBERS; i++) {
		k = (n - HEAD_NUMBERS + i) % (HEAD_NUMBERS + 1);
		if (!token_u64(tok[k], len[k], &v[i]))
			return NULL;
	}
	if (v[2] > UINT32_MAX || v[3] > UINT32_MAX || v[4] > UINT32_MAX)
		return NULL;
	k = (n - HEAD_NUMBERS - 1) % (HEAD_NUMBERS + 1); /* the name's last token */
	row_init(row, first, (size_t)(tok[k] + len[k] - first));
	c->has_active_objs = c->has_num_objs = c->has_objsize_bytes = true;
	c->has_objs_per_slab = c->has_pages_per_slab = true;
	c->active_objs = v[0];
	c->num_objs = v[1];
	c->objsize_bytes = (uint32_t)v[2];
	c->objs_per_slab = (uint32_t)v[3];
	c->pages_per_slab = (uint32_t)v[4];
	return p;
}

static bool parse_row(const char *line, struct slab_slot *row,
		      uint32_t page_size)
{
	const char *rest = parse_head(line, row);

	if (!rest || !parse_groups(rest, row))
		return false;
	row->footprint = row->msg.num_slabs * row->msg.pages_per_slab * page_size;
	return true;
}

/* "slabinfo - version: 2.1", optionally " (statistics)". A file without a
 * 2.x header is refused rather than guessed at: 1.x (2.4 kernels) had other
 * columns, and a file that is not slabinfo at all (a wrong bind mount, a
 * truncated copy) would otherwise yield plausible garbage. */
#define HEADER_PREFIX "slabinfo - version: "
#define VERSION_MAX 32

static bool parse_header(const char *line, size_t len, struct ks_arena *a,
			 KsSlab *out)
{
	const char *v = line + strlen(HEADER_PREFIX);

	if (!ks_starts_with(line, HEADER_PREFIX "2."))
		return false;
	len -= (size_t)(v - line);
	while (len > 0 && (v[len - 1] == ' ' || v[len - 1] == '\r'))
		len--;
	out->version = ks_arena_strndup(a, v, len < VERSION_MAX ? len : VERSION_MAX);
	return true;
}

static bool is_comment_or_blank(const char *line)
{
	const char *p = ks_skip_space(line);

	return *p == '#' || *p == '\0';
}

void ks_parse_slabinfo(struct ks_lines *lr, struct ks_ctx *ctx, KsSlab *out,
		       KsStatus *st)
{
	struct slab_slot row;
	struct slab_acc acc;
	char *line;
	size_t len;
	int r = ks_lines_next(lr, &line, &len);

	st->has_source_bytes = true;
	if (r <= 0 || !parse_header(line, len, ctx->arena, out)) {
		ks_status_unavailable(st, "proc/slabinfo", r < 0 ? r : -EPROTO);
		st->source_bytes = lr->bytes;
		return;
	}
	out->has_source = true;
	out->source = KMEMSNAP__V1__SLAB_SOURCE__SLAB_SOURCE_PROC_SLABINFO;
	acc_init(&acc, ctx, out, st);
	while ((r = ks_lines_next(lr, &line, &len)) > 0) {
		if (is_comment_or_blank(line))
			continue;
		/* A cut line's tail is lost; parsing its head could misread. */
		if (lr->overlong || !parse_row(line, &row, ctx->page_size)) {
			st->lines_skipped++;
			continue;
		}
		add_cache(&acc, &row);
	}
	acc_finish(&acc);
	ks_status_read_done(st, lr, "proc/slabinfo", r);
}

/* ---- /sys/kernel/slab ---------------------------------------------------- */

/* Reads the first number of an attribute file. objects, total_objects and
 * slabs print "N N0=.. N1=.." on NUMA (show_slab_objects); the others a bare
 * "%u\n". A missing file (objects/slabs need CONFIG_SLUB_DEBUG) or one that
 * cannot be read leaves the field unset; unparsable text is counted. */
static bool read_attr(struct slab_acc *acc, int dirfd, const char *file,
		      uint64_t *v)
{
	char buf[64]; /* the first number fits; the node list may be cut */
	const char *p = buf;
	long n = ks_read_small(dirfd, file, buf, sizeof(buf));
	uint64_t x;

	if (n < 0)
		return false;
	acc->st->source_bytes += (uint64_t)n;
	if (!ks_parse_u64(&p, &x) || (*p != '\0' && *p != '\n' && *p != ' ')) {
		acc->st->lines_skipped++;
		return false;
	}
	*v = x;
	return true;
}

static bool read_attr_u32(struct slab_acc *acc, int dirfd, const char *file,
			  uint32_t *v)
{
	uint64_t x;

	if (!read_attr(acc, dirfd, file, &x))
		return false;
	if (x > UINT32_MAX) {
		acc->st->lines_skipped++;
		return false;
	}
	*v = (uint32_t)x;
	return true;
}

/* order gives pages_per_slab as 1 << order, as cache_show prints it. */
static bool read_order(struct slab_acc *acc, int dirfd, KsSlabCache *c)
{
	uint32_t order;

	if (!read_attr_u32(acc, dirfd, "order", &order))
		return false;
	if (order >= 32) {
		acc->st->lines_skipped++;
		return false;
	}
	c->has_order = c->has_pages_per_slab = true;
	c->order = order;
	c->pages_per_slab = 1u << order;
	return true;
}

/* Fills row from one cache directory; returns how many values it read. */
static unsigned read_cache_attrs(struct slab_acc *acc, int dirfd,
				 struct slab_slot *row)
{
	KsSlabCache *c = &row->msg;

	c->has_active_objs = read_attr(acc, dirfd, "objects", &c->active_objs);
	c->has_num_objs = read_attr(acc, dirfd, "total_objects", &c->num_objs);
	c->has_objsize_bytes =
		read_attr_u32(acc, dirfd, "slab_size", &c->objsize_bytes);
	c->has_objs_per_slab =
		read_attr_u32(acc, dirfd, "objs_per_slab", &c->objs_per_slab);
	c->has_aliases = read_attr_u32(acc, dirfd, "aliases", &c->aliases);
	c->has_num_slabs = read_attr(acc, dirfd, "slabs", &c->num_slabs);
	/* SLUB's cache_show prints active_slabs = num_slabs as well
	 * (get_slabinfo in mm/slub.c sets both from nr_slabs). */
	c->has_active_slabs = c->has_num_slabs;
	c->active_slabs = c->num_slabs;
	return (unsigned)(c->has_active_objs + c->has_num_objs +
			  c->has_objsize_bytes + c->has_objs_per_slab +
			  c->has_aliases + c->has_num_slabs) +
	       read_order(acc, dirfd, c);
}

/* Returns how many values the cache directory gave. A directory that went
 * away since it was listed (the cache was destroyed) is not counted. */
static unsigned read_cache(struct slab_acc *acc, int slab_fd, const char *name)
{
	int fd = openat(slab_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct slab_slot row;
	unsigned got;

	if (fd < 0)
		return 0;
	row_init(&row, name, strlen(name));
	got = read_cache_attrs(acc, fd, &row);
	close(fd);
	row.footprint = row.msg.num_slabs * row.msg.pages_per_slab *
			acc->ctx->page_size;
	add_cache(acc, &row);
	return got;
}

/* Merged caches appear once as a directory named by a unique ID
 * (":0000064", ":A-0000192") and once more per name as a symlink to it
 * (mm/slub.c: sysfs_slab_alias); only directories are caches, so aliases
 * are not counted twice. */
static bool is_cache_dir(int slab_fd, const struct dirent64 *d)
{
	struct stat sb;

	if (d->d_name[0] == '.')
		return false;
	if (d->d_type == DT_DIR)
		return true;
	if (d->d_type != DT_UNKNOWN)
		return false;
	return fstatat(slab_fd, d->d_name, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
	       S_ISDIR(sb.st_mode);
}

/* Lists the directory with getdents64 into buf (opendir/readdir malloc).
 * Returns the number of values read, or -errno when listing failed before
 * any cache was read. */
static long scan_slab_dir(struct slab_acc *acc, int slab_fd, char *buf,
			  size_t cap)
{
	unsigned long got = 0;
	ssize_t n;

	while ((n = getdents64(slab_fd, buf, cap)) > 0) {
		size_t off = 0;

		while (off < (size_t)n) {
			const struct dirent64 *d = (const void *)(buf + off);

			if (d->d_reclen == 0)
				break;
			if (is_cache_dir(slab_fd, d))
				got += read_cache(acc, slab_fd, d->d_name);
			off += d->d_reclen;
		}
	}
	if (n < 0 && acc->out->caches_total == 0)
		return -errno;
	if (n < 0)
		ks_status_truncated(acc->st);
	return (long)got;
}

/* The section could use neither source. */
static void both_unavailable(KsSlab *s, KsStatus *st, int slabinfo_errno)
{
	kmemsnap__v1__slab__init(s);
	kmemsnap__v1__section_status__init(st);
	s->status = st;
	s->has_slabinfo_errno = true;
	s->slabinfo_errno = slabinfo_errno;
	ks_status_unavailable(st, "proc/slabinfo", slabinfo_errno);
}

static void read_sysfs(struct ks_ctx *ctx, KsSlab *s, KsStatus *st,
		       int slabinfo_errno)
{
	int fd = openat(ctx->root_fd, "sys/kernel/slab",
			O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct slab_acc acc;
	long got;

	if (fd < 0) {
		both_unavailable(s, st, slabinfo_errno);
		return;
	}
	kmemsnap__v1__slab__init(s);
	kmemsnap__v1__section_status__init(st);
	s->status = st;
	st->has_source_bytes = true;
	acc_init(&acc, ctx, s, st);
	/* The line reader is idle here, so its buffer takes the listing. */
	got = scan_slab_dir(&acc, fd, ctx->io_buf, ctx->io_cap);
	close(fd);
	/* No value at all: not root (the attributes are 0400), or an empty
	 * directory. Caches with only names would hide the real failure. */
	if (got <= 0) {
		both_unavailable(s, st, slabinfo_errno);
		return;
	}
	acc_finish(&acc);
	s->has_source = true;
	s->source = KMEMSNAP__V1__SLAB_SOURCE__SLAB_SOURCE_SYSFS;
	s->has_slabinfo_errno = true;
	s->slabinfo_errno = slabinfo_errno;
	st->has_lines_skipped = st->lines_skipped > 0;
}

/* /proc/slabinfo is unusable when it could not be read or had no 2.x header
 * and gave no cache. A read error after some rows keeps what was read. */
static bool slabinfo_unusable(const KsSlab *s, const KsStatus *st)
{
	return st->state == KMEMSNAP__V1__SECTION_STATUS__STATE__STATE_UNAVAILABLE &&
	       s->caches_total == 0;
}

void ks_section_slab(struct ks_ctx *ctx, KsSnapshot *snap, KsStatus *st)
{
	KsSlab *s = ks_arena_alloc(ctx->arena, sizeof(*s));
	struct ks_lines lr;
	int err;

	if (!s)
		return;
	kmemsnap__v1__slab__init(s);
	s->status = st;
	snap->slab = s;
	err = ks_lines_open(&lr, ctx->root_fd, "proc/slabinfo", ctx->io_buf,
			    ctx->io_cap);
	if (err < 0) {
		read_sysfs(ctx, s, st, -err);
		return;
	}
	ks_parse_slabinfo(&lr, ctx, s, st);
	ks_lines_close(&lr);
	if (slabinfo_unusable(s, st))
		read_sysfs(ctx, s, st, st->error_number);
}

/* SPDX-License-Identifier: MIT */
/*
 * kmemleak's report, /sys/kernel/debug/kmemleak (mm/kmemleak.c:
 * print_unreferenced, shown by kmemleak_seq_show). One record per object:
 *
 *   unreferenced object 0x%08lx (size %zu):
 *     comm "%s", pid %d, jiffies %lu (age %d.%03ds)   "(age ..)" to ~6.5
 *     hex dump (first %zu bytes):                     at most 2 rows of 16
 *       00 11 22 .. ff  ascii
 *     backtrace:                                      to ~6.5
 *     backtrace (crc %x):                             ~6.6+
 *       [<%p>] %pS                                    to ~6.13
 *       %pS                                           6.14+
 *
 * A leak is usually many objects from one call path, so objects are grouped
 * by backtrace: each distinct frame text is stored once (Kmemleak.symbols)
 * and a group's backtrace is a list of indexes into it. Groups past the
 * configured bound are summed, never dropped silently. Records are parsed by
 * their leading words, not by kernel version: reports pasted from mail come
 * indented, wrapped or cut, and must cost a skipped line, never a crash.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "internal.h"

typedef Kmemsnap__V1__Kmemleak KsKmemleak;
typedef Kmemsnap__V1__KmemleakGroup KsLeakGroup;
typedef Kmemsnap__V1__KmemleakObject KsLeakObject;

#define DEBUGFS_DIR "sys/kernel/debug"
#define KMEMLEAK_PATH "sys/kernel/debug/kmemleak"

/* mm/kmemleak.c hex_dump_object: HEX_MAX_LINES (2) x HEX_ROW_SIZE (16). */
#define HEX_ROW_BYTES 16
#define HEX_DUMP_BYTES 32
/* Twice the kernel's MAX_TRACE (16); frames past this are dropped. */
#define MAX_FRAMES 32
/* The symbol table holds this many distinct frame texts per kept group. */
#define SYMBOLS_PER_GROUP 16
/* Keeps the table sizes below from overflowing whatever the option says. */
#define MAX_GROUPS_CEILING 65536u
/* Backtraces past the bound are remembered by hash, to count each once. */
#define MIN_CUT_TRACES 1024u
/* TASK_COMM_LEN is 16; a longer name is cut. */
#define COMM_BYTES 64

/* SectionStatus.detail when the report cannot be read. */
static const char NOT_MOUNTED[] = "debugfs not mounted";
static const char DISABLED[] = "kmemleak not compiled in or disabled";
static const char NO_PERMISSION[] = "no permission";

enum part { PART_HEADER, PART_HEX, PART_TRACE };

/* The record being read; it becomes an object of a group at its end. */
struct record {
	bool open;	  /* a header was parsed: the object counts */
	enum part part;	  /* where the next unlabelled line belongs */
	KsLeakObject obj; /* comm and hex_dump are filled when kept */
	char comm[COMM_BYTES];
	size_t comm_len;
	bool has_comm;
	uint8_t hex[HEX_DUMP_BYTES];
	size_t hex_len;
	size_t hex_want; /* "first N bytes", at most HEX_DUMP_BYTES */
	bool has_crc;
	uint32_t crc;
	uint32_t frames[MAX_FRAMES];
	size_t n_frames;
	uint64_t trace_hash; /* over the frame texts, in order */
	bool unstored;	     /* a frame is not in the symbol table */
};

/* Open addressing: a slot holds an index + 1, 0 is empty. Capacity is a
 * power of two at least twice the entries, so probing always ends. */
struct table {
	uint32_t *slots;
	uint32_t mask;
};

struct parser {
	struct ks_arena *arena;
	KsKmemleak *out;
	KsStatus *st;
	uint32_t max_groups;
	uint32_t max_symbols;
	struct table group_index;
	uint64_t *group_hash;
	struct table symbol_index;
	uint64_t *symbol_hash;
	uint32_t *symbol_len;
	uint64_t *cut_traces; /* hashes of cut backtraces, 0 = empty */
	uint32_t cut_mask;
	uint32_t cut_max;
	uint32_t n_cut_traces;
	struct record rec;
};

/* ---- tables ------------------------------------------------------------- */

static uint32_t slots_for(uint32_t entries)
{
	uint32_t n = 2;

	while (n < 2 * entries)
		n <<= 1;
	return n;
}

static void *carve(uint8_t **mem, size_t bytes)
{
	void *p = *mem;

	*mem += bytes;
	return p;
}

/* All tables in one allocation, so a failed attempt costs the arena nothing
 * and a smaller bound can be tried. 8-byte arrays come first for alignment. */
static bool alloc_tables(struct parser *p, uint32_t groups)
{
	uint32_t symbols = groups * SYMBOLS_PER_GROUP;
	uint32_t cut_max = groups * 4 > MIN_CUT_TRACES ? groups * 4 :
							 MIN_CUT_TRACES;
	uint32_t group_slots = slots_for(groups);
	uint32_t symbol_slots = slots_for(symbols);
	uint32_t cut_slots = slots_for(cut_max);
	size_t bytes = (size_t)groups * (sizeof(KsLeakGroup *) + 8) +
		       (size_t)symbols * (sizeof(char *) + 8 + 4) +
		       (size_t)cut_slots * 8 +
		       ((size_t)group_slots + symbol_slots) * 4;
	uint8_t *mem = ks_arena_alloc(p->arena, bytes);

	if (!mem)
		return false;
	p->out->groups = carve(&mem, groups * sizeof(KsLeakGroup *));
	p->group_hash = carve(&mem, groups * 8ul);
	p->out->symbols = carve(&mem, symbols * sizeof(char *));
	p->symbol_hash = carve(&mem, symbols * 8ul);
	p->cut_traces = carve(&mem, cut_slots * 8ul);
	p->symbol_len = carve(&mem, symbols * 4ul);
	p->group_index.slots = carve(&mem, group_slots * 4ul);
	p->symbol_index.slots = carve(&mem, symbol_slots * 4ul);
	p->group_index.mask = group_slots - 1;
	p->symbol_index.mask = symbol_slots - 1;
	p->cut_mask = cut_slots - 1;
	p->cut_max = cut_max;
	p->max_groups = groups;
	p->max_symbols = symbols;
	return true;
}

/* Index of a frame text in out->symbols. A new text is added only while
 * groups can still be created: once they cannot, a text no kept group
 * uses would only bloat the message. False when the text is not stored. */
static bool intern(struct parser *p, const char *text, size_t len, uint64_t h,
		   uint32_t *idx)
{
	KsKmemleak *out = p->out;
	uint32_t i = (uint32_t)h & p->symbol_index.mask;
	uint32_t slot;
	char *copy;

	while ((slot = p->symbol_index.slots[i]) != 0) {
		uint32_t s = slot - 1;

		if (p->symbol_hash[s] == h && p->symbol_len[s] == len &&
		    memcmp(out->symbols[s], text, len) == 0) {
			*idx = s;
			return true;
		}
		i = (i + 1) & p->symbol_index.mask;
	}
	if (out->n_symbols >= p->max_symbols || out->n_groups >= p->max_groups)
		return false;
	copy = ks_arena_strndup(p->arena, text, len);
	if (!copy)
		return false;
	*idx = (uint32_t)out->n_symbols++;
	out->symbols[*idx] = copy;
	p->symbol_hash[*idx] = h;
	p->symbol_len[*idx] = (uint32_t)len;
	p->symbol_index.slots[i] = *idx + 1;
	return true;
}

/* The group with the record's backtrace, or NULL and the free slot for it. */
static KsLeakGroup *find_group(struct parser *p, uint32_t *free_slot)
{
	const struct record *r = &p->rec;
	uint32_t i = (uint32_t)r->trace_hash & p->group_index.mask;
	uint32_t slot;

	while ((slot = p->group_index.slots[i]) != 0) {
		KsLeakGroup *g = p->out->groups[slot - 1];

		if (p->group_hash[slot - 1] == r->trace_hash &&
		    g->n_frames == r->n_frames &&
		    memcmp(g->frames, r->frames, r->n_frames * 4) == 0)
			return g;
		i = (i + 1) & p->group_index.mask;
	}
	*free_slot = i;
	return NULL;
}

/* True the first time a cut backtrace is seen. When the set is full the
 * count of cut groups becomes a lower bound. */
static bool remember_cut_trace(struct parser *p)
{
	uint64_t h = p->rec.trace_hash ? p->rec.trace_hash : 1;
	uint32_t i = (uint32_t)h & p->cut_mask;

	while (p->cut_traces[i] != 0) {
		if (p->cut_traces[i] == h)
			return false;
		i = (i + 1) & p->cut_mask;
	}
	if (p->n_cut_traces >= p->cut_max)
		return false;
	p->cut_traces[i] = h;
	p->n_cut_traces++;
	return true;
}

/* ---- groups ------------------------------------------------------------- */

static KsLeakObject *copy_sample(struct parser *p)
{
	const struct record *r = &p->rec;
	KsLeakObject *o = ks_arena_alloc(p->arena, sizeof(*o));

	if (!o)
		return NULL;
	*o = r->obj;
	if (r->has_comm) {
		o->comm = ks_arena_strndup(p->arena, r->comm, r->comm_len);
		if (!o->comm)
			return NULL;
	}
	if (r->hex_len) {
		o->hex_dump.data = ks_arena_alloc(p->arena, r->hex_len);
		if (!o->hex_dump.data)
			return NULL;
		memcpy(o->hex_dump.data, r->hex, r->hex_len);
		o->hex_dump.len = r->hex_len;
		o->has_hex_dump = true;
	}
	return o;
}

/* A group for the record's backtrace, its first object kept as the sample.
 * The crc printed since ~6.6 is the checksum of the object's contents
 * (update_checksum), not of the trace, so the sample's crc stands for it. */
static KsLeakGroup *new_group(struct parser *p, uint32_t slot)
{
	const struct record *r = &p->rec;
	KsKmemleak *out = p->out;
	KsLeakGroup *g = ks_arena_alloc(p->arena, sizeof(*g));
	uint32_t *frames = ks_arena_alloc(p->arena, r->n_frames * 4);
	KsLeakObject *sample = copy_sample(p);
	size_t n = out->n_groups;

	if (!g || !frames || !sample) {
		ks_status_truncated(p->st);
		return NULL;
	}
	kmemsnap__v1__kmemleak_group__init(g);
	memcpy(frames, r->frames, r->n_frames * 4);
	g->frames = frames;
	g->n_frames = r->n_frames;
	g->has_crc = r->has_crc;
	g->crc = r->crc;
	g->sample = sample;
	out->groups[n] = g;
	p->group_hash[n] = r->trace_hash;
	p->group_index.slots[slot] = (uint32_t)n + 1;
	out->n_groups++;
	return g;
}

static void add_object(KsLeakGroup *g, const KsLeakObject *o)
{
	g->has_objects = g->has_bytes = true;
	g->objects++;
	g->bytes += o->size_bytes;
	if (o->has_jiffies) {
		if (!g->has_min_jiffies || o->jiffies < g->min_jiffies)
			g->min_jiffies = o->jiffies;
		if (!g->has_max_jiffies || o->jiffies > g->max_jiffies)
			g->max_jiffies = o->jiffies;
		g->has_min_jiffies = g->has_max_jiffies = true;
	}
	if (o->has_age_ms) {
		if (!g->has_oldest_age_ms || o->age_ms > g->oldest_age_ms)
			g->oldest_age_ms = o->age_ms;
		if (!g->has_newest_age_ms || o->age_ms < g->newest_age_ms)
			g->newest_age_ms = o->age_ms;
		g->has_oldest_age_ms = g->has_newest_age_ms = true;
	}
}

static void cut_object(struct parser *p)
{
	KsKmemleak *out = p->out;

	out->has_cut_objects = out->has_cut_bytes = out->has_cut_groups = true;
	out->cut_objects++;
	out->cut_bytes += p->rec.obj.size_bytes;
	if (remember_cut_trace(p))
		out->cut_groups++;
	ks_status_truncated(p->st);
}

/* Files the finished record under its backtrace. A trace with a frame the
 * symbol table could not take cannot equal a kept group's (all of theirs
 * are stored), so it is cut without a look-up. */
static void finish_record(struct parser *p)
{
	struct record *r = &p->rec;
	KsLeakGroup *g = NULL;
	uint32_t slot = 0;

	if (!r->open)
		return;
	r->open = false;
	p->out->objects_total++;
	p->out->bytes_total += r->obj.size_bytes;
	if (!r->unstored) {
		g = find_group(p, &slot);
		if (!g && p->out->n_groups < p->max_groups)
			g = new_group(p, slot);
	}
	if (g)
		add_object(g, &r->obj);
	else
		cut_object(p);
}

/* Most bytes first, then most objects, then the oldest allocation. */
static bool ranks_before(const KsLeakGroup *a, const KsLeakGroup *b)
{
	if (a->bytes != b->bytes)
		return a->bytes > b->bytes;
	if (a->objects != b->objects)
		return a->objects > b->objects;
	return a->min_jiffies < b->min_jiffies;
}

static void sift_down(KsLeakGroup **g, size_t root, size_t n)
{
	for (;;) {
		size_t child = 2 * root + 1;
		size_t last = root;
		KsLeakGroup *tmp;

		if (child < n && ranks_before(g[last], g[child]))
			last = child;
		if (child + 1 < n && ranks_before(g[last], g[child + 1]))
			last = child + 1;
		if (last == root)
			return;
		tmp = g[root];
		g[root] = g[last];
		g[last] = tmp;
		root = last;
	}
}

/* Heapsort: in place and allocation-free (glibc's qsort may malloc). The
 * heap's root is the group that ranks last, moved to the end each round. */
static void sort_groups(KsLeakGroup **g, size_t n)
{
	size_t i;

	for (i = n / 2; i-- > 0;)
		sift_down(g, i, n);
	for (i = n; i-- > 1;) {
		KsLeakGroup *tmp = g[0];

		g[0] = g[i];
		g[i] = tmp;
		sift_down(g, 0, i);
	}
}

/* ---- one line at a time ------------------------------------------------- */

/* Capitalised "Unreferenced" appears in hand-edited reports (commit
 * messages); the kernel prints lower case. */
static bool is_header(const char *s)
{
	return (s[0] == 'u' || s[0] == 'U') &&
	       ks_starts_with(s + 1, "nreferenced object ");
}

/* "unreferenced object 0x%08lx (size %zu):"; %08lx gives 8 digits on 32-bit.
 * ~6.1x prints "object%s" with " (percpu)" or " (phys)" (__object_type_str). */
static bool start_record(struct record *r, const char *s)
{
	uint64_t address, size;

	s = ks_skip_space(s + strlen("unreferenced object "));
	if (*s == '(') {
		s = strchr(s, ')');
		if (!s)
			return false;
		s++;
	}
	if (!ks_parse_hex(&s, &address))
		return false;
	s = ks_skip_space(s);
	if (!ks_starts_with(s, "(size "))
		return false;
	s += strlen("(size ");
	if (!ks_parse_u64(&s, &size) || *s != ')')
		return false;
	memset(r, 0, sizeof(*r));
	kmemsnap__v1__kmemleak_object__init(&r->obj);
	r->obj.has_address = r->obj.has_size_bytes = true;
	r->obj.address = address;
	r->obj.size_bytes = size;
	r->open = true;
	return true;
}

/* "(age %d.%03ds)" (msecs_age / 1000, msecs_age % 1000), printed until
 * ~6.5. Anything else leaves the age unknown. */
static void parse_age(const char *s, KsLeakObject *o)
{
	const char *frac;
	uint64_t secs, ms;

	if (!ks_parse_u64(&s, &secs) || *s != '.' || secs > UINT64_MAX / 1000)
		return;
	frac = ++s;
	if (!ks_parse_u64(&s, &ms) || s - frac != 3 || *s != 's')
		return;
	o->has_age_ms = true;
	o->age_ms = secs * 1000 + ms;
}

/* "comm \"%s\", pid %d, jiffies %lu" and the optional age. A mail-wrapped
 * line may end in "(age": the age is then unknown, the rest is kept. */
static bool parse_comm(struct record *r, const char *s)
{
	const char *end;
	uint64_t jiffies;
	int64_t pid;

	s += strlen("comm \"");
	end = strstr(s, "\", pid ");
	if (!end)
		return false;
	r->comm_len = (size_t)(end - s) < COMM_BYTES ? (size_t)(end - s) :
						       COMM_BYTES;
	memcpy(r->comm, s, r->comm_len);
	s = end + strlen("\", pid ");
	if (!ks_parse_i64(&s, &pid) || pid < INT32_MIN || pid > INT32_MAX ||
	    !ks_starts_with(s, ", jiffies "))
		return false;
	s += strlen(", jiffies ");
	if (!ks_parse_u64(&s, &jiffies))
		return false;
	r->has_comm = true;
	r->obj.has_pid = r->obj.has_jiffies = true;
	r->obj.pid = (int32_t)pid;
	r->obj.jiffies = jiffies;
	s = ks_skip_space(s);
	if (ks_starts_with(s, "(age "))
		parse_age(s + strlen("(age "), &r->obj);
	return true;
}

/* "hex dump (first %zu bytes):", since ~2.6.32; len = min(size, 32). */
static bool parse_hex_header(struct record *r, const char *s)
{
	uint64_t n;

	s += strlen("hex dump (first ");
	if (!ks_parse_u64(&s, &n) || !ks_starts_with(s, " bytes)"))
		return false;
	r->hex_want = n < HEX_DUMP_BYTES ? (size_t)n : HEX_DUMP_BYTES;
	/* A second header in one record (two reports run together) starts
	 * the dump again: bytes kept past a smaller count would overflow. */
	r->hex_len = 0;
	r->part = PART_HEX;
	return true;
}

/* A row of seq_hex_dump(.., rowsize 16, groupsize 1, ascii): pairs joined by
 * one space, then at least two spaces and the ASCII column. Exactly as many
 * pairs as the header announced are read, so an ASCII column that looks like
 * hex ("DHHC-1:00:e6+AcD") is never taken for bytes. */
static bool parse_hex_row(struct record *r, const char *s)
{
	uint8_t row[HEX_ROW_BYTES];
	size_t want = r->hex_want - r->hex_len;
	size_t i;
	int hi, lo;

	if (want > HEX_ROW_BYTES)
		want = HEX_ROW_BYTES;
	if (want == 0)
		return false;
	for (i = 0; i < want; i++) {
		if (i > 0 && *s++ != ' ')
			return false;
		hi = ks_hex_digit(s[0]);
		lo = hi < 0 ? -1 : ks_hex_digit(s[1]);
		if (lo < 0 || (s[2] != ' ' && s[2] != '\0'))
			return false;
		row[i] = (uint8_t)(hi << 4 | lo);
		s += 2;
	}
	memcpy(r->hex + r->hex_len, row, want);
	r->hex_len += want;
	return true;
}

static bool is_backtrace_header(const char *s)
{
	return ks_starts_with(s, "backtrace:") ||
	       ks_starts_with(s, "backtrace (crc ");
}

/* "backtrace:" to ~6.5; "backtrace (crc %x):" since ~6.6 (Jim Cromie), the
 * crc not zero-padded ("838fb36", "0"). */
static bool parse_backtrace_header(struct record *r, const char *s)
{
	uint64_t crc;

	if (ks_starts_with(s, "backtrace (crc ")) {
		s += strlen("backtrace (crc ");
		if (!ks_parse_hex(&s, &crc) || crc > UINT32_MAX || *s != ')')
			return false;
		r->has_crc = true;
		r->crc = (uint32_t)crc;
	}
	r->part = PART_TRACE;
	return true;
}

/* "0x" and 8 or 16 'f': the ULONG_MAX entry that ended stack traces before
 * 5.2 ("[<ffffffffffffffff>] 0xffffffffffffffff"). Not a frame. */
static bool is_terminator(const char *t, size_t len)
{
	size_t i;

	if ((len != 10 && len != 18) || t[0] != '0' || t[1] != 'x')
		return false;
	for (i = 2; i < len; i++)
		if (t[i] != 'f')
			return false;
	return true;
}

/* %pS: "sym+0xoff/0xsize", maybe " [module]" (and, in syzkaller-symbolized
 * reports, " file.c:line"), or the bare address "0xffffffffc0cceec6" when
 * the symbol is unknown. */
static bool looks_like_frame(const char *t, size_t len)
{
	const char *space = memchr(t, ' ', len);
	size_t tok = space ? (size_t)(space - t) : len;
	const char *plus = memchr(t, '+', tok);
	size_t i;

	if (tok > 2 && t[0] == '0' && t[1] == 'x') {
		for (i = 2; i < tok; i++)
			if (ks_hex_digit(t[i]) < 0)
				return false;
		return true;
	}
	return plus && plus > t && (size_t)(plus - t) + 3 < tok &&
	       plus[1] == '0' && plus[2] == 'x' &&
	       memchr(plus, '/', tok - (size_t)(plus - t)) != NULL;
}

static void add_frame(struct parser *p, const char *text, size_t len)
{
	struct record *r = &p->rec;
	uint64_t h;
	uint32_t idx = 0;

	if (r->n_frames == MAX_FRAMES) {
		ks_status_truncated(p->st);
		return;
	}
	h = ks_hash_bytes(text, len, 0);
	r->trace_hash = ks_hash_bytes(&h, sizeof(h), r->trace_hash);
	if (!intern(p, text, len, h, &idx))
		r->unstored = true;
	r->frames[r->n_frames++] = idx;
}

/* "    [<%p>] %pS" to ~6.13 (%p raw before 4.15, hashed since, %pK ~6.5),
 * "    %pS" since 6.14 (backported to stables). The [<..>] column is a
 * per-boot address or hash that would make equal traces differ, so only
 * the text after it is kept. */
static bool parse_frame(struct parser *p, const char *s)
{
	const char *end;

	if (*s == '[') {
		s = strchr(s, ']');
		if (!s)
			return false;
		s = ks_skip_space(s + 1);
	}
	end = s + strlen(s);
	while (end > s &&
	       (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
		end--;
	if (is_terminator(s, (size_t)(end - s)))
		return true;
	if (!looks_like_frame(s, (size_t)(end - s)))
		return false;
	add_frame(p, s, (size_t)(end - s));
	return true;
}

/* Lines are told apart by their first words, after any indentation (quoted
 * reports are indented further). Returns false for a line that fits nowhere. */
static bool feed_line(struct parser *p, const char *s)
{
	struct record *r = &p->rec;

	if (is_header(s)) {
		finish_record(p);
		return start_record(r, s);
	}
	if (!r->open)
		return false;
	if (ks_starts_with(s, "comm \""))
		return parse_comm(r, s);
	if (ks_starts_with(s, "hex dump (first "))
		return parse_hex_header(r, s);
	if (is_backtrace_header(s))
		return parse_backtrace_header(r, s);
	if (r->part == PART_HEX)
		return parse_hex_row(r, s);
	if (r->part == PART_TRACE)
		return parse_frame(p, s);
	return false;
}

/* Sets up the tables, halving the bound until they fit the arena. */
static bool parser_init(struct parser *p, struct ks_ctx *ctx, KsKmemleak *out,
			KsStatus *st)
{
	uint32_t groups = ctx->cfg->max_kmemleak_groups;

	memset(p, 0, sizeof(*p));
	p->arena = ctx->arena;
	p->out = out;
	p->st = st;
	if (groups > MAX_GROUPS_CEILING)
		groups = MAX_GROUPS_CEILING;
	while (!alloc_tables(p, groups)) {
		if (groups == 0) {
			ks_status_truncated(st);
			return false;
		}
		groups /= 2;
	}
	return true;
}

void ks_parse_kmemleak(struct ks_lines *lr, struct ks_ctx *ctx, KsKmemleak *out,
		       KsStatus *st)
{
	struct parser p;
	char *line;
	size_t len;
	int r;

	if (!parser_init(&p, ctx, out, st))
		return;
	while ((r = ks_lines_next(lr, &line, &len)) > 0) {
		const char *s = ks_skip_space(line);

		if (*s == '\0')
			continue;
		if (lr->overlong || !feed_line(&p, s))
			st->lines_skipped++;
	}
	finish_record(&p);
	sort_groups(out->groups, out->n_groups);
	out->has_objects_total = out->has_bytes_total = true;
	out->has_groups_total = true;
	out->groups_total = (uint32_t)out->n_groups + out->cut_groups;
	ks_status_read_done(st, lr, KMEMLEAK_PATH, r);
}

/* ---- the file ----------------------------------------------------------- */

/* Whether the directory holds anything besides "." and "..". getdents64 is
 * the system call behind readdir, without its malloc. */
static bool dir_has_entries(int dirfd)
{
	char buf[1024] __attribute__((aligned(8)));
	ssize_t n;

	while ((n = getdents64(dirfd, buf, sizeof(buf))) > 0) {
		ssize_t off = 0;

		while (off < n) {
			const struct dirent64 *d = (const void *)(buf + off);

			if (strcmp(d->d_name, ".") != 0 &&
			    strcmp(d->d_name, "..") != 0)
				return true;
			off += d->d_reclen;
		}
	}
	return false;
}

/* debugfs is mounted on the directory when fstatfs says so. A fixture tree
 * has no real debugfs: there, a populated directory stands for a mount,
 * as an unmounted /sys/kernel/debug is an empty sysfs directory.
 * fstatfs is a plain system call (Linux-only, hence absent from POSIX's
 * async-signal-safe list). */
static bool debugfs_mounted(int dirfd)
{
	struct statfs sfs;

	if (fstatfs(dirfd, &sfs) == 0 && sfs.f_type == DEBUGFS_MAGIC)
		return true;
	return dir_has_entries(dirfd);
}

/* Why the report cannot be read, in words. `opened`: the error came from a
 * read or write of the open file, not from opening it.
 *  - ENOENT: no debugfs on the directory, or debugfs without kmemleak
 *    (CONFIG_DEBUG_KMEMLEAK off).
 *  - EBUSY: kmemleak disabled; kmemleak_open returned it up to ~4.5, and
 *    kmemleak_write / kmemleak_seq_start of the same era.
 *  - EPERM from a read or write: disabled (kmemleak_write returns it for
 *    any command but "clear" since 4.x); EPERM from open: kernel lockdown
 *    (5.4+) refusing debugfs.
 *  - EACCES: debugfs's root directory is 0700 by default, the file 0644
 *    (so "scan" needs root too). */
static const char *absent_reason(int dirfd, int err, bool opened)
{
	switch (err) {
	case ENOENT:
		return dirfd >= 0 && debugfs_mounted(dirfd) ? DISABLED :
							      NOT_MOUNTED;
	case EBUSY: return DISABLED;
	case EPERM: return opened ? DISABLED : NO_PERMISSION;
	case EACCES: return NO_PERMISSION;
	default: return NULL;
	}
}

static void mark_absent(KsStatus *st, int dirfd, int err, bool opened)
{
	ks_status_unavailable(st, KMEMLEAK_PATH, err);
	st->detail = (char *)absent_reason(dirfd, err, opened);
}

/* kmemleak_write runs kmemleak_scan() under scan_mutex before it returns,
 * so the report read next is fresh. It then advances f_pos by the bytes
 * written (*ppos += size), hence the seek back to 0. */
static int request_scan(int fd)
{
	ssize_t n;

	do {
		n = write(fd, "scan", 4);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (lseek(fd, 0, SEEK_SET) < 0)
		return -errno;
	return 0;
}

void ks_section_kmemleak(struct ks_ctx *ctx, KsSnapshot *snap, KsStatus *st)
{
	KsKmemleak *k = ks_arena_alloc(ctx->arena, sizeof(*k));
	bool scan = ctx->cfg->kmemleak_scan;
	struct ks_lines lr;
	int dirfd, fd, err;

	if (!k)
		return;
	kmemsnap__v1__kmemleak__init(k);
	k->status = st;
	snap->kmemleak = k;
	dirfd = openat(ctx->root_fd, DEBUGFS_DIR,
		       O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		mark_absent(st, -1, errno, false);
		return;
	}
	fd = openat(dirfd, "kmemleak",
		    (scan ? O_RDWR : O_RDONLY) | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		mark_absent(st, dirfd, errno, false);
		close(dirfd);
		return;
	}
	close(dirfd);
	err = scan ? request_scan(fd) : 0;
	if (err < 0) {
		mark_absent(st, -1, -err, true);
		close(fd);
		return;
	}
	k->has_scanned = true;
	k->scanned = scan;
	ks_lines_from_fd(&lr, fd, ctx->io_buf, ctx->io_cap);
	ks_parse_kmemleak(&lr, ctx, k, st);
	if (lr.err)
		st->detail = (char *)absent_reason(-1, lr.err, true);
	ks_lines_close(&lr);
}

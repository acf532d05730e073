/* SPDX-License-Identifier: MIT */
/*
 * The kernel's OOM-killer report, read from the kernel log one line at a
 * time: /dev/kmsg records, dmesg output, syslog or journal copies.
 *
 * What mm/oom_kill.c prints for one kill, in order:
 *   dump_header()        "<comm> invoked oom-killer: gfp_mask=..., order=N,
 *                        oom_score_adj=N" (<= 4.18 followed by
 *                        "<comm> cpuset=X mems_allowed=Y"), the stack, then
 *                        show_mem() ("Mem-Info:" counters) or, for a memcg,
 *                        mm/memcontrol.c mem_cgroup_print_oom_meminfo()
 *                        ("memory: usage ...kB, limit ...kB, failcnt N"),
 *                        mm/slab_common.c dump_unreclaimable_slab() (4.15+)
 *                        and dump_tasks()/dump_task() (the task table);
 *   dump_oom_summary()   "oom-kill:constraint=...,task=X,pid=N,uid=N" (4.19+);
 *   oom_kill_process()   "<msg>: Kill process N (comm) score S or sacrifice
 *                        child" (<= 4.18; the victim may be a child of N);
 *   __oom_kill_process() "[<msg>: ]Killed process N (comm) total-vm:...":
 *                        the report is complete here;
 *   oom_reap_task_mm()   "oom_reaper: reaped process N (comm), now ..." (4.6+),
 *                        later, from the reaper thread.
 * A SysRq-f or rate-limited kill prints no dump_header(): a kill line alone
 * starts a report then.
 *
 * The watcher feeds this parser while memory is short and may capture from
 * a signal handler, so every byte is allocated in kmemsnap_oom_parser_new()
 * and feeding uses only string functions and two arenas: the report being
 * read is built in one while the other holds the last complete report, and
 * they swap when a report completes. A report cut short never replaces a
 * complete one.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "internal.h"

typedef Kmemsnap__V1__OomReport OomReport;
typedef Kmemsnap__V1__OomTask OomTask;
typedef Kmemsnap__V1__OomKill OomKill;
typedef Kmemsnap__V1__OomSlabCache OomSlabCache;
typedef Kmemsnap__V1__KeyValue KeyValue;

/* A report at every bound below (256 task rows, 256 slab caches, 64
 * counters, 32 KiB of text) takes about 140 KiB; the rest is headroom for
 * long names and cgroup paths. */
#define ARENA_BYTES (256u << 10)
/* kernel/printk: CONSOLE_EXT_LOG_MAX, the longest /dev/kmsg record. Longer
 * input lines are cut to this. */
#define LINE_BYTES 8192
#define TEXT_BYTES (32u << 10)
#define MAX_MEMINFO 64
#define MAX_MEMCG 16
#define MAX_TASKS 256
#define MAX_SLABS 256
#define MAX_COLUMNS 16
#define SENTENCE_BYTES 1024

enum block { BLOCK_NONE, BLOCK_MEMINFO, BLOCK_SLAB };

/* A report and the arena it lives in. */
struct oom_slot {
	struct ks_arena arena;
	OomReport *r; /* NULL: none */
	size_t text_cap;
};

struct kmemsnap_oom_parser {
	/* Both arenas, in one mapping. */
	void *mem;
	size_t mem_len;
	struct oom_slot slots[2];
	/* The report being read, and the last complete one. */
	struct oom_slot *build;
	struct oom_slot *done;

	/* Where in the report being read the parser is: the block of lines it
	 * is in, whether the "Mem-Info:" counters began, the task table's
	 * columns (indexes into task_columns[]; none before its header), and
	 * whether memory.oom.group kills follow the last report. */
	enum block block;
	bool meminfo_seen;
	uint8_t columns[MAX_COLUMNS];
	size_t n_columns;
	bool group_kill;
	/* "Task in A killed as a result of limit of B", which pr_cont() (and
	 * log copies) can break over several lines. */
	char sentence[SENTENCE_BYTES];
	size_t sentence_len;
	bool sentence_open;
	bool sentence_prefixed;

	char line[LINE_BYTES];
};

/* One log line with its printk prefixes removed. */
struct oom_line {
	char *s;
	size_t len;
	uint64_t ts_us;
	bool has_ts;
	bool prefixed; /* it carried a timestamp, syslog or kmsg prefix */
};

/* ---- small text helpers ------------------------------------------------ */

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_upper(char c)
{
	return c >= 'A' && c <= 'Z';
}

static bool is_lower(char c)
{
	return c >= 'a' && c <= 'z';
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static const char *skip_digits(const char *s)
{
	while (is_digit(*s))
		s++;
	return s;
}

/* The first occurrence of key that ends before limit, or NULL. */
static const char *find_before(const char *s, const char *limit,
			       const char *key)
{
	const char *hit = strstr(s, key);

	return hit && hit + strlen(key) <= limit ? hit : NULL;
}

/* The last occurrence of key that ends before limit, or NULL. */
static const char *rfind_before(const char *s, const char *limit,
				const char *key)
{
	size_t klen = strlen(key);
	const char *last = NULL;
	const char *hit;

	for (hit = strstr(s, key); hit && hit + klen <= limit;
	     hit = strstr(hit + 1, key))
		last = hit;
	return last;
}

/* A copy of [b, e) without trailing blanks. */
static char *dup_span(struct ks_arena *a, const char *b, const char *e)
{
	while (e > b && is_blank(e[-1]))
		e--;
	return ks_arena_strndup(a, b, (size_t)(e - b));
}

static char *dup_rest(struct ks_arena *a, const char *b)
{
	return dup_span(a, b, b + strlen(b));
}

/* ---- printk prefixes ---------------------------------------------------- */

/* /dev/kmsg (Documentation/ABI/testing/dev-kmsg):
 * "pri,seq,ts_usec,flags[,caller=..];text". */
static bool strip_kmsg(struct oom_line *l)
{
	const char *p = l->s;
	uint64_t v;
	int field;

	for (field = 0; field < 3; field++) {
		if (!is_digit(*p) || !ks_parse_u64(&p, &v) || *p != ',')
			return false;
		p++;
	}
	while (*p && *p != ';' && !is_blank(*p))
		p++;
	if (*p != ';')
		return false;
	l->s = (char *)p + 1;
	l->ts_us = v;
	l->has_ts = true;
	l->prefixed = true;
	return true;
}

/* "<4>", the level that /proc/kmsg and `dmesg -r` print first. */
static bool strip_level(struct oom_line *l)
{
	const char *p = l->s;

	if (p[0] != '<' || !is_digit(p[1]))
		return false;
	p = skip_digits(p + 1);
	if (*p != '>')
		return false;
	l->s += (p - l->s) + 1;
	return true;
}

/* "Dec 16 18:56:29" (RFC 3164, journalctl short) or "2016-12-16T18:56:29"
 * (RFC 3339, journalctl short-iso). */
static bool is_log_date(const char *s)
{
	if (is_upper(s[0]) && is_lower(s[1]) && is_lower(s[2]) && s[3] == ' ' &&
	    (s[4] == ' ' || is_digit(s[4])) && is_digit(s[5]) && s[6] == ' ' &&
	    is_digit(s[7]) && is_digit(s[8]) && s[9] == ':')
		return true;
	return is_digit(s[0]) && is_digit(s[1]) && is_digit(s[2]) &&
	       is_digit(s[3]) && s[4] == '-' && is_digit(s[5]) &&
	       is_digit(s[6]) && s[7] == '-' && is_digit(s[8]) &&
	       is_digit(s[9]) && s[10] == 'T';
}

/* "Dec 16 18:56:29 host kernel: " */
static bool strip_syslog(struct oom_line *l)
{
	const char *k;

	if (!is_log_date(l->s))
		return false;
	k = strstr(l->s, " kernel: ");
	if (!k || k - l->s > 128)
		return false;
	l->s += (k - l->s) + strlen(" kernel: ");
	return true;
}

/* "** 3 printk messages dropped ** ", which console_unlock() (<= 5.x) glues
 * before the next record's timestamp. */
static bool strip_dropped(struct oom_line *l)
{
	const char *tail = " printk messages dropped ** ";
	const char *p;

	if (!ks_starts_with(l->s, "** ") || !is_digit(l->s[3]))
		return false;
	p = skip_digits(l->s + 3);
	if (!ks_starts_with(p, tail))
		return false;
	l->s += (p - l->s) + strlen(tail);
	return true;
}

/* "[    7.123456] ", and with CONFIG_PRINTK_CALLER "[    7.123456][    T2] ".
 * A task-table row "[  680]" has no '.' and is left alone. */
static bool strip_timestamp(struct oom_line *l)
{
	const char *p = l->s;
	uint64_t sec, frac = 0;
	int digits = 0;

	if (*p != '[')
		return false;
	p++;
	if (!ks_parse_u64(&p, &sec) || *p != '.' || !is_digit(p[1]))
		return false;
	for (p++; is_digit(*p); p++, digits++)
		if (digits < 6)
			frac = frac * 10 + (uint64_t)(*p - '0');
	if (*p != ']')
		return false;
	for (; digits < 6; digits++)
		frac *= 10;
	p++;
	if (p[0] == '[') {
		const char *c = ks_skip_space(p + 1);

		if ((*c == 'T' || *c == 'C') && is_digit(c[1]) &&
		    *(c = skip_digits(c + 1)) == ']')
			p = c + 1;
	}
	if (*p == ' ')
		p++;
	l->s = (char *)p;
	l->ts_us = sec * 1000000u + frac;
	l->has_ts = true;
	return true;
}

/* dmesg -T: "[Mon Jan 26 01:49:41 2026] " */
static bool strip_ctime(struct oom_line *l)
{
	const char *s = l->s;
	const char *close;

	if (s[0] != '[' || !is_upper(s[1]) || !is_lower(s[2]) ||
	    !is_lower(s[3]) || s[4] != ' ')
		return false;
	close = strchr(s, ']');
	if (!close || close - s > 40)
		return false;
	l->s += (close - s) + 1;
	if (*l->s == ' ')
		l->s++;
	return true;
}

static void strip_prefixes(struct oom_line *l)
{
	int i;

	/* At most: syslog, level, dropped-messages note, timestamp (with
	 * caller). */
	for (i = 0; i < 5; i++) {
		if (!strip_syslog(l) && !strip_level(l) && !strip_dropped(l) &&
		    !strip_timestamp(l) && !strip_ctime(l))
			return;
		l->prefixed = true;
	}
}

/* A /dev/kmsg dictionary line: " SUBSYSTEM=pci" after its record. */
static bool is_dict_line(const char *s)
{
	if (s[0] != ' ' || !is_upper(s[1]))
		return false;
	for (s++; is_upper(*s) || is_digit(*s) || *s == '_'; s++)
		;
	return *s == '=';
}

/* /dev/kmsg escapes bytes below ' ', above '~' and '\' as \xNN
 * (kernel/printk/printk.c msg_add_ext_text), so a multi-line record such as
 * show_mem()'s counters arrives as one line with \x0a in it. In place. */
static size_t unescape_kmsg(char *s)
{
	const char *in = s;
	char *out = s;

	while (*in) {
		int hi, lo;

		if (in[0] == '\\' && in[1] == 'x' &&
		    (hi = ks_hex_digit(in[2])) >= 0 &&
		    (lo = ks_hex_digit(in[3])) >= 0) {
			*out++ = (char)(hi << 4 | lo);
			in += 4;
		} else {
			*out++ = *in++;
		}
	}
	*out = '\0';
	return (size_t)(out - s);
}

/* ---- building a report -------------------------------------------------- */

static OomReport *cur(const struct kmemsnap_oom_parser *p)
{
	return p->build->r;
}

static KsStatus *cur_status(const struct kmemsnap_oom_parser *p)
{
	return p->build->r->status;
}

static void skipped(struct kmemsnap_oom_parser *p)
{
	cur_status(p)->lines_skipped++;
}

/* Appends a line to a report's text; past TEXT_BYTES the report is marked
 * truncated. Data before length, so a capture in a signal handler never
 * sees bytes that are not there yet. */
static void append_text(struct oom_slot *slot, const char *s, size_t len)
{
	OomReport *r = slot->r;
	ProtobufCBinaryData *t = &r->text;

	r->status->source_bytes += len + 1;
	if (len + 1 > slot->text_cap - t->len) {
		ks_status_truncated(r->status);
		return;
	}
	memcpy(t->data + t->len, s, len);
	t->data[t->len + len] = '\n';
	__atomic_store_n(&t->len, t->len + len + 1, __ATOMIC_RELEASE);
}

static void reset_reading(struct kmemsnap_oom_parser *p)
{
	p->block = BLOCK_NONE;
	p->meminfo_seen = false;
	p->n_columns = 0;
	p->group_kill = false;
	p->sentence_open = false;
	p->sentence_len = 0;
}

static void start_report(struct kmemsnap_oom_parser *p,
			 const struct oom_line *l)
{
	struct oom_slot *slot = p->build;
	struct ks_arena *a = &slot->arena;
	OomReport *r;
	KsStatus *st;

	slot->r = NULL;
	ks_arena_reset(a);
	reset_reading(p);
	r = ks_arena_alloc(a, sizeof(*r));
	st = ks_arena_alloc(a, sizeof(*st));
	if (!r || !st)
		return;
	kmemsnap__v1__oom_report__init(r);
	kmemsnap__v1__section_status__init(st);
	r->status = st;
	st->has_source_bytes = true;
	r->mem_info = ks_arena_alloc(a, MAX_MEMINFO * sizeof(*r->mem_info));
	r->memcg_usage_kb =
		ks_arena_alloc(a, MAX_MEMCG * sizeof(*r->memcg_usage_kb));
	r->tasks = ks_arena_alloc(a, MAX_TASKS * sizeof(*r->tasks));
	r->unreclaimable_slab =
		ks_arena_alloc(a, MAX_SLABS * sizeof(*r->unreclaimable_slab));
	r->text.data = ks_arena_alloc(a, TEXT_BYTES);
	if (!r->mem_info || !r->memcg_usage_kb || !r->tasks ||
	    !r->unreclaimable_slab || !r->text.data)
		return;
	slot->text_cap = TEXT_BYTES;
	r->has_text = true;
	r->has_timestamp_us = l->has_ts;
	r->timestamp_us = l->ts_us;
	slot->r = r;
}

static void finish_sentence(struct kmemsnap_oom_parser *p);

/* The report is complete: it becomes the last one, published with one
 * pointer store, and the other arena is free for the next report. */
static void complete_report(struct kmemsnap_oom_parser *p)
{
	struct oom_slot *slot = p->build;
	KsStatus *st = slot->r->status;

	finish_sentence(p);
	if (slot->arena.exhausted)
		ks_status_truncated(st);
	if (!st->has_state) {
		st->has_state = true;
		st->state = KMEMSNAP__V1__SECTION_STATUS__STATE__STATE_OK;
	}
	st->has_lines_skipped = st->lines_skipped > 0;
	p->build = p->done;
	__atomic_store_n(&p->done, slot, __ATOMIC_RELEASE);
	p->build->r = NULL;
	reset_reading(p);
}

/* ---- dump_header() ------------------------------------------------------ */

/* All eras: 2.6.3x "gfp_mask=0x%x, order=%d, oom_adj=%d, oom_score_adj=%d";
 * 3.x-4.4 without oom_adj; 4.5+ flag names "gfp_mask=%#x(%pGg)"; ~4.9-4.18
 * ", nodemask=%*pbl," before order. Fields are found by name. */
static void parse_header(struct kmemsnap_oom_parser *p, const char *s,
			 const char *at)
{
	struct ks_arena *a = &p->build->arena;
	OomReport *r = cur(p);
	const char *q = at + strlen(" invoked oom-killer: ");
	const char *v;
	int64_t n;

	r->invoker_comm = ks_arena_strndup(a, s, (size_t)(at - s));
	v = strstr(q, "gfp_mask=");
	if (v) {
		v += strlen("gfp_mask=");
		r->has_gfp_mask = ks_parse_hex(&v, &r->gfp_mask);
		if (*v == '(' && strchr(v, ')'))
			r->gfp_flags = dup_span(a, v + 1, strchr(v, ')'));
	}
	v = strstr(q, "nodemask=");
	if (v) {
		const char *e;

		v += strlen("nodemask=");
		e = strstr(v, ", order=");
		r->nodemask = dup_span(a, v, e ? e : v + strcspn(v, " "));
	}
	v = strstr(q, "order=");
	if (v && (v += strlen("order="), ks_parse_i64(&v, &n))) {
		r->has_order = true;
		r->order = (int32_t)n;
	}
	v = strstr(q, "oom_score_adj=");
	if (v && (v += strlen("oom_score_adj="), ks_parse_i64(&v, &n))) {
		r->has_oom_score_adj = true;
		r->oom_score_adj = (int32_t)n;
	}
}

/* <= 4.18: "<comm> cpuset=%s mems_allowed=%*pbl"
 * (kernel/cgroup/cpuset.c cpuset_print_current_mems_allowed). */
static bool cpuset_line(struct kmemsnap_oom_parser *p, const char *s)
{
	struct ks_arena *a = &p->build->arena;
	const char *c = strstr(s, " cpuset=");
	const char *m = c ? strstr(c, " mems_allowed=") : NULL;

	if (!m)
		return false;
	cur(p)->cpuset = dup_span(a, c + strlen(" cpuset="), m);
	cur(p)->mems_allowed = dup_rest(a, m + strlen(" mems_allowed="));
	return true;
}

/* ---- show_mem(): "Mem-Info:" counters ----------------------------------- */

/* "active_anon:1234 inactive_anon:0 ...": every token is key:number. */
static bool is_counter_line(const char *s)
{
	const char *p = s;
	const char *tok;
	size_t len;
	bool any = false;

	while (ks_next_token(&p, &tok, &len)) {
		const char *colon = memchr(tok, ':', len);

		if (!colon || colon == tok || colon + 1 == tok + len ||
		    skip_digits(colon + 1) != tok + len)
			return false;
		any = true;
	}
	return any;
}

static void add_key_value(struct kmemsnap_oom_parser *p, KeyValue **slots,
			  size_t *n, size_t max, const char *key,
			  size_t key_len, uint64_t value)
{
	struct ks_arena *a = &p->build->arena;
	KeyValue *kv;

	if (*n >= max) {
		ks_status_truncated(cur_status(p));
		return;
	}
	kv = ks_arena_alloc(a, sizeof(*kv));
	if (!kv)
		return;
	kmemsnap__v1__key_value__init(kv);
	kv->key = ks_arena_strndup(a, key, key_len);
	kv->has_value = true;
	kv->value = value;
	slots[(*n)++] = kv;
}

static void add_counters(struct kmemsnap_oom_parser *p, const char *s)
{
	OomReport *r = cur(p);
	const char *tok;
	size_t len;

	while (ks_next_token(&s, &tok, &len)) {
		const char *colon = memchr(tok, ':', len);
		const char *v = colon + 1;
		uint64_t value;

		if (ks_parse_u64(&v, &value))
			add_key_value(p, r->mem_info, &r->n_mem_info,
				      MAX_MEMINFO, tok, (size_t)(colon - tok),
				      value);
	}
}

/* The counters follow "Mem-Info:" (3.x first prints per-cpu "hi/btch"
 * lines) and continue on lines indented by one space; the first line that
 * is not all counters ("Node 0 DMA free:...") ends them. Returns whether
 * the line was taken. */
static bool meminfo_line(struct kmemsnap_oom_parser *p, const char *s)
{
	if (is_counter_line(s)) {
		add_counters(p, s);
		p->meminfo_seen = true;
		return true;
	}
	if (p->meminfo_seen)
		p->block = BLOCK_NONE;
	return false;
}

/* ---- mm/memcontrol.c mem_cgroup_print_oom_meminfo() ---------------------- */

/* "memory: usage %llukB, limit %llukB, failcnt %lu", the same for
 * "memory+swap", "kmem" (v1) and "swap" (v2). Kept as "<name>.usage" and
 * "<name>.limit" in kB; 9007199254740988 is v1's "unlimited". */
static bool memcg_usage_line(struct kmemsnap_oom_parser *p, const char *s)
{
	OomReport *r = cur(p);
	const char *at = strstr(s, ": usage ");
	const char *v, *lim;
	char key[64];
	size_t name_len;
	uint64_t usage, limit;

	if (!at || at == s || memchr(s, ' ', (size_t)(at - s)))
		return false;
	name_len = (size_t)(at - s);
	v = at + strlen(": usage ");
	lim = strstr(v, "limit ");
	if (name_len + sizeof(".usage") > sizeof(key) ||
	    !ks_parse_u64(&v, &usage) || !lim)
		return false;
	lim += strlen("limit ");
	if (!ks_parse_u64(&lim, &limit))
		return false;
	memcpy(key, s, name_len);
	memcpy(key + name_len, ".usage", strlen(".usage"));
	add_key_value(p, r->memcg_usage_kb, &r->n_memcg_usage_kb, MAX_MEMCG,
		      key, name_len + strlen(".usage"), usage);
	memcpy(key + name_len, ".limit", strlen(".limit"));
	add_key_value(p, r->memcg_usage_kb, &r->n_memcg_usage_kb, MAX_MEMCG,
		      key, name_len + strlen(".limit"), limit);
	return true;
}

/* <= 4.18 mem_cgroup_print_oom_info(): "Task in %s killed as a result of
 * limit of %s", printed with pr_cont(), so another CPU's line or a log
 * copy's wrapping can split it. Lines without a printk prefix that follow a
 * prefixed "Task in" line are joined to it (wrapped text lost its spaces at
 * the break, or never had one: the pieces are joined as they are). */
static bool task_in_line(struct kmemsnap_oom_parser *p,
			 const struct oom_line *l)
{
	size_t n = l->len < SENTENCE_BYTES - 1 ? l->len : SENTENCE_BYTES - 1;

	if (!ks_starts_with(l->s, "Task in "))
		return false;
	memcpy(p->sentence, l->s, n);
	p->sentence_len = n;
	p->sentence_open = true;
	p->sentence_prefixed = l->prefixed;
	return true;
}

static void sentence_append(struct kmemsnap_oom_parser *p, const char *s,
			    size_t len)
{
	size_t room = SENTENCE_BYTES - 1 - p->sentence_len;
	size_t n = len < room ? len : room;

	memcpy(p->sentence + p->sentence_len, s, n);
	p->sentence_len += n;
}

static void finish_sentence(struct kmemsnap_oom_parser *p)
{
	const char *sep = "killed as a result of limit of ";
	struct ks_arena *a = &p->build->arena;
	OomReport *r = cur(p);
	const char *task = p->sentence + strlen("Task in ");
	const char *k;

	if (!p->sentence_open)
		return;
	p->sentence_open = false;
	p->sentence[p->sentence_len] = '\0';
	k = strstr(task, sep);
	if (!r->task_memcg)
		r->task_memcg = dup_span(a, task, k ? k : task + strlen(task));
	if (k && !r->oom_memcg)
		r->oom_memcg = dup_rest(a, k + strlen(sep));
}

/* ---- mm/slab_common.c dump_unreclaimable_slab() (4.15+) ------------------- */

/* A number glued to "KB" that ends at e: its start, or NULL. */
static const char *kb_token_start(const char *s, const char *e, uint64_t *value)
{
	const char *b = e - 2;
	const char *d;

	if (e - s < 3 || b[0] != 'K' || b[1] != 'B' || !is_digit(b[-1]))
		return NULL;
	while (b > s && is_digit(b[-1]))
		b--;
	d = b;
	return ks_parse_u64(&d, value) ? b : NULL;
}

/* "%-17s %10luKB %10luKB": a name longer than 17 characters pushes the
 * numbers right, so the row is read from its end. */
static bool slab_row(struct kmemsnap_oom_parser *p, const char *s)
{
	OomReport *r = cur(p);
	const char *e = s + strlen(s);
	const char *total_at, *used_at;
	uint64_t used, total;
	OomSlabCache *c;

	while (e > s && is_blank(e[-1]))
		e--;
	total_at = kb_token_start(s, e, &total);
	if (!total_at || total_at == s || !is_blank(total_at[-1]))
		return false;
	e = total_at;
	while (e > s && is_blank(e[-1]))
		e--;
	used_at = kb_token_start(s, e, &used);
	if (!used_at || used_at == s || !is_blank(used_at[-1]) || is_blank(*s))
		return false;
	if (r->n_unreclaimable_slab >= MAX_SLABS) {
		ks_status_truncated(cur_status(p));
		return true;
	}
	c = ks_arena_alloc(&p->build->arena, sizeof(*c));
	if (!c)
		return true;
	kmemsnap__v1__oom_slab_cache__init(c);
	c->name = dup_span(&p->build->arena, s, used_at);
	c->has_used_kb = true;
	c->used_kb = used;
	c->has_total_kb = true;
	c->total_kb = total;
	r->unreclaimable_slab[r->n_unreclaimable_slab++] = c;
	return true;
}

static bool slab_line(struct kmemsnap_oom_parser *p, const char *s)
{
	/* The column header: "Name                      Used          Total" */
	if (cur(p)->n_unreclaimable_slab == 0 && ks_starts_with(s, "Name "))
		return true;
	if (slab_row(p, s))
		return true;
	p->block = BLOCK_NONE;
	return false;
}

/* ---- dump_tasks() / dump_task() ------------------------------------------ */

/* A column of the task table and the OomTask field it fills. */
struct column {
	const char *name;
	size_t has_off;
	size_t value_off;
	enum { COL_U64, COL_U32, COL_S32 } type;
};

#define COLUMN(name, field, type)                                              \
	{                                                                      \
		name, offsetof(OomTask, has_##field),                          \
			offsetof(OomTask, field), type                         \
	}

/* Index 0 stands for a column a later kernel may add: read and dropped. */
static const struct column task_columns[] = {
	{ NULL, 0, 0, COL_U64 },
	COLUMN("uid", uid, COL_U32),
	COLUMN("tgid", tgid, COL_S32),
	COLUMN("total_vm", total_vm_pages, COL_U64),
	COLUMN("rss", rss_pages, COL_U64),
	COLUMN("rss_anon", rss_anon_pages, COL_U64),
	COLUMN("rss_file", rss_file_pages, COL_U64),
	COLUMN("rss_shmem", rss_shmem_pages, COL_U64),
	COLUMN("nr_ptes", nr_ptes, COL_U64),
	COLUMN("nr_pmds", nr_pmds, COL_U64),
	COLUMN("pgtables_bytes", pgtables_bytes, COL_U64),
	COLUMN("swapents", swapents_pages, COL_U64),
	COLUMN("oom_score_adj", oom_score_adj, COL_S32),
};

static uint8_t column_of(const char *tok, size_t len)
{
	uint8_t i;

	for (i = 1; i < sizeof(task_columns) / sizeof(task_columns[0]); i++)
		if (ks_token_is(tok, len, task_columns[i].name))
			return i;
	return 0;
}

/* The header names the columns, which changed over time:
 *   2.6.3x-4.6  "[ pid ]   uid  tgid total_vm      rss nr_ptes swapents ..."
 *   ~4.7-4.14   ... nr_ptes nr_pmds swapents ...
 *   4.15-4.18   ... pgtables_bytes swapents ...
 *   4.19+       "[  pid  ]" (7 wide), after "Tasks state (memory values in
 *               pages):"
 *   ~6.2+       ... rss rss_anon rss_file rss_shmem pgtables_bytes ...
 * so rows are read by the header's column list, and "name" ends it. */
static bool task_header(struct kmemsnap_oom_parser *p, const char *s)
{
	const char *q, *tok;
	size_t len, n = 0;

	if (ks_starts_with(s, "Tasks state (memory values in pages):"))
		return true;
	if (s[0] != '[' || !ks_starts_with(ks_skip_space(s + 1), "pid"))
		return false;
	q = strchr(s, ']');
	if (!q)
		return false;
	q++;
	while (ks_next_token(&q, &tok, &len)) {
		if (ks_token_is(tok, len, "name")) {
			p->n_columns = n;
			return n > 0;
		}
		if (n == MAX_COLUMNS)
			return false;
		p->columns[n++] = column_of(tok, len);
	}
	return false;
}

/* v holds a signed column's value in two's complement. */
static void set_column(OomTask *t, const struct column *c, uint64_t v)
{
	char *base = (char *)t;

	*(protobuf_c_boolean *)(base + c->has_off) = 1;
	switch (c->type) {
	case COL_U64: *(uint64_t *)(base + c->value_off) = v; break;
	case COL_U32: *(uint32_t *)(base + c->value_off) = (uint32_t)v; break;
	case COL_S32: *(int32_t *)(base + c->value_off) = (int32_t)v; break;
	}
}

/* A number of the table, signed ("%5hd" oom_score_adj, "%8ld"
 * pgtables_bytes) or not, kept as 64 bits. */
static bool parse_cell(const char **q, uint64_t *v)
{
	int64_t n;

	if (!ks_parse_i64(q, &n))
		return false;
	*v = (uint64_t)n;
	return true;
}

/* "[%7d] %5d %5d %8lu ... %5hd %s": a pid wider than the field fills the
 * brackets ("[27281]"); the name is the rest of the line and may hold
 * spaces and parens ("(sd-pam)"). */
static bool task_row(struct kmemsnap_oom_parser *p, const char *s)
{
	OomReport *r = cur(p);
	uint64_t pid, v[MAX_COLUMNS];
	const char *q = s + 1;
	OomTask *t;
	size_t i;

	if (p->n_columns == 0 || s[0] != '[' || !ks_parse_u64(&q, &pid))
		return false;
	q = ks_skip_space(q);
	if (*q++ != ']')
		return false;
	for (i = 0; i < p->n_columns; i++)
		if (!parse_cell(&q, &v[i]) || !is_blank(*q))
			return false;
	q = ks_skip_space(q);
	if (!*q)
		return false;
	r->has_tasks_total = true;
	r->tasks_total++;
	if (r->n_tasks >= MAX_TASKS) {
		ks_status_truncated(cur_status(p));
		return true;
	}
	t = ks_arena_alloc(&p->build->arena, sizeof(*t));
	if (!t)
		return true;
	kmemsnap__v1__oom_task__init(t);
	t->has_pid = true;
	t->pid = (int32_t)pid;
	for (i = 0; i < p->n_columns; i++)
		if (p->columns[i])
			set_column(t, &task_columns[p->columns[i]], v[i]);
	t->name = dup_rest(&p->build->arena, q);
	r->tasks[r->n_tasks++] = t;
	return true;
}

/* ---- dump_oom_summary() (4.19+) ----------------------------------------- */

enum summary_key {
	SK_CONSTRAINT,
	SK_NODEMASK,
	SK_CPUSET,
	SK_MEMS,
	SK_OOM_MEMCG,
	SK_GLOBAL,
	SK_TASK_MEMCG,
	SK_TASK,
	SK_PID,
	SK_UID,
	SK_COUNT,
};

static const char *const summary_keys[SK_COUNT] = {
	"constraint=", ",nodemask=",  ",cpuset=",     ",mems_allowed=",
	",oom_memcg=", ",global_oom", ",task_memcg=", ",task=",
	",pid=",       ",uid=",
};

static const char *const constraint_names[] = {
	[KMEMSNAP__V1__OOM_CONSTRAINT__OOM_CONSTRAINT_NONE] = "CONSTRAINT_NONE",
	[KMEMSNAP__V1__OOM_CONSTRAINT__OOM_CONSTRAINT_CPUSET] =
		"CONSTRAINT_CPUSET",
	[KMEMSNAP__V1__OOM_CONSTRAINT__OOM_CONSTRAINT_MEMORY_POLICY] =
		"CONSTRAINT_MEMORY_POLICY",
	[KMEMSNAP__V1__OOM_CONSTRAINT__OOM_CONSTRAINT_MEMCG] =
		"CONSTRAINT_MEMCG",
};

static void set_constraint(OomReport *r, const char *b, const char *e)
{
	size_t i;

	for (i = 1; i < sizeof(constraint_names) / sizeof(constraint_names[0]);
	     i++)
		if (ks_token_is(b, (size_t)(e - b), constraint_names[i])) {
			r->has_constraint = true;
			r->constraint = (Kmemsnap__V1__OomConstraint)i;
		}
}

static OomKill *new_kill(struct ks_arena *a, uint64_t pid)
{
	OomKill *k = ks_arena_alloc(a, sizeof(*k));

	if (!k)
		return NULL;
	kmemsnap__v1__oom_kill__init(k);
	k->has_pid = true;
	k->pid = (int32_t)pid;
	return k;
}

/* The victim the summary names; the "Killed process" line that follows
 * completes it (4.19-5.0 print no UID there). */
static void summary_victim(struct kmemsnap_oom_parser *p,
			   const char *const val[], const char *const end[])
{
	struct ks_arena *a = &p->build->arena;
	const char *v = val[SK_PID];
	uint64_t pid, uid;
	OomKill *k;

	if (!val[SK_PID] || !ks_parse_u64(&v, &pid) || !(k = new_kill(a, pid)))
		return;
	if (val[SK_TASK])
		k->comm = dup_span(a, val[SK_TASK], end[SK_TASK]);
	v = val[SK_UID];
	if (v && ks_parse_u64(&v, &uid)) {
		k->has_uid = true;
		k->uid = (uint32_t)uid;
	}
	cur(p)->killed = k;
}

/* "oom-kill:constraint=%s,nodemask=%*pbl,cpuset=%s,mems_allowed=%*pbl,
 * [oom_memcg=%s,|global_oom,]task_memcg=%s,task=%s,pid=%d,uid=%d".
 * Node lists hold commas ("mems_allowed=0,2-3"), so a value ends where the
 * next known key starts, never at a comma; the task name may hold anything,
 * so task, pid and uid are found from the end. */
static bool summary_line(struct kmemsnap_oom_parser *p, const char *s)
{
	struct ks_arena *a = &p->build->arena;
	OomReport *r = cur(p);
	const char *at[SK_COUNT], *val[SK_COUNT] = { 0 }, *end[SK_COUNT];
	const char *stop = s + strlen(s);
	const char *limit = stop;
	const char *cursor = s + strlen("oom-kill:");
	int i;

	if (!ks_starts_with(s, "oom-kill:"))
		return false;
	for (i = SK_UID; i >= SK_TASK; i--) {
		at[i] = rfind_before(cursor, limit, summary_keys[i]);
		if (at[i])
			limit = at[i];
	}
	for (i = SK_CONSTRAINT; i < SK_TASK; i++) {
		at[i] = find_before(cursor, limit, summary_keys[i]);
		if (at[i])
			cursor = at[i] + strlen(summary_keys[i]);
	}
	for (i = SK_COUNT - 1; i >= 0; i--) {
		if (!at[i])
			continue;
		val[i] = at[i] + strlen(summary_keys[i]);
		end[i] = stop;
		stop = at[i];
	}
	if (val[SK_CONSTRAINT])
		set_constraint(r, val[SK_CONSTRAINT], end[SK_CONSTRAINT]);
	if (val[SK_NODEMASK])
		r->nodemask = dup_span(a, val[SK_NODEMASK], end[SK_NODEMASK]);
	if (val[SK_CPUSET])
		r->cpuset = dup_span(a, val[SK_CPUSET], end[SK_CPUSET]);
	if (val[SK_MEMS])
		r->mems_allowed = dup_span(a, val[SK_MEMS], end[SK_MEMS]);
	if (val[SK_OOM_MEMCG])
		r->oom_memcg =
			dup_span(a, val[SK_OOM_MEMCG], end[SK_OOM_MEMCG]);
	if (val[SK_TASK_MEMCG])
		r->task_memcg =
			dup_span(a, val[SK_TASK_MEMCG], end[SK_TASK_MEMCG]);
	r->has_global_oom = val[SK_GLOBAL] != NULL;
	r->global_oom = val[SK_GLOBAL] != NULL;
	summary_victim(p, val, end);
	return true;
}

/* ---- kill lines ------------------------------------------------------------ */

/* "%d (%s)" followed by tail: the comm may itself hold parens ("(agetty)"
 * prints "((agetty))"), so it ends at the last tail. Returns the ')' that
 * ends it, or NULL. */
static const char *parse_pid_comm(const char *s, const char *tail,
				  uint64_t *pid, const char **comm)
{
	const char *q = s;
	const char *close;

	if (!ks_parse_u64(&q, pid) || q[0] != ' ' || q[1] != '(')
		return NULL;
	*comm = q + 2;
	close = rfind_before(*comm, *comm + strlen(*comm), tail);
	return close;
}

static bool field_u64(const char *s, const char *key, uint64_t *v)
{
	const char *at = strstr(s, key);

	if (!at)
		return false;
	at += strlen(key);
	return ks_parse_u64(&at, v);
}

/* "anon-rss:%lukB, file-rss:%lukB, shmem-rss:%lukB" as in the kill and
 * reaper lines. The unit is not checked: 4.5/4.6-rc printed "0lB". */
static void rss_fields(OomKill *k, const char *s)
{
	k->has_anon_rss_kb = field_u64(s, "anon-rss:", &k->anon_rss_kb);
	k->has_file_rss_kb = field_u64(s, "file-rss:", &k->file_rss_kb);
	k->has_shmem_rss_kb = field_u64(s, "shmem-rss:", &k->shmem_rss_kb);
}

/* <= 4.18 oom_kill_process(): "<msg>: Kill process %d (%s) score %u or
 * sacrifice child", msg one of "Out of memory", "Memory cgroup out of
 * memory", "Out of memory (oom_kill_allocating_task)". The process named
 * here may sacrifice a child: the victim is the "Killed process". */
static const char *kill_process_at(const char *s)
{
	return strstr(s, ": Kill process ");
}

static bool kill_line(struct kmemsnap_oom_parser *p, const char *s)
{
	const char *at = kill_process_at(s);

	if (!at)
		return false;
	cur(p)->kill_message = dup_span(&p->build->arena, s, at);
	return true;
}

/* __oom_kill_process(): "Killed process ..." alone (<= 5.0) or after
 * "<msg>: " (5.1+). *msg_end is where msg ends, NULL when there is none. */
static const char *killed_process_at(const char *s, const char **msg_end)
{
	const char *at;

	*msg_end = NULL;
	if (ks_starts_with(s, "Killed process "))
		return s;
	at = strstr(s, ": Killed process ");
	if (!at)
		return NULL;
	*msg_end = at;
	return at + 2;
}

/* "Killed process %d (%s) total-vm:%lukB, anon-rss:%lukB, file-rss:%lukB"
 * + ", shmem-rss:%lukB" (4.5+) + ", UID:%u" (~5.1) + " pgtables:%lukB
 * oom_score_adj:%hd" (~5.8). Returns false when s is not such a line. */
static bool killed_line(struct kmemsnap_oom_parser *p, const char *s)
{
	struct ks_arena *a = &p->build->arena;
	OomReport *r = cur(p);
	const char *msg_end, *comm, *close, *rest, *v;
	const char *at = killed_process_at(s, &msg_end);
	uint64_t pid, n;
	int64_t adj;
	OomKill *k;

	if (!at)
		return false;
	close = parse_pid_comm(at + strlen("Killed process "),
			       ") total-vm:", &pid, &comm);
	if (!close)
		return false;
	k = r->killed && r->killed->pid == (int32_t)pid ? r->killed :
							  new_kill(a, pid);
	if (!k)
		return true;
	r->killed = k;
	k->comm = ks_arena_strndup(a, comm, (size_t)(close - comm));
	rest = close + 2;
	k->has_total_vm_kb = field_u64(rest, "total-vm:", &k->total_vm_kb);
	rss_fields(k, rest);
	if (field_u64(rest, "UID:", &n)) {
		k->has_uid = true;
		k->uid = (uint32_t)n;
	}
	k->has_pgtables_kb = field_u64(rest, "pgtables:", &k->pgtables_kb);
	v = strstr(rest, "oom_score_adj:");
	if (v && (v += strlen("oom_score_adj:"), ks_parse_i64(&v, &adj))) {
		k->has_oom_score_adj = true;
		k->oom_score_adj = (int32_t)adj;
	}
	if (msg_end)
		r->kill_message = dup_span(a, s, msg_end);
	return true;
}

/* 4.6+ oom_reap_task_mm(): "oom_reaper: reaped process %d (%s), now
 * anon-rss:%lukB, file-rss:%lukB, shmem-rss:%lukB", printed by the reaper
 * thread after the report. Merged into the last complete report when it
 * names that report's victim; other pids belong to earlier kills. */
static bool merge_reaped(struct kmemsnap_oom_parser *p,
			 const struct oom_line *l)
{
	const char *prefix = "oom_reaper: reaped process ";
	struct oom_slot *slot = p->done;
	OomReport *r = slot->r;
	const char *comm, *close;
	uint64_t pid;
	OomKill *k;

	if (!ks_starts_with(l->s, prefix) || !r || !r->killed || r->reaped)
		return false;
	close = parse_pid_comm(l->s + strlen(prefix), "), now ", &pid, &comm);
	if (!close || (int32_t)pid != r->killed->pid)
		return false;
	k = new_kill(&slot->arena, pid);
	if (!k)
		return false;
	k->comm = ks_arena_strndup(&slot->arena, comm, (size_t)(close - comm));
	rss_fields(k, close);
	append_text(slot, l->s, l->len);
	__atomic_store_n(&r->reaped, k, __ATOMIC_RELEASE);
	return true;
}

/* ---- reading lines ------------------------------------------------------- */

/* A line that starts a report: dump_header()'s first line; without one
 * (SysRq-f, a rate-limited header), a kill line. A second "Kill process"
 * before any "Killed process" means the first kill's end was lost. */
static bool starts_report(const struct kmemsnap_oom_parser *p, const char *s)
{
	const char *msg_end;

	if (strstr(s, " invoked oom-killer: "))
		return true;
	if (kill_process_at(s))
		return !cur(p) || cur(p)->kill_message;
	if (killed_process_at(s, &msg_end))
		return !cur(p) && !p->group_kill;
	return false;
}

static bool understood(struct kmemsnap_oom_parser *p, const struct oom_line *l)
{
	const char *s = l->s;
	const char *at = strstr(s, " invoked oom-killer: ");

	if (at) {
		parse_header(p, s, at);
		return true;
	}
	if (p->block == BLOCK_MEMINFO && meminfo_line(p, s))
		return true;
	if (p->block == BLOCK_SLAB && slab_line(p, s))
		return true;
	if (strcmp(s, "Mem-Info:") == 0) {
		p->block = BLOCK_MEMINFO;
		p->meminfo_seen = false;
		return true;
	}
	if (strcmp(s, "Unreclaimable slab info:") == 0) {
		p->block = BLOCK_SLAB;
		return true;
	}
	return summary_line(p, s) || kill_line(p, s) || cpuset_line(p, s) ||
	       memcg_usage_line(p, s) || task_header(p, s) || task_row(p, s) ||
	       task_in_line(p, l);
}

/* A line of the report being read. Lines it does not turn into fields
 * (the stack, zone and buddy lists, another CPU's lines) stay in the text
 * and are counted in lines_skipped. Returns 1 when the report completed. */
static int report_line(struct kmemsnap_oom_parser *p, const struct oom_line *l)
{
	append_text(p->build, l->s, l->len);
	if (p->sentence_open) {
		if (!l->prefixed && p->sentence_prefixed) {
			sentence_append(p, l->s, l->len);
			return 0;
		}
		finish_sentence(p);
	}
	/* mm/oom_kill.c out_of_memory(): the panic that follows ends it;
	 * before 4.19 the panic's own text said so, and
	 * check_panic_on_oom() panics with "Out of memory: ... panic_on_oom
	 * is enabled". pstore's dmesg records end with these lines. */
	if (killed_line(p, l->s) ||
	    ks_starts_with(l->s, "Out of memory and no killable processes") ||
	    ks_starts_with(l->s, "Kernel panic - not syncing: Out of memory")) {
		complete_report(p);
		return 1;
	}
	if (!understood(p, l))
		skipped(p);
	return 0;
}

/* Outside a report only the tail of the last one matters: with
 * memory.oom.group (4.19+) "Tasks in %s are going to be killed due to
 * memory.oom.group set" and one "Killed process" line per member follow
 * the victim's; they go to that report's text. */
static void idle_line(struct kmemsnap_oom_parser *p, const struct oom_line *l)
{
	const char *msg_end;

	if (!p->done->r)
		return;
	if (ks_starts_with(l->s, "Tasks in ") &&
	    strstr(l->s, " are going to be killed due to memory.oom.group set"))
		p->group_kill = true;
	else if (!p->group_kill || !killed_process_at(l->s, &msg_end))
		return;
	append_text(p->done, l->s, l->len);
}

static int process_line(struct kmemsnap_oom_parser *p, struct oom_line *l)
{
	while (l->len > 0 && is_blank(l->s[l->len - 1]))
		l->s[--l->len] = '\0';
	if (l->len == 0 || merge_reaped(p, l))
		return 0;
	if (starts_report(p, l->s))
		start_report(p, l);
	if (cur(p))
		return report_line(p, l);
	idle_line(p, l);
	return 0;
}

/* A /dev/kmsg record: its text may hold several lines (\x0a), all with the
 * record's timestamp. */
static int feed_record(struct kmemsnap_oom_parser *p, struct oom_line *l)
{
	char *s = l->s;
	char *end = s + unescape_kmsg(s);
	int completed = 0;

	for (;;) {
		char *nl = memchr(s, '\n', (size_t)(end - s));
		struct oom_line piece = *l;

		if (nl)
			*nl = '\0';
		piece.s = s;
		piece.len = strlen(s);
		completed |= process_line(p, &piece);
		if (!nl)
			return completed;
		s = nl + 1;
	}
}

static int feed_line(struct kmemsnap_oom_parser *p, const char *text,
		     size_t len)
{
	struct oom_line l = { .s = p->line };
	size_t n = len < LINE_BYTES - 1 ? len : LINE_BYTES - 1;

	memcpy(p->line, text, n);
	p->line[n] = '\0';
	if (is_dict_line(p->line))
		return 0;
	if (strip_kmsg(&l))
		return feed_record(p, &l);
	strip_prefixes(&l);
	l.len = strlen(l.s);
	return process_line(p, &l);
}

/* ---- public API ----------------------------------------------------------- */

KMEMSNAP_API int kmemsnap_oom_parser_new(struct kmemsnap_oom_parser **out)
{
	struct kmemsnap_oom_parser *p;
	uint8_t *mem;

	if (!out)
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->mem_len = 2 * (size_t)ARENA_BYTES;
	mem = mmap(NULL, p->mem_len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		free(p);
		return -ENOMEM;
	}
	/* The parser is fed while memory is short: lock and touch its pages
	 * now. mlock may be refused (RLIMIT_MEMLOCK); it then still works. */
	(void)mlock(mem, p->mem_len);
	memset(mem, 0, p->mem_len);
	p->mem = mem;
	ks_arena_init(&p->slots[0].arena, mem, ARENA_BYTES);
	ks_arena_init(&p->slots[1].arena, mem + ARENA_BYTES, ARENA_BYTES);
	p->build = &p->slots[0];
	p->done = &p->slots[1];
	*out = p;
	return 0;
}

KMEMSNAP_API void kmemsnap_oom_parser_free(struct kmemsnap_oom_parser *p)
{
	if (!p)
		return;
	munmap(p->mem, p->mem_len);
	free(p);
}

KMEMSNAP_API int kmemsnap_oom_parser_feed(struct kmemsnap_oom_parser *p,
					  const char *line, size_t len)
{
	int completed = 0;

	if (!p || !line)
		return -EINVAL;
	/* Several lines at once (a whole /dev/kmsg record with its dictionary)
	 * are taken one by one. */
	while (len > 0) {
		const char *nl = memchr(line, '\n', len);
		size_t n = nl ? (size_t)(nl - line) : len;

		if (n > 0)
			completed |= feed_line(p, line, n);
		if (!nl)
			break;
		line = nl + 1;
		len -= n + 1;
	}
	return completed;
}

const OomReport *ks_oom_parser_report(const struct kmemsnap_oom_parser *p)
{
	return p ? __atomic_load_n(&p->done, __ATOMIC_ACQUIRE)->r : NULL;
}

KMEMSNAP_API int kmemsnap_oom_parser_last(const struct kmemsnap_oom_parser *p,
					  int *victim_pid)
{
	const OomReport *r = ks_oom_parser_report(p);

	if (victim_pid)
		*victim_pid = r && r->killed ? r->killed->pid : 0;
	return r != NULL;
}

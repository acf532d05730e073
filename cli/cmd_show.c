/* SPDX-License-Identifier: MIT */
/*
 * kmemsnap show: a snapshot for a person, or the whole of it as JSON.
 *
 * The text view renders from the generated structs. The section status table
 * walks Snapshot's descriptor instead, so a section added to the schema gets
 * its row without code here; --json is the generic printer (json.c).
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "json.h"
#include "show_crash.h"
#include "show_watch.h"
#include "snapfile.h"
#include "units.h"

typedef Kmemsnap__V1__Header KsHeader;
typedef Kmemsnap__V1__Meminfo KsMeminfo;
typedef Kmemsnap__V1__Slab KsSlab;
typedef Kmemsnap__V1__SlabCache KsSlabCache;
typedef Kmemsnap__V1__Vmalloc KsVmalloc;
typedef Kmemsnap__V1__VmallocCaller KsVmallocCaller;
typedef Kmemsnap__V1__VmallocKindTotal KsVmallocKind;
typedef Kmemsnap__V1__Processes KsProcesses;
typedef Kmemsnap__V1__Process KsProcess;
typedef Kmemsnap__V1__Kmemleak KsKmemleak;
typedef Kmemsnap__V1__KmemleakGroup KsLeakGroup;
typedef Kmemsnap__V1__KmemleakObject KsLeakObject;
typedef Kmemsnap__V1__Shmem KsShmem;
typedef Kmemsnap__V1__MemoryMount KsMount;
typedef Kmemsnap__V1__ShmSegment KsSegment;
typedef Kmemsnap__V1__Pressure KsPressure;
typedef Kmemsnap__V1__PressureLine KsPressureLine;
typedef Kmemsnap__V1__Cgroup KsCgroup;
typedef Kmemsnap__V1__KeyValue KsKeyValue;
typedef Kmemsnap__V1__OomReport KsOomReport;
typedef Kmemsnap__V1__OomTask KsOomTask;
typedef Kmemsnap__V1__OomSlabCache KsOomSlab;
typedef Kmemsnap__V1__OomKill KsOomKill;
typedef Kmemsnap__V1__Pstore KsPstore;
typedef Kmemsnap__V1__PstoreRecord KsPstoreRecord;

#define DEFAULT_TOP 15
/* Only for a snapshot without its page size (the library records it). */
#define FALLBACK_PAGE_SIZE 4096
/* Characters of a cgroup path in the process table; longer ones lose their
 * start, as the end (service, container) says the most. */
#define CGROUP_COLUMNS 32
/* Frames of a kmemleak backtrace shown; the deepest are syscall entry. */
#define LEAK_FRAMES 8
/* mm/kmemleak.c: hex_dump_object prints at most HEX_MAX_LINES (2) rows of
 * HEX_ROW_SIZE (16) bytes; a longer dump is not the kernel's. */
#define HEX_ROW 16
#define HEX_ROWS 2
/* The v1 memcg block of an OOM report prints the PAGE_COUNTER_MAX limit in
 * kB (9007199254740988kB with 4 KiB pages, mm/memcontrol.c:
 * mem_cgroup_print_oom_meminfo); from 2^62 bytes on, a limit is none. */
#define UNLIMITED_KB (1ull << 52)
/* Lines of a pstore dmesg record shown, its last ones (the panic);
 * --top 0 shows them all. */
#define DMESG_TAIL_LINES 20

static const char help[] =
	"usage: kmemsnap show [--json [--compact]] [--top N] [--color=WHEN] FILE\n"
	"\n"
	"Prints the snapshot in FILE (- is standard input): its header, how each\n"
	"section was read, the main /proc/meminfo figures, the largest slab\n"
	"caches, vmalloc callers, processes by OOM score, kmemleak's unreferenced\n"
	"objects, memory-backed filesystems and SysV shared memory, memory\n"
	"pressure, memory cgroups, the kernel's OOM report and what pstore kept\n"
	"of the previous boot (with the end of its kernel log), when the\n"
	"snapshot has them.\n"
	"\n"
	"A crash handler's snapshot also shows the signal and the backtrace,\n"
	"symbolized from the modules' files on this machine or from debug files\n"
	"found by build id below $KMEMSNAP_DEBUG_DIR (default /usr/lib/debug).\n"
	"\n"
	"Options:\n"
	"      --json          print the whole snapshot as JSON instead, in\n"
	"                      protobuf's canonical JSON mapping\n"
	"      --compact       JSON on a single line (implies --json)\n"
	"  -n, --top N         rows in each table (default 15; 0 shows all,\n"
	"                      and the whole text of pstore's dmesg records)\n"
	"      --color[=WHEN]  colour: auto (on a terminal unless NO_COLOR is\n"
	"                      set; the default), always, never\n"
	"  -h, --help          show this help\n";

struct view {
	uint32_t top;	    /* rows per table */
	uint64_t page_size; /* bytes */
};

static size_t rows(const struct view *v, size_t n)
{
	return n < v->top ? n : v->top;
}

static void heading(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void heading(const char *fmt, ...)
{
	va_list ap;

	printf("\n%s", color(COLOR_BOLD));
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("%s\n", color(COLOR_RESET));
}

/* One "  key          value" line of the header. */
static void item(const char *key, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void item(const char *key, const char *fmt, ...)
{
	va_list ap;

	printf("  %-12s ", key);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* A size in KiB from an optional field, or "-". */
static struct human opt_kb(bool has, uint64_t kb)
{
	return has ? human_kb(kb) : human_text(NULL);
}

static uint64_t pages_bytes(const struct view *v, uint64_t pages)
{
	return pages * v->page_size;
}

/* Appends to h, cut at its size: for lines made of optional parts. */
static void vappend(struct human *h, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
static void vappend(struct human *h, const char *fmt, va_list ap)
{
	size_t len = strlen(h->s);

	vsnprintf(h->s + len, sizeof(h->s) - len, fmt, ap);
}

static void append(struct human *h, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void append(struct human *h, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vappend(h, fmt, ap);
	va_end(ap);
}

/* Appends one more ", "-separated part when has is true. */
static void list_item(struct human *h, bool has, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void list_item(struct human *h, bool has, const char *fmt, ...)
{
	va_list ap;

	if (!has)
		return;
	if (h->s[0])
		append(h, ", ");
	va_start(ap, fmt);
	vappend(h, fmt, ap);
	va_end(ap);
}

/* "  ... 3 of 5 caches shown" under a table that --top cut. */
static void shown_note(const char *indent, size_t n, uint64_t total,
		       const char *what)
{
	if (n < total)
		printf("%s... %zu of %llu %s shown\n", indent, n,
		       (unsigned long long)total, what);
}

/* A copy of the array of n message pointers at elems, in cmp's order: a
 * table shown largest first leaves the snapshot as it is. Free it; NULL
 * when out of memory. */
static void *sorted(const void *elems, size_t n,
		    int (*cmp)(const void *, const void *))
{
	void *out = calloc(n ? n : 1, sizeof(void *));

	if (!out)
		return NULL;
	memcpy(out, elems, n * sizeof(void *));
	qsort(out, n, sizeof(void *), cmp);
	return out;
}

/* Descending order of two counts, for qsort. */
static int desc(uint64_t a, uint64_t b)
{
	return (a < b) - (a > b);
}

/* strcmp with NULL first: a tie-break that keeps the order the same on
 * every C library. */
static int text_cmp(const char *a, const char *b)
{
	if (!a || !b)
		return (a != NULL) - (b != NULL);
	return strcmp(a, b);
}

/* ---- header ------------------------------------------------------------- */

static void show_header(const KsHeader *h)
{
	if (!h) {
		printf("%sSnapshot without a header%s\n", color(COLOR_BOLD),
		       color(COLOR_RESET));
		return;
	}
	printf("%sSnapshot of %s%s\n", color(COLOR_BOLD),
	       h->hostname ? human_text(h->hostname).s : "an unnamed host",
	       color(COLOR_RESET));
	if (h->kernel_release)
		item("kernel", "%s%s%s", human_text(h->kernel_release).s,
		     h->machine ? " " : "",
		     h->machine ? human_text(h->machine).s : "");
	if (h->kernel_version)
		item("version", "%s", human_text(h->kernel_version).s);
	if (h->boot_id)
		item("boot id", "%s", human_text(h->boot_id).s);
	if (h->has_realtime_ns)
		item("captured", "%s (local %s)",
		     human_time_utc(h->realtime_ns).s,
		     human_time_local(h->realtime_ns).s);
	if (h->has_uptime_ms)
		item("uptime", "%s",
		     human_duration_ns(h->uptime_ms * 1000000).s);
	if (h->has_trigger)
		item("trigger", "%s%s%s",
		     enum_word(&kmemsnap__v1__trigger__descriptor, h->trigger).s,
		     h->trigger_detail ? ": " : "",
		     h->trigger_detail ? human_text(h->trigger_detail).s : "");
	if (h->has_capture_duration_ns)
		item("took", "%s", human_duration_ns(h->capture_duration_ns).s);
	if (h->library_version)
		item("library", "kmemsnap %s",
		     human_text(h->library_version).s);
	if (h->root)
		item("root", "%s (not the live system)", human_text(h->root).s);
	if (h->has_page_size_bytes)
		item("page size", "%s", human_bytes(h->page_size_bytes).s);
	if (h->has_kernel_build_id) {
		size_t i;

		printf("  %-12s ", "build id");
		for (i = 0; i < h->kernel_build_id.len; i++)
			printf("%02x", h->kernel_build_id.data[i]);
		putchar('\n');
	}
}

/* ---- section status ----------------------------------------------------- */

/* A section is a message field of Snapshot whose own field 1 is its
 * SectionStatus, as the schema has every section begin. */
static bool is_section(const ProtobufCFieldDescriptor *f)
{
	const ProtobufCFieldDescriptor *first;

	if (f->type != PROTOBUF_C_TYPE_MESSAGE)
		return false;
	first = protobuf_c_message_descriptor_get_field(f->descriptor, 1);
	return first && first->label != PROTOBUF_C_LABEL_REPEATED &&
	       first->descriptor == &kmemsnap__v1__section_status__descriptor;
}

static const KsStatus *status_of(const ProtobufCMessage *section)
{
	static const KsStatus none = KMEMSNAP__V1__SECTION_STATUS__INIT;
	const ProtobufCFieldDescriptor *first =
		protobuf_c_message_descriptor_get_field(section->descriptor, 1);
	const KsStatus *st = *(const KsStatus *const *)((const char *)section +
							first->offset);

	return st ? st : &none;
}

static enum color state_color(const KsStatus *st)
{
	switch (st->state) {
	case KMEMSNAP__V1__SECTION_STATUS__STATE__STATE_OK: return COLOR_GREEN;
	case KMEMSNAP__V1__SECTION_STATUS__STATE__STATE_TRUNCATED:
		return COLOR_YELLOW;
	default: return COLOR_RED;
	}
}

/* A row for a section: st is NULL when the snapshot lacks the section, and
 * points to an empty status when the section carries none. */
static void status_row(const char *name, const KsStatus *st)
{
	const ProtobufCEnumDescriptor *states =
		&kmemsnap__v1__section_status__state__descriptor;
	const char *dash = "-";

	if (!st) {
		printf("  %-14s absent\n", name);
		return;
	}
	printf("  %-14s %s%-12s%s", name, color(state_color(st)),
	       st->has_state ? enum_word(states, st->state).s : dash,
	       color(COLOR_RESET));
	printf(" %9s", st->has_duration_ns ?
			       human_duration_ns(st->duration_ns).s :
			       dash);
	printf(" %10s",
	       st->has_source_bytes ? human_bytes(st->source_bytes).s : dash);
	printf(" %7s",
	       st->has_lines_skipped ? human_count(st->lines_skipped).s : dash);
	printf("  %s", human_text(st->path).s);
	if (st->has_error_number)
		printf("  %s", human_errno(st->error_number).s);
	if (st->detail)
		printf("  (%s)", human_text(st->detail).s);
	putchar('\n');
}

static void show_status_table(const KsSnapshot *s)
{
	const ProtobufCMessageDescriptor *d = s->base.descriptor;
	unsigned i;

	heading("Sections");
	printf("  %-14s %-12s %9s %10s %7s  %s\n", "SECTION", "STATE", "TIME",
	       "READ", "SKIPPED", "SOURCE");
	for (i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		const void *member = (const char *)s + f->offset;
		const ProtobufCMessage *const *elems = member;
		size_t n, k;

		if (!is_section(f))
			continue;
		if (f->label != PROTOBUF_C_LABEL_REPEATED) {
			status_row(f->name,
				   elems[0] ? status_of(elems[0]) : NULL);
			continue;
		}
		/* A repeated section (one per cgroup): a row each. */
		n = *(const size_t *)((const char *)s + f->quantifier_offset);
		elems = *(const ProtobufCMessage *const *const *)member;
		for (k = 0; k < n; k++) {
			char name[64];

			snprintf(name, sizeof(name), "%s[%zu]", f->name, k);
			status_row(name, status_of(elems[k]));
		}
	}
}

/* Whether a section has data to show: an unavailable one gets a one-line
 * note instead (its reason is in the table above). */
static bool available(const char *title, const KsStatus *st)
{
	if (!st ||
	    st->state != KMEMSNAP__V1__SECTION_STATUS__STATE__STATE_UNAVAILABLE)
		return true;
	printf("\n%s%s%s: unavailable", color(COLOR_BOLD), title,
	       color(COLOR_RESET));
	if (st->has_error_number)
		printf(": %s", human_errno(st->error_number).s);
	if (st->path)
		printf(" (%s)", human_text(st->path).s);
	if (st->detail)
		printf(": %s", human_text(st->detail).s);
	putchar('\n');
	return false;
}

static void truncated_note(const KsStatus *st)
{
	if (st &&
	    st->state == KMEMSNAP__V1__SECTION_STATUS__STATE__STATE_TRUNCATED)
		printf("  %struncated:%s a bound was hit while reading; the "
		       "figures above are partial\n",
		       color(COLOR_YELLOW), color(COLOR_RESET));
}

/* ---- meminfo ------------------------------------------------------------ */

/* "  Label   size   share of MemTotal" for a field that is present. */
static void kb_row(const char *label, bool has, uint64_t kb, uint64_t total)
{
	if (!has)
		return;
	printf("  %-16s %11s", label, human_kb(kb).s);
	if (total)
		printf("  %6s", human_percent(kb, total).s);
	putchar('\n');
}

static void show_hugepages(const KsMeminfo *m, uint64_t total)
{
	uint64_t kb = m->has_hugetlb_kb ?
			      m->hugetlb_kb :
			      m->huge_pages_total * m->hugepagesize_kb;

	if (!m->has_huge_pages_total)
		return;
	printf("  %-16s %11s  %6s  %llu pages of %s: %llu free, %llu reserved, "
	       "%llu surplus\n",
	       "HugePages", human_kb(kb).s, human_percent(kb, total).s,
	       (unsigned long long)m->huge_pages_total,
	       human_kb(m->hugepagesize_kb).s,
	       (unsigned long long)m->huge_pages_free,
	       (unsigned long long)m->huge_pages_rsvd,
	       (unsigned long long)m->huge_pages_surp);
}

static void show_meminfo(const KsMeminfo *m)
{
	uint64_t total = m->mem_total_kb;
	size_t i;

	if (!available("Memory", m->status))
		return;
	heading("Memory (/proc/meminfo)");
	kb_row("MemTotal", m->has_mem_total_kb, m->mem_total_kb, 0);
	kb_row("MemFree", m->has_mem_free_kb, m->mem_free_kb, total);
	kb_row("MemAvailable", m->has_mem_available_kb, m->mem_available_kb,
	       total);
	kb_row("Buffers", m->has_buffers_kb, m->buffers_kb, total);
	kb_row("Cached", m->has_cached_kb, m->cached_kb, total);
	kb_row("Shmem", m->has_shmem_kb, m->shmem_kb, total);
	kb_row("AnonPages", m->has_anon_pages_kb, m->anon_pages_kb, total);
	kb_row("Slab", m->has_slab_kb, m->slab_kb, total);
	kb_row("  SReclaimable", m->has_s_reclaimable_kb, m->s_reclaimable_kb,
	       total);
	kb_row("  SUnreclaim", m->has_s_unreclaim_kb, m->s_unreclaim_kb, total);
	kb_row("KernelStack", m->has_kernel_stack_kb, m->kernel_stack_kb,
	       total);
	kb_row("PageTables", m->has_page_tables_kb, m->page_tables_kb, total);
	kb_row("VmallocUsed", m->has_vmalloc_used_kb, m->vmalloc_used_kb,
	       total);
	kb_row("Percpu", m->has_percpu_kb, m->percpu_kb, total);
	show_hugepages(m, total);
	kb_row("SwapTotal", m->has_swap_total_kb, m->swap_total_kb, 0);
	kb_row("SwapFree", m->has_swap_free_kb, m->swap_free_kb, 0);
	kb_row("SwapCached", m->has_swap_cached_kb, m->swap_cached_kb, 0);
	if (m->n_other > 0)
		printf("  other keys:\n");
	for (i = 0; i < m->n_other; i++) {
		const Kmemsnap__V1__MeminfoOther *o = m->other[i];
		bool kb = o->unit && strcmp(o->unit, "kB") == 0;

		printf("    %-14s %11s%s%s\n", human_text(o->key).s,
		       kb ? human_kb(o->value).s : human_count(o->value).s,
		       o->unit && !kb ? " " : "",
		       o->unit && !kb ? human_text(o->unit).s : "");
	}
	truncated_note(m->status);
}

/* ---- slab --------------------------------------------------------------- */

static uint64_t slab_footprint(const struct view *v, const KsSlabCache *c)
{
	return pages_bytes(v, c->num_slabs * c->pages_per_slab);
}

static void show_slab(const KsSlab *s, const struct view *v)
{
	size_t i, n = rows(v, s->n_caches);

	if (!available("Slab", s->status))
		return;
	heading("Slab caches (%s%s%s)",
		enum_word(&kmemsnap__v1__slab_source__descriptor, s->source).s,
		s->version ? ", slabinfo " : "",
		s->version ? human_text(s->version).s : "");
	printf("  %u caches, %llu of %llu objects active, footprint %s "
	       "(objects in use %s)\n",
	       s->caches_total, (unsigned long long)s->active_objs_total,
	       (unsigned long long)s->num_objs_total,
	       human_bytes(s->footprint_bytes_total).s,
	       human_bytes(s->active_bytes_total).s);
	if (s->has_slabinfo_errno)
		printf("  /proc/slabinfo not used: %s\n",
		       human_errno(s->slabinfo_errno).s);
	printf("  %-26s %10s %10s %8s %11s %6s\n", "NAME", "ACTIVE", "TOTAL",
	       "OBJSIZE", "FOOTPRINT", "SHARE");
	for (i = 0; i < n; i++) {
		const KsSlabCache *c = s->caches[i];
		uint64_t fp = slab_footprint(v, c);

		printf("  %-26s %10llu %10llu %8u %11s %6s\n",
		       human_text(c->name).s,
		       (unsigned long long)c->active_objs,
		       (unsigned long long)c->num_objs, c->objsize_bytes,
		       human_bytes(fp).s,
		       human_percent(fp, s->footprint_bytes_total).s);
	}
	if (n < s->caches_total)
		printf("  ... %zu of %u caches shown\n", n, s->caches_total);
	truncated_note(s->status);
}

/* ---- vmalloc ------------------------------------------------------------ */

static void show_vmalloc_kinds(const KsVmalloc *vm, const struct view *v)
{
	size_t i;

	if (vm->n_kinds == 0)
		return;
	printf("  by kind:\n");
	printf("    %-14s %8s %11s %11s\n", "KIND", "AREAS", "SIZE", "USED");
	for (i = 0; i < vm->n_kinds; i++) {
		const KsVmallocKind *k = vm->kinds[i];

		printf("    %-14s %8llu %11s %11s\n",
		       enum_word(&kmemsnap__v1__vmalloc_flag__descriptor,
				 k->kind)
			       .s,
		       (unsigned long long)k->areas, human_bytes(k->bytes).s,
		       human_bytes(pages_bytes(v, k->pages)).s);
	}
}

static void show_vmalloc(const KsVmalloc *vm, const struct view *v)
{
	size_t i, n = rows(v, vm->n_callers);

	if (!available("Vmalloc", vm->status))
		return;
	heading("Vmalloc (/proc/vmallocinfo)");
	printf("  %llu areas, %s of address space, vmalloc used %s "
	       "(pages x page size)\n",
	       (unsigned long long)vm->areas_total,
	       human_bytes(vm->bytes_total).s,
	       human_bytes(pages_bytes(v, vm->pages_total)).s);
	printf("  %11s %11s %8s  %-22s %s\n", "SIZE", "USED", "AREAS", "FLAGS",
	       "CALLER");
	for (i = 0; i < n; i++) {
		const KsVmallocCaller *c = vm->callers[i];

		printf("  %11s %11s %8llu  %-22s %s\n", human_bytes(c->bytes).s,
		       human_bytes(pages_bytes(v, c->pages)).s,
		       (unsigned long long)c->areas, vmalloc_flag_words(c->flags).s,
		       human_text(c->caller).s);
	}
	if (n < vm->callers_total)
		printf("  ... %zu of %u callers shown\n", n, vm->callers_total);
	if (vm->cut_areas)
		printf("  not kept (past the bound): %llu areas, %s, %s used\n",
		       (unsigned long long)vm->cut_areas,
		       human_bytes(vm->cut_bytes).s,
		       human_bytes(pages_bytes(v, vm->cut_pages)).s);
	show_vmalloc_kinds(vm, v);
	truncated_note(vm->status);
}

/* ---- processes ---------------------------------------------------------- */

/* Sanitised text cut from the left to at most width characters, "…"
 * marking the cut. human_text leaves only whole UTF-8 sequences. */
static struct human tail_text(const char *s, size_t width)
{
	struct human t = human_text(s), h;
	const char *p = t.s;
	size_t chars = 0, skip;

	while (*p) {
		p += utf8_len((const uint8_t *)p, strnlen(p, 4));
		chars++;
	}
	if (chars <= width)
		return t;
	p = t.s;
	for (skip = chars - (width - 1); skip > 0; skip--)
		p += utf8_len((const uint8_t *)p, strnlen(p, 4));
	snprintf(h.s, sizeof(h.s), "…%s", p);
	return h;
}

/* The process's memory cgroup from the snapshot's path table, or NULL. */
static const char *process_cgroup(const KsProcesses *p, const KsProcess *t)
{
	return t->has_cgroup && t->cgroup < p->n_cgroup_paths ?
		       p->cgroup_paths[t->cgroup] :
		       NULL;
}

static void show_processes(const KsProcesses *p, const struct view *v)
{
	const char *row = "  %7s %-16s %5s %5s %10s %10s %10s %10s %10s";
	/* A snapshot without cgroup paths (no /proc/PID/cgroup) gets no
	 * column of dashes. */
	bool cgroups = p->n_cgroup_paths > 0;
	size_t i, n = rows(v, p->n_top);

	if (!available("Processes", p->status))
		return;
	heading("Processes by OOM score");
	printf("  %u processes, %u kernel threads\n", p->count,
	       p->kernel_threads);
	printf(row, "PID", "COMM", "OOM", "ADJ", "RSS", "ANON", "FILE", "SHMEM",
	       "SWAP");
	printf("%s\n", cgroups ? "  CGROUP" : "");
	for (i = 0; i < n; i++) {
		const KsProcess *t = p->top[i];
		char pid[16], score[16], adj[16];

		snprintf(pid, sizeof(pid), "%d", t->pid);
		snprintf(score, sizeof(score), "%u", t->oom_score);
		snprintf(adj, sizeof(adj), "%d", t->oom_score_adj);
		printf(row, pid, human_text(t->comm).s,
		       t->has_oom_score ? score : "-",
		       t->has_oom_score_adj ? adj : "-",
		       opt_kb(t->has_vm_rss_kb, t->vm_rss_kb).s,
		       opt_kb(t->has_rss_anon_kb, t->rss_anon_kb).s,
		       opt_kb(t->has_rss_file_kb, t->rss_file_kb).s,
		       opt_kb(t->has_rss_shmem_kb, t->rss_shmem_kb).s,
		       opt_kb(t->has_vm_swap_kb, t->vm_swap_kb).s);
		if (cgroups)
			printf("  %s",
			       tail_text(process_cgroup(p, t), CGROUP_COLUMNS)
				       .s);
		putchar('\n');
	}
	if (n < p->count)
		printf("  ... %zu of %u processes shown\n", n, p->count);
	printf(row, "", "total", "", "",
	       opt_kb(p->has_vm_rss_kb_total, p->vm_rss_kb_total).s,
	       opt_kb(p->has_rss_anon_kb_total, p->rss_anon_kb_total).s,
	       opt_kb(p->has_rss_file_kb_total, p->rss_file_kb_total).s,
	       opt_kb(p->has_rss_shmem_kb_total, p->rss_shmem_kb_total).s,
	       opt_kb(p->has_vm_swap_kb_total, p->vm_swap_kb_total).s);
	putchar('\n');
	truncated_note(p->status);
}

/* ---- kmemleak ----------------------------------------------------------- */

/* Milliseconds as seconds with the kernel's three decimals: "105.641". */
static struct human ms_seconds(uint64_t ms)
{
	struct human h;

	snprintf(h.s, sizeof(h.s), "%llu.%03llu",
		 (unsigned long long)(ms / 1000),
		 (unsigned long long)(ms % 1000));
	return h;
}

/* A group's ages, youngest to oldest: "105.641-445.740 s", or "-" for a
 * kernel that no longer prints "(age N.NNNs)" (~6.5+). */
static struct human leak_ages(const KsLeakGroup *g)
{
	struct human h = { "" };

	if (!g->has_oldest_age_ms)
		return human_text(NULL);
	if (g->has_newest_age_ms && g->newest_age_ms != g->oldest_age_ms)
		append(&h, "%s-", ms_seconds(g->newest_age_ms).s);
	append(&h, "%s s", ms_seconds(g->oldest_age_ms).s);
	return h;
}

/* "demo-ctl pid 2301, 2.0 KiB at 0xffff888012345000" */
static struct human leak_sample(const KsLeakObject *o)
{
	struct human h = { "" };

	if (!o)
		return human_text(NULL);
	append(&h, "%s", human_text(o->comm).s);
	if (o->has_pid)
		append(&h, " pid %d", o->pid);
	if (o->has_size_bytes)
		append(&h, ", %s", human_bytes(o->size_bytes).s);
	if (o->has_address)
		append(&h, " at 0x%llx", (unsigned long long)o->address);
	return h;
}

static void show_hex_dump(const ProtobufCBinaryData *d)
{
	size_t max = HEX_ROW * HEX_ROWS, n = d->len < max ? d->len : max;
	size_t i, k;

	for (i = 0; i < n; i += HEX_ROW) {
		printf("      %-4s", i == 0 ? "hex" : "");
		for (k = i; k < n && k < i + HEX_ROW; k++)
			printf(" %02x", d->data[k]);
		putchar('\n');
	}
	if (n < d->len)
		printf("          … %zu more bytes\n", d->len - n);
}

/* Frames index the section's symbol table; an index past it is a damaged
 * file, shown rather than followed. */
static void show_leak_frames(const KsKmemleak *k, const KsLeakGroup *g)
{
	size_t i, n = g->n_frames < LEAK_FRAMES ? g->n_frames : LEAK_FRAMES;

	for (i = 0; i < n; i++) {
		uint32_t f = g->frames[i];

		if (f < k->n_symbols)
			printf("      %s\n", human_text(k->symbols[f]).s);
		else
			printf("      ? (symbol %u of %zu)\n", f, k->n_symbols);
	}
	if (n < g->n_frames)
		printf("      … %zu more\n", g->n_frames - n);
}

static void show_kmemleak(const KsKmemleak *k, const struct view *v)
{
	const char *row = "  %8s %11s  %-19s %s\n";
	size_t i, n = rows(v, k->n_groups);

	if (!available("Kmemleak", k->status))
		return;
	heading("Kmemleak: unreferenced objects by backtrace");
	printf("  %llu objects, %s, %u backtraces (%s)\n",
	       (unsigned long long)k->objects_total,
	       human_bytes(k->bytes_total).s, k->groups_total,
	       k->scanned ? "scanned just before reading" :
			    "from kmemleak's last periodic scan");
	if (k->cut_groups || k->cut_objects)
		printf("  not kept (past the bound): %u backtraces, %llu "
		       "objects, %s\n",
		       k->cut_groups, (unsigned long long)k->cut_objects,
		       human_bytes(k->cut_bytes).s);
	if (k->n_groups > 0)
		printf(row, "OBJECTS", "BYTES", "AGE", "SAMPLE");
	for (i = 0; i < n; i++) {
		const KsLeakGroup *g = k->groups[i];

		printf(row, human_count(g->objects).s, human_bytes(g->bytes).s,
		       leak_ages(g).s, leak_sample(g->sample).s);
		if (g->sample && g->sample->has_hex_dump)
			show_hex_dump(&g->sample->hex_dump);
		show_leak_frames(k, g);
	}
	shown_note("  ", n, k->groups_total, "backtraces");
	truncated_note(k->status);
}

/* ---- shmem -------------------------------------------------------------- */

static void show_mount(const KsMount *m)
{
	const char *row = "  %-10s %10s %10s %6s %17s  %s";
	struct human type =
		enum_word(&kmemsnap__v1__fs_type__descriptor, m->fs_type);
	char inodes[48] = "-";

	if (m->has_statfs_errno) {
		printf(row, type.s, "-", "-", "-", "-",
		       human_text(m->mount_point).s);
		printf("  (statfs: %s)\n", human_errno(m->statfs_errno).s);
		return;
	}
	if (m->has_inodes)
		snprintf(inodes, sizeof(inodes), "%llu/%llu",
			 (unsigned long long)m->inodes_used,
			 (unsigned long long)m->inodes);
	printf(row, type.s, human_bytes(m->used_bytes).s,
	       human_bytes(m->size_bytes).s,
	       human_percent(m->used_bytes, m->size_bytes).s, inodes,
	       human_text(m->mount_point).s);
	putchar('\n');
}

static void show_mounts(const KsShmem *sh, const struct view *v)
{
	size_t i, n = rows(v, sh->n_mounts);

	if (!available("Memory-backed filesystems", sh->status))
		return;
	heading("Memory-backed filesystems (tmpfs, ramfs, hugetlbfs, "
		"devtmpfs)");
	if (sh->n_mounts == 0) {
		printf("  none mounted\n");
		return;
	}
	printf("  %-10s %10s %10s %6s %17s  %s\n", "TYPE", "USED", "SIZE",
	       "USE%", "INODES", "MOUNT");
	for (i = 0; i < n; i++)
		show_mount(sh->mounts[i]);
	shown_note("  ", n, sh->n_mounts, "mounts");
	truncated_note(sh->status);
}

/* ipc/shm.c: sysvipc_shm_proc_show; the key in hex and the mode in octal,
 * as ipcs prints them. */
static void show_segments(const KsShmem *sh, const struct view *v)
{
	const char *row = "  %10s  %-10s %10s %10s %6s %8s %8s %5s\n";
	size_t i, n = rows(v, sh->n_segments);

	/* A snapshot from before the SysV part has neither. */
	if (!sh->sysvipc_status && !sh->has_segments_total)
		return;
	if (!available("SysV shared memory", sh->sysvipc_status))
		return;
	heading("SysV shared memory (/proc/sysvipc/shm)");
	printf("  %u segments, %s, %s resident\n", sh->segments_total,
	       human_bytes(sh->segment_bytes_total).s,
	       human_bytes(sh->segment_rss_bytes_total).s);
	if (sh->n_segments == 0)
		return;
	printf(row, "SHMID", "KEY", "SIZE", "RSS", "NATTCH", "CPID", "UID",
	       "PERMS");
	for (i = 0; i < n; i++) {
		const KsSegment *g = sh->segments[i];

		printf("  %10u  0x%08x %10s %10s %6u %8d %8u %5o\n", g->shmid,
		       (uint32_t)g->key, human_bytes(g->size_bytes).s,
		       human_bytes(g->rss_bytes).s, g->nattch, g->cpid, g->uid,
		       g->perms);
	}
	shown_note("  ", n, sh->segments_total, "segments");
	truncated_note(sh->sysvipc_status);
}

static void show_shmem(const KsShmem *sh, const struct view *v)
{
	show_mounts(sh, v);
	show_segments(sh, v);
}

/* ---- pressure ----------------------------------------------------------- */

/* kernel/sched/psi.c prints averages with two decimals; the snapshot keeps
 * hundredths: 123 is "1.23%". */
static struct human centipercent(bool has, uint32_t v)
{
	struct human h;

	if (!has)
		return human_text(NULL);
	snprintf(h.s, sizeof(h.s), "%u.%02u%%", v / 100, v % 100);
	return h;
}

static struct human us_duration(bool has, uint64_t us)
{
	if (!has)
		return human_text(NULL);
	return human_duration_ns(us > UINT64_MAX / 1000 ? UINT64_MAX :
							  us * 1000);
}

static void pressure_line(const char *indent, const char *name,
			  const KsPressureLine *l)
{
	if (!l)
		return;
	printf("%s%-6s %8s %8s %8s %13s\n", indent, name,
	       centipercent(l->has_avg10_centipct, l->avg10_centipct).s,
	       centipercent(l->has_avg60_centipct, l->avg60_centipct).s,
	       centipercent(l->has_avg300_centipct, l->avg300_centipct).s,
	       us_duration(l->has_total_us, l->total_us).s);
}

/* "some": at least one task stalled on memory; "full": all non-idle tasks
 * at once. Averages over 10, 60 and 300 s, and the stall time in all. */
static void pressure_table(const char *indent, const KsPressure *p)
{
	printf("%s%-6s %8s %8s %8s %13s\n", indent, "", "AVG10", "AVG60",
	       "AVG300", "TOTAL");
	pressure_line(indent, "some", p->some);
	pressure_line(indent, "full", p->full);
}

static bool has_pressure(const KsPressure *p)
{
	return p && (p->some || p->full);
}

static void show_pressure(const KsPressure *p)
{
	if (!available("Pressure", p->status) || !has_pressure(p))
		return;
	heading("Memory pressure (/proc/pressure/memory)");
	pressure_table("  ", p);
	truncated_note(p->status);
}

/* ---- cgroups ------------------------------------------------------------ */

/* The memory.stat keys that say where a cgroup's memory is, all in bytes:
 * v2 (mm/memcontrol.c: memory_stat_format), then v1 (memcg1_stat_format). */
static const char *const cgroup_stat_keys[] = {
	"anon",
	"file",
	"kernel",
	"kernel_stack",
	"pagetables",
	"slab_reclaimable",
	"slab_unreclaimable",
	"sock",
	"shmem",
	"percpu",
	"vmalloc",
	/* v1 */
	"rss",
	"cache",
	"mapped_file",
	"total_rss",
	"total_cache",
};

/* A limit: the file said "max" (v2) or the v1 maximum when unset. */
static struct human limit_bytes(bool has, uint64_t bytes)
{
	static const struct human unlimited = { "unlimited" };

	return has ? human_bytes(bytes) : unlimited;
}

static void show_cgroup_events(const KsCgroup *cg)
{
	size_t i;

	if (cg->n_events == 0)
		return;
	printf("  %-12s", cg->version == 1 ? "oom_control" : "events");
	for (i = 0; i < cg->n_events; i++)
		printf(" %s=%llu", human_text(cg->events[i]->key).s,
		       (unsigned long long)cg->events[i]->value);
	putchar('\n');
}

static void show_cgroup_stat(const KsCgroup *cg)
{
	bool any = false;
	size_t i, k;

	for (i = 0; i < sizeof(cgroup_stat_keys) / sizeof(*cgroup_stat_keys);
	     i++)
		for (k = 0; k < cg->n_stat; k++) {
			const KsKeyValue *kv = cg->stat[k];

			if (text_cmp(kv->key, cgroup_stat_keys[i]) != 0)
				continue;
			if (!any)
				printf("  memory.stat:\n");
			any = true;
			printf("    %-20s %11s\n", cgroup_stat_keys[i],
			       human_bytes(kv->value).s);
			break;
		}
}

static void show_cgroup(const KsCgroup *cg)
{
	struct human title = { "" }, about = { "" };

	append(&title, "Memory cgroup %s", human_text(cg->path).s);
	if (!available(title.s, cg->status))
		return;
	list_item(&about, cg->has_version, "v%u", cg->version);
	list_item(&about, cg->trigger_reason != NULL, "%s",
		  human_text(cg->trigger_reason).s);
	heading("%s%s%s%s", title.s, about.s[0] ? " (" : "", about.s,
		about.s[0] ? ")" : "");
	if (cg->has_usage_bytes)
		item("usage", "%s", human_bytes(cg->usage_bytes).s);
	if (cg->has_usage_bytes && cg->has_max_bytes)
		item("max", "%s (%s used)", human_bytes(cg->max_bytes).s,
		     human_percent(cg->usage_bytes, cg->max_bytes).s);
	else
		item("max", "%s",
		     limit_bytes(cg->has_max_bytes, cg->max_bytes).s);
	/* memory.high is v2 only. */
	if (cg->version != 1)
		item("high", "%s",
		     limit_bytes(cg->has_high_bytes, cg->high_bytes).s);
	if (cg->has_kmem_usage_bytes)
		item("kmem usage", "%s", human_bytes(cg->kmem_usage_bytes).s);
	if (cg->has_swap_usage_bytes)
		item("swap", "%s", human_bytes(cg->swap_usage_bytes).s);
	show_cgroup_events(cg);
	show_cgroup_stat(cg);
	if (has_pressure(cg->pressure)) {
		printf("  memory.pressure:\n");
		pressure_table("    ", cg->pressure);
	}
	truncated_note(cg->status);
}

static void show_cgroups(const KsSnapshot *s, const struct view *v)
{
	size_t i, n = rows(v, s->n_cgroups);

	for (i = 0; i < n; i++)
		show_cgroup(s->cgroups[i]);
	shown_note("  ", n, s->n_cgroups, "cgroups");
}

/* ---- kernel OOM report -------------------------------------------------- */

static struct human opt_pages(const struct view *v, bool has, uint64_t pages)
{
	return has ? human_bytes(pages_bytes(v, pages)) : human_text(NULL);
}

/* A memcg figure of the report in kB, "unlimited" for the counter's
 * maximum. */
static struct human memcg_kb(uint64_t kb)
{
	static const struct human unlimited = { "unlimited" };

	return kb >= UNLIMITED_KB ? unlimited : human_kb(kb);
}

/* "116 (stress-ng-vm): total-vm 10.0 GiB, anon-rss 7.6 GiB, ..." for the
 * "Killed process" and "oom_reaper: reaped process" lines
 * (mm/oom_kill.c: __oom_kill_process, oom_reap_task_mm). */
static struct human oom_kill_text(const KsOomKill *k)
{
	struct human h = { "" }, parts = { "" };

	list_item(&parts, k->has_total_vm_kb, "total-vm %s",
		  human_kb(k->total_vm_kb).s);
	list_item(&parts, k->has_anon_rss_kb, "anon-rss %s",
		  human_kb(k->anon_rss_kb).s);
	list_item(&parts, k->has_file_rss_kb, "file-rss %s",
		  human_kb(k->file_rss_kb).s);
	list_item(&parts, k->has_shmem_rss_kb, "shmem-rss %s",
		  human_kb(k->shmem_rss_kb).s);
	list_item(&parts, k->has_uid, "uid %u", k->uid);
	list_item(&parts, k->has_oom_score_adj, "oom_score_adj %d",
		  k->oom_score_adj);
	append(&h, "%d (%s)%s%s", k->pid, human_text(k->comm).s,
	       parts.s[0] ? ": " : "", parts.s);
	return h;
}

/* Who asked for memory, how, and under which constraint
 * (mm/oom_kill.c: dump_header, dump_oom_summary). */
static void show_oom_header(const KsOomReport *r)
{
	struct human inv = { "" }, gfp = { "" }, con = { "" };

	if (r->has_timestamp_us)
		item("time", "%llu.%06llu s after boot",
		     (unsigned long long)(r->timestamp_us / 1000000),
		     (unsigned long long)(r->timestamp_us % 1000000));
	list_item(&inv, r->invoker_comm != NULL, "%s",
		  human_text(r->invoker_comm).s);
	list_item(&inv, r->has_order, "order %d", r->order);
	list_item(&inv, r->has_oom_score_adj, "oom_score_adj %d",
		  r->oom_score_adj);
	if (inv.s[0])
		item("invoker", "%s", inv.s);
	if (r->has_gfp_mask)
		append(&gfp, "0x%llx", (unsigned long long)r->gfp_mask);
	if (r->gfp_flags)
		append(&gfp, "%s(%s)", gfp.s[0] ? " " : "",
		       human_text(r->gfp_flags).s);
	if (gfp.s[0])
		item("gfp_mask", "%s", gfp.s);
	list_item(&con, r->has_constraint, "%s",
		  enum_word(&kmemsnap__v1__oom_constraint__descriptor,
			    r->constraint)
			  .s);
	list_item(&con, r->has_global_oom && r->global_oom, "global");
	if (con.s[0])
		item("constraint", "%s", con.s);
	if (r->oom_memcg)
		item("oom memcg", "%s", human_text(r->oom_memcg).s);
	if (r->task_memcg)
		item("task memcg", "%s", human_text(r->task_memcg).s);
}

static int by_rss(const void *a, const void *b)
{
	const KsOomTask *x = *(const KsOomTask *const *)a;
	const KsOomTask *y = *(const KsOomTask *const *)b;

	if (x->rss_pages != y->rss_pages)
		return desc(x->rss_pages, y->rss_pages);
	return (x->pid > y->pid) - (x->pid < y->pid);
}

/* dump_tasks(): pages, shown in bytes with the snapshot's page size. */
static void show_oom_tasks(const KsOomReport *r, const struct view *v)
{
	const char *row = "    %7s %6s %10s %10s %10s %10s %10s %5s  %s\n";
	/* Rows seen, kept or not; a file without the count has what it kept. */
	uint64_t total = r->has_tasks_total ? r->tasks_total : r->n_tasks;
	size_t i, n = rows(v, r->n_tasks);
	const KsOomTask **t;

	if (r->n_tasks == 0)
		return;
	t = sorted(r->tasks, r->n_tasks, by_rss);
	if (!t) {
		printf("  tasks: no memory to sort %zu rows\n", r->n_tasks);
		return;
	}
	printf("  tasks by RSS, %llu in the report:\n",
	       (unsigned long long)total);
	printf(row, "PID", "UID", "RSS", "ANON", "FILE", "SHMEM", "SWAP", "ADJ",
	       "NAME");
	for (i = 0; i < n; i++) {
		char pid[16], uid[16], adj[16];

		snprintf(pid, sizeof(pid), "%d", t[i]->pid);
		snprintf(uid, sizeof(uid), "%u", t[i]->uid);
		snprintf(adj, sizeof(adj), "%d", t[i]->oom_score_adj);
		printf(row, pid, t[i]->has_uid ? uid : "-",
		       opt_pages(v, t[i]->has_rss_pages, t[i]->rss_pages).s,
		       opt_pages(v, t[i]->has_rss_anon_pages,
				 t[i]->rss_anon_pages)
			       .s,
		       opt_pages(v, t[i]->has_rss_file_pages,
				 t[i]->rss_file_pages)
			       .s,
		       opt_pages(v, t[i]->has_rss_shmem_pages,
				 t[i]->rss_shmem_pages)
			       .s,
		       opt_pages(v, t[i]->has_swapents_pages,
				 t[i]->swapents_pages)
			       .s,
		       t[i]->has_oom_score_adj ? adj : "-",
		       human_text(t[i]->name).s);
	}
	shown_note("    ", n, total, "tasks");
	free(t);
}

static int by_slab_total(const void *a, const void *b)
{
	const KsOomSlab *x = *(const KsOomSlab *const *)a;
	const KsOomSlab *y = *(const KsOomSlab *const *)b;

	if (x->total_kb != y->total_kb)
		return desc(x->total_kb, y->total_kb);
	return text_cmp(x->name, y->name);
}

/* dump_unreclaimable_slab(), printed when unreclaimable slab outgrew all
 * user memory: the kernel's list order, shown largest first. */
static void show_oom_slab(const KsOomReport *r, const struct view *v)
{
	size_t i, n = rows(v, r->n_unreclaimable_slab);
	const KsOomSlab **c;

	if (r->n_unreclaimable_slab == 0)
		return;
	c = sorted(r->unreclaimable_slab, r->n_unreclaimable_slab,
		   by_slab_total);
	if (!c) {
		printf("  unreclaimable slab: no memory to sort %zu rows\n",
		       r->n_unreclaimable_slab);
		return;
	}
	printf("  unreclaimable slab, largest first:\n");
	printf("    %-26s %10s %10s\n", "NAME", "USED", "TOTAL");
	for (i = 0; i < n; i++)
		printf("    %-26s %10s %10s\n", human_text(c[i]->name).s,
		       human_kb(c[i]->used_kb).s, human_kb(c[i]->total_kb).s);
	shown_note("    ", n, r->n_unreclaimable_slab, "caches");
	free(c);
}

static int by_value(const void *a, const void *b)
{
	const KsKeyValue *x = *(const KsKeyValue *const *)a;
	const KsKeyValue *y = *(const KsKeyValue *const *)b;

	if (x->value != y->value)
		return desc(x->value, y->value);
	return text_cmp(x->key, y->key);
}

/* show_mem()'s "Mem-Info:" counters, in pages; largest first, so that what
 * --top keeps is what held the memory. */
static void show_oom_meminfo(const KsOomReport *r, const struct view *v)
{
	size_t i, n = rows(v, r->n_mem_info);
	const KsKeyValue **kv;

	if (r->n_mem_info == 0)
		return;
	kv = sorted(r->mem_info, r->n_mem_info, by_value);
	if (!kv) {
		printf("  Mem-Info: no memory to sort %zu counters\n",
		       r->n_mem_info);
		return;
	}
	printf("  Mem-Info, largest first:\n");
	for (i = 0; i < n; i++)
		printf("    %-26s %10s\n", human_text(kv[i]->key).s,
		       human_bytes(pages_bytes(v, kv[i]->value)).s);
	shown_note("    ", n, r->n_mem_info, "counters");
	free(kv);
}

/* mem_cgroup_print_oom_meminfo(): "memory: usage 524288kB, limit ...". */
static void show_oom_memcg(const KsOomReport *r, const struct view *v)
{
	size_t i, n = rows(v, r->n_memcg_usage_kb);

	if (r->n_memcg_usage_kb == 0)
		return;
	printf("  memory cgroup:\n");
	for (i = 0; i < n; i++)
		printf("    %-26s %10s\n",
		       human_text(r->memcg_usage_kb[i]->key).s,
		       memcg_kb(r->memcg_usage_kb[i]->value).s);
	shown_note("    ", n, r->n_memcg_usage_kb, "figures");
}

static void show_oom_report(const KsOomReport *r, const struct view *v)
{
	if (!available("Kernel OOM report", r->status))
		return;
	heading("Kernel OOM report%s%s", r->kill_message ? ": " : "",
		r->kill_message ? human_text(r->kill_message).s : "");
	show_oom_header(r);
	if (r->killed)
		printf("  %s%-12s%s %s\n", color(COLOR_RED), "killed",
		       color(COLOR_RESET), oom_kill_text(r->killed).s);
	if (r->reaped)
		item("reaped", "%s", oom_kill_text(r->reaped).s);
	show_oom_tasks(r, v);
	show_oom_slab(r, v);
	show_oom_meminfo(r, v);
	show_oom_memcg(r, v);
	truncated_note(r->status);
}

/* ---- pstore (collect-boot) ---------------------------------------------- */

/* "Panic#1 Part2" (fs/pstore/platform.c: pstore_dump) starts a dmesg part;
 * Part1 holds the end of the log. */
static bool older_part(const KsPstoreRecord *r)
{
	const char *t = (const char *)r->text.data;
	size_t head = r->text.len < 32 ? r->text.len : 32;
	const char *nl = head ? memchr(t, '\n', head) : NULL;
	const char *part = nl ? memmem(t, (size_t)(nl - t), " Part", 5) : NULL;

	return part && memchr(t, '#', (size_t)(part - t)) &&
	       !(part[5] == '1' && part + 6 == nl);
}

/* A dmesg record whose tail is worth showing: not an older part, and not
 * one of the parts systemd-pstore joined into a dmesg.txt beside it. */
static bool shows_tail(const KsPstore *ps, const KsPstoreRecord *r)
{
	const char *slash = strrchr(r->name, '/');
	size_t i, dir = slash ? (size_t)(slash - r->name) + 1 : 0;

	if (r->kind != KMEMSNAP__V1__PSTORE_KIND__PSTORE_KIND_DMESG ||
	    older_part(r))
		return false;
	if (!r->archived || strcmp(r->name + dir, "dmesg.txt") == 0)
		return true;
	for (i = 0; i < ps->n_records; i++) {
		const KsPstoreRecord *o = ps->records[i];

		if (o->archived && strlen(o->name) == dir + 9 &&
		    strncmp(o->name, r->name, dir) == 0 &&
		    strcmp(o->name + dir, "dmesg.txt") == 0)
			return false;
	}
	return true;
}

/* The last lines of the record's text (all with --top 0), made safe for
 * a terminal. */
static void show_dmesg_tail(const KsPstoreRecord *r, const struct view *v)
{
	const char *t = (const char *)r->text.data;
	size_t len = r->text.len, start, lines = 0;
	size_t want = v->top == UINT32_MAX ? SIZE_MAX : DMESG_TAIL_LINES;
	char line[sizeof(struct human)];

	while (len > 0 && t[len - 1] == '\n')
		len--;
	for (start = len; start > 0; start--)
		if (t[start - 1] == '\n' && ++lines == want)
			break;
	printf("  %s, %s:\n", human_text(r->name).s,
	       start == 0 ? "its text" : "its last lines");
	while (start < len) {
		const char *nl = memchr(t + start, '\n', len - start);
		size_t n = (nl ? (size_t)(nl - t) : len) - start;

		snprintf(line, sizeof(line), "%.*s", (int)n, t + start);
		printf("    %s\n", human_text(line).s);
		start += n + 1;
	}
}

/* The RECORD column as wide as the longest of the first n names, so that
 * systemd-pstore's "<id>/dmesg-efi_pstore-<id>" keeps the row aligned;
 * within 32..64, a longer name pushes only its own row. */
static int record_width(const KsPstore *ps, size_t n)
{
	size_t i, w = 32;

	for (i = 0; i < n; i++) {
		size_t len = strlen(human_text(ps->records[i]->name).s);

		if (len > w)
			w = len;
	}
	return (int)(w < 64 ? w : 64);
}

static void show_pstore(const KsPstore *ps, const struct view *v)
{
	const char *row = "  %-*s %-7s %10s  %-24s %9s";
	size_t i, n = rows(v, ps->n_records);
	int width = record_width(ps, n);

	if (!available("Pstore", ps->status))
		return;
	heading("Pstore: what the previous boot left%s%s",
		ps->previous_boot_id ? ", boot " : "",
		ps->previous_boot_id ? human_text(ps->previous_boot_id).s : "");
	if (ps->n_records == 0) {
		printf("  no records\n");
		return;
	}
	printf(row, width, "RECORD", "KIND", "SIZE", "WRITTEN (UTC)",
	       "SNAPSHOTS");
	putchar('\n');
	for (i = 0; i < n; i++) {
		const KsPstoreRecord *r = ps->records[i];
		struct human note = { "" };
		char blobs[16];

		snprintf(blobs, sizeof(blobs), "%u", r->kmemsnap_blobs);
		list_item(&note, r->archived, "archived");
		list_item(&note, r->truncated, "first %s kept",
			  human_bytes(r->text.len).s);
		printf(row, width, human_text(r->name).s,
		       enum_word(&kmemsnap__v1__pstore_kind__descriptor,
				 r->kind)
			       .s,
		       human_bytes(r->size_bytes).s,
		       r->has_mtime_ns ? human_time_utc(r->mtime_ns).s : "-",
		       r->kmemsnap_blobs ? blobs : "-");
		printf("%s%s\n", note.s[0] ? "  " : "", note.s);
	}
	shown_note("  ", n, ps->n_records, "records");
	for (i = 0; i < ps->n_records; i++)
		if (shows_tail(ps, ps->records[i]))
			show_dmesg_tail(ps->records[i], v);
	truncated_note(ps->status);
}

/* ---- the command -------------------------------------------------------- */

static void show_text(const KsSnapshot *s, struct view *v)
{
	const KsHeader *h = s->header;

	v->page_size = h && h->has_page_size_bytes && h->page_size_bytes ?
			       h->page_size_bytes :
			       FALLBACK_PAGE_SIZE;
	show_header(h);
	show_status_table(s);
	/* A crash snapshot exists for its crash, an event snapshot for its
	 * event and what led up to it: those come first. */
	if (s->crash)
		show_crash(s->crash);
	if (s->event)
		show_event(s->event, h);
	if (s->history)
		show_history(s->history, h);
	/* A boot-collect snapshot exists for what pstore kept. */
	if (s->pstore)
		show_pstore(s->pstore, v);
	if (s->meminfo)
		show_meminfo(s->meminfo);
	if (s->slab)
		show_slab(s->slab, v);
	if (s->vmalloc)
		show_vmalloc(s->vmalloc, v);
	if (s->processes)
		show_processes(s->processes, v);
	if (s->kmemleak)
		show_kmemleak(s->kmemleak, v);
	if (s->shmem)
		show_shmem(s->shmem, v);
	if (s->pressure)
		show_pressure(s->pressure);
	show_cgroups(s, v);
	if (s->oom_report)
		show_oom_report(s->oom_report, v);
}

struct show_args {
	bool json;
	bool compact;
	struct view view;
	const char *file;
};

enum { OPT_JSON = 256, OPT_COMPACT, OPT_COLOR };

/* Returns -1 when the arguments are good, else the exit code. */
static int parse_args(int argc, char **argv, struct show_args *a)
{
	static const struct option options[] = {
		{ "json", no_argument, NULL, OPT_JSON },
		{ "compact", no_argument, NULL, OPT_COMPACT },
		{ "top", required_argument, NULL, 'n' },
		{ "color", optional_argument, NULL, OPT_COLOR },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *prog = argv[0];
	int when = COLOR_AUTO;
	int c;

	while ((c = getopt_long(argc, argv, "n:h", options, NULL)) != -1) {
		switch (c) {
		case OPT_JSON: a->json = true; break;
		case OPT_COMPACT: a->json = a->compact = true; break;
		case 'n':
			if (!cli_parse_u32(prog, "--top", optarg, 0, UINT32_MAX,
					   &a->view.top))
				return CLI_USAGE;
			if (a->view.top == 0)
				a->view.top = UINT32_MAX;
			break;
		case OPT_COLOR:
			when = optarg ? color_parse(optarg) : COLOR_ALWAYS;
			if (when < 0)
				return cli_usage_error(prog,
						       "--color: '%s' is not "
						       "auto, always or never",
						       optarg);
			break;
		case 'h': return cli_help(help);
		default: return cli_usage_error(prog, NULL);
		}
	}
	if (optind == argc)
		return cli_usage_error(prog, "no FILE given");
	if (argc - optind > 1)
		return cli_usage_error(prog, "one FILE at a time");
	a->file = argv[optind];
	color_setup((enum color_when)when);
	return -1;
}

int cmd_show(int argc, char **argv)
{
	struct show_args a = { .view = { .top = DEFAULT_TOP } };
	struct snapfile sf;
	int rc = parse_args(argc, argv, &a);

	if (rc >= 0)
		return rc;
	if (snapfile_open(&sf, a.file) < 0) {
		cli_error(sf.name, "%s", sf.error);
		snapfile_close(&sf);
		return CLI_FAIL;
	}
	if (a.json)
		json_print(stdout, &sf.snap->base, !a.compact);
	else
		show_text(sf.snap, &a.view);
	snapfile_close(&sf);
	return CLI_OK;
}

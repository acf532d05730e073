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
#include <string.h>

#include "cli.h"
#include "json.h"
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

#define DEFAULT_TOP 15
/* Only for a snapshot without its page size (the library records it). */
#define FALLBACK_PAGE_SIZE 4096

static const char help[] =
	"usage: kmemsnap show [--json [--compact]] [--top N] [--color=WHEN] FILE\n"
	"\n"
	"Prints the snapshot in FILE (- is standard input): its header, how each\n"
	"section was read, the main /proc/meminfo figures, the largest slab\n"
	"caches, vmalloc callers, and processes by OOM score.\n"
	"\n"
	"Options:\n"
	"      --json          print the whole snapshot as JSON instead, in\n"
	"                      protobuf's canonical JSON mapping\n"
	"      --compact       JSON on a single line (implies --json)\n"
	"  -n, --top N         rows in each table (default 15; 0 shows all)\n"
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

/* VmallocFlag bits as words, from the enum: "vmalloc,vpages". */
static struct human flag_words(uint32_t flags)
{
	const ProtobufCEnumDescriptor *d =
		&kmemsnap__v1__vmalloc_flag__descriptor;
	struct human h = { "" };
	size_t len = 0;
	unsigned i;

	for (i = 0; i < d->n_values; i++) {
		uint32_t bit = (uint32_t)d->values[i].value;

		if (bit == 0 || (flags & bit) != bit)
			continue;
		flags &= ~bit;
		len += (size_t)snprintf(h.s + len, sizeof(h.s) - len, "%s%s",
					len ? "," : "",
					enum_word(d, (int)bit).s);
		if (len >= sizeof(h.s))
			return h;
	}
	if (flags)
		snprintf(h.s + len, sizeof(h.s) - len, "%s0x%x", len ? "," : "",
			 flags);
	else if (len == 0)
		snprintf(h.s, sizeof(h.s), "-");
	return h;
}

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
		       (unsigned long long)c->areas, flag_words(c->flags).s,
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

static void show_processes(const KsProcesses *p, const struct view *v)
{
	const char *row = "  %7s %-16s %5s %5s %10s %10s %10s %10s %10s\n";
	size_t i, n = rows(v, p->n_top);

	if (!available("Processes", p->status))
		return;
	heading("Processes by OOM score");
	printf("  %u processes, %u kernel threads\n", p->count,
	       p->kernel_threads);
	printf(row, "PID", "COMM", "OOM", "ADJ", "RSS", "ANON", "FILE", "SHMEM",
	       "SWAP");
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
	}
	if (n < p->count)
		printf("  ... %zu of %u processes shown\n", n, p->count);
	printf(row, "", "total", "", "",
	       opt_kb(p->has_vm_rss_kb_total, p->vm_rss_kb_total).s,
	       opt_kb(p->has_rss_anon_kb_total, p->rss_anon_kb_total).s,
	       opt_kb(p->has_rss_file_kb_total, p->rss_file_kb_total).s,
	       opt_kb(p->has_rss_shmem_kb_total, p->rss_shmem_kb_total).s,
	       opt_kb(p->has_vm_swap_kb_total, p->vm_swap_kb_total).s);
	truncated_note(p->status);
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
	if (s->meminfo)
		show_meminfo(s->meminfo);
	if (s->slab)
		show_slab(s->slab, v);
	if (s->vmalloc)
		show_vmalloc(s->vmalloc, v);
	if (s->processes)
		show_processes(s->processes, v);
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

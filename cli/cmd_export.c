/* SPDX-License-Identifier: MIT */
/*
 * kmemsnap export: snapshots as metrics, or as JSON lines.
 *
 * OpenMetrics (https://openmetrics.io, the text format Prometheus reads):
 * every value is a gauge named kmemsnap_*, sizes in bytes with a _bytes
 * suffix. By default only the newest snapshot is written, without
 * timestamps: that is what node_exporter's textfile collector reads, and it
 * refuses samples that carry their own timestamps. --all writes every
 * snapshot, each sample stamped with its capture time, for backfilling
 * history (promtool tsdb create-blocks-from openmetrics).
 *
 * The format wants the samples of one family together, and the samples of
 * one series together in time order, while snapshots come one at a time:
 * samples are collected, sorted by family, labels and time, and printed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "explain.h"
#include "figures.h"
#include "json.h"
#include "snapfile.h"
#include "units.h"

static const char help[] =
	"usage: kmemsnap export [--format openmetrics|json] [--all] [-o FILE]\n"
	"                       FILE|DIR...\n"
	"\n"
	"Writes snapshots for other tools. A DIR stands for every *.kms file in it;\n"
	"snapshots are taken in the order of their capture times. A file that\n"
	"cannot be read is reported and skipped (the exit status is then 1).\n"
	"\n"
	"openmetrics (the default) writes the figures of the newest snapshot in the\n"
	"OpenMetrics text format, for node_exporter's textfile collector: meminfo\n"
	"in bytes, explain's categories, slab caches and totals, vmalloc callers\n"
	"and totals, process totals, memory-backed mounts, kmemleak totals, each\n"
	"section's state and the capture time. With --all, every snapshot, each\n"
	"sample stamped with its capture time (for importing history; the textfile\n"
	"collector refuses timestamps).\n"
	"\n"
	"json writes each snapshot as one line of JSON (protobuf's JSON mapping).\n"
	"\n"
	"Options:\n"
	"  -f, --format FORMAT  openmetrics (default) or json\n"
	"  -a, --all            openmetrics: every snapshot, with timestamps\n"
	"  -o, --output FILE    write to FILE, replaced atomically (a temporary\n"
	"                       file, then rename): a reader never sees half of it\n"
	"  -h, --help           show this help\n";

enum format { FORMAT_OPENMETRICS, FORMAT_JSON };

struct export_args {
	enum format format;
	bool all;
	const char *output;
	char **paths;
	int n_paths;
};

/* ---- the inputs --------------------------------------------------------- */

struct input {
	char *path;
	uint64_t realtime_ns;
	bool has_time;
	size_t seq; /* order given: ties of time keep it */
};

struct inputs {
	struct input *v;
	size_t n, cap;
	bool bad; /* a file or directory could not be used */
};

static void add_input(struct inputs *in, char *path)
{
	if (in->n == in->cap) {
		in->cap = in->cap ? in->cap * 2 : 16;
		in->v = cli_xrealloc(in->v, in->cap, sizeof(*in->v));
	}
	in->v[in->n] = (struct input){ .path = path, .seq = in->n };
	in->n++;
}

static bool is_snapshot_name(const char *name)
{
	size_t n = strlen(name);

	/* Dot files are temporary files of a writer (sink.c). */
	return name[0] != '.' && n > 4 && strcmp(name + n - 4, ".kms") == 0;
}

static void add_dir(struct inputs *in, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d) {
		cli_error(dir, "cannot read the directory: %s",
			  strerror(errno));
		in->bad = true;
		return;
	}
	while ((e = readdir(d)) != NULL) {
		char *path;

		if (!is_snapshot_name(e->d_name))
			continue;
		path = cli_xrealloc(NULL, strlen(dir) + strlen(e->d_name) + 2, 1);
		sprintf(path, "%s/%s", dir, e->d_name);
		add_input(in, path);
	}
	closedir(d);
}

static void collect(struct inputs *in, char **paths, int n)
{
	struct stat st;
	int i;

	for (i = 0; i < n; i++) {
		if (stat(paths[i], &st) == 0 && S_ISDIR(st.st_mode))
			add_dir(in, paths[i]);
		else
			add_input(in, cli_xstrdup(paths[i]));
	}
}

static int input_order(const void *pa, const void *pb)
{
	const struct input *a = pa, *b = pb;

	if (a->realtime_ns != b->realtime_ns)
		return a->realtime_ns < b->realtime_ns ? -1 : 1;
	return (a->seq > b->seq) - (a->seq < b->seq);
}

/* Opens in->v[i]; reports it and marks the run bad when it cannot be used. */
static bool open_input(struct inputs *in, size_t i, struct snapfile *sf)
{
	if (snapfile_open(sf, in->v[i].path) == 0)
		return true;
	cli_error(sf->name, "%s; skipped", sf->error);
	snapfile_close(sf);
	in->bad = true;
	return false;
}

/* Reads every capture time, drops the files that cannot be read and sorts
 * the rest by time. Snapshots are decoded again when written: only one is
 * in memory at a time. */
static void order_by_time(struct inputs *in)
{
	size_t i, kept = 0;

	for (i = 0; i < in->n; i++) {
		struct snapfile sf;
		const Kmemsnap__V1__Header *h;

		if (!open_input(in, i, &sf)) {
			free(in->v[i].path);
			continue;
		}
		h = sf.snap->header;
		in->v[i].has_time = h && h->has_realtime_ns;
		in->v[i].realtime_ns = in->v[i].has_time ? h->realtime_ns : 0;
		snapfile_close(&sf);
		in->v[kept++] = in->v[i];
	}
	in->n = kept;
	qsort(in->v, in->n, sizeof(*in->v), input_order);
}

/* ---- OpenMetrics -------------------------------------------------------- */

enum family {
	F_TIMESTAMP,
	F_INFO,
	F_SECTION_OK,
	F_SECTION_TRUNCATED,
	F_MEMINFO_BYTES,
	F_MEMINFO_NUMBER,
	F_MEMORY,
	F_SLAB_FOOTPRINT,
	F_SLAB_ACTIVE_OBJECTS,
	F_SLAB_CACHES,
	F_SLAB_TOTAL_FOOTPRINT,
	F_SLAB_TOTAL_ACTIVE,
	F_SLAB_TOTAL_ACTIVE_OBJECTS,
	F_VMALLOC_CALLER_BYTES,
	F_VMALLOC_CALLER_AREAS,
	F_VMALLOC_TOTAL_BYTES,
	F_VMALLOC_TOTAL_AREAS,
	F_VMALLOC_USED,
	F_PROCESSES,
	F_KERNEL_THREADS,
	F_PROCESSES_RSS,
	F_PROCESSES_RSS_ANON,
	F_PROCESSES_RSS_FILE,
	F_PROCESSES_RSS_SHMEM,
	F_PROCESSES_SWAP,
	F_MOUNT_USED,
	F_MOUNT_SIZE,
	F_KMEMLEAK_OBJECTS,
	F_KMEMLEAK_BYTES,
	F_COUNT
};

static const struct {
	const char *name;
	const char *unit; /* NULL: none of OpenMetrics' base units */
	const char *help;
} families[F_COUNT] = {
	[F_TIMESTAMP] = { "kmemsnap_snapshot_timestamp_seconds", "seconds",
			  "When the snapshot was taken (CLOCK_REALTIME)." },
	[F_INFO] = { "kmemsnap_snapshot_info", NULL,
		     "The snapshot's host, kernel, boot id and trigger; always 1." },
	[F_SECTION_OK] = { "kmemsnap_section_ok", NULL,
			   "1 when the section was read in full, else 0." },
	[F_SECTION_TRUNCATED] = { "kmemsnap_section_truncated", NULL,
				  "1 when the section hit a bound and kept a prefix." },
	[F_MEMINFO_BYTES] = { "kmemsnap_meminfo_bytes", "bytes",
			      "A /proc/meminfo value printed in kB, in bytes." },
	[F_MEMINFO_NUMBER] = { "kmemsnap_meminfo_number", NULL,
			       "A /proc/meminfo value printed without a unit (HugePages_Total: huge pages)." },
	[F_MEMORY] = { "kmemsnap_memory_bytes", "bytes",
		       "MemTotal accounted for by category, as kmemsnap explain does; unaccounted is negative when counters overlap." },
	[F_SLAB_FOOTPRINT] = { "kmemsnap_slab_footprint_bytes", "bytes",
			       "Memory of a kept slab cache: num_slabs * pages per slab * page size." },
	[F_SLAB_ACTIVE_OBJECTS] = { "kmemsnap_slab_active_objects", NULL,
				    "Objects in use in a kept slab cache." },
	[F_SLAB_CACHES] = { "kmemsnap_slab_caches", NULL,
			    "Slab caches seen, kept or not." },
	[F_SLAB_TOTAL_FOOTPRINT] = { "kmemsnap_slab_total_footprint_bytes",
				     "bytes", "Footprint of all slab caches." },
	[F_SLAB_TOTAL_ACTIVE] = { "kmemsnap_slab_total_active_bytes", "bytes",
				  "Objects in use in all slab caches times their size." },
	[F_SLAB_TOTAL_ACTIVE_OBJECTS] = { "kmemsnap_slab_total_active_objects",
					  NULL,
					  "Objects in use in all slab caches." },
	[F_VMALLOC_CALLER_BYTES] = { "kmemsnap_vmalloc_caller_bytes", "bytes",
				     "vmalloc areas of a kept caller, with guard pages." },
	[F_VMALLOC_CALLER_AREAS] = { "kmemsnap_vmalloc_caller_areas", NULL,
				     "vmalloc areas of a kept caller." },
	[F_VMALLOC_TOTAL_BYTES] = { "kmemsnap_vmalloc_total_bytes", "bytes",
				    "All vmalloc areas, with guard pages." },
	[F_VMALLOC_TOTAL_AREAS] = { "kmemsnap_vmalloc_total_areas", NULL,
				    "All vmalloc areas." },
	[F_VMALLOC_USED] = { "kmemsnap_vmalloc_used_bytes", "bytes",
			     "Pages backing all vmalloc areas." },
	[F_PROCESSES] = { "kmemsnap_processes", NULL, "User processes." },
	[F_KERNEL_THREADS] = { "kmemsnap_kernel_threads", NULL,
			       "Tasks without an mm." },
	[F_PROCESSES_RSS] = { "kmemsnap_processes_rss_bytes", "bytes",
			      "VmRSS of all user processes." },
	[F_PROCESSES_RSS_ANON] = { "kmemsnap_processes_rss_anon_bytes", "bytes",
				   "RssAnon of all user processes." },
	[F_PROCESSES_RSS_FILE] = { "kmemsnap_processes_rss_file_bytes", "bytes",
				   "RssFile of all user processes." },
	[F_PROCESSES_RSS_SHMEM] = { "kmemsnap_processes_rss_shmem_bytes",
				    "bytes",
				    "RssShmem of all user processes." },
	[F_PROCESSES_SWAP] = { "kmemsnap_processes_swap_bytes", "bytes",
			       "VmSwap of all user processes." },
	[F_MOUNT_USED] = { "kmemsnap_mount_used_bytes", "bytes",
			   "Used space of a memory-backed mount (tmpfs, ramfs, hugetlbfs, devtmpfs)." },
	[F_MOUNT_SIZE] = { "kmemsnap_mount_size_bytes", "bytes",
			   "Size of a memory-backed mount." },
	[F_KMEMLEAK_OBJECTS] = { "kmemsnap_kmemleak_objects", NULL,
				 "Objects kmemleak reports unreferenced." },
	[F_KMEMLEAK_BYTES] = { "kmemsnap_kmemleak_bytes", "bytes",
			       "Bytes of the objects kmemleak reports unreferenced." },
};

struct sample {
	enum family family;
	char *labels;	/* "{k=\"v\",...}", or "" */
	char value[24]; /* a 64-bit integer */
	uint64_t time_ns;
	size_t seq; /* emission order: snapshots come in time order */
};

struct exporter {
	struct sample *v;
	size_t n, cap;
	bool stamped;		 /* samples carry the snapshot's time */
	uint64_t time_ns;	 /* of the snapshot being exported */
	struct ks_arena scratch; /* explain's, reset per snapshot */
};

/* A label value escaped as the format wants (backslash, double quote,
 * newline); bytes that are not UTF-8, which the format forbids, become '?'. */
static void put_escaped(FILE *f, const char *s)
{
	while (*s) {
		size_t n = utf8_len((const uint8_t *)s, strnlen(s, 4));

		if (n == 0) {
			fputc('?', f);
			s++;
			continue;
		}
		if (*s == '\n') {
			fputs("\\n", f);
		} else {
			if (*s == '\\' || *s == '"')
				fputc('\\', f);
			fwrite(s, 1, n, f);
		}
		s += n;
	}
}

/* {k1="v1",k2="v2"} from NULL-terminated name, value pairs. */
static char *labels(const char *name, ...)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	const char *sep = "{";
	va_list ap;

	if (!f) {
		cli_error(NULL, "out of memory");
		exit(CLI_FAIL);
	}
	va_start(ap, name);
	for (; name; name = va_arg(ap, const char *)) {
		fprintf(f, "%s%s=\"", sep, name);
		put_escaped(f, va_arg(ap, const char *));
		fputc('"', f);
		sep = ",";
	}
	va_end(ap);
	fputs(*sep == ',' ? "}" : "", f);
	if (fclose(f) != 0 || !buf) {
		cli_error(NULL, "out of memory");
		exit(CLI_FAIL);
	}
	return buf;
}

static void emit(struct exporter *x, enum family fam, char *labels,
		 const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void emit(struct exporter *x, enum family fam, char *labels,
		 const char *fmt, ...)
{
	struct sample *s;
	va_list ap;

	if (x->n == x->cap) {
		x->cap = x->cap ? x->cap * 2 : 1024;
		x->v = cli_xrealloc(x->v, x->cap, sizeof(*x->v));
	}
	s = &x->v[x->n];
	s->family = fam;
	s->labels = labels ? labels : cli_xstrdup("");
	s->time_ns = x->time_ns;
	s->seq = x->n++;
	va_start(ap, fmt);
	vsnprintf(s->value, sizeof(s->value), fmt, ap);
	va_end(ap);
}

static void emit_u64(struct exporter *x, enum family fam, char *labels,
		     uint64_t v)
{
	emit(x, fam, labels, "%llu", (unsigned long long)v);
}

/* kB or pages to bytes, saturated. */
static uint64_t times(uint64_t v, uint64_t unit)
{
	return unit && v > UINT64_MAX / unit ? UINT64_MAX : v * unit;
}

static void header_metrics(struct exporter *x, const KsSnapshot *s)
{
	const Kmemsnap__V1__Header *h = s->header;

	if (!h)
		return;
	if (h->has_realtime_ns)
		emit(x, F_TIMESTAMP, NULL, "%llu.%03u",
		     (unsigned long long)(h->realtime_ns / 1000000000u),
		     (unsigned)(h->realtime_ns % 1000000000u / 1000000u));
	emit(x, F_INFO,
	     labels("hostname", h->hostname ? h->hostname : "",
		    "kernel_release",
		    h->kernel_release ? h->kernel_release : "", "boot_id",
		    h->boot_id ? h->boot_id : "", "trigger",
		    enum_word(&kmemsnap__v1__trigger__descriptor, h->trigger).s,
		    NULL),
	     "1");
}

/* A section is a message field of Snapshot whose field 1 is its
 * SectionStatus; the schema's sections appear without code here. Only the
 * sections a snapshot has get a sample: an OOM report or a crash is there
 * only when one was captured. Repeated sections (cgroups) are left out. */
static void section_metrics(struct exporter *x, const KsSnapshot *s)
{
	const ProtobufCMessageDescriptor *d = s->base.descriptor;
	unsigned i;

	for (i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i], *first;
		const ProtobufCMessage *sec;
		const KsStatus *st;

		if (f->type != PROTOBUF_C_TYPE_MESSAGE ||
		    f->label == PROTOBUF_C_LABEL_REPEATED)
			continue;
		sec = *(const ProtobufCMessage *const *)((const char *)s +
							 f->offset);
		first = protobuf_c_message_descriptor_get_field(f->descriptor,
								1);
		if (!sec || !first || first->type != PROTOBUF_C_TYPE_MESSAGE ||
		    first->descriptor !=
			    &kmemsnap__v1__section_status__descriptor)
			continue;
		st = *(const KsStatus *const *)((const char *)sec +
						first->offset);
		emit_u64(
			x, F_SECTION_OK, labels("section", f->name, NULL),
			st && st->state ==
					KMEMSNAP__V1__SECTION_STATUS__STATE__STATE_OK);
		emit_u64(
			x, F_SECTION_TRUNCATED,
			labels("section", f->name, NULL),
			st && st->state ==
					KMEMSNAP__V1__SECTION_STATUS__STATE__STATE_TRUNCATED);
	}
}

static void meminfo_metrics(struct exporter *x, const KsSnapshot *s)
{
	const Kmemsnap__V1__Meminfo *m = s->meminfo;
	struct meminfo_value *v;
	size_t i, n;

	if (!m)
		return;
	v = cli_xrealloc(NULL, meminfo_values_max(m) * sizeof(*v) + 1, 1);
	n = meminfo_values(m, v);
	for (i = 0; i < n; i++)
		emit_u64(x, v[i].kb ? F_MEMINFO_BYTES : F_MEMINFO_NUMBER,
			 labels("field", v[i].key, NULL),
			 v[i].kb ? times(v[i].value, 1024) : v[i].value);
	free(v);
}

static void memory_metrics(struct exporter *x, const KsSnapshot *s)
{
	Kmemsnap__V1__Explanation *e;
	size_t i;

	ks_arena_reset(&x->scratch);
	if (explain_build(&x->scratch, s, "", NULL, NULL, 0, &e) < 0)
		return;
	for (i = 0; i < e->n_lines; i++)
		emit(x, F_MEMORY,
		     labels("category", e->lines[i]->category, NULL), "%lld",
		     (long long)e->lines[i]->kb * 1024);
}

static void slab_metrics(struct exporter *x, const KsSnapshot *s)
{
	const Kmemsnap__V1__Slab *sl = s->slab;
	size_t i;

	if (!sl)
		return;
	for (i = 0; i < sl->n_caches; i++) {
		const Kmemsnap__V1__SlabCache *c = sl->caches[i];

		if (!c->name)
			continue;
		emit_u64(x, F_SLAB_FOOTPRINT, labels("cache", c->name, NULL),
			 slab_footprint_bytes(s, c));
		emit_u64(x, F_SLAB_ACTIVE_OBJECTS,
			 labels("cache", c->name, NULL), c->active_objs);
	}
	emit_u64(x, F_SLAB_CACHES, NULL, sl->caches_total);
	emit_u64(x, F_SLAB_TOTAL_FOOTPRINT, NULL, sl->footprint_bytes_total);
	emit_u64(x, F_SLAB_TOTAL_ACTIVE, NULL, sl->active_bytes_total);
	emit_u64(x, F_SLAB_TOTAL_ACTIVE_OBJECTS, NULL, sl->active_objs_total);
}

static void vmalloc_metrics(struct exporter *x, const KsSnapshot *s)
{
	const Kmemsnap__V1__Vmalloc *v = s->vmalloc;
	size_t i;

	if (!v)
		return;
	for (i = 0; i < v->n_callers; i++) {
		const Kmemsnap__V1__VmallocCaller *c = v->callers[i];
		struct human flags = vmalloc_flag_words(c->flags);
		const char *caller = c->caller ? c->caller : "";

		emit_u64(x, F_VMALLOC_CALLER_BYTES,
			 labels("caller", caller, "flags", flags.s, NULL),
			 c->bytes);
		emit_u64(x, F_VMALLOC_CALLER_AREAS,
			 labels("caller", caller, "flags", flags.s, NULL),
			 c->areas);
	}
	emit_u64(x, F_VMALLOC_TOTAL_BYTES, NULL, v->bytes_total);
	emit_u64(x, F_VMALLOC_TOTAL_AREAS, NULL, v->areas_total);
	emit_u64(x, F_VMALLOC_USED, NULL,
		 times(v->pages_total, snapshot_page_size(s)));
}

static void process_metrics(struct exporter *x, const KsSnapshot *s)
{
	const Kmemsnap__V1__Processes *p = s->processes;

	if (!p)
		return;
	emit_u64(x, F_PROCESSES, NULL, p->count);
	emit_u64(x, F_KERNEL_THREADS, NULL, p->kernel_threads);
	emit_u64(x, F_PROCESSES_RSS, NULL, times(p->vm_rss_kb_total, 1024));
	emit_u64(x, F_PROCESSES_RSS_ANON, NULL,
		 times(p->rss_anon_kb_total, 1024));
	emit_u64(x, F_PROCESSES_RSS_FILE, NULL,
		 times(p->rss_file_kb_total, 1024));
	emit_u64(x, F_PROCESSES_RSS_SHMEM, NULL,
		 times(p->rss_shmem_kb_total, 1024));
	emit_u64(x, F_PROCESSES_SWAP, NULL, times(p->vm_swap_kb_total, 1024));
}

/* Mounts whose statfs failed have no figures to give. */
static void mount_metrics(struct exporter *x, const KsSnapshot *s)
{
	size_t i;

	for (i = 0; s->shmem && i < s->shmem->n_mounts; i++) {
		const Kmemsnap__V1__MemoryMount *m = s->shmem->mounts[i];
		struct human type;

		if (!m->mount_point || !m->has_used_bytes)
			continue;
		type = enum_word(&kmemsnap__v1__fs_type__descriptor,
				 m->fs_type);
		emit_u64(x, F_MOUNT_USED,
			 labels("mount_point", m->mount_point, "fs_type",
				type.s, NULL),
			 m->used_bytes);
		emit_u64(x, F_MOUNT_SIZE,
			 labels("mount_point", m->mount_point, "fs_type",
				type.s, NULL),
			 m->size_bytes);
	}
}

static void kmemleak_metrics(struct exporter *x, const KsSnapshot *s)
{
	const Kmemsnap__V1__Kmemleak *k = s->kmemleak;
	const KsStatus *st = k ? k->status : NULL;

	/* No report is not zero leaks. */
	if (!k ||
	    (st &&
	     st->state ==
		     KMEMSNAP__V1__SECTION_STATUS__STATE__STATE_UNAVAILABLE))
		return;
	emit_u64(x, F_KMEMLEAK_OBJECTS, NULL, k->objects_total);
	emit_u64(x, F_KMEMLEAK_BYTES, NULL, k->bytes_total);
}

static void snapshot_metrics(struct exporter *x, const KsSnapshot *s)
{
	x->time_ns = s->header ? s->header->realtime_ns : 0;
	header_metrics(x, s);
	section_metrics(x, s);
	meminfo_metrics(x, s);
	memory_metrics(x, s);
	slab_metrics(x, s);
	vmalloc_metrics(x, s);
	process_metrics(x, s);
	mount_metrics(x, s);
	kmemleak_metrics(x, s);
}

static int sample_order(const void *pa, const void *pb)
{
	const struct sample *a = pa, *b = pb;
	int c;

	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	c = strcmp(a->labels, b->labels);
	if (c)
		return c;
	return (a->seq > b->seq) - (a->seq < b->seq);
}

/* A series takes one sample per time; without timestamps, one in all (a
 * hostile snapshot may name a cache twice). */
static bool duplicate(const struct exporter *x, size_t i)
{
	const struct sample *a = &x->v[i - 1], *b = &x->v[i];

	return a->family == b->family && strcmp(a->labels, b->labels) == 0 &&
	       (!x->stamped || a->time_ns / 1000000 == b->time_ns / 1000000);
}

static void print_family(FILE *out, enum family f)
{
	fprintf(out, "# TYPE %s gauge\n", families[f].name);
	if (families[f].unit)
		fprintf(out, "# UNIT %s %s\n", families[f].name,
			families[f].unit);
	fprintf(out, "# HELP %s %s\n", families[f].name, families[f].help);
}

static void print_openmetrics(FILE *out, struct exporter *x)
{
	size_t i;

	qsort(x->v, x->n, sizeof(*x->v), sample_order);
	for (i = 0; i < x->n; i++) {
		const struct sample *s = &x->v[i];

		if (i > 0 && duplicate(x, i))
			continue;
		if (i == 0 || x->v[i - 1].family != s->family)
			print_family(out, s->family);
		fprintf(out, "%s%s %s", families[s->family].name, s->labels,
			s->value);
		if (x->stamped)
			fprintf(out, " %llu.%03u",
				(unsigned long long)(s->time_ns / 1000000000u),
				(unsigned)(s->time_ns % 1000000000u /
					   1000000u));
		fputc('\n', out);
	}
	fputs("# EOF\n", out);
}

static void free_samples(struct exporter *x)
{
	size_t i;

	for (i = 0; i < x->n; i++)
		free(x->v[i].labels);
	free(x->v);
}

static bool export_one(struct exporter *x, struct inputs *in, size_t i)
{
	struct snapfile sf;

	if (x->stamped && !in->v[i].has_time) {
		cli_error(
			in->v[i].path,
			"has no capture time to stamp its samples with; skipped");
		in->bad = true;
		return false;
	}
	if (!open_input(in, i, &sf))
		return false;
	snapshot_metrics(x, sf.snap);
	snapfile_close(&sf);
	return true;
}

/* Returns how many snapshots went out. */
static size_t export_openmetrics(FILE *out, struct inputs *in, bool all)
{
	const size_t scratch_bytes = 16u << 20;
	struct exporter x = { .stamped = all };
	size_t i, done = 0;
	void *mem = cli_xrealloc(NULL, scratch_bytes, 1);

	ks_arena_init(&x.scratch, mem, scratch_bytes);
	if (all) {
		for (i = 0; i < in->n; i++)
			done += export_one(&x, in, i);
	} else {
		/* Only the newest counts; an older one stands in when the
		 * newest cannot be read any more. */
		for (i = in->n; i-- > 0 && !done;)
			done += export_one(&x, in, i);
	}
	if (done)
		print_openmetrics(out, &x);
	free_samples(&x);
	free(mem);
	return done;
}

/* ---- JSON lines --------------------------------------------------------- */

static size_t export_json(FILE *out, struct inputs *in)
{
	size_t i, done = 0;

	for (i = 0; i < in->n; i++) {
		struct snapfile sf;

		if (!open_input(in, i, &sf))
			continue;
		json_print(out, &sf.snap->base, false);
		snapfile_close(&sf);
		done++;
	}
	return done;
}

/* ---- output ------------------------------------------------------------- */

/* Replaces path with buf the way the library writes snapshots (a temporary
 * file in the same directory, fsync, rename, fsync of the directory), but
 * readable by others as umask allows: the textfile collector runs as its
 * own user. Returns 0 or -errno. */
static int write_atomic(const char *path, const char *buf, size_t len)
{
	const char *slash = strrchr(path, '/');
	char *dir = slash ? strndup(path, (size_t)(slash - path) + 1) : NULL;
	const char *name = slash ? slash + 1 : path;
	char tmp[KS_TEMP_NAME_MAX];
	mode_t mask = umask(0);
	int dirfd, err;

	umask(mask);
	dirfd = open(dir ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(dir);
	if (dirfd < 0)
		return -errno;
	err = ks_write_temp(dirfd, name, buf, len, tmp, sizeof(tmp));
	if (err == 0 && fchmodat(dirfd, tmp, 0666 & ~mask, 0) < 0)
		err = -errno;
	if (err == 0 && renameat(dirfd, tmp, dirfd, name) < 0)
		err = -errno;
	if (err < 0)
		unlinkat(dirfd, tmp, 0);
	/* The rename is durable only once the directory is on disk. */
	else if (fsync(dirfd) < 0 && errno != EINVAL)
		err = -errno;
	close(dirfd);
	return err;
}

/* ---- arguments ---------------------------------------------------------- */

/* Returns -1 when the arguments are good, else the exit code. */
static int parse_args(int argc, char **argv, struct export_args *a)
{
	static const struct option options[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "all", no_argument, NULL, 'a' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *prog = argv[0];
	int c;

	while ((c = getopt_long(argc, argv, "f:ao:h", options, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (strcmp(optarg, "openmetrics") == 0)
				a->format = FORMAT_OPENMETRICS;
			else if (strcmp(optarg, "json") == 0)
				a->format = FORMAT_JSON;
			else
				return cli_usage_error(
					prog,
					"--format takes openmetrics or json");
			break;
		case 'a': a->all = true; break;
		case 'o': a->output = optarg; break;
		case 'h': return cli_help(help);
		default: return cli_usage_error(prog, NULL);
		}
	}
	if (optind == argc)
		return cli_usage_error(prog, "no FILE or DIR given");
	for (c = optind; c < argc; c++)
		/* Files are read twice: for their times, then to write them. */
		if (strcmp(argv[c], "-") == 0)
			return cli_usage_error(
				prog, "cannot read standard input; give files");
	a->paths = argv + optind;
	a->n_paths = argc - optind;
	return -1;
}

static int finish(const struct export_args *a, struct inputs *in, size_t done,
		  char *buf, size_t len)
{
	int err;

	if (done == 0) {
		cli_error(NULL, "no snapshot to export%s",
			  a->output ? "; nothing written" : "");
		return CLI_FAIL;
	}
	if (a->output) {
		err = write_atomic(a->output, buf, len);
		if (err < 0) {
			cli_error(a->output, "cannot write: %s",
				  strerror(-err));
			return CLI_FAIL;
		}
	} else {
		fwrite(buf, 1, len, stdout);
	}
	return in->bad ? CLI_FAIL : CLI_OK;
}

int cmd_export(int argc, char **argv)
{
	struct export_args a = { .format = FORMAT_OPENMETRICS };
	struct inputs in = { 0 };
	char *buf = NULL;
	size_t len = 0, done, i;
	FILE *out;
	int rc = parse_args(argc, argv, &a);

	if (rc >= 0)
		return rc;
	collect(&in, a.paths, a.n_paths);
	order_by_time(&in);
	/* Written whole at the end: -o replaces the file in one step, and
	 * nothing is printed when nothing could be read. */
	out = open_memstream(&buf, &len);
	if (!out) {
		cli_error(NULL, "out of memory");
		return CLI_FAIL;
	}
	done = a.format == FORMAT_JSON ? export_json(out, &in) :
					 export_openmetrics(out, &in, a.all);
	if (fclose(out) != 0) {
		cli_error(NULL, "out of memory");
		return CLI_FAIL;
	}
	rc = finish(&a, &in, done, buf, len);
	free(buf);
	for (i = 0; i < in.n; i++)
		free(in.v[i].path);
	free(in.v);
	return rc;
}

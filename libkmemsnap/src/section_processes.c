/* SPDX-License-Identifier: MIT */
/*
 * User processes: memory from /proc/<pid>/status (fs/proc/array.c:
 * proc_pid_status, whose memory lines come from fs/proc/task_mmu.c: task_mem)
 * and OOM standing from /proc/<pid>/oom_score and oom_score_adj
 * (fs/proc/base.c). Every process is summed into the totals; only the top N
 * by oom_score are kept in full, in a bounded min-heap of fixed slots, so
 * memory does not grow with the number of processes.
 *
 * Each pid directory is opened once and its files are opened below that fd:
 * a procfs directory fd stays bound to its task, so if the pid exits and the
 * number is reused mid-read, lookups fail with ENOENT instead of returning
 * another process's oom_score.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

typedef Kmemsnap__V1__Process KsProcess;
typedef Kmemsnap__V1__Processes KsProcesses;

/* getdents64 buffer: glibc's readdir uses 32 KiB; procfs fills it with
 * ~24-byte pid entries, so 16 KiB is ~680 pids per call. */
#define DIRENT_BUF_BYTES (16u << 10)

/* Slot for a kept comm. A user task's comm is at most TASK_COMM_LEN - 1 = 15
 * bytes, and proc_task_name() escapes only '\n' and '\\', each to two bytes
 * (4.x+: string_escape_str(..., "\n\\"); 3.10: task_name() by hand), so 31
 * bytes suffice. Only a kernel thread's longer name (workqueue workers,
 * 4.18+; kthread full names, 6.x) could be cut, and those are never kept. */
#define COMM_SLOT_BYTES 64

/* A status line longer than this is none this parser reads (Groups:,
 * Mems_allowed: and Cpus_allowed: lines can be far longer); the Name line is
 * at most "Name:\t" + 2 * 63 escaped bytes. */
#define STATUS_LINE_BYTES 256

/* One candidate for the top N: the message plus room for its comm. The
 * message's comm points into its own slot, or is NULL when status had no
 * Name line. */
struct proc_slot {
	KsProcess msg;
	char comm[COMM_SLOT_BYTES];
};

/* ---- /proc/<pid>/status ------------------------------------------------- */

/* Memory lines of task_mem(): "Key:\t%8lu kB" (seq_printf through 4.14,
 * seq_put_decimal_ull_width from 4.15; the text is the same). RssAnon,
 * RssFile and RssShmem appear in 4.5; VmSwap in 2.6.34. */
struct status_field {
	const char *key;
	size_t has_off;
	size_t value_off;
};

#define FIELD(k, f) { k, offsetof(KsProcess, has_##f), offsetof(KsProcess, f) }

static const struct status_field status_fields[] = {
	FIELD("VmRSS", vm_rss_kb),
	FIELD("RssAnon", rss_anon_kb),
	FIELD("RssFile", rss_file_kb),
	FIELD("RssShmem", rss_shmem_kb),
	FIELD("VmSwap", vm_swap_kb),
};

#define STATUS_FIELD_COUNT (sizeof(status_fields) / sizeof(status_fields[0]))

/* What the lines of one status file said. */
struct status_parse {
	KsProcess *p;        /* numeric fields land here */
	const char *name;    /* the Name value of the current line, or NULL */
	size_t name_len;
	uint32_t malformed;  /* lines of a known key whose value did not parse */
};

static const struct status_field *find_field(const char *key, size_t len)
{
	size_t i;

	for (i = 0; i < STATUS_FIELD_COUNT; i++)
		if (ks_token_is(key, len, status_fields[i].key))
			return &status_fields[i];
	return NULL;
}

/* "Name:\t%s": the kernel writes one TAB, and the name may itself begin with
 * a blank, so only that TAB is dropped. Hand-edited files use spaces
 * instead (samples/pid_status/2.txt); those are skipped. */
static void take_name(const char *v, struct status_parse *sp)
{
	if (*v == '\t')
		v++;
	else
		while (*v == ' ')
			v++;
	sp->name = v;
	sp->name_len = strlen(v);
}

/* "Pid:\t%d": the pid in the namespace of the procfs mount. */
static bool take_pid(const char *v, KsProcess *p)
{
	uint64_t pid;

	if (!ks_parse_u64(&v, &pid) || pid > INT32_MAX)
		return false;
	p->has_pid = true;
	p->pid = (int32_t)pid;
	return true;
}

static bool take_kb(const struct status_field *f, const char *v, KsProcess *p)
{
	char *base = (char *)p;
	const char *unit;
	size_t unit_len;
	uint64_t kb;

	if (!ks_parse_u64(&v, &kb) || !ks_next_token(&v, &unit, &unit_len) ||
	    !ks_token_is(unit, unit_len, "kB"))
		return false;
	*(protobuf_c_boolean *)(base + f->has_off) = 1;
	*(uint64_t *)(base + f->value_off) = kb;
	return true;
}

/* Name, Pid and status_fields[] begin with these letters; most of the ~55
 * lines of a status file are ruled out by one test of their first byte,
 * before the colon is searched for (docs/PERFORMANCE.md). */
#define KEY_LETTERS \
	((1u << ('N' - 'A')) | (1u << ('P' - 'A')) | (1u << ('R' - 'A')) | \
	 (1u << ('V' - 'A')))

static bool may_be_key(char c)
{
	unsigned i = (unsigned)(unsigned char)c - 'A';

	return i < 26 && ((KEY_LETTERS >> i) & 1);
}

/* One NUL-terminated line. Lines of other keys, text values ("State:\tS
 * (sleeping)") and keys printed without a value ("x86_Thread_features:\t",
 * 6.6; "Groups:\t" with no groups) are none of this parser's business. */
static void status_line(const char *line, struct status_parse *sp)
{
	const char *key = line;
	const struct status_field *f;
	const char *colon;
	size_t key_len;

	sp->name = NULL;
	/* The kernel starts every line with its key. Blanks before it are
	 * only tolerated, and every blank is below '!': a line that starts
	 * with anything else and is no key is done with here. */
	if (!may_be_key(*key)) {
		if ((unsigned char)*key > ' ')
			return;
		key = ks_skip_space(line);
		if (!may_be_key(*key))
			return;
	}
	colon = strchr(key, ':');
	if (!colon)
		return;
	key_len = (size_t)(colon - key);
	if (ks_token_is(key, key_len, "Name")) {
		take_name(colon + 1, sp);
		return;
	}
	if (ks_token_is(key, key_len, "Pid")) {
		if (!take_pid(colon + 1, sp->p))
			sp->malformed++;
		return;
	}
	f = find_field(key, key_len);
	if (f && !take_kb(f, colon + 1, sp->p))
		sp->malformed++;
}

bool ks_parse_pid_status(const char *text, struct ks_arena *a, KsProcess *out)
{
	struct status_parse sp = { .p = out };
	char line[STATUS_LINE_BYTES];
	const char *s = text;

	while (*s) {
		const char *nl = strchr(s, '\n');
		size_t len = nl ? (size_t)(nl - s) : strlen(s);
		size_t keep = len < sizeof(line) ? len : sizeof(line) - 1;

		memcpy(line, s, keep);
		line[keep] = '\0';
		status_line(line, &sp);
		if (sp.name)
			out->comm = ks_arena_strndup(a, sp.name, sp.name_len);
		s += len + (nl != NULL);
	}
	/* proc_pid_status() prints task_mem() only when get_task_mm() finds
	 * an mm: never for kernel threads, nor for exited (zombie) tasks. */
	return out->has_vm_rss_kb;
}

/* ---- the scan ----------------------------------------------------------- */

enum proc_outcome {
	PROC_USER,       /* status had VmRSS */
	PROC_NO_MM,      /* kernel thread or zombie */
	PROC_GONE,       /* exited while being read */
	PROC_UNREADABLE, /* status unreadable, e.g. EPERM on hidepid=noaccess */
};

struct proc_scan {
	struct ks_ctx *ctx;
	KsStatus *st;
	KsProcesses *out;  /* counts and totals accumulate here */
	KsProcess **heap;  /* min-heap: heap[0] ranks lowest */
	size_t heap_len;
	size_t heap_cap;
	uint64_t bytes;    /* text read from the kernel */
};

/* ENOENT and ESRCH are how a task that exited shows: opening below a dead
 * task's directory fails with ENOENT (proc_pident_lookup), reading a file
 * opened before the exit with ESRCH (proc_single_show). */
static enum proc_outcome failure(int err)
{
	if (err < 0)
		err = -err;
	return err == ENOENT || err == ESRCH ? PROC_GONE : PROC_UNREADABLE;
}

static void keep_comm(struct proc_slot *slot, const char *name, size_t len)
{
	if (len >= sizeof(slot->comm))
		len = sizeof(slot->comm) - 1;
	memcpy(slot->comm, name, len);
	slot->comm[len] = '\0';
	slot->msg.comm = slot->comm;
}

/* Streams status through the line reader rather than reading it whole:
 * "Groups:" comes before the memory lines and holds up to NGROUPS_MAX
 * (65536) ids, so no fixed buffer is sure to reach VmRSS. A cut line is
 * never one of the few read here, and is passed over. */
static enum proc_outcome read_status(struct proc_scan *sc, int dir_fd,
				     struct proc_slot *slot, uint32_t *skipped)
{
	struct status_parse sp = { .p = &slot->msg };
	struct ks_lines lr;
	char *line;
	size_t len;
	int r;

	r = ks_lines_open(&lr, dir_fd, "status", sc->ctx->io_buf,
			  sc->ctx->io_cap);
	if (r < 0)
		return failure(r);
	while ((r = ks_lines_next(&lr, &line, &len)) > 0) {
		if (lr.overlong)
			continue;
		status_line(line, &sp);
		if (sp.name)
			keep_comm(slot, sp.name, sp.name_len);
	}
	sc->bytes += lr.bytes;
	ks_lines_close(&lr);
	*skipped += sp.malformed;
	if (r < 0)
		return failure(r);
	return slot->msg.has_vm_rss_kb ? PROC_USER : PROC_NO_MM;
}

/* Reads a one-number file of the pid directory and checks its range.
 * Returns true with *v. On false, *gone tells a task that exited from a
 * file that is unreadable (EIO, EACCES) or malformed, both counted in
 * *skipped, or absent while the task lives on (a copied tree). */
static bool read_number(struct proc_scan *sc, int dir_fd, const char *file,
			int64_t lo, int64_t hi, int64_t *v, bool *gone,
			uint32_t *skipped)
{
	char buf[32];
	const char *p = buf;
	long n = ks_read_small(dir_fd, file, buf, sizeof(buf));

	if (n < 0) {
		/* ENOENT alone cannot tell an exit from a missing file: the
		 * task is gone if its status has gone too. */
		*gone = n == -ESRCH ||
			(n == -ENOENT &&
			 faccessat(dir_fd, "status", F_OK, 0) < 0);
		if (!*gone && n != -ENOENT)
			(*skipped)++;
		return false;
	}
	sc->bytes += (uint64_t)n;
	if (!ks_parse_i64(&p, v) || *ks_skip_space(p) != '\0' || *v < lo ||
	    *v > hi) {
		(*skipped)++;
		return false;
	}
	return true;
}

/* fs/proc/base.c: oom_score is "%lu\n", 0..1000 through 5.8 and 0..2000
 * from 5.9 (badness rescaled); oom_score_adj is "%hd\n" in -1000..1000. */
static enum proc_outcome read_oom(struct proc_scan *sc, int dir_fd,
				  KsProcess *p, uint32_t *skipped)
{
	bool gone = false;
	int64_t v;

	if (read_number(sc, dir_fd, "oom_score", 0, UINT32_MAX, &v, &gone,
			skipped)) {
		p->has_oom_score = true;
		p->oom_score = (uint32_t)v;
	}
	if (gone)
		return PROC_GONE;
	if (read_number(sc, dir_fd, "oom_score_adj", -1000, 1000, &v, &gone,
			skipped)) {
		p->has_oom_score_adj = true;
		p->oom_score_adj = (int32_t)v;
	}
	return gone ? PROC_GONE : PROC_USER;
}

/* ---- the top N ---------------------------------------------------------- */

/* The output order, reversed: lower oom_score (a missing one lowest), then
 * smaller VmRSS, then higher pid. Pids are unique, so nothing ties. */
static bool ranks_below(const KsProcess *a, const KsProcess *b)
{
	if (a->has_oom_score != b->has_oom_score)
		return !a->has_oom_score;
	if (a->oom_score != b->oom_score)
		return a->oom_score < b->oom_score;
	if (a->vm_rss_kb != b->vm_rss_kb)
		return a->vm_rss_kb < b->vm_rss_kb;
	return a->pid > b->pid;
}

static void swap_entries(KsProcess **h, size_t i, size_t j)
{
	KsProcess *t = h[i];

	h[i] = h[j];
	h[j] = t;
}

static void sift_up(KsProcess **h, size_t i)
{
	while (i > 0 && ranks_below(h[i], h[(i - 1) / 2])) {
		swap_entries(h, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static void sift_down(KsProcess **h, size_t len, size_t i)
{
	for (;;) {
		size_t low = i;
		size_t l = 2 * i + 1;
		size_t r = l + 1;

		if (l < len && ranks_below(h[l], h[low]))
			low = l;
		if (r < len && ranks_below(h[r], h[low]))
			low = r;
		if (low == i)
			return;
		swap_entries(h, i, low);
		i = low;
	}
}

/* Copies a candidate into a slot, pointing its comm at the slot's own. */
static void fill_slot(struct proc_slot *slot, const struct proc_slot *cand)
{
	*slot = *cand;
	if (cand->msg.comm)
		slot->msg.comm = slot->comm;
}

/* msg is a slot's first member. */
static struct proc_slot *slot_of(KsProcess *msg)
{
	return (struct proc_slot *)msg;
}

/* A full arena stops the heap growing; it keeps competing at the size it
 * reached, and the section says it was truncated. */
static void offer(struct proc_scan *sc, const struct proc_slot *cand)
{
	struct proc_slot *slot;

	if (sc->heap_len < sc->heap_cap) {
		slot = ks_arena_alloc(sc->ctx->arena, sizeof(*slot));
		if (slot) {
			fill_slot(slot, cand);
			sc->heap[sc->heap_len] = &slot->msg;
			sift_up(sc->heap, sc->heap_len);
			sc->heap_len++;
			return;
		}
		sc->heap_cap = sc->heap_len;
		ks_status_truncated(sc->st);
	}
	if (sc->heap_len == 0 || !ranks_below(sc->heap[0], &cand->msg))
		return;
	fill_slot(slot_of(sc->heap[0]), cand);
	sift_down(sc->heap, sc->heap_len, 0);
}

/* Heap sort in place: popping the lowest to the back leaves the array
 * highest first, which is the output order. */
static void emit_top(struct proc_scan *sc)
{
	size_t n;

	for (n = sc->heap_len; n > 1; n--) {
		swap_entries(sc->heap, 0, n - 1);
		sift_down(sc->heap, n - 1, 0);
	}
	sc->out->top = sc->heap;
	sc->out->n_top = sc->heap_len;
}

/* ---- totals ------------------------------------------------------------- */

/* A total is set when at least one process printed the line: a 3.10 kernel
 * has no Rss* lines, and its totals stay unset rather than read as zero. */
static void add_total(protobuf_c_boolean *has_total, uint64_t *total,
		      protobuf_c_boolean has, uint64_t kb)
{
	if (!has)
		return;
	*has_total = true;
	*total += kb;
}

static void count_user(KsProcesses *o, const KsProcess *p)
{
	o->count++;
	add_total(&o->has_vm_rss_kb_total, &o->vm_rss_kb_total,
		  p->has_vm_rss_kb, p->vm_rss_kb);
	add_total(&o->has_rss_anon_kb_total, &o->rss_anon_kb_total,
		  p->has_rss_anon_kb, p->rss_anon_kb);
	add_total(&o->has_rss_file_kb_total, &o->rss_file_kb_total,
		  p->has_rss_file_kb, p->rss_file_kb);
	add_total(&o->has_rss_shmem_kb_total, &o->rss_shmem_kb_total,
		  p->has_rss_shmem_kb, p->rss_shmem_kb);
	add_total(&o->has_vm_swap_kb_total, &o->vm_swap_kb_total,
		  p->has_vm_swap_kb, p->vm_swap_kb);
}

/* ---- one pid ------------------------------------------------------------ */

/* /proc lists thread-group leaders as decimal names (fs/proc/base.c:
 * proc_pid_readdir); "self", "sys", "meminfo" and the rest are skipped. */
static bool pid_name(const char *name, int32_t *pid)
{
	const char *p = name;
	uint64_t v;

	if (*name < '0' || *name > '9' || !ks_parse_u64(&p, &v) || *p != '\0' ||
	    v == 0 || v > INT32_MAX)
		return false;
	*pid = (int32_t)v;
	return true;
}

static enum proc_outcome read_process(struct proc_scan *sc, int dir_fd,
				      struct proc_slot *cand, uint32_t *skipped)
{
	enum proc_outcome o = read_status(sc, dir_fd, cand, skipped);

	if (o != PROC_USER)
		return o;
	return read_oom(sc, dir_fd, &cand->msg, skipped);
}

static void visit_pid(struct proc_scan *sc, int proc_fd, const char *name)
{
	struct proc_slot cand;
	enum proc_outcome o;
	uint32_t skipped = 0;
	int32_t pid;
	int dir_fd;

	if (!pid_name(name, &pid))
		return;
	memset(&cand, 0, sizeof(cand));
	kmemsnap__v1__process__init(&cand.msg);
	dir_fd = openat(proc_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir_fd < 0) {
		o = failure(errno);
	} else {
		o = read_process(sc, dir_fd, &cand, &skipped);
		close(dir_fd);
	}
	/* The directory name is the pid as this procfs mount numbers it; the
	 * Pid line says the same and only stands in where no name is known. */
	cand.msg.has_pid = true;
	cand.msg.pid = pid;
	switch (o) {
	case PROC_USER:
		count_user(sc->out, &cand.msg);
		offer(sc, &cand);
		break;
	case PROC_NO_MM:
		sc->out->kernel_threads++;
		break;
	case PROC_GONE:
		return;
	case PROC_UNREADABLE:
		skipped++;
		break;
	}
	sc->st->lines_skipped += skipped;
}

/* ---- the section -------------------------------------------------------- */

static void scan_proc(struct proc_scan *sc, int proc_fd, char *buf)
{
	long n;

	while ((n = getdents64(proc_fd, buf, DIRENT_BUF_BYTES)) > 0) {
		long off = 0;

		while (off < n) {
			struct dirent64 *d = (struct dirent64 *)(buf + off);

			visit_pid(sc, proc_fd, d->d_name);
			off += d->d_reclen;
		}
	}
	if (n < 0)
		ks_status_unavailable(sc->st, "proc", errno);
}

/* Distinct cgroup paths kept per snapshot; later ones are left unset. */
#define MAX_CGROUP_PATHS 256

/* The path of /proc/<pid>/cgroup that memory is charged to: the v1 line
 * whose controllers include "memory", else the v2 "0::" line
 * (kernel/cgroup/cgroup.c: proc_cgroup_show). */
static bool memory_cgroup_line(char *text, const char **path, size_t *len)
{
	char *line = text;
	bool found = false;

	while (line && *line) {
		char *nl = strchr(line, '\n');
		char *ctrl = strchr(line, ':');
		char *rest = ctrl ? strchr(ctrl + 1, ':') : NULL;

		if (nl)
			*nl = '\0';
		if (rest) {
			bool v2 = rest == ctrl + 1 && ks_starts_with(line, "0:");
			bool memory = false;
			const char *c = ctrl + 1;

			while (c < rest && !memory) {
				memory = ks_starts_with(c, "memory") &&
					 (c[6] == ',' || c + 6 == rest);
				c = strchr(c, ',');
				c = c && c < rest ? c + 1 : rest;
			}
			if (memory || (v2 && !found)) {
				*path = rest + 1;
				*len = strlen(rest + 1);
				found = true;
				if (memory)
					return true;
			}
		}
		line = nl ? nl + 1 : NULL;
	}
	return found;
}

/* Index of path in the string table, adding it when new; -1 when full. */
static int intern_path(struct ks_ctx *ctx, KsProcesses *out, size_t cap,
		       const char *path, size_t len)
{
	size_t i;

	for (i = 0; i < out->n_cgroup_paths; i++)
		if (strlen(out->cgroup_paths[i]) == len &&
		    memcmp(out->cgroup_paths[i], path, len) == 0)
			return (int)i;
	if (out->n_cgroup_paths == cap)
		return -1;
	out->cgroup_paths[i] = ks_arena_strndup(ctx->arena, path, len);
	if (!out->cgroup_paths[i])
		return -1;
	out->n_cgroup_paths++;
	return (int)i;
}

/* Each kept process's cgroup, as an index into one table of paths: a
 * host's processes share a handful of cgroups with long paths. */
static void attach_cgroups(struct ks_ctx *ctx, int proc_fd, KsProcesses *out)
{
	size_t cap = out->n_top < MAX_CGROUP_PATHS ? out->n_top : MAX_CGROUP_PATHS;
	char path[32];
	size_t i;

	if (cap == 0)
		return;
	out->cgroup_paths = ks_arena_alloc(ctx->arena, cap * sizeof(char *));
	for (i = 0; out->cgroup_paths && i < out->n_top; i++) {
		KsProcess *p = out->top[i];
		size_t n = ks_format_u64(path, (uint64_t)p->pid);
		const char *cg;
		size_t len;
		long got;
		int idx;

		memcpy(path + n, "/cgroup", sizeof("/cgroup"));
		got = ks_read_small(proc_fd, path, ctx->io_buf, ctx->io_cap);
		/* Absent (no cgroups, a copied tree) or exited since the scan
		 * is no news; a file that exists and fails to read is. */
		if (got < 0 && got != -ENOENT && got != -ESRCH)
			out->status->lines_skipped++;
		if (got <= 0 || !memory_cgroup_line(ctx->io_buf, &cg, &len))
			continue;
		idx = intern_path(ctx, out, cap, cg, len);
		if (idx >= 0) {
			p->has_cgroup = true;
			p->cgroup = (uint32_t)idx;
		}
	}
}

void ks_section_processes(struct ks_ctx *ctx, KsSnapshot *snap, KsStatus *st)
{
	KsProcesses *out = ks_arena_alloc(ctx->arena, sizeof(*out));
	uint32_t top_n = ctx->cfg->process_top_n;
	struct proc_scan sc = { .ctx = ctx, .st = st, .out = out };
	char *dirents;
	int proc_fd;

	if (!out)
		return;
	kmemsnap__v1__processes__init(out);
	out->status = st;
	snap->processes = out;
	proc_fd = openat(ctx->root_fd, "proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (proc_fd < 0) {
		ks_status_unavailable(st, "proc", errno);
		return;
	}
	out->has_top_n = true;
	out->top_n = top_n;
	/* The getdents buffer comes first: the counts and totals need it,
	 * the top N only the heap's index, sized by top_n; the heap's slots
	 * are taken as processes arrive. */
	dirents = ks_arena_alloc(ctx->arena, DIRENT_BUF_BYTES);
	if (dirents)
		sc.heap = ks_arena_alloc(ctx->arena,
					 (size_t)top_n * sizeof(*sc.heap));
	sc.heap_cap = sc.heap ? top_n : 0;
	if (!sc.heap)
		ks_status_truncated(st);
	if (dirents) {
		out->has_count = true;
		out->has_kernel_threads = true;
		scan_proc(&sc, proc_fd, dirents);
	}
	emit_top(&sc);
	attach_cgroups(ctx, proc_fd, out);
	close(proc_fd);
	/* The cgroup table is the last allocation: a full arena there means
	 * some kept processes have no cgroup. */
	if (ctx->arena->exhausted)
		ks_status_truncated(st);
	st->has_lines_skipped = st->lines_skipped > 0;
	st->has_source_bytes = true;
	st->source_bytes = sc.bytes;
}

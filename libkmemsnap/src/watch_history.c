/* SPDX-License-Identifier: MIT */
/*
 * The watcher's lead-up history: every few seconds a light sample — a few
 * /proc/meminfo counters, the PSI memory totals and the processes with the
 * largest RSS (from /proc/<pid>/statm, fs/proc/array.c: proc_pid_statm) —
 * goes into a ring. An OOM snapshot is taken after the fact; the ring is
 * what shows the climb towards it.
 *
 * A sample costs three small reads and one statm read per process, so it
 * can run every few seconds on a host with thousands of processes.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "watch.h"

typedef Kmemsnap__V1__History KsHistory;
typedef Kmemsnap__V1__HistorySample KsHistorySample;
typedef Kmemsnap__V1__HistoryProcess KsHistoryProcess;

#define DENTS_BYTES (16u << 10)
#define IO_BYTES (8u << 10)

/* fs/proc/meminfo.c: meminfo_proc_show keys, in enum order. */
static const char *const sample_keys[KS_SAMPLE_KB_FIELDS] = {
	"MemAvailable", "MemFree",	"Cached",
	"AnonPages",	"Shmem",	"SReclaimable",
	"SUnreclaim",	"VmallocUsed", "SwapFree",
};

static size_t page_round(size_t n)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);

	return (n + page - 1) / page * page;
}

int ks_history_init(struct ks_history *h, int root_fd, uint32_t page_size,
		    uint32_t cap, uint32_t top_n, uint32_t interval_ms)
{
	size_t ring_bytes = (size_t)cap * sizeof(struct ks_sample);

	memset(h, 0, sizeof(*h));
	h->proc_fd = -1;
	if (cap == 0 || cap > KS_HISTORY_SAMPLES_MAX ||
	    top_n > KS_HISTORY_TOP_MAX)
		return -EINVAL;
	h->region_len = page_round(ring_bytes + DENTS_BYTES + IO_BYTES);
	h->region = mmap(NULL, h->region_len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (h->region == MAP_FAILED) {
		h->region = NULL;
		return -ENOMEM;
	}
	/* Best effort, as for the recorder: the ring must not be paged out
	 * when the host is short of memory, which is when it is read. */
	(void)mlock(h->region, h->region_len);
	h->ring = h->region;
	h->dents = (char *)h->region + ring_bytes;
	h->io = h->dents + DENTS_BYTES;
	h->root_fd = root_fd;
	h->page_kb = page_size / 1024;
	h->cap = cap;
	h->top_n = top_n;
	h->interval_ms = interval_ms;
	h->proc_fd = openat(root_fd, "proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return 0;
}

void ks_history_free(struct ks_history *h)
{
	if (h->proc_fd >= 0)
		close(h->proc_fd);
	if (h->region)
		munmap(h->region, h->region_len);
	h->region = NULL;
	h->proc_fd = -1;
}

/* ---- one sample --------------------------------------------------------- */

static void read_meminfo(struct ks_history *h, struct ks_sample *s)
{
	struct ks_lines lr;
	struct ks_kv kv;
	char *line;
	size_t len;
	int i;

	if (ks_lines_open(&lr, h->root_fd, "proc/meminfo", h->io, IO_BYTES) < 0)
		return;
	while (ks_lines_next(&lr, &line, &len) > 0) {
		if (!ks_parse_kv(line, &kv))
			continue;
		for (i = 0; i < KS_SAMPLE_KB_FIELDS; i++) {
			if (!ks_token_is(kv.key, kv.key_len, sample_keys[i]))
				continue;
			s->kb[i] = kv.value;
			s->kb_present |= 1u << i;
			break;
		}
	}
	ks_lines_close(&lr);
}

/* The stall totals of /proc/pressure/memory (section_pressure.c parses
 * the lines). */
static void read_psi(struct ks_history *h, struct ks_sample *s)
{
	Kmemsnap__V1__PressureLine line;
	char *p = h->io, *end;
	bool full;

	if (ks_read_small(h->root_fd, "proc/pressure/memory", h->io,
			  IO_BYTES) <= 0)
		return;
	for (; *p; p = end + 1) {
		end = strchr(p, '\n');
		if (end)
			*end = '\0';
		if (ks_parse_pressure_values(p, &full, &line)) {
			*(full ? &s->psi_full_us : &s->psi_some_us) =
				line.total_us;
			s->has_psi |= !full;
		}
		if (!end)
			break;
	}
}

static bool pid_name(const char *name)
{
	if (*name < '1' || *name > '9')
		return false;
	while (*name >= '0' && *name <= '9')
		name++;
	return *name == '\0';
}

/* Keeps s->top sorted by RSS, largest first, at most top_n long. */
static void offer(struct ks_history *h, struct ks_sample *s, int32_t pid,
		  uint64_t rss_kb)
{
	uint32_t i = s->n_top;

	if (i == h->top_n) {
		if (i == 0 || s->top[i - 1].rss_kb >= rss_kb)
			return;
		i--;
	} else {
		s->n_top++;
	}
	for (; i > 0 && s->top[i - 1].rss_kb < rss_kb; i--)
		s->top[i] = s->top[i - 1];
	s->top[i].pid = pid;
	s->top[i].rss_kb = rss_kb;
}

/* statm's second field is resident pages; kernel threads print zeros. */
static void visit_pid(struct ks_history *h, struct ks_sample *s,
		      const char *name)
{
	char path[32];
	const char *p = name;
	uint64_t pid, size, resident;
	size_t n = strnlen(name, 16);

	if (n == 16 || !ks_parse_u64(&p, &pid) || pid > INT32_MAX)
		return;
	memcpy(path, name, n);
	memcpy(path + n, "/statm", sizeof("/statm"));
	if (ks_read_small(h->proc_fd, path, h->io, 128) <= 0)
		return;
	p = h->io;
	if (!ks_parse_u64(&p, &size) || !ks_parse_u64(&p, &resident) ||
	    resident == 0)
		return;
	offer(h, s, (int32_t)pid, resident * h->page_kb);
}

static void read_comm(struct ks_history *h, struct ks_sample_proc *t)
{
	char path[32];
	size_t n = ks_format_u64(path, (uint64_t)t->pid);
	long len;

	memcpy(path + n, "/comm", sizeof("/comm"));
	len = ks_read_small(h->proc_fd, path, h->io, sizeof(t->comm) + 1);
	if (len <= 0)
		return;
	if (h->io[len - 1] == '\n')
		len--;
	if ((size_t)len >= sizeof(t->comm))
		len = sizeof(t->comm) - 1;
	memcpy(t->comm, h->io, (size_t)len);
	t->comm[len] = '\0';
}

static void read_top(struct ks_history *h, struct ks_sample *s)
{
	long n;
	uint32_t i;

	if (h->proc_fd < 0 || h->top_n == 0 ||
	    lseek(h->proc_fd, 0, SEEK_SET) < 0)
		return;
	while ((n = getdents64(h->proc_fd, h->dents, DENTS_BYTES)) > 0) {
		long off = 0;

		while (off < n) {
			struct dirent64 *d = (struct dirent64 *)(h->dents + off);

			if (pid_name(d->d_name))
				visit_pid(h, s, d->d_name);
			off += d->d_reclen;
		}
	}
	for (i = 0; i < s->n_top; i++)
		read_comm(h, &s->top[i]);
}

void ks_history_sample(struct ks_history *h)
{
	struct ks_sample *s = &h->ring[h->next];

	memset(s, 0, sizeof(*s));
	s->boottime_ns = ks_now_ns(CLOCK_BOOTTIME);
	read_meminfo(h, s);
	read_psi(h, s);
	read_top(h, s);
	h->next = (h->next + 1) % h->cap;
	if (h->count < h->cap)
		h->count++;
}

/* ---- the History message ------------------------------------------------ */

/* HistorySample's has_/value pairs for the kb fields, in enum order. */
#define KB_FIELD(f) { offsetof(KsHistorySample, has_##f), offsetof(KsHistorySample, f) }
static const struct {
	size_t has_off;
	size_t value_off;
} kb_fields[KS_SAMPLE_KB_FIELDS] = {
	KB_FIELD(mem_available_kb),	 KB_FIELD(mem_free_kb),
	KB_FIELD(cached_kb),		 KB_FIELD(anon_pages_kb),
	KB_FIELD(shmem_kb),		 KB_FIELD(slab_reclaimable_kb),
	KB_FIELD(slab_unreclaimable_kb), KB_FIELD(vmalloc_used_kb),
	KB_FIELD(swap_free_kb),
};

static bool fill_top(const struct ks_sample *s, KsHistorySample *m,
		     struct ks_arena *a)
{
	uint32_t i;

	if (s->n_top == 0)
		return true;
	m->top = ks_arena_alloc(a, s->n_top * sizeof(*m->top));
	if (!m->top)
		return false;
	for (i = 0; i < s->n_top; i++) {
		KsHistoryProcess *p = ks_arena_alloc(a, sizeof(*p));

		if (!p)
			return false;
		kmemsnap__v1__history_process__init(p);
		p->has_pid = p->has_rss_kb = true;
		p->pid = s->top[i].pid;
		p->rss_kb = s->top[i].rss_kb;
		if (s->top[i].comm[0])
			p->comm = ks_arena_strndup(a, s->top[i].comm,
						   strlen(s->top[i].comm));
		m->top[m->n_top++] = p;
	}
	return true;
}

static KsHistorySample *sample_message(const struct ks_sample *s,
				       struct ks_arena *a)
{
	KsHistorySample *m = ks_arena_alloc(a, sizeof(*m));
	int i;

	if (!m)
		return NULL;
	kmemsnap__v1__history_sample__init(m);
	m->has_boottime_ns = true;
	m->boottime_ns = s->boottime_ns;
	for (i = 0; i < KS_SAMPLE_KB_FIELDS; i++) {
		if (!(s->kb_present & (1u << i)))
			continue;
		*(protobuf_c_boolean *)((char *)m + kb_fields[i].has_off) = true;
		*(uint64_t *)((char *)m + kb_fields[i].value_off) = s->kb[i];
	}
	if (s->has_psi) {
		m->has_psi_some_total_us = m->has_psi_full_total_us = true;
		m->psi_some_total_us = s->psi_some_us;
		m->psi_full_total_us = s->psi_full_us;
	}
	return fill_top(s, m, a) ? m : NULL;
}

KsHistory *ks_history_message(const struct ks_history *h, uint32_t limit,
			      struct ks_arena *a)
{
	KsHistory *m = ks_arena_alloc(a, sizeof(*m));
	KsStatus *st = ks_arena_alloc(a, sizeof(*st));
	uint32_t n = limit && limit < h->count ? limit : h->count;
	uint32_t first = (h->next + h->cap - n) % h->cap;
	uint32_t i;

	if (!m || !st)
		return NULL;
	kmemsnap__v1__history__init(m);
	kmemsnap__v1__section_status__init(st);
	m->status = st;
	st->has_state = true;
	st->state = KMEMSNAP__V1__SECTION_STATUS__STATE__STATE_OK;
	m->has_interval_ms = true;
	m->interval_ms = h->interval_ms;
	m->samples = n ? ks_arena_alloc(a, n * sizeof(*m->samples)) : NULL;
	for (i = 0; m->samples && i < n; i++) {
		KsHistorySample *s = sample_message(&h->ring[(first + i) % h->cap], a);

		if (!s)
			break;
		m->samples[m->n_samples++] = s;
	}
	if (m->n_samples < n)
		st->state = KMEMSNAP__V1__SECTION_STATUS__STATE__STATE_TRUNCATED;
	return m;
}

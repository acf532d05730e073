/* SPDX-License-Identifier: MIT */
/* The watcher's event and history in `kmemsnap show` (show_watch.h). */
#include <stdio.h>

#include "show_watch.h"
#include "units.h"

typedef Kmemsnap__V1__WatchEvent KsWatchEvent;
typedef Kmemsnap__V1__History KsHistory;
typedef Kmemsnap__V1__HistorySample KsHistorySample;

static void heading(const char *title)
{
	printf("\n%s%s%s\n", color(COLOR_BOLD), title, color(COLOR_RESET));
}

/* How long before the capture t (CLOCK_BOOTTIME) was: "-1m 5s". */
static struct human before_capture(const Kmemsnap__V1__Header *h, uint64_t t)
{
	struct human out = { "-" };

	if (!h || !h->has_boottime_ns || !t)
		return out;
	if (t >= h->boottime_ns)
		snprintf(out.s, sizeof(out.s), "0 s");
	else
		snprintf(out.s, sizeof(out.s), "-%.200s",
			 human_duration_ns(h->boottime_ns - t).s);
	return out;
}

void show_event(const KsWatchEvent *ev, const Kmemsnap__V1__Header *h)
{
	size_t i;

	heading("Event");
	printf("  %-12s %s\n", "source",
	       enum_word(&kmemsnap__v1__event_source__descriptor,
			 ev->has_source ? (int)ev->source : 0).s);
	if (ev->path)
		printf("  %-12s %s\n", "file", human_text(ev->path).s);
	if (ev->psi_trigger)
		printf("  %-12s %s\n", "psi trigger", human_text(ev->psi_trigger).s);
	for (i = 0; i < ev->n_counters; i++) {
		const Kmemsnap__V1__EventCounter *c = ev->counters[i];

		printf("  %-12s %s %llu -> %llu\n", i ? "" : "counters",
		       human_text(c->name).s, (unsigned long long)c->before,
		       (unsigned long long)c->after);
	}
	if (ev->has_victim_pid)
		printf("  %-12s pid %d (%s)\n", "killed", ev->victim_pid,
		       human_text(ev->victim_comm).s);
	if (ev->has_event_boottime_ns && h && h->has_boottime_ns &&
	    h->boottime_ns >= ev->event_boottime_ns)
		printf("  %-12s %s before the capture\n", "seen",
		       human_duration_ns(h->boottime_ns -
					 ev->event_boottime_ns).s);
	if (ev->coalesced)
		printf("  %-12s %u more event(s) of the same moment\n",
		       "folded in", ev->coalesced);
	if (ev->suppressed)
		printf("  %-12s %u event(s) since the previous snapshot\n",
		       "rate limited", ev->suppressed);
}

/* Which samples to print: all, or rows spread evenly with the last one. */
static size_t pick(size_t i, size_t shown, size_t n)
{
	return shown == n ? i : i * (n - 1) / (shown - 1);
}

static uint64_t slab_kb(const KsHistorySample *s)
{
	return s->slab_reclaimable_kb + s->slab_unreclaimable_kb;
}

static void sample_row(const KsHistorySample *s, const KsHistorySample *prev,
		       const Kmemsnap__V1__Header *h)
{
	struct human stall = { "-" };

	if (prev && s->has_psi_some_total_us && prev->has_psi_some_total_us &&
	    s->psi_some_total_us >= prev->psi_some_total_us)
		stall = human_duration_ns((s->psi_some_total_us -
					   prev->psi_some_total_us) * 1000);
	printf("  %9s %10s %10s %10s %10s %10s %10s %10s %9s",
	       before_capture(h, s->boottime_ns).s,
	       s->has_mem_available_kb ? human_kb(s->mem_available_kb).s : "-",
	       s->has_mem_free_kb ? human_kb(s->mem_free_kb).s : "-",
	       s->has_cached_kb ? human_kb(s->cached_kb).s : "-",
	       s->has_anon_pages_kb ? human_kb(s->anon_pages_kb).s : "-",
	       s->has_shmem_kb ? human_kb(s->shmem_kb).s : "-",
	       s->has_slab_reclaimable_kb ? human_kb(slab_kb(s)).s : "-",
	       s->has_vmalloc_used_kb ? human_kb(s->vmalloc_used_kb).s : "-",
	       stall.s);
	if (s->n_top)
		printf("  %s %d %s", human_text(s->top[0]->comm).s,
		       s->top[0]->pid, human_kb(s->top[0]->rss_kb).s);
	putchar('\n');
}

/* The largest processes of the newest sample, with their RSS then and at
 * the oldest sample: who grew on the way to the event. */
static void show_growth(const KsHistory *hist)
{
	const KsHistorySample *first = hist->samples[0];
	const KsHistorySample *last = hist->samples[hist->n_samples - 1];
	size_t i, j;

	if (!last->n_top)
		return;
	printf("\n  largest processes at the last sample, and at the first:\n");
	for (i = 0; i < last->n_top; i++) {
		const Kmemsnap__V1__HistoryProcess *p = last->top[i];
		const char *then = "-";
		struct human then_kb = { "" };

		for (j = 0; j < first->n_top; j++)
			if (first->top[j]->pid == p->pid) {
				then_kb = human_kb(first->top[j]->rss_kb);
				then = then_kb.s;
			}
		printf("    %7d %-16s %10s  (%s)\n", p->pid,
		       human_text(p->comm).s, human_kb(p->rss_kb).s, then);
	}
}

void show_history(const KsHistory *hist, const Kmemsnap__V1__Header *h)
{
	size_t n = hist->n_samples;
	size_t shown = n < SHOW_HISTORY_ROWS ? n : SHOW_HISTORY_ROWS;
	const KsHistorySample *prev = NULL;
	size_t i;

	heading("Lead-up: the watcher's samples before the capture");
	if (n == 0) {
		printf("  no samples\n");
		return;
	}
	printf("  %llu samples, one every %s", (unsigned long long)n,
	       human_duration_ns((uint64_t)hist->interval_ms * 1000000).s);
	if (shown < n)
		printf("; %zu rows shown, --json has all", shown);
	printf("\n  %9s %10s %10s %10s %10s %10s %10s %10s %9s  %s\n", "when",
	       "available", "free", "cached", "anon", "shmem", "slab",
	       "vmalloc", "stall", "largest process");
	for (i = 0; i < shown; i++) {
		const KsHistorySample *s = hist->samples[pick(i, shown, n)];

		sample_row(s, prev, h);
		prev = s;
	}
	show_growth(hist);
}

/* SPDX-License-Identifier: MIT */
/* The watcher's internals: its ring of light samples (watch_history.c). */
#ifndef KMEMSNAP_WATCH_H
#define KMEMSNAP_WATCH_H

#include "internal.h"

#define KS_HISTORY_TOP_MAX 16
#define KS_HISTORY_SAMPLES_MAX 4096

/* The meminfo counters a sample keeps, in HistorySample's field order. */
enum {
	KS_SAMPLE_MEM_AVAILABLE,
	KS_SAMPLE_MEM_FREE,
	KS_SAMPLE_CACHED,
	KS_SAMPLE_ANON_PAGES,
	KS_SAMPLE_SHMEM,
	KS_SAMPLE_SRECLAIMABLE,
	KS_SAMPLE_SUNRECLAIM,
	KS_SAMPLE_VMALLOC_USED,
	KS_SAMPLE_SWAP_FREE,
	KS_SAMPLE_KB_FIELDS
};

struct ks_sample_proc {
	int32_t pid;
	uint64_t rss_kb;
	char comm[16]; /* TASK_COMM_LEN */
};

struct ks_sample {
	uint64_t boottime_ns;
	uint64_t kb[KS_SAMPLE_KB_FIELDS];
	uint32_t kb_present; /* bit i: kb[i] was read */
	bool has_psi;
	uint64_t psi_some_us;
	uint64_t psi_full_us;
	uint32_t n_top;
	struct ks_sample_proc top[KS_HISTORY_TOP_MAX];
};

/* A ring of samples and the buffers that reading one needs, all mapped at
 * init so that sampling allocates nothing. */
struct ks_history {
	int root_fd;  /* the recorder's: samples read the same files */
	int proc_fd;  /* "proc" below it, rewound for each walk */
	uint32_t page_kb;
	uint32_t top_n;
	uint32_t interval_ms;
	uint32_t cap;
	uint32_t count;
	uint32_t next; /* slot the next sample goes to */
	struct ks_sample *ring;
	char *dents;
	char *io;
	void *region;
	size_t region_len;
};

int ks_history_init(struct ks_history *h, int root_fd, uint32_t page_size,
		    uint32_t cap, uint32_t top_n, uint32_t interval_ms);
void ks_history_free(struct ks_history *h);
/* Reads one sample into the ring. No allocation. */
void ks_history_sample(struct ks_history *h);
/* The newest `limit` samples (all when limit is 0) as a History message in
 * a, oldest first; NULL when the arena is full. */
Kmemsnap__V1__History *ks_history_message(const struct ks_history *h,
					  uint32_t limit, struct ks_arena *a);

#endif /* KMEMSNAP_WATCH_H */

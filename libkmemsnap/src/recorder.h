/* SPDX-License-Identifier: MIT */
/* The recorder handle: everything one capture needs, set aside up front. */
#ifndef KMEMSNAP_RECORDER_H
#define KMEMSNAP_RECORDER_H

#include "internal.h"

struct kmemsnap_recorder {
	int root_fd;
	char *root_label; /* the root path when it is not "/", else NULL */
	char *cgroup;     /* owned copy behind cfg.cgroup */
	struct ks_config cfg;
	uint32_t page_size;
	int busy;         /* a capture is running: captures do not nest */

	void *region;     /* one mapping holding all buffers below */
	size_t region_len;
	struct ks_arena arena;
	char *io_buf;
	size_t io_cap;
	uint8_t *pack_buf;
	size_t pack_cap;
	uint8_t *out_buf;
	size_t out_cap;

	/* The crash section the crash handler (crash.c) sets for the one
	 * capture it runs; NULL otherwise. */
	const Kmemsnap__V1__Crash *crash;
	/* Set by the watcher (watch.c) for the one capture it runs: adds the
	 * history and event messages from its own memory. NULL otherwise. */
	void (*extend)(void *arg, struct ks_arena *a, KsSnapshot *snap);
	void *extend_arg;

	/* The last capture's header fields that name its file in a store
	 * (store.c), kept so that naming needs no decoding. */
	struct {
		uint64_t realtime_ns;
		int trigger;
		char boot_id[40]; /* "0f6a3c52-8d7e-...": 36 and a NUL */
	} last;
};

/* Runs one capture into rec->out_buf. Returns the blob length or -errno. */
long ks_capture(struct kmemsnap_recorder *rec,
		const struct kmemsnap_capture_opts *opts);

#endif /* KMEMSNAP_RECORDER_H */

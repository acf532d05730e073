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
};

/* Runs one capture into rec->out_buf. Returns the blob length or -errno. */
long ks_capture(struct kmemsnap_recorder *rec,
		const struct kmemsnap_capture_opts *opts);

#endif /* KMEMSNAP_RECORDER_H */

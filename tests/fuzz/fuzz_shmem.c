/* SPDX-License-Identifier: MIT */
/*
 * /proc/self/mountinfo and /proc/sysvipc/shm through the shmem section
 * (section_shmem.c), over a tree holding the input's two NUL-separated
 * parts as those files. Mount points are measured below the tree, where
 * they are mostly absent: that failure is data too.
 */
#include "fuzz.h"

/* section_shmem.c: MAX_MOUNTS, MAX_SEGMENTS. */
#define MAX_MOUNTS 128
#define MAX_SEGMENTS 64

enum { MOUNTINFO, SYSVIPC_SHM, PARTS };

/* Bounded lists, most used / largest first; with no segment dropped, the
 * totals are the sums of the kept ones. */
static void check_shmem(const Kmemsnap__V1__Shmem *s)
{
	uint64_t bytes = 0;
	size_t i;

	FZ_CHECK(s->n_mounts <= MAX_MOUNTS);
	for (i = 0; i < s->n_mounts; i++) {
		FZ_CHECK(s->mounts[i]->mount_point && s->mounts[i]->source);
		if (i > 0)
			FZ_CHECK(s->mounts[i - 1]->used_bytes >=
				 s->mounts[i]->used_bytes);
	}
	FZ_CHECK(s->n_segments <= MAX_SEGMENTS);
	FZ_CHECK(s->n_segments <= s->segments_total);
	for (i = 0; i < s->n_segments; i++) {
		if (i > 0)
			FZ_CHECK(s->segments[i - 1]->size_bytes >=
				 s->segments[i]->size_bytes);
		bytes += s->segments[i]->size_bytes;
	}
	if (s->segments_total == s->n_segments)
		FZ_CHECK(s->segment_bytes_total == bytes);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_part parts[PARTS];
	KsSnapshot snap;
	struct fz_env e;
	KsStatus st;

	fz_split(data, size, parts, PARTS);
	fz_tree_put("proc/self/mountinfo", &parts[MOUNTINFO]);
	fz_tree_put("proc/sysvipc/shm", &parts[SYSVIPC_SHM]);
	fz_env_init(&e, data, size, fz_tree());
	kmemsnap__v1__snapshot__init(&snap);
	kmemsnap__v1__section_status__init(&st);
	ks_section_shmem(&e.ctx, &snap, &st);
	if (snap.shmem)
		check_shmem(snap.shmem);
	fz_check_message(&snap.base);
	return 0;
}

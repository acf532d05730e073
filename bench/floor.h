/* SPDX-License-Identifier: MIT */
/*
 * The floor: opens and reads exactly the files a default capture reads, in
 * the same order, with the same buffer sizes and system calls, and throws
 * the bytes away. No capture can be faster; capture time over floor time is
 * what kmemsnap itself adds. See floor.c for how the walk is kept in step
 * with the library, and bench/check_floor.sh for the check.
 */
#ifndef KMEMSNAP_BENCH_FLOOR_H
#define KMEMSNAP_BENCH_FLOOR_H

#include <stddef.h>
#include <stdint.h>

/* The parts of the walk, timed apart as the capture times its sections
 * (SectionStatus.duration_ns); the header has no status in a snapshot. */
enum floor_part {
	FLOOR_HEADER,
	FLOOR_MEMINFO,
	FLOOR_SLAB,
	FLOOR_VMALLOC,
	FLOOR_PROCESSES,
	FLOOR_KMEMLEAK,
	FLOOR_SHMEM,
	FLOOR_PRESSURE,
	FLOOR_PARTS
};

struct floor_result {
	uint64_t bytes; /* text read */
	uint32_t opens; /* openat calls that succeeded */
	uint32_t reads; /* read calls, the final 0-byte ones included */
	uint64_t part_ns[FLOOR_PARTS];
};

struct floor_opts {
	uint32_t process_top_n; /* the recorder's (default 32) */
	int copy_fd;            /* >= 0: every byte read is written here */
};

/* Walks the tree below root_fd (a directory fd standing for "/"). */
void floor_walk(int root_fd, const struct floor_opts *o,
		struct floor_result *r);

#endif /* KMEMSNAP_BENCH_FLOOR_H */

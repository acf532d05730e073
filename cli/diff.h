/* SPDX-License-Identifier: MIT */
/* The analysis behind `kmemsnap diff`: what changed between two snapshots
 * of one machine. */
#ifndef KMEMSNAP_CLI_DIFF_H
#define KMEMSNAP_CLI_DIFF_H

#include <stdint.h>

#include "internal.h"

typedef Kmemsnap__V1__DiffReport DiffReport;
typedef Kmemsnap__V1__DiffTable DiffTable;
typedef Kmemsnap__V1__DiffRow DiffRow;

struct diff_opts {
	uint32_t top;		   /* rows kept per table; 0 keeps them all */
	uint64_t min_change_bytes; /* a row needs a change of at least this */
	double min_percent; /* ... and at least this percent of its old value */
};

/* Compares new_snap against old_snap, table by table: explain's categories,
 * /proc/meminfo, slab caches, vmalloc callers, kmemleak backtraces,
 * processes and memory-backed mounts. A row is kept when its change passes
 * both thresholds of o (a row without a byte size, or without an old value
 * to take a percent of, passes that test); the kept rows are ranked by
 * absolute change and cut to o->top. Different hosts or kernels, or a new
 * snapshot older than the old one, are noted in the report's warnings.
 * Memory comes from arena (the process exits when it runs out). */
DiffReport *diff_build(struct ks_arena *arena, const KsSnapshot *old_snap,
		       const char *old_file, const KsSnapshot *new_snap,
		       const char *new_file, const struct diff_opts *o);

#endif /* KMEMSNAP_CLI_DIFF_H */

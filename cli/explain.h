/* SPDX-License-Identifier: MIT */
/* The analysis behind `kmemsnap explain`. */
#ifndef KMEMSNAP_CLI_EXPLAIN_H
#define KMEMSNAP_CLI_EXPLAIN_H

#include <stddef.h>

#include "internal.h"

/* Accounts for all of the snapshot's MemTotal and applies the rules; with a
 * baseline (an earlier snapshot of the same machine) every line carries its
 * change and the findings rank growth. Memory comes from arena. top_n bounds
 * the items listed under each line. Returns 0, -1 when the snapshot has no
 * MemTotal, -2 when the baseline has none. */
int explain_build(struct ks_arena *arena, const KsSnapshot *snap,
		  const char *file, const KsSnapshot *baseline,
		  const char *baseline_file, size_t top_n,
		  Kmemsnap__V1__Explanation **out);

#endif /* KMEMSNAP_CLI_EXPLAIN_H */

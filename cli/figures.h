/* SPDX-License-Identifier: MIT */
/* Figures every reader derives from a snapshot the same way: meminfo values
 * by the key the kernel prints, a slab cache's footprint. */
#ifndef KMEMSNAP_CLI_FIGURES_H
#define KMEMSNAP_CLI_FIGURES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "internal.h"

struct meminfo_value {
	const char *key; /* as /proc/meminfo prints it: "Active(anon)" */
	uint64_t value;
	bool kb; /* in kB; else a count (HugePages_Total) */
};

/* Room meminfo_values() needs for m. */
size_t meminfo_values_max(const Kmemsnap__V1__Meminfo *m);
/* Every value m holds: the schema's fields that are set, then the keys the
 * schema does not know (Meminfo.other). Returns how many went to out. */
size_t meminfo_values(const Kmemsnap__V1__Meminfo *m,
		      struct meminfo_value *out);

/* The snapshot's page size, or 4096 for one that lacks it. */
uint64_t snapshot_page_size(const KsSnapshot *s);
/* num_slabs * pages_per_slab * page size, saturated. */
uint64_t slab_footprint_bytes(const KsSnapshot *s,
			      const Kmemsnap__V1__SlabCache *c);

/* Where a boot started, from its snapshots' realtime - uptime estimates:
 * their median, robust to a clock stepped by NTP after boot; fallback
 * when there are none. Sorts estimates. `ls` and `timeline` order boots
 * by it. */
uint64_t boot_start_median(uint64_t *estimates, size_t n, uint64_t fallback);

#endif /* KMEMSNAP_CLI_FIGURES_H */

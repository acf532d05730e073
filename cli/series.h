/* SPDX-License-Identifier: MIT */
/* Snapshots over time: grouped by boot, each accounted for by explain, and
 * the slab caches, vmalloc callers and kmemleak backtraces that grow
 * steadily within boots. The analysis behind `kmemsnap timeline` and
 * `kmemsnap report`. */
#ifndef KMEMSNAP_CLI_SERIES_H
#define KMEMSNAP_CLI_SERIES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "internal.h"
#include "units.h"

/* The lines of explain's accounting (explain.c: account), in its order.
 * A category explain does not have yet lands in CAT_OTHER, so the
 * categories of a snapshot always add up to its MemTotal. */
enum series_cat {
	CAT_FREE,
	CAT_ANON,
	CAT_PAGE_CACHE,
	CAT_SHMEM,
	CAT_SLAB_RECLAIMABLE,
	CAT_SLAB_UNRECLAIMABLE,
	CAT_SLAB, /* kernels without SReclaimable/SUnreclaim: all slab */
	CAT_VMALLOC,
	CAT_KERNEL_STACK,
	CAT_PAGE_TABLES,
	CAT_PERCPU,
	CAT_HUGETLB,
	CAT_KERNEL_RECLAIMABLE_OTHER,
	CAT_ZSWAP,
	CAT_OTHER,
	CAT_UNACCOUNTED,
	CAT_COUNT
};

/* explain's category names ("page_cache"); "other" for CAT_OTHER. */
extern const char *const series_cat_name[CAT_COUNT];

struct series_snap {
	char *file;
	uint64_t realtime_ns;
	uint64_t uptime_ms; /* the header's, else realtime - the boot's start */
	int trigger;	    /* Trigger */
	uint32_t boot;	    /* index into series_set.boots */
	uint64_t mem_total_kb;
	uint64_t mem_available_kb;
	int64_t kb[CAT_COUNT]; /* explain's lines; the remainder may be < 0 */
	bool has_uptime;
	bool has_mem_available;
	uint32_t seq; /* load order: what series points refer to until analysed */
	char *boot_id; /* "" when the snapshot has none */
	char *host;    /* NULL when the snapshot has none */
};

/* Snapshots sharing a boot id, ordered by uptime. */
struct series_boot {
	const char *boot_id;
	const char *host;
	uint64_t start_ns; /* median of realtime - uptime over its snapshots */
	size_t first;	   /* snaps[first .. first + count) */
	size_t count;
};

/* The values of TimelineSeriesKind. */
enum series_kind {
	SERIES_SLAB = 1,     /* footprint bytes, by cache name */
	SERIES_VMALLOC = 2,  /* bytes, by caller and flags */
	SERIES_KMEMLEAK = 3, /* bytes, by backtrace frames */
};

struct series_point {
	uint32_t snap; /* index into series_set.snaps */
	uint64_t bytes;
};

/* The least-squares fit of a series within one boot. */
struct series_fit {
	uint32_t boot;
	uint32_t points;
	double bytes_per_hour;
	double r2;
	double grew_fraction; /* of the steps that changed, those that went up */
	double sustained; /* late-half slope over the whole slope, in [0, 1] */
	double steady;	  /* r2 * grew_fraction * sustained; 0 unless growing */
	uint64_t first_bytes;
	uint64_t last_bytes;
	bool restarted; /* started low after a reboot and grew steadily again */
};

struct series {
	enum series_kind kind;
	uint32_t flags; /* vmalloc: VmallocFlag bits */
	char *name;	/* cache, caller, or backtrace frames joined by " < " */
	uint64_t hash;
	struct series_point *pts; /* by snapshot, once analysed */
	size_t n_pts;
	size_t cap_pts;
	struct series_fit *fits; /* one per boot with enough points */
	size_t n_fits;
	double bytes_per_hour; /* points-weighted mean of the fits' slopes */
	double consistency;    /* points-weighted mean of the fits' steady */
	uint32_t restarts;
	double score;
};

struct series_skip {
	char *file;
	char *error;
};

struct series_set {
	struct series_snap *snaps; /* by boot, then uptime, once analysed */
	size_t n_snaps;
	size_t cap_snaps;
	struct series_boot *boots; /* by start time */
	size_t n_boots;
	struct series *series;
	size_t n_series;
	size_t cap_series;
	uint32_t *index; /* hash table of series: index + 1, 0 is empty */
	size_t index_cap;
	struct series **ranked; /* steady growth, highest score first */
	size_t n_ranked;
	struct series_skip *skipped;
	size_t n_skipped;
	size_t cap_skipped;
	struct ks_arena scratch; /* explain's, reset for every snapshot */
};

void series_init(struct series_set *set);
void series_free(struct series_set *set);

/* Loads the snapshots of paths: a directory stands for every *.kms file in
 * it. A file that cannot be used is reported on stderr
 * ("kmemsnap: FILE: what is wrong") and kept in set->skipped. */
void series_load(struct series_set *set, char *const *paths, size_t n_paths);

/* Orders the snapshots, groups them by boot, fits every series in every
 * boot and ranks those that grow steadily at min_rate bytes per hour or
 * more. Call once, after series_load. */
void series_analyse(struct series_set *set, double min_rate);

/* series_init, series_load and series_analyse in one, for the commands.
 * Returns false, having said so on stderr and freed the set, when no
 * snapshot could be loaded. */
bool series_open(struct series_set *set, char *const *paths, size_t n_paths,
		 double min_rate);

/* How a series is named for people: "kmalloc-512", "caller (vmalloc)",
 * the backtrace. Text from the snapshot, as it is: pass it through
 * human_text() for a terminal, escape it for HTML. */
struct human series_label(const struct series *s);

/* "slab", "vmalloc", "kmemleak". */
const char *series_kind_word(enum series_kind kind);

/* A capture time in UTC to the second: "2024-05-01 12:34:56". */
struct human series_time(uint64_t realtime_ns);
/* An uptime in two units: "3d04h", "5h07m", "12m30s". */
struct human series_uptime(uint64_t ms);

#endif /* KMEMSNAP_CLI_SERIES_H */

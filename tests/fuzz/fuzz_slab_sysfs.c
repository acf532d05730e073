/* SPDX-License-Identifier: MIT */
/*
 * SLUB's /sys/kernel/slab/<cache>/<attribute> files through the slab
 * section's sysfs fallback (section_slab.c, used when /proc/slabinfo is
 * absent, as in this tree). The input's NUL-separated parts are the
 * attribute files of four caches, seven each, in the order below. The tree
 * also holds an alias symlink and a plain file, which are not caches.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"

/* section_slab.c: SLAB_NAME_MAX. */
#define SLAB_NAME_MAX 64

#define SLAB_DIR "sys/kernel/slab/"

/* The last is longer than SLAB_NAME_MAX: its name is cut. */
static const char *const caches[] = {
	":A-0000192",
	"kmalloc-512",
	"task_struct",
	"a_cache_name_of_seventy_bytes_which_no_kernel_prints_but_sysfs_can_hold",
};

/* The attributes read_cache_attrs reads, in its order. */
static const char *const attrs[] = {
	"objects", "total_objects", "slab_size", "objs_per_slab",
	"aliases", "slabs",	    "order",
};

#define N_CACHES (sizeof(caches) / sizeof(caches[0]))
#define N_ATTRS (sizeof(attrs) / sizeof(attrs[0]))
#define PARTS (N_CACHES * N_ATTRS)

/* The entries that are not caches, made once. */
static void make_non_caches(int root)
{
	static bool done;
	struct fz_part one = { (const uint8_t *)"1\n", 2 };

	if (done)
		return;
	fz_tree_put(SLAB_DIR "slab_file", &one);
	if (symlinkat(":A-0000192", root, SLAB_DIR "kmalloc-cg-192") < 0 &&
	    errno != EEXIST) {
		perror("fuzz: symlink");
		abort();
	}
	done = true;
}

static void put_files(const struct fz_part *parts)
{
	char path[256];
	size_t c, a;

	for (c = 0; c < N_CACHES; c++)
		for (a = 0; a < N_ATTRS; a++) {
			snprintf(path, sizeof(path), SLAB_DIR "%s/%s", caches[c],
				 attrs[a]);
			fz_tree_put(path, &parts[c * N_ATTRS + a]);
		}
}

/* As read_cache computes it, wrapping in 64 bits alike. */
static uint64_t footprint(const Kmemsnap__V1__SlabCache *c)
{
	return c->num_slabs * c->pages_per_slab * 4096;
}

static void check_slab(const Kmemsnap__V1__Slab *s, uint32_t keep)
{
	size_t i;

	FZ_CHECK(s->source == KMEMSNAP__V1__SLAB_SOURCE__SLAB_SOURCE_SYSFS);
	FZ_CHECK(s->caches_total <= N_CACHES);
	FZ_CHECK(s->n_caches <= s->caches_total && s->n_caches <= keep);
	for (i = 0; i < s->n_caches; i++) {
		const Kmemsnap__V1__SlabCache *c = s->caches[i];

		FZ_CHECK(c->name && strlen(c->name) < SLAB_NAME_MAX);
		FZ_CHECK(!c->has_order || c->order < 32);
		if (i > 0)
			FZ_CHECK(footprint(s->caches[i - 1]) > footprint(c) ||
				 (footprint(s->caches[i - 1]) == footprint(c) &&
				  strcmp(s->caches[i - 1]->name, c->name) <= 0));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t knob = fz_knob(data, size);
	struct fz_part parts[PARTS];
	KsSnapshot snap;
	struct fz_env e;
	KsStatus st;

	fz_split(data, size, parts, PARTS);
	make_non_caches(fz_tree());
	put_files(parts);
	fz_env_init(&e, data, size, fz_tree());
	e.cfg.slab_top_n = knob % 4;
	e.cfg.max_slab_caches = 1 + knob / 4 % 8;
	kmemsnap__v1__snapshot__init(&snap);
	kmemsnap__v1__section_status__init(&st);
	ks_section_slab(&e.ctx, &snap, &st);
	if (snap.slab && snap.slab->has_source)
		check_slab(snap.slab,
			   e.cfg.slab_top_n && e.cfg.slab_top_n < e.cfg.max_slab_caches ?
				   e.cfg.slab_top_n :
				   e.cfg.max_slab_caches);
	fz_check_message(&snap.base);
	return 0;
}

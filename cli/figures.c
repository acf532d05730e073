/* SPDX-License-Identifier: MIT */
/* Figures every reader derives from a snapshot the same way. */
#include <stdlib.h>
#include <string.h>

#include "figures.h"

/* Only for a snapshot without its page size (the library records it). */
#define FALLBACK_PAGE_SIZE 4096

size_t meminfo_values_max(const Kmemsnap__V1__Meminfo *m)
{
	return m->base.descriptor->n_fields + m->n_other;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* Walks the descriptor, so a field added to the schema (and to the
 * parser's key table) appears here without code. */
size_t meminfo_values(const Kmemsnap__V1__Meminfo *m, struct meminfo_value *out)
{
	const ProtobufCMessageDescriptor *d = m->base.descriptor;
	const char *base = (const char *)m;
	size_t n = 0;
	unsigned i;

	for (i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		const char *key;

		if (f->type != PROTOBUF_C_TYPE_UINT64 ||
		    !*(const protobuf_c_boolean *)(base + f->quantifier_offset))
			continue;
		key = ks_meminfo_key_name(f->offset);
		out[n].key = key ? key : f->name;
		out[n].value = *(const uint64_t *)(base + f->offset);
		out[n++].kb = ends_with(f->name, "_kb");
	}
	for (i = 0; i < m->n_other; i++) {
		const Kmemsnap__V1__MeminfoOther *x = m->other[i];

		if (!x->key)
			continue;
		out[n].key = x->key;
		out[n].value = x->value;
		out[n++].kb = x->unit && strcmp(x->unit, "kB") == 0;
	}
	return n;
}

uint64_t snapshot_page_size(const KsSnapshot *s)
{
	return s->header && s->header->page_size_bytes ?
		       s->header->page_size_bytes :
		       FALLBACK_PAGE_SIZE;
}

uint64_t slab_footprint_bytes(const KsSnapshot *s,
			      const Kmemsnap__V1__SlabCache *c)
{
	uint64_t per_slab = (uint64_t)c->pages_per_slab * snapshot_page_size(s);

	if (per_slab && c->num_slabs > UINT64_MAX / per_slab)
		return UINT64_MAX;
	return c->num_slabs * per_slab;
}

static int u64_cmp(const void *pa, const void *pb)
{
	uint64_t a = *(const uint64_t *)pa, b = *(const uint64_t *)pb;

	return (a > b) - (a < b);
}

uint64_t boot_start_median(uint64_t *estimates, size_t n, uint64_t fallback)
{
	if (n == 0)
		return fallback;
	qsort(estimates, n, sizeof(*estimates), u64_cmp);
	return estimates[n / 2];
}

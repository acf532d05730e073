/* SPDX-License-Identifier: MIT */
/* A bump allocator: the capture path's only source of memory. */
#include <string.h>

#include "internal.h"

void ks_arena_init(struct ks_arena *a, void *mem, size_t cap)
{
	a->base = mem;
	a->cap = cap;
	a->used = 0;
	a->exhausted = false;
}

void ks_arena_reset(struct ks_arena *a)
{
	a->used = 0;
	a->exhausted = false;
}

void *ks_arena_alloc(struct ks_arena *a, size_t size)
{
	size_t start = (a->used + 7) & ~(size_t)7;

	if (size > a->cap || start > a->cap - size) {
		a->exhausted = true;
		return NULL;
	}
	a->used = start + size;
	/* Memory is reused across captures, so hand it out zeroed as
	 * protobuf-c's *_init expects nothing of it and parsers rely on it. */
	memset(a->base + start, 0, size);
	return a->base + start;
}

char *ks_arena_strndup(struct ks_arena *a, const char *s, size_t len)
{
	char *copy = ks_arena_alloc(a, len + 1);

	if (!copy)
		return NULL;
	memcpy(copy, s, len);
	copy[len] = '\0';
	return copy;
}

static void *arena_pb_alloc(void *data, size_t size)
{
	return ks_arena_alloc(data, size);
}

static void arena_pb_free(void *data, void *ptr)
{
	(void)data;
	(void)ptr;
}

void ks_arena_protobuf_allocator(struct ks_arena *a, ProtobufCAllocator *out)
{
	out->alloc = arena_pb_alloc;
	out->free = arena_pb_free;
	out->allocator_data = a;
}

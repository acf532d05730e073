/* SPDX-License-Identifier: MIT */
/*
 * The memory cgroup named in the recorder's options (mm/memcontrol.c).
 * cgroup v2 when a unified hierarchy with the memory controller is mounted,
 * else the v1 memory hierarchy. Values of "max" (v2) or the v1 "unlimited"
 * page-counter maximum are left unset.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

#define MAX_STAT_KEYS 128
#define MAX_EVENT_KEYS 16
/* v1 prints PAGE_COUNTER_MAX * PAGE_SIZE for "no limit": 2^63 rounded
 * down to a page. Anything this large is no limit. */
#define V1_UNLIMITED_MIN (1ull << 62)

typedef Kmemsnap__V1__Cgroup KsCgroup;
typedef Kmemsnap__V1__KeyValue KsKeyValue;

/* True when dir holds a cgroup.controllers listing "memory". */
static bool has_memory_controller(int root_fd, const char *dir)
{
	char path[128], buf[512];
	const char *p = buf, *tok;
	size_t len, dlen = strlen(dir);

	if (dlen + sizeof("/cgroup.controllers") > sizeof(path))
		return false;
	memcpy(path, dir, dlen);
	memcpy(path + dlen, "/cgroup.controllers", sizeof("/cgroup.controllers"));
	if (ks_read_small(root_fd, path, buf, sizeof(buf)) <= 0)
		return false;
	while (ks_next_token(&p, &tok, &len))
		if (ks_token_is(tok, len, "memory"))
			return true;
	return false;
}

const char *ks_cgroup_v2_memory_mount(int root_fd)
{
	static const char *const v2_mounts[] = { "sys/fs/cgroup",
						 "sys/fs/cgroup/unified" };
	size_t i;

	for (i = 0; i < sizeof(v2_mounts) / sizeof(v2_mounts[0]); i++)
		if (has_memory_controller(root_fd, v2_mounts[i]))
			return v2_mounts[i];
	return NULL;
}

/* Opens the cgroup's directory; sets *version. Returns an fd or -errno. */
static int open_cgroup(struct ks_ctx *ctx, const char *cgroup, uint32_t *version)
{
	char path[512];
	const char *base = ks_cgroup_v2_memory_mount(ctx->root_fd);
	size_t blen, clen;
	int fd;

	*version = base ? 2 : 1;
	if (!base)
		base = "sys/fs/cgroup/memory";
	while (*cgroup == '/')
		cgroup++;
	blen = strlen(base);
	clen = strlen(cgroup);
	if (blen + clen + 2 > sizeof(path))
		return -ENAMETOOLONG;
	memcpy(path, base, blen);
	path[blen] = '/';
	memcpy(path + blen + 1, cgroup, clen + 1);
	fd = openat(ctx->root_fd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* A file holding one number or "max". Returns false when absent/unlimited. */
static bool read_bytes(int dirfd, const char *name, uint64_t *out)
{
	char buf[64];
	const char *p = buf;

	if (ks_read_small(dirfd, name, buf, sizeof(buf)) <= 0 ||
	    !ks_parse_u64(&p, out))
		return false;
	return *out < V1_UNLIMITED_MIN;
}

/* "key value" lines (memory.stat, memory.events, memory.oom_control) into a
 * key/value list. Returns the number of pairs, or -errno. */
static int read_pairs(struct ks_ctx *ctx, int dirfd, const char *name,
		      size_t max, KsKeyValue ***out, size_t *n_out)
{
	struct ks_lines lr;
	char *line;
	size_t len;
	int r = ks_lines_open(&lr, dirfd, name, ctx->io_buf, ctx->io_cap);

	if (r < 0)
		return r;
	*out = ks_arena_alloc(ctx->arena, max * sizeof(**out));
	while (*out && *n_out < max && (r = ks_lines_next(&lr, &line, &len)) > 0) {
		const char *p = line, *key;
		size_t key_len;
		uint64_t v;
		KsKeyValue *kv;

		if (!ks_next_token(&p, &key, &key_len) || !ks_parse_u64(&p, &v))
			continue;
		kv = ks_arena_alloc(ctx->arena, sizeof(*kv));
		if (!kv)
			break;
		kmemsnap__v1__key_value__init(kv);
		kv->key = ks_arena_strndup(ctx->arena, key, key_len);
		/* A value without its key says nothing; the capture marks the
		 * section truncated for the full arena. */
		if (!kv->key)
			break;
		kv->has_value = true;
		kv->value = v;
		(*out)[(*n_out)++] = kv;
	}
	ks_lines_close(&lr);
	return r < 0 ? r : (int)*n_out;
}

static void read_v2(struct ks_ctx *ctx, int fd, KsCgroup *cg)
{
	Kmemsnap__V1__Pressure *psi = ks_arena_alloc(ctx->arena, sizeof(*psi));

	cg->has_usage_bytes = read_bytes(fd, "memory.current", &cg->usage_bytes);
	cg->has_max_bytes = read_bytes(fd, "memory.max", &cg->max_bytes);
	cg->has_high_bytes = read_bytes(fd, "memory.high", &cg->high_bytes);
	cg->has_swap_usage_bytes =
		read_bytes(fd, "memory.swap.current", &cg->swap_usage_bytes);
	read_pairs(ctx, fd, "memory.events", MAX_EVENT_KEYS, &cg->events,
		   &cg->n_events);
	if (psi) {
		kmemsnap__v1__pressure__init(psi);
		if (ks_read_pressure(fd, "memory.pressure", ctx, psi) == 0)
			cg->pressure = psi;
	}
}

static void read_v1(struct ks_ctx *ctx, int fd, KsCgroup *cg)
{
	cg->has_usage_bytes =
		read_bytes(fd, "memory.usage_in_bytes", &cg->usage_bytes);
	cg->has_max_bytes = read_bytes(fd, "memory.limit_in_bytes", &cg->max_bytes);
	cg->has_kmem_usage_bytes =
		read_bytes(fd, "memory.kmem.usage_in_bytes", &cg->kmem_usage_bytes);
	read_pairs(ctx, fd, "memory.oom_control", MAX_EVENT_KEYS, &cg->events,
		   &cg->n_events);
}

void ks_section_cgroup(struct ks_ctx *ctx, KsSnapshot *snap, KsStatus *st)
{
	KsCgroup *cg;
	int fd, r;

	if (!ctx->cfg->cgroup)
		return;
	cg = ks_arena_alloc(ctx->arena, sizeof(*cg));
	snap->cgroups = ks_arena_alloc(ctx->arena, sizeof(*snap->cgroups));
	if (!cg || !snap->cgroups)
		return;
	kmemsnap__v1__cgroup__init(cg);
	cg->status = st;
	cg->path = (char *)ctx->cfg->cgroup;
	cg->trigger_reason = "requested";
	snap->cgroups[0] = cg;
	snap->n_cgroups = 1;
	fd = open_cgroup(ctx, ctx->cfg->cgroup, &cg->version);
	cg->has_version = true;
	if (fd < 0) {
		ks_status_unavailable(st, ctx->cfg->cgroup, fd);
		st->detail = "no such memory cgroup";
		return;
	}
	if (cg->version == 2)
		read_v2(ctx, fd, cg);
	else
		read_v1(ctx, fd, cg);
	r = read_pairs(ctx, fd, "memory.stat", MAX_STAT_KEYS, &cg->stat,
		       &cg->n_stat);
	close(fd);
	if (r < 0)
		ks_status_unavailable(st, "memory.stat", r);
	else if (r == MAX_STAT_KEYS)
		ks_status_truncated(st);
}

/* SPDX-License-Identifier: MIT */
/*
 * Memory that no process shows: memory-backed filesystems (tmpfs, ramfs,
 * hugetlbfs, devtmpfs) from /proc/self/mountinfo with their statfs usage, and
 * SysV shared memory from /proc/sysvipc/shm. A tmpfs that quietly fills up
 * is a classic "free says 90 % used, top shows nothing".
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "internal.h"

#define MAX_MOUNTS 128
#define MAX_SEGMENTS 64

typedef Kmemsnap__V1__MemoryMount KsMount;
typedef Kmemsnap__V1__ShmSegment KsSegment;

static Kmemsnap__V1__FsType fs_type_of(const char *tok, size_t len)
{
	if (ks_token_is(tok, len, "tmpfs"))
		return KMEMSNAP__V1__FS_TYPE__FS_TYPE_TMPFS;
	if (ks_token_is(tok, len, "ramfs"))
		return KMEMSNAP__V1__FS_TYPE__FS_TYPE_RAMFS;
	if (ks_token_is(tok, len, "hugetlbfs"))
		return KMEMSNAP__V1__FS_TYPE__FS_TYPE_HUGETLBFS;
	if (ks_token_is(tok, len, "devtmpfs"))
		return KMEMSNAP__V1__FS_TYPE__FS_TYPE_DEVTMPFS;
	return KMEMSNAP__V1__FS_TYPE__FS_TYPE_UNSPECIFIED;
}

/* mountinfo escapes space, tab, newline and backslash as \ooo
 * (fs/proc_namespace.c: show_mountinfo -> seq_path_root / mangle). */
static char *unescape(struct ks_arena *a, const char *s, size_t len)
{
	char *out = ks_arena_alloc(a, len + 1);
	size_t i, n = 0;

	if (!out)
		return NULL;
	for (i = 0; i < len; i++) {
		if (s[i] == '\\' && i + 3 < len &&
		    s[i + 1] >= '0' && s[i + 1] <= '3' && s[i + 2] >= '0' &&
		    s[i + 2] <= '7' && s[i + 3] >= '0' && s[i + 3] <= '7') {
			out[n++] = (char)((s[i + 1] - '0') * 64 +
					  (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
			i += 3;
			continue;
		}
		out[n++] = s[i];
	}
	out[n] = '\0';
	return out;
}

/* statfs of the mount point as seen below the root. For a copy of another
 * host's files the path is absent and the failure is recorded. */
static void measure(struct ks_ctx *ctx, KsMount *m)
{
	const char *rel = m->mount_point;
	struct statfs sf;
	int fd;

	while (*rel == '/')
		rel++;
	fd = openat(ctx->root_fd, *rel ? rel : ".",
		    O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fstatfs(fd, &sf) < 0) {
		m->has_statfs_errno = true;
		m->statfs_errno = errno;
		if (fd >= 0)
			close(fd);
		return;
	}
	close(fd);
	m->has_size_bytes = m->has_used_bytes = true;
	m->size_bytes = (uint64_t)sf.f_blocks * (uint64_t)sf.f_bsize;
	m->used_bytes = (uint64_t)(sf.f_blocks - sf.f_bfree) * (uint64_t)sf.f_bsize;
	m->has_inodes = m->has_inodes_used = true;
	m->inodes = sf.f_files;
	m->inodes_used = sf.f_files - sf.f_ffree;
}

/* "36 35 98:0 /mnt1 /mnt/parent rw,noatime master:1 - ext3 /dev/root rw"
 * (Documentation/filesystems/proc.rst): optional fields end at "-". */
static KsMount *parse_mount(struct ks_ctx *ctx, const char *line)
{
	const char *p = line, *tok, *point = NULL, *source = "";
	size_t len, point_len = 0, source_len = 0;
	Kmemsnap__V1__FsType type;
	KsMount *m;
	int field = 0;

	while (ks_next_token(&p, &tok, &len)) {
		if (++field == 5) {
			point = tok;
			point_len = len;
		}
		if (field > 6 && ks_token_is(tok, len, "-"))
			break;
	}
	if (!point || !ks_next_token(&p, &tok, &len))
		return NULL;
	type = fs_type_of(tok, len);
	if (type == KMEMSNAP__V1__FS_TYPE__FS_TYPE_UNSPECIFIED)
		return NULL;
	if (ks_next_token(&p, &source, &source_len) == false)
		source_len = 0;
	m = ks_arena_alloc(ctx->arena, sizeof(*m));
	if (!m)
		return NULL;
	kmemsnap__v1__memory_mount__init(m);
	m->has_fs_type = true;
	m->fs_type = type;
	m->mount_point = unescape(ctx->arena, point, point_len);
	m->source = unescape(ctx->arena, source, source_len);
	if (!m->mount_point || !m->source)
		return NULL;
	measure(ctx, m);
	return m;
}

static bool is_memory_fs_line(const char *line)
{
	return strstr(line, " - tmpfs ") || strstr(line, " - ramfs ") ||
	       strstr(line, " - hugetlbfs ") || strstr(line, " - devtmpfs ");
}

static void read_mounts(struct ks_ctx *ctx, Kmemsnap__V1__Shmem *out,
			KsStatus *st)
{
	struct ks_lines lr;
	char *line;
	size_t len;
	int r = ks_lines_open(&lr, ctx->root_fd, "proc/self/mountinfo",
			      ctx->io_buf, ctx->io_cap);

	if (r < 0) {
		ks_status_unavailable(st, "proc/self/mountinfo", r);
		return;
	}
	out->mounts = ks_arena_alloc(ctx->arena, MAX_MOUNTS * sizeof(KsMount *));
	while (out->mounts && (r = ks_lines_next(&lr, &line, &len)) > 0) {
		KsMount *m;

		if (!is_memory_fs_line(line))
			continue;
		if (out->n_mounts == MAX_MOUNTS) {
			ks_status_truncated(st);
			break;
		}
		m = parse_mount(ctx, line);
		if (m)
			out->mounts[out->n_mounts++] = m;
		else
			st->lines_skipped++;
	}
	st->has_source_bytes = true;
	st->source_bytes += lr.bytes;
	ks_lines_close(&lr);
	if (r < 0)
		ks_status_unavailable(st, "proc/self/mountinfo", r);
}

/* Column positions of /proc/sysvipc/shm, taken from its header line: rss
 * and swap were appended in 2.6.x-3.x (ipc/shm.c: sysvipc_shm_proc_show). */
enum shm_col { COL_KEY, COL_SHMID, COL_PERMS, COL_SIZE, COL_CPID, COL_NATTCH,
	       COL_UID, COL_RSS, COL_SWAP, COL_COUNT };

static const char *const shm_col_names[COL_COUNT] = {
	"key", "shmid", "perms", "size", "cpid", "nattch", "uid", "rss", "swap"
};

static void map_columns(const char *header, int *col)
{
	const char *p = header, *tok;
	size_t len;
	int i, pos = 0;

	for (i = 0; i < COL_COUNT; i++)
		col[i] = -1;
	for (; ks_next_token(&p, &tok, &len); pos++)
		for (i = 0; i < COL_COUNT; i++)
			if (ks_token_is(tok, len, shm_col_names[i]))
				col[i] = pos;
}

/* perms is printed with %4o: its digits are octal. */
static uint32_t octal_digits(int64_t printed)
{
	uint32_t v = 0, scale = 1;

	for (; printed > 0; printed /= 10, scale *= 8)
		v += (uint32_t)(printed % 10) * scale;
	return v;
}

static bool parse_segment(const char *line, const int *col, KsSegment *seg)
{
	int64_t v[COL_COUNT] = { 0 };
	bool seen[COL_COUNT] = { false };
	const char *p = line;
	int pos, i;

	for (pos = 0; *ks_skip_space(p); pos++) {
		int64_t value;

		if (!ks_parse_i64(&p, &value))
			return false;
		for (i = 0; i < COL_COUNT; i++)
			if (col[i] == pos) {
				v[i] = value;
				seen[i] = true;
			}
	}
	if (!seen[COL_SHMID] || !seen[COL_SIZE])
		return false;
	kmemsnap__v1__shm_segment__init(seg);
	seg->has_key = seen[COL_KEY];
	seg->key = (int32_t)v[COL_KEY];
	seg->has_shmid = true;
	seg->shmid = (uint32_t)v[COL_SHMID];
	seg->has_perms = seen[COL_PERMS];
	seg->perms = octal_digits(v[COL_PERMS]);
	seg->has_size_bytes = true;
	seg->size_bytes = (uint64_t)v[COL_SIZE];
	seg->has_cpid = seen[COL_CPID];
	seg->cpid = (int32_t)v[COL_CPID];
	seg->has_nattch = seen[COL_NATTCH];
	seg->nattch = (uint32_t)v[COL_NATTCH];
	seg->has_uid = seen[COL_UID];
	seg->uid = (uint32_t)v[COL_UID];
	seg->has_rss_bytes = seen[COL_RSS];
	seg->rss_bytes = (uint64_t)v[COL_RSS];
	seg->has_swap_bytes = seen[COL_SWAP];
	seg->swap_bytes = (uint64_t)v[COL_SWAP];
	return true;
}

/* Keeps the MAX_SEGMENTS largest: a full table replaces its smallest. */
static void keep_segment(Kmemsnap__V1__Shmem *out, KsSegment *slots,
			 const KsSegment *seg)
{
	size_t i, smallest = 0;

	if (out->n_segments < MAX_SEGMENTS) {
		slots[out->n_segments] = *seg;
		out->segments[out->n_segments] = &slots[out->n_segments];
		out->n_segments++;
		return;
	}
	for (i = 1; i < out->n_segments; i++)
		if (out->segments[i]->size_bytes <
		    out->segments[smallest]->size_bytes)
			smallest = i;
	if (seg->size_bytes > out->segments[smallest]->size_bytes)
		*out->segments[smallest] = *seg;
}

static void read_sysvipc(struct ks_ctx *ctx, Kmemsnap__V1__Shmem *out,
			 KsStatus *st)
{
	KsSegment *slots = ks_arena_alloc(ctx->arena, MAX_SEGMENTS * sizeof(*slots));
	int col[COL_COUNT] = { -1, -1, -1, -1, -1, -1, -1, -1, -1 };
	struct ks_lines lr;
	bool header = true;
	char *line;
	size_t len;
	int r = ks_lines_open(&lr, ctx->root_fd, "proc/sysvipc/shm", ctx->io_buf,
			      ctx->io_cap);

	if (r < 0) {
		ks_status_unavailable(st, "proc/sysvipc/shm", r);
		return;
	}
	out->segments = ks_arena_alloc(ctx->arena, MAX_SEGMENTS * sizeof(KsSegment *));
	while (slots && out->segments && (r = ks_lines_next(&lr, &line, &len)) > 0) {
		KsSegment seg;

		if (header) {
			map_columns(line, col);
			header = false;
			continue;
		}
		if (!parse_segment(line, col, &seg)) {
			st->lines_skipped++;
			continue;
		}
		out->segments_total++;
		out->segment_bytes_total += seg.size_bytes;
		out->segment_rss_bytes_total += seg.rss_bytes;
		keep_segment(out, slots, &seg);
	}
	out->has_segments_total = out->has_segment_bytes_total = true;
	out->has_segment_rss_bytes_total = col[COL_RSS] >= 0;
	st->has_lines_skipped = st->lines_skipped > 0;
	ks_lines_close(&lr);
	if (r < 0)
		ks_status_unavailable(st, "proc/sysvipc/shm", r);
}

/* Most used mounts and largest segments first: insertion sorts, both lists
 * are short and bounded. */
static void sort_mounts(Kmemsnap__V1__Shmem *out)
{
	size_t i, j;

	for (i = 1; i < out->n_mounts; i++) {
		KsMount *m = out->mounts[i];

		for (j = i; j > 0 && out->mounts[j - 1]->used_bytes < m->used_bytes; j--)
			out->mounts[j] = out->mounts[j - 1];
		out->mounts[j] = m;
	}
}

static void sort_segments(Kmemsnap__V1__Shmem *out)
{
	size_t i, j;

	for (i = 1; i < out->n_segments; i++) {
		KsSegment *s = out->segments[i];

		for (j = i; j > 0 && out->segments[j - 1]->size_bytes < s->size_bytes; j--)
			out->segments[j] = out->segments[j - 1];
		out->segments[j] = s;
	}
}

void ks_section_shmem(struct ks_ctx *ctx, KsSnapshot *snap, KsStatus *st)
{
	Kmemsnap__V1__Shmem *s = ks_arena_alloc(ctx->arena, sizeof(*s));
	KsStatus *ipc_st = ks_arena_alloc(ctx->arena, sizeof(*ipc_st));

	if (!s || !ipc_st)
		return;
	kmemsnap__v1__shmem__init(s);
	kmemsnap__v1__section_status__init(ipc_st);
	s->status = st;
	s->sysvipc_status = ipc_st;
	snap->shmem = s;
	read_mounts(ctx, s, st);
	sort_mounts(s);
	read_sysvipc(ctx, s, ipc_st);
	sort_segments(s);
	if (!ipc_st->has_state) {
		ipc_st->has_state = true;
		ipc_st->state = KMEMSNAP__V1__SECTION_STATUS__STATE__STATE_OK;
	}
}

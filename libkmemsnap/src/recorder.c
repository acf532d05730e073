/* SPDX-License-Identifier: MIT */
/* The recorder's life cycle and the public capture calls. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "opts.h"
#include "recorder.h"

#define DEFAULT_SLAB_TOP_N 64
#define DEFAULT_PROCESS_TOP_N 32
#define DEFAULT_VMALLOC_CALLERS 8192
#define DEFAULT_SLAB_CACHES 4096
#define DEFAULT_KMEMLEAK_GROUPS 256
#define DEFAULT_ARENA_BYTES (4u << 20)
#define DEFAULT_MESSAGE_BYTES (1u << 20)
/* The line reader's buffer: longer lines are cut (and counted). */
#define IO_BUFFER_BYTES (64u << 10)

static size_t page_align(size_t n, size_t page)
{
	return (n + page - 1) / page * page;
}

static int apply_opts(struct kmemsnap_recorder *rec,
		      const struct kmemsnap_recorder_opts *o,
		      size_t *arena_bytes, size_t *message_bytes)
{
	uint32_t slab_top;

	if (o && !ks_opts_valid(o, o->sz, sizeof(*o)))
		return -EINVAL;
	slab_top = KS_OPT(o, slab_top_n, DEFAULT_SLAB_TOP_N);
	rec->cfg.max_slab_caches = KS_OPT(o, max_slab_caches, DEFAULT_SLAB_CACHES);
	rec->cfg.slab_top_n = slab_top == KMEMSNAP_KEEP_ALL ? 0 : slab_top;
	rec->cfg.process_top_n = KS_OPT(o, process_top_n, DEFAULT_PROCESS_TOP_N);
	rec->cfg.max_vmalloc_callers =
		KS_OPT(o, max_vmalloc_callers, DEFAULT_VMALLOC_CALLERS);
	rec->cfg.max_kmemleak_groups =
		KS_OPT(o, max_kmemleak_groups, DEFAULT_KMEMLEAK_GROUPS);
	rec->cfg.kmemleak_scan = KS_OPT(o, kmemleak_scan, 0) != 0;
	*arena_bytes = KS_OPT(o, arena_bytes, DEFAULT_ARENA_BYTES);
	*message_bytes = KS_OPT(o, max_message_bytes, DEFAULT_MESSAGE_BYTES);
	if (rec->cfg.process_top_n == KMEMSNAP_KEEP_ALL ||
	    *message_bytes > KMEMSNAP_MAX_MESSAGE_BYTES || *arena_bytes < 4096)
		return -EINVAL;
	return 0;
}

static int open_root(struct kmemsnap_recorder *rec,
		     const struct kmemsnap_recorder_opts *o)
{
	const char *root = KS_OPT(o, root, NULL);

	if (!root)
		root = "/";
	rec->root_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rec->root_fd < 0)
		return -errno;
	if (KS_OPT(o, cgroup, NULL)) {
		rec->cgroup = strdup(o->cgroup);
		if (!rec->cgroup)
			return -ENOMEM;
		rec->cfg.cgroup = rec->cgroup;
	}
	if (strcmp(root, "/") != 0) {
		rec->root_label = strdup(root);
		if (!rec->root_label)
			return -ENOMEM;
	}
	return 0;
}

/* One mapping for all buffers, locked so a capture does not fault pages in
 * from swap when memory is short. mlock may be refused (RLIMIT_MEMLOCK);
 * the recorder still works, only less surely under pressure.
 *
 * The blob is written over the arena: once the message is packed, nothing
 * reads the arena's structs again, and the blob only has to last until the
 * next capture, which resets the arena anyway. That saves the LZ4 bound of
 * max_message_bytes (1 MiB by default) of locked memory: the pack buffer,
 * which LZ4 reads while writing, stays apart. */
static int map_buffers(struct kmemsnap_recorder *rec, size_t arena_bytes,
		       size_t message_bytes)
{
	size_t page = rec->page_size;
	size_t arena_len = page_align(arena_bytes, page);
	size_t io_len = page_align(IO_BUFFER_BYTES, page);
	size_t pack_len = page_align(message_bytes, page);
	size_t out_len = page_align(ks_blob_bound(message_bytes), page);
	size_t shared_len = arena_len > out_len ? arena_len : out_len;
	uint8_t *base;

	rec->region_len = shared_len + io_len + pack_len;
	base = mmap(NULL, rec->region_len, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED)
		return -ENOMEM;
	rec->region = base;
	(void)mlock(base, rec->region_len);
	/* Touch every page now, so the first capture does not fault them. */
	memset(base, 0, rec->region_len);

	ks_arena_init(&rec->arena, base, arena_len);
	rec->out_buf = base;
	rec->out_cap = out_len;
	rec->io_buf = (char *)base + shared_len;
	rec->io_cap = io_len;
	rec->pack_buf = base + shared_len + io_len;
	rec->pack_cap = message_bytes;
	return 0;
}

KMEMSNAP_API int kmemsnap_recorder_new(struct kmemsnap_recorder **out,
				       const struct kmemsnap_recorder_opts *opts)
{
	struct kmemsnap_recorder *rec;
	size_t arena_bytes, message_bytes;
	int err;

	if (!out)
		return -EINVAL;
	rec = calloc(1, sizeof(*rec));
	if (!rec)
		return -ENOMEM;
	rec->root_fd = -1;
	rec->page_size = (uint32_t)sysconf(_SC_PAGESIZE);
	err = apply_opts(rec, opts, &arena_bytes, &message_bytes);
	if (!err)
		err = open_root(rec, opts);
	if (!err)
		err = map_buffers(rec, arena_bytes, message_bytes);
	if (err) {
		kmemsnap_recorder_free(rec);
		return err;
	}
	*out = rec;
	return 0;
}

KMEMSNAP_API void kmemsnap_recorder_free(struct kmemsnap_recorder *rec)
{
	if (!rec)
		return;
	if (rec->region)
		munmap(rec->region, rec->region_len);
	if (rec->root_fd >= 0)
		close(rec->root_fd);
	free(rec->root_label);
	free(rec->cgroup);
	free(rec);
}

KMEMSNAP_API int kmemsnap_capture(struct kmemsnap_recorder *rec,
				  const struct kmemsnap_capture_opts *opts,
				  const void **blob, size_t *len)
{
	long n;

	if (!rec || !blob || !len)
		return -EINVAL;
	if (opts && !ks_opts_valid(opts, opts->sz, sizeof(*opts)))
		return -EINVAL;
	if (__atomic_exchange_n(&rec->busy, 1, __ATOMIC_ACQUIRE))
		return -EBUSY;
	n = ks_capture(rec, opts);
	__atomic_store_n(&rec->busy, 0, __ATOMIC_RELEASE);
	if (n < 0)
		return (int)n;
	*blob = rec->out_buf;
	*len = (size_t)n;
	return 0;
}

KMEMSNAP_API int kmemsnap_capture_to_fd(struct kmemsnap_recorder *rec,
					const struct kmemsnap_capture_opts *opts,
					int fd)
{
	const void *blob;
	size_t len;
	int err = kmemsnap_capture(rec, opts, &blob, &len);

	return err < 0 ? err : ks_write_all(fd, blob, len);
}

/* Splits path into its directory (opened) and final name. */
static int open_parent(const char *path, const char **name)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	size_t dir_len;
	int fd;

	*name = slash ? slash + 1 : path;
	if (!slash) {
		dir[0] = '.';
		dir_len = 1;
	} else {
		dir_len = slash == path ? 1 : (size_t)(slash - path);
		if (dir_len >= sizeof(dir))
			return -ENAMETOOLONG;
		memcpy(dir, path, dir_len);
	}
	dir[dir_len] = '\0';
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

KMEMSNAP_API int kmemsnap_capture_to_file(struct kmemsnap_recorder *rec,
					  const struct kmemsnap_capture_opts *opts,
					  const char *path)
{
	const void *blob;
	const char *name;
	size_t len;
	int dirfd;
	int err;

	if (!path || !*path)
		return -EINVAL;
	err = kmemsnap_capture(rec, opts, &blob, &len);
	if (err < 0)
		return err;
	dirfd = open_parent(path, &name);
	if (dirfd < 0)
		return dirfd;
	if (!*name)
		err = -EISDIR;
	else
		err = ks_write_file_atomic(dirfd, name, blob, len);
	close(dirfd);
	return err;
}

KMEMSNAP_API int kmemsnap_snapshot_to_file(const char *path,
					   const struct kmemsnap_recorder_opts *opts)
{
	struct kmemsnap_recorder *rec;
	int err = kmemsnap_recorder_new(&rec, opts);

	if (err < 0)
		return err;
	err = kmemsnap_capture_to_file(rec, NULL, path);
	kmemsnap_recorder_free(rec);
	return err;
}

KMEMSNAP_API const char *kmemsnap_version(void)
{
	return KMEMSNAP_VERSION_STRING;
}

KMEMSNAP_API const char *kmemsnap_strerror(int err)
{
	switch (err < 0 ? -err : err) {
	case 0: return "success";
	case EINVAL: return "invalid argument";
	case ENOMEM: return "out of memory";
	case EBUSY: return "a capture is already running on this recorder";
	case EMSGSIZE: return "snapshot larger than max_message_bytes";
	case EBADMSG: return "not a kmemsnap blob, or corrupted";
	case ENODATA: return "truncated blob";
	case EPROTONOSUPPORT: return "blob written by a newer, incompatible format version";
	case EFBIG: return "blob's snapshot exceeds the decoder's size limit";
	case ENOBUFS: return "buffer too small";
	case ENOENT: return "no such file or directory";
	case EACCES: return "permission denied";
	case EPERM: return "operation not permitted";
	case EIO: return "input/output error";
	case ENOSPC: return "no space left on device";
	case EROFS: return "read-only file system";
	case ENOTDIR: return "not a directory";
	case EISDIR: return "is a directory";
	case EEXIST: return "file exists";
	case ELOOP: return "too many levels of symbolic links";
	case ENAMETOOLONG: return "file name too long";
	case EDQUOT: return "disk quota exceeded";
	default: return "unknown error";
	}
}

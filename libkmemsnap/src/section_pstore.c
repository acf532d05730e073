/* SPDX-License-Identifier: MIT */
/*
 * What pstore kept of the previous boot (fs/pstore): the files of the
 * pstore mount and of systemd-pstore's archive, for `kmemsnap collect-boot`.
 *
 * fs/pstore/inode.c: pstore_mkfile() names a record "<type>-<backend>-<id>"
 * ("dmesg-ramoops-0", "console-ramoops-0", "pmsg-ramoops-0",
 * "dmesg-efi-<id>", 6.x "dmesg-efi_pstore-<id>", ".enc.z" appended when a
 * compressed record did not decompress), its size the record's and its
 * mtime the time the record was written. A dmesg record begins with
 * fs/pstore/platform.c: pstore_dump()'s "<Reason>#<count> Part<n>" line,
 * then the log tail with "<level>[time]" prefixes; Part1 is the newest
 * part. A pmsg record holds what user space wrote to /dev/pmsg0, oldest
 * first; the zone is a ring (fs/pstore/ram_core.c:
 * persistent_ram_save_old), so its oldest bytes may be cut.
 *
 * systemd-pstore (src/pstore/pstore.c) moves the records into its archive
 * (default /var/lib/systemd/pstore): EFI/ERST dmesg parts into "<id>/", with
 * the parts joined newest part last into "<id>/dmesg.txt"; records whose id
 * has no group (ramoops' "-0", pmsg, console) into the archive itself. So
 * the archive is read one level deep. It never deletes what it archived:
 * a caller that wants one boot's files gives their earliest mtime
 * (pstore_archive_since_s).
 *
 * Capture-path rules hold: directories are listed with getdents64 into the
 * line reader's buffer (collect-boot lists them with the same walk,
 * ks_pstore_walk, so that both see the same records), files are read straight into the arena, and the
 * mirrored snapshots inside a record are counted by walking their frames,
 * not by decompressing them (that would allocate liblz4's context).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "opts.h"

typedef Kmemsnap__V1__Pstore KsPstore;
typedef Kmemsnap__V1__PstoreRecord KsPstoreRecord;

#define DEFAULT_PSTORE_DIR "sys/fs/pstore"
#define DEFAULT_ARCHIVE_DIR "var/lib/systemd/pstore"
#define DEFAULT_MAX_RECORD_BYTES (256u << 10)
/* Records kept; a ramoops or EFI backend holds a few dozen. The rest mark
 * the section truncated. */
#define MAX_RECORDS 256
/* Room the rest of the message keeps in max_message_bytes: the OOM
 * report (at most ~140 KiB, oom_report.c), the crash section and the
 * watcher's history are added after this section. */
#define MESSAGE_RESERVE_BYTES (256u << 10)

/* ---- finding blobs inside a record (docs/FORMAT.md) --------------------- */

/* LZ4 frame format (lz4_Frame_format.md): FLG and BD bits. */
#define LZ4_FLG_VERSION_MASK 0xc0u
#define LZ4_FLG_VERSION_01 0x40u
#define LZ4_FLG_BLOCK_CHECKSUM 0x10u
#define LZ4_FLG_CONTENT_SIZE 0x08u
#define LZ4_FLG_CONTENT_CHECKSUM 0x04u
#define LZ4_FLG_RESERVED 0x02u
#define LZ4_FLG_DICT_ID 0x01u
#define LZ4_BLOCK_UNCOMPRESSED 0x80000000u
#define EMPTY_FRAME_BYTES 11

static const uint8_t empty_frame[EMPTY_FRAME_BYTES] = { 0x04, 0x22, 0x4d, 0x18,
							0x60, 0x40, 0x82, 0x00,
							0x00, 0x00, 0x00 };

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

/* The end of the LZ4 frame at p[0..len) that carries msg_len bytes with a
 * content checksum, as blob.c writes it, or 0 when the frame is malformed
 * or does not end within len. Only its structure is checked: no checksum,
 * no decompression. */
static size_t lz4_frame_end(const uint8_t *p, size_t len, uint64_t msg_len)
{
	size_t pos, block_max;
	uint8_t flg, bd;

	/* magic, FLG, BD, content size: 14 bytes */
	if (len < 14 || le32(p) != KS_LZ4_FRAME_MAGIC)
		return 0;
	flg = p[4];
	bd = p[5];
	if ((flg & LZ4_FLG_VERSION_MASK) != LZ4_FLG_VERSION_01 ||
	    (flg & LZ4_FLG_RESERVED) || !(flg & LZ4_FLG_CONTENT_SIZE) ||
	    !(flg & LZ4_FLG_CONTENT_CHECKSUM) || (bd & 0x8f) ||
	    ((bd >> 4) & 7) < 4 || le64(p + 6) != msg_len)
		return 0;
	block_max = (size_t)1 << (8 + 2 * ((bd >> 4) & 7));
	/* the optional dictionary id, then the header checksum byte */
	pos = 14 + (flg & LZ4_FLG_DICT_ID ? 4 : 0) + 1;
	for (;;) {
		uint32_t word;
		size_t size;

		if (pos > len || len - pos < 4)
			return 0;
		word = le32(p + pos);
		pos += 4;
		if (word == 0)
			break;
		size = word & ~LZ4_BLOCK_UNCOMPRESSED;
		if (size > block_max)
			return 0;
		if (flg & LZ4_FLG_BLOCK_CHECKSUM)
			size += 4;
		if (len - pos < size)
			return 0;
		pos += size;
	}
	/* the content checksum */
	if (len - pos < 4)
		return 0;
	return pos + 4;
}

/* The blob whose kmemsnap header frame starts at hdr, when it is whole
 * within buf[0..len): its start (the empty frame before the header, which
 * kmemsnap_blob_extract() requires) and length. */
static size_t blob_at(const uint8_t *buf, size_t len, size_t hdr, size_t *start)
{
	uint32_t size;
	size_t data, end;

	if (hdr < EMPTY_FRAME_BYTES || len - hdr < 8 + KS_BLOB_HEADER_BYTES ||
	    memcmp(buf + hdr - EMPTY_FRAME_BYTES, empty_frame,
		   EMPTY_FRAME_BYTES) != 0)
		return 0;
	size = le32(buf + hdr + 4);
	if (size < KS_BLOB_HEADER_BYTES || size > len - hdr - 8)
		return 0;
	data = hdr + 8 + size;
	end = lz4_frame_end(buf + data, len - data, le64(buf + hdr + 8 + 16));
	if (end == 0)
		return 0;
	*start = hdr - EMPTY_FRAME_BYTES;
	return data + end - *start;
}

size_t ks_blob_find(const void *data, size_t len, size_t from, size_t *start)
{
	const uint8_t *buf = data;
	size_t at = from;

	/* The "KMEMSNAP" magic sits 8 bytes into the header frame, after the
	 * skippable frame's magic and size, and the empty frame precedes
	 * that. */
	while (at + 8 <= len) {
		const uint8_t *m = memmem(buf + at, len - at, KS_BLOB_MAGIC, 8);
		size_t hdr, n;

		if (!m)
			return 0;
		at = (size_t)(m - buf) + 1;
		if ((size_t)(m - buf) < from + EMPTY_FRAME_BYTES + 8)
			continue;
		hdr = (size_t)(m - buf) - 8;
		if (le32(buf + hdr) != KS_LZ4_SKIPPABLE_MAGIC)
			continue;
		n = blob_at(buf, len, hdr, start);
		if (n)
			return n;
	}
	return 0;
}

/* Complete blobs in a record's kept bytes, one after another. */
static uint32_t count_blobs(const uint8_t *buf, size_t len)
{
	uint32_t n = 0;
	size_t from = 0, start, blob;

	while ((blob = ks_blob_find(buf, len, from, &start)) > 0) {
		n++;
		from = start + blob;
	}
	return n;
}

/* ---- the options -------------------------------------------------------- */

const char *ks_below_root(const char *path)
{
	while (*path == '/')
		path++;
	return *path ? path : ".";
}

bool ks_pstore_request(const struct kmemsnap_capture_opts *o,
		       size_t message_cap, const KsSnapshot *snap,
		       struct ks_pstore_request *out)
{
	size_t used, room;

	if (!KS_OPT(o, collect_pstore, 0))
		return false;
	/* Walks the message without allocating. */
	used = kmemsnap__v1__snapshot__get_packed_size(snap);
	room = used < message_cap ? message_cap - used : 0;
	out->dir = ks_below_root(KS_OPT(o, pstore_dir, DEFAULT_PSTORE_DIR));
	out->archive_dir =
		ks_below_root(KS_OPT(o, pstore_archive_dir, DEFAULT_ARCHIVE_DIR));
	out->max_record_bytes =
		KS_OPT(o, max_pstore_record_bytes, DEFAULT_MAX_RECORD_BYTES);
	out->previous_boot_id = KS_OPT(o, previous_boot_id, NULL);
	out->archive_since_s = KS_OPT(o, pstore_archive_since_s, 0);
	out->budget_bytes =
		room > MESSAGE_RESERVE_BYTES ? room - MESSAGE_RESERVE_BYTES : 0;
	return true;
}

/* ---- reading the records ------------------------------------------------ */

struct pstore_fill {
	struct ks_ctx *ctx;
	KsPstore *out;
	KsStatus *st;
	size_t budget; /* text bytes the records may still take */
};

/* fs/pstore/inode.c: pstore_type_to_name(); "dmesg.txt" is
 * systemd-pstore's reassembled dmesg. */
Kmemsnap__V1__PstoreKind ks_pstore_kind(const char *file)
{
	if (ks_starts_with(file, "dmesg-") || strcmp(file, "dmesg.txt") == 0)
		return KMEMSNAP__V1__PSTORE_KIND__PSTORE_KIND_DMESG;
	if (ks_starts_with(file, "console-"))
		return KMEMSNAP__V1__PSTORE_KIND__PSTORE_KIND_CONSOLE;
	if (ks_starts_with(file, "pmsg-"))
		return KMEMSNAP__V1__PSTORE_KIND__PSTORE_KIND_PMSG;
	if (ks_starts_with(file, "ftrace-"))
		return KMEMSNAP__V1__PSTORE_KIND__PSTORE_KIND_FTRACE;
	return KMEMSNAP__V1__PSTORE_KIND__PSTORE_KIND_OTHER;
}

/* Whether fd has bytes left: a file that grew past its stat size. */
static bool has_more(int fd)
{
	uint8_t byte;
	ssize_t n;

	do
		n = read(fd, &byte, 1);
	while (n < 0 && errno == EINTR);
	return n > 0;
}

/* Reads the file's text, bounded by the record limit and by what is left
 * of the budget, straight into the arena. */
static void read_text(struct pstore_fill *w, int fd, const struct stat *sb,
		      KsPstoreRecord *r)
{
	size_t want = (size_t)sb->st_size;
	uint8_t *buf;
	long got;

	if (want > w->ctx->pstore->max_record_bytes)
		want = w->ctx->pstore->max_record_bytes;
	if (want > w->budget)
		want = w->budget;
	buf = want ? ks_arena_alloc(w->ctx->arena, want) : NULL;
	got = buf ? ks_read_fd(fd, buf, want) : 0;
	if (got < 0) {
		w->st->lines_skipped++;
		got = 0;
	}
	w->budget -= (size_t)got;
	w->st->source_bytes += (uint64_t)got;
	r->has_text = true;
	r->text.data = buf;
	r->text.len = (size_t)got;
	if ((uint64_t)got < r->size_bytes ||
	    ((size_t)got == want && has_more(fd))) {
		r->has_truncated = r->truncated = true;
		ks_status_truncated(w->st);
	}
	r->has_kmemsnap_blobs = true;
	r->kmemsnap_blobs = count_blobs(buf, (size_t)got);
}

/* One record of the walk, its text read into the arena. A file that
 * could not be read counts as a skipped line. */
static void add_record(void *arg, int fd, const char *name, bool archived,
		       const struct stat *sb)
{
	struct pstore_fill *w = arg;
	KsPstore *out = w->out;
	const char *file = strrchr(name, '/');
	KsPstoreRecord *r;

	if (fd < 0) {
		w->st->lines_skipped++;
		return;
	}
	if (out->n_records == MAX_RECORDS) {
		ks_status_truncated(w->st);
		return;
	}
	r = ks_arena_alloc(w->ctx->arena, sizeof(*r));
	if (r) {
		kmemsnap__v1__pstore_record__init(r);
		r->name = ks_arena_strndup(w->ctx->arena, name, strlen(name));
	}
	if (!r || !r->name)
		return;
	r->has_kind = true;
	r->kind = ks_pstore_kind(file ? file + 1 : name);
	r->has_mtime_ns = true;
	r->mtime_ns = (uint64_t)sb->st_mtim.tv_sec * 1000000000ull +
		      (uint64_t)sb->st_mtim.tv_nsec;
	r->has_size_bytes = true;
	r->size_bytes = (uint64_t)sb->st_size;
	r->has_archived = archived;
	r->archived = archived;
	read_text(w, fd, sb, r);
	out->records[out->n_records++] = r;
}

/* ---- listing the records ------------------------------------------------ */

/* ".", "..", and hidden files: pstore makes none, and systemd-pstore's
 * temporary files are hidden (".#dmesg.txt..."). */
static bool is_hidden(const char *name)
{
	return name[0] == '.';
}

/* d_type, or what fstatat says when the file system leaves it unknown. */
static unsigned char type_of(int dirfd, const struct dirent64 *d)
{
	struct stat sb;

	if (d->d_type != DT_UNKNOWN)
		return d->d_type;
	if (fstatat(dirfd, d->d_name, &sb, AT_SYMLINK_NOFOLLOW) < 0)
		return DT_UNKNOWN;
	return S_ISDIR(sb.st_mode) ? DT_DIR :
	       S_ISREG(sb.st_mode) ? DT_REG :
				     DT_UNKNOWN;
}

/* Whether an archived file predates archive_since_s: systemd-pstore
 * keeps what it archived in earlier boots, which were collected then. */
static bool archived_before(const struct ks_pstore_walk *w,
			    const struct stat *sb)
{
	uint64_t since = w->archive_since_s;

	return since &&
	       (sb->st_mtim.tv_sec < 0 || (uint64_t)sb->st_mtim.tv_sec < since);
}

/* openat of an entry of dirfd, never through a symlink, or -1 once
 * visited as unreadable, unless it vanished or became a symlink since it
 * was listed. */
static int open_entry(struct ks_pstore_walk *w, int dirfd, const char *file,
		      const char *name, int flags)
{
	int fd = openat(dirfd, file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | flags);

	if (fd < 0 && errno != ENOENT && errno != ELOOP)
		w->visit(w->arg, -errno, name, w->archived, NULL);
	return fd;
}

/* The file of dirfd that name ends with, visited when it is a regular
 * file (never followed through a symlink). */
static void visit_file(struct ks_pstore_walk *w, int dirfd, const char *file,
		       const char *name)
{
	struct stat sb;
	int fd = open_entry(w, dirfd, file, name, O_NONBLOCK | O_NOCTTY);

	if (fd < 0)
		return;
	if (fstat(fd, &sb) < 0) {
		w->visit(w->arg, -errno, name, w->archived, NULL);
	} else if (S_ISREG(sb.st_mode)) {
		if (w->archived && archived_before(w, &sb))
			w->archived_older++;
		else
			w->visit(w->arg, fd, name, w->archived, &sb);
	}
	close(fd);
}

static void walk_dir(struct ks_pstore_walk *w, int dirfd, char *name,
		     size_t prefix, char *buf, size_t cap);

/* An archive subdirectory "<id>/", whose name is in name: its files are
 * records too. */
static void walk_subdir(struct ks_pstore_walk *w, int dirfd, char *name,
			char *buf, size_t cap)
{
	size_t len = strlen(name);
	int fd = open_entry(w, dirfd, name, name, O_DIRECTORY);

	if (fd < 0)
		return;
	name[len] = '/';
	walk_dir(w, fd, name, len + 1, buf, cap);
	close(fd);
}

/* Lists dirfd with getdents64 into buf (opendir would malloc); name holds
 * the record names, prefix bytes of it "<subdir>/". In the archive's top
 * level, directories are walked with the second half of the buffer. */
static void walk_dir(struct ks_pstore_walk *w, int dirfd, char *name,
		     size_t prefix, char *buf, size_t cap)
{
	bool top_of_archive = w->archived && prefix == 0;
	size_t list_cap = top_of_archive ? cap / 2 : cap;
	long n;

	while ((n = getdents64(dirfd, buf, list_cap)) > 0) {
		size_t off = 0;

		while (off < (size_t)n) {
			const struct dirent64 *d = (const void *)(buf + off);
			unsigned char type;

			if (d->d_reclen == 0)
				break;
			off += d->d_reclen;
			if (is_hidden(d->d_name))
				continue;
			type = type_of(dirfd, d);
			if (type != DT_REG &&
			    !(type == DT_DIR && top_of_archive))
				continue;
			/* d_name is at most NAME_MAX bytes */
			memcpy(name + prefix, d->d_name, strlen(d->d_name) + 1);
			if (type == DT_REG)
				visit_file(w, dirfd, d->d_name, name);
			else
				walk_subdir(w, dirfd, name, buf + list_cap,
					    cap - list_cap);
		}
	}
	if (n < 0) {
		/* the subdirectory's name, or "" */
		name[prefix ? prefix - 1 : 0] = '\0';
		w->visit(w->arg, -errno, name, w->archived, NULL);
	}
}

int ks_pstore_walk(int root_fd, struct ks_pstore_walk *w)
{
	/* "<subdir>/<file>" */
	char name[2 * (NAME_MAX + 1)];
	int fd = openat(root_fd, w->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	walk_dir(w, fd, name, 0, w->dents, w->dents_cap);
	close(fd);
	return 0;
}

void ks_section_pstore(struct ks_ctx *ctx, KsSnapshot *snap, KsStatus *st)
{
	const struct ks_pstore_request *req = ctx->pstore;
	struct pstore_fill fill = { .ctx = ctx, .st = st };
	/* The archive's files older than archive_since_s are not counted
	 * here: the caller asked for the cut and knows what it cut
	 * (collect-boot says so in the trigger detail). */
	struct ks_pstore_walk w = { .dents = ctx->io_buf,
				    .dents_cap = ctx->io_cap,
				    .visit = add_record,
				    .arg = &fill };
	KsPstore *out;
	int err, dir_err;

	if (!req)
		return;
	out = ks_arena_alloc(ctx->arena, sizeof(*out));
	if (!out)
		return;
	kmemsnap__v1__pstore__init(out);
	out->status = st;
	snap->pstore = out;
	fill.out = out;
	fill.budget = req->budget_bytes;
	if (req->previous_boot_id)
		out->previous_boot_id =
			ks_arena_strndup(ctx->arena, req->previous_boot_id,
					 strnlen(req->previous_boot_id, 64));
	out->records =
		ks_arena_alloc(ctx->arena, MAX_RECORDS * sizeof(*out->records));
	if (!out->records)
		return;
	st->path = (char *)req->dir;
	st->has_source_bytes = true;
	w.dir = req->dir;
	dir_err = -ks_pstore_walk(ctx->root_fd, &w);
	w.dir = req->archive_dir;
	w.archived = true;
	w.archive_since_s = req->archive_since_s;
	err = ks_pstore_walk(ctx->root_fd, &w);
	if (err < 0 && err != -ENOENT)
		st->lines_skipped++;
	st->has_lines_skipped = st->lines_skipped > 0;
	/* An unmounted /sys/fs/pstore is an empty sysfs directory: that reads
	 * as no records. No directory at all is no pstore support, or a tree
	 * without it: unavailable, unless systemd-pstore's archive had what
	 * the kernel kept. */
	if (dir_err && out->n_records == 0) {
		ks_status_unavailable(st, req->dir, dir_err);
		if (dir_err == ENOENT)
			st->detail = "pstore is not mounted";
	} else if (dir_err) {
		st->detail = "pstore is not mounted; the records are systemd-pstore's archive";
	}
}

/* SPDX-License-Identifier: MIT */
/*
 * Internal interfaces of libkmemsnap, shared by the pipeline stages, the
 * sections, the CLI and the unit tests. Nothing here is part of the ABI.
 *
 * Everything reachable from ks_capture() is async-signal-safe and allocates
 * only from the recorder's arena.
 */
#ifndef KMEMSNAP_INTERNAL_H
#define KMEMSNAP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kmemsnap.pb-c.h"
#include <kmemsnap/kmemsnap.h>

#define KS_HIDDEN __attribute__((visibility("hidden")))

typedef Kmemsnap__V1__Snapshot KsSnapshot;
typedef Kmemsnap__V1__SectionStatus KsStatus;

/* ---- arena.c: bump allocator over memory owned by the recorder ---------- */

struct ks_arena {
	uint8_t *base;
	size_t cap;
	size_t used;
	bool exhausted; /* an allocation failed since the last reset */
};

void ks_arena_init(struct ks_arena *a, void *mem, size_t cap);
void ks_arena_reset(struct ks_arena *a);
/* Zeroed, 8-byte aligned memory, or NULL (and a->exhausted) when full. */
void *ks_arena_alloc(struct ks_arena *a, size_t size);
/* Copies s[0..len) and a NUL; NULL when full. */
char *ks_arena_strndup(struct ks_arena *a, const char *s, size_t len);
/* A protobuf-c allocator drawing from the arena; free is a no-op. */
void ks_arena_protobuf_allocator(struct ks_arena *a, ProtobufCAllocator *out);

/* ---- lines.c: fixed-buffer line reader ---------------------------------- */

/* Reads a file line by line through a caller-owned buffer, so memory does not
 * grow with the file. A line longer than the buffer is returned cut to the
 * buffer's size with `overlong` set, and its rest is skipped. */
struct ks_lines {
	int fd;
	char *buf;
	size_t cap;
	size_t start; /* next unread byte */
	size_t end;   /* end of valid data */
	bool eof;
	bool overlong;   /* the last line returned was cut */
	bool skip_pending; /* the rest of a cut line is still unread */
	int err;         /* positive errno of a failed read, 0 if none */
	uint64_t bytes;  /* bytes read so far */
};

/* Opens path below dirfd (O_RDONLY|O_CLOEXEC|O_NOFOLLOW is not used: /proc
 * has symlinks such as self). Returns 0 or -errno. */
int ks_lines_open(struct ks_lines *lr, int dirfd, const char *path, char *buf,
		  size_t cap);
/* Wraps an already open fd; the reader closes it in ks_lines_close(). */
void ks_lines_from_fd(struct ks_lines *lr, int fd, char *buf, size_t cap);
/* Next line without its '\n', NUL-terminated in the buffer (valid until the
 * next call). Returns 1 with a line, 0 at end of file, -errno on a read error. */
int ks_lines_next(struct ks_lines *lr, char **line, size_t *len);
void ks_lines_close(struct ks_lines *lr);

/* Reads fd into buf until cap bytes or the end of the file, retrying
 * EINTR. Returns the count or -errno. */
long ks_read_fd(int fd, void *buf, size_t cap);
/* Reads a whole small file into buf (NUL-terminated, at most cap-1 bytes).
 * Returns the length or -errno. */
long ks_read_small(int dirfd, const char *path, char *buf, size_t cap);

/* ---- parse.c: locale-free, allocation-free text helpers ----------------- */

const char *ks_skip_space(const char *p);
/* Parses a decimal unsigned number at *p, advancing *p past it. Leading
 * blanks are skipped. Returns false when there are no digits or on overflow. */
bool ks_parse_u64(const char **p, uint64_t *out);
/* As above with an optional leading '-'. */
bool ks_parse_i64(const char **p, int64_t *out);
/* A hex digit's value + 1, 0 for a byte that is none (parse.c). */
extern const uint8_t ks_hex_plus_one[256];
/* The value of one hex digit, or -1. Inline, a lookup and no branch:
 * vmallocinfo has two 16-digit hashed addresses a line, digits and
 * letters at random (docs/PERFORMANCE.md). */
static inline int ks_hex_digit(char c)
{
	return (int)ks_hex_plus_one[(unsigned char)c] - 1;
}
/* Parses hex digits, with an optional 0x prefix. */
bool ks_parse_hex(const char **p, uint64_t *out);
/* The next blank-separated token: *tok and *len, advancing *p.
 * Returns false at the end of the string. */
bool ks_next_token(const char **p, const char **tok, size_t *len);
/* Inline, and the first byte is compared before anything else: these run
 * for every token against tables of words, and were the largest share of
 * a capture's instructions as calls (docs/PERFORMANCE.md). Inlined, the
 * strlen() of a literal folds to a constant. */
static inline bool ks_token_is(const char *tok, size_t len, const char *word)
{
	if (len == 0)
		return word[0] == '\0';
	return tok[0] == word[0] && strlen(word) == len &&
	       memcmp(tok, word, len) == 0;
}

static inline bool ks_starts_with(const char *s, const char *prefix)
{
	if (prefix[0] == '\0')
		return true;
	return s[0] == prefix[0] && strncmp(s, prefix, strlen(prefix)) == 0;
}

/* A "Key:   value [unit]" line as in /proc/meminfo and /proc/<pid>/status.
 * Key is everything before the first ':'; unit is the word after the value
 * (empty when none). Returns false when the line has no ':' or no number. */
struct ks_kv {
	const char *key;
	size_t key_len;
	uint64_t value;
	const char *unit;
	size_t unit_len;
};
bool ks_parse_kv(const char *line, struct ks_kv *kv);

/* Decimal formatting for async-signal-safe code; returns the length. */
size_t ks_format_u64(char *buf, uint64_t v);

/* A 64-bit hash of bytes, for the aggregation tables. */
uint64_t ks_hash_bytes(const void *data, size_t len, uint64_t seed);

/* ---- sections ----------------------------------------------------------- */

struct ks_config {
	uint32_t slab_top_n;       /* 0 = keep all (bounded by max_slab_caches) */
	uint32_t process_top_n;
	uint32_t max_vmalloc_callers;
	uint32_t max_slab_caches;
	uint32_t max_kmemleak_groups;
	bool kmemleak_scan;  /* write "scan" first (never on the crash path) */
	const char *cgroup;  /* memory cgroup to record, or NULL */
};

/* The Pstore section a capture asks for (kmemsnap_capture_opts.collect_pstore,
 * section_pstore.c). The strings are the caller's, alive during the capture. */
struct ks_pstore_request {
	const char *dir;          /* the pstore mount, below the root */
	const char *archive_dir;  /* systemd-pstore's archive, below the root */
	size_t max_record_bytes;  /* text kept per record */
	size_t budget_bytes;      /* text kept of all records together */
	const char *previous_boot_id; /* or NULL */
	uint64_t archive_since_s; /* older archived files are skipped; 0: none */
};

/* What a section sees of the capture in progress. */
struct ks_ctx {
	int root_fd;
	struct ks_arena *arena;
	char *io_buf; /* line-reader buffer, free between sections */
	size_t io_cap;
	uint32_t page_size;
	const struct ks_config *cfg;
	const struct ks_pstore_request *pstore; /* NULL: no Pstore section */
};

/* Marks a section that could not read its source. */
void ks_status_unavailable(KsStatus *st, const char *path, int err);
/* Records what a parser read through lr: its bytes, whether it skipped
 * lines, and r, the reader's last result: a read error cut it short. */
void ks_status_read_done(KsStatus *st, const struct ks_lines *lr,
			 const char *path, int r);
/* Marks a section that hit a bound; keeps the first reason. */
void ks_status_truncated(KsStatus *st);
/* Timestamp for section timing and the header. */
uint64_t ks_now_ns(int clock_id);

/* A section fills its message into snap (allocating from ctx->arena) and
 * records its outcome in st, which it attaches to that message. */
typedef void (*ks_section_fn)(struct ks_ctx *ctx, KsSnapshot *snap,
			      KsStatus *st);

struct ks_section {
	const char *name;
	ks_section_fn capture;
};

/* The ordered section table (capture.c). */
extern const struct ks_section ks_sections[];
extern const size_t ks_section_count;

void ks_section_meminfo(struct ks_ctx *ctx, KsSnapshot *snap, KsStatus *st);
void ks_section_slab(struct ks_ctx *ctx, KsSnapshot *snap, KsStatus *st);
void ks_section_vmalloc(struct ks_ctx *ctx, KsSnapshot *snap, KsStatus *st);
void ks_section_processes(struct ks_ctx *ctx, KsSnapshot *snap, KsStatus *st);
void ks_section_kmemleak(struct ks_ctx *ctx, KsSnapshot *snap, KsStatus *st);
void ks_section_shmem(struct ks_ctx *ctx, KsSnapshot *snap, KsStatus *st);
void ks_section_pressure(struct ks_ctx *ctx, KsSnapshot *snap, KsStatus *st);
void ks_section_cgroup(struct ks_ctx *ctx, KsSnapshot *snap, KsStatus *st);
/* Where below root_fd the cgroup v2 hierarchy with the memory controller
 * is mounted ("sys/fs/cgroup", or hybrid's "sys/fs/cgroup/unified"), or
 * NULL: then memory is v1's. The section and the watcher ask alike. */
const char *ks_cgroup_v2_memory_mount(int root_fd);
/* Not in the table: run when a capture's options ask for it. */
void ks_section_pstore(struct ks_ctx *ctx, KsSnapshot *snap, KsStatus *st);
/* A pstore file's kind by its name (fs/pstore/inode.c); collect-boot
 * sorts the records it reads the same way. */
Kmemsnap__V1__PstoreKind ks_pstore_kind(const char *file);
/* path made relative to a root fd: leading '/' dropped, "" is ".". */
const char *ks_below_root(const char *path);

struct stat;
/* One pstore directory to walk, for the Pstore section and collect-boot,
 * which must see the same records. */
struct ks_pstore_walk {
	const char *dir;          /* below the root */
	bool archived;            /* systemd-pstore's archive: one level deep */
	uint64_t archive_since_s; /* older archived files are skipped; 0: none */
	char *dents;              /* getdents64 buffer */
	size_t dents_cap;
	/* A record: fd is open for reading, closed after visit returns; name
	 * is "<file>" or "<subdir>/<file>". fd < 0 is -errno of a file or
	 * subdirectory that could not be read ("": dir itself), st NULL. */
	void (*visit)(void *arg, int fd, const char *name, bool archived,
		      const struct stat *st);
	void *arg;
	uint32_t archived_older; /* out: archived files skipped as older */
};
/* Calls w->visit for each record of w->dir below root_fd: its regular
 * files, no hidden ones, never through a symlink; in the archive, also
 * those of its subdirectories. Returns 0, or -errno of opening w->dir.
 * Async-signal-safe; allocates nothing. */
int ks_pstore_walk(int root_fd, struct ks_pstore_walk *w);
/* Fills *out from the capture options; false when they do not ask for a
 * Pstore section. The records' text may take what snap leaves of
 * message_cap, less room for what the capture adds later. */
bool ks_pstore_request(const struct kmemsnap_capture_opts *o,
		       size_t message_cap, const KsSnapshot *snap,
		       struct ks_pstore_request *out);

/* Parsers behind the sections, exposed for the unit tests and fuzzers: each
 * reads lines from lr and fills its message. */
void ks_parse_meminfo(struct ks_lines *lr, struct ks_arena *a,
		      Kmemsnap__V1__Meminfo *out, KsStatus *st);
/* The key /proc/meminfo prints for the Meminfo field at value_off
 * (its offsetof): "Active(anon)" for active_anon_kb. NULL for a field that
 * is no key. One table serves the parser and the readers (diff, export). */
const char *ks_meminfo_key_name(size_t value_off);
void ks_parse_slabinfo(struct ks_lines *lr, struct ks_ctx *ctx,
		       Kmemsnap__V1__Slab *out, KsStatus *st);
void ks_parse_vmallocinfo(struct ks_lines *lr, struct ks_ctx *ctx,
			  Kmemsnap__V1__Vmalloc *out, KsStatus *st);
/* Fills a Process from the text of /proc/<pid>/status (NUL-terminated).
 * Returns false for a kernel thread (no VmRSS line). */
bool ks_parse_pid_status(const char *text, struct ks_arena *a,
			 Kmemsnap__V1__Process *out);

void ks_parse_kmemleak(struct ks_lines *lr, struct ks_ctx *ctx,
		       Kmemsnap__V1__Kmemleak *out, KsStatus *st);
/* One "some|full avg10=.. avg60=.. avg300=.. total=.." line of a PSI file
 * into *out, without allocating; *is_full says which line it was. Returns
 * false when the line is not of that form. */
bool ks_parse_pressure_values(const char *line, bool *is_full,
			      Kmemsnap__V1__PressureLine *out);
/* The same, kept in out->some or out->full (allocated from a). */
bool ks_parse_pressure_line(const char *line, struct ks_arena *a,
			    Kmemsnap__V1__Pressure *out);
/* Reads a PSI file (proc/pressure/memory, <cgroup>/memory.pressure) below
 * dirfd into out; returns 0 or -errno (EOPNOTSUPP when PSI is off). */
int ks_read_pressure(int dirfd, const char *path, struct ks_ctx *ctx,
		     Kmemsnap__V1__Pressure *out);

/* oom_report.c: the report the capture embeds, or NULL. */
const Kmemsnap__V1__OomReport *
ks_oom_parser_report(const struct kmemsnap_oom_parser *p);

/* header.c */
void ks_fill_header(struct ks_ctx *ctx, Kmemsnap__V1__Header *hdr,
		    const char *root_label);

/* ---- blob.c: the file format (docs/FORMAT.md) --------------------------- */

#define KS_BLOB_MAGIC "KMEMSNAP"
#define KS_BLOB_FORMAT_MAJOR 1
#define KS_BLOB_FORMAT_MINOR 0
#define KS_BLOB_HEADER_BYTES 24
#define KS_LZ4_SKIPPABLE_MAGIC 0x184D2A5Eu
#define KS_LZ4_FRAME_MAGIC 0x184D2204u

/* Bytes before the data frame: empty LZ4 frame + skippable header frame. */
size_t ks_blob_prefix_bytes(void);
/* The next complete blob in data[from..len): *start and the length, or 0
 * when none. Complete means whole by its frames' structure (the empty
 * frame, the header frame, then an LZ4 frame whose blocks and checksum all
 * lie within len); no checksum is verified and nothing is decompressed, so
 * it allocates nothing (section_pstore.c). kmemsnap_blob_extract() is the
 * full check. */
size_t ks_blob_find(const void *data, size_t len, size_t from, size_t *start);
/* Worst-case blob size for a message of msg_len bytes. */
size_t ks_blob_bound(size_t msg_len);
/* Frames msg into out. Returns the blob length or -errno. No allocation. */
long ks_blob_write(void *out, size_t cap, const void *msg, size_t msg_len,
		   uint32_t flags);

/* ---- sink.c ------------------------------------------------------------- */

int ks_write_all(int fd, const void *buf, size_t len);
/* Atomic replace of dirfd/name: temp file, fsync, renameat, fsync dirfd. */
int ks_write_file_atomic(int dirfd, const char *name, const void *buf,
			 size_t len);
/* The first half of it: writes buf to a new temporary file in dirfd named
 * ".<name>.<pid>.<seq>.tmp" (mode 0600, O_EXCL, never through a symlink)
 * and fsyncs it; the name goes to tmp (KS_TEMP_NAME_MAX bytes). On failure
 * the file is gone. Returns 0 or -errno (-EEXIST: the temporary name is
 * taken; a new call uses a new seq). */
#define KS_TEMP_NAME_MAX 320
int ks_write_temp(int dirfd, const char *name, const void *buf, size_t len,
		  char *tmp, size_t tmp_cap);

/* ---- store.c: the black-box directory (docs/STORE.md) ------------------- */

/* "<utc>_<boot>_<trigger>.kms" for a capture's header fields: utc is
 * "YYYYMMDDTHHMMSS.uuuuuuZ", boot the first 8 hex digits of boot_id
 * ("noboot00" when it has none), trigger its word ("oom"). out holds
 * KMEMSNAP_STORE_NAME_MAX bytes. Returns the length. */
size_t ks_store_name(char *out, uint64_t realtime_ns, const char *boot_id,
		     int trigger);
/* Whether name is a stored snapshot's, as ks_store_name() makes them (with
 * a counter too): what retention counts. No allocation. */
bool ks_store_name_valid(const char *name);
/* Stores blob under name, or under name with a counter ("_1") when name
 * is taken: never replaces a file. The stored name goes to name_out (cap
 * bytes, may be NULL). Returns 0 or -errno. No allocation. */
int ks_store_write(struct kmemsnap_store *s, const char *name,
		   const void *blob, size_t len, char *name_out, size_t cap);

/* 1 when the store holds a snapshot of the boot boot_id, 0 when not, or
 * -errno (-EBUSY: the handle is in use). No allocation. */
int ks_store_holds_boot(struct kmemsnap_store *s, const char *boot_id);

#endif /* KMEMSNAP_INTERNAL_H */

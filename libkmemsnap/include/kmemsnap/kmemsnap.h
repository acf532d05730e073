/* SPDX-License-Identifier: MIT */
/*
 * libkmemsnap: a black-box recorder for Linux memory.
 *
 * A recorder is created ahead of time and owns every buffer a capture needs;
 * a capture then reads /proc and /sys (relative to a root directory), builds a
 * Snapshot message (proto/kmemsnap.proto) and writes it as an LZ4-framed blob
 * (docs/FORMAT.md) without allocating memory.
 *
 * Conventions: functions return 0 (or a positive count) on success and a
 * negative errno on failure. Constructors write their result through the
 * first argument only on success. Options structs start with their own size;
 * declare them with KMEMSNAP_OPTS() so fields added later read as zero.
 */
#ifndef KMEMSNAP_KMEMSNAP_H
#define KMEMSNAP_KMEMSNAP_H

#include <stddef.h>
#include <stdint.h>

#include <kmemsnap/version.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) && defined(KMEMSNAP_BUILDING)
#define KMEMSNAP_API __attribute__((visibility("default")))
#else
#define KMEMSNAP_API
#endif

/* Declares and zero-fills an options struct with its size set:
 *   KMEMSNAP_OPTS(kmemsnap_recorder_opts, opts, .root = "/srv/copy");
 */
#define KMEMSNAP_OPTS(TYPE, NAME, ...)                                       \
	struct TYPE NAME = { .sz = sizeof(struct TYPE), __VA_ARGS__ }

/* Why a snapshot was taken; the values are those of the schema's Trigger. */
enum kmemsnap_trigger {
	KMEMSNAP_TRIGGER_MANUAL = 1,
	KMEMSNAP_TRIGGER_TIMER = 2,
	KMEMSNAP_TRIGGER_BASELINE = 3,
	KMEMSNAP_TRIGGER_PRESSURE = 4,
	KMEMSNAP_TRIGGER_OOM = 5,
	KMEMSNAP_TRIGGER_CRASH = 6,
	KMEMSNAP_TRIGGER_BOOT_COLLECT = 7,
};

struct kmemsnap_recorder_opts {
	size_t sz;
	/* Directory that stands for "/": every kernel file is opened below it.
	 * NULL means "/". The string is copied. */
	const char *root;
	/* Slab caches kept in full, largest footprint first. 0 selects the
	 * default (64); KMEMSNAP_KEEP_ALL keeps every cache up to max_slab_caches. */
	uint32_t slab_top_n;
	/* Processes kept in full, highest oom_score first (default 32). */
	uint32_t process_top_n;
	/* Distinct vmalloc (caller, flags) groups tracked (default 8192); the
	 * rest are summed as "cut". */
	uint32_t max_vmalloc_callers;
	/* Slab caches tracked when keeping all (default 4096). */
	uint32_t max_slab_caches;
	/* Working memory for one capture (default 4 MiB). A capture that runs
	 * out marks the section it was building truncated. */
	size_t arena_bytes;
	/* Largest serialized snapshot (default 1 MiB). */
	size_t max_message_bytes;
	/* A memory cgroup to record, as a path below the cgroup mount point
	 * ("/system.slice/foo.service"; v2 if mounted, else the v1 memory
	 * hierarchy). NULL: none. The string is copied. */
	const char *cgroup;
	/* Write "scan" to /sys/kernel/debug/kmemleak and wait for it before
	 * reading the report. Takes seconds; never do this from a crash
	 * handler. 0 (default): read the last scan's report. */
	int kmemleak_scan;
	/* kmemleak backtrace groups kept (default 256); the rest are summed. */
	uint32_t max_kmemleak_groups;
};

#define KMEMSNAP_KEEP_ALL UINT32_MAX

struct kmemsnap_capture_opts {
	size_t sz;
	enum kmemsnap_trigger trigger; /* 0 means KMEMSNAP_TRIGGER_MANUAL */
	/* Free text stored with the trigger ("psi some 150ms/1s"); at most 255
	 * bytes are kept. May be NULL. */
	const char *trigger_detail;
	/* Embed the last complete kernel OOM report this parser has seen
	 * (see kmemsnap_oom_parser_feed()). May be NULL. */
	const struct kmemsnap_oom_parser *oom_report;
};

struct kmemsnap_recorder;

/* Creates a recorder: allocates and locks (mlock, best effort) every buffer
 * a capture needs and opens the root directory.
 * Ownership: *out belongs to the caller; release it with
 * kmemsnap_recorder_free().
 * Returns 0, -EINVAL for bad options, -ENOMEM, or the errno of opening root.
 * Async-signal-safe: no. */
KMEMSNAP_API int kmemsnap_recorder_new(struct kmemsnap_recorder **out,
				       const struct kmemsnap_recorder_opts *opts);

/* Releases a recorder and everything it owns. Accepts NULL.
 * Async-signal-safe: no. */
KMEMSNAP_API void kmemsnap_recorder_free(struct kmemsnap_recorder *rec);

/* Takes a snapshot into the recorder's own output buffer. On success *blob
 * and *len describe the blob; it stays valid until the next capture or until
 * the recorder is freed (the recorder owns it). Sections that cannot be read
 * are recorded as unavailable inside the blob and do not fail the call.
 * Returns 0, -EINVAL, -EBUSY if a capture on this recorder is already
 * running, or -EMSGSIZE if the snapshot exceeds max_message_bytes.
 * Performs no heap allocation. Async-signal-safe: yes. */
KMEMSNAP_API int kmemsnap_capture(struct kmemsnap_recorder *rec,
				  const struct kmemsnap_capture_opts *opts,
				  const void **blob, size_t *len);

/* Captures and writes the blob to fd (all of it, retrying short writes).
 * Returns 0 or a negative errno. Async-signal-safe: yes. */
KMEMSNAP_API int kmemsnap_capture_to_fd(struct kmemsnap_recorder *rec,
					const struct kmemsnap_capture_opts *opts,
					int fd);

/* Captures and writes the blob to path atomically: a temporary file in the
 * same directory (mode 0600, never through a symlink), fsync, rename over
 * path, fsync of the directory. A reader never sees a partial file under
 * path. path is relative to the current directory unless absolute.
 * Returns 0 or a negative errno. Async-signal-safe: yes. */
KMEMSNAP_API int kmemsnap_capture_to_file(struct kmemsnap_recorder *rec,
					  const struct kmemsnap_capture_opts *opts,
					  const char *path);

/* One-shot convenience: creates a recorder with opts (NULL for defaults),
 * captures to path atomically and frees the recorder. Allocates.
 * Async-signal-safe: no. */
KMEMSNAP_API int kmemsnap_snapshot_to_file(const char *path,
					   const struct kmemsnap_recorder_opts *opts);

/* What a blob's kmemsnap header says. */
struct kmemsnap_blob_info {
	size_t sz;
	uint32_t format_version;
	uint32_t flags;            /* KMEMSNAP_BLOB_F_* */
	uint64_t message_bytes;    /* size of the serialized Snapshot */
	/* When extraction failed: what is wrong, for a person ("truncated:
	 * the file ends inside the data frame"). A static string. */
	const char *problem;
};

/* Some section hit a bound and is marked truncated. */
#define KMEMSNAP_BLOB_F_TRUNCATED 0x1u
/* Captured below a root other than "/" (fixture, copy of another host). */
#define KMEMSNAP_BLOB_F_FOREIGN_ROOT 0x2u

/* Largest serialized Snapshot a reader accepts (a decompression-bomb bound). */
#define KMEMSNAP_MAX_MESSAGE_BYTES (64u << 20)

/* Checks a blob and extracts the serialized Snapshot message into buf, which
 * must hold info->message_bytes (call first with buf NULL, cap 0 to learn
 * it: that returns -ENOBUFS with *info filled in). info may be NULL; set
 * info->sz. The protobuf bytes decode with the installed kmemsnap.proto.
 * Returns 0; -ENODATA for a blob cut short (an unfinished copy); -EBADMSG
 * for a file that is not a kmemsnap blob or is damaged (bad magic, bad
 * frame, checksum mismatch, trailing data); -EPROTONOSUPPORT for a newer
 * major format; -EFBIG when the message exceeds KMEMSNAP_MAX_MESSAGE_BYTES;
 * -ENOBUFS when cap is short. On failure info->problem says what is wrong.
 * Allocates liblz4's decompression context (freed before returning).
 * Async-signal-safe: no. */
KMEMSNAP_API int kmemsnap_blob_extract(const void *blob, size_t len, void *buf,
				       size_t cap,
				       struct kmemsnap_blob_info *info);

/* A parser of the kernel's OOM-killer report (mm/oom_kill.c), fed one
 * kernel log line at a time: /dev/kmsg records, dmesg or syslog text. It
 * keeps the most recent complete report, which a capture can embed through
 * kmemsnap_capture_opts.oom_report. */
struct kmemsnap_oom_parser;

/* Creates a parser; all its memory is allocated here.
 * Ownership: *out belongs to the caller (kmemsnap_oom_parser_free()).
 * Returns 0 or -ENOMEM. Async-signal-safe: no. */
KMEMSNAP_API int kmemsnap_oom_parser_new(struct kmemsnap_oom_parser **out);

/* Releases a parser. Accepts NULL. Async-signal-safe: no. */
KMEMSNAP_API void kmemsnap_oom_parser_free(struct kmemsnap_oom_parser *p);

/* Feeds one log line (without its newline; a /dev/kmsg "pri,seq,ts,-;"
 * prefix, a "[  123.456789]" timestamp or a syslog prefix is accepted).
 * Text holding several lines, such as a whole read() of /dev/kmsg with its
 * dictionary lines, is taken line by line.
 * Returns 1 when a complete report is now available (the kill line or the
 * end of the report was seen), 0 otherwise, -EINVAL for bad arguments.
 * Allocates nothing. Async-signal-safe: yes. */
KMEMSNAP_API int kmemsnap_oom_parser_feed(struct kmemsnap_oom_parser *p,
					  const char *line, size_t len);

/* Whether the parser holds a complete report, and its victim's pid (0 if
 * the report named none). Returns 1 if it holds one, else 0.
 * Async-signal-safe: yes. */
KMEMSNAP_API int kmemsnap_oom_parser_last(const struct kmemsnap_oom_parser *p,
					  int *victim_pid);

/* Human-readable text for an error this library returned (a negative errno
 * or one of its own). The string is static. Async-signal-safe: yes. */
KMEMSNAP_API const char *kmemsnap_strerror(int err);

/* The library's version string, e.g. "0.1.0". Async-signal-safe: yes. */
KMEMSNAP_API const char *kmemsnap_version(void);

#ifdef __cplusplus
}
#endif

#endif /* KMEMSNAP_KMEMSNAP_H */

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
	/* Record what pstore kept from the previous boot (a Pstore section):
	 * the files of pstore_dir and, one level deep, of pstore_archive_dir,
	 * each bounded by max_pstore_record_bytes (default 256 KiB). Both
	 * directories are below the recorder's root; NULL selects
	 * "sys/fs/pstore" and "var/lib/systemd/pstore". Set by
	 * `kmemsnap collect-boot`; 0 (default): no Pstore section. */
	int collect_pstore;
	const char *pstore_dir;
	const char *pstore_archive_dir;
	size_t max_pstore_record_bytes;
	/* The boot the pstore records are from, when the caller knows it
	 * (a mirrored snapshot's header, the store's last boot). May be NULL. */
	const char *previous_boot_id;
	/* Files of pstore_archive_dir whose mtime (CLOCK_REALTIME seconds)
	 * is older are skipped: systemd-pstore never deletes its archive, so
	 * a boot's start (btime of /proc/stat) leaves out what earlier boots
	 * archived. 0 (default): none skipped. */
	uint64_t pstore_archive_since_s;
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

/* The black-box store (docs/STORE.md): a directory of snapshots named
 * "<utc-time>_<boot>_<trigger>.kms" ("20261123T120102.123456Z_0f6a3c52_oom.kms"),
 * so that names sort by time, kept within a byte and a count budget.
 * Retention removes the oldest snapshots first but protects the first
 * snapshot of every boot and those taken by the oom, crash and
 * boot-collect triggers, as long as the protected ones fit in max_protected_percent of each budget:
 * the newest protected snapshots that together fit keep their protection,
 * older ones are then treated like the rest. Retention reads only names and
 * sizes, never the files. */
struct kmemsnap_store_opts {
	size_t sz;
	/* Byte budget of the snapshots (default 256 MiB). */
	uint64_t max_bytes;
	/* Count budget (default 2000, at most 1000000). */
	uint32_t max_files;
	/* Share of each budget the protected snapshots may hold, 1 to 100
	 * (default 25). */
	uint32_t max_protected_percent;
	/* Create the directory (mode 0700) when it is missing; its parent
	 * must exist. */
	int create;
};
/* A handle applies the budgets saved in the store (".kmemsnap-budgets"),
 * else the defaults, each budget its options give (non-zero) replacing
 * the saved one; when they give any, the result is saved. So every writer
 * of a store keeps it the same way: a one-off capture does not trim a
 * store a watcher keeps with larger budgets, and a writer that gives only
 * max_bytes keeps the saved max_files. */

/* Room for a stored snapshot's name and its NUL. */
#define KMEMSNAP_STORE_NAME_MAX 64

struct kmemsnap_store;

/* What the last retention pass of a store handle found and did. */
struct kmemsnap_store_pass {
	size_t sz;
	/* 0, or why the pass did not run or stopped early: -EAGAIN when
	 * another pass held the store's lock for over a second, else the
	 * errno of listing the directory (nothing was removed then). */
	int error;
	uint32_t files;           /* snapshots left in the store */
	uint64_t bytes;
	uint32_t protected_files; /* of which protected */
	uint64_t protected_bytes;
	uint32_t removed;         /* snapshots the pass deleted */
	uint32_t temps_removed;   /* leftovers of writers that died */
	/* Snapshots beyond what the pass can track (max_files and a quarter):
	 * they count toward the budgets, but only the oldest tracked ones
	 * were candidates for removal. */
	uint32_t untracked;
};

/* Opens (with opts->create, creates) the store directory and allocates
 * every buffer its writes and retention passes need, so that
 * kmemsnap_capture_to_store() allocates nothing. The directory is opened
 * once, never through a symlink (a symlink as its last component is
 * refused with -ELOOP), and stays open. opts may be NULL for defaults
 * (then the directory must exist).
 * Ownership: *out belongs to the caller; release it with
 * kmemsnap_store_close().
 * Returns 0, -EINVAL for bad options, -ENOMEM, or the errno of creating or
 * opening dir (-ENOTDIR, -ELOOP, -ENOENT, -EACCES).
 * Async-signal-safe: no. */
KMEMSNAP_API int kmemsnap_store_open(struct kmemsnap_store **out,
				     const char *dir,
				     const struct kmemsnap_store_opts *opts);

/* Closes a store handle and frees what it owns. Accepts NULL.
 * Async-signal-safe: no. */
KMEMSNAP_API void kmemsnap_store_close(struct kmemsnap_store *store);

/* Captures with rec and stores the blob: a temporary file in the store
 * (mode 0600, never through a symlink), fsync, rename to its final name
 * without replacing any file (a counter is appended when the name is
 * taken), fsync of the directory; then runs a retention pass. A reader
 * never sees a partial file under a final name. The name is built from
 * the capture's header: its CLOCK_REALTIME, the boot id and the trigger.
 * name_out (may be NULL) receives the stored file's name, relative to the
 * store; name_cap must then be at least KMEMSNAP_STORE_NAME_MAX.
 * Returns 0 when the snapshot is stored and the pass completed, 1 when it
 * is stored but the pass could not complete (see
 * kmemsnap_store_last_pass()), or a negative errno when nothing was stored:
 * the errors of kmemsnap_capture(), -EBUSY when the store handle is in use,
 * -EEXIST when no free name was found, or the errno of writing.
 * A store handle serves one call at a time (it owns the pass's buffers);
 * several handles and processes may share one directory.
 * Performs no heap allocation. Async-signal-safe: yes (it may wait up to a
 * second for another process's retention pass). */
KMEMSNAP_API int kmemsnap_capture_to_store(struct kmemsnap_recorder *rec,
					   const struct kmemsnap_capture_opts *opts,
					   struct kmemsnap_store *store,
					   char *name_out, size_t name_cap);

/* Runs a retention pass: removes leftover temporary files of writers that
 * died (or older than a minute), then snapshots by the rule above until
 * both budgets hold. Passes of all processes are serialized by a lock on
 * the directory (flock); a pass waits up to a second for it.
 * Returns the number of snapshots removed, or a negative errno (-EAGAIN,
 * -EBUSY, or the errno of listing the directory); details in
 * kmemsnap_store_last_pass(). Performs no heap allocation.
 * Async-signal-safe: yes. */
KMEMSNAP_API int kmemsnap_store_prune(struct kmemsnap_store *store);

/* Copies the result of the handle's last retention pass into *out (set
 * out->sz; a smaller, older struct gets the fields it has). Returns 0,
 * -EINVAL, or -ENODATA before the first pass. Async-signal-safe: yes. */
KMEMSNAP_API int kmemsnap_store_last_pass(const struct kmemsnap_store *store,
					  struct kmemsnap_store_pass *out);

/* The crash handler (docs/CRASH.md). When the process receives one of its
 * signals, it takes a snapshot with a crash section (signal, code, fault
 * address, the faulting thread's backtrace as program counters, and the
 * loaded modules with their build ids), writes it to a store or a file,
 * then restores the handlers it replaced and lets the signal proceed, so
 * the usual core dump (or the previous handler) still happens.
 * `kmemsnap show` symbolizes the backtrace later, offline.
 *
 * A handler for a signal is process-global by nature, like sigaction():
 * one crash handler can be installed at a time, and install, refresh and
 * uninstall must not race each other or a crash. */
struct kmemsnap_crash_opts {
	size_t sz;
	/* The recorder that captures. NULL: the handler creates its own with
	 * default options and frees it on uninstall. A recorder given here is
	 * the caller's and must outlive the handler; a capture running on it
	 * when the crash happens makes the handler wait for it (at most a
	 * second). */
	struct kmemsnap_recorder *recorder;
	/* Where the snapshot goes: a store (the caller's; it must stay open
	 * while the handler is installed), or a file path, replaced
	 * atomically (its directory is opened at install; the name is
	 * copied). Exactly one of the two. */
	struct kmemsnap_store *store;
	const char *path;
	/* Signals to handle. NULL: SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT.
	 * At most 16; SIGKILL and SIGSTOP cannot be handled. The array is
	 * copied. */
	const int *signals;
	size_t n_signals;
	/* The alternate signal stack the handler runs on (default 256 KiB,
	 * at least 64 KiB: a capture needs some 20 KiB of it). It is set for
	 * the installing thread only; see docs/CRASH.md for other threads. */
	size_t altstack_bytes;
	/* Frames of the backtrace kept (default 128, at most 1024). */
	uint32_t max_frames;
	/* Loaded modules kept (default 512, at most 16384). */
	uint32_t max_modules;
};

/* Installs the crash handler: allocates everything it needs (the
 * alternate stack, the module table, the recorder unless given), reads the
 * list of loaded modules and their build ids, and sets the handler for
 * each signal with sigaction(), keeping the previous actions.
 * Returns 0, -EINVAL for bad options, -EEXIST when a crash handler is
 * already installed, -ENOMEM, or the errno of opening the path's directory
 * or of sigaltstack()/sigaction().
 * Async-signal-safe: no. */
KMEMSNAP_API int kmemsnap_crash_handler_install(const struct kmemsnap_crash_opts *opts);

/* Reads the list of loaded modules again: call it after dlopen() or
 * dlclose(), or frames in those modules are recorded without one.
 * Returns 0, -ENOENT when no handler is installed, or -EBUSY during a
 * crash. Allocates nothing. Async-signal-safe: no. */
KMEMSNAP_API int kmemsnap_crash_handler_refresh(void);

/* Restores the previous action of every signal whose handler is still
 * this one, restores the installing thread's previous alternate stack if
 * it is still this one's, and frees what install allocated. Call it from
 * the installing thread: from another one, the alternate stack stays
 * mapped, as the installing thread may still be using it. Does nothing
 * when no handler is installed. Async-signal-safe: no. */
KMEMSNAP_API void kmemsnap_crash_handler_uninstall(void);

/* The watcher (docs/WATCH.md): one epoll set that waits on the kernel's
 * memory events and captures to a store when one fires.
 *
 * - PSI triggers on /proc/pressure/memory and on each watched v2 cgroup's
 *   memory.pressure ("some 150000 2000000": 150 ms of stall within 2 s);
 * - each watched v2 cgroup's memory.events (inotify): a change of oom,
 *   oom_kill, oom_group_kill, max or high, with the counters that moved;
 * - each watched v1 memory cgroup's memory.oom_control, registered through
 *   cgroup.event_control with an eventfd, which fires when the group goes
 *   under OOM, before the kill (the counters are read again at capture);
 * - /dev/kmsg from "now" on: the kernel's OOM report, fed to an OOM parser;
 *   the snapshot of a kill carries the parsed report;
 * - timers: a baseline snapshot when the store holds none of this boot,
 *   and a periodic one.
 *
 * An OOM event seen through a cgroup waits up to oom_grace_ms for the
 * kernel log's report of it, so that one snapshot carries both; events of
 * one OOM arriving within that window are folded into it. Event snapshots
 * are rate limited (a token bucket: burst, refilled one per min_gap_ms);
 * what the limit drops is counted in the next snapshot. Every few seconds
 * the watcher takes a light sample (meminfo counters, PSI totals, the
 * largest processes by RSS) into a ring; event snapshots embed the ring as
 * the lead-up to the event. Everything is allocated by
 * kmemsnap_watcher_new(): dispatching allocates nothing.
 *
 * The event sources are found below the recorder's root, like everything
 * a capture reads, so a test tree can stand in for the kernel; a PSI file
 * there that is not on procfs or cgroup2 is refused (-EOPNOTSUPP), never
 * written. */
enum kmemsnap_watch_source {
	KMEMSNAP_WATCH_PSI = 1,
	KMEMSNAP_WATCH_MEMORY_EVENTS = 2,
	KMEMSNAP_WATCH_OOM_CONTROL = 3,
	KMEMSNAP_WATCH_KMSG = 4,
	KMEMSNAP_WATCH_TIMER = 5,
	KMEMSNAP_WATCH_BASELINE = 6,
};

/* What the watcher did about one event, for the on_event callback. The
 * strings are valid during the callback only. */
struct kmemsnap_watch_event {
	size_t sz;
	enum kmemsnap_watch_source source;
	enum kmemsnap_trigger trigger;
	const char *detail;   /* the snapshot's trigger detail, in words */
	/* 0: stored as `name`; 1: stored, but its retention pass failed;
	 * -EAGAIN: dropped by the rate limit; -EALREADY: folded into the
	 * previous snapshot; else the negative errno of capturing/storing. */
	int result;
	const char *name;     /* the stored file, relative to the store */
	/* The pmsg mirror: 0 written, -ENOENT no pmsg device, or -errno
	 * (-EMSGSIZE: even the compact snapshot exceeded pmsg_max_bytes). */
	int pmsg_result;
	size_t pmsg_bytes;
	uint64_t capture_ns;  /* how long capture and store took */
};

/* Set up problems that do not stop the watcher (a cgroup without
 * memory.events, PSI off, /dev/kmsg unreadable) reach on_setup. */
struct kmemsnap_watch_opts {
	size_t sz;
	/* The recorder that captures and the store that keeps the snapshots:
	 * the caller's, both required; they must outlive the watcher and not
	 * be used elsewhere while it dispatches. */
	struct kmemsnap_recorder *recorder;
	struct kmemsnap_store *store;
	/* PSI triggers for /proc/pressure/memory ("some|full <stall us>
	 * <window us>"). NULL: one default, "some 150000 2000000"; the window
	 * is a multiple of 2 s, which the kernel requires without
	 * CAP_SYS_RESOURCE. no_psi: none. At most 8; strings are copied. */
	const char *const *psi_triggers;
	size_t n_psi_triggers;
	int no_psi;
	/* Memory cgroups to watch, as paths below the cgroup mount point
	 * ("/system.slice/db.service"): v2 memory.events and memory.pressure
	 * (with the same triggers) when the v2 memory controller manages it,
	 * else v1 memory.oom_control. At most 64; strings are copied. */
	const char *const *cgroups;
	size_t n_cgroups;
	/* Do not read /dev/kmsg. */
	int no_kmsg;
	/* Periodic snapshots every period_s seconds (default 600);
	 * KMEMSNAP_WATCH_NEVER: none. */
	uint32_t period_s;
	/* The baseline: taken baseline_delay_s after start (default 5) when
	 * the store has no snapshot of this boot. KMEMSNAP_WATCH_NEVER: none. */
	uint32_t baseline_delay_s;
	/* Light samples every sample_ms (default 5000), the ring holding
	 * history_s seconds (default 600, at most 4096 samples), each with the
	 * history_top_n largest processes (default 5, at most 16). */
	uint32_t sample_ms;
	uint32_t history_s;
	uint32_t history_top_n;
	/* Rate limit of event snapshots: burst (default 5), refilled one per
	 * min_gap_ms (default 30000). */
	uint32_t burst;
	uint32_t min_gap_ms;
	/* How long a cgroup OOM event waits for the kernel log's report
	 * (default 500 ms). */
	uint32_t oom_grace_ms;
	/* Mirror each OOM snapshot, in a compact form of at most
	 * pmsg_max_bytes (default 32 KiB), to pmsg_path (default "/dev/pmsg0",
	 * used when it exists). no_pmsg: never. */
	const char *pmsg_path;
	uint32_t pmsg_max_bytes;
	int no_pmsg;
	/* on_event is called after each event. on_setup is called during
	 * kmemsnap_watcher_new() for each source set up (err 0, what says
	 * it in words: "PSI trigger \"some 150000 2000000\" on
	 * /proc/pressure/memory") and each set-up problem (err < 0, what
	 * names the file), and later with -ENODEV when a watched cgroup is
	 * removed and its files stop being watched. Both may be NULL. */
	void (*on_event)(const struct kmemsnap_watch_event *ev, void *arg);
	void (*on_setup)(const char *what, int setup_err, void *arg);
	void *arg;
};

#define KMEMSNAP_WATCH_NEVER UINT32_MAX

struct kmemsnap_watcher;

/* Creates a watcher: opens and registers every source, allocates the ring,
 * a compact recorder for the pmsg mirror and the OOM parser, and takes the
 * first sample. (Whether a baseline is due is decided when its timer
 * fires, from the store's names.) Sources that cannot be set up
 * are reported to on_setup and skipped; it fails only when none is left
 * (-ENOENT) or for bad options (-EINVAL).
 * Ownership: *out belongs to the caller; kmemsnap_watcher_free() releases
 * it (not the recorder and store).
 * Async-signal-safe: no. */
KMEMSNAP_API int kmemsnap_watcher_new(struct kmemsnap_watcher **out,
				      const struct kmemsnap_watch_opts *opts);

/* Releases a watcher. Accepts NULL. Async-signal-safe: no. */
KMEMSNAP_API void kmemsnap_watcher_free(struct kmemsnap_watcher *w);

/* The watcher's epoll fd, to put in a caller's own event loop: when it
 * polls readable, call kmemsnap_watcher_dispatch(). Timers are inside it.
 * Async-signal-safe: yes. */
KMEMSNAP_API int kmemsnap_watcher_fd(const struct kmemsnap_watcher *w);

/* Handles every ready event and due timer without blocking (timeout_ms 0)
 * or waiting up to timeout_ms (-1: until something happens). Returns the
 * number of snapshots stored, or a negative errno of the wait itself
 * (-EINTR when a signal interrupted it). Performs no heap allocation.
 * Async-signal-safe: no. */
KMEMSNAP_API int kmemsnap_watcher_dispatch(struct kmemsnap_watcher *w,
					   int timeout_ms);

/* Dispatches until kmemsnap_watcher_stop(). Returns 0 after a stop, or the
 * negative errno of the wait (a signal interruption is not an error: the
 * loop goes on). Async-signal-safe: no. */
KMEMSNAP_API int kmemsnap_watcher_run(struct kmemsnap_watcher *w);

/* Makes kmemsnap_watcher_run() return. Async-signal-safe: yes. */
KMEMSNAP_API void kmemsnap_watcher_stop(struct kmemsnap_watcher *w);

/* Replaces the store snapshots go to (after the old directory was moved
 * or recreated: the daemon's SIGHUP). The old store stays the caller's.
 * Returns 0 or -EINVAL. Async-signal-safe: no. */
KMEMSNAP_API int kmemsnap_watcher_set_store(struct kmemsnap_watcher *w,
					    struct kmemsnap_store *store);

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

/* SPDX-License-Identifier: MIT */
/*
 * The crash handler at work: installs it, then crashes on purpose.
 *
 *   crash_demo [--abort] [--root DIR] (--store DIR | OUT.kms)
 *
 * main() calls process_request(), which calls crash_here(), which writes
 * through a NULL pointer (SIGSEGV) or, with --abort, calls abort()
 * (SIGABRT). The handler writes a snapshot with the backtrace to the store
 * directory or to OUT.kms, then lets the signal through: the program dies
 * by it, with the usual core dump. Then
 *
 *   kmemsnap show OUT.kms
 *
 * names crash_here, process_request and main, resolved from this program's
 * symbol table. --root captures below a copy of /proc and /sys instead of
 * this machine (a fixture tree, for a fast test).
 *
 * Build against an installed library with
 *   cc -g -fno-omit-frame-pointer crash_demo.c $(pkg-config --cflags --libs kmemsnap)
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kmemsnap/kmemsnap.h>

struct demo_args {
	bool use_abort;
	const char *root;
	const char *store_dir;
	const char *file;
};

static int usage(void)
{
	fprintf(stderr, "usage: crash_demo [--abort] [--root DIR] "
			"(--store DIR | OUT.kms)\n");
	return 2;
}

static bool parse_args(int argc, char **argv, struct demo_args *a)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--abort") == 0)
			a->use_abort = true;
		else if (strcmp(argv[i], "--root") == 0 && i + 1 < argc)
			a->root = argv[++i];
		else if (strcmp(argv[i], "--store") == 0 && i + 1 < argc)
			a->store_dir = argv[++i];
		else if (argv[i][0] != '-' && !a->file)
			a->file = argv[i];
		else
			return false;
	}
	return !a->store_dir != !a->file;
}

/* Kept as real frames of their own, so the backtrace names them (gcc would
 * otherwise also clone them; clang has no such attribute). */
#ifdef __clang__
#define NOT_INLINED __attribute__((noinline))
#else
#define NOT_INLINED __attribute__((noinline, noclone))
#endif

/* noinline and noclone keep the function and its name in the binary; the
 * volatile pointer keeps the compiler from knowing it is NULL, and the
 * volatile int from dropping the store. */
NOT_INLINED static void crash_here(bool use_abort)
{
	volatile int *volatile p = NULL;

	if (use_abort)
		abort();
	*p = 42;
}

NOT_INLINED static void process_request(bool use_abort)
{
	crash_here(use_abort);
	/* Not a tail call: this frame stays on the stack. */
	__asm__ volatile("" ::: "memory");
}

/* Everything the handler uses must outlive it: here, the whole program. */
static int install(const struct demo_args *a)
{
	KMEMSNAP_OPTS(kmemsnap_recorder_opts, ropts, .root = a->root);
	KMEMSNAP_OPTS(kmemsnap_store_opts, sopts, .create = 1);
	KMEMSNAP_OPTS(kmemsnap_crash_opts, copts, .path = a->file);
	struct kmemsnap_recorder *rec;
	struct kmemsnap_store *store;
	int err;

	err = kmemsnap_recorder_new(&rec, &ropts);
	if (err < 0)
		return err;
	copts.recorder = rec;
	if (a->store_dir) {
		err = kmemsnap_store_open(&store, a->store_dir, &sopts);
		if (err < 0)
			return err;
		copts.store = store;
	}
	return kmemsnap_crash_handler_install(&copts);
}

int main(int argc, char **argv)
{
	struct demo_args a = { 0 };
	int err;

	if (!parse_args(argc, argv, &a))
		return usage();
	err = install(&a);
	if (err < 0) {
		fprintf(stderr, "crash_demo: %s\n", kmemsnap_strerror(err));
		return 1;
	}
	fprintf(stderr, "crash_demo: crashing in crash_here() with %s\n",
		a.use_abort ? "SIGABRT" : "SIGSEGV");
	process_request(a.use_abort);
	return 1; /* not reached */
}

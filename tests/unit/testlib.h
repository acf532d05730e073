/* SPDX-License-Identifier: MIT */
/* A minimal test harness: checks print file:line and the values compared,
 * and the run ends with "N passed, N failed". */
#ifndef KMEMSNAP_TESTLIB_H
#define KMEMSNAP_TESTLIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "internal.h"

extern int tl_failures;
extern int tl_checks;

void tl_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define CHECK(cond)                                                          \
	do {                                                                 \
		tl_checks++;                                                 \
		if (!(cond))                                                 \
			tl_fail(__FILE__, __LINE__, "%s", #cond);            \
	} while (0)

#define CHECK_EQ_U(a, b)                                                     \
	do {                                                                 \
		unsigned long long va_ = (unsigned long long)(a);            \
		unsigned long long vb_ = (unsigned long long)(b);            \
		tl_checks++;                                                 \
		if (va_ != vb_)                                              \
			tl_fail(__FILE__, __LINE__, "%s == %s: %llu != %llu", \
				#a, #b, va_, vb_);                           \
	} while (0)

#define CHECK_EQ_S(a, b)                                                     \
	do {                                                                 \
		const char *sa_ = (a), *sb_ = (b);                           \
		tl_checks++;                                                 \
		if (!sa_ || !sb_ || strcmp(sa_, sb_) != 0)                   \
			tl_fail(__FILE__, __LINE__, "%s == %s: \"%s\" != \"%s\"", \
				#a, #b, sa_ ? sa_ : "(null)",                \
				sb_ ? sb_ : "(null)");                       \
	} while (0)

/* Runs a named test function and reports it. */
#define RUN(fn) tl_run(#fn, fn)
void tl_run(const char *name, void (*fn)(void));
/* Prints the summary line; returns the process exit code. */
int tl_summary(void);

/* Path below $KMEMSNAP_FIXTURES (tests/fixtures); static buffer. */
const char *tl_fixture(const char *rel);

/* Removes dir and everything below it (rm -rf, without a shell) and
 * checks that it went. */
void tl_remove_tree(const char *dir);

/* Captures below root with the given recorder options (NULL: defaults) and
 * decodes the result. The snapshot lives until the next call. */
KsSnapshot *tl_capture(const char *root,
		       const struct kmemsnap_recorder_opts *opts);

/* Runs a parser over a file through the line reader: opens path and fills
 * lr with a static buffer of cap bytes (0: 64 KiB). */
void tl_open_lines(struct ks_lines *lr, const char *path, size_t cap);

/* A fresh arena of 16 MiB for parser tests (reset on every call). */
struct ks_arena *tl_arena(void);

#endif

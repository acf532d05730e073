/* SPDX-License-Identifier: MIT */
/* What every kmemsnap command shares: exit codes, error reporting and option
 * parsing helpers. */
#ifndef KMEMSNAP_CLI_H
#define KMEMSNAP_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Exit codes, documented in kmemsnap(1) and in every --help. */
enum {
	CLI_OK = 0,
	CLI_FAIL = 1, /* the work could not be done: a bad file, an I/O error */
	CLI_USAGE = 2, /* the command line was wrong */
};

/* Printed at the end of every --help. */
extern const char cli_exit_status_help[];

/* A command gets its own arguments; argv[0] is "kmemsnap <name>", which is
 * what getopt_long prefixes its messages with. */
int cmd_capture(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_explain(int argc, char **argv);
int cmd_ls(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_timeline(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_collect_boot(int argc, char **argv);
int cmd_watch(int argc, char **argv);

/* "kmemsnap: <what>: <message>" on stderr; what may be NULL. */
void cli_error(const char *what, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* "<prog>: <message>" (when fmt is not NULL) and a hint to run --help, on
 * stderr. Returns CLI_USAGE. */
int cli_usage_error(const char *prog, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Prints a command's help text and the exit status section to stdout.
 * Returns CLI_OK. */
int cli_help(const char *text);

/* Parses the decimal argument of option opt within [min, max]. On error
 * reports a usage error for prog and returns false. */
bool cli_parse_u32(const char *prog, const char *opt, const char *arg,
		   uint32_t min, uint32_t max, uint32_t *out);

/* Parses a byte count for option opt: decimal digits with an optional
 * binary suffix K, M, G or T (KiB, MiB, ...). On error reports a usage
 * error for prog and returns false. */
bool cli_parse_bytes(const char *prog, const char *opt, const char *arg,
		     uint64_t *out);

/* Memory for the CLI's own data. When none is left the command gives up:
 * "kmemsnap: out of memory", exit 1. cli_xrealloc checks n * size for
 * overflow; cli_xcalloc(0, ...) returns a valid pointer. */
void *cli_xcalloc(size_t n, size_t size);
void *cli_xrealloc(void *p, size_t n, size_t size);
char *cli_xstrdup(const char *s);

/* Text for a negative errno from the library or the C library. */
const char *cli_strerror(int err);

#endif /* KMEMSNAP_CLI_H */

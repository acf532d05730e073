/* SPDX-License-Identifier: MIT */
/* Error reporting and option helpers shared by the commands. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kmemsnap/kmemsnap.h>

#include "cli.h"

const char cli_exit_status_help[] =
	"\nExit status:\n"
	"  0  success\n"
	"  1  failure (a file is unreadable, damaged or not a snapshot; an I/O error)\n"
	"  2  usage error (unknown command or option, bad option value)\n";

void cli_error(const char *what, const char *fmt, ...)
{
	va_list ap;

	fputs("kmemsnap: ", stderr);
	if (what)
		fprintf(stderr, "%s: ", what);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int cli_usage_error(const char *prog, const char *fmt, ...)
{
	va_list ap;

	if (fmt) {
		fprintf(stderr, "%s: ", prog);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
	}
	fprintf(stderr, "Try '%s --help' for more information.\n", prog);
	return CLI_USAGE;
}

int cli_help(const char *text)
{
	fputs(text, stdout);
	fputs(cli_exit_status_help, stdout);
	return CLI_OK;
}

bool cli_parse_u32(const char *prog, const char *opt, const char *arg,
		   uint32_t min, uint32_t max, uint32_t *out)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(arg, &end, 10);
	/* strtoull accepts "-1" as a huge number; a count is never signed. */
	if (*arg < '0' || *arg > '9' || *end || errno || v < min || v > max) {
		cli_usage_error(prog, "%s: '%s' is not a number from %u to %u",
				opt, arg, min, max);
		return false;
	}
	*out = (uint32_t)v;
	return true;
}

bool cli_parse_bytes(const char *prog, const char *opt, const char *arg,
		     uint64_t *out)
{
	static const char suffixes[] = "KMGT";
	unsigned long long v;
	const char *unit;
	unsigned shift = 0;
	char *end;

	errno = 0;
	v = strtoull(arg, &end, 10);
	unit = *end ? strchr(suffixes, *end) : NULL;
	if (unit && end[1] == '\0') {
		shift = 10 * (unsigned)(unit - suffixes + 1);
		end++;
	}
	if (*arg < '0' || *arg > '9' || *end || errno || v > (UINT64_MAX >> shift)) {
		cli_usage_error(prog, "%s: '%s' is not a byte count (digits, "
				      "optionally followed by K, M, G or T)",
				opt, arg);
		return false;
	}
	*out = (uint64_t)v << shift;
	return true;
}

const char *cli_strerror(int err)
{
	/* The library words its own codes (EMSGSIZE, EBADMSG, ...) for what it
	 * does; anything it does not know is a plain system error. */
	const char *s = kmemsnap_strerror(err);

	return strcmp(s, "unknown error") != 0 ? s : strerror(abs(err));
}

static void out_of_memory(void)
{
	cli_error(NULL, "out of memory");
	exit(CLI_FAIL);
}

void *cli_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		out_of_memory();
	return p;
}

void *cli_xrealloc(void *p, size_t n, size_t size)
{
	void *q = size && n > SIZE_MAX / size ? NULL : realloc(p, n * size);

	if (!q)
		out_of_memory();
	return q;
}

char *cli_xstrdup(const char *s)
{
	return strcpy(cli_xrealloc(NULL, strlen(s) + 1, 1), s);
}

/* SPDX-License-Identifier: MIT */
/*
 * Pressure stall information (kernel/sched/psi.c: psi_show, 4.20+):
 *   "some avg10=%lu.%02lu avg60=%lu.%02lu avg300=%lu.%02lu total=%llu"
 * and a "full" line of the same form. The same reader serves
 * /proc/pressure/memory and a cgroup's memory.pressure.
 */
#include <errno.h>
#include <string.h>

#include "internal.h"

typedef Kmemsnap__V1__PressureLine KsPressureLine;

/* "12.34" -> 1234; the kernel always prints two decimals. */
static bool parse_centi(const char **p, uint32_t *out)
{
	uint64_t whole, frac = 0;
	int digits = 0;

	if (!ks_parse_u64(p, &whole) || whole > 100)
		return false;
	if (**p == '.') {
		(*p)++;
		while (**p >= '0' && **p <= '9' && digits < 2) {
			frac = frac * 10 + (uint64_t)(**p - '0');
			(*p)++;
			digits++;
		}
	}
	if (digits == 1)
		frac *= 10;
	*out = (uint32_t)(whole * 100 + frac);
	return true;
}

static bool parse_field(const char **p, const char *name, uint32_t *centi,
			uint64_t *total)
{
	size_t n = strlen(name);
	const char *s = ks_skip_space(*p);

	if (strncmp(s, name, n) != 0)
		return false;
	*p = s + n;
	return centi ? parse_centi(p, centi) : ks_parse_u64(p, total);
}

bool ks_parse_pressure_values(const char *line, bool *is_full,
			      KsPressureLine *out)
{
	const char *p = ks_skip_space(line);

	if (!ks_starts_with(p, "some ") && !ks_starts_with(p, "full "))
		return false;
	*is_full = p[0] == 'f';
	p += 5;
	kmemsnap__v1__pressure_line__init(out);
	if (!parse_field(&p, "avg10=", &out->avg10_centipct, NULL) ||
	    !parse_field(&p, "avg60=", &out->avg60_centipct, NULL) ||
	    !parse_field(&p, "avg300=", &out->avg300_centipct, NULL) ||
	    !parse_field(&p, "total=", NULL, &out->total_us))
		return false;
	out->has_avg10_centipct = out->has_avg60_centipct = true;
	out->has_avg300_centipct = out->has_total_us = true;
	return true;
}

bool ks_parse_pressure_line(const char *line, struct ks_arena *a,
			    Kmemsnap__V1__Pressure *out)
{
	KsPressureLine tmp, *dst;
	bool full;

	if (!ks_parse_pressure_values(line, &full, &tmp))
		return false;
	dst = ks_arena_alloc(a, sizeof(*dst));
	if (!dst)
		return false;
	*dst = tmp;
	*(full ? &out->full : &out->some) = dst;
	return true;
}

int ks_read_pressure(int dirfd, const char *path, struct ks_ctx *ctx,
		     Kmemsnap__V1__Pressure *out)
{
	char buf[512];
	long n = ks_read_small(dirfd, path, buf, sizeof(buf));
	char *line = buf;

	/* With psi=0 the file exists but read() fails with EOPNOTSUPP. */
	if (n < 0)
		return (int)n;
	while (*line) {
		char *nl = strchr(line, '\n');

		if (nl)
			*nl = '\0';
		if (*line && !ks_parse_pressure_line(line, ctx->arena, out) &&
		    out->status)
			out->status->lines_skipped++;
		if (!nl)
			break;
		line = nl + 1;
	}
	return 0;
}

void ks_section_pressure(struct ks_ctx *ctx, KsSnapshot *snap, KsStatus *st)
{
	Kmemsnap__V1__Pressure *p = ks_arena_alloc(ctx->arena, sizeof(*p));
	int err;

	if (!p)
		return;
	kmemsnap__v1__pressure__init(p);
	p->status = st;
	snap->pressure = p;
	err = ks_read_pressure(ctx->root_fd, "proc/pressure/memory", ctx, p);
	if (err < 0) {
		ks_status_unavailable(st, "proc/pressure/memory", err);
		st->detail = err == -ENOENT ? "kernel without PSI (CONFIG_PSI)"
			   : err == -EOPNOTSUPP ? "PSI disabled (psi=0)"
						: NULL;
		return;
	}
	st->has_lines_skipped = st->lines_skipped > 0;
}

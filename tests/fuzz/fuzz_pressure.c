/* SPDX-License-Identifier: MIT */
/*
 * PSI text (section_pressure.c): every line through ks_parse_pressure_line,
 * then the whole input as a file through ks_read_pressure, which reads it
 * into its own fixed buffer (/proc/pressure/memory, a cgroup's
 * memory.pressure).
 */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "fuzz.h"

typedef Kmemsnap__V1__Pressure Pressure;

/* psi_show prints at most 100.00; parse_centi takes up to 100 whole and
 * two decimals. */
#define CENTI_MAX 10099

static void check_line(const Kmemsnap__V1__PressureLine *l)
{
	if (!l)
		return;
	FZ_CHECK(l->avg10_centipct <= CENTI_MAX);
	FZ_CHECK(l->avg60_centipct <= CENTI_MAX);
	FZ_CHECK(l->avg300_centipct <= CENTI_MAX);
}

static void parse_lines(struct fz_env *e, const uint8_t *data, size_t size)
{
	struct ks_lines lr;
	Pressure p;
	char *line;
	size_t len;

	if (!fz_lines(e, &lr, data, size))
		return;
	kmemsnap__v1__pressure__init(&p);
	while (ks_lines_next(&lr, &line, &len) > 0) {
		Kmemsnap__V1__PressureLine *some = p.some, *full = p.full;

		/* Only a line that parses replaces its kind. */
		if (!ks_parse_pressure_line(line, &e->arena, &p))
			FZ_CHECK(p.some == some && p.full == full);
	}
	ks_lines_close(&lr);
	check_line(p.some);
	check_line(p.full);
	fz_check_message(&p.base);
}

/* The memfd is read again through its /proc/self/fd name. */
static void read_file(struct fz_env *e, const uint8_t *data, size_t size)
{
	int fd = fz_memfd(data, size);
	char path[64];
	Pressure p;
	KsStatus st;

	if (fd < 0)
		return;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	kmemsnap__v1__pressure__init(&p);
	kmemsnap__v1__section_status__init(&st);
	p.status = &st;
	FZ_CHECK(ks_read_pressure(AT_FDCWD, path, &e->ctx, &p) == 0);
	close(fd);
	check_line(p.some);
	check_line(p.full);
	fz_check_message(&p.base);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_env e;

	fz_env_init(&e, data, size, -1);
	parse_lines(&e, data, size);
	ks_arena_reset(&e.arena);
	read_file(&e, data, size);
	return 0;
}

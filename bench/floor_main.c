/* SPDX-License-Identifier: MIT */
/*
 * kmemsnap-floor: the floor walk (floor.c) as a program of its own.
 *
 *   kmemsnap-floor [--cat] ROOT
 *
 * Reads what a default capture of ROOT reads and prints, on standard
 * error, {"bytes":..,"opens":..,"reads":..}. With --cat every byte read is
 * copied to standard output: the raw source text, for `zstd -19`.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "floor.h"

int main(int argc, char **argv)
{
	struct floor_opts o = { .process_top_n = 32, .copy_fd = -1 };
	struct floor_result r;
	int fd;

	if (argc == 3 && strcmp(argv[1], "--cat") == 0)
		o.copy_fd = STDOUT_FILENO;
	else if (argc != 2) {
		fputs("usage: kmemsnap-floor [--cat] ROOT\n", stderr);
		return 2;
	}
	fd = open(argv[argc - 1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "kmemsnap-floor: %s: %s\n", argv[argc - 1],
			strerror(errno));
		return 1;
	}
	floor_walk(fd, &o, &r);
	close(fd);
	fprintf(stderr, "{\"bytes\":%" PRIu64 ",\"opens\":%u,\"reads\":%u}\n",
		r.bytes, r.opens, r.reads);
	return 0;
}

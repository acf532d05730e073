/* SPDX-License-Identifier: MIT */
/* kmemsnap verify: are these snapshot files intact? */
#include <getopt.h>
#include <stdio.h>

#include "cli.h"
#include "snapfile.h"
#include "units.h"

static const char help[] =
	"usage: kmemsnap verify [-q] FILE...\n"
	"\n"
	"Checks each snapshot file: the kmemsnap header and format version, the\n"
	"LZ4 frame and its checksum, and that the snapshot decodes. FILE - is\n"
	"standard input. For a good file it prints\n"
	"  FILE: ok (N bytes, format vX, snapshot of HOST at TIME)\n"
	"and for a bad one 'kmemsnap: FILE: what is wrong' on standard error.\n"
	"\n"
	"Options:\n"
	"  -q, --quiet   print nothing for good files\n"
	"  -h, --help    show this help\n";

static void print_ok(const struct snapfile *sf)
{
	const Kmemsnap__V1__Header *h = sf->snap->header;

	printf("%s: ok (%zu bytes, format v%u, snapshot of %s at %s)\n",
	       sf->name, sf->file_bytes, sf->info.format_version,
	       h && h->hostname ? h->hostname : "an unnamed host",
	       h && h->has_realtime_ns ? human_time_utc(h->realtime_ns).s :
					 "an unknown time");
}

int cmd_verify(int argc, char **argv)
{
	static const struct option options[] = {
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	bool quiet = false;
	int rc = CLI_OK;
	int c;

	while ((c = getopt_long(argc, argv, "qh", options, NULL)) != -1) {
		switch (c) {
		case 'q': quiet = true; break;
		case 'h': return cli_help(help);
		default: return cli_usage_error(argv[0], NULL);
		}
	}
	if (optind == argc)
		return cli_usage_error(argv[0], "no FILE given");
	for (; optind < argc; optind++) {
		struct snapfile sf;

		if (snapfile_open(&sf, argv[optind]) < 0) {
			cli_error(sf.name, "%s", sf.error);
			rc = CLI_FAIL;
		} else if (!quiet) {
			print_ok(&sf);
		}
		snapfile_close(&sf);
	}
	return rc;
}

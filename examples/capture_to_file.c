/* SPDX-License-Identifier: MIT */
/*
 * The smallest complete use of libkmemsnap: one snapshot to a file.
 *
 *   capture_to_file [--root DIR] OUT.kms
 *
 * A long-running program would create the recorder once at start-up and call
 * kmemsnap_capture_to_file() when something happens: the capture itself
 * allocates nothing and is async-signal-safe.
 *
 * Build against an installed library with
 *   cc capture_to_file.c $(pkg-config --cflags --libs kmemsnap)
 */
#include <stdio.h>
#include <string.h>

#include <kmemsnap/kmemsnap.h>

static int usage(void)
{
	fprintf(stderr, "usage: capture_to_file [--root DIR] OUT.kms\n");
	return 2;
}

int main(int argc, char **argv)
{
	/* .root NULL means "/": this machine. */
	KMEMSNAP_OPTS(kmemsnap_recorder_opts, opts, .root = NULL);
	struct kmemsnap_recorder *rec;
	const char *out;
	int err;

	if (argc == 4 && strcmp(argv[1], "--root") == 0) {
		opts.root = argv[2];
		out = argv[3];
	} else if (argc == 2 && argv[1][0] != '-') {
		out = argv[1];
	} else {
		return usage();
	}

	err = kmemsnap_recorder_new(&rec, &opts);
	if (err < 0) {
		fprintf(stderr, "capture_to_file: %s: %s\n",
			opts.root ? opts.root : "/", kmemsnap_strerror(err));
		return 1;
	}
	err = kmemsnap_capture_to_file(rec, NULL, out);
	kmemsnap_recorder_free(rec);
	if (err < 0) {
		fprintf(stderr, "capture_to_file: %s: %s\n", out,
			kmemsnap_strerror(err));
		return 1;
	}
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * kmemsnap: the command-line tool. A table of commands in the style of git
 * and bpftool; each command lives in its own cmd_<name>.c with its own
 * --help.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <kmemsnap/kmemsnap.h>

#include "cli.h"

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static int cmd_help(int argc, char **argv);

static const struct command commands[] = {
	{ "capture", cmd_capture, "take a snapshot of this machine's memory" },
	{ "watch", cmd_watch, "snapshot on memory pressure, OOM kills and a timer (daemon)" },
	{ "show", cmd_show, "print a snapshot for a person, or as JSON" },
	{ "verify", cmd_verify, "check that snapshot files are intact" },
	{ "explain", cmd_explain, "account for all memory and say what stands out" },
	{ "diff", cmd_diff, "show what changed between two snapshots" },
	{ "export", cmd_export, "write snapshots as OpenMetrics or JSON lines" },
	{ "timeline", cmd_timeline, "snapshots over time, boot by boot, and what grows" },
	{ "report", cmd_report, "write an HTML report with charts of snapshots over time" },
	{ "ls", cmd_ls, "list the snapshots in a store directory" },
	{ "collect-boot", cmd_collect_boot, "file what pstore kept of the previous boot" },
	{ "help", cmd_help, "show the help of kmemsnap or of a command" },
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static const char usage[] =
	"usage: kmemsnap [--help] [--version] <command> [<args>]\n";

static int main_help(void)
{
	size_t i;

	fputs(usage, stdout);
	fputs("\nA black-box recorder for Linux memory: takes snapshots of where the\n"
	      "memory is and explains them later.\n\nCommands:\n",
	      stdout);
	for (i = 0; i < N_COMMANDS; i++)
		printf("  %-12s %s\n", commands[i].name, commands[i].summary);
	fputs("\nRun 'kmemsnap <command> --help' for the options of a command.\n",
	      stdout);
	return cli_help("");
}

static const struct command *find_command(const char *name)
{
	size_t i;

	for (i = 0; i < N_COMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

/* Runs cmd with argv[0] replaced by "kmemsnap <name>", the prefix of its
 * messages and of getopt_long's. */
static int run_command(const struct command *cmd, int argc, char **argv)
{
	static char prog[64];

	snprintf(prog, sizeof(prog), "kmemsnap %s", cmd->name);
	argv[0] = prog;
	return cmd->run(argc, argv);
}

/* "kmemsnap help [COMMAND]" */
static int cmd_help(int argc, char **argv)
{
	const struct command *cmd;
	char help_opt[] = "--help";
	char *help_argv[] = { NULL, help_opt, NULL };

	if (argc < 2 || strcmp(argv[1], "help") == 0 ||
	    strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
		return argc > 2 ?
			       cli_usage_error(argv[0], "too many arguments") :
			       main_help();
	if (argc > 2)
		return cli_usage_error(argv[0], "too many arguments");
	cmd = find_command(argv[1]);
	if (!cmd)
		return cli_usage_error("kmemsnap", "'%s' is not a command",
				       argv[1]);
	return run_command(cmd, 2, help_argv);
}

int main(int argc, char **argv)
{
	const struct command *cmd;
	int rc, werr;

	if (argc < 2) {
		fputs(usage, stderr);
		return cli_usage_error("kmemsnap", NULL);
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
		return main_help();
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
		printf("kmemsnap %s\n", kmemsnap_version());
		return CLI_OK;
	}
	if (argv[1][0] == '-')
		return cli_usage_error("kmemsnap", "unknown option '%s'",
				       argv[1]);
	cmd = find_command(argv[1]);
	if (!cmd)
		return cli_usage_error("kmemsnap", "'%s' is not a command",
				       argv[1]);
	rc = run_command(cmd, argc - 1, argv + 1);
	/* Output is buffered: a full disk shows only now. */
	werr = fflush(stdout) != 0 ? errno : 0;
	if (werr || ferror(stdout)) {
		cli_error("stdout", "write error%s%s", werr ? ": " : "",
			  werr ? strerror(werr) : "");
		return rc == CLI_OK ? CLI_FAIL : rc;
	}
	return rc;
}

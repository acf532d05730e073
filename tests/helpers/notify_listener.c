/* SPDX-License-Identifier: MIT */
/*
 * Stands in for systemd's end of sd_notify(3) in tests: binds a datagram
 * socket at PATH and prints every message it receives, one per line,
 * until one says STOPPING=1 or none arrives for SECONDS.
 *
 *   notify_listener PATH SECONDS
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct timeval tv = { 0 };
	char msg[4096];
	ssize_t n;
	int fd;

	if (argc != 3 || strlen(argv[1]) >= sizeof(addr.sun_path)) {
		fprintf(stderr, "usage: notify_listener PATH SECONDS\n");
		return 2;
	}
	tv.tv_sec = atoi(argv[2]);
	memcpy(addr.sun_path, argv[1], strlen(argv[1]));
	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) {
		perror(argv[1]);
		return 1;
	}
	while ((n = recv(fd, msg, sizeof(msg) - 1, 0)) >= 0) {
		msg[n] = '\0';
		printf("%s\n", msg);
		fflush(stdout);
		if (strstr(msg, "STOPPING=1"))
			break;
	}
	close(fd);
	unlink(argv[1]);
	return 0;
}

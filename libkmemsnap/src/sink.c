/* SPDX-License-Identifier: MIT */
/* Sinks: a file descriptor, or a path replaced atomically. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h> /* renameat */
#include <string.h>
#include <unistd.h>

#include "internal.h"

int ks_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* ".<name>.<pid>.<seq>.tmp": unique per process and call, hidden from the
 * store's listing, built without snprintf (not async-signal-safe). */
static int temp_name(char *out, size_t cap, const char *name)
{
	static unsigned long seq;
	char num[24];
	size_t name_len = strlen(name);
	size_t n = 0;

	if (name_len + 64 > cap)
		return -ENAMETOOLONG;
	out[n++] = '.';
	memcpy(out + n, name, name_len);
	n += name_len;
	out[n++] = '.';
	n += ks_format_u64(out + n, (uint64_t)getpid());
	out[n++] = '.';
	ks_format_u64(num, __atomic_add_fetch(&seq, 1, __ATOMIC_RELAXED));
	memcpy(out + n, num, strlen(num));
	n += strlen(num);
	memcpy(out + n, ".tmp", 5);
	return 0;
}

int ks_write_temp(int dirfd, const char *name, const void *buf, size_t len,
		  char *tmp, size_t tmp_cap)
{
	int fd;
	int err;

	err = temp_name(tmp, tmp_cap, name);
	if (err < 0)
		return err;
	fd = openat(dirfd, tmp,
		    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	err = ks_write_all(fd, buf, len);
	if (err == 0 && fsync(fd) < 0)
		err = -errno;
	if (close(fd) < 0 && err == 0)
		err = -errno;
	if (err < 0)
		unlinkat(dirfd, tmp, 0);
	return err;
}

int ks_write_file_atomic(int dirfd, const char *name, const void *buf,
			 size_t len)
{
	char tmp[KS_TEMP_NAME_MAX];
	int err;

	err = ks_write_temp(dirfd, name, buf, len, tmp, sizeof(tmp));
	if (err < 0)
		return err;
	if (renameat(dirfd, tmp, dirfd, name) < 0) {
		err = -errno;
		unlinkat(dirfd, tmp, 0);
		return err;
	}
	/* The rename is durable only once the directory is on disk. */
	if (fsync(dirfd) < 0 && errno != EINVAL)
		return -errno;
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * Reading options structs that carry their own size (the libbpf convention):
 * a field is read only when it fits inside opts->sz, and bytes past the fields
 * this library knows must be zero, so a newer caller's request is never
 * silently ignored.
 */
#ifndef KMEMSNAP_OPTS_H
#define KMEMSNAP_OPTS_H

#include <stdbool.h>
#include <stddef.h>

#define KS_OPT_HAS(opts, field)                                              \
	((opts) && (opts)->sz >= offsetof(__typeof__(*(opts)), field) +       \
				      sizeof((opts)->field))
#define KS_OPT(opts, field, fallback)                                        \
	(KS_OPT_HAS(opts, field) && (opts)->field ? (opts)->field : (fallback))

/* True when opts is NULL, or sized sanely with zeros past `known` bytes. */
static inline bool ks_opts_valid(const void *opts, size_t sz, size_t known)
{
	const unsigned char *p = opts;
	size_t i;

	if (!opts)
		return true;
	if (sz < sizeof(size_t))
		return false;
	for (i = known; i < sz; i++)
		if (p[i])
			return false;
	return true;
}

#endif /* KMEMSNAP_OPTS_H */

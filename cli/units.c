/* SPDX-License-Identifier: MIT */
/* Formatting for people. */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kmemsnap.pb-c.h"
#include "units.h"

#define NS_PER_SEC 1000000000ull

struct human human_count(uint64_t n)
{
	struct human h;

	snprintf(h.s, sizeof(h.s), "%llu", (unsigned long long)n);
	return h;
}

struct human human_bytes(uint64_t bytes)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB" };
	struct human h;
	double v = (double)bytes;
	size_t u = 0;

	if (bytes < 1024) {
		snprintf(h.s, sizeof(h.s), "%llu B", (unsigned long long)bytes);
		return h;
	}
	v /= 1024;
	while (v >= 1024 && u + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1024;
		u++;
	}
	snprintf(h.s, sizeof(h.s), "%.1f %s", v, units[u]);
	return h;
}

struct human human_kb(uint64_t kb)
{
	return human_bytes(kb > UINT64_MAX / 1024 ? UINT64_MAX : kb * 1024);
}

struct human human_percent(uint64_t part, uint64_t whole)
{
	struct human h;

	if (whole == 0)
		snprintf(h.s, sizeof(h.s), "-");
	else
		snprintf(h.s, sizeof(h.s), "%.1f%%",
			 100.0 * (double)part / (double)whole);
	return h;
}

struct human human_duration_ns(uint64_t ns)
{
	struct human h;
	unsigned long long s = ns / NS_PER_SEC;

	if (ns < 1000)
		snprintf(h.s, sizeof(h.s), "%llu ns", (unsigned long long)ns);
	else if (ns < 1000000)
		snprintf(h.s, sizeof(h.s), "%.1f us", (double)ns / 1e3);
	else if (ns < NS_PER_SEC)
		snprintf(h.s, sizeof(h.s), "%.1f ms", (double)ns / 1e6);
	else if (s < 60)
		snprintf(h.s, sizeof(h.s), "%.1f s", (double)ns / 1e9);
	else if (s < 3600)
		snprintf(h.s, sizeof(h.s), "%llum %llus", s / 60, s % 60);
	else if (s < 86400)
		snprintf(h.s, sizeof(h.s), "%lluh %llum %llus", s / 3600,
			 s / 60 % 60, s % 60);
	else
		snprintf(h.s, sizeof(h.s), "%llud %lluh %llum %llus", s / 86400,
			 s / 3600 % 24, s / 60 % 60, s % 60);
	return h;
}

struct human human_time_utc(uint64_t realtime_ns)
{
	struct human h;
	time_t t = (time_t)(realtime_ns / NS_PER_SEC);
	unsigned ms = (unsigned)(realtime_ns % NS_PER_SEC / 1000000);
	struct tm tm;
	size_t n;

	if (!gmtime_r(&t, &tm) ||
	    !(n = strftime(h.s, sizeof(h.s), "%Y-%m-%dT%H:%M:%S", &tm))) {
		snprintf(h.s, sizeof(h.s), "%llu ns",
			 (unsigned long long)realtime_ns);
		return h;
	}
	snprintf(h.s + n, sizeof(h.s) - n, ".%03uZ", ms);
	return h;
}

struct human human_time_local(uint64_t realtime_ns)
{
	struct human h;
	time_t t = (time_t)(realtime_ns / NS_PER_SEC);
	struct tm tm;

	if (!localtime_r(&t, &tm) ||
	    !strftime(h.s, sizeof(h.s), "%Y-%m-%d %H:%M:%S %z %Z", &tm))
		snprintf(h.s, sizeof(h.s), "?");
	return h;
}

struct human human_errno(int err)
{
	struct human h;
	const char *name = strerrorname_np(err);
	char text[64];

	/* "Permission denied" reads as part of a sentence in lower case. */
	snprintf(text, sizeof(text), "%s", strerror(err));
	text[0] = (char)tolower((unsigned char)text[0]);
	if (name)
		snprintf(h.s, sizeof(h.s), "%s (%s)", name, text);
	else
		snprintf(h.s, sizeof(h.s), "errno %d (%s)", err, text);
	return h;
}

/* Length of the well-formed UTF-8 sequence at s (RFC 3629: no overlong
 * forms, no surrogates, nothing above U+10FFFF), or 0. */
size_t utf8_len(const uint8_t *s, size_t left)
{
	uint32_t c;
	size_t n, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, c = s[0] & 0x1f;
	else if ((s[0] & 0xf0) == 0xe0)
		n = 3, c = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, c = s[0] & 0x07;
	else
		return 0;
	if (left < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if (n == 3 && (c < 0x800 || (c >= 0xd800 && c <= 0xdfff)))
		return 0;
	if (n == 4 && (c < 0x10000 || c > 0x10ffff))
		return 0;
	return n;
}

struct human human_text(const char *s)
{
	struct human h;
	size_t i = 0;

	if (!s)
		s = "-";
	while (*s && i + 5 < sizeof(h.s)) {
		size_t n = utf8_len((const uint8_t *)s, strnlen(s, 4));

		if (n == 0 || (unsigned char)*s < 0x20 || *s == 0x7f) {
			h.s[i++] = '?';
			s++;
			continue;
		}
		memcpy(h.s + i, s, n);
		i += n;
		s += n;
	}
	h.s[i] = '\0';
	return h;
}

/* Length of the prefix every value name of d shares, cut back to its last
 * '_': "TRIGGER_" for Trigger, "VMALLOC_FLAG_" for VmallocFlag. */
static size_t enum_prefix_len(const ProtobufCEnumDescriptor *d)
{
	const char *first = d->values[0].name;
	size_t len = strlen(first);
	unsigned i;

	for (i = 1; i < d->n_values; i++) {
		size_t k = 0;

		while (k < len && first[k] == d->values[i].name[k])
			k++;
		len = k;
	}
	while (len > 0 && first[len - 1] != '_')
		len--;
	return len;
}

struct human enum_word(const ProtobufCEnumDescriptor *desc, int value)
{
	const ProtobufCEnumValue *v =
		protobuf_c_enum_descriptor_get_value(desc, value);
	struct human h;
	const char *p;
	size_t i = 0;

	if (!v) {
		snprintf(h.s, sizeof(h.s), "%d", value);
		return h;
	}
	for (p = v->name + enum_prefix_len(desc); *p && i + 1 < sizeof(h.s);
	     p++)
		h.s[i++] = *p == '_' ? '-' : (char)tolower((unsigned char)*p);
	h.s[i] = '\0';
	return h;
}

int enum_from_word(const ProtobufCEnumDescriptor *desc, const char *word)
{
	unsigned i;

	for (i = 0; i < desc->n_values; i++)
		if (strcmp(enum_word(desc, desc->values[i].value).s, word) == 0)
			return desc->values[i].value;
	return -1;
}

struct human vmalloc_flag_words(uint32_t flags)
{
	const ProtobufCEnumDescriptor *d =
		&kmemsnap__v1__vmalloc_flag__descriptor;
	struct human h = { "" };
	size_t len = 0;
	unsigned i;

	for (i = 0; i < d->n_values; i++) {
		uint32_t bit = (uint32_t)d->values[i].value;

		if (bit == 0 || (flags & bit) != bit)
			continue;
		flags &= ~bit;
		len += (size_t)snprintf(h.s + len, sizeof(h.s) - len, "%s%s",
					len ? "," : "",
					enum_word(d, (int)bit).s);
		if (len >= sizeof(h.s))
			return h;
	}
	if (flags)
		snprintf(h.s + len, sizeof(h.s) - len, "%s0x%x", len ? "," : "",
			 flags);
	else if (len == 0)
		snprintf(h.s, sizeof(h.s), "-");
	return h;
}

static bool color_on;

int color_parse(const char *arg)
{
	if (strcmp(arg, "auto") == 0)
		return COLOR_AUTO;
	if (strcmp(arg, "always") == 0)
		return COLOR_ALWAYS;
	if (strcmp(arg, "never") == 0)
		return COLOR_NEVER;
	return -1;
}

void color_setup(enum color_when when)
{
	const char *no_color = getenv("NO_COLOR");

	if (when == COLOR_AUTO)
		color_on = isatty(STDOUT_FILENO) && !(no_color && *no_color);
	else
		color_on = when == COLOR_ALWAYS;
}

const char *color(enum color c)
{
	static const char *const seq[] = {
		[COLOR_RESET] = "\033[0m",  [COLOR_BOLD] = "\033[1m",
		[COLOR_RED] = "\033[31m",   [COLOR_YELLOW] = "\033[33m",
		[COLOR_GREEN] = "\033[32m",
	};

	return color_on ? seq[c] : "";
}

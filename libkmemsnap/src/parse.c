/* SPDX-License-Identifier: MIT */
/*
 * Text helpers for kernel files. They avoid strtoull and sscanf: those
 * consult the locale and are not async-signal-safe.
 */
#include <string.h>

#include "internal.h"

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' ||
	       c == '\f';
}

const char *ks_skip_space(const char *p)
{
	while (is_blank(*p))
		p++;
	return p;
}

bool ks_parse_u64(const char **p, uint64_t *out)
{
	const char *s = ks_skip_space(*p);
	uint64_t v = 0;

	if (*s < '0' || *s > '9')
		return false;
	for (; *s >= '0' && *s <= '9'; s++) {
		unsigned digit = (unsigned)(*s - '0');

		if (v > (UINT64_MAX - digit) / 10)
			return false;
		v = v * 10 + digit;
	}
	*p = s;
	*out = v;
	return true;
}

bool ks_parse_i64(const char **p, int64_t *out)
{
	const char *s = ks_skip_space(*p);
	bool negative = *s == '-';
	uint64_t magnitude;

	if (negative)
		s++;
	if (!ks_parse_u64(&s, &magnitude) || magnitude > (uint64_t)INT64_MAX)
		return false;
	*out = negative ? -(int64_t)magnitude : (int64_t)magnitude;
	*p = s;
	return true;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

bool ks_parse_hex(const char **p, uint64_t *out)
{
	const char *s = ks_skip_space(*p);
	uint64_t v = 0;
	int d;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && hex_digit(s[2]) >= 0)
		s += 2;
	if (hex_digit(*s) < 0)
		return false;
	for (; (d = hex_digit(*s)) >= 0; s++) {
		if (v >> 60)
			return false;
		v = (v << 4) | (uint64_t)d;
	}
	*p = s;
	*out = v;
	return true;
}

bool ks_next_token(const char **p, const char **tok, size_t *len)
{
	const char *s = ks_skip_space(*p);
	const char *e = s;

	if (*s == '\0')
		return false;
	while (*e && !is_blank(*e))
		e++;
	*tok = s;
	*len = (size_t)(e - s);
	*p = e;
	return true;
}

bool ks_token_is(const char *tok, size_t len, const char *word)
{
	return strlen(word) == len && memcmp(tok, word, len) == 0;
}

bool ks_starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool ks_parse_kv(const char *line, struct ks_kv *kv)
{
	const char *key = ks_skip_space(line);
	const char *colon = strchr(key, ':');
	const char *p;
	size_t unit_len;

	if (!colon || colon == key)
		return false;
	p = colon + 1;
	if (!ks_parse_u64(&p, &kv->value))
		return false;
	kv->key = key;
	kv->key_len = (size_t)(colon - key);
	if (!ks_next_token(&p, &kv->unit, &unit_len)) {
		kv->unit = p;
		unit_len = 0;
	}
	kv->unit_len = unit_len;
	return true;
}

size_t ks_format_u64(char *buf, uint64_t v)
{
	char tmp[20];
	size_t n = 0;
	size_t i;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];
	buf[n] = '\0';
	return n;
}

uint64_t ks_hash_bytes(const void *data, size_t len, uint64_t seed)
{
	const unsigned char *b = data;
	uint64_t h = 0xcbf29ce484222325ull ^ seed;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= b[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

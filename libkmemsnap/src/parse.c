/* SPDX-License-Identifier: MIT */
/*
 * Text helpers for kernel files. They avoid strtoull and sscanf: those
 * consult the locale and are not async-signal-safe.
 */
#include <string.h>

#include "internal.h"

/* What a byte is to the tokenizer: a table lookup per byte, because
 * slabinfo and vmallocinfo pad their columns with runs of blanks and these
 * loops see every byte of them. */
enum { BYTE_OTHER, BYTE_BLANK, BYTE_END };

static const uint8_t byte_class[256] = {
	['\0'] = BYTE_END,   [' '] = BYTE_BLANK,  ['\t'] = BYTE_BLANK,
	['\r'] = BYTE_BLANK, ['\n'] = BYTE_BLANK, ['\v'] = BYTE_BLANK,
	['\f'] = BYTE_BLANK,
};

static bool is_blank(char c)
{
	return byte_class[(unsigned char)c] == BYTE_BLANK;
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

		/* v * 10 + digit > UINT64_MAX, tested without a division. */
		if (v >= UINT64_MAX / 10 &&
		    (v > UINT64_MAX / 10 || digit > UINT64_MAX % 10))
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

/* A digit's value + 1, 0 for a byte that is none: vmallocinfo has two
 * 16-digit addresses per line, and a lookup is cheaper than three ranges. */
const uint8_t ks_hex_plus_one[256] = {
	['0'] = 1,   ['1'] = 2,   ['2'] = 3,   ['3'] = 4,   ['4'] = 5,
	['5'] = 6,   ['6'] = 7,   ['7'] = 8,   ['8'] = 9,   ['9'] = 10,
	['a'] = 11,  ['b'] = 12,  ['c'] = 13,  ['d'] = 14,  ['e'] = 15,
	['f'] = 16,  ['A'] = 11,  ['B'] = 12,  ['C'] = 13,  ['D'] = 14,
	['E'] = 15,  ['F'] = 16,
};

bool ks_parse_hex(const char **p, uint64_t *out)
{
	const char *s = ks_skip_space(*p);
	const char *digits;
	uint64_t v = 0;
	int d;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && ks_hex_digit(s[2]) >= 0)
		s += 2;
	if (ks_hex_digit(*s) < 0)
		return false;
	/* Leading zeros add nothing; more than 16 digits after them do not
	 * fit. Counting once beats testing v at every digit. */
	while (*s == '0')
		s++;
	for (digits = s; (d = ks_hex_digit(*s)) >= 0; s++)
		v = (v << 4) | (uint64_t)d;
	if (s - digits > 16)
		return false;
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
	while (byte_class[(unsigned char)*e] == BYTE_OTHER)
		e++;
	*tok = s;
	*len = (size_t)(e - s);
	*p = e;
	return true;
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

/* The last 1..7 bytes of a key, the first of them lowest. After eight
 * bytes or more, the bytes before the tail can be read too: one load and a
 * shift give the same number as the loop, whose branch on the length
 * mispredicted for every caller and frame. */
static uint64_t tail_word(const unsigned char *b, size_t len, bool after_words)
{
	uint64_t w = 0;
	size_t i;

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	if (after_words) {
		memcpy(&w, b + len - 8, 8);
		return w >> (8 * (8 - len));
	}
#else
	(void)after_words;
#endif
	for (i = 0; i < len; i++)
		w |= (uint64_t)b[i] << (8 * i);
	return w;
}

/* Eight bytes per step (a multiply and a shift each), then murmur3's
 * finalizer so that the low bits, which index the tables, depend on every
 * byte. Byte-at-a-time FNV-1a was a tenth of a capture's instructions:
 * every vmalloc caller and kmemleak frame is hashed. Equal keys are still
 * compared in full; the hash only spreads them. */
uint64_t ks_hash_bytes(const void *data, size_t len, uint64_t seed)
{
	const unsigned char *start = data;
	const unsigned char *b = start;
	uint64_t h = seed ^ (len * 0x9e3779b97f4a7c15ull);
	uint64_t w;

	for (; len >= 8; b += 8, len -= 8) {
		memcpy(&w, b, 8);
		h = (h ^ w) * 0xbf58476d1ce4e5b9ull;
		h ^= h >> 31;
	}
	if (len > 0) {
		w = tail_word(b, len, b != start);
		h = (h ^ w) * 0xbf58476d1ce4e5b9ull;
		h ^= h >> 31;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	return h ^ (h >> 33);
}

/* SPDX-License-Identifier: MIT */
/*
 * Canonical protobuf JSON from protobuf-c descriptors.
 *
 * protobuf-c describes each message with a ProtobufCMessageDescriptor whose
 * fields (sorted by number, the order protoc's JSON printer uses too) give
 * each member's label, type, offset in the C struct, and the offset of its
 * quantifier: has_<name> for proto2 optional scalars, n_<name> for repeated
 * fields, the case member for a oneof.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "units.h"

struct json {
	FILE *out;
	bool pretty;
	unsigned depth;
};

static const void *member_at(const ProtobufCMessage *m, unsigned offset)
{
	return (const uint8_t *)m + offset;
}

static void newline(struct json *j)
{
	unsigned i;

	if (!j->pretty)
		return;
	fputc('\n', j->out);
	for (i = 0; i < j->depth; i++)
		fputs("  ", j->out);
}

/* ---- strings ------------------------------------------------------------ */

/* A JSON string. Kernel text is mostly ASCII or UTF-8 (comm names, mount
 * points); each byte that is not part of valid UTF-8 becomes U+FFFD so the
 * output is always valid JSON. */
static void put_string(struct json *j, const uint8_t *s, size_t len)
{
	size_t i = 0;

	fputc('"', j->out);
	while (i < len) {
		size_t n = utf8_len(s + i, len - i);

		if (n == 0) {
			fputs("\xef\xbf\xbd", j->out);
			i++;
			continue;
		}
		if (s[i] == '"' || s[i] == '\\')
			fprintf(j->out, "\\%c", s[i]);
		else if (s[i] == '\n')
			fputs("\\n", j->out);
		else if (s[i] == '\t')
			fputs("\\t", j->out);
		else if (s[i] < 0x20)
			fprintf(j->out, "\\u%04x", s[i]);
		else
			fwrite(s + i, 1, n, j->out);
		i += n;
	}
	fputc('"', j->out);
}

/* bytes: standard base64 with padding (RFC 4648 section 4). */
static void put_base64(struct json *j, const ProtobufCBinaryData *b)
{
	static const char digits[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i;

	fputc('"', j->out);
	for (i = 0; i < b->len; i += 3) {
		uint32_t v = (uint32_t)b->data[i] << 16;
		size_t left = b->len - i;

		if (left > 1)
			v |= (uint32_t)b->data[i + 1] << 8;
		if (left > 2)
			v |= b->data[i + 2];
		fputc(digits[v >> 18 & 63], j->out);
		fputc(digits[v >> 12 & 63], j->out);
		fputc(left > 1 ? digits[v >> 6 & 63] : '=', j->out);
		fputc(left > 2 ? digits[v & 63] : '=', j->out);
	}
	fputc('"', j->out);
}

/* The JSON name of a field, as protoc's ToJsonName derives it: each '_' is
 * dropped and the character after it upper-cased (a digit stays as it is),
 * so direct_map_4k_kb is "directMap4kKb". */
static void put_name(struct json *j, const char *name)
{
	bool upper = false;

	fputc('"', j->out);
	for (; *name; name++) {
		if (*name == '_') {
			upper = true;
			continue;
		}
		fputc(upper && *name >= 'a' && *name <= 'z' ?
			      *name - 'a' + 'A' :
			      *name,
		      j->out);
		upper = false;
	}
	fputs(j->pretty ? "\": " : "\":", j->out);
}

/* ---- values ------------------------------------------------------------- */

static void put_message(struct json *j, const ProtobufCMessage *m);

/* JSON has no NaN or infinity; the mapping spells them as strings. Finite
 * values get the fewest digits that read back as the same number (7.5, not
 * 7.5000000000000000), up to the type's round-trip precision. */
static void put_double(struct json *j, double v, int digits)
{
	char buf[40];
	int d;

	if (isnan(v)) {
		fputs("\"NaN\"", j->out);
		return;
	}
	if (isinf(v)) {
		fputs(v > 0 ? "\"Infinity\"" : "\"-Infinity\"", j->out);
		return;
	}
	for (d = 1; d < digits; d++) {
		snprintf(buf, sizeof(buf), "%.*g", d, v);
		if (digits > 9 ? strtod(buf, NULL) == v
			       : strtof(buf, NULL) == (float)v)
			break;
	}
	if (d == digits)
		snprintf(buf, sizeof(buf), "%.*g", digits, v);
	fputs(buf, j->out);
}

/* One value of field f stored at p. 64-bit integers are quoted: JSON
 * readers often hold numbers as doubles, exact only up to 2^53. */
static void put_value(struct json *j, const ProtobufCFieldDescriptor *f,
		      const void *p)
{
	const ProtobufCEnumValue *ev;

	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		fprintf(j->out, "%d", *(const int32_t *)p);
		break;
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		fprintf(j->out, "%u", *(const uint32_t *)p);
		break;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		fprintf(j->out, "\"%lld\"", (long long)*(const int64_t *)p);
		break;
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		fprintf(j->out, "\"%llu\"",
			(unsigned long long)*(const uint64_t *)p);
		break;
	case PROTOBUF_C_TYPE_FLOAT: put_double(j, *(const float *)p, 9); break;
	case PROTOBUF_C_TYPE_DOUBLE:
		put_double(j, *(const double *)p, 17);
		break;
	case PROTOBUF_C_TYPE_BOOL:
		fputs(*(const protobuf_c_boolean *)p ? "true" : "false",
		      j->out);
		break;
	case PROTOBUF_C_TYPE_ENUM:
		/* A value newer than this schema prints as its number. */
		ev = protobuf_c_enum_descriptor_get_value(f->descriptor,
							  *(const int *)p);
		if (ev)
			put_string(j, (const uint8_t *)ev->name,
				   strlen(ev->name));
		else
			fprintf(j->out, "%d", *(const int *)p);
		break;
	case PROTOBUF_C_TYPE_STRING:
		put_string(j, *(const uint8_t *const *)p,
			   strlen(*(const char *const *)p));
		break;
	case PROTOBUF_C_TYPE_BYTES: put_base64(j, p); break;
	case PROTOBUF_C_TYPE_MESSAGE:
		put_message(j, *(const ProtobufCMessage *const *)p);
		break;
	}
}

/* Size of one element of a repeated field's array, as protobuf-c lays it
 * out. */
static size_t element_size(ProtobufCType type)
{
	switch (type) {
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64: return sizeof(uint64_t);
	case PROTOBUF_C_TYPE_DOUBLE: return sizeof(double);
	case PROTOBUF_C_TYPE_BOOL: return sizeof(protobuf_c_boolean);
	case PROTOBUF_C_TYPE_STRING:
	case PROTOBUF_C_TYPE_MESSAGE: return sizeof(void *);
	case PROTOBUF_C_TYPE_BYTES: return sizeof(ProtobufCBinaryData);
	default: return sizeof(uint32_t); /* 32-bit integers, enums, float */
	}
}

/* Whether a proto3 field without presence differs from its default. */
static bool is_nonzero(const ProtobufCFieldDescriptor *f, const void *p)
{
	static const uint8_t zero[sizeof(ProtobufCBinaryData)];

	switch (f->type) {
	case PROTOBUF_C_TYPE_STRING:
		return *(const char *const *)p && **(const char *const *)p;
	case PROTOBUF_C_TYPE_BYTES:
		return ((const ProtobufCBinaryData *)p)->len > 0;
	case PROTOBUF_C_TYPE_MESSAGE: return *(const void *const *)p != NULL;
	default: return memcmp(p, zero, element_size(f->type)) != 0;
	}
}

/* Whether field f is set in m: the rules protobuf-c's packer applies. */
static bool is_present(const ProtobufCMessage *m,
		       const ProtobufCFieldDescriptor *f)
{
	const void *p = member_at(m, f->offset);
	const void *q = member_at(m, f->quantifier_offset);
	bool pointer = f->type == PROTOBUF_C_TYPE_STRING ||
		       f->type == PROTOBUF_C_TYPE_MESSAGE;

	if (f->label == PROTOBUF_C_LABEL_REPEATED)
		return *(const size_t *)q > 0;
	if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
		return *(const uint32_t *)q == f->id &&
		       (!pointer || *(const void *const *)p);
	if (f->label == PROTOBUF_C_LABEL_NONE)
		return is_nonzero(f, p);
	/* A string or submessage is unset when NULL; a string equal to its
	 * declared default is the default pointer itself. */
	if (pointer)
		return *(const void *const *)p &&
		       *(const void *const *)p != f->default_value;
	return f->label == PROTOBUF_C_LABEL_REQUIRED ||
	       *(const protobuf_c_boolean *)q;
}

static void put_field(struct json *j, const ProtobufCMessage *m,
		      const ProtobufCFieldDescriptor *f)
{
	const uint8_t *array;
	size_t i, n, size;

	put_name(j, f->name);
	if (f->label != PROTOBUF_C_LABEL_REPEATED) {
		put_value(j, f, member_at(m, f->offset));
		return;
	}
	n = *(const size_t *)member_at(m, f->quantifier_offset);
	array = *(const uint8_t *const *)member_at(m, f->offset);
	size = element_size(f->type);
	fputc('[', j->out);
	j->depth++;
	for (i = 0; i < n; i++) {
		if (i > 0)
			fputc(',', j->out);
		newline(j);
		put_value(j, f, array + i * size);
	}
	j->depth--;
	newline(j);
	fputc(']', j->out);
}

static void put_message(struct json *j, const ProtobufCMessage *m)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	bool empty = true;
	unsigned i;

	fputc('{', j->out);
	j->depth++;
	for (i = 0; i < d->n_fields; i++) {
		if (!is_present(m, &d->fields[i]))
			continue;
		if (!empty)
			fputc(',', j->out);
		empty = false;
		newline(j);
		put_field(j, m, &d->fields[i]);
	}
	j->depth--;
	if (!empty)
		newline(j);
	fputc('}', j->out);
}

void json_print(FILE *out, const ProtobufCMessage *msg, bool pretty)
{
	struct json j = { .out = out, .pretty = pretty };

	put_message(&j, msg);
	fputc('\n', out);
}

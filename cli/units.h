/* SPDX-License-Identifier: MIT */
/* Formatting for people: sizes, durations, times, errno names, enum words,
 * and terminal colour. */
#ifndef KMEMSNAP_CLI_UNITS_H
#define KMEMSNAP_CLI_UNITS_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

/* Formatted text returned by value, so a call can sit in printf's argument
 * list: printf("%s", human_bytes(n).s). */
struct human {
	char s[256];
};

/* A plain decimal number. */
struct human human_count(uint64_t n);
/* "512 B", "1.5 KiB", "3.2 GiB": binary units, one decimal. */
struct human human_bytes(uint64_t bytes);
struct human human_kb(uint64_t kb);
/* "12.5%" of whole, or "-" when whole is 0. */
struct human human_percent(uint64_t part, uint64_t whole);
/* "850 ns", "1.2 ms", "3.4 s", "2d 3h 4m 5s". */
struct human human_duration_ns(uint64_t ns);
/* CLOCK_REALTIME nanoseconds as "2024-05-01T12:34:56.789Z" (UTC, ISO 8601)
 * and as local time "2024-05-01 14:34:56 +0200 CEST". */
struct human human_time_utc(uint64_t realtime_ns);
struct human human_time_local(uint64_t realtime_ns);
/* "EACCES (permission denied)". */
struct human human_errno(int err);
/* Length of the well-formed UTF-8 sequence at s (1 to 4 bytes), or 0. */
size_t utf8_len(const uint8_t *s, size_t left);
/* Text from a snapshot, safe for a terminal: control characters (an escape
 * sequence in a hostile file) and bytes that are not UTF-8 become '?'; cut
 * at the buffer's size. NULL is "-". */
struct human human_text(const char *s);

/* An enum value as a word: the name without the prefix all the enum's
 * values share, lower case, '-' for '_': TRIGGER_BOOT_COLLECT is
 * "boot-collect". A value the descriptor does not know prints as a number. */
struct human enum_word(const ProtobufCEnumDescriptor *desc, int value);
/* The value whose word is word, or -1. */
int enum_from_word(const ProtobufCEnumDescriptor *desc, const char *word);
/* VmallocFlag bits as words, from the enum: "vmalloc,vpages"; "-" for none. */
struct human vmalloc_flag_words(uint32_t flags);

/* --color=WHEN */
enum color_when { COLOR_AUTO, COLOR_ALWAYS, COLOR_NEVER };
enum color {
	COLOR_RESET,
	COLOR_BOLD,
	COLOR_RED,
	COLOR_YELLOW,
	COLOR_GREEN,
};

/* "auto", "always" or "never" as a color_when; -1 for anything else. */
int color_parse(const char *arg);
/* Decides once whether stdout gets colour: always, never, or (auto) when it
 * is a terminal and NO_COLOR is unset (https://no-color.org). */
void color_setup(enum color_when when);
/* The escape sequence for c, or "" when colour is off. */
const char *color(enum color c);

#endif /* KMEMSNAP_CLI_UNITS_H */

/* SPDX-License-Identifier: MIT */
/* One JSON printer for every message: it walks the protobuf-c descriptors,
 * so a field added to the schema appears without new code. */
#ifndef KMEMSNAP_CLI_JSON_H
#define KMEMSNAP_CLI_JSON_H

#include <stdbool.h>
#include <stdio.h>

#include <protobuf-c/protobuf-c.h>

/* Prints msg in protobuf's canonical JSON mapping
 * (https://protobuf.dev/programming-guides/proto3/#json): lowerCamelCase
 * names, 64-bit integers as strings, enums by name, bytes as base64, unset
 * fields omitted. pretty: two-space indentation; else one line. Ends with a
 * newline. */
void json_print(FILE *out, const ProtobufCMessage *msg, bool pretty);

#endif /* KMEMSNAP_CLI_JSON_H */

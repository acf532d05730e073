/* SPDX-License-Identifier: MIT */
/* The crash section of `kmemsnap show`: signal, fault address, and the
 * backtrace symbolized on this machine (symbolize.h). */
#ifndef KMEMSNAP_CLI_SHOW_CRASH_H
#define KMEMSNAP_CLI_SHOW_CRASH_H

#include "internal.h"

/* Debug files are looked for below $KMEMSNAP_DEBUG_DIR when it is set,
 * else below /usr/lib/debug. */
void show_crash(const Kmemsnap__V1__Crash *crash);

#endif /* KMEMSNAP_CLI_SHOW_CRASH_H */

/* SPDX-License-Identifier: MIT */
/* What the watcher adds to a snapshot, as `kmemsnap show` prints it: the
 * event that fired it and the lead-up history of light samples. */
#ifndef KMEMSNAP_CLI_SHOW_WATCH_H
#define KMEMSNAP_CLI_SHOW_WATCH_H

#include "internal.h"

/* Rows of the history table when the snapshot holds more samples. */
#define SHOW_HISTORY_ROWS 24

void show_event(const Kmemsnap__V1__WatchEvent *ev,
		const Kmemsnap__V1__Header *h);
void show_history(const Kmemsnap__V1__History *hist,
		  const Kmemsnap__V1__Header *h);

#endif /* KMEMSNAP_CLI_SHOW_WATCH_H */

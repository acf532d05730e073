/* SPDX-License-Identifier: MIT */
/* Heap-call counting for allocation-free paths (heap_counter.c). */
#ifndef KMEMSNAP_HEAP_COUNTER_H
#define KMEMSNAP_HEAP_COUNTER_H

#include <stdbool.h>

/* Read and written from signal handlers too, hence volatile. */
extern volatile int heap_counting;
extern volatile unsigned long heap_calls;

/* Sets the counter up; false when the sanitizer refused its hooks. */
bool heap_counter_install(void);
/* Resets the count and starts counting. */
void heap_counter_on(void);
/* Stops counting; returns the calls counted since heap_counter_on(). */
unsigned long heap_counter_off(void);

#endif

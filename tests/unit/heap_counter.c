/* SPDX-License-Identifier: MIT */
/*
 * Counts heap calls, for the tests that prove a path allocates nothing
 * (test_alloc.c, test_crash.c). The test executable defines malloc and
 * friends itself, so every call from the statically linked library and from
 * the shared liblz4, libprotobuf-c and libc resolves here; they forward to
 * glibc's __libc_* entry points. Under AddressSanitizer, whose allocator
 * must stay in charge, the sanitizer's malloc hook counts instead.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>

#include "heap_counter.h"

#if defined(__SANITIZE_ADDRESS__)
#define USE_SANITIZER_HOOK 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define USE_SANITIZER_HOOK 1
#endif
#endif

volatile int heap_counting;
volatile unsigned long heap_calls;

static void count_call(void)
{
	if (heap_counting)
		heap_calls++;
}

#ifdef USE_SANITIZER_HOOK

/* compiler-rt's sanitizer/allocator_interface.h, which gcc does not ship.
 * The hooks see malloc, calloc, realloc, the aligned variants and free.
 * Installing fails (returns 0) unless both hooks are given. */
int __sanitizer_install_malloc_and_free_hooks(
	void (*malloc_hook)(const volatile void *, size_t),
	void (*free_hook)(const volatile void *));

static void malloc_hook(const volatile void *ptr, size_t size)
{
	(void)ptr;
	(void)size;
	count_call();
}

/* Counted as the interposer below counts free. */
static void free_hook(const volatile void *ptr)
{
	if (ptr)
		count_call();
}

bool heap_counter_install(void)
{
	return __sanitizer_install_malloc_and_free_hooks(malloc_hook,
							 free_hook) != 0;
}

#else /* !USE_SANITIZER_HOOK */

#include <malloc.h>

/* glibc's real allocator, exported for exactly this kind of interposer. */
extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *ptr, size_t size);
extern void __libc_free(void *ptr);
extern void *__libc_memalign(size_t align, size_t size);

void *malloc(size_t size)
{
	count_call();
	return __libc_malloc(size);
}

void *calloc(size_t n, size_t size)
{
	count_call();
	return __libc_calloc(n, size);
}

void *realloc(void *ptr, size_t size)
{
	count_call();
	return __libc_realloc(ptr, size);
}

/* A free during capture means something was allocated there too (or
 * released memory it should keep): count it as well. */
void free(void *ptr)
{
	if (ptr)
		count_call();
	__libc_free(ptr);
}

void *memalign(size_t align, size_t size)
{
	count_call();
	return __libc_memalign(align, size);
}

void *aligned_alloc(size_t align, size_t size)
{
	count_call();
	return __libc_memalign(align, size);
}

int posix_memalign(void **out, size_t align, size_t size)
{
	void *p;

	count_call();
	if (align < sizeof(void *) || (align & (align - 1)) != 0)
		return EINVAL;
	p = __libc_memalign(align, size);
	if (!p)
		return ENOMEM;
	*out = p;
	return 0;
}

bool heap_counter_install(void)
{
	return true;
}

#endif /* USE_SANITIZER_HOOK */

void heap_counter_on(void)
{
	heap_calls = 0;
	heap_counting = 1;
}

unsigned long heap_counter_off(void)
{
	heap_counting = 0;
	return heap_calls;
}

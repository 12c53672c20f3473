/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Shared macros of flowcore: sequence-number comparisons, X-macro helpers,
 * branch hints and the error conventions every module follows.
 *
 * Error conventions (all modules):
 *  - constructors return a pointer, or NULL with rte_errno set;
 *  - int functions return 0 or -errno, every code listed in their header;
 *  - burst functions return a count;
 *  - functions that cannot fail are void;
 *  - fc_*_free(NULL) is a no-op.
 */
#ifndef FC_COMMON_H
#define FC_COMMON_H

#include <stdint.h>
#include <assert.h>

/** Number of elements of a true array. */
#define FC_DIM(a) (sizeof(a) / sizeof((a)[0]))

#define FC_LIKELY(x)   __builtin_expect(!!(x), 1)
#define FC_UNLIKELY(x) __builtin_expect(!!(x), 0)

/**
 * TCP sequence space comparisons (RFC 793 / RFC 1982 serial arithmetic).
 * Only compare sequence numbers through these: the signed 32-bit difference
 * is correct across wraparound as long as the two values are less than
 * 2^31 apart.
 */
#define FC_SEQ_DIFF(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)))
#define FC_SEQ_LT(a, b)   (FC_SEQ_DIFF(a, b) < 0)
#define FC_SEQ_LEQ(a, b)  (FC_SEQ_DIFF(a, b) <= 0)
#define FC_SEQ_GT(a, b)   (FC_SEQ_DIFF(a, b) > 0)
#define FC_SEQ_GEQ(a, b)  (FC_SEQ_DIFF(a, b) >= 0)

/** X-macro helpers: expand a list into enum values and name strings. */
#define FC_X_ENUM(prefix, name, ...) prefix##name,
#define FC_X_NAME(prefix, name, str, ...) [prefix##name] = str,

/** Timestamps inside flowcore are nanoseconds since the Unix epoch. */
#define FC_NS_PER_SEC  UINT64_C(1000000000)
#define FC_NS_PER_USEC UINT64_C(1000)

#endif /* FC_COMMON_H */

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TCP reassembly (see fc_reasm.h).
 */
#include <errno.h>
#include <string.h>

#include "fc_reasm.h"

static const char *const overflow_names[] = { FC_REASM_OVERFLOW_POLICIES(FC_X_NAME) };
static_assert(FC_DIM(overflow_names) == FC_REASM_OVERFLOW_MAX, "overflow policy names");

const char *
fc_reasm_overflow_name(unsigned int policy)
{
	return policy < FC_REASM_OVERFLOW_MAX ? overflow_names[policy] : "?";
}

int
fc_reasm_overflow_parse(const char *s, uint8_t *policy)
{
	for (unsigned int i = 0; i < FC_REASM_OVERFLOW_MAX; i++)
		if (strcmp(s, overflow_names[i]) == 0) {
			*policy = (uint8_t)i;
			return 0;
		}
	return -EINVAL;
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * EAL set-up shared by every unit test binary. One rte_eal_init per
 * process (a second call fails with EALREADY), with the arguments that
 * work on a machine without hugepages or NICs.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <cmocka.h>

#include <rte_eal.h>

#include "eal.h"

int
fctest_eal_setup(void **state)
{
	char *argv[] = {
		"fctest", "--no-huge", "--no-pci", "--no-shconf", "-m", "256",
		"--lcores", "0@(0-1)", "--log-level=error", "--no-telemetry",
		NULL,
	};
	(void)state;
	return rte_eal_init((int)(sizeof(argv) / sizeof(argv[0])) - 1, argv) < 0 ?
		-1 : 0;
}

int
fctest_eal_teardown(void **state)
{
	(void)state;
	return rte_eal_cleanup() == 0 ? 0 : -1;
}

const char *
fctest_shared_dir(void)
{
	const char *d = getenv("FC_SHARED_DIR");

	return d != NULL && d[0] != '\0' ? d : "../shared";
}

/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * One EAL per cmocka test binary: pass these as the group setup and
 * teardown of cmocka_run_group_tests(). EAL runs with --no-huge --no-pci
 * --no-shconf --no-telemetry, so binaries run in parallel and leave no
 * files behind.
 */
#ifndef FCTEST_EAL_H
#define FCTEST_EAL_H

/** cmocka group setup: rte_eal_init with the test arguments; -1 on failure. */
int fctest_eal_setup(void **state);

/** cmocka group teardown: rte_eal_cleanup. */
int fctest_eal_teardown(void **state);

/** Directory of the shared corpus (pcaps/, groundtruth/), from FC_SHARED_DIR or ../shared. */
const char *fctest_shared_dir(void);

#endif /* FCTEST_EAL_H */

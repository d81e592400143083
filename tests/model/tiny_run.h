/*
 * tiny_run.h — for the model suite's tests that train through model_run(): a run directory made
 * in a fresh temporary folder from a run.yaml text, trained on one thread, and its config read
 * back. Declarations only (tiny_run.c).
 */
#ifndef SF_TESTS_MODEL_TINY_RUN_H
#define SF_TESTS_MODEL_TINY_RUN_H

#include <stdbool.h>

#include "internal.h"

/* Makes `root` (a mkdtemp template, overwritten with the folder's name), writes `yaml` as its
 * run.yaml, trains it with model_run() on one thread (the run's messages printed) and loads its
 * config into *cfg. False, with a FAIL line, when any step fails. */
bool tiny_run_train(char *root, const char *yaml, struct model_config *cfg);

#endif /* SF_TESTS_MODEL_TINY_RUN_H */

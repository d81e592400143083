/*
 * tiny_run.c — a tiny run trained in a temporary folder for the model suite's tests
 * (tiny_run.h).
 */
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "tiny_run.h"

bool tiny_run_train(char *root, const char *yaml, struct model_config *cfg) {
    if (!check(mkdtemp(root) != NULL, "a temporary run directory")) return false;
    char path[600];
    snprintf(path, sizeof path, "%s/run.yaml", root);
    FILE *f = fopen(path, "w");
    if (!check(f != NULL, "run.yaml written")) return false;
    fputs(yaml, f);
    fclose(f);
    model_set_threads(1);
    struct model_run_options o = {0};
    struct sf_diags          d;
    struct sf_error          e;
    sf_diag_init(&d);
    enum sf_status st = model_run(root, &o, &d, &e);
    sf_diag_print(&d, stdout);
    sf_diag_free(&d);
    if (!check(st == SF_OK, "the run completes")) return false;
    sf_diag_init(&d);
    st = model_config_load(path, cfg, &d);
    sf_diag_print(&d, stdout);
    sf_diag_free(&d);
    return check(st == SF_OK, "its run.yaml reads back");
}

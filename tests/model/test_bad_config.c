/*
 * test_bad_config.c — the bad run.yaml corpus (tests/data/model/bad): each NAME.yaml is loaded
 * from inside that folder and everything model_config_load reports, printed in DESIGN.md's
 * format, must equal NAME.err byte for byte (every problem at once, with FILE:LINE:COL). Each
 * file must also fail with SF_EINVAL (exit status 2). Usage: test_bad_config DIR
 * [--write] (--write regenerates the .err files for review; never used by the suite).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "model.h"

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv) {
    if (argc < 2 || chdir(argv[1]) != 0) {
        fprintf(stderr, "usage: test_bad_config DIR [--write]\n");
        return 2;
    }
    bool   write = argc > 2 && strcmp(argv[2], "--write") == 0;
    DIR   *d     = opendir(".");
    char  *names[256];
    size_t n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL && n < 256;) {
        size_t l = strlen(e->d_name);
        if (l > 5 && strcmp(e->d_name + l - 5, ".yaml") == 0) names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof *names, cmp_str);
    check(n >= 10, "the corpus has at least 10 bad files (%zu)", n);
    for (size_t i = 0; i < n; i++) {
        struct model_config cfg;
        struct sf_diags     diags;
        sf_diag_init(&diags);
        enum sf_status st      = model_config_load(names[i], &cfg, &diags);
        char          *got     = NULL;
        size_t         got_len = 0;
        FILE          *mem     = open_memstream(&got, &got_len);
        sf_diag_print(&diags, mem);
        fclose(mem);
        char expect_path[300];
        snprintf(expect_path, sizeof expect_path, "%.*s.err", (int)(strlen(names[i]) - 5),
                 names[i]);
        if (write) {
            FILE *f = fopen(expect_path, "w");
            fputs(got, f);
            fclose(f);
        }
        char           *expect = NULL;
        size_t          elen   = 0;
        struct sf_error err;
        bool            have = sf_read_file(expect_path, &expect, &elen, &err) == SF_OK;
        check(st == SF_EINVAL && sf_status_exit_code(st) == 2, "%s: bad input (exit 2)", names[i]);
        check(diags.n_errors >= 1, "%s: %zu problems reported", names[i], diags.n_errors);
        if (!check(have && strcmp(got, expect) == 0, "%s: messages equal %s", names[i],
                   expect_path))
            printf("---- got ----\n%s---- expected ----\n%s----\n", got, have ? expect : "(none)");
        free(expect);
        free(got);
        sf_diag_free(&diags);
        free(names[i]);
    }
    return check_summary();
}

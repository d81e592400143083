/*
 * fuzz_csv.c — libFuzzer harness: the CSV reader (sf_csv_parse) and the fit's table building
 * (fit_data_build) for a one-variable law, a two-variable law and the frontier's learning
 * curves, on whatever bytes the fuzzer gives. Every outcome but a crash, a sanitizer report or
 * a leak is fine: bad input must come back as an error.
 */
#include <stdint.h>
#include <stdlib.h>

#include "common.h"
#include "fit.h"

static void fuzz_build_impl(const struct sf_csv *csv, enum fit_law_kind law,
                            const struct fit_columns *cols) {
    size_t *rows = malloc((csv->n_rows ? csv->n_rows : 1) * sizeof *rows);
    if (rows == NULL) return;
    for (size_t i = 0; i < csv->n_rows; i++)
        rows[i] = i;
    struct fit_selection sel = {0};
    struct fit_data      d;
    struct sf_error      err;
    if (fit_data_build(csv, rows, csv->n_rows, law, cols, &sel, &d, &err) == SF_OK)
        fit_data_free(&d);
    free(rows);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    struct sf_csv   csv;
    struct sf_error err;
    if (sf_csv_parse("fuzz.csv", (const char *)data, size, &csv, &err) != SF_OK) return 0;
    struct fit_columns one = {.x = "params", .y = "loss"};
    struct fit_columns two = {.n = "params", .d = "tokens", .y = "loss"};
    struct fit_columns cur = {.n = "params", .y = "loss", .run = "run", .c = "flops"};
    fuzz_build_impl(&csv, FIT_LAW_POWER_CONST, &one);
    fuzz_build_impl(&csv, FIT_LAW_CHINCHILLA, &two);
    fuzz_build_impl(&csv, FIT_LAW_FRONTIER, &cur);
    sf_csv_free(&csv);
    return 0;
}

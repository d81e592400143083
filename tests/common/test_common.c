/*
 * test_common.c — checks of src/common: CSV parsing (quoting, comments, line numbers, every
 * error with its place), shortest double formatting, strict number parsing, "did you mean",
 * atomic writes, YAML round trips and seed derivation.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "common.h"

static void test_csv_ok(void) {
    const char     *text = "# a comment\n"
                           "name, loss ,\"x\"\"y\"\r\n"
                           "\n"
                           "a,1.5,\"multi\nline\"\n"
                           "# another\n"
                           "\"b,c\",2e-3,\n";
    struct sf_csv   csv;
    struct sf_error err;
    enum sf_status  st = sf_csv_parse("t.csv", text, strlen(text), &csv, &err);
    check(st == SF_OK, "csv parses (%s)", st ? err.message : "ok");
    if (st != SF_OK) return;
    check(csv.n_cols == 3 && csv.n_rows == 2, "csv shape %zu x %zu", csv.n_rows, csv.n_cols);
    check(strcmp(csv.header[1], "loss") == 0, "header names are trimmed");
    check(strcmp(csv.header[2], "x\"y") == 0, "escaped quote in header");
    check(csv.header_line == 2, "header on line 2 (got %zu)", csv.header_line);
    check(csv.rows[0].line == 4 && csv.rows[1].line == 7, "physical lines 4 and 7 (got %zu, %zu)",
          csv.rows[0].line, csv.rows[1].line);
    check(strcmp(csv.rows[0].fields[2], "multi\nline") == 0, "newline inside quotes");
    check(strcmp(csv.rows[1].fields[0], "b,c") == 0, "comma inside quotes");
    check(strcmp(csv.rows[1].fields[2], "") == 0, "empty last field");
    check(sf_csv_column(&csv, "loss") == 1 && sf_csv_column(&csv, "nope") == -1, "column lookup");
    sf_csv_free(&csv);
}

static void test_csv_error(const char *text, const char *where, const char *needle) {
    struct sf_csv   csv;
    struct sf_error err;
    sf_error_clear(&err);
    enum sf_status st = sf_csv_parse("t.csv", text, strlen(text), &csv, &err);
    check(st == SF_EINVAL && strcmp(err.where, where) == 0 && strstr(err.message, needle) != NULL,
          "csv error at %s containing '%s' (got %s: %s)", where, needle, err.where, err.message);
    if (st == SF_OK) sf_csv_free(&csv);
}

static void test_numbers(void) {
    char   buf[SF_FMT_DOUBLE_LEN];
    double vals[] = {0.1, 1.0 / 3.0, 1e-300, 6.02214076e23, -2.5, 477.8, 5e-324};
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        sf_fmt_double(buf, sizeof buf, vals[i]);
        check(strtod(buf, NULL) == vals[i], "round trip of %s", buf);
    }
    check(strcmp(sf_fmt_double(buf, sizeof buf, 0.1), "0.1") == 0, "0.1 is shortest (%s)", buf);
    double d;
    check(sf_parse_double(" 2.5e3 ", &d) && d == 2500, "parse with blanks");
    check(!sf_parse_double("2.5x", &d) && !sf_parse_double("", &d), "reject trailing junk, empty");
    check(sf_parse_double("nan", &d) && isnan(d), "nan parses (callers reject it)");
    int64_t k;
    check(sf_parse_int64("1e6", &k) && k == 1000000, "1e6 as an integer");
    check(!sf_parse_int64("1.5", &k), "1.5 is not an integer");
    const char *cands[] = {"lr_peak", "lr_min", "warmup", NULL};
    check(sf_did_you_mean("lr_peek", cands) != NULL &&
              strcmp(sf_did_you_mean("lr_peek", cands), "lr_peak") == 0,
          "did you mean lr_peak");
    check(sf_did_you_mean("zzzzzzzz", cands) == NULL, "no suggestion for a far word");
    check(sf_seed_derive(1, 0) != sf_seed_derive(1, 1) &&
              sf_seed_derive(1, 5) == sf_seed_derive(1, 5),
          "seed derivation distinct and repeatable");
}

static void test_files_and_yaml(void) {
    /* Files go to a folder of the test's own, removed at the end. */
    char dir[] = "/tmp/sf_common_XXXXXX";
    check(mkdtemp(dir) != NULL, "temporary folder");
    check(chdir(dir) == 0, "into the temporary folder");
    struct sf_error    err;
    struct sf_yaml_out y;
    sf_yaml_out_init(&y);
    sf_yaml_map_begin(&y, false);
    sf_yaml_kv_str(&y, "name", "a: b");
    sf_yaml_kv_str(&y, "number_like", "1e3");
    sf_yaml_kv_double(&y, "x", 0.1);
    sf_yaml_plain(&y, "ci");
    sf_yaml_seq_begin(&y, true);
    sf_yaml_double(&y, 1.5);
    sf_yaml_double(&y, NAN);
    sf_yaml_seq_end(&y);
    sf_yaml_map_end(&y);
    char *text;
    check(sf_yaml_out_finish(&y, &text, &err) == SF_OK, "yaml emits");
    sf_yaml_out_free(&y);
    check(sf_write_atomic("common_test.yaml", text, strlen(text), &err) == SF_OK, "atomic write");
    free(text);
    yaml_document_t doc;
    check(sf_yaml_load("common_test.yaml", &doc, &err) == SF_OK, "yaml loads back");
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    check(strcmp(sf_yaml_scalar(sf_yaml_map_get(&doc, root, "name")), "a: b") == 0, "string kept");
    yaml_node_t *nl = sf_yaml_map_get(&doc, root, "number_like");
    check(nl != NULL && nl->data.scalar.style != YAML_PLAIN_SCALAR_STYLE,
          "number-like string quoted");
    check(strcmp(sf_yaml_scalar(sf_yaml_map_get(&doc, root, "x")), "0.1") == 0, "double shortest");
    yaml_document_delete(&doc);
    const char *bad = "a: [1, 2\nb: 3\n";
    sf_write_atomic("bad.yaml", bad, strlen(bad), &err);
    check(sf_yaml_load("bad.yaml", &doc, &err) == SF_EINVAL &&
              strncmp(err.where, "bad.yaml:", 9) == 0,
          "yaml syntax error has a place (%s: %s)", err.where, err.message);
    char hex[65];
    sf_sha256_hex("abc", 3, hex);
    check(strcmp(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad") == 0,
          "sha256(abc) is the FIPS 180-2 value");
    unlink("common_test.yaml");
    unlink("bad.yaml");
    check(chdir("/") == 0 && rmdir(dir) == 0, "temporary folder removed");
}

int main(void) {
    test_csv_ok();
    test_csv_error("", "t.csv", "empty file");
    test_csv_error("# only a comment\n", "t.csv", "empty file");
    test_csv_error("a,b,a\n1,2,3\n", "t.csv:1:3", "duplicate column name 'a'");
    test_csv_error("a,,c\n", "t.csv:1:2", "empty column name");
    test_csv_error("a,b\n1,2\n3\n", "t.csv:3:1", "ragged row: 1 field");
    test_csv_error("a,b\n1,2,3\n", "t.csv:2:3", "ragged row: 3 fields");
    test_csv_error("a,b\n1,\"2\n", "t.csv:2:2", "unterminated quoted field");
    test_csv_error("a,b\n1,\"2\"x\n", "t.csv:2:2", "after a closing quote");
    test_csv_error("a,b\n1,2\"\n", "t.csv:2:2", "quote inside an unquoted field");
    test_numbers();
    test_files_and_yaml();
    return check_summary();
}

/*
 * test_common.c — checks of src/common: CSV parsing (quoting, comments, line numbers, every
 * error with its place), shortest double formatting, strict number parsing, "did you mean",
 * atomic writes, YAML round trips, the typed YAML readers' wordings, sorted folder listings, the
 * child-process runner and seed derivation.
 */
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
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

/* Reads key `key` of the test document with `read`, expecting `want` (NULL: accepted) as the
 * message of the one diagnostic. */
static void check_reader(struct sf_yaml_reader *r, bool ok, const char *key, const char *want) {
    const struct sf_diag_item *last = r->diags->n > 0 ? &r->diags->items[r->diags->n - 1] : NULL;
    if (want == NULL) {
        check(ok, "'%s' is accepted (%s)", key, last ? last->message : "");
        return;
    }
    check(!ok && last != NULL && strcmp(last->message, want) == 0, "'%s': %s (got %s)", key, want,
          last ? last->message : "nothing");
}

static void test_yaml_readers(void) {
    const char     *text = "i: 7\nbig: 5000\nword: four\nlist: [1]\nx: 0.5\nneg: -1\ninf: inf\n"
                           "b: True\nmaybe: maybe\ne: cosin\ns: ~\nlong: abcdefgh\n";
    struct sf_error err;
    check(sf_write_atomic("/tmp/sf_common_readers.yaml", text, strlen(text), &err) == SF_OK,
          "reader test file");
    yaml_document_t doc;
    check(sf_yaml_load("/tmp/sf_common_readers.yaml", &doc, &err) == SF_OK, "reader file loads");
    unlink("/tmp/sf_common_readers.yaml");
    struct sf_diags diags;
    sf_diag_init(&diags);
    struct sf_yaml_reader r    = {"t.yaml", &doc, &diags};
    yaml_node_t          *root = yaml_document_get_root_node(&doc);
#define NODE(k) sf_yaml_map_get(&doc, root, k)
    int64_t i = 0;
    double  d = 0;
    bool    b = false;
    int     e = -1;
    char    str[4];
    check_reader(&r, sf_yaml_read_int(&r, "i", NODE("i"), 1, 10, &i) && i == 7, "i", NULL);
    check_reader(&r, sf_yaml_read_int(&r, "big", NODE("big"), 1, 4096, &i), "big",
                 "'big' must be between 1 and 4096, not 5000");
    check_reader(&r, sf_yaml_read_int(&r, "neg", NODE("neg"), 0, INT64_MAX, &i), "neg",
                 "'neg' must be at least 0, not -1");
    check_reader(&r, sf_yaml_read_int(&r, "word", NODE("word"), 0, 9, &i), "word",
                 "'word' must be an integer, not 'four'");
    check_reader(&r, sf_yaml_read_int(&r, "list", NODE("list"), 0, 9, &i), "list",
                 "'list' must be an integer, not a list");
    check_reader(&r, sf_yaml_read_double(&r, "x", NODE("x"), sf_range_of(0, true, 1, true), &d),
                 "x", NULL);
    check_reader(&r,
                 sf_yaml_read_double(&r, "word", NODE("word"), sf_range_of(0, true, 1, true), &d),
                 "word", "'word' must be a number, not 'four'");
    check_reader(&r, sf_yaml_read_double(&r, "inf", NODE("inf"), sf_range_of(0, true, 1, true), &d),
                 "inf", "'inf' must be a finite number, not 'inf'");
    check_reader(
        &r, sf_yaml_read_double(&r, "neg", NODE("neg"), sf_range_of(0, true, INFINITY, false), &d),
        "neg", "'neg' must be greater than 0, not -1");
    check_reader(&r,
                 sf_yaml_read_double(&r, "big", NODE("big"), sf_range_of(0, false, 1, true), &d),
                 "big", "'big' must be at least 0 and below 1, not 5000");
    check_reader(&r,
                 sf_yaml_read_double(&r, "big", NODE("big"), sf_range_of(0, true, 10, false), &d),
                 "big", "'big' must be greater than 0 and at most 10, not 5000");
    check_reader(&r, sf_yaml_read_bool(&r, "b", NODE("b"), &b) && b, "b", NULL);
    check_reader(&r, sf_yaml_read_bool(&r, "maybe", NODE("maybe"), &b), "maybe",
                 "'maybe' must be true or false, not 'maybe'");
    static const char *const names[] = {"cosine", "linear", NULL};
    check_reader(&r, sf_yaml_read_enum(&r, "e", NODE("e"), names, &e), "e",
                 "'e' must be one of cosine, linear, not 'cosin' (did you mean 'cosine'?)");
    check_reader(&r, sf_yaml_read_string(&r, "s", NODE("s"), str, sizeof str), "s",
                 "'s' must be a string, not null");
    check_reader(&r, sf_yaml_read_string(&r, "long", NODE("long"), str, sizeof str), "long",
                 "'long' is longer than 3 characters");
#undef NODE
    check(diags.n > 0 && strcmp(diags.items[0].where, "t.yaml:2:6") == 0,
          "a reader's problem has its place (%s)", diags.n > 0 ? diags.items[0].where : "");
    sf_diag_free(&diags);
    yaml_document_delete(&doc);
}

static void test_dir_list(void) {
    char dir[] = "/tmp/sf_common_dir_XXXXXX";
    check(mkdtemp(dir) != NULL, "temporary folder for a listing");
    const char     *files[] = {"b.gp", "a-b.gp", "a.gp", "c.txt", ".gp"};
    struct sf_error err;
    for (size_t k = 0; k < 5; k++)
        sf_write_atomic_at(dir, files[k], "x", 1, &err);
    char **names = NULL;
    size_t n     = 0;
    check(sf_dir_list(dir, ".gp", NULL, NULL, &names, &n, &err) == SF_OK && n == 3 &&
              strcmp(names[0], "a") == 0 && strcmp(names[1], "a-b") == 0 &&
              strcmp(names[2], "b") == 0 && names[3] == NULL,
          "stems listed in order, the bare suffix left out (%zu)", n);
    sf_names_free(names);
    check(sf_dir_list(dir, NULL, NULL, NULL, &names, &n, &err) == SF_OK && n == 5,
          "every entry but . and .. (%zu)", n);
    for (size_t k = 0; k < n; k++) {
        char *p = sf_path_join(dir, names[k]);
        unlink(p);
        free(p);
    }
    sf_names_free(names);
    rmdir(dir);
    check(sf_dir_list(dir, NULL, NULL, NULL, &names, &n, &err) == SF_EIO && names == NULL,
          "a missing folder is SF_EIO");
}

static void test_process(void) {
    struct sf_error          err;
    struct sf_process_result res;
    char *const              talk[] = {"sh", "-c", "echo out; echo err >&2; exit 3", NULL};
    struct sf_process_spec   spec   = {.argv = talk, .capture_out = true, .capture_err = true};
    check(sf_process_run(&spec, &res, &err) == SF_OK && res.exit_code == 3 &&
              strcmp(res.out.data, "out\n") == 0 && strcmp(res.err.data, "err\n") == 0,
          "output captured, exit status kept");
    sf_process_result_free(&res);
    char *const slow[] = {"sleep", "5", NULL};
    spec      = (struct sf_process_spec){.argv = slow, .capture_err = true, .timeout_s = 0.2};
    double t0 = sf_now();
    check(sf_process_run(&spec, &res, &err) == SF_EIO && strstr(err.message, "longer than") &&
              sf_now() - t0 < 3,
          "a time limit stops it (%s)", err.message);
    char *const missing[] = {"/nonexistent/program", NULL};
    spec                  = (struct sf_process_spec){.argv = missing, .missing_hint = "install it"};
    check(sf_process_run(&spec, &res, &err) == SF_EIO &&
              strstr(err.message, "cannot run /nonexistent/program") &&
              strstr(err.message, "(install it)"),
          "a missing program is named with the hint (%s)", err.message);
    spec = (struct sf_process_spec){.argv = talk, .dir = "/nonexistent"};
    check(sf_process_run(&spec, &res, &err) == SF_EIO && strstr(err.message, "/nonexistent"),
          "a missing folder (%s)", err.message);
    pid_t pid = -1;
    int   ws  = 0;
    spec      = (struct sf_process_spec){.argv = slow, .own_group = true};
    check(sf_process_start(&spec, &pid, &err) == SF_OK && pid > 0, "started in the background");
    check(sf_process_reap(pid, false, &ws) == SF_PROCESS_STATE_RUNNING, "still running");
    sf_process_signal(pid, true, SIGTERM);
    check(sf_process_reap(pid, true, &ws) == SF_PROCESS_STATE_ENDED && WIFSIGNALED(ws) &&
              WTERMSIG(ws) == SIGTERM,
          "a forwarded signal ends it");
    check(sf_process_reap(pid, false, &ws) == SF_PROCESS_STATE_LOST, "reaped once only");
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
    test_yaml_readers();
    test_dir_list();
    test_process();
    return check_summary();
}

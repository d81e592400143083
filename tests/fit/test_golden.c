/*
 * test_golden.c — scalefit against the independent scipy reference (tests/ref/fit_ref.py).
 * For every golden in tests/data/fit/golden/ it fits the same rows with the same objective
 * and checks: the objective is no worse than the reference's refined optimum (relative 1e-9)
 * and no worse than the plain multi-start L-BFGS-B fit from the full start grid; the
 * predictions at the fitted rows agree with the reference's to 1e-6 relative (the optimum is
 * the same point; 1e-6 leaves room for the flat directions of both solvers' tolerances); the
 * held-out predictions to 1e-4 relative (the tolerance for extrapolation, where those
 * flat directions are amplified); and, where the golden gives them (squares), the standard
 * errors of the reported parameters against the reference's own covariance s^2 (J'WJ)^-1 at
 * its optimum, to 1e-4 relative (both carry them to the parameters by finite differences).
 * Goldens may weight rows (`weights`) and fit linear-space residuals (`space`).
 *
 * usage: test_golden SOURCE_ROOT [GOLDEN.yaml ...]   (default: every file in the golden folder)
 */
#include <dirent.h>
#include <gsl/gsl_errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "fit.h"

static double num(yaml_document_t *doc, yaml_node_t *map, const char *key) {
    double      v = NAN;
    const char *s = sf_yaml_scalar(sf_yaml_map_get(doc, map, key));
    if (s == NULL || !sf_parse_double(s, &v)) return NAN;
    return v;
}

/* Reads a sequence of numbers (at most cap); returns the count. */
static size_t nums(yaml_document_t *doc, yaml_node_t *seq, double *out, size_t cap) {
    if (seq == NULL || seq->type != YAML_SEQUENCE_NODE) return 0;
    size_t n = 0;
    for (yaml_node_item_t *it = seq->data.sequence.items.start;
         it < seq->data.sequence.items.top && n < cap; it++) {
        const char *s = sf_yaml_scalar(yaml_document_get_node(doc, *it));
        if (s == NULL || !sf_parse_double(s, &out[n])) out[n] = NAN;
        n++;
    }
    return n;
}

/* The frontier golden: the envelope, its hull, the L(C) fit and the optimal-size fit. */
static void run_frontier(const char *root, const char *path, enum fit_law_kind law,
                         yaml_document_t *doc, yaml_node_t *g) {
    struct sf_error    err;
    yaml_node_t       *columns = sf_yaml_map_get(doc, g, "columns");
    struct fit_columns cols;
    memset(&cols, 0, sizeof cols);
    cols.run       = sf_yaml_scalar(sf_yaml_map_get(doc, columns, "run"));
    cols.c         = sf_yaml_scalar(sf_yaml_map_get(doc, columns, "c"));
    cols.y         = sf_yaml_scalar(sf_yaml_map_get(doc, columns, "y"));
    cols.n         = sf_yaml_scalar(sf_yaml_map_get(doc, columns, "n"));
    char *csv_path = sf_path_join(root, sf_yaml_scalar(sf_yaml_map_get(doc, g, "fixture_path")));
    struct sf_csv csv;
    if (!check(sf_csv_read(csv_path, &csv, &err) == SF_OK, "%s: fixture reads", path)) {
        free(csv_path);
        return;
    }
    size_t *rows = malloc(csv.n_rows * sizeof *rows);
    for (size_t i = 0; i < csv.n_rows; i++)
        rows[i] = i;
    struct fit_selection sel;
    memset(&sel, 0, sizeof sel);
    struct fit_data d;
    if (check(fit_data_build(&csv, rows, csv.n_rows, law, &cols, &sel, &d, &err) == SF_OK,
              "%s: data builds", path)) {
        struct fit_request req;
        fit_request_init(&req, law);
        req.params.bootstrap = 0;
        struct fit_result *r = fit_run(&d, &req, NULL, &err);
        if (check(r != NULL, "%s: frontier fit runs (%s)", path, r ? "" : err.message)) {
            /* The envelope: same grid, same owners; values to 1e-12 (both compute the same
             * interpolation, only exp/log rounding differs). */
            yaml_node_t *env = sf_yaml_map_get(doc, g, "envelope");
            size_t n = (size_t)(env->data.sequence.items.top - env->data.sequence.items.start);
            check(r->frontier.n_env == n, "%s: %zu envelope points (reference %zu)", path,
                  r->frontier.n_env, n);
            size_t bad_owner = 0;
            double max_c = 0, max_l = 0;
            for (size_t i = 0; i < n && i < r->frontier.n_env; i++) {
                yaml_node_t *e = yaml_document_get_node(doc, env->data.sequence.items.start[i]);
                double       c = num(doc, e, "C"), l = num(doc, e, "L");
                const char  *owner = sf_yaml_scalar(sf_yaml_map_get(doc, e, "owner"));
                max_c              = fmax(max_c, fabs(r->frontier.env_c[i] - c) / c);
                max_l              = fmax(max_l, fabs(r->frontier.env_l[i] - l) / l);
                if (owner == NULL || strcmp(owner, d.run_names[r->frontier.env_run[i]]) != 0)
                    bad_owner++;
            }
            check(max_c <= 1e-12 && max_l <= 1e-12,
                  "%s: envelope C and L agree (max rel %.3g, %.3g; 1e-12)", path, max_c, max_l);
            check(bad_owner == 0, "%s: every envelope point has the reference's owner (%zu differ)",
                  path, bad_owner);
            yaml_node_t *hull = sf_yaml_map_get(doc, g, "hull");
            size_t nh = (size_t)(hull->data.sequence.items.top - hull->data.sequence.items.start);
            size_t hull_bad = nh == r->frontier.n_hull ? 0 : 1;
            for (size_t h = 0; h < nh && h < r->frontier.n_hull; h++) {
                yaml_node_t *e = yaml_document_get_node(doc, hull->data.sequence.items.start[h]);
                double       c = num(doc, e, "C");
                if (fabs(r->frontier.env_c[r->frontier.hull[h]] - c) > 1e-12 * c) hull_bad++;
            }
            check(hull_bad == 0, "%s: %zu hull vertices, the reference's (%zu)", path,
                  r->frontier.n_hull, nh);
            yaml_node_t *pc    = sf_yaml_map_get(doc, g, "power_const");
            double       ref   = num(doc, sf_yaml_map_get(doc, pc, "refined"), "objective");
            double       plain = num(doc, sf_yaml_map_get(doc, pc, "grid_lbfgs"), "objective");
            check(r->objective <= ref * (1 + 1e-9),
                  "%s: L(C) objective %.17g <= refined %.17g (1e-9)", path, r->objective, ref);
            check(r->objective <= plain * (1 + 1e-12),
                  "%s: L(C) objective <= plain multi-start %.17g", path, plain);
            yaml_node_t *params = sf_yaml_map_get(doc, g, "parameters");
            for (size_t j = 0; j < r->p; j++)
                check_rel(r->param[j].value.estimate, num(doc, params, r->param[j].name), 1e-6,
                          "%s: %s", path, r->param[j].name);
            yaml_node_t *os = sf_yaml_map_get(doc, g, "optimal_size");
            check_rel(r->frontier.nopt_objective, num(doc, os, "objective"), 1e-9,
                      "%s: optimal-size objective", path);
            check(r->frontier.nopt_points == (size_t)num(doc, os, "points"),
                  "%s: optimal-size points %zu", path, r->frontier.nopt_points);
            fit_result_free(r);
        }
        fit_data_free(&d);
    }
    free(rows);
    sf_csv_free(&csv);
    free(csv_path);
}

static void run_golden(const char *root, const char *path) {
    struct sf_error err;
    yaml_document_t doc;
    if (!check(sf_yaml_load(path, &doc, &err) == SF_OK, "%s loads (%s)", path, err.message)) return;
    yaml_node_t      *g       = yaml_document_get_root_node(&doc);
    const char       *fixture = sf_yaml_scalar(sf_yaml_map_get(&doc, g, "fixture_path"));
    const char       *lawname = sf_yaml_scalar(sf_yaml_map_get(&doc, g, "law"));
    const char       *space   = sf_yaml_scalar(sf_yaml_map_get(&doc, g, "space"));
    const char       *loss    = sf_yaml_scalar(sf_yaml_map_get(&doc, g, "loss"));
    yaml_node_t      *columns = sf_yaml_map_get(&doc, g, "columns");
    yaml_node_t      *xs      = sf_yaml_map_get(&doc, columns, "x");
    const char       *ycol    = sf_yaml_scalar(sf_yaml_map_get(&doc, columns, "y"));
    enum fit_law_kind law;
    if (lawname && fit_law_from_name(lawname, &law) && fit_law_fits_curves(law)) {
        run_frontier(root, path, law, &doc, g);
        yaml_document_delete(&doc);
        return;
    }
    if (!check(fixture && lawname && fit_law_from_name(lawname, &law) && xs && ycol,
               "%s: fixture, law and columns present", path)) {
        yaml_document_delete(&doc);
        return;
    }
    const char *xname[3] = {NULL, NULL, NULL};
    size_t      nx       = 0;
    for (yaml_node_item_t *it = xs->data.sequence.items.start;
         it < xs->data.sequence.items.top && nx < 3; it++)
        xname[nx++] = sf_yaml_scalar(yaml_document_get_node(&doc, *it));
    static double fit_lines[4096], hold_lines[4096], pred[4096], hold_pred[4096];
    size_t        n_fit  = nums(&doc, sf_yaml_map_get(&doc, g, "fit_lines"), fit_lines, 4096);
    size_t        n_hold = nums(&doc, sf_yaml_map_get(&doc, g, "heldout_lines"), hold_lines, 4096);
    size_t        n_pred = nums(&doc, sf_yaml_map_get(&doc, g, "predictions"), pred, 4096);
    size_t n_hp = nums(&doc, sf_yaml_map_get(&doc, g, "heldout_predictions"), hold_pred, 4096);
    yaml_node_t *refined = sf_yaml_map_get(&doc, g, "refined");
    yaml_node_t *plain   = sf_yaml_map_get(&doc, g, "grid_lbfgs");
    double ref_obj = num(&doc, refined, "objective"), plain_obj = num(&doc, plain, "objective");

    char         *csv_path = sf_path_join(root, fixture);
    struct sf_csv csv;
    if (!check(sf_csv_read(csv_path, &csv, &err) == SF_OK, "%s: fixture reads (%s)", path,
               err.message)) {
        free(csv_path);
        yaml_document_delete(&doc);
        return;
    }
    /* The rows the reference used, by physical line; held-out ones marked by line too. */
    size_t *rows = malloc(csv.n_rows * sizeof *rows), n_rows = 0;
    for (size_t i = 0; i < csv.n_rows; i++) {
        bool used = false;
        for (size_t k = 0; k < n_fit; k++)
            used = used || (double)csv.rows[i].line == fit_lines[k];
        for (size_t k = 0; k < n_hold; k++)
            used = used || (double)csv.rows[i].line == hold_lines[k];
        if (used) rows[n_rows++] = i;
    }
    struct fit_columns cols;
    memset(&cols, 0, sizeof cols);
    cols.y      = ycol;
    cols.weight = sf_yaml_scalar(sf_yaml_map_get(&doc, g, "weights")); /* NULL for null */
    if (cols.weight && strcmp(cols.weight, "null") == 0) cols.weight = NULL;
    if (nx == 1) {
        cols.x = xname[0];
    } else if (strcmp(fit_law_var_option(law, 1), "--step") == 0) {
        cols.n = xname[0], cols.step = xname[1]; /* the reference calls every second column D */
    } else {
        cols.n = xname[0], cols.d = xname[1];
        cols.u = xname[2]; /* the third column of data-constrained (NULL for the others) */
    }
    struct fit_selection sel;
    memset(&sel, 0, sizeof sel);
    struct fit_data d;
    enum sf_status  st = fit_data_build(&csv, rows, n_rows, law, &cols, &sel, &d, &err);
    check(st == SF_OK, "%s: data builds (%s)", path, st ? err.message : "");
    if (st == SF_OK) {
        for (size_t k = 0; k < d.n; k++)
            for (size_t h = 0; h < n_hold; h++)
                if ((double)d.line[k] == hold_lines[h]) d.held_out[k] = true;
        struct fit_request req;
        fit_request_init(&req, law);
        req.space            = strcmp(space, "linear") == 0 ? FIT_SPACE_LINEAR : FIT_SPACE_LOG;
        req.loss             = strcmp(loss, "huber") == 0 ? FIT_LOSS_HUBER : FIT_LOSS_SQUARES;
        req.delta            = num(&doc, g, "delta");
        req.params.bootstrap = 0;
        struct fit_result *r = fit_run(&d, &req, NULL, &err);
        if (check(r != NULL, "%s: fit runs (%s)", path, r ? "" : err.message)) {
            check(r->converged, "%s: converged", path);
            /* No worse than the reference optimum, up to rounding: 1e-9 relative, plus 1e-24
             * absolute for exact data, whose optimum is a sum of squared rounding errors
             * (about n x (1e-15)^2). */
            check(r->objective <= ref_obj * (1 + 1e-9) + 1e-24,
                  "%s: objective %.17g <= refined %.17g (1e-9)", path, r->objective, ref_obj);
            check(r->objective <= plain_obj * (1 + 1e-12) + 1e-24,
                  "%s: objective %.17g <= plain multi-start L-BFGS-B %.17g", path, r->objective,
                  plain_obj);
            {
                double mine[4096], mh[4096];
                size_t a = 0, b = 0;
                for (size_t k = 0; k < d.n; k++) {
                    if (d.held_out[k])
                        mh[b++] = r->points[k].predicted;
                    else
                        mine[a++] = r->points[k].predicted;
                }
                check(a == n_pred && b == n_hp,
                      "%s: %zu fitted and %zu held-out rows (reference %zu, %zu)", path, a, b,
                      n_pred, n_hp);
                if (a == n_pred)
                    check_tensor_d(mine, pred, a, 1e-6, 0, "predictions at the fitted rows");
                if (b == n_hp && b > 0)
                    check_tensor_d(mh, hold_pred, b, 1e-4, 0, "held-out predictions");
            }
            yaml_node_t *ses = sf_yaml_map_get(&doc, g, "standard_errors");
            for (size_t j = 0; ses && ses->type == YAML_MAPPING_NODE && j < r->p; j++) {
                double want = num(&doc, ses, r->param[j].name);
                check(isfinite(want) && fabs(r->param[j].value.se - want) <= 1e-4 * want,
                      "%s: standard error of %s %.10g against scipy's covariance %.10g", path,
                      r->param[j].name, r->param[j].value.se, want);
            }
            fit_result_free(r);
        }
        fit_data_free(&d);
    }
    free(rows);
    sf_csv_free(&csv);
    free(csv_path);
    yaml_document_delete(&doc);
}

int main(int argc, char **argv) {
    gsl_set_error_handler_off();
    if (argc < 2) {
        fprintf(stderr, "usage: test_golden SOURCE_ROOT [GOLDEN.yaml ...]\n");
        return 2;
    }
    const char *root = argv[1];
    if (argc > 2) {
        for (int i = 2; i < argc; i++)
            run_golden(root, argv[i]);
        return check_summary();
    }
    char *dir = sf_path_join(root, "tests/data/fit/golden");
    DIR  *dp  = opendir(dir);
    check(dp != NULL, "golden folder %s opens", dir);
    size_t seen = 0;
    char   names[256][256];
    for (struct dirent *e; dp && (e = readdir(dp)) != NULL;) {
        size_t l = strlen(e->d_name);
        if (l > 5 && strcmp(e->d_name + l - 5, ".yaml") == 0 && seen < 256)
            snprintf(names[seen++], sizeof names[0], "%s", e->d_name);
    }
    if (dp) closedir(dp);
    qsort(names, seen, sizeof names[0], (int (*)(const void *, const void *))strcmp);
    check(seen >= 4, "%zu golden files found", seen);
    for (size_t i = 0; i < seen; i++) {
        char *p = sf_path_join(dir, names[i]);
        run_golden(root, p);
        free(p);
    }
    free(dir);
    return check_summary();
}

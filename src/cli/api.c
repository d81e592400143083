/*
 * api.c — the C functions of libscalefit that the Python interface (python/scalefit/) calls
 * through ctypes: `scalefit fit` run in the calling process on a table in memory
 * (cli_fit_memory_run), with what the command would print on stderr captured as text (the
 * error an exception carries, or the warnings), and plain accessors over the result: its
 * parameters, entropy, diagnostics, warnings, predictions with their bands, and fit.yaml's text.
 */
#include <gsl/gsl_errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fit.h"

/* A fit made in memory and its result. */
struct cli_api_fit {
    struct cli_fit_memory   *m;
    const struct fit_result *r;
};

/* Every exported function is declared here (the library's interface; -Wmissing-prototypes). */
struct cli_api_fit *cli_api_fit(int argc, char **argv, const char *text, size_t len, int *status,
                                char **messages);
void                cli_api_free(struct cli_api_fit *h);
void                cli_api_free_text(char *s);
const char         *cli_api_law(const struct cli_api_fit *h);
size_t              cli_api_n_params(const struct cli_api_fit *h);
const char         *cli_api_param_name(const struct cli_api_fit *h, size_t j);
void                cli_api_param(const struct cli_api_fit *h, size_t j, double *v4, int *flags2);
void                cli_api_entropy(const struct cli_api_fit *h, double *v4);
void                cli_api_summary(const struct cli_api_fit *h, double *v8, int *i3);
size_t              cli_api_n_warnings(const struct cli_api_fit *h);
const char         *cli_api_warning(const struct cli_api_fit *h, size_t i);
size_t              cli_api_n_vars(const struct cli_api_fit *h);
const char         *cli_api_var(const struct cli_api_fit *h, size_t k);
void  cli_api_predict(const struct cli_api_fit *h, const double *x1, const double *x2, size_t n,
                      int reducible, double *v, double *lo, double *hi);
char *cli_api_yaml(const struct cli_api_fit *h, char **messages);

/* Runs f(ctx) with stderr going into a string, returned in *captured (never NULL). */
static void cli_api_capture_impl(void (*f)(void *), void *ctx, char **captured) {
    char  *buf = NULL;
    size_t len = 0;
    FILE  *mem = open_memstream(&buf, &len);
    FILE  *old = stderr;
    if (mem != NULL) stderr = mem;
    f(ctx);
    if (mem != NULL) {
        stderr = old;
        fclose(mem);
    }
    *captured = buf ? buf : calloc(1, 1);
}

struct cli_api_run {
    int                    argc;
    char                 **argv;
    const char            *text;
    size_t                 len;
    int                    status;
    struct cli_fit_memory *m;
};

static void cli_api_run_impl(void *vctx) {
    struct cli_api_run *c = vctx;
    c->m                  = cli_fit_memory_run(c->argc, c->argv, c->text, c->len, &c->status);
}

struct cli_api_fit *cli_api_fit(int argc, char **argv, const char *text, size_t len, int *status,
                                char **messages) {
    gsl_set_error_handler_off();
    struct cli_api_run run = {argc, argv, text, len, 0, NULL};
    cli_api_capture_impl(cli_api_run_impl, &run, messages);
    *status = run.status;
    if (run.m == NULL) return NULL;
    struct cli_api_fit *h = calloc(1, sizeof *h);
    if (h == NULL) {
        cli_fit_memory_free(run.m);
        *status = 1;
        return NULL;
    }
    h->m = run.m;
    h->r = cli_fit_memory_result(run.m);
    return h;
}

void cli_api_free(struct cli_api_fit *h) {
    if (h == NULL) return;
    cli_fit_memory_free(h->m);
    free(h);
}

void cli_api_free_text(char *s) {
    free(s);
}

const char *cli_api_law(const struct cli_api_fit *h) {
    return fit_law_name(h->r->law);
}

size_t cli_api_n_params(const struct cli_api_fit *h) {
    return h->r->p;
}

const char *cli_api_param_name(const struct cli_api_fit *h, size_t j) {
    return j < h->r->p ? h->r->param[j].name : NULL;
}

/* v4: estimate, standard error, interval; flags2: fixed, at its bound. */
void cli_api_param(const struct cli_api_fit *h, size_t j, double *v4, int *flags2) {
    const struct fit_param *p = &h->r->param[j < h->r->p ? j : 0];
    v4[0] = p->value.estimate, v4[1] = p->value.se, v4[2] = p->value.lo, v4[3] = p->value.hi;
    flags2[0] = p->fixed, flags2[1] = p->at_bound;
}

void cli_api_entropy(const struct cli_api_fit *h, double *v4) {
    const struct fit_estimate *e = &h->r->entropy;
    v4[0] = e->estimate, v4[1] = e->se, v4[2] = e->lo, v4[3] = e->hi;
}

/* v8: objective, gradient norm, R² (log), RMSE (log), AIC, BIC, held-out RMSE, level; i3:
 * converged, points fitted, intervals from the bootstrap. */
void cli_api_summary(const struct cli_api_fit *h, double *v8, int *i3) {
    const struct fit_result *r = h->r;
    v8[0] = r->objective, v8[1] = r->gradient_norm, v8[2] = r->r2_log, v8[3] = r->rmse_log;
    v8[4] = r->aic, v8[5] = r->bic, v8[6] = r->heldout_rmse_log, v8[7] = r->req.params.level;
    i3[0] = r->converged, i3[1] = (int)r->n_fit, i3[2] = r->intervals_bootstrap;
}

size_t cli_api_n_warnings(const struct cli_api_fit *h) {
    return h->r->n_warnings;
}

const char *cli_api_warning(const struct cli_api_fit *h, size_t i) {
    return i < h->r->n_warnings ? h->r->warnings[i] : NULL;
}

size_t cli_api_n_vars(const struct cli_api_fit *h) {
    return h->r->data->x2 ? 2 : 1;
}

/* The column of variable k as the table names it. */
const char *cli_api_var(const struct cli_api_fit *h, size_t k) {
    return k == 0 ? h->r->data->x1_name : h->r->data->x2_name;
}

/* The law (or its reducible part) and its band at n points (x2 NULL for one variable). */
void cli_api_predict(const struct cli_api_fit *h, const double *x1, const double *x2, size_t n,
                     int reducible, double *v, double *lo, double *hi) {
    for (size_t i = 0; i < n; i++) {
        double b = x2 ? x2[i] : 0;
        if (reducible)
            fit_result_reducible_curve(h->r, &x1[i], b, 1, &v[i], &lo[i], &hi[i]);
        else
            fit_result_curve(h->r, &x1[i], b, 1, &v[i], &lo[i], &hi[i]);
    }
}

struct cli_api_yaml_run {
    const struct cli_fit_memory *m;
    char                        *text;
};

static void cli_api_yaml_impl(void *vctx) {
    struct cli_api_yaml_run *c = vctx;
    c->text                    = cli_fit_memory_yaml(c->m);
}

char *cli_api_yaml(const struct cli_api_fit *h, char **messages) {
    struct cli_api_yaml_run run = {h->m, NULL};
    cli_api_capture_impl(cli_api_yaml_impl, &run, messages);
    return run.text;
}

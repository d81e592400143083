/*
 * test_nist.c — certified NIST StRD problems (Rat43 and Eckerle4 from start 1, BoxBOD from
 * start 2) through the same polish the laws use (fit_polish_generic), checked to 1e-6 relative
 * in the parameters, the residual sum of squares and the standard deviations. From BoxBOD's
 * hard start 1 the solver must either reach the certified values or say it did not converge:
 * never a wrong answer marked converged. Data and certified values: shared/data/nist-strd.md.
 */
#include <math.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "check.h"
#include "internal.h"

struct nist_problem {
    const char   *name;
    size_t        n, p;
    const double *x, *y;
    double (*model)(const double *b, double x, double *grad);
};

static double rat43(const double *b, double x, double *g) {
    double e = exp(b[1] - b[2] * x), base = 1 + e, pw = pow(base, -1 / b[3]);
    double v = b[0] * pw;
    if (g) {
        g[0] = pw;
        g[1] = -b[0] / b[3] * pow(base, -1 / b[3] - 1) * e;
        g[2] = b[0] / b[3] * pow(base, -1 / b[3] - 1) * e * x;
        g[3] = v * log(base) / (b[3] * b[3]);
    }
    return v;
}

static double boxbod(const double *b, double x, double *g) {
    double e = exp(-b[1] * x);
    if (g) {
        g[0] = 1 - e;
        g[1] = b[0] * x * e;
    }
    return b[0] * (1 - e);
}

static double eckerle4(const double *b, double x, double *g) {
    double u = (x - b[2]) / b[1], e = exp(-0.5 * u * u), v = b[0] / b[1] * e;
    if (g) {
        g[0] = e / b[1];
        g[1] = -b[0] / (b[1] * b[1]) * e + v * u * u / b[1];
        g[2] = v * u / b[1];
    }
    return v;
}

/* r_i = model(x_i) - y_i and its Jacobian, as the generic polish expects. */
static bool nist_residuals(const double *theta, double *r, double *J, void *ctx) {
    const struct nist_problem *pb = ctx;
    double                     g[4];
    for (size_t i = 0; i < pb->n; i++) {
        r[i] = pb->model(theta, pb->x[i], J ? g : NULL) - pb->y[i];
        if (!isfinite(r[i])) return false;
        if (J)
            for (size_t j = 0; j < pb->p; j++)
                J[i * pb->p + j] = g[j];
    }
    return true;
}

/* Standard deviations as NIST certifies them, sqrt(diag(s² (JᵀJ)⁻¹)), from the covariance
 * the fitter reports (fit_covariance_generic). */
static void nist_sd(const struct nist_problem *pb, const double *b, struct fit_workspace *ws,
                    double *sd) {
    struct fit_residual_fn rf = {pb->n, pb->p, nist_residuals, (void *)pb};
    double                 cov[16];
    char                   method[200];
    bool                   ok =
        fit_covariance_generic(&rf, NULL, FIT_LOSS_SQUARES, 0, b, ws, cov, method, sizeof method);
    check(ok, "%s: covariance (%s)", pb->name, method);
    for (size_t a = 0; a < pb->p; a++)
        sd[a] = sqrt(cov[a * pb->p + a]);
}

static void run_case(const struct nist_problem *pb, const double *start, const double *cert,
                     const double *cert_sd, double cert_rss, bool must_converge) {
    struct fit_parameters  prm = fit_default_parameters();
    struct fit_workspace  *ws  = fit_workspace_alloc(pb->n);
    struct fit_residual_fn rf  = {pb->n, pb->p, nist_residuals, (void *)pb};
    struct fit_polish_out  out;
    struct sf_error        err;
    enum sf_status         st =
        fit_polish_generic(&rf, NULL, FIT_LOSS_SQUARES, 0, start, &prm, ws, &out, &err);
    check(st == SF_OK, "%s: polish runs", pb->name);
    bool right = true;
    for (size_t j = 0; j < pb->p; j++)
        right = right && fabs(out.theta[j] - cert[j]) <= 1e-6 * fabs(cert[j]);
    right = right && fabs(out.objective - cert_rss) <= 1e-6 * cert_rss;
    if (must_converge) {
        check(out.converged, "%s: converged (%s, %zu iterations)", pb->name, out.status,
              out.iterations);
        /* NIST certifies 11 digits; 1e-6 relative is the tolerance. */
        for (size_t j = 0; j < pb->p; j++)
            check_rel(out.theta[j], cert[j], 1e-6, "%s: b%zu", pb->name, j + 1);
        check_rel(out.objective, cert_rss, 1e-6, "%s: residual sum of squares", pb->name);
        double sd[4];
        nist_sd(pb, out.theta, ws, sd);
        for (size_t j = 0; j < pb->p; j++)
            check_rel(sd[j], cert_sd[j], 1e-5, "%s: std. dev. of b%zu", pb->name, j + 1);
    } else {
        /* Either right, or honestly not converged. */
        check(right || !out.converged, "%s: right (%d) or reported as not converged (status %s)",
              pb->name, right, out.status);
    }
    fit_workspace_free(ws);
}

int main(void) {
    gsl_set_error_handler_off();
    static const double rat_y[] = {16.08,  33.83,  65.80,  97.20,  191.55, 326.20, 386.87, 520.53,
                                   590.03, 651.92, 724.93, 699.56, 689.96, 637.56, 717.41};
    double              rat_x[15];
    for (size_t i = 0; i < 15; i++)
        rat_x[i] = (double)(i + 1);
    struct nist_problem rat         = {"Rat43", 15, 4, rat_x, rat_y, rat43};
    const double        rat_start[] = {100, 10, 1, 1};
    const double        rat_cert[]  = {6.9964151270E+02, 5.2771253025E+00, 7.5962938329E-01,
                                       1.2792483859E+00};
    const double        rat_sd[]    = {1.6302297817E+01, 2.0828735829E+00, 1.9566123451E-01,
                                       6.8761936385E-01};
    run_case(&rat, rat_start, rat_cert, rat_sd, 8.7864049080E+03, true);

    static const double box_x[] = {1, 2, 3, 5, 7, 10}, box_y[] = {109, 149, 149, 191, 213, 224};
    struct nist_problem box        = {"BoxBOD", 6, 2, box_x, box_y, boxbod};
    const double        box_cert[] = {2.1380940889E+02, 5.4723748542E-01};
    const double        box_sd[]   = {1.2354515176E+01, 1.0455993237E-01};
    const double        box_s2[] = {100, 0.75}, box_s1[] = {1, 1};
    run_case(&box, box_s2, box_cert, box_sd, 1.1680088766E+03, true);
    run_case(&box, box_s1, box_cert, box_sd, 1.1680088766E+03, false);

    static const double eck_x[] = {400,   405,   410,   415,   420,   425,   430,   435,   436.5,
                                   438,   439.5, 441,   442.5, 444,   445.5, 447,   448.5, 450,
                                   451.5, 453,   454.5, 456,   457.5, 459,   460.5, 462,   463.5,
                                   465,   470,   475,   480,   485,   490,   495,   500};
    static const double eck_y[] = {0.0001575, 0.0001699, 0.0002350, 0.0003102, 0.0004917, 0.0008710,
                                   0.0017418, 0.0046400, 0.0065895, 0.0097302, 0.0149002, 0.0237310,
                                   0.0401683, 0.0712559, 0.1264458, 0.2073413, 0.2902366, 0.3445623,
                                   0.3698049, 0.3668534, 0.3106727, 0.2078154, 0.1164354, 0.0616764,
                                   0.0337200, 0.0194023, 0.0117831, 0.0074357, 0.0022732, 0.0008800,
                                   0.0004579, 0.0002345, 0.0001586, 0.0001143, 0.0000710};
    struct nist_problem eck     = {"Eckerle4", 35, 3, eck_x, eck_y, eckerle4};
    const double        eck_start[] = {1, 10, 500};
    const double        eck_cert[]  = {1.5543827178E+00, 4.0888321754E+00, 4.5154121844E+02};
    const double        eck_sd[]    = {1.5408051163E-02, 4.6803020753E-02, 4.6800518816E-02};
    run_case(&eck, eck_start, eck_cert, eck_sd, 1.4635887487E-03, true);
    return check_summary();
}

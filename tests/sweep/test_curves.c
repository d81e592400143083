/*
 * test_curves.c — what the sweep reads off a learning curve (src/sweep/curves.c): the drop of
 * the loss over a run's last doubling of tokens, on a hand-made curves.csv whose answers are
 * known, and NaN where it cannot be measured (one evaluation only, no evaluation at half the
 * tokens, an empty or missing column).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "internal.h"

int main(void) {
    char path[] = "/tmp/scalefit_test_curves_XXXXXX";
    int  fd     = mkstemp(path);
    if (!check(fd >= 0, "a scratch file")) return check_summary();
    FILE *f = fdopen(fd, "w");
    fputs("run,seed,params_nonembed,step,tokens,flops_6n,eval_loss,eval_true_loss,eval_loss_cv\n"
          /* a: evaluations at 1000..8000 tokens; the last doubling is 4000 -> 8000 */
          "a,1,100,1,1000,6e5,2.0,,\n"
          "a,1,100,2,2000,1.2e6,1.5,,\n"
          "b,1,300,1,5000,9e6,3.0,,\n"
          "a,1,100,3,3000,1.8e6,1.3,,\n"
          "a,1,100,4,4000,2.4e6,1.2,,\n"
          "a,1,100,5,8000,4.8e6,1.1,,\n"
          /* c: no evaluation at or below half its end (5000 > 9000/2) */
          "c,1,300,1,5000,9e6,3.0,,\n"
          "c,1,300,2,9000,1.6e7,2.9,,\n",
          f);
    fclose(f);
    struct sf_csv   curves;
    struct sf_error err;
    if (!check(sf_csv_read(path, &curves, &err) == SF_OK, "curves.csv read")) {
        remove(path);
        return check_summary();
    }
    /* 1.2 - 1.1 in double: exact to rounding, so a tolerance of a few ulps. */
    check_rel(sweep_curve_last_doubling_drop(&curves, "a", "eval_loss"), 0.1, 1e-12,
              "run a: the loss fell from 1.2 at 4000 tokens to 1.1 at 8000");
    check(isnan(sweep_curve_last_doubling_drop(&curves, "b", "eval_loss")),
          "run b: one evaluation, no drop");
    check(isnan(sweep_curve_last_doubling_drop(&curves, "c", "eval_loss")),
          "run c: no evaluation at half its tokens");
    check(isnan(sweep_curve_last_doubling_drop(&curves, "a", "eval_loss_cv")),
          "an empty column (a source without a Bayes loss): no drop");
    check(isnan(sweep_curve_last_doubling_drop(&curves, "a", "eval_kl_missing")),
          "a missing column: no drop");
    check(isnan(sweep_curve_last_doubling_drop(&curves, "z", "eval_loss")), "an unknown run");
    sf_csv_free(&curves);
    remove(path);
    return check_summary();
}

/*
 * outputs.h — private to src/fit: turning a fitted state into the reported numbers (parameters
 * with standard errors and intervals, per-point predictions, diagnostics, warnings, the
 * entropy estimate, forecasts, targets and allocations).
 */
#ifndef SF_FIT_OUTPUTS_H
#define SF_FIT_OUTPUTS_H

#include "internal.h"

/* Fills every reported field of `r` from r->state. */
enum sf_status fit_outputs_fill(struct fit_result *r, struct sf_error *err);

/* Appends a formatted warning to r->warnings. */
void fit_warn(struct fit_result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif /* SF_FIT_OUTPUTS_H */

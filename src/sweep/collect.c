/*
 * collect.c — results.csv (one row per run) and curves.csv (one row per evaluation) in
 * DESIGN.md's columns, from each run's run configuration, summary.yaml and metrics.csv. Numbers
 * are written in their shortest exact form, so identical runs give identical tables. The best
 * eval loss is Henighan's per-model figure: the minimum over the evaluations (the control-variate
 * column's minimum is taken on its own); best_eval_kl is the exact KL (eval_kl) at the first
 * evaluation whose eval_loss is best_eval_loss, and best_eval_error the error rate there (sources
 * with classes). A metrics.csv written before eval_kl or eval_error existed is read all the
 * same, those columns empty. A stage's runs carry their stage and parent. The runs' own tables
 * (positions.csv, problems.csv) are gathered into the sweep's, each row after its run's identity.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static const char sweep_results_header[] =
    "run,status,seed,n_layer,d_model,n_head,d_ff,d_attn,n_ctx,batch,lr,params,params_nonembed,"
    "tokens,flops_6n,best_eval_loss,best_eval_loss_cv,best_eval_kl,final_eval_loss,bayes_loss,"
    "entropy_rate,stage,parent,best_eval_error,final_eval_error,final_part_loss,"
    "final_part_loss_blank,final_mi,mutual_information,caption_entropy,final_extrap_loss,"
    "final_extrap_error,sample_tokens,extrap_sample_tokens,resolution,best_eval_rkl,best_eval_js,"
    "best_eval_tv,best_eval_h2,best_eval_cs,objective,final_train_loss,final_teacher_kl,"
    "final_teacher_rkl,final_teacher_js,final_teacher_tv,final_teacher_h2,final_teacher_cs,"
    "parent_params\n";
static const char sweep_curves_header[] =
    "run,seed,params_nonembed,step,tokens,flops_6n,eval_loss,eval_true_loss,eval_loss_cv,eval_kl,"
    "eval_error,stage,eval_extrap_loss,resolution,eval_rkl,eval_js,eval_tv,eval_h2,eval_cs,"
    "objective,parent_params,eval_teacher_kl\n";

/* The divergences beside eval_kl (metrics.csv's columns; results.csv's best_eval_ of each). */
static const char *const sweep_divergences[5] = {"eval_rkl", "eval_js", "eval_tv", "eval_h2",
                                                 "eval_cs"};

/* A number, or nothing for NaN (an empty CSV field). */
static void sweep_num_impl(struct sf_buf *b, double v) {
    char t[SF_FMT_DOUBLE_LEN];
    if (isfinite(v)) sf_buf_puts(b, sf_fmt_double(t, sizeof t, v));
}

/* The run's identity in front of the rows of its own tables in the sweep's. */
#define SWEEP_RUN_IDENTITY "run,seed,params_nonembed,flops_6n,stage,"

/* A run's own table the sweep gathers: its file, and the columns kept (the first required). */
struct sweep_run_table {
    const char        *name;
    const char *const *cols;
    size_t             n_cols;
};
static const char *const sweep_positions_cols[] = {"position", "count", "loss", "bayes_loss", "kl"};
static const char *const sweep_problems_cols[]  = {
     "split",         "module",         "difficulty",       "problems",
     "answer_tokens", "loss_per_token", "loss_per_problem", "exact_match"};
static const struct sweep_run_table sweep_run_tables[2] = {
    {"positions.csv", sweep_positions_cols, 5},
    {"problems.csv", sweep_problems_cols, 8},
};

/* Appends the rows of a run's table (positions.csv: the loss by position of its last evaluation;
 * problems.csv: its problems by split, module and difficulty), when it has one, to out with the
 * run's identity in front; a column the run's table lacks stays empty. */
static enum sf_status sweep_collect_table_impl(const struct sweep_run *r, const char *dir,
                                               const struct sweep_run_table *tb, struct sf_buf *out,
                                               struct sf_error *err) {
    char *pp = sf_path_join(dir, tb->name);
    if (pp == NULL) SF_FAIL(err, SF_ENOMEM, "out of memory");
    if (!sf_path_exists(pp)) {
        free(pp);
        return SF_OK;
    }
    struct sf_csv  t;
    enum sf_status st = sf_csv_read(pp, &t, err);
    free(pp);
    if (st != SF_OK) return st;
    long c[8];
    for (size_t k = 0; k < tb->n_cols; k++)
        c[k] = sf_csv_column(&t, tb->cols[k]);
    for (size_t i = 0; i < t.n_rows && c[0] >= 0; i++) {
        char **f = t.rows[i].fields;
        sf_csv_field(out, r->id);
        sf_buf_printf(out, ",%llu,%lld,", (unsigned long long)r->seed,
                      (long long)r->params_nonembed);
        sweep_num_impl(out, r->flops_6n);
        sf_buf_puts(out, ",");
        sf_csv_field(out, r->stage);
        for (size_t k = 0; k < tb->n_cols; k++) {
            sf_buf_puts(out, ",");
            if (c[k] >= 0) sf_csv_field(out, f[c[k]]);
        }
        sf_buf_puts(out, "\n");
    }
    sf_csv_free(&t);
    return SF_OK;
}

/* Reads one run's metrics and appends its rows; returns SF_OK when the run has no metrics yet. */
/* The run's resolution where its source has one (image, video), else nothing. */
static void sweep_resolution_impl(struct sf_buf *b, const struct sweep_run *r) {
    const char *const *keys = model_source_get(r->cfg.data.source)->keys;
    for (size_t k = 0; keys[k] != NULL; k++)
        if (strcmp(keys[k], "resolution") == 0)
            sf_buf_printf(b, "%lld", (long long)r->cfg.data.resolution);
}

static enum sf_status sweep_collect_run_impl(const struct sweep_run *runs, size_t ri,
                                             const char *out_dir, struct sf_buf *res,
                                             struct sf_buf *cur, struct sf_buf *own,
                                             struct sf_error *err) {
    const struct sweep_run *r   = &runs[ri];
    char                   *dir = sweep_run_dir(out_dir, r->id);
    if (dir == NULL) SF_FAIL(err, SF_ENOMEM, "out of memory");
    struct sweep_run_state st;
    sweep_run_state_read(out_dir, r->id, &st);
    static const char *const keys[] = {"bayes_loss",      "entropy_rate",  "mutual_information",
                                       "caption_entropy", "sample_tokens", "extrap_sample_tokens"};
    double                   known[6];
    sweep_summary_numbers(dir, keys, known, 6);
    double        bayes = known[0], entropy = known[1];
    double        best = NAN, best_cv = NAN, best_kl = NAN, final = NAN, tokens = NAN;
    double        best_err = NAN, final_err = NAN, part = NAN, part_blank = NAN;
    double        flops = NAN, extrap = NAN, extrap_err = NAN;
    double        best_div[5] = {NAN, NAN, NAN, NAN, NAN}, final_train = NAN;
    double        final_teacher[6] = {NAN, NAN, NAN, NAN, NAN, NAN};
    char         *mp               = sf_path_join(dir, "metrics.csv");
    struct sf_csv m;
    memset(&m, 0, sizeof m);
    enum sf_status status = SF_OK;
    char          *text   = NULL;
    size_t         len    = 0;
    if (mp && sf_path_exists(mp) && (status = sf_read_file(mp, &text, &len, err)) == SF_OK) {
        /* A trainer appends whole lines; a torn last line (a full disk, a crash inside the
         * write) is not data yet: it is cut back on resume, and left out here. */
        while (len > 0 && text[len - 1] != '\n')
            len--;
        status = len > 0 ? sf_csv_parse(mp, text, len, &m, err) : SF_OK;
        if (status == SF_OK && len > 0) {
            long c_step = sf_csv_column(&m, "step"), c_tok = sf_csv_column(&m, "tokens");
            long c_fl = sf_csv_column(&m, "flops_6n"), c_ev = sf_csv_column(&m, "eval_loss");
            long c_tr  = sf_csv_column(&m, "eval_true_loss"),
                 c_cv  = sf_csv_column(&m, "eval_loss_cv");
            long c_kl  = sf_csv_column(&m, "eval_kl");    /* optional: older runs lack it */
            long c_er  = sf_csv_column(&m, "eval_error"); /* likewise */
            long c_pt  = sf_csv_column(&m, "eval_part_loss");
            long c_pb  = sf_csv_column(&m, "eval_part_loss_blank");
            long c_xl  = sf_csv_column(&m, "eval_extrap_loss");
            long c_xe  = sf_csv_column(&m, "eval_extrap_error");
            long c_trl = sf_csv_column(&m, "train_loss");
            long c_tc[6];
            for (size_t k = 0; k < 6; k++) {
                char name[32];
                snprintf(name, sizeof name, "eval_teacher_%s", sweep_divergence_names[k]);
                c_tc[k] = sf_csv_column(&m, name);
            }
            long c_dv[5];
            for (size_t k = 0; k < 5; k++)
                c_dv[k] = sf_csv_column(&m, sweep_divergences[k]);
            if (c_step < 0 || c_tok < 0 || c_fl < 0 || c_ev < 0 || c_tr < 0 || c_cv < 0) {
                status = SF_SET_AT(err, SF_EINVAL, mp, "metrics.csv lacks DESIGN.md's columns");
            } else {
                for (size_t i = 0; i < m.n_rows; i++) {
                    char      **f = m.rows[i].fields;
                    double      ev, cv, t, fl, kl, er;
                    const char *f_kl = c_kl >= 0 ? f[c_kl] : "";
                    const char *f_er = c_er >= 0 ? f[c_er] : "";
                    if (sf_parse_double(f[c_tok], &t)) tokens = t;
                    if (c_trl >= 0 && sf_parse_double(f[c_trl], &t)) final_train = t;
                    if (sf_parse_double(f[c_fl], &fl)) flops = fl;
                    if (!sf_parse_double(f[c_ev], &ev)) continue; /* a row without evaluation */
                    final     = ev;
                    final_err = sf_parse_double(f_er, &er) ? er : (double)NAN;
                    double pv;
                    part       = c_pt >= 0 && sf_parse_double(f[c_pt], &pv) ? pv : (double)NAN;
                    part_blank = c_pb >= 0 && sf_parse_double(f[c_pb], &pv) ? pv : (double)NAN;
                    extrap     = c_xl >= 0 && sf_parse_double(f[c_xl], &pv) ? pv : (double)NAN;
                    extrap_err = c_xe >= 0 && sf_parse_double(f[c_xe], &pv) ? pv : (double)NAN;
                    for (size_t k = 0; k < 6; k++)
                        final_teacher[k] =
                            c_tc[k] >= 0 && sf_parse_double(f[c_tc[k]], &pv) ? pv : (double)NAN;
                    if (isnan(best) || ev < best) {
                        best     = ev;
                        best_kl  = sf_parse_double(f_kl, &kl) ? kl : (double)NAN;
                        best_err = final_err;
                        for (size_t k = 0; k < 5; k++)
                            best_div[k] =
                                c_dv[k] >= 0 && sf_parse_double(f[c_dv[k]], &pv) ? pv : (double)NAN;
                    }
                    if (sf_parse_double(f[c_cv], &cv) && (isnan(best_cv) || cv < best_cv))
                        best_cv = cv;
                    sf_csv_field(cur, r->id);
                    sf_buf_printf(cur, ",%llu,%lld,%s,%s,%s,%s,%s,%s,%s,%s,",
                                  (unsigned long long)r->seed, (long long)r->params_nonembed,
                                  f[c_step], f[c_tok], f[c_fl], f[c_ev], f[c_tr], f[c_cv], f_kl,
                                  f_er);
                    sf_csv_field(cur, r->stage);
                    sf_buf_puts(cur, ",");
                    if (c_xl >= 0) sf_buf_puts(cur, f[c_xl]);
                    sf_buf_puts(cur, ",");
                    sweep_resolution_impl(cur, r);
                    for (size_t k = 0; k < 5; k++) {
                        sf_buf_puts(cur, ",");
                        if (c_dv[k] >= 0) sf_buf_puts(cur, f[c_dv[k]]);
                    }
                    sf_buf_printf(cur, ",%s,", model_objective_names[r->cfg.objective]);
                    if (r->has_parent)
                        sf_buf_printf(cur, "%lld", (long long)runs[r->parent].params_nonembed);
                    sf_buf_puts(cur, ",");
                    if (c_tc[0] >= 0) sf_buf_puts(cur, f[c_tc[0]]);
                    sf_buf_puts(cur, "\n");
                }
            }
            sf_csv_free(&m);
        }
    }
    free(text);
    free(mp);
    for (size_t k = 0; k < 2 && status == SF_OK; k++)
        status = sweep_collect_table_impl(r, dir, &sweep_run_tables[k], &own[k], err);
    free(dir);
    if (status != SF_OK) return status;
    struct model_shape ms = model_config_shape(&r->cfg);
    sf_csv_field(res, r->id);
    sf_buf_printf(res, ",%s,%llu,%lld,%lld,%lld,%lld,%lld,%lld,%lld,", sweep_state_name(st.state),
                  (unsigned long long)r->seed, (long long)ms.n_layer, (long long)ms.d_model,
                  (long long)ms.n_head, (long long)ms.d_ff, (long long)ms.d_attn,
                  (long long)ms.n_ctx, (long long)r->cfg.batch);
    sweep_num_impl(res, r->cfg.lr);
    sf_buf_printf(res, ",%lld,%lld,", (long long)r->params, (long long)r->params_nonembed);
    sweep_num_impl(res, tokens);
    sf_buf_puts(res, ",");
    sweep_num_impl(res, flops);
    const double tail[6] = {best, best_cv, best_kl, final, bayes, entropy};
    for (size_t k = 0; k < 6; k++) {
        sf_buf_puts(res, ",");
        sweep_num_impl(res, tail[k]);
    }
    sf_buf_puts(res, ",");
    sf_csv_field(res, r->stage);
    sf_buf_puts(res, ",");
    if (r->has_parent) sf_csv_field(res, runs[r->parent].id);
    sf_buf_puts(res, ",");
    sweep_num_impl(res, best_err);
    sf_buf_puts(res, ",");
    sweep_num_impl(res, final_err);
    const double paired[9] = {part,   part_blank, part_blank - part, known[2], known[3],
                              extrap, extrap_err, known[4],          known[5]};
    for (size_t k = 0; k < 9; k++) {
        sf_buf_puts(res, ",");
        sweep_num_impl(res, paired[k]);
    }
    sf_buf_puts(res, ",");
    sweep_resolution_impl(res, r);
    for (size_t k = 0; k < 5; k++) {
        sf_buf_puts(res, ",");
        sweep_num_impl(res, best_div[k]);
    }
    sf_buf_printf(res, ",%s,", model_objective_names[r->cfg.objective]);
    sweep_num_impl(res, final_train);
    for (size_t k = 0; k < 6; k++) {
        sf_buf_puts(res, ",");
        sweep_num_impl(res, final_teacher[k]);
    }
    sf_buf_puts(res, ",");
    if (r->has_parent) sf_buf_printf(res, "%lld", (long long)runs[r->parent].params_nonembed);
    sf_buf_puts(res, "\n");
    return SF_OK;
}

enum sf_status sweep_collect(const struct sweep_run *runs, size_t n, const char *out_dir,
                             struct sf_error *err) {
    struct sf_buf res, cur, own[2];
    sf_buf_init(&res);
    sf_buf_init(&cur);
    sf_buf_puts(&res, sweep_results_header);
    sf_buf_puts(&cur, sweep_curves_header);
    for (size_t k = 0; k < 2; k++) {
        sf_buf_init(&own[k]);
        sf_buf_puts(&own[k], SWEEP_RUN_IDENTITY);
        for (size_t j = 0; j < sweep_run_tables[k].n_cols; j++)
            sf_buf_printf(&own[k], j ? ",%s" : "%s", sweep_run_tables[k].cols[j]);
        sf_buf_puts(&own[k], "\n");
    }
    enum sf_status st = SF_OK;
    for (size_t i = 0; i < n && st == SF_OK; i++)
        st = sweep_collect_run_impl(runs, i, out_dir, &res, &cur, own, err);
    if (st == SF_OK) st = sf_write_buf_at(out_dir, "results.csv", &res, err);
    if (st == SF_OK) st = sf_write_buf_at(out_dir, "curves.csv", &cur, err);
    /* positions.csv always; problems.csv where the source has answers (a row past the header). */
    for (size_t k = 0; k < 2 && st == SF_OK; k++)
        if (k == 0 || (!own[k].failed && strchr(own[k].data, '\n')[1] != '\0'))
            st = sf_write_buf_at(out_dir, sweep_run_tables[k].name, &own[k], err);
    sf_buf_free(&res);
    sf_buf_free(&cur);
    for (size_t k = 0; k < 2; k++)
        sf_buf_free(&own[k]);
    return st;
}

bool sweep_table_has_column(const char *table, const char *column) {
    const char *h = strcmp(table, "curves.csv") == 0 ? sweep_curves_header : sweep_results_header;
    size_t      n = strlen(column);
    for (const char *p = h; *p != '\0' && *p != '\n';) {
        size_t len = strcspn(p, ",\n");
        if (len == n && strncmp(p, column, n) == 0) return true;
        p += len + (p[len] == ',');
    }
    return false;
}

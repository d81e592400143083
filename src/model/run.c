/*
 * run.c — the training driver behind `scalefit train --run-dir DIR` (model_run): the lock, the
 * status file, summary.yaml, log.txt, metrics.csv (appended one whole line per evaluation, cut
 * back on resume), the learning-rate schedule, the evaluation steps, divergence detection,
 * periodic / final / on-signal checkpoints, and the progress display.
 *
 * Not here: the model (model.c), data (data.c), the checkpoint format (checkpoint.c), signal
 * handlers (the command installs them and passes a flag). Library code: no exit(), no printf;
 * messages go through the caller's logger and into DIR/log.txt.
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

static const char model_metrics_header[] =
    "step,tokens,flops_6n,flops_exact,lr,train_loss,eval_loss,eval_true_loss,eval_loss_cv,"
    "eval_kl,eval_error,eval_part_loss,eval_part_loss_blank,eval_extrap_loss,eval_extrap_error,"
    "eval_rkl,eval_js,eval_tv,eval_h2,eval_cs,eval_teacher_kl,eval_teacher_rkl,eval_teacher_js,"
    "eval_teacher_tv,eval_teacher_h2,eval_teacher_cs,grad_norm,elapsed_s,tokens_per_s\n";

// ---- schedule and evaluation steps ----

double model_lr_at(const struct model_config *cfg, int64_t step, int64_t n_steps) {
    int64_t warm = (int64_t)floor(cfg->lr_warmup * (double)n_steps);
    if (step <= warm && warm > 0) return cfg->lr * (double)step / (double)warm;
    if (cfg->lr_schedule == MODEL_LR_SCHEDULE_CONSTANT || n_steps <= warm) return cfg->lr;
    double p      = (double)(step - warm) / (double)(n_steps - warm);
    double floor_ = cfg->lr_floor;
    if (cfg->lr_schedule == MODEL_LR_SCHEDULE_COSINE)
        return cfg->lr * (floor_ + (1.0 - floor_) * 0.5 * (1.0 + cos(M_PI * p)));
    return cfg->lr * (1.0 - (1.0 - floor_) * p);
}

enum sf_status model_eval_steps(const struct model_config *cfg, int64_t n_steps, int64_t **out,
                                size_t *n, struct sf_error *err) {
    size_t   cap = cfg->eval_every > 0 ? (size_t)(n_steps / cfg->eval_every) + 2
                                       : (size_t)cfg->eval_points + 2;
    int64_t *s   = malloc(cap * sizeof *s);
    if (s == NULL) SF_FAIL(err, SF_ENOMEM, "out of memory");
    size_t k = 0;
    if (cfg->eval_every > 0) {
        for (int64_t x = cfg->eval_every; x < n_steps; x += cfg->eval_every)
            s[k++] = x;
    } else if (cfg->eval_points > 1) {
        /* Evenly spaced in log(step) from step 1 to n_steps, rounded, duplicates dropped. */
        double ln = log((double)n_steps);
        for (int64_t i = 0; i < cfg->eval_points - 1; i++) {
            int64_t x = (int64_t)llround(exp(ln * (double)i / (double)(cfg->eval_points - 1)));
            if (x < 1) x = 1;
            if (x >= n_steps) break;
            if (k == 0 || x > s[k - 1]) s[k++] = x;
        }
    }
    s[k++] = n_steps;
    *out   = s;
    *n     = k;
    return SF_OK;
}

// ---- the run's files ----

struct model_run_files {
    char *run_yaml, *status, *metrics, *checkpoint, *summary, *log, *lock, *positions, *problems;
};

static void model_run_files_free_impl(struct model_run_files *f) {
    free(f->run_yaml);
    free(f->status);
    free(f->metrics);
    free(f->checkpoint);
    free(f->summary);
    free(f->log);
    free(f->lock);
    free(f->positions);
    free(f->problems);
}

static bool model_run_files_init_impl(struct model_run_files *f, const char *dir) {
    memset(f, 0, sizeof *f);
    f->run_yaml   = sf_path_join(dir, "run.yaml");
    f->status     = sf_path_join(dir, "status");
    f->metrics    = sf_path_join(dir, "metrics.csv");
    f->checkpoint = sf_path_join(dir, "checkpoint.bin");
    f->summary    = sf_path_join(dir, "summary.yaml");
    f->log        = sf_path_join(dir, "log.txt");
    f->lock       = sf_path_join(dir, "lock");
    f->positions  = sf_path_join(dir, "positions.csv");
    f->problems   = sf_path_join(dir, "problems.csv");
    return f->run_yaml && f->status && f->metrics && f->checkpoint && f->summary && f->log &&
           f->lock && f->positions && f->problems;
}

/* Writes the status line "STATE" or "STATE: REASON" atomically. */
static enum sf_status model_write_status_impl(const char *path, const char *state,
                                              const char *reason, struct sf_error *err) {
    char line[2400];
    if (reason != NULL && reason[0] != '\0') {
        /* One line: newlines in a reason become spaces. */
        snprintf(line, sizeof line, "%s: %s", state, reason);
        for (char *p = line; *p; p++)
            if (*p == '\n' || *p == '\r') *p = ' ';
    } else {
        snprintf(line, sizeof line, "%s", state);
    }
    size_t len        = strlen(line);
    line[len]         = '\n';
    enum sf_status st = sf_write_atomic(path, line, len + 1, err);
    if (st == SF_OK || (err->sys_errno != ENOSPC && err->sys_errno != EDQUOT)) return st;
    /* A full disk: the atomic write needs a new file's first block, but the status file already
     * has one, and a line rewritten in place fits in it (a write of one short line at offset 0 is
     * not torn by a full disk). */
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return st;
    bool ok = pwrite(fd, line, len + 1, 0) == (ssize_t)(len + 1) &&
              ftruncate(fd, (off_t)(len + 1)) == 0 && fsync(fd) == 0;
    close(fd);
    if (ok) sf_error_clear(err);
    return ok ? SF_OK : st;
}

/* The log: the caller's logger plus DIR/log.txt with a UTC timestamp on each line. */
struct model_run_log {
    const struct sf_logger *outer;
    FILE                   *file;
};

static void model_run_log_fn_impl(void *ctx, enum sf_log_level level, const char *message) {
    struct model_run_log *l = ctx;
    if (l->outer != NULL && l->outer->fn != NULL) l->outer->fn(l->outer->ctx, level, message);
    if (l->file != NULL) {
        time_t    now = time(NULL);
        struct tm tmv;
        char      ts[32];
        gmtime_r(&now, &tmv);
        strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tmv);
        const char *lv = level == SF_LOG_LEVEL_WARNING ? "warning: "
                         : level == SF_LOG_LEVEL_ERROR ? "error: "
                                                       : "";
        fprintf(l->file, "%s %s%s\n", ts, lv, message);
        fflush(l->file);
    }
}

/* The field `k` (0-based) of a CSV line without quoting [p, end): its start and length, or
 * false when the line has fewer fields. */
static bool model_csv_nth_impl(const char *p, const char *end, size_t k, const char **f,
                               size_t *len) {
    for (size_t i = 0; i < k; i++) {
        const char *c = memchr(p, ',', (size_t)(end - p));
        if (c == NULL) return false;
        p = c + 1;
    }
    const char *c = memchr(p, ',', (size_t)(end - p));
    *f            = p;
    *len          = (size_t)((c ? c : end) - p);
    return true;
}

/* Appends a row of an older layout (header `old`, [old, old_end)) in the current layout: each
 * current column takes the field of the same name, or stays empty (eval_kl of a row written
 * before the column existed). */
static void model_metrics_convert_impl(struct sf_buf *out, const char *old, const char *old_end,
                                       const char *row, const char *row_end) {
    const char *name = model_metrics_header, *hend = strchr(name, '\n');
    for (bool first = true; name < hend; first = false) {
        const char *c    = memchr(name, ',', (size_t)(hend - name));
        size_t      nlen = (size_t)((c ? c : hend) - name);
        if (!first) sf_buf_puts(out, ",");
        const char *f;
        size_t      flen;
        for (size_t k = 0; model_csv_nth_impl(old, old_end, k, &f, &flen); k++) {
            if (flen == nlen && memcmp(f, name, nlen) == 0) {
                if (model_csv_nth_impl(row, row_end, k, &f, &flen)) sf_buf_append(out, f, flen);
                break;
            }
        }
        name = c ? c + 1 : hend;
    }
    sf_buf_puts(out, "\n");
}

/* Cuts metrics.csv back to the header and the complete rows with step <= `step`. Rows under an
 * older header (a run started by an earlier scalefit) are rewritten in the current columns. */
enum sf_status model_metrics_cut(const char *path, int64_t step, struct sf_error *err) {
    char         *text = NULL;
    size_t        len  = 0;
    struct sf_buf out;
    sf_buf_init(&out);
    sf_buf_puts(&out, model_metrics_header);
    if (sf_path_exists(path)) {
        enum sf_status st = sf_read_file(path, &text, &len, err);
        if (st != SF_OK) {
            sf_buf_free(&out);
            return st;
        }
        const char *p = text, *end = text + len, *hdr = NULL, *hdr_end = NULL;
        bool        same = true;
        while (p < end) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            if (nl == NULL) break; /* a partial last line: dropped */
            if (hdr != NULL) {
                char     *e;
                long long s = strtoll(p, &e, 10);
                if (e != p && *e == ',' && s <= step) {
                    if (same)
                        sf_buf_append(&out, p, (size_t)(nl - p + 1));
                    else
                        model_metrics_convert_impl(&out, hdr, hdr_end, p, nl);
                }
            } else {
                hdr     = p;
                hdr_end = nl;
                same    = (size_t)(nl - p + 1) == strlen(model_metrics_header) &&
                       memcmp(p, model_metrics_header, (size_t)(nl - p + 1)) == 0;
            }
            p = nl + 1;
        }
        free(text);
    }
    if (out.failed) {
        sf_buf_free(&out);
        SF_FAIL(err, SF_ENOMEM, "out of memory rewriting %s", path);
    }
    enum sf_status st = sf_write_atomic(path, out.data, out.len, err);
    sf_buf_free(&out);
    return st;
}

/* Appends one whole line with a single write and makes it durable; a write that fails (a full
 * disk) is cut back, so that the file never ends in part of a line. */
static enum sf_status model_metrics_append_impl(int fd, const char *path, const char *line,
                                                struct sf_error *err) {
    size_t len = strlen(line), off = 0;
    off_t  end = lseek(fd, 0, SEEK_END);
    while (off < len) {
        ssize_t w = write(fd, line + off, len - off);
        if (w < 0) {
            int e = errno;
            if (e == EINTR) continue;
            if (end >= 0) (void)ftruncate(fd, end);
            SF_SET(err, SF_EIO, "cannot append to %s: %s", path, strerror(e));
            if (err != NULL) err->sys_errno = e;
            return SF_EIO;
        }
        off += (size_t)w;
    }
    (void)fdatasync(fd);
    return SF_OK;
}

static void model_csv_double_impl(struct sf_buf *b, double v, bool last) {
    char buf[SF_FMT_DOUBLE_LEN];
    sf_buf_puts(b, sf_fmt_double(buf, sizeof buf, v));
    sf_buf_puts(b, last ? "\n" : ",");
}

static void model_csv_empty_or_double_impl(struct sf_buf *b, double v, bool present) {
    char buf[SF_FMT_DOUBLE_LEN];
    if (present) sf_buf_puts(b, sf_fmt_double(buf, sizeof buf, v));
    sf_buf_puts(b, ",");
}

/* Everything summary.yaml says. */
struct model_summary {
    const char                     *version;
    const char                     *status;
    const char                     *reason;
    const struct model_shape       *shape;
    const struct model_source_info *info;
    const char                     *sample_unit; /* the source entry's */
    int64_t                         steps, step, tokens_per_step;
    double                          final_eval_loss; /* NaN = none */
    double start_elapsed_s, elapsed_s; /* training-loop seconds: this process's start, so far */
    char   kernels[160];               /* model_kernels: where the products run */
    const char *init_from;             /* run.yaml's init_from ("" = none) */
};

static enum sf_status model_write_summary_impl(const char *path, const struct model_summary *s,
                                               struct sf_error *err) {
    struct sf_yaml_out y;
    sf_yaml_out_init(&y);
    sf_yaml_map_begin(&y, false);
    sf_yaml_kv_str(&y, "scalefit_version", s->version ? s->version : "unknown");
    sf_yaml_kv_str(&y, "status", s->status);
    sf_yaml_kv_str(&y, "reason", s->reason && s->reason[0] ? s->reason : NULL);
    sf_yaml_kv_int(&y, "params", model_params_total(s->shape));
    sf_yaml_kv_int(&y, "params_nonembed", model_params_nonembed(s->shape));
    sf_yaml_kv_int(&y, "n_vocab", s->shape->n_vocab);
    sf_yaml_kv_int(&y, "n_layer", s->shape->n_layer);
    sf_yaml_kv_int(&y, "d_model", s->shape->d_model);
    sf_yaml_kv_int(&y, "n_head", s->shape->n_head);
    sf_yaml_kv_int(&y, "d_ff", s->shape->d_ff);
    sf_yaml_kv_int(&y, "d_attn", s->shape->d_attn);
    sf_yaml_kv_int(&y, "n_ctx", s->shape->n_ctx);
    sf_yaml_kv_bool(&y, "tie_embeddings", s->shape->tie_embeddings);
    sf_yaml_kv_double(&y, "flops_per_token", model_flops_per_token(s->shape));
    sf_yaml_kv_double(&y, "flops_per_token_6n", model_flops_6n(s->shape, 1.0));
    sf_yaml_kv_int(&y, "tokens_per_step", s->tokens_per_step);
    sf_yaml_kv_int(&y, "steps", s->steps);
    sf_yaml_kv_str(&y, "kernels", s->kernels);
    sf_yaml_kv_str(&y, "init_from", s->init_from && s->init_from[0] ? s->init_from : NULL);
    sf_yaml_plain(&y, "entropy_rate");
    if (isnan(s->info->entropy_rate))
        sf_yaml_null(&y);
    else
        sf_yaml_double(&y, s->info->entropy_rate);
    sf_yaml_plain(&y, "bayes_loss");
    if (isnan(s->info->bayes_loss))
        sf_yaml_null(&y);
    else
        sf_yaml_double(&y, s->info->bayes_loss);
    sf_yaml_kv_str(&y, "data_sha256", s->info->sha256);
    const struct {
        const char *key;
        double      v;
    } paired[4] = {{"caption_entropy", s->info->caption_entropy},
                   {"mutual_information", s->info->mutual_information},
                   {"sample_tokens", s->info->sample_tokens},
                   {"extrap_sample_tokens", s->info->extrap_sample_tokens}};
    sf_yaml_kv_str(&y, "sample_unit", isnan(s->info->sample_tokens) ? NULL : s->sample_unit);
    for (size_t k = 0; k < 4; k++) {
        sf_yaml_plain(&y, paired[k].key);
        if (isnan(paired[k].v))
            sf_yaml_null(&y);
        else
            sf_yaml_double(&y, paired[k].v);
    }
    sf_yaml_kv_int(&y, "train_tokens_available", s->info->train_tokens);
    sf_yaml_kv_int(&y, "eval_tokens", s->info->eval_tokens);
    sf_yaml_kv_int(&y, "step", s->step);
    sf_yaml_kv_int(&y, "tokens", s->step * s->tokens_per_step);
    sf_yaml_plain(&y, "final_eval_loss");
    if (isnan(s->final_eval_loss))
        sf_yaml_null(&y);
    else
        sf_yaml_double(&y, s->final_eval_loss);
    sf_yaml_kv_double(&y, "start_elapsed_s", s->start_elapsed_s);
    sf_yaml_kv_double(&y, "elapsed_s", s->elapsed_s);
    sf_yaml_map_end(&y);
    char          *text;
    enum sf_status st = sf_yaml_out_finish(&y, &text, err);
    sf_yaml_out_free(&y);
    if (st != SF_OK) return st;
    st = sf_write_atomic(path, text, strlen(text), err);
    free(text);
    return st;
}

// ---- evaluation ----

/* The eval set's classes (the source's choices), lo == hi when it has none. */
static void model_data_choices_impl(const struct model_data *d, int64_t *lo, int64_t *hi) {
    *lo = *hi = 0;
    if (d->entry->ops->choices != NULL) d->entry->ops->choices(&d->config, lo, hi);
}

/* Per-position sums of an evaluation (T entries each), for positions.csv. */
struct model_positions {
    double *loss, *kl;
    size_t *count;
};
/* The softmax of a row of V logits, in double, into out (a trained teacher's distribution). */
static void model_softmax_d_impl(const float *l, size_t V, double *out) {
    float mx = l[0];
    for (size_t x = 1; x < V; x++)
        mx = l[x] > mx ? l[x] : mx;
    double z = 0;
    for (size_t x = 0; x < V; x++)
        z += out[x] = exp((double)l[x] - (double)mx);
    for (size_t x = 0; x < V; x++)
        out[x] /= z;
}

/* A trained teacher at evaluation: its model, a row of scratch (V doubles), and the divergences
 * of the model from it summed over the counted eval positions. */
struct model_teacher_eval {
    struct model            *teacher;
    double                  *row;
    struct model_divergences sum;
};

/* Sources with answers: per-window sums of an evaluation's counted predictions (the eval
 * windows, then the extrapolation windows), for problems.csv. */
struct model_windows {
    double *loss;
    size_t *count;
};

/* The loss of n_win windows (their counted predictions) in batches of the model's B: its sum
 * over the positions [p0, p1) of each window into *part (0 when p0 == p1), the sum over every
 * position returned. For exact sources the summed exact KL into *kl; for sources with classes
 * the number of counted predictions whose most likely class (the argmax of the logits over the
 * class tokens, the lowest token on a tie) is not the target into *wrong; for sources with
 * answers the number of windows with a counted prediction whose most likely token is not the
 * target (so greedy decoding would not give the answer exactly). With pos, the sums by
 * position; with win, the sums by window, from window `first` of its arrays. */
static double model_eval_windows_impl(struct model *m, const struct model_data *d,
                                      const int32_t *wins, size_t n_win, int32_t *inputs,
                                      int32_t *targets, struct model_divergences *div,
                                      size_t *wrong, double *part,
                                      const struct model_positions *pos,
                                      const struct model_windows *win, size_t first,
                                      struct model_teacher_eval *tch) {
    size_t  T = d->T, W = T + 1, V = (size_t)d->n_vocab;
    bool    exact = d->entry->exact && div != NULL;
    int64_t lo = 0, hi = 0;
    if (wrong != NULL) model_data_choices_impl(d, &lo, &hi);
    bool                     answers = wrong != NULL && d->entry->ops->answer_end != NULL;
    double                   s = 0.0, s_part = 0.0;
    struct model_divergences s_div   = {0};
    size_t                   n_wrong = 0;
    for (size_t i0 = 0; i0 < n_win; i0 += m->B) {
        size_t nb = n_win - i0 < m->B ? n_win - i0 : m->B;
        for (size_t b = 0; b < nb; b++) {
            const int32_t *w = wins + (i0 + b) * W;
            memcpy(inputs + b * T, w, T * sizeof *w);
            memcpy(targets + b * T, w + 1, T * sizeof *w);
            for (size_t t = 0; t < T; t++)
                if (!model_data_counted(d, w, t)) targets[b * T + t] = MODEL_IGNORE;
        }
        model_forward(m, inputs, targets, nb);
        const float *l = model_losses(m);
        for (size_t k = 0; k < nb * T; k++) {
            s += (double)l[k];
            size_t t = k % T;
            if (t >= d->pair_p0 && t < d->pair_p1) s_part += (double)l[k];
            if (pos != NULL && targets[k] != MODEL_IGNORE) {
                pos->loss[t] += (double)l[k];
                pos->count[t]++;
            }
            if (win != NULL && targets[k] != MODEL_IGNORE) {
                win->loss[first + i0 + k / T] += (double)l[k];
                win->count[first + i0 + k / T]++;
            }
        }
        const float *logits = model_logits(m); // (nb, T, V)
        if (tch != NULL) {
            /* the teacher's softmax on the same windows, in double, against the model's q */
            model_forward(tch->teacher, inputs, NULL, nb);
            const float *tl = model_logits(tch->teacher);
            for (size_t k = 0; k < nb * T; k++) {
                if (targets[k] == MODEL_IGNORE) continue;
                model_softmax_d_impl(tl + k * V, V, tch->row);
                model_divergences_add(tch->row, NULL, logits + k * V, V, d->div_scratch, &tch->sum);
            }
        }
        if (exact)
            for (size_t b = 0; b < nb; b++) {
                /* window by window, then into the sums (the order model_data_window_kl gives) */
                struct model_divergences one = {0};
                model_data_window_divergences(d, wins + (i0 + b) * W, logits + b * T * V, &one,
                                              pos != NULL ? pos->kl : NULL);
                model_divergences_sum(&s_div, &one);
            }
        if (hi > lo)
            for (size_t k = 0; k < nb * T; k++) {
                if (targets[k] == MODEL_IGNORE) continue;
                const float *row  = logits + k * V;
                int64_t      best = lo;
                for (int64_t c = lo + 1; c < hi; c++)
                    if (row[c] > row[best]) best = c;
                n_wrong += best != targets[k];
            }
        for (size_t b = 0; answers && b < nb; b++) {
            bool ok = true;
            for (size_t t = 0; t < T && ok; t++) {
                if (targets[b * T + t] == MODEL_IGNORE) continue;
                const float *row  = logits + (b * T + t) * V;
                size_t       best = 0;
                for (size_t x = 1; x < V; x++)
                    if (row[x] > row[best]) best = x;
                ok = (int32_t)best == targets[b * T + t];
            }
            n_wrong += !ok;
        }
    }
    if (div != NULL) *div = s_div;
    if (wrong != NULL) *wrong = n_wrong;
    *part = s_part;
    return s;
}

/* What an evaluation measures beside the eval loss; NaN where it does not apply. */
struct model_eval_result {
    double kl;                  /* exact sources: the mean exact KL of the model from the source */
    double rkl, js, tv, h2, cs; /* ... and the other divergences (rkl NaN where p has zeros the
                                   model does not have) */
    double teacher[6];   /* a trained teacher: kl, rkl, js, tv, h2, cs of the model from it */
    double error;        /* sources with classes: the error rate of the counted predictions;
                            sources with answers: of the problems under greedy decoding */
    double part;         /* paired parts: the second part's loss per window after the true first
                            part, in nats */
    double part_blank;   /* ... after a blanked one */
    double extrap;       /* extrapolation split: its loss per counted prediction */
    double extrap_error; /* ... and its error rate, as `error` */
};

/* The evaluation: the mean loss over the eval set's counted predictions (returned), and the rest
 * into *r. */
static double model_evaluate_impl(struct model *m, const struct model_data *d, int32_t *inputs,
                                  int32_t *targets, struct model_eval_result *r,
                                  const struct model_positions *pos,
                                  const struct model_windows *win, struct model_teacher_eval *tch) {
    int64_t lo, hi;
    model_data_choices_impl(d, &lo, &hi);
    double                   s_part = 0;
    struct model_divergences s_div  = {0};
    size_t                   wrong  = 0;
    for (size_t t = 0; pos != NULL && t < d->T; t++)
        pos->loss[t] = pos->kl[t] = 0.0, pos->count[t] = 0;
    for (size_t i = 0; win != NULL && i < d->n_eval_win + d->n_extrap_win; i++)
        win->loss[i] = 0.0, win->count[i] = 0;
    if (tch != NULL) memset(&tch->sum, 0, sizeof tch->sum);
    double s = model_eval_windows_impl(m, d, d->eval_win, d->n_eval_win, inputs, targets, &s_div,
                                       &wrong, &s_part, pos, win, 0, tch);
    double n = (double)d->n_eval_counted, nw = (double)d->n_eval_win;
    bool   answers = d->entry->ops->answer_end != NULL;
    bool   exact   = d->entry->exact;
    r->kl          = exact ? s_div.kl / n : (double)NAN;
    r->rkl         = exact && isfinite(s_div.rkl) ? s_div.rkl / n : (double)NAN;
    r->js          = exact ? s_div.js / n : (double)NAN;
    r->tv          = exact ? s_div.tv / n : (double)NAN;
    r->h2          = exact ? s_div.h2 / n : (double)NAN;
    r->cs          = exact ? s_div.cs / n : (double)NAN;
    for (size_t k = 0; k < 6; k++)
        r->teacher[k] = NAN;
    if (tch != NULL) {
        const double t[6] = {tch->sum.kl, tch->sum.rkl, tch->sum.js,
                             tch->sum.tv, tch->sum.h2,  tch->sum.cs};
        for (size_t k = 0; k < 6; k++)
            r->teacher[k] = isfinite(t[k]) ? t[k] / n : (double)NAN;
    }
    r->error = answers ? (double)wrong / nw : hi > lo ? (double)wrong / n : (double)NAN;
    r->part = r->part_blank = r->extrap = r->extrap_error = NAN;
    if (d->eval_win_blank != NULL) {
        double s_blank = 0;
        model_eval_windows_impl(m, d, d->eval_win_blank, d->n_eval_win, inputs, targets, NULL, NULL,
                                &s_blank, NULL, NULL, 0, NULL);
        r->part       = s_part / nw;
        r->part_blank = s_blank / nw;
    }
    if (d->extrap_win != NULL) {
        /* Its positions stay out of positions.csv (the eval set's); its windows' sums are kept. */
        double s_x = 0, part_x = 0;
        size_t wrong_x = 0;
        s_x = model_eval_windows_impl(m, d, d->extrap_win, d->n_extrap_win, inputs, targets, NULL,
                                      &wrong_x, &part_x, NULL, win, d->n_eval_win, NULL);
        r->extrap       = s_x / (double)d->n_extrap_counted;
        r->extrap_error = (double)wrong_x / (double)d->n_extrap_win;
    }
    return s / n;
}

// ---- the driver ----

/* Everything a run holds, freed in one place. */
struct model_run_ctx {
    struct model_run_files files;
    int                    lock_fd, metrics_fd;
    struct model_run_log   log_impl;
    struct sf_logger       log;
    struct model_config    cfg;
    struct model_data      data;
    bool                   data_open;
    struct model          *model;
    int32_t               *inputs, *targets;
    int64_t               *eval_steps;
    size_t                 n_eval_steps;
    /* what the steps need, once the run is open */
    struct model_shape     shape;
    int64_t                n_steps;
    size_t                 B, T;
    char                   hash[65]; /* the config hash checkpoints record */
    struct model_adamw     opt;
    double                 true_loss; /* mean eval_true_loss (exact sources), else NaN */
    struct model_positions pos;       /* the last evaluation's sums by position */
    struct model_windows   win;       /* ... by window (sources with answers; else NULL) */
    int32_t               *greedy;    /* (B, T+1) windows being decoded, then model_greedy's
                                         scratch: (B, T) and B bools (as int32s) */
    size_t *greedy_len;               /* (2B): prompts, then generated lengths */
    /* distillation: the teacher's probabilities of the step's batch (B, T, V), and the trained
     * teacher that gives them (NULL: the source's own distribution) */
    float                   *teacher_p;
    struct model            *teacher;
    double                  *teacher_row; /* (V) scratch of the evaluation against it */
    struct model_train_state ts;
    struct model_summary     sum;
    char reason[2600]; /* why the run diverged, or the write that found the disk full */
    bool no_space;     /* stopped by a full disk (model_run_no_space_impl) */
    bool has_summary;  /* sum is filled in (model_run_resume_impl) */
};

static void model_run_ctx_free_impl(struct model_run_ctx *c) {
    if (c->metrics_fd >= 0) close(c->metrics_fd);
    if (c->data_open) model_data_free(&c->data);
    model_free(c->model);
    free(c->inputs);
    free(c->targets);
    free(c->eval_steps);
    free(c->pos.loss);
    free(c->pos.kl);
    free(c->pos.count);
    free(c->win.loss);
    free(c->win.count);
    free(c->greedy);
    free(c->greedy_len);
    free(c->teacher_p);
    free(c->teacher_row);
    model_free(c->teacher);
    if (c->log_impl.file != NULL) fclose(c->log_impl.file);
    if (c->lock_fd >= 0) close(c->lock_fd); /* releases the flock */
    model_run_files_free_impl(&c->files);
}

/* Records a failure: the status file, the log, and (for bad input) the diags. */
static enum sf_status model_run_fail_impl(struct model_run_ctx *c, struct sf_diags *diags,
                                          struct sf_error *err) {
    char reason[3200];
    if (err->where[0])
        snprintf(reason, sizeof reason, "%s: %s", err->where, err->message);
    else
        snprintf(reason, sizeof reason, "%s", err->message);
    if (err->code == SF_EINVAL && diags != NULL && diags->n_errors == 0)
        sf_diag_add(diags, true, err->where, "%s", err->message);
    /* Into log.txt only: the command prints the error itself. */
    struct model_run_log file_only = {NULL, c->log_impl.file};
    model_run_log_fn_impl(&file_only, SF_LOG_LEVEL_ERROR, reason);
    struct sf_error ignored;
    model_write_status_impl(c->files.status, "failed", reason, &ignored);
    return err->code;
}

static void model_progress_impl(struct sf_progress *pr, bool force, int64_t step, int64_t n_steps,
                                double loss, double eval_loss, double tok_s, double eta) {
    if (pr == NULL || pr->out == NULL) return;
    char eta_s[32], line[256], bar[32];
    sf_format_duration(eta_s, sizeof eta_s, eta);
    char ev[48] = "";
    if (!isnan(eval_loss)) snprintf(ev, sizeof ev, "  eval %.4f", eval_loss);
    if (pr->tty) {
        int width = 20, fill = (int)((double)width * (double)step / (double)n_steps);
        for (int i = 0; i < width; i++)
            bar[i] = i < fill ? '#' : '.';
        bar[width] = '\0';
        snprintf(line, sizeof line, "step %lld/%lld [%s]  loss %.4f%s  %.0f tokens/s  ETA %s",
                 (long long)step, (long long)n_steps, bar, loss, ev, tok_s, eta_s);
    } else {
        snprintf(line, sizeof line, "step %lld/%lld  loss %.4f%s  %.0f tokens/s  ETA %s",
                 (long long)step, (long long)n_steps, loss, ev, tok_s, eta_s);
    }
    const char *lines[1] = {line};
    sf_progress_draw(pr, lines, 1, force);
}

/* Opens the run directory: the file names, the lock (one trainer per directory), log.txt, and
 * the leftovers of a process killed while writing. Writes no status: nothing is known yet. */
static enum sf_status model_run_open_impl(struct model_run_ctx *c, const char *run_dir,
                                          struct sf_error *err) {
    if (!model_run_files_init_impl(&c->files, run_dir)) SF_FAIL(err, SF_ENOMEM, "out of memory");
    if (!sf_is_dir(run_dir)) SF_FAIL_AT(err, SF_EINVAL, run_dir, "run directory not found");
    /* One trainer per directory. */
    c->lock_fd = open(c->files.lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (c->lock_fd < 0 || flock(c->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        if (e == EWOULDBLOCK)
            SF_FAIL_AT(err, SF_ERUNTIME, run_dir, "another scalefit train holds this run's lock");
        SF_SET_AT(err, SF_EIO, run_dir, "cannot lock %s: %s", "lock", strerror(e));
        err->sys_errno = e;
        return SF_EIO;
    }
    c->log_impl.file = fopen(c->files.log, "a");
    /* Temporary files of a process killed while writing (name.tmp.PID) are garbage now. */
    char  *pattern = sf_path_join(run_dir, "*.tmp.*");
    glob_t g;
    if (pattern != NULL && glob(pattern, 0, NULL, &g) == 0) {
        for (size_t i = 0; i < g.gl_pathc; i++)
            unlink(g.gl_pathv[i]);
        globfree(&g);
    }
    free(pattern);
    return SF_OK;
}

/* Reads run.yaml. A bad one is recorded (every problem in diags and log.txt, the first in err
 * and the status file); a run recorded as diverged stays diverged (SF_EDIVERGED). */
static enum sf_status model_run_config_impl(struct model_run_ctx *c, struct sf_diags *diags,
                                            struct sf_error *err) {
    size_t         before = diags->n_errors;
    enum sf_status st     = model_config_load(c->files.run_yaml, &c->cfg, diags);
    if (st != SF_OK) {
        /* The first problem is the one the status names. */
        for (size_t i = 0; i < diags->n; i++)
            if (diags->items[i].is_error && i >= before) {
                sf_error_set(err, st, diags->items[i].where, __FILE__, __LINE__, "%s",
                             diags->items[i].message);
                break;
            }
        struct model_run_log file_only = {NULL, c->log_impl.file};
        for (size_t i = before; i < diags->n; i++) {
            char line[3300];
            snprintf(line, sizeof line, "%s%s%s", diags->items[i].where,
                     diags->items[i].where[0] ? ": " : "", diags->items[i].message);
            model_run_log_fn_impl(&file_only, SF_LOG_LEVEL_ERROR, line);
        }
        char reason[3300];
        snprintf(reason, sizeof reason, "bad run.yaml: %s%s%s", err->where,
                 err->where[0] ? ": " : "", err->message);
        struct sf_error ignored;
        model_write_status_impl(c->files.status, "failed", reason, &ignored);
        return st;
    }
    /* A run already recorded as diverged stays diverged. */
    char           *status_text = NULL;
    size_t          slen;
    struct sf_error ignored;
    if (sf_path_exists(c->files.status) &&
        sf_read_file(c->files.status, &status_text, &slen, &ignored) == SF_OK &&
        strncmp(status_text, "diverged", 8) == 0) {
        char *nl = strchr(status_text, '\n');
        if (nl) *nl = '\0';
        sf_error_set(err, SF_EDIVERGED, NULL, __FILE__, __LINE__, "%s (recorded earlier)",
                     status_text);
        free(status_text);
        return SF_EDIVERGED;
    }
    free(status_text);
    return SF_OK;
}

/* Opens the data and allocates the model and the batch buffers; the config hash, the
 * evaluation steps and the optimiser's settings. */
static enum sf_status model_run_prepare_impl(struct model_run_ctx *c, const char *run_dir,
                                             struct sf_error *err) {
    struct model_config *cfg = &c->cfg;
    model_set_threads((int)cfg->threads);
    c->n_steps        = model_config_steps(cfg);
    c->B              = (size_t)cfg->batch;
    c->T              = (size_t)cfg->n_ctx;
    enum sf_status st = model_data_open(&c->data, cfg, run_dir, err);
    if (st != SF_OK) return st;
    c->data_open = true;
    c->shape     = model_config_shape(cfg);
    c->model     = model_alloc(&c->shape, c->B, err);
    c->inputs    = malloc(c->B * c->T * sizeof *c->inputs);
    c->targets   = malloc(c->B * c->T * sizeof *c->targets);
    c->pos.loss  = calloc(c->T, sizeof *c->pos.loss);
    c->pos.kl    = calloc(c->T, sizeof *c->pos.kl);
    c->pos.count = calloc(c->T, sizeof *c->pos.count);
    if (c->data.entry->ops->answer_end != NULL) {
        size_t n      = c->data.n_eval_win + c->data.n_extrap_win;
        c->win.loss   = calloc(n, sizeof *c->win.loss);
        c->win.count  = calloc(n, sizeof *c->win.count);
        c->greedy     = malloc(c->B * (2 * c->T + 2) * sizeof *c->greedy);
        c->greedy_len = malloc(2 * c->B * sizeof *c->greedy_len);
    }
    bool answers_ok = c->data.entry->ops->answer_end == NULL ||
                      (c->win.loss && c->win.count && c->greedy && c->greedy_len);
    if (c->model == NULL || c->inputs == NULL || c->targets == NULL || c->pos.loss == NULL ||
        c->pos.kl == NULL || c->pos.count == NULL || !answers_ok) {
        if (c->model != NULL) SF_SET(err, SF_ENOMEM, "out of memory");
        return err->code;
    }
    if ((st = model_config_hash(cfg, c->hash, err)) != SF_OK ||
        (st = model_eval_steps(cfg, c->n_steps, &c->eval_steps, &c->n_eval_steps, err)) != SF_OK)
        return st;
    c->opt       = model_config_adamw(cfg);
    c->true_loss = NAN;
    if (c->data.entry->exact) {
        double s = 0.0;
        for (size_t i = 0; i < c->data.n_eval_win; i++)
            for (size_t t = 0; t < c->T; t++)
                if (model_data_counted(&c->data, c->data.eval_win + i * (c->T + 1), t))
                    s += c->data.eval_true_loss[i * c->T + t];
        c->true_loss = s / (double)c->data.n_eval_counted;
    }
    return SF_OK;
}

/* Starts a new run from the weights of the run named by init_from (relative to the run
 * directory, where run.yaml is), saying so in log.txt. */
static enum sf_status model_run_init_from_impl(struct model_run_ctx *c, const char *run_dir,
                                               struct sf_error *err) {
    const char *rel  = c->cfg.init_from;
    char       *path = rel[0] == '/' ? sf_strdup(rel) : sf_path_join(run_dir, rel);
    if (path == NULL) SF_FAIL(err, SF_ENOMEM, "out of memory");
    struct model_shape from;
    int64_t            step;
    enum sf_status     st = model_init_from(c->model, path, &from, &step, err);
    if (st == SF_OK) {
        char grown[160] = "";
        if (from.n_vocab < c->shape.n_vocab || from.n_ctx < c->shape.n_ctx)
            snprintf(grown, sizeof grown,
                     "; n_vocab %lld -> %lld, n_ctx %lld -> %lld (new rows "
                     "initialised)",
                     (long long)from.n_vocab, (long long)c->shape.n_vocab, (long long)from.n_ctx,
                     (long long)c->shape.n_ctx);
        sf_log(&c->log, SF_LOG_LEVEL_INFO, "weights from %s (its step %lld), optimiser fresh%s",
               rel, (long long)step, grown);
    }
    free(path);
    return st;
}

/* Distillation: the teacher buffer, and the trained teacher run.yaml's `teacher` names: its own
 * shape at the run's batch, its weights from its checkpoint; its vocabulary and context must be
 * the run's. */
static enum sf_status model_run_teacher_impl(struct model_run_ctx *c, const char *run_dir,
                                             struct sf_error *err) {
    if (c->cfg.objective == MODEL_OBJECTIVE_TOKENS) return SF_OK;
    size_t V     = (size_t)c->shape.n_vocab;
    c->teacher_p = calloc(c->B * c->T * V, sizeof *c->teacher_p);
    if (c->teacher_p == NULL) SF_FAIL(err, SF_ENOMEM, "out of memory for the teacher");
    const char *rel = c->cfg.teacher;
    if (rel[0] == '\0') {
        sf_log(&c->log, SF_LOG_LEVEL_INFO, "distillation (%s) onto the source's own distribution",
               model_objective_names[c->cfg.objective]);
        return SF_OK;
    }
    char              *path = rel[0] == '/' ? sf_strdup(rel) : sf_path_join(run_dir, rel);
    char              *file = path == NULL      ? NULL
                              : sf_is_dir(path) ? sf_path_join(path, "checkpoint.bin")
                                                : sf_strdup(path);
    enum sf_status     st   = SF_OK;
    struct model_shape ts, from;
    int64_t            step = 0;
    if (file == NULL)
        st = SF_SET(err, SF_ENOMEM, "out of memory");
    else if (!sf_path_exists(file))
        st = SF_SET_AT(err, SF_EINVAL, path,
                       "teacher: no checkpoint.bin in this run directory (the teacher has not "
                       "been trained)");
    else if ((st = model_checkpoint_shape(file, &ts, &step, err)) == SF_OK &&
             (ts.n_vocab != c->shape.n_vocab || ts.n_ctx != c->shape.n_ctx)) {
        char a[256], b[256];
        model_shape_text(a, sizeof a, &ts);
        model_shape_text(b, sizeof b, &c->shape);
        st = SF_SET_AT(err, SF_EINVAL, path,
                       "teacher: its vocabulary and context must be this run's: the teacher has "
                       "%s, this run %s",
                       a, b);
    }
    if (st == SF_OK) {
        c->teacher = model_alloc(&ts, c->B, err);
        if (c->teacher == NULL) st = err->code;
    }
    if (st == SF_OK) {
        model_init_params(c->teacher, 0);
        c->teacher_row = malloc(V * sizeof *c->teacher_row);
        if (c->teacher_row == NULL) st = SF_SET(err, SF_ENOMEM, "out of memory");
        st = model_init_from(c->teacher, path, &from, &step, err);
    }
    if (st == SF_OK)
        sf_log(&c->log, SF_LOG_LEVEL_INFO,
               "distillation (%s) onto the teacher %s (its step %lld, N = %lld)",
               model_objective_names[c->cfg.objective], rel, (long long)step,
               (long long)model_params_nonembed(&ts));
    free(file);
    free(path);
    return st;
}

/* Starts the run or resumes it from checkpoint.bin (metrics.csv cut back to the checkpoint's
 * step); then the status `running`, summary.yaml, and metrics.csv open for appending. */
static enum sf_status model_run_resume_impl(struct model_run_ctx *c, const char *run_dir,
                                            const struct model_run_options *opts,
                                            struct sf_error                *err) {
    struct model_train_state *ts = &c->ts;
    enum sf_status            st;
    memset(ts, 0, sizeof *ts);
    ts->batch_key      = c->data.batch_key;
    ts->loss_min       = INFINITY;
    ts->last_eval_loss = NAN;
    if (sf_path_exists(c->files.checkpoint)) {
        st = model_checkpoint_load(c->files.checkpoint, c->model, ts, c->hash, err);
        if (st == SF_OK && ts->batch_key != c->data.batch_key) {
            SF_SET_AT(err, SF_EINVAL, c->files.checkpoint,
                      "checkpoint's batch stream key does not match the run's seed; remove "
                      "checkpoint.bin to start the run over");
            st = SF_EINVAL;
        }
        if (st == SF_OK) st = model_metrics_cut(c->files.metrics, ts->step, err);
        if (st != SF_OK) return st;
        sf_log(&c->log, SF_LOG_LEVEL_INFO, "resuming %s at step %lld of %lld", run_dir,
               (long long)ts->step, (long long)c->n_steps);
    } else {
        model_init_params(c->model, c->cfg.seed);
        if (c->cfg.init_from[0] != '\0' &&
            (st = model_run_init_from_impl(c, run_dir, err)) != SF_OK)
            return st;
        st = sf_write_atomic(c->files.metrics, model_metrics_header, strlen(model_metrics_header),
                             err);
        if (st != SF_OK) return st;
        sf_log(&c->log, SF_LOG_LEVEL_INFO,
               "starting %s: %lld steps, N = %lld non-embedding parameters (%lld in all), "
               "%lld tokens per step, %d thread%s",
               run_dir, (long long)c->n_steps, (long long)model_params_nonembed(&c->shape),
               (long long)model_params_total(&c->shape), (long long)(c->B * c->T),
               (int)c->cfg.threads, c->cfg.threads == 1 ? "" : "s");
    }
    c->sum = (struct model_summary){.version         = opts->version,
                                    .status          = "running",
                                    .reason          = NULL,
                                    .shape           = &c->shape,
                                    .sample_unit     = c->data.entry->sample_unit,
                                    .info            = &c->data.info,
                                    .steps           = c->n_steps,
                                    .step            = ts->step,
                                    .tokens_per_step = (int64_t)(c->B * c->T),
                                    .final_eval_loss = ts->last_eval_loss,
                                    .start_elapsed_s = ts->elapsed_s,
                                    .elapsed_s       = ts->elapsed_s,
                                    .init_from       = c->cfg.init_from};
    model_kernels(c->model, c->sum.kernels, sizeof c->sum.kernels);
    c->has_summary = true;
    if ((st = model_write_status_impl(c->files.status, "running", NULL, err)) != SF_OK ||
        (st = model_write_summary_impl(c->files.summary, &c->sum, err)) != SF_OK)
        return st;
    c->metrics_fd = open(c->files.metrics, O_WRONLY | O_APPEND | O_CLOEXEC);
    if (c->metrics_fd < 0)
        SF_FAIL(err, SF_EIO, "cannot open %s: %s", c->files.metrics, strerror(errno));
    return SF_OK;
}

/* One training step at learning rate lr: batch, forward, backward, update, and the divergence
 * test. Returns SF_OK or SF_EDIVERGED (c->reason says why). */
/* Distillation: the teacher's distribution at every counted position of the step's batch into
 * c->teacher_p: the source's own predictive, or the softmax (in double) of the trained teacher's
 * logits on the same inputs. */
static void model_run_teacher_probs_impl(struct model_run_ctx *c) {
    size_t       B = c->B, T = c->T, V = (size_t)c->shape.n_vocab;
    const float *logits = NULL;
    if (c->teacher != NULL) {
        model_forward(c->teacher, c->inputs, NULL, B);
        logits = model_logits(c->teacher);
    }
    for (size_t b = 0; b < B; b++)
        for (size_t t = 0; t < T; t++) {
            if (c->targets[b * T + t] == MODEL_IGNORE) continue;
            float *out = c->teacher_p + (b * T + t) * V;
            if (logits == NULL) {
                const double *p =
                    c->data.entry->ops->predictive(&c->data, c->inputs + b * T, t, NULL);
                for (size_t x = 0; x < V; x++)
                    out[x] = (float)p[x];
                continue;
            }
            model_softmax_d_impl(logits + (b * T + t) * V, V, c->teacher_row);
            for (size_t x = 0; x < V; x++)
                out[x] = (float)c->teacher_row[x];
        }
}

static enum sf_status model_run_step_impl(struct model_run_ctx *c, int64_t step, double lr,
                                          double *loss_out, double *gnorm_out) {
    struct model_train_state *ts = &c->ts;
    model_data_batch(&c->data, step, c->B, c->inputs, c->targets);
    double loss;
    if (c->teacher_p != NULL) {
        model_run_teacher_probs_impl(c);
        loss = model_forward_distill(c->model, c->inputs, c->targets, c->teacher_p,
                                     c->cfg.objective, c->cfg.objective_weight, c->B);
    } else {
        loss = model_forward(c->model, c->inputs, c->targets, c->B);
    }
    model_zero_grad(c->model);
    model_backward(c->model);
    double gnorm          = model_update(c->model, &c->opt, lr);
    ts->step              = step;
    ts->data_cursor       = step;
    enum sf_status result = SF_OK;
    if (!isfinite(loss) || !isfinite(gnorm)) {
        snprintf(c->reason, sizeof c->reason, "step %lld: %s %s", (long long)step,
                 !isfinite(loss) ? "train loss" : "gradient norm",
                 isnan(!isfinite(loss) ? loss : gnorm) ? "nan" : "inf");
        result = SF_EDIVERGED;
    } else if (c->cfg.diverge_factor > 0 && c->cfg.objective == MODEL_OBJECTIVE_TOKENS &&
               loss > c->cfg.diverge_factor * ts->loss_min) {
        /* Only for the tokens' cross-entropy: a distillation loss falls towards 0, where ratios
         * of noisy steps mean nothing. */
        snprintf(c->reason, sizeof c->reason,
                 "step %lld: train loss %.6g above %g times the lowest so far (%.6g)",
                 (long long)step, loss, c->cfg.diverge_factor, ts->loss_min);
        result = SF_EDIVERGED;
    }
    if (loss < ts->loss_min) ts->loss_min = loss;
    ts->loss_sum += loss;
    ts->loss_count++;
    *loss_out  = loss;
    *gnorm_out = gnorm;
    return result;
}

/* positions.csv from the last evaluation: for each position t = 1..T (t predicts the window's
 * token t from the t before it) the counted predictions, their mean loss, and for exact
 * sources their mean Bayes loss (eval_true_loss) and exact KL; written atomically. */
static enum sf_status model_write_positions_impl(struct model_run_ctx *c, struct sf_error *err) {
    const struct model_data *d = &c->data;
    size_t                   T = c->T, W = T + 1;
    bool                     exact = d->entry->exact;
    struct sf_buf            b;
    sf_buf_init(&b);
    sf_buf_puts(&b, "position,count,loss,bayes_loss,kl\n");
    for (size_t t = 0; t < T; t++) {
        size_t n     = c->pos.count[t];
        double bayes = 0.0;
        for (size_t i = 0; exact && i < d->n_eval_win; i++)
            if (model_data_counted(d, d->eval_win + i * W, t))
                bayes += d->eval_true_loss[i * T + t];
        sf_buf_printf(&b, "%zu,%zu,", t + 1, n);
        model_csv_empty_or_double_impl(&b, c->pos.loss[t] / (double)n, n > 0);
        model_csv_empty_or_double_impl(&b, bayes / (double)n, n > 0 && exact);
        model_csv_empty_or_double_impl(&b, c->pos.kl[t] / (double)n, n > 0 && exact);
        b.len--; /* the last field's comma */
        sf_buf_puts(&b, "\n");
    }
    enum sf_status st = b.failed ? SF_SET(err, SF_ENOMEM, "out of memory")
                                 : sf_write_atomic(c->files.positions, b.data, b.len, err);
    sf_buf_free(&b);
    return st;
}

/* problems.csv from the last evaluation (sources with answers): each eval and extrapolation
 * window's problem decoded greedily from its prompt (the tokens before its first counted
 * prediction) and compared with its answer; the source writes the table. */
static enum sf_status model_write_problems_impl(struct model_run_ctx *c, struct sf_error *err) {
    const struct model_data *d = &c->data;
    size_t                   T = c->T, W = T + 1, n = d->n_eval_win + d->n_extrap_win;
    bool                    *exact = malloc(n * sizeof *exact);
    if (exact == NULL) SF_FAIL(err, SF_ENOMEM, "out of memory");
    size_t *prompt = c->greedy_len, *len = c->greedy_len + c->B;
    for (size_t i0 = 0; i0 < n; i0 += c->B) {
        size_t nb = n - i0 < c->B ? n - i0 : c->B;
        for (size_t b = 0; b < nb; b++) {
            size_t         i = i0 + b;
            const int32_t *w =
                i < d->n_eval_win ? d->eval_win + i * W : d->extrap_win + (i - d->n_eval_win) * W;
            memcpy(c->greedy + b * W, w, W * sizeof *w);
            size_t p = 0;
            while (p < T && !model_data_counted(d, w, p))
                p++;
            SF_ASSERT(p < T);
            prompt[b] = p + 1;
        }
        model_greedy(c->model, c->greedy, prompt, nb, *d->entry->ops->answer_end,
                     c->greedy + c->B * W, len);
        for (size_t b = 0; b < nb; b++) {
            size_t         i = i0 + b;
            const int32_t *w =
                i < d->n_eval_win ? d->eval_win + i * W : d->extrap_win + (i - d->n_eval_win) * W;
            bool   ok = true;
            size_t k  = 0;
            for (size_t t = prompt[b] - 1; t < T && model_data_counted(d, w, t); t++, k++)
                ok = ok && k < len[b] && c->greedy[b * W + t + 1] == w[t + 1];
            exact[i0 + b] = ok && k == len[b];
        }
    }
    enum sf_status st =
        d->entry->ops->problems_csv(d, c->files.problems, c->win.loss, c->win.count, exact, err);
    free(exact);
    return st;
}

/* The evaluation of `step` (when is_eval) and its metrics.csv row, also written for the step
 * that diverged, with the eval columns empty; then the log line and the progress display. */
static enum sf_status model_run_evaluate_impl(struct model_run_ctx *c, struct sf_progress *pr,
                                              double t_origin, int64_t step, double lr, double loss,
                                              double gnorm, bool is_eval, struct sf_error *err) {
    struct model_train_state *ts    = &c->ts;
    size_t                    BT    = c->B * c->T;
    bool                      exact = c->data.entry->exact;
    double                    bayes = c->data.info.bayes_loss, true_loss = c->true_loss;
    struct model_eval_result  r   = {.kl           = NAN,
                                     .rkl          = NAN,
                                     .js           = NAN,
                                     .tv           = NAN,
                                     .h2           = NAN,
                                     .cs           = NAN,
                                     .teacher      = {NAN, NAN, NAN, NAN, NAN, NAN},
                                     .error        = NAN,
                                     .part         = NAN,
                                     .part_blank   = NAN,
                                     .extrap       = NAN,
                                     .extrap_error = NAN};
    struct model_teacher_eval tch = {.teacher = c->teacher, .row = c->teacher_row};
    double ev        = is_eval ? model_evaluate_impl(c->model, &c->data, c->inputs, c->targets, &r,
                                                     &c->pos, c->win.loss != NULL ? &c->win : NULL,
                                              c->teacher != NULL ? &tch : NULL)
                               : (double)NAN;
    double kl        = r.kl;
    ts->elapsed_s    = sf_now() - t_origin;
    double        dt = ts->elapsed_s - ts->eval_elapsed_s;
    double        tok_s  = dt > 0 ? (double)(step - ts->eval_step) * (double)BT / dt : 0.0;
    double        tokens = (double)step * (double)BT;
    struct sf_buf row;
    sf_buf_init(&row);
    sf_buf_printf(&row, "%lld,%lld,", (long long)step, (long long)(step * (int64_t)BT));
    model_csv_double_impl(&row, model_flops_6n(&c->shape, tokens), false);
    model_csv_double_impl(&row, model_flops_per_token(&c->shape) * tokens, false);
    model_csv_double_impl(&row, lr, false);
    model_csv_double_impl(&row, ts->loss_sum / (double)ts->loss_count, false);
    model_csv_empty_or_double_impl(&row, ev, is_eval);
    model_csv_empty_or_double_impl(&row, true_loss, is_eval && exact);
    model_csv_empty_or_double_impl(&row, ev - true_loss + bayes, is_eval && exact);
    model_csv_empty_or_double_impl(&row, kl, is_eval && exact);
    const double extra[] = {r.error,        r.part,       r.part_blank, r.extrap,
                            r.extrap_error, r.rkl,        r.js,         r.tv,
                            r.h2,           r.cs,         r.teacher[0], r.teacher[1],
                            r.teacher[2],   r.teacher[3], r.teacher[4], r.teacher[5]};
    for (size_t k = 0; k < sizeof extra / sizeof extra[0]; k++)
        model_csv_empty_or_double_impl(&row, extra[k], is_eval && !isnan(extra[k]));
    model_csv_double_impl(&row, gnorm, false);
    model_csv_double_impl(&row, ts->elapsed_s, false);
    model_csv_double_impl(&row, tok_s, true);
    if (row.failed) {
        sf_buf_free(&row);
        SF_FAIL(err, SF_ENOMEM, "out of memory");
    }
    enum sf_status st = model_metrics_append_impl(c->metrics_fd, c->files.metrics, row.data, err);
    sf_buf_free(&row);
    if (st == SF_OK && is_eval && step == c->n_steps) st = model_write_positions_impl(c, err);
    if (st == SF_OK && is_eval && step == c->n_steps && c->win.loss != NULL)
        st = model_write_problems_impl(c, err);
    if (st != SF_OK || !is_eval) return st;
    if (exact)
        sf_log(&c->log, SF_LOG_LEVEL_DEBUG,
               "step %lld: train %.5f eval %.5f eval_cv %.5f kl %.4g lr %.3g |g| %.3g %.0f "
               "tokens/s",
               (long long)step, ts->loss_sum / (double)ts->loss_count, ev, ev - true_loss + bayes,
               kl, lr, gnorm, tok_s);
    else
        sf_log(&c->log, SF_LOG_LEVEL_DEBUG,
               "step %lld: train %.5f eval %.5f lr %.3g |g| %.3g %.0f tokens/s", (long long)step,
               ts->loss_sum / (double)ts->loss_count, ev, lr, gnorm, tok_s);
    ts->last_eval_loss = ev;
    ts->loss_sum       = 0.0;
    ts->loss_count     = 0;
    ts->eval_step      = step;
    ts->eval_elapsed_s = ts->elapsed_s;
    model_progress_impl(pr, true, step, c->n_steps, loss, ev, tok_s,
                        ts->elapsed_s / (double)step * (double)(c->n_steps - step));
    return SF_OK;
}

/* A write that failed because the disk is full stops the run as interrupted (nothing is lost: the
 * last checkpoint stays whole, and the rows after it are cut on resume): true then, with the
 * failure as c->reason. */
static bool model_run_no_space_impl(struct model_run_ctx *c, const struct sf_error *err) {
    if (err->sys_errno != ENOSPC && err->sys_errno != EDQUOT) return false;
    snprintf(c->reason, sizeof c->reason, "no space left on device: %s", err->message);
    c->no_space = true;
    return true;
}

/* The training loop: steps, evaluations at the planned steps, periodic checkpoints, the stop
 * flag. Returns SF_OK (every step done), SF_EDIVERGED, SF_EINTERRUPTED, or an error. */
static enum sf_status model_run_loop_impl(struct model_run_ctx           *c,
                                          const struct model_run_options *opts,
                                          struct sf_error                *err) {
    struct model_train_state *ts        = &c->ts;
    size_t                    next_eval = 0;
    while (next_eval < c->n_eval_steps && c->eval_steps[next_eval] <= ts->step)
        next_eval++;
    struct sf_progress  progress;
    struct sf_progress *pr = NULL;
    if (opts->progress != NULL) {
        sf_progress_init(&progress, opts->progress);
        pr = &progress;
    }
    double         t_origin   = sf_now() - ts->elapsed_s; /* elapsed_s = sf_now() - t_origin */
    bool           stop_local = false;
    enum sf_status result     = SF_OK, st;
    for (int64_t step = ts->step + 1; step <= c->n_steps; step++) {
        if ((opts->stop != NULL && *opts->stop) || stop_local) {
            result = SF_EINTERRUPTED;
            break;
        }
        double lr     = model_lr_at(&c->cfg, step, c->n_steps), loss, gnorm;
        result        = model_run_step_impl(c, step, lr, &loss, &gnorm);
        ts->elapsed_s = sf_now() - t_origin;
        bool is_eval =
            result == SF_OK && next_eval < c->n_eval_steps && c->eval_steps[next_eval] == step;
        if (is_eval || result == SF_EDIVERGED) {
            st = model_run_evaluate_impl(c, pr, t_origin, step, lr, loss, gnorm, is_eval, err);
            if (st != SF_OK && model_run_no_space_impl(c, err)) {
                result = SF_EINTERRUPTED;
                break;
            }
            if (st != SF_OK) return st;
            if (is_eval) next_eval++;
        }
        if (result == SF_EDIVERGED) break;
        bool ckpt = step == c->n_steps ||
                    (c->cfg.checkpoint_every > 0 && step % c->cfg.checkpoint_every == 0);
        if (ckpt && (st = model_checkpoint_save(c->files.checkpoint, c->model, ts, c->hash, err)) !=
                        SF_OK) {
            if (!model_run_no_space_impl(c, err)) return st;
            result = SF_EINTERRUPTED;
            break;
        }
        if (opts->stop_after_step > 0 && step >= opts->stop_after_step) stop_local = true;
        if (opts->hold_at_step > 0 && step == opts->hold_at_step) raise(SIGSTOP);
        double rate =
            ts->elapsed_s > 0 ? (double)step * (double)(c->B * c->T) / ts->elapsed_s : 0.0;
        model_progress_impl(pr, false, step, c->n_steps, loss, ts->last_eval_loss, rate,
                            ts->elapsed_s / (double)step * (double)(c->n_steps - step));
    }
    if (pr != NULL) sf_progress_finish(pr);
    return result;
}

/* The end of the loop's `result`: the checkpoint of an interrupted run, summary.yaml, the
 * status file and the closing log line. Returns result, or an error. */
static enum sf_status model_run_close_impl(struct model_run_ctx *c, enum sf_status result,
                                           struct sf_error *err) {
    struct model_train_state *ts  = &c->ts;
    struct model_summary     *sum = &c->sum;
    sum->step                     = ts->step;
    sum->final_eval_loss          = ts->last_eval_loss;
    sum->elapsed_s                = ts->elapsed_s;
    struct sf_error      ignored;
    struct model_run_log file_only = {NULL, c->log_impl.file};
    enum sf_status       st;
    if (result == SF_EINTERRUPTED && c->no_space) {
        /* No checkpoint now: the disk is full, and the last one is whole. The status says why
         * (in place if need be); the summary is rewritten if there is room and the run got as far
         * as writing one. */
        sum->status = "interrupted";
        sum->reason = c->reason;
        if (c->has_summary) model_write_summary_impl(c->files.summary, sum, &ignored);
        model_write_status_impl(c->files.status, "interrupted", c->reason, &ignored);
        model_run_log_fn_impl(&file_only, SF_LOG_LEVEL_WARNING, c->reason);
        sf_error_set(err, SF_EINTERRUPTED, NULL, __FILE__, __LINE__,
                     "interrupted at step %lld: %s (the last checkpoint is kept: free space and "
                     "run again to resume)",
                     (long long)ts->step, c->reason);
    } else if (result == SF_EINTERRUPTED) {
        st = model_checkpoint_save(c->files.checkpoint, c->model, ts, c->hash, err);
        if (st != SF_OK) return st;
        sum->status = "interrupted";
        model_write_summary_impl(c->files.summary, sum, &ignored);
        model_write_status_impl(c->files.status, "interrupted", NULL, &ignored);
        /* Into log.txt only: the command's closing line says it on stderr. */
        char line[128];
        snprintf(line, sizeof line, "interrupted at step %lld; checkpoint written",
                 (long long)ts->step);
        model_run_log_fn_impl(&file_only, SF_LOG_LEVEL_INFO, line);
        sf_error_set(err, SF_EINTERRUPTED, NULL, __FILE__, __LINE__,
                     "interrupted at step %lld (checkpointed; run again to resume)",
                     (long long)ts->step);
    } else if (result == SF_EDIVERGED) {
        sum->status = "diverged";
        sum->reason = c->reason;
        model_write_summary_impl(c->files.summary, sum, &ignored);
        model_write_status_impl(c->files.status, "diverged", c->reason, &ignored);
        char line[2700];
        snprintf(line, sizeof line, "diverged: %s", c->reason);
        model_run_log_fn_impl(&file_only, SF_LOG_LEVEL_WARNING, line);
        sf_error_set(err, SF_EDIVERGED, NULL, __FILE__, __LINE__, "diverged: %s", c->reason);
    } else {
        sum->status = "done";
        if ((st = model_write_summary_impl(c->files.summary, sum, err)) != SF_OK ||
            (st = model_write_status_impl(c->files.status, "done", NULL, err)) != SF_OK)
            return st;
        sf_log(&c->log, SF_LOG_LEVEL_INFO, "done: %lld steps, final eval loss %.6g",
               (long long)ts->step, ts->last_eval_loss);
    }
    return result;
}

/* A result of the loop, not an error. */
static bool model_run_outcome_impl(enum sf_status st) {
    return st == SF_OK || st == SF_EDIVERGED || st == SF_EINTERRUPTED;
}

enum sf_status model_run(const char *run_dir, const struct model_run_options *opts,
                         struct sf_diags *diags, struct sf_error *err) {
    struct model_run_options no_opts = {0};
    if (opts == NULL) opts = &no_opts;
    struct model_run_ctx c;
    memset(&c, 0, sizeof c);
    c.lock_fd = c.metrics_fd = -1;
    c.log_impl.outer         = opts->log;
    c.log                    = (struct sf_logger){model_run_log_fn_impl, &c.log_impl};
    /* Open and configure: failures before the data is known record their own status. */
    enum sf_status st         = model_run_open_impl(&c, run_dir, err);
    bool           configured = false;
    if (st == SF_OK) st = model_run_config_impl(&c, diags, err);
    if (st == SF_OK) {
        configured = true;
        st         = model_run_prepare_impl(&c, run_dir, err);
        if (st == SF_OK) st = model_run_teacher_impl(&c, run_dir, err);
        if (st == SF_OK) st = model_run_resume_impl(&c, run_dir, opts, err);
        if (st == SF_OK) st = model_run_loop_impl(&c, opts, err);
        if (model_run_outcome_impl(st)) st = model_run_close_impl(&c, st, err);
    }
    /* A full disk at any point (the lock, the first status, the resume's rewrites, the closing
     * files) stops the run as interrupted: nothing was lost, and it resumes once there is space.
     * Every other failure after the configuration is recorded: status file, log.txt, diags. */
    if (!model_run_outcome_impl(st) && c.files.status != NULL && model_run_no_space_impl(&c, err))
        st = model_run_close_impl(&c, SF_EINTERRUPTED, err);
    else if (!model_run_outcome_impl(st) && configured)
        st = model_run_fail_impl(&c, diags, err);
    model_run_ctx_free_impl(&c);
    return st;
}

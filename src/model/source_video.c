/*
 * source_video.c — the `video` source: short clips of an IDX image (a Fashion-MNIST item
 * downsampled to S×S with Q grey levels) moving over F frames of R×R pixels, one token per pixel,
 * frame after frame (Henighan et al. 2020's video domain in small). Each clip's item, position and
 * velocity are drawn from the step's batch stream in training and from the source seed for the
 * eval set (the eval split's items); the item bounces off the frame's edges. One clip per window:
 * n_ctx = F·R² − 1. The files' loading and train/eval split are the file sources' (data.c), at
 * the item's resolution.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

void model_video_draw(struct model_video_motion *m, int64_t R, int64_t S, int64_t speed,
                      struct model_rng *r) {
    uint64_t span = (uint64_t)(R - S) + 1, v = 2 * (uint64_t)speed + 1;
    m->x0 = (int64_t)model_rng_below(r, span);
    m->y0 = (int64_t)model_rng_below(r, span);
    m->vx = (int64_t)model_rng_below(r, v) - speed;
    m->vy = (int64_t)model_rng_below(r, v) - speed;
}

/* The coordinate at frame f of a start p0 moving by v in 0..L, reflected at both ends. */
static int64_t model_video_bounce_impl(int64_t p0, int64_t v, int64_t f, int64_t L) {
    if (L == 0) return 0;
    int64_t q = (p0 + f * v) % (2 * L);
    if (q < 0) q += 2 * L;
    return q <= L ? q : 2 * L - q;
}

void model_video_render(const uint16_t *item, int64_t S, int64_t R,
                        const struct model_video_motion *m, size_t first, size_t n, int32_t *out) {
    size_t  RR = (size_t)(R * R);
    int64_t f = -1, px = 0, py = 0;
    for (size_t k = 0; k < n; k++) {
        size_t  i = first + k;
        int64_t g = (int64_t)(i / RR), y = (int64_t)(i % RR) / R, x = (int64_t)(i % RR) % R;
        if (g != f) {
            f  = g;
            px = model_video_bounce_impl(m->x0, m->vx, f, R - S);
            py = model_video_bounce_impl(m->y0, m->vy, f, R - S);
        }
        bool in = y >= py && y < py + S && x >= px && x < px + S;
        out[k]  = in ? item[(y - py) * S + (x - px)] : 0;
    }
}

// ---- the entry ----

static const char *const model_video_keys[] = {MODEL_FILES_KEYS, "resolution", "levels", "frames",
                                               "item",           "speed",      "seed",   NULL};

/* The items: each image of the file at the item's resolution. */
static enum sf_status model_video_decode_impl(const struct model_data_config *d, const char *name,
                                              const char *bytes, size_t len,
                                              const struct model_token_buf *out,
                                              struct sf_error              *err) {
    (void)bytes;
    (void)len;
    uint16_t      *toks;
    size_t         n_img;
    enum sf_status st = model_idx_images(name, d->item, d->levels, &toks, &n_img, err);
    if (st != SF_OK) return st;
    bool ok = model_tokens_append(out, toks, n_img * (size_t)(d->item * d->item));
    free(toks);
    if (!ok) SF_FAIL(err, SF_ENOMEM, "out of memory loading %s", name);
    return SF_OK;
}

static int64_t model_video_clip_impl(const struct model_data_config *d) {
    return d->frames * d->resolution * d->resolution;
}

/* The files' opening at the item's resolution (its split in whole items), then the eval set:
 * window i the clip of eval item ⌊i·n/n_win⌋ with a motion from the source seed. */
static enum sf_status model_video_open_impl(struct model_data *d, const struct model_config *cfg,
                                            const char *base_dir, struct sf_error *err) {
    const struct model_data_config *dc   = &cfg->data;
    size_t                          px   = (size_t)(dc->item * dc->item);
    size_t                          W    = d->T + 1;
    size_t                          clip = d->align;
    d->align                             = px; /* the files are split in whole items */
    enum sf_status st                    = model_files_open(d, cfg, base_dir, err);
    d->align                             = clip;
    if (st != SF_OK) return st;
    size_t n_eval        = d->n_eval / px;
    d->video.eval_item   = malloc(d->n_eval_win * sizeof *d->video.eval_item);
    d->video.eval_motion = malloc(d->n_eval_win * sizeof *d->video.eval_motion);
    if (d->video.eval_item == NULL || d->video.eval_motion == NULL)
        SF_FAIL(err, SF_ENOMEM, "out of memory for the eval clips");
    struct model_rng r;
    model_rng_seed(&r, sf_seed_derive(dc->seed, MODEL_STREAM_EVAL));
    for (size_t i = 0; i < d->n_eval_win; i++) {
        size_t k = (size_t)((double)i * (double)n_eval / (double)d->n_eval_win);
        model_video_draw(&d->video.eval_motion[i], dc->resolution, dc->item, dc->speed, &r);
        d->video.eval_item[i] = k;
        model_video_render(d->eval + k * px, dc->item, dc->resolution, &d->video.eval_motion[i], 0,
                           W, d->eval_win + i * W);
    }
    d->info.train_tokens  = (int64_t)(d->n_train / px) * (int64_t)clip;
    d->info.sample_tokens = (double)(dc->resolution * dc->resolution);
    return SF_OK;
}

static void model_video_close_impl(struct model_data *d) {
    free(d->video.eval_item);
    free(d->video.eval_motion);
    memset(&d->video, 0, sizeof d->video);
}

/* B clips of training items, each item and motion from the step's stream. */
static void model_video_batch_impl(const struct model_data *d, struct model_rng *r, size_t B,
                                   int32_t *inputs, int32_t *targets) {
    const struct model_data_config *dc = &d->config;
    size_t px = (size_t)(dc->item * dc->item), T = d->T, n = d->n_train / px;
    for (size_t b = 0; b < B; b++) {
        size_t                    k = (size_t)model_rng_below(r, n);
        struct model_video_motion m;
        model_video_draw(&m, dc->resolution, dc->item, dc->speed, r);
        const uint16_t *item = d->train + k * px;
        model_video_render(item, dc->item, dc->resolution, &m, 0, T, inputs + b * T);
        model_video_render(item, dc->item, dc->resolution, &m, 1, T, targets + b * T);
    }
}

static void model_video_validate_impl(const struct model_config *cfg, struct sf_diags *out) {
    model_files_validate(cfg, out);
    const struct model_data_config *d = &cfg->data;
    if (d->resolution < 2 || d->resolution > 64)
        sf_diag_add(
            out, true, "data.resolution",
            "'resolution' (the side of the video source's frames) must be between 2 and 64, "
            "not %lld",
            (long long)d->resolution);
    else if (d->item > d->resolution)
        sf_diag_add(out, true, "data.item",
                    "'item' (%lld pixels) must fit in the frame (resolution %lld)",
                    (long long)d->item, (long long)d->resolution);
    else if (d->speed > d->resolution)
        sf_diag_add(out, true, "data.speed",
                    "'speed' %lld pixels per frame is more than the frame's side (resolution %lld)",
                    (long long)d->speed, (long long)d->resolution);
    else if (cfg->n_ctx + 1 != model_video_clip_impl(d))
        sf_diag_add(out, true, "n_ctx",
                    "the video source needs one clip per window: n_ctx = frames·resolution² − 1 "
                    "= %lld, not %lld",
                    (long long)model_video_clip_impl(d) - 1, (long long)cfg->n_ctx);
}

static void model_video_emit_impl(struct sf_yaml_out *y, const struct model_data_config *d) {
    model_files_emit(y, d);
    sf_yaml_kv_int(y, "resolution", d->resolution);
    sf_yaml_kv_int(y, "levels", d->levels);
    sf_yaml_kv_int(y, "frames", d->frames);
    sf_yaml_kv_int(y, "item", d->item);
    sf_yaml_kv_int(y, "speed", d->speed);
    sf_yaml_kv_int(y, "seed", (long long)d->seed);
}

static int64_t model_video_n_vocab_impl(const struct model_data_config *d) {
    return d->levels;
}

static void model_video_describe_impl(struct sf_buf *b, const struct model_data_config *d) {
    sf_buf_printf(b,
                  "clips of %lld frames of %lldx%lld pixels (%lld grey levels), each an image of "
                  "`%s` downsampled to %lldx%lld moving up to %lld pixel%s a frame (seed %llu)",
                  (long long)d->frames, (long long)d->resolution, (long long)d->resolution,
                  (long long)d->levels, d->n_paths ? d->paths[0] : "", (long long)d->item,
                  (long long)d->item, (long long)d->speed, d->speed == 1 ? "" : "s",
                  (unsigned long long)d->seed);
}

static const struct model_source_ops model_video_ops = {
    .validate = model_video_validate_impl,
    .emit     = model_video_emit_impl,
    .open     = model_video_open_impl,
    .batch    = model_video_batch_impl,
    .close    = model_video_close_impl,
    .decode   = model_video_decode_impl,
};

const struct model_source_entry model_source_video = {
    .id                = MODEL_SOURCE_VIDEO,
    .name              = "video",
    .keys              = model_video_keys,
    .files             = true,
    .exact             = false,
    .loss_unit         = "nats/token",
    .sample_unit       = "frame",
    .n_vocab           = model_video_n_vocab_impl,
    .tokens_per_sample = model_video_clip_impl,
    .describe          = model_video_describe_impl,
    .ops               = &model_video_ops,
};

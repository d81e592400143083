/*
 * source_image.c — the `image` data source: IDX image files (gzip or not, as MNIST's
 * *-images-idx3-ubyte) downsampled to R×R with Q grey levels, one token per pixel in raster
 * order, and the IDX label files beside them; a sample is one image of R·R tokens (layout
 * `image`), the image then its label token (`image_label`), or the image with a caption naming
 * its class before or after it (`caption_image`, `image_caption`: image_layout.c); windows start
 * on sample boundaries. Opening, splits and batches are the file sources' (data.c).
 */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* Magic numbers of IDX files of unsigned bytes with 3 and 1 dimensions (LeCun's MNIST format:
 * images, labels). */
#define MODEL_IDX_MAGIC_U8_3D 0x00000803u
#define MODEL_IDX_MAGIC_U8_1D 0x00000801u

static bool model_gz_read_impl(gzFile f, void *buf, size_t n) {
    size_t got = 0;
    while (got < n) {
        unsigned chunk = (unsigned)((n - got) > (1u << 30) ? (1u << 30) : (n - got));
        int      r     = gzread(f, (char *)buf + got, chunk);
        if (r <= 0) return false;
        got += (size_t)r;
    }
    return true;
}

enum sf_status model_idx_images(const char *path, int64_t R, int64_t Q, uint16_t **out,
                                size_t *n_images, struct sf_error *err) {
    *out      = NULL;
    *n_images = 0;
    gzFile f  = gzopen(path, "rb");
    if (f == NULL)
        SF_FAIL_AT(err, errno == ENOENT ? SF_EINVAL : SF_EIO, path, "cannot open: %s",
                   strerror(errno));
    uint8_t hdr[16];
    if (!model_gz_read_impl(f, hdr, sizeof hdr)) {
        gzclose(f);
        SF_FAIL_AT(err, SF_EINVAL, path, "not an IDX image file: shorter than its 16-byte header");
    }
    uint32_t v[4];
    for (int i = 0; i < 4; i++)
        v[i] = (uint32_t)hdr[4 * i] << 24 | (uint32_t)hdr[4 * i + 1] << 16 |
               (uint32_t)hdr[4 * i + 2] << 8 | (uint32_t)hdr[4 * i + 3];
    if (v[0] != MODEL_IDX_MAGIC_U8_3D) {
        gzclose(f);
        SF_FAIL_AT(err, SF_EINVAL, path,
                   "not an IDX image file: magic 0x%08x, expected 0x%08x (unsigned bytes, 3 "
                   "dimensions, as MNIST's *-images-idx3-ubyte)",
                   v[0], MODEL_IDX_MAGIC_U8_3D);
    }
    size_t n = v[1], rows = v[2], cols = v[3];
    if (n == 0 || rows == 0 || cols == 0 || rows > 4096 || cols > 4096) {
        gzclose(f);
        SF_FAIL_AT(err, SF_EINVAL, path, "IDX header gives %zu images of %zu×%zu", n, rows, cols);
    }
    /* Zero-pad to S×S, S the smallest multiple of R covering the image, then average S/R-square
     * blocks and cut [0, 255] into Q equal bins. */
    size_t r   = (size_t)R;
    size_t mx  = rows > cols ? rows : cols;
    size_t S   = (mx + r - 1) / r * r;
    size_t blk = S / r, top = (S - rows) / 2, left = (S - cols) / 2;
    /* The tokens grow with the images read, never from the header's count alone: a header that
     * promises more images than the file holds is reported as truncated, not as a huge
     * allocation. */
    size_t    cap  = n < 1024 ? n : 1024;
    uint16_t *toks = malloc(cap * r * r * sizeof *toks);
    uint8_t  *img  = malloc(rows * cols);
    if (toks == NULL || img == NULL) {
        free(toks);
        free(img);
        gzclose(f);
        SF_FAIL(err, SF_ENOMEM, "out of memory reading %s", path);
    }
    for (size_t k = 0; k < n; k++) {
        if (k == cap) {
            cap            = cap * 2 < n ? cap * 2 : n;
            uint16_t *more = realloc(toks, cap * r * r * sizeof *toks);
            if (more == NULL) {
                free(toks);
                free(img);
                gzclose(f);
                SF_FAIL(err, SF_ENOMEM, "out of memory reading %s", path);
            }
            toks = more;
        }
        if (!model_gz_read_impl(f, img, rows * cols)) {
            free(toks);
            free(img);
            gzclose(f);
            SF_FAIL_AT(err, SF_EINVAL, path,
                       "truncated: the header promises %zu images, the "
                       "file ends in image %zu",
                       n, k);
        }
        for (size_t by = 0; by < r; by++)
            for (size_t bx = 0; bx < r; bx++) {
                unsigned sum = 0;
                for (size_t y = by * blk; y < (by + 1) * blk; y++)
                    for (size_t x = bx * blk; x < (bx + 1) * blk; x++) {
                        if (y < top || y >= top + rows || x < left || x >= left + cols) continue;
                        sum += img[(y - top) * cols + (x - left)];
                    }
                /* level = floor(mean · Q / 256) with the mean over blk² pixels (pad counts 0). */
                uint64_t lev = (uint64_t)sum * (uint64_t)Q / (256u * blk * blk);
                if (lev > (uint64_t)Q - 1) lev = (uint64_t)Q - 1;
                toks[k * r * r + by * r + bx] = (uint16_t)lev;
            }
    }
    free(img);
    gzclose(f);
    *out      = toks;
    *n_images = n;
    return SF_OK;
}

/* The label file beside an image file: its name with "images-idx3" replaced by "labels-idx1"
 * in the last path component (a fresh string, or NULL when the name has no such part). */
static char *model_label_path_impl(const char *images) {
    const char *base = strrchr(images, '/');
    base             = base ? base + 1 : images;
    const char *at   = strstr(base, "images-idx3");
    if (at == NULL) return NULL;
    size_t n   = strlen(images);
    char  *out = malloc(n + 1);
    if (out == NULL) return NULL;
    memcpy(out, images, n + 1);
    memcpy(out + (at - images), "labels-idx1", 11);
    return out;
}

enum sf_status model_idx_labels(const char *path, const char *images, size_t n_images,
                                int64_t classes, uint8_t **out, struct sf_error *err) {
    *out     = NULL;
    gzFile f = gzopen(path, "rb");
    if (f == NULL)
        SF_FAIL_AT(err, SF_EINVAL, path, "cannot open the labels of %s: %s", images,
                   strerror(errno));
    uint8_t hdr[8];
    if (!model_gz_read_impl(f, hdr, sizeof hdr)) {
        gzclose(f);
        SF_FAIL_AT(err, SF_EINVAL, path, "not an IDX label file: shorter than its 8-byte header");
    }
    uint32_t magic =
        (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 | hdr[3];
    uint32_t n = (uint32_t)hdr[4] << 24 | (uint32_t)hdr[5] << 16 | (uint32_t)hdr[6] << 8 | hdr[7];
    if (magic != MODEL_IDX_MAGIC_U8_1D) {
        gzclose(f);
        SF_FAIL_AT(err, SF_EINVAL, path,
                   "not an IDX label file: magic 0x%08x, expected 0x%08x (unsigned bytes, 1 "
                   "dimension, as MNIST's *-labels-idx1-ubyte)",
                   magic, MODEL_IDX_MAGIC_U8_1D);
    }
    if (n != n_images) {
        gzclose(f);
        SF_FAIL_AT(err, SF_EINVAL, path, "holds %u labels, but %s holds %zu images", n, images,
                   n_images);
    }
    uint8_t *lab = malloc(n_images > 0 ? n_images : 1);
    if (lab == NULL) {
        gzclose(f);
        SF_FAIL(err, SF_ENOMEM, "out of memory reading %s", path);
    }
    bool whole = model_gz_read_impl(f, lab, n_images);
    gzclose(f);
    if (!whole) {
        free(lab);
        SF_FAIL_AT(err, SF_EINVAL, path, "truncated: the header promises %zu labels", n_images);
    }
    for (size_t i = 0; i < n_images; i++)
        if (lab[i] >= classes) {
            SF_SET_AT(err, SF_EINVAL, path, "label %zu is %u, outside 0..%lld (data.classes %lld)",
                      i, lab[i], (long long)classes - 1, (long long)classes);
            free(lab);
            return SF_EINVAL;
        }
    *out = lab;
    return SF_OK;
}

// ---- the entry ----

static const char *const model_image_keys[] = {
    MODEL_FILES_KEYS, "resolution", "levels", "layout", "classes", "blank_fraction", NULL};

/* Reads the images from the file itself (it may be gzip-compressed), and for the layouts that
 * need them the labels beside it; each sample as its layout says. The bytes are only hashed. */
static enum sf_status model_image_decode_impl(const struct model_data_config *d, const char *name,
                                              const char *bytes, size_t len,
                                              const struct model_token_buf *out,
                                              struct sf_error              *err) {
    (void)bytes;
    (void)len;
    uint16_t      *toks;
    size_t         n_img, px = (size_t)(d->resolution * d->resolution);
    enum sf_status st = model_idx_images(name, d->resolution, d->levels, &toks, &n_img, err);
    if (st != SF_OK) return st;
    if (!model_layout_labelled(d)) {
        bool ok = model_tokens_append(out, toks, n_img * px);
        free(toks);
        if (!ok) SF_FAIL(err, SF_ENOMEM, "out of memory loading %s", name);
        return SF_OK;
    }
    char *lpath = model_label_path_impl(name);
    if (lpath == NULL) {
        free(toks);
        SF_FAIL_AT(err, SF_EINVAL, name,
                   "layout %s reads the labels from the file beside the images, named with "
                   "'labels-idx1' for 'images-idx3': this name has no 'images-idx3'",
                   model_image_layout_names[d->layout]);
    }
    uint8_t *lab;
    st = model_idx_labels(lpath, name, n_img, d->classes, &lab, err);
    free(lpath);
    if (st != SF_OK) {
        free(toks);
        return st;
    }
    size_t    S      = (size_t)model_layout_sample(d);
    uint16_t *sample = malloc(S * sizeof *sample);
    bool      ok     = sample != NULL;
    for (size_t i = 0; i < n_img && ok; i++) {
        model_layout_compose(d, toks + i * px, lab[i], sample);
        ok = model_tokens_append(out, sample, S);
    }
    free(sample);
    free(toks);
    free(lab);
    if (!ok) SF_FAIL(err, SF_ENOMEM, "out of memory loading %s", name);
    return SF_OK;
}

static bool model_image_counted_impl(const struct model_data *d, const int32_t *inputs, size_t t,
                                     int32_t target) {
    (void)inputs;
    return model_layout_counted(d, t, target);
}

/* The file sources' opening, then the entropy of the caption layouts' eval captions and the
 * pixels of an image. */
static enum sf_status model_image_open_impl(struct model_data *d, const struct model_config *cfg,
                                            const char *base_dir, struct sf_error *err) {
    enum sf_status st = model_files_open(d, cfg, base_dir, err);
    if (st == SF_OK) d->info.caption_entropy = model_layout_caption_entropy(d);
    /* A loss per image: the pixels' (layout image, whose samples are the images alone). */
    if (cfg->data.layout == MODEL_IMAGE_LAYOUT_IMAGE)
        d->info.sample_tokens = (double)(cfg->data.resolution * cfg->data.resolution);
    return st;
}

/* The file sources' batch, then the caption layouts' blanked samples. */
static void model_image_batch_impl(const struct model_data *d, struct model_rng *r, size_t B,
                                   int32_t *inputs, int32_t *targets) {
    model_files_batch(d, r, B, inputs, targets);
    model_layout_blank_batch(d, r, B, inputs, targets);
}

static const char *model_image_key_excluded_impl(const struct model_data_config *d,
                                                 const char                     *key) {
    if (strcmp(key, "classes") == 0 && d->layout != MODEL_IMAGE_LAYOUT_IMAGE_LABEL)
        return "layout image_label";
    if (strcmp(key, "blank_fraction") == 0 && d->layout != MODEL_IMAGE_LAYOUT_CAPTION_IMAGE &&
        d->layout != MODEL_IMAGE_LAYOUT_IMAGE_CAPTION)
        return "layouts caption_image and image_caption";
    return NULL;
}

static void model_image_validate_impl(const struct model_config *cfg, struct sf_diags *out) {
    model_files_validate(cfg, out);
    const struct model_data_config *d        = &cfg->data;
    bool                            captions = d->layout == MODEL_IMAGE_LAYOUT_CAPTION_IMAGE ||
                    d->layout == MODEL_IMAGE_LAYOUT_IMAGE_CAPTION;
    if (model_layout_vocab(d) > 65536)
        sf_diag_add(out, true, "data.levels",
                    "the layout's vocabulary is %lld tokens, more than the 65536 a token can name",
                    (long long)model_layout_vocab(d));
    if (captions && !(d->blank_fraction > 0))
        sf_diag_add(out, true, "data.blank_fraction",
                    "layout %s needs blank_fraction > 0 (for example 0.2): the mutual "
                    "information compares each sample with its first part blanked, which "
                    "training must have seen",
                    model_image_layout_names[d->layout]);
    /* The mutual information is measured on whole samples: one per window. */
    if (captions && cfg->n_ctx + 1 != model_layout_sample(d))
        sf_diag_add(out, true, "n_ctx",
                    "layout %s needs one sample per window: n_ctx = %lld (resolution² + %d - 1), "
                    "not %lld",
                    model_image_layout_names[d->layout], (long long)model_layout_sample(d) - 1,
                    MODEL_CAPTION_LEN, (long long)cfg->n_ctx);
}

static void model_image_emit_impl(struct sf_yaml_out *y, const struct model_data_config *d) {
    model_files_emit(y, d);
    sf_yaml_kv_int(y, "resolution", d->resolution);
    sf_yaml_kv_int(y, "levels", d->levels);
    sf_yaml_kv_str(y, "layout", model_image_layout_names[d->layout]);
    if (d->layout == MODEL_IMAGE_LAYOUT_IMAGE_LABEL) sf_yaml_kv_int(y, "classes", d->classes);
    if (d->layout == MODEL_IMAGE_LAYOUT_CAPTION_IMAGE ||
        d->layout == MODEL_IMAGE_LAYOUT_IMAGE_CAPTION)
        sf_yaml_kv_double(y, "blank_fraction", d->blank_fraction);
}

static const struct model_source_ops model_image_ops = {
    .key_excluded = model_image_key_excluded_impl,
    .validate     = model_image_validate_impl,
    .emit         = model_image_emit_impl,
    .open         = model_image_open_impl,
    .batch        = model_image_batch_impl,
    .decode       = model_image_decode_impl,
    .counted      = model_image_counted_impl,
    .choices      = model_layout_choices,
    .pair         = model_layout_pair,
};

const struct model_source_entry model_source_image = {
    .id                = MODEL_SOURCE_IMAGE,
    .name              = "image",
    .keys              = model_image_keys,
    .files             = true,
    .exact             = false,
    .loss_unit         = "nats/token",
    .sample_unit       = "image",
    .n_vocab           = model_layout_vocab,
    .tokens_per_sample = model_layout_sample,
    .describe          = model_files_describe,
    .ops               = &model_image_ops,
};

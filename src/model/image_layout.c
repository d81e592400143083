/*
 * image_layout.c — what one sample of the image source holds under each layout (data.layout):
 * its tokens (pixels, a label, caption words, the pad and the two blanks), a sample made from an
 * image and its class, the loss mask, the classes of the error rate, the training samples whose
 * first part is blanked (caption layouts), and the eval's pairs (the second part after the true
 * first part, and after a blank one) from which the mutual information between image and caption
 * is measured.
 *
 * Not here: reading the IDX files (source_image.c), the evaluation (run.c).
 */
#include <math.h>
#include <string.h>

#include "internal.h"

/* Fashion-MNIST's class names (Xiao et al. 2017, labels 0-9), one token per word, the captions
 * padded to MODEL_CAPTION_LEN words. */
static const char *const model_caption_words[MODEL_CAPTION_WORDS] = {
    "t-shirt", "top",   "trouser", "pullover", "dress", "coat",
    "sandal",  "shirt", "sneaker", "bag",      "ankle", "boot"};
static const int model_caption_of_class[MODEL_CAPTION_CLASSES][MODEL_CAPTION_LEN] = {
    {0, 1}, {2, -1}, {3, -1}, {4, -1}, {5, -1}, {6, -1}, {7, -1}, {8, -1}, {9, -1}, {10, 11}};

const char *model_caption_word(size_t w) {
    return w < MODEL_CAPTION_WORDS ? model_caption_words[w] : NULL;
}

static bool model_layout_captioned_impl(const struct model_data_config *d) {
    return d->layout == MODEL_IMAGE_LAYOUT_CAPTION_IMAGE ||
           d->layout == MODEL_IMAGE_LAYOUT_IMAGE_CAPTION;
}

struct model_layout_tokens model_layout_tokens(const struct model_data_config *d) {
    int32_t Q = (int32_t)d->levels;
    return (struct model_layout_tokens){.word        = Q,
                                        .label       = Q,
                                        .pad         = Q + MODEL_CAPTION_WORDS,
                                        .blank_text  = Q + MODEL_CAPTION_WORDS + 1,
                                        .blank_image = Q + MODEL_CAPTION_WORDS + 2};
}

int64_t model_layout_vocab(const struct model_data_config *d) {
    switch (d->layout) {
    case MODEL_IMAGE_LAYOUT_IMAGE: return d->levels;
    case MODEL_IMAGE_LAYOUT_IMAGE_LABEL: return d->levels + d->classes;
    case MODEL_IMAGE_LAYOUT_CAPTION_IMAGE:
    case MODEL_IMAGE_LAYOUT_IMAGE_CAPTION: return d->levels + MODEL_CAPTION_WORDS + 3;
    }
    return d->levels;
}

int64_t model_layout_sample(const struct model_data_config *d) {
    int64_t px = d->resolution * d->resolution;
    switch (d->layout) {
    case MODEL_IMAGE_LAYOUT_IMAGE: return px;
    case MODEL_IMAGE_LAYOUT_IMAGE_LABEL: return px + 1;
    case MODEL_IMAGE_LAYOUT_CAPTION_IMAGE:
    case MODEL_IMAGE_LAYOUT_IMAGE_CAPTION: return px + MODEL_CAPTION_LEN;
    }
    return px;
}

bool model_layout_labelled(const struct model_data_config *d) {
    return d->layout != MODEL_IMAGE_LAYOUT_IMAGE;
}

void model_layout_compose(const struct model_data_config *d, const uint16_t *pixels, unsigned label,
                          uint16_t *out) {
    size_t                     px = (size_t)(d->resolution * d->resolution);
    struct model_layout_tokens k  = model_layout_tokens(d);
    uint16_t                   caption[MODEL_CAPTION_LEN];
    for (size_t j = 0; j < MODEL_CAPTION_LEN; j++) {
        int w      = label < MODEL_CAPTION_CLASSES ? model_caption_of_class[label][j] : -1;
        caption[j] = (uint16_t)(w >= 0 ? k.word + w : k.pad);
    }
    switch (d->layout) {
    case MODEL_IMAGE_LAYOUT_IMAGE: memcpy(out, pixels, px * sizeof *out); break;
    case MODEL_IMAGE_LAYOUT_IMAGE_LABEL:
        memcpy(out, pixels, px * sizeof *out);
        out[px] = (uint16_t)(k.label + (int32_t)label);
        break;
    case MODEL_IMAGE_LAYOUT_CAPTION_IMAGE:
        memcpy(out, caption, sizeof caption);
        memcpy(out + MODEL_CAPTION_LEN, pixels, px * sizeof *out);
        break;
    case MODEL_IMAGE_LAYOUT_IMAGE_CAPTION:
        memcpy(out, pixels, px * sizeof *out);
        memcpy(out + px, caption, sizeof caption);
        break;
    }
}

/* The first part of a captioned sample: where it starts, its length and its blank token. */
static void model_layout_first_impl(const struct model_data_config *d, size_t *len,
                                    int32_t *blank) {
    struct model_layout_tokens k = model_layout_tokens(d);
    if (d->layout == MODEL_IMAGE_LAYOUT_CAPTION_IMAGE) {
        *len   = MODEL_CAPTION_LEN;
        *blank = k.blank_text;
    } else {
        *len   = (size_t)(d->resolution * d->resolution);
        *blank = k.blank_image;
    }
}

bool model_layout_counted(const struct model_data *d, size_t t, int32_t target) {
    const struct model_data_config *c = &d->config;
    switch (c->layout) {
    case MODEL_IMAGE_LAYOUT_IMAGE: return true;
    case MODEL_IMAGE_LAYOUT_IMAGE_LABEL: return (t + 1) % d->align == d->align - 1;
    case MODEL_IMAGE_LAYOUT_CAPTION_IMAGE:
    case MODEL_IMAGE_LAYOUT_IMAGE_CAPTION: {
        /* Pads and blanks are never predicted: they carry nothing of the data. */
        struct model_layout_tokens k = model_layout_tokens(c);
        return target != k.pad && target != k.blank_text && target != k.blank_image;
    }
    }
    return true;
}

void model_layout_blank_batch(const struct model_data *d, struct model_rng *r, size_t B,
                              int32_t *inputs, int32_t *targets) {
    const struct model_data_config *c = &d->config;
    if (!model_layout_captioned_impl(c) || !(c->blank_fraction > 0)) return;
    size_t  T = d->T, S = d->align, first;
    int32_t blank;
    model_layout_first_impl(c, &first, &blank);
    for (size_t b = 0; b < B; b++)
        /* Window position p holds sample p / S, its first part leading; every sample of the
         * window draws once. */
        for (size_t s0 = 0; s0 <= T; s0 += S) {
            if (!(model_rng_uniform(r) < c->blank_fraction)) continue;
            for (size_t j = 0; j < first; j++) {
                size_t p = s0 + j;
                if (p < T) inputs[b * T + p] = blank;
                if (p >= 1 && p - 1 < T) targets[b * T + p - 1] = blank;
            }
        }
}

bool model_layout_pair(const struct model_data *d, int32_t *w, size_t *p0, size_t *p1) {
    const struct model_data_config *c = &d->config;
    if (!model_layout_captioned_impl(c)) return false;
    size_t  first, S = d->align;
    int32_t blank;
    model_layout_first_impl(c, &first, &blank);
    for (size_t j = 0; j < first; j++)
        w[j] = blank;
    /* The second part's tokens are window positions first..S-1, predicted at first-1..S-2. */
    *p0 = first - 1;
    *p1 = S - 1;
    return true;
}

void model_layout_choices(const struct model_data_config *d, int64_t *lo, int64_t *hi) {
    *lo = d->levels;
    *hi = d->layout == MODEL_IMAGE_LAYOUT_IMAGE_LABEL ? d->levels + d->classes : d->levels;
}

double model_layout_caption_entropy(const struct model_data *d) {
    const struct model_data_config *c = &d->config;
    if (!model_layout_captioned_impl(c)) return NAN;
    /* The classes of the eval set's samples, read off their captions' first word. */
    struct model_layout_tokens k                            = model_layout_tokens(c);
    size_t                     count[MODEL_CAPTION_CLASSES] = {0}, n = 0, W = d->T + 1;
    size_t                     at =
        c->layout == MODEL_IMAGE_LAYOUT_CAPTION_IMAGE ? 0 : (size_t)(c->resolution * c->resolution);
    for (size_t i = 0; i < d->n_eval_win; i++) {
        int32_t w = d->eval_win[i * W + at] - k.word;
        for (size_t cl = 0; cl < MODEL_CAPTION_CLASSES; cl++)
            if (model_caption_of_class[cl][0] == w) {
                count[cl]++;
                n++;
            }
    }
    double h = 0;
    for (size_t cl = 0; cl < MODEL_CAPTION_CLASSES; cl++)
        if (count[cl] > 0) h -= (double)count[cl] / (double)n * log((double)count[cl] / (double)n);
    return n > 0 ? h : (double)NAN;
}

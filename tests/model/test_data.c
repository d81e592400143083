/*
 * test_data.c — the file data sources:
 *   - IDX images (gzip and plain) downsampled to R×R with Q levels, against a direct evaluation
 *     of the rule (zero-pad to a multiple of R, block mean, floor(mean·Q/256)) for R = 8, 4, 7;
 *     truncated files and a wrong magic are reported with the path;
 *   - Debian's Fashion-MNIST test set (dataset-fashion-mnist; required under CI) loads as
 *     10000 images of 64 tokens using every level;
 *   - layout image_label: the labels beside the images (`-labels-idx1-` for `-images-idx3-`),
 *     each image's pixels then its label token, the loss counting the label only, the classes
 *     for the error rate; labels that do not match the images (count, range, a missing file, a
 *     name without `images-idx3`) are reported naming the files; Fashion-MNIST's test labels
 *     are balanced (1000 of each class);
 *   - caption layouts: each sample's caption (Fashion-MNIST's class name, a word per token, a
 *     pad after one word) before or after its pixels; pads and blanks never counted; training
 *     samples blanked at the stated fraction, deterministically; the eval's paired windows with
 *     their first part blanked and the positions of the second part; the captions' entropy;
 *   - tokens: a token >= n_vocab and an odd byte count are reported with the offset;
 *   - text: the split by file (eval_fraction over the sorted file list), the split of a single
 *     file (its last fraction), the sha256 of the files' bytes, and windows of image data that
 *     start on image boundaries.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "check.h"
#include "internal.h"

static char dir[] = "/tmp/sf_data_XXXXXX";

static char *in_dir(const char *name) {
    static char buf[2][700];
    static int  k;
    k = 1 - k;
    snprintf(buf[k], sizeof buf[k], "%s/%s", dir, name);
    return buf[k];
}

/* Writes n images of rows×cols as an IDX file (gzip when gz). */
static void write_idx(const char *path, const uint8_t *px, uint32_t n, uint32_t rows, uint32_t cols,
                      bool gz, uint32_t magic, size_t cut) {
    uint8_t  hdr[16];
    uint32_t v[4] = {magic, n, rows, cols};
    for (int i = 0; i < 4; i++)
        for (int b = 0; b < 4; b++)
            hdr[4 * i + b] = (uint8_t)(v[i] >> (24 - 8 * b));
    size_t total = (size_t)n * rows * cols;
    if (cut > 0 && cut < total) total = cut;
    if (gz) {
        gzFile f = gzopen(path, "wb");
        gzwrite(f, hdr, 16);
        gzwrite(f, px, (unsigned)total);
        gzclose(f);
    } else {
        FILE *f = fopen(path, "wb");
        fwrite(hdr, 1, 16, f);
        fwrite(px, 1, total, f);
        fclose(f);
    }
}

static void test_idx(void) {
    uint32_t n = 3, rows = 28, cols = 28;
    uint8_t *px = malloc(n * rows * cols);
    for (uint32_t i = 0; i < n * rows * cols; i++)
        px[i] = (uint8_t)((i * 37u + (i / 28) * 11u) % 256u);
    write_idx(in_dir("img.gz"), px, n, rows, cols, true, 0x803, 0);
    write_idx(in_dir("img.idx"), px, n, rows, cols, false, 0x803, 0);
    int64_t Rs[] = {8, 4, 7};
    for (size_t r = 0; r < 3; r++) {
        int64_t         R = Rs[r], Q = 16;
        uint16_t       *tok[2];
        size_t          ni[2];
        struct sf_error e;
        bool ok = model_idx_images(in_dir("img.gz"), R, Q, &tok[0], &ni[0], &e) == SF_OK &&
                  model_idx_images(in_dir("img.idx"), R, Q, &tok[1], &ni[1], &e) == SF_OK;
        if (!check(ok && ni[0] == n && ni[1] == n, "R=%lld: both files load %u images",
                   (long long)R, n))
            continue;
        check(memcmp(tok[0], tok[1], n * (size_t)(R * R) * sizeof(uint16_t)) == 0,
              "R=%lld: gzip and plain give the same tokens", (long long)R);
        /* The rule, evaluated directly. */
        size_t S = (28 + (size_t)R - 1) / (size_t)R * (size_t)R, blk = S / (size_t)R;
        size_t pad = (S - 28) / 2;
        size_t bad = 0;
        for (uint32_t k = 0; k < n; k++)
            for (size_t by = 0; by < (size_t)R; by++)
                for (size_t bx = 0; bx < (size_t)R; bx++) {
                    double sum = 0;
                    for (size_t y = 0; y < blk; y++)
                        for (size_t x = 0; x < blk; x++) {
                            long yy = (long)(by * blk + y) - (long)pad,
                                 xx = (long)(bx * blk + x) - (long)pad;
                            if (yy >= 0 && yy < 28 && xx >= 0 && xx < 28)
                                sum += px[k * 784 + (size_t)yy * 28 + (size_t)xx];
                        }
                    double mean = sum / (double)(blk * blk);
                    int    lev  = (int)floor(mean * (double)Q / 256.0);
                    if (lev > Q - 1) lev = (int)Q - 1;
                    bad += tok[0][k * (size_t)(R * R) + by * (size_t)R + bx] != lev;
                }
        check(bad == 0, "R=%lld: every pixel token follows pad-average-quantise (%zu differ)",
              (long long)R, bad);
        free(tok[0]);
        free(tok[1]);
    }
    /* Broken files. */
    write_idx(in_dir("short.gz"), px, n, rows, cols, true, 0x803, 784 + 100);
    write_idx(in_dir("labels.gz"), px, n, rows, cols, true, 0x801, 0);
    uint16_t       *t;
    size_t          k;
    struct sf_error e;
    check(model_idx_images(in_dir("short.gz"), 8, 16, &t, &k, &e) == SF_EINVAL &&
              strstr(e.message, "truncated") && strstr(e.where, "short.gz"),
          "truncated IDX: '%s: %s'", e.where, e.message);
    check(model_idx_images(in_dir("labels.gz"), 8, 16, &t, &k, &e) == SF_EINVAL &&
              strstr(e.message, "magic 0x00000801"),
          "wrong IDX magic: '%s'", e.message);
    free(px);
}

/* False when the data set is absent: a skip (77) of the whole test, a failure where CI is set. */
static bool test_fashion_mnist(void) {
    const char *p     = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz";
    bool        in_ci = getenv("CI") != NULL && getenv("CI")[0] != '\0';
    if (!sf_path_exists(p)) {
        printf("%s absent (package dataset-fashion-mnist, which scripts/setup.sh installs)\n", p);
        if (in_ci) check(false, "Fashion-MNIST is installed under CI");
        return false;
    }
    uint16_t       *t;
    size_t          n;
    struct sf_error e;
    if (!check(model_idx_images(p, 8, 16, &t, &n, &e) == SF_OK && n == 10000,
               "Fashion-MNIST t10k loads 10000 images at 8x8"))
        return true;
    size_t hist[16] = {0};
    for (size_t i = 0; i < n * 64; i++)
        hist[t[i]]++;
    size_t used = 0;
    for (int q = 0; q < 16; q++)
        used += hist[q] > 0;
    check(used == 16 && hist[0] > hist[15], "all 16 levels used, background most common");
    uint8_t *lab;
    if (check(model_idx_labels("/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz", p, n,
                               10, &lab, &e) == SF_OK,
              "its 10000 labels load")) {
        size_t per[10] = {0};
        for (size_t i = 0; i < n; i++)
            per[lab[i]]++;
        bool balanced = true;
        for (int k = 0; k < 10; k++)
            balanced &= per[k] == 1000;
        check(balanced, "1000 labels of each of the 10 classes");
        free(lab);
    }
    free(t);
    return true;
}

static void write_bytes(const char *name, const void *data, size_t n) {
    FILE *f = fopen(in_dir(name), "wb");
    fwrite(data, 1, n, f);
    fclose(f);
}

static void test_tokens(void) {
    uint16_t toks[300];
    for (int i = 0; i < 300; i++)
        toks[i] = (uint16_t)(i % 97);
    toks[123] = 500;
    write_bytes("bad.tok", toks, sizeof toks);
    write_bytes("odd.tok", toks, 7);
    struct model_config c = model_config_default();
    c.data.source = MODEL_SOURCE_TOKENS, c.data.n_vocab = 100, c.data.n_paths = 1;
    c.n_ctx = 8, c.eval_tokens = 16;
    snprintf(c.data.paths[0], MODEL_PATH_MAX, "bad.tok");
    struct model_data d;
    struct sf_error   e;
    check(model_data_open(&d, &c, dir, &e) == SF_EINVAL && strstr(e.message, "token 123") &&
              strstr(e.message, "byte offset 246") && strstr(e.message, "500"),
          "token over n_vocab: '%s'", e.message);
    snprintf(c.data.paths[0], MODEL_PATH_MAX, "odd.tok");
    check(model_data_open(&d, &c, dir, &e) == SF_EINVAL && strstr(e.message, "7 bytes"),
          "odd token file: '%s'", e.message);
    toks[123] = 5;
    write_bytes("good.tok", toks, sizeof toks);
    snprintf(c.data.paths[0], MODEL_PATH_MAX, "good.tok");
    if (check(model_data_open(&d, &c, dir, &e) == SF_OK, "good token file opens")) {
        check(d.n_eval == 30 && d.n_train == 270, "last 10%% held out (%zu / %zu)", d.n_train,
              d.n_eval);
        int32_t in[16], tg[16];
        model_data_batch(&d, 1, 2, in, tg);
        bool ok = true;
        for (int i = 0; i < 16; i++)
            ok &= in[i] < 100 && tg[i] < 100;
        check(ok && in[1] == tg[0], "a batch holds shifted windows of the file");
        model_data_free(&d);
    }
}

static void test_text(void) {
    const char   *parts[3] = {"aaaa aaaa aaaa aaaa aaaa\n", "bbbb bbbb bbbb bbbb bbbb bbbb\n",
                              "cccc cccc cccc cccc cccc cccc cccc\n"};
    struct sf_buf all;
    sf_buf_init(&all);
    for (int i = 0; i < 3; i++) {
        char name[16];
        snprintf(name, sizeof name, "t%d.txt", i);
        write_bytes(name, parts[i], strlen(parts[i]));
        sf_buf_puts(&all, parts[i]);
    }
    struct model_config c = model_config_default();
    c.data.source = MODEL_SOURCE_TEXT, c.data.n_paths = 1, c.data.eval_fraction = 0.34;
    c.n_ctx = 8, c.eval_tokens = 16;
    snprintf(c.data.paths[0], MODEL_PATH_MAX, "t*.txt");
    struct model_data d;
    struct sf_error   e;
    if (check(model_data_open(&d, &c, dir, &e) == SF_OK, "text glob opens")) {
        /* eval_fraction 0.34 over 3 files: floor(3·0.34) crosses an integer at the third. */
        check(d.n_eval == strlen(parts[2]) && d.n_train == strlen(parts[0]) + strlen(parts[1]),
              "split by file: the third file is the eval split");
        check(d.eval_win[0] == 'c' && d.train[0] == 'a', "eval windows come from the eval file");
        char hex[65];
        sf_sha256_hex(all.data, all.len, hex);
        check(strcmp(hex, d.info.sha256) == 0, "sha256 of the files' bytes in sorted order");
        model_data_free(&d);
    }
    c.data.eval_fraction = 0.5;
    snprintf(c.data.paths[0], MODEL_PATH_MAX, "t2.txt");
    if (check(model_data_open(&d, &c, dir, &e) == SF_OK, "single text file opens")) {
        size_t n = strlen(parts[2]);
        check(d.n_eval == (n + 1) / 2 && d.n_train == n - (n + 1) / 2,
              "one file: its last half is held out");
        model_data_free(&d);
    }
    c.n_ctx = 64;
    check(model_data_open(&d, &c, dir, &e) == SF_EINVAL && strstr(e.message, "fewer than n_ctx+1"),
          "windows longer than the data: '%s'", e.message);
    sf_buf_free(&all);
}

/* Writes an IDX label file (8-byte header, then the labels), gzip-compressed. */
static void write_labels(const char *path, const uint8_t *lab, uint32_t n, uint32_t magic) {
    uint8_t  hdr[8];
    uint32_t v[2] = {magic, n};
    for (int i = 0; i < 2; i++)
        for (int b = 0; b < 4; b++)
            hdr[4 * i + b] = (uint8_t)(v[i] >> (24 - 8 * b));
    gzFile f = gzopen(path, "wb");
    gzwrite(f, hdr, 8);
    if (n > 0) gzwrite(f, lab, n);
    gzclose(f);
}

/* Opens `images` with layout image_label (4×4, 8 levels, windows of one sample); the status. */
static enum sf_status open_labelled(struct model_data *d, const char *images, struct sf_error *e) {
    struct model_config c = model_config_default();
    c.data.source = MODEL_SOURCE_IMAGE, c.data.n_paths = 1, c.data.eval_fraction = 0.3;
    c.data.resolution = 4, c.data.levels = 8, c.data.layout = MODEL_IMAGE_LAYOUT_IMAGE_LABEL;
    c.n_ctx = 16, c.eval_tokens = 17;
    snprintf(c.data.paths[0], MODEL_PATH_MAX, "%s", images);
    sf_error_clear(e);
    return model_data_open(d, &c, dir, e);
}

static void test_image_labels(void) {
    uint32_t n = 3, rows = 28, cols = 28;
    uint8_t *px = malloc(n * rows * cols);
    for (uint32_t i = 0; i < n * rows * cols; i++)
        px[i] = (uint8_t)((i * 53u + (i / 28) * 7u) % 256u);
    uint8_t lab[4] = {7, 0, 3, 12};
    write_idx(in_dir("a-images-idx3-ubyte.gz"), px, n, rows, cols, true, 0x803, 0);
    write_labels(in_dir("a-labels-idx1-ubyte.gz"), lab, n, 0x801);
    uint16_t       *pix;
    size_t          ni;
    struct sf_error e;
    check(model_idx_images(in_dir("a-images-idx3-ubyte.gz"), 4, 8, &pix, &ni, &e) == SF_OK,
          "the images alone");
    struct model_data d;
    if (check(open_labelled(&d, "a-images-idx3-ubyte.gz", &e) == SF_OK,
              "layout image_label opens")) {
        check(d.n_vocab == 18 && d.align == 17, "n_vocab = levels + classes = 18, samples of 17");
        /* One file: its last 30% (one sample, image 2) is the eval split. */
        bool ok = d.n_train == 34 && d.n_eval == 17;
        for (size_t i = 0; i < 3 && ok; i++) {
            const uint16_t *s = i < 2 ? d.train + i * 17 : d.eval;
            ok                = memcmp(s, pix + i * 16, 16 * sizeof *s) == 0 && s[16] == 8 + lab[i];
        }
        check(ok, "each sample: the image's 16 pixels, then token levels + label (15, 8, 11)");
        bool mask = true;
        for (size_t t = 0; t < 16; t++)
            mask &= model_data_counted(&d, d.eval_win, t) == (t == 15);
        check(mask, "the loss counts the label's prediction only");
        int32_t in[2 * 16], tg[2 * 16];
        model_data_batch(&d, 1, 2, in, tg);
        bool ign = true;
        for (int b = 0; b < 2; b++)
            for (int t = 0; t < 16; t++)
                ign &= t == 15 ? tg[b * 16 + t] >= 8 : tg[b * 16 + t] == MODEL_IGNORE;
        check(ign, "training targets: the label, every pixel ignored");
        int64_t lo = 0, hi = 0;
        d.entry->ops->choices(&d.config, &lo, &hi);
        check(lo == 8 && hi == 18, "the classes are tokens 8..17");
        model_data_free(&d);
    }
    write_labels(in_dir("b-labels-idx1-ubyte.gz"), lab, 2, 0x801);
    write_idx(in_dir("b-images-idx3-ubyte.gz"), px, n, rows, cols, true, 0x803, 0);
    check(open_labelled(&d, "b-images-idx3-ubyte.gz", &e) == SF_EINVAL &&
              strstr(e.where, "b-labels-idx1-ubyte.gz") && strstr(e.message, "holds 2 labels") &&
              strstr(e.message, "b-images-idx3-ubyte.gz holds 3 images"),
          "a label count that differs names both files: %s: %s", e.where, e.message);
    write_labels(in_dir("c-labels-idx1-ubyte.gz"), lab + 1, 3, 0x801);
    write_idx(in_dir("c-images-idx3-ubyte.gz"), px, n, rows, cols, true, 0x803, 0);
    check(open_labelled(&d, "c-images-idx3-ubyte.gz", &e) == SF_EINVAL &&
              strstr(e.message, "label 2 is 12, outside 0..9"),
          "a label outside the classes: %s", e.message);
    write_idx(in_dir("d-images-idx3-ubyte.gz"), px, n, rows, cols, true, 0x803, 0);
    check(open_labelled(&d, "d-images-idx3-ubyte.gz", &e) == SF_EINVAL &&
              strstr(e.where, "d-labels-idx1-ubyte.gz") && strstr(e.message, "cannot open"),
          "missing labels: %s: %s", e.where, e.message);
    check(open_labelled(&d, "img.gz", &e) == SF_EINVAL && strstr(e.message, "images-idx3"),
          "an image file whose name says nothing of its labels: %s", e.message);
    write_labels(in_dir("e-labels-idx1-ubyte.gz"), lab, 3, 0x803);
    write_idx(in_dir("e-images-idx3-ubyte.gz"), px, n, rows, cols, true, 0x803, 0);
    check(open_labelled(&d, "e-images-idx3-ubyte.gz", &e) == SF_EINVAL &&
              strstr(e.message, "not an IDX label file"),
          "a label file with the wrong magic: %s", e.message);
    free(pix);
    free(px);
}

/* Opens a.*-idx3 with a caption layout (4×4, 8 levels, one sample per window). */
static enum sf_status open_captioned(struct model_data *d, enum model_image_layout layout,
                                     double blank, struct sf_error *e) {
    struct model_config c = model_config_default();
    c.data.source = MODEL_SOURCE_IMAGE, c.data.n_paths = 1, c.data.eval_fraction = 0.3;
    c.data.resolution = 4, c.data.levels = 8, c.data.layout = layout;
    c.data.blank_fraction = blank;
    c.n_ctx = 17, c.eval_tokens = 17;
    snprintf(c.data.paths[0], MODEL_PATH_MAX, "a-images-idx3-ubyte.gz");
    sf_error_clear(e);
    struct sf_diags diags;
    sf_diag_init(&diags);
    bool valid = model_config_validate(&c, dir, &diags) == SF_OK;
    sf_diag_free(&diags);
    if (!check(valid, "the caption configuration is valid")) return SF_EINVAL;
    return model_data_open(d, &c, dir, e);
}

/* Labels 7, 0, 3 (sneaker, t-shirt/top, dress): words 8, (0, 1), 4 after the 8 levels. */
static void test_captions(void) {
    uint16_t       *pix;
    size_t          ni;
    struct sf_error e;
    if (!check(model_idx_images(in_dir("a-images-idx3-ubyte.gz"), 4, 8, &pix, &ni, &e) == SF_OK,
               "the images alone"))
        return;
    const int32_t caption[3][2] = {{8 + 8, 8 + 12}, {8 + 0, 8 + 1}, {8 + 4, 8 + 12}};
    for (int order = 0; order < 2; order++) {
        enum model_image_layout layout =
            order == 0 ? MODEL_IMAGE_LAYOUT_CAPTION_IMAGE : MODEL_IMAGE_LAYOUT_IMAGE_CAPTION;
        const char       *name = order == 0 ? "caption_image" : "image_caption";
        struct model_data d;
        if (!check(open_captioned(&d, layout, 0.5, &e) == SF_OK, "%s opens", name)) continue;
        check(d.n_vocab == 8 + 12 + 3 && d.align == 18,
              "%s: 12 words, a pad and two blanks after the levels; samples of 18", name);
        bool ok = d.n_train == 36 && d.n_eval == 18;
        for (size_t i = 0; i < 3 && ok; i++) {
            const uint16_t *smp = i < 2 ? d.train + i * 18 : d.eval;
            const uint16_t *img = smp + (order == 0 ? 2 : 0), *cap = smp + (order == 0 ? 0 : 16);
            ok = memcmp(img, pix + i * 16, 16 * sizeof *img) == 0 && cap[0] == caption[i][0] &&
                 cap[1] == caption[i][1];
        }
        check(ok, "%s: each sample's pixels and its class name (pad after one word)", name);
        /* The eval window (image 2: "dress", a pad): the pad is never counted. */
        size_t pad_at = order == 0 ? 1 : 17, counted = 0;
        for (size_t t = 0; t < 17; t++)
            counted += model_data_counted(&d, d.eval_win, t);
        check(!model_data_counted(&d, d.eval_win, pad_at - 1) && counted == 16,
              "%s: every prediction counts but the pad's (%zu of 17)", name, counted);
        /* The pair: the first part blanked, the second part's positions. */
        int32_t blank = order == 0 ? 8 + 13 : 8 + 14;
        bool    pair  = d.eval_win_blank != NULL;
        size_t  first = order == 0 ? 2 : 16;
        for (size_t k = 0; pair && k < 18; k++)
            pair = k < first ? d.eval_win_blank[k] == blank : d.eval_win_blank[k] == d.eval_win[k];
        check(pair && d.pair_p0 == first - 1 && d.pair_p1 == 17,
              "%s: the paired window blanks the first part; positions %zu..16 predict the "
              "second",
              name, first - 1);
        check(fabs(d.info.caption_entropy) < 1e-12, "%s: one eval caption: entropy 0", name);
        /* Training: about half the samples blanked, the same for the same step. */
        int32_t in[2][64 * 17], tg[2][64 * 17];
        model_data_batch(&d, 5, 64, in[0], tg[0]);
        model_data_batch(&d, 5, 64, in[1], tg[1]);
        size_t blanked = 0;
        bool   masked  = true;
        for (size_t b = 0; b < 64; b++) {
            bool bl = in[0][b * 17 + first - 1] == blank;
            blanked += bl;
            for (size_t t = 0; bl && t + 1 < first; t++)
                masked &= in[0][b * 17 + t] == blank && tg[0][b * 17 + t] == MODEL_IGNORE;
        }
        check(memcmp(in[0], in[1], sizeof in[0]) == 0 && memcmp(tg[0], tg[1], sizeof tg[0]) == 0,
              "%s: the same step gives the same batch", name);
        check(blanked >= 20 && blanked <= 44 && masked,
              "%s: %zu of 64 training samples blanked at fraction 0.5, their blanks never "
              "predicted",
              name, blanked);
        model_data_free(&d);
    }
    free(pix);
}

static void test_image_windows(void) {
    struct model_config c = model_config_default();
    c.data.source = MODEL_SOURCE_IMAGE, c.data.n_paths = 1, c.data.eval_fraction = 0.3;
    c.data.resolution = 4, c.data.levels = 8;
    c.n_ctx = 15, c.eval_tokens = 30; /* windows of 16 tokens: exactly one image */
    snprintf(c.data.paths[0], MODEL_PATH_MAX, "img.gz");
    struct model_data d;
    struct sf_error   e;
    if (!check(model_data_open(&d, &c, dir, &e) == SF_OK, "image source opens")) return;
    check(d.align == 16 && d.n_eval == 16 && d.n_train == 32,
          "ceil(3 x 0.3) = 1 of 3 images held out, whole");
    /* Batches start on image boundaries: each input window begins with an image's first pixel. */
    int32_t in[60], tg[60];
    model_data_batch(&d, 3, 4, in, tg);
    bool ok = true;
    for (int b = 0; b < 4; b++) {
        bool first = true, second = true;
        for (int k = 0; k < 15; k++) {
            first &= in[b * 15 + k] == d.train[k];
            second &= in[b * 15 + k] == d.train[16 + k];
        }
        ok &= first || second;
    }
    check(ok, "training windows are whole images (start on image boundaries)");
    check(d.eval_win[0] == d.eval[0] && d.n_eval_win == 2, "eval windows start at the eval image");
    model_data_free(&d);
}

int main(void) {
    if (mkdtemp(dir) == NULL) return 1;
    test_idx();
    bool fashion = test_fashion_mnist();
    test_tokens();
    test_text();
    test_image_windows();
    test_image_labels();
    test_captions();
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) return 1;
    if (!fashion && check_failures() == 0) return 77; /* the meson convention for a skip */
    return check_summary();
}

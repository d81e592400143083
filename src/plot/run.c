/*
 * run.c — running gnuplot on a filled-in script: finding the templates, running gnuplot through
 * the common child-process runner (no shell) in the figure's folder with its stderr captured and
 * a time limit, checking the PNG and SVG it wrote under temporary names and moving them into
 * place; listing the scripts of a folder for `scalefit plot`. It uses text.c's helpers and
 * nothing of figure.c (figure.c calls into it, never the other way).
 *
 * It does not interpret gnuplot's messages: they are handed back verbatim.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"

#ifndef PLOT_SRC_DIR
#define PLOT_SRC_DIR ""
#endif
#ifndef PLOT_INSTALL_DIR
#define PLOT_INSTALL_DIR ""
#endif

/* How long one gnuplot run may take by default (seconds). Drawing one figure takes well under
 * a second; the limit only guards against a script that never ends. */
#define PLOT_DEFAULT_TIMEOUT_S 120.0
/* The most of gnuplot's stderr that is kept (bytes). */
#define PLOT_STDERR_MAX 65536

struct plot_context plot_context_default(void) {
    struct plot_context c;
    c.plots_dir   = NULL;
    const char *g = getenv("SCALEFIT_GNUPLOT");
    c.gnuplot     = g && g[0] ? g : "gnuplot";
    c.timeout_s   = PLOT_DEFAULT_TIMEOUT_S;
    c.write_only  = false;
    return c;
}

/* True when `dir` holds the templates (style.gp is the one every figure needs). */
static bool plot_dir_has_templates_impl(const char *dir) {
    if (dir == NULL || dir[0] == '\0') return false;
    char *p  = sf_path_join(dir, "style.gp");
    bool  ok = p != NULL && sf_path_exists(p);
    free(p);
    return ok;
}

enum sf_status plot_template_dir(const struct plot_context *ctx, char **dir, struct sf_error *err) {
    *dir = NULL;
    if (ctx != NULL && ctx->plots_dir != NULL) {
        if (!plot_dir_has_templates_impl(ctx->plots_dir))
            SF_FAIL(err, SF_EIO, "no figure templates in %s (style.gp is missing)", ctx->plots_dir);
        *dir = sf_strdup(ctx->plots_dir);
        if (*dir == NULL) SF_FAIL(err, SF_ENOMEM, "out of memory");
        return SF_OK;
    }
    const char *env = getenv("SCALEFIT_PLOTS");
    if (env != NULL && env[0] != '\0') {
        /* An explicit choice is never silently passed over. */
        if (!plot_dir_has_templates_impl(env))
            SF_FAIL(err, SF_EIO, "no figure templates in $SCALEFIT_PLOTS (%s): style.gp is missing",
                    env);
        *dir = sf_strdup(env);
        if (*dir == NULL) SF_FAIL(err, SF_ENOMEM, "out of memory");
        return SF_OK;
    }
    const char *candidates[] = {PLOT_SRC_DIR, PLOT_INSTALL_DIR};
    for (size_t i = 0; i < 2; i++) {
        if (plot_dir_has_templates_impl(candidates[i])) {
            *dir = sf_strdup(candidates[i]);
            if (*dir == NULL) SF_FAIL(err, SF_ENOMEM, "out of memory");
            return SF_OK;
        }
    }
    SF_FAIL(err, SF_EIO,
            "figure templates not found (looked in $SCALEFIT_PLOTS, unset; %s; %s); set "
            "SCALEFIT_PLOTS to the plots/ folder of scalefit's sources",
            PLOT_SRC_DIR[0] ? PLOT_SRC_DIR : "(no source tree)",
            PLOT_INSTALL_DIR[0] ? PLOT_INSTALL_DIR : "(no data directory)");
}

// ---- the child process ----

/* Runs argv in `dir` with the common runner (stdout discarded, stderr captured up to
 * PLOT_STDERR_MAX bytes, the context's time limit): *stderr_text receives the messages (caller
 * frees; never NULL on SF_OK) and *status the wait status. SF_EIO when gnuplot cannot be started
 * or runs past the limit. */
static enum sf_status plot_spawn_impl(const struct plot_context *ctx, const char *dir,
                                      char *const argv[], char **stderr_text, int *status,
                                      struct sf_error *err) {
    *stderr_text                = NULL;
    struct sf_process_spec spec = {
        .argv         = argv,
        .dir          = dir,
        .capture_err  = true,
        .capture_max  = PLOT_STDERR_MAX,
        .timeout_s    = ctx && ctx->timeout_s > 0 ? ctx->timeout_s : PLOT_DEFAULT_TIMEOUT_S,
        .missing_hint = "install gnuplot, Debian's gnuplot-nox",
    };
    struct sf_process_result res;
    enum sf_status           st = sf_process_run(&spec, &res, err);
    if (st != SF_OK) return st;
    *status      = res.wait_status;
    *stderr_text = res.err.data ? sf_buf_take(&res.err) : sf_strdup("");
    sf_process_result_free(&res);
    if (*stderr_text == NULL) SF_FAIL(err, SF_ENOMEM, "out of memory reading gnuplot's messages");
    return SF_OK;
}

// ---- checking and placing the outputs ----

enum sf_status plot_png_size(const char *path, unsigned *width, unsigned *height,
                             struct sf_error *err) {
    static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    unsigned char              head[24];
    FILE                      *fp = fopen(path, "rb");
    if (fp == NULL) SF_FAIL(err, SF_EIO, "%s: %s", path, strerror(errno));
    size_t got = fread(head, 1, sizeof head, fp);
    fclose(fp);
    if (got != sizeof head || memcmp(head, sig, sizeof sig) != 0 ||
        memcmp(head + 12, "IHDR", 4) != 0)
        SF_FAIL(err, SF_EIO, "%s is not a PNG file", path);
    *width =
        (unsigned)head[16] << 24 | (unsigned)head[17] << 16 | (unsigned)head[18] << 8 | head[19];
    *height =
        (unsigned)head[20] << 24 | (unsigned)head[21] << 16 | (unsigned)head[22] << 8 | head[23];
    return SF_OK;
}

/* Checks that an SVG file is complete: it opens an <svg element and ends with </svg>. */
static enum sf_status plot_svg_check_impl(const char *path, struct sf_error *err) {
    char  *text = NULL;
    size_t len  = 0;
    if (sf_read_file(path, &text, &len, err) != SF_OK) return err->code;
    while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == ' '))
        len--;
    bool ok = strstr(text, "<svg") != NULL && len >= 6 && memcmp(text + len - 6, "</svg>", 6) == 0;
    free(text);
    if (!ok) SF_FAIL(err, SF_EIO, "%s is not a complete SVG file", path);
    return SF_OK;
}

/* Flushes a finished output to disk and renames it over its final name. */
static enum sf_status plot_place_impl(const char *tmp, const char *final, struct sf_error *err) {
    int fd = open(tmp, O_RDONLY | O_CLOEXEC);
    if (fd < 0) SF_FAIL(err, SF_EIO, "%s: %s", tmp, strerror(errno));
    int rc = fsync(fd);
    int e  = errno;
    close(fd);
    if (rc != 0) SF_FAIL(err, SF_EIO, "%s: fsync: %s", tmp, strerror(e));
    if (rename(tmp, final) != 0)
        SF_FAIL(err, SF_EIO, "cannot rename %s to %s: %s", tmp, final, strerror(errno));
    return SF_OK;
}

/* Below this many free bytes, a figure whose output came out incomplete was cut short by a full
 * disk (gnuplot says nothing of it): the figures are a few hundred kilobytes at most. */
#define PLOT_FULL_BYTES (1024.0 * 1024.0)

/* When the filesystem of `dir` is (nearly) full, replaces the failure in err by what it is: no
 * space left on device writing `path` (sys_errno ENOSPC, so callers can tell it from a figure
 * that cannot be drawn). Called before the partial outputs are removed. */
static void plot_full_impl(const char *dir, const char *path, struct sf_error *err) {
    struct statvfs sv;
    if (statvfs(dir, &sv) != 0 || (double)sv.f_bavail * (double)sv.f_frsize >= PLOT_FULL_BYTES)
        return;
    SF_SET(err, SF_EIO, "cannot write %s: %s", path, strerror(ENOSPC));
    err->sys_errno = ENOSPC;
}

/* The first lines of gnuplot's messages, for an error message (at most `max` characters). */
static void plot_excerpt_impl(const char *text, char *out, size_t max) {
    size_t n = strlen(text);
    while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == ' '))
        n--;
    size_t start = 0;
    while (start < n && (text[start] == '\n' || text[start] == ' '))
        start++;
    if (n - start + 1 > max) {
        /* Keep the end: gnuplot names the line and the problem last. */
        start = n - (max - 4);
        snprintf(out, max, "...%.*s", (int)(n - start), text + start);
    } else {
        snprintf(out, max, "%.*s", (int)(n - start), text + start);
    }
    for (char *p = out; *p; p++)
        if (*p == '\n') *p = ' ';
}

enum sf_status plot_script_draw(const struct plot_context *ctx, const char *dir, const char *name,
                                bool check_size, char **warnings, struct sf_error *err) {
    if (warnings) *warnings = NULL;
    if (!plot_is_stem(name)) SF_FAIL(err, SF_EINVAL, "'%s' is not a plain figure name", name);
    char *script = sf_strdup_printf("%s.gp", name);
    char *setup  = sf_strdup_printf("out_png = '.%s.png.tmp'; out_svg = '.%s.svg.tmp'", name, name);
    char *tmp_png_rel = sf_strdup_printf(".%s.png.tmp", name);
    char *tmp_svg_rel = sf_strdup_printf(".%s.svg.tmp", name);
    char *png_rel = sf_strdup_printf("%s.png", name), *svg_rel = sf_strdup_printf("%s.svg", name);
    char *tmp_png     = tmp_png_rel ? sf_path_join(dir, tmp_png_rel) : NULL;
    char *tmp_svg     = tmp_svg_rel ? sf_path_join(dir, tmp_svg_rel) : NULL;
    char *png         = png_rel ? sf_path_join(dir, png_rel) : NULL;
    char *svg         = svg_rel ? sf_path_join(dir, svg_rel) : NULL;
    char *gp          = script ? sf_path_join(dir, script) : NULL;
    char *text        = NULL;
    enum sf_status st = SF_OK;
    if (!script || !setup || !tmp_png || !tmp_svg || !png || !svg || !gp) {
        st = SF_SET(err, SF_ENOMEM, "out of memory running gnuplot");
        goto done;
    }
    if (!sf_path_exists(gp)) {
        st = SF_SET(err, SF_EIO, "%s: no such figure script", gp);
        goto done;
    }
    const char *program = ctx && ctx->gnuplot ? ctx->gnuplot : "gnuplot";
    char       *argv[]  = {(char *)program, "-e", setup, script, NULL};
    int         status  = 0;
    st                  = plot_spawn_impl(ctx, dir, argv, &text, &status, err);
    if (st != SF_OK) goto done;
    char excerpt[1024];
    plot_excerpt_impl(text, excerpt, sizeof excerpt);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        if (WIFSIGNALED(status))
            st = SF_SET(err, SF_EIO, "gnuplot was killed by signal %d on %s%s%s", WTERMSIG(status),
                        gp, excerpt[0] ? ": " : "", excerpt);
        else
            st = SF_SET(err, SF_EIO, "gnuplot failed on %s (exit %d)%s%s", gp, WEXITSTATUS(status),
                        excerpt[0] ? ": " : "", excerpt);
        plot_full_impl(dir, png, err);
        goto done;
    }
    unsigned w = 0, h = 0;
    st = plot_png_size(tmp_png, &w, &h, err);
    if (st == SF_OK && check_size && (w != PLOT_PNG_WIDTH || h != PLOT_PNG_HEIGHT))
        st = SF_SET(err, SF_EIO, "%s: gnuplot drew %ux%u pixels, expected %dx%d", gp, w, h,
                    PLOT_PNG_WIDTH, PLOT_PNG_HEIGHT);
    if (st == SF_OK) st = plot_svg_check_impl(tmp_svg, err);
    if (st != SF_OK) {
        if (excerpt[0]) sf_error_prefix(err, "gnuplot said: %s", excerpt);
        plot_full_impl(dir, png, err);
        goto done;
    }
    st = plot_place_impl(tmp_png, png, err);
    if (st == SF_OK) st = plot_place_impl(tmp_svg, svg, err);
    if (st != SF_OK) plot_full_impl(dir, svg, err);
    if (st == SF_OK && warnings && excerpt[0]) {
        *warnings = text;
        text      = NULL;
    }
done:
    if (tmp_png) unlink(tmp_png);
    if (tmp_svg) unlink(tmp_svg);
    free(text), free(script), free(setup), free(tmp_png_rel), free(tmp_svg_rel), free(png_rel);
    free(svg_rel), free(tmp_png), free(tmp_svg), free(png), free(svg), free(gp);
    return st;
}

enum sf_status plot_script_run(const struct plot_context *ctx, const char *dir, const char *name,
                               char **warnings, struct sf_error *err) {
    return plot_script_draw(ctx, dir, name, false, warnings, err);
}

// ---- listing scripts ----

/* Keeps the stems of figure scripts (a plain name before ".gp"). */
static bool plot_is_script_impl(const char *dir, const char *stem, void *ctx) {
    (void)dir, (void)ctx;
    return plot_is_stem(stem);
}

enum sf_status plot_dir_scripts(const char *dir, char ***names, size_t *n, struct sf_error *err) {
    return sf_dir_list(dir, ".gp", plot_is_script_impl, NULL, names, n, err);
}

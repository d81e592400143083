/*
 * figure_check.c — the plot suite's checks on drawn figures: PNG decoding with libpng, colour
 * search, SVG plot groups, the style's palette, redraws by gnuplot itself, and a small process
 * runner with stderr capture. See figure_check.h.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "common.h"
#include "figure_check.h"
#include "plot.h"

/* A colour counts as present within this much per channel: antialiasing never touches the
 * inside of a filled point or a thick line, but cairo's compositing of a translucent band may
 * round either way, and palette colours pass through gnuplot's own rounding. */
#define FC_COLOUR_TOL 4

bool fc_image_read(const char *path, struct fc_image *img, char *why, size_t why_len) {
    memset(img, 0, sizeof *img);
    png_image pi;
    memset(&pi, 0, sizeof pi);
    pi.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_file(&pi, path)) {
        snprintf(why, why_len, "%s: %s", path, pi.message);
        return false;
    }
    pi.format   = PNG_FORMAT_RGB;
    size_t size = PNG_IMAGE_SIZE(pi);
    img->rgb    = malloc(size);
    if (img->rgb == NULL) {
        png_image_free(&pi);
        snprintf(why, why_len, "out of memory");
        return false;
    }
    png_color white = {255, 255, 255};
    if (!png_image_finish_read(&pi, &white, img->rgb, 0, NULL)) {
        snprintf(why, why_len, "%s: %s", path, pi.message);
        free(img->rgb);
        img->rgb = NULL;
        return false;
    }
    img->width  = pi.width;
    img->height = pi.height;
    return true;
}

void fc_image_free(struct fc_image *img) {
    free(img->rgb);
    img->rgb = NULL;
}

size_t fc_image_count(const struct fc_image *img, unsigned rgb, int tol) {
    int    r = (int)(rgb >> 16 & 255), g = (int)(rgb >> 8 & 255), b = (int)(rgb & 255);
    size_t n = 0, total = (size_t)img->width * img->height;
    for (size_t i = 0; i < total; i++) {
        const unsigned char *p = img->rgb + 3 * i;
        if (abs(p[0] - r) <= tol && abs(p[1] - g) <= tol && abs(p[2] - b) <= tol) n++;
    }
    return n;
}

unsigned fc_blend_white(unsigned rgb, double alpha) {
    unsigned out = 0;
    for (int shift = 16; shift >= 0; shift -= 8) {
        double c = (double)(rgb >> shift & 255);
        out |= (unsigned)lround(alpha * c + (1 - alpha) * 255) << shift;
    }
    return out;
}

char *fc_read_text(const char *path) {
    char           *text = NULL;
    size_t          len;
    struct sf_error err;
    if (sf_read_file(path, &text, &len, &err) != SF_OK) return NULL;
    return text;
}

long fc_svg_groups(const char *path) {
    char *text = fc_read_text(path);
    if (text == NULL) return -1;
    long n = 0;
    for (const char *p = text; (p = strstr(p, "<g id=\"gnuplot_plot_")) != NULL; p++)
        n++;
    free(text);
    return n;
}

unsigned fc_palette(double value, double cbmin, double cbmax) {
    /* The stops of `set palette defined` in plots/style.gp (viridis, cut before its yellow). */
    static const unsigned stops[] = {0x440154, 0x414487, 0x2A788E, 0x22A884, 0x7AD151};
    const int             last    = (int)(sizeof stops / sizeof stops[0]) - 1;
    double                t       = (log(value) - log(cbmin)) / (log(cbmax) - log(cbmin));
    t                             = t < 0 ? 0 : t > 1 ? 1 : t;
    double pos                    = t * last;
    int    k                      = (int)floor(pos);
    if (k >= last) k = last - 1;
    double   u   = pos - k;
    unsigned out = 0;
    for (int shift = 16; shift >= 0; shift -= 8) {
        double a = (double)(stops[k] >> shift & 255), b = (double)(stops[k + 1] >> shift & 255);
        out |= (unsigned)lround(a + u * (b - a)) << shift;
    }
    return out;
}

double fc_script_number(const char *gp_path, const char *name) {
    char *text = fc_read_text(gp_path);
    if (text == NULL) return NAN;
    double v   = NAN;
    size_t len = strlen(name);
    for (char *line = text; line && *line;
         line       = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        if (strncmp(line, name, len) == 0 && strncmp(line + len, " = ", 3) == 0) {
            v = strtod(line + len + 3, NULL);
            break;
        }
    }
    free(text);
    return v;
}

bool fc_dat_column_range(const char *dat_path, int col, double *lo, double *hi) {
    FILE *fp = fopen(dat_path, "r");
    if (fp == NULL) return false;
    char line[4096];
    *lo = INFINITY, *hi = -INFINITY;
    while (fgets(line, sizeof line, fp)) {
        if (line[0] == '#' || line[0] == '\n') continue;
        char  *p = line;
        double v = NAN;
        for (int c = 1; c <= col; c++) {
            char *end;
            v = strtod(p, &end);
            if (end == p) v = NAN;
            p = end;
        }
        if (isfinite(v)) *lo = fmin(*lo, v), *hi = fmax(*hi, v);
    }
    fclose(fp);
    return *lo <= *hi;
}

int fc_run(char *const argv[], const char *cwd, char *const env[], char **err_text) {
    *err_text = NULL;
    int fds[2];
    if (pipe(fds) != 0) return -1;
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        int null_fd = open("/dev/null", O_RDWR);
        dup2(null_fd, STDIN_FILENO);
        dup2(null_fd, STDOUT_FILENO);
        dup2(fds[1], STDERR_FILENO);
        close(fds[0]);
        if (cwd && chdir(cwd) != 0) _exit(126);
        for (size_t i = 0; env && env[i]; i++)
            putenv(env[i]);
        execvp(argv[0], argv);
        _exit(127);
    }
    close(fds[1]);
    struct sf_buf b;
    sf_buf_init(&b);
    char    chunk[4096];
    ssize_t n;
    while ((n = read(fds[0], chunk, sizeof chunk)) != 0) {
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) break;
        sf_buf_append(&b, chunk, (size_t)n);
    }
    close(fds[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    *err_text = b.data ? sf_buf_take(&b) : sf_strdup("");
    sf_buf_free(&b);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

bool fc_same_file(const char *a, const char *b) {
    char           *x = NULL, *y = NULL;
    size_t          nx = 0, ny = 0;
    struct sf_error err;
    bool ok = sf_read_file(a, &x, &nx, &err) == SF_OK && sf_read_file(b, &y, &ny, &err) == SF_OK &&
              nx == ny && memcmp(x, y, nx) == 0;
    free(x), free(y);
    return ok;
}

bool fc_copy_file(const char *from, const char *to) {
    char           *x = NULL;
    size_t          n = 0;
    struct sf_error err;
    bool ok = sf_read_file(from, &x, &n, &err) == SF_OK && sf_write_atomic(to, x, n, &err) == SF_OK;
    free(x);
    return ok;
}

void fc_remove_tree(const char *path) {
    struct stat st;
    if (lstat(path, &st) != 0) return;
    if (S_ISDIR(st.st_mode)) {
        DIR           *d = opendir(path);
        struct dirent *e;
        while (d && (e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
            char *sub = sf_path_join(path, e->d_name);
            if (sub) fc_remove_tree(sub);
            free(sub);
        }
        if (d) closedir(d);
        rmdir(path);
    } else {
        unlink(path);
    }
}

void fc_check_figure(const char *figdir, const char *name, const unsigned *colours,
                     size_t n_colours, const char *palette_dat, long svg_groups) {
    char png[1024], svg[1024], gp[1024], keep_png[1024], keep_svg[1024], why[1024];
    snprintf(png, sizeof png, "%s/%s.png", figdir, name);
    snprintf(svg, sizeof svg, "%s/%s.svg", figdir, name);
    snprintf(gp, sizeof gp, "%s/%s.gp", figdir, name);
    struct fc_image img;
    if (!check(fc_image_read(png, &img, why, sizeof why), "%s decodes (%s)", png, why)) return;
    check(img.width == PLOT_PNG_WIDTH && img.height == PLOT_PNG_HEIGHT,
          "%s is %ux%u (%dx%d expected)", png, img.width, img.height, PLOT_PNG_WIDTH,
          PLOT_PNG_HEIGHT);
    for (size_t i = 0; i < n_colours; i++)
        check(fc_image_count(&img, colours[i], FC_COLOUR_TOL) > 0, "%s holds colour #%06X", png,
              colours[i]);
    if (palette_dat != NULL) {
        char   dat[1024];
        double lo, hi;
        snprintf(dat, sizeof dat, "%s/%s", figdir, palette_dat);
        double cbmin = fc_script_number(gp, "cbmin"), cbmax = fc_script_number(gp, "cbmax");
        if (check(fc_dat_column_range(dat, 3, &lo, &hi) && isfinite(cbmin) && isfinite(cbmax),
                  "%s: colour values in %s and cbmin, cbmax in the script", name, palette_dat)) {
            unsigned c_lo = fc_palette(lo, cbmin, cbmax), c_hi = fc_palette(hi, cbmin, cbmax);
            check(fc_image_count(&img, c_lo, FC_COLOUR_TOL) > 0,
                  "%s holds the palette colour #%06X of its smallest value %g", png, c_lo, lo);
            check(fc_image_count(&img, c_hi, FC_COLOUR_TOL) > 0,
                  "%s holds the palette colour #%06X of its largest value %g", png, c_hi, hi);
        }
    }
    fc_image_free(&img);
    long groups = fc_svg_groups(svg);
    check(groups == svg_groups, "%s has %ld plot groups (%ld expected)", svg, groups, svg_groups);
    /* The script left beside the figure redraws it exactly, with gnuplot alone. */
    snprintf(keep_png, sizeof keep_png, "%s/%s.first.png", figdir, name);
    snprintf(keep_svg, sizeof keep_svg, "%s/%s.first.svg", figdir, name);
    if (!check(fc_copy_file(png, keep_png) && fc_copy_file(svg, keep_svg), "copy %s", png)) return;
    unlink(png), unlink(svg);
    char script[256];
    snprintf(script, sizeof script, "%s.gp", name);
    char *argv[] = {"gnuplot", script, NULL};
    char *err    = NULL;
    int   rc     = fc_run(argv, figdir, NULL, &err);
    check(rc == 0, "gnuplot %s exits 0 (got %d: %s)", gp, rc, err ? err : "");
    check(err != NULL && err[0] == '\0', "gnuplot %s prints nothing on stderr (%s)", gp,
          err ? err : "");
    free(err);
    check(fc_same_file(png, keep_png), "gnuplot %s redraws %s byte for byte", gp, png);
    check(fc_same_file(svg, keep_svg), "gnuplot %s redraws %s byte for byte", gp, svg);
    unlink(keep_png), unlink(keep_svg);
}

/*
 * figure_check.h — what the plot suite checks on a drawn figure: the PNG decoded with libpng
 * (size, colours present), the SVG's plot groups, the palette colour gnuplot gives a value,
 * byte-for-byte redraws by `gnuplot NAME.gp`, and running a command with its stderr captured.
 * Shared by the suite's test programs; it checks, it does not draw.
 */
#ifndef SF_TESTS_PLOT_FIGURE_CHECK_H
#define SF_TESTS_PLOT_FIGURE_CHECK_H

#include <stdbool.h>
#include <stddef.h>

/* A decoded PNG: width x height RGB pixels (rgb has 3 * width * height bytes). */
struct fc_image {
    unsigned       width, height;
    unsigned char *rgb;
};

/* Decodes a PNG with libpng (any colour type, converted to 8-bit RGB on white). Returns false
 * with a message in `why` when it does not decode. Free with fc_image_free. */
bool fc_image_read(const char *path, struct fc_image *img, char *why, size_t why_len);
void fc_image_free(struct fc_image *img);
/* Number of pixels within `tol` (each channel) of the colour 0xRRGGBB. */
size_t fc_image_count(const struct fc_image *img, unsigned rgb, int tol);
/* The colour of `rgb` drawn at opacity `alpha` over white, as cairo composes it. */
unsigned fc_blend_white(unsigned rgb, double alpha);

/* Number of plot groups (<g id="gnuplot_plot_N">) in an SVG file; -1 when unreadable. */
long fc_svg_groups(const char *path);

/* The colour the style's palette gives `value` on a log colour axis [cbmin, cbmax]. */
unsigned fc_palette(double value, double cbmin, double cbmax);
/* Reads a number variable `name = value` from a filled-in script; NAN when absent. */
double fc_script_number(const char *gp_path, const char *name);
/* The smallest and largest finite value of column `col` (1-based) of a .dat table. */
bool fc_dat_column_range(const char *dat_path, int col, double *lo, double *hi);

/* Runs argv (argv[0] looked up on PATH) in `cwd` (NULL: here) with the environment variables
 * `env` ("NAME=VALUE", NULL-terminated; may be NULL) added. Its stdout goes to /dev/null and
 * its stderr into *err_text (caller frees). Returns the exit status, or -1 when it could not
 * run or was killed. */
int fc_run(char *const argv[], const char *cwd, char *const env[], char **err_text);

/* True when two files have the same bytes. */
bool fc_same_file(const char *a, const char *b);
/* Copies a file. */
bool fc_copy_file(const char *from, const char *to);
/* Reads a whole file (caller frees); NULL when unreadable. */
char *fc_read_text(const char *path);
/* Removes a folder and everything in it (no error when it does not exist). */
void fc_remove_tree(const char *path);

/* Checks one drawn figure FIGDIR/NAME: the PNG decodes at PLOT_PNG_WIDTH x PLOT_PNG_HEIGHT,
 * holds each of the `n_colours` colours (0xRRGGBB, within a small tolerance), and, when
 * `palette_dat` names a table (a file in FIGDIR), the palette colours of the smallest and
 * largest value of its third column; the SVG has `svg_groups` plot groups; and
 * `gnuplot NAME.gp` in FIGDIR redraws the PNG and the SVG byte for byte with nothing on
 * stderr. Records checks with check(). */
void fc_check_figure(const char *figdir, const char *name, const unsigned *colours,
                     size_t n_colours, const char *palette_dat, long svg_groups);

#endif /* SF_TESTS_PLOT_FIGURE_CHECK_H */

/*
 * csv.c — reading RFC 4180 CSV tables with a header row, keeping the physical line of every
 * record so that messages can point at it, and quoting fields for writing. Comment lines start
 * with '#'. It does not convert fields to numbers (callers do, with their own messages).
 */
#include "common.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* The parser's state: the text, the read position and the current physical line/column. */
struct sf_csv_cursor {
    const char *text;
    size_t      len, pos;
    size_t      line;       /* 1-based line of text[pos] */
    size_t      line_start; /* offset of the current line's first byte */
};

static void sf_csv_row_free_impl(struct sf_csv_row *row) {
    for (size_t j = 0; j < row->n_fields; j++)
        free(row->fields[j]);
    free(row->fields);
    row->fields   = NULL;
    row->n_fields = 0;
}

void sf_csv_free(struct sf_csv *csv) {
    if (csv == NULL) return;
    for (size_t j = 0; j < csv->n_cols; j++)
        free(csv->header[j]);
    free(csv->header);
    for (size_t i = 0; i < csv->n_rows; i++)
        sf_csv_row_free_impl(&csv->rows[i]);
    free(csv->rows);
    free(csv->path);
    memset(csv, 0, sizeof *csv);
}

void sf_csv_keep(struct sf_csv *csv, const char *column, const char *value) {
    long c = sf_csv_column(csv, column);
    if (c < 0) return;
    size_t kept = 0;
    for (size_t i = 0; i < csv->n_rows; i++) {
        if (strcmp(csv->rows[i].fields[c], value) == 0)
            csv->rows[kept++] = csv->rows[i];
        else
            sf_csv_row_free_impl(&csv->rows[i]);
    }
    csv->n_rows = kept;
}

/* Reads one record starting at the cursor into `row`. Returns SF_OK, SF_CONTINUE at the end of
 * the text (nothing read), or an error. Skips comment and empty lines before the record. */
static enum sf_status sf_csv_record_impl(struct sf_csv_cursor *c, struct sf_csv_row *row,
                                         const char *path, struct sf_error *err) {
    char where[SF_WHERE_LEN];
    /* Skip empty lines and comment lines. */
    for (;;) {
        if (c->pos >= c->len) return SF_CONTINUE;
        char ch = c->text[c->pos];
        if (ch == '\n' || (ch == '\r' && c->pos + 1 < c->len && c->text[c->pos + 1] == '\n')) {
            c->pos += (ch == '\r') ? 2 : 1;
            c->line++;
            c->line_start = c->pos;
            continue;
        }
        if (ch == '#') {
            while (c->pos < c->len && c->text[c->pos] != '\n')
                c->pos++;
            if (c->pos < c->len) {
                c->pos++;
                c->line++;
                c->line_start = c->pos;
            }
            continue;
        }
        break;
    }
    memset(row, 0, sizeof *row);
    row->line         = c->line;
    size_t        cap = 0;
    struct sf_buf field;
    sf_buf_init(&field);
    for (;;) {
        /* One field. */
        sf_buf_free(&field);
        sf_buf_init(&field);
        sf_buf_append(&field, "", 0);
        size_t col = row->n_fields + 1;
        if (c->pos < c->len && c->text[c->pos] == '"') {
            size_t qline = c->line, qcol = c->pos - c->line_start + 1;
            c->pos++;
            bool closed = false;
            while (c->pos < c->len) {
                char ch = c->text[c->pos];
                if (ch == '"') {
                    if (c->pos + 1 < c->len && c->text[c->pos + 1] == '"') {
                        sf_buf_append(&field, "\"", 1);
                        c->pos += 2;
                        continue;
                    }
                    c->pos++;
                    closed = true;
                    break;
                }
                if (ch == '\n') {
                    c->line++;
                    c->line_start = c->pos + 1;
                }
                sf_buf_append(&field, &ch, 1);
                c->pos++;
            }
            if (!closed) {
                sf_where(where, sizeof where, path, qline, col);
                sf_buf_free(&field);
                sf_csv_row_free_impl(row);
                SF_FAIL_AT(err, SF_EINVAL, where,
                           "unterminated quoted field (the quote opens at character %zu)", qcol);
            }
            if (c->pos < c->len && c->text[c->pos] != ',' && c->text[c->pos] != '\n' &&
                !(c->text[c->pos] == '\r' && c->pos + 1 < c->len && c->text[c->pos + 1] == '\n')) {
                sf_where(where, sizeof where, path, c->line, col);
                sf_buf_free(&field);
                sf_csv_row_free_impl(row);
                SF_FAIL_AT(err, SF_EINVAL, where, "unexpected character '%c' after a closing quote",
                           c->text[c->pos]);
            }
        } else {
            size_t start = c->pos;
            while (c->pos < c->len) {
                char ch = c->text[c->pos];
                if (ch == ',' || ch == '\n') break;
                if (ch == '\r' && c->pos + 1 < c->len && c->text[c->pos + 1] == '\n') break;
                if (ch == '"') {
                    sf_where(where, sizeof where, path, c->line, col);
                    sf_buf_free(&field);
                    sf_csv_row_free_impl(row);
                    SF_FAIL_AT(err, SF_EINVAL, where,
                               "a quote inside an unquoted field (quote the whole field)");
                }
                c->pos++;
            }
            sf_buf_append(&field, c->text + start, c->pos - start);
        }
        if (field.failed) goto nomem;
        if (row->n_fields == cap) {
            size_t nc     = cap ? 2 * cap : 16;
            char **fields = realloc(row->fields, nc * sizeof *fields);
            if (fields == NULL) goto nomem;
            row->fields = fields;
            cap         = nc;
        }
        char *text = sf_buf_take(&field);
        if (text == NULL) goto nomem;
        row->fields[row->n_fields++] = text;
        if (c->pos >= c->len) break;
        if (c->text[c->pos] == ',') {
            c->pos++;
            continue;
        }
        /* End of record. */
        c->pos += (c->text[c->pos] == '\r') ? 2 : 1;
        c->line++;
        c->line_start = c->pos;
        break;
    }
    sf_buf_free(&field);
    return SF_OK;
nomem:
    sf_buf_free(&field);
    sf_csv_row_free_impl(row);
    SF_FAIL(err, SF_ENOMEM, "out of memory reading %s", path);
}

static void sf_csv_trim_impl(char *s) {
    size_t n = strlen(s), a = 0;
    while (a < n && isspace((unsigned char)s[a]))
        a++;
    while (n > a && isspace((unsigned char)s[n - 1]))
        n--;
    memmove(s, s + a, n - a);
    s[n - a] = '\0';
}

enum sf_status sf_csv_parse(const char *path, const char *text, size_t len, struct sf_csv *csv,
                            struct sf_error *err) {
    memset(csv, 0, sizeof *csv);
    char where[SF_WHERE_LEN];
    csv->path = sf_strdup(path);
    if (csv->path == NULL) SF_FAIL(err, SF_ENOMEM, "out of memory reading %s", path);
    struct sf_csv_cursor c = {text, len, 0, 1, 0};
    /* A UTF-8 byte-order mark is not part of the first name. */
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) c.pos = c.line_start = 3;

    struct sf_csv_row head;
    enum sf_status    st = sf_csv_record_impl(&c, &head, path, err);
    if (st == SF_CONTINUE) {
        sf_csv_free(csv);
        SF_FAIL_AT(err, SF_EINVAL, path, "empty file: no header row");
    }
    if (st != SF_OK) {
        sf_csv_free(csv);
        return st;
    }
    csv->header      = head.fields;
    csv->n_cols      = head.n_fields;
    csv->header_line = head.line;
    for (size_t j = 0; j < csv->n_cols; j++) {
        sf_csv_trim_impl(csv->header[j]);
        if (csv->header[j][0] == '\0') {
            sf_where(where, sizeof where, path, head.line, j + 1);
            sf_csv_free(csv);
            SF_FAIL_AT(err, SF_EINVAL, where, "empty column name in the header");
        }
        for (size_t k = 0; k < j; k++) {
            if (strcmp(csv->header[k], csv->header[j]) == 0) {
                sf_where(where, sizeof where, path, head.line, j + 1);
                st = sf_error_set(err, SF_EINVAL, where, __FILE__, __LINE__,
                                  "duplicate column name '%s' (also column %zu)", csv->header[j],
                                  k + 1);
                sf_csv_free(csv);
                return st;
            }
        }
    }
    size_t cap = 0;
    for (;;) {
        struct sf_csv_row row;
        st = sf_csv_record_impl(&c, &row, path, err);
        if (st == SF_CONTINUE) break;
        if (st != SF_OK) {
            sf_csv_free(csv);
            return st;
        }
        if (row.n_fields != csv->n_cols) {
            size_t col = row.n_fields > csv->n_cols ? csv->n_cols + 1 : row.n_fields;
            sf_where(where, sizeof where, path, row.line, col);
            st = sf_error_set(err, SF_EINVAL, where, __FILE__, __LINE__,
                              "ragged row: %zu field%s, but the header has %zu", row.n_fields,
                              row.n_fields == 1 ? "" : "s", csv->n_cols);
            sf_csv_row_free_impl(&row);
            sf_csv_free(csv);
            return st;
        }
        if (csv->n_rows == cap) {
            size_t             nc   = cap ? 2 * cap : 64;
            struct sf_csv_row *rows = realloc(csv->rows, nc * sizeof *rows);
            if (rows == NULL) {
                sf_csv_row_free_impl(&row);
                sf_csv_free(csv);
                SF_FAIL(err, SF_ENOMEM, "out of memory reading %s", path);
            }
            csv->rows = rows;
            cap       = nc;
        }
        csv->rows[csv->n_rows++] = row;
    }
    return SF_OK;
}

enum sf_status sf_csv_read(const char *path, struct sf_csv *csv, struct sf_error *err) {
    char  *text;
    size_t len;
    memset(csv, 0, sizeof *csv);
    enum sf_status st = sf_read_file(path, &text, &len, err);
    if (st != SF_OK) return st;
    st = sf_csv_parse(path, text, len, csv, err);
    free(text);
    return st;
}

long sf_csv_column(const struct sf_csv *csv, const char *name) {
    for (size_t j = 0; j < csv->n_cols; j++)
        if (strcmp(csv->header[j], name) == 0) return (long)j;
    return -1;
}

void sf_csv_field(struct sf_buf *b, const char *s) {
    if (strpbrk(s, ",\"\r\n") == NULL && s[0] != '#') {
        sf_buf_puts(b, s);
        return;
    }
    sf_buf_append(b, "\"", 1);
    for (const char *p = s; *p; p++) {
        if (*p == '"') sf_buf_append(b, "\"", 1);
        sf_buf_append(b, p, 1);
    }
    sf_buf_append(b, "\"", 1);
}

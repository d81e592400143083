/*
 * common.h — what the scalefit modules share, and nothing else: status codes and the error
 * record, diagnostics lists, the logger and progress display, growable text buffers, number
 * formatting, CSV reading, atomic file writes, sorted folder listings, the child-process runner,
 * YAML loading, typed value readers and emitting helpers, seed derivation, SHA-256 and small
 * filesystem helpers.
 *
 * It deliberately holds no numerics of its own (those live in the modules) and no global
 * mutable state: every function takes the objects it works on.
 */
#ifndef SF_COMMON_H
#define SF_COMMON_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include <yaml.h>

// ---- status and errors ----

/* Status codes. 0 is success, negative values are indicative (not errors), positive values
 * are errors. sf_status_exit_code() maps each to the command's exit status (DESIGN.md). */
enum sf_status {
    SF_CONTINUE     = -2, /* iteration not finished yet (GSL's GSL_CONTINUE) */
    SF_OK           = 0,
    SF_EINVAL       = 1, /* bad input: file contents, options, configuration (exit 2) */
    SF_ENOMEM       = 2, /* allocation failed (exit 1) */
    SF_EIO          = 3, /* a file or process could not be read, written or run (exit 1) */
    SF_ERUNTIME     = 4, /* a computation failed (exit 1) */
    SF_ENOCONV      = 5, /* an iteration did not converge (exit 1) */
    SF_EDIVERGED    = 6, /* training diverged: a recorded result (exit 3) */
    SF_EINTERRUPTED = 7, /* stopped by a signal after checkpointing (exit 4) */
};

/* The error record. `where` is "FILE:LINE:COL", "--option" or empty; `message` is one
 * sentence without the "error:" prefix. src_file/src_line record where in scalefit's own
 * source it was raised (for debugging; never shown to users). */
struct sf_error {
    enum sf_status code;
    char           where[1024];
    char           message[2048];
    const char    *src_file;
    int            src_line;
    int            sys_errno; /* the errno of a failed system call behind it (ENOSPC...), else 0 */
};

/* Records an error and returns its code. The single place to put a breakpoint (GSL). */
enum sf_status sf_error_set(struct sf_error *err, enum sf_status code, const char *where,
                            const char *src_file, int src_line, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/* Records an error, returns its code from the calling function. */
#define SF_FAIL(err, code, ...)                                                                    \
    return sf_error_set((err), (code), NULL, __FILE__, __LINE__, __VA_ARGS__)
/* The same with a place: a "FILE:LINE:COL" or "--option" string. */
#define SF_FAIL_AT(err, code, where, ...)                                                          \
    return sf_error_set((err), (code), (where), __FILE__, __LINE__, __VA_ARGS__)
/* Records without returning (for use before a `goto fail`). */
#define SF_SET(err, code, ...) sf_error_set((err), (code), NULL, __FILE__, __LINE__, __VA_ARGS__)
#define SF_SET_AT(err, code, where, ...)                                                           \
    sf_error_set((err), (code), (where), __FILE__, __LINE__, __VA_ARGS__)

/* Broken invariants: always compiled, prints the place and aborts. */
#define SF_ASSERT(x)                                                                               \
    do {                                                                                           \
        if (!(x)) sf_assert_fail(__FILE__, __LINE__, #x);                                          \
    } while (0)
_Noreturn void sf_assert_fail(const char *file, int line, const char *expr);

/* Clears an error record (code SF_OK, empty strings). */
void sf_error_clear(struct sf_error *err);
/* Prefixes the message with "PREFIX: " (keeps the place). For adding context on the way up. */
void sf_error_prefix(struct sf_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Writes "scalefit: WHERE: error: MESSAGE" (or without WHERE) and a newline to `out`. */
void sf_error_print(const struct sf_error *err, FILE *out);
/* Exit status of the command for a status code (DESIGN.md: 0, 1, 2, 3, 4). */
int sf_status_exit_code(enum sf_status s);
/* The size of a buffer that holds a place "PATH:LINE:COL" (a path up to about a kilobyte). */
#define SF_WHERE_LEN 1200
/* Formats "PATH:LINE:COL" into `buf` (LINE and COL 1-based; COL 0 leaves it out). */
void sf_where(char *buf, size_t n, const char *path, size_t line, size_t col);

// ---- diagnostics: many problems reported at once ----

/* One diagnostic: severity, place and message, as printed by sf_diag_print(). */
struct sf_diag_item {
    bool  is_error;
    char *where;   /* owned; may be empty */
    char *message; /* owned */
};

/* A list of diagnostics. Init with sf_diag_init(), free with sf_diag_free(). */
struct sf_diags {
    struct sf_diag_item *items;
    size_t               n, cap;
    size_t               n_errors;
    size_t               n_lost; /* messages that could not be stored (out of memory) */
};

void sf_diag_init(struct sf_diags *d);
void sf_diag_free(struct sf_diags *d);
/* Appends an error (is_error) or warning. When memory runs out the message is counted as lost
 * (an error still counts as an error) and sf_diag_print says so. */
void sf_diag_add(struct sf_diags *d, bool is_error, const char *where, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Prints every item in DESIGN.md's format, in the order added. */
void sf_diag_print(const struct sf_diags *d, FILE *out);

// ---- logging and progress ----

enum sf_log_level {
    SF_LOG_LEVEL_DEBUG,
    SF_LOG_LEVEL_INFO,
    SF_LOG_LEVEL_WARNING,
    SF_LOG_LEVEL_ERROR
};

/* A logger: library code reports through one of these, never with printf. A NULL logger or a
 * NULL fn discards messages. */
struct sf_logger {
    void (*fn)(void *ctx, enum sf_log_level level, const char *message);
    void *ctx;
};

/* Formats and sends a message to `log` (may be NULL). */
void sf_log(const struct sf_logger *log, enum sf_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The command's logger: "scalefit: warning: ..." on stderr; info lines unprefixed. Messages
 * below `*min_level` (info when NULL) are dropped. `min_level` is borrowed: it must outlive the
 * logger, and changing it changes the logger. */
struct sf_logger sf_logger_stderr(enum sf_log_level *min_level);

/* A progress display. On a terminal it redraws a block of lines in place (at most every
 * `min_interval` seconds); elsewhere it prints plain log lines at most every
 * `plain_interval` seconds, so that output stays parseable. */
struct sf_progress {
    FILE  *out;
    bool   tty;
    size_t lines_drawn;
    double last_draw;
    double min_interval;
    double plain_interval;
};

/* Sets up a display on `out` (borrowed). Terminal detection uses isatty() and TERM != dumb. */
void sf_progress_init(struct sf_progress *p, FILE *out);
/* Draws `n` lines (each without a newline). `force` draws even inside the interval (use it for
 * the final state). Returns true when something was drawn. */
bool sf_progress_draw(struct sf_progress *p, const char *const *lines, size_t n, bool force);
/* Ends the display: on a terminal the last block stays on screen. */
void sf_progress_finish(struct sf_progress *p);
/* Monotonic seconds since an arbitrary origin. */
double sf_now(void);
/* Formats a duration as "1h02m", "3m05s" or "12s" into buf. */
void sf_format_duration(char *buf, size_t n, double seconds);

// ---- text buffers and number formatting ----

/* A growable NUL-terminated byte buffer. Zero-initialise it (or sf_buf_init), free with
 * sf_buf_free. On allocation failure `failed` is set and further appends do nothing. */
struct sf_buf {
    char  *data;
    size_t len, cap;
    bool   failed;
};

void sf_buf_init(struct sf_buf *b);
void sf_buf_free(struct sf_buf *b);
void sf_buf_append(struct sf_buf *b, const char *data, size_t len);
void sf_buf_puts(struct sf_buf *b, const char *s);
void sf_buf_printf(struct sf_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sf_buf_vprintf(struct sf_buf *b, const char *fmt, va_list ap);
/* Appends the NULL-terminated list `names` with `sep` between them. */
void sf_buf_join(struct sf_buf *b, const char *const *names, const char *sep);
/* Takes the contents (caller frees with free()); the buffer is left empty. */
char *sf_buf_take(struct sf_buf *b);

/* Writes the shortest decimal form of `v` that reads back to the same double (at most 17
 * significant digits; "nan", "inf", "-inf" for the non-finite). Returns `buf`. */
char *sf_fmt_double(char *buf, size_t n, double v);
/* One petaflop/s-day in FLOP (Henighan et al. report compute in PF-days). */
#define SF_PF_DAY_FLOP 8.64e19
/* Size of a buffer that always holds sf_fmt_double's output. */
#define SF_FMT_DOUBLE_LEN 32

/* Parses a whole string as a double (leading/trailing blanks allowed, nothing else). Returns
 * false when it is not a number. NaN and infinities parse (check them with isfinite). */
bool sf_parse_double(const char *s, double *out);
/* Parses a whole string as a signed 64-bit integer (decimal; "1e6" is accepted when exact). */
bool sf_parse_int64(const char *s, int64_t *out);

/* strdup that returns NULL on failure (caller frees). */
char *sf_strdup(const char *s);
/* printf into a fresh string (caller frees); NULL when out of memory. */
char *sf_strdup_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *sf_strdup_vprintf(const char *fmt, va_list ap);
/* A number in four significant digits for a report ("%.4g"), or "–" when it is not finite (a
 * negative zero prints as 0). Returns buf. */
const char *sf_fmt_sig(char *buf, size_t n, double v);
/* Levenshtein distance between two short strings (capped at 64 characters each). */
size_t sf_edit_distance(const char *a, const char *b);
/* The candidate closest to `word` by edit distance when it is close enough to be a likely
 * typo (distance at most max(2, len/3)); NULL otherwise. `candidates` is NULL-terminated. */
const char *sf_did_you_mean(const char *word, const char *const *candidates);

// ---- CSV ----

/* One record of a CSV file: its fields and the physical line on which it starts. */
struct sf_csv_row {
    size_t line; /* 1-based physical line of the record's first character */
    size_t n_fields;
    char **fields; /* owned by the table */
};

/* A CSV table read with sf_csv_read(): a header and its records. Init by sf_csv_read, free with
 * sf_csv_free. */
struct sf_csv {
    char              *path;   /* owned copy of the path, for messages */
    char             **header; /* n_cols names */
    size_t             n_cols;
    size_t             header_line;
    struct sf_csv_row *rows;
    size_t             n_rows;
};

/* Reads an RFC 4180 CSV file with a header row. Lines whose first character is '#' (outside a
 * quoted field) and empty lines are skipped. Errors (SF_EINVAL, with the place): an empty file,
 * an unterminated quote, characters after a closing quote, a duplicate or empty header name,
 * a record with a different number of fields than the header. SF_EIO when it cannot be read.
 * On failure the table is left freed. */
enum sf_status sf_csv_read(const char *path, struct sf_csv *csv, struct sf_error *err);
/* Keeps the records whose `column` is `value` (the others freed, the order kept); a table
 * without the column is left as it is. */
void sf_csv_keep(struct sf_csv *csv, const char *column, const char *value);
/* Parses CSV text held in memory (the same rules); `path` is used in messages only. */
enum sf_status sf_csv_parse(const char *path, const char *text, size_t len, struct sf_csv *csv,
                            struct sf_error *err);
void           sf_csv_free(struct sf_csv *csv);
/* Index of the column named `name`, or -1. */
long sf_csv_column(const struct sf_csv *csv, const char *name);
/* Appends `s` to `b` as one CSV field, quoted when needed (RFC 4180). */
void sf_csv_field(struct sf_buf *b, const char *s);

// ---- files ----

/* Writes `len` bytes to `path` atomically: a temporary file in the same folder, fflush, fsync,
 * rename over `path`, fsync of the folder. Readers see the old or the new file, never a part. */
enum sf_status sf_write_atomic(const char *path, const void *data, size_t len,
                               struct sf_error *err);
/* A file written in pieces and then made visible atomically: sf_atomic_open creates a
 * temporary file beside `path`; sf_atomic_write appends; sf_atomic_commit flushes, fsyncs, renames
 * over `path` and fsyncs the folder; sf_atomic_abort (safe after a failure or a commit) removes
 * the temporary file. Readers of `path` see the old or the new file, never a part. */
struct sf_atomic_file {
    int   fd;
    char *path, *tmp; /* owned */
};

enum sf_status sf_atomic_open(struct sf_atomic_file *f, const char *path, struct sf_error *err);
enum sf_status sf_atomic_write(struct sf_atomic_file *f, const void *data, size_t len,
                               struct sf_error *err);
enum sf_status sf_atomic_commit(struct sf_atomic_file *f, struct sf_error *err);
void           sf_atomic_abort(struct sf_atomic_file *f);

/* sf_write_atomic of DIR/NAME. */
enum sf_status sf_write_atomic_at(const char *dir, const char *name, const void *data, size_t len,
                                  struct sf_error *err);
/* sf_write_atomic of a text buffer's contents (SF_ENOMEM when the buffer failed to grow). */
enum sf_status sf_write_buf_at(const char *dir, const char *name, const struct sf_buf *b,
                               struct sf_error *err);
/* Reads a whole file into a fresh NUL-terminated buffer (caller frees *data). */
enum sf_status sf_read_file(const char *path, char **data, size_t *len, struct sf_error *err);
/* Creates a folder and its parents (like mkdir -p) and checks that it can be written into.
 * SF_EINVAL at the path when it cannot for a reason of the user's (a read-only mount, no
 * permission, a file in the way: exit 2), SF_EIO for the others. */
enum sf_status sf_mkdir_p(const char *path, struct sf_error *err);
/* True when the path exists (any kind). */
bool sf_path_exists(const char *path);
/* True when the path is a directory. */
bool sf_is_dir(const char *path);
/* Joins two path parts with one '/' into a fresh string (caller frees); NULL on ENOMEM. */
char *sf_path_join(const char *a, const char *b);

/* The entries of folder `dir` in strcmp order, "." and ".." left out. With `suffix`, only the
 * names longer than it that end with it, given without it; with `keep`, only those for which
 * keep(dir, name, ctx) is true (`name` as it is given back). *names is NULL-terminated (caller
 * frees with sf_names_free). SF_EIO when the folder cannot be read, SF_ENOMEM. */
enum sf_status sf_dir_list(const char *dir, const char                                      *suffix,
                           bool (*keep)(const char *dir, const char *name, void *ctx), void *ctx,
                           char ***names, size_t *n, struct sf_error *err);
/* Frees a NULL-terminated list of strings (NULL is fine). */
void sf_names_free(char **names);

// ---- child processes ----

/* How to run a program: fork and exec (never a shell), stdin from /dev/null, SIGINT, SIGTERM,
 * SIGHUP and SIGQUIT at their defaults. Pointers borrowed. */
struct sf_process_spec {
    char *const *argv;     /* NULL-terminated; argv[0] is a path or a name looked up on PATH */
    const char  *program;  /* the file to run when it is not argv[0] (argv[0] is then its name) */
    const char  *dir;      /* the child's working folder; NULL: the caller's */
    const char  *log_path; /* when set, stdout and stderr are appended to it (created 0644) */
    bool         capture_out, capture_err; /* into the result (sf_process_run); else /dev/null */
    size_t       capture_max; /* bytes kept of each captured stream (the rest is dropped); 0: all */
    bool         own_group;   /* a process group of its own: a Ctrl-C at the terminal does not
                                 reach it; a timeout and sf_process_signal reach the whole group */
    double      timeout_s;    /* sf_process_run: killed (SIGKILL) after this long; 0: no limit */
    const char *missing_hint; /* said in parentheses when argv[0] is not found */
};

/* What a finished child left. Free with sf_process_result_free. */
struct sf_process_result {
    struct sf_buf out, err;    /* the captured streams (empty when not captured) */
    int           wait_status; /* as from waitpid */
    int           exit_code;   /* its exit status, or 128 + N when killed by signal N */
};
void sf_process_result_free(struct sf_process_result *r);

/* Starts a child and returns at once with its pid (no capture: use log_path). The errors, all
 * SF_EIO: "cannot open LOG", "cannot start PROGRAM: fork: ..." (or pipe), "cannot start PROGRAM
 * in DIR: ..." (chdir), "cannot run PROGRAM: ... (HINT)" (exec); the child is reaped then. */
enum sf_status sf_process_start(const struct sf_process_spec *spec, pid_t *pid,
                                struct sf_error *err);
/* Runs a child to its end: starts it as sf_process_start does, reads what it writes into the
 * result and waits for it. Beyond the start's errors: SF_EIO "PROGRAM ran longer than N s and
 * was stopped" after the time limit, SF_ENOMEM. On an error the result is left empty. */
enum sf_status sf_process_run(const struct sf_process_spec *spec, struct sf_process_result *res,
                              struct sf_error *err);

/* What sf_process_reap found. */
enum sf_process_state {
    SF_PROCESS_STATE_RUNNING, /* not ended yet */
    SF_PROCESS_STATE_ENDED,   /* ended; *wait_status holds how */
    SF_PROCESS_STATE_LOST,    /* cannot be waited for (not our child any more) */
};
/* Reaps a child started with sf_process_start if it has ended; `block` waits for it. */
enum sf_process_state sf_process_reap(pid_t pid, bool block, int *wait_status);
/* Forwards a signal to a child (to its process group when it was started with own_group). */
void sf_process_signal(pid_t pid, bool own_group, int sig);

// ---- hashing and seeds ----

/* n bytes as 2n lowercase hex digits + NUL (hex holds 2n + 1). For digests computed in pieces
 * with nettle's sha256_update. */
void sf_hex_bytes(const uint8_t *bytes, size_t n, char *hex);
/* SHA-256 of a memory block as 64 lowercase hex digits + NUL. */
void sf_sha256_hex(const void *data, size_t len, char hex[65]);
/* SHA-256 of a file's contents. */
enum sf_status sf_sha256_file(const char *path, char hex[65], struct sf_error *err);
/* A 64-bit seed derived from (base, k) by SplitMix64 mixing: distinct k give unrelated
 * streams, and the result does not depend on the order in which seeds are derived. */
uint64_t sf_seed_derive(uint64_t base, uint64_t k);

// ---- YAML ----

/* Loads one YAML document from `path` with libyaml's document API (nodes keep their marks).
 * A syntax error is SF_EINVAL at the problem's line and column; SF_EIO when unreadable.
 * On success the caller frees the document with yaml_document_delete(). */
enum sf_status sf_yaml_load(const char *path, yaml_document_t *doc, struct sf_error *err);
/* Formats a node's place "PATH:LINE:COL" (1-based) into buf. */
void sf_yaml_where(char *buf, size_t n, const char *path, const yaml_node_t *node);
/* The node's scalar text, or NULL when it is not a scalar. */
const char *sf_yaml_scalar(const yaml_node_t *node);
/* Looks up `key` in a mapping node; NULL when absent or when `map` is not a mapping. */
yaml_node_t *sf_yaml_map_get(yaml_document_t *doc, const yaml_node_t *map, const char *key);
/* True for a plain (unquoted) scalar spelling null: "", "~", "null", "Null", "NULL". */
bool sf_yaml_is_null(const yaml_node_t *node);

// ---- YAML values: typed readers with one wording per mistake ----

/* What typed reads need: the document, its file name (for places) and the list that receives
 * each problem at its node's FILE:LINE:COL. All borrowed; `doc` may be NULL for readers of a
 * single scalar. */
struct sf_yaml_reader {
    const char      *path;
    yaml_document_t *doc;
    struct sf_diags *diags;
};

/* A node's kind for messages: "a mapping", "a list" or "a scalar". */
const char *sf_yaml_kind(const yaml_node_t *node);
/* Adds an error at the node's place. */
void sf_yaml_error(const struct sf_yaml_reader *r, const yaml_node_t *node, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* An interval of numbers; an infinite end is no bound. */
struct sf_range {
    double lo, hi;
    bool   lo_open, hi_open;
};
static inline struct sf_range sf_range_of(double lo, bool lo_open, double hi, bool hi_open) {
    return (struct sf_range){lo, hi, lo_open, hi_open};
}
/* True when x is finite and inside the range. */
bool sf_range_has(struct sf_range range, double x);
/* The range in words, as the readers say it: "greater than 0", "at least 0", "between 0 and 1",
 * "at least 0 and below 1", "strictly between 0 and 1", "greater than 0 and at most 10". */
void sf_range_text(char *buf, size_t n, struct sf_range range);
/* An integer range in words: "at least LO" (hi == INT64_MAX) or "between LO and HI". */
void sf_int_range_text(char *buf, size_t n, int64_t lo, int64_t hi);

/* Each reader stores the value and returns true, or reports the mistake at the node (`name`
 * is the key as the user wrote it) and returns false, leaving *out alone. The wordings:
 *   '<name>' must be <what>, not <a list | a mapping>         (not a scalar)
 *   '<name>' must be <what>, not '<text>'                     (a scalar of the wrong type)
 *   '<name>' must be a finite number, not '<text>'            (nan, inf)
 *   '<name>' must be <range in words>, not <text>            (out of range)
 *   '<name>' must be one of a, b, c, not '<text>' (did you mean 'b'?)
 *   '<name>' must be a string, not null  /  '<name>' is longer than N characters */
bool sf_yaml_read_int(const struct sf_yaml_reader *r, const char *name, const yaml_node_t *v,
                      int64_t lo, int64_t hi, int64_t *out);
bool sf_yaml_read_double(const struct sf_yaml_reader *r, const char *name, const yaml_node_t *v,
                         struct sf_range range, double *out);
/* true/True/TRUE or false/False/FALSE. */
bool sf_yaml_read_bool(const struct sf_yaml_reader *r, const char *name, const yaml_node_t *v,
                       bool *out);
/* One of the NULL-terminated `names`; *out gets its index. */
bool sf_yaml_read_enum(const struct sf_yaml_reader *r, const char *name, const yaml_node_t *v,
                       const char *const *names, int *out);
/* A non-null scalar of fewer than n bytes, copied into out. */
bool sf_yaml_read_string(const struct sf_yaml_reader *r, const char *name, const yaml_node_t *v,
                         char *out, size_t n);

/* A YAML writer on libyaml's emitter, producing text in a buffer. Every call after a failure
 * does nothing; sf_yaml_out_finish() reports it. Block style unless `flow` is asked for. */
struct sf_yaml_out {
    yaml_emitter_t emitter;
    struct sf_buf  text;
    bool           failed;
    int            flow_depth;
};

void sf_yaml_out_init(struct sf_yaml_out *y);
void sf_yaml_map_begin(struct sf_yaml_out *y, bool flow);
void sf_yaml_map_end(struct sf_yaml_out *y);
void sf_yaml_seq_begin(struct sf_yaml_out *y, bool flow);
void sf_yaml_seq_end(struct sf_yaml_out *y);
/* A string scalar (quoted by the emitter when needed); NULL writes null. */
void sf_yaml_str(struct sf_yaml_out *y, const char *s);
/* A plain scalar written as is (numbers, true/false, null). */
void sf_yaml_plain(struct sf_yaml_out *y, const char *s);
/* A multi-line string in literal block style (|), kept line for line. */
void sf_yaml_literal(struct sf_yaml_out *y, const char *s);
/* A double in shortest round-trip form; NaN and infinities as .nan, .inf, -.inf. */
void sf_yaml_double(struct sf_yaml_out *y, double v);
void sf_yaml_int(struct sf_yaml_out *y, long long v);
void sf_yaml_bool(struct sf_yaml_out *y, bool v);
void sf_yaml_null(struct sf_yaml_out *y);
/* Convenience: key then value in a mapping. */
void sf_yaml_kv_str(struct sf_yaml_out *y, const char *key, const char *value);
void sf_yaml_kv_double(struct sf_yaml_out *y, const char *key, double value);
void sf_yaml_kv_int(struct sf_yaml_out *y, const char *key, long long value);
void sf_yaml_kv_bool(struct sf_yaml_out *y, const char *key, bool value);
/* Ends the stream. On success *text receives the YAML (caller frees) and SF_OK returns. */
enum sf_status sf_yaml_out_finish(struct sf_yaml_out *y, char **text, struct sf_error *err);
/* Frees the writer (after finish or after a failure). */
void sf_yaml_out_free(struct sf_yaml_out *y);

#endif /* SF_COMMON_H */

/*
 * rundir.c — the sweep directory: OUT/sweep.yaml (the file as given), OUT/sweep.resolved.yaml,
 * and one OUT/runs/ID/ per run with its run.yaml; reading a run's state back (status file, last
 * metrics line, and whether a trainer holds its lock, read from /proc/locks so that the check
 * never takes the lock itself).
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "internal.h"

static const char *const sweep_state_names[] = {"pending",  "running", "done",
                                                "diverged", "failed",  "interrupted"};

const char *sweep_state_name(enum sweep_state s) {
    return sweep_state_names[s];
}

bool sweep_state_from_name(const char *name, enum sweep_state *s) {
    for (int k = 0; k < 6; k++)
        if (strcmp(name, sweep_state_names[k]) == 0) {
            *s = (enum sweep_state)k;
            return true;
        }
    return false;
}

char *sweep_run_dir(const char *out_dir, const char *id) {
    return sf_strdup_printf("%s/runs/%s", out_dir, id);
}

enum sf_status sweep_dir_prepare(const struct sweep_spec *s, const struct sweep_run *runs, size_t n,
                                 const char *out_dir, struct sf_error *err) {
    enum sf_status st = sf_mkdir_p(out_dir, err);
    if (st != SF_OK) return st;
    char  *given, *resolved = NULL, *path = NULL;
    size_t len;
    if ((st = sf_read_file(s->path, &given, &len, err)) != SF_OK) return st;
    path = sf_path_join(out_dir, "sweep.yaml");
    if (path == NULL) {
        free(given);
        SF_FAIL(err, SF_ENOMEM, "out of memory");
    }
    st = sf_write_atomic(path, given, len, err);
    free(given);
    free(path);
    if (st != SF_OK) return st;
    if ((st = sweep_spec_emit_resolved(s, &resolved, err)) != SF_OK) return st;
    path = sf_path_join(out_dir, "sweep.resolved.yaml");
    st   = path ? sf_write_atomic(path, resolved, strlen(resolved), err)
                : SF_SET(err, SF_ENOMEM, "out of memory");
    free(path);
    free(resolved);
    if (st != SF_OK) return st;
    for (size_t i = 0; i < n && st == SF_OK; i++) {
        char *dir = sweep_run_dir(out_dir, runs[i].id);
        char *yml = dir ? sf_path_join(dir, "run.yaml") : NULL;
        char *sts = dir ? sf_path_join(dir, "status") : NULL;
        if (!dir || !yml || !sts) {
            st = SF_SET(err, SF_ENOMEM, "out of memory");
        } else if ((st = sf_mkdir_p(dir, err)) == SF_OK) {
            /* The id is the hash of this text: an existing run.yaml already holds it. */
            if (!sf_path_exists(yml)) {
                char *text;
                if ((st = model_config_emit(&runs[i].cfg, &text, err)) == SF_OK) {
                    st = sf_write_atomic(yml, text, strlen(text), err);
                    free(text);
                }
            }
            if (st == SF_OK && !sf_path_exists(sts)) st = sf_write_atomic(sts, "pending\n", 8, err);
        }
        free(dir);
        free(yml);
        free(sts);
    }
    return st;
}

bool sweep_run_locked(const char *run_dir, long *pid) {
    if (pid) *pid = 0;
    char       *lock = sf_path_join(run_dir, "lock");
    struct stat sb;
    bool        have = lock != NULL && stat(lock, &sb) == 0;
    free(lock);
    if (!have) return false;
    FILE *f = fopen("/proc/locks", "r");
    if (f == NULL) return false;
    char line[512];
    bool found = false;
    while (!found && fgets(line, sizeof line, f)) {
        /* "N: FLOCK  ADVISORY  WRITE PID MAJ:MIN:INODE START END" (a "->" marks waiters). */
        char          kind[16], mode[16], access[16];
        long          p;
        unsigned int  maj, min;
        unsigned long ino;
        const char   *q = strchr(line, ':');
        if (q == NULL || strstr(line, "->") != NULL) continue;
        if (sscanf(q + 1, "%15s %15s %15s %ld %x:%x:%lu", kind, mode, access, &p, &maj, &min,
                   &ino) != 7)
            continue;
        if (strcmp(kind, "FLOCK") == 0 && ino == (unsigned long)sb.st_ino &&
            maj == major(sb.st_dev) && min == minor(sb.st_dev)) {
            found = true;
            if (pid) *pid = p;
        }
    }
    fclose(f);
    return found;
}

void sweep_metrics_last(const char *run_dir, int64_t *step, double *eval_loss) {
    sweep_metrics_tail(run_dir, step, eval_loss, NULL);
}

void sweep_metrics_tail(const char *run_dir, int64_t *step, double *eval_loss, double *elapsed) {
    *step      = 0;
    *eval_loss = NAN;
    if (elapsed) *elapsed = NAN;
    char *path = sf_path_join(run_dir, "metrics.csv");
    FILE *f    = path ? fopen(path, "rb") : NULL;
    free(path);
    if (f == NULL) return;
    /* The header names the columns (a run started by an older scalefit has fewer). */
    char hdr[1024];
    long c_ev = -1, c_el = -1;
    if (fgets(hdr, sizeof hdr, f) != NULL) {
        long k = 0;
        for (char *p = hdr; p != NULL; k++) {
            size_t n = strcspn(p, ",\n");
            if (n == 9 && strncmp(p, "eval_loss", n) == 0) c_ev = k;
            if (n == 9 && strncmp(p, "elapsed_s", n) == 0) c_el = k;
            p = p[n] == ',' ? p + n + 1 : NULL;
        }
    }
    /* Only the tail matters: read the last few kilobytes. */
    char   buf[8192];
    long   size = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    long   from = size > (long)sizeof buf - 1 ? size - (long)sizeof buf + 1 : 0;
    size_t got  = 0;
    if (size > 0 && fseek(f, from, SEEK_SET) == 0) got = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[got] = '\0';
    /* The last complete line (ending in a newline) that is not the header. */
    char *end = got > 0 && buf[got - 1] == '\n' ? &buf[got - 1] : strrchr(buf, '\n');
    if (end == NULL) return;
    *end        = '\0';
    char *start = strrchr(buf, '\n');
    start       = start ? start + 1 : buf;
    if (strncmp(start, "step,", 5) == 0) return;
    /* Columns by the header's names (step is the first). */
    char  *field[32];
    size_t nf = 0;
    for (char *p = start; nf < 32;) {
        field[nf++] = p;
        char *c     = strchr(p, ',');
        if (c == NULL) break;
        *c = '\0';
        p  = c + 1;
    }
    int64_t s;
    double  l;
    if (nf >= 1 && sf_parse_int64(field[0], &s)) *step = s;
    if (c_ev >= 0 && (size_t)c_ev < nf && sf_parse_double(field[c_ev], &l)) *eval_loss = l;
    if (elapsed && c_el >= 0 && (size_t)c_el < nf && sf_parse_double(field[c_el], &l)) *elapsed = l;
}

void sweep_summary_numbers(const char *run_dir, const char *const *keys, double *values, size_t n) {
    for (size_t k = 0; k < n; k++)
        values[k] = NAN;
    char           *path = sf_path_join(run_dir, "summary.yaml");
    yaml_document_t doc;
    struct sf_error e;
    if (path && sf_path_exists(path) && sf_yaml_load(path, &doc, &e) == SF_OK) {
        yaml_node_t *root = yaml_document_get_root_node(&doc);
        for (size_t k = 0; k < n; k++) {
            yaml_node_t *v = sf_yaml_map_get(&doc, root, keys[k]);
            const char  *s = sf_yaml_scalar(v);
            double       d;
            if (s != NULL && !sf_yaml_is_null(v) && sf_parse_double(s, &d)) values[k] = d;
        }
        yaml_document_delete(&doc);
    }
    free(path);
}

struct sweep_loop_mark sweep_loop_mark_read(const char *run_dir) {
    static const char *const keys[] = {"start_elapsed_s", "elapsed_s"};
    double                   v[2];
    sweep_summary_numbers(run_dir, keys, v, 2);
    return (struct sweep_loop_mark){v[0], v[1]};
}

double sweep_loop_added(struct sweep_loop_mark before, struct sweep_loop_mark after) {
    if (!isfinite(after.start) || !isfinite(after.now)) return 0;
    /* The same marks: the trainer never wrote its summary (it failed or was killed first). */
    if (after.start == before.start && after.now == before.now) return 0;
    return fmax(0, after.now - after.start);
}

void sweep_run_state_read(const char *out_dir, const char *id, struct sweep_run_state *st) {
    memset(st, 0, sizeof *st);
    st->state            = SWEEP_STATE_PENDING;
    st->last_loss        = NAN;
    char           *dir  = sweep_run_dir(out_dir, id);
    char           *path = dir ? sf_path_join(dir, "status") : NULL;
    char           *text = NULL;
    size_t          len;
    struct sf_error err;
    if (path && sf_read_file(path, &text, &len, &err) == SF_OK) {
        text[strcspn(text, "\n")] = '\0';
        char *colon               = strchr(text, ':');
        if (colon) {
            *colon = '\0';
            snprintf(st->reason, sizeof st->reason, "%s", colon[1] == ' ' ? colon + 2 : colon + 1);
        }
        sweep_state_from_name(text, &st->state);
    }
    free(text);
    if (dir) {
        st->locked = sweep_run_locked(dir, NULL);
        sweep_metrics_last(dir, &st->step, &st->last_loss);
        /* A status of running with nobody holding the lock is a trainer that was killed. */
        if (st->state == SWEEP_STATE_RUNNING && !st->locked) {
            st->state = SWEEP_STATE_INTERRUPTED;
            snprintf(st->reason, sizeof st->reason, "its trainer stopped without a word (killed?)");
        }
    }
    free(path);
    free(dir);
}

/*
 * files.c — atomic whole-file writes (temporary name, fsync, rename, fsync of the folder),
 * whole-file reads, mkdir -p, path joining and sorted folder listings. Every file scalefit
 * persists goes through sf_write_atomic() or an equivalent temp-and-rename sequence.
 */
#include "common.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* fsync of the folder holding `path`, so that a rename in it survives a crash. */
static void sf_fsync_dir_impl(const char *path) {
    char *copy = sf_strdup(path);
    if (copy == NULL) return;
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
    free(copy);
}

enum sf_status sf_atomic_open(struct sf_atomic_file *f, const char *path, struct sf_error *err) {
    f->fd   = -1;
    f->path = sf_strdup(path);
    f->tmp  = sf_strdup_printf("%s.tmp.%ld", path, (long)getpid());
    if (f->path == NULL || f->tmp == NULL) {
        sf_atomic_abort(f);
        SF_FAIL(err, SF_ENOMEM, "out of memory writing %s", path);
    }
    f->fd = open(f->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (f->fd < 0) {
        int e = errno;
        sf_atomic_abort(f);
        SF_SET(err, SF_EIO, "cannot write %s: %s", path, strerror(e));
        if (err != NULL) err->sys_errno = e;
        return SF_EIO;
    }
    return SF_OK;
}

enum sf_status sf_atomic_write(struct sf_atomic_file *f, const void *data, size_t len,
                               struct sf_error *err) {
    const char *p = data;
    while (len > 0) {
        ssize_t w = write(f->fd, p, len);
        if (w < 0) {
            int e = errno;
            if (e == EINTR) continue;
            SF_SET(err, SF_EIO, "cannot write %s: %s", f->path, strerror(e));
            if (err != NULL) err->sys_errno = e;
            return SF_EIO;
        }
        p += w;
        len -= (size_t)w;
    }
    return SF_OK;
}

enum sf_status sf_atomic_commit(struct sf_atomic_file *f, struct sf_error *err) {
    int  fd = f->fd;
    bool ok = fsync(fd) == 0;
    int  e  = errno;
    f->fd   = -1;
    if (close(fd) != 0 && ok) {
        ok = false;
        e  = errno;
    }
    if (ok && rename(f->tmp, f->path) != 0) {
        ok = false;
        e  = errno;
    }
    if (!ok) {
        enum sf_status st = SF_SET(err, SF_EIO, "cannot write %s: %s", f->path, strerror(e));
        if (err != NULL) err->sys_errno = e;
        sf_atomic_abort(f);
        return st;
    }
    sf_fsync_dir_impl(f->path);
    free(f->tmp);
    free(f->path);
    f->tmp = f->path = NULL;
    return SF_OK;
}

void sf_atomic_abort(struct sf_atomic_file *f) {
    if (f->fd >= 0) close(f->fd);
    if (f->tmp != NULL) unlink(f->tmp);
    free(f->tmp);
    free(f->path);
    f->fd  = -1;
    f->tmp = f->path = NULL;
}

enum sf_status sf_write_atomic(const char *path, const void *data, size_t len,
                               struct sf_error *err) {
    struct sf_atomic_file f;
    enum sf_status        st = sf_atomic_open(&f, path, err);
    if (st != SF_OK) return st;
    if ((st = sf_atomic_write(&f, data, len, err)) != SF_OK) {
        sf_atomic_abort(&f);
        return st;
    }
    return sf_atomic_commit(&f, err);
}

enum sf_status sf_write_atomic_at(const char *dir, const char *name, const void *data, size_t len,
                                  struct sf_error *err) {
    char *path = sf_path_join(dir, name);
    if (path == NULL) SF_FAIL(err, SF_ENOMEM, "out of memory");
    enum sf_status st = sf_write_atomic(path, data, len, err);
    free(path);
    return st;
}

enum sf_status sf_write_buf_at(const char *dir, const char *name, const struct sf_buf *b,
                               struct sf_error *err) {
    if (b->failed) SF_FAIL(err, SF_ENOMEM, "out of memory writing %s/%s", dir, name);
    return sf_write_atomic_at(dir, name, b->data ? b->data : "", b->len, err);
}

enum sf_status sf_read_file(const char *path, char **data, size_t *len, struct sf_error *err) {
    *data = NULL;
    *len  = 0;
    if (sf_is_dir(path)) SF_FAIL_AT(err, SF_EINVAL, path, "is a folder, not a file");
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        SF_FAIL_AT(err, errno == ENOENT ? SF_EINVAL : SF_EIO, path, "cannot open: %s",
                   strerror(errno));
    struct sf_buf b;
    sf_buf_init(&b);
    char   chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        sf_buf_append(&b, chunk, n);
    bool bad = ferror(f) != 0;
    fclose(f);
    if (bad) {
        sf_buf_free(&b);
        SF_FAIL_AT(err, SF_EIO, path, "read error");
    }
    size_t l = b.len;
    char  *d = sf_buf_take(&b);
    if (d == NULL) SF_FAIL_AT(err, SF_ENOMEM, path, "out of memory reading the file");
    *data = d;
    *len  = l;
    return SF_OK;
}

/* A folder that cannot be made or written for a reason the user controls (a read-only mount, no
 * permission, a file in the way) is bad input, exit 2; a failing disk is SF_EIO. */
static enum sf_status sf_mkdir_status_impl(int e) {
    return e == EROFS || e == EACCES || e == EPERM || e == ENOTDIR ? SF_EINVAL : SF_EIO;
}

enum sf_status sf_mkdir_p(const char *path, struct sf_error *err) {
    char *copy = sf_strdup(path);
    if (copy == NULL) SF_FAIL(err, SF_ENOMEM, "out of memory");
    for (char *p = copy + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(copy, 0755) != 0 && errno != EEXIST) {
            int            e  = errno;
            enum sf_status st = sf_error_set(err, sf_mkdir_status_impl(e), copy, __FILE__, __LINE__,
                                             "cannot create folder: %s", strerror(e));
            free(copy);
            return st;
        }
        *p = '/';
    }
    if (mkdir(copy, 0755) != 0 && errno != EEXIST) {
        int e = errno;
        free(copy);
        SF_FAIL_AT(err, sf_mkdir_status_impl(e), path, "cannot create folder: %s", strerror(e));
    }
    free(copy);
    if (!sf_is_dir(path)) SF_FAIL_AT(err, SF_EINVAL, path, "exists and is not a folder");
    /* A folder that exists on a read-only mount (root's writes are refused there whatever the
     * mode bits say) or without write permission. */
    if (access(path, W_OK) != 0) {
        int e = errno;
        SF_FAIL_AT(err, sf_mkdir_status_impl(e), path, "cannot write into this folder: %s",
                   strerror(e));
    }
    return SF_OK;
}

bool sf_path_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

bool sf_is_dir(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

char *sf_path_join(const char *a, const char *b) {
    size_t la = strlen(a);
    if (la == 0) return sf_strdup(b);
    if (a[la - 1] == '/') return sf_strdup_printf("%s%s", a, b);
    return sf_strdup_printf("%s/%s", a, b);
}

// ---- folder listings ----

static int sf_names_cmp_impl(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void sf_names_free(char **names) {
    for (size_t i = 0; names && names[i]; i++)
        free(names[i]);
    free(names);
}

enum sf_status sf_dir_list(const char *dir, const char                                      *suffix,
                           bool (*keep)(const char *dir, const char *name, void *ctx), void *ctx,
                           char ***names, size_t *n, struct sf_error *err) {
    *names = NULL;
    *n     = 0;
    DIR *d = opendir(dir);
    if (d == NULL) SF_FAIL(err, SF_EIO, "%s: %s", dir, strerror(errno));
    size_t cap = 8, count = 0, suffix_len = suffix ? strlen(suffix) : 0;
    char **v = calloc(cap + 1, sizeof *v);
    if (v == NULL) goto oom;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        if (suffix != NULL &&
            (len <= suffix_len || strcmp(e->d_name + len - suffix_len, suffix) != 0))
            continue;
        char *name = sf_strdup(e->d_name);
        if (name == NULL) goto oom;
        name[len - suffix_len] = '\0';
        if (keep != NULL && !keep(dir, name, ctx)) {
            free(name);
            continue;
        }
        if (count == cap) {
            char **nv = realloc(v, (2 * cap + 1) * sizeof *nv);
            if (nv == NULL) {
                free(name);
                goto oom;
            }
            v = nv;
            cap *= 2;
        }
        v[count++] = name;
        v[count]   = NULL;
    }
    closedir(d);
    qsort(v, count, sizeof *v, sf_names_cmp_impl);
    *names = v;
    *n     = count;
    return SF_OK;
oom:
    closedir(d);
    sf_names_free(v);
    SF_FAIL(err, SF_ENOMEM, "out of memory listing %s", dir);
}

/*
 * fuzz_file.h — shared by the libFuzzer harnesses: the fuzzer's bytes as a file, in memory (a
 * memfd), that a reader opens by its /proc/self/fd path as it would open any file.
 */
#ifndef SF_TESTS_FUZZ_FILE_H
#define SF_TESTS_FUZZ_FILE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

/* Writes the bytes to a new in-memory file named `name` and its path into path. Returns the
 * descriptor (close it when done), or -1 (nothing to close) when that fails. */
static inline int fuzz_file(const char *name, const uint8_t *data, size_t size, char path[64]) {
    int fd = memfd_create(name, 0);
    if (fd < 0) return -1;
    if (write(fd, data, size) != (ssize_t)size) {
        close(fd);
        return -1;
    }
    snprintf(path, 64, "/proc/self/fd/%d", fd);
    return fd;
}

#endif /* SF_TESTS_FUZZ_FILE_H */

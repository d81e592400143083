/*
 * hash.c — SHA-256 of memory and files (nettle, for provenance in reports and configs) and
 * seed derivation (SplitMix64 mixing) so that random streams depend on (seed, index) only.
 */
#include "common.h"

#include <errno.h>
#include <nettle/sha2.h>
#include <string.h>

void sf_hex_bytes(const uint8_t *bytes, size_t n, char *hex) {
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        hex[2 * i]     = digits[bytes[i] >> 4];
        hex[2 * i + 1] = digits[bytes[i] & 15];
    }
    hex[2 * n] = '\0';
}

void sf_sha256_hex(const void *data, size_t len, char hex[65]) {
    struct sha256_ctx ctx;
    uint8_t           digest[SHA256_DIGEST_SIZE];
    sha256_init(&ctx);
    sha256_update(&ctx, len, data);
    sha256_digest(&ctx, SHA256_DIGEST_SIZE, digest);
    sf_hex_bytes(digest, SHA256_DIGEST_SIZE, hex);
}

enum sf_status sf_sha256_file(const char *path, char hex[65], struct sf_error *err) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) SF_FAIL_AT(err, SF_EIO, path, "cannot open: %s", strerror(errno));
    struct sha256_ctx ctx;
    sha256_init(&ctx);
    uint8_t chunk[65536];
    size_t  n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        sha256_update(&ctx, n, chunk);
    bool bad = ferror(f) != 0;
    fclose(f);
    if (bad) SF_FAIL_AT(err, SF_EIO, path, "read error");
    uint8_t digest[SHA256_DIGEST_SIZE];
    sha256_digest(&ctx, SHA256_DIGEST_SIZE, digest);
    sf_hex_bytes(digest, SHA256_DIGEST_SIZE, hex);
    return SF_OK;
}

/* SplitMix64's finaliser (Steele, Lea and Flood 2014): a bijective mix of 64 bits. */
static uint64_t sf_mix64_impl(uint64_t z) {
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

uint64_t sf_seed_derive(uint64_t base, uint64_t k) {
    const uint64_t golden = UINT64_C(0x9e3779b97f4a7c15);
    return sf_mix64_impl(sf_mix64_impl(base + golden) + (k + 1) * golden);
}

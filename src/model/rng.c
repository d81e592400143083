/*
 * rng.c — the engine's random numbers: xoshiro256** (Blackman & Vigna 2018) seeded through
 * SplitMix64, uniform doubles and integers, normal variates (Box–Muller) and gamma variates
 * (Marsaglia & Tsang 2000), and draws from a cumulative distribution. Every stream is an explicit
 * state derived from a seed with sf_seed_derive(), so results do not depend on the order in which
 * streams are used.
 */
#include "internal.h"

#include <math.h>

static uint64_t model_splitmix_impl(uint64_t *x) {
    uint64_t z = (*x += UINT64_C(0x9e3779b97f4a7c15));
    z          = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z          = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

void model_rng_seed(struct model_rng *r, uint64_t seed) {
    uint64_t x = seed;
    for (int i = 0; i < 4; i++)
        r->s[i] = model_splitmix_impl(&x);
}

static uint64_t model_rotl_impl(uint64_t x, int k) {
    return (x << k) | (x >> (64 - k));
}

uint64_t model_rng_next(struct model_rng *r) {
    uint64_t *s      = r->s;
    uint64_t  result = model_rotl_impl(s[1] * 5, 7) * 9;
    uint64_t  t      = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = model_rotl_impl(s[3], 45);
    return result;
}

double model_rng_uniform(struct model_rng *r) {
    return (double)(model_rng_next(r) >> 11) * 0x1.0p-53;
}

uint64_t model_rng_below(struct model_rng *r, uint64_t n) {
    /* Lemire (2019): multiply-shift with rejection of the biased low range. */
    uint64_t          x = model_rng_next(r);
    unsigned __int128 m = (unsigned __int128)x * n;
    uint64_t          l = (uint64_t)m;
    if (l < n) {
        uint64_t t = (0 - n) % n;
        while (l < t) {
            x = model_rng_next(r);
            m = (unsigned __int128)x * n;
            l = (uint64_t)m;
        }
    }
    return (uint64_t)(m >> 64);
}

double model_rng_normal(struct model_rng *r, bool *have_spare, double *spare) {
    if (*have_spare) {
        *have_spare = false;
        return *spare;
    }
    double u1, u2;
    do
        u1 = model_rng_uniform(r);
    while (u1 <= 0.0);
    u2          = model_rng_uniform(r);
    double rad  = sqrt(-2.0 * log(u1));
    double th   = 2.0 * M_PI * u2;
    *spare      = rad * sin(th);
    *have_spare = true;
    return rad * cos(th);
}

double model_rng_gamma(struct model_rng *r, double shape, bool *have_spare, double *spare) {
    if (shape < 1.0) {
        /* Gamma(a) = Gamma(a+1) · U^(1/a). */
        double u;
        do
            u = model_rng_uniform(r);
        while (u <= 0.0);
        return model_rng_gamma(r, shape + 1.0, have_spare, spare) * pow(u, 1.0 / shape);
    }
    double d = shape - 1.0 / 3.0, c = 1.0 / sqrt(9.0 * d);
    for (;;) {
        double x, v;
        do {
            x = model_rng_normal(r, have_spare, spare);
            v = 1.0 + c * x;
        } while (v <= 0.0);
        v        = v * v * v;
        double u = model_rng_uniform(r);
        if (u < 1.0 - 0.0331 * x * x * x * x) return d * v;
        if (u > 0.0 && log(u) < 0.5 * x * x + d * (1.0 - v + log(v))) return d * v;
    }
}

size_t model_cdf_find(const double *cdf, size_t n, double u) {
    size_t lo = 0, hi = n - 1;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cdf[mid] > u)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

/*
 * The fixed-point container a weight array needs, as the HGQ proxy
 * derives it: k sign bits (0 or 1), i integer bits without the sign and
 * f fractional bits. The matching type is ap_fixed<k+i+f, k+i> for k = 1
 * and ap_ufixed<i+f, i> for k = 0. Both i and f may be negative.
 */
#ifndef QK_RULES_CONTAINER_H
#define QK_RULES_CONTAINER_H

#include <stddef.h>

/* Fractional bits given to an array no f in (-32, 32) represents. */
#define QK_CONTAINER_MAX_FRAC 32

struct qk_container {
	int k;		/* 1 when any value is negative */
	int i;		/* integer bits, sign excluded */
	int f;		/* fractional bits */
	int exact;	/* 0 when f was capped at QK_CONTAINER_MAX_FRAC */
};

/*
 * Derives the container of the n float32 values in v. f is the smallest
 * value in (-32, 32) for which every value times 2^f is an integer. When
 * there is none, or a value is infinite or NaN, f is 32 and exact is 0.
 * i is the smallest count for which every positive x < 2^i and every
 * negative x >= -2^i, non-finite values left out. An all-zero or empty
 * array gets (0, 1, 0), exact.
 */
void qk_container_of(const float *v, size_t n, struct qk_container *out);

/* Returns k + i + f, the total width of the container. */
int qk_container_width(const struct qk_container *c);

#endif

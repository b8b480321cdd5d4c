/*
 * ap_fixed types and exact conversion of values into them.
 *
 * A type is (signed, W total bits, I integer bits, rounding, overflow);
 * the step is 2^(I - W). Values of a type are held as integers counting
 * steps ("raw" values), so all arithmetic on them is exact.
 */
#ifndef QK_VERIFY_FIXED_H
#define QK_VERIFY_FIXED_H

#include <stdint.h>

#include "../lint/error.h"
#include "../lint/quantizer.h"

/* Widest type the firmware can build; HGQ rejects anything wider. */
#define QK_MAX_FIXED_WIDTH 64

enum qk_rounding {
	QK_RND_TRN,		/* floor */
	QK_RND_TRN_ZERO,	/* toward zero */
	QK_RND_RND,		/* nearest, ties toward +inf */
	QK_RND_RND_ZERO,	/* nearest, ties toward zero */
	QK_RND_RND_MIN_INF,	/* nearest, ties toward -inf */
	QK_RND_RND_INF,		/* nearest, ties away from zero */
	QK_RND_RND_CONV		/* nearest, ties to even */
};

enum qk_overflow {
	QK_OVF_WRAP,
	QK_OVF_SAT,
	QK_OVF_SAT_SYM,
	QK_OVF_SAT_ZERO
};

struct qk_fixed_type {
	int is_signed;
	int width;		/* W, total bits including the sign */
	int integer;		/* I, integer bits including the sign */
	enum qk_rounding rounding;
	enum qk_overflow overflow;
};

/* Fractional bits W - I (may be negative or exceed W). */
static inline int qk_fixed_frac(const struct qk_fixed_type *t)
{
	return t->width - t->integer;
}

/*
 * Parses "ap_fixed<14,6,AP_RND_CONV,AP_SAT>", "ap_ufixed<8,3>",
 * "fixed<16,6>", "ufixed<8,3,RND,SAT>" (HGQ's spelling). Missing modes
 * default to TRN and WRAP, as in ap_fixed. Returns -1 with err set.
 */
int qk_fixed_parse(const char *text, struct qk_fixed_type *out,
		   struct qk_err *err);

/* Checks that text parses as a type; for rule options. -1 with err set. */
int qk_fixed_validate(const char *text, struct qk_err *err);

/* Writes the ap_fixed spelling of t into buf (at least 64 bytes). */
char *qk_fixed_format(const struct qk_fixed_type *t, char *buf, size_t size);

/*
 * Converts x (a double) into t and returns the raw value (x / step after
 * rounding and overflow handling). Exact for every double whose value
 * fits in 64-bit steps. Beyond that, x saturates or wraps as t's overflow
 * mode sets.
 */
int64_t qk_fixed_from_double(const struct qk_fixed_type *t, double x);

/*
 * Converts a raw value counted in steps of 2^-from_frac into t, with t's
 * rounding and overflow. Returns the raw value in t's steps.
 */
int64_t qk_fixed_convert(const struct qk_fixed_type *t, int64_t raw,
			 int from_frac);

/*
 * Same as qk_fixed_convert() for a 128-bit raw value, such as a wide
 * accumulator. Exact for every |raw| < 2^126.
 */
int64_t qk_fixed_convert_wide(const struct qk_fixed_type *t, __int128 raw,
			      int from_frac);

/* Returns raw * step as a double (exact while |raw| < 2^53). */
double qk_fixed_to_double(const struct qk_fixed_type *t, int64_t raw);

/* Smallest and largest raw values of t. */
int64_t qk_fixed_min_raw(const struct qk_fixed_type *t);
int64_t qk_fixed_max_raw(const struct qk_fixed_type *t);

/*
 * Returns the fixed-point form of a quantizer as the proxy builds it
 * (aggressive selects WRAP for non-symmetric quantized_bits). Returns -1
 * when the quantizer has no fixed-point form (err gives the reason).
 */
int qk_fixed_from_quantizer(const struct qk_quantizer *q, int aggressive,
			    struct qk_fixed_type *out, struct qk_err *err);

#endif

#include "container.h"

#include <math.h>
#include <stdint.h>

/* Returns e such that 2^e is the lowest set bit of the nonzero x. */
static int lowest_bit(double x)
{
	uint64_t mantissa;
	int exponent, zeros = 0;

	/* frexp's mantissa times 2^53 is an integer for every double. */
	mantissa = (uint64_t)ldexp(fabs(frexp(x, &exponent)), 53);
	while (!(mantissa & 1)) {
		mantissa >>= 1;
		zeros++;
	}
	return exponent - 53 + zeros;
}

/* Returns the integer bits, sign excluded, that represent x. */
static int integer_bits(double x)
{
	int exponent;
	double mantissa = frexp(fabs(x), &exponent);

	/* A negative power of two fits one bit lower: -2^i is representable. */
	if (x < 0 && mantissa == 0.5)
		return exponent - 1;
	return exponent;
}

void qk_container_of(const float *v, size_t n, struct qk_container *out)
{
	int any_value = 0, finite = 1;
	int k = 0, i = INT32_MIN, f = INT32_MIN;
	size_t j;

	for (j = 0; j < n; j++) {
		double x = v[j];

		if (x == 0)
			continue;
		if (!isfinite(x)) {
			finite = 0;
			continue;
		}
		any_value = 1;
		if (x < 0)
			k = 1;
		if (integer_bits(x) > i)
			i = integer_bits(x);
		if (-lowest_bit(x) > f)
			f = -lowest_bit(x);
	}

	out->exact = 1;
	if (!any_value) {
		out->k = 0;
		out->i = 1;
		out->f = 0;
	} else {
		out->k = k;
		out->i = i;
		out->f = f < -(QK_CONTAINER_MAX_FRAC - 1) ?
				 -(QK_CONTAINER_MAX_FRAC - 1) : f;
	}
	if (out->f >= QK_CONTAINER_MAX_FRAC || !finite) {
		out->f = QK_CONTAINER_MAX_FRAC;
		out->exact = 0;
	}
}

int qk_container_width(const struct qk_container *c)
{
	return c->k + c->i + c->f;
}

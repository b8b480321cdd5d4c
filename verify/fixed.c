/*
 * ap_fixed conversion in exact integer arithmetic.
 *
 * Every conversion reduces to one case: a signed integer v counted in
 * steps of 2^-from_frac, moved into the target's steps 2^-frac. Moving to
 * a finer step is a left shift, moving to a coarser one is a right shift
 * whose discarded bits decide the rounding. Both are done on the magnitude
 * in unsigned __int128, so no intermediate value is ever rounded.
 */
#include "fixed.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Bound on |I| accepted by the parser: far beyond any type a 64-bit
 * width makes useful, and small enough that W - I and the shift counts
 * below stay far from INT_MAX.
 */
#define QK_MAX_FIXED_INTEGER 4096

typedef unsigned __int128 qk_u128;
typedef __int128 qk_i128;

struct mode_name {
	const char *name;
	int value;
};

static const struct mode_name rounding_names[] = {
	{"TRN_ZERO", QK_RND_TRN_ZERO},
	{"TRN", QK_RND_TRN},
	{"RND_ZERO", QK_RND_RND_ZERO},
	{"RND_MIN_INF", QK_RND_RND_MIN_INF},
	{"RND_INF", QK_RND_RND_INF},
	{"RND_CONV", QK_RND_RND_CONV},
	{"RND", QK_RND_RND},
};

static const struct mode_name overflow_names[] = {
	{"WRAP", QK_OVF_WRAP},
	{"SAT_SYM", QK_OVF_SAT_SYM},
	{"SAT_ZERO", QK_OVF_SAT_ZERO},
	{"SAT", QK_OVF_SAT},
};

#define N_ROUNDING (sizeof(rounding_names) / sizeof(rounding_names[0]))
#define N_OVERFLOW (sizeof(overflow_names) / sizeof(overflow_names[0]))

static const char *rounding_name(enum qk_rounding r)
{
	for (size_t i = 0; i < N_ROUNDING; i++)
		if (rounding_names[i].value == (int)r)
			return rounding_names[i].name;
	return "?";
}

static const char *overflow_name(enum qk_overflow o)
{
	for (size_t i = 0; i < N_OVERFLOW; i++)
		if (overflow_names[i].value == (int)o)
			return overflow_names[i].name;
	return "?";
}

/* Matches an exact mode word, with or without the "AP_" prefix. */
static int lookup_mode(const struct mode_name *table, size_t n,
		       const char *word, size_t len)
{
	if (len > 3 && strncmp(word, "AP_", 3) == 0) {
		word += 3;
		len -= 3;
	}
	for (size_t i = 0; i < n; i++)
		if (strlen(table[i].name) == len &&
		    strncmp(table[i].name, word, len) == 0)
			return table[i].value;
	return -1;
}

static const char *skip_space(const char *p)
{
	while (isspace((unsigned char)*p))
		p++;
	return p;
}

/* Reads one argument (up to ',' or '>'), trimmed; returns its end. */
static const char *read_arg(const char *p, const char **start, size_t *len)
{
	const char *end;

	p = skip_space(p);
	*start = p;
	while (*p && *p != ',' && *p != '>')
		p++;
	end = p;
	while (end > *start && isspace((unsigned char)end[-1]))
		end--;
	*len = (size_t)(end - *start);
	return p;
}

static int parse_int_arg(const char *start, size_t len, long *out)
{
	char buf[32];
	char *end;

	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, start, len);
	buf[len] = '\0';
	errno = 0;
	*out = strtol(buf, &end, 10);
	if (errno || *end != '\0')
		return -1;
	return 0;
}

static int parse_prefix(const char *text, const char **rest, int *is_signed)
{
	static const struct {
		const char *prefix;
		int is_signed;
	} prefixes[] = {
		{"ap_fixed", 1}, {"ap_ufixed", 0}, {"fixed", 1}, {"ufixed", 0},
	};

	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		size_t n = strlen(prefixes[i].prefix);

		if (strncmp(text, prefixes[i].prefix, n) == 0) {
			const char *p = skip_space(text + n);

			if (*p == '<') {
				*rest = p + 1;
				*is_signed = prefixes[i].is_signed;
				return 0;
			}
		}
	}
	return -1;
}

static int check_type(const struct qk_fixed_type *t, const char *text,
		      struct qk_err *err)
{
	int max_width = t->is_signed ? QK_MAX_FIXED_WIDTH
				     : QK_MAX_FIXED_WIDTH - 1;

	if (t->width < 1 || t->width > max_width)
		return qk_fail(err,
			       "invalid fixed-point type '%s': width %d is "
			       "outside 1..%d%s",
			       text, t->width, max_width,
			       t->is_signed ? ""
					    : " (raw values are 64-bit signed)");
	if (t->integer < -QK_MAX_FIXED_INTEGER ||
	    t->integer > QK_MAX_FIXED_INTEGER)
		return qk_fail(err,
			       "invalid fixed-point type '%s': integer bits %d "
			       "are outside -%d..%d",
			       text, t->integer, QK_MAX_FIXED_INTEGER,
			       QK_MAX_FIXED_INTEGER);
	return 0;
}

int qk_fixed_parse(const char *text, struct qk_fixed_type *out,
		   struct qk_err *err)
{
	struct qk_fixed_type t = {1, 0, 0, QK_RND_TRN, QK_OVF_WRAP};
	const char *p;
	const char *arg;
	size_t len;
	long number;
	int n_args = 0;

	if (!text)
		return qk_fail(err, "missing fixed-point type");
	p = skip_space(text);
	if (parse_prefix(p, &p, &t.is_signed) < 0)
		return qk_fail(err,
			       "invalid fixed-point type '%s': expected "
			       "ap_fixed<W,I>, ap_ufixed<W,I>, fixed<W,I> or "
			       "ufixed<W,I>",
			       text);
	for (;;) {
		p = read_arg(p, &arg, &len);
		if (*p == '\0')
			return qk_fail(err,
				       "invalid fixed-point type '%s': missing "
				       "'>'",
				       text);
		switch (n_args) {
		case 0:
		case 1:
			if (parse_int_arg(arg, len, &number) < 0 ||
			    number < INT_MIN || number > INT_MAX)
				return qk_fail(err,
					       "invalid fixed-point type '%s': "
					       "'%.*s' is not an integer",
					       text, (int)len, arg);
			if (n_args == 0)
				t.width = (int)number;
			else
				t.integer = (int)number;
			break;
		case 2:
			number = lookup_mode(rounding_names, N_ROUNDING, arg,
					     len);
			if (number < 0)
				return qk_fail(err,
					       "invalid fixed-point type '%s': "
					       "unknown rounding mode '%.*s'",
					       text, (int)len, arg);
			t.rounding = (enum qk_rounding)number;
			break;
		case 3:
			number = lookup_mode(overflow_names, N_OVERFLOW, arg,
					     len);
			if (number < 0)
				return qk_fail(err,
					       "invalid fixed-point type '%s': "
					       "unknown overflow mode '%.*s'",
					       text, (int)len, arg);
			t.overflow = (enum qk_overflow)number;
			break;
		case 4:
			/* ap_fixed's saturation-bit count; only 0 is exact. */
			if (parse_int_arg(arg, len, &number) < 0 || number)
				return qk_fail(err,
					       "invalid fixed-point type '%s': "
					       "saturation bits '%.*s' are not "
					       "supported (only 0)",
					       text, (int)len, arg);
			break;
		default:
			return qk_fail(err,
				       "invalid fixed-point type '%s': too many "
				       "arguments",
				       text);
		}
		n_args++;
		if (*p == '>')
			break;
		p++;
	}
	if (n_args < 2)
		return qk_fail(err,
			       "invalid fixed-point type '%s': expected width "
			       "and integer bits",
			       text);
	if (*skip_space(p + 1) != '\0')
		return qk_fail(err,
			       "invalid fixed-point type '%s': unexpected text "
			       "after '>'",
			       text);
	if (check_type(&t, text, err) < 0)
		return -1;
	*out = t;
	return 0;
}

char *qk_fixed_format(const struct qk_fixed_type *t, char *buf, size_t size)
{
	const char *base = t->is_signed ? "ap_fixed" : "ap_ufixed";

	if (t->overflow != QK_OVF_WRAP)
		snprintf(buf, size, "%s<%d,%d,AP_%s,AP_%s>", base, t->width,
			 t->integer, rounding_name(t->rounding),
			 overflow_name(t->overflow));
	else if (t->rounding != QK_RND_TRN)
		snprintf(buf, size, "%s<%d,%d,AP_%s>", base, t->width,
			 t->integer, rounding_name(t->rounding));
	else
		snprintf(buf, size, "%s<%d,%d>", base, t->width, t->integer);
	return buf;
}

/*
 * NOTE: an unsigned 64-bit type cannot be represented with int64_t raw
 * values. The parser rejects it; a struct built by hand with it gets the
 * range of a 63-bit unsigned type.
 */
int64_t qk_fixed_max_raw(const struct qk_fixed_type *t)
{
	int bits = t->is_signed ? t->width - 1 : t->width;

	/* A derived type can have no bits left (i + f < 0), and then its only value is 0. */
	if (bits <= 0)
		return 0;
	if (bits >= 63)
		return INT64_MAX;
	return ((int64_t)1 << bits) - 1;
}

int64_t qk_fixed_min_raw(const struct qk_fixed_type *t)
{
	if (!t->is_signed || t->width <= 0)
		return 0;
	if (t->width >= 64)
		return INT64_MIN;
	return -((int64_t)1 << (t->width - 1));
}

/*
 * Rounds sign * mag * 2^-shift to an integer magnitude (shift > 0). The
 * result's sign is that of the input, except that a magnitude of 0 stays
 * 0 whatever the sign.
 */
static qk_u128 round_magnitude(qk_u128 mag, int negative, int shift,
			       enum qk_rounding mode)
{
	qk_u128 q;
	int above_half, at_half, inexact;

	if (shift > 100) {
		/* mag < 2^64, so the value is below 2^-36 of one step. */
		q = 0;
		inexact = mag != 0;
		above_half = 0;
		at_half = 0;
	} else {
		qk_u128 rem = mag & ((((qk_u128)1) << shift) - 1);
		qk_u128 half = ((qk_u128)1) << (shift - 1);

		q = mag >> shift;
		inexact = rem != 0;
		above_half = rem > half;
		at_half = rem == half;
	}
	if (!inexact)
		return q;
	switch (mode) {
	case QK_RND_TRN:
		return negative ? q + 1 : q;
	case QK_RND_TRN_ZERO:
		return q;
	default:
		break;
	}
	if (above_half)
		return q + 1;
	if (!at_half)
		return q;
	switch (mode) {
	case QK_RND_RND:
		return negative ? q : q + 1;
	case QK_RND_RND_ZERO:
		return q;
	case QK_RND_RND_MIN_INF:
		return negative ? q + 1 : q;
	case QK_RND_RND_INF:
		return q + 1;
	case QK_RND_RND_CONV:
		return (q & 1) ? q + 1 : q;
	default:
		return q;
	}
}

/* Keeps the low W bits of r, read as t's two's complement raw value. */
static int64_t wrap_raw(const struct qk_fixed_type *t, qk_i128 r)
{
	qk_u128 bits = (qk_u128)r;
	qk_u128 mask = t->width >= 64 ? (qk_u128)UINT64_MAX
				      : ((((qk_u128)1) << t->width) - 1);
	int64_t low;

	bits &= mask;
	if (t->is_signed && (bits >> (t->width - 1)) & 1)
		return (int64_t)((qk_i128)bits - ((qk_i128)mask + 1));
	low = (int64_t)bits;
	if (!t->is_signed && t->width >= 64)
		low &= INT64_MAX;
	return low;
}

/*
 * Applies t's overflow mode to an exact rounded value r. beyond marks a
 * value known to lie outside every 64-bit range, so r contains only
 * its low 64 bits and negative gives its sign.
 */
static int64_t handle_overflow(const struct qk_fixed_type *t, qk_i128 r,
			       int beyond, int negative)
{
	int64_t lo = qk_fixed_min_raw(t);
	int64_t hi = qk_fixed_max_raw(t);

	if (t->overflow == QK_OVF_SAT_SYM && t->is_signed)
		lo = -hi;
	if (!beyond && r >= lo && r <= hi)
		return (int64_t)r;
	switch (t->overflow) {
	case QK_OVF_WRAP:
		return wrap_raw(t, r);
	case QK_OVF_SAT_ZERO:
		return 0;
	case QK_OVF_SAT:
	case QK_OVF_SAT_SYM:
	default:
		return negative ? lo : hi;
	}
}

/* Converts v * 2^-from_frac into t; |v| < 2^126. */
static int64_t convert_exact(const struct qk_fixed_type *t, qk_i128 v,
			     int from_frac)
{
	long shift = (long)qk_fixed_frac(t) - from_frac;
	int negative = v < 0;
	qk_u128 mag = negative ? (qk_u128)(-v) : (qk_u128)v;
	qk_u128 q;
	qk_i128 r;

	if (v == 0)
		return 0;
	if (shift >= 0) {
		/*
		 * Past 2^126 steps the value is outside every 64-bit range,
		 * and WRAP needs only the low 64 bits, which a shift modulo
		 * 2^128 keeps (all zero from a shift of 64 on).
		 */
		int beyond = shift > 63 || (mag >> (126 - shift)) != 0;

		mag = shift > 63 ? 0 : mag << shift;
		r = negative ? (qk_i128)(0 - mag) : (qk_i128)mag;
		return handle_overflow(t, r, beyond, negative);
	}
	q = round_magnitude(mag, negative, shift < -1000 ? 1000 : (int)-shift,
			    t->rounding);
	r = negative ? -(qk_i128)q : (qk_i128)q;
	return handle_overflow(t, r, 0, negative);
}

int64_t qk_fixed_convert(const struct qk_fixed_type *t, int64_t raw,
			 int from_frac)
{
	return convert_exact(t, raw, from_frac);
}

int64_t qk_fixed_convert_wide(const struct qk_fixed_type *t, __int128 raw,
			      int from_frac)
{
	return convert_exact(t, raw, from_frac);
}

/*
 * NaN converts to 0. An infinity is an overflow beyond every range: it
 * saturates under SAT and SAT_SYM and becomes 0 under WRAP and SAT_ZERO.
 */
int64_t qk_fixed_from_double(const struct qk_fixed_type *t, double x)
{
	int exponent;
	double fraction;
	int64_t mantissa;

	if (isnan(x))
		return 0;
	if (isinf(x))
		return handle_overflow(t, 0, 1, x < 0);
	if (x == 0)
		return 0;
	/* x = mantissa * 2^(exponent - 53) with |mantissa| < 2^53, exact. */
	fraction = frexp(x, &exponent);
	mantissa = (int64_t)ldexp(fraction, 53);
	return convert_exact(t, mantissa, 53 - exponent);
}

double qk_fixed_to_double(const struct qk_fixed_type *t, int64_t raw)
{
	return ldexp((double)raw, -qk_fixed_frac(t));
}

static int whole_number(double x, double lo, double hi)
{
	return x == floor(x) && x >= lo && x <= hi;
}

static int check_alpha(const struct qk_quantizer *q, struct qk_err *err)
{
	if (q->alpha_kind == QK_ALPHA_UNSET)
		return 0;
	if (q->alpha_kind == QK_ALPHA_NUMBER && q->alpha == 1)
		return 0;
	if (q->alpha_kind == QK_ALPHA_NUMBER)
		return qk_fail(err,
			       "%s has no fixed-point form: alpha %g is not 1",
			       q->text, q->alpha);
	return qk_fail(err,
		       "%s has no fixed-point form: alpha is data-dependent",
		       q->text);
}

static int bits_from_quantizer(const struct qk_quantizer *q,
			       struct qk_fixed_type *t, struct qk_err *err)
{
	if (!whole_number(q->bits, 1, QK_MAX_FIXED_WIDTH))
		return qk_fail(err,
			       "%s has no fixed-point form: bits %g is not a "
			       "whole number in 1..%d",
			       q->text, q->bits, QK_MAX_FIXED_WIDTH);
	if (!whole_number(q->integer, -QK_MAX_FIXED_INTEGER / 2,
			  QK_MAX_FIXED_INTEGER / 2))
		return qk_fail(err,
			       "%s has no fixed-point form: integer %g is not a "
			       "whole number in -%d..%d",
			       q->text, q->integer, QK_MAX_FIXED_INTEGER / 2,
			       QK_MAX_FIXED_INTEGER / 2);
	if (q->use_stochastic_rounding)
		return qk_fail(err,
			       "%s has no fixed-point form: stochastic "
			       "rounding",
			       q->text);
	t->width = (int)q->bits;
	t->rounding = QK_RND_RND_CONV;
	return check_alpha(q, err);
}

int qk_fixed_from_quantizer(const struct qk_quantizer *q, int aggressive,
			    struct qk_fixed_type *out, struct qk_err *err)
{
	struct qk_fixed_type t = {1, 0, 0, QK_RND_RND_CONV, QK_OVF_SAT};

	switch (q->kind) {
	case QK_Q_QUANTIZED_BITS:
		if (q->symmetric != 0 && q->symmetric != 1)
			return qk_fail(err,
				       "%s has no fixed-point form: symmetric "
				       "%g is neither 0 nor 1",
				       q->text, q->symmetric);
		if (bits_from_quantizer(q, &t, err) < 0)
			return -1;
		/*
		 * HGQ builds FixedPointQuantizer(keep_negative, bits,
		 * integer + keep_negative): the sign bit counts in both.
		 */
		t.is_signed = q->keep_negative != 0;
		t.integer = (int)q->integer + (q->keep_negative ? 1 : 0);
		if (q->symmetric == 1)
			t.overflow = QK_OVF_SAT_SYM;
		else
			t.overflow = aggressive ? QK_OVF_WRAP : QK_OVF_SAT;
		break;
	case QK_Q_QUANTIZED_RELU:
		if (bits_from_quantizer(q, &t, err) < 0)
			return -1;
		t.is_signed = 0;
		t.integer = (int)q->integer;
		t.overflow = QK_OVF_SAT;
		break;
	default:
		return qk_fail(err,
			       "%s has no fixed-point form in the proxy "
			       "conversion",
			       q->text ? q->text : q->class_name);
	}
	if (check_type(&t, q->text ? q->text : "quantizer", err) < 0)
		return -1;
	*out = t;
	return 0;
}

int qk_fixed_validate(const char *text, struct qk_err *err)
{
	struct qk_fixed_type type;

	return qk_fixed_parse(text, &type, err);
}

#include <criterion/criterion.h>

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "verify/fixed.h"

static struct qk_fixed_type parse_ok(const char *text)
{
	struct qk_err err = QK_ERR_INIT;
	struct qk_fixed_type t;

	cr_assert_eq(qk_fixed_parse(text, &t, &err), 0, "parse '%s': %s", text,
		     err.msg);
	return t;
}

struct conversion_case {
	double value;
	const char *type;
	int64_t raw;
};

/* Expected raw values worked out by hand from the ap_fixed rules. */
static const struct conversion_case conversions[] = {
	/* 1.53125 is 24.5 steps of 1/16: the tie goes to even 24 (1.5). */
	{1.53125, "fixed<6,2,RND_CONV,SAT>", 24},
	/* Ties: +-2.5 steps of 1/16. */
	{0.15625, "fixed<8,4,TRN>", 2},
	{-0.15625, "fixed<8,4,TRN>", -3},
	{0.15625, "fixed<8,4,TRN_ZERO>", 2},
	{-0.15625, "fixed<8,4,TRN_ZERO>", -2},
	{0.15625, "fixed<8,4,RND>", 3},
	{-0.15625, "fixed<8,4,RND>", -2},
	{0.15625, "fixed<8,4,RND_ZERO>", 2},
	{-0.15625, "fixed<8,4,RND_ZERO>", -2},
	{0.15625, "fixed<8,4,RND_MIN_INF>", 2},
	{-0.15625, "fixed<8,4,RND_MIN_INF>", -3},
	{0.15625, "fixed<8,4,RND_INF>", 3},
	{-0.15625, "fixed<8,4,RND_INF>", -3},
	{0.15625, "fixed<8,4,RND_CONV>", 2},
	{-0.15625, "fixed<8,4,RND_CONV>", -2},
	/* Ties at +-3.5 steps: even is 4. */
	{0.21875, "fixed<8,4,RND_CONV>", 4},
	{-0.21875, "fixed<8,4,RND_CONV>", -4},
	/* Not ties: +-2.75 and +-2.25 steps. */
	{0.171875, "fixed<8,4,TRN>", 2},
	{-0.171875, "fixed<8,4,TRN>", -3},
	{-0.171875, "fixed<8,4,TRN_ZERO>", -2},
	{0.171875, "fixed<8,4,RND_ZERO>", 3},
	{-0.171875, "fixed<8,4,RND_ZERO>", -3},
	{0.140625, "fixed<8,4,RND_INF>", 2},
	{-0.140625, "fixed<8,4,RND_INF>", -2},
	{-0.140625, "fixed<8,4,TRN>", -3},
	/* Overflow in fixed<4,2>: raw range -8..7, step 1/4. */
	{2.0, "fixed<4,2,TRN,WRAP>", -8},
	{2.0, "fixed<4,2,TRN,SAT>", 7},
	{2.0, "fixed<4,2,TRN,SAT_SYM>", 7},
	{2.0, "fixed<4,2,TRN,SAT_ZERO>", 0},
	{-2.0, "fixed<4,2,TRN,WRAP>", -8},
	{-2.0, "fixed<4,2,TRN,SAT>", -8},
	{-2.0, "fixed<4,2,TRN,SAT_SYM>", -7},
	{-2.0, "fixed<4,2,TRN,SAT_ZERO>", -8},
	{-2.25, "fixed<4,2,TRN,WRAP>", 7},
	{-2.25, "fixed<4,2,TRN,SAT>", -8},
	{-2.25, "fixed<4,2,TRN,SAT_SYM>", -7},
	{-2.25, "fixed<4,2,TRN,SAT_ZERO>", 0},
	{5.0, "fixed<4,2,TRN,WRAP>", 4},
	/* Rounding happens first: 7.5 steps round to 8, which overflows. */
	{1.875, "fixed<4,2,RND,SAT>", 7},
	{1.875, "fixed<4,2,RND,WRAP>", -8},
	{1.875, "fixed<4,2,TRN,WRAP>", 7},
	/* Unsigned: raw range 0..15. */
	{-0.25, "ufixed<4,2,TRN,WRAP>", 15},
	{-0.25, "ufixed<4,2,TRN,SAT>", 0},
	{-0.1, "ufixed<4,2,RND_CONV,SAT>", 0},
	{4.0, "ufixed<4,2,TRN,WRAP>", 0},
	{4.0, "ufixed<4,2,TRN,SAT>", 15},
	{3.75, "ufixed<4,2,TRN,SAT>", 15},
	/* Integer bits below zero and above the width. */
	{0.05, "fixed<4,-2>", 3},
	{100.0, "fixed<4,8,TRN>", 6},
	{104.0, "fixed<4,8,RND_CONV>", 6},
	/* 7.5 steps round to 8, which wraps to -8 (WRAP is the default). */
	{120.0, "fixed<4,8,RND_CONV>", -8},
	{200.0, "fixed<4,8,TRN,SAT>", 7},
	/* One signed bit represents only -1 and 0 steps. */
	{-1.0, "fixed<1,1,RND_CONV,SAT>", -1},
	{1.0, "fixed<1,1,RND_CONV,SAT>", 0},
	{-0.4, "fixed<1,1,RND_CONV,SAT>", 0},
	/* Values far outside the 64-bit step range. */
	{1e300, "fixed<16,6,TRN,SAT>", 32767},
	{-1e300, "fixed<16,6,TRN,SAT>", -32768},
	{1e300, "fixed<16,6,TRN,WRAP>", 0},
	{1e-300, "fixed<16,6,TRN>", 0},
	{-1e-300, "fixed<16,6,TRN>", -1},
	{-1e-300, "fixed<16,6,TRN_ZERO>", 0},
	{-1e-300, "fixed<16,6,RND>", 0},
	{4.9e-324, "fixed<16,6,RND_INF>", 0},
	/* The 64-bit edges. */
	{-9223372036854775808.0, "fixed<64,64,TRN,SAT>", INT64_MIN},
	{9223372036854775808.0, "fixed<64,64,TRN,SAT>", INT64_MAX},
	{9223372036854775808.0, "fixed<64,64,TRN,WRAP>", INT64_MIN},
	{18446744073709551616.0, "fixed<64,64,TRN,WRAP>", 0},
	{-0.0, "fixed<8,3,TRN>", 0},
};

Test(fixed, conversion_table)
{
	size_t n = sizeof(conversions) / sizeof(conversions[0]);

	for (size_t i = 0; i < n; i++) {
		struct qk_fixed_type t = parse_ok(conversions[i].type);
		int64_t raw = qk_fixed_from_double(&t, conversions[i].value);

		cr_expect_eq(raw, conversions[i].raw,
			     "%.17g into %s: got %lld, expected %lld",
			     conversions[i].value, conversions[i].type,
			     (long long)raw, (long long)conversions[i].raw);
	}
}

Test(fixed, example_to_double)
{
	struct qk_fixed_type t = parse_ok("ap_fixed<6,2,AP_RND_CONV,AP_SAT>");
	int64_t raw = qk_fixed_from_double(&t, 1.53125);

	cr_assert_eq(qk_fixed_to_double(&t, raw), 1.5);
	cr_assert_eq(qk_fixed_to_double(&t, -32), -2.0);
}

Test(fixed, nan_and_infinity)
{
	struct qk_fixed_type sat = parse_ok("fixed<8,3,RND,SAT>");
	struct qk_fixed_type wrap = parse_ok("fixed<8,3,RND,WRAP>");

	cr_expect_eq(qk_fixed_from_double(&sat, NAN), 0);
	cr_expect_eq(qk_fixed_from_double(&sat, INFINITY), 127);
	cr_expect_eq(qk_fixed_from_double(&sat, -INFINITY), -128);
	cr_expect_eq(qk_fixed_from_double(&wrap, INFINITY), 0);
}

Test(fixed, convert_raw)
{
	struct qk_fixed_type t;

	t = parse_ok("fixed<8,8,RND_CONV>");
	cr_expect_eq(qk_fixed_convert(&t, -3, 1), -2);	/* -1.5 */
	cr_expect_eq(qk_fixed_convert(&t, -5, 1), -2);	/* -2.5 */
	cr_expect_eq(qk_fixed_convert(&t, 5, 1), 2);	/* 2.5 */
	t = parse_ok("fixed<8,8,RND>");
	cr_expect_eq(qk_fixed_convert(&t, -3, 1), -1);
	cr_expect_eq(qk_fixed_convert(&t, 3, 1), 2);
	/* (2^63 - 1) / 2 is a tie just below 2^62. */
	t = parse_ok("fixed<64,64,TRN>");
	cr_expect_eq(qk_fixed_convert(&t, INT64_MAX, 1),
		     ((int64_t)1 << 62) - 1);
	t = parse_ok("fixed<64,64,RND>");
	cr_expect_eq(qk_fixed_convert(&t, INT64_MAX, 1), (int64_t)1 << 62);
	/* Finer target: 2^63 - 1 times 2 overflows a 64-bit type. */
	t = parse_ok("fixed<64,63,TRN,SAT>");
	cr_expect_eq(qk_fixed_convert(&t, INT64_MAX, 0), INT64_MAX);
	cr_expect_eq(qk_fixed_convert(&t, INT64_MIN, 0), INT64_MIN);
	t = parse_ok("fixed<64,63,TRN,WRAP>");
	cr_expect_eq(qk_fixed_convert(&t, INT64_MAX, 0), -2);
	/* -2^63 is exactly the minimum even when reached by a 63-bit shift. */
	t = parse_ok("fixed<64,64,TRN,SAT>");
	cr_expect_eq(qk_fixed_convert(&t, -1, -63), INT64_MIN);
	cr_expect_eq(qk_fixed_convert(&t, 1, -64), INT64_MAX);
	t = parse_ok("fixed<64,64,TRN,WRAP>");
	cr_expect_eq(qk_fixed_convert(&t, 1, -64), 0);
	cr_expect_eq(qk_fixed_convert(&t, 3, -63), INT64_MIN);
	/* A step far coarser than the source. */
	t = parse_ok("fixed<8,8,TRN>");
	cr_expect_eq(qk_fixed_convert(&t, -1, 900), -1);
	cr_expect_eq(qk_fixed_convert(&t, 1, 900), 0);
}

Test(fixed, convert_wide_raw)
{
	struct qk_fixed_type t;
	__int128 one = 1;

	t = parse_ok("fixed<8,3,TRN,SAT>");
	cr_expect_eq(qk_fixed_convert_wide(&t, one << 100, 100), 32);
	cr_expect_eq(qk_fixed_convert_wide(&t, -(one << 100), 100), -32);
	cr_expect_eq(qk_fixed_convert_wide(&t, one << 120, 0), 127);
	t = parse_ok("fixed<64,64,TRN,WRAP>");
	cr_expect_eq(qk_fixed_convert_wide(&t, (one << 64) + 5, 0), 5);
	cr_expect_eq(qk_fixed_convert_wide(&t, -((one << 64) + 5), 0), -5);
	/* Shifted past 2^128 steps: only the low 64 bits survive. */
	cr_expect_eq(qk_fixed_convert_wide(&t, (one << 120) + 1, -10), 1024);
	cr_expect_eq(qk_fixed_convert_wide(&t, one << 120, -10), 0);
	t = parse_ok("fixed<8,8,TRN,WRAP>");
	cr_expect_eq(qk_fixed_convert_wide(&t, (one << 125) + 3, 0), 3);
	t = parse_ok("fixed<64,63,TRN,WRAP>");
	cr_expect_eq(qk_fixed_convert_wide(&t, (one << 62) + 1, 0),
		     INT64_MIN + 2);
	t = parse_ok("fixed<64,63,TRN,SAT>");
	cr_expect_eq(qk_fixed_convert_wide(&t, -(one << 120), -5), INT64_MIN);
}

Test(fixed, raw_range)
{
	struct qk_fixed_type t;

	t = parse_ok("ap_fixed<8,3>");
	cr_expect_eq(qk_fixed_min_raw(&t), -128);
	cr_expect_eq(qk_fixed_max_raw(&t), 127);
	t = parse_ok("ap_ufixed<8,3>");
	cr_expect_eq(qk_fixed_min_raw(&t), 0);
	cr_expect_eq(qk_fixed_max_raw(&t), 255);
	t = parse_ok("ap_fixed<64,10>");
	cr_expect_eq(qk_fixed_min_raw(&t), INT64_MIN);
	cr_expect_eq(qk_fixed_max_raw(&t), INT64_MAX);
	t = parse_ok("ap_fixed<1,1>");
	cr_expect_eq(qk_fixed_min_raw(&t), -1);
	cr_expect_eq(qk_fixed_max_raw(&t), 0);
}

/*
 * Reference conversion in double arithmetic, valid while x * 2^frac and
 * the type's range stay well inside 2^53: scaling by a power of two and
 * floor() are exact there, so the tie test is exact too.
 */
static int64_t reference_convert(const struct qk_fixed_type *t, double x)
{
	double scaled = ldexp(x, qk_fixed_frac(t));
	double low = floor(scaled);
	double part = scaled - low;
	double r = low;
	int64_t lo = t->is_signed ? -((int64_t)1 << (t->width - 1)) : 0;
	int64_t hi = t->is_signed ? ((int64_t)1 << (t->width - 1)) - 1
				  : ((int64_t)1 << t->width) - 1;
	int64_t v, modulus;

	if (part != 0) {
		switch (t->rounding) {
		case QK_RND_TRN:
			break;
		case QK_RND_TRN_ZERO:
			r = x < 0 ? low + 1 : low;
			break;
		case QK_RND_RND:
			r = part >= 0.5 ? low + 1 : low;
			break;
		case QK_RND_RND_ZERO:
			r = part > 0.5 || (part == 0.5 && x < 0) ? low + 1
								  : low;
			break;
		case QK_RND_RND_MIN_INF:
			r = part > 0.5 ? low + 1 : low;
			break;
		case QK_RND_RND_INF:
			r = part > 0.5 || (part == 0.5 && x > 0) ? low + 1
								  : low;
			break;
		case QK_RND_RND_CONV:
			if (part > 0.5 ||
			    (part == 0.5 && fmod(fabs(low), 2.0) == 1.0))
				r = low + 1;
			break;
		}
	}
	v = (int64_t)r;
	if (t->overflow == QK_OVF_SAT_SYM && t->is_signed)
		lo = -hi;
	if (v >= lo && v <= hi)
		return v;
	switch (t->overflow) {
	case QK_OVF_SAT:
	case QK_OVF_SAT_SYM:
		return v < lo ? lo : hi;
	case QK_OVF_SAT_ZERO:
		return 0;
	case QK_OVF_WRAP:
		modulus = (int64_t)1 << t->width;
		v %= modulus;
		if (v < 0)
			v += modulus;
		if (t->is_signed && v > hi)
			v -= modulus;
		return v;
	}
	return 0;
}

static uint64_t test_splitmix(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

Test(fixed, random_against_reference)
{
	uint64_t state = 12345;
	int checked = 0;

	for (int i = 0; i < 200000; i++) {
		uint64_t r = test_splitmix(&state);
		struct qk_fixed_type t = {
			.is_signed = (int)(r & 1),
			.width = 1 + (int)((r >> 1) % 16),
			.integer = (int)((r >> 5) % 13) - 4,
			.rounding = (enum qk_rounding)((r >> 9) % 7),
			.overflow = (enum qk_overflow)((r >> 12) % 4),
		};
		/* Values on a grid 4 times finer than the step hit ties. */
		int64_t k = (int64_t)((r >> 16) % 4001) - 2000;
		double x = ldexp((double)k, -qk_fixed_frac(&t) - 2);
		int64_t got = qk_fixed_from_double(&t, x);
		int64_t want = reference_convert(&t, x);

		cr_assert_eq(got, want,
			     "%.17g into s=%d W=%d I=%d rnd=%d ovf=%d: got "
			     "%lld, expected %lld",
			     x, t.is_signed, t.width, t.integer, t.rounding,
			     t.overflow, (long long)got, (long long)want);
		checked++;
	}
	cr_assert_eq(checked, 200000);
}

Test(fixed, parse_spellings)
{
	struct qk_fixed_type t;

	t = parse_ok("ap_fixed<14,6,AP_RND_CONV,AP_SAT>");
	cr_expect_eq(t.is_signed, 1);
	cr_expect_eq(t.width, 14);
	cr_expect_eq(t.integer, 6);
	cr_expect_eq(t.rounding, QK_RND_RND_CONV);
	cr_expect_eq(t.overflow, QK_OVF_SAT);

	t = parse_ok("ap_ufixed<8,3>");
	cr_expect_eq(t.is_signed, 0);
	cr_expect_eq(t.rounding, QK_RND_TRN);
	cr_expect_eq(t.overflow, QK_OVF_WRAP);

	t = parse_ok("fixed<16,6>");
	cr_expect_eq(t.is_signed, 1);
	cr_expect_eq(t.width, 16);
	cr_expect_eq(t.integer, 6);

	t = parse_ok("ufixed<8,3,RND,SAT>");
	cr_expect_eq(t.is_signed, 0);
	cr_expect_eq(t.rounding, QK_RND_RND);
	cr_expect_eq(t.overflow, QK_OVF_SAT);

	t = parse_ok("  ap_fixed < 8 , -2 , RND_ZERO , SAT_ZERO >  ");
	cr_expect_eq(t.integer, -2);
	cr_expect_eq(t.rounding, QK_RND_RND_ZERO);
	cr_expect_eq(t.overflow, QK_OVF_SAT_ZERO);

	t = parse_ok("ap_fixed<8,3,AP_RND_MIN_INF,AP_SAT_SYM,0>");
	cr_expect_eq(t.rounding, QK_RND_RND_MIN_INF);
	cr_expect_eq(t.overflow, QK_OVF_SAT_SYM);

	t = parse_ok("ap_fixed<64,70,TRN_ZERO>");
	cr_expect_eq(t.width, 64);
	cr_expect_eq(t.rounding, QK_RND_TRN_ZERO);
}

Test(fixed, parse_rejects_bad_strings)
{
	static const char *const bad[] = {
		"",
		"ap_fixed",
		"ap_fixed<>",
		"ap_fixed<8>",
		"ap_fixed<0,0>",
		"ap_fixed<65,1>",
		"ap_ufixed<64,1>",
		"ap_fixed<8,3,AP_FOO>",
		"ap_fixed<8,3,RND,AP_WRAP_SM>",
		"ap_fixed<8,3",
		"ap_fixed<8,3>x",
		"ap_fixed<8.5,3>",
		"ap_fixed<8,3,RND,SAT,2>",
		"ap_fixed<8,3,RND,SAT,0,1>",
		"ap_fixed<,3>",
		"int<8>",
		"ap_fixed<8,99999>",
		"ap_fixed<99999999999999999999,3>",
		"ap_int<8>",
	};
	struct qk_err err = QK_ERR_INIT;
	struct qk_fixed_type t;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err.msg[0] = '\0';
		cr_expect_eq(qk_fixed_parse(bad[i], &t, &err), -1,
			     "'%s' parsed", bad[i]);
		cr_expect_neq(err.msg[0], '\0', "no message for '%s'", bad[i]);
	}
	cr_expect_eq(qk_fixed_parse(NULL, &t, &err), -1);
	cr_assert_eq(qk_fixed_parse("ap_fixed<8,3,AP_FOO>", &t, &err), -1);
	cr_expect(strstr(err.msg, "AP_FOO") != NULL, "message: %s", err.msg);
}

Test(fixed, format_parse_round_trip)
{
	char buf[64];
	struct qk_err err = QK_ERR_INIT;

	for (int s = 0; s < 2; s++)
		for (int r = 0; r <= QK_RND_RND_CONV; r++)
			for (int o = 0; o <= QK_OVF_SAT_ZERO; o++) {
				struct qk_fixed_type t = {
					s, 12, -3, (enum qk_rounding)r,
					(enum qk_overflow)o};
				struct qk_fixed_type back;

				qk_fixed_format(&t, buf, sizeof(buf));
				cr_assert_eq(qk_fixed_parse(buf, &back, &err),
					     0, "%s: %s", buf, err.msg);
				cr_expect(memcmp(&t, &back, sizeof(t)) == 0,
					  "%s did not round-trip", buf);
			}
}

Test(fixed, format_spelling)
{
	char buf[64];
	struct qk_fixed_type t = {1, 16, 6, QK_RND_TRN, QK_OVF_WRAP};

	cr_expect_str_eq(qk_fixed_format(&t, buf, sizeof(buf)),
			 "ap_fixed<16,6>");
	t.rounding = QK_RND_RND_CONV;
	t.overflow = QK_OVF_SAT;
	cr_expect_str_eq(qk_fixed_format(&t, buf, sizeof(buf)),
			 "ap_fixed<16,6,AP_RND_CONV,AP_SAT>");
	t.is_signed = 0;
	t.overflow = QK_OVF_WRAP;
	cr_expect_str_eq(qk_fixed_format(&t, buf, sizeof(buf)),
			 "ap_ufixed<16,6,AP_RND_CONV>");
}

static struct qk_quantizer make_quantizer(enum qk_quantizer_kind kind,
					  const char *text, double bits,
					  double integer)
{
	struct qk_quantizer q;

	memset(&q, 0, sizeof(q));
	q.kind = kind;
	q.class_name = (char *)text;
	q.text = (char *)text;
	q.bits = bits;
	q.integer = integer;
	q.keep_negative = 1;
	q.alpha_kind = QK_ALPHA_NUMBER;
	q.alpha = 1;
	q.qnoise_factor = 1;
	q.use_ste = 1;
	return q;
}

static struct qk_fixed_type from_quantizer_ok(const struct qk_quantizer *q,
					      int aggressive)
{
	struct qk_err err = QK_ERR_INIT;
	struct qk_fixed_type t;

	cr_assert_eq(qk_fixed_from_quantizer(q, aggressive, &t, &err), 0,
		     "%s: %s", q->text, err.msg);
	return t;
}

static void expect_type(const struct qk_fixed_type *t, int is_signed,
			int width, int integer, enum qk_overflow overflow)
{
	cr_expect_eq(t->is_signed, is_signed);
	cr_expect_eq(t->width, width);
	cr_expect_eq(t->integer, integer);
	cr_expect_eq(t->rounding, QK_RND_RND_CONV);
	cr_expect_eq(t->overflow, overflow);
}

Test(fixed, quantized_bits_form)
{
	struct qk_quantizer q = make_quantizer(
		QK_Q_QUANTIZED_BITS, "quantized_bits(8,2,alpha=1)", 8, 2);
	struct qk_fixed_type t;

	t = from_quantizer_ok(&q, 0);
	expect_type(&t, 1, 8, 3, QK_OVF_SAT);
	t = from_quantizer_ok(&q, 1);
	expect_type(&t, 1, 8, 3, QK_OVF_WRAP);
	/* Step 2^(integer - bits + keep_negative) = 2^-5. */
	cr_expect_eq(qk_fixed_to_double(&t, 1), 1.0 / 32);

	q.symmetric = 1;
	t = from_quantizer_ok(&q, 0);
	expect_type(&t, 1, 8, 3, QK_OVF_SAT_SYM);
	t = from_quantizer_ok(&q, 1);
	expect_type(&t, 1, 8, 3, QK_OVF_SAT_SYM);

	q.symmetric = 0;
	q.keep_negative = 0;
	t = from_quantizer_ok(&q, 0);
	expect_type(&t, 0, 8, 2, QK_OVF_SAT);

	/* One signed bit: the form contains only {-2^integer, 0}. */
	q = make_quantizer(QK_Q_QUANTIZED_BITS, "quantized_bits(1,0)", 1, 0);
	t = from_quantizer_ok(&q, 0);
	expect_type(&t, 1, 1, 1, QK_OVF_SAT);
	cr_expect_eq(qk_fixed_to_double(&t, qk_fixed_min_raw(&t)), -1.0);
	cr_expect_eq(qk_fixed_to_double(&t, qk_fixed_max_raw(&t)), 0.0);

	/* An unset alpha means scale 1. */
	q = make_quantizer(QK_Q_QUANTIZED_BITS, "quantized_bits(4,0)", 4, 0);
	q.alpha_kind = QK_ALPHA_UNSET;
	t = from_quantizer_ok(&q, 0);
	expect_type(&t, 1, 4, 1, QK_OVF_SAT);
}

Test(fixed, quantized_relu_form)
{
	struct qk_quantizer q = make_quantizer(
		QK_Q_QUANTIZED_RELU, "quantized_relu(6,2)", 6, 2);
	struct qk_fixed_type t;

	q.keep_negative = 0;
	t = from_quantizer_ok(&q, 0);
	expect_type(&t, 0, 6, 2, QK_OVF_SAT);
	t = from_quantizer_ok(&q, 1);
	expect_type(&t, 0, 6, 2, QK_OVF_SAT);
}

Test(fixed, quantizer_without_form)
{
	struct qk_err err = QK_ERR_INIT;
	struct qk_fixed_type t;
	struct qk_quantizer q;

	q = make_quantizer(QK_Q_TERNARY, "ternary()", 0, 0);
	cr_expect_eq(qk_fixed_from_quantizer(&q, 0, &t, &err), -1);
	cr_expect(strstr(err.msg, "ternary()") != NULL, "message: %s",
		  err.msg);

	q = make_quantizer(QK_Q_QUANTIZED_BITS, "quantized_bits(8,0)", 8, 0);
	q.alpha_kind = QK_ALPHA_AUTO_PO2;
	cr_expect_eq(qk_fixed_from_quantizer(&q, 0, &t, &err), -1);
	cr_expect(strstr(err.msg, "alpha") != NULL, "message: %s", err.msg);

	q.alpha_kind = QK_ALPHA_NUMBER;
	q.alpha = 0.5;
	cr_expect_eq(qk_fixed_from_quantizer(&q, 0, &t, &err), -1);

	q.alpha = 1;
	q.bits = 2.5;
	cr_expect_eq(qk_fixed_from_quantizer(&q, 0, &t, &err), -1);

	q.bits = 8;
	q.symmetric = 2;
	cr_expect_eq(qk_fixed_from_quantizer(&q, 0, &t, &err), -1);

	q.symmetric = 0;
	q.use_stochastic_rounding = 1;
	cr_expect_eq(qk_fixed_from_quantizer(&q, 0, &t, &err), -1);

	q = make_quantizer(QK_Q_QUANTIZED_RELU, "quantized_relu(64,0)", 64, 0);
	cr_expect_eq(qk_fixed_from_quantizer(&q, 0, &t, &err), -1);

	q = make_quantizer(QK_Q_QUANTIZED_BITS, "quantized_bits(65,0)", 65, 0);
	cr_expect_eq(qk_fixed_from_quantizer(&q, 0, &t, &err), -1);
}

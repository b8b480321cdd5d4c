/*
 * QKeras quantizers in float32. Expected values are worked out by hand
 * from the formulas of qkeras/quantizers.py; each case notes the steps.
 */
#include <math.h>
#include <string.h>

#include <criterion/criterion.h>

#include "../verify/qkeras_quant.h"

struct quant_case {
	const char *quantizer;
	float x;
	float expected;
};

static struct qk_quantizer *parse(const char *text)
{
	struct qk_err err = QK_ERR_INIT;
	struct qk_quantizer *q = qk_quantizer_parse(text, &err);

	cr_assert_not_null(q, "cannot parse %s: %s", text, err.msg);
	return q;
}

static void check_cases(const struct quant_case *cases, size_t n)
{
	size_t j;

	for (j = 0; j < n; j++) {
		struct qk_quantizer *q = parse(cases[j].quantizer);
		struct qk_err err = QK_ERR_INIT;
		float got;

		cr_assert_eq(qk_qkeras_supported(q, QK_ROLE_ACTIVATION, &err),
			     0, "%s: %s", cases[j].quantizer, err.msg);
		got = qk_qkeras_apply(q, cases[j].x);
		cr_expect_eq(got, cases[j].expected, "%s(%.9g) = %.9g, "
			     "expected %.9g", cases[j].quantizer, cases[j].x,
			     got, cases[j].expected);
		qk_quantizer_free(q);
	}
}

Test(qkeras_quant, quantized_bits_rounding_and_clip)
{
	/* bits 4, integer 0: m = 8, step 1/8, clip raw to [-8, 7]. */
	static const struct quant_case cases[] = {
		{ "quantized_bits(4,0,alpha=1)", 0.3f, 0.25f },	/* 2.4 -> 2 */
		{ "quantized_bits(4,0,alpha=1)", 0.3125f, 0.25f }, /* 2.5 tie */
		{ "quantized_bits(4,0,alpha=1)", 0.4375f, 0.5f }, /* 3.5 -> 4 */
		{ "quantized_bits(4,0,alpha=1)", 5.0f, 0.875f },   /* 7 / 8 */
		{ "quantized_bits(4,0,alpha=1)", -5.0f, -1.0f },   /* -8 / 8 */
		/* symmetric: clip at -m + 1 = -7. */
		{ "quantized_bits(4,0,1,alpha=1)", -5.0f, -0.875f },
		/* integer 2: p = x * 8 / 4, step 1/2. */
		{ "quantized_bits(4,2,alpha=1)", 1.3f, 1.5f },	/* 2.6 -> 3 */
		/* keep_negative=False: m = 16, clip at 0. */
		{ "quantized_bits(4,0,keep_negative=False,alpha=1)", -0.3f,
		  0.0f },
		{ "quantized_bits(4,0,keep_negative=False,alpha=1)", 0.5f,
		  0.5f },
	};

	check_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

Test(qkeras_quant, quantized_bits_one_bit_sign)
{
	/* bits 1, signed: u = 0, sign(x) with 0 mapped to +1. */
	static const struct quant_case cases[] = {
		{ "quantized_bits(1,0,alpha=1)", 0.0f, 1.0f },
		{ "quantized_bits(1,0,alpha=1)", -0.2f, -1.0f },
		{ "quantized_bits(1,3,alpha=1)", 3.0f, 1.0f },
	};

	check_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

Test(qkeras_quant, straight_through_loses_large_inputs)
{
	/*
	 * x = 1e9 saturates to 127/128, but -x + q rounds to -1e9 (ulp 64
	 * there) and x + (-1e9) is 0: QKeras returns 0, off the grid.
	 */
	static const struct quant_case cases[] = {
		{ "quantized_bits(8,0,alpha=1)", 1e9f, 0.0f },
		/* At 1000 the ulp is 2^-14, so q - x stays exact. */
		{ "quantized_bits(8,0,alpha=1)", 1000.0f, 0.9921875f },
	};

	check_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

Test(qkeras_quant, quantized_relu_forms)
{
	static const struct quant_case cases[] = {
		/* bits 4: m = 16, step 1/16, largest 15/16. */
		{ "quantized_relu(4,0)", 0.3f, 0.3125f },	/* 4.8 -> 5 */
		{ "quantized_relu(4,0)", -1.0f, 0.0f },
		{ "quantized_relu(4,0)", 2.0f, 0.9375f },
		/* integer 2: step 1/4; 1.1 * 4 = 4.4 -> 4. */
		{ "quantized_relu(4,2)", 1.1f, 1.0f },
		/*
		 * negative_slope 0.25: 3 bits above zero (m = 8); below zero
		 * round(x * 8 * 0.25) / (0.25 * 8) * 0.25: -0.3 -> -0.6 -> -1
		 * -> -0.125; -1 -> -2 -> -0.25.
		 */
		{ "quantized_relu(4,0,negative_slope=0.25)", -0.3f, -0.125f },
		{ "quantized_relu(4,0,negative_slope=0.25)", -1.0f, -0.25f },
		{ "quantized_relu(4,0,negative_slope=0.25)", 0.3f, 0.25f },
		/*
		 * use_sigmoid: p = hard_sigmoid(x) * 16 = (0.5 x + 0.5) * 16;
		 * x = 0.5: p = 12, 2 * 12 / 16 - 1 = 0.5.
		 */
		{ "quantized_relu(4,0,1)", 0.5f, 0.5f },
	};

	check_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

Test(qkeras_quant, binary_and_ternary)
{
	static const struct quant_case cases[] = {
		{ "binary()", 0.0f, 1.0f },
		{ "binary()", -3.0f, -1.0f },
		{ "binary(use_01=True)", -3.0f, 0.0f },
		{ "binary(alpha=1)", 0.2f, 1.0f },
		/* default threshold 0.33, compared in float32 */
		{ "ternary()", 0.32f, 0.0f },
		{ "ternary()", 0.33f, 1.0f },
		{ "ternary()", -0.5f, -1.0f },
		{ "ternary(threshold=0.5)", 0.4f, 0.0f },
	};

	check_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

Test(qkeras_quant, po2_weights)
{
	/*
	 * quantized_po2(4): exponent sign bit needed (no max_value), so 2
	 * bits of exponent: [-4, 3]. log2(0.3) = -1.74 -> -2; log2(3) =
	 * 1.58 -> 2; log2(100) = 6.6 -> clipped to 3; 0 is below K.epsilon
	 * and gets 2^-4 with sign +1.
	 */
	static const float in[] = { 0.3f, -3.0f, 100.0f, 0.0f };
	static const float expected[] = { 0.25f, -4.0f, 8.0f, 0.0625f };
	struct qk_quantizer *q = parse("quantized_po2(4)");
	struct qk_err err = QK_ERR_INIT;
	float out[4];
	size_t j;

	cr_assert_eq(qk_quantize_weights(q, QK_ROLE_KERNEL, in, 4, out, &err),
		     0, "%s", err.msg);
	for (j = 0; j < 4; j++)
		cr_expect_eq(out[j], expected[j], "po2(%g) = %g, expected %g",
			     in[j], out[j], expected[j]);
	qk_quantizer_free(q);
}

Test(qkeras_quant, rejects_data_dependent_scales)
{
	static const char *const rejected[] = {
		"quantized_bits(8,0,alpha='auto_po2')",
		"quantized_bits(8,0,alpha='auto')",
		"quantized_bits(8,0,alpha=0.5)",
		"quantized_bits(8,0,alpha=1,use_stochastic_rounding=True)",
		"quantized_tanh(8)",
		"quantized_linear(8,0)",
	};
	size_t j;

	for (j = 0; j < sizeof(rejected) / sizeof(rejected[0]); j++) {
		struct qk_quantizer *q = parse(rejected[j]);
		struct qk_err err = QK_ERR_INIT;

		cr_expect_eq(qk_qkeras_supported(q, QK_ROLE_BIAS, &err), -1,
			     "%s accepted", rejected[j]);
		cr_expect_neq(err.msg[0], '\0');
		qk_quantizer_free(q);
	}
}

Test(qkeras_quant, unset_alpha_depends_on_role)
{
	struct qk_quantizer *q = parse("quantized_bits(8,0)");
	struct qk_err err = QK_ERR_INIT;

	/* A kernel quantizer's unset alpha becomes auto_po2 in QKeras. */
	cr_expect_eq(qk_qkeras_supported(q, QK_ROLE_KERNEL, &err), -1);
	cr_expect(strstr(err.msg, "auto_po2") != NULL, "message: %s",
		  err.msg);
	cr_expect_eq(qk_qkeras_supported(q, QK_ROLE_BIAS, &err), 0);
	cr_expect_eq(qk_qkeras_supported(q, QK_ROLE_ACTIVATION, &err), 0);
	qk_quantizer_free(q);
}

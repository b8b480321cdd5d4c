#include <criterion/criterion.h>

#include <math.h>
#include <string.h>

#include "sim_helper.h"
#include "verify/qkeras_quant.h"
#include "verify/sim.h"

struct run {
	double qkeras[16];
	double proxy[16];
	size_t n;
	int equal;
	int differs;
	struct qk_sim_difference diff;
};

static struct qk_sim *build_ok(const struct qk_model *model, int fast,
			       const struct qk_fixed_type *input_type)
{
	struct qk_sim_options options = {fast, input_type};
	struct qk_err err = QK_ERR_INIT;
	struct qk_sim *sim = qk_sim_build(model, &options, &err);

	cr_assert_not_null(sim, "build failed: %s", err.msg);
	return sim;
}

static void run_both(struct qk_sim *sim, const float *input, struct run *r)
{
	r->n = qk_sim_output_size(sim);
	cr_assert_leq(r->n, 16);
	qk_sim_run_qkeras(sim, input);
	qk_sim_run_proxy(sim, input);
	qk_sim_qkeras_outputs(sim, r->qkeras);
	qk_sim_proxy_outputs(sim, r->proxy);
	r->equal = qk_sim_outputs_equal(sim);
	r->differs = qk_sim_first_difference(sim, &r->diff);
}

static int has_note(const struct qk_sim *sim, const char *part)
{
	for (size_t i = 0; i < qk_sim_n_notes(sim); i++)
		if (strstr(qk_sim_note(sim, i), part))
			return 1;
	return 0;
}

/* The clean model: 2 inputs, 8-bit input quantizer, QDense 2 -> 3. */
static struct qk_model *clean_model(void)
{
	static const float kernel[6] = {0.5f, -0.25f, 0.125f,
					0.75f, 0.3f, -1.5f};
	static const float bias[3] = {0.1f, 0.0f, -0.05f};
	struct qk_model *m = qkt_sequential(
		SIMT_INPUT(2) ", "
		SIMT_QACT("q_in", "quantized_bits(8,2,alpha=1)") ", "
		SIMT_QDENSE_BIAS("fc", 3, "quantized_bits(6,0,alpha=1)",
				 "quantized_bits(6,0,alpha=1)", "linear") ", "
		SIMT_QACT("act", "quantized_relu(6,2)"));

	simt_dense_weights(m, "fc", 2, 3, kernel, bias);
	return m;
}

Test(sim, clean_model_values)
{
	struct qk_model *m = clean_model();
	struct qk_sim *sim = build_ok(m, 0, NULL);
	const float input[2] = {1.0f, -0.5f};
	struct run r;

	cr_assert_eq(qk_sim_input_size(sim), 2);
	cr_assert_eq(qk_sim_n_inputs(sim), 1);
	cr_expect_eq(qk_sim_input(sim, 0)->from_quantizer, 1);
	cr_expect_eq(qk_sim_input(sim, 0)->type.width, 8);
	cr_expect_eq(qk_sim_input(sim, 0)->type.integer, 3);
	run_both(sim, input, &r);
	cr_assert_eq(r.n, 3);
	/*
	 * Kernel quantized to steps of 1/32: 0.3 -> 0.3125, -1.5 -> -1;
	 * bias 0.1 -> 0.09375, -0.05 -> -0.0625. Sums 0.21875, -0.40625,
	 * 0.5625; quantized_relu(6,2) has steps of 1/16 and 0.21875 is
	 * 3.5 steps, a tie that goes to even 4 (0.25).
	 */
	cr_expect_eq(r.qkeras[0], 0.25);
	cr_expect_eq(r.qkeras[1], 0.0);
	cr_expect_eq(r.qkeras[2], 0.5625);
	cr_expect_eq(r.proxy[0], 0.25);
	cr_expect_eq(r.proxy[1], 0.0);
	cr_expect_eq(r.proxy[2], 0.5625);
	cr_expect_eq(r.equal, 1);
	cr_expect_eq(r.differs, 0);
	qk_sim_free(sim);
	qk_model_free(m);
}

Test(sim, input_quantizer_clips)
{
	struct qk_model *m = clean_model();
	struct qk_sim *safe = build_ok(m, 0, NULL);
	struct qk_sim *fast = build_ok(m, 1, NULL);
	/* 5.0 is beyond the 8-bit input range [-4, 4 - 1/32]. */
	const float input[2] = {5.0f, 0.0f};
	struct run r;

	run_both(safe, input, &r);
	cr_expect_eq(r.equal, 1, "safe mode saturates like QKeras clips");
	run_both(fast, input, &r);
	cr_expect_eq(r.equal, 0, "fast mode wraps the input");
	cr_assert_eq(r.differs, 1);
	cr_expect_str_eq(r.diff.layer, "q_in");
	qk_sim_free(safe);
	qk_sim_free(fast);
	qk_model_free(m);
}

/* Input 1 -> QDense 1 -> 1 with kernel w -> QActivation(quantizer). */
static struct qk_model *single_model(const char *dense_kq, const char *qact,
				     float w)
{
	char text[1024];
	struct qk_model *m;

	snprintf(text, sizeof(text),
		 SIMT_INPUT(1) ", "
		 SIMT_QACT("q_in", "quantized_bits(8,3,alpha=1)") ", "
		 "{'class_name': 'QDense', 'config': {'name': 'fc', "
		 "'units': 1, 'use_bias': false, 'kernel_quantizer': '%s', "
		 "'activation': 'linear'}}, "
		 "{'class_name': 'QActivation', 'config': {'name': 'out', "
		 "'activation': '%s'}}",
		 dense_kq, qact);
	m = qkt_sequential(text);
	simt_dense_weights(m, "fc", 1, 1, &w, NULL);
	return m;
}

Test(sim, wrap_in_fast_mode)
{
	struct qk_model *m = single_model("quantized_bits(8,3,alpha=1)",
					  "quantized_bits(4,0,alpha=1)", 1.0f);
	struct qk_sim *safe = build_ok(m, 0, NULL);
	struct qk_sim *fast = build_ok(m, 1, NULL);
	const float input[1] = {1.0f};
	struct run r;

	/* quantized_bits(4,0) clips 1.0 to 0.875; WRAP turns it into -1. */
	run_both(safe, input, &r);
	cr_expect_eq(r.qkeras[0], 0.875);
	cr_expect_eq(r.proxy[0], 0.875);
	cr_expect_eq(r.equal, 1);
	run_both(fast, input, &r);
	cr_expect_eq(r.qkeras[0], 0.875);
	cr_expect_eq(r.proxy[0], -1.0);
	cr_expect_eq(r.equal, 0);
	cr_assert_eq(r.differs, 1);
	cr_expect_str_eq(r.diff.layer, "out");
	cr_expect_eq(r.diff.qkeras, 0.875);
	cr_expect_eq(r.diff.proxy, -1.0);
	qk_sim_free(safe);
	qk_sim_free(fast);
	qk_model_free(m);
}

Test(sim, ternary_cannot_hold_one)
{
	struct qk_model *m = single_model("quantized_bits(8,3,alpha=1)",
					  "ternary()", 1.0f);
	struct qk_sim *sim = build_ok(m, 0, NULL);
	const float input[1] = {1.0f};
	struct run r;

	cr_expect(has_note(sim, "ternary"));
	run_both(sim, input, &r);
	cr_expect_eq(r.qkeras[0], 1.0);
	cr_expect_eq(r.proxy[0], 0.5);
	cr_expect_eq(r.equal, 0);
	qk_sim_free(sim);
	qk_model_free(m);
}

Test(sim, negative_slope_ignored)
{
	struct qk_model *m = single_model(
		"quantized_bits(8,3,alpha=1)",
		"quantized_relu(4,2,negative_slope=0.25)", 1.0f);
	struct qk_sim *sim = build_ok(m, 0, NULL);
	/* QKeras: 4 * 0.25 * clip(round(-8 * 0.25) / 2, -1, 0) = -1. */
	const float input[1] = {-4.0f};
	struct run r;

	cr_expect(has_note(sim, "negative_slope"));
	run_both(sim, input, &r);
	cr_expect_eq(r.qkeras[0], -1.0, "QKeras keeps a negative part");
	cr_expect_eq(r.proxy[0], 0.0, "the proxy applies plain ReLU");
	cr_expect_eq(r.equal, 0);
	qk_sim_free(sim);
	qk_model_free(m);
}

Test(sim, one_bit_signed_form)
{
	struct qk_model *m = single_model("quantized_bits(8,3,alpha=1)",
					  "quantized_bits(1,0)", 1.0f);
	struct qk_sim *sim = build_ok(m, 0, NULL);
	const float input[1] = {0.25f};
	struct run r;

	cr_expect(has_note(sim, "one-bit"));
	run_both(sim, input, &r);
	/* QKeras returns sign(x) = 1; the 1-bit form can only give 0. */
	cr_expect_eq(r.qkeras[0], 1.0);
	cr_expect_eq(r.proxy[0], 0.0);
	cr_expect_eq(r.equal, 0);
	qk_sim_free(sim);
	qk_model_free(m);
}

Test(sim, no_input_quantizer)
{
	static const float w = 0.5f;
	struct qk_model *m = qkt_sequential(
		SIMT_INPUT(1) ", "
		SIMT_QDENSE("fc", 1, "quantized_bits(8,0,alpha=1)",
			    "quantized_relu(8,2)"));
	struct qk_sim_options options = {0, NULL};
	struct qk_err err = QK_ERR_INIT;
	struct qk_fixed_type type;
	struct qk_sim *sim;
	const float input[1] = {1.5f};
	struct run r;

	simt_dense_weights(m, "fc", 1, 1, &w, NULL);
	cr_assert_null(qk_sim_build(m, &options, &err));
	cr_expect(strstr(err.msg, "model has no input quantizer; pass "
				  "--input-precision, e.g. fixed<16,6>"),
		  "message: %s", err.msg);
	cr_assert_eq(qk_fixed_parse("fixed<16,6>", &type, &err), 0);
	sim = build_ok(m, 0, &type);
	cr_expect_eq(qk_sim_input(sim, 0)->from_quantizer, 0);
	run_both(sim, input, &r);
	cr_expect_eq(r.qkeras[0], 0.75);
	cr_expect_eq(r.proxy[0], 0.75);
	qk_sim_free(sim);
	qk_model_free(m);
}

Test(sim, softmax_compared_before)
{
	static const float kernel[2] = {0.5f, -0.5f};
	struct qk_model *m = qkt_sequential(
		SIMT_INPUT(1) ", "
		SIMT_QACT("q_in", "quantized_bits(8,3,alpha=1)") ", "
		"{'class_name': 'QDense', 'config': {'name': 'fc', "
		"'units': 2, 'use_bias': false, 'kernel_quantizer': "
		"'quantized_bits(8,0,alpha=1)', 'activation': 'softmax'}}");
	struct qk_sim *sim;
	const float input[1] = {1.0f};
	struct run r;

	simt_dense_weights(m, "fc", 1, 2, kernel, NULL);
	sim = build_ok(m, 0, NULL);
	cr_assert_eq(qk_sim_n_outputs(sim), 1);
	cr_expect_eq(qk_sim_output(sim, 0)->is_model_output, 0);
	cr_expect(strstr(qk_sim_output(sim, 0)->label, "before"));
	cr_expect(has_note(sim, "softmax"));
	run_both(sim, input, &r);
	cr_expect_eq(r.qkeras[0], 0.5);
	cr_expect_eq(r.qkeras[1], -0.5);
	cr_expect_eq(r.equal, 1);
	qk_sim_free(sim);
	qk_model_free(m);
}

/*
 * A product needing more than 64 bits: x = 2^20 - 1/8 at 19 fractional
 * bits times w = 6 - 2^-21 bounds the accumulator near 1.5 * 2^62, so it
 * runs in __int128. The exact value 6291454.75 + 2^-24 is a tie at the
 * 2^-23 step of quantized_bits(64,40) and goes to even 6291454.75; the
 * float32 product in QKeras rounds to a multiple of 0.5 first.
 */
Test(sim, wide_accumulator_exact)
{
	static const float w = 6.0f - 0x1p-21f;
	struct qk_model *m = qkt_sequential(
		SIMT_INPUT(1) ", "
		SIMT_QDENSE("fc", 1, "quantized_bits(32,3,alpha=1)",
			    "quantized_bits(64,40,alpha=1)"));
	struct qk_fixed_type type;
	struct qk_err err = QK_ERR_INIT;
	struct qk_sim *sim;
	const float input[1] = {1048576.0f - 0.125f};
	struct run r;

	simt_dense_weights(m, "fc", 1, 1, &w, NULL);
	cr_assert_eq(qk_fixed_parse("fixed<40,21,TRN,SAT>", &type, &err), 0);
	sim = build_ok(m, 0, &type);
	run_both(sim, input, &r);
	cr_expect_eq(r.proxy[0], 6291454.75);
	cr_expect_neq(r.qkeras[0], 6291454.75);
	cr_expect_eq(fmod(r.qkeras[0], 0.5), 0.0);
	cr_expect_eq(r.equal, 0);
	cr_assert_eq(r.differs, 1);
	cr_expect_str_eq(r.diff.layer, "fc");
	qk_sim_free(sim);
	qk_model_free(m);
}

Test(sim, add_and_concatenate)
{
	static const float k1[2] = {0.5f, 0.25f};
	static const float k2[2] = {-0.125f, 1.0f};
	struct qk_model *m = qkt_model(
		"{'class_name': 'Functional', 'config': {'name': 'm', "
		"'layers': ["
		"{'class_name': 'InputLayer', 'name': 'x', 'config': "
		"{'name': 'x', 'batch_input_shape': [null, 1]}, "
		"'inbound_nodes': []}, "
		"{'class_name': 'QActivation', 'name': 'q', 'config': "
		"{'name': 'q', 'activation': 'quantized_bits(8,3,alpha=1)'}, "
		"'inbound_nodes': [[['x', 0, 0, {}]]]}, "
		"{'class_name': 'QDense', 'name': 'a', 'config': {'name': 'a', "
		"'units': 2, 'use_bias': false, 'kernel_quantizer': "
		"'quantized_bits(8,1,alpha=1)', 'activation': 'linear'}, "
		"'inbound_nodes': [[['q', 0, 0, {}]]]}, "
		"{'class_name': 'QDense', 'name': 'b', 'config': {'name': 'b', "
		"'units': 2, 'use_bias': false, 'kernel_quantizer': "
		"'quantized_bits(8,1,alpha=1)', 'activation': 'linear'}, "
		"'inbound_nodes': [[['q', 0, 0, {}]]]}, "
		"{'class_name': 'Add', 'name': 's', 'config': {'name': 's'}, "
		"'inbound_nodes': [[['a', 0, 0, {}], ['b', 0, 0, {}]]]}, "
		"{'class_name': 'Concatenate', 'name': 'c', 'config': "
		"{'name': 'c', 'axis': -1}, "
		"'inbound_nodes': [[['s', 0, 0, {}], ['a', 0, 0, {}]]]}], "
		"'input_layers': [['x', 0, 0]], "
		"'output_layers': [['c', 0, 0]]}}");
	struct qk_sim *sim;
	const float input[1] = {2.0f};
	struct run r;

	simt_dense_weights(m, "a", 1, 2, k1, NULL);
	simt_dense_weights(m, "b", 1, 2, k2, NULL);
	sim = build_ok(m, 0, NULL);
	run_both(sim, input, &r);
	cr_assert_eq(r.n, 4);
	/* a = [1, 0.5], b = [-0.25, 2], s = a + b, c = [s, a]. */
	cr_expect_eq(r.proxy[0], 0.75);
	cr_expect_eq(r.proxy[1], 2.5);
	cr_expect_eq(r.proxy[2], 1.0);
	cr_expect_eq(r.proxy[3], 0.5);
	for (size_t i = 0; i < 4; i++)
		cr_expect_eq(r.qkeras[i], r.proxy[i], "element %zu", i);
	cr_expect_eq(r.equal, 1);
	qk_sim_free(sim);
	qk_model_free(m);
}

static uint32_t float_bits(float f)
{
	uint32_t u;

	memcpy(&u, &f, sizeof(u));
	return u;
}

/*
 * The simulation computes common quantizers with precomputed constants;
 * they must agree bit for bit with qk_qkeras_apply(), -0.0 included.
 */
Test(sim, quantizer_fast_path_matches)
{
	static const char *const quantizers[] = {
		"quantized_bits(8,2,alpha=1)",
		"quantized_bits(6,0,1,alpha=1)",
		"quantized_bits(4,0,keep_negative=False,alpha=1)",
		"quantized_bits(16,5)",
		"quantized_bits(24,10,alpha=1)",
		"quantized_relu(6,2)",
		"quantized_relu(3,0)",
		"quantized_relu(8,-2)",
		"quantized_relu(12,6)",
	};
	struct qk_fixed_type type;
	struct qk_err err = QK_ERR_INIT;
	uint64_t state = 99;

	cr_assert_eq(qk_fixed_parse("fixed<16,6>", &type, &err), 0);
	for (size_t k = 0; k < sizeof(quantizers) / sizeof(quantizers[0]);
	     k++) {
		char text[512];
		struct qk_model *m;
		struct qk_sim *sim;
		const struct qk_quantizer *q;

		snprintf(text, sizeof(text),
			 SIMT_INPUT(1) ", "
			 "{'class_name': 'QActivation', 'config': "
			 "{'name': 'q', 'activation': '%s'}}",
			 quantizers[k]);
		m = qkt_sequential(text);
		sim = build_ok(m, 0, &type);
		q = m->layers[qk_model_index(m, "q")].quant[QK_ROLE_ACTIVATION];
		cr_assert_not_null(q);
		for (int i = 0; i < 100000; i++) {
			uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
			float x;
			double got;

			z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
			z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
			z ^= z >> 31;
			/* Half on ties and grid points, half any exponent. */
			if (z & 1)
				x = ldexpf((float)((int64_t)(z >> 40) - 8388608),
					   -(int)((z >> 1) % 24));
			else
				x = ldexpf((float)((z >> 8) & 0xffffff) *
						   ((z & 2) ? 1.0f : -1.0f),
					   (int)((z >> 32) % 80) - 60);
			qk_sim_run_qkeras(sim, &x);
			qk_sim_qkeras_outputs(sim, &got);
			cr_assert_eq(float_bits((float)got),
				     float_bits(qk_qkeras_apply(q, x)),
				     "%s at %a: %a against %a", quantizers[k],
				     (double)x, got,
				     (double)qk_qkeras_apply(q, x));
		}
		qk_sim_free(sim);
		qk_model_free(m);
	}
}

/* An InputLayer called x with a shape given as list text, "3, 3, 1". */
#define SIMT_INPUT_SHAPE(shape) \
	"{'class_name': 'InputLayer', 'config': {'name': 'x', " \
	"'batch_input_shape': [null, " shape "]}}"

/*
 * Input length 3 x 2 channels -> quantized_bits(3,1) (steps of 0.5) ->
 * QConv1D with 2 filters of size 2 and bias -> quantized_bits(6,2).
 * The kernel is stored as [k, c_in, filters].
 */
static struct qk_model *conv1d_model(void)
{
	static const float kernel[8] = {0.5f, -0.25f, 0.125f, 0.75f,
					-1.0f, 0.375f, 0.25f, 0.5f};
	static const float bias[2] = {0.125f, -0.25f};
	static const int64_t kshape[3] = {2, 2, 2};
	static const int64_t bshape[1] = {2};
	struct qk_model *m = qkt_sequential(
		SIMT_INPUT_SHAPE("3, 2") ", "
		SIMT_QACT("q_in", "quantized_bits(3,1,alpha=1)") ", "
		"{'class_name': 'QConv1D', 'config': {'name': 'conv', "
		"'filters': 2, 'kernel_size': [2], 'strides': [1], "
		"'padding': 'valid', 'dilation_rate': [1], 'use_bias': true, "
		"'kernel_quantizer': 'quantized_bits(4,0,alpha=1)', "
		"'bias_quantizer': 'quantized_bits(4,0,alpha=1)', "
		"'activation': 'linear'}}, "
		SIMT_QACT("out", "quantized_bits(6,2,alpha=1)"));

	simt_weight(m, "conv", "kernel", 3, kshape, kernel);
	simt_weight(m, "conv", "bias", 1, bshape, bias);
	return m;
}

Test(sim, conv1d_values)
{
	struct qk_model *m = conv1d_model();
	struct qk_sim *sim = build_ok(m, 0, NULL);
	/* Positions [1, -0.5], [0.5, 1.5], [-2, 1]. */
	const float input[6] = {1.0f, -0.5f, 0.5f, 1.5f, -2.0f, 1.0f};
	static const double expected[4] = {0.5, 0.0, 2.75, 0.5};
	struct run r;

	cr_assert_eq(qk_sim_input_size(sim), 6);
	run_both(sim, input, &r);
	cr_assert_eq(r.n, 4);
	/*
	 * Output (position, filter), bias included:
	 * (0,0) 0.5 - 0.0625 - 0.5 + 0.375 + 0.125 = 0.4375,
	 * (0,1) -0.25 - 0.375 + 0.1875 + 0.75 - 0.25 = 0.0625,
	 * (1,0) 0.25 + 0.1875 + 2 + 0.25 + 0.125 = 2.8125,
	 * (1,1) -0.125 + 1.125 - 0.75 + 0.5 - 0.25 = 0.5.
	 * quantized_bits(6,2) has steps of 1/8 and rounds ties to even:
	 * 3.5 steps -> 4, 0.5 -> 0, 22.5 -> 22.
	 */
	for (size_t i = 0; i < 4; i++) {
		cr_expect_eq(r.qkeras[i], expected[i], "qkeras element %zu: %g",
			     i, r.qkeras[i]);
		cr_expect_eq(r.proxy[i], expected[i], "proxy element %zu: %g",
			     i, r.proxy[i]);
	}
	cr_expect_eq(r.equal, 1);
	cr_expect_eq(r.differs, 0);
	qk_sim_free(sim);
	qk_model_free(m);
}

/*
 * Input 3x3x1 -> quantized_bits(2,1) (values -2, -1, 0, 1) -> QConv2D
 * with 2 filters of 2x2 and bias -> quantized_relu(4,2) -> MaxPooling2D
 * 2x2 -> Flatten -> QDense 2 -> 2 -> quantized_bits(4,2).
 */
static struct qk_model *conv2d_model(void)
{
	/* [kh, kw, c_in, filters]: (0,0), (0,1), (1,0), (1,1). */
	static const float kernel[8] = {0.5f, -0.25f, 0.25f, 0.5f,
					-0.5f, 0.75f, 0.125f, -1.0f};
	static const float bias[2] = {0.25f, 0.5f};
	static const float dense[4] = {0.5f, -0.75f, 0.25f, 0.5f};
	static const int64_t kshape[4] = {2, 2, 1, 2};
	static const int64_t bshape[1] = {2};
	struct qk_model *m = qkt_sequential(
		SIMT_INPUT_SHAPE("3, 3, 1") ", "
		SIMT_QACT("q_in", "quantized_bits(2,1,alpha=1)") ", "
		"{'class_name': 'QConv2D', 'config': {'name': 'conv', "
		"'filters': 2, 'kernel_size': [2, 2], 'strides': [1, 1], "
		"'padding': 'valid', 'dilation_rate': [1, 1], "
		"'use_bias': true, "
		"'kernel_quantizer': 'quantized_bits(4,0,alpha=1)', "
		"'bias_quantizer': 'quantized_bits(4,0,alpha=1)', "
		"'activation': 'quantized_relu(4,2)'}}, "
		"{'class_name': 'MaxPooling2D', 'config': {'name': 'pool', "
		"'pool_size': [2, 2], 'strides': [2, 2], "
		"'padding': 'valid'}}, "
		"{'class_name': 'Flatten', 'config': {'name': 'flat'}}, "
		SIMT_QDENSE("fc", 2, "quantized_bits(4,0,alpha=1)", "linear")
		", " SIMT_QACT("out", "quantized_bits(4,2,alpha=1)"));

	simt_weight(m, "conv", "kernel", 4, kshape, kernel);
	simt_weight(m, "conv", "bias", 1, bshape, bias);
	simt_dense_weights(m, "fc", 2, 2, dense, NULL);
	return m;
}

Test(sim, conv2d_pool_dense_values)
{
	struct qk_model *m = conv2d_model();
	struct qk_sim *sim = build_ok(m, 0, NULL);
	const float input[9] = {1, -1, 0, -2, 1, 1, 0, -1, -2};
	struct run r;

	cr_assert_eq(qk_sim_input_size(sim), 9);
	run_both(sim, input, &r);
	cr_assert_eq(r.n, 2);
	/*
	 * Conv by (row, column): filter 0 is 1.625, -0.625, -0.625, 1.25
	 * and filter 1 is -2.75, 0.5, 2.5, 2. quantized_relu(4,2) has
	 * steps of 1/4 and takes 6.5 steps to 6, so it gives 1.5, 0, 0,
	 * 1.25 and 0, 0.5, 2.5, 2. The pool keeps [1.5, 2.5]. The Dense
	 * gives 0.75 + 0.625 = 1.375 and -1.125 + 1.25 = 0.125, which
	 * quantized_bits(4,2), in steps of 1/2, turns into 1.5 and 0.
	 */
	cr_expect_eq(r.qkeras[0], 1.5);
	cr_expect_eq(r.qkeras[1], 0.0);
	cr_expect_eq(r.proxy[0], 1.5);
	cr_expect_eq(r.proxy[1], 0.0);
	cr_expect_eq(r.equal, 1);
	qk_sim_free(sim);
	qk_model_free(m);
}

/*
 * Input 4x4x1 of integers -> QConv2D 3x3, stride 2, 'same' padding, one
 * filter, bias 0.5. Keras pads one row and one column, both at the end
 * (bottom and right), so windows start at rows and columns 0 and 2.
 */
Test(sim, conv2d_same_stride_two)
{
	static const float kernel[9] = {1, 2, 3, -1, 0, 1, 2, -2, 1};
	static const float bias[1] = {0.5f};
	static const int64_t kshape[4] = {3, 3, 1, 1};
	static const int64_t bshape[1] = {1};
	const float input[16] = {1, 2, 0, -1, 3, -2, 1, 0,
				 0, 1, -3, 2, 2, 0, 1, 1};
	struct qk_model *m = qkt_sequential(
		SIMT_INPUT_SHAPE("4, 4, 1") ", "
		SIMT_QACT("q_in", "quantized_bits(4,3,alpha=1)") ", "
		"{'class_name': 'QConv2D', 'config': {'name': 'conv', "
		"'filters': 1, 'kernel_size': [3, 3], 'strides': [2, 2], "
		"'padding': 'same', 'dilation_rate': [1, 1], "
		"'use_bias': true, "
		"'kernel_quantizer': 'quantized_bits(6,2,alpha=1)', "
		"'bias_quantizer': 'quantized_bits(6,2,alpha=1)', "
		"'activation': 'linear'}}");
	struct qk_sim *sim;
	struct run r;

	simt_weight(m, "conv", "kernel", 4, kshape, kernel);
	simt_weight(m, "conv", "bias", 1, bshape, bias);
	sim = build_ok(m, 0, NULL);
	run_both(sim, input, &r);
	cr_assert_eq(r.n, 4);
	/*
	 * (0,0): rows 0-2, columns 0-2: 5 - 2 - 5 = -2.
	 * (0,1): columns 2-3 and padding: -2 - 1 - 10 = -13.
	 * (1,0): rows 2-3 and padding: -7 - 1 = -8.
	 * (1,1): rows 2-3, columns 2-3: 1 - 1 = 0.
	 * Padding at the start would give other windows and sums.
	 */
	cr_expect_eq(r.qkeras[0], -1.5);
	cr_expect_eq(r.qkeras[1], -12.5);
	cr_expect_eq(r.qkeras[2], -7.5);
	cr_expect_eq(r.qkeras[3], 0.5);
	for (size_t i = 0; i < 4; i++)
		cr_expect_eq(r.proxy[i], r.qkeras[i], "element %zu", i);
	cr_expect_eq(r.equal, 1);
	qk_sim_free(sim);
	qk_model_free(m);
}

/*
 * Six products of 2^22 - 1/4 (2 positions x 3 channels) each fit in
 * float32's 24 significant bits, but the running sum does not from the
 * third product on: QKeras' float32 sum is 25165822, the exact sum is
 * 25165822.5.
 */
Test(sim, conv_float32_sum_rounds)
{
	static const float kernel[6] = {1, 1, 1, 1, 1, 1};
	static const int64_t kshape[3] = {2, 3, 1};
	struct qk_model *m = qkt_sequential(
		SIMT_INPUT_SHAPE("2, 3") ", "
		"{'class_name': 'QConv1D', 'config': {'name': 'conv', "
		"'filters': 1, 'kernel_size': [2], 'use_bias': false, "
		"'kernel_quantizer': 'quantized_bits(4,1,alpha=1)', "
		"'activation': 'linear'}}");
	struct qk_fixed_type type;
	struct qk_err err = QK_ERR_INIT;
	struct qk_sim *sim;
	float input[6];
	struct run r;

	for (size_t i = 0; i < 6; i++)
		input[i] = 4194304.0f - 0.25f;
	simt_weight(m, "conv", "kernel", 3, kshape, kernel);
	cr_assert_eq(qk_fixed_parse("fixed<25,23,TRN,SAT>", &type, &err), 0);
	sim = build_ok(m, 0, &type);
	run_both(sim, input, &r);
	cr_assert_eq(r.n, 1);
	cr_expect_eq(r.proxy[0], 25165822.5);
	cr_expect_eq(r.qkeras[0], 25165822.0);
	cr_expect_eq(r.equal, 0);
	cr_assert_eq(r.differs, 1);
	cr_expect_str_eq(r.diff.layer, "conv");
	qk_sim_free(sim);
	qk_model_free(m);
}

/*
 * Input 2x3x2 -> quantized_bits(2,1) -> QDepthwiseConv2D 2x2, depth
 * multiplier 2, with bias, linear: output 1x2x4, channel c * 2 + m
 * reading input channel c only.
 */
Test(sim, depthwise_conv2d_values)
{
	/* [kh, kw, c_in, m] */
	static const float kernel[16] = {
		0.5f, -0.25f, 0.75f, 0.125f, -1.0f, 0.375f, 0.25f, -0.5f,
		0.625f, 0.5f, -0.75f, 0.25f, 0.125f, -0.875f, 0.5f, 0.375f
	};
	static const float bias[4] = {0.125f, -0.25f, 0.5f, 0.0f};
	static const int64_t kshape[4] = {2, 2, 2, 2};
	static const int64_t bshape[1] = {4};
	/* (row, column, channel) */
	const float input[12] = {1, -2, 0, 1, -1, -1, -2, 0, 1, 1, 0, -2};
	static const double expected[8] = {-0.5, -2.375, -0.25, -0.375,
					   1.75, -0.125, -0.75, 0.125};
	struct qk_model *m = qkt_sequential(
		SIMT_INPUT_SHAPE("2, 3, 2") ", "
		SIMT_QACT("q_in", "quantized_bits(2,1,alpha=1)") ", "
		"{'class_name': 'QDepthwiseConv2D', 'config': {'name': 'dw', "
		"'kernel_size': [2, 2], 'strides': [1, 1], "
		"'padding': 'valid', 'depth_multiplier': 2, "
		"'dilation_rate': [1, 1], 'use_bias': true, "
		"'depthwise_quantizer': 'quantized_bits(4,0,alpha=1)', "
		"'bias_quantizer': 'quantized_bits(4,0,alpha=1)', "
		"'activation': 'linear'}}");
	struct qk_sim *sim;
	struct run r;

	simt_weight(m, "dw", "depthwise_kernel", 4, kshape, kernel);
	simt_weight(m, "dw", "bias", 1, bshape, bias);
	sim = build_ok(m, 0, NULL);
	cr_assert_eq(qk_sim_input_size(sim), 12);
	run_both(sim, input, &r);
	cr_assert_eq(r.n, 8);
	/*
	 * Window 0, channel 0 reads 1, 0, -2, 1, so with m = 0 the weights
	 * 0.5, -1, 0.625, 0.125 give -0.625, plus 0.125. Channel 1 reads
	 * -2, 1, 0, 1. Window 1 reads 0, -1, 1, 0 and 1, -1, 1, -2.
	 */
	for (size_t i = 0; i < 8; i++) {
		cr_expect_eq(r.qkeras[i], expected[i], "QKeras element %zu",
			     i);
		cr_expect_eq(r.proxy[i], expected[i], "proxy element %zu",
			     i);
	}
	cr_expect_eq(r.equal, 1);
	qk_sim_free(sim);
	qk_model_free(m);
}

/*
 * Input 2x3x2 -> quantized_bits(2,1) -> QSeparableConv2D 2x2, depth
 * multiplier 2, 2 filters, with bias: the depthwise step of the
 * depthwise test, then a 1x1 Dense over its 4 channels.
 */
Test(sim, separable_conv2d_values)
{
	static const float depthwise[16] = {
		0.5f, -0.25f, 0.75f, 0.125f, -1.0f, 0.375f, 0.25f, -0.5f,
		0.625f, 0.5f, -0.75f, 0.25f, 0.125f, -0.875f, 0.5f, 0.375f
	};
	/* [1, 1, channel, filter] */
	static const float pointwise[8] = {0.5f, -0.25f, 0.25f, 0.75f,
					   -0.5f, 0.125f, -1.0f, -0.375f};
	static const float bias[2] = {0.25f, -0.5f};
	static const int64_t dshape[4] = {2, 2, 2, 2};
	static const int64_t pshape[4] = {1, 1, 4, 2};
	static const int64_t bshape[1] = {2};
	const float input[12] = {1, -2, 0, 1, -1, -1, -2, 0, 1, 1, 0, -2};
	static const double expected[4] = {0.15625, -1.890625, 1.59375,
					   -1.015625};
	struct qk_model *m = qkt_sequential(
		SIMT_INPUT_SHAPE("2, 3, 2") ", "
		SIMT_QACT("q_in", "quantized_bits(2,1,alpha=1)") ", "
		"{'class_name': 'QSeparableConv2D', 'config': {'name': 'sep', "
		"'filters': 2, 'kernel_size': [2, 2], 'strides': [1, 1], "
		"'padding': 'valid', 'depth_multiplier': 2, "
		"'dilation_rate': [1, 1], 'use_bias': true, "
		"'depthwise_quantizer': 'quantized_bits(4,0,alpha=1)', "
		"'pointwise_quantizer': 'quantized_bits(4,0,alpha=1)', "
		"'bias_quantizer': 'quantized_bits(4,0,alpha=1)', "
		"'activation': 'linear'}}");
	struct qk_sim *sim;
	struct run r;

	simt_weight(m, "sep", "depthwise_kernel", 4, dshape, depthwise);
	simt_weight(m, "sep", "pointwise_kernel", 4, pshape, pointwise);
	simt_weight(m, "sep", "bias", 1, bshape, bias);
	sim = build_ok(m, 0, NULL);
	run_both(sim, input, &r);
	cr_assert_eq(r.n, 4);
	/*
	 * The depthwise step gives -0.625, -2.125, -0.75, -0.375 at the
	 * first position and 1.625, 0.125, -1.25, 0.125 at the second.
	 * Filter 0 at the first: -0.3125 - 0.53125 + 0.375 + 0.375 + 0.25.
	 */
	for (size_t i = 0; i < 4; i++) {
		cr_expect_eq(r.qkeras[i], expected[i], "QKeras element %zu",
			     i);
		cr_expect_eq(r.proxy[i], expected[i], "proxy element %zu",
			     i);
	}
	cr_expect_eq(r.equal, 1);
	qk_sim_free(sim);
	qk_model_free(m);
}

/*
 * Input 3x2 -> quantized_bits(2,1) -> QSeparableConv1D of size 2, one
 * filter, with bias. The depthwise step gives 0.5, 0.625 at position 0
 * and -0.75, -0.375 at position 1; the pointwise step weighs them by 0.5
 * and -0.75 and adds 0.125.
 */
Test(sim, separable_conv1d_values)
{
	/* [k, channel, 1] */
	static const float depthwise[4] = {0.5f, -0.25f, 0.75f, 0.125f};
	static const float pointwise[2] = {0.5f, -0.75f};
	static const float bias[1] = {0.125f};
	static const int64_t dshape[3] = {2, 2, 1};
	static const int64_t pshape[3] = {1, 2, 1};
	static const int64_t bshape[1] = {1};
	const float input[6] = {1, -2, 0, 1, -1, -1};
	struct qk_model *m = qkt_sequential(
		SIMT_INPUT_SHAPE("3, 2") ", "
		SIMT_QACT("q_in", "quantized_bits(2,1,alpha=1)") ", "
		"{'class_name': 'QSeparableConv1D', 'config': {'name': 'sep', "
		"'filters': 1, 'kernel_size': [2], 'strides': [1], "
		"'padding': 'valid', 'depth_multiplier': 1, "
		"'dilation_rate': [1], 'use_bias': true, "
		"'depthwise_quantizer': 'quantized_bits(4,0,alpha=1)', "
		"'pointwise_quantizer': 'quantized_bits(4,0,alpha=1)', "
		"'bias_quantizer': 'quantized_bits(4,0,alpha=1)', "
		"'activation': 'linear'}}");
	struct qk_sim *sim;
	struct run r;

	simt_weight(m, "sep", "depthwise_kernel", 3, dshape, depthwise);
	simt_weight(m, "sep", "pointwise_kernel", 3, pshape, pointwise);
	simt_weight(m, "sep", "bias", 1, bshape, bias);
	sim = build_ok(m, 0, NULL);
	run_both(sim, input, &r);
	cr_assert_eq(r.n, 2);
	cr_expect_eq(r.qkeras[0], -0.09375);
	cr_expect_eq(r.qkeras[1], 0.03125);
	cr_expect_eq(r.proxy[0], -0.09375);
	cr_expect_eq(r.proxy[1], 0.03125);
	cr_expect_eq(r.equal, 1);
	qk_sim_free(sim);
	qk_model_free(m);
}

struct conv_case {
	int dims;
	int64_t in_h, in_w, channels;
	int64_t k_h, k_w, stride_h, stride_w, dilation_h, dilation_w;
	int same;
	int64_t filters;
};

static uint64_t next_random(uint64_t *state)
{
	*state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
	return *state >> 33;
}

/* Keras' output length, and the padding before the first window. */
static int64_t keras_length(int64_t in, int64_t k, int64_t stride,
			    int64_t dilation, int same, int64_t *pad)
{
	int64_t span = dilation * (k - 1) + 1;
	int64_t out, total;

	*pad = 0;
	if (!same)
		return (in - span) / stride + 1;
	out = (in + stride - 1) / stride;
	total = (out - 1) * stride + span - in;
	*pad = total > 0 ? total / 2 : 0;
	return out;
}

/* Sums one output of the direct convolution over a padded input. */
static double direct_output(const struct conv_case *c, const double *padded,
			    int64_t padded_w, const double *kernel,
			    int64_t oh, int64_t ow, int64_t f)
{
	double sum = 0;

	for (int64_t a = 0; a < c->k_h; a++)
		for (int64_t b = 0; b < c->k_w; b++) {
			int64_t pi = oh * c->stride_h + a * c->dilation_h;
			int64_t pj = ow * c->stride_w + b * c->dilation_w;
			const double *v =
				padded + (pi * padded_w + pj) * c->channels;
			const double *w =
				kernel + (a * c->k_w + b) * c->channels *
						 c->filters;

			for (int64_t ch = 0; ch < c->channels; ch++)
				sum += v[ch] * w[ch * c->filters + f];
		}
	return sum;
}

/*
 * Computes a convolution directly: copies the input into a zero-padded
 * array and sums every kernel tap of every window, integers in double.
 */
static void direct_conv(const struct conv_case *c, const double *x,
			const double *kernel, const double *bias,
			int64_t out_h, int64_t out_w, int64_t pad_h,
			int64_t pad_w, double *y)
{
	int64_t span_h = c->dilation_h * (c->k_h - 1) + 1;
	int64_t span_w = c->dilation_w * (c->k_w - 1) + 1;
	int64_t ph = (out_h - 1) * c->stride_h + span_h;
	int64_t pw = (out_w - 1) * c->stride_w + span_w;
	double *padded = calloc((size_t)(ph * pw * c->channels),
				sizeof(double));

	cr_assert_not_null(padded);
	for (int64_t i = 0; i < c->in_h; i++)
		for (int64_t j = 0; j < c->in_w; j++) {
			int64_t pi = i + pad_h, pj = j + pad_w;

			/* 'valid' drops rows and columns no window reads. */
			if (pi >= ph || pj >= pw)
				continue;
			memcpy(padded + (pi * pw + pj) * c->channels,
			       x + (i * c->in_w + j) * c->channels,
			       (size_t)c->channels * sizeof(double));
		}
	for (int64_t oh = 0; oh < out_h; oh++)
		for (int64_t ow = 0; ow < out_w; ow++)
			for (int64_t f = 0; f < c->filters; f++)
				y[(oh * out_w + ow) * c->filters + f] =
					bias[f] + direct_output(c, padded, pw,
								kernel, oh, ow,
								f);
	free(padded);
}

/* Builds the case as a model with integer inputs, kernel and bias. */
static struct qk_model *conv_case_model(const struct conv_case *c,
					const float *kernel, const float *bias)
{
	char text[2048], shape[64], size[64], strides[64], dilation[64];
	int64_t kshape[4], bshape[1] = {c->filters};
	struct qk_model *m;
	int n = 0;

	if (c->dims == 2) {
		snprintf(shape, sizeof(shape), "%lld, %lld, %lld",
			 (long long)c->in_h, (long long)c->in_w,
			 (long long)c->channels);
		snprintf(size, sizeof(size), "[%lld, %lld]",
			 (long long)c->k_h, (long long)c->k_w);
		snprintf(strides, sizeof(strides), "[%lld, %lld]",
			 (long long)c->stride_h, (long long)c->stride_w);
		snprintf(dilation, sizeof(dilation), "[%lld, %lld]",
			 (long long)c->dilation_h, (long long)c->dilation_w);
		kshape[n++] = c->k_h;
	} else {
		snprintf(shape, sizeof(shape), "%lld, %lld",
			 (long long)c->in_w, (long long)c->channels);
		snprintf(size, sizeof(size), "[%lld]", (long long)c->k_w);
		snprintf(strides, sizeof(strides), "[%lld]",
			 (long long)c->stride_w);
		snprintf(dilation, sizeof(dilation), "[%lld]",
			 (long long)c->dilation_w);
	}
	kshape[n++] = c->k_w;
	kshape[n++] = c->channels;
	kshape[n++] = c->filters;
	snprintf(text, sizeof(text),
		 SIMT_INPUT_SHAPE("%s") ", "
		 SIMT_QACT("q_in", "quantized_bits(6,5,alpha=1)") ", "
		 "{'class_name': 'QConv%dD', 'config': {'name': 'conv', "
		 "'filters': %lld, 'kernel_size': %s, 'strides': %s, "
		 "'padding': '%s', 'dilation_rate': %s, 'use_bias': true, "
		 "'kernel_quantizer': 'quantized_bits(4,3,alpha=1)', "
		 "'bias_quantizer': 'quantized_bits(4,3,alpha=1)', "
		 "'activation': 'linear'}}",
		 shape, c->dims, (long long)c->filters, size, strides,
		 c->same ? "same" : "valid", dilation);
	m = qkt_sequential(text);
	simt_weight(m, "conv", "kernel", n, kshape, kernel);
	simt_weight(m, "conv", "bias", 1, bshape, bias);
	return m;
}

/*
 * Strides, dilation and both paddings, in 1-D and 2-D, against the
 * direct computation on random integers, where float32 sums are exact.
 */
Test(sim, conv_matches_direct_sum)
{
	static const struct conv_case cases[] = {
		{2, 5, 6, 2, 3, 2, 1, 2, 1, 1, 1, 3},
		{2, 5, 5, 1, 3, 3, 2, 2, 1, 1, 1, 1},
		{2, 7, 6, 2, 2, 3, 1, 1, 2, 2, 0, 2},
		{2, 4, 7, 3, 3, 3, 1, 1, 2, 1, 1, 2},
		{2, 6, 6, 1, 4, 4, 3, 3, 1, 1, 1, 2},
		{2, 3, 3, 1, 4, 2, 2, 2, 1, 1, 1, 1},
		{1, 1, 9, 2, 1, 3, 1, 2, 1, 1, 0, 2},
		{1, 1, 8, 3, 1, 4, 1, 3, 1, 1, 1, 1},
		{1, 1, 7, 1, 1, 3, 1, 1, 1, 3, 1, 2},
		{1, 1, 5, 2, 1, 2, 1, 1, 1, 4, 1, 3},
	};
	uint64_t state = 12345;

	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		const struct conv_case *c = &cases[k];
		size_t n_in = (size_t)(c->in_h * c->in_w * c->channels);
		size_t n_k = (size_t)(c->k_h * c->k_w * c->channels *
				      c->filters);
		int64_t pad_h, pad_w;
		int64_t out_h = keras_length(c->in_h, c->k_h, c->stride_h,
					     c->dilation_h, c->same, &pad_h);
		int64_t out_w = keras_length(c->in_w, c->k_w, c->stride_w,
					     c->dilation_w, c->same, &pad_w);
		size_t n_out = (size_t)(out_h * out_w * c->filters);
		float input[256], kernel[256], bias[8];
		double xd[256], kd[256], bd[8], expected[256];
		double qkeras[256], proxy[256];
		struct qk_model *m;
		struct qk_sim *sim;

		cr_assert(n_in <= 256 && n_k <= 256 && n_out <= 256);
		for (size_t i = 0; i < n_in; i++) {
			input[i] = (float)((int)(next_random(&state) % 64) -
					   32);
			xd[i] = input[i];
		}
		for (size_t i = 0; i < n_k; i++) {
			kernel[i] = (float)((int)(next_random(&state) % 16) -
					    8);
			kd[i] = kernel[i];
		}
		for (int64_t f = 0; f < c->filters; f++) {
			bias[f] = (float)((int)(next_random(&state) % 16) - 8);
			bd[f] = bias[f];
		}
		direct_conv(c, xd, kd, bd, out_h, out_w, pad_h, pad_w,
			    expected);
		m = conv_case_model(c, kernel, bias);
		sim = build_ok(m, 0, NULL);
		cr_assert_eq(qk_sim_output_size(sim), n_out, "case %zu", k);
		qk_sim_run_qkeras(sim, input);
		qk_sim_run_proxy(sim, input);
		qk_sim_qkeras_outputs(sim, qkeras);
		qk_sim_proxy_outputs(sim, proxy);
		for (size_t i = 0; i < n_out; i++) {
			cr_expect_eq(proxy[i], expected[i],
				     "case %zu element %zu: proxy %g, "
				     "direct %g",
				     k, i, proxy[i], expected[i]);
			cr_expect_eq(qkeras[i], expected[i],
				     "case %zu element %zu: qkeras %g, direct "
				     "%g",
				     k, i, qkeras[i], expected[i]);
		}
		cr_expect_eq(qk_sim_outputs_equal(sim), 1, "case %zu", k);
		qk_sim_free(sim);
		qk_model_free(m);
	}
}

/* Input 3x3x1 of integers -> quantized_bits(4,3) -> the pooling layer. */
static struct qk_model *pool_model(const char *shape, const char *pool)
{
	char text[1024];

	snprintf(text, sizeof(text),
		 SIMT_INPUT_SHAPE("%s") ", "
		 SIMT_QACT("q_in", "quantized_bits(4,3,alpha=1)") ", %s",
		 shape, pool);
	return qkt_sequential(text);
}

/* 'same' padding must not let a padded zero win over negative values. */
Test(sim, max_pooling_same_padding)
{
	struct qk_model *m = pool_model(
		"3, 3, 1",
		"{'class_name': 'MaxPooling2D', 'config': {'name': 'pool', "
		"'pool_size': [2, 2], 'strides': [2, 2], 'padding': 'same'}}");
	struct qk_sim *sim = build_ok(m, 0, NULL);
	const float input[9] = {-5, -3, -7, -2, -8, -1, -6, -4, -3};
	struct run r;

	run_both(sim, input, &r);
	cr_assert_eq(r.n, 4);
	/* Windows {-5,-3,-2,-8}, {-7,-1}, {-6,-4}, {-3}. */
	cr_expect_eq(r.proxy[0], -2.0);
	cr_expect_eq(r.proxy[1], -1.0);
	cr_expect_eq(r.proxy[2], -4.0);
	cr_expect_eq(r.proxy[3], -3.0);
	for (size_t i = 0; i < 4; i++)
		cr_expect_eq(r.qkeras[i], r.proxy[i], "element %zu", i);
	cr_expect_eq(r.equal, 1);
	qk_sim_free(sim);
	qk_model_free(m);
}

/*
 * Input length 5 x 2 channels -> AveragePooling1D of 2 with 'same'
 * padding and the default strides (the pool size): windows {0,1},
 * {2,3} and {4}, the last one divided by 1 as Keras does.
 */
Test(sim, average_pooling_values)
{
	struct qk_model *m = pool_model(
		"5, 2",
		"{'class_name': 'AveragePooling1D', 'config': {'name': 'pool', "
		"'pool_size': [2], 'strides': null, 'padding': 'same'}}");
	struct qk_sim *sim = build_ok(m, 0, NULL);
	const float input[10] = {1, -3, 2, 4, -5, 7, 6, 0, 3, -1};
	static const double expected[6] = {1.5, 0.5, 0.5, 3.5, 3.0, -1.0};
	struct run r;

	run_both(sim, input, &r);
	cr_assert_eq(r.n, 6);
	for (size_t i = 0; i < 6; i++) {
		cr_expect_eq(r.proxy[i], expected[i], "proxy element %zu: %g",
			     i, r.proxy[i]);
		cr_expect_eq(r.qkeras[i], expected[i],
			     "qkeras element %zu: %g", i, r.qkeras[i]);
	}
	cr_expect_eq(r.equal, 1);
	cr_expect_eq(qk_sim_n_notes(sim), 0);
	qk_sim_free(sim);
	qk_model_free(m);
}

Test(sim, average_pooling_by_three_stops)
{
	struct qk_model *m = pool_model(
		"6, 1",
		"{'class_name': 'AveragePooling1D', 'config': {'name': 'pool', "
		"'pool_size': [3], 'strides': [3], 'padding': 'valid'}}");
	struct qk_sim *sim = build_ok(m, 0, NULL);

	cr_expect(has_note(sim, "dividing by the pool size 3"));
	cr_assert_eq(qk_sim_n_outputs(sim), 1);
	cr_expect_eq(qk_sim_output(sim, 0)->is_model_output, 0);
	cr_expect(strstr(qk_sim_output(sim, 0)->label, "'q_in'"), "%s",
		  qk_sim_output(sim, 0)->label);
	cr_expect_eq(qk_sim_output(sim, 0)->count, 6);
	qk_sim_free(sim);
	qk_model_free(m);
}

/* Pool 4, stride 4, 'same' on 5: padding 1 before, so 3 in the window. */
Test(sim, same_padding_edge_average_stops)
{
	struct qk_model *m = pool_model(
		"5, 1",
		"{'class_name': 'AveragePooling1D', 'config': {'name': 'pool', "
		"'pool_size': [4], 'strides': [4], 'padding': 'same'}}");
	struct qk_sim *sim = build_ok(m, 0, NULL);

	cr_expect(has_note(sim, "divides by 3"));
	cr_assert_eq(qk_sim_n_outputs(sim), 1);
	cr_expect_eq(qk_sim_output(sim, 0)->is_model_output, 0);
	qk_sim_free(sim);
	qk_model_free(m);
}

Test(sim, global_pooling_values)
{
	static const char *const layers[] = {
		"{'class_name': 'GlobalAveragePooling2D', 'config': "
		"{'name': 'pool'}}",
		"{'class_name': 'GlobalMaxPooling2D', 'config': "
		"{'name': 'pool'}}",
	};
	/* 2x2 positions x 2 channels: channel 0 is 3, -1, 6, 1. */
	const float input[8] = {3, -2, -1, -5, 6, 7, 1, -3};
	static const double expected[2][2] = {{2.25, -0.75}, {6.0, 7.0}};

	for (size_t k = 0; k < 2; k++) {
		struct qk_model *m = pool_model("2, 2, 2", layers[k]);
		struct qk_sim *sim = build_ok(m, 0, NULL);
		struct run r;

		run_both(sim, input, &r);
		cr_assert_eq(r.n, 2);
		for (size_t i = 0; i < 2; i++) {
			cr_expect_eq(r.proxy[i], expected[k][i],
				     "layer %zu element %zu: %g", k, i,
				     r.proxy[i]);
			cr_expect_eq(r.qkeras[i], expected[k][i],
				     "layer %zu element %zu: %g", k, i,
				     r.qkeras[i]);
		}
		cr_expect_eq(r.equal, 1);
		qk_sim_free(sim);
		qk_model_free(m);
	}
}

Test(sim, global_average_by_nine_stops)
{
	struct qk_model *m = pool_model(
		"3, 3, 1",
		"{'class_name': 'GlobalAveragePooling2D', 'config': "
		"{'name': 'pool'}}");
	struct qk_sim *sim = build_ok(m, 0, NULL);

	cr_expect(has_note(sim, "dividing by the pool size 9"));
	cr_expect_eq(qk_sim_output(sim, 0)->is_model_output, 0);
	qk_sim_free(sim);
	qk_model_free(m);
}

/*
 * Flatten reuses its input's tensor, so a Concatenate after it must
 * join the flattened vectors, not the channels of the 2x1x2 tensors.
 */
Test(sim, concatenate_after_flatten)
{
	struct qk_model *m = qkt_model(
		"{'class_name': 'Functional', 'config': {'name': 'm', "
		"'layers': ["
		"{'class_name': 'InputLayer', 'name': 'x', 'config': "
		"{'name': 'x', 'batch_input_shape': [null, 2, 1, 2]}, "
		"'inbound_nodes': []}, "
		"{'class_name': 'QActivation', 'name': 'q', 'config': "
		"{'name': 'q', 'activation': 'quantized_bits(4,3,alpha=1)'}, "
		"'inbound_nodes': [[['x', 0, 0, {}]]]}, "
		"{'class_name': 'Flatten', 'name': 'f', 'config': "
		"{'name': 'f'}, 'inbound_nodes': [[['q', 0, 0, {}]]]}, "
		"{'class_name': 'MaxPooling2D', 'name': 'p', 'config': "
		"{'name': 'p', 'pool_size': [2, 1], 'strides': [2, 1], "
		"'padding': 'valid'}, 'inbound_nodes': [[['q', 0, 0, {}]]]}, "
		"{'class_name': 'Flatten', 'name': 'g', 'config': "
		"{'name': 'g'}, 'inbound_nodes': [[['p', 0, 0, {}]]]}, "
		"{'class_name': 'Concatenate', 'name': 'c', 'config': "
		"{'name': 'c', 'axis': -1}, "
		"'inbound_nodes': [[['f', 0, 0, {}], ['g', 0, 0, {}]]]}], "
		"'input_layers': [['x', 0, 0]], "
		"'output_layers': [['c', 0, 0]]}}");
	struct qk_sim *sim = build_ok(m, 0, NULL);
	const float input[4] = {1, -2, 3, -4};
	static const double expected[6] = {1, -2, 3, -4, 3, -2};
	struct run r;

	run_both(sim, input, &r);
	cr_assert_eq(r.n, 6);
	for (size_t i = 0; i < 6; i++) {
		cr_expect_eq(r.proxy[i], expected[i], "element %zu: %g", i,
			     r.proxy[i]);
		cr_expect_eq(r.qkeras[i], expected[i], "element %zu: %g", i,
			     r.qkeras[i]);
	}
	qk_sim_free(sim);
	qk_model_free(m);
}

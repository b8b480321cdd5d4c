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

Test(sim, convolution_rejected)
{
	struct qk_model *m = qkt_sequential(
		"{'class_name': 'InputLayer', 'config': {'name': 'x', "
		"'batch_input_shape': [null, 4, 4, 1]}}, "
		SIMT_QACT("q_in", "quantized_bits(8,3,alpha=1)") ", "
		"{'class_name': 'QConv2D', 'config': {'name': 'c', "
		"'filters': 1, 'kernel_size': [2, 2], "
		"'kernel_quantizer': 'quantized_bits(8,0,alpha=1)'}}");
	struct qk_sim_options options = {0, NULL};
	struct qk_err err = QK_ERR_INIT;

	cr_assert_null(qk_sim_build(m, &options, &err));
	cr_expect(strstr(err.msg, "convolution"), "message: %s", err.msg);
	cr_expect(strstr(err.msg, "'c'"), "message: %s", err.msg);
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

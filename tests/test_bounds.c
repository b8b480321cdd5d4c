/*
 * Bound analysis on small models built in memory. Ranges are derived by
 * hand on raw integers in the comment above each case.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "../verify/bounds.h"
#include "sim_helper.h"

struct analysed {
	struct qk_model *model;
	struct qk_precision *prec;
	struct qk_bounds *bounds;
};

static void analyse(struct analysed *a)
{
	struct qk_err err = QK_ERR_INIT;

	cr_assert_eq(qk_precision_derive(a->model, NULL, &a->prec, &err), 0,
		     "%s", err.msg);
	cr_assert_eq(qk_bounds_analyze(a->prec, &a->bounds, &err), 0, "%s",
		     err.msg);
}

static void release(struct analysed *a)
{
	qk_bounds_free(a->bounds);
	qk_precision_free(a->prec);
	qk_model_free(a->model);
}

static const struct qk_layer_bounds *layer_bounds(const struct analysed *a,
						  const char *name)
{
	const struct qk_layer_bounds *lb =
		qk_bounds_layer(a->bounds, qk_model_index(a->model, name));

	cr_assert_not_null(lb, "no layer %s", name);
	cr_assert(lb->known, "%s unknown: %s", name,
		  lb->reason ? lb->reason : "");
	return lb;
}

static void expect_range(const struct qk_bound *b, int frac, double lo,
			 double hi)
{
	cr_expect_eq(qk_bound_to_double(b->lo, frac), lo, "lo %.17g, "
		     "expected %.17g", qk_bound_to_double(b->lo, frac), lo);
	cr_expect_eq(qk_bound_to_double(b->hi, frac), hi, "hi %.17g, "
		     "expected %.17g", qk_bound_to_double(b->hi, frac), hi);
}

static struct qk_model *dense_model_in(const char *input_quantizer,
				       const float *kernel, const float *bias,
				       const char *activation)
{
	char layers[1024];
	struct qk_model *model;

	snprintf(layers, sizeof(layers), "%s,%s,"
		 "{'class_name': 'QDense', 'config': {'name': 'fc', "
		 "'units': 1, 'use_bias': %s, "
		 "'kernel_quantizer': 'quantized_bits(6,0,alpha=1)', "
		 "'bias_quantizer': 'quantized_bits(6,0,alpha=1)', "
		 "'activation': '%s'}}",
		 SIMT_INPUT(2), input_quantizer, bias ? "true" : "false",
		 activation);
	model = qkt_sequential(layers);
	simt_dense_weights(model, "fc", 2, 1, kernel, bias);
	return model;
}

static struct qk_model *dense_model(const float *kernel, const float *bias,
				    const char *activation)
{
	return dense_model_in(SIMT_QACT("qin", "quantized_bits(8,2,alpha=1)"),
			      kernel, bias, activation);
}

/*
 * Input (1,2,5): raw [-128, 127] in steps of 1/32. Kernel 0.3, -0.7
 * quantize to 5/16, -11/16 (raw 5, -11 at f = 4); the sum counts steps of
 * 2^-9: 5 * [-128, 127] = [-640, 635], -11 * [-128, 127] = [-1397, 1408],
 * bias 1/4 = 128: [-1909, 2171], i.e. [-3.728515625, 4.240234375]. The
 * safe accumulator ap_fixed<13,4> spans [-4096, 4095]: fits. The fast one,
 * ap_fixed<11,2>, spans [-1024, 1023]: it wraps. The quantizer
 * quantized_bits(6,1) spans [-2, 1.9375], so WRAP is unsafe.
 */
Test(bounds, dense_by_hand_wrap_unsafe)
{
	static const float kernel[] = { 0.3f, -0.7f };
	static const float bias[] = { 0.25f };
	struct analysed a = { dense_model(kernel, bias,
					  "quantized_bits(6,1,alpha=1)"),
			      NULL, NULL };
	const struct qk_layer_bounds *fc;

	analyse(&a);
	fc = layer_bounds(&a, "fc");
	cr_assert_eq(fc->n_accum, 1);
	cr_expect_eq(fc->accum_frac, 9);
	expect_range(&fc->accum[0], fc->accum_frac, -3.728515625,
		     4.240234375);
	cr_expect(fc->accum_fits[QK_PREC_SAFE]);
	cr_expect_not(fc->accum_fits[QK_PREC_FAST]);
	cr_expect(fc->has_wrap);
	cr_expect_eq(fc->wrap_unsafe, 1);
	expect_range(&fc->out[0], fc->frac, -2.0, 1.9375);
	cr_expect_not(a.bounds->fast_equivalent);
	cr_expect(a.bounds->accum_safe);
	cr_expect(a.bounds->complete);
	release(&a);
}

/*
 * Kernel 1/32 twice, bias 1/4: 1/32 * [-4, 3.96875] twice plus 1/4 is
 * [0, 0.498046875], inside [-2, 1.9375]: WRAP never triggers at fc. The
 * input quantizer does: the fast-mode input type keeps two fractional bits
 * more and truncates, so 3.9921875 reaches it and rounds to 4, one step
 * past its largest value 3.96875.
 */
Test(bounds, small_weights_wrap_safe)
{
	static const float kernel[] = { 0.03125f, 0.03125f };
	static const float bias[] = { 0.25f };
	struct analysed a = { dense_model(kernel, bias,
					  "quantized_bits(6,1,alpha=1)"),
			      NULL, NULL };
	const struct qk_layer_bounds *fc;

	analyse(&a);
	fc = layer_bounds(&a, "fc");
	expect_range(&fc->accum[0], fc->accum_frac, 0.0, 0.498046875);
	cr_expect(fc->has_wrap);
	cr_expect_eq(fc->wrap_unsafe, 0);
	cr_expect_eq(layer_bounds(&a, "qin")->wrap_unsafe, 2);
	cr_expect_not(a.bounds->fast_equivalent);
	cr_expect(a.bounds->accum_safe);
	release(&a);
}

/* A symmetric input quantizer keeps SAT_SYM in fast mode: nothing wraps. */
Test(bounds, symmetric_input_fast_equivalent)
{
	static const float kernel[] = { 0.03125f, 0.03125f };
	static const float bias[] = { 0.25f };
	struct analysed a = {
		dense_model_in(SIMT_QACT("qin",
					 "quantized_bits(8,2,1,alpha=1)"),
			       kernel, bias, "quantized_bits(6,1,alpha=1)"),
		NULL, NULL
	};

	analyse(&a);
	cr_expect_not(layer_bounds(&a, "qin")->has_wrap);
	cr_expect_eq(layer_bounds(&a, "fc")->wrap_unsafe, 0);
	cr_expect(a.bounds->fast_equivalent);
	release(&a);
}

/*
 * Weights -1 and 0 over two inputs: the accumulator gets ceil(log2 2) = 1
 * integer bit of headroom, ap_fixed<9,4>, so -1 * -4 = 4 fits.
 */
Test(bounds, fan_in_two_has_headroom)
{
	static const float kernel[] = { -1.0f, 0.0f };
	struct analysed a = { dense_model(kernel, NULL, "linear"), NULL,
			      NULL };
	const struct qk_layer_bounds *fc;
	char buf[96];

	analyse(&a);
	cr_expect_str_eq(qk_fixed_format(&qk_precision_layer(
					 a.prec, QK_PREC_SAFE,
					 qk_model_index(a.model, "fc"))
					 ->accum.fixed, buf, sizeof(buf)),
			 "ap_fixed<9,4>");
	fc = layer_bounds(&a, "fc");
	expect_range(&fc->accum[0], fc->accum_frac, -3.96875, 4.0);
	cr_expect(fc->accum_fits[QK_PREC_SAFE]);
	release(&a);
}

/*
 * The corner the derivation misses: input (1,2,5) reaches -4, a weight of
 * -1 is (1,0,0), fan-in 1, so the accumulator is (1,2,5) = ap_fixed<8,3>
 * with largest value 3.96875, but -1 * -4 = 4 overflows it.
 */
Test(bounds, fan_in_one_corner_overflows)
{
	static const float kernel[] = { -1.0f };
	struct qk_model *model = qkt_sequential(
		SIMT_INPUT(1) ","
		SIMT_QACT("qin", "quantized_bits(8,2,alpha=1)") ","
		SIMT_QDENSE("fc", 1, "quantized_bits(6,0,alpha=1)",
			    "linear"));
	struct analysed a = { model, NULL, NULL };
	const struct qk_layer_bounds *fc;

	simt_dense_weights(model, "fc", 1, 1, kernel, NULL);
	analyse(&a);
	fc = layer_bounds(&a, "fc");
	expect_range(&fc->accum[0], fc->accum_frac, -3.96875, 4.0);
	cr_expect_not(fc->accum_fits[QK_PREC_SAFE]);
	cr_expect_not(a.bounds->accum_safe);
	release(&a);
}

/*
 * Conv1D over 3 values, kernel [0.5, 0.25], 'same' padding: the pad is 1
 * in total, all on the right, so outputs 0 and 1 see 0.5 x0 + 0.25 x1 in
 * [-3, 2.9765625] and output 2 gets only 0.5 x2 in [-2, 1.984375].
 */
Test(bounds, conv1d_same_padding_per_element)
{
	static const float kernel[] = { 0.5f, 0.25f };
	static const int64_t shape[] = { 2, 1, 1 };
	struct qk_model *model = qkt_sequential(
		"{'class_name': 'InputLayer', 'config': {'name': 'x', "
		"'batch_input_shape': [null, 3, 1]}},"
		SIMT_QACT("qin", "quantized_bits(8,2,alpha=1)") ","
		"{'class_name': 'QConv1D', 'config': {'name': 'conv', "
		"'filters': 1, 'kernel_size': [2], 'strides': [1], "
		"'padding': 'same', 'use_bias': false, "
		"'kernel_quantizer': 'quantized_bits(6,0,alpha=1)', "
		"'activation': 'linear'}}");
	struct analysed a = { model, NULL, NULL };
	const struct qk_layer_bounds *conv;

	simt_weight(model, "conv", "kernel", 3, shape, kernel);
	analyse(&a);
	conv = layer_bounds(&a, "conv");
	cr_assert_eq(conv->n_accum, 3);
	expect_range(&conv->accum[0], conv->accum_frac, -3.0, 2.9765625);
	expect_range(&conv->accum[1], conv->accum_frac, -3.0, 2.9765625);
	expect_range(&conv->accum[2], conv->accum_frac, -2.0, 1.984375);
	release(&a);
}

/* relu clamps at 0, and a quantized_relu keeps SAT, so no WRAP check. */
Test(bounds, relu_quantizer_not_wrap)
{
	static const float kernel[] = { 0.5f, 0.5f };
	struct qk_model *model = qkt_sequential(
		SIMT_INPUT(2) ","
		SIMT_QACT("qin", "quantized_bits(8,2,alpha=1)") ","
		SIMT_QDENSE("fc", 1, "quantized_bits(6,0,alpha=1)",
			    "quantized_relu(4,0)"));
	struct analysed a = { model, NULL, NULL };
	const struct qk_layer_bounds *fc;

	simt_dense_weights(model, "fc", 2, 1, kernel, NULL);
	analyse(&a);
	fc = layer_bounds(&a, "fc");
	cr_expect_not(fc->has_wrap);
	expect_range(&fc->out[0], fc->frac, 0.0, 0.9375);
	release(&a);
}

Test(bounds, report_states_conclusions)
{
	static const float kernel[] = { 0.3f, -0.7f };
	static const float bias[] = { 0.25f };
	struct analysed a = { dense_model(kernel, bias,
					  "quantized_bits(6,1,alpha=1)"),
			      NULL, NULL };
	struct qk_err err = QK_ERR_INIT;
	char *text = NULL;
	size_t size = 0;
	FILE *out;

	analyse(&a);
	out = open_memstream(&text, &size);
	cr_assert_not_null(out);
	cr_assert_eq(qk_bounds_write(out, a.bounds, &err), 0);
	fclose(out);
	cr_expect(strstr(text, "fast mode is not proven equivalent") != NULL,
		  "%s", text);
	cr_expect(strstr(text, "WRAP unsafe for 1 elements") != NULL, "%s",
		  text);
	cr_expect(strstr(text, "never overflow") != NULL, "%s", text);
	free(text);
	release(&a);
}

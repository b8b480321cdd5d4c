/*
 * Precision derivation on small models built in memory. The expected
 * types are derived by hand in the comment above each case.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <criterion/criterion.h>

#include "../verify/precision.h"
#include "sim_helper.h"

static char *type_at(const struct qk_precision *prec, enum qk_prec_mode mode,
		     const char *layer, const char *which, char *buf)
{
	size_t index = qk_model_index(prec->model, layer);
	const struct qk_layer_prec *row;
	const struct qk_prec_type *t;

	cr_assert_neq(index, (size_t)-1, "no layer %s", layer);
	row = qk_precision_layer(prec, mode, index);
	if (!strcmp(which, "input"))
		t = &row->input;
	else if (!strcmp(which, "weight"))
		t = &row->weight;
	else if (!strcmp(which, "bias"))
		t = &row->bias;
	else if (!strcmp(which, "accum"))
		t = &row->accum;
	else if (!strcmp(which, "quantizer"))
		t = &row->quantizer;
	else
		t = &row->result;
	if (!t->present)
		return strcpy(buf, "-");
	return qk_fixed_format(&t->fixed, buf, 96);
}

static void expect_type(const struct qk_precision *prec,
			enum qk_prec_mode mode, const char *layer,
			const char *which, const char *expected)
{
	char buf[96];

	type_at(prec, mode, layer, which, buf);
	cr_expect_str_eq(buf, expected, "%s mode, %s %s: %s, expected %s",
			 qk_prec_mode_name(mode), layer, which, buf, expected);
}

static const struct qk_layer_prec *row_of(const struct qk_precision *prec,
					  enum qk_prec_mode mode,
					  const char *layer)
{
	return qk_precision_layer(prec, mode,
				  qk_model_index(prec->model, layer));
}

static struct qk_precision *derive(const struct qk_model *model,
				   const char *override)
{
	struct qk_precision *prec = NULL;
	struct qk_err err = QK_ERR_INIT;

	if (override)
		cr_assert_eq(qk_precision_derive_text(model, override, &prec,
						      &err), 0, "%s", err.msg);
	else
		cr_assert_eq(qk_precision_derive(model, NULL, &prec, &err), 0,
			     "%s", err.msg);
	return prec;
}

/*
 * Input quantized_bits(8,2): signed, 8 bits, I = 3, so (k,i,f) = (1,2,5).
 * The input layer takes f + 2 = 7, truncating: ap_fixed<10,3,AP_TRN,AP_SAT>.
 * Kernel [0.3, -0.7] through quantized_bits(6,0): steps of 1/32 give 10/32
 * and -22/32 = 5/16 and -11/16, so f_w = 4; 5 needs 3 bits (i = -1) and 11
 * needs 4 (i = 0): weight (1,0,4) = ap_fixed<5,1>. Bias 0.25 = 1/4:
 * (0,-1,2). Sum: k = 1, i = 2 + 0 + ceil(log2 2) = 3, f = 5 + 4 = 9:
 * ap_fixed<13,4>. The activation quantized_bits(6,1) is (1,1,4), RND_CONV,
 * SAT in safe mode and WRAP in fast mode, where the accumulator keeps the
 * result's sign and integer bits and the sum's fraction: (1,1,9) =
 * ap_fixed<11,2>.
 */
static const char dense_2_1[] =
	SIMT_INPUT(2) ","
	SIMT_QACT("qin", "quantized_bits(8,2,alpha=1)") ","
	SIMT_QDENSE_BIAS("fc", 1, "quantized_bits(6,0,alpha=1)",
			 "quantized_bits(6,0,alpha=1)",
			 "quantized_bits(6,1,alpha=1)");

static struct qk_model *dense_model(void)
{
	static const float kernel[] = { 0.3f, -0.7f };
	static const float bias[] = { 0.25f };
	struct qk_model *model = qkt_sequential(dense_2_1);

	simt_dense_weights(model, "fc", 2, 1, kernel, bias);
	return model;
}

Test(precision, dense_types_by_hand)
{
	struct qk_model *model = dense_model();
	struct qk_precision *prec = derive(model, NULL);
	const struct qk_layer_prec *fc = row_of(prec, QK_PREC_SAFE, "fc");

	expect_type(prec, QK_PREC_SAFE, "x", "result",
		    "ap_fixed<10,3,AP_TRN,AP_SAT>");
	expect_type(prec, QK_PREC_SAFE, "qin", "result",
		    "ap_fixed<8,3,AP_RND_CONV,AP_SAT>");
	expect_type(prec, QK_PREC_SAFE, "fc", "weight", "ap_fixed<5,1>");
	expect_type(prec, QK_PREC_SAFE, "fc", "accum", "ap_fixed<13,4>");
	expect_type(prec, QK_PREC_SAFE, "fc", "bias", "ap_fixed<13,4>");
	expect_type(prec, QK_PREC_SAFE, "fc", "result",
		    "ap_fixed<6,2,AP_RND_CONV,AP_SAT>");
	cr_expect_eq(fc->fan_in, 2);
	cr_expect_eq(fc->status, QK_PREC_EXACT);
	/* max(3, -1) integer + max(9, 2) fractional bits */
	cr_expect_eq(fc->accum_significant_bits, 12);
	cr_expect_eq(fc->flags & QK_PREC_FLAG_FLOAT32_INEXACT, 0u);
	cr_expect_eq(fc->flags & QK_PREC_FLAG_BIAS_INEXACT, 0u);
	qk_precision_free(prec);
	qk_model_free(model);
}

Test(precision, fast_mode_narrows_accumulator)
{
	struct qk_model *model = dense_model();
	struct qk_precision *prec = derive(model, NULL);

	expect_type(prec, QK_PREC_FAST, "x", "result", "ap_fixed<10,3>");
	expect_type(prec, QK_PREC_FAST, "fc", "result",
		    "ap_fixed<6,2,AP_RND_CONV>");
	expect_type(prec, QK_PREC_FAST, "fc", "accum", "ap_fixed<11,2>");
	qk_precision_free(prec);
	qk_model_free(model);
}

/*
 * Without an input quantizer the override is the input type: fixed<16,6>
 * is (1,5,10). quantized_bits(8,0) kernel values k/128 with an odd k give
 * f_w = 7; 64 inputs add ceil(log2 64) = 6 integer bits. With weights
 * 127/128 (i = 0): i = 5 + 0 + 6 = 11, f = 10 + 7 = 17, 29 bits, 28 of them
 * significant (> 24).
 */
Test(precision, wide_sum_is_float32_inexact)
{
	float kernel[64];
	struct qk_model *model = qkt_sequential(
		SIMT_INPUT(64) ","
		SIMT_QDENSE("fc", 1, "quantized_bits(8,0,alpha=1)",
			    "linear"));
	struct qk_precision *prec;
	const struct qk_layer_prec *fc;
	size_t j;

	for (j = 0; j < 64; j++)
		kernel[j] = 127.0f / 128.0f;
	simt_dense_weights(model, "fc", 64, 1, kernel, NULL);
	prec = derive(model, "fixed<16,6>");
	fc = row_of(prec, QK_PREC_SAFE, "fc");
	expect_type(prec, QK_PREC_SAFE, "fc", "accum", "ap_fixed<29,12>");
	cr_expect_eq(fc->accum_significant_bits, 28);
	cr_expect_neq(fc->flags & QK_PREC_FLAG_FLOAT32_INEXACT, 0u);
	cr_expect_eq(fc->flags & QK_PREC_FLAG_WIDER_32, 0u);
	cr_expect_neq(row_of(prec, QK_PREC_SAFE, "x")->flags &
			      QK_PREC_FLAG_INPUT_ASSUMED, 0u);
	cr_expect(prec->input_assumed);
	qk_precision_free(prec);
	qk_model_free(model);
}

/*
 * An unquantized plain Dense kernel of 0.1: 0.1f is 13421773 * 2^-27 with
 * an odd significand, so f = 27, and 0.1 < 2^-3 gives i = -3: (0,-3,27),
 * ap_ufixed<24,-3>. With fixed<16,6> input the sum has f = 10 + 27 = 37
 * and i = 5 - 3 + 0 = 2: 1 + 2 + 37 = 40 bits.
 */
Test(precision, unquantized_kernel_is_wide)
{
	static const float kernel[] = { 0.1f };
	struct qk_model *model = qkt_sequential(
		SIMT_INPUT(1) ","
		"{'class_name': 'Dense', 'config': {'name': 'fc', "
		"'units': 1, 'use_bias': false}}");
	struct qk_precision *prec;
	const struct qk_layer_prec *fc;

	simt_dense_weights(model, "fc", 1, 1, kernel, NULL);
	prec = derive(model, "fixed<16,6>");
	fc = row_of(prec, QK_PREC_SAFE, "fc");
	expect_type(prec, QK_PREC_SAFE, "fc", "weight", "ap_ufixed<24,-3>");
	expect_type(prec, QK_PREC_SAFE, "fc", "accum", "ap_fixed<40,3>");
	cr_expect_neq(fc->flags & QK_PREC_FLAG_WIDER_32, 0u);
	cr_expect_eq(fc->flags & QK_PREC_FLAG_WIDER_64, 0u);
	qk_precision_free(prec);
	qk_model_free(model);
}

Test(precision, missing_input_quantizer_needs_override)
{
	struct qk_model *model = qkt_sequential(
		SIMT_INPUT(2) ","
		SIMT_QDENSE("fc", 1, "quantized_bits(6,0,alpha=1)",
			    "linear"));
	struct qk_precision *prec = NULL;
	struct qk_err err = QK_ERR_INIT;

	cr_expect_eq(qk_precision_derive(model, NULL, &prec, &err), -1);
	cr_expect_null(prec);
	cr_expect(strstr(err.msg, "'x'") != NULL, "message: %s", err.msg);
	cr_expect_eq(qk_precision_derive_text(model, "fixed<16", &prec,
					      &err), -1);
	cr_expect(strstr(err.msg, "invalid input precision") != NULL,
		  "message: %s", err.msg);
	qk_model_free(model);
}

/*
 * quantized_relu(6,0) after a Dense: the Dense result is the proxy's
 * signed quantizer with one bit more, ap_fixed<7,1,AP_RND_CONV,AP_SAT>,
 * and the QActivation yields the unsigned form ap_ufixed<6,0>. The relu
 * quantizer keeps SAT in fast mode.
 */
Test(precision, relu_quantizer_after_dense)
{
	static const float kernel[] = { 0.5f, 0.25f };
	struct qk_model *model = qkt_sequential(
		SIMT_INPUT(2) ","
		SIMT_QACT("qin", "quantized_bits(8,2,alpha=1)") ","
		SIMT_QDENSE("fc", 1, "quantized_bits(6,0,alpha=1)",
			    "linear") ","
		SIMT_QACT("relu", "quantized_relu(6,0)"));
	struct qk_precision *prec;
	int m;

	simt_dense_weights(model, "fc", 2, 1, kernel, NULL);
	prec = derive(model, NULL);
	for (m = 0; m < QK_PREC_MODE_COUNT; m++) {
		expect_type(prec, (enum qk_prec_mode)m, "fc", "result",
			    "ap_fixed<7,1,AP_RND_CONV,AP_SAT>");
		expect_type(prec, (enum qk_prec_mode)m, "relu", "result",
			    "ap_ufixed<6,0,AP_RND_CONV,AP_SAT>");
		expect_type(prec, (enum qk_prec_mode)m, "relu", "quantizer",
			    "ap_ufixed<6,0,AP_RND_CONV,AP_SAT>");
	}
	qk_precision_free(prec);
	qk_model_free(model);
}

/* Add of two (1,2,5) inputs: one more integer bit, (1,3,5). */
Test(precision, add_grows_one_integer_bit)
{
	struct qk_model *model = qkt_model(
		"{'class_name': 'Functional', 'config': {'name': 'm', "
		"'layers': ["
		"{'class_name': 'InputLayer', 'name': 'x', 'config': "
		"{'name': 'x', 'batch_input_shape': [null, 4]}, "
		"'inbound_nodes': []},"
		"{'class_name': 'QActivation', 'name': 'a', 'config': "
		"{'name': 'a', 'activation': 'quantized_bits(8,2,alpha=1)'}, "
		"'inbound_nodes': [[['x', 0, 0, {}]]]},"
		"{'class_name': 'QActivation', 'name': 'b', 'config': "
		"{'name': 'b', 'activation': 'quantized_bits(8,2,alpha=1)'}, "
		"'inbound_nodes': [[['x', 0, 0, {}]]]},"
		"{'class_name': 'Add', 'name': 's', 'config': {'name': 's'}, "
		"'inbound_nodes': [[['a', 0, 0, {}], ['b', 0, 0, {}]]]}], "
		"'input_layers': [['x', 0, 0]], "
		"'output_layers': [['s', 0, 0]]}}");
	struct qk_precision *prec = derive(model, NULL);

	expect_type(prec, QK_PREC_SAFE, "s", "result", "ap_fixed<9,4>");
	qk_precision_free(prec);
	qk_model_free(model);
}

Test(precision, not_exact_and_unsupported_layers)
{
	static const float kernel[] = { 0.5f, 0.25f };
	struct qk_model *model = qkt_sequential(
		SIMT_INPUT(2) ","
		SIMT_QACT("qin", "quantized_bits(8,2,alpha=1)") ","
		SIMT_QDENSE("fc", 1, "quantized_bits(6,0,alpha=1)",
			    "softmax") ","
		SIMT_QACT("after", "quantized_bits(8,2,alpha=1)"));
	struct qk_precision *prec;
	const struct qk_layer_prec *fc, *after;

	simt_dense_weights(model, "fc", 2, 1, kernel, NULL);
	prec = derive(model, NULL);
	fc = row_of(prec, QK_PREC_SAFE, "fc");
	after = row_of(prec, QK_PREC_SAFE, "after");
	cr_expect_eq(fc->status, QK_PREC_NOT_EXACT);
	cr_expect(fc->accum.present);
	cr_expect_not(fc->result.present);
	cr_expect(strstr(fc->reason, "softmax") != NULL, "%s", fc->reason);
	cr_expect_eq(after->status, QK_PREC_UNSUPPORTED);
	cr_expect(strstr(after->reason, "'fc'") != NULL, "%s",
		  after->reason);
	qk_precision_free(prec);
	qk_model_free(model);
}

Test(precision, unsupported_kernel_quantizer)
{
	static const float kernel[] = { 0.5f, 0.25f };
	struct qk_model *model = qkt_sequential(
		SIMT_INPUT(2) ","
		SIMT_QDENSE("fc", 1, "quantized_bits(6,0)", "linear"));
	struct qk_precision *prec;
	const struct qk_layer_prec *fc;

	simt_dense_weights(model, "fc", 2, 1, kernel, NULL);
	prec = derive(model, "fixed<16,6>");
	fc = row_of(prec, QK_PREC_SAFE, "fc");
	cr_expect_eq(fc->status, QK_PREC_UNSUPPORTED);
	cr_expect(strstr(fc->reason, "auto_po2") != NULL, "%s", fc->reason);
	qk_precision_free(prec);
	qk_model_free(model);
}

Test(precision, table_lists_both_modes)
{
	struct qk_model *model = dense_model();
	struct qk_precision *prec = derive(model, NULL);
	struct qk_err err = QK_ERR_INIT;
	char *text = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&text, &size);

	cr_assert_not_null(out);
	cr_assert_eq(qk_precision_write_table(out, prec, &err), 0);
	fclose(out);
	cr_expect(strstr(text, "safe mode (aggressive=False)") != NULL);
	cr_expect(strstr(text, "fast mode (aggressive=True)") != NULL);
	cr_expect(strstr(text, "ap_fixed<13,4>") != NULL, "%s", text);
	cr_expect(strstr(text, "ap_fixed<11,2>") != NULL, "%s", text);
	cr_expect(strstr(text, "QDense") != NULL);
	free(text);
	qk_precision_free(prec);
	qk_model_free(model);
}

/*
 * The real three-layer model: no input quantizer, so fixed<16,6>. Its
 * hls4ml config, written by hls4ml from the same model, gives the layers
 * after each Dense ap_fixed<7,1,AP_RND_CONV,AP_SAT> results and 6-bit,
 * 1-integer-bit weights; the derived types must agree or be narrower.
 */
Test(precision, real_three_layer_model)
{
	const char *path = QK_SHARED_MODELS "/qkeras_3layer.json";
	struct qk_open_options options = { NULL, 0 };
	struct qk_err err = QK_ERR_INIT;
	struct qk_model *model;
	struct qk_precision *prec;
	struct stat st;
	const char *dense[] = { "fc1", "fc2", "fc3" };
	size_t j;

	if (stat(QK_SHARED_MODELS, &st) != 0 || stat(path, &st) != 0)
		cr_skip_test("../shared/models not found");
	model = qk_model_open(path, &options, &err);
	cr_assert_not_null(model, "%s", err.msg);
	prec = derive(model, "fixed<16,6>");
	cr_expect(prec->input_assumed);
	for (j = 0; j < 3; j++) {
		const struct qk_layer_prec *row =
			row_of(prec, QK_PREC_SAFE, dense[j]);

		cr_expect_eq(row->status, QK_PREC_EXACT, "%s: %s", dense[j],
			     row->reason ? row->reason : "");
		expect_type(prec, QK_PREC_SAFE, dense[j], "result",
			    "ap_fixed<7,1,AP_RND_CONV,AP_SAT>");
		cr_expect_leq(row->weight.fixed.width, 6, "%s", dense[j]);
		cr_expect_leq(row->weight.fixed.integer, 1, "%s", dense[j]);
		cr_expect_eq(row->accum.kif.f,
			     row->input.kif.f + row->weight.kif.f);
	}
	/* fc1 sums 16 inputs of fixed<16,6>: f = 10 + f_w. */
	cr_expect_eq(row_of(prec, QK_PREC_SAFE, "fc1")->fan_in, 16);
	cr_expect_eq(row_of(prec, QK_PREC_SAFE, "fc1")->input.kif.f, 10);
	qk_precision_free(prec);
	qk_model_free(model);
}

#include "rule_helper.h"

#include <stdio.h>

#define DENSE(name)                                                      \
	"{'class_name': 'Dense', 'config': {'name': '" name "', "         \
	"'units': 2, 'activation': 'linear'}}"

#define QDENSE_KERNEL_ONLY(name)                                         \
	"{'class_name': 'QDense', 'config': {'name': '" name "', "        \
	"'units': 2, 'activation': 'linear', "                            \
	"'kernel_quantizer': 'quantized_bits(6,0,alpha=1)'}}"

/* Values needing 32+ fractional bits, largest magnitude 20.3. */
static const float trained[] = { -20.3f, 0.0001f };
/* Values on the 2-bit unsigned grid of step 0.25. */
static const float quarters[] = { 0.5f, 0.25f };

Test(qk005, flags_plain_dense_weights)
{
	struct qk_model *m = qkt_sequential(QKT_INPUT16 "," DENSE("d1"));
	struct qk_sink sink = QK_SINK_INIT;

	qkt_set_weight(m, "d1", "kernel", trained, 2);
	qkt_set_weight(m, "d1", "bias", quarters, 2);
	qkt_run(m, "QK005", &sink);
	QKT_EXPECT(&sink, { "QK005", "d1" }, { "QK005", "d1" });
	cr_assert_str_eq(sink.findings[0].message,
			 "kernel has no quantizer, so its values need "
			 "ap_fixed<38,6> (32 fractional bits, treated as "
			 "unquantized)");
	cr_assert_str_eq(sink.findings[1].message,
			 "bias has no quantizer, so its values need "
			 "ap_ufixed<2,0> (2 fractional bits)");
	qkt_hint_has(&sink, 0, "replace Dense with QDense");
	qkt_hint_has(&sink, 0, "kernel_quantizer");
	qkt_hint_has(&sink, 1, "bias_quantizer");
	qk_sink_release(&sink);
	qk_model_free(m);
}

Test(qk005, flags_only_unquantized_role)
{
	struct qk_model *m = qkt_sequential(QKT_INPUT16 ","
					    QDENSE_KERNEL_ONLY("fc1"));
	struct qk_sink sink = QK_SINK_INIT;

	qkt_set_weight(m, "fc1", "kernel", trained, 2);
	qkt_set_weight(m, "fc1", "bias", quarters, 2);
	qkt_run(m, "QK005", &sink);
	QKT_EXPECT(&sink, { "QK005", "fc1" });
	qkt_message_has(&sink, 0, "bias has no quantizer");
	qkt_hint_has(&sink, 0, "set bias_quantizer");
	qk_sink_release(&sink);
	qk_model_free(m);
}

Test(qk005, all_zero_bias)
{
	static const float zeros[] = { 0, 0 };
	struct qk_model *m = qkt_sequential(QKT_INPUT16 ","
					    QDENSE_KERNEL_ONLY("fc1"));
	struct qk_sink sink = QK_SINK_INIT;

	qkt_set_weight(m, "fc1", "bias", zeros, 2);
	qkt_run(m, "QK005", &sink);
	QKT_EXPECT(&sink, { "QK005", "fc1" });
	qkt_message_has(&sink, 0, "ap_ufixed<1,1> (0 fractional bits)");
	qk_sink_release(&sink);
	qk_model_free(m);
}

Test(qk005, skips_unloaded_weights)
{
	struct qk_model *m = qkt_sequential(QKT_INPUT16 "," DENSE("d1"));
	struct qk_sink sink = QK_SINK_INIT;

	qkt_run(m, "QK005", &sink);
	QKT_EXPECT_NONE(&sink);
	qk_sink_release(&sink);
	qk_model_free(m);
}

Test(qk005, depthwise_kernel_named)
{
	struct qk_model *m = qkt_sequential(
		"{'class_name': 'InputLayer', 'config': {'name': 'img', "
		"'batch_input_shape': [null, 8, 8, 3]}}, "
		"{'class_name': 'DepthwiseConv2D', 'config': {'name': 'dw', "
		"'kernel_size': [3, 3], 'use_bias': false}}");
	struct qk_sink sink = QK_SINK_INIT;

	qkt_set_weight(m, "dw", "depthwise_kernel", quarters, 2);
	qkt_run(m, "QK005", &sink);
	QKT_EXPECT(&sink, { "QK005", "dw" });
	qkt_message_has(&sink, 0, "depthwise_kernel has no quantizer");
	qkt_hint_has(&sink, 0, "depthwise_quantizer");
	qk_sink_release(&sink);
	qk_model_free(m);
}

Test(qk005, skips_hgq_proxy_model)
{
	struct qk_model *m = qkt_sequential(
		QKT_INPUT16 ", {'class_name': 'FixedPointQuantizer', "
		"'config': {'name': 'fpq'}}," DENSE("d1"));
	struct qk_sink sink = QK_SINK_INIT;

	qkt_set_weight(m, "d1", "kernel", trained, 2);
	qkt_run(m, "QK005", &sink);
	QKT_EXPECT_NONE(&sink);
	qk_sink_release(&sink);
	qk_model_free(m);
}

Test(qk005, real_plain_keras_3layer)
{
	struct qk_err err = QK_ERR_INIT;
	struct qk_open_options options = { 0 };
	struct qk_sink sink = QK_SINK_INIT;
	struct qk_model *m;
	FILE *probe = fopen(QK_SHARED_MODELS "/KERAS_3layer.json", "r");
	size_t i;

	if (!probe)
		cr_skip_test("../shared/models not found");
	fclose(probe);
	m = qk_model_open(QK_SHARED_MODELS "/KERAS_3layer.json", &options,
			  &err);
	cr_assert_not_null(m, "%s", err.msg);
	qkt_run(m, "QK005", &sink);
	QKT_EXPECT(&sink, { "QK005", "fc1_relu" }, { "QK005", "fc1_relu" },
		   { "QK005", "fc2_relu" }, { "QK005", "fc2_relu" },
		   { "QK005", "fc3_relu" }, { "QK005", "fc3_relu" },
		   { "QK005", "output_softmax" },
		   { "QK005", "output_softmax" });
	for (i = 0; i < sink.n_findings; i++)
		qkt_message_has(&sink, i, i % 2 ? "bias has" : "kernel has");
	qk_sink_release(&sink);
	qk_model_free(m);
}

Test(qk005, real_hgq_model_silent)
{
	struct qk_err err = QK_ERR_INIT;
	struct qk_open_options options = { 0 };
	struct qk_sink sink = QK_SINK_INIT;
	struct qk_model *m;
	FILE *probe = fopen(QK_SHARED_MODELS "/hgq_jet_classifier.h5", "r");

	if (!probe)
		cr_skip_test("../shared/models not found");
	fclose(probe);
	m = qk_model_open(QK_SHARED_MODELS "/hgq_jet_classifier.h5", &options,
			  &err);
	cr_assert_not_null(m, "%s", err.msg);
	cr_assert_eq(m->kind, QK_MODEL_HGQ_PROXY);
	qkt_run(m, "QK005", &sink);
	QKT_EXPECT_NONE(&sink);
	qk_sink_release(&sink);
	qk_model_free(m);
}

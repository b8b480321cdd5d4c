#include <criterion/criterion.h>

#include "sim_helper.h"

/*
 * Kernel 0.1, 0.5: 0.1f = 13421773 * 2^-27 needs f = 27, and 0.5 needs
 * i = 0 (0.5 < 2^0): (0,0,27), 27 bits.
 */
static struct qk_model *plain_dense(const char *extra, const float *bias)
{
	static const float kernel[] = { 0.1f, 0.5f };
	char layers[512];
	struct qk_model *model;

	snprintf(layers, sizeof(layers), "%s,{'class_name': '%s', 'config': "
		 "{'name': 'fc', 'units': 1, 'use_bias': %s%s}}",
		 SIMT_INPUT(2), extra ? "QDense" : "Dense",
		 bias ? "true" : "false", extra ? extra : "");
	model = qkt_sequential(layers);
	simt_dense_weights(model, "fc", 2, 1, kernel, bias);
	return model;
}

Test(qk202, flags_wide_unquantized_kernel)
{
	struct qk_model *model = plain_dense(NULL, NULL);
	struct qk_sink sink = QK_SINK_INIT;

	qkt_run(model, "QK202", &sink);
	QKT_EXPECT(&sink, { "QK202", "fc" });
	qkt_message_has(&sink, 0, "kernel");
	qkt_message_has(&sink, 0, "(27 bits > 16 bits)");
	qkt_hint_has(&sink, 0, "quantized_bits");
	qk_sink_release(&sink);
	qk_model_free(model);
}

/* A bias of 0.5 is (0,0,1), 1 bit: only the kernel is reported. */
Test(qk202, narrow_bias_not_flagged)
{
	static const float bias[] = { 0.5f };
	struct qk_model *model = plain_dense(NULL, bias);
	struct qk_sink sink = QK_SINK_INIT;

	qkt_run(model, "QK202", &sink);
	QKT_EXPECT(&sink, { "QK202", "fc" });
	qkt_message_has(&sink, 0, "kernel");
	qk_sink_release(&sink);
	qk_model_free(model);
}

Test(qk202, quantized_kernel_not_checked)
{
	struct qk_model *model = plain_dense(
		", 'kernel_quantizer': 'quantized_bits(4,0,alpha=1)'", NULL);
	struct qk_sink sink = QK_SINK_INIT;

	qkt_run(model, "QK202", &sink);
	QKT_EXPECT_NONE(&sink);
	qk_sink_release(&sink);
	qk_model_free(model);
}

Test(qk202, max_bits_option)
{
	struct qk_model *model = plain_dense(NULL, NULL);
	struct qk_sink sink = QK_SINK_INIT;

	qkt_run_with(model, "QK202", "max-bits", "27", &sink);
	QKT_EXPECT_NONE(&sink);
	qk_sink_release(&sink);
	qk_model_free(model);
}

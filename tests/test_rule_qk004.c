#include "rule_helper.h"

#define QACT(name, quantizer)                                            \
	"{'class_name': 'QActivation', 'config': {'name': '" name "', "   \
	"'activation': '" quantizer "'}}"

#define QDENSE(name, kernel)                                             \
	"{'class_name': 'QDense', 'config': {'name': '" name "', "        \
	"'units': 4, 'activation': 'linear', "                            \
	"'kernel_quantizer': '" kernel "', "                              \
	"'bias_quantizer': 'quantized_bits(6,0,alpha=1)'}}"

static struct qk_model *with_input(const char *layers)
{
	char text[2048];

	snprintf(text, sizeof(text), "%s, %s, %s", QKT_INPUT16,
		 QACT("q_in", "quantized_bits(8,3,alpha=1)"), layers);
	return qkt_sequential(text);
}

/* Runs QK004 over one QActivation with quantizer q and checks one word. */
static void expect_one(const char *q, const char *word, const char *hint)
{
	char layer[512];
	struct qk_model *m;
	struct qk_sink sink = QK_SINK_INIT;

	snprintf(layer, sizeof(layer),
		 "{'class_name': 'QActivation', 'config': {'name': 'act', "
		 "'activation': '%s'}}", q);
	m = with_input(layer);
	qkt_run(m, "QK004", &sink);
	QKT_EXPECT(&sink, { "QK004", "act" });
	qkt_message_has(&sink, 0, word);
	qkt_hint_has(&sink, 0, hint);
	qk_sink_release(&sink);
	qk_model_free(m);
}

Test(qk004, accepts_defaults)
{
	struct qk_model *m = with_input(
		QDENSE("fc1", "quantized_bits(6,0,1,alpha=1)") ","
		QACT("relu1", "quantized_relu(6,0)") ","
		QDENSE("fc2", "binary(alpha=1)"));
	struct qk_sink sink = QK_SINK_INIT;

	qkt_run(m, "QK004", &sink);
	QKT_EXPECT_NONE(&sink);
	qk_sink_release(&sink);
	qk_model_free(m);
}

Test(qk004, flags_negative_slope)
{
	expect_one("quantized_relu(4,0,negative_slope=0.25)",
		   "negative_slope=0.25", "negative_slope=0");
}

Test(qk004, flags_positional_use_sigmoid)
{
	expect_one("quantized_relu(8,0,1)", "use_sigmoid=1", "use_sigmoid=0");
}

Test(qk004, flags_relu_upper_bound)
{
	expect_one("quantized_relu(8,3,relu_upper_bound=6)",
		   "relu_upper_bound=6", "remove relu_upper_bound");
}

Test(qk004, flags_stochastic_rounding)
{
	expect_one("quantized_bits(8,3,alpha=1,use_stochastic_rounding=True)",
		   "use_stochastic_rounding=True",
		   "use_stochastic_rounding=False");
}

Test(qk004, flags_symmetric_two)
{
	expect_one("quantized_bits(8,3,2,alpha=1)", "symmetric=2",
		   "0 or 1");
}

Test(qk004, flags_one_signed_bit)
{
	expect_one("quantized_bits(1,0,alpha=1)", "sign(x)", "2 bits");
}

Test(qk004, flags_qnoise_factor)
{
	expect_one("quantized_bits(8,3,alpha=1,qnoise_factor=0.5)",
		   "qnoise_factor=0.5", "qnoise_factor=1");
}

Test(qk004, flags_binary_use_01)
{
	struct qk_model *m = with_input(
		QDENSE("fc1", "binary(use_01=True,alpha=1)"));
	struct qk_sink sink = QK_SINK_INIT;

	qkt_run(m, "QK004", &sink);
	QKT_EXPECT(&sink, { "QK004", "fc1" });
	qkt_message_has(&sink, 0, "kernel quantizer");
	qkt_message_has(&sink, 0, "use_01=True");
	qk_sink_release(&sink);
	qk_model_free(m);
}

Test(qk004, one_finding_per_option)
{
	struct qk_model *m = with_input(QACT(
		"act", "quantized_relu(4,0,negative_slope=0.5,"
		       "relu_upper_bound=2,qnoise_factor=0.0)"));
	struct qk_sink sink = QK_SINK_INIT;

	qkt_run(m, "QK004", &sink);
	QKT_EXPECT(&sink, { "QK004", "act" }, { "QK004", "act" },
		   { "QK004", "act" });
	qkt_message_has(&sink, 0, "negative_slope");
	qkt_message_has(&sink, 1, "relu_upper_bound");
	qkt_message_has(&sink, 2, "qnoise_factor=0");
	qk_sink_release(&sink);
	qk_model_free(m);
}

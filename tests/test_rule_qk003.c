#include "rule_helper.h"

#define QACT(name, quantizer)                                            \
	"{'class_name': 'QActivation', 'config': {'name': '" name "', "   \
	"'activation': '" quantizer "'}}"

#define QDENSE(name, kernel, activation)                                 \
	"{'class_name': 'QDense', 'config': {'name': '" name "', "        \
	"'units': 4, 'activation': '" activation "', "                    \
	"'kernel_quantizer': '" kernel "', "                              \
	"'bias_quantizer': 'quantized_bits(6,0,alpha=1)'}}"

static struct qk_model *with_input(const char *layers)
{
	char text[2048];

	snprintf(text, sizeof(text), "%s, %s, %s", QKT_INPUT16,
		 QACT("q_in", "quantized_bits(8,3,alpha=1)"), layers);
	return qkt_sequential(text);
}

Test(qk003, accepts_bits_and_relu)
{
	struct qk_model *m = with_input(
		QDENSE("fc1", "quantized_bits(6,0,alpha=1)",
		       "quantized_relu(6,0)") ","
		QACT("act", "quantized_bits(8,2,alpha=1)") ","
		QACT("plain", "relu"));
	struct qk_sink sink = QK_SINK_INIT;

	qkt_run(m, "QK003", &sink);
	QKT_EXPECT_NONE(&sink);
	qk_sink_release(&sink);
	qk_model_free(m);
}

Test(qk003, accepts_po2_kernel)
{
	struct qk_model *m = with_input(
		QDENSE("fc1", "quantized_po2(4)", "linear"));
	struct qk_sink sink = QK_SINK_INIT;

	qkt_run(m, "QK003", &sink);
	QKT_EXPECT_NONE(&sink);
	qk_sink_release(&sink);
	qk_model_free(m);
}

Test(qk003, flags_po2_activation)
{
	struct qk_model *m = with_input(QACT("act", "quantized_relu_po2(4)"));
	struct qk_sink sink = QK_SINK_INIT;

	qkt_run(m, "QK003", &sink);
	QKT_EXPECT(&sink, { "QK003", "act" });
	qkt_message_has(&sink, 0, "quantized_relu_po2");
	qkt_message_has(&sink, 0, "power-of-two");
	qkt_hint_has(&sink, 0, "quantized_bits or quantized_relu");
	qk_sink_release(&sink);
	qk_model_free(m);
}

Test(qk003, flags_layer_activation)
{
	struct qk_model *m = with_input(
		QDENSE("fc1", "quantized_bits(6,0,alpha=1)",
		       "quantized_tanh(8)"));
	struct qk_sink sink = QK_SINK_INIT;

	qkt_run(m, "QK003", &sink);
	QKT_EXPECT(&sink, { "QK003", "fc1" });
	qkt_message_has(&sink, 0, "quantized_tanh");
	qk_sink_release(&sink);
	qk_model_free(m);
}

Test(qk003, gives_reason_per_kind)
{
	struct qk_model *m = with_input(
		QACT("a_bin", "binary(alpha=1)") ","
		QACT("a_ter", "ternary(alpha=1)") ","
		QACT("a_sto", "stochastic_binary(alpha=1)") ","
		QACT("a_sig", "quantized_sigmoid(8)") ","
		QACT("a_lin", "quantized_linear(8,2,alpha=1)"));
	struct qk_sink sink = QK_SINK_INIT;

	qkt_run(m, "QK003", &sink);
	QKT_EXPECT(&sink, { "QK003", "a_bin" }, { "QK003", "a_ter" },
		   { "QK003", "a_sto" }, { "QK003", "a_sig" },
		   { "QK003", "a_lin" });
	qkt_message_has(&sink, 0, "not known to finish");
	qkt_message_has(&sink, 1, "threshold 0.33");
	qkt_message_has(&sink, 2, "random");
	qkt_message_has(&sink, 3, "maps only quantized_bits");
	qkt_message_has(&sink, 4, "maps only quantized_bits");
	qk_sink_release(&sink);
	qk_model_free(m);
}

Test(qk003, flags_unknown_quantizer)
{
	struct qk_model *m = with_input(QACT("act", "my_quantizer(3)"));
	struct qk_sink sink = QK_SINK_INIT;

	qkt_run(m, "QK003", &sink);
	QKT_EXPECT(&sink, { "QK003", "act" });
	qkt_message_has(&sink, 0, "unknown");
	qk_sink_release(&sink);
	qk_model_free(m);
}

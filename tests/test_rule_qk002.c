#include "rule_helper.h"

/* A QDense layer with the given kernel and bias quantizer JSON values. */
#define QDENSE(name, kernel, bias)                                       \
	"{'class_name': 'QDense', 'config': {'name': '" name "', "        \
	"'units': 4, 'activation': 'linear', 'kernel_quantizer': " kernel \
	", 'bias_quantizer': " bias "}}"

#define QACT(name, quantizer)                                            \
	"{'class_name': 'QActivation', 'config': {'name': '" name "', "   \
	"'activation': '" quantizer "'}}"

#define ONE "'quantized_bits(6,0,alpha=1)'"

static struct qk_model *with_input(const char *layers)
{
	char text[2048];

	snprintf(text, sizeof(text), "%s, %s, %s", QKT_INPUT16,
		 QACT("q_in", "quantized_bits(8,3,alpha=1)"), layers);
	return qkt_sequential(text);
}

Test(qk002, accepts_alpha_one)
{
	struct qk_model *m = with_input(QDENSE("fc1", ONE, ONE) ","
					QACT("relu1", "quantized_relu(6,0)"));
	struct qk_sink sink = QK_SINK_INIT;

	qkt_run(m, "QK002", &sink);
	QKT_EXPECT_NONE(&sink);
	qk_sink_release(&sink);
	qk_model_free(m);
}

Test(qk002, flags_kernel_alpha_none)
{
	struct qk_model *m = with_input(
		QDENSE("fc1", "'quantized_bits(4,0)'", ONE));
	struct qk_sink sink = QK_SINK_INIT;

	qkt_run(m, "QK002", &sink);
	QKT_EXPECT(&sink, { "QK002", "fc1" });
	qkt_message_has(&sink, 0, "kernel quantizer");
	qkt_message_has(&sink, 0, "alpha=None");
	qkt_message_has(&sink, 0, "auto_po2");
	qkt_hint_has(&sink, 0, "set alpha=1");
	qk_sink_release(&sink);
	qk_model_free(m);
}

Test(qk002, flags_kernel_auto_po2)
{
	struct qk_model *m = with_input(QDENSE(
		"fc1",
		"{'class_name': 'quantized_bits', 'config': {'bits': 4, "
		"'integer': 0, 'alpha': 'auto_po2'}}",
		ONE));
	struct qk_sink sink = QK_SINK_INIT;

	qkt_run(m, "QK002", &sink);
	QKT_EXPECT(&sink, { "QK002", "fc1" });
	qkt_message_has(&sink, 0, "alpha='auto_po2'");
	qk_sink_release(&sink);
	qk_model_free(m);
}

Test(qk002, flags_other_number)
{
	struct qk_model *m = with_input(
		QDENSE("fc1", "'quantized_bits(4,0,alpha=0.5)'", ONE));
	struct qk_sink sink = QK_SINK_INIT;

	qkt_run(m, "QK002", &sink);
	QKT_EXPECT(&sink, { "QK002", "fc1" });
	qkt_message_has(&sink, 0, "alpha=0.5");
	qkt_message_has(&sink, 0, "only alpha=1");
	qk_sink_release(&sink);
	qk_model_free(m);
}

Test(qk002, flags_activation_alpha_none)
{
	struct qk_model *m = with_input(QDENSE("fc1", ONE, ONE) ","
					QACT("act", "quantized_bits(8,3)"));
	struct qk_sink sink = QK_SINK_INIT;

	qkt_run(m, "QK002", &sink);
	QKT_EXPECT(&sink, { "QK002", "act" });
	qkt_message_has(&sink, 0, "activation quantizer");
	qkt_message_has(&sink, 0, "rejects");
	qk_sink_release(&sink);
	qk_model_free(m);
}

Test(qk002, bias_none_silent_by_default)
{
	struct qk_model *m = with_input(
		QDENSE("fc1", ONE, "'quantized_bits(6,0)'"));
	struct qk_sink sink = QK_SINK_INIT;

	qkt_run(m, "QK002", &sink);
	QKT_EXPECT_NONE(&sink);
	qk_sink_release(&sink);
	qk_model_free(m);
}

Test(qk002, strict_bias_reports_bias)
{
	struct qk_model *m = with_input(
		QDENSE("fc1", ONE, "'quantized_bits(6,0)'"));
	struct qk_sink sink = QK_SINK_INIT;

	qkt_run_with(m, "QK002", "strict-bias", "true", &sink);
	QKT_EXPECT(&sink, { "QK002", "fc1" });
	qkt_message_has(&sink, 0, "bias quantizer");
	qkt_message_has(&sink, 0, "scale 1");
	qk_sink_release(&sink);
	qk_model_free(m);
}

Test(qk002, bias_auto_always_reported)
{
	struct qk_model *m = with_input(QDENSE(
		"fc1", ONE,
		"{'class_name': 'quantized_bits', 'config': {'bits': 4, "
		"'integer': 0, 'alpha': 'auto'}}"));
	struct qk_sink sink = QK_SINK_INIT;

	qkt_run(m, "QK002", &sink);
	QKT_EXPECT(&sink, { "QK002", "fc1" });
	qkt_message_has(&sink, 0, "alpha='auto'");
	qk_sink_release(&sink);
	qk_model_free(m);
}

Test(qk002, ignores_quantizers_without_alpha)
{
	struct qk_model *m = with_input(
		QDENSE("fc1", "'quantized_po2(4)'", ONE) ","
		QACT("relu1", "quantized_relu(4,0)"));
	struct qk_sink sink = QK_SINK_INIT;

	qkt_run(m, "QK002", &sink);
	QKT_EXPECT_NONE(&sink);
	qk_sink_release(&sink);
	qk_model_free(m);
}

Test(qk002, one_finding_per_quantizer)
{
	struct qk_model *m = with_input(
		QDENSE("fc1", "'quantized_bits(4,0)'", ONE) ","
		QDENSE("fc2", "'binary()'", ONE));
	struct qk_sink sink = QK_SINK_INIT;

	qkt_run(m, "QK002", &sink);
	QKT_EXPECT(&sink, { "QK002", "fc1" }, { "QK002", "fc2" });
	qkt_message_has(&sink, 1, "binary");
	qk_sink_release(&sink);
	qk_model_free(m);
}

#include "rule_helper.h"

#define QDENSE(name)                                                     \
	"{'class_name': 'QDense', 'config': {'name': '" name "', "        \
	"'units': 4, 'activation': 'linear', "                            \
	"'kernel_quantizer': 'quantized_bits(6,0,alpha=1)', "             \
	"'bias_quantizer': 'quantized_bits(6,0,alpha=1)'}}"

#define QACT(name, quantizer)                                            \
	"{'class_name': 'QActivation', 'config': {'name': '" name "', "   \
	"'activation': '" quantizer "'}}"

Test(qk001, flags_dense_after_input)
{
	struct qk_model *m = qkt_sequential(QKT_INPUT16 "," QDENSE("fc1"));
	struct qk_sink sink = QK_SINK_INIT;

	qkt_run(m, "QK001", &sink);
	QKT_EXPECT(&sink, { "QK001", "fc1" });
	cr_assert_str_eq(sink.findings[0].message,
			 "input 'x' reaches 'fc1' without a quantized_bits "
			 "QActivation");
	qkt_hint_has(&sink, 0, "between 'x' and 'fc1'");
	qkt_hint_has(&sink, 0, "QActivation('quantized_bits(");
	qk_sink_release(&sink);
	qk_model_free(m);
}

Test(qk001, accepts_quantized_bits_input)
{
	struct qk_model *m = qkt_sequential(
		QKT_INPUT16 "," QACT("q_in", "quantized_bits(8,3,alpha=1)")
		"," QDENSE("fc1"));
	struct qk_sink sink = QK_SINK_INIT;

	qkt_run(m, "QK001", &sink);
	QKT_EXPECT_NONE(&sink);
	qk_sink_release(&sink);
	qk_model_free(m);
}

Test(qk001, names_other_quantizer)
{
	struct qk_model *m = qkt_sequential(
		QKT_INPUT16 "," QACT("relu0", "quantized_relu(6,0)") ","
		QDENSE("fc1"));
	struct qk_sink sink = QK_SINK_INIT;

	qkt_run(m, "QK001", &sink);
	QKT_EXPECT(&sink, { "QK001", "relu0" });
	qkt_message_has(&sink, 0, "quantized_relu");
	qkt_message_has(&sink, 0, "not quantized_bits");
	qk_sink_release(&sink);
	qk_model_free(m);
}

Test(qk001, names_keras_activation)
{
	struct qk_model *m = qkt_sequential(
		QKT_INPUT16 "," QACT("act0", "relu") "," QDENSE("fc1"));
	struct qk_sink sink = QK_SINK_INIT;

	qkt_run(m, "QK001", &sink);
	QKT_EXPECT(&sink, { "QK001", "act0" });
	qkt_message_has(&sink, 0, "Keras activation 'relu'");
	qk_sink_release(&sink);
	qk_model_free(m);
}

/* x feeds a quantized_bits QActivation and, directly, a Dense layer. */
static const char two_consumers[] =
	"{'class_name': 'Functional', 'config': {'name': 'f', 'layers': ["
	"{'class_name': 'InputLayer', 'name': 'x', 'config': {'name': 'x', "
	"'batch_input_shape': [null, 16]}, 'inbound_nodes': []},"
	"{'class_name': 'QActivation', 'name': 'q1', 'config': {'name': "
	"'q1', 'activation': 'quantized_bits(8,3,alpha=1)'}, "
	"'inbound_nodes': [[['x', 0, 0, {}]]]},"
	"{'class_name': 'Dense', 'name': 'd2', 'config': {'name': 'd2', "
	"'units': 4}, 'inbound_nodes': [[['x', 0, 0, {}]]]},"
	"{'class_name': 'Concatenate', 'name': 'c', 'config': {'name': 'c'}, "
	"'inbound_nodes': [[['q1', 0, 0, {}], ['d2', 0, 0, {}]]]}], "
	"'input_layers': [['x', 0, 0]], 'output_layers': [['c', 0, 0]]}}";

Test(qk001, checks_every_consumer)
{
	struct qk_model *m = qkt_model(two_consumers);
	struct qk_sink sink = QK_SINK_INIT;

	qkt_run(m, "QK001", &sink);
	QKT_EXPECT(&sink, { "QK001", "d2" });
	qk_sink_release(&sink);
	qk_model_free(m);
}

#define NESTED(first)                                                    \
	"{'class_name': 'Functional', 'config': {'name': 'f', 'layers': ["  \
	"{'class_name': 'InputLayer', 'name': 'x', 'config': {'name': "     \
	"'x', 'batch_input_shape': [null, 16]}, 'inbound_nodes': []},"      \
	"{'class_name': 'Sequential', 'name': 'inner', 'config': {'name': " \
	"'inner', 'layers': [{'class_name': 'InputLayer', 'config': "       \
	"{'name': 'inner_x', 'batch_input_shape': [null, 16]}}, " first     \
	", " QDENSE("inner_fc") "]}, 'inbound_nodes': "                      \
	"[[['x', 0, 0, {}]]]}], 'input_layers': [['x', 0, 0]], "            \
	"'output_layers': [['inner', 0, 0]]}}"

Test(qk001, follows_into_nested_model)
{
	struct qk_model *m = qkt_model(
		NESTED(QACT("inner_q", "quantized_relu(4,0)")));
	struct qk_sink sink = QK_SINK_INIT;

	qkt_run(m, "QK001", &sink);
	QKT_EXPECT(&sink, { "QK001", "inner_q" });
	qkt_message_has(&sink, 0, "in nested model 'inner'");
	qk_sink_release(&sink);
	qk_model_free(m);
}

Test(qk001, accepts_quantized_nested_model)
{
	struct qk_model *m = qkt_model(
		NESTED(QACT("inner_q", "quantized_bits(8,2,alpha=1)")));
	struct qk_sink sink = QK_SINK_INIT;

	qkt_run(m, "QK001", &sink);
	QKT_EXPECT_NONE(&sink);
	qk_sink_release(&sink);
	qk_model_free(m);
}

Test(qk001, skips_hgq_proxy_model)
{
	struct qk_model *m = qkt_sequential(
		QKT_INPUT16 ", {'class_name': 'FixedPointQuantizer', "
		"'config': {'name': 'fpq'}}, {'class_name': 'Dense', "
		"'config': {'name': 'd', 'units': 4}}");
	struct qk_sink sink = QK_SINK_INIT;

	cr_assert_eq(m->kind, QK_MODEL_HGQ_PROXY);
	qkt_run(m, "QK001", &sink);
	QKT_EXPECT_NONE(&sink);
	qk_sink_release(&sink);
	qk_model_free(m);
}

Test(qk001, real_qkeras_3layer)
{
	struct qk_err err = QK_ERR_INIT;
	struct qk_open_options options = { 0 };
	struct qk_sink sink = QK_SINK_INIT;
	struct qk_model *m;
	FILE *probe = fopen(QK_SHARED_MODELS "/qkeras_3layer.json", "r");

	if (!probe)
		cr_skip_test("../shared/models not found");
	fclose(probe);
	m = qk_model_open(QK_SHARED_MODELS "/qkeras_3layer.json", &options,
			  &err);
	cr_assert_not_null(m, "%s", err.msg);
	qkt_run(m, "QK001", &sink);
	QKT_EXPECT(&sink, { "QK001", "fc1" });
	qkt_message_has(&sink, 0, "input 'fc1_input' reaches 'fc1'");
	qk_sink_release(&sink);
	qk_model_free(m);
}

#include "rule_helper.h"

Test(qk102, accepts_relu_and_linear)
{
	struct qk_model *m = qkt_sequential(
		QKT_INPUT16 ", {'class_name': 'Dense', 'config': {'name': "
		"'d1', 'units': 4, 'activation': 'relu'}}, {'class_name': "
		"'Activation', 'config': {'name': 'lin', 'activation': "
		"'linear'}}, {'class_name': 'QActivation', 'config': {'name': "
		"'q', 'activation': 'quantized_relu(4,0)'}}");
	struct qk_sink sink = QK_SINK_INIT;

	qkt_run(m, "QK102", &sink);
	QKT_EXPECT_NONE(&sink);
	qk_sink_release(&sink);
	qk_model_free(m);
}

Test(qk102, flags_every_form)
{
	struct qk_model *m = qkt_sequential(
		QKT_INPUT16 ", {'class_name': 'Dense', 'config': {'name': "
		"'d1', 'units': 4, 'activation': 'sigmoid'}}, {'class_name': "
		"'Activation', 'config': {'name': 'act', 'activation': "
		"'tanh'}}, {'class_name': 'QActivation', 'config': {'name': "
		"'qact', 'activation': 'elu'}}, {'class_name': 'Softmax', "
		"'config': {'name': 'sm'}}");
	struct qk_sink sink = QK_SINK_INIT;

	qkt_run(m, "QK102", &sink);
	QKT_EXPECT(&sink, { "QK102", "d1" }, { "QK102", "act" },
		   { "QK102", "qact" }, { "QK102", "sm" });
	qkt_message_has(&sink, 0, "activation sigmoid is not bit-exact");
	qkt_message_has(&sink, 1, "tanh");
	qkt_message_has(&sink, 2, "elu");
	qkt_message_has(&sink, 3, "softmax");
	qkt_hint_has(&sink, 3, "apply softmax outside the firmware");
	qk_sink_release(&sink);
	qk_model_free(m);
}

Test(qk102, real_plain_keras_softmax)
{
	struct qk_err err = QK_ERR_INIT;
	struct qk_open_options options = { 0 };
	struct qk_sink sink = QK_SINK_INIT;
	struct qk_model *m;
	FILE *probe = fopen(QK_SHARED_MODELS "/KERAS_3layer.json", "r");

	if (!probe)
		cr_skip_test("../shared/models not found");
	fclose(probe);
	m = qk_model_open(QK_SHARED_MODELS "/KERAS_3layer.json", &options,
			  &err);
	cr_assert_not_null(m, "%s", err.msg);
	qkt_run(m, "QK102", &sink);
	QKT_EXPECT(&sink, { "QK102", "output_softmax" });
	qk_sink_release(&sink);
	qk_model_free(m);
}

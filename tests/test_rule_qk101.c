#include "rule_helper.h"

#define LAYER(cls, name, extra)                                          \
	"{'class_name': '" cls "', 'config': {'name': '" name "'" extra "}}"

static struct qk_model *with_input(const char *layers)
{
	char text[2048];

	snprintf(text, sizeof(text), "%s, %s", QKT_INPUT16, layers);
	return qkt_sequential(text);
}

Test(qk101, accepts_convertible_layers)
{
	struct qk_model *m = with_input(
		LAYER("QDense", "fc1", ", 'units': 4") ","
		LAYER("Dense", "fc2", ", 'units': 4"));
	struct qk_sink sink = QK_SINK_INIT;

	qkt_run(m, "QK101", &sink);
	QKT_EXPECT_NONE(&sink);
	qk_sink_release(&sink);
	qk_model_free(m);
}

Test(qk101, flags_folded_batchnorm)
{
	struct qk_model *m = with_input(
		LAYER("QDenseBatchnorm", "fold", ", 'units': 4"));
	struct qk_sink sink = QK_SINK_INIT;

	qkt_run(m, "QK101", &sink);
	QKT_EXPECT(&sink, { "QK101", "fold" });
	qkt_message_has(&sink, 0, "no base class 'DenseBatchnorm'");
	qkt_hint_has(&sink, 0, "replace it with QDense");
	qk_sink_release(&sink);
	qk_model_free(m);
}

Test(qk101, flags_adaptive_activation)
{
	struct qk_model *m = with_input(
		LAYER("QAdaptiveActivation", "adapt", ""));
	struct qk_sink sink = QK_SINK_INIT;

	qkt_run(m, "QK101", &sink);
	QKT_EXPECT(&sink, { "QK101", "adapt" });
	qkt_message_has(&sink, 0, "'AdaptiveActivation'");
	qkt_hint_has(&sink, 0, "QActivation");
	qk_sink_release(&sink);
	qk_model_free(m);
}

Test(qk101, flags_recurrent_layer)
{
	struct qk_model *m = qkt_sequential(
		"{'class_name': 'InputLayer', 'config': {'name': 'seq', "
		"'batch_input_shape': [null, 10, 4]}}, "
		LAYER("LSTM", "lstm", ", 'units': 8"));
	struct qk_sink sink = QK_SINK_INIT;

	qkt_run(m, "QK101", &sink);
	QKT_EXPECT(&sink, { "QK101", "lstm" });
	qkt_message_has(&sink, 0, "recurrent layer LSTM");
	qk_sink_release(&sink);
	qk_model_free(m);
}

Test(qk101, flags_unknown_class)
{
	struct qk_model *m = with_input(LAYER("MyLayer", "custom", ""));
	struct qk_sink sink = QK_SINK_INIT;

	qkt_run(m, "QK101", &sink);
	QKT_EXPECT(&sink, { "QK101", "custom" });
	qkt_message_has(&sink, 0, "MyLayer is unknown");
	qkt_hint_has(&sink, 0, "allow-classes");
	qk_sink_release(&sink);
	qk_model_free(m);
}

Test(qk101, allow_classes_accepts_listed)
{
	struct qk_model *m = with_input(
		LAYER("MyLayer", "custom", "") ","
		LAYER("OtherLayer", "other", "") ","
		LAYER("ThirdLayer", "third", ""));
	struct qk_sink sink = QK_SINK_INIT;

	qkt_run_with(m, "QK101", "allow-classes", "OtherLayer, MyLayer",
		     &sink);
	QKT_EXPECT(&sink, { "QK101", "third" });
	qk_sink_release(&sink);
	qk_model_free(m);
}

Test(qk101, allow_classes_matches_whole_names)
{
	struct qk_model *m = with_input(LAYER("MyLayer", "custom", ""));
	struct qk_sink sink = QK_SINK_INIT;

	qkt_run_with(m, "QK101", "allow-classes", "MyLayerX,Layer,", &sink);
	QKT_EXPECT(&sink, { "QK101", "custom" });
	qk_sink_release(&sink);
	qk_model_free(m);
}

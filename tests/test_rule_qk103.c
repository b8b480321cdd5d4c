#include "rule_helper.h"

Test(qk103, accepts_model_without_batchnorm)
{
	struct qk_model *m = qkt_sequential(
		QKT_INPUT16 ", {'class_name': 'Dense', 'config': {'name': "
		"'d1', 'units': 4}}");
	struct qk_sink sink = QK_SINK_INIT;

	qkt_run(m, "QK103", &sink);
	QKT_EXPECT_NONE(&sink);
	qk_sink_release(&sink);
	qk_model_free(m);
}

Test(qk103, flags_plain_and_qkeras_batchnorm)
{
	struct qk_model *m = qkt_sequential(
		QKT_INPUT16 ", {'class_name': 'BatchNormalization', 'config': "
		"{'name': 'bn1'}}, {'class_name': 'Dense', 'config': {'name': "
		"'d1', 'units': 4}}, {'class_name': 'QBatchNormalization', "
		"'config': {'name': 'bn2'}}");
	struct qk_sink sink = QK_SINK_INIT;

	qkt_run(m, "QK103", &sink);
	QKT_EXPECT(&sink, { "QK103", "bn1" }, { "QK103", "bn2" });
	qkt_message_has(&sink, 0, "unfused BatchNormalization");
	qkt_message_has(&sink, 1, "unfused QBatchNormalization");
	qkt_hint_has(&sink, 0, "fold it into the preceding layer");
	qk_sink_release(&sink);
	qk_model_free(m);
}

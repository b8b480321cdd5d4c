#include "rule_helper.h"

Test(qk104, flags_plain_keras_once)
{
	struct qk_model *m = qkt_sequential(
		QKT_INPUT16 ", {'class_name': 'Dense', 'config': {'name': "
		"'d1', 'units': 4}}, {'class_name': 'Dense', 'config': "
		"{'name': 'd2', 'units': 4}}");
	struct qk_sink sink = QK_SINK_INIT;

	qkt_run(m, "QK104", &sink);
	QKT_EXPECT(&sink, { "QK104", NULL });
	qkt_message_has(&sink, 0, "no QKeras layers or quantizers");
	cr_assert_eq(sink.findings[0].severity, QK_SEV_INFO);
	qk_sink_release(&sink);
	qk_model_free(m);
}

Test(qk104, accepts_qkeras_model)
{
	struct qk_model *m = qkt_sequential(
		QKT_INPUT16 ", {'class_name': 'QActivation', 'config': "
		"{'name': 'q', 'activation': 'quantized_bits(8,3,alpha=1)'}}");
	struct qk_sink sink = QK_SINK_INIT;

	qkt_run(m, "QK104", &sink);
	QKT_EXPECT_NONE(&sink);
	qk_sink_release(&sink);
	qk_model_free(m);
}

Test(qk104, notes_hgq_proxy_model)
{
	struct qk_model *m = qkt_sequential(
		QKT_INPUT16 ", {'class_name': 'FixedPointQuantizer', "
		"'config': {'name': 'fpq'}}");
	struct qk_sink sink = QK_SINK_INIT;

	qkt_run(m, "QK104", &sink);
	QKT_EXPECT(&sink, { "QK104", NULL });
	qkt_message_has(&sink, 0, "already an HGQ proxy model");
	cr_assert_null(sink.findings[0].hint);
	qk_sink_release(&sink);
	qk_model_free(m);
}

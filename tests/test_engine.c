#include "rule_helper.h"

#include "../lint/config.h"
#include "../lint/engine.h"

/*
 * A plain Keras model: QK104 once for the model, QK001 at d1, QK102 at
 * d1 (sigmoid) and at sm, QK103 at bn.
 */
static const char layers[] =
	QKT_INPUT16 ", {'class_name': 'Dense', 'config': {'name': 'd1', "
	"'units': 4, 'activation': 'sigmoid'}}, {'class_name': "
	"'BatchNormalization', 'config': {'name': 'bn'}}, {'class_name': "
	"'Softmax', 'config': {'name': 'sm'}}";

static void lint(const char *yaml, struct qk_sink *sink)
{
	struct qk_err err = QK_ERR_INIT;
	struct qk_config config;
	struct qk_model *m = qkt_sequential(layers);

	cr_assert_eq(qk_config_init(&config, &err), 0, "%s", err.msg);
	if (yaml)
		cr_assert_eq(qk_config_load_text(&config, yaml, strlen(yaml),
						 "test.yaml", &err), 0,
			     "%s", err.msg);
	cr_assert_eq(qk_lint_model(m, &config, "model.h5", sink, &err), 0,
		     "%s", err.msg);
	qk_config_release(&config);
	qk_model_free(m);
}

Test(engine, sorts_by_layer_then_rule)
{
	struct qk_sink sink = QK_SINK_INIT;

	lint(NULL, &sink);
	QKT_EXPECT(&sink, { "QK104", NULL }, { "QK001", "d1" },
		   { "QK102", "d1" }, { "QK103", "bn" }, { "QK102", "sm" });
	cr_assert_eq(sink.findings[0].severity, QK_SEV_INFO);
	cr_assert_eq(sink.findings[1].severity, QK_SEV_ERROR);
	cr_assert_eq(sink.findings[2].severity, QK_SEV_WARNING);
	qk_sink_release(&sink);
}

Test(engine, skips_rules_set_off)
{
	struct qk_sink sink = QK_SINK_INIT;

	lint("rules:\n  QK102: off\n  model-not-quantized: off\n", &sink);
	QKT_EXPECT(&sink, { "QK001", "d1" }, { "QK103", "bn" });
	qk_sink_release(&sink);
}

Test(engine, applies_level_override)
{
	struct qk_sink sink = QK_SINK_INIT;

	lint("rules:\n  QK103: error\n", &sink);
	cr_assert_eq(sink.findings[3].rule, qk_rules_find("QK103"));
	cr_assert_eq(sink.findings[3].severity, QK_SEV_ERROR);
	qk_sink_release(&sink);
}

Test(engine, drops_ignored_layers)
{
	struct qk_sink sink = QK_SINK_INIT;

	lint("rules:\n  QK102:\n    ignore-layers: [s*]\n", &sink);
	QKT_EXPECT(&sink, { "QK104", NULL }, { "QK001", "d1" },
		   { "QK102", "d1" }, { "QK103", "bn" });
	qk_sink_release(&sink);
}

Test(engine, appends_after_existing)
{
	struct qk_sink sink = QK_SINK_INIT;
	struct qk_rule_conf conf;

	cr_assert_eq(qk_rule_conf_init(&conf, qk_rules_find("QK201")), 0);
	cr_assert_eq(qk_sink_add(&sink, &conf, NULL, NULL, "earlier"), 0);
	lint(NULL, &sink);
	cr_assert_eq(sink.n_findings, 6);
	cr_assert_str_eq(sink.findings[0].message, "earlier");
	cr_assert_str_eq(sink.findings[1].rule->id, "QK104");
	qk_rule_conf_release(&conf);
	qk_sink_release(&sink);
}

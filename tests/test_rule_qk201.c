#include <string.h>
#include <criterion/criterion.h>

#include "prec_rule_models.h"

Test(qk201, flags_wide_accumulator)
{
	struct qk_model *model = precrt_wide_model();
	struct qk_sink sink = QK_SINK_INIT;

	qkt_run(model, "QK201", &sink);
	QKT_EXPECT(&sink, { "QK201", "fc" });
	cr_expect_eq(sink.findings[0].severity, QK_SEV_WARNING);
	qkt_message_has(&sink, 0, "(41 bits > 32 bits)");
	qkt_message_has(&sink, 0, "ap_fixed<41,4>");
	qkt_message_has(&sink, 0, "input precision assumed fixed<16,6>");
	qkt_hint_has(&sink, 0, "fewer bits");
	qk_sink_release(&sink);
	qk_model_free(model);
}

Test(qk201, accepts_narrow_accumulator)
{
	struct qk_model *model = precrt_narrow_model();
	struct qk_sink sink = QK_SINK_INIT;

	qkt_run(model, "QK201", &sink);
	QKT_EXPECT_NONE(&sink);
	qk_sink_release(&sink);
	qk_model_free(model);
}

Test(qk201, warn_bits_option)
{
	struct qk_model *model = precrt_narrow_model();
	struct qk_sink sink = QK_SINK_INIT;

	qkt_run_with(model, "QK201", "warn-bits", "10", &sink);
	QKT_EXPECT(&sink, { "QK201", "fc" });
	qkt_message_has(&sink, 0, "(11 bits > 10 bits)");
	qk_sink_release(&sink);
	qk_model_free(model);
}

/*
 * fixed<48,24> = (1,23,24): the sum is (1, 23 - 3 + 1, 24 + 27), 73 bits,
 * past max-bits: an error even though the rule's level is warning.
 */
Test(qk201, error_above_max_bits)
{
	struct qk_model *model = precrt_wide_model();
	struct qk_sink sink = QK_SINK_INIT;

	qkt_run_with(model, "QK201", "input-precision", "fixed<48,24>",
		     &sink);
	QKT_EXPECT(&sink, { "QK201", "fc" });
	cr_expect_eq(sink.findings[0].severity, QK_SEV_ERROR);
	qkt_message_has(&sink, 0, "(73 bits > 64 bits)");
	qkt_message_has(&sink, 0, "HGQ rejects types wider than 64 bits");
	qk_sink_release(&sink);
	qk_model_free(model);
}

Test(qk201, max_bits_option)
{
	struct qk_model *model = precrt_wide_model();
	struct qk_sink sink = QK_SINK_INIT;

	qkt_run_with(model, "QK201", "max-bits", "40", &sink);
	QKT_EXPECT(&sink, { "QK201", "fc" });
	cr_expect_eq(sink.findings[0].severity, QK_SEV_ERROR);
	qk_sink_release(&sink);
	qk_model_free(model);
}

Test(qk201, invalid_input_precision)
{
	const struct qk_rule *rule = qk_rules_find("QK201");
	struct qk_rule_conf conf;
	struct qk_err err = QK_ERR_INIT;
	size_t i;

	/* A bad type is rejected when the config is read, not per model. */
	cr_assert_eq(qk_rule_conf_init(&conf, rule), 0);
	for (i = 0; i < rule->n_options; i++)
		if (!strcmp(rule->options[i].name, "input-precision"))
			break;
	cr_assert_lt(i, rule->n_options);
	cr_expect_eq(qk_rule_conf_set(&conf, i, "fixed<16", &err), -1);
	cr_expect(strstr(err.msg, "invalid value 'fixed<16' for option "
			 "'input-precision' of QK201"), "%s", err.msg);
	cr_expect_str_eq(qk_rule_conf_string(&conf, "input-precision"),
			 "fixed<16,6>");
	qk_rule_conf_release(&conf);
}

Test(qk201, negative_width_rejected)
{
	const struct qk_rule *rule = qk_rules_find("QK201");
	struct qk_rule_conf conf;
	struct qk_err err = QK_ERR_INIT;

	cr_assert_eq(qk_rule_conf_init(&conf, rule), 0);
	cr_expect_eq(qk_rule_conf_set(&conf, 0, "-5", &err), -1);
	cr_expect(strstr(err.msg, "expected a non-negative integer"), "%s",
		  err.msg);
	qk_rule_conf_release(&conf);
}

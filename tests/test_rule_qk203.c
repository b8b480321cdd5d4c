#include <criterion/criterion.h>

#include "prec_rule_models.h"

Test(qk203, flags_inexact_sum)
{
	struct qk_model *model = precrt_wide_model();
	struct qk_sink sink = QK_SINK_INIT;

	qkt_run(model, "QK203", &sink);
	QKT_EXPECT(&sink, { "QK203", "fc" });
	qkt_message_has(&sink, 0, "(40 bits > 24 bits)");
	qkt_message_has(&sink, 0, "input precision assumed fixed<16,6>");
	qk_sink_release(&sink);
	qk_model_free(model);
}

Test(qk203, accepts_exact_sum)
{
	struct qk_model *model = precrt_narrow_model();
	struct qk_sink sink = QK_SINK_INIT;

	qkt_run(model, "QK203", &sink);
	QKT_EXPECT_NONE(&sink);
	qk_sink_release(&sink);
	qk_model_free(model);
}

Test(qk203, max_significant_bits_option)
{
	struct qk_model *model = precrt_narrow_model();
	struct qk_sink sink = QK_SINK_INIT;

	qkt_run_with(model, "QK203", "max-significant-bits", "9", &sink);
	QKT_EXPECT(&sink, { "QK203", "fc" });
	qkt_message_has(&sink, 0, "(10 bits > 9 bits)");
	qk_sink_release(&sink);
	qk_model_free(model);
}

/* fixed<8,3> = (1,2,5) input: (1, 2 - 3 + 1, 5 + 27) = (1,0,32), 32 > 24. */
Test(qk203, input_precision_option)
{
	struct qk_model *model = precrt_wide_model();
	struct qk_sink sink = QK_SINK_INIT;

	qkt_run_with(model, "QK203", "input-precision", "fixed<8,3>", &sink);
	QKT_EXPECT(&sink, { "QK203", "fc" });
	qkt_message_has(&sink, 0, "(32 bits > 24 bits)");
	qkt_message_has(&sink, 0, "assumed fixed<8,3>");
	qk_sink_release(&sink);
	qk_model_free(model);
}

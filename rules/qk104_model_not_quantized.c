#include "rule.h"

static const char summary[] = "the model has no QKeras quantizers";

static const char explain[] =
	"qklint checks the prerequisites for converting a QKeras model to a "
	"fixed-point proxy model. A plain Keras model has no quantizers, so "
	"every weight and activation would be converted from float values "
	"and most other findings follow from that one fact: this rule reports "
	"it once for the whole model. A model that already is an HGQ proxy "
	"model (it contains FixedPointQuantizer layers) gets a note that the "
	"QKeras prerequisites do not apply, and the rules on inputs, "
	"quantizers and weights (QK001 to QK005) stay silent for it.";

static const char fix[] =
	"Quantize the model with QKeras (QDense, QConv2D and QActivation with "
	"quantized_bits or quantized_relu quantizers) and retrain it before "
	"converting. For an HGQ proxy model nothing needs to change.";

static int check(const struct qk_model *model, const struct qk_rule_conf *conf,
		 struct qk_sink *sink)
{
	switch (model->kind) {
	case QK_MODEL_KERAS:
		return qk_sink_add(sink, conf, NULL,
				   "quantize the model with QKeras layers and "
				   "quantizers before converting it",
				   "model has no QKeras layers or quantizers, "
				   "so every weight and activation stays "
				   "unquantized float");
	case QK_MODEL_HGQ_PROXY:
		return qk_sink_add(sink, conf, NULL, NULL,
				   "model is already an HGQ proxy model, so "
				   "the QKeras prerequisites do not apply");
	default:
		return 0;
	}
}

const struct qk_rule qk_rule_qk104 = {
	.id = "QK104",
	.name = "model-not-quantized",
	.category = "model",
	.severity = QK_SEV_INFO,
	.status = QK_RULE_STABLE,
	.summary = summary,
	.explain = explain,
	.fix = fix,
	.options = NULL,
	.n_options = 0,
	.check = check,
};

#include "rule.h"

#include "walk.h"

static const char summary[] =
	"an activation quantizer has no fixed-point form in the conversion";

static const char explain[] =
	"The conversion turns an activation quantizer (a QActivation's, or "
	"the activation of a QDense, QConv or other Q layer) into fixed-point "
	"proxy layers only for quantized_bits and quantized_relu. "
	"quantized_po2 and quantized_relu_po2 produce powers of two, which no "
	"fixed-point quantizer reproduces, and the conversion raises an error "
	"for them. quantized_tanh, quantized_sigmoid, quantized_ulaw, "
	"quantized_hswish, quantized_linear, bernoulli and the stochastic "
	"quantizers have no mapping at all. ternary rounds at a threshold of "
	"0.33 rather than 0.5 and its mapping fails with an error. binary is "
	"mapped to a new QActivation(binary) that the conversion then maps "
	"again, so the conversion is not known to finish. A quantizer class "
	"unknown to qklint is reported as well. Kernel, bias and other weight "
	"quantizers are not checked here: the conversion stores their "
	"quantized values, so powers of two are fine there. HGQ proxy models "
	"are not checked.";

static const char fix[] =
	"Use quantized_bits or quantized_relu for activations, for example "
	"QActivation('quantized_relu(8,3)'), and keep power-of-two and other "
	"special quantizers to kernels.";

/* Returns why kind has no fixed-point activation form, or NULL if it has. */
static const char *unsupported_reason(enum qk_quantizer_kind kind)
{
	switch (kind) {
	case QK_Q_QUANTIZED_BITS:
	case QK_Q_QUANTIZED_RELU:
	case QK_Q_KERAS_ACTIVATION:
		return NULL;
	case QK_Q_QUANTIZED_PO2:
	case QK_Q_QUANTIZED_RELU_PO2:
		return "power-of-two values have no fixed-point form, and the "
		       "conversion raises an error";
	case QK_Q_TERNARY:
		return "ternary rounds at threshold 0.33, which no rounding "
		       "fixed-point quantizer reproduces, and its mapping "
		       "fails with an error";
	case QK_Q_BINARY:
		return "the conversion maps it to a new QActivation(binary) "
		       "that it maps again, so it is not known to finish";
	case QK_Q_STOCHASTIC_BINARY:
	case QK_Q_STOCHASTIC_TERNARY:
	case QK_Q_BERNOULLI:
		return "it draws random values and has no fixed-point mapping";
	case QK_Q_UNKNOWN:
		return "the quantizer class is unknown to qklint and to the "
		       "conversion";
	default:
		return "the conversion maps only quantized_bits and "
		       "quantized_relu to fixed-point quantizers";
	}
}

static int check_layer(const struct qk_model *model,
		       const struct qk_layer *layer,
		       const struct qk_rule_conf *conf, struct qk_sink *sink)
{
	const struct qk_quantizer *q = layer->quant[QK_ROLE_ACTIVATION];
	const char *reason;

	(void)model;
	if (!q)
		return 0;
	reason = unsupported_reason(q->kind);
	if (!reason)
		return 0;
	return qk_sink_add(sink, conf, layer,
			   "use quantized_bits or quantized_relu as the "
			   "activation quantizer",
			   "activation quantizer %s has no fixed-point form: "
			   "%s", q->text, reason);
}

static int check(const struct qk_model *model, const struct qk_rule_conf *conf,
		 struct qk_sink *sink)
{
	if (model->kind == QK_MODEL_HGQ_PROXY)
		return 0;
	return qk_walk_layers(model, check_layer, conf, sink);
}

const struct qk_rule qk_rule_qk003 = {
	.id = "QK003",
	.name = "quantizer-not-fixed-point",
	.category = "quantizers",
	.severity = QK_SEV_ERROR,
	.status = QK_RULE_STABLE,
	.summary = summary,
	.explain = explain,
	.fix = fix,
	.options = NULL,
	.n_options = 0,
	.check = check,
};

#include "rule.h"

#include <stdlib.h>

#include "../lint/error.h"
#include "walk.h"

static const char summary[] = "a quantizer's alpha scale is not 1";

static const char explain[] =
	"Every quantizer that takes an alpha parameter (quantized_bits, "
	"quantized_linear, binary, ternary, stochastic_binary, "
	"stochastic_ternary, quantized_hswish) must have alpha=1. QDense, "
	"QConv and the other layers with weights turn a kernel quantizer's "
	"alpha=None into 'auto_po2', a per-channel power-of-two scale that "
	"QKeras recomputes from the weights and that hls4ml cannot reproduce. "
	"'auto' is the same with any scale. For an activation quantizer the "
	"conversion requires alpha=1 and rejects None. Any other number "
	"scales the quantized values by a factor the conversion does not "
	"support. A bias quantizer's alpha=None means scale 1, so it is only "
	"reported when the option strict-bias is set. HGQ proxy models are "
	"not checked.";

static const char fix[] =
	"Pass alpha=1 to every quantizer that takes it, for example "
	"quantized_bits(8,0,alpha=1), and retrain or re-save the model so the "
	"saved config shows alpha 1.";

static const struct qk_option options[] = {
	{ "strict-bias", QK_OPT_BOOL, "false",
	  "also report bias quantizers that leave alpha unset (None)", NULL },
};

static int has_alpha(enum qk_quantizer_kind kind)
{
	switch (kind) {
	case QK_Q_QUANTIZED_BITS:
	case QK_Q_QUANTIZED_LINEAR:
	case QK_Q_BINARY:
	case QK_Q_TERNARY:
	case QK_Q_STOCHASTIC_BINARY:
	case QK_Q_STOCHASTIC_TERNARY:
	case QK_Q_QUANTIZED_HSWISH:
		return 1;
	default:
		return 0;
	}
}

static int is_weight_role(enum qk_role role)
{
	return role == QK_ROLE_KERNEL || role == QK_ROLE_DEPTHWISE ||
	       role == QK_ROLE_POINTWISE || role == QK_ROLE_RECURRENT;
}

static int report_unset(const struct qk_layer *layer, enum qk_role role,
			const struct qk_quantizer *q, const char *hint,
			const struct qk_rule_conf *conf, struct qk_sink *sink)
{
	const char *label = qk_walk_role_label(role);

	if (is_weight_role(role))
		return qk_sink_add(sink, conf, layer, hint,
				   "%s quantizer %s has alpha=None, which "
				   "QKeras turns into auto_po2 per-channel "
				   "power-of-two scaling that hls4ml cannot "
				   "reproduce", label, q->text);
	if (role == QK_ROLE_BIAS) {
		if (!qk_rule_conf_int(conf, "strict-bias"))
			return 0;
		return qk_sink_add(sink, conf, layer, hint,
				   "bias quantizer %s leaves alpha=None, "
				   "which means scale 1 for a bias but is not "
				   "explicit", q->text);
	}
	return qk_sink_add(sink, conf, layer, hint,
			   "%s quantizer %s has alpha=None, which the proxy "
			   "conversion rejects (it requires alpha=1)", label,
			   q->text);
}

static int report_alpha(const struct qk_layer *layer, enum qk_role role,
			const struct qk_quantizer *q,
			const struct qk_rule_conf *conf, struct qk_sink *sink)
{
	const char *label = qk_walk_role_label(role);
	const struct qk_value *given;
	char *hint;
	int rc = 0;

	hint = qk_asprintf("set alpha=1 in the %s quantizer", label);
	if (!hint) {
		sink->out_of_memory = 1;
		return -1;
	}
	switch (q->alpha_kind) {
	case QK_ALPHA_UNSET:
		rc = report_unset(layer, role, q, hint, conf, sink);
		break;
	case QK_ALPHA_NUMBER:
		if (q->alpha != 1)
			rc = qk_sink_add(sink, conf, layer, hint,
					 "%s quantizer %s has alpha=%g, which "
					 "scales the quantized values, but the "
					 "conversion supports only alpha=1",
					 label, q->text, q->alpha);
		break;
	case QK_ALPHA_AUTO:
	case QK_ALPHA_AUTO_PO2:
		rc = qk_sink_add(sink, conf, layer, hint,
				 "%s quantizer %s has alpha='%s', a scale "
				 "computed from the data at run time that "
				 "hls4ml cannot reproduce", label, q->text,
				 q->alpha_kind == QK_ALPHA_AUTO ? "auto"
								: "auto_po2");
		break;
	case QK_ALPHA_OTHER:
		given = qk_quantizer_param(q, "alpha");
		rc = qk_sink_add(sink, conf, layer, hint,
				 "%s quantizer %s has alpha='%s', which is "
				 "not a scale the conversion supports", label,
				 q->text,
				 given && given->string ? given->string : "?");
		break;
	}
	free(hint);
	return rc;
}

static int check_layer(const struct qk_model *model,
		       const struct qk_layer *layer,
		       const struct qk_rule_conf *conf, struct qk_sink *sink)
{
	int role;

	(void)model;
	for (role = 0; role < QK_ROLE_COUNT; role++) {
		const struct qk_quantizer *q = layer->quant[role];

		if (!q || !has_alpha(q->kind))
			continue;
		if (report_alpha(layer, (enum qk_role)role, q, conf, sink) < 0)
			return -1;
	}
	return 0;
}

static int check(const struct qk_model *model, const struct qk_rule_conf *conf,
		 struct qk_sink *sink)
{
	if (model->kind == QK_MODEL_HGQ_PROXY)
		return 0;
	return qk_walk_layers(model, check_layer, conf, sink);
}

const struct qk_rule qk_rule_qk002 = {
	.id = "QK002",
	.name = "alpha-not-one",
	.category = "quantizers",
	.severity = QK_SEV_ERROR,
	.status = QK_RULE_STABLE,
	.summary = summary,
	.explain = explain,
	.fix = fix,
	.options = options,
	.n_options = sizeof(options) / sizeof(options[0]),
	.check = check,
};

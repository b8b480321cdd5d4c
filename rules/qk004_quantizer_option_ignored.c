#include "rule.h"

#include "walk.h"

static const char summary[] =
	"a quantizer option is ignored or mishandled by the conversion";

static const char explain[] =
	"Some quantizer options change what QKeras computes but are ignored "
	"or rejected by the conversion, so the proxy model computes something "
	"else. The conversion maps quantized_relu to a plain ReLU followed by "
	"a fixed-point quantizer and drops negative_slope, use_sigmoid and "
	"relu_upper_bound. use_stochastic_rounding makes QKeras round at "
	"random, at least while training, while fixed point always rounds "
	"to nearest. binary with use_01=True "
	"is not supported. quantized_bits accepts only symmetric 0 or 1 in "
	"the conversion, and with keep_negative=True and bits=1 QKeras "
	"computes sign(x), which the 1-bit fixed-point form cannot hold. A "
	"qnoise_factor other than 1 mixes the input into the output "
	"(x + qnoise_factor * (q - x)), so the result is no longer the "
	"quantized value. Each option is reported separately. HGQ proxy "
	"models are not checked.\n"
	"\n"
	"Known problems: whether QKeras also rounds at random at inference "
	"depends on the quantizer and the QKeras version. qklint reports "
	"use_stochastic_rounding either way.";

static const char fix[] =
	"Remove the option or set it to its default: negative_slope=0, "
	"use_sigmoid=0, no relu_upper_bound, use_stochastic_rounding=False, "
	"use_01=False, symmetric 0 or 1, qnoise_factor=1, and at least 2 bits "
	"for a signed quantized_bits.";

/* Nonzero for the quantizers that take a qnoise_factor argument. */
static int has_qnoise_factor(enum qk_quantizer_kind kind)
{
	return kind == QK_Q_QUANTIZED_BITS || kind == QK_Q_QUANTIZED_RELU ||
	       kind == QK_Q_QUANTIZED_LINEAR || kind == QK_Q_QUANTIZED_PO2 ||
	       kind == QK_Q_QUANTIZED_HSWISH;
}

static int check_relu(const struct qk_layer *layer, const char *label,
		      const struct qk_quantizer *q,
		      const struct qk_rule_conf *conf, struct qk_sink *sink)
{
	if (q->negative_slope != 0 &&
	    qk_sink_add(sink, conf, layer, "set negative_slope=0",
			"%s quantizer %s has negative_slope=%g, which the "
			"conversion ignores (it maps quantized_relu to a plain "
			"ReLU)", label, q->text, q->negative_slope) < 0)
		return -1;
	if (q->use_sigmoid != 0 &&
	    qk_sink_add(sink, conf, layer, "set use_sigmoid=0",
			"%s quantizer %s has use_sigmoid=%g, which the "
			"conversion ignores", label, q->text,
			q->use_sigmoid) < 0)
		return -1;
	if (q->has_relu_upper_bound &&
	    qk_sink_add(sink, conf, layer, "remove relu_upper_bound",
			"%s quantizer %s has relu_upper_bound=%g, which the "
			"conversion ignores", label, q->text,
			q->relu_upper_bound) < 0)
		return -1;
	return 0;
}

static int check_bits(const struct qk_layer *layer, const char *label,
		      const struct qk_quantizer *q,
		      const struct qk_rule_conf *conf, struct qk_sink *sink)
{
	if (q->symmetric != 0 && q->symmetric != 1 &&
	    qk_sink_add(sink, conf, layer, "set symmetric to 0 or 1",
			"%s quantizer %s has symmetric=%g, which the "
			"conversion rejects (it accepts 0 and 1)", label,
			q->text, q->symmetric) < 0)
		return -1;
	if (q->keep_negative && q->bits == 1 &&
	    qk_sink_add(sink, conf, layer,
			"use at least 2 bits, or set keep_negative=False",
			"%s quantizer %s has keep_negative=True with bits=1, "
			"so QKeras computes sign(x), which the 1-bit "
			"fixed-point form cannot hold", label, q->text) < 0)
		return -1;
	return 0;
}

static int check_common(const struct qk_layer *layer, const char *label,
			const struct qk_quantizer *q,
			const struct qk_rule_conf *conf, struct qk_sink *sink)
{
	if (q->use_stochastic_rounding &&
	    qk_sink_add(sink, conf, layer, "set use_stochastic_rounding=False",
			"%s quantizer %s has use_stochastic_rounding=True, "
			"which rounds at random in QKeras (at least in "
			"training) but to nearest in fixed point", label,
			q->text) < 0)
		return -1;
	if (has_qnoise_factor(q->kind) && q->qnoise_factor != 1 &&
	    qk_sink_add(sink, conf, layer, "set qnoise_factor=1",
			"%s quantizer %s has qnoise_factor=%g, so QKeras "
			"returns x + %g * (q - x) instead of the quantized "
			"value q", label, q->text, q->qnoise_factor,
			q->qnoise_factor) < 0)
		return -1;
	if (q->kind == QK_Q_BINARY && q->use_01 &&
	    qk_sink_add(sink, conf, layer, "set use_01=False",
			"%s quantizer %s has use_01=True, which the conversion "
			"does not support", label, q->text) < 0)
		return -1;
	return 0;
}

static int check_layer(const struct qk_model *model,
		       const struct qk_layer *layer,
		       const struct qk_rule_conf *conf, struct qk_sink *sink)
{
	int role;

	(void)model;
	for (role = 0; role < QK_ROLE_COUNT; role++) {
		const struct qk_quantizer *q = layer->quant[role];
		const char *label = qk_walk_role_label((enum qk_role)role);

		if (!q || q->kind == QK_Q_KERAS_ACTIVATION ||
		    q->kind == QK_Q_UNKNOWN)
			continue;
		if (q->kind == QK_Q_QUANTIZED_RELU &&
		    check_relu(layer, label, q, conf, sink) < 0)
			return -1;
		if (q->kind == QK_Q_QUANTIZED_BITS &&
		    check_bits(layer, label, q, conf, sink) < 0)
			return -1;
		if (check_common(layer, label, q, conf, sink) < 0)
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

const struct qk_rule qk_rule_qk004 = {
	.id = "QK004",
	.name = "quantizer-option-ignored",
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

#include "rule.h"

#include "../lint/error.h"
#include "../verify/precision.h"

static const char summary[] =
	"a layer's sum needs more significant bits than float32 holds";

static const char explain[] =
	"QKeras computes a Dense or Conv layer in float32, whose significand "
	"holds 24 bits. When the sum of a layer's products and bias can need "
	"more (the integer plus fractional bits of the derived accumulator, "
	"with the bias included), float32 rounds partial sums, while the "
	"fixed-point proxy adds exactly. The two models can then differ by a "
	"few units in the last place of the sum, and the quantizer after the "
	"layer can turn that into a whole step. The derivation needs the "
	"input's type; a model input without a quantized_bits QActivation "
	"is assumed to have the type of the input-precision option, and the "
	"message says so.\n"
	"\n"
	"Known problems: the width is the derived bound, so the sums reached "
	"in practice may stay exact.";

static const char fix[] =
	"Quantize the layer's input and weights to fewer bits so that their "
	"fractional and integer bits together stay within 24, or accept "
	"rare last-place differences.";

static const struct qk_option options[] = {
	{ "max-significant-bits", QK_OPT_INT, "24",
	  "significant bits of the sum above which float32 rounds (24 for "
	  "float32)", NULL },
	{ "input-precision", QK_OPT_STRING, "fixed<16,6>",
	  "type assumed for a model input without a quantized_bits "
	  "QActivation", qk_fixed_validate },
};

static int check(const struct qk_model *model, const struct qk_rule_conf *conf,
		 struct qk_sink *sink)
{
	const char *input = qk_rule_conf_string(conf, "input-precision");
	long long max = qk_rule_conf_int(conf, "max-significant-bits");
	struct qk_precision *prec;
	struct qk_err err = QK_ERR_INIT;
	char assumed[160] = "";
	size_t j;
	int rc = 0;

	if (qk_precision_derive_text(model, input, &prec, &err))
		return qk_sink_add(sink, conf, NULL, NULL,
				   "cannot derive the accumulator types: %s",
				   err.msg);
	if (prec->input_assumed)
		snprintf(assumed, sizeof(assumed), "; input precision "
			 "assumed %s", input);
	for (j = 0; j < model->n_layers && rc == 0; j++) {
		const struct qk_layer_prec *row =
			qk_precision_layer(prec, QK_PREC_SAFE, j);
		int bits = row->accum_significant_bits;

		if (!row->accum.present || bits <= max)
			continue;
		rc = qk_sink_add(sink, conf, &model->layers[j],
				 "quantize the input or the kernel with "
				 "fewer bits",
				 "float32 sum needs %d significant bits (%d "
				 "bits > %lld bits): QKeras rounds it, the "
				 "proxy does not%s", bits, bits, max,
				 assumed);
	}
	qk_precision_free(prec);
	return rc;
}

const struct qk_rule qk_rule_qk203 = {
	.id = "QK203",
	.name = "float32-accumulation-inexact",
	.category = "fixed-point",
	.severity = QK_SEV_WARNING,
	.status = QK_RULE_PREVIEW,
	.summary = summary,
	.explain = explain,
	.fix = fix,
	.options = options,
	.n_options = sizeof(options) / sizeof(options[0]),
	.check = check,
};

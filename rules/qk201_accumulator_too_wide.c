#include "rule.h"

#include <stdlib.h>

#include "../lint/error.h"
#include "../verify/precision.h"

static const char summary[] =
	"a layer's accumulator needs more bits than firmware handles well";

static const char explain[] =
	"The proxy model sums the products of a Dense or Conv layer in an "
	"accumulator wide enough that nothing rounds or overflows: sign bit "
	"if the input, a weight or the bias is negative, integer bits of the "
	"input plus those of the weights plus ceil(log2(fan_in)), fractional "
	"bits of the input plus those of the weights. That width grows with "
	"wide inputs, unquantized weights and large fan-in. Above warn-bits "
	"(default 32) the multipliers and adders get expensive; above "
	"max-bits (default 64) HGQ rejects the type and the firmware cannot "
	"be built.\n"
	"\n"
	"Severity: a width above warn-bits is reported at the rule's level "
	"(warning by default). A width above max-bits is reported as an "
	"error whatever the level, because the build fails; setting the rule "
	"to off silences both.\n"
	"\n"
	"The derivation needs the input's type. A model input that is not "
	"followed by a quantized_bits QActivation is assumed to have the type "
	"of the input-precision option, and the message says so.";

static const char fix[] =
	"Quantize the layer's input and weights to fewer bits (a "
	"quantized_bits QActivation before the layer, a kernel_quantizer "
	"with fewer bits), or split a layer with a very large fan-in.";

static const struct qk_option options[] = {
	{ "warn-bits", QK_OPT_INT, "32",
	  "accumulator width in bits above which the rule warns", NULL },
	{ "max-bits", QK_OPT_INT, "64",
	  "accumulator width in bits above which the firmware cannot be "
	  "built (reported as an error)", NULL },
	{ "input-precision", QK_OPT_STRING, "fixed<16,6>",
	  "type assumed for a model input without a quantized_bits "
	  "QActivation", qk_fixed_validate },
};

static int report(const struct qk_layer *layer, const struct qk_layer_prec *row,
		  const struct qk_precision *prec,
		  const struct qk_rule_conf *conf, struct qk_sink *sink)
{
	struct qk_rule_conf hard = *conf;
	long long warn = qk_rule_conf_int(conf, "warn-bits");
	long long max = qk_rule_conf_int(conf, "max-bits");
	int width = row->accum.fixed.width;
	char type[96], assumed[160] = "";

	if (width <= warn && width <= max)
		return 0;
	qk_fixed_format(&row->accum.fixed, type, sizeof(type));
	if (prec->input_assumed)
		snprintf(assumed, sizeof(assumed), "; input precision "
			 "assumed %s", qk_rule_conf_string(conf,
							   "input-precision"));
	if (width > max) {
		if (hard.severity < QK_SEV_ERROR)
			hard.severity = QK_SEV_ERROR;
		return qk_sink_add(sink, &hard, layer, "quantize the input "
				   "or the kernel with fewer bits",
				   "accumulator %s needs %d bits (%d bits > "
				   "%lld bits): HGQ rejects types wider than 64 bits%s",
				   type, width, width, max, assumed);
	}
	return qk_sink_add(sink, conf, layer, "quantize the input or the "
			   "kernel with fewer bits",
			   "accumulator %s needs %d bits (%d bits > %lld "
			   "bits)%s", type, width, width, warn, assumed);
}

static int check(const struct qk_model *model, const struct qk_rule_conf *conf,
		 struct qk_sink *sink)
{
	const char *input = qk_rule_conf_string(conf, "input-precision");
	struct qk_precision *prec;
	struct qk_err err = QK_ERR_INIT;
	size_t j;
	int rc = 0;

	if (qk_precision_derive_text(model, input, &prec, &err))
		return qk_sink_add(sink, conf, NULL, NULL,
				   "cannot derive the accumulator types: %s",
				   err.msg);
	for (j = 0; j < model->n_layers && rc == 0; j++) {
		const struct qk_layer_prec *row =
			qk_precision_layer(prec, QK_PREC_SAFE, j);

		if (row->accum.present)
			rc = report(&model->layers[j], row, prec, conf, sink);
	}
	qk_precision_free(prec);
	return rc;
}

const struct qk_rule qk_rule_qk201 = {
	.id = "QK201",
	.name = "accumulator-too-wide",
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

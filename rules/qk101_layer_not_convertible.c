#include "rule.h"

#include <stdlib.h>
#include <string.h>

#include "../lint/error.h"
#include "walk.h"

static const char summary[] = "a layer cannot be converted to the proxy model";

static const char explain[] =
	"The conversion replaces each QKeras layer with the Keras layer whose "
	"class name is the QKeras name without the leading Q, and fails when "
	"keras.layers has no such class. QConv2DBatchnorm, QDenseBatchnorm, "
	"QDepthwiseConv2DBatchnorm and QAdaptiveActivation are therefore not "
	"convertible. Recurrent layers (SimpleRNN, LSTM, GRU and their QKeras "
	"forms) are not supported by the conversion either. A layer class "
	"unknown to qklint is reported too, because qklint cannot check "
	"whether the conversion and hls4ml accept it. Classes listed in the "
	"option allow-classes are accepted without a finding.";

static const char fix[] =
	"Replace a folded QKeras layer with its plain QKeras form (QConv2D, "
	"QDense, QDepthwiseConv2D) and fold the batch normalization into its "
	"weights before conversion. Replace QAdaptiveActivation with a "
	"QActivation with a fixed quantizer. For a custom layer that hls4ml "
	"supports, add its class to allow-classes.";

static const struct qk_option options[] = {
	{ "allow-classes", QK_OPT_STRING, "",
	  "comma-separated layer classes to accept, e.g. MyLayer,OtherLayer",
	  NULL },
};

/* Nonzero when class_name is an entry of the comma-separated list. */
static int class_allowed(const char *list, const char *class_name)
{
	size_t len = strlen(class_name);
	const char *p = list;

	while (*p) {
		const char *end = strchr(p, ',');
		const char *stop = end ? end : p + strlen(p);

		while (p < stop && (*p == ' ' || *p == '\t'))
			p++;
		while (stop > p && (stop[-1] == ' ' || stop[-1] == '\t'))
			stop--;
		if ((size_t)(stop - p) == len && !strncmp(p, class_name, len))
			return 1;
		if (!end)
			break;
		p = end + 1;
	}
	return 0;
}

/* The QKeras base layer to use in place of a folded "...Batchnorm" class. */
static char *unfolded_class(const char *class_name)
{
	static const char suffix[] = "Batchnorm";
	size_t len = strlen(class_name), n = sizeof(suffix) - 1;

	if (len > n && !strcmp(class_name + len - n, suffix))
		return qk_strndup(class_name, len - n);
	return NULL;
}

static int report_unconvertible(const struct qk_layer *layer,
				const struct qk_rule_conf *conf,
				struct qk_sink *sink)
{
	const char *name = layer->class_name;
	const char *base = name[0] == 'Q' ? name + 1 : name;
	char *unfolded = unfolded_class(name), *hint;
	int rc;

	if (unfolded)
		hint = qk_asprintf("replace it with %s and fold the batch "
				   "normalization into its weights", unfolded);
	else if (!strcmp(name, "QAdaptiveActivation"))
		hint = qk_strdup("replace it with a QActivation with a fixed "
				 "quantizer");
	else
		hint = qk_strdup("replace it with a layer the conversion "
				 "supports");
	free(unfolded);
	if (!hint) {
		sink->out_of_memory = 1;
		return -1;
	}
	rc = qk_sink_add(sink, conf, layer, hint,
			 "layer class %s cannot be converted: keras.layers "
			 "has no base class '%s'", name, base);
	free(hint);
	return rc;
}

static int check_layer(const struct qk_model *model,
		       const struct qk_layer *layer,
		       const struct qk_rule_conf *conf, struct qk_sink *sink)
{
	char *hint;
	int rc;

	(void)model;
	if (class_allowed(qk_rule_conf_string(conf, "allow-classes"),
			  layer->class_name))
		return 0;
	switch (layer->kind) {
	case QK_LAYER_UNCONVERTIBLE:
		return report_unconvertible(layer, conf, sink);
	case QK_LAYER_RECURRENT:
		return qk_sink_add(sink, conf, layer, NULL,
				   "recurrent layer %s is not supported by the "
				   "proxy conversion", layer->class_name);
	case QK_LAYER_UNKNOWN:
		hint = qk_asprintf("add %s to allow-classes if hls4ml "
				   "supports it", layer->class_name);
		if (!hint) {
			sink->out_of_memory = 1;
			return -1;
		}
		rc = qk_sink_add(sink, conf, layer, hint,
				 "layer class %s is unknown to qklint, so its "
				 "conversion cannot be checked",
				 layer->class_name);
		free(hint);
		return rc;
	default:
		return 0;
	}
}

static int check(const struct qk_model *model, const struct qk_rule_conf *conf,
		 struct qk_sink *sink)
{
	return qk_walk_layers(model, check_layer, conf, sink);
}

const struct qk_rule qk_rule_qk101 = {
	.id = "QK101",
	.name = "layer-not-convertible",
	.category = "layers",
	.severity = QK_SEV_ERROR,
	.status = QK_RULE_STABLE,
	.summary = summary,
	.explain = explain,
	.fix = fix,
	.options = options,
	.n_options = sizeof(options) / sizeof(options[0]),
	.check = check,
};

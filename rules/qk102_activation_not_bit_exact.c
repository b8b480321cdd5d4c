#include "rule.h"

#include <stdlib.h>
#include <string.h>

#include "../lint/error.h"
#include "walk.h"

static const char summary[] =
	"an activation function cannot match QKeras bit for bit";

static const char explain[] =
	"softmax, sigmoid, tanh and the other smooth activation functions "
	"(hard_sigmoid, softplus, softsign, elu, selu, gelu, swish, silu, "
	"exponential) stay plain Keras activations in the proxy model, and "
	"hls4ml approximates them in fixed point, mostly with lookup tables. "
	"The firmware then differs from the QKeras float32 result in the last "
	"bits, so a bit-exact comparison fails there. The rule checks Keras "
	"Activation and Softmax layers, the activation argument of any layer, "
	"and a QActivation given a plain Keras activation. relu and linear "
	"are exact and not reported.";

static const char fix[] =
	"Where bit-exact output matters, replace the function with a "
	"quantized_relu or quantized_bits activation, or apply it outside the "
	"firmware (for example a final softmax on the host) and compare the "
	"outputs before it.";

static const char *const inexact_functions[] = {
	"softmax", "sigmoid", "tanh", "hard_sigmoid", "softplus", "softsign",
	"elu", "selu", "gelu", "swish", "silu", "exponential",
};

static int is_inexact(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(inexact_functions) / sizeof(*inexact_functions);
	     i++)
		if (!strcmp(name, inexact_functions[i]))
			return 1;
	return 0;
}

/* Returns the activation function the layer applies, or NULL. */
static const char *activation_of(const struct qk_layer *layer)
{
	const struct qk_quantizer *q = layer->quant[QK_ROLE_ACTIVATION];

	if (!strcmp(layer->class_name, "Softmax"))
		return "softmax";
	if (q && q->kind == QK_Q_KERAS_ACTIVATION)
		return q->class_name;
	if (q)
		return NULL;
	return layer->activation;
}

static int check_layer(const struct qk_model *model,
		       const struct qk_layer *layer,
		       const struct qk_rule_conf *conf, struct qk_sink *sink)
{
	const char *name = activation_of(layer);
	char *hint;
	int rc;

	(void)model;
	if (!name || !is_inexact(name))
		return 0;
	hint = qk_asprintf("apply %s outside the firmware, or replace it with "
			   "a quantized_bits or quantized_relu activation",
			   name);
	if (!hint) {
		sink->out_of_memory = 1;
		return -1;
	}
	rc = qk_sink_add(sink, conf, layer, hint,
			 "activation %s is not bit-exact: hls4ml approximates "
			 "it in fixed point, mostly with lookup tables", name);
	free(hint);
	return rc;
}

static int check(const struct qk_model *model, const struct qk_rule_conf *conf,
		 struct qk_sink *sink)
{
	return qk_walk_layers(model, check_layer, conf, sink);
}

const struct qk_rule qk_rule_qk102 = {
	.id = "QK102",
	.name = "activation-not-bit-exact",
	.category = "layers",
	.severity = QK_SEV_WARNING,
	.status = QK_RULE_STABLE,
	.summary = summary,
	.explain = explain,
	.fix = fix,
	.options = NULL,
	.n_options = 0,
	.check = check,
};

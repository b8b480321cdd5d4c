#include "rule.h"

#include <string.h>

#include "../lint/error.h"
#include "container.h"

static const char summary[] =
	"a weight array without a quantizer needs too many bits";

static const char explain[] =
	"A kernel or bias without a quantizer is stored in the proxy model as "
	"it is, with the fixed-point type its float32 values need: the "
	"fewest fractional bits in (-32, 32) that hold every value exactly "
	"and the integer bits that hold the largest one. Trained float "
	"weights usually need the full 32 fractional bits, and every "
	"multiplier and accumulator after them grows with that width. The "
	"rule reports such an array when its type is wider than max-bits "
	"(default 16). A weight with a quantizer is not checked here: its "
	"width is the quantizer's.";

static const char fix[] =
	"Give the weight a quantizer, for example "
	"kernel_quantizer=quantized_bits(8,0,alpha=1), using the QKeras layer "
	"class for a plain Keras layer, and retrain.";

static const struct qk_option options[] = {
	{ "max-bits", QK_OPT_INT, "16",
	  "width in bits above which an unquantized weight array is "
	  "reported", NULL },
};

static const struct {
	const char *name;
	enum qk_role role;
} weight_roles[] = {
	{ "kernel", QK_ROLE_KERNEL },
	{ "bias", QK_ROLE_BIAS },
	{ "depthwise_kernel", QK_ROLE_DEPTHWISE },
	{ "pointwise_kernel", QK_ROLE_POINTWISE },
};

static int check_weight(const struct qk_layer *layer, const char *name,
			enum qk_role role, const struct qk_rule_conf *conf,
			struct qk_sink *sink)
{
	const struct qk_tensor *t = qk_layer_weight(layer, name);
	long long max = qk_rule_conf_int(conf, "max-bits");
	struct qk_container c;
	int width;

	if (!t || t->count == 0 || (layer->is_qkeras && layer->quant[role]))
		return 0;
	qk_container_of(t->data, t->count, &c);
	width = qk_container_width(&c);
	if (width <= max)
		return 0;
	return qk_sink_add(sink, conf, layer, "give it a quantizer, for "
			   "example quantized_bits(8,0,alpha=1)",
			   "%s without quantizer needs %d bits (%d bits > "
			   "%lld bits)%s", name, width, width, max,
			   c.exact ? "" : "; its values are not on any "
			   "grid coarser than 2^-32, so it is treated as "
			   "unquantized");
}

static int check(const struct qk_model *model, const struct qk_rule_conf *conf,
		 struct qk_sink *sink)
{
	size_t j, r;

	if (model->kind == QK_MODEL_HGQ_PROXY)
		return 0;
	for (j = 0; j < model->n_layers; j++) {
		for (r = 0; r < sizeof(weight_roles) / sizeof(weight_roles[0]);
		     r++) {
			if (check_weight(&model->layers[j],
					 weight_roles[r].name,
					 weight_roles[r].role, conf, sink))
				return -1;
		}
	}
	return 0;
}

const struct qk_rule qk_rule_qk202 = {
	.id = "QK202",
	.name = "weight-too-wide",
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

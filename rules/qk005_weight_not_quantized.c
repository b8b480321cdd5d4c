#include "rule.h"

#include <stdlib.h>
#include <string.h>

#include "../lint/error.h"
#include "container.h"
#include "walk.h"

static const char summary[] = "a layer's weights have no quantizer";

static const char explain[] =
	"A kernel or bias without a quantizer (including every weight of a "
	"plain Keras Dense or Conv layer) is stored in the proxy model as it "
	"is, and the conversion gives it the fixed-point type its float32 "
	"values need: the fewest fractional bits in (-32, 32) that hold every "
	"value exactly, and the integer bits that hold the largest one. "
	"Trained float weights usually need more than 32 fractional bits, so "
	"they are treated as unquantized with 32 fractional bits, and the "
	"multipliers and accumulators that follow grow accordingly. Nothing "
	"in the conversion warns about it. The finding gives the type the "
	"values need. Layers whose weights were not loaded are skipped, and "
	"so are HGQ proxy models, whose weights are already quantized values "
	"checked by the FixedPointQuantizer layers after them.";

static const char fix[] =
	"Give every weight a quantizer: use the QKeras layer (QDense, QConv2D, "
	"...) with kernel_quantizer and bias_quantizer set, for example "
	"quantized_bits(8,0,alpha=1), and retrain.";

struct weight_role {
	const char *name;	/* weight name as stored */
	enum qk_role role;
};

static const struct weight_role weight_roles[] = {
	{ "kernel", QK_ROLE_KERNEL },
	{ "bias", QK_ROLE_BIAS },
	{ "depthwise_kernel", QK_ROLE_DEPTHWISE },
	{ "pointwise_kernel", QK_ROLE_POINTWISE },
};

static int has_quantizable_weights(enum qk_layer_kind kind)
{
	switch (kind) {
	case QK_LAYER_DENSE:
	case QK_LAYER_CONV1D:
	case QK_LAYER_CONV2D:
	case QK_LAYER_DEPTHWISE_CONV2D:
	case QK_LAYER_SEPARABLE_CONV1D:
	case QK_LAYER_SEPARABLE_CONV2D:
		return 1;
	default:
		return 0;
	}
}

/* Returns "ap_fixed<W,I>" or "ap_ufixed<W,I>", owned by the caller. */
static char *type_text(const struct qk_container *c)
{
	if (c->k)
		return qk_asprintf("ap_fixed<%d,%d>", qk_container_width(c),
				   c->k + c->i);
	return qk_asprintf("ap_ufixed<%d,%d>", qk_container_width(c), c->i);
}

static char *hint_text(const struct qk_layer *layer, enum qk_role role)
{
	const char *key = qk_role_config_key(role);

	if (layer->is_qkeras)
		return qk_asprintf("set %s, for example quantized_bits(8,0,"
				   "alpha=1)", key);
	return qk_asprintf("replace %s with Q%s and set %s, for example "
			   "quantized_bits(8,0,alpha=1)", layer->class_name,
			   layer->class_name, key);
}

static int report(const struct qk_layer *layer, const struct qk_tensor *w,
		  enum qk_role role, const struct qk_rule_conf *conf,
		  struct qk_sink *sink)
{
	struct qk_container c;
	char *type, *hint;
	int rc = -1;

	qk_container_of(w->data, w->count, &c);
	type = type_text(&c);
	hint = hint_text(layer, role);
	if (!type || !hint) {
		sink->out_of_memory = 1;
		goto out;
	}
	if (c.exact)
		rc = qk_sink_add(sink, conf, layer, hint,
				 "%s has no quantizer, so its values need %s "
				 "(%d fractional bits)", w->name, type, c.f);
	else
		rc = qk_sink_add(sink, conf, layer, hint,
				 "%s has no quantizer, so its values need %s "
				 "(%d fractional bits, treated as unquantized)",
				 w->name, type, c.f);
out:
	free(type);
	free(hint);
	return rc;
}

static int check_layer(const struct qk_model *model,
		       const struct qk_layer *layer,
		       const struct qk_rule_conf *conf, struct qk_sink *sink)
{
	size_t i, j;

	(void)model;
	if (!has_quantizable_weights(layer->kind))
		return 0;
	for (i = 0; i < layer->n_weights; i++) {
		const struct qk_tensor *w = &layer->weights[i];

		if (!w->name || !w->data)
			continue;
		for (j = 0; j < sizeof(weight_roles) / sizeof(*weight_roles);
		     j++) {
			enum qk_role role = weight_roles[j].role;

			if (strcmp(w->name, weight_roles[j].name) ||
			    layer->quant[role])
				continue;
			if (report(layer, w, role, conf, sink) < 0)
				return -1;
		}
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

const struct qk_rule qk_rule_qk005 = {
	.id = "QK005",
	.name = "weight-not-quantized",
	.category = "weights",
	.severity = QK_SEV_WARNING,
	.status = QK_RULE_STABLE,
	.summary = summary,
	.explain = explain,
	.fix = fix,
	.options = NULL,
	.n_options = 0,
	.check = check,
};

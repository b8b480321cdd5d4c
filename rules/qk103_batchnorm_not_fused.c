#include "rule.h"

#include "walk.h"

static const char summary[] = "a batch normalization layer is left unfused";

static const char explain[] =
	"A BatchNormalization or QBatchNormalization layer left in the graph "
	"is kept by the conversion as it is, so the proxy model multiplies "
	"and adds its float parameters (scale, offset, moving mean and "
	"variance) at run time. Those products are not on any fixed-point "
	"grid the proxy can reproduce exactly, so the output differs from "
	"QKeras. QKeras' folded layers (QConv2DBatchnorm and the others) are "
	"no way out, because the conversion cannot convert them "
	"(QK101 layer-not-convertible).";

static const char fix[] =
	"Fold the normalization into the preceding layer's kernel and bias "
	"before conversion, or quantize its parameters so they are exact "
	"fixed-point values.";

static int check_layer(const struct qk_model *model,
		       const struct qk_layer *layer,
		       const struct qk_rule_conf *conf, struct qk_sink *sink)
{
	(void)model;
	if (layer->kind != QK_LAYER_BATCHNORM)
		return 0;
	return qk_sink_add(sink, conf, layer,
			   "fold it into the preceding layer's weights before "
			   "conversion, or quantize its parameters",
			   "unfused %s computes with float parameters, so the "
			   "proxy model is not exact", layer->class_name);
}

static int check(const struct qk_model *model, const struct qk_rule_conf *conf,
		 struct qk_sink *sink)
{
	return qk_walk_layers(model, check_layer, conf, sink);
}

const struct qk_rule qk_rule_qk103 = {
	.id = "QK103",
	.name = "batchnorm-not-fused",
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

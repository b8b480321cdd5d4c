#include "walk.h"

int qk_walk_layers(const struct qk_model *model, qk_layer_fn fn,
		   const struct qk_rule_conf *conf, struct qk_sink *sink)
{
	size_t i;

	for (i = 0; i < model->n_layers; i++) {
		const struct qk_layer *layer = &model->layers[i];

		if (fn(model, layer, conf, sink) < 0)
			return -1;
		if (layer->inner &&
		    qk_walk_layers(layer->inner, fn, conf, sink) < 0)
			return -1;
	}
	return 0;
}

const char *qk_walk_role_label(enum qk_role role)
{
	static const char *const labels[QK_ROLE_COUNT] = {
		[QK_ROLE_KERNEL] = "kernel",
		[QK_ROLE_BIAS] = "bias",
		[QK_ROLE_DEPTHWISE] = "depthwise",
		[QK_ROLE_POINTWISE] = "pointwise",
		[QK_ROLE_RECURRENT] = "recurrent",
		[QK_ROLE_STATE] = "state",
		[QK_ROLE_ACTIVATION] = "activation",
	};

	if ((unsigned)role >= QK_ROLE_COUNT)
		QK_BUG("invalid quantizer role %d", (int)role);
	return labels[role];
}

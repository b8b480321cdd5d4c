/*
 * Helpers shared by the rule files: a visit of every layer, nested models
 * included, and the wording of quantizer roles in messages.
 */
#ifndef QK_RULES_WALK_H
#define QK_RULES_WALK_H

#include "rule.h"

/* A per-layer check. model is the model, possibly nested, with the layer. */
typedef int (*qk_layer_fn)(const struct qk_model *model,
			   const struct qk_layer *layer,
			   const struct qk_rule_conf *conf,
			   struct qk_sink *sink);

/*
 * Calls fn on every layer of model in order, entering each nested model
 * right after its model layer. Returns -1 as soon as fn returns -1, and
 * 0 when every call succeeded.
 */
int qk_walk_layers(const struct qk_model *model, qk_layer_fn fn,
		   const struct qk_rule_conf *conf, struct qk_sink *sink);

/* Returns the role's word in findings: "kernel", "bias", "activation". */
const char *qk_walk_role_label(enum qk_role role);

#endif

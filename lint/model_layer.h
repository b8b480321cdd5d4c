/*
 * Per-layer config reading and shape inference, used by the loader.
 */
#ifndef QK_LINT_MODEL_LAYER_H
#define QK_LINT_MODEL_LAYER_H

#include "model.h"

/* Reads layer->params from layer->config, validating types and ranges. */
int qk_layer_read_params(struct qk_layer *layer, struct qk_err *err);

/* Reads the quantizer of every role and the Keras activation name. */
int qk_layer_read_quantizers(struct qk_layer *layer, struct qk_err *err);

/*
 * Computes out_shape of every layer from the input shapes, in
 * topological order. Unknown shapes stay at rank 0.
 */
int qk_model_infer_shapes(struct qk_model *model, struct qk_err *err);

#endif

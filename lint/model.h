/*
 * The in-memory model: layers, the graph between them, quantizers and
 * float32 weights, as loaded from a Keras 2 .h5, an architecture JSON with
 * its weights .h5, or a Keras 3 .keras archive.
 *
 * Invariants after a successful qk_model_open():
 * - layers[] is in topological order of first calls: every inbound layer
 *   of layers[i]'s first node has an index below i. A later call of a
 *   shared layer may take its input from a layer after it, but no call
 *   depends on itself (the call graph has no cycle).
 * - Layer names are unique within one model.
 * - Every inbound reference resolves to a layer of the same model.
 * - A weight tensor's shape agrees with the layer config.
 * The model owns everything reachable from it, including the parsed JSON
 * config (cJSON) that layer->config points into.
 */
#ifndef QK_LINT_MODEL_H
#define QK_LINT_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include <cJSON.h>

#include "error.h"
#include "limits.h"
#include "quantizer.h"

enum qk_model_kind {
	QK_MODEL_QKERAS,	/* at least one QKeras layer */
	QK_MODEL_HGQ_PROXY,	/* FixedPointQuantizer layers (HGQ proxy) */
	QK_MODEL_KERAS		/* plain Keras, no quantizers */
};

enum qk_format {
	QK_FORMAT_H5,		/* Keras 2 full model .h5 */
	QK_FORMAT_JSON,		/* architecture JSON + weights .h5 */
	QK_FORMAT_KERAS3	/* Keras 3 .keras zip archive */
};

/* Roles a quantizer can play in a layer, each with its config key. */
enum qk_role {
	QK_ROLE_KERNEL,		/* kernel_quantizer */
	QK_ROLE_BIAS,		/* bias_quantizer */
	QK_ROLE_DEPTHWISE,	/* depthwise_quantizer */
	QK_ROLE_POINTWISE,	/* pointwise_quantizer */
	QK_ROLE_RECURRENT,	/* recurrent_quantizer */
	QK_ROLE_STATE,		/* state_quantizer */
	QK_ROLE_ACTIVATION,	/* activation (Q layers) or QActivation's */
	QK_ROLE_COUNT
};

enum qk_layer_kind {
	QK_LAYER_INPUT,
	QK_LAYER_DENSE,		/* Dense, QDense */
	QK_LAYER_CONV1D,	/* Conv1D, QConv1D */
	QK_LAYER_CONV2D,	/* Conv2D, QConv2D */
	QK_LAYER_DEPTHWISE_CONV2D,
	QK_LAYER_SEPARABLE_CONV1D,
	QK_LAYER_SEPARABLE_CONV2D,
	QK_LAYER_ACTIVATION,	/* Keras Activation, ReLU, LeakyReLU, Softmax */
	QK_LAYER_QACTIVATION,	/* QActivation */
	QK_LAYER_BATCHNORM,	/* BatchNormalization, QBatchNormalization */
	QK_LAYER_DROPOUT,
	QK_LAYER_FLATTEN,
	QK_LAYER_RESHAPE,
	QK_LAYER_PERMUTE,
	QK_LAYER_MAXPOOL1D,
	QK_LAYER_MAXPOOL2D,
	QK_LAYER_AVGPOOL1D,
	QK_LAYER_AVGPOOL2D,
	QK_LAYER_GLOBAL_POOL,	/* Global{Average,Max}Pooling{1,2}D */
	QK_LAYER_ZERO_PADDING,
	QK_LAYER_UPSAMPLING,
	QK_LAYER_ADD,
	QK_LAYER_SUBTRACT,
	QK_LAYER_MULTIPLY,
	QK_LAYER_AVERAGE,
	QK_LAYER_MAXIMUM,
	QK_LAYER_MINIMUM,
	QK_LAYER_CONCATENATE,
	QK_LAYER_RECURRENT,	/* SimpleRNN, LSTM, GRU, their Q forms */
	QK_LAYER_UNCONVERTIBLE,	/* QConv2DBatchnorm, QAdaptiveActivation... */
	QK_LAYER_FIXED_QUANTIZER,	/* HGQ FixedPointQuantizer */
	QK_LAYER_MODEL,		/* a model nested as a layer */
	QK_LAYER_UNKNOWN
};

/* One float32 weight array, as stored (unquantized for QKeras layers). */
struct qk_tensor {
	char *name;		/* role name: "kernel", "bias", "gamma", ... */
	int rank;
	int64_t shape[QK_MAX_RANK];
	size_t count;		/* product of shape */
	float *data;		/* count values, row-major; owned */
};

/* One input of a call: the producing layer and which of its outputs. */
struct qk_inbound {
	size_t layer;		/* index into the model's layers[] */
	int node_index;
	int tensor_index;
};

/* One call of a layer (a layer reused on n inbound nodes has n nodes). */
struct qk_node {
	size_t n_inputs;
	struct qk_inbound *inputs;	/* owned */
};

/* Numeric settings read from the layer config; 0 when absent. */
struct qk_layer_params {
	int64_t units;		/* Dense */
	int64_t filters;	/* Conv */
	int64_t kernel_size[2];
	int64_t strides[2];
	int64_t pool_size[2];
	int64_t dilation[2];
	int64_t depth_multiplier;
	int padding_same;	/* padding: "same" */
	int channels_first;	/* data_format: "channels_first" */
	int use_bias;		/* 1 unless the config says false */
	int64_t axis;		/* Concatenate, BatchNormalization */
	int has_target_shape;	/* Reshape */
	int target_rank;
	int64_t target_shape[QK_MAX_RANK];
	double negative_slope;	/* LeakyReLU alpha / ReLU negative_slope */
	double max_value;	/* ReLU max_value, 0 when none */
	int has_max_value;
	double epsilon;		/* BatchNormalization */
	int center, scale;	/* BatchNormalization */
};

struct qk_model;

struct qk_layer {
	char *name;		/* owned */
	char *class_name;	/* owned */
	enum qk_layer_kind kind;
	int is_qkeras;		/* class from the QKeras package */
	const cJSON *config;	/* the layer's "config" object; borrowed */

	size_t n_nodes;
	struct qk_node *nodes;	/* owned; empty for input layers */
	size_t n_consumers;
	size_t *consumers;	/* indices of layers fed by this one; owned */

	/* Quantizer per role, NULL when the role has none; owned. */
	struct qk_quantizer *quant[QK_ROLE_COUNT];
	/* Keras activation function name ("relu"), NULL when none; owned. */
	char *activation;

	struct qk_layer_params params;

	size_t n_weights;
	struct qk_tensor *weights;	/* owned */

	/* Output shape without the batch axis; rank 0 when unknown. */
	int out_rank;
	int64_t out_shape[QK_MAX_RANK];
	int64_t n_params;	/* total weight elements */

	struct qk_model *inner;	/* QK_LAYER_MODEL: the nested model; owned */
};

struct qk_model {
	char *path;		/* the file given on the command line; owned */
	char *weights_path;	/* weights file when separate; owned */
	char *name;		/* model name from the config; owned */
	char *class_name;	/* "Sequential", "Functional", "Model" */
	enum qk_model_kind kind;
	enum qk_format format;
	char *keras_version;	/* NULL when the file does not say; owned */

	size_t n_layers;
	struct qk_layer *layers;	/* topological order; owned */

	size_t n_inputs;
	size_t *inputs;		/* indices of input layers; owned */
	size_t n_outputs;
	size_t *outputs;	/* indices of output layers; owned */
	size_t *by_name;	/* layer indices sorted by name; owned */

	cJSON *root;		/* the parsed config; owned (top model only) */
};

struct qk_open_options {
	const char *weights_path;	/* --weights; NULL to look beside */
	int debug;			/* show HDF5's own error stack */
};

/*
 * Loads the model in path, picking the format from the file's contents
 * (HDF5 signature, zip signature, JSON text). Returns a new model owned by
 * the caller (free with qk_model_free), or NULL with err set to a one-line
 * reason that does not repeat the path.
 */
struct qk_model *qk_model_open(const char *path,
			       const struct qk_open_options *options,
			       struct qk_err *err);

/*
 * Builds a model from an already-parsed model config (the object with
 * "class_name" and "config"), taking ownership of root. No weights are
 * attached. Used by qk_model_open and by tests that build models in
 * memory. Returns NULL with err set on a malformed config.
 */
struct qk_model *qk_model_from_config(cJSON *root, struct qk_err *err);

void qk_model_free(struct qk_model *model);

/* Returns the layer called name, or NULL. */
const struct qk_layer *qk_model_find(const struct qk_model *model,
				     const char *name);
/* Returns the index of the layer called name, or (size_t)-1. */
size_t qk_model_index(const struct qk_model *model, const char *name);

/* Returns the layer's weight with this role name ("kernel"), or NULL. */
const struct qk_tensor *qk_layer_weight(const struct qk_layer *layer,
					const char *name);

/* Returns "kernel_quantizer" etc. for a role. */
const char *qk_role_config_key(enum qk_role role);
/* Returns "kernel", "bias", ... for a role (the weight it quantizes). */
const char *qk_role_name(enum qk_role role);

const char *qk_model_kind_name(enum qk_model_kind kind);
const char *qk_format_name(enum qk_format format);

#endif

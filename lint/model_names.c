/*
 * Name tables of the model module: layer classes, roles, kinds.
 */
#include "model.h"

#include <string.h>

#include "model_internal.h"

struct class_entry {
	const char *name;
	enum qk_layer_kind kind;
	int is_qkeras;
};

static const struct class_entry classes[] = {
	{ "InputLayer", QK_LAYER_INPUT, 0 },
	{ "Dense", QK_LAYER_DENSE, 0 },
	{ "QDense", QK_LAYER_DENSE, 1 },
	{ "Conv1D", QK_LAYER_CONV1D, 0 },
	{ "QConv1D", QK_LAYER_CONV1D, 1 },
	{ "Conv2D", QK_LAYER_CONV2D, 0 },
	{ "QConv2D", QK_LAYER_CONV2D, 1 },
	{ "DepthwiseConv2D", QK_LAYER_DEPTHWISE_CONV2D, 0 },
	{ "QDepthwiseConv2D", QK_LAYER_DEPTHWISE_CONV2D, 1 },
	{ "SeparableConv1D", QK_LAYER_SEPARABLE_CONV1D, 0 },
	{ "QSeparableConv1D", QK_LAYER_SEPARABLE_CONV1D, 1 },
	{ "SeparableConv2D", QK_LAYER_SEPARABLE_CONV2D, 0 },
	{ "QSeparableConv2D", QK_LAYER_SEPARABLE_CONV2D, 1 },
	{ "Activation", QK_LAYER_ACTIVATION, 0 },
	{ "ReLU", QK_LAYER_ACTIVATION, 0 },
	{ "LeakyReLU", QK_LAYER_ACTIVATION, 0 },
	{ "Softmax", QK_LAYER_ACTIVATION, 0 },
	{ "QActivation", QK_LAYER_QACTIVATION, 1 },
	{ "BatchNormalization", QK_LAYER_BATCHNORM, 0 },
	{ "QBatchNormalization", QK_LAYER_BATCHNORM, 1 },
	{ "Dropout", QK_LAYER_DROPOUT, 0 },
	{ "SpatialDropout1D", QK_LAYER_DROPOUT, 0 },
	{ "SpatialDropout2D", QK_LAYER_DROPOUT, 0 },
	{ "Flatten", QK_LAYER_FLATTEN, 0 },
	{ "Reshape", QK_LAYER_RESHAPE, 0 },
	{ "Permute", QK_LAYER_PERMUTE, 0 },
	{ "MaxPooling1D", QK_LAYER_MAXPOOL1D, 0 },
	{ "MaxPool1D", QK_LAYER_MAXPOOL1D, 0 },
	{ "MaxPooling2D", QK_LAYER_MAXPOOL2D, 0 },
	{ "MaxPool2D", QK_LAYER_MAXPOOL2D, 0 },
	{ "AveragePooling1D", QK_LAYER_AVGPOOL1D, 0 },
	{ "AveragePooling2D", QK_LAYER_AVGPOOL2D, 0 },
	{ "QAveragePooling2D", QK_LAYER_AVGPOOL2D, 1 },
	{ "GlobalAveragePooling1D", QK_LAYER_GLOBAL_POOL, 0 },
	{ "GlobalAveragePooling2D", QK_LAYER_GLOBAL_POOL, 0 },
	{ "QGlobalAveragePooling2D", QK_LAYER_GLOBAL_POOL, 1 },
	{ "GlobalMaxPooling1D", QK_LAYER_GLOBAL_POOL, 0 },
	{ "GlobalMaxPooling2D", QK_LAYER_GLOBAL_POOL, 0 },
	{ "ZeroPadding1D", QK_LAYER_ZERO_PADDING, 0 },
	{ "ZeroPadding2D", QK_LAYER_ZERO_PADDING, 0 },
	{ "UpSampling1D", QK_LAYER_UPSAMPLING, 0 },
	{ "UpSampling2D", QK_LAYER_UPSAMPLING, 0 },
	{ "Add", QK_LAYER_ADD, 0 },
	{ "Subtract", QK_LAYER_SUBTRACT, 0 },
	{ "Multiply", QK_LAYER_MULTIPLY, 0 },
	{ "Average", QK_LAYER_AVERAGE, 0 },
	{ "Maximum", QK_LAYER_MAXIMUM, 0 },
	{ "Minimum", QK_LAYER_MINIMUM, 0 },
	{ "Concatenate", QK_LAYER_CONCATENATE, 0 },
	{ "SimpleRNN", QK_LAYER_RECURRENT, 0 },
	{ "LSTM", QK_LAYER_RECURRENT, 0 },
	{ "GRU", QK_LAYER_RECURRENT, 0 },
	{ "Bidirectional", QK_LAYER_RECURRENT, 0 },
	{ "QSimpleRNN", QK_LAYER_RECURRENT, 1 },
	{ "QLSTM", QK_LAYER_RECURRENT, 1 },
	{ "QGRU", QK_LAYER_RECURRENT, 1 },
	{ "QBidirectional", QK_LAYER_RECURRENT, 1 },
	{ "QConv2DBatchnorm", QK_LAYER_UNCONVERTIBLE, 1 },
	{ "QDenseBatchnorm", QK_LAYER_UNCONVERTIBLE, 1 },
	{ "QDepthwiseConv2DBatchnorm", QK_LAYER_UNCONVERTIBLE, 1 },
	{ "QAdaptiveActivation", QK_LAYER_UNCONVERTIBLE, 1 },
	{ "FixedPointQuantizer", QK_LAYER_FIXED_QUANTIZER, 0 },
	{ "Sequential", QK_LAYER_MODEL, 0 },
	{ "Functional", QK_LAYER_MODEL, 0 },
	{ "Model", QK_LAYER_MODEL, 0 },
};

void qk_classify_layer(const char *class_name, enum qk_layer_kind *kind,
		       int *is_qkeras)
{
	size_t i;

	for (i = 0; i < sizeof(classes) / sizeof(classes[0]); i++) {
		if (strcmp(classes[i].name, class_name) == 0) {
			*kind = classes[i].kind;
			*is_qkeras = classes[i].is_qkeras;
			return;
		}
	}
	*kind = QK_LAYER_UNKNOWN;
	*is_qkeras = 0;
}

static const char *const role_keys[QK_ROLE_COUNT] = {
	"kernel_quantizer", "bias_quantizer", "depthwise_quantizer",
	"pointwise_quantizer", "recurrent_quantizer", "state_quantizer",
	"activation",
};

static const char *const role_names[QK_ROLE_COUNT] = {
	"kernel", "bias", "depthwise", "pointwise", "recurrent", "state",
	"activation",
};

const char *qk_role_config_key(enum qk_role role)
{
	return role < QK_ROLE_COUNT ? role_keys[role] : "?";
}

const char *qk_role_name(enum qk_role role)
{
	return role < QK_ROLE_COUNT ? role_names[role] : "?";
}

const char *qk_model_kind_name(enum qk_model_kind kind)
{
	switch (kind) {
	case QK_MODEL_QKERAS:
		return "QKeras model";
	case QK_MODEL_HGQ_PROXY:
		return "HGQ proxy model";
	case QK_MODEL_KERAS:
		return "plain Keras model";
	}
	return "?";
}

const char *qk_format_name(enum qk_format format)
{
	switch (format) {
	case QK_FORMAT_H5:
		return "Keras 2 .h5";
	case QK_FORMAT_JSON:
		return "architecture JSON + weights .h5";
	case QK_FORMAT_KERAS3:
		return "Keras 3 .keras";
	}
	return "?";
}

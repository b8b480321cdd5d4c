/*
 * QKeras quantizers as read from a model config.
 *
 * A quantizer arrives either as a dict ({"class_name": "quantized_bits",
 * "config": {...}}) or as a constructor string ("quantized_bits(8, 3,
 * alpha=1)"). Both become one struct qk_quantizer: the kind, every
 * argument given explicitly (positional arguments resolved to their
 * parameter names in the constructor's order), and the common parameters
 * resolved with QKeras' defaults.
 *
 * A bare name that is not a QKeras quantizer ("relu", "softmax") is a
 * Keras activation function and gets kind QK_Q_KERAS_ACTIVATION.
 */
#ifndef QK_LINT_QUANTIZER_H
#define QK_LINT_QUANTIZER_H

#include <stddef.h>

#include <cJSON.h>

#include "error.h"

enum qk_quantizer_kind {
	QK_Q_QUANTIZED_BITS,
	QK_Q_QUANTIZED_RELU,
	QK_Q_QUANTIZED_LINEAR,
	QK_Q_BINARY,
	QK_Q_TERNARY,
	QK_Q_STOCHASTIC_BINARY,
	QK_Q_STOCHASTIC_TERNARY,
	QK_Q_BERNOULLI,
	QK_Q_QUANTIZED_PO2,
	QK_Q_QUANTIZED_RELU_PO2,
	QK_Q_QUANTIZED_TANH,
	QK_Q_QUANTIZED_SIGMOID,
	QK_Q_QUANTIZED_ULAW,
	QK_Q_QUANTIZED_HSWISH,
	QK_Q_KERAS_ACTIVATION,	/* "relu", "linear", "softmax", ... */
	QK_Q_UNKNOWN		/* a class name qklint does not know */
};

enum qk_value_type {
	QK_VAL_NONE,		/* Python None / JSON null */
	QK_VAL_BOOL,
	QK_VAL_NUMBER,
	QK_VAL_STRING
};

struct qk_value {
	enum qk_value_type type;
	double number;		/* QK_VAL_NUMBER; also 0/1 for QK_VAL_BOOL */
	char *string;		/* QK_VAL_STRING, owned */
};

struct qk_qparam {
	char *name;		/* owned */
	struct qk_value value;
};

/* Kind of scale (alpha) a quantizer uses. */
enum qk_alpha {
	QK_ALPHA_UNSET,		/* None / null / not given */
	QK_ALPHA_NUMBER,	/* a number, stored in alpha */
	QK_ALPHA_AUTO,		/* "auto" */
	QK_ALPHA_AUTO_PO2,	/* "auto_po2" */
	QK_ALPHA_OTHER		/* any other string */
};

struct qk_quantizer {
	enum qk_quantizer_kind kind;
	char *class_name;	/* as written, e.g. "quantized_bits"; owned */
	char *text;		/* constructor form for messages; owned */
	size_t n_params;
	struct qk_qparam *params;	/* explicit arguments; owned */

	/* Resolved values, QKeras defaults applied where not given. */
	double bits;
	double integer;
	double symmetric;
	int keep_negative;
	enum qk_alpha alpha_kind;
	double alpha;
	int use_stochastic_rounding;
	double qnoise_factor;
	int use_ste;
	double negative_slope;
	double use_sigmoid;
	int has_relu_upper_bound;
	double relu_upper_bound;
	int use_01;
	int has_threshold;
	double threshold;
};

/*
 * Parses a constructor string such as "quantized_relu(3,1)" or
 * "quantized_bits(8, 3, alpha=1)". Accepts positional and keyword
 * arguments, True/False/None, numbers and quoted strings.
 * Returns a new quantizer owned by the caller, or NULL with err set.
 */
struct qk_quantizer *qk_quantizer_parse(const char *text, struct qk_err *err);

/*
 * Reads a quantizer from a JSON string or a {"class_name", "config"} dict.
 * Returns a new quantizer owned by the caller, or NULL with err set.
 */
struct qk_quantizer *qk_quantizer_from_json(const cJSON *item,
					    struct qk_err *err);

void qk_quantizer_free(struct qk_quantizer *q);

/* Returns the explicit argument called name, or NULL when not given. */
const struct qk_value *qk_quantizer_param(const struct qk_quantizer *q,
					  const char *name);

/* Returns the canonical QKeras name of a kind ("quantized_bits"). */
const char *qk_quantizer_kind_name(enum qk_quantizer_kind kind);

#endif

/*
 * Precision derivation: the fixed-point types the proxy model of a QKeras
 * model uses, layer by layer, in the two conversion modes.
 *
 * The rules follow HGQ's precision derivation (HGQ
 * src/HGQ/proxy/precision_derivation.py, with the QKeras mapping of
 * src/HGQ/proxy/plugins/qkeras.py):
 * - A tensor is described by (k, i, f): sign bit, integer bits without the
 *   sign, fractional bits. Its ap_fixed type has W = k + i + f, I = k + i.
 * - Weights are described by the container of their quantized values.
 * - Dense / Conv: k = k_in | k_w | (bias has a negative value),
 *   i = i_in + i_w + ceil(log2(fan_in)), f = f_in + f_w. The bias is stored
 *   in the accumulator type; QK_PREC_FLAG_BIAS_INEXACT marks a bias that
 *   does not fit it, and verify/bounds.h adds the bias to the reachable sum.
 * - In safe mode the accumulator is that produced type. In fast mode, where
 *   the layer's result type wraps, the accumulator keeps the result's sign
 *   and integer bits and the produced fractional bits, as HGQ does.
 * - A layer followed directly by a quantizer takes the quantizer's type as
 *   its result type.
 * - A quantizer: the smaller of what arrives and what it keeps, with one
 *   integer bit more when it rounds away fractional bits of a value whose
 *   integer bits it keeps (a carry).
 * - ReLU: k = 0. Add / Subtract: the maximum over inputs, i += ceil(log2(n)).
 *   Concatenate, MaxPooling, Flatten, Reshape, Permute, Dropout,
 *   ZeroPadding, UpSampling: unchanged. AveragePooling:
 *   f += ceil(log2(pool size)).
 * - Softmax, sigmoid, tanh and other table-based activations are marked
 *   not exact. Layers HGQ cannot convert are marked unsupported, and so is
 *   every layer fed by them.
 */
#ifndef QK_VERIFY_PRECISION_H
#define QK_VERIFY_PRECISION_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../lint/error.h"
#include "../lint/model.h"
#include "fixed.h"

/* Largest integer or fractional bit count tracked; wider means "unbounded". */
#define QK_PREC_MAX_BITS 4096
/* float32 represents integers up to 2^24 exactly: the significand width. */
#define QK_PREC_FLOAT32_BITS 24

enum qk_prec_mode {
	QK_PREC_SAFE,	/* aggressive=False: SAT everywhere */
	QK_PREC_FAST,	/* aggressive=True: non-symmetric quantized_bits WRAP */
	QK_PREC_MODE_COUNT
};

enum qk_prec_status {
	QK_PREC_EXACT,		/* nothing rounds except at quantizers */
	QK_PREC_NOT_EXACT,	/* computes, but differs by design (softmax) */
	QK_PREC_UNSUPPORTED	/* no type derivable: conversion fails */
};

/* Sign bit, integer bits without the sign, fractional bits. */
struct qk_kif {
	int k;
	int i;
	int f;
};

/* One tensor's type; the other fields are valid only when present. */
struct qk_prec_type {
	int present;
	struct qk_kif kif;
	struct qk_fixed_type fixed;
};

/* The accumulation needs more significant bits than float32 holds. */
#define QK_PREC_FLAG_FLOAT32_INEXACT 0x1u
/* A type of the layer is wider than 32 bits. */
#define QK_PREC_FLAG_WIDER_32 0x2u
/* A type of the layer is wider than 64 bits: firmware cannot build it. */
#define QK_PREC_FLAG_WIDER_64 0x4u
/* The quantized bias does not fit the accumulator type exactly. */
#define QK_PREC_FLAG_BIAS_INEXACT 0x8u
/* The input type came from the input-precision option, not a quantizer. */
#define QK_PREC_FLAG_INPUT_ASSUMED 0x10u

struct qk_layer_prec {
	enum qk_prec_status status;
	/* Reason the layer is not exact or unsupported, or a note on an
	 * exact one; owned, or NULL. */
	char *reason;
	struct qk_prec_type input;	/* first input's type */
	struct qk_prec_type weight;	/* kernel (pointwise for separable) */
	struct qk_prec_type bias;	/* the quantized bias' own container */
	struct qk_prec_type accum;
	struct qk_prec_type result;
	/* The activation quantizer's own fixed-point form, when it has one. */
	struct qk_prec_type quantizer;
	int64_t fan_in;		/* products summed per output; 0 when none */
	int accum_significant_bits;	/* i + f of the safe accumulator */
	unsigned flags;		/* QK_PREC_FLAG_* */
};

/* A weight array after its quantizer, as the proxy stores it. */
struct qk_prec_weights {
	size_t count;		/* 0 when the layer has no such weight */
	float *data;		/* owned */
};

struct qk_precision {
	const struct qk_model *model;	/* borrowed */
	int input_assumed;	/* some input used the input-precision option */
	struct qk_fixed_type input_type;	/* the option's type, if used */
	size_t n_layers;
	/* Per mode, one entry per model layer, same order; owned. */
	struct qk_layer_prec *layers[QK_PREC_MODE_COUNT];
	/* Per layer, quantized kernel and bias (separable: pointwise). */
	struct qk_prec_weights *kernel;	/* owned, n_layers entries */
	struct qk_prec_weights *depthwise;	/* separable/depthwise kernel */
	struct qk_prec_weights *bias;	/* owned, n_layers entries */
};

/*
 * Derives the types of every layer of model in both modes. input_override
 * is the type of every model input that is not followed by a quantized_bits
 * QActivation in each consumer (--input-precision); NULL means such an
 * input is an error. Problems of single layers (an unsupported quantizer,
 * softmax) do not fail the call: they are recorded in the layer's status.
 * Returns 0 and a new qk_precision (free with qk_precision_free), or -1
 * with err set (out of memory, a model input without quantizer and no
 * override). The result borrows model, which must outlive it.
 */
int qk_precision_derive(const struct qk_model *model,
			const struct qk_fixed_type *input_override,
			struct qk_precision **out, struct qk_err *err);

/*
 * As qk_precision_derive, with the override given as text ("fixed<16,6>",
 * "ap_fixed<16,6,AP_RND,AP_SAT>"), as the input-precision rule option and
 * --input-precision take it. Returns -1 with err set when the text is not
 * a fixed-point type.
 */
int qk_precision_derive_text(const struct qk_model *model,
			     const char *input_override,
			     struct qk_precision **out, struct qk_err *err);

void qk_precision_free(struct qk_precision *precision);

/* Returns the types of layer index in mode, or NULL when out of range. */
const struct qk_layer_prec *qk_precision_layer(
	const struct qk_precision *precision, enum qk_prec_mode mode,
	size_t index);

/* Returns "safe" or "fast". */
const char *qk_prec_mode_name(enum qk_prec_mode mode);

/* Converts (k, i, f) into an ap_fixed type with the given modes. */
struct qk_fixed_type qk_kif_to_fixed(struct qk_kif kif,
				     enum qk_rounding rounding,
				     enum qk_overflow overflow);
/* Converts an ap_fixed type into (k, i, f). */
struct qk_kif qk_kif_from_fixed(const struct qk_fixed_type *type);

/*
 * Writes a table with one row per layer and mode: layer, class, status,
 * input, weight, bias, accumulator, result and the quantizer's form as
 * ap_fixed spellings, then the flags. Returns 0, or -1 with err set when
 * writing failed.
 */
int qk_precision_write_table(FILE *out, const struct qk_precision *precision,
			     struct qk_err *err);

#endif

/*
 * Simulation of a QKeras model and of its fixed-point proxy, one input
 * vector at a time, so the verifier can compare them bit for bit.
 *
 * The QKeras side computes in float32 as QKeras does: weights quantized
 * once by their quantizers, a Dense product summed in float32 in input
 * order (x[0] * w[0][j] + x[1] * w[1][j] + ...), then the bias, then the
 * activation. A convolution sums each window the same way, over k_h,
 * then k_w, then input channels (the kernel's [k_h, k_w, c_in, filters]
 * order), skipping the zero padding. An average pooling sums its window
 * in row-major order and divides by the number of elements inside the
 * input. TensorFlow does not specify the order of these sums, so where a
 * float32 sum rounds, its last bit may differ from TensorFlow's. A sum
 * that needs at most 24 significant bits is exact in any order.
 *
 * The proxy side computes what to_proxy_model() builds, in exact integer
 * arithmetic: every tensor is a vector of int64 raw values with one binary
 * point (value = raw * 2^-frac), weights are the raw integers of the
 * quantized float32 values, a Dense or convolution sum is accumulated
 * exactly (in int32, int64 or __int128, picked from a bound on the sum),
 * an average pooling by 2^n keeps n more fractional bits, which makes it
 * exact, and each quantizer is an ap_fixed conversion with its rounding
 * and overflow modes (SAT, or WRAP for non-symmetric quantized_bits in
 * fast mode).
 *
 * Quantizers without a faithful fixed-point form are simulated as the
 * form the conversion builds, so that a mismatch can be shown: ternary
 * as signed 2 bits with 1 integer bit (RND, SAT), quantized_relu with a
 * negative_slope as plain ReLU and the unsigned quantizer, and one-bit
 * signed quantized_bits as the 1-bit type, which contains only
 * -2^integer and 0. Each
 * such case adds a note.
 *
 * Layers whose proxy is not exact by design (softmax, sigmoid, tanh and
 * other activations computed from tables, and an average whose divisor
 * is not a power of two) end the simulation: the tensors that feed them
 * are compared instead, and a note names them.
 *
 * Supported layers: InputLayer, Dense and QDense on the last axis,
 * Conv1D, QConv1D, Conv2D and QConv2D (channels_last, groups 1, 'valid'
 * or 'same' padding, any strides and dilation), MaxPooling1D/2D,
 * AveragePooling1D/2D, GlobalMaxPooling1D/2D and
 * GlobalAveragePooling1D/2D (channels_last), QActivation, Activation
 * (linear, relu and the inexact ones above), ReLU without negative_slope
 * or max_value, Dropout, Flatten, Reshape, Add and Concatenate. Anything
 * else is rejected when the simulation is built.
 */
#ifndef QK_VERIFY_SIM_H
#define QK_VERIFY_SIM_H

#include <stddef.h>
#include <stdint.h>

#include "../lint/error.h"
#include "../lint/model.h"
#include "fixed.h"

struct qk_sim;

struct qk_sim_options {
	int fast;	/* aggressive conversion: WRAP where HGQ uses it */
	/* Type of model inputs that have no input quantizer, or NULL. */
	const struct qk_fixed_type *input_type;
};

/* One model input inside the flat input vector. */
struct qk_sim_input {
	const char *name;		/* input layer name; borrowed */
	size_t offset;			/* first element in the vector */
	size_t count;			/* elements, batch axis excluded */
	struct qk_fixed_type type;	/* grid the inputs are drawn from */
	int from_quantizer;		/* type is the input quantizer's */
};

/* One compared tensor inside the flat output vector. */
struct qk_sim_output {
	char *label;		/* "'fc2' (QDense)"; owned by the sim */
	size_t offset;
	size_t count;
	int is_model_output;	/* 0: feeds a layer that is not exact */
};

/* First disagreement between the two simulations. */
struct qk_sim_difference {
	const char *layer;	/* layer name; borrowed */
	const char *class_name;	/* layer class; borrowed */
	const char *what;	/* "output" or "input of its softmax" */
	size_t element;		/* index inside that tensor */
	double qkeras;		/* QKeras value (a float32) */
	double proxy;		/* proxy value */
};

/*
 * Returns 1 when some input of model is not followed, in every consumer,
 * by a quantized_bits QActivation, so the input type must be given.
 */
int qk_sim_needs_input_type(const struct qk_model *model);

/*
 * Builds both simulations of model. Returns a new simulation owned by the
 * caller (free with qk_sim_free), or NULL with err set when a layer or
 * quantizer cannot be simulated or the proxy cannot be built. The model
 * must outlive the simulation.
 */
struct qk_sim *qk_sim_build(const struct qk_model *model,
			    const struct qk_sim_options *options,
			    struct qk_err *err);
void qk_sim_free(struct qk_sim *sim);

size_t qk_sim_input_size(const struct qk_sim *sim);
size_t qk_sim_output_size(const struct qk_sim *sim);
size_t qk_sim_n_inputs(const struct qk_sim *sim);
const struct qk_sim_input *qk_sim_input(const struct qk_sim *sim, size_t i);
size_t qk_sim_n_outputs(const struct qk_sim *sim);
const struct qk_sim_output *qk_sim_output(const struct qk_sim *sim,
					  size_t i);

/* Notes on deviations and inexact layers, in layer order. */
size_t qk_sim_n_notes(const struct qk_sim *sim);
const char *qk_sim_note(const struct qk_sim *sim, size_t i);

/*
 * Runs the QKeras or the proxy simulation on one input vector of
 * qk_sim_input_size() float32 values, keeping every tensor in buffers
 * owned by the simulation, so a run allocates nothing. The input is
 * float32 because Keras feeds float32 to both models.
 */
void qk_sim_run_qkeras(struct qk_sim *sim, const float *input);
void qk_sim_run_proxy(struct qk_sim *sim, const float *input);

/* Copies the compared tensors of the last runs, qk_sim_output_size(). */
void qk_sim_qkeras_outputs(const struct qk_sim *sim, double *out);
/* Proxy values are exact while |raw| < 2^53. */
void qk_sim_proxy_outputs(const struct qk_sim *sim, double *out);

/* Returns 1 when the last runs of both sides agree on every output. */
int qk_sim_outputs_equal(const struct qk_sim *sim);

/*
 * Finds the first layer, in topological order, whose tensor differs
 * between the last runs. Returns 1 and fills out, or 0 when none does.
 */
int qk_sim_first_difference(const struct qk_sim *sim,
			    struct qk_sim_difference *out);

#endif

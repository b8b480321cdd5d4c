/*
 * QKeras quantizers computed the way QKeras computes them: in float32,
 * with tf.round (round half to even) and the straight-through form
 * x + qnoise_factor * (q - x). A simulation of the QKeras model built on
 * them reproduces its float32 results bit for bit, including where they
 * leave the quantizer's grid.
 *
 * Supported: quantized_bits (alpha 1, or unset outside a kernel; any
 * keep_negative and symmetric; the one-bit sign case), quantized_relu
 * (negative_slope, use_sigmoid, relu_upper_bound and is_quantized_clip
 * included), binary (use_01 either way), ternary (threshold given or the
 * 0.33 default), quantized_po2 and quantized_relu_po2, and the Keras
 * activations "linear" and "relu".
 * Not supported: data-dependent scales (alpha "auto", "auto_po2", and an
 * unset kernel alpha, which QKeras turns into "auto_po2"), stochastic
 * rounding, and quantized_linear, quantized_tanh,
 * quantized_sigmoid, quantized_ulaw, quantized_hswish, bernoulli and the
 * stochastic_* quantizers. qk_qkeras_supported() says which.
 *
 * The arithmetic follows google/qkeras qkeras/quantizers.py (the release
 * with use_variables and is_quantized_clip) operation by operation, each
 * operation rounded to float32 as TensorFlow does on the CPU.
 */
#ifndef QK_VERIFY_QKERAS_QUANT_H
#define QK_VERIFY_QKERAS_QUANT_H

#include <stddef.h>

#include "../lint/error.h"
#include "../lint/model.h"
#include "../lint/quantizer.h"

/*
 * Checks that q, playing role in its layer, can be applied elementwise by
 * qk_qkeras_apply(). The role matters because an unset alpha means scale
 * 1 for a bias or activation but "auto_po2" for a kernel. Returns 0, or -1
 * with err naming the quantizer and the reason.
 */
int qk_qkeras_supported(const struct qk_quantizer *q, enum qk_role role,
			struct qk_err *err);

/*
 * Applies q to one float32 value as QKeras does. q must have passed
 * qk_qkeras_supported(); any other quantizer returns x unchanged.
 */
float qk_qkeras_apply(const struct qk_quantizer *q, float x);

/*
 * Quantizes n weights from in into out (in == out is allowed), as the
 * proxy conversion does once for a kernel or bias. Returns 0, or -1 with
 * err set when q is not supported in role (out is then unspecified).
 */
int qk_quantize_weights(const struct qk_quantizer *q, enum qk_role role,
			const float *in, size_t n, float *out,
			struct qk_err *err);

#endif

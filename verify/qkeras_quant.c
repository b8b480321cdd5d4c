#include "qkeras_quant.h"

#include <math.h>
#include <string.h>

/*
 * Every expression below is evaluated in float32: on x86-64 and AArch64
 * C evaluates float operations in float (FLT_EVAL_METHOD 0), and -std=c11
 * keeps GCC from contracting a * b + c into a fused multiply-add.
 */

/* K.epsilon(), the Keras default fuzz factor. */
#define QK_KERAS_EPSILON 1e-7f
/* np.log(2.0), which TensorFlow rounds to float32 before dividing. */
#define QK_LN2 0.69314718055994530942

/* Widest quantizer accepted; float32 represents 2^bits exactly up to here. */
#define QK_QKERAS_MAX_BITS 64
/* Largest |integer|, so that 2^integer stays a normal float32. */
#define QK_QKERAS_MAX_INTEGER 100

static double param_number(const struct qk_quantizer *q, const char *name,
			   double fallback)
{
	const struct qk_value *v = qk_quantizer_param(q, name);

	if (!v || (v->type != QK_VAL_NUMBER && v->type != QK_VAL_BOOL))
		return fallback;
	return v->number;
}

static int param_is_none(const struct qk_quantizer *q, const char *name)
{
	const struct qk_value *v = qk_quantizer_param(q, name);

	return !v || v->type == QK_VAL_NONE;
}

/* tf.sign: -1, 0 or +1, NaN stays NaN. */
static float sign_f(float x)
{
	if (x > 0.0f)
		return 1.0f;
	if (x < 0.0f)
		return -1.0f;
	return x;
}

/* tf.clip_by_value, which keeps NaN. */
static float clip_f(float x, float lo, float hi)
{
	float v = x < lo ? lo : x;

	return hi < v ? hi : v;
}

/* _round_through at inference: x + (-x + tf.round(x)). */
static float round_through(float x)
{
	return x + (-x + nearbyintf(x));
}

/* K.relu(x, alpha): x for x >= 0, alpha * x below. */
static float relu_f(float x, float alpha)
{
	if (x >= 0.0f || isnan(x))
		return x;
	return alpha * x;
}

/* The straight-through form that ends every quantizer. */
static float straight_through(const struct qk_quantizer *q, float x, float xq)
{
	float noise = (float)q->qnoise_factor;

	if (q->use_ste)
		return x + noise * (-x + xq);
	return (float)(1.0 - q->qnoise_factor) * x + noise * xq;
}

static float apply_bits(const struct qk_quantizer *q, float x)
{
	int unsigned_bits = (int)q->bits - (q->keep_negative ? 1 : 0);
	float m = ldexpf(1.0f, unsigned_bits);
	float m_i = ldexpf(1.0f, (int)q->integer);
	float scale = q->alpha_kind == QK_ALPHA_NUMBER ? (float)q->alpha : 1.0f;
	float xq;

	if (unsigned_bits > 0) {
		float p = x * m / m_i;
		/* keep_negative * (-m + symmetric) is -0.0 when False. */
		float lo = q->keep_negative ? -m + (float)q->symmetric : -0.0f;

		xq = m_i * clip_f(round_through(p), lo, m - 1.0f) / m;
	} else {
		xq = sign_f(x);
		xq += 1.0f - fabsf(xq);
		if (!q->keep_negative)
			xq = (xq + 1.0f) / 2.0f;
	}
	return straight_through(q, x, scale * xq);
}

/* is_quantized_clip defaults to True and then overrides relu_upper_bound. */
static int relu_quantized_clip(const struct qk_quantizer *q)
{
	return param_number(q, "is_quantized_clip", 1.0) != 0.0;
}

static float relu_upper_part(const struct qk_quantizer *q, float p, float m,
			     float m_i)
{
	if (q->use_sigmoid != 0.0)
		return m_i * clip_f(2.0f * (round_through(p) / m) - 1.0f, 0.0f,
				    1.0f - 1.0f / m);
	return m_i * clip_f(round_through(p) / m, 0.0f, 1.0f - 1.0f / m);
}

static float relu_lower_part(const struct qk_quantizer *q, float p, float m,
			     float m_i)
{
	float slope = (float)q->negative_slope;
	float factor = 1.0f / (slope * m);
	float r = round_through(p * slope) * factor;

	if (q->use_sigmoid != 0.0)
		return m_i * slope * clip_f(2.0f * r - 1.0f, -1.0f, 0.0f);
	return m_i * slope * clip_f(r, -1.0f, 0.0f);
}

static float apply_relu(const struct qk_quantizer *q, float x)
{
	int non_sign_bits = (int)q->bits - (q->negative_slope != 0.0);
	float m = ldexpf(1.0f, non_sign_bits);
	float m_i = ldexpf(1.0f, (int)q->integer);
	float m_f = ldexpf(1.0f, (int)q->integer - non_sign_bits);
	float slope = (float)q->negative_slope;
	float upper = (float)q->relu_upper_bound;
	int quantized_clip = relu_quantized_clip(q);
	float x_u, p, xq;

	if (quantized_clip)
		x_u = x <= m_i - m_f ? relu_f(x, slope) : m_i - m_f;
	else if (q->has_relu_upper_bound)
		x_u = x <= upper ? relu_f(x, slope) : upper;
	else
		x_u = relu_f(x, slope);

	/* hard_sigmoid is QKeras' default internal sigmoid. */
	if (q->use_sigmoid != 0.0)
		p = clip_f(0.5f * (x / m_i) + 0.5f, 0.0f, 1.0f) * m;
	else
		p = x * m / m_i;
	xq = relu_upper_part(q, p, m, m_i);
	if (q->negative_slope > 0.0)
		xq = xq + relu_lower_part(q, p, m, m_i);

	if (q->has_relu_upper_bound && upper != 0.0f && !quantized_clip)
		xq = xq <= upper ? xq : upper;
	return straight_through(q, x_u, xq);
}

/*
 * binary and ternary with alpha unset pass x through tanh before the
 * straight-through step. NOTE: TensorFlow's float tanh is an Eigen
 * approximation, not tanhf, but the sum t + (q - t) with |t| <= 1 and q in
 * {-1, 0, 1} rounds to q either way.
 */
static float apply_binary(const struct qk_quantizer *q, float x)
{
	float k = sign_f(x);
	float scale = q->alpha_kind == QK_ALPHA_NUMBER ? (float)q->alpha : 1.0f;

	k += 1.0f - fabsf(k);
	if (q->use_01)
		k = (k + 1.0f) / 2.0f;
	if (q->alpha_kind == QK_ALPHA_UNSET)
		x = tanhf(x);
	return x + (-x + scale * k);
}

static float apply_ternary(const struct qk_quantizer *q, float x)
{
	float threshold = q->has_threshold ? (float)q->threshold : 0.33f;
	float scale = q->alpha_kind == QK_ALPHA_NUMBER ? (float)q->alpha : 1.0f;
	float k = (fabsf(x) >= threshold ? 1.0f : 0.0f) * sign_f(x);

	if (q->alpha_kind == QK_ALPHA_UNSET)
		x = tanhf(x);
	return x + (-x + scale * k);
}

struct po2_range {
	float min_exp;
	float max_exp;
	int has_max_value;
	float max_value;
	int quadratic;
	int floor_log2;
};

static void po2_range_init(const struct qk_quantizer *q, int relu,
			   struct po2_range *r)
{
	const struct qk_value *rounding = qk_quantizer_param(q,
							     "log2_rounding");
	int sign_bit, effect_bits;
	double max_exp;

	r->has_max_value = !param_is_none(q, "max_value");
	r->max_value = (float)param_number(q, "max_value", 0.0);
	/* _need_exponent_sign_bit_check: no sign bit when max_value <= 1. */
	sign_bit = !r->has_max_value || r->max_value > 1.0f;
	effect_bits = (int)q->bits - sign_bit - (relu ? 0 : 1);
	r->min_exp = -ldexpf(1.0f, effect_bits);
	max_exp = ldexp(1.0, effect_bits) - 1.0;
	r->quadratic = param_number(q, "quadratic_approximation", 0.0) != 0.0;
	if (r->quadratic)
		max_exp = 2.0 * floor(max_exp / 2.0);
	r->max_exp = (float)max_exp;
	r->floor_log2 = rounding && rounding->type == QK_VAL_STRING &&
			strcmp(rounding->string, "floor") == 0;
}

/*
 * _clip_power_of_two: the clipped exponent of a non-negative value.
 * NOTE: TensorFlow's float log is an Eigen approximation that may differ
 * from logf in the last place, so a value whose log2 lies within about
 * 1e-7 of a rounding boundary may get the other exponent in QKeras.
 */
static float po2_exponent(const struct po2_range *r, float x_abs)
{
	float filtered = x_abs < QK_KERAS_EPSILON ? QK_KERAS_EPSILON : x_abs;
	float input, log2x, factor = 1.0f;

	if (x_abs < QK_KERAS_EPSILON)
		return r->min_exp;
	if (r->has_max_value && filtered >= r->max_value)
		filtered = r->max_value;
	input = filtered;
	if (r->quadratic) {
		factor = 2.0f;
		input = sqrtf(filtered);
	}
	log2x = logf(input) / (float)QK_LN2;
	if (r->floor_log2)
		log2x = log2x + (-log2x + floorf(log2x));
	else
		log2x = round_through(log2x);
	return factor * clip_f(log2x, r->min_exp, r->max_exp);
}

static float apply_po2(const struct qk_quantizer *q, float x)
{
	struct po2_range r;
	float sign = sign_f(x);

	po2_range_init(q, 0, &r);
	sign += 1.0f - fabsf(sign);
	return straight_through(q, x, sign * exp2f(po2_exponent(&r,
							       fabsf(x))));
}

static float apply_relu_po2(const struct qk_quantizer *q, float x)
{
	struct po2_range r;
	float slope = (float)q->negative_slope;
	float x_u = relu_f(x, slope);
	float xq;

	po2_range_init(q, 1, &r);
	if (r.has_max_value && !(x <= r.max_value))
		x_u = r.max_value;
	if (x >= 0.0f || slope == 0.0f)
		xq = exp2f(po2_exponent(&r, relu_f(x, 0.0f)));
	else
		xq = -exp2f(po2_exponent(&r, relu_f(-x, 0.0f) * slope));
	return straight_through(q, x_u, xq);
}

float qk_qkeras_apply(const struct qk_quantizer *q, float x)
{
	switch (q->kind) {
	case QK_Q_QUANTIZED_BITS:
		return apply_bits(q, x);
	case QK_Q_QUANTIZED_RELU:
		return apply_relu(q, x);
	case QK_Q_BINARY:
		return apply_binary(q, x);
	case QK_Q_TERNARY:
		return apply_ternary(q, x);
	case QK_Q_QUANTIZED_PO2:
		return apply_po2(q, x);
	case QK_Q_QUANTIZED_RELU_PO2:
		return apply_relu_po2(q, x);
	case QK_Q_KERAS_ACTIVATION:
		if (q->class_name && strcmp(q->class_name, "relu") == 0)
			return relu_f(x, 0.0f);
		return x;
	default:
		return x;
	}
}

static int is_whole(double v, double lo, double hi)
{
	return v == floor(v) && v >= lo && v <= hi;
}

static int check_alpha(const struct qk_quantizer *q, enum qk_role role,
		       struct qk_err *err)
{
	int kernel = role == QK_ROLE_KERNEL || role == QK_ROLE_DEPTHWISE ||
		     role == QK_ROLE_POINTWISE || role == QK_ROLE_RECURRENT;

	switch (q->alpha_kind) {
	case QK_ALPHA_UNSET:
		if (kernel)
			return qk_fail(err, "unsupported quantizer '%s': an "
				       "unset kernel alpha becomes 'auto_po2', "
				       "a data-dependent scale", q->text);
		return 0;
	case QK_ALPHA_NUMBER:
		if (q->alpha != 1.0)
			return qk_fail(err, "unsupported quantizer '%s': "
				       "alpha must be 1 (got %g)", q->text,
				       q->alpha);
		return 0;
	default:
		return qk_fail(err, "unsupported quantizer '%s': alpha is a "
			       "data-dependent scale", q->text);
	}
}

static int check_bits(const struct qk_quantizer *q, struct qk_err *err)
{
	if (!is_whole(q->bits, 1, QK_QKERAS_MAX_BITS))
		return qk_fail(err, "unsupported quantizer '%s': bits must be "
			       "a whole number from 1 to %d (got %g)", q->text,
			       QK_QKERAS_MAX_BITS, q->bits);
	if (!is_whole(q->integer, -QK_QKERAS_MAX_INTEGER,
		      QK_QKERAS_MAX_INTEGER))
		return qk_fail(err, "unsupported quantizer '%s': integer must "
			       "be a whole number from %d to %d (got %g)",
			       q->text, -QK_QKERAS_MAX_INTEGER,
			       QK_QKERAS_MAX_INTEGER, q->integer);
	return 0;
}

static int check_relu(const struct qk_quantizer *q, struct qk_err *err)
{
	double slope = q->negative_slope;

	if (check_bits(q, err))
		return -1;
	if (slope < 0.0 || (slope > 0.0 && log2(slope) != floor(log2(slope))))
		return qk_fail(err, "unsupported quantizer '%s': "
			       "negative_slope must be 0 or a power of two "
			       "(got %g)", q->text, slope);
	if (slope > 0.0 && q->bits < 2)
		return qk_fail(err, "unsupported quantizer '%s': a negative "
			       "slope needs at least 2 bits", q->text);
	return 0;
}

static int check_po2(const struct qk_quantizer *q, struct qk_err *err)
{
	if (!is_whole(q->bits, 1, 8))
		return qk_fail(err, "unsupported quantizer '%s': bits must be "
			       "a whole number from 1 to 8 (got %g)", q->text,
			       q->bits);
	return 0;
}

static int check_kind(const struct qk_quantizer *q, enum qk_role role,
		      struct qk_err *err)
{
	switch (q->kind) {
	case QK_Q_QUANTIZED_BITS:
		if (check_alpha(q, role, err))
			return -1;
		return check_bits(q, err);
	case QK_Q_QUANTIZED_RELU:
		return check_relu(q, err);
	case QK_Q_BINARY:
	case QK_Q_TERNARY:
		return check_alpha(q, role, err);
	case QK_Q_QUANTIZED_PO2:
	case QK_Q_QUANTIZED_RELU_PO2:
		return check_po2(q, err);
	case QK_Q_KERAS_ACTIVATION:
		if (q->class_name && (strcmp(q->class_name, "linear") == 0 ||
				      strcmp(q->class_name, "relu") == 0))
			return 0;
		return qk_fail(err, "unsupported activation '%s': no exact "
			       "float32 form", q->text);
	default:
		return qk_fail(err, "unsupported quantizer '%s': no exact "
			       "float32 form", q->text);
	}
}

int qk_qkeras_supported(const struct qk_quantizer *q, enum qk_role role,
			struct qk_err *err)
{
	if (!q)
		return qk_fail(err, "missing quantizer");
	if (q->use_stochastic_rounding)
		return qk_fail(err, "unsupported quantizer '%s': stochastic "
			       "rounding is random", q->text);
	return check_kind(q, role, err);
}

int qk_quantize_weights(const struct qk_quantizer *q, enum qk_role role,
			const float *in, size_t n, float *out,
			struct qk_err *err)
{
	size_t i;

	if (qk_qkeras_supported(q, role, err))
		return -1;
	for (i = 0; i < n; i++)
		out[i] = qk_qkeras_apply(q, in[i]);
	return 0;
}

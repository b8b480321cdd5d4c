/*
 * Building and running the QKeras and proxy simulations.
 *
 * qk_sim_build() turns the model into a list of operations over tensors
 * and allocates every buffer once. A tensor carries both sides: float32
 * values for QKeras and int64 raw values with a binary point for the
 * proxy. A layer that only moves data (Dropout, Flatten, Reshape,
 * InputLayer) reuses its input tensor.
 */
#include "sim.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "qkeras_quant.h"

typedef __int128 qk_wide;

/* Accumulators use int32, which vectorizes, below this bound. */
#define SMALL_LIMIT 2147483648.0		/* 2^31 */
/* Accumulators stay in int64 while their bound is below this. */
#define NARROW_LIMIT 4611686018427387904.0	/* 2^62 */
/* Bound on any __int128 accumulator, far from its 2^127 limit. */
#define WIDE_LIMIT 4.2535295865117308e37	/* 2^125 */
/* Bound on a stored raw value, which is an int64. */
#define RAW_LIMIT 9223372036854775808.0		/* 2^63 */
/* Relative slack on bounds summed in double arithmetic. */
#define BOUND_SLACK 1.000001

enum act_kind {
	ACT_NONE,
	ACT_RELU,
	ACT_QUANT	/* a QKeras quantizer and its fixed-point form */
};

enum proxy_act {
	PROXY_FIXED,		/* convert into type */
	PROXY_RELU_FIXED	/* ReLU, then convert into type */
};

/*
 * quantized_bits and plain quantized_relu with their constants computed
 * once: qk_qkeras_apply() reads the parameters on every call, which
 * dominates a run. The float32 operations and their order are the same
 * as there, and a test compares both on many values.
 */
enum fast_kind {
	FAST_NONE,	/* call qk_qkeras_apply() */
	FAST_BITS,
	FAST_RELU
};

struct fast_quant {
	enum fast_kind kind;
	float m, m_i, lo, hi, relu_max;
};

struct act {
	enum act_kind kind;
	const struct qk_quantizer *q;	/* ACT_QUANT: the QKeras side */
	struct fast_quant fast;
	enum proxy_act proxy;
	struct qk_fixed_type type;
};

struct tensor {
	size_t count;
	int rank;
	int64_t shape[QK_MAX_RANK];
	float *values;		/* QKeras side */
	int64_t *raw;		/* proxy side; NULL for a float input */
	int frac;		/* proxy value = raw * 2^-frac */
	double bound;		/* bound on |raw| */
	int is_input;		/* a model input as Keras receives it */
};

enum op_kind {
	OP_INPUT,	/* an input with --input-precision: convert */
	OP_DENSE,
	OP_CONV,	/* Conv1D, Conv2D and depthwise steps, as a Dense
			 * over each window */
	OP_MAXPOOL,	/* MaxPooling and GlobalMaxPooling */
	OP_AVGPOOL,	/* AveragePooling and GlobalAveragePooling */
	OP_ACT,
	OP_ADD,
	OP_CONCAT
};

/*
 * Geometry of a sliding window over a channels_last tensor of in_h x in_w
 * positions. A 1-D layer has in_h = out_h = k_h = 1. Output position o
 * reads input index o * stride + k * dilation - pad for kernel index k,
 * and indices outside the input are padding.
 */
struct window {
	size_t in_h, in_w, channels;
	size_t out_h, out_w;
	size_t k_h, k_w;
	size_t stride_h, stride_w;
	size_t dilation_h, dilation_w;
	size_t pad_top, pad_left;
};

/*
 * A run of rows inside one window: rows consecutive input values from
 * element x on, paired with kernel rows from row w on. When dilation_w
 * is 1, a run covers a whole window row, all its positions and channels.
 */
struct tap {
	size_t x, w, rows;
};

struct op {
	enum op_kind kind;
	size_t layer;
	const char *what;	/* "output", "input of its softmax" ... */
	size_t n_in;
	size_t *in;		/* tensor indices; owned */
	int *shift;		/* OP_ADD, OP_CONCAT: left shift per input */
	size_t out;
	struct act act;

	/* OP_DENSE and OP_CONV */
	size_t fan_in, units, outer;
	float *kernel;		/* quantized, fan_in x units */
	float *bias;		/* quantized, or NULL */
	int64_t *kernel_raw;	/* at frac acc_frac - frac of the input */
	int64_t *bias_raw;	/* at acc_frac, or NULL */
	int acc_frac;
	int wide;		/* accumulate in __int128 */
	int small;		/* accumulate in int32 */
	int32_t *kernel_small;	/* kernel_raw as int32 when small */
	int32_t *acc_small;
	float *acc_values;
	int64_t *acc_narrow;
	qk_wide *acc_wide;

	/* OP_CONV, OP_MAXPOOL, OP_AVGPOOL */
	struct window win;
	struct tap *taps;	/* scratch for one window's runs; owned */
	int64_t pool_size;	/* OP_AVGPOOL: k_h * k_w, a power of two */

	/* OP_CONCAT */
	size_t concat_outer;
	size_t *concat_inner;	/* per input; owned */

	/* OP_INPUT */
	struct qk_fixed_type input_type;
};

struct qk_sim {
	const struct qk_model *model;
	int fast;

	size_t n_tensors, cap_tensors;
	struct tensor *tensors;
	size_t n_ops, cap_ops;
	struct op *ops;
	size_t *layer_tensor;	/* per layer; NO_TENSOR when not simulated */

	size_t n_inputs;
	struct qk_sim_input *inputs;
	size_t *input_tensor;	/* tensor of each input */
	size_t input_size;

	size_t n_outputs, cap_outputs;
	struct qk_sim_output *outputs;
	size_t *output_tensor;
	size_t output_size;

	size_t n_notes, cap_notes;
	char **notes;
};

#define NO_TENSOR ((size_t)-1)

static int grow(void **p, size_t *cap, size_t need, size_t size)
{
	size_t n = *cap ? *cap : 8;
	void *q;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	q = qk_reallocarray(*p, n, size);
	if (!q)
		return -1;
	memset((char *)q + *cap * size, 0, (n - *cap) * size);
	*p = q;
	*cap = n;
	return 0;
}

static int add_note(struct qk_sim *sim, struct qk_err *err, const char *fmt,
		    ...) __attribute__((format(printf, 3, 4)));

static int add_note(struct qk_sim *sim, struct qk_err *err, const char *fmt,
		    ...)
{
	char buf[QK_ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (grow((void **)&sim->notes, &sim->cap_notes, sim->n_notes + 1,
		 sizeof(*sim->notes)) < 0)
		return qk_fail(err, "out of memory");
	sim->notes[sim->n_notes] = qk_strdup(buf);
	if (!sim->notes[sim->n_notes])
		return qk_fail(err, "out of memory");
	sim->n_notes++;
	return 0;
}

static const struct qk_layer *layer_at(const struct qk_sim *sim, size_t i)
{
	return &sim->model->layers[i];
}

static int layer_fail(const struct qk_sim *sim, size_t layer,
		      struct qk_err *err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int layer_fail(const struct qk_sim *sim, size_t layer,
		      struct qk_err *err, const char *fmt, ...)
{
	const struct qk_layer *l = layer_at(sim, layer);
	char buf[QK_ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return qk_fail(err, "layer '%s' (%s): %s", l->name, l->class_name,
		       buf);
}

/* Appends a tensor of count elements and allocates both sides. */
static size_t new_tensor(struct qk_sim *sim, size_t count, int with_raw,
			 struct qk_err *err)
{
	struct tensor *t;

	if (grow((void **)&sim->tensors, &sim->cap_tensors,
		 sim->n_tensors + 1, sizeof(*sim->tensors)) < 0) {
		qk_fail(err, "out of memory");
		return NO_TENSOR;
	}
	t = &sim->tensors[sim->n_tensors];
	memset(t, 0, sizeof(*t));
	t->count = count;
	t->rank = 1;
	t->shape[0] = (int64_t)count;
	t->values = qk_calloc(count ? count : 1, sizeof(float));
	if (with_raw)
		t->raw = qk_calloc(count ? count : 1, sizeof(int64_t));
	if (!t->values || (with_raw && !t->raw)) {
		free(t->values);
		free(t->raw);
		qk_fail(err, "out of memory");
		return NO_TENSOR;
	}
	return sim->n_tensors++;
}

static struct op *new_op(struct qk_sim *sim, enum op_kind kind, size_t layer,
			 size_t n_in, struct qk_err *err)
{
	struct op *op;

	if (grow((void **)&sim->ops, &sim->cap_ops, sim->n_ops + 1,
		 sizeof(*sim->ops)) < 0) {
		qk_fail(err, "out of memory");
		return NULL;
	}
	op = &sim->ops[sim->n_ops];
	memset(op, 0, sizeof(*op));
	op->kind = kind;
	op->layer = layer;
	op->what = "output";
	op->out = NO_TENSOR;
	op->n_in = n_in;
	op->in = qk_calloc(n_in ? n_in : 1, sizeof(size_t));
	op->shift = qk_calloc(n_in ? n_in : 1, sizeof(int));
	if (!op->in || !op->shift) {
		free(op->in);
		free(op->shift);
		qk_fail(err, "out of memory");
		return NULL;
	}
	sim->n_ops++;
	return op;
}

static double type_bound(const struct qk_fixed_type *t)
{
	double lo = fabs((double)qk_fixed_min_raw(t));
	double hi = fabs((double)qk_fixed_max_raw(t));

	return lo > hi ? lo : hi;
}

/*
 * Finds the smallest frac for which every value times 2^frac is an
 * integer. Returns 0 with frac 0 when all values are zero.
 */
static int needed_frac(const float *v, size_t n)
{
	int best = INT32_MIN;

	for (size_t i = 0; i < n; i++) {
		double x = v[i];
		int e, f;
		int64_t m;

		if (x == 0 || !isfinite(x))
			continue;
		m = (int64_t)ldexp(frexp(x, &e), 53);
		f = 53 - e;
		while ((m & 1) == 0) {
			m /= 2;
			f--;
		}
		if (f > best)
			best = f;
	}
	return best == INT32_MIN ? 0 : best;
}

/* Converts exact float32 values into raw integers at frac. */
static int weights_to_raw(const float *v, size_t n, int frac, int64_t *raw)
{
	for (size_t i = 0; i < n; i++) {
		double s = ldexp((double)v[i], frac);

		if (!isfinite(s) || fabs(s) >= NARROW_LIMIT || s != floor(s))
			return -1;
		raw[i] = (int64_t)s;
	}
	return 0;
}

static int plain_quantizer(const struct qk_quantizer *q)
{
	return q->qnoise_factor == 1 && q->use_ste &&
	       !q->use_stochastic_rounding &&
	       (q->alpha_kind == QK_ALPHA_UNSET ||
		(q->alpha_kind == QK_ALPHA_NUMBER && q->alpha == 1)) &&
	       q->integer == floor(q->integer) && fabs(q->integer) <= 100 &&
	       q->bits == floor(q->bits) && q->bits >= 1 && q->bits <= 64;
}

static void fast_quant_init(const struct qk_quantizer *q,
			    struct fast_quant *f)
{
	int keep = q->keep_negative ? 1 : 0;
	const struct qk_value *clip = qk_quantizer_param(q, "is_quantized_clip");

	f->kind = FAST_NONE;
	if (!plain_quantizer(q))
		return;
	if (q->kind == QK_Q_QUANTIZED_BITS && (int)q->bits - keep > 0 &&
	    (q->symmetric == 0 || q->symmetric == 1)) {
		f->kind = FAST_BITS;
		f->m = ldexpf(1.0f, (int)q->bits - keep);
		f->m_i = ldexpf(1.0f, (int)q->integer);
		f->lo = keep ? -f->m + (float)q->symmetric : -0.0f;
		f->hi = f->m - 1.0f;
	} else if (q->kind == QK_Q_QUANTIZED_RELU && q->negative_slope == 0 &&
		   q->use_sigmoid == 0 && !q->has_relu_upper_bound &&
		   (!clip || (clip->type != QK_VAL_NONE && clip->number != 0))) {
		f->kind = FAST_RELU;
		f->m = ldexpf(1.0f, (int)q->bits);
		f->m_i = ldexpf(1.0f, (int)q->integer);
		f->relu_max = f->m_i - ldexpf(1.0f, (int)q->integer -
							(int)q->bits);
		f->hi = 1.0f - 1.0f / f->m;
	}
}

static float clip_float(float x, float lo, float hi)
{
	float v = x < lo ? lo : x;

	return hi < v ? hi : v;
}

/*
 * nearbyintf() in the default rounding mode, mostly without the library
 * call: for |p| < 2^22, adding and subtracting 1.5 * 2^23 lands in
 * [2^23, 2^24), where the float step is 1, so it rounds to an integer
 * with ties to even.
 */
static float round_even(float p)
{
	float r;

	if (!(fabsf(p) < 0x1p22f))
		return nearbyintf(p);
	r = (p + 0x1.8p23f) - 0x1.8p23f;
	return copysignf(r, p);
}

static float fast_quant_apply(const struct act *act, float x)
{
	const struct fast_quant *f = &act->fast;
	float p, xq, xu;

	switch (f->kind) {
	case FAST_BITS:
		p = x * f->m / f->m_i;
		p = p + (-p + round_even(p));
		xq = f->m_i * clip_float(p, f->lo, f->hi) / f->m;
		xq = 1.0f * xq;
		return x + 1.0f * (-x + xq);
	case FAST_RELU:
		if (x <= f->relu_max)
			xu = (x >= 0.0f || isnan(x)) ? x : 0.0f * x;
		else
			xu = f->relu_max;
		p = x * f->m / f->m_i;
		p = p + (-p + round_even(p));
		xq = f->m_i * clip_float(p / f->m, 0.0f, f->hi);
		return xu + 1.0f * (-xu + xq);
	case FAST_NONE:
	default:
		return qk_qkeras_apply(act->q, x);
	}
}

/* The activation functions a proxy computes exactly. */
static int is_relu_name(const char *name)
{
	return strcmp(name, "relu") == 0;
}

/*
 * Reads what a quantizer activation becomes in the proxy. Records a note
 * when the proxy form is known to differ from the QKeras function.
 */
static int quantizer_act(struct qk_sim *sim, size_t layer,
			 const struct qk_quantizer *q, struct act *act,
			 struct qk_err *err)
{
	const struct qk_layer *l = layer_at(sim, layer);
	struct qk_err qerr = QK_ERR_INIT;

	if (qk_qkeras_supported(q, QK_ROLE_ACTIVATION, &qerr) < 0)
		return layer_fail(sim, layer, err,
				  "activation %s is not simulated: %s", q->text,
				  qerr.msg);
	act->kind = ACT_QUANT;
	act->q = q;
	act->proxy = PROXY_FIXED;
	fast_quant_init(q, &act->fast);
	switch (q->kind) {
	case QK_Q_QUANTIZED_BITS:
		if (qk_fixed_from_quantizer(q, sim->fast, &act->type, &qerr) <
		    0)
			return layer_fail(sim, layer, err, "%s", qerr.msg);
		if (q->bits == 1 && q->keep_negative &&
		    add_note(sim, err,
			     "'%s': %s is sign(x) in QKeras but its one-bit "
			     "signed form contains only -2^integer and 0",
			     l->name, q->text) < 0)
			return -1;
		if (q->alpha_kind == QK_ALPHA_UNSET &&
		    add_note(sim, err,
			     "'%s': %s has alpha None, which HGQ's conversion "
			     "rejects for an activation; simulated as alpha 1",
			     l->name, q->text) < 0)
			return -1;
		return 0;
	case QK_Q_QUANTIZED_RELU:
		if (qk_fixed_from_quantizer(q, sim->fast, &act->type, &qerr) <
		    0)
			return layer_fail(sim, layer, err, "%s", qerr.msg);
		act->proxy = PROXY_RELU_FIXED;
		if ((q->negative_slope != 0 || q->use_sigmoid != 0 ||
		     q->has_relu_upper_bound) &&
		    add_note(sim, err,
			     "'%s': %s: the proxy ignores negative_slope, "
			     "use_sigmoid and relu_upper_bound and computes "
			     "ReLU and an unsigned quantizer",
			     l->name, q->text) < 0)
			return -1;
		return 0;
	case QK_Q_TERNARY:
		/* HGQ's ternary mapping: FixedPointQuantizer(1, 2, 1, RND, SAT) */
		act->type.is_signed = 1;
		act->type.width = 2;
		act->type.integer = 1;
		act->type.rounding = QK_RND_RND;
		act->type.overflow = QK_OVF_SAT;
		return add_note(sim, err,
				"'%s': HGQ's conversion of %s stops with an "
				"error; simulated as the signed 2-bit form it "
				"would build, which contains -1, -0.5, 0 and "
				"0.5 but not +1",
				l->name, q->text);
	default:
		return layer_fail(sim, layer, err,
				  "activation %s has no fixed-point form in the "
				  "proxy conversion",
				  q->text);
	}
}

/*
 * Reads a layer's activation. Sets *inexact when the activation has no
 * exact proxy (softmax and other table-based functions).
 */
static int layer_act(struct qk_sim *sim, size_t layer, struct act *act,
		     int *inexact, struct qk_err *err)
{
	const struct qk_layer *l = layer_at(sim, layer);
	const struct qk_quantizer *q = l->quant[QK_ROLE_ACTIVATION];

	memset(act, 0, sizeof(*act));
	*inexact = 0;
	if (q)
		return quantizer_act(sim, layer, q, act, err);
	if (!l->activation || strcmp(l->activation, "linear") == 0)
		return 0;
	if (is_relu_name(l->activation)) {
		act->kind = ACT_RELU;
		return 0;
	}
	*inexact = 1;
	return 0;
}

static int model_input_index(const struct qk_sim *sim, size_t layer)
{
	for (size_t i = 0; i < sim->model->n_inputs; i++)
		if (sim->model->inputs[i] == layer)
			return (int)i;
	return -1;
}

/* Returns the tensor feeding input k of layer, or NO_TENSOR. */
static size_t input_tensor(const struct qk_sim *sim, size_t layer, size_t k)
{
	const struct qk_layer *l = layer_at(sim, layer);

	return sim->layer_tensor[l->nodes[0].inputs[k].layer];
}

/*
 * Copies the shape of input k of layer and returns its rank. The model's
 * shape of the producing layer comes first, because Flatten and Reshape
 * reuse their input's tensor, which keeps the shape from before them.
 */
static int input_shape(const struct qk_sim *sim, size_t layer, size_t k,
		       int64_t *shape)
{
	const struct qk_layer *l = layer_at(sim, layer);
	const struct qk_layer *src = layer_at(sim, l->nodes[0].inputs[k].layer);
	const struct tensor *t = &sim->tensors[input_tensor(sim, layer, k)];
	size_t count = 1;

	for (int d = 0; d < src->out_rank; d++)
		count *= src->out_shape[d] > 0 ? (size_t)src->out_shape[d] : 0;
	if (src->out_rank > 0 && count == t->count) {
		memcpy(shape, src->out_shape, sizeof(src->out_shape));
		return src->out_rank;
	}
	memcpy(shape, t->shape, sizeof(t->shape));
	return t->rank;
}

static int is_input_quantizer(const struct qk_layer *l)
{
	const struct qk_quantizer *q = l->quant[QK_ROLE_ACTIVATION];

	return l->kind == QK_LAYER_QACTIVATION && q &&
	       q->kind == QK_Q_QUANTIZED_BITS;
}

int qk_sim_needs_input_type(const struct qk_model *model)
{
	for (size_t i = 0; i < model->n_inputs; i++) {
		const struct qk_layer *l = &model->layers[model->inputs[i]];

		if (l->n_consumers == 0)
			return 1;
		for (size_t c = 0; c < l->n_consumers; c++)
			if (!is_input_quantizer(&model->layers[l->consumers[c]]))
				return 1;
	}
	return 0;
}

static int build_input(struct qk_sim *sim, size_t layer,
		       const struct qk_sim_options *options,
		       struct qk_err *err)
{
	const struct qk_layer *l = layer_at(sim, layer);
	int position = model_input_index(sim, layer);
	struct qk_sim_input *in;
	struct tensor *t;
	int all_quantizers = l->n_consumers > 0;
	size_t count = 1;
	size_t index;

	if (position < 0)
		return layer_fail(sim, layer, err,
				  "input layer is not a model input");
	in = &sim->inputs[position];
	if (l->out_rank == 0)
		return layer_fail(sim, layer, err, "input shape is unknown");
	for (int d = 0; d < l->out_rank; d++) {
		if (l->out_shape[d] <= 0)
			return layer_fail(sim, layer, err,
					  "input shape has a dimension of "
					  "unknown size");
		count *= (size_t)l->out_shape[d];
	}
	for (size_t c = 0; c < l->n_consumers; c++)
		if (!is_input_quantizer(layer_at(sim, l->consumers[c])))
			all_quantizers = 0;
	if (!all_quantizers && !options->input_type)
		return qk_fail(err,
			       "model has no input quantizer; pass "
			       "--input-precision, e.g. fixed<16,6>");
	index = new_tensor(sim, count, !all_quantizers, err);
	if (index == NO_TENSOR)
		return -1;
	t = &sim->tensors[index];
	t->rank = l->out_rank;
	memcpy(t->shape, l->out_shape, sizeof(t->shape));
	t->is_input = 1;
	in->name = l->name;
	in->count = count;
	in->from_quantizer = all_quantizers;
	sim->layer_tensor[layer] = index;
	sim->input_tensor[position] = index;
	if (all_quantizers) {
		const struct qk_layer *c = layer_at(sim, l->consumers[0]);
		struct qk_err qerr = QK_ERR_INIT;

		/* The grid ignores the overflow mode, so use the safe one. */
		if (qk_fixed_from_quantizer(c->quant[QK_ROLE_ACTIVATION], 0,
					    &in->type, &qerr) < 0)
			return layer_fail(sim, l->consumers[0], err, "%s",
					  qerr.msg);
		return 0;
	}
	in->type = *options->input_type;
	t->frac = qk_fixed_frac(&in->type);
	t->bound = type_bound(&in->type);
	{
		struct op *op = new_op(sim, OP_INPUT, layer, 0, err);

		if (!op)
			return -1;
		op->out = index;
		op->input_type = in->type;
	}
	return 0;
}

static int apply_act_bound(const struct act *act, struct tensor *t)
{
	if (act->kind == ACT_QUANT) {
		t->frac = qk_fixed_frac(&act->type);
		t->bound = type_bound(&act->type);
	}
	return 0;
}

/*
 * Spreads a depthwise kernel [k_h, k_w, channels, dm] over the input
 * channels into a fan_in x units matrix, units = channels * dm. Row
 * r * channels + c contains channel c's values in columns c * dm + m and
 * zeros elsewhere. Zero products leave each float32 sum unchanged, up to
 * the sign of a zero, so the real products still add in k_h, k_w order.
 * NOTE: the zeros multiply the work per output by channels.
 */
static void spread_depthwise(const float *dw, size_t fan_in, size_t units,
			     size_t channels, float *out)
{
	size_t dm = units / channels;

	memset(out, 0, fan_in * units * sizeof(float));
	for (size_t i = 0; i < fan_in; i++) {
		size_t c = i % channels, r = i / channels;

		for (size_t m = 0; m < dm; m++)
			out[i * units + c * dm + m] =
				dw[r * units + c * dm + m];
	}
}

/*
 * Quantizes the kernel (fan_in x units in row-major order) and the bias
 * of a Dense or Conv op and converts both into raw integers at one binary
 * point, the accumulator's. A depthwise kernel (channels > 0) is
 * quantized as stored, then spread over the input channels.
 */
static int build_weights(struct qk_sim *sim, struct op *op,
			 const struct tensor *x, const struct qk_tensor *kernel,
			 enum qk_role role, size_t channels,
			 const struct qk_tensor *bias, struct qk_err *err)
{
	const struct qk_layer *l = layer_at(sim, op->layer);
	struct qk_err qerr = QK_ERR_INIT;
	size_t n = op->fan_in * op->units;
	float *q;
	int kernel_frac, bias_frac;

	if (bias && bias->count != op->units)
		return layer_fail(sim, op->layer, err,
				  "bias has %zu values, expected %zu",
				  bias->count, op->units);
	if (kernel->count != (channels ? n / channels : n))
		return layer_fail(sim, op->layer, err,
				  "kernel has %zu values, expected %zu",
				  kernel->count, channels ? n / channels : n);
	op->kernel = qk_calloc(n, sizeof(float));
	op->kernel_raw = qk_calloc(n, sizeof(int64_t));
	q = channels ? qk_calloc(kernel->count, sizeof(float)) : op->kernel;
	if (bias) {
		op->bias = qk_calloc(bias->count, sizeof(float));
		op->bias_raw = qk_calloc(bias->count, sizeof(int64_t));
	}
	if (!op->kernel || !op->kernel_raw || !q ||
	    (bias && (!op->bias || !op->bias_raw))) {
		if (q != op->kernel)
			free(q);
		return qk_fail(err, "out of memory");
	}
	if (l->quant[role]) {
		if (qk_quantize_weights(l->quant[role], role, kernel->data,
					kernel->count, q, &qerr) < 0) {
			if (q != op->kernel)
				free(q);
			return layer_fail(sim, op->layer, err,
					  "kernel quantizer: %s", qerr.msg);
		}
	} else {
		memcpy(q, kernel->data, kernel->count * sizeof(float));
	}
	if (channels) {
		spread_depthwise(q, op->fan_in, op->units, channels,
				 op->kernel);
		free(q);
	}
	if (bias && l->quant[QK_ROLE_BIAS]) {
		if (qk_quantize_weights(l->quant[QK_ROLE_BIAS], QK_ROLE_BIAS,
					bias->data, bias->count, op->bias,
					&qerr) < 0)
			return layer_fail(sim, op->layer, err,
					  "bias quantizer: %s", qerr.msg);
	} else if (bias) {
		memcpy(op->bias, bias->data, bias->count * sizeof(float));
	}

	/* One binary point for products and bias: the finer of the two. */
	kernel_frac = needed_frac(op->kernel, n);
	op->acc_frac = x->frac + kernel_frac;
	if (bias) {
		bias_frac = needed_frac(op->bias, bias->count);
		if (bias_frac > op->acc_frac)
			op->acc_frac = bias_frac;
	}
	if (weights_to_raw(op->kernel, n, op->acc_frac - x->frac,
			   op->kernel_raw) < 0)
		return layer_fail(sim, op->layer, err,
				  "quantized kernel values need more than 62 "
				  "bits at one binary point");
	if (bias && weights_to_raw(op->bias, bias->count, op->acc_frac,
				   op->bias_raw) < 0)
		return layer_fail(sim, op->layer, err,
				  "quantized bias values need more than 62 "
				  "bits at the accumulator's binary point");
	return 0;
}

static int build_dense_weights(struct qk_sim *sim, struct op *op,
			       const struct tensor *x, struct qk_err *err)
{
	const struct qk_layer *l = layer_at(sim, op->layer);
	const struct qk_tensor *kernel = qk_layer_weight(l, "kernel");

	if (!kernel || kernel->rank != 2)
		return layer_fail(sim, op->layer, err,
				  "missing 2-dimensional kernel");
	op->fan_in = (size_t)kernel->shape[0];
	op->units = (size_t)kernel->shape[1];
	if (op->fan_in == 0 || x->count % op->fan_in != 0)
		return layer_fail(sim, op->layer, err,
				  "kernel has %zu inputs but the input tensor "
				  "has %zu elements",
				  op->fan_in, x->count);
	op->outer = x->count / op->fan_in;
	return build_weights(sim, op, x, kernel, QK_ROLE_KERNEL, 0,
			     qk_layer_weight(l, "bias"), err);
}

/* Bounds the accumulator and picks int64 or __int128 for it. */
static int dense_bound(struct qk_sim *sim, struct op *op,
		       const struct tensor *x, double *bound,
		       struct qk_err *err)
{
	*bound = 0;
	for (size_t j = 0; j < op->units; j++) {
		double sum = op->bias_raw ? fabs((double)op->bias_raw[j]) : 0;

		for (size_t i = 0; i < op->fan_in; i++)
			sum += fabs((double)op->kernel_raw[i * op->units + j]) *
			       x->bound;
		if (sum > *bound)
			*bound = sum;
	}
	*bound *= BOUND_SLACK;
	if (*bound >= WIDE_LIMIT)
		return layer_fail(sim, op->layer, err,
				  "accumulator needs more than 125 bits "
				  "(bound 2^%.1f)",
				  log2(*bound));
	op->wide = *bound >= NARROW_LIMIT;
	/* Every partial sum is below the bound, so int32 cannot overflow. */
	op->small = *bound < SMALL_LIMIT && x->bound < SMALL_LIMIT;
	return 0;
}

/*
 * Adds the output tensor and the accumulators of the Dense or Conv op
 * built last. Returns 1 when the layer's
 * activation is not exact, so its input is compared instead.
 */
static int finish_sums(struct qk_sim *sim, int rank, const int64_t *shape,
		       double bound,
		       const struct act *act, int inexact, struct qk_err *err)
{
	struct op *op = &sim->ops[sim->n_ops - 1];
	const struct qk_layer *l = layer_at(sim, op->layer);
	size_t count = 1;
	struct tensor *y;
	size_t yi;

	for (int d = 0; d < rank; d++)
		count *= (size_t)shape[d];
	yi = new_tensor(sim, count, 1, err);
	if (yi == NO_TENSOR)
		return -1;
	y = &sim->tensors[yi];
	op->out = yi;
	y->rank = rank;
	memcpy(y->shape, shape, (size_t)rank * sizeof(*shape));
	y->frac = op->acc_frac;
	y->bound = bound;
	apply_act_bound(act, y);
	if (act->kind != ACT_QUANT && bound >= RAW_LIMIT)
		return layer_fail(sim, op->layer, err,
				  "output needs more than 64 bits (bound "
				  "2^%.1f), more than HGQ accepts",
				  log2(bound));
	op->acc_values = qk_calloc(op->units, sizeof(float));
	if (op->wide) {
		op->acc_wide = qk_calloc(op->units, sizeof(qk_wide));
	} else if (op->small) {
		size_t n = op->fan_in * op->units;

		op->acc_small = qk_calloc(op->units, sizeof(int32_t));
		op->kernel_small = qk_calloc(n, sizeof(int32_t));
		if (op->kernel_small)
			for (size_t i = 0; i < n; i++)
				op->kernel_small[i] =
					(int32_t)op->kernel_raw[i];
	} else {
		op->acc_narrow = qk_calloc(op->units, sizeof(int64_t));
	}
	if (!op->acc_values ||
	    (!op->acc_wide && !op->acc_narrow &&
	     (!op->acc_small || !op->kernel_small)))
		return qk_fail(err, "out of memory");
	if (inexact) {
		op->what = "output before its activation";
		if (add_note(sim, err,
			     "'%s': activation '%s' is not exact in the "
			     "proxy; compared before it",
			     l->name, l->activation) < 0)
			return -1;
		return 1;
	}
	sim->layer_tensor[op->layer] = yi;
	return 0;
}

static int build_dense(struct qk_sim *sim, size_t layer, struct qk_err *err)
{
	size_t xi = input_tensor(sim, layer, 0);
	const struct tensor *x = &sim->tensors[xi];
	int64_t shape[QK_MAX_RANK];
	struct op *op;
	struct act act;
	int inexact, rank;
	double bound;

	if (!x->raw)
		return qk_fail(err,
			       "model has no input quantizer; pass "
			       "--input-precision, e.g. fixed<16,6>");
	if (layer_act(sim, layer, &act, &inexact, err) < 0)
		return -1;
	op = new_op(sim, OP_DENSE, layer, 1, err);
	if (!op)
		return -1;
	op->in[0] = xi;
	op->act = act;
	if (build_dense_weights(sim, op, x, err) < 0)
		return -1;
	if (dense_bound(sim, op, x, &bound, err) < 0)
		return -1;
	rank = input_shape(sim, layer, 0, shape);
	if (shape[rank - 1] != (int64_t)op->fan_in) {
		rank = 2;
		shape[0] = (int64_t)op->outer;
	}
	shape[rank - 1] = (int64_t)op->units;
	return finish_sums(sim, rank, shape, bound, &act, inexact, err);
}

/* Multiplies the dimensions of shape, or fails beyond the tensor limit. */
static int shape_count(const struct qk_sim *sim, size_t layer, int rank,
		       const int64_t *shape, size_t *count,
		       struct qk_err *err)
{
	*count = 1;
	for (int d = 0; d < rank; d++) {
		if (shape[d] <= 0 ||
		    (int64_t)*count > QK_MAX_TENSOR_ELEMENTS / shape[d])
			return layer_fail(sim, layer, err,
					  "output has more than %lld elements",
					  (long long)QK_MAX_TENSOR_ELEMENTS);
		*count *= (size_t)shape[d];
	}
	return 0;
}

/*
 * Sizes one axis of a window as Keras does: 'valid' keeps the windows
 * that fit inside the input, and 'same' gives ceil(in / stride) outputs
 * with the padding split in two and the odd element at the end.
 */
static int window_axis(int64_t in, int64_t k, int64_t stride, int64_t dilation,
		       int same, size_t *out, size_t *pad)
{
	int64_t span = dilation * (k - 1) + 1;
	int64_t n, total;

	*pad = 0;
	if (same) {
		n = (in + stride - 1) / stride;
		total = (n - 1) * stride + span - in;
		if (total > 0)
			*pad = (size_t)(total / 2);
	} else {
		n = in >= span ? (in - span) / stride + 1 : 0;
	}
	*out = (size_t)n;
	return n > 0 ? 0 : -1;
}

/*
 * Reads the window of a spatial layer over its input, which must be
 * channels_last with dims spatial axes. k, stride and dilation are in
 * (height, width) order, with height 1 for a 1-D layer.
 */
static int read_window(const struct qk_sim *sim, size_t layer, int dims,
		       const int64_t *k, const int64_t *stride,
		       const int64_t *dilation, int same, struct window *w,
		       struct qk_err *err)
{
	const struct qk_layer *l = layer_at(sim, layer);
	const struct qk_layer *src = layer_at(sim, l->nodes[0].inputs[0].layer);
	const struct tensor *x = &sim->tensors[input_tensor(sim, layer, 0)];
	const int64_t *in = src->out_shape;
	size_t count = 1;

	if (src->out_rank != dims + 1)
		return layer_fail(sim, layer, err,
				  "expected an input of rank %d (batch axis "
				  "excluded), got rank %d",
				  dims + 1, src->out_rank);
	for (int d = 0; d <= dims; d++) {
		if (in[d] <= 0)
			return layer_fail(sim, layer, err,
					  "input shape has a dimension of "
					  "unknown size");
		count *= (size_t)in[d];
	}
	if (count != x->count)
		return layer_fail(sim, layer, err,
				  "input shape has %zu elements but its tensor "
				  "has %zu",
				  count, x->count);
	for (int d = 0; d < 2; d++)
		if (k[d] < 1 || stride[d] < 1 || dilation[d] < 1)
			return layer_fail(sim, layer, err,
					  "window size, strides and dilation "
					  "must be positive");
	memset(w, 0, sizeof(*w));
	w->in_h = dims == 2 ? (size_t)in[0] : 1;
	w->in_w = (size_t)in[dims - 1];
	w->channels = (size_t)in[dims];
	w->k_h = (size_t)k[0];
	w->k_w = (size_t)k[1];
	w->stride_h = (size_t)stride[0];
	w->stride_w = (size_t)stride[1];
	w->dilation_h = (size_t)dilation[0];
	w->dilation_w = (size_t)dilation[1];
	if (window_axis((int64_t)w->in_h, k[0], stride[0], dilation[0], same,
			&w->out_h, &w->pad_top) < 0 ||
	    window_axis((int64_t)w->in_w, k[1], stride[1], dilation[1], same,
			&w->out_w, &w->pad_left) < 0)
		return layer_fail(sim, layer, err,
				  "window is larger than the input, so the "
				  "output is empty");
	return 0;
}

/*
 * Finds the kernel indices [*k0, *k1) of one axis whose input index
 * start + k * dilation lies inside [0, in), for start = o * stride - pad.
 */
static void axis_taps(size_t o, size_t stride, size_t dilation, size_t pad,
		      size_t k_size, size_t in, int64_t *start, size_t *k0,
		      size_t *k1)
{
	int64_t s = (int64_t)(o * stride) - (int64_t)pad;
	int64_t last = (int64_t)in - 1 - s;
	int64_t lo = 0, hi = (int64_t)k_size;

	if (s < 0)
		lo = (-s + (int64_t)dilation - 1) / (int64_t)dilation;
	if (last < 0)
		hi = 0;
	else if (last / (int64_t)dilation + 1 < hi)
		hi = last / (int64_t)dilation + 1;
	if (lo > hi)
		lo = hi;
	*start = s;
	*k0 = (size_t)lo;
	*k1 = (size_t)hi;
}

/*
 * Lists the runs of window (oh, ow) that lie inside the input, in kernel
 * order (k_h, then k_w, then channels). Returns the number of runs.
 */
static size_t window_taps(const struct window *w, size_t oh, size_t ow,
			  struct tap *taps)
{
	size_t c = w->channels;
	size_t ki0, ki1, kj0, kj1, n = 0;
	int64_t start_h, start_w;

	axis_taps(oh, w->stride_h, w->dilation_h, w->pad_top, w->k_h, w->in_h,
		  &start_h, &ki0, &ki1);
	axis_taps(ow, w->stride_w, w->dilation_w, w->pad_left, w->k_w, w->in_w,
		  &start_w, &kj0, &kj1);
	if (kj0 >= kj1)
		return 0;
	for (size_t ki = ki0; ki < ki1; ki++) {
		int64_t ih = start_h + (int64_t)(ki * w->dilation_h);
		size_t step = w->dilation_w == 1 ? kj1 - kj0 : 1;

		for (size_t kj = kj0; kj < kj1; kj += step) {
			int64_t iw = start_w + (int64_t)(kj * w->dilation_w);

			taps[n].x = ((size_t)ih * w->in_w + (size_t)iw) * c;
			taps[n].w = (ki * w->k_w + kj) * c;
			taps[n].rows = step * c;
			n++;
		}
	}
	return n;
}

/* Allocates room for the runs of any one window. */
static int alloc_taps(struct op *op, struct qk_err *err)
{
	const struct window *w = &op->win;
	size_t h = w->k_h < w->in_h ? w->k_h : w->in_h;
	size_t n = w->k_w < w->in_w ? w->k_w : w->in_w;

	op->taps = qk_calloc(w->dilation_w == 1 ? h : h * n, sizeof(*op->taps));
	if (!op->taps)
		return qk_fail(err, "out of memory");
	return 0;
}

/* Rejects convolution settings the simulation does not cover. */
static int check_conv_config(const struct qk_sim *sim, size_t layer,
			     struct qk_err *err)
{
	const struct qk_layer *l = layer_at(sim, layer);
	const cJSON *padding =
		cJSON_GetObjectItemCaseSensitive(l->config, "padding");
	const cJSON *groups =
		cJSON_GetObjectItemCaseSensitive(l->config, "groups");

	if (l->params.channels_first)
		return layer_fail(sim, layer, err,
				  "data_format 'channels_first' is not "
				  "simulated");
	if (cJSON_IsString(padding) &&
	    strcmp(padding->valuestring, "causal") == 0)
		return layer_fail(sim, layer, err,
				  "padding 'causal' is not simulated");
	if (cJSON_IsNumber(groups) && groups->valuedouble != 1)
		return layer_fail(sim, layer, err,
				  "groups %g is not simulated; only 1 is",
				  groups->valuedouble);
	return 0;
}

static int64_t positive_or_one(int64_t v)
{
	return v > 0 ? v : 1;
}

/*
 * Builds the pointwise step of a separable convolution: a Dense over the
 * channels at each position of mid, the depthwise step's output of the
 * given rank and shape, with the layer's bias and activation.
 */
static int build_pointwise(struct qk_sim *sim, size_t layer, size_t mid,
			   int rank, int64_t *shape, const struct act *act,
			   int inexact, struct qk_err *err)
{
	const struct qk_layer *l = layer_at(sim, layer);
	const struct qk_tensor *kernel = qk_layer_weight(l,
							 "pointwise_kernel");
	const struct tensor *x;
	struct op *op;
	double bound;
	size_t count;

	if (!kernel || kernel->rank != rank + 1)
		return layer_fail(sim, layer, err,
				  "missing %d-dimensional pointwise kernel",
				  rank + 1);
	for (int d = 0; d < rank - 1; d++)
		if (kernel->shape[d] != 1)
			return layer_fail(sim, layer, err,
					  "pointwise kernel is not 1x1");
	if (kernel->shape[rank - 1] != shape[rank - 1])
		return layer_fail(sim, layer, err,
				  "pointwise kernel has %lld inputs but the "
				  "depthwise step gives %lld channels",
				  (long long)kernel->shape[rank - 1],
				  (long long)shape[rank - 1]);
	op = new_op(sim, OP_DENSE, layer, 1, err);
	if (!op)
		return -1;
	x = &sim->tensors[mid];
	op->in[0] = mid;
	op->act = *act;
	op->fan_in = (size_t)kernel->shape[rank - 1];
	op->units = (size_t)kernel->shape[rank];
	op->outer = x->count / op->fan_in;
	if (build_weights(sim, op, x, kernel, QK_ROLE_POINTWISE, 0,
			  qk_layer_weight(l, "bias"), err) < 0 ||
	    dense_bound(sim, op, x, &bound, err) < 0)
		return -1;
	shape[rank - 1] = (int64_t)op->units;
	if (shape_count(sim, layer, rank, shape, &count, err) < 0)
		return -1;
	return finish_sums(sim, rank, shape, bound, act, inexact, err);
}

/*
 * Builds a Conv1D or Conv2D as a Dense over each window: the kernel,
 * stored as [k_h, k_w, c_in, filters], is a fan_in x filters matrix
 * whose rows follow the window's kernel order. A DepthwiseConv2D kernel,
 * [k_h, k_w, c_in, depth_multiplier], becomes such a matrix with c_in *
 * depth_multiplier columns, zero where a column's channel is not the
 * row's.
 */
static int build_conv(struct qk_sim *sim, size_t layer, struct qk_err *err)
{
	const struct qk_layer *l = layer_at(sim, layer);
	const struct qk_layer_params *p = &l->params;
	int separable = l->kind == QK_LAYER_SEPARABLE_CONV1D ||
			l->kind == QK_LAYER_SEPARABLE_CONV2D;
	int depthwise = separable || l->kind == QK_LAYER_DEPTHWISE_CONV2D;
	const struct qk_tensor *kernel = qk_layer_weight(
		l, depthwise ? "depthwise_kernel" : "kernel");
	size_t xi = input_tensor(sim, layer, 0);
	const struct tensor *x = &sim->tensors[xi];
	int dims = l->kind == QK_LAYER_CONV1D ||
			   l->kind == QK_LAYER_SEPARABLE_CONV1D ? 1 : 2;
	int64_t k[2], stride[2], dilation[2], shape[QK_MAX_RANK];
	const int64_t *ks;
	struct op *op;
	struct act act, last_act;
	int inexact, last_inexact, rc;
	double bound;
	size_t count;

	if (!x->raw)
		return qk_fail(err,
			       "model has no input quantizer; pass "
			       "--input-precision, e.g. fixed<16,6>");
	if (check_conv_config(sim, layer, err) < 0)
		return -1;
	if (!kernel || kernel->rank != dims + 2)
		return layer_fail(sim, layer, err,
				  "missing %d-dimensional kernel", dims + 2);
	ks = kernel->shape;
	k[0] = dims == 2 ? ks[0] : 1;
	k[1] = ks[dims - 1];
	if ((p->kernel_size[0] && p->kernel_size[0] != ks[0]) ||
	    (dims == 2 && p->kernel_size[1] && p->kernel_size[1] != ks[1]))
		return layer_fail(sim, layer, err,
				  "kernel_size disagrees with the kernel's "
				  "shape");
	stride[0] = dims == 2 ? positive_or_one(p->strides[0]) : 1;
	stride[1] = positive_or_one(p->strides[dims - 1]);
	dilation[0] = dims == 2 ? positive_or_one(p->dilation[0]) : 1;
	dilation[1] = positive_or_one(p->dilation[dims - 1]);
	if (layer_act(sim, layer, &act, &inexact, err) < 0)
		return -1;
	/* A separable layer's activation follows its pointwise step. */
	last_act = act;
	last_inexact = inexact;
	if (separable) {
		memset(&act, 0, sizeof(act));
		inexact = 0;
	}
	op = new_op(sim, OP_CONV, layer, 1, err);
	if (!op)
		return -1;
	op->in[0] = xi;
	op->act = act;
	if (read_window(sim, layer, dims, k, stride, dilation, p->padding_same,
			&op->win, err) < 0)
		return -1;
	if ((size_t)ks[dims] != op->win.channels)
		return layer_fail(sim, layer, err,
				  "kernel has %lld input channels but the "
				  "input has %zu",
				  (long long)ks[dims], op->win.channels);
	op->fan_in = (size_t)(k[0] * k[1] * ks[dims]);
	op->units = (size_t)ks[dims + 1];
	if (depthwise)
		op->units *= (size_t)ks[dims];
	if (build_weights(sim, op, x, kernel,
			  depthwise ? QK_ROLE_DEPTHWISE : QK_ROLE_KERNEL,
			  depthwise ? (size_t)ks[dims] : 0,
			  separable ? NULL : qk_layer_weight(l, "bias"),
			  err) < 0 ||
	    dense_bound(sim, op, x, &bound, err) < 0 ||
	    alloc_taps(op, err) < 0)
		return -1;
	if (dims == 2)
		shape[0] = (int64_t)op->win.out_h;
	shape[dims - 1] = (int64_t)op->win.out_w;
	shape[dims] = (int64_t)op->units;
	if (shape_count(sim, layer, dims + 1, shape, &count, err) < 0)
		return -1;
	rc = finish_sums(sim, dims + 1, shape, bound, &act, inexact, err);
	if (rc != 0 || !separable)
		return rc;
	return build_pointwise(sim, layer, sim->ops[sim->n_ops - 1].out,
			       dims + 1, shape, &last_act, last_inexact, err);
}

static int is_power_of_two(uint64_t n)
{
	return n != 0 && (n & (n - 1)) == 0;
}

static int log2_exact(uint64_t n)
{
	int e = 0;

	while (n > 1) {
		n >>= 1;
		e++;
	}
	return e;
}

/*
 * Finds a window of an average pooling whose count of elements inside
 * the input is not a power of two, so its division rounds. Returns that
 * count, or 0 when every count is a power of two.
 */
static size_t rounding_window(const struct window *w)
{
	size_t k0, k1;
	int64_t start;

	for (size_t o = 0; o < w->out_h; o++) {
		axis_taps(o, w->stride_h, 1, w->pad_top, w->k_h, w->in_h,
			  &start, &k0, &k1);
		if (!is_power_of_two(k1 - k0))
			return (k1 - k0) * w->k_w;
	}
	for (size_t o = 0; o < w->out_w; o++) {
		axis_taps(o, w->stride_w, 1, w->pad_left, w->k_w, w->in_w,
			  &start, &k0, &k1);
		if (!is_power_of_two(k1 - k0))
			return (k1 - k0) * w->k_h;
	}
	return 0;
}

/* Reads the pool window and the output shape of a pooling layer. */
static int read_pool(const struct qk_sim *sim, size_t layer, struct window *w,
		     int *rank, int64_t *shape, struct qk_err *err)
{
	const struct qk_layer *l = layer_at(sim, layer);
	const struct qk_layer_params *p = &l->params;
	const struct qk_layer *src = layer_at(sim, l->nodes[0].inputs[0].layer);
	const cJSON *strides =
		cJSON_GetObjectItemCaseSensitive(l->config, "strides");
	const cJSON *keepdims =
		cJSON_GetObjectItemCaseSensitive(l->config, "keepdims");
	static const int64_t one[2] = {1, 1};
	int64_t k[2], stride[2];
	int dims;

	if (l->kind == QK_LAYER_GLOBAL_POOL) {
		dims = src->out_rank - 1;
		if (dims < 1 || dims > 2)
			return layer_fail(sim, layer, err,
					  "expected an input of rank 2 or 3 "
					  "(batch axis excluded), got rank %d",
					  src->out_rank);
		k[0] = dims == 2 ? src->out_shape[0] : 1;
		k[1] = src->out_shape[dims - 1];
		if (read_window(sim, layer, dims, k, one, one, 0, w, err) < 0)
			return -1;
		*rank = cJSON_IsTrue(keepdims) ? dims + 1 : 1;
		for (int d = 0; d < *rank; d++)
			shape[d] = 1;
		shape[*rank - 1] = (int64_t)w->channels;
		return 0;
	}
	dims = l->kind == QK_LAYER_MAXPOOL1D || l->kind == QK_LAYER_AVGPOOL1D ?
		       1 : 2;
	if (p->pool_size[0] == 0)
		return layer_fail(sim, layer, err, "missing pool_size");
	k[0] = dims == 2 ? p->pool_size[0] : 1;
	k[1] = positive_or_one(p->pool_size[dims - 1]);
	/* Keras' strides default to the pool size. */
	if (strides && !cJSON_IsNull(strides)) {
		stride[0] = dims == 2 ? positive_or_one(p->strides[0]) : 1;
		stride[1] = positive_or_one(p->strides[dims - 1]);
	} else {
		stride[0] = k[0];
		stride[1] = k[1];
	}
	if (read_window(sim, layer, dims, k, stride, one, p->padding_same, w,
			err) < 0)
		return -1;
	*rank = dims + 1;
	if (dims == 2)
		shape[0] = (int64_t)w->out_h;
	shape[dims - 1] = (int64_t)w->out_w;
	shape[dims] = (int64_t)w->channels;
	return 0;
}

/*
 * Builds a max or average pooling, global or not. Returns 1 when an
 * average divides by a count that is not a power of two, which rounds
 * in the proxy, so the input is compared instead.
 */
static int build_pool(struct qk_sim *sim, size_t layer, struct qk_err *err)
{
	const struct qk_layer *l = layer_at(sim, layer);
	size_t xi = input_tensor(sim, layer, 0);
	int average = l->kind == QK_LAYER_AVGPOOL1D ||
		      l->kind == QK_LAYER_AVGPOOL2D ||
		      (l->kind == QK_LAYER_GLOBAL_POOL &&
		       strstr(l->class_name, "Average"));
	int64_t shape[QK_MAX_RANK];
	struct window w;
	struct tensor *y;
	struct op *op;
	int rank = 0, shift = 0;
	size_t yi, count, edge;

	if (!sim->tensors[xi].raw)
		return qk_fail(err,
			       "model has no input quantizer; pass "
			       "--input-precision, e.g. fixed<16,6>");
	if (l->is_qkeras)
		return layer_fail(sim, layer, err, "%s is not simulated",
				  l->class_name);
	if (l->params.channels_first)
		return layer_fail(sim, layer, err,
				  "data_format 'channels_first' is not "
				  "simulated");
	if (read_pool(sim, layer, &w, &rank, shape, err) < 0 ||
	    shape_count(sim, layer, rank, shape, &count, err) < 0)
		return -1;
	if (average) {
		uint64_t n = (uint64_t)w.k_h * w.k_w;

		if (!is_power_of_two(n)) {
			if (add_note(sim, err,
				     "'%s' (%s): dividing by the pool size "
				     "%llu rounds in the proxy; its input is "
				     "compared instead",
				     l->name, l->class_name,
				     (unsigned long long)n) < 0)
				return -1;
			return 1;
		}
		/*
		 * NOTE: this follows Keras, which divides a window cut by
		 * 'same' padding by the count of its elements inside the
		 * input. Whether the firmware divides edge windows the same
		 * way is not checked here.
		 */
		edge = rounding_window(&w);
		if (edge) {
			if (add_note(sim, err,
				     "'%s' (%s): a window cut by 'same' "
				     "padding divides by %zu, which rounds in "
				     "the proxy; its input is compared "
				     "instead",
				     l->name, l->class_name, edge) < 0)
				return -1;
			return 1;
		}
		shift = log2_exact(n);
	}
	op = new_op(sim, average ? OP_AVGPOOL : OP_MAXPOOL, layer, 1, err);
	if (!op)
		return -1;
	op->in[0] = xi;
	op->win = w;
	op->pool_size = (int64_t)w.k_h * (int64_t)w.k_w;
	op->acc_values = qk_calloc(w.channels, sizeof(float));
	op->acc_narrow = qk_calloc(w.channels, sizeof(int64_t));
	if (!op->acc_values || !op->acc_narrow)
		return qk_fail(err, "out of memory");
	if (alloc_taps(op, err) < 0)
		return -1;
	yi = new_tensor(sim, count, 1, err);
	if (yi == NO_TENSOR)
		return -1;
	y = &sim->tensors[yi];
	y->rank = rank;
	memcpy(y->shape, shape, (size_t)rank * sizeof(*shape));
	/* An average is at most the largest input, at shift more bits. */
	y->frac = sim->tensors[xi].frac + shift;
	y->bound = ldexp(sim->tensors[xi].bound, shift);
	if (y->bound >= RAW_LIMIT)
		return layer_fail(sim, layer, err,
				  "output needs more than 64 bits (bound "
				  "2^%.1f)",
				  log2(y->bound));
	sim->ops[sim->n_ops - 1].out = yi;
	sim->layer_tensor[layer] = yi;
	return 0;
}

static int build_act(struct qk_sim *sim, size_t layer, const struct act *act,
		     struct qk_err *err)
{
	size_t xi = input_tensor(sim, layer, 0);
	struct tensor *x = &sim->tensors[xi];
	struct tensor *y;
	struct op *op;
	size_t yi;

	if (act->kind == ACT_NONE) {
		sim->layer_tensor[layer] = xi;
		return 0;
	}
	if (!x->raw && act->kind != ACT_QUANT)
		return qk_fail(err,
			       "model has no input quantizer; pass "
			       "--input-precision, e.g. fixed<16,6>");
	yi = new_tensor(sim, x->count, 1, err);
	if (yi == NO_TENSOR)
		return -1;
	x = &sim->tensors[xi];
	y = &sim->tensors[yi];
	y->rank = x->rank;
	memcpy(y->shape, x->shape, sizeof(y->shape));
	y->frac = x->frac;
	y->bound = x->bound;
	apply_act_bound(act, y);
	op = new_op(sim, OP_ACT, layer, 1, err);
	if (!op)
		return -1;
	op->in[0] = xi;
	op->out = yi;
	op->act = *act;
	sim->layer_tensor[layer] = yi;
	return 0;
}

/* Marks the input of an inexact layer as compared, and stops there. */
static int stop_before(struct qk_sim *sim, size_t layer, const char *name,
		       struct qk_err *err)
{
	const struct qk_layer *l = layer_at(sim, layer);

	return add_note(sim, err,
			"'%s' (%s): '%s' is not exact in the proxy; its input "
			"is compared instead",
			l->name, l->class_name, name);
}

static int build_activation_layer(struct qk_sim *sim, size_t layer,
				  struct qk_err *err)
{
	const struct qk_layer *l = layer_at(sim, layer);
	struct act act;
	int inexact;

	memset(&act, 0, sizeof(act));
	if (strcmp(l->class_name, "ReLU") == 0) {
		if (l->params.negative_slope != 0 || l->params.has_max_value)
			return layer_fail(sim, layer, err,
					  "ReLU with negative_slope or "
					  "max_value is not simulated");
		act.kind = ACT_RELU;
		return build_act(sim, layer, &act, err);
	}
	if (strcmp(l->class_name, "Softmax") == 0) {
		if (stop_before(sim, layer, "softmax", err) < 0)
			return -1;
		return 1;
	}
	if (strcmp(l->class_name, "Activation") != 0 &&
	    l->kind != QK_LAYER_QACTIVATION)
		return layer_fail(sim, layer, err, "%s is not simulated",
				  l->class_name);
	if (layer_act(sim, layer, &act, &inexact, err) < 0)
		return -1;
	if (inexact) {
		if (stop_before(sim, layer, l->activation, err) < 0)
			return -1;
		return 1;
	}
	return build_act(sim, layer, &act, err);
}

static int build_merge(struct qk_sim *sim, size_t layer, struct qk_err *err)
{
	const struct qk_layer *l = layer_at(sim, layer);
	const struct qk_node *node = &l->nodes[0];
	int concat = l->kind == QK_LAYER_CONCATENATE;
	const struct tensor *first;
	int64_t first_shape[QK_MAX_RANK], shape[QK_MAX_RANK];
	struct tensor *y;
	struct op *op;
	size_t yi, count = 0;
	int64_t axis_size = 0;
	int frac = INT32_MIN, axis = 0, first_rank;
	double bound = 0;

	op = new_op(sim, concat ? OP_CONCAT : OP_ADD, layer, node->n_inputs,
		    err);
	if (!op)
		return -1;
	for (size_t k = 0; k < node->n_inputs; k++) {
		const struct tensor *x;

		op->in[k] = input_tensor(sim, layer, k);
		x = &sim->tensors[op->in[k]];
		if (!x->raw)
			return qk_fail(err,
				       "model has no input quantizer; pass "
				       "--input-precision, e.g. fixed<16,6>");
		if (x->frac > frac)
			frac = x->frac;
	}
	first = &sim->tensors[op->in[0]];
	first_rank = input_shape(sim, layer, 0, first_shape);
	if (concat) {
		axis = (int)(l->params.axis < 0 ? first_rank + l->params.axis
						: l->params.axis - 1);
		if (axis < 0 || axis >= first_rank)
			return layer_fail(sim, layer, err,
					  "invalid axis %lld",
					  (long long)l->params.axis);
		op->concat_inner = qk_calloc(node->n_inputs, sizeof(size_t));
		if (!op->concat_inner)
			return qk_fail(err, "out of memory");
		op->concat_outer = 1;
		for (int d = 0; d < axis; d++)
			op->concat_outer *= (size_t)first_shape[d];
	}
	for (size_t k = 0; k < node->n_inputs; k++) {
		const struct tensor *x = &sim->tensors[op->in[k]];
		double b = ldexp(x->bound, frac - x->frac);

		op->shift[k] = frac - x->frac;
		if (op->shift[k] > 62)
			return layer_fail(sim, layer, err,
					  "inputs differ by %d fractional bits",
					  op->shift[k]);
		if (concat) {
			if (input_shape(sim, layer, k, shape) != first_rank)
				return layer_fail(sim, layer, err,
						  "inputs differ in rank");
			op->concat_inner[k] = x->count / op->concat_outer;
			axis_size += shape[axis];
			bound = b > bound ? b : bound;
		} else {
			if (x->count != first->count)
				return layer_fail(sim, layer, err,
						  "inputs differ in size");
			bound += b;
		}
		count += x->count;
	}
	if (!concat)
		count = first->count;
	if (bound * BOUND_SLACK >= RAW_LIMIT)
		return layer_fail(sim, layer, err,
				  "output needs more than 64 bits");
	yi = new_tensor(sim, count, 1, err);
	if (yi == NO_TENSOR)
		return -1;
	y = &sim->tensors[yi];
	y->rank = first_rank;
	memcpy(y->shape, first_shape, sizeof(y->shape));
	if (concat)
		y->shape[axis] = axis_size;
	y->frac = frac;
	y->bound = bound * BOUND_SLACK;
	sim->ops[sim->n_ops - 1].out = yi;
	sim->layer_tensor[layer] = yi;
	return 0;
}

/* Dropout, Flatten and Reshape keep the values in row-major order. */
static int build_alias(struct qk_sim *sim, size_t layer)
{
	sim->layer_tensor[layer] = input_tensor(sim, layer, 0);
	return 0;
}

/*
 * Builds the operations of one layer. Returns 1 when the layer is not
 * exact and simulation stops before it, 0 when built, -1 on error.
 */
static int build_layer(struct qk_sim *sim, size_t layer,
		       const struct qk_sim_options *options,
		       struct qk_err *err)
{
	const struct qk_layer *l = layer_at(sim, layer);

	if (l->kind == QK_LAYER_INPUT)
		return build_input(sim, layer, options, err);
	if (l->n_nodes != 1)
		return layer_fail(sim, layer, err,
				  "a layer called %zu times is not simulated",
				  l->n_nodes);
	for (size_t k = 0; k < l->nodes[0].n_inputs; k++)
		if (input_tensor(sim, layer, k) == NO_TENSOR)
			return 2;
	switch (l->kind) {
	case QK_LAYER_DENSE:
		return build_dense(sim, layer, err);
	case QK_LAYER_ACTIVATION:
	case QK_LAYER_QACTIVATION:
		return build_activation_layer(sim, layer, err);
	case QK_LAYER_DROPOUT:
	case QK_LAYER_FLATTEN:
	case QK_LAYER_RESHAPE:
		return build_alias(sim, layer);
	case QK_LAYER_ADD:
	case QK_LAYER_CONCATENATE:
		return build_merge(sim, layer, err);
	case QK_LAYER_CONV1D:
	case QK_LAYER_CONV2D:
	case QK_LAYER_DEPTHWISE_CONV2D:
	case QK_LAYER_SEPARABLE_CONV1D:
	case QK_LAYER_SEPARABLE_CONV2D:
		return build_conv(sim, layer, err);
	case QK_LAYER_MAXPOOL1D:
	case QK_LAYER_MAXPOOL2D:
	case QK_LAYER_AVGPOOL1D:
	case QK_LAYER_AVGPOOL2D:
	case QK_LAYER_GLOBAL_POOL:
		return build_pool(sim, layer, err);
	default:
		return layer_fail(sim, layer, err, "%s is not simulated",
				  l->class_name);
	}
}

static int add_output(struct qk_sim *sim, size_t tensor, size_t layer,
		      int is_model_output, const char *what,
		      struct qk_err *err)
{
	const struct qk_layer *l = layer_at(sim, layer);
	struct qk_sim_output *o;

	for (size_t i = 0; i < sim->n_outputs; i++)
		if (sim->output_tensor[i] == tensor)
			return 0;
	if (grow((void **)&sim->outputs, &sim->cap_outputs, sim->n_outputs + 1,
		 sizeof(*sim->outputs)) < 0)
		return qk_fail(err, "out of memory");
	sim->output_tensor = qk_reallocarray(sim->output_tensor,
					     sim->cap_outputs, sizeof(size_t));
	if (!sim->output_tensor)
		return qk_fail(err, "out of memory");
	o = &sim->outputs[sim->n_outputs];
	o->label = qk_asprintf("'%s' (%s) %s", l->name, l->class_name, what);
	if (!o->label)
		return qk_fail(err, "out of memory");
	o->offset = sim->output_size;
	o->count = sim->tensors[tensor].count;
	o->is_model_output = is_model_output;
	sim->output_tensor[sim->n_outputs++] = tensor;
	sim->output_size += o->count;
	return 0;
}

static int build_all(struct qk_sim *sim, const struct qk_sim_options *options,
		     struct qk_err *err)
{
	const struct qk_model *m = sim->model;

	for (size_t i = 0; i < m->n_layers; i++) {
		int rc = build_layer(sim, i, options, err);

		if (rc < 0)
			return -1;
		if (rc != 1)
			continue;
		/* Compare what feeds the inexact layer. */
		if (m->layers[i].kind == QK_LAYER_DENSE ||
		    m->layers[i].kind == QK_LAYER_CONV1D ||
		    m->layers[i].kind == QK_LAYER_CONV2D ||
		    m->layers[i].kind == QK_LAYER_DEPTHWISE_CONV2D ||
		    m->layers[i].kind == QK_LAYER_SEPARABLE_CONV1D ||
		    m->layers[i].kind == QK_LAYER_SEPARABLE_CONV2D) {
			if (add_output(sim, sim->ops[sim->n_ops - 1].out, i, 0,
				       "before its activation", err) < 0)
				return -1;
		} else if (add_output(sim, input_tensor(sim, i, 0),
				      m->layers[i].nodes[0].inputs[0].layer,
				      0, "output", err) < 0) {
			return -1;
		}
	}
	for (size_t k = 0; k < m->n_outputs; k++) {
		size_t layer = m->outputs[k];

		if (sim->layer_tensor[layer] == NO_TENSOR)
			continue;
		if (add_output(sim, sim->layer_tensor[layer], layer, 1,
			       "output", err) < 0)
			return -1;
	}
	if (sim->n_outputs == 0)
		return qk_fail(err, "no output can be compared");
	return 0;
}

struct qk_sim *qk_sim_build(const struct qk_model *model,
			    const struct qk_sim_options *options,
			    struct qk_err *err)
{
	struct qk_sim *sim = calloc(1, sizeof(*sim));

	if (!sim) {
		qk_fail(err, "out of memory");
		return NULL;
	}
	sim->model = model;
	sim->fast = options->fast;
	sim->n_inputs = model->n_inputs;
	sim->layer_tensor = qk_calloc(model->n_layers ? model->n_layers : 1,
				      sizeof(size_t));
	sim->inputs = qk_calloc(model->n_inputs ? model->n_inputs : 1,
				sizeof(*sim->inputs));
	sim->input_tensor = qk_calloc(model->n_inputs ? model->n_inputs : 1,
				      sizeof(size_t));
	if (!sim->layer_tensor || !sim->inputs || !sim->input_tensor) {
		qk_fail(err, "out of memory");
		qk_sim_free(sim);
		return NULL;
	}
	for (size_t i = 0; i < model->n_layers; i++)
		sim->layer_tensor[i] = NO_TENSOR;
	if (model->n_inputs == 0) {
		qk_fail(err, "model has no input");
		qk_sim_free(sim);
		return NULL;
	}
	if (build_all(sim, options, err) < 0) {
		qk_sim_free(sim);
		return NULL;
	}
	for (size_t i = 0; i < sim->n_inputs; i++) {
		sim->inputs[i].offset = sim->input_size;
		sim->input_size += sim->inputs[i].count;
	}
	return sim;
}

void qk_sim_free(struct qk_sim *sim)
{
	if (!sim)
		return;
	for (size_t i = 0; i < sim->n_tensors; i++) {
		free(sim->tensors[i].values);
		free(sim->tensors[i].raw);
	}
	for (size_t i = 0; i < sim->n_ops; i++) {
		struct op *op = &sim->ops[i];

		free(op->in);
		free(op->shift);
		free(op->kernel);
		free(op->bias);
		free(op->kernel_raw);
		free(op->bias_raw);
		free(op->acc_values);
		free(op->acc_narrow);
		free(op->acc_wide);
		free(op->acc_small);
		free(op->kernel_small);
		free(op->concat_inner);
		free(op->taps);
	}
	for (size_t i = 0; i < sim->n_outputs; i++)
		free(sim->outputs[i].label);
	for (size_t i = 0; i < sim->n_notes; i++)
		free(sim->notes[i]);
	free(sim->tensors);
	free(sim->ops);
	free(sim->layer_tensor);
	free(sim->inputs);
	free(sim->input_tensor);
	free(sim->outputs);
	free(sim->output_tensor);
	free(sim->notes);
	free(sim);
}

size_t qk_sim_input_size(const struct qk_sim *sim)
{
	return sim->input_size;
}

size_t qk_sim_output_size(const struct qk_sim *sim)
{
	return sim->output_size;
}

size_t qk_sim_n_inputs(const struct qk_sim *sim)
{
	return sim->n_inputs;
}

const struct qk_sim_input *qk_sim_input(const struct qk_sim *sim, size_t i)
{
	return &sim->inputs[i];
}

size_t qk_sim_n_outputs(const struct qk_sim *sim)
{
	return sim->n_outputs;
}

const struct qk_sim_output *qk_sim_output(const struct qk_sim *sim, size_t i)
{
	return &sim->outputs[i];
}

size_t qk_sim_n_notes(const struct qk_sim *sim)
{
	return sim->n_notes;
}

const char *qk_sim_note(const struct qk_sim *sim, size_t i)
{
	return sim->notes[i];
}

/* QKeras side. */

static float qkeras_act(const struct act *act, float x)
{
	switch (act->kind) {
	case ACT_RELU:
		return x > 0 ? x : 0.0f;
	case ACT_QUANT:
		return fast_quant_apply(act, x);
	case ACT_NONE:
	default:
		return x;
	}
}

/* Adds rows x units products to acc, one row after the other. */
static inline void sum_rows_float(float *restrict acc, const float *x,
				  const float *restrict w, size_t rows,
				  size_t units)
{
	for (size_t i = 0; i < rows; i++) {
		const float xi = x[i];
		const float *restrict wi = w + i * units;

		for (size_t j = 0; j < units; j++)
			acc[j] += xi * wi[j];
	}
}

/*
 * Computes one output row of a Dense or Conv op from n runs of its
 * input. Each output sums its products in run order from 0, then adds
 * the bias and applies the activation.
 */
static void qkeras_sums(const struct op *op, const float *x,
			const struct tap *taps, size_t n, float *y)
{
	float *restrict acc = op->acc_values;
	size_t units = op->units;

	for (size_t j = 0; j < units; j++)
		acc[j] = 0.0f;
	for (size_t t = 0; t < n; t++)
		sum_rows_float(acc, x + taps[t].x,
			       op->kernel + taps[t].w * units, taps[t].rows,
			       units);
	for (size_t j = 0; j < units; j++) {
		float v = op->bias ? acc[j] + op->bias[j] : acc[j];

		y[j] = qkeras_act(&op->act, v);
	}
}

/* Per output, the products are summed in input order. */
static void qkeras_dense(struct qk_sim *sim, const struct op *op)
{
	const float *x = sim->tensors[op->in[0]].values;
	float *y = sim->tensors[op->out].values;

	for (size_t o = 0; o < op->outer; o++) {
		struct tap all = {o * op->fan_in, 0, op->fan_in};

		qkeras_sums(op, x, &all, 1, y + o * op->units);
	}
}

/*
 * Per output, the products are summed over k_h, then k_w, then input
 * channels, the kernel's storage order. Padding is skipped, since its
 * products are zero.
 */
static void qkeras_conv(struct qk_sim *sim, const struct op *op)
{
	const struct window *w = &op->win;
	const float *x = sim->tensors[op->in[0]].values;
	float *y = sim->tensors[op->out].values;

	for (size_t oh = 0; oh < w->out_h; oh++)
		for (size_t ow = 0; ow < w->out_w; ow++) {
			size_t n = window_taps(w, oh, ow, op->taps);

			qkeras_sums(op, x, op->taps, n,
				    y + (oh * w->out_w + ow) * op->units);
		}
}

static void max_float(float *restrict acc, const float *restrict x,
		      size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (x[i] > acc[i])
			acc[i] = x[i];
}

static void add_float(float *restrict acc, const float *restrict x,
		      size_t n)
{
	for (size_t i = 0; i < n; i++)
		acc[i] += x[i];
}

/*
 * Max or average over each window, per channel. An average sums in
 * window order (rows, then positions in a row), then divides by the
 * number of elements inside the input, as Keras does with 'same'
 * padding.
 */
static void qkeras_pool(struct qk_sim *sim, const struct op *op)
{
	const struct window *w = &op->win;
	const float *x = sim->tensors[op->in[0]].values;
	float *y = sim->tensors[op->out].values;
	float *acc = op->acc_values;
	size_t c = w->channels;
	int average = op->kind == OP_AVGPOOL;

	for (size_t oh = 0; oh < w->out_h; oh++)
		for (size_t ow = 0; ow < w->out_w; ow++) {
			size_t n = window_taps(w, oh, ow, op->taps);
			float *out = y + (oh * w->out_w + ow) * c;
			size_t elements = 0;

			for (size_t ch = 0; ch < c; ch++)
				acc[ch] = average ? 0.0f : -INFINITY;
			for (size_t t = 0; t < n; t++)
				for (size_t r = 0; r < op->taps[t].rows;
				     r += c) {
					const float *xr = x + op->taps[t].x + r;

					if (average)
						add_float(acc, xr, c);
					else
						max_float(acc, xr, c);
					elements++;
				}
			for (size_t ch = 0; ch < c; ch++)
				out[ch] = average ? acc[ch] / (float)elements :
						    acc[ch];
		}
}

static void qkeras_op(struct qk_sim *sim, const struct op *op)
{
	const struct tensor *x = op->n_in ? &sim->tensors[op->in[0]] : NULL;
	struct tensor *y = &sim->tensors[op->out];

	switch (op->kind) {
	case OP_INPUT:
		break;
	case OP_DENSE:
		qkeras_dense(sim, op);
		break;
	case OP_CONV:
		qkeras_conv(sim, op);
		break;
	case OP_MAXPOOL:
	case OP_AVGPOOL:
		qkeras_pool(sim, op);
		break;
	case OP_ACT:
		for (size_t i = 0; i < y->count; i++)
			y->values[i] = qkeras_act(&op->act, x->values[i]);
		break;
	case OP_ADD:
		/* Keras' Add sums its inputs one after the other. */
		for (size_t i = 0; i < y->count; i++) {
			float v = x->values[i];

			for (size_t k = 1; k < op->n_in; k++)
				v += sim->tensors[op->in[k]].values[i];
			y->values[i] = v;
		}
		break;
	case OP_CONCAT: {
		size_t pos = 0;

		for (size_t o = 0; o < op->concat_outer; o++)
			for (size_t k = 0; k < op->n_in; k++) {
				size_t n = op->concat_inner[k];

				memcpy(y->values + pos,
				       sim->tensors[op->in[k]].values + o * n,
				       n * sizeof(float));
				pos += n;
			}
		break;
	}
	}
}

static void load_inputs(struct qk_sim *sim, const float *input)
{
	for (size_t i = 0; i < sim->n_inputs; i++) {
		struct tensor *t = &sim->tensors[sim->input_tensor[i]];

		memcpy(t->values, input + sim->inputs[i].offset,
		       t->count * sizeof(float));
	}
}

void qk_sim_run_qkeras(struct qk_sim *sim, const float *input)
{
	load_inputs(sim, input);
	for (size_t i = 0; i < sim->n_ops; i++)
		qkeras_op(sim, &sim->ops[i]);
}

/* Proxy side. */

static int64_t proxy_act(const struct act *act, int64_t raw, int frac)
{
	switch (act->kind) {
	case ACT_RELU:
		return raw > 0 ? raw : 0;
	case ACT_QUANT:
		if (act->proxy == PROXY_RELU_FIXED && raw < 0)
			raw = 0;
		return qk_fixed_convert(&act->type, raw, frac);
	case ACT_NONE:
	default:
		return raw;
	}
}

static int64_t proxy_act_wide(const struct act *act, qk_wide raw, int frac)
{
	switch (act->kind) {
	case ACT_RELU:
		return (int64_t)(raw > 0 ? raw : 0);
	case ACT_QUANT:
		if (act->proxy == PROXY_RELU_FIXED && raw < 0)
			raw = 0;
		return qk_fixed_convert_wide(&act->type, raw, frac);
	case ACT_NONE:
	default:
		return (int64_t)raw;
	}
}

/* A quantizer reading a model input converts the float32 value itself. */
static int64_t proxy_act_float(const struct act *act, float x)
{
	double v = x;

	if (act->proxy == PROXY_RELU_FIXED && v < 0)
		v = 0;
	return qk_fixed_from_double(&act->type, v);
}

static inline void sum_rows_small(int32_t *restrict acc, const int64_t *x,
				  const int32_t *restrict w, size_t rows,
				  size_t units)
{
	for (size_t i = 0; i < rows; i++) {
		const int32_t xi = (int32_t)x[i];
		const int32_t *restrict wi = w + i * units;

		if (xi == 0)
			continue;
		for (size_t j = 0; j < units; j++)
			acc[j] += xi * wi[j];
	}
}

static inline void sum_rows_narrow(int64_t *acc, const int64_t *x,
				   const int64_t *w, size_t rows,
				   size_t units)
{
	for (size_t i = 0; i < rows; i++) {
		const int64_t xi = x[i];
		const int64_t *wi = w + i * units;

		if (xi == 0)
			continue;
		for (size_t j = 0; j < units; j++)
			acc[j] += xi * wi[j];
	}
}

static inline void sum_rows_wide(qk_wide *acc, const int64_t *x,
				 const int64_t *w, size_t rows, size_t units)
{
	for (size_t i = 0; i < rows; i++) {
		const qk_wide xi = x[i];
		const int64_t *wi = w + i * units;

		for (size_t j = 0; j < units; j++)
			acc[j] += xi * wi[j];
	}
}

/*
 * Computes one output row of a Dense or Conv op from n runs of its
 * input, exactly, in the accumulator type dense_bound() picked.
 */
static void proxy_sums(const struct op *op, const int64_t *x,
		       const struct tap *taps, size_t n, int64_t *y)
{
	size_t units = op->units;

	if (op->wide) {
		qk_wide *acc = op->acc_wide;

		for (size_t j = 0; j < units; j++)
			acc[j] = op->bias_raw ? op->bias_raw[j] : 0;
		for (size_t t = 0; t < n; t++)
			sum_rows_wide(acc, x + taps[t].x,
				      op->kernel_raw + taps[t].w * units,
				      taps[t].rows, units);
		for (size_t j = 0; j < units; j++)
			y[j] = proxy_act_wide(&op->act, acc[j], op->acc_frac);
	} else if (op->small) {
		int32_t *acc = op->acc_small;

		for (size_t j = 0; j < units; j++)
			acc[j] = op->bias_raw ? (int32_t)op->bias_raw[j] : 0;
		for (size_t t = 0; t < n; t++)
			sum_rows_small(acc, x + taps[t].x,
				       op->kernel_small + taps[t].w * units,
				       taps[t].rows, units);
		for (size_t j = 0; j < units; j++)
			y[j] = proxy_act(&op->act, acc[j], op->acc_frac);
	} else {
		int64_t *acc = op->acc_narrow;

		for (size_t j = 0; j < units; j++)
			acc[j] = op->bias_raw ? op->bias_raw[j] : 0;
		for (size_t t = 0; t < n; t++)
			sum_rows_narrow(acc, x + taps[t].x,
					op->kernel_raw + taps[t].w * units,
					taps[t].rows, units);
		for (size_t j = 0; j < units; j++)
			y[j] = proxy_act(&op->act, acc[j], op->acc_frac);
	}
}

static void proxy_dense(struct qk_sim *sim, const struct op *op)
{
	const int64_t *x = sim->tensors[op->in[0]].raw;
	int64_t *y = sim->tensors[op->out].raw;

	for (size_t o = 0; o < op->outer; o++) {
		struct tap all = {o * op->fan_in, 0, op->fan_in};

		proxy_sums(op, x, &all, 1, y + o * op->units);
	}
}

static void proxy_conv(struct qk_sim *sim, const struct op *op)
{
	const struct window *w = &op->win;
	const int64_t *x = sim->tensors[op->in[0]].raw;
	int64_t *y = sim->tensors[op->out].raw;

	for (size_t oh = 0; oh < w->out_h; oh++)
		for (size_t ow = 0; ow < w->out_w; ow++) {
			size_t n = window_taps(w, oh, ow, op->taps);

			proxy_sums(op, x, op->taps, n,
				   y + (oh * w->out_w + ow) * op->units);
		}
}

/*
 * Max or exact average over each window, per channel. The average of
 * e elements is sum / e, stored with log2(pool size) more fractional
 * bits: raw sum * (pool size / e), exact because both are powers of two.
 */
static void proxy_pool(struct qk_sim *sim, const struct op *op)
{
	const struct window *w = &op->win;
	const int64_t *x = sim->tensors[op->in[0]].raw;
	int64_t *y = sim->tensors[op->out].raw;
	int64_t *acc = op->acc_narrow;
	size_t c = w->channels;
	int average = op->kind == OP_AVGPOOL;

	for (size_t oh = 0; oh < w->out_h; oh++)
		for (size_t ow = 0; ow < w->out_w; ow++) {
			size_t n = window_taps(w, oh, ow, op->taps);
			int64_t *out = y + (oh * w->out_w + ow) * c;
			int64_t elements = 0;

			for (size_t ch = 0; ch < c; ch++)
				acc[ch] = average ? 0 : INT64_MIN;
			for (size_t t = 0; t < n; t++)
				for (size_t r = 0; r < op->taps[t].rows;
				     r += c) {
					const int64_t *xr =
						x + op->taps[t].x + r;

					for (size_t ch = 0; ch < c; ch++)
						if (average)
							acc[ch] += xr[ch];
						else if (xr[ch] > acc[ch])
							acc[ch] = xr[ch];
					elements++;
				}
			for (size_t ch = 0; ch < c; ch++)
				out[ch] = average ? acc[ch] * (op->pool_size /
							       elements) :
						    acc[ch];
		}
}

static void proxy_op(struct qk_sim *sim, const struct op *op)
{
	const struct tensor *x = op->n_in ? &sim->tensors[op->in[0]] : NULL;
	struct tensor *y = &sim->tensors[op->out];

	switch (op->kind) {
	case OP_INPUT:
		for (size_t i = 0; i < y->count; i++)
			y->raw[i] = qk_fixed_from_double(&op->input_type,
							 y->values[i]);
		break;
	case OP_DENSE:
		proxy_dense(sim, op);
		break;
	case OP_CONV:
		proxy_conv(sim, op);
		break;
	case OP_MAXPOOL:
	case OP_AVGPOOL:
		proxy_pool(sim, op);
		break;
	case OP_ACT:
		if (!x->raw) {
			for (size_t i = 0; i < y->count; i++)
				y->raw[i] = proxy_act_float(&op->act,
							    x->values[i]);
			break;
		}
		for (size_t i = 0; i < y->count; i++)
			y->raw[i] = proxy_act(&op->act, x->raw[i], x->frac);
		break;
	case OP_ADD:
		for (size_t i = 0; i < y->count; i++) {
			int64_t v = 0;

			for (size_t k = 0; k < op->n_in; k++)
				v += sim->tensors[op->in[k]].raw[i] *
				     ((int64_t)1 << op->shift[k]);
			y->raw[i] = v;
		}
		break;
	case OP_CONCAT: {
		size_t pos = 0;

		for (size_t o = 0; o < op->concat_outer; o++)
			for (size_t k = 0; k < op->n_in; k++) {
				size_t n = op->concat_inner[k];
				const int64_t *src =
					sim->tensors[op->in[k]].raw + o * n;

				for (size_t i = 0; i < n; i++)
					y->raw[pos++] =
						src[i] *
						((int64_t)1 << op->shift[k]);
			}
		break;
	}
	}
}

void qk_sim_run_proxy(struct qk_sim *sim, const float *input)
{
	load_inputs(sim, input);
	for (size_t i = 0; i < sim->n_ops; i++)
		proxy_op(sim, &sim->ops[i]);
}

/* Comparison. */

static double proxy_value(const struct tensor *t, size_t i)
{
	if (!t->raw)
		return t->values[i];
	return ldexp((double)t->raw[i], -t->frac);
}

/* Compares a float32 with raw * 2^-frac exactly. */
static int same_value(float f, int64_t raw, int frac)
{
	double s;

	if (f == 0)
		return raw == 0;
	if (!isfinite(f))
		return 0;
	s = ldexp((double)f, frac);
	if (s != floor(s) || fabs(s) >= RAW_LIMIT)
		return 0;
	return (int64_t)s == raw;
}

static int tensor_equal(const struct tensor *t, size_t *element)
{
	if (!t->raw)
		return 1;
	for (size_t i = 0; i < t->count; i++)
		if (!same_value(t->values[i], t->raw[i], t->frac)) {
			if (element)
				*element = i;
			return 0;
		}
	return 1;
}

void qk_sim_qkeras_outputs(const struct qk_sim *sim, double *out)
{
	for (size_t k = 0; k < sim->n_outputs; k++) {
		const struct tensor *t = &sim->tensors[sim->output_tensor[k]];

		for (size_t i = 0; i < t->count; i++)
			out[sim->outputs[k].offset + i] = t->values[i];
	}
}

void qk_sim_proxy_outputs(const struct qk_sim *sim, double *out)
{
	for (size_t k = 0; k < sim->n_outputs; k++) {
		const struct tensor *t = &sim->tensors[sim->output_tensor[k]];

		for (size_t i = 0; i < t->count; i++)
			out[sim->outputs[k].offset + i] = proxy_value(t, i);
	}
}

int qk_sim_outputs_equal(const struct qk_sim *sim)
{
	for (size_t k = 0; k < sim->n_outputs; k++)
		if (!tensor_equal(&sim->tensors[sim->output_tensor[k]], NULL))
			return 0;
	return 1;
}

int qk_sim_first_difference(const struct qk_sim *sim,
			    struct qk_sim_difference *out)
{
	for (size_t i = 0; i < sim->n_ops; i++) {
		const struct op *op = &sim->ops[i];
		const struct tensor *t = &sim->tensors[op->out];
		const struct qk_layer *l = layer_at(sim, op->layer);
		size_t element;

		if (tensor_equal(t, &element))
			continue;
		out->layer = l->name;
		out->class_name = l->class_name;
		out->what = op->what;
		out->element = element;
		out->qkeras = t->values[element];
		out->proxy = proxy_value(t, element);
		return 1;
	}
	return 0;
}

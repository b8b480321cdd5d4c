#include "precision.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../rules/container.h"
#include "qkeras_quant.h"

/* Per-derivation state of one mode. */
struct derive {
	const struct qk_model *model;
	struct qk_precision *prec;
	enum qk_prec_mode mode;
	const struct qk_fixed_type *input_override;
	struct qk_layer_prec *rows;
	struct qk_err *err;
};

const char *qk_prec_mode_name(enum qk_prec_mode mode)
{
	return mode == QK_PREC_FAST ? "fast" : "safe";
}

struct qk_fixed_type qk_kif_to_fixed(struct qk_kif kif,
				     enum qk_rounding rounding,
				     enum qk_overflow overflow)
{
	struct qk_fixed_type t;

	t.is_signed = kif.k != 0;
	t.width = kif.k + kif.i + kif.f;
	t.integer = kif.k + kif.i;
	t.rounding = rounding;
	t.overflow = overflow;
	return t;
}

struct qk_kif qk_kif_from_fixed(const struct qk_fixed_type *type)
{
	struct qk_kif kif;

	kif.k = type->is_signed ? 1 : 0;
	kif.i = type->integer - kif.k;
	kif.f = type->width - type->integer;
	return kif;
}

static int kif_width(struct qk_kif kif)
{
	return kif.k + kif.i + kif.f;
}

static int min_int(int a, int b)
{
	return a < b ? a : b;
}

static int max_int(int a, int b)
{
	return a > b ? a : b;
}

/* Smallest c with 2^c >= n; 0 for n <= 1. */
static int ceil_log2(int64_t n)
{
	int c = 0;

	while (c < 62 && ((int64_t)1 << c) < n)
		c++;
	return c;
}

static int is_power_of_two(int64_t n)
{
	return n > 0 && (n & (n - 1)) == 0;
}

static void set_type(struct qk_prec_type *t, struct qk_kif kif,
		     enum qk_rounding rounding, enum qk_overflow overflow)
{
	t->present = 1;
	t->kif = kif;
	t->fixed = qk_kif_to_fixed(kif, rounding, overflow);
}

/*
 * NOTE: HGQ evaluates an activation on at most 2^20 points of its input
 * type, so for inputs wider than 20 bits its ReLU type may differ from
 * this exact (0, i, f).
 */
static struct qk_kif kif_relu(struct qk_kif in)
{
	in.k = 0;
	return in;
}

/*
 * The type a quantizer of type q produces from a value of type in: the
 * smaller of both in each part, with one integer bit more when fractional
 * bits are rounded away (the carry), but never more than q keeps.
 */
static struct qk_kif kif_quantize(struct qk_kif in, struct qk_kif q)
{
	struct qk_kif out;

	out.k = min_int(in.k, q.k);
	out.f = min_int(in.f, q.f);
	out.i = min_int(in.i + (in.f > out.f ? 1 : 0), q.i);
	return out;
}

static int set_reason(struct qk_layer_prec *row, struct qk_err *err,
		      const char *text)
{
	free(row->reason);
	row->reason = qk_strdup(text);
	if (!row->reason)
		return qk_fail(err, "out of memory");
	return 0;
}

static int mark(struct derive *d, struct qk_layer_prec *row,
		enum qk_prec_status status, const char *text)
{
	row->status = status;
	return set_reason(row, d->err, text);
}

/* --- quantized weights ------------------------------------------------ */

static enum qk_role weight_role(const char *name)
{
	if (strcmp(name, "kernel") == 0)
		return QK_ROLE_KERNEL;
	if (strcmp(name, "bias") == 0)
		return QK_ROLE_BIAS;
	if (strcmp(name, "depthwise_kernel") == 0)
		return QK_ROLE_DEPTHWISE;
	if (strcmp(name, "pointwise_kernel") == 0)
		return QK_ROLE_POINTWISE;
	return QK_ROLE_COUNT;
}

/*
 * Stores the weight as the proxy does: passed once through its quantizer
 * when the layer is a QKeras layer that has one, else as stored. A
 * quantizer qklint cannot apply leaves the weight missing and explains reason
 * in reason (a buffer of QK_ERR_MAX bytes).
 */
static int quantize_weight(const struct qk_layer *layer,
			   const struct qk_tensor *t, struct qk_prec_weights *w,
			   char *reason, struct qk_err *err)
{
	enum qk_role role = weight_role(t->name);
	const struct qk_quantizer *q = NULL;
	struct qk_err qerr = QK_ERR_INIT;

	if (role != QK_ROLE_COUNT && layer->is_qkeras)
		q = layer->quant[role];
	w->data = malloc(t->count ? t->count * sizeof(float) : 1);
	if (!w->data)
		return qk_fail(err, "out of memory");
	w->count = t->count;
	if (!q) {
		if (t->count)
			memcpy(w->data, t->data, t->count * sizeof(float));
		return 0;
	}
	if (qk_quantize_weights(q, role, t->data, t->count, w->data, &qerr)) {
		snprintf(reason, QK_ERR_MAX, "%s", qerr.msg);
		free(w->data);
		w->data = NULL;
		w->count = 0;
	}
	return 0;
}

static int quantize_layer(struct qk_precision *prec, size_t index,
			  char *reason, struct qk_err *err)
{
	const struct qk_layer *layer = &prec->model->layers[index];
	size_t j;

	for (j = 0; j < layer->n_weights; j++) {
		const struct qk_tensor *t = &layer->weights[j];
		struct qk_prec_weights *slot = NULL;

		switch (weight_role(t->name)) {
		case QK_ROLE_KERNEL:
		case QK_ROLE_POINTWISE:
			slot = &prec->kernel[index];
			break;
		case QK_ROLE_DEPTHWISE:
			slot = &prec->depthwise[index];
			break;
		case QK_ROLE_BIAS:
			slot = &prec->bias[index];
			break;
		default:
			break;
		}
		if (slot && !slot->data &&
		    quantize_weight(layer, t, slot, reason, err))
			return -1;
	}
	return 0;
}

static struct qk_kif container_kif(const struct qk_prec_weights *w)
{
	struct qk_container c;
	struct qk_kif kif;

	qk_container_of(w->data, w->count, &c);
	kif.k = c.k;
	kif.i = c.i;
	kif.f = c.f;
	return kif;
}

static int has_negative(const struct qk_prec_weights *w)
{
	size_t j;

	for (j = 0; j < w->count; j++) {
		if (w->data[j] < 0.0f)
			return 1;
	}
	return 0;
}

/* --- quantizer forms -------------------------------------------------- */

/*
 * The proxy form of an activation quantizer. quantized_bits is one
 * fixed-point quantizer. quantized_relu is a signed quantizer with one
 * more bit (SAT), a ReLU and the unsigned quantizer, so the layer before
 * it takes the signed one (first) as its result type.
 */
struct qform {
	int is_relu;
	struct qk_fixed_type type;	/* final form, from verify/fixed.h */
	struct qk_fixed_type first;	/* the quantizer after the layer */
};

static int quantizer_form(const struct qk_quantizer *q, enum qk_prec_mode mode,
			  struct qform *form, char *reason)
{
	struct qk_err qerr = QK_ERR_INIT;

	if (qk_fixed_from_quantizer(q, mode == QK_PREC_FAST, &form->type,
				    &qerr)) {
		snprintf(reason, QK_ERR_MAX, "%s", qerr.msg);
		return -1;
	}
	form->is_relu = q->kind == QK_Q_QUANTIZED_RELU;
	form->first = form->type;
	if (form->is_relu) {
		form->first.is_signed = 1;
		form->first.width = form->type.width + 1;
		form->first.integer = form->type.integer + 1;
	}
	return 0;
}

/* The type a value of type in has after the whole quantizer. */
static struct qk_kif qform_apply(const struct qform *form, struct qk_kif in)
{
	struct qk_kif out;

	if (!form->is_relu)
		return kif_quantize(in, qk_kif_from_fixed(&form->type));
	out = kif_quantize(in, qk_kif_from_fixed(&form->first));
	return kif_quantize(kif_relu(out), qk_kif_from_fixed(&form->type));
}

/* --- inputs of a layer ------------------------------------------------ */

static int input_kifs(struct derive *d, size_t index, struct qk_kif *kifs,
		      size_t max, size_t *n, char *reason)
{
	const struct qk_layer *layer = &d->model->layers[index];
	const struct qk_node *node;
	size_t j;

	*n = 0;
	if (layer->n_nodes == 0) {
		snprintf(reason, QK_ERR_MAX, "layer has no input");
		return -1;
	}
	if (layer->n_nodes > 1) {
		snprintf(reason, QK_ERR_MAX, "layer is called %zu times; the "
			 "derivation handles one call", layer->n_nodes);
		return -1;
	}
	node = &layer->nodes[0];
	for (j = 0; j < node->n_inputs && j < max; j++) {
		size_t from = node->inputs[j].layer;
		const struct qk_layer_prec *src = &d->rows[from];

		if (!src->result.present) {
			snprintf(reason, QK_ERR_MAX, "input '%s' has no "
				 "fixed-point type",
				 d->model->layers[from].name);
			return -1;
		}
		kifs[j] = src->result.kif;
	}
	*n = j;
	if (*n == 0) {
		snprintf(reason, QK_ERR_MAX, "layer has no input");
		return -1;
	}
	return 0;
}

/* The quantizer of a QActivation with a fixed-point form, or NULL. */
static const struct qk_quantizer *qactivation_quantizer(
	const struct qk_layer *layer)
{
	const struct qk_quantizer *q;

	if (layer->kind != QK_LAYER_QACTIVATION)
		return NULL;
	q = layer->quant[QK_ROLE_ACTIVATION];
	if (!q || (q->kind != QK_Q_QUANTIZED_BITS &&
		   q->kind != QK_Q_QUANTIZED_RELU))
		return NULL;
	return q;
}

/*
 * An input layer's type: HGQ takes the widest of the quantized_bits
 * QActivations that consume it, two fractional bits more because they
 * round (RND_CONV), truncating, with their overflow mode.
 */
static int derive_input(struct derive *d, size_t index,
			struct qk_layer_prec *row)
{
	const struct qk_layer *layer = &d->model->layers[index];
	struct qk_kif kif = { 0, -QK_PREC_MAX_BITS, -QK_PREC_MAX_BITS };
	enum qk_overflow overflow = QK_OVF_SAT;
	char reason[QK_ERR_MAX] = "";
	size_t j;

	for (j = 0; j < layer->n_consumers; j++) {
		const struct qk_layer *c =
			&d->model->layers[layer->consumers[j]];
		const struct qk_quantizer *q = qactivation_quantizer(c);
		struct qform form;
		struct qk_kif qk;

		if (!q || q->kind != QK_Q_QUANTIZED_BITS ||
		    quantizer_form(q, d->mode, &form, reason))
			break;
		qk = qk_kif_from_fixed(&form.type);
		if (j > 0 && form.type.overflow != overflow)
			break;
		overflow = form.type.overflow;
		kif.k = max_int(kif.k, qk.k);
		kif.i = max_int(kif.i, qk.i);
		kif.f = max_int(kif.f, qk.f + 2);
	}
	if (layer->n_consumers > 0 && j == layer->n_consumers) {
		set_type(&row->result, kif, QK_RND_TRN, overflow);
		return 0;
	}
	if (!d->input_override && reason[0])
		return qk_fail(d->err, "input '%s': %s", layer->name,
			       reason);
	if (!d->input_override)
		return qk_fail(d->err, "input '%s' is not followed by a "
			       "quantized_bits QActivation; give an input "
			       "precision", layer->name);
	row->result.present = 1;
	row->result.fixed = *d->input_override;
	row->result.kif = qk_kif_from_fixed(d->input_override);
	row->flags |= QK_PREC_FLAG_INPUT_ASSUMED;
	d->prec->input_assumed = 1;
	d->prec->input_type = *d->input_override;
	return 0;
}

/* --- layers with a kernel --------------------------------------------- */

/*
 * The quantizer that directly follows the layer's sum in the proxy: the
 * layer's own activation quantizer, or a QActivation that is its only
 * consumer. Returns 1 with form filled, 0 when none follows, -1 when the
 * quantizer has no fixed-point form (reason names it).
 */
static int next_quantizer(struct derive *d, size_t index, struct qform *form,
			  char *reason)
{
	const struct qk_layer *layer = &d->model->layers[index];
	const struct qk_quantizer *q = layer->quant[QK_ROLE_ACTIVATION];

	if (layer->is_qkeras && q)
		return quantizer_form(q, d->mode, form, reason) ? -1 : 1;
	if (layer->activation || layer->n_consumers != 1)
		return 0;
	q = qactivation_quantizer(&d->model->layers[layer->consumers[0]]);
	if (!q)
		return 0;
	return quantizer_form(q, d->mode, form, reason) ? 0 : 1;
}

/* Sets the bias flag when a bias value does not fit the accumulator. */
static void check_bias(const struct qk_prec_weights *bias,
		       struct qk_layer_prec *row)
{
	const struct qk_fixed_type *t = &row->accum.fixed;
	double step = ldexp(1.0, -qk_fixed_frac(t));
	double lo = (double)qk_fixed_min_raw(t) * step;
	double hi = (double)qk_fixed_max_raw(t) * step;
	size_t j;

	for (j = 0; j < bias->count; j++) {
		double v = bias->data[j];
		double steps = v / step;

		if (!(v >= lo && v <= hi) || steps != floor(steps)) {
			row->flags |= QK_PREC_FLAG_BIAS_INEXACT;
			return;
		}
	}
}

/*
 * The Keras activation of a layer or Activation layer: 0 for linear, 1 for
 * relu, -1 for anything table-based or otherwise not exact.
 */
static int activation_kind(const char *name)
{
	if (!name || strcmp(name, "linear") == 0)
		return 0;
	if (strcmp(name, "relu") == 0)
		return 1;
	return -1;
}

static int dense_activation(struct derive *d, const struct qk_layer *layer,
			    int has_form, const struct qform *form,
			    struct qk_layer_prec *row)
{
	struct qk_kif core = row->result.kif;
	char text[QK_ERR_MAX];

	/* A quantizer in a later QActivation is that layer's business. */
	if (has_form && layer->is_qkeras && layer->quant[QK_ROLE_ACTIVATION]) {
		row->quantizer.present = 1;
		row->quantizer.fixed = form->type;
		row->quantizer.kif = qk_kif_from_fixed(&form->type);
		set_type(&row->result, qform_apply(form, core),
			 form->type.rounding, form->type.overflow);
		return 0;
	}
	if (has_form)
		return 0;
	switch (activation_kind(layer->activation)) {
	case 0:
		return 0;
	case 1:
		set_type(&row->result, kif_relu(core), QK_RND_TRN,
			 QK_OVF_WRAP);
		return 0;
	default:
		row->result.present = 0;
		snprintf(text, sizeof(text), "activation '%s' is computed "
			 "from a table, not exactly", layer->activation);
		return mark(d, row, QK_PREC_NOT_EXACT, text);
	}
}

/*
 * Replaces *in by the type of a separable convolution's depthwise step,
 * whose sums the proxy keeps exact. Returns 0, or 1 when the depthwise
 * kernel is missing.
 */
static int depthwise_step(struct derive *d, size_t index, struct qk_kif *in)
{
	const struct qk_layer *layer = &d->model->layers[index];
	const struct qk_prec_weights *k = &d->prec->depthwise[index];
	const struct qk_tensor *t = qk_layer_weight(layer, "depthwise_kernel");
	struct qk_kif w;
	int64_t per_sum;

	if (!t || !k->data || t->rank < 3 || t->shape[t->rank - 1] <= 0 ||
	    t->shape[t->rank - 2] <= 0)
		return 1;
	per_sum = t->shape[t->rank - 1] * t->shape[t->rank - 2];
	w = container_kif(k);
	in->k = in->k || w.k;
	in->i += w.i + ceil_log2((int64_t)(k->count / (size_t)per_sum));
	in->f += w.f;
	return 0;
}

/* Records the depthwise step's type in the layer's note. */
static int note_step(struct derive *d, struct qk_layer_prec *row,
		     struct qk_kif step)
{
	struct qk_fixed_type t = qk_kif_to_fixed(step, QK_RND_TRN,
						  QK_OVF_WRAP);
	char buf[96], text[QK_ERR_MAX];

	snprintf(text, sizeof(text), "depthwise step kept exact in %s",
		 qk_fixed_format(&t, buf, sizeof(buf)));
	return set_reason(row, d->err, text);
}

/*
 * Derives a Dense, Conv or DepthwiseConv2D layer. A separable convolution
 * is its depthwise step, then a pointwise Conv with the bias over that
 * step's type, and its weight type is the pointwise kernel's.
 */
static int derive_dense(struct derive *d, size_t index,
			struct qk_layer_prec *row, const char *weight_reason)
{
	const struct qk_layer *layer = &d->model->layers[index];
	int depthwise = layer->kind == QK_LAYER_DEPTHWISE_CONV2D;
	int separable = layer->kind == QK_LAYER_SEPARABLE_CONV1D ||
			layer->kind == QK_LAYER_SEPARABLE_CONV2D;
	const struct qk_prec_weights *kernel = depthwise ?
		&d->prec->depthwise[index] : &d->prec->kernel[index];
	const struct qk_prec_weights *bias = &d->prec->bias[index];
	const struct qk_tensor *kt = qk_layer_weight(
		layer, depthwise ? "depthwise_kernel" :
		separable ? "pointwise_kernel" : "kernel");
	int64_t per_sum;
	int step_bits = 0;
	struct qk_kif in, w, p, b = { 0, -QK_PREC_MAX_BITS, -QK_PREC_MAX_BITS };
	struct qform form;
	char reason[QK_ERR_MAX] = "";
	size_t n;
	int has_form;

	if (input_kifs(d, index, &in, 1, &n, reason))
		return mark(d, row, QK_PREC_UNSUPPORTED, reason);
	set_type(&row->input, in, QK_RND_TRN, QK_OVF_WRAP);
	row->input.fixed = d->rows[layer->nodes[0].inputs[0].layer]
				   .result.fixed;
	if (weight_reason && weight_reason[0])
		return mark(d, row, QK_PREC_UNSUPPORTED, weight_reason);
	if (separable) {
		if (depthwise_step(d, index, &in))
			return mark(d, row, QK_PREC_UNSUPPORTED, "depthwise "
				    "kernel weights are missing");
		if (note_step(d, row, in))
			return -1;
		/* QKeras keeps the step in float32 too. */
		step_bits = in.i + in.f;
	}
	if (!kt || !kernel->data || kt->rank < (depthwise ? 4 : 1) ||
	    kt->shape[kt->rank - 1] <= 0 ||
	    (depthwise && kt->shape[kt->rank - 2] <= 0))
		return mark(d, row, QK_PREC_UNSUPPORTED, "kernel weights "
			    "are missing");
	w = container_kif(kernel);
	set_type(&row->weight, w, QK_RND_TRN, QK_OVF_WRAP);
	/* A depthwise output sums one input channel over the window only. */
	per_sum = kt->shape[kt->rank - 1];
	if (depthwise)
		per_sum *= kt->shape[kt->rank - 2];
	row->fan_in = (int64_t)(kernel->count / (size_t)per_sum);
	p.k = in.k || w.k || (bias->data && has_negative(bias));
	p.i = in.i + w.i + ceil_log2(row->fan_in);
	p.f = in.f + w.f;
	if (bias->data && bias->count)
		b = container_kif(bias);
	row->accum_significant_bits = max_int(max_int(p.i, b.i) +
					      max_int(p.f, b.f), step_bits);
	if (row->accum_significant_bits > QK_PREC_FLOAT32_BITS)
		row->flags |= QK_PREC_FLAG_FLOAT32_INEXACT;

	has_form = next_quantizer(d, index, &form, reason);
	if (has_form < 0)
		return mark(d, row, QK_PREC_UNSUPPORTED, reason);
	if (has_form)
		set_type(&row->result, qk_kif_from_fixed(&form.first),
			 form.first.rounding, form.first.overflow);
	else
		set_type(&row->result, p, QK_RND_TRN, QK_OVF_WRAP);
	/* Under WRAP the sum may wrap early: only the result bits matter. */
	if (row->result.fixed.overflow == QK_OVF_WRAP) {
		struct qk_kif a = { row->result.kif.k, row->result.kif.i,
				    p.f };

		set_type(&row->accum, a, QK_RND_TRN, QK_OVF_WRAP);
	} else {
		set_type(&row->accum, p, QK_RND_TRN, QK_OVF_WRAP);
	}
	if (bias->data) {
		row->bias = row->accum;
		check_bias(bias, row);
	}
	return dense_activation(d, layer, has_form, &form, row);
}

/* --- layers without weights ------------------------------------------- */

static int derive_qactivation(struct derive *d, size_t index,
			      struct qk_layer_prec *row, struct qk_kif in)
{
	const struct qk_layer *layer = &d->model->layers[index];
	const struct qk_quantizer *q = layer->quant[QK_ROLE_ACTIVATION];
	struct qform form;
	char reason[QK_ERR_MAX] = "";

	if (!q) {
		row->result = row->input;
		return 0;
	}
	if (quantizer_form(q, d->mode, &form, reason))
		return mark(d, row, QK_PREC_UNSUPPORTED, reason);
	row->quantizer.present = 1;
	row->quantizer.fixed = form.type;
	row->quantizer.kif = qk_kif_from_fixed(&form.type);
	set_type(&row->result, qform_apply(&form, in), form.type.rounding,
		 form.type.overflow);
	return 0;
}

static int derive_activation(struct derive *d, size_t index,
			     struct qk_layer_prec *row, struct qk_kif in)
{
	const struct qk_layer *layer = &d->model->layers[index];
	const char *name = layer->activation;
	char text[QK_ERR_MAX];

	if (strcmp(layer->class_name, "ReLU") == 0) {
		if (layer->params.has_max_value ||
		    layer->params.negative_slope != 0.0)
			return mark(d, row, QK_PREC_UNSUPPORTED, "ReLU with "
				    "max_value or negative_slope is not "
				    "derived");
		name = "relu";
	} else if (strcmp(layer->class_name, "LeakyReLU") == 0) {
		return mark(d, row, QK_PREC_UNSUPPORTED, "LeakyReLU is not "
			    "derived");
	} else if (strcmp(layer->class_name, "Softmax") == 0) {
		name = "softmax";
	}
	switch (activation_kind(name)) {
	case 0:
		row->result = row->input;
		return 0;
	case 1:
		set_type(&row->result, kif_relu(in), QK_RND_TRN, QK_OVF_WRAP);
		return 0;
	default:
		snprintf(text, sizeof(text), "activation '%s' is computed "
			 "from a table, not exactly", name);
		return mark(d, row, QK_PREC_NOT_EXACT, text);
	}
}

static int64_t pool_size(const struct qk_layer *layer)
{
	int64_t a = layer->params.pool_size[0];
	int64_t b = layer->params.pool_size[1];

	if (layer->kind == QK_LAYER_AVGPOOL1D)
		return a;
	return a * b;
}

/* Averaging over n values: exact only when n is a power of two. */
static int derive_average(struct derive *d, struct qk_layer_prec *row,
			  struct qk_kif in, int64_t n, const char *what)
{
	char text[QK_ERR_MAX];

	if (n <= 0)
		return mark(d, row, QK_PREC_UNSUPPORTED, "pool size is "
			    "unknown");
	in.f += ceil_log2(n);
	set_type(&row->result, in, QK_RND_TRN, QK_OVF_WRAP);
	if (is_power_of_two(n))
		return 0;
	snprintf(text, sizeof(text), "%s divides by %lld, which rounds in "
		 "fixed point", what, (long long)n);
	return mark(d, row, QK_PREC_NOT_EXACT, text);
}

/* Values averaged per channel by a global average pooling. */
static int64_t global_pool_size(struct derive *d, size_t index)
{
	const struct qk_layer *layer = &d->model->layers[index];
	const struct qk_layer *src =
		&d->model->layers[layer->nodes[0].inputs[0].layer];
	int64_t n = 1;
	int j, skip;

	if (src->out_rank < 2)
		return 0;
	skip = layer->params.channels_first ? 0 : src->out_rank - 1;
	for (j = 0; j < src->out_rank; j++) {
		if (j != skip)
			n *= src->out_shape[j];
	}
	return n;
}

static int derive_merge(struct derive *d, const struct qk_layer *layer,
			struct qk_layer_prec *row, const struct qk_kif *kifs,
			size_t n)
{
	struct qk_kif out = kifs[0];
	int signed_inputs = 0;
	size_t j;

	for (j = 0; j < n; j++) {
		signed_inputs += kifs[j].k;
		if (j == 0)
			continue;
		if (layer->kind == QK_LAYER_MULTIPLY) {
			out.k = out.k || kifs[j].k;
			out.i += kifs[j].i;
			out.f += kifs[j].f;
			continue;
		}
		out.k = max_int(out.k, kifs[j].k);
		out.i = max_int(out.i, kifs[j].i);
		out.f = max_int(out.f, kifs[j].f);
	}
	switch (layer->kind) {
	case QK_LAYER_ADD:
		out.i += ceil_log2((int64_t)n);
		break;
	case QK_LAYER_SUBTRACT:
		out.k = 1;
		out.i += ceil_log2((int64_t)n);
		break;
	case QK_LAYER_MULTIPLY:
		/* (-2^a) * (-2^b) = 2^(a+b) needs one bit more. */
		if (signed_inputs >= 2)
			out.i += 1;
		break;
	case QK_LAYER_AVERAGE:
		return derive_average(d, row, out, (int64_t)n, "Average");
	default:
		break;
	}
	set_type(&row->result, out, QK_RND_TRN, QK_OVF_WRAP);
	return 0;
}

/* Layer classes HGQ's derivation does not know; it assumes them unbounded. */
static int hgq_unknown(enum qk_layer_kind kind)
{
	switch (kind) {
	case QK_LAYER_ZERO_PADDING:
	case QK_LAYER_UPSAMPLING:
	case QK_LAYER_GLOBAL_POOL:
	case QK_LAYER_SUBTRACT:
	case QK_LAYER_MULTIPLY:
	case QK_LAYER_AVERAGE:
	case QK_LAYER_MAXIMUM:
	case QK_LAYER_MINIMUM:
		return 1;
	default:
		return 0;
	}
}

static int derive_passive(struct derive *d, size_t index,
			  struct qk_layer_prec *row)
{
	const struct qk_layer *layer = &d->model->layers[index];
	struct qk_kif kifs[64];
	char reason[QK_ERR_MAX] = "";
	size_t n;

	if (input_kifs(d, index, kifs, 64, &n, reason))
		return mark(d, row, QK_PREC_UNSUPPORTED, reason);
	row->input = d->rows[layer->nodes[0].inputs[0].layer].result;
	if (hgq_unknown(layer->kind) &&
	    mark(d, row, QK_PREC_EXACT, "HGQ derives no precision for this "
		 "layer class; the type shown holds its values"))
		return -1;
	switch (layer->kind) {
	case QK_LAYER_QACTIVATION:
		if (!layer->quant[QK_ROLE_ACTIVATION])
			return derive_activation(d, index, row, kifs[0]);
		return derive_qactivation(d, index, row, kifs[0]);
	case QK_LAYER_ACTIVATION:
		return derive_activation(d, index, row, kifs[0]);
	case QK_LAYER_AVGPOOL1D:
	case QK_LAYER_AVGPOOL2D:
		return derive_average(d, row, kifs[0], pool_size(layer),
				      "AveragePooling");
	case QK_LAYER_GLOBAL_POOL:
		if (strstr(layer->class_name, "Average"))
			return derive_average(d, row, kifs[0],
					      global_pool_size(d, index),
					      "GlobalAveragePooling");
		break;
	case QK_LAYER_ADD:
	case QK_LAYER_SUBTRACT:
	case QK_LAYER_MULTIPLY:
	case QK_LAYER_AVERAGE:
	case QK_LAYER_MAXIMUM:
	case QK_LAYER_MINIMUM:
	case QK_LAYER_CONCATENATE:
		return derive_merge(d, layer, row, kifs, n);
	default:
		break;
	}
	row->result = row->input;
	return 0;
}

static int derive_layer(struct derive *d, size_t index,
			const char *weight_reason)
{
	const struct qk_layer *layer = &d->model->layers[index];
	struct qk_layer_prec *row = &d->rows[index];

	switch (layer->kind) {
	case QK_LAYER_INPUT:
		return derive_input(d, index, row);
	case QK_LAYER_DENSE:
	case QK_LAYER_CONV1D:
	case QK_LAYER_CONV2D:
	case QK_LAYER_DEPTHWISE_CONV2D:
	case QK_LAYER_SEPARABLE_CONV1D:
	case QK_LAYER_SEPARABLE_CONV2D:
		return derive_dense(d, index, row, weight_reason);
	case QK_LAYER_BATCHNORM:
		return mark(d, row, QK_PREC_NOT_EXACT, "unfused batch "
			    "normalization with float parameters");
	case QK_LAYER_RECURRENT:
		return mark(d, row, QK_PREC_UNSUPPORTED, "recurrent layers "
			    "are not derived");
	case QK_LAYER_UNCONVERTIBLE:
		return mark(d, row, QK_PREC_UNSUPPORTED, "no Keras base "
			    "class: the proxy conversion fails");
	case QK_LAYER_FIXED_QUANTIZER:
		return mark(d, row, QK_PREC_UNSUPPORTED, "already an HGQ "
			    "proxy layer");
	case QK_LAYER_MODEL:
		return mark(d, row, QK_PREC_UNSUPPORTED, "nested models are "
			    "not derived");
	case QK_LAYER_UNKNOWN:
		return mark(d, row, QK_PREC_UNSUPPORTED, "unknown layer "
			    "class");
	default:
		return derive_passive(d, index, row);
	}
}

static void set_width_flags(struct qk_layer_prec *row)
{
	const struct qk_prec_type *types[] = {
		&row->input, &row->weight, &row->bias, &row->accum,
		&row->result
	};
	size_t j;

	for (j = 0; j < sizeof(types) / sizeof(types[0]); j++) {
		int w;

		if (!types[j]->present)
			continue;
		w = kif_width(types[j]->kif);
		if (w > 32)
			row->flags |= QK_PREC_FLAG_WIDER_32;
		if (w > QK_MAX_FIXED_WIDTH)
			row->flags |= QK_PREC_FLAG_WIDER_64;
	}
}

/* --- lifecycle -------------------------------------------------------- */

static void free_weights(struct qk_prec_weights *w, size_t n)
{
	size_t j;

	if (!w)
		return;
	for (j = 0; j < n; j++)
		free(w[j].data);
	free(w);
}

void qk_precision_free(struct qk_precision *precision)
{
	size_t m, j;

	if (!precision)
		return;
	for (m = 0; m < QK_PREC_MODE_COUNT; m++) {
		if (!precision->layers[m])
			continue;
		for (j = 0; j < precision->n_layers; j++)
			free(precision->layers[m][j].reason);
		free(precision->layers[m]);
	}
	free_weights(precision->kernel, precision->n_layers);
	free_weights(precision->depthwise, precision->n_layers);
	free_weights(precision->bias, precision->n_layers);
	free(precision);
}

static struct qk_precision *precision_new(const struct qk_model *model)
{
	struct qk_precision *p = calloc(1, sizeof(*p));
	size_t n = model->n_layers, m;

	if (!p)
		return NULL;
	p->model = model;
	p->n_layers = n;
	p->kernel = qk_calloc(n, sizeof(*p->kernel));
	p->depthwise = qk_calloc(n, sizeof(*p->depthwise));
	p->bias = qk_calloc(n, sizeof(*p->bias));
	for (m = 0; m < QK_PREC_MODE_COUNT; m++)
		p->layers[m] = qk_calloc(n, sizeof(*p->layers[m]));
	if (!p->kernel || !p->depthwise || !p->bias ||
	    !p->layers[QK_PREC_SAFE] || !p->layers[QK_PREC_FAST]) {
		qk_precision_free(p);
		return NULL;
	}
	return p;
}

int qk_precision_derive(const struct qk_model *model,
			const struct qk_fixed_type *input_override,
			struct qk_precision **out, struct qk_err *err)
{
	struct qk_precision *prec = precision_new(model);
	char (*reason)[QK_ERR_MAX] = NULL;
	size_t j;
	int m;

	*out = NULL;
	if (!prec)
		return qk_fail(err, "out of memory");
	reason = qk_calloc(model->n_layers, sizeof(*reason));
	if (!reason)
		goto oom;
	for (j = 0; j < model->n_layers; j++) {
		if (quantize_layer(prec, j, reason[j], err))
			goto fail;
	}
	for (m = 0; m < QK_PREC_MODE_COUNT; m++) {
		struct derive d = { model, prec, (enum qk_prec_mode)m,
				    input_override, prec->layers[m], err };

		for (j = 0; j < model->n_layers; j++) {
			if (derive_layer(&d, j, reason[j]))
				goto fail;
			set_width_flags(&d.rows[j]);
		}
	}
	free(reason);
	*out = prec;
	return 0;
oom:
	qk_fail(err, "out of memory");
fail:
	free(reason);
	qk_precision_free(prec);
	return -1;
}

int qk_precision_derive_text(const struct qk_model *model,
			     const char *input_override,
			     struct qk_precision **out, struct qk_err *err)
{
	struct qk_fixed_type type;
	struct qk_err perr = QK_ERR_INIT;

	*out = NULL;
	if (qk_fixed_parse(input_override, &type, &perr))
		return qk_fail(err, "invalid input precision '%s': %s",
			       input_override, perr.msg);
	return qk_precision_derive(model, &type, out, err);
}

const struct qk_layer_prec *qk_precision_layer(
	const struct qk_precision *precision, enum qk_prec_mode mode,
	size_t index)
{
	if (!precision || (unsigned)mode >= QK_PREC_MODE_COUNT ||
	    index >= precision->n_layers)
		return NULL;
	return &precision->layers[mode][index];
}

/* --- the table -------------------------------------------------------- */

static const char *status_name(enum qk_prec_status status)
{
	switch (status) {
	case QK_PREC_EXACT:
		return "exact";
	case QK_PREC_NOT_EXACT:
		return "not-exact";
	default:
		return "unsupported";
	}
}

static const char *type_text(const struct qk_prec_type *t, char *buf,
			     size_t size)
{
	if (!t->present)
		return "-";
	return qk_fixed_format(&t->fixed, buf, size);
}

static void write_flags(FILE *out, const struct qk_layer_prec *row)
{
	if (row->flags & QK_PREC_FLAG_INPUT_ASSUMED)
		fprintf(out, " input-assumed");
	if (row->flags & QK_PREC_FLAG_FLOAT32_INEXACT)
		fprintf(out, " float32-inexact(%d bits)",
			row->accum_significant_bits);
	if (row->flags & QK_PREC_FLAG_WIDER_64)
		fprintf(out, " wider-than-64");
	else if (row->flags & QK_PREC_FLAG_WIDER_32)
		fprintf(out, " wider-than-32");
	if (row->flags & QK_PREC_FLAG_BIAS_INEXACT)
		fprintf(out, " bias-inexact");
}

#define N_TABLE_COLUMNS 9	/* layer, class, status, six types */

static void row_cells(const struct qk_layer *layer,
		      const struct qk_layer_prec *row,
		      char cells[N_TABLE_COLUMNS][96])
{
	const struct qk_prec_type *types[] = {
		&row->input, &row->weight, &row->bias, &row->accum,
		&row->result, &row->quantizer
	};
	char buf[96];
	size_t j;

	snprintf(cells[0], 96, "%s", layer->name);
	snprintf(cells[1], 96, "%s", layer->class_name);
	snprintf(cells[2], 96, "%s", status_name(row->status));
	for (j = 0; j < 6; j++)
		snprintf(cells[3 + j], 96, "%s",
			 type_text(types[j], buf, sizeof(buf)));
}

/* Writes one row padded to the column widths, without trailing blanks. */
static void write_row(FILE *out, char cells[N_TABLE_COLUMNS][96],
		      const int *width, const struct qk_layer_prec *row)
{
	char *line = NULL;
	size_t size = 0, n;
	FILE *mem = open_memstream(&line, &size);
	int c;

	if (!mem)
		return;
	for (c = 0; c < N_TABLE_COLUMNS; c++)
		fprintf(mem, "%s%-*s", c ? "  " : "", width[c], cells[c]);
	if (row) {
		write_flags(mem, row);
		if (row->reason)
			fprintf(mem, " (%s)", row->reason);
	}
	fclose(mem);
	n = line ? strlen(line) : 0;
	while (n && line[n - 1] == ' ')
		line[--n] = '\0';
	if (line)
		fprintf(out, "%s\n", line);
	free(line);
}

int qk_precision_write_table(FILE *out, const struct qk_precision *precision,
			     struct qk_err *err)
{
	static const char *const headings[N_TABLE_COLUMNS] = {
		"layer", "class", "status", "input", "weight", "bias",
		"accum", "result", "quantizer"
	};
	char cells[N_TABLE_COLUMNS][96];
	int width[N_TABLE_COLUMNS];
	size_t j;
	int m, c;

	for (c = 0; c < N_TABLE_COLUMNS; c++)
		width[c] = (int)strlen(headings[c]);
	for (m = 0; m < QK_PREC_MODE_COUNT; m++)
		for (j = 0; j < precision->n_layers; j++) {
			row_cells(&precision->model->layers[j],
				  &precision->layers[m][j], cells);
			for (c = 0; c < N_TABLE_COLUMNS; c++)
				if ((int)strlen(cells[c]) > width[c])
					width[c] = (int)strlen(cells[c]);
		}
	for (m = 0; m < QK_PREC_MODE_COUNT; m++) {
		fprintf(out, "%s mode (aggressive=%s)\n",
			qk_prec_mode_name((enum qk_prec_mode)m),
			m == QK_PREC_FAST ? "True" : "False");
		for (c = 0; c < N_TABLE_COLUMNS; c++)
			snprintf(cells[c], 96, "%s", headings[c]);
		write_row(out, cells, width, NULL);
		for (j = 0; j < precision->n_layers; j++) {
			row_cells(&precision->model->layers[j],
				  &precision->layers[m][j], cells);
			write_row(out, cells, width, &precision->layers[m][j]);
		}
		if (m + 1 < QK_PREC_MODE_COUNT)
			fputc('\n', out);
	}
	if (ferror(out))
		return qk_fail(err, "cannot write the precision table");
	return 0;
}

#include "bounds.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../rules/container.h"

/*
 * Largest left shift between grids. Every shift of a value is also checked
 * to stay within 125 bits, and sums are checked to stay below 2^124 before
 * they are formed.
 */
#define QK_BOUND_MAX_SHIFT 100

struct analysis {
	const struct qk_model *model;
	const struct qk_precision *prec;
	struct qk_bounds *bounds;
	struct qk_err *err;
};

static __int128 max128(__int128 a, __int128 b)
{
	return a > b ? a : b;
}

static __int128 min128(__int128 a, __int128 b)
{
	return a < b ? a : b;
}

static __int128 pow2_128(int n)
{
	return (__int128)1 << n;
}

static int bits_of(__int128 v)
{
	int n = 0;

	if (v < 0)
		v = -v;
	while (v > 0 && n < 127) {
		v >>= 1;
		n++;
	}
	return n;
}

/* Divides v by 2^by (by > 0) with an ap_fixed rounding mode. */
static __int128 round_shift(__int128 v, int by, enum qk_rounding rounding)
{
	__int128 d = pow2_128(by), half = d / 2;
	__int128 q = v / d, rem;

	if (v % d != 0 && v < 0)
		q--;
	rem = v - q * d;
	if (rem == 0)
		return q;
	switch (rounding) {
	case QK_RND_TRN:
		return q;
	case QK_RND_TRN_ZERO:
		return v < 0 ? q + 1 : q;
	case QK_RND_RND:
		return rem >= half ? q + 1 : q;
	case QK_RND_RND_ZERO:
		if (rem != half)
			return rem > half ? q + 1 : q;
		return v < 0 ? q + 1 : q;
	case QK_RND_RND_MIN_INF:
		return rem > half ? q + 1 : q;
	case QK_RND_RND_INF:
		if (rem != half)
			return rem > half ? q + 1 : q;
		return v < 0 ? q : q + 1;
	case QK_RND_RND_CONV:
	default:
		if (rem != half)
			return rem > half ? q + 1 : q;
		return (q % 2 != 0) ? q + 1 : q;
	}
}

/* Re-expresses v, counted in 2^-from, in steps of 2^-to. */
static __int128 to_frac(__int128 v, int from, int to,
			enum qk_rounding rounding)
{
	if (to >= from)
		return v * pow2_128(to - from);
	return round_shift(v, from - to, rounding);
}

static int shift_ok(int from, int to)
{
	return to - from <= QK_BOUND_MAX_SHIFT && from - to <= 126;
}

/* Can v move from grid from to grid to without leaving 125 bits? */
static int value_shift_ok(__int128 v, int from, int to)
{
	return shift_ok(from, to) &&
	       (to <= from || bits_of(v) + (to - from) <= 125);
}

/*
 * As to_frac, but a value too large to shift becomes +-2^125, beyond the
 * range of every type handled here (at most 120 bits), so clamping it
 * gives the same result as clamping the exact value.
 */
static __int128 to_frac_clamped(__int128 v, int from, int to,
				enum qk_rounding rounding)
{
	if (!value_shift_ok(v, from, to))
		return v < 0 ? -pow2_128(125) : pow2_128(125);
	return to_frac(v, from, to, rounding);
}

/* The raw range of t, in its own steps. */
static void type_range(const struct qk_fixed_type *t, __int128 *lo,
		       __int128 *hi)
{
	if (t->is_signed) {
		*hi = pow2_128(t->width - 1) - 1;
		*lo = t->overflow == QK_OVF_SAT_SYM ? -*hi : -*hi - 1;
	} else {
		*lo = 0;
		*hi = pow2_128(t->width) - 1;
	}
}

double qk_bound_to_double(__int128 raw, int frac)
{
	return ldexp((double)raw, -frac);
}

static int fail_layer(struct qk_layer_bounds *lb, struct qk_err *err,
		      const char *fmt, const char *name)
{
	char text[QK_ERR_MAX];

	snprintf(text, sizeof(text), fmt, name);
	lb->known = 0;
	free(lb->reason);
	lb->reason = qk_strdup(text);
	if (!lb->reason)
		return qk_fail(err, "out of memory");
	return 0;
}

static int alloc_out(struct qk_layer_bounds *lb, size_t n, int frac,
		     struct qk_err *err)
{
	lb->out = qk_calloc(n, sizeof(*lb->out));
	if (!lb->out)
		return qk_fail(err, "out of memory");
	lb->n = n;
	lb->frac = frac;
	lb->known = 1;
	return 0;
}

static size_t element_count(const struct qk_layer *layer)
{
	size_t n = 1;
	int j;

	if (layer->out_rank <= 0)
		return 0;
	for (j = 0; j < layer->out_rank; j++) {
		if (layer->out_shape[j] <= 0)
			return 0;
		n *= (size_t)layer->out_shape[j];
	}
	return n;
}

static const struct qk_layer_bounds *input_bounds(const struct analysis *a,
						  size_t index, size_t which)
{
	const struct qk_layer *layer = &a->model->layers[index];

	if (layer->n_nodes != 1 || which >= layer->nodes[0].n_inputs)
		return NULL;
	return &a->bounds->layers[layer->nodes[0].inputs[which].layer];
}

static struct qk_bound hull(const struct qk_layer_bounds *lb)
{
	struct qk_bound h = lb->out[0];
	size_t j;

	for (j = 1; j < lb->n; j++) {
		h.lo = min128(h.lo, lb->out[j].lo);
		h.hi = max128(h.hi, lb->out[j].hi);
	}
	return h;
}

/*
 * Rounds b (at frac from) into t and clamps it to t's range as QKeras'
 * clip does. Sets *outside when a rounded end lies beyond the range, the
 * case where WRAP would differ. Returns the interval in t's steps.
 */
static struct qk_bound quantize(struct qk_bound b, int from,
				const struct qk_fixed_type *t, int *outside)
{
	int to = qk_fixed_frac(t);
	__int128 lo, hi;
	struct qk_bound r;

	type_range(t, &lo, &hi);
	r.lo = to_frac_clamped(b.lo, from, to, t->rounding);
	r.hi = to_frac_clamped(b.hi, from, to, t->rounding);
	*outside = r.lo < lo || r.hi > hi;
	r.lo = min128(max128(r.lo, lo), hi);
	r.hi = min128(max128(r.hi, lo), hi);
	return r;
}

static struct qk_bound relu_bound(struct qk_bound b)
{
	b.lo = max128(b.lo, 0);
	b.hi = max128(b.hi, 0);
	return b;
}

/* Does the quantizer become WRAP in fast mode? */
static int fast_wraps(const struct analysis *a, size_t index)
{
	const struct qk_layer_prec *fast =
		qk_precision_layer(a->prec, QK_PREC_FAST, index);

	return fast->quantizer.present &&
	       fast->quantizer.fixed.overflow == QK_OVF_WRAP;
}

/*
 * Applies the layer's activation quantizer (row->quantizer, safe form) to
 * every element of in (at frac from), relu first for quantized_relu, and
 * records what a WRAP form would receive.
 */
static int apply_quantizer(const struct analysis *a, size_t index,
			   struct qk_layer_bounds *lb,
			   const struct qk_bound *in, size_t n, int from)
{
	const struct qk_layer *layer = &a->model->layers[index];
	const struct qk_layer_prec *row =
		qk_precision_layer(a->prec, QK_PREC_SAFE, index);
	const struct qk_quantizer *q = layer->quant[QK_ROLE_ACTIVATION];
	int is_relu = q && q->kind == QK_Q_QUANTIZED_RELU;
	size_t j;

	if (alloc_out(lb, n, qk_fixed_frac(&row->quantizer.fixed), a->err))
		return -1;
	lb->has_wrap = fast_wraps(a, index);
	for (j = 0; j < n; j++) {
		struct qk_bound b = is_relu ? relu_bound(in[j]) : in[j];
		int outside;

		lb->out[j] = quantize(b, from, &row->quantizer.fixed,
				      &outside);
		if (outside && lb->has_wrap) {
			if (lb->wrap_unsafe++ == 0) {
				lb->first_unsafe = j;
				lb->unsafe_in = b;
				lb->in_frac = from;
			}
		}
	}
	return 0;
}

/* The layer's own activation after its sums, or the sums themselves. */
static int finish_sums(const struct analysis *a, size_t index,
		       struct qk_layer_bounds *lb)
{
	const struct qk_layer *layer = &a->model->layers[index];
	const struct qk_layer_prec *row =
		qk_precision_layer(a->prec, QK_PREC_SAFE, index);
	size_t j;

	if (row->quantizer.present)
		return apply_quantizer(a, index, lb, lb->accum, lb->n_accum,
				       lb->accum_frac);
	if (alloc_out(lb, lb->n_accum, lb->accum_frac, a->err))
		return -1;
	for (j = 0; j < lb->n_accum; j++) {
		lb->out[j] = lb->accum[j];
		if (layer->activation && strcmp(layer->activation, "relu") == 0)
			lb->out[j] = relu_bound(lb->out[j]);
	}
	return 0;
}

/* Adds w * [lo, hi] to *sum; w, lo, hi are raw integers. */
static void add_product(struct qk_bound *sum, __int128 w, struct qk_bound x)
{
	__int128 p = w * x.lo, q = w * x.hi;

	sum->lo += min128(p, q);
	sum->hi += max128(p, q);
}

/*
 * Converts weights into raw integers in steps of 2^-f. Returns 0, 1 when
 * a weight is not on that grid or too large (raw is then freed), or -1
 * when out of memory.
 */
static int raw_weights(const struct qk_prec_weights *w, int f,
		       __int128 **raw)
{
	size_t j;

	*raw = qk_calloc(w->count ? w->count : 1, sizeof(**raw));
	if (!*raw)
		return -1;
	for (j = 0; j < w->count; j++) {
		double v = ldexp((double)w->data[j], f);

		if (!(fabs(v) < 0x1p60) || v != floor(v)) {
			free(*raw);
			*raw = NULL;
			return 1;
		}
		(*raw)[j] = (__int128)v;
	}
	return 0;
}

/* Dense is a 1x1 convolution over the leading positions. */
struct geometry {
	int64_t h, w, c;	/* input rows, columns, channels */
	int64_t oh, ow, filters;
	int64_t kh, kw;
	int64_t dm;		/* depthwise: depth multiplier, else 0 */
	int64_t sh, sw, dh, dw;	/* strides, dilations */
	int64_t pad_top, pad_left;
};

static int64_t or_one(int64_t v)
{
	return v > 0 ? v : 1;
}

static int64_t same_pad(int64_t in, int64_t out, int64_t k, int64_t s,
			int64_t d)
{
	int64_t total = (out - 1) * s + (k - 1) * d + 1 - in;

	return total > 0 ? total / 2 : 0;
}

/* Fills g from the layer config and shapes; returns -1 when unknown. */
static int conv_geometry(const struct qk_layer *layer,
			 const struct qk_layer *src, const struct qk_tensor *k,
			 size_t n_in, struct geometry *g)
{
	const struct qk_layer_params *p = &layer->params;

	memset(g, 0, sizeof(*g));
	g->filters = k->shape[k->rank - 1];
	g->sh = g->sw = g->dh = g->dw = 1;
	g->kh = g->kw = 1;
	if (layer->kind == QK_LAYER_DENSE) {
		g->c = k->shape[0];
		g->h = g->oh = 1;
		g->w = g->ow = g->c > 0 ? (int64_t)n_in / g->c : 0;
		return g->w > 0 && (size_t)(g->w * g->c) == n_in ? 0 : -1;
	}
	if (p->channels_first || src->out_rank < 2 || layer->out_rank < 2)
		return -1;
	if (layer->kind == QK_LAYER_CONV1D ||
	    layer->kind == QK_LAYER_SEPARABLE_CONV1D) {
		g->h = g->oh = 1;
		g->w = src->out_shape[0];
		g->ow = layer->out_shape[0];
		g->kw = k->shape[0];
		g->sw = or_one(p->strides[0]);
		g->dw = or_one(p->dilation[0]);
	} else {
		if (src->out_rank < 3 || layer->out_rank < 3 || k->rank != 4)
			return -1;
		g->h = src->out_shape[0];
		g->w = src->out_shape[1];
		g->oh = layer->out_shape[0];
		g->ow = layer->out_shape[1];
		g->kh = k->shape[0];
		g->kw = k->shape[1];
		g->sh = or_one(p->strides[0]);
		g->sw = or_one(p->strides[1]);
		g->dh = or_one(p->dilation[0]);
		g->dw = or_one(p->dilation[1]);
	}
	g->c = k->shape[k->rank - 2];
	if (layer->kind != QK_LAYER_CONV1D && layer->kind != QK_LAYER_CONV2D) {
		g->dm = g->filters;
		g->filters = g->c * g->dm;
	}
	if (p->padding_same) {
		g->pad_top = same_pad(g->h, g->oh, g->kh, g->sh, g->dh);
		g->pad_left = same_pad(g->w, g->ow, g->kw, g->sw, g->dw);
	}
	return (size_t)(g->h * g->w * g->c) == n_in ? 0 : -1;
}

/* One output's sum: bias plus every product of the window. */
static struct qk_bound window_sum(const struct geometry *g,
				  const struct qk_bound *x, const __int128 *w,
				  __int128 bias, int64_t oy, int64_t ox,
				  int64_t f)
{
	struct qk_bound sum = { bias, bias };
	int64_t ky, kx, c;

	for (ky = 0; ky < g->kh; ky++) {
		int64_t iy = oy * g->sh + ky * g->dh - g->pad_top;

		if (iy < 0 || iy >= g->h)
			continue;
		for (kx = 0; kx < g->kw; kx++) {
			int64_t ix = ox * g->sw + kx * g->dw - g->pad_left;
			const struct qk_bound *xi;
			const __int128 *wi;

			if (ix < 0 || ix >= g->w)
				continue;
			xi = &x[(iy * g->w + ix) * g->c];
			if (g->dm) {
				/* Output f reads channel f / dm only. */
				wi = &w[(ky * g->kw + kx) * g->filters + f];
				add_product(&sum, *wi, xi[f / g->dm]);
				continue;
			}
			wi = &w[((ky * g->kw + kx) * g->c) * g->filters + f];
			for (c = 0; c < g->c; c++)
				add_product(&sum, wi[c * g->filters], xi[c]);
		}
	}
	return sum;
}

static __int128 max_magnitude(const __int128 *v, size_t n)
{
	__int128 m = 0;
	size_t j;

	for (j = 0; j < n; j++)
		m = max128(m, v[j] < 0 ? -v[j] : v[j]);
	return m;
}

static int sums_fit_128(const struct qk_layer_bounds *in, const __int128 *w,
			size_t nw, const struct geometry *g, __int128 bias_max)
{
	struct qk_bound h = hull(in);
	__int128 xm = max128(h.hi, -h.lo);
	int64_t fan = g->kh * g->kw * (g->dm ? 1 : g->c);

	return bits_of(xm) + bits_of(max_magnitude(w, nw)) +
		       bits_of((__int128)fan) <= 124 &&
	       bits_of(bias_max) <= 124;
}

static int bias_frac(const struct qk_prec_weights *bias)
{
	struct qk_container c;

	qk_container_of(bias->data, bias->count, &c);
	return c.f;
}

/* Does every sum of lb fit t? Compared on the finer of both grids. */
static int sums_fit(const struct qk_layer_bounds *lb,
		    const struct qk_fixed_type *t)
{
	int ft = qk_fixed_frac(t);
	int g = lb->accum_frac > ft ? lb->accum_frac : ft;
	__int128 lo, hi;
	size_t j;

	if (t->width > 120 || !value_shift_ok(pow2_128(t->width), ft, g))
		return 0;
	type_range(t, &lo, &hi);
	lo = to_frac(lo, ft, g, QK_RND_TRN);
	hi = to_frac(hi, ft, g, QK_RND_TRN);
	for (j = 0; j < lb->n_accum; j++) {
		__int128 a, b;

		if (!value_shift_ok(lb->accum[j].lo, lb->accum_frac, g) ||
		    !value_shift_ok(lb->accum[j].hi, lb->accum_frac, g))
			return 0;
		a = to_frac(lb->accum[j].lo, lb->accum_frac, g,
				     QK_RND_TRN);
		b = to_frac(lb->accum[j].hi, lb->accum_frac, g,
				     QK_RND_TRN);

		if (a < lo || b > hi)
			return 0;
	}
	return 1;
}

/* Fills lb->accum for a Dense or Conv layer; 1 when it cannot. */
static int compute_sums(struct qk_layer_bounds *lb,
			const struct qk_layer_bounds *in, __int128 *w,
			const __int128 *bias, const struct geometry *g)
{
	int64_t oy, ox, f;
	size_t n = (size_t)(g->oh * g->ow * g->filters), j = 0;

	lb->accum = qk_calloc(n, sizeof(*lb->accum));
	if (!lb->accum)
		return -1;
	lb->n_accum = n;
	for (oy = 0; oy < g->oh; oy++) {
		for (ox = 0; ox < g->ow; ox++) {
			for (f = 0; f < g->filters; f++)
				lb->accum[j++] = window_sum(g, in->out, w,
							    bias ? bias[f] : 0,
							    oy, ox, f);
		}
	}
	return 0;
}

/*
 * Bounds the depthwise step of a separable convolution into mid, whose
 * out and accum are the same array, and turns g into the pointwise
 * step's geometry over it. Returns 0, 1 when the step is unknown or too
 * wide, or -1 when out of memory.
 */
static int depthwise_bounds(const struct analysis *a, size_t index,
			    const struct qk_layer_bounds *in,
			    struct qk_layer_bounds *mid, struct geometry *g)
{
	const struct qk_layer *layer = &a->model->layers[index];
	const struct qk_layer *src =
		&a->model->layers[layer->nodes[0].inputs[0].layer];
	const struct qk_prec_weights *dw = &a->prec->depthwise[index];
	const struct qk_tensor *dt = qk_layer_weight(layer,
						     "depthwise_kernel");
	__int128 *w = NULL;
	int f, rc;

	if (!dt || !dw->data || conv_geometry(layer, src, dt, in->n, g))
		return 1;
	f = bias_frac(dw);
	rc = raw_weights(dw, f, &w);
	if (rc)
		return rc;
	if (!sums_fit_128(in, w, dw->count, g, 0)) {
		free(w);
		return 1;
	}
	rc = compute_sums(mid, in, w, NULL, g);
	free(w);
	if (rc)
		return -1;
	mid->known = 1;
	mid->frac = mid->accum_frac = in->frac + f;
	mid->out = mid->accum;
	mid->n = mid->n_accum;
	g->h = g->oh;
	g->w = g->ow;
	g->c = g->filters;
	g->kh = g->kw = g->sh = g->sw = g->dh = g->dw = 1;
	g->pad_top = g->pad_left = 0;
	g->dm = 0;
	return 0;
}

static int analyze_sums(const struct analysis *a, size_t index,
			struct qk_layer_bounds *lb)
{
	const struct qk_layer *layer = &a->model->layers[index];
	const struct qk_layer_prec *row =
		qk_precision_layer(a->prec, QK_PREC_SAFE, index);
	const struct qk_layer_bounds *in = input_bounds(a, index, 0);
	int depthwise = layer->kind == QK_LAYER_DEPTHWISE_CONV2D;
	const struct qk_prec_weights *kw = depthwise ?
		&a->prec->depthwise[index] : &a->prec->kernel[index];
	const struct qk_prec_weights *bw = &a->prec->bias[index];
	int separable = layer->kind == QK_LAYER_SEPARABLE_CONV1D ||
			layer->kind == QK_LAYER_SEPARABLE_CONV2D;
	const struct qk_tensor *kt = qk_layer_weight(
		layer, depthwise ? "depthwise_kernel" :
		separable ? "pointwise_kernel" : "kernel");
	__int128 *w = NULL, *bias = NULL, scale;
	struct qk_layer_bounds mid;
	struct geometry g;
	int frac, rc = 0, m;
	size_t j;

	memset(&mid, 0, sizeof(mid));
	if (!in || !in->known || !kt || !kw->data)
		return fail_layer(lb, a->err, "input '%s' has no bounds",
				  layer->name);
	if (separable) {
		rc = depthwise_bounds(a, index, in, &mid, &g);
		if (rc < 0)
			return qk_fail(a->err, "out of memory");
		if (rc > 0 || (size_t)g.c != kw->count /
		    (size_t)kt->shape[kt->rank - 1]) {
			free(mid.accum);
			return fail_layer(lb, a->err, "depthwise step of '%s' "
					  "has no exact bounds", layer->name);
		}
		g.filters = kt->shape[kt->rank - 1];
		in = &mid;
	} else if (conv_geometry(layer, &a->model->layers[
				 layer->nodes[0].inputs[0].layer], kt, in->n,
				 &g)) {
		return fail_layer(lb, a->err, "shapes of '%s' are unknown",
				  layer->name);
	}
	frac = in->frac + row->weight.kif.f;
	if (bw->data && bias_frac(bw) > frac)
		frac = bias_frac(bw);
	if (!shift_ok(in->frac + row->weight.kif.f, frac)) {
		free(mid.accum);
		return fail_layer(lb, a->err, "'%s' is too wide for exact "
				  "bounds", layer->name);
	}
	rc = raw_weights(kw, row->weight.kif.f, &w);
	if (rc == 0 && bw->data)
		rc = raw_weights(bw, frac, &bias);
	if (rc < 0)
		goto oom;
	scale = pow2_128(frac - in->frac - row->weight.kif.f);
	for (j = 0; rc == 0 && j < kw->count; j++)
		w[j] *= scale;
	if (rc > 0 ||
	    !sums_fit_128(in, w, kw->count, &g,
			  bias ? max_magnitude(bias, bw->count) : 0)) {
		free(w);
		free(bias);
		free(mid.accum);
		return fail_layer(lb, a->err, "'%s' is too wide for exact "
				  "bounds", layer->name);
	}
	lb->accum_frac = frac;
	if (compute_sums(lb, in, w, bias, &g))
		goto oom;
	free(w);
	free(bias);
	free(mid.accum);
	for (m = 0; m < QK_PREC_MODE_COUNT; m++)
		lb->accum_fits[m] = sums_fit(lb, &qk_precision_layer(
			a->prec, (enum qk_prec_mode)m, index)->accum.fixed);
	return finish_sums(a, index, lb);
oom:
	free(w);
	free(bias);
	free(mid.accum);
	return qk_fail(a->err, "out of memory");
}

static int analyze_input(const struct analysis *a, size_t index,
			 struct qk_layer_bounds *lb)
{
	const struct qk_layer *layer = &a->model->layers[index];
	const struct qk_layer_prec *row =
		qk_precision_layer(a->prec, QK_PREC_SAFE, index);
	size_t n = element_count(layer), j;
	struct qk_bound b;

	if (n == 0)
		return fail_layer(lb, a->err, "shape of '%s' is unknown",
				  layer->name);
	if (row->result.fixed.width > 120)
		return fail_layer(lb, a->err, "'%s' is too wide for exact "
				  "bounds", layer->name);
	type_range(&row->result.fixed, &b.lo, &b.hi);
	if (alloc_out(lb, n, qk_fixed_frac(&row->result.fixed), a->err))
		return -1;
	for (j = 0; j < n; j++)
		lb->out[j] = b;
	return 0;
}

/* Gives every output element one interval, at frac. */
static int fill(const struct analysis *a, struct qk_layer_bounds *lb,
		size_t n, struct qk_bound b, int frac)
{
	size_t j;

	if (alloc_out(lb, n, frac, a->err))
		return -1;
	for (j = 0; j < n; j++)
		lb->out[j] = b;
	return 0;
}

/* The hull of every input, re-expressed at the layer's result frac. */
static int analyze_hull(const struct analysis *a, size_t index,
			struct qk_layer_bounds *lb, int with_zero)
{
	const struct qk_layer *layer = &a->model->layers[index];
	const struct qk_layer_prec *row =
		qk_precision_layer(a->prec, QK_PREC_SAFE, index);
	int frac = row->result.kif.f;
	size_t n = element_count(layer), j;
	struct qk_bound h = { 0, 0 };

	if (n == 0)
		return fail_layer(lb, a->err, "shape of '%s' is unknown",
				  layer->name);
	for (j = 0; j < layer->nodes[0].n_inputs; j++) {
		const struct qk_layer_bounds *in = input_bounds(a, index, j);
		struct qk_bound b;

		if (!in || !in->known)
			return fail_layer(lb, a->err, "an input of '%s' has "
					  "no bounds", layer->name);
		b = hull(in);
		if (frac < in->frac ||
		    !value_shift_ok(b.lo, in->frac, frac) ||
		    !value_shift_ok(b.hi, in->frac, frac))
			return fail_layer(lb, a->err, "'%s' is too wide for "
					  "exact bounds", layer->name);
		b.lo = to_frac(b.lo, in->frac, frac, QK_RND_TRN);
		b.hi = to_frac(b.hi, in->frac, frac, QK_RND_TRN);
		if (j == 0 && !with_zero) {
			h = b;
			continue;
		}
		h.lo = min128(h.lo, b.lo);
		h.hi = max128(h.hi, b.hi);
	}
	return fill(a, lb, n, h, frac);
}

/* Element-wise Add, Subtract, Maximum, Minimum of same-sized inputs. */
static int analyze_elementwise(const struct analysis *a, size_t index,
			       struct qk_layer_bounds *lb)
{
	const struct qk_layer *layer = &a->model->layers[index];
	const struct qk_layer_bounds *first = input_bounds(a, index, 0);
	size_t n_in = layer->nodes[0].n_inputs, j, e;
	int frac = 0;

	for (j = 0; j < n_in; j++) {
		const struct qk_layer_bounds *in = input_bounds(a, index, j);

		if (!in || !in->known || in->n != first->n)
			return analyze_hull(a, index, lb, 0);
		frac = j == 0 || in->frac > frac ? in->frac : frac;
	}
	for (j = 0; j < n_in; j++) {
		const struct qk_layer_bounds *in = input_bounds(a, index, j);
		struct qk_bound h = hull(in);

		int shift = frac - in->frac;

		/* Six bits of headroom for sums of up to 64 inputs. */
		if (n_in > 64 || bits_of(h.lo) + 6 + shift > 125 ||
		    bits_of(h.hi) + 6 + shift > 125)
			return fail_layer(lb, a->err, "'%s' is too wide for "
					  "exact bounds", layer->name);
	}
	if (alloc_out(lb, first->n, frac, a->err))
		return -1;
	for (e = 0; e < first->n; e++) {
		for (j = 0; j < n_in; j++) {
			const struct qk_layer_bounds *in =
				input_bounds(a, index, j);
			struct qk_bound b = in->out[e], *o = &lb->out[e];

			b.lo = to_frac(b.lo, in->frac, frac, QK_RND_TRN);
			b.hi = to_frac(b.hi, in->frac, frac, QK_RND_TRN);
			if (j == 0) {
				*o = b;
			} else if (layer->kind == QK_LAYER_SUBTRACT) {
				o->lo -= b.hi;
				o->hi -= b.lo;
			} else if (layer->kind == QK_LAYER_ADD) {
				o->lo += b.lo;
				o->hi += b.hi;
			} else if (layer->kind == QK_LAYER_MAXIMUM) {
				o->lo = max128(o->lo, b.lo);
				o->hi = max128(o->hi, b.hi);
			} else {
				o->lo = min128(o->lo, b.lo);
				o->hi = min128(o->hi, b.hi);
			}
		}
	}
	return 0;
}

/* Copies the input's intervals, through a ReLU when relu is set. */
static int analyze_copy(const struct analysis *a, size_t index,
			struct qk_layer_bounds *lb, int relu)
{
	const struct qk_layer *layer = &a->model->layers[index];
	const struct qk_layer_bounds *in = input_bounds(a, index, 0);
	size_t j;

	if (!in || !in->known)
		return fail_layer(lb, a->err, "input of '%s' has no bounds",
				  layer->name);
	if (alloc_out(lb, in->n, in->frac, a->err))
		return -1;
	for (j = 0; j < in->n; j++)
		lb->out[j] = relu ? relu_bound(in->out[j]) : in->out[j];
	return 0;
}

static int is_relu_layer(const struct qk_layer *layer)
{
	return strcmp(layer->class_name, "ReLU") == 0 ||
	       (layer->activation && strcmp(layer->activation, "relu") == 0);
}

static int analyze_activation(const struct analysis *a, size_t index,
			      struct qk_layer_bounds *lb)
{
	const struct qk_layer_prec *row =
		qk_precision_layer(a->prec, QK_PREC_SAFE, index);
	const struct qk_layer_bounds *in = input_bounds(a, index, 0);

	if (!row->quantizer.present)
		return analyze_copy(a, index, lb,
				    is_relu_layer(&a->model->layers[index]));
	if (!in || !in->known)
		return fail_layer(lb, a->err, "input of '%s' has no bounds",
				  a->model->layers[index].name);
	return apply_quantizer(a, index, lb, in->out, in->n, in->frac);
}

static int analyze_layer(const struct analysis *a, size_t index,
			 struct qk_layer_bounds *lb)
{
	const struct qk_layer *layer = &a->model->layers[index];
	const struct qk_layer_prec *row =
		qk_precision_layer(a->prec, QK_PREC_SAFE, index);

	lb->has_wrap = fast_wraps(a, index);
	if (row->status != QK_PREC_EXACT || !row->result.present)
		return fail_layer(lb, a->err, "precision of '%s' is not "
				  "exact or not derived", layer->name);
	switch (layer->kind) {
	case QK_LAYER_INPUT:
		return analyze_input(a, index, lb);
	case QK_LAYER_DENSE:
	case QK_LAYER_CONV1D:
	case QK_LAYER_CONV2D:
	case QK_LAYER_DEPTHWISE_CONV2D:
	case QK_LAYER_SEPARABLE_CONV1D:
	case QK_LAYER_SEPARABLE_CONV2D:
		return analyze_sums(a, index, lb);
	case QK_LAYER_QACTIVATION:
	case QK_LAYER_ACTIVATION:
		return analyze_activation(a, index, lb);
	case QK_LAYER_DROPOUT:
	case QK_LAYER_FLATTEN:
	case QK_LAYER_RESHAPE:
		return analyze_copy(a, index, lb, 0);
	case QK_LAYER_ADD:
	case QK_LAYER_SUBTRACT:
	case QK_LAYER_MAXIMUM:
	case QK_LAYER_MINIMUM:
		return analyze_elementwise(a, index, lb);
	case QK_LAYER_ZERO_PADDING:
		return analyze_hull(a, index, lb, 1);
	case QK_LAYER_PERMUTE:
	case QK_LAYER_MAXPOOL1D:
	case QK_LAYER_MAXPOOL2D:
	case QK_LAYER_AVGPOOL1D:
	case QK_LAYER_AVGPOOL2D:
	case QK_LAYER_GLOBAL_POOL:
	case QK_LAYER_UPSAMPLING:
	case QK_LAYER_CONCATENATE:
		return analyze_hull(a, index, lb, 0);
	default:
		return fail_layer(lb, a->err, "bounds of '%s' are not "
				  "derived for its class", layer->name);
	}
}

static void conclude(struct qk_bounds *b, const struct qk_precision *prec)
{
	size_t j;

	b->complete = 1;
	b->fast_equivalent = 1;
	b->accum_safe = 1;
	for (j = 0; j < b->n_layers; j++) {
		const struct qk_layer_bounds *lb = &b->layers[j];
		const struct qk_layer_prec *row =
			qk_precision_layer(prec, QK_PREC_SAFE, j);

		if (!lb->known)
			b->complete = 0;
		if (lb->has_wrap && (!lb->known || lb->wrap_unsafe))
			b->fast_equivalent = 0;
		if (row->accum.present &&
		    (!lb->known || !lb->accum_fits[QK_PREC_SAFE]))
			b->accum_safe = 0;
	}
}

int qk_bounds_analyze(const struct qk_precision *precision,
		      struct qk_bounds **out, struct qk_err *err)
{
	struct qk_bounds *b = calloc(1, sizeof(*b));
	struct analysis a;
	size_t j;

	*out = NULL;
	if (!b)
		return qk_fail(err, "out of memory");
	b->precision = precision;
	b->n_layers = precision->n_layers;
	b->layers = qk_calloc(b->n_layers, sizeof(*b->layers));
	if (!b->layers) {
		free(b);
		return qk_fail(err, "out of memory");
	}
	a.model = precision->model;
	a.prec = precision;
	a.bounds = b;
	a.err = err;
	for (j = 0; j < b->n_layers; j++) {
		if (analyze_layer(&a, j, &b->layers[j])) {
			qk_bounds_free(b);
			return -1;
		}
	}
	conclude(b, precision);
	*out = b;
	return 0;
}

void qk_bounds_free(struct qk_bounds *bounds)
{
	size_t j;

	if (!bounds)
		return;
	for (j = 0; j < bounds->n_layers && bounds->layers; j++) {
		free(bounds->layers[j].reason);
		free(bounds->layers[j].out);
		free(bounds->layers[j].accum);
	}
	free(bounds->layers);
	free(bounds);
}

const struct qk_layer_bounds *qk_bounds_layer(const struct qk_bounds *bounds,
					      size_t index)
{
	if (!bounds || index >= bounds->n_layers)
		return NULL;
	return &bounds->layers[index];
}

static void write_layer(FILE *out, const struct qk_layer *layer,
			const struct qk_layer_bounds *lb, int has_accum)
{
	struct qk_bound h;

	fprintf(out, "%-16s %-16s", layer->name, layer->class_name);
	if (!lb->known) {
		fprintf(out, " unknown (%s)\n", lb->reason ? lb->reason : "");
		return;
	}
	h = hull(lb);
	fprintf(out, " range [%.17g, %.17g] over %zu elements",
		qk_bound_to_double(h.lo, lb->frac),
		qk_bound_to_double(h.hi, lb->frac), lb->n);
	if (has_accum)
		fprintf(out, "; accumulator %s in safe mode, %s in fast mode",
			lb->accum_fits[QK_PREC_SAFE] ? "fits" : "overflows",
			lb->accum_fits[QK_PREC_FAST] ? "fits" : "wraps");
	if (lb->has_wrap && lb->wrap_unsafe)
		fprintf(out, "; WRAP unsafe for %zu elements, first %zu "
			"receives [%.17g, %.17g]", lb->wrap_unsafe,
			lb->first_unsafe,
			qk_bound_to_double(lb->unsafe_in.lo, lb->in_frac),
			qk_bound_to_double(lb->unsafe_in.hi, lb->in_frac));
	else if (lb->has_wrap)
		fprintf(out, "; WRAP safe");
	fputc('\n', out);
}

int qk_bounds_write(FILE *out, const struct qk_bounds *bounds,
		    struct qk_err *err)
{
	const struct qk_precision *prec = bounds->precision;
	size_t j;

	for (j = 0; j < bounds->n_layers; j++)
		write_layer(out, &prec->model->layers[j], &bounds->layers[j],
			    qk_precision_layer(prec, QK_PREC_SAFE, j)
				    ->accum.present);
	fprintf(out, "fast mode is %s\n",
		bounds->fast_equivalent ? "equivalent: no WRAP quantizer can "
					  "see an out-of-range value"
					: "not proven equivalent");
	fprintf(out, "accumulators %s\n",
		bounds->accum_safe ? "never overflow their derived types"
				   : "are not proven to fit their types");
	if (ferror(out))
		return qk_fail(err, "cannot write the bounds report");
	return 0;
}

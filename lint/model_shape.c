/*
 * Output shapes of layers and the weight shapes their configs imply.
 * Shapes exclude the batch axis, and rank 0 means unknown.
 */
#include "model.h"

#include <string.h>

#include "model_internal.h"
#include "model_layer.h"

struct shape {
	int rank;
	int64_t d[QK_MAX_RANK];
};

static int read_input_shape(struct qk_layer *layer, struct qk_err *err)
{
	static const char *const keys[] = { "batch_input_shape",
					    "batch_shape" };
	const cJSON *list = NULL, *dim;
	size_t k;
	int n = 0, first = 1;

	for (k = 0; k < 2 && !list; k++)
		list = cJSON_GetObjectItemCaseSensitive(layer->config, keys[k]);
	if (!list || cJSON_IsNull(list))
		return 0;
	if (!cJSON_IsArray(list))
		return qk_fail(err, "layer '%s': input shape must be a list",
			       layer->name);
	if (cJSON_GetArraySize(list) > QK_MAX_RANK + 1)
		return qk_fail(err, "layer '%s': input shape has more than %d "
			       "dimensions", layer->name, QK_MAX_RANK);
	cJSON_ArrayForEach(dim, list) {
		if (first) {	/* the batch axis */
			first = 0;
			continue;
		}
		if (cJSON_IsNull(dim)) {
			layer->out_rank = 0;	/* variable length: unknown */
			return 0;
		}
		if (!cJSON_IsNumber(dim) || dim->valuedouble < 1 ||
		    dim->valuedouble > (double)QK_MAX_DIMENSION ||
		    dim->valuedouble != (double)(int64_t)dim->valuedouble)
			return qk_fail(err, "layer '%s': input shape entries "
				       "must be positive integers",
				       layer->name);
		layer->out_shape[n++] = (int64_t)dim->valuedouble;
	}
	layer->out_rank = n;
	return 0;
}

static int64_t conv_length(int64_t in, int64_t k, int64_t stride,
			   int64_t dilation, int same)
{
	int64_t span = dilation * (k - 1) + 1;

	if (stride < 1)
		stride = 1;
	if (same)
		return (in + stride - 1) / stride;
	if (in < span)
		return 0;
	return (in - span) / stride + 1;
}

static int64_t product(const struct shape *s)
{
	int64_t p = 1;
	int i;

	for (i = 0; i < s->rank; i++) {
		if (s->d[i] > QK_MAX_TENSOR_ELEMENTS / (p ? p : 1))
			return -1;
		p *= s->d[i];
	}
	return p;
}

/* Spatial layers: out has spatial dims then channels (channels_last). */
static void spatial(const struct qk_layer *l, const struct shape *in,
		    int dims, int64_t channels, const int64_t *kernel,
		    const int64_t *stride, struct shape *out)
{
	int i, first = l->params.channels_first;

	if (in->rank != dims + 1)
		return;
	out->rank = dims + 1;
	for (i = 0; i < dims; i++) {
		int64_t len = in->d[first ? i + 1 : i];
		int64_t k = kernel[i] ? kernel[i] : kernel[0];
		int64_t s = stride[i] ? stride[i] : stride[0];

		out->d[first ? i + 1 : i] = conv_length(
			len, k ? k : 1, s, l->params.dilation[i] ?
			l->params.dilation[i] : 1, l->params.padding_same);
	}
	out->d[first ? 0 : dims] = channels;
}

static int64_t channels_of(const struct qk_layer *l, const struct shape *in)
{
	if (!in->rank)
		return 0;
	return l->params.channels_first ? in->d[0] : in->d[in->rank - 1];
}

static void reshape(const struct qk_layer *l, const struct shape *in,
		    struct shape *out)
{
	int64_t total = product(in), known = 1;
	int i, infer = -1;

	if (!l->params.has_target_shape || total < 0)
		return;
	for (i = 0; i < l->params.target_rank; i++) {
		if (l->params.target_shape[i] == -1)
			infer = i;
		else
			known *= l->params.target_shape[i];
		out->d[i] = l->params.target_shape[i];
	}
	if (infer >= 0 && known > 0)
		out->d[infer] = total / known;
	out->rank = l->params.target_rank;
}

static void concatenate(const struct qk_model *m, const struct qk_layer *l,
			struct shape *out)
{
	const struct qk_node *node = &l->nodes[0];
	int64_t axis = l->params.axis;
	size_t i;

	*out = (struct shape){ 0 };
	for (i = 0; i < node->n_inputs; i++) {
		const struct qk_layer *src = &m->layers[node->inputs[i].layer];
		int a;

		if (!src->out_rank || (out->rank && src->out_rank != out->rank))
			goto unknown;
		a = (int)(axis < 0 ? src->out_rank + axis : axis - 1);
		if (a < 0 || a >= src->out_rank)
			goto unknown;
		if (!out->rank) {
			out->rank = src->out_rank;
			memcpy(out->d, src->out_shape, sizeof(out->d));
		} else {
			out->d[a] += src->out_shape[a];
		}
	}
	return;
unknown:
	out->rank = 0;
}

/* Pooling strides default to the pool size when the config has none. */
static const int64_t *pool_strides(const struct qk_layer *l)
{
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(l->config,
							  "strides");

	return (s && !cJSON_IsNull(s)) ? l->params.strides :
					 l->params.pool_size;
}

static void infer_layer(const struct qk_model *m, struct qk_layer *l)
{
	struct shape in = { 0 }, out = { 0 };
	const struct qk_layer_params *p = &l->params;
	int64_t n;

	if (l->n_nodes && l->nodes[0].n_inputs) {
		const struct qk_layer *src =
			&m->layers[l->nodes[0].inputs[0].layer];

		in.rank = src->out_rank;
		memcpy(in.d, src->out_shape, sizeof(in.d));
	}
	switch (l->kind) {
	case QK_LAYER_DENSE:
		if (in.rank && p->units) {
			out = in;
			out.d[out.rank - 1] = p->units;
		}
		break;
	case QK_LAYER_CONV1D:
	case QK_LAYER_SEPARABLE_CONV1D:
		spatial(l, &in, 1, p->filters, p->kernel_size, p->strides,
			&out);
		break;
	case QK_LAYER_CONV2D:
	case QK_LAYER_SEPARABLE_CONV2D:
		spatial(l, &in, 2, p->filters, p->kernel_size, p->strides,
			&out);
		break;
	case QK_LAYER_DEPTHWISE_CONV2D:
		spatial(l, &in, 2, channels_of(l, &in) * p->depth_multiplier,
			p->kernel_size, p->strides, &out);
		break;
	case QK_LAYER_MAXPOOL1D:
	case QK_LAYER_AVGPOOL1D:
		spatial(l, &in, 1, channels_of(l, &in), p->pool_size,
			pool_strides(l), &out);
		break;
	case QK_LAYER_MAXPOOL2D:
	case QK_LAYER_AVGPOOL2D:
		spatial(l, &in, 2, channels_of(l, &in), p->pool_size,
			pool_strides(l), &out);
		break;
	case QK_LAYER_GLOBAL_POOL:
		if (in.rank) {
			out.rank = 1;
			out.d[0] = channels_of(l, &in);
		}
		break;
	case QK_LAYER_FLATTEN:
		n = product(&in);
		if (in.rank && n > 0) {
			out.rank = 1;
			out.d[0] = n;
		}
		break;
	case QK_LAYER_RESHAPE:
		reshape(l, &in, &out);
		break;
	case QK_LAYER_CONCATENATE:
		concatenate(m, l, &out);
		break;
	case QK_LAYER_MODEL:
		if (l->inner && l->inner->n_outputs) {
			const struct qk_layer *o = &l->inner->layers[
				l->inner->outputs[0]];

			out.rank = o->out_rank;
			memcpy(out.d, o->out_shape, sizeof(out.d));
		}
		break;
	case QK_LAYER_ACTIVATION:
	case QK_LAYER_QACTIVATION:
	case QK_LAYER_BATCHNORM:
	case QK_LAYER_DROPOUT:
	case QK_LAYER_ADD:
	case QK_LAYER_SUBTRACT:
	case QK_LAYER_MULTIPLY:
	case QK_LAYER_AVERAGE:
	case QK_LAYER_MAXIMUM:
	case QK_LAYER_MINIMUM:
	case QK_LAYER_FIXED_QUANTIZER:
		out = in;
		break;
	default:
		break;
	}
	l->out_rank = out.rank;
	memcpy(l->out_shape, out.d, sizeof(out.d));
}

/* Gives a nested model's input layers the shape of what feeds them. */
static void seed_inner_inputs(const struct qk_model *m, struct qk_layer *l)
{
	const struct qk_layer *src;
	struct qk_layer *in;

	if (!l->inner || !l->n_nodes || !l->nodes[0].n_inputs ||
	    !l->inner->n_inputs)
		return;
	src = &m->layers[l->nodes[0].inputs[0].layer];
	in = &l->inner->layers[l->inner->inputs[0]];
	if (!in->out_rank && src->out_rank) {
		in->out_rank = src->out_rank;
		memcpy(in->out_shape, src->out_shape, sizeof(in->out_shape));
	}
}

int qk_model_infer_shapes(struct qk_model *model, struct qk_err *err)
{
	size_t i;

	for (i = 0; i < model->n_layers; i++) {
		struct qk_layer *l = &model->layers[i];

		if (l->kind == QK_LAYER_INPUT) {
			if (read_input_shape(l, err))
				return -1;
			continue;
		}
		if (l->inner) {
			seed_inner_inputs(model, l);
			if (qk_model_infer_shapes(l->inner, err))
				return -1;
		}
		infer_layer(model, l);
	}
	return 0;
}

/* The shape a weight must have, from the layer config and input shape. */
static int expected_shape(const struct qk_model *m, const struct qk_layer *l,
			  const char *name, struct shape *s)
{
	const struct qk_layer_params *p = &l->params;
	struct shape in = { 0 };
	int64_t c, k0 = p->kernel_size[0], k1 = p->kernel_size[1];

	if (l->n_nodes && l->nodes[0].n_inputs) {
		const struct qk_layer *src =
			&m->layers[l->nodes[0].inputs[0].layer];

		in.rank = src->out_rank;
		memcpy(in.d, src->out_shape, sizeof(in.d));
	}
	if (!in.rank)
		return 0;
	c = channels_of(l, &in);
	if (!k1)
		k1 = k0;
	*s = (struct shape){ 0 };
	switch (l->kind) {
	case QK_LAYER_DENSE:
		if (!strcmp(name, "kernel"))
			*s = (struct shape){ 2, { in.d[in.rank - 1],
						  p->units } };
		else if (!strcmp(name, "bias"))
			*s = (struct shape){ 1, { p->units } };
		break;
	case QK_LAYER_CONV1D:
		if (!strcmp(name, "kernel"))
			*s = (struct shape){ 3, { k0, c, p->filters } };
		else if (!strcmp(name, "bias"))
			*s = (struct shape){ 1, { p->filters } };
		break;
	case QK_LAYER_CONV2D:
		if (!strcmp(name, "kernel"))
			*s = (struct shape){ 4, { k0, k1, c, p->filters } };
		else if (!strcmp(name, "bias"))
			*s = (struct shape){ 1, { p->filters } };
		break;
	case QK_LAYER_DEPTHWISE_CONV2D:
		if (!strcmp(name, "depthwise_kernel"))
			*s = (struct shape){ 4, { k0, k1, c,
						  p->depth_multiplier } };
		else if (!strcmp(name, "bias"))
			*s = (struct shape){ 1, { c * p->depth_multiplier } };
		break;
	case QK_LAYER_SEPARABLE_CONV2D:
		if (!strcmp(name, "depthwise_kernel"))
			*s = (struct shape){ 4, { k0, k1, c,
						  p->depth_multiplier } };
		else if (!strcmp(name, "pointwise_kernel"))
			*s = (struct shape){ 4, { 1, 1,
						  c * p->depth_multiplier,
						  p->filters } };
		else if (!strcmp(name, "bias"))
			*s = (struct shape){ 1, { p->filters } };
		break;
	case QK_LAYER_BATCHNORM:
		*s = (struct shape){ 1, { c } };
		break;
	default:
		break;
	}
	return s->rank;
}

static void format_shape(char *buf, size_t size, int rank, const int64_t *d)
{
	size_t used = 0;
	int i;

	used += (size_t)snprintf(buf, size, "[");
	for (i = 0; i < rank && used < size; i++)
		used += (size_t)snprintf(buf + used, size - used, "%s%lld",
					 i ? ", " : "", (long long)d[i]);
	if (used < size)
		snprintf(buf + used, size - used, "]");
}

static int check_layer(const struct qk_model *m, struct qk_layer *l,
		       struct qk_err *err)
{
	size_t i;

	l->n_params = 0;
	for (i = 0; i < l->n_weights; i++) {
		const struct qk_tensor *t = &l->weights[i];
		struct shape s;
		char got[128], want[128];

		l->n_params += (int64_t)t->count;
		if (!expected_shape(m, l, t->name, &s))
			continue;
		if (s.rank == t->rank &&
		    !memcmp(s.d, t->shape, sizeof(int64_t) * (size_t)s.rank))
			continue;
		format_shape(got, sizeof(got), t->rank, t->shape);
		format_shape(want, sizeof(want), s.rank, s.d);
		return qk_fail(err, "layer '%s' (%s): weight '%s' has shape %s "
			       "but the layer config implies %s", l->name,
			       l->class_name, t->name, got, want);
	}
	if (l->inner) {
		if (qk_model_check_weights(l->inner, err))
			return -1;
		for (i = 0; i < l->inner->n_layers; i++)
			l->n_params += l->inner->layers[i].n_params;
	}
	return 0;
}

int qk_model_check_weights(struct qk_model *model, struct qk_err *err)
{
	size_t i;

	for (i = 0; i < model->n_layers; i++) {
		if (check_layer(model, &model->layers[i], err))
			return -1;
	}
	return 0;
}

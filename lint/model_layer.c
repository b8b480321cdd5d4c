/*
 * Reading one layer's config: quantizers per role, the activation, and
 * the numeric settings the rules and the verifier use.
 */
#include "model.h"

#include <math.h>
#include <string.h>

#include "model_internal.h"
#include "model_layer.h"

static int layer_fail(struct qk_err *err, const struct qk_layer *layer,
		      const char *what)
{
	return qk_fail(err, "layer '%s' (%s): %s", layer->name,
		       layer->class_name, what);
}

/* Reads a positive integer (or 0 when allow_zero) within the limits. */
static int read_dim(const cJSON *item, const struct qk_layer *layer,
		    const char *key, int allow_zero, int64_t *out,
		    struct qk_err *err)
{
	double v;
	char what[160];

	if (!cJSON_IsNumber(item)) {
		snprintf(what, sizeof(what), "'%s' must be an integer", key);
		return layer_fail(err, layer, what);
	}
	v = item->valuedouble;
	if (!(v == floor(v)) || v < (allow_zero ? 0 : 1) ||
	    v > (double)QK_MAX_DIMENSION) {
		snprintf(what, sizeof(what),
			 "'%s' must be an integer between %d and %lld, got %g",
			 key, allow_zero ? 0 : 1, (long long)QK_MAX_DIMENSION,
			 v);
		return layer_fail(err, layer, what);
	}
	*out = (int64_t)v;
	return 0;
}

/* Reads an int or a list of 1 or 2 ints into out[2] (a scalar fills both). */
static int read_pair(const struct qk_layer *layer, const char *key,
		     int allow_zero, int64_t out[2], struct qk_err *err)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(layer->config,
							     key);
	int n, i;
	char what[160];

	if (!item || cJSON_IsNull(item))
		return 0;
	if (cJSON_IsNumber(item)) {
		if (read_dim(item, layer, key, allow_zero, &out[0], err))
			return -1;
		out[1] = out[0];
		return 0;
	}
	if (!cJSON_IsArray(item)) {
		snprintf(what, sizeof(what),
			 "'%s' must be an integer or a list of integers", key);
		return layer_fail(err, layer, what);
	}
	n = cJSON_GetArraySize(item);
	if (n < 1 || n > 2) {
		snprintf(what, sizeof(what),
			 "'%s' must have 1 or 2 entries, got %d", key, n);
		return layer_fail(err, layer, what);
	}
	for (i = 0; i < n; i++) {
		if (read_dim(cJSON_GetArrayItem(item, i), layer, key,
			     allow_zero, &out[i], err))
			return -1;
	}
	if (n == 1)
		out[1] = 0;
	return 0;
}

static int read_int_key(const struct qk_layer *layer, const char *key,
			int allow_zero, int64_t *out, struct qk_err *err)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(layer->config,
							     key);

	if (!item || cJSON_IsNull(item))
		return 0;
	return read_dim(item, layer, key, allow_zero, out, err);
}

static int read_bool_key(const struct qk_layer *layer, const char *key,
			 int fallback, int *out, struct qk_err *err)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(layer->config,
							     key);
	char what[160];

	*out = fallback;
	if (!item || cJSON_IsNull(item))
		return 0;
	if (cJSON_IsBool(item)) {
		*out = cJSON_IsTrue(item);
		return 0;
	}
	if (cJSON_IsNumber(item) && (item->valuedouble == 0 ||
				     item->valuedouble == 1)) {
		*out = item->valuedouble != 0;
		return 0;
	}
	snprintf(what, sizeof(what), "'%s' must be true or false", key);
	return layer_fail(err, layer, what);
}

static int read_string_key(const struct qk_layer *layer, const char *key,
			   const char **out, struct qk_err *err)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(layer->config,
							     key);
	char what[160];

	*out = NULL;
	if (!item || cJSON_IsNull(item))
		return 0;
	if (!cJSON_IsString(item)) {
		snprintf(what, sizeof(what), "'%s' must be a string", key);
		return layer_fail(err, layer, what);
	}
	*out = item->valuestring;
	return 0;
}

static int read_number_key(const struct qk_layer *layer, const char *key,
			   double *out, int *present, struct qk_err *err)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(layer->config,
							     key);
	char what[160];

	if (present)
		*present = 0;
	if (!item || cJSON_IsNull(item))
		return 0;
	if (!cJSON_IsNumber(item) || !isfinite(item->valuedouble)) {
		snprintf(what, sizeof(what), "'%s' must be a finite number",
			 key);
		return layer_fail(err, layer, what);
	}
	*out = item->valuedouble;
	if (present)
		*present = 1;
	return 0;
}

static int read_target_shape(struct qk_layer *layer, struct qk_err *err)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(layer->config,
							     "target_shape");
	const cJSON *dim;
	struct qk_layer_params *p = &layer->params;
	int n = 0, inferred = 0;

	if (!item)
		return 0;
	if (!cJSON_IsArray(item))
		return layer_fail(err, layer, "'target_shape' must be a list");
	if (cJSON_GetArraySize(item) > QK_MAX_RANK)
		return layer_fail(err, layer, "'target_shape' has too many "
			"dimensions");
	cJSON_ArrayForEach(dim, item) {
		if (cJSON_IsNumber(dim) && dim->valuedouble == -1 &&
		    !inferred) {
			inferred = 1;
			p->target_shape[n++] = -1;
			continue;
		}
		if (read_dim(dim, layer, "target_shape", 0,
			     &p->target_shape[n], err))
			return -1;
		n++;
	}
	p->has_target_shape = 1;
	p->target_rank = n;
	return 0;
}

static int read_padding_format(struct qk_layer *layer, struct qk_err *err)
{
	const char *padding, *format;

	if (read_string_key(layer, "padding", &padding, err) ||
	    read_string_key(layer, "data_format", &format, err))
		return -1;
	if (padding && strcmp(padding, "same") == 0)
		layer->params.padding_same = 1;
	else if (padding && strcmp(padding, "valid") != 0 &&
		 strcmp(padding, "causal") != 0)
		return layer_fail(err, layer, "'padding' must be 'valid' or "
			"'same'");
	if (format && strcmp(format, "channels_first") == 0)
		layer->params.channels_first = 1;
	return 0;
}

static int is_2d(enum qk_layer_kind kind)
{
	return kind == QK_LAYER_CONV2D || kind == QK_LAYER_DEPTHWISE_CONV2D ||
	       kind == QK_LAYER_SEPARABLE_CONV2D ||
	       kind == QK_LAYER_MAXPOOL2D || kind == QK_LAYER_AVGPOOL2D;
}

/* A 2-D layer's size lists need both entries; Keras rejects one. */
static int check_2d_pairs(const struct qk_layer *layer, struct qk_err *err)
{
	static const char *const keys[] = { "kernel_size", "strides",
					    "pool_size", "dilation_rate" };
	const cJSON *item;
	size_t i;
	char what[160];

	if (!is_2d(layer->kind))
		return 0;
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		item = cJSON_GetObjectItemCaseSensitive(layer->config,
							keys[i]);
		if (cJSON_IsArray(item) && cJSON_GetArraySize(item) != 2) {
			snprintf(what, sizeof(what), "'%s' must have 2 entries "
				 "for a 2-D layer, got %d", keys[i],
				 cJSON_GetArraySize(item));
			return layer_fail(err, layer, what);
		}
	}
	return 0;
}

int qk_layer_read_params(struct qk_layer *layer, struct qk_err *err)
{
	struct qk_layer_params *p = &layer->params;
	int64_t axis = 0;
	const cJSON *axis_item;
	double slope = 0;

	p->strides[0] = p->strides[1] = 1;
	p->dilation[0] = p->dilation[1] = 1;
	p->depth_multiplier = 1;
	p->axis = -1;
	p->epsilon = 1e-3;
	if (!cJSON_IsObject(layer->config))
		return 0;
	if (read_int_key(layer, "units", 0, &p->units, err) ||
	    read_int_key(layer, "filters", 0, &p->filters, err) ||
	    read_int_key(layer, "depth_multiplier", 0, &p->depth_multiplier,
			 err) ||
	    read_pair(layer, "kernel_size", 0, p->kernel_size, err) ||
	    read_pair(layer, "strides", 0, p->strides, err) ||
	    read_pair(layer, "dilation_rate", 0, p->dilation, err) ||
	    read_pair(layer, "pool_size", 0, p->pool_size, err) ||
	    read_bool_key(layer, "use_bias", 1, &p->use_bias, err) ||
	    read_bool_key(layer, "center", 1, &p->center, err) ||
	    read_bool_key(layer, "scale", 1, &p->scale, err) ||
	    read_padding_format(layer, err) || read_target_shape(layer, err))
		return -1;
	if (read_number_key(layer, "epsilon", &p->epsilon, NULL, err) ||
	    read_number_key(layer, "max_value", &p->max_value,
			    &p->has_max_value, err) ||
	    read_number_key(layer, "negative_slope", &slope, NULL, err))
		return -1;
	p->negative_slope = slope;
	if (check_2d_pairs(layer, err))
		return -1;
	if (strcmp(layer->class_name, "LeakyReLU") == 0) {
		int present;

		p->negative_slope = 0.3;
		if (read_number_key(layer, "alpha", &slope, &present, err))
			return -1;
		if (present)
			p->negative_slope = slope;
		if (read_number_key(layer, "negative_slope", &slope, &present,
				    err))
			return -1;
		if (present)
			p->negative_slope = slope;
	}
	axis_item = cJSON_GetObjectItemCaseSensitive(layer->config, "axis");
	if (cJSON_IsNumber(axis_item)) {
		double v = axis_item->valuedouble;

		if (v != floor(v) || fabs(v) > QK_MAX_RANK + 1)
			return layer_fail(err, layer, "'axis' must be a small "
				"integer");
		axis = (int64_t)v;
		p->axis = axis;
	}
	return 0;
}

/* Keras activation names that are plain functions, not quantizers. */
static int is_linear(const char *name)
{
	return strcmp(name, "linear") == 0;
}

static int read_role(struct qk_layer *layer, enum qk_role role,
		     struct qk_err *err)
{
	const cJSON *item;
	struct qk_quantizer *q;
	struct qk_err qerr = QK_ERR_INIT;
	char what[QK_ERR_MAX];

	item = cJSON_GetObjectItemCaseSensitive(layer->config,
						qk_role_config_key(role));
	if (!item || cJSON_IsNull(item))
		return 0;
	/* A plain Keras layer's activation is a function name, never parsed
	 * as a quantizer. */
	if (role == QK_ROLE_ACTIVATION && !layer->is_qkeras &&
	    layer->kind != QK_LAYER_QACTIVATION) {
		if (!cJSON_IsString(item))
			return layer_fail(err, layer,
					  "'activation' must be a string");
		if (strcspn(item->valuestring, "\x01\x02\x03\x04\x05\x06"
			    "\x07\x08\t\n\x0b\x0c\r\x0e\x0f\x10\x11\x12\x13"
			    "\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f"
			    "\x7f") != strlen(item->valuestring))
			return layer_fail(err, layer, "'activation' contains "
					  "a control character");
		if (!is_linear(item->valuestring)) {
			layer->activation = qk_strdup(item->valuestring);
			if (!layer->activation)
				return qk_fail(err, "out of memory");
		}
		return 0;
	}
	q = qk_quantizer_from_json(item, &qerr);
	if (!q) {
		return qk_fail(err, "layer '%s' (%s): invalid %s: %.800s",
			       layer->name, layer->class_name,
			       qk_role_config_key(role), qerr.msg);
	}
	if (q->kind == QK_Q_KERAS_ACTIVATION) {
		if (role != QK_ROLE_ACTIVATION) {
			snprintf(what, sizeof(what),
				 "%s '%s' is not a QKeras quantizer",
				 qk_role_config_key(role), q->class_name);
			qk_quantizer_free(q);
			return layer_fail(err, layer, what);
		}
		if (!is_linear(q->class_name)) {
			layer->activation = qk_strdup(q->class_name);
			if (!layer->activation) {
				qk_quantizer_free(q);
				return qk_fail(err, "out of memory");
			}
		}
		qk_quantizer_free(q);
		return 0;
	}
	layer->quant[role] = q;
	return 0;
}

int qk_layer_read_quantizers(struct qk_layer *layer, struct qk_err *err)
{
	int role;

	if (!cJSON_IsObject(layer->config))
		return 0;
	for (role = 0; role < QK_ROLE_COUNT; role++) {
		if (read_role(layer, (enum qk_role)role, err))
			return -1;
	}
	return 0;
}

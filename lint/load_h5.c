/*
 * HDF5 access: Keras 2 full models, weights-only files and the weights
 * file inside a Keras 3 archive.
 */
#include "model.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model_internal.h"

/* Weights read so far in this file, against QK_MAX_TOTAL_WEIGHTS. */
struct weight_budget {
	long long left;
};

int qk_h5_read_string_attr(hid_t obj, const char *name, char **out,
			   struct qk_err *err)
{
	hid_t attr = -1, type = -1, space = -1, mem = -1;
	int rc = -1;
	size_t size;

	*out = NULL;
	if (H5Aexists(obj, name) <= 0)
		return 0;
	attr = H5Aopen(obj, name, H5P_DEFAULT);
	type = attr >= 0 ? H5Aget_type(attr) : -1;
	space = attr >= 0 ? H5Aget_space(attr) : -1;
	if (type < 0 || space < 0) {
		qk_fail(err, "cannot read attribute '%s'", name);
		goto out;
	}
	if (H5Tget_class(type) != H5T_STRING ||
	    H5Sget_simple_extent_npoints(space) != 1) {
		qk_fail(err, "attribute '%s' is not a single string", name);
		goto out;
	}
	if (H5Tis_variable_str(type) > 0) {
		char *value = NULL;

		mem = H5Tcopy(H5T_C_S1);
		H5Tset_size(mem, H5T_VARIABLE);
		H5Tset_cset(mem, H5Tget_cset(type));	/* UTF-8 or ASCII */
		if (H5Aread(attr, mem, &value) < 0 || !value) {
			qk_fail(err, "cannot read attribute '%s'", name);
			goto out;
		}
		*out = qk_strdup(value);
		H5free_memory(value);
	} else {
		size = H5Tget_size(type);
		if (size == 0 || (long long)size > QK_MAX_CONFIG_BYTES) {
			qk_fail(err, "attribute '%s' has an invalid size",
				name);
			goto out;
		}
		*out = calloc(1, size + 1);
		if (*out && H5Aread(attr, type, *out) < 0) {
			free(*out);
			*out = NULL;
			qk_fail(err, "cannot read attribute '%s'", name);
			goto out;
		}
	}
	if (!*out) {
		qk_fail(err, "out of memory");
		goto out;
	}
	rc = 0;
out:
	if (mem >= 0)
		H5Tclose(mem);
	if (space >= 0)
		H5Sclose(space);
	if (type >= 0)
		H5Tclose(type);
	if (attr >= 0)
		H5Aclose(attr);
	return rc;
}

static void free_list(char **list, size_t n)
{
	size_t i;

	if (!list)
		return;
	for (i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

/* Reads a 1-D string array attribute (fixed or variable length). */
static int read_string_list(hid_t obj, const char *name, char ***out,
			    size_t *n_out, struct qk_err *err)
{
	hid_t attr = -1, type = -1, space = -1, mem = -1;
	hssize_t n = 0;
	size_t size, i;
	char **list = NULL;
	int rc = -1;

	*out = NULL;
	*n_out = 0;
	attr = H5Aopen(obj, name, H5P_DEFAULT);
	type = attr >= 0 ? H5Aget_type(attr) : -1;
	space = attr >= 0 ? H5Aget_space(attr) : -1;
	if (type < 0 || space < 0) {
		qk_fail(err, "cannot read attribute '%s'", name);
		goto out;
	}
	n = H5Sget_simple_extent_npoints(space);
	/* Keras writes an empty list as a float64 array of length 0. */
	if (n != 0 && H5Tget_class(type) != H5T_STRING) {
		qk_fail(err, "attribute '%s' is not a list of strings", name);
		goto out;
	}
	if (n < 0 || n > QK_MAX_LAYERS) {
		qk_fail(err, "attribute '%s' has an invalid length", name);
		goto out;
	}
	list = qk_calloc((size_t)n, sizeof(char *));
	if (!list) {
		qk_fail(err, "out of memory");
		goto out;
	}
	if (n == 0) {
		rc = 0;
		goto out;
	}
	if (H5Tis_variable_str(type) > 0) {
		char **raw = qk_calloc((size_t)n, sizeof(char *));

		mem = H5Tcopy(H5T_C_S1);
		H5Tset_size(mem, H5T_VARIABLE);
		H5Tset_cset(mem, H5Tget_cset(type));
		if (!raw || H5Aread(attr, mem, raw) < 0) {
			free(raw);
			qk_fail(err, "cannot read attribute '%s'", name);
			goto out;
		}
		for (i = 0; i < (size_t)n; i++) {
			list[i] = qk_strdup(raw[i] ? raw[i] : "");
			H5free_memory(raw[i]);
		}
		free(raw);
	} else {
		char *raw;

		size = H5Tget_size(type);
		if (size == 0 || size > 65536) {
			qk_fail(err, "attribute '%s' has an invalid size",
				name);
			goto out;
		}
		raw = qk_calloc((size_t)n, size);
		if (!raw || H5Aread(attr, type, raw) < 0) {
			free(raw);
			qk_fail(err, "cannot read attribute '%s'", name);
			goto out;
		}
		for (i = 0; i < (size_t)n; i++)
			list[i] = qk_strndup(raw + i * size,
					     strnlen(raw + i * size, size));
		free(raw);
	}
	for (i = 0; i < (size_t)n; i++) {
		if (!list[i]) {
			qk_fail(err, "out of memory");
			goto out;
		}
	}
	*out = list;
	*n_out = (size_t)n;
	list = NULL;
	rc = 0;
out:
	free_list(list, (size_t)(n > 0 ? n : 0));
	if (mem >= 0)
		H5Tclose(mem);
	if (space >= 0)
		H5Sclose(space);
	if (type >= 0)
		H5Tclose(type);
	if (attr >= 0)
		H5Aclose(attr);
	return rc;
}

static int read_dataset(hid_t loc, const char *path, struct qk_layer *layer,
			const char *role, struct weight_budget *budget,
			struct qk_err *err)
{
	hid_t ds = -1, type = -1, space = -1;
	hsize_t dims[QK_MAX_RANK];
	struct qk_tensor t = { 0 };
	struct qk_tensor *grown;
	int rank, i, rc = -1;
	size_t k;

	if (H5Lexists(loc, path, H5P_DEFAULT) <= 0) {
		return qk_fail(err, "layer '%s' (%s): weight dataset '%s' is "
			       "missing", layer->name, layer->class_name,
			       path);
	}
	ds = H5Dopen2(loc, path, H5P_DEFAULT);
	type = ds >= 0 ? H5Dget_type(ds) : -1;
	space = ds >= 0 ? H5Dget_space(ds) : -1;
	if (type < 0 || space < 0) {
		qk_fail(err, "layer '%s': weight '%s' is not a readable "
			"dataset", layer->name, path);
		goto out;
	}
	/* HGQ stores its quantizer settings (bits, keep_negative) as
	 * integers; every other weight must be floating point. */
	if (H5Tget_class(type) != H5T_FLOAT &&
	    !(H5Tget_class(type) == H5T_INTEGER &&
	      layer->kind == QK_LAYER_FIXED_QUANTIZER)) {
		qk_fail(err, "layer '%s' (%s): weight '%s' has a non-float "
			"datatype", layer->name, layer->class_name, path);
		goto out;
	}
	rank = H5Sget_simple_extent_ndims(space);
	if (rank < 0 || rank > QK_MAX_RANK) {
		qk_fail(err, "layer '%s': weight '%s' has %d dimensions "
			"(limit %d)", layer->name, path, rank, QK_MAX_RANK);
		goto out;
	}
	H5Sget_simple_extent_dims(space, dims, NULL);
	t.rank = rank;
	t.count = 1;
	for (i = 0; i < rank; i++) {
		if (dims[i] > (hsize_t)QK_MAX_TENSOR_ELEMENTS ||
		    (dims[i] && t.count > (size_t)QK_MAX_TENSOR_ELEMENTS /
		     dims[i])) {
			qk_fail(err, "layer '%s': weight '%s' has more than "
				"%lld elements", layer->name, path,
				(long long)QK_MAX_TENSOR_ELEMENTS);
			goto out;
		}
		t.shape[i] = (int64_t)dims[i];
		t.count *= (size_t)dims[i];
	}
	if ((long long)t.count > budget->left) {
		qk_fail(err, "model has more than %lld weights in total",
			(long long)QK_MAX_TOTAL_WEIGHTS);
		goto out;
	}
	budget->left -= (long long)t.count;
	t.data = qk_calloc(t.count, sizeof(float));
	t.name = qk_strdup(role);
	if (!t.data || !t.name) {
		qk_fail(err, "out of memory");
		goto out;
	}
	if (t.count && H5Dread(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL,
			       H5P_DEFAULT, t.data) < 0) {
		qk_fail(err, "layer '%s': cannot read weight '%s' (file "
			"truncated or damaged)", layer->name, path);
		goto out;
	}
	for (k = 0; k < t.count; k++) {
		if (!isfinite(t.data[k])) {
			qk_fail(err, "layer '%s' (%s): weight '%s' contains "
				"%s", layer->name, layer->class_name, path,
				isnan(t.data[k]) ? "NaN" : "infinity");
			goto out;
		}
	}
	grown = qk_reallocarray(layer->weights, layer->n_weights + 1,
				sizeof(*grown));
	if (!grown) {
		qk_fail(err, "out of memory");
		goto out;
	}
	layer->weights = grown;
	layer->weights[layer->n_weights++] = t;
	t.data = NULL;
	t.name = NULL;
	rc = 0;
out:
	free(t.data);
	free(t.name);
	if (space >= 0)
		H5Sclose(space);
	if (type >= 0)
		H5Tclose(type);
	if (ds >= 0)
		H5Dclose(ds);
	return rc;
}

/* "fc1/kernel:0" -> "kernel" (written into buf). */
static void role_of(const char *weight_name, char *buf, size_t size)
{
	const char *base = strrchr(weight_name, '/');
	size_t n;

	base = base ? base + 1 : weight_name;
	n = strcspn(base, ":");
	if (n >= size)
		n = size - 1;
	memcpy(buf, base, n);
	buf[n] = '\0';
}

/* In a nested model, the owner is the inner layer named in the path. */
static struct qk_layer *owner_of(struct qk_layer *layer, const char *wname)
{
	char buf[512];
	char *part, *save = NULL;
	struct qk_layer *found = NULL, *candidate;

	if (!layer->inner)
		return layer;
	snprintf(buf, sizeof(buf), "%s", wname);
	for (part = strtok_r(buf, "/", &save); part;
	     part = strtok_r(NULL, "/", &save)) {
		candidate = qk_model_find_deep(layer->inner, part);
		if (candidate)
			found = candidate;
	}
	return found;
}

static int attach_keras2_layer(struct qk_model *model, hid_t group,
			       const char *name, struct weight_budget *budget,
			       struct qk_err *err)
{
	struct qk_layer *layer = qk_model_find_deep(model, name);
	char **names = NULL;
	size_t n = 0, i;
	hid_t lg;
	int rc = -1;
	char role[256];

	if (H5Lexists(group, name, H5P_DEFAULT) <= 0)
		return qk_fail(err, "weights file lists layer '%s' but has no "
			       "group for it", name);
	lg = H5Gopen2(group, name, H5P_DEFAULT);
	if (lg < 0)
		return qk_fail(err, "weights file: '%s' is not a group", name);
	if (H5Aexists(lg, "weight_names") > 0 &&
	    read_string_list(lg, "weight_names", &names, &n, err))
		goto out;
	/* A layer without weights may have been removed from the config
	 * (a softmax stripped before conversion); Keras ignores it too. */
	if (!layer && n == 0) {
		rc = 0;
		goto out;
	}
	if (!layer) {
		qk_fail(err, "weights file has weights for layer '%s', which is "
			"not in the model config", name);
		goto out;
	}
	for (i = 0; i < n; i++) {
		struct qk_layer *owner = owner_of(layer, names[i]);

		if (!owner) {
			qk_fail(err, "layer '%s': weight '%s' matches no layer "
				"of the nested model", name, names[i]);
			goto out;
		}
		role_of(names[i], role, sizeof(role));
		if (read_dataset(lg, names[i], owner, role, budget, err))
			goto out;
	}
	rc = 0;
out:
	free_list(names, n);
	H5Gclose(lg);
	return rc;
}

static int attach_keras2(struct qk_model *model, hid_t group,
			 struct weight_budget *budget, struct qk_err *err)
{
	char **names = NULL;
	size_t n = 0, i;
	int rc = 0;

	if (H5Aexists(group, "layer_names") <= 0)
		return qk_fail(err, "weights file has no 'layer_names' "
			       "attribute (not a Keras weights file)");
	if (read_string_list(group, "layer_names", &names, &n, err))
		return -1;
	for (i = 0; i < n && rc == 0; i++)
		rc = attach_keras2_layer(model, group, names[i], budget, err);
	free_list(names, n);
	return rc;
}

/* Weight names of a Keras 3 layer's vars/<n> datasets, by position. */
static const char *keras3_role(const struct qk_layer *layer, int index,
			       char *buf, size_t size)
{
	static const char *const dense[] = { "kernel", "bias" };
	static const char *const depthwise[] = { "depthwise_kernel", "bias" };
	static const char *const separable[] = { "depthwise_kernel",
						 "pointwise_kernel", "bias" };
	const char *bn[4];
	int n_bn = 0;

	switch (layer->kind) {
	case QK_LAYER_DENSE:
	case QK_LAYER_CONV1D:
	case QK_LAYER_CONV2D:
		if (index < 2)
			return dense[index];
		break;
	case QK_LAYER_DEPTHWISE_CONV2D:
		if (index < 2)
			return depthwise[index];
		break;
	case QK_LAYER_SEPARABLE_CONV1D:
	case QK_LAYER_SEPARABLE_CONV2D:
		if (index < 3)
			return separable[index];
		break;
	case QK_LAYER_BATCHNORM:
		if (layer->params.scale)
			bn[n_bn++] = "gamma";
		if (layer->params.center)
			bn[n_bn++] = "beta";
		bn[n_bn++] = "moving_mean";
		bn[n_bn++] = "moving_variance";
		if (index < n_bn)
			return bn[index];
		break;
	default:
		break;
	}
	snprintf(buf, size, "var%d", index);
	return buf;
}

static int attach_keras3_vars(struct qk_model *model, hid_t g,
			      const char *group_name,
			      struct weight_budget *budget, struct qk_err *err)
{
	hid_t vars;
	H5G_info_t info;
	char *name = NULL;
	struct qk_layer *layer;
	hsize_t i;
	int rc = -1;
	char key[32], buf[32];

	if (H5Lexists(g, "vars", H5P_DEFAULT) <= 0)
		return 0;
	vars = H5Gopen2(g, "vars", H5P_DEFAULT);
	if (vars < 0)
		return qk_fail(err, "'%s/vars' is not a group", group_name);
	if (H5Gget_info(vars, &info) < 0 || info.nlinks == 0) {
		rc = 0;
		goto out;
	}
	if (qk_h5_read_string_attr(vars, "name", &name, err))
		goto out;
	layer = qk_model_find_deep(model, name ? name : group_name);
	if (!layer) {
		qk_fail(err, "weights file has weights for layer '%s', which "
			"is not in the model config", name ? name : group_name);
		goto out;
	}
	if (info.nlinks > QK_MAX_RANK * 8) {
		qk_fail(err, "layer '%s' has too many weight arrays",
			layer->name);
		goto out;
	}
	for (i = 0; i < info.nlinks; i++) {
		snprintf(key, sizeof(key), "%llu", (unsigned long long)i);
		if (read_dataset(vars, key, layer,
				 keras3_role(layer, (int)i, buf, sizeof(buf)),
				 budget, err))
			goto out;
	}
	rc = 0;
out:
	free(name);
	H5Gclose(vars);
	return rc;
}

struct keras3_walk {
	struct qk_model *model;
	struct weight_budget *budget;
	struct qk_err *err;
	int depth;
};

static int attach_keras3_group(hid_t layers, struct keras3_walk *w);

static herr_t visit_keras3(hid_t parent, const char *name,
			   const H5L_info_t *info, void *data)
{
	struct keras3_walk *w = data;
	H5O_info_t oinfo;
	hid_t g;
	int rc = 0;

	(void)info;
	if (H5Oget_info_by_name(parent, name, &oinfo, H5P_DEFAULT) < 0 ||
	    oinfo.type != H5O_TYPE_GROUP)
		return 0;
	g = H5Gopen2(parent, name, H5P_DEFAULT);
	if (g < 0)
		return 0;
	rc = attach_keras3_vars(w->model, g, name, w->budget, w->err);
	if (!rc && H5Lexists(g, "layers", H5P_DEFAULT) > 0) {
		hid_t inner = H5Gopen2(g, "layers", H5P_DEFAULT);

		if (inner >= 0) {
			w->depth++;
			rc = attach_keras3_group(inner, w);
			w->depth--;
			H5Gclose(inner);
		}
	}
	H5Gclose(g);
	return rc ? -1 : 0;
}

static int attach_keras3_group(hid_t layers, struct keras3_walk *w)
{
	if (w->depth > QK_MAX_NESTING)
		return qk_fail(w->err, "weights nested more than %d levels "
			       "deep", QK_MAX_NESTING);
	if (H5Literate(layers, H5_INDEX_NAME, H5_ITER_NATIVE, NULL,
		       visit_keras3, w) < 0) {
		if (!w->err->msg[0])
			qk_fail(w->err, "cannot walk the weights file");
		return -1;
	}
	return 0;
}

static int needs_weights(const struct qk_layer *layer)
{
	switch (layer->kind) {
	case QK_LAYER_DENSE:
	case QK_LAYER_CONV1D:
	case QK_LAYER_CONV2D:
	case QK_LAYER_DEPTHWISE_CONV2D:
	case QK_LAYER_SEPARABLE_CONV1D:
	case QK_LAYER_SEPARABLE_CONV2D:
	case QK_LAYER_BATCHNORM:
		return 1;
	default:
		return 0;
	}
}

static int check_all_loaded(const struct qk_model *model, struct qk_err *err)
{
	size_t i;

	for (i = 0; i < model->n_layers; i++) {
		const struct qk_layer *layer = &model->layers[i];

		if (needs_weights(layer) && !layer->n_weights)
			return qk_fail(err, "layer '%s' (%s) has no weights in "
				       "the weights file", layer->name,
				       layer->class_name);
		if (layer->inner && check_all_loaded(layer->inner, err))
			return -1;
	}
	return 0;
}

int qk_h5_attach_weights(struct qk_model *model, hid_t group, int keras3,
			 struct qk_err *err)
{
	struct weight_budget budget = { QK_MAX_TOTAL_WEIGHTS };
	struct keras3_walk walk = { model, &budget, err, 0 };

	if (keras3) {
		hid_t layers;
		int rc;

		if (H5Lexists(group, "layers", H5P_DEFAULT) <= 0)
			return check_all_loaded(model, err);
		layers = H5Gopen2(group, "layers", H5P_DEFAULT);
		if (layers < 0)
			return qk_fail(err, "'layers' is not a group");
		rc = attach_keras3_group(layers, &walk);
		H5Gclose(layers);
		if (rc)
			return -1;
	} else if (attach_keras2(model, group, &budget, err)) {
		return -1;
	}
	if (check_all_loaded(model, err))
		return -1;
	return qk_model_check_weights(model, err);
}

/* Silences HDF5's own error stack unless debugging; restored by caller. */
struct h5_quiet {
	H5E_auto2_t func;
	void *data;
};

static void quiet_begin(struct h5_quiet *q, int debug)
{
	H5Eget_auto2(H5E_DEFAULT, &q->func, &q->data);
	if (!debug)
		H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

static void quiet_end(const struct h5_quiet *q)
{
	H5Eset_auto2(H5E_DEFAULT, q->func, q->data);
}

static struct qk_model *model_from_text(char *text, struct qk_err *err)
{
	cJSON *root = qk_json_parse(text, strlen(text), err);

	return root ? qk_model_from_config(root, err) : NULL;
}

struct qk_model *qk_load_h5(const char *path, int debug, struct qk_err *err)
{
	struct h5_quiet q;
	hid_t file, weights = -1;
	char *config = NULL, *version = NULL;
	struct qk_model *model = NULL;

	quiet_begin(&q, debug);
	file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
	if (file < 0) {
		qk_fail(err, "cannot open as HDF5 (file truncated or "
			"damaged)");
		goto out;
	}
	if (qk_h5_read_string_attr(file, "model_config", &config, err))
		goto out;
	if (!config) {
		if (H5Aexists(file, "layer_names") > 0)
			qk_fail(err, "file holds only weights; pass its "
				"architecture JSON instead (qklint NAME.json "
				"--weights FILE)");
		else
			qk_fail(err, "HDF5 file has no 'model_config' "
				"attribute (not a Keras model)");
		goto out;
	}
	if (qk_h5_read_string_attr(file, "keras_version", &version, err))
		goto out;
	model = model_from_text(config, err);
	if (!model)
		goto out;
	model->format = QK_FORMAT_H5;
	model->keras_version = version;
	version = NULL;
	if (H5Lexists(file, "model_weights", H5P_DEFAULT) <= 0) {
		qk_fail(err, "HDF5 file has no 'model_weights' group");
		goto fail;
	}
	weights = H5Gopen2(file, "model_weights", H5P_DEFAULT);
	if (weights < 0 || qk_h5_attach_weights(model, weights, 0, err))
		goto fail;
	goto out;
fail:
	qk_model_free(model);
	model = NULL;
out:
	if (weights >= 0)
		H5Gclose(weights);
	if (file >= 0)
		H5Fclose(file);
	free(config);
	free(version);
	quiet_end(&q);
	return model;
}

/* NAME.json -> NAME_weights.h5 in the same directory. */
static char *weights_beside(const char *json_path)
{
	size_t n = strlen(json_path);

	if (n > 5 && strcmp(json_path + n - 5, ".json") == 0)
		n -= 5;
	return qk_asprintf("%.*s_weights.h5", (int)n, json_path);
}

static int attach_weights_file(struct qk_model *model, const char *path,
			       int debug, struct qk_err *err)
{
	struct h5_quiet q;
	hid_t file, group = -1;
	int rc = -1;
	char *version = NULL;

	quiet_begin(&q, debug);
	file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
	if (file < 0) {
		qk_fail(err, "weights file '%s' cannot be opened as HDF5",
			path);
		goto out;
	}
	if (!model->keras_version &&
	    qk_h5_read_string_attr(file, "keras_version", &version, err) == 0) {
		model->keras_version = version;
		version = NULL;
	}
	if (H5Lexists(file, "model_weights", H5P_DEFAULT) > 0)
		group = H5Gopen2(file, "model_weights", H5P_DEFAULT);
	else
		group = H5Gopen2(file, "/", H5P_DEFAULT);
	if (group < 0) {
		qk_fail(err, "weights file '%s' has no weights group", path);
		goto out;
	}
	if (qk_h5_attach_weights(model, group, 0, err)) {
		char reason[QK_ERR_MAX];

		snprintf(reason, sizeof(reason), "%s", err->msg);
		qk_fail(err, "%s (in weights file '%s')", reason, path);
		goto out;
	}
	rc = 0;
out:
	free(version);
	if (group >= 0)
		H5Gclose(group);
	if (file >= 0)
		H5Fclose(file);
	quiet_end(&q);
	return rc;
}

struct qk_model *qk_load_json(const char *path, const char *weights_path,
			      int debug, struct qk_err *err)
{
	size_t len;
	char *text = qk_read_file(path, QK_MAX_CONFIG_BYTES, &len, err);
	struct qk_model *model = NULL;
	char *weights = NULL;
	FILE *probe;

	if (!text)
		return NULL;
	if (strlen(text) != len) {
		qk_fail(err, "model config contains a NUL byte");
		goto fail;
	}
	model = model_from_text(text, err);
	if (!model)
		goto fail;
	model->format = QK_FORMAT_JSON;
	weights = weights_path ? qk_strdup(weights_path) : weights_beside(path);
	if (!weights) {
		qk_fail(err, "out of memory");
		goto fail;
	}
	probe = fopen(weights, "rb");
	if (!probe && weights_path) {
		qk_fail(err, "weights file '%s' cannot be opened: %s", weights,
			strerror(errno));
		goto fail;
	}
	if (!probe) {
		qk_fail(err, "weights file '%s' not found beside the JSON; pass "
			"--weights FILE", weights);
		goto fail;
	}
	fclose(probe);
	if (attach_weights_file(model, weights, debug, err))
		goto fail;
	model->weights_path = weights;
	free(text);
	return model;
fail:
	free(weights);
	free(text);
	qk_model_free(model);
	return NULL;
}

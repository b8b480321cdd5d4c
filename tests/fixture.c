#include "fixture.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <hdf5.h>
#include <zip.h>

#define KERAS2_VERSION "2.4.0"
#define KERAS3_VERSION "3.14.1"

/* Bytes of an archive member. libzip reads them only at zip_close. */
struct zip_blob {
	void *data;
	size_t len;
};

static int is_keras3(const struct qk_fixture *fx)
{
	return fx->style == QK_FIXTURE_SEQUENTIAL3 ||
	       fx->style == QK_FIXTURE_FUNCTIONAL3;
}

static int is_functional(const struct qk_fixture *fx)
{
	return fx->style == QK_FIXTURE_FUNCTIONAL ||
	       fx->style == QK_FIXTURE_FUNCTIONAL3;
}

static char *dup_text(const char *s)
{
	char *copy;

	if (!s)
		return NULL;
	copy = malloc(strlen(s) + 1);
	if (copy)
		strcpy(copy, s);
	return copy;
}

static cJSON *layers_of(const struct qk_fixture *fx)
{
	cJSON *config = cJSON_GetObjectItemCaseSensitive(fx->root, "config");

	return cJSON_GetObjectItemCaseSensitive(config, "layers");
}

struct qk_fixture *qk_fixture_new(enum qk_fixture_style style,
				  const char *name)
{
	struct qk_fixture *fx = calloc(1, sizeof(*fx));
	cJSON *config;
	int ok;

	if (!fx)
		return NULL;
	fx->style = style;
	fx->root = cJSON_CreateObject();
	config = cJSON_CreateObject();
	if (!fx->root || !config) {
		cJSON_Delete(config);
		qk_fixture_free(fx);
		return NULL;
	}
	if (is_keras3(fx))
		cJSON_AddStringToObject(fx->root, "module",
					is_functional(fx) ?
					"keras.src.models.functional" :
					"keras");
	cJSON_AddStringToObject(fx->root, "class_name",
				is_functional(fx) ? "Functional" :
				"Sequential");
	cJSON_AddItemToObject(fx->root, "config", config);
	cJSON_AddStringToObject(config, "name", name);
	cJSON_AddBoolToObject(config, "trainable", 1);
	ok = cJSON_AddArrayToObject(config, "layers") != NULL;
	if (is_functional(fx)) {
		ok = ok && cJSON_AddArrayToObject(config, "input_layers");
		ok = ok && cJSON_AddArrayToObject(config, "output_layers");
	}
	if (is_keras3(fx)) {
		if (is_functional(fx))
			cJSON_AddStringToObject(fx->root, "registered_name",
						"Functional");
		else
			cJSON_AddNullToObject(fx->root, "registered_name");
	} else {
		cJSON_AddStringToObject(fx->root, "keras_version",
					KERAS2_VERSION);
		cJSON_AddStringToObject(fx->root, "backend", "tensorflow");
	}
	if (!ok) {
		qk_fixture_free(fx);
		return NULL;
	}
	return fx;
}

static void tensor_release(struct qk_fixture_tensor *t)
{
	free(t->layer);
	free(t->sublayer);
	free(t->name);
	free(t->weight_name);
	free(t->data);
}

void qk_fixture_free(struct qk_fixture *fx)
{
	size_t i;

	if (!fx)
		return;
	for (i = 0; i < fx->n_tensors; i++)
		tensor_release(&fx->tensors[i]);
	free(fx->tensors);
	cJSON_Delete(fx->root);
	free(fx);
}

/* Splits "fc:1:0" into a layer name and node and tensor indices. */
static int parse_ref(const char *ref, char *name, size_t size, int *node,
		     int *tensor)
{
	const char *colon = strchr(ref, ':');
	size_t len = colon ? (size_t)(colon - ref) : strlen(ref);

	if (len >= size)
		return -1;
	memcpy(name, ref, len);
	name[len] = '\0';
	*node = 0;
	*tensor = 0;
	if (colon && sscanf(colon, ":%d:%d", node, tensor) < 1)
		return -1;
	return 0;
}

/* The Keras 3 form of one input: a serialized KerasTensor. */
static cJSON *keras3_tensor(const char *name, int node, int tensor)
{
	cJSON *item = cJSON_CreateObject();
	cJSON *config = cJSON_CreateObject();
	cJSON *shape = cJSON_CreateArray();
	cJSON *history = cJSON_CreateArray();

	if (!item || !config || !shape || !history) {
		cJSON_Delete(item);
		cJSON_Delete(config);
		cJSON_Delete(shape);
		cJSON_Delete(history);
		return NULL;
	}
	cJSON_AddStringToObject(item, "class_name", "__keras_tensor__");
	cJSON_AddItemToObject(item, "config", config);
	cJSON_AddItemToArray(shape, cJSON_CreateNull());
	cJSON_AddItemToObject(config, "shape", shape);
	cJSON_AddStringToObject(config, "dtype", "float32");
	cJSON_AddItemToArray(history, cJSON_CreateString(name));
	cJSON_AddItemToArray(history, cJSON_CreateNumber(node));
	cJSON_AddItemToArray(history, cJSON_CreateNumber(tensor));
	cJSON_AddItemToObject(config, "keras_history", history);
	return item;
}

static cJSON *keras2_node(const char *const *inbound)
{
	cJSON *node = cJSON_CreateArray();
	char name[256];
	int n, t;

	if (!node)
		return NULL;
	for (; inbound && *inbound; inbound++) {
		cJSON *entry = cJSON_CreateArray();

		if (!entry || parse_ref(*inbound, name, sizeof(name), &n, &t)) {
			cJSON_Delete(entry);
			cJSON_Delete(node);
			return NULL;
		}
		cJSON_AddItemToArray(entry, cJSON_CreateString(name));
		cJSON_AddItemToArray(entry, cJSON_CreateNumber(n));
		cJSON_AddItemToArray(entry, cJSON_CreateNumber(t));
		cJSON_AddItemToArray(entry, cJSON_CreateObject());
		cJSON_AddItemToArray(node, entry);
	}
	return node;
}

/*
 * Keras 3 puts a single input directly in args and several inputs as one
 * list in args[0], as a merge layer's call receives them.
 */
static cJSON *keras3_node(const char *const *inbound)
{
	cJSON *node = cJSON_CreateObject();
	cJSON *args = cJSON_CreateArray();
	cJSON *list = args;
	char name[256];
	size_t count = 0;
	int n, t;

	if (!node || !args) {
		cJSON_Delete(node);
		cJSON_Delete(args);
		return NULL;
	}
	cJSON_AddItemToObject(node, "args", args);
	cJSON_AddItemToObject(node, "kwargs", cJSON_CreateObject());
	while (inbound && inbound[count])
		count++;
	if (count > 1) {
		list = cJSON_CreateArray();
		if (!list) {
			cJSON_Delete(node);
			return NULL;
		}
		cJSON_AddItemToArray(args, list);
	}
	for (; inbound && *inbound; inbound++) {
		cJSON *tensor;

		if (parse_ref(*inbound, name, sizeof(name), &n, &t)) {
			cJSON_Delete(node);
			return NULL;
		}
		tensor = keras3_tensor(name, n, t);
		if (!tensor) {
			cJSON_Delete(node);
			return NULL;
		}
		cJSON_AddItemToArray(list, tensor);
	}
	return node;
}

static cJSON *find_layer(const struct qk_fixture *fx, const char *name)
{
	cJSON *layer;

	cJSON_ArrayForEach(layer, layers_of(fx)) {
		cJSON *config = cJSON_GetObjectItemCaseSensitive(layer,
								 "config");
		cJSON *lname = cJSON_GetObjectItemCaseSensitive(config, "name");

		if (cJSON_IsString(lname) && !strcmp(lname->valuestring, name))
			return layer;
	}
	return NULL;
}

int qk_fixture_node(struct qk_fixture *fx, const char *name,
		    const char *const *inbound)
{
	cJSON *layer = find_layer(fx, name);
	cJSON *nodes = cJSON_GetObjectItemCaseSensitive(layer, "inbound_nodes");
	cJSON *node;

	if (!cJSON_IsArray(nodes))
		return -1;
	node = is_keras3(fx) ? keras3_node(inbound) : keras2_node(inbound);
	if (!node)
		return -1;
	cJSON_AddItemToArray(nodes, node);
	return 0;
}

/* Module and registered name as Keras 3 writes them for a class. */
static void add_keras3_origin(cJSON *layer, const char *class_name)
{
	char registered[128];

	if (class_name[0] == 'Q' && isupper((unsigned char)class_name[1])) {
		snprintf(registered, sizeof(registered), "qkeras>%s",
			 class_name);
		cJSON_AddStringToObject(layer, "module", "qkeras.qlayers");
		cJSON_AddStringToObject(layer, "registered_name", registered);
	} else {
		cJSON_AddStringToObject(layer, "module", "keras.layers");
		cJSON_AddNullToObject(layer, "registered_name");
	}
}

/* Builds one layer entry around config (consumed). */
static cJSON *layer_entry(struct qk_fixture *fx, const char *class_name,
			  const char *name, cJSON *config,
			  const char *const *inbound)
{
	cJSON *layer = cJSON_CreateObject();

	if (!layer) {
		cJSON_Delete(config);
		return NULL;
	}
	if (is_keras3(fx))
		add_keras3_origin(layer, class_name);
	cJSON_AddStringToObject(layer, "class_name", class_name);
	cJSON_AddItemToObject(layer, "config", config);
	if (is_functional(fx)) {
		cJSON *nodes = cJSON_AddArrayToObject(layer, "inbound_nodes");

		cJSON_AddStringToObject(layer, "name", name);
		if (!nodes) {
			cJSON_Delete(layer);
			return NULL;
		}
	}
	if (!cJSON_AddItemToArray(layers_of(fx), layer)) {
		cJSON_Delete(layer);
		return NULL;
	}
	if (is_functional(fx) && inbound && *inbound &&
	    qk_fixture_node(fx, name, inbound))
		return NULL;
	return layer;
}

cJSON *qk_fixture_layer(struct qk_fixture *fx, const char *class_name,
			const char *name, const char *config_text,
			const char *const *inbound)
{
	cJSON *config;

	config = config_text ? cJSON_Parse(config_text) : cJSON_CreateObject();
	if (!cJSON_IsObject(config)) {
		cJSON_Delete(config);
		return NULL;
	}
	cJSON_DeleteItemFromObjectCaseSensitive(config, "name");
	cJSON_AddItemToObject(config, "name", cJSON_CreateString(name));
	cJSON_AddBoolToObject(config, "trainable", 1);
	if (!cJSON_HasObjectItem(config, "dtype"))
		cJSON_AddStringToObject(config, "dtype", "float32");
	return layer_entry(fx, class_name, name, config, inbound);
}

static int add_io_ref(struct qk_fixture *fx, const char *key,
		      const char *name)
{
	cJSON *config = cJSON_GetObjectItemCaseSensitive(fx->root, "config");
	cJSON *list = cJSON_GetObjectItemCaseSensitive(config, key);
	cJSON *ref = cJSON_CreateArray();
	char lname[256];
	int n, t;

	if (!ref || !list || parse_ref(name, lname, sizeof(lname), &n, &t)) {
		cJSON_Delete(ref);
		return -1;
	}
	cJSON_AddItemToArray(ref, cJSON_CreateString(lname));
	cJSON_AddItemToArray(ref, cJSON_CreateNumber(n));
	cJSON_AddItemToArray(ref, cJSON_CreateNumber(t));
	cJSON_AddItemToArray(list, ref);
	return 0;
}

cJSON *qk_fixture_input(struct qk_fixture *fx, const char *name, int rank,
			const int64_t *shape)
{
	cJSON *config = cJSON_CreateObject();
	cJSON *dims = cJSON_CreateArray();
	int i;

	if (!config || !dims) {
		cJSON_Delete(config);
		cJSON_Delete(dims);
		return NULL;
	}
	cJSON_AddItemToArray(dims, cJSON_CreateNull());
	for (i = 0; i < rank; i++)
		cJSON_AddItemToArray(dims, cJSON_CreateNumber((double)shape[i]));
	cJSON_AddItemToObject(config,
			      is_keras3(fx) ? "batch_shape" :
			      "batch_input_shape", dims);
	cJSON_AddStringToObject(config, "dtype", "float32");
	cJSON_AddBoolToObject(config, "sparse", 0);
	if (!is_keras3(fx))
		cJSON_AddBoolToObject(config, "ragged", 0);
	cJSON_AddStringToObject(config, "name", name);
	if (is_functional(fx) && add_io_ref(fx, "input_layers", name)) {
		cJSON_Delete(config);
		return NULL;
	}
	return layer_entry(fx, "InputLayer", name, config, NULL);
}

int qk_fixture_outputs(struct qk_fixture *fx, const char *const *names)
{
	cJSON *config = cJSON_GetObjectItemCaseSensitive(fx->root, "config");

	cJSON_DeleteItemFromObjectCaseSensitive(config, "output_layers");
	if (!cJSON_AddArrayToObject(config, "output_layers"))
		return -1;
	for (; names && *names; names++)
		if (add_io_ref(fx, "output_layers", *names))
			return -1;
	return 0;
}

static int grow_tensors(struct qk_fixture *fx)
{
	struct qk_fixture_tensor *grown;

	grown = realloc(fx->tensors, (fx->n_tensors + 1) * sizeof(*grown));
	if (!grown)
		return -1;
	fx->tensors = grown;
	memset(&fx->tensors[fx->n_tensors], 0, sizeof(*grown));
	return 0;
}

cJSON *qk_fixture_nest(struct qk_fixture *fx, struct qk_fixture *inner,
		       const char *const *inbound)
{
	cJSON *config = cJSON_DetachItemFromObjectCaseSensitive(inner->root,
								"config");
	cJSON *name = cJSON_GetObjectItemCaseSensitive(config, "name");
	char *lname = cJSON_IsString(name) ? dup_text(name->valuestring) : NULL;
	cJSON *layer = NULL;
	size_t i;

	if (!lname || !is_functional(fx))
		goto out;
	layer = layer_entry(fx, "Functional", lname, config, inbound);
	config = NULL;
	if (!layer)
		goto out;
	if (is_keras3(fx)) {
		cJSON_ReplaceItemInObjectCaseSensitive(
			layer, "module",
			cJSON_CreateString("keras.src.models.functional"));
		cJSON_ReplaceItemInObjectCaseSensitive(
			layer, "registered_name",
			cJSON_CreateString("Functional"));
	}
	for (i = 0; i < inner->n_tensors; i++) {
		struct qk_fixture_tensor *t = &inner->tensors[i];

		if (grow_tensors(fx)) {
			layer = NULL;
			goto out;
		}
		fx->tensors[fx->n_tensors] = *t;
		fx->tensors[fx->n_tensors].sublayer = t->layer;
		fx->tensors[fx->n_tensors].layer = dup_text(lname);
		memset(t, 0, sizeof(*t));
		fx->n_tensors++;
	}
out:
	cJSON_Delete(config);
	free(lname);
	qk_fixture_free(inner);
	return layer;
}

double qk_fixture_pattern(size_t i)
{
	return (double)((int)((i * 37 + 11) % 64) - 32) / 64.0;
}

struct qk_fixture_tensor *qk_fixture_weight(struct qk_fixture *fx,
					    const char *layer,
					    const char *name, int rank,
					    const uint64_t *shape,
					    const double *data)
{
	struct qk_fixture_tensor *t;
	size_t count = 1, i;
	char weight_name[512];

	if (rank < 0 || rank > QK_FIXTURE_MAX_RANK || grow_tensors(fx))
		return NULL;
	t = &fx->tensors[fx->n_tensors];
	for (i = 0; i < (size_t)rank; i++) {
		t->shape[i] = shape[i];
		count *= shape[i];
	}
	t->rank = rank;
	t->count = count;
	t->dtype = QK_FIXTURE_F32;
	snprintf(weight_name, sizeof(weight_name), "%s/%s:0", layer, name);
	t->layer = dup_text(layer);
	t->name = dup_text(name);
	t->weight_name = dup_text(weight_name);
	t->data = calloc(count ? count : 1, sizeof(double));
	if (!t->layer || !t->name || !t->weight_name || !t->data) {
		tensor_release(t);
		return NULL;
	}
	for (i = 0; i < count; i++)
		t->data[i] = data ? data[i] : qk_fixture_pattern(i);
	fx->n_tensors++;
	return t;
}

cJSON *qk_fixture_dense(struct qk_fixture *fx, const char *name,
			int64_t fan_in, int64_t units, const char *kq,
			const char *bq, const char *activation,
			const char *const *inbound)
{
	uint64_t kshape[2] = { (uint64_t)fan_in, (uint64_t)units };
	uint64_t bshape[1] = { (uint64_t)units };
	char *text;
	cJSON *layer;
	int quantized = kq || bq;

	text = malloc(256 + (kq ? strlen(kq) : 4) + (bq ? strlen(bq) : 4) +
		      strlen(activation));
	if (!text)
		return NULL;
	sprintf(text,
		"{\"units\": %lld, \"activation\": %s, \"use_bias\": true, "
		"\"kernel_regularizer\": null, \"bias_constraint\": null",
		(long long)units, activation);
	if (quantized)
		sprintf(text + strlen(text),
			", \"kernel_quantizer\": %s, \"bias_quantizer\": %s, "
			"\"kernel_range\": null, \"bias_range\": null",
			kq ? kq : "null", bq ? bq : "null");
	strcat(text, "}");
	layer = qk_fixture_layer(fx, quantized ? "QDense" : "Dense", name, text,
				 inbound);
	free(text);
	if (!layer || !qk_fixture_weight(fx, name, "kernel", 2, kshape, NULL) ||
	    !qk_fixture_weight(fx, name, "bias", 1, bshape, NULL))
		return NULL;
	return layer;
}

cJSON *qk_fixture_qactivation(struct qk_fixture *fx, const char *name,
			      const char *quantizer,
			      const char *const *inbound)
{
	char *text = malloc(32 + strlen(quantizer));
	cJSON *layer;

	if (!text)
		return NULL;
	sprintf(text, "{\"activation\": %s}", quantizer);
	layer = qk_fixture_layer(fx, "QActivation", name, text, inbound);
	free(text);
	return layer;
}

char *qk_fixture_quantizer_dict(const char *class_name,
				const char *config_text)
{
	size_t len = strlen(class_name) + strlen(config_text) + 64;
	char *text = malloc(len);

	if (text)
		snprintf(text, len,
			 "{\"class_name\": \"%s\", \"config\": %s}",
			 class_name, config_text);
	return text;
}

char *qk_fixture_config_text(const struct qk_fixture *fx)
{
	return cJSON_Print(fx->root);
}

/* ---- HDF5 ---- */

static hid_t create_plist(hid_t cls)
{
	hid_t plist = H5Pcreate(cls);

	/* No timestamps, so the same fixture always gives the same bytes. */
	if (plist >= 0 && cls != H5P_LINK_CREATE)
		H5Pset_obj_track_times(plist, 0);
	if (plist >= 0 && cls == H5P_LINK_CREATE)
		H5Pset_create_intermediate_group(plist, 1);
	return plist;
}

static hid_t create_group(hid_t loc, const char *name)
{
	hid_t lcpl = create_plist(H5P_LINK_CREATE);
	hid_t gcpl = create_plist(H5P_GROUP_CREATE);
	hid_t group = H5Gcreate2(loc, name, lcpl, gcpl, H5P_DEFAULT);

	H5Pclose(gcpl);
	H5Pclose(lcpl);
	return group;
}

static int write_string_attr(hid_t loc, const char *name, const char *value,
			     int utf8)
{
	hid_t type = H5Tcopy(H5T_C_S1);
	hid_t space = H5Screate(H5S_SCALAR);
	hid_t attr = -1;
	int rc = -1;

	if (type < 0 || space < 0 || H5Tset_size(type, H5T_VARIABLE) < 0)
		goto out;
	if (utf8 && H5Tset_cset(type, H5T_CSET_UTF8) < 0)
		goto out;
	attr = H5Acreate2(loc, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
	if (attr >= 0 && H5Awrite(attr, type, &value) >= 0)
		rc = 0;
out:
	if (attr >= 0)
		H5Aclose(attr);
	if (space >= 0)
		H5Sclose(space);
	if (type >= 0)
		H5Tclose(type);
	return rc;
}

/*
 * Writes a list of names the way h5py stores a numpy array of bytes: a
 * fixed-length, null-padded string array (Keras 2's layer_names and
 * weight_names), or variable-length strings with vlen set. An empty list
 * is an empty float64 array, as h5py writes np.array([]).
 */
static int write_names_attr(hid_t loc, const char *name,
			    const char *const *names, size_t n, int vlen)
{
	hsize_t dims[1] = { n };
	hid_t type = -1, space = -1, attr = -1;
	size_t width = 1, i;
	char *buf = NULL;
	int rc = -1;

	space = H5Screate_simple(1, dims, NULL);
	if (space < 0)
		goto out;
	if (n == 0) {
		attr = H5Acreate2(loc, name, H5T_IEEE_F64LE, space,
				  H5P_DEFAULT, H5P_DEFAULT);
		rc = attr >= 0 ? 0 : -1;
		goto out;
	}
	type = H5Tcopy(H5T_C_S1);
	if (type < 0)
		goto out;
	for (i = 0; i < n; i++)
		if (strlen(names[i]) > width)
			width = strlen(names[i]);
	if (vlen) {
		if (H5Tset_size(type, H5T_VARIABLE) < 0)
			goto out;
	} else if (H5Tset_size(type, width) < 0 ||
		   H5Tset_strpad(type, H5T_STR_NULLPAD) < 0) {
		goto out;
	}
	attr = H5Acreate2(loc, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
	if (attr < 0)
		goto out;
	if (vlen) {
		rc = H5Awrite(attr, type, names) >= 0 ? 0 : -1;
		goto out;
	}
	buf = calloc(n, width);
	if (!buf)
		goto out;
	for (i = 0; i < n; i++)
		memcpy(buf + i * width, names[i], strlen(names[i]));
	rc = H5Awrite(attr, type, buf) >= 0 ? 0 : -1;
out:
	free(buf);
	if (attr >= 0)
		H5Aclose(attr);
	if (type >= 0)
		H5Tclose(type);
	if (space >= 0)
		H5Sclose(space);
	return rc;
}

static hid_t file_type(enum qk_fixture_dtype dtype)
{
	switch (dtype) {
	case QK_FIXTURE_F64:
		return H5T_IEEE_F64LE;
	case QK_FIXTURE_I8:
		return H5T_STD_I8LE;
	case QK_FIXTURE_I32:
		return H5T_STD_I32LE;
	case QK_FIXTURE_F32:
	default:
		return H5T_IEEE_F32LE;
	}
}

/* Converts in C, so NaN and infinities reach the file unchanged. */
static void *memory_values(const struct qk_fixture_tensor *t, hid_t *mtype)
{
	size_t n = t->count ? t->count : 1, i;
	double *g;
	float *f;
	signed char *c;
	int *d;

	switch (t->dtype) {
	case QK_FIXTURE_F64:
		*mtype = H5T_NATIVE_DOUBLE;
		g = malloc(n * sizeof(double));
		if (g)
			memcpy(g, t->data, t->count * sizeof(double));
		return g;
	case QK_FIXTURE_I8:
		*mtype = H5T_NATIVE_SCHAR;
		c = malloc(n);
		for (i = 0; c && i < t->count; i++)
			c[i] = (signed char)t->data[i];
		return c;
	case QK_FIXTURE_I32:
		*mtype = H5T_NATIVE_INT;
		d = malloc(n * sizeof(int));
		for (i = 0; d && i < t->count; i++)
			d[i] = (int)t->data[i];
		return d;
	case QK_FIXTURE_F32:
	default:
		*mtype = H5T_NATIVE_FLOAT;
		f = malloc(n * sizeof(float));
		for (i = 0; f && i < t->count; i++)
			f[i] = (float)t->data[i];
		return f;
	}
}

static int write_tensor(hid_t group, const struct qk_fixture_tensor *t)
{
	hsize_t dims[QK_FIXTURE_MAX_RANK];
	hid_t space, dset = -1, lcpl, dcpl, mtype;
	void *values;
	int i, rc = -1;

	for (i = 0; i < t->rank; i++)
		dims[i] = t->shape[i];
	space = t->rank ? H5Screate_simple(t->rank, dims, NULL) :
		H5Screate(H5S_SCALAR);
	values = memory_values(t, &mtype);
	lcpl = create_plist(H5P_LINK_CREATE);
	dcpl = create_plist(H5P_DATASET_CREATE);
	if (space >= 0 && values && lcpl >= 0 && dcpl >= 0)
		dset = H5Dcreate2(group, t->weight_name, file_type(t->dtype),
				  space, lcpl, dcpl, H5P_DEFAULT);
	if (dset >= 0 && H5Dwrite(dset, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT,
				  values) >= 0)
		rc = 0;
	if (dset >= 0)
		H5Dclose(dset);
	if (dcpl >= 0)
		H5Pclose(dcpl);
	if (lcpl >= 0)
		H5Pclose(lcpl);
	if (space >= 0)
		H5Sclose(space);
	free(values);
	return rc;
}

static const char *layer_name(const cJSON *layer)
{
	const cJSON *config = cJSON_GetObjectItemCaseSensitive(layer, "config");
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(layer, "name");

	if (!cJSON_IsString(name))
		name = cJSON_GetObjectItemCaseSensitive(config, "name");
	return cJSON_IsString(name) ? name->valuestring : NULL;
}

static const char *class_of(const cJSON *layer)
{
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(layer,
							     "class_name");

	return cJSON_IsString(name) ? name->valuestring : "";
}

/* One group per layer with its weight_names and datasets. */
static int write_layer_group(hid_t loc, const struct qk_fixture *fx,
			     const char *name,
			     const struct qk_fixture_options *options)
{
	const char **names = calloc(fx->n_tensors + 1, sizeof(*names));
	size_t n = 0, i;
	hid_t group;
	int rc = -1;

	group = create_group(loc, name);
	if (!names || group < 0)
		goto out;
	for (i = 0; i < fx->n_tensors; i++)
		if (!strcmp(fx->tensors[i].layer, name))
			names[n++] = fx->tensors[i].weight_name;
	if (write_names_attr(group, "weight_names", names, n,
			     options->vlen_names))
		goto out;
	for (i = 0; i < fx->n_tensors; i++) {
		if (strcmp(fx->tensors[i].layer, name) ||
		    options->skip_tensor == (int)i + 1)
			continue;
		if (write_tensor(group, &fx->tensors[i]))
			goto out;
	}
	rc = 0;
out:
	if (group >= 0)
		H5Gclose(group);
	free(names);
	return rc;
}

/*
 * The save_weights() layout: keras_version, backend and layer_names on
 * loc, then the layer groups. A Sequential model's InputLayer is not one
 * of its layers, so Keras 2 lists it only for functional models.
 */
static int write_weight_groups(hid_t loc, const struct qk_fixture *fx,
			       const struct qk_fixture_options *options)
{
	const cJSON *layers = layers_of(fx);
	const char **names;
	const cJSON *layer;
	size_t n = 0, i;
	int rc = -1;

	names = calloc((size_t)cJSON_GetArraySize(layers) + 1, sizeof(*names));
	if (!names)
		return -1;
	cJSON_ArrayForEach(layer, layers) {
		if (!is_functional(fx) && !strcmp(class_of(layer), "InputLayer"))
			continue;
		if (layer_name(layer))
			names[n++] = layer_name(layer);
	}
	if (write_string_attr(loc, "backend", "tensorflow", 0) ||
	    write_string_attr(loc, "keras_version", KERAS2_VERSION, 0) ||
	    write_names_attr(loc, "layer_names", names, n,
			     options->vlen_names))
		goto out;
	for (i = 0; i < n; i++)
		if (write_layer_group(loc, fx, names[i], options))
			goto out;
	rc = 0;
out:
	free(names);
	return rc;
}

static hid_t create_file(const char *path)
{
	hid_t fcpl = create_plist(H5P_FILE_CREATE);
	hid_t file = H5Fcreate(path, H5F_ACC_TRUNC, fcpl, H5P_DEFAULT);

	H5Pclose(fcpl);
	return file;
}

static const struct qk_fixture_options default_options;

static char *config_or_override(const struct qk_fixture *fx,
				const struct qk_fixture_options *options)
{
	if (options->config_text)
		return dup_text(options->config_text);
	return cJSON_PrintUnformatted(fx->root);
}

int qk_fixture_write_h5(const struct qk_fixture *fx, const char *path,
			const struct qk_fixture_options *options)
{
	hid_t file, weights = -1;
	char *config = NULL;
	int rc = -1;

	if (!options)
		options = &default_options;
	file = create_file(path);
	if (file < 0)
		return -1;
	if (write_string_attr(file, "backend", "tensorflow", 1) ||
	    write_string_attr(file, "keras_version", KERAS2_VERSION, 1))
		goto out;
	if (!options->no_model_config) {
		config = config_or_override(fx, options);
		if (!config ||
		    write_string_attr(file, "model_config", config, 0))
			goto out;
	}
	if (!options->no_model_weights) {
		weights = create_group(file, "model_weights");
		if (weights < 0 || write_weight_groups(weights, fx, options))
			goto out;
	}
	rc = 0;
out:
	if (weights >= 0)
		H5Gclose(weights);
	H5Fclose(file);
	cJSON_free(config);
	return rc;
}

int qk_fixture_write_weights_h5(const struct qk_fixture *fx,
				const char *path,
				const struct qk_fixture_options *options)
{
	hid_t file;
	int rc;

	if (!options)
		options = &default_options;
	file = create_file(path);
	if (file < 0)
		return -1;
	rc = write_weight_groups(file, fx, options);
	if (H5Fclose(file) < 0)
		rc = -1;
	return rc;
}

int qk_fixture_write_plain_h5(const char *path)
{
	struct qk_fixture_tensor t = { 0 };
	double values[4] = { 1, 2, 3, 4 };
	hid_t file = create_file(path);
	int rc;

	if (file < 0)
		return -1;
	t.weight_name = "data";
	t.rank = 1;
	t.shape[0] = 4;
	t.count = 4;
	t.data = values;
	rc = write_tensor(file, &t);
	if (H5Fclose(file) < 0)
		rc = -1;
	return rc;
}

int qk_fixture_write_json(const struct qk_fixture *fx, const char *json_path,
			  const char *weights_path,
			  const struct qk_fixture_options *options)
{
	char *text;
	int rc;

	if (!options)
		options = &default_options;
	text = options->config_text ? dup_text(options->config_text) :
	       cJSON_Print(fx->root);
	if (!text)
		return -1;
	rc = qk_fixture_write_text(json_path, text);
	cJSON_free(text);
	if (rc == 0 && weights_path)
		rc = qk_fixture_write_weights_h5(fx, weights_path, options);
	return rc;
}

/* ---- Keras 3 archive ---- */

/* Keras 3's naming.to_snake_case: "QDense" -> "q_dense". */
static void snake_case(const char *name, char *out, size_t size)
{
	size_t len = strlen(name), i, o = 0;

	for (i = 0; i < len && o + 2 < size; i++) {
		unsigned char c = (unsigned char)name[i];
		unsigned char prev = i ? (unsigned char)name[i - 1] : 0;
		unsigned char next = (unsigned char)name[i + 1];

		if (i && isupper(c) && (islower(next) || islower(prev)))
			out[o++] = '_';
		out[o++] = (char)tolower(c);
	}
	out[o] = '\0';
}

/* Picks the group name Keras 3 gives the n-th layer of a class. */
static void unique_group(const char *cls, char used[][64], size_t n_used,
			 char out[64])
{
	char base[40];
	size_t i, count = 0;

	snake_case(cls, base, sizeof(base));
	snprintf(out, 64, "%s", base);
	for (;;) {
		int taken = 0;

		for (i = 0; i < n_used; i++)
			if (!strcmp(used[i], out))
				taken = 1;
		if (!taken)
			return;
		snprintf(out, 64, "%s_%zu", base, ++count);
	}
}

static int write_vars(hid_t loc, const struct qk_fixture *fx,
		      const char *layer, const char *sublayer,
		      const char *label,
		      const struct qk_fixture_options *options)
{
	hid_t vars = create_group(loc, "vars");
	size_t i, index = 0;
	int rc = -1;

	if (vars < 0)
		return -1;
	if (write_string_attr(vars, "name", label, 1))
		goto out;
	for (i = 0; i < fx->n_tensors; i++) {
		struct qk_fixture_tensor t = fx->tensors[i];
		char number[32];

		if (!layer || strcmp(t.layer, layer))
			continue;
		if ((sublayer == NULL) != (t.sublayer == NULL) ||
		    (sublayer && strcmp(sublayer, t.sublayer)))
			continue;
		snprintf(number, sizeof(number), "%zu", index++);
		if (options->skip_tensor == (int)i + 1)
			continue;
		t.weight_name = number;
		if (write_tensor(vars, &t))
			goto out;
	}
	rc = 0;
out:
	H5Gclose(vars);
	return rc;
}

/* Writes layers/<group>/vars for each layer of a (possibly nested) list. */
static int write_keras3_layers(hid_t loc, const struct qk_fixture *fx,
			       const cJSON *layers, const char *outer,
			       const struct qk_fixture_options *options)
{
	char (*used)[64];
	size_t n_used = 0;
	const cJSON *layer;
	hid_t group;
	int rc = -1;

	used = calloc((size_t)cJSON_GetArraySize(layers) + 1, sizeof(*used));
	group = create_group(loc, "layers");
	if (!used || group < 0)
		goto out;
	cJSON_ArrayForEach(layer, layers) {
		const char *name = layer_name(layer);
		hid_t sub;
		int failed;

		if (!name || !strcmp(class_of(layer), "InputLayer"))
			continue;
		unique_group(class_of(layer), used, n_used, used[n_used]);
		sub = create_group(group, used[n_used++]);
		if (sub < 0)
			goto out;
		if (!strcmp(class_of(layer), "Functional") && !outer) {
			const cJSON *config;

			config = cJSON_GetObjectItemCaseSensitive(layer,
								  "config");
			failed = write_keras3_layers(
					 sub, fx,
					 cJSON_GetObjectItemCaseSensitive(
						 config, "layers"),
					 name, options) ||
				 write_vars(sub, fx, NULL, NULL, name, options);
		} else {
			failed = write_vars(sub, fx, outer ? outer : name,
					    outer ? name : NULL, name, options);
		}
		H5Gclose(sub);
		if (failed)
			goto out;
	}
	rc = 0;
out:
	if (group >= 0)
		H5Gclose(group);
	free(used);
	return rc;
}

/* Builds model.weights.h5 in memory with HDF5's core driver. */
static int keras3_weights_image(const struct qk_fixture *fx,
				const struct qk_fixture_options *options,
				struct zip_blob *blob)
{
	const cJSON *config = cJSON_GetObjectItemCaseSensitive(fx->root,
							       "config");
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(config, "name");
	hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
	hid_t fcpl = create_plist(H5P_FILE_CREATE);
	hid_t file = -1;
	ssize_t size;
	int rc = -1;

	if (fapl < 0 || fcpl < 0 || H5Pset_fapl_core(fapl, 65536, 0) < 0)
		goto out;
	file = H5Fcreate("model.weights.h5", H5F_ACC_TRUNC, fcpl, fapl);
	if (file < 0)
		goto out;
	if (write_keras3_layers(file, fx, layers_of(fx), NULL, options) ||
	    write_vars(file, fx, NULL, NULL,
		       cJSON_IsString(name) ? name->valuestring : "model",
		       options))
		goto out;
	if (H5Fflush(file, H5F_SCOPE_GLOBAL) < 0)
		goto out;
	size = H5Fget_file_image(file, NULL, 0);
	if (size <= 0)
		goto out;
	blob->data = malloc((size_t)size);
	if (!blob->data)
		goto out;
	blob->len = (size_t)size;
	if (H5Fget_file_image(file, blob->data, blob->len) != size)
		goto out;
	rc = 0;
out:
	if (file >= 0)
		H5Fclose(file);
	if (fcpl >= 0)
		H5Pclose(fcpl);
	if (fapl >= 0)
		H5Pclose(fapl);
	return rc;
}

/* Adds a stored member dated 1980-01-01, as Keras 3 writes its members. */
static int zip_add_stored(zip_t *zip, const char *name, const void *data,
			  size_t len)
{
	zip_source_t *source = zip_source_buffer(zip, data, len, 0);
	zip_int64_t index;

	if (!source)
		return -1;
	index = zip_file_add(zip, name, source, ZIP_FL_OVERWRITE);
	if (index < 0) {
		zip_source_free(source);
		return -1;
	}
	if (zip_set_file_compression(zip, (zip_uint64_t)index, ZIP_CM_STORE,
				     0) < 0)
		return -1;
	return zip_file_set_mtime(zip, (zip_uint64_t)index, 315532800, 0);
}

int qk_fixture_write_keras(const struct qk_fixture *fx, const char *path,
			   const struct qk_fixture_options *options)
{
	static const char metadata[] =
		"{\"keras_version\": \"" KERAS3_VERSION "\", "
		"\"date_saved\": \"2026-01-01@00:00:00\"}";
	struct zip_blob weights = { NULL, 0 };
	char *config = NULL;
	zip_t *zip;
	int error = 0, rc = -1;

	if (!options)
		options = &default_options;
	zip = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &error);
	if (!zip)
		return -1;
	if (!options->no_metadata_json &&
	    zip_add_stored(zip, "metadata.json", metadata, strlen(metadata)))
		goto out;
	if (!options->no_config_json) {
		config = config_or_override(fx, options);
		if (!config ||
		    zip_add_stored(zip, "config.json", config, strlen(config)))
			goto out;
	}
	if (!options->no_weights_h5) {
		if (keras3_weights_image(fx, options, &weights) ||
		    zip_add_stored(zip, "model.weights.h5", weights.data,
				   weights.len))
			goto out;
	}
	if (zip_close(zip) < 0)
		goto out;
	zip = NULL;
	rc = 0;
out:
	if (zip)
		zip_discard(zip);
	cJSON_free(config);
	free(weights.data);
	return rc;
}

/* A zip source that produces len zero bytes without holding them. */
struct zero_source {
	zip_uint64_t len;
	zip_uint64_t done;
};

static zip_int64_t zero_callback(void *state, void *data, zip_uint64_t len,
				 zip_source_cmd_t cmd)
{
	struct zero_source *zero = state;
	zip_uint64_t n;

	switch (cmd) {
	case ZIP_SOURCE_OPEN:
		zero->done = 0;
		return 0;
	case ZIP_SOURCE_READ:
		n = zero->len - zero->done;
		if (n > len)
			n = len;
		memset(data, 0, (size_t)n);
		zero->done += n;
		return (zip_int64_t)n;
	case ZIP_SOURCE_CLOSE:
		return 0;
	case ZIP_SOURCE_STAT: {
		zip_stat_t *st = data;

		zip_stat_init(st);
		st->size = zero->len;
		st->mtime = 315532800;
		st->valid |= ZIP_STAT_SIZE | ZIP_STAT_MTIME;
		return sizeof(*st);
	}
	case ZIP_SOURCE_ERROR:
		return zip_error_to_data(NULL, data, len);
	case ZIP_SOURCE_FREE:
		return 0;
	case ZIP_SOURCE_SUPPORTS:
		return zip_source_make_command_bitmap(
			ZIP_SOURCE_OPEN, ZIP_SOURCE_READ, ZIP_SOURCE_CLOSE,
			ZIP_SOURCE_STAT, ZIP_SOURCE_ERROR, ZIP_SOURCE_FREE, -1);
	default:
		return -1;
	}
}

int qk_fixture_write_zip(const char *path,
			 const struct qk_fixture_member *members, size_t n)
{
	struct zero_source *zeros = calloc(n ? n : 1, sizeof(*zeros));
	zip_t *zip;
	size_t i;
	int error = 0, rc = -1;

	zip = zeros ? zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &error) : NULL;
	if (!zip) {
		free(zeros);
		return -1;
	}
	for (i = 0; i < n; i++) {
		zip_source_t *source;
		zip_int64_t index;

		if (members[i].text) {
			if (zip_add_stored(zip, members[i].name,
					   members[i].text, members[i].len))
				goto out;
			continue;
		}
		zeros[i].len = members[i].len;
		source = zip_source_function(zip, zero_callback, &zeros[i]);
		if (!source)
			goto out;
		index = zip_file_add(zip, members[i].name, source,
				     ZIP_FL_OVERWRITE);
		if (index < 0) {
			zip_source_free(source);
			goto out;
		}
		if (zip_set_file_compression(zip, (zip_uint64_t)index,
					     ZIP_CM_DEFLATE, 9) < 0)
			goto out;
	}
	if (zip_close(zip) < 0)
		goto out;
	zip = NULL;
	rc = 0;
out:
	if (zip)
		zip_discard(zip);
	free(zeros);
	return rc;
}

static uint32_t get_le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint16_t get_le16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static void put_le32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

static unsigned char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf = NULL;
	long size;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)size + 1);
		if (buf && fread(buf, 1, (size_t)size, f) != (size_t)size) {
			free(buf);
			buf = NULL;
		}
		*len = (size_t)size;
	}
	fclose(f);
	return buf;
}

/* Walks the central directory from the end record and patches sizes. */
int qk_fixture_zip_set_size(const char *path, uint32_t size)
{
	size_t len = 0, eocd, pos, i;
	unsigned char *buf = read_file(path, &len);
	unsigned entries;
	int rc = -1;

	if (!buf || len < 22)
		goto out;
	for (eocd = len - 22;; eocd--) {
		if (get_le32(buf + eocd) == 0x06054b50)
			break;
		if (eocd == 0)
			goto out;
	}
	entries = get_le16(buf + eocd + 10);
	pos = get_le32(buf + eocd + 16);
	for (i = 0; i < entries; i++) {
		size_t local;

		if (pos + 46 > len || get_le32(buf + pos) != 0x02014b50)
			goto out;
		put_le32(buf + pos + 24, size);
		local = get_le32(buf + pos + 42);
		if (local + 30 > len || get_le32(buf + local) != 0x04034b50)
			goto out;
		put_le32(buf + local + 22, size);
		pos += 46 + get_le16(buf + pos + 28) +
		       get_le16(buf + pos + 30) + get_le16(buf + pos + 32);
	}
	rc = qk_fixture_write_bytes(path, buf, len);
out:
	free(buf);
	return rc;
}

/* ---- plain files ---- */

int qk_fixture_write_bytes(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	int rc = 0;

	if (!f)
		return -1;
	if (len && fwrite(data, 1, len, f) != len)
		rc = -1;
	if (fclose(f) != 0)
		rc = -1;
	return rc;
}

int qk_fixture_write_text(const char *path, const char *text)
{
	return qk_fixture_write_bytes(path, text, strlen(text));
}

char *qk_fixture_tmpdir(void)
{
	char *dir = dup_text("/tmp/qk-fixture-XXXXXX");

	if (dir && !mkdtemp(dir)) {
		free(dir);
		return NULL;
	}
	return dir;
}

char *qk_fixture_path(const char *dir, const char *name)
{
	size_t len = strlen(dir) + strlen(name) + 2;
	char *path = malloc(len);

	if (path)
		snprintf(path, len, "%s/%s", dir, name);
	return path;
}

int qk_fixture_rmtree(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *entry;
	int rc = 0;

	if (!d)
		return remove(dir);
	while ((entry = readdir(d))) {
		struct stat st;
		char *path;

		if (!strcmp(entry->d_name, ".") || !strcmp(entry->d_name, ".."))
			continue;
		path = qk_fixture_path(dir, entry->d_name);
		if (!path) {
			rc = -1;
			continue;
		}
		if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
			rc |= qk_fixture_rmtree(path);
		else if (remove(path) != 0)
			rc = -1;
		free(path);
	}
	closedir(d);
	if (rmdir(dir) != 0)
		rc = -1;
	return rc;
}

/* ---- running the command-line tool ---- */

static char *read_text(const char *path)
{
	size_t len = 0;
	char *text = (char *)read_file(path, &len);

	if (text)
		text[len] = '\0';
	return text;
}

/*
 * Runs argv, behind the command in $QK_TEST_WRAPPER when it is set (for
 * example "valgrind -q --error-exitcode=99"), split at spaces.
 */
static void exec_wrapped(const char *const *argv)
{
	const char *wrapper = getenv("QK_TEST_WRAPPER");
	char *words, *word, *save = NULL;
	const char *full[64];
	size_t n = 0, i;

	if (!wrapper || !wrapper[0]) {
		execv(argv[0], (char *const *)argv);
		return;
	}
	words = strdup(wrapper);
	if (!words)
		return;
	for (word = strtok_r(words, " ", &save); word && n < 32;
	     word = strtok_r(NULL, " ", &save))
		full[n++] = word;
	for (i = 0; argv[i] && n < 63; i++)
		full[n++] = argv[i];
	full[n] = NULL;
	execvp(full[0], (char *const *)full);
}

static void exec_child(const char *const *argv, const char *dir,
		       const char *out, const char *err, int timeout_s)
{
	int fo = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	int fe = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fo < 0 || fe < 0 || dup2(fo, 1) < 0 || dup2(fe, 2) < 0 ||
	    chdir(dir) != 0)
		_exit(127);
	close(fo);
	close(fe);
	setenv("HOME", dir, 1);
	setenv("XDG_CONFIG_HOME", dir, 1);
	unsetenv("QKLINT_CONFIG_FILE");
	/* A pending alarm survives exec, so a hang ends in SIGALRM. */
	alarm((unsigned)timeout_s);
	exec_wrapped(argv);
	_exit(127);
}

int qk_fixture_run(const char *const *argv, const char *dir, int timeout_s,
		   struct qk_fixture_run *run)
{
	char *out = qk_fixture_path(dir, ".run-stdout");
	char *err = qk_fixture_path(dir, ".run-stderr");
	int wstatus = 0, rc = -1;
	pid_t pid;

	memset(run, 0, sizeof(*run));
	if (!out || !err)
		goto done;
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		goto done;
	if (pid == 0)
		exec_child(argv, dir, out, err, timeout_s);
	while (waitpid(pid, &wstatus, 0) < 0)
		if (errno != EINTR)
			goto done;
	if (WIFEXITED(wstatus)) {
		run->status = WEXITSTATUS(wstatus);
	} else {
		run->status = -1;
		run->signal = WIFSIGNALED(wstatus) ? WTERMSIG(wstatus) : 0;
	}
	run->out = read_text(out);
	run->err = read_text(err);
	if (run->out && run->err)
		rc = 0;
	remove(out);
	remove(err);
done:
	free(out);
	free(err);
	return rc;
}

void qk_fixture_run_release(struct qk_fixture_run *run)
{
	free(run->out);
	free(run->err);
	run->out = run->err = NULL;
}

/* ---- bundled examples ---- */

/* A fixed linear congruential sequence, so the examples never change. */
static double example_value(uint32_t *state, double scale)
{
	*state = *state * 1664525u + 1013904223u;
	return ((double)(*state >> 8) / 16777216.0 - 0.5) * scale;
}

static int fill_example_weights(struct qk_fixture *fx)
{
	uint32_t state = 2024;
	size_t i, j;

	for (i = 0; i < fx->n_tensors; i++) {
		struct qk_fixture_tensor *t = &fx->tensors[i];
		double scale = strcmp(t->name, "bias") ? 1.0 : 0.25;

		for (j = 0; j < t->count; j++)
			t->data[j] = (float)example_value(&state, scale);
	}
	return 0;
}

/*
 * A 16-32-5 jet tagger in the shape of the hls4ml tutorial model. With
 * clean unset, it has no input quantizer and ends in a softmax, so qklint
 * has findings to show. The clean variant quantizes the input and ends in
 * a linear output.
 */
static struct qk_fixture *jet_tagger(enum qk_fixture_style style, int clean)
{
	static const char kernel_q[] =
		"{\"class_name\": \"quantized_bits\", \"config\": {\"bits\": 6, "
		"\"integer\": 0, \"symmetric\": 0, \"alpha\": 1, "
		"\"keep_negative\": true, \"use_stochastic_rounding\": false, "
		"\"qnoise_factor\": 1.0}}";
	static const char relu_q[] =
		"{\"class_name\": \"quantized_relu\", \"config\": {\"bits\": 6, "
		"\"integer\": 0, \"use_sigmoid\": 0, \"negative_slope\": 0.0, "
		"\"use_stochastic_rounding\": false, \"relu_upper_bound\": null, "
		"\"qnoise_factor\": 1.0}}";
	static const char input_q[] =
		"{\"class_name\": \"quantized_bits\", \"config\": {\"bits\": 8, "
		"\"integer\": 3, \"symmetric\": 0, \"alpha\": 1, "
		"\"keep_negative\": true, \"use_stochastic_rounding\": false, "
		"\"qnoise_factor\": 1.0}}";
	const int64_t shape[1] = { 16 };
	const char *const in[] = { "input_1", NULL };
	const char *const in_q[] = { "input_q", NULL };
	const char *const fc1[] = { "fc1", NULL };
	const char *const relu1[] = { "relu1", NULL };
	const char *const out[] = { "output", NULL };
	const char *const softmax[] = { "softmax", NULL };
	struct qk_fixture *fx = qk_fixture_new(style, "jet_tagger");
	int ok;

	if (!fx)
		return NULL;
	ok = qk_fixture_input(fx, "input_1", 1, shape) != NULL;
	if (clean)
		ok = ok && qk_fixture_qactivation(fx, "input_q", input_q, in);
	ok = ok && qk_fixture_dense(fx, "fc1", 16, 32, kernel_q, kernel_q,
				    "\"linear\"", clean ? in_q : in);
	ok = ok && qk_fixture_qactivation(fx, "relu1", relu_q, fc1);
	ok = ok && qk_fixture_dense(fx, "output", 32, 5, kernel_q, kernel_q,
				    "\"linear\"", relu1);
	if (!clean)
		ok = ok && qk_fixture_layer(fx, "Activation", "softmax",
					    "{\"activation\": \"softmax\"}",
					    out);
	ok = ok && !qk_fixture_outputs(fx, clean ? out : softmax);
	if (!ok || fill_example_weights(fx)) {
		qk_fixture_free(fx);
		return NULL;
	}
	return fx;
}

static int write_example(const char *dir, const char *name,
			 enum qk_fixture_style style, int clean)
{
	struct qk_fixture *fx = jet_tagger(style, clean);
	char *path = qk_fixture_path(dir, name);
	size_t len = strlen(name);
	int rc = -1;

	if (fx && path) {
		if (len > 6 && !strcmp(name + len - 6, ".keras"))
			rc = qk_fixture_write_keras(fx, path, NULL);
		else
			rc = qk_fixture_write_h5(fx, path, NULL);
	}
	free(path);
	qk_fixture_free(fx);
	return rc;
}

int qk_fixture_write_examples(const char *dir)
{
	if (write_example(dir, "jet_tagger.h5", QK_FIXTURE_FUNCTIONAL, 0) ||
	    write_example(dir, "jet_tagger_clean.h5", QK_FIXTURE_FUNCTIONAL,
			  1) ||
	    write_example(dir, "jet_tagger.keras", QK_FIXTURE_FUNCTIONAL3, 0))
		return -1;
	return 0;
}

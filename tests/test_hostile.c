/*
 * Broken and hostile model files. Each test writes one bad input and
 * checks that qklint rejects it: qk_model_open returns NULL with the
 * expected message, and the command exits with status 2 after one
 * "qklint: error: FILE: message" line on stderr.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "fixture.h"
#include "lint/limits.h"
#include "lint/model.h"

/* The scratch directory of the running test (one process per test). */
static char *tmp_dir;

static void make_tmp(void)
{
	tmp_dir = qk_fixture_tmpdir();
	cr_assert_not_null(tmp_dir, "cannot create a scratch directory");
}

static void remove_tmp(void)
{
	if (tmp_dir)
		qk_fixture_rmtree(tmp_dir);
	free(tmp_dir);
	tmp_dir = NULL;
}

TestSuite(hostile, .init = make_tmp, .fini = remove_tmp, .timeout = 120);

/* What a maker wrote: the file to pass and, optionally, --weights. */
struct bad_input {
	char *path;		/* owned */
	char *weights;		/* owned, NULL for none */
	const char *command;	/* "lint" or "layers" */
};

static char *tmp_path(const char *name)
{
	char *path = qk_fixture_path(tmp_dir, name);

	cr_assert_not_null(path);
	return path;
}

static int starts_with(const char *text, const char *prefix)
{
	return strncmp(text, prefix, strlen(prefix)) == 0;
}

static size_t count_lines(const char *text)
{
	size_t n = 0;

	for (; *text; text++)
		if (*text == '\n')
			n++;
	return n;
}

/*
 * Checks one bad input both in process and through the command line.
 * expected is the start of the loader's message, after "FILE: ".
 */
static void expect_rejected(struct bad_input *in, const char *expected)
{
	struct qk_open_options options = { in->weights, 0 };
	struct qk_err err = QK_ERR_INIT;
	struct qk_model *m = qk_model_open(in->path, &options, &err);
	const char *argv[7] = { QK_BINARY, in->command ? in->command : "lint",
				NULL, NULL, NULL, NULL, NULL };
	struct qk_fixture_run run;
	char prefix[8192];
	int argc = 2;

	cr_expect_null(m, "loaded a bad input (expected '%s')", expected);
	qk_model_free(m);
	cr_expect(starts_with(err.msg, expected),
		  "message\n  '%s'\ndoes not start with\n  '%s'", err.msg,
		  expected);
	if (in->weights) {
		argv[argc++] = "--weights";
		argv[argc++] = in->weights;
	}
	argv[argc] = in->path;
	cr_assert_eq(qk_fixture_run(argv, tmp_dir, 100, &run), 0);
	cr_expect_eq(run.signal, 0, "killed by signal %d:\n%s", run.signal,
		     run.err);
	cr_expect_eq(run.status, 2, "exit status %d; stderr:\n%s", run.status,
		     run.err);
	snprintf(prefix, sizeof(prefix), "qklint: error: %s: %s", in->path,
		 expected);
	cr_expect(starts_with(run.err, prefix),
		  "stderr\n  %s\ndoes not start with\n  %s", run.err, prefix);
	cr_expect_eq(count_lines(run.err), 1, "stderr is not one line:\n%s",
		     run.err);
	qk_fixture_run_release(&run);
	free(in->path);
	free(in->weights);
}

static const char kernel_q[] = "\"quantized_bits(6,0,alpha=1)\"";

/* x (16) -> fc1 QDense (8) -> relu1 QActivation -> out QDense (3). */
static struct qk_fixture *base_model(enum qk_fixture_style style)
{
	const int64_t shape[1] = { 16 };
	const char *const x[] = { "x", NULL };
	const char *const fc1[] = { "fc1", NULL };
	const char *const relu1[] = { "relu1", NULL };
	const char *const out[] = { "out", NULL };
	struct qk_fixture *fx = qk_fixture_new(style, "small");

	cr_assert_not_null(fx);
	cr_assert_not_null(qk_fixture_input(fx, "x", 1, shape));
	cr_assert_not_null(qk_fixture_dense(fx, "fc1", 16, 8, kernel_q,
					    kernel_q, "\"linear\"", x));
	cr_assert_not_null(qk_fixture_qactivation(fx, "relu1",
						  "\"quantized_relu(6,0)\"",
						  fc1));
	cr_assert_not_null(qk_fixture_dense(fx, "out", 8, 3, kernel_q,
					    kernel_q, "\"linear\"", relu1));
	cr_assert_eq(qk_fixture_outputs(fx, out), 0);
	return fx;
}

static cJSON *model_config(struct qk_fixture *fx)
{
	return cJSON_GetObjectItemCaseSensitive(fx->root, "config");
}

static cJSON *layer_at(struct qk_fixture *fx, int index)
{
	cJSON *layers = cJSON_GetObjectItemCaseSensitive(model_config(fx),
							 "layers");
	cJSON *layer = cJSON_GetArrayItem(layers, index);

	cr_assert_not_null(layer);
	return layer;
}

static cJSON *layer_config(struct qk_fixture *fx, int index)
{
	return cJSON_GetObjectItemCaseSensitive(layer_at(fx, index), "config");
}

/* Replaces key in obj with the JSON value in text. */
static void set_json(cJSON *obj, const char *key, const char *text)
{
	cJSON *value = cJSON_Parse(text);

	cr_assert_not_null(value, "invalid JSON in the test: %s", text);
	if (cJSON_HasObjectItem(obj, key))
		cJSON_ReplaceItemInObjectCaseSensitive(obj, key, value);
	else
		cJSON_AddItemToObject(obj, key, value);
}

/* Writes fx as a full-model .h5 and frees it. */
static struct bad_input write_h5(struct qk_fixture *fx,
				 const struct qk_fixture_options *options)
{
	struct bad_input in = { tmp_path("model.h5"), NULL, NULL };

	cr_assert_eq(qk_fixture_write_h5(fx, in.path, options), 0);
	qk_fixture_free(fx);
	return in;
}

/* Writes fx as model.json + model_weights.h5 and frees it. */
static struct bad_input write_json(struct qk_fixture *fx,
				   const struct qk_fixture_options *options)
{
	struct bad_input in = { tmp_path("model.json"), NULL, NULL };
	char *weights = tmp_path("model_weights.h5");

	cr_assert_eq(qk_fixture_write_json(fx, in.path, weights, options), 0);
	free(weights);
	qk_fixture_free(fx);
	return in;
}

static struct bad_input write_keras(struct qk_fixture *fx,
				    const struct qk_fixture_options *options)
{
	struct bad_input in = { tmp_path("model.keras"), NULL, NULL };

	cr_assert_eq(qk_fixture_write_keras(fx, in.path, options), 0);
	qk_fixture_free(fx);
	return in;
}

/* A full-model .h5 whose model_config attribute is text. */
static struct bad_input write_config_text(const char *text)
{
	struct qk_fixture_options options = { 0 };

	options.config_text = text;
	return write_h5(base_model(QK_FIXTURE_FUNCTIONAL), &options);
}

static struct bad_input write_raw(const char *name, const void *data,
				  size_t len)
{
	struct bad_input in = { tmp_path(name), NULL, NULL };

	cr_assert_eq(qk_fixture_write_bytes(in.path, data, len), 0);
	return in;
}

/* ---- files that are not models ---- */

Test(hostile, empty_file)
{
	struct bad_input in = write_raw("empty.h5", "", 0);

	expect_rejected(&in, "file is empty");
}

Test(hostile, directory_as_model)
{
	struct bad_input in = { tmp_path("model.h5"), NULL, "layers" };

	cr_assert_eq(mkdir(in.path, 0700), 0);
	expect_rejected(&in, "is a directory");
}

Test(hostile, random_bytes)
{
	unsigned char bytes[4096];
	size_t i;
	struct bad_input in;

	for (i = 0; i < sizeof(bytes); i++)
		bytes[i] = (unsigned char)(i * 131 + 7);
	in = write_raw("noise.h5", bytes, sizeof(bytes));
	expect_rejected(&in, "not a Keras model");
}

Test(hostile, hdf5_signature_only)
{
	struct bad_input in = write_raw("sig.h5", "\x89HDF\r\n\x1a\n", 8);

	expect_rejected(&in, "cannot open as HDF5");
}

Test(hostile, truncated_hdf5)
{
	struct bad_input in = write_h5(base_model(QK_FIXTURE_FUNCTIONAL),
				       NULL);
	struct stat st;

	cr_assert_eq(stat(in.path, &st), 0);
	cr_assert_eq(truncate(in.path, st.st_size / 2), 0);
	expect_rejected(&in, "cannot open as HDF5");
}

Test(hostile, hdf5_without_model_config)
{
	struct bad_input in = { tmp_path("data.h5"), NULL, NULL };

	cr_assert_eq(qk_fixture_write_plain_h5(in.path), 0);
	expect_rejected(&in, "HDF5 file has no 'model_config' attribute");
}

Test(hostile, weights_only_file_as_model)
{
	struct qk_fixture *fx = base_model(QK_FIXTURE_FUNCTIONAL);
	struct bad_input in = { tmp_path("w.h5"), NULL, NULL };

	cr_assert_eq(qk_fixture_write_weights_h5(fx, in.path, NULL), 0);
	qk_fixture_free(fx);
	expect_rejected(&in, "file holds only weights");
}

Test(hostile, h5_without_model_weights)
{
	struct qk_fixture_options options = { 0 };
	struct bad_input in;

	options.no_model_weights = 1;
	in = write_h5(base_model(QK_FIXTURE_FUNCTIONAL), &options);
	expect_rejected(&in, "HDF5 file has no 'model_weights' group");
}

/* ---- model_config text ---- */

Test(hostile, config_not_json)
{
	struct bad_input in = write_config_text("{\"class_name\": Sequential");

	expect_rejected(&in, "model config is not valid JSON");
}

Test(hostile, config_not_object)
{
	struct bad_input in = write_config_text("[1, 2, 3]");

	expect_rejected(&in, "model config is not a JSON object");
}

Test(hostile, config_nul_byte)
{
	static const char text[] = "{\"class_name\": \"Sequential\"}\0{}";
	struct bad_input in = write_raw("model.json", text, sizeof(text));

	expect_rejected(&in, "model config contains a NUL byte");
}

Test(hostile, json_nested_10000_levels)
{
	static const char head[] = "{\"class_name\": \"Sequential\", "
				   "\"config\": ";
	size_t depth = 10000, i, len;
	char *text = malloc(sizeof(head) + depth * 6 + 2);
	struct bad_input in;

	cr_assert_not_null(text);
	memcpy(text, head, sizeof(head) - 1);
	len = sizeof(head) - 1;
	for (i = 0; i < depth; i++, len += 5)
		memcpy(text + len, "{\"a\":", 5);
	text[len++] = '1';
	for (i = 0; i < depth + 1; i++)
		text[len++] = '}';
	in = write_raw("deep.json", text, len);
	free(text);
	expect_rejected(&in, "model config nests JSON deeper than 1000 levels");
}

Test(hostile, models_nested_100_levels)
{
	cJSON *root = cJSON_Parse("{\"class_name\": \"Functional\", \"config\":"
				  " {\"name\": \"m0\", \"layers\": []}}");
	cJSON *cur = root;
	struct bad_input in;
	char *text;
	int i;

	cr_assert_not_null(root);
	for (i = 1; i <= 100; i++) {
		char name[32];
		cJSON *layers = cJSON_GetObjectItemCaseSensitive(
			cJSON_GetObjectItemCaseSensitive(cur, "config"),
			"layers");
		cJSON *inner = cJSON_CreateObject();
		cJSON *config = cJSON_CreateObject();

		cr_assert_not_null(inner);
		cr_assert_not_null(config);
		snprintf(name, sizeof(name), "m%d", i);
		cJSON_AddStringToObject(inner, "class_name", "Functional");
		cJSON_AddStringToObject(inner, "name", name);
		cJSON_AddItemToObject(inner, "config", config);
		cJSON_AddStringToObject(config, "name", name);
		cJSON_AddArrayToObject(config, "layers");
		cJSON_AddArrayToObject(inner, "inbound_nodes");
		cJSON_AddItemToArray(layers, inner);
		cur = inner;
	}
	text = cJSON_PrintUnformatted(root);
	cr_assert_not_null(text);
	in = write_raw("nested.json", text, strlen(text));
	cJSON_free(text);
	cJSON_Delete(root);
	expect_rejected(&in, "models nested more than");
}

/* ---- wrong types in the model config ---- */

Test(hostile, class_name_number)
{
	struct qk_fixture *fx = base_model(QK_FIXTURE_FUNCTIONAL);
	struct bad_input in;

	set_json(fx->root, "class_name", "42");
	in = write_h5(fx, NULL);
	expect_rejected(&in, "model config has no string 'class_name'");
}

Test(hostile, class_name_unknown)
{
	struct qk_fixture *fx = base_model(QK_FIXTURE_FUNCTIONAL);
	struct bad_input in;

	set_json(fx->root, "class_name", "\"Bogus\"");
	in = write_h5(fx, NULL);
	expect_rejected(&in, "model config has class_name 'Bogus'");
}

Test(hostile, layers_not_list)
{
	struct qk_fixture *fx = base_model(QK_FIXTURE_FUNCTIONAL);
	struct bad_input in;

	set_json(model_config(fx), "layers", "{\"fc1\": {}}");
	in = write_h5(fx, NULL);
	expect_rejected(&in, "model config has no 'layers' list");
}

Test(hostile, layers_empty)
{
	struct qk_fixture *fx = base_model(QK_FIXTURE_SEQUENTIAL);
	struct bad_input in;

	set_json(model_config(fx), "layers", "[]");
	in = write_json(fx, NULL);
	expect_rejected(&in, "model 'small' has no layers");
}

Test(hostile, layer_not_object)
{
	struct qk_fixture *fx = base_model(QK_FIXTURE_FUNCTIONAL);
	cJSON *layers = cJSON_GetObjectItemCaseSensitive(model_config(fx),
							 "layers");
	struct bad_input in;

	cJSON_ReplaceItemInArray(layers, 1, cJSON_CreateString("fc1"));
	in = write_h5(fx, NULL);
	expect_rejected(&in, "layer 1 of the config is not an object");
}

Test(hostile, layer_class_name_number)
{
	struct qk_fixture *fx = base_model(QK_FIXTURE_FUNCTIONAL);
	struct bad_input in;

	set_json(layer_at(fx, 1), "class_name", "7");
	in = write_h5(fx, NULL);
	expect_rejected(&in, "layer 1 has no string 'class_name'");
}

Test(hostile, layer_config_not_object)
{
	struct qk_fixture *fx = base_model(QK_FIXTURE_FUNCTIONAL);
	struct bad_input in;

	set_json(layer_at(fx, 1), "config", "[\"units\", 8]");
	in = write_h5(fx, NULL);
	expect_rejected(&in, "layer 1 (QDense) has no 'config' object");
}

Test(hostile, layer_name_not_string)
{
	struct qk_fixture *fx = base_model(QK_FIXTURE_SEQUENTIAL);
	struct bad_input in;

	set_json(layer_config(fx, 1), "name", "[\"fc1\"]");
	in = write_json(fx, NULL);
	expect_rejected(&in, "layer 1 (QDense) has no string 'name'");
}

Test(hostile, duplicate_layer_name)
{
	struct qk_fixture *fx = base_model(QK_FIXTURE_SEQUENTIAL);
	struct bad_input in = { tmp_path("model.json"), NULL, NULL };
	char *weights = tmp_path("model_weights.h5");
	char *text;

	/* The weights file cannot hold two groups of one name, so it is
	 * written before the config gets its duplicate. */
	cr_assert_eq(qk_fixture_write_weights_h5(fx, weights, NULL), 0);
	set_json(layer_config(fx, 3), "name", "\"fc1\"");
	text = qk_fixture_config_text(fx);
	cr_assert_not_null(text);
	cr_assert_eq(qk_fixture_write_text(in.path, text), 0);
	free(text);
	free(weights);
	qk_fixture_free(fx);
	expect_rejected(&in, "duplicate layer name 'fc1'");
}

Test(hostile, too_many_layers)
{
	size_t n = QK_MAX_LAYERS + 1, i;
	size_t size = n * 64 + 128;
	char *text = malloc(size);
	struct bad_input in;
	size_t len;

	cr_assert_not_null(text);
	len = (size_t)snprintf(text, size, "{\"class_name\": \"Sequential\", "
			       "\"config\": {\"name\": \"big\", \"layers\": [");
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(text + len, size - len,
					"%s{\"class_name\": \"Dropout\", "
					"\"config\": {\"name\": \"d%zu\"}}",
					i ? ", " : "", i);
	snprintf(text + len, size - len, "]}}");
	in = write_raw("big.json", text, strlen(text));
	free(text);
	expect_rejected(&in, "model has more than");
}

/* ---- inbound nodes ---- */

static struct bad_input with_inbound(const char *nodes_json)
{
	struct qk_fixture *fx = base_model(QK_FIXTURE_FUNCTIONAL);

	set_json(layer_at(fx, 1), "inbound_nodes", nodes_json);
	return write_h5(fx, NULL);
}

Test(hostile, inbound_nodes_not_list)
{
	struct bad_input in = with_inbound("5");

	expect_rejected(&in, "layer 'fc1': 'inbound_nodes' must be a");
}

Test(hostile, inbound_node_not_list)
{
	struct bad_input in = with_inbound("[7]");

	expect_rejected(&in, "layer 'fc1': inbound node must be a list");
}

Test(hostile, inbound_reference_name_number)
{
	struct bad_input in = with_inbound("[[[5, 0, 0, {}]]]");

	expect_rejected(&in, "layer 'fc1': inbound reference must be a");
}

Test(hostile, inbound_node_index_string)
{
	struct bad_input in = with_inbound("[[[\"x\", \"0\", 0, {}]]]");

	expect_rejected(&in, "layer 'fc1': inbound node index must be a");
}

Test(hostile, inbound_node_index_fraction)
{
	struct bad_input in = with_inbound("[[[\"x\", 0.5, 0, {}]]]");

	expect_rejected(&in, "layer 'fc1': inbound node index must be a");
}

Test(hostile, inbound_node_index_out_of_range)
{
	/* x is an input layer: it has exactly one node, index 0. */
	struct bad_input in = with_inbound("[[[\"x\", 3, 0, {}]]]");

	expect_rejected(&in, "layer 'fc1': inbound");
}

Test(hostile, inbound_tensor_index_negative)
{
	struct bad_input in = with_inbound("[[[\"x\", 0, -1, {}]]]");

	expect_rejected(&in, "layer 'fc1': inbound tensor index must be");
}

Test(hostile, inbound_reference_missing_layer)
{
	struct bad_input in = with_inbound("[[[\"ghost\", 0, 0, {}]]]");

	expect_rejected(&in, "layer 'fc1': inbound layer 'ghost' does not "
			     "exist");
}

Test(hostile, keras3_tensor_without_history)
{
	struct qk_fixture *fx = base_model(QK_FIXTURE_FUNCTIONAL3);
	struct bad_input in;

	set_json(layer_at(fx, 1), "inbound_nodes",
		 "[{\"args\": [{\"class_name\": \"__keras_tensor__\", "
		 "\"config\": {\"shape\": [null, 16]}}], \"kwargs\": {}}]");
	in = write_keras(fx, NULL);
	expect_rejected(&in, "layer 'fc1': keras tensor without keras_history");
}

Test(hostile, keras3_history_not_reference)
{
	struct qk_fixture *fx = base_model(QK_FIXTURE_FUNCTIONAL3);
	struct bad_input in;

	set_json(layer_at(fx, 1), "inbound_nodes",
		 "[{\"args\": [{\"class_name\": \"__keras_tensor__\", "
		 "\"config\": {\"keras_history\": [1, 2, 3]}}], "
		 "\"kwargs\": {}}]");
	in = write_keras(fx, NULL);
	expect_rejected(&in, "layer 'fc1': inbound reference must be a");
}

Test(hostile, keras3_node_without_args)
{
	struct qk_fixture *fx = base_model(QK_FIXTURE_FUNCTIONAL3);
	struct bad_input in;

	set_json(layer_at(fx, 1), "inbound_nodes", "[{\"call\": []}]");
	in = write_keras(fx, NULL);
	expect_rejected(&in, "layer 'fc1': inbound node has no 'args'");
}

Test(hostile, graph_cycle)
{
	struct qk_fixture *fx = base_model(QK_FIXTURE_FUNCTIONAL);
	struct bad_input in;

	set_json(layer_at(fx, 1), "inbound_nodes",
		 "[[[\"relu1\", 0, 0, {}]]]");
	in = write_h5(fx, NULL);
	expect_rejected(&in, "layer graph has a cycle through layer");
}

Test(hostile, graph_self_loop)
{
	struct bad_input in = with_inbound("[[[\"fc1\", 0, 0, {}]]]");

	expect_rejected(&in, "layer graph has a cycle through layer 'fc1'");
}

Test(hostile, output_layers_missing_layer)
{
	struct qk_fixture *fx = base_model(QK_FIXTURE_FUNCTIONAL);
	struct bad_input in;

	set_json(model_config(fx), "output_layers", "[[\"ghost\", 0, 0]]");
	in = write_h5(fx, NULL);
	expect_rejected(&in, "model 'small': output_layers names layer "
			     "'ghost', which does not exist");
}

Test(hostile, input_layers_not_list)
{
	struct qk_fixture *fx = base_model(QK_FIXTURE_FUNCTIONAL);
	struct bad_input in;

	set_json(model_config(fx), "input_layers", "\"x\"");
	in = write_h5(fx, NULL);
	expect_rejected(&in, "model 'small': 'input_layers' must be a list");
}

Test(hostile, layer_without_inbound)
{
	struct bad_input in = with_inbound("[]");

	expect_rejected(&in, "layer 'fc1' (QDense) has no inbound layer");
}

/* ---- numbers and shapes in layer configs ---- */

static struct bad_input with_fc1_key(const char *key, const char *value)
{
	struct qk_fixture *fx = base_model(QK_FIXTURE_FUNCTIONAL);

	set_json(layer_config(fx, 1), key, value);
	return write_h5(fx, NULL);
}

Test(hostile, units_string)
{
	struct bad_input in = with_fc1_key("units", "\"8\"");

	expect_rejected(&in, "layer 'fc1' (QDense): 'units' must be an "
			     "integer");
}

Test(hostile, units_1e30)
{
	struct bad_input in = with_fc1_key("units", "1e30");

	expect_rejected(&in, "layer 'fc1' (QDense): 'units' must be an "
			     "integer between");
}

Test(hostile, units_negative)
{
	struct bad_input in = with_fc1_key("units", "-8");

	expect_rejected(&in, "layer 'fc1' (QDense): 'units' must be an "
			     "integer between");
}

Test(hostile, units_fraction)
{
	struct bad_input in = with_fc1_key("units", "7.5");

	expect_rejected(&in, "layer 'fc1' (QDense): 'units' must be an "
			     "integer between");
}

Test(hostile, use_bias_string)
{
	struct bad_input in = with_fc1_key("use_bias", "\"yes\"");

	expect_rejected(&in, "layer 'fc1' (QDense): 'use_bias' must be true "
			     "or false");
}

static struct bad_input conv_with(const char *key, const char *value)
{
	const int64_t shape[3] = { 8, 8, 1 };
	const uint64_t kernel[4] = { 3, 3, 1, 4 }, bias[1] = { 4 };
	const char *const x[] = { "x", NULL };
	struct qk_fixture *fx = qk_fixture_new(QK_FIXTURE_FUNCTIONAL, "cnn");
	cJSON *layer;

	cr_assert_not_null(fx);
	cr_assert_not_null(qk_fixture_input(fx, "x", 3, shape));
	layer = qk_fixture_layer(fx, "QConv2D", "conv",
				 "{\"filters\": 4, \"kernel_size\": [3, 3], "
				 "\"strides\": [1, 1], \"padding\": \"valid\", "
				 "\"kernel_quantizer\": "
				 "\"quantized_bits(6,0,alpha=1)\"}", x);
	cr_assert_not_null(layer);
	cr_assert_not_null(qk_fixture_weight(fx, "conv", "kernel", 4, kernel,
					     NULL));
	cr_assert_not_null(qk_fixture_weight(fx, "conv", "bias", 1, bias,
					     NULL));
	set_json(cJSON_GetObjectItemCaseSensitive(layer, "config"), key,
		 value);
	return write_h5(fx, NULL);
}

Test(hostile, filters_negative)
{
	struct bad_input in = conv_with("filters", "-4");

	expect_rejected(&in, "layer 'conv' (QConv2D): 'filters' must be an "
			     "integer between");
}

Test(hostile, kernel_size_three_entries)
{
	struct bad_input in = conv_with("kernel_size", "[3, 3, 3]");

	expect_rejected(&in, "layer 'conv' (QConv2D): 'kernel_size' must "
			     "have");
}

Test(hostile, kernel_size_one_entry_for_conv2d)
{
	struct bad_input in = conv_with("kernel_size", "[3]");

	expect_rejected(&in, "layer 'conv' (QConv2D): 'kernel_size' must "
			     "have");
}

Test(hostile, kernel_size_string)
{
	struct bad_input in = conv_with("kernel_size", "\"3x3\"");

	expect_rejected(&in, "layer 'conv' (QConv2D): 'kernel_size' must be "
			     "an integer or a list");
}

Test(hostile, padding_unknown)
{
	struct bad_input in = conv_with("padding", "\"reflect\"");

	expect_rejected(&in, "layer 'conv' (QConv2D): 'padding' must be");
}

Test(hostile, input_shape_negative)
{
	struct qk_fixture *fx = base_model(QK_FIXTURE_FUNCTIONAL);
	struct bad_input in;

	set_json(layer_config(fx, 0), "batch_input_shape", "[null, -16]");
	in = write_h5(fx, NULL);
	expect_rejected(&in, "layer 'x': input shape entries");
}

Test(hostile, input_shape_not_list)
{
	struct qk_fixture *fx = base_model(QK_FIXTURE_FUNCTIONAL);
	struct bad_input in;

	set_json(layer_config(fx, 0), "batch_input_shape", "16");
	in = write_h5(fx, NULL);
	expect_rejected(&in, "layer 'x': input shape must be a list");
}

/* ---- quantizers ---- */

Test(hostile, quantizer_string_malformed)
{
	struct bad_input in = with_fc1_key("kernel_quantizer",
					   "\"quantized_bits(8,,alpha=\"");

	expect_rejected(&in, "layer 'fc1' (QDense): invalid kernel_quantizer");
}

Test(hostile, quantizer_string_100kb)
{
	size_t n = 100 * 1024, i;
	char *text = malloc(n + 64);
	struct bad_input in;

	cr_assert_not_null(text);
	strcpy(text, "\"quantized_bits(");
	for (i = strlen(text); i < n; i += 2)
		memcpy(text + i, "1,", 2);
	strcpy(text + i, "1)\"");
	in = with_fc1_key("kernel_quantizer", text);
	free(text);
	expect_rejected(&in, "layer 'fc1' (QDense): invalid kernel_quantizer");
}

Test(hostile, quantizer_too_many_arguments)
{
	struct bad_input in = with_fc1_key(
		"kernel_quantizer",
		"\"quantized_bits(1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,"
		"19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35)\"");

	expect_rejected(&in, "layer 'fc1' (QDense): invalid kernel_quantizer");
}

Test(hostile, quantizer_number)
{
	struct bad_input in = with_fc1_key("kernel_quantizer", "6");

	expect_rejected(&in, "layer 'fc1' (QDense): invalid kernel_quantizer");
}

Test(hostile, quantizer_dict_config_not_object)
{
	struct bad_input in = with_fc1_key(
		"kernel_quantizer",
		"{\"class_name\": \"quantized_bits\", \"config\": [6, 0]}");

	expect_rejected(&in, "layer 'fc1' (QDense): invalid kernel_quantizer");
}

Test(hostile, quantizer_bits_string)
{
	struct bad_input in = with_fc1_key(
		"kernel_quantizer",
		"{\"class_name\": \"quantized_bits\", \"config\": "
		"{\"bits\": \"six\"}}");

	expect_rejected(&in, "layer 'fc1' (QDense): invalid kernel_quantizer");
}

Test(hostile, kernel_quantizer_keras_activation)
{
	struct bad_input in = with_fc1_key("kernel_quantizer", "\"relu\"");

	expect_rejected(&in, "layer 'fc1' (QDense): kernel_quantizer 'relu' is "
			     "not a QKeras quantizer");
}

/* ---- weights ---- */

Test(hostile, weight_dataset_missing)
{
	struct qk_fixture_options options = { 0 };
	struct bad_input in;

	options.skip_tensor = 2;	/* fc1/bias:0 */
	in = write_h5(base_model(QK_FIXTURE_FUNCTIONAL), &options);
	expect_rejected(&in, "layer 'fc1' (QDense): weight dataset "
			     "'fc1/bias:0' is missing");
}

Test(hostile, weight_shape_mismatch)
{
	struct qk_fixture *fx = base_model(QK_FIXTURE_FUNCTIONAL);
	struct bad_input in;

	/* Same element count, transposed: 8 x 16 where 16 x 8 is implied. */
	fx->tensors[0].shape[0] = 8;
	fx->tensors[0].shape[1] = 16;
	in = write_h5(fx, NULL);
	expect_rejected(&in, "layer 'fc1' (QDense): weight 'kernel' has shape");
}

Test(hostile, weight_int_datatype)
{
	struct qk_fixture *fx = base_model(QK_FIXTURE_FUNCTIONAL);
	struct bad_input in;

	fx->tensors[0].dtype = QK_FIXTURE_I32;
	in = write_h5(fx, NULL);
	expect_rejected(&in, "layer 'fc1' (QDense): weight 'fc1/kernel:0' has "
			     "a non-float datatype");
}

Test(hostile, weight_nan)
{
	struct qk_fixture *fx = base_model(QK_FIXTURE_FUNCTIONAL);
	struct bad_input in;

	fx->tensors[0].data[17] = NAN;
	in = write_h5(fx, NULL);
	expect_rejected(&in, "layer 'fc1' (QDense): weight 'fc1/kernel:0' "
			     "contains NaN");
}

Test(hostile, weight_infinity)
{
	struct qk_fixture *fx = base_model(QK_FIXTURE_FUNCTIONAL);
	struct bad_input in;

	fx->tensors[3].data[2] = -INFINITY;
	in = write_json(fx, NULL);
	expect_rejected(&in, "layer 'out' (QDense): weight 'out/bias:0' "
			     "contains infinity");
}

Test(hostile, weight_nine_dimensions)
{
	struct qk_fixture *fx = base_model(QK_FIXTURE_FUNCTIONAL);
	struct qk_fixture_tensor *t = &fx->tensors[0];
	struct bad_input in;
	int i;

	t->rank = 9;
	t->shape[0] = 16;
	t->shape[1] = 8;
	for (i = 2; i < 9; i++)
		t->shape[i] = 1;
	in = write_h5(fx, NULL);
	expect_rejected(&in, "layer 'fc1': weight 'fc1/kernel:0' has 9 "
			     "dimensions");
}

Test(hostile, weights_file_not_found)
{
	struct qk_fixture *fx = base_model(QK_FIXTURE_SEQUENTIAL);
	struct bad_input in = { tmp_path("alone.json"), NULL, NULL };

	cr_assert_eq(qk_fixture_write_json(fx, in.path, NULL, NULL), 0);
	qk_fixture_free(fx);
	expect_rejected(&in, "weights file '");
}

Test(hostile, weights_file_not_hdf5)
{
	struct qk_fixture *fx = base_model(QK_FIXTURE_SEQUENTIAL);
	struct bad_input in = { tmp_path("m.json"), tmp_path("w.txt"), NULL };
	char expected[4096];

	cr_assert_eq(qk_fixture_write_json(fx, in.path, NULL, NULL), 0);
	cr_assert_eq(qk_fixture_write_text(in.weights, "weights\n"), 0);
	qk_fixture_free(fx);
	snprintf(expected, sizeof(expected),
		 "weights file '%s' cannot be opened as HDF5", in.weights);
	expect_rejected(&in, expected);
}

Test(hostile, weights_file_is_directory)
{
	struct qk_fixture *fx = base_model(QK_FIXTURE_SEQUENTIAL);
	struct bad_input in = { tmp_path("m.json"), tmp_path("wdir"), NULL };

	cr_assert_eq(qk_fixture_write_json(fx, in.path, NULL, NULL), 0);
	cr_assert_eq(mkdir(in.weights, 0700), 0);
	qk_fixture_free(fx);
	expect_rejected(&in, "weights file '");
}

Test(hostile, weights_for_unknown_layer)
{
	struct qk_fixture *fx = base_model(QK_FIXTURE_SEQUENTIAL);
	struct bad_input in;

	/* The weights file is written from the renamed config, so it has a
	 * group 'output' without weights and none for 'out'. */
	set_json(layer_config(fx, 3), "name", "\"output\"");
	in = write_json(fx, NULL);
	expect_rejected(&in, "layer 'output' (QDense) has no weights in");
}

/* ---- .keras archives ---- */

Test(hostile, keras_corrupt)
{
	static const char bytes[] = "PK\003\004\024\000\000\000garbage garbage";
	struct bad_input in = write_raw("m.keras", bytes, sizeof(bytes));

	expect_rejected(&in, "cannot open as a .keras archive");
}

Test(hostile, keras_truncated)
{
	struct bad_input in = write_keras(base_model(QK_FIXTURE_SEQUENTIAL3),
					  NULL);
	struct stat st;

	cr_assert_eq(stat(in.path, &st), 0);
	cr_assert_eq(truncate(in.path, st.st_size - 100), 0);
	expect_rejected(&in, "cannot open as a .keras archive");
}

Test(hostile, keras_empty_zip)
{
	static const char eocd[22] = "PK\005\006";
	struct bad_input in = write_raw("m.keras", eocd, sizeof(eocd));

	expect_rejected(&in, "zip archive is empty or damaged");
}

Test(hostile, keras_without_config_json)
{
	struct qk_fixture_options options = { 0 };
	struct bad_input in;

	options.no_config_json = 1;
	in = write_keras(base_model(QK_FIXTURE_SEQUENTIAL3), &options);
	expect_rejected(&in, ".keras archive has no 'config.json'");
}

Test(hostile, keras_without_weights)
{
	struct qk_fixture_options options = { 0 };
	struct bad_input in;

	options.no_weights_h5 = 1;
	in = write_keras(base_model(QK_FIXTURE_SEQUENTIAL3), &options);
	expect_rejected(&in, ".keras archive has no 'model.weights.h5'");
}

Test(hostile, keras_config_not_json)
{
	struct qk_fixture_options options = { 0 };
	struct bad_input in;

	options.config_text = "{not json";
	in = write_keras(base_model(QK_FIXTURE_SEQUENTIAL3), &options);
	expect_rejected(&in, "model config is not valid JSON");
}

Test(hostile, keras_weights_not_hdf5)
{
	struct qk_fixture *fx = base_model(QK_FIXTURE_SEQUENTIAL3);
	char *config = qk_fixture_config_text(fx);
	const struct qk_fixture_member members[] = {
		{ "metadata.json", "{}", 2 },
		{ "config.json", config, strlen(config) },
		{ "model.weights.h5", "not hdf5", 8 },
	};
	struct bad_input in = { tmp_path("m.keras"), NULL, NULL };

	cr_assert_eq(qk_fixture_write_zip(in.path, members, 3), 0);
	free(config);
	qk_fixture_free(fx);
	expect_rejected(&in, ".keras member 'model.weights.h5' is not a");
}

/* 200 MB of zeros deflate to about 200 KB. */
Test(hostile, keras_zip_bomb_config)
{
	const struct qk_fixture_member members[] = {
		{ "metadata.json", "{}", 2 },
		{ "config.json", NULL, 200u * 1024 * 1024 },
		{ "model.weights.h5", "x", 1 },
	};
	struct bad_input in = { tmp_path("bomb.keras"), NULL, NULL };
	struct stat st;

	cr_assert_eq(qk_fixture_write_zip(in.path, members, 3), 0);
	cr_assert_eq(stat(in.path, &st), 0);
	cr_assert_lt(st.st_size, 1024 * 1024, "the bomb is %lld bytes",
		     (long long)st.st_size);
	expect_rejected(&in, ".keras member 'config.json' expands");
}

Test(hostile, keras_declared_size_huge)
{
	struct qk_fixture *fx = base_model(QK_FIXTURE_SEQUENTIAL3);
	char *config = qk_fixture_config_text(fx);
	const struct qk_fixture_member members[] = {
		{ "metadata.json", "{}", 2 },
		{ "config.json", config, strlen(config) },
		{ "model.weights.h5", "tiny", 4 },
	};
	struct bad_input in = { tmp_path("liar.keras"), NULL, NULL };

	cr_assert_eq(qk_fixture_write_zip(in.path, members, 3), 0);
	cr_assert_eq(qk_fixture_zip_set_size(in.path, 0xfffffff0u), 0);
	free(config);
	qk_fixture_free(fx);
	expect_rejected(&in, ".keras member '");
}

/*
 * The loader on generated files of every format and graph shape, and on
 * the real saved models when they are present.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <criterion/criterion.h>

#include "fixture.h"
#include "lint/model.h"

/*
 * The scratch directory of the running test. Criterion runs every test in
 * its own process, so one file-level pointer is never shared.
 */
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

TestSuite(loader, .init = make_tmp, .fini = remove_tmp);

static char *tmp_path(const char *name)
{
	char *path = qk_fixture_path(tmp_dir, name);

	cr_assert_not_null(path);
	return path;
}

/* Opens path, failing the test with the loader's message on error. */
static struct qk_model *open_ok(const char *path, const char *weights)
{
	struct qk_open_options options = { weights, 0 };
	struct qk_err err = QK_ERR_INIT;
	struct qk_model *m = qk_model_open(path, &options, &err);

	cr_assert_not_null(m, "cannot load %s: %s", path, err.msg);
	return m;
}

static const struct qk_layer *layer_ok(const struct qk_model *m,
				       const char *name)
{
	const struct qk_layer *layer = qk_model_find(m, name);

	cr_assert_not_null(layer, "layer '%s' not found", name);
	return layer;
}

static size_t index_ok(const struct qk_model *m, const char *name)
{
	size_t i = qk_model_index(m, name);

	cr_assert_neq(i, (size_t)-1, "layer '%s' not found", name);
	return i;
}

/* Asserts a weight's shape and that it contains qk_fixture_pattern values. */
static void expect_pattern_weight(const struct qk_layer *layer,
				  const char *name, int rank,
				  const int64_t *shape)
{
	const struct qk_tensor *t = qk_layer_weight(layer, name);
	size_t count = 1, i;
	int d;

	cr_assert_not_null(t, "layer '%s' has no weight '%s'", layer->name,
			   name);
	cr_assert_eq(t->rank, rank, "'%s/%s' rank %d, expected %d",
		     layer->name, name, t->rank, rank);
	for (d = 0; d < rank; d++) {
		cr_expect_eq(t->shape[d], shape[d], "'%s/%s' dimension %d",
			     layer->name, name, d);
		count *= (size_t)shape[d];
	}
	cr_assert_eq(t->count, count);
	for (i = 0; i < count; i++)
		cr_assert_eq(t->data[i], (float)qk_fixture_pattern(i),
			     "'%s/%s'[%zu] = %g", layer->name, name, i,
			     t->data[i]);
}

static const char kernel_dict[] =
	"{\"class_name\": \"quantized_bits\", \"config\": {\"bits\": 6, "
	"\"integer\": 0, \"symmetric\": 0, \"alpha\": 1, "
	"\"keep_negative\": true}}";
static const char relu_string[] = "\"quantized_relu(6,0)\"";

/* input 16 -> QDense fc1 (8) -> QActivation relu1 -> QDense out (3). */
static struct qk_fixture *small_model(enum qk_fixture_style style)
{
	const int64_t shape[1] = { 16 };
	const char *const in[] = { "x", NULL };
	const char *const fc1[] = { "fc1", NULL };
	const char *const relu1[] = { "relu1", NULL };
	const char *const out[] = { "out", NULL };
	struct qk_fixture *fx = qk_fixture_new(style, "small");

	cr_assert_not_null(fx);
	cr_assert_not_null(qk_fixture_input(fx, "x", 1, shape));
	cr_assert_not_null(qk_fixture_dense(fx, "fc1", 16, 8, kernel_dict,
					    kernel_dict, "\"linear\"", in));
	cr_assert_not_null(qk_fixture_qactivation(fx, "relu1", relu_string,
						  fc1));
	cr_assert_not_null(qk_fixture_dense(fx, "out", 8, 3, kernel_dict,
					    kernel_dict, "\"linear\"", relu1));
	cr_assert_eq(qk_fixture_outputs(fx, out), 0);
	return fx;
}

static void expect_small_model(const struct qk_model *m)
{
	const int64_t k1[2] = { 16, 8 }, b1[1] = { 8 };
	const int64_t k2[2] = { 8, 3 }, b2[1] = { 3 };
	const struct qk_layer *fc1 = layer_ok(m, "fc1");

	cr_expect_eq(m->kind, QK_MODEL_QKERAS);
	cr_expect_str_eq(fc1->class_name, "QDense");
	cr_expect_eq(fc1->kind, QK_LAYER_DENSE);
	cr_expect(fc1->is_qkeras);
	cr_expect_eq(fc1->params.units, 8);
	cr_assert_eq(fc1->n_weights, 2);
	expect_pattern_weight(fc1, "kernel", 2, k1);
	expect_pattern_weight(fc1, "bias", 1, b1);
	expect_pattern_weight(layer_ok(m, "out"), "kernel", 2, k2);
	expect_pattern_weight(layer_ok(m, "out"), "bias", 1, b2);
	cr_expect_eq(layer_ok(m, "relu1")->kind, QK_LAYER_QACTIVATION);
	cr_expect_eq(layer_ok(m, "relu1")->n_weights, 0);
	cr_expect_lt(index_ok(m, "fc1"), index_ok(m, "relu1"));
	cr_expect_lt(index_ok(m, "relu1"), index_ok(m, "out"));
	cr_assert_eq(m->n_inputs, 1);
	cr_expect_str_eq(m->layers[m->inputs[0]].name, "x");
	cr_assert_eq(m->n_outputs, 1);
	cr_expect_str_eq(m->layers[m->outputs[0]].name, "out");
}

Test(loader, h5_full_model_sequential)
{
	struct qk_fixture *fx = small_model(QK_FIXTURE_SEQUENTIAL);
	char *path = tmp_path("small.h5");
	struct qk_model *m;

	cr_assert_eq(qk_fixture_write_h5(fx, path, NULL), 0);
	m = open_ok(path, NULL);
	cr_expect_eq(m->format, QK_FORMAT_H5);
	cr_expect_str_eq(m->class_name, "Sequential");
	cr_assert_not_null(m->keras_version);
	cr_expect_str_eq(m->keras_version, "2.4.0");
	expect_small_model(m);
	qk_model_free(m);
	qk_fixture_free(fx);
	free(path);
}

Test(loader, h5_full_model_functional)
{
	struct qk_fixture *fx = small_model(QK_FIXTURE_FUNCTIONAL);
	char *path = tmp_path("small.h5");
	struct qk_model *m;

	cr_assert_eq(qk_fixture_write_h5(fx, path, NULL), 0);
	m = open_ok(path, NULL);
	cr_expect_eq(m->format, QK_FORMAT_H5);
	cr_expect_str_eq(m->class_name, "Functional");
	expect_small_model(m);
	qk_model_free(m);
	qk_fixture_free(fx);
	free(path);
}

Test(loader, h5_variable_length_names)
{
	struct qk_fixture *fx = small_model(QK_FIXTURE_FUNCTIONAL);
	struct qk_fixture_options options = { 0 };
	char *path = tmp_path("vlen.h5");
	struct qk_model *m;

	options.vlen_names = 1;
	cr_assert_eq(qk_fixture_write_h5(fx, path, &options), 0);
	m = open_ok(path, NULL);
	expect_small_model(m);
	qk_model_free(m);
	qk_fixture_free(fx);
	free(path);
}

Test(loader, json_with_weights_beside)
{
	struct qk_fixture *fx = small_model(QK_FIXTURE_SEQUENTIAL);
	char *json = tmp_path("small.json");
	char *weights = tmp_path("small_weights.h5");
	struct qk_model *m;

	cr_assert_eq(qk_fixture_write_json(fx, json, weights, NULL), 0);
	m = open_ok(json, NULL);
	cr_expect_eq(m->format, QK_FORMAT_JSON);
	cr_assert_not_null(m->weights_path);
	cr_expect_str_eq(m->weights_path, weights);
	expect_small_model(m);
	qk_model_free(m);
	qk_fixture_free(fx);
	free(json);
	free(weights);
}

Test(loader, json_with_weights_option)
{
	struct qk_fixture *fx = small_model(QK_FIXTURE_FUNCTIONAL);
	char *json = tmp_path("arch.json");
	char *weights = tmp_path("trained-weights.h5");
	struct qk_model *m;

	cr_assert_eq(qk_fixture_write_json(fx, json, weights, NULL), 0);
	m = open_ok(json, weights);
	cr_expect_eq(m->format, QK_FORMAT_JSON);
	cr_assert_not_null(m->weights_path);
	cr_expect_str_eq(m->weights_path, weights);
	expect_small_model(m);
	qk_model_free(m);
	qk_fixture_free(fx);
	free(json);
	free(weights);
}

Test(loader, json_weights_missing_names_file)
{
	struct qk_fixture *fx = small_model(QK_FIXTURE_SEQUENTIAL);
	struct qk_open_options options = { NULL, 0 };
	struct qk_err err = QK_ERR_INIT;
	char *json = tmp_path("lonely.json");

	cr_assert_eq(qk_fixture_write_json(fx, json, NULL, NULL), 0);
	cr_assert_null(qk_model_open(json, &options, &err));
	cr_expect_not_null(strstr(err.msg, "lonely_weights.h5"),
			   "message does not name the expected weights file: "
			   "%s", err.msg);
	qk_fixture_free(fx);
	free(json);
}

Test(loader, keras3_sequential)
{
	struct qk_fixture *fx = small_model(QK_FIXTURE_SEQUENTIAL3);
	char *path = tmp_path("small.keras");
	struct qk_model *m;

	cr_assert_eq(qk_fixture_write_keras(fx, path, NULL), 0);
	m = open_ok(path, NULL);
	cr_expect_eq(m->format, QK_FORMAT_KERAS3);
	cr_expect_str_eq(m->class_name, "Sequential");
	cr_assert_not_null(m->keras_version);
	cr_expect_str_eq(m->keras_version, "3.14.1");
	expect_small_model(m);
	qk_model_free(m);
	qk_fixture_free(fx);
	free(path);
}

Test(loader, keras3_functional)
{
	struct qk_fixture *fx = small_model(QK_FIXTURE_FUNCTIONAL3);
	char *path = tmp_path("small.keras");
	struct qk_model *m;

	cr_assert_eq(qk_fixture_write_keras(fx, path, NULL), 0);
	m = open_ok(path, NULL);
	cr_expect_eq(m->format, QK_FORMAT_KERAS3);
	cr_expect_str_eq(m->class_name, "Functional");
	expect_small_model(m);
	qk_model_free(m);
	qk_fixture_free(fx);
	free(path);
}

/*
 * x -> a, x -> b, add(b, a) -> out, with the layers listed so that the
 * config order is not a topological order.
 */
static struct qk_fixture *diamond(enum qk_fixture_style style)
{
	const int64_t shape[1] = { 4 };
	const char *const x[] = { "x", NULL };
	const char *const ba[] = { "b", "a", NULL };
	const char *const add[] = { "add", NULL };
	const char *const out[] = { "out", NULL };
	struct qk_fixture *fx = qk_fixture_new(style, "diamond");

	cr_assert_not_null(fx);
	cr_assert_not_null(qk_fixture_input(fx, "x", 1, shape));
	cr_assert_not_null(qk_fixture_dense(fx, "a", 4, 4, kernel_dict,
					    kernel_dict, "\"linear\"", x));
	cr_assert_not_null(qk_fixture_dense(fx, "b", 4, 4, kernel_dict,
					    kernel_dict, "\"linear\"", x));
	cr_assert_not_null(qk_fixture_layer(fx, "Add", "add", NULL, ba));
	cr_assert_not_null(qk_fixture_dense(fx, "out", 4, 2, kernel_dict,
					    kernel_dict, "\"linear\"", add));
	cr_assert_eq(qk_fixture_outputs(fx, out), 0);
	return fx;
}

static void expect_diamond(const struct qk_model *m)
{
	const struct qk_layer *add = layer_ok(m, "add");
	const struct qk_layer *x = layer_ok(m, "x");

	cr_expect_eq(add->kind, QK_LAYER_ADD);
	cr_assert_eq(add->n_nodes, 1);
	cr_assert_eq(add->nodes[0].n_inputs, 2);
	cr_expect_eq(add->nodes[0].inputs[0].layer, index_ok(m, "b"));
	cr_expect_eq(add->nodes[0].inputs[1].layer, index_ok(m, "a"));
	cr_expect_lt(index_ok(m, "a"), index_ok(m, "add"));
	cr_expect_lt(index_ok(m, "b"), index_ok(m, "add"));
	cr_expect_lt(index_ok(m, "add"), index_ok(m, "out"));
	cr_expect_eq(x->kind, QK_LAYER_INPUT);
	cr_expect_eq(x->n_consumers, 2);
	cr_expect_eq(layer_ok(m, "a")->n_consumers, 1);
	cr_expect_eq(layer_ok(m, "out")->n_consumers, 0);
}

Test(loader, functional_keras2_inbound_nodes)
{
	struct qk_fixture *fx = diamond(QK_FIXTURE_FUNCTIONAL);
	char *path = tmp_path("diamond.h5");
	struct qk_model *m;

	cr_assert_eq(qk_fixture_write_h5(fx, path, NULL), 0);
	m = open_ok(path, NULL);
	expect_diamond(m);
	qk_model_free(m);
	qk_fixture_free(fx);
	free(path);
}

Test(loader, functional_keras3_inbound_nodes)
{
	struct qk_fixture *fx = diamond(QK_FIXTURE_FUNCTIONAL3);
	char *path = tmp_path("diamond.keras");
	struct qk_model *m;

	cr_assert_eq(qk_fixture_write_keras(fx, path, NULL), 0);
	m = open_ok(path, NULL);
	expect_diamond(m);
	qk_model_free(m);
	qk_fixture_free(fx);
	free(path);
}

/* One Dense applied to two inputs, both results added. */
static struct qk_fixture *shared_layer(enum qk_fixture_style style)
{
	const int64_t shape[1] = { 4 };
	const char *const a[] = { "in_a", NULL };
	const char *const b[] = { "in_b", NULL };
	const char *const both[] = { "shared", "shared:1", NULL };
	const char *const sum[] = { "sum", NULL };
	struct qk_fixture *fx = qk_fixture_new(style, "siamese");

	cr_assert_not_null(fx);
	cr_assert_not_null(qk_fixture_input(fx, "in_a", 1, shape));
	cr_assert_not_null(qk_fixture_input(fx, "in_b", 1, shape));
	cr_assert_not_null(qk_fixture_dense(fx, "shared", 4, 3, kernel_dict,
					    kernel_dict, "\"linear\"", a));
	cr_assert_eq(qk_fixture_node(fx, "shared", b), 0);
	cr_assert_not_null(qk_fixture_layer(fx, "Add", "sum", NULL, both));
	cr_assert_eq(qk_fixture_outputs(fx, sum), 0);
	return fx;
}

static void expect_shared_layer(const struct qk_model *m)
{
	const struct qk_layer *shared = layer_ok(m, "shared");
	const struct qk_layer *sum = layer_ok(m, "sum");
	const int64_t kernel[2] = { 4, 3 };

	cr_assert_eq(shared->n_nodes, 2);
	cr_assert_eq(shared->nodes[0].n_inputs, 1);
	cr_assert_eq(shared->nodes[1].n_inputs, 1);
	cr_expect_eq(shared->nodes[0].inputs[0].layer, index_ok(m, "in_a"));
	cr_expect_eq(shared->nodes[1].inputs[0].layer, index_ok(m, "in_b"));
	cr_assert_eq(sum->n_nodes, 1);
	cr_assert_eq(sum->nodes[0].n_inputs, 2);
	cr_expect_eq(sum->nodes[0].inputs[0].layer, index_ok(m, "shared"));
	cr_expect_eq(sum->nodes[0].inputs[0].node_index, 0);
	cr_expect_eq(sum->nodes[0].inputs[1].layer, index_ok(m, "shared"));
	cr_expect_eq(sum->nodes[0].inputs[1].node_index, 1);
	cr_expect_eq(shared->n_weights, 2);
	expect_pattern_weight(shared, "kernel", 2, kernel);
	cr_expect_eq(m->n_inputs, 2);
}

Test(loader, reused_layer_keras2)
{
	struct qk_fixture *fx = shared_layer(QK_FIXTURE_FUNCTIONAL);
	char *path = tmp_path("shared.h5");
	struct qk_model *m;

	cr_assert_eq(qk_fixture_write_h5(fx, path, NULL), 0);
	m = open_ok(path, NULL);
	expect_shared_layer(m);
	qk_model_free(m);
	qk_fixture_free(fx);
	free(path);
}

Test(loader, reused_layer_keras3)
{
	struct qk_fixture *fx = shared_layer(QK_FIXTURE_FUNCTIONAL3);
	char *path = tmp_path("shared.keras");
	struct qk_model *m;

	cr_assert_eq(qk_fixture_write_keras(fx, path, NULL), 0);
	m = open_ok(path, NULL);
	expect_shared_layer(m);
	qk_model_free(m);
	qk_fixture_free(fx);
	free(path);
}

/* x -> encoder (a nested model: e_in -> e_fc) -> head. */
static struct qk_fixture *nested(enum qk_fixture_style style)
{
	const int64_t shape[1] = { 8 };
	const char *const e_in[] = { "e_in", NULL };
	const char *const e_fc[] = { "e_fc", NULL };
	const char *const x[] = { "x", NULL };
	const char *const enc[] = { "encoder", NULL };
	const char *const head[] = { "head", NULL };
	struct qk_fixture *inner = qk_fixture_new(style, "encoder");
	struct qk_fixture *fx = qk_fixture_new(style, "outer");

	cr_assert_not_null(inner);
	cr_assert_not_null(fx);
	cr_assert_not_null(qk_fixture_input(inner, "e_in", 1, shape));
	cr_assert_not_null(qk_fixture_dense(inner, "e_fc", 8, 4, kernel_dict,
					    kernel_dict, "\"linear\"", e_in));
	cr_assert_eq(qk_fixture_outputs(inner, e_fc), 0);
	cr_assert_not_null(qk_fixture_input(fx, "x", 1, shape));
	cr_assert_not_null(qk_fixture_nest(fx, inner, x));
	cr_assert_not_null(qk_fixture_dense(fx, "head", 4, 2, kernel_dict,
					    kernel_dict, "\"linear\"", enc));
	cr_assert_eq(qk_fixture_outputs(fx, head), 0);
	return fx;
}

static void expect_nested(const struct qk_model *m)
{
	const struct qk_layer *enc = layer_ok(m, "encoder");
	const int64_t kernel[2] = { 8, 4 }, head[2] = { 4, 2 };

	cr_expect_eq(enc->kind, QK_LAYER_MODEL);
	cr_assert_not_null(enc->inner);
	expect_pattern_weight(layer_ok(enc->inner, "e_fc"), "kernel", 2,
			      kernel);
	expect_pattern_weight(layer_ok(m, "head"), "kernel", 2, head);
	cr_expect_lt(index_ok(m, "encoder"), index_ok(m, "head"));
}

Test(loader, nested_model_h5)
{
	struct qk_fixture *fx = nested(QK_FIXTURE_FUNCTIONAL);
	char *path = tmp_path("nested.h5");
	struct qk_model *m;

	cr_assert_eq(qk_fixture_write_h5(fx, path, NULL), 0);
	m = open_ok(path, NULL);
	expect_nested(m);
	qk_model_free(m);
	qk_fixture_free(fx);
	free(path);
}

Test(loader, nested_model_keras3)
{
	struct qk_fixture *fx = nested(QK_FIXTURE_FUNCTIONAL3);
	char *path = tmp_path("nested.keras");
	struct qk_model *m;

	cr_assert_eq(qk_fixture_write_keras(fx, path, NULL), 0);
	m = open_ok(path, NULL);
	expect_nested(m);
	qk_model_free(m);
	qk_fixture_free(fx);
	free(path);
}

Test(loader, two_inputs_two_outputs)
{
	const int64_t sa[1] = { 4 }, sb[1] = { 6 };
	const char *const b[] = { "in_b", NULL };
	const char *const ab[] = { "in_a", "in_b", NULL };
	const char *const cat[] = { "cat", NULL };
	const char *const outs[] = { "out_1", "out_2", NULL };
	struct qk_fixture *fx = qk_fixture_new(QK_FIXTURE_FUNCTIONAL, "two");
	char *path = tmp_path("two.h5");
	struct qk_model *m;

	cr_assert_not_null(fx);
	cr_assert_not_null(qk_fixture_input(fx, "in_a", 1, sa));
	cr_assert_not_null(qk_fixture_input(fx, "in_b", 1, sb));
	cr_assert_not_null(qk_fixture_layer(fx, "Concatenate", "cat",
					    "{\"axis\": -1}", ab));
	cr_assert_not_null(qk_fixture_dense(fx, "out_1", 10, 2, kernel_dict,
					    kernel_dict, "\"linear\"", cat));
	cr_assert_not_null(qk_fixture_dense(fx, "out_2", 6, 1, kernel_dict,
					    kernel_dict, "\"linear\"", b));
	cr_assert_eq(qk_fixture_outputs(fx, outs), 0);
	cr_assert_eq(qk_fixture_write_h5(fx, path, NULL), 0);
	m = open_ok(path, NULL);
	cr_assert_eq(m->n_inputs, 2);
	cr_expect_str_eq(m->layers[m->inputs[0]].name, "in_a");
	cr_expect_str_eq(m->layers[m->inputs[1]].name, "in_b");
	cr_assert_eq(m->n_outputs, 2);
	cr_expect_str_eq(m->layers[m->outputs[0]].name, "out_1");
	cr_expect_str_eq(m->layers[m->outputs[1]].name, "out_2");
	cr_expect_eq(layer_ok(m, "cat")->kind, QK_LAYER_CONCATENATE);
	cr_expect_eq(layer_ok(m, "in_b")->n_consumers, 2);
	qk_model_free(m);
	qk_fixture_free(fx);
	free(path);
}

/* One layer whose config puts a quantizer into one role. */
struct role_case {
	enum qk_role role;
	const char *class_name;
	const char *config_head;	/* config keys before the quantizer */
	int64_t input[3];
	int input_rank;
};

static const struct role_case role_cases[] = {
	{ QK_ROLE_KERNEL, "QDense", "\"units\": 4", { 8 }, 1 },
	{ QK_ROLE_BIAS, "QDense", "\"units\": 4", { 8 }, 1 },
	{ QK_ROLE_ACTIVATION, "QDense", "\"units\": 4", { 8 }, 1 },
	{ QK_ROLE_DEPTHWISE, "QDepthwiseConv2D",
	  "\"kernel_size\": [3, 3], \"depth_multiplier\": 1, "
	  "\"padding\": \"valid\"", { 8, 8, 3 }, 3 },
	{ QK_ROLE_DEPTHWISE, "QSeparableConv2D",
	  "\"filters\": 4, \"kernel_size\": [3, 3], \"padding\": \"valid\"",
	  { 8, 8, 3 }, 3 },
	{ QK_ROLE_POINTWISE, "QSeparableConv2D",
	  "\"filters\": 4, \"kernel_size\": [3, 3], \"padding\": \"valid\"",
	  { 8, 8, 3 }, 3 },
	{ QK_ROLE_RECURRENT, "QSimpleRNN", "\"units\": 4", { 5, 3 }, 2 },
	{ QK_ROLE_STATE, "QSimpleRNN", "\"units\": 4", { 5, 3 }, 2 },
	{ QK_ROLE_ACTIVATION, "QActivation", NULL, { 8 }, 1 },
};

/* Builds the role's layer after an input and returns the model. */
static struct qk_model *model_with_role(const struct role_case *c,
					const char *quantizer)
{
	const char *const in[] = { "x", NULL };
	struct qk_fixture *fx = qk_fixture_new(QK_FIXTURE_FUNCTIONAL, "roles");
	struct qk_err err = QK_ERR_INIT;
	struct qk_model *m;
	char text[1024];
	cJSON *root;

	cr_assert_not_null(fx);
	cr_assert_not_null(qk_fixture_input(fx, "x", c->input_rank,
					    c->input));
	snprintf(text, sizeof(text), "{%s%s\"%s\": %s}",
		 c->config_head ? c->config_head : "",
		 c->config_head ? ", " : "", qk_role_config_key(c->role),
		 quantizer);
	cr_assert_not_null(qk_fixture_layer(fx, c->class_name, "layer", text,
					    in),
			   "invalid fixture config %s", text);
	root = cJSON_Duplicate(fx->root, 1);
	cr_assert_not_null(root);
	m = qk_model_from_config(root, &err);
	cr_assert_not_null(m, "%s %s: %s", c->class_name, text, err.msg);
	qk_fixture_free(fx);
	return m;
}

static void expect_role(const struct role_case *c, const char *quantizer)
{
	struct qk_model *m = model_with_role(c, quantizer);
	const struct qk_layer *layer = layer_ok(m, "layer");
	const struct qk_quantizer *q = layer->quant[c->role];

	cr_assert_not_null(q, "%s: no %s read from %s", c->class_name,
			   qk_role_config_key(c->role), quantizer);
	cr_expect_eq(q->kind, QK_Q_QUANTIZED_BITS, "%s %s", c->class_name,
		     quantizer);
	cr_expect_eq(q->bits, 5, "%s %s: bits %g", c->class_name, quantizer,
		     q->bits);
	cr_expect_eq(q->integer, 1, "%s %s: integer %g", c->class_name,
		     quantizer, q->integer);
	cr_expect_eq(q->alpha_kind, QK_ALPHA_NUMBER);
	cr_expect_eq(q->alpha, 1);
	qk_model_free(m);
}

Test(loader, quantizer_dict_every_role)
{
	size_t i;

	for (i = 0; i < sizeof(role_cases) / sizeof(role_cases[0]); i++)
		expect_role(&role_cases[i],
			    "{\"class_name\": \"quantized_bits\", \"config\": "
			    "{\"bits\": 5, \"integer\": 1, \"alpha\": 1}}");
}

Test(loader, quantizer_string_every_role)
{
	size_t i;

	for (i = 0; i < sizeof(role_cases) / sizeof(role_cases[0]); i++)
		expect_role(&role_cases[i], "\"quantized_bits(5, 1, alpha=1)\"");
}

/* The constructor form shown in messages and in `qklint layers`. */
Test(loader, quantizer_dict_text_has_arguments)
{
	struct qk_model *m = model_with_role(
		&role_cases[0], "{\"class_name\": \"quantized_bits\", "
				"\"config\": {\"bits\": 5, \"integer\": 1, "
				"\"alpha\": 1}}");
	const struct qk_quantizer *q = layer_ok(m, "layer")->quant[0];

	cr_assert_not_null(q);
	cr_assert_not_null(q->text);
	cr_expect(strncmp(q->text, "quantized_bits(5", 16) == 0,
		  "text '%s' does not show bits=5", q->text);
	cr_expect_not_null(strstr(q->text, "1"), "text '%s'", q->text);
	qk_model_free(m);
}

Test(loader, quantizer_keras3_dict_with_module)
{
	const struct role_case *c = &role_cases[0];

	expect_role(c, "{\"module\": \"qkeras.quantizers\", \"class_name\": "
		       "\"quantized_bits\", \"config\": {\"bits\": 5, "
		       "\"integer\": 1, \"alpha\": 1}, \"registered_name\": "
		       "\"qkeras>quantized_bits\"}");
}

Test(loader, weight_values_read_back)
{
	static const double values[6] = { 0.1, -0.25, 1e-30, -3.5e10, 0, 7 };
	const uint64_t shape[2] = { 2, 3 };
	const int64_t in[1] = { 2 };
	const char *const x[] = { "x", NULL };
	struct qk_fixture *fx = qk_fixture_new(QK_FIXTURE_FUNCTIONAL, "vals");
	char *path = tmp_path("values.h5");
	const struct qk_tensor *t;
	struct qk_model *m;
	size_t i;

	cr_assert_not_null(fx);
	cr_assert_not_null(qk_fixture_input(fx, "x", 1, in));
	cr_assert_not_null(qk_fixture_layer(fx, "QDense", "fc",
					    "{\"units\": 3, \"use_bias\": "
					    "false, \"kernel_quantizer\": "
					    "\"quantized_bits(8,0,alpha=1)\"}",
					    x));
	cr_assert_not_null(qk_fixture_weight(fx, "fc", "kernel", 2, shape,
					     values));
	cr_assert_eq(qk_fixture_write_h5(fx, path, NULL), 0);
	m = open_ok(path, NULL);
	t = qk_layer_weight(layer_ok(m, "fc"), "kernel");
	cr_assert_not_null(t);
	cr_assert_eq(t->count, 6);
	for (i = 0; i < 6; i++)
		cr_expect_eq(t->data[i], (float)values[i], "kernel[%zu] = %g",
			     i, t->data[i]);
	cr_expect_eq(layer_ok(m, "fc")->params.use_bias, 0);
	qk_model_free(m);
	qk_fixture_free(fx);
	free(path);
}

Test(loader, weight_float64_converted)
{
	struct qk_fixture *fx = small_model(QK_FIXTURE_FUNCTIONAL);
	char *path = tmp_path("f64.h5");
	const int64_t k1[2] = { 16, 8 };
	struct qk_model *m;

	fx->tensors[0].dtype = QK_FIXTURE_F64;
	cr_assert_eq(qk_fixture_write_h5(fx, path, NULL), 0);
	m = open_ok(path, NULL);
	expect_pattern_weight(layer_ok(m, "fc1"), "kernel", 2, k1);
	qk_model_free(m);
	qk_fixture_free(fx);
	free(path);
}

Test(loader, weight_shape_disagrees_with_config)
{
	struct qk_fixture *fx = small_model(QK_FIXTURE_FUNCTIONAL);
	struct qk_open_options options = { NULL, 0 };
	struct qk_err err = QK_ERR_INIT;
	char *path = tmp_path("shape.h5");

	/* fc1 declares 8 units; store a kernel with 9 columns. */
	fx->tensors[0].shape[1] = 9;
	fx->tensors[0].count = 16 * 9;
	free(fx->tensors[0].data);
	fx->tensors[0].data = calloc(16 * 9, sizeof(double));
	cr_assert_not_null(fx->tensors[0].data);
	cr_assert_eq(qk_fixture_write_h5(fx, path, NULL), 0);
	cr_assert_null(qk_model_open(path, &options, &err));
	cr_expect_not_null(strstr(err.msg, "'fc1'"),
			   "message does not name the layer: %s", err.msg);
	cr_expect_not_null(strstr(err.msg, "kernel"),
			   "message does not name the weight: %s", err.msg);
	qk_fixture_free(fx);
	free(path);
}

Test(loader, hgq_proxy_kind)
{
	const int64_t shape[1] = { 4 };
	const uint64_t one[1] = { 1 };
	const char *const x[] = { "x", NULL };
	const char *const q[] = { "x_q", NULL };
	const char *const fc[] = { "fc", NULL };
	static const char fpq[] =
		"{\"RND\": \"TRN\", \"SAT\": \"WRAP\", \"shape\": [1], "
		"\"overrides\": {}, \"fusible\": false}";
	struct qk_fixture *fx = qk_fixture_new(QK_FIXTURE_FUNCTIONAL, "proxy");
	char *path = tmp_path("proxy.h5");
	struct qk_fixture_tensor *t;
	const char *names[3] = { "keep_negative", "bits", "integers" };
	struct qk_model *m;
	int i;

	cr_assert_not_null(fx);
	cr_assert_not_null(qk_fixture_input(fx, "x", 1, shape));
	cr_assert_not_null(qk_fixture_layer(fx, "FixedPointQuantizer", "x_q",
					    fpq, x));
	cr_assert_not_null(qk_fixture_dense(fx, "fc", 4, 2, NULL, NULL,
					    "\"linear\"", q));
	cr_assert_not_null(qk_fixture_layer(fx, "FixedPointQuantizer",
					    "fc_q", fpq, fc));
	/* HGQ stores the quantizer's settings as int8 weights in the layer
	 * group itself, named "bits:0" without a layer prefix. */
	for (i = 0; i < 3; i++) {
		char name[32];

		t = qk_fixture_weight(fx, "x_q", names[i], 1, one, NULL);
		cr_assert_not_null(t);
		t->dtype = QK_FIXTURE_I8;
		t->data[0] = i == 1 ? 8 : 1;
		snprintf(name, sizeof(name), "%s:0", names[i]);
		free(t->weight_name);
		t->weight_name = strdup(name);
		cr_assert_not_null(t->weight_name);
	}
	cr_assert_eq(qk_fixture_write_h5(fx, path, NULL), 0);
	m = open_ok(path, NULL);
	cr_expect_eq(m->kind, QK_MODEL_HGQ_PROXY);
	cr_expect_eq(layer_ok(m, "x_q")->kind, QK_LAYER_FIXED_QUANTIZER);
	cr_expect_eq(layer_ok(m, "fc")->kind, QK_LAYER_DENSE);
	cr_expect_not(layer_ok(m, "fc")->is_qkeras);
	qk_model_free(m);
	qk_fixture_free(fx);
	free(path);
}

Test(loader, plain_keras_kind)
{
	const int64_t shape[1] = { 4 };
	const char *const x[] = { "x", NULL };
	const char *const fc[] = { "fc", NULL };
	struct qk_fixture *fx = qk_fixture_new(QK_FIXTURE_FUNCTIONAL, "plain");
	char *path = tmp_path("plain.h5");
	struct qk_model *m;

	cr_assert_not_null(fx);
	cr_assert_not_null(qk_fixture_input(fx, "x", 1, shape));
	cr_assert_not_null(qk_fixture_dense(fx, "fc", 4, 2, NULL, NULL,
					    "\"relu\"", x));
	cr_assert_eq(qk_fixture_outputs(fx, fc), 0);
	cr_assert_eq(qk_fixture_write_h5(fx, path, NULL), 0);
	m = open_ok(path, NULL);
	cr_expect_eq(m->kind, QK_MODEL_KERAS);
	cr_expect_not(layer_ok(m, "fc")->is_qkeras);
	cr_assert_not_null(layer_ok(m, "fc")->activation);
	cr_expect_str_eq(layer_ok(m, "fc")->activation, "relu");
	qk_model_free(m);
	qk_fixture_free(fx);
	free(path);
}

/* ---- real saved models ---- */

static char *shared_model(const char *name)
{
	struct stat st;
	char *path;

	if (stat(QK_SHARED_MODELS, &st) != 0 || !S_ISDIR(st.st_mode))
		cr_skip_test("../shared/models not found");
	path = qk_fixture_path(QK_SHARED_MODELS, name);
	cr_assert_not_null(path);
	return path;
}

static void expect_loads(const char *name, enum qk_format format,
			 enum qk_model_kind kind)
{
	char *path = shared_model(name);
	struct qk_model *m = open_ok(path, NULL);

	cr_expect_eq(m->format, format, "%s: format %s", name,
		     qk_format_name(m->format));
	cr_expect_eq(m->kind, kind, "%s: kind %s", name,
		     qk_model_kind_name(m->kind));
	cr_expect_gt(m->n_layers, 2);
	qk_model_free(m);
	free(path);
}

Test(loader, real_qkeras_3layer)
{
	expect_loads("qkeras_3layer.json", QK_FORMAT_JSON, QK_MODEL_QKERAS);
}

Test(loader, real_qkeras_mnist_cnn)
{
	expect_loads("qkeras_mnist_cnn.json", QK_FORMAT_JSON,
		     QK_MODEL_QKERAS);
}

Test(loader, real_qkeras_v3_keras)
{
	expect_loads("qkeras-v3_3layer.keras", QK_FORMAT_KERAS3,
		     QK_MODEL_QKERAS);
}

Test(loader, real_hgq_jet_classifier)
{
	expect_loads("hgq_jet_classifier.h5", QK_FORMAT_H5,
		     QK_MODEL_HGQ_PROXY);
}

Test(loader, real_plain_keras_3layer)
{
	expect_loads("KERAS_3layer.json", QK_FORMAT_JSON, QK_MODEL_KERAS);
}

Test(loader, real_mnist_cnn_shapes)
{
	char *path = shared_model("qkeras_mnist_cnn.json");
	struct qk_model *m = open_ok(path, NULL);
	const struct qk_layer *conv = layer_ok(m, "q_conv2d");
	const struct qk_tensor *k = qk_layer_weight(conv, "kernel");

	cr_expect_eq(conv->kind, QK_LAYER_CONV2D);
	cr_assert_not_null(conv->activation);
	cr_expect_str_eq(conv->activation, "relu");
	cr_assert_not_null(k);
	cr_assert_eq(k->rank, 4);
	cr_expect_eq(k->shape[0], 3);
	cr_expect_eq(k->shape[3], 16);
	cr_expect_eq(layer_ok(m, "dropout")->kind, QK_LAYER_DROPOUT);
	qk_model_free(m);
	free(path);
}

/* The weights of each QDense in layer order; Keras 3 renames the layers'
 * groups but keeps the layer names. */
Test(loader, real_v2_and_v3_agree)
{
	char *p2 = shared_model("qkeras_3layer.json");
	char *p3 = shared_model("qkeras-v3_3layer.keras");
	struct qk_model *m2 = open_ok(p2, NULL);
	struct qk_model *m3 = open_ok(p3, NULL);
	size_t i, j;

	cr_assert_eq(m2->n_layers, m3->n_layers);
	for (i = 0; i < m2->n_layers; i++) {
		const struct qk_layer *a = &m2->layers[i];
		const struct qk_layer *b = &m3->layers[i];

		if (a->kind == QK_LAYER_INPUT)
			continue;
		cr_assert_str_eq(a->name, b->name, "layer %zu", i);
		cr_assert_str_eq(a->class_name, b->class_name, "layer %zu", i);
		cr_assert_eq(a->n_weights, b->n_weights, "layer '%s'",
			     a->name);
		for (j = 0; j < a->n_weights; j++) {
			const struct qk_tensor *ta = &a->weights[j];
			const struct qk_tensor *tb;

			tb = qk_layer_weight(b, ta->name);
			cr_assert_not_null(tb, "'%s/%s' missing in .keras",
					   a->name, ta->name);
			cr_assert_eq(ta->count, tb->count);
			cr_assert_eq(memcmp(ta->data, tb->data,
					    ta->count * sizeof(float)), 0,
				     "'%s/%s' values differ", a->name,
				     ta->name);
		}
	}
	qk_model_free(m2);
	qk_model_free(m3);
	free(p2);
	free(p3);
}

/*
 * Output shapes inferred from layer configs, on models built in memory.
 */
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "lint/model.h"

static struct qk_model *build(const char *json)
{
	struct qk_err err = QK_ERR_INIT;
	struct qk_model *model = qk_model_from_config(cJSON_Parse(json), &err);

	cr_assert_not_null(model, "%s", err.msg);
	return model;
}

static void expect_shape(const struct qk_model *model, const char *name,
			 int rank, const int64_t *dims)
{
	const struct qk_layer *layer = qk_model_find(model, name);
	int i;

	cr_assert_not_null(layer, "no layer '%s'", name);
	cr_expect_eq(layer->out_rank, rank, "'%s' rank %d", name,
		     layer->out_rank);
	for (i = 0; i < rank && i < layer->out_rank; i++)
		cr_expect_eq(layer->out_shape[i], dims[i], "'%s' dim %d is %lld",
			     name, i, (long long)layer->out_shape[i]);
}

Test(model_shape, pooling_strides)
{
	struct qk_model *model = build(
		"{\"class_name\": \"Sequential\", \"config\": {\"layers\": ["
		"{\"class_name\": \"InputLayer\", \"config\": {\"name\": \"x\","
		" \"batch_input_shape\": [null, 10, 3]}},"
		"{\"class_name\": \"MaxPooling1D\", \"config\": {\"name\": "
		"\"stride1\", \"pool_size\": [2], \"strides\": [1]}},"
		"{\"class_name\": \"MaxPooling1D\", \"config\": {\"name\": "
		"\"default\", \"pool_size\": [3], \"strides\": null}},"
		"{\"class_name\": \"AveragePooling1D\", \"config\": {\"name\": "
		"\"same\", \"pool_size\": [2], \"padding\": \"same\"}}]}}");
	static const int64_t stride1[] = { 9, 3 }, by_pool[] = { 3, 3 };
	static const int64_t same[] = { 2, 3 };

	/* 10 - 2 + 1 = 9 with stride 1; 9 / 3 = 3 with the default stride. */
	expect_shape(model, "stride1", 2, stride1);
	expect_shape(model, "default", 2, by_pool);
	expect_shape(model, "same", 2, same);
	qk_model_free(model);
}

Test(model_shape, conv_and_flatten)
{
	struct qk_model *model = build(
		"{\"class_name\": \"Sequential\", \"config\": {\"layers\": ["
		"{\"class_name\": \"InputLayer\", \"config\": {\"name\": \"x\","
		" \"batch_input_shape\": [null, 28, 28, 1]}},"
		"{\"class_name\": \"Conv2D\", \"config\": {\"name\": \"c\","
		" \"filters\": 4, \"kernel_size\": [3, 3], \"strides\": [2, 2],"
		" \"padding\": \"same\"}},"
		"{\"class_name\": \"Flatten\", \"config\": {\"name\": \"f\"}},"
		"{\"class_name\": \"Dense\", \"config\": {\"name\": \"d\","
		" \"units\": 7}}]}}");
	static const int64_t conv[] = { 14, 14, 4 }, flat[] = { 784 };
	static const int64_t dense[] = { 7 };

	expect_shape(model, "c", 3, conv);
	expect_shape(model, "f", 1, flat);
	expect_shape(model, "d", 1, dense);
	qk_model_free(model);
}

static const char chain_through_shared[] =
	"{\"class_name\": \"Functional\", \"config\": {\"name\": \"m\", "
	"\"layers\": ["
	"{\"class_name\": \"InputLayer\", \"name\": \"x\", \"config\": "
	"{\"name\": \"x\", \"batch_input_shape\": [null, 4]}, "
	"\"inbound_nodes\": []},"
	"{\"class_name\": \"Dense\", \"name\": \"fc\", \"config\": "
	"{\"name\": \"fc\", \"units\": 4}, \"inbound_nodes\": "
	"[[[\"x\", 0, 0, {}]], [[\"act\", 0, 0, {}]]]},"
	"{\"class_name\": \"Activation\", \"name\": \"act\", \"config\": "
	"{\"name\": \"act\", \"activation\": \"relu\"}, \"inbound_nodes\": "
	"[[[\"fc\", 0, 0, {}]]]},"
	"{\"class_name\": \"Activation\", \"name\": \"out\", \"config\": "
	"{\"name\": \"out\", \"activation\": \"relu\"}, \"inbound_nodes\": "
	"[[[\"fc\", 1, 0, {}]]]}],"
	"\"input_layers\": [[\"x\", 0, 0]], "
	"\"output_layers\": [[\"out\", 0, 0]]}}";

/* x -> fc -> act -> fc (second call) -> out has no cycle among calls. */
Test(model_shape, chain_through_shared_layer)
{
	struct qk_model *model = build(chain_through_shared);
	static const int64_t four[] = { 4 };

	cr_expect_eq(qk_model_index(model, "x"), 0);
	cr_expect_lt(qk_model_index(model, "fc"), qk_model_index(model, "act"));
	cr_expect_eq(qk_model_find(model, "fc")->n_nodes, 2);
	expect_shape(model, "out", 1, four);
	qk_model_free(model);
}

/* fc's second call feeding act, which feeds that same call, is a cycle. */
Test(model_shape, call_cycle_rejected)
{
	char *text = strdup(chain_through_shared);
	char *at = strstr(text, "[[[\"fc\", 0, 0, {}]]]},"
			  "{\"class_name\": \"Activation\", \"name\": \"out\"");
	struct qk_err err = QK_ERR_INIT;
	struct qk_model *model;

	cr_assert_not_null(at);
	at[9] = '1';	/* act now takes fc's second call */
	model = qk_model_from_config(cJSON_Parse(text), &err);
	cr_expect_null(model);
	cr_expect(strstr(err.msg, "layer graph has a cycle through layer"),
		  "%s", err.msg);
	qk_model_free(model);
	free(text);
}

/*
 * The hls4ml config writer: its output must parse as YAML (libyaml) and
 * carry the derived types under the keys hls4ml reads.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <criterion/criterion.h>
#include <yaml.h>

#include "../verify/hls4ml.h"
#include "sim_helper.h"

struct config_text {
	char *text;
	size_t size;
	yaml_document_t doc;
};

/* Looks up key in a mapping node; NULL when absent. */
static yaml_node_t *lookup(yaml_document_t *doc, yaml_node_t *map,
			   const char *key)
{
	yaml_node_pair_t *pair;

	if (!map || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (pair = map->data.mapping.pairs.start;
	     pair < map->data.mapping.pairs.top; pair++) {
		yaml_node_t *k = yaml_document_get_node(doc, pair->key);

		if (k && k->type == YAML_SCALAR_NODE &&
		    strcmp((char *)k->data.scalar.value, key) == 0)
			return yaml_document_get_node(doc, pair->value);
	}
	return NULL;
}

/* The scalar at a path of keys ending in NULL, or NULL. */
static const char *scalar_at(struct config_text *c, ...)
{
	yaml_node_t *node = yaml_document_get_root_node(&c->doc);
	va_list ap;
	const char *key;

	va_start(ap, c);
	while (node && (key = va_arg(ap, const char *)))
		node = lookup(&c->doc, node, key);
	va_end(ap);
	if (!node || node->type != YAML_SCALAR_NODE)
		return NULL;
	return (const char *)node->data.scalar.value;
}

static void write_and_parse(const struct qk_model *model,
			    const struct qk_precision *prec,
			    enum qk_prec_mode mode, struct config_text *c)
{
	struct qk_err err = QK_ERR_INIT;
	yaml_parser_t parser;
	FILE *out = open_memstream(&c->text, &c->size);

	cr_assert_not_null(out);
	cr_assert_eq(qk_hls4ml_write_config(out, model, prec, mode, &err), 0,
		     "%s", err.msg);
	fclose(out);
	cr_assert(yaml_parser_initialize(&parser));
	yaml_parser_set_input_string(&parser, (unsigned char *)c->text,
				     c->size);
	cr_assert(yaml_parser_load(&parser, &c->doc), "invalid YAML: %s\n%s",
		  parser.problem ? parser.problem : "", c->text);
	yaml_parser_delete(&parser);
}

static void release_config(struct config_text *c)
{
	yaml_document_delete(&c->doc);
	free(c->text);
}

static void expect_scalar(struct config_text *c, const char *value,
			  const char *what, const char *got)
{
	cr_expect_not_null(got, "%s missing in\n%s", what, c->text);
	if (got)
		cr_expect_str_eq(got, value, "%s: %s, expected %s", what, got,
				 value);
}

static struct qk_model *dense_model(void)
{
	static const float kernel[] = { 0.3f, -0.7f };
	static const float bias[] = { 0.25f };
	struct qk_model *model = qkt_sequential(
		SIMT_INPUT(2) ","
		SIMT_QACT("qin", "quantized_bits(8,2,alpha=1)") ","
		SIMT_QDENSE_BIAS("fc", 1, "quantized_bits(6,0,alpha=1)",
				 "quantized_bits(6,0,alpha=1)",
				 "linear") ","
		SIMT_QACT("out", "quantized_bits(6,1,alpha=1)") ","
		"{'class_name': 'Activation', 'config': {'name': 'soft', "
		"'activation': 'softmax'}}");

	simt_dense_weights(model, "fc", 2, 1, kernel, bias);
	return model;
}

/* Types as in the precision tests: see the derivation there. */
Test(hls4ml, safe_config_entries)
{
	struct qk_model *model = dense_model();
	struct qk_precision *prec;
	struct qk_err err = QK_ERR_INIT;
	struct config_text c = { 0 };

	cr_assert_eq(qk_precision_derive(model, NULL, &prec, &err), 0, "%s",
		     err.msg);
	write_and_parse(model, prec, QK_PREC_SAFE, &c);
	expect_scalar(&c, "ap_fixed<10,3,AP_TRN,AP_SAT>", "Model.Precision",
		      scalar_at(&c, "Model", "Precision", NULL));
	expect_scalar(&c, "1", "Model.ReuseFactor",
		      scalar_at(&c, "Model", "ReuseFactor", NULL));
	expect_scalar(&c, "Latency", "Model.Strategy",
		      scalar_at(&c, "Model", "Strategy", NULL));
	expect_scalar(&c, "ap_fixed<5,1>", "fc weight",
		      scalar_at(&c, "LayerName", "fc", "Precision", "weight",
				NULL));
	expect_scalar(&c, "ap_fixed<13,4>", "fc accum",
		      scalar_at(&c, "LayerName", "fc", "Precision", "accum",
				NULL));
	expect_scalar(&c, "ap_fixed<13,4>", "fc bias",
		      scalar_at(&c, "LayerName", "fc", "Precision", "bias",
				NULL));
	/* fc is followed by the QActivation's quantizer: its type. */
	expect_scalar(&c, "ap_fixed<6,2,AP_RND_CONV,AP_SAT>", "fc result",
		      scalar_at(&c, "LayerName", "fc", "Precision", "result",
				NULL));
	expect_scalar(&c, "ap_fixed<6,2,AP_RND_CONV,AP_SAT>", "out result",
		      scalar_at(&c, "LayerName", "out", "Precision", "result",
				NULL));
	/* softmax has no exact type: a comment, no entry */
	cr_expect_null(lookup(&c.doc, lookup(&c.doc,
					     yaml_document_get_root_node(
						     &c.doc), "LayerName"),
			      "soft"));
	cr_expect(strstr(c.text, "# 'soft'") != NULL, "%s", c.text);
	release_config(&c);
	qk_precision_free(prec);
	qk_model_free(model);
}

Test(hls4ml, fast_config_wraps)
{
	struct qk_model *model = dense_model();
	struct qk_precision *prec;
	struct qk_err err = QK_ERR_INIT;
	struct config_text c = { 0 };

	cr_assert_eq(qk_precision_derive(model, NULL, &prec, &err), 0, "%s",
		     err.msg);
	write_and_parse(model, prec, QK_PREC_FAST, &c);
	expect_scalar(&c, "ap_fixed<6,2,AP_RND_CONV>", "fc result",
		      scalar_at(&c, "LayerName", "fc", "Precision", "result",
				NULL));
	expect_scalar(&c, "ap_fixed<11,2>", "fc accum",
		      scalar_at(&c, "LayerName", "fc", "Precision", "accum",
				NULL));
	release_config(&c);
	qk_precision_free(prec);
	qk_model_free(model);
}

Test(hls4ml, rejects_foreign_precision)
{
	struct qk_model *model = dense_model();
	struct qk_model *other = dense_model();
	struct qk_precision *prec;
	struct qk_err err = QK_ERR_INIT;
	FILE *out = fopen("/dev/null", "w");

	cr_assert_not_null(out);
	cr_assert_eq(qk_precision_derive(model, NULL, &prec, &err), 0);
	cr_expect_eq(qk_hls4ml_write_config(out, other, prec, QK_PREC_SAFE,
					    &err), -1);
	fclose(out);
	qk_precision_free(prec);
	qk_model_free(other);
	qk_model_free(model);
}

/* The real model's entries use the same layer names as hls4ml's own. */
Test(hls4ml, real_three_layer_model)
{
	const char *path = QK_SHARED_MODELS "/qkeras_3layer.json";
	struct qk_open_options options = { NULL, 0 };
	struct qk_err err = QK_ERR_INIT;
	struct config_text c = { 0 };
	struct qk_model *model;
	struct qk_precision *prec;
	struct stat st;

	if (stat(QK_SHARED_MODELS, &st) != 0 || stat(path, &st) != 0)
		cr_skip_test("../shared/models not found");
	model = qk_model_open(path, &options, &err);
	cr_assert_not_null(model, "%s", err.msg);
	cr_assert_eq(qk_precision_derive_text(model, "fixed<16,6>", &prec,
					      &err), 0, "%s", err.msg);
	write_and_parse(model, prec, QK_PREC_SAFE, &c);
	expect_scalar(&c, "ap_fixed<16,6>", "Model.Precision",
		      scalar_at(&c, "Model", "Precision", NULL));
	expect_scalar(&c, "ap_fixed<16,6>", "fc1_input result",
		      scalar_at(&c, "LayerName", "fc1_input", "Precision",
				"result", NULL));
	expect_scalar(&c, "ap_fixed<7,1,AP_RND_CONV,AP_SAT>", "fc1 result",
		      scalar_at(&c, "LayerName", "fc1", "Precision", "result",
				NULL));
	cr_expect_not_null(scalar_at(&c, "LayerName", "fc3", "Precision",
				     "accum", NULL), "%s", c.text);
	release_config(&c);
	qk_precision_free(prec);
	qk_model_free(model);
}

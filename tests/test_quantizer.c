#include <criterion/criterion.h>

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <cJSON.h>
#include <zip.h>

#include "lint/limits.h"
#include "lint/quantizer.h"

static struct qk_quantizer *parse_ok(const char *text)
{
	struct qk_err err = QK_ERR_INIT;
	struct qk_quantizer *q = qk_quantizer_parse(text, &err);

	cr_assert_not_null(q, "parse '%s': %s", text, err.msg);
	return q;
}

static struct qk_quantizer *json_ok(const char *json)
{
	struct qk_err err = QK_ERR_INIT;
	cJSON *item = cJSON_Parse(json);
	struct qk_quantizer *q;

	cr_assert_not_null(item, "test JSON does not parse: %s", json);
	q = qk_quantizer_from_json(item, &err);
	cJSON_Delete(item);
	cr_assert_not_null(q, "from_json '%s': %s", json, err.msg);
	return q;
}

/* Checks that from_json rejects json with exactly the expected message. */
static void json_fails(const char *json, const char *expected)
{
	struct qk_err err = QK_ERR_INIT;
	cJSON *item = cJSON_Parse(json);
	struct qk_quantizer *q;

	cr_assert_not_null(item, "test JSON does not parse: %s", json);
	q = qk_quantizer_from_json(item, &err);
	cJSON_Delete(item);
	cr_assert_null(q, "from_json '%s' should fail", json);
	cr_expect_str_eq(err.msg, expected, "from_json '%s'", json);
	qk_quantizer_free(q);
}

static void expect_number(const struct qk_quantizer *q, const char *name,
			  double expected)
{
	const struct qk_value *v = qk_quantizer_param(q, name);

	cr_assert_not_null(v, "param '%s' missing in %s", name, q->text);
	cr_expect_eq(v->type, QK_VAL_NUMBER, "param '%s' type", name);
	cr_expect_eq(v->number, expected, "param '%s' is %g", name, v->number);
}

Test(quantizer, positional_relu)
{
	struct qk_quantizer *q = parse_ok("quantized_relu(3,1)");

	cr_expect_eq(q->kind, QK_Q_QUANTIZED_RELU);
	cr_expect_str_eq(q->class_name, "quantized_relu");
	cr_expect_str_eq(q->text, "quantized_relu(3,1)");
	cr_expect_eq(q->n_params, 2);
	cr_expect_str_eq(q->params[0].name, "bits");
	cr_expect_str_eq(q->params[1].name, "integer");
	cr_expect_eq(q->bits, 3);
	cr_expect_eq(q->integer, 1);
	cr_expect_eq(q->use_sigmoid, 0);
	qk_quantizer_free(q);
}

Test(quantizer, keyword_arguments)
{
	struct qk_quantizer *q = parse_ok(
		"quantized_bits(bits=4,integer=0,symmetric=1,"
		"keep_negative=True,alpha='auto_po2')");

	cr_expect_eq(q->kind, QK_Q_QUANTIZED_BITS);
	cr_expect_eq(q->n_params, 5);
	cr_expect_eq(q->bits, 4);
	cr_expect_eq(q->integer, 0);
	cr_expect_eq(q->symmetric, 1);
	cr_expect_eq(q->keep_negative, 1);
	cr_expect_eq(q->alpha_kind, QK_ALPHA_AUTO_PO2);
	cr_expect_eq(qk_quantizer_param(q, "keep_negative")->type,
		     QK_VAL_BOOL);
	cr_expect_str_eq(qk_quantizer_param(q, "alpha")->string, "auto_po2");
	qk_quantizer_free(q);
}

Test(quantizer, mixed_positional_and_keyword)
{
	struct qk_quantizer *q = parse_ok("quantized_bits(8, 3, alpha=1)");

	cr_expect_eq(q->n_params, 3);
	expect_number(q, "bits", 8);
	expect_number(q, "integer", 3);
	expect_number(q, "alpha", 1);
	cr_expect_eq(q->alpha_kind, QK_ALPHA_NUMBER);
	cr_expect_eq(q->alpha, 1);
	cr_expect_null(qk_quantizer_param(q, "symmetric"));
	qk_quantizer_free(q);
}

Test(quantizer, relu_third_positional_is_use_sigmoid)
{
	struct qk_quantizer *q = parse_ok("quantized_relu(8,0,1)");

	expect_number(q, "use_sigmoid", 1);
	cr_expect_eq(q->use_sigmoid, 1);
	cr_expect_null(qk_quantizer_param(q, "symmetric"));
	cr_expect_eq(q->symmetric, 0);
	qk_quantizer_free(q);
}

Test(quantizer, bits_third_positional_is_symmetric)
{
	struct qk_quantizer *q = parse_ok("quantized_bits(8,0,1)");

	expect_number(q, "symmetric", 1);
	cr_expect_eq(q->symmetric, 1);
	cr_expect_null(qk_quantizer_param(q, "use_sigmoid"));
	qk_quantizer_free(q);
}

Test(quantizer, whitespace_anywhere)
{
	struct qk_quantizer *q =
		parse_ok("  quantized_bits ( 8 ,\t3 ,\n alpha = 1 , )  ");

	cr_expect_str_eq(q->text, "quantized_bits ( 8 ,\t3 ,\n alpha = 1 , )");
	cr_expect_eq(q->n_params, 3);
	cr_expect_eq(q->bits, 8);
	cr_expect_eq(q->integer, 3);
	cr_expect_eq(q->alpha, 1);
	qk_quantizer_free(q);
}

Test(quantizer, number_forms)
{
	struct qk_quantizer *q = parse_ok(
		"quantized_relu(bits=4, negative_slope=-0.25, "
		"relu_upper_bound=6e0, qnoise_factor=.5, integer=+2.)");

	cr_expect_eq(q->bits, 4);
	cr_expect_eq(q->negative_slope, -0.25);
	cr_expect_eq(q->has_relu_upper_bound, 1);
	cr_expect_eq(q->relu_upper_bound, 6);
	cr_expect_eq(q->qnoise_factor, 0.5);
	cr_expect_eq(q->integer, 2);
	qk_quantizer_free(q);

	q = parse_ok("quantized_bits(1.5E+1, - 3, alpha=2.5e-1)");
	cr_expect_eq(q->bits, 15);
	cr_expect_eq(q->integer, -3);
	cr_expect_eq(q->alpha, 0.25);
	qk_quantizer_free(q);
}

Test(quantizer, bool_none_and_string_values)
{
	struct qk_quantizer *q = parse_ok(
		"quantized_bits(4, 0, keep_negative=False, alpha=None, "
		"use_stochastic_rounding=True, var_name=\"k\\\"q\")");
	const struct qk_value *v;

	cr_expect_eq(q->keep_negative, 0);
	cr_expect_eq(q->use_stochastic_rounding, 1);
	cr_expect_eq(q->alpha_kind, QK_ALPHA_UNSET);
	v = qk_quantizer_param(q, "alpha");
	cr_assert_not_null(v);
	cr_expect_eq(v->type, QK_VAL_NONE);
	v = qk_quantizer_param(q, "var_name");
	cr_assert_not_null(v);
	cr_expect_eq(v->type, QK_VAL_STRING);
	cr_expect_str_eq(v->string, "k\"q");
	qk_quantizer_free(q);
}

Test(quantizer, alpha_kinds)
{
	struct {
		const char *text;
		enum qk_alpha kind;
		double alpha;
	} cases[] = {
		{ "quantized_bits(4)", QK_ALPHA_UNSET, 1 },
		{ "quantized_bits(4, alpha=None)", QK_ALPHA_UNSET, 1 },
		{ "quantized_bits(4, alpha=0.5)", QK_ALPHA_NUMBER, 0.5 },
		{ "quantized_bits(4, alpha=\"auto\")", QK_ALPHA_AUTO, 1 },
		{ "quantized_bits(4, alpha='auto_po2')", QK_ALPHA_AUTO_PO2, 1 },
		{ "quantized_bits(4, alpha='mean')", QK_ALPHA_OTHER, 1 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct qk_quantizer *q = parse_ok(cases[i].text);

		cr_expect_eq(q->alpha_kind, cases[i].kind, "%s", cases[i].text);
		cr_expect_eq(q->alpha, cases[i].alpha, "%s", cases[i].text);
		qk_quantizer_free(q);
	}
}

Test(quantizer, bare_quantizer_names)
{
	struct qk_quantizer *q = parse_ok("binary");

	cr_expect_eq(q->kind, QK_Q_BINARY);
	cr_expect_eq(q->n_params, 0);
	cr_expect_eq(q->bits, 1);
	cr_expect_eq(q->use_01, 0);
	cr_expect_str_eq(q->text, "binary");
	qk_quantizer_free(q);

	q = parse_ok(" ternary ");
	cr_expect_eq(q->kind, QK_Q_TERNARY);
	cr_expect_eq(q->bits, 2);
	cr_expect_eq(q->has_threshold, 0);
	cr_expect_str_eq(q->text, "ternary");
	qk_quantizer_free(q);

	q = parse_ok("quantized_relu");
	cr_expect_eq(q->kind, QK_Q_QUANTIZED_RELU);
	cr_expect_eq(q->bits, 8);
	qk_quantizer_free(q);
}

Test(quantizer, bare_keras_activations)
{
	const char *names[] = { "relu", "linear", "softmax", "sigmoid",
				"tanh" };
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct qk_quantizer *q = parse_ok(names[i]);

		cr_expect_eq(q->kind, QK_Q_KERAS_ACTIVATION, "%s", names[i]);
		cr_expect_str_eq(q->class_name, names[i]);
		cr_expect_eq(q->n_params, 0);
		qk_quantizer_free(q);
	}
}

Test(quantizer, unknown_name_with_arguments)
{
	struct qk_quantizer *q = parse_ok("my_quant(3, 'x', scale=2)");

	cr_expect_eq(q->kind, QK_Q_UNKNOWN);
	cr_expect_str_eq(q->class_name, "my_quant");
	cr_expect_eq(q->n_params, 3);
	expect_number(q, "0", 3);
	cr_expect_str_eq(qk_quantizer_param(q, "1")->string, "x");
	expect_number(q, "scale", 2);
	qk_quantizer_free(q);

	q = parse_ok("relu(3,1)");
	cr_expect_eq(q->kind, QK_Q_UNKNOWN);
	cr_expect_eq(q->n_params, 2);
	qk_quantizer_free(q);

	/* Unknown quantizers are not type-checked. */
	q = parse_ok("my_quant(bits='wide')");
	cr_expect_eq(q->kind, QK_Q_UNKNOWN);
	qk_quantizer_free(q);
}

Test(quantizer, defaults)
{
	struct qk_quantizer *q = parse_ok("quantized_bits()");

	cr_expect_eq(q->n_params, 0);
	cr_expect_eq(q->bits, 8);
	cr_expect_eq(q->integer, 0);
	cr_expect_eq(q->symmetric, 0);
	cr_expect_eq(q->keep_negative, 1);
	cr_expect_eq(q->alpha_kind, QK_ALPHA_UNSET);
	cr_expect_eq(q->use_stochastic_rounding, 0);
	cr_expect_eq(q->qnoise_factor, 1);
	cr_expect_eq(q->use_ste, 1);
	cr_expect_eq(q->negative_slope, 0);
	cr_expect_eq(q->use_sigmoid, 0);
	cr_expect_eq(q->has_relu_upper_bound, 0);
	cr_expect_eq(q->use_01, 0);
	cr_expect_eq(q->has_threshold, 0);
	qk_quantizer_free(q);

	q = parse_ok("quantized_linear(6)");
	cr_expect_eq(q->symmetric, 1);
	qk_quantizer_free(q);

	q = parse_ok("quantized_hswish(6)");
	cr_expect_eq(q->has_relu_upper_bound, 1);
	cr_expect_eq(q->relu_upper_bound, 6);
	qk_quantizer_free(q);

	q = parse_ok("ternary(threshold=0.5)");
	cr_expect_eq(q->has_threshold, 1);
	cr_expect_eq(q->threshold, 0.5);
	qk_quantizer_free(q);
}

Test(quantizer, every_positional_order)
{
	struct {
		const char *text;
		const char *last;	/* name the last positional gets */
	} cases[] = {
		{ "binary(1, 2)", "alpha" },
		{ "ternary(1, 0.3)", "threshold" },
		{ "quantized_po2(4, 1)", "max_value" },
		{ "quantized_relu_po2(4, 1, 0.5)", "negative_slope" },
		{ "quantized_tanh(4, 0, 1)", "symmetric" },
		{ "quantized_sigmoid(4, 1)", "symmetric" },
		{ "quantized_ulaw(4, 0, 0, 100)", "u" },
		{ "quantized_hswish(4, 0, 0, 1)", "alpha" },
		{ "quantized_linear(4, 0, 0, 1)", "keep_negative" },
		{ "stochastic_binary(1, 5)", "temperature" },
		{ "stochastic_ternary(1, 0.3, 5)", "temperature" },
		{ "bernoulli(1, 5, 0)", "use_real_sigmoid" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct qk_quantizer *q = parse_ok(cases[i].text);

		cr_assert_gt(q->n_params, 0);
		cr_expect_str_eq(q->params[q->n_params - 1].name,
				 cases[i].last, "%s", cases[i].text);
		qk_quantizer_free(q);
	}
}

Test(quantizer, kind_names_round_trip)
{
	int kind;

	for (kind = QK_Q_QUANTIZED_BITS; kind < QK_Q_KERAS_ACTIVATION;
	     kind++) {
		const char *name = qk_quantizer_kind_name(kind);
		struct qk_quantizer *q = parse_ok(name);

		cr_expect_eq(q->kind, kind, "%s", name);
		qk_quantizer_free(q);
	}
	cr_expect_str_eq(qk_quantizer_kind_name(QK_Q_KERAS_ACTIVATION),
			 "activation");
	cr_expect_str_eq(qk_quantizer_kind_name(QK_Q_UNKNOWN), "unknown");
}

struct malformed_case {
	const char *text;
	const char *msg;
};

static const struct malformed_case malformed[] = {
	{ "quantized_bits(8,,)", "invalid quantizer 'quantized_bits(8,,)': "
	  "expected a value at column 18" },
	{ "quantized_bits(8", "invalid quantizer 'quantized_bits(8': "
	  "missing ')' at column 17" },
	{ "quantized_bits(bits=True, alpha=1", "invalid quantizer "
	  "'quantized_bits(bits=True, alpha=1': missing ')' at column 34" },
	{ "quantized_bits(8))", "invalid quantizer 'quantized_bits(8))': "
	  "unexpected text after ')' at column 18" },
	{ "quantized_bits(8) x", "invalid quantizer 'quantized_bits(8) x': "
	  "unexpected text after ')' at column 19" },
	{ "quantized_bits(bits=4, bits=5)", "invalid quantizer "
	  "'quantized_bits(bits=4, bits=5)': argument 'bits' given twice "
	  "at column 24" },
	{ "quantized_bits(4, bits=5)", "invalid quantizer "
	  "'quantized_bits(4, bits=5)': argument 'bits' given twice at "
	  "column 19" },
	{ "quantized_relu(1,2,3,4,5,6,7,8,9,10,11,12,13)", "invalid quantizer "
	  "'quantized_relu(1,2,3,4,5,6,7,8,9,10,11,12,13)': too many "
	  "positional arguments for quantized_relu (at most 12) at column "
	  "43" },
	{ "quantized_bits(foo=1)", "invalid quantizer "
	  "'quantized_bits(foo=1)': unknown argument 'foo' for "
	  "quantized_bits at column 16" },
	{ "quantized_bits(bits=4, 3)", "invalid quantizer "
	  "'quantized_bits(bits=4, 3)': positional argument after a keyword "
	  "argument at column 24" },
	{ "quantized_bits(alpha='auto)", "invalid quantizer "
	  "'quantized_bits(alpha='auto)': unterminated string at column "
	  "22" },
	{ "quantized_bits(8a)", "invalid quantizer 'quantized_bits(8a)': "
	  "invalid number at column 16" },
	{ "quantized_bits(1e)", "invalid quantizer 'quantized_bits(1e)': "
	  "invalid number at column 16" },
	{ "quantized_bits(1.2.3)", "invalid quantizer "
	  "'quantized_bits(1.2.3)': invalid number at column 16" },
	{ "quantized_bits(1e999)", "invalid quantizer "
	  "'quantized_bits(1e999)': number out of range at column 16" },
	{ "quantized_bits(alpha=auto)", "invalid quantizer "
	  "'quantized_bits(alpha=auto)': expected a value, not a bare name "
	  "at column 22" },
	{ "quantized_bits 8", "invalid quantizer 'quantized_bits 8': "
	  "expected '(' after the name at column 16" },
	{ "(8)", "invalid quantizer '(8)': expected a quantizer name at "
	  "column 1" },
	{ "quantized_bits(8 3)", "invalid quantizer 'quantized_bits(8 3)': "
	  "expected ',' or ')' at column 18" },
	{ "quantized_bits(-)", "invalid quantizer 'quantized_bits(-)': "
	  "expected a value at column 16" },
	{ "quantized_bits([1])", "invalid quantizer 'quantized_bits([1])': "
	  "expected a value at column 16" },
	{ "quantized_bits(=3)", "invalid quantizer 'quantized_bits(=3)': "
	  "expected a value at column 16" },
	{ "quantized_bits(bits='8')", "invalid quantizer "
	  "'quantized_bits(bits='8')': 'bits' must be a number, not a "
	  "string" },
	{ "quantized_relu(4, use_ste='yes')", "invalid quantizer "
	  "'quantized_relu(4, use_ste='yes')': 'use_ste' must be a bool or "
	  "a number, not a string" },
	{ "", "invalid quantizer: empty string" },
	{ " \t ", "invalid quantizer: empty string" },
};

Test(quantizer, malformed_strings)
{
	size_t i;

	for (i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++) {
		struct qk_err err = QK_ERR_INIT;
		struct qk_quantizer *q =
			qk_quantizer_parse(malformed[i].text, &err);

		cr_expect_null(q, "'%s' should fail", malformed[i].text);
		cr_expect_str_eq(err.msg, malformed[i].msg);
		qk_quantizer_free(q);
	}
}

Test(quantizer, error_quotes_control_characters_safely)
{
	struct qk_err err = QK_ERR_INIT;

	cr_assert_null(qk_quantizer_parse("quantized_bits(\x1b[31m)", &err));
	cr_expect_null(strchr(err.msg, '\x1b'), "%s", err.msg);
	cr_expect_str_eq(err.msg, "invalid quantizer 'quantized_bits(?[31m)'"
			 ": expected a value at column 16");
}

/* Builds "quantized_bits(" + spaces + "8)" of exactly len bytes. */
static char *padded_text(size_t len)
{
	char *s = malloc(len + 1);

	cr_assert_not_null(s);
	memset(s, ' ', len);
	memcpy(s, "quantized_bits(", 15);
	memcpy(s + len - 2, "8)", 2);
	s[len] = '\0';
	return s;
}

Test(quantizer, length_limit)
{
	struct qk_err err = QK_ERR_INIT;
	char *s = padded_text(QK_MAX_QUANTIZER_TEXT);
	struct qk_quantizer *q = qk_quantizer_parse(s, &err);

	cr_expect_not_null(q, "%s", err.msg);
	if (q)
		cr_expect_eq(q->bits, 8);
	qk_quantizer_free(q);
	free(s);

	s = padded_text(QK_MAX_QUANTIZER_TEXT + 1);
	q = qk_quantizer_parse(s, &err);
	cr_expect_null(q);
	cr_expect_str_eq(err.msg, "invalid quantizer: constructor string too "
			 "long (more than 4096 bytes)");
	free(s);
}

/* Builds "my_quant(0,0,...)" with n arguments. */
static char *call_with_args(size_t n)
{
	char *s = malloc(16 + 2 * n);
	size_t i, len;

	cr_assert_not_null(s);
	len = (size_t)sprintf(s, "my_quant(");
	for (i = 0; i < n; i++)
		len += (size_t)sprintf(s + len, "%s0", i ? "," : "");
	strcpy(s + len, ")");
	return s;
}

Test(quantizer, argument_limit)
{
	struct qk_err err = QK_ERR_INIT;
	char *s = call_with_args(QK_MAX_QUANTIZER_ARGS);
	struct qk_quantizer *q = qk_quantizer_parse(s, &err);

	cr_assert_not_null(q, "%s", err.msg);
	cr_expect_eq(q->n_params, QK_MAX_QUANTIZER_ARGS);
	qk_quantizer_free(q);
	free(s);

	s = call_with_args(QK_MAX_QUANTIZER_ARGS + 1);
	cr_expect_null(qk_quantizer_parse(s, &err));
	cr_expect(strstr(err.msg, "too many arguments (more than 32)") != NULL,
		  "%s", err.msg);
	free(s);
}

Test(quantizer, json_string)
{
	struct qk_quantizer *q = json_ok("\"quantized_relu(6, 0)\"");

	cr_expect_eq(q->kind, QK_Q_QUANTIZED_RELU);
	cr_expect_eq(q->bits, 6);
	cr_expect_str_eq(q->text, "quantized_relu(6, 0)");
	qk_quantizer_free(q);

	q = json_ok("\"softmax\"");
	cr_expect_eq(q->kind, QK_Q_KERAS_ACTIVATION);
	qk_quantizer_free(q);
}

Test(quantizer, json_dict_keras2)
{
	struct qk_quantizer *q = json_ok(
		"{\"class_name\": \"quantized_bits\", \"config\": {"
		"\"bits\": 6, \"integer\": 0, \"symmetric\": 0, \"alpha\": 1, "
		"\"keep_negative\": true, \"use_stochastic_rounding\": false, "
		"\"qnoise_factor\": 1.0}}");

	cr_expect_eq(q->kind, QK_Q_QUANTIZED_BITS);
	cr_expect_eq(q->n_params, 7);
	cr_expect_eq(q->bits, 6);
	cr_expect_eq(q->alpha_kind, QK_ALPHA_NUMBER);
	cr_expect_eq(q->alpha, 1);
	cr_expect_eq(q->keep_negative, 1);
	/* Parameters that restate QKeras' defaults are left out. */
	cr_expect_str_eq(q->text, "quantized_bits(6,0,alpha=1)");
	qk_quantizer_free(q);
}

Test(quantizer, json_dict_keras3)
{
	struct qk_quantizer *q = json_ok(
		"{\"module\": \"qkeras.quantizers\", "
		"\"class_name\": \"quantized_relu\", \"config\": {"
		"\"bits\": 4, \"integer\": 2, \"use_sigmoid\": 0, "
		"\"negative_slope\": 0.0, \"relu_upper_bound\": null, "
		"\"qnoise_factor\": 1.0}, "
		"\"registered_name\": \"qkeras>quantized_relu\", "
		"\"shared_object_id\": 1234}");

	cr_expect_eq(q->kind, QK_Q_QUANTIZED_RELU);
	cr_expect_eq(q->bits, 4);
	cr_expect_eq(q->integer, 2);
	cr_expect_eq(q->has_relu_upper_bound, 0);
	cr_expect_null(qk_quantizer_param(q, "module"));
	cr_expect_null(qk_quantizer_param(q, "registered_name"));
	cr_expect_eq(qk_quantizer_param(q, "relu_upper_bound")->type,
		     QK_VAL_NONE);
	/* None is left out of the text. */
	cr_expect_str_eq(q->text, "quantized_relu(4,2)");
	qk_quantizer_free(q);
}

Test(quantizer, json_dict_flags_as_numbers)
{
	struct qk_quantizer *q = json_ok(
		"{\"class_name\": \"quantized_bits\", \"config\": {"
		"\"symmetric\": 1, \"keep_negative\": 0, "
		"\"use_stochastic_rounding\": 1, \"use_ste\": false, "
		"\"alpha\": \"auto\"}}");

	cr_expect_eq(q->symmetric, 1);
	cr_expect_eq(q->keep_negative, 0);
	cr_expect_eq(q->use_stochastic_rounding, 1);
	cr_expect_eq(q->use_ste, 0);
	cr_expect_eq(q->alpha_kind, QK_ALPHA_AUTO);
	cr_expect_str_eq(q->text, "quantized_bits(8,0,symmetric=1,"
			 "keep_negative=0,use_stochastic_rounding=1,"
			 "use_ste=False,alpha='auto')");
	qk_quantizer_free(q);

	q = json_ok("{\"class_name\": \"quantized_bits\", \"config\": {"
		    "\"keep_negative\": false}}");
	cr_expect_eq(q->keep_negative, 0);
	qk_quantizer_free(q);
}

Test(quantizer, json_dict_skips_nested_values)
{
	struct qk_quantizer *q = json_ok(
		"{\"class_name\": \"quantized_bits\", \"config\": {"
		"\"bits\": 4, \"scale_axis\": [1, 2], "
		"\"initializer\": {\"class_name\": \"Zeros\"}}}");

	cr_expect_eq(q->n_params, 1);
	cr_expect_eq(q->bits, 4);
	cr_expect_null(qk_quantizer_param(q, "scale_axis"));
	qk_quantizer_free(q);
}

Test(quantizer, json_dict_unknown_class_and_no_config)
{
	struct qk_quantizer *q = json_ok(
		"{\"class_name\": \"MyQuantizer\", \"config\": {\"w\": 3}}");

	cr_expect_eq(q->kind, QK_Q_UNKNOWN);
	expect_number(q, "w", 3);
	cr_expect_str_eq(q->text, "MyQuantizer(w=3)");
	qk_quantizer_free(q);

	q = json_ok("{\"class_name\": \"ternary\"}");
	cr_expect_eq(q->kind, QK_Q_TERNARY);
	cr_expect_eq(q->n_params, 0);
	cr_expect_str_eq(q->text, "ternary()");
	qk_quantizer_free(q);
}

Test(quantizer, json_wrong_types)
{
	json_fails("null", "quantizer is null");
	json_fails("3", "invalid quantizer: expected a string or an object, "
		   "found a number");
	json_fails("true", "invalid quantizer: expected a string or an "
		   "object, found a bool");
	json_fails("[\"quantized_bits\"]", "invalid quantizer: expected a "
		   "string or an object, found an array");
	json_fails("{\"config\": {}}",
		   "invalid quantizer: missing 'class_name'");
	json_fails("{\"class_name\": 5}", "invalid quantizer: 'class_name' "
		   "is a number, not a string");
	json_fails("{\"class_name\": \"\"}", "invalid quantizer: 'class_name'"
		   " is empty or longer than 4096 bytes");
	json_fails("{\"class_name\": \"quantized_bits\", \"config\": \"x\"}",
		   "invalid quantizer 'quantized_bits': 'config' is a string, "
		   "not an object");
	json_fails("{\"class_name\": \"quantized_bits\", \"config\": [1]}",
		   "invalid quantizer 'quantized_bits': 'config' is an array, "
		   "not an object");
	json_fails("{\"class_name\": \"quantized_bits\", \"config\": "
		   "{\"bits\": \"6\"}}", "invalid quantizer "
		   "'quantized_bits('6',0)': 'bits' must be a number, not a "
		   "string");
	json_fails("{\"class_name\": \"quantized_bits\", \"config\": "
		   "{\"bits\": 4, \"bits\": 5}}", "invalid quantizer "
		   "'quantized_bits': argument 'bits' given twice");
	json_fails("\"quantized_bits(8,,)\"", "invalid quantizer "
		   "'quantized_bits(8,,)': expected a value at column 18");
}

Test(quantizer, json_null_item_pointer)
{
	struct qk_err err = QK_ERR_INIT;

	cr_expect_null(qk_quantizer_from_json(NULL, &err));
	cr_expect_str_eq(err.msg, "quantizer is null");
	cr_expect_null(qk_quantizer_parse(NULL, &err));
	cr_expect_str_eq(err.msg, "invalid quantizer: text is null");
}

Test(quantizer, json_too_many_config_keys)
{
	char json[2048];
	size_t len, i;

	len = (size_t)sprintf(json, "{\"class_name\": \"q\", \"config\": {");
	for (i = 0; i <= QK_MAX_QUANTIZER_ARGS; i++)
		len += (size_t)sprintf(json + len, "%s\"k%zu\": %zu",
				       i ? ", " : "", i, i);
	strcpy(json + len, "}}");
	json_fails(json, "invalid quantizer 'q': too many arguments (33 > 32)");
}

/* Checks each quantizer of every layer in a Keras model config. */
static void check_model_quantizers(cJSON *model)
{
	const cJSON *layers, *layer;
	int kernels = 0, activations = 0;

	layers = cJSON_GetObjectItem(cJSON_GetObjectItem(model, "config"),
				     "layers");
	cr_assert(cJSON_IsArray(layers), "model config has no layer list");
	cJSON_ArrayForEach(layer, layers) {
		const cJSON *cfg = cJSON_GetObjectItem(layer, "config");
		const char *keys[] = { "kernel_quantizer", "bias_quantizer",
				       "activation" };
		size_t i;

		for (i = 0; i < 3; i++) {
			const cJSON *item = cJSON_GetObjectItem(cfg, keys[i]);
			struct qk_err err = QK_ERR_INIT;
			struct qk_quantizer *q;

			if (!item || cJSON_IsNull(item))
				continue;
			q = qk_quantizer_from_json(item, &err);
			cr_assert_not_null(q, "%s: %s", keys[i], err.msg);
			if (q->kind == QK_Q_QUANTIZED_BITS) {
				kernels++;
				cr_expect_eq(q->bits, 6);
				cr_expect_eq(q->alpha_kind, QK_ALPHA_NUMBER);
				cr_expect_eq(q->alpha, 1);
			} else if (q->kind == QK_Q_QUANTIZED_RELU) {
				activations++;
				cr_expect_eq(q->bits, 6);
				cr_expect_eq(q->has_relu_upper_bound, 0);
			} else {
				cr_expect_eq(q->kind, QK_Q_KERAS_ACTIVATION,
					     "%s", q->text);
			}
			qk_quantizer_free(q);
		}
	}
	cr_expect_geq(kernels, 6, "quantized_bits found: %d", kernels);
	cr_expect_geq(activations, 3, "quantized_relu found: %d", activations);
}

static int models_present(void)
{
	struct stat st;

	return stat(QK_SHARED_MODELS, &st) == 0 && S_ISDIR(st.st_mode);
}

static char *read_text(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	cr_assert_not_null(f, "cannot open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	cr_assert_not_null(buf);
	cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

Test(quantizer, real_keras2_model)
{
	char *text;
	cJSON *model;

	if (!models_present())
		cr_skip_test("../shared/models not found");
	text = read_text(QK_SHARED_MODELS "/qkeras_3layer.json");
	model = cJSON_Parse(text);
	cr_assert_not_null(model);
	check_model_quantizers(model);
	cJSON_Delete(model);
	free(text);
}

Test(quantizer, real_keras3_model)
{
	zip_t *zip;
	zip_file_t *member;
	zip_stat_t st;
	char *text;
	cJSON *model;
	int zerr = 0;

	if (!models_present())
		cr_skip_test("../shared/models not found");
	zip = zip_open(QK_SHARED_MODELS "/qkeras-v3_3layer.keras",
		       ZIP_RDONLY, &zerr);
	cr_assert_not_null(zip, "zip_open failed: %d", zerr);
	cr_assert_eq(zip_stat(zip, "config.json", 0, &st), 0);
	text = malloc(st.size + 1);
	cr_assert_not_null(text);
	member = zip_fopen(zip, "config.json", 0);
	cr_assert_not_null(member);
	cr_assert_eq(zip_fread(member, text, st.size), (zip_int64_t)st.size);
	text[st.size] = '\0';
	zip_fclose(member);
	zip_close(zip);

	model = cJSON_Parse(text);
	cr_assert_not_null(model);
	check_model_quantizers(model);
	cJSON_Delete(model);
	free(text);
}

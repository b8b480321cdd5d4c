/*
 * Helpers for rule tests: build a model from JSON text, run one rule over
 * it and compare the (rule ID, layer) pairs it found with the expected
 * ones, in order.
 *
 * JSON text is written with single quotes, which qkt_model turns into
 * double quotes before parsing, so test models read without escapes.
 */
#ifndef QK_TESTS_RULE_HELPER_H
#define QK_TESTS_RULE_HELPER_H

#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "../lint/model.h"
#include "../rules/rule.h"

/* An InputLayer called x with 16 features, for Sequential layer lists. */
#define QKT_INPUT16 \
	"{'class_name': 'InputLayer', 'config': {'name': 'x', " \
	"'batch_input_shape': [null, 16]}}"

/* Builds a model from a config written with single quotes. */
static inline struct qk_model *qkt_model(const char *text)
{
	struct qk_err err = QK_ERR_INIT;
	struct qk_model *model;
	char *json = strdup(text);
	char *p;

	cr_assert_not_null(json);
	for (p = json; *p; p++)
		if (*p == '\'')
			*p = '"';
	model = qk_model_from_config(cJSON_Parse(json), &err);
	cr_assert_not_null(model, "model config rejected: %s\n%s", err.msg,
			   json);
	free(json);
	return model;
}

/* Builds a Sequential model called m from a list of layer configs. */
static inline struct qk_model *qkt_sequential(const char *layers)
{
	static const char head[] =
		"{'class_name': 'Sequential', 'config': {'name': 'm', "
		"'layers': [";
	size_t n = strlen(head) + strlen(layers) + 4;
	char *text = malloc(n);
	struct qk_model *model;

	cr_assert_not_null(text);
	snprintf(text, n, "%s%s]}}", head, layers);
	model = qkt_model(text);
	free(text);
	return model;
}

/*
 * Runs rule id over model with its defaults, after setting option to
 * value when option is not NULL, and appends the findings to sink.
 */
static inline void qkt_run_with(const struct qk_model *model, const char *id,
				const char *option, const char *value,
				struct qk_sink *sink)
{
	const struct qk_rule *rule = qk_rules_find(id);
	struct qk_rule_conf conf;
	struct qk_err err = QK_ERR_INIT;
	size_t i;

	cr_assert_not_null(rule, "rule %s is not registered", id);
	cr_assert_eq(qk_rule_conf_init(&conf, rule), 0);
	if (option) {
		for (i = 0; i < rule->n_options; i++)
			if (!strcmp(rule->options[i].name, option))
				break;
		cr_assert_lt(i, rule->n_options, "%s has no option %s", id,
			     option);
		cr_assert_eq(qk_rule_conf_set(&conf, i, value, &err), 0,
			     "%s", err.msg);
	}
	cr_assert_eq(rule->check(model, &conf, sink), 0);
	cr_assert_eq(sink->out_of_memory, 0);
	qk_rule_conf_release(&conf);
}

static inline void qkt_run(const struct qk_model *model, const char *id,
			   struct qk_sink *sink)
{
	qkt_run_with(model, id, NULL, NULL, sink);
}

/* One expected finding; layer NULL means model-wide. */
struct qkt_expect {
	const char *id;
	const char *layer;
};

static inline const char *qkt_or_none(const char *s)
{
	return s ? s : "(model)";
}

/* Prints the findings into the test log, for failing comparisons. */
static inline void qkt_dump(const struct qk_sink *sink)
{
	size_t i;

	for (i = 0; i < sink->n_findings; i++)
		cr_log_info("%s %s: %s", sink->findings[i].rule->id,
			    qkt_or_none(sink->findings[i].layer),
			    sink->findings[i].message);
}

static inline void qkt_compare(const struct qk_sink *sink,
			       const struct qkt_expect *expected, size_t n)
{
	size_t i;

	if (sink->n_findings != n)
		qkt_dump(sink);
	cr_assert_eq(sink->n_findings, n, "expected %zu findings, got %zu", n,
		     sink->n_findings);
	for (i = 0; i < n; i++) {
		const struct qk_finding *f = &sink->findings[i];

		cr_assert_str_eq(f->rule->id, expected[i].id,
				 "finding %zu: rule", i);
		if (!expected[i].layer)
			cr_assert_null(f->layer, "finding %zu: layer %s", i,
				       qkt_or_none(f->layer));
		else
			cr_assert_str_eq(qkt_or_none(f->layer),
					 expected[i].layer,
					 "finding %zu: layer", i);
	}
}

/* QKT_EXPECT(&sink, {"QK001", "fc1"}, {"QK001", "fc2"}) */
#define QKT_EXPECT(sink, ...)                                              \
	qkt_compare((sink), (const struct qkt_expect[]){ __VA_ARGS__ },     \
		    sizeof((const struct qkt_expect[]){ __VA_ARGS__ }) /    \
			    sizeof(struct qkt_expect))

#define QKT_EXPECT_NONE(sink) qkt_compare((sink), NULL, 0)

/* Asserts that the message of finding index contains word. */
static inline void qkt_message_has(const struct qk_sink *sink, size_t index,
				   const char *word)
{
	cr_assert_lt(index, sink->n_findings);
	cr_assert_not_null(strstr(sink->findings[index].message, word),
			   "message '%s' lacks '%s'",
			   sink->findings[index].message, word);
}

static inline void qkt_hint_has(const struct qk_sink *sink, size_t index,
				const char *word)
{
	cr_assert_lt(index, sink->n_findings);
	cr_assert_not_null(sink->findings[index].hint);
	cr_assert_not_null(strstr(sink->findings[index].hint, word),
			   "hint '%s' lacks '%s'", sink->findings[index].hint,
			   word);
}

/*
 * Gives the layer called layer_name a rank-1 weight called weight_name
 * with a copy of the n values, owned by the model.
 */
static inline void qkt_set_weight(struct qk_model *model,
				  const char *layer_name,
				  const char *weight_name, const float *values,
				  size_t n)
{
	size_t index = qk_model_index(model, layer_name);
	struct qk_layer *layer;
	struct qk_tensor *w;

	cr_assert_neq(index, (size_t)-1, "no layer %s", layer_name);
	layer = &model->layers[index];
	w = realloc(layer->weights, (layer->n_weights + 1) * sizeof(*w));
	cr_assert_not_null(w);
	layer->weights = w;
	w = &layer->weights[layer->n_weights++];
	memset(w, 0, sizeof(*w));
	w->name = strdup(weight_name);
	w->data = malloc(n * sizeof(float));
	cr_assert_not_null(w->name);
	cr_assert_not_null(w->data);
	memcpy(w->data, values, n * sizeof(float));
	w->rank = 1;
	w->shape[0] = (int64_t)n;
	w->count = n;
}

#endif

#include "rule.h"

#include <stdlib.h>

#include "../lint/error.h"

static const char summary[] =
	"a model input is not followed by a quantized_bits QActivation";

static const char explain[] =
	"Every model input must be followed, in every consumer, by a "
	"QActivation whose quantizer is quantized_bits. The proxy model takes "
	"the precision of each input from the quantizers right after it, and "
	"the conversion stops when a consumer of an input is anything else: "
	"a Dense layer, a QActivation with quantized_relu or another "
	"quantizer, or a plain Keras layer. When an input feeds a nested "
	"model, the rule checks the first layers of that nested model. HGQ "
	"proxy models are not checked, because their inputs are followed by "
	"FixedPointQuantizer layers instead.\n"
	"\n"
	"Known problems: when a nested model carries no layers that qklint "
	"can read, the finding is reported on the nested model layer itself. "
	"All inputs of a nested model are checked, even those that receive "
	"an already quantized tensor rather than a model input.";

static const char fix[] =
	"Insert a QActivation with a quantized_bits quantizer directly after "
	"each model input, for example QActivation('quantized_bits(16,6,"
	"alpha=1)'), with bits and integer bits chosen to cover the input "
	"range, and feed every consumer of the input from that QActivation.";

static int is_quantized_bits_qactivation(const struct qk_layer *layer)
{
	const struct qk_quantizer *q = layer->quant[QK_ROLE_ACTIVATION];

	return layer->kind == QK_LAYER_QACTIVATION && q &&
	       q->kind == QK_Q_QUANTIZED_BITS;
}

static int report(const struct qk_layer *input, const struct qk_layer *user,
		  const struct qk_layer *nested,
		  const struct qk_rule_conf *conf, struct qk_sink *sink)
{
	const struct qk_quantizer *q = user->quant[QK_ROLE_ACTIVATION];
	char *hint, *where;
	int rc;

	hint = qk_asprintf("insert QActivation('quantized_bits(16,6,alpha=1)') "
			   "between '%s' and '%s', with bits and integer "
			   "bits that cover the input range",
			   input->name, user->name);
	where = nested ? qk_asprintf(" in nested model '%s'", nested->name)
		       : qk_strdup("");
	if (!hint || !where) {
		free(hint);
		free(where);
		sink->out_of_memory = 1;
		return -1;
	}

	if (user->kind == QK_LAYER_QACTIVATION && q)
		rc = qk_sink_add(sink, conf, user, hint,
				 "input '%s' reaches '%s'%s through a "
				 "QActivation with %s, not quantized_bits",
				 input->name, user->name, where, q->text);
	else if (user->kind == QK_LAYER_QACTIVATION && user->activation)
		rc = qk_sink_add(sink, conf, user, hint,
				 "input '%s' reaches '%s'%s through a "
				 "QActivation with the Keras activation '%s', "
				 "not quantized_bits",
				 input->name, user->name, where,
				 user->activation);
	else if (user->kind == QK_LAYER_QACTIVATION)
		rc = qk_sink_add(sink, conf, user, hint,
				 "input '%s' reaches '%s'%s through a "
				 "QActivation without a quantizer",
				 input->name, user->name, where);
	else
		rc = qk_sink_add(sink, conf, user, hint,
				 "input '%s' reaches '%s'%s without a "
				 "quantized_bits QActivation",
				 input->name, user->name, where);
	free(hint);
	free(where);
	return rc;
}

static int check_model_inputs(const struct qk_model *model,
			      const struct qk_layer *nested,
			      const struct qk_rule_conf *conf,
			      struct qk_sink *sink);

/* Checks one consumer of input. nested is the enclosing model layer. */
static int check_consumer(const struct qk_layer *input,
			  const struct qk_layer *user,
			  const struct qk_layer *nested,
			  const struct qk_rule_conf *conf, struct qk_sink *sink)
{
	if (is_quantized_bits_qactivation(user))
		return 0;
	if (user->kind != QK_LAYER_MODEL)
		return report(input, user, nested, conf, sink);
	if (user->inner && user->inner->n_inputs > 0)
		return check_model_inputs(user->inner, user, conf, sink);
	return qk_sink_add(sink, conf, user,
			   "insert a quantized_bits QActivation between the "
			   "input and the nested model",
			   "input '%s' reaches nested model '%s', whose "
			   "layers qklint cannot read, so the quantized_bits "
			   "QActivation the input needs cannot be confirmed",
			   input->name, user->name);
}

/* Nonzero when consumers[j] already appeared earlier in the list. */
static int seen_before(const struct qk_layer *input, size_t j)
{
	size_t k;

	for (k = 0; k < j; k++)
		if (input->consumers[k] == input->consumers[j])
			return 1;
	return 0;
}

static int check_model_inputs(const struct qk_model *model,
			      const struct qk_layer *nested,
			      const struct qk_rule_conf *conf,
			      struct qk_sink *sink)
{
	size_t i, j;

	for (i = 0; i < model->n_inputs; i++) {
		const struct qk_layer *input = &model->layers[model->inputs[i]];

		for (j = 0; j < input->n_consumers; j++) {
			const struct qk_layer *user =
				&model->layers[input->consumers[j]];

			if (seen_before(input, j))
				continue;
			if (check_consumer(input, user, nested, conf, sink) < 0)
				return -1;
		}
	}
	return 0;
}

static int check(const struct qk_model *model, const struct qk_rule_conf *conf,
		 struct qk_sink *sink)
{
	if (model->kind == QK_MODEL_HGQ_PROXY)
		return 0;
	return check_model_inputs(model, NULL, conf, sink);
}

const struct qk_rule qk_rule_qk001 = {
	.id = "QK001",
	.name = "input-not-quantized",
	.category = "inputs",
	.severity = QK_SEV_ERROR,
	.status = QK_RULE_STABLE,
	.summary = summary,
	.explain = explain,
	.fix = fix,
	.options = NULL,
	.n_options = 0,
	.check = check,
};

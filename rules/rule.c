#include "rule.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../lint/error.h"

static int sink_grow(struct qk_sink *sink)
{
	size_t capacity;
	struct qk_finding *findings;

	if (sink->n_findings < sink->capacity)
		return 0;
	capacity = sink->capacity ? sink->capacity * 2 : 16;
	findings = qk_reallocarray(sink->findings, capacity, sizeof(*findings));
	if (!findings)
		return -1;
	sink->findings = findings;
	sink->capacity = capacity;
	return 0;
}

static void finding_release(struct qk_finding *finding)
{
	free(finding->layer);
	free(finding->layer_class);
	free(finding->message);
	free(finding->hint);
}

int qk_sink_add(struct qk_sink *sink, const struct qk_rule_conf *conf,
		const struct qk_layer *layer, const char *hint,
		const char *fmt, ...)
{
	struct qk_finding finding = { 0 };
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		goto fail;
	finding.message = malloc((size_t)n + 1);
	if (!finding.message)
		goto fail;
	va_start(ap, fmt);
	vsnprintf(finding.message, (size_t)n + 1, fmt, ap);
	va_end(ap);

	finding.rule = conf->rule;
	finding.severity = conf->severity;
	if (layer) {
		finding.layer = qk_strdup(layer->name);
		finding.layer_class = qk_strdup(layer->class_name);
		if (!finding.layer || !finding.layer_class)
			goto fail;
	}
	if (hint) {
		finding.hint = qk_strdup(hint);
		if (!finding.hint)
			goto fail;
	}

	if (sink_grow(sink) < 0)
		goto fail;
	sink->findings[sink->n_findings++] = finding;
	return 0;
fail:
	finding_release(&finding);
	sink->out_of_memory = 1;
	return -1;
}

void qk_sink_release(struct qk_sink *sink)
{
	size_t i;

	for (i = 0; i < sink->n_findings; i++)
		finding_release(&sink->findings[i]);
	free(sink->findings);
	sink->findings = NULL;
	sink->n_findings = 0;
	sink->capacity = 0;
	sink->out_of_memory = 0;
}

/* Returns the index of the option called name, or (size_t)-1. */
static size_t option_index(const struct qk_rule *rule, const char *name)
{
	size_t i;

	for (i = 0; i < rule->n_options; i++)
		if (!strcmp(rule->options[i].name, name))
			return i;
	return (size_t)-1;
}

int qk_rule_conf_init(struct qk_rule_conf *conf, const struct qk_rule *rule)
{
	struct qk_err err = QK_ERR_INIT;
	size_t i;

	memset(conf, 0, sizeof(*conf));
	conf->rule = rule;
	conf->severity = rule->severity;
	if (rule->n_options > QK_MAX_OPTIONS)
		QK_BUG("rule %s declares %zu options (at most %d)", rule->id,
		       rule->n_options, QK_MAX_OPTIONS);
	for (i = 0; i < rule->n_options; i++) {
		if (qk_rule_conf_set(conf, i, rule->options[i].default_value,
				     &err) == 0)
			continue;
		if (!strcmp(err.msg, "out of memory")) {
			qk_rule_conf_release(conf);
			return -1;
		}
		QK_BUG("rule %s: invalid default: %s", rule->id, err.msg);
	}
	return 0;
}

void qk_rule_conf_release(struct qk_rule_conf *conf)
{
	size_t i;

	for (i = 0; i < QK_MAX_OPTIONS; i++) {
		free(conf->string_value[i]);
		conf->string_value[i] = NULL;
	}
}

static int parse_int(const char *text, long long *out)
{
	char *end;

	errno = 0;
	*out = strtoll(text, &end, 10);
	if (errno || end == text || *end)
		return -1;
	return 0;
}

/* Accepts the YAML 1.1 spellings of a boolean that users write. */
static int parse_bool(const char *text, long long *out)
{
	static const char *const yes[] = { "true", "yes", "on" };
	static const char *const no[] = { "false", "no", "off" };
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (!strcasecmp(text, yes[i])) {
			*out = 1;
			return 0;
		}
		if (!strcasecmp(text, no[i])) {
			*out = 0;
			return 0;
		}
	}
	return -1;
}

int qk_rule_conf_set(struct qk_rule_conf *conf, size_t index,
		     const char *text, struct qk_err *err)
{
	const struct qk_option *option;
	struct qk_err check = QK_ERR_INIT;
	long long value;
	char *copy;

	if (index >= conf->rule->n_options)
		return qk_fail(err, "rule %s has no option number %zu",
			       conf->rule->id, index);
	option = &conf->rule->options[index];
	switch (option->type) {
	case QK_OPT_INT:
		if (parse_int(text, &value) < 0 || value < 0)
			return qk_fail(err, "invalid value '%s' for option "
				       "'%s' of %s: expected a non-negative "
				       "integer", text, option->name,
				       conf->rule->id);
		conf->int_value[index] = value;
		return 0;
	case QK_OPT_BOOL:
		if (parse_bool(text, &conf->int_value[index]) < 0)
			return qk_fail(err, "invalid value '%s' for option "
				       "'%s' of %s: expected true or false",
				       text, option->name, conf->rule->id);
		return 0;
	case QK_OPT_STRING:
		if (option->validate && option->validate(text, &check) < 0)
			return qk_fail(err, "invalid value '%s' for option "
				       "'%s' of %s: %s", text, option->name,
				       conf->rule->id, check.msg);
		copy = qk_strdup(text);
		if (!copy)
			return qk_fail(err, "out of memory");
		free(conf->string_value[index]);
		conf->string_value[index] = copy;
		return 0;
	}
	QK_BUG("rule %s: option '%s' has an invalid type", conf->rule->id,
	       option->name);
}

long long qk_rule_conf_int(const struct qk_rule_conf *conf, const char *name)
{
	size_t i = option_index(conf->rule, name);

	if (i == (size_t)-1)
		QK_BUG("rule %s has no option '%s'", conf->rule->id, name);
	return conf->int_value[i];
}

const char *qk_rule_conf_string(const struct qk_rule_conf *conf,
				const char *name)
{
	size_t i = option_index(conf->rule, name);

	if (i == (size_t)-1)
		QK_BUG("rule %s has no option '%s'", conf->rule->id, name);
	if (conf->string_value[i])
		return conf->string_value[i];
	return conf->rule->options[i].default_value;
}

static const char *const severity_names[] = {
	[QK_SEV_OFF] = "off",
	[QK_SEV_INFO] = "info",
	[QK_SEV_WARNING] = "warning",
	[QK_SEV_ERROR] = "error",
};

const char *qk_severity_name(enum qk_severity severity)
{
	size_t n = sizeof(severity_names) / sizeof(*severity_names);

	if ((size_t)severity >= n)
		QK_BUG("invalid severity %d", (int)severity);
	return severity_names[severity];
}

int qk_severity_parse(const char *text, enum qk_severity *out)
{
	size_t i;

	for (i = 0; i < sizeof(severity_names) / sizeof(*severity_names); i++) {
		if (!strcmp(text, severity_names[i])) {
			*out = (enum qk_severity)i;
			return 0;
		}
	}
	return -1;
}

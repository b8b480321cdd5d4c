/*
 * Rules, their settings and the findings they produce.
 *
 * Each rule lives in its own file rules/qkNNN_<name>.c and exports one
 * const struct qk_rule. rules/registry.c contains the only table of rules,
 * sorted by ID. A rule's check function reads the model and the rule's
 * resolved settings and appends findings to a sink; it returns 0, or -1
 * only when qklint itself failed (out of memory), never for a finding.
 */
#ifndef QK_RULES_RULE_H
#define QK_RULES_RULE_H

#include <stddef.h>

#include "../lint/model.h"

enum qk_severity {
	QK_SEV_OFF = 0,
	QK_SEV_INFO,
	QK_SEV_WARNING,
	QK_SEV_ERROR
};

enum qk_rule_status {
	QK_RULE_STABLE,
	QK_RULE_PREVIEW,
	QK_RULE_REMOVED		/* kept so an old config gets a clear message */
};

enum qk_option_type {
	QK_OPT_INT,
	QK_OPT_BOOL,
	QK_OPT_STRING
};

#define QK_MAX_OPTIONS 8

/*
 * One setting of a rule, with its default written as config text.
 * Integer options are counts and widths, so they must be non-negative.
 */
struct qk_option {
	const char *name;	/* kebab-case, e.g. "max-bits" */
	enum qk_option_type type;
	const char *default_value;	/* "32", "true", "fixed<16,6>" */
	const char *help;	/* one line, with the unit */
	/* Checks a string value; NULL accepts any. Returns -1, err set. */
	int (*validate)(const char *text, struct qk_err *err);
};

struct qk_rule_conf;
struct qk_sink;

typedef int (*qk_check_fn)(const struct qk_model *model,
			   const struct qk_rule_conf *conf,
			   struct qk_sink *sink);

struct qk_rule {
	const char *id;		/* "QK001" */
	const char *name;	/* "input-not-quantized" */
	const char *category;	/* "inputs", "quantizers", "layers", ... */
	enum qk_severity severity;	/* default level */
	enum qk_rule_status status;
	const char *summary;	/* one line for `qklint rules` */
	const char *explain;	/* rationale paragraph(s) for `explain` */
	const char *fix;	/* how to fix, one paragraph */
	const struct qk_option *options;
	size_t n_options;
	qk_check_fn check;
};

/* A rule's settings after defaults, config files and the command line. */
struct qk_rule_conf {
	const struct qk_rule *rule;
	enum qk_severity severity;	/* QK_SEV_OFF: the rule does not run */
	/* Option values, parallel to rule->options. */
	long long int_value[QK_MAX_OPTIONS];
	char *string_value[QK_MAX_OPTIONS];	/* QK_OPT_STRING; owned */
};

struct qk_finding {
	const struct qk_rule *rule;
	enum qk_severity severity;
	char *layer;		/* NULL for a model-wide finding; owned */
	char *layer_class;	/* owned */
	char *message;		/* lowercase, no final period; owned */
	char *hint;		/* imperative fix, or NULL; owned */
};

/* Findings of one model file. */
struct qk_sink {
	size_t n_findings;
	size_t capacity;
	struct qk_finding *findings;	/* owned */
	int out_of_memory;	/* set when an append failed */
};

#define QK_SINK_INIT { 0, 0, NULL, 0 }

/*
 * Appends a finding at conf's severity. layer may be NULL for a model-wide
 * finding; hint may be NULL. Returns 0, or -1 when out of memory.
 */
int qk_sink_add(struct qk_sink *sink, const struct qk_rule_conf *conf,
		const struct qk_layer *layer, const char *hint,
		const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void qk_sink_release(struct qk_sink *sink);

/* Returns the value of the option called name (ints and bools). */
long long qk_rule_conf_int(const struct qk_rule_conf *conf, const char *name);
/* Returns the value of a string option, or its default. */
const char *qk_rule_conf_string(const struct qk_rule_conf *conf,
				const char *name);

/* Registry (rules/registry.c). */
size_t qk_rules_count(void);
const struct qk_rule *qk_rules_at(size_t index);
/* Looks a rule up by ID or name (case-sensitive); NULL when unknown. */
const struct qk_rule *qk_rules_find(const char *id_or_name);
/* Returns the registry index of a rule, or (size_t)-1. */
size_t qk_rules_index(const struct qk_rule *rule);

/* Fills conf with the rule's defaults. Returns -1 when out of memory. */
int qk_rule_conf_init(struct qk_rule_conf *conf, const struct qk_rule *rule);
void qk_rule_conf_release(struct qk_rule_conf *conf);
/* Parses text as a value of option index of conf's rule. */
int qk_rule_conf_set(struct qk_rule_conf *conf, size_t index,
		     const char *text, struct qk_err *err);

const char *qk_severity_name(enum qk_severity severity);
/* Parses "off", "info", "warning", "error"; returns -1 when invalid. */
int qk_severity_parse(const char *text, enum qk_severity *out);

#endif

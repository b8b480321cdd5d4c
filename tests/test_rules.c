#include <ctype.h>
#include <string.h>

#include <criterion/criterion.h>

#include "../rules/rule.h"

static int is_kebab_case(const char *name)
{
	const char *p;

	if (!islower((unsigned char)name[0]))
		return 0;
	for (p = name; *p; p++) {
		if (*p == '-' && (p[1] == '-' || p[1] == '\0'))
			return 0;
		if (*p != '-' && !islower((unsigned char)*p) &&
		    !isdigit((unsigned char)*p))
			return 0;
	}
	return 1;
}

static int is_rule_id(const char *id)
{
	return strlen(id) == 5 && id[0] == 'Q' && id[1] == 'K' &&
	       isdigit((unsigned char)id[2]) &&
	       isdigit((unsigned char)id[3]) && isdigit((unsigned char)id[4]);
}

Test(registry, ids_sorted_and_unique)
{
	size_t i;

	cr_assert_gt(qk_rules_count(), 0);
	for (i = 1; i < qk_rules_count(); i++)
		cr_assert_lt(strcmp(qk_rules_at(i - 1)->id,
				    qk_rules_at(i)->id), 0,
			     "%s before %s", qk_rules_at(i - 1)->id,
			     qk_rules_at(i)->id);
}

Test(registry, names_unique)
{
	size_t i, j;

	for (i = 0; i < qk_rules_count(); i++)
		for (j = i + 1; j < qk_rules_count(); j++)
			cr_assert_str_neq(qk_rules_at(i)->name,
					  qk_rules_at(j)->name);
}

Test(registry, ids_and_names_well_formed)
{
	size_t i;

	for (i = 0; i < qk_rules_count(); i++) {
		const struct qk_rule *rule = qk_rules_at(i);

		cr_assert(is_rule_id(rule->id), "bad ID %s", rule->id);
		cr_assert(is_kebab_case(rule->name), "%s: name %s is not "
			  "kebab-case", rule->id, rule->name);
	}
}

Test(registry, texts_present)
{
	size_t i;

	for (i = 0; i < qk_rules_count(); i++) {
		const struct qk_rule *rule = qk_rules_at(i);

		cr_assert(rule->summary && *rule->summary, "%s", rule->id);
		cr_assert(rule->explain && *rule->explain, "%s", rule->id);
		cr_assert(rule->fix && *rule->fix, "%s", rule->id);
		cr_assert(rule->category && *rule->category, "%s", rule->id);
		cr_assert_not_null(rule->check, "%s", rule->id);
		cr_assert_null(strchr(rule->summary, '\n'),
			       "%s: summary spans lines", rule->id);
		cr_assert_neq(rule->severity, QK_SEV_OFF, "%s", rule->id);
	}
}

Test(registry, options_well_formed)
{
	size_t i, j;

	for (i = 0; i < qk_rules_count(); i++) {
		const struct qk_rule *rule = qk_rules_at(i);

		cr_assert_leq(rule->n_options, QK_MAX_OPTIONS, "%s", rule->id);
		cr_assert(rule->n_options == 0 || rule->options, "%s",
			  rule->id);
		for (j = 0; j < rule->n_options; j++) {
			const struct qk_option *o = &rule->options[j];

			cr_assert(is_kebab_case(o->name), "%s: %s", rule->id,
				  o->name);
			cr_assert_not_null(o->default_value);
			cr_assert(o->help && *o->help, "%s: %s", rule->id,
				  o->name);
		}
	}
}

Test(registry, defaults_parse)
{
	size_t i;

	for (i = 0; i < qk_rules_count(); i++) {
		struct qk_rule_conf conf;

		cr_assert_eq(qk_rule_conf_init(&conf, qk_rules_at(i)), 0);
		cr_assert_eq(conf.rule, qk_rules_at(i));
		cr_assert_eq(conf.severity, qk_rules_at(i)->severity);
		qk_rule_conf_release(&conf);
	}
}

Test(registry, find_by_id_and_name)
{
	const struct qk_rule *by_id = qk_rules_find("QK001");
	const struct qk_rule *by_name = qk_rules_find("input-not-quantized");

	cr_assert_not_null(by_id);
	cr_assert_eq(by_id, by_name);
	cr_assert_str_eq(by_id->name, "input-not-quantized");
	cr_assert_eq(qk_rules_at(qk_rules_index(by_id)), by_id);
}

Test(registry, every_rule_found)
{
	size_t i;

	for (i = 0; i < qk_rules_count(); i++) {
		const struct qk_rule *rule = qk_rules_at(i);

		cr_assert_eq(qk_rules_find(rule->id), rule);
		cr_assert_eq(qk_rules_find(rule->name), rule);
		cr_assert_eq(qk_rules_index(rule), i);
	}
}

Test(registry, id_lookup_ignores_case)
{
	cr_assert_not_null(qk_rules_find("QK001"));
	cr_assert_eq(qk_rules_find("qk001"), qk_rules_find("QK001"));
}

Test(registry, unknown_returns_null)
{
	cr_assert_null(qk_rules_find("QK999"));
	cr_assert_null(qk_rules_find("Input-Not-Quantized"));
	cr_assert_null(qk_rules_find(""));
	cr_assert_null(qk_rules_find(NULL));
	cr_assert_null(qk_rules_at(qk_rules_count()));
	cr_assert_eq(qk_rules_index(NULL), (size_t)-1);
}

Test(rule_conf, sets_typed_options)
{
	const struct qk_rule *rule = qk_rules_find("QK002");
	struct qk_rule_conf conf;
	struct qk_err err = QK_ERR_INIT;

	cr_assert_eq(qk_rule_conf_init(&conf, rule), 0);
	cr_assert_eq(qk_rule_conf_int(&conf, "strict-bias"), 0);
	cr_assert_eq(qk_rule_conf_set(&conf, 0, "true", &err), 0);
	cr_assert_eq(qk_rule_conf_int(&conf, "strict-bias"), 1);
	cr_assert_eq(qk_rule_conf_set(&conf, 0, "maybe", &err), -1);
	cr_assert_not_null(strstr(err.msg, "invalid value 'maybe'"), "%s",
			   err.msg);
	cr_assert_eq(qk_rule_conf_set(&conf, 1, "true", &err), -1);
	qk_rule_conf_release(&conf);
}

Test(rule_conf, string_option_copied)
{
	const struct qk_rule *rule = qk_rules_find("QK101");
	struct qk_rule_conf conf;
	struct qk_err err = QK_ERR_INIT;
	char text[] = "MyLayer";

	cr_assert_eq(qk_rule_conf_init(&conf, rule), 0);
	cr_assert_str_eq(qk_rule_conf_string(&conf, "allow-classes"), "");
	cr_assert_eq(qk_rule_conf_set(&conf, 0, text, &err), 0);
	text[0] = 'X';
	cr_assert_str_eq(qk_rule_conf_string(&conf, "allow-classes"),
			 "MyLayer");
	qk_rule_conf_release(&conf);
}

Test(severity, names_round_trip)
{
	enum qk_severity levels[] = { QK_SEV_OFF, QK_SEV_INFO, QK_SEV_WARNING,
				      QK_SEV_ERROR };
	enum qk_severity parsed;
	size_t i;

	for (i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
		cr_assert_eq(qk_severity_parse(qk_severity_name(levels[i]),
					       &parsed), 0);
		cr_assert_eq(parsed, levels[i]);
	}
	cr_assert_str_eq(qk_severity_name(QK_SEV_WARNING), "warning");
	cr_assert_eq(qk_severity_parse("fatal", &parsed), -1);
	cr_assert_eq(qk_severity_parse("Error", &parsed), -1);
}

Test(sink, formats_and_copies)
{
	struct qk_sink sink = QK_SINK_INIT;
	struct qk_rule_conf conf;
	struct qk_layer layer = { 0 };
	char name[] = "fc1", cls[] = "QDense";
	int i;

	layer.name = name;
	layer.class_name = cls;
	cr_assert_eq(qk_rule_conf_init(&conf, qk_rules_find("QK001")), 0);
	conf.severity = QK_SEV_WARNING;
	for (i = 0; i < 40; i++)
		cr_assert_eq(qk_sink_add(&sink, &conf, i ? &layer : NULL,
					 i ? "do it" : NULL, "value %d (%s)",
					 i, "x"), 0);
	cr_assert_eq(sink.n_findings, 40);
	cr_assert_null(sink.findings[0].layer);
	cr_assert_null(sink.findings[0].hint);
	cr_assert_str_eq(sink.findings[39].message, "value 39 (x)");
	cr_assert_str_eq(sink.findings[39].layer, "fc1");
	cr_assert_str_eq(sink.findings[39].layer_class, "QDense");
	cr_assert_str_eq(sink.findings[39].hint, "do it");
	cr_assert_eq(sink.findings[39].severity, QK_SEV_WARNING);
	cr_assert_eq(sink.findings[39].rule, conf.rule);
	cr_assert_neq(sink.findings[39].layer, name);
	qk_sink_release(&sink);
	cr_assert_eq(sink.n_findings, 0);
	cr_assert_null(sink.findings);
	qk_rule_conf_release(&conf);
}

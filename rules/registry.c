/*
 * The only table of rules, sorted by ID. Adding a rule means one rule
 * file, one declaration and one entry here.
 */
#include "rule.h"

#include <string.h>
#include <strings.h>

extern const struct qk_rule qk_rule_qk001;
extern const struct qk_rule qk_rule_qk002;
extern const struct qk_rule qk_rule_qk003;
extern const struct qk_rule qk_rule_qk004;
extern const struct qk_rule qk_rule_qk005;
extern const struct qk_rule qk_rule_qk101;
extern const struct qk_rule qk_rule_qk102;
extern const struct qk_rule qk_rule_qk103;
extern const struct qk_rule qk_rule_qk104;
extern const struct qk_rule qk_rule_qk201;
extern const struct qk_rule qk_rule_qk202;
extern const struct qk_rule qk_rule_qk203;

static const struct qk_rule *const rules[] = {
	&qk_rule_qk001,
	&qk_rule_qk002,
	&qk_rule_qk003,
	&qk_rule_qk004,
	&qk_rule_qk005,
	&qk_rule_qk101,
	&qk_rule_qk102,
	&qk_rule_qk103,
	&qk_rule_qk104,
	&qk_rule_qk201,
	&qk_rule_qk202,
	&qk_rule_qk203,
};

#define N_RULES (sizeof(rules) / sizeof(rules[0]))

size_t qk_rules_count(void)
{
	return N_RULES;
}

const struct qk_rule *qk_rules_at(size_t index)
{
	return index < N_RULES ? rules[index] : NULL;
}

const struct qk_rule *qk_rules_find(const char *id_or_name)
{
	size_t i;

	if (!id_or_name)
		return NULL;
	for (i = 0; i < N_RULES; i++) {
		/* IDs match in any case ("qk001"), names exactly. */
		if (!strcasecmp(rules[i]->id, id_or_name) ||
		    !strcmp(rules[i]->name, id_or_name))
			return rules[i];
	}
	return NULL;
}

size_t qk_rules_index(const struct qk_rule *rule)
{
	size_t i;

	for (i = 0; i < N_RULES; i++)
		if (rules[i] == rule)
			return i;
	return (size_t)-1;
}

/*
 * `qklint rules` and `qklint explain`: the registry as text or JSON.
 */
#ifndef QK_LINT_RULES_DOC_H
#define QK_LINT_RULES_DOC_H

#include <stdio.h>

#include "../rules/rule.h"

/* Writes one line per rule (or a JSON array). Returns -1 on failure. */
int qk_rules_write(FILE *out, int json);

/* Writes a rule's header, rationale, fix and options. -1 on failure. */
int qk_rule_explain_write(FILE *out, const struct qk_rule *rule, int json);

#endif

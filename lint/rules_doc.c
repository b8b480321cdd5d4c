#include "rules_doc.h"

#include <cJSON.h>

static const char *const type_names[] = { "integer", "boolean", "string" };

static const char *status_name(enum qk_rule_status status)
{
	switch (status) {
	case QK_RULE_STABLE:
		return "stable";
	case QK_RULE_PREVIEW:
		return "preview";
	case QK_RULE_REMOVED:
		return "removed";
	}
	return "?";
}

static cJSON *rule_json(const struct qk_rule *r, int full)
{
	cJSON *o = cJSON_CreateObject(), *opts;
	size_t i;

	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "id", r->id);
	cJSON_AddStringToObject(o, "name", r->name);
	cJSON_AddStringToObject(o, "category", r->category);
	cJSON_AddStringToObject(o, "severity", qk_severity_name(r->severity));
	cJSON_AddStringToObject(o, "status", status_name(r->status));
	cJSON_AddStringToObject(o, "summary", r->summary);
	if (!full)
		return o;
	cJSON_AddStringToObject(o, "explain", r->explain);
	cJSON_AddStringToObject(o, "fix", r->fix);
	opts = cJSON_AddArrayToObject(o, "options");
	for (i = 0; opts && i < r->n_options; i++) {
		cJSON *opt = cJSON_CreateObject();

		if (!opt)
			break;
		cJSON_AddStringToObject(opt, "name", r->options[i].name);
		cJSON_AddStringToObject(opt, "type",
					type_names[r->options[i].type]);
		cJSON_AddStringToObject(opt, "default",
					r->options[i].default_value);
		cJSON_AddStringToObject(opt, "help", r->options[i].help);
		cJSON_AddItemToArray(opts, opt);
	}
	return o;
}

static int print_json(FILE *out, cJSON *doc)
{
	char *text = doc ? cJSON_Print(doc) : NULL;
	int rc = text && fprintf(out, "%s\n", text) >= 0 ? 0 : -1;

	cJSON_free(text);
	cJSON_Delete(doc);
	return rc;
}

int qk_rules_write(FILE *out, int json)
{
	size_t i, n = qk_rules_count();
	cJSON *list;

	if (json) {
		list = cJSON_CreateArray();
		for (i = 0; list && i < n; i++)
			cJSON_AddItemToArray(list, rule_json(qk_rules_at(i), 0));
		return print_json(out, list);
	}
	for (i = 0; i < n; i++) {
		const struct qk_rule *r = qk_rules_at(i);

		fprintf(out, "%-6s %-36s %-8s %s%s\n", r->id, r->name,
			qk_severity_name(r->severity), r->summary,
			r->status == QK_RULE_STABLE ? "" :
			r->status == QK_RULE_PREVIEW ? " (preview)" :
			" (removed)");
	}
	return ferror(out) ? -1 : 0;
}

int qk_rule_explain_write(FILE *out, const struct qk_rule *r, int json)
{
	size_t i;

	if (json)
		return print_json(out, rule_json(r, 1));
	fprintf(out, "%s %s\n", r->id, r->name);
	fprintf(out, "Default level: %s. Category: %s. Status: %s.\n\n",
		qk_severity_name(r->severity), r->category,
		status_name(r->status));
	fprintf(out, "%s\n\n%s\n\nHow to fix:\n%s\n", r->summary, r->explain,
		r->fix);
	if (r->n_options) {
		fprintf(out, "\nOptions:\n");
		for (i = 0; i < r->n_options; i++)
			fprintf(out, "  %s (%s, default %s): %s\n",
				r->options[i].name,
				type_names[r->options[i].type],
				r->options[i].default_value,
				r->options[i].help);
	}
	return ferror(out) ? -1 : 0;
}

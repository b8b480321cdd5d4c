#include "report.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#define SARIF_SCHEMA \
	"https://docs.oasis-open.org/sarif/sarif/v2.1.0/os/schemas/" \
	"sarif-schema-2.1.0.json"

#define ANSI_BOLD "\033[1m"
#define ANSI_RED "\033[1;31m"
#define ANSI_YELLOW "\033[1;33m"
#define ANSI_CYAN "\033[1;36m"
#define ANSI_RESET "\033[0m"

struct totals {
	size_t errors;
	size_t warnings;
	size_t infos;
	size_t files;
	size_t unreadable;
};

/* Findings of one rule, for --statistics. */
struct rule_count {
	const struct qk_rule *rule;
	size_t count;
};

int qk_output_format_parse(const char *text, enum qk_output_format *out)
{
	static const char *const names[] = {
		[QK_OUT_TEXT] = "text",
		[QK_OUT_JSON] = "json",
		[QK_OUT_SARIF] = "sarif",
		[QK_OUT_GITHUB] = "github",
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(text, names[i]) == 0) {
			*out = (enum qk_output_format)i;
			return 0;
		}
	}
	return -1;
}

static void count_totals(const struct qk_file_result *results, size_t n,
			 struct totals *totals)
{
	const struct qk_finding *finding;
	size_t i, j;

	memset(totals, 0, sizeof(*totals));
	totals->files = n;
	for (i = 0; i < n; i++) {
		if (!results[i].loaded)
			totals->unreadable++;
		for (j = 0; j < results[i].sink.n_findings; j++) {
			finding = &results[i].sink.findings[j];
			if (finding->severity == QK_SEV_ERROR)
				totals->errors++;
			else if (finding->severity == QK_SEV_WARNING)
				totals->warnings++;
			else if (finding->severity == QK_SEV_INFO)
				totals->infos++;
		}
	}
}

/* ---- text ---- */

static const char *severity_color(enum qk_severity severity)
{
	if (severity == QK_SEV_ERROR)
		return ANSI_RED;
	if (severity == QK_SEV_WARNING)
		return ANSI_YELLOW;
	return ANSI_CYAN;
}

static void write_text_finding(FILE *out, const char *path,
			       const struct qk_finding *finding, int color)
{
	const char *on = color ? severity_color(finding->severity) : "";
	const char *bold = color ? ANSI_BOLD : "";
	const char *off = color ? ANSI_RESET : "";

	fprintf(out, "%s%s%s: ", bold, path, off);
	if (finding->layer && finding->layer_class)
		fprintf(out, "layer '%s' (%s): ", finding->layer,
			finding->layer_class);
	else if (finding->layer)
		fprintf(out, "layer '%s': ", finding->layer);
	fprintf(out, "%s%s%s %s %s: %s\n", on,
		qk_severity_name(finding->severity), off, finding->rule->id,
		finding->rule->name, finding->message);
	if (finding->hint)
		fprintf(out, "  hint: %s\n", finding->hint);
}

static const char *plural(size_t n)
{
	return n == 1 ? "" : "s";
}

static void write_summary(FILE *out, const struct totals *totals)
{
	fprintf(out, "%zu error%s, %zu warning%s, %zu info%s in %zu file%s",
		totals->errors, plural(totals->errors), totals->warnings,
		plural(totals->warnings), totals->infos, plural(totals->infos),
		totals->files, plural(totals->files));
	if (totals->unreadable)
		fprintf(out, " (%zu could not be read)", totals->unreadable);
	fputc('\n', out);
}

/* Most frequent first; ties in registry order, which is ID order. */
static int compare_counts(const void *a, const void *b)
{
	const struct rule_count *x = a, *y = b;
	size_t ix = qk_rules_index(x->rule), iy = qk_rules_index(y->rule);

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return (ix > iy) - (ix < iy);
}

static int count_rule(struct rule_count *counts, size_t *n_counts,
		      size_t capacity, const struct qk_rule *rule)
{
	size_t i;

	for (i = 0; i < *n_counts; i++) {
		if (counts[i].rule == rule) {
			counts[i].count++;
			return 0;
		}
	}
	if (*n_counts == capacity)
		return -1;
	counts[*n_counts].rule = rule;
	counts[*n_counts].count = 1;
	(*n_counts)++;
	return 0;
}

static int write_statistics(FILE *out, const struct qk_file_result *results,
			    size_t n, struct qk_err *err)
{
	struct rule_count *counts;
	size_t capacity = 0, n_counts = 0, i, j;
	int width;

	for (i = 0; i < n; i++)
		capacity += results[i].sink.n_findings;
	counts = qk_calloc(capacity, sizeof(*counts));
	if (!counts)
		return qk_fail(err, "out of memory");
	for (i = 0; i < n; i++)
		for (j = 0; j < results[i].sink.n_findings; j++)
			count_rule(counts, &n_counts, capacity,
				   results[i].sink.findings[j].rule);
	qsort(counts, n_counts, sizeof(*counts), compare_counts);
	width = n_counts ? snprintf(NULL, 0, "%zu", counts[0].count) : 1;
	for (i = 0; i < n_counts; i++)
		fprintf(out, "%*zu  %s  %s\n", width, counts[i].count,
			counts[i].rule->id, counts[i].rule->name);
	free(counts);
	return 0;
}

/* Load failures print nothing here: main reports them on stderr. */
static int write_text(FILE *out, const struct qk_file_result *results,
		      size_t n, const struct qk_report_options *options,
		      struct qk_err *err)
{
	struct totals totals;
	size_t i, j;

	count_totals(results, n, &totals);
	for (i = 0; i < n && !options->quiet; i++)
		for (j = 0; j < results[i].sink.n_findings; j++)
			write_text_finding(out, results[i].path,
					   &results[i].sink.findings[j],
					   options->color);
	if (options->statistics && write_statistics(out, results, n, err) < 0)
		return -1;
	write_summary(out, &totals);
	return 0;
}

/* ---- GitHub Actions workflow commands ---- */

/* Escapes a command's message (property values also escape , and :). */
static void write_github_escaped(FILE *out, const char *text, int property)
{
	const char *p;

	for (p = text; *p; p++) {
		if (*p == '%')
			fputs("%25", out);
		else if (*p == '\r')
			fputs("%0D", out);
		else if (*p == '\n')
			fputs("%0A", out);
		else if (property && *p == ':')
			fputs("%3A", out);
		else if (property && *p == ',')
			fputs("%2C", out);
		else
			fputc(*p, out);
	}
}

static const char *github_command(enum qk_severity severity)
{
	if (severity == QK_SEV_ERROR)
		return "error";
	if (severity == QK_SEV_WARNING)
		return "warning";
	return "notice";
}

static int write_github_finding(FILE *out, const char *path,
				const struct qk_finding *finding,
				struct qk_err *err)
{
	char *title, *text;

	title = qk_asprintf("%s %s", finding->rule->id, finding->rule->name);
	if (finding->layer && finding->layer_class)
		text = qk_asprintf("layer '%s' (%s): %s%s%s", finding->layer,
				   finding->layer_class, finding->message,
				   finding->hint ? "\nhint: " : "",
				   finding->hint ? finding->hint : "");
	else if (finding->layer)
		text = qk_asprintf("layer '%s': %s%s%s", finding->layer,
				   finding->message,
				   finding->hint ? "\nhint: " : "",
				   finding->hint ? finding->hint : "");
	else
		text = qk_asprintf("%s%s%s", finding->message,
				   finding->hint ? "\nhint: " : "",
				   finding->hint ? finding->hint : "");
	if (!title || !text) {
		free(title);
		free(text);
		return qk_fail(err, "out of memory");
	}
	fprintf(out, "::%s file=", github_command(finding->severity));
	write_github_escaped(out, path, 1);
	fputs(",title=", out);
	write_github_escaped(out, title, 1);
	fputs("::", out);
	write_github_escaped(out, text, 0);
	fputc('\n', out);
	free(title);
	free(text);
	return 0;
}

/*
 * Unreadable files become error annotations too, because in a workflow
 * log the stderr line is easy to miss.
 */
static void write_github_unreadable(FILE *out,
				    const struct qk_file_result *result)
{
	fputs("::error file=", out);
	write_github_escaped(out, result->path, 1);
	fputs(",title=qklint::cannot read model: ", out);
	write_github_escaped(out, result->error ? result->error : "unknown "
			     "error", 0);
	fputc('\n', out);
}

static int write_github(FILE *out, const struct qk_file_result *results,
			size_t n, const struct qk_report_options *options,
			struct qk_err *err)
{
	struct totals totals;
	size_t i, j;

	count_totals(results, n, &totals);
	for (i = 0; i < n && !options->quiet; i++) {
		if (!results[i].loaded)
			write_github_unreadable(out, &results[i]);
		for (j = 0; j < results[i].sink.n_findings; j++)
			if (write_github_finding(out, results[i].path,
						 &results[i].sink.findings[j],
						 err) < 0)
				return -1;
	}
	if (options->statistics && write_statistics(out, results, n, err) < 0)
		return -1;
	write_summary(out, &totals);
	return 0;
}

/* ---- JSON and SARIF (cJSON) ---- */

static cJSON *add_string(cJSON *object, const char *name, const char *value)
{
	if (!value)
		return cJSON_AddNullToObject(object, name);
	return cJSON_AddStringToObject(object, name, value);
}

static cJSON *add_text(cJSON *object, const char *name, const char *text)
{
	cJSON *wrapper = cJSON_AddObjectToObject(object, name);

	if (!wrapper || !cJSON_AddStringToObject(wrapper, "text", text))
		return NULL;
	return wrapper;
}

static int json_finding(cJSON *array, const struct qk_finding *finding)
{
	cJSON *item = cJSON_CreateObject();
	const char *severity = qk_severity_name(finding->severity);

	if (!item || !cJSON_AddItemToArray(array, item)) {
		cJSON_Delete(item);
		return -1;
	}
	if (!add_string(item, "rule", finding->rule->id) ||
	    !add_string(item, "name", finding->rule->name) ||
	    !add_string(item, "severity", severity) ||
	    !add_string(item, "layer", finding->layer) ||
	    !add_string(item, "layer_class", finding->layer_class) ||
	    !add_string(item, "message", finding->message) ||
	    !add_string(item, "hint", finding->hint))
		return -1;
	return 0;
}

/* Stable tokens for JSON, unlike the display names of model.h. */
static const char *json_model_kind(enum qk_model_kind kind)
{
	switch (kind) {
	case QK_MODEL_QKERAS:
		return "qkeras";
	case QK_MODEL_HGQ_PROXY:
		return "hgq-proxy";
	case QK_MODEL_KERAS:
		return "keras";
	}
	return "unknown";
}

static const char *json_format(enum qk_format format)
{
	switch (format) {
	case QK_FORMAT_H5:
		return "h5";
	case QK_FORMAT_JSON:
		return "json";
	case QK_FORMAT_KERAS3:
		return "keras3";
	}
	return "unknown";
}

static int json_file(cJSON *array, const struct qk_file_result *result)
{
	cJSON *item = cJSON_CreateObject();
	cJSON *findings;
	size_t i;
	int ok;

	if (!item || !cJSON_AddItemToArray(array, item)) {
		cJSON_Delete(item);
		return -1;
	}
	ok = add_string(item, "path", result->path) != NULL;
	if (result->loaded)
		ok = ok && add_string(item, "model_kind",
				      json_model_kind(result->kind)) &&
		     add_string(item, "format", json_format(result->format)) &&
		     cJSON_AddNumberToObject(item, "layers",
					     (double)result->n_layers);
	else
		ok = ok && cJSON_AddNullToObject(item, "model_kind") &&
		     cJSON_AddNullToObject(item, "format") &&
		     cJSON_AddNullToObject(item, "layers");
	ok = ok && add_string(item, "error", result->error);
	findings = ok ? cJSON_AddArrayToObject(item, "findings") : NULL;
	if (!findings)
		return -1;
	for (i = 0; i < result->sink.n_findings; i++)
		if (json_finding(findings, &result->sink.findings[i]) < 0)
			return -1;
	return 0;
}

static int json_summary(cJSON *root, const struct totals *totals)
{
	cJSON *summary = cJSON_AddObjectToObject(root, "summary");

	if (!summary ||
	    !cJSON_AddNumberToObject(summary, "errors",
				     (double)totals->errors) ||
	    !cJSON_AddNumberToObject(summary, "warnings",
				     (double)totals->warnings) ||
	    !cJSON_AddNumberToObject(summary, "infos",
				     (double)totals->infos) ||
	    !cJSON_AddNumberToObject(summary, "files",
				     (double)totals->files) ||
	    !cJSON_AddNumberToObject(summary, "unreadable",
				     (double)totals->unreadable))
		return -1;
	return 0;
}

static cJSON *build_json(const struct qk_file_result *results, size_t n)
{
	cJSON *root = cJSON_CreateObject();
	cJSON *files;
	struct totals totals;
	size_t i;

	if (!root)
		return NULL;
	count_totals(results, n, &totals);
	if (!cJSON_AddStringToObject(root, "version", QKLINT_VERSION))
		goto fail;
	files = cJSON_AddArrayToObject(root, "files");
	if (!files)
		goto fail;
	for (i = 0; i < n; i++)
		if (json_file(files, &results[i]) < 0)
			goto fail;
	if (json_summary(root, &totals) < 0)
		goto fail;
	return root;
fail:
	cJSON_Delete(root);
	return NULL;
}

static const char *sarif_level(enum qk_severity severity)
{
	if (severity == QK_SEV_ERROR)
		return "error";
	if (severity == QK_SEV_WARNING)
		return "warning";
	if (severity == QK_SEV_INFO)
		return "note";
	return "none";
}

static int sarif_rule(cJSON *array, const struct qk_rule *rule)
{
	cJSON *item = cJSON_CreateObject();
	cJSON *configuration;

	if (!item || !cJSON_AddItemToArray(array, item)) {
		cJSON_Delete(item);
		return -1;
	}
	if (!add_string(item, "id", rule->id) ||
	    !add_string(item, "name", rule->name) ||
	    !add_text(item, "shortDescription",
		      rule->summary ? rule->summary : "") ||
	    !add_text(item, "fullDescription",
		      rule->explain ? rule->explain : "") ||
	    !add_text(item, "help", rule->fix ? rule->fix : ""))
		return -1;
	configuration = cJSON_AddObjectToObject(item, "defaultConfiguration");
	if (!configuration ||
	    !add_string(configuration, "level", sarif_level(rule->severity)))
		return -1;
	if (rule->severity == QK_SEV_OFF &&
	    !cJSON_AddFalseToObject(configuration, "enabled"))
		return -1;
	return 0;
}

/*
 * Percent-encodes a path as a URI reference (RFC 3986): relative paths
 * stay relative, absolute ones become file:// URIs.
 */
static char *path_uri(const char *path)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p;
	char *uri, *q;
	size_t len = strlen(path);

	uri = qk_calloc(len * 3 + sizeof("file://"), 1);
	if (!uri)
		return NULL;
	q = uri;
	if (path[0] == '/')
		q += sprintf(q, "file://");
	for (p = (const unsigned char *)path; *p; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~/", *p)) {
			*q++ = (char)*p;
		} else {
			*q++ = '%';
			*q++ = hex[*p >> 4];
			*q++ = hex[*p & 15];
		}
	}
	*q = '\0';
	return uri;
}

static int add_artifact_location(cJSON *object, const char *path)
{
	cJSON *physical, *artifact;
	char *uri = path_uri(path);
	int rc = -1;

	if (!uri)
		return -1;
	physical = cJSON_AddObjectToObject(object, "physicalLocation");
	artifact = physical ? cJSON_AddObjectToObject(physical,
						      "artifactLocation")
			    : NULL;
	if (artifact && cJSON_AddStringToObject(artifact, "uri", uri))
		rc = 0;
	free(uri);
	return rc;
}

static int sarif_locations(cJSON *result, const char *path,
			   const struct qk_finding *finding)
{
	cJSON *locations = cJSON_AddArrayToObject(result, "locations");
	cJSON *location = cJSON_CreateObject();
	cJSON *logical, *entry;

	if (!locations || !location ||
	    !cJSON_AddItemToArray(locations, location)) {
		cJSON_Delete(location);
		return -1;
	}
	if (add_artifact_location(location, path) < 0)
		return -1;
	if (!finding->layer)
		return 0;
	logical = cJSON_AddArrayToObject(location, "logicalLocations");
	entry = cJSON_CreateObject();
	if (!logical || !entry || !cJSON_AddItemToArray(logical, entry)) {
		cJSON_Delete(entry);
		return -1;
	}
	if (!add_string(entry, "name", finding->layer) ||
	    !add_string(entry, "kind", "member") ||
	    !add_string(entry, "fullyQualifiedName", finding->layer))
		return -1;
	return 0;
}

static int sarif_result(cJSON *array, const char *path,
			const struct qk_finding *finding)
{
	cJSON *item = cJSON_CreateObject();
	size_t index = qk_rules_index(finding->rule);
	char *text;
	int ok;

	if (!item || !cJSON_AddItemToArray(array, item)) {
		cJSON_Delete(item);
		return -1;
	}
	if (finding->hint)
		text = qk_asprintf("%s\nhint: %s", finding->message,
				   finding->hint);
	else
		text = qk_strdup(finding->message);
	if (!text)
		return -1;
	ok = add_string(item, "ruleId", finding->rule->id) &&
	     (index == (size_t)-1 ||
	      cJSON_AddNumberToObject(item, "ruleIndex", (double)index)) &&
	     add_string(item, "level", sarif_level(finding->severity)) &&
	     add_text(item, "message", text);
	free(text);
	if (!ok)
		return -1;
	return sarif_locations(item, path, finding);
}

static int sarif_notification(cJSON *array,
			      const struct qk_file_result *result)
{
	cJSON *item = cJSON_CreateObject();
	cJSON *locations, *location;
	char *text;
	int ok;

	if (!item || !cJSON_AddItemToArray(array, item)) {
		cJSON_Delete(item);
		return -1;
	}
	text = qk_asprintf("cannot read model '%s': %s", result->path,
			   result->error ? result->error : "unknown error");
	if (!text)
		return -1;
	ok = add_string(item, "level", "error") &&
	     add_text(item, "message", text);
	free(text);
	locations = ok ? cJSON_AddArrayToObject(item, "locations") : NULL;
	location = cJSON_CreateObject();
	if (!locations || !location ||
	    !cJSON_AddItemToArray(locations, location)) {
		cJSON_Delete(location);
		return -1;
	}
	return add_artifact_location(location, result->path);
}

static int sarif_invocation(cJSON *run, const struct qk_file_result *results,
			    size_t n)
{
	cJSON *invocations = cJSON_AddArrayToObject(run, "invocations");
	cJSON *invocation = cJSON_CreateObject();
	cJSON *notifications;
	size_t i;
	int success = 1;

	if (!invocations || !invocation ||
	    !cJSON_AddItemToArray(invocations, invocation)) {
		cJSON_Delete(invocation);
		return -1;
	}
	notifications = cJSON_AddArrayToObject(invocation,
					       "toolExecutionNotifications");
	if (!notifications)
		return -1;
	for (i = 0; i < n; i++) {
		if (results[i].loaded)
			continue;
		success = 0;
		if (sarif_notification(notifications, &results[i]) < 0)
			return -1;
	}
	if (!cJSON_AddBoolToObject(invocation, "executionSuccessful", success))
		return -1;
	return 0;
}

static int sarif_driver(cJSON *run)
{
	cJSON *tool = cJSON_AddObjectToObject(run, "tool");
	cJSON *driver = tool ? cJSON_AddObjectToObject(tool, "driver") : NULL;
	cJSON *rules;
	size_t i;

	if (!driver || !add_string(driver, "name", "qklint") ||
	    !add_string(driver, "version", QKLINT_VERSION))
		return -1;
	rules = cJSON_AddArrayToObject(driver, "rules");
	if (!rules)
		return -1;
	for (i = 0; i < qk_rules_count(); i++)
		if (sarif_rule(rules, qk_rules_at(i)) < 0)
			return -1;
	return 0;
}

static int sarif_run(cJSON *runs, const struct qk_file_result *results,
		     size_t n)
{
	cJSON *run = cJSON_CreateObject();
	cJSON *array;
	size_t i, j;

	if (!run || !cJSON_AddItemToArray(runs, run)) {
		cJSON_Delete(run);
		return -1;
	}
	if (sarif_driver(run) < 0 || sarif_invocation(run, results, n) < 0)
		return -1;
	array = cJSON_AddArrayToObject(run, "results");
	if (!array)
		return -1;
	for (i = 0; i < n; i++)
		for (j = 0; j < results[i].sink.n_findings; j++)
			if (sarif_result(array, results[i].path,
					 &results[i].sink.findings[j]) < 0)
				return -1;
	return 0;
}

static cJSON *build_sarif(const struct qk_file_result *results, size_t n)
{
	cJSON *root = cJSON_CreateObject();
	cJSON *runs;

	if (!root)
		return NULL;
	if (!cJSON_AddStringToObject(root, "$schema", SARIF_SCHEMA) ||
	    !cJSON_AddStringToObject(root, "version", "2.1.0"))
		goto fail;
	runs = cJSON_AddArrayToObject(root, "runs");
	if (!runs || sarif_run(runs, results, n) < 0)
		goto fail;
	return root;
fail:
	cJSON_Delete(root);
	return NULL;
}

static int write_json_document(FILE *out, cJSON *root, struct qk_err *err)
{
	char *text;

	if (!root)
		return qk_fail(err, "out of memory");
	text = cJSON_Print(root);
	cJSON_Delete(root);
	if (!text)
		return qk_fail(err, "out of memory");
	fputs(text, out);
	fputc('\n', out);
	cJSON_free(text);
	return 0;
}

int qk_report_write(FILE *out, const struct qk_file_result *results,
		    size_t n_results, const struct qk_report_options *options,
		    struct qk_err *err)
{
	int rc;

	switch (options->format) {
	case QK_OUT_JSON:
		rc = write_json_document(out, build_json(results, n_results),
					 err);
		break;
	case QK_OUT_SARIF:
		rc = write_json_document(out, build_sarif(results, n_results),
					 err);
		break;
	case QK_OUT_GITHUB:
		rc = write_github(out, results, n_results, options, err);
		break;
	case QK_OUT_TEXT:
	default:
		rc = write_text(out, results, n_results, options, err);
		break;
	}
	if (rc < 0)
		return -1;
	if (fflush(out) != 0 || ferror(out))
		return qk_fail(err, "cannot write report: %s", strerror(errno));
	return 0;
}

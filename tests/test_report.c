#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "lint/report.h"

/* ---- helpers ---- */

static void add_finding(struct qk_file_result *result,
			const struct qk_rule *rule, enum qk_severity severity,
			const char *layer, const char *layer_class,
			const char *message, const char *hint)
{
	struct qk_sink *sink = &result->sink;
	struct qk_finding *finding;

	sink->findings = realloc(sink->findings, (sink->n_findings + 1) *
						       sizeof(*sink->findings));
	cr_assert_not_null(sink->findings);
	finding = &sink->findings[sink->n_findings++];
	sink->capacity = sink->n_findings;
	finding->rule = rule;
	finding->severity = severity;
	finding->layer = layer ? strdup(layer) : NULL;
	finding->layer_class = layer_class ? strdup(layer_class) : NULL;
	finding->message = strdup(message);
	finding->hint = hint ? strdup(hint) : NULL;
}

static void loaded_file(struct qk_file_result *result, const char *path,
			size_t n_layers)
{
	memset(result, 0, sizeof(*result));
	result->path = strdup(path);
	result->loaded = 1;
	result->kind = QK_MODEL_QKERAS;
	result->format = QK_FORMAT_H5;
	result->n_layers = n_layers;
}

static void set_kind(struct qk_file_result *result, enum qk_model_kind kind,
		     enum qk_format format)
{
	result->kind = kind;
	result->format = format;
}

static void unreadable_file(struct qk_file_result *result, const char *path,
			    const char *error)
{
	memset(result, 0, sizeof(*result));
	result->path = strdup(path);
	result->error = strdup(error);
}

static void release_results(struct qk_file_result *results, size_t n)
{
	struct qk_finding *finding;
	size_t i, j;

	for (i = 0; i < n; i++) {
		for (j = 0; j < results[i].sink.n_findings; j++) {
			finding = &results[i].sink.findings[j];
			free(finding->layer);
			free(finding->layer_class);
			free(finding->message);
			free(finding->hint);
		}
		free(results[i].sink.findings);
		free(results[i].path);
		free(results[i].error);
	}
}

static const struct qk_rule *rule_at(size_t index)
{
	cr_assert_lt(index, qk_rules_count(), "need %zu rules", index + 1);
	return qk_rules_at(index);
}

/*
 * Three files: m.h5 with an error on a layer (with a hint) and a
 * model-wide warning, bad.h5 that could not be read, and clean.h5.
 */
static void sample_run(struct qk_file_result results[3])
{
	loaded_file(&results[0], "models/m.h5", 4);
	add_finding(&results[0], rule_at(0), QK_SEV_ERROR, "fc1", "QDense",
		    "input 'x' reaches 'fc1' without a quantizer",
		    "insert a QActivation after 'x'");
	add_finding(&results[0], rule_at(1), QK_SEV_WARNING, NULL, NULL,
		    "model has no output quantizer", NULL);
	unreadable_file(&results[1], "bad.h5", "not an HDF5 file");
	loaded_file(&results[2], "clean.h5", 2);
}

/* Writes a report into a string owned by the caller. */
static char *render(const struct qk_file_result *results, size_t n,
		    const struct qk_report_options *options)
{
	struct qk_err err = QK_ERR_INIT;
	char *text = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&text, &size);

	cr_assert_not_null(out);
	cr_assert_eq(qk_report_write(out, results, n, options, &err), 0,
		     "%s", err.msg);
	fclose(out);
	return text;
}

static char *render_format(const struct qk_file_result *results, size_t n,
			   enum qk_output_format format)
{
	struct qk_report_options options = { format, 0, 0, 0 };

	return render(results, n, &options);
}

static cJSON *child(const cJSON *object, const char *name)
{
	cJSON *item = cJSON_GetObjectItemCaseSensitive(object, name);

	cr_assert_not_null(item, "missing key '%s'", name);
	return item;
}

static const char *child_string(const cJSON *object, const char *name)
{
	cJSON *item = child(object, name);

	cr_assert(cJSON_IsString(item), "'%s' is not a string", name);
	return item->valuestring;
}

static double child_number(const cJSON *object, const char *name)
{
	cJSON *item = child(object, name);

	cr_assert(cJSON_IsNumber(item), "'%s' is not a number", name);
	return item->valuedouble;
}

/* ---- format names ---- */

Test(report, format_parse)
{
	enum qk_output_format format;

	cr_assert_eq(qk_output_format_parse("text", &format), 0);
	cr_expect_eq(format, QK_OUT_TEXT);
	cr_assert_eq(qk_output_format_parse("json", &format), 0);
	cr_expect_eq(format, QK_OUT_JSON);
	cr_assert_eq(qk_output_format_parse("sarif", &format), 0);
	cr_expect_eq(format, QK_OUT_SARIF);
	cr_assert_eq(qk_output_format_parse("github", &format), 0);
	cr_expect_eq(format, QK_OUT_GITHUB);
	cr_expect_eq(qk_output_format_parse("JSON", &format), -1);
	cr_expect_eq(qk_output_format_parse("", &format), -1);
}

/* ---- text ---- */

Test(report, text_lines_and_hint)
{
	struct qk_file_result results[3];
	char *text, *expected;

	sample_run(results);
	text = render_format(results, 3, QK_OUT_TEXT);
	expected = qk_asprintf(
		"models/m.h5: layer 'fc1' (QDense): error %s %s: input 'x' "
		"reaches 'fc1' without a quantizer\n"
		"  hint: insert a QActivation after 'x'\n"
		"models/m.h5: warning %s %s: model has no output quantizer\n"
		"1 error, 1 warning, 0 infos in 3 files (1 could not be "
		"read)\n",
		rule_at(0)->id, rule_at(0)->name, rule_at(1)->id,
		rule_at(1)->name);
	cr_expect_str_eq(text, expected);
	cr_expect_null(strchr(text, '\033'), "colour without color set");
	free(expected);
	free(text);
	release_results(results, 3);
}

Test(report, text_summary_plurals)
{
	struct qk_file_result result;
	char *text;

	loaded_file(&result, "one.h5", 1);
	add_finding(&result, rule_at(0), QK_SEV_INFO, "a", "Dense", "m",
		    NULL);
	add_finding(&result, rule_at(0), QK_SEV_INFO, "b", "Dense", "m",
		    NULL);
	text = render_format(&result, 1, QK_OUT_TEXT);
	cr_expect_not_null(strstr(text, "\n0 errors, 0 warnings, 2 infos in "
				  "1 file\n"), "%s", text);
	free(text);
	release_results(&result, 1);
}

Test(report, text_quiet_prints_summary_only)
{
	struct qk_file_result results[3];
	struct qk_report_options options = { QK_OUT_TEXT, 0, 1, 0 };
	char *text;

	sample_run(results);
	text = render(results, 3, &options);
	cr_expect_str_eq(text, "1 error, 1 warning, 0 infos in 3 files (1 "
			 "could not be read)\n");
	free(text);
	release_results(results, 3);
}

Test(report, text_color)
{
	struct qk_file_result results[3];
	struct qk_report_options options = { QK_OUT_TEXT, 1, 0, 0 };
	char *text;

	sample_run(results);
	text = render(results, 3, &options);
	cr_expect_not_null(strstr(text, "\033[1;31merror\033[0m"), "%s", text);
	cr_expect_not_null(strstr(text, "\033[1;33mwarning\033[0m"), "%s",
			   text);
	free(text);
	release_results(results, 3);
}

Test(report, statistics_most_frequent_first)
{
	struct qk_file_result results[2];
	struct qk_report_options options = { QK_OUT_TEXT, 0, 1, 1 };
	const struct qk_rule *first = rule_at(0), *second = rule_at(1);
	char *text, *expected;
	int i;

	loaded_file(&results[0], "a.h5", 3);
	loaded_file(&results[1], "b.h5", 3);
	add_finding(&results[0], first, QK_SEV_ERROR, "x", "Dense", "m",
		    NULL);
	for (i = 0; i < 6; i++)
		add_finding(&results[i % 2], second, QK_SEV_WARNING, "y",
			    "Dense", "m", NULL);
	text = render(results, 2, &options);
	expected = qk_asprintf("6  %s  %s\n1  %s  %s\n"
			       "1 error, 6 warnings, 0 infos in 2 files\n",
			       second->id, second->name, first->id,
			       first->name);
	cr_expect_str_eq(text, expected);
	free(text);
	free(expected);
	release_results(results, 2);
}

/* Equal counts keep registry order, and counts align right. */
Test(report, statistics_ties_and_alignment)
{
	struct qk_file_result result;
	struct qk_report_options options = { QK_OUT_TEXT, 0, 1, 1 };
	const struct qk_rule *a = rule_at(0), *b = rule_at(1), *c = rule_at(2);
	char *text, *expected;
	int i;

	loaded_file(&result, "a.h5", 3);
	add_finding(&result, b, QK_SEV_INFO, NULL, NULL, "m", NULL);
	add_finding(&result, a, QK_SEV_INFO, NULL, NULL, "m", NULL);
	for (i = 0; i < 12; i++)
		add_finding(&result, c, QK_SEV_INFO, NULL, NULL, "m", NULL);
	text = render(&result, 1, &options);
	expected = qk_asprintf("12  %s  %s\n 1  %s  %s\n 1  %s  %s\n"
			       "0 errors, 0 warnings, 14 infos in 1 file\n",
			       c->id, c->name, a->id, a->name, b->id,
			       b->name);
	cr_expect_str_eq(text, expected);
	free(text);
	free(expected);
	release_results(&result, 1);
}

/* ---- JSON ---- */

Test(report, json_has_every_field)
{
	struct qk_file_result results[3];
	cJSON *root, *files, *file, *findings, *finding, *summary;
	char *text;

	sample_run(results);
	text = render_format(results, 3, QK_OUT_JSON);
	root = cJSON_Parse(text);
	cr_assert_not_null(root, "invalid JSON: %s", text);
	cr_expect_str_eq(child_string(root, "version"), QKLINT_VERSION);
	files = child(root, "files");
	cr_assert_eq(cJSON_GetArraySize(files), 3);

	file = cJSON_GetArrayItem(files, 0);
	cr_expect_str_eq(child_string(file, "path"), "models/m.h5");
	cr_expect_str_eq(child_string(file, "model_kind"), "qkeras");
	cr_expect_str_eq(child_string(file, "format"), "h5");
	cr_expect_eq(child_number(file, "layers"), 4);
	cr_expect(cJSON_IsNull(child(file, "error")));
	findings = child(file, "findings");
	cr_assert_eq(cJSON_GetArraySize(findings), 2);

	finding = cJSON_GetArrayItem(findings, 0);
	cr_expect_str_eq(child_string(finding, "rule"), rule_at(0)->id);
	cr_expect_str_eq(child_string(finding, "name"), rule_at(0)->name);
	cr_expect_str_eq(child_string(finding, "severity"), "error");
	cr_expect_str_eq(child_string(finding, "layer"), "fc1");
	cr_expect_str_eq(child_string(finding, "layer_class"), "QDense");
	cr_expect_str_eq(child_string(finding, "message"),
			 "input 'x' reaches 'fc1' without a quantizer");
	cr_expect_str_eq(child_string(finding, "hint"),
			 "insert a QActivation after 'x'");

	finding = cJSON_GetArrayItem(findings, 1);
	cr_expect_str_eq(child_string(finding, "severity"), "warning");
	cr_expect(cJSON_IsNull(child(finding, "layer")));
	cr_expect(cJSON_IsNull(child(finding, "layer_class")));
	cr_expect(cJSON_IsNull(child(finding, "hint")));

	file = cJSON_GetArrayItem(files, 1);
	cr_expect_str_eq(child_string(file, "error"), "not an HDF5 file");
	cr_expect(cJSON_IsNull(child(file, "model_kind")));
	cr_expect(cJSON_IsNull(child(file, "format")));
	cr_expect(cJSON_IsNull(child(file, "layers")));
	cr_expect_eq(cJSON_GetArraySize(child(file, "findings")), 0);

	summary = child(root, "summary");
	cr_expect_eq(child_number(summary, "errors"), 1);
	cr_expect_eq(child_number(summary, "warnings"), 1);
	cr_expect_eq(child_number(summary, "infos"), 0);
	cr_expect_eq(child_number(summary, "files"), 3);
	cr_expect_eq(child_number(summary, "unreadable"), 1);
	cJSON_Delete(root);
	free(text);
	release_results(results, 3);
}

Test(report, json_kind_and_format_tokens)
{
	struct qk_file_result results[2];
	cJSON *root, *files;
	char *text;

	loaded_file(&results[0], "a.json", 1);
	set_kind(&results[0], QK_MODEL_HGQ_PROXY, QK_FORMAT_JSON);
	loaded_file(&results[1], "b.keras", 1);
	set_kind(&results[1], QK_MODEL_KERAS, QK_FORMAT_KERAS3);
	text = render_format(results, 2, QK_OUT_JSON);
	root = cJSON_Parse(text);
	cr_assert_not_null(root);
	files = child(root, "files");
	cr_expect_str_eq(child_string(cJSON_GetArrayItem(files, 0),
				      "model_kind"),
			 "hgq-proxy");
	cr_expect_str_eq(child_string(cJSON_GetArrayItem(files, 0), "format"),
			 "json");
	cr_expect_str_eq(child_string(cJSON_GetArrayItem(files, 1),
				      "model_kind"),
			 "keras");
	cr_expect_str_eq(child_string(cJSON_GetArrayItem(files, 1), "format"),
			 "keras3");
	cJSON_Delete(root);
	free(text);
	release_results(results, 2);
}

Test(report, json_escapes_strings)
{
	struct qk_file_result result;
	cJSON *root, *finding;
	char *text;

	loaded_file(&result, "dir \"q\"/m.h5", 1);
	add_finding(&result, rule_at(0), QK_SEV_ERROR, "la\"yer",
		    "QDense", "line one\nline two\\", NULL);
	text = render_format(&result, 1, QK_OUT_JSON);
	root = cJSON_Parse(text);
	cr_assert_not_null(root, "invalid JSON: %s", text);
	finding = cJSON_GetArrayItem(
		child(cJSON_GetArrayItem(child(root, "files"), 0),
		      "findings"),
		0);
	cr_expect_str_eq(child_string(finding, "layer"), "la\"yer");
	cr_expect_str_eq(child_string(finding, "message"),
			 "line one\nline two\\");
	cJSON_Delete(root);
	free(text);
	release_results(&result, 1);
}

/* ---- SARIF ---- */

Test(report, sarif_rules_and_results)
{
	struct qk_file_result results[3];
	cJSON *root, *run, *rules, *rule, *array, *result, *location;
	cJSON *logical;
	const struct qk_rule *registered;
	size_t i;
	char *text, *message;

	sample_run(results);
	text = render_format(results, 3, QK_OUT_SARIF);
	root = cJSON_Parse(text);
	cr_assert_not_null(root, "invalid JSON: %s", text);
	cr_expect_str_eq(child_string(root, "version"), "2.1.0");
	cr_expect_not_null(strstr(child_string(root, "$schema"),
				  "sarif-schema-2.1.0.json"));
	cr_assert_eq(cJSON_GetArraySize(child(root, "runs")), 1);
	run = cJSON_GetArrayItem(child(root, "runs"), 0);
	cr_expect_str_eq(child_string(child(child(run, "tool"), "driver"),
				      "name"),
			 "qklint");
	cr_expect_str_eq(child_string(child(child(run, "tool"), "driver"),
				      "version"),
			 QKLINT_VERSION);

	rules = child(child(child(run, "tool"), "driver"), "rules");
	cr_assert_eq((size_t)cJSON_GetArraySize(rules), qk_rules_count());
	for (i = 0; i < qk_rules_count(); i++) {
		registered = qk_rules_at(i);
		rule = cJSON_GetArrayItem(rules, (int)i);
		cr_expect_str_eq(child_string(rule, "id"), registered->id);
		cr_expect_str_eq(child_string(rule, "name"), registered->name);
		cr_expect_str_eq(child_string(child(rule, "shortDescription"),
					      "text"),
				 registered->summary ? registered->summary
						     : "");
		cr_expect_str_eq(child_string(child(rule, "fullDescription"),
					      "text"),
				 registered->explain ? registered->explain
						     : "");
		cr_expect_str_eq(child_string(child(rule, "help"), "text"),
				 registered->fix ? registered->fix : "");
		child_string(child(rule, "defaultConfiguration"), "level");
	}

	array = child(run, "results");
	cr_assert_eq(cJSON_GetArraySize(array), 2);
	result = cJSON_GetArrayItem(array, 0);
	cr_expect_str_eq(child_string(result, "ruleId"), rule_at(0)->id);
	cr_expect_eq(child_number(result, "ruleIndex"), 0);
	cr_expect_str_eq(child_string(result, "level"), "error");
	message = qk_asprintf("input 'x' reaches 'fc1' without a quantizer\n"
			      "hint: insert a QActivation after 'x'");
	cr_expect_str_eq(child_string(child(result, "message"), "text"),
			 message);
	free(message);
	location = cJSON_GetArrayItem(child(result, "locations"), 0);
	cr_expect_str_eq(child_string(child(child(location,
						  "physicalLocation"),
					    "artifactLocation"),
				      "uri"),
			 "models/m.h5");
	logical = cJSON_GetArrayItem(child(location, "logicalLocations"), 0);
	cr_expect_str_eq(child_string(logical, "name"), "fc1");
	cr_expect_str_eq(child_string(logical, "kind"), "member");
	cr_expect_str_eq(child_string(logical, "fullyQualifiedName"), "fc1");

	result = cJSON_GetArrayItem(array, 1);
	cr_expect_str_eq(child_string(result, "level"), "warning");
	cr_expect_eq(child_number(result, "ruleIndex"), 1);
	location = cJSON_GetArrayItem(child(result, "locations"), 0);
	cr_expect_null(cJSON_GetObjectItem(location, "logicalLocations"));
	cJSON_Delete(root);
	free(text);
	release_results(results, 3);
}

Test(report, sarif_unreadable_file_notification)
{
	struct qk_file_result results[3];
	cJSON *root, *invocation, *notes, *note, *location;
	char *text;

	sample_run(results);
	text = render_format(results, 3, QK_OUT_SARIF);
	root = cJSON_Parse(text);
	cr_assert_not_null(root);
	invocation = cJSON_GetArrayItem(
		child(cJSON_GetArrayItem(child(root, "runs"), 0),
		      "invocations"),
		0);
	cr_assert_not_null(invocation);
	cr_expect(cJSON_IsFalse(child(invocation, "executionSuccessful")));
	notes = child(invocation, "toolExecutionNotifications");
	cr_assert_eq(cJSON_GetArraySize(notes), 1);
	note = cJSON_GetArrayItem(notes, 0);
	cr_expect_str_eq(child_string(note, "level"), "error");
	cr_expect_str_eq(child_string(child(note, "message"), "text"),
			 "cannot read model 'bad.h5': not an HDF5 file");
	location = cJSON_GetArrayItem(child(note, "locations"), 0);
	cr_expect_str_eq(child_string(child(child(location,
						  "physicalLocation"),
					    "artifactLocation"),
				      "uri"),
			 "bad.h5");
	cJSON_Delete(root);
	free(text);
	release_results(results, 3);
}

Test(report, sarif_success_and_uri_encoding)
{
	struct qk_file_result result;
	cJSON *root, *run, *invocation, *location;
	char *text;

	loaded_file(&result, "/data/my models/m#1.h5", 1);
	add_finding(&result, rule_at(0), QK_SEV_INFO, NULL, NULL, "m", NULL);
	text = render_format(&result, 1, QK_OUT_SARIF);
	root = cJSON_Parse(text);
	cr_assert_not_null(root);
	run = cJSON_GetArrayItem(child(root, "runs"), 0);
	invocation = cJSON_GetArrayItem(child(run, "invocations"), 0);
	cr_expect(cJSON_IsTrue(child(invocation, "executionSuccessful")));
	cr_expect_eq(cJSON_GetArraySize(child(invocation,
					      "toolExecutionNotifications")),
		     0);
	location = cJSON_GetArrayItem(
		child(cJSON_GetArrayItem(child(run, "results"), 0),
		      "locations"),
		0);
	cr_expect_str_eq(child_string(child(child(location,
						  "physicalLocation"),
					    "artifactLocation"),
				      "uri"),
			 "file:///data/my%20models/m%231.h5");
	cr_expect_str_eq(child_string(cJSON_GetArrayItem(child(run,
							       "results"),
							 0),
				      "level"),
			 "note");
	cJSON_Delete(root);
	free(text);
	release_results(&result, 1);
}

/* ---- GitHub ---- */

Test(report, github_commands)
{
	struct qk_file_result results[3];
	char *text, *expected;

	sample_run(results);
	text = render_format(results, 3, QK_OUT_GITHUB);
	expected = qk_asprintf(
		"::error file=models/m.h5,title=%s %s::layer 'fc1' (QDense): "
		"input 'x' reaches 'fc1' without a quantizer%%0A"
		"hint: insert a QActivation after 'x'\n"
		"::warning file=models/m.h5,title=%s %s::model has no output "
		"quantizer\n"
		"::error file=bad.h5,title=qklint::cannot read model: not an "
		"HDF5 file\n"
		"1 error, 1 warning, 0 infos in 3 files (1 could not be "
		"read)\n",
		rule_at(0)->id, rule_at(0)->name, rule_at(1)->id,
		rule_at(1)->name);
	cr_expect_str_eq(text, expected);
	free(expected);
	free(text);
	release_results(results, 3);
}

Test(report, github_escaping)
{
	struct qk_file_result result;
	char *text, *expected;

	loaded_file(&result, "a,b:c%.h5", 1);
	add_finding(&result, rule_at(0), QK_SEV_INFO, "l", "Dense",
		    "50% of bits: lost\r\nnext, line", NULL);
	text = render_format(&result, 1, QK_OUT_GITHUB);
	expected = qk_asprintf("::notice file=a%%2Cb%%3Ac%%25.h5,title=%s "
			       "%s::layer 'l' (Dense): 50%%25 of bits: lost"
			       "%%0D%%0Anext, line\n",
			       rule_at(0)->id, rule_at(0)->name);
	cr_expect_eq(strncmp(text, expected, strlen(expected)), 0,
		     "got: %s\nexpected: %s", text, expected);
	free(expected);
	free(text);
	release_results(&result, 1);
}

/* ---- write failures ---- */

Test(report, write_failure_is_reported)
{
	struct qk_file_result results[3];
	struct qk_report_options options = { QK_OUT_TEXT, 0, 0, 0 };
	struct qk_err err = QK_ERR_INIT;
	char buffer[16];
	FILE *out;

	sample_run(results);
	out = fmemopen(buffer, sizeof(buffer), "w");
	cr_assert_not_null(out);
	setvbuf(out, NULL, _IONBF, 0);
	cr_expect_eq(qk_report_write(out, results, 3, &options, &err), -1);
	cr_expect_eq(strncmp(err.msg, "cannot write report: ", 21), 0, "%s",
		     err.msg);
	fclose(out);
	release_results(results, 3);
}

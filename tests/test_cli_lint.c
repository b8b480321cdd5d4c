/*
 * The lint command end to end: folders of mixed files, configs found
 * beside the model or given on the command line, option precedence,
 * output formats and the rule documentation commands.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cJSON.h>
#include <criterion/criterion.h>

#include "fixture.h"

static char *tmp_dir;

static void make_tmp(void)
{
	tmp_dir = qk_fixture_tmpdir();
	cr_assert_not_null(tmp_dir, "cannot create a scratch directory");
	cr_assert_eq(qk_fixture_write_examples(tmp_dir), 0,
		     "cannot write the example models");
}

static void remove_tmp(void)
{
	if (tmp_dir)
		qk_fixture_rmtree(tmp_dir);
	free(tmp_dir);
	tmp_dir = NULL;
}

TestSuite(cli_lint, .init = make_tmp, .fini = remove_tmp);

static char *tmp_path(const char *name)
{
	char *path = qk_fixture_path(tmp_dir, name);

	cr_assert_not_null(path);
	return path;
}

/* Runs qklint with the arguments in argv (NULL-terminated, no argv[0]). */
static struct qk_fixture_run run_args(const char *const *args)
{
	const char *argv[16] = { QK_BINARY };
	struct qk_fixture_run run;
	size_t i;

	for (i = 0; args[i] && i < 14; i++)
		argv[i + 1] = args[i];
	argv[i + 1] = NULL;
	cr_assert_eq(qk_fixture_run(argv, tmp_dir, 120, &run), 0,
		     "cannot run %s", QK_BINARY);
	cr_assert_eq(run.signal, 0, "qklint killed by signal %d; stderr:\n%s",
		     run.signal, run.err);
	return run;
}

static size_t count_text(const char *text, const char *needle)
{
	size_t n = 0;

	while ((text = strstr(text, needle))) {
		n++;
		text += strlen(needle);
	}
	return n;
}

static void write_file(const char *name, const char *text)
{
	char *path = tmp_path(name);

	cr_assert_eq(qk_fixture_write_text(path, text), 0, "cannot write %s",
		     path);
	free(path);
}

static void copy_example(const char *from, const char *to)
{
	char *src = tmp_path(from), *dst = tmp_path(to);
	FILE *in = fopen(src, "rb"), *out = fopen(dst, "wb");
	char buf[8192];
	size_t n;

	cr_assert(in && out, "cannot copy %s to %s", src, dst);
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		cr_assert_eq(fwrite(buf, 1, n, out), n);
	fclose(in);
	fclose(out);
	free(src);
	free(dst);
}

Test(cli_lint, folder_of_good_bad_broken)
{
	const char *args[] = { "lint", "mixed", NULL };
	struct qk_fixture_run r;
	char *dir = tmp_path("mixed");

	cr_assert_eq(mkdir(dir, 0755), 0);
	copy_example("jet_tagger.h5", "mixed/bad.h5");
	copy_example("jet_tagger_clean.h5", "mixed/good.h5");
	write_file("mixed/broken.h5", "not a model at all");
	write_file("mixed/notes.txt", "ignored: not a model suffix");
	write_file("mixed/package.json", "{\"name\": \"not a model\"}");
	r = run_args(args);
	/* The broken file makes the run exit 2, the others are still read. */
	cr_expect_eq(r.status, 2, "exit %d\n%s%s", r.status, r.out, r.err);
	cr_expect_eq(count_text(r.err, "qklint: error: mixed/broken.h5: "), 1,
		     "%s", r.err);
	cr_expect_eq(count_text(r.out, "mixed/bad.h5: layer 'fc1'"), 1, "%s",
		     r.out);
	cr_expect_eq(count_text(r.out, "mixed/good.h5:"), 0, "%s", r.out);
	cr_expect_eq(count_text(r.out, "notes.txt"), 0, "%s", r.out);
	cr_expect_eq(count_text(r.err, "package.json"), 0, "%s", r.err);
	cr_expect(strstr(r.out, "in 3 files (1 could not be read)"), "%s",
		  r.out);
	qk_fixture_run_release(&r);
	free(dir);
}

Test(cli_lint, discovered_config_switches_rule_off)
{
	const char *args[] = { "jet_tagger.h5", NULL };
	const char *no_config[] = { "--no-config", "jet_tagger.h5", NULL };
	struct qk_fixture_run r;

	write_file(".qklint.yaml", "rules:\n  input-not-quantized: off\n"
		   "  QK102: info\n");
	r = run_args(args);
	cr_expect_eq(r.status, 0, "exit %d\n%s%s", r.status, r.out, r.err);
	cr_expect_eq(count_text(r.out, "QK001"), 0, "%s", r.out);
	cr_expect_eq(count_text(r.out, "info QK102"), 1, "%s", r.out);
	qk_fixture_run_release(&r);

	r = run_args(no_config);
	cr_expect_eq(r.status, 1, "exit %d\n%s", r.status, r.out);
	cr_expect_eq(count_text(r.out, "error QK001"), 1, "%s", r.out);
	qk_fixture_run_release(&r);
}

Test(cli_lint, command_line_beats_config)
{
	const char *rule[] = { "--rule", "QK001=error", "jet_tagger.h5", NULL };
	const char *fail[] = { "--fail-on", "warning", "jet_tagger.h5",
			       NULL };
	const char *info[] = { "--fail-on", "info", "jet_tagger.h5", NULL };
	struct qk_fixture_run r;

	write_file(".qklint.yaml", "rules:\n  QK001: off\n");
	r = run_args(rule);
	cr_expect_eq(r.status, 1, "exit %d\n%s%s", r.status, r.out, r.err);
	cr_expect_eq(count_text(r.out, "error QK001"), 1, "%s", r.out);
	qk_fixture_run_release(&r);

	/* Only the QK102 warning is left, which fails with fail-on warning. */
	r = run_args(fail);
	cr_expect_eq(r.status, 1, "exit %d\n%s%s", r.status, r.out, r.err);
	cr_expect_eq(count_text(r.out, "warning QK102"), 1, "%s", r.out);
	qk_fixture_run_release(&r);

	/* Info findings never fail a run, so info is no fail-on level. */
	r = run_args(info);
	cr_expect_eq(r.status, 2, "exit %d\n%s%s", r.status, r.out, r.err);
	cr_expect(strstr(r.err, "invalid --fail-on 'info'"), "%s", r.err);
	qk_fixture_run_release(&r);
}

Test(cli_lint, fail_on_warning_from_config)
{
	const char *args[] = { "--config", "strictish.yaml", "jet_tagger.h5",
			       NULL };
	struct qk_fixture_run r;

	write_file("strictish.yaml", "fail-on: warning\nrules:\n  QK001: off\n");
	r = run_args(args);
	/* QK102 is a warning, and fail-on warning makes it fail the run. */
	cr_expect_eq(r.status, 1, "exit %d\n%s%s", r.status, r.out, r.err);
	cr_expect_eq(count_text(r.out, "warning QK102"), 1, "%s", r.out);
	cr_expect_eq(count_text(r.out, "QK001"), 0, "%s", r.out);
	qk_fixture_run_release(&r);
}

Test(cli_lint, ignore_layer_glob_only_matches)
{
	const char *args[] = { "jet_tagger.h5", NULL };
	struct qk_fixture_run r;

	write_file(".qklint.yaml", "ignore:\n  - layers: \"soft*\"\n");
	r = run_args(args);
	cr_expect_eq(r.status, 1, "exit %d\n%s", r.status, r.out);
	cr_expect_eq(count_text(r.out, "layer 'softmax'"), 0, "%s", r.out);
	cr_expect_eq(count_text(r.out, "layer 'fc1'"), 1, "%s", r.out);
	qk_fixture_run_release(&r);
}

Test(cli_lint, invalid_configs_exit_two)
{
	const char *typo[] = { "--config", "typo.yaml", "jet_tagger.h5",
			       NULL };
	const char *type[] = { "--config", "type.yaml", "jet_tagger.h5",
			       NULL };
	struct qk_fixture_run r;

	write_file("typo.yaml", "rules:\n  QK0O1: off\n");
	write_file("type.yaml", "rules:\n  QK201:\n    warn-bits: many\n");
	r = run_args(typo);
	cr_expect_eq(r.status, 2, "exit %d\n%s", r.status, r.err);
	cr_expect(strstr(r.err, "invalid config: typo.yaml:2:3: unknown rule "
			 "'QK0O1'"), "%s", r.err);
	qk_fixture_run_release(&r);

	r = run_args(type);
	cr_expect_eq(r.status, 2, "exit %d\n%s", r.status, r.err);
	cr_expect(strstr(r.err, "invalid config: type.yaml:3:"), "%s", r.err);
	qk_fixture_run_release(&r);
}

Test(cli_lint, exit_zero_keeps_two)
{
	const char *findings[] = { "--exit-zero", "jet_tagger.h5", NULL };
	const char *missing[] = { "--exit-zero", "missing.h5", NULL };
	struct qk_fixture_run r;

	r = run_args(findings);
	cr_expect_eq(r.status, 0, "exit %d", r.status);
	cr_expect_eq(count_text(r.out, "error QK001"), 1, "%s", r.out);
	qk_fixture_run_release(&r);

	r = run_args(missing);
	cr_expect_eq(r.status, 2, "exit %d", r.status);
	qk_fixture_run_release(&r);
}

Test(cli_lint, json_output_parses)
{
	const char *args[] = { "--format", "json", "jet_tagger.h5",
			       "missing.h5", NULL };
	struct qk_fixture_run r = run_args(args);
	cJSON *doc = cJSON_Parse(r.out), *files, *first, *findings;

	cr_expect_eq(r.status, 2, "exit %d", r.status);
	cr_assert_not_null(doc, "stdout is not JSON:\n%s", r.out);
	files = cJSON_GetObjectItem(doc, "files");
	cr_assert_eq(cJSON_GetArraySize(files), 2);
	first = cJSON_GetArrayItem(files, 0);
	findings = cJSON_GetObjectItem(first, "findings");
	cr_expect_eq(cJSON_GetArraySize(findings), 2);
	cr_expect_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(findings, 0),
					     "rule")->valuestring, "QK001");
	cr_expect(cJSON_IsString(cJSON_GetObjectItem(
		cJSON_GetArrayItem(files, 1), "error")));
	cJSON_Delete(doc);
	qk_fixture_run_release(&r);
}

Test(cli_lint, sarif_and_github_formats)
{
	const char *sarif[] = { "--format", "sarif", "jet_tagger.h5", NULL };
	const char *github[] = { "--format", "github", "jet_tagger.h5", NULL };
	struct qk_fixture_run r = run_args(sarif);
	cJSON *doc = cJSON_Parse(r.out), *run, *results;

	cr_assert_not_null(doc, "stdout is not JSON:\n%s", r.out);
	cr_expect_str_eq(cJSON_GetObjectItem(doc, "version")->valuestring,
			 "2.1.0");
	run = cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "runs"), 0);
	results = cJSON_GetObjectItem(run, "results");
	cr_expect_eq(cJSON_GetArraySize(results), 2);
	cJSON_Delete(doc);
	qk_fixture_run_release(&r);

	r = run_args(github);
	cr_expect_eq(count_text(r.out, "::error file=jet_tagger.h5"), 1, "%s",
		     r.out);
	cr_expect_eq(count_text(r.out, "::warning file=jet_tagger.h5"), 1,
		     "%s", r.out);
	qk_fixture_run_release(&r);
}

Test(cli_lint, rules_and_explain)
{
	const char *rules[] = { "rules", NULL };
	const char *by_id[] = { "explain", "QK002", NULL };
	const char *by_name[] = { "explain", "alpha-not-one", NULL };
	const char *unknown[] = { "explain", "QK999", NULL };
	struct qk_fixture_run r = run_args(rules), named;

	cr_expect_eq(r.status, 0);
	cr_expect(strstr(r.out, "QK001 "), "%s", r.out);
	cr_expect(strstr(r.out, "input-not-quantized"), "%s", r.out);
	qk_fixture_run_release(&r);

	r = run_args(by_id);
	named = run_args(by_name);
	cr_expect_eq(r.status, 0);
	cr_expect(strstr(r.out, "QK002 alpha-not-one"), "%s", r.out);
	cr_expect(strstr(r.out, "How to fix:"), "%s", r.out);
	cr_expect_str_eq(r.out, named.out);
	qk_fixture_run_release(&r);
	qk_fixture_run_release(&named);

	r = run_args(unknown);
	cr_expect_eq(r.status, 2);
	cr_expect(strstr(r.err, "unknown rule 'QK999'"), "%s", r.err);
	qk_fixture_run_release(&r);
}

Test(cli_lint, input_file_unchanged)
{
	const char *args[] = { "jet_tagger.h5", NULL };
	char *path = tmp_path("jet_tagger.h5");
	struct stat before, after;
	struct qk_fixture_run r;

	cr_assert_eq(stat(path, &before), 0);
	r = run_args(args);
	cr_assert_eq(stat(path, &after), 0);
	cr_expect_eq(before.st_size, after.st_size);
	cr_expect_eq(before.st_mtim.tv_sec, after.st_mtim.tv_sec);
	cr_expect_eq(before.st_mtim.tv_nsec, after.st_mtim.tv_nsec);
	qk_fixture_run_release(&r);
	free(path);
}

static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long size;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)size + 1);
		if (buf && fread(buf, 1, (size_t)size, f) != (size_t)size) {
			free(buf);
			buf = NULL;
		}
		*len = (size_t)size;
	}
	fclose(f);
	return buf;
}

/* The committed examples are exactly what the fixture builder writes. */
Test(cli_lint, bundled_examples_regenerate)
{
	static const char *const names[] = { "jet_tagger.h5",
					     "jet_tagger_clean.h5",
					     "jet_tagger.keras" };
	size_t i, fresh_len = 0, kept_len = 0;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char *fresh_path = tmp_path(names[i]);
		char *kept_path = qk_fixture_path(QK_SOURCE_DIR "/examples",
						  names[i]);
		char *fresh = read_all(fresh_path, &fresh_len);
		char *kept = read_all(kept_path, &kept_len);

		cr_assert_not_null(fresh, "cannot read %s", fresh_path);
		cr_assert_not_null(kept, "cannot read %s", kept_path);
		cr_expect_eq(fresh_len, kept_len, "%s differs in size",
			     names[i]);
		cr_expect(fresh_len == kept_len &&
			  memcmp(fresh, kept, fresh_len) == 0,
			  "%s differs from the builder's output; rerun "
			  "build/qk_fixture examples", names[i]);
		free(fresh);
		free(kept);
		free(fresh_path);
		free(kept_path);
	}
}

Test(cli_lint, file_glob_from_any_cwd_path)
{
	const char *nested[] = { "lint", "proj/legacy/old.h5", NULL };
	const char *dotted[] = { "lint", "./proj", NULL };
	struct qk_fixture_run r;
	char *proj = tmp_path("proj"), *legacy = tmp_path("proj/legacy");

	cr_assert_eq(mkdir(proj, 0755), 0);
	cr_assert_eq(mkdir(legacy, 0755), 0);
	copy_example("jet_tagger.h5", "proj/legacy/old.h5");
	copy_example("jet_tagger.h5", "proj/new.h5");
	write_file("proj/.qklint.yaml", "ignore:\n  - files: \"legacy/*.h5\"\n");

	/* The glob is relative to the config's folder, not to the cwd. */
	r = run_args(nested);
	cr_expect_eq(r.status, 0, "exit %d\n%s%s", r.status, r.out, r.err);
	cr_expect_eq(count_text(r.out, "QK001"), 0, "%s", r.out);
	qk_fixture_run_release(&r);

	r = run_args(dotted);
	cr_expect_eq(r.status, 1, "exit %d\n%s%s", r.status, r.out, r.err);
	cr_expect_eq(count_text(r.out, "proj/new.h5: layer 'fc1'"), 1, "%s",
		     r.out);
	cr_expect_eq(count_text(r.out, "old.h5: layer"), 0, "%s", r.out);
	qk_fixture_run_release(&r);
	free(proj);
	free(legacy);
}

Test(cli_lint, empty_folder_exits_two)
{
	const char *args[] = { "lint", "empty", NULL };
	struct qk_fixture_run r;
	char *dir = tmp_path("empty");

	cr_assert_eq(mkdir(dir, 0755), 0);
	r = run_args(args);
	cr_expect_eq(r.status, 2, "exit %d", r.status);
	cr_expect(strstr(r.err, "qklint: error: empty: folder contains no model "
			 "files"), "%s", r.err);
	qk_fixture_run_release(&r);
	free(dir);
}

Test(cli_lint, control_characters_in_names)
{
	const char *args[] = { "ctl.json", NULL };
	struct qk_fixture_run r;

	write_file("ctl.json",
		   "{\"class_name\": \"Sequential\", \"config\": {\"layers\": ["
		   "{\"class_name\": \"InputLayer\", \"config\": {\"name\": "
		   "\"a\\nb\\u001b[2J\", \"batch_input_shape\": [null, 2]}}]}}");
	write_file("ctl_weights.h5", "");
	r = run_args(args);
	cr_expect_eq(r.status, 2, "exit %d", r.status);
	cr_expect_eq(count_text(r.err, "\n"), 1, "not one line:\n%s", r.err);
	cr_expect_null(strchr(r.err, '\033'), "escape byte in:\n%s", r.err);
	cr_expect(strstr(r.err, "'name' contains a control character"), "%s",
		  r.err);
	qk_fixture_run_release(&r);
}

Test(cli_lint, user_config_as_fallback)
{
	const char *args[] = { "jet_tagger.h5", NULL };
	const char *override[] = { "--no-config", "jet_tagger.h5", NULL };
	struct qk_fixture_run r;
	char *dir = tmp_path("qklint");

	/* The runner points XDG_CONFIG_HOME at the scratch folder. */
	cr_assert_eq(mkdir(dir, 0755), 0);
	write_file("qklint/config.yaml", "rules:\n  QK001: off\n");
	r = run_args(args);
	cr_expect_eq(r.status, 0, "exit %d\n%s%s", r.status, r.out, r.err);
	cr_expect_eq(count_text(r.out, "QK001"), 0, "%s", r.out);
	qk_fixture_run_release(&r);

	/* A config beside the model wins over the user's. */
	write_file(".qklint.yaml", "rules:\n  QK102: error\n");
	r = run_args(args);
	cr_expect_eq(r.status, 1, "exit %d\n%s%s", r.status, r.out, r.err);
	cr_expect_eq(count_text(r.out, "error QK001"), 1, "%s", r.out);
	cr_expect_eq(count_text(r.out, "error QK102"), 1, "%s", r.out);
	qk_fixture_run_release(&r);

	r = run_args(override);
	cr_expect_eq(count_text(r.out, "warning QK102"), 1, "%s", r.out);
	qk_fixture_run_release(&r);
	free(dir);
}

/* A QDense model with a softmax, written as NAME.json + NAME_weights.h5. */
static void write_json_model(const char *stem, int with_softmax,
			     const char *weights_stem)
{
	struct qk_fixture *fx = qk_fixture_new(QK_FIXTURE_SEQUENTIAL, stem);
	int64_t shape[1] = { 4 };
	char json[256], weights[256];
	char *json_path, *weights_path;

	cr_assert_not_null(fx);
	cr_assert_not_null(qk_fixture_input(fx, "x", 1, shape));
	cr_assert_not_null(qk_fixture_dense(
		fx, "fc", 4, 2, "\"quantized_bits(6,0,alpha=1)\"",
		"\"quantized_bits(6,0,alpha=1)\"", "\"linear\"", NULL));
	if (with_softmax)
		cr_assert_not_null(qk_fixture_layer(fx, "Activation", "softmax",
						    "{\"activation\": "
						    "\"softmax\"}", NULL));
	snprintf(json, sizeof(json), "%s.json", stem);
	snprintf(weights, sizeof(weights), "%s_weights.h5", weights_stem);
	json_path = tmp_path(json);
	weights_path = tmp_path(weights);
	cr_assert_eq(qk_fixture_write_json(fx, json_path, weights_path,
					   NULL), 0);
	qk_fixture_free(fx);
	free(json_path);
	free(weights_path);
}

Test(cli_lint, weights_file_lints_its_json)
{
	const char *args[] = { "lint", "m_weights.h5", "m.json", NULL };
	const char *weights_only[] = { "lint", "m_weights.h5", NULL };
	struct qk_fixture_run r;

	write_json_model("m", 1, "m");
	/* As pre-commit passes them: both files, or only the weights. */
	r = run_args(args);
	cr_expect_eq(r.status, 1, "exit %d\n%s%s", r.status, r.out, r.err);
	cr_expect_eq(count_text(r.out, "m.json: layer 'fc'"), 1, "%s", r.out);
	cr_expect(strstr(r.out, "in 1 file"), "%s", r.out);
	qk_fixture_run_release(&r);

	r = run_args(weights_only);
	cr_expect_eq(r.status, 1, "exit %d\n%s%s", r.status, r.out, r.err);
	cr_expect_eq(count_text(r.out, "m.json: layer 'fc'"), 1, "%s", r.out);
	qk_fixture_run_release(&r);
}

Test(cli_lint, removed_weightless_layer)
{
	const char *args[] = { "lint", "stripped.json", "--weights",
			       "full_weights.h5", NULL };
	struct qk_fixture_run r;
	char *stripped_weights = tmp_path("stripped_weights.h5");

	/* full: with softmax; stripped: the same JSON without it. */
	write_json_model("full", 1, "full");
	write_json_model("stripped", 0, "stripped");
	r = run_args(args);
	cr_expect_eq(r.status, 1, "exit %d\n%s%s", r.status, r.out, r.err);
	cr_expect_eq(count_text(r.err, "qklint: error"), 0, "%s", r.err);
	cr_expect_eq(count_text(r.out, "QK102"), 0, "%s", r.out);
	qk_fixture_run_release(&r);
	free(stripped_weights);
}

Test(cli_lint, hgq_layers_show_result_types)
{
	const char *args[] = { "layers", QK_SHARED_MODELS "/hgq_jet_classifier.h5",
			       NULL };
	struct qk_fixture_run r;
	struct stat st;

	if (stat(QK_SHARED_MODELS, &st) != 0)
		cr_skip_test("../shared/models not found");
	r = run_args(args);
	cr_expect_eq(r.status, 0, "exit %d\n%s", r.status, r.err);
	cr_expect(strstr(r.out, "HGQ proxy model"), "%s", r.out);
	cr_expect(strstr(r.out, "result_t=fixed<12,5,TRN,WRAP>"), "%s", r.out);
	qk_fixture_run_release(&r);
}

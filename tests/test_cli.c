/*
 * The qklint command run as a separate process: exit codes, output on
 * stdout and error lines on stderr.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <criterion/criterion.h>

#include "fixture.h"

/* The scratch directory of the running test (one process per test). */
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

TestSuite(cli, .init = make_tmp, .fini = remove_tmp);

static char *tmp_path(const char *name)
{
	char *path = qk_fixture_path(tmp_dir, name);

	cr_assert_not_null(path);
	return path;
}

/* Runs qklint with up to 5 arguments; the first NULL ends the list. */
static struct qk_fixture_run run_qklint(const char *a1, const char *a2,
					const char *a3, const char *a4,
					const char *a5)
{
	const char *argv[7] = { QK_BINARY, a1, a2, a3, a4, a5, NULL };
	struct qk_fixture_run run;

	cr_assert_eq(qk_fixture_run(argv, tmp_dir, 120, &run), 0,
		     "cannot run %s", QK_BINARY);
	cr_assert_eq(run.signal, 0, "qklint killed by signal %d; stderr:\n%s",
		     run.signal, run.err);
	return run;
}

static size_t count_lines(const char *text)
{
	size_t n = 0;

	for (; *text; text++)
		if (*text == '\n')
			n++;
	return n;
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

static int starts_with(const char *text, const char *prefix)
{
	return strncmp(text, prefix, strlen(prefix)) == 0;
}

/* Asserts a single "qklint: error: PATH: ..." line and exit status 2. */
static void expect_file_error(const struct qk_fixture_run *run,
			      const char *path)
{
	char prefix[4096];

	snprintf(prefix, sizeof(prefix), "qklint: error: %s: ", path);
	cr_expect_eq(run->status, 2, "exit status %d for %s", run->status,
		     path);
	cr_expect_eq(count_lines(run->err), 1, "stderr is not one line:\n%s",
		     run->err);
	cr_expect(starts_with(run->err, prefix), "stderr does not start with "
		  "'%s':\n%s", prefix, run->err);
}

Test(cli, clean_model_exits_zero)
{
	char *path = tmp_path("jet_tagger_clean.h5");
	struct qk_fixture_run run = run_qklint(path, NULL, NULL, NULL, NULL);

	cr_expect_eq(run.status, 0, "exit %d\nstdout:\n%s\nstderr:\n%s",
		     run.status, run.out, run.err);
	cr_expect_str_empty(run.err);
	qk_fixture_run_release(&run);
	free(path);
}

Test(cli, error_findings_exit_one)
{
	char *path = tmp_path("jet_tagger.h5");
	struct qk_fixture_run run = run_qklint("lint", path, NULL, NULL, NULL);

	cr_expect_eq(run.status, 1, "exit %d\nstdout:\n%s\nstderr:\n%s",
		     run.status, run.out, run.err);
	cr_expect_not_null(strstr(run.out, "QK001"), "no QK001:\n%s", run.out);
	cr_expect_not_null(strstr(run.out, "'fc1'"), "QK001 not at fc1:\n%s",
			   run.out);
	cr_expect_str_empty(run.err);
	qk_fixture_run_release(&run);
	free(path);
}

Test(cli, keras3_example_same_findings)
{
	char *h5 = tmp_path("jet_tagger.h5");
	char *keras = tmp_path("jet_tagger.keras");
	struct qk_fixture_run a = run_qklint(h5, NULL, NULL, NULL, NULL);
	struct qk_fixture_run b = run_qklint(keras, NULL, NULL, NULL, NULL);

	cr_expect_eq(a.status, 1);
	cr_expect_eq(b.status, 1);
	cr_expect_eq(count_text(a.out, "QK"), count_text(b.out, "QK"),
		     ".h5:\n%s\n.keras:\n%s", a.out, b.out);
	qk_fixture_run_release(&a);
	qk_fixture_run_release(&b);
	free(h5);
	free(keras);
}

Test(cli, unknown_option_exits_two)
{
	char *path = tmp_path("jet_tagger.h5");
	struct qk_fixture_run run = run_qklint("lint", "--no-such-option",
					       path, NULL, NULL);

	cr_expect_eq(run.status, 2);
	cr_expect(starts_with(run.err, "qklint: error: "), "stderr:\n%s",
		  run.err);
	cr_expect_not_null(strstr(run.err, "--no-such-option"));
	qk_fixture_run_release(&run);
	free(path);
}

Test(cli, no_file_exits_two)
{
	struct qk_fixture_run run = run_qklint("lint", NULL, NULL, NULL, NULL);

	cr_expect_eq(run.status, 2);
	cr_expect(starts_with(run.err, "qklint: error: "), "stderr:\n%s",
		  run.err);
	qk_fixture_run_release(&run);
}

Test(cli, layers_table)
{
	char *path = tmp_path("jet_tagger.h5");
	struct qk_fixture_run run = run_qklint("layers", path, NULL, NULL,
					       NULL);
	const char *names[] = { "input_1", "fc1", "relu1", "output", "softmax",
				"QDense", "QActivation", "InputLayer",
				"Activation" };
	size_t i;

	cr_expect_eq(run.status, 0, "exit %d, stderr:\n%s", run.status,
		     run.err);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		cr_expect_not_null(strstr(run.out, names[i]),
				   "'%s' missing from:\n%s", names[i], run.out);
	/* fc1 has 16 * 32 + 32 weights. */
	cr_expect_not_null(strstr(run.out, "544"), "fc1's weight count "
			   "missing from:\n%s", run.out);
	cr_expect(strstr(run.out, "fc1") < strstr(run.out, "relu1"),
		  "layers out of order:\n%s", run.out);
	qk_fixture_run_release(&run);
	free(path);
}

Test(cli, help_text)
{
	struct qk_fixture_run run = run_qklint("--help", NULL, NULL, NULL,
					       NULL);

	cr_expect_eq(run.status, 0);
	cr_expect_not_null(strstr(run.out, "usage"), "no usage line:\n%s",
			   run.out);
	cr_expect_not_null(strstr(run.out, "--weights"));
	cr_expect_not_null(strstr(run.out, "--format"));
	cr_expect_str_empty(run.err);
	qk_fixture_run_release(&run);
}

Test(cli, version_text)
{
	struct qk_fixture_run run = run_qklint("--version", NULL, NULL, NULL,
					       NULL);

	cr_expect_eq(run.status, 0);
	cr_expect_not_null(strstr(run.out, QKLINT_VERSION), "stdout:\n%s",
			   run.out);
	cr_expect_eq(count_lines(run.out), 1);
	qk_fixture_run_release(&run);
}

Test(cli, nonexistent_file)
{
	char *path = tmp_path("no-such-model.h5");
	struct qk_fixture_run run = run_qklint("lint", path, NULL, NULL, NULL);

	expect_file_error(&run, path);
	cr_expect_not_null(strstr(run.err, "No such file or directory"),
			   "stderr:\n%s", run.err);
	qk_fixture_run_release(&run);
	free(path);
}

Test(cli, empty_file)
{
	char *path = tmp_path("empty.h5");
	struct qk_fixture_run run;

	cr_assert_eq(qk_fixture_write_bytes(path, "", 0), 0);
	run = run_qklint(path, NULL, NULL, NULL, NULL);
	expect_file_error(&run, path);
	cr_expect_not_null(strstr(run.err, "empty"), "stderr:\n%s", run.err);
	qk_fixture_run_release(&run);
	free(path);
}

Test(cli, non_hdf5_file)
{
	char *path = tmp_path("notes.h5");
	struct qk_fixture_run run;

	cr_assert_eq(qk_fixture_write_text(path, "just some notes\n"), 0);
	run = run_qklint(path, NULL, NULL, NULL, NULL);
	expect_file_error(&run, path);
	cr_expect_not_null(strstr(run.err, "not a Keras model"), "stderr:\n%s",
			   run.err);
	qk_fixture_run_release(&run);
	free(path);
}

Test(cli, hdf5_without_model)
{
	char *path = tmp_path("data.h5");
	struct qk_fixture_run run;

	cr_assert_eq(qk_fixture_write_plain_h5(path), 0);
	run = run_qklint(path, NULL, NULL, NULL, NULL);
	expect_file_error(&run, path);
	cr_expect_not_null(strstr(run.err, "model_config"), "stderr:\n%s",
			   run.err);
	qk_fixture_run_release(&run);
	free(path);
}

Test(cli, one_broken_file_among_several)
{
	char *good = tmp_path("jet_tagger.h5");
	char *broken = tmp_path("broken.h5");
	char *clean = tmp_path("jet_tagger_clean.h5");
	struct qk_fixture_run run;

	cr_assert_eq(qk_fixture_write_text(broken, "\x89HDF\r\n\x1a\n"), 0);
	run = run_qklint("lint", good, broken, clean, NULL);
	cr_expect_eq(run.status, 2, "a broken file must win over findings");
	cr_expect_eq(count_lines(run.err), 1, "stderr:\n%s", run.err);
	cr_expect_not_null(strstr(run.err, broken), "stderr:\n%s", run.err);
	cr_expect_not_null(strstr(run.out, "QK001"), "the good file was not "
			   "checked:\n%s", run.out);
	cr_expect_not_null(strstr(run.out, good));
	qk_fixture_run_release(&run);
	free(good);
	free(broken);
	free(clean);
}

Test(cli, weights_option)
{
	char *json = tmp_path("arch.json");
	char *weights = tmp_path("w.h5");
	struct qk_fixture *fx = qk_fixture_new(QK_FIXTURE_SEQUENTIAL, "m");
	const int64_t shape[1] = { 4 };
	struct qk_fixture_run run;

	cr_assert_not_null(fx);
	cr_assert_not_null(qk_fixture_input(fx, "x", 1, shape));
	cr_assert_not_null(qk_fixture_dense(fx, "fc", 4, 2,
					    "\"quantized_bits(6,0,alpha=1)\"",
					    "\"quantized_bits(6,0,alpha=1)\"",
					    "\"linear\"", NULL));
	cr_assert_eq(qk_fixture_write_json(fx, json, weights, NULL), 0);
	run = run_qklint("layers", json, NULL, NULL, NULL);
	cr_expect_eq(run.status, 2, "arch_weights.h5 does not exist");
	qk_fixture_run_release(&run);
	run = run_qklint("layers", "--weights", weights, json, NULL);
	cr_expect_eq(run.status, 0, "stderr:\n%s", run.err);
	cr_expect_not_null(strstr(run.out, "fc"));
	qk_fixture_run_release(&run);
	qk_fixture_free(fx);
	free(json);
	free(weights);
}

/* ---- real saved models ---- */

static char *shared_model(const char *name)
{
	struct stat st;
	char *path;

	if (stat(QK_SHARED_MODELS, &st) != 0 || !S_ISDIR(st.st_mode))
		cr_skip_test("../shared/models not found");
	path = qk_fixture_path(QK_SHARED_MODELS, name);
	cr_assert_not_null(path);
	return path;
}

/* Drops the file name from every line, so two files' reports compare. */
static char *strip_path(const char *text, const char *path)
{
	char *copy = strdup(text), *at;
	size_t len = strlen(path);

	cr_assert_not_null(copy);
	while ((at = strstr(copy, path)))
		memmove(at, at + len, strlen(at + len) + 1);
	return copy;
}

Test(cli, real_qkeras_3layer_input_not_quantized)
{
	char *path = shared_model("qkeras_3layer.json");
	struct qk_fixture_run run = run_qklint(path, NULL, NULL, NULL, NULL);
	const char *line;

	cr_expect_eq(run.status, 1, "exit %d, stderr:\n%s", run.status,
		     run.err);
	line = strstr(run.out, "QK001");
	cr_assert_not_null(line, "no QK001:\n%s", run.out);
	cr_expect_not_null(strstr(run.out, "layer 'fc1'"), "stdout:\n%s",
			   run.out);
	qk_fixture_run_release(&run);
	free(path);
}

Test(cli, real_v3_same_findings_as_v2)
{
	char *p2 = shared_model("qkeras_3layer.json");
	char *p3 = shared_model("qkeras-v3_3layer.keras");
	struct qk_fixture_run a = run_qklint(p2, NULL, NULL, NULL, NULL);
	struct qk_fixture_run b = run_qklint(p3, NULL, NULL, NULL, NULL);
	char *sa = strip_path(a.out, p2), *sb = strip_path(b.out, p3);

	cr_expect_eq(a.status, b.status);
	cr_expect_str_eq(sa, sb, "qkeras_3layer.json:\n%s\n"
			 "qkeras-v3_3layer.keras:\n%s", sa, sb);
	free(sa);
	free(sb);
	qk_fixture_run_release(&a);
	qk_fixture_run_release(&b);
	free(p2);
	free(p3);
}

Test(cli, real_mnist_cnn_loads)
{
	char *path = shared_model("qkeras_mnist_cnn.json");
	struct qk_fixture_run run = run_qklint(path, NULL, NULL, NULL, NULL);

	cr_expect(run.status == 0 || run.status == 1, "exit %d, stderr:\n%s",
		  run.status, run.err);
	cr_expect_str_empty(run.err);
	qk_fixture_run_release(&run);
	free(path);
}

Test(cli, real_plain_keras_unquantized_weights)
{
	const char *layers[] = { "fc1_relu", "fc2_relu", "fc3_relu",
				 "output_softmax" };
	char *path = shared_model("KERAS_3layer.json");
	struct qk_fixture_run run = run_qklint(path, NULL, NULL, NULL, NULL);
	size_t i;

	cr_expect_neq(run.status, 2, "stderr:\n%s", run.err);
	/* Four Dense layers, each with a kernel and a bias. */
	cr_expect_eq(count_text(run.out, "QK005"), 8, "stdout:\n%s", run.out);
	for (i = 0; i < 4; i++) {
		char needle[64];

		snprintf(needle, sizeof(needle), "layer '%s'", layers[i]);
		cr_expect_not_null(strstr(run.out, needle), "no finding at "
				   "%s:\n%s", layers[i], run.out);
	}
	qk_fixture_run_release(&run);
	free(path);
}

Test(cli, real_hgq_proxy_named)
{
	char *path = shared_model("hgq_jet_classifier.h5");
	struct qk_fixture_run run = run_qklint(path, NULL, NULL, NULL, NULL);

	cr_expect_neq(run.status, 2, "stderr:\n%s", run.err);
	cr_expect(strstr(run.out, "HGQ proxy") || strstr(run.err, "HGQ proxy"),
		  "not named an HGQ proxy model:\nstdout:\n%s\nstderr:\n%s",
		  run.out, run.err);
	qk_fixture_run_release(&run);
	free(path);
}

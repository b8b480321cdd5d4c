/*
 * bench_lint [REPETITIONS [MODELS_DIR]]: times qk_model_open plus a lint
 * run with the default config, per model. The models are the generated
 * 3-layer example, a generated 500-layer functional chain of QDense and
 * QActivation layers, and the real saved models in MODELS_DIR. MODELS_DIR
 * defaults to ../shared/models beside the source tree and is skipped when
 * absent. Prints milliseconds per model
 * and the ratio of the 500-layer model to the 3-layer one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "../lint/config.h"
#include "../lint/engine.h"
#include "../lint/model.h"
#include "../tests/fixture.h"

#define DEFAULT_REPETITIONS 20
#define CHAIN_BLOCKS 250	/* QDense + QActivation each: 500 layers */

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Returns the mean time of one open + lint in ms, or -1 on failure. */
static double time_model(const char *path, int repetitions,
			 const struct qk_config *config, size_t *n_layers,
			 size_t *n_findings)
{
	struct qk_open_options options = { NULL, 0 };
	double start = now_ms();
	int i;

	for (i = 0; i < repetitions; i++) {
		struct qk_err err = QK_ERR_INIT;
		struct qk_sink sink = QK_SINK_INIT;
		struct qk_model *m = qk_model_open(path, &options, &err);

		if (!m) {
			fprintf(stderr, "bench_lint: error: %s: %s\n", path,
				err.msg);
			return -1;
		}
		if (qk_lint_model(m, config, path, &sink, &err)) {
			fprintf(stderr, "bench_lint: error: %s: %s\n", path,
				err.msg);
			qk_sink_release(&sink);
			qk_model_free(m);
			return -1;
		}
		*n_layers = m->n_layers;
		*n_findings = sink.n_findings;
		qk_sink_release(&sink);
		qk_model_free(m);
	}
	return (now_ms() - start) / repetitions;
}

/* Writes the 500-layer chain: x -> (QDense 16, QActivation) * 250. */
static int write_chain(const char *path)
{
	static const char kq[] = "\"quantized_bits(6,0,alpha=1)\"";
	static const char aq[] = "\"quantized_bits(8,3,alpha=1)\"";
	const int64_t shape[1] = { 16 };
	struct qk_fixture *fx = qk_fixture_new(QK_FIXTURE_FUNCTIONAL, "chain");
	char prev[32] = "x", name[32], act[32];
	const char *in[2] = { prev, NULL };
	const char *out[2] = { act, NULL };
	int i, rc = -1;

	if (!fx || !qk_fixture_input(fx, "x", 1, shape) ||
	    !qk_fixture_qactivation(fx, "x_q", aq, in))
		goto out;
	snprintf(prev, sizeof(prev), "x_q");
	for (i = 0; i < CHAIN_BLOCKS; i++) {
		snprintf(name, sizeof(name), "fc%d", i);
		snprintf(act, sizeof(act), "q%d", i);
		if (!qk_fixture_dense(fx, name, 16, 16, kq, kq, "\"linear\"",
				      in))
			goto out;
		snprintf(prev, sizeof(prev), "%s", name);
		if (!qk_fixture_qactivation(fx, act, aq, in))
			goto out;
		snprintf(prev, sizeof(prev), "%s", act);
	}
	if (qk_fixture_outputs(fx, out))
		goto out;
	rc = qk_fixture_write_h5(fx, path, NULL);
out:
	qk_fixture_free(fx);
	return rc;
}

/* ../shared/models relative to the source tree this file was built from. */
static char *default_models_dir(void)
{
	const char *file = __FILE__;
	const char *tail = strstr(file, "bench/bench_lint.c");

	size_t len = 64 + (tail ? (size_t)(tail - file) : 0);
	char *dir = malloc(len);

	if (!tail || !dir) {
		free(dir);
		return NULL;
	}
	snprintf(dir, len, "%.*s../shared/models", (int)(tail - file), file);
	return dir;
}

struct bench_case {
	const char *label;
	char *path;
};

int main(int argc, char **argv)
{
	static const char *const real[] = {
		"qkeras_3layer.json", "qkeras-v3_3layer.keras",
		"qkeras_mnist_cnn.json", "KERAS_3layer.json",
		"hgq_jet_classifier.h5",
	};
	struct bench_case cases[16];
	struct qk_config config;
	struct qk_err err = QK_ERR_INIT;
	int repetitions = argc > 1 ? atoi(argv[1]) : DEFAULT_REPETITIONS;
	char *dir = qk_fixture_tmpdir();
	char *models = argc > 2 ? strdup(argv[2]) : default_models_dir();
	double small_ms = -1, chain_ms = -1;
	size_t n = 0, i;
	struct stat st;
	int status = 0;

	if (repetitions < 1 || !dir) {
		fprintf(stderr, "usage: bench_lint [REPETITIONS [MODELS_DIR]]\n");
		free(dir);
		free(models);
		return 2;
	}
	if (qk_config_init(&config, &err)) {
		fprintf(stderr, "bench_lint: error: %s\n", err.msg);
		free(dir);
		free(models);
		return 1;
	}
	if (qk_fixture_write_examples(dir) == 0)
		cases[n++] = (struct bench_case){
			"generated 3-layer jet_tagger.h5",
			qk_fixture_path(dir, "jet_tagger.h5") };
	cases[n] = (struct bench_case){ "generated 500-layer chain.h5",
					qk_fixture_path(dir, "chain.h5") };
	if (cases[n].path && write_chain(cases[n].path) == 0)
		n++;
	else
		free(cases[n].path);
	if (models && stat(models, &st) == 0 && S_ISDIR(st.st_mode))
		for (i = 0; i < sizeof(real) / sizeof(real[0]); i++)
			cases[n++] = (struct bench_case){
				real[i], qk_fixture_path(models, real[i]) };
	printf("%-36s %8s %9s %12s\n", "model", "layers", "findings",
	       "ms/model");
	for (i = 0; i < n; i++) {
		size_t layers = 0, findings = 0;
		double ms = cases[i].path ?
			    time_model(cases[i].path, repetitions, &config,
				       &layers, &findings) : -1;

		if (ms < 0) {
			status = 1;
			continue;
		}
		printf("%-36s %8zu %9zu %12.3f\n", cases[i].label, layers,
		       findings, ms);
		if (strstr(cases[i].label, "3-layer jet"))
			small_ms = ms;
		if (strstr(cases[i].label, "500-layer"))
			chain_ms = ms;
	}
	if (small_ms > 0 && chain_ms > 0)
		printf("ratio 500-layer / 3-layer: %.1f (%d repetitions)\n",
		       chain_ms / small_ms, repetitions);
	for (i = 0; i < n; i++)
		free(cases[i].path);
	qk_config_release(&config);
	qk_fixture_rmtree(dir);
	free(dir);
	free(models);
	return status;
}

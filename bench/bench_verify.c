/*
 * Throughput of `qklint verify` on a 16-64-32-32-5 dense QKeras model.
 *
 * Usage: bench_verify [N]   (default N = 200000)
 *
 * Builds the model in memory with seeded weights. Then it runs the
 * sampling check (both simulations per vector) for N and for 4N vectors
 * in safe mode on one core. After each run it prints vectors per second
 * and the peak resident set size, which should not grow between the runs
 * because a run allocates nothing per vector.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "lint/model.h"
#include "verify/sim.h"
#include "verify/verify.h"

static const char model_json[] =
	"{\"class_name\": \"Sequential\", \"config\": {\"name\": \"bench\", "
	"\"layers\": ["
	"{\"class_name\": \"InputLayer\", \"config\": {\"name\": \"x\", "
	"\"batch_input_shape\": [null, 16]}},"
	"{\"class_name\": \"QActivation\", \"config\": {\"name\": \"q_in\", "
	"\"activation\": \"quantized_bits(8,2,alpha=1)\"}},"
	"{\"class_name\": \"QDense\", \"config\": {\"name\": \"fc1\", "
	"\"units\": 64, \"kernel_quantizer\": \"quantized_bits(8,0,alpha=1)\", "
	"\"bias_quantizer\": \"quantized_bits(8,2,alpha=1)\", "
	"\"activation\": \"quantized_relu(8,3)\"}},"
	"{\"class_name\": \"QDense\", \"config\": {\"name\": \"fc2\", "
	"\"units\": 32, \"kernel_quantizer\": \"quantized_bits(8,0,alpha=1)\", "
	"\"bias_quantizer\": \"quantized_bits(8,2,alpha=1)\", "
	"\"activation\": \"quantized_relu(8,3)\"}},"
	"{\"class_name\": \"QDense\", \"config\": {\"name\": \"fc3\", "
	"\"units\": 32, \"kernel_quantizer\": \"quantized_bits(8,0,alpha=1)\", "
	"\"bias_quantizer\": \"quantized_bits(8,2,alpha=1)\", "
	"\"activation\": \"quantized_relu(8,3)\"}},"
	"{\"class_name\": \"QDense\", \"config\": {\"name\": \"out\", "
	"\"units\": 5, \"kernel_quantizer\": \"quantized_bits(8,0,alpha=1)\", "
	"\"bias_quantizer\": \"quantized_bits(8,2,alpha=1)\", "
	"\"activation\": \"quantized_bits(12,4,alpha=1)\"}}"
	"]}}";

static uint64_t splitmix(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Attaches a weight of count seeded values in [-scale, scale). */
static int add_weight(struct qk_layer *l, const char *name, int rank,
		      const int64_t *shape, float scale, uint64_t *state)
{
	struct qk_tensor *w;
	struct qk_tensor *t;
	size_t count = 1;

	w = realloc(l->weights, (l->n_weights + 1) * sizeof(*w));
	if (!w)
		return -1;
	l->weights = w;
	t = &w[l->n_weights];
	memset(t, 0, sizeof(*t));
	t->rank = rank;
	for (int d = 0; d < rank; d++) {
		t->shape[d] = shape[d];
		count *= (size_t)shape[d];
	}
	t->count = count;
	t->name = strdup(name);
	t->data = malloc(count * sizeof(float));
	if (!t->name || !t->data) {
		free(t->name);
		free(t->data);
		return -1;
	}
	for (size_t i = 0; i < count; i++) {
		double u = (double)(splitmix(state) >> 11) * 0x1p-53;

		t->data[i] = (float)((2 * u - 1) * scale);
	}
	l->n_weights++;
	return 0;
}

static int attach_weights(struct qk_model *model)
{
	static const char *const names[] = {"fc1", "fc2", "fc3", "out"};
	static const int64_t sizes[] = {16, 64, 32, 32, 5};
	uint64_t state = 42;

	for (int k = 0; k < 4; k++) {
		size_t index = qk_model_index(model, names[k]);
		int64_t kshape[2] = {sizes[k], sizes[k + 1]};

		if (index == (size_t)-1)
			return -1;
		if (add_weight(&model->layers[index], "kernel", 2, kshape,
			       0.5f, &state) < 0 ||
		    add_weight(&model->layers[index], "bias", 1, &kshape[1],
			       0.5f, &state) < 0)
			return -1;
	}
	return 0;
}

static long peak_rss_kib(void)
{
	struct rusage usage;

	if (getrusage(RUSAGE_SELF, &usage) != 0)
		return -1;
	return usage.ru_maxrss;
}

static int run(struct qk_sim *sim, uint64_t samples)
{
	struct qk_verify_options options = {0, samples,
					    QK_VERIFY_DEFAULT_SEED};
	struct qk_verify_result result;
	struct qk_err err = QK_ERR_INIT;

	if (qk_verify_run(sim, &options, &result, &err) < 0) {
		fprintf(stderr, "bench_verify: %s\n", err.msg);
		return -1;
	}
	printf("%10llu vectors  %8.3f s  %10.0f vectors/s  peak RSS %ld KiB"
	       "  verdict: %s\n",
	       (unsigned long long)result.vectors, result.seconds,
	       (double)result.vectors / result.seconds, peak_rss_kib(),
	       qk_verdict_name(result.verdict));
	qk_verify_result_release(&result);
	return 0;
}

int main(int argc, char **argv)
{
	uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 200000;
	struct qk_err err = QK_ERR_INIT;
	struct qk_sim_options options = {0, NULL};
	struct qk_model *model;
	struct qk_sim *sim;
	int rc = 0;

	if (n == 0) {
		fprintf(stderr, "usage: bench_verify [N]\n");
		return 2;
	}
	model = qk_model_from_config(cJSON_Parse(model_json), &err);
	if (!model || attach_weights(model) < 0) {
		fprintf(stderr, "bench_verify: cannot build the model: %s\n",
			err.msg);
		qk_model_free(model);
		return 1;
	}
	sim = qk_sim_build(model, &options, &err);
	if (!sim) {
		fprintf(stderr, "bench_verify: %s\n", err.msg);
		qk_model_free(model);
		return 1;
	}
	printf("model 16-64-32-32-5, both simulations per vector, safe mode\n");
	if (run(sim, n) < 0 || run(sim, 4 * n) < 0)
		rc = 1;
	qk_sim_free(sim);
	qk_model_free(model);
	return rc;
}

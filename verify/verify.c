/*
 * Input vector generation and the run loop of the equivalence check.
 */
#include "verify.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The type of one element of the flat input vector. */
struct element {
	int64_t min;
	int64_t max;
	int frac;
	int quantized;	/* drawn beyond the grid too */
};

struct generator {
	size_t n;
	struct element *elements;
	uint64_t state;		/* splitmix64 */
	int64_t *counter;	/* exhaustive enumeration, raw per element */
};

static uint64_t next_random(struct generator *g)
{
	uint64_t z = (g->state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static float steps_to_float(const struct element *e, double steps)
{
	return (float)ldexp(steps, -e->frac);
}

static int64_t uniform_raw(struct generator *g, const struct element *e)
{
	uint64_t span = (uint64_t)e->max - (uint64_t)e->min + 1;
	uint64_t r = next_random(g);

	return (int64_t)((uint64_t)e->min + (span ? r % span : r));
}

/* Kinds of element values, for the fixed vectors and random draws. */
enum special {
	SPECIAL_ZERO,
	SPECIAL_MIN,
	SPECIAL_MAX,
	SPECIAL_ABOVE,		/* one step above the maximum */
	SPECIAL_BELOW,		/* one step below the minimum */
	SPECIAL_TIE_MAX,	/* half a step above the maximum */
	SPECIAL_HALF,		/* half a step */
	SPECIAL_MINUS_HALF,
	SPECIAL_ONE_AND_HALF,
	SPECIAL_MINUS_ONE_AND_HALF,
	SPECIAL_FAR_ABOVE,	/* twice the range */
	SPECIAL_FAR_BELOW,
	SPECIAL_COUNT
};

static float special_value(const struct element *e, enum special s)
{
	double lo = (double)e->min;
	double hi = (double)e->max;

	if (!e->quantized && s > SPECIAL_MAX)
		s = (enum special)(s % 3);
	switch (s) {
	case SPECIAL_MIN:
		return steps_to_float(e, lo);
	case SPECIAL_MAX:
		return steps_to_float(e, hi);
	case SPECIAL_ABOVE:
		return steps_to_float(e, hi + 1);
	case SPECIAL_BELOW:
		return steps_to_float(e, lo - 1);
	case SPECIAL_TIE_MAX:
		return steps_to_float(e, hi + 0.5);
	case SPECIAL_HALF:
		return steps_to_float(e, 0.5);
	case SPECIAL_MINUS_HALF:
		return steps_to_float(e, -0.5);
	case SPECIAL_ONE_AND_HALF:
		return steps_to_float(e, 1.5);
	case SPECIAL_MINUS_ONE_AND_HALF:
		return steps_to_float(e, -1.5);
	case SPECIAL_FAR_ABOVE:
		return steps_to_float(e, 2 * (hi + 1));
	case SPECIAL_FAR_BELOW:
		return steps_to_float(e, 2 * (lo - 1));
	case SPECIAL_ZERO:
	case SPECIAL_COUNT:
	default:
		return 0.0f;
	}
}

/* Number of vectors that always come first in sampling mode. */
#define FIXED_VECTORS (SPECIAL_COUNT + 2)

static void fixed_vector(const struct generator *g, uint64_t index,
			 float *input)
{
	for (size_t i = 0; i < g->n; i++) {
		const struct element *e = &g->elements[i];

		if (index < SPECIAL_COUNT)
			input[i] = special_value(e, (enum special)index);
		else if ((i % 2) == (index - SPECIAL_COUNT))
			input[i] = special_value(e, SPECIAL_MIN);
		else
			input[i] = special_value(e, SPECIAL_MAX);
	}
}

/*
 * Draws one element: mostly grid values, and one time in four a special
 * value (extremes, zero, a tie or a value beyond the range), so vectors
 * mix them.
 */
static float random_element(struct generator *g, const struct element *e)
{
	uint64_t r = next_random(g);

	if ((r & 3) != 0)
		return steps_to_float(e, (double)uniform_raw(g, e));
	r >>= 2;
	if (e->quantized && (r & 1)) {
		/* A tie next to a random grid value. */
		double base = (double)uniform_raw(g, e);

		return steps_to_float(e, base + ((r & 2) ? 0.5 : -0.5));
	}
	return special_value(e, (enum special)((r >> 2) % SPECIAL_COUNT));
}

static void random_vector(struct generator *g, float *input)
{
	for (size_t i = 0; i < g->n; i++)
		input[i] = random_element(g, &g->elements[i]);
}

/* Advances the exhaustive counter; returns 0 after the last vector. */
static int next_grid_vector(struct generator *g, float *input)
{
	for (size_t i = 0; i < g->n; i++) {
		const struct element *e = &g->elements[i];

		if (g->counter[i] < e->max) {
			g->counter[i]++;
			input[i] = steps_to_float(e, (double)g->counter[i]);
			return 1;
		}
		g->counter[i] = e->min;
		input[i] = steps_to_float(e, (double)e->min);
	}
	return 0;
}

static int generator_init(struct generator *g, const struct qk_sim *sim,
			  uint64_t seed, double *grid_log2,
			  struct qk_err *err)
{
	size_t n = qk_sim_input_size(sim);

	memset(g, 0, sizeof(*g));
	g->n = n;
	g->state = seed;
	g->elements = qk_calloc(n ? n : 1, sizeof(*g->elements));
	g->counter = qk_calloc(n ? n : 1, sizeof(*g->counter));
	if (!g->elements || !g->counter)
		return qk_fail(err, "out of memory");
	*grid_log2 = 0;
	for (size_t k = 0; k < qk_sim_n_inputs(sim); k++) {
		const struct qk_sim_input *in = qk_sim_input(sim, k);

		for (size_t i = 0; i < in->count; i++) {
			struct element *e = &g->elements[in->offset + i];

			e->min = qk_fixed_min_raw(&in->type);
			e->max = qk_fixed_max_raw(&in->type);
			e->frac = qk_fixed_frac(&in->type);
			e->quantized = in->from_quantizer;
			*grid_log2 += in->type.width;
		}
	}
	return 0;
}

static void generator_release(struct generator *g)
{
	free(g->elements);
	free(g->counter);
}

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Runs both sides on input; returns 1 when they agree. */
static int run_one(struct qk_sim *sim, const float *input)
{
	qk_sim_run_qkeras(sim, input);
	qk_sim_run_proxy(sim, input);
	return qk_sim_outputs_equal(sim);
}

static int record_mismatch(struct qk_sim *sim, const float *input,
			   struct qk_verify_result *out, struct qk_err *err)
{
	out->verdict = QK_VERDICT_MISMATCH;
	out->input = qk_calloc(out->input_size ? out->input_size : 1,
			       sizeof(float));
	out->qkeras = qk_calloc(out->output_size, sizeof(double));
	out->proxy = qk_calloc(out->output_size, sizeof(double));
	if (!out->input || !out->qkeras || !out->proxy)
		return qk_fail(err, "out of memory");
	memcpy(out->input, input, out->input_size * sizeof(float));
	qk_sim_qkeras_outputs(sim, out->qkeras);
	qk_sim_proxy_outputs(sim, out->proxy);
	out->has_difference = qk_sim_first_difference(sim, &out->difference);
	return 0;
}

/*
 * Runs the vectors off the grid that an enumeration of the grid misses:
 * the fixed vectors, then each element alone at every special value with
 * the others at zero. Returns 1 when all agree, 0 after a mismatch (which
 * is recorded), -1 on failure.
 */
static int run_off_grid(struct qk_sim *sim, struct generator *g,
			float *input, struct qk_verify_result *out,
			struct qk_err *err)
{
	for (uint64_t k = 0; k < FIXED_VECTORS; k++) {
		fixed_vector(g, k, input);
		out->vectors++;
		out->off_grid_vectors++;
		if (!run_one(sim, input))
			return record_mismatch(sim, input, out, err) ? -1 : 0;
	}
	for (size_t i = 0; i < g->n; i++) {
		if (!g->elements[i].quantized)
			continue;
		for (int s = SPECIAL_ABOVE; s < SPECIAL_COUNT; s++) {
			memset(input, 0, g->n * sizeof(float));
			input[i] = special_value(&g->elements[i],
						 (enum special)s);
			out->vectors++;
			out->off_grid_vectors++;
			if (!run_one(sim, input))
				return record_mismatch(sim, input, out, err) ?
					       -1 : 0;
		}
	}
	return 1;
}

/* Nonzero when an input quantizer wraps values beyond its range. */
static int inputs_wrap(const struct qk_sim *sim)
{
	for (size_t k = 0; k < qk_sim_n_inputs(sim); k++) {
		const struct qk_sim_input *in = qk_sim_input(sim, k);

		if (in->from_quantizer && in->type.overflow == QK_OVF_WRAP)
			return 1;
	}
	return 0;
}

static int run_exhaustive(struct qk_sim *sim, struct generator *g,
			  float *input, struct qk_verify_result *out,
			  struct qk_err *err)
{
	int rc = run_off_grid(sim, g, input, out, err);

	if (rc <= 0)
		return rc;
	for (size_t i = 0; i < g->n; i++) {
		g->counter[i] = g->elements[i].min;
		input[i] = steps_to_float(&g->elements[i],
					  (double)g->elements[i].min);
	}
	do {
		out->vectors++;
		if (!run_one(sim, input))
			return record_mismatch(sim, input, out, err);
	} while (next_grid_vector(g, input));
	/*
	 * In safe mode an input quantizer saturates like QKeras' clip, so
	 * the grid stands for every real input. A wrapping one maps values
	 * beyond the range elsewhere, and those were only sampled.
	 */
	out->beyond_range_sampled = inputs_wrap(sim);
	out->verdict = out->beyond_range_sampled ? QK_VERDICT_NO_MISMATCH :
						   QK_VERDICT_PROVEN;
	return 0;
}

static int run_samples(struct qk_sim *sim, struct generator *g, float *input,
		       uint64_t samples, struct qk_verify_result *out,
		       struct qk_err *err)
{
	for (uint64_t k = 0; k < samples; k++) {
		if (k < FIXED_VECTORS)
			fixed_vector(g, k, input);
		else
			random_vector(g, input);
		out->vectors++;
		if (!run_one(sim, input))
			return record_mismatch(sim, input, out, err);
	}
	out->verdict = QK_VERDICT_NO_MISMATCH;
	return 0;
}

int qk_verify_run(struct qk_sim *sim, const struct qk_verify_options *options,
		  struct qk_verify_result *out, struct qk_err *err)
{
	struct generator g;
	float *input = NULL;
	double start = now_seconds();
	int rc;

	memset(out, 0, sizeof(*out));
	out->input_size = qk_sim_input_size(sim);
	out->output_size = qk_sim_output_size(sim);
	if (generator_init(&g, sim, options->seed, &out->grid_log2, err) < 0) {
		generator_release(&g);
		return -1;
	}
	input = qk_calloc(g.n ? g.n : 1, sizeof(float));
	if (!input) {
		generator_release(&g);
		return qk_fail(err, "out of memory");
	}
	out->exhaustive = out->grid_log2 < 63 &&
			  ldexp(1.0, (int)out->grid_log2) <=
				  (double)options->exhaustive_limit;
	if (out->exhaustive)
		rc = run_exhaustive(sim, &g, input, out, err);
	else
		rc = run_samples(sim, &g, input, options->samples, out, err);
	out->seconds = now_seconds() - start;
	free(input);
	generator_release(&g);
	return rc;
}

void qk_verify_result_release(struct qk_verify_result *result)
{
	free(result->input);
	free(result->qkeras);
	free(result->proxy);
	result->input = NULL;
	result->qkeras = NULL;
	result->proxy = NULL;
}

const char *qk_verdict_name(enum qk_verdict verdict)
{
	switch (verdict) {
	case QK_VERDICT_PROVEN:
		return "proven equivalent";
	case QK_VERDICT_NO_MISMATCH:
		return "no mismatch";
	case QK_VERDICT_MISMATCH:
	default:
		return "MISMATCH";
	}
}

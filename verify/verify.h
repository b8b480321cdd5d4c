/*
 * The equivalence check: run both simulations over a set of input vectors
 * and stop at the first vector on which their outputs differ.
 *
 * The vectors come from the input grid, the values of each input's type
 * (the input quantizer's, or the --input-precision type). When the grid
 * has at most exhaustive_limit vectors, every one is run, which proves
 * equivalence on the grid. Otherwise `samples` vectors are drawn with a
 * seeded splitmix64 generator. A fixed set always comes first: all zeros,
 * all minimum and all maximum. For inputs with a quantizer it also has
 * ties (midpoints between grid steps) and values beyond the range, which
 * the QKeras quantizer clips and the proxy saturates or wraps.
 * Inputs typed by --input-precision are drawn from the grid only, since
 * the type is a promise about the inputs.
 */
#ifndef QK_VERIFY_VERIFY_H
#define QK_VERIFY_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#include "../lint/error.h"
#include "sim.h"

#define QK_VERIFY_DEFAULT_EXHAUSTIVE_LIMIT (1ULL << 24)
#define QK_VERIFY_DEFAULT_SAMPLES 100000ULL
#define QK_VERIFY_DEFAULT_SEED 0x5eed0001ULL

struct qk_verify_options {
	uint64_t exhaustive_limit;	/* largest grid enumerated in full */
	uint64_t samples;		/* vectors drawn otherwise */
	uint64_t seed;
};

enum qk_verdict {
	QK_VERDICT_PROVEN,		/* every grid vector agrees */
	QK_VERDICT_NO_MISMATCH,		/* every sampled vector agrees */
	QK_VERDICT_MISMATCH
};

struct qk_verify_result {
	enum qk_verdict verdict;
	int exhaustive;
	/* Exhaustive, but inputs beyond the range wrap and were sampled. */
	int beyond_range_sampled;
	uint64_t vectors;	/* vectors run, the mismatching one included */
	uint64_t off_grid_vectors;	/* of those, vectors off the grid */
	double grid_log2;	/* log2 of the number of grid vectors */
	double seconds;
	size_t input_size;
	size_t output_size;
	/* At a mismatch: the input, both outputs; owned, else NULL. */
	float *input;
	double *qkeras;
	double *proxy;
	int has_difference;
	struct qk_sim_difference difference;	/* borrows from the model */
};

/*
 * Runs the check on sim with options and fills out (release with
 * qk_verify_result_release). Returns 0, or -1 with err set when out of
 * memory.
 */
int qk_verify_run(struct qk_sim *sim, const struct qk_verify_options *options,
		  struct qk_verify_result *out, struct qk_err *err);

void qk_verify_result_release(struct qk_verify_result *result);

/* Returns "proven equivalent", "no mismatch" or "MISMATCH". */
const char *qk_verdict_name(enum qk_verdict verdict);

#endif

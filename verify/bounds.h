/*
 * Static bound analysis of the proxy model: for each output element of
 * each layer, the interval of values it can reach over every input the
 * input type holds, computed exactly on raw integers with the quantized
 * weights. Quantizers round and clamp as QKeras clips (their safe-mode
 * form); ReLU clamps at 0.
 *
 * From the intervals follow two proofs:
 * - fast mode is equivalent to safe mode when no quantizer that fast mode
 *   sets to WRAP can receive a value outside its range;
 * - an accumulator never overflows when every output's reachable sum
 *   (products and bias) lies inside its derived accumulator type.
 *
 * Dense, Conv1D, Conv2D, Add, Subtract, ReLU, quantizers and the layers that
 * only move values are followed element by element. Pooling, Concatenate,
 * Permute and the other layers that rearrange values give every output
 * element the hull of all input elements: sound, but wider than necessary.
 * Layers whose precision is not exact or not derived stop the analysis for
 * everything they feed.
 */
#ifndef QK_VERIFY_BOUNDS_H
#define QK_VERIFY_BOUNDS_H

#include <stddef.h>
#include <stdio.h>

#include "../lint/error.h"
#include "precision.h"

/* One interval, in raw steps of 2^-frac of its layer. */
struct qk_bound {
	__int128 lo;
	__int128 hi;
};

/* Per layer; intervals exist only when known. */
struct qk_layer_bounds {
	int known;
	char *reason;		/* why not known; owned, or NULL */
	int frac;		/* the intervals count steps of 2^-frac */
	size_t n;		/* output elements per sample */
	struct qk_bound *out;	/* reachable output values; owned */
	size_t n_accum;		/* Dense / Conv: outputs before activation */
	struct qk_bound *accum;	/* reachable sums incl. bias; owned */
	int accum_frac;
	/* Per mode: every sum fits the derived accumulator type. */
	int accum_fits[QK_PREC_MODE_COUNT];
	/* The layer has a quantizer that fast mode sets to WRAP. */
	int has_wrap;
	/* Elements whose value reaching that quantizer can leave its range. */
	size_t wrap_unsafe;
	size_t first_unsafe;	/* index of the first such element */
	struct qk_bound unsafe_in;	/* its incoming interval */
	int in_frac;		/* steps of unsafe_in */
};

struct qk_bounds {
	const struct qk_precision *precision;	/* borrowed */
	size_t n_layers;
	struct qk_layer_bounds *layers;		/* owned */
	int complete;		/* every layer known */
	int fast_equivalent;	/* no WRAP quantizer sees a value out of range */
	int accum_safe;		/* no safe-mode accumulator overflows */
};

/*
 * Computes the bounds of every layer from precision (and the model it
 * borrows). Layers that cannot be analysed are recorded, not errors.
 * Returns 0 with a new qk_bounds (free with qk_bounds_free), or -1 with
 * err set when out of memory. The result borrows precision.
 */
int qk_bounds_analyze(const struct qk_precision *precision,
		      struct qk_bounds **out, struct qk_err *err);

void qk_bounds_free(struct qk_bounds *bounds);

/* Returns layer index's bounds, or NULL when out of range. */
const struct qk_layer_bounds *qk_bounds_layer(const struct qk_bounds *bounds,
					      size_t index);

/* Converts a raw bound value at frac into a double (rounded when wide). */
double qk_bound_to_double(__int128 raw, int frac);

/*
 * Writes per layer the reachable range (the hull over its elements), the
 * accumulator check and the WRAP check, then the two conclusions. Returns
 * 0, or -1 with err set when writing failed.
 */
int qk_bounds_write(FILE *out, const struct qk_bounds *bounds,
		    struct qk_err *err);

#endif

/*
 * Helpers for simulator tests: small QKeras models built in memory from
 * config text, with weights attached by hand.
 */
#ifndef QK_TESTS_SIM_HELPER_H
#define QK_TESTS_SIM_HELPER_H

#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "../lint/model.h"
#include "rule_helper.h"

/* Attaches a weight called name to layer, copying count values. */
static inline void simt_weight(struct qk_model *model, const char *layer,
			       const char *name, int rank,
			       const int64_t *shape, const float *data)
{
	size_t index = qk_model_index(model, layer);
	struct qk_layer *l;
	struct qk_tensor *t;
	size_t count = 1;

	cr_assert_neq(index, (size_t)-1, "no layer '%s'", layer);
	l = &model->layers[index];
	l->weights = realloc(l->weights, (l->n_weights + 1) * sizeof(*t));
	cr_assert_not_null(l->weights);
	t = &l->weights[l->n_weights++];
	memset(t, 0, sizeof(*t));
	t->name = strdup(name);
	t->rank = rank;
	for (int d = 0; d < rank; d++) {
		t->shape[d] = shape[d];
		count *= (size_t)shape[d];
	}
	t->count = count;
	t->data = malloc(count * sizeof(float));
	cr_assert(t->name && t->data);
	memcpy(t->data, data, count * sizeof(float));
	l->n_params += (int64_t)count;
}

/* A dense layer's kernel (fan_in x units) and optional bias. */
static inline void simt_dense_weights(struct qk_model *model,
				      const char *layer, int64_t fan_in,
				      int64_t units, const float *kernel,
				      const float *bias)
{
	int64_t kshape[2] = {fan_in, units};

	simt_weight(model, layer, "kernel", 2, kshape, kernel);
	if (bias)
		simt_weight(model, layer, "bias", 1, &units, bias);
}

/* An InputLayer called x with n features. */
#define SIMT_INPUT(n) \
	"{'class_name': 'InputLayer', 'config': {'name': 'x', " \
	"'batch_input_shape': [null, " #n "]}}"

#define SIMT_QACT(name, quantizer) \
	"{'class_name': 'QActivation', 'config': {'name': '" name "', " \
	"'activation': '" quantizer "'}}"

/* A QDense without bias; kq is the kernel quantizer constructor. */
#define SIMT_QDENSE(name, units, kq, act) \
	"{'class_name': 'QDense', 'config': {'name': '" name "', " \
	"'units': " #units ", 'use_bias': false, 'kernel_quantizer': '" kq \
	"', 'activation': '" act "'}}"

/* A QDense with a bias quantizer. */
#define SIMT_QDENSE_BIAS(name, units, kq, bq, act) \
	"{'class_name': 'QDense', 'config': {'name': '" name "', " \
	"'units': " #units ", 'use_bias': true, 'kernel_quantizer': '" kq \
	"', 'bias_quantizer': '" bq "', 'activation': '" act "'}}"

#endif

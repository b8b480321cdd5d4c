/*
 * Models shared by the tests of the rules fed by the precision derivation
 * (QK201, QK203), with their derived widths worked out by hand.
 */
#ifndef QK_TESTS_PREC_RULE_MODELS_H
#define QK_TESTS_PREC_RULE_MODELS_H

#include "sim_helper.h"

/*
 * Plain Dense, 2 inputs, kernel 0.1 twice: 0.1f = 13421773 * 2^-27, so the
 * kernel is (0,-3,27). With no input quantizer the input-precision option
 * applies; fixed<16,6> = (1,5,10) gives a sum of (1, 5 - 3 + 1, 10 + 27)
 * = (1,3,37): 41 bits, 40 significant.
 */
static inline struct qk_model *precrt_wide_model(void)
{
	static const float kernel[] = { 0.1f, 0.1f };
	struct qk_model *model = qkt_sequential(
		SIMT_INPUT(2) ","
		"{'class_name': 'Dense', 'config': {'name': 'fc', "
		"'units': 1, 'use_bias': false}}");

	simt_dense_weights(model, "fc", 2, 1, kernel, NULL);
	return model;
}

/*
 * quantized_bits(8,2) input (1,2,5), kernel 0.5, 0.25 through
 * quantized_bits(6,0): on a 1/4 grid, 2 and 1 need 2 bits, so (0,0,2);
 * fan-in 2: the sum is (1, 2 + 0 + 1, 5 + 2) = (1,3,7), 11 bits, 10
 * significant.
 */
static inline struct qk_model *precrt_narrow_model(void)
{
	static const float kernel[] = { 0.5f, 0.25f };
	struct qk_model *model = qkt_sequential(
		SIMT_INPUT(2) ","
		SIMT_QACT("qin", "quantized_bits(8,2,alpha=1)") ","
		SIMT_QDENSE("fc", 1, "quantized_bits(6,0,alpha=1)",
			    "linear"));

	simt_dense_weights(model, "fc", 2, 1, kernel, NULL);
	return model;
}

#endif

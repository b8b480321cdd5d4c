/*
 * hls4ml configuration from the derived precision: the `Model` defaults
 * and one `LayerName` entry per layer with the weight, bias, accumulator
 * and result types, in the shape hls4ml's config_from_keras_model()
 * returns (hls4ml's hls_config), written as YAML.
 */
#ifndef QK_VERIFY_HLS4ML_H
#define QK_VERIFY_HLS4ML_H

#include <stdio.h>

#include "../lint/error.h"
#include "../lint/model.h"
#include "precision.h"

/*
 * Writes the config for mode. Model.Precision is the first model input's
 * type; a layer without a derived type gets a YAML comment saying why in
 * place of its entry. Returns 0, or -1 with err set when writing failed
 * or precision does not belong to model.
 */
int qk_hls4ml_write_config(FILE *out, const struct qk_model *model,
			   const struct qk_precision *precision,
			   enum qk_prec_mode mode, struct qk_err *err);

#endif

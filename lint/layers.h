/*
 * `qklint layers`: a per-layer summary table, like Keras' model summary.
 */
#ifndef QK_LINT_LAYERS_H
#define QK_LINT_LAYERS_H

#include <stdio.h>

#include "model.h"

/* Writes the table of model's layers (nested models indented) to out. */
void qk_layers_write(FILE *out, const struct qk_model *model);

#endif

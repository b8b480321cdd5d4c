/*
 * libFuzzer target: parses the input as JSON and builds a model from it
 * with qk_model_from_config, the path every model config takes after it
 * is read from a file. Seeds: fuzz/corpus/model_config/.
 *
 *   cmake -DQKLINT_FUZZ=ON -DCMAKE_C_COMPILER=clang ...
 *   ./fuzz_model_config ../fuzz/corpus/model_config
 */
#include <stddef.h>
#include <stdint.h>

#include <cJSON.h>

#include "../lint/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct qk_err err = QK_ERR_INIT;
	struct qk_model *model;
	cJSON *root;

	root = cJSON_ParseWithLength((const char *)data, size);
	if (!root)
		return 0;
	/* qk_model_from_config owns root from here, also on failure. */
	model = qk_model_from_config(root, &err);
	qk_model_free(model);
	return 0;
}

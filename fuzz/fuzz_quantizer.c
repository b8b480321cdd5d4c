/*
 * libFuzzer target for the quantizer parser: the input is tried as a
 * constructor string and, when it parses as JSON, as a quantizer item.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "lint/quantizer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct qk_err err = QK_ERR_INIT;
	struct qk_quantizer *q;
	cJSON *item;
	char *text;

	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';

	q = qk_quantizer_parse(text, &err);
	if (q && (!q->text || !q->class_name))
		abort();
	qk_quantizer_free(q);

	item = cJSON_ParseWithLength(text, size);
	if (item) {
		q = qk_quantizer_from_json(item, &err);
		if (q && (!q->text || !q->class_name))
			abort();
		qk_quantizer_free(q);
		cJSON_Delete(item);
	}
	free(text);
	return 0;
}

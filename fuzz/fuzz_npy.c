/* libFuzzer target for the .npy reader, fed the raw file image. */
#include <stdint.h>
#include <stdlib.h>

#include "verify/npy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_array(const struct qk_npy *arr)
{
	volatile double element;
	size_t count = 1, i;
	int d;

	for (d = 0; d < arr->rank; d++)
		count *= (size_t)arr->shape[d];
	if (count != arr->count || (count && !arr->data))
		abort();
	/* Reads every element so ASan reports a short allocation. */
	for (i = 0; i < arr->count; i++)
		element = arr->data[i];
	(void)element;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct qk_err err = QK_ERR_INIT;
	struct qk_npy arr = QK_NPY_INIT;

	if (qk_npy_read_mem(data, size, "fuzz.npy", &arr, &err) == 0)
		check_array(&arr);
	else if (arr.data)
		abort();
	qk_npy_release(&arr);
	return 0;
}

/*
 * NumPy .npy files, read into doubles and written as float32 or float64.
 *
 * The reader takes format versions 1.0, 2.0 and 3.0 holding a C-ordered
 * array of dtype '<f4' or '<f8'. It also converts the integer dtypes '|u1',
 * '|i1', '<u2', '<i2', '<u4', '<i4', '<u8', '<i8' and the bool '|b1' to
 * double, so 64-bit integers beyond 2^53 lose precision. Big-endian,
 * float16 and structured dtypes are rejected.
 * Fortran order is accepted only for rank 0 and 1, where it stores the
 * same bytes as C order. The writer produces version 1.0 with the header
 * padded to a multiple of 64 bytes, as numpy.save() does.
 */
#ifndef QK_VERIFY_NPY_H
#define QK_VERIFY_NPY_H

#include <stddef.h>
#include <stdint.h>

#include "../lint/error.h"
#include "../lint/limits.h"

struct qk_npy {
	int rank;			/* 0 for a scalar */
	int64_t shape[QK_MAX_RANK];
	size_t count;			/* product of the shape */
	double *data;			/* count values in C order; owned */
};

#define QK_NPY_INIT { 0, { 0 }, 0, NULL }

/*
 * Reads the .npy file at path into out, which the caller later passes to
 * qk_npy_release(). Returns 0, or -1 with err set and out left empty.
 */
int qk_npy_read(const char *path, struct qk_npy *out, struct qk_err *err);

/*
 * Reads a .npy image of len bytes from buf. name, when not NULL, prefixes
 * error messages ("x.npy: invalid .npy header: missing 'shape'").
 * Returns 0, or -1 with err set and out left empty.
 */
int qk_npy_read_mem(const void *buf, size_t len, const char *name,
		    struct qk_npy *out, struct qk_err *err);

/*
 * Writes arr to path as '<f4' (as_float32 nonzero) or '<f8', replacing
 * any file there. Returns 0, or -1 with err set and the file removed.
 */
int qk_npy_write(const char *path, const struct qk_npy *arr, int as_float32,
		 struct qk_err *err);

/* Frees the data and empties arr, which may already be empty. */
void qk_npy_release(struct qk_npy *arr);

#endif

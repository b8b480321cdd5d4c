#include <criterion/criterion.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "verify/npy.h"

/* Creates an empty temporary file and returns its path in buf. */
static void temp_path(char *buf, size_t size)
{
	int fd;

	snprintf(buf, size, "/tmp/qk_test_npy_XXXXXX");
	fd = mkstemp(buf);
	cr_assert_geq(fd, 0, "mkstemp failed");
	close(fd);
}

/*
 * Builds a .npy image: magic, version major.0, the header length in 2
 * (version 1) or 4 bytes, dict as given (no padding added), then data.
 * Returns the image length. buf must be large enough.
 */
static size_t build_npy(unsigned char *buf, int major, const char *dict,
			const void *data, size_t data_len)
{
	size_t n = 0, dlen = strlen(dict);

	memcpy(buf, "\x93NUMPY", 6);
	n = 6;
	buf[n++] = (unsigned char)major;
	buf[n++] = 0;
	buf[n++] = (unsigned char)(dlen & 0xff);
	buf[n++] = (unsigned char)(dlen >> 8);
	if (major != 1) {
		buf[n++] = 0;
		buf[n++] = 0;
	}
	memcpy(buf + n, dict, dlen);
	n += dlen;
	if (data_len)
		memcpy(buf + n, data, data_len);
	return n + data_len;
}

static void store_f8(unsigned char *p, uint64_t bits)
{
	int i;

	for (i = 0; i < 8; i++)
		p[i] = (unsigned char)(bits >> (8 * i));
}

Test(npy, round_trip_f8_rank2)
{
	double values[] = { 0.1, -2.5, 1e-300, 3.0, -0.0, 123456.789 };
	struct qk_npy arr = { 2, { 2, 3 }, 6, values };
	struct qk_npy back = QK_NPY_INIT;
	struct qk_err err = QK_ERR_INIT;
	char path[64];
	size_t i;

	temp_path(path, sizeof(path));
	cr_assert_eq(qk_npy_write(path, &arr, 0, &err), 0, "%s", err.msg);
	cr_assert_eq(qk_npy_read(path, &back, &err), 0, "%s", err.msg);
	cr_expect_eq(back.rank, 2);
	cr_expect_eq(back.shape[0], 2);
	cr_expect_eq(back.shape[1], 3);
	cr_assert_eq(back.count, 6);
	for (i = 0; i < 6; i++)
		cr_expect_eq(back.data[i], values[i], "element %zu", i);
	qk_npy_release(&back);
	cr_expect_null(back.data);
	unlink(path);
}

Test(npy, round_trip_f4_rank1)
{
	double values[] = { 0.1, -1.0 / 3.0, 65504.0, 1e-8 };
	struct qk_npy arr = { 1, { 4 }, 4, values };
	struct qk_npy back = QK_NPY_INIT;
	struct qk_err err = QK_ERR_INIT;
	char path[64];
	size_t i;

	temp_path(path, sizeof(path));
	cr_assert_eq(qk_npy_write(path, &arr, 1, &err), 0, "%s", err.msg);
	cr_assert_eq(qk_npy_read(path, &back, &err), 0, "%s", err.msg);
	cr_expect_eq(back.rank, 1);
	cr_expect_eq(back.shape[0], 4);
	cr_assert_eq(back.count, 4);
	for (i = 0; i < 4; i++)
		cr_expect_eq(back.data[i], (double)(float)values[i],
			     "element %zu", i);
	cr_expect_neq(back.data[0], 0.1, "float32 rounding was lost");
	qk_npy_release(&back);
	unlink(path);
}

Test(npy, round_trip_scalar_and_empty)
{
	double value = 42.5;
	struct qk_npy scalar = { 0, { 0 }, 1, &value };
	struct qk_npy empty = { 2, { 0, 5 }, 0, NULL };
	struct qk_npy back = QK_NPY_INIT;
	struct qk_err err = QK_ERR_INIT;
	char path[64];

	temp_path(path, sizeof(path));
	cr_assert_eq(qk_npy_write(path, &scalar, 0, &err), 0, "%s", err.msg);
	cr_assert_eq(qk_npy_read(path, &back, &err), 0, "%s", err.msg);
	cr_expect_eq(back.rank, 0);
	cr_assert_eq(back.count, 1);
	cr_expect_eq(back.data[0], 42.5);
	qk_npy_release(&back);

	cr_assert_eq(qk_npy_write(path, &empty, 1, &err), 0, "%s", err.msg);
	cr_assert_eq(qk_npy_read(path, &back, &err), 0, "%s", err.msg);
	cr_expect_eq(back.rank, 2);
	cr_expect_eq(back.shape[1], 5);
	cr_expect_eq(back.count, 0);
	qk_npy_release(&back);
	unlink(path);
}

Test(npy, written_header_layout)
{
	double values[] = { 1, 2, 3 };
	struct qk_npy arr = { 1, { 3 }, 3, values };
	struct qk_err err = QK_ERR_INIT;
	unsigned char buf[256];
	const char *expected_dict =
		"{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }";
	char path[64];
	size_t n, hlen;
	FILE *f;

	temp_path(path, sizeof(path));
	cr_assert_eq(qk_npy_write(path, &arr, 1, &err), 0, "%s", err.msg);
	f = fopen(path, "rb");
	cr_assert_not_null(f);
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	unlink(path);

	cr_assert_geq(n, 10);
	cr_expect_eq(memcmp(buf, "\x93NUMPY\x01\x00", 8), 0);
	hlen = buf[8] | (size_t)buf[9] << 8;
	cr_expect_eq((10 + hlen) % 64, 0, "header length %zu", hlen);
	cr_assert_eq(n, 10 + hlen + 3 * 4);
	cr_expect_eq(buf[10 + hlen - 1], '\n');
	cr_expect_eq(memcmp(buf + 10, expected_dict, strlen(expected_dict)),
		     0);
	cr_expect_eq(buf[10 + strlen(expected_dict)], ' ');
	/* 2.0f is 0x40000000, stored little-endian. */
	cr_expect_eq(memcmp(buf + 10 + hlen + 4, "\x00\x00\x00\x40", 4), 0);
}

Test(npy, reads_hand_built_file)
{
	/* 1.0, -2.0, 0.5, 0.0, 0.25, 3.0 as IEEE 754 doubles. */
	static const uint64_t bits[] = {
		0x3FF0000000000000ULL, 0xC000000000000000ULL,
		0x3FE0000000000000ULL, 0x0000000000000000ULL,
		0x3FD0000000000000ULL, 0x4008000000000000ULL,
	};
	static const double expected[] = { 1.0, -2.0, 0.5, 0.0, 0.25, 3.0 };
	const char *dict = "{'descr': '<f8', 'fortran_order': False, "
			   "'shape': (2, 3), }";
	struct qk_npy arr = QK_NPY_INIT;
	struct qk_err err = QK_ERR_INIT;
	unsigned char value[8];
	size_t i, hlen = 128 - 10, dlen = strlen(dict);
	char path[64];
	FILE *f;

	temp_path(path, sizeof(path));
	f = fopen(path, "wb");
	cr_assert_not_null(f);
	fputs("\x93NUMPY", f);
	fputc(1, f);
	fputc(0, f);
	fputc((int)hlen, f);
	fputc(0, f);
	fputs(dict, f);
	for (i = dlen; i < hlen - 1; i++)
		fputc(' ', f);
	fputc('\n', f);
	for (i = 0; i < 6; i++) {
		store_f8(value, bits[i]);
		fwrite(value, 1, 8, f);
	}
	fclose(f);

	cr_assert_eq(qk_npy_read(path, &arr, &err), 0, "%s", err.msg);
	cr_expect_eq(arr.rank, 2);
	cr_expect_eq(arr.shape[0], 2);
	cr_expect_eq(arr.shape[1], 3);
	cr_assert_eq(arr.count, 6);
	for (i = 0; i < 6; i++)
		cr_expect_eq(arr.data[i], expected[i], "element %zu", i);
	qk_npy_release(&arr);
	unlink(path);
}

Test(npy, reads_versions_2_and_3)
{
	unsigned char buf[256], data[8];
	struct qk_npy arr = QK_NPY_INIT;
	struct qk_err err = QK_ERR_INIT;
	int major;
	size_t n;

	store_f8(data, 0xBFF8000000000000ULL);	/* -1.5 */
	for (major = 2; major <= 3; major++) {
		n = build_npy(buf, major, "{\"descr\": \"<f8\", "
			      "\"fortran_order\": False, \"shape\": (1,)}\n",
			      data, 8);
		cr_assert_eq(qk_npy_read_mem(buf, n, NULL, &arr, &err), 0,
			     "version %d: %s", major, err.msg);
		cr_expect_eq(arr.count, 1);
		cr_expect_eq(arr.data[0], -1.5);
		qk_npy_release(&arr);
	}
}

Test(npy, converts_integer_dtypes)
{
	struct {
		const char *descr;
		const char *bytes;
		size_t size;
		double expected;
	} cases[] = {
		{ "|u1", "\xff", 1, 255 },
		{ "|i1", "\x80", 1, -128 },
		{ "|b1", "\x01", 1, 1 },
		{ "<i2", "\xd4\xfe", 2, -300 },
		{ "<u2", "\xd4\xfe", 2, 65236 },
		{ "<i4", "\xfb\xff\xff\xff", 4, -5 },
		{ "<u4", "\x07\x00\x00\x80", 4, 2147483655.0 },
		{ "<i8", "\xff\xff\xff\xff\xff\xff\xff\xff", 8, -1 },
		{ "<u8", "\x00\x00\x00\x00\x00\x00\x00\x01", 8,
		  72057594037927936.0 },
	};
	unsigned char buf[256];
	char dict[128];
	size_t i, n;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct qk_npy arr = QK_NPY_INIT;
		struct qk_err err = QK_ERR_INIT;

		snprintf(dict, sizeof(dict), "{'descr': '%s', 'fortran_order':"
			 " False, 'shape': (1,), }\n", cases[i].descr);
		n = build_npy(buf, 1, dict, cases[i].bytes, cases[i].size);
		cr_assert_eq(qk_npy_read_mem(buf, n, NULL, &arr, &err), 0,
			     "%s: %s", cases[i].descr, err.msg);
		cr_expect_eq(arr.data[0], cases[i].expected, "%s gives %g",
			     cases[i].descr, arr.data[0]);
		qk_npy_release(&arr);
	}
}

Test(npy, fortran_order_for_rank1)
{
	unsigned char buf[256], data[8];
	struct qk_npy arr = QK_NPY_INIT;
	struct qk_err err = QK_ERR_INIT;
	size_t n;

	store_f8(data, 0x3FF0000000000000ULL);
	n = build_npy(buf, 1, "{'descr': '<f8', 'fortran_order': True, "
		      "'shape': (1,), }", data, 8);
	cr_assert_eq(qk_npy_read_mem(buf, n, NULL, &arr, &err), 0, "%s",
		     err.msg);
	cr_expect_eq(arr.data[0], 1.0);
	qk_npy_release(&arr);
}

struct broken_case {
	const char *case_name;
	int major;
	const char *dict;
	size_t data_len;
	const char *msg;
};

static const struct broken_case broken[] = {
	{ "big-endian", 1, "{'descr': '>f8', 'fortran_order': False, "
	  "'shape': (2,), }", 16, "unsupported .npy dtype '>f8' (expected "
	  "'<f4' or '<f8')" },
	{ "float16", 1, "{'descr': '<f2', 'fortran_order': False, "
	  "'shape': (2,), }", 4, "unsupported .npy dtype '<f2' (expected "
	  "'<f4' or '<f8')" },
	{ "fortran order", 1, "{'descr': '<f8', 'fortran_order': True, "
	  "'shape': (2, 2), }", 32, "unsupported .npy layout: fortran_order "
	  "is True (save the array in C order)" },
	{ "too few bytes", 1, "{'descr': '<f8', 'fortran_order': False, "
	  "'shape': (3,), }", 16, "invalid .npy data: the shape needs 24 "
	  "bytes, found 16" },
	{ "too many bytes", 1, "{'descr': '<f4', 'fortran_order': False, "
	  "'shape': (3,), }", 16, "invalid .npy data: the shape needs 12 "
	  "bytes, found 16" },
	{ "huge shape", 1, "{'descr': '<f8', 'fortran_order': False, "
	  "'shape': (1099511627776, 1099511627776), }", 8, "invalid .npy "
	  "shape: more than 268435456 elements" },
	{ "dimension overflow", 1, "{'descr': '<f8', 'fortran_order': False,"
	  " 'shape': (99999999999999999999,), }", 8, "invalid .npy header: "
	  "dimension in 'shape' overflows int64" },
	{ "rank 9", 1, "{'descr': '<f8', 'fortran_order': False, "
	  "'shape': (1,1,1,1,1,1,1,1,1), }", 8, "invalid .npy header: rank "
	  "exceeds the maximum of 8" },
	{ "missing shape", 1, "{'descr': '<f8', 'fortran_order': False}", 8,
	  "invalid .npy header: missing 'shape'" },
	{ "missing descr", 1, "{'fortran_order': False, 'shape': ()}", 8,
	  "invalid .npy header: missing 'descr'" },
	{ "no brace", 1, "'descr': '<f8'", 8, "invalid .npy header: "
	  "expected '{'" },
	{ "unclosed dict", 1, "{'descr': '<f8', 'fortran_order': False", 8,
	  "invalid .npy header: expected ',' or '}'" },
	{ "unexpected key", 1, "{'descr': '<f8', 'x': 1}", 8,
	  "invalid .npy header: unexpected key 'x'" },
	{ "duplicate key", 1, "{'descr': '<f8', 'descr': '<f4'}", 8,
	  "invalid .npy header: duplicate key 'descr'" },
	{ "shape not tuple", 1, "{'descr': '<f8', 'fortran_order': False, "
	  "'shape': 3}", 8, "invalid .npy header: 'shape' is not a tuple" },
	{ "negative dimension", 1, "{'descr': '<f8', 'fortran_order': False,"
	  " 'shape': (-1,)}", 8, "invalid .npy header: 'shape' is not a tuple"
	  " of non-negative integers" },
	{ "bad bool", 1, "{'descr': '<f8', 'fortran_order': 0, "
	  "'shape': (1,)}", 8, "invalid .npy header: 'fortran_order' is not "
	  "True or False" },
	{ "unterminated string", 1, "{'descr': '<f8", 8, "invalid .npy "
	  "header: unterminated string" },
	{ "structured dtype", 1, "{'descr': [('a', '<f8')], "
	  "'fortran_order': False, 'shape': (1,)}", 8, "invalid .npy header: "
	  "expected a quoted 'descr'" },
	{ "text after dict", 1, "{'descr': '<f8', 'fortran_order': False, "
	  "'shape': (1,)} x", 8, "invalid .npy header: unexpected text after "
	  "'}'" },
	{ "version 4", 4, "{}", 0, "unsupported .npy version 4.0 (expected "
	  "1.0, 2.0 or 3.0)" },
};

Test(npy, broken_headers)
{
	unsigned char buf[512], zeros[64] = { 0 };
	size_t i, n;

	for (i = 0; i < sizeof(broken) / sizeof(broken[0]); i++) {
		struct qk_npy arr = QK_NPY_INIT;
		struct qk_err err = QK_ERR_INIT;

		n = build_npy(buf, broken[i].major, broken[i].dict, zeros,
			      broken[i].data_len);
		cr_expect_eq(qk_npy_read_mem(buf, n, NULL, &arr, &err), -1,
			     "%s should fail", broken[i].case_name);
		cr_expect_str_eq(err.msg, broken[i].msg, "%s",
				 broken[i].case_name);
		cr_expect_null(arr.data, "%s", broken[i].case_name);
		qk_npy_release(&arr);
	}
}

Test(npy, broken_prefix)
{
	unsigned char buf[128];
	struct qk_npy arr = QK_NPY_INIT;
	struct qk_err err = QK_ERR_INIT;
	size_t n;

	cr_expect_eq(qk_npy_read_mem("\x93NUM", 4, NULL, &arr, &err), -1);
	cr_expect_str_eq(err.msg, "invalid .npy file: missing the \\x93NUMPY "
			 "magic string");
	cr_expect_eq(qk_npy_read_mem("\x93NUMPX\x01\x00\x00\x00", 10, NULL,
				     &arr, &err), -1);
	cr_expect_str_eq(err.msg, "invalid .npy file: missing the \\x93NUMPY "
			 "magic string");
	cr_expect_eq(qk_npy_read_mem("\x93NUMPY\x01", 7, NULL, &arr, &err),
		     -1);
	cr_expect_str_eq(err.msg, "invalid .npy file: truncated version");
	cr_expect_eq(qk_npy_read_mem("\x93NUMPY\x02\x00\x00", 9, NULL, &arr,
				     &err), -1);
	cr_expect_str_eq(err.msg, "invalid .npy file: truncated header "
			 "length");

	/* A header length past the end of the file. */
	n = build_npy(buf, 1, "{'descr': '<f8'}", NULL, 0);
	buf[8] = 0xf4;
	buf[9] = 0x01;
	cr_expect_eq(qk_npy_read_mem(buf, n, NULL, &arr, &err), -1);
	cr_expect_str_eq(err.msg, "invalid .npy header: length 500 exceeds "
			 "the 16 bytes left in the file");
	cr_expect_eq(qk_npy_read_mem(NULL, 0, NULL, &arr, &err), -1);
	cr_expect_str_eq(err.msg, "invalid .npy file: no data");
}

Test(npy, truncated_file)
{
	double values[] = { 1, 2, 3, 4 };
	struct qk_npy arr = { 1, { 4 }, 4, values };
	struct qk_npy back = QK_NPY_INIT;
	struct qk_err err = QK_ERR_INIT;
	char path[64], expected[160];

	temp_path(path, sizeof(path));
	cr_assert_eq(qk_npy_write(path, &arr, 0, &err), 0, "%s", err.msg);
	/* The 57-byte dict makes a 128-byte header. */
	cr_assert_eq(truncate(path, 128 + 20), 0);
	cr_expect_eq(qk_npy_read(path, &back, &err), -1);
	snprintf(expected, sizeof(expected), "%s: invalid .npy data: the "
		 "shape needs 32 bytes, found 20", path);
	cr_expect_str_eq(err.msg, expected);
	cr_expect_null(back.data);
	unlink(path);
}

Test(npy, error_names_the_source)
{
	unsigned char buf[128];
	struct qk_npy arr = QK_NPY_INIT;
	struct qk_err err = QK_ERR_INIT;
	size_t n;

	n = build_npy(buf, 1, "{'descr': '<f8', 'fortran_order': False}",
		      NULL, 0);
	cr_expect_eq(qk_npy_read_mem(buf, n, "x.npy", &arr, &err), -1);
	cr_expect_str_eq(err.msg, "x.npy: invalid .npy header: missing "
			 "'shape'");
}

Test(npy, missing_file)
{
	struct qk_npy arr = QK_NPY_INIT;
	struct qk_err err = QK_ERR_INIT;

	cr_expect_eq(qk_npy_read("/tmp/qk_test_npy_missing/none.npy", &arr,
				 &err), -1);
	cr_expect_str_eq(err.msg, "cannot open '/tmp/qk_test_npy_missing/"
			 "none.npy': No such file or directory");
}

Test(npy, write_rejects_bad_arrays)
{
	double values[] = { 1, 2, 3, 4, 5 };
	struct qk_npy wrong_count = { 2, { 2, 3 }, 5, values };
	struct qk_npy bad_rank = { QK_MAX_RANK + 1, { 1 }, 1, values };
	struct qk_npy negative = { 1, { -1 }, 0, values };
	struct qk_npy no_data = { 1, { 2 }, 2, NULL };
	struct qk_npy good = { 1, { 2 }, 2, values };
	struct qk_err err = QK_ERR_INIT;
	char path[64];

	temp_path(path, sizeof(path));
	cr_expect_eq(qk_npy_write(path, &wrong_count, 0, &err), -1);
	cr_expect_str_eq(err.msg, "cannot write .npy: shape holds 6 elements "
			 "but count is 5");
	cr_expect_eq(qk_npy_write(path, &bad_rank, 0, &err), -1);
	cr_expect_str_eq(err.msg, "cannot write .npy: rank 9 outside 0..8");
	cr_expect_eq(qk_npy_write(path, &negative, 0, &err), -1);
	cr_expect_str_eq(err.msg, "cannot write .npy: invalid dimension -1");
	cr_expect_eq(qk_npy_write(path, &no_data, 0, &err), -1);
	cr_expect_str_eq(err.msg, "cannot write .npy: no data");
	cr_expect_eq(qk_npy_write("/tmp/qk_test_npy_missing/out.npy", &good,
				  0, &err), -1);
	cr_expect_str_eq(err.msg, "cannot write '/tmp/qk_test_npy_missing/"
			 "out.npy': No such file or directory");
	unlink(path);
}

/*
 * End-to-end tests of `qklint verify` and `qklint simulate`: models are
 * written as Keras 2 .h5 files into a temporary folder and checked by
 * the qklint binary, and every counterexample is fed back through
 * `simulate` on both sides.
 */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fixture.h"
#include "verify/npy.h"

static const char *binary(void)
{
	const char *env = getenv("QK_BINARY");

	return env && *env ? env : QK_BINARY;
}

/* Sets the weight name of layer to the given values. */
static void set_weight(struct qk_fixture *fx, const char *layer,
		       const char *name, const double *values, size_t n)
{
	for (size_t i = 0; i < fx->n_tensors; i++) {
		struct qk_fixture_tensor *t = &fx->tensors[i];

		if (strcmp(t->layer, layer) == 0 && strcmp(t->name, name) == 0) {
			cr_assert_eq(t->count, n, "%s/%s has %zu values",
				     layer, name, t->count);
			memcpy(t->data, values, n * sizeof(double));
			return;
		}
	}
	cr_assert_fail("no weight %s/%s", layer, name);
}

struct cli_run {
	int status;
	char *out;	/* stdout and stderr together */
};

/* Runs qklint with args (already quoted) and captures its output. */
static struct cli_run run_qklint(const char *dir, const char *args)
{
	char *log = qk_fixture_path(dir, "log.txt");
	size_t len = strlen(binary()) + strlen(args) + strlen(log) + 32;
	char *cmd = malloc(len);
	struct cli_run r = {0, NULL};
	FILE *f;
	long size;
	int rc;

	cr_assert(log && cmd);
	snprintf(cmd, len, "'%s' %s > '%s' 2>&1", binary(), args, log);
	rc = system(cmd);
	cr_assert(rc != -1 && WIFEXITED(rc), "cannot run: %s", cmd);
	r.status = WEXITSTATUS(rc);
	f = fopen(log, "rb");
	cr_assert_not_null(f);
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	rewind(f);
	r.out = calloc(1, (size_t)size + 1);
	cr_assert_not_null(r.out);
	cr_assert_eq(fread(r.out, 1, (size_t)size, f), (size_t)size);
	fclose(f);
	free(cmd);
	free(log);
	return r;
}

/* Writes fx as dir/name and frees it; returns the path (free()). */
static char *write_model(struct qk_fixture *fx, const char *dir,
			 const char *name)
{
	char *path = qk_fixture_path(dir, name);

	cr_assert_not_null(path);
	cr_assert_eq(qk_fixture_write_h5(fx, path, NULL), 0, "cannot write %s",
		     path);
	qk_fixture_free(fx);
	return path;
}

/* Input 2 -> quantized_bits(8,2) -> QDense 2 -> 3 -> quantized_relu(6,2). */
static struct qk_fixture *clean_fixture_with(const char *input_quantizer);

static struct qk_fixture *clean_fixture(void)
{
	return clean_fixture_with("\"quantized_bits(8,2,alpha=1)\"");
}

static struct qk_fixture *clean_fixture_with(const char *input_quantizer)
{
	static const double kernel[6] = {0.5, -0.25, 0.125, 0.75, 0.3, -1.5};
	static const double bias[3] = {0.1, 0.0, -0.05};
	struct qk_fixture *fx = qk_fixture_new(QK_FIXTURE_SEQUENTIAL, "clean");
	int64_t shape[1] = {2};

	cr_assert_not_null(fx);
	cr_assert_not_null(qk_fixture_input(fx, "x", 1, shape));
	cr_assert_not_null(qk_fixture_qactivation(fx, "q_in", input_quantizer,
						  NULL));
	cr_assert_not_null(qk_fixture_dense(
		fx, "fc", 2, 3, "\"quantized_bits(6,0,alpha=1)\"",
		"\"quantized_bits(6,0,alpha=1)\"", "\"linear\"", NULL));
	cr_assert_not_null(qk_fixture_qactivation(
		fx, "act", "\"quantized_relu(6,2)\"", NULL));
	set_weight(fx, "fc", "kernel", kernel, 6);
	set_weight(fx, "fc", "bias", bias, 3);
	return fx;
}

/* Input 1 -> quantized_bits(8,3) -> QDense 1 -> 1, w = 1 -> activation. */
static struct qk_fixture *single_fixture(const char *activation)
{
	static const double one = 1.0, zero = 0.0;
	struct qk_fixture *fx = qk_fixture_new(QK_FIXTURE_SEQUENTIAL, "one");
	int64_t shape[1] = {1};

	cr_assert_not_null(fx);
	cr_assert_not_null(qk_fixture_input(fx, "x", 1, shape));
	cr_assert_not_null(qk_fixture_qactivation(
		fx, "q_in", "\"quantized_bits(8,3,alpha=1)\"", NULL));
	cr_assert_not_null(qk_fixture_dense(
		fx, "fc", 1, 1, "\"quantized_bits(8,3,alpha=1)\"",
		"\"quantized_bits(8,3,alpha=1)\"", "\"linear\"", NULL));
	cr_assert_not_null(qk_fixture_qactivation(fx, "out", activation, NULL));
	set_weight(fx, "fc", "kernel", &one, 1);
	set_weight(fx, "fc", "bias", &zero, 1);
	return fx;
}

static struct qk_npy read_npy(const char *path)
{
	struct qk_npy arr = QK_NPY_INIT;
	struct qk_err err = QK_ERR_INIT;

	cr_assert_eq(qk_npy_read(path, &arr, &err), 0, "%s: %s", path,
		     err.msg);
	return arr;
}

/*
 * Verifies model in mode, expects a mismatch, then runs the saved
 * counterexample through simulate on both sides and expects outputs
 * that differ.
 */
static void expect_reproduced_mismatch(const char *dir, const char *model,
				       const char *mode, const char *extra,
				       const char *layer)
{
	char *ce = qk_fixture_path(dir, "ce.npy");
	char *yq = qk_fixture_path(dir, "yq.npy");
	char *yp = qk_fixture_path(dir, "yp.npy");
	char args[4096];
	struct cli_run r;
	struct qk_npy x, a, b;
	int differ = 0;

	snprintf(args, sizeof(args),
		 "verify --mode %s %s --save-counterexample '%s' '%s'", mode,
		 extra, ce, model);
	r = run_qklint(dir, args);
	cr_assert_eq(r.status, 1, "exit %d:\n%s", r.status, r.out);
	cr_expect(strstr(r.out, "MISMATCH"), "%s", r.out);
	cr_expect(strstr(r.out, layer), "no '%s' in:\n%s", layer, r.out);
	free(r.out);

	x = read_npy(ce);
	cr_expect_eq(x.rank, 2);
	cr_expect_eq(x.shape[0], 1);

	snprintf(args, sizeof(args),
		 "simulate '%s' --input '%s' --output '%s' --mode qkeras",
		 model, ce, yq);
	r = run_qklint(dir, args);
	cr_assert_eq(r.status, 0, "%s", r.out);
	free(r.out);
	snprintf(args, sizeof(args),
		 "simulate '%s' --input '%s' --output '%s' --mode proxy%s",
		 model, ce, yp, strcmp(mode, "fast") == 0 ? " --fast" : "");
	r = run_qklint(dir, args);
	cr_assert_eq(r.status, 0, "%s", r.out);
	free(r.out);

	a = read_npy(yq);
	b = read_npy(yp);
	cr_assert_eq(a.count, b.count);
	cr_assert_gt(a.count, 0);
	for (size_t i = 0; i < a.count; i++)
		if (a.data[i] != b.data[i])
			differ = 1;
	cr_expect(differ, "simulate gives equal outputs on the "
			  "counterexample");
	qk_npy_release(&x);
	qk_npy_release(&a);
	qk_npy_release(&b);
	free(ce);
	free(yq);
	free(yp);
}

Test(verify, clean_model_proven)
{
	char *dir = qk_fixture_tmpdir();
	char *model;
	char args[2048];
	struct cli_run r;

	cr_assert_not_null(dir);
	model = write_model(clean_fixture(), dir, "clean.h5");
	snprintf(args, sizeof(args), "verify '%s'", model);
	r = run_qklint(dir, args);
	/* Safe mode saturates like QKeras; fast mode wraps an input beyond
	 * the range at the input quantizer, before any other layer. */
	cr_expect_eq(r.status, 1, "exit %d:\n%s", r.status, r.out);
	cr_expect(strstr(r.out, "mode safe: proven equivalent on all 65536"),
		  "%s", r.out);
	cr_expect(strstr(r.out, "mode fast: MISMATCH at vector"), "%s",
		  r.out);
	cr_expect(strstr(r.out, "beyond the grid"), "%s", r.out);
	cr_expect(strstr(r.out, "first differing layer: 'q_in'"), "%s",
		  r.out);
	free(r.out);
	qk_fixture_rmtree(dir);
	free(model);
	free(dir);
}

/* A symmetric input quantizer keeps SAT_SYM in fast mode too. */
Test(verify, symmetric_input_proven_both_modes)
{
	char *dir = qk_fixture_tmpdir();
	struct qk_fixture *fx = clean_fixture_with(
		"\"quantized_bits(8,2,symmetric=1,alpha=1)\"");
	char *model;
	char args[2048];
	struct cli_run r;

	cr_assert_not_null(dir);
	model = write_model(fx, dir, "sym.h5");
	snprintf(args, sizeof(args), "verify --quiet '%s'", model);
	r = run_qklint(dir, args);
	cr_expect_eq(r.status, 0, "exit %d:\n%s", r.status, r.out);
	cr_expect(strstr(r.out, "mode safe: proven equivalent on all 65536"),
		  "%s", r.out);
	cr_expect(strstr(r.out, "mode fast: proven equivalent on all 65536"),
		  "%s", r.out);
	free(r.out);
	qk_fixture_rmtree(dir);
	free(model);
	free(dir);
}

Test(verify, sampling_finds_input_wrap)
{
	char *dir = qk_fixture_tmpdir();
	char *model;
	char args[2048];
	struct cli_run r;

	cr_assert_not_null(dir);
	model = write_model(clean_fixture(), dir, "clean.h5");
	/* Sampling includes inputs beyond the range, which WRAP breaks. */
	snprintf(args, sizeof(args),
		 "verify --quiet --exhaustive-limit 100 --samples 3000 "
		 "--seed 7 '%s'",
		 model);
	r = run_qklint(dir, args);
	cr_expect_eq(r.status, 1, "exit %d:\n%s", r.status, r.out);
	cr_expect(strstr(r.out, "mode safe: no mismatch in 3000 samples "
				"(seed 7"),
		  "%s", r.out);
	cr_expect(strstr(r.out, "mode fast: MISMATCH"), "%s", r.out);
	cr_expect(strstr(r.out, "first differing layer: 'q_in'"), "%s",
		  r.out);
	free(r.out);
	expect_reproduced_mismatch(dir, model, "fast",
				   "--exhaustive-limit 100 --samples 3000",
				   "'q_in'");
	qk_fixture_rmtree(dir);
	free(model);
	free(dir);
}

Test(verify, ternary_refuted)
{
	char *dir = qk_fixture_tmpdir();
	char *model;

	cr_assert_not_null(dir);
	model = write_model(single_fixture("\"ternary()\""), dir, "t.h5");
	expect_reproduced_mismatch(dir, model, "safe", "", "'out'");
	qk_fixture_rmtree(dir);
	free(model);
	free(dir);
}

Test(verify, negative_slope_refuted)
{
	char *dir = qk_fixture_tmpdir();
	char *model;

	cr_assert_not_null(dir);
	model = write_model(
		single_fixture("\"quantized_relu(4,2,negative_slope=0.25)\""),
		dir, "r.h5");
	expect_reproduced_mismatch(dir, model, "safe", "", "'out'");
	qk_fixture_rmtree(dir);
	free(model);
	free(dir);
}

Test(verify, one_bit_signed_refuted)
{
	char *dir = qk_fixture_tmpdir();
	char *model;

	cr_assert_not_null(dir);
	model = write_model(single_fixture("\"quantized_bits(1,0)\""), dir,
			    "b.h5");
	expect_reproduced_mismatch(dir, model, "safe", "", "'out'");
	qk_fixture_rmtree(dir);
	free(model);
	free(dir);
}

Test(verify, wrap_refuted_in_fast_mode)
{
	char *dir = qk_fixture_tmpdir();
	char *model;
	char args[2048];
	struct cli_run r;

	cr_assert_not_null(dir);
	model = write_model(
		single_fixture("\"quantized_bits(4,0,alpha=1)\""), dir,
		"w.h5");
	snprintf(args, sizeof(args), "verify --mode safe '%s'", model);
	r = run_qklint(dir, args);
	cr_expect_eq(r.status, 0, "exit %d:\n%s", r.status, r.out);
	cr_expect(strstr(r.out, "proven equivalent on all 256"), "%s", r.out);
	free(r.out);
	expect_reproduced_mismatch(dir, model, "fast", "", "'out'");
	qk_fixture_rmtree(dir);
	free(model);
	free(dir);
}

Test(verify, missing_input_precision)
{
	struct qk_fixture *fx = qk_fixture_new(QK_FIXTURE_SEQUENTIAL, "raw");
	int64_t shape[1] = {2};
	char *dir = qk_fixture_tmpdir();
	char *model;
	char args[2048], config[1024];
	struct cli_run r;

	cr_assert(fx && dir);
	cr_assert_not_null(qk_fixture_input(fx, "x", 1, shape));
	cr_assert_not_null(qk_fixture_dense(
		fx, "fc", 2, 1, "\"quantized_bits(8,0,alpha=1)\"",
		"\"quantized_bits(8,0,alpha=1)\"", "\"quantized_relu(8,3)\"",
		NULL));
	model = write_model(fx, dir, "raw.h5");
	snprintf(args, sizeof(args), "verify '%s'", model);
	r = run_qklint(dir, args);
	cr_expect_eq(r.status, 2, "exit %d:\n%s", r.status, r.out);
	cr_expect(strstr(r.out, "model has no input quantizer; pass "
				"--input-precision, e.g. fixed<16,6>"),
		  "%s", r.out);
	free(r.out);

	/* With the type given, 2 x 8 bits are enumerated in full, but the
	 * missing input quantizer is still an error-level finding (QK001),
	 * because the real conversion would fail. */
	snprintf(args, sizeof(args),
		 "verify --input-precision 'fixed<8,3,TRN,SAT>' '%s'", model);
	r = run_qklint(dir, args);
	cr_expect_eq(r.status, 1, "exit %d:\n%s", r.status, r.out);
	cr_expect(strstr(r.out, "proven equivalent on all 65536"), "%s",
		  r.out);
	cr_expect(strstr(r.out, "error QK001 input-not-quantized"), "%s",
		  r.out);
	free(r.out);

	/* A config that switches QK001 off leaves only the verdict. */
	snprintf(config, sizeof(config), "%s/.qklint.yaml", dir);
	cr_assert_eq(qk_fixture_write_text(config, "rules:\n  QK001: off\n"),
		     0);
	snprintf(args, sizeof(args),
		 "verify --quiet --input-precision 'fixed<8,3,TRN,SAT>' '%s'",
		 model);
	r = run_qklint(dir, args);
	cr_expect_eq(r.status, 0, "exit %d:\n%s", r.status, r.out);
	cr_expect(strstr(r.out, "proven equivalent on all 65536"), "%s",
		  r.out);
	free(r.out);
	qk_fixture_rmtree(dir);
	free(model);
	free(dir);
}

Test(verify, bad_usage)
{
	char *dir = qk_fixture_tmpdir();
	struct cli_run r;

	cr_assert_not_null(dir);
	r = run_qklint(dir, "verify --mode slow x.h5");
	cr_expect_eq(r.status, 2);
	cr_expect(strstr(r.out, "invalid --mode 'slow'"), "%s", r.out);
	free(r.out);
	r = run_qklint(dir, "verify /nonexistent/model.h5");
	cr_expect_eq(r.status, 2);
	cr_expect(strstr(r.out, "qklint: error: /nonexistent/model.h5:"),
		  "%s", r.out);
	free(r.out);
	r = run_qklint(dir, "simulate x.h5 --input a.npy --output b.npy");
	cr_expect_eq(r.status, 2);
	cr_expect(strstr(r.out, "missing --mode"), "%s", r.out);
	free(r.out);
	r = run_qklint(dir, "verify --input-precision 'fixed<8>' x.h5");
	cr_expect_eq(r.status, 2);
	cr_expect(strstr(r.out, "--input-precision"), "%s", r.out);
	free(r.out);
	qk_fixture_rmtree(dir);
	free(dir);
}

Test(verify, simulate_writes_batch)
{
	static const double rows[6] = {1.0, -0.5, 0.0, 0.0, 3.96875, -4.0};
	struct qk_npy x = QK_NPY_INIT, y;
	struct qk_err err = QK_ERR_INIT;
	char *dir = qk_fixture_tmpdir();
	char *model, *xp, *yp;
	char args[4096];
	struct cli_run r;

	cr_assert_not_null(dir);
	model = write_model(clean_fixture(), dir, "clean.h5");
	xp = qk_fixture_path(dir, "x.npy");
	yp = qk_fixture_path(dir, "y.npy");
	x.rank = 2;
	x.shape[0] = 3;
	x.shape[1] = 2;
	x.count = 6;
	x.data = (double *)rows;
	cr_assert_eq(qk_npy_write(xp, &x, 1, &err), 0, "%s", err.msg);
	snprintf(args, sizeof(args),
		 "simulate '%s' --input '%s' --output '%s' --mode proxy",
		 model, xp, yp);
	r = run_qklint(dir, args);
	cr_assert_eq(r.status, 0, "%s", r.out);
	free(r.out);
	y = read_npy(yp);
	cr_assert_eq(y.rank, 2);
	cr_assert_eq(y.shape[0], 3);
	cr_assert_eq(y.shape[1], 3);
	cr_assert_eq(y.count, 9);
	/* Row 0 as worked out in the simulator tests. */
	cr_expect_eq(y.data[0], 0.25);
	cr_expect_eq(y.data[1], 0.0);
	cr_expect_eq(y.data[2], 0.5625);
	/* Row 1 is the bias: 0.09375 is 1.5 steps of 1/16, even is 2. */
	cr_expect_eq(y.data[3], 0.125);
	cr_expect_eq(y.data[4], 0.0);
	cr_expect_eq(y.data[5], 0.0);
	/* Row 2: 4.43359375 saturates at 4 - 1/16. */
	cr_expect_eq(y.data[6], 0.0);
	cr_expect_eq(y.data[7], 0.0);
	cr_expect_eq(y.data[8], 3.9375);
	qk_npy_release(&y);
	qk_fixture_rmtree(dir);
	free(model);
	free(xp);
	free(yp);
	free(dir);
}

/* Appends a layer from config text and checks it. */
static void add_layer(struct qk_fixture *fx, const char *class_name,
		      const char *name, const char *config)
{
	cr_assert_not_null(qk_fixture_layer(fx, class_name, name, config,
					    NULL),
			   "cannot add %s", name);
}

static void add_weight(struct qk_fixture *fx, const char *layer,
		       const char *name, int rank, const uint64_t *shape,
		       const double *data)
{
	cr_assert_not_null(qk_fixture_weight(fx, layer, name, rank, shape,
					     data),
			   "cannot add %s/%s", layer, name);
}

/*
 * Input length 3 x 2 channels -> quantized_bits(3,1) -> QConv1D, 2
 * filters of size 2 -> quantized_bits(6,2): the model whose outputs the
 * simulator tests work out by hand. 8 values on 6 inputs give 262144
 * vectors.
 */
static struct qk_fixture *conv1d_fixture(void)
{
	static const double kernel[8] = {0.5, -0.25, 0.125, 0.75,
					 -1.0, 0.375, 0.25, 0.5};
	static const double bias[2] = {0.125, -0.25};
	static const uint64_t kshape[3] = {2, 2, 2}, bshape[1] = {2};
	struct qk_fixture *fx = qk_fixture_new(QK_FIXTURE_SEQUENTIAL, "c1");
	int64_t shape[2] = {3, 2};

	cr_assert_not_null(fx);
	cr_assert_not_null(qk_fixture_input(fx, "x", 2, shape));
	cr_assert_not_null(qk_fixture_qactivation(
		fx, "q_in", "\"quantized_bits(3,1,alpha=1)\"", NULL));
	add_layer(fx, "QConv1D", "conv",
		  "{\"filters\": 2, \"kernel_size\": [2], \"strides\": [1], "
		  "\"padding\": \"valid\", \"data_format\": \"channels_last\", "
		  "\"dilation_rate\": [1], \"groups\": 1, "
		  "\"activation\": \"linear\", \"use_bias\": true, "
		  "\"kernel_quantizer\": \"quantized_bits(4,0,alpha=1)\", "
		  "\"bias_quantizer\": \"quantized_bits(4,0,alpha=1)\"}");
	add_weight(fx, "conv", "kernel", 3, kshape, kernel);
	add_weight(fx, "conv", "bias", 1, bshape, bias);
	cr_assert_not_null(qk_fixture_qactivation(
		fx, "out", "\"quantized_bits(6,2,alpha=1)\"", NULL));
	return fx;
}

/*
 * Input 3x3x1 -> quantized_bits(2,1) -> QConv2D, 2 filters of 2x2 ->
 * quantized_relu(4,2) -> MaxPooling2D 2x2 -> Flatten -> QDense 2 -> 2
 * -> quantized_bits(4,2), as in the simulator tests. 4 values on 9
 * inputs give 262144 vectors.
 */
static struct qk_fixture *conv2d_fixture(void)
{
	static const double kernel[8] = {0.5, -0.25, 0.25, 0.5,
					 -0.5, 0.75, 0.125, -1.0};
	static const double bias[2] = {0.25, 0.5};
	static const double dense[4] = {0.5, -0.75, 0.25, 0.5};
	static const double zero[2] = {0.0, 0.0};
	static const uint64_t kshape[4] = {2, 2, 1, 2}, bshape[1] = {2};
	struct qk_fixture *fx = qk_fixture_new(QK_FIXTURE_SEQUENTIAL, "c2");
	int64_t shape[3] = {3, 3, 1};

	cr_assert_not_null(fx);
	cr_assert_not_null(qk_fixture_input(fx, "x", 3, shape));
	cr_assert_not_null(qk_fixture_qactivation(
		fx, "q_in", "\"quantized_bits(2,1,alpha=1)\"", NULL));
	add_layer(fx, "QConv2D", "conv",
		  "{\"filters\": 2, \"kernel_size\": [2, 2], "
		  "\"strides\": [1, 1], \"padding\": \"valid\", "
		  "\"data_format\": \"channels_last\", "
		  "\"dilation_rate\": [1, 1], \"groups\": 1, "
		  "\"activation\": \"quantized_relu(4,2)\", "
		  "\"use_bias\": true, "
		  "\"kernel_quantizer\": \"quantized_bits(4,0,alpha=1)\", "
		  "\"bias_quantizer\": \"quantized_bits(4,0,alpha=1)\"}");
	add_weight(fx, "conv", "kernel", 4, kshape, kernel);
	add_weight(fx, "conv", "bias", 1, bshape, bias);
	add_layer(fx, "MaxPooling2D", "pool",
		  "{\"pool_size\": [2, 2], \"strides\": [2, 2], "
		  "\"padding\": \"valid\", "
		  "\"data_format\": \"channels_last\"}");
	add_layer(fx, "Flatten", "flat",
		  "{\"data_format\": \"channels_last\"}");
	cr_assert_not_null(qk_fixture_dense(
		fx, "fc", 2, 2, "\"quantized_bits(4,0,alpha=1)\"",
		"\"quantized_bits(4,0,alpha=1)\"", "\"linear\"", NULL));
	set_weight(fx, "fc", "kernel", dense, 4);
	set_weight(fx, "fc", "bias", zero, 2);
	cr_assert_not_null(qk_fixture_qactivation(
		fx, "out", "\"quantized_bits(4,2,alpha=1)\"", NULL));
	return fx;
}

/*
 * Input 2x2x2 -> quantized_bits(2,1) -> QDepthwiseConv2D 2x2, 'same'
 * padding, depth multiplier 2 -> quantized_bits(6,2). 4 values on 8
 * inputs give 65536 vectors.
 */
static struct qk_fixture *depthwise_fixture(void)
{
	static const double kernel[16] = {
		0.5, -0.25, 0.75, 0.125, -1.0, 0.375, 0.25, -0.5,
		0.625, 0.5, -0.75, 0.25, 0.125, -0.875, 0.5, 0.375
	};
	static const double bias[4] = {0.125, -0.25, 0.5, 0.0};
	static const uint64_t kshape[4] = {2, 2, 2, 2}, bshape[1] = {4};
	struct qk_fixture *fx = qk_fixture_new(QK_FIXTURE_SEQUENTIAL, "dw");
	int64_t shape[3] = {2, 2, 2};

	cr_assert_not_null(fx);
	cr_assert_not_null(qk_fixture_input(fx, "x", 3, shape));
	cr_assert_not_null(qk_fixture_qactivation(
		fx, "q_in", "\"quantized_bits(2,1,alpha=1)\"", NULL));
	add_layer(fx, "QDepthwiseConv2D", "dw",
		  "{\"kernel_size\": [2, 2], \"strides\": [1, 1], "
		  "\"padding\": \"same\", \"depth_multiplier\": 2, "
		  "\"data_format\": \"channels_last\", "
		  "\"dilation_rate\": [1, 1], "
		  "\"activation\": \"linear\", \"use_bias\": true, "
		  "\"depthwise_quantizer\": \"quantized_bits(4,0,alpha=1)\", "
		  "\"bias_quantizer\": \"quantized_bits(4,0,alpha=1)\"}");
	add_weight(fx, "dw", "depthwise_kernel", 4, kshape, kernel);
	add_weight(fx, "dw", "bias", 1, bshape, bias);
	cr_assert_not_null(qk_fixture_qactivation(
		fx, "out", "\"quantized_bits(6,2,alpha=1)\"", NULL));
	return fx;
}

/*
 * Input 2x2x2 -> quantized_bits(2,1) -> QSeparableConv2D 2x2, 'same'
 * padding, depth multiplier 2, 2 filters -> quantized_bits(6,2). 4
 * values on 8 inputs give 65536 vectors.
 */
static struct qk_fixture *separable_fixture(void)
{
	static const double depthwise[16] = {
		0.5, -0.25, 0.75, 0.125, -1.0, 0.375, 0.25, -0.5,
		0.625, 0.5, -0.75, 0.25, 0.125, -0.875, 0.5, 0.375
	};
	static const double pointwise[8] = {0.5, -0.25, 0.25, 0.75,
					    -0.5, 0.125, -1.0, -0.375};
	static const double bias[2] = {0.25, -0.5};
	static const uint64_t dshape[4] = {2, 2, 2, 2};
	static const uint64_t pshape[4] = {1, 1, 4, 2}, bshape[1] = {2};
	struct qk_fixture *fx = qk_fixture_new(QK_FIXTURE_SEQUENTIAL, "sep");
	int64_t shape[3] = {2, 2, 2};

	cr_assert_not_null(fx);
	cr_assert_not_null(qk_fixture_input(fx, "x", 3, shape));
	cr_assert_not_null(qk_fixture_qactivation(
		fx, "q_in", "\"quantized_bits(2,1,alpha=1)\"", NULL));
	add_layer(fx, "QSeparableConv2D", "sep",
		  "{\"filters\": 2, \"kernel_size\": [2, 2], "
		  "\"strides\": [1, 1], \"padding\": \"same\", "
		  "\"depth_multiplier\": 2, "
		  "\"data_format\": \"channels_last\", "
		  "\"dilation_rate\": [1, 1], "
		  "\"activation\": \"linear\", \"use_bias\": true, "
		  "\"depthwise_quantizer\": \"quantized_bits(4,0,alpha=1)\", "
		  "\"pointwise_quantizer\": \"quantized_bits(4,0,alpha=1)\", "
		  "\"bias_quantizer\": \"quantized_bits(4,0,alpha=1)\"}");
	add_weight(fx, "sep", "depthwise_kernel", 4, dshape, depthwise);
	add_weight(fx, "sep", "pointwise_kernel", 4, pshape, pointwise);
	add_weight(fx, "sep", "bias", 1, bshape, bias);
	cr_assert_not_null(qk_fixture_qactivation(
		fx, "out", "\"quantized_bits(6,2,alpha=1)\"", NULL));
	return fx;
}

/*
 * Writes fx as name and verifies it: safe mode must be proven on count
 * vectors, and fast mode may differ only at the input quantizer.
 */
static void expect_proven(struct qk_fixture *fx, const char *name,
			  const char *count)
{
	char *dir = qk_fixture_tmpdir();
	char *model;
	char args[2048], safe[128], fast[128];
	struct cli_run r;

	cr_assert_not_null(dir);
	model = write_model(fx, dir, name);
	snprintf(args, sizeof(args), "verify --quiet '%s'", model);
	snprintf(safe, sizeof(safe), "mode safe: proven equivalent on all %s",
		 count);
	snprintf(fast, sizeof(fast), "mode fast: MISMATCH at vector");
	r = run_qklint(dir, args);
	/* Fast mode may only differ at the wrapping input quantizer. */
	cr_expect_eq(r.status, 1, "exit %d:\n%s", r.status, r.out);
	cr_expect(strstr(r.out, safe), "%s", r.out);
	cr_expect(strstr(r.out, fast), "%s", r.out);
	cr_expect(strstr(r.out, "first differing layer: 'q_in'"), "%s",
		  r.out);
	free(r.out);
	qk_fixture_rmtree(dir);
	free(model);
	free(dir);
}

Test(verify, conv1d_proven)
{
	expect_proven(conv1d_fixture(), "conv1d.h5", "262144");
}

Test(verify, conv2d_pool_dense_proven)
{
	expect_proven(conv2d_fixture(), "conv2d.h5", "262144");
}

Test(verify, depthwise_conv2d_proven)
{
	expect_proven(depthwise_fixture(), "depthwise.h5", "65536");
}

Test(verify, separable_conv2d_proven)
{
	expect_proven(separable_fixture(), "separable.h5", "65536");
}

/* A real two-convolution MNIST model, sampled briefly. */
Test(verify, mnist_cnn_sampled)
{
	char *dir, *model;
	char args[4096], config[1024];
	struct cli_run r;

	if (access(QK_SHARED_MODELS, F_OK) != 0)
		cr_skip_test("../shared/models not found");
	dir = qk_fixture_tmpdir();
	cr_assert_not_null(dir);
	model = qk_fixture_path(QK_SHARED_MODELS, "qkeras_mnist_cnn.json");
	cr_assert_not_null(model);
	/* The model has no input quantizer, which QK001 reports. */
	snprintf(config, sizeof(config), "%s/qk001-off.yaml", dir);
	cr_assert_eq(qk_fixture_write_text(config, "rules:\n  QK001: off\n"),
		     0);
	snprintf(args, sizeof(args),
		 "verify --quiet --input-precision 'fixed<8,1>' --samples 40 "
		 "--seed 5 --config '%s' '%s'",
		 config, model);
	r = run_qklint(dir, args);
	cr_expect_eq(r.status, 0, "exit %d:\n%s", r.status, r.out);
	cr_expect(strstr(r.out, "mode safe: no mismatch in 40 samples"), "%s",
		  r.out);
	cr_expect(strstr(r.out, "mode fast: no mismatch in 40 samples"), "%s",
		  r.out);
	free(r.out);
	qk_fixture_rmtree(dir);
	free(model);
	free(dir);
}

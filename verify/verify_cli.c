/*
 * The `verify` and `simulate` subcommands: argument parsing, the report
 * and the .npy files. The checks themselves live in verify.c and sim.c.
 */
#include "verify_cli.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../lint/args.h"
#include "../lint/config.h"
#include "../lint/engine.h"
#include "../lint/model.h"
#include "../lint/report.h"
#include "bounds.h"
#include "hls4ml.h"
#include "npy.h"
#include "precision.h"
#include "sim.h"
#include "verify.h"

#define EXIT_EQUIVALENT 0
#define EXIT_MISMATCH 1
#define EXIT_USAGE 2

static const char verify_usage[] =
	"usage: qklint verify [options] MODEL\n"
	"\n"
	"Proves or refutes that the QKeras model and its fixed-point proxy\n"
	"(HGQ to_proxy_model) compute bit-identical outputs, by simulating\n"
	"both on every input of the input grid or on seeded samples.\n"
	"\n"
	"  --mode safe|fast|both     conversion to check: safe (SAT), fast\n"
	"                            (aggressive, WRAP) or both (default)\n"
	"  --input-precision TYPE    type of inputs without an input\n"
	"                            quantizer, e.g. fixed<16,6>\n"
	"  --exhaustive-limit N      enumerate the grid when it has at most N\n"
	"                            vectors (default 16777216)\n"
	"  --samples N               vectors to draw otherwise (default\n"
	"                            100000)\n"
	"  --seed N                  seed of the sample generator\n"
	"                            (default 1592590337)\n"
	"  --save-counterexample F   write the first mismatching input to F\n"
	"                            (.npy, float64, shape [1, inputs])\n"
	"  --emit-hls4ml-config F    write the hls4ml config (YAML) to F\n"
	"  --weights FILE            weights .h5 for an architecture JSON\n"
	"  --config FILE             lint config (default: the nearest\n"
	"                            .qklint.yaml); its error-level\n"
	"                            findings make verify exit 1\n"
	"  --no-config               lint with the built-in defaults\n"
	"  --quiet                   print the verdicts only\n";

static const char simulate_usage[] =
	"usage: qklint simulate MODEL --input X.npy --output Y.npy\n"
	"                       --mode qkeras|proxy [--fast]\n"
	"                       [--input-precision TYPE] [--weights FILE]\n"
	"\n"
	"Runs one side of the verifier on every row of X (batch first) and\n"
	"writes the compared outputs as float64, shape [batch, outputs],\n"
	"so fixed-point values stay exact. --fast selects the aggressive\n"
	"(WRAP) proxy.\n";

struct verify_args {
	const char *path;
	const char *weights;
	const char *input_precision;
	const char *counterexample;
	const char *hls4ml_config;
	const char *config;
	int no_config;
	int safe, fast, quiet;
	struct qk_verify_options run;
};

/* Prints one error line that points to the command's --help. */
static int usage_error(const char *usage, const char *fmt, const char *arg)
{
	const char *cmd = usage == simulate_usage ? "simulate" : "verify";

	fputs("qklint: error: ", stderr);
	fprintf(stderr, fmt, arg);
	fprintf(stderr, " (see 'qklint %s --help')\n", cmd);
	return EXIT_USAGE;
}

static int file_error(const char *path, const char *msg)
{
	fprintf(stderr, "qklint: error: %s: %s\n", path, msg);
	return EXIT_USAGE;
}

static int parse_count(const char *text, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!text || !*text || *text == '-')
		return -1;
	errno = 0;
	v = strtoull(text, &end, 0);
	if (errno || *end)
		return -1;
	*out = v;
	return 0;
}

static int parse_verify_args(int argc, char **argv, struct verify_args *a)
{
	const char *v;

	memset(a, 0, sizeof(*a));
	a->safe = a->fast = 1;
	a->run.exhaustive_limit = QK_VERIFY_DEFAULT_EXHAUSTIVE_LIMIT;
	a->run.samples = QK_VERIFY_DEFAULT_SAMPLES;
	a->run.seed = QK_VERIFY_DEFAULT_SEED;
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];

		if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
			fputs(verify_usage, stdout);
			return 1;
		} else if (strcmp(arg, "--quiet") == 0) {
			a->quiet = 1;
		} else if (strcmp(arg, "--no-config") == 0) {
			a->no_config = 1;
		} else if (qk_arg_value(argc, argv, &i, "--config", &v)) {
			if (!v)
				return usage_error(verify_usage,
						   "missing value for %s",
						   "--config");
			a->config = v;
		} else if (qk_arg_value(argc, argv, &i, "--mode", &v)) {
			if (!v || (strcmp(v, "safe") && strcmp(v, "fast") &&
				   strcmp(v, "both")))
				return usage_error(verify_usage,
						   "invalid --mode '%s' "
						   "(expected safe, fast or "
						   "both)",
						   v ? v : "");
			a->safe = strcmp(v, "fast") != 0;
			a->fast = strcmp(v, "safe") != 0;
		} else if (qk_arg_value(argc, argv, &i, "--input-precision",
				      &v)) {
			if (!v)
				return usage_error(verify_usage,
						   "missing value for %s",
						   "--input-precision");
			a->input_precision = v;
		} else if (qk_arg_value(argc, argv, &i, "--exhaustive-limit",
				      &v)) {
			if (parse_count(v, &a->run.exhaustive_limit) < 0)
				return usage_error(verify_usage,
						   "invalid --exhaustive-limit "
						   "'%s' (expected a count)",
						   v ? v : "");
		} else if (qk_arg_value(argc, argv, &i, "--samples", &v)) {
			if (parse_count(v, &a->run.samples) < 0 ||
			    a->run.samples == 0)
				return usage_error(verify_usage,
						   "invalid --samples '%s' "
						   "(expected a positive count)",
						   v ? v : "");
		} else if (qk_arg_value(argc, argv, &i, "--seed", &v)) {
			if (parse_count(v, &a->run.seed) < 0)
				return usage_error(verify_usage,
						   "invalid --seed '%s' "
						   "(expected an unsigned "
						   "integer)",
						   v ? v : "");
		} else if (qk_arg_value(argc, argv, &i, "--save-counterexample",
				      &v)) {
			if (!v)
				return usage_error(verify_usage,
						   "missing value for %s",
						   "--save-counterexample");
			a->counterexample = v;
		} else if (qk_arg_value(argc, argv, &i, "--emit-hls4ml-config",
				      &v)) {
			if (!v)
				return usage_error(verify_usage,
						   "missing value for %s",
						   "--emit-hls4ml-config");
			a->hls4ml_config = v;
		} else if (qk_arg_value(argc, argv, &i, "--weights", &v)) {
			if (!v)
				return usage_error(verify_usage,
						   "missing value for %s",
						   "--weights");
			a->weights = v;
		} else if (arg[0] == '-' && arg[1] != '\0') {
			return usage_error(verify_usage, "unknown option '%s'",
					   arg);
		} else if (a->path) {
			return usage_error(verify_usage,
					   "verify takes one model, got '%s' "
					   "too",
					   arg);
		} else {
			a->path = arg;
		}
	}
	if (!a->path)
		return usage_error(verify_usage, "missing model file%s", "");
	return 0;
}

static struct qk_model *open_model(const char *path, const char *weights)
{
	struct qk_open_options options = {weights, 0};
	struct qk_err err = QK_ERR_INIT;
	struct qk_model *model = qk_model_open(path, &options, &err);

	if (!model)
		file_error(path, err.msg);
	return model;
}

static int parse_input_type(const char *path, const char *text,
			    struct qk_fixed_type *type)
{
	struct qk_err err = QK_ERR_INIT;

	if (qk_fixed_parse(text, type, &err) < 0) {
		fprintf(stderr, "qklint: error: %s: --input-precision: %s\n",
			path, err.msg);
		return -1;
	}
	return 0;
}

static void print_values(const char *label, const double *v, size_t n,
			 int digits)
{
	printf("  %s [", label);
	for (size_t i = 0; i < n; i++)
		printf("%s%.*g", i ? ", " : "", digits, v[i]);
	printf("]\n");
}

static void print_inputs(const struct qk_sim *sim)
{
	char buf[96];

	for (size_t i = 0; i < qk_sim_n_inputs(sim); i++) {
		const struct qk_sim_input *in = qk_sim_input(sim, i);

		printf("  input '%s': %zu element%s on the grid of %s (%s)\n",
		       in->name, in->count, in->count == 1 ? "" : "s",
		       qk_fixed_format(&in->type, buf, sizeof(buf)),
		       in->from_quantizer ? "input quantizer"
					  : "--input-precision");
	}
	for (size_t i = 0; i < qk_sim_n_outputs(sim); i++) {
		const struct qk_sim_output *o = qk_sim_output(sim, i);

		printf("  compared: %s, %zu element%s%s\n", o->label,
		       o->count, o->count == 1 ? "" : "s",
		       o->is_model_output ? ""
					  : " (feeds a layer that is not "
					    "exact)");
	}
	for (size_t i = 0; i < qk_sim_n_notes(sim); i++)
		printf("  note: %s\n", qk_sim_note(sim, i));
}

static int save_counterexample(const char *path,
			       const struct qk_verify_result *r)
{
	struct qk_npy arr = QK_NPY_INIT;
	struct qk_err err = QK_ERR_INIT;
	int rc;

	arr.rank = 2;
	arr.shape[0] = 1;
	arr.shape[1] = (int64_t)r->input_size;
	arr.count = r->input_size;
	arr.data = qk_calloc(r->input_size ? r->input_size : 1,
			     sizeof(double));
	if (!arr.data)
		return file_error(path, "out of memory");
	for (size_t i = 0; i < r->input_size; i++)
		arr.data[i] = r->input[i];
	rc = qk_npy_write(path, &arr, 0, &err);
	qk_npy_release(&arr);
	if (rc < 0)
		return file_error(path, err.msg);
	return 0;
}

static void print_result(const char *path, const char *mode,
			 const struct verify_args *a,
			 const struct qk_verify_result *r)
{
	printf("%s: mode %s: ", path, mode);
	if (r->verdict == QK_VERDICT_PROVEN)
		printf("proven equivalent on all %" PRIu64 " input vectors of "
		       "the grid, and on %" PRIu64 " beyond it (exhaustive",
		       r->vectors - r->off_grid_vectors, r->off_grid_vectors);
	else if (r->verdict == QK_VERDICT_NO_MISMATCH && r->exhaustive)
		printf("no mismatch on all %" PRIu64 " input vectors of the "
		       "grid and %" PRIu64 " beyond it, but an input quantizer "
		       "wraps in this mode, so inputs beyond its range were "
		       "only sampled (exhaustive",
		       r->vectors - r->off_grid_vectors, r->off_grid_vectors);
	else if (r->verdict == QK_VERDICT_NO_MISMATCH)
		printf("no mismatch in %" PRIu64 " samples (seed %" PRIu64
		       ", grid of 2^%.0f vectors",
		       r->vectors, a->run.seed, r->grid_log2);
	else if (r->exhaustive && r->vectors == r->off_grid_vectors)
		printf("MISMATCH at vector %" PRIu64 " beyond the grid "
		       "(exhaustive",
		       r->vectors);
	else if (r->exhaustive)
		printf("MISMATCH at grid vector %" PRIu64 " (exhaustive",
		       r->vectors - r->off_grid_vectors);
	else
		printf("MISMATCH at sample %" PRIu64 " (seed %" PRIu64,
		       r->vectors, a->run.seed);
	printf(", %.3f s)\n", r->seconds);
	if (r->verdict != QK_VERDICT_MISMATCH)
		return;
	{
		double *input = malloc((r->input_size ? r->input_size : 1) *
				       sizeof(double));

		if (input) {
			for (size_t i = 0; i < r->input_size; i++)
				input[i] = r->input[i];
			print_values("input: ", input, r->input_size, 9);
			free(input);
		}
	}
	print_values("qkeras:", r->qkeras, r->output_size, 17);
	print_values("proxy: ", r->proxy, r->output_size, 17);
	if (r->has_difference)
		printf("  first differing layer: '%s' (%s) %s, element %zu: "
		       "qkeras %.17g, proxy %.17g\n",
		       r->difference.layer, r->difference.class_name,
		       r->difference.what, r->difference.element,
		       r->difference.qkeras, r->difference.proxy);
}

/*
 * Checks one mode. Returns EXIT_EQUIVALENT, EXIT_MISMATCH, or EXIT_USAGE
 * when the proxy cannot be simulated or a file cannot be written. *saved is set once a
 * counterexample has been written, so only the first one is kept.
 */
static int verify_mode(const struct qk_model *model,
		       const struct verify_args *a,
		       const struct qk_fixed_type *input_type, int fast,
		       int *saved)
{
	struct qk_sim_options options = {fast, input_type};
	struct qk_err err = QK_ERR_INIT;
	struct qk_verify_result result;
	const char *mode = fast ? "fast" : "safe";
	struct qk_sim *sim = qk_sim_build(model, &options, &err);
	int rc = EXIT_EQUIVALENT;

	if (!sim) {
		fprintf(stderr, "qklint: error: %s: mode %s: cannot simulate: "
			"%s\n", a->path, mode, err.msg);
		return EXIT_USAGE;	/* not checked is not equivalent */
	}
	if (!a->quiet) {
		printf("%s: mode %s:\n", a->path, mode);
		print_inputs(sim);
	}
	if (qk_verify_run(sim, &a->run, &result, &err) < 0) {
		fprintf(stderr, "qklint: error: %s: %s\n", a->path, err.msg);
		qk_sim_free(sim);
		return EXIT_MISMATCH;
	}
	print_result(a->path, mode, a, &result);
	if (result.verdict == QK_VERDICT_MISMATCH) {
		rc = EXIT_MISMATCH;
		if (a->counterexample && !*saved) {
			if (save_counterexample(a->counterexample, &result))
				rc = EXIT_USAGE;
			else
				printf("  counterexample saved to %s (mode "
				       "%s)\n",
				       a->counterexample, mode);
			*saved = 1;
		}
	}
	qk_verify_result_release(&result);
	qk_sim_free(sim);
	return rc;
}

/* Prints the precision table and bounds; returns -1 when unavailable. */
static int print_analysis(const struct qk_model *model,
			  const struct verify_args *a,
			  const struct qk_fixed_type *input_type,
			  struct qk_precision **precision)
{
	struct qk_err err = QK_ERR_INIT;
	struct qk_bounds *bounds = NULL;

	if (qk_precision_derive(model, input_type, precision, &err) < 0) {
		fprintf(stderr, "qklint: error: %s: precision: %s\n", a->path,
			err.msg);
		*precision = NULL;
		return -1;
	}
	if (a->quiet)
		return 0;
	printf("%s: precision per layer\n", a->path);
	if (qk_precision_write_table(stdout, *precision, &err) < 0)
		fprintf(stderr, "qklint: error: %s: %s\n", a->path, err.msg);
	if (qk_bounds_analyze(*precision, &bounds, &err) < 0) {
		fprintf(stderr, "qklint: error: %s: bounds: %s\n", a->path,
			err.msg);
		return 0;
	}
	printf("%s: value bounds\n", a->path);
	if (qk_bounds_write(stdout, bounds, &err) < 0)
		fprintf(stderr, "qklint: error: %s: %s\n", a->path, err.msg);
	qk_bounds_free(bounds);
	return 0;
}

static int emit_hls4ml(const struct qk_model *model,
		       const struct qk_precision *precision,
		       const struct verify_args *a)
{
	struct qk_err err = QK_ERR_INIT;
	enum qk_prec_mode mode = a->safe ? QK_PREC_SAFE : QK_PREC_FAST;
	FILE *out;
	int rc;

	if (!precision)
		return file_error(a->hls4ml_config,
				  "no precision derived, config not written");
	out = fopen(a->hls4ml_config, "w");
	if (!out) {
		fprintf(stderr, "qklint: error: cannot open '%s': %s\n",
			a->hls4ml_config, strerror(errno));
		return EXIT_USAGE;
	}
	rc = qk_hls4ml_write_config(out, model, precision, mode, &err);
	if (fclose(out) != 0 && rc == 0)
		rc = qk_fail(&err, "write failed: %s", strerror(errno));
	if (rc < 0)
		return file_error(a->hls4ml_config, err.msg);
	if (!a->quiet)
		printf("%s: hls4ml config (%s mode) written to %s\n", a->path,
		       qk_prec_mode_name(mode), a->hls4ml_config);
	return 0;
}

/* With --quiet, the findings that set the exit status still show. */
static void print_error_findings(const char *path, const struct qk_sink *sink)
{
	size_t i;

	for (i = 0; i < sink->n_findings; i++) {
		const struct qk_finding *f = &sink->findings[i];

		if (f->severity < QK_SEV_ERROR)
			continue;
		printf("%s: ", path);
		if (f->layer)
			printf("layer '%s' (%s): ", f->layer, f->layer_class);
		printf("error %s %s: %s\n", f->rule->id, f->rule->name,
		       f->message);
	}
}

/*
 * Runs the lint rules, prints their findings (unless quiet) and returns
 * EXIT_MISMATCH when one is at error level, because a model that breaks a
 * prerequisite does not convert as simulated, or EXIT_USAGE when the
 * config is invalid.
 */
static int lint_before_verify(const struct qk_model *model,
			      const struct verify_args *a)
{
	struct qk_config config = { 0 };
	struct qk_file_result result = { 0 };
	struct qk_report_options report = { QK_OUT_TEXT, 0, 0, 0 };
	struct qk_err err = QK_ERR_INIT;
	int status = EXIT_EQUIVALENT;
	size_t i;

	if (qk_config_resolve(&config, a->config, a->no_config, a->path,
			      &err) ||
	    qk_lint_model(model, &config, a->path, &result.sink, &err)) {
		qk_config_release(&config);
		qk_sink_release(&result.sink);
		fprintf(stderr, "qklint: error: %s\n", err.msg);
		return EXIT_USAGE;
	}
	for (i = 0; i < result.sink.n_findings; i++)
		if (result.sink.findings[i].severity >= QK_SEV_ERROR)
			status = EXIT_MISMATCH;
	result.path = (char *)a->path;
	result.loaded = 1;
	result.kind = model->kind;
	result.format = model->format;
	result.n_layers = model->n_layers;
	if (!a->quiet && result.sink.n_findings &&
	    qk_report_write(stdout, &result, 1, &report, &err))
		status = EXIT_USAGE;
	if (a->quiet)
		print_error_findings(a->path, &result.sink);
	qk_sink_release(&result.sink);
	qk_config_release(&config);
	return status;
}

/* Nonzero when both paths name one existing file (inputs are never
 * overwritten). */
static int same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	return a && b && stat(a, &sa) == 0 && stat(b, &sb) == 0 &&
	       sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* Rejects an output path that names the model or its weights file. */
static int writes_an_input(const struct qk_model *model, const char *output)
{
	if (!output || !(same_file(output, model->path) ||
			 same_file(output, model->weights_path)))
		return 0;
	fprintf(stderr, "qklint: error: %s: output path names an input file; "
		"choose another output path\n", output);
	return 1;
}

static int worse(int a, int b)
{
	return a > b ? a : b;
}

int qk_verify_main(int argc, char **argv)
{
	struct verify_args a;
	struct qk_fixed_type input_type;
	const struct qk_fixed_type *input = NULL;
	struct qk_precision *precision = NULL;
	struct qk_model *model;
	int rc = parse_verify_args(argc, argv, &a);
	int status = EXIT_EQUIVALENT;
	int saved = 0;

	if (rc)
		return rc == 1 ? EXIT_EQUIVALENT : rc;
	if (a.input_precision) {
		if (parse_input_type(a.path, a.input_precision, &input_type))
			return EXIT_USAGE;
		input = &input_type;
	}
	model = open_model(a.path, a.weights);
	if (!model)
		return EXIT_USAGE;
	if (writes_an_input(model, a.counterexample) ||
	    writes_an_input(model, a.hls4ml_config)) {
		qk_model_free(model);
		return EXIT_USAGE;
	}
	if (model->kind == QK_MODEL_HGQ_PROXY) {
		fprintf(stderr, "qklint: error: %s: model is already an HGQ "
			"proxy model; verify the QKeras model it was made "
			"from\n", a.path);
		qk_model_free(model);
		return EXIT_USAGE;
	}
	if (input && !qk_sim_needs_input_type(model))
		fprintf(stderr, "qklint: note: %s: --input-precision is not "
			"used, because every input has an input quantizer\n",
			a.path);
	if (!input && qk_sim_needs_input_type(model)) {
		fprintf(stderr, "qklint: error: %s: model has no input "
			"quantizer; pass --input-precision, e.g. "
			"fixed<16,6>\n", a.path);
		qk_model_free(model);
		return EXIT_USAGE;
	}
	status = lint_before_verify(model, &a);
	if (print_analysis(model, &a, input, &precision) < 0)
		status = worse(status, EXIT_MISMATCH);
	if (a.safe)
		status = worse(status, verify_mode(model, &a, input, 0,
						   &saved));
	if (a.fast)
		status = worse(status, verify_mode(model, &a, input, 1,
						   &saved));
	if (a.hls4ml_config)
		status = worse(status, emit_hls4ml(model, precision, &a));
	qk_precision_free(precision);
	qk_model_free(model);
	return status;
}

struct simulate_args {
	const char *path;
	const char *weights;
	const char *input;
	const char *output;
	const char *input_precision;
	int proxy;
	int fast;
};

static int parse_simulate_args(int argc, char **argv, struct simulate_args *a)
{
	const char *v;
	int have_mode = 0;

	memset(a, 0, sizeof(*a));
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];

		if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
			fputs(simulate_usage, stdout);
			return 1;
		} else if (strcmp(arg, "--fast") == 0) {
			a->fast = 1;
		} else if (qk_arg_value(argc, argv, &i, "--mode", &v)) {
			if (!v || (strcmp(v, "qkeras") && strcmp(v, "proxy")))
				return usage_error(simulate_usage,
						   "invalid --mode '%s' "
						   "(expected qkeras or proxy)",
						   v ? v : "");
			a->proxy = strcmp(v, "proxy") == 0;
			have_mode = 1;
		} else if (qk_arg_value(argc, argv, &i, "--input", &v)) {
			a->input = v;
		} else if (qk_arg_value(argc, argv, &i, "--output", &v)) {
			a->output = v;
		} else if (qk_arg_value(argc, argv, &i, "--input-precision",
				      &v)) {
			a->input_precision = v;
		} else if (qk_arg_value(argc, argv, &i, "--weights", &v)) {
			a->weights = v;
		} else if (arg[0] == '-' && arg[1] != '\0') {
			return usage_error(simulate_usage,
					   "unknown option '%s'", arg);
		} else if (a->path) {
			return usage_error(simulate_usage,
					   "simulate takes one model, got "
					   "'%s' too",
					   arg);
		} else {
			a->path = arg;
		}
	}
	if (!a->path)
		return usage_error(simulate_usage, "missing model file%s", "");
	if (!a->input || !a->output)
		return usage_error(simulate_usage, "missing %s",
				   !a->input ? "--input" : "--output");
	if (!have_mode)
		return usage_error(simulate_usage, "missing %s", "--mode");
	return 0;
}

/* Runs every row of x through one side and fills y. */
static void simulate_rows(struct qk_sim *sim, const struct simulate_args *a,
			  const struct qk_npy *x, size_t rows, float *row,
			  double *out, struct qk_npy *y)
{
	size_t n_in = qk_sim_input_size(sim);
	size_t n_out = qk_sim_output_size(sim);

	for (size_t r = 0; r < rows; r++) {
		for (size_t i = 0; i < n_in; i++)
			row[i] = (float)x->data[r * n_in + i];
		if (a->proxy) {
			qk_sim_run_proxy(sim, row);
			qk_sim_proxy_outputs(sim, out);
		} else {
			qk_sim_run_qkeras(sim, row);
			qk_sim_qkeras_outputs(sim, out);
		}
		memcpy(y->data + r * n_out, out, n_out * sizeof(double));
	}
}

static int simulate_file(struct qk_sim *sim, const struct simulate_args *a)
{
	struct qk_npy x = QK_NPY_INIT, y = QK_NPY_INIT;
	struct qk_err err = QK_ERR_INIT;
	size_t n_in = qk_sim_input_size(sim);
	size_t n_out = qk_sim_output_size(sim);
	const char *side;
	size_t rows;
	float *row = NULL;
	double *out = NULL;
	int rc = EXIT_USAGE;

	if (qk_npy_read(a->input, &x, &err) < 0) {
		/* The .npy reader's message starts with the path already. */
		fprintf(stderr, "qklint: error: %s\n", err.msg);
		return EXIT_USAGE;
	}
	for (size_t i = 0; i < x.count; i++) {
		if (!isfinite(x.data[i])) {
			char msg[128];

			snprintf(msg, sizeof(msg), "input element %zu is %s; "
				 "only finite inputs can be simulated", i,
				 isnan(x.data[i]) ? "NaN" : "infinite");
			rc = file_error(a->input, msg);
			goto out;
		}
	}
	rows = x.rank >= 1 ? (size_t)x.shape[0] : 0;
	if (x.rank < 1 || (rows && x.count / rows != n_in) ||
	    (!rows && x.count)) {
		char msg[256];

		snprintf(msg, sizeof(msg),
			 "invalid input shape: expected [batch, %zu] (batch "
			 "first, %zu values per row), got %zu values in %d "
			 "dimensions",
			 n_in, n_in, x.count, x.rank);
		rc = file_error(a->input, msg);
		goto out;
	}
	y.rank = 2;
	y.shape[0] = (int64_t)rows;
	y.shape[1] = (int64_t)n_out;
	y.count = rows * n_out;
	y.data = qk_calloc(y.count ? y.count : 1, sizeof(double));
	row = qk_calloc(n_in ? n_in : 1, sizeof(float));
	out = qk_calloc(n_out ? n_out : 1, sizeof(double));
	if (!y.data || !row || !out) {
		rc = file_error(a->output, "out of memory");
		goto out;
	}
	simulate_rows(sim, a, &x, rows, row, out, &y);
	if (qk_npy_write(a->output, &y, 0, &err) < 0) {
		rc = file_error(a->output, err.msg);
		goto out;
	}
	if (!a->proxy)
		side = "qkeras";
	else if (a->fast)
		side = "proxy (fast)";
	else
		side = "proxy (safe)";
	printf("%s: %s outputs of %zu input rows written to %s (float64, "
	       "shape [%zu, %zu])\n",
	       a->path, side, rows, a->output, rows, n_out);
	rc = 0;
out:
	free(row);
	free(out);
	qk_npy_release(&x);
	qk_npy_release(&y);
	return rc;
}

int qk_simulate_main(int argc, char **argv)
{
	struct simulate_args a;
	struct qk_fixed_type input_type;
	struct qk_sim_options options = {0, NULL};
	struct qk_err err = QK_ERR_INIT;
	struct qk_model *model;
	struct qk_sim *sim;
	int rc = parse_simulate_args(argc, argv, &a);

	if (rc)
		return rc == 1 ? 0 : rc;
	if (a.input_precision) {
		if (parse_input_type(a.path, a.input_precision, &input_type))
			return EXIT_USAGE;
		options.input_type = &input_type;
	}
	options.fast = a.fast;
	model = open_model(a.path, a.weights);
	if (!model)
		return EXIT_USAGE;
	if (writes_an_input(model, a.output) || same_file(a.output, a.input)) {
		if (same_file(a.output, a.input))
			fprintf(stderr, "qklint: error: %s: the output would "
				"overwrite the input; choose another output "
				"path\n", a.output);
		qk_model_free(model);
		return EXIT_USAGE;
	}
	sim = qk_sim_build(model, &options, &err);
	if (!sim) {
		qk_model_free(model);
		return file_error(a.path, err.msg);
	}
	for (size_t i = 0; i < qk_sim_n_outputs(sim); i++)
		if (!qk_sim_output(sim, i)->is_model_output)
			fprintf(stderr, "qklint: note: %s: %s is written "
				"instead of the output, because the layer it "
				"feeds is not exact\n",
				a.path, qk_sim_output(sim, i)->label);
	rc = simulate_file(sim, &a);
	qk_sim_free(sim);
	qk_model_free(model);
	return rc;
}

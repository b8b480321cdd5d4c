/*
 * qklint command line: lint, layers, rules, explain, verify, simulate.
 * Only this file chooses the exit status: 0 clean, 1 a finding at or
 * above fail-on, 2 usage, config or file errors (2 wins over 1).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../rules/rule.h"
#include "../verify/verify_cli.h"
#include "args.h"
#include "config.h"
#include "engine.h"
#include "layers.h"
#include "rules_doc.h"
#include "model.h"
#include "report.h"

#define EXIT_CLEAN 0
#define EXIT_FINDINGS 1
#define EXIT_USAGE 2

/* Guards the folder walk against symlink loops and absurd trees. */
#define QK_MAX_WALK_DEPTH 32
#define QK_MAX_FILES 100000

static const char usage_text[] =
	"usage: qklint [lint] [OPTIONS] FILE|DIR...\n"
	"       qklint layers [--weights FILE] FILE\n"
	"       qklint rules [--format text|json]\n"
	"       qklint explain [--format text|json] RULE\n"
	"       qklint verify [OPTIONS] FILE      (qklint verify --help)\n"
	"       qklint simulate [OPTIONS] FILE    (qklint simulate --help)\n"
	"\n"
	"Checks QKeras models (.h5, NAME.json + NAME_weights.h5, .keras) for\n"
	"the prerequisites of a bit-accurate fixed-point proxy conversion.\n"
	"\n"
	"Lint options:\n"
	"  --weights FILE        weights .h5 for a single architecture JSON\n"
	"  --config FILE         YAML config for every model (default: the\n"
	"                        nearest .qklint.yaml or .qklint.yml)\n"
	"  --no-config           ignore config files, use built-in defaults\n"
	"  --rule RULE=LEVEL     set a rule (ID or name) to off, info,\n"
	"                        warning or error; repeatable\n"
	"  --fail-on LEVEL       exit 1 on findings at error (default) or\n"
	"                        warning level\n"
	"  --exit-zero           exit 0 even with findings (never hides 2)\n"
	"  --format FORMAT       text (default), json, sarif or github\n"
	"  --color WHEN          auto (default), always or never\n"
	"  --statistics          print the number of findings per rule\n"
	"  --quiet               print only the summary line\n"
	"  --debug               show the HDF5 library's own error stack\n"
	"  -h, --help            show this help\n"
	"  --version             show the version\n"
	"\n"
	"Exit status: 0 clean, 1 findings at or above --fail-on, 2 usage,\n"
	"config or file errors.\n";

struct rule_override {
	const struct qk_rule *rule;
	enum qk_severity severity;
};

struct lint_args {
	const char *weights;
	const char *config;
	int no_config;
	int exit_zero;
	int debug;
	int fail_on_set;
	enum qk_severity fail_on;
	const char *color;
	struct qk_report_options report;
	struct rule_override *overrides;
	size_t n_overrides;
	char **paths;		/* files and folders as given; borrowed */
	size_t n_paths;
};

static int error_line(const char *file, const char *msg)
{
	if (file)
		fprintf(stderr, "qklint: error: %s: %s\n", file, msg);
	else
		fprintf(stderr, "qklint: error: %s\n", msg);
	return EXIT_USAGE;
}

static int parse_override(struct lint_args *a, const char *text)
{
	const char *eq = strchr(text, '=');
	char name[128];
	struct rule_override *grown;
	struct rule_override o;

	if (!eq || (size_t)(eq - text) >= sizeof(name)) {
		fprintf(stderr, "qklint: error: invalid --rule '%s': expected "
			"RULE=LEVEL\n", text);
		return -1;
	}
	memcpy(name, text, (size_t)(eq - text));
	name[eq - text] = '\0';
	o.rule = qk_rules_find(name);
	if (!o.rule) {
		fprintf(stderr, "qklint: error: unknown rule '%s' (see "
			"'qklint rules')\n", name);
		return -1;
	}
	if (qk_severity_parse(eq + 1, &o.severity)) {
		fprintf(stderr, "qklint: error: invalid level '%s' for rule %s:"
			" expected off, info, warning or error\n", eq + 1,
			o.rule->id);
		return -1;
	}
	grown = qk_reallocarray(a->overrides, a->n_overrides + 1,
				sizeof(*grown));
	if (!grown) {
		fprintf(stderr, "qklint: error: out of memory\n");
		return -1;
	}
	a->overrides = grown;
	a->overrides[a->n_overrides++] = o;
	return 0;
}

static int parse_fail_on(const char *value, enum qk_severity *out)
{
	if (value && strcmp(value, "error") == 0)
		*out = QK_SEV_ERROR;
	else if (value && strcmp(value, "warning") == 0)
		*out = QK_SEV_WARNING;
	else
		return -1;
	return 0;
}

static int missing_value(const char *option)
{
	fprintf(stderr, "qklint: error: option '%s' needs a value\n", option);
	return -1;
}

/* Returns 0 to go on, 1 when --help or --version was handled, -1 on error. */
static int parse_lint_args(int argc, char **argv, int start,
			   struct lint_args *a)
{
	int i, only_paths = 0;
	const char *v;

	a->color = "auto";
	a->paths = argv + start;
	for (i = start; i < argc; i++) {
		const char *arg = argv[i];

		if (!only_paths && strcmp(arg, "--") == 0) {
			only_paths = 1;
			continue;
		}
		if (only_paths) {
			argv[start + (int)a->n_paths++] = argv[i];
			continue;
		}

		if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
			fputs(usage_text, stdout);
			return 1;
		}
		if (strcmp(arg, "--version") == 0) {
			printf("qklint %s\n", QKLINT_VERSION);
			return 1;
		}
		if (arg[0] != '-' || strcmp(arg, "-") == 0) {
			argv[start + (int)a->n_paths++] = argv[i];
			continue;
		}
		if (strcmp(arg, "--no-config") == 0)
			a->no_config = 1;
		else if (strcmp(arg, "--exit-zero") == 0)
			a->exit_zero = 1;
		else if (strcmp(arg, "--statistics") == 0)
			a->report.statistics = 1;
		else if (strcmp(arg, "--quiet") == 0 || strcmp(arg, "-q") == 0)
			a->report.quiet = 1;
		else if (strcmp(arg, "--debug") == 0)
			a->debug = 1;
		else if (qk_arg_value(argc, argv, &i, "--weights", &v)) {
			if (!v)
				return missing_value("--weights");
			a->weights = v;
		} else if (qk_arg_value(argc, argv, &i, "--config", &v)) {
			if (!v)
				return missing_value("--config");
			a->config = v;
		} else if (qk_arg_value(argc, argv, &i, "--rule", &v)) {
			if (!v)
				return missing_value("--rule");
			if (parse_override(a, v))
				return -1;
		} else if (qk_arg_value(argc, argv, &i, "--fail-on", &v)) {
			if (parse_fail_on(v, &a->fail_on)) {
				fprintf(stderr, "qklint: error: invalid "
					"--fail-on '%s': expected error or "
					"warning\n", v ? v : "");
				return -1;
			}
			a->fail_on_set = 1;
		} else if (qk_arg_value(argc, argv, &i, "--format", &v)) {
			if (!v || qk_output_format_parse(v,
							 &a->report.format)) {
				fprintf(stderr, "qklint: error: invalid "
					"--format '%s': expected text, json, "
					"sarif or github\n", v ? v : "");
				return -1;
			}
		} else if (qk_arg_value(argc, argv, &i, "--color", &v)) {
			if (!v || (strcmp(v, "auto") && strcmp(v, "always") &&
				   strcmp(v, "never"))) {
				fprintf(stderr, "qklint: error: invalid "
					"--color '%s': expected auto, always "
					"or never\n", v ? v : "");
				return -1;
			}
			a->color = v;
		} else {
			fprintf(stderr, "qklint: error: unknown option '%s' "
				"(see 'qklint --help')\n", arg);
			return -1;
		}
	}
	if (!a->n_paths) {
		fprintf(stderr, "qklint: error: no model file given\n%s",
			usage_text);
		return -1;
	}
	if (a->weights && a->n_paths != 1) {
		fprintf(stderr, "qklint: error: --weights needs exactly one "
			"model file\n");
		return -1;
	}
	if (a->no_config && a->config) {
		fprintf(stderr, "qklint: error: --config and --no-config "
			"contradict each other; pass one of them\n");
		return -1;
	}
	return 0;
}

static int use_color(const char *when)
{
	const char *term = getenv("TERM");

	if (strcmp(when, "always") == 0)
		return 1;
	if (strcmp(when, "never") == 0)
		return 0;
	if (getenv("NO_COLOR") && getenv("NO_COLOR")[0])
		return 0;
	return isatty(STDOUT_FILENO) && !(term && strcmp(term, "dumb") == 0);
}

/* A list of model files found from the command-line paths. */
struct file_list {
	char **paths;		/* owned */
	size_t n;
	size_t capacity;
	int errors;		/* paths that could not be walked */
};

static int list_add(struct file_list *l, const char *path)
{
	char *copy;

	if (l->n >= QK_MAX_FILES)
		return -1;
	if (l->n == l->capacity) {
		size_t cap = l->capacity ? l->capacity * 2 : 16;
		char **grown = qk_reallocarray(l->paths, cap, sizeof(char *));

		if (!grown)
			return -1;
		l->paths = grown;
		l->capacity = cap;
	}
	copy = qk_strdup(path);
	if (!copy)
		return -1;
	l->paths[l->n++] = copy;
	return 0;
}

static int has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

static int file_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* An architecture JSON starts with a Keras "class_name" key. */
static int is_model_json(const char *path)
{
	char buf[512];
	size_t n;
	FILE *f = fopen(path, "rb");

	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return strstr(buf, "\"class_name\"") != NULL &&
	       (strstr(buf, "\"Sequential\"") || strstr(buf, "\"Functional\"")
		|| strstr(buf, "\"Model\""));
}

/* NAME_weights.h5 beside NAME.json is checked with the JSON. */
static int is_companion_weights(const char *path)
{
	size_t n = strlen(path);
	char *json;
	int found;

	if (!has_suffix(path, "_weights.h5"))
		return 0;
	json = qk_asprintf("%.*s.json", (int)(n - strlen("_weights.h5")),
			   path);
	if (!json)
		return 0;
	found = file_exists(json);
	free(json);
	return found;
}

static int is_model_candidate(const char *path)
{
	if (has_suffix(path, ".json"))
		return is_model_json(path);
	if (has_suffix(path, ".h5") || has_suffix(path, ".hdf5"))
		return !is_companion_weights(path);
	return has_suffix(path, ".keras");
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void walk_folder(struct file_list *l, const char *dir, int depth)
{
	DIR *d;
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, i;
	struct stat st;

	if (depth > QK_MAX_WALK_DEPTH)
		return;
	d = opendir(dir);
	if (!d) {
		fprintf(stderr, "qklint: error: %s: cannot open folder: %s\n",
			dir, strerror(errno));
		l->errors++;
		return;
	}
	while ((e = readdir(d)) != NULL) {
		char **grown;

		if (e->d_name[0] == '.')
			continue;	/* hidden entries, .git among them */
		grown = qk_reallocarray(names, n + 1, sizeof(char *));
		if (!grown)
			break;
		names = grown;
		names[n] = qk_asprintf("%s/%s", dir, e->d_name);
		if (names[n])
			n++;
	}
	closedir(d);
	if (n > 1)
		qsort(names, n, sizeof(char *), compare_names);
	for (i = 0; i < n; i++) {
		if (lstat(names[i], &st) == 0 && S_ISDIR(st.st_mode))
			walk_folder(l, names[i], depth + 1);
		else if (stat(names[i], &st) == 0 && S_ISREG(st.st_mode) &&
			 is_model_candidate(names[i]))
			list_add(l, names[i]);
		free(names[i]);
	}
	free(names);
}

static int listed(const struct file_list *l, const char *path)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->paths[i], path) == 0)
			return 1;
	return 0;
}

/*
 * Lints NAME.json in place of NAME_weights.h5, once, so that a commit
 * that changes only the weights still has its model checked.
 */
static void add_model_json(struct file_list *l, const char *weights)
{
	size_t n = strlen(weights) - strlen("_weights.h5");
	char *json = qk_asprintf("%.*s.json", (int)n, weights);

	if (!json)
		return;
	if (!listed(l, json))
		list_add(l, json);
	free(json);
}

static void collect_files(struct file_list *l, char **paths, size_t n)
{
	struct stat st;
	size_t i;

	for (i = 0; i < n; i++) {
		size_t before = l->n;

		if (is_companion_weights(paths[i])) {
			add_model_json(l, paths[i]);
			continue;
		}
		if (stat(paths[i], &st) != 0 || !S_ISDIR(st.st_mode)) {
			if (!listed(l, paths[i]))
				list_add(l, paths[i]);	/* errors on load */
			continue;
		}
		walk_folder(l, paths[i], 0);
		/* A gate given a mistyped or empty folder must not pass. */
		if (l->n == before) {
			fprintf(stderr, "qklint: error: %s: folder contains no "
				"model files (.h5, .hdf5, .keras or model "
				".json)\n", paths[i]);
			l->errors++;
		}
	}
}

static void list_release(struct file_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->paths[i]);
	free(l->paths);
}

/* Resolves the config for one model: file, then command-line options. */
static int config_for(const struct lint_args *a, const char *model_path,
		      struct qk_config *config, struct qk_err *err)
{
	size_t i;

	if (qk_config_resolve(config, a->config, a->no_config, model_path,
			      err))
		return -1;
	for (i = 0; i < a->n_overrides; i++)
		qk_config_rule_mut(config, a->overrides[i].rule)->severity =
			a->overrides[i].severity;
	if (a->fail_on_set)
		config->fail_on = a->fail_on;
	return 0;
}

static int worst_severity(const struct qk_sink *sink)
{
	size_t i;
	int worst = QK_SEV_OFF;

	for (i = 0; i < sink->n_findings; i++)
		if ((int)sink->findings[i].severity > worst)
			worst = (int)sink->findings[i].severity;
	return worst;
}

/* Loads and lints one file; returns its exit status contribution. */
static int lint_one(const struct lint_args *a, const char *path,
		    struct qk_file_result *r)
{
	struct qk_err err = QK_ERR_INIT;
	struct qk_open_options opts = { a->weights, a->debug };
	struct qk_config config = { 0 };
	struct qk_model *model;
	int status = EXIT_CLEAN;

	r->path = qk_strdup(path);
	if (config_for(a, path, &config, &err)) {
		qk_config_release(&config);
		r->error = qk_strdup(err.msg);
		error_line(NULL, err.msg);
		return EXIT_USAGE;
	}
	model = qk_model_open(path, &opts, &err);
	if (!model) {
		r->error = qk_strdup(err.msg);
		error_line(path, err.msg);
		qk_config_release(&config);
		return EXIT_USAGE;
	}
	r->loaded = 1;
	r->kind = model->kind;
	r->format = model->format;
	r->n_layers = model->n_layers;
	if (qk_lint_model(model, &config, path, &r->sink, &err)) {
		error_line(path, err.msg);
		status = EXIT_USAGE;
	} else if (worst_severity(&r->sink) >= (int)config.fail_on) {
		status = EXIT_FINDINGS;
	}
	qk_model_free(model);
	qk_config_release(&config);
	return status;
}

static int cmd_lint(int argc, char **argv, int start)
{
	struct lint_args a = { 0 };
	struct file_list files = { 0 };
	struct qk_file_result *results = NULL;
	struct qk_err err = QK_ERR_INIT;
	int status = EXIT_CLEAN, rc;
	size_t i;

	a.fail_on = QK_SEV_ERROR;
	rc = parse_lint_args(argc, argv, start, &a);
	if (rc) {
		free(a.overrides);
		return rc > 0 ? EXIT_CLEAN : EXIT_USAGE;
	}
	a.report.color = use_color(a.color) &&
			 a.report.format == QK_OUT_TEXT;
	collect_files(&files, a.paths, a.n_paths);
	if (files.errors)
		status = EXIT_USAGE;
	results = qk_calloc(files.n, sizeof(*results));
	if (!results) {
		list_release(&files);
		free(a.overrides);
		return error_line(NULL, "out of memory");
	}
	for (i = 0; i < files.n; i++) {
		rc = lint_one(&a, files.paths[i], &results[i]);
		if (rc > status)
			status = rc;
	}
	if (qk_report_write(stdout, results, files.n, &a.report, &err) ||
	    fflush(stdout) != 0) {
		error_line(NULL, err.msg[0] ? err.msg :
			   "cannot write the report");
		status = EXIT_USAGE;
	}
	for (i = 0; i < files.n; i++)
		qk_file_result_release(&results[i]);
	free(results);
	list_release(&files);
	free(a.overrides);
	if (status == EXIT_FINDINGS && a.exit_zero)
		status = EXIT_CLEAN;
	return status;
}

static int cmd_layers(int argc, char **argv)
{
	struct qk_open_options opts = { NULL, 0 };
	struct qk_err err = QK_ERR_INIT;
	const char *path = NULL, *v;
	struct qk_model *model;
	int i;

	for (i = 2; i < argc; i++) {
		if (qk_arg_value(argc, argv, &i, "--weights", &v)) {
			if (!v)
				return missing_value("--weights"), EXIT_USAGE;
			opts.weights_path = v;
		} else if (strcmp(argv[i], "--debug") == 0) {
			opts.debug = 1;
		} else if (argv[i][0] == '-') {
			fprintf(stderr, "qklint: error: unknown option '%s' "
				"for 'layers'\n", argv[i]);
			return EXIT_USAGE;
		} else if (path) {
			fprintf(stderr, "qklint: error: 'layers' takes one "
				"model file\n");
			return EXIT_USAGE;
		} else {
			path = argv[i];
		}
	}
	if (!path)
		return error_line(NULL, "no model file given (usage: qklint "
				  "layers FILE)");
	model = qk_model_open(path, &opts, &err);
	if (!model)
		return error_line(path, err.msg);
	qk_layers_write(stdout, model);
	qk_model_free(model);
	return EXIT_CLEAN;
}

static int want_json(int argc, char **argv, int start, const char **rest)
{
	int i, json = 0;
	const char *v;

	*rest = NULL;
	for (i = start; i < argc; i++) {
		if (qk_arg_value(argc, argv, &i, "--format", &v)) {
			if (!v || (strcmp(v, "json") && strcmp(v, "text"))) {
				fprintf(stderr, "qklint: error: invalid "
					"--format '%s': expected text or "
					"json\n", v ? v : "");
				return -1;
			}
			json = strcmp(v, "json") == 0;
		} else if (argv[i][0] == '-') {
			return -1;
		} else {
			*rest = argv[i];
		}
	}
	return json;
}

static int cmd_rules(int argc, char **argv)
{
	const char *rest;
	int json = want_json(argc, argv, 2, &rest);

	if (json < 0 || rest)
		return error_line(NULL, "usage: qklint rules [--format "
				  "text|json]");
	return qk_rules_write(stdout, json) ? EXIT_USAGE : EXIT_CLEAN;
}

/* Explains every rule named on the command line, in order. */
static int cmd_explain(int argc, char **argv)
{
	const char *name;
	int json = want_json(argc, argv, 2, &name);
	const struct qk_rule *rule;
	int i, n = 0, status = EXIT_CLEAN;
	const char *v;

	if (json < 0 || !name)
		return error_line(NULL, "usage: qklint explain [--format "
				  "text|json] RULE...");
	if (json && argc - 2 > 3)
		return error_line(NULL, "explain --format json takes one rule");
	for (i = 2; i < argc; i++) {
		if (qk_arg_value(argc, argv, &i, "--format", &v))
			continue;
		rule = qk_rules_find(argv[i]);
		if (!rule) {
			fprintf(stderr, "qklint: error: unknown rule '%s' (see "
				"'qklint rules')\n", argv[i]);
			status = EXIT_USAGE;
			continue;
		}
		if (n++ && !json)
			fputs("\n", stdout);
		if (qk_rule_explain_write(stdout, rule, json))
			status = EXIT_USAGE;
	}
	return status;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;

	if (!cmd) {
		fputs(usage_text, stderr);
		return EXIT_USAGE;
	}
	if (strcmp(cmd, "lint") == 0)
		return cmd_lint(argc, argv, 2);
	if (strcmp(cmd, "layers") == 0)
		return cmd_layers(argc, argv);
	if (strcmp(cmd, "rules") == 0)
		return cmd_rules(argc, argv);
	if (strcmp(cmd, "explain") == 0)
		return cmd_explain(argc, argv);
	if (strcmp(cmd, "verify") == 0)
		return qk_verify_main(argc - 1, argv + 1);
	if (strcmp(cmd, "simulate") == 0)
		return qk_simulate_main(argc - 1, argv + 1);
	return cmd_lint(argc, argv, 1);
}

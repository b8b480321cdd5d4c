/* realpath() is an XSI extension, outside _POSIX_C_SOURCE. */
#define _XOPEN_SOURCE 700

#include <criterion/criterion.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lint/config.h"
#include "lint/config_bundled.h"

/* ---- helpers ---- */

static char *make_temp_dir(void)
{
	char *dir = strdup("/tmp/qklint-config-XXXXXX");

	cr_assert_not_null(dir);
	cr_assert_not_null(mkdtemp(dir), "mkdtemp failed");
	return dir;
}

/* Creates dir/rel and its parent folders, with text as content. */
static char *write_file(const char *dir, const char *rel, const char *text)
{
	char *path = qk_asprintf("%s/%s", dir, rel);
	char *p;
	FILE *f;

	cr_assert_not_null(path);
	for (p = path + strlen(dir) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdir(path, 0700);
		*p = '/';
	}
	f = fopen(path, "w");
	cr_assert_not_null(f, "cannot create %s", path);
	fputs(text, f);
	fclose(f);
	return path;
}

static void make_dir(const char *dir, const char *rel)
{
	char *path = qk_asprintf("%s/%s", dir, rel);
	char *p;

	cr_assert_not_null(path);
	for (p = path + strlen(dir) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdir(path, 0700);
		*p = '/';
	}
	mkdir(path, 0700);
	free(path);
}

static void remove_tree(const char *dir)
{
	char *command = qk_asprintf("rm -rf '%s'", dir);

	cr_assert_not_null(command);
	cr_assert_eq(system(command), 0);
	free(command);
}

static char *read_whole(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *text;
	long size;

	cr_assert_not_null(f, "cannot open %s", path);
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	fseek(f, 0, SEEK_SET);
	text = calloc((size_t)size + 1, 1);
	cr_assert_not_null(text);
	cr_assert_eq(fread(text, 1, (size_t)size, f), (size_t)size);
	fclose(f);
	return text;
}

/* Loads text into a fresh config and returns the load status. */
static int load(struct qk_config *config, const char *text,
		struct qk_err *err)
{
	cr_assert_eq(qk_config_init(config, err), 0, "%s", err->msg);
	return qk_config_load_text(config, text, strlen(text), "t.yaml", err);
}

/* Asserts that text fails to load with exactly message. */
static void expect_error(const char *text, const char *message)
{
	struct qk_config config;
	struct qk_err err = QK_ERR_INIT;

	cr_assert_eq(load(&config, text, &err), -1, "loaded: %s", text);
	cr_expect_str_eq(err.msg, message);
	qk_config_release(&config);
}

static enum qk_severity level_of(const struct qk_config *config,
				 const char *id)
{
	const struct qk_rule *rule = qk_rules_find(id);

	cr_assert_not_null(rule, "no rule %s", id);
	return qk_config_rule(config, rule)->severity;
}

/* Finds a rule with an option of this type, or skips the test. */
static const struct qk_rule *rule_with_option(enum qk_option_type type,
					      size_t *index)
{
	const struct qk_rule *rule;
	size_t i, j;

	for (i = 0; i < qk_rules_count(); i++) {
		rule = qk_rules_at(i);
		if (rule->status == QK_RULE_REMOVED)
			continue;
		for (j = 0; j < rule->n_options; j++) {
			if (rule->options[j].type == type) {
				*index = j;
				return rule;
			}
		}
	}
	cr_skip_test("no registered rule has an option of this type");
	return NULL;
}

static const struct qk_rule *first_active_rule(void)
{
	size_t i;

	for (i = 0; i < qk_rules_count(); i++)
		if (qk_rules_at(i)->status != QK_RULE_REMOVED)
			return qk_rules_at(i);
	cr_assert_fail("no active rule registered");
	return NULL;
}

/* ---- defaults, bundled configs ---- */

Test(config, init_uses_rule_defaults)
{
	struct qk_config config;
	struct qk_err err = QK_ERR_INIT;
	const struct qk_rule *rule;
	size_t i;

	cr_assert_eq(qk_config_init(&config, &err), 0);
	cr_assert_eq(config.n_rules, qk_rules_count());
	cr_expect_str_eq(config.source, "(defaults)");
	cr_expect_eq(config.fail_on, QK_SEV_ERROR);
	cr_expect_eq(config.n_ignores, 0);
	for (i = 0; i < config.n_rules; i++) {
		rule = qk_rules_at(i);
		cr_expect_eq(config.rules[i].rule, rule);
		if (rule->status == QK_RULE_REMOVED)
			cr_expect_eq(config.rules[i].severity, QK_SEV_OFF);
		else
			cr_expect_eq(config.rules[i].severity, rule->severity,
				     "rule %s", rule->id);
	}
	qk_config_release(&config);
}

Test(config, bundled_default_matches_file)
{
	char *path = qk_asprintf("%s/configs/default.yaml", QK_SOURCE_DIR);
	char *text = read_whole(path);

	cr_expect_str_eq(qk_config_default_yaml, text,
			 "lint/config_bundled.c differs from %s", path);
	free(text);
	free(path);
}

Test(config, bundled_strict_matches_file)
{
	char *path = qk_asprintf("%s/configs/strict.yaml", QK_SOURCE_DIR);
	char *text = read_whole(path);

	cr_expect_str_eq(qk_config_strict_yaml, text,
			 "lint/config_bundled.c differs from %s", path);
	free(text);
	free(path);
}

Test(config, default_yaml_names_every_rule)
{
	const struct qk_rule *rule;
	char *line;
	size_t i;

	for (i = 0; i < qk_rules_count(); i++) {
		rule = qk_rules_at(i);
		line = qk_asprintf("\n  %s:", rule->id);
		cr_expect_not_null(strstr(qk_config_default_yaml, line),
				   "configs/default.yaml lacks rule %s",
				   rule->id);
		free(line);
	}
}

/* Loading default.yaml over all-off rules restores every default. */
Test(config, default_yaml_restores_defaults)
{
	struct qk_config config, reference;
	struct qk_err err = QK_ERR_INIT;
	const char *text = qk_config_default_yaml;
	size_t i, j;

	cr_assert_eq(qk_config_init(&reference, &err), 0);
	cr_assert_eq(qk_config_init(&config, &err), 0);
	for (i = 0; i < config.n_rules; i++) {
		config.rules[i].severity = QK_SEV_OFF;
		for (j = 0; j < QK_MAX_OPTIONS; j++)
			config.rules[i].int_value[j] = -12345;
	}
	cr_assert_eq(qk_config_load_text(&config, text, strlen(text),
					 "default.yaml", &err),
		     0, "%s", err.msg);
	for (i = 0; i < config.n_rules; i++) {
		cr_expect_eq(config.rules[i].severity,
			     reference.rules[i].severity, "rule %s",
			     config.rules[i].rule->id);
		for (j = 0; j < config.rules[i].rule->n_options; j++) {
			if (config.rules[i].rule->options[j].type ==
			    QK_OPT_STRING)
				continue;
			cr_expect_eq(config.rules[i].int_value[j],
				     reference.rules[i].int_value[j],
				     "rule %s option %s",
				     config.rules[i].rule->id,
				     config.rules[i].rule->options[j].name);
		}
	}
	qk_config_release(&config);
	qk_config_release(&reference);
}

Test(config, extends_strict)
{
	struct qk_config config;
	struct qk_err err = QK_ERR_INIT;
	size_t i;

	cr_assert_eq(load(&config, "extends: strict\n", &err), 0, "%s",
		     err.msg);
	cr_expect_eq(config.fail_on, QK_SEV_WARNING);
	for (i = 0; i < config.n_rules; i++) {
		if (config.rules[i].rule->status == QK_RULE_REMOVED)
			continue;
		cr_expect_eq(config.rules[i].severity, QK_SEV_ERROR,
			     "rule %s", config.rules[i].rule->id);
	}
	qk_config_release(&config);
}

Test(config, example_configs_load)
{
	static const char *const names[] = {
		"default.yaml", "strict.yaml", "ci.yaml"
	};
	struct qk_config config;
	struct qk_err err = QK_ERR_INIT;
	char *path;
	size_t i;

	for (i = 0; i < 3; i++) {
		path = qk_asprintf("%s/configs/%s", QK_SOURCE_DIR, names[i]);
		cr_assert_eq(qk_config_init(&config, &err), 0);
		cr_expect_eq(qk_config_load(&config, path, &err), 0, "%s",
			     err.msg);
		qk_config_release(&config);
		free(path);
	}
}

/* ---- levels and options ---- */

Test(config, rule_level_by_id_and_name)
{
	struct qk_config config;
	struct qk_err err = QK_ERR_INIT;
	const struct qk_rule *rule = qk_rules_find("QK001");
	char *text;

	cr_assert_not_null(rule);
	text = qk_asprintf("rules:\n  QK001: info\n");
	cr_assert_eq(load(&config, text, &err), 0, "%s", err.msg);
	cr_expect_eq(level_of(&config, "QK001"), QK_SEV_INFO);
	qk_config_release(&config);
	free(text);

	text = qk_asprintf("rules:\n  %s:\n    level: off\n", rule->name);
	cr_assert_eq(load(&config, text, &err), 0, "%s", err.msg);
	cr_expect_eq(level_of(&config, "QK001"), QK_SEV_OFF);
	qk_config_release(&config);
	free(text);
}

Test(config, enable_and_disable)
{
	struct qk_config config;
	struct qk_err err = QK_ERR_INIT;
	const struct qk_rule *rule = first_active_rule();
	char *text;

	text = qk_asprintf("rules:\n  %s: disable\n", rule->id);
	cr_assert_eq(load(&config, text, &err), 0, "%s", err.msg);
	cr_expect_eq(level_of(&config, rule->id), QK_SEV_OFF);
	qk_config_release(&config);
	free(text);

	text = qk_asprintf("rules:\n  %s: enable\n", rule->id);
	cr_assert_eq(load(&config, text, &err), 0, "%s", err.msg);
	cr_expect_eq(level_of(&config, rule->id), rule->severity);
	qk_config_release(&config);
	free(text);
}

Test(config, int_option_set)
{
	struct qk_config config;
	struct qk_err err = QK_ERR_INIT;
	size_t index;
	const struct qk_rule *rule = rule_with_option(QK_OPT_INT, &index);
	const char *name = rule->options[index].name;
	char *text;

	text = qk_asprintf("rules:\n  %s:\n    level: error\n    %s: 7\n",
			   rule->id, name);
	cr_assert_eq(load(&config, text, &err), 0, "%s", err.msg);
	cr_expect_eq(qk_config_rule(&config, rule)->int_value[index], 7);
	cr_expect_eq(qk_rule_conf_int(qk_config_rule(&config, rule), name),
		     7);
	cr_expect_eq(level_of(&config, rule->id), QK_SEV_ERROR);
	qk_config_release(&config);
	free(text);
}

/* A rule's mapping without level keeps the level it had. */
Test(config, option_without_level_keeps_level)
{
	struct qk_config config;
	struct qk_err err = QK_ERR_INIT;
	size_t index;
	const struct qk_rule *rule = rule_with_option(QK_OPT_INT, &index);
	char *text;

	text = qk_asprintf("rules:\n  %s:\n    %s: 9\n", rule->id,
			   rule->options[index].name);
	cr_assert_eq(load(&config, text, &err), 0, "%s", err.msg);
	cr_expect_eq(level_of(&config, rule->id), rule->severity);
	cr_expect_eq(qk_config_rule(&config, rule)->int_value[index], 9);
	qk_config_release(&config);
	free(text);
}

Test(config, threshold_applies_to_every_rule)
{
	struct qk_config config;
	struct qk_err err = QK_ERR_INIT;
	size_t index, i, j, hits = 0;
	const struct qk_rule *rule = rule_with_option(QK_OPT_INT, &index);
	const char *name = rule->options[index].name;
	const struct qk_rule_conf *conf;
	char *text;

	text = qk_asprintf("thresholds:\n  %s: 11\n", name);
	cr_assert_eq(load(&config, text, &err), 0, "%s", err.msg);
	for (i = 0; i < config.n_rules; i++) {
		conf = &config.rules[i];
		for (j = 0; j < conf->rule->n_options; j++) {
			if (strcmp(conf->rule->options[j].name, name))
				continue;
			cr_expect_eq(conf->int_value[j], 11, "rule %s",
				     conf->rule->id);
			hits++;
		}
	}
	cr_expect_geq(hits, 1);
	qk_config_release(&config);
	free(text);
}

/* Within one file a rule's own option wins over the shared threshold. */
Test(config, rule_option_beats_threshold)
{
	struct qk_config config;
	struct qk_err err = QK_ERR_INIT;
	size_t index;
	const struct qk_rule *rule = rule_with_option(QK_OPT_INT, &index);
	const char *name = rule->options[index].name;
	char *text;

	text = qk_asprintf("rules:\n  %s:\n    %s: 13\n"
			   "thresholds:\n  %s: 11\n",
			   rule->id, name, name);
	cr_assert_eq(load(&config, text, &err), 0, "%s", err.msg);
	cr_expect_eq(qk_config_rule(&config, rule)->int_value[index], 13);
	qk_config_release(&config);
	free(text);
}

Test(config, fail_on_warning)
{
	struct qk_config config;
	struct qk_err err = QK_ERR_INIT;

	cr_assert_eq(load(&config, "fail-on: warning\n", &err), 0, "%s",
		     err.msg);
	cr_expect_eq(config.fail_on, QK_SEV_WARNING);
	qk_config_release(&config);
}

Test(config, empty_and_null_documents)
{
	static const char *const texts[] = {
		"", "# only a comment\n", "---\n", "rules:\nignore:\n"
	};
	struct qk_config config;
	struct qk_err err = QK_ERR_INIT;
	size_t i;

	for (i = 0; i < 4; i++) {
		cr_expect_eq(load(&config, texts[i], &err), 0, "'%s': %s",
			     texts[i], err.msg);
		cr_expect_eq(config.n_ignores, 0);
		qk_config_release(&config);
	}
}

/* ---- precedence ---- */

Test(config, later_load_overrides_earlier)
{
	struct qk_config config;
	struct qk_err err = QK_ERR_INIT;
	char *dir = make_temp_dir();
	char *first = write_file(dir, "first.yaml", "fail-on: warning\n"
				 "rules:\n  QK001: warning\n");
	char *second = write_file(dir, "second.yaml",
				  "rules:\n  QK001: info\n");

	cr_assert_eq(qk_config_init(&config, &err), 0);
	cr_assert_eq(qk_config_load(&config, first, &err), 0, "%s", err.msg);
	cr_expect_eq(level_of(&config, "QK001"), QK_SEV_WARNING);
	cr_assert_eq(qk_config_load(&config, second, &err), 0, "%s",
		     err.msg);
	cr_expect_eq(level_of(&config, "QK001"), QK_SEV_INFO);
	cr_expect_eq(config.fail_on, QK_SEV_WARNING);
	cr_expect_str_eq(config.source, second);
	cr_expect_str_eq(config.base_dir, dir);
	qk_config_release(&config);
	remove_tree(dir);
	free(first);
	free(second);
	free(dir);
}

Test(config, file_overrides_extends)
{
	struct qk_config config;
	struct qk_err err = QK_ERR_INIT;
	char *dir = make_temp_dir();
	char *base = write_file(dir, "base/base.yaml",
				"fail-on: warning\n"
				"rules:\n  QK001: warning\n");
	/* extends comes last in the file but still applies first. */
	char *child = write_file(dir, "child.yaml",
				 "rules:\n  QK001: info\n"
				 "extends: base/base.yaml\n");

	cr_assert_eq(qk_config_init(&config, &err), 0);
	cr_assert_eq(qk_config_load(&config, child, &err), 0, "%s", err.msg);
	cr_expect_eq(level_of(&config, "QK001"), QK_SEV_INFO);
	cr_expect_eq(config.fail_on, QK_SEV_WARNING);
	cr_expect_str_eq(config.source, child);
	qk_config_release(&config);
	remove_tree(dir);
	free(base);
	free(child);
	free(dir);
}

Test(config, extends_relative_to_config_dir)
{
	struct qk_config config;
	struct qk_err err = QK_ERR_INIT;
	char *dir = make_temp_dir();
	char *leaf = write_file(dir, "a/shared/leaf.yaml",
				"rules:\n  QK001: info\n");
	char *middle = write_file(dir, "a/shared/middle.yaml",
				  "extends: leaf.yaml\n");
	char *top = write_file(dir, "a/top.yaml",
			       "extends: shared/middle.yaml\n");

	cr_assert_eq(qk_config_init(&config, &err), 0);
	cr_assert_eq(qk_config_load(&config, top, &err), 0, "%s", err.msg);
	cr_expect_eq(level_of(&config, "QK001"), QK_SEV_INFO);
	qk_config_release(&config);
	remove_tree(dir);
	free(leaf);
	free(middle);
	free(top);
	free(dir);
}

Test(config, failed_load_changes_nothing)
{
	struct qk_config config;
	struct qk_err err = QK_ERR_INIT;
	const char *text = "fail-on: warning\nrules:\n  QK001: info\n"
			   "ignore:\n  - x.h5\n  - rules: NOPE\n";

	cr_assert_eq(qk_config_init(&config, &err), 0);
	cr_assert_eq(qk_config_load_text(&config, text, strlen(text),
					 "t.yaml", &err),
		     -1);
	cr_expect_eq(config.fail_on, QK_SEV_ERROR);
	cr_expect_eq(level_of(&config, "QK001"),
		     qk_rules_find("QK001")->severity);
	cr_expect_eq(config.n_ignores, 0);
	cr_expect_str_eq(config.source, "(defaults)");
	qk_config_release(&config);
}

/* ---- invalid config messages ---- */

Test(config, error_unknown_rule)
{
	expect_error("rules:\n  QK0O1: error\n",
		     "invalid config: t.yaml:2:3: unknown rule 'QK0O1'");
}

Test(config, error_int_option_type)
{
	size_t index;
	const struct qk_rule *rule = rule_with_option(QK_OPT_INT, &index);
	const char *name = rule->options[index].name;
	char *text = qk_asprintf("rules:\n  %s:\n    %s: abc\n", rule->id,
				 name);
	char *message = qk_asprintf("invalid config: t.yaml:3:%zu: expected "
				    "an integer for option '%s' of rule %s, "
				    "got 'abc'",
				    strlen(name) + 7, name, rule->id);

	expect_error(text, message);
	free(text);
	free(message);
}

Test(config, error_bool_option_type)
{
	size_t index;
	const struct qk_rule *rule = rule_with_option(QK_OPT_BOOL, &index);
	const char *name = rule->options[index].name;
	char *text = qk_asprintf("rules:\n  %s:\n    %s: maybe\n", rule->id,
				 name);
	char *message = qk_asprintf("invalid config: t.yaml:3:%zu: expected "
				    "true or false for option '%s' of rule "
				    "%s, got 'maybe'",
				    strlen(name) + 7, name, rule->id);

	expect_error(text, message);
	free(text);
	free(message);
}

Test(config, error_threshold_type)
{
	size_t index;
	const struct qk_rule *rule = rule_with_option(QK_OPT_INT, &index);
	const char *name = rule->options[index].name;
	char *text = qk_asprintf("thresholds:\n  %s: wide\n", name);
	char *message = qk_asprintf("invalid config: t.yaml:2:%zu: expected "
				    "an integer for threshold '%s', got "
				    "'wide'",
				    strlen(name) + 5, name);

	expect_error(text, message);
	free(text);
	free(message);
}

Test(config, error_unknown_option)
{
	expect_error("rules:\n  QK001:\n    max-bit: 3\n",
		     "invalid config: t.yaml:3:5: unknown option 'max-bit' "
		     "for rule QK001");
}

Test(config, error_unknown_threshold)
{
	expect_error("thresholds:\n  no-such-threshold: 3\n",
		     "invalid config: t.yaml:2:3: unknown threshold "
		     "'no-such-threshold' (no rule has an option of that "
		     "name)");
}

Test(config, error_unknown_key)
{
	expect_error("rule:\n  QK001: off\n",
		     "invalid config: t.yaml:1:1: unknown key 'rule' "
		     "(expected extends, fail-on, thresholds, rules or "
		     "ignore)");
}

Test(config, error_sequence_for_scalar)
{
	expect_error("fail-on: [error]\n",
		     "invalid config: t.yaml:1:10: expected a scalar for "
		     "fail-on, got a sequence");
	expect_error("rules:\n  QK001: [error]\n",
		     "invalid config: t.yaml:2:10: expected a level or a "
		     "mapping for rule QK001, got a sequence");
	expect_error("rules:\n  QK001:\n    level: {a: b}\n",
		     "invalid config: t.yaml:3:12: expected a level for rule "
		     "QK001, got a mapping");
	expect_error("rules: [QK001]\n",
		     "invalid config: t.yaml:1:8: expected a mapping for "
		     "rules, got a sequence");
	expect_error("- rules\n",
		     "invalid config: t.yaml:1:1: expected a mapping at the "
		     "top level, got a sequence");
}

Test(config, error_bad_level)
{
	expect_error("rules:\n  QK001: fatal\n",
		     "invalid config: t.yaml:2:10: invalid level 'fatal' for "
		     "rule QK001 (expected off, info, warning, error, enable "
		     "or disable)");
}

Test(config, error_bad_fail_on)
{
	expect_error("fail-on: info\n",
		     "invalid config: t.yaml:1:10: expected error or warning "
		     "for fail-on, got 'info'");
}

Test(config, error_duplicate_key)
{
	expect_error("fail-on: error\nfail-on: warning\n",
		     "invalid config: t.yaml:2:1: duplicate key 'fail-on'");
}

Test(config, error_rule_twice_by_id_and_name)
{
	const struct qk_rule *rule = qk_rules_find("QK001");
	char *text, *message;

	cr_assert_not_null(rule);
	text = qk_asprintf("rules:\n  QK001: off\n  %s: info\n", rule->name);
	message = qk_asprintf("invalid config: t.yaml:3:3: rule QK001 is "
			      "configured twice");
	expect_error(text, message);
	free(text);
	free(message);
}

Test(config, error_removed_rule_enabled)
{
	const struct qk_rule *rule = NULL;
	struct qk_config config;
	struct qk_err err = QK_ERR_INIT;
	char *text, *message;
	size_t i;

	for (i = 0; i < qk_rules_count() && !rule; i++)
		if (qk_rules_at(i)->status == QK_RULE_REMOVED)
			rule = qk_rules_at(i);
	if (!rule)
		cr_skip_test("no removed rule registered");
	text = qk_asprintf("rules:\n  %s: error\n", rule->id);
	message = qk_asprintf("invalid config: t.yaml:2:%zu: rule %s (%s) "
			      "was removed and cannot be enabled",
			      strlen(rule->id) + 5, rule->id, rule->name);
	expect_error(text, message);
	free(text);
	free(message);
	text = qk_asprintf("rules:\n  %s: off\n", rule->id);
	cr_expect_eq(load(&config, text, &err), 0, "%s", err.msg);
	qk_config_release(&config);
	free(text);
}

Test(config, error_alias)
{
	expect_error("ignore:\n  - &model x.h5\n  - *model\n",
		     "invalid config: t.yaml:3:5: aliases are not supported");
}

/* The problem text and the position both come from libyaml. */
Test(config, error_malformed_yaml)
{
	struct qk_config config;
	struct qk_err err = QK_ERR_INIT;

	expect_error("a: b: c\n", "invalid config: t.yaml:1:5: mapping values "
		     "are not allowed in this context");
	expect_error("rules:\n  QK001: error\n bad: x\n",
		     "invalid config: t.yaml:3:2: did not find expected key "
		     "while parsing a block mapping");
	cr_assert_eq(load(&config, "rules:\n\tQK001: error\n", &err), -1);
	cr_expect_eq(strncmp(err.msg, "invalid config: t.yaml:2:1: ", 28),
		     0, "%s", err.msg);
	cr_expect_not_null(strstr(err.msg, "cannot start any token"), "%s",
			   err.msg);
	qk_config_release(&config);
}

Test(config, error_invalid_utf8)
{
	expect_error("fail-on: error\nrules: \xff\n",
		     "invalid config: t.yaml:2:8: invalid leading UTF-8 "
		     "octet");
}

Test(config, error_two_documents)
{
	expect_error("fail-on: error\n---\nfail-on: warning\n",
		     "invalid config: t.yaml:2:1: expected a single YAML "
		     "document");
}

Test(config, error_nesting_too_deep)
{
	char text[200] = "";
	struct qk_config config;
	struct qk_err err = QK_ERR_INIT;
	int i;

	for (i = 0; i < 40; i++)
		strcat(text, "[");
	cr_assert_eq(load(&config, text, &err), -1);
	cr_expect_str_eq(err.msg, "invalid config: t.yaml:1:33: nesting "
			 "deeper than 32 levels");
	qk_config_release(&config);
}

Test(config, error_text_too_large)
{
	size_t len = 1024 * 1024 + 1;
	char *text = malloc(len + 1);
	struct qk_config config;
	struct qk_err err = QK_ERR_INIT;

	cr_assert_not_null(text);
	memset(text, '#', len);
	text[len] = '\0';
	cr_assert_eq(qk_config_init(&config, &err), 0);
	cr_assert_eq(qk_config_load_text(&config, text, len, "big.yaml",
					 &err),
		     -1);
	cr_expect_str_eq(err.msg, "invalid config: big.yaml: larger than "
			 "1048576 bytes (1048577 bytes)");
	qk_config_release(&config);
	free(text);
}

Test(config, error_missing_file)
{
	struct qk_config config;
	struct qk_err err = QK_ERR_INIT;

	cr_assert_eq(qk_config_init(&config, &err), 0);
	cr_assert_eq(qk_config_load(&config, "/nonexistent/q.yaml", &err),
		     -1);
	cr_expect_str_eq(err.msg, "cannot read config '/nonexistent/q.yaml': "
			 "No such file or directory");
	qk_config_release(&config);
}

Test(config, error_extends_cycle)
{
	struct qk_config config;
	struct qk_err err = QK_ERR_INIT;
	char *dir = make_temp_dir();
	char *a = write_file(dir, "a.yaml", "extends: b.yaml\n");
	char *b = write_file(dir, "b.yaml", "fail-on: error\n"
			     "extends: a.yaml\n");
	char *message = qk_asprintf("invalid config: %s:2:10: extends cycle "
				    "through '%s'", b, a);

	cr_assert_eq(qk_config_init(&config, &err), 0);
	cr_assert_eq(qk_config_load(&config, a, &err), -1);
	cr_expect_str_eq(err.msg, message);
	qk_config_release(&config);
	remove_tree(dir);
	free(a);
	free(b);
	free(message);
	free(dir);
}

Test(config, error_extends_self)
{
	struct qk_config config;
	struct qk_err err = QK_ERR_INIT;
	char *dir = make_temp_dir();
	char *a = write_file(dir, "a.yaml", "extends: ./a.yaml\n");
	char *message = qk_asprintf("invalid config: %s:1:10: extends cycle "
				    "through '%s/./a.yaml'", a, dir);

	cr_assert_eq(qk_config_init(&config, &err), 0);
	cr_assert_eq(qk_config_load(&config, a, &err), -1);
	cr_expect_str_eq(err.msg, message);
	qk_config_release(&config);
	remove_tree(dir);
	free(a);
	free(message);
	free(dir);
}

Test(config, error_extends_chain_too_long)
{
	struct qk_config config;
	struct qk_err err = QK_ERR_INIT;
	char *dir = make_temp_dir();
	char name[32], text[64], *paths[10], *message;
	int i;

	/* Loading c0 puts c0 to c8 in the chain, one file too many. */
	for (i = 0; i < 10; i++) {
		snprintf(name, sizeof(name), "c%d.yaml", i);
		if (i < 9)
			snprintf(text, sizeof(text), "extends: c%d.yaml\n",
				 i + 1);
		else
			snprintf(text, sizeof(text), "fail-on: error\n");
		paths[i] = write_file(dir, name, text);
	}
	message = qk_asprintf("invalid config: %s/c7.yaml:1:10: extends "
			      "chain longer than 8 files", dir);
	cr_assert_eq(qk_config_init(&config, &err), 0);
	cr_assert_eq(qk_config_load(&config, paths[0], &err), -1);
	cr_expect_str_eq(err.msg, message);
	qk_config_release(&config);

	/* Eight files in the chain are accepted. */
	cr_assert_eq(qk_config_init(&config, &err), 0);
	cr_expect_eq(qk_config_load(&config, paths[2], &err), 0, "%s",
		     err.msg);
	qk_config_release(&config);
	remove_tree(dir);
	for (i = 0; i < 10; i++)
		free(paths[i]);
	free(message);
	free(dir);
}

Test(config, error_extends_missing_file)
{
	expect_error("extends: no-such.yaml\n",
		     "invalid config: t.yaml:1:10: cannot read "
		     "'./no-such.yaml' named by extends: No such file or "
		     "directory");
}

Test(config, error_in_extended_file_names_it)
{
	struct qk_config config;
	struct qk_err err = QK_ERR_INIT;
	char *dir = make_temp_dir();
	char *base = write_file(dir, "base.yaml", "rules:\n  QK0O1: off\n");
	char *top = write_file(dir, "top.yaml", "extends: base.yaml\n");
	char *message = qk_asprintf("invalid config: %s/base.yaml:2:3: "
				    "unknown rule 'QK0O1'", dir);

	cr_assert_eq(qk_config_init(&config, &err), 0);
	cr_assert_eq(qk_config_load(&config, top, &err), -1);
	cr_expect_str_eq(err.msg, message);
	qk_config_release(&config);
	remove_tree(dir);
	free(base);
	free(top);
	free(message);
	free(dir);
}

Test(config, error_ignore_entries)
{
	expect_error("ignore:\n  - {}\n",
		     "invalid config: t.yaml:2:5: empty ignore entry "
		     "(expected rules, layers or files)");
	expect_error("ignore:\n  - layer: fc1\n",
		     "invalid config: t.yaml:2:5: unknown key 'layer' in an "
		     "ignore entry (expected rules, layers or files)");
	expect_error("ignore:\n  - rules: [QK001, QK0O2]\n",
		     "invalid config: t.yaml:2:20: unknown rule 'QK0O2'");
	expect_error("ignore:\n  - rules: []\n",
		     "invalid config: t.yaml:2:12: expected at least one "
		     "entry in rules");
	expect_error("ignore: x.h5\n",
		     "invalid config: t.yaml:1:9: expected a sequence for "
		     "ignore, got a scalar");
}

/* ---- ignore globs ---- */

Test(config, ignore_rule_and_layer_glob)
{
	struct qk_config config;
	struct qk_err err = QK_ERR_INIT;
	const struct qk_rule *qk001 = qk_rules_find("QK001");
	const struct qk_rule *other = qk_rules_at(qk_rules_count() - 1);

	cr_assert_neq(qk001, other);
	cr_assert_eq(load(&config, "ignore:\n  - rules: QK001\n"
			  "    layers: 'fc*'\n", &err),
		     0, "%s", err.msg);
	cr_expect(qk_config_ignored(&config, qk001, "fc1", "m.h5"));
	cr_expect_not(qk_config_ignored(&config, qk001, "conv1", "m.h5"));
	cr_expect_not(qk_config_ignored(&config, other, "fc1", "m.h5"));
	cr_expect_not(qk_config_ignored(&config, qk001, NULL, "m.h5"));
	qk_config_release(&config);
}

Test(config, ignore_file_glob_full_path_and_basename)
{
	struct qk_config config;
	struct qk_err err = QK_ERR_INIT;
	const struct qk_rule *rule = qk_rules_at(0);

	cr_assert_eq(load(&config, "ignore:\n  - files: 'legacy/*.h5'\n"
			  "  - files: '*_float.keras'\n", &err),
		     0, "%s", err.msg);
	cr_expect(qk_config_ignored(&config, rule, "fc1", "legacy/old.h5"));
	cr_expect(qk_config_ignored(&config, rule, NULL, "legacy/old.h5"));
	cr_expect_not(qk_config_ignored(&config, rule, "fc1", "new/old.h5"));
	cr_expect(qk_config_ignored(&config, rule, "fc1",
				    "/data/models/net_float.keras"));
	cr_expect_not(qk_config_ignored(&config, rule, "fc1",
					"/data/models/net.keras"));
	cr_expect_not(qk_config_ignored(&config, rule, "fc1", NULL));
	qk_config_release(&config);
}

Test(config, ignore_file_glob_relative_to_config)
{
	struct qk_config config;
	struct qk_err err = QK_ERR_INIT;
	const char *text = "ignore:\n  - files: 'legacy/*.h5'\n";
	const struct qk_rule *rule = qk_rules_at(0);

	cr_assert_eq(qk_config_init(&config, &err), 0);
	cr_assert_eq(qk_config_load_text(&config, text, strlen(text),
					 "/repo/.qklint.yaml", &err),
		     0, "%s", err.msg);
	cr_expect(qk_config_ignored(&config, rule, "x",
				    "/repo/legacy/a.h5"));
	cr_expect_not(qk_config_ignored(&config, rule, "x",
					"/other/legacy/a.h5"));
	qk_config_release(&config);
}

Test(config, ignore_bare_scalar_and_lists)
{
	struct qk_config config;
	struct qk_err err = QK_ERR_INIT;
	const struct qk_rule *qk001 = qk_rules_find("QK001");
	const struct qk_rule *last = qk_rules_at(qk_rules_count() - 1);
	char *text;

	text = qk_asprintf("ignore:\n  - 'scratch/*'\n"
			   "  - rules: [QK001, %s]\n"
			   "    layers: [in*, out*]\n"
			   "    files: m.h5\n", last->name);
	cr_assert_eq(load(&config, text, &err), 0, "%s", err.msg);
	cr_expect_eq(config.n_ignores, 5);
	cr_expect(qk_config_ignored(&config, qk001, "x", "scratch/a.h5"));
	cr_expect(qk_config_ignored(&config, last, "input", "m.h5"));
	cr_expect(qk_config_ignored(&config, qk001, "output", "d/m.h5"));
	cr_expect_not(qk_config_ignored(&config, qk001, "fc", "m.h5"));
	cr_expect_not(qk_config_ignored(&config, qk001, "input", "n.h5"));
	qk_config_release(&config);
	free(text);
}

Test(config, rule_ignore_layers)
{
	struct qk_config config;
	struct qk_err err = QK_ERR_INIT;
	const struct qk_rule *qk001 = qk_rules_find("QK001");
	const struct qk_rule *last = qk_rules_at(qk_rules_count() - 1);

	cr_assert_eq(load(&config, "rules:\n  QK001:\n"
			  "    ignore-layers: ['dense_?', head]\n", &err),
		     0, "%s", err.msg);
	cr_expect(qk_config_ignored(&config, qk001, "dense_1", "m.h5"));
	cr_expect(qk_config_ignored(&config, qk001, "head", "m.h5"));
	cr_expect_not(qk_config_ignored(&config, qk001, "dense_10", "m.h5"));
	cr_expect_not(qk_config_ignored(&config, last, "head", "m.h5"));
	cr_expect_eq(level_of(&config, "QK001"), qk001->severity);
	qk_config_release(&config);
}

/* ---- discovery ---- */

static char *real_dir(const char *dir)
{
	char resolved[PATH_MAX];

	cr_assert_not_null(realpath(dir, resolved));
	return strdup(resolved);
}

Test(config, discover_walks_up_to_repo_root)
{
	char *dir = make_temp_dir();
	char *config = write_file(dir, "repo/.qklint.yaml", "");
	char *model = write_file(dir, "repo/models/deep/m.h5", "x");
	char *root = real_dir(dir);
	char *expected = qk_asprintf("%s/repo/.qklint.yaml", root);
	char *found;

	make_dir(dir, "repo/.git");
	found = qk_config_discover(model);
	cr_assert_not_null(found);
	cr_expect_str_eq(found, expected);
	free(found);
	remove_tree(dir);
	free(config);
	free(model);
	free(root);
	free(expected);
	free(dir);
}

Test(config, discover_prefers_nearest)
{
	char *dir = make_temp_dir();
	char *outer = write_file(dir, "repo/.qklint.yaml", "");
	char *inner = write_file(dir, "repo/models/.qklint.yml", "");
	char *model = write_file(dir, "repo/models/m.h5", "x");
	char *root = real_dir(dir);
	char *expected = qk_asprintf("%s/repo/models/.qklint.yml", root);
	char *found;

	make_dir(dir, "repo/.git");
	found = qk_config_discover(model);
	cr_assert_not_null(found);
	cr_expect_str_eq(found, expected);
	free(found);
	remove_tree(dir);
	free(outer);
	free(inner);
	free(model);
	free(root);
	free(expected);
	free(dir);
}

Test(config, discover_yaml_before_yml)
{
	char *dir = make_temp_dir();
	char *yml = write_file(dir, "p/.qklint.yml", "");
	char *yaml = write_file(dir, "p/.qklint.yaml", "");
	char *model = write_file(dir, "p/m.h5", "x");
	char *root = real_dir(dir);
	char *expected = qk_asprintf("%s/p/.qklint.yaml", root);
	char *found;

	make_dir(dir, "p/.git");
	found = qk_config_discover(model);
	cr_assert_not_null(found);
	cr_expect_str_eq(found, expected);
	free(found);
	remove_tree(dir);
	free(yml);
	free(yaml);
	free(model);
	free(root);
	free(expected);
	free(dir);
}

Test(config, discover_stops_after_git)
{
	char *dir = make_temp_dir();
	char *outside = write_file(dir, ".qklint.yaml", "");
	char *model = write_file(dir, "repo/sub/m.h5", "x");
	char *git_file = write_file(dir, "repo/.git", "gitdir: elsewhere\n");
	char *found;

	/* A .git file (worktree or submodule) also marks the root. */
	found = qk_config_discover(model);
	cr_expect_null(found, "found %s", found);
	free(found);
	remove_tree(dir);
	free(outside);
	free(model);
	free(git_file);
	free(dir);
}

Test(config, discover_ignores_directories_named_like_config)
{
	char *dir = make_temp_dir();
	char *model = write_file(dir, "r/m.h5", "x");
	char *found;

	make_dir(dir, "r/.qklint.yaml");
	make_dir(dir, "r/.git");
	found = qk_config_discover(model);
	cr_expect_null(found, "found %s", found);
	free(found);
	remove_tree(dir);
	free(model);
	free(dir);
}

Test(config, discover_relative_model_path)
{
	char *dir = make_temp_dir();
	char *config = write_file(dir, "r/.qklint.yaml", "");
	char *model = write_file(dir, "r/m.h5", "x");
	char *root = real_dir(dir);
	char *expected = qk_asprintf("%s/r/.qklint.yaml", root);
	char *cwd = getcwd(NULL, 0);
	char *found;

	make_dir(dir, "r/.git");
	cr_assert_not_null(cwd);
	cr_assert_eq(chdir(dir), 0);
	found = qk_config_discover("r/m.h5");
	cr_assert_eq(chdir("r"), 0);
	cr_expect_str_eq(found, expected);
	free(found);
	found = qk_config_discover("m.h5");
	cr_expect_str_eq(found, expected);
	free(found);
	cr_assert_eq(chdir(cwd), 0);
	remove_tree(dir);
	free(cwd);
	free(config);
	free(model);
	free(root);
	free(expected);
	free(dir);
}

/* ---- documentation ---- */

/* The example in docs/configuration.md must stay a valid config. */
Test(config, documented_example_loads)
{
	struct qk_config config;
	struct qk_err err = QK_ERR_INIT;
	const char *marker = "## Example\n\n```yaml\n";
	char *path = qk_asprintf("%s/docs/configuration.md", QK_SOURCE_DIR);
	char *doc = read_whole(path);
	char *start = strstr(doc, marker);
	char *end;

	cr_assert_not_null(start, "no example block in %s", path);
	start += strlen(marker);
	end = strstr(start, "```");
	cr_assert_not_null(end);
	cr_assert_eq(qk_config_init(&config, &err), 0);
	cr_expect_eq(qk_config_load_text(&config, start,
					 (size_t)(end - start),
					 "configuration.md", &err),
		     0, "%s", err.msg);
	cr_expect_eq(config.fail_on, QK_SEV_WARNING);
	cr_expect_eq(level_of(&config, "QK001"), QK_SEV_ERROR);
	cr_expect_gt(config.n_ignores, 0);
	qk_config_release(&config);
	free(doc);
	free(path);
}

Test(config, discover_stops_after_home)
{
	char *dir = make_temp_dir();
	char *above = write_file(dir, ".qklint.yaml", "");
	char *model = write_file(dir, "home/project/m.h5", "x");
	char *home = qk_asprintf("%s/home", dir);
	char *found;

	cr_assert_eq(setenv("HOME", home, 1), 0);
	found = qk_config_discover(model);
	cr_expect_null(found, "found %s", found);
	free(found);

	/* With HOME elsewhere the same walk reaches the file above. */
	cr_assert_eq(setenv("HOME", "/nonexistent-home", 1), 0);
	found = qk_config_discover(model);
	cr_expect_not_null(found);
	free(found);
	remove_tree(dir);
	free(above);
	free(model);
	free(home);
	free(dir);
}

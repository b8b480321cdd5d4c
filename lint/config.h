/*
 * Lint configuration: the level and options of every rule, ignore
 * entries, and the fail-on level, read from YAML (libyaml).
 *
 * Precedence, lowest first: built-in defaults, the file named by
 * `extends`, the config file itself, command-line options.
 */
#ifndef QK_LINT_CONFIG_H
#define QK_LINT_CONFIG_H

#include <stddef.h>

#include "../rules/rule.h"
#include "error.h"

/* Switches off rules (all when rule is NULL) for matching layers/files. */
struct qk_ignore {
	const struct qk_rule *rule;	/* NULL: every rule */
	char *layer_glob;		/* NULL: every layer; owned */
	char *file_glob;		/* NULL: every file; owned */
};

struct qk_config {
	char *source;		/* file it came from, "(defaults)"; owned */
	char *base_dir;		/* directory that file globs resolve from */
	struct qk_rule_conf *rules;	/* one per registry entry; owned */
	size_t n_rules;
	struct qk_ignore *ignores;	/* owned */
	size_t n_ignores;
	enum qk_severity fail_on;	/* QK_SEV_ERROR or QK_SEV_WARNING */
};

/* Fills config with the built-in defaults. Returns -1 when out of memory. */
int qk_config_init(struct qk_config *config, struct qk_err *err);
void qk_config_release(struct qk_config *config);

/*
 * Reads the YAML file at path into config, on top of what config already
 * contains (after following `extends`). On an invalid file, err reads
 * "invalid config: FILE:LINE:COLUMN: ..." and -1 is returned.
 */
int qk_config_load(struct qk_config *config, const char *path,
		   struct qk_err *err);

/* As qk_config_load, from text in memory; name is used in messages. */
int qk_config_load_text(struct qk_config *config, const char *text,
			size_t len, const char *name, struct qk_err *err);

/*
 * Finds the config file for a model: .qklint.yaml or .qklint.yml in the
 * model's directory or the nearest parent, stopping after a directory
 * that contains .git. Returns a new path owned by the caller, or NULL.
 */
char *qk_config_discover(const char *model_path);

/*
 * Finds the config that applies to a model when --config is not given:
 * qk_config_discover's file, else $QKLINT_CONFIG_FILE, else
 * $XDG_CONFIG_HOME/qklint/config.yaml (~/.config/qklint/config.yaml
 * without XDG_CONFIG_HOME) when it exists. Returns a new path owned by
 * the caller, or NULL for the built-in defaults.
 */
char *qk_config_locate(const char *model_path);

/*
 * Fills config for one model: the built-in defaults, then explicit_path
 * when given, else the file qk_config_locate finds, unless no_config is
 * set. Returns -1 with err set when a config file is invalid; the caller
 * releases config either way.
 */
int qk_config_resolve(struct qk_config *config, const char *explicit_path,
		      int no_config, const char *model_path,
		      struct qk_err *err);

/* Returns the settings of rule in config. */
const struct qk_rule_conf *qk_config_rule(const struct qk_config *config,
					  const struct qk_rule *rule);
struct qk_rule_conf *qk_config_rule_mut(struct qk_config *config,
					const struct qk_rule *rule);

/* Nonzero when an ignore entry silences rule for this layer and file. */
int qk_config_ignored(const struct qk_config *config,
		      const struct qk_rule *rule, const char *layer,
		      const char *file);

#endif

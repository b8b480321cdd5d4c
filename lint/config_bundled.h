/*
 * The configs compiled into qklint, named by `extends: default` and
 * `extends: strict`. Their text is kept identical to configs/default.yaml
 * and configs/strict.yaml, and a test compares them.
 */
#ifndef QK_LINT_CONFIG_BUNDLED_H
#define QK_LINT_CONFIG_BUNDLED_H

extern const char qk_config_default_yaml[];
extern const char qk_config_strict_yaml[];

/* Returns the YAML text of bundled config name, or NULL when unknown. */
const char *qk_config_bundled_text(const char *name);

#endif

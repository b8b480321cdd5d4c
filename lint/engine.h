/*
 * The lint run: every enabled rule over one model, ignore entries applied.
 */
#ifndef QK_LINT_ENGINE_H
#define QK_LINT_ENGINE_H

#include "../rules/rule.h"
#include "config.h"
#include "model.h"

/* The outcome for one file given on the command line. */
struct qk_file_result {
	char *path;		/* owned */
	char *error;		/* load failure message, NULL when loaded; owned */
	int loaded;
	enum qk_model_kind kind;	/* valid when loaded */
	enum qk_format format;		/* valid when loaded */
	size_t n_layers;
	struct qk_sink sink;	/* findings, sorted by layer order then ID */
};

/*
 * Runs every rule that config enables over model and appends the findings
 * that no ignore entry silences to sink. file is the path used for
 * file-glob ignores. Returns 0, or -1 when a rule failed (err set).
 */
int qk_lint_model(const struct qk_model *model, const struct qk_config *config,
		  const char *file, struct qk_sink *sink, struct qk_err *err);

void qk_file_result_release(struct qk_file_result *result);

#endif

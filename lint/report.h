/*
 * Writing findings: text, JSON, SARIF 2.1.0 and GitHub Actions commands.
 * Every format carries the same fields of struct qk_finding.
 */
#ifndef QK_LINT_REPORT_H
#define QK_LINT_REPORT_H

#include <stdio.h>

#include "engine.h"

enum qk_output_format {
	QK_OUT_TEXT,
	QK_OUT_JSON,
	QK_OUT_SARIF,
	QK_OUT_GITHUB
};

struct qk_report_options {
	enum qk_output_format format;
	int color;		/* text only: ANSI colours */
	int quiet;		/* summary line only */
	int statistics;		/* counts per rule after the findings */
};

/* Parses "text", "json", "sarif", "github"; returns -1 when invalid. */
int qk_output_format_parse(const char *text, enum qk_output_format *out);

/*
 * Writes the results of one run to out. Returns 0, or -1 when writing
 * failed (err set).
 */
int qk_report_write(FILE *out, const struct qk_file_result *results,
		    size_t n_results, const struct qk_report_options *options,
		    struct qk_err *err);

#endif

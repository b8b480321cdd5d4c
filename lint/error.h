/*
 * Error reporting without global state.
 *
 * A failing function writes one message into the caller's struct qk_err
 * and returns -1 (or NULL). The message names what failed and the value
 * involved, without the "qklint: error:" prefix and without the file
 * name, which the command-line layer adds.
 */
#ifndef QK_LINT_ERROR_H
#define QK_LINT_ERROR_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#define QK_ERR_MAX 1024

struct qk_err {
	char msg[QK_ERR_MAX];
	int debug;	/* nonzero: let libraries print their own diagnostics */
};

#define QK_ERR_INIT { "", 0 }

/*
 * Formats a message into err (when err is not NULL) and returns -1.
 * Control characters in the result are replaced by '?'.
 */
int qk_fail(struct qk_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Prints "qklint: BUG: file:line: ..." and aborts; for impossible states. */
#define QK_BUG(...) qk_bug(__FILE__, __LINE__, __VA_ARGS__)
void qk_bug(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4), noreturn));

/* Allocation helpers: they return NULL on failure and never exit. */
char *qk_strdup(const char *s);
char *qk_strndup(const char *s, size_t n);
/* Formats into a newly allocated string owned by the caller. */
char *qk_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Multiplies n by size, failing (returning NULL) on overflow. */
void *qk_calloc(size_t n, size_t size);
void *qk_reallocarray(void *p, size_t n, size_t size);

#endif

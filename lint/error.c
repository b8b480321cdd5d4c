#include "error.h"

#include <stdint.h>
#include <string.h>

int qk_fail(struct qk_err *err, const char *fmt, ...)
{
	va_list ap;
	char *p;

	if (!err)
		return -1;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	/* Names from a hostile file must not break the one-line message or
	 * send escape sequences to a terminal. */
	for (p = err->msg; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return -1;
}

void qk_bug(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "qklint: BUG: %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

char *qk_strndup(const char *s, size_t n)
{
	char *copy;

	if (!s)
		return NULL;
	copy = malloc(n + 1);
	if (!copy)
		return NULL;
	memcpy(copy, s, n);
	copy[n] = '\0';
	return copy;
}

char *qk_strdup(const char *s)
{
	return s ? qk_strndup(s, strlen(s)) : NULL;
}

char *qk_asprintf(const char *fmt, ...)
{
	va_list ap;
	int n;
	char *s;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	s = malloc((size_t)n + 1);
	if (!s)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return s;
}

void *qk_calloc(size_t n, size_t size)
{
	if (n == 0 || size == 0)
		return calloc(1, 1);
	if (n > SIZE_MAX / size)
		return NULL;
	return calloc(n, size);
}

void *qk_reallocarray(void *p, size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size)
		return NULL;
	return realloc(p, (n * size) != 0 ? n * size : 1);
}

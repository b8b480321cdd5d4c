/*
 * qk_model_open: picks the loader from the file's first bytes.
 */
#include "model.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "model_internal.h"

static const unsigned char hdf5_signature[8] = { 0x89, 'H', 'D', 'F',
						 '\r', '\n', 0x1a, '\n' };

char *qk_read_file(const char *path, long long max, size_t *len,
		   struct qk_err *err)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	char *buf;
	size_t got;

	if (!f) {
		qk_fail(err, "cannot open: %s", strerror(errno));
		return NULL;
	}
	if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
		fclose(f);
		qk_fail(err, "not a regular file");
		return NULL;
	}
	if ((long long)st.st_size > max) {
		fclose(f);
		qk_fail(err, "file is larger than the %lld-byte limit", max);
		return NULL;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		fclose(f);
		qk_fail(err, "out of memory");
		return NULL;
	}
	got = fread(buf, 1, (size_t)st.st_size, f);
	fclose(f);
	if (got != (size_t)st.st_size) {
		free(buf);
		qk_fail(err, "cannot read the whole file");
		return NULL;
	}
	buf[got] = '\0';
	*len = got;
	return buf;
}

/* Counts the brackets open at byte n, skipping string contents. */
static size_t nesting_at(const char *text, size_t n)
{
	size_t i, depth = 0;
	int in_string = 0;

	for (i = 0; i < n; i++) {
		char c = text[i];

		if (in_string) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_string = 0;
		} else if (c == '"') {
			in_string = 1;
		} else if (c == '[' || c == '{') {
			depth++;
		} else if ((c == ']' || c == '}') && depth) {
			depth--;
		}
	}
	return depth;
}

cJSON *qk_json_parse(const char *text, size_t len, struct qk_err *err)
{
	const char *end = NULL;
	cJSON *root;

	if ((long long)len > QK_MAX_CONFIG_BYTES) {
		qk_fail(err, "model config is larger than the %lld-byte limit",
			(long long)QK_MAX_CONFIG_BYTES);
		return NULL;
	}
	root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
	if (!root) {
		size_t at = end && end >= text ? (size_t)(end - text) : 0;

		if (nesting_at(text, at < len ? at : len) >=
		    CJSON_NESTING_LIMIT)
			qk_fail(err, "model config nests JSON deeper than %d "
				"levels (near byte %zu)", CJSON_NESTING_LIMIT,
				at);
		else if (at + 64 >= len)
			qk_fail(err, "model config is not valid JSON: it ends "
				"early (file truncated?)");
		else
			qk_fail(err, "model config is not valid JSON (syntax "
				"error near byte %zu)", at);
		return NULL;
	}
	if (!cJSON_IsObject(root)) {
		cJSON_Delete(root);
		qk_fail(err, "model config is not a JSON object");
		return NULL;
	}
	return root;
}

/* Reads up to n bytes from the start of the file. */
static int peek(const char *path, unsigned char *buf, size_t n, size_t *got,
		struct qk_err *err)
{
	struct stat st;
	FILE *f;

	if (stat(path, &st) != 0)
		return qk_fail(err, "cannot open: %s", strerror(errno));
	if (S_ISDIR(st.st_mode))
		return qk_fail(err, "is a directory, not a model file");
	if (!S_ISREG(st.st_mode))
		return qk_fail(err, "not a regular file");
	if ((long long)st.st_size > QK_MAX_FILE_BYTES)
		return qk_fail(err, "file is larger than the %lld-byte limit",
			       (long long)QK_MAX_FILE_BYTES);
	if (st.st_size == 0)
		return qk_fail(err, "file is empty");
	f = fopen(path, "rb");
	if (!f)
		return qk_fail(err, "cannot open: %s", strerror(errno));
	*got = fread(buf, 1, n, f);
	fclose(f);
	return 0;
}

static int looks_like_json(const unsigned char *buf, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\r' ||
		    buf[i] == '\n')
			continue;
		return buf[i] == '{';
	}
	return 0;
}

struct qk_model *qk_model_open(const char *path,
			       const struct qk_open_options *options,
			       struct qk_err *err)
{
	unsigned char head[64];
	size_t got = 0;
	const char *weights = options ? options->weights_path : NULL;
	int debug = options ? options->debug : 0;
	struct qk_model *model = NULL;

	if (peek(path, head, sizeof(head), &got, err))
		return NULL;
	if (weights && !looks_like_json(head, got)) {
		qk_fail(err, "--weights applies only to an architecture JSON, "
			"and this file is not one");
		return NULL;
	}
	if (got >= 8 && memcmp(head, hdf5_signature, 8) == 0)
		model = qk_load_h5(path, debug, err);
	else if (got >= 4 && memcmp(head, "PK\003\004", 4) == 0)
		model = qk_load_keras3(path, debug, err);
	else if (looks_like_json(head, got))
		model = qk_load_json(path, weights, debug, err);
	else if (got >= 4 && memcmp(head, "PK", 2) == 0)
		qk_fail(err, "zip archive is empty or damaged");
	else
		qk_fail(err, "not a Keras model: expected an HDF5 file, a "
			".keras archive or a JSON model config");
	if (!model)
		return NULL;
	model->path = qk_strdup(path);
	if (!model->path) {
		qk_model_free(model);
		qk_fail(err, "out of memory");
		return NULL;
	}
	return model;
}

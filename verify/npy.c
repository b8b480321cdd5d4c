#include "npy.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/*
 * The layout follows numpy's format description (numpy.lib.format). A
 * file starts with the magic "\x93NUMPY", a major and a minor version
 * byte and a little-endian header length (2 bytes in version 1.0, 4 bytes
 * in 2.0 and 3.0). The header is a Python dict literal with 'descr',
 * 'fortran_order' and 'shape', padded with spaces and ended by '\n'. The
 * raw array data follows it.
 */
static const unsigned char npy_magic[6] = { 0x93, 'N', 'U', 'M', 'P', 'Y' };

/* Header alignment of numpy.save(), checked against numpy 1.24. */
#define QK_NPY_ALIGN 64
/* Maximum length of a dict key or descr string in the header. */
#define QK_NPY_WORD 32

enum npy_type { NPY_FLOAT, NPY_SIGNED, NPY_UNSIGNED, NPY_BOOL };

struct npy_dtype {
	const char *descr;
	enum npy_type type;
	size_t size;
};

static const struct npy_dtype npy_dtypes[] = {
	{ "<f4", NPY_FLOAT, 4 },    { "<f8", NPY_FLOAT, 8 },
	{ "|u1", NPY_UNSIGNED, 1 }, { "<u1", NPY_UNSIGNED, 1 },
	{ "|i1", NPY_SIGNED, 1 },   { "<i1", NPY_SIGNED, 1 },
	{ "|b1", NPY_BOOL, 1 },     { "<u2", NPY_UNSIGNED, 2 },
	{ "<i2", NPY_SIGNED, 2 },   { "<u4", NPY_UNSIGNED, 4 },
	{ "<i4", NPY_SIGNED, 4 },   { "<u8", NPY_UNSIGNED, 8 },
	{ "<i8", NPY_SIGNED, 8 },
};

__attribute__((format(printf, 3, 4)))
static int npy_fail(struct qk_err *err, const char *name, const char *fmt, ...)
{
	char body[QK_ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(body, sizeof(body), fmt, ap);
	va_end(ap);
	if (name)
		return qk_fail(err, "%s: %s", name, body);
	return qk_fail(err, "%s", body);
}

void qk_npy_release(struct qk_npy *arr)
{
	if (!arr)
		return;
	free(arr->data);
	memset(arr, 0, sizeof(*arr));
}

/* ---- Header dict ---- */

struct npy_header {
	const char *s;
	size_t pos;
	size_t len;
	const char *name;	/* for messages */
	struct qk_err *err;

	char descr[QK_NPY_WORD + 1];
	int fortran_order;
	int rank;
	int64_t shape[QK_MAX_RANK];
};

static int hdr_fail(struct npy_header *h, const char *reason)
{
	return npy_fail(h->err, h->name, "invalid .npy header: %s", reason);
}

static void hdr_skip_space(struct npy_header *h)
{
	while (h->pos < h->len &&
	       (h->s[h->pos] == ' ' || h->s[h->pos] == '\t' ||
		h->s[h->pos] == '\n' || h->s[h->pos] == '\r'))
		h->pos++;
}

/* Consumes c after optional spaces and returns 1 if it was there. */
static int hdr_accept(struct npy_header *h, char c)
{
	hdr_skip_space(h);
	if (h->pos < h->len && h->s[h->pos] == c) {
		h->pos++;
		return 1;
	}
	return 0;
}

/* Reads a quoted Python string of at most QK_NPY_WORD bytes into out. */
static int hdr_string(struct npy_header *h, char *out, const char *label)
{
	char quote, msg[96];
	size_t n = 0;

	hdr_skip_space(h);
	if (h->pos >= h->len ||
	    (h->s[h->pos] != '\'' && h->s[h->pos] != '"')) {
		snprintf(msg, sizeof(msg), "expected a quoted %s", label);
		return hdr_fail(h, msg);
	}
	quote = h->s[h->pos++];
	while (h->pos < h->len && h->s[h->pos] != quote) {
		if (n == QK_NPY_WORD) {
			snprintf(msg, sizeof(msg), "%s longer than %d bytes",
				 label, QK_NPY_WORD);
			return hdr_fail(h, msg);
		}
		out[n++] = h->s[h->pos++];
	}
	if (h->pos >= h->len)
		return hdr_fail(h, "unterminated string");
	h->pos++;
	out[n] = '\0';
	return 0;
}

static int hdr_bool(struct npy_header *h, int *out)
{
	hdr_skip_space(h);
	if (h->len - h->pos >= 4 && memcmp(h->s + h->pos, "True", 4) == 0) {
		*out = 1;
		h->pos += 4;
		return 0;
	}
	if (h->len - h->pos >= 5 && memcmp(h->s + h->pos, "False", 5) == 0) {
		*out = 0;
		h->pos += 5;
		return 0;
	}
	return hdr_fail(h, "'fortran_order' is not True or False");
}

/* Reads a non-negative dimension, allowing the 'L' of Python 2 numpy. */
static int hdr_dim(struct npy_header *h, int64_t *out)
{
	int64_t v = 0;
	size_t start;

	hdr_skip_space(h);
	start = h->pos;
	while (h->pos < h->len && h->s[h->pos] >= '0' && h->s[h->pos] <= '9') {
		int digit = h->s[h->pos] - '0';

		if (v > (INT64_MAX - digit) / 10)
			return hdr_fail(h, "dimension in 'shape' overflows "
					"int64");
		v = v * 10 + digit;
		h->pos++;
	}
	if (h->pos == start)
		return hdr_fail(h, "'shape' is not a tuple of non-negative "
				"integers");
	if (h->pos < h->len && h->s[h->pos] == 'L')
		h->pos++;
	*out = v;
	return 0;
}

/* Reads "()", "(3,)" or "(2, 3)", with an optional trailing comma. */
static int hdr_shape(struct npy_header *h)
{
	char msg[64];

	if (!hdr_accept(h, '('))
		return hdr_fail(h, "'shape' is not a tuple");
	h->rank = 0;
	while (!hdr_accept(h, ')')) {
		if (h->rank == QK_MAX_RANK) {
			snprintf(msg, sizeof(msg),
				 "rank exceeds the maximum of %d",
				 QK_MAX_RANK);
			return hdr_fail(h, msg);
		}
		if (hdr_dim(h, &h->shape[h->rank]))
			return -1;
		h->rank++;
		if (hdr_accept(h, ')'))
			break;
		if (!hdr_accept(h, ','))
			return hdr_fail(h, "expected ',' or ')' in 'shape'");
	}
	return 0;
}

/* Bit flags for the keys seen, to find duplicates and missing keys. */
enum { KEY_DESCR = 1, KEY_FORTRAN = 2, KEY_SHAPE = 4 };

static int hdr_entry(struct npy_header *h, unsigned *seen)
{
	char key[QK_NPY_WORD + 1], msg[96];
	unsigned bit;

	if (hdr_string(h, key, "key"))
		return -1;
	if (strcmp(key, "descr") == 0)
		bit = KEY_DESCR;
	else if (strcmp(key, "fortran_order") == 0)
		bit = KEY_FORTRAN;
	else if (strcmp(key, "shape") == 0)
		bit = KEY_SHAPE;
	else {
		snprintf(msg, sizeof(msg), "unexpected key '%s'", key);
		return hdr_fail(h, msg);
	}
	if (*seen & bit) {
		snprintf(msg, sizeof(msg), "duplicate key '%s'", key);
		return hdr_fail(h, msg);
	}
	*seen |= bit;
	if (!hdr_accept(h, ':'))
		return hdr_fail(h, "expected ':' after a key");
	if (bit == KEY_DESCR)
		return hdr_string(h, h->descr, "'descr'");
	if (bit == KEY_FORTRAN)
		return hdr_bool(h, &h->fortran_order);
	return hdr_shape(h);
}

static int hdr_parse(struct npy_header *h)
{
	unsigned seen = 0;

	if (!hdr_accept(h, '{'))
		return hdr_fail(h, "expected '{'");
	while (!hdr_accept(h, '}')) {
		if (hdr_entry(h, &seen))
			return -1;
		if (hdr_accept(h, '}'))
			break;
		if (!hdr_accept(h, ','))
			return hdr_fail(h, "expected ',' or '}'");
	}
	hdr_skip_space(h);
	if (h->pos != h->len)
		return hdr_fail(h, "unexpected text after '}'");
	if (!(seen & KEY_DESCR))
		return hdr_fail(h, "missing 'descr'");
	if (!(seen & KEY_FORTRAN))
		return hdr_fail(h, "missing 'fortran_order'");
	if (!(seen & KEY_SHAPE))
		return hdr_fail(h, "missing 'shape'");
	return 0;
}

/* ---- Data ---- */

static const struct npy_dtype *find_dtype(const char *descr)
{
	size_t i;

	for (i = 0; i < sizeof(npy_dtypes) / sizeof(npy_dtypes[0]); i++) {
		if (strcmp(npy_dtypes[i].descr, descr) == 0)
			return &npy_dtypes[i];
	}
	return NULL;
}

static uint64_t load_le(const unsigned char *p, size_t size)
{
	uint64_t v = 0;
	size_t i;

	for (i = size; i > 0; i--)
		v = (v << 8) | p[i - 1];
	return v;
}

/* Converts one little-endian element, taking floats as IEEE 754. */
static double convert(const unsigned char *p, const struct npy_dtype *dt)
{
	uint64_t bits = load_le(p, dt->size);
	uint32_t bits32;
	float f;
	double d;
	int shift;

	switch (dt->type) {
	case NPY_FLOAT:
		if (dt->size == 4) {
			bits32 = (uint32_t)bits;
			memcpy(&f, &bits32, sizeof(f));
			return f;
		}
		memcpy(&d, &bits, sizeof(d));
		return d;
	case NPY_SIGNED:
		/* Sign-extend without relying on implementation shifts. */
		shift = (int)(64 - 8 * dt->size);
		if (shift && (bits >> (8 * dt->size - 1)) & 1)
			bits |= ~(uint64_t)0 << (64 - shift);
		return (double)(int64_t)bits;
	case NPY_UNSIGNED:
		return (double)bits;
	case NPY_BOOL:
		return bits != 0;
	}
	return 0;
}

/* Returns the element count, or -1 with err set when too large. */
static int count_elements(const struct npy_header *h, size_t *count)
{
	uint64_t n = 1;
	int i;

	for (i = 0; i < h->rank; i++) {
		uint64_t d = (uint64_t)h->shape[i];

		if (d && n > (uint64_t)QK_MAX_TENSOR_ELEMENTS / d)
			return npy_fail(h->err, h->name,
					"invalid .npy shape: more than %lld "
					"elements", QK_MAX_TENSOR_ELEMENTS);
		n *= d;
	}
	if (n > (uint64_t)QK_MAX_TENSOR_ELEMENTS)
		return npy_fail(h->err, h->name, "invalid .npy shape: more "
				"than %lld elements", QK_MAX_TENSOR_ELEMENTS);
	*count = (size_t)n;
	return 0;
}

static int check_dtype(const struct npy_header *h,
		       const struct npy_dtype **dt)
{
	*dt = find_dtype(h->descr);
	if (!*dt)
		return npy_fail(h->err, h->name, "unsupported .npy dtype "
				"'%s' (expected '<f4' or '<f8')", h->descr);
	if (h->fortran_order && h->rank > 1)
		return npy_fail(h->err, h->name, "unsupported .npy layout: "
				"fortran_order is True (save the array in C "
				"order)");
	return 0;
}

/* Checks magic and version and finds the header, [*hdr_start, +*hdr_len). */
static int read_prefix(const unsigned char *p, size_t len, const char *name,
		       size_t *hdr_start, size_t *hdr_len, struct qk_err *err)
{
	size_t prefix;
	uint64_t n;

	if (len < sizeof(npy_magic) ||
	    memcmp(p, npy_magic, sizeof(npy_magic)) != 0)
		return npy_fail(err, name, "invalid .npy file: missing the "
				"\\x93NUMPY magic string");
	if (len < 8)
		return npy_fail(err, name, "invalid .npy file: truncated "
				"version");
	if (p[6] < 1 || p[6] > 3 || p[7] != 0)
		return npy_fail(err, name, "unsupported .npy version %u.%u "
				"(expected 1.0, 2.0 or 3.0)", p[6], p[7]);
	prefix = p[6] == 1 ? 10 : 12;
	if (len < prefix)
		return npy_fail(err, name, "invalid .npy file: truncated "
				"header length");
	n = load_le(p + 8, prefix - 8);
	if (n > len - prefix)
		return npy_fail(err, name, "invalid .npy header: length %llu "
				"exceeds the %zu bytes left in the file",
				(unsigned long long)n, len - prefix);
	*hdr_start = prefix;
	*hdr_len = (size_t)n;
	return 0;
}

static void fill_data(struct qk_npy *out, const unsigned char *data,
		      const struct npy_dtype *dt)
{
	size_t i;

	for (i = 0; i < out->count; i++)
		out->data[i] = convert(data + i * dt->size, dt);
}

int qk_npy_read_mem(const void *buf, size_t len, const char *name,
		    struct qk_npy *out, struct qk_err *err)
{
	const unsigned char *p = buf;
	struct npy_header h;
	const struct npy_dtype *dt;
	size_t start = 0, hlen = 0, count = 0, need, have;
	int i;

	memset(out, 0, sizeof(*out));
	if (!p)
		return npy_fail(err, name, "invalid .npy file: no data");
	if (read_prefix(p, len, name, &start, &hlen, err))
		return -1;
	memset(&h, 0, sizeof(h));
	h.s = (const char *)p + start;
	h.len = hlen;
	h.name = name;
	h.err = err;
	if (hdr_parse(&h) || check_dtype(&h, &dt) || count_elements(&h, &count))
		return -1;

	/* count * size cannot overflow: count <= QK_MAX_TENSOR_ELEMENTS. */
	need = count * dt->size;
	have = len - start - hlen;
	if (need != have)
		return npy_fail(err, name, "invalid .npy data: the shape needs "
				"%zu bytes, found %zu", need, have);
	out->data = qk_calloc(count, sizeof(double));
	if (!out->data)
		return npy_fail(err, name, "out of memory");
	out->rank = h.rank;
	for (i = 0; i < h.rank; i++)
		out->shape[i] = h.shape[i];
	out->count = count;
	fill_data(out, p + start + hlen, dt);
	return 0;
}

/* Reads the whole of path into a new buffer owned by the caller. */
static int slurp(const char *path, unsigned char **buf, size_t *len,
		 struct qk_err *err)
{
	struct stat st;
	FILE *f;
	size_t got;

	f = fopen(path, "rb");
	if (!f)
		return qk_fail(err, "cannot open '%s': %s", path,
			       strerror(errno));
	if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
		fclose(f);
		return qk_fail(err, "cannot read '%s': not a regular file",
			       path);
	}
	if (st.st_size > QK_MAX_FILE_BYTES) {
		fclose(f);
		return qk_fail(err, "cannot read '%s': file larger than %lld "
			       "bytes", path, QK_MAX_FILE_BYTES);
	}
	*buf = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!*buf) {
		fclose(f);
		return qk_fail(err, "out of memory");
	}
	got = fread(*buf, 1, (size_t)st.st_size, f);
	if (got != (size_t)st.st_size || ferror(f)) {
		fclose(f);
		free(*buf);
		*buf = NULL;
		return qk_fail(err, "cannot read '%s': short read", path);
	}
	fclose(f);
	*len = got;
	return 0;
}

int qk_npy_read(const char *path, struct qk_npy *out, struct qk_err *err)
{
	unsigned char *buf = NULL;
	size_t len = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	if (slurp(path, &buf, &len, err))
		return -1;
	rc = qk_npy_read_mem(buf, len, path, out, err);
	free(buf);
	return rc;
}

/* ---- Writer ---- */

static int check_array(const struct qk_npy *arr, struct qk_err *err)
{
	uint64_t n = 1;
	int i;

	if (arr->rank < 0 || arr->rank > QK_MAX_RANK)
		return qk_fail(err, "cannot write .npy: rank %d outside 0..%d",
			       arr->rank, QK_MAX_RANK);
	for (i = 0; i < arr->rank; i++) {
		if (arr->shape[i] < 0 ||
		    arr->shape[i] > QK_MAX_TENSOR_ELEMENTS)
			return qk_fail(err, "cannot write .npy: invalid "
				       "dimension %lld",
				       (long long)arr->shape[i]);
		n *= (uint64_t)arr->shape[i];
		if (n > (uint64_t)QK_MAX_TENSOR_ELEMENTS)
			return qk_fail(err, "cannot write .npy: more than "
				       "%lld elements", QK_MAX_TENSOR_ELEMENTS);
	}
	if (n != arr->count)
		return qk_fail(err, "cannot write .npy: shape holds %llu "
			       "elements but count is %zu",
			       (unsigned long long)n, arr->count);
	if (arr->count && !arr->data)
		return qk_fail(err, "cannot write .npy: no data");
	return 0;
}

/*
 * Formats the version 1.0 prefix and header into out and returns its
 * length, a multiple of QK_NPY_ALIGN. check_array() bounds each dimension
 * to 9 digits, so the dict of rank QK_MAX_RANK stays under 160 bytes.
 */
static size_t format_header(char *out, size_t cap, const struct qk_npy *arr,
			    int as_float32)
{
	char dict[256];
	size_t n, total, hlen;
	int i;

	n = (size_t)snprintf(dict, sizeof(dict),
			     "{'descr': '%s', 'fortran_order': False, "
			     "'shape': (", as_float32 ? "<f4" : "<f8");
	for (i = 0; i < arr->rank; i++)
		n += (size_t)snprintf(dict + n, sizeof(dict) - n, "%s%lld",
				      i ? ", " : "",
				      (long long)arr->shape[i]);
	n += (size_t)snprintf(dict + n, sizeof(dict) - n, "%s), }",
			      arr->rank == 1 ? "," : "");

	/* Prefix (10 bytes) + dict + spaces + '\n', rounded up. */
	total = (10 + n + 1 + QK_NPY_ALIGN - 1) / QK_NPY_ALIGN * QK_NPY_ALIGN;
	if (total > cap)
		QK_BUG("npy header of %zu bytes does not fit", total);
	hlen = total - 10;
	memcpy(out, npy_magic, sizeof(npy_magic));
	out[6] = 1;
	out[7] = 0;
	out[8] = (char)(hlen & 0xff);
	out[9] = (char)(hlen >> 8);
	memcpy(out + 10, dict, n);
	memset(out + 10 + n, ' ', hlen - n - 1);
	out[total - 1] = '\n';
	return total;
}

static void store_le(unsigned char *p, uint64_t v, size_t size)
{
	size_t i;

	for (i = 0; i < size; i++) {
		p[i] = (unsigned char)(v & 0xff);
		v >>= 8;
	}
}

static int write_data(FILE *f, const struct qk_npy *arr, int as_float32)
{
	unsigned char chunk[4096];
	size_t size = as_float32 ? 4 : 8, used = 0, i;
	uint32_t bits32;
	uint64_t bits;
	float x;

	for (i = 0; i < arr->count; i++) {
		if (as_float32) {
			x = (float)arr->data[i];
			memcpy(&bits32, &x, sizeof(bits32));
			bits = bits32;
		} else {
			memcpy(&bits, &arr->data[i], sizeof(bits));
		}
		store_le(chunk + used, bits, size);
		used += size;
		if (used == sizeof(chunk)) {
			if (fwrite(chunk, 1, used, f) != used)
				return -1;
			used = 0;
		}
	}
	if (used && fwrite(chunk, 1, used, f) != used)
		return -1;
	return 0;
}

int qk_npy_write(const char *path, const struct qk_npy *arr, int as_float32,
		 struct qk_err *err)
{
	char header[320];
	size_t hlen;
	FILE *f;

	if (check_array(arr, err))
		return -1;
	hlen = format_header(header, sizeof(header), arr, as_float32);
	f = fopen(path, "wb");
	if (!f)
		return qk_fail(err, "cannot write '%s': %s", path,
			       strerror(errno));
	if (fwrite(header, 1, hlen, f) != hlen ||
	    write_data(f, arr, as_float32) != 0) {
		qk_fail(err, "cannot write '%s': %s", path, strerror(errno));
		fclose(f);
		remove(path);
		return -1;
	}
	if (fclose(f) != 0) {
		qk_fail(err, "cannot write '%s': %s", path, strerror(errno));
		remove(path);
		return -1;
	}
	return 0;
}

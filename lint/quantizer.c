#include "quantizer.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "limits.h"

/*
 * Constructor parameters in QKeras' positional order, as in
 * qkeras/quantizers.py. There quantized_hswish takes use_ste between
 * var_name and use_variables.
 */
static const char *const bits_params[] = {
	"bits", "integer", "symmetric", "keep_negative", "alpha",
	"use_stochastic_rounding", "scale_axis", "qnoise_factor", "var_name",
	"use_ste", "use_variables", "elements_per_scale", "min_po2_exponent",
	"max_po2_exponent", "post_training_scale"
};
static const char *const relu_params[] = {
	"bits", "integer", "use_sigmoid", "negative_slope",
	"use_stochastic_rounding", "relu_upper_bound", "is_quantized_clip",
	"qnoise_factor", "var_name", "use_ste", "use_variables",
	"enable_fast_inference"
};
/*
 * NEEDSWORK: this order is taken from QKeras 0.9; later releases may add
 * parameters after use_stochastic_rounding, which would then be rejected
 * as unknown in constructor strings.
 */
static const char *const linear_params[] = {
	"bits", "integer", "symmetric", "keep_negative", "alpha",
	"use_stochastic_rounding", "scale_axis", "qnoise_factor", "var_name",
	"use_variables"
};
static const char *const binary_params[] = {
	"use_01", "alpha", "use_stochastic_rounding", "scale_axis",
	"elements_per_scale", "min_po2_exponent", "max_po2_exponent"
};
static const char *const ternary_params[] = {
	"alpha", "threshold", "use_stochastic_rounding", "number_of_unrolls"
};
static const char *const stochastic_binary_params[] = {
	"alpha", "temperature", "use_real_sigmoid"
};
static const char *const stochastic_ternary_params[] = {
	"alpha", "threshold", "temperature", "use_real_sigmoid",
	"number_of_unrolls"
};
static const char *const bernoulli_params[] = {
	"alpha", "temperature", "use_real_sigmoid"
};
static const char *const po2_params[] = {
	"bits", "max_value", "use_stochastic_rounding",
	"quadratic_approximation", "log2_rounding", "qnoise_factor",
	"var_name", "use_ste", "use_variables"
};
static const char *const relu_po2_params[] = {
	"bits", "max_value", "negative_slope", "use_stochastic_rounding",
	"quadratic_approximation", "log2_rounding", "qnoise_factor",
	"var_name", "use_ste", "use_variables"
};
static const char *const tanh_params[] = {
	"bits", "use_stochastic_rounding", "symmetric", "use_real_tanh"
};
static const char *const sigmoid_params[] = {
	"bits", "symmetric", "use_real_sigmoid", "use_stochastic_rounding"
};
static const char *const ulaw_params[] = {
	"bits", "integer", "symmetric", "u"
};
static const char *const hswish_params[] = {
	"bits", "integer", "symmetric", "alpha", "use_stochastic_rounding",
	"scale_axis", "qnoise_factor", "var_name", "use_ste", "use_variables",
	"relu_shift", "relu_upper_bound"
};

#define QK_COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define QK_SPEC(n, k, p) { n, k, p, QK_COUNT(p) }

struct qspec {
	const char *name;
	enum qk_quantizer_kind kind;
	const char *const *params;
	size_t n_params;
};

/* Indexed by enum qk_quantizer_kind, up to QK_Q_KERAS_ACTIVATION. */
static const struct qspec specs[] = {
	QK_SPEC("quantized_bits", QK_Q_QUANTIZED_BITS, bits_params),
	QK_SPEC("quantized_relu", QK_Q_QUANTIZED_RELU, relu_params),
	QK_SPEC("quantized_linear", QK_Q_QUANTIZED_LINEAR, linear_params),
	QK_SPEC("binary", QK_Q_BINARY, binary_params),
	QK_SPEC("ternary", QK_Q_TERNARY, ternary_params),
	QK_SPEC("stochastic_binary", QK_Q_STOCHASTIC_BINARY,
		stochastic_binary_params),
	QK_SPEC("stochastic_ternary", QK_Q_STOCHASTIC_TERNARY,
		stochastic_ternary_params),
	QK_SPEC("bernoulli", QK_Q_BERNOULLI, bernoulli_params),
	QK_SPEC("quantized_po2", QK_Q_QUANTIZED_PO2, po2_params),
	QK_SPEC("quantized_relu_po2", QK_Q_QUANTIZED_RELU_PO2,
		relu_po2_params),
	QK_SPEC("quantized_tanh", QK_Q_QUANTIZED_TANH, tanh_params),
	QK_SPEC("quantized_sigmoid", QK_Q_QUANTIZED_SIGMOID, sigmoid_params),
	QK_SPEC("quantized_ulaw", QK_Q_QUANTIZED_ULAW, ulaw_params),
	QK_SPEC("quantized_hswish", QK_Q_QUANTIZED_HSWISH, hswish_params),
};

/* Maximum number of input bytes quoted in an error message. */
#define QK_SHOWN_TEXT 80

const char *qk_quantizer_kind_name(enum qk_quantizer_kind kind)
{
	if ((size_t)kind < QK_COUNT(specs))
		return specs[kind].name;
	if (kind == QK_Q_KERAS_ACTIVATION)
		return "activation";
	return "unknown";
}

static const struct qspec *find_spec(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < QK_COUNT(specs); i++) {
		if (strlen(specs[i].name) == len &&
		    memcmp(specs[i].name, name, len) == 0)
			return &specs[i];
	}
	return NULL;
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
	       c == '\v';
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int is_ident_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int is_ident_char(char c)
{
	return is_ident_start(c) || is_digit(c);
}

/*
 * Copies at most QK_SHOWN_TEXT bytes of s into buf for an error message,
 * replacing control characters so a hostile string cannot drive the
 * terminal. buf must hold QK_SHOWN_TEXT + 4 bytes.
 */
static void shown_text(char *buf, const char *s, size_t len)
{
	size_t i, n = len > QK_SHOWN_TEXT ? QK_SHOWN_TEXT : len;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		buf[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	if (n < len) {
		memcpy(buf + n, "...", 3);
		n += 3;
	}
	buf[n] = '\0';
}

void qk_quantizer_free(struct qk_quantizer *q)
{
	size_t i;

	if (!q)
		return;
	for (i = 0; i < q->n_params; i++) {
		free(q->params[i].name);
		free(q->params[i].value.string);
	}
	free(q->params);
	free(q->class_name);
	free(q->text);
	free(q);
}

const struct qk_value *qk_quantizer_param(const struct qk_quantizer *q,
					  const char *name)
{
	size_t i;

	if (!q || !name)
		return NULL;
	for (i = 0; i < q->n_params; i++) {
		if (strcmp(q->params[i].name, name) == 0)
			return &q->params[i].value;
	}
	return NULL;
}

/*
 * Allocates a quantizer named name[0..len) with room for max_params
 * explicit arguments. Returns NULL when out of memory.
 */
static struct qk_quantizer *quantizer_new(const char *name, size_t len,
					  size_t max_params)
{
	struct qk_quantizer *q = calloc(1, sizeof(*q));

	if (!q)
		return NULL;
	q->class_name = qk_strndup(name, len);
	q->params = qk_calloc(max_params, sizeof(*q->params));
	if (!q->class_name || !q->params) {
		qk_quantizer_free(q);
		return NULL;
	}
	return q;
}

static int has_param(const struct qk_quantizer *q, const char *name)
{
	return qk_quantizer_param(q, name) != NULL;
}

/* ---- Resolving the common parameters ---- */

/*
 * Sets QKeras' defaults. They apply whatever the kind, so a quantizer
 * without such a parameter still reports its default (quantized_relu
 * reports keep_negative 1), and callers must check the kind first.
 */
static void set_defaults(struct qk_quantizer *q)
{
	q->bits = 8;
	q->integer = 0;
	q->symmetric = q->kind == QK_Q_QUANTIZED_LINEAR ? 1 : 0;
	q->keep_negative = 1;
	q->alpha_kind = QK_ALPHA_UNSET;
	q->alpha = 1;
	q->use_stochastic_rounding = 0;
	q->qnoise_factor = 1;
	q->use_ste = 1;
	q->negative_slope = 0;
	q->use_sigmoid = 0;
	q->has_relu_upper_bound = 0;
	q->relu_upper_bound = 0;
	q->use_01 = 0;
	q->has_threshold = 0;
	q->threshold = 0;

	/* QKeras fixes the width of these in their constructors. */
	switch (q->kind) {
	case QK_Q_BINARY:
	case QK_Q_STOCHASTIC_BINARY:
	case QK_Q_BERNOULLI:
		q->bits = 1;
		break;
	case QK_Q_TERNARY:
	case QK_Q_STOCHASTIC_TERNARY:
		q->bits = 2;
		break;
	case QK_Q_QUANTIZED_HSWISH:
		q->has_relu_upper_bound = 1;
		q->relu_upper_bound = 6;
		break;
	default:
		break;
	}
}

static int type_error(const struct qk_quantizer *q, const char *name,
		      const char *expected, struct qk_err *err)
{
	char shown[QK_SHOWN_TEXT + 4];

	shown_text(shown, q->text, strlen(q->text));
	return qk_fail(err, "invalid quantizer '%s': '%s' must be %s, not a "
		       "string", shown, name, expected);
}

/* None keeps the default, as QKeras' None means "not set" here. */
static int resolve_number(const struct qk_quantizer *q,
			  const struct qk_qparam *p, double *dst,
			  struct qk_err *err)
{
	if (p->value.type == QK_VAL_STRING)
		return type_error(q, p->name, "a number", err);
	if (p->value.type != QK_VAL_NONE)
		*dst = p->value.number;
	return 0;
}

static int resolve_flag(const struct qk_quantizer *q,
			const struct qk_qparam *p, int *dst,
			struct qk_err *err)
{
	if (p->value.type == QK_VAL_STRING)
		return type_error(q, p->name, "a bool or a number", err);
	if (p->value.type != QK_VAL_NONE)
		*dst = p->value.number != 0;
	return 0;
}

static int resolve_optional(const struct qk_quantizer *q,
			    const struct qk_qparam *p, int *has, double *dst,
			    struct qk_err *err)
{
	if (p->value.type == QK_VAL_STRING)
		return type_error(q, p->name, "a number or None", err);
	*has = p->value.type != QK_VAL_NONE;
	*dst = *has ? p->value.number : 0;
	return 0;
}

static void resolve_alpha(struct qk_quantizer *q, const struct qk_value *v)
{
	q->alpha = 1;
	switch (v->type) {
	case QK_VAL_NONE:
		q->alpha_kind = QK_ALPHA_UNSET;
		break;
	case QK_VAL_BOOL:
	case QK_VAL_NUMBER:
		q->alpha_kind = QK_ALPHA_NUMBER;
		q->alpha = v->number;
		break;
	case QK_VAL_STRING:
		if (strcmp(v->string, "auto") == 0)
			q->alpha_kind = QK_ALPHA_AUTO;
		else if (strcmp(v->string, "auto_po2") == 0)
			q->alpha_kind = QK_ALPHA_AUTO_PO2;
		else
			q->alpha_kind = QK_ALPHA_OTHER;
		break;
	}
}

static int resolve_param(struct qk_quantizer *q, const struct qk_qparam *p,
			 struct qk_err *err)
{
	const char *n = p->name;

	if (strcmp(n, "bits") == 0)
		return resolve_number(q, p, &q->bits, err);
	if (strcmp(n, "integer") == 0)
		return resolve_number(q, p, &q->integer, err);
	if (strcmp(n, "symmetric") == 0)
		return resolve_number(q, p, &q->symmetric, err);
	if (strcmp(n, "keep_negative") == 0)
		return resolve_flag(q, p, &q->keep_negative, err);
	if (strcmp(n, "use_stochastic_rounding") == 0)
		return resolve_flag(q, p, &q->use_stochastic_rounding, err);
	if (strcmp(n, "qnoise_factor") == 0)
		return resolve_number(q, p, &q->qnoise_factor, err);
	if (strcmp(n, "use_ste") == 0)
		return resolve_flag(q, p, &q->use_ste, err);
	if (strcmp(n, "negative_slope") == 0)
		return resolve_number(q, p, &q->negative_slope, err);
	if (strcmp(n, "use_sigmoid") == 0)
		return resolve_number(q, p, &q->use_sigmoid, err);
	if (strcmp(n, "use_01") == 0)
		return resolve_flag(q, p, &q->use_01, err);
	if (strcmp(n, "relu_upper_bound") == 0)
		return resolve_optional(q, p, &q->has_relu_upper_bound,
					&q->relu_upper_bound, err);
	if (strcmp(n, "threshold") == 0)
		return resolve_optional(q, p, &q->has_threshold, &q->threshold,
					err);
	if (strcmp(n, "alpha") == 0)
		resolve_alpha(q, &p->value);
	return 0;
}

/*
 * Fills the resolved fields. Only known kinds are type-checked, because
 * qklint cannot tell what an unknown quantizer's arguments mean.
 */
static int resolve(struct qk_quantizer *q, struct qk_err *err)
{
	size_t i;

	set_defaults(q);
	if (q->kind == QK_Q_UNKNOWN || q->kind == QK_Q_KERAS_ACTIVATION)
		return 0;
	for (i = 0; i < q->n_params; i++) {
		if (resolve_param(q, &q->params[i], err))
			return -1;
	}
	return 0;
}

/* ---- Constructor strings ---- */

struct lexer {
	const char *s;		/* the whole input, for columns */
	size_t pos;
	size_t end;		/* one past the last non-space byte */
	struct qk_err *err;
};

static void skip_space(struct lexer *lx)
{
	while (lx->pos < lx->end && is_space(lx->s[lx->pos]))
		lx->pos++;
}

/* Reports a syntax error at byte offset at, shown as a 1-based column. */
static int syntax_error(const struct lexer *lx, size_t at,
			const char *reason)
{
	char shown[QK_SHOWN_TEXT + 4];

	shown_text(shown, lx->s, strlen(lx->s));
	return qk_fail(lx->err, "invalid quantizer '%s': %s at column %zu",
		       shown, reason, at + 1);
}

/* Returns the character that backslash-e stands for, or 0 if unknown. */
static char python_escape(char e)
{
	switch (e) {
	case 'n':
		return '\n';
	case 't':
		return '\t';
	case 'r':
		return '\r';
	case '\\':
	case '\'':
	case '"':
		return e;
	default:
		return 0;
	}
}

static int parse_string(struct lexer *lx, struct qk_value *out)
{
	char quote = lx->s[lx->pos];
	size_t start = lx->pos, n = 0;
	char *buf;

	buf = malloc(lx->end - lx->pos + 1);
	if (!buf)
		return qk_fail(lx->err, "out of memory");
	lx->pos++;
	while (lx->pos < lx->end && lx->s[lx->pos] != quote) {
		char c = lx->s[lx->pos++];

		if (c == '\\' && lx->pos < lx->end) {
			char e = lx->s[lx->pos++];

			c = python_escape(e);
			if (!c) {
				/* Python keeps unknown escapes as written. */
				buf[n++] = '\\';
				c = e;
			}
		}
		buf[n++] = c;
	}
	if (lx->pos >= lx->end) {
		free(buf);
		return syntax_error(lx, start, "unterminated string");
	}
	lx->pos++;
	buf[n] = '\0';
	out->type = QK_VAL_STRING;
	out->string = buf;
	return 0;
}

static size_t skip_digits(const struct lexer *lx, size_t p)
{
	while (p < lx->end && is_digit(lx->s[p]))
		p++;
	return p;
}

/* Accepts Python's decimal literals: 3, -1, .5, 2., 1e-3, + 4. */
static int parse_number(struct lexer *lx, struct qk_value *out)
{
	char buf[QK_MAX_QUANTIZER_TEXT + 2];
	size_t start = lx->pos, p = lx->pos, digits, n = 0;
	int negative = 0;
	double v;

	if (lx->s[p] == '-' || lx->s[p] == '+') {
		negative = lx->s[p] == '-';
		p++;
		while (p < lx->end && is_space(lx->s[p]))
			p++;
	}
	digits = p;
	p = skip_digits(lx, p);
	n = p - digits;
	if (p < lx->end && lx->s[p] == '.') {
		size_t frac = p + 1;

		p = skip_digits(lx, frac);
		n += p - frac;
	}
	if (n == 0)
		return syntax_error(lx, start, "expected a value");
	if (p < lx->end && (lx->s[p] == 'e' || lx->s[p] == 'E')) {
		size_t e = p + 1;

		if (e < lx->end && (lx->s[e] == '-' || lx->s[e] == '+'))
			e++;
		if (e >= lx->end || !is_digit(lx->s[e]))
			return syntax_error(lx, start, "invalid number");
		p = skip_digits(lx, e);
	}
	if (p < lx->end && (is_ident_char(lx->s[p]) || lx->s[p] == '.'))
		return syntax_error(lx, start, "invalid number");

	/* The whole text fits in buf, so the literal does too. */
	n = p - digits;
	buf[0] = negative ? '-' : '+';
	memcpy(buf + 1, lx->s + digits, n);
	buf[n + 1] = '\0';
	v = strtod(buf, NULL);
	if (!isfinite(v))
		return syntax_error(lx, start, "number out of range");
	lx->pos = p;
	out->type = QK_VAL_NUMBER;
	out->number = v;
	return 0;
}

static int word_is(const struct lexer *lx, size_t start, size_t end,
		   const char *word)
{
	return end - start == strlen(word) &&
	       memcmp(lx->s + start, word, end - start) == 0;
}

static int parse_value(struct lexer *lx, struct qk_value *out)
{
	size_t start = lx->pos, end;
	char c;

	if (lx->pos >= lx->end)
		return syntax_error(lx, lx->pos, "expected a value");
	c = lx->s[lx->pos];
	if (c == '\'' || c == '"')
		return parse_string(lx, out);
	if (is_digit(c) || c == '.' || c == '-' || c == '+')
		return parse_number(lx, out);
	if (!is_ident_start(c))
		return syntax_error(lx, start, "expected a value");

	end = start;
	while (end < lx->end && is_ident_char(lx->s[end]))
		end++;
	if (word_is(lx, start, end, "True") ||
	    word_is(lx, start, end, "False")) {
		out->type = QK_VAL_BOOL;
		out->number = lx->s[start] == 'T';
	} else if (word_is(lx, start, end, "None")) {
		out->type = QK_VAL_NONE;
	} else {
		return syntax_error(lx, start,
				    "expected a value, not a bare name");
	}
	lx->pos = end;
	return 0;
}

/*
 * Returns the keyword at the cursor and moves past its '=', or returns
 * 0 without moving when the next argument is positional.
 */
static int scan_keyword(struct lexer *lx, size_t *name_end)
{
	size_t p = lx->pos;

	if (!is_ident_start(lx->s[p]))
		return 0;
	while (p < lx->end && is_ident_char(lx->s[p]))
		p++;
	*name_end = p;
	while (p < lx->end && is_space(lx->s[p]))
		p++;
	if (p >= lx->end || lx->s[p] != '=')
		return 0;
	if (p + 1 < lx->end && lx->s[p + 1] == '=')
		return 0;
	lx->pos = p + 1;
	return 1;
}

static int spec_has(const struct qspec *spec, const char *name)
{
	size_t i;

	for (i = 0; i < spec->n_params; i++) {
		if (strcmp(spec->params[i], name) == 0)
			return 1;
	}
	return 0;
}

/*
 * Names a positional argument after the constructor's order. Arguments of
 * an unknown quantizer are named by their 0-based position ("0", "1").
 */
static char *positional_name(const struct lexer *lx, const struct qspec *spec,
			     size_t index, size_t at)
{
	char *name;
	char reason[128];

	if (!spec)
		name = qk_asprintf("%zu", index);
	else if (index < spec->n_params)
		name = qk_strdup(spec->params[index]);
	else {
		snprintf(reason, sizeof(reason),
			 "too many positional arguments for %s (at most %zu)",
			 spec->name, spec->n_params);
		syntax_error(lx, at, reason);
		return NULL;
	}
	if (!name)
		qk_fail(lx->err, "out of memory");
	return name;
}

static int check_keyword(const struct lexer *lx, const struct qspec *spec,
			 const char *name, size_t at)
{
	char reason[160];

	if (!spec || spec_has(spec, name))
		return 0;
	snprintf(reason, sizeof(reason), "unknown argument '%.64s' for %s",
		 name, spec->name);
	return syntax_error(lx, at, reason);
}

struct arg_state {
	const struct qspec *spec;
	size_t n_positional;
	int seen_keyword;
};

static int parse_arg(struct lexer *lx, struct qk_quantizer *q,
		     struct arg_state *st)
{
	struct qk_qparam *p = &q->params[q->n_params];
	size_t start = lx->pos, name_end;
	char reason[128];
	char *name;

	if (scan_keyword(lx, &name_end)) {
		name = qk_strndup(lx->s + start, name_end - start);
		if (!name)
			return qk_fail(lx->err, "out of memory");
		st->seen_keyword = 1;
		if (check_keyword(lx, st->spec, name, start)) {
			free(name);
			return -1;
		}
	} else if (st->seen_keyword) {
		return syntax_error(lx, start,
				    "positional argument after a keyword "
				    "argument");
	} else {
		name = positional_name(lx, st->spec, st->n_positional++,
				       start);
		if (!name)
			return -1;
	}
	if (has_param(q, name)) {
		snprintf(reason, sizeof(reason), "argument '%.64s' given twice",
			 name);
		free(name);
		return syntax_error(lx, start, reason);
	}

	/* Stored before the value so that qk_quantizer_free() owns it. */
	p->name = name;
	p->value.type = QK_VAL_NONE;
	q->n_params++;
	skip_space(lx);
	return parse_value(lx, &p->value);
}

static int parse_args(struct lexer *lx, struct qk_quantizer *q,
		      const struct qspec *spec)
{
	struct arg_state st = { spec, 0, 0 };
	char reason[64];

	lx->pos++;
	for (;;) {
		skip_space(lx);
		if (lx->pos >= lx->end)
			return syntax_error(lx, lx->pos, "missing ')'");
		if (lx->s[lx->pos] == ')')
			break;
		if (q->n_params == QK_MAX_QUANTIZER_ARGS) {
			snprintf(reason, sizeof(reason),
				 "too many arguments (more than %d)",
				 QK_MAX_QUANTIZER_ARGS);
			return syntax_error(lx, lx->pos, reason);
		}
		if (parse_arg(lx, q, &st))
			return -1;
		skip_space(lx);
		if (lx->pos >= lx->end)
			return syntax_error(lx, lx->pos, "missing ')'");
		if (lx->s[lx->pos] == ')')
			break;
		if (lx->s[lx->pos] != ',')
			return syntax_error(lx, lx->pos,
					    "expected ',' or ')'");
		lx->pos++;
	}
	lx->pos++;
	return 0;
}

static struct qk_quantizer *parse_call(struct lexer *lx, size_t begin)
{
	const struct qspec *spec;
	struct qk_quantizer *q;
	size_t name_end = begin;

	while (name_end < lx->end && is_ident_char(lx->s[name_end]))
		name_end++;
	spec = find_spec(lx->s + begin, name_end - begin);
	q = quantizer_new(lx->s + begin, name_end - begin,
			  QK_MAX_QUANTIZER_ARGS);
	if (!q) {
		qk_fail(lx->err, "out of memory");
		return NULL;
	}
	lx->pos = name_end;
	skip_space(lx);
	if (lx->pos >= lx->end) {
		q->kind = spec ? spec->kind : QK_Q_KERAS_ACTIVATION;
		return q;
	}
	q->kind = spec ? spec->kind : QK_Q_UNKNOWN;
	if (lx->s[lx->pos] != '(') {
		syntax_error(lx, lx->pos, "expected '(' after the name");
		goto fail;
	}
	if (parse_args(lx, q, spec))
		goto fail;
	skip_space(lx);
	if (lx->pos < lx->end) {
		syntax_error(lx, lx->pos, "unexpected text after ')'");
		goto fail;
	}
	return q;
fail:
	qk_quantizer_free(q);
	return NULL;
}

struct qk_quantizer *qk_quantizer_parse(const char *text, struct qk_err *err)
{
	struct lexer lx;
	struct qk_quantizer *q;
	size_t len, begin;

	if (!text) {
		qk_fail(err, "invalid quantizer: text is null");
		return NULL;
	}
	len = strnlen(text, QK_MAX_QUANTIZER_TEXT + 1);
	if (len > QK_MAX_QUANTIZER_TEXT) {
		qk_fail(err, "invalid quantizer: constructor string too long "
			"(more than %d bytes)", QK_MAX_QUANTIZER_TEXT);
		return NULL;
	}
	lx.s = text;
	lx.err = err;
	lx.end = len;
	while (lx.end > 0 && is_space(text[lx.end - 1]))
		lx.end--;
	begin = 0;
	while (begin < lx.end && is_space(text[begin]))
		begin++;
	if (begin == lx.end) {
		qk_fail(err, "invalid quantizer: empty string");
		return NULL;
	}
	if (!is_ident_start(text[begin])) {
		syntax_error(&lx, begin, "expected a quantizer name");
		return NULL;
	}

	q = parse_call(&lx, begin);
	if (!q)
		return NULL;
	q->text = qk_strndup(text + begin, lx.end - begin);
	if (!q->text) {
		qk_fail(err, "out of memory");
		qk_quantizer_free(q);
		return NULL;
	}
	if (resolve(q, err)) {
		qk_quantizer_free(q);
		return NULL;
	}
	return q;
}

/* ---- JSON ---- */

struct strbuf {
	char *data;
	size_t len;
	size_t cap;
	int failed;
};

static void sb_add(struct strbuf *sb, const char *s, size_t n)
{
	char *grown;
	size_t cap;

	if (sb->failed)
		return;
	if (sb->len + n + 1 > sb->cap) {
		cap = sb->cap ? sb->cap : 64;
		while (cap < sb->len + n + 1)
			cap *= 2;
		grown = realloc(sb->data, cap);
		if (!grown) {
			sb->failed = 1;
			return;
		}
		sb->data = grown;
		sb->cap = cap;
	}
	memcpy(sb->data + sb->len, s, n);
	sb->len += n;
	sb->data[sb->len] = '\0';
}

static void sb_puts(struct strbuf *sb, const char *s)
{
	sb_add(sb, s, strlen(s));
}

/* Writes the shortest %g form that reads back as the same double. */
static void sb_number(struct strbuf *sb, double v)
{
	char buf[40];
	int prec;

	for (prec = 1; prec < 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	if (prec == 17)
		snprintf(buf, sizeof(buf), "%.17g", v);
	sb_puts(sb, buf);
}

static void sb_value(struct strbuf *sb, const struct qk_value *v)
{
	const char *s;

	switch (v->type) {
	case QK_VAL_NONE:
		sb_puts(sb, "None");
		break;
	case QK_VAL_BOOL:
		sb_puts(sb, v->number ? "True" : "False");
		break;
	case QK_VAL_NUMBER:
		sb_number(sb, v->number);
		break;
	case QK_VAL_STRING:
		sb_puts(sb, "'");
		for (s = v->string; *s; s++) {
			if (*s == '\'' || *s == '\\')
				sb_puts(sb, "\\");
			sb_add(sb, s, 1);
		}
		sb_puts(sb, "'");
		break;
	}
}

/* Parameter values that QKeras uses when the argument is left out. */
struct default_value {
	const char *name;
	double number;	/* booleans as 0 and 1 */
};

static const struct default_value text_defaults[] = {
	{ "symmetric", 0 },
	{ "keep_negative", 1 },
	{ "use_stochastic_rounding", 0 },
	{ "qnoise_factor", 1 },
	{ "use_sigmoid", 0 },
	{ "negative_slope", 0 },
	{ "use_ste", 1 },
	{ "use_variables", 0 },
	{ "is_quantized_clip", 1 },
	{ "enable_fast_inference", 0 },
	{ "use_01", 0 },
};

/* True when a parameter only restates QKeras' default (alpha never does). */
static int restates_default(const struct qk_quantizer *q,
			    const struct qk_qparam *p)
{
	size_t i;

	if (p->value.type == QK_VAL_NONE)
		return 1;
	if (p->value.type != QK_VAL_NUMBER && p->value.type != QK_VAL_BOOL)
		return 0;
	if (q->kind == QK_Q_QUANTIZED_LINEAR && !strcmp(p->name, "symmetric"))
		return p->value.number == 1;
	for (i = 0; i < sizeof(text_defaults) / sizeof(text_defaults[0]); i++)
		if (!strcmp(p->name, text_defaults[i].name))
			return p->value.number == text_defaults[i].number;
	return 0;
}

static int has_bits_integer(enum qk_quantizer_kind kind)
{
	return kind == QK_Q_QUANTIZED_BITS || kind == QK_Q_QUANTIZED_RELU ||
	       kind == QK_Q_QUANTIZED_LINEAR || kind == QK_Q_QUANTIZED_ULAW ||
	       kind == QK_Q_QUANTIZED_HSWISH;
}

/* Writes an explicit argument, or fallback when it was not given. The
 * resolved fields are not filled yet when the text is built. */
static void sb_explicit_number(struct strbuf *sb, const struct qk_quantizer *q,
			       const char *name, double fallback)
{
	const struct qk_value *v = qk_quantizer_param(q, name);

	if (v && (v->type == QK_VAL_NUMBER || v->type == QK_VAL_BOOL))
		sb_number(sb, v->number);
	else if (v)
		sb_value(sb, v);
	else
		sb_number(sb, fallback);
}

/*
 * Builds the constructor form "quantized_bits(6,0,alpha=1)" from a dict:
 * bits and integer positionally where the constructor starts with them,
 * then the other explicit parameters that differ from QKeras' defaults.
 */
static char *dict_text(const struct qk_quantizer *q)
{
	struct strbuf sb = { NULL, 0, 0, 0 };
	const char *sep = "";
	size_t i;
	int positional = has_bits_integer(q->kind);

	sb_puts(&sb, q->class_name);
	sb_puts(&sb, "(");
	if (positional) {
		sb_explicit_number(&sb, q, "bits", 8);
		sb_puts(&sb, ",");
		sb_explicit_number(&sb, q, "integer", 0);
		sep = ",";
	}
	for (i = 0; i < q->n_params; i++) {
		const struct qk_qparam *p = &q->params[i];

		if (positional && (!strcmp(p->name, "bits") ||
				   !strcmp(p->name, "integer")))
			continue;
		if (restates_default(q, p))
			continue;
		sb_puts(&sb, sep);
		sb_puts(&sb, p->name);
		sb_puts(&sb, "=");
		sb_value(&sb, &p->value);
		sep = ",";
	}
	sb_puts(&sb, ")");
	if (sb.failed) {
		free(sb.data);
		return NULL;
	}
	return sb.data;
}

static int is_scalar(const cJSON *item)
{
	return cJSON_IsNull(item) || cJSON_IsBool(item) ||
	       cJSON_IsNumber(item) || cJSON_IsString(item);
}

static int json_value(const cJSON *item, struct qk_value *out)
{
	out->type = QK_VAL_NONE;
	if (cJSON_IsBool(item)) {
		out->type = QK_VAL_BOOL;
		out->number = cJSON_IsTrue(item);
	} else if (cJSON_IsNumber(item)) {
		if (!isfinite(item->valuedouble))
			return -1;
		out->type = QK_VAL_NUMBER;
		out->number = item->valuedouble;
	} else if (cJSON_IsString(item)) {
		out->string = qk_strdup(item->valuestring ? item->valuestring
							  : "");
		if (!out->string)
			return -1;
		out->type = QK_VAL_STRING;
	}
	return 0;
}

/*
 * Copies the scalar entries of config into q. Nested objects and arrays
 * (an initializer, a list of axes) are skipped because no resolved field
 * takes them. Unknown keys are kept, since each QKeras release serializes
 * a different set.
 */
static int read_config(struct qk_quantizer *q, const cJSON *config,
		       struct qk_err *err)
{
	const cJSON *child;
	struct qk_qparam *p;

	cJSON_ArrayForEach(child, config) {
		if (!child->string || !is_scalar(child))
			continue;
		if (has_param(q, child->string))
			return qk_fail(err, "invalid quantizer '%s': argument "
				       "'%.64s' given twice", q->class_name,
				       child->string);
		p = &q->params[q->n_params];
		p->name = qk_strdup(child->string);
		if (!p->name)
			return qk_fail(err, "out of memory");
		q->n_params++;
		if (json_value(child, &p->value)) {
			if (cJSON_IsNumber(child))
				return qk_fail(err, "invalid quantizer '%s': "
					       "'%.64s' is not a finite "
					       "number", q->class_name,
					       child->string);
			return qk_fail(err, "out of memory");
		}
	}
	return 0;
}

static size_t count_scalars(const cJSON *config)
{
	const cJSON *child;
	size_t n = 0;

	cJSON_ArrayForEach(child, config) {
		if (child->string && is_scalar(child))
			n++;
	}
	return n;
}

static const char *json_type_name(const cJSON *item)
{
	if (cJSON_IsBool(item))
		return "a bool";
	if (cJSON_IsNumber(item))
		return "a number";
	if (cJSON_IsArray(item))
		return "an array";
	if (cJSON_IsString(item))
		return "a string";
	if (cJSON_IsObject(item))
		return "an object";
	return "an invalid value";
}

/* Checks class_name and config; returns the number of arguments or -1. */
static long check_dict(const cJSON *item, const cJSON **cls,
		       const cJSON **config, struct qk_err *err)
{
	size_t n;

	*cls = cJSON_GetObjectItemCaseSensitive(item, "class_name");
	*config = cJSON_GetObjectItemCaseSensitive(item, "config");
	if (!*cls)
		return qk_fail(err, "invalid quantizer: missing 'class_name'");
	if (!cJSON_IsString(*cls) || !(*cls)->valuestring)
		return qk_fail(err, "invalid quantizer: 'class_name' is %s, "
			       "not a string", json_type_name(*cls));
	n = strnlen((*cls)->valuestring, QK_MAX_QUANTIZER_TEXT + 1);
	if (n == 0 || n > QK_MAX_QUANTIZER_TEXT)
		return qk_fail(err, "invalid quantizer: 'class_name' is "
			       "empty or longer than %d bytes",
			       QK_MAX_QUANTIZER_TEXT);
	if (*config && cJSON_IsNull(*config))
		*config = NULL;
	if (*config && !cJSON_IsObject(*config))
		return qk_fail(err, "invalid quantizer '%.80s': 'config' is "
			       "%s, not an object", (*cls)->valuestring,
			       json_type_name(*config));
	n = *config ? count_scalars(*config) : 0;
	if (n > QK_MAX_QUANTIZER_ARGS)
		return qk_fail(err, "invalid quantizer '%.80s': too many "
			       "arguments (%zu > %d)", (*cls)->valuestring,
			       n, QK_MAX_QUANTIZER_ARGS);
	return (long)n;
}

static struct qk_quantizer *from_dict(const cJSON *item, struct qk_err *err)
{
	const cJSON *cls, *config;
	const struct qspec *spec;
	struct qk_quantizer *q;
	long n = check_dict(item, &cls, &config, err);

	if (n < 0)
		return NULL;
	q = quantizer_new(cls->valuestring, strlen(cls->valuestring),
			  (size_t)n);
	if (!q) {
		qk_fail(err, "out of memory");
		return NULL;
	}
	spec = find_spec(q->class_name, strlen(q->class_name));
	q->kind = spec ? spec->kind : QK_Q_UNKNOWN;
	if (config && read_config(q, config, err))
		goto fail;
	q->text = dict_text(q);
	if (!q->text) {
		qk_fail(err, "out of memory");
		goto fail;
	}
	if (resolve(q, err))
		goto fail;
	return q;
fail:
	qk_quantizer_free(q);
	return NULL;
}

struct qk_quantizer *qk_quantizer_from_json(const cJSON *item,
					    struct qk_err *err)
{
	if (!item || cJSON_IsNull(item)) {
		qk_fail(err, "quantizer is null");
		return NULL;
	}
	if (cJSON_IsString(item)) {
		if (!item->valuestring) {
			qk_fail(err, "invalid quantizer: string without text");
			return NULL;
		}
		return qk_quantizer_parse(item->valuestring, err);
	}
	if (!cJSON_IsObject(item)) {
		qk_fail(err, "invalid quantizer: expected a string or an "
			"object, found %s", json_type_name(item));
		return NULL;
	}
	return from_dict(item, err);
}

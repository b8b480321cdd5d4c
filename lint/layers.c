#include "layers.h"

#include <string.h>

#define COL_NAME 0
#define COL_CLASS 1
#define COL_INBOUND 2
#define COL_SHAPE 3
#define COL_PARAMS 4
#define COL_QUANT 5
#define N_COLS 6

struct row {
	char *cell[N_COLS];	/* owned */
};

struct table {
	struct row *rows;	/* owned */
	size_t n;
	size_t capacity;
	int width[N_COLS];
};

static const char *const headers[N_COLS] = {
	"Layer", "Class", "Inbound", "Output shape", "Params", "Quantizers",
};

/* Appends text to a growing string; frees and returns NULL on failure. */
static char *append(char *s, const char *text)
{
	size_t a = s ? strlen(s) : 0, b = strlen(text);
	char *grown = realloc(s, a + b + 1);

	if (!grown) {
		free(s);
		return NULL;
	}
	memcpy(grown + a, text, b + 1);
	return grown;
}

static char *inbound_cell(const struct qk_model *m, const struct qk_layer *l)
{
	char *s = qk_strdup("");
	size_t i, j;

	for (i = 0; i < l->n_nodes && s; i++) {
		if (i)
			s = append(s, " | ");
		for (j = 0; j < l->nodes[i].n_inputs && s; j++) {
			if (j)
				s = append(s, ", ");
			if (s)
				s = append(s, m->layers[
					l->nodes[i].inputs[j].layer].name);
		}
	}
	if (s && !s[0])
		s = append(s, "-");
	return s;
}

static char *shape_cell(const struct qk_layer *l)
{
	char buf[256];
	size_t used;
	int i;

	if (!l->out_rank)
		return qk_strdup("?");
	used = (size_t)snprintf(buf, sizeof(buf), "(None");
	for (i = 0; i < l->out_rank && used < sizeof(buf); i++)
		used += (size_t)snprintf(buf + used, sizeof(buf) - used,
					 ", %lld", (long long)l->out_shape[i]);
	if (used < sizeof(buf))
		snprintf(buf + used, sizeof(buf) - used, ")");
	return qk_strdup(buf);
}

/* An HGQ FixedPointQuantizer's own result type, from its overrides. */
static const char *hgq_result_type(const struct qk_layer *l)
{
	const cJSON *over = cJSON_GetObjectItemCaseSensitive(l->config,
							     "overrides");
	const cJSON *layers = cJSON_GetObjectItemCaseSensitive(over, "layers");
	const cJSON *own = cJSON_GetObjectItemCaseSensitive(layers, l->name);
	const cJSON *type = cJSON_GetObjectItemCaseSensitive(own, "result_t");

	return cJSON_IsString(type) ? type->valuestring : NULL;
}

static char *quant_cell(const struct qk_layer *l)
{
	char *s = qk_strdup("");
	int role;

	if (l->kind == QK_LAYER_FIXED_QUANTIZER && hgq_result_type(l)) {
		s = append(s, "result_t=");
		if (s)
			s = append(s, hgq_result_type(l));
		return s;
	}

	for (role = 0; role < QK_ROLE_COUNT && s; role++) {
		if (!l->quant[role])
			continue;
		if (s[0])
			s = append(s, " ");
		if (s)
			s = append(s, qk_role_name((enum qk_role)role));
		if (s)
			s = append(s, "=");
		if (s)
			s = append(s, l->quant[role]->text);
	}
	if (s && l->activation) {
		if (s[0])
			s = append(s, " ");
		if (s)
			s = append(s, "activation=");
		if (s)
			s = append(s, l->activation);
	}
	if (s && !s[0])
		s = append(s, "-");
	return s;
}

static int add_row(struct table *t, const struct qk_model *m,
		   const struct qk_layer *l, const char *prefix)
{
	struct row *r;
	int c;

	if (t->n == t->capacity) {
		size_t cap = t->capacity ? t->capacity * 2 : 32;
		struct row *grown = qk_reallocarray(t->rows, cap,
						    sizeof(*grown));

		if (!grown)
			return -1;
		t->rows = grown;
		t->capacity = cap;
	}
	r = &t->rows[t->n++];
	r->cell[COL_NAME] = qk_asprintf("%s%s", prefix, l->name);
	r->cell[COL_CLASS] = qk_strdup(l->class_name);
	r->cell[COL_INBOUND] = inbound_cell(m, l);
	r->cell[COL_SHAPE] = shape_cell(l);
	r->cell[COL_PARAMS] = qk_asprintf("%lld", (long long)l->n_params);
	r->cell[COL_QUANT] = quant_cell(l);
	for (c = 0; c < N_COLS; c++) {
		if (!r->cell[c])
			return -1;
		if ((int)strlen(r->cell[c]) > t->width[c])
			t->width[c] = (int)strlen(r->cell[c]);
	}
	return 0;
}

static int add_model(struct table *t, const struct qk_model *m,
		     const char *prefix, int depth)
{
	size_t i;
	char *inner_prefix;
	int rc;

	for (i = 0; i < m->n_layers; i++) {
		if (add_row(t, m, &m->layers[i], prefix))
			return -1;
		if (!m->layers[i].inner || depth > QK_MAX_NESTING)
			continue;
		inner_prefix = qk_asprintf("%s%s/", prefix, m->layers[i].name);
		if (!inner_prefix)
			return -1;
		rc = add_model(t, m->layers[i].inner, inner_prefix, depth + 1);
		free(inner_prefix);
		if (rc)
			return -1;
	}
	return 0;
}

static long long total_params(const struct qk_model *m)
{
	long long n = 0;
	size_t i;

	for (i = 0; i < m->n_layers; i++)
		n += m->layers[i].n_params;
	return n;
}

void qk_layers_write(FILE *out, const struct qk_model *m)
{
	struct table t = { 0 };
	size_t i;
	int c, ok;

	for (c = 0; c < N_COLS; c++)
		t.width[c] = (int)strlen(headers[c]);
	ok = add_model(&t, m, "", 0) == 0;
	fprintf(out, "%s: %s '%s' (%s, %s), %zu layers\n", m->path,
		qk_model_kind_name(m->kind), m->name, m->class_name,
		qk_format_name(m->format), m->n_layers);
	for (c = 0; c < N_COLS; c++)
		fprintf(out, "%-*s%s", c == N_COLS - 1 ? 0 : t.width[c],
			headers[c], c == N_COLS - 1 ? "\n" : "  ");
	for (i = 0; ok && i < t.n; i++)
		for (c = 0; c < N_COLS; c++)
			fprintf(out, "%-*s%s", c == N_COLS - 1 ? 0 : t.width[c],
				t.rows[i].cell[c],
				c == N_COLS - 1 ? "\n" : "  ");
	if (!ok)
		fprintf(out, "(table incomplete: out of memory)\n");
	fprintf(out, "Total params: %lld\n", total_params(m));
	for (i = 0; i < t.n; i++)
		for (c = 0; c < N_COLS; c++)
			free(t.rows[i].cell[c]);
	free(t.rows);
}

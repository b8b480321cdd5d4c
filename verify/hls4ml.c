#include "hls4ml.h"

#include <string.h>

/* Writes s as a double-quoted YAML scalar. */
static void write_quoted(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c < 0x20)
			fprintf(out, "\\x%02x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

static void write_type(FILE *out, const char *key,
		       const struct qk_prec_type *t)
{
	char buf[96];

	if (!t->present)
		return;
	fprintf(out, "      %s: ", key);
	write_quoted(out, qk_fixed_format(&t->fixed, buf, sizeof(buf)));
	fputc('\n', out);
}

/* A YAML comment must stay on one line. */
static void write_comment(FILE *out, const char *name, const char *reason)
{
	fprintf(out, "  # '%s': no fixed-point type: ", name);
	for (; reason && *reason; reason++)
		fputc(*reason == '\n' ? ' ' : *reason, out);
	fputc('\n', out);
}

static void write_layer(FILE *out, const struct qk_layer *layer,
			const struct qk_layer_prec *row)
{
	if (!row->result.present) {
		write_comment(out, layer->name,
			      row->reason ? row->reason : "not derived");
		return;
	}
	fprintf(out, "  ");
	write_quoted(out, layer->name);
	fprintf(out, ":\n    Precision:\n");
	write_type(out, "weight", &row->weight);
	write_type(out, "bias", &row->bias);
	write_type(out, "accum", &row->accum);
	write_type(out, "result", &row->result);
	if (row->weight.present)
		fprintf(out, "    ReuseFactor: 1\n");
}

static const struct qk_layer_prec *model_input(
	const struct qk_model *model, const struct qk_precision *precision,
	enum qk_prec_mode mode)
{
	size_t index = model->n_inputs ? model->inputs[0] : 0;

	return qk_precision_layer(precision, mode, index);
}

int qk_hls4ml_write_config(FILE *out, const struct qk_model *model,
			   const struct qk_precision *precision,
			   enum qk_prec_mode mode, struct qk_err *err)
{
	const struct qk_layer_prec *input;
	char buf[96];
	size_t j;

	if (!precision || precision->model != model ||
	    (unsigned)mode >= QK_PREC_MODE_COUNT)
		return qk_fail(err, "precision was derived for another model");
	input = model_input(model, precision, mode);
	fprintf(out, "# hls4ml configuration derived by qklint, %s mode\n",
		qk_prec_mode_name(mode));
	fprintf(out, "Model:\n  Precision: ");
	if (input && input->result.present)
		write_quoted(out, qk_fixed_format(&input->result.fixed, buf,
						  sizeof(buf)));
	else
		write_quoted(out, "ap_fixed<16,6>");
	fprintf(out, "\n  ReuseFactor: 1\n  Strategy: Latency\n");
	fprintf(out, "LayerName:\n");
	for (j = 0; j < model->n_layers; j++)
		write_layer(out, &model->layers[j],
			    qk_precision_layer(precision, mode, j));
	if (ferror(out))
		return qk_fail(err, "cannot write the hls4ml config");
	return 0;
}

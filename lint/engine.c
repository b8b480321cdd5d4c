#include "engine.h"

#include <stdlib.h>
#include <string.h>

/*
 * A layer's place in the report order: layers of the top model in
 * topological order, each nested model's layers right after its model
 * layer. Position 0 is kept for model-wide findings.
 */
struct layer_position {
	const char *name;
	size_t position;
};

struct position_table {
	size_t n;
	struct layer_position *entries;	/* sorted by name, then position */
};

static size_t count_layers(const struct qk_model *model)
{
	size_t i, n = model->n_layers;

	for (i = 0; i < model->n_layers; i++)
		if (model->layers[i].inner)
			n += count_layers(model->layers[i].inner);
	return n;
}

static void fill_positions(const struct qk_model *model,
			   struct position_table *table)
{
	size_t i;

	for (i = 0; i < model->n_layers; i++) {
		struct layer_position *entry = &table->entries[table->n];

		entry->name = model->layers[i].name;
		entry->position = ++table->n;
		if (model->layers[i].inner)
			fill_positions(model->layers[i].inner, table);
	}
}

static int compare_positions(const void *a, const void *b)
{
	const struct layer_position *x = a, *y = b;
	int order = strcmp(x->name, y->name);

	if (order)
		return order;
	return (x->position > y->position) - (x->position < y->position);
}

static int position_table_init(struct position_table *table,
			       const struct qk_model *model)
{
	table->n = 0;
	table->entries = qk_calloc(count_layers(model),
				   sizeof(*table->entries));
	if (!table->entries)
		return -1;
	fill_positions(model, table);
	qsort(table->entries, table->n, sizeof(*table->entries),
	      compare_positions);
	return 0;
}

/*
 * Returns the first position of the layer called name. A name that is
 * not found sorts after every layer.
 */
static size_t position_of(const struct position_table *table,
			  const char *name)
{
	size_t low = 0, high = table->n;

	if (!name)
		return 0;
	while (low < high) {
		size_t middle = low + (high - low) / 2;

		if (strcmp(table->entries[middle].name, name) < 0)
			low = middle + 1;
		else
			high = middle;
	}
	if (low < table->n && !strcmp(table->entries[low].name, name))
		return table->entries[low].position;
	return table->n + 1;
}

struct sort_entry {
	size_t position;
	size_t rule_index;
	size_t arrival;		/* keeps the sort stable */
	struct qk_finding finding;
};

static int compare_entries(const void *a, const void *b)
{
	const struct sort_entry *x = a, *y = b;

	if (x->position != y->position)
		return x->position < y->position ? -1 : 1;
	if (x->rule_index != y->rule_index)
		return x->rule_index < y->rule_index ? -1 : 1;
	return (x->arrival > y->arrival) - (x->arrival < y->arrival);
}

/* Sorts the findings from index start on by layer position, then rule. */
static int sort_findings(struct qk_sink *sink, size_t start,
			 const struct qk_model *model)
{
	struct position_table table;
	struct sort_entry *entries;
	size_t n = sink->n_findings - start, i;

	if (n < 2)
		return 0;
	if (position_table_init(&table, model) < 0)
		return -1;
	entries = qk_calloc(n, sizeof(*entries));
	if (!entries) {
		free(table.entries);
		return -1;
	}

	for (i = 0; i < n; i++) {
		struct qk_finding *finding = &sink->findings[start + i];

		entries[i].position = position_of(&table, finding->layer);
		entries[i].rule_index = qk_rules_index(finding->rule);
		entries[i].arrival = i;
		entries[i].finding = *finding;
	}
	qsort(entries, n, sizeof(*entries), compare_entries);
	for (i = 0; i < n; i++)
		sink->findings[start + i] = entries[i].finding;

	free(entries);
	free(table.entries);
	return 0;
}

static void finding_release(struct qk_finding *finding)
{
	free(finding->layer);
	free(finding->layer_class);
	free(finding->message);
	free(finding->hint);
}

/* Drops the findings from index start on that an ignore entry silences. */
static void drop_ignored(struct qk_sink *sink, size_t start,
			 const struct qk_config *config, const char *file)
{
	size_t i, n_kept = start;

	for (i = start; i < sink->n_findings; i++) {
		struct qk_finding *finding = &sink->findings[i];

		if (qk_config_ignored(config, finding->rule, finding->layer,
				      file)) {
			finding_release(finding);
			continue;
		}
		sink->findings[n_kept++] = *finding;
	}
	sink->n_findings = n_kept;
}

int qk_lint_model(const struct qk_model *model, const struct qk_config *config,
		  const char *file, struct qk_sink *sink, struct qk_err *err)
{
	size_t start = sink->n_findings, i;

	for (i = 0; i < qk_rules_count(); i++) {
		const struct qk_rule *rule = qk_rules_at(i);
		const struct qk_rule_conf *conf = qk_config_rule(config, rule);
		size_t before = sink->n_findings;

		if (!conf || conf->severity == QK_SEV_OFF)
			continue;
		if (rule->check(model, conf, sink) < 0 || sink->out_of_memory)
			return qk_fail(err, "rule %s failed: out of memory",
				       rule->id);
		drop_ignored(sink, before, config, file);
	}

	if (sort_findings(sink, start, model) < 0) {
		sink->out_of_memory = 1;
		return qk_fail(err, "out of memory");
	}
	return 0;
}

void qk_file_result_release(struct qk_file_result *result)
{
	free(result->path);
	free(result->error);
	result->path = NULL;
	result->error = NULL;
	qk_sink_release(&result->sink);
}

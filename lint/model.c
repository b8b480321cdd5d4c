/*
 * Building the in-memory graph from a Keras model config.
 */
#include "model.h"

#include <stdlib.h>
#include <string.h>

#include "model_internal.h"
#include "model_layer.h"

/* An inbound reference by name, before names are resolved to indices. */
struct pending_ref {
	const char *name;
	int node_index;
	int tensor_index;
};

struct pending_node {
	size_t n;
	struct pending_ref *refs;
};

struct pending_layer {
	size_t n_nodes;
	struct pending_node *nodes;
};

struct build {
	struct qk_model *model;
	struct pending_layer *pending;	/* parallel to model->layers */
	size_t capacity;
	size_t *layer_budget;	/* layers left for the whole file */
	int depth;
};

static struct qk_model *parse_model(const cJSON *obj, size_t *budget,
				    int depth, struct qk_err *err);

static void release_pending(struct pending_layer *p, size_t n)
{
	size_t i, j;

	if (!p)
		return;
	for (i = 0; i < n; i++) {
		for (j = 0; j < p[i].n_nodes; j++)
			free(p[i].nodes[j].refs);
		free(p[i].nodes);
	}
	free(p);
}

static void layer_release(struct qk_layer *layer)
{
	size_t i;
	int role;

	free(layer->name);
	free(layer->class_name);
	for (i = 0; i < layer->n_nodes; i++)
		free(layer->nodes[i].inputs);
	free(layer->nodes);
	free(layer->consumers);
	for (role = 0; role < QK_ROLE_COUNT; role++)
		qk_quantizer_free(layer->quant[role]);
	free(layer->activation);
	for (i = 0; i < layer->n_weights; i++) {
		free(layer->weights[i].name);
		free(layer->weights[i].data);
	}
	free(layer->weights);
	qk_model_free(layer->inner);
}

void qk_model_free(struct qk_model *model)
{
	size_t i;

	if (!model)
		return;
	for (i = 0; i < model->n_layers; i++)
		layer_release(&model->layers[i]);
	free(model->layers);
	free(model->inputs);
	free(model->outputs);
	free(model->by_name);
	free(model->path);
	free(model->weights_path);
	free(model->name);
	free(model->class_name);
	free(model->keras_version);
	cJSON_Delete(model->root);
	free(model);
}

static int add_layer(struct build *b, struct qk_err *err)
{
	struct qk_model *m = b->model;

	if (*b->layer_budget == 0)
		return qk_fail(err, "model has more than %d layers",
			       QK_MAX_LAYERS);
	(*b->layer_budget)--;
	if (m->n_layers == b->capacity) {
		size_t cap = b->capacity ? b->capacity * 2 : 16;
		void *layers = qk_reallocarray(m->layers, cap,
					       sizeof(*m->layers));
		void *pending;

		if (!layers)
			return qk_fail(err, "out of memory");
		m->layers = layers;
		pending = qk_reallocarray(b->pending, cap, sizeof(*b->pending));
		if (!pending)
			return qk_fail(err, "out of memory");
		b->pending = pending;
		b->capacity = cap;
	}
	memset(&m->layers[m->n_layers], 0, sizeof(m->layers[0]));
	memset(&b->pending[m->n_layers], 0, sizeof(b->pending[0]));
	m->n_layers++;
	return 0;
}

/* Parses [name, node_index, tensor_index, ...] (Keras 2 reference). */
static int parse_ref_list(const cJSON *item, struct pending_ref *ref,
			  const char *owner, struct qk_err *err)
{
	const cJSON *name = cJSON_GetArrayItem(item, 0);
	const cJSON *node = cJSON_GetArrayItem(item, 1);
	const cJSON *tensor = cJSON_GetArrayItem(item, 2);

	if (!cJSON_IsArray(item) || !cJSON_IsString(name))
		return qk_fail(err, "layer '%s': inbound reference must be a "
			       "list starting with a layer name", owner);
	ref->name = name->valuestring;
	ref->node_index = 0;
	ref->tensor_index = 0;
	if (node && cJSON_IsNumber(node) && node->valuedouble >= 0 &&
	    node->valuedouble < 1e6 &&
	    node->valuedouble == (double)(int)node->valuedouble)
		ref->node_index = (int)node->valuedouble;
	else if (node)
		return qk_fail(err, "layer '%s': inbound node index must be a "
			       "non-negative integer", owner);
	if (tensor && cJSON_IsNumber(tensor) && tensor->valuedouble >= 0 &&
	    tensor->valuedouble < 1e6 &&
	    tensor->valuedouble == (double)(int)tensor->valuedouble)
		ref->tensor_index = (int)tensor->valuedouble;
	else if (tensor)
		return qk_fail(err, "layer '%s': inbound tensor index must be "
			       "a non-negative integer", owner);
	return 0;
}

static int push_ref(struct pending_node *node, const struct pending_ref *ref,
		    struct qk_err *err)
{
	struct pending_ref *refs;

	if (node->n >= QK_MAX_LAYERS)
		return qk_fail(err, "too many inbound tensors");
	refs = qk_reallocarray(node->refs, node->n + 1, sizeof(*refs));
	if (!refs)
		return qk_fail(err, "out of memory");
	node->refs = refs;
	node->refs[node->n++] = *ref;
	return 0;
}

/* Collects __keras_tensor__ entries anywhere in a Keras 3 node's args. */
static int collect_keras3(const cJSON *item, struct pending_node *node,
			  const char *owner, int depth, struct qk_err *err)
{
	const cJSON *child, *cls, *cfg, *history;
	struct pending_ref ref;

	if (depth > QK_MAX_NESTING)
		return qk_fail(err, "layer '%s': inbound node nested too "
			       "deeply", owner);
	if (cJSON_IsObject(item)) {
		cls = cJSON_GetObjectItemCaseSensitive(item, "class_name");
		if (cJSON_IsString(cls) &&
		    strcmp(cls->valuestring, "__keras_tensor__") == 0) {
			cfg = cJSON_GetObjectItemCaseSensitive(item, "config");
			history = cJSON_GetObjectItemCaseSensitive(
				cfg, "keras_history");
			if (!cJSON_IsArray(history))
				return qk_fail(err, "layer '%s': keras tensor "
					       "without keras_history", owner);
			if (parse_ref_list(history, &ref, owner, err))
				return -1;
			return push_ref(node, &ref, err);
		}
	}
	if (cJSON_IsArray(item) || cJSON_IsObject(item)) {
		cJSON_ArrayForEach(child, item) {
			if (collect_keras3(child, node, owner, depth + 1, err))
				return -1;
		}
	}
	return 0;
}

static int parse_node(const cJSON *item, struct pending_node *node,
		      const char *owner, struct qk_err *err)
{
	const cJSON *ref_item;
	struct pending_ref ref;

	if (cJSON_IsObject(item)) {
		const cJSON *args = cJSON_GetObjectItemCaseSensitive(item,
								     "args");
		const cJSON *kwargs = cJSON_GetObjectItemCaseSensitive(
			item, "kwargs");

		if (!args && !kwargs)
			return qk_fail(err, "layer '%s': inbound node has no "
				       "'args'", owner);
		if (collect_keras3(args, node, owner, 0, err) ||
		    collect_keras3(kwargs, node, owner, 0, err))
			return -1;
		return 0;
	}
	if (!cJSON_IsArray(item))
		return qk_fail(err, "layer '%s': inbound node must be a list "
			       "or an object", owner);
	/* Keras 2: a list of [name, node, tensor, kwargs] lists. A single
	 * reference not wrapped in a list also occurs in older files. */
	if (cJSON_IsString(cJSON_GetArrayItem(item, 0))) {
		if (parse_ref_list(item, &ref, owner, err))
			return -1;
		return push_ref(node, &ref, err);
	}
	cJSON_ArrayForEach(ref_item, item) {
		if (parse_ref_list(ref_item, &ref, owner, err) ||
		    push_ref(node, &ref, err))
			return -1;
	}
	return 0;
}

static int parse_inbound(const cJSON *entry, struct pending_layer *p,
			 const char *owner, struct qk_err *err)
{
	const cJSON *nodes = cJSON_GetObjectItemCaseSensitive(entry,
							      "inbound_nodes");
	const cJSON *item;
	int n;

	if (!nodes || cJSON_IsNull(nodes))
		return 0;
	if (!cJSON_IsArray(nodes))
		return qk_fail(err, "layer '%s': 'inbound_nodes' must be a "
			       "list", owner);
	n = cJSON_GetArraySize(nodes);
	if (n == 0)
		return 0;
	p->nodes = qk_calloc((size_t)n, sizeof(*p->nodes));
	if (!p->nodes)
		return qk_fail(err, "out of memory");
	cJSON_ArrayForEach(item, nodes) {
		if (parse_node(item, &p->nodes[p->n_nodes++], owner, err))
			return -1;
	}
	return 0;
}

/* Names reach terminals and CI annotations, so control bytes are out. */
static int has_control_char(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

static int set_names(struct qk_layer *layer, const cJSON *entry,
		     size_t index, struct qk_err *err)
{
	const cJSON *cls = cJSON_GetObjectItemCaseSensitive(entry,
							    "class_name");
	const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(entry, "config");
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(cfg, "name");

	if (!cJSON_IsObject(entry))
		return qk_fail(err, "layer %zu of the config is not an object",
			       index);
	if (!cJSON_IsString(cls))
		return qk_fail(err, "layer %zu has no string 'class_name'",
			       index);
	if (!cJSON_IsObject(cfg))
		return qk_fail(err, "layer %zu (%s) has no 'config' object",
			       index, cls->valuestring);
	if (!name || cJSON_IsNull(name))
		name = cJSON_GetObjectItemCaseSensitive(entry, "name");
	if (has_control_char(cls->valuestring))
		return qk_fail(err, "layer %zu: 'class_name' contains a control "
			       "character", index);
	if (!cJSON_IsString(name) || !name->valuestring[0])
		return qk_fail(err, "layer %zu (%s) has no string 'name'",
			       index, cls->valuestring);
	if (has_control_char(name->valuestring))
		return qk_fail(err, "layer %zu (%s): 'name' contains a control "
			       "character", index, cls->valuestring);
	layer->name = qk_strdup(name->valuestring);
	layer->class_name = qk_strdup(cls->valuestring);
	if (!layer->name || !layer->class_name)
		return qk_fail(err, "out of memory");
	layer->config = cfg;
	qk_classify_layer(layer->class_name, &layer->kind, &layer->is_qkeras);
	return 0;
}

static int read_layer(struct build *b, const cJSON *entry, size_t index,
		      int functional, struct qk_err *err)
{
	struct qk_layer *layer;

	if (add_layer(b, err))
		return -1;
	layer = &b->model->layers[b->model->n_layers - 1];
	if (set_names(layer, entry, index, err))
		return -1;
	if (functional && parse_inbound(entry, &b->pending[b->model->n_layers
							   - 1],
					layer->name, err))
		return -1;
	if (layer->kind == QK_LAYER_MODEL) {
		layer->inner = parse_model(entry, b->layer_budget,
					   b->depth + 1, err);
		return layer->inner ? 0 : -1;
	}
	if (qk_layer_read_params(layer, err) ||
	    qk_layer_read_quantizers(layer, err))
		return -1;
	return 0;
}

static int cmp_by_name(const void *a, const void *b, void *ctx)
{
	const struct qk_model *m = ctx;

	return strcmp(m->layers[*(const size_t *)a].name,
		      m->layers[*(const size_t *)b].name);
}

/* Sorts layer indices by name with a merge sort, because C11's qsort
 * passes no context to its comparison function. */
static void sort_indices(size_t *v, size_t *tmp, size_t n,
			 const struct qk_model *m)
{
	size_t mid = n / 2, i = 0, j = mid, k = 0;

	if (n < 2)
		return;
	sort_indices(v, tmp, mid, m);
	sort_indices(v + mid, tmp, n - mid, m);
	while (i < mid && j < n) {
		if (cmp_by_name(&v[i], &v[j], (void *)m) <= 0)
			tmp[k++] = v[i++];
		else
			tmp[k++] = v[j++];
	}
	while (i < mid)
		tmp[k++] = v[i++];
	while (j < n)
		tmp[k++] = v[j++];
	memcpy(v, tmp, n * sizeof(*v));
}

static int index_names(struct qk_model *m, struct qk_err *err)
{
	size_t i, *tmp;

	free(m->by_name);
	m->by_name = qk_calloc(m->n_layers, sizeof(size_t));
	tmp = qk_calloc(m->n_layers, sizeof(size_t));
	if (!m->by_name || !tmp) {
		free(tmp);
		return qk_fail(err, "out of memory");
	}
	for (i = 0; i < m->n_layers; i++)
		m->by_name[i] = i;
	sort_indices(m->by_name, tmp, m->n_layers, m);
	free(tmp);
	for (i = 1; i < m->n_layers; i++) {
		if (strcmp(m->layers[m->by_name[i]].name,
			   m->layers[m->by_name[i - 1]].name) == 0)
			return qk_fail(err, "duplicate layer name '%s'",
				       m->layers[m->by_name[i]].name);
	}
	return 0;
}

size_t qk_model_index(const struct qk_model *model, const char *name)
{
	size_t lo = 0, hi = model->n_layers;

	if (!model->by_name)
		return (size_t)-1;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(model->layers[model->by_name[mid]].name, name);

		if (c == 0)
			return model->by_name[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (size_t)-1;
}

const struct qk_layer *qk_model_find(const struct qk_model *model,
				     const char *name)
{
	size_t i = qk_model_index(model, name);

	return i == (size_t)-1 ? NULL : &model->layers[i];
}

struct qk_layer *qk_model_find_deep(struct qk_model *model, const char *name)
{
	size_t i = qk_model_index(model, name);
	struct qk_layer *found;

	if (i != (size_t)-1)
		return &model->layers[i];
	for (i = 0; i < model->n_layers; i++) {
		if (model->layers[i].inner) {
			found = qk_model_find_deep(model->layers[i].inner,
						   name);
			if (found)
				return found;
		}
	}
	return NULL;
}

const struct qk_tensor *qk_layer_weight(const struct qk_layer *layer,
					const char *name)
{
	size_t i;

	for (i = 0; i < layer->n_weights; i++) {
		if (strcmp(layer->weights[i].name, name) == 0)
			return &layer->weights[i];
	}
	return NULL;
}

/*
 * A layer called n times has nodes 0..n-1 and an input layer has node 0.
 * A nested model may also be referred to by the node of its own input,
 * so only node indices that exceed every count are rejected.
 */
static int check_node_index(const struct build *b, size_t src,
			    const struct pending_ref *r,
			    const struct qk_layer *layer, struct qk_err *err)
{
	const struct qk_layer *from = &b->model->layers[src];
	size_t calls = b->pending[src].n_nodes;

	if (from->kind == QK_LAYER_INPUT || calls == 0)
		calls = 1;
	if (from->kind == QK_LAYER_MODEL)
		calls++;
	if ((size_t)r->node_index >= calls)
		return qk_fail(err, "layer '%s': inbound node %d of '%s' does "
			       "not exist ('%s' has %zu)", layer->name,
			       r->node_index, r->name, r->name, calls);
	return 0;
}

static int resolve_nodes(struct build *b, struct qk_err *err)
{
	struct qk_model *m = b->model;
	size_t i, j, k;

	for (i = 0; i < m->n_layers; i++) {
		struct pending_layer *p = &b->pending[i];
		struct qk_layer *layer = &m->layers[i];

		if (!p->n_nodes)
			continue;
		layer->nodes = qk_calloc(p->n_nodes, sizeof(*layer->nodes));
		if (!layer->nodes)
			return qk_fail(err, "out of memory");
		layer->n_nodes = p->n_nodes;
		for (j = 0; j < p->n_nodes; j++) {
			struct qk_node *node = &layer->nodes[j];

			node->inputs = qk_calloc(p->nodes[j].n,
						 sizeof(*node->inputs));
			if (!node->inputs)
				return qk_fail(err, "out of memory");
			node->n_inputs = p->nodes[j].n;
			for (k = 0; k < node->n_inputs; k++) {
				struct pending_ref *r = &p->nodes[j].refs[k];
				size_t src = qk_model_index(m, r->name);

				if (src == (size_t)-1)
					return qk_fail(err, "layer '%s': "
						       "inbound layer '%s' "
						       "does not exist",
						       layer->name, r->name);
				if (check_node_index(b, src, r, layer, err))
					return -1;
				node->inputs[k].layer = src;
				node->inputs[k].node_index = r->node_index;
				node->inputs[k].tensor_index = r->tensor_index;
			}
		}
	}
	return 0;
}

static int chain_sequential(struct qk_model *m, struct qk_err *err)
{
	size_t i;

	for (i = 1; i < m->n_layers; i++) {
		struct qk_layer *layer = &m->layers[i];

		layer->nodes = qk_calloc(1, sizeof(*layer->nodes));
		if (!layer->nodes)
			return qk_fail(err, "out of memory");
		layer->n_nodes = 1;
		layer->nodes[0].inputs = qk_calloc(1, sizeof(struct qk_inbound));
		if (!layer->nodes[0].inputs)
			return qk_fail(err, "out of memory");
		layer->nodes[0].n_inputs = 1;
		layer->nodes[0].inputs[0].layer = i - 1;
	}
	return 0;
}

/* Counts the inputs of layer's first call that come from layer src. */
static size_t first_call_refs(const struct qk_layer *layer, size_t src)
{
	size_t k, n = 0;

	if (!layer->n_nodes)
		return 0;
	for (k = 0; k < layer->nodes[0].n_inputs; k++)
		if (layer->nodes[0].inputs[k].layer == src)
			n++;
	return n;
}

/*
 * Slot of call node_index of layer src in the call graph. A nested model
 * counts as one call (Keras 2 numbers its calls from 1), so a chain
 * through a reused nested model is rejected as a cycle.
 */
static size_t call_slot(const struct qk_model *m, const size_t *base,
			const struct qk_inbound *in)
{
	const struct qk_layer *src = &m->layers[in->layer];
	size_t calls = src->n_nodes ? src->n_nodes : 1;

	if (src->kind == QK_LAYER_MODEL || (size_t)in->node_index >= calls)
		return base[in->layer];
	return base[in->layer] + (size_t)in->node_index;
}

/*
 * Rejects a cycle among calls: a shared layer may feed its own later
 * call through other layers, but no call may depend on itself.
 */
static int check_call_graph(const struct qk_model *m, struct qk_err *err)
{
	size_t n = m->n_layers, i, j, k, slots = 0, head = 0, tail = 0;
	size_t *base = qk_calloc(n + 1, sizeof(size_t));
	size_t *owner = NULL, *indegree = NULL, *queue = NULL;
	size_t *edge_start = NULL, *edges = NULL, n_edges = 0;
	int rc = -1;

	if (!base)
		return qk_fail(err, "out of memory");
	for (i = 0; i < n; i++) {
		const struct qk_layer *l = &m->layers[i];

		base[i] = slots;
		slots += l->kind == QK_LAYER_MODEL || !l->n_nodes ? 1 :
									   l->n_nodes;
		for (j = 0; j < l->n_nodes; j++)
			n_edges += l->nodes[j].n_inputs;
	}
	base[n] = slots;
	owner = qk_calloc(slots, sizeof(size_t));
	indegree = qk_calloc(slots, sizeof(size_t));
	queue = qk_calloc(slots, sizeof(size_t));
	edge_start = qk_calloc(slots + 1, sizeof(size_t));
	edges = qk_calloc(n_edges, sizeof(size_t));
	if (!owner || !indegree || !queue || !edge_start || !edges) {
		qk_fail(err, "out of memory");
		goto out;
	}
	/* Edges grouped by source slot (counting sort). */
	for (i = 0; i < n; i++)
		for (j = 0; j < m->layers[i].n_nodes; j++)
			for (k = 0; k < m->layers[i].nodes[j].n_inputs; k++)
				edge_start[call_slot(m, base, &m->layers[i]
						     .nodes[j].inputs[k]) + 1]++;
	for (i = 0; i < slots; i++)
		edge_start[i + 1] += edge_start[i];
	for (i = 0; i < n; i++) {
		const struct qk_layer *l = &m->layers[i];

		for (j = 0; j < base[i + 1] - base[i]; j++)
			owner[base[i] + j] = i;
		for (j = 0; j < l->n_nodes; j++) {
			size_t to = l->kind == QK_LAYER_MODEL ? base[i] :
								base[i] + j;

			for (k = 0; k < l->nodes[j].n_inputs; k++) {
				size_t from = call_slot(m, base,
							&l->nodes[j].inputs[k]);

				edges[queue[from]++ + edge_start[from]] = to;
				indegree[to]++;
			}
		}
	}
	for (i = 0; i < slots; i++)
		queue[i] = 0;
	for (i = 0; i < slots; i++)
		if (!indegree[i])
			queue[tail++] = i;
	while (head < tail) {
		size_t cur = queue[head++];

		for (k = edge_start[cur]; k < edge_start[cur + 1]; k++)
			if (--indegree[edges[k]] == 0)
				queue[tail++] = edges[k];
	}
	if (tail != slots) {
		for (i = 0; i < slots && !indegree[i]; i++)
			;
		qk_fail(err, "layer graph has a cycle through layer '%s'",
			m->layers[owner[i]].name);
		goto out;
	}
	rc = 0;
out:
	free(base);
	free(owner);
	free(indegree);
	free(queue);
	free(edge_start);
	free(edges);
	return rc;
}

/*
 * Moves layers into topological order of their first calls (Kahn),
 * after check_call_graph has ruled out cycles among calls.
 */
static int sort_topological(struct qk_model *m, struct qk_err *err)
{
	size_t n = m->n_layers, i, j, k, head = 0, tail = 0;
	size_t *indegree = qk_calloc(n, sizeof(size_t));
	size_t *queue = qk_calloc(n, sizeof(size_t));
	size_t *position = qk_calloc(n, sizeof(size_t));
	size_t *stamp = qk_calloc(n, sizeof(size_t));
	struct qk_layer *sorted = qk_calloc(n, sizeof(*sorted));
	int rc = -1;

	if (!indegree || !queue || !position || !stamp || !sorted) {
		qk_fail(err, "out of memory");
		goto out;
	}
	/* Only a layer's first call orders it: a later call of a shared
	 * layer may take its input from layers after it. */
	for (i = 0; i < n; i++)
		if (m->layers[i].n_nodes)
			indegree[i] = m->layers[i].nodes[0].n_inputs;
	for (i = 0; i < n; i++)
		if (!indegree[i])
			queue[tail++] = i;
	while (head < tail) {
		size_t cur = queue[head++];

		position[cur] = head - 1;
		for (i = 0; i < m->layers[cur].n_consumers; i++) {
			size_t c = m->layers[cur].consumers[i];
			size_t refs = first_call_refs(&m->layers[c], cur);

			/* Each consumer is visited once, at its first entry. */
			if (stamp[c] == cur + 1 || !refs)
				continue;
			stamp[c] = cur + 1;
			indegree[c] -= refs;
			if (indegree[c] == 0)
				queue[tail++] = c;
		}
	}
	if (tail != n) {
		for (i = 0; i < n && !indegree[i]; i++)
			;
		qk_fail(err, "layer graph has a cycle through layer '%s'",
			m->layers[i].name);
		goto out;
	}
	for (i = 0; i < n; i++) {
		struct qk_layer *layer = &m->layers[i];

		for (j = 0; j < layer->n_nodes; j++)
			for (k = 0; k < layer->nodes[j].n_inputs; k++)
				layer->nodes[j].inputs[k].layer = position[
					layer->nodes[j].inputs[k].layer];
		for (j = 0; j < layer->n_consumers; j++)
			layer->consumers[j] = position[layer->consumers[j]];
		sorted[position[i]] = *layer;
	}
	for (i = 0; i < m->n_inputs; i++)
		m->inputs[i] = position[m->inputs[i]];
	for (i = 0; i < m->n_outputs; i++)
		m->outputs[i] = position[m->outputs[i]];
	free(m->layers);
	m->layers = sorted;
	sorted = NULL;
	rc = 0;
out:
	free(indegree);
	free(queue);
	free(position);
	free(stamp);
	free(sorted);
	return rc;
}

/* Fills consumers[] with one entry per reference (duplicates kept). */
static int link_consumers(struct qk_model *m, struct qk_err *err)
{
	size_t i, j, k;

	for (i = 0; i < m->n_layers; i++) {
		for (j = 0; j < m->layers[i].n_nodes; j++) {
			struct qk_node *node = &m->layers[i].nodes[j];

			for (k = 0; k < node->n_inputs; k++) {
				struct qk_layer *src =
					&m->layers[node->inputs[k].layer];
				size_t *c = qk_reallocarray(
					src->consumers, src->n_consumers + 1,
					sizeof(size_t));

				if (!c)
					return qk_fail(err, "out of memory");
				src->consumers = c;
				src->consumers[src->n_consumers++] = i;
			}
		}
	}
	return 0;
}

static int parse_endpoints(struct qk_model *m, const cJSON *list,
			   const char *key, size_t **out, size_t *n_out,
			   struct qk_err *err)
{
	const cJSON *item;
	size_t n;

	if (!list || cJSON_IsNull(list))
		return 0;
	if (!cJSON_IsArray(list))
		return qk_fail(err, "model '%s': '%s' must be a list", m->name,
			       key);
	/* Keras 3 writes a single endpoint as [name, 0, 0]. */
	if (cJSON_IsString(cJSON_GetArrayItem(list, 0))) {
		struct pending_ref ref;
		size_t idx;

		if (parse_ref_list(list, &ref, m->name, err))
			return -1;
		idx = qk_model_index(m, ref.name);
		if (idx == (size_t)-1)
			return qk_fail(err, "model '%s': %s names layer '%s', "
				       "which does not exist", m->name, key,
				       ref.name);
		*out = qk_calloc(1, sizeof(size_t));
		if (!*out)
			return qk_fail(err, "out of memory");
		(*out)[0] = idx;
		*n_out = 1;
		return 0;
	}
	n = (size_t)cJSON_GetArraySize(list);
	*out = qk_calloc(n, sizeof(size_t));
	if (!*out)
		return qk_fail(err, "out of memory");
	cJSON_ArrayForEach(item, list) {
		struct pending_ref ref;
		size_t idx;

		if (parse_ref_list(item, &ref, m->name, err))
			return -1;
		idx = qk_model_index(m, ref.name);
		if (idx == (size_t)-1)
			return qk_fail(err, "model '%s': %s names layer '%s', "
				       "which does not exist", m->name, key,
				       ref.name);
		(*out)[(*n_out)++] = idx;
	}
	return 0;
}

/* Adds the InputLayer that old Sequential files leave out. */
static int add_sequential_input(struct build *b, const cJSON *first,
				struct qk_err *err)
{
	struct qk_model *m = b->model;
	const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(first, "config");
	const cJSON *cls = cJSON_GetObjectItemCaseSensitive(first,
							    "class_name");
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(cfg, "name");
	struct qk_layer *layer;

	if (cJSON_IsString(cls) && strcmp(cls->valuestring, "InputLayer") == 0)
		return 0;
	if (add_layer(b, err))
		return -1;
	layer = &m->layers[0];
	layer->name = qk_asprintf("%s_input", cJSON_IsString(name) ?
				  name->valuestring : "model");
	layer->class_name = qk_strdup("InputLayer");
	if (!layer->name || !layer->class_name)
		return qk_fail(err, "out of memory");
	layer->kind = QK_LAYER_INPUT;
	layer->config = cfg;	/* holds batch_input_shape, if any */
	return 0;
}

static int sequential_endpoints(struct qk_model *m, struct qk_err *err)
{
	if (!m->n_layers)
		return qk_fail(err, "model '%s' has no layers", m->name);
	m->inputs = qk_calloc(1, sizeof(size_t));
	m->outputs = qk_calloc(1, sizeof(size_t));
	if (!m->inputs || !m->outputs)
		return qk_fail(err, "out of memory");
	m->n_inputs = m->n_outputs = 1;
	m->inputs[0] = 0;
	m->outputs[0] = m->n_layers - 1;
	return 0;
}

/* Without input_layers, a functional model's inputs are its InputLayers. */
static int default_endpoints(struct qk_model *m, struct qk_err *err)
{
	size_t i;

	if (!m->n_inputs) {
		for (i = 0; i < m->n_layers; i++) {
			if (m->layers[i].kind != QK_LAYER_INPUT)
				continue;
			size_t *v = qk_reallocarray(m->inputs, m->n_inputs + 1,
						    sizeof(size_t));
			if (!v)
				return qk_fail(err, "out of memory");
			m->inputs = v;
			m->inputs[m->n_inputs++] = i;
		}
	}
	if (!m->n_outputs && m->n_layers) {
		free(m->outputs);
		m->outputs = qk_calloc(1, sizeof(size_t));
		if (!m->outputs)
			return qk_fail(err, "out of memory");
		m->outputs[0] = m->n_layers - 1;
		m->n_outputs = 1;
	}
	return 0;
}

static int check_inputs_are_sources(const struct qk_model *m,
				    struct qk_err *err)
{
	size_t i;

	for (i = 0; i < m->n_layers; i++) {
		const struct qk_layer *layer = &m->layers[i];

		if (layer->kind == QK_LAYER_INPUT && layer->n_nodes)
			return qk_fail(err, "input layer '%s' has inbound "
				       "nodes", layer->name);
		if (layer->kind != QK_LAYER_INPUT && !layer->n_nodes)
			return qk_fail(err, "layer '%s' (%s) has no inbound "
				       "layer", layer->name, layer->class_name);
	}
	return 0;
}

static int read_layers(struct build *b, const cJSON *layers, int sequential,
		       struct qk_err *err)
{
	const cJSON *entry;
	size_t index = 0;

	if (sequential && cJSON_GetArraySize(layers) > 0 &&
	    add_sequential_input(b, cJSON_GetArrayItem(layers, 0), err))
		return -1;
	cJSON_ArrayForEach(entry, layers) {
		if (read_layer(b, entry, index++, !sequential, err))
			return -1;
	}
	return 0;
}

static int build_graph(struct build *b, const cJSON *cfg, int sequential,
		       struct qk_err *err)
{
	struct qk_model *m = b->model;

	if (index_names(m, err))
		return -1;
	if (sequential) {
		if (chain_sequential(m, err) || sequential_endpoints(m, err))
			return -1;
	} else {
		if (resolve_nodes(b, err) ||
		    parse_endpoints(m, cJSON_GetObjectItemCaseSensitive(
					       cfg, "input_layers"),
				    "input_layers", &m->inputs, &m->n_inputs,
				    err) ||
		    parse_endpoints(m, cJSON_GetObjectItemCaseSensitive(
					       cfg, "output_layers"),
				    "output_layers", &m->outputs,
				    &m->n_outputs, err) ||
		    default_endpoints(m, err))
			return -1;
	}
	if (check_inputs_are_sources(m, err) || link_consumers(m, err) ||
	    check_call_graph(m, err) || sort_topological(m, err) ||
	    index_names(m, err))
		return -1;
	return 0;
}

static enum qk_model_kind detect_kind(const struct qk_model *m)
{
	size_t i;
	enum qk_model_kind kind = QK_MODEL_KERAS, inner;

	for (i = 0; i < m->n_layers; i++) {
		const struct qk_layer *layer = &m->layers[i];

		if (layer->kind == QK_LAYER_FIXED_QUANTIZER)
			return QK_MODEL_HGQ_PROXY;
		if (layer->is_qkeras)
			kind = QK_MODEL_QKERAS;
		if (layer->inner) {
			inner = detect_kind(layer->inner);
			if (inner == QK_MODEL_HGQ_PROXY)
				return inner;
			if (inner == QK_MODEL_QKERAS)
				kind = inner;
		}
	}
	return kind;
}

static struct qk_model *parse_model(const cJSON *obj, size_t *budget,
				    int depth, struct qk_err *err)
{
	struct build b = { 0 };
	const cJSON *cls, *cfg, *layers, *name;
	int sequential;

	if (depth > QK_MAX_NESTING) {
		qk_fail(err, "models nested more than %d levels deep",
			QK_MAX_NESTING);
		return NULL;
	}
	cls = cJSON_GetObjectItemCaseSensitive(obj, "class_name");
	cfg = cJSON_GetObjectItemCaseSensitive(obj, "config");
	if (!cJSON_IsObject(obj) || !cJSON_IsString(cls)) {
		qk_fail(err, "model config has no string 'class_name'");
		return NULL;
	}
	sequential = strcmp(cls->valuestring, "Sequential") == 0;
	if (!sequential && strcmp(cls->valuestring, "Functional") != 0 &&
	    strcmp(cls->valuestring, "Model") != 0) {
		qk_fail(err, "model config has class_name '%.100s', expected "
			"Sequential, Functional or Model", cls->valuestring);
		return NULL;
	}
	layers = cJSON_IsArray(cfg) ? cfg :
		 cJSON_GetObjectItemCaseSensitive(cfg, "layers");
	if (!cJSON_IsArray(layers)) {
		qk_fail(err, "model config has no 'layers' list");
		return NULL;
	}
	b.model = qk_calloc(1, sizeof(*b.model));
	if (!b.model) {
		qk_fail(err, "out of memory");
		return NULL;
	}
	b.layer_budget = budget;
	b.depth = depth;
	name = cJSON_GetObjectItemCaseSensitive(cfg, "name");
	b.model->name = qk_strdup(cJSON_IsString(name) ? name->valuestring :
				  "model");
	b.model->class_name = qk_strdup(cls->valuestring);
	if (!b.model->name || !b.model->class_name) {
		qk_fail(err, "out of memory");
		goto fail;
	}
	if (read_layers(&b, layers, sequential, err) ||
	    build_graph(&b, cJSON_IsObject(cfg) ? cfg : NULL, sequential, err))
		goto fail;
	b.model->kind = detect_kind(b.model);
	release_pending(b.pending, b.model->n_layers);
	return b.model;
fail:
	release_pending(b.pending, b.model->n_layers);
	qk_model_free(b.model);
	return NULL;
}

struct qk_model *qk_model_from_config(cJSON *root, struct qk_err *err)
{
	size_t budget = QK_MAX_LAYERS;
	struct qk_model *model;

	if (!root) {
		qk_fail(err, "model config is missing");
		return NULL;
	}
	model = parse_model(root, &budget, 0, err);
	if (!model) {
		cJSON_Delete(root);
		return NULL;
	}
	model->root = root;
	if (qk_model_infer_shapes(model, err)) {
		qk_model_free(model);
		return NULL;
	}
	return model;
}

/* realpath() is an XSI extension, outside _POSIX_C_SOURCE. */
#define _XOPEN_SOURCE 700

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yaml.h>

#include "config_bundled.h"

/* Largest config file or text accepted (1 MiB). */
#define QK_CONFIG_MAX_BYTES (1024 * 1024)
/* Deepest nesting of YAML mappings and sequences in one config. */
#define QK_CONFIG_MAX_DEPTH 32
/* Longest `extends` chain, the file that starts it included. */
#define QK_CONFIG_MAX_EXTENDS 8

enum ynode_type {
	YNODE_SCALAR,
	YNODE_SEQUENCE,
	YNODE_MAPPING
};

/*
 * A node of the parsed YAML document. A mapping stores its keys and values
 * alternately in items, so items[2 * i] is a key and items[2 * i + 1] its
 * value.
 */
struct ynode {
	enum ynode_type type;
	size_t line;		/* 1-based */
	size_t column;		/* 1-based */
	char *text;		/* scalar value; owned */
	int plain;		/* unquoted scalar */
	struct ynode **items;	/* owned */
	size_t n_items;
	size_t capacity;
};

/* The state of loading one config document. */
struct loader {
	struct qk_config *config;
	const char *name;	/* file name used in messages */
	const char *dir;	/* resolves a relative `extends`; NULL: none */
	const char **chain;	/* canonical names, outermost first */
	size_t depth;		/* entries in chain, this one included */
	struct qk_err *err;
};

static const char *const top_keys[] = {
	"extends", "fail-on", "thresholds", "rules", "ignore"
};

static int load_document(struct qk_config *config, const char *text,
			 size_t len, const char *name, const char *dir,
			 const char **chain, size_t depth, struct qk_err *err);

static void ynode_free(struct ynode *node)
{
	size_t i;

	if (!node)
		return;
	for (i = 0; i < node->n_items; i++)
		ynode_free(node->items[i]);
	free(node->items);
	free(node->text);
	free(node);
}

static int ynode_append(struct ynode *parent, struct ynode *child)
{
	struct ynode **items;
	size_t capacity;

	if (parent->n_items == parent->capacity) {
		capacity = parent->capacity ? 2 * parent->capacity : 8;
		items = qk_reallocarray(parent->items, capacity,
					sizeof(*items));
		if (!items)
			return -1;
		parent->items = items;
		parent->capacity = capacity;
	}
	parent->items[parent->n_items++] = child;
	return 0;
}

static const char *ynode_kind(const struct ynode *node)
{
	if (node->type == YNODE_SEQUENCE)
		return "a sequence";
	if (node->type == YNODE_MAPPING)
		return "a mapping";
	return "a scalar";
}

/* YAML core schema nulls: an empty plain scalar, ~ and null. */
static int ynode_is_null(const struct ynode *node)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL" };
	size_t i;

	if (node->type != YNODE_SCALAR || !node->plain)
		return 0;
	for (i = 0; i < sizeof(nulls) / sizeof(nulls[0]); i++)
		if (strcmp(node->text, nulls[i]) == 0)
			return 1;
	return 0;
}

static int vfail_at(const struct loader *ld, size_t line, size_t column,
		    const char *fmt, va_list ap)
{
	char detail[QK_ERR_MAX];

	vsnprintf(detail, sizeof(detail), fmt, ap);
	return qk_fail(ld->err, "invalid config: %s:%zu:%zu: %s", ld->name,
		       line, column, detail);
}

static int fail_at(const struct loader *ld, size_t line, size_t column,
		   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int fail_at(const struct loader *ld, size_t line, size_t column,
		   const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail_at(ld, line, column, fmt, ap);
	va_end(ap);
	return -1;
}

static int fail_node(const struct loader *ld, const struct ynode *node,
		     const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail_node(const struct loader *ld, const struct ynode *node,
		     const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail_at(ld, node->line, node->column, fmt, ap);
	va_end(ap);
	return -1;
}

/* Finds the 1-based line and column of a byte offset into text. */
static void offset_position(const char *text, size_t len, size_t offset,
			    size_t *line, size_t *column)
{
	size_t i;

	*line = 1;
	*column = 1;
	for (i = 0; i < offset && i < len; i++) {
		if (text[i] == '\n') {
			(*line)++;
			*column = 1;
		} else {
			(*column)++;
		}
	}
}

static int parser_fail(const struct loader *ld, const yaml_parser_t *parser,
		       const char *text, size_t len)
{
	size_t line, column;
	const char *problem = parser->problem ? parser->problem : "error";

	if (parser->error == YAML_MEMORY_ERROR)
		return qk_fail(ld->err, "out of memory");
	if (parser->error == YAML_READER_ERROR) {
		offset_position(text, len, parser->problem_offset, &line,
				&column);
		return fail_at(ld, line, column, "%s", problem);
	}
	line = parser->problem_mark.line + 1;
	column = parser->problem_mark.column + 1;
	if (parser->context)
		return fail_at(ld, line, column, "%s %s", problem,
			       parser->context);
	return fail_at(ld, line, column, "%s", problem);
}

static struct ynode *ynode_new(enum ynode_type type, const yaml_mark_t *mark)
{
	struct ynode *node = calloc(1, sizeof(*node));

	if (!node)
		return NULL;
	node->type = type;
	node->line = mark->line + 1;
	node->column = mark->column + 1;
	return node;
}

/* Turns one scalar or collection-start event into a node. */
static int event_node(const struct loader *ld, const yaml_event_t *event,
		      struct ynode **out)
{
	const yaml_mark_t *mark = &event->start_mark;
	struct ynode *node;
	const char *value;
	size_t length;

	*out = NULL;
	if (event->type == YAML_SEQUENCE_START_EVENT)
		node = ynode_new(YNODE_SEQUENCE, mark);
	else if (event->type == YAML_MAPPING_START_EVENT)
		node = ynode_new(YNODE_MAPPING, mark);
	else
		node = ynode_new(YNODE_SCALAR, mark);
	if (!node)
		return qk_fail(ld->err, "out of memory");
	if (event->type == YAML_SCALAR_EVENT) {
		value = (const char *)event->data.scalar.value;
		length = event->data.scalar.length;
		if (memchr(value, '\0', length)) {
			ynode_free(node);
			return fail_at(ld, mark->line + 1, mark->column + 1,
				       "NUL character in a scalar");
		}
		node->text = qk_strndup(value, length);
		node->plain = event->data.scalar.style ==
			      YAML_PLAIN_SCALAR_STYLE;
		if (!node->text) {
			ynode_free(node);
			return qk_fail(ld->err, "out of memory");
		}
	}
	*out = node;
	return 0;
}

/*
 * Handles one parser event while building the tree. Returns 1 at the end
 * of the stream, 0 to go on, -1 on an error.
 */
static int tree_event(const struct loader *ld, const yaml_event_t *event,
		      struct ynode **stack, size_t *depth, struct ynode **root,
		      int *documents)
{
	const yaml_mark_t *mark = &event->start_mark;
	struct ynode *node;
	int starts;

	switch (event->type) {
	case YAML_STREAM_END_EVENT:
		return 1;
	case YAML_DOCUMENT_START_EVENT:
		if (++*documents > 1)
			return fail_at(ld, mark->line + 1, mark->column + 1,
				       "expected a single YAML document");
		return 0;
	case YAML_ALIAS_EVENT:
		return fail_at(ld, mark->line + 1, mark->column + 1,
			       "aliases are not supported");
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		(*depth)--;
		return 0;
	case YAML_SCALAR_EVENT:
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		break;
	default:
		return 0;
	}
	starts = event->type != YAML_SCALAR_EVENT;
	if (starts && *depth == QK_CONFIG_MAX_DEPTH)
		return fail_at(ld, mark->line + 1, mark->column + 1,
			       "nesting deeper than %d levels",
			       QK_CONFIG_MAX_DEPTH);
	if (event_node(ld, event, &node) < 0)
		return -1;
	if (*depth == 0) {
		*root = node;
	} else if (ynode_append(stack[*depth - 1], node) < 0) {
		ynode_free(node);
		return qk_fail(ld->err, "out of memory");
	}
	if (starts)
		stack[(*depth)++] = node;
	return 0;
}

/*
 * Parses text into a tree of nodes with libyaml's event API. Aliases are
 * rejected rather than expanded, so the tree never grows past the size of
 * the text. *root is NULL for an empty stream.
 */
static int parse_tree(const struct loader *ld, const char *text, size_t len,
		      struct ynode **root)
{
	struct ynode *stack[QK_CONFIG_MAX_DEPTH];
	yaml_parser_t parser;
	yaml_event_t event;
	size_t depth = 0;
	int documents = 0;
	int rc = 0;

	*root = NULL;
	if (!yaml_parser_initialize(&parser))
		return qk_fail(ld->err, "out of memory");
	yaml_parser_set_input_string(&parser, (const unsigned char *)text,
				     len);
	while (rc == 0) {
		if (!yaml_parser_parse(&parser, &event)) {
			rc = parser_fail(ld, &parser, text, len);
			break;
		}
		rc = tree_event(ld, &event, stack, &depth, root, &documents);
		yaml_event_delete(&event);
	}
	yaml_parser_delete(&parser);
	if (rc < 0) {
		ynode_free(*root);
		*root = NULL;
		return -1;
	}
	return 0;
}

/* Rejects a mapping key that is not a scalar or appears twice. */
static int check_keys(const struct loader *ld, const struct ynode *map)
{
	size_t i, j;
	const struct ynode *key;

	for (i = 0; i < map->n_items; i += 2) {
		key = map->items[i];
		if (key->type != YNODE_SCALAR)
			return fail_node(ld, key, "expected a scalar key, "
				       "got %s", ynode_kind(key));
		for (j = 0; j < i; j += 2)
			if (strcmp(map->items[j]->text, key->text) == 0)
				return fail_node(ld, key,
						 "duplicate key '%s'",
						 key->text);
	}
	return 0;
}

/* Returns the value of key in a mapping, or NULL. */
static const struct ynode *map_get(const struct ynode *map, const char *key)
{
	size_t i;

	for (i = 0; i < map->n_items; i += 2)
		if (strcmp(map->items[i]->text, key) == 0)
			return map->items[i + 1];
	return NULL;
}

static int expect_scalar(const struct loader *ld, const struct ynode *node,
			 const char *what)
{
	if (node->type == YNODE_SCALAR)
		return 0;
	return fail_node(ld, node, "expected a scalar for %s, got %s", what,
			 ynode_kind(node));
}

static int expect_mapping(const struct loader *ld, const struct ynode *node,
			  const char *what)
{
	if (node->type != YNODE_MAPPING)
		return fail_node(ld, node, "expected a mapping for %s, got %s",
				 what, ynode_kind(node));
	return check_keys(ld, node);
}

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return qk_strdup(".");
	if (slash == path)
		return qk_strdup("/");
	return qk_strndup(path, (size_t)(slash - path));
}

/*
 * Reads a whole regular file of at most QK_CONFIG_MAX_BYTES. The file is
 * opened non-blocking so that a FIFO named by mistake cannot stall the run.
 */
static int read_text(const char *path, char **text, size_t *len,
		     struct qk_err *err)
{
	struct stat st;
	char *buf;
	size_t used = 0;
	ssize_t n = 0;
	int fd;

	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return qk_fail(err, "%s", strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return qk_fail(err, "not a regular file");
	}
	if (st.st_size > QK_CONFIG_MAX_BYTES) {
		close(fd);
		return qk_fail(err, "file too large (%lld bytes > %d bytes)",
			       (long long)st.st_size, QK_CONFIG_MAX_BYTES);
	}
	buf = malloc(QK_CONFIG_MAX_BYTES + 1);
	if (!buf) {
		close(fd);
		return qk_fail(err, "out of memory");
	}
	/* The size may change after fstat, so read one byte past the cap. */
	while (used <= QK_CONFIG_MAX_BYTES) {
		n = read(fd, buf + used, QK_CONFIG_MAX_BYTES + 1 - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		used += (size_t)n;
	}
	if (n < 0 || used > QK_CONFIG_MAX_BYTES) {
		qk_fail(err, "%s", n < 0 ? strerror(errno)
				: "file too large");
		close(fd);
		free(buf);
		return -1;
	}
	close(fd);
	buf[used] = '\0';
	*text = buf;
	*len = used;
	return 0;
}

static int chain_contains(const struct loader *ld, const char *canonical)
{
	size_t i;

	for (i = 0; i < ld->depth; i++)
		if (strcmp(ld->chain[i], canonical) == 0)
			return 1;
	return 0;
}

/* Loads the bundled config `name` (default, strict) named by extends. */
static int extend_bundled(const struct loader *ld, const struct ynode *node,
			  const char *bundle, const char **chain)
{
	char canonical[64];
	char label[64];
	const char *text = qk_config_bundled_text(bundle);

	snprintf(canonical, sizeof(canonical), "(bundled) %s", bundle);
	snprintf(label, sizeof(label), "(built-in %s)", bundle);
	if (chain_contains(ld, canonical))
		return fail_node(ld, node, "extends cycle through '%s'",
				 bundle);
	chain[ld->depth] = canonical;
	return load_document(ld->config, text, strlen(text), label, NULL,
			     chain, ld->depth + 1, ld->err);
}

static int extend_file(const struct loader *ld, const struct ynode *node,
		       const char *path, const char **chain)
{
	struct qk_err read_err = QK_ERR_INIT;
	char *canonical, *text, *dir;
	size_t len;
	int rc = -1;

	canonical = realpath(path, NULL);
	if (!canonical)
		return fail_node(ld, node, "cannot read '%s' named by "
				 "extends: %s", path, strerror(errno));
	if (chain_contains(ld, canonical)) {
		free(canonical);
		return fail_node(ld, node, "extends cycle through '%s'",
				 path);
	}
	if (read_text(path, &text, &len, &read_err) < 0) {
		free(canonical);
		return fail_node(ld, node, "cannot read '%s' named by "
				 "extends: %s", path, read_err.msg);
	}
	dir = dir_of(path);
	if (!dir) {
		qk_fail(ld->err, "out of memory");
	} else {
		chain[ld->depth] = canonical;
		rc = load_document(ld->config, text, len, path, dir, chain,
				   ld->depth + 1, ld->err);
	}
	free(dir);
	free(text);
	free(canonical);
	return rc;
}

static int apply_extends(const struct loader *ld, const struct ynode *node)
{
	const char *chain[QK_CONFIG_MAX_EXTENDS];
	char *path;
	int rc;

	if (expect_scalar(ld, node, "extends") < 0)
		return -1;
	if (ynode_is_null(node))
		return fail_node(ld, node, "expected default, strict or a "
				 "path for extends, got nothing");
	if (ld->depth >= QK_CONFIG_MAX_EXTENDS)
		return fail_node(ld, node, "extends chain longer than %d "
				 "files", QK_CONFIG_MAX_EXTENDS);
	memcpy(chain, ld->chain, ld->depth * sizeof(*chain));
	if (qk_config_bundled_text(node->text))
		return extend_bundled(ld, node, node->text, chain);
	if (node->text[0] == '/')
		path = qk_strdup(node->text);
	else if (!ld->dir)
		return fail_node(ld, node, "unknown bundled config '%s' "
				 "(expected default or strict)", node->text);
	else
		path = qk_asprintf("%s/%s", ld->dir, node->text);
	if (!path)
		return qk_fail(ld->err, "out of memory");
	rc = extend_file(ld, node, path, chain);
	free(path);
	return rc;
}

static int apply_fail_on(const struct loader *ld, const struct ynode *node)
{
	if (expect_scalar(ld, node, "fail-on") < 0)
		return -1;
	if (strcmp(node->text, "error") == 0)
		ld->config->fail_on = QK_SEV_ERROR;
	else if (strcmp(node->text, "warning") == 0)
		ld->config->fail_on = QK_SEV_WARNING;
	else
		return fail_node(ld, node, "expected error or warning for "
				 "fail-on, got '%s'", node->text);
	return 0;
}

/*
 * Sets option index of conf from a scalar node. what names the setting in
 * messages: "option 'max-bits' of rule QK201" or "threshold 'max-bits'".
 */
static int set_option(const struct loader *ld, struct qk_rule_conf *conf,
		      size_t index, const struct ynode *node, const char *what)
{
	const struct qk_option *option = &conf->rule->options[index];
	struct qk_err set_err = QK_ERR_INIT;

	if (expect_scalar(ld, node, what) < 0)
		return -1;
	if (qk_rule_conf_set(conf, index, node->text, &set_err) == 0)
		return 0;
	if (strcmp(set_err.msg, "out of memory") == 0)
		return qk_fail(ld->err, "out of memory");
	if (option->type == QK_OPT_INT)
		return fail_node(ld, node, "expected an integer for %s, "
				 "got '%s'", what, node->text);
	if (option->type == QK_OPT_BOOL)
		return fail_node(ld, node, "expected true or false for %s, "
				 "got '%s'", what, node->text);
	return fail_node(ld, node, "invalid value for %s: %s", what,
			 set_err.msg);
}

static int apply_threshold(const struct loader *ld, const struct ynode *key,
			   const struct ynode *value)
{
	struct qk_rule_conf *conf;
	char what[128];
	size_t i, j;
	int found = 0;

	snprintf(what, sizeof(what), "threshold '%s'", key->text);
	for (i = 0; i < ld->config->n_rules; i++) {
		conf = &ld->config->rules[i];
		for (j = 0; j < conf->rule->n_options; j++) {
			if (strcmp(conf->rule->options[j].name, key->text))
				continue;
			if (set_option(ld, conf, j, value, what) < 0)
				return -1;
			found = 1;
		}
	}
	if (!found)
		return fail_node(ld, key, "unknown threshold '%s' (no rule "
				 "has an option of that name)", key->text);
	return 0;
}

static int apply_thresholds(const struct loader *ld, const struct ynode *node)
{
	size_t i;

	if (ynode_is_null(node))
		return 0;
	if (expect_mapping(ld, node, "thresholds") < 0)
		return -1;
	for (i = 0; i < node->n_items; i += 2)
		if (apply_threshold(ld, node->items[i], node->items[i + 1]) <
		    0)
			return -1;
	return 0;
}

/* Parses a level: off, info, warning, error, or enable and disable. */
static int parse_level(const struct loader *ld, const struct qk_rule *rule,
		       const struct ynode *node, enum qk_severity *out)
{
	if (node->type != YNODE_SCALAR)
		return fail_node(ld, node, "expected a level for rule %s, got "
				 "%s", rule->id, ynode_kind(node));
	if (strcmp(node->text, "enable") == 0)
		*out = rule->severity;
	else if (strcmp(node->text, "disable") == 0)
		*out = QK_SEV_OFF;
	else if (qk_severity_parse(node->text, out) < 0)
		return fail_node(ld, node, "invalid level '%s' for rule %s "
				 "(expected off, info, warning, error, enable "
				 "or disable)", node->text, rule->id);
	if (*out != QK_SEV_OFF && rule->status == QK_RULE_REMOVED)
		return fail_node(ld, node, "rule %s (%s) was removed and "
				 "cannot be enabled", rule->id, rule->name);
	return 0;
}

static int add_ignore(struct qk_config *config, const struct qk_rule *rule,
		      const char *layer_glob, const char *file_glob,
		      struct qk_err *err)
{
	struct qk_ignore *ignores, *entry;

	ignores = qk_reallocarray(config->ignores, config->n_ignores + 1,
				  sizeof(*ignores));
	if (!ignores)
		return qk_fail(err, "out of memory");
	config->ignores = ignores;
	entry = &ignores[config->n_ignores];
	entry->rule = rule;
	entry->layer_glob = layer_glob ? qk_strdup(layer_glob) : NULL;
	entry->file_glob = file_glob ? qk_strdup(file_glob) : NULL;
	if ((layer_glob && !entry->layer_glob) ||
	    (file_glob && !entry->file_glob)) {
		free(entry->layer_glob);
		free(entry->file_glob);
		return qk_fail(err, "out of memory");
	}
	config->n_ignores++;
	return 0;
}

/*
 * Returns the scalars of a node that may be one scalar or a sequence of
 * scalars, in *items and *n (*items points into the node).
 */
static int scalar_list(const struct loader *ld, const struct ynode *node,
		       const char *what, struct ynode *const **items,
		       size_t *n)
{
	size_t i;

	if (node->type == YNODE_MAPPING)
		return fail_node(ld, node, "expected a scalar or a sequence "
				 "for %s, got a mapping", what);
	if (node->type == YNODE_SCALAR) {
		*items = NULL;
		*n = 0;
		return 1;
	}
	if (node->n_items == 0)
		return fail_node(ld, node, "expected at least one entry in "
				 "%s", what);
	for (i = 0; i < node->n_items; i++)
		if (expect_scalar(ld, node->items[i], what) < 0)
			return -1;
	*items = node->items;
	*n = node->n_items;
	return 0;
}

static int apply_ignore_layers(const struct loader *ld,
			       const struct qk_rule *rule,
			       const struct ynode *node)
{
	struct ynode *const *items;
	size_t i, n;
	int single;

	single = scalar_list(ld, node, "ignore-layers", &items, &n);
	if (single < 0)
		return -1;
	if (single)
		return add_ignore(ld->config, rule, node->text, NULL, ld->err);
	for (i = 0; i < n; i++)
		if (add_ignore(ld->config, rule, items[i]->text, NULL,
			       ld->err) < 0)
			return -1;
	return 0;
}

static int option_index(const struct qk_rule *rule, const char *name,
			size_t *index)
{
	size_t i;

	for (i = 0; i < rule->n_options; i++) {
		if (strcmp(rule->options[i].name, name) == 0) {
			*index = i;
			return 0;
		}
	}
	return -1;
}

static int apply_rule_mapping(const struct loader *ld,
			      struct qk_rule_conf *conf,
			      const struct ynode *map)
{
	const struct qk_rule *rule = conf->rule;
	const struct ynode *key, *value;
	char what[160];
	size_t i, index;

	for (i = 0; i < map->n_items; i += 2) {
		key = map->items[i];
		value = map->items[i + 1];
		if (strcmp(key->text, "level") == 0) {
			if (parse_level(ld, rule, value, &conf->severity) < 0)
				return -1;
		} else if (strcmp(key->text, "ignore-layers") == 0) {
			if (apply_ignore_layers(ld, rule, value) < 0)
				return -1;
		} else if (option_index(rule, key->text, &index) == 0) {
			snprintf(what, sizeof(what), "option '%s' of rule %s",
				 key->text, rule->id);
			if (set_option(ld, conf, index, value, what) < 0)
				return -1;
		} else {
			return fail_node(ld, key, "unknown option '%s' for "
					 "rule %s", key->text, rule->id);
		}
	}
	return 0;
}

static int apply_rule(const struct loader *ld, const struct ynode *key,
		      const struct ynode *value)
{
	const struct qk_rule *rule = qk_rules_find(key->text);
	struct qk_rule_conf *conf;
	char what[64];

	if (!rule)
		return fail_node(ld, key, "unknown rule '%s'", key->text);
	conf = qk_config_rule_mut(ld->config, rule);
	if (!conf)
		QK_BUG("rule %s missing from the config", rule->id);
	if (value->type == YNODE_SCALAR)
		return parse_level(ld, rule, value, &conf->severity);
	snprintf(what, sizeof(what), "rule %s", rule->id);
	if (value->type != YNODE_MAPPING)
		return fail_node(ld, value, "expected a level or a mapping "
				 "for %s, got %s", what, ynode_kind(value));
	if (check_keys(ld, value) < 0)
		return -1;
	return apply_rule_mapping(ld, conf, value);
}

static int apply_rules(const struct loader *ld, const struct ynode *node)
{
	const struct qk_rule *rule, *earlier;
	size_t i, j;

	if (ynode_is_null(node))
		return 0;
	if (expect_mapping(ld, node, "rules") < 0)
		return -1;
	for (i = 0; i < node->n_items; i += 2) {
		/* The same rule by ID and by name would silently compete. */
		rule = qk_rules_find(node->items[i]->text);
		for (j = 0; rule && j < i; j += 2) {
			earlier = qk_rules_find(node->items[j]->text);
			if (earlier == rule)
				return fail_node(ld, node->items[i],
						 "rule %s is configured "
						 "twice", rule->id);
		}
		if (apply_rule(ld, node->items[i], node->items[i + 1]) < 0)
			return -1;
	}
	return 0;
}

/* The parts of one `ignore` entry, each a list of scalars. */
struct ignore_entry {
	struct ynode *const *rules, *const *layers, *const *files;
	size_t n_rules, n_layers, n_files;
	const struct ynode *single_rule, *single_layer, *single_file;
};

static int ignore_part(const struct loader *ld, const struct ynode *map,
		       const char *key, struct ynode *const **items, size_t *n,
		       const struct ynode **single)
{
	const struct ynode *node = map_get(map, key);
	int rc;

	*items = NULL;
	*n = 0;
	*single = NULL;
	if (!node)
		return 0;
	rc = scalar_list(ld, node, key, items, n);
	if (rc < 0)
		return -1;
	if (rc == 1) {
		*items = NULL;
		*single = node;
	}
	return 0;
}

/* Returns item i of a part, counting a single scalar as one item. */
static const char *part_text(struct ynode *const *items,
			     const struct ynode *single, size_t i)
{
	if (single)
		return single->text;
	return items ? items[i]->text : NULL;
}

static size_t part_count(size_t n, const struct ynode *single,
			 struct ynode *const *items)
{
	if (single)
		return 1;
	return items ? n : 1;
}

static int add_ignore_entry(const struct loader *ld,
			    const struct ignore_entry *entry)
{
	const struct qk_rule *rule = NULL;
	const char *rule_text, *layer, *file;
	size_t n_rules, n_layers, n_files, r, l, f;

	n_rules = part_count(entry->n_rules, entry->single_rule, entry->rules);
	n_layers = part_count(entry->n_layers, entry->single_layer,
			      entry->layers);
	n_files = part_count(entry->n_files, entry->single_file, entry->files);
	for (r = 0; r < n_rules; r++) {
		rule_text = part_text(entry->rules, entry->single_rule, r);
		if (rule_text) {
			rule = qk_rules_find(rule_text);
			if (!rule)
				return fail_node(ld, entry->single_rule ?
						 entry->single_rule :
						 entry->rules[r],
						 "unknown rule '%s'",
						 rule_text);
		}
		for (l = 0; l < n_layers; l++) {
			layer = part_text(entry->layers, entry->single_layer,
					  l);
			for (f = 0; f < n_files; f++) {
				file = part_text(entry->files,
						 entry->single_file, f);
				if (add_ignore(ld->config, rule, layer, file,
					       ld->err) < 0)
					return -1;
			}
		}
	}
	return 0;
}

static int apply_ignore_item(const struct loader *ld, const struct ynode *item)
{
	static const char *const keys[] = { "rules", "layers", "files" };
	struct ignore_entry entry;
	size_t i, k;

	/* A bare scalar is a model-file glob, as in yamllint's ignore. */
	if (item->type == YNODE_SCALAR)
		return add_ignore(ld->config, NULL, NULL, item->text, ld->err);
	if (expect_mapping(ld, item, "an ignore entry") < 0)
		return -1;
	if (item->n_items == 0)
		return fail_node(ld, item, "empty ignore entry (expected "
				 "rules, layers or files)");
	for (i = 0; i < item->n_items; i += 2) {
		for (k = 0; k < 3; k++)
			if (strcmp(item->items[i]->text, keys[k]) == 0)
				break;
		if (k == 3)
			return fail_node(ld, item->items[i], "unknown key '%s' "
					 "in an ignore entry (expected rules, "
					 "layers or files)",
					 item->items[i]->text);
	}
	if (ignore_part(ld, item, "rules", &entry.rules, &entry.n_rules,
			&entry.single_rule) < 0 ||
	    ignore_part(ld, item, "layers", &entry.layers, &entry.n_layers,
			&entry.single_layer) < 0 ||
	    ignore_part(ld, item, "files", &entry.files, &entry.n_files,
			&entry.single_file) < 0)
		return -1;
	return add_ignore_entry(ld, &entry);
}

static int apply_ignore(const struct loader *ld, const struct ynode *node)
{
	size_t i;

	if (ynode_is_null(node))
		return 0;
	if (node->type != YNODE_SEQUENCE)
		return fail_node(ld, node, "expected a sequence for ignore, "
				 "got %s", ynode_kind(node));
	for (i = 0; i < node->n_items; i++)
		if (apply_ignore_item(ld, node->items[i]) < 0)
			return -1;
	return 0;
}

static int check_top_keys(const struct loader *ld, const struct ynode *root)
{
	const size_t n_keys = sizeof(top_keys) / sizeof(top_keys[0]);
	size_t i, k;

	for (i = 0; i < root->n_items; i += 2) {
		for (k = 0; k < n_keys; k++)
			if (strcmp(root->items[i]->text, top_keys[k]) == 0)
				break;
		if (k == n_keys)
			return fail_node(ld, root->items[i], "unknown key '%s' "
					 "(expected extends, fail-on, "
					 "thresholds, rules or ignore)",
					 root->items[i]->text);
	}
	return 0;
}

/*
 * Applies the keys in precedence order rather than file order: the file
 * named by extends first, so everything here overrides it, and thresholds
 * before rules, so a rule's own option beats a shared threshold.
 */
static int apply_document(const struct loader *ld, const struct ynode *root)
{
	const struct ynode *value;

	if (!root || ynode_is_null(root))
		return 0;
	if (root->type != YNODE_MAPPING)
		return fail_node(ld, root, "expected a mapping at the top "
				 "level, got %s", ynode_kind(root));
	if (check_keys(ld, root) < 0 || check_top_keys(ld, root) < 0)
		return -1;
	value = map_get(root, "extends");
	if (value && apply_extends(ld, value) < 0)
		return -1;
	value = map_get(root, "fail-on");
	if (value && apply_fail_on(ld, value) < 0)
		return -1;
	value = map_get(root, "thresholds");
	if (value && apply_thresholds(ld, value) < 0)
		return -1;
	value = map_get(root, "rules");
	if (value && apply_rules(ld, value) < 0)
		return -1;
	value = map_get(root, "ignore");
	if (value && apply_ignore(ld, value) < 0)
		return -1;
	return 0;
}

static int set_source(struct qk_config *config, const char *name,
		      const char *dir, struct qk_err *err)
{
	char *source = qk_strdup(name);
	char *base_dir = dir ? qk_strdup(dir) : NULL;

	if (!source || (dir && !base_dir)) {
		free(source);
		free(base_dir);
		return qk_fail(err, "out of memory");
	}
	free(config->source);
	free(config->base_dir);
	config->source = source;
	config->base_dir = base_dir;
	return 0;
}

static int load_document(struct qk_config *config, const char *text,
			 size_t len, const char *name, const char *dir,
			 const char **chain, size_t depth, struct qk_err *err)
{
	struct loader ld = { config, name, dir, chain, depth, err };
	struct ynode *root;
	int rc;

	if (len > QK_CONFIG_MAX_BYTES)
		return qk_fail(err, "invalid config: %s: larger than %d bytes "
			       "(%zu bytes)", name, QK_CONFIG_MAX_BYTES, len);
	if (parse_tree(&ld, text, len, &root) < 0)
		return -1;
	rc = apply_document(&ld, root);
	ynode_free(root);
	if (rc < 0)
		return -1;
	return set_source(config, name, dir, err);
}

/* Deep-copies src so that a failed load can leave the original intact. */
static int config_copy(struct qk_config *dst, const struct qk_config *src,
		       struct qk_err *err)
{
	size_t i, j;
	struct qk_rule_conf *conf;

	memset(dst, 0, sizeof(*dst));
	dst->fail_on = src->fail_on;
	dst->rules = qk_calloc(src->n_rules, sizeof(*dst->rules));
	if (!dst->rules || set_source(dst, src->source ? src->source : "",
				      src->base_dir, err) < 0)
		goto fail;
	for (i = 0; i < src->n_rules; i++) {
		conf = &dst->rules[i];
		*conf = src->rules[i];
		memset(conf->string_value, 0, sizeof(conf->string_value));
		dst->n_rules++;
		for (j = 0; j < QK_MAX_OPTIONS; j++) {
			if (!src->rules[i].string_value[j])
				continue;
			conf->string_value[j] =
				qk_strdup(src->rules[i].string_value[j]);
			if (!conf->string_value[j])
				goto fail;
		}
	}
	for (i = 0; i < src->n_ignores; i++) {
		if (add_ignore(dst, src->ignores[i].rule,
			       src->ignores[i].layer_glob,
			       src->ignores[i].file_glob, err) < 0)
			goto fail;
	}
	return 0;
fail:
	qk_config_release(dst);
	return qk_fail(err, "out of memory");
}

int qk_config_init(struct qk_config *config, struct qk_err *err)
{
	size_t i, n = qk_rules_count();

	memset(config, 0, sizeof(*config));
	config->fail_on = QK_SEV_ERROR;
	config->source = qk_strdup("(defaults)");
	config->rules = qk_calloc(n, sizeof(*config->rules));
	if (!config->source || !config->rules)
		goto fail;
	for (i = 0; i < n; i++) {
		if (qk_rule_conf_init(&config->rules[i], qk_rules_at(i)) < 0)
			goto fail;
		config->n_rules++;
		/* A removed rule stays registered but never runs. */
		if (qk_rules_at(i)->status == QK_RULE_REMOVED)
			config->rules[i].severity = QK_SEV_OFF;
	}
	return 0;
fail:
	qk_config_release(config);
	return qk_fail(err, "out of memory");
}

void qk_config_release(struct qk_config *config)
{
	size_t i;

	for (i = 0; i < config->n_rules; i++)
		qk_rule_conf_release(&config->rules[i]);
	free(config->rules);
	for (i = 0; i < config->n_ignores; i++) {
		free(config->ignores[i].layer_glob);
		free(config->ignores[i].file_glob);
	}
	free(config->ignores);
	free(config->source);
	free(config->base_dir);
	memset(config, 0, sizeof(*config));
}

/* Loads into a copy and swaps it in, so a failure changes nothing. */
static int load_atomic(struct qk_config *config, const char *text,
		       size_t len, const char *name, const char *canonical,
		       struct qk_err *err)
{
	const char *chain[QK_CONFIG_MAX_EXTENDS];
	struct qk_config copy;
	char *dir = dir_of(name);
	int rc;

	if (!dir)
		return qk_fail(err, "out of memory");
	if (config_copy(&copy, config, err) < 0) {
		free(dir);
		return -1;
	}
	chain[0] = canonical;
	rc = load_document(&copy, text, len, name, dir, chain, 1, err);
	free(dir);
	if (rc < 0) {
		qk_config_release(&copy);
		return -1;
	}
	qk_config_release(config);
	*config = copy;
	return 0;
}

int qk_config_load(struct qk_config *config, const char *path,
		   struct qk_err *err)
{
	struct qk_err read_err = QK_ERR_INIT;
	char *text, *canonical;
	size_t len;
	int rc;

	if (read_text(path, &text, &len, &read_err) < 0)
		return qk_fail(err, "cannot read config '%s': %s", path,
			       read_err.msg);
	canonical = realpath(path, NULL);
	rc = load_atomic(config, text, len, path, canonical ? canonical : path,
			 err);
	free(canonical);
	free(text);
	return rc;
}

int qk_config_load_text(struct qk_config *config, const char *text,
			size_t len, const char *name, struct qk_err *err)
{
	return load_atomic(config, text, len, name, name, err);
}

static int is_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static int exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* Looks for a config in dir. Returns 1 when found, 0, or -1 on OOM. */
static int find_in_dir(const char *dir, char **found)
{
	static const char *const names[] = { ".qklint.yaml", ".qklint.yml" };
	const char *sep = strcmp(dir, "/") == 0 ? "" : "/";
	char *path;
	size_t i;

	for (i = 0; i < 2; i++) {
		path = qk_asprintf("%s%s%s", dir, sep, names[i]);
		if (!path)
			return -1;
		if (is_file(path)) {
			*found = path;
			return 1;
		}
		free(path);
	}
	return 0;
}

/* Returns nonzero when the walk up should end after dir. */
static int is_walk_end(const char *dir)
{
	const char *home = getenv("HOME");
	char *git, *real_home;
	int end;

	if (strcmp(dir, "/") == 0)
		return 1;
	/* dir comes from realpath(), so compare HOME in the same form. */
	real_home = home && *home ? realpath(home, NULL) : NULL;
	end = real_home && strcmp(dir, real_home) == 0;
	free(real_home);
	if (end)
		return 1;
	git = qk_asprintf("%s/.git", dir);
	if (!git)
		return 1;
	end = exists(git);
	free(git);
	return end;
}

char *qk_config_discover(const char *model_path)
{
	char *model_dir = dir_of(model_path);
	char *dir = model_dir ? realpath(model_dir, NULL) : NULL;
	char *found = NULL;
	char *slash;

	free(model_dir);
	while (dir) {
		if (find_in_dir(dir, &found) != 0 || is_walk_end(dir))
			break;
		slash = strrchr(dir, '/');
		if (slash == dir)
			slash[1] = '\0';
		else
			*slash = '\0';
	}
	free(dir);
	return found;
}

static int is_regular_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

char *qk_config_locate(const char *model_path)
{
	const char *env = getenv("QKLINT_CONFIG_FILE");
	const char *xdg = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");
	char *found = qk_config_discover(model_path);

	if (found)
		return found;
	if (env && env[0])
		return qk_strdup(env);	/* a missing file is reported */
	if (xdg && xdg[0])
		found = qk_asprintf("%s/qklint/config.yaml", xdg);
	else if (home && home[0])
		found = qk_asprintf("%s/.config/qklint/config.yaml", home);
	if (found && !is_regular_file(found)) {
		free(found);
		found = NULL;
	}
	return found;
}

int qk_config_resolve(struct qk_config *config, const char *explicit_path,
		      int no_config, const char *model_path,
		      struct qk_err *err)
{
	char *found;
	int rc;

	if (qk_config_init(config, err))
		return -1;
	if (no_config)
		return 0;
	if (explicit_path)
		return qk_config_load(config, explicit_path, err);
	found = qk_config_locate(model_path);
	rc = found ? qk_config_load(config, found, err) : 0;
	free(found);
	return rc;
}

const struct qk_rule_conf *qk_config_rule(const struct qk_config *config,
					  const struct qk_rule *rule)
{
	size_t index = qk_rules_index(rule);

	if (index >= config->n_rules)
		return NULL;
	return &config->rules[index];
}

struct qk_rule_conf *qk_config_rule_mut(struct qk_config *config,
					const struct qk_rule *rule)
{
	size_t index = qk_rules_index(rule);

	if (index >= config->n_rules)
		return NULL;
	return &config->rules[index];
}

/*
 * Matches a file glob against the path as given, its basename, and the
 * path relative to the config's directory when it lies below it.
 */
static int file_matches(const struct qk_config *config, const char *glob,
			const char *file)
{
	const char *base = strrchr(file, '/');
	char *real_file, *real_base;
	size_t n;
	int match = 0;

	if (fnmatch(glob, file, 0) == 0)
		return 1;
	if (base && fnmatch(glob, base + 1, 0) == 0)
		return 1;
	if (!config->base_dir)
		return 0;
	n = strlen(config->base_dir);
	if (strcmp(config->base_dir, ".") != 0 &&
	    strncmp(file, config->base_dir, n) == 0 && file[n] == '/' &&
	    fnmatch(glob, file + n + 1, 0) == 0)
		return 1;
	/* Compare resolved paths, so "./m.h5", "dir/m.h5" and an absolute
	 * path all name the same file below the config's directory. */
	real_file = realpath(file, NULL);
	real_base = realpath(config->base_dir, NULL);
	if (real_file && real_base) {
		n = strlen(real_base);
		if (n == 1)	/* the config sits in "/" */
			n = 0;
		if (strncmp(real_file, real_base, n) == 0 &&
		    real_file[n] == '/')
			match = fnmatch(glob, real_file + n + 1, 0) == 0;
	}
	free(real_file);
	free(real_base);
	return match;
}

int qk_config_ignored(const struct qk_config *config,
		      const struct qk_rule *rule, const char *layer,
		      const char *file)
{
	const struct qk_ignore *entry;
	size_t i;

	for (i = 0; i < config->n_ignores; i++) {
		entry = &config->ignores[i];
		if (entry->rule && entry->rule != rule)
			continue;
		if (entry->layer_glob &&
		    (!layer || fnmatch(entry->layer_glob, layer, 0) != 0))
			continue;
		if (entry->file_glob &&
		    (!file || !file_matches(config, entry->file_glob, file)))
			continue;
		return 1;
	}
	return 0;
}

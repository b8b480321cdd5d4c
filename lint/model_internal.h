/*
 * Declarations shared by the loader's source files; not a public API.
 */
#ifndef QK_LINT_MODEL_INTERNAL_H
#define QK_LINT_MODEL_INTERNAL_H

#include <hdf5.h>

#include "model.h"

void qk_classify_layer(const char *class_name, enum qk_layer_kind *kind,
		       int *is_qkeras);

/* Reads the whole file into a new NUL-terminated buffer (max bytes). */
char *qk_read_file(const char *path, long long max, size_t *len,
		   struct qk_err *err);

/*
 * Attaches the weights in an open HDF5 file (or group) to model.
 * keras3 selects the layers/<path>/vars/<n> layout; otherwise the Keras 2
 * layout with layer_names / weight_names attributes is expected at group.
 */
int qk_h5_attach_weights(struct qk_model *model, hid_t group, int keras3,
			 struct qk_err *err);

/* Reads a string attribute of obj into a new string (NULL when absent). */
int qk_h5_read_string_attr(hid_t obj, const char *name, char **out,
			   struct qk_err *err);

/* Checks weight shapes against configs and computes parameter counts. */
int qk_model_check_weights(struct qk_model *model, struct qk_err *err);

/* Loaders by format; each fills a model or returns NULL with err set. */
struct qk_model *qk_load_h5(const char *path, int debug, struct qk_err *err);
struct qk_model *qk_load_json(const char *path, const char *weights_path,
			      int debug, struct qk_err *err);
struct qk_model *qk_load_keras3(const char *path, int debug,
				struct qk_err *err);

/* Parses config JSON text (length len) with the nesting limit. */
cJSON *qk_json_parse(const char *text, size_t len, struct qk_err *err);

/* Finds a layer by name in model or, failing that, its nested models. */
struct qk_layer *qk_model_find_deep(struct qk_model *model, const char *name);

#endif

/*
 * Builds Keras model files for tests, benchmarks and the bundled examples.
 *
 * A struct qk_fixture contains a model config (a cJSON tree in the shape that
 * Keras 2 or Keras 3 writes) and the weight tensors of its layers. Writers
 * turn it into the three formats qklint reads, with the layout real Keras
 * produces:
 * - a Keras 2 full model .h5: root attributes keras_version, backend and
 *   model_config, group model_weights with attribute layer_names, one
 *   group per layer with attribute weight_names ("fc1/kernel:0") and the
 *   datasets at model_weights/fc1/fc1/kernel:0;
 * - an architecture JSON plus a save_weights() .h5 (the same groups at the
 *   root);
 * - a Keras 3 .keras zip with config.json, metadata.json and
 *   model.weights.h5, weights at layers/<group>/vars/<n> and each vars
 *   group carrying the layer name in its attribute "name".
 * Options let a test break one part of a file at a time.
 *
 * Every function returns 0 (or a non-NULL pointer) on success and -1 (or
 * NULL) on failure. Fixtures are test code, so a failure only needs to be
 * detectable, and no message is produced.
 */
#ifndef QK_TESTS_FIXTURE_H
#define QK_TESTS_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include <cJSON.h>

#define QK_FIXTURE_MAX_RANK 12

enum qk_fixture_style {
	QK_FIXTURE_SEQUENTIAL,		/* Keras 2 Sequential */
	QK_FIXTURE_FUNCTIONAL,		/* Keras 2 Functional, nested lists */
	QK_FIXTURE_SEQUENTIAL3,		/* Keras 3 Sequential */
	QK_FIXTURE_FUNCTIONAL3		/* Keras 3 Functional, __keras_tensor__ */
};

/* Storage type of a weight dataset. */
enum qk_fixture_dtype {
	QK_FIXTURE_F32,
	QK_FIXTURE_F64,
	QK_FIXTURE_I8,
	QK_FIXTURE_I32
};

struct qk_fixture_tensor {
	char *layer;		/* top-level layer that owns it; owned */
	char *sublayer;		/* layer inside a nested model, or NULL */
	char *name;		/* "kernel", "bias", ...; owned */
	char *weight_name;	/* Keras 2 name, "fc1/kernel:0"; owned */
	enum qk_fixture_dtype dtype;
	int rank;
	uint64_t shape[QK_FIXTURE_MAX_RANK];
	size_t count;
	double *data;		/* count values, row-major; owned */
};

struct qk_fixture {
	enum qk_fixture_style style;
	cJSON *root;		/* {"class_name": ..., "config": {...}}; owned */
	size_t n_tensors;
	struct qk_fixture_tensor *tensors;	/* owned */
};

/* Ways to write a file that real Keras would not write. */
struct qk_fixture_options {
	const char *config_text;	/* replaces the printed config */
	int no_model_config;		/* .h5: omit the model_config attribute */
	int no_model_weights;		/* .h5: omit the model_weights group */
	int vlen_names;			/* variable-length layer/weight names */
	int skip_tensor;		/* 1 + index of a tensor to leave out */
	int no_config_json;		/* .keras: omit config.json */
	int no_metadata_json;		/* .keras: omit metadata.json */
	int no_weights_h5;		/* .keras: omit model.weights.h5 */
};

/* Creates an empty model of the given style named name. */
struct qk_fixture *qk_fixture_new(enum qk_fixture_style style,
				  const char *name);
void qk_fixture_free(struct qk_fixture *fx);

/*
 * Appends a layer. config_text is a JSON object with the layer's config
 * keys other than "name" (NULL for none). inbound lists the layers it
 * reads, NULL-terminated; an entry "fc:1" or "fc:1:0" names node 1 (and
 * tensor 0) of layer fc. Sequential models ignore inbound. Returns the
 * layer's JSON object (borrowed) or NULL.
 */
cJSON *qk_fixture_layer(struct qk_fixture *fx, const char *class_name,
			const char *name, const char *config_text,
			const char *const *inbound);

/* Appends another inbound node to a functional layer (a reused layer). */
int qk_fixture_node(struct qk_fixture *fx, const char *name,
		    const char *const *inbound);

/* Appends an InputLayer with the given shape, batch axis excluded. */
cJSON *qk_fixture_input(struct qk_fixture *fx, const char *name, int rank,
			const int64_t *shape);

/*
 * Appends a functional model as a layer of fx. The inner model keeps its
 * own layers; its tensors move to fx under layer name with sublayer set.
 * inner is consumed, also on failure.
 */
cJSON *qk_fixture_nest(struct qk_fixture *fx, struct qk_fixture *inner,
		       const char *const *inbound);

/* Sets output_layers (functional styles), NULL-terminated. */
int qk_fixture_outputs(struct qk_fixture *fx, const char *const *names);

/*
 * Adds a weight of a layer. data contains count values, or is NULL for the
 * deterministic pattern of qk_fixture_pattern. Returns the tensor
 * (borrowed) or NULL.
 */
struct qk_fixture_tensor *qk_fixture_weight(struct qk_fixture *fx,
					    const char *layer,
					    const char *name, int rank,
					    const uint64_t *shape,
					    const double *data);

/* Returns the pattern value at index i: multiples of 1/64 in [-0.5, 0.5). */
double qk_fixture_pattern(size_t i);

/*
 * Appends a QDense (or Dense when quantizer texts are NULL) with kernel
 * and bias of fan_in x units. kq and bq are the quantizers as JSON text,
 * a string or a dict, or NULL for none. activation is JSON text too, such
 * as "\"linear\"" or a quantizer dict. inbound is as for qk_fixture_layer.
 */
cJSON *qk_fixture_dense(struct qk_fixture *fx, const char *name,
			int64_t fan_in, int64_t units, const char *kq,
			const char *bq, const char *activation,
			const char *const *inbound);

/* Appends a QActivation with the quantizer given as JSON text. */
cJSON *qk_fixture_qactivation(struct qk_fixture *fx, const char *name,
			      const char *quantizer,
			      const char *const *inbound);

/* Returns the config as JSON text, owned by the caller (free()). */
char *qk_fixture_config_text(const struct qk_fixture *fx);

/* Writes a Keras 2 full model .h5. */
int qk_fixture_write_h5(const struct qk_fixture *fx, const char *path,
			const struct qk_fixture_options *options);

/* Writes a save_weights() .h5 (no model_config). */
int qk_fixture_write_weights_h5(const struct qk_fixture *fx,
				const char *path,
				const struct qk_fixture_options *options);

/* Writes the architecture JSON and, when weights_path is set, weights. */
int qk_fixture_write_json(const struct qk_fixture *fx, const char *json_path,
			  const char *weights_path,
			  const struct qk_fixture_options *options);

/* Writes a Keras 3 .keras archive. */
int qk_fixture_write_keras(const struct qk_fixture *fx, const char *path,
			   const struct qk_fixture_options *options);

/* Writes len bytes to path, replacing it. */
int qk_fixture_write_bytes(const char *path, const void *data, size_t len);
int qk_fixture_write_text(const char *path, const char *text);

/* Writes an HDF5 file holding one small dataset and no model. */
int qk_fixture_write_plain_h5(const char *path);

/*
 * Writes a zip of the given members. A member with text is stored as is.
 * A member with NULL text becomes len zero bytes, deflated, so a small
 * archive expands to a large member.
 */
struct qk_fixture_member {
	const char *name;
	const char *text;
	size_t len;		/* length of text, or of the zeros */
};
int qk_fixture_write_zip(const char *path,
			 const struct qk_fixture_member *members, size_t n);

/*
 * Rewrites the uncompressed size of every member of a zip written by
 * qk_fixture_write_zip, in the local and central headers, to size.
 */
int qk_fixture_zip_set_size(const char *path, uint32_t size);

/*
 * Formats a quantizer dict {"class_name": class_name, "config": {...}} as
 * JSON text; config_text is the config object's text. Owned by the caller.
 */
char *qk_fixture_quantizer_dict(const char *class_name,
				const char *config_text);

/* Creates a new directory under /tmp. Returns its path (free()) or NULL. */
char *qk_fixture_tmpdir(void);
/* Removes dir and everything in it. */
int qk_fixture_rmtree(const char *dir);
/* Returns dir/name in a new string (free()). */
char *qk_fixture_path(const char *dir, const char *name);

/* The outcome of running a program with qk_fixture_run. */
struct qk_fixture_run {
	int status;		/* exit status, or -1 when killed */
	int signal;		/* the signal that ended it, or 0 */
	char *out;		/* everything written to stdout; owned */
	char *err;		/* everything written to stderr; owned */
};

/*
 * Runs argv[0] with argv, in dir, with HOME and XDG_CONFIG_HOME pointing
 * at dir so no user config applies, and stdout and stderr captured
 * through files in dir. The child is killed after timeout_s seconds.
 * Returns 0 when the program ran (whatever its status), -1 otherwise.
 */
int qk_fixture_run(const char *const *argv, const char *dir, int timeout_s,
		   struct qk_fixture_run *run);
void qk_fixture_run_release(struct qk_fixture_run *run);

/* Writes the bundled examples (jet_tagger.h5 and friends) into dir. */
int qk_fixture_write_examples(const char *dir);

#endif

/*
 * Keras 3 .keras archives: a zip holding config.json, metadata.json and
 * model.weights.h5. The weights file is opened from memory with HDF5's
 * core driver, so nothing is extracted to disk.
 */
#include "model.h"

#include <string.h>

#include <zip.h>

#include "model_internal.h"

/*
 * A member that expands more than this many times its compressed size is
 * rejected once it passes 16 MiB: float32 weights barely compress, so
 * only a crafted archive reaches such ratios.
 */
#define QK_MAX_COMPRESSION_RATIO 200
#define QK_RATIO_CHECK_BYTES (16LL * 1024 * 1024)

static char *read_member(zip_t *zip, const char *name, long long max,
			 int required, size_t *len, struct qk_err *err)
{
	zip_stat_t st;
	zip_file_t *f;
	char *buf;
	zip_int64_t got;

	zip_stat_init(&st);
	if (zip_stat(zip, name, 0, &st) != 0) {
		if (required)
			qk_fail(err, ".keras archive has no '%s'", name);
		return NULL;
	}
	if (!(st.valid & ZIP_STAT_SIZE) || (long long)st.size > max) {
		qk_fail(err, ".keras member '%s' expands to %llu bytes (limit "
			"%lld)", name, (unsigned long long)st.size, max);
		return NULL;
	}
	if ((st.valid & ZIP_STAT_COMP_SIZE) &&
	    (long long)st.size > QK_RATIO_CHECK_BYTES &&
	    st.size / (st.comp_size ? st.comp_size : 1) >
	    QK_MAX_COMPRESSION_RATIO) {
		qk_fail(err, ".keras member '%s' expands %llu times (limit "
			"%d); the archive looks crafted", name,
			(unsigned long long)(st.size / (st.comp_size ?
							st.comp_size : 1)),
			QK_MAX_COMPRESSION_RATIO);
		return NULL;
	}
	buf = malloc((size_t)st.size + 1);
	if (!buf) {
		qk_fail(err, "out of memory");
		return NULL;
	}
	f = zip_fopen(zip, name, 0);
	got = f ? zip_fread(f, buf, st.size) : -1;
	if (f)
		zip_fclose(f);
	if (got < 0 || (zip_uint64_t)got != st.size) {
		free(buf);
		qk_fail(err, ".keras member '%s' cannot be read (archive "
			"damaged)", name);
		return NULL;
	}
	buf[got] = '\0';
	*len = (size_t)got;
	return buf;
}

static char *version_from_metadata(const char *text, size_t len)
{
	cJSON *root = cJSON_ParseWithLength(text, len);
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(root,
							  "keras_version");
	char *out = cJSON_IsString(v) ? qk_strdup(v->valuestring) : NULL;

	cJSON_Delete(root);
	return out;
}

static int attach_from_memory(struct qk_model *model, char *image,
			      size_t len, int debug, struct qk_err *err)
{
	H5E_auto2_t func;
	void *data;
	hid_t fapl, file = -1, root = -1;
	int rc = -1;

	H5Eget_auto2(H5E_DEFAULT, &func, &data);
	if (!debug)
		H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
	fapl = H5Pcreate(H5P_FILE_ACCESS);
	if (fapl < 0 || H5Pset_fapl_core(fapl, 1 << 20, 0) < 0 ||
	    H5Pset_file_image(fapl, image, len) < 0) {
		qk_fail(err, "cannot open model.weights.h5 from memory");
		goto out;
	}
	file = H5Fopen("model.weights.h5", H5F_ACC_RDONLY, fapl);
	if (file < 0) {
		qk_fail(err, ".keras member 'model.weights.h5' is not a "
			"readable HDF5 file");
		goto out;
	}
	root = H5Gopen2(file, "/", H5P_DEFAULT);
	if (root < 0 || qk_h5_attach_weights(model, root, 1, err))
		goto out;
	rc = 0;
out:
	if (root >= 0)
		H5Gclose(root);
	if (file >= 0)
		H5Fclose(file);
	if (fapl >= 0)
		H5Pclose(fapl);
	H5Eset_auto2(H5E_DEFAULT, func, data);
	return rc;
}

struct qk_model *qk_load_keras3(const char *path, int debug,
				struct qk_err *err)
{
	int zerr = 0;
	zip_t *zip = zip_open(path, ZIP_RDONLY, &zerr);
	char *config = NULL, *meta = NULL, *weights = NULL;
	size_t config_len = 0, meta_len = 0, weights_len = 0;
	struct qk_model *model = NULL;
	cJSON *root;

	if (!zip) {
		zip_error_t ze;

		zip_error_init_with_code(&ze, zerr);
		qk_fail(err, "cannot open as a .keras archive: %s",
			zip_error_strerror(&ze));
		zip_error_fini(&ze);
		return NULL;
	}
	config = read_member(zip, "config.json", QK_MAX_CONFIG_BYTES, 1,
			     &config_len, err);
	if (!config)
		goto out;
	weights = read_member(zip, "model.weights.h5",
			      QK_MAX_ARCHIVE_MEMBER_BYTES, 1, &weights_len,
			      err);
	if (!weights)
		goto out;
	meta = read_member(zip, "metadata.json", 1 << 20, 0, &meta_len, err);
	err->msg[0] = '\0';
	root = qk_json_parse(config, config_len, err);
	if (!root)
		goto out;
	model = qk_model_from_config(root, err);
	if (!model)
		goto out;
	model->format = QK_FORMAT_KERAS3;
	if (meta)
		model->keras_version = version_from_metadata(meta, meta_len);
	if (attach_from_memory(model, weights, weights_len, debug, err)) {
		qk_model_free(model);
		model = NULL;
	}
out:
	free(config);
	free(meta);
	free(weights);
	zip_discard(zip);
	return model;
}

/*
 * libFuzzer target for the config loader: each input is loaded as YAML
 * text into a fresh config. Build it with -DQKLINT_FUZZ=ON (clang).
 * The seeds are in fuzz/corpus/config/.
 */
#include <stddef.h>
#include <stdint.h>

#include "lint/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct qk_config config;
	struct qk_err err = QK_ERR_INIT;

	if (qk_config_init(&config, &err) < 0)
		return 0;
	/*
	 * The name has no directory part, so a relative `extends` resolves
	 * against the working directory. Run the fuzzer in a folder without
	 * YAML files to keep runs reproducible.
	 */
	qk_config_load_text(&config, (const char *)data, size, "fuzz.yaml",
			    &err);
	qk_config_release(&config);
	return 0;
}

/*
 * Bounds on what qklint accepts from a model file. Each is checked before
 * the matching allocation, so a hostile file cannot make qklint allocate
 * without bound. The values sit far above today's level-1 trigger models
 * (tens of layers, at most a few hundred thousand weights) so that real
 * models never reach them.
 */
#ifndef QK_LINT_LIMITS_H
#define QK_LINT_LIMITS_H

/* Largest model file, .keras archive or architecture JSON read (1 GiB). */
#define QK_MAX_FILE_BYTES (1024LL * 1024 * 1024)
/* Largest member expanded from a .keras archive (1 GiB). */
#define QK_MAX_ARCHIVE_MEMBER_BYTES (1024LL * 1024 * 1024)
/* Largest model_config / config.json text (64 MiB). */
#define QK_MAX_CONFIG_BYTES (64LL * 1024 * 1024)
/* Layers in one model, nested models counted with their layers. */
#define QK_MAX_LAYERS 100000
/* Elements in one weight tensor (256 Mi float32 values, 1 GiB). */
#define QK_MAX_TENSOR_ELEMENTS (256LL * 1024 * 1024)
/* Weights in the whole model (1 Gi float32 values, 4 GiB). */
#define QK_MAX_TOTAL_WEIGHTS (1024LL * 1024 * 1024)
/* Nesting of JSON containers and of models inside models. */
#define QK_MAX_NESTING 64
/* Dimensions of a tensor, batch excluded. */
#define QK_MAX_RANK 8
/* Length of a quantizer constructor string. */
#define QK_MAX_QUANTIZER_TEXT 4096
/* Arguments in one quantizer constructor string. */
#define QK_MAX_QUANTIZER_ARGS 32
/* Largest dimension accepted in a layer config (units, filters, shapes). */
#define QK_MAX_DIMENSION (1LL << 31)

#endif

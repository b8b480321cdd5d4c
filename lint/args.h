/*
 * Command-line option matching shared by the subcommands.
 */
#ifndef QK_LINT_ARGS_H
#define QK_LINT_ARGS_H

/*
 * Matches argv[*i] against option name in the forms "--name VALUE" and
 * "--name=VALUE". Returns 0 when it is another argument, else 1 with
 * *value set (NULL when the value is missing) and *i moved past it.
 */
int qk_arg_value(int argc, char **argv, int *i, const char *name,
		 const char **value);

#endif

/*
 * Entry points of the `verify` and `simulate` subcommands.
 */
#ifndef QK_VERIFY_VERIFY_CLI_H
#define QK_VERIFY_VERIFY_CLI_H

/*
 * Runs `qklint verify ARGS`; argv[0] is "verify". Prints the report to
 * stdout and errors to stderr. Returns the exit status: 0 equivalent,
 * 1 mismatch or error-level finding, 2 usage or file error.
 */
int qk_verify_main(int argc, char **argv);

/*
 * Runs `qklint simulate ARGS`; argv[0] is "simulate". Returns 0 on
 * success, 2 on usage or file errors.
 */
int qk_simulate_main(int argc, char **argv);

#endif

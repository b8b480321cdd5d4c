/*
 * qk_fixture OUTDIR: writes the bundled example models (jet_tagger.h5,
 * jet_tagger_clean.h5, jet_tagger.keras) into OUTDIR.
 */
#include <stdio.h>
#include <string.h>

#include "fixture.h"

int main(int argc, char **argv)
{
	if (argc != 2 || !strcmp(argv[1], "--help")) {
		fprintf(stderr, "usage: qk_fixture OUTDIR\n");
		return 2;
	}
	if (qk_fixture_write_examples(argv[1])) {
		fprintf(stderr, "qk_fixture: error: cannot write the examples "
			"into '%s'\n", argv[1]);
		return 1;
	}
	return 0;
}

#include <math.h>

#include <criterion/criterion.h>

#include "../rules/container.h"

struct container_case {
	const char *what;
	float values[4];
	size_t n;
	int k, i, f, exact;
};

/*
 * Expected values, each confirmed by a brute-force search of the
 * definition in container.h with Python's exact fractions (every f from
 * -31 up, then every i).
 */
static const struct container_case cases[] = {
	{ "empty", { 0 }, 0, 0, 1, 0, 1 },
	{ "all zero", { 0, 0, 0 }, 3, 0, 1, 0, 1 },
	{ "one", { 1 }, 1, 0, 1, 0, 1 },
	{ "minus one", { -1 }, 1, 1, 0, 0, 1 },
	{ "signed 6-bit grid", { -1, 0.96875f, 0.5f, 0 }, 4, 1, 0, 5, 1 },
	{ "unsigned eighths", { 0.125f, 0.75f }, 2, 0, 0, 3, 1 },
	{ "small value", { 0.125f }, 1, 0, -2, 3, 1 },
	{ "integers", { 3, -4, 7 }, 3, 1, 3, 0, 1 },
	{ "multiples of four", { 4, 8, 12 }, 3, 0, 4, -2, 1 },
	{ "minus two", { -2, 1 }, 2, 1, 1, 0, 1 },
	{ "two", { 2 }, 1, 0, 2, -1, 1 },
	{ "float tenths", { 0.1f, -0.3f }, 2, 1, -1, 27, 1 },
	{ "tiny trained", { 0.001f, -0.5f }, 2, 1, -1, 32, 0 },
	{ "big fraction", { 40.1f }, 1, 0, 6, 17, 1 },
	{ "trained kernel", { -20.3f, 0.0001f }, 2, 1, 5, 32, 0 },
	{ "fine but exact", { 0x1p-31f }, 1, 0, -30, 31, 1 },
	{ "one bit too fine", { 0x1p-32f }, 1, 0, -31, 32, 0 },
	{ "huge power of two", { 0x1p40f }, 1, 0, 41, -31, 1 },
};

Test(container, derives_table)
{
	size_t j;

	for (j = 0; j < sizeof(cases) / sizeof(cases[0]); j++) {
		const struct container_case *c = &cases[j];
		struct qk_container out;

		qk_container_of(c->values, c->n, &out);
		cr_expect_eq(out.k, c->k, "%s: k %d", c->what, out.k);
		cr_expect_eq(out.i, c->i, "%s: i %d", c->what, out.i);
		cr_expect_eq(out.f, c->f, "%s: f %d", c->what, out.f);
		cr_expect_eq(out.exact, c->exact, "%s: exact %d", c->what,
			     out.exact);
	}
}

Test(container, width_adds_fields)
{
	float values[] = { -1, 0.5f, 0.25f };
	struct qk_container out;

	qk_container_of(values, 3, &out);
	cr_assert_eq(qk_container_width(&out), 1 + 0 + 2);
}

Test(container, non_finite_is_inexact)
{
	float values[] = { 0.5f, INFINITY, NAN };
	struct qk_container out;

	qk_container_of(values, 3, &out);
	cr_assert_eq(out.exact, 0);
	cr_assert_eq(out.f, QK_CONTAINER_MAX_FRAC);
	cr_assert_eq(out.i, 0);
	cr_assert_eq(out.k, 0);
}

Test(container, float_values_used_exactly)
{
	/* 0.1f is 13421773 * 2^-27 with an odd numerator. */
	float values[] = { 0.1f };
	struct qk_container out;

	cr_assert_eq(13421773.0 * 0x1p-27, (double)values[0]);
	qk_container_of(values, 1, &out);
	cr_assert_eq(out.f, 27);
	cr_assert_eq(out.exact, 1);
}

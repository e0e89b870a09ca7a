/*
 * deps: cycles are found and named, the start order keeps the file's
 * order where it can, a selection takes what it is after, and the
 * heaviest chain is the bound on reverse-order stopping.
 */
#include <stdlib.h>
#include <string.h>

#include "config/deps.h"
#include "tap.h"

#define MAXN 8

struct graph {
	size_t n;
	size_t lists[MAXN][MAXN];
	size_t *after[MAXN];
	size_t nafter[MAXN];
};

/* edges: "i>j" pairs, meaning i is after j */
static void
build(struct graph *g, size_t n, const char *edges)
{
	size_t i;

	memset(g, 0, sizeof(*g));
	g->n = n;
	for (i = 0; i < n; i++)
		g->after[i] = g->lists[i];
	for (; *edges != '\0'; edges += edges[3] == ' ' ? 4 : 3) {
		size_t a = (size_t)(edges[0] - '0'), b = (size_t)(edges[2] - '0');
		g->lists[a][g->nafter[a]++] = b;
		if (edges[3] == '\0')
			break;
	}
}

static int
before(const size_t *order, size_t n, size_t a, size_t b)
{
	size_t i, pa = n, pb = n;

	for (i = 0; i < n; i++) {
		if (order[i] == a)
			pa = i;
		if (order[i] == b)
			pb = i;
	}
	return pa < pb;
}

/* Each cycle[k] is after cycle[k+1], and the last after the first. */
static int
is_cycle(const struct graph *g, const size_t *c, long k)
{
	long i;
	size_t j;

	for (i = 0; i < k; i++) {
		size_t from = c[i], to = c[(i + 1) % k];
		for (j = 0; j < g->nafter[from] && g->after[from][j] != to; j++)
			;
		if (j == g->nafter[from])
			return 0;
	}
	return k > 0;
}

int
main(void)
{
	struct graph g;
	size_t order[MAXN], cycle[MAXN], **dep, *ndep, i;
	char keep[MAXN];
	long k, w[MAXN];

	build(&g, 4, "");
	ok(ecg_deps_cycle(g.n, g.after, g.nafter, cycle) == 0, "no edges, no cycle");
	ok(ecg_deps_order(g.n, g.after, g.nafter, order) == 0 && order[0] == 0 && order[1] == 1 &&
	    order[2] == 2 && order[3] == 3, "no edges: the file's order");

	/* 0 after 2, 2 after 3: 1 and 3 first, in order, then 2, then 0 */
	build(&g, 4, "0>2 2>3");
	ok(ecg_deps_cycle(g.n, g.after, g.nafter, cycle) == 0, "a chain has no cycle");
	ok(ecg_deps_order(g.n, g.after, g.nafter, order) == 0 && order[0] == 1 && order[1] == 3 &&
	    order[2] == 2 && order[3] == 0, "order: dependencies first, else the file's order");

	build(&g, 5, "0>1 1>2 2>3 3>1");
	k = ecg_deps_cycle(g.n, g.after, g.nafter, cycle);
	ok(k == 3 && is_cycle(&g, cycle, k), "a cycle of three is found and named (%ld)", k);
	ok(ecg_deps_order(g.n, g.after, g.nafter, order) < 0, "no order with a cycle");

	build(&g, 2, "0>1 1>0");
	k = ecg_deps_cycle(g.n, g.after, g.nafter, cycle);
	ok(k == 2 && is_cycle(&g, cycle, k), "two tasks after each other");

	build(&g, 6, "0>1 0>2 1>3 2>3 4>5");
	ok(ecg_deps_cycle(g.n, g.after, g.nafter, cycle) == 0, "a diamond is no cycle");
	ok(ecg_deps_order(g.n, g.after, g.nafter, order) == 0 && before(order, 6, 3, 1) &&
	    before(order, 6, 3, 2) && before(order, 6, 1, 0) && before(order, 6, 2, 0) &&
	    before(order, 6, 5, 4), "the diamond's order respects every edge");

	memset(keep, 0, sizeof(keep));
	keep[0] = 1;
	ok(ecg_deps_closure(g.n, g.after, g.nafter, keep) == 0 && keep[0] && keep[1] && keep[2] &&
	    keep[3] && !keep[4] && !keep[5], "a selection takes what it is after, transitively");

	ok(ecg_deps_reverse(g.n, g.after, g.nafter, &dep, &ndep) == 0, "reverse graph");
	ok(ndep[3] == 2 && dep[3][0] == 1 && dep[3][1] == 2 && ndep[0] == 0 && ndep[5] == 1 &&
	    dep[5][0] == 4, "dependents listed in the file's order");
	for (i = 0; i < 6; i++)
		w[i] = (long)(i + 1) * 10;
	/* chains: 0:10; 1:20+10; 2:30+10; 3:40+40; 4:50; 5:60+50 */
	k = ecg_deps_chain(g.n, dep, ndep, w);
	ok(k == 110, "the heaviest chain of stop timeouts (%ld)", k);
	free(dep);
	free(ndep);

	build(&g, 0, "");
	ok(ecg_deps_cycle(0, g.after, g.nafter, cycle) == 0 &&
	    ecg_deps_order(0, g.after, g.nafter, order) == 0, "an empty graph");
	return tap_done();
}

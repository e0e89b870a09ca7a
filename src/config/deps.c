#define _GNU_SOURCE
#include "config/deps.h"

#include <stdlib.h>
#include <string.h>

enum { WHITE, GREY, BLACK };

/*
 * Depth first, without recursion (a group may have thousands of tasks in
 * one chain): stack holds the path from the root, pos how far each node
 * on it has looked through its after list.  A grey node met again closes
 * a cycle: the path from it to the top of the stack.
 */
long
ecg_deps_cycle(size_t n, size_t *const *after, const size_t *nafter, size_t *cycle)
{
	unsigned char *colour = calloc(n ? n : 1, 1);
	size_t *stack = calloc(n ? n : 1, sizeof(*stack));
	size_t *pos = calloc(n ? n : 1, sizeof(*pos));
	size_t root, top, i, k;
	long found = 0;

	if (colour == NULL || stack == NULL || pos == NULL) {
		found = -1;
		goto out;
	}
	for (root = 0; root < n && found == 0; root++) {
		if (colour[root] != WHITE)
			continue;
		top = 0;
		stack[top] = root;
		pos[top] = 0;
		colour[root] = GREY;
		while (found == 0) {
			size_t v = stack[top], w;
			if (pos[top] == nafter[v]) {
				colour[v] = BLACK;
				if (top == 0)
					break;
				top--;
				continue;
			}
			w = after[v][pos[top]++];
			if (colour[w] == GREY) {
				for (i = 0; stack[i] != w; i++)
					;
				for (k = 0; i + k <= top; k++)
					cycle[k] = stack[i + k];
				found = (long)k;
			} else if (colour[w] == WHITE) {
				colour[w] = GREY;
				stack[++top] = w;
				pos[top] = 0;
			}
		}
	}
out:
	free(colour);
	free(stack);
	free(pos);
	return found;
}

static int
cmp_index(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return (x > y) - (x < y);
}

/*
 * Kahn's algorithm in waves, as the tasks start: first every node with
 * nothing to wait for, then every node whose dependencies were all in
 * earlier waves, and so on; within a wave, the file's order.
 */
int
ecg_deps_order(size_t n, size_t *const *after, const size_t *nafter, size_t *order)
{
	size_t **dependents, *ndependents, *missing, done = 0, wave, end, i, j;

	if (ecg_deps_reverse(n, after, nafter, &dependents, &ndependents) < 0)
		return -1;
	missing = malloc((n ? n : 1) * sizeof(*missing));
	if (missing == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		missing[i] = nafter[i];
		if (missing[i] == 0)
			order[done++] = i;
	}
	for (wave = 0; wave < done; wave = end) {
		end = done;
		for (i = wave; i < end; i++)
			for (j = 0; j < ndependents[order[i]]; j++)
				if (--missing[dependents[order[i]][j]] == 0)
					order[done++] = dependents[order[i]][j];
		qsort(order + end, done - end, sizeof(*order), cmp_index);
	}
out:
	free(missing);
	free(dependents);
	free(ndependents);
	return n > 0 && done < n ? -1 : 0;
}

int
ecg_deps_closure(size_t n, size_t *const *after, const size_t *nafter, char *keep)
{
	size_t *stack = malloc((n ? n : 1) * sizeof(*stack)), top = 0, i, j;

	if (stack == NULL)
		return -1;
	for (i = 0; i < n; i++)
		if (keep[i])
			stack[top++] = i;
	while (top > 0) {
		size_t v = stack[--top];
		for (j = 0; j < nafter[v]; j++) {
			if (!keep[after[v][j]]) {
				keep[after[v][j]] = 1;
				stack[top++] = after[v][j];
			}
		}
	}
	free(stack);
	return 0;
}

int
ecg_deps_reverse(size_t n, size_t *const *after, const size_t *nafter, size_t ***dependents,
    size_t **ndependents)
{
	size_t edges = 0, i, j, *cell, **lists, *counts;

	for (i = 0; i < n; i++)
		edges += nafter[i];
	counts = calloc(n ? n : 1, sizeof(*counts));
	lists = calloc(1, (n ? n : 1) * sizeof(*lists) + (edges ? edges : 1) * sizeof(**lists));
	if (counts == NULL || lists == NULL) {
		free(counts);
		free(lists);
		return -1;
	}
	for (i = 0; i < n; i++)
		for (j = 0; j < nafter[i]; j++)
			counts[after[i][j]]++;
	cell = (size_t *)(lists + (n ? n : 1));
	for (i = 0; i < n; i++) {
		lists[i] = cell;
		cell += counts[i];
		counts[i] = 0;
	}
	/* Walking the nodes in order fills each list in index order. */
	for (i = 0; i < n; i++)
		for (j = 0; j < nafter[i]; j++) {
			size_t p = after[i][j];
			lists[p][counts[p]++] = i;
		}
	*dependents = lists;
	*ndependents = counts;
	return 0;
}

long
ecg_deps_chain(size_t n, size_t *const *dependents, const size_t *ndependents,
    const long *weight)
{
	long *chain = malloc((n ? n : 1) * sizeof(*chain)), best = 0;
	size_t *order = calloc(n ? n : 1, sizeof(*order));
	size_t i, j;

	if (chain == NULL || order == NULL) {
		free(chain);
		free(order);
		return -1;
	}
	/*
	 * In the reverse graph a node's dependents are its "after" list: an
	 * order of it puts every node after its dependents, so their chains
	 * are known when it is reached.
	 */
	if (ecg_deps_order(n, dependents, ndependents, order) < 0) {
		free(chain);
		free(order);
		return -1;
	}
	for (i = 0; i < n; i++) {
		size_t v = order[i];
		long most = 0;
		for (j = 0; j < ndependents[v]; j++)
			if (chain[dependents[v][j]] > most)
				most = chain[dependents[v][j]];
		chain[v] = weight[v] + most;
		if (chain[v] > best)
			best = chain[v];
	}
	free(chain);
	free(order);
	return best;
}

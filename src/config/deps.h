/*
 * deps: the dependency graph of a group, as plain arrays.
 *
 * Node i is after nodes after[i][0 .. nafter[i]-1] (it starts once they
 * are ready).  These functions know nothing of tasks: config uses them to
 * refuse cycles and to widen a selection, sched to find dependents and
 * the longest chain, --check to print the start order.
 */
#ifndef ECG_DEPS_H
#define ECG_DEPS_H

#include <stddef.h>

/*
 * Finds a cycle.  Returns 0 if there is none, else its length k, with
 * cycle[0 .. k-1] its nodes: each is after the next, and the last is
 * after the first.  cycle needs room for n nodes.  -1 if out of memory.
 */
long ecg_deps_cycle(size_t n, size_t *const *after, const size_t *nafter, size_t *cycle);

/*
 * The start order: first the nodes that are after nothing, then those
 * whose dependencies all came before, and so on, each wave in index order
 * (the order of the file).  0, or -1 if there is a cycle or no memory.
 */
int ecg_deps_order(size_t n, size_t *const *after, const size_t *nafter, size_t *order);

/* Adds to keep[] every node that a kept node is after, transitively. */
int ecg_deps_closure(size_t n, size_t *const *after, const size_t *nafter, char *keep);

/*
 * The reverse graph: dependents[i] lists the nodes after i, in index
 * order.  One allocation, freed with free(*dependents) and free(*ndependents).
 * 0 or -1 (no memory).
 */
int ecg_deps_reverse(size_t n, size_t *const *after, const size_t *nafter,
    size_t ***dependents, size_t **ndependents);

/*
 * The heaviest chain: a node's chain is its weight plus the heaviest
 * chain among its dependents.  Returns the heaviest of all (0 for none),
 * or -1 if out of memory.  The graph must have no cycle.
 */
long ecg_deps_chain(size_t n, size_t *const *dependents, const size_t *ndependents,
    const long *weight);

#endif

/*
 * lrsweep/refine.h — adaptive refinement after the grid ([refine], README).
 *
 * Two refinements, both in rounds that run through the scheduler like the
 * grid (its refill, lrsweep/sched.h):
 *
 * Bisection.  A cell is every combination of the axes other than the
 * bisection axis (seed included), over the grid's rows and the bisection's
 * own (seeds added for rate intervals start no bisection).  Within a cell, ordered by the axis value,
 * the bracket is the first adjacent pair of computed points where the
 * predicate (a query expression, lrsweep/query.h) flips — the same rule as
 * `lrsweep query --boundary`.  Each round proposes, for every cell whose
 * bracket is still wider than rtol (lrs_query_bracket_narrow), the bracket's
 * midpoint in the axis's scale (lrs_query_bracket_mid; integer axes round it
 * and stop at adjacent integers), with generation 1 + the larger generation
 * of the bracket's ends, up to max_generations.  A cell without a flip has
 * no boundary inside its range and gets no points.
 *
 * Seeds until confident (rate_ci > 0).  A rate cell is every combination of
 * the axes other than `seed`, over the grid's rows and the seeds added here.
 * While the 95% interval of the median measured rate (lrs_rate_median_ci,
 * over the rows with a finite rate) has a half-width above rate_ci, a round
 * adds seed_batch new seeds (the next replicate numbers), up to max_seeds
 * rows per cell.  A cell where fewer than half of the rows have a rate
 * (diverged, no fit) is left alone.
 *
 * The engine is a function of the stored results: each round is computed
 * from every result observed so far, in row order, so the proposals, their
 * rows and their order are the same for any rank count, and a run killed at
 * any moment resumes to the same boundaries (proposed rows are stored as
 * pending before they are handed out).
 */
#ifndef LRSWEEP_REFINE_H
#define LRSWEEP_REFINE_H
#include <stdint.h>

#include "lrsweep/grid.h"
#include "lrsweep/point.h"
#include "lrsweep/result.h"
#include "lrsweep/status.h"
#include "lrsweep/store.h"

typedef struct lrs_refine lrs_refine;

typedef struct lrs_refine_report {
  uint64_t rounds;           /* refills that proposed points */
  uint64_t bisect_points;    /* rows proposed by bisection (this run) */
  uint64_t seed_points;      /* rows proposed for rate intervals (this run) */
  uint64_t cells;            /* bisection cells */
  uint64_t cells_open;       /* cells whose bracket is still wider than rtol */
  uint64_t cells_no_flip;    /* cells where the predicate never flips */
  uint64_t cells_capped;     /* cells stopped by max_generations */
  uint64_t dense_points;     /* points a dense grid of step rtol over each
                                flipping cell's axis range would need */
  uint64_t rate_cells, rate_confident, rate_capped;
  uint64_t rate_none;        /* rate cells with too few rates to refine */
} lrs_refine_report;

/*
 * Creates the engine for the sweep of `grid` (whose config has [refine])
 * over an open writer, reading the rows already stored (a resumed run
 * continues from them).  A predicate that does not parse is LRS_ERR_CONFIG
 * naming the sweep file's line.
 */
lrs_status lrs_refine_create(const lrs_grid *grid, lrs_store_writer *writer,
                             lrs_refine **refine);
void lrs_refine_destroy(lrs_refine **refine);

/* The point of row `index`: a grid point, or a refinement row's point. */
lrs_status lrs_refine_point(const lrs_refine *refine, uint64_t index, lrs_point *point);
/* Takes note of the result of row `index` (every result that is stored). */
lrs_status lrs_refine_observe(lrs_refine *refine, uint64_t index, const lrs_result *result);
/*
 * The next round: proposes points from every result observed so far, stores
 * them as pending rows (lrs_store_add_points) and returns their indices
 * (*indices malloc'ed; *n = 0 when refinement is complete).  Call it when
 * every row handed out has come back.
 */
lrs_status lrs_refine_next(lrs_refine *refine, uint64_t **indices, uint64_t *n);
/* Counters as of the last lrs_refine_next (or creation). */
const lrs_refine_report *lrs_refine_get_report(const lrs_refine *refine);

#endif

/*
 * lrsweep/grid.h — the grid of points of a sweep: index ↔ point, keys, cost.
 *
 * The grid is the Cartesian product of the sweep's axes, taken in canonical
 * order (the parameter table's order, `seed` last), with the LAST axis
 * varying fastest; axes of one zip group advance together as one dimension.
 * Point i is decoded from i by mixed-radix arithmetic, so grids of any size
 * cost memory only for the axis values.  The order does not depend on the
 * order of keys in the sweep file.
 *
 * A point's key is "axis=value,..." over all axes sorted by name, values in
 * canonical text (lrs_param_format); its hash is 64-bit FNV-1a of the key.
 * Both are stable across runs, machines and reorderings of the file.
 */
#ifndef LRSWEEP_GRID_H
#define LRSWEEP_GRID_H

#include <stddef.h>
#include <stdint.h>

#include "lrsweep/config.h"
#include "lrsweep/point.h"
#include "lrsweep/status.h"

typedef struct lrs_grid lrs_grid;

/* Builds the grid of a loaded sweep (which must outlive it).  Fails with
 * LRS_ERR_CONFIG when the product overflows 2^63 points. */
lrs_status lrs_grid_create(const lrs_config *cfg, lrs_grid **grid);
void lrs_grid_destroy(lrs_grid **grid);

uint64_t lrs_grid_size(const lrs_grid *grid);
const lrs_config *lrs_grid_config(const lrs_grid *grid);

/* Point `index` (< size): the sweep's base values with the axis values of
 * that index applied. */
lrs_status lrs_grid_point(const lrs_grid *grid, uint64_t index, lrs_point *point);

/* The canonical key of a point of this grid into buf[cap]; LRS_ERR_RANGE if
 * it does not fit (keys are short: LRS_GRID_KEY_MAX always suffices). */
enum { LRS_GRID_KEY_MAX = 4096 };
/* The most points a grid may have (README, "Limits"): lrs_grid_create
 * refuses more at once; below it, lrs_grid_validate decodes and checks every
 * point (about a microsecond each). */
#define LRS_GRID_MAX_POINTS UINT64_C(100000000)
lrs_status lrs_grid_key(const lrs_grid *grid, const lrs_point *point, char *buf, size_t cap);

/* 64-bit FNV-1a hash of a key. */
uint64_t lrs_key_hash(const char *key);

/* Checks every point's parameter constraints (lrs_config_check_point); the
 * error names the first offending point. */
lrs_status lrs_grid_validate(const lrs_grid *grid);

/*
 * The points of shard `shard` of `count` (0 ≤ shard < count): all points are
 * ordered by decreasing cost (lrs_point_cost of lrsweep/kind.h; ties by index) and dealt
 * round-robin, so shards get nearly equal work and every process computes
 * the same split.  *indices (ascending, caller frees) and *n receive the
 * shard's points.  LRS_ERR_USAGE for a bad shard/count.
 */
lrs_status lrs_grid_shard(const lrs_grid *grid, uint32_t shard, uint32_t count,
                          uint64_t **indices, uint64_t *n);

#endif

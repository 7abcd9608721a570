/* The grid: mixed-radix index ↔ point, canonical keys (lrsweep/grid.h). */
#include "lrsweep/grid.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lrsweep/kind.h"

/* One dimension of the product: an axis, or a zip group of equal-length axes. */
typedef struct {
  size_t length;
  size_t first_axis; /* axes[first_axis .. first_axis + n_axes) in dim_axes */
  size_t n_axes;
} dimension;

struct lrs_grid {
  const lrs_config *cfg;
  uint64_t size;
  size_t n_dims;
  dimension *dims;
  const lrs_axis **dim_axes; /* axes grouped by dimension */
  const lrs_axis **by_name;  /* axes sorted by name, for keys */
  size_t n_axes;
};

static int by_param_name(const void *a, const void *b) {
  const lrs_axis *const *x = a, *const *y = b;
  const char *nx = strcmp((*x)->param->name, "replicate") ? (*x)->param->name : "seed";
  const char *ny = strcmp((*y)->param->name, "replicate") ? (*y)->param->name : "seed";
  return strcmp(nx, ny);
}

lrs_status lrs_grid_create(const lrs_config *cfg, lrs_grid **out) {
  *out = NULL;
  lrs_status st = LRS_OK;
  lrs_grid *g = calloc(1, sizeof *g);
  LRS_TRY(LRS_CHECK_ALLOC(g));
  size_t n = lrs_config_axis_count(cfg);
  g->cfg = cfg;
  g->n_axes = n;
  g->dims = calloc(n ? n : 1, sizeof *g->dims);
  g->dim_axes = calloc(n ? n : 1, sizeof *g->dim_axes);
  g->by_name = calloc(n ? n : 1, sizeof *g->by_name);
  if (!g->dims || !g->dim_axes || !g->by_name) {
    st = LRS_RAISE(LRS_ERR_NOMEM, "out of memory for the grid");
    goto done;
  }
  /* A zip group becomes one dimension at the place of its first axis. */
  size_t placed = 0;
  for (size_t i = 0; i < n; i++) {
    const lrs_axis *a = lrs_config_axis(cfg, i);
    g->by_name[i] = a;
    bool seen = false;
    for (size_t j = 0; j < i && a->zip_group >= 0; j++)
      seen |= lrs_config_axis(cfg, j)->zip_group == a->zip_group;
    if (seen)
      continue;
    dimension *d = &g->dims[g->n_dims++];
    d->length = a->length;
    d->first_axis = placed;
    for (size_t j = i; j < n; j++) {
      const lrs_axis *b = lrs_config_axis(cfg, j);
      if (j == i || (a->zip_group >= 0 && b->zip_group == a->zip_group)) {
        g->dim_axes[placed++] = b;
        d->n_axes++;
      }
    }
  }
  qsort(g->by_name, n, sizeof *g->by_name, by_param_name);
  g->size = 1;
  double points = 1; /* the size without overflow, for the message */
  for (size_t i = 0; i < g->n_dims; i++)
    points *= (double)g->dims[i].length;
  if (points > (double)LRS_GRID_MAX_POINTS) {
    /* As a person writes a count: digits while exact, else 1.2e15 (not 1e+15). */
    char count[48];
    if (points < 1e15) {
      snprintf(count, sizeof count, "%.0f", points);
    } else {
      int e = (int)floor(log10(points));
      double m = points / pow(10.0, e);
      if (m >= 9.995)
        m /= 10, e++;
      snprintf(count, sizeof count, "%.3ge%d", m, e);
    }
    st = LRS_RAISE(LRS_ERR_CONFIG,
                   "%s: the grid has %s points; at most %.0f are allowed (every point is "
                   "validated, queued and stored): split the sweep into several files",
                   lrs_config_source(cfg), count, (double)LRS_GRID_MAX_POINTS);
    goto done;
  }
  for (size_t i = 0; i < g->n_dims; i++)
    g->size *= g->dims[i].length;
done:
  if (st != LRS_OK)
    lrs_grid_destroy(&g);
  *out = g;
  return st;
}

void lrs_grid_destroy(lrs_grid **grid) {
  if (!grid || !*grid)
    return;
  free((*grid)->dims);
  free((*grid)->dim_axes);
  free((*grid)->by_name);
  free(*grid);
  *grid = NULL;
}

uint64_t lrs_grid_size(const lrs_grid *grid) { return grid->size; }
const lrs_config *lrs_grid_config(const lrs_grid *grid) { return grid->cfg; }

lrs_status lrs_grid_point(const lrs_grid *g, uint64_t index, lrs_point *p) {
  if (index >= g->size)
    return LRS_RAISE(LRS_ERR_RANGE, "point %llu is outside the grid (%llu points)",
                     (unsigned long long)index, (unsigned long long)g->size);
  *p = *lrs_config_base(g->cfg);
  p->index = index;
  uint64_t rest = index;
  for (size_t d = g->n_dims; d-- > 0;) {
    const dimension *dim = &g->dims[d];
    size_t k = (size_t)(rest % dim->length);
    rest /= dim->length;
    for (size_t a = 0; a < dim->n_axes; a++) {
      const lrs_axis *axis = g->dim_axes[dim->first_axis + a];
      lrs_param_set(p, axis->param, axis->values[k]);
      /* An init_exponent axis replaces the default init_scale. */
      if (strcmp(axis->param->name, "init_exponent") == 0)
        p->init_scale = NAN;
    }
  }
  return LRS_OK;
}

lrs_status lrs_grid_key(const lrs_grid *g, const lrs_point *p, char *buf, size_t cap) {
  size_t used = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < g->n_axes; i++) {
    const lrs_param *param = g->by_name[i]->param;
    char value[64];
    lrs_param_format(param, lrs_param_get(p, param), value, sizeof value);
    const char *name = strcmp(param->name, "replicate") ? param->name : "seed";
    int w = snprintf(buf + used, cap - used, "%s%s=%s", i ? "," : "", name, value);
    if (w < 0 || (size_t)w >= cap - used)
      return LRS_RAISE(LRS_ERR_RANGE, "key of point %llu longer than %zu bytes",
                       (unsigned long long)p->index, cap);
    used += (size_t)w;
  }
  return LRS_OK;
}

uint64_t lrs_key_hash(const char *key) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (const unsigned char *c = (const unsigned char *)key; *c; c++) {
    h ^= *c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

lrs_status lrs_grid_validate(const lrs_grid *g) {
  lrs_point p;
  for (uint64_t i = 0; i < g->size; i++) {
    LRS_TRY(lrs_grid_point(g, i, &p));
    LRS_TRY(lrs_config_check_point(g->cfg, &p));
  }
  return LRS_OK;
}

typedef struct {
  double cost;
  uint64_t index;
} costed;

static int by_cost_then_index(const void *a, const void *b) {
  const costed *x = a, *y = b;
  if (x->cost != y->cost)
    return x->cost < y->cost ? 1 : -1;
  return (x->index > y->index) - (x->index < y->index);
}

static int ascending(const void *a, const void *b) {
  const uint64_t *x = a, *y = b;
  return (*x > *y) - (*x < *y);
}

lrs_status lrs_grid_shard(const lrs_grid *g, uint32_t shard, uint32_t count,
                          uint64_t **indices, uint64_t *n) {
  *indices = NULL;
  *n = 0;
  if (count == 0 || shard >= count)
    return LRS_RAISE(LRS_ERR_USAGE, "shard %u/%u: expected 0 ≤ I < N", shard, count);
  costed *all = malloc((size_t)g->size * sizeof *all);
  uint64_t *mine = malloc(((size_t)g->size / count + 1) * sizeof *mine);
  if (!all || !mine) {
    free(all);
    free(mine);
    return LRS_RAISE(LRS_ERR_NOMEM, "out of memory sharding %llu points",
                     (unsigned long long)g->size);
  }
  lrs_point p;
  for (uint64_t i = 0; i < g->size; i++) {
    lrs_grid_point(g, i, &p);
    all[i] = (costed){lrs_point_cost(&p), i};
  }
  qsort(all, (size_t)g->size, sizeof *all, by_cost_then_index);
  uint64_t k = 0;
  for (uint64_t pos = shard; pos < g->size; pos += count)
    mine[k++] = all[pos].index;
  free(all);
  qsort(mine, (size_t)k, sizeof *mine, ascending);
  *indices = mine;
  *n = k;
  return LRS_OK;
}

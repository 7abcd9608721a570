/* Adaptive refinement: bisection of phase boundaries and seeds until a rate
 * is confident (lrsweep/refine.h). */
#include "lrsweep/refine.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lrsweep/config.h"
#include "lrsweep/query.h"
#include "lrsweep/rate.h"

#define NO_CELL UINT32_MAX

/* What the engine knows of one row of the points table. */
typedef struct row_state {
  double axis;        /* value of the bisection axis */
  double rate;        /* measured rate (NaN: none, or not computed) */
  uint32_t cell;      /* bisection cell, NO_CELL without bisection */
  uint32_t rate_cell; /* rate cell, NO_CELL for bisection rows or without rate_ci */
  int64_t replicate;
  int32_t generation;
  int8_t holds;       /* the predicate: -1 not computed yet, 0, 1 */
  bool computed;      /* its result is known */
} row_state;

/* Cell ids by the hash of a key with one axis left out (open addressing). */
typedef struct cell_map {
  uint64_t *hash;
  uint32_t *id;
  size_t mask, used;
  uint32_t next_id;
} cell_map;

struct lrs_refine {
  const lrs_grid *grid;
  const lrs_config *cfg;
  const lrs_refine_options *opt;
  const lrs_param *axis; /* bisection parameter, NULL without bisection */
  lrs_store_writer *writer;
  uint64_t n_grid;
  row_state *rows;
  size_t n_rows, cap_rows;
  lrs_point *extra; /* points of rows n_grid.. */
  size_t cap_extra;
  cell_map cells, rate_cells;
  /* the predicate, evaluated on a one-row table over `row` */
  lrs_query_table table;
  lrs_query_expr *predicate;
  const lrs_field *scols;
  unsigned char *row; /* lrs_store_row + key */
  lrs_refine_report report;
};

/* ---- cells ----------------------------------------------------------------------- */

static lrs_status cell_map_init(cell_map *m) {
  m->mask = 1023;
  m->hash = calloc(m->mask + 1, sizeof *m->hash);
  m->id = malloc((m->mask + 1) * sizeof *m->id);
  if (!m->hash || !m->id)
    return LRS_RAISE(LRS_ERR_NOMEM, "out of memory for refinement cells");
  for (size_t i = 0; i <= m->mask; i++)
    m->id[i] = NO_CELL;
  return LRS_OK;
}

static void cell_map_free(cell_map *m) {
  free(m->hash);
  free(m->id);
}

static lrs_status cell_map_get(cell_map *m, uint64_t h, uint32_t *id);

static lrs_status cell_map_grow(cell_map *m) {
  cell_map bigger = {.mask = 2 * m->mask + 1, .next_id = m->next_id};
  bigger.hash = calloc(bigger.mask + 1, sizeof *bigger.hash);
  bigger.id = malloc((bigger.mask + 1) * sizeof *bigger.id);
  if (!bigger.hash || !bigger.id) {
    cell_map_free(&bigger);
    return LRS_RAISE(LRS_ERR_NOMEM, "out of memory for refinement cells");
  }
  for (size_t i = 0; i <= bigger.mask; i++)
    bigger.id[i] = NO_CELL;
  for (size_t i = 0; i <= m->mask; i++)
    if (m->id[i] != NO_CELL) {
      size_t s = (size_t)(m->hash[i] ^ (m->hash[i] >> 31)) & bigger.mask;
      while (bigger.id[s] != NO_CELL)
        s = (s + 1) & bigger.mask;
      bigger.hash[s] = m->hash[i];
      bigger.id[s] = m->id[i];
    }
  bigger.used = m->used;
  cell_map_free(m);
  *m = bigger;
  return LRS_OK;
}

/* The id of the cell with key hash h, a new one (in order of first sight). */
static lrs_status cell_map_get(cell_map *m, uint64_t h, uint32_t *id) {
  size_t s = (size_t)(h ^ (h >> 31)) & m->mask;
  while (m->id[s] != NO_CELL) {
    if (m->hash[s] == h) {
      *id = m->id[s];
      return LRS_OK;
    }
    s = (s + 1) & m->mask;
  }
  if (2 * (m->used + 1) > m->mask) {
    LRS_TRY(cell_map_grow(m));
    return cell_map_get(m, h, id);
  }
  m->hash[s] = h;
  *id = m->id[s] = m->next_id++;
  m->used++;
  return LRS_OK;
}

/* The hash of `key` without its component "name=value". */
static uint64_t key_hash_without(const char *key, const char *name) {
  char buf[LRS_GRID_KEY_MAX];
  size_t len = strlen(name), out = 0;
  for (const char *p = key; *p;) {
    const char *end = strchr(p, ',');
    size_t n = end ? (size_t)(end - p) : strlen(p);
    if (!(n > len && strncmp(p, name, len) == 0 && p[len] == '=')) {
      if (out)
        buf[out++] = ',';
      memcpy(buf + out, p, n);
      out += n;
    }
    p += n + (end != NULL);
  }
  buf[out] = '\0';
  return lrs_key_hash(buf);
}

/* ---- rows ------------------------------------------------------------------------ */

static lrs_status reserve_rows(lrs_refine *r, size_t need) {
  LRS_TRY(LRS_GROW(r->rows, r->cap_rows, need));
  return LRS_GROW(r->extra, r->cap_extra, need > r->n_grid ? need - r->n_grid : 0);
}

/* Evaluates the predicate and notes the rate of a computed row. */
static void judge(lrs_refine *r, row_state *s, const lrs_point *point, const lrs_summary *sum,
                  int32_t origin) {
  s->holds = -1;
  s->rate = NAN;
  s->computed = sum->status != LRS_POINT_PENDING;
  if (!s->computed)
    return;
  s->rate = isfinite(sum->rate) ? sum->rate : NAN;
  if (!r->predicate)
    return;
  lrs_store_row *row = (lrs_store_row *)(void *)r->row;
  row->index = point->index;
  row->origin = origin;
  row->generation = s->generation;
  row->point = *point;
  row->summary = *sum;
  char *key = (char *)r->row + sizeof *row;
  if (lrs_grid_key(r->grid, point, key, LRS_GRID_KEY_MAX) != LRS_OK)
    key[0] = '\0';
  row->key_hash = lrs_key_hash(key);
  s->holds = lrs_query_eval(r->predicate, &r->table, 0) ? 1 : 0;
}

/* Enters row `index` (its point, key, origin, generation, and summary if
 * computed) into the engine's tables. */
static lrs_status add_row(lrs_refine *r, uint64_t index, const lrs_point *point, const char *key,
                          int32_t origin, int32_t generation, const lrs_summary *sum) {
  if (index != r->n_rows)
    return LRS_RAISE(LRS_ERR_INTERNAL, "refinement: row %llu arrived out of order",
                     (unsigned long long)index);
  LRS_TRY(reserve_rows(r, r->n_rows + 1));
  row_state *s = &r->rows[r->n_rows];
  *s = (row_state){.axis = NAN, .rate = NAN, .cell = NO_CELL, .rate_cell = NO_CELL,
                   .replicate = point->replicate, .generation = generation, .holds = -1};
  if (index >= r->n_grid) {
    r->extra[index - r->n_grid] = *point;
    r->extra[index - r->n_grid].index = index;
  }
  s->axis = r->axis ? lrs_param_get(point, r->axis) : NAN;
  if (r->axis && origin != LRS_ORIGIN_SEED) {
    LRS_TRY(cell_map_get(&r->cells, key_hash_without(key, r->axis->name), &s->cell));
  }
  if (r->opt->rate_ci > 0 && origin != LRS_ORIGIN_BISECT)
    LRS_TRY(cell_map_get(&r->rate_cells, key_hash_without(key, "seed"), &s->rate_cell));
  r->n_rows++;
  if (sum)
    judge(r, s, point, sum, origin);
  return LRS_OK;
}

static lrs_status scan_row(void *ctx, const lrs_store_row *row, const char *key) {
  return add_row(ctx, row->index, &row->point, key, row->origin, row->generation, &row->summary);
}

/* ---- the predicate --------------------------------------------------------------- */

static double row_number(const void *ctx, size_t row, size_t col) {
  (void)row;
  const lrs_refine *r = ctx;
  return lrs_field_number(&r->scols[col], r->row);
}

static const char *row_text(const void *ctx, size_t row, size_t col, char *buf, size_t cap) {
  (void)row;
  const lrs_refine *r = ctx;
  return lrs_field_text(&r->scols[col], r->row, buf, cap);
}

static lrs_status parse_predicate(lrs_refine *r) {
  size_t n;
  r->scols = lrs_store_writer_columns(r->writer, &n);
  r->row = calloc(1, sizeof(lrs_store_row) + LRS_GRID_KEY_MAX);
  if (!r->row)
    return LRS_RAISE(LRS_ERR_NOMEM, "out of memory for the refinement predicate");
  r->table = (lrs_query_table){1, n, r->scols, r, row_number, row_text};
  if (!r->opt->bisect)
    return LRS_OK;
  if (lrs_query_parse(r->opt->predicate, &r->table, &r->predicate) != LRS_OK) {
    char why[512];
    snprintf(why, sizeof why, "%s", lrs_error_message());
    return LRS_RAISE(LRS_ERR_CONFIG, "%s:%d:%d: [refine] predicate: %s", lrs_config_source(r->cfg),
                     r->opt->predicate_line, r->opt->predicate_column, why);
  }
  return LRS_OK;
}

/* ---- life cycle ------------------------------------------------------------------- */

lrs_status lrs_refine_create(const lrs_grid *grid, lrs_store_writer *writer, lrs_refine **out) {
  *out = NULL;
  lrs_refine *r = calloc(1, sizeof *r);
  LRS_TRY(LRS_CHECK_ALLOC(r));
  lrs_status st = LRS_OK;
  r->grid = grid;
  r->cfg = lrs_grid_config(grid);
  r->opt = lrs_config_refine(r->cfg);
  r->writer = writer;
  r->n_grid = lrs_grid_size(grid);
  if (!r->opt->enabled) {
    st = LRS_RAISE(LRS_ERR_USAGE, "%s has no [refine] section", lrs_config_source(r->cfg));
    goto done;
  }
  if (r->opt->bisect)
    r->axis = lrs_config_axis(r->cfg, r->opt->axis)->param;
  LRS_TRY_GOTO(st, cell_map_init(&r->cells), done);
  LRS_TRY_GOTO(st, cell_map_init(&r->rate_cells), done);
  LRS_TRY_GOTO(st, parse_predicate(r), done);
  LRS_TRY_GOTO(st, lrs_store_scan(writer, scan_row, r), done);
done:
  if (st != LRS_OK)
    lrs_refine_destroy(&r);
  *out = r;
  return st;
}

void lrs_refine_destroy(lrs_refine **refine) {
  if (!refine || !*refine)
    return;
  lrs_refine *r = *refine;
  cell_map_free(&r->cells);
  cell_map_free(&r->rate_cells);
  lrs_query_expr_destroy(&r->predicate);
  free(r->row);
  free(r->rows);
  free(r->extra);
  free(r);
  *refine = NULL;
}

lrs_status lrs_refine_point(const lrs_refine *r, uint64_t index, lrs_point *point) {
  if (index < r->n_grid)
    return lrs_grid_point(r->grid, index, point);
  if (index >= r->n_rows)
    return LRS_RAISE(LRS_ERR_RANGE, "refinement: no row %llu", (unsigned long long)index);
  *point = r->extra[index - r->n_grid];
  return LRS_OK;
}

lrs_status lrs_refine_observe(lrs_refine *r, uint64_t index, const lrs_result *result) {
  if (index >= r->n_rows)
    return LRS_RAISE(LRS_ERR_RANGE, "refinement: result for unknown row %llu",
                     (unsigned long long)index);
  lrs_point point;
  LRS_TRY(lrs_refine_point(r, index, &point));
  row_state *s = &r->rows[index];
  int32_t origin = index < r->n_grid ? LRS_ORIGIN_GRID
                   : s->rate_cell != NO_CELL ? LRS_ORIGIN_SEED
                                             : LRS_ORIGIN_BISECT;
  judge(r, s, &point, &result->summary, origin);
  return LRS_OK;
}

const lrs_refine_report *lrs_refine_get_report(const lrs_refine *r) { return &r->report; }

/* ---- rounds ----------------------------------------------------------------------- */

typedef struct proposal {
  lrs_point point;
  lrs_origin origin;
  int32_t generation;
} proposal;

typedef struct proposals {
  proposal *items;
  size_t n, cap;
} proposals;

static lrs_status propose(proposals *p, const lrs_point *point, lrs_origin origin,
                          int32_t generation) {
  if (p->n == p->cap) {
    size_t cap = p->cap ? 2 * p->cap : 64;
    proposal *items = realloc(p->items, cap * sizeof *items);
    LRS_TRY(LRS_CHECK_ALLOC(items));
    p->items = items;
    p->cap = cap;
  }
  p->items[p->n++] = (proposal){*point, origin, generation};
  return LRS_OK;
}

/* Rows ordered by (cell, value): the members of each cell, contiguous. */
typedef struct member {
  uint32_t cell;
  double value;
  size_t row;
} member;

static int by_cell_value(const void *a, const void *b) {
  const member *x = a, *y = b;
  if (x->cell != y->cell)
    return x->cell < y->cell ? -1 : 1;
  if (x->value != y->value)
    return x->value < y->value ? -1 : 1;
  return (x->row > y->row) - (x->row < y->row);
}

static lrs_status members_of(const lrs_refine *r, bool rate, member **out, size_t *n) {
  member *m = malloc((r->n_rows ? r->n_rows : 1) * sizeof *m);
  LRS_TRY(LRS_CHECK_ALLOC(m));
  *n = 0;
  for (size_t i = 0; i < r->n_rows; i++) {
    const row_state *s = &r->rows[i];
    uint32_t cell = rate ? s->rate_cell : s->cell;
    if (cell != NO_CELL)
      m[(*n)++] = (member){cell, rate ? 0.0 : s->axis, i};
  }
  qsort(m, *n, sizeof *m, by_cell_value);
  *out = m;
  return LRS_OK;
}

/* Grid points of a dense grid of relative step rtol over [lo, hi]. */
static double dense_count(double lo, double hi, bool log_scale, double rtol) {
  if (!(hi > lo))
    return 1;
  if (log_scale)
    return ceil(log(hi / lo) / log1p(rtol)) + 1;
  return ceil((hi - lo) / (rtol * fmax(fabs(lo), fabs(hi)))) + 1;
}

/* One cell of bisection: its members m[0..n) ordered by axis value. */
static lrs_status bisect_cell(lrs_refine *r, const member *m, size_t n, bool *holds,
                              proposals *out) {
  for (size_t i = 0; i < n; i++) {
    if (!r->rows[m[i].row].computed) {
      r->report.cells_open++; /* an interrupted run: wait for the row */
      return LRS_OK;
    }
    holds[i] = r->rows[m[i].row].holds == 1;
  }
  size_t lo = 0;
  if (lrs_query_first_flip(holds, n, &lo) == 0) {
    r->report.cells_no_flip++;
    return LRS_OK;
  }
  const bool log_scale = r->opt->log_scale;
  r->report.dense_points += (uint64_t)dense_count(m[0].value, m[n - 1].value, log_scale,
                                                  r->opt->rtol);
  const row_state *a = &r->rows[m[lo].row], *b = &r->rows[m[lo + 1].row];
  double mid = lrs_query_bracket_mid(a->axis, b->axis, log_scale);
  if (r->axis->type == LRS_PARAM_INT)
    mid = round(mid);
  if (lrs_query_bracket_narrow(a->axis, b->axis, log_scale, r->opt->rtol) ||
      !(mid > a->axis && mid < b->axis))
    return LRS_OK;
  int32_t generation = (a->generation > b->generation ? a->generation : b->generation) + 1;
  if (generation > r->opt->max_generations) {
    r->report.cells_capped++;
    return LRS_OK;
  }
  r->report.cells_open++;
  lrs_point p;
  LRS_TRY(lrs_refine_point(r, m[lo].row, &p));
  lrs_param_set(&p, r->axis, mid);
  LRS_TRY(lrs_config_check_point(r->cfg, &p));
  return propose(out, &p, LRS_ORIGIN_BISECT, generation);
}

static int by_value(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* One rate cell: its members m[0..n) in row order. */
static lrs_status seed_cell(lrs_refine *r, const member *m, size_t n, double *rates,
                            proposals *out) {
  size_t n_rate = 0;
  int64_t top = -1;
  int32_t generation = 0;
  for (size_t i = 0; i < n; i++) {
    const row_state *s = &r->rows[m[i].row];
    if (!s->computed)
      return LRS_OK; /* an interrupted run: wait for the row */
    if (isfinite(s->rate))
      rates[n_rate++] = s->rate;
    top = s->replicate > top ? s->replicate : top;
    generation = s->generation > generation ? s->generation : generation;
  }
  double lo, hi;
  if (2 * n_rate < n) {
    r->report.rate_none++; /* mostly no rate: nothing to pin down */
    return LRS_OK;
  }
  qsort(rates, n_rate, sizeof *rates, by_value);
  if (lrs_rate_median_ci(rates, n_rate, 0.95, &lo, &hi) && 0.5 * (hi - lo) <= r->opt->rate_ci) {
    r->report.rate_confident++;
    return LRS_OK;
  }
  if ((int64_t)n >= r->opt->max_seeds) {
    r->report.rate_capped++;
    return LRS_OK;
  }
  int64_t add = r->opt->max_seeds - (int64_t)n;
  add = add < r->opt->seed_batch ? add : r->opt->seed_batch;
  lrs_point p;
  LRS_TRY(lrs_refine_point(r, m[0].row, &p));
  for (int64_t k = 1; k <= add; k++) {
    p.replicate = top + k;
    LRS_TRY(propose(out, &p, LRS_ORIGIN_SEED, generation + 1));
  }
  return LRS_OK;
}

/* Bisects (rate: adds seeds to) every cell. */
static lrs_status each_cell(lrs_refine *r, bool rate, proposals *out) {
  member *m = NULL;
  size_t n = 0;
  LRS_TRY(members_of(r, rate, &m, &n));
  lrs_status st = LRS_OK;
  bool *holds = malloc((n ? n : 1) * sizeof *holds);
  double *rates = malloc((n ? n : 1) * sizeof *rates);
  if (!holds || !rates)
    st = LRS_RAISE(LRS_ERR_NOMEM, "out of memory for refinement cells");
  /* Cells in order of their id (first sight in row order): deterministic. */
  for (size_t first = 0; st == LRS_OK && first < n;) {
    size_t end = first + 1;
    while (end < n && m[end].cell == m[first].cell)
      end++;
    if (rate) {
      r->report.rate_cells++;
      st = seed_cell(r, m + first, end - first, rates, out);
    } else {
      r->report.cells++;
      st = bisect_cell(r, m + first, end - first, holds, out);
    }
    first = end;
  }
  free(holds);
  free(rates);
  free(m);
  return st;
}

lrs_status lrs_refine_next(lrs_refine *r, uint64_t **indices, uint64_t *n) {
  *indices = NULL;
  *n = 0;
  const uint64_t rounds = r->report.rounds;
  r->report = (lrs_refine_report){.rounds = rounds,
                                  .bisect_points = r->report.bisect_points,
                                  .seed_points = r->report.seed_points};
  proposals p = {0};
  lrs_status st = LRS_OK;
  lrs_point *points = NULL;
  lrs_origin *origin = NULL;
  int32_t *generation = NULL;
  if (r->axis)
    LRS_TRY_GOTO(st, each_cell(r, false, &p), done);
  if (r->opt->rate_ci > 0)
    LRS_TRY_GOTO(st, each_cell(r, true, &p), done);
  if (p.n == 0)
    goto done;
  points = malloc(p.n * sizeof *points);
  origin = malloc(p.n * sizeof *origin);
  generation = malloc(p.n * sizeof *generation);
  *indices = malloc(p.n * sizeof **indices);
  if (!points || !origin || !generation || !*indices) {
    st = LRS_RAISE(LRS_ERR_NOMEM, "out of memory for %zu refinement points", p.n);
    goto done;
  }
  for (size_t i = 0; i < p.n; i++) {
    points[i] = p.items[i].point;
    origin[i] = p.items[i].origin;
    generation[i] = p.items[i].generation;
  }
  uint64_t first;
  LRS_TRY_GOTO(st, lrs_store_add_points(r->writer, points, origin, generation, p.n, &first),
               done);
  char key[LRS_GRID_KEY_MAX];
  for (size_t i = 0; i < p.n; i++) {
    points[i].index = first + i;
    LRS_TRY_GOTO(st, lrs_grid_key(r->grid, &points[i], key, sizeof key), done);
    LRS_TRY_GOTO(st, add_row(r, first + i, &points[i], key, origin[i], generation[i], NULL),
                 done);
    (*indices)[i] = first + i;
    if (origin[i] == LRS_ORIGIN_BISECT)
      r->report.bisect_points++;
    else
      r->report.seed_points++;
  }
  *n = p.n;
  r->report.rounds++;
done:
  if (st != LRS_OK) {
    free(*indices);
    *indices = NULL;
  }
  free(p.items);
  free(points);
  free(origin);
  free(generation);
  return st;
}

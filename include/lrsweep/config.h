/*
 * lrsweep/config.h — sweep files: schema, validation, defaults.
 *
 * A sweep file is TOML with four tables (the README's "Sweep file reference"
 * lists every key with its default):
 *   [sweep]    name, store, base_seed, replicates, description
 *   [problem]  model, dimensions, data, targets, initialization, loss
 *   [solver]   method, step rule, limits, tolerances, record policy
 *   [grid]     axes: any [problem]/[solver] parameter (or `seed`) as a list
 *              or a range table {log|lin = [a, b], num = n}; `zip` groups.
 *   [run]      how the main job runs it: group_size (or "auto"),
 *              auto_group_size, group_threshold, drain_seconds (the
 *              command line overrides them; they change results only by a
 *              group backend's rounding, see lrsweep/sched.h)
 *
 * Loading validates everything it can see at once: unknown sections and keys
 * (with a "did you mean"), types, ranges, duplicate or empty axes, and
 * constraints between parameters (checked again per point by
 * lrs_config_check_point, since axes combine).  Every error is one line
 * "FILE:LINE:COL: what is wrong; what is allowed" with status LRS_ERR_CONFIG
 * (LRS_ERR_PARSE for TOML syntax, LRS_ERR_IO for an unreadable file).
 */
#ifndef LRSWEEP_CONFIG_H
#define LRSWEEP_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lrsweep/field.h"
#include "lrsweep/point.h"
#include "lrsweep/status.h"

typedef enum { LRS_PARAM_INT, LRS_PARAM_REAL, LRS_PARAM_ENUM } lrs_param_type;

/* One point parameter: where it lives in the sweep file and in lrs_point.
 * What it shares with every other named value (name, type, offset, enum
 * names, doc) it gives as an lrs_field (lrs_param_field): the store's
 * parameter columns and lrs_param_get/format go through that. */
typedef struct lrs_param {
  const char *name;         /* key in its section, and its axis name */
  const char *section;      /* "problem", "solver", or "sweep" (seed axis) */
  lrs_param_type type;
  size_t offset;            /* of the field in lrs_point */
  const char *const *names; /* ENUM: NULL-terminated name table */
  double min, max;          /* INT/REAL: allowed range */
  bool min_open;            /* the range excludes min (e.g. step_size > 0) */
  bool unset_ok;            /* REAL: may stay unset (NaN) */
  double fallback;          /* default value (enum index for ENUM) */
  const char *doc;          /* one line for the reference; a parameter of
                               some methods only starts with one's name */
  uint32_t methods;         /* the methods it acts with (LRS_PARAM_METHOD
                               bits of lrs_method); 0: every method.  In a
                               point of another method it changes nothing
                               that method solves (a gf point's step_size
                               names only the theory's η0, lrsweep/solver.h);
                               an axis of it warns (lrs_config_axis_idle) */
} lrs_param;

/* The bit of method `m` in lrs_param.methods. */
#define LRS_PARAM_METHOD(m) (1u << (unsigned)(m))

/* Whether `param` acts in a point of method `method` (its methods include it,
 * or it acts with every method). */
bool lrs_param_acts(const lrs_param *param, lrs_method method);

/* The table of all parameters, in canonical order (the grid's axis order). */
const lrs_param *lrs_param_table(size_t *count);
/* The parameter named `name`, or NULL. */
const lrs_param *lrs_param_find(const char *name);
/* The parameter as a field of lrs_point: INT → I64, REAL → F64, ENUM. */
lrs_field lrs_param_field(const lrs_param *param);
/* Reads / writes a parameter of a point as a double (ints exactly up to
 * 2^53; enums as their index). */
double lrs_param_get(const lrs_point *point, const lrs_param *param);
void lrs_param_set(lrs_point *point, const lrs_param *param, double value);
/* Canonical text of a value: enum name, integer digits, or the shortest
 * decimal that reads back to the same double ("0.01", "1e-05", "nan"). */
void lrs_param_format(const lrs_param *param, double value, char *buf, size_t cap);

/* Limits of a sweep file (README, "Limits"): values of one axis (a list or a
 * range's num), and bytes of a string value (the sweep name is also at most
 * LRS_CONFIG_MAX_NAME bytes: it fills a 64-byte field of the store's /runs). */
enum { LRS_CONFIG_MAX_AXIS = 10000000, LRS_CONFIG_MAX_STRING = 4096, LRS_CONFIG_MAX_NAME = 63 };

/* One axis of the grid, after range expansion. */
typedef struct lrs_axis {
  const lrs_param *param;
  double *values;
  size_t length;
  int zip_group;   /* index of its zip group, or -1 */
  bool log_scale;  /* given as a log range: plots use log axes */
  int line, column; /* where the axis is defined */
} lrs_axis;

typedef struct lrs_config lrs_config;

/* Loads and validates a sweep file / text.  On failure *cfg is NULL. */
lrs_status lrs_config_load_file(const char *path, lrs_config **cfg);
lrs_status lrs_config_load_string(const char *text, size_t len,
                                  const char *name, lrs_config **cfg);
void lrs_config_destroy(lrs_config **cfg);

const char *lrs_config_source(const lrs_config *cfg); /* path or name */
const char *lrs_config_text(const lrs_config *cfg, size_t *len); /* verbatim */
const char *lrs_config_name(const lrs_config *cfg);
const char *lrs_config_description(const lrs_config *cfg); /* "" if none */
/* Store path as written (default "<name>.h5"), relative to the working dir. */
const char *lrs_config_store(const lrs_config *cfg);
/* Fixed values of every parameter (defaults overridden by the file). */
const lrs_point *lrs_config_base(const lrs_config *cfg);
/* Axes in canonical order (parameter-table order; `seed` always last). */
size_t lrs_config_axis_count(const lrs_config *cfg);
const lrs_axis *lrs_config_axis(const lrs_config *cfg, size_t i);

/* The methods the sweep's points run (LRS_PARAM_METHOD bits): its method
 * axis's values, else its one method. */
uint32_t lrs_config_methods(const lrs_config *cfg);
/* Whether axis i changes no point's solve: its parameter acts with none of
 * the methods the sweep runs (lrs_param.methods), e.g. `horizon` in a gd
 * sweep or `step_size` in a gf one — the one rule for keys of another
 * method.  Such a sweep is valid (every point is), only wasteful: the
 * commands that plan or run it warn, at the axis's line, with `why` ("axis
 * step_size: method gf does not use step_size (it acts with gd, none, adam
 * only), so its 3 values give the same solve"), and refuse nothing.  A
 * fixed key of another method is inert and not worth a word. */
bool lrs_config_axis_idle(const lrs_config *cfg, size_t i, char *why, size_t cap);

/* Range axes ({log|lin = [a, b], num = n}) take, between their exact ends,
 * the shortest decimal within LRS_RANGE_RTOL (relative; for a linear range,
 * of max(|x|, step)) of each ideal point x: 1e-4, 0.001, …, 1 rather than
 * 0.0010000000000000002.  Stores written before kept the unrounded values. */
#define LRS_RANGE_RTOL 1e-12
/* Replaces the values of the REAL axis of `param` that lie within rtol
 * (relative) of a value of stored[0..n_stored) but differ from it by those
 * stored values, so that a store written by an lrsweep that expanded ranges
 * without rounding is resumed under its own keys.  Returns how many values
 * changed (0 when `param` is no REAL axis). */
size_t lrs_config_pin_values(lrs_config *cfg, const lrs_param *param, const double *stored,
                             size_t n_stored, double rtol);

/* [run]: defaults of the main job's options (0 when not given). */
typedef struct lrs_run_options {
  int64_t group_size;   /* ranks per group (0 with group_auto) */
  bool group_auto;      /* group_size = "auto" (see lrsweep/sched.h) */
  int64_t auto_group_size; /* the largest G of "auto" */
  int64_t group_threshold; /* under "auto": the width h from which a group
                              solves a point together */
  double drain_seconds; /* grace after a stop signal (NaN when not given) */
} lrs_run_options;
const lrs_run_options *lrs_config_run(const lrs_config *cfg);

/* [refine]: adaptive refinement after the grid (lrsweep/refine.h). */
typedef struct lrs_refine_options {
  bool enabled;            /* the section is present */
  size_t axis;             /* bisection axis (index into the axes); */
  bool bisect;             /* false when no predicate is given */
  bool log_scale;          /* bisect in log scale (default: the axis's own scale) */
  const char *predicate;   /* query expression over a point's columns */
  int predicate_line, predicate_column;
  double rtol;             /* relative bracket width to reach (0.01) */
  int64_t max_generations; /* bisection steps per cell at most (40) */
  double rate_ci;          /* half-width target of the median rate's 95% CI; 0: off */
  int64_t max_seeds;       /* seeds per cell at most, for rate_ci (32) */
  int64_t seed_batch;      /* seeds added to a cell per round (4) */
  int line;                /* of the [refine] header */
} lrs_refine_options;
const lrs_refine_options *lrs_config_refine(const lrs_config *cfg);

/* Makes a config loaded from a store's text (whose source names the store)
 * stand for the sweep file a store recorded at `sweep_path`: [problem]
 * data_file resolves against its directory, and lrs_config_source names it,
 * so that a store written from this config (merge) records the same
 * sweep_source.  LRS_ERR_CONFIG when the data_file path does not fit
 * lrs_point.data_file; LRS_ERR_NOMEM. */
lrs_status lrs_config_rebase(lrs_config *cfg, const char *sweep_path);

/* Fails with LRS_ERR_IO, "SWEEP:LINE:COL: data_file = "AS WRITTEN": RESOLVED:
 * why", when the resolved data file cannot be opened for reading; LRS_OK when
 * it can or there is no data_file.  For the commands that are about to read
 * it (a missing file is then named with the key that asked for it). */
lrs_status lrs_config_check_data_file(const lrs_config *cfg);

/* Checks the constraints between a point's parameters; the error names the
 * sweep file and line of a key involved. */
lrs_status lrs_config_check_point(const lrs_config *cfg, const lrs_point *point);

#endif

/*
 * lrsweep/store.h — the HDF5 store: one file per sweep file, written by one
 * process, read by anyone (docs/store.md is the reader's manual).
 *
 * Layout (schema version LRS_STORE_SCHEMA_VERSION):
 *   /                      attributes: schema version, lrsweep version and git
 *                          describe, creation time (UTC), host, MPI size
 *   /runs                  one row per writer open (time, host, pid, MPI size)
 *   /sweeps/NAME           attributes: the sweep file's text and its SHA-256
 *   /sweeps/NAME/points    one compound row per grid point (lrs_store_row +
 *                          its key), status "pending" until computed, then
 *                          one per point added by refinement (origin column)
 *   /sweeps/NAME/trajectories  one extendible compound dataset of records of
 *                          all points; a row's traj_offset/traj_count say
 *                          which records are its own
 *   /sweeps/NAME/axes/AXIS the axis values (attributes: type, log_scale, zip)
 *
 * Crash safety: objects are created or changed only in a copy of the file
 * that is renamed over the store when complete; points are then written in
 * HDF5 SWMR mode, trajectory first, flush, row, flush.  A writer killed at any
 * moment loses at most the batch it had not flushed.  A second writer is kept
 * out by an flock(2)ed lock file "STORE.lock".  None of this is collective:
 * exactly one process (the coordinator) writes, with HDF5's serial API.
 */
#ifndef LRSWEEP_STORE_H
#define LRSWEEP_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lrsweep/config.h"
#include "lrsweep/grid.h"
#include "lrsweep/point.h"
#include "lrsweep/result.h"
#include "lrsweep/status.h"

/* Stores written by this lrsweep; readers refuse newer ones. */
enum { LRS_STORE_SCHEMA_VERSION = 2 };
/* Bytes of /runs' blas column (lrs_store_options.blas, lrs_store_blas). */
enum { LRS_STORE_BLAS_MAX = 128 };

/* ---- columns -------------------------------------------------------------- */

/* Where a row of the points table came from.  Grid rows come first (row =
 * grid index); rows added by refinement (lrsweep/refine.h) follow, in the
 * order they were proposed. */
#define LRS_ORIGIN_LIST(X)                                                     \
  X(LRS_ORIGIN_GRID, "grid")     /* a point of the sweep's grid */             \
  X(LRS_ORIGIN_BISECT, "bisect") /* bisection of a phase boundary */           \
  X(LRS_ORIGIN_SEED, "seed")     /* an extra seed for a rate's error bar */
#define LRS__ENUM_MEMBER(name, text) name,
typedef enum { LRS_ORIGIN_LIST(LRS__ENUM_MEMBER) LRS_ORIGIN_COUNT } lrs_origin;
#undef LRS__ENUM_MEMBER
extern const char *const lrs_origin_names[];

/* The in-memory form of one row of /sweeps/NAME/points.  The row's key (a
 * string) follows the struct in buffers; see lrs_store_points_key. */
typedef struct lrs_store_row {
  uint64_t index;      /* position in the grid (changes when the grid extends) */
  uint64_t key_hash;   /* lrs_key_hash(key): the stable identity of the point */
  int32_t origin;      /* lrs_origin */
  int32_t generation;  /* 0 for grid rows; refinement step that proposed it */
  lrs_point point;     /* every parameter */
  lrs_summary summary; /* the result summary (status pending until computed) */
  int32_t attempts;    /* how many times the point has been stored */
  int32_t rank;        /* rank (or group) that computed it; -1 if pending */
  int64_t traj_offset; /* first record in trajectories; -1 if none */
  int64_t traj_count;  /* number of records */
  uint64_t row_check;  /* FNV-1a 64 of the result columns (docs/store.md): a
                          row torn by a crash fails it and reads as pending */
} lrs_store_row;

/* A column of the points table (or of the trajectories) is an lrs_field
 * (lrsweep/field.h) whose offset is in the row buffer; LRS_FIELD_AXIS marks
 * the sweep's axes, LRS_FIELD_RUN_DEPENDENT the columns that differ between
 * equivalent runs (wall_seconds, attempts, rank, traj_offset).  Values:
 * lrs_field_number / lrs_field_text. */

/* Columns of trajectory records: key_hash then every lrs_record field. */
const lrs_field *lrs_store_record_columns(size_t *count);

/* ---- writer --------------------------------------------------------------- */

typedef struct lrs_store_writer lrs_store_writer;

typedef struct lrs_store_options {
  int mpi_size;          /* recorded at creation and in /runs (default 1) */
  const char *blas;      /* the BLAS of the ranks that solve (lrs_linalg_blas;
                            several: each with its rank count), recorded in
                            /runs; NULL or "": none solve (a merge) */
  bool extend;           /* accept a grid that only gains axis values */
  bool retry_failed;     /* error/timeout/numerical_failure points are to do */
  double flush_seconds;  /* lrs_store_maybe_flush period (default 2 s) */
  size_t flush_bytes;    /* buffered bytes that make put flush (default 64 MiB) */
} lrs_store_options;

lrs_store_options lrs_store_options_default(void);

/*
 * Opens the store at `path` for the sweep of `grid` (whose config must
 * outlive the writer), creating the file or the sweep's group when missing.
 * An existing sweep of that name must have the same grid; with opt->extend a
 * grid that only gains axis values is accepted and its new points added
 * (rows are re-indexed by key hash).  Otherwise LRS_ERR_STORE names which
 * axis or parameter differs.  LRS_ERR_STORE too when another process writes
 * the store, LRS_ERR_IO / LRS_ERR_HDF5 for I/O failures.  Not collective.
 */
lrs_status lrs_store_writer_open(const char *path, const lrs_grid *grid,
                                 const lrs_store_options *opt, lrs_store_writer **writer);
/* Flushes, closes the file, releases the lock, frees, NULLs *writer; the
 * status of the final flush (the writer is freed either way).  NULL-safe. */
lrs_status lrs_store_writer_close(lrs_store_writer **writer);

/* Rows of the points table: the grid's points, then refinement rows. */
uint64_t lrs_store_row_count(const lrs_store_writer *writer);
/* Rows still to compute: pending ones, plus failed ones (error, timeout,
 * numerical_failure) with retry_failed. */
bool lrs_store_needs(const lrs_store_writer *writer, uint64_t index);
uint64_t lrs_store_todo_count(const lrs_store_writer *writer);
/* Points already done when the writer opened (after any extension). */
uint64_t lrs_store_done_at_open(const lrs_store_writer *writer);
/* Rows found torn by a crash when the writer opened (rewritten as pending). */
uint64_t lrs_store_torn_at_open(const lrs_store_writer *writer);

/* Appends n pending rows for off-grid points (their key: lrs_grid_key of the
 * writer's grid), with their origin and generation, durably (written and
 * flushed before it returns); *first receives the index of the first.  The
 * points must not be in the table already.  The rows count only once the
 * sweep's committed row count (/sweeps/NAME/rows) is updated after them: a
 * crash while appending leaves the whole batch uncommitted, and readers and
 * the next writer ignore it (it is overwritten). */
lrs_status lrs_store_add_points(lrs_store_writer *writer, const lrs_point *points,
                                const lrs_origin *origin, const int32_t *generation, size_t n,
                                uint64_t *first);
/* Calls fn for every row of the table in order, as stored on disk (flush
 * first to include buffered results); stops at the first non-OK status. */
typedef lrs_status (*lrs_store_scan_fn)(void *ctx, const lrs_store_row *row, const char *key);
lrs_status lrs_store_scan(lrs_store_writer *writer, lrs_store_scan_fn fn, void *ctx);
/* The columns of the points table (as lrs_store_points_columns). */
const lrs_field *lrs_store_writer_columns(const lrs_store_writer *writer, size_t *count);
/* The columns a points table written now has, without a store (to check
 * expressions over them up front): a malloc'd array the caller frees (its
 * names and enum names are static).  Statuses: LRS_ERR_NOMEM, LRS_ERR_HDF5. */
lrs_status lrs_store_columns_copy(lrs_field **cols, size_t *count);

/* Buffers the result of point `index` computed by `rank`.  Copies it: the
 * caller may reuse `result` at once.  Flushes when flush_bytes are buffered. */
lrs_status lrs_store_put(lrs_store_writer *writer, uint64_t index, const lrs_result *result,
                         int rank);
/* Flushes when flush_seconds have passed since the last flush; `now` is any
 * monotonic clock in seconds (lrs_now()). */
lrs_status lrs_store_maybe_flush(lrs_store_writer *writer, double now);
/* Writes every buffered point: trajectories, flush, rows, flush.  When it
 * returns LRS_OK those points survive any later crash. */
lrs_status lrs_store_flush(lrs_store_writer *writer);
/* Indices made durable by the latest flush that wrote any. */
const uint64_t *lrs_store_flushed(const lrs_store_writer *writer, size_t *count);
/* ---- reader --------------------------------------------------------------- */

typedef struct lrs_store lrs_store;
typedef struct lrs_store_points lrs_store_points;

/*
 * Opens a store read-only (SWMR read: works while a writer runs and after a
 * writer was killed).  Errors are one line naming the file: missing file
 * (LRS_ERR_IO), not HDF5, not an lrsweep store, newer schema, truncated or
 * damaged (LRS_ERR_STORE).  HDF5's own error printing is switched off.
 */
lrs_status lrs_store_open(const char *path, lrs_store **store);
void lrs_store_close(lrs_store **store);

const char *lrs_store_path(const lrs_store *store);
int lrs_store_schema_version(const lrs_store *store);
/* A root attribute as text ("" if absent): "lrsweep_version", "created_utc"... */
const char *lrs_store_attribute(const lrs_store *store, const char *name);
size_t lrs_store_sweep_count(const lrs_store *store);
const char *lrs_store_sweep_name(const lrs_store *store, size_t sweep);
/* The sweep named `name`; with name NULL the only sweep (LRS_ERR_USAGE when
 * there are several, listing them; LRS_ERR_NOT_FOUND when absent). */
lrs_status lrs_store_find_sweep(const lrs_store *store, const char *name, size_t *sweep);
/* The stored sweep file text (NUL-terminated) and its SHA-256 (hex). */
const char *lrs_store_sweep_text(const lrs_store *store, size_t sweep, size_t *len);
const char *lrs_store_sweep_sha256(const lrs_store *store, size_t sweep);
/* The BLAS (lrs_linalg_blas) of the runs that solved the store's points:
 * /runs' blas column, its distinct non-empty values joined by "; ", into
 * out (len bytes, truncated).  "" when no run recorded one: a store written
 * before the column (readable as ever), or runs that solved nothing. */
lrs_status lrs_store_blas(const lrs_store *store, char *out, size_t len);
/* The stored sweep text loaded back as a config (for `rerun`). */
lrs_status lrs_store_load_config(const lrs_store *store, size_t sweep, lrs_config **cfg);

/* Reads the whole points table of a sweep (one HDF5 read). */
lrs_status lrs_store_read_points(lrs_store *store, size_t sweep, lrs_store_points **points);
void lrs_store_points_destroy(lrs_store_points **points);
size_t lrs_store_points_count(const lrs_store_points *points);
/* Rows whose row_check failed (torn by a crash, not yet repaired by a writer
 * open): they read as pending. */
size_t lrs_store_points_torn(const lrs_store_points *points);
const lrs_store_row *lrs_store_points_row(const lrs_store_points *points, size_t i);
const char *lrs_store_points_key(const lrs_store_points *points, size_t i);
/* The columns of the points table in file order (the key is a TEXT column
 * whose offset reaches past the struct into the row buffer). */
const lrs_field *lrs_store_points_columns(const lrs_store_points *points,
                                                 size_t *count);
const lrs_field *lrs_store_points_column(const lrs_store_points *points,
                                                const char *name);

/* Reads the row and the trajectory of point `index` into *row (may be NULL)
 * and *result (records replaced).  LRS_ERR_RANGE for an index outside. */
lrs_status lrs_store_read_result(lrs_store *store, size_t sweep, uint64_t index,
                                 lrs_store_row *row, lrs_result *result);

/* The two tables of a sweep: its points (one row per point) and its
 * trajectories (the records). */
typedef enum { LRS_STORE_POINTS, LRS_STORE_RECORDS } lrs_store_table;

/* *stored ← whether the sweep's `table` has the column `name`: false for a
 * column added after the file was written, which the readers give unset
 * (NaN, -1; docs/store.md), so that a comparison can leave it out.
 * Statuses: LRS_ERR_STORE (the sweep's datasets cannot be opened). */
lrs_status lrs_store_column_stored(lrs_store *store, size_t sweep, lrs_store_table table,
                                   const char *name, bool *stored);

/* ---- merging ------------------------------------------------------------- */

typedef struct lrs_merge_report {
  uint64_t merged;     /* points copied into the output */
  uint64_t duplicates; /* points present in several inputs with the same result */
  uint64_t conflicts;  /* points present with different results (first kept) */
  uint64_t missing;    /* grid points no input (nor the output) holds */
  char first_conflict[256];
  /* Record columns an input's trajectories lack (written before they existed),
   * "a, b" (empty: none): NaN in the output for that input's points. */
  char unstored[256];
} lrs_merge_report;

/*
 * Merges stores of ONE sweep file (e.g. the shards of a job array) into
 * `out_path` (created, or extended when it holds the same sweep): every
 * computed point of every sweep of the first input, deduplicated by point
 * (the first input holding a point wins; differing duplicates are counted
 * as conflicts).  Inputs whose sweep text differs (SHA-256) are refused
 * with LRS_ERR_STORE.  Not collective.
 */
lrs_status lrs_store_merge(const char *out_path, const char *const *inputs, size_t n_inputs,
                           lrs_merge_report *report);

/* ---- point dumps ------------------------------------------------------------
 * A small HDF5 file holding one point's problem data and initial weights
 * (`run --dump`, `rerun --dump`): root attributes `key`, `sweep_text`,
 * `layout`; one float64 dataset per matrix with shape (rows, cols), row-major
 * as NumPy reads it, and an attribute `doc`.  Not collective. */
typedef struct lrs_dump lrs_dump;
lrs_status lrs_dump_create(const char *path, const char *key, const char *sweep_text,
                           lrs_dump **dump);
/* Writes a rows×cols matrix given in column-major order. */
lrs_status lrs_dump_matrix(lrs_dump *dump, const char *name, size_t rows, size_t cols,
                           const double *colmajor, const char *doc);
/* Closes the file (NULL-safe; NULLs *dump). */
lrs_status lrs_dump_close(lrs_dump **dump);

#endif

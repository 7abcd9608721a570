/* Private to the store room: schema, HDF5 helpers, lock file, sweep diff. */
#ifndef LRSWEEP_STORE_PRIVATE_H
#define LRSWEEP_STORE_PRIVATE_H

#include <hdf5.h>

#include "lrsweep/store.h"

/* Names inside the file. */
#define LRS__STORE_SWEEPS "sweeps"
#define LRS__STORE_RUNS "runs"
#define LRS__STORE_POINTS "points"
#define LRS__STORE_TRAJ "trajectories"
#define LRS__STORE_AXES "axes"
#define LRS__STORE_HISTORY "history" /* one subgroup per sweep text a run used */
#define LRS__STORE_ROWS "rows" /* 1 uint64: rows of points that count (below) */
#define LRS__STORE_FORMAT "lrsweep store"

/* Rows of trajectories in memory: the owner's key hash, then the record. */
typedef struct lrs__traj_row {
  uint64_t key_hash;
  lrs_record rec;
} lrs__traj_row;

/* The points table's columns and HDF5 types for one key width. */
typedef struct lrs__store_schema {
  lrs_field *cols;
  size_t n_cols;
  size_t key_width; /* bytes of the key column, NUL included */
  size_t stride;    /* bytes per row in memory: lrs_store_row + key, aligned */
  hid_t mem_type;   /* native compound of the row buffer */
  size_t first_result; /* cols[first_result ..] are written per point (status
                          .. row_check); the columns before it only when the
                          table is built */
  hid_t result_type;   /* native compound of those columns alone */
  hid_t file_type;  /* packed little-endian compound of the file */
  hid_t rec_mem, rec_file; /* trajectories */
  /* Reader: per column, 1 when the file's points table predates it (NULL when
   * none): such columns read as unset and stay out of the row check. */
  unsigned char *absent;
} lrs__store_schema;

/* Builds the schema; `where` names the file for error messages. */
lrs_status lrs__store_schema_create(size_t key_width, const char *where,
                                    lrs__store_schema **schema);
void lrs__store_schema_destroy(lrs__store_schema **schema);
/* Marks the columns named by the axes of `cfg` as axes. */
void lrs__store_schema_mark_axes(lrs__store_schema *schema, const lrs_config *cfg);
/* A compound memory type holding only the named columns of the row buffer
 * (for partial reads), or H5I_INVALID_HID. */
hid_t lrs__store_schema_subset(const lrs__store_schema *schema, const char *const *names,
                               size_t n);
/* An HDF5 enum type over `names` with the given integer base type. */
hid_t lrs__store_enum_type(hid_t base, const char *const *names);
/* The row_check of a row buffer: FNV-1a 64 over the result columns (status
 * .. traj_count), each as its little-endian bytes (I32 4, enums and bools 1,
 * text up to and with its NUL, others 8). */
uint64_t lrs__store_row_check(const lrs__store_schema *schema, const void *row);
/* Whether row buffer `row` is the complete row number `index`: refinement
 * rows appended by a writer killed mid-write fail this (their key does not
 * hash to their key_hash) and end the table. */
bool lrs__store_row_written(const lrs__store_schema *schema, const void *row, uint64_t index);
/* The committed row count of a sweep (/sweeps/NAME/rows): rows of points at
 * or past it belong to a refinement round whose append did not complete,
 * and do not count.  `ds` is the open rows dataset. */
lrs_status lrs__store_rows_read(hid_t ds, uint64_t *rows, const char *where);
/* The columns of this lrsweep's schema that the points table of sweep
 * `sweep` of an open store lacks (a table written before a column existed:
 * a parameter reads as 0, the first enum value; a result reads unset), as
 * "name1, name2" in buf[cap] ("" when none), and their number in *count. */
lrs_status lrs__store_points_absent(const lrs_store *s, size_t sweep, char *buf, size_t cap,
                                    size_t *count);
lrs_status lrs__store_rows_write(hid_t ds, uint64_t rows, const char *where);
/* Fills a row with "pending": unset summary, attempts 0, rank -1, no records. */
void lrs__store_row_pending(lrs_store_row *row);

/* HDF5 failure: raises LRS_ERR_HDF5 with "WHERE: what (HDF5: reason)". */
lrs_status lrs__store_h5_fail(const char *where, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* Jumps to `label` with st = LRS_ERR_HDF5 when `call` is negative. */
#define LRS__H5(st, call, label, where, ...)                                   \
  do {                                                                         \
    if ((call) < 0) {                                                          \
      (st) = lrs__store_h5_fail((where), __VA_ARGS__);                         \
      goto label;                                                              \
    }                                                                          \
  } while (0)
/* Sets the writer's file driver on `fapl` (guard.c): sec2 behind a guard
 * that hides a failed write from HDF5 and detaches the file from the disk
 * from then on.  Ignores SIGXFSZ (a file size limit fails the write). */
herr_t lrs__store_guard_set(hid_t fapl);
/* errno of the first failed write to the file of `obj` (0: none, or not
 * opened with the guard). */
int lrs__store_guard_failed(hid_t obj);
/* The innermost description on HDF5's error stack ("" if none); clears it. */
void lrs__store_h5_reason(char *buf, size_t cap);
/* Closes an identifier of any kind if valid and sets it invalid. */
void lrs__store_h5_close(hid_t *id);
/* Switches off HDF5's automatic error printing (once). */
void lrs__store_h5_quiet(void);

/* Attributes: scalar string / int64 / written in `obj`. */
lrs_status lrs__store_attr_put_text(hid_t obj, const char *name, const char *text, size_t len,
                                    const char *where);
lrs_status lrs__store_attr_put_int(hid_t obj, const char *name, int64_t value,
                                   const char *where);
/* Reads a string attribute (any string type) into a malloc'd NUL-terminated
 * buffer; LRS_ERR_NOT_FOUND when absent. */
lrs_status lrs__store_attr_get_text(hid_t obj, const char *name, char **text, size_t *len,
                                    const char *where);
lrs_status lrs__store_attr_get_int(hid_t obj, const char *name, int64_t *value,
                                   const char *where);

/* A transfer property list whose type-conversion and background buffers
 * (LRS__STORE_XFER_BYTES each) are allocated once and reused: HDF5 would
 * otherwise allocate and fault in fresh buffers on every compound read or
 * write.  Free with lrs__store_xfer_destroy. */
enum { LRS__STORE_XFER_BYTES = 4 << 20 };
typedef struct lrs__store_xfer {
  hid_t dxpl;
  void *tconv, *bkg;
} lrs__store_xfer;
lrs_status lrs__store_xfer_create(lrs__store_xfer *x, const char *where);
void lrs__store_xfer_destroy(lrs__store_xfer *x);

/* A file access property list for stores (latest format, optionally with
 * the superblock's status flags cleared on open). */
hid_t lrs__store_fapl(bool clear_status_flags);

/* The writer's lock file "PATH.lock" (flock, pid inside). */
lrs_status lrs__store_lock(const char *path, int *fd);
void lrs__store_unlock(const char *path, int *fd);

/* Compares the grid of a stored sweep with a new one.  *same when every
 * parameter and axis is identical; otherwise desc[] says what differs and
 * *extensible tells whether the new grid only adds axis values. */
lrs_status lrs__store_grid_diff(const lrs_config *old_cfg, const lrs_config *new_cfg,
                                bool *same, bool *extensible, char *desc, size_t cap);

/* UTC now as "YYYY-MM-DDTHH:MM:SSZ". */
void lrs__store_utc_now(char *buf, size_t cap);

#endif

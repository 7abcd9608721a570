/* The `dist` linalg backend (lrsweep/linalg.h): 2-D block-cyclic matrices on
 * a BLACS grid over a duplicate of the group communicator; PBLAS for
 * products, local kernels plus one deterministic reduction for dot products
 * and norms.  Factorizations are in linalg_dist_factor.c. */
#include <cblas.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linalg_dist.h"
#include "scalapack.h"

/* Values per reduction round of lrs_linalg_sum / lrs_linalg_max. */
enum { RED_CHUNK = 64 };

/* ------------------------------------------------------------- helpers */

static size_t max_sz(size_t a, size_t b) { return a > b ? a : b; }

size_t lrs__dist_numroc(size_t n, int nb, int p, int np) {
  /* n ≤ INT_MAX: every global size and offset is checked at creation. */
  const int ni = (int)n, zero = 0;
  return (size_t)numroc_(&ni, &nb, &p, &zero, &np);
}

size_t lrs__dist_lmax_r(const lrs__dist *d, size_t n) {
  return lrs__dist_numroc(n, d->nb, 0, d->nprow);
}

size_t lrs__dist_lmax_c(const lrs__dist *d, size_t n) {
  return lrs__dist_numroc(n, d->nb, 0, d->npcol);
}

/* Global index of local index l on process p of np (block nb, source 0). */
static size_t l2g(size_t l, int nb, int p, int np) {
  const size_t b = (size_t)nb;
  return (l / b * (size_t)np + (size_t)p) * b + l % b;
}

void lrs__dist_block_of(const lrs_mat *A, int prow, int pcol, size_t *lr0, size_t *lrows,
                        size_t *lc0, size_t *lcols) {
  const lrs__dist *d = &A->la->dist;
  *lr0 = lrs__dist_numroc(A->r0, d->nb, prow, d->nprow);
  *lrows = lrs__dist_numroc(A->r0 + A->rows, d->nb, prow, d->nprow) - *lr0;
  *lc0 = lrs__dist_numroc(A->c0, d->nb, pcol, d->npcol);
  *lcols = lrs__dist_numroc(A->c0 + A->cols, d->nb, pcol, d->npcol) - *lc0;
}

/* X and Y (same shape) have the same distribution: their local blocks match
 * entry for entry. */
static bool aligned(const lrs_mat *X, const lrs_mat *Y) {
  const lrs__dist *d = &X->la->dist;
  const size_t pr = (size_t)d->nb * (size_t)d->nprow, pc = (size_t)d->nb * (size_t)d->npcol;
  return X->r0 % pr == Y->r0 % pr && X->c0 % pc == Y->c0 % pc;
}

/* 1-based ScaLAPACK (IA, JA) of a matrix in its root. */
static lrs_status ij(const lrs_mat *A, int *ia, int *ja) {
  LRS_TRY(lrs_to_int(A->r0 + 1, ia, "ScaLAPACK row offset"));
  return lrs_to_int(A->c0 + 1, ja, "ScaLAPACK column offset");
}

/* ------------------------------------------------------------- agreement */

/* The collective status over `comm` (see lrs_linalg_agree). */
static lrs_status agree_on(MPI_Comm comm, int rank, lrs_status st) {
  int in[2] = {(int)st, rank}, out[2] = {0, 0};
  const int rc = MPI_Allreduce(in, out, 1, MPI_2INT, MPI_MAXLOC, comm);
  if (st != LRS_OK)
    return st;
  LRS_TRY(lrs_mpi_check(rc, "MPI_Allreduce (status agreement)"));
  if (out[0] != (int)LRS_OK)
    return LRS_RAISE((lrs_status)out[0], "rank %d of the group failed (%s): stopping with it",
                     out[1], lrs_strerror((lrs_status)out[0]));
  return LRS_OK;
}

lrs_status lrs__dist_agree(const lrs_linalg *la, lrs_status st) {
  return agree_on(la->dist.comm, la->dist.rank, st);
}

lrs_status lrs__dist_info(const lrs_linalg *la, int info, const char *routine) {
  lrs_status st = LRS_OK;
  if (info != 0)
    st = LRS_RAISE(LRS_ERR_LINALG, "ScaLAPACK %s failed (info = %d)", routine, info);
  return lrs__dist_agree(la, st);
}

lrs_status lrs__dist_scratch(lrs_linalg *la, size_t len) {
  if (len <= la->scratch_len) /* the same decision on every rank */
    return LRS_OK;
  lrs_status st = LRS_OK;
  if (len > SIZE_MAX / sizeof(double)) {
    st = LRS_RAISE(LRS_ERR_NOMEM, "linalg scratch of %zu doubles is too large", len);
  } else {
    double *grown = realloc(la->scratch, len * sizeof *grown);
    if (grown)
      la->scratch = grown;
    else
      st = LRS_RAISE(LRS_ERR_NOMEM, "out of memory for %zu doubles of linalg scratch", len);
  }
  LRS_TRY(lrs__dist_agree(la, st));
  la->scratch_len = len; /* only once every rank has it */
  return LRS_OK;
}

/* ------------------------------------------------------------- reductions */

/* all[r·count + i] ← vals[i] of rank r (count ≤ RED_CHUNK). */
static lrs_status gather_values(const lrs_linalg *la, const double *vals, int count,
                                double *all) {
  return lrs_mpi_check(MPI_Allgather(vals, count, MPI_DOUBLE, all, count, MPI_DOUBLE,
                                 la->dist.comm),
                   "MPI_Allgather (reduction)");
}

static lrs_status dist_sum(const lrs_linalg *la, double *vals, size_t count) {
  const lrs__dist *d = &la->dist;
  for (size_t off = 0; off < count; off += RED_CHUNK) {
    const int c = (int)(count - off < RED_CHUNK ? count - off : RED_CHUNK);
    LRS_TRY(gather_values(la, vals + off, c, d->red));
    for (int i = 0; i < c; i++) { /* rank order: the same bits everywhere */
      double s = d->red[i];
      for (int r = 1; r < d->size; r++)
        s += d->red[(size_t)r * (size_t)c + (size_t)i];
      vals[off + (size_t)i] = s;
    }
  }
  return LRS_OK;
}

lrs_status lrs__dist_max(const lrs_linalg *la, double *vals, size_t count) {
  const lrs__dist *d = &la->dist;
  for (size_t off = 0; off < count; off += RED_CHUNK) {
    const int c = (int)(count - off < RED_CHUNK ? count - off : RED_CHUNK);
    LRS_TRY(gather_values(la, vals + off, c, d->red));
    for (int i = 0; i < c; i++) {
      double m = d->red[i];
      for (int r = 1; r < d->size; r++) {
        const double v = d->red[(size_t)r * (size_t)c + (size_t)i];
        m = (isnan(m) || isnan(v)) ? NAN : (v > m ? v : m);
      }
      vals[off + (size_t)i] = m;
    }
  }
  return LRS_OK;
}

lrs_status lrs__dist_bcast(const lrs_linalg *la, double *buf, size_t count) {
  int n = 0;
  LRS_TRY(lrs_to_int(count, &n, "broadcast count"));
  return lrs_mpi_check(MPI_Bcast(buf, n, MPI_DOUBLE, 0, la->dist.comm), "MPI_Bcast");
}

/* ------------------------------------------------------------- backend */

lrs_linalg_dist_opts lrs_linalg_dist_defaults(void) {
  lrs_linalg_dist_opts o = {.block = LRS_DIST_BLOCK_DEFAULT,
                            .gather_max = LRS_DIST_GATHER_DEFAULT};
  const char *names[2] = {"LRS_DIST_BLOCK", "LRS_DIST_GATHER_MAX"};
  size_t *fields[2] = {&o.block, &o.gather_max};
  for (int k = 0; k < 2; k++) {
    const char *v = getenv(names[k]);
    if (!v || !*v)
      continue;
    char *end = NULL;
    const unsigned long long x = strtoull(v, &end, 10);
    if (*end == '\0' && v[0] != '-' && x <= SIZE_MAX && !(k == 0 && x == 0))
      *fields[k] = (size_t)x;
  }
  return o;
}

/* nprow = the largest divisor of G not above √G (documented in linalg.h). */
static void grid_shape(int G, int *nprow, int *npcol) {
  int r = 1;
  for (int p = 1; (long long)p * p <= G; p++)
    if (G % p == 0)
      r = p;
  *nprow = r;
  *npcol = G / r;
}

static void dist_destroy(lrs_linalg *la) {
  lrs__dist *d = &la->dist;
  if (d->ctxt >= 0)
    Cblacs_gridexit(d->ctxt);
  if (d->handle >= 0)
    Cfree_blacs_system_handle(d->handle);
  if (d->comm != MPI_COMM_NULL)
    MPI_Comm_free(&d->comm);
  free(d->counts);
  free(d->displs);
  free(d->red);
  d->ctxt = d->handle = -1;
}

/* Every rank must have been given the same options. */
static lrs_status check_same_opts(const lrs__dist *d) {
  long long in[4] = {(long long)d->nb, -(long long)d->nb, (long long)d->gather_max,
                     -(long long)d->gather_max},
            out[4];
  LRS_TRY(lrs_mpi_check(MPI_Allreduce(in, out, 4, MPI_LONG_LONG, MPI_MAX, d->comm),
                    "MPI_Allreduce (options)"));
  if (out[0] != -out[1] || out[2] != -out[3])
    return LRS_RAISE(LRS_ERR_USAGE,
                     "the ranks of the group disagree on the block size or gather_max "
                     "(check LRS_DIST_BLOCK / LRS_DIST_GATHER_MAX in their environments)");
  return LRS_OK;
}

/* BLACS: a system handle for our communicator and one grid on it. */
static lrs_status make_grid(lrs__dist *d) {
  int me = 0, np = 0;
  Cblacs_pinfo(&me, &np); /* initializes BLACS if needed; MPI already is */
  d->handle = Csys2blacs_handle(d->comm);
  int ctxt = d->handle;
  Cblacs_gridinit(&ctxt, "Row", d->nprow, d->npcol);
  d->ctxt = ctxt;
  int pr = -1, pc = -1, r = -1, c = -1;
  Cblacs_gridinfo(d->ctxt, &pr, &pc, &r, &c);
  if (pr != d->nprow || pc != d->npcol || r != d->rank / d->npcol || c != d->rank % d->npcol)
    return LRS_RAISE(LRS_ERR_INTERNAL,
                     "BLACS placed rank %d at (%d, %d) of a %dx%d grid, expected (%d, %d) "
                     "of %dx%d",
                     d->rank, r, c, pr, pc, d->rank / d->npcol, d->rank % d->npcol, d->nprow,
                     d->npcol);
  d->myrow = r;
  d->mycol = c;
  return LRS_OK;
}

lrs_status lrs_linalg_create_dist(MPI_Comm comm, const lrs_linalg_dist_opts *opts,
                                  lrs_linalg **la) {
  *la = NULL;
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (!initialized)
    return LRS_RAISE(LRS_ERR_USAGE, "the distributed linalg backend needs MPI initialized");
  const lrs_linalg_dist_opts o = opts ? *opts : lrs_linalg_dist_defaults();
  if (o.block == 0 || o.block > (size_t)INT_MAX)
    return LRS_RAISE(LRS_ERR_RANGE, "block size %zu must be in [1, INT_MAX]", o.block);

  MPI_Comm dup = MPI_COMM_NULL;
  LRS_TRY(lrs_mpi_check(MPI_Comm_dup(comm, &dup), "MPI_Comm_dup"));
  lrs_status st = lrs_mpi_check(MPI_Comm_set_errhandler(dup, MPI_ERRORS_RETURN),
                            "MPI_Comm_set_errhandler");
  int rank = 0, size = 1;
  if (st == LRS_OK)
    st = lrs_mpi_check(MPI_Comm_rank(dup, &rank), "MPI_Comm_rank");
  if (st == LRS_OK)
    st = lrs_mpi_check(MPI_Comm_size(dup, &size), "MPI_Comm_size");
  lrs_linalg *l = st == LRS_OK ? calloc(1, sizeof *l) : NULL;
  if (st == LRS_OK && !l)
    st = LRS_RAISE(LRS_ERR_NOMEM, "out of memory for a linalg backend");
  if (l) {
    lrs__dist *d = &l->dist;
    l->kind = LRS__LINALG_DIST;
    l->ops = &lrs__linalg_dist_ops;
    d->comm = dup;
    dup = MPI_COMM_NULL; /* owned by l from here */
    d->rank = rank;
    d->size = size;
    d->nb = (int)o.block;
    d->gather_max = o.gather_max;
    d->ctxt = d->handle = -1;
    grid_shape(size, &d->nprow, &d->npcol);
    d->counts = malloc((size_t)size * sizeof *d->counts);
    d->displs = malloc((size_t)size * sizeof *d->displs);
    d->red = malloc((size_t)size * RED_CHUNK * sizeof *d->red);
    if (!d->counts || !d->displs || !d->red)
      st = LRS_RAISE(LRS_ERR_NOMEM, "out of memory for the buffers of a %d-rank backend", size);
  }
  /* Everyone got this far with a communicator (or the dup failed for all). */
  const MPI_Comm c = l ? l->dist.comm : dup;
  if (c != MPI_COMM_NULL) {
    st = agree_on(c, rank, st);
    if (st == LRS_OK)
      st = check_same_opts(&l->dist);
    if (st == LRS_OK)
      st = agree_on(c, rank, make_grid(&l->dist));
  }
  if (st != LRS_OK) {
    if (l)
      lrs_linalg_destroy(&l);
    if (dup != MPI_COMM_NULL)
      MPI_Comm_free(&dup);
    return st;
  }
  *la = l;
  return LRS_OK;
}

/* ------------------------------------------------------------- cache */

/* Backends cached on communicators (lrs_linalg_dist_cached): a list, so that
 * MPI_Finalize can release those of communicators never freed. */
typedef struct cache_entry {
  MPI_Comm comm; /* the caller's communicator carrying the attribute */
  lrs_linalg *la;
  struct cache_entry *next;
} cache_entry;

static cache_entry *cache_head = NULL;
static size_t cache_count = 0;
static int cache_key = MPI_KEYVAL_INVALID; /* on a group communicator: its entry */

/* The communicator is being freed: drop the cache's reference (frees the
 * backend, collective over the duplicate, unless a solve still holds it). */
static int cache_delete(MPI_Comm comm, int key, void *value, void *extra) {
  (void)comm, (void)key, (void)extra;
  cache_entry *e = value;
  for (cache_entry **p = &cache_head; *p; p = &(*p)->next)
    if (*p == e) {
      *p = e->next;
      break;
    }
  lrs_linalg_destroy(&e->la);
  free(e);
  cache_count--;
  return MPI_SUCCESS;
}

/* MPI_Finalize deletes MPI_COMM_SELF's attributes first: release every
 * backend still cached (communicators never freed), then the keys. */
static int cache_finalize(MPI_Comm comm, int key, void *value, void *extra) {
  (void)comm, (void)key, (void)value, (void)extra;
  int rc = MPI_SUCCESS;
  while (cache_head && rc == MPI_SUCCESS)
    rc = MPI_Comm_delete_attr(cache_head->comm, cache_key); /* runs cache_delete */
  if (rc == MPI_SUCCESS)
    rc = MPI_Comm_free_keyval(&cache_key);
  return rc;
}

static lrs_status cache_keys(void) {
  if (cache_key != MPI_KEYVAL_INVALID)
    return LRS_OK;
  int key = MPI_KEYVAL_INVALID, fkey = MPI_KEYVAL_INVALID;
  LRS_TRY(lrs_mpi_check(MPI_Comm_create_keyval(MPI_COMM_NULL_COPY_FN, cache_delete, &key, NULL),
                    "MPI_Comm_create_keyval"));
  lrs_status st = lrs_mpi_check(
      MPI_Comm_create_keyval(MPI_COMM_NULL_COPY_FN, cache_finalize, &fkey, NULL),
      "MPI_Comm_create_keyval");
  if (st == LRS_OK)
    st = lrs_mpi_check(MPI_Comm_set_attr(MPI_COMM_SELF, fkey, NULL), "MPI_Comm_set_attr (SELF)");
  if (st != LRS_OK) {
    MPI_Comm_free_keyval(&key);
    if (fkey != MPI_KEYVAL_INVALID)
      MPI_Comm_free_keyval(&fkey);
    return st;
  }
  MPI_Comm_free_keyval(&fkey); /* MPI_COMM_SELF's attribute keeps it until MPI_Finalize */
  cache_key = key;
  return LRS_OK;
}

lrs_status lrs_linalg_dist_cached(MPI_Comm comm, lrs_linalg **la) {
  *la = NULL;
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (!initialized)
    return LRS_RAISE(LRS_ERR_USAGE, "the distributed linalg backend needs MPI initialized");
  lrs_status st = cache_keys(); /* local: the same outcome on every rank in practice */
  cache_entry *e = NULL;
  int found = 0;
  if (st == LRS_OK)
    st = lrs_mpi_check(MPI_Comm_get_attr(comm, cache_key, &e, &found), "MPI_Comm_get_attr");
  /* Every rank of comm has made the same calls on it: all find it, or none. */
  if (st == LRS_OK && found) {
    e->la->refs++;
    *la = e->la;
    return LRS_OK;
  }
  if (st != LRS_OK)
    return st;
  lrs_linalg *l = NULL;
  LRS_TRY(lrs_linalg_create_dist(comm, NULL, &l));
  e = malloc(sizeof *e);
  st = LRS_CHECK_ALLOC(e);
  if (st == LRS_OK) {
    *e = (cache_entry){.comm = comm, .la = l, .next = cache_head};
    cache_head = e;
    cache_count++;
    st = lrs_mpi_check(MPI_Comm_set_attr(comm, cache_key, e), "MPI_Comm_set_attr");
    if (st != LRS_OK) { /* not attached: undo by hand */
      cache_head = e->next;
      cache_count--;
      free(e);
      e = NULL;
    }
  }
  st = lrs__dist_agree(l, st);
  if (st != LRS_OK) { /* every rank drops it */
    if (e)
      MPI_Comm_delete_attr(comm, cache_key); /* cache_delete: unlinks, frees l and e */
    else
      lrs_linalg_destroy(&l);
    return st;
  }
  l->refs++; /* the caller's reference; the cache holds the first */
  *la = l;
  return LRS_OK;
}

size_t lrs_linalg_dist_cached_count(void) { return cache_count; }

/* ------------------------------------------------------------- matrices */

static lrs_status dist_mat_init(lrs_mat *M) {
  const lrs__dist *d = &M->la->dist;
  M->lrows = lrs__dist_numroc(M->rows, d->nb, d->myrow, d->nprow);
  M->lcols = lrs__dist_numroc(M->cols, d->nb, d->mycol, d->npcol);
  M->ld = max_sz(1, M->lrows);
  const size_t count = M->lrows * M->lcols;
  M->data = calloc(count ? count : 1, sizeof *M->data); /* never NULL for ScaLAPACK */
  if (!M->data)
    return LRS_RAISE(LRS_ERR_NOMEM, "out of memory for the %zux%zu block of a %zux%zu matrix",
                     M->lrows, M->lcols, M->rows, M->cols);
  M->base = M->data;
  int m = 0, n = 0, lld = 0, info = 0;
  const int zero = 0;
  LRS_TRY(lrs_to_int(M->rows, &m, "rows"));
  LRS_TRY(lrs_to_int(M->cols, &n, "cols"));
  LRS_TRY(lrs_to_int(M->ld, &lld, "local leading dimension"));
  descinit_(M->desc, &m, &n, &d->nb, &d->nb, &zero, &zero, &d->ctxt, &lld, &info);
  if (info != 0)
    return LRS_RAISE(LRS_ERR_LINALG, "ScaLAPACK descinit failed (info = %d)", info);
  return LRS_OK;
}

lrs_status lrs__dist_temp(lrs_linalg *la, size_t rows, size_t cols, double *buf, lrs_mat *T) {
  memset(T, 0, sizeof *T);
  T->la = la;
  T->rows = rows;
  T->cols = cols;
  T->owner = false;
  const lrs__dist *d = &la->dist;
  T->lrows = lrs__dist_numroc(rows, d->nb, d->myrow, d->nprow);
  T->lcols = lrs__dist_numroc(cols, d->nb, d->mycol, d->npcol);
  T->ld = max_sz(1, T->lrows);
  T->data = T->base = buf;
  int m = 0, n = 0, lld = 0, info = 0;
  const int zero = 0;
  LRS_TRY(lrs_to_int(rows, &m, "rows"));
  LRS_TRY(lrs_to_int(cols, &n, "cols"));
  LRS_TRY(lrs_to_int(T->ld, &lld, "local leading dimension"));
  descinit_(T->desc, &m, &n, &d->nb, &d->nb, &zero, &zero, &d->ctxt, &lld, &info);
  if (info != 0)
    return LRS_RAISE(LRS_ERR_LINALG, "ScaLAPACK descinit failed (info = %d)", info);
  return LRS_OK;
}

void lrs__dist_view_init(const lrs_mat *parent, size_t r0, size_t c0, lrs_mat *V) {
  const lrs__dist *d = &parent->la->dist;
  V->r0 = parent->r0 + r0;
  V->c0 = parent->c0 + c0;
  V->lr0 = lrs__dist_numroc(V->r0, d->nb, d->myrow, d->nprow);
  V->lc0 = lrs__dist_numroc(V->c0, d->nb, d->mycol, d->npcol);
  V->lrows = lrs__dist_numroc(V->r0 + V->rows, d->nb, d->myrow, d->nprow) - V->lr0;
  V->lcols = lrs__dist_numroc(V->c0 + V->cols, d->nb, d->mycol, d->npcol) - V->lc0;
  V->ld = parent->ld;
  V->base = parent->base;
  memcpy(V->desc, parent->desc, sizeof V->desc);
  V->data = V->base + V->lr0 + V->lc0 * V->ld;
}

static void dist_local_to_global(const lrs_mat *A, size_t i, size_t j, size_t *gi, size_t *gj) {
  const lrs__dist *d = &A->la->dist;
  *gi = l2g(A->lr0 + i, d->nb, d->myrow, d->nprow) - A->r0;
  *gj = l2g(A->lc0 + j, d->nb, d->mycol, d->npcol) - A->c0;
}

static lrs_status dist_set_global(lrs_mat *A, const double *full) {
  for (size_t j = 0; j < A->lcols; j++) {
    size_t gi, gj;
    for (size_t i = 0; i < A->lrows; i++) {
      dist_local_to_global(A, i, j, &gi, &gj);
      A->data[i + j * A->ld] = full[gi + gj * A->rows];
    }
  }
  return LRS_OK;
}

size_t lrs__dist_lbound(size_t n, int nb, int np) {
  const size_t b = (size_t)nb, blocks = (n + b - 1) / b + 1;
  const size_t mine = (blocks + (size_t)np - 1) / (size_t)np * b;
  return mine < n ? mine : n;
}

size_t lrs__dist_gather_work(const lrs_mat *A) {
  const lrs__dist *d = &A->la->dist;
  return lrs__dist_lbound(A->rows, d->nb, d->nprow) * lrs__dist_lbound(A->cols, d->nb, d->npcol) +
         A->rows * A->cols;
}

lrs_status lrs__dist_gather(const lrs_mat *A, double *full, double *work, bool root_only) {
  lrs__dist *d = &A->la->dist;
  int total = 0;
  LRS_TRY(lrs_to_int(A->rows * A->cols, &total, "gathered matrix entries"));
  double *packed = work;
  double *recv = work + lrs__dist_lbound(A->rows, d->nb, d->nprow) * lrs__dist_lbound(A->cols, d->nb, d->npcol);
  for (size_t j = 0; j < A->lcols; j++)
    memcpy(packed + j * A->lrows, A->data + j * A->ld, A->lrows * sizeof *packed);
  int disp = 0;
  for (int p = 0; p < d->size; p++) {
    size_t lr0, lrows, lc0, lcols;
    lrs__dist_block_of(A, p / d->npcol, p % d->npcol, &lr0, &lrows, &lc0, &lcols);
    d->counts[p] = (int)(lrows * lcols); /* ≤ total */
    d->displs[p] = disp;
    disp += d->counts[p];
  }
  const int mine = d->counts[d->rank];
  if (root_only)
    LRS_TRY(lrs_mpi_check(MPI_Gatherv(packed, mine, MPI_DOUBLE, recv, d->counts, d->displs,
                                  MPI_DOUBLE, 0, d->comm),
                      "MPI_Gatherv"));
  else
    LRS_TRY(lrs_mpi_check(MPI_Allgatherv(packed, mine, MPI_DOUBLE, recv, d->counts, d->displs,
                                     MPI_DOUBLE, d->comm),
                      "MPI_Allgatherv"));
  if (root_only && d->rank != 0)
    return LRS_OK;
  for (int p = 0; p < d->size; p++) { /* unpack process p's block */
    const int prow = p / d->npcol, pcol = p % d->npcol;
    size_t lr0, lrows, lc0, lcols;
    lrs__dist_block_of(A, prow, pcol, &lr0, &lrows, &lc0, &lcols);
    const double *src = recv + d->displs[p];
    for (size_t j = 0; j < lcols; j++) {
      const size_t gj = l2g(lc0 + j, d->nb, pcol, d->npcol) - A->c0;
      for (size_t i = 0; i < lrows; i++)
        full[l2g(lr0 + i, d->nb, prow, d->nprow) - A->r0 + gj * A->rows] = src[i + j * lrows];
    }
  }
  return LRS_OK;
}

static lrs_status dist_get_global(const lrs_mat *A, double *full) {
  LRS_TRY(lrs__dist_scratch(A->la, lrs__dist_gather_work(A)));
  return lrs__dist_gather(A, full, A->la->scratch, false);
}

/* ------------------------------------------------------------- algebra */

static lrs_status dist_gemm(lrs_trans ta, lrs_trans tb, double alpha, const lrs_mat *A,
                            const lrs_mat *B, double beta, lrs_mat *C) {
  int M = 0, N = 0, K = 0, ia, ja, ib, jb, ic, jc;
  LRS_TRY(lrs_to_int(C->rows, &M, "gemm M"));
  LRS_TRY(lrs_to_int(C->cols, &N, "gemm N"));
  LRS_TRY(lrs_to_int(ta ? A->rows : A->cols, &K, "gemm K"));
  LRS_TRY(ij(A, &ia, &ja));
  LRS_TRY(ij(B, &ib, &jb));
  LRS_TRY(ij(C, &ic, &jc));
  pdgemm_(ta ? "T" : "N", tb ? "T" : "N", &M, &N, &K, &alpha, A->base, &ia, &ja, A->desc,
          B->base, &ib, &jb, B->desc, &beta, C->base, &ic, &jc, C->desc);
  return LRS_OK;
}

/* Y ← α·X + β·Y by pdgeadd (any alignment; β = 0 does not read Y). */
static lrs_status geadd(double alpha, const lrs_mat *X, double beta, lrs_mat *Y) {
  int m = 0, n = 0, ix, jx, iy, jy;
  LRS_TRY(lrs_to_int(X->rows, &m, "geadd M"));
  LRS_TRY(lrs_to_int(X->cols, &n, "geadd N"));
  LRS_TRY(ij(X, &ix, &jx));
  LRS_TRY(ij(Y, &iy, &jy));
  pdgeadd_("N", &m, &n, &alpha, X->base, &ix, &jx, X->desc, &beta, Y->base, &iy, &jy, Y->desc);
  return LRS_OK;
}

static lrs_status dist_axpy(double alpha, const lrs_mat *X, lrs_mat *Y) {
  if (!aligned(X, Y))
    return geadd(alpha, X, 1.0, Y);
  int r = 0;
  LRS_TRY(lrs_to_int(X->lrows, &r, "axpy rows"));
  for (size_t j = 0; j < X->lcols; j++)
    cblas_daxpy(r, alpha, X->data + j * X->ld, 1, Y->data + j * Y->ld, 1);
  return LRS_OK;
}

lrs_status lrs__dist_copy(const lrs_mat *src, lrs_mat *dst) {
  if (!aligned(src, dst))
    return geadd(1.0, src, 0.0, dst);
  for (size_t j = 0; j < src->lcols; j++)
    memmove(dst->data + j * dst->ld, src->data + j * src->ld, src->lrows * sizeof(double));
  return LRS_OK;
}

static lrs_status dist_transpose(const lrs_mat *A, lrs_mat *T) {
  int m = 0, n = 0, ia, ja, it, jt;
  LRS_TRY(lrs_to_int(T->rows, &m, "transpose M"));
  LRS_TRY(lrs_to_int(T->cols, &n, "transpose N"));
  LRS_TRY(ij(A, &ia, &ja));
  LRS_TRY(ij(T, &it, &jt));
  const double one = 1.0, zero = 0.0;
  pdtran_(&m, &n, &one, A->base, &ia, &ja, A->desc, &zero, T->base, &it, &jt, T->desc);
  return LRS_OK;
}

/* A temporary distributed like A (same offsets modulo the grid period) over
 * the scratch: a root T of the period-reduced size and its view V. */
static size_t like_need(const lrs_mat *A) {
  const lrs__dist *d = &A->la->dist;
  const size_t pr = (size_t)d->nb * (size_t)d->nprow, pc = (size_t)d->nb * (size_t)d->npcol;
  return lrs__dist_lmax_r(d, A->r0 % pr + A->rows) * lrs__dist_lmax_c(d, A->c0 % pc + A->cols);
}

static lrs_status temp_like(const lrs_mat *A, double *buf, lrs_mat *T, lrs_mat *V) {
  const lrs__dist *d = &A->la->dist;
  const size_t pr = (size_t)d->nb * (size_t)d->nprow, pc = (size_t)d->nb * (size_t)d->npcol;
  const size_t r0 = A->r0 % pr, c0 = A->c0 % pc;
  LRS_TRY(lrs__dist_temp(A->la, r0 + A->rows, c0 + A->cols, buf, T));
  *V = *T;
  V->rows = A->rows;
  V->cols = A->cols;
  lrs__dist_view_init(T, r0, c0, V);
  return LRS_OK;
}

static double local_dot(const lrs_mat *A, const lrs_mat *B) {
  double s = 0.0;
  const int r = (int)A->lrows; /* a local block never exceeds INT_MAX rows */
  for (size_t j = 0; j < A->lcols; j++)
    s += cblas_ddot(r, A->data + j * A->ld, 1, B->data + j * B->ld, 1);
  return s;
}

static lrs_status dist_dot(const lrs_mat *A, const lrs_mat *B, double *out) {
  double s;
  if (aligned(A, B)) {
    s = local_dot(A, B);
  } else { /* B redistributed like A */
    LRS_TRY(lrs__dist_scratch(A->la, like_need(A)));
    lrs_mat T, V;
    LRS_TRY(temp_like(A, A->la->scratch, &T, &V));
    LRS_TRY(geadd(1.0, B, 0.0, &V));
    s = local_dot(A, &V);
  }
  LRS_TRY(dist_sum(A->la, &s, 1));
  *out = s;
  return LRS_OK;
}

static lrs_status dist_norm_fro(const lrs_mat *A, double *out) {
  const lrs__dist *d = &A->la->dist;
  const int r = (int)A->lrows;
  double s = 0.0; /* per column dnrm2, hypot across: no overflow */
  for (size_t j = 0; j < A->lcols; j++)
    s = hypot(s, cblas_dnrm2(r, A->data + j * A->ld, 1));
  LRS_TRY(gather_values(A->la, &s, 1, d->red));
  double t = d->red[0];
  for (int p = 1; p < d->size; p++) /* rank order: the same bits everywhere */
    t = hypot(t, d->red[p]);
  *out = t;
  return LRS_OK;
}

void lrs__dist_zero_triangle(lrs_mat *A, bool upper) {
  for (size_t j = 0; j < A->lcols; j++)
    for (size_t i = 0; i < A->lrows; i++) {
      size_t gi, gj;
      dist_local_to_global(A, i, j, &gi, &gj);
      if (upper ? gi < gj : gi > gj)
        A->data[i + j * A->ld] = 0.0;
    }
}

static lrs_status dist_gram(const lrs_mat *A, lrs_mat *C) {
  int n = 0, k = 0, ia, ja, ic, jc;
  LRS_TRY(lrs_to_int(A->rows, &n, "gram n"));
  LRS_TRY(lrs_to_int(A->cols, &k, "gram k"));
  LRS_TRY(ij(A, &ia, &ja));
  LRS_TRY(ij(C, &ic, &jc));
  LRS_TRY(lrs__dist_scratch(A->la, like_need(C)));
  const double one = 1.0, zero = 0.0;
  pdsyrk_("L", "N", &n, &k, &one, A->base, &ia, &ja, A->desc, &zero, C->base, &ic, &jc,
          C->desc);
  /* C = L + (L − diag(L))ᵀ, exactly: T ← C with its diagonal and upper part
   * zeroed, C's upper part zeroed, then C ← C + Tᵀ (pdtran). */
  lrs__dist_zero_triangle(C, true);
  lrs_mat T, V;
  LRS_TRY(temp_like(C, A->la->scratch, &T, &V));
  LRS_TRY(lrs__dist_copy(C, &V));
  for (size_t j = 0; j < V.lcols; j++)
    for (size_t i = 0; i < V.lrows; i++) {
      size_t gi, gj;
      dist_local_to_global(&V, i, j, &gi, &gj);
      if (gi == gj)
        V.data[i + j * V.ld] = 0.0;
    }
  int iv, jv;
  LRS_TRY(ij(&V, &iv, &jv));
  pdtran_(&n, &n, &one, V.base, &iv, &jv, V.desc, &one, C->base, &ic, &jc, C->desc);
  return LRS_OK;
}

/* Σ over the ranks of vals[0..count), in rank order from one Allgather into
 * `all` (size·count doubles): the same bits on every rank, whatever
 * algorithm MPI picks (an Allreduce may associate differently per rank, and
 * the two triangles of a Gram matrix live on different ranks). */
static lrs_status sum_bulk(const lrs_linalg *la, double *vals, size_t count, double *all) {
  const lrs__dist *d = &la->dist;
  int c = 0;
  LRS_TRY(lrs_to_int(count, &c, "reduction count"));
  LRS_TRY(lrs_mpi_check(MPI_Allgather(vals, c, MPI_DOUBLE, all, c, MPI_DOUBLE, d->comm),
                    "MPI_Allgather (Gram reduction)"));
  for (size_t i = 0; i < count; i++) {
    double s = all[i];
    for (int r = 1; r < d->size; r++)
      s += all[(size_t)r * count + i];
    vals[i] = s;
  }
  return LRS_OK;
}

/* lrs_mat_coupled_step on a grid of one process row: every rank holds all k
 * rows of its columns of B, so the step is the local backend's pass over
 * those columns (lrs__coupled_pass: each 256-column block updated and added
 * to the Gram while in L2) with G replicated on every rank (one Allgatherv
 * of n×m), then one reduction of the k×k Gram parts (packed upper
 * triangles).  On taller grids a column of B spans several ranks: there the
 * separate PBLAS calls (copy, gemm, gemm, gram) run instead. */
/* A view of rows [r0, r0 + rows) of B on the stack (no allocation inside an
 * iteration). */
static lrs_mat row_view(const lrs_mat *B, size_t r0, size_t rows) {
  lrs_mat V = *B;
  V.rows = rows;
  V.owner = false;
  lrs__dist_view_init(B, r0, 0, &V);
  return V;
}

static lrs_status dist_coupled_step(lrs_mat *B, const lrs_mat *G, double alpha, lrs_mat *T,
                                    lrs_mat *C) {
  lrs_linalg *la = B->la;
  const lrs__dist *d = &la->dist;
  const size_t n = G->rows, m = G->cols, k = n + m, pc = (size_t)d->nb * (size_t)d->npcol;
  if (d->nprow != 1 || B->c0 % pc != T->c0 % pc) { /* global facts: the same on every rank */
    lrs_mat B1 = row_view(B, 0, n), B2 = row_view(B, n, m);
    LRS_TRY(lrs__dist_copy(&B1, T));
    LRS_TRY(dist_gemm(LRS_NOTRANS, LRS_NOTRANS, alpha, G, &B2, 1.0, &B1));
    LRS_TRY(dist_gemm(LRS_TRANS, LRS_NOTRANS, alpha, G, T, 1.0, &B2));
    return dist_gram(B, C);
  }
  /* scratch: [G replicated | its gather work | Gram part k×k | packed | all ranks' packed] */
  const size_t packed = k * (k + 1) / 2, gwork = lrs__dist_gather_work(G);
  const size_t o_work = n * m, o_part = o_work + gwork, o_pack = o_part + k * k,
               o_all = o_pack + packed;
  LRS_TRY(lrs__dist_scratch(la, o_all + (size_t)d->size * packed));
  double *s = la->scratch;
  LRS_TRY(lrs__dist_gather(G, s, s + o_work, false));
  /* With one process row, B's (and T's) local block holds all their rows.
   * The pass fails only on sizes above INT_MAX, global ones here (ld = k, n,
   * k): the same verdict on every rank, no agreement needed. */
  LRS_TRY(lrs__coupled_pass(n, m, B->lcols, B->data, B->ld, s, n, alpha, T->data, T->ld,
                            s + o_part, k));
  double *p = s + o_pack;
  for (size_t j = 0; j < k; j++)
    for (size_t i = 0; i <= j; i++)
      *p++ = s[o_part + i + j * k];
  LRS_TRY(sum_bulk(la, s + o_pack, packed, s + o_all));
  for (size_t j = 0; j < C->lcols; j++)
    for (size_t i = 0; i < C->lrows; i++) {
      size_t gi, gj;
      dist_local_to_global(C, i, j, &gi, &gj);
      const size_t lo = gi < gj ? gi : gj, hi = gi < gj ? gj : gi;
      C->data[i + j * C->ld] = s[o_pack + hi * (hi + 1) / 2 + lo];
    }
  return LRS_OK;
}

const lrs__linalg_ops lrs__linalg_dist_ops = {
    .destroy = dist_destroy,
    .reserve = lrs__dist_reserve,
    .sum = dist_sum,
    .max = lrs__dist_max,
    .bcast = lrs__dist_bcast,
    .agree = lrs__dist_agree,
    .mat_init = dist_mat_init,
    .view_init = lrs__dist_view_init,
    .local_to_global = dist_local_to_global,
    .set_global = dist_set_global,
    .get_global = dist_get_global,
    .gemm = dist_gemm,
    .axpy = dist_axpy,
    .copy = lrs__dist_copy,
    .transpose = dist_transpose,
    .dot = dist_dot,
    .norm_fro = dist_norm_fro,
    .gram = dist_gram,
    .coupled_step = dist_coupled_step,
    .sym_eigvals = lrs__dist_sym_eigvals,
    .singular_values = lrs__dist_singular_values,
    .svd = lrs__dist_svd,
    .chol_solve = lrs__dist_chol_solve,
    .orthonormalize = lrs__dist_orthonormalize,
};

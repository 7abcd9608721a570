/*
 * lrsweep/problem.h — two_layer problem data and initial weights from a point
 * (papers.md §1.1, §1.7).  LoRA problems (papers.md §2) live in lrsweep/lora.h.
 *
 * ORIENTATION.  X ∈ R^{N×n} (rows are samples), Y ∈ R^{N×m}, W1 ∈ R^{n×h},
 * W2 ∈ R^{m×h}, product W = W1W2ᵀ ∈ R^{n×m}, prediction XW.  The weights are
 * stored stacked: B0 = [W1(0); W2(0)] ∈ R^{(n+m)×h} (lrsweep/two_layer.h).
 *
 * RANDOMNESS.  Three independent generators, one per stream of
 * lrs_point_stream_seed: gsl_rng_mt19937 seeded with the 64-bit stream seed
 * folded to 32 bits (s ^ (s >> 32)) & 0xffffffff (mt19937 uses 32 seed bits;
 * a folded 0 becomes 1).  Normals are gsl_ran_gaussian_ziggurat(r, 1.0),
 * uniforms gsl_rng_uniform.  Every matrix is filled column by column
 * (column-major order) with STANDARD draws that are then multiplied by their
 * scale, so points differing only in scales (σ², init_scale/init_exponent,
 * planted_std, sv range) see the same draws (common random numbers).
 *
 * DISTRIBUTED BACKENDS.  Every rank runs the generators above over the
 * whole matrices (the same draws in the same order as a local solve) and
 * keeps its own blocks (lrs_mat_set_global), so a point's data and initial
 * weights do not depend on the number of ranks or the block size.  The cost
 * is one full-size array per rank while a matrix is generated.
 *
 * SENSING.  For a `vectorized` loss (loss = sensing, lrsweep/loss.h) X is the
 * sensing operator 𝒜 ∈ R^{N×nm} whose row i is vec(A_i)ᵀ (column-major
 * vec: entry (i, j + n·k) is A_i[j, k]) and Y ∈ R^{N×1} holds the
 * measurements y_i = ⟨A_i, Θ⟩ + σ²ε_i; `data` is not used (N = samples).
 *
 * DRAW ORDER.
 *   DATA stream:  X first —
 *       sensing:    𝒜 (N×nm) normals × 1/√N, column by column (so for each
 *                   (j, k) in column-major order, A_1[j,k] … A_N[j,k]);
 *                   replaces the `data` kinds below
 *       orthogonal: G (N×n) normals; X = Q of G = QR, diag(R) ≥ 0 (Haar; N ≥ n)
 *       gaussian:   X (N×n) normals
 *       spectrum:   G_U (N×n) normals, G_V (n×n) normals, u (n) uniforms;
 *                   X = Q_U diag(s) Q_Vᵀ, s_i = sv_min + (sv_max − sv_min)u_i
 *       identity:   no draws; X = [I_n; 0]
 *     then the targets' own draws —
 *       teacher:    none (uses the init)
 *       planted:    Θ (n×m) normals × planted_std
 *       low_rank:   U (n×r), V (m×r) normals, Θ = planted_std·UVᵀ/√r,
 *                   r = target_rank
 *   INIT stream:  W1 (n×h) normals then W2 (m×h) normals, × s = lrs_point_init_std;
 *     `balanced` continues with G_h (h×k) normals, k = min(n, m), and sets
 *     P = W1W2ᵀ = U diag(σ) Vᵀ (thin SVD), Q = orthonormal factor of G_h,
 *     W1 = U diag(√σ) Qᵀ, W2 = V diag(√σ) Qᵀ, so W1ᵀW1 = W2ᵀW2 = Q diag(σ) Qᵀ
 *     and the product W1W2ᵀ = P is the same as the gaussian init's (needs
 *     h ≥ k).
 *   NOISE stream: ε (N×m) normals; Y = XΘ + σ²ε (teacher: Θ = W1(0)W2(0)ᵀ);
 *     sensing: ε (N×1) normals, y = 𝒜 vec(Θ) + σ²ε.
 */
#ifndef LRSWEEP_PROBLEM_H
#define LRSWEEP_PROBLEM_H

#include <gsl/gsl_rng.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lrsweep/linalg.h"
#include "lrsweep/point.h"
#include "lrsweep/status.h"

/*
 * THE SET-UP CACHE.  Points that differ only in parameters left out of the
 * stream seeds (step size and rule, solver settings, σ², the loss, …: see
 * lrs_point_stream_seed) draw the same numbers, so the products of those
 * draws — X (with the DATA stream's state after it), B0, and what the model
 * derives from B0 alone (the drift basis, Z0, the imbalance spectrum) and
 * from the whole problem and the loss (ℓ*, W* and its singular values) —
 * are kept across the points a process solves, keyed
 * EXACTLY by every value that determines them (the stream seed, the sizes,
 * the kinds, the scales' bits), and copied out on a hit.  A hit returns the
 * bytes the computation would produce, so a point's result does not depend
 * on which points the process solved before (tests/problem/test_setup_cache.c;
 * tests/cli: 1 vs 3 ranks, reversed order).  Only the local backend caches
 * (a group's blocks depend on its grid).  Bounded: at most
 * LRS_SETUP_CACHE_MAX_ENTRIES entries and LRS_SETUP_CACHE_MIB MiB (environment;
 * default LRS_SETUP_CACHE_DEFAULT_MIB, 0 turns the cache off), least recently
 * used out first; an entry larger than half the budget is not kept.
 * Small by default: lrs_sched_run queues the points that share draws next to
 * each other, so a point's neighbours are what hits, and a cache that grows
 * costs the points that never hit it (fresh heap pages, copies, other data
 * out of L2): with 64 MiB a sweep of 400 own-draw points at h = 500 ran ~30%
 * slower; the 200-point sweep of tests/bench under mpirun -np 3 ran ~10%
 * below no cache with 4 MiB or 2 MiB, ~3% below with 1 MiB, while a
 * step-size sweep at h = 500 gained 1.3x with 1 MiB (and 1.28x with 4 MiB).
 * Half of 1 MiB keeps B0 up to (n + m)·h = 64 Ki entries (h = 3200 at
 * n = m = 10).
 * Per process, not thread-safe (a rank solves one point at a time).  A key
 * lists every input of its product; the generators' kinds are listed where
 * the keys are made (src/problem/problem.c), and any other kind (a new data,
 * init or target kind) is not cached until its inputs are added there.
 * lora_head keeps its ℓ* and W* under its data file's SHA-256 with the loss
 * (src/model/lora_head.c): the Newton solve is most of such a point.
 */
#define LRS_HAVE_SETUP_CACHE 1 /* (benchmarks built against older trees test it) */
enum { LRS_SETUP_KEY_WORDS = 32, LRS_SETUP_CACHE_DEFAULT_MIB = 1,
       LRS_SETUP_CACHE_MAX_ENTRIES = 1024 };
typedef struct lrs_setup_key {
  uint64_t w[LRS_SETUP_KEY_WORDS];
  size_t n; /* words used; more than LRS_SETUP_KEY_WORDS: invalid, never cached */
} lrs_setup_key;

/* A key of kind `tag` (one letter per product), then its words. */
void lrs_setup_key_init(lrs_setup_key *key, char tag);
void lrs_setup_key_add(lrs_setup_key *key, uint64_t word); /* to an unset key: invalid */
void lrs_setup_key_add_double(lrs_setup_key *key, double value); /* its bits */
bool lrs_setup_key_valid(const lrs_setup_key *key); /* false: empty, overflowed or invalidated */
/* Marks a key that does not capture its product's inputs (a kind the key
 * does not know): never cached, and keys derived from it neither. */
void lrs_setup_key_invalidate(lrs_setup_key *key);

/* The cached bytes of `key` when they are `bytes` long, else NULL (a miss).
 * Valid until the next lrs_setup_cache_put or _clear. */
const void *lrs_setup_cache_get(const lrs_setup_key *key, size_t bytes);
/* Keeps a copy of data[0..bytes) under `key` (replacing an entry of the same
 * key).  Best effort: out of memory or over the budget, nothing is kept. */
void lrs_setup_cache_put(const lrs_setup_key *key, const void *data, size_t bytes);
/* Frees every entry (a worker's loop ends; tests). */
void lrs_setup_cache_clear(void);
/* Empties the cache and sets its budget in bytes (0: off), instead of the
 * environment's (tests, benchmarks). */
void lrs_setup_cache_set_budget(size_t bytes);
typedef struct lrs_setup_cache_stats {
  size_t entries, bytes, budget;
  uint64_t hits, misses;
} lrs_setup_cache_stats;
lrs_setup_cache_stats lrs_setup_cache_stats_get(void);

typedef struct lrs_problem {
  size_t N, n, m, h;
  lrs_mat *X;  /* N×n (sensing: the N×nm operator 𝒜, see SENSING) */
  lrs_mat *Y;  /* N×m, the targets (before any label transform of the loss);
                  sensing: N×1 measurements */
  lrs_mat *B0; /* (n+m)×h = [W1(0); W2(0)] */
  lrs_mat *W1_0, *W2_0; /* views into B0 */
  /* What determines B0 exactly (the set-up cache's key of products of B0
   * alone); n = 0 (invalid) when B0 was not generated from a point. */
  lrs_setup_key init_key;
  lrs_setup_key problem_key; /* the same for X, Y and B0 all */
} lrs_problem;

/*
 * The generator of one random stream of a point (every model draws through
 * it): GSL's mt19937 seeded with lrs_point_stream_seed folded to the 32 bits
 * mt19937 keeps (both halves count; 0 maps to 1).  Free with gsl_rng_free.
 * Statuses: LRS_ERR_NOMEM.
 */
lrs_status lrs_problem_rng(const lrs_point *point, lrs_stream stream, gsl_rng **rng);

/* a[0..count) ← scale·N(0, 1), drawn in order (GSL's ziggurat). */
void lrs_problem_normals(gsl_rng *rng, double *a, size_t count, double scale);

/*
 * Generates the two_layer problem of a point (see the header comment).
 * Checks the point against the catalog (lrs_kind_model_ok: two_layer's row)
 * and n, m, h ≥ 1.  Statuses: LRS_ERR_CONFIG (names the field),
 * LRS_ERR_NOMEM, LRS_ERR_LINALG, LRS_ERR_GSL.  Collective over la.
 */
lrs_status lrs_problem_create(const lrs_point *point, lrs_linalg *la,
                              lrs_problem **problem);

/* A problem of zeros of the given sizes, to be filled by the caller (tests):
 * use lrs_mat_set_global on X, Y, B0 (or its views).  Statuses: LRS_ERR_NOMEM,
 * LRS_ERR_RANGE. */
lrs_status lrs_problem_alloc(lrs_linalg *la, size_t N, size_t n, size_t m, size_t h,
                             lrs_problem **problem);

/* Frees the problem and sets *problem to NULL.  NULL-safe. */
void lrs_problem_destroy(lrs_problem **problem);

#endif

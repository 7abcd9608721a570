/* The set-up cache (lrsweep/problem.h): its mechanics (exact keys, sizes,
 * the memory bound), and that a point solved with the cache gives the very
 * bytes it gives without it, whatever points were solved before it. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lrs_test.h"
#include "lrsweep/problem.h"
#include "lrsweep/solve.h"
#include "numerics_point.h"

enum { NP = 13 };

/* Points that share draws in pairs and differ in what the keys must tell
 * apart: data and init kinds, coordinates, σ², scales, losses, step sizes. */
static void points(lrs_point *p) {
  const lrs_point base = lrs_test_point();
  for (int i = 0; i < NP; i++) {
    p[i] = base;
    p[i].width = 40;
    p[i].max_iter = 20;
    p[i].step_rule = LRS_STEP_LOCAL;
    p[i].tol = 0.0;
  }
  p[1].sigma2 = 1.0;           /* same draws as p[0], other Y */
  p[2].step_size = 0.02;       /* same problem as p[0], other solve */
  p[2].step_rule = LRS_STEP_FIXED;
  p[3].init_scale = 0.5;       /* other B0 from the same draws */
  p[4].coordinates = LRS_COORDS_FULL;
  p[5].init = LRS_INIT_BALANCED;
  p[6].data = LRS_DATA_SPECTRUM; /* other X from the same DATA stream */
  p[7].data = LRS_DATA_SPECTRUM;
  p[7].data_sv_max = 3.1;
  p[8].replicate = 1;          /* other draws */
  p[9].target = LRS_TARGET_PLANTED;
  p[10].loss = LRS_LOSS_HUBER; /* same problem as p[0], other ℓ* and W* */
  p[10].step_rule = LRS_STEP_FIXED;
  p[10].step_size = 0.02;
  p[11].loss = LRS_LOSS_LOGISTIC;
  p[12] = p[11];               /* same problem and loss as p[11]: its ℓ*, W* (Newton) */
  p[12].step_rule = LRS_STEP_FIXED;
  p[12].step_size = 0.02;
}

/* Everything of a result but its timing. */
static bool same_result(const lrs_result *a, const lrs_result *b) {
  lrs_summary sa = a->summary, sb = b->summary;
  sa.wall_seconds = sb.wall_seconds = 0.0;
  return memcmp(&sa, &sb, sizeof sa) == 0 && a->n_records == b->n_records &&
         memcmp(a->records, b->records, a->n_records * sizeof *a->records) == 0;
}

int main(void) {
  /* Mechanics. */
  lrs_setup_cache_set_budget((size_t)1 << 20);
  lrs_setup_key k1, k2;
  lrs_setup_key_init(&k1, 'T');
  lrs_setup_key_add(&k1, 7);
  lrs_setup_key_add_double(&k1, 2.385);
  k2 = k1;
  lrs_setup_key_add_double(&k2, -0.0);
  const double v[3] = {1.25, -3.5, 2.385};
  lrs_setup_cache_put(&k1, v, sizeof v);
  const double *got = lrs_setup_cache_get(&k1, sizeof v);
  LRS_CHECK(got && memcmp(got, v, sizeof v) == 0, "a kept entry comes back byte for byte");
  LRS_CHECK(!lrs_setup_cache_get(&k1, 2 * sizeof(double)), "another size is a miss");
  LRS_CHECK(!lrs_setup_cache_get(&k2, sizeof v), "a longer key is another key");
  lrs_setup_key k3 = k1;
  k3.w[2] ^= 1; /* 2.385's last bit */
  LRS_CHECK(!lrs_setup_cache_get(&k3, sizeof v), "a double's last bit is part of the key");
  lrs_setup_key unset = {0}; /* a problem's key off the local backend: never made */
  unset.w[0] = 'W';
  lrs_setup_key_add(&unset, 7);
  LRS_CHECK(!lrs_setup_key_valid(&unset), "a key derived from one never made stays invalid");
  lrs_setup_key big;
  lrs_setup_key_init(&big, 'O');
  for (int i = 0; i < LRS_SETUP_KEY_WORDS + 3; i++)
    lrs_setup_key_add(&big, (uint64_t)i);
  lrs_setup_cache_put(&big, v, sizeof v);
  LRS_CHECK(!lrs_setup_key_valid(&big) && !lrs_setup_cache_get(&big, sizeof v),
            "an overflowed key is never kept");
  /* The bound: 1 MiB holds 8 entries of 128 KiB (the earlier small ones go). */
  static double blob[16384];
  for (int i = 0; i < 20; i++) {
    lrs_setup_key k;
    lrs_setup_key_init(&k, 'M');
    lrs_setup_key_add(&k, (uint64_t)i);
    blob[0] = i;
    lrs_setup_cache_put(&k, blob, sizeof blob);
  }
  lrs_setup_cache_stats s = lrs_setup_cache_stats_get();
  LRS_CHECK(s.bytes <= s.budget && s.entries == 8, "bounded: %zu entries, %zu of %zu bytes",
            s.entries, s.bytes, s.budget);
  lrs_setup_key last;
  lrs_setup_key_init(&last, 'M');
  lrs_setup_key_add(&last, 19);
  got = lrs_setup_cache_get(&last, sizeof blob);
  LRS_CHECK(got && got[0] == 19.0, "the most recent entry stayed");
  lrs_setup_key first;
  lrs_setup_key_init(&first, 'M');
  lrs_setup_key_add(&first, 0);
  LRS_CHECK(!lrs_setup_cache_get(&first, sizeof blob), "the least recently used went first");
  /* An entry of half the budget is kept, a larger one is not. */
  static double half[(1 << 20) / 2 / sizeof(double) + 1];
  lrs_setup_key kh;
  lrs_setup_key_init(&kh, 'H');
  lrs_setup_cache_put(&kh, half, sizeof half - sizeof(double));
  LRS_CHECK(lrs_setup_cache_get(&kh, sizeof half - sizeof(double)) != NULL,
            "an entry of half the budget is kept");
  kh.w[0] = 'J';
  lrs_setup_cache_put(&kh, half, sizeof half);
  LRS_CHECK(!lrs_setup_cache_get(&kh, sizeof half), "an entry over half the budget is not");

  /* Results: without the cache, then with it in two orders and twice. */
  lrs_point p[NP];
  points(p);
  lrs_result *ref[NP] = {0}, *r = NULL;
  lrs_result_create(64, &r);
  lrs_setup_cache_set_budget(0);
  for (int i = 0; i < NP; i++) {
    lrs_result_create(64, &ref[i]);
    LRS_CHECK(lrs_solve_point(&p[i], MPI_COMM_SELF, ref[i]) == LRS_OK &&
                  ref[i]->n_records > 0,
              "point %d solved without the cache", i);
  }
  lrs_setup_cache_set_budget((size_t)64 << 20);
  const int order[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 11, 9, 7, 5, 3, 1, 12,
                       10, 8, 6, 4, 2, 0};
  int same = 0;
  for (size_t j = 0; j < sizeof order / sizeof order[0]; j++) {
    const int i = order[j];
    same += lrs_solve_point(&p[i], MPI_COMM_SELF, r) == LRS_OK && same_result(r, ref[i]);
  }
  s = lrs_setup_cache_stats_get();
  LRS_CHECK(same == (int)(sizeof order / sizeof order[0]),
            "every solve with the cache equals the solve without it (%d of %zu)", same,
            sizeof order / sizeof order[0]);
  LRS_CHECK(s.hits > 20, "the second pass and the shared draws hit (%llu hits, %llu misses)",
            (unsigned long long)s.hits, (unsigned long long)s.misses);
  /* A different point must not be given a neighbour's products. */
  LRS_CHECK(!same_result(ref[0], ref[1]) && !same_result(ref[0], ref[3]) &&
                !same_result(ref[6], ref[7]) && !same_result(ref[0], ref[8]) &&
                !same_result(ref[0], ref[10]),
            "points that differ give different results (the keys tell them apart)");
  for (int i = 0; i < NP; i++)
    lrs_result_destroy(&ref[i]);
  lrs_result_destroy(&r);
  lrs_setup_cache_clear();
  return lrs_test_done();
}

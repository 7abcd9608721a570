/* The Dormand–Prince 8(5,3) pair with its 7th-order dense output
 * (src/solver/dop853.h: the method, its error control and norm). */
#include "dop853.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ tableau
 * Published figures, typed in as printed: Prince & Dormand (1981) and
 * Hairer, Nørsett & Wanner, Solving ODEs I, 2nd ed., §II.5 and §II.10
 * (DOP853: the 8th-order weights b, the 5th- and 3rd-order estimators, the
 * extra stages 14–16 and the dense-output coefficients d4..d7).  Indices are
 * 1-based as there; stage 13 is f(t + h, y1) (its row is b, c13 = 1).
 * tests/solver/test_dop853_tableau.py reads these initializers and checks
 * every order condition in exact arithmetic: keep one entry per line, in the
 * form "[i][j] = number," or "[j] = number,". */

static const double C[17] = {
    [2] = 0.526001519587677318785587544488e-01,
    [3] = 0.789002279381515978178381316732e-01,
    [4] = 0.118350341907227396726757197510e+00,
    [5] = 0.281649658092772603273242802490e+00,
    [6] = 0.333333333333333333333333333333e+00,
    [7] = 0.25e+00,
    [8] = 0.307692307692307692307692307692e+00,
    [9] = 0.651282051282051282051282051282e+00,
    [10] = 0.6e+00,
    [11] = 0.857142857142857142857142857142e+00,
    [12] = 1.0e+00,
    [13] = 1.0e+00,
    [14] = 0.1e+00,
    [15] = 0.2e+00,
    [16] = 0.777777777777777777777777777778e+00,
};

static const double A[17][17] = {
    [2][1] = 5.26001519587677318785587544488e-2,
    [3][1] = 1.97250569845378994544595329183e-2,
    [3][2] = 5.91751709536136983633785987549e-2,
    [4][1] = 2.95875854768068491816892993775e-2,
    [4][3] = 8.87627564304205475450678981324e-2,
    [5][1] = 2.41365134159266685502369798665e-1,
    [5][3] = -8.84549479328286085344864962717e-1,
    [5][4] = 9.24834003261792003115737966543e-1,
    [6][1] = 3.7037037037037037037037037037e-2,
    [6][4] = 1.70828608729473871279604482173e-1,
    [6][5] = 1.25467687566822425016691814123e-1,
    [7][1] = 3.7109375e-2,
    [7][4] = 1.70252211019544039314978060272e-1,
    [7][5] = 6.02165389804559606850219397283e-2,
    [7][6] = -1.7578125e-2,
    [8][1] = 3.70920001185047927108779319836e-2,
    [8][4] = 1.70383925712239993810214054705e-1,
    [8][5] = 1.07262030446373284651809199168e-1,
    [8][6] = -1.53194377486244017527936158236e-2,
    [8][7] = 8.27378916381402288758473766002e-3,
    [9][1] = 6.24110958716075717114429577812e-1,
    [9][4] = -3.36089262944694129406857109825e0,
    [9][5] = -8.68219346841726006818189891453e-1,
    [9][6] = 2.75920996994467083049415600797e1,
    [9][7] = 2.01540675504778934086186788979e1,
    [9][8] = -4.34898841810699588477366255144e1,
    [10][1] = 4.77662536438264365890433908527e-1,
    [10][4] = -2.48811461997166764192642586468e0,
    [10][5] = -5.90290826836842996371446475743e-1,
    [10][6] = 2.12300514481811942347288949897e1,
    [10][7] = 1.52792336328824235832596922938e1,
    [10][8] = -3.32882109689848629194453265587e1,
    [10][9] = -2.03312017085086261358222928593e-2,
    [11][1] = -9.3714243008598732571704021658e-1,
    [11][4] = 5.18637242884406370830023853209e0,
    [11][5] = 1.09143734899672957818500254654e0,
    [11][6] = -8.14978701074692612513997267357e0,
    [11][7] = -1.85200656599969598641566180701e1,
    [11][8] = 2.27394870993505042818970056734e1,
    [11][9] = 2.49360555267965238987089396762e0,
    [11][10] = -3.0467644718982195003823669022e0,
    [12][1] = 2.27331014751653820792359768449e0,
    [12][4] = -1.05344954667372501984066689879e1,
    [12][5] = -2.00087205822486249909675718444e0,
    [12][6] = -1.79589318631187989172765950534e1,
    [12][7] = 2.79488845294199600508499808837e1,
    [12][8] = -2.85899827713502369474065508674e0,
    [12][9] = -8.87285693353062954433549289258e0,
    [12][10] = 1.23605671757943030647266201528e1,
    [12][11] = 6.43392746015763530355970484046e-1,
    /* row 13 is b (filled in below from B) */
    [14][1] = 5.61675022830479523392909219681e-2,
    [14][7] = 2.53500210216624811088794765333e-1,
    [14][8] = -2.46239037470802489917441475441e-1,
    [14][9] = -1.24191423263816360469010140626e-1,
    [14][10] = 1.5329179827876569731206322685e-1,
    [14][11] = 8.20105229563468988491666602057e-3,
    [14][12] = 7.56789766054569976138603589584e-3,
    [14][13] = -8.298e-3,
    [15][1] = 3.18346481635021405060768473261e-2,
    [15][6] = 2.83009096723667755288322961402e-2,
    [15][7] = 5.35419883074385676223797384372e-2,
    [15][8] = -5.49237485713909884646569340306e-2,
    [15][11] = -1.08347328697249322858509316994e-4,
    [15][12] = 3.82571090835658412954920192323e-4,
    [15][13] = -3.40465008687404560802977114492e-4,
    [15][14] = 1.41312443674632500278074618366e-1,
    [16][1] = -4.28896301583791923408573538692e-1,
    [16][6] = -4.69762141536116384314449447206e0,
    [16][7] = 7.68342119606259904184240953878e0,
    [16][8] = 4.06898981839711007970213554331e0,
    [16][9] = 3.56727187455281109270669543021e-1,
    [16][13] = -1.39902416515901462129418009734e-3,
    [16][14] = 2.9475147891527723389556272149e0,
    [16][15] = -9.15095847217987001081870187138e0,
};

/* 8th-order weights. */
static const double B[17] = {
    [1] = 5.42937341165687622380535766363e-2,
    [6] = 4.45031289275240888144113950566e0,
    [7] = 1.89151789931450038304281599044e0,
    [8] = -5.8012039600105847814672114227e0,
    [9] = 3.1116436695781989440891606237e-1,
    [10] = -1.52160949662516078556178806805e-1,
    [11] = 2.01365400804030348374776537501e-1,
    [12] = 4.47106157277725905176885569043e-2,
};

/* e5_j = b_j − b̂_j, b̂ the 5th-order weights: y1 − ŷ5 = hΣ e5_j k_j. */
static const double E5[17] = {
    [1] = 0.1312004499419488073250102996e-01,
    [6] = -0.1225156446376204440720569753e+01,
    [7] = -0.4957589496572501915214079952e+00,
    [8] = 0.1664377182454986536961530415e+01,
    [9] = -0.3503288487499736816886487290e+00,
    [10] = 0.3341791187130174790297318841e+00,
    [11] = 0.8192320648511571246570742613e-01,
    [12] = -0.2235530786388629525884427845e-01,
};

/* The 3rd-order solution's weights (HNW's bhh1..3 on k1, k9, k12). */
static const double B3[17] = {
    [1] = 0.244094488188976377952755905512e+00,
    [9] = 0.733846688281611857341361741547e+00,
    [12] = 0.220588235294117647058823529412e-01,
};

/* Dense output: rows 4..7 (HNW's d4j..d7j), j = 1, 6..16. */
static const double D[8][17] = {
    [4][1] = -0.84289382761090128651353491142e+01,
    [4][6] = 0.56671495351937776962531783590e+00,
    [4][7] = -0.30689499459498916912797304727e+01,
    [4][8] = 0.23846676565120698287728149680e+01,
    [4][9] = 0.21170345824450282767155149946e+01,
    [4][10] = -0.87139158377797299206789907490e+00,
    [4][11] = 0.22404374302607882758541771650e+01,
    [4][12] = 0.63157877876946881815570249290e+00,
    [4][13] = -0.88990336451333310820698117400e-01,
    [4][14] = 0.18148505520854727256656404962e+02,
    [4][15] = -0.91946323924783554000451984436e+01,
    [4][16] = -0.44360363875948939664310572000e+01,
    [5][1] = 0.10427508642579134603413151009e+02,
    [5][6] = 0.24228349177525818288430175319e+03,
    [5][7] = 0.16520045171727028198505394887e+03,
    [5][8] = -0.37454675472269020279518312152e+03,
    [5][9] = -0.22113666853125306036270938578e+02,
    [5][10] = 0.77334326684722638389603898808e+01,
    [5][11] = -0.30674084731089398182061213626e+02,
    [5][12] = -0.93321305264302278729567221706e+01,
    [5][13] = 0.15697238121770843886131091075e+02,
    [5][14] = -0.31139403219565177677282850411e+02,
    [5][15] = -0.93529243588444783865713862664e+01,
    [5][16] = 0.35816841486394083752465898540e+02,
    [6][1] = 0.19985053242002433820987653617e+02,
    [6][6] = -0.38703730874935176555105901742e+03,
    [6][7] = -0.18917813819516756882830838328e+03,
    [6][8] = 0.52780815920542364900561016686e+03,
    [6][9] = -0.11573902539959630126141871134e+02,
    [6][10] = 0.68812326946963000169666922661e+01,
    [6][11] = -0.10006050966910838403183860980e+01,
    [6][12] = 0.77771377980534432092869265740e+00,
    [6][13] = -0.27782057523535084065932004339e+01,
    [6][14] = -0.60196695231264120758267380846e+02,
    [6][15] = 0.84320405506677161018159903784e+02,
    [6][16] = 0.11992291136182789328035130030e+02,
    [7][1] = -0.25693933462703749003312586129e+02,
    [7][6] = -0.15418974869023643374053993627e+03,
    [7][7] = -0.23152937917604549567536039109e+03,
    [7][8] = 0.35763911791061412378285349910e+03,
    [7][9] = 0.93405324183624310003907691704e+02,
    [7][10] = -0.37458323136451633156875139351e+02,
    [7][11] = 0.10409964950896230045147246184e+03,
    [7][12] = 0.29840293426660503123344363579e+02,
    [7][13] = -0.43533456590011143754432175058e+02,
    [7][14] = 0.96324553959188282948394950600e+02,
    [7][15] = -0.39177261675615439165231486172e+02,
    [7][16] = -0.14972683625798562581422125276e+03,
};
/* ------------------------------------------------------------ end tableau */

/* Step-size control (HNW §II.4, eq. 4.13, with DOP853's constants): safety
 * factor, the bounds of the factor, the exponent 1/8 of err ~ h⁸. */
#define SAFETY 0.9
#define FAC_MIN (1.0 / 3.0)
#define FAC_MAX 6.0
#define ERR_EXPONENT (1.0 / 8.0)
/* |e_i|/sc_i is capped here so that Σ (e_i/sc_i)² cannot overflow; any ratio
 * this large already gives the smallest factor FAC_MIN. */
#define RATIO_CAP 1e100

lrs__dop853_tableau lrs__dop853_tableau_get(void) {
  return (lrs__dop853_tableau){.c = C, .b = B, .e5 = E5, .b3 = B3, .a = A, .d = D};
}

/* out ← base + h·Σ_j w[j]·k[j] over the nonzero w[1..jmax]: one pass over n. */
static void combine(size_t n, double *out, const double *base, double h, const double *w,
                    int jmax, double *const *k) {
  int idx[16];
  double coef[16];
  int m = 0;
  for (int j = 1; j <= jmax; j++)
    if (w[j] != 0.0) {
      idx[m] = j;
      coef[m++] = w[j];
    }
  for (size_t i = 0; i < n; i++) {
    double s = 0.0;
    for (int q = 0; q < m; q++)
      s += coef[q] * k[idx[q]][i];
    out[i] = base[i] + h * s;
  }
}

static lrs_status eval_f(lrs__dop853 *s, double t, const double *y, double *f) {
  s->n_rhs++;
  return s->rhs(s->ctx, t, y, f);
}

static lrs_status reduce(lrs__dop853 *s, double *vals, size_t count) {
  return s->sum ? s->sum(s->ctx, vals, count) : LRS_OK;
}

/* |e|/sc, capped (RATIO_CAP also for sc = 0 with e ≠ 0 and for NaN). */
static double ratio(double e, double sc) {
  if (e == 0.0)
    return 0.0;
  const double r = fabs(e) / sc;
  return r <= RATIO_CAP ? r : RATIO_CAP;
}

lrs_status lrs__dop853_create(size_t n, lrs__dop853 **out) {
  *out = NULL;
  lrs__dop853 *s = calloc(1, sizeof *s);
  LRS_TRY(LRS_CHECK_ALLOC(s));
  s->n = n;
  const size_t len = n ? n : 1;
  if (len > SIZE_MAX / (20 * sizeof(double))) {
    free(s);
    return LRS_RAISE(LRS_ERR_RANGE, "dop853: %zu equations do not fit in memory", n);
  }
  /* One block: y, y_prev, y_new, y_stage and k[1..16]. */
  double *block = malloc(20 * len * sizeof *block);
  if (!block) {
    free(s);
    return LRS_RAISE(LRS_ERR_NOMEM, "out of memory for the dop853 workspace of %zu doubles",
                     20 * len);
  }
  s->block = block;
  s->y = block;
  s->y_prev = block + len;
  s->y_new = block + 2 * len;
  s->y_stage = block + 3 * len;
  for (int j = 1; j <= 16; j++)
    s->k[j] = block + (size_t)(3 + j) * len;
  *out = s;
  return LRS_OK;
}

void lrs__dop853_destroy(lrs__dop853 **s) {
  if (!s || !*s)
    return;
  free((*s)->block);
  free(*s);
  *s = NULL;
}

/* Starting step size, HNW §II.4 ("Starting Step Size", p. 169), in the RMS
 * norm with sc_i = atol + rtol|y0_i|; costs one f.  Then rounded (below). */
static lrs_status starting_step(lrs__dop853 *s, double *h_out) {
  const size_t n = s->n;
  const double *y0 = s->y, *f0 = s->k[1];
  double sums[2] = {0.0, 0.0};
  for (size_t i = 0; i < n; i++) {
    const double sc = s->o.atol + s->o.rtol * fabs(y0[i]);
    sums[0] += ratio(y0[i], sc) * ratio(y0[i], sc);
    sums[1] += ratio(f0[i], sc) * ratio(f0[i], sc);
  }
  LRS_TRY(reduce(s, sums, 2));
  const double N = s->n_global > 0 ? s->n_global : 1.0;
  const double d0 = sqrt(sums[0] / N), d1 = sqrt(sums[1] / N);
  double h0 = (d0 < 1e-5 || d1 < 1e-5) ? 1e-6 : 0.01 * d0 / d1;
  if (h0 > s->o.h_max)
    h0 = s->o.h_max;
  double *y1 = s->y_stage, *f1 = s->k[2]; /* scratch: overwritten by the first step */
  for (size_t i = 0; i < n; i++)
    y1[i] = y0[i] + h0 * f0[i];
  LRS_TRY(eval_f(s, s->t + h0, y1, f1));
  double d2 = 0.0;
  for (size_t i = 0; i < n; i++) {
    const double sc = s->o.atol + s->o.rtol * fabs(y0[i]);
    const double r = ratio(f1[i] - f0[i], sc);
    d2 += r * r;
  }
  LRS_TRY(reduce(s, &d2, 1));
  d2 = sqrt(d2 / N) / h0;
  const double dm = d1 > d2 ? d1 : d2;
  double h1 = dm <= 1e-15 ? fmax(1e-6, 1e-3 * h0) : pow(0.01 / dm, ERR_EXPONENT);
  double h = 100.0 * h0 < h1 ? 100.0 * h0 : h1;
  /* Rounded down to a power of 2^(1/4): d2 divides a difference of two RHS
   * values by h0, so its last ~6 digits are rounding, which differs between
   * summation orders (a group vs one rank); every later step size scales
   * with the first and the records' tolerance-level error with them.  On
   * this grid the start is the same unless the estimate sits within its
   * rounding of a grid point. */
  h = exp2(floor(4.0 * log2(h)) / 4.0);
  *h_out = h < s->o.h_max ? h : s->o.h_max;
  return LRS_OK;
}

lrs_status lrs__dop853_start(lrs__dop853 *s, const lrs__dop853_opts *o, lrs__ode_rhs rhs,
                             lrs__ode_sum sum, void *ctx, double t0, const double *y0) {
  if (!(o->rtol >= 0.0) || !(o->atol >= 0.0) || (o->rtol == 0.0 && o->atol == 0.0))
    return LRS_RAISE(LRS_ERR_CONFIG, "dop853: rtol = %g, atol = %g: need ≥ 0, not both 0",
                     o->rtol, o->atol);
  if (!(o->h_max > 0.0) || !(o->h_min >= 0.0) || !(o->h_init >= 0.0))
    return LRS_RAISE(LRS_ERR_CONFIG, "dop853: h_min = %g, h_max = %g, h_init = %g out of range",
                     o->h_min, o->h_max, o->h_init);
  s->o = *o;
  s->rhs = rhs;
  s->sum = sum;
  s->ctx = ctx;
  s->t = t0;
  s->t_prev = t0;
  s->h_prev = 0.0;
  s->fsal_pending = s->dense_ready = s->rejected = false;
  s->n_rhs = s->n_accepted = s->n_rejected = s->n_dense = 0;
  s->last_err = 0.0;
  s->n_global = (double)s->n;
  LRS_TRY(reduce(s, &s->n_global, 1));
  if (s->n)
    memcpy(s->y, y0, s->n * sizeof *y0);
  LRS_TRY(eval_f(s, t0, s->y, s->k[1]));
  if (o->h_init > 0.0)
    s->h = o->h_init < o->h_max ? o->h_init : o->h_max;
  else
    LRS_TRY(starting_step(s, &s->h));
  return LRS_OK;
}

/* One attempt of size h from (t, y): stages 2..12 into k, y1 into y_new;
 * *err the combined estimate, *bad > 0 when something is not finite. */
static lrs_status attempt(lrs__dop853 *s, double h, double *err, double *bad) {
  const size_t n = s->n;
  for (int i = 2; i <= 12; i++) {
    combine(n, s->y_stage, s->y, h, A[i], i - 1, s->k);
    LRS_TRY(eval_f(s, s->t + C[i] * h, s->y_stage, s->k[i]));
  }
  double *const *k = s->k;
  const double *y = s->y;
  double *yn = s->y_new;
  const double atol = s->o.atol, rtol = s->o.rtol;
  double sums[3] = {0.0, 0.0, 0.0}; /* Σ(e5/sc)², Σ(e3/sc)², non-finite count */
  for (size_t i = 0; i < n; i++) {
    const double k1 = k[1][i], k6 = k[6][i], k7 = k[7][i], k8 = k[8][i], k9 = k[9][i],
                 k10 = k[10][i], k11 = k[11][i], k12 = k[12][i];
    const double sb = B[1] * k1 + B[6] * k6 + B[7] * k7 + B[8] * k8 + B[9] * k9 +
                      B[10] * k10 + B[11] * k11 + B[12] * k12;
    const double s5 = E5[1] * k1 + E5[6] * k6 + E5[7] * k7 + E5[8] * k8 + E5[9] * k9 +
                      E5[10] * k10 + E5[11] * k11 + E5[12] * k12;
    const double s3 = sb - (B3[1] * k1 + B3[9] * k9 + B3[12] * k12);
    yn[i] = y[i] + h * sb;
    const double e5 = h * s5, e3 = h * s3;
    const double sc = atol + rtol * fmax(fabs(y[i]), fabs(yn[i]));
    const double r5 = ratio(e5, sc), r3 = ratio(e3, sc);
    sums[0] += r5 * r5;
    sums[1] += r3 * r3;
    if (!isfinite(yn[i]) || !isfinite(e5) || !isfinite(e3))
      sums[2] += 1.0;
  }
  LRS_TRY(reduce(s, sums, 3));
  *bad = sums[2];
  const double den = s->n_global * (sums[0] + 0.01 * sums[1]);
  *err = den > 0.0 ? sums[0] / sqrt(den) : 0.0;
  return LRS_OK;
}

lrs_status lrs__dop853_step(lrs__dop853 *s, double t_end, lrs__dop853_outcome *out) {
  if (!(t_end > s->t))
    return LRS_RAISE(LRS_ERR_INTERNAL, "dop853: t_end = %.17g is not after t = %.17g", t_end,
                     s->t);
  if (s->fsal_pending) { /* f(t, y) of the last step's end is this step's k1 */
    double *k1 = s->k[1];
    s->k[1] = s->k[13];
    s->k[13] = k1;
    s->fsal_pending = false;
    s->dense_ready = false;
  }
  for (;;) {
    double h = s->h;
    bool last = false;
    if (s->t + 1.01 * h >= t_end) { /* land on t_end rather than leave a sliver */
      h = t_end - s->t;
      last = true;
    }
    if ((!last && h < s->o.h_min) || s->t + h == s->t) {
      *out = LRS__DOP853_TOO_SMALL;
      return LRS_OK;
    }
    double err, bad;
    LRS_TRY(attempt(s, h, &err, &bad));
    s->last_err = err;
    if (bad > 0.0) {
      *out = LRS__DOP853_NONFINITE;
      return LRS_OK;
    }
    if (err <= 1.0) {
      double fac = err > 0.0 ? SAFETY * pow(err, -ERR_EXPONENT) : FAC_MAX;
      fac = fmin(FAC_MAX, fmax(FAC_MIN, fac));
      if (s->rejected && fac > 1.0) /* no increase right after a rejection */
        fac = 1.0;
      double *old = s->y_prev;
      s->y_prev = s->y;
      s->y = s->y_new;
      s->y_new = old;
      s->t_prev = s->t;
      s->h_prev = h;
      s->t = last ? t_end : s->t + h;
      s->h = fmin(h * fac, s->o.h_max);
      s->rejected = false;
      s->n_accepted++;
      LRS_TRY(eval_f(s, s->t, s->y, s->k[13])); /* FSAL: the next step's k1 */
      s->fsal_pending = true;
      s->dense_ready = false;
      *out = LRS__DOP853_ACCEPTED;
      return LRS_OK;
    }
    s->h = h * fmax(FAC_MIN, SAFETY * pow(err, -ERR_EXPONENT));
    s->rejected = true;
    s->n_rejected++;
  }
}

/* The interpolant's weights: y(t_prev + θh) = y_prev + hΣ_j w_j(θ) k_j with
 * (HNW §II.6 form of the §II.10 extension, expanded)
 *   w(θ) = θb + θ(1−θ)(e1 − b) + θ²(1−θ)(2b − e1 − e13) + θ²(1−θ)²d4
 *        + θ³(1−θ)²d5 + θ³(1−θ)³d6 + θ⁴(1−θ)³d7,
 * e_j the j-th unit vector: w(0) = 0, w(1) = b. */
static void dense_weights(double th, double w[17]) {
  const double u = 1.0 - th;
  const double p1 = th, p2 = th * u, p3 = th * th * u, p4 = th * th * u * u,
               p5 = th * th * th * u * u, p6 = th * th * th * u * u * u,
               p7 = th * th * th * th * u * u * u;
  for (int j = 0; j <= 16; j++) {
    const double bj = j <= 12 ? B[j] : 0.0;
    w[j] = p1 * bj - p2 * bj + 2.0 * p3 * bj + p4 * D[4][j] + p5 * D[5][j] + p6 * D[6][j] +
           p7 * D[7][j];
  }
  w[1] += p2 - p3;
  w[13] -= p3;
}

lrs_status lrs__dop853_dense(lrs__dop853 *s, double t, double *yout) {
  if (s->n_accepted == 0 || !s->fsal_pending)
    return LRS_RAISE(LRS_ERR_INTERNAL, "dop853: dense output without a last step");
  const double h = s->h_prev;
  if (!(t >= s->t_prev && t <= s->t))
    return LRS_RAISE(LRS_ERR_INTERNAL, "dop853: t = %.17g outside the last step [%.17g, %.17g]",
                     t, s->t_prev, s->t);
  if (t == s->t) {
    if (s->n)
      memcpy(yout, s->y, s->n * sizeof *yout);
    return LRS_OK;
  }
  if (!s->dense_ready) { /* stages 14..16 of the last step (k13 = f(t, y)) */
    for (int i = 14; i <= 16; i++) {
      combine(s->n, s->y_stage, s->y_prev, h, A[i], i - 1, s->k);
      LRS_TRY(eval_f(s, s->t_prev + C[i] * h, s->y_stage, s->k[i]));
    }
    s->dense_ready = true;
    s->n_dense++;
  }
  double w[17];
  dense_weights((t - s->t_prev) / h, w);
  combine(s->n, yout, s->y_prev, h, w, 16, s->k);
  return LRS_OK;
}

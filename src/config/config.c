/* Sweep files → validated configuration (lrsweep/config.h). */
#include "lrsweep/config.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lrsweep/kind.h"
#include "lrsweep/toml.h"

enum { MAX_PARAMS = 64 };

struct lrs_config {
  char *source;
  char *text;
  size_t text_len;
  char *name, *store, *description;
  int64_t replicates;
  lrs_run_options run;
  lrs_refine_options refine;
  char *refine_axis, *refine_predicate; /* owned text of [refine] */
  int refine_axis_line, refine_axis_column;
  int refine_scale; /* -1: the axis's own, 0: linear, 1: log */
  lrs_point base;
  lrs_axis axes[MAX_PARAMS];
  size_t n_axes;
  /* Where each parameter was given (fixed key or axis); 0 when defaulted. */
  int line[MAX_PARAMS], column[MAX_PARAMS];
  int data_file_line, data_file_column; /* where data_file was given (0: not) */
  char data_file_raw[LRS_DATA_PATH_MAX];  /* data_file as written */
};

/* ---- error helpers ---------------------------------------------------- */

static lrs_status vfail_at(const lrs_config *cfg, int line, int col, const char *fmt,
                           va_list ap) {
  char what[768];
  vsnprintf(what, sizeof what, fmt, ap);
  if (line > 0)
    return LRS_RAISE(LRS_ERR_CONFIG, "%s:%d:%d: %s", cfg->source, line, col, what);
  return LRS_RAISE(LRS_ERR_CONFIG, "%s: %s", cfg->source, what);
}

/* Fails with "SOURCE:LINE:COL: what" (just "SOURCE: what" when line is 0). */
#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
static lrs_status fail_at(const lrs_config *cfg, int line, int col, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  lrs_status st = vfail_at(cfg, line, col, fmt, ap);
  va_end(ap);
  return st;
}

/* Fails at the place of a TOML value. */
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static lrs_status fail_node(const lrs_config *cfg, const lrs_toml_node *node, const char *fmt,
                            ...) {
  va_list ap;
  va_start(ap, fmt);
  lrs_status st = vfail_at(cfg, lrs_toml_line(node), lrs_toml_column(node), fmt, ap);
  va_end(ap);
  return st;
}

/* Writes "; did you mean 'x'?" to buf when a candidate is close to `key`. */
static void suggest(const char *key, const char *const *candidates, size_t n, char *buf,
                    size_t cap) {
  const char *best = lrs_closest_name(key, strlen(key), lrs_name_in_array, candidates, n);
  if (best)
    snprintf(buf, cap, "; did you mean '%s'?", best);
  else
    buf[0] = '\0';
}

static void join_names(const char *const *names, size_t n, char *buf, size_t cap) {
  buf[0] = '\0';
  for (size_t i = 0; i < n; i++) {
    size_t used = strlen(buf);
    snprintf(buf + used, cap - used, "%s%s", i ? ", " : "", names[i]);
  }
}

static size_t count_names(const char *const *names) {
  size_t n = 0;
  while (names[n])
    n++;
  return n;
}

static const char *const section_names[] = {"sweep", "problem", "solver", "grid",
                                            "run",   "refine",  NULL};
enum { N_SECTIONS = 6 };
static const char *const run_keys[] = {"group_size", "auto_group_size", "group_threshold",
                                       "drain_seconds", NULL};
static const char *const sweep_keys[] = {"name", "store", "base_seed", "replicates",
                                         "description", NULL};
static const char *const refine_keys[] = {"axis",     "predicate", "rtol",      "scale",
                                          "max_generations", "rate_ci", "max_seeds",
                                          "seed_batch", NULL};

/* The section a key of a sweep file belongs in (NULL: none); `seed` and `zip`
 * are [grid]'s only.  [refine] and [run] come before the parameters: `rtol`
 * is both a [refine] key and a [solver] parameter, and the caller asks. */
static const char *home_of(const char *key) {
  if (lrs_name_lookup(sweep_keys, key) >= 0)
    return "sweep";
  if (strcmp(key, "seed") == 0 || strcmp(key, "zip") == 0)
    return "grid";
  if (lrs_name_lookup(run_keys, key) >= 0)
    return "run";
  const lrs_param *p = lrs_param_find(key);
  if (p && strcmp(p->section, "sweep") != 0) /* the replicate row: `seed` in [grid] */
    return p->section;
  if (lrs_name_lookup(refine_keys, key) >= 0)
    return "refine";
  return NULL;
}

/* The error for a key of [section] that is not among `keys` (NULL-terminated):
 * where it belongs if it is another section's, else a did-you-mean and the
 * allowed keys. */
static lrs_status unknown_key(const lrs_config *cfg, const lrs_toml_node *v, const char *key,
                              const char *section, const char *const *keys) {
  const char *home = home_of(key);
  if (home && strcmp(home, section) != 0)
    return fail_node(cfg, v, "'%s' belongs in [%s], not [%s]", key, home, section);
  char hint[128], allowed[256];
  suggest(key, keys, count_names(keys), hint, sizeof hint);
  join_names(keys, count_names(keys), allowed, sizeof allowed);
  return fail_node(cfg, v, "unknown key '%s' in [%s]%s (allowed: %s)", key, section, hint,
                   allowed);
}

/* ---- parameter values --------------------------------------------------- */

static size_t param_index(const lrs_param *p) {
  size_t n;
  return (size_t)(p - lrs_param_table(&n));
}

/* "an integer ≥ 1", "a number > 0 and ≤ 1", ... */
static void describe_range(const lrs_param *p, char *buf, size_t cap) {
  const char *what = p->type == LRS_PARAM_INT ? "an integer" : "a number";
  char lo[32], hi[32];
  lrs_param_format(p, p->min, lo, sizeof lo);
  lrs_param_format(p, p->max, hi, sizeof hi);
  bool has_max = isfinite(p->max) && p->max < 9007199254740992.0;
  snprintf(buf, cap, "%s %s %s%s%s", what, p->min_open ? ">" : "≥", lo,
           has_max ? " and ≤ " : "", has_max ? hi : "");
}

/* The parameter as a sweep file spells it: the replicate axis is `seed`. */
static const char *key_name(const lrs_param *p) {
  return strcmp(p->name, "replicate") ? p->name : "seed";
}

/* Reads one value of parameter p from node into *out, checking type/range. */
static lrs_status read_value(const lrs_config *cfg, const lrs_param *p,
                             const lrs_toml_node *node, double *out) {
  char allowed[512];
  switch (p->type) {
  case LRS_PARAM_ENUM: {
    const char *s;
    size_t n = count_names(p->names);
    join_names(p->names, n, allowed, sizeof allowed);
    if (!lrs_toml_as_string(node, &s, NULL))
      return fail_node(cfg, node, "%s: expected a string, one of: %s (got %s)", key_name(p),
                       allowed, lrs_toml_type_name(lrs_toml_type_of(node)));
    int k = lrs_name_lookup(p->names, s);
    if (k < 0) {
      char hint[128];
      suggest(s, p->names, n, hint, sizeof hint);
      return fail_node(cfg, node, "%s = \"%s\" is not allowed; expected one of: %s%s", key_name(p),
                       s, allowed, hint);
    }
    *out = k;
    return LRS_OK;
  }
  case LRS_PARAM_INT: {
    int64_t v;
    describe_range(p, allowed, sizeof allowed);
    if (!lrs_toml_as_int(node, &v))
      return fail_node(cfg, node, "%s: expected %s (got %s)", key_name(p), allowed,
                       lrs_toml_type_name(lrs_toml_type_of(node)));
    /* Checked as the integer written: past 2^53 a double is no longer the
     * value (INT64_MAX would round to 2^63 and print as INT64_MIN). */
    const bool low = p->min_open ? !((double)v > p->min) : !((double)v >= p->min);
    const bool high = isfinite(p->max) && v > (int64_t)p->max;
    if (low || high) {
      if (high && !strstr(allowed, " and ≤ ")) /* describe_range leaves 2^53 out */
        snprintf(allowed + strlen(allowed), sizeof allowed - strlen(allowed), " and ≤ %.0f",
                 p->max);
      return fail_node(cfg, node, "%s = %" PRId64 " is out of range; expected %s", key_name(p), v,
                       allowed);
    }
    *out = (double)v;
    return LRS_OK;
  }
  case LRS_PARAM_REAL: {
    int64_t iv;
    describe_range(p, allowed, sizeof allowed);
    if (lrs_toml_as_int(node, &iv))
      *out = (double)iv;
    else if (!lrs_toml_as_double(node, out))
      return fail_node(cfg, node, "%s: expected %s (got %s)", key_name(p), allowed,
                       lrs_toml_type_name(lrs_toml_type_of(node)));
    /* No parameter takes a non-finite value: an upper end of "inf" in the
     * table means "no upper bound", not "inf allowed". */
    if (!isfinite(*out))
      return fail_node(cfg, node, "%s: %s is not allowed; expected a finite number (%s)",
                       key_name(p), isnan(*out) ? "nan" : *out > 0 ? "inf" : "-inf", allowed);
    break;
  }
  }
  bool low = p->min_open ? !(*out > p->min) : !(*out >= p->min);
  if (low || *out > p->max) {
    char got[32];
    lrs_param_format(p, *out, got, sizeof got);
    return fail_node(cfg, node, "%s = %s is out of range; expected %s", key_name(p), got, allowed);
  }
  return LRS_OK;
}

/* ---- sections ------------------------------------------------------------ */


static lrs_status dup_string(const lrs_config *cfg, const lrs_toml_node *node, const char *key,
                             char **out) {
  const char *s;
  size_t len;
  if (!lrs_toml_as_string(node, &s, &len))
    return fail_node(cfg, node, "%s: expected a string (got %s)", key,
                     lrs_toml_type_name(lrs_toml_type_of(node)));
  if (strlen(s) != len)
    return fail_node(cfg, node, "%s: a NUL character is not allowed", key);
  if (len > LRS_CONFIG_MAX_STRING)
    return fail_node(cfg, node, "%s: a string of %zu bytes; at most %d are allowed", key, len,
                     LRS_CONFIG_MAX_STRING);
  free(*out);
  *out = strdup(s);
  return LRS_CHECK_ALLOC(*out);
}

static bool valid_sweep_name(const char *s) {
  if (!*s)
    return false;
  for (; *s; s++)
    if (!(('a' <= *s && *s <= 'z') || ('A' <= *s && *s <= 'Z') || ('0' <= *s && *s <= '9') ||
          *s == '_' || *s == '-' || *s == '.'))
      return false;
  return true;
}

static lrs_status read_sweep(lrs_config *cfg, const lrs_toml_node *sec, int *replicates_line) {
  for (size_t i = 0; i < lrs_toml_count(sec); i++) {
    const char *key = lrs_toml_key_at(sec, i, NULL);
    const lrs_toml_node *v = lrs_toml_at(sec, i);
    int64_t iv;
    if (strcmp(key, "name") == 0) {
      LRS_TRY(dup_string(cfg, v, key, &cfg->name));
      if (strlen(cfg->name) > LRS_CONFIG_MAX_NAME)
        return fail_node(cfg, v, "name: %zu bytes; at most %d are allowed", strlen(cfg->name),
                         LRS_CONFIG_MAX_NAME);
      if (!valid_sweep_name(cfg->name))
        return fail_node(cfg, v,
                         "name = \"%s\": expected letters, digits, '_', '-' or '.' (it names "
                         "an HDF5 group)",
                         cfg->name);
    } else if (strcmp(key, "store") == 0) {
      LRS_TRY(dup_string(cfg, v, key, &cfg->store));
      if (!cfg->store[0])
        return fail_node(cfg, v, "store: expected a non-empty path");
    } else if (strcmp(key, "description") == 0) {
      LRS_TRY(dup_string(cfg, v, key, &cfg->description));
    } else if (strcmp(key, "base_seed") == 0) {
      if (!lrs_toml_as_int(v, &iv) || iv < 0)
        return fail_node(cfg, v, "base_seed: expected an integer ≥ 0");
      cfg->base.seed = (uint64_t)iv;
    } else if (strcmp(key, "replicates") == 0) {
      if (!lrs_toml_as_int(v, &iv) || iv < 1 || iv > 1000000000)
        return fail_node(cfg, v, "replicates: expected an integer ≥ 1 and ≤ 1000000000");
      cfg->replicates = iv;
      *replicates_line = lrs_toml_line(v);
    } else {
      return unknown_key(cfg, v, key, "sweep", sweep_keys);
    }
  }
  return LRS_OK;
}

static lrs_status read_run(lrs_config *cfg, const lrs_toml_node *sec) {
  for (size_t i = 0; i < lrs_toml_count(sec); i++) {
    const char *key = lrs_toml_key_at(sec, i, NULL);
    const lrs_toml_node *v = lrs_toml_at(sec, i);
    int64_t iv;
    double dv;
    const char *text;
    size_t len;
    if (strcmp(key, "group_size") == 0) {
      cfg->run.group_auto = lrs_toml_as_string(v, &text, &len) && strcmp(text, "auto") == 0;
      if (!cfg->run.group_auto && (!lrs_toml_as_int(v, &iv) || iv < 1 || iv > 1000000))
        return fail_node(cfg, v,
                         "group_size: expected an integer ≥ 1 (ranks per group) or \"auto\"");
      cfg->run.group_size = cfg->run.group_auto ? 0 : iv;
    } else if (strcmp(key, "auto_group_size") == 0) {
      if (!lrs_toml_as_int(v, &iv) || iv < 1 || iv > 1000000)
        return fail_node(cfg, v, "auto_group_size: expected an integer ≥ 1 (the largest G of "
                                 "group_size = \"auto\")");
      cfg->run.auto_group_size = iv;
    } else if (strcmp(key, "group_threshold") == 0) {
      if (!lrs_toml_as_int(v, &iv) || iv < 1)
        return fail_node(cfg, v, "group_threshold: expected an integer ≥ 1 (the width h from "
                                 "which group_size = \"auto\" solves a point on a group)");
      cfg->run.group_threshold = iv;
    } else if (strcmp(key, "drain_seconds") == 0) {
      bool is_int = lrs_toml_as_int(v, &iv);
      if (is_int)
        dv = (double)iv;
      if ((!is_int && !lrs_toml_as_double(v, &dv)) || !(dv >= 0) || !isfinite(dv))
        return fail_node(cfg, v, "drain_seconds: expected a finite number ≥ 0");
      cfg->run.drain_seconds = dv;
    } else {
      return unknown_key(cfg, v, key, "run", run_keys);
    }
  }
  return LRS_OK;
}

/* Unknown key in [section]: suggest a close parameter of that section, or say
 * where the key belongs. */
static lrs_status unknown_param(const lrs_config *cfg, const lrs_toml_node *v, const char *key,
                                const char *section) {
  size_t n;
  const lrs_param *t = lrs_param_table(&n);
  if (strcmp(key, "seed") == 0) /* a [grid] axis only: one seed is a one-value axis */
    return fail_node(cfg, v, "'seed' is a [grid] axis, not a [%s] key: write seed = [K] in "
                             "[grid] (or replicates = N in [sweep])", section);
  const char *home = home_of(key);
  if (home && strcmp(home, section) != 0)
    return fail_node(cfg, v, "'%s' belongs in [%s], not [%s]%s", key, home, section,
                     strcmp(section, "grid") == 0 ? " (an axis is a [problem] or [solver] "
                                                    "parameter, or seed)" : "");
  const char *names[MAX_PARAMS + 2];
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    if (strcmp(section, "grid") == 0 ? strcmp(t[i].section, "sweep") != 0
                                     : strcmp(t[i].section, section) == 0)
      names[k++] = t[i].name;
  if (strcmp(section, "grid") == 0) {
    names[k++] = "seed";
    names[k++] = "zip";
  }
  char hint[128];
  suggest(key, names, k, hint, sizeof hint);
  return fail_node(cfg, v, "unknown key '%s' in [%s]%s", key, section, hint);
}

static lrs_axis *find_axis(lrs_config *cfg, const char *name);

/* base.data_file ← data_file as written, relative to the directory of
 * sweep_path (absolute paths as they are); -1 when it does not fit. */
static int resolve_data_file(lrs_config *cfg, const char *sweep_path) {
  const char *path = cfg->data_file_raw, *slash = strrchr(sweep_path, '/');
  const int dir = path[0] == '/' || !slash ? 0 : (int)(slash - sweep_path + 1);
  const int len = snprintf(cfg->base.data_file, sizeof cfg->base.data_file, "%.*s%s", dir,
                           sweep_path, path);
  return len < 0 || (size_t)len >= sizeof cfg->base.data_file ? -1 : len;
}

lrs_status lrs_config_rebase(lrs_config *cfg, const char *sweep_path) {
  if (cfg->data_file_raw[0] && resolve_data_file(cfg, sweep_path) < 0)
    return LRS_RAISE(LRS_ERR_CONFIG, "%s: data_file resolves to a path longer than %zu bytes",
                     sweep_path, sizeof cfg->base.data_file - 1);
  char *source = strdup(sweep_path);
  LRS_TRY(LRS_CHECK_ALLOC(source));
  free(cfg->source);
  cfg->source = source;
  return LRS_OK;
}

/* [problem] data_file: a string, resolved against the sweep file's directory
 * (absolute paths as given) into the base point (lrsweep/point.h). */
static lrs_status read_data_file(lrs_config *cfg, const lrs_toml_node *v) {
  const char *path;
  size_t plen;
  if (!lrs_toml_as_string(v, &path, &plen) || strlen(path) != plen)
    return fail_node(cfg, v, "data_file must be a string without NULs (the HDF5 file's path)");
  if (!path[0])
    return fail_node(cfg, v, "data_file is empty; give the HDF5 data file's path");
  if (plen >= sizeof cfg->data_file_raw)
    return fail_node(cfg, v, "data_file is %zu bytes long; at most %zu", plen,
                     sizeof cfg->data_file_raw - 1);
  memcpy(cfg->data_file_raw, path, plen + 1);
  const int len = resolve_data_file(cfg, cfg->source);
  if (len < 0)
    return fail_node(cfg, v, "data_file resolves to a path longer than %zu bytes",
                     sizeof cfg->base.data_file - 1);
  cfg->data_file_line = lrs_toml_line(v);
  cfg->data_file_column = lrs_toml_column(v);
  return LRS_OK;
}

static lrs_status read_fixed(lrs_config *cfg, const lrs_toml_node *sec, const char *section) {
  for (size_t i = 0; i < lrs_toml_count(sec); i++) {
    const char *key = lrs_toml_key_at(sec, i, NULL);
    const lrs_toml_node *v = lrs_toml_at(sec, i);
    if (strcmp(section, "problem") == 0 && strcmp(key, "data_file") == 0) {
      LRS_TRY(read_data_file(cfg, v));
      continue;
    }
    const lrs_param *p = lrs_param_find(key);
    if (!p || strcmp(p->section, section) != 0)
      return unknown_param(cfg, v, key, section);
    double value;
    LRS_TRY(read_value(cfg, p, v, &value));
    lrs_param_set(&cfg->base, p, value);
    cfg->line[param_index(p)] = lrs_toml_line(v);
    cfg->column[param_index(p)] = lrs_toml_column(v);
  }
  return LRS_OK;
}

/* ---- grid ---------------------------------------------------------------- */

/* The shortest decimal (%.1g … %.17g) within `tol` of the ideal grid value
 * x, so that { log = [1e-4, 1], num = 9 } gives 0.001, not the
 * 0.0010000000000000002 that exp/log rounding leaves (README, "Sweep
 * files"); 0 when |x| ≤ tol (a linear range through zero). */
static double range_decimal(double x, double tol) {
  if (fabs(x) <= tol)
    return 0.0;
  char buf[40];
  for (int prec = 1; prec <= 17; prec++) {
    snprintf(buf, sizeof buf, "%.*g", prec, x);
    double y = strtod(buf, NULL);
    if (fabs(y - x) <= tol)
      return y;
  }
  return x;
}

static lrs_status read_range(lrs_config *cfg, const lrs_param *p, const lrs_toml_node *v,
                             lrs_axis *axis) {
  if (p->type == LRS_PARAM_ENUM)
    return fail_node(cfg, v, "%s: a range needs a numeric parameter; list the values instead",
                     p->name);
  const lrs_toml_node *ends = NULL, *num = NULL;
  bool log_scale = false;
  for (size_t i = 0; i < lrs_toml_count(v); i++) {
    const char *k = lrs_toml_key_at(v, i, NULL);
    if (strcmp(k, "log") == 0 || strcmp(k, "lin") == 0) {
      if (ends)
        return fail_node(cfg, v, "%s: give one of 'log' or 'lin', not both", p->name);
      ends = lrs_toml_at(v, i);
      log_scale = k[1] == 'o';
    } else if (strcmp(k, "num") == 0) {
      num = lrs_toml_at(v, i);
    } else {
      static const char *const range_keys[] = {"log", "lin", "num", NULL};
      char hint[128];
      suggest(k, range_keys, 3, hint, sizeof hint);
      return fail_node(cfg, lrs_toml_at(v, i),
                       "unknown key '%s' in the range of %s%s (expected {log|lin = [a, b], "
                       "num = n})",
                       k, p->name, hint);
    }
  }
  int64_t count;
  if (!ends || !num)
    return fail_node(cfg, v, "%s: a range table needs {log|lin = [a, b], num = n}", p->name);
  if (!lrs_toml_as_int(num, &count))
    return fail_node(cfg, num, "%s: num: expected an integer ≥ 1 and ≤ %d (got %s)", p->name,
                     LRS_CONFIG_MAX_AXIS, lrs_toml_type_name(lrs_toml_type_of(num)));
  if (count < 1 || count > LRS_CONFIG_MAX_AXIS)
    return fail_node(cfg, num,
                     "%s: num = %" PRId64 " is out of range; expected an integer ≥ 1 and ≤ %d "
                     "(the longest axis)",
                     p->name, count, LRS_CONFIG_MAX_AXIS);
  if (lrs_toml_type_of(ends) != LRS_TOML_ARRAY || lrs_toml_count(ends) != 2)
    return fail_node(cfg, ends, "%s: expected [a, b], the two ends of the range", p->name);
  double a, b;
  LRS_TRY(read_value(cfg, p, lrs_toml_at(ends, 0), &a));
  LRS_TRY(read_value(cfg, p, lrs_toml_at(ends, 1), &b));
  if (log_scale && !(a > 0 && b > 0))
    return fail_node(cfg, ends, "%s: a log range needs ends > 0", p->name);
  axis->values = malloc((size_t)count * sizeof(double));
  LRS_TRY(LRS_CHECK_ALLOC(axis->values));
  axis->length = (size_t)count;
  axis->log_scale = log_scale;
  double step = count == 1 ? 0.0 : fabs(b - a) / (double)(count - 1);
  for (int64_t i = 0; i < count; i++) {
    double f = count == 1 ? 0.0 : (double)i / (double)(count - 1);
    double x = log_scale ? exp(log(a) + f * (log(b) - log(a))) : a + f * (b - a);
    if (i == 0)
      x = a; /* the ends exactly as written */
    else if (i == count - 1)
      x = b;
    else if (p->type == LRS_PARAM_REAL)
      x = range_decimal(x, LRS_RANGE_RTOL * (log_scale ? fabs(x) : fmax(fabs(x), step)));
    axis->values[i] = p->type == LRS_PARAM_INT ? round(x) : x;
  }
  return LRS_OK;
}

static lrs_status read_list(lrs_config *cfg, const lrs_param *p, const lrs_toml_node *v,
                            lrs_axis *axis) {
  size_t n = lrs_toml_count(v);
  if (n == 0)
    return fail_node(cfg, v, "axis %s is empty; give at least one value", p->name);
  if (n > LRS_CONFIG_MAX_AXIS)
    return fail_node(cfg, v, "axis %s has %zu values; at most %d are allowed", p->name, n,
                     LRS_CONFIG_MAX_AXIS);
  axis->values = malloc(n * sizeof(double));
  LRS_TRY(LRS_CHECK_ALLOC(axis->values));
  axis->length = n;
  for (size_t i = 0; i < n; i++)
    LRS_TRY(read_value(cfg, p, lrs_toml_at(v, i), &axis->values[i]));
  return LRS_OK;
}

/* Values with their item numbers, sorted by value then item. */
typedef struct ranked {
  double value;
  size_t item;
} ranked;

static int by_value_then_item(const void *a, const void *b) {
  const ranked *x = a, *y = b;
  if (x->value != y->value)
    return x->value < y->value ? -1 : 1;
  return (x->item > y->item) - (x->item < y->item);
}

/* The first repeat of values[0..n) (the smallest item equal to an earlier
 * one: *second, that earlier one: *first); *second = 0 when none.  Sorts a
 * copy: O(n log n), so that a long axis is checked in well under a second. */
static lrs_status find_repeat(const double *values, size_t n, size_t *first, size_t *second) {
  *first = *second = 0;
  if (n < 2)
    return LRS_OK;
  ranked *r = malloc(n * sizeof *r);
  LRS_TRY(LRS_CHECK_ALLOC(r));
  for (size_t i = 0; i < n; i++)
    r[i] = (ranked){values[i], i};
  qsort(r, n, sizeof *r, by_value_then_item);
  for (size_t i = 1; i < n; i++)
    if (r[i].value == r[i - 1].value && (*second == 0 || r[i].item < *second)) {
      *second = r[i].item;
      /* the earliest of its equals: the first of the run */
      size_t k = i - 1;
      while (k > 0 && r[k - 1].value == r[i].value)
        k--;
      *first = r[k].item;
    }
  free(r);
  return LRS_OK;
}

static lrs_status read_axis(lrs_config *cfg, const char *key, const lrs_toml_node *v) {
  const lrs_param *p = lrs_param_find(key);
  if (!p || (strcmp(p->section, "sweep") == 0 && strcmp(key, "seed") != 0))
    return unknown_param(cfg, v, key, "grid");
  size_t idx = param_index(p);
  if (cfg->line[idx] > 0)
    return fail_node(cfg, v, "%s is an axis here but also fixed at line %d; keep one of them",
                     key, cfg->line[idx]);
  lrs_axis *axis = &cfg->axes[cfg->n_axes++];
  *axis = (lrs_axis){.param = p,
                     .zip_group = -1,
                     .line = lrs_toml_line(v),
                     .column = lrs_toml_column(v)};
  cfg->line[idx] = axis->line;
  cfg->column[idx] = axis->column;
  if (lrs_toml_type_of(v) == LRS_TOML_ARRAY)
    LRS_TRY(read_list(cfg, p, v, axis));
  else if (lrs_toml_type_of(v) == LRS_TOML_TABLE)
    LRS_TRY(read_range(cfg, p, v, axis));
  else
    return fail_node(cfg, v,
                     "axis %s: expected a list [a, b, ...] or a range {log|lin = [a, b], "
                     "num = n}; a single value belongs in [%s]",
                     key, strcmp(p->section, "sweep") == 0 ? "sweep" : p->section);
  /* A repeated value would make two points with one key. */
  size_t first, second;
  LRS_TRY(find_repeat(axis->values, axis->length, &first, &second));
  if (second > 0) {
    char text[32];
    lrs_param_format(p, axis->values[second], text, sizeof text);
    return fail_node(cfg, v, "axis %s repeats the value %s (items %zu and %zu)%s", key, text,
                     first + 1, second + 1,
                     p->type == LRS_PARAM_INT ? ", possibly after rounding" : "");
  }
  return LRS_OK;
}

static lrs_axis *find_axis(lrs_config *cfg, const char *name) {
  const lrs_param *p = lrs_param_find(name);
  for (size_t i = 0; p && i < cfg->n_axes; i++)
    if (cfg->axes[i].param == p)
      return &cfg->axes[i];
  return NULL;
}

static lrs_status read_zip(lrs_config *cfg, const lrs_toml_node *zip) {
  if (lrs_toml_type_of(zip) != LRS_TOML_ARRAY)
    return fail_node(cfg, zip, "zip: expected a list of groups, e.g. [[\"width\", \"step_size\"]]");
  for (size_t g = 0; g < lrs_toml_count(zip); g++) {
    const lrs_toml_node *group = lrs_toml_at(zip, g);
    if (lrs_toml_type_of(group) != LRS_TOML_ARRAY || lrs_toml_count(group) < 2)
      return fail_node(cfg, group, "zip: each group is a list of two or more axis names");
    lrs_axis *first = NULL;
    for (size_t i = 0; i < lrs_toml_count(group); i++) {
      const lrs_toml_node *item = lrs_toml_at(group, i);
      const char *name;
      if (!lrs_toml_as_string(item, &name, NULL))
        return fail_node(cfg, item, "zip: expected an axis name (a string)");
      lrs_axis *axis = find_axis(cfg, name);
      if (!axis)
        return fail_node(cfg, item, "zip: '%s' is not an axis of [grid]", name);
      if (axis->zip_group >= 0)
        return fail_node(cfg, item, "zip: axis '%s' is already in a zip group", name);
      if (first && axis->length != first->length)
        return fail_node(cfg, item,
                         "zip: axis '%s' has %zu values but '%s' has %zu; zipped axes need "
                         "equal lengths",
                         name, axis->length, first->param->name, first->length);
      axis->zip_group = (int)g;
      if (!first)
        first = axis;
    }
  }
  return LRS_OK;
}

static int axis_order(const void *a, const void *b) {
  const lrs_axis *x = a, *y = b;
  return (x->param > y->param) - (x->param < y->param);
}

static lrs_status read_grid(lrs_config *cfg, const lrs_toml_node *sec) {
  const lrs_toml_node *zip = NULL;
  for (size_t i = 0; i < lrs_toml_count(sec); i++) {
    const char *key = lrs_toml_key_at(sec, i, NULL);
    if (strcmp(key, "zip") == 0)
      zip = lrs_toml_at(sec, i);
    else
      LRS_TRY(read_axis(cfg, key, lrs_toml_at(sec, i)));
  }
  return zip ? read_zip(cfg, zip) : LRS_OK;
}

/* ---- [refine] ---------------------------------------------------------------- */


/* A number (integer or float) of a [refine] key, in (lo, hi]. */
static lrs_status refine_number(const lrs_config *cfg, const lrs_toml_node *v, const char *key,
                                double lo, double hi, double *out) {
  int64_t iv;
  if (lrs_toml_as_int(v, &iv))
    *out = (double)iv;
  else if (!lrs_toml_as_double(v, out))
    *out = NAN;
  if (!(*out > lo && *out <= hi) || !isfinite(*out))
    return fail_node(cfg, v, "%s: expected a number > %g and ≤ %g", key, lo, hi);
  return LRS_OK;
}

static lrs_status refine_count(const lrs_config *cfg, const lrs_toml_node *v, const char *key,
                               int64_t lo, int64_t *out) {
  if (!lrs_toml_as_int(v, out) || *out < lo || *out > 1000000)
    return fail_node(cfg, v, "%s: expected an integer ≥ %lld and ≤ 1000000", key,
                     (long long)lo);
  return LRS_OK;
}

static lrs_status read_refine(lrs_config *cfg, const lrs_toml_node *sec) {
  lrs_refine_options *r = &cfg->refine;
  r->enabled = true;
  r->line = lrs_toml_line(sec);
  int scale = -1; /* -1: the axis's own; 0 linear; 1 log */
  for (size_t i = 0; i < lrs_toml_count(sec); i++) {
    const char *key = lrs_toml_key_at(sec, i, NULL);
    const lrs_toml_node *v = lrs_toml_at(sec, i);
    if (strcmp(key, "axis") == 0) {
      LRS_TRY(dup_string(cfg, v, key, &cfg->refine_axis));
      cfg->refine_axis_line = lrs_toml_line(v);
      cfg->refine_axis_column = lrs_toml_column(v);
    } else if (strcmp(key, "predicate") == 0) {
      LRS_TRY(dup_string(cfg, v, key, &cfg->refine_predicate));
      if (!cfg->refine_predicate[0])
        return fail_node(cfg, v, "predicate: expected an expression such as "
                                 "'status == \"converged\"'");
      r->predicate = cfg->refine_predicate;
      r->predicate_line = lrs_toml_line(v);
      r->predicate_column = lrs_toml_column(v);
    } else if (strcmp(key, "scale") == 0) {
      const char *s;
      size_t len;
      if (!lrs_toml_as_string(v, &s, &len) || (strcmp(s, "log") != 0 && strcmp(s, "linear") != 0))
        return fail_node(cfg, v, "scale: expected \"log\" or \"linear\"");
      scale = strcmp(s, "log") == 0;
    } else if (strcmp(key, "rtol") == 0) {
      LRS_TRY(refine_number(cfg, v, key, 0, 1, &r->rtol));
    } else if (strcmp(key, "rate_ci") == 0) {
      LRS_TRY(refine_number(cfg, v, key, 0, 1, &r->rate_ci));
    } else if (strcmp(key, "max_generations") == 0) {
      LRS_TRY(refine_count(cfg, v, key, 1, &r->max_generations));
    } else if (strcmp(key, "max_seeds") == 0) {
      LRS_TRY(refine_count(cfg, v, key, 2, &r->max_seeds));
    } else if (strcmp(key, "seed_batch") == 0) {
      LRS_TRY(refine_count(cfg, v, key, 1, &r->seed_batch));
    } else {
      return unknown_key(cfg, v, key, "refine", refine_keys);
    }
  }
  if (!cfg->refine_axis != !cfg->refine_predicate)
    return fail_at(cfg, r->line, 1,
                   "[refine]: axis and predicate go together (bisect AXIS where PREDICATE "
                   "flips)");
  if (!cfg->refine_axis && !(r->rate_ci > 0))
    return fail_at(cfg, r->line, 1,
                   "[refine]: nothing to refine; give axis and predicate, or rate_ci");
  r->bisect = cfg->refine_axis != NULL;
  cfg->refine_scale = scale;
  return LRS_OK;
}

/* After the axes are final: the bisection axis must be a numeric, unzipped
 * grid axis with at least two values (the first bracket). */
static lrs_status resolve_refine(lrs_config *cfg) {
  lrs_refine_options *r = &cfg->refine;
  if (!r->bisect)
    return LRS_OK;
  const char *name = cfg->refine_axis;
  int line = cfg->refine_axis_line, col = cfg->refine_axis_column;
  if (strcmp(name, "seed") == 0)
    return fail_at(cfg, line, col, "axis = \"seed\": seeds are not bisected (use rate_ci)");
  size_t a = 0;
  while (a < cfg->n_axes && strcmp(cfg->axes[a].param->name, name) != 0)
    a++;
  if (a == cfg->n_axes) {
    if (lrs_param_find(name))
      return fail_at(cfg, line, col, "axis = \"%s\": not an axis of [grid]; give it values there "
                                     "(the first bracket)", name);
    size_t n;
    const lrs_param *t = lrs_param_table(&n);
    const char *names[MAX_PARAMS];
    for (size_t i = 0; i < n && i < MAX_PARAMS; i++)
      names[i] = t[i].name;
    char hint[128];
    suggest(name, names, n < MAX_PARAMS ? n : MAX_PARAMS, hint, sizeof hint);
    return fail_at(cfg, line, col, "axis = \"%s\": no such parameter%s", name, hint);
  }
  const lrs_axis *axis = &cfg->axes[a];
  if (axis->param->type == LRS_PARAM_ENUM)
    return fail_at(cfg, line, col, "axis = \"%s\": a named (enum) axis cannot be bisected", name);
  if (axis->zip_group >= 0)
    return fail_at(cfg, line, col,
                   "axis = \"%s\": a zipped axis cannot be bisected alone (line %d)", name,
                   axis->line);
  if (axis->length < 2)
    return fail_at(cfg, line, col, "axis = \"%s\": needs at least two values (line %d)", name,
                   axis->line);
  r->log_scale = cfg->refine_scale == -1 ? axis->log_scale : cfg->refine_scale == 1;
  if (r->log_scale)
    for (size_t i = 0; i < axis->length; i++)
      if (!(axis->values[i] > 0))
        return fail_at(cfg, line, col, "axis = \"%s\": log-scale bisection needs values > 0 "
                                       "(line %d); set scale = \"linear\"", name, axis->line);
  r->axis = a;
  return LRS_OK;
}

/* ---- whole file ------------------------------------------------------------ */

static void set_defaults(lrs_config *cfg) {
  size_t n;
  const lrs_param *t = lrs_param_table(&n);
  memset(&cfg->base, 0, sizeof cfg->base);
  for (size_t i = 0; i < n; i++)
    lrs_param_set(&cfg->base, &t[i], t[i].fallback);
  cfg->replicates = -1;
  cfg->run = (lrs_run_options){.group_size = 0, .drain_seconds = NAN};
  cfg->refine = (lrs_refine_options){
      .rtol = 0.01, .max_generations = 40, .max_seeds = 32, .seed_batch = 4};
}

static lrs_status finish(lrs_config *cfg, int replicates_line) {
  const lrs_param *pscale = lrs_param_find("init_scale");
  const lrs_param *pexp = lrs_param_find("init_exponent");
  bool scale_given = cfg->line[param_index(pscale)] > 0;
  bool exp_given = cfg->line[param_index(pexp)] > 0;
  if (scale_given && exp_given)
    return fail_at(cfg, cfg->line[param_index(pexp)], cfg->column[param_index(pexp)],
                   "init_exponent and init_scale (line %d) both set the initial std; give one",
                   cfg->line[param_index(pscale)]);
  if (exp_given)
    cfg->base.init_scale = NAN;

  /* data = "file" and data_file go together; "file" is no axis value (one
   * file per sweep, read and checked once before the points run). */
  const lrs_param *pdata = lrs_param_find("data");
  const lrs_axis *data_axis = find_axis(cfg, "data");
  if (data_axis)
    for (size_t k = 0; k < data_axis->length; k++)
      if ((int)data_axis->values[k] == LRS_DATA_FILE)
        return fail_at(cfg, data_axis->line, data_axis->column,
                       "data = \"file\" cannot be an axis value; give it in [problem] with "
                       "data_file");
  if (cfg->base.data == LRS_DATA_FILE && !cfg->base.data_file[0])
    return fail_at(cfg, cfg->line[param_index(pdata)], cfg->column[param_index(pdata)],
                   "data = \"file\" needs data_file = \"PATH.h5\" in [problem]");
  if (cfg->base.data_file[0] && (cfg->base.data != LRS_DATA_FILE || data_axis))
    return fail_at(cfg, cfg->data_file_line, cfg->data_file_column,
                   "data_file is read only with data = \"file\" in [problem]");

  lrs_axis *seed = find_axis(cfg, "seed");
  if (seed && cfg->replicates > 0)
    return fail_at(cfg, replicates_line, 1,
                   "replicates and the [grid] seed axis (line %d) both set the seeds; give one",
                   seed->line);
  if (!seed) {
    int64_t r = cfg->replicates > 0 ? cfg->replicates : 1;
    seed = &cfg->axes[cfg->n_axes++];
    *seed = (lrs_axis){.param = lrs_param_find("seed"), .zip_group = -1,
                       .line = replicates_line, .column = 1};
    seed->values = malloc((size_t)r * sizeof(double));
    LRS_TRY(LRS_CHECK_ALLOC(seed->values));
    seed->length = (size_t)r;
    for (int64_t i = 0; i < r; i++)
      seed->values[i] = (double)i;
  }
  /* Canonical order = parameter-table order (replicate is last). */
  qsort(cfg->axes, cfg->n_axes, sizeof cfg->axes[0], axis_order);

  if (!cfg->name) {
    const char *base = strrchr(cfg->source, '/');
    base = base ? base + 1 : cfg->source;
    size_t len = strcspn(base, ".");
    cfg->name = strndup(base, len ? len : strlen(base));
    LRS_TRY(LRS_CHECK_ALLOC(cfg->name));
    if (!valid_sweep_name(cfg->name))
      return fail_at(cfg, 0, 0, "the file name does not make a valid sweep name; set [sweep] name");
  }
  if (!cfg->store) {
    size_t len = strlen(cfg->name) + 4;
    cfg->store = malloc(len);
    LRS_TRY(LRS_CHECK_ALLOC(cfg->store));
    snprintf(cfg->store, len, "%s.h5", cfg->name);
  }
  if (!cfg->description) {
    cfg->description = strdup("");
    LRS_TRY(LRS_CHECK_ALLOC(cfg->description));
  }
  return LRS_OK;
}

static lrs_status load(lrs_config *cfg) {
  lrs_toml_doc *doc = NULL;
  lrs_status st = lrs_toml_parse_string(cfg->text, cfg->text_len, cfg->source, &doc);
  if (st != LRS_OK)
    return st;
  const lrs_toml_node *root = lrs_toml_root(doc);
  const lrs_toml_node *sections[N_SECTIONS] = {NULL};
  for (size_t i = 0; i < lrs_toml_count(root); i++) {
    const char *key = lrs_toml_key_at(root, i, NULL);
    const lrs_toml_node *v = lrs_toml_at(root, i);
    int s = lrs_name_lookup(section_names, key);
    if (s < 0) {
      char hint[128];
      suggest(key, section_names, N_SECTIONS, hint, sizeof hint);
      const char *home = home_of(key);
      if (home)
        st = fail_node(cfg, v, "'%s' must be inside [%s]", key, home);
      else
        st = fail_node(cfg, v, "unknown section [%s]%s (expected [sweep], [problem], "
                               "[solver], [grid], [run], [refine])", key, hint);
      goto done;
    }
    if (lrs_toml_type_of(v) != LRS_TOML_TABLE) {
      st = fail_node(cfg, v, "'%s' must be a table: write [%s] on its own line", key, key);
      goto done;
    }
    sections[s] = v;
  }
  int replicates_line = 0;
  if (sections[0])
    LRS_TRY_GOTO(st, read_sweep(cfg, sections[0], &replicates_line), done);
  if (sections[1])
    LRS_TRY_GOTO(st, read_fixed(cfg, sections[1], "problem"), done);
  if (sections[2])
    LRS_TRY_GOTO(st, read_fixed(cfg, sections[2], "solver"), done);
  if (sections[3])
    LRS_TRY_GOTO(st, read_grid(cfg, sections[3]), done);
  if (sections[4])
    LRS_TRY_GOTO(st, read_run(cfg, sections[4]), done);
  if (sections[5])
    LRS_TRY_GOTO(st, read_refine(cfg, sections[5]), done);
  LRS_TRY_GOTO(st, finish(cfg, replicates_line), done);
  if (sections[5])
    st = resolve_refine(cfg);
done:
  lrs_toml_destroy(&doc);
  return st;
}

lrs_status lrs_config_load_string(const char *text, size_t len, const char *name,
                                  lrs_config **out) {
  *out = NULL;
  lrs_config *cfg = calloc(1, sizeof *cfg);
  LRS_TRY(LRS_CHECK_ALLOC(cfg));
  lrs_status st = LRS_OK;
  cfg->source = strdup(name);
  cfg->text = malloc(len + 1);
  if (!cfg->source || !cfg->text) {
    st = LRS_RAISE(LRS_ERR_NOMEM, "out of memory reading %s", name);
    goto done;
  }
  memcpy(cfg->text, text, len);
  cfg->text[len] = '\0';
  cfg->text_len = len;
  set_defaults(cfg);
  st = load(cfg);
done:
  if (st != LRS_OK)
    lrs_config_destroy(&cfg);
  *out = cfg;
  return st;
}

lrs_status lrs_config_load_file(const char *path, lrs_config **out) {
  *out = NULL;
  FILE *f = fopen(path, "rb");
  if (!f)
    return LRS_RAISE(LRS_ERR_IO, "%s: %s", path, strerror(errno));
  struct stat info; /* fopen opens a directory; reading it fails with no word why */
  if (fstat(fileno(f), &info) == 0 && S_ISDIR(info.st_mode)) {
    fclose(f);
    return LRS_RAISE(LRS_ERR_IO, "%s: is a directory, not a sweep file", path);
  }
  lrs_status st = LRS_OK;
  char *text = NULL;
  size_t len = 0, cap = 0;
  for (;;) {
    if (len == cap) {
      cap = cap ? 2 * cap : 4096;
      char *grown = realloc(text, cap);
      if (!grown) {
        st = LRS_RAISE(LRS_ERR_NOMEM, "out of memory reading %s", path);
        goto done;
      }
      text = grown;
    }
    size_t got = fread(text + len, 1, cap - len, f);
    len += got;
    if (got == 0)
      break;
  }
  if (ferror(f)) {
    st = LRS_RAISE(LRS_ERR_IO, "%s: read error", path);
    goto done;
  }
  /* A store (or any HDF5 file) given where a sweep file goes: say so, not
   * "invalid UTF-8" at its first byte. */
  static const char hdf5_signature[8] = {'\x89', 'H', 'D', 'F', '\r', '\n', '\x1a', '\n'};
  if (len >= sizeof hdf5_signature && memcmp(text, hdf5_signature, sizeof hdf5_signature) == 0) {
    st = LRS_RAISE(LRS_ERR_CONFIG, "%s: an HDF5 file (a store?), not a sweep file (TOML text)",
                   path);
    goto done;
  }
  st = lrs_config_load_string(text ? text : "", len, path, out);
done:
  free(text);
  fclose(f);
  return st;
}

void lrs_config_destroy(lrs_config **cfg) {
  if (!cfg || !*cfg)
    return;
  lrs_config *c = *cfg;
  for (size_t i = 0; i < c->n_axes; i++)
    free(c->axes[i].values);
  free(c->source);
  free(c->text);
  free(c->name);
  free(c->store);
  free(c->description);
  free(c->refine_axis);
  free(c->refine_predicate);
  free(c);
  *cfg = NULL;
}

const char *lrs_config_source(const lrs_config *cfg) { return cfg->source; }
const char *lrs_config_text(const lrs_config *cfg, size_t *len) {
  if (len)
    *len = cfg->text_len;
  return cfg->text;
}
const char *lrs_config_name(const lrs_config *cfg) { return cfg->name; }
const char *lrs_config_description(const lrs_config *cfg) { return cfg->description; }
const char *lrs_config_store(const lrs_config *cfg) { return cfg->store; }
const lrs_point *lrs_config_base(const lrs_config *cfg) { return &cfg->base; }
const lrs_run_options *lrs_config_run(const lrs_config *cfg) { return &cfg->run; }
const lrs_refine_options *lrs_config_refine(const lrs_config *cfg) { return &cfg->refine; }
size_t lrs_config_axis_count(const lrs_config *cfg) { return cfg->n_axes; }

size_t lrs_config_pin_values(lrs_config *cfg, const lrs_param *param, const double *stored,
                             size_t n_stored, double rtol) {
  lrs_axis *axis = NULL;
  for (size_t i = 0; i < cfg->n_axes; i++)
    if (cfg->axes[i].param == param)
      axis = &cfg->axes[i];
  if (!axis || param->type != LRS_PARAM_REAL)
    return 0;
  double scale = 0.0; /* the axis's magnitude: a 0 compares to it */
  for (size_t k = 0; k < axis->length; k++)
    scale = fmax(scale, fabs(axis->values[k]));
  size_t pinned = 0;
  for (size_t k = 0; k < axis->length; k++) {
    double v = axis->values[k];
    for (size_t j = 0; j < n_stored; j++) {
      double s = stored[j];
      double tol = v == 0.0 ? LRS_RANGE_RTOL * scale : rtol * fmax(fabs(s), fabs(v));
      if (s == v || !(fabs(s - v) <= tol))
        continue;
      bool taken = false; /* two values never pin to one */
      for (size_t q = 0; q < axis->length && !taken; q++)
        taken = axis->values[q] == s;
      if (!taken) {
        axis->values[k] = s;
        pinned++;
      }
      break;
    }
  }
  return pinned;
}
const lrs_axis *lrs_config_axis(const lrs_config *cfg, size_t i) {
  return i < cfg->n_axes ? &cfg->axes[i] : NULL;
}

uint32_t lrs_config_methods(const lrs_config *cfg) {
  const lrs_param *method = lrs_param_find("method");
  for (size_t i = 0; i < cfg->n_axes; i++)
    if (cfg->axes[i].param == method) {
      uint32_t bits = 0;
      for (size_t k = 0; k < cfg->axes[i].length; k++)
        bits |= LRS_PARAM_METHOD((int)cfg->axes[i].values[k]);
      return bits;
    }
  return LRS_PARAM_METHOD(cfg->base.method);
}

bool lrs_config_axis_idle(const lrs_config *cfg, size_t i, char *why, size_t cap) {
  const lrs_axis *a = lrs_config_axis(cfg, i);
  const uint32_t ran = lrs_config_methods(cfg);
  if (!a || !a->param->methods || (a->param->methods & ran) || a->length < 2)
    return false;
  char ran_text[64] = "", acts[64] = "";
  for (int m = 0; m < LRS_METHOD_COUNT; m++) {
    const uint32_t bit = LRS_PARAM_METHOD(m);
    char *list = (ran & bit) ? ran_text : (a->param->methods & bit) ? acts : NULL;
    if (list) {
      size_t used = strlen(list);
      snprintf(list + used, sizeof ran_text - used, "%s%s", used ? ", " : "", lrs_method_names[m]);
    }
  }
  snprintf(why, cap,
           "axis %s: method %s does not use %s (it acts with %s only), so its %zu values give "
           "the same solve",
           a->param->name, ran_text, a->param->name, acts, a->length);
  return true;
}

lrs_status lrs_config_check_data_file(const lrs_config *cfg) {
  if (!cfg->base.data_file[0])
    return LRS_OK;
  FILE *f = fopen(cfg->base.data_file, "rb");
  if (f) {
    fclose(f);
    return LRS_OK;
  }
  const char *why = strerror(errno);
  char what[LRS_DATA_PATH_MAX + 64];
  snprintf(what, sizeof what, "data_file = \"%s\": ", cfg->data_file_raw);
  if (cfg->data_file_line > 0)
    return LRS_RAISE(LRS_ERR_IO, "%s:%d:%d: %s%s: %s", cfg->source, cfg->data_file_line,
                     cfg->data_file_column, what, cfg->base.data_file, why);
  return LRS_RAISE(LRS_ERR_IO, "%s: %s%s: %s", cfg->source, what, cfg->base.data_file, why);
}

/* ---- constraints between parameters ------------------------------------------ */

static bool is_word_char(char c) {
  return c == '_' || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9');
}

/* The parameter given in the file (line > 0) whose name comes first in `what`
 * as a whole word; `fallback` when there is none. */
static size_t named_in(const lrs_config *cfg, const char *what, size_t fallback) {
  size_t n, pick = fallback;
  const lrs_param *table = lrs_param_table(&n);
  const char *first = NULL;
  for (size_t k = 0; k < n; k++) {
    if (cfg->line[k] == 0)
      continue;
    const char *name = key_name(&table[k]);
    size_t len = strlen(name);
    for (const char *at = strstr(what, name); at; at = strstr(at + 1, name))
      if ((at == what || !is_word_char(at[-1])) && !is_word_char(at[len])) {
        if (!first || at < first)
          first = at, pick = k;
        break;
      }
  }
  return pick;
}

/* Fails at the place parameter `name` was given (fixed key or axis), or, when
 * the file leaves it at its default, at another parameter the message names. */
#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
static lrs_status violate(const lrs_config *cfg, const lrs_point *pt, const char *name,
                          const char *fmt, ...) {
  char what[640];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  size_t i = param_index(lrs_param_find(name));
  if (cfg->line[i] == 0) /* defaulted: point to what the message names that the file sets */
    i = named_in(cfg, what, i);
  return fail_at(cfg, cfg->line[i], cfg->column[i], "%s (point %llu)", what,
                 (unsigned long long)pt->index);
}

lrs_status lrs_config_check_point(const lrs_config *cfg, const lrs_point *p) {
  lrs_violation v;
  if (lrs_kind_check_point(p, &v))
    return LRS_OK;
  return violate(cfg, p, v.param, "%s", v.what);
}

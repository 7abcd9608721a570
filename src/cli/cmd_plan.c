/* `lrsweep plan` and `lrsweep points`: look at a sweep before running it. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "lrsweep/kind.h"
#include "lrsweep/result.h"
#include "lrsweep/store.h"

/* Prints up to `show` values of an axis, eliding the middle of long ones. */
/* plan warns (README, "Limits") past these: a point's memory on its rank, the
 * store's size. */
#define LRS_PLAN_WARN_MEMORY ((size_t)4 << 30)
#define LRS_PLAN_WARN_STORE ((size_t)20 << 30)

static void print_axis_values(const lrs_axis *a) {
  const size_t show = 8;
  char text[64];
  for (size_t i = 0; i < a->length; i++) {
    if (a->length > show && i == show / 2) {
      printf(", …");
      i = a->length - show / 2;
    }
    char human[64];
    lrs_param_format(a->param, a->values[i], text, sizeof text);
    printf("%s%s", i ? ", " : " ", lrs_cli_human_number(text, human, sizeof human));
  }
}

/* "58 Mflop", "6.87 Tflop": three digits and an SI prefix, as a person writes
 * a count next to "5 GFLOP/s" (not "5.8e+07"). */
static const char *format_flop(double flop, char *buf, size_t cap) {
  static const char *const prefix[] = {"", "k", "M", "G", "T", "P", "E", "Z", "Y"};
  size_t k = 0;
  while (flop >= 999.5 && k + 1 < sizeof prefix / sizeof prefix[0]) /* "%.3g" stays < 1e3 */
    flop /= 1000, k++;
  snprintf(buf, cap, "%.3g %sflop", flop, prefix[k]);
  return buf;
}

static const char *axis_name(const lrs_axis *a) {
  return strcmp(a->param->name, "replicate") ? a->param->name : "seed";
}

static int plan(int argc, char **argv) {
  for (int i = 1; i < argc; i++)
    if (argv[i][0] == '-' && argv[i][1])
      return lrs_cli_bad_option(&lrs_cli_plan, argv[i], i + 1 == argc);
  if (argc > 2)
    return lrs_cli_usage_error("plan", "expected one sweep file, got '%s' and '%s'", argv[1],
                               argv[2]);
  if (argc != 2)
    return lrs_cli_usage_error("plan", "expected one sweep file");
  lrs_config *cfg = NULL;
  lrs_grid *grid = NULL;
  lrs_status st = lrs_cli_open_sweep(argv[1], &cfg, &grid);
  if (st != LRS_OK)
    return lrs_cli_fail(st);
  lrs_cli_warn_sweep(cfg);

  const lrs_point *base = lrs_config_base(cfg);
  printf("sweep    %s  (%s)\n", lrs_config_name(cfg), lrs_config_source(cfg));
  if (lrs_config_description(cfg)[0])
    printf("         %s\n", lrs_config_description(cfg));
  printf("store    %s\n", lrs_config_store(cfg));
  printf("model    %s, method %s\n", lrs_model_names[base->model],
         lrs_method_names[base->method]);
  printf("axes     (product order; the last varies fastest)\n");
  for (size_t i = 0; i < lrs_config_axis_count(cfg); i++) {
    const lrs_axis *a = lrs_config_axis(cfg, i);
    printf("  %-16s %6zu value%s%s%s  ", axis_name(a), a->length, a->length == 1 ? " " : "s",
           a->log_scale ? " log" : "    ", a->zip_group >= 0 ? " zip" : "    ");
    print_axis_values(a);
    printf("\n");
  }
  uint64_t n = lrs_grid_size(grid);
  printf("points   %" PRIu64 "\n", n);

  char key[LRS_GRID_KEY_MAX];
  lrs_point p;
  double cost = 0, memory = 0, store_bytes = 0;
  uint64_t biggest = 0;
  double biggest_records = 0; /* bytes of its records, if it runs to max_iter */
  for (uint64_t i = 0; i < n && st == LRS_OK; i++) {
    st = lrs_grid_point(grid, i, &p);
    cost += lrs_point_cost(&p);
    const double m = lrs_point_memory(&p);
    if (m > memory) {
      memory = m, biggest = i;
      biggest_records = (double)lrs_point_max_records(&p) * (double)sizeof(lrs_record);
    }
    store_bytes += (double)(sizeof(lrs_store_row) + LRS_GRID_KEY_MAX / 4) +
                   (double)lrs_point_max_records(&p) * (double)sizeof(lrs_record);
    if (st == LRS_OK && (i == 0 || i == n - 1)) {
      st = lrs_grid_key(grid, &p, key, sizeof key);
      printf("%-8s #%" PRIu64 "  %s\n", i == 0 ? "first" : "last", i, key);
    }
  }
  /* 5 GFLOP/s is a conservative sustained rate for one core on these sizes. */
  char core_time[32], flop[32];
  printf("cost     ~%s, ~%s of one core at 5 GFLOP/s\n",
         format_flop(cost, flop, sizeof flop),
         lrs_format_seconds(cost / 5e9, core_time, sizeof core_time));
  char mem_text[32], store_text[32];
  lrs_format_bytes(memory, mem_text, sizeof mem_text);
  lrs_format_bytes(store_bytes, store_text, sizeof store_text);
  printf("memory   ~%s per rank at most (point #%" PRIu64 "); store up to ~%s\n", mem_text,
         biggest, store_text);
  if (memory > (double)LRS_PLAN_WARN_MEMORY && biggest_records > memory / 2) {
    char rec_text[32];
    fprintf(stderr, "lrsweep plan: warning: point #%" PRIu64 " may need ~%s of memory on its "
                    "rank (over %d GiB), ~%s of it for its records if it runs to max_iter: "
                    "fewer records per point (records, record_every)\n",
            biggest, mem_text, (int)(LRS_PLAN_WARN_MEMORY >> 30),
            lrs_format_bytes(biggest_records, rec_text, sizeof rec_text));
  } else if (memory > (double)LRS_PLAN_WARN_MEMORY)
    fprintf(stderr, "lrsweep plan: warning: point #%" PRIu64 " may need ~%s of memory on its "
                    "rank (over %d GiB): give such points a group of ranks (group_size) or "
                    "fewer of them per node\n", biggest, mem_text, (int)(LRS_PLAN_WARN_MEMORY >> 30));
  if (store_bytes > (double)LRS_PLAN_WARN_STORE)
    fprintf(stderr, "lrsweep plan: warning: the store may grow to ~%s (over %d GiB): fewer "
                    "records per point (records, record_every) make it smaller\n",
            store_text, (int)(LRS_PLAN_WARN_STORE >> 30));
  const lrs_refine_options *r = lrs_config_refine(cfg);
  if (r->bisect)
    printf("refine   bisect %s (%s scale) where %s flips, to rtol %g, at most %lld steps per "
           "cell\n",
           lrs_config_axis(cfg, r->axis)->param->name, r->log_scale ? "log" : "linear",
           r->predicate, r->rtol, (long long)r->max_generations);
  if (r->rate_ci > 0)
    printf("refine   seeds until the median rate's 95%% interval is within ±%g, %lld per "
           "round, at most %lld per cell\n",
           r->rate_ci, (long long)r->seed_batch, (long long)r->max_seeds);
  lrs_grid_destroy(&grid);
  lrs_config_destroy(&cfg);
  return st == LRS_OK ? LRS_EXIT_OK : lrs_cli_fail(st);
}

static void json_string(const char *s) {
  putchar('"');
  for (; *s; s++) {
    if (*s == '"' || *s == '\\')
      printf("\\%c", *s);
    else if ((unsigned char)*s < 0x20)
      printf("\\u%04x", (unsigned char)*s);
    else
      putchar(*s);
  }
  putchar('"');
}

static int points(int argc, char **argv) {
  const char *format = "tsv", *path = NULL;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--format") == 0 && i + 1 < argc)
      format = argv[++i];
    else if (strncmp(argv[i], "--format=", 9) == 0)
      format = argv[i] + 9;
    else if (argv[i][0] == '-')
      return lrs_cli_bad_option(&lrs_cli_points, argv[i], i + 1 == argc);
    else if (path)
      return lrs_cli_usage_error("points", "expected one sweep file, got '%s' and '%s'", path,
                                  argv[i]);
    else
      path = argv[i];
  }
  bool json = strcmp(format, "json") == 0;
  if (!json && strcmp(format, "tsv") != 0)
    return lrs_cli_usage_error("points", "--format must be tsv or json, not '%s'", format);
  if (!path)
    return lrs_cli_usage_error("points", "expected a sweep file");

  lrs_config *cfg = NULL;
  lrs_grid *grid = NULL;
  lrs_status st = lrs_cli_open_sweep(path, &cfg, &grid);
  if (st != LRS_OK)
    return lrs_cli_fail(st);
  size_t n_axes = lrs_config_axis_count(cfg);
  if (!json) {
    printf("index\thash\tkey");
    for (size_t a = 0; a < n_axes; a++)
      printf("\t%s", axis_name(lrs_config_axis(cfg, a)));
    printf("\n");
  }
  char key[LRS_GRID_KEY_MAX], value[64];
  lrs_point p;
  for (uint64_t i = 0; i < lrs_grid_size(grid) && st == LRS_OK; i++) {
    st = lrs_grid_point(grid, i, &p);
    if (st == LRS_OK)
      st = lrs_grid_key(grid, &p, key, sizeof key);
    if (st != LRS_OK)
      break;
    uint64_t hash = lrs_key_hash(key);
    if (json) {
      printf("{\"index\": %" PRIu64 ", \"hash\": \"%016" PRIx64 "\", \"key\": ", i, hash);
      json_string(key);
    } else {
      printf("%" PRIu64 "\t%016" PRIx64 "\t%s", i, hash, key);
    }
    for (size_t a = 0; a < n_axes; a++) {
      const lrs_param *param = lrs_config_axis(cfg, a)->param;
      double v = lrs_param_get(&p, param);
      lrs_param_format(param, v, value, sizeof value);
      if (!json)
        printf("\t%s", value);
      else if (param->type == LRS_PARAM_ENUM) {
        printf(", \"%s\": ", axis_name(lrs_config_axis(cfg, a)));
        json_string(value);
      } else
        printf(", \"%s\": %s", axis_name(lrs_config_axis(cfg, a)), value);
    }
    printf(json ? "}\n" : "\n");
  }
  lrs_grid_destroy(&grid);
  lrs_config_destroy(&cfg);
  return st == LRS_OK ? LRS_EXIT_OK : lrs_cli_fail(st);
}

const lrs_cli_command lrs_cli_plan = {
    "plan", "validate a sweep file and summarize its grid",
    "usage: lrsweep plan SWEEP.toml\n"
    "\n"
    "Validates the sweep file (every point), then prints its axes in product order,\n"
    "the number of points, the first and last points with their keys, a rough\n"
    "cost estimate (floating-point operations of the iteration budget), and rough\n"
    "bounds of the largest point's memory on its rank and of the store's size\n"
    "(warnings on stderr, nothing refused, above 4 GiB per point or 20 GiB of\n"
    "store).\n",
    plan};

const lrs_cli_command lrs_cli_points = {
    "points", "list every point of a sweep with its index, key and hash",
    "usage: lrsweep points SWEEP.toml [--format tsv|json]\n"
    "\n"
    "Prints one line per grid point: index, 64-bit key hash (hex), canonical key,\n"
    "then each axis value.  tsv (default) has a header line; json prints one JSON\n"
    "object per line (JSON Lines) with the same fields.\n",
    points};

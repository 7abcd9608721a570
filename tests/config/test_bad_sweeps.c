/*
 * Each file named on the command line is a bad sweep file whose first line is
 * "# expect: PART | PART ...": loading it (and validating its grid) must fail
 * with a message containing every PART (file:line:col first).
 */
#include <stdio.h>
#include <string.h>

#include "lrs_test.h"
#include "lrsweep/config.h"
#include "lrsweep/grid.h"

static lrs_status load_and_validate(const char *path) {
  lrs_config *cfg = NULL;
  lrs_grid *grid = NULL;
  lrs_status st = lrs_config_load_file(path, &cfg);
  if (st == LRS_OK)
    st = lrs_grid_create(cfg, &grid);
  if (st == LRS_OK)
    st = lrs_grid_validate(grid);
  lrs_grid_destroy(&grid);
  lrs_config_destroy(&cfg);
  return st;
}

static void check_file(const char *path) {
  char line[1024] = "";
  FILE *f = fopen(path, "r");
  if (!f || !fgets(line, sizeof line, f) || strncmp(line, "# expect: ", 10) != 0) {
    LRS_CHECK(false, "%s starts with '# expect: '", path);
    if (f)
      fclose(f);
    return;
  }
  fclose(f);
  line[strcspn(line, "\n")] = '\0';
  const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;

  lrs_error_clear();
  lrs_status st = load_and_validate(path);
  const char *msg = lrs_error_message();
  bool all = st != LRS_OK;
  for (char *part = strtok(line + 10, "|"); part && all; part = strtok(NULL, "|")) {
    while (*part == ' ')
      part++;
    size_t len = strlen(part);
    while (len && part[len - 1] == ' ')
      part[--len] = '\0';
    all = strstr(msg, part) != NULL;
  }
  LRS_CHECK(all && (st == LRS_ERR_CONFIG || st == LRS_ERR_PARSE), "%s refused: %s", base, msg);
  LRS_CHECK(strchr(msg, '\n') == NULL, "%s: message is one line", base);
}

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++)
    check_file(argv[i]);
  LRS_CHECK(argc > 10, "at least 10 bad sweep files were checked (%d)", argc - 1);
  return lrs_test_done();
}

/*
 * replay — runs a libFuzzer target's checks without libFuzzer: every file of
 * the directories (or the files) named on the command line is passed once to
 * LLVMFuzzerTestOneInput, whose checks abort on a failure.  Built with the
 * tests in every build (gcc or clang, with or without the sanitizers), so the
 * committed corpora run in CI on every change (meson tests fuzz-replay-*);
 * the fuzzing itself is scripts/fuzz-*.sh.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Reads one file and passes it to the target; 0, or 1 when unreadable. */
static int replay_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    perror(path);
    return 1;
  }
  size_t cap = 4096, n = 0;
  uint8_t *buf = malloc(cap);
  for (size_t got; buf && (got = fread(buf + n, 1, cap - n, f)) > 0;) {
    n += got;
    if (n == cap) {
      uint8_t *more = realloc(buf, cap *= 2);
      if (!more) {
        free(buf);
        buf = NULL;
      }
      buf = more;
    }
  }
  int failed = !buf || ferror(f);
  fclose(f);
  if (failed)
    fprintf(stderr, "%s: cannot read\n", path);
  else
    LLVMFuzzerTestOneInput(buf, n);
  free(buf);
  return failed;
}

int main(int argc, char **argv) {
  size_t inputs = 0;
  int failed = 0;
  for (int i = 1; i < argc; i++) {
    struct stat sb;
    if (stat(argv[i], &sb) != 0 || !S_ISDIR(sb.st_mode)) {
      failed |= replay_file(argv[i]);
      inputs++;
      continue;
    }
    struct dirent **names;
    int n = scandir(argv[i], &names, NULL, alphasort); /* a fixed order */
    if (n < 0) {
      perror(argv[i]);
      return 1;
    }
    for (int k = 0; k < n; k++) {
      if (names[k]->d_name[0] != '.') {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", argv[i], names[k]->d_name);
        failed |= replay_file(path);
        inputs++;
      }
      free(names[k]);
    }
    free(names);
  }
  printf("%s %zu inputs replayed\n", failed || inputs == 0 ? "not ok 1 -" : "ok 1 -", inputs);
  printf("1..1\n");
  return failed || inputs == 0;
}

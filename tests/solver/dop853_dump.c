/* Prints the DOP853 coefficients as compiled (src/solver/dop853.c), one
 * nonzero entry a line in hex ("A i j 0x1.ap-5"), for
 * tests/solver/test_dop853_tableau.py to compare with the typed figures. */
#include <stdio.h>

#include "solver/dop853.h"

static void row(const char *name, const double *v, int first, int last) {
  for (int j = first; j <= last; j++)
    if (v[j] != 0.0)
      printf("%s %d %a\n", name, j, v[j]);
}

int main(void) {
  const lrs__dop853_tableau t = lrs__dop853_tableau_get();
  row("C", t.c, 0, 16);
  for (int i = 0; i <= 16; i++)
    for (int j = 0; j <= 16; j++)
      if (t.a[i][j] != 0.0)
        printf("A %d %d %a\n", i, j, t.a[i][j]);
  row("B", t.b, 0, 16);
  row("E5", t.e5, 0, 16);
  row("B3", t.b3, 0, 16);
  for (int r = 0; r < 8; r++)
    for (int j = 0; j <= 16; j++)
      if (t.d[r][j] != 0.0)
        printf("D %d %d %a\n", r, j, t.d[r][j]);
  return 0;
}

/*
 * The BLACS, PBLAS and ScaLAPACK entry points the `dist` backend calls.
 * These libraries ship no C header (STYLE.md pitfalls), so this is the ONE
 * place their prototypes live; only src/linalg/linalg_dist*.c include it.
 *
 * Conventions of libscalapack-openmpi (Debian 12, ScaLAPACK 2.2):
 *   - BLACS C interface (Cblacs_*, Csys2blacs_handle): plain C, by value.
 *   - PBLAS (pd*_ below: pdgemm_, pdsyrk_, pdgeadd_, pdtran_) is written in
 *     C: every argument by pointer, CHARACTER arguments as `const char *`, no
 *     hidden string lengths.
 *   - ScaLAPACK proper (numroc_, descinit_, pdsyev_, pdgesvd_, pdgeqrf_,
 *     pdorgqr_, pdpotrf_, pdpotrs_) is Fortran 77 compiled by
 *     gfortran: every argument by pointer, and each CHARACTER argument adds a
 *     hidden `size_t` length at the end of the argument list (gfortran ≥ 8),
 *     which we pass (always 1).
 *   - Matrices are column-major local arrays described by 9-int descriptors
 *     (DTYPE=1, CTXT, M, N, MB, NB, RSRC, CSRC, LLD); sub-matrices by 1-based
 *     (IA, JA) offsets into the described matrix.
 */
#ifndef LRSWEEP_SCALAPACK_H
#define LRSWEEP_SCALAPACK_H

#include <mpi.h>
#include <stddef.h>

/* Descriptor fields (0-based positions in the int[9]). */
enum {
  LRS__DESC_DTYPE = 0,
  LRS__DESC_CTXT = 1,
  LRS__DESC_M = 2,
  LRS__DESC_N = 3,
  LRS__DESC_MB = 4,
  LRS__DESC_NB = 5,
  LRS__DESC_RSRC = 6,
  LRS__DESC_CSRC = 7,
  LRS__DESC_LLD = 8,
  LRS__DESC_LEN = 9
};

/* ---------------------------------------------------------------- BLACS */
void Cblacs_pinfo(int *mypnum, int *nprocs);
int Csys2blacs_handle(MPI_Comm comm);
void Cfree_blacs_system_handle(int handle);
void Cblacs_gridinit(int *context, const char *order, int nprow, int npcol);
void Cblacs_gridinfo(int context, int *nprow, int *npcol, int *myrow, int *mycol);
void Cblacs_gridexit(int context);

/* ---------------------------------------------------------------- tools */
int numroc_(const int *n, const int *nb, const int *iproc, const int *isrcproc,
            const int *nprocs);
void descinit_(int *desc, const int *m, const int *n, const int *mb, const int *nb,
               const int *irsrc, const int *icsrc, const int *ictxt, const int *lld,
               int *info);

/* ---------------------------------------------------------------- PBLAS (C) */
void pdgemm_(const char *transa, const char *transb, const int *m, const int *n,
             const int *k, const double *alpha, const double *a, const int *ia,
             const int *ja, const int *desca, const double *b, const int *ib,
             const int *jb, const int *descb, const double *beta, double *c,
             const int *ic, const int *jc, const int *descc);
void pdsyrk_(const char *uplo, const char *trans, const int *n, const int *k,
             const double *alpha, const double *a, const int *ia, const int *ja,
             const int *desca, const double *beta, double *c, const int *ic,
             const int *jc, const int *descc);
/* sub(C) := beta·sub(C) + alpha·op(sub(A)); beta = 0: C is not read. */
void pdgeadd_(const char *trans, const int *m, const int *n, const double *alpha,
              const double *a, const int *ia, const int *ja, const int *desca,
              const double *beta, double *c, const int *ic, const int *jc,
              const int *descc);
/* sub(C) (m×n) := beta·sub(C) + alpha·sub(A)ᵀ (sub(A) is n×m). */
void pdtran_(const int *m, const int *n, const double *alpha, const double *a,
             const int *ia, const int *ja, const int *desca, const double *beta,
             double *c, const int *ic, const int *jc, const int *descc);

/* ---------------------------------------------------------------- ScaLAPACK (Fortran) */
void pdsyev_(const char *jobz, const char *uplo, const int *n, double *a, const int *ia,
             const int *ja, const int *desca, double *w, double *z, const int *iz,
             const int *jz, const int *descz, double *work, const int *lwork, int *info,
             size_t jobz_len, size_t uplo_len);
void pdgesvd_(const char *jobu, const char *jobvt, const int *m, const int *n, double *a,
              const int *ia, const int *ja, const int *desca, double *s, double *u,
              const int *iu, const int *ju, const int *descu, double *vt, const int *ivt,
              const int *jvt, const int *descvt, double *work, const int *lwork, int *info,
              size_t jobu_len, size_t jobvt_len);
void pdgeqrf_(const int *m, const int *n, double *a, const int *ia, const int *ja,
              const int *desca, double *tau, double *work, const int *lwork, int *info);
void pdorgqr_(const int *m, const int *n, const int *k, double *a, const int *ia,
              const int *ja, const int *desca, const double *tau, double *work,
              const int *lwork, int *info);
void pdpotrf_(const char *uplo, const int *n, double *a, const int *ia, const int *ja,
              const int *desca, int *info, size_t uplo_len);
void pdpotrs_(const char *uplo, const int *n, const int *nrhs, const double *a,
              const int *ia, const int *ja, const int *desca, double *b, const int *ib,
              const int *jb, const int *descb, int *info, size_t uplo_len);

#endif

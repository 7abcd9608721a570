/*
 * The writer's file driver: HDF5's sec2 driver behind a guard that turns the
 * first failed write (a full disk, a quota, a file size limit) into a
 * detached file.
 *
 * Why: HDF5 1.10 does not survive a failed write of its metadata.  The
 * failed flush leaves its metadata cache half way ("slist already
 * enabled?"), every later flush and the close fail too, and a failed
 * H5Fclose frees the file but keeps its id, so the library's cleanup at
 * MPI_Finalize crashes in it (issue 23: exit 139 with the store on a full
 * disk).  The guard never lets HDF5 see the failure: it remembers the first
 * one (errno), reports success, and from then on writes nothing more to the
 * disk (nor truncates it), so the file stays exactly as a crash at that
 * moment would leave it — which the store's write order makes resumable
 * (docs/store.md, "Crash safety").  The writer asks
 * lrs__store_guard_failed() after each flush and ends the run with that
 * errno; HDF5 then closes the file normally.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "store_private.h"

typedef struct guard_file {
  H5FD_t pub; /* first: HDF5 casts between the two */
  H5FD_t *inner;
  int failed; /* errno of the first failed write, 0 while none */
} guard_file;

static hid_t guard_id = H5I_INVALID_HID;
static hid_t inner_fapl = H5I_INVALID_HID;

static H5FD_t *guard_open(const char *name, unsigned flags, hid_t fapl, haddr_t maxaddr) {
  (void)fapl;
  guard_file *g = calloc(1, sizeof *g);
  if (!g)
    return NULL;
  g->inner = H5FDopen(name, flags, inner_fapl, maxaddr);
  if (!g->inner) {
    free(g);
    return NULL;
  }
  return &g->pub;
}

static herr_t guard_close(H5FD_t *file) {
  guard_file *g = (guard_file *)file;
  herr_t rc = H5FDclose(g->inner);
  free(g);
  return rc;
}

static int guard_cmp(const H5FD_t *a, const H5FD_t *b) {
  return H5FDcmp(((const guard_file *)a)->inner, ((const guard_file *)b)->inner);
}

static herr_t guard_query(const H5FD_t *file, unsigned long *flags) {
  /* Called without a file when HDF5 asks the driver class. */
  unsigned long inner = H5FD_FEAT_AGGREGATE_METADATA | H5FD_FEAT_ACCUMULATE_METADATA |
                        H5FD_FEAT_DATA_SIEVE | H5FD_FEAT_AGGREGATE_SMALLDATA |
                        H5FD_FEAT_SUPPORTS_SWMR_IO;
  if (file && H5FDquery(((const guard_file *)file)->inner, &inner) < 0)
    return -1;
  /* Our handle is not a POSIX descriptor. */
  *flags = inner & ~(unsigned long)H5FD_FEAT_POSIX_COMPAT_HANDLE;
  return 0;
}

static haddr_t guard_get_eoa(const H5FD_t *file, H5FD_mem_t type) {
  return H5FDget_eoa(((const guard_file *)file)->inner, type);
}

static herr_t guard_set_eoa(H5FD_t *file, H5FD_mem_t type, haddr_t addr) {
  return H5FDset_eoa(((guard_file *)file)->inner, type, addr);
}

static haddr_t guard_get_eof(const H5FD_t *file, H5FD_mem_t type) {
  const guard_file *g = (const guard_file *)file;
  /* Detached, the file ends where HDF5 thinks it does. */
  return g->failed ? H5FDget_eoa(g->inner, type) : H5FDget_eof(g->inner, type);
}

static herr_t guard_get_handle(H5FD_t *file, hid_t fapl, void **handle) {
  (void)fapl;
  *handle = file;
  return 0;
}

static herr_t guard_read(H5FD_t *file, H5FD_mem_t type, hid_t dxpl, haddr_t addr, size_t size,
                         void *buf) {
  guard_file *g = (guard_file *)file;
  if (H5FDread(g->inner, type, dxpl, addr, size, buf) >= 0)
    return 0;
  if (!g->failed)
    return -1;
  /* Detached: what was to be written past the disk's end reads as zeros
   * (HDF5 keeps what it needs in its caches until the close). */
  H5Eclear2(H5E_DEFAULT);
  memset(buf, 0, size);
  return 0;
}

static herr_t guard_write(H5FD_t *file, H5FD_mem_t type, hid_t dxpl, haddr_t addr, size_t size,
                          const void *buf) {
  guard_file *g = (guard_file *)file;
  if (g->failed)
    return 0;
  errno = 0;
  if (H5FDwrite(g->inner, type, dxpl, addr, size, buf) >= 0)
    return 0;
  g->failed = errno ? errno : EIO;
  H5Eclear2(H5E_DEFAULT);
  return 0;
}

static herr_t guard_flush(H5FD_t *file, hid_t dxpl, hbool_t closing) {
  guard_file *g = (guard_file *)file;
  if (g->failed)
    return 0;
  return H5FDflush(g->inner, dxpl, closing);
}

static herr_t guard_truncate(H5FD_t *file, hid_t dxpl, hbool_t closing) {
  guard_file *g = (guard_file *)file;
  if (g->failed)
    return 0;
  errno = 0;
  if (H5FDtruncate(g->inner, dxpl, closing) >= 0)
    return 0;
  g->failed = errno ? errno : EIO;
  H5Eclear2(H5E_DEFAULT);
  return 0;
}

static herr_t guard_lock(H5FD_t *file, hbool_t rw) {
  return H5FDlock(((guard_file *)file)->inner, rw);
}

static herr_t guard_unlock(H5FD_t *file) { return H5FDunlock(((guard_file *)file)->inner); }

static herr_t guard_terminate(void) {
  if (inner_fapl >= 0)
    H5Pclose(inner_fapl);
  inner_fapl = H5I_INVALID_HID;
  guard_id = H5I_INVALID_HID;
  return 0;
}

static const H5FD_class_t guard_class = {
    .name = "lrsweep-guard",
    .maxaddr = ((haddr_t)1 << (8 * sizeof(off_t) - 1)) - 1,
    .fc_degree = H5F_CLOSE_WEAK,
    .terminate = guard_terminate,
    .open = guard_open,
    .close = guard_close,
    .cmp = guard_cmp,
    .query = guard_query,
    .get_eoa = guard_get_eoa,
    .set_eoa = guard_set_eoa,
    .get_eof = guard_get_eof,
    .get_handle = guard_get_handle,
    .read = guard_read,
    .write = guard_write,
    .flush = guard_flush,
    .truncate = guard_truncate,
    .lock = guard_lock,
    .unlock = guard_unlock,
    .fl_map = H5FD_FLMAP_DICHOTOMY,
};

herr_t lrs__store_guard_set(hid_t fapl) {
  if (guard_id < 0 || H5Iis_valid(guard_id) <= 0) {
    /* A file size limit must fail a write, not kill the writer. */
    signal(SIGXFSZ, SIG_IGN);
    if (inner_fapl < 0 && (inner_fapl = H5Pcreate(H5P_FILE_ACCESS)) < 0)
      return -1;
    if (H5Pset_fapl_sec2(inner_fapl) < 0 || (guard_id = H5FDregister(&guard_class)) < 0)
      return -1;
  }
  return H5Pset_driver(fapl, guard_id, NULL);
}

int lrs__store_guard_failed(hid_t obj) {
  hid_t file = H5Iget_file_id(obj);
  void *handle = NULL;
  int failed = 0;
  if (file >= 0 && H5Fget_vfd_handle(file, H5P_DEFAULT, &handle) >= 0 && handle) {
    hid_t fapl = H5Fget_access_plist(file);
    if (fapl >= 0 && H5Pget_driver(fapl) == guard_id)
      failed = ((const guard_file *)handle)->failed;
    if (fapl >= 0)
      H5Pclose(fapl);
  }
  if (file >= 0)
    H5Fclose(file); /* our reference only */
  H5Eclear2(H5E_DEFAULT);
  return failed;
}

/*
 * The writer's lock: an flock(2) on "STORE.lock" holding the writer's pid and
 * host.  The kernel drops the lock when its process dies, even by SIGKILL, so
 * a held lock always means a live writer, and a free one means that any
 * "open for write" flags left in the HDF5 superblock belong to a dead one.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store_private.h"

static char *lock_path(const char *path) {
  size_t n = strlen(path) + sizeof ".lock";
  char *p = malloc(n);
  if (p)
    snprintf(p, n, "%s.lock", path);
  return p;
}

lrs_status lrs__store_lock(const char *path, int *fd_out) {
  *fd_out = -1;
  lrs_status st = LRS_OK;
  char *lp = lock_path(path);
  LRS_TRY(LRS_CHECK_ALLOC(lp));
  int fd = -1;
  /* Another writer may unlink the lock file between our open and flock:
   * retry until the locked file is the one at the path. */
  for (int attempt = 0; attempt < 100; attempt++) {
    fd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
      st = LRS_RAISE(LRS_ERR_IO, "%s: cannot create the lock file: %s", lp, strerror(errno));
      goto done;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
      int err = errno;
      char holder[128] = "";
      ssize_t n = pread(fd, holder, sizeof holder - 1, 0);
      holder[n > 0 ? n : 0] = '\0';
      holder[strcspn(holder, "\n")] = '\0';
      close(fd);
      fd = -1;
      if (err == EWOULDBLOCK)
        st = LRS_RAISE(LRS_ERR_STORE,
                       "%s: store is being written by another process (%s; lock %s); "
                       "wait for it to finish or stop it",
                       path, holder[0] ? holder : "pid unknown", lp);
      else
        st = LRS_RAISE(LRS_ERR_IO, "%s: cannot lock: %s", lp, strerror(err));
      goto done;
    }
    struct stat a, b;
    if (fstat(fd, &a) == 0 && stat(lp, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev)
      break;
    close(fd);
    fd = -1;
  }
  if (fd < 0) {
    st = LRS_RAISE(LRS_ERR_IO, "%s: cannot take the lock (it keeps changing)", lp);
    goto done;
  }
  char host[256] = "";
  gethostname(host, sizeof host - 1);
  char text[512];
  int len = snprintf(text, sizeof text, "pid %ld on %s\n", (long)getpid(), host);
  if (ftruncate(fd, 0) != 0 || pwrite(fd, text, (size_t)len, 0) != len) {
    st = LRS_RAISE(LRS_ERR_IO, "%s: cannot write the lock file: %s", lp, strerror(errno));
    close(fd);
    fd = -1;
    goto done;
  }
  *fd_out = fd;
done:
  free(lp);
  return st;
}

void lrs__store_unlock(const char *path, int *fd) {
  if (*fd < 0)
    return;
  char *lp = lock_path(path);
  /* Unlink while holding the lock; a waiting opener re-checks the inode. */
  if (lp)
    unlink(lp);
  free(lp);
  close(*fd);
  *fd = -1;
}

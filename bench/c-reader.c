/* The physical limit the benchmark measures ptyplex against: N children in
 * PTYs (forkpty), each running `cat FILE`, drained by one edge-triggered
 * epoll loop into a 64 KiB buffer that is thrown away. A console is done when
 * its child has been reaped and its master reads EIO (every byte read).
 * Prints one JSON line: bytes, wall seconds, this process's CPU seconds.
 * Usage: c-reader N FILE */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pty.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: c-reader N FILE\n");
    return 64;
  }
  int n = atoi(argv[1]);
  const char *file = argv[2];
  int ep = epoll_create1(EPOLL_CLOEXEC);
  int *fds = calloc(n, sizeof(int));
  int *open_ = calloc(n, sizeof(int));
  double t0 = now();
  for (int i = 0; i < n; i++) {
    int master;
    pid_t pid = forkpty(&master, NULL, NULL, NULL);
    if (pid < 0) { perror("forkpty"); return 1; }
    if (pid == 0) {
      execlp("cat", "cat", file, (char *)NULL);
      _exit(127);
    }
    fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK);
    fcntl(master, F_SETFD, FD_CLOEXEC);
    fds[i] = master;
    open_[i] = 1;
    struct epoll_event ev = {.events = EPOLLIN | EPOLLET, .data.u32 = (uint32_t)i};
    epoll_ctl(ep, EPOLL_CTL_ADD, master, &ev);
  }
  static char buf[65536];
  long long bytes = 0;
  int left = n;
  struct epoll_event evs[256];
  while (left > 0) {
    int k = epoll_wait(ep, evs, 256, -1);
    if (k < 0 && errno == EINTR) continue;
    for (int j = 0; j < k; j++) {
      int i = (int)evs[j].data.u32;
      if (!open_[i]) continue;
      for (;;) {
        ssize_t r = read(fds[i], buf, sizeof(buf));
        if (r > 0) { bytes += r; continue; }
        if (r < 0 && errno == EINTR) continue;
        if (r < 0 && errno == EAGAIN) break;
        /* EIO: the child's side is closed and drained. */
        close(fds[i]);
        open_[i] = 0;
        left--;
        break;
      }
    }
  }
  while (waitpid(-1, NULL, 0) > 0) {}
  double wall = now() - t0;
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  double cpu = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
  printf("{\"bytes\":%lld,\"wall\":%.6f,\"cpu\":%.6f}\n", bytes, wall, cpu);
  return 0;
}

// macOS/BSD backend: kqueue. Edge-triggered maps to EV_CLEAR (the filter's
// state resets once reported), one-shot to EV_DISPATCH (disabled after one
// report, re-enabled by Modify) rather than EV_ONESHOT, which would delete the
// registration and make resume a re-add. Read and write are separate filters,
// so one fd can yield two events in a batch. Not run in CI (Linux only): keep
// it simple enough to check by reading.
#if defined(__APPLE__) || defined(__FreeBSD__) || defined(__OpenBSD__) || \
    defined(__NetBSD__) || defined(__DragonFly__)

#include "backend.h"

#include <cerrno>
#include <cstdint>
#include <fcntl.h>
#include <sys/event.h>
#include <sys/time.h>
#include <sys/types.h>
#include <unistd.h>

namespace ptyplex {

namespace {

int Apply(int queue, struct kevent* changes, int n) {
  // EV_RECEIPT makes kevent report each change's status instead of events,
  // so a failure on one filter is not lost.
  struct kevent results[2];
  int r;
  do {
    r = kevent(queue, changes, n, results, n, nullptr);
  } while (r < 0 && errno == EINTR);
  if (r < 0) return -errno;
  for (int i = 0; i < r; i++) {
    if ((results[i].flags & EV_ERROR) && results[i].data != 0 &&
        results[i].data != ENOENT) {
      return -static_cast<int>(results[i].data);
    }
  }
  return 0;
}

int Register(int queue, int fd, uint32_t token, uint32_t interest) {
  uint16_t flags = EV_ADD | EV_RECEIPT;
  if (interest & kEventEdgeTriggered) flags |= EV_CLEAR;
  if (interest & kEventOneShot) flags |= EV_DISPATCH;
  struct kevent changes[2];
  int n = 0;
  void* udata = reinterpret_cast<void*>(static_cast<uintptr_t>(token));
  // Filters not asked for are deleted so Modify can narrow the interest.
  EV_SET(&changes[n++], fd, EVFILT_READ,
         (interest & kEventRead) ? flags : (EV_DELETE | EV_RECEIPT), 0, 0,
         udata);
  EV_SET(&changes[n++], fd, EVFILT_WRITE,
         (interest & kEventWrite) ? flags : (EV_DELETE | EV_RECEIPT), 0, 0,
         udata);
  return Apply(queue, changes, n);
}

}  // namespace

int Backend::Open() {
  int fd = kqueue();
  if (fd < 0) return -errno;
  fcntl(fd, F_SETFD, FD_CLOEXEC);
  return fd;
}

int Backend::Add(int queue, int fd, uint32_t token, uint32_t interest) {
  return Register(queue, fd, token, interest);
}

int Backend::Modify(int queue, int fd, uint32_t token, uint32_t interest) {
  return Register(queue, fd, token, interest);
}

int Backend::Remove(int queue, int fd) {
  struct kevent changes[2];
  EV_SET(&changes[0], fd, EVFILT_READ, EV_DELETE | EV_RECEIPT, 0, 0, nullptr);
  EV_SET(&changes[1], fd, EVFILT_WRITE, EV_DELETE | EV_RECEIPT, 0, 0, nullptr);
  return Apply(queue, changes, 2);
}

int Backend::Poll(int queue, ReadyEvent* out, int max) {
  struct kevent evs[kMaxBatch];
  if (max > kMaxBatch) max = kMaxBatch;
  struct timespec zero = {0, 0};
  int n;
  do {
    n = kevent(queue, nullptr, 0, evs, max, &zero);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return -errno;
  for (int i = 0; i < n; i++) {
    uint32_t bits = 0;
    if (evs[i].filter == EVFILT_READ) {
      bits |= kEventRead;
      if (evs[i].flags & EV_EOF) bits |= kEventHup | kEventReadHup;
    } else if (evs[i].filter == EVFILT_WRITE) {
      bits |= kEventWrite;
      if (evs[i].flags & EV_EOF) bits |= kEventHup | kEventWriteHup;
    }
    if (evs[i].flags & EV_ERROR) bits |= kEventErr;
    out[i].token = static_cast<uint32_t>(reinterpret_cast<uintptr_t>(evs[i].udata));
    out[i].events = bits;
  }
  return n;
}

}  // namespace ptyplex

#endif  // kqueue platforms

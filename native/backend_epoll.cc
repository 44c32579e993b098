// Linux backend: epoll. Registrations carry EPOLLRDHUP so a peer's half-close
// is reported, and EPOLLET when edge-triggered: a PTY master whose slave is
// closed is permanently ready (EPOLLHUP), and only an edge-triggered
// registration keeps it from spinning the loop.
#if defined(__linux__)

#include "backend.h"

#include <cerrno>
#include <sys/epoll.h>
#include <unistd.h>

namespace ptyplex {

namespace {

uint32_t ToEpoll(uint32_t interest) {
  uint32_t ev = 0;
  if (interest & kEventRead) ev |= EPOLLIN | EPOLLRDHUP;
  if (interest & kEventWrite) ev |= EPOLLOUT;
  if (interest & kEventOneShot) ev |= EPOLLONESHOT;
  if (interest & kEventEdgeTriggered) ev |= EPOLLET;
  return ev;
}

uint32_t FromEpoll(uint32_t ev) {
  uint32_t out = 0;
  if (ev & (EPOLLIN | EPOLLPRI)) out |= kEventRead;
  if (ev & EPOLLOUT) out |= kEventWrite;
  if (ev & EPOLLHUP) out |= kEventHup;
  if (ev & EPOLLRDHUP) out |= kEventReadHup;
  if (ev & EPOLLERR) out |= kEventErr;
  return out;
}

int Control(int queue, int op, int fd, uint32_t token, uint32_t interest) {
  struct epoll_event ev = {};
  ev.events = ToEpoll(interest);
  ev.data.u64 = token;
  return epoll_ctl(queue, op, fd, &ev) == 0 ? 0 : -errno;
}

}  // namespace

int Backend::Open() {
  int fd = epoll_create1(EPOLL_CLOEXEC);
  return fd >= 0 ? fd : -errno;
}

int Backend::Add(int queue, int fd, uint32_t token, uint32_t interest) {
  return Control(queue, EPOLL_CTL_ADD, fd, token, interest);
}

int Backend::Modify(int queue, int fd, uint32_t token, uint32_t interest) {
  return Control(queue, EPOLL_CTL_MOD, fd, token, interest);
}

int Backend::Remove(int queue, int fd) {
  // A non-null event pointer keeps pre-2.6.9 kernels happy; it is ignored.
  struct epoll_event unused = {};
  return epoll_ctl(queue, EPOLL_CTL_DEL, fd, &unused) == 0 ? 0 : -errno;
}

int Backend::Poll(int queue, ReadyEvent* out, int max) {
  struct epoll_event evs[kMaxBatch];
  if (max > kMaxBatch) max = kMaxBatch;
  int n;
  do {
    n = epoll_wait(queue, evs, max, 0);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return -errno;
  for (int i = 0; i < n; i++) {
    out[i].token = static_cast<uint32_t>(evs[i].data.u64);
    out[i].events = FromEpoll(evs[i].events);
  }
  return n;
}

}  // namespace ptyplex

#endif  // __linux__

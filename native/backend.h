// The OS readiness backend behind the poller: one kernel queue (epoll or
// kqueue), registrations keyed by a 32-bit token, events normalised to the
// netpoll bit flags. Every function returns 0 (or a count) or -errno; no
// policy and no Node API lives here, so each OS file stays a plain syscall
// shim (the shape of mio's selector/epoll.rs and selector/kqueue.rs).
#pragma once

#include <cstdint>

namespace ptyplex {

// netpoll's Event bits, shared with src/poller/event.ts.
enum : uint32_t {
  kEventRead = 0x1,
  kEventWrite = 0x2,
  kEventOneShot = 0x4,
  kEventEdgeTriggered = 0x8,
  kEventHup = 0x10,
  kEventReadHup = 0x20,
  kEventWriteHup = 0x40,
  kEventErr = 0x80,
  kEventPollerClosed = 0x8000,
};

// The most events one Poll call harvests.
constexpr int kMaxBatch = 256;

struct ReadyEvent {
  uint32_t token;
  uint32_t events;  // netpoll bits
};

class Backend {
 public:
  // Opens the kernel queue (close-on-exec); returns its fd or -errno.
  static int Open();

  // interest: netpoll bits Read/Write/OneShot/EdgeTriggered.
  static int Add(int queue, int fd, uint32_t token, uint32_t interest);
  // Re-arms a registration (resume after a one-shot fired, or new interest).
  static int Modify(int queue, int fd, uint32_t token, uint32_t interest);
  static int Remove(int queue, int fd);

  // Harvests up to `max` (at most kMaxBatch) ready events without blocking;
  // returns the count or -errno.
  static int Poll(int queue, ReadyEvent* out, int max);
};

}  // namespace ptyplex

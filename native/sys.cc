#include "sys.h"

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/file.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#if defined(__linux__)
#include <dirent.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#endif
#include <termios.h>
#include <unistd.h>

namespace ptyplex {

namespace {

Napi::Value Result(Napi::Env env, long r) {
  return Napi::Number::New(env, static_cast<double>(r));
}

long Check(long r) { return r >= 0 ? r : -errno; }

// Argument checks are programming errors, so they throw a TypeError; OS
// failures are returned as -errno.
bool IsInt(const Napi::CallbackInfo& info, size_t i) {
  if (i < info.Length() && info[i].IsNumber()) return true;
  Napi::TypeError::New(info.Env(), "argument " + std::to_string(i) + " must be a number")
      .ThrowAsJavaScriptException();
  return false;
}

int Int(const Napi::CallbackInfo& info, size_t i) {
  return info[i].As<Napi::Number>().Int32Value();
}

// Resolves (buffer, offset, length) into a byte range inside the view, or
// throws a RangeError.
bool Range(const Napi::CallbackInfo& info, size_t i, uint8_t** base, size_t* len) {
  if (i >= info.Length() || !info[i].IsTypedArray() || !IsInt(info, i + 1) ||
      !IsInt(info, i + 2)) {
    if (!info.Env().IsExceptionPending()) {
      Napi::TypeError::New(info.Env(), "expected (Uint8Array, offset, length)")
          .ThrowAsJavaScriptException();
    }
    return false;
  }
  auto view = info[i].As<Napi::Uint8Array>();
  int64_t off = info[i + 1].As<Napi::Number>().Int64Value();
  int64_t n = info[i + 2].As<Napi::Number>().Int64Value();
  int64_t size = static_cast<int64_t>(view.ByteLength());
  if (off < 0 || n < 0 || off > size || n > size - off) {
    Napi::RangeError::New(info.Env(), "offset/length outside the buffer")
        .ThrowAsJavaScriptException();
    return false;
  }
  *base = view.Data() + off;
  *len = static_cast<size_t>(n);
  return true;
}

// read(fd, buf, off, len) -> bytes | -errno. One read(2): on a PTY master a
// short read does not mean drained, so the caller loops until EAGAIN.
Napi::Value Read(const Napi::CallbackInfo& info) {
  uint8_t* p;
  size_t n;
  if (!IsInt(info, 0) || !Range(info, 1, &p, &n)) return info.Env().Undefined();
  ssize_t r;
  do {
    r = read(Int(info, 0), p, n);
  } while (r < 0 && errno == EINTR);
  return Result(info.Env(), Check(r));
}

// write(fd, buf, off, len) -> bytes | -errno.
Napi::Value Write(const Napi::CallbackInfo& info) {
  uint8_t* p;
  size_t n;
  if (!IsInt(info, 0) || !Range(info, 1, &p, &n)) return info.Env().Undefined();
  ssize_t r;
  do {
    r = write(Int(info, 0), p, n);
  } while (r < 0 && errno == EINTR);
  return Result(info.Env(), Check(r));
}

// close(fd) -> 0 | -errno. EINTR is not retried: on Linux the fd is gone
// whatever close reports, and a retry could close a reused number.
Napi::Value Close(const Napi::CallbackInfo& info) {
  if (!IsInt(info, 0)) return info.Env().Undefined();
  return Result(info.Env(), Check(close(Int(info, 0))));
}

int SetFlag(int fd, int get, int set, int flag, bool on) {
  int flags = fcntl(fd, get);
  if (flags < 0) return -errno;
  int next = on ? (flags | flag) : (flags & ~flag);
  if (next != flags && fcntl(fd, set, next) < 0) return -errno;
  return 0;
}

// setNonBlocking(fd, on) -> 0 | -errno.
Napi::Value SetNonBlocking(const Napi::CallbackInfo& info) {
  if (!IsInt(info, 0)) return info.Env().Undefined();
  bool on = info.Length() < 2 || info[1].ToBoolean().Value();
  return Result(info.Env(), SetFlag(Int(info, 0), F_GETFL, F_SETFL, O_NONBLOCK, on));
}

// setCloseOnExec(fd) -> 0 | -errno. forkpty(3) leaves the master inheritable;
// without this every later child would hold every earlier console open.
Napi::Value SetCloseOnExec(const Napi::CallbackInfo& info) {
  if (!IsInt(info, 0)) return info.Env().Undefined();
  return Result(info.Env(), SetFlag(Int(info, 0), F_GETFD, F_SETFD, FD_CLOEXEC, true));
}

// isatty(fd) -> 1 | 0 | -errno (EBADF is an error, ENOTTY is 0).
Napi::Value IsATty(const Napi::CallbackInfo& info) {
  if (!IsInt(info, 0)) return info.Env().Undefined();
  if (isatty(Int(info, 0))) return Result(info.Env(), 1);
  return Result(info.Env(), errno == EBADF ? -EBADF : 0);
}

// getWinSize(fd) -> rows * 65536 + cols | -errno.
Napi::Value GetWinSize(const Napi::CallbackInfo& info) {
  if (!IsInt(info, 0)) return info.Env().Undefined();
  struct winsize ws = {};
  if (ioctl(Int(info, 0), TIOCGWINSZ, &ws) < 0) return Result(info.Env(), -errno);
  return Result(info.Env(), static_cast<long>(ws.ws_row) * 65536 + ws.ws_col);
}

// setWinSize(fd, cols, rows) -> 0 | -errno. On a master this also sends
// SIGWINCH to the slave's foreground process group.
Napi::Value SetWinSize(const Napi::CallbackInfo& info) {
  if (!IsInt(info, 0) || !IsInt(info, 1) || !IsInt(info, 2)) return info.Env().Undefined();
  int cols = Int(info, 1), rows = Int(info, 2);
  if (cols < 0 || rows < 0 || cols > USHRT_MAX || rows > USHRT_MAX) {
    return Result(info.Env(), -EINVAL);
  }
  struct winsize ws = {};
  ws.ws_col = static_cast<unsigned short>(cols);
  ws.ws_row = static_cast<unsigned short>(rows);
  return Result(info.Env(), Check(ioctl(Int(info, 0), TIOCSWINSZ, &ws)));
}

// openpt() -> master fd | -errno: a new PTY pair whose slave nobody has
// opened yet (what a container runtime holds before its process starts).
Napi::Value OpenPt(const Napi::CallbackInfo& info) {
  int fd = posix_openpt(O_RDWR | O_NOCTTY);
  if (fd < 0) return Result(info.Env(), -errno);
  if (grantpt(fd) < 0 || unlockpt(fd) < 0 ||
      SetFlag(fd, F_GETFD, F_SETFD, FD_CLOEXEC, true) < 0) {
    int e = errno;
    close(fd);
    return Result(info.Env(), -e);
  }
  return Result(info.Env(), fd);
}

// ptsName(fd) -> "/dev/pts/N" | -errno.
Napi::Value PtsName(const Napi::CallbackInfo& info) {
  if (!IsInt(info, 0)) return info.Env().Undefined();
#if defined(__linux__)
  char name[128];
  int r = ptsname_r(Int(info, 0), name, sizeof(name));
  if (r != 0) return Result(info.Env(), -r);
  return Napi::String::New(info.Env(), name);
#else
  const char* name = ptsname(Int(info, 0));  // main thread only
  if (name == nullptr) return Result(info.Env(), -errno);
  return Napi::String::New(info.Env(), name);
#endif
}

// socketPair(out: Int32Array[2]) -> 0 | -errno: a connected AF_UNIX stream
// pair, close-on-exec.
Napi::Value SocketPair(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsTypedArray()) {
    Napi::TypeError::New(info.Env(), "socketPair(Int32Array[2])").ThrowAsJavaScriptException();
    return info.Env().Undefined();
  }
  auto out = info[0].As<Napi::Int32Array>();
  if (out.ElementLength() < 2) {
    Napi::RangeError::New(info.Env(), "need room for two fds").ThrowAsJavaScriptException();
    return info.Env().Undefined();
  }
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) return Result(info.Env(), -errno);
  for (int fd : sv) SetFlag(fd, F_GETFD, F_SETFD, FD_CLOEXEC, true);
  out[0] = sv[0];
  out[1] = sv[1];
  return Result(info.Env(), 0);
}

// connectUnix(path) -> fd | -errno: a stream socket connected to path,
// non-blocking and close-on-exec, for the poller to drive. A unix socket
// connects at once or not at all (EAGAIN: the server's backlog is full;
// ECONNREFUSED: nobody listens), so there is no connect in progress to wait
// for; a path too long for sun_path is ENAMETOOLONG, never truncated into
// another name.
Napi::Value ConnectUnix(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsString()) {
    Napi::TypeError::New(info.Env(), "argument 0 must be a string").ThrowAsJavaScriptException();
    return info.Env().Undefined();
  }
  std::string path = info[0].As<Napi::String>().Utf8Value();
  struct sockaddr_un addr;
  std::memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof addr.sun_path || path.find('\0') != std::string::npos) {
    return Result(info.Env(), path.empty() ? -ENOENT : -ENAMETOOLONG);
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size());
#if defined(SOCK_CLOEXEC) && defined(SOCK_NONBLOCK)
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return Result(info.Env(), -errno);
#else
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  if (fd < 0) return Result(info.Env(), -errno);
  SetFlag(fd, F_GETFD, F_SETFD, FD_CLOEXEC, true);
  SetFlag(fd, F_GETFL, F_SETFL, O_NONBLOCK, true);
#endif
  int r;
  do {
    r = connect(fd, reinterpret_cast<struct sockaddr*>(&addr), sizeof addr);
  } while (r < 0 && errno == EINTR);
  if (r < 0) {
    int err = errno;
    close(fd);
    return Result(info.Env(), -(err == EINPROGRESS ? EAGAIN : err));
  }
  return Result(info.Env(), fd);
}

// shutdown(fd, how) -> 0 | -errno; how: 1 the writing half (SHUT_WR), 2 both.
Napi::Value Shutdown(const Napi::CallbackInfo& info) {
  if (!IsInt(info, 0) || !IsInt(info, 1)) return info.Env().Undefined();
  int how = Int(info, 1) == 1 ? SHUT_WR : SHUT_RDWR;
  return Result(info.Env(), Check(shutdown(Int(info, 0), how)));
}

// sendFds(sock, buf, off, len, fds: Int32Array) -> bytes | -errno: one
// sendmsg carrying the payload and the fds as SCM_RIGHTS.
Napi::Value SendFds(const Napi::CallbackInfo& info) {
  uint8_t* p;
  size_t n;
  if (!IsInt(info, 0) || !Range(info, 1, &p, &n)) return info.Env().Undefined();
  if (info.Length() < 5 || !info[4].IsTypedArray()) {
    Napi::TypeError::New(info.Env(), "fds must be an Int32Array").ThrowAsJavaScriptException();
    return info.Env().Undefined();
  }
  auto fds = info[4].As<Napi::Int32Array>();
  size_t count = fds.ElementLength();
  if (count > 16) return Result(info.Env(), -EINVAL);
  // A zero-length stream message carries no ancillary data, so send a byte.
  uint8_t filler = 0;
  struct iovec iov = {n > 0 ? p : &filler, n > 0 ? n : 1};
  struct msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(struct cmsghdr) char control[CMSG_SPACE(16 * sizeof(int))];
  if (count > 0) {
    msg.msg_control = control;
    msg.msg_controllen = CMSG_SPACE(count * sizeof(int));
    memset(control, 0, sizeof(control));
    struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(count * sizeof(int));
    memcpy(CMSG_DATA(c), fds.Data(), count * sizeof(int));
  }
  ssize_t r;
  do {
    r = sendmsg(Int(info, 0), &msg, 0);
  } while (r < 0 && errno == EINTR);
  return Result(info.Env(), Check(r));
}

// recvFds(sock, buf, off, len, out: Int32Array) -> bytes | -errno. out[0] is
// the number of fds received (stored from out[2] on, close-on-exec), out[1]
// the message flags (MSG_TRUNC, MSG_CTRUNC as 1, 2). Fds that do not fit in
// `out` are closed here, so a peer can never leak descriptors into us.
Napi::Value RecvFds(const Napi::CallbackInfo& info) {
  uint8_t* p;
  size_t n;
  if (!IsInt(info, 0) || !Range(info, 1, &p, &n)) return info.Env().Undefined();
  if (info.Length() < 5 || !info[4].IsTypedArray()) {
    Napi::TypeError::New(info.Env(), "out must be an Int32Array").ThrowAsJavaScriptException();
    return info.Env().Undefined();
  }
  auto out = info[4].As<Napi::Int32Array>();
  if (out.ElementLength() < 2) {
    Napi::RangeError::New(info.Env(), "out needs at least 2 slots").ThrowAsJavaScriptException();
    return info.Env().Undefined();
  }
  size_t room = out.ElementLength() - 2;
  struct iovec iov = {p, n};
  struct msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(struct cmsghdr) char control[CMSG_SPACE(64 * sizeof(int))];
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  int flags = 0;
#if defined(MSG_CMSG_CLOEXEC)
  flags |= MSG_CMSG_CLOEXEC;
#endif
  ssize_t r;
  do {
    r = recvmsg(Int(info, 0), &msg, flags);
  } while (r < 0 && errno == EINTR);
  if (r < 0) return Result(info.Env(), -errno);
  size_t got = 0;
  for (struct cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    int* fds = reinterpret_cast<int*>(CMSG_DATA(c));
    for (size_t i = 0; i < k; i++) {
      int fd;
      memcpy(&fd, fds + i, sizeof(int));
      if (got < room) {
        SetFlag(fd, F_GETFD, F_SETFD, FD_CLOEXEC, true);
        out[2 + got++] = fd;
      } else {
        close(fd);
      }
    }
  }
  out[0] = static_cast<int32_t>(got);
  out[1] = ((msg.msg_flags & MSG_TRUNC) ? 1 : 0) | ((msg.msg_flags & MSG_CTRUNC) ? 2 : 0);
  return Result(info.Env(), r);
}

// isCharDevice(fd) -> 1 | 0 | -errno.
Napi::Value IsCharDevice(const Napi::CallbackInfo& info) {
  if (!IsInt(info, 0)) return info.Env().Undefined();
  struct stat st;
  if (fstat(Int(info, 0), &st) < 0) return Result(info.Env(), -errno);
  return Result(info.Env(), S_ISCHR(st.st_mode) ? 1 : 0);
}


// peerCred(sock, out: Int32Array(3)) -> 0 | -errno; out = [pid, uid, gid] of
// the process at the other end of a connected unix socket, as the kernel
// recorded it at connect(2): the peer cannot lie about it.
Napi::Value PeerCred(const Napi::CallbackInfo& info) {
  if (!IsInt(info, 0)) return info.Env().Undefined();
  if (info.Length() < 2 || !info[1].IsTypedArray() ||
      info[1].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array ||
      info[1].As<Napi::Int32Array>().ElementLength() < 3) {
    Napi::TypeError::New(info.Env(), "expected (fd, Int32Array(3))").ThrowAsJavaScriptException();
    return info.Env().Undefined();
  }
  int32_t* out = info[1].As<Napi::Int32Array>().Data();
#if defined(SO_PEERCRED)
  struct ucred cred;
  socklen_t len = sizeof cred;
  if (getsockopt(Int(info, 0), SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
    return Result(info.Env(), -errno);
  }
  out[0] = cred.pid;
  out[1] = static_cast<int32_t>(cred.uid);
  out[2] = static_cast<int32_t>(cred.gid);
#else
  uid_t uid;
  gid_t gid;
  if (getpeereid(Int(info, 0), &uid, &gid) < 0) return Result(info.Env(), -errno);
  out[0] = 0;  // BSD's getpeereid does not tell the pid.
  out[1] = static_cast<int32_t>(uid);
  out[2] = static_cast<int32_t>(gid);
#endif
  return Result(info.Env(), 0);
}

// True if info[i] can hold a struct termios; else throws a TypeError.
bool IsTermios(const Napi::CallbackInfo& info, size_t i) {
  if (i < info.Length() && info[i].IsTypedArray() &&
      info[i].As<Napi::Uint8Array>().ByteLength() >= sizeof(struct termios)) {
    return true;
  }
  Napi::TypeError::New(info.Env(), "expected (fd, Uint8Array of termiosSize bytes)")
      .ThrowAsJavaScriptException();
  return false;
}

// tcGetAttr(fd, out: Uint8Array) -> bytes written | -errno. The termios
// struct is opaque to JavaScript: it is saved and handed back whole, so a
// terminal can be restored exactly as it was.
Napi::Value TcGetAttr(const Napi::CallbackInfo& info) {
  if (!IsInt(info, 0)) return info.Env().Undefined();
  if (!IsTermios(info, 1)) return info.Env().Undefined();
  // Zeroed first: the padding the kernel does not write must not differ
  // between two reads of the same state (the watcher compares them).
  struct termios t;
  memset(&t, 0, sizeof t);
  if (tcgetattr(Int(info, 0), &t) < 0) return Result(info.Env(), -errno);
  memcpy(info[1].As<Napi::Uint8Array>().Data(), &t, sizeof t);
  return Result(info.Env(), sizeof t);
}

// tcSetAttr(fd, saved: Uint8Array) -> 0 | -errno. TCSANOW: a terminal being
// restored after its user left must not wait for output to drain to a
// reader that may be gone. SIGTTOU is blocked around the call: a caller in
// a background process group of the terminal's session would otherwise be
// stopped, or, with a handler, retried forever.
Napi::Value TcSetAttr(const Napi::CallbackInfo& info) {
  if (!IsInt(info, 0)) return info.Env().Undefined();
  if (!IsTermios(info, 1)) return info.Env().Undefined();
  struct termios t;
  memcpy(&t, info[1].As<Napi::Uint8Array>().Data(), sizeof t);
  sigset_t block, old;
  sigemptyset(&block);
  sigaddset(&block, SIGTTOU);
  pthread_sigmask(SIG_BLOCK, &block, &old);
  long r = Check(tcsetattr(Int(info, 0), TCSANOW, &t));
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  return Result(info.Env(), r);
}

// setSendBuffer(sock, bytes) -> the size the kernel granted | -errno. On a
// unix stream socket the sender's buffer is all the kernel holds between
// the two processes; the default (~208 KiB) is less than one turn of a busy
// console's output, so a reader that keeps up would still fall behind.
// The kernel caps the request at net.core.wmem_max.
Napi::Value SetSendBuffer(const Napi::CallbackInfo& info) {
  if (!IsInt(info, 0) || !IsInt(info, 1)) return info.Env().Undefined();
  int fd = Int(info, 0);
  int size = Int(info, 1);
  if (setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size) < 0) return Result(info.Env(), -errno);
  socklen_t len = sizeof size;
  if (getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, &len) < 0) return Result(info.Env(), -errno);
  return Result(info.Env(), size);
}

// setChildSubreaper(on = true) -> 0 | -errno (Linux only; -ENOSYS
// elsewhere). Makes this process the reaper of orphaned descendants: a
// container whose runtime (`runc run -d`, started by us) exits is
// re-parented to us, so its exit status can be collected. Off again when
// nobody here collects them any more.
Napi::Value SetChildSubreaper(const Napi::CallbackInfo& info) {
#if defined(__linux__)
  unsigned long on = info.Length() < 1 || info[0].ToBoolean().Value() ? 1 : 0;
  return Result(info.Env(), Check(prctl(PR_SET_CHILD_SUBREAPER, on, 0, 0, 0)));
#else
  return Result(info.Env(), -ENOSYS);
#endif
}

// sessionOf(fd) -> the session id of a terminal's slave side (the pid of
// its session leader, e.g. a container's init, as our pid namespace sees
// it) | -errno.
Napi::Value SessionOf(const Napi::CallbackInfo& info) {
  if (!IsInt(info, 0)) return info.Env().Undefined();
  pid_t sid = 0;
  if (ioctl(Int(info, 0), TIOCGSID, &sid) < 0) return Result(info.Env(), -errno);
  return Result(info.Env(), sid);
}

// reapChild(pid, peek?) -> -errno | 0 (still running) | 1 + (code << 8) | 2 + (signal << 8).
// One non-blocking waitid for that pid only: libuv and node-pty reap their
// own children by pid, so we never wait for "any child" and steal theirs.
// ECHILD means it is not our child (or not yet).
Napi::Value ReapChild(const Napi::CallbackInfo& info) {
  if (!IsInt(info, 0)) return info.Env().Undefined();
  // peek (a true second argument): look without reaping (WNOWAIT), to ask
  // whether the pid is still our unreaped child; ECHILD once someone reaped it.
  bool peek = info.Length() > 1 && info[1].ToBoolean().Value();
  siginfo_t si;
  memset(&si, 0, sizeof si);
  if (waitid(P_PID, static_cast<id_t>(Int(info, 0)), &si, WEXITED | WNOHANG | (peek ? WNOWAIT : 0)) < 0) {
    return Result(info.Env(), -errno);
  }
  if (si.si_pid == 0) return Result(info.Env(), 0);
  if (si.si_code == CLD_EXITED) return Result(info.Env(), 1 + (si.si_status << 8));
  return Result(info.Env(), 2 + (si.si_status << 8));
}

// pidfdOpen(pid) -> fd | -errno (-ENOSYS where the kernel has no pidfds,
// before Linux 5.3, or elsewhere). The fd names that one process for good:
// once it is reaped the fd goes stale, it never follows a reused pid.
Napi::Value PidfdOpen(const Napi::CallbackInfo& info) {
  if (!IsInt(info, 0)) return info.Env().Undefined();
#if defined(__linux__) && defined(SYS_pidfd_open)
  // The kernel opens it close-on-exec.
  return Result(info.Env(), Check(syscall(SYS_pidfd_open, Int(info, 0), 0)));
#else
  return Result(info.Env(), -ENOSYS);
#endif
}

// pidfdSendSignal(fd, signal) -> 0 | -errno. ESRCH once the process was
// reaped: a signal meant for it can never reach a process that took its pid.
Napi::Value PidfdSendSignal(const Napi::CallbackInfo& info) {
  if (!IsInt(info, 0) || !IsInt(info, 1)) return info.Env().Undefined();
#if defined(__linux__) && defined(SYS_pidfd_send_signal)
  return Result(info.Env(), Check(syscall(SYS_pidfd_send_signal, Int(info, 0), Int(info, 1), nullptr, 0)));
#else
  return Result(info.Env(), -ENOSYS);
#endif
}

// markCloseOnExec(from) -> 0 | -errno: every fd >= from becomes
// close-on-exec, so no program we start inherits one by accident (an fd our
// caller left open, which node-pty's fork would pass on: it closes nothing
// before exec). One close_range(2) where the kernel has it (5.11), else each
// fd listed in /proc/self/fd (or /dev/fd), else every number up to the limit.
Napi::Value MarkCloseOnExec(const Napi::CallbackInfo& info) {
  if (!IsInt(info, 0)) return info.Env().Undefined();
  int from = Int(info, 0);
  if (from < 0) return Result(info.Env(), -EINVAL);
#if defined(__linux__) && defined(SYS_close_range)
  if (syscall(SYS_close_range, static_cast<unsigned>(from), ~0U, 4 /* CLOSE_RANGE_CLOEXEC */) == 0) {
    return Result(info.Env(), 0);
  }
#endif
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) dir = opendir("/dev/fd");
  if (dir != nullptr) {
    int own = dirfd(dir);
    for (struct dirent* e = readdir(dir); e != nullptr; e = readdir(dir)) {
      if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
      int fd = atoi(e->d_name);
      if (fd >= from && fd != own) SetFlag(fd, F_GETFD, F_SETFD, FD_CLOEXEC, true);
    }
    closedir(dir);
    return Result(info.Env(), 0);
  }
  long max = sysconf(_SC_OPEN_MAX);
  for (long fd = from; fd < (max > 0 ? max : 1024); fd++) {
    SetFlag(static_cast<int>(fd), F_GETFD, F_SETFD, FD_CLOEXEC, true);
  }
  return Result(info.Env(), 0);
}

// hungUp(fd) -> 1 | 0 | -errno. Whether poll(2) says POLLHUP now: a PTY
// master reports it while every slave fd is closed (Linux). Input written
// then is kept for whoever opens the terminal next, so callers refuse it.
Napi::Value HungUp(const Napi::CallbackInfo& info) {
  if (!IsInt(info, 0)) return info.Env().Undefined();
  struct pollfd p = {Int(info, 0), 0, 0};
  int r;
  do r = poll(&p, 1, 0);
  while (r < 0 && errno == EINTR);
  if (r < 0) return Result(info.Env(), -errno);
  if (p.revents & POLLNVAL) return Result(info.Env(), -EBADF);
  return Result(info.Env(), (p.revents & POLLHUP) ? 1 : 0);
}

// lockFile(fd) -> 0 | -errno (EWOULDBLOCK while another holds it). An
// exclusive flock(2) that never waits; the kernel drops it when the fd
// closes, so a crashed holder leaves no stale lock (tmux's socket lock).
Napi::Value LockFile(const Napi::CallbackInfo& info) {
  if (!IsInt(info, 0)) return info.Env().Undefined();
  int r;
  do r = flock(Int(info, 0), LOCK_EX | LOCK_NB);
  while (r < 0 && errno == EINTR);
  return Result(info.Env(), Check(r));
}


// memfdCreate(name) -> fd | -errno. An anonymous file in memory, opened
// close-on-exec: the state an upgrading server hands to its next program
// (Linux >= 3.17; -ENOSYS elsewhere).
Napi::Value MemfdCreate(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsString()) {
    Napi::TypeError::New(info.Env(), "argument 0 must be a string").ThrowAsJavaScriptException();
    return info.Env().Undefined();
  }
#if defined(__linux__) && defined(SYS_memfd_create)
  std::string name = info[0].As<Napi::String>().Utf8Value();
  return Result(info.Env(), Check(syscall(SYS_memfd_create, name.c_str(), 1U /* MFD_CLOEXEC */)));
#else
  return Result(info.Env(), -ENOSYS);
#endif
}

std::vector<std::string> Strings(const Napi::Array& a) {
  std::vector<std::string> out;
  for (uint32_t i = 0; i < a.Length(); i++) out.push_back(a.Get(i).ToString().Utf8Value());
  return out;
}

std::vector<char*> Pointers(std::vector<std::string>& v) {
  std::vector<char*> out;
  for (auto& s : v) out.push_back(&s[0]);
  out.push_back(nullptr);
  return out;
}

// execKeep(file, argv, envp, keep: Int32Array, running: Int32Array) ->
// -errno, or nothing (the process is now file). Replaces this process's
// program, keeping exactly the fds in keep open (FD_CLOEXEC cleared just
// before the call, set again if it fails). The pid, its children, its
// rlimits and cwd stay; every thread but this one, and every fd still
// close-on-exec, goes. -EAGAIN, without trying: a pid in running has exited
// since the caller looked (the caller then drains its console first; a
// child exiting after this look stays an unreaped zombie for the next program). The signal mask is emptied for
// the new program, whose runtime sets up its own handlers.
Napi::Value ExecKeep(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 5 || !info[0].IsString() || !info[1].IsArray() || !info[2].IsArray() ||
      !info[3].IsTypedArray() || !info[4].IsTypedArray()) {
    Napi::TypeError::New(env, "expected (file, argv[], envp[], Int32Array, Int32Array)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
#if defined(__linux__)
  std::string file = info[0].As<Napi::String>().Utf8Value();
  std::vector<std::string> argv = Strings(info[1].As<Napi::Array>());
  std::vector<std::string> envp = Strings(info[2].As<Napi::Array>());
  std::vector<char*> argvp = Pointers(argv);
  std::vector<char*> envpp = Pointers(envp);
  auto keep = info[3].As<Napi::Int32Array>();
  auto running = info[4].As<Napi::Int32Array>();
  for (size_t i = 0; i < running.ElementLength(); i++) {
    siginfo_t si;
    memset(&si, 0, sizeof si);
    if (waitid(P_PID, static_cast<id_t>(running[i]), &si, WEXITED | WNOHANG | WNOWAIT) < 0 || si.si_pid != 0) {
      return Result(env, -EAGAIN);
    }
  }
  for (size_t i = 0; i < keep.ElementLength(); i++) {
    int r = SetFlag(keep[i], F_GETFD, F_SETFD, FD_CLOEXEC, false);
    if (r < 0) {
      for (size_t j = 0; j < i; j++) SetFlag(keep[j], F_GETFD, F_SETFD, FD_CLOEXEC, true);
      return Result(env, r);
    }
  }
  sigset_t all, old;
  sigemptyset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  execve(file.c_str(), argvp.data(), envpp.data());
  int err = errno;
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  for (size_t i = 0; i < keep.ElementLength(); i++) SetFlag(keep[i], F_GETFD, F_SETFD, FD_CLOEXEC, true);
  return Result(env, -err);
#else
  return Result(env, -ENOSYS);
#endif
}

}  // namespace

void DefineSys(Napi::Env env, Napi::Object exports) {
  exports.Set("read", Napi::Function::New(env, Read, "read"));
  exports.Set("write", Napi::Function::New(env, Write, "write"));
  exports.Set("close", Napi::Function::New(env, Close, "close"));
  exports.Set("setNonBlocking", Napi::Function::New(env, SetNonBlocking, "setNonBlocking"));
  exports.Set("setCloseOnExec", Napi::Function::New(env, SetCloseOnExec, "setCloseOnExec"));
  exports.Set("isatty", Napi::Function::New(env, IsATty, "isatty"));
  exports.Set("isCharDevice", Napi::Function::New(env, IsCharDevice, "isCharDevice"));
  exports.Set("getWinSize", Napi::Function::New(env, GetWinSize, "getWinSize"));
  exports.Set("setWinSize", Napi::Function::New(env, SetWinSize, "setWinSize"));
  exports.Set("openPt", Napi::Function::New(env, OpenPt, "openPt"));
  exports.Set("ptsName", Napi::Function::New(env, PtsName, "ptsName"));
  exports.Set("socketPair", Napi::Function::New(env, SocketPair, "socketPair"));
  exports.Set("connectUnix", Napi::Function::New(env, ConnectUnix, "connectUnix"));
  exports.Set("shutdown", Napi::Function::New(env, Shutdown, "shutdown"));
  exports.Set("sendFds", Napi::Function::New(env, SendFds, "sendFds"));
  exports.Set("recvFds", Napi::Function::New(env, RecvFds, "recvFds"));
  exports.Set("setChildSubreaper", Napi::Function::New(env, SetChildSubreaper, "setChildSubreaper"));
  exports.Set("sessionOf", Napi::Function::New(env, SessionOf, "sessionOf"));
  exports.Set("reapChild", Napi::Function::New(env, ReapChild, "reapChild"));
  exports.Set("pidfdOpen", Napi::Function::New(env, PidfdOpen, "pidfdOpen"));
  exports.Set("pidfdSendSignal", Napi::Function::New(env, PidfdSendSignal, "pidfdSendSignal"));
  exports.Set("markCloseOnExec", Napi::Function::New(env, MarkCloseOnExec, "markCloseOnExec"));
  exports.Set("setSendBuffer", Napi::Function::New(env, SetSendBuffer, "setSendBuffer"));
  exports.Set("peerCred", Napi::Function::New(env, PeerCred, "peerCred"));
  exports.Set("tcGetAttr", Napi::Function::New(env, TcGetAttr, "tcGetAttr"));
  exports.Set("tcSetAttr", Napi::Function::New(env, TcSetAttr, "tcSetAttr"));
  exports.Set("hungUp", Napi::Function::New(env, HungUp, "hungUp"));
  exports.Set("memfdCreate", Napi::Function::New(env, MemfdCreate, "memfdCreate"));
  exports.Set("execKeep", Napi::Function::New(env, ExecKeep, "execKeep"));
  exports.Set("lockFile", Napi::Function::New(env, LockFile, "lockFile"));
  exports.Set("termiosSize", Napi::Number::New(env, sizeof(struct termios)));
}

}  // namespace ptyplex

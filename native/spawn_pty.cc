// spawnPty: a child in a new PTY, started with posix_spawn instead of fork.
//
// Why not node-pty's fork: forkpty() copies the parent's address space
// (page tables and one mapping per thread), and node-pty starts one thread
// per child to wait for it, so each fork costs more than the one before:
// 0.2 ms with 1000 PTY masters open, 11 ms with 1000 idle threads, 32 ms
// with 3000 (measured here; bench/scale.js). glibc's posix_spawn shares the
// parent's memory until exec (CLONE_VM | CLONE_VFORK), so it costs the same
// in an empty session as in a full one, and the child's exit is collected by
// the caller's SIGCHLD handler (src/console/child-watch.ts): no thread.
//
// The controlling terminal: the child becomes a session leader
// (POSIX_SPAWN_SETSID) before its file actions run, and on Linux a session
// leader without a terminal acquires the first one it opens without
// O_NOCTTY; so opening the slave as fd 0 in a file action is what
// login_tty's TIOCSCTTY does after fork. (BSD and macOS need the ioctl:
// there the caller uses node-pty.)
#include "spawn_pty.h"

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <string>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>
#include <vector>

namespace ptyplex {

namespace {

#if defined(__linux__)
// The terminal a fresh console starts with: cooked, echoing, UTF-8 aware,
// the same settings node-pty gives its children, so programs see no change.
void DefaultTermios(struct termios* t) {
  memset(t, 0, sizeof *t);
  t->c_iflag = ICRNL | IXON | IXANY | IMAXBEL | BRKINT | IUTF8;
  t->c_oflag = OPOST | ONLCR;
  t->c_cflag = CREAD | CS8 | HUPCL;
  t->c_lflag = ICANON | ISIG | IEXTEN | ECHO | ECHOE | ECHOK | ECHOKE | ECHOCTL;
  t->c_cc[VEOF] = 4;
  t->c_cc[VEOL] = 0;
  t->c_cc[VEOL2] = 0;
  t->c_cc[VERASE] = 0x7f;
  t->c_cc[VWERASE] = 23;
  t->c_cc[VKILL] = 21;
  t->c_cc[VREPRINT] = 18;
  t->c_cc[VINTR] = 3;
  t->c_cc[VQUIT] = 0x1c;
  t->c_cc[VSUSP] = 26;
  t->c_cc[VSTART] = 17;
  t->c_cc[VSTOP] = 19;
  t->c_cc[VLNEXT] = 22;
  t->c_cc[VDISCARD] = 15;
  t->c_cc[VMIN] = 1;
  t->c_cc[VTIME] = 0;
  cfsetispeed(t, B38400);
  cfsetospeed(t, B38400);
}

// A JS array of strings as a NULL-terminated char* vector; `store` owns them.
bool Strings(const Napi::Value& v, std::vector<std::string>* store, std::vector<char*>* out) {
  if (!v.IsArray()) return false;
  auto a = v.As<Napi::Array>();
  store->reserve(a.Length());
  for (uint32_t i = 0; i < a.Length(); i++) {
    Napi::Value s = a.Get(i);
    if (!s.IsString()) return false;
    store->push_back(s.As<Napi::String>().Utf8Value());
  }
  for (auto& s : *store) out->push_back(s.data());
  out->push_back(nullptr);
  return true;
}

// A new master (close-on-exec, so no child holds it open) with its slave's
// path, window size and terminal settings set; -errno on failure.
int OpenMaster(int cols, int rows, std::string* slavePath) {
  int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0) return -errno;
  char name[128];
  int r = (grantpt(master) < 0 || unlockpt(master) < 0) ? errno : ptsname_r(master, name, sizeof name);
  if (r == 0) {
    // The settings are the slave's: set them through a short-lived slave fd.
    int slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
    struct termios t;
    DefaultTermios(&t);
    struct winsize ws = {};
    ws.ws_col = static_cast<unsigned short>(cols);
    ws.ws_row = static_cast<unsigned short>(rows);
    if (slave < 0 || tcsetattr(slave, TCSANOW, &t) < 0 || ioctl(master, TIOCSWINSZ, &ws) < 0) r = errno;
    if (slave >= 0) close(slave);
  }
  if (r != 0) {
    close(master);
    return -r;
  }
  *slavePath = name;
  return master;
}
#endif

// spawnPty(file, argv, envp, cwd, cols, rows, out: Int32Array[2]) -> 0 | -errno,
// out = [pid, master fd]. file is a path (the caller searched PATH); the
// child starts with default signal dispositions, nothing blocked, in its own
// session with the slave as its controlling terminal on fds 0-2. An exec
// failure (ENOENT, EACCES) comes back here as -errno: glibc's posix_spawn
// waits until the child has exec'd or failed.
Napi::Value SpawnPty(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<std::string> argStore, envStore;
  std::vector<char*> argv, envp;
  if (info.Length() < 7 || !info[0].IsString() || !Strings(info[1], &argStore, &argv) ||
      !Strings(info[2], &envStore, &envp) || !info[3].IsString() || !info[4].IsNumber() ||
      !info[5].IsNumber() || !info[6].IsTypedArray()) {
    Napi::TypeError::New(env, "expected (file, argv[], envp[], cwd, cols, rows, Int32Array)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  auto out = info[6].As<Napi::Int32Array>();
  int cols = info[4].As<Napi::Number>().Int32Value(), rows = info[5].As<Napi::Number>().Int32Value();
  if (out.ElementLength() < 2 || cols < 1 || rows < 1 || cols > USHRT_MAX || rows > USHRT_MAX) {
    return Napi::Number::New(env, -EINVAL);
  }
#if defined(__linux__)
  std::string file = info[0].As<Napi::String>().Utf8Value();
  std::string cwd = info[3].As<Napi::String>().Utf8Value();
  std::string slave;
  int master = OpenMaster(cols, rows, &slave);
  if (master < 0) return Napi::Number::New(env, master);

  posix_spawnattr_t attr;
  posix_spawn_file_actions_t actions;
  posix_spawnattr_init(&attr);
  posix_spawn_file_actions_init(&actions);
  sigset_t all, none;
  sigfillset(&all);
  sigemptyset(&none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setsigmask(&attr, &none);
  if (!cwd.empty()) posix_spawn_file_actions_addchdir_np(&actions, cwd.c_str());
  posix_spawn_file_actions_addopen(&actions, 0, slave.c_str(), O_RDWR, 0);
  posix_spawn_file_actions_adddup2(&actions, 0, 1);
  posix_spawn_file_actions_adddup2(&actions, 0, 2);
  pid_t pid = -1;
  int r = posix_spawn(&pid, file.c_str(), &actions, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (r != 0) {
    close(master);
    return Napi::Number::New(env, -r);
  }
  out[0] = pid;
  out[1] = master;
  return Napi::Number::New(env, 0);
#else
  return Napi::Number::New(env, -ENOSYS);
#endif
}

}  // namespace

void DefineSpawnPty(Napi::Env env, Napi::Object exports) {
  exports.Set("spawnPty", Napi::Function::New(env, SpawnPty, "spawnPty"));
}

}  // namespace ptyplex

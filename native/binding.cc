// The addon's entry point: the poller class and the syscall wrappers.
#include <napi.h>

#include "poller.h"
#include "spawn_pty.h"
#include "sys.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("NativePoller", ptyplex::Poller::Define(env));
  ptyplex::DefineSys(env, exports);
  ptyplex::DefineSpawnPty(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(ptyplex, Init)

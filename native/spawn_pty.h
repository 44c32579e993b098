// Starting a child in a new PTY without fork(): see spawn_pty.cc.
#pragma once

#include <napi.h>

namespace ptyplex {

void DefineSpawnPty(Napi::Env env, Napi::Object exports);

}  // namespace ptyplex

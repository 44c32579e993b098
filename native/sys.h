// Thin syscall wrappers for file descriptors and terminals. Each returns a
// non-negative result or -errno and never throws for an OS error: policy
// (what EAGAIN or EIO means) belongs to the TypeScript console layer.
#pragma once

#include <napi.h>

namespace ptyplex {

void DefineSys(Napi::Env env, Napi::Object exports);

}  // namespace ptyplex

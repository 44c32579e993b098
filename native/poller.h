// The Node face of one backend queue: its fd is watched by libuv (uv_poll_t),
// so readiness arrives on the event loop with no thread of ours. libuv polls
// the queue level-triggered, so each wake-up drains the queue until a poll
// returns fewer events than asked; each drained batch is handed to JS in one
// call (tokens and event bits in two shared Uint32Arrays), not one per fd.
#pragma once

#include <napi.h>
#include <uv.h>

#include <vector>

#include "backend.h"

namespace ptyplex {

class Poller : public Napi::ObjectWrap<Poller> {
 public:
  static Napi::Function Define(Napi::Env env);

  // new Poller(onBatch(count), tokens: Uint32Array, events: Uint32Array)
  explicit Poller(const Napi::CallbackInfo& info);
  ~Poller() override;

 private:
  Napi::Value Add(const Napi::CallbackInfo& info);
  Napi::Value Modify(const Napi::CallbackInfo& info);
  Napi::Value Remove(const Napi::CallbackInfo& info);
  Napi::Value Ref(const Napi::CallbackInfo& info);
  Napi::Value Unref(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value Fd(const Napi::CallbackInfo& info);

  static void OnReadable(uv_poll_t* handle, int status, int events);
  void Drain();
  void Release();

  int queue_ = -1;
  uv_poll_t* poll_ = nullptr;  // freed in its close callback, not here
  Napi::FunctionReference on_batch_;
  Napi::Reference<Napi::Uint32Array> tokens_;
  Napi::Reference<Napi::Uint32Array> events_;
  uint32_t* token_data_ = nullptr;
  uint32_t* event_data_ = nullptr;
  int batch_ = 0;  // events asked of one harvest: min(array size, kMaxBatch)
  std::vector<ReadyEvent> ready_;
  Napi::AsyncContext* async_context_ = nullptr;
};

}  // namespace ptyplex

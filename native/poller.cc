#include "poller.h"

#include <unistd.h>

namespace ptyplex {

namespace {

Napi::Value Errno(Napi::Env env, int r) { return Napi::Number::New(env, r); }

bool IntArgs(const Napi::CallbackInfo& info, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (!info[i].IsNumber()) {
      Napi::TypeError::New(info.Env(), "expected integer arguments")
          .ThrowAsJavaScriptException();
      return false;
    }
  }
  return true;
}

}  // namespace

Napi::Function Poller::Define(Napi::Env env) {
  return DefineClass(env, "NativePoller",
                     {
                         InstanceMethod("add", &Poller::Add),
                         InstanceMethod("modify", &Poller::Modify),
                         InstanceMethod("remove", &Poller::Remove),
                         InstanceMethod("ref", &Poller::Ref),
                         InstanceMethod("unref", &Poller::Unref),
                         InstanceMethod("close", &Poller::Close),
                         InstanceMethod("fd", &Poller::Fd),
                     });
}

Poller::Poller(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Poller>(info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsFunction() || !info[1].IsTypedArray() ||
      !info[2].IsTypedArray()) {
    Napi::TypeError::New(env, "NativePoller(onBatch, tokens, events)")
        .ThrowAsJavaScriptException();
    return;
  }
  auto tokens = info[1].As<Napi::Uint32Array>();
  auto events = info[2].As<Napi::Uint32Array>();
  if (tokens.ElementLength() != events.ElementLength() || tokens.ElementLength() == 0) {
    Napi::RangeError::New(env, "tokens and events must be equal, non-empty")
        .ThrowAsJavaScriptException();
    return;
  }
  int q = Backend::Open();
  if (q < 0) {
    Napi::Error err = Napi::Error::New(env, "cannot open the kernel event queue");
    err.Set("errno", Napi::Number::New(env, q));
    err.ThrowAsJavaScriptException();
    return;
  }
  uv_loop_t* loop = nullptr;
  napi_get_uv_event_loop(env, &loop);
  poll_ = new uv_poll_t;
  if (uv_poll_init(loop, poll_, q) != 0) {
    delete poll_;
    poll_ = nullptr;
    close(q);
    Napi::Error::New(env, "libuv cannot watch the event queue")
        .ThrowAsJavaScriptException();
    return;
  }
  queue_ = q;
  poll_->data = this;
  on_batch_ = Napi::Persistent(info[0].As<Napi::Function>());
  tokens_ = Napi::Persistent(tokens);
  events_ = Napi::Persistent(events);
  token_data_ = tokens.Data();
  event_data_ = events.Data();
  size_t len = tokens.ElementLength();
  batch_ = len < static_cast<size_t>(kMaxBatch) ? static_cast<int>(len) : kMaxBatch;
  ready_.resize(batch_);
  async_context_ = new Napi::AsyncContext(env, "ptyplex.Poller");
  uv_poll_start(poll_, UV_READABLE, &Poller::OnReadable);
  // Idle until something is registered: an empty poller must not keep the
  // process alive. JS calls ref()/unref() as registrations come and go.
  uv_unref(reinterpret_cast<uv_handle_t*>(poll_));
}

Poller::~Poller() {
  Release();
  // Deleted here, not in Release: close() may run inside the very callback
  // that this context is carrying.
  delete async_context_;
}

void Poller::Release() {
  if (poll_ != nullptr) {
    uv_poll_stop(poll_);
    poll_->data = reinterpret_cast<void*>(static_cast<intptr_t>(queue_));
    // The queue fd outlives libuv's interest in it: close it only once the
    // handle is closed.
    uv_close(reinterpret_cast<uv_handle_t*>(poll_), [](uv_handle_t* h) {
      close(static_cast<int>(reinterpret_cast<intptr_t>(h->data)));
      delete reinterpret_cast<uv_poll_t*>(h);
    });
    poll_ = nullptr;
    queue_ = -1;
  }
}

void Poller::OnReadable(uv_poll_t* handle, int status, int) {
  auto* self = static_cast<Poller*>(handle->data);
  if (status < 0 || self == nullptr) return;
  self->Drain();
}

void Poller::Drain() {
  Napi::Env env = Env();
  Napi::HandleScope scope(env);
  // Drain until a harvest comes back short: libuv watches our queue fd
  // level-triggered and would call again at once for anything left.
  while (queue_ >= 0) {
    int n = Backend::Poll(queue_, ready_.data(), batch_);
    if (n <= 0) break;
    for (int i = 0; i < n; i++) {
      token_data_[i] = ready_[i].token;
      event_data_[i] = ready_[i].events;
    }
    on_batch_.MakeCallback(env.Global(), {Napi::Number::New(env, n)},
                           *async_context_);
    if (env.IsExceptionPending()) break;
    if (n < batch_) break;
  }
}

Napi::Value Poller::Add(const Napi::CallbackInfo& info) {
  if (!IntArgs(info, 3)) return info.Env().Undefined();
  if (queue_ < 0) return Errno(info.Env(), -EBADF);
  return Errno(info.Env(), Backend::Add(queue_, info[0].As<Napi::Number>().Int32Value(),
                                        info[1].As<Napi::Number>().Uint32Value(),
                                        info[2].As<Napi::Number>().Uint32Value()));
}

Napi::Value Poller::Modify(const Napi::CallbackInfo& info) {
  if (!IntArgs(info, 3)) return info.Env().Undefined();
  if (queue_ < 0) return Errno(info.Env(), -EBADF);
  return Errno(info.Env(),
               Backend::Modify(queue_, info[0].As<Napi::Number>().Int32Value(),
                               info[1].As<Napi::Number>().Uint32Value(),
                               info[2].As<Napi::Number>().Uint32Value()));
}

Napi::Value Poller::Remove(const Napi::CallbackInfo& info) {
  if (!IntArgs(info, 1)) return info.Env().Undefined();
  if (queue_ < 0) return Errno(info.Env(), -EBADF);
  return Errno(info.Env(), Backend::Remove(queue_, info[0].As<Napi::Number>().Int32Value()));
}

Napi::Value Poller::Ref(const Napi::CallbackInfo& info) {
  if (poll_ != nullptr) uv_ref(reinterpret_cast<uv_handle_t*>(poll_));
  return info.Env().Undefined();
}

Napi::Value Poller::Unref(const Napi::CallbackInfo& info) {
  if (poll_ != nullptr) uv_unref(reinterpret_cast<uv_handle_t*>(poll_));
  return info.Env().Undefined();
}

Napi::Value Poller::Close(const Napi::CallbackInfo& info) {
  Release();
  return info.Env().Undefined();
}

Napi::Value Poller::Fd(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), queue_);
}

}  // namespace ptyplex

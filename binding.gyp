{
  "targets": [
    {
      "target_name": "ptyplex",
      "sources": [
        "native/binding.cc",
        "native/poller.cc",
        "native/sys.cc",
        "native/spawn_pty.cc",
        "native/backend_epoll.cc",
        "native/backend_kqueue.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra", "-O2"],
      "xcode_settings": {
        "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
        "MACOSX_DEPLOYMENT_TARGET": "11.0"
      }
    }
  ]
}

// newsfeed: the command-line client. CLI11 wiring lives in cli/app.cc; this
// file only turns SIGINT/SIGTERM into a stop request so that `subscribe`
// exits cleanly (and other calls are cancelled) instead of dying mid-write.
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <cstdlib>
#include <iostream>
#include <stop_token>
#include <thread>

#include "cli/app.h"

int main(int argc, char** argv) {
  // Only iostreams write stdout/stdin here; unsynchronised they are much
  // faster for `tag` on large inputs.
  std::ios_base::sync_with_stdio(false);
  std::cin.tie(nullptr);

  // Block the signals before gRPC starts threads, so only the watcher gets
  // them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  std::stop_source stop;
  std::atomic<bool> done{false};
  std::thread watcher([&] {
    int received = 0;
    while (sigwait(&signals, &received) == 0) {
      if (done.load()) return;
      // A second signal while the first is being handled: stop now.
      if (!stop.request_stop()) std::_Exit(128 + received);
    }
  });

  const int code = newsfeed::cli::RunCommandLine(
      argc, argv, std::cin, std::cout, std::cerr, stop.get_token());
  done.store(true);
  pthread_kill(watcher.native_handle(), SIGTERM);
  watcher.join();
  return code;
}

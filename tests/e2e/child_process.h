// ChildProcess runs a service binary as a real process for end-to-end tests,
// collecting its stderr (where services log) on a thread of its own so the
// child never blocks on a full pipe.
//
// Thread-safe: every method may be called from any thread.
#ifndef TESTS_E2E_CHILD_PROCESS_H_
#define TESTS_E2E_CHILD_PROCESS_H_

#include <sys/types.h>

#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace newsfeed::testing {

class ChildProcess {
 public:
  // Starts `argv[0]` with `argv`, the current environment plus `env`
  // ("NAME=value"). INTERNAL when it cannot be started.
  static absl::StatusOr<std::unique_ptr<ChildProcess>> Start(
      const std::vector<std::string>& argv,
      const std::vector<std::string>& env = {});

  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  // Kills the process (SIGKILL) if still running and reaps it.
  ~ChildProcess();

  // Waits until a stderr line contains `marker` and returns the rest of that
  // line after the marker. DEADLINE_EXCEEDED after `timeout` (a bound on a
  // broken run, not a synchronisation), FAILED_PRECONDITION if the process
  // exited first; both messages include the output so far.
  absl::StatusOr<std::string> WaitForLine(const std::string& marker,
                                          absl::Duration timeout);

  // Sends `signal`; then Wait reaps the process and returns its exit code
  // (128 + signal when killed by one), once everything it wrote to stderr
  // is in output().
  void Signal(int signal);
  int Wait();

  std::string output() const;
  pid_t pid() const { return pid_; }

 private:
  ChildProcess(pid_t pid, int stderr_fd);
  void ReadOutput(int fd);

  const pid_t pid_;
  std::optional<int> exit_code_;
  mutable absl::Mutex mu_;
  std::string output_ ABSL_GUARDED_BY(mu_);
  bool eof_ ABSL_GUARDED_BY(mu_) = false;
  std::thread reader_;
};

}  // namespace newsfeed::testing

#endif  // TESTS_E2E_CHILD_PROCESS_H_

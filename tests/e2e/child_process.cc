#include "tests/e2e/child_process.h"

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

extern char** environ;

namespace newsfeed::testing {

absl::StatusOr<std::unique_ptr<ChildProcess>> ChildProcess::Start(
    const std::vector<std::string>& argv, const std::vector<std::string>& env) {
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) return absl::InternalError("pipe failed");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDERR_FILENO);
  posix_spawn_file_actions_addclose(&actions, pipe_fds[0]);
  posix_spawn_file_actions_addclose(&actions, pipe_fds[1]);

  std::vector<std::string> environment;
  for (char** e = environ; *e != nullptr; ++e) environment.emplace_back(*e);
  environment.insert(environment.end(), env.begin(), env.end());
  std::vector<char*> c_env, c_argv;
  for (auto& e : environment) c_env.push_back(e.data());
  c_env.push_back(nullptr);
  std::vector<std::string> args = argv;
  for (auto& a : args) c_argv.push_back(a.data());
  c_argv.push_back(nullptr);

  // The child must not inherit the test's blocked signal mask.
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attributes, &none);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK);

  pid_t pid;
  const int rc = posix_spawn(&pid, c_argv[0], &actions, &attributes,
                             c_argv.data(), c_env.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  close(pipe_fds[1]);
  if (rc != 0) {
    close(pipe_fds[0]);
    return absl::InternalError(
        absl::StrCat("cannot start ", argv[0], ": ", std::strerror(rc)));
  }
  return std::unique_ptr<ChildProcess>(new ChildProcess(pid, pipe_fds[0]));
}

ChildProcess::ChildProcess(pid_t pid, int stderr_fd) : pid_(pid) {
  reader_ = std::thread([this, stderr_fd] { ReadOutput(stderr_fd); });
}

ChildProcess::~ChildProcess() {
  if (!exit_code_) {
    kill(pid_, SIGKILL);
    Wait();
  }
  reader_.join();
}

void ChildProcess::ReadOutput(int fd) {
  char buffer[4096];
  for (;;) {
    const ssize_t n = read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    absl::MutexLock lock(&mu_);
    if (n <= 0) {
      eof_ = true;
      break;
    }
    output_.append(buffer, static_cast<size_t>(n));
  }
  close(fd);
}

absl::StatusOr<std::string> ChildProcess::WaitForLine(const std::string& marker,
                                                      absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto found = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    const size_t at = output_.find(marker);
    return at != std::string::npos &&
           output_.find('\n', at) != std::string::npos;
  };
  struct Args {
    ChildProcess* self;
    const std::string* marker;
  };
  Args args{this, &marker};
  mu_.AwaitWithTimeout(
      absl::Condition(
          +[](Args* a) ABSL_NO_THREAD_SAFETY_ANALYSIS {
            const size_t at = a->self->output_.find(*a->marker);
            return a->self->eof_ ||
                   (at != std::string::npos &&
                    a->self->output_.find('\n', at) != std::string::npos);
          },
          &args),
      timeout);
  if (!found()) {
    return absl::Status(eof_ ? absl::StatusCode::kFailedPrecondition
                             : absl::StatusCode::kDeadlineExceeded,
                        absl::StrCat("waiting for \"", marker, "\": ",
                                     eof_ ? "process exited" : "timed out",
                                     "; output so far:\n", output_));
  }
  const size_t at = output_.find(marker) + marker.size();
  return output_.substr(at, output_.find('\n', at) - at);
}

void ChildProcess::Signal(int signal) { kill(pid_, signal); }

int ChildProcess::Wait() {
  if (exit_code_) return *exit_code_;
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  // The reader thread may not have drained the pipe yet: wait for its end of
  // file so output() holds everything the process wrote (bounded, in case a
  // descendant still holds the pipe open).
  absl::MutexLock lock(&mu_);
  mu_.AwaitWithTimeout(absl::Condition(&eof_), absl::Seconds(10));
  return *exit_code_;
}

std::string ChildProcess::output() const {
  absl::MutexLock lock(&mu_);
  return output_;
}

}  // namespace newsfeed::testing

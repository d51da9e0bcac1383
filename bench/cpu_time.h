// Copyright newsfeed authors.
//
// cpu_time.h: CPU time for the benchmarks. The machines they run on are
// shared and noisy, so rates are reported by CPU time next to wall time.
#ifndef BENCH_CPU_TIME_H_
#define BENCH_CPU_TIME_H_

#include <sys/resource.h>
#include <time.h>

namespace newsfeed::bench {

// CPU time used by the calling thread so far, in seconds.
inline double ThreadCpuSeconds() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

// CPU time used by this process so far (user + system, all threads), in
// seconds.
inline double ProcessCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

}  // namespace newsfeed::bench

#endif  // BENCH_CPU_TIME_H_

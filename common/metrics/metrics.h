// Metrics: counters, gauges and histograms that components update on their
// hot paths, collected in a Registry that renders them in the Prometheus
// text exposition format, version 0.0.4 (served by MetricsServer,
// common/metrics/metrics_server.h).
//
// Updating a metric is one relaxed atomic operation (a histogram: two, plus
// a binary search of its bucket bounds) and never takes a lock. Registering
// metrics, looking up a labelled child and rendering take the registry's or
// the family's mutex, so components register and look up once, at
// construction, and keep the returned references.
//
// Thread-safe: every method of every class here may be called from any
// thread.
//
//   metrics::Registry registry;
//   metrics::CounterFamily& fetches = registry.AddCounterFamily(
//       "newsfeed_fetches_total", "Feed fetches by outcome.", {"outcome"});
//   metrics::Counter& ok = fetches.WithLabels({"ok"});
//   ok.Increment();
//   std::string text = registry.Render();
//   // ...newsfeed_fetches_total{outcome="ok"} 1
//
// Components take a `metrics::Registry*` in their options struct; nullptr
// (the default) means no metrics.
#ifndef COMMON_METRICS_METRICS_H_
#define COMMON_METRICS_METRICS_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace newsfeed::metrics {

// A monotonically increasing count (Prometheus type "counter"). Names of
// counters end in "_total" by convention.
class Counter {
 public:
  Counter() = default;
  Counter(const Counter&) = delete;
  Counter& operator=(const Counter&) = delete;

  void Increment(uint64_t n = 1) {
    value_.fetch_add(n, std::memory_order_relaxed);
  }
  uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

// A value that goes up and down (Prometheus type "gauge"). Starts at 0.
class Gauge {
 public:
  Gauge() = default;
  Gauge(const Gauge&) = delete;
  Gauge& operator=(const Gauge&) = delete;

  void Set(double value) { value_.store(value, std::memory_order_relaxed); }
  // Adds `delta` (negative to decrease).
  void Add(double delta) { value_.fetch_add(delta, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// Counts observations into fixed buckets (Prometheus type "histogram"):
// rendered as cumulative <name>_bucket{le="..."} lines ending with
// le="+Inf", then <name>_sum and <name>_count. Latencies are observed in
// seconds.
class Histogram {
 public:
  // `bounds`: the buckets' upper bounds, strictly increasing and finite (the
  // +Inf bucket is implicit). Registry::AddHistogram checks them.
  explicit Histogram(std::vector<double> bounds);
  Histogram(const Histogram&) = delete;
  Histogram& operator=(const Histogram&) = delete;

  // Counts `value` in the first bucket whose bound is >= value.
  void Observe(double value);
  void ObserveDuration(absl::Duration d) { Observe(absl::ToDoubleSeconds(d)); }

  const std::vector<double>& bounds() const { return bounds_; }
  // Observations in each bucket, not cumulative; the last is the +Inf one.
  std::vector<uint64_t> bucket_counts() const;
  // Sum of all observed values.
  double sum() const { return sum_.load(std::memory_order_relaxed); }

 private:
  const std::vector<double> bounds_;
  // bounds_.size() + 1 entries; the last counts values above every bound.
  const std::unique_ptr<std::atomic<uint64_t>[]> counts_;
  std::atomic<double> sum_{0};
};

// Latency buckets in seconds, 1 ms to 10 s, for RPCs and store writes.
std::vector<double> LatencyBuckets();
// Latency buckets in seconds, 10 ms to 60 s, for network fetches.
std::vector<double> FetchLatencyBuckets();

// Measures elapsed time on a monotonic clock (for Histogram::Observe).
class Stopwatch {
 public:
  Stopwatch() : start_(std::chrono::steady_clock::now()) {}
  double ElapsedSeconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                         start_)
        .count();
  }

 private:
  std::chrono::steady_clock::time_point start_;
};

namespace internal {

// One named metric with HELP and TYPE, and its samples. Implementation
// detail of Registry.
class FamilyBase {
 public:
  FamilyBase(std::string name, std::string help, std::string type,
             std::vector<std::string> label_names)
      : name_(std::move(name)),
        help_(std::move(help)),
        type_(std::move(type)),
        label_names_(std::move(label_names)) {}
  virtual ~FamilyBase() = default;

  const std::string& name() const { return name_; }
  const std::string& type() const { return type_; }
  const std::vector<std::string>& label_names() const { return label_names_; }
  // Appends the HELP and TYPE lines and every sample.
  void Render(std::string* out) const;

 protected:
  // Appends the samples only.
  virtual void RenderSamples(std::string* out) const = 0;
  // Aborts unless `values` has one entry per label name.
  void CheckLabelCount(const std::vector<std::string>& values) const;

 private:
  const std::string name_;
  const std::string help_;
  const std::string type_;
  const std::vector<std::string> label_names_;
};

// Appends one sample line: name{labels,extra} value.
void AppendSample(std::string* out, std::string_view name,
                  const std::vector<std::string>& label_names,
                  const std::vector<std::string>& label_values,
                  std::string_view extra_label, std::string_view extra_value,
                  std::string_view value);

// Append the sample lines of one child of `family`.
void RenderChild(std::string* out, const FamilyBase& family,
                 const std::vector<std::string>& values, const Counter& child);
void RenderChild(std::string* out, const FamilyBase& family,
                 const std::vector<std::string>& values, const Gauge& child);
void RenderChild(std::string* out, const FamilyBase& family,
                 const std::vector<std::string>& values,
                 const Histogram& child);

template <typename Metric>
constexpr const char* TypeName() {
  if constexpr (std::is_same_v<Metric, Counter>) return "counter";
  if constexpr (std::is_same_v<Metric, Gauge>) return "gauge";
  return "histogram";
}

}  // namespace internal

// A metric with label names fixed at registration and one child per set of
// label values. A family without labels has exactly one child, the metric
// itself. Created by Registry.
template <typename Metric>
class Family final : public internal::FamilyBase {
 public:
  Family(std::string name, std::string help,
         std::vector<std::string> label_names, std::vector<double> bounds)
      : FamilyBase(std::move(name), std::move(help),
                   internal::TypeName<Metric>(), std::move(label_names)),
        bounds_(std::move(bounds)) {}

  // The child with these label values (one per label name, in order),
  // created at zero on first use. The reference stays valid as long as the
  // registry. Takes the family's mutex: look children up once and keep
  // them. Aborts when the number of values is wrong (a programming error).
  Metric& WithLabels(const std::vector<std::string>& values) {
    CheckLabelCount(values);
    absl::MutexLock lock(&mu_);
    std::unique_ptr<Metric>& child = children_[values];
    if (child == nullptr) {
      if constexpr (std::is_same_v<Metric, Histogram>) {
        child = std::make_unique<Histogram>(bounds_);
      } else {
        child = std::make_unique<Metric>();
      }
    }
    return *child;
  }

  // The histogram bucket bounds (empty for other types).
  const std::vector<double>& bounds() const { return bounds_; }

 private:
  void RenderSamples(std::string* out) const override {
    absl::MutexLock lock(&mu_);
    for (const auto& [values, child] : children_) {
      internal::RenderChild(out, *this, values, *child);
    }
  }

  const std::vector<double> bounds_;
  mutable absl::Mutex mu_;
  // Ordered by label values, so the rendering is deterministic.
  std::map<std::vector<std::string>, std::unique_ptr<Metric>> children_
      ABSL_GUARDED_BY(mu_);
};

using CounterFamily = Family<Counter>;
using GaugeFamily = Family<Gauge>;
using HistogramFamily = Family<Histogram>;

class Registry;

// Keeps a callback gauge registered; destroying (or resetting) it removes
// the gauge, after which the callback is never called again. Movable.
class CallbackRegistration {
 public:
  CallbackRegistration() = default;
  CallbackRegistration(CallbackRegistration&& other) noexcept
      : registry_(other.registry_), name_(std::move(other.name_)) {
    other.registry_ = nullptr;
  }
  CallbackRegistration& operator=(CallbackRegistration&& other) noexcept;
  CallbackRegistration(const CallbackRegistration&) = delete;
  CallbackRegistration& operator=(const CallbackRegistration&) = delete;
  ~CallbackRegistration() { Reset(); }

  // Removes the gauge now (waiting for a rendering that is calling it).
  void Reset();

 private:
  friend class Registry;
  CallbackRegistration(Registry* registry, std::string name)
      : registry_(registry), name_(std::move(name)) {}

  Registry* registry_ = nullptr;
  std::string name_;
};

// The set of metrics one process exposes.
//
// Names must match [a-zA-Z_:][a-zA-Z0-9_:]* and label names
// [a-zA-Z_][a-zA-Z0-9_]* (not starting with "__"; "le" is reserved for
// histograms). Registering a name again with the same type, label names
// (and bounds) returns the metric already registered; an invalid name or a
// conflicting registration is a programming error and aborts with a
// message naming the metric.
class Registry {
 public:
  Registry() = default;
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;
  // Every CallbackRegistration must be destroyed before the registry.
  ~Registry();

  Counter& AddCounter(const std::string& name, const std::string& help);
  CounterFamily& AddCounterFamily(const std::string& name,
                                  const std::string& help,
                                  std::vector<std::string> label_names);
  Gauge& AddGauge(const std::string& name, const std::string& help);
  GaugeFamily& AddGaugeFamily(const std::string& name, const std::string& help,
                              std::vector<std::string> label_names);
  // `bounds`: bucket upper bounds, strictly increasing and finite.
  Histogram& AddHistogram(const std::string& name, const std::string& help,
                          std::vector<double> bounds);
  HistogramFamily& AddHistogramFamily(const std::string& name,
                                      const std::string& help,
                                      std::vector<std::string> label_names,
                                      std::vector<double> bounds);

  // A gauge whose value is `read()`, called at every rendering (e.g. the
  // outbox depth, the number of subscribers). `read` is called with the
  // registry's lock held, from the thread rendering: it may take the
  // component's own locks but must not register metrics. The gauge exists
  // until the returned registration is destroyed; registering a name that
  // is already registered aborts.
  [[nodiscard]] CallbackRegistration AddCallbackGauge(
      const std::string& name, const std::string& help,
      std::function<double()> read);

  // Every metric in the text exposition format 0.0.4, families ordered by
  // name, children by label values.
  std::string Render() const;

 private:
  friend class CallbackRegistration;
  class CallbackFamily;

  template <typename Metric>
  Family<Metric>& AddFamily(const std::string& name, const std::string& help,
                            const char* type,
                            std::vector<std::string> label_names,
                            std::vector<double> bounds);
  void Remove(const std::string& name);

  mutable absl::Mutex mu_;
  std::map<std::string, std::unique_ptr<internal::FamilyBase>> families_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace newsfeed::metrics

#endif  // COMMON_METRICS_METRICS_H_

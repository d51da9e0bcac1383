#include "common/metrics/metrics.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace newsfeed::metrics {
namespace {

// A broken registration is a bug in the caller, found by its tests.
[[noreturn]] void Fail(const std::string& message) {
  std::fprintf(stderr, "metrics: %s\n", message.c_str());
  std::abort();
}

bool ValidName(std::string_view name, bool allow_colon) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        c == '_' || (allow_colon && c == ':');
    const bool digit = c >= '0' && c <= '9';
    if (!letter && !(digit && i > 0)) return false;
  }
  return true;
}

// Go's strconv.FormatFloat(v, 'g', -1, 64) spelling, as Prometheus writes:
// the shortest text that reads back as the same double.
std::string FormatDouble(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buffer[32];
  // The shortest round-trip digits, in %g style: 0.0005, 2.5, 1e+21.
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), value,
                                 std::chars_format::general);
  if (ec != std::errc()) return "NaN";  // cannot happen with 32 bytes
  return std::string(buffer, end);
}

void AppendEscaped(std::string* out, std::string_view text, bool quote) {
  for (char c : text) {
    if (c == '\\') {
      out->append("\\\\");
    } else if (c == '\n') {
      out->append("\\n");
    } else if (quote && c == '"') {
      out->append("\\\"");
    } else {
      out->push_back(c);
    }
  }
}

}  // namespace

// --- Histogram ------------------------------------------------------------

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)),
      counts_(new std::atomic<uint64_t>[bounds_.size() + 1]) {
  for (size_t i = 0; i <= bounds_.size(); ++i) counts_[i].store(0);
}

void Histogram::Observe(double value) {
  const size_t bucket = static_cast<size_t>(
      std::lower_bound(bounds_.begin(), bounds_.end(), value) -
      bounds_.begin());
  counts_[bucket].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
}

std::vector<uint64_t> Histogram::bucket_counts() const {
  std::vector<uint64_t> counts(bounds_.size() + 1);
  for (size_t i = 0; i < counts.size(); ++i) {
    counts[i] = counts_[i].load(std::memory_order_relaxed);
  }
  return counts;
}

std::vector<double> LatencyBuckets() {
  return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
          0.25,  0.5,    1,     2.5,  5,     10};
}

std::vector<double> FetchLatencyBuckets() {
  return {0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
}

// --- Rendering ------------------------------------------------------------

namespace internal {

void AppendSample(std::string* out, std::string_view name,
                  const std::vector<std::string>& label_names,
                  const std::vector<std::string>& label_values,
                  std::string_view extra_label, std::string_view extra_value,
                  std::string_view value) {
  out->append(name);
  if (!label_names.empty() || !extra_label.empty()) {
    out->push_back('{');
    bool first = true;
    auto append_label = [&](std::string_view label, std::string_view v) {
      if (!first) out->push_back(',');
      first = false;
      out->append(label);
      out->append("=\"");
      AppendEscaped(out, v, /*quote=*/true);
      out->push_back('"');
    };
    for (size_t i = 0; i < label_names.size(); ++i) {
      append_label(label_names[i], label_values[i]);
    }
    if (!extra_label.empty()) append_label(extra_label, extra_value);
    out->push_back('}');
  }
  out->push_back(' ');
  out->append(value);
  out->push_back('\n');
}

void FamilyBase::Render(std::string* out) const {
  out->append("# HELP ");
  out->append(name_);
  out->push_back(' ');
  AppendEscaped(out, help_, /*quote=*/false);
  out->push_back('\n');
  absl::StrAppend(out, "# TYPE ", name_, " ", type_, "\n");
  RenderSamples(out);
}

void FamilyBase::CheckLabelCount(const std::vector<std::string>& values) const {
  if (values.size() != label_names_.size()) {
    Fail(absl::StrCat(name_, ": ", values.size(), " label values given for ",
                      label_names_.size(), " labels (",
                      absl::StrJoin(label_names_, ","), ")"));
  }
}

void RenderChild(std::string* out, const FamilyBase& family,
                 const std::vector<std::string>& values, const Counter& child) {
  AppendSample(out, family.name(), family.label_names(), values, "", "",
               absl::StrCat(child.value()));
}

void RenderChild(std::string* out, const FamilyBase& family,
                 const std::vector<std::string>& values, const Gauge& child) {
  AppendSample(out, family.name(), family.label_names(), values, "", "",
               FormatDouble(child.value()));
}

void RenderChild(std::string* out, const FamilyBase& family,
                 const std::vector<std::string>& values,
                 const Histogram& child) {
  const std::string bucket_name = absl::StrCat(family.name(), "_bucket");
  // _count is the +Inf bucket, so the two always agree even while
  // observations race with the rendering.
  const std::vector<uint64_t> counts = child.bucket_counts();
  const std::vector<double>& bounds = child.bounds();
  uint64_t cumulative = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    cumulative += counts[i];
    AppendSample(out, bucket_name, family.label_names(), values, "le",
                 i < bounds.size() ? FormatDouble(bounds[i]) : "+Inf",
                 absl::StrCat(cumulative));
  }
  AppendSample(out, absl::StrCat(family.name(), "_sum"), family.label_names(),
               values, "", "", FormatDouble(child.sum()));
  AppendSample(out, absl::StrCat(family.name(), "_count"), family.label_names(),
               values, "", "", absl::StrCat(cumulative));
}

}  // namespace internal

// --- Registry ---------------------------------------------------------------

class Registry::CallbackFamily final : public internal::FamilyBase {
 public:
  CallbackFamily(std::string name, std::string help,
                 std::function<double()> read)
      : FamilyBase(std::move(name), std::move(help), "gauge", {}),
        read_(std::move(read)) {}

 private:
  void RenderSamples(std::string* out) const override {
    internal::AppendSample(out, name(), {}, {}, "", "", FormatDouble(read_()));
  }

  const std::function<double()> read_;
};

Registry::~Registry() = default;

template <typename Metric>
Family<Metric>& Registry::AddFamily(const std::string& name,
                                    const std::string& help, const char* type,
                                    std::vector<std::string> label_names,
                                    std::vector<double> bounds) {
  if (!ValidName(name, /*allow_colon=*/true)) {
    Fail(absl::StrCat("invalid metric name \"", name, "\""));
  }
  for (const std::string& label : label_names) {
    if (!ValidName(label, /*allow_colon=*/false) || label.rfind("__", 0) == 0 ||
        (label == "le" && std::is_same_v<Metric, Histogram>)) {
      Fail(absl::StrCat(name, ": invalid label name \"", label, "\""));
    }
  }
  for (size_t i = 0; i < bounds.size(); ++i) {
    if (!std::isfinite(bounds[i]) || (i > 0 && bounds[i] <= bounds[i - 1])) {
      Fail(absl::StrCat(name,
                        ": bucket bounds must be finite and strictly "
                        "increasing"));
    }
  }
  absl::MutexLock lock(&mu_);
  std::unique_ptr<internal::FamilyBase>& slot = families_[name];
  if (slot == nullptr) {
    slot = std::make_unique<Family<Metric>>(name, help, std::move(label_names),
                                            std::move(bounds));
    return static_cast<Family<Metric>&>(*slot);
  }
  auto* existing = dynamic_cast<Family<Metric>*>(slot.get());
  if (existing == nullptr || existing->label_names() != label_names ||
      existing->bounds() != bounds) {
    Fail(absl::StrCat(name, ": registered again as a different ", type,
                      " (type, labels or buckets differ)"));
  }
  return *existing;
}

Counter& Registry::AddCounter(const std::string& name,
                              const std::string& help) {
  return AddCounterFamily(name, help, {}).WithLabels({});
}

CounterFamily& Registry::AddCounterFamily(
    const std::string& name, const std::string& help,
    std::vector<std::string> label_names) {
  return AddFamily<Counter>(name, help, "counter", std::move(label_names), {});
}

Gauge& Registry::AddGauge(const std::string& name, const std::string& help) {
  return AddGaugeFamily(name, help, {}).WithLabels({});
}

GaugeFamily& Registry::AddGaugeFamily(const std::string& name,
                                      const std::string& help,
                                      std::vector<std::string> label_names) {
  return AddFamily<Gauge>(name, help, "gauge", std::move(label_names), {});
}

Histogram& Registry::AddHistogram(const std::string& name,
                                  const std::string& help,
                                  std::vector<double> bounds) {
  return AddHistogramFamily(name, help, {}, std::move(bounds)).WithLabels({});
}

HistogramFamily& Registry::AddHistogramFamily(
    const std::string& name, const std::string& help,
    std::vector<std::string> label_names, std::vector<double> bounds) {
  return AddFamily<Histogram>(name, help, "histogram", std::move(label_names),
                              std::move(bounds));
}

CallbackRegistration Registry::AddCallbackGauge(const std::string& name,
                                                const std::string& help,
                                                std::function<double()> read) {
  if (!ValidName(name, /*allow_colon=*/true)) {
    Fail(absl::StrCat("invalid metric name \"", name, "\""));
  }
  absl::MutexLock lock(&mu_);
  std::unique_ptr<internal::FamilyBase>& slot = families_[name];
  if (slot != nullptr) {
    Fail(absl::StrCat(name,
                      ": callback gauge registered while the name is "
                      "in use"));
  }
  slot = std::make_unique<CallbackFamily>(name, help, std::move(read));
  return CallbackRegistration(this, name);
}

void Registry::Remove(const std::string& name) {
  std::unique_ptr<internal::FamilyBase> removed;
  {
    absl::MutexLock lock(&mu_);
    auto it = families_.find(name);
    if (it == families_.end()) return;
    removed = std::move(it->second);
    families_.erase(it);
  }
  // `removed` (and whatever its callback captured) is destroyed here,
  // outside the lock.
}

std::string Registry::Render() const {
  std::string out;
  absl::ReaderMutexLock lock(&mu_);
  for (const auto& [name, family] : families_) family->Render(&out);
  return out;
}

// --- CallbackRegistration ---------------------------------------------------

CallbackRegistration& CallbackRegistration::operator=(
    CallbackRegistration&& other) noexcept {
  if (this != &other) {
    Reset();
    registry_ = other.registry_;
    name_ = std::move(other.name_);
    other.registry_ = nullptr;
  }
  return *this;
}

void CallbackRegistration::Reset() {
  if (registry_ == nullptr) return;
  registry_->Remove(name_);
  registry_ = nullptr;
}

}  // namespace newsfeed::metrics

// The registry's metrics and their rendering in the Prometheus text format.
#include "common/metrics/metrics.h"

#include <cmath>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace newsfeed::metrics {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(MetricsTest, CounterRendersHelpTypeAndValue) {
  Registry registry;
  Counter& counter =
      registry.AddCounter("newsfeed_things_total", "Things done.");
  counter.Increment();
  counter.Increment(41);
  EXPECT_EQ(counter.value(), 42u);
  EXPECT_EQ(registry.Render(),
            "# HELP newsfeed_things_total Things done.\n"
            "# TYPE newsfeed_things_total counter\n"
            "newsfeed_things_total 42\n");
}

TEST(MetricsTest, FamiliesAreOrderedByNameAndChildrenByLabelValues) {
  Registry registry;
  CounterFamily& fetches = registry.AddCounterFamily(
      "newsfeed_fetches_total", "Fetches by outcome.", {"outcome"});
  registry.AddGauge("newsfeed_a_gauge", "First by name.").Set(1);
  fetches.WithLabels({"ok"}).Increment(3);
  fetches.WithLabels({"http_error"}).Increment();
  fetches.WithLabels({"not_modified"});  // exported at zero
  EXPECT_EQ(registry.Render(),
            "# HELP newsfeed_a_gauge First by name.\n"
            "# TYPE newsfeed_a_gauge gauge\n"
            "newsfeed_a_gauge 1\n"
            "# HELP newsfeed_fetches_total Fetches by outcome.\n"
            "# TYPE newsfeed_fetches_total counter\n"
            "newsfeed_fetches_total{outcome=\"http_error\"} 1\n"
            "newsfeed_fetches_total{outcome=\"not_modified\"} 0\n"
            "newsfeed_fetches_total{outcome=\"ok\"} 3\n");
}

TEST(MetricsTest, LabelValuesAndHelpAreEscaped) {
  Registry registry;
  CounterFamily& family = registry.AddCounterFamily(
      "odd_total", "A \\ backslash\nand a \"quote\".", {"a", "b"});
  family.WithLabels({"say \"hi\"", "back\\slash\nnewline"}).Increment();
  EXPECT_EQ(registry.Render(),
            "# HELP odd_total A \\\\ backslash\\nand a \"quote\".\n"
            "# TYPE odd_total counter\n"
            "odd_total{a=\"say \\\"hi\\\"\",b=\"back\\\\slash\\nnewline\"} "
            "1\n");
}

TEST(MetricsTest, GaugeSetsAddsAndFormatsSpecialValues) {
  Registry registry;
  Gauge& gauge = registry.AddGauge("g", "A gauge.");
  gauge.Set(2.5);
  gauge.Add(-1);
  EXPECT_EQ(gauge.value(), 1.5);
  EXPECT_THAT(registry.Render(), HasSubstr("\ng 1.5\n"));
  gauge.Set(1e21);
  EXPECT_THAT(registry.Render(), HasSubstr("\ng 1e+21\n"));
  gauge.Set(std::numeric_limits<double>::infinity());
  EXPECT_THAT(registry.Render(), HasSubstr("\ng +Inf\n"));
  gauge.Set(-std::numeric_limits<double>::infinity());
  EXPECT_THAT(registry.Render(), HasSubstr("\ng -Inf\n"));
  gauge.Set(std::nan(""));
  EXPECT_THAT(registry.Render(), HasSubstr("\ng NaN\n"));
}

TEST(MetricsTest, HistogramRendersCumulativeBucketsSumAndCount) {
  Registry registry;
  Histogram& histogram =
      registry.AddHistogram("latency_seconds", "Latency.", {0.5, 1});
  histogram.Observe(0.25);
  histogram.Observe(0.5);  // a bound is inclusive
  histogram.Observe(0.75);
  histogram.ObserveDuration(absl::Seconds(4));
  EXPECT_EQ(registry.Render(),
            "# HELP latency_seconds Latency.\n"
            "# TYPE latency_seconds histogram\n"
            "latency_seconds_bucket{le=\"0.5\"} 2\n"
            "latency_seconds_bucket{le=\"1\"} 3\n"
            "latency_seconds_bucket{le=\"+Inf\"} 4\n"
            "latency_seconds_sum 5.5\n"
            "latency_seconds_count 4\n");
}

TEST(MetricsTest, LabelledHistogramPutsLeLast) {
  Registry registry;
  HistogramFamily& family = registry.AddHistogramFamily(
      "rpc_seconds", "RPC latency.", {"method"}, {0.001});
  family.WithLabels({"Search"}).Observe(0.0005);
  const std::string text = registry.Render();
  EXPECT_THAT(text,
              HasSubstr("rpc_seconds_bucket{method=\"Search\",le=\"0.001\"} 1\n"
                        "rpc_seconds_bucket{method=\"Search\",le=\"+Inf\"} 1\n"
                        "rpc_seconds_sum{method=\"Search\"} 0.0005\n"
                        "rpc_seconds_count{method=\"Search\"} 1\n"));
}

TEST(MetricsTest, DefaultBucketsAreIncreasing) {
  for (const std::vector<double>& bounds :
       {LatencyBuckets(), FetchLatencyBuckets()}) {
    ASSERT_FALSE(bounds.empty());
    for (size_t i = 1; i < bounds.size(); ++i)
      EXPECT_LT(bounds[i - 1], bounds[i]);
  }
  Registry registry;  // and the registry accepts them
  registry.AddHistogram("a_seconds", "A.", LatencyBuckets());
  registry.AddHistogram("b_seconds", "B.", FetchLatencyBuckets());
}

TEST(MetricsTest, RegisteringAgainReturnsTheSameMetric) {
  Registry registry;
  Counter& first = registry.AddCounter("c_total", "C.");
  Counter& second = registry.AddCounter("c_total", "C.");
  EXPECT_EQ(&first, &second);
  CounterFamily& family = registry.AddCounterFamily("f_total", "F.", {"x"});
  EXPECT_EQ(&family, &registry.AddCounterFamily("f_total", "F.", {"x"}));
  EXPECT_EQ(&family.WithLabels({"1"}), &family.WithLabels({"1"}));
}

TEST(MetricsTest, CallbackGaugeIsReadAtRenderingUntilUnregistered) {
  Registry registry;
  int subscribers = 3;
  {
    CallbackRegistration registration = registry.AddCallbackGauge(
        "newsfeed_subscribers", "Open streams.",
        [&subscribers] { return static_cast<double>(subscribers); });
    EXPECT_THAT(registry.Render(), HasSubstr("\nnewsfeed_subscribers 3\n"));
    subscribers = 5;
    EXPECT_THAT(registry.Render(), HasSubstr("\nnewsfeed_subscribers 5\n"));
    CallbackRegistration moved = std::move(registration);
    EXPECT_THAT(registry.Render(), HasSubstr("\nnewsfeed_subscribers 5\n"));
  }
  EXPECT_THAT(registry.Render(), Not(HasSubstr("newsfeed_subscribers")));
  // The name is free again.
  CallbackRegistration again = registry.AddCallbackGauge(
      "newsfeed_subscribers", "Open streams.", [] { return 7.0; });
  EXPECT_THAT(registry.Render(), HasSubstr("\nnewsfeed_subscribers 7\n"));
  again.Reset();
  EXPECT_EQ(registry.Render(), "");
}

TEST(MetricsTest, ConcurrentUpdatesAreAllCounted) {
  Registry registry;
  Counter& counter = registry.AddCounter("n_total", "N.");
  Gauge& gauge = registry.AddGauge("level", "L.");
  Histogram& histogram = registry.AddHistogram("h", "H.", {1});
  constexpr int kThreads = 4;
  constexpr int kPerThread = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kPerThread; ++i) {
        counter.Increment();
        gauge.Add(1);
        histogram.Observe(i % 2 == 0 ? 0.5 : 2);
      }
    });
  }
  // Rendering while the others update is safe.
  for (int i = 0; i < 20; ++i) EXPECT_FALSE(registry.Render().empty());
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(counter.value(), uint64_t{kThreads * kPerThread});
  EXPECT_EQ(gauge.value(), double{kThreads * kPerThread});
  EXPECT_EQ(histogram.bucket_counts(),
            (std::vector<uint64_t>{kThreads * kPerThread / 2,
                                   kThreads * kPerThread / 2}));
  EXPECT_THAT(registry.Render(), HasSubstr("\nh_count 80000\n"));
}

using MetricsDeathTest = ::testing::Test;

TEST_F(MetricsDeathTest, ProgrammingErrorsAbortNamingTheMetric) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  Registry registry;
  registry.AddCounter("c_total", "C.");
  EXPECT_DEATH(registry.AddGauge("c_total", "C."), "c_total: registered again");
  EXPECT_DEATH(registry.AddCounter("bad name", "B."), "invalid metric name");
  EXPECT_DEATH(registry.AddCounterFamily("x_total", "X.", {"__reserved"}),
               "invalid label name");
  EXPECT_DEATH(registry.AddHistogram("h", "H.", {2, 1}), "strictly increasing");
  EXPECT_DEATH(registry.AddCounterFamily("y_total", "Y.", {"a"}).WithLabels({}),
               "0 label values given for 1 labels");
  EXPECT_DEATH(
      (void)registry.AddCallbackGauge("c_total", "C.", [] { return 0.0; }),
      "name is in use");
}

}  // namespace
}  // namespace newsfeed::metrics

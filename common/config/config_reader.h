// ConfigReader reads one service's YAML configuration file with typed,
// documented options, each overridable by an environment variable, and
// collects every problem with the name of the option at fault.
//
// An option "retention.max_age" of a reader with env prefix "NEWSFEED_QUERY"
// is overridden by NEWSFEED_QUERY_RETENTION_MAX_AGE. Strings may contain
// ${NAME} references to environment variables, expanded on read.
//
// Not thread-safe; used once, in main(), before anything starts.
//
//   auto reader = ConfigReader::FromFile(path, "NEWSFEED_QUERY");
//   std::string listen = reader->GetString("listen", "127.0.0.1:50051");
//   if (absl::Status s = reader->Finish(); !s.ok()) { ...exit 2... }
#ifndef COMMON_CONFIG_CONFIG_READER_H_
#define COMMON_CONFIG_CONFIG_READER_H_

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace newsfeed::config {

class ConfigReader {
 public:
  // Parses `path` (empty path: an empty configuration, defaults and
  // environment only). INVALID_ARGUMENT naming the file and line for YAML
  // syntax errors, NOT_FOUND for a missing file.
  static absl::StatusOr<std::unique_ptr<ConfigReader>> FromFile(
      const std::string& path, std::string env_prefix);
  // Parses YAML text; `origin` names it in messages.
  static absl::StatusOr<std::unique_ptr<ConfigReader>> FromString(
      const std::string& yaml, const std::string& origin,
      std::string env_prefix);

  // Typed getters: the value at the dotted `key`, its environment override,
  // or `fallback`. A value of the wrong type records an error naming the key.
  std::string GetString(const std::string& key, const std::string& fallback);
  int64_t GetInt(const std::string& key, int64_t fallback);
  // GetInt, and a value outside [min, max] records "must be between min and
  // max" and gives `fallback`.
  int64_t GetIntInRange(const std::string& key, int64_t fallback, int64_t min,
                        int64_t max);
  bool GetBool(const std::string& key, bool fallback);
  // A number such as 0.2; outside [min, max] records "must be between min
  // and max" and gives `fallback`.
  double GetDoubleInRange(const std::string& key, double fallback, double min,
                          double max);
  // Durations as "90s", "15m", "2h", "7d", "500ms" or "0".
  absl::Duration GetDuration(const std::string& key, absl::Duration fallback);
  std::vector<std::string> GetStringList(const std::string& key);
  // The raw node for structured lists (e.g. feeds); marks the key known.
  YAML::Node GetNode(const std::string& key);

  // Records an error for `key` found by the caller's own checks.
  void AddError(const std::string& key, const std::string& message);

  // OK when every value read was valid and the file holds no unknown keys;
  // otherwise INVALID_ARGUMENT listing every problem, each naming its option.
  absl::Status Finish();

 private:
  ConfigReader(YAML::Node root, std::string origin, std::string env_prefix)
      : root_(std::move(root)),
        origin_(std::move(origin)),
        env_prefix_(std::move(env_prefix)) {}

  YAML::Node Find(const std::string& key);
  const char* EnvOverride(const std::string& key) const;
  std::string Expand(const std::string& key, const std::string& value);
  void CollectUnknown(const YAML::Node& node, const std::string& prefix);

  YAML::Node root_;
  std::string origin_;
  std::string env_prefix_;
  std::set<std::string> known_;
  std::vector<std::string> errors_;
};

// Parses "90s", "15m", "2h", "7d", "500ms", "0". INVALID_ARGUMENT otherwise.
absl::StatusOr<absl::Duration> ParseConfigDuration(const std::string& text);

}  // namespace newsfeed::config

#endif  // COMMON_CONFIG_CONFIG_READER_H_

#include "common/config/config_reader.h"

#include <cstdlib>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace newsfeed::config {
namespace {

// yaml-cpp reports errors by exception; this adapter is the only place they
// are caught.
absl::StatusOr<YAML::Node> Parse(const std::string& yaml,
                                 const std::string& origin) {
  try {
    YAML::Node node = YAML::Load(yaml);
    if (node.IsNull()) return YAML::Node(YAML::NodeType::Map);
    if (!node.IsMap()) {
      return absl::InvalidArgumentError(
          absl::StrCat(origin, ": the top level must be a mapping of options"));
    }
    return node;
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(
        origin, ":", e.mark.line + 1, ":", e.mark.column + 1, ": ", e.msg));
  }
}

}  // namespace

absl::StatusOr<absl::Duration> ParseConfigDuration(const std::string& text) {
  std::string t(absl::StripAsciiWhitespace(text));
  if (t == "0") return absl::ZeroDuration();
  struct Unit {
    const char* suffix;
    absl::Duration unit;
  };
  static const Unit kUnits[] = {{"ms", absl::Milliseconds(1)},
                                {"s", absl::Seconds(1)},
                                {"m", absl::Minutes(1)},
                                {"h", absl::Hours(1)},
                                {"d", absl::Hours(24)}};
  for (const Unit& u : kUnits) {
    const std::string suffix = u.suffix;
    if (t.size() > suffix.size() &&
        t.compare(t.size() - suffix.size(), suffix.size(), suffix) == 0) {
      double value;
      if (absl::SimpleAtod(t.substr(0, t.size() - suffix.size()), &value) &&
          value >= 0) {
        return value * u.unit;
      }
    }
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "\"", text, "\" is not a duration (examples: 500ms, 90s, 15m, 2h, 7d)"));
}

absl::StatusOr<std::unique_ptr<ConfigReader>> ConfigReader::FromFile(
    const std::string& path, std::string env_prefix) {
  if (path.empty()) return FromString("", "(defaults)", std::move(env_prefix));
  std::string text;
  if (FILE* f = std::fopen(path.c_str(), "rb")) {
    char buffer[8192];
    size_t n;
    while ((n = std::fread(buffer, 1, sizeof buffer, f)) > 0)
      text.append(buffer, n);
    std::fclose(f);
  } else {
    return absl::NotFoundError(absl::StrCat("cannot read config file ", path));
  }
  return FromString(text, path, std::move(env_prefix));
}

absl::StatusOr<std::unique_ptr<ConfigReader>> ConfigReader::FromString(
    const std::string& yaml, const std::string& origin,
    std::string env_prefix) {
  absl::StatusOr<YAML::Node> root = Parse(yaml, origin);
  if (!root.ok()) return root.status();
  return std::unique_ptr<ConfigReader>(
      new ConfigReader(*root, origin, std::move(env_prefix)));
}

namespace {

// Walks by creating new handles at each level: assigning yaml-cpp nodes
// would rewrite the tree they refer to.
YAML::Node Lookup(const YAML::Node& node, const std::vector<std::string>& parts,
                  size_t i) {
  if (i == parts.size()) return node;
  if (!node.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
  const YAML::Node child = node[parts[i]];
  if (!child.IsDefined()) return YAML::Node(YAML::NodeType::Undefined);
  return Lookup(child, parts, i + 1);
}

}  // namespace

YAML::Node ConfigReader::Find(const std::string& key) {
  known_.insert(key);
  const YAML::Node& root = root_;
  return Lookup(root, absl::StrSplit(key, '.'), 0);
}

const char* ConfigReader::EnvOverride(const std::string& key) const {
  std::string name = absl::StrCat(env_prefix_, "_", key);
  for (char& c : name) c = c == '.' ? '_' : absl::ascii_toupper(c);
  return std::getenv(name.c_str());
}

std::string ConfigReader::Expand(const std::string& key,
                                 const std::string& value) {
  std::string out;
  size_t i = 0;
  while (i < value.size()) {
    size_t start = value.find("${", i);
    if (start == std::string::npos) {
      out.append(value, i, std::string::npos);
      break;
    }
    size_t end = value.find('}', start);
    if (end == std::string::npos) {
      AddError(key, "unterminated ${ in \"" + value + "\"");
      return value;
    }
    out.append(value, i, start - i);
    const std::string name = value.substr(start + 2, end - start - 2);
    const char* env = std::getenv(name.c_str());
    if (env == nullptr) {
      AddError(key, "environment variable " + name + " is not set");
    } else {
      out += env;
    }
    i = end + 1;
  }
  return out;
}

std::string ConfigReader::GetString(const std::string& key,
                                    const std::string& fallback) {
  YAML::Node node = Find(key);
  if (const char* env = EnvOverride(key)) return Expand(key, env);
  if (!node.IsDefined() || node.IsNull()) return fallback;
  if (!node.IsScalar()) {
    AddError(key, "expected a string");
    return fallback;
  }
  return Expand(key, node.Scalar());
}

int64_t ConfigReader::GetInt(const std::string& key, int64_t fallback) {
  YAML::Node node = Find(key);
  std::string text;
  if (const char* env = EnvOverride(key)) {
    text = env;
  } else if (!node.IsDefined() || node.IsNull()) {
    return fallback;
  } else if (node.IsScalar()) {
    text = node.Scalar();
  }
  int64_t value;
  if (!absl::SimpleAtoi(text, &value)) {
    AddError(key, "expected an integer, got \"" + text + "\"");
    return fallback;
  }
  return value;
}

int64_t ConfigReader::GetIntInRange(const std::string& key, int64_t fallback,
                                    int64_t min, int64_t max) {
  const int64_t value = GetInt(key, fallback);
  if (value < min || value > max) {
    AddError(key, absl::StrCat("must be between ", min, " and ", max));
    return fallback;
  }
  return value;
}

double ConfigReader::GetDoubleInRange(const std::string& key, double fallback,
                                      double min, double max) {
  const std::string text = GetString(key, "");
  if (text.empty()) return fallback;
  double value;
  if (!absl::SimpleAtod(text, &value)) {
    AddError(key, "expected a number, got \"" + text + "\"");
    return fallback;
  }
  if (!(value >= min && value <= max)) {
    AddError(key, absl::StrCat("must be between ", min, " and ", max));
    return fallback;
  }
  return value;
}

bool ConfigReader::GetBool(const std::string& key, bool fallback) {
  YAML::Node node = Find(key);
  std::string text;
  if (const char* env = EnvOverride(key)) {
    text = env;
  } else if (!node.IsDefined() || node.IsNull()) {
    return fallback;
  } else if (node.IsScalar()) {
    text = node.Scalar();
  }
  bool value;
  if (!absl::SimpleAtob(text, &value)) {
    AddError(key, "expected true or false, got \"" + text + "\"");
    return fallback;
  }
  return value;
}

absl::Duration ConfigReader::GetDuration(const std::string& key,
                                         absl::Duration fallback) {
  std::string text = GetString(key, "");
  if (text.empty()) return fallback;
  absl::StatusOr<absl::Duration> d = ParseConfigDuration(text);
  if (!d.ok()) {
    AddError(key, std::string(d.status().message()));
    return fallback;
  }
  return *d;
}

std::vector<std::string> ConfigReader::GetStringList(const std::string& key) {
  std::vector<std::string> out;
  YAML::Node node = Find(key);  // marks the key known even when env wins
  if (const char* env = EnvOverride(key)) {
    for (absl::string_view part : absl::StrSplit(env, ',', absl::SkipEmpty())) {
      out.push_back(Expand(key, std::string(absl::StripAsciiWhitespace(part))));
    }
    return out;
  }
  if (!node.IsDefined() || node.IsNull()) return out;
  if (!node.IsSequence()) {
    AddError(key, "expected a list");
    return out;
  }
  for (const YAML::Node& item : node) {
    if (!item.IsScalar()) {
      AddError(key, "expected a list of strings");
      continue;
    }
    out.push_back(Expand(key, item.Scalar()));
  }
  return out;
}

YAML::Node ConfigReader::GetNode(const std::string& key) { return Find(key); }

void ConfigReader::AddError(const std::string& key,
                            const std::string& message) {
  errors_.push_back(absl::StrCat(key, ": ", message));
}

void ConfigReader::CollectUnknown(const YAML::Node& node,
                                  const std::string& prefix) {
  for (const auto& entry : node) {
    const std::string key =
        prefix.empty() ? entry.first.Scalar()
                       : absl::StrCat(prefix, ".", entry.first.Scalar());
    if (known_.count(key)) continue;
    if (entry.second.IsMap()) {
      CollectUnknown(entry.second, key);
    } else {
      errors_.push_back(absl::StrCat(key, ": unknown option"));
    }
  }
}

absl::Status ConfigReader::Finish() {
  CollectUnknown(root_, "");
  if (errors_.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat("invalid configuration in ",
                                                 origin_, ": ",
                                                 absl::StrJoin(errors_, "; ")));
}

}  // namespace newsfeed::config

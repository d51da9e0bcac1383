#include "ingest-service/tagger/gazetteer.h"

#include <algorithm>
#include <charconv>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

namespace newsfeed::ingest::internal {
std::vector<std::string_view> Split(std::string_view s, char sep,
                                    bool skip_empty) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    const size_t pos = s.find(sep, start);
    const std::string_view piece =
        s.substr(start, pos == std::string_view::npos ? s.npos : pos - start);
    if (!skip_empty || !piece.empty()) out.push_back(piece);
    if (pos == std::string_view::npos) break;
    start = pos + 1;
  }
  return out;
}

std::string_view Strip(std::string_view s) {
  while (!s.empty() && absl::ascii_isspace(s.front())) s.remove_prefix(1);
  while (!s.empty() && absl::ascii_isspace(s.back())) s.remove_suffix(1);
  return s;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = absl::ascii_tolower(c);
  return out;
}

namespace {

// The people of a country, named in the plural, say as much as its
// adjective: "South Africans grapple with costs", "Kenyans", "Filipinos".
// Adds the plural of each demonym ending as a noun that takes "-s" does,
// keeping its markers ("~Georgian" -> "~Georgians").
std::string WithPluralDemonyms(std::string_view aliases) {
  std::string out(aliases);
  absl::flat_hash_set<std::string_view> listed;
  const std::vector<std::string_view> split = Split(aliases, '|', true);
  for (std::string_view a : split) listed.insert(a);
  for (std::string_view a : split) {
    if (a.empty()) continue;
    const char last = a.back();
    if (last != 'n' && last != 'i' && last != 'r' && last != 'o') continue;
    const std::string plural = std::string(a) + "s";
    if (listed.contains(plural)) continue;
    out += '|';
    out += plural;
  }
  return out;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && Lower(a) == Lower(b);
}

bool IsCountryCode(std::string_view s) {
  return s.size() == 2 && absl::ascii_isupper(s[0]) &&
         absl::ascii_isupper(s[1]);
}

std::string Slug(std::string_view name) {
  std::string out;
  for (char c : name) {
    if (absl::ascii_isalnum(c)) {
      out.push_back(absl::ascii_tolower(c));
    } else if (!out.empty() && out.back() != '-') {
      out.push_back('-');
    }
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out;
}

bool ParseDouble(std::string_view s, double* out) {
  const char* end = s.data() + s.size();
  auto [ptr, ec] = std::from_chars(s.data(), end, *out);
  return ec == std::errc() && ptr == end;
}

}  // namespace

bool Gazetteer::CaseMatches(const Pattern& pat, const TokenizedText& t,
                            std::string_view text, size_t i) {
  if (pat.exact_case) {
    for (size_t k = 0; k < pat.forms.size(); ++k) {
      const Token& tok = t.tokens[i + k];
      if (text.substr(tok.begin, tok.end - tok.begin) != pat.forms[k]) {
        return false;
      }
    }
    return true;
  }
  // "Apple" in the data never matches "apple": news capitalizes names.
  return !pat.upper_initial || t.tokens[i].upper_initial;
}

size_t Gazetteer::MatchGapped(const Pattern& pat, const TokenizedText& t,
                              size_t k, size_t j) {
  const uint32_t sentence = t.tokens[j - 1].sentence;
  for (; k < pat.keys.size(); ++k, ++j) {
    if (pat.keys[k] == kGapKey) {
      for (size_t g = 0; g <= kMaxGap; ++g) {
        if (g > 0 && (j + g - 1 >= t.tokens.size() ||
                      t.tokens[j + g - 1].sentence != sentence)) {
          break;
        }
        if (size_t end = MatchGapped(pat, t, k + 1, j + g); end != 0) {
          return end;
        }
      }
      return 0;
    }
    if (j >= t.tokens.size() || t.tokens[j].key != pat.keys[k] ||
        t.tokens[j].sentence != sentence) {
      return 0;
    }
  }
  return j;
}

bool Gazetteer::IsNegativeCue(std::string_view alias_key,
                              std::string_view key) const {
  auto it = negative_cues_.find(AV(alias_key));
  return it != negative_cues_.end() && it->second.contains(AV(key));
}

absl::Status Gazetteer::AddAliases(PatternKind kind, uint32_t target,
                                   std::string_view aliases,
                                   PlaceKind place_kind, double weight) {
  for (std::string_view raw : Split(aliases, '|', true)) {
    Pattern pat;
    pat.kind = kind;
    pat.target = target;
    pat.place_kind = place_kind;
    pat.weight = weight;
    std::string_view alias = Strip(raw);
    while (!alias.empty() && (alias[0] == '~' || alias[0] == '=')) {
      (alias[0] == '~' ? pat.ambiguous : pat.exact_case) = true;
      alias.remove_prefix(1);
    }
    TokenizedText t;
    Tokenize(alias, &t);
    if (t.tokens.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("empty alias in \"", AV(aliases), "\""));
    }
    const std::string dedupe_key =
        absl::StrCat(static_cast<int>(kind), ":", target, ":", t.lowered,
                     pat.exact_case ? "=" : "");
    auto [seen, inserted] = seen_aliases_.try_emplace(
        dedupe_key, static_cast<uint32_t>(patterns_.size()));
    if (!inserted) {
      // "place JO name ~Jordan" after the iso-codes "Jordan": the later,
      // more careful record adds the ambiguity marker.
      patterns_[seen->second].ambiguous |= pat.ambiguous;
      // "Adidas" then "adidas": a name its owner writes in lowercase
      // matches either way. (Topic phrases keep the first one's case.)
      if (kind != PatternKind::kTopicRule) {
        patterns_[seen->second].upper_initial &= t.tokens[0].upper_initial;
      }
      continue;
    }
    pat.text = std::string(alias);
    pat.lower_text = Lower(alias);
    for (const Token& tok : t.tokens) {
      pat.keys.emplace_back(tok.key);
      if (pat.exact_case) {
        pat.forms.emplace_back(alias.substr(tok.begin, tok.end - tok.begin));
      }
    }
    pat.upper_initial = t.tokens[0].upper_initial;
    for (size_t k = 0; k < pat.keys.size(); ++k) {
      if (pat.keys[k] != kGapKey) continue;
      if (kind != PatternKind::kTopicRule || k == 0 ||
          k + 1 == pat.keys.size() || pat.keys[k + 1] == kGapKey) {
        return absl::InvalidArgumentError(absl::StrCat(
            "\"*\" must sit between two words of a topic phrase: \"", AV(alias),
            "\""));
      }
      pat.has_gap = true;
    }
    patterns_.push_back(std::move(pat));
    if (kind == PatternKind::kCompany || kind == PatternKind::kPlace) {
      ++alias_count_;
    }
    // Wire copy spells "&" as "and": "Standard and Poor's", "Procter and
    // Gamble".
    if (kind == PatternKind::kCompany && absl::StrContains(AV(raw), " & ")) {
      const std::string spelled =
          absl::StrReplaceAll(AV(raw), {{" & ", " and "}});
      if (absl::Status s =
              AddAliases(kind, target, spelled, place_kind, weight);
          !s.ok()) {
        return s;
      }
    }
  }
  return absl::OkStatus();
}

absl::Status Gazetteer::AddFile(std::string_view name, std::string_view text) {
  int line_no = 0;
  for (std::string_view line : Split(text, '\n')) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (Strip(line).empty() || line[0] == '#') continue;
    std::vector<std::string_view> cols = Split(line, '\t');
    auto error = [&](std::string_view why) {
      return absl::InvalidArgumentError(
          absl::StrCat(AV(name), ":", line_no, ": ", AV(why)));
    };
    auto need = [&](size_t n) { return cols.size() >= n; };
    const std::string_view type = cols[0];
    absl::Status s;
    if (type == "company") {
      if (!need(5)) return error("company needs id, name, ticker, hq columns");
      const std::string_view name_col = Strip(cols[2]);
      if (name_col.empty()) return error("company without a name");
      const std::string_view hq = cols[4];
      if (!hq.empty() && !IsCountryCode(hq)) {
        return error(absl::StrCat("bad headquarters country \"", AV(hq), "\""));
      }
      std::string id(cols[1]);
      if (id.empty() || id == "-") {
        id = cols[3].empty() ? absl::StrCat("name:", Slug(name_col))
                             : absl::StrCat("ticker:", AV(cols[3]));
      }
      auto [it, inserted] = company_by_id_.try_emplace(
          id, static_cast<uint32_t>(companies_.size()));
      if (inserted) {
        companies_.push_back(
            {id, std::string(name_col), std::string(cols[3]), std::string(hq)});
      }
      const std::string_view aliases = cols.size() > 5 ? cols[5] : "";
      // The canonical name is an alias too, unless the list already gives it
      // with markers ("~Apple"). An exact-case alias in another case ("=KIA"
      // for "Kia") does not cover the name.
      bool listed = false;
      for (std::string_view a : Split(aliases, '|')) {
        a = Strip(a);
        bool exact = false;
        while (!a.empty() && (a[0] == '~' || a[0] == '=')) {
          exact = exact || a[0] == '=';
          a.remove_prefix(1);
        }
        // "EasyJet" does not cover "easyJet": an alias written with a
        // capital requires one.
        if (exact ? a == name_col
                  : EqualsIgnoreCase(a, name_col) && a[0] == name_col[0]) {
          listed = true;
        }
      }
      if (!listed) {
        s = AddAliases(PatternKind::kCompany, it->second, name_col,
                       PlaceKind::kName, 0);
      }
      if (s.ok()) {
        s = AddAliases(PatternKind::kCompany, it->second, aliases,
                       PlaceKind::kName, 0);
      }
    } else if (type == "country") {
      if (!need(3) || !IsCountryCode(cols[1])) {
        return error("country needs an ISO 3166-1 alpha-2 code and a name");
      }
      if (country_by_code_.contains(AV(cols[1]))) continue;
      country_by_code_.emplace(std::string(cols[1]), countries_.size());
      countries_.push_back({std::string(cols[1]), std::string(cols[2])});
    } else if (type == "place") {
      if (!need(4)) return error("place needs code, kind, aliases");
      auto it = country_by_code_.find(AV(cols[1]));
      if (it == country_by_code_.end()) {
        return error(
            absl::StrCat("unknown country code \"", AV(cols[1]), "\""));
      }
      static const std::pair<std::string_view, PlaceKind> kKinds[] = {
          {"name", PlaceKind::kName},
          {"abbr", PlaceKind::kAbbrev},
          {"demonym", PlaceKind::kDemonym},
          {"capital", PlaceKind::kCapital},
          {"city", PlaceKind::kCity},
          {"region", PlaceKind::kRegion},
          {"institution", PlaceKind::kInstitution}};
      const PlaceKind* kind = nullptr;
      for (const auto& [k, v] : kKinds) {
        if (cols[2] == k) kind = &v;
      }
      if (kind == nullptr) {
        return error(absl::StrCat("unknown place kind \"", AV(cols[2]), "\""));
      }
      if (*kind == PlaceKind::kDemonym) {
        s = AddAliases(PatternKind::kPlace, it->second,
                       WithPluralDemonyms(cols[3]), *kind, 0);
      } else {
        s = AddAliases(PatternKind::kPlace, it->second, cols[3], *kind, 0);
      }
    } else if (type == "topic") {
      double threshold = 0;
      if (!need(4) || !ParseDouble(cols[3], &threshold) || threshold <= 0) {
        return error("topic needs id, name and a positive threshold");
      }
      auto [it, inserted] = topic_by_id_.try_emplace(
          std::string(cols[1]), static_cast<uint32_t>(topics_.size()));
      if (inserted) {
        topics_.push_back(
            {std::string(cols[1]), std::string(cols[2]), threshold, {}});
      } else {
        topics_[it->second].threshold = threshold;
      }
    } else if (type == "rule") {
      double weight = 0;
      if (!need(4) || !ParseDouble(cols[2], &weight)) {
        return error("rule needs topic, numeric weight, phrases");
      }
      auto it = topic_by_id_.find(AV(cols[1]));
      if (it == topic_by_id_.end()) {
        return error(
            absl::StrCat("rule for undeclared topic \"", AV(cols[1]), "\""));
      }
      s = AddAliases(PatternKind::kTopicRule, it->second, cols[3],
                     PlaceKind::kName, weight);
    } else if (type == "suppress") {
      auto topic =
          need(3) ? topic_by_id_.find(AV(cols[1])) : topic_by_id_.end();
      auto by = need(3) ? topic_by_id_.find(AV(cols[2])) : topic_by_id_.end();
      if (topic == topic_by_id_.end() || by == topic_by_id_.end()) {
        return error("suppress needs two declared topic ids");
      }
      topics_[topic->second].suppressed_by.push_back(by->second);
    } else if (type == "lead" || type == "strong" || type == "object") {
      auto topic =
          need(2) ? topic_by_id_.find(AV(cols[1])) : topic_by_id_.end();
      if (topic == topic_by_id_.end()) {
        return error(absl::StrCat(AV(type), " needs a declared topic id"));
      }
      Topic& t = topics_[topic->second];
      (type == "lead"     ? t.needs_lead
       : type == "strong" ? t.needs_strong
                          : t.company_object) = true;
    } else if (type == "veto") {
      if (!need(2)) return error("veto needs phrases");
      s = AddAliases(PatternKind::kVeto, 0, cols[1], PlaceKind::kName, 0);
    } else if (type == "cue") {
      if (!need(3) || (cols[1] != "business" && cols[1] != "country")) {
        return error("cue needs business|country and words");
      }
      auto& set = cols[1] == "business" ? business_cues_ : country_cues_;
      for (std::string_view w : Split(cols[2], '|', true)) {
        set.insert(Lower(Strip(w)));
      }
    } else if (type == "negcue") {
      if (!need(3)) return error("negcue needs an alias and words");
      auto& set = negative_cues_[Lower(cols[1])];
      for (std::string_view w : Split(cols[2], '|', true)) {
        set.insert(Lower(Strip(w)));
      }
    } else if (type == "currency") {
      if (!need(2) || cols[1].size() != 3)
        return error("currency needs a code");
      currency_codes_.insert(std::string(cols[1]));
    } else {
      return error(absl::StrCat("unknown record type \"", AV(type), "\""));
    }
    if (!s.ok())
      return error(std::string_view(s.message().data(), s.message().size()));
  }
  return absl::OkStatus();
}

absl::Status Gazetteer::Finish() {
  if (auto it = topic_by_id_.find("earnings"); it != topic_by_id_.end()) {
    earnings_topic_ = static_cast<int>(it->second);
  }
  // Companies whose longer names each one-word alias opens.
  absl::flat_hash_map<std::string_view, absl::flat_hash_set<uint32_t>> opened;
  for (const Pattern& pat : patterns_) {
    if (pat.kind == PatternKind::kCompany && pat.keys.size() >= 2) {
      opened[pat.keys[0]].insert(pat.target);
    }
  }
  for (Pattern& pat : patterns_) {
    if (pat.kind != PatternKind::kCompany || pat.keys.size() != 1) continue;
    auto it = opened.find(pat.keys[0]);
    if (it == opened.end()) continue;
    pat.group_name =
        it->second.size() - (it->second.contains(pat.target) ? 1 : 0) >= 2;
  }
  absl::flat_hash_map<uint64_t, std::vector<IndexEntry>> lists;
  for (uint32_t i = 0; i < patterns_.size(); ++i) {
    const Pattern& pat = patterns_[i];
    const size_t gaps = static_cast<size_t>(
        std::count(pat.keys.begin(), pat.keys.end(), kGapKey));
    if (pat.keys.size() - gaps > 255) {
      return absl::InvalidArgumentError(
          absl::StrCat("phrase too long: \"", pat.text, "\""));
    }
    const uint64_t h = KeyHash(pat.keys[0]);
    IndexEntry e;
    e.second_hash =
        pat.keys.size() >= 2 && !pat.has_gap ? KeyHash(pat.keys[1]) : 0;
    e.pattern = i;
    e.size = static_cast<uint8_t>(pat.keys.size() - gaps);
    e.kind = pat.kind;
    e.has_gap = pat.has_gap;
    e.upper_initial = pat.upper_initial && !pat.exact_case;
    e.exact_case = pat.exact_case;
    lists[h].push_back(e);
    if (pat.keys.size() == 1 || pat.has_gap) {
      SetBit(single_bits_, h);
    } else {
      SetBit(pair_bits_, PairHash(h, e.second_hash));
    }
  }
  size_t n_buckets = 16;
  while (n_buckets < 2 * lists.size()) n_buckets *= 2;
  buckets_.assign(n_buckets, Bucket());
  bucket_mask_ = n_buckets - 1;
  index_.clear();
  for (auto& [h, list] : lists) {
    std::stable_sort(list.begin(), list.end(),
                     [](const IndexEntry& a, const IndexEntry& b) {
                       return a.size > b.size;
                     });
    size_t x = (h >> 16) & bucket_mask_;
    while (buckets_[x].begin != buckets_[x].end) x = (x + 1) & bucket_mask_;
    buckets_[x].hash = h;
    buckets_[x].begin = static_cast<uint32_t>(index_.size());
    index_.insert(index_.end(), list.begin(), list.end());
    buckets_[x].end = static_cast<uint32_t>(index_.size());
  }
  return absl::OkStatus();
}

}  // namespace newsfeed::ingest::internal

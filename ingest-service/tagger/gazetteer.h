// The tagger's loaded data: companies, countries, topics and the phrase
// patterns that find them in tokenized text. Internal to the tagger.
#ifndef INGEST_SERVICE_TAGGER_GAZETTEER_H_
#define INGEST_SERVICE_TAGGER_GAZETTEER_H_

#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "ingest-service/tagger/tokenizer.h"

namespace newsfeed::ingest::internal {

// Debian's absl::string_view is its own type, not std::string_view; these
// bridge the two where absl APIs (StrCat, hash-map lookups) take it.
inline absl::string_view AV(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}
std::vector<std::string_view> Split(std::string_view s, char sep,
                                    bool skip_empty = false);
std::string_view Strip(std::string_view s);
std::string Lower(std::string_view s);

struct Company {
  std::string id;
  std::string name;
  std::string ticker;
  std::string hq_country;
};

struct Country {
  std::string code;
  std::string name;
};

struct Topic {
  std::string id;
  std::string name;
  double threshold = 0;
  // Topics that, when tagged, make this one redundant unless it scores at
  // least twice its threshold ("jobs" inside a "layoffs" story).
  std::vector<uint32_t> suppressed_by;
  // Its words are common in passing ("oil", "power", "pipeline"): it needs
  // a phrase in the title or lead, or three different phrases.
  bool needs_lead = false;
  // Its weaker words describe other things too ("forecast", "quarter" of
  // the economy): it needs a strong phrase, or three different weaker ones.
  bool needs_strong = false;
  // A phrase of it right before a company's name is a strong one: "to buy
  // Oakleaf Corp", "bid for Acme".
  bool company_object = false;
};

// How a place alias names its country; sets the weight of a mention.
enum class PlaceKind : uint8_t {
  kName,
  kAbbrev,
  kDemonym,
  kCapital,
  kCity,
  kRegion,       // a state or province: "Ohio", "Bavaria"
  kInstitution,  // a national body: "FTC", "Bundestag"
};

enum class PatternKind : uint8_t { kCompany, kPlace, kTopicRule, kVeto };

// One phrase to find: a company alias, a country name, a topic phrase or a
// veto phrase ("Amazon rainforest").
// A "*" between the words of a topic phrase ("cut * jobs") stands for 0 to
// kMaxGap tokens of the same sentence ("cut about 2,000 jobs").
inline constexpr size_t kMaxGap = 3;
inline constexpr std::string_view kGapKey = "*";

struct Pattern {
  PatternKind kind = PatternKind::kVeto;
  uint32_t target = 0;             // index into companies/countries/topics
  std::vector<std::string> keys;   // token keys, as Tokenize produces them
  std::vector<std::string> forms;  // original tokens (exact-case patterns)
  std::string text;                // the alias or phrase as written in the data
  std::string lower_text;      // text, ASCII-lowered: the key of negative cues
  bool ambiguous = false;      // an ordinary word too: needs evidence
  bool exact_case = false;     // "=US": case must match exactly
  bool upper_initial = false;  // data form is capitalized: text must be too
  bool has_gap = false;        // a "*" key: up to kMaxGap tokens of anything
  // A one-word company alias that opens the names of two or more other
  // listed companies: a business group's name ("Hyundai", "Samsung").
  bool group_name = false;
  PlaceKind place_kind = PlaceKind::kName;
  double weight = 0;  // topic rules
};

class Gazetteer {
 public:
  Gazetteer() = default;
  Gazetteer(const Gazetteer&) = delete;
  Gazetteer& operator=(const Gazetteer&) = delete;

  // Parses the records of one data file (format: data/README.md) and adds
  // them. `name` is used in error messages: INVALID_ARGUMENT "name:line: why".
  absl::Status AddFile(std::string_view name, std::string_view text);

  // Builds the lookup index; call once after the last AddFile. Fails with
  // INVALID_ARGUMENT when a topic rule names an unknown topic.
  absl::Status Finish();

  // A fast hash of a token key (the index and MatchAt compare these before
  // any string). Hash each token of a text once and pass the hashes to
  // MatchAt.
  static uint64_t KeyHash(std::string_view key) {
    // The length is mixed in before the bytes: XORed in beside the last
    // bytes, it cancelled against them ("mt" and "mtu" had one hash).
    uint64_t h = (0x9E3779B97F4A7C15ull ^ key.size()) * 0xFF51AFD7ED558CCDull;
    h ^= h >> 32;
    size_t i = 0;
    for (; i + 8 <= key.size(); i += 8) {
      uint64_t w;
      std::memcpy(&w, key.data() + i, 8);
      h = (h ^ w) * 0xFF51AFD7ED558CCDull;
      h ^= h >> 32;
    }
    const size_t r = key.size() - i;  // 0..7 bytes left
    if (r > 0) {
      // Two overlapping loads of 4 bytes, or three single bytes: no partial
      // copy through the stack (a store-forwarding stall on every token).
      const unsigned char* p =
          reinterpret_cast<const unsigned char*>(key.data()) + i;
      uint64_t w;
      if (r >= 4) {
        uint32_t a, b;
        std::memcpy(&a, p, 4);
        std::memcpy(&b, p + r - 4, 4);
        w = (uint64_t{a} << 32) | b;
      } else {
        w = (uint64_t{p[0]} << 16) | (uint64_t{p[r / 2]} << 8) | p[r - 1];
      }
      h = (h ^ w) * 0xFF51AFD7ED558CCDull;
    }
    h ^= h >> 33;
    h *= 0xC4CEB9FE1A85EC53ull;
    h ^= h >> 29;
    return h;
  }

  // Calls fn(pattern_index, kind, token_count) for every pattern matching at
  // tokens[i], longest first. Case constraints are checked against `text`.
  // hashes[k] must be KeyHash(t.tokens[k].key). The first two keys are
  // compared by their 64-bit hashes only (a false match would need a hash
  // collision between two words).
  template <typename Fn>
  void MatchAt(const TokenizedText& t, std::string_view text,
               const uint64_t* hashes, size_t i, Fn&& fn) const {
    const uint64_t h = hashes[i];
    // Most tokens start no pattern, and most that do ("the", "to", "new")
    // start only longer ones whose second word is not the next token: two
    // bit tests say so without touching the table.
    if (!TestBit(single_bits_, h) &&
        (i + 1 >= t.tokens.size() ||
         !TestBit(pair_bits_, PairHash(h, hashes[i + 1])))) {
      return;
    }
    const Bucket* b = &buckets_[(h >> 16) & bucket_mask_];
    while (b->hash != h) {
      if (b->begin == b->end) return;  // an empty bucket: no such key
      b = b + 1 == buckets_.data() + buckets_.size() ? buckets_.data() : b + 1;
    }
    const size_t size = t.tokens.size();
    const uint64_t second_hash = i + 1 < size ? hashes[i + 1] : uint64_t{0};
    const bool upper = t.tokens[i].upper_initial;
    for (uint32_t x = b->begin; x < b->end; ++x) {
      const IndexEntry& e = index_[x];
      const size_t n = e.size;
      if (i + n > size) continue;
      if (e.upper_initial && !upper) continue;
      if (e.has_gap) {
        const size_t end = MatchGapped(patterns_[e.pattern], t, 1, i + 1);
        if (end != 0) fn(e.pattern, e.kind, end - i);
        continue;
      }
      if (n >= 2 && second_hash != e.second_hash) continue;
      if (n >= 3 || e.exact_case) {
        const Pattern& pat = patterns_[e.pattern];
        bool ok = true;
        for (size_t k = 2; k < n && ok; ++k) {
          ok = t.tokens[i + k].key == pat.keys[k];
        }
        if (!ok || !CaseMatches(pat, t, text, i)) continue;
      }
      fn(e.pattern, e.kind, n);
    }
  }

  const std::vector<Pattern>& patterns() const { return patterns_; }
  const std::vector<Company>& companies() const { return companies_; }
  const std::vector<Country>& countries() const { return countries_; }
  const std::vector<Topic>& topics() const { return topics_; }
  // Index of the country with ISO code `code` in countries(), or -1.
  int CountryIndex(std::string_view code) const {
    auto it = country_by_code_.find(AV(code));
    return it == country_by_code_.end() ? -1 : static_cast<int>(it->second);
  }
  bool IsCurrencyCode(std::string_view code) const {
    return currency_codes_.contains(AV(code));
  }
  // Context words ("shares", "CEO") that support an ambiguous company alias.
  bool IsBusinessCue(std::string_view key) const {
    return business_cues_.contains(AV(key));
  }
  // Context words ("government", "border") that support an ambiguous country.
  bool IsCountryCue(std::string_view key) const {
    return country_cues_.contains(AV(key));
  }
  // Words that veto the ambiguous alias `alias_key` nearby ("harvest" for
  // "apple").
  bool IsNegativeCue(std::string_view alias_key, std::string_view key) const;
  // The negative cue words of `alias_key`, or null when it has none.
  const absl::flat_hash_set<std::string>* NegativeCues(
      std::string_view alias_key) const {
    auto it = negative_cues_.find(AV(alias_key));
    return it == negative_cues_.end() ? nullptr : &it->second;
  }

  size_t alias_count() const { return alias_count_; }
  // Index of the "earnings" topic, which a results table belongs to, or -1
  // when the taxonomy has none. Set by Finish.
  int earnings_topic() const { return earnings_topic_; }

 private:
  static bool CaseMatches(const Pattern& pat, const TokenizedText& t,
                          std::string_view text, size_t i);
  // Matches pat.keys[k..] from token j on; returns the end token or 0.
  static size_t MatchGapped(const Pattern& pat, const TokenizedText& t,
                            size_t k, size_t j);
  absl::Status AddAliases(PatternKind kind, uint32_t target,
                          std::string_view aliases, PlaceKind place_kind,
                          double weight);

  std::vector<Company> companies_;
  std::vector<Country> countries_;
  std::vector<Topic> topics_;
  std::vector<Pattern> patterns_;
  absl::flat_hash_map<std::string, uint32_t> company_by_id_;
  absl::flat_hash_map<std::string, uint32_t> country_by_code_;
  absl::flat_hash_map<std::string, uint32_t> topic_by_id_;
  // Topic rules whose topic may be declared later in the same or a later file.
  std::vector<std::pair<std::string, uint32_t>> pending_rules_;
  // What MatchAt needs of a pattern, kept together so that a scan touches
  // no Pattern unless it has three or more words or an exact case.
  struct IndexEntry {
    uint64_t second_hash;  // KeyHash of the second key; 0 for one token
    uint32_t pattern;
    uint8_t size;  // tokens in the pattern (the fewest, with gaps)
    PatternKind kind;
    bool has_gap : 1;
    bool upper_initial : 1;
    bool exact_case : 1;
  };
  static_assert(sizeof(IndexEntry) == 16);
  // An open-addressing table from the KeyHash of a first key to its range of
  // index_ (longest pattern first); begin == end marks an empty bucket.
  struct Bucket {
    uint64_t hash = 0;
    uint32_t begin = 0;
    uint32_t end = 0;
  };
  std::vector<Bucket> buckets_;
  uint64_t bucket_mask_ = 0;
  std::vector<IndexEntry> index_;
  // Bit filters of 2^16 bits: the first keys of one-word and gapped
  // patterns, and the first two keys (PairHash) of the others.
  static constexpr uint64_t kBitMask = 1023;
  static uint64_t PairHash(uint64_t first, uint64_t second) {
    uint64_t h = first ^ (second * 0x9E3779B97F4A7C15ull);
    h ^= h >> 31;
    return h * 0xBF58476D1CE4E5B9ull;
  }
  static bool TestBit(const std::vector<uint64_t>& bits, uint64_t h) {
    return (bits[(h >> 6) & kBitMask] >> (h & 63)) & 1;
  }
  static void SetBit(std::vector<uint64_t>& bits, uint64_t h) {
    bits[(h >> 6) & kBitMask] |= uint64_t{1} << (h & 63);
  }
  std::vector<uint64_t> single_bits_ = std::vector<uint64_t>(1024, 0);
  std::vector<uint64_t> pair_bits_ = std::vector<uint64_t>(1024, 0);
  absl::flat_hash_set<std::string> currency_codes_;
  absl::flat_hash_set<std::string> business_cues_;
  absl::flat_hash_set<std::string> country_cues_;
  absl::flat_hash_map<std::string, absl::flat_hash_set<std::string>>
      negative_cues_;
  // Alias -> pattern, so a later record can mark a built-in name ambiguous.
  absl::flat_hash_map<std::string, uint32_t> seen_aliases_;
  size_t alias_count_ = 0;
  int earnings_topic_ = -1;
};

}  // namespace newsfeed::ingest::internal

#endif  // INGEST_SERVICE_TAGGER_GAZETTEER_H_

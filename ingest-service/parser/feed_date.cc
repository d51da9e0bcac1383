// ParseFeedDate and FormatRfc3339 (declared in feed_parser.h).
//
// Two parsers: a strict-shaped one for ISO 8601 / RFC 3339 (the text starts
// with a four-digit year and '-'), and a token-based one for RFC 822 and the
// many ways feeds get it wrong. The token parser classifies each word
// (weekday, month name, number, clock time, zone) instead of insisting on
// positions, which is what makes "13 May 2024", "May 13, 2024" and
// "Mon,13 May 24 9:30 GMT+2" all work.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/strings/ascii.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "ingest-service/parser/feed_parser.h"
#include "ingest-service/parser/html_entities.h"

namespace newsfeed::ingest {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         static_cast<unsigned char>(c) >= 0x80;
}

// Reads up to `max_digits` digits at text[*pos]; false when there are fewer
// than `min_digits`.
bool ReadNumber(std::string_view text, size_t* pos, int min_digits,
                int max_digits, int* value) {
  int v = 0, n = 0;
  while (*pos < text.size() && n < max_digits && IsDigit(text[*pos])) {
    v = v * 10 + (text[*pos] - '0');
    ++*pos;
    ++n;
  }
  if (n < min_digits) return false;
  *value = v;
  return true;
}

std::optional<absl::Time> MakeTime(int year, int month, int day, int hour,
                                   int minute, int second, int64_t nanos,
                                   int offset_seconds) {
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour < 0 || hour > 24 ||
      minute < 0 || minute > 59 || second < 0 || second > 60) {
    return std::nullopt;
  }
  if (hour == 24 && (minute != 0 || second != 0)) return std::nullopt;
  if (second == 60) second = 59;  // leap second: close enough for a feed
  // Civil types normalize 31 Feb to 3 Mar; a feed saying 31 Feb is wrong.
  absl::CivilDay civil_day(year, month, day);
  if (civil_day.month() != month || civil_day.day() != day) return std::nullopt;
  absl::CivilSecond civil(year, month, day, hour, minute, second);
  return absl::FromCivil(civil, absl::UTCTimeZone()) -
         absl::Seconds(offset_seconds) + absl::Nanoseconds(nanos);
}

// Parses "Z", "+hh:mm", "+hhmm", "+hh" at text[*pos]. Returns false when
// something is there but it is not a zone.
bool ReadNumericZone(std::string_view text, size_t* pos, int* offset) {
  if (*pos >= text.size()) return true;
  char c = text[*pos];
  if (c == 'Z' || c == 'z') {
    ++*pos;
    *offset = 0;
    return true;
  }
  if (c != '+' && c != '-' && c != '\xE2') return false;
  int sign = c == '-' ? -1 : 1;
  if (c == '\xE2') {  // U+2212 MINUS SIGN, seen in hand-written feeds
    if (!text.substr(*pos).starts_with("\xE2\x88\x92")) return false;
    sign = -1;
    *pos += 2;
  }
  ++*pos;
  int hours = 0, minutes = 0;
  size_t start = *pos;
  size_t run = 0;
  while (start + run < text.size() && IsDigit(text[start + run])) ++run;
  if (run == 3) {
    // "-700": with the hour's leading zero dropped, which gofeed
    // accepts; read as h:mm.
    ReadNumber(text, pos, 1, 1, &hours);
    ReadNumber(text, pos, 2, 2, &minutes);
    if (minutes > 59) return false;
    *offset = sign * (hours * 3600 + minutes * 60);
    return true;
  }
  if (!ReadNumber(text, pos, 1, 2, &hours)) return false;
  if (*pos - start == 1 && *pos < text.size() && IsDigit(text[*pos])) {
    return false;
  }
  if (*pos < text.size() && text[*pos] == ':') ++*pos;
  if (*pos < text.size() && IsDigit(text[*pos])) {
    if (!ReadNumber(text, pos, 2, 2, &minutes)) return false;
  }
  if (hours > 14 || minutes > 59) return false;
  *offset = sign * (hours * 3600 + minutes * 60);
  return true;
}

// ISO 8601 / RFC 3339: YYYY-MM-DD[(T| )hh:mm[:ss[.fff]]][zone]. No zone
// means UTC (feeds that omit it mostly mean UTC; there is nothing better).
std::optional<absl::Time> ParseIso8601(std::string_view text) {
  size_t pos = 0;
  int year, month = 1, day = 1, hour = 0, minute = 0, second = 0;
  int64_t nanos = 0;
  int offset = 0;
  if (!ReadNumber(text, &pos, 4, 4, &year)) return std::nullopt;
  bool compact = pos < text.size() && IsDigit(text[pos]);
  if (compact) {  // 20240513T093000Z
    if (!ReadNumber(text, &pos, 2, 2, &month) ||
        !ReadNumber(text, &pos, 2, 2, &day))
      return std::nullopt;
  } else {
    if (pos >= text.size() || text[pos] != '-') return std::nullopt;
    ++pos;
    // Google once wrote three-digit months ("2003-012-31"); the zero is
    // padding, not an ordinal date.
    if (pos + 4 < text.size() && text[pos] == '0' && IsDigit(text[pos + 1]) &&
        IsDigit(text[pos + 2]) && text[pos + 3] == '-') {
      ++pos;
    }
    if (pos + 3 <= text.size() && IsDigit(text[pos]) &&
        IsDigit(text[pos + 1]) && IsDigit(text[pos + 2]) &&
        (pos + 3 == text.size() ||
         (!IsDigit(text[pos + 3]) && text[pos + 3] != '-'))) {
      // Ordinal date "2024-134": day of the year.
      int ordinal = 0;
      ReadNumber(text, &pos, 3, 3, &ordinal);
      if (ordinal < 1 || ordinal > 366) return std::nullopt;
      absl::CivilDay civil = absl::CivilDay(year, 1, 1) + (ordinal - 1);
      if (civil.year() != year) return std::nullopt;
      month = civil.month();
      day = civil.day();
    } else if (!ReadNumber(text, &pos, 1, 2, &month)) {
      return std::nullopt;
    } else if (pos < text.size() && text[pos] == '-') {
      ++pos;
      if (!ReadNumber(text, &pos, 1, 2, &day)) return std::nullopt;
    }
  }
  if (pos < text.size() &&
      (text[pos] == 'T' || text[pos] == 't' || text[pos] == ' ')) {
    size_t save = pos;
    ++pos;
    while (pos < text.size() && text[pos] == ' ') ++pos;
    if (pos < text.size() && IsDigit(text[pos])) {
      if (!ReadNumber(text, &pos, 1, 2, &hour)) return std::nullopt;
      if (pos < text.size() && text[pos] == ':') ++pos;
      if (!ReadNumber(text, &pos, 2, 2, &minute)) return std::nullopt;
      if (pos < text.size() && (text[pos] == ':' || IsDigit(text[pos]))) {
        if (text[pos] == ':') ++pos;
        if (!ReadNumber(text, &pos, 2, 2, &second)) return std::nullopt;
      }
      if (pos < text.size() && (text[pos] == '.' || text[pos] == ',')) {
        ++pos;
        int64_t scale = 100000000;
        size_t digits = 0;
        while (pos < text.size() && IsDigit(text[pos])) {
          if (scale > 0) nanos += (text[pos] - '0') * scale;
          scale /= 10;
          ++pos;
          ++digits;
        }
        if (digits == 0) return std::nullopt;
      }
      while (pos < text.size() && text[pos] == ' ') ++pos;
      if (pos < text.size()) {
        std::string_view rest = text.substr(pos);
        if (rest == "UTC" || rest == "GMT" || rest == "UT") {
          pos = text.size();
        } else if (!ReadNumericZone(text, &pos, &offset)) {
          return std::nullopt;
        }
      }
    } else {
      pos = save;
    }
  }
  while (pos < text.size() && text[pos] == ' ') ++pos;
  if (pos != text.size()) return std::nullopt;
  return MakeTime(year, month, day, hour, minute, second, nanos, offset);
}

struct NamedValue {
  std::string_view name;
  int value;
};

// Month names and abbreviations, lower case. English first; then the
// languages feeds in Europe most often leak into RFC 822 dates.
constexpr NamedValue kMonths[] = {
    {"jan", 1},
    {"january", 1},
    {"feb", 2},
    {"february", 2},
    {"mar", 3},
    {"march", 3},
    {"apr", 4},
    {"april", 4},
    {"may", 5},
    {"jun", 6},
    {"june", 6},
    {"jul", 7},
    {"july", 7},
    {"aug", 8},
    {"august", 8},
    {"sep", 9},
    {"sept", 9},
    {"september", 9},
    {"oct", 10},
    {"october", 10},
    {"nov", 11},
    {"november", 11},
    {"dec", 12},
    {"december", 12},
    // French
    {"janv", 1},
    {"janvier", 1},
    {"févr", 2},
    {"février", 2},
    {"fevr", 2},
    {"fevrier", 2},
    {"mars", 3},
    {"avr", 4},
    {"avril", 4},
    {"mai", 5},
    {"juin", 6},
    {"juil", 7},
    {"juillet", 7},
    {"août", 8},
    {"aout", 8},
    {"sept", 9},
    {"septembre", 9},
    {"octobre", 10},
    {"novembre", 11},
    {"déc", 12},
    {"décembre", 12},
    {"decembre", 12},
    // German
    {"januar", 1},
    {"jän", 1},
    {"februar", 2},
    {"mär", 3},
    {"märz", 3},
    {"maerz", 3},
    {"juni", 6},
    {"juli", 7},
    {"okt", 10},
    {"oktober", 10},
    {"dez", 12},
    {"dezember", 12},
    // Spanish
    {"ene", 1},
    {"enero", 1},
    {"febrero", 2},
    {"marzo", 3},
    {"abr", 4},
    {"abril", 4},
    {"mayo", 5},
    {"junio", 6},
    {"julio", 7},
    {"ago", 8},
    {"agosto", 8},
    {"septiembre", 9},
    {"setiembre", 9},
    {"octubre", 10},
    {"noviembre", 11},
    {"dic", 12},
    {"diciembre", 12},
    // Italian
    {"gen", 1},
    {"gennaio", 1},
    {"febbraio", 2},
    {"mag", 5},
    {"maggio", 5},
    {"giu", 6},
    {"giugno", 6},
    {"lug", 7},
    {"luglio", 7},
    {"set", 9},
    {"settembre", 9},
    {"ott", 10},
    {"ottobre", 10},
    {"dicembre", 12},
    // Dutch
    {"januari", 1},
    {"februari", 2},
    {"maart", 3},
    {"mei", 5},
    {"augustus", 8},
    // Hungarian (written year-month-day, e.g. "2024-május-13")
    {"január", 1},
    {"február", 2},
    {"március", 3},
    {"április", 4},
    {"május", 5},
    {"június", 6},
    {"július", 7},
    {"augusztus", 8},
    {"szeptember", 9},
    {"október", 10},
    // Misspellings feedparser's Hungarian table carries, so feeds written
    // against it exist.
    {"februári", 2},
    {"máujus", 5},
    // Greek abbreviations as Greek feeds write them (capitalized: only ASCII
    // is case-folded here).
    {"Ιαν", 1},
    {"Φεβ", 2},
    {"Μάρ", 3},
    {"Μαρ", 3},
    {"Μάώ", 3},  // feedparser's table has these for March
    {"Μαώ", 3},
    {"Απρ", 4},
    {"Μάι", 5},
    {"Μαϊ", 5},
    {"Μαι", 5},
    {"Μάϊ", 5},
    {"Ιούν", 6},
    {"Ιον", 6},
    {"Ιούλ", 7},
    {"Ιολ", 7},
    {"Αύγ", 8},
    {"Αυγ", 8},
    {"Σεπ", 9},
    {"Οκτ", 10},
    {"Νοέ", 11},
    {"Νοε", 11},
    {"Δεκ", 12},
};

constexpr std::string_view kWeekdays[] = {
    "mon",       "monday",   "tue",      "tues",     "tuesday",    "wed",
    "wednesday", "thu",      "thur",     "thurs",    "thursday",   "fri",
    "friday",    "sat",      "saturday", "sun",      "sunday",     "lun",
    "lundi",     "mardi",    "mer",      "mercredi", "jeu",        "jeudi",
    "ven",       "vendredi", "sam",      "samedi",   "dim",        "dimanche",
    "mo",        "di",       "mi",       "do",       "fr",         "sa",
    "so",        "montag",   "dienstag", "mittwoch", "donnerstag", "freitag",
    "samstag",   "sonntag",  "lunes",    "martes",   "miércoles",  "jueves",
    "viernes",   "sábado",   "domingo",  "Κυρ",      "Δευ",        "Τρι",
    "Τετ",       "Πεμ",      "Παρ",      "Σαβ",
};

// Named zones, in minutes east of UTC.
constexpr NamedValue kZones[] = {
    {"ut", 0},     {"utc", 0},    {"gmt", 0},     {"z", 0},       {"est", -300},
    {"edt", -240}, {"cst", -360}, {"cdt", -300},  {"mst", -420},  {"mdt", -360},
    {"pst", -480}, {"pdt", -420}, {"akst", -540}, {"akdt", -480}, {"hst", -600},
    {"ast", -240}, {"adt", -180}, {"at", -240},   {"et", -300},  {"ct", -360},
    {"mt", -420},  {"pt", -480}, {"nst", -210},  {"ndt", -150},  {"wet", 0},
    {"west", 60},  {"bst", 60},   {"ist", 330},   {"cet", 60},    {"cest", 120},
    {"met", 60},   {"mest", 120}, {"mez", 60},    {"mesz", 120},  {"eet", 120},
    {"eest", 180}, {"msk", 180},  {"jst", 540},   {"kst", 540},   {"hkt", 480},
    {"sgt", 480},  {"awst", 480}, {"acst", 570},  {"acdt", 630},  {"aest", 600},
    {"aedt", 660}, {"nzst", 720}, {"nzdt", 780},
};

std::optional<int> Lookup(const NamedValue* table, size_t size,
                          std::string_view key) {
  for (size_t i = 0; i < size; ++i) {
    if (table[i].name == key) return table[i].value;
  }
  return std::nullopt;
}

// Military single-letter zones (RFC 822 section 5.1): A..M east (no J),
// N..Y west, Z is UTC. RFC 2822 notes their signs were defined backwards in
// RFC 822 and that they should be read as UTC; we follow RFC 822 as written,
// which is what the senders meant.
std::optional<int> MilitaryZone(char c) {
  if (c >= 'a' && c <= 'i') return (c - 'a' + 1) * 60;
  if (c >= 'k' && c <= 'm') return (c - 'k' + 10) * 60;
  if (c >= 'n' && c <= 'y') return -(c - 'n' + 1) * 60;
  if (c == 'z') return 0;
  return std::nullopt;
}

constexpr std::string_view kKoreanYear = "년";
constexpr std::string_view kKoreanMonth = "월";
constexpr std::string_view kKoreanDay = "일";
constexpr std::string_view kKoreanAm = "오전";
constexpr std::string_view kKoreanPm = "오후";

std::optional<absl::Time> ParseRfc822(std::string_view input) {
  std::string text = absl::AsciiStrToLower(internal::Av(input));
  std::optional<int> year, month, day, hour, minute, second, offset;
  bool korean = false;       // Korean units seen: the zone defaults to KST
  std::optional<bool> korean_pm;  // 오전 / 오후 (before the clock time)
  // The offset came from a zone name: "GMT +0100", "MST -0700". A numeric
  // offset after the name is the more precise statement and replaces it.
  bool offset_named = false;
  size_t pos = 0;
  const size_t n = text.size();
  while (pos < n) {
    char c = text[pos];
    if (c == ' ' || c == ',' || c == '.' || c == '\t' || c == '/' ||
        (c == '-' && !hour.has_value())) {
      ++pos;
      continue;
    }
    if (IsDigit(c)) {
      size_t start = pos;
      int value = 0;
      ReadNumber(text, &pos, 1, 9, &value);
      size_t digits = pos - start;
      // Korean "2024년 05월 13일": the unit follows the number.
      std::string_view rest(text.data() + pos, n - pos);
      if (rest.starts_with(kKoreanYear) && !year && digits == 4) {
        year = value;
        korean = true;
        pos += kKoreanYear.size();
        continue;
      }
      if (rest.starts_with(kKoreanMonth) && !month && digits <= 2) {
        month = value;
        korean = true;
        pos += kKoreanMonth.size();
        continue;
      }
      if (rest.starts_with(kKoreanDay) && !day && digits <= 2) {
        day = value;
        korean = true;
        pos += kKoreanDay.size();
        continue;
      }
      // A numeric year-month-day inside an otherwise RFC 822 date:
      // "Fri, 2024/05/13 09:30:00 EDT", "2024-05-13 09:30:00 -0700 PDT".
      if (digits == 4 && !year && !month && !day && pos + 1 < n &&
          (text[pos] == '-' || text[pos] == '/') && IsDigit(text[pos + 1])) {
        char sep = text[pos];
        ++pos;
        int m = 0, d = 0;
        if (!ReadNumber(text, &pos, 1, 2, &m)) return std::nullopt;
        if (pos + 1 >= n || text[pos] != sep || !IsDigit(text[pos + 1])) {
          return std::nullopt;
        }
        ++pos;
        if (!ReadNumber(text, &pos, 1, 2, &d)) return std::nullopt;
        year = value;
        month = m;
        day = d;
        if (pos + 1 < n && text[pos] == 't' && IsDigit(text[pos + 1])) ++pos;
        continue;
      }
      if (pos < n && text[pos] == ':' && !hour) {  // clock time
        hour = value;
        ++pos;
        int v;
        if (!ReadNumber(text, &pos, 1, 2, &v)) return std::nullopt;
        minute = v;
        if (pos < n && text[pos] == ':') {
          ++pos;
          if (!ReadNumber(text, &pos, 1, 2, &v)) return std::nullopt;
          second = v;
          if (pos < n && text[pos] == '.') {  // fractional seconds
            ++pos;
            while (pos < n && IsDigit(text[pos])) ++pos;
          }
        }
        continue;
      }
      if (day && !month && !year && digits <= 2 && start > 0 &&
          (text[start - 1] == '.' || text[start - 1] == '/' ||
           text[start - 1] == '-')) {
        // All-numeric dates: "13.05.2024" is day.month.year, "05/13/2024"
        // month/day/year (as written in the US) unless that cannot be.
        if (text[start - 1] == '/' && *day <= 12 && value <= 31) {
          month = *day;
          day = value;
        } else {
          month = value;
        }
        continue;
      }
      if (!day && digits <= 2 && !month) {
        day = value;
        continue;
      }
      if (!day && digits <= 2 && month) {
        day = value;
        continue;
      }
      if (!year && (digits == 4 || digits == 2 || digits == 3)) {
        if (digits == 2) {
          value += value < 50 ? 2000 : 1900;
        } else if (digits == 3) {
          value += 1900;
        }
        year = value;
        continue;
      }
      return std::nullopt;
    }
    if (c == '+' || c == '-') {
      if (offset && !offset_named) return std::nullopt;
      offset_named = false;
      int off = 0;
      if (!ReadNumericZone(text, &pos, &off)) return std::nullopt;
      offset = off;
      continue;
    }
    if (c == '(') {  // comment, e.g. "(PDT)"
      size_t close = text.find(')', pos);
      if (close != std::string::npos && !offset) {
        // "at 3:04pm (MST)": the only zone given.
        std::string_view name(text.data() + pos + 1, close - pos - 1);
        if (std::optional<int> zone = Lookup(kZones, std::size(kZones), name)) {
          offset = *zone * 60;
        }
      }
      pos = close == std::string::npos ? n : close + 1;
      continue;
    }
    if (IsAlpha(c)) {
      size_t start = pos;
      while (pos < n && IsAlpha(text[pos])) ++pos;
      std::string_view word(text.data() + start, pos - start);
      // ISO-style "T" between a date and a clock time ("13T9:30"), and
      // "Jan 2, 2024 at 3:04pm".
      if (word == "t" && pos < n && IsDigit(text[pos]) && !hour) continue;
      if (word == "at" && !hour) continue;
      // "Etc/GMT": the tz database's spelling of a plain zone.
      if (word == "etc" && pos < n && text[pos] == '/' && !offset) continue;
      if (word == kKoreanAm || word == kKoreanPm) {
        if (hour) return std::nullopt;
        korean_pm = word == kKoreanPm;
        korean = true;
        continue;
      }
      if (!month) {
        if (std::optional<int> m = Lookup(kMonths, std::size(kMonths), word)) {
          month = *m;
          continue;
        }
      }
      bool weekday = false;
      for (std::string_view w : kWeekdays) weekday |= (w == word);
      if (weekday && !hour) continue;
      // "3:04 p.m.", as AP style writes it; without this the "p" would be
      // read as a military zone letter.
      if ((word == "a" || word == "p") && hour && pos + 1 < n &&
          text[pos] == '.' && text[pos + 1] == 'm') {
        word = word == "a" ? "am" : "pm";
        pos += 2;
      }
      if (word == "am" || word == "pm") {
        if (!hour || *hour > 12) return std::nullopt;
        if (word == "pm" && *hour < 12) *hour += 12;
        if (word == "am" && *hour == 12) hour = 0;
        continue;
      }
      if (!offset) {
        std::optional<int> zone = Lookup(kZones, std::size(kZones), word);
        if (!zone && word.size() == 1 && word != "j")
          zone = MilitaryZone(word[0]);
        if (zone) {
          int off = *zone * 60;
          // "GMT+2", "UTC-05:00": an offset from UTC. After any other name
          // ("MST-07:00") the number is the zone's own offset again, not
          // one to add: Go's "MST-07:00" layout writes it so.
          if (pos < n && (text[pos] == '+' || text[pos] == '-')) {
            int numeric = 0;
            if (!ReadNumericZone(text, &pos, &numeric)) return std::nullopt;
            off = numeric;
          }
          offset = off;
          offset_named = word.size() > 1;
          continue;
        }
      } else if (Lookup(kZones, std::size(kZones), word)) {
        // "-0700 PDT": the name repeats the numeric offset.
        continue;
      }
      return std::nullopt;
    }
    return std::nullopt;
  }
  if (!year || !month || !day) return std::nullopt;
  if (korean_pm.has_value()) {
    if (!hour || *hour > 12) return std::nullopt;
    if (*korean_pm && *hour < 12) *hour += 12;
    if (!*korean_pm && *hour == 12) hour = 0;
  }
  if (korean && !offset) offset = 9 * 3600;
  return MakeTime(*year, *month, *day, hour.value_or(0), minute.value_or(0),
                  second.value_or(0), 0, offset.value_or(0));
}

// ISO 8601 dates with a two-digit year, which feedparser reads in the
// current century: "-0312" / "-03-12" (year and month), "031231" and
// "03-12-31" (year, month, day), "03335" (year and day of the year). Only
// these exact shapes, so that "13-05-24" style day-first dates and plain
// numbers are left to the other parsers.
std::optional<absl::Time> ParseIsoTwoDigitYear(std::string_view text) {
  auto digits = [&](size_t at, size_t count) {
    if (at + count > text.size()) return -1;
    int v = 0;
    for (size_t i = at; i < at + count; ++i) {
      if (!IsDigit(text[i])) return -1;
      v = v * 10 + (text[i] - '0');
    }
    return v;
  };
  int yy = -1, month = 1, day = 1;
  if (text.size() == 5 && text[0] == '-') {  // -YYMM
    yy = digits(1, 2);
    month = digits(3, 2);
  } else if (text.size() == 6 && text[0] == '-' && text[3] == '-') {  // -YY-MM
    yy = digits(1, 2);
    month = digits(4, 2);
  } else if (text.size() == 6) {  // YYMMDD
    yy = digits(0, 2);
    month = digits(2, 2);
    day = digits(4, 2);
  } else if (text.size() == 8 && text[2] == '-' && text[5] == '-') {
    yy = digits(0, 2);
    month = digits(3, 2);
    day = digits(6, 2);
  } else if (text.size() == 5) {  // YYDDD
    yy = digits(0, 2);
    int ordinal = digits(2, 3);
    if (yy < 0 || ordinal < 1 || ordinal > 366) return std::nullopt;
    absl::CivilDay civil = absl::CivilDay(2000 + yy, 1, 1) + (ordinal - 1);
    if (civil.year() != 2000 + yy) return std::nullopt;
    month = civil.month();
    day = civil.day();
  } else {
    return std::nullopt;
  }
  if (yy < 0 || month < 0 || day < 0) return std::nullopt;
  return MakeTime(2000 + yy, month, day, 0, 0, 0, 0, 0);
}

}  // namespace

std::optional<absl::Time> ParseFeedDate(std::string_view text) {
  absl::string_view stripped = absl::StripAsciiWhitespace(internal::Av(text));
  text = std::string_view(stripped.data(), stripped.size());
  if (text.empty() || text.size() > 100) return std::nullopt;
  if (text.size() == 4 && IsDigit(text[0]) && IsDigit(text[1]) &&
      IsDigit(text[2]) && IsDigit(text[3])) {  // W3C-DTF year only
    int year = (text[0] - '0') * 1000 + (text[1] - '0') * 100 +
               (text[2] - '0') * 10 + (text[3] - '0');
    return MakeTime(year, 1, 1, 0, 0, 0, 0, 0);
  }
  if (text.size() >= 5 && IsDigit(text[0]) && IsDigit(text[1]) &&
      IsDigit(text[2]) && IsDigit(text[3]) &&
      (text[4] == '-' || IsDigit(text[4]))) {
    if (std::optional<absl::Time> t = ParseIso8601(text)) return t;
  }
  if (text.size() <= 8 && (IsDigit(text[0]) || text[0] == '-')) {
    if (std::optional<absl::Time> t = ParseIsoTwoDigitYear(text)) return t;
  }
  return ParseRfc822(text);
}

std::string FormatRfc3339(absl::Time time) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", time, absl::UTCTimeZone());
}

}  // namespace newsfeed::ingest

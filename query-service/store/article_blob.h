// Copyright newsfeed authors.
//
// article_blob.h: how SqliteStore stores an article record (internal to the
// store). A record is the serialized Article compressed with zstd, most of
// them with a dictionary trained on the store's own articles: at ~1.5 KB an
// article is too small for zstd alone to find much to share (~0.6 of its
// size), but field names, feeds, tag names and the frequent words of the
// news repeat from one article to the next (~0.36 with a dictionary).
//
// Format of a record:
//   0x01, varint dictionary id (0: none), one zstd frame (content size set)
// Records written before schema v4 are the bare serialized Article; the
// first byte tells them apart (a protobuf field tag is never 0x01).
#ifndef QUERY_SERVICE_STORE_ARTICLE_BLOB_H_
#define QUERY_SERVICE_STORE_ARTICLE_BLOB_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "newsfeed/v1/article.pb.h"

namespace newsfeed::query::internal {

// Trains a zstd dictionary of at most `max_bytes` on `samples` (serialized
// articles). FAILED_PRECONDITION when zstd finds nothing to train on (too
// few or too small samples).
absl::StatusOr<std::string> TrainArticleDictionary(
    const std::vector<std::string>& samples, size_t max_bytes);

// Writes records with one dictionary (or none). Not thread-safe: the
// store's writer owns one.
class ArticleBlobEncoder {
 public:
  // An encoder for dictionary `id` with content `dictionary`; id 0 and an
  // empty dictionary for none. INVALID_ARGUMENT if zstd rejects it.
  static absl::StatusOr<std::unique_ptr<ArticleBlobEncoder>> Create(
      int64_t id, std::string_view dictionary);
  ~ArticleBlobEncoder();
  ArticleBlobEncoder(const ArticleBlobEncoder&) = delete;
  ArticleBlobEncoder& operator=(const ArticleBlobEncoder&) = delete;

  // The dictionary records are written with (0: none).
  int64_t dictionary_id() const { return id_; }

  // Sets `*record` to the record of `article` (serialized). INTERNAL if zstd
  // fails.
  absl::Status Encode(std::string_view article, std::string* record);

 private:
  struct Zstd;
  ArticleBlobEncoder(int64_t id, std::unique_ptr<Zstd> zstd);

  const int64_t id_;
  std::unique_ptr<Zstd> zstd_;
};

// Reads records of any dictionary, loading each dictionary once. Thread-safe.
class ArticleBlobDecoder {
 public:
  // Returns the content of dictionary `id`, or the error Decode returns.
  using Loader = absl::FunctionRef<absl::StatusOr<std::string>(int64_t id)>;

  ArticleBlobDecoder();
  ~ArticleBlobDecoder();
  ArticleBlobDecoder(const ArticleBlobDecoder&) = delete;
  ArticleBlobDecoder& operator=(const ArticleBlobDecoder&) = delete;

  // Parses `record`, calling `load` for a dictionary not seen before, and
  // sets `*serialized_bytes` (if not null) to the article's serialized size
  // (its ByteSizeLong, without walking it). INTERNAL for a record that does
  // not decode, or the loader's error.
  absl::StatusOr<newsfeed::v1::Article> Decode(
      std::string_view record, Loader load, size_t* serialized_bytes = nullptr);

 private:
  struct Dictionary;
  absl::StatusOr<std::shared_ptr<const Dictionary>> Find(int64_t id,
                                                         Loader load);

  absl::Mutex mu_;
  absl::flat_hash_map<int64_t, std::shared_ptr<const Dictionary>> dictionaries_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace newsfeed::query::internal

#endif  // QUERY_SERVICE_STORE_ARTICLE_BLOB_H_

// Copyright newsfeed authors.
#include "query-service/store/article_blob.h"

#include <zdict.h>
#include <zstd.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "query-service/store/store_internal.h"

namespace newsfeed::query::internal {
namespace {

constexpr char kZstdRecord = 0x01;
// zstd's default level: ~0.36 of the size with a dictionary, and the fastest
// decoding of levels 1-5 on store_bench articles.
constexpr int kLevel = 3;
// A record claiming more than this is corrupt (articles are kilobytes).
constexpr unsigned long long kMaxArticleBytes = 64ull << 20;

void AppendVarint(uint64_t v, std::string* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

bool ReadVarint(std::string_view& in, uint64_t* v) {
  *v = 0;
  for (int shift = 0; shift < 64 && !in.empty(); shift += 7) {
    const uint8_t byte = static_cast<uint8_t>(in.front());
    in.remove_prefix(1);
    *v |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return true;
  }
  return false;
}

struct DCtxDeleter {
  void operator()(ZSTD_DCtx* d) const { ZSTD_freeDCtx(d); }
};

}  // namespace

absl::StatusOr<std::string> TrainArticleDictionary(
    const std::vector<std::string>& samples, size_t max_bytes) {
  std::string joined;
  std::vector<size_t> sizes;
  sizes.reserve(samples.size());
  for (const std::string& s : samples) {
    joined.append(s);
    sizes.push_back(s.size());
  }
  std::string dictionary(max_bytes, '\0');
  const size_t n =
      ZDICT_trainFromBuffer(dictionary.data(), dictionary.size(), joined.data(),
                            sizes.data(), static_cast<unsigned>(sizes.size()));
  if (ZDICT_isError(n)) {
    return absl::FailedPreconditionError(
        absl::StrCat("train article dictionary on ", samples.size(),
                     " articles: ", ZDICT_getErrorName(n)));
  }
  dictionary.resize(n);
  return dictionary;
}

// ---------------------------------------------------------------------------

struct ArticleBlobEncoder::Zstd {
  ZSTD_CCtx* cctx = nullptr;
  ZSTD_CDict* cdict = nullptr;
  ~Zstd() {
    ZSTD_freeCCtx(cctx);
    ZSTD_freeCDict(cdict);
  }
};

absl::StatusOr<std::unique_ptr<ArticleBlobEncoder>> ArticleBlobEncoder::Create(
    int64_t id, std::string_view dictionary) {
  if ((id == 0) != dictionary.empty()) {
    return absl::InvalidArgumentError(
        "article dictionary: id 0 goes with no dictionary");
  }
  auto zstd = std::make_unique<Zstd>();
  zstd->cctx = ZSTD_createCCtx();
  if (zstd->cctx == nullptr) {
    return absl::ResourceExhaustedError("zstd: no memory for a context");
  }
  // The record carries the dictionary id and no checksum (SQLite pages
  // are checked by SQLite).
  for (auto [param, value] :
       {std::pair{ZSTD_c_compressionLevel, kLevel},
        std::pair{ZSTD_c_checksumFlag, 0}, std::pair{ZSTD_c_dictIDFlag, 0},
        std::pair{ZSTD_c_contentSizeFlag, 1}}) {
    if (ZSTD_isError(ZSTD_CCtx_setParameter(zstd->cctx, param, value))) {
      return absl::InternalError("zstd: rejects a compression parameter");
    }
  }
  if (!dictionary.empty()) {
    zstd->cdict =
        ZSTD_createCDict(dictionary.data(), dictionary.size(), kLevel);
    if (zstd->cdict == nullptr ||
        ZSTD_isError(ZSTD_CCtx_refCDict(zstd->cctx, zstd->cdict))) {
      return absl::InvalidArgumentError(
          absl::StrCat("article dictionary ", id, ": rejected by zstd"));
    }
  }
  return std::unique_ptr<ArticleBlobEncoder>(
      new ArticleBlobEncoder(id, std::move(zstd)));
}

ArticleBlobEncoder::ArticleBlobEncoder(int64_t id, std::unique_ptr<Zstd> zstd)
    : id_(id), zstd_(std::move(zstd)) {}

ArticleBlobEncoder::~ArticleBlobEncoder() = default;

absl::Status ArticleBlobEncoder::Encode(std::string_view article,
                                        std::string* record) {
  record->clear();
  record->push_back(kZstdRecord);
  AppendVarint(static_cast<uint64_t>(id_), record);
  const size_t header = record->size();
  record->resize(header + ZSTD_compressBound(article.size()));
  const size_t n =
      ZSTD_compress2(zstd_->cctx, record->data() + header,
                     record->size() - header, article.data(), article.size());
  if (ZSTD_isError(n)) {
    return absl::InternalError(
        absl::StrCat("zstd: compress article: ", ZSTD_getErrorName(n)));
  }
  record->resize(header + n);
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------

struct ArticleBlobDecoder::Dictionary {
  ZSTD_DDict* ddict = nullptr;
  ~Dictionary() { ZSTD_freeDDict(ddict); }
};

ArticleBlobDecoder::ArticleBlobDecoder() = default;
ArticleBlobDecoder::~ArticleBlobDecoder() = default;

absl::StatusOr<std::shared_ptr<const ArticleBlobDecoder::Dictionary>>
ArticleBlobDecoder::Find(int64_t id, Loader load) {
  {
    absl::MutexLock lock(&mu_);
    auto it = dictionaries_.find(id);
    if (it != dictionaries_.end()) return it->second;
  }
  // Loaded outside the lock; two readers may both load a new dictionary,
  // and the first one stored wins.
  absl::StatusOr<std::string> data = load(id);
  if (!data.ok()) return data.status();
  auto dictionary = std::make_shared<Dictionary>();
  dictionary->ddict = ZSTD_createDDict(data->data(), data->size());
  if (dictionary->ddict == nullptr) {
    return absl::InternalError(
        absl::StrCat("article dictionary ", id, ": rejected by zstd"));
  }
  absl::MutexLock lock(&mu_);
  return dictionaries_.try_emplace(id, std::move(dictionary)).first->second;
}

absl::StatusOr<newsfeed::v1::Article> ArticleBlobDecoder::Decode(
    std::string_view record, Loader load, size_t* serialized_bytes) {
  if (record.empty() || record.front() != kZstdRecord) {
    if (serialized_bytes != nullptr) *serialized_bytes = record.size();
    return ParseArticle(record);  // written before schema v4
  }
  record.remove_prefix(1);
  uint64_t id = 0;
  if (!ReadVarint(record, &id)) {
    return absl::InternalError("stored article: truncated header");
  }
  std::shared_ptr<const Dictionary> dictionary;
  if (id != 0) {
    absl::StatusOr<std::shared_ptr<const Dictionary>> found =
        Find(static_cast<int64_t>(id), load);
    if (!found.ok()) return found.status();
    dictionary = std::move(*found);
  }
  const unsigned long long size =
      ZSTD_getFrameContentSize(record.data(), record.size());
  if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN ||
      size > kMaxArticleBytes) {
    return absl::InternalError("stored article: bad zstd frame");
  }
  // One context and buffer per thread: creating a context costs more than
  // decoding an article.
  thread_local std::unique_ptr<ZSTD_DCtx, DCtxDeleter> dctx(ZSTD_createDCtx());
  thread_local std::string buffer;
  if (dctx == nullptr) {
    return absl::ResourceExhaustedError("zstd: no memory for a context");
  }
  buffer.resize(size);
  const size_t n = dictionary != nullptr
                       ? ZSTD_decompress_usingDDict(
                             dctx.get(), buffer.data(), size, record.data(),
                             record.size(), dictionary->ddict)
                       : ZSTD_decompressDCtx(dctx.get(), buffer.data(), size,
                                             record.data(), record.size());
  if (ZSTD_isError(n) || n != size) {
    return absl::InternalError(
        absl::StrCat("stored article: ", ZSTD_isError(n) ? ZSTD_getErrorName(n)
                                                         : "short zstd frame"));
  }
  if (serialized_bytes != nullptr) *serialized_bytes = n;
  return ParseArticle(std::string_view(buffer.data(), n));
}

}  // namespace newsfeed::query::internal

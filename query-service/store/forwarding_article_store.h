// Test support: an ArticleStore that passes every call on to another one.
// A test derives from it and overrides only the calls it wants to slow down,
// gate or count.
//
// Thread-safe as far as the store it forwards to is.
#ifndef QUERY_SERVICE_STORE_FORWARDING_ARTICLE_STORE_H_
#define QUERY_SERVICE_STORE_FORWARDING_ARTICLE_STORE_H_

#include <string_view>
#include <utility>
#include <vector>

#include "query-service/store/article_store.h"

namespace newsfeed::query {

class ForwardingArticleStore : public ArticleStore {
 public:
  // `target` is borrowed and must outlive this store.
  explicit ForwardingArticleStore(ArticleStore& target) : target_(target) {}

  absl::StatusOr<UpsertResult> Upsert(
      std::vector<newsfeed::v1::Article> articles) override {
    return target_.Upsert(std::move(articles));
  }
  absl::StatusOr<newsfeed::v1::SearchResponse> Search(
      const newsfeed::v1::SearchRequest& request) override {
    return target_.Search(request);
  }
  absl::StatusOr<newsfeed::v1::Article> Get(std::string_view id) override {
    return target_.Get(id);
  }
  absl::StatusOr<newsfeed::v1::FacetsResponse> Facets(
      const newsfeed::v1::FacetsRequest& request) override {
    return target_.Facets(request);
  }
  absl::StatusOr<ChangeBatch> ReadChanges(
      uint64_t after_sequence, const newsfeed::v1::ArticleFilter& filter,
      int limit) override {
    return target_.ReadChanges(after_sequence, filter, limit);
  }
  absl::StatusOr<uint64_t> LatestSequence() override {
    return target_.LatestSequence();
  }
  absl::StatusOr<int64_t> EnforceRetention(absl::Time now) override {
    return target_.EnforceRetention(now);
  }

 private:
  ArticleStore& target_;
};

}  // namespace newsfeed::query

#endif  // QUERY_SERVICE_STORE_FORWARDING_ARTICLE_STORE_H_

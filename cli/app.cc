#include "cli/app.h"

#include <CLI/CLI.hpp>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "cli/commands.h"
#include "cli/offline_commands.h"
#include "common/auth/secrets.h"

namespace newsfeed::cli {
namespace {

constexpr char kDescription[] =
    "newsfeed: command-line client of the newsfeed services.\n"
    "Searches, reads and follows tagged news articles (query-service) and\n"
    "manages the polled feeds (ingest-service).";

constexpr char kFooter[] =
    "Examples:\n"
    "  newsfeed search --company Microsoft --country FR --since 7d\n"
    "  newsfeed search --text '\"data center\"' --relevance --limit 5\n"
    "  newsfeed get 3f2a9c\n"
    "  newsfeed facets --topic ai --since 30d\n"
    "  newsfeed subscribe --topic ai --position-file ~/.newsfeed-ai.pos\n"
    "  newsfeed feeds add https://example.com/feed.xml\n"
    "  newsfeed health --service newsfeed.v1.QueryService\n"
    "Exit codes: 0 ok, 1 a command failed, 2 usage error.";

// `time_range`: also --since/--until (subscribe has its own --since).
void AddFilterFlags(CLI::App* command, FilterFlags* f, bool time_range) {
  const std::string group = "Filter (repeat a flag for several values)";
  auto add = [&](const std::string& name, std::vector<std::string>* values,
                 const std::string& help, bool commas) {
    CLI::Option* option = command->add_option(name, *values, help)
                              ->group(group)
                              ->allow_extra_args(false);
    if (commas) option->delimiter(',');
  };
  add("--company", &f->companies,
      "Any of these companies (id or canonical name)", false);
  add("--all-companies", &f->all_companies, "All of these companies", false);
  add("--not-company", &f->not_companies, "None of these companies", false);
  add("--country", &f->countries,
      "Any of these countries (ISO 3166-1 alpha-2, e.g. FR; commas allowed)",
      true);
  add("--all-countries", &f->all_countries, "All of these countries", true);
  add("--not-country", &f->not_countries, "None of these countries", true);
  add("--topic", &f->topics,
      "Any of these topics (taxonomy id, e.g. ai; commas allowed)", true);
  add("--all-topics", &f->all_topics, "All of these topics", true);
  add("--not-topic", &f->not_topics, "None of these topics", true);
  add("--feed", &f->feeds, "Any of these feeds (id or URL)", false);
  add("--all-feeds", &f->all_feeds, "All of these feeds", false);
  add("--not-feed", &f->not_feeds, "None of these feeds", false);
  add("--language", &f->languages,
      "Any of these languages (primary subtag, e.g. en; commas allowed)", true);
  add("--all-languages", &f->all_languages, "All of these languages", true);
  add("--not-language", &f->not_languages, "None of these languages", true);
  command
      ->add_option("--text", f->text,
                   "Full-text query over title, summary and content (SQLite "
                   "FTS5: words ANDed, \"phrases\", OR, NOT, prefix*)")
      ->group(group);
  if (time_range) {
    command
        ->add_option("--since", f->since,
                     "Published at or after: a duration ago (7d, 2h, 30m, "
                     "90s), an RFC 3339 time or a date (2024-05-13)")
        ->group(group);
    command
        ->add_option("--until", f->until,
                     "Published before (same forms as --since)")
        ->group(group);
  }
  command
      ->add_option("--min-amount", f->min_amount,
                   "Only articles announcing at least this amount, e.g. 1e9")
      ->group(group);
  command
      ->add_option("--currency", f->currency,
                   "Currency of --min-amount (ISO 4217, e.g. EUR); default: "
                   "any")
      ->group(group);
}

int Report(const absl::Status& status, std::ostream& err) {
  if (status.ok()) return 0;
  err << "newsfeed: " << status.message() << std::endl;
  return IsUsageError(status) ? 2 : 1;
}

}  // namespace

int RunCommandLine(int argc, const char* const* argv, std::istream& in,
                   std::ostream& out, std::ostream& err, std::stop_token stop,
                   const Clock& clock) {
  CLI::App app(kDescription, "newsfeed");
  app.footer(kFooter);
  app.require_subcommand(1);
  app.fallthrough();  // global options may also follow the subcommand

  GlobalOptions global;
  global.clock = &clock;
  global.stop = stop;
  double timeout_seconds = 10;
  app.add_option("--query", global.query_address,
                 "query-service address host:port")
      ->envname("NEWSFEED_QUERY_ADDR")
      ->capture_default_str();
  app.add_option("--ingest", global.ingest_address,
                 "ingest-service (FeedAdmin) address host:port")
      ->envname("NEWSFEED_INGEST_ADDR")
      ->capture_default_str();
  app.add_option("--timeout", timeout_seconds,
                 "Deadline of each call in seconds (subscribe: none once "
                 "connected)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_flag("--json", global.json,
               "JSON output (protobuf JSON mapping), one object per line");
  app.add_option("--tls-ca", global.tls_ca_file,
                 "Connect with TLS, trusting this PEM root CA")
      ->envname("NEWSFEED_TLS_CA")
      ->check(CLI::ExistingFile);
  app.add_option("--tls-cert", global.tls_cert_file,
                 "Client certificate (PEM) for mutual TLS; needs --tls-key")
      ->envname("NEWSFEED_TLS_CERT")
      ->check(CLI::ExistingFile);
  app.add_option("--tls-key", global.tls_key_file,
                 "Client private key (PEM) for mutual TLS")
      ->envname("NEWSFEED_TLS_KEY")
      ->check(CLI::ExistingFile);
  app.add_option("--tls-server-name", global.tls_server_name,
                 "Name the server's certificate must carry, when the address "
                 "does not give it (e.g. an ipv4:a,b list)")
      ->envname("NEWSFEED_TLS_SERVER_NAME");
  app.add_option("--token", global.token,
                 "Send \"authorization: Bearer TOKEN\" with every call")
      ->envname("NEWSFEED_TOKEN");
  std::string token_file;
  app.add_option("--token-file", token_file,
                 "Read the bearer token from FILE (owner-only, e.g. a "
                 "service's generated token); --token wins")
      ->envname("NEWSFEED_TOKEN_FILE");

  // The action to run once parsing succeeded.
  std::function<absl::Status()> action;

  // search
  SearchOptions search;
  CLI::App* search_cmd = app.add_subcommand(
      "search",
      "Search articles (newest first, or by relevance with --text "
      "--relevance)");
  AddFilterFlags(search_cmd, &search.filter, /*time_range=*/true);
  search_cmd->add_flag("--relevance", search.relevance,
                       "Best full-text match first (needs --text)");
  search_cmd->add_option("--limit", search.limit,
                         "Articles per page, 1..100 (default 20)");
  search_cmd->add_option("--page-token", search.page_token,
                         "Continue from the \"next page\" token of an earlier "
                         "search with the same filter");
  search_cmd->add_flag("--all-pages", search.all_pages,
                       "Follow the next-page token until the last page");
  search_cmd->footer(
      "Prints PUBLISHED (UTC), TITLE, COMPANIES, COUNTRIES, TOPICS and then "
      "\"next page: TOKEN\" when there are more.\nWith --json: one article "
      "per line, then {\"nextPageToken\":\"...\"} when there are more.");
  search_cmd->callback(
      [&] { action = [&] { return RunSearch(global, search, out); }; });

  // get
  std::string get_id;
  CLI::App* get_cmd = app.add_subcommand(
      "get", "Show one article with its tags and their evidence");
  get_cmd->add_option("ID", get_id, "Article id")->required();
  get_cmd->callback(
      [&] { action = [&] { return RunGet(global, get_id, out); }; });

  // facets
  FacetsOptions facets;
  CLI::App* facets_cmd = app.add_subcommand(
      "facets",
      "Most frequent companies, countries and topics among matching articles");
  AddFilterFlags(facets_cmd, &facets.filter, /*time_range=*/true);
  facets_cmd->add_option("--limit", facets.limit,
                         "Entries per dimension, 1..100 (default 10)");
  facets_cmd->callback(
      [&] { action = [&] { return RunFacets(global, facets, out); }; });

  // subscribe
  SubscribeOptions subscribe;
  uint64_t after_sequence = 0;
  CLI::App* subscribe_cmd = app.add_subcommand(
      "subscribe",
      "Follow matching articles live (replaying stored ones first when a "
      "start is given)");
  AddFilterFlags(subscribe_cmd, &subscribe.filter, /*time_range=*/false);
  CLI::Option* after_seq_opt = subscribe_cmd->add_option(
      "--after-seq", after_sequence,
      "Start after this sequence (replay stored changes, then follow)");
  CLI::Option* since_opt = subscribe_cmd->add_option(
      "--since", subscribe.since,
      "Start with stored articles published from this time (7d, 2h, RFC "
      "3339 or a date)");
  after_seq_opt->excludes(since_opt);
  subscribe_cmd->add_option(
      "--position-file", subscribe.position_file,
      "Resume from the sequence saved in FILE if it exists (overrides "
      "--after-seq/--since) and rewrite it atomically after every article and "
      "heartbeat");
  subscribe_cmd
      ->add_option("--max", subscribe.max_articles, "Exit 0 after N articles")
      ->check(CLI::PositiveNumber);
  subscribe_cmd->add_flag("--verbose,-v", subscribe.verbose,
                          "Also print heartbeats");
  subscribe_cmd->footer(
      "Prints one line per article: SEQUENCE  PUBLISHED  TITLE  [tags] (or a "
      "JSON line with --json).\nCtrl-C or SIGTERM ends the stream and exits "
      "0; the position file then holds the last sequence received.");
  subscribe_cmd->callback([&] {
    if (after_seq_opt->count() > 0) subscribe.after_sequence = after_sequence;
    action = [&] { return RunSubscribe(global, subscribe, out); };
  });

  // feeds
  CLI::App* feeds_cmd = app.add_subcommand(
      "feeds",
      "List the polled feeds (ingest-service), or add/remove/poll, "
      "import/export OPML");
  feeds_cmd->require_subcommand(0, 1);
  feeds_cmd->footer(
      "Without a subcommand: ID, URL, TITLE, LAST STATUS, FAILURES, NEXT "
      "POLL, ITEMS of every feed.");
  std::string feed_url, feed_id, poll_id;
  CLI::App* feeds_add = feeds_cmd->add_subcommand("add", "Add a feed by URL");
  feeds_add->add_option("URL", feed_url, "Absolute http(s) URL of the feed")
      ->required();
  CLI::App* feeds_remove = feeds_cmd->add_subcommand("remove", "Remove a feed");
  feeds_remove->add_option("ID", feed_id, "Feed id or URL")->required();
  CLI::App* feeds_poll = feeds_cmd->add_subcommand(
      "poll", "Poll a feed (or every feed) now, ignoring its interval");
  feeds_poll->add_option("ID", poll_id, "Feed id or URL; default: all feeds");
  std::string opml_path;
  bool dry_run = false;
  CLI::App* feeds_import = feeds_cmd->add_subcommand(
      "import",
      "Add the feeds of an OPML file (a feed reader's export), its folders "
      "and categories as labels; nothing is added if any feed is refused");
  feeds_import->add_option("FILE", opml_path, "OPML file, at most 4 MiB")
      ->required();
  feeds_import->add_flag("--dry-run", dry_run,
                         "Report what would be added, add nothing");
  CLI::App* feeds_export = feeds_cmd->add_subcommand(
      "export",
      "Print the feed list as OPML (newsfeed feeds export > my.opml)");
  std::vector<int64_t> replay_ids;
  CLI::App* feeds_dead = feeds_cmd->add_subcommand(
      "dead-letters",
      "List the articles query-service refused and why; --replay sends "
      "some back for delivery");
  feeds_dead->add_option("--replay", replay_ids,
                         "Dead letter ids (from the list) to deliver again");
  feeds_cmd->callback([&] {
    if (feeds_dead->parsed()) {
      action = [&] { return RunFeedsDeadLetters(global, replay_ids, out); };
    } else if (feeds_add->parsed()) {
      action = [&] { return RunFeedsAdd(global, feed_url, out); };
    } else if (feeds_remove->parsed()) {
      action = [&] { return RunFeedsRemove(global, feed_id, out); };
    } else if (feeds_poll->parsed()) {
      action = [&] { return RunFeedsPoll(global, poll_id, out); };
    } else if (feeds_import->parsed()) {
      action = [&] { return RunFeedsImport(global, opml_path, dry_run, out); };
    } else if (feeds_export->parsed()) {
      action = [&] { return RunFeedsExport(global, out); };
    } else {
      action = [&] { return RunFeedsList(global, out); };
    }
  });

  // health
  HealthOptions health;
  CLI::App* health_cmd = app.add_subcommand(
      "health",
      "grpc.health.v1 check; prints SERVING or NOT_SERVING, exits 0 only "
      "when SERVING");
  health_cmd->add_option("--service", health.service,
                         "Service name to check, e.g. "
                         "newsfeed.v1.QueryService (default: whole server)");
  health_cmd->footer(
      "Prints the serving status (SERVING, NOT_SERVING, ...). Exit 0 only when "
      "SERVING, 1 otherwise: usable as a container healthcheck.");
  health_cmd->add_option("ADDR", health.address,
                         "Address to check (default: --query)");
  health_cmd->callback(
      [&] { action = [&] { return RunHealth(global, health, out); }; });

  AddOfflineCommands(app, in, out, stop, action);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) {  // --help
      app.exit(e, out, err);
      return 0;
    }
    err << "newsfeed: " << e.what() << "\n"
        << "Run 'newsfeed --help' (or 'newsfeed SUBCOMMAND --help') for "
           "usage."
        << std::endl;
    return 2;
  }
  global.timeout = absl::Seconds(timeout_seconds);
  if (global.token.empty() && !token_file.empty()) {
    absl::StatusOr<std::string> token =
        auth::ReadTokenFile("--token-file", token_file);
    if (!token.ok()) return Report(token.status(), err);
    global.token = *std::move(token);
  }
  if (!action) {
    err << "newsfeed: no subcommand" << std::endl;
    return 2;
  }
  return Report(action(), err);
}

}  // namespace newsfeed::cli

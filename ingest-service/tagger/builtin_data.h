// The tagger's data files, embedded at build time by tools/gen_builtin_data.py
// so that services need no data path. Internal to the tagger.
#ifndef INGEST_SERVICE_TAGGER_BUILTIN_DATA_H_
#define INGEST_SERVICE_TAGGER_BUILTIN_DATA_H_

namespace newsfeed::ingest::internal {

struct BuiltinFile {
  // Name of the source file (for error messages and evidence), e.g.
  // "companies.tsv".
  const char* name;
  // Its records in the format described in data/README.md.
  const char* text;
};

extern const BuiltinFile kBuiltinFiles[];
extern const int kNumBuiltinFiles;

}  // namespace newsfeed::ingest::internal

#endif  // INGEST_SERVICE_TAGGER_BUILTIN_DATA_H_

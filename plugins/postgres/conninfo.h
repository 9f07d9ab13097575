// A libpq connection string (keyword/value or postgresql:// URI), parsed so
// the plugin can refuse a password in it, read and replace the database name
// and hand psql/pg_dump/pg_restore one normalized keyword string in argv.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace mi2::postgres {

class Conninfo {
 public:
  // Parses "host=/tmp port=5433 dbname=app", "postgresql://u@h:5433/app?sslmode=disable"
  // or a bare database name. Throws std::invalid_argument with a reason that
  // never quotes the text (it might hold a password).
  static Conninfo parse(const std::string& text);

  // The value of a keyword, or "".
  std::string get(const std::string& key) const;
  bool has(const std::string& key) const;
  void set(const std::string& key, const std::string& value);
  // The keyword form: key=value pairs, values quoted as libpq wants.
  std::string str() const;
  const std::vector<std::pair<std::string, std::string>>& params() const { return params_; }

 private:
  static Conninfo parse_uri(const std::string& text, size_t scheme_length);
  static Conninfo parse_keywords(const std::string& text);
  std::vector<std::pair<std::string, std::string>> params_;
};

}  // namespace mi2::postgres

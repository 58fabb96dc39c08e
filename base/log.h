// Structured logging: one line per event, plain or JSON.
//
//   Log(LogLevel::kWarn, "manifest rejected", {{"file", path}, {"line", 12}, {"reason", why}});
//
// plain: 2026-11-21T07:56:51.123Z WARN manifest rejected file=a.yaml line=12 reason="bad port"
// json:  {"ts":"2026-11-21T07:56:51.123Z","level":"warn","msg":"manifest rejected","file":...}
//
// Thread-safe: each line is emitted with one write to the sink, so lines never interleave.
#ifndef BASE_LOG_H_
#define BASE_LOG_H_

#include <functional>
#include <initializer_list>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace dest {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };
enum class LogFormat { kPlain, kJson };

absl::StatusOr<LogLevel> ParseLogLevel(absl::string_view text);    // debug|info|warn|error
absl::StatusOr<LogFormat> ParseLogFormat(absl::string_view text);  // plain|json

void SetLogLevel(LogLevel level);
void SetLogFormat(LogFormat format);
bool LogEnabled(LogLevel level);

// Replaces where finished lines go (default: stderr). Tests capture lines with it; pass nullptr to
// restore stderr. The sink receives the line without its trailing newline.
void SetLogSinkForTest(std::function<void(absl::string_view line)> sink);

struct LogField {
  template <typename T>
  LogField(absl::string_view k, const T& v) : key(k), value(absl::StrCat(v)) {}
  LogField(absl::string_view k, absl::string_view v) : key(k), value(v) {}
  LogField(absl::string_view k, const char* v) : key(k), value(v) {}
  LogField(absl::string_view k, const std::string& v) : key(k), value(v) {}
  LogField(absl::string_view k, bool v) : key(k), value(v ? "true" : "false") {}
  absl::string_view key;
  std::string value;
};

void Log(LogLevel level, absl::string_view msg, std::initializer_list<LogField> fields = {});

// Escapes a string as the inside of a JSON string literal.
std::string JsonEscape(absl::string_view s);

}  // namespace dest

#endif  // BASE_LOG_H_

#include "bench/report.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace dest::bench {
namespace {

std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (static_cast<unsigned char>(c) < 0x20) {
      absl::StrAppendFormat(&out, "\\u%04x", static_cast<unsigned char>(c));
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
  return out;
}

}  // namespace

void Report::Section(const std::string& title) { rows_.push_back(Row{.section = title}); }

void Report::Add(const std::string& key, const std::string& label, double value,
                 const std::string& unit, int precision) {
  Row r;
  r.key = key;
  r.label = label;
  if (!std::isfinite(value)) {
    r.shown = "n/a";
    r.json = "null";
  } else {
    r.shown = absl::StrFormat("%.*f", precision, value);
    if (!unit.empty()) absl::StrAppend(&r.shown, " ", unit);
    r.json = absl::StrFormat("%.*f", precision, value);
  }
  rows_.push_back(std::move(r));
}

void Report::AddText(const std::string& key, const std::string& label, const std::string& value) {
  rows_.push_back(Row{.key = key, .label = label, .shown = value, .json = JsonString(value)});
}

void Report::Note(const std::string& text) { rows_.push_back(Row{.label = text}); }

void Report::PrintTable(std::FILE* out) const {
  size_t width = 0;
  for (const Row& r : rows_) {
    if (r.section.empty() && !r.shown.empty()) width = std::max(width, r.label.size());
  }
  for (const Row& r : rows_) {
    if (!r.section.empty()) {
      std::fprintf(out, "\n== %s\n", r.section.c_str());
    } else if (r.shown.empty()) {
      std::fprintf(out, "  %s\n", r.label.c_str());
    } else {
      std::fprintf(out, "  %-*s  %s\n", static_cast<int>(width), r.label.c_str(), r.shown.c_str());
    }
  }
}

std::string Report::Json() const {
  std::string out = "{";
  bool first = true;
  for (const Row& r : rows_) {
    if (r.key.empty()) continue;
    absl::StrAppend(&out, first ? "" : ",", JsonString(r.key), ":", r.json);
    first = false;
  }
  out.push_back('}');
  return out;
}

double Quantile(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0;
  double rank = std::ceil(q * static_cast<double>(sorted.size()));
  size_t i = rank < 1 ? 0 : static_cast<size_t>(rank) - 1;
  return sorted[std::min(i, sorted.size() - 1)];
}

}  // namespace dest::bench

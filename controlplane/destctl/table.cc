#include "controlplane/destctl/table.h"

#include <algorithm>
#include <utility>

namespace destctl {

size_t DisplayWidth(std::string_view text) {
  return static_cast<size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

Table::Table(std::vector<std::string> header) : header_(std::move(header)) {}

void Table::AddRow(std::vector<std::string> cells) { rows_.push_back(std::move(cells)); }

std::string Table::Render(std::string_view indent) const {
  std::vector<const std::vector<std::string>*> lines;
  if (!header_.empty()) lines.push_back(&header_);
  for (const auto& row : rows_) lines.push_back(&row);

  std::vector<size_t> widths;
  for (const auto* line : lines) {
    if (line->size() > widths.size()) widths.resize(line->size(), 0);
    for (size_t i = 0; i < line->size(); ++i) {
      widths[i] = std::max(widths[i], DisplayWidth((*line)[i]));
    }
  }

  std::string out;
  for (const auto* line : lines) {
    std::string text(indent);
    for (size_t i = 0; i < widths.size(); ++i) {
      const std::string_view cell = i < line->size() ? std::string_view((*line)[i]) : "";
      text.append(cell);
      if (i + 1 < widths.size()) text.append(widths[i] - DisplayWidth(cell) + 2, ' ');
    }
    while (!text.empty() && text.back() == ' ') text.pop_back();
    out.append(text).push_back('\n');
  }
  return out;
}

}  // namespace destctl

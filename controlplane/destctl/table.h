// Table: rows of text cells laid out in aligned columns, for destctl's terminal output.
#ifndef CONTROLPLANE_DESTCTL_TABLE_H_
#define CONTROLPLANE_DESTCTL_TABLE_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace destctl {

// A text table: an optional header row, then rows of cells. Columns are padded to their widest
// cell (counted in UTF-8 characters) and separated by two spaces; the last column is not padded,
// so no line ends in blanks. A row with fewer cells than the widest row is padded with "".
//
// Thread-compatible.
class Table {
 public:
  // No header row when `header` is empty.
  explicit Table(std::vector<std::string> header = {});

  void AddRow(std::vector<std::string> cells);
  bool empty() const { return rows_.empty(); }
  size_t size() const { return rows_.size(); }

  // The table, one line per row (each ending in '\n'), every line prefixed with `indent`.
  std::string Render(std::string_view indent = "") const;

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

// The number of characters of UTF-8 `text` (bytes that do not continue a sequence).
size_t DisplayWidth(std::string_view text);

}  // namespace destctl

#endif  // CONTROLPLANE_DESTCTL_TABLE_H_

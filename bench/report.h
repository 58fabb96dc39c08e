// The figures of one benchmark run: printed as a table for people and as one JSON line for tools.
//
// Thread-compatible.
#ifndef BENCH_REPORT_H_
#define BENCH_REPORT_H_

#include <cstdio>
#include <string>
#include <vector>

namespace dest::bench {

class Report {
 public:
  // Starts a group of rows in the table (the JSON line is flat).
  void Section(const std::string& title);
  // A number: `key` in JSON, `label` and `unit` in the table, `precision` digits after the point.
  void Add(const std::string& key, const std::string& label, double value,
           const std::string& unit = "", int precision = 0);
  void AddText(const std::string& key, const std::string& label, const std::string& value);
  // A row for the table only.
  void Note(const std::string& text);

  void PrintTable(std::FILE* out) const;
  std::string Json() const;

 private:
  struct Row {
    std::string section = {};  // set on section rows only
    std::string key = {};
    std::string label = {};
    std::string shown = {};
    std::string json = {};  // the JSON value, already encoded; empty for table-only rows
  };
  std::vector<Row> rows_;
};

// Quantile q in [0, 1] of sorted values (nearest rank); 0 when empty.
double Quantile(const std::vector<double>& sorted, double q);

}  // namespace dest::bench

#endif  // BENCH_REPORT_H_

// Errors raised on bad input. Every message names the file, the line (1-based, 0 when the problem
// is not tied to one line) and the field, so a user can find and fix the problem.
#pragma once

#include <stdexcept>
#include <string>

namespace canveg {

class InputError : public std::runtime_error {
 public:
  InputError(std::string file, long line, std::string field, const std::string& reason)
      : std::runtime_error(format(file, line, field, reason)),
        file_(std::move(file)),
        line_(line),
        field_(std::move(field)) {}
  const std::string& file() const { return file_; }
  long line() const { return line_; }
  const std::string& field() const { return field_; }

 private:
  static std::string format(const std::string& file, long line, const std::string& field,
                            const std::string& reason) {
    // "file:line: field 'f': reason"; parts that are absent (no file for a command-line option,
    // line 0, no field) are left out with their separators.
    std::string s = file;
    if (line > 0) (s += ':') += std::to_string(line);  // not ":" + ...: GCC 12 -Wrestrict false positive
    if (!field.empty()) (s += s.empty() ? "" : ": ") += "field '" + field + "'";
    return s.empty() ? reason : s + ": " + reason;
  }
  std::string file_;
  long line_;
  std::string field_;
};

}  // namespace canveg

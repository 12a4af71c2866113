// Navigation of a parsed JSON document that remembers where it is, so that every missing or
// mistyped field is reported with its full path (e.g. "para.vcopt.value"), as errors.hpp asks.
// Used by the model-file and configuration readers (docs/model.md 5.3, jax-canveg-trained/README).
#pragma once

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "canveg/errors.hpp"

namespace canveg::io {

// The parser's description without its "[json.exception.parse_error.101] " tag.
inline std::string json_error_text(const nlohmann::json::exception& e) {
  std::string what = e.what();
  if (const auto close = what.find("] "); what.rfind("[json.exception", 0) == 0 && close != std::string::npos)
    what = what.substr(close + 2);
  return what;
}

// 1-based line of byte offset `end` of `text`.
inline long line_at(const std::string& text, std::size_t end) {
  end = std::min(end, text.size());
  return 1 + static_cast<long>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(end), '\n'));
}

// Reads and parses a JSON file. A syntax error becomes an InputError carrying the line of the
// error (computed from the parser's byte offset) and the parser's own description; so does a
// number beyond the range of a double (the parser names the number but not its place, so the
// line is that of the number's first occurrence).
inline nlohmann::json parse_json_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path, 0, "", "cannot open file for reading");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  const std::string text = buffer.str();
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    throw InputError(path, line_at(text, e.byte > 0 ? e.byte - 1 : 0), "", "malformed JSON: " + json_error_text(e));
  } catch (const nlohmann::json::out_of_range& e) {
    const std::string what = json_error_text(e);
    long line = 0;
    if (const auto open = what.find('\''), close = what.rfind('\'');
        open != std::string::npos && close > open) {
      if (const auto at = text.find(what.substr(open + 1, close - open - 1)); at != std::string::npos)
        line = line_at(text, at);
    }
    throw InputError(path, line, "", "malformed JSON: " + what);
  }
}

// A position in a JSON document: the value, its path for messages and the file it came from.
class JsonNode {
 public:
  JsonNode(const nlohmann::json& value, std::string path, const std::string& file)
      : value_(&value), path_(std::move(path)), file_(&file) {}

  const nlohmann::json& value() const { return *value_; }
  const std::string& path() const { return path_; }
  const std::string& file() const { return *file_; }

  [[noreturn]] void fail(const std::string& reason) const { throw InputError(*file_, 0, path_, reason); }

  bool is_object() const { return value_->is_object(); }
  bool is_null() const { return value_->is_null(); }
  bool has(const std::string& key) const { return value_->is_object() && value_->contains(key); }

  // The member `key`; missing members and non-objects are errors naming the path.
  JsonNode operator[](const std::string& key) const {
    const std::string child_path = path_.empty() ? key : path_ + "." + key;
    if (!value_->is_object()) fail("expected an object");
    const auto it = value_->find(key);
    if (it == value_->end()) throw InputError(*file_, 0, child_path, "missing");
    return JsonNode(*it, child_path, *file_);
  }
  // The element `i` of an array.
  JsonNode operator[](std::size_t i) const {
    if (!value_->is_array()) fail("expected an array");
    const std::string child_path = path_ + "[" + std::to_string(i) + "]";
    if (i >= value_->size()) throw InputError(*file_, 0, child_path, "missing");
    return JsonNode((*value_)[i], child_path, *file_);
  }

  std::size_t array_size() const {
    if (!value_->is_array()) fail("expected an array, found " + type_name());
    return value_->size();
  }

  double number() const {
    if (!value_->is_number()) fail("expected a number, found " + type_name());
    return value_->get<double>();
  }
  // A number, or NaN for null (JAX-CanVeg stores NaN statistics as null).
  double number_or_nan() const { return value_->is_null() ? std::nan("") : number(); }
  // An integer; a float with an integral value (e.g. 1e6) is accepted.
  long integer() const {
    if (value_->is_number_integer()) return value_->get<long>();
    const double d = number();
    if (std::floor(d) != d || std::fabs(d) > 1e15) fail("expected an integer, found " + value_->dump());
    return static_cast<long>(d);
  }
  std::string string() const {
    if (!value_->is_string()) fail("expected a string, found " + type_name());
    return value_->get<std::string>();
  }
  std::vector<double> numbers() const {
    std::vector<double> out(array_size());
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = (*this)[i].number();
    return out;
  }
  // A [rows][cols] array of arrays into a row-major vector; the shape must match when given
  // (rows/cols >= 0) and is returned through rows/cols when they are negative on entry.
  std::vector<double> matrix(long& rows, long& cols) const {
    const long r = static_cast<long>(array_size());
    const long c = r > 0 ? static_cast<long>((*this)[std::size_t{0}].array_size()) : 0;
    for (long i = 0; i < r; ++i)
      if (static_cast<long>((*this)[static_cast<std::size_t>(i)].array_size()) != c)
        (*this)[static_cast<std::size_t>(i)].fail("ragged matrix: row " + std::to_string(i) + " has " +
                                                  std::to_string((*this)[static_cast<std::size_t>(i)].array_size()) +
                                                  " values, row 0 has " + std::to_string(c));
    if ((rows >= 0 && rows != r) || (cols >= 0 && cols != c)) {
      const std::string expected = rows >= 0 && cols >= 0 ? "a " + std::to_string(rows) + " x " + std::to_string(cols) + " matrix"
                                   : rows >= 0            ? "a matrix of " + std::to_string(rows) + " rows"
                                                          : "a matrix of " + std::to_string(cols) + " columns";
      fail("expected " + expected + ", found " + std::to_string(r) + " x " + std::to_string(c));
    }
    rows = r;
    cols = c;
    std::vector<double> out;
    out.reserve(static_cast<std::size_t>(r * c));
    for (long i = 0; i < r; ++i) {
      const JsonNode row = (*this)[static_cast<std::size_t>(i)];
      for (long j = 0; j < c; ++j) out.push_back(row[static_cast<std::size_t>(j)].number());
    }
    return out;
  }

 private:
  std::string type_name() const { return value_->type_name(); }
  const nlohmann::json* value_;
  std::string path_;
  const std::string* file_;
};

}  // namespace canveg::io

#include "validators.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace mbi::cli {
namespace {

std::string number_text(double v) {
  if (v >= 1e15 || v <= -1e15) return v > 0 ? "inf" : "-inf";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

}  // namespace

CLI::Validator whole_number(std::int64_t min, std::uint64_t max) {
  const std::string range = "[" + std::to_string(min) + ", " + std::to_string(max) + "]";
  return CLI::Validator(
      [min, max, range](std::string& text) -> std::string {
        const auto refuse = [&] { return "must be a whole number in " + range + ", not '" + text + "'"; };
        if (text.empty()) return refuse();
        const bool negative = text[0] == '-';
        const std::size_t first = negative || text[0] == '+' ? 1 : 0;
        if (first == text.size()) return refuse();
        std::uint64_t magnitude = 0;
        const char* begin = text.data() + first;
        const char* end = text.data() + text.size();
        const auto [stop, error] = std::from_chars(begin, end, magnitude);
        if (error != std::errc() || stop != end) return refuse();
        if (negative) {
          if (min >= 0 || magnitude > static_cast<std::uint64_t>(-(min + 1)) + 1) return refuse();
        } else if (magnitude > max || (min > 0 && magnitude < static_cast<std::uint64_t>(min))) {
          return refuse();
        }
        return {};
      },
      "INT in " + range);
}

CLI::Validator finite_number(double min, double max) {
  const std::string range = "[" + number_text(min) + ", " + number_text(max) + "]";
  return CLI::Validator(
      [min, max, range](std::string& text) -> std::string {
        const auto refuse = [&] { return "must be a finite number in " + range + ", not '" + text + "'"; };
        if (text.empty()) return refuse();
        char* stop = nullptr;
        const double v = std::strtod(text.c_str(), &stop);
        if (stop != text.c_str() + text.size() || !std::isfinite(v) || v < min || v > max) return refuse();
        return {};
      },
      "NUMBER in " + range);
}

}  // namespace mbi::cli

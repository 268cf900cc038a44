#pragma once
// The checks every numeric flag of `mbi` goes through, so that a typo never becomes a silent
// wrong result: CLI11's own Range lets NaN through and its unsigned conversion wraps -1 and
// values past the type. Each check names the flag (CLI11 prefixes it) and the allowed range.
#include <CLI/CLI.hpp>

#include <cstdint>
#include <limits>

namespace mbi::cli {

// A whole number in [min, max], written in decimal digits (a minus sign only where min < 0):
// refuses "", "-1" for a count, "1.5", "1e3", and anything past max.
CLI::Validator whole_number(std::int64_t min, std::uint64_t max);
// A finite number in [min, max]: refuses nan, inf and text that is not a number.
CLI::Validator finite_number(double min, double max);

inline constexpr double kNoBound = std::numeric_limits<double>::max();

}  // namespace mbi::cli

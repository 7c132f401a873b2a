// The structural conversions the csv adapter does on cell text (everything else is passed through
// as the file has it, for the host's code maps): trimming, UTF-8 checking, whole numbers, decimal
// numbers, money, yes/no values. Used by the mapping and its tests only.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "date_format.h"
#include "fields.h"
#include "sendsync/sdk/status.h"

namespace sendsync::csv {

// `text` without leading and trailing spaces, tabs and no-break spaces (U+00A0).
std::string_view Trim(std::string_view text);

// The byte offset of the first byte that is not part of valid UTF-8 (overlong forms, surrogates
// and code points above U+10FFFF are invalid), or npos when `text` is valid.
size_t InvalidUtf8At(std::string_view text);

// Y/N, Yes/No, TRUE/FALSE, T/F, 1/0 in any letter case.
std::optional<bool> ParseBool(std::string_view text);

// A whole number: optional sign and digits ("3"); "3.0" is accepted as 3, "3.5" is not.
std::optional<int> ParseInt(std::string_view text);

// A decimal number with a point ("1.5", "-2", ".5"); no exponent, no thousands separators.
std::optional<double> ParseNumber(std::string_view text);

// An amount of money in pounds: a number with an optional leading "£" and optional thousands
// separators in groups of three ("£1,250.50").
std::optional<double> ParseMoney(std::string_view text);

// The JSON value of trimmed, non-empty `text` as a field of `type` (dates in `dates`' format come
// out as "yyyy-mm-dd"); the error says what is wrong with the text, e.g.
// "'31/02/2024' is not a date in the format dd/mm/yyyy".
Result<nlohmann::json> CellToJson(ValueType type, std::string_view text, const DateFormat& dates);

// The shortest text that reads back as `value` ("2", "1.5", "0.333333333333333").
std::string FormatNumber(double value);
// Money with two decimal places when it has at most two ("25.50"), else as FormatNumber.
std::string FormatMoney(double value);

}  // namespace sendsync::csv

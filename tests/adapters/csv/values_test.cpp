// Date formats and the other structural conversions of cell text.
#include <gtest/gtest.h>

#include "cell_values.h"
#include "date_format.h"

namespace {

using sendsync::Date;
using sendsync::csv::CellToJson;
using sendsync::csv::DateFormat;
using sendsync::csv::ValueType;
using namespace sendsync::csv;

DateFormat F(const std::string& pattern) {
  auto f = DateFormat::Compile(pattern);
  EXPECT_TRUE(f.ok()) << pattern << ": " << f.status().ToString();
  return *f;
}

std::string Read(const std::string& pattern, const std::string& text) {
  auto d = F(pattern).Read(text);
  return d ? d->ToString() : "none";
}

TEST(DateFormat, UkDefaultIsDayFirst) {
  DateFormat uk;
  EXPECT_EQ(uk.pattern(), "dd/mm/yyyy");
  EXPECT_EQ(uk.Read("04/09/2023")->ToString(), "2023-09-04");
}

TEST(DateFormat, TwoDigitTokensNeedTwoDigits) {
  EXPECT_EQ(Read("dd/mm/yyyy", "4/9/2023"), "none");
  EXPECT_EQ(Read("dd/mm/yyyy", "04/09/23"), "none");
}

TEST(DateFormat, OneLetterTokensAcceptOneOrTwoDigits) {
  EXPECT_EQ(Read("d/m/yyyy", "4/9/2023"), "2023-09-04");
  EXPECT_EQ(Read("d/m/yyyy", "04/09/2023"), "2023-09-04");
  EXPECT_EQ(Read("d/m/yyyy", "004/9/2023"), "none");
}

TEST(DateFormat, IsoAndDashedAndDottedPatterns) {
  EXPECT_EQ(Read("yyyy-mm-dd", "2024-02-29"), "2024-02-29");
  EXPECT_EQ(Read("dd-mm-yyyy", "29-02-2024"), "2024-02-29");
  EXPECT_EQ(Read("dd.mm.yyyy", "01.12.2024"), "2024-12-01");
  EXPECT_EQ(Read("yyyymmdd", "20241201"), "2024-12-01");
  EXPECT_EQ(Read("mm/dd/yyyy", "12/01/2024"), "2024-12-01");
}

TEST(DateFormat, MonthNamesAreEnglishAbbreviationsInAnyCase) {
  EXPECT_EQ(Read("dd-mmm-yyyy", "04-Sep-2023"), "2023-09-04");
  EXPECT_EQ(Read("d mmm yyyy", "4 SEP 2023"), "2023-09-04");
  EXPECT_EQ(Read("dd-mmm-yyyy", "04-Sept-2023"), "none");
}

TEST(DateFormat, ImpossibleDatesAreRefused) {
  EXPECT_EQ(Read("dd/mm/yyyy", "31/02/2014"), "none");
  EXPECT_EQ(Read("dd/mm/yyyy", "29/02/2023"), "none");
  EXPECT_EQ(Read("dd/mm/yyyy", "00/01/2023"), "none");
  EXPECT_EQ(Read("dd/mm/yyyy", "01/13/2023"), "none");
}

TEST(DateFormat, TextMustMatchWholly) {
  EXPECT_EQ(Read("dd/mm/yyyy", "04/09/2023 00:00"), "none");
  EXPECT_EQ(Read("dd/mm/yyyy", "04-09-2023"), "none");
  EXPECT_EQ(Read("dd/mm/yyyy", ""), "none");
}

TEST(DateFormat, WritesBackInTheSamePattern) {
  Date d(2024, 3, 5);
  EXPECT_EQ(F("dd/mm/yyyy").Write(d), "05/03/2024");
  EXPECT_EQ(F("d/m/yyyy").Write(d), "5/3/2024");
  EXPECT_EQ(F("yyyy-mm-dd").Write(d), "2024-03-05");
  EXPECT_EQ(F("dd-mmm-yyyy").Write(d), "05-Mar-2024");
}

TEST(DateFormat, BadPatternsAreRefusedWithTheReason) {
  auto yy = DateFormat::Compile("dd/mm/yy");
  ASSERT_FALSE(yy.ok());
  EXPECT_NE(yy.status().message().find("two-digit years"), std::string::npos);
  EXPECT_FALSE(DateFormat::Compile("dd/mm").ok());
  EXPECT_FALSE(DateFormat::Compile("dd/mm/yyyy/dd").ok());
  auto letter = DateFormat::Compile("dd/MM/yyyy");
  ASSERT_FALSE(letter.ok());
  EXPECT_NE(letter.status().message().find("'M'"), std::string::npos);
  EXPECT_FALSE(DateFormat::Compile("dmyyyy").ok()) << "d next to m cannot be split";
  EXPECT_FALSE(DateFormat::Compile("dddd/mm/yyyy").ok());
}

TEST(CellValues, TrimRemovesSpacesTabsAndNoBreakSpaces) {
  EXPECT_EQ(Trim("  K \t"), "K");
  EXPECT_EQ(Trim("\xC2\xA0SEN Support\xC2\xA0"), "SEN Support");
  EXPECT_EQ(Trim("   "), "");
}

TEST(CellValues, Utf8ValidityFindsTheFirstBadByte) {
  EXPECT_EQ(InvalidUtf8At("Zo\xC3\xAB"), std::string_view::npos);
  EXPECT_EQ(InvalidUtf8At("\xE2\x82\xAC 10"), std::string_view::npos);
  EXPECT_EQ(InvalidUtf8At("\xF0\x9F\x98\x80"), std::string_view::npos);
  EXPECT_EQ(InvalidUtf8At("Zo\xEB"), 2u) << "Windows-1252 e with diaeresis";
  EXPECT_EQ(InvalidUtf8At("a\xC0\xAF"), 1u) << "overlong";
  EXPECT_EQ(InvalidUtf8At("\xED\xA0\x80"), 0u) << "surrogate";
  EXPECT_EQ(InvalidUtf8At("\xF4\x90\x80\x80"), 0u) << "above U+10FFFF";
  EXPECT_EQ(InvalidUtf8At("ab\xC3"), 2u) << "cut short";
}

TEST(CellValues, BooleansInEveryCommonSpelling) {
  for (const char* yes : {"Y", "y", "Yes", "YES", "TRUE", "true", "1"})
    EXPECT_EQ(ParseBool(yes), true) << yes;
  for (const char* no : {"N", "No", "no", "FALSE", "False", "0"})
    EXPECT_EQ(ParseBool(no), false) << no;
  EXPECT_FALSE(ParseBool("Maybe"));
  EXPECT_FALSE(ParseBool(""));
}

TEST(CellValues, WholeNumbers) {
  EXPECT_EQ(ParseInt("3"), 3);
  EXPECT_EQ(ParseInt("+3"), 3);
  EXPECT_EQ(ParseInt("-2"), -2);
  EXPECT_EQ(ParseInt("3.0"), 3);
  EXPECT_FALSE(ParseInt("3.5"));
  EXPECT_FALSE(ParseInt("Two"));
  EXPECT_FALSE(ParseInt("3 "));
  EXPECT_FALSE(ParseInt("99999999999"));
}

TEST(CellValues, DecimalNumbersUseAPoint) {
  EXPECT_EQ(ParseNumber("1.5"), 1.5);
  EXPECT_EQ(ParseNumber(".5"), 0.5);
  EXPECT_EQ(ParseNumber("2"), 2.0);
  EXPECT_FALSE(ParseNumber("1,5"));
  EXPECT_FALSE(ParseNumber("1e3"));
  EXPECT_FALSE(ParseNumber("nan"));
  EXPECT_FALSE(ParseNumber("."));
}

TEST(CellValues, MoneyAcceptsPoundSignAndThousandsSeparators) {
  EXPECT_EQ(ParseMoney("18.50"), 18.5);
  EXPECT_EQ(ParseMoney("\xC2\xA3"
                       "18.50"),
            18.5);
  EXPECT_EQ(ParseMoney("\xC2\xA3"
                       "1,250.00"),
            1250.0);
  EXPECT_EQ(ParseMoney("12,500"), 12500.0);
  EXPECT_FALSE(ParseMoney("1,25.00"));
  EXPECT_FALSE(ParseMoney("1,2,3"));
  EXPECT_FALSE(ParseMoney("£"));
  EXPECT_FALSE(ParseMoney("$18.50"));
}

TEST(CellValues, NumbersFormatShortestAndMoneyWithPence) {
  EXPECT_EQ(FormatNumber(2), "2");
  EXPECT_EQ(FormatNumber(1.5), "1.5");
  EXPECT_EQ(FormatMoney(18.5), "18.50");
  EXPECT_EQ(FormatMoney(1250), "1250.00");
  EXPECT_EQ(FormatMoney(0.125), "0.125");
}

TEST(CellValues, CellToJsonExplainsWhatIsWrong) {
  DateFormat uk;
  EXPECT_EQ(*CellToJson(ValueType::kDate, "04/09/2023", uk), "2023-09-04");
  auto bad = CellToJson(ValueType::kDate, "31/02/2014", uk);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "'31/02/2014' is not a date in the format dd/mm/yyyy");
  EXPECT_EQ(*CellToJson(ValueType::kInt, "2", uk), 2);
  EXPECT_EQ(CellToJson(ValueType::kInt, "Two", uk).status().message(),
            "'Two' is not a whole number");
  EXPECT_EQ(*CellToJson(ValueType::kBool, "Yes", uk), true);
  EXPECT_EQ(*CellToJson(ValueType::kList, "T1; T2;;", uk), nlohmann::json({"T1", "T2"}));
  EXPECT_EQ(*CellToJson(ValueType::kText, "SEN Support", uk), "SEN Support");
}

}  // namespace

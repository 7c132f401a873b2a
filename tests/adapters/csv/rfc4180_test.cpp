// The RFC 4180 reader and writer: every quoting, line-break and encoding case MIS exports produce.
#include "sendsync/sdk/csv.h"

#include <gtest/gtest.h>

#include <random>

#include "csv_test_util.h"

namespace {

using csvtest::TempDir;
using csvtest::WriteFile;
using sendsync::csv::AppendField;
using sendsync::csv::CsvReader;
using sendsync::csv::CsvRecord;
using sendsync::csv::FormatRecord;

struct Parsed {
  std::vector<std::vector<std::string>> rows;
  std::vector<CsvRecord> records;
  sendsync::Status open;
};

Parsed Parse(const std::string& bytes, char delimiter = ',', size_t max_record = 1 << 20) {
  TempDir dir;
  WriteFile(dir / "f.csv", bytes);
  CsvReader reader({delimiter, max_record});
  Parsed p;
  p.open = reader.Open(dir / "f.csv");
  if (!p.open.ok()) return p;
  CsvRecord rec;
  while (reader.Next(rec)) {
    p.rows.emplace_back(rec.fields.begin(), rec.fields.begin() + static_cast<long>(rec.size()));
    p.records.push_back(rec);
  }
  EXPECT_TRUE(reader.status().ok());
  return p;
}

using Rows = std::vector<std::vector<std::string>>;

TEST(Rfc4180Reader, PlainFieldsAndRows) {
  EXPECT_EQ(Parse("a,b,c\n1,2,3\n").rows, (Rows{{"a", "b", "c"}, {"1", "2", "3"}}));
}

TEST(Rfc4180Reader, QuotedFieldKeepsEmbeddedDelimiter) {
  EXPECT_EQ(Parse("\"Speech, Language\",K\n").rows, (Rows{{"Speech, Language", "K"}}));
}

TEST(Rfc4180Reader, DoubledQuotesInsideQuotedFieldBecomeOneQuote) {
  EXPECT_EQ(Parse("\"the \"\"Chatterbox\"\" service\",x\n").rows,
            (Rows{{"the \"Chatterbox\" service", "x"}}));
}

TEST(Rfc4180Reader, EmbeddedLineBreaksStayInTheField) {
  Parsed p = Parse("id,notes\r\n1,\"line one\r\nline two\nline three\"\r\n2,x\r\n");
  EXPECT_EQ(p.rows, (Rows{{"id", "notes"}, {"1", "line one\r\nline two\nline three"}, {"2", "x"}}));
  // The record spans physical lines 2-4; the next starts on line 5.
  EXPECT_EQ(p.records[1].line, 2u);
  EXPECT_EQ(p.records[2].line, 5u);
}

TEST(Rfc4180Reader, CrLfLfAndLoneCrAllEndRows) {
  Parsed p = Parse("a\r\nb\nc\rd\n");
  EXPECT_EQ(p.rows, (Rows{{"a"}, {"b"}, {"c"}, {"d"}}));
  EXPECT_EQ(p.records[3].line, 4u);
}

TEST(Rfc4180Reader, Utf8ByteOrderMarkIsSkippedAndNotPartOfFirstField) {
  CsvRecord first;
  TempDir dir;
  WriteFile(dir / "f.csv", "\xEF\xBB\xBFUPN,Name\r\n");
  CsvReader reader({','});
  ASSERT_TRUE(reader.Open(dir / "f.csv").ok());
  ASSERT_TRUE(reader.Next(first));
  EXPECT_EQ(first[0], "UPN");
  EXPECT_TRUE(reader.had_bom());
  EXPECT_EQ(first.begin, 3u);
}

TEST(Rfc4180Reader, Utf16FileIsRefusedWithAClearMessage) {
  Parsed p = Parse(std::string("\xFF\xFEU\0P\0N\0", 8));
  ASSERT_FALSE(p.open.ok());
  EXPECT_NE(p.open.message().find("UTF-16"), std::string::npos) << p.open.message();
  EXPECT_NE(p.open.message().find("UTF-8"), std::string::npos);
}

TEST(Rfc4180Reader, FinalRowWithoutLineBreakIsReadAndMarkedUnterminated) {
  Parsed p = Parse("a,b\n1,2");
  ASSERT_EQ(p.rows, (Rows{{"a", "b"}, {"1", "2"}}));
  EXPECT_TRUE(p.records[0].terminated);
  EXPECT_FALSE(p.records[1].terminated);
}

TEST(Rfc4180Reader, TrailingLineBreakMakesNoExtraRow) {
  EXPECT_EQ(Parse("a\n1\n").rows.size(), 2u);
  EXPECT_EQ(Parse("a\r\n1\r\n").rows.size(), 2u);
}

TEST(Rfc4180Reader, EmptyLineIsABlankRow) {
  Parsed p = Parse("a\n\n1\n");
  ASSERT_EQ(p.records.size(), 3u);
  EXPECT_TRUE(p.records[1].blank());
  EXPECT_FALSE(p.records[2].blank());
}

TEST(Rfc4180Reader, RowOfBareDelimitersIsBlank) {
  Parsed p = Parse(",,,\n");
  ASSERT_EQ(p.records.size(), 1u);
  EXPECT_EQ(p.records[0].size(), 4u);
  EXPECT_TRUE(p.records[0].blank());
}

TEST(Rfc4180Reader, EmptyFieldsAndEmptyQuotedFieldsAreEmpty) {
  EXPECT_EQ(Parse("a,,\"\",d\n").rows, (Rows{{"a", "", "", "d"}}));
}

TEST(Rfc4180Reader, RowsKeepTheirOwnFieldCounts) {
  EXPECT_EQ(Parse("a,b,c\n1,2\n1,2,3,4\n").rows,
            (Rows{{"a", "b", "c"}, {"1", "2"}, {"1", "2", "3", "4"}}));
}

TEST(Rfc4180Reader, BareQuoteInsideUnquotedFieldIsTakenLiterally) {
  Parsed p = Parse("12\" ruler,x\n");
  EXPECT_EQ(p.rows, (Rows{{"12\" ruler", "x"}}));
  EXPECT_TRUE(p.records[0].problem.empty());
}

TEST(Rfc4180Reader, TextAfterClosingQuoteIsAProblemNamingTheField) {
  Parsed p = Parse("a,\"b\"c,d\nnext,row,ok\n");
  ASSERT_EQ(p.records.size(), 2u);
  EXPECT_NE(p.records[0].problem.find("after the closing quote"), std::string::npos);
  EXPECT_EQ(p.records[0].problem_field, 2u);
  EXPECT_TRUE(p.records[1].problem.empty()) << "the reader must recover for the next row";
  EXPECT_EQ(p.rows[1], (std::vector<std::string>{"next", "row", "ok"}));
}

TEST(Rfc4180Reader, QuoteNeverClosedIsAProblemSayingWhereItOpened) {
  Parsed p = Parse("h\r\n1\r\n\"open\r\n2\r\n3\r\n");
  ASSERT_EQ(p.records.size(), 3u);
  EXPECT_NE(p.records[2].problem.find("opened on line 3"), std::string::npos)
      << p.records[2].problem;
  EXPECT_FALSE(p.records[2].terminated);
}

TEST(Rfc4180Reader, OverlongRowIsCutAndReported) {
  std::string big(5000, 'x');
  Parsed p = Parse("a\n" + big + "\nb\n", ',', 1000);
  ASSERT_EQ(p.records.size(), 3u);
  EXPECT_NE(p.records[1].problem.find("longer than 1000"), std::string::npos);
  EXPECT_LE(p.records[1].raw.size(), 1000u);
  EXPECT_EQ(p.rows[2], std::vector<std::string>{"b"});
}

TEST(Rfc4180Reader, OtherDelimiters) {
  EXPECT_EQ(Parse("a;\"b;c\";d\n", ';').rows, (Rows{{"a", "b;c", "d"}}));
  EXPECT_EQ(Parse("a\tb,c\n", '\t').rows, (Rows{{"a", "b,c"}}));
}

TEST(Rfc4180Reader, RawTextIsTheRecordWithoutItsLineBreak) {
  Parsed p = Parse("x\r\n1,\"a\nb\",3\r\n");
  EXPECT_EQ(p.records[1].raw, "1,\"a\nb\",3");
}

TEST(Rfc4180Reader, ResumesExactlyAtAReportedRecordBoundary) {
  TempDir dir;
  std::string text = "h1,h2\r\n1,\"a\r\nb\"\r\n2,c\r\n3,d";
  WriteFile(dir / "f.csv", text);
  CsvReader first({','});
  ASSERT_TRUE(first.Open(dir / "f.csv").ok());
  CsvRecord rec;
  ASSERT_TRUE(first.Next(rec));
  ASSERT_TRUE(first.Next(rec));
  uint64_t offset = first.offset(), line = first.line();
  EXPECT_EQ(line, 4u);
  CsvReader second({','});
  ASSERT_TRUE(second.Open(dir / "f.csv", offset, line).ok());
  ASSERT_TRUE(second.Next(rec));
  EXPECT_EQ(rec[1], "c");
  EXPECT_EQ(rec.line, 4u);
  ASSERT_TRUE(second.Next(rec));
  EXPECT_EQ(rec[1], "d");
  EXPECT_FALSE(second.Next(rec));
}

TEST(Rfc4180Reader, CrLfSplitAcrossReadBlocksIsOneLineBreak) {
  // 64 KiB blocks: put the CR as the last byte of the first block.
  std::string first(65535 - 2, 'a');
  std::string text = "h\n" + first.substr(0, 65535 - 2) + "\r\nz\r\n";
  ASSERT_EQ(text[65535], '\r');
  Parsed p = Parse(text);
  ASSERT_EQ(p.records.size(), 3u);
  EXPECT_EQ(p.rows[2], std::vector<std::string>{"z"});
  EXPECT_EQ(p.records[2].line, 3u);
}

TEST(Rfc4180Reader, MissingFileIsNotFound) {
  CsvReader reader({','});
  EXPECT_EQ(reader.Open("/nonexistent/sendsync/x.csv").code(), sendsync::Status::Code::kNotFound);
}

TEST(Rfc4180Writer, QuotesOnlyFieldsThatNeedIt) {
  std::string out;
  AppendField(out, "plain", ',');
  EXPECT_EQ(out, "plain");
  EXPECT_EQ(FormatRecord({"a,b", "say \"hi\"", "two\nlines", "cr\rx", " padded", ""}, ',', "\r\n"),
            "\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",\"cr\rx\",\" padded\",\r\n");
}

TEST(Rfc4180Writer, WhatItWritesReadsBackIdentically) {
  std::mt19937 rng(42);
  const std::string alphabet = "ab ,\"\r\n;\xC3\xA9";
  Rows rows;
  std::string text;
  for (int r = 0; r < 200; ++r) {
    std::vector<std::string> row;
    for (int f = 0; f < 4; ++f) {
      std::string field;
      int len = static_cast<int>(rng() % 8);
      for (int i = 0; i < len; ++i) field += alphabet[rng() % alphabet.size()];
      row.push_back(field);
    }
    row[0] = "r" + std::to_string(r);  // no row is blank
    rows.push_back(row);
    text += FormatRecord(row, ',', r % 2 ? "\r\n" : "\n");
  }
  EXPECT_EQ(Parse(text).rows, rows);
}

}  // namespace

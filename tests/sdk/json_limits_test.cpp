// sdk::ParseJson: JSON someone else wrote is parsed with a bound on nesting, and a deeper document
// is refused at the first bracket too many, saying so.
#include <gtest/gtest.h>

#include "sendsync/sdk/json_limits.h"

namespace {

using nlohmann::json;
using sendsync::sdk::CheckJson;
using sendsync::sdk::ParseJson;

std::string Nested(size_t depth) {
  return std::string(depth, '[') + std::string(depth, ']');
}

TEST(JsonLimits, OrdinaryJsonParsesAsNlohmannWould) {
  const std::string text = R"({"a": [1, 2.5, "x", null, true, {"b": {}}], "c": -3})";
  EXPECT_EQ(ParseJson(text), json::parse(text));
}

TEST(JsonLimits, SixtyFourLevelsAreReadAndSixtyFiveRefused) {
  EXPECT_FALSE(ParseJson(Nested(64)).is_discarded());
  std::string error;
  EXPECT_TRUE(ParseJson(Nested(65), &error).is_discarded());
  EXPECT_EQ(error, "nested more than 64 levels deep (at byte 64)");
}

TEST(JsonLimits, MillionLevelsAreRefusedWithoutBuildingThem) {
  std::string error;
  EXPECT_TRUE(ParseJson(std::string(1000000, '['), &error).is_discarded());
  EXPECT_NE(error.find("nested more than 64 levels deep"), std::string::npos) << error;
  EXPECT_TRUE(ParseJson(std::string(200000, '{'), &error).is_discarded());
}

TEST(JsonLimits, ObjectsCountAsLevelsToo) {
  std::string text;
  for (int i = 0; i < 70; ++i) text += "{\"a\":";
  text += "1" + std::string(70, '}');
  std::string error;
  EXPECT_TRUE(ParseJson(text, &error).is_discarded());
  EXPECT_NE(error.find("nested more than 64"), std::string::npos) << error;
}

TEST(JsonLimits, BadJsonSaysWhatTheParserSaid) {
  std::string error;
  EXPECT_TRUE(ParseJson("{\"a\": }", &error).is_discarded());
  EXPECT_NE(error.find("syntax error"), std::string::npos) << error;
}

// CheckJson: the same check without building the value, for text passed on as it is.
TEST(JsonLimits, CheckJsonAcceptsWhatParseJsonParses) {
  EXPECT_TRUE(CheckJson(R"({"a": [1, 2.5, "x", null, true, {"b": {}}], "c": -3})"));
  EXPECT_TRUE(CheckJson(Nested(64)));
}

TEST(JsonLimits, CheckJsonRefusesWhatParseJsonRefusesWithTheSameReason) {
  for (const std::string& text : {Nested(65), std::string(1000000, '['), std::string("{\"a\": }"),
                                  std::string("{\"a\":1} x"), std::string("")}) {
    std::string checked, parsed;
    EXPECT_FALSE(CheckJson(text, &checked)) << text.substr(0, 20);
    EXPECT_TRUE(ParseJson(text, &parsed).is_discarded());
    EXPECT_EQ(checked, parsed);
  }
}

}  // namespace

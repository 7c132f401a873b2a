// Configuring the ctf adapter: bad settings are refused with the key named, and the manifest's
// schema agrees with what Configure accepts.
#include <gtest/gtest.h>

#include "base/schema/json_schema.h"
#include "ctf_test_support.h"
#include "sendsync/testkit/conformance.h"

namespace {

using namespace ctftest;

std::string RefusalOf(const json& config) {
  std::string error;
  auto c = Open(config, &error);
  EXPECT_EQ(c, nullptr) << "accepted " << config.dump();
  return error;
}

TEST(CtfConfigure, GoodConfigurationOpens) {
  Workspace w;
  std::string error;
  EXPECT_NE(Open(w.Config(), &error), nullptr) << error;
}

TEST(CtfConfigure, MissingDropFolderIsRefusedNamingTheKey) {
  Workspace w;
  std::string e = RefusalOf(w.Config({{"drop_folder", nullptr}}));
  EXPECT_NE(e.find("drop_folder"), std::string::npos) << e;
}

TEST(CtfConfigure, DropFolderThatDoesNotExistIsRefused) {
  Workspace w;
  std::string e = RefusalOf(w.Config({{"drop_folder", (w.root / "nope").string()}}));
  EXPECT_NE(e.find("drop_folder"), std::string::npos) << e;
  EXPECT_NE(e.find("not an existing folder"), std::string::npos) << e;
}

TEST(CtfConfigure, LaCodeThatIsNotThreeDigitsIsRefused) {
  Workspace w;
  std::string e = RefusalOf(w.Config({{"source", {{"la", "82"}, {"estab", "1234"}}}}));
  EXPECT_NE(e.find("source.la"), std::string::npos) << e;
  e = RefusalOf(w.Config({{"destination", {{"la", "8210"}, {"estab", "4567"}}}}));
  EXPECT_NE(e.find("destination.la"), std::string::npos) << e;
}

TEST(CtfConfigure, EstablishmentNumberMustBeFourDigitsOrLLLL) {
  Workspace w;
  std::string e = RefusalOf(w.Config({{"source", {{"la", "820"}, {"estab", "12345"}}}}));
  EXPECT_NE(e.find("source.estab"), std::string::npos) << e;
  std::string error;
  EXPECT_NE(Open(w.Config({{"source", {{"la", "820"}, {"estab", "LLLL"}}}}), &error), nullptr)
      << "an LA as sender writes LLLL: " << error;
}

TEST(CtfConfigure, HalfUnknownDestinationIsRefused) {
  Workspace w;
  std::string e = RefusalOf(w.Config({{"destination", {{"la", "XXX"}, {"estab", "4567"}}}}));
  EXPECT_NE(e.find("destination"), std::string::npos) << e;
}

TEST(CtfConfigure, UnknownKeyIsRefused) {
  Workspace w;
  std::string e = RefusalOf(w.Config({{"drop_fodler", "/tmp"}}));
  EXPECT_NE(e.find("drop_fodler"), std::string::npos) << e;
}

TEST(CtfConfigure, OutFolderWithoutSourceIsRefused) {
  Workspace w;
  std::string e = RefusalOf(w.Config({{"source", nullptr}}));
  EXPECT_NE(e.find("source"), std::string::npos) << e;
}

TEST(CtfConfigure, OutFolderThatIsTheDropFolderIsRefused) {
  Workspace w;
  std::string e = RefusalOf(w.Config({{"out_folder", w.drop.string()}}));
  EXPECT_NE(e.find("out_folder"), std::string::npos) << e;
}

TEST(CtfConfigure, BadCtfVersionIsRefused) {
  Workspace w;
  std::string e = RefusalOf(w.Config({{"ctf_version", "25"}}));
  EXPECT_NE(e.find("ctf_version"), std::string::npos) << e;
  e = RefusalOf(w.Config({{"accept_versions", {"24.0", "v25"}}}));
  EXPECT_NE(e.find("accept_versions"), std::string::npos) << e;
}

TEST(CtfConfigure, NegativeSettleTimeIsRefused) {
  Workspace w;
  std::string e = RefusalOf(w.Config({{"settle_seconds", -1}}));
  EXPECT_NE(e.find("settle_seconds"), std::string::npos) << e;
}

TEST(CtfManifest, SchemaAcceptsTheDocumentedConfigurationAndRefusesUnknownKeys) {
  json m = json::parse(sendsync::testkit::ReadManifest(PluginPath()));
  auto schema = sendsync::schema::JsonSchema::Compile(m["config_schema"]);
  ASSERT_TRUE(schema.ok()) << schema.status().ToString();
  Workspace w;
  json documented = w.Config({{"ctf_version", "25.0"},
                              {"accept_versions", {"25.0", "24.0"}},
                              {"extra_need_types", {"XYZ"}}});
  EXPECT_TRUE((*schema)->Validate(documented).empty()) << documented.dump();
  EXPECT_FALSE((*schema)->Validate(w.Config({{"colour", "blue"}})).empty());
  EXPECT_FALSE(
      (*schema)->Validate(w.Config({{"source", {{"la", "82"}, {"estab", "1234"}}}})).empty());
  EXPECT_EQ(m["reads"], json({"pupil", "sen"}));
  EXPECT_EQ(m["writes"], json({"pupil", "sen"}));
}

TEST(CtfDescribe, SaysWhatTheLinkIsConnectedTo) {
  Workspace w;
  auto c = Open(w.Config());
  ASSERT_NE(c, nullptr);
  auto r = c->Call("describe", "{}");
  ASSERT_EQ(r.status, 0) << r.body;
  json d = json::parse(r.body);
  EXPECT_EQ(d["drop_folder"], w.drop.string());
  EXPECT_EQ(d["ctf_version"], "25.0");
  EXPECT_EQ(d["accept_versions"], json({"24.0", "25.0"}));
  auto check = c->Call("check", "{}");
  EXPECT_EQ(check.status, 0) << check.body;
}

}  // namespace

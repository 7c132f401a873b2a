#include "sendsync/testkit/conformance.h"

#include <gtest/gtest.h>

#include <set>

namespace sendsync::testkit {
namespace {

using nlohmann::json;

const std::set<std::string> kKinds = {"pupil",  "sen",      "cycle",   "provision",
                                      "review", "referral", "ehc_plan"};

std::unique_ptr<Caller> MustOpen(const Target& t, const json& config) {
  std::string error;
  auto c = t.opener(t.plugin_path, config.dump(), &error);
  EXPECT_NE(c, nullptr) << "the adapter refused its good configuration: " << error;
  return c;
}

json MustCall(Caller& c, const std::string& method, const json& request) {
  Caller::Reply r = c.Call(method, request.dump());
  EXPECT_EQ(r.status, 0) << method << " failed: " << r.body;
  json j = json::parse(r.body, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << method << " returned invalid JSON: " << r.body.substr(0, 200);
  return j;
}

// Reads `kind` from `cursor` until more is false; returns every record and the last cursor.
json ReadAll(const Target& t, Caller& c, const std::string& cursor, std::string* last) {
  json all = json::array();
  std::string cur = cursor;
  for (int page = 0; page < 10000; ++page) {
    json r = MustCall(c, "read", {{"kind", t.read_kind}, {"cursor", cur}, {"limit", 50}});
    if (!r.is_object()) break;
    EXPECT_TRUE(r.contains("records") && r["records"].is_array()) << r.dump().substr(0, 200);
    EXPECT_TRUE(r.contains("deletions") && r["deletions"].is_array());
    EXPECT_TRUE(r.contains("next_cursor") && r["next_cursor"].is_string());
    EXPECT_TRUE(r.contains("more") && r["more"].is_boolean());
    if (!r.contains("records") || !r.contains("next_cursor")) break;
    for (auto& rec : r["records"]) all.push_back(rec);
    cur = r["next_cursor"].get<std::string>();
    if (!r.value("more", false)) break;
  }
  if (last) *last = cur;
  return all;
}

class KitTest : public testing::Test {
 public:
  KitTest(Target t, std::function<void(const Target&)> body)
      : t_(std::move(t)), body_(std::move(body)) {}
  void TestBody() override { body_(t_); }

 private:
  Target t_;
  std::function<void(const Target&)> body_;
};

void ManifestIsValid(const Target& t) {
  std::string text = ReadManifest(t.plugin_path);
  ASSERT_FALSE(text.empty()) << "no manifest could be read from " << t.plugin_path;
  json m = json::parse(text, nullptr, false);
  ASSERT_TRUE(m.is_object()) << "manifest is not a JSON object";
  for (const char* k : {"id", "name", "version", "vendor", "abi"}) {
    ASSERT_TRUE(m.contains(k) && m[k].is_string() && !m[k].get<std::string>().empty())
        << "manifest needs a non-empty string \"" << k << "\"";
  }
  for (const char* k : {"reads", "writes"}) {
    ASSERT_TRUE(m.contains(k) && m[k].is_array()) << "manifest needs a list \"" << k << "\"";
    for (const json& kind : m[k])
      EXPECT_TRUE(kind.is_string() && kKinds.count(kind.get<std::string>()))
          << "unknown kind " << kind.dump() << " in \"" << k << "\"";
  }
  EXPECT_FALSE(m["reads"].empty() && m["writes"].empty()) << "manifest declares no kinds";
  ASSERT_TRUE(m.contains("config_schema") && m["config_schema"].is_object());
  EXPECT_EQ(m["config_schema"].value("type", ""), "object");
  // "secret" marks, where present, must be booleans.
  if (m["config_schema"].contains("properties"))
    for (auto& [name, prop] : m["config_schema"]["properties"].items()) {
      if (prop.contains("secret")) {
        EXPECT_TRUE(prop["secret"].is_boolean()) << name;
      }
    }
  bool reads_kind = false;
  for (const json& k : m["reads"]) reads_kind |= k == t.read_kind;
  EXPECT_TRUE(reads_kind) << "the target's read_kind '" << t.read_kind << "' is not in \"reads\"";
}

void BadConfigIsRefused(const Target& t) {
  std::string error;
  auto c = t.opener(t.plugin_path, t.bad_config.dump(), &error);
  EXPECT_EQ(c, nullptr) << "the adapter accepted a bad configuration: " << t.bad_config.dump();
  EXPECT_FALSE(error.empty()) << "the refusal carries no message";
  EXPECT_NE(error.find(t.bad_config_mentions), std::string::npos)
      << "the refusal \"" << error << "\" does not mention \"" << t.bad_config_mentions << "\"";
  // A config that is not even an object must be refused too, not crash.
  auto c2 = t.opener(t.plugin_path, "[1,2,3]", &error);
  EXPECT_EQ(c2, nullptr) << "the adapter accepted a JSON array as its configuration";
}

void ReadWithEmptyCursor(const Target& t) {
  auto c = MustOpen(t, t.good_config());
  ASSERT_NE(c, nullptr);
  std::string last;
  json all = ReadAll(t, *c, "", &last);
  EXPECT_FALSE(all.empty()) << "the fixture data should hold some " << t.read_kind << " records";
  for (const json& r : all) {
    ASSERT_TRUE(r.is_object()) << "a record is not a JSON object";
    EXPECT_EQ(r.value("kind", ""), t.read_kind) << r.dump().substr(0, 200);
  }
}

void ReadWithFutureCursorReturnsNothing(const Target& t) {
  if (!t.future_cursor) GTEST_SKIP() << "the target gives no way to make a cursor from the future";
  auto c = MustOpen(t, t.good_config());
  ASSERT_NE(c, nullptr);
  std::string last;
  ReadAll(t, *c, "", &last);
  json r = MustCall(*c, "read",
                    {{"kind", t.read_kind}, {"cursor", t.future_cursor(last)}, {"limit", 50}});
  EXPECT_TRUE(r["records"].empty()) << "records returned for a future cursor";
  EXPECT_TRUE(r["deletions"].empty()) << "deletions returned for a future cursor";
  EXPECT_FALSE(r.value("more", true));
}

void ReadIsRepeatable(const Target& t) {
  json config = t.good_config();
  auto c = MustOpen(t, config);
  ASSERT_NE(c, nullptr);
  std::string last1, last2;
  json a = ReadAll(t, *c, "", &last1);
  json b = ReadAll(t, *c, "", &last2);
  EXPECT_EQ(a, b) << "two reads from the same cursor returned different records";
  EXPECT_EQ(last1, last2) << "two reads from the same cursor ended on different cursors";
}

void WriteIsIdempotentPerKey(const Target& t) {
  if (t.write_kind.empty()) GTEST_SKIP() << "the adapter writes nothing";
  json config = t.good_config();
  auto c = MustOpen(t, config);
  ASSERT_NE(c, nullptr);
  const std::string key = "conformance-key-1";
  json req = {{"kind", t.write_kind},
              {"changes", {{{"key", key}, {"op", "upsert"}, {"record", t.write_record}}}}};
  json first = MustCall(*c, "write", req);
  json second = MustCall(*c, "write", req);
  ASSERT_TRUE(first.contains("results") && first["results"].size() == 1) << first.dump();
  ASSERT_TRUE(second.contains("results") && second["results"].size() == 1) << second.dump();
  EXPECT_EQ(first["results"][0].value("key", ""), key);
  EXPECT_EQ(first["results"][0].value("result", ""), "applied") << first.dump();
  EXPECT_EQ(second["results"][0].value("result", ""), "applied") << second.dump();
  EXPECT_EQ(first["results"][0].value("remote_id", ""), second["results"][0].value("remote_id", ""))
      << "a repeated key was answered with a different remote id";
  if (t.applied_count) {
    EXPECT_EQ(t.applied_count(config, key), 1) << "applied more than once";
  }
}

void Register(const Target& t, const char* test, void (*body)(const Target&)) {
  std::string suite = t.name + "/Conformance";
  testing::RegisterTest(suite.c_str(), test, nullptr, nullptr, __FILE__, __LINE__,
                        [t, body]() -> testing::Test* { return new KitTest(t, body); });
}

}  // namespace

void RegisterConformanceTests(const Target& t) {
  Register(t, "ManifestIsValid", ManifestIsValid);
  Register(t, "BadConfigIsRefusedWithClearError", BadConfigIsRefused);
  Register(t, "ReadWithEmptyCursor", ReadWithEmptyCursor);
  Register(t, "ReadWithFutureCursorReturnsNothing", ReadWithFutureCursorReturnsNothing);
  Register(t, "ReadIsRepeatable", ReadIsRepeatable);
  Register(t, "WriteIsIdempotentPerKey", WriteIsIdempotentPerKey);
}

}  // namespace sendsync::testkit

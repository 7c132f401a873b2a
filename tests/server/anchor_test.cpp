// The service anchors the audit chain after its runs (core/audit/anchor.h), and /audit/verify
// compares the chain with the newest anchor, so a cut tail shows through the API too.
#include <fstream>

#include "core/audit/anchor.h"
#include "server_fixture.h"

namespace sendsync::server_test {
namespace {

class AnchorServerTest : public ServerTest {};

TEST_F(AnchorServerTest, ARunIsAnchoredAndACutTailIsReportedByVerify) {
  AddLink("a", "inbox");
  WritePupils("inbox", 1, 3);
  server::ServiceOptions o = Options();
  o.anchors = audit::DefaultAnchorOptions((dir_ / "data").string());
  Start(o);
  const std::string admin = Token(server::Role::kAdmin), auditor = Token(server::Role::kAuditor);
  ASSERT_EQ(Post("/api/v1/links/a/run?wait=true", admin).status, 200);

  auto head = Conn()->Query("SELECT seq FROM audit_head WHERE id = 1");
  ASSERT_TRUE(head.ok() && !head->empty());
  const int64_t seq = store::AsInt((*head)[0][0]);
  auto file = audit::ReadAnchors(o.anchors);
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  ASSERT_TRUE(file->ok) << file->problem;
  ASSERT_FALSE(file->anchors.empty());
  EXPECT_EQ(file->anchors.back().seq, seq);  // the run's last entry

  Response fine = Get("/api/v1/audit/verify", auditor);
  ASSERT_EQ(fine.status, 200) << fine.body;
  EXPECT_EQ(fine.Json()["ok"], true) << fine.body;
  EXPECT_EQ(fine.Json()["anchored_seq"], seq);

  // Cut the last two entries and wind the head back to match.
  auto c = Conn();
  ASSERT_TRUE(c->Exec("DELETE FROM audit WHERE seq > ?", {seq - 2}).ok());
  ASSERT_TRUE(c->Exec("UPDATE audit_head SET seq = ?, hash = (SELECT hash FROM audit WHERE seq = ?)"
                      " WHERE id = 1",
                      {seq - 2, seq - 2})
                  .ok());
  Response cut = Get("/api/v1/audit/verify", auditor);
  ASSERT_EQ(cut.status, 200) << cut.body;
  const json j = cut.Json();
  EXPECT_EQ(j["ok"], false) << cut.body;
  EXPECT_EQ(j["missing"]["from"], seq - 1) << cut.body;
  EXPECT_EQ(j["missing"]["to"], seq) << cut.body;
}

}  // namespace
}  // namespace sendsync::server_test

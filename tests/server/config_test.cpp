// The host config file: what `sendsync serve` and `sendsync config check` accept and refuse.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "base/config/config.h"
#include "core/server/service.h"

namespace sendsync::server_test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

Status Check(const json& j) {
  auto c = config::FromJson(j, fs::temp_directory_path().string());
  return c.ok() ? Status::OK() : c.status();
}

TEST(Config, DefaultsListenOnLoopbackAndAreValid) {
  auto c = config::FromJson(json::object(), "");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->listen, "127.0.0.1:8470");
  EXPECT_TRUE(c->tls_cert.empty());
  EXPECT_EQ(c->max_request_bytes, 1 << 20);
}

TEST(Config, HostIdAndLeaseAreCheckedByName) {
  auto c = config::FromJson({{"host_id", "la-host-2"}, {"lease_seconds", 30}}, "");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->host_id, "la-host-2");
  EXPECT_EQ(c->lease_seconds, 30);
  Status st = Check({{"host_id", "a:b"}});
  EXPECT_NE(st.message().find("host_id"), std::string::npos) << st.message();
  EXPECT_FALSE(Check({{"host_id", std::string(65, 'h')}}).ok());
  EXPECT_NE(Check({{"lease_seconds", 1}}).message().find("lease_seconds"), std::string::npos);
  EXPECT_TRUE(Check({{"schedule_jitter_seconds", 0}}).ok());
}

TEST(Config, AStoreUrlsPasswordIsMaskedInItsJson) {
  auto c =
      config::FromJson({{"store_url", "postgresql://hub:s3cret@db.example:5432/sendsync"}}, "");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  const std::string shown = c->ToJson().dump();
  EXPECT_EQ(shown.find("s3cret"), std::string::npos) << shown;
  EXPECT_NE(shown.find("postgresql://hub:***@db.example:5432/sendsync"), std::string::npos)
      << shown;
  EXPECT_EQ(config::MaskUrlPassword("postgresql://hub@db/x"), "postgresql://hub@db/x");
  EXPECT_EQ(config::MaskUrlPassword("sqlite:/var/a@b:c.db"), "sqlite:/var/a@b:c.db");
}

TEST(Config, UnknownKeyIsRefusedByName) {
  Status st = Check({{"listne", "127.0.0.1:1"}});
  EXPECT_EQ(st.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(st.message().find("listne: unknown key"), std::string::npos) << st.message();
}

TEST(Config, ListenWithoutPortIsRefusedNamingListen) {
  Status st = Check({{"listen", "127.0.0.1"}});
  EXPECT_NE(st.message().find("listen:"), std::string::npos) << st.message();
  st = Check({{"listen", "127.0.0.1:70000"}});
  EXPECT_NE(st.message().find("listen: port must be"), std::string::npos) << st.message();
}

TEST(Config, TlsCertWithoutKeyIsRefusedNamingTheMissingOne) {
  std::string cert = (fs::temp_directory_path() / "sendsync-config-test-cert.pem").string();
  std::ofstream(cert) << "x";
  Status st = Check({{"tls_cert", cert}});
  EXPECT_NE(st.message().find("tls_key:"), std::string::npos) << st.message();
  fs::remove(cert);
}

TEST(Config, MissingTlsFileIsRefusedNamingIt) {
  Status st = Check({{"tls_cert", "/nonexistent/cert.pem"}, {"tls_key", "/nonexistent/key.pem"}});
  EXPECT_NE(st.message().find("tls_cert: no such file"), std::string::npos) << st.message();
}

TEST(Config, WrongTypesAndRangesNameTheKey) {
  EXPECT_NE(Check({{"max_request_bytes", "big"}}).message().find("max_request_bytes:"),
            std::string::npos);
  EXPECT_NE(Check({{"http_threads", 1}}).message().find("http_threads:"), std::string::npos);
  EXPECT_NE(Check({{"log_level", "loud"}}).message().find("log_level:"), std::string::npos);
  EXPECT_NE(Check({{"retry_base_seconds", 100}, {"retry_max_seconds", 10}})
                .message()
                .find("retry_base_seconds:"),
            std::string::npos);
  EXPECT_NE(Check({{"web_root", "/nonexistent/web"}}).message().find("web_root: no such folder"),
            std::string::npos);
}

TEST(Config, RelativePathsAreTakenFromTheConfigFolder) {
  auto c = config::FromJson({{"data_dir", "var"}, {"web_root", "."}}, "/etc/sendsync");
  ASSERT_FALSE(c.ok());  // /etc/sendsync/. does not exist here, and the error says where it looked
  EXPECT_NE(c.status().message().find("/etc/sendsync"), std::string::npos) << c.status().message();
  auto d = config::FromJson({{"data_dir", "var"}}, "/etc/sendsync");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->StoreUrl(), "sqlite:/etc/sendsync/var/sendsync.db");
}

TEST(Config, ServiceOptionsComeFromTheConfig) {
  auto c = config::FromJson({{"listen", "127.0.0.1:9000"},
                             {"retry_base_seconds", 5},
                             {"retry_max_seconds", 50},
                             {"max_parallel_runs", 3},
                             {"max_request_bytes", 4096}},
                            "");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  sync::EngineOptions engine;
  engine.max_attempts = 4;
  server::ServiceOptions o = server::OptionsFrom(*c, "sqlite:x.db", "/plugins", engine);
  EXPECT_EQ(o.engine.max_attempts, 4);
  EXPECT_EQ(o.listen, "127.0.0.1:9000");
  EXPECT_EQ(o.scheduler.backoff.base_ms, 5000);
  EXPECT_EQ(o.scheduler.backoff.max_ms, 50000);
  EXPECT_EQ(o.scheduler.max_parallel_runs, 3);
  EXPECT_EQ(o.max_request_bytes, 4096);
}

TEST(Config, ConnectionLimitsAndDeadlinesAreCheckedAndReachTheService) {
  for (const char* key :
       {"header_timeout_seconds", "body_timeout_seconds", "keepalive_timeout_seconds",
        "max_connections", "max_connections_per_address"}) {
    EXPECT_NE(Check({{key, 0}}).message().find(std::string(key) + ":"), std::string::npos) << key;
    EXPECT_NE(Check({{key, "10"}}).message().find(std::string(key) + ":"), std::string::npos)
        << key;
  }
  EXPECT_NE(Check({{"header_timeout_seconds", 301}}).message().find("header_timeout_seconds:"),
            std::string::npos);
  EXPECT_NE(Check({{"max_connections", 15}}).message().find("max_connections:"), std::string::npos);
  EXPECT_NE(Check({{"max_connections", 100}, {"max_connections_per_address", 101}})
                .message()
                .find("max_connections_per_address:"),
            std::string::npos);
  auto c = config::FromJson({{"header_timeout_seconds", 3},
                             {"body_timeout_seconds", 7},
                             {"keepalive_timeout_seconds", 2},
                             {"max_connections", 500},
                             {"max_connections_per_address", 20}},
                            "");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  sync::EngineOptions engine;
  server::ServiceOptions o = server::OptionsFrom(*c, "sqlite:x.db", "/plugins", engine);
  EXPECT_EQ(o.header_timeout_ms, 3000);
  EXPECT_EQ(o.body_timeout_ms, 7000);
  EXPECT_EQ(o.keepalive_timeout_ms, 2000);
  EXPECT_EQ(o.max_connections, 500);
  EXPECT_EQ(o.max_connections_per_address, 20);
  EXPECT_EQ(c->ToJson()["max_connections_per_address"], 20);
}

// The register page's Chart.js: Debian's by default; a missing file is not a config error (the
// page falls back to its tables), a relative path is taken from the config's folder.
TEST(Config, ChartJsDefaultsToDebiansFileAndMayBeMissing) {
  auto d = config::FromJson({{"data_dir", "var"}}, "/etc/sendsync");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->chart_js, "/usr/share/javascript/chart.js/chart.min.js");
  auto r = config::FromJson({{"chart_js", "vendor/no-such-chart.js"}}, "/etc/sendsync");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->chart_js, "/etc/sendsync/vendor/no-such-chart.js");
  auto bad = config::FromJson({{"chart_js", 3}}, "/etc/sendsync");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("chart_js"), std::string::npos) << bad.status().message();
}

TEST(Config, ExampleConfigInPackagingIsValid) {
  std::ifstream in(std::string(SOURCE_DIR) + "/packaging/sendsync.json");
  json j = json::parse(in, nullptr, false);
  ASSERT_TRUE(j.is_object());
  // Its folders exist only on an installed machine; everything else must pass as written.
  for (const char* k : {"plugin_dir", "web_root", "tls_cert", "tls_key"}) j.erase(k);
  auto c = config::FromJson(j, "/etc/sendsync");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->listen.rfind("127.0.0.1:", 0), 0u) << "the example must listen on loopback";
}

TEST(ParseListen, AcceptsHostPortAndBracketedIpv6) {
  std::string host;
  uint16_t port = 1;
  ASSERT_TRUE(server::ParseListen("127.0.0.1:0", "listen", host, port).ok());
  EXPECT_EQ(host, "127.0.0.1");
  EXPECT_EQ(port, 0);
  ASSERT_TRUE(server::ParseListen("[::1]:8470", "listen", host, port).ok());
  EXPECT_EQ(host, "::1");
  EXPECT_EQ(port, 8470);
  Status st = server::ParseListen("localhost", "--listen", host, port);
  EXPECT_NE(st.message().find("--listen"), std::string::npos);
}

// The installed program reads the packaged config by default; a build tree's program never does,
// and a missing packaged config means built-in defaults, not an error.
TEST(DefaultConfigPath, OnlyTheInstalledProgramReadsThePackagedConfig) {
  const fs::path dir =
      fs::temp_directory_path() / ("sendsync-defcfg-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string packaged = (dir / "sendsync.json").string();
  std::ofstream(packaged) << "{}";
  EXPECT_EQ(config::DefaultConfigPath("/usr/bin/sendsync", "/usr/bin/sendsync", packaged),
            packaged);
  EXPECT_EQ(config::DefaultConfigPath("/home/me/sendsync/build/bin/sendsync", "/usr/bin/sendsync",
                                      packaged),
            "");
  EXPECT_EQ(config::DefaultConfigPath("", "/usr/bin/sendsync", packaged), "");
  EXPECT_EQ(config::DefaultConfigPath("/usr/bin/sendsync", "/usr/bin/sendsync",
                                      (dir / "absent.json").string()),
            "");
  fs::remove_all(dir);
}

}  // namespace
}  // namespace sendsync::server_test

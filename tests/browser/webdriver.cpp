#include "webdriver.h"

#include <fstream>
#include <sstream>
#include <thread>

#include <Poco/Base64Decoder.h>
#include <Poco/Exception.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>

namespace sendsync::browser {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

// The W3C name of the member that carries an element reference.
constexpr char kElementKey[] = "element-6066-11e4-a52e-4f735466cecf";

}  // namespace

WebDriver::~WebDriver() {
  Quit();
}

std::string WebDriver::Start(const fs::path& work_dir) {
  for (const char* f : {kChromium, kChromedriver})
    if (!fs::exists(f))
      return std::string(f) +
             " is missing: the browser test needs Debian's chromium and chromium-driver "
             "(install them with scripts/setup.sh --test)";
  fs::create_directories(work_dir / "profile");
  std::string last;
  for (int attempt = 0; attempt < 4; ++attempt) {
    port_ = FreeLoopbackPort();
    fs::path log = work_dir / "chromedriver.log";
    if (!driver_.Start(kChromedriver, {"--port=" + std::to_string(port_)}, {}, log))
      return "cannot start chromedriver";
    // Ready when /status answers; a process that exits lost the port to someone else.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    bool ready = false;
    while (!ready && driver_.Running() && std::chrono::steady_clock::now() < deadline) {
      json v;
      ready = Call("GET", "/status", nullptr, v).empty() && v.value("ready", false);
      if (!ready) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (ready) {
      last.clear();
      break;
    }
    last =
        "chromedriver did not become ready on port " + std::to_string(port_) + ": " + driver_.Log();
    driver_.Stop();
  }
  if (!last.empty()) return last;

  json caps = {{"capabilities",
                {{"alwaysMatch",
                  {{"browserName", "chrome"},
                   {"goog:chromeOptions",
                    {{"binary", kChromium},
                     {"args",
                      {"--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                       "--disable-background-networking", "--disable-component-update",
                       "--disable-default-apps", "--disable-sync", "--no-first-run",
                       "--window-size=1400,1000",
                       "--user-data-dir=" + (work_dir / "profile").string()}}}}}}}}};
  json v;
  std::string err = Call("POST", "/session", &caps, v);
  if (!err.empty()) return "cannot open a chromium session: " + err;
  session_ = v.value("sessionId", "");
  if (session_.empty()) return "chromedriver answered without a session id: " + v.dump();
  // Pages are seen (and their screenshots taken) at 1400×1000.
  if (std::string e = SetViewport(1400, 1000); !e.empty()) return "cannot size the window: " + e;
  return "";
}

void WebDriver::Quit() {
  if (!session_.empty()) {
    json v;
    Call("DELETE", "/session/" + session_, nullptr, v);
    session_.clear();
  }
  driver_.Stop();
}

std::string WebDriver::Call(const std::string& method, const std::string& path, const json* body,
                            json& value) {
  try {
    Poco::Net::HTTPClientSession http("127.0.0.1", static_cast<Poco::UInt16>(port_));
    http.setTimeout(Poco::Timespan(60, 0));
    Poco::Net::HTTPRequest req(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
    std::string text = body ? body->dump() : "";
    if (body) {
      req.setContentType("application/json; charset=utf-8");
      req.setContentLength(static_cast<std::streamsize>(text.size()));
    }
    http.sendRequest(req) << text;
    Poco::Net::HTTPResponse res;
    std::istream& in = http.receiveResponse(res);
    std::string reply;
    Poco::StreamCopier::copyToString(in, reply);
    json j = json::parse(reply, nullptr, false);
    if (j.is_discarded() || !j.is_object())
      return method + " " + path + ": not JSON (HTTP " + std::to_string(res.getStatus()) + ")";
    value = j.contains("value") ? j["value"] : json();
    if (res.getStatus() >= 400) {
      std::string msg =
          value.is_object() ? value.value("error", "") + ": " + value.value("message", "") : reply;
      return method + " " + path + ": " + msg.substr(0, msg.find('\n'));
    }
    return "";
  } catch (const Poco::Exception& e) {
    return method + " " + path + ": " + e.displayText();
  }
}

std::string WebDriver::Navigate(const std::string& url) {
  json body = {{"url", url}}, v;
  return Call("POST", "/session/" + session_ + "/url", &body, v);
}

std::string WebDriver::Refresh() {
  json body = json::object(), v;
  return Call("POST", "/session/" + session_ + "/refresh", &body, v);
}

std::string WebDriver::CurrentUrl(std::string& url) {
  json v;
  std::string err = Call("GET", "/session/" + session_ + "/url", nullptr, v);
  if (err.empty()) url = v.is_string() ? v.get<std::string>() : "";
  return err;
}

std::string WebDriver::Find(const std::string& css, std::string& element_id,
                            std::chrono::milliseconds wait) {
  json body = {{"using", "css selector"}, {"value", css}};
  auto deadline = std::chrono::steady_clock::now() + wait;
  for (;;) {
    json v;
    std::string err = Call("POST", "/session/" + session_ + "/element", &body, v);
    if (err.empty() && v.contains(kElementKey)) {
      element_id = v[kElementKey];
      return "";
    }
    if (std::chrono::steady_clock::now() > deadline)
      return "no element matches " + css + ": " + err;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

std::string WebDriver::Count(const std::string& css, size_t& n) {
  json body = {{"using", "css selector"}, {"value", css}}, v;
  std::string err = Call("POST", "/session/" + session_ + "/elements", &body, v);
  n = err.empty() && v.is_array() ? v.size() : 0;
  return err;
}

std::string WebDriver::Click(const std::string& element_id) {
  json body = json::object(), v;
  return Call("POST", "/session/" + session_ + "/element/" + element_id + "/click", &body, v);
}

std::string WebDriver::Type(const std::string& element_id, const std::string& text) {
  json body = {{"text", text}}, v;
  return Call("POST", "/session/" + session_ + "/element/" + element_id + "/value", &body, v);
}

std::string WebDriver::Text(const std::string& element_id, std::string& text) {
  json v;
  std::string err =
      Call("GET", "/session/" + session_ + "/element/" + element_id + "/text", nullptr, v);
  if (err.empty()) text = v.is_string() ? v.get<std::string>() : "";
  return err;
}

std::string WebDriver::Execute(const std::string& script, json& result) {
  json body = {{"script", script}, {"args", json::array()}};
  return Call("POST", "/session/" + session_ + "/execute/sync", &body, result);
}

std::string WebDriver::SetViewport(int width, int height) {
  json inner, outer;
  std::string err = Execute(
      "return [window.innerWidth, window.innerHeight, window.outerWidth, "
      "window.outerHeight];",
      inner);
  if (!err.empty()) return err;
  if (!inner.is_array() || inner.size() != 4) return "cannot read the window's size";
  if (inner[0] == width && inner[1] == height) return "";
  // The window's frame (whatever it holds beyond the page) stays the same size: add it.
  json rect = {{"width", width + inner[2].get<int>() - inner[0].get<int>()},
               {"height", height + inner[3].get<int>() - inner[1].get<int>()}};
  return Call("POST", "/session/" + session_ + "/window/rect", &rect, outer);
}

std::string WebDriver::Screenshot(const fs::path& png) {
  json v;
  std::string err = Call("GET", "/session/" + session_ + "/screenshot", nullptr, v);
  if (!err.empty()) return err;
  if (!v.is_string()) return "the screenshot reply holds no image";
  std::istringstream b64(v.get<std::string>());
  Poco::Base64Decoder dec(b64);
  std::ofstream out(png, std::ios::binary | std::ios::trunc);
  Poco::StreamCopier::copyStream(dec, out);
  return out ? "" : "cannot write " + png.string();
}

std::string WebDriver::WaitForText(const std::string& css, const std::string& needle,
                                   std::string& seen, std::chrono::milliseconds wait) {
  auto deadline = std::chrono::steady_clock::now() + wait;
  std::string err;
  for (;;) {
    std::string id;
    // Elements are replaced when a view re-renders: find again on every try.
    err = Find(css, id, std::chrono::milliseconds(0));
    if (err.empty()) err = Text(id, seen);
    if (err.empty() && seen.find(needle) != std::string::npos) return "";
    if (std::chrono::steady_clock::now() > deadline)
      return "waited for \"" + needle + "\" in " + css + "; saw \"" + seen + "\"" +
             (err.empty() ? "" : " (" + err + ")");
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

std::string WebDriver::ClickCss(const std::string& css) {
  std::string id;
  std::string err = Find(css, id);
  return err.empty() ? Click(id) : err;
}

std::string WebDriver::TypeCss(const std::string& css, const std::string& text) {
  std::string id;
  std::string err = Find(css, id);
  return err.empty() ? Type(id, text) : err;
}

}  // namespace sendsync::browser

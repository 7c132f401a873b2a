// A small W3C WebDriver client for the browser test: starts Debian's chromedriver on a free
// loopback port, opens one headless chromium session, and offers what the dashboard test needs
// (navigate, find by CSS, click, type, read text, run a script, wait, screenshot). Failures are
// reported as text in `error` arguments, never thrown. Test code only.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "child_process.h"

namespace sendsync::browser {

inline constexpr char kChromium[] = "/usr/bin/chromium";
inline constexpr char kChromedriver[] = "/usr/bin/chromedriver";

class WebDriver {
 public:
  WebDriver() = default;
  WebDriver(const WebDriver&) = delete;
  WebDriver& operator=(const WebDriver&) = delete;
  ~WebDriver();

  // Starts chromedriver (retrying on a port clash) and a headless chromium session whose profile
  // lives in `work_dir`. Empty on success, else why not (including a missing chromium or driver).
  std::string Start(const std::filesystem::path& work_dir);
  // Ends the session and stops chromedriver.
  void Quit();

  // Each call returns an empty string on success, else the driver's error.
  std::string Navigate(const std::string& url);
  // Reloads the page and waits for it to load.
  std::string Refresh();
  std::string CurrentUrl(std::string& url);
  // The first element matching `css`, waiting up to `wait` for it to appear (generous: CI runs
  // this under ASan on two busy cores; a present element returns at once).
  std::string Find(const std::string& css, std::string& element_id,
                   std::chrono::milliseconds wait = std::chrono::milliseconds(20000));
  std::string Count(const std::string& css, size_t& n);
  std::string Click(const std::string& element_id);
  std::string Type(const std::string& element_id, const std::string& text);
  std::string Text(const std::string& element_id, std::string& text);
  // Runs `script` (a function body) in the page; its return value lands in `result`.
  std::string Execute(const std::string& script, nlohmann::json& result);
  // Sizes the window so that the page's viewport is `width` × `height` CSS pixels.
  std::string SetViewport(int width, int height);
  // Writes the viewport as a PNG.
  std::string Screenshot(const std::filesystem::path& png);

  // Convenience: waits until the element matching `css` is visible with text containing
  // `needle`; the text seen last is in `seen`.
  std::string WaitForText(const std::string& css, const std::string& needle, std::string& seen,
                          std::chrono::milliseconds wait = std::chrono::milliseconds(20000));
  // Find + Click, and Find + Type.
  std::string ClickCss(const std::string& css);
  std::string TypeCss(const std::string& css, const std::string& text);

 private:
  // One WebDriver command; `value` receives the reply's "value" member.
  std::string Call(const std::string& method, const std::string& path, const nlohmann::json* body,
                   nlohmann::json& value);

  Background driver_;
  int port_ = 0;
  std::string session_;
};

}  // namespace sendsync::browser

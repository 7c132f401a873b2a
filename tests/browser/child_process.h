// Child processes for the browser test: run the `sendsync` CLI to completion, and start long-lived
// servers (chromedriver, `sendsync serve`) whose output goes to a log file, stopping them with
// SIGTERM (then SIGKILL if they linger). Also picks free loopback ports. Test code only.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace sendsync::browser {

struct CliResult {
  int exit_code = -1;  // -1 when killed by a signal
  std::string output;  // stdout and stderr together
};

// Runs `program args...` with `env` added to the environment and waits for it.
CliResult RunToEnd(const std::string& program, const std::vector<std::string>& args,
                   const std::map<std::string, std::string>& env, const std::filesystem::path& log);

// A background process; the destructor stops it.
class Background {
 public:
  Background() = default;
  Background(const Background&) = delete;
  Background& operator=(const Background&) = delete;
  ~Background() { Stop(); }

  // Starts `program args...` with stdout and stderr appended to `log`. False when fork fails.
  bool Start(const std::string& program, const std::vector<std::string>& args,
             const std::map<std::string, std::string>& env, const std::filesystem::path& log);
  // True while the process has not exited.
  bool Running();
  // SIGTERM, then SIGKILL after `grace`; waits for it. Safe to call twice.
  void Stop(std::chrono::milliseconds grace = std::chrono::milliseconds(5000));
  // The log written so far (for failure messages).
  std::string Log() const;

 private:
  pid_t pid_ = -1;
  std::filesystem::path log_;
};

// A loopback port nothing listened on a moment ago (bind port 0, read it, close). Another process
// may still take it before we do; callers retry on a clash.
int FreeLoopbackPort();

}  // namespace sendsync::browser

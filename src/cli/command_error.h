// How a command fails: one message line and a documented exit code
// (docs/CLI.md). Client code throws CommandError; the runner in src/app
// prints it and exits with its code, so command code reads top to bottom.
#pragma once

#include <stdexcept>
#include <string>

namespace mr {

enum ExitCode : int {
  kExitOk = 0,
  kExitFailed = 1,       // the server or the database refused, or I/O failed
  kExitUsage = 2,        // bad flags or arguments (also CLI11 parse errors)
  kExitUnreachable = 3,  // no connection to the server (refused, DNS, TLS, timeout)
  kExitNotFound = 4,     // the named model, version or artifact does not exist
  kExitAuth = 5,         // the server answered 401 or 403
};

namespace cli {

class CommandError : public std::runtime_error {
 public:
  CommandError(int exit_code, const std::string& message)
      : std::runtime_error(message), exit_code_(exit_code) {}
  int exit_code() const { return exit_code_; }

 private:
  int exit_code_;
};

}  // namespace cli
}  // namespace mr

// Shared pieces of the non-serve commands: exit codes and how a parsed
// subcommand hands main() the work to run. docs/CLI.md lists the exit codes.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>

namespace mr::app {

enum ExitCode : int {
  kExitOk = 0,
  kExitFailed = 1,       // the server or the database refused, or I/O failed
  kExitUsage = 2,        // bad flags or arguments (also CLI11 parse errors)
  kExitUnreachable = 3,  // no connection to the server (refused, DNS, TLS, timeout)
  kExitNotFound = 4,     // the named model, version or artifact does not exist
  kExitAuth = 5,         // the server answered 401 or 403
};

// Set by a subcommand's parse callback; main() runs it after parsing.
using CommandRunner = std::function<int()>;

// Prints "model-registry: MESSAGE" as the one line on stderr; returns `code`.
int Fail(int code, const std::string& message);

// backup, export, import, migrate (cli_admin.cpp).
void AddAdminCommands(CLI::App& app, CommandRunner& selected);

}  // namespace mr::app

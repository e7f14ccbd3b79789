// Shared pieces of the non-serve commands: how a parsed subcommand hands
// main() the work to run. docs/CLI.md lists the exit codes (cli/command_error.h).
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>

#include "cli/command_error.h"  // ExitCode

namespace mr::app {

// Set by a subcommand's parse callback; main() runs it after parsing.
using CommandRunner = std::function<int()>;

// Prints "model-registry: MESSAGE" as the one line on stderr; returns `code`.
int Fail(int code, const std::string& message);

// backup, export, import, migrate (cli_admin.cpp).
void AddAdminCommands(CLI::App& app, CommandRunner& selected);

// token new, healthcheck (cli_ops.cpp).
void AddOperationsCommands(CLI::App& app, CommandRunner& selected);

// models, versions, register, deployments, resolve (cli_client.cpp).
void AddClientCommands(CLI::App& app, CommandRunner& selected);

}  // namespace mr::app

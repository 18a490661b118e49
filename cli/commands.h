// The subcommands of `lucid`. Each adds itself to the parser with its options and a callback.
#pragma once

#include <CLI/CLI.hpp>
#include <stdexcept>
#include <string>

#include "lucid/models/resnet.h"

namespace lucid::cli {

void add_list(CLI::App& app);
void add_summary(CLI::App& app);
void add_forward(CLI::App& app);
void add_convert(CLI::App& app);
void add_classify(CLI::App& app);
void add_bench(CLI::App& app);
void add_train(CLI::App& app);
void add_eval(CLI::App& app);

// A usage problem found after parsing: exit code 2, like a parse error.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Option checks whose messages name the rule (checks.cpp): > 0, >= 0, 0 .. ops::kMaxThreads,
// 0 .. data::kMaxWorkers.
CLI::Validator positive();
CLI::Validator non_negative();
CLI::Validator thread_count();
CLI::Validator worker_count();

// --num-classes and --in-channels, shared by the commands that build a model.
void add_model_options(CLI::App& cmd, models::ModelOptions& options);

}  // namespace lucid::cli

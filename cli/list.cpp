#include <cstdio>

#include "commands.h"
#include "lucid/models/registry.h"

namespace lucid::cli {

void add_list(CLI::App& app) {
  auto* cmd = app.add_subcommand("list", "Registered models and their parameter counts (1000 classes)");
  auto pattern = std::make_shared<std::string>();
  cmd->add_option("pattern", *pattern, "Shell-style pattern or substring, e.g. 'resnext_101_*'");
  cmd->callback([pattern] {
    auto names = models::list_models(*pattern);
    if (names.empty()) throw UsageError("no model matches '" + *pattern + "'; `lucid list` shows them all");
    nn::SkipInit counting_only;
    for (const auto& name : names)
      std::printf("%-20s %lld\n", name.c_str(), static_cast<long long>(models::create_model(name)->num_parameters()));
  });
}

}  // namespace lucid::cli

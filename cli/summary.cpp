#include <cstdio>

#include "commands.h"
#include "lucid/autograd.h"
#include "lucid/models/registry.h"
#include "lucid/nn/trace.h"

namespace lucid::cli {

namespace {

struct Options {
  std::string model;
  std::string input = "1x3x224x224";
  models::ModelOptions model_options;
};

int64_t own_parameters(const nn::Module& m) {
  int64_t n = 0;
  for (const auto& [name, t] : m.named_parameters())
    if (name.find('.') == std::string::npos) n += t.numel();
  return n;
}

void run(const Options& o) {
  autograd::NoGradGuard no_grad;  // inference: record no graph
  Shape input = parse_shape(o.input);
  auto model = models::create_model(o.model, o.model_options);
  model->eval();
  std::map<const nn::Module*, std::string> names;
  for (const auto& [name, module] : model->named_modules()) names[module] = name;

  nn::Trace trace;
  (*model)(Tensor::zeros(input));

  std::printf("%-32s %-18s %-20s %12s %16s\n", "layer", "type", "output", "parameters", "MACs");
  int64_t total_macs = 0;
  for (const auto& call : trace.calls()) {
    if (!call.module->children().empty()) continue;  // leaves only: containers repeat their parts
    int64_t macs = call.module->macs(call.output);
    total_macs += macs;
    std::printf("%-32s %-18s %-20s %12lld %16lld\n", names[call.module].c_str(), call.module->type_name().c_str(),
                to_string(call.output).c_str(), static_cast<long long>(own_parameters(*call.module)),
                static_cast<long long>(macs));
  }
  std::printf("total: %lld parameters, %lld MACs (%.3f G) for input %s\n",
              static_cast<long long>(model->num_parameters()), static_cast<long long>(total_macs), total_macs / 1e9,
              to_string(input).c_str());
}

}  // namespace

void add_summary(CLI::App& app) {
  auto* cmd = app.add_subcommand("summary", "Per layer: output shape, parameters, MACs; and totals");
  auto o = std::make_shared<Options>();
  cmd->add_option("model", o->model, "Model name (see `lucid list`)")->required();
  cmd->add_option("--input", o->input, "Input shape NxCxHxW")->capture_default_str();
  add_model_options(*cmd, o->model_options);
  cmd->callback([o] {
    Shape input;
    try {
      input = parse_shape(o->input);
    } catch (const std::exception& e) {
      throw UsageError(e.what());
    }
    if (input.size() != 4) throw UsageError("--input must be NxCxHxW, got " + o->input);
    if (o->model_options.in_channels == 3) o->model_options.in_channels = input[1];
    run(*o);
  });
}

}  // namespace lucid::cli

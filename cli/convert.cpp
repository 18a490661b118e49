#include <cstdio>

#include "commands.h"
#include "lucid/error.h"
#include "lucid/io/key_map.h"
#include "lucid/io/safetensors.h"
#include "lucid/models/weights.h"

namespace lucid::cli {

namespace {

struct Options {
  std::string input, output, keys = "torchvision";
};

void run(const Options& o) {
  auto weights = models::open_weights(o.input);  // torchvision names, whatever the file used
  models::Architecture arch = models::infer_architecture(*weights, o.input);
  std::vector<std::pair<std::string, Tensor>> tensors;
  for (const auto& key : weights->keys()) {
    Tensor t = Tensor::empty(weights->shape(key), weights->dtype(key));
    weights->read_into(key, t);
    tensors.emplace_back(o.keys == "lucid" ? io::lucid_key(key) : key, t);
  }
  io::save_safetensors(o.output, tensors, {{"format", "pt"}, {"architecture", arch.describe()}});
  std::printf("%s: %zu tensors, %s\n", o.output.c_str(), tensors.size(), arch.describe().c_str());
}

}  // namespace

void add_convert(CLI::App& app) {
  auto* cmd = app.add_subcommand("convert", "Convert a .pth or .safetensors checkpoint to F32 safetensors");
  auto o = std::make_shared<Options>();
  cmd->add_option("input", o->input, "Checkpoint (.pth from torch.save, or .safetensors)")->required();
  cmd->add_option("output", o->output, "Output .safetensors (written atomically)")->required();
  cmd->add_option("--keys", o->keys, "Key naming of the output")
      ->check(CLI::IsMember({"torchvision", "lucid"}))
      ->capture_default_str();
  cmd->callback([o] { run(*o); });
}

}  // namespace lucid::cli

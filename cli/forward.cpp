#include <cstdio>

#include "commands.h"
#include "lucid/autograd.h"
#include "lucid/engine.h"
#include "lucid/error.h"
#include "lucid/io/safetensors.h"
#include "lucid/models/registry.h"
#include "lucid/models/weights.h"

namespace lucid::cli {

namespace {

struct Options {
  std::string model, weights, input, output;
  models::ModelOptions model_options;
  bool features = false;
  bool eager = false;
};

void run(const Options& o) {
  autograd::NoGradGuard no_grad;  // inference: record no graph
  io::SafetensorsFile input_file = io::SafetensorsFile::open(o.input);
  if (!input_file.contains("input"))
    throw ValueError("forward", cat(o.input, ": no tensor named 'input'"));
  Tensor x = input_file.load("input");
  if (x.dtype() != DType::F32 || x.dim() != 4)
    throw ShapeError("forward", cat(o.input, ": 'input' must be an (N,C,H,W) float tensor, got ",
                                    dtype_name(x.dtype()), " ", to_string(x.shape())));

  // Every weight comes from the file, so skip drawing random ones; a replaced head is drawn after.
  std::shared_ptr<models::ResNet> model;
  {
    nn::SkipInit loading;
    model = models::create_model(o.model, o.model_options);
  }
  auto weights = models::open_weights(o.weights);
  int64_t file_classes = models::num_classes_of(*weights);
  if (file_classes != 0 && file_classes != model->num_classes()) {
    model->reset_classifier(model->num_classes());
    std::fprintf(stderr, "lucid: %s has %lld classes; using a new %lld-class head on its backbone\n",
                 o.weights.c_str(), static_cast<long long>(file_classes), static_cast<long long>(model->num_classes()));
  }
  models::load_weights(*model, *weights, {.strict = true, .new_head = true});
  model->eval();

  std::vector<std::pair<std::string, Tensor>> outputs;
  if (!o.eager && !o.features) {  // the compiled plan takes the weights over, one layer at a time
    outputs.emplace_back("logits", engine::compile_consuming(*model, x.shape()).run(x));
    io::save_safetensors(o.output, outputs, {{"model", o.model}, {"path", "engine"}});
    return;
  }
  models::ResNet::Features f = model->forward_features(x);
  outputs.emplace_back("logits", model->forward_head(f.layer4));
  if (o.features)
    for (auto& [name, t] : {std::pair{"stem", f.stem}, {"layer1", f.layer1}, {"layer2", f.layer2},
                            {"layer3", f.layer3}, {"layer4", f.layer4}})
      outputs.emplace_back(name, t);
  io::save_safetensors(o.output, outputs, {{"model", o.model}});
}

}  // namespace

void add_forward(CLI::App& app) {
  auto* cmd = app.add_subcommand("forward", "Eval-mode forward pass of the tensor named 'input' in a safetensors file");
  auto o = std::make_shared<Options>();
  cmd->add_option("--model", o->model, "Model name (see `lucid list`)")->required();
  cmd->add_option("--weights", o->weights, "Weights (.safetensors)")->required();
  cmd->add_option("--input", o->input, "Input .safetensors holding 'input' (N,C,H,W float32)")->required();
  cmd->add_option("--output", o->output, "Output .safetensors: 'logits' (+ stage maps with --features)")->required();
  cmd->add_flag("--features", o->features, "Also write stem, layer1 ... layer4 (runs the eager path)");
  cmd->add_flag("--eager", o->eager, "Run op by op (the reference path) instead of the compiled engine");
  add_model_options(*cmd, o->model_options);
  cmd->callback([o] { run(*o); });
}

}  // namespace lucid::cli

// What model a state dict was written by, read off its keys and shapes.
#include <map>
#include <regex>

#include "lucid/error.h"
#include "lucid/models/resnext.h"
#include "lucid/models/weights.h"
#include "lucid/nn/layers.h"

namespace lucid::models {

std::string Architecture::describe() const {
  std::string text = entry.name.empty() ? "an unregistered ResNet" : entry.name;
  text += cat(" (", block_name(entry.block), " layers ", entry.layers[0], "-", entry.layers[1], "-", entry.layers[2], "-",
              entry.layers[3], ", cardinality ", entry.groups, ", base width ", entry.width_per_group, ", ",
              options.num_classes, " classes, ", options.in_channels, " input channels)");
  return text;
}

Architecture infer_architecture(const io::TensorSource& weights, const std::string& path) {
  std::map<std::string, Shape> shapes;
  for (const auto& key : weights.keys()) shapes[key] = weights.shape(key);
  auto need = [&](const std::string& key, size_t rank) -> const Shape& {
    auto it = shapes.find(key);
    if (it == shapes.end())
      throw ValueError("weights", cat(path, ": no '", key, "'; not a ResNet-family state dict"));
    if (it->second.size() != rank)
      throw ValueError("weights", cat(path, ": '", key, "' has shape ", to_string(it->second), ", expected rank ", rank));
    return it->second;
  };

  Architecture a;
  a.options.in_channels = need("conv1.weight", 4)[1];
  a.options.num_classes = need("fc.weight", 2)[0];
  static const std::regex block_key(R"(layer([1-4])\.(\d+)\..*)");
  a.entry.layers = {0, 0, 0, 0};
  for (const auto& [key, _] : shapes) {
    std::smatch m;
    if (std::regex_match(key, m, block_key)) {
      int64_t& depth = a.entry.layers[std::stoi(m[1]) - 1];
      depth = std::max<int64_t>(depth, std::stoll(m[2]) + 1);
    }
  }
  for (int s = 0; s < 4; ++s)
    if (a.entry.layers[s] == 0) throw ValueError("weights", cat(path, ": stage layer", s + 1, " has no blocks"));

  a.entry.block = shapes.count("layer1.0.conv3.weight") ? BlockType::Bottleneck : BlockType::Basic;
  a.entry.groups = 1;
  a.entry.width_per_group = 64;
  if (a.entry.block == BlockType::Bottleneck) {
    // Stage 1 has planes 64, so its inner width is base_width * cardinality.
    const Shape& conv2 = need("layer1.0.conv2.weight", 4);  // (width, width / groups, 3, 3)
    int64_t width = conv2[0], per_group = conv2[1];
    if (per_group < 1 || width % per_group)
      throw ValueError("weights", cat(path, ": layer1.0.conv2.weight shape ", to_string(conv2), " is not a grouped conv"));
    a.entry.groups = width / per_group;
    a.entry.width_per_group = width / a.entry.groups;
  }
  for (const auto& e : model_entries())
    if (e.block == a.entry.block && e.layers == a.entry.layers && e.groups == a.entry.groups &&
        e.width_per_group == a.entry.width_per_group)
      a.entry.name = e.name;
  return a;
}

static std::shared_ptr<ResNet> build(const ModelEntry& e, const ModelOptions& options) {
  if (!e.name.empty()) return create_model(e.name, options);
  return std::make_shared<ResNeXt>(e.block, e.layers, e.groups, e.width_per_group, options);
}

std::shared_ptr<ResNet> load_model(const std::string& path, const std::string& model_name) {
  auto weights = open_weights(path);
  Architecture found = infer_architecture(*weights, path);
  if (!model_name.empty()) {
    const ModelEntry& wanted = find_model(model_name);
    if (wanted.block != found.entry.block || wanted.layers != found.entry.layers || wanted.groups != found.entry.groups ||
        wanted.width_per_group != found.entry.width_per_group)
      throw ValueError("weights", cat("--model ", model_name, " does not match ", path, ", which holds ", found.describe()));
  }
  std::shared_ptr<ResNet> model;
  {
    nn::SkipInit loading;  // every weight comes from the file
    model = build(found.entry, found.options);
  }
  load_weights(*model, *weights);
  return model;
}

}  // namespace lucid::models

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>

#include "commands.h"
#include "lucid/autograd.h"
#include "lucid/data/imagenet.h"
#include "lucid/engine.h"
#include "lucid/data/transforms.h"
#include "lucid/error.h"
#include "lucid/io/safetensors.h"
#include "lucid/models/weights.h"
#include "lucid/ops.h"
#include "progress.h"

namespace lucid::cli {

namespace {

namespace fs = std::filesystem;

struct Options {
  std::string weights, model, preset = "tv_v1", interpolation, precision = "fp32";
  std::vector<std::string> paths;
  int64_t topk = 5, batch = 8, resize = 0, crop = 0, max_pixels = data::DecodeOptions{}.max_pixels;
  std::vector<float> mean, std;
  bool json = false;
  bool eager = false;
  bool preset_given = false;
};

struct Top {
  int64_t index;
  float prob, logit;
};

bool is_image_name(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), ::tolower);
  return ext == ".jpg" || ext == ".jpeg" || ext == ".png";
}

// Files as given; folders walked recursively for .jpg/.jpeg/.png, in name order.
std::vector<std::string> collect(const std::vector<std::string>& paths) {
  std::vector<std::string> files;
  for (const auto& path : paths) {
    if (!fs::is_directory(path)) {
      files.push_back(path);
      continue;
    }
    std::vector<std::string> found;
    for (const auto& entry : fs::recursive_directory_iterator(path, fs::directory_options::skip_permission_denied))
      if (entry.is_regular_file() && is_image_name(entry.path())) found.push_back(entry.path().string());
    std::sort(found.begin(), found.end());
    files.insert(files.end(), found.begin(), found.end());
  }
  return files;
}

// What a training checkpoint (lucid train) says about its inputs and classes, if it is one.
struct CheckpointInfo {
  std::optional<data::Preprocess> preprocess;
  std::vector<std::string> classes;
};

CheckpointInfo checkpoint_info(const std::string& path) {
  CheckpointInfo info;
  if (fs::path(path).extension() != ".safetensors") return info;
  const auto file = io::SafetensorsFile::open(path);
  const auto& meta = file.metadata();
  if (!meta.count("format") || meta.at("format") != "lucid.training_state" || !meta.count("user")) return info;
  const auto user = nlohmann::json::parse(meta.at("user"));
  if (user.contains("classes")) info.classes = user.at("classes").get<std::vector<std::string>>();
  if (user.contains("preprocess")) {
    const auto& j = user.at("preprocess");
    data::Preprocess p;
    p.resize = j.at("resize"), p.crop = j.at("crop"), p.channels = j.at("channels");
    const auto mean = j.at("mean").get<std::vector<float>>(), std = j.at("std").get<std::vector<float>>();
    if (mean.size() != size_t(p.channels) || std.size() != size_t(p.channels))
      throw ValueError("classify", cat(path, ": the preprocessing it records has ", mean.size(), " means and ",
                                       std.size(), " stds for ", p.channels, " channels"));
    std::copy(mean.begin(), mean.end(), p.mean.begin());
    std::copy(std.begin(), std.end(), p.std.begin());
    info.preprocess = p;
  }
  return info;
}

data::Preprocess preprocessing(const Options& o, const CheckpointInfo& info) {
  // A training checkpoint's own preprocessing, unless a preset is asked for.
  data::Preprocess p = info.preprocess && !o.preset_given ? *info.preprocess : data::preset(o.preset);
  if (o.resize) p.resize = o.resize;
  if (o.crop) p.crop = o.crop;
  if (!o.interpolation.empty())
    p.interpolation = o.interpolation == "bicubic" ? data::Interpolation::Bicubic : data::Interpolation::Bilinear;
  if (!o.mean.empty()) std::copy(o.mean.begin(), o.mean.end(), p.mean.begin());
  if (!o.std.empty()) std::copy(o.std.begin(), o.std.end(), p.std.begin());
  return p;
}

std::vector<Top> top_k(const float* probs, const float* logits, int64_t classes, int64_t k) {
  std::vector<Top> all(classes);
  for (int64_t c = 0; c < classes; ++c) all[c] = {c, probs[c], logits[c]};
  k = std::min(k, classes);
  std::partial_sort(all.begin(), all.begin() + k, all.end(),
                    [](const Top& a, const Top& b) { return a.prob > b.prob || (a.prob == b.prob && a.index < b.index); });
  all.resize(k);
  return all;
}

std::string label(int64_t index, int64_t classes, const std::vector<std::string>& names) {
  if (index < int64_t(names.size())) return names[index];
  return classes == 1000 ? data::imagenet_classes()[index] : cat("class ", index);
}

void run(const Options& o) {
  autograd::NoGradGuard no_grad;  // inference: record no graph
  const CheckpointInfo info = checkpoint_info(o.weights);
  data::Preprocess prep = preprocessing(o, info);
  std::vector<std::string> files = collect(o.paths);
  if (files.empty()) throw UsageError("no images found in the given paths");
  auto model = models::load_model(o.weights, o.model);
  model->eval();
  const int64_t classes = model->num_classes();
  if (model->options().in_channels != prep.channels)
    throw ValueError("classify", cat(o.weights, " expects ", model->options().in_channels, "-channel input; the ",
                                     "preprocessing makes ", prep.channels, "-channel images"));

  // One compiled plan for full batches; a short last batch is padded with zero images.
  const int64_t batch_size = std::min<int64_t>(o.batch, static_cast<int64_t>(files.size()));
  const Shape batch_shape{batch_size, prep.channels, prep.crop, prep.crop};
  std::optional<engine::Plan> plan;
  if (!o.eager) plan = engine::compile_consuming(*model, batch_shape, {.precision = o.precision});

  nlohmann::json results = nlohmann::json::array();
  Progress progress(files.size(), "classify");
  int failures = 0;
  for (size_t start = 0; start < files.size(); start += o.batch) {
    std::vector<std::string> names;
    std::vector<Tensor> images;
    for (size_t i = start; i < std::min(files.size(), start + o.batch); ++i) {
      try {
        images.push_back(data::preprocess(data::decode_image(files[i], {.max_pixels = o.max_pixels}), prep));
        names.push_back(files[i]);
      } catch (const Error& e) {
        progress.message(cat("lucid: ", e.what(), " (skipped)"));
        ++failures;
      }
      progress.advance();
    }
    if (images.empty()) continue;
    Tensor batch = Tensor::zeros(batch_shape);
    for (size_t i = 0; i < images.size(); ++i)
      std::copy_n(images[i].data<float>(), images[i].numel(), batch.data<float>() + i * images[i].numel());
    const Tensor logits = plan ? plan->run(batch) : model->forward(batch), probs = ops::softmax(logits, -1);
    for (size_t i = 0; i < names.size(); ++i) {
      auto top = top_k(probs.data<float>() + i * classes, logits.data<float>() + i * classes, classes, o.topk);
      nlohmann::json entry = {{"path", names[i]}, {"top", nlohmann::json::array()}};
      std::string text = names[i] + "\n";
      for (size_t r = 0; r < top.size(); ++r) {
        entry["top"].push_back({{"class", top[r].index},
                                {"label", label(top[r].index, classes, info.classes)},
                                {"prob", top[r].prob},
                                {"logit", top[r].logit}});
        char line[256];
        std::snprintf(line, sizeof line, "  %zu. %-28s %6.2f%%  (class %lld)\n", r + 1,
                      label(top[r].index, classes, info.classes).c_str(), 100.0 * top[r].prob, static_cast<long long>(top[r].index));
        text += line;
      }
      if (o.json)
        results.push_back(entry);
      else
        progress.print(text);
    }
  }
  progress.finish();
  if (o.json) std::printf("%s\n", results.dump(2).c_str());
  if (failures) throw Error("classify", cat(failures, " of ", files.size(), " files could not be classified"));
}

}  // namespace

void add_classify(CLI::App& app) {
  auto* cmd = app.add_subcommand("classify", "Top-k ImageNet classes of JPEG/PNG photos (files or folders)");
  auto o = std::make_shared<Options>();
  cmd->add_option("--weights", o->weights, "Checkpoint: .pth (torch.save) or .safetensors")->required();
  cmd->add_option("--model", o->model, "Model name; must agree with the checkpoint (default: read from it)");
  cmd->add_option("--preset", o->preset, "Evaluation transform of the weights")
      ->check(CLI::IsMember(data::preset_names()))
      ->capture_default_str();
  cmd->add_option("--topk", o->topk, "Classes per image")->check(positive())->capture_default_str();
  cmd->add_option("--batch", o->batch, "Images per forward pass")->check(positive())->capture_default_str();
  cmd->add_option("--resize", o->resize, "Override: shorter side after resizing")->check(positive());
  cmd->add_option("--crop", o->crop, "Override: center crop size")->check(positive());
  cmd->add_option("--interpolation", o->interpolation, "Override: bilinear or bicubic")
      ->check(CLI::IsMember({"bilinear", "bicubic"}));
  cmd->add_option("--mean", o->mean, "Override: 3 channel means")->expected(3);
  cmd->add_option("--std", o->std, "Override: 3 channel standard deviations")->expected(3);
  cmd->add_option("--max-pixels", o->max_pixels, "Refuse larger images (decompression-bomb guard)")
      ->check(positive())
      ->capture_default_str();
  cmd->add_option("--precision", o->precision, "fp32 or bf16 (the engine's; bf16 needs AVX512_BF16)")
      ->check(CLI::IsMember({"fp32", "bf16"}))
      ->capture_default_str();
  cmd->add_flag("--json", o->json, "JSON output: [{path, top: [{class, label, prob, logit}]}]");
  cmd->add_flag("--eager", o->eager, "Run op by op (the reference path) instead of the compiled engine");
  cmd->add_option("paths", o->paths, "Image files or folders")->required();
  cmd->callback([o, cmd] {
    o->preset_given = cmd->count("--preset") > 0;
    for (float s : o->std)
      if (!(s > 0)) throw UsageError("--std values must be positive");
    if (o->eager && o->precision != "fp32")
      throw UsageError("--precision " + o->precision + " runs on the engine, not with --eager");
    run(*o);
  });
}

}  // namespace lucid::cli

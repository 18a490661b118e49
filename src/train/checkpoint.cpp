#include "lucid/train/checkpoint.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include "lucid/error.h"
#include "lucid/io/tensor_source.h"
#include "train/json_field.h"

namespace lucid::train {
namespace {

namespace fs = std::filesystem;

constexpr const char* kFormat = "lucid.training_state";
constexpr int kVersion = 1;

// io::save_safetensors writes "<path>.tmp.<pid>" and renames it; a writer killed before the
// rename leaves that file. Removes those whose process is gone (a live pid may be a concurrent
// writer, or a reused pid: left alone).
void remove_stale_temporaries(const std::string& path) {
  fs::path target(path);
  fs::path folder = target.parent_path().empty() ? fs::path(".") : target.parent_path();
  const std::string prefix = target.filename().string() + ".tmp.";
  std::error_code error;
  for (const auto& item : fs::directory_iterator(folder, error)) {
    std::string name = item.path().filename().string();
    if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) continue;
    std::string digits = name.substr(prefix.size());
    if (digits.size() > 9 || digits.find_first_not_of("0123456789") != std::string::npos) continue;
    pid_t pid = static_cast<pid_t>(std::stol(digits));
    if (pid != ::getpid() && ::kill(pid, 0) != 0 && errno == ESRCH) fs::remove(item.path(), error);
  }
}

nlohmann::json generators_json(const std::map<std::string, GeneratorState>& generators) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [role, g] : generators) out[role] = {{"seed", g.seed}, {"draws", g.draws}};
  return out;
}

// A tensor source over the file's entries that start with prefix, named without it.
std::shared_ptr<io::RenamedSource> section(const io::SafetensorsFile& file, const std::string& prefix) {
  auto all = std::make_shared<io::SafetensorsSource>(file);
  return std::make_shared<io::RenamedSource>(all, [prefix](const std::string& key) {
    return key.compare(0, prefix.size(), prefix) == 0 ? key.substr(prefix.size()) : std::string();
  });
}

}  // namespace

void save_checkpoint(const std::string& path, const TrainingState& state, const nn::Module& model,
                     const Optimizer& optimizer, const ModelEma* ema) {
  nn::NamedTensors tensors;
  for (const auto& [key, t] : model.state_dict()) tensors.emplace_back("model." + key, t);
  for (const auto& [key, t] : optimizer.state_tensors()) tensors.emplace_back("optimizer." + key, t);
  if (ema)
    for (const auto& [key, t] : ema->state_dict()) tensors.emplace_back("ema." + key, t);
  std::map<std::string, std::string> metadata = {
      {"format", kFormat},
      {"format_version", std::to_string(kVersion)},
      {"model", state.model},
      {"architecture", state.architecture.dump()},
      {"epoch", std::to_string(state.epoch)},
      {"global_step", std::to_string(state.global_step)},
      {"optimizer", optimizer.state_json().dump()},
      {"schedule", state.schedule.dump()},
      {"generators", generators_json(state.generators).dump()},
      {"user", state.user.dump()},
  };
  if (ema) metadata["ema"] = ema->state_json().dump();
  remove_stale_temporaries(path);
  io::save_safetensors(path, tensors, metadata);
}

Checkpoint Checkpoint::open(const std::string& path) {
  io::SafetensorsFile file = io::SafetensorsFile::open(path);
  const auto& metadata = file.metadata();
  auto text = [&](const char* key) -> const std::string& {
    auto it = metadata.find(key);
    if (it == metadata.end()) throw IoError("checkpoint", cat(path, ": the metadata lacks '", key, "'"));
    return it->second;
  };
  auto parsed = [&](const char* key) {
    try {
      return nlohmann::json::parse(text(key));
    } catch (const nlohmann::json::exception&) {
      throw IoError("checkpoint", cat(path, ": metadata '", key, "' is not JSON: ", text(key)));
    }
  };
  auto format = metadata.find("format");
  if (format == metadata.end() || format->second != kFormat)
    throw IoError("checkpoint", cat(path, ": not a lucid training state (no format '", kFormat,
                                    "' in its metadata); a weights file is loaded as weights, not resumed"));
  if (text("format_version") != std::to_string(kVersion))
    throw UnsupportedError("checkpoint", cat(path, ": training state format version ", text("format_version"),
                                             "; this build reads version ", kVersion));
  try {
    TrainingState state;
    state.model = text("model");
    state.architecture = parsed("architecture");
    state.epoch = parsed("epoch").get<int64_t>();
    state.global_step = parsed("global_step").get<int64_t>();
    state.schedule = parsed("schedule");
    nlohmann::json generators = parsed("generators");
    for (const auto& [role, g] : generators.items())
      state.generators[role] = {g.at("seed").get<uint64_t>(), g.at("draws").get<uint64_t>()};
    state.user = parsed("user");
    std::optional<nlohmann::json> ema;
    if (metadata.count("ema")) ema = parsed("ema");
    for (const auto& entry : file.entries()) {
      const std::string& key = entry.name;
      if (key.rfind("model.", 0) != 0 && key.rfind("optimizer.", 0) != 0 && !(ema && key.rfind("ema.", 0) == 0))
        throw IoError("checkpoint", cat(path, ": unexpected tensor '", key, "'"));
    }
    return Checkpoint(std::move(file), std::move(state), parsed("optimizer"), std::move(ema));
  } catch (const nlohmann::json::exception& e) {
    throw IoError("checkpoint", cat(path, ": malformed metadata: ", e.what()));
  }
}

void Checkpoint::restore(const std::string& model_name, nn::Module& model, Optimizer& optimizer,
                         ModelEma* ema) const {
  const std::string& where = path();
  if (model_name != state_.model)
    throw ValueError("checkpoint", cat(where, " was written for ", state_.model, ", not ", model_name));
  if (ema && !ema_) throw ValueError("checkpoint", cat(where, " holds no EMA weights (its run kept none)"));
  auto model_tensors = section(file_, "model.");
  auto optimizer_tensors = section(file_, "optimizer.");
  auto ema_tensors = section(file_, "ema.");
  // Everything is checked before anything is loaded: a failed resume leaves all as it was.
  try {
    nn::Module::throw_if_incomplete(model.check_state_dict(*model_tensors), "model");
    optimizer.check_state(*optimizer_tensors, optimizer_);
    if (ema) ema->check_state(*ema_tensors, *ema_);
  } catch (const ValueError& e) {
    throw ValueError("checkpoint", cat(where, ": ", e.what()));
  }
  model.load_state_dict(*model_tensors);
  optimizer.load_state(*optimizer_tensors, optimizer_);
  if (ema) ema->load_state(*ema_tensors, *ema_);
}

}  // namespace lucid::train

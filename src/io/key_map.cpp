#include "lucid/io/key_map.h"

#include <array>
#include <utility>

namespace lucid::io {

static bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

std::string torchvision_key(const std::string& key) {
  std::string k = key;
  while (starts_with(k, "module.")) k = k.substr(7);
  static const std::array<std::pair<const char*, const char*>, 4> renames = {{
      {"stem.0.", "conv1."}, {"stem.1.", "bn1."}, {"classifier.1.", "fc."}, {"classifier.", "fc."}}};
  for (const auto& [from, to] : renames)
    if (starts_with(k, from)) return to + k.substr(std::string(from).size());
  return k;
}

std::string lucid_key(const std::string& key) {
  static const std::array<std::pair<const char*, const char*>, 3> renames = {
      {{"conv1.", "stem.0."}, {"bn1.", "stem.1."}, {"fc.", "classifier."}}};
  for (const auto& [from, to] : renames)
    if (starts_with(key, from)) return to + key.substr(std::string(from).size());
  return key;
}

}  // namespace lucid::io

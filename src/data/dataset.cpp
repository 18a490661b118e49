// open_dataset: which data set a spec names, and the transform checks they share.
#include <filesystem>

#include "data/datasets.h"
#include "lucid/error.h"

namespace lucid::data {

namespace {

// Debian's packages install data sets here (dataset-fashion-mnist); no package holds MNIST.
constexpr const char* kDebianDatasets = "/usr/share/datasets/";

const IdxSet kIdxSets[] = {
    {"fashion-mnist",
     {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"},
     0.2860f,
     0.3530f,
     0.5f},
    {"mnist", {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}, 0.1307f, 0.3081f, 0.0f},
};

}  // namespace

void check_transform(const Transform& t, int64_t channels) {
  if (t.size <= 0 || t.size > (int64_t{1} << 16)) throw ValueError("transform", cat("size must be 1 to 65536, got ", t.size));
  if (t.pad < 0 || t.pad > 4096) throw ValueError("transform", cat("pad must be 0 to 4096, got ", t.pad));
  if (t.flip && !(*t.flip >= 0.0f && *t.flip <= 1.0f))
    throw ValueError("transform", cat("flip must be a probability, got ", *t.flip));
  if (!(t.scale[0] > 0 && t.scale[0] <= t.scale[1]) || !(t.ratio[0] > 0 && t.ratio[0] <= t.ratio[1]))
    throw ValueError("transform", cat("scale and ratio must be ranges 0 < low <= high, got scale (", t.scale[0], ", ",
                                      t.scale[1], ") ratio (", t.ratio[0], ", ", t.ratio[1], ")"));
  if (int64_t(t.mean.size()) != channels || int64_t(t.std.size()) != channels)
    throw ValueError("transform", cat("the images have ", channels, " channels: mean and std need ", channels,
                                      " values each, got ", t.mean.size(), " and ", t.std.size()));
  for (float s : t.std)
    if (!(s > 0.0f)) throw ValueError("transform", cat("std must be positive, got ", s));
}

std::shared_ptr<const Dataset> open_dataset(const std::string& spec, Split split, const Transform& transform) {
  for (const IdxSet& set : kIdxSets) {
    std::string name = set.name;
    bool named = spec == name, with_folder = spec.rfind(name + ":", 0) == 0;
    if (!named && !with_folder) continue;
    std::string folder = named ? kDebianDatasets + name : spec.substr(name.size() + 1);
    if (!std::filesystem::is_directory(folder))
      throw IoError("dataset", cat(spec, ": no folder ", folder,
                                   named ? (name == "mnist" ? " (Debian does not package MNIST: give its folder as "
                                                              "mnist:FOLDER)"
                                                            : " (install Debian's dataset-" + name + ")")
                                         : std::string()));
    return open_idx(set, folder, split, transform);
  }
  if (!std::filesystem::is_directory(spec))
    throw IoError("dataset", cat(spec, ": no such folder (expected fashion-mnist, mnist:FOLDER, fashion-mnist:FOLDER "
                                       "or an image folder)"));
  return open_image_folder(spec, split, transform);
}

}  // namespace lucid::data

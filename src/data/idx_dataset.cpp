// Fashion-MNIST and MNIST: gray IDX images held in memory, transformed per sample.
#include <filesystem>

#include "data/datasets.h"
#include "data/idx.h"
#include "lucid/data/augment.h"
#include "lucid/error.h"

namespace lucid::data {

namespace {

class IdxDataset final : public Dataset {
 public:
  // `transform` has its mean and std filled in and is checked.
  IdxDataset(IdxArray images, IdxArray labels, std::vector<std::string> classes, const Transform& transform)
      : images_(std::move(images)), labels_(std::move(labels)), classes_(std::move(classes)), transform_(transform) {}

  int64_t size() const override { return images_.shape[0]; }
  std::vector<std::string> class_names() const override { return classes_; }
  Shape sample_shape() const override { return {1, images_.shape[1], images_.shape[2]}; }
  Preprocess eval_preprocess() const override {
    return {.resize = images_.shape[1], .crop = images_.shape[1], .interpolation = Interpolation::Bilinear,
            .mean = {transform_.mean[0], 0, 0}, .std = {transform_.std[0], 1, 1}, .channels = 1};
  }

  Sample get(int64_t index, uint64_t seed) const override {
    if (index < 0 || index >= size())
      throw ValueError("dataset", cat("index ", index, " is outside [0, ", size(), ")"));
    int64_t height = images_.shape[1], width = images_.shape[2];
    Tensor image = gray_to_tensor(&images_.values[size_t(index * height * width)], height, width);
    if (transform_.augment) {
      Rng rng(seed);
      if (transform_.pad > 0) {
        int64_t top = rng.below(2 * transform_.pad + 1);  // torchvision draws the row first
        image = padded_crop(image, transform_.pad, top, rng.below(2 * transform_.pad + 1));
      }
      if (rng.uniform() < *transform_.flip) image = hflip(image);
    }
    normalize_(image, transform_.mean, transform_.std);
    return {image, labels_.values[size_t(index)]};
  }

 private:
  IdxArray images_, labels_;
  std::vector<std::string> classes_;
  Transform transform_;
};

// folder/name.gz, else folder/name.
std::string find_file(const std::string& folder, const std::string& name) {
  std::filesystem::path plain = std::filesystem::path(folder) / name, gz = plain;
  gz += ".gz";
  std::error_code ec;
  if (std::filesystem::exists(gz, ec)) return gz.string();
  if (std::filesystem::exists(plain, ec)) return plain.string();
  throw IoError("dataset", cat(folder, " has neither ", name, " nor ", name, ".gz"));
}

}  // namespace

std::shared_ptr<const Dataset> open_idx(const IdxSet& set, const std::string& folder, Split split,
                                        const Transform& transform) {
  Transform checked = transform;
  if (checked.mean.empty()) checked.mean = {set.mean};
  if (checked.std.empty()) checked.std = {set.std};
  if (!checked.flip) checked.flip = set.flip;
  check_transform(checked, 1);
  std::string prefix = split == Split::Train ? "train" : "t10k";
  std::string images_path = find_file(folder, prefix + "-images-idx3-ubyte");
  std::string labels_path = find_file(folder, prefix + "-labels-idx1-ubyte");
  IdxArray images = read_idx(images_path, 3), labels = read_idx(labels_path, 1);
  if (images.shape[0] == 0 || images.shape[1] == 0 || images.shape[2] == 0)
    throw IoError("dataset", cat(images_path, ": holds no images (", images.shape[0], "x", images.shape[1], "x",
                                 images.shape[2], ")"));
  if (labels.shape[0] != images.shape[0])
    throw IoError("dataset", cat(labels_path, ": ", labels.shape[0], " labels for the ", images.shape[0], " images of ",
                                 images_path));
  for (size_t i = 0; i < labels.values.size(); ++i)
    if (labels.values[i] >= set.classes.size())
      throw IoError("dataset", cat(labels_path, ": label ", int(labels.values[i]), " at index ", i, " is outside 0..",
                                   set.classes.size() - 1));
  return std::make_shared<IdxDataset>(std::move(images), std::move(labels), set.classes, checked);
}

}  // namespace lucid::data

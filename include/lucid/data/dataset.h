// Training and test data: IDX files (Fashion-MNIST, MNIST) and image folders (one folder per
// class, as torchvision's ImageFolder), decoded and transformed one sample at a time.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lucid/data/transforms.h"
#include "lucid/tensor.h"

namespace lucid::data {

enum class Split { Train, Test };

struct Sample {
  Tensor image;  // (C, H, W) F32, transformed
  int64_t label = 0;
};

// What get() does to each decoded image.
//  IDX (1, 28, 28):  ToTensor; when augmenting, RandomCrop(padding=pad) and a flip; Normalize.
//  folders (3, size, size): when augmenting, RandomResizedCrop(size, scale, ratio) and a flip,
//    else Resize(size * 256 / 224) and CenterCrop(size); ToTensor; Normalize.
struct Transform {
  bool augment = false;
  int64_t size = 224;  // folder images' output side; IDX images keep theirs
  int64_t pad = 4;     // IDX zero padding of the random crop (0: none)
  // Horizontal flip probability when augmenting; unset: the data set's own (0.5, and 0 for MNIST,
  // whose digits a flip would change).
  std::optional<float> flip{};
  std::array<double, 2> scale{0.08, 1.0};
  std::array<double, 2> ratio{3.0 / 4.0, 4.0 / 3.0};
  Interpolation interpolation = Interpolation::Bilinear;
  // One per channel; empty: the data set's own (Fashion-MNIST 0.2860/0.3530, MNIST 0.1307/0.3081,
  // folders ImageNet's).
  std::vector<float> mean{}, std{};
};

class Dataset {
 public:
  virtual ~Dataset() = default;
  virtual int64_t size() const = 0;
  virtual std::vector<std::string> class_names() const = 0;
  int64_t num_classes() const { return static_cast<int64_t>(class_names().size()); }
  virtual Shape sample_shape() const = 0;  // (C, H, W) of every get()
  // What turns a photograph into an unaugmented sample: recorded in training checkpoints so that
  // `lucid classify` prepares images as the model was trained.
  virtual Preprocess eval_preprocess() const = 0;
  // Thread-safe. `seed` alone decides this sample's augmentation. Throws IoError naming the file
  // of an image that cannot be decoded, ValueError for an index outside [0, size()).
  virtual Sample get(int64_t index, uint64_t seed) const = 0;
};

// spec: "fashion-mnist" or "mnist" (in /usr/share/datasets/, where Debian's dataset-fashion-mnist
// puts it; no package holds MNIST), "NAME:FOLDER" for their four IDX files (plain or .gz)
// elsewhere, or an image folder holding train/ and test/ (or val/), each with one folder of
// JPEG/PNG files per class (classes sorted by name). Throws IoError for a missing path, a corrupt
// IDX file, an empty folder; ValueError for a bad transform.
std::shared_ptr<const Dataset> open_dataset(const std::string& spec, Split split, const Transform& transform = {});

}  // namespace lucid::data

// The data sets behind open_dataset (dataset.cpp parses the spec and checks the transform).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "lucid/data/dataset.h"

namespace lucid::data {

struct IdxSet {
  const char* name;  // "fashion-mnist", "mnist"
  std::vector<std::string> classes;
  float mean, std;
  float flip;  // default flip probability
};

// The four IDX files {train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz] in `folder`.
std::shared_ptr<const Dataset> open_idx(const IdxSet& set, const std::string& folder, Split split,
                                        const Transform& transform);
// root/train or root/test (else root/val), one sub-folder per class.
std::shared_ptr<const Dataset> open_image_folder(const std::string& root, Split split, const Transform& transform);

// Throws ValueError for a transform no data set can apply (sizes, probabilities, ranges, a
// mean and std per channel); the data set fills in its defaults first.
void check_transform(const Transform& transform, int64_t channels);

}  // namespace lucid::data

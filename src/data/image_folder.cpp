// torchvision's ImageFolder: classes are the sorted sub-folder names; samples every JPEG/PNG
// below each, in sorted(os.walk(...)) order. Decoding happens in get(), on the loader's workers.
#include <algorithm>
#include <filesystem>
#include <map>

#include "data/datasets.h"
#include "lucid/data/augment.h"
#include "lucid/data/image.h"
#include "lucid/error.h"

namespace lucid::data {

namespace fs = std::filesystem;

namespace {

struct Entry {
  std::string path;
  int64_t label;
};

class ImageFolder final : public Dataset {
 public:
  // `transform` has its mean and std filled in and is checked.
  ImageFolder(std::vector<std::string> classes, std::vector<Entry> samples, const Transform& transform)
      : classes_(std::move(classes)), samples_(std::move(samples)), transform_(transform) {}

  int64_t size() const override { return static_cast<int64_t>(samples_.size()); }
  std::vector<std::string> class_names() const override { return classes_; }
  Shape sample_shape() const override { return {3, transform_.size, transform_.size}; }
  Preprocess eval_preprocess() const override {
    const Transform& t = transform_;
    return {.resize = t.size * 256 / 224, .crop = t.size, .interpolation = t.interpolation,
            .mean = {t.mean[0], t.mean[1], t.mean[2]}, .std = {t.std[0], t.std[1], t.std[2]}, .channels = 3};
  }

  Sample get(int64_t index, uint64_t seed) const override {
    if (index < 0 || index >= size())
      throw ValueError("dataset", cat("index ", index, " is outside [0, ", size(), ")"));
    const Transform& t = transform_;
    Image image = decode_image(samples_[size_t(index)].path);
    if (t.augment) {
      Rng rng(seed);
      CropBox box = random_resized_crop_box(image.width, image.height, t.scale, t.ratio, rng);
      image = resize(crop(image, box), t.size, t.size, t.interpolation);
      if (rng.uniform() < *t.flip) image = hflip(image);
    } else {
      image = center_crop(resize_shorter(image, t.size * 256 / 224, t.interpolation), t.size, t.size);
    }
    return {to_tensor(image, {t.mean[0], t.mean[1], t.mean[2]}, {t.std[0], t.std[1], t.std[2]}),
            samples_[size_t(index)].label};
  }

 private:
  std::vector<std::string> classes_;
  std::vector<Entry> samples_;
  Transform transform_;
};

std::string lower_extension(const fs::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  return ext;
}

// The sub-folders of `dir` (symbolic links followed), sorted by name.
std::vector<std::string> class_folders(const fs::path& dir) {
  std::vector<std::string> names;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir))
    if (entry.is_directory()) names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

// The images below one class folder, as sorted(os.walk(folder, followlinks=True)) lists them:
// folders by path, each folder's files by name. torchvision's other image types are refused
// here rather than mid-epoch.
void add_class(const fs::path& folder, int64_t label, std::vector<Entry>& samples) {
  std::map<std::string, std::vector<std::string>> files;  // folder -> file names, both sorted
  files[folder.string()];
  for (const fs::directory_entry& entry :
       fs::recursive_directory_iterator(folder, fs::directory_options::follow_directory_symlink)) {
    if (entry.is_directory()) {
      files[entry.path().string()];
      continue;
    }
    std::string ext = lower_extension(entry.path());
    if (ext == ".jpg" || ext == ".jpeg" || ext == ".png") {
      files[entry.path().parent_path().string()].push_back(entry.path().filename().string());
    } else if (ext == ".bmp" || ext == ".ppm" || ext == ".pgm" || ext == ".tif" || ext == ".tiff" || ext == ".webp") {
      throw IoError("dataset", cat(entry.path().string(), ": only JPEG and PNG images can be read"));
    }
  }
  size_t before = samples.size();
  for (auto& [dir, names] : files) {
    std::sort(names.begin(), names.end());
    for (const std::string& name : names) samples.push_back({(fs::path(dir) / name).string(), label});
  }
  if (samples.size() == before)
    throw IoError("dataset", cat(folder.string(), ": the class folder holds no JPEG or PNG file"));
}

// root/train, or for the test split root/test else root/val.
fs::path split_folder(const fs::path& root, Split split) {
  if (split == Split::Train) {
    if (fs::is_directory(root / "train")) return root / "train";
    throw IoError("dataset", cat(root.string(), " has no train/ folder (an image folder data set holds train/ and "
                                                "test/ or val/, each with one folder per class)"));
  }
  for (const char* name : {"test", "val"})
    if (fs::is_directory(root / name)) return root / name;
  throw IoError("dataset", cat(root.string(), " has neither test/ nor val/ folder (an image folder data set holds "
                                              "train/ and test/ or val/, each with one folder per class)"));
}

}  // namespace

std::shared_ptr<const Dataset> open_image_folder(const std::string& root, Split split, const Transform& transform) {
  Transform checked = transform;
  if (checked.mean.empty()) checked.mean = {0.485f, 0.456f, 0.406f};
  if (checked.std.empty()) checked.std = {0.229f, 0.224f, 0.225f};
  if (!checked.flip) checked.flip = 0.5f;
  check_transform(checked, 3);
  try {
    fs::path folder = split_folder(root, split);
    std::vector<std::string> classes = class_folders(folder);
    if (classes.empty()) throw IoError("dataset", cat(folder.string(), " holds no class folders"));
    // Labels are indices into the sorted names: a test split missing a class would shift them.
    if (split == Split::Test && fs::is_directory(fs::path(root) / "train") &&
        class_folders(fs::path(root) / "train") != classes)
      throw IoError("dataset", cat(folder.string(), " has other class folders than ", (fs::path(root) / "train").string()));
    std::vector<Entry> samples;
    for (size_t c = 0; c < classes.size(); ++c) add_class(folder / classes[c], int64_t(c), samples);
    return std::make_shared<ImageFolder>(std::move(classes), std::move(samples), checked);
  } catch (const fs::filesystem_error& e) {
    throw IoError("dataset", cat(e.path1().string(), ": ", e.code().message()));
  }
}

}  // namespace lucid::data

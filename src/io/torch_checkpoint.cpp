#include "lucid/io/torch_checkpoint.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>
#include <unordered_map>

#include "io/pickle.h"
#include "io/zip_archive.h"
#include "lucid/error.h"

namespace lucid::io {
namespace {

using Kind = PickleValue::Kind;
constexpr std::string_view kOp = "torch_checkpoint";

constexpr std::string_view kZipMagic = "PK\x03\x04";
// torch.save before 1.6: a pickled magic number (PROTO 2, LONG1 of 10 bytes), then more pickles.
constexpr std::string_view kLegacyMagic = "\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19";
// A state dict's pickle is kilobytes to a few megabytes; this bounds what a forged header can ask for.
constexpr uint64_t kMaxPickleBytes = uint64_t{256} << 20;

// The first bytes of a file, fewer if it is shorter; nullopt if it cannot be opened.
std::optional<std::string> head(const std::string& path, size_t n) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::string bytes(n, '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(n));
  bytes.resize(static_cast<size_t>(in.gcount()));
  return bytes;
}

void check_header(const std::string& path) {
  std::optional<std::string> bytes = head(path, kLegacyMagic.size());
  if (!bytes) throw IoError(kOp, cat(path, ": cannot open: ", std::strerror(errno)));
  if (bytes->starts_with(kZipMagic)) return;
  if (bytes->empty()) throw IoError(kOp, cat(path, " is empty, not a checkpoint"));
  if (*bytes == kLegacyMagic)
    throw IoError(kOp, cat(path, " is in the legacy format of torch < 1.6, not a torch.save zip checkpoint; ",
                           "re-save it with torch >= 1.6 (torch.save(obj, path))"));
  throw IoError(kOp, cat(path, " is not a checkpoint: neither a torch.save zip archive nor a legacy torch file"));
}

// The value under a string key; the last one wins, as when Python builds the dict.
const PickleValue* lookup(const PickleValue& dict, std::string_view key) {
  const PickleValue* found = nullptr;
  for (size_t i = 0; i + 1 < dict.items.size(); i += 2)
    if (dict.items[i]->kind == Kind::String && dict.items[i]->text == key) found = dict.items[i + 1];
  return found;
}

bool contiguous(const Shape& size, const Shape& stride, int64_t count) {
  if (count == 0) return true;
  int64_t expected = 1;
  for (size_t i = size.size(); i-- > 0;) {
    if (size[i] != 1 && stride[i] != expected) return false;  // a size-1 dim may have any stride, as in torch
    expected *= size[i];
  }
  return true;
}

struct TensorEntry {
  uint64_t zip_index = 0;
  std::string storage_type;
  size_t element_size = 0;
  int64_t offset = 0;  // in elements
  Shape shape, stride;
  int64_t count = 0;
};

class TorchCheckpoint : public TensorSource {
 public:
  explicit TorchCheckpoint(const std::string& path) : path_(path), zip_(path, kOp) {
    std::string root = find_root();
    check_byteorder(root);
    std::string pkl = root + "/data.pkl";
    uint64_t index = *zip_.find(pkl);
    uint64_t bytes = zip_.size(index);
    if (bytes > kMaxPickleBytes)
      throw IoError(kOp, cat(path_, ": ", pkl, " claims ", bytes, " bytes; a state dict needs far fewer"));
    std::string text(bytes, '\0');
    zip_.read(index, 0, text.data(), text.size());
    Pickle pickle(text, cat(path_, " (", pkl, ")"));
    collect(state_dict(pickle.root()), root);
  }

  std::vector<std::string> keys() const override { return keys_; }
  Shape shape(const std::string& key) const override { return entry(key).shape; }
  DType dtype(const std::string& key) const override {
    DType stored = stored_dtype(key);
    return stored == DType::I64 ? stored : DType::F32;
  }

  void read_into(const std::string& key, Tensor& dst) const override {
    const TensorEntry& e = entry(key);
    DType stored = stored_dtype(key);
    if (!contiguous(e.shape, e.stride, e.count))
      throw UnsupportedError("load", cat(key, ": a non-contiguous view (size ", to_string(e.shape), ", stride ",
                                         to_string(e.stride), ") cannot be loaded; save it with .contiguous()"));
    if (!dst.defined()) throw ValueError("load", cat(key, ": destination tensor is undefined"));
    if (dst.device().type != DeviceType::CPU)
      throw UnsupportedError("load", cat(key, ": destination is on ", to_string(dst.device()), ", not cpu"));
    if (dst.shape() != e.shape)
      throw ShapeError("load", cat(key, ": file has ", to_string(e.shape), ", model has ", to_string(dst.shape())));
    bool widen = dst.dtype() == DType::F32 && (stored == DType::F16 || stored == DType::BF16);
    if (stored != dst.dtype() && !widen)
      throw ValueError("load", cat(key, ": file has ", dtype_name(stored), ", model has ", dtype_name(dst.dtype())));
    uint64_t offset = static_cast<uint64_t>(e.offset) * e.element_size;
    size_t bytes = static_cast<size_t>(e.count) * e.element_size;
    auto* out = static_cast<char*>(dst.raw_data());
    if (bytes == 0) return;  // its offset may lie anywhere
    if (!widen) {
      zip_.read(e.zip_index, offset, out, bytes);
      return;
    }
    // The 2-byte values go into the upper half of dst and are widened front to back: writing
    // float i never reaches a value not yet read. No second buffer for a multi-GB tensor.
    char* half = out + bytes;
    zip_.read(e.zip_index, offset, half, bytes);
    widen_to_f32(half, stored, dst.data<float>(), e.count);
  }

 private:
  // The archive's one folder is named after the file or "archive", depending on the torch
  // version and on how it was saved: the folder holding data.pkl is the one.
  std::string find_root() const {
    for (uint64_t i = 0; i < zip_.count(); ++i) {
      std::string name = zip_.name(i);
      size_t slash = name.find('/');
      if (slash != std::string::npos && slash > 0 && name.substr(slash) == "/data.pkl") return name.substr(0, slash);
    }
    throw IoError(kOp, cat(path_, ": a zip archive without <folder>/data.pkl, not a torch.save checkpoint"));
  }

  void check_byteorder(const std::string& root) const {
    std::optional<uint64_t> index = zip_.find(root + "/byteorder");
    if (!index) return;  // torch before 2.1 writes none: little-endian
    std::string order(std::min<uint64_t>(zip_.size(*index), 16), '\0');
    zip_.read(*index, 0, order.data(), order.size());
    if (order != "little")
      throw UnsupportedError(kOp, cat(path_, ": storages are stored '", order, "'-endian; only little-endian is read"));
  }

  // The dict of tensors: the top level, or a training checkpoint's "state_dict", "model" or "module".
  const PickleValue& state_dict(const PickleValue& top) const {
    if (top.kind != Kind::Dict)
      throw IoError(kOp, cat(path_, " holds a ", kind_name(top.kind), ", not a dict of tensors (a state dict)"));
    for (const char* name : {"state_dict", "model", "module"})
      if (const PickleValue* inner = lookup(top, name); inner && inner->kind == Kind::Dict) return *inner;
    return top;
  }

  void collect(const PickleValue& dict, const std::string& root) {
    for (size_t i = 0; i + 1 < dict.items.size(); i += 2) {
      const PickleValue& key = *dict.items[i];
      const PickleValue& value = *dict.items[i + 1];
      if (value.kind != Kind::Tensor) continue;  // _metadata, or a training checkpoint's extras
      if (key.kind != Kind::String)
        throw IoError(kOp, cat(path_, ": a tensor under a ", kind_name(key.kind), " key, not a name"));
      if (entries_.count(key.text)) throw IoError(kOp, cat(path_, ": tensor '", key.text, "' appears twice"));
      entries_.emplace(key.text, make_entry(key.text, *value.tensor, root));
      keys_.push_back(key.text);
    }
    if (keys_.empty()) {
      std::string names;
      for (size_t i = 0; i + 1 < dict.items.size() && i < 20; i += 2)
        names += cat(names.empty() ? "" : ", ",
                     dict.items[i]->kind == Kind::String ? dict.items[i]->text : kind_name(dict.items[i]->kind));
      throw IoError(kOp, cat(path_, ": no tensors at the top level nor under 'state_dict', 'model' or 'module' (keys: ",
                             names.empty() ? "none" : names, ")"));
    }
  }

  // Checks the view against its storage's bytes, with every product checked for overflow.
  TensorEntry make_entry(const std::string& key, const PickleTensor& tensor, const std::string& root) const {
    const PickleStorage& storage = *tensor.storage;
    TensorEntry e{0, std::string(storage.type), storage.element_size, tensor.offset, tensor.size, tensor.stride, 1};
    std::string name = cat(root, "/data/", storage.key);
    std::optional<uint64_t> index = zip_.find(name);
    if (!index) throw IoError(kOp, cat(path_, ": tensor '", key, "' refers to ", name, ", which is missing"));
    e.zip_index = *index;
    int64_t last = e.offset;  // the last element the view reaches
    bool overflow = false;
    for (size_t d = 0; d < e.shape.size(); ++d) {
      int64_t reach = 0;
      overflow |= __builtin_mul_overflow(e.count, e.shape[d], &e.count);
      if (e.shape[d] > 0) overflow |= __builtin_mul_overflow(e.shape[d] - 1, e.stride[d], &reach);
      overflow |= __builtin_add_overflow(last, reach, &last);
    }
    uint64_t end = 0;  // bytes of the storage the view needs
    if (e.count > 0) overflow |= __builtin_mul_overflow(static_cast<uint64_t>(last) + 1, e.element_size, &end);
    uint64_t available = zip_.size(e.zip_index);
    if (overflow || end > available)
      throw IoError(kOp, cat(path_, ": tensor '", key, "' (size ", to_string(e.shape), ", stride ", to_string(e.stride),
                             ", offset ", e.offset, ") reaches past the ", available, " bytes of ", name));
    return e;
  }

  DType stored_dtype(const std::string& key) const {
    const std::string& type = entry(key).storage_type;
    if (type == "torch.FloatStorage") return DType::F32;
    if (type == "torch.HalfStorage") return DType::F16;
    if (type == "torch.BFloat16Storage") return DType::BF16;
    if (type == "torch.LongStorage") return DType::I64;
    throw UnsupportedError("load",
                           cat(key, ": a ", type, " tensor cannot be loaded; float, half, bfloat16 and long can"));
  }

  const TensorEntry& entry(const std::string& key) const {
    auto it = entries_.find(key);
    if (it == entries_.end())
      throw IoError(kOp, cat(path_, ": no tensor named '", key, "' among its ", entries_.size(), " tensors"));
    return it->second;
  }

  std::string path_;
  ZipArchive zip_;
  std::vector<std::string> keys_;
  std::unordered_map<std::string, TensorEntry> entries_;
};

}  // namespace

std::shared_ptr<TensorSource> open_torch_checkpoint(const std::string& path) {
  check_header(path);
  return std::make_shared<TorchCheckpoint>(path);
}

bool is_torch_checkpoint(const std::string& path) {
  std::optional<std::string> bytes = head(path, kLegacyMagic.size());
  return bytes && (bytes->starts_with(kZipMagic) || *bytes == kLegacyMagic);
}

}  // namespace lucid::io

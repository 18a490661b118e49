#include "lucid/io/safetensors.h"

#include <cstring>
#include <unordered_map>

#include "io/mapped_file.h"
#include "io/safetensors_header.h"
#include "lucid/error.h"

namespace lucid::io {

struct SafetensorsFile::Mapping {
  Mapping(std::string path, MappedFile file) : path(std::move(path)), file(std::move(file)) {}
  std::string path;
  MappedFile file;
  SafetensorsHeader header;
  std::unordered_map<std::string, size_t> index;  // name -> position in header.entries
};

namespace {

// A default-constructed SafetensorsFile holds no mapping; say so instead of crashing.
template <class M>
const M& opened(const std::shared_ptr<const M>& mapping) {
  if (!mapping) throw ValueError("safetensors", "use of a SafetensorsFile that was never opened");
  return *mapping;
}

bool is_loadable(const std::string& dtype) {
  return dtype == "F32" || dtype == "F16" || dtype == "BF16" || dtype == "I64";
}

void check_loadable(const SafetensorsFile::Entry& entry) {
  if (!is_loadable(entry.dtype))
    throw UnsupportedError("load", cat(entry.name, ": dtype ", entry.dtype, " cannot be loaded; F32, F16, BF16 and I64 can"));
}

// Copies the entry's bytes into dst, widening F16/BF16 to F32. The source may be unaligned.
void copy_entry(const std::byte* src, const SafetensorsFile::Entry& entry, Tensor& dst) {
  size_t bytes = entry.end - entry.begin;
  if (entry.dtype == dtype_name(dst.dtype())) {
    std::memcpy(dst.raw_data(), src, bytes);
    return;
  }
  widen_to_f32(src, entry.dtype == "F16" ? DType::F16 : DType::BF16, dst.data<float>(), bytes / 2);
}

}  // namespace

SafetensorsFile SafetensorsFile::open(const std::string& path) {
  auto mapping = std::make_shared<Mapping>(path, MappedFile::open(path, "safetensors"));
  mapping->header = parse_safetensors_header(path, mapping->file.data(), mapping->file.size());
  const auto& entries = mapping->header.entries;
  for (size_t i = 0; i < entries.size(); ++i) mapping->index.emplace(entries[i].name, i);
  SafetensorsFile file;
  file.mapping_ = std::move(mapping);
  return file;
}

const std::string& SafetensorsFile::path() const { return opened(mapping_).path; }

const std::vector<SafetensorsFile::Entry>& SafetensorsFile::entries() const { return opened(mapping_).header.entries; }

bool SafetensorsFile::contains(const std::string& name) const { return opened(mapping_).index.count(name) != 0; }

const SafetensorsFile::Entry& SafetensorsFile::entry(const std::string& name) const {
  const Mapping& m = opened(mapping_);
  auto it = m.index.find(name);
  if (it == m.index.end())
    throw IoError("safetensors", cat(m.path, ": no tensor named '", name, "' among its ", m.index.size(), " tensors"));
  return m.header.entries[it->second];
}

const std::map<std::string, std::string>& SafetensorsFile::metadata() const { return opened(mapping_).header.metadata; }

DType SafetensorsFile::loaded_dtype(const std::string& name) const {
  const Entry& e = entry(name);
  check_loadable(e);
  return e.dtype == "I64" ? DType::I64 : DType::F32;
}

Tensor SafetensorsFile::load(const std::string& name) const {
  const Mapping& m = opened(mapping_);
  const Entry& e = entry(name);
  Tensor dst = Tensor::empty(e.shape, loaded_dtype(name));
  copy_entry(m.file.data() + m.header.data_start + e.begin, e, dst);
  return dst;
}

void SafetensorsFile::load_into(const std::string& name, Tensor& dst) const {
  const Mapping& m = opened(mapping_);
  const Entry& e = entry(name);
  check_loadable(e);
  if (!dst.defined()) throw ValueError("load", cat(name, ": destination tensor is undefined"));
  if (dst.device().type != DeviceType::CPU)
    throw UnsupportedError("load", cat(name, ": destination is on ", to_string(dst.device()), ", not cpu"));
  if (dst.shape() != e.shape)
    throw ShapeError("load", cat(name, ": file has ", to_string(e.shape), ", model has ", to_string(dst.shape())));
  bool same = e.dtype == dtype_name(dst.dtype());
  bool widen = dst.dtype() == DType::F32 && (e.dtype == "F16" || e.dtype == "BF16");
  if (!same && !widen)
    throw ValueError("load", cat(name, ": file has ", e.dtype, ", model has ", dtype_name(dst.dtype())));
  size_t offset = m.header.data_start + e.begin;
  copy_entry(m.file.data() + offset, e, dst);
  // The values now live in dst: dropping the mapped pages keeps peak RSS near one copy of the weights.
  m.file.release(offset, e.end - e.begin);
}

}  // namespace lucid::io

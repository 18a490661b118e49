// safetensors (https://github.com/huggingface/safetensors): an 8-byte little-endian header size,
// a JSON header {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {str: str}},
// then the raw little-endian bytes. Read through a read-only memory map; written atomically.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "lucid/tensor.h"

namespace lucid::io {

class SafetensorsFile {
 public:
  struct Entry {
    std::string name;
    std::string dtype;  // as spelled in the file: "F32", "F16", "BF16", "I64", ...
    Shape shape;
    size_t begin = 0;   // byte range within the data section
    size_t end = 0;
  };

  // Maps the file and validates the whole header (sizes, dtypes, offsets inside the file, byte
  // counts matching shapes, no overlaps); throws IoError naming the file and the problem.
  static SafetensorsFile open(const std::string& path);

  const std::string& path() const;
  // Entries in the order of their data in the file.
  const std::vector<Entry>& entries() const;
  bool contains(const std::string& name) const;
  const Entry& entry(const std::string& name) const;  // throws IoError naming the key
  const std::map<std::string, std::string>& metadata() const;

  // A new tensor with the entry's values: F32 and I64 as stored, F16 and BF16 converted to F32.
  Tensor load(const std::string& name) const;
  // The dtype load gives the entry (F32 or I64); UnsupportedError for one it cannot load.
  DType loaded_dtype(const std::string& name) const;
  // Copies the entry into dst (same shape; converting as load does), then lets the kernel drop
  // the mapped pages so that peak memory stays near one copy of the weights.
  void load_into(const std::string& name, Tensor& dst) const;

 private:
  struct Mapping;
  std::shared_ptr<const Mapping> mapping_;
};

// Writes tensors (F32 or I64, or F16/BF16 as they are) in the given order. Atomic: a temporary
// file in the same folder, fsync, rename; the old file survives any failure.
void save_safetensors(const std::string& path,
                      const std::vector<std::pair<std::string, Tensor>>& tensors,
                      const std::map<std::string, std::string>& metadata = {});

}  // namespace lucid::io

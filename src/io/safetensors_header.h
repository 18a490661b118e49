// Parsing and validation of a safetensors header, kept apart from the mapping so that every
// check reads in one place. Nothing here touches tensor data.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "lucid/io/safetensors.h"

namespace lucid::io {

struct SafetensorsHeader {
  std::vector<SafetensorsFile::Entry> entries;  // sorted by their position in the data section
  std::map<std::string, std::string> metadata;
  size_t data_start = 0;  // file offset of the data section: 8 + header length
};

// Validates sizes, dtypes, shapes and offsets of the file bytes [data, data + size); throws
// IoError("safetensors", "<path>: <problem>").
SafetensorsHeader parse_safetensors_header(const std::string& path, const std::byte* data, size_t size);

// Bytes per element of a safetensors dtype ("F32" -> 4), 0 if the spec does not define it.
size_t safetensors_itemsize(const std::string& dtype);

}  // namespace lucid::io

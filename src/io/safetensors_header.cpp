#include "io/safetensors_header.h"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <limits>
#include <tuple>
#include <nlohmann/json.hpp>

#include "lucid/error.h"

namespace lucid::io {

static_assert(std::endian::native == std::endian::little, "safetensors data is little-endian");

namespace {

using json = nlohmann::json;
using Entry = SafetensorsFile::Entry;

constexpr uint64_t kMaxHeaderBytes = 100'000'000;  // the reference implementation's limit
// A valid header nests 3 deep ({name: {shape: [..]}}); the cap keeps a hostile "[[[[..." cheap.
constexpr int kMaxJsonDepth = 4;

template <class... Parts>
[[noreturn]] void fail(const std::string& path, const Parts&... parts) {
  throw IoError("safetensors", cat(path, ": ", parts...));
}

// Text for an error message, cut short: hostile headers can hold megabytes.
std::string clip(std::string text, size_t limit = 60) {
  return text.size() <= limit ? text : text.substr(0, limit - 3) + "...";
}

std::string brief(const json& value) { return clip(value.dump()); }

Shape read_shape(const std::string& path, const std::string& key, const json& shape) {
  if (!shape.is_array()) fail(path, "'", key, "' shape must be an array of sizes, got ", brief(shape));
  Shape out;
  for (const json& size : shape) {
    bool valid = size.is_number_unsigned() &&
                 size.get<uint64_t>() <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
    if (!valid) fail(path, "'", key, "' shape ", brief(shape), " must hold non-negative integer sizes");
    out.push_back(static_cast<int64_t>(size.get<uint64_t>()));
  }
  return out;
}

Entry parse_entry(const std::string& path, const std::string& name, const json& value, size_t data_size) {
  const std::string key = clip(name, 120);  // as shown in messages
  if (!value.is_object()) fail(path, "'", key, "' must be an object with dtype, shape and data_offsets, got ", brief(value));
  auto field = [&](const char* field_name) -> const json& {
    auto it = value.find(field_name);
    if (it == value.end()) fail(path, "'", key, "' has no ", field_name);
    return *it;
  };
  Entry entry;
  entry.name = name;

  const json& dtype = field("dtype");
  if (!dtype.is_string()) fail(path, "'", key, "' dtype must be a string, got ", brief(dtype));
  entry.dtype = dtype.get<std::string>();
  size_t itemsize = safetensors_itemsize(entry.dtype);
  if (itemsize == 0) fail(path, "'", key, "' has unknown dtype '", entry.dtype, "'");

  entry.shape = read_shape(path, key, field("shape"));
  uint64_t bytes = itemsize;
  for (int64_t size : entry.shape)
    if (__builtin_mul_overflow(bytes, static_cast<uint64_t>(size), &bytes))
      fail(path, "'", key, "' shape ", to_string(entry.shape), " has more elements than any file can hold");

  const json& offsets = field("data_offsets");
  bool valid = offsets.is_array() && offsets.size() == 2 && offsets[0].is_number_unsigned() &&
               offsets[1].is_number_unsigned() && offsets[0].get<uint64_t>() <= offsets[1].get<uint64_t>();
  if (!valid) fail(path, "'", key, "' data_offsets must be [begin, end] with 0 <= begin <= end, got ", brief(offsets));
  entry.begin = offsets[0].get<uint64_t>();
  entry.end = offsets[1].get<uint64_t>();
  if (entry.end > data_size)
    fail(path, "'", key, "' offsets [", entry.begin, ", ", entry.end, "] point outside the file: the data section has ",
         data_size, " bytes");
  if (entry.end - entry.begin != bytes)
    fail(path, "'", key, "' has shape ", to_string(entry.shape), " of ", entry.dtype, ", which needs ", bytes,
         " bytes, but its data_offsets [", entry.begin, ", ", entry.end, "] hold ", entry.end - entry.begin);
  return entry;
}

std::map<std::string, std::string> parse_metadata(const std::string& path, const json& value) {
  if (!value.is_object()) fail(path, "__metadata__ must be an object of strings, got ", brief(value));
  std::map<std::string, std::string> metadata;
  for (const auto& [key, text] : value.items()) {
    if (!text.is_string()) fail(path, "__metadata__ '", clip(key, 120), "' must be a string, got ", brief(text));
    metadata[key] = text.get<std::string>();
  }
  return metadata;
}

}  // namespace

size_t safetensors_itemsize(const std::string& dtype) {
  static const std::map<std::string, size_t> sizes = {
      {"BOOL", 1}, {"U8", 1},  {"I8", 1},  {"F8_E4M3", 1}, {"F8_E5M2", 1},
      {"U16", 2},  {"I16", 2}, {"F16", 2}, {"BF16", 2},    {"U32", 4},
      {"I32", 4},  {"F32", 4}, {"U64", 8}, {"I64", 8},     {"F64", 8}};
  auto it = sizes.find(dtype);
  return it == sizes.end() ? 0 : it->second;
}

SafetensorsHeader parse_safetensors_header(const std::string& path, const std::byte* data, size_t size) {
  if (size < 8) fail(path, "file is ", size, " bytes, too short for the 8-byte header length");
  uint64_t header_bytes;
  std::memcpy(&header_bytes, data, 8);
  if (header_bytes > kMaxHeaderBytes)
    fail(path, "header length ", header_bytes, " exceeds the ", kMaxHeaderBytes, "-byte limit; not a safetensors file?");
  if (header_bytes > size - 8)
    fail(path, "header length ", header_bytes, " is larger than the ", size - 8, " bytes after it (truncated file?)");

  const char* text = reinterpret_cast<const char*>(data + 8);
  json root;
  try {
    root = json::parse(text, text + header_bytes, [&](int depth, json::parse_event_t, json&) {
      if (depth > kMaxJsonDepth) fail(path, "header JSON nests deeper than ", kMaxJsonDepth, " levels");
      return true;
    });
  } catch (const json::exception& e) {
    fail(path, "header is not valid JSON: ", clip(e.what(), 200));
  }
  if (!root.is_object()) fail(path, "header must be a JSON object, got ", brief(root));

  SafetensorsHeader header;
  header.data_start = 8 + header_bytes;
  size_t data_size = size - header.data_start;
  for (const auto& [key, value] : root.items()) {
    if (key == "__metadata__")
      header.metadata = parse_metadata(path, value);
    else
      header.entries.push_back(parse_entry(path, key, value, data_size));
  }

  std::sort(header.entries.begin(), header.entries.end(), [](const Entry& a, const Entry& b) {
    return std::tie(a.begin, a.end, a.name) < std::tie(b.begin, b.end, b.name);
  });
  // Sorted by begin, ranges are disjoint iff each starts at or after the previous one's end.
  // Empty ranges hold no bytes and overlap nothing.
  const Entry* previous = nullptr;
  for (const Entry& entry : header.entries) {
    if (entry.begin == entry.end) continue;
    if (previous && entry.begin < previous->end)
      fail(path, "'", clip(previous->name, 120), "' [", previous->begin, ", ", previous->end, "] and '", clip(entry.name, 120), "' [",
           entry.begin, ", ", entry.end, "] overlap");
    previous = &entry;
  }
  return header;
}

}  // namespace lucid::io

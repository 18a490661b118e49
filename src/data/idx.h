// IDX files (the MNIST format): a big-endian header (0, 0, type, dimension count, then each
// dimension as uint32) followed by the values. Plain or gzip-compressed (zlib tells them apart).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "lucid/tensor.h"

namespace lucid::data {

struct IdxArray {
  Shape shape;
  std::vector<uint8_t> values;  // row-major
};

// Reads an unsigned-byte IDX file of `dims` dimensions. Memory grows with the bytes actually
// read, never from the header alone. Throws IoError "[idx] <path>: ..." for a missing file, a
// bad magic, another type or dimension count, a size over the limit, short or trailing data.
IdxArray read_idx(const std::string& path, int dims);

}  // namespace lucid::data

#include "data/idx.h"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>

#include "lucid/error.h"

namespace lucid::data {

namespace {

constexpr uint8_t kUnsignedByte = 0x08;
constexpr int64_t kMaxBytes = int64_t{1} << 36;  // 64 GiB: far above any IDX data set

struct GzCloser {
  void operator()(gzFile_s* file) const { gzclose(file); }
};
using GzFile = std::unique_ptr<gzFile_s, GzCloser>;

// Reads up to `size` bytes; returns how many came. Throws on a read or decompression error.
size_t read_some(gzFile file, uint8_t* dst, size_t size, const std::string& path) {
  size_t total = 0;
  while (total < size) {
    unsigned chunk = static_cast<unsigned>(std::min<size_t>(size - total, size_t{1} << 20));
    int n = gzread(file, dst + total, chunk);
    if (n < 0) {
      int code = 0;
      const char* message = gzerror(file, &code);
      throw IoError("idx", cat(path, ": ", code == Z_ERRNO ? std::strerror(errno) : message));
    }
    if (n == 0) break;
    total += static_cast<size_t>(n);
  }
  return total;
}

std::string describe(const Shape& shape) {
  std::string text;
  for (int64_t d : shape) text += (text.empty() ? "" : "x") + std::to_string(d);
  return text;
}

}  // namespace

IdxArray read_idx(const std::string& path, int dims) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) throw IoError("idx", cat(path, ": no such file"));
  if (!std::filesystem::is_regular_file(path, ec)) throw IoError("idx", cat(path, ": not a regular file"));
  GzFile file(gzopen(path.c_str(), "rb"));
  if (!file) throw IoError("idx", cat(path, ": cannot open: ", std::strerror(errno)));
  gzbuffer(file.get(), 1 << 17);

  uint8_t magic[4];
  if (read_some(file.get(), magic, 4, path) < 4) throw IoError("idx", cat(path, ": shorter than the 4-byte magic"));
  if (magic[0] != 0 || magic[1] != 0)
    throw IoError("idx", cat(path, ": not an IDX file (magic starts ", int(magic[0]), " ", int(magic[1]), ", not 0 0)"));
  if (magic[2] != kUnsignedByte)
    throw IoError("idx", cat(path, ": value type 0x", std::hex, int(magic[2]), std::dec,
                             " is not supported (only 0x08, unsigned byte)"));
  if (magic[3] != dims)
    throw IoError("idx", cat(path, ": has ", int(magic[3]), " dimensions, expected ", dims));

  IdxArray array;
  std::vector<uint8_t> header(size_t(4 * dims));
  if (read_some(file.get(), header.data(), header.size(), path) < header.size())
    throw IoError("idx", cat(path, ": the header ends before its ", dims, " dimensions"));
  int64_t bytes = 1;
  for (int d = 0; d < dims; ++d) {
    const uint8_t* b = &header[size_t(4 * d)];
    int64_t size = (int64_t{b[0]} << 24) | (int64_t{b[1]} << 16) | (int64_t{b[2]} << 8) | int64_t{b[3]};
    array.shape.push_back(size);
    if (size != 0 && bytes > kMaxBytes / size)
      throw IoError("idx", cat(path, ": dimensions ", describe(array.shape), "... exceed the limit of ", kMaxBytes,
                               " bytes"));
    bytes *= size;
  }
  // Grows with what arrives, so a header claiming more than the file holds allocates little.
  constexpr int64_t kStep = int64_t{1} << 24;
  size_t got = 0;
  while (int64_t(got) < bytes) {
    size_t want = size_t(std::min(bytes - int64_t(got), kStep));
    array.values.resize(got + want);
    size_t n = read_some(file.get(), array.values.data() + got, want, path);
    got += n;
    if (n < want)
      throw IoError("idx", cat(path, ": truncated: ", got, " of the ", bytes, " data bytes a ", describe(array.shape),
                               " array needs"));
  }
  uint8_t extra;
  if (read_some(file.get(), &extra, 1, path) != 0)
    throw IoError("idx", cat(path, ": trailing data after the ", describe(array.shape), " array"));
  return array;
}

}  // namespace lucid::data

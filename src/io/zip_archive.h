// ZipArchive: a zip file opened read-only through libzip, closed when it goes. Entries are read
// by index, a byte range at a time, straight into the caller's memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

struct zip;

namespace lucid::io {

class ZipArchive {
 public:
  // Throws IoError tagged with op, naming the path and libzip's reason.
  ZipArchive(const std::string& path, std::string_view op);
  ~ZipArchive();
  ZipArchive(const ZipArchive&) = delete;
  ZipArchive& operator=(const ZipArchive&) = delete;

  uint64_t count() const { return count_; }
  std::string name(uint64_t index) const;
  std::optional<uint64_t> find(const std::string& name) const;
  uint64_t size(uint64_t index) const;  // uncompressed bytes

  // Reads bytes [offset, offset + length) of the entry's uncompressed data into dst; throws
  // IoError if the entry is shorter or fails its checks. Safe to call from several threads.
  void read(uint64_t index, uint64_t offset, void* dst, size_t length) const;

 private:
  std::string path_;
  std::string op_;
  zip* zip_ = nullptr;
  uint64_t count_ = 0;
  mutable std::mutex mutex_;  // a libzip archive serves one reader at a time
};

}  // namespace lucid::io

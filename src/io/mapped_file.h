// MappedFile: a whole file mapped read-only (MAP_PRIVATE), unmapped when it goes. Weight files
// are read through it so that a 2 GB checkpoint never has to fit in memory twice.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace lucid::io {

class MappedFile {
 public:
  // Throws IoError tagged with op, naming the path and the system's reason.
  static MappedFile open(const std::string& path, std::string_view op);

  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  const std::byte* data() const { return data_; }  // null for an empty file
  size_t size() const { return size_; }

  // Drops the whole pages inside [offset, offset + length) from our resident set; they are
  // read back from the file if touched again.
  void release(size_t offset, size_t length) const;

 private:
  MappedFile(const std::byte* data, size_t size) : data_(data), size_(size) {}
  const std::byte* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace lucid::io

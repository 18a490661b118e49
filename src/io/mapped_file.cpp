#include "io/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "lucid/error.h"

namespace lucid::io {

MappedFile MappedFile::open(const std::string& path, std::string_view op) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw IoError(op, cat(path, ": cannot open: ", std::strerror(errno)));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    throw IoError(op, cat(path, ": cannot stat: ", std::strerror(err)));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    throw IoError(op, cat(path, ": not a regular file"));
  }
  size_t size = static_cast<size_t>(st.st_size);
  void* data = nullptr;
  if (size > 0) {  // mmap rejects a zero length; an empty file maps to nothing
    data = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (data == MAP_FAILED) {
      int err = errno;
      ::close(fd);
      throw IoError(op, cat(path, ": cannot map ", size, " bytes: ", std::strerror(err)));
    }
  }
  ::close(fd);  // the mapping keeps its own reference to the file
  return MappedFile(static_cast<const std::byte*>(data), size);
}

MappedFile::MappedFile(MappedFile&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}

MappedFile& MappedFile::operator=(MappedFile&& other) noexcept {
  std::swap(data_, other.data_);
  std::swap(size_, other.size_);
  return *this;
}

MappedFile::~MappedFile() {
  if (data_) ::munmap(const_cast<std::byte*>(data_), size_);
}

void MappedFile::release(size_t offset, size_t length) const {
  if (offset > size_ || length > size_ - offset) return;
  const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  // The map starts on a page boundary, so file offsets and page boundaries line up.
  size_t first = (offset + page - 1) / page * page;
  size_t last = (offset + length) / page * page;
  if (first >= last) return;
  // Advice only: on failure the pages simply stay resident.
  ::madvise(const_cast<std::byte*>(data_) + first, last - first, MADV_DONTNEED);
}

}  // namespace lucid::io

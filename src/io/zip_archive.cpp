#include "io/zip_archive.h"

#include <zip.h>

#include <algorithm>
#include <memory>
#include <vector>

#include "lucid/error.h"

namespace lucid::io {

ZipArchive::ZipArchive(const std::string& path, std::string_view op) : path_(path), op_(op) {
  int code = 0;
  zip_ = zip_open(path.c_str(), ZIP_RDONLY, &code);
  if (!zip_) {
    zip_error_t error;
    zip_error_init_with_code(&error, code);
    std::string reason = zip_error_strerror(&error);
    zip_error_fini(&error);
    throw IoError(op_, cat(path, ": not a readable zip archive: ", reason));
  }
  count_ = static_cast<uint64_t>(zip_get_num_entries(zip_, 0));
}

ZipArchive::~ZipArchive() { zip_discard(zip_); }  // read-only: nothing to write back

std::string ZipArchive::name(uint64_t index) const {
  std::lock_guard lock(mutex_);
  const char* name = zip_get_name(zip_, index, ZIP_FL_ENC_RAW);
  if (!name) throw IoError(op_, cat(path_, ": entry ", index, ": ", zip_strerror(zip_)));
  return name;
}

std::optional<uint64_t> ZipArchive::find(const std::string& name) const {
  std::lock_guard lock(mutex_);
  zip_int64_t index = zip_name_locate(zip_, name.c_str(), ZIP_FL_ENC_RAW);
  if (index < 0) return std::nullopt;
  return static_cast<uint64_t>(index);
}

uint64_t ZipArchive::size(uint64_t index) const {
  std::lock_guard lock(mutex_);
  zip_stat_t st;
  if (zip_stat_index(zip_, index, 0, &st) != 0 || !(st.valid & ZIP_STAT_SIZE))
    throw IoError(op_, cat(path_, ": entry ", index, ": ", zip_strerror(zip_)));
  return st.size;
}

void ZipArchive::read(uint64_t index, uint64_t offset, void* dst, size_t length) const {
  std::lock_guard lock(mutex_);
  zip_stat_t st;
  if (zip_stat_index(zip_, index, 0, &st) != 0)
    throw IoError(op_, cat(path_, ": entry ", index, ": ", zip_strerror(zip_)));
  std::string where = cat(path_, ": entry '", (st.valid & ZIP_STAT_NAME) ? st.name : "?", "'");
  std::unique_ptr<zip_file_t, int (*)(zip_file_t*)> file(zip_fopen_index(zip_, index, 0), zip_fclose);
  if (!file) throw IoError(op_, cat(where, ": cannot open: ", zip_strerror(zip_)));
  auto fail = [&](std::string_view what) {
    return IoError(op_, cat(where, ": ", what, ": ", zip_file_strerror(file.get())));
  };
  // Stored entries (all that torch writes) seek in place; compressed ones can only be read
  // forward, and a failed seek would poison the handle, so ask first.
  bool stored = (st.valid & ZIP_STAT_COMP_METHOD) && st.comp_method == ZIP_CM_STORE;
  if (offset > 0 && stored) {
    if (zip_fseek(file.get(), static_cast<zip_int64_t>(offset), SEEK_SET) != 0) throw fail("cannot seek");
  } else if (offset > 0) {
    std::vector<char> scratch(std::min<uint64_t>(offset, 1 << 20));
    for (uint64_t left = offset; left > 0;) {
      zip_int64_t n = zip_fread(file.get(), scratch.data(), std::min<uint64_t>(left, scratch.size()));
      if (n < 0) throw fail("cannot read");
      if (n == 0) throw IoError(op_, cat(where, ": ends before byte ", offset));
      left -= static_cast<uint64_t>(n);
    }
  }
  auto* out = static_cast<char*>(dst);
  for (size_t done = 0; done < length;) {
    zip_int64_t n = zip_fread(file.get(), out + done, length - done);
    if (n < 0) throw fail("cannot read");
    if (n == 0) throw IoError(op_, cat(where, ": ends before byte ", offset + length));
    done += static_cast<size_t>(n);
  }
}

}  // namespace lucid::io

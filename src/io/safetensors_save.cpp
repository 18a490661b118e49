#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "lucid/error.h"
#include "lucid/io/safetensors.h"

namespace lucid::io {

namespace {

[[noreturn]] void fail_errno(const std::string& path, const std::string& what) {
  throw IoError("safetensors", cat(path, ": cannot ", what, ": ", std::strerror(errno)));
}

// The temporary file beside the destination; removed unless committed, so a failed save
// leaves neither a partial file nor a stray temporary behind.
class TempFile {
 public:
  TempFile(const std::string& target, std::string path) : target_(target), path_(std::move(path)) {
    fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd_ < 0) fail_errno(target_, cat("create temporary file ", path_));
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  ~TempFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!committed_) ::unlink(path_.c_str());
  }

  void write(const void* data, size_t size) {
    constexpr size_t kChunk = size_t{64} << 20;  // one write() moves under 2 GB on Linux anyway
    auto* p = static_cast<const std::byte*>(data);
    while (size > 0) {
      ssize_t n = ::write(fd_, p, std::min(size, kChunk));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) fail_errno(target_, cat("write ", path_));
      p += n;
      size -= static_cast<size_t>(n);
    }
  }

  // Flushes to disk and renames over the target: readers see the old file or the new, never half.
  void commit() {
    if (::fsync(fd_) != 0) fail_errno(target_, cat("flush ", path_));
    int fd = std::exchange(fd_, -1);
    if (::close(fd) != 0) fail_errno(target_, cat("close ", path_));
    if (::rename(path_.c_str(), target_.c_str()) != 0) fail_errno(target_, cat("rename ", path_, " over it"));
    committed_ = true;
  }

 private:
  std::string target_;
  std::string path_;
  int fd_ = -1;
  bool committed_ = false;
};

void check_tensors(const std::string& path, const std::vector<std::pair<std::string, Tensor>>& tensors) {
  std::set<std::string> names;
  for (const auto& [name, tensor] : tensors) {
    if (name == "__metadata__") throw ValueError("safetensors", cat(path, ": '__metadata__' is reserved, not a tensor name"));
    if (!names.insert(name).second) throw ValueError("safetensors", cat(path, ": duplicate tensor name '", name, "'"));
    if (!tensor.defined()) throw ValueError("safetensors", cat(path, ": tensor '", name, "' is undefined"));
    if (tensor.device().type != DeviceType::CPU)
      throw UnsupportedError("safetensors", cat(path, ": tensor '", name, "' is on ", to_string(tensor.device()), ", not cpu"));
  }
}

// The JSON header, "__metadata__" first as the reference writer does, then the tensors in order
// with consecutive offsets; padded with spaces to a multiple of 8 bytes like the reference.
std::string header_text(const std::string& path, const std::vector<std::pair<std::string, Tensor>>& tensors,
                        const std::map<std::string, std::string>& metadata) {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  size_t offset = 0;
  for (const auto& [name, tensor] : tensors) {
    nlohmann::ordered_json entry = nlohmann::ordered_json::object();
    entry["dtype"] = dtype_name(tensor.dtype());
    entry["shape"] = tensor.shape();
    entry["data_offsets"] = {offset, offset + tensor.nbytes()};
    header[name] = std::move(entry);
    offset += tensor.nbytes();
  }
  std::string text;
  try {
    text = header.dump();
  } catch (const nlohmann::json::exception&) {  // JSON text must be UTF-8
    throw ValueError("safetensors", cat(path, ": tensor names and metadata must be valid UTF-8"));
  }
  text.append((8 - text.size() % 8) % 8, ' ');
  return text;
}

}  // namespace

void save_safetensors(const std::string& path, const std::vector<std::pair<std::string, Tensor>>& tensors,
                      const std::map<std::string, std::string>& metadata) {
  check_tensors(path, tensors);
  std::string header = header_text(path, tensors, metadata);
  uint64_t header_bytes = header.size();  // little-endian on every host we build for

  TempFile file(path, cat(path, ".tmp.", ::getpid()));
  file.write(&header_bytes, 8);
  file.write(header.data(), header.size());
  for (const auto& [name, tensor] : tensors) file.write(tensor.raw_data(), tensor.nbytes());
  file.commit();

  // Best effort: makes the rename itself durable across a power cut; the data already is.
  std::filesystem::path folder = std::filesystem::path(path).parent_path();
  int dir = ::open(folder.empty() ? "." : folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
}

}  // namespace lucid::io

#include "lucid/tensor.h"

#include <sys/mman.h>

#include <cstdlib>
#include <cstring>
#include <limits>
#include <mutex>
#include <unordered_map>

#include "autograd/record.h"
#include "lucid/error.h"

namespace lucid {

size_t dtype_size(DType dtype) {
  switch (dtype) {
    case DType::F32: return 4;
    case DType::F16: return 2;
    case DType::BF16: return 2;
    case DType::I64: return 8;
    case DType::F64: return 8;
  }
  throw ValueError("dtype", cat("unknown dtype ", static_cast<int>(dtype)));
}

const char* dtype_name(DType dtype) {
  switch (dtype) {
    case DType::F32: return "F32";
    case DType::F16: return "F16";
    case DType::BF16: return "BF16";
    case DType::I64: return "I64";
    case DType::F64: return "F64";
  }
  return "?";
}

std::string to_string(Device device) {
  return device.type == DeviceType::CPU ? "cpu" : cat("cuda:", device.index);
}

int64_t numel(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) throw ValueError("shape", cat("negative size in ", to_string(shape)));
    if (d != 0 && n > std::numeric_limits<int64_t>::max() / d)
      throw ValueError("shape", cat("element count of ", to_string(shape), " overflows"));
    n *= d;
  }
  return n;
}

std::string to_string(const Shape& shape) {
  if (shape.empty()) return "scalar";
  std::string out;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) out += 'x';
    out += std::to_string(shape[i]);
  }
  return out;
}

Shape parse_shape(const std::string& text) {
  Shape shape;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find('x', pos);
    if (end == std::string::npos) end = text.size();
    std::string part = text.substr(pos, end - pos);
    if (part.empty() || part.size() > 9 || part.find_first_not_of("0123456789") != std::string::npos)
      throw ValueError("shape", cat("cannot parse '", text, "': expected sizes like 1x3x224x224"));
    shape.push_back(std::stoll(part));
    pos = end + 1;
  }
  return shape;
}

// Buffers from 1 MiB up are mapped directly: unmapping gives the memory back at once, where
// malloc's heap may keep it (its mmap threshold grows with each freed large block), and the
// pages are not touched, hence not resident, until written.
constexpr size_t kMapFrom = size_t(1) << 20;

// Freed mappings kept for reuse, by exact size (a training step asks for the same sizes again).
struct MappingCache {
  std::mutex mutex;
  std::unordered_multimap<size_t, void*> free;
  size_t held = 0, limit = 0;

  void* take(size_t bytes) {
    std::lock_guard lock(mutex);
    auto it = free.find(bytes);
    if (it == free.end()) return nullptr;
    void* data = it->second;
    free.erase(it);
    held -= bytes;
    return data;
  }
  bool keep(void* data, size_t bytes) {
    std::lock_guard lock(mutex);
    if (held + bytes > limit) return false;
    free.emplace(bytes, data);
    held += bytes;
    return true;
  }
  void set_limit(size_t bytes) {
    std::lock_guard lock(mutex);
    limit = bytes;
    for (auto it = free.begin(); held > limit && it != free.end();) {
      munmap(it->second, it->first);
      held -= it->first;
      it = free.erase(it);
    }
  }
};

MappingCache& mapping_cache() {
  static auto* cache = new MappingCache;  // never destroyed: static tensors may be freed after it
  return *cache;
}

void Storage::set_cache_limit(size_t bytes) { mapping_cache().set_limit(bytes); }

std::shared_ptr<Storage> Storage::allocate(size_t bytes, Device device) {
  if (device.type != DeviceType::CPU)
    throw UnsupportedError("storage", cat("device ", to_string(device), " is not built in"));
  constexpr size_t kAlign = 64;  // a cache line and an AVX-512 register
  void* data = nullptr;
  if (bytes >= kMapFrom) {
    data = mapping_cache().take(bytes);
    if (!data) data = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (data == MAP_FAILED) data = nullptr;
  } else {
    size_t rounded = (bytes + kAlign - 1) / kAlign * kAlign;
    data = std::aligned_alloc(kAlign, rounded ? rounded : kAlign);
  }
  if (!data) throw ValueError("storage", cat("out of memory allocating ", bytes, " bytes"));
  return std::shared_ptr<Storage>(new Storage(data, bytes, device));
}

Storage::~Storage() {
  if (bytes_ >= kMapFrom) {
    if (!mapping_cache().keep(data_, bytes_)) munmap(data_, bytes_);
  } else
    std::free(data_);
}

Tensor Tensor::empty(const Shape& shape, DType dtype, Device device) {
  size_t bytes = static_cast<size_t>(lucid::numel(shape)) * dtype_size(dtype);
  return Tensor(std::make_shared<Impl>(Impl{Storage::allocate(bytes, device), shape, dtype, nullptr}));
}

Tensor Tensor::zeros(const Shape& shape, DType dtype, Device device) {
  Tensor t = empty(shape, dtype, device);
  std::memset(t.raw_data(), 0, t.nbytes());
  return t;
}

Tensor Tensor::full(const Shape& shape, float value) {
  Tensor t = empty(shape);
  float* p = t.data<float>();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = value;
  return t;
}

Tensor Tensor::from_vector(const Shape& shape, const std::vector<float>& values) {
  if (lucid::numel(shape) != static_cast<int64_t>(values.size()))
    throw ShapeError("tensor", cat(values.size(), " values do not fill shape ", to_string(shape)));
  Tensor t = empty(shape);
  std::memcpy(t.raw_data(), values.data(), values.size() * sizeof(float));
  return t;
}

const Tensor::Impl& Tensor::impl(const char* what) const {
  if (!impl_) throw ValueError("tensor", cat(what, " of an undefined tensor"));
  return *impl_;
}

const Shape& Tensor::shape() const { return impl("shape").shape; }
int64_t Tensor::numel() const { return lucid::numel(shape()); }
DType Tensor::dtype() const { return impl("dtype").dtype; }
Device Tensor::device() const { return impl("device").storage->device(); }
void* Tensor::raw_data() const { return impl("data").storage->data(); }

int64_t Tensor::size(int64_t axis) const {
  int64_t rank = dim();
  if (axis < -rank || axis >= rank)
    throw ShapeError("tensor", cat("axis ", axis, " out of range for shape ", to_string(shape())));
  return shape()[axis < 0 ? axis + rank : axis];
}

template <class T>
static constexpr DType dtype_of() {
  if constexpr (std::is_same_v<T, float>) return DType::F32;
  else if constexpr (std::is_same_v<T, double>) return DType::F64;
  else if constexpr (std::is_same_v<T, int64_t>) return DType::I64;
  else return DType::BF16;  // uint16_t views F16 and BF16 alike
}

template <class T>
T* Tensor::data() {
  return const_cast<T*>(static_cast<const Tensor*>(this)->data<T>());
}

template <class T>
const T* Tensor::data() const {
  DType want = dtype_of<T>();
  bool ok = dtype() == want || (want == DType::BF16 && dtype() == DType::F16);
  if (!ok) throw ValueError("tensor", cat("typed access as ", dtype_name(want), " to a ", dtype_name(dtype()), " tensor"));
  return static_cast<const T*>(raw_data());
}

template float* Tensor::data<float>();
template const float* Tensor::data<float>() const;
template int64_t* Tensor::data<int64_t>();
template const int64_t* Tensor::data<int64_t>() const;
template double* Tensor::data<double>();
template const double* Tensor::data<double>() const;
template uint16_t* Tensor::data<uint16_t>();
template const uint16_t* Tensor::data<uint16_t>() const;

void Tensor::release() {
  if (!impl_) return;
  impl_->storage = Storage::allocate(0, impl_->storage->device());
  impl_->shape = {0};
}

Tensor Tensor::reshape(const Shape& new_shape) const {
  if (lucid::numel(new_shape) != numel())
    throw ShapeError("reshape", cat("cannot view ", to_string(shape()), " as ", to_string(new_shape)));
  Tensor view(std::make_shared<Impl>(Impl{impl_->storage, new_shape, impl_->dtype, nullptr}));
  autograd::detail::record_reshape(*this, view);
  return view;
}

Tensor Tensor::clone() const {
  Tensor t = empty(shape(), dtype(), device());
  std::memcpy(t.raw_data(), raw_data(), nbytes());
  return t;
}

void Tensor::copy_from(const Tensor& src) {
  if (src.shape() != shape())
    throw ShapeError("copy", cat("source shape ", to_string(src.shape()), " differs from ", to_string(shape())));
  if (src.dtype() == dtype()) {
    std::memcpy(raw_data(), src.raw_data(), nbytes());
    return;
  }
  bool half_source = src.dtype() == DType::F16 || src.dtype() == DType::BF16;
  if (dtype() != DType::F32 || !half_source)
    throw UnsupportedError("copy", cat("conversion from ", dtype_name(src.dtype()), " to ", dtype_name(dtype())));
  widen_to_f32(src.raw_data(), src.dtype(), data<float>(), numel());
}

std::vector<float> Tensor::to_vector() const {
  const float* p = data<float>();
  return std::vector<float>(p, p + numel());
}

float half_to_float(uint16_t h) {
  uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
  uint32_t exponent = (h >> 10) & 0x1f;
  uint32_t mantissa = h & 0x3ff;
  uint32_t bits;
  if (exponent == 0x1f) {
    bits = sign | 0x7f800000 | (mantissa << 13);  // inf, nan
  } else if (exponent != 0) {
    bits = sign | ((exponent + 112) << 23) | (mantissa << 13);  // normal: rebias 15 -> 127
  } else if (mantissa == 0) {
    bits = sign;  // signed zero
  } else {  // subnormal half: normalise into a float
    int shift = 0;
    while (!(mantissa & 0x400)) { mantissa <<= 1; ++shift; }
    bits = sign | ((113 - shift) << 23) | ((mantissa & 0x3ff) << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

void widen_to_f32(const void* src, DType src_dtype, float* dst, int64_t n) {
  if (src_dtype != DType::F16 && src_dtype != DType::BF16)
    throw UnsupportedError("widen", cat("widens F16 or BF16, not ", dtype_name(src_dtype)));
  float (*widen)(uint16_t) = src_dtype == DType::F16 ? half_to_float : bfloat16_to_float;
  const auto* in = static_cast<const std::byte*>(src);
  for (int64_t i = 0; i < n; ++i) {
    uint16_t bits;
    std::memcpy(&bits, in + 2 * i, 2);
    dst[i] = widen(bits);
  }
}

float bfloat16_to_float(uint16_t b) {
  uint32_t bits = static_cast<uint32_t>(b) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

}  // namespace lucid

// Tensor: a shaped, typed view of shared, 64-byte aligned storage on a device.
// Tensors are always contiguous (row-major, NCHW for images). Copying a Tensor copies the
// handle, not the data: two handles to one tensor see each other's writes, which is how a
// module's registered parameter and its member stay one tensor.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace lucid {

namespace autograd {
class Node;
struct Meta;
}  // namespace autograd

// F32 is what the ops compute in; F16/BF16 arrive in weight files; I64 holds BN's step counter
// and class labels; F64 exists for the reference kernels' gradient checks (double precision).
enum class DType : uint8_t { F32, F16, BF16, I64, F64 };
size_t dtype_size(DType dtype);
const char* dtype_name(DType dtype);

enum class DeviceType : uint8_t { CPU, CUDA };
struct Device {
  DeviceType type = DeviceType::CPU;
  int index = 0;
  bool operator==(const Device&) const = default;
};
std::string to_string(Device device);

using Shape = std::vector<int64_t>;
int64_t numel(const Shape& shape);    // throws ValueError on a negative size or overflow
std::string to_string(const Shape& shape);  // "2x3x224x224"
Shape parse_shape(const std::string& text);  // inverse of to_string; throws ValueError

// Bytes on a device, freed when the last tensor using them goes.
class Storage {
 public:
  static std::shared_ptr<Storage> allocate(size_t bytes, Device device);
  ~Storage();
  // Training frees and reallocates the same activation sizes every step; with a limit > 0, freed
  // large buffers (up to `bytes` in all) are kept for reuse instead of being returned to the
  // system, which would fault and zero their pages again. 0 (the default) returns them at once.
  static void set_cache_limit(size_t bytes);
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  void* data() const { return data_; }
  size_t bytes() const { return bytes_; }
  Device device() const { return device_; }

 private:
  Storage(void* data, size_t bytes, Device device) : data_(data), bytes_(bytes), device_(device) {}
  void* data_;
  size_t bytes_;
  Device device_;
};

class Tensor {
 public:
  Tensor() = default;  // undefined: defined() is false, for optional inputs such as a bias

  static Tensor empty(const Shape& shape, DType dtype = DType::F32, Device device = {});
  static Tensor zeros(const Shape& shape, DType dtype = DType::F32, Device device = {});
  static Tensor full(const Shape& shape, float value);
  static Tensor from_vector(const Shape& shape, const std::vector<float>& values);

  bool defined() const { return impl_ != nullptr; }
  const Shape& shape() const;
  int64_t dim() const { return static_cast<int64_t>(shape().size()); }
  int64_t size(int64_t axis) const;  // negative axes count from the end
  int64_t numel() const;
  size_t nbytes() const { return static_cast<size_t>(numel()) * dtype_size(dtype()); }
  DType dtype() const;
  Device device() const;

  // Typed access (float: F32, double: F64, int64_t: I64, uint16_t: F16 or BF16); throws ValueError on a mismatch.
  template <class T> T* data();
  template <class T> const T* data() const;
  void* raw_data() const;

  // A tensor of another shape with the same elements, sharing storage (differentiable).
  Tensor reshape(const Shape& shape) const;
  Tensor clone() const;  // a copy of the values, without history
  // Copies values from src (same shape; F16/BF16 sources are converted to this tensor's F32).
  void copy_from(const Tensor& src);
  std::vector<float> to_vector() const;  // F32 only
  // Frees the data for every handle of this tensor, which becomes empty (shape {0}): how the
  // engine takes over a model's weights without holding two copies.
  void release();
  // Whether two handles refer to the same tensor.
  bool same(const Tensor& other) const { return impl_ == other.impl_; }

  // ---- Autograd (lucid/autograd.h) ----
  bool requires_grad() const;
  // Marks a leaf (a parameter, an input) so backward accumulates its gradient into grad(). F32 only.
  Tensor& set_requires_grad(bool on = true);
  // The gradient accumulated by backward passes; undefined until one reaches this tensor.
  Tensor grad() const;
  void set_grad(const Tensor& grad);  // an undefined tensor clears it (zero_grad)
  // The op that made this tensor (null for leaves and for tensors made without grad).
  std::shared_ptr<autograd::Node> grad_fn() const;
  void set_grad_fn(std::shared_ptr<autograd::Node> node);  // for op front ends: marks requires_grad
  // The same storage without history: what an op saves for its backward, or what a caller
  // keeps when the graph should go.
  Tensor detach() const;
  // Reverse pass from this one-element tensor (a loss), seeded with 1; or from any tensor with
  // the gradient of its output. Frees the graph's edges as it goes (call once per forward).
  void backward() const;
  void backward(const Tensor& grad_output) const;

 private:
  struct Impl {
    std::shared_ptr<Storage> storage;
    Shape shape;
    DType dtype;
    std::shared_ptr<autograd::Meta> autograd;  // null until a gradient or grad_fn is set
  };
  explicit Tensor(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
  const Impl& impl(const char* what) const;
  std::shared_ptr<Impl> impl_;
};

// Element conversions used by the weight loaders (exact: every F16/BF16 value is a float).
float half_to_float(uint16_t h);
float bfloat16_to_float(uint16_t b);
// Widens n F16 or BF16 values (any alignment) to F32, front to back, one value read before it is
// written: dst may overlap the upper half of src's n * 4 bytes, which lets a reader stage the
// 2-byte values inside the destination itself.
void widen_to_f32(const void* src, DType src_dtype, float* dst, int64_t n);

}  // namespace lucid

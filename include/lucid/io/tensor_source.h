// Where load_state_dict reads from: named tensors known by name and shape, read on demand, so
// that a multi-gigabyte file is copied into the model one tensor at a time.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "lucid/io/safetensors.h"
#include "lucid/tensor.h"

namespace lucid::io {

class TensorSource {
 public:
  virtual ~TensorSource() = default;
  virtual std::vector<std::string> keys() const = 0;
  virtual Shape shape(const std::string& key) const = 0;
  // The dtype read_into fills: F32 for every floating type, I64 for integer counters.
  virtual DType dtype(const std::string& key) const = 0;
  // Copies the tensor into dst, which has shape(key); converts F16/BF16 to F32.
  virtual void read_into(const std::string& key, Tensor& dst) const = 0;
};

// Tensors already in memory.
class TensorMap : public TensorSource {
 public:
  TensorMap() = default;
  explicit TensorMap(std::vector<std::pair<std::string, Tensor>> tensors);
  void insert(const std::string& key, Tensor tensor);
  std::vector<std::string> keys() const override;
  Shape shape(const std::string& key) const override;
  DType dtype(const std::string& key) const override;
  void read_into(const std::string& key, Tensor& dst) const override;
  const Tensor& at(const std::string& key) const;

 private:
  std::vector<std::string> order_;
  std::map<std::string, Tensor> tensors_;
};

// The tensors of a safetensors file, read lazily from its memory map.
class SafetensorsSource : public TensorSource {
 public:
  explicit SafetensorsSource(SafetensorsFile file) : file_(std::move(file)) {}
  std::vector<std::string> keys() const override;
  Shape shape(const std::string& key) const override;
  DType dtype(const std::string& key) const override;
  void read_into(const std::string& key, Tensor& dst) const override;

 private:
  SafetensorsFile file_;
};

// Another source seen under new names: rename(key) gives the name a model expects, or "" to
// hide the key. Two keys that rename to one name are an error.
class RenamedSource : public TensorSource {
 public:
  RenamedSource(std::shared_ptr<const TensorSource> inner, const std::function<std::string(const std::string&)>& rename);
  std::vector<std::string> keys() const override;
  Shape shape(const std::string& key) const override;
  DType dtype(const std::string& key) const override;
  void read_into(const std::string& key, Tensor& dst) const override;

 private:
  std::shared_ptr<const TensorSource> inner_;
  std::vector<std::string> keys_;
  std::map<std::string, std::string> to_inner_;
};

}  // namespace lucid::io

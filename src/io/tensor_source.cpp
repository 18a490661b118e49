#include "lucid/io/tensor_source.h"

#include "lucid/error.h"

namespace lucid::io {

TensorMap::TensorMap(std::vector<std::pair<std::string, Tensor>> tensors) {
  for (auto& [key, tensor] : tensors) insert(key, std::move(tensor));
}

void TensorMap::insert(const std::string& key, Tensor tensor) {
  if (!tensors_.emplace(key, std::move(tensor)).second)
    throw ValueError("state_dict", cat("duplicate key '", key, "'"));
  order_.push_back(key);
}

std::vector<std::string> TensorMap::keys() const { return order_; }

const Tensor& TensorMap::at(const std::string& key) const {
  auto it = tensors_.find(key);
  if (it == tensors_.end()) throw ValueError("state_dict", cat("no tensor named '", key, "'"));
  return it->second;
}

Shape TensorMap::shape(const std::string& key) const { return at(key).shape(); }

DType TensorMap::dtype(const std::string& key) const {
  DType d = at(key).dtype();
  return d == DType::I64 ? d : DType::F32;
}

void TensorMap::read_into(const std::string& key, Tensor& dst) const { dst.copy_from(at(key)); }

std::vector<std::string> SafetensorsSource::keys() const {
  std::vector<std::string> keys;
  for (const auto& entry : file_.entries()) keys.push_back(entry.name);
  return keys;
}

Shape SafetensorsSource::shape(const std::string& key) const { return file_.entry(key).shape; }

DType SafetensorsSource::dtype(const std::string& key) const { return file_.loaded_dtype(key); }

void SafetensorsSource::read_into(const std::string& key, Tensor& dst) const { file_.load_into(key, dst); }

RenamedSource::RenamedSource(std::shared_ptr<const TensorSource> inner,
                             const std::function<std::string(const std::string&)>& rename)
    : inner_(std::move(inner)) {
  for (const auto& key : inner_->keys()) {
    std::string name = rename(key);
    if (name.empty()) continue;
    auto [it, fresh] = to_inner_.emplace(name, key);
    if (!fresh)
      throw ValueError("state_dict", cat("keys '", it->second, "' and '", key, "' both map to '", name, "'"));
    keys_.push_back(name);
  }
}

std::vector<std::string> RenamedSource::keys() const { return keys_; }

Shape RenamedSource::shape(const std::string& key) const { return inner_->shape(to_inner_.at(key)); }

DType RenamedSource::dtype(const std::string& key) const { return inner_->dtype(to_inner_.at(key)); }

void RenamedSource::read_into(const std::string& key, Tensor& dst) const {
  inner_->read_into(to_inner_.at(key), dst);
}

}  // namespace lucid::io

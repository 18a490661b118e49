// A restricted unpickler for torch.save's data.pkl. It knows the opcodes torch emits (pickle
// protocols 2 to 5) and a short list of globals (OrderedDict, torch's tensor rebuilders, the
// storage classes); every other global is refused by name when read. Nothing is imported or
// called: REDUCE and BUILD are interpreted for those few callables.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "lucid/tensor.h"

namespace lucid::io {

// A storage named by a persistent id; its bytes are the archive entry data/<key>. The views
// point into strings the Pickle owns.
struct PickleStorage {
  std::string_view type;  // "torch.FloatStorage", ...
  size_t element_size = 0;
  std::string_view key;
};

// A view of a storage, from _rebuild_tensor_v2.
struct PickleTensor {
  const PickleStorage* storage = nullptr;
  int64_t offset = 0;  // in elements
  Shape size, stride;
};

struct PickleValue {
  enum class Kind : uint8_t { None, Bool, Int, Float, String, Tuple, List, Dict, Global, Storage, Tensor };
  Kind kind = Kind::None;
  int64_t integer = 0;  // Bool, Int; Global: the element size of a storage class, else 0
  double real = 0;      // Float
  std::string text;     // String; Global: "module.name"
  // Tuple, List; Dict: key, value, key, value... in file order (not deduplicated)
  std::vector<PickleValue*> items;
  const PickleStorage* storage = nullptr;  // Storage
  const PickleTensor* tensor = nullptr;    // Tensor
};

const char* kind_name(PickleValue::Kind kind);

class Pickle {
 public:
  // Parses a whole pickle. Throws IoError("pickle", "<origin> at byte N: ...") on anything
  // malformed, hostile or outside what state dicts are made of.
  Pickle(std::string_view bytes, std::string origin);
  Pickle(const Pickle&) = delete;
  Pickle& operator=(const Pickle&) = delete;

  const PickleValue& root() const { return *root_; }

 private:
  // Every value lives here; containers point into it, so memo references share, and deep or
  // cyclic structures are freed without recursion.
  std::deque<PickleValue> values_;
  std::deque<PickleStorage> storages_;
  std::deque<PickleTensor> tensors_;
  PickleValue* root_ = nullptr;
};

}  // namespace lucid::io

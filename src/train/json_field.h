// Typed reads of the JSON that optimizer states and checkpoints carry, with errors that name the
// missing or mistyped field.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <type_traits>

#include "lucid/error.h"

namespace lucid::train {

// object[key] as a T (a JSON T must be an object); otherwise a ValueError tagged op that names
// `what` ("optimizer state") and the key.
template <class T>
T json_field(const char* op, const char* what, const nlohmann::json& object, const char* key) {
  if (!object.is_object() || !object.contains(key)) throw ValueError(op, cat(what, " lacks '", key, "'"));
  const nlohmann::json& value = object.at(key);
  const bool fits = std::is_same_v<T, nlohmann::json> ? value.is_object()
                    : std::is_same_v<T, bool>          ? value.is_boolean()
                    : std::is_same_v<T, std::string>   ? value.is_string()
                    : std::is_integral_v<T>            ? value.is_number_integer()
                                                       : value.is_number();
  if (!fits) throw ValueError(op, cat(what, " has '", key, "' = ", value.dump(), ", of the wrong type"));
  return value.get<T>();
}

}  // namespace lucid::train

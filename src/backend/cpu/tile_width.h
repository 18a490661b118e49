// Register tiles are templates on their width (the compiler keeps a fixed number of accumulators
// in registers only when it knows the number); a row's last tile is narrower, known at run time.
#pragma once

#include <cstdint>
#include <type_traits>

namespace lucid::backend::cpu {

// Calls f(std::integral_constant<int, n>{}) for a run-time n in 1..Max (nothing for other n).
template <int Max, class F>
inline void with_tile_width(int64_t n, F&& f) {
  if constexpr (Max > 0) {
    if (n == Max) return f(std::integral_constant<int, Max>{});
    with_tile_width<Max - 1>(n, f);
  }
}

}  // namespace lucid::backend::cpu

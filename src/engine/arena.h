// Places activation buffers in one arena: two buffers share bytes only when their lifetimes
// (the steps from first write to last read) do not overlap.
#pragma once

#include <cstddef>
#include <vector>

namespace lucid::engine {

struct Lifetime {
  size_t bytes;
  int first, last;  // steps, inclusive
};

struct ArenaLayout {
  std::vector<size_t> offsets;  // per buffer, 64-byte aligned
  size_t bytes = 0;             // the arena's size
  size_t peak_live = 0;         // the most bytes alive at one step: no placement needs less
};

// Greedy by size: largest first, each at the lowest offset clear of every placed buffer whose
// lifetime overlaps its own. Near peak_live for chains like a ResNet's.
ArenaLayout place_buffers(const std::vector<Lifetime>& buffers);

}  // namespace lucid::engine

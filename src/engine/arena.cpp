#include "engine/arena.h"

#include <algorithm>
#include <numeric>

namespace lucid::engine {

constexpr size_t kAlign = 64;

static size_t align_up(size_t n) { return (n + kAlign - 1) / kAlign * kAlign; }

ArenaLayout place_buffers(const std::vector<Lifetime>& buffers) {
  ArenaLayout layout;
  layout.offsets.assign(buffers.size(), 0);
  std::vector<size_t> order(buffers.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return buffers[a].bytes > buffers[b].bytes; });

  std::vector<size_t> placed;
  for (size_t i : order) {
    const Lifetime& me = buffers[i];
    std::vector<size_t> clash;  // placed buffers alive at the same time, by offset
    for (size_t j : placed)
      if (buffers[j].first <= me.last && me.first <= buffers[j].last) clash.push_back(j);
    std::sort(clash.begin(), clash.end(), [&](size_t a, size_t b) { return layout.offsets[a] < layout.offsets[b]; });
    size_t offset = 0;
    for (size_t j : clash) {
      if (offset + me.bytes <= layout.offsets[j]) break;
      offset = std::max(offset, align_up(layout.offsets[j] + buffers[j].bytes));
    }
    layout.offsets[i] = offset;
    layout.bytes = std::max(layout.bytes, align_up(offset + me.bytes));
    placed.push_back(i);
  }

  int steps = 0;
  for (const Lifetime& b : buffers) steps = std::max(steps, b.last + 1);
  std::vector<size_t> live(steps, 0);
  for (const Lifetime& b : buffers)
    for (int t = b.first; t <= b.last; ++t) live[t] += align_up(b.bytes);
  for (size_t l : live) layout.peak_live = std::max(layout.peak_live, l);
  return layout;
}

}  // namespace lucid::engine

// Batches from a Dataset, decoded and augmented on worker threads while the caller trains.
// Epoch e's order is a function of (seed, e) only, and each sample's augmentation seed of
// (seed, e, position in the epoch) only: batches are the same for any worker count, and
// start_epoch(e, k) continues exactly where batch k of epoch e would be (resuming a run).
#pragma once

#include <cstdint>
#include <memory>

#include "lucid/data/dataset.h"

namespace lucid::data {

inline constexpr int64_t kMaxWorkers = 256;  // loading threads; more only contend for the cores

struct LoaderOptions {
  int64_t batch = 128;
  bool shuffle = true;
  bool drop_last = true;  // else the last batch of an epoch may be smaller
  int64_t workers = 2;    // 0: load on the calling thread, inside next()
  uint64_t seed = 0;
  int64_t prefetch = 4;   // batches being made or waiting, at most
};

struct Batch {
  Tensor images;  // (N, C, H, W) F32
  Tensor labels;  // (N) I64
};

class DataLoader {
 public:
  // Throws ValueError for a batch, worker count or prefetch out of range.
  DataLoader(std::shared_ptr<const Dataset> dataset, const LoaderOptions& options);
  ~DataLoader();  // stops and joins the workers, mid-epoch too
  DataLoader(const DataLoader&) = delete;
  DataLoader& operator=(const DataLoader&) = delete;

  const Dataset& dataset() const { return *dataset_; }
  int64_t batches_per_epoch() const;
  // Starts epoch `epoch` at batch `first_batch` (0 to batches_per_epoch()), ending any epoch in flight.
  void start_epoch(int64_t epoch, int64_t first_batch = 0);
  // The next batch of the epoch; false once it is over. An error a worker met (an unreadable
  // image) is thrown here, for the batch it belongs to, and ends the epoch.
  bool next(Batch& out);

 private:
  struct Epoch;
  std::shared_ptr<const Dataset> dataset_;
  LoaderOptions options_;
  std::unique_ptr<Epoch> epoch_;
};

}  // namespace lucid::data

// DataLoader: workers claim whole batches in order, at most `prefetch` ahead of the caller, and
// hand them back by batch number, so the caller sees the same sequence for any worker count.
#include "lucid/data/loader.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <exception>
#include <map>
#include <mutex>
#include <numeric>
#include <thread>

#include "lucid/data/rng.h"
#include "lucid/error.h"

namespace lucid::data {

namespace {

struct Slot {
  Batch batch;
  std::exception_ptr error;
};

constexpr uint64_t kOrderStream = ~uint64_t{0};  // sample positions never reach it

}  // namespace

struct DataLoader::Epoch {
  const Dataset& dataset;
  const LoaderOptions& options;
  uint64_t seed;               // derive_seed(options.seed, epoch)
  std::vector<int64_t> order;  // position in the epoch -> sample index
  Shape sample_shape;
  int64_t end;                 // batches in the epoch

  std::mutex mutex;
  std::condition_variable work, ready;
  int64_t next;     // the batch next() returns next
  int64_t claimed;  // the first batch no worker has taken
  std::map<int64_t, Slot> done;
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;

  Epoch(const Dataset& d, const LoaderOptions& o, int64_t epoch, int64_t first, int64_t batches)
      : dataset(d), options(o), seed(derive_seed(o.seed, uint64_t(epoch))), order(size_t(d.size())),
        sample_shape(d.sample_shape()), end(batches), next(first), claimed(first) {
    std::iota(order.begin(), order.end(), int64_t{0});
    if (options.shuffle) {  // Fisher-Yates
      Rng rng(derive_seed(seed, kOrderStream));
      for (int64_t i = int64_t(order.size()) - 1; i > 0; --i) std::swap(order[size_t(i)], order[size_t(rng.below(i + 1))]);
    }
  }
  ~Epoch() { finish(); }

  void finish() {
    {
      std::lock_guard<std::mutex> lock(mutex);
      stop = true;
    }
    work.notify_all();
    for (std::thread& t : threads) t.join();
    threads.clear();
  }

  // Batch b: positions [b * batch, ...). False when stopped part way.
  bool make(int64_t b, Batch& out) const {
    int64_t begin = b * options.batch;
    int64_t n = std::min(options.batch, int64_t(order.size()) - begin), per = numel(sample_shape);
    Shape shape{n};
    shape.insert(shape.end(), sample_shape.begin(), sample_shape.end());
    out = {Tensor::empty(shape), Tensor::empty({n}, DType::I64)};
    float* images = out.images.data<float>();
    int64_t* labels = out.labels.data<int64_t>();
    for (int64_t i = 0; i < n; ++i) {
      if (stop) return false;
      int64_t index = order[size_t(begin + i)];
      Sample sample = dataset.get(index, derive_seed(seed, uint64_t(begin + i)));
      if (sample.image.shape() != sample_shape || sample.image.dtype() != DType::F32)
        throw ShapeError("loader", cat("sample ", index, " is ", to_string(sample.image.shape()), " ",
                                       dtype_name(sample.image.dtype()), "; the data set promised ",
                                       to_string(sample_shape), " F32"));
      std::memcpy(images + i * per, sample.image.data<float>(), size_t(per) * sizeof(float));
      labels[i] = sample.label;
    }
    return true;
  }

  void run() {
    for (;;) {
      int64_t b;
      {
        std::unique_lock<std::mutex> lock(mutex);
        work.wait(lock, [&] { return stop || claimed >= end || claimed < next + options.prefetch; });
        if (stop || claimed >= end) return;
        b = claimed++;
      }
      Slot slot;
      try {
        if (!make(b, slot.batch)) return;
      } catch (...) {
        slot.error = std::current_exception();
      }
      {
        std::lock_guard<std::mutex> lock(mutex);
        done.emplace(b, std::move(slot));
      }
      ready.notify_all();
    }
  }
};

DataLoader::DataLoader(std::shared_ptr<const Dataset> dataset, const LoaderOptions& options)
    : dataset_(std::move(dataset)), options_(options) {
  if (!dataset_) throw ValueError("loader", "no data set");
  if (options.batch < 1) throw ValueError("loader", cat("batch must be at least 1, got ", options.batch));
  if (options.workers < 0 || options.workers > kMaxWorkers)
    throw ValueError("loader", cat("workers must be 0 to ", kMaxWorkers, ", got ", options.workers));
  if (options.prefetch < 1) throw ValueError("loader", cat("prefetch must be at least 1, got ", options.prefetch));
}

DataLoader::~DataLoader() = default;

int64_t DataLoader::batches_per_epoch() const {
  int64_t n = dataset_->size();
  return options_.drop_last ? n / options_.batch : (n + options_.batch - 1) / options_.batch;
}

void DataLoader::start_epoch(int64_t epoch, int64_t first_batch) {
  int64_t batches = batches_per_epoch();
  if (epoch < 0) throw ValueError("loader", cat("epoch must be non-negative, got ", epoch));
  if (first_batch < 0 || first_batch > batches)
    throw ValueError("loader", cat("first batch ", first_batch, " is outside 0..", batches, " (batches per epoch)"));
  epoch_.reset();  // joins the previous epoch's workers first
  epoch_ = std::make_unique<Epoch>(*dataset_, options_, epoch, first_batch, batches);
  int64_t workers = std::min(options_.workers, batches - first_batch);
  try {
    for (int64_t w = 0; w < workers; ++w) epoch_->threads.emplace_back([e = epoch_.get()] { e->run(); });
  } catch (...) {
    epoch_.reset();  // a partly staffed epoch could leave next() waiting for a batch no one makes
    throw;
  }
}

bool DataLoader::next(Batch& out) {
  if (!epoch_) throw ValueError("loader", "next() was called before start_epoch()");
  Epoch& e = *epoch_;
  if (e.next >= e.end) return false;
  if (options_.workers == 0) {
    try {
      e.make(e.next++, out);
    } catch (...) {
      e.next = e.end;
      throw;
    }
    return true;
  }
  Slot slot;
  {
    std::unique_lock<std::mutex> lock(e.mutex);
    e.ready.wait(lock, [&] { return e.done.count(e.next) > 0; });
    auto it = e.done.find(e.next);
    slot = std::move(it->second);
    e.done.erase(it);
    ++e.next;
  }
  e.work.notify_all();
  if (slot.error) {
    e.finish();
    e.next = e.end;
    std::rethrow_exception(slot.error);
  }
  out = std::move(slot.batch);
  return true;
}

}  // namespace lucid::data

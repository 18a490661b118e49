#include "lucid/data/loader.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <mutex>
#include <set>
#include <thread>

#include "lucid/error.h"

namespace lucid::data {
namespace {

using namespace std::chrono_literals;

// Sample i is (1, 1, 3): its index and two 20-bit pieces of its seed, so a batch shows both the
// order and the augmentation seeds. Optionally slow, failing at one index, and counting calls.
class Numbered final : public Dataset {
 public:
  explicit Numbered(int64_t n) : n_(n) {}
  int64_t size() const override { return n_; }
  std::vector<std::string> class_names() const override { return {"even", "odd"}; }
  Shape sample_shape() const override { return {1, 1, 3}; }
  Preprocess eval_preprocess() const override { return {}; }
  Sample get(int64_t index, uint64_t seed) const override {
    calls++;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      threads.insert(std::this_thread::get_id());
    }
    if (delay.count() > 0) std::this_thread::sleep_for(delay);
    if (index == fail_at) throw IoError("numbered", cat("sample ", index, " is unreadable"));
    if (index == wrong_shape_at) return {Tensor::zeros({1, 1, 4}), 0};
    return {Tensor::from_vector({1, 1, 3}, {float(index), float(seed & 0xfffff), float((seed >> 20) & 0xfffff)}),
            index % 2};
  }

  int64_t fail_at = -1, wrong_shape_at = -1;
  std::chrono::microseconds delay{0};
  mutable std::atomic<int64_t> calls{0};
  mutable std::set<std::thread::id> threads;

 private:
  int64_t n_;
  mutable std::mutex mutex_;
};

// All batches of epoch `epoch` from `first`, flattened: (images, labels) per batch.
std::vector<std::pair<std::vector<float>, std::vector<int64_t>>> epoch_of(std::shared_ptr<const Dataset> data,
                                                                           LoaderOptions options, int64_t epoch,
                                                                           int64_t first = 0) {
  DataLoader loader(std::move(data), options);
  loader.start_epoch(epoch, first);
  std::vector<std::pair<std::vector<float>, std::vector<int64_t>>> batches;
  Batch batch;
  while (loader.next(batch)) {
    EXPECT_EQ(batch.images.dim(), 4);
    EXPECT_EQ(batch.labels.dtype(), DType::I64);
    const int64_t* labels = batch.labels.data<int64_t>();
    batches.push_back({batch.images.to_vector(), {labels, labels + batch.labels.numel()}});
  }
  return batches;
}

TEST(Loader, SameBatchesForAnyWorkerCount) {
  auto data = std::make_shared<Numbered>(103);
  for (bool shuffle : {true, false}) {
    LoaderOptions options{.batch = 8, .shuffle = shuffle, .drop_last = false, .workers = 0, .seed = 42, .prefetch = 2};
    auto want = epoch_of(data, options, 3);
    ASSERT_EQ(want.size(), 13u);
    EXPECT_EQ(want.back().second.size(), 7u);  // 103 = 12 * 8 + 7
    for (int64_t workers : {1, 3}) {
      options.workers = workers;
      EXPECT_EQ(epoch_of(data, options, 3), want) << workers << " workers, shuffle " << shuffle;
    }
    // Each index once; in order without shuffling.
    std::vector<int64_t> order;
    for (const auto& [images, labels] : want)
      for (size_t k = 0; k < images.size(); k += 3) order.push_back(int64_t(images[k]));
    std::vector<int64_t> sorted = order;
    std::sort(sorted.begin(), sorted.end());
    for (int64_t i = 0; i < 103; ++i) ASSERT_EQ(sorted[size_t(i)], i);
    EXPECT_EQ(order == sorted, !shuffle);
  }
}

TEST(Loader, EpochsAndSeedsDiffer) {
  auto data = std::make_shared<Numbered>(64);
  LoaderOptions options{.batch = 16, .workers = 2, .seed = 1};
  auto e0 = epoch_of(data, options, 0), e1 = epoch_of(data, options, 1);
  ASSERT_EQ(e0.size(), 4u);
  EXPECT_NE(e0[0].first, e1[0].first);
  options.seed = 2;
  EXPECT_NE(epoch_of(data, options, 0)[0].first, e0[0].first);
  // Without shuffling the order repeats but the augmentation seeds still change per epoch.
  options.shuffle = false;
  auto s0 = epoch_of(data, options, 0), s1 = epoch_of(data, options, 1);
  EXPECT_EQ(s0[0].second, s1[0].second);
  EXPECT_NE(s0[0].first, s1[0].first);
}

// start_epoch(e, k) gives exactly batches k, k+1, ... of the whole epoch e: how a run resumes.
TEST(Loader, ResumesMidEpoch) {
  auto data = std::make_shared<Numbered>(100);
  LoaderOptions options{.batch = 9, .drop_last = true, .workers = 0, .seed = 7};
  auto full = epoch_of(data, options, 5);
  ASSERT_EQ(full.size(), 11u);
  for (int64_t workers : {0, 3})
    for (int64_t first : {1, 6, 10, 11}) {
      options.workers = workers;
      auto rest = epoch_of(data, options, 5, first);
      EXPECT_EQ(rest, decltype(full)(full.begin() + first, full.end())) << "from batch " << first;
    }
  DataLoader loader(data, options);
  EXPECT_THROW(loader.start_epoch(5, 12), ValueError);
  EXPECT_THROW(loader.start_epoch(-1), ValueError);
}

TEST(Loader, WorkerErrorsReachTheCaller) {
  auto data = std::make_shared<Numbered>(40);
  data->fail_at = 21;
  for (int64_t workers : {0, 1, 3}) {
    SCOPED_TRACE(workers);
    DataLoader loader(data, {.batch = 5, .shuffle = false, .workers = workers});
    loader.start_epoch(0);
    Batch batch;
    int64_t good = 0;
    try {
      while (loader.next(batch)) ++good;
      ADD_FAILURE() << "no error";
    } catch (const IoError& e) {
      EXPECT_STREQ(e.what(), "[numbered] sample 21 is unreadable");
    }
    EXPECT_EQ(good, 4);  // index 21 is in batch 4
    EXPECT_FALSE(loader.next(batch));
    loader.start_epoch(0, 5);  // past the bad batch, the epoch goes on
    EXPECT_TRUE(loader.next(batch));
  }
  data->fail_at = -1;
  data->wrong_shape_at = 3;
  DataLoader loader(data, {.batch = 5, .workers = 2});
  loader.start_epoch(0);
  Batch batch;
  EXPECT_THROW(while (loader.next(batch)) {}, ShapeError);
}

// Workers make `prefetch` batches ahead of the caller and stop there, off the calling thread.
TEST(Loader, PrefetchesABoundedNumberOfBatches) {
  auto data = std::make_shared<Numbered>(200);
  DataLoader loader(data, {.batch = 10, .workers = 3, .prefetch = 4});
  loader.start_epoch(0);
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (data->calls < 40 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(1ms);
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(data->calls, 40);
  EXPECT_EQ(data->threads.count(std::this_thread::get_id()), 0u);
  Batch batch;
  ASSERT_TRUE(loader.next(batch));
  deadline = std::chrono::steady_clock::now() + 10s;
  while (data->calls < 50 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(1ms);
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(data->calls, 50);
}

TEST(Loader, StopsPromptlyMidEpoch) {
  auto data = std::make_shared<Numbered>(10000);
  data->delay = 2ms;
  auto start = std::chrono::steady_clock::now();
  {
    DataLoader loader(data, {.batch = 64, .workers = 3, .prefetch = 8});
    loader.start_epoch(0);
    Batch batch;
    ASSERT_TRUE(loader.next(batch));
    loader.start_epoch(1);  // ends epoch 0's workers mid-batch
    ASSERT_TRUE(loader.next(batch));
  }  // the destructor joins epoch 1's workers, mid-batch too
  // Two batches take about 2 * 64 * 2 ms / 3 workers; anything near a full epoch would be a hang.
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
}

TEST(Loader, CountsBatchesAndRefusesBadUse) {
  auto data = std::make_shared<Numbered>(50);
  EXPECT_EQ(DataLoader(data, {.batch = 8, .drop_last = true}).batches_per_epoch(), 6);
  EXPECT_EQ(DataLoader(data, {.batch = 8, .drop_last = false}).batches_per_epoch(), 7);
  EXPECT_EQ(DataLoader(data, {.batch = 64, .drop_last = true}).batches_per_epoch(), 0);
  EXPECT_THROW(DataLoader(data, {.batch = 0}), ValueError);
  EXPECT_THROW(DataLoader(data, {.workers = -1}), ValueError);
  EXPECT_THROW(DataLoader(data, {.prefetch = 0}), ValueError);
  EXPECT_THROW(DataLoader(nullptr, {}), ValueError);
  DataLoader loader(data, {.batch = 64, .drop_last = true});
  Batch batch;
  EXPECT_THROW(loader.next(batch), ValueError);
  loader.start_epoch(0);
  EXPECT_FALSE(loader.next(batch));
}

// Fashion-MNIST with its training augmentation: the same batches from 0 and 3 workers, and when resumed.
TEST(Loader, FashionMnistIsReproducible) {
  auto data = open_dataset("fashion-mnist", Split::Test, {.augment = true, .pad = 4, .flip = 0.5f});
  LoaderOptions options{.batch = 128, .workers = 0, .seed = 9};
  auto take = [&](int64_t workers, int64_t first, int64_t count) {
    options.workers = workers;
    DataLoader loader(data, options);
    loader.start_epoch(2, first);
    std::vector<std::vector<float>> batches;
    Batch batch;
    while (int64_t(batches.size()) < count && loader.next(batch)) batches.push_back(batch.images.to_vector());
    return batches;
  };
  auto want = take(0, 0, 3);
  ASSERT_EQ(want.size(), 3u);
  EXPECT_EQ(take(3, 0, 3), want);
  EXPECT_EQ(take(3, 1, 2), decltype(want)(want.begin() + 1, want.end()));
}

}  // namespace
}  // namespace lucid::data

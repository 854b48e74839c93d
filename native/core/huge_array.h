// Zero-filled arrays for large random-access storage (embedding rows, optimizer state). Above 2 MiB
// they are anonymous mappings aligned to 2 MiB with MADV_HUGEPAGE, so random row reads do not miss
// the TLB on every row when transparent huge pages are in "madvise" mode; below, plain calloc.
#pragma once
#include <cstddef>
#include <cstring>
#include <new>
#include <utility>

namespace reckit {

// Returns zeroed memory of `bytes` (nullptr for 0); throws std::bad_alloc.
void* huge_alloc_zeroed(size_t bytes);
void huge_free(void* data, size_t bytes);

template <typename T>
class HugeArray {
 public:
  HugeArray() = default;
  explicit HugeArray(size_t n) : data_(static_cast<T*>(huge_alloc_zeroed(n * sizeof(T)))), size_(n) {}
  ~HugeArray() { reset(); }
  HugeArray(HugeArray&& other) noexcept { swap(other); }
  HugeArray& operator=(HugeArray&& other) noexcept {
    HugeArray moved(std::move(other));
    swap(moved);
    return *this;
  }
  HugeArray(const HugeArray&) = delete;
  HugeArray& operator=(const HugeArray&) = delete;

  // A copy of n elements at `src`.
  static HugeArray copy_of(const T* src, size_t n) {
    HugeArray a(n);
    if (n) std::memcpy(a.data_, src, n * sizeof(T));
    return a;
  }

  T* data() { return data_; }
  const T* data() const { return data_; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  void reset() {
    huge_free(data_, size_ * sizeof(T));
    data_ = nullptr;
    size_ = 0;
  }
  void swap(HugeArray& other) noexcept {
    std::swap(data_, other.data_);
    std::swap(size_, other.size_);
  }

 private:
  T* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace reckit

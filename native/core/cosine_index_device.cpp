// CosineIndex on a CUDA device: the device copy of the scanned rows (a reckit_cuda index handle) and its
// life cycle. The copy is refreshed lazily: every add/upsert/remove bumps the index's generation, and the
// next device search re-uploads when the copy's generation differs. Keeping the device copy in sync on
// every mutation would need a device-side version of remove's swap-with-last and of upsert's in-place
// rewrite, and would upload once per small update; a lazy refresh is one code path and uploads once per
// burst of updates. The search itself is IndexSearch::run_device (cosine_index_search.cpp).
#include <string>

#include "core/cosine_index.h"
#include "core/cosine_index_device.h"
#include "core/cuda_loader.h"
#include "core/error.h"

namespace reckit {

CudaIndexMirror::~CudaIndexMirror() {
  if (handle) api->index_destroy(handle);
}

namespace {

int dtype_of(Storage s) {
  switch (s) {
    case Storage::F32: return RECKIT_CUDA_DTYPE_F32;
    case Storage::BF16: return RECKIT_CUDA_DTYPE_BF16;
    case Storage::F16: return RECKIT_CUDA_DTYPE_F16;
    case Storage::I8: return RECKIT_CUDA_DTYPE_I8;
  }
  return RECKIT_CUDA_DTYPE_F32;
}

}  // namespace

void CosineIndex::set_device(Device device) {
  std::unique_lock<std::shared_mutex> lock(mutex_);
  check_alive();
  if (device == Device::Cuda) {
    require(cuda_api() != nullptr, ErrorCode::NoDevice, "CUDA is not available: " + cuda_status().reason);
  }
  on_cuda_ = device == Device::Cuda;
  std::lock_guard<std::mutex> device_lock(device_mutex_);
  if (!on_cuda_) mirror_.reset();  // frees the device memory now
}

size_t CosineIndex::device_bytes() const {
  std::lock_guard<std::mutex> lock(device_mutex_);
  return mirror_ ? mirror_->api->index_bytes(mirror_->handle) : 0;
}

std::shared_ptr<CudaIndexMirror> CosineIndex::device_mirror() const {
  std::lock_guard<std::mutex> lock(device_mutex_);
  if (mirror_ && mirror_->generation == generation_) return mirror_;
  mirror_.reset();  // the stale copy goes first, so the new one has the device memory to itself
  const CudaApi* api = cuda_api();
  require(api != nullptr, ErrorCode::NoDevice, "CUDA is not available: " + cuda_status().reason);
  auto mirror = std::make_shared<CudaIndexMirror>();
  mirror->api = api;
  mirror->generation = generation_;
  char message[512] = {0};
  const int status = api->index_create(rows_ ? store_.data() : nullptr, rows_, dp_, config_.dim,
                                       dtype_of(config_.storage),
                                       config_.storage == Storage::I8 ? scales_.data() : nullptr, row_ids_.data(),
                                       &mirror->handle, message, sizeof message);
  if (status != RECKIT_CUDA_OK) raise_cuda_status(status, message);
  mirror_ = mirror;
  return mirror;
}

void CosineIndex::drop_device() const {
  on_cuda_ = false;
  std::lock_guard<std::mutex> lock(device_mutex_);
  mirror_.reset();
}

}  // namespace reckit

// Finds and dlopen()s the optional reckit_cuda library beside the addon, once, and says why CUDA is
// not usable when it is not (no library built, no driver, no device, ABI mismatch).
#pragma once
#include <string>

#include "cuda/cuda_abi.h"

namespace reckit {

struct CudaApi {
  reckit_cuda_probe_fn probe = nullptr;
  reckit_cuda_philox_uniform_fn philox_uniform = nullptr;
  reckit_cuda_describe_fn describe = nullptr;
  reckit_cuda_topk_f32_fn topk_f32 = nullptr;
  reckit_cuda_embedding_bag_fn embedding_bag = nullptr;
  reckit_cuda_embedding_bag_backward_fn embedding_bag_backward = nullptr;
  reckit_cuda_embedding_sparse_step_fn embedding_sparse_step = nullptr;
  reckit_cuda_gemm_f32_fn gemm_f32 = nullptr;
  reckit_cuda_loss_f32_fn loss_f32 = nullptr;
  reckit_cuda_adam_f32_fn adam_f32 = nullptr;
  // index: the device-resident CosineIndex
  reckit_cuda_index_create_fn index_create = nullptr;
  reckit_cuda_index_destroy_fn index_destroy = nullptr;
  reckit_cuda_index_search_fn index_search = nullptr;
  reckit_cuda_index_bytes_fn index_bytes = nullptr;
  // tables and models (device-resident objects)
  reckit_cuda_table_create_fn table_create = nullptr;
  reckit_cuda_table_destroy_fn table_destroy = nullptr;
  reckit_cuda_table_bytes_fn table_bytes = nullptr;
  reckit_cuda_table_write_fn table_write = nullptr;
  reckit_cuda_table_set_state_fn table_set_state = nullptr;
  reckit_cuda_table_read_fn table_read = nullptr;
  reckit_cuda_table_read_rows_fn table_read_rows = nullptr;
  reckit_cuda_table_bag_fn table_bag = nullptr;
  reckit_cuda_table_backward_fn table_backward = nullptr;
  reckit_cuda_table_step_fn table_step = nullptr;
  reckit_cuda_mlp_create_fn mlp_create = nullptr;
  reckit_cuda_mlp_destroy_fn mlp_destroy = nullptr;
  reckit_cuda_mlp_set_state_fn mlp_set_state = nullptr;
  reckit_cuda_mlp_read_fn mlp_read = nullptr;
  reckit_cuda_mlp_train_batch_fn mlp_train_batch = nullptr;
  reckit_cuda_mlp_write_fn mlp_write = nullptr;
  reckit_cuda_mlp_read_gradients_fn mlp_read_gradients = nullptr;
  reckit_cuda_mlp_forward_fn mlp_forward = nullptr;
  reckit_cuda_mlp_predict_fn mlp_predict = nullptr;
  reckit_cuda_mlp_backward_fn mlp_backward = nullptr;
  reckit_cuda_mlp_step_fn mlp_step = nullptr;
  reckit_cuda_gan_create_fn gan_create = nullptr;
  reckit_cuda_gan_destroy_fn gan_destroy = nullptr;
  reckit_cuda_gan_set_state_fn gan_set_state = nullptr;
  reckit_cuda_gan_read_fn gan_read = nullptr;
  reckit_cuda_gan_d_step_fn gan_d_step = nullptr;
  reckit_cuda_gan_g_step_fn gan_g_step = nullptr;
  reckit_cuda_cfgan_create_fn cfgan_create = nullptr;
  reckit_cuda_cfgan_destroy_fn cfgan_destroy = nullptr;
  reckit_cuda_cfgan_read_fn cfgan_read = nullptr;
  reckit_cuda_cfgan_d_step_fn cfgan_d_step = nullptr;
  reckit_cuda_cfgan_g_step_fn cfgan_g_step = nullptr;
};

struct CudaStatus {
  bool library_loaded = false;  // reckit_cuda was found and has the expected ABI
  bool available = false;       // and a device can be used
  int devices = 0;
  std::string library_path;     // where it was looked for / found
  std::string reason;           // why not available ("" when available)
  std::string backend;          // "cuda", or "emulated" for the test build of the library ("" when not loaded)
  std::string device;           // device 0's name when available
};

const CudaStatus& cuda_status();
// The loaded entry points, or nullptr when CUDA is not available.
const CudaApi* cuda_api();

// Throws the reckit::Error matching a reckit_cuda status with the library's message: no device -> NoDevice,
// out of memory -> OutOfMemory, invalid -> InvalidArg, anything else -> Internal. RECKIT_CUDA_OK returns.
void raise_cuda_status(int status, const char* message);

}  // namespace reckit

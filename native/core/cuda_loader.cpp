// dlopen-based loader for reckit_cuda. The addon never links CUDA, so it loads on any machine.
#include "core/cuda_loader.h"

#include "core/error.h"

#include <cstdlib>
#include <type_traits>

#if !defined(_WIN32)
#include <dlfcn.h>
#endif

namespace reckit {
namespace {

struct Loaded {
  CudaStatus status;
  CudaApi api;
};

#if !defined(_WIN32)
std::string addon_directory() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&cuda_status), &info) && info.dli_fname) {
    std::string path = info.dli_fname;
    const size_t slash = path.find_last_of('/');
    return slash == std::string::npos ? std::string(".") : path.substr(0, slash);
  }
  return ".";
}

Loaded load() {
  Loaded loaded;
  CudaStatus& s = loaded.status;
#if defined(__APPLE__)
  const char* file_name = "reckit_cuda.dylib";
#else
  const char* file_name = "reckit_cuda.so";
#endif
  const char* override_path = std::getenv("RECKIT_CUDA_LIBRARY");
  s.library_path = override_path && *override_path ? override_path : addon_directory() + "/" + file_name;
  void* handle = dlopen(s.library_path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char* why = dlerror();
    s.reason = "reckit was built without CUDA: no CUDA library at " + s.library_path +
               " (build with RECKIT_CUDA=1 npm install)" + (why ? std::string("; dlopen: ") + why : "");
    return loaded;
  }
  auto version = reinterpret_cast<reckit_cuda_abi_version_fn>(dlsym(handle, "reckit_cuda_abi_version"));
  loaded.api.probe = reinterpret_cast<reckit_cuda_probe_fn>(dlsym(handle, "reckit_cuda_probe"));
  loaded.api.philox_uniform = reinterpret_cast<reckit_cuda_philox_uniform_fn>(dlsym(handle, "reckit_cuda_philox_uniform"));
  loaded.api.describe = reinterpret_cast<reckit_cuda_describe_fn>(dlsym(handle, "reckit_cuda_describe"));
  loaded.api.topk_f32 = reinterpret_cast<reckit_cuda_topk_f32_fn>(dlsym(handle, "reckit_cuda_topk_f32"));
  loaded.api.embedding_bag = reinterpret_cast<reckit_cuda_embedding_bag_fn>(dlsym(handle, "reckit_cuda_embedding_bag"));
  loaded.api.embedding_bag_backward = reinterpret_cast<reckit_cuda_embedding_bag_backward_fn>(
      dlsym(handle, "reckit_cuda_embedding_bag_backward"));
  loaded.api.embedding_sparse_step = reinterpret_cast<reckit_cuda_embedding_sparse_step_fn>(
      dlsym(handle, "reckit_cuda_embedding_sparse_step"));
  loaded.api.gemm_f32 = reinterpret_cast<reckit_cuda_gemm_f32_fn>(dlsym(handle, "reckit_cuda_gemm_f32"));
  loaded.api.loss_f32 = reinterpret_cast<reckit_cuda_loss_f32_fn>(dlsym(handle, "reckit_cuda_loss_f32"));
  loaded.api.adam_f32 = reinterpret_cast<reckit_cuda_adam_f32_fn>(dlsym(handle, "reckit_cuda_adam_f32"));
  // index, tables and models: each symbol must be present, or the library is another build's
  bool handles_complete = true;
  auto handle_symbol = [&](auto& slot, const char* name) {
    slot = reinterpret_cast<std::remove_reference_t<decltype(slot)>>(dlsym(handle, name));
    if (!slot) handles_complete = false;
  };
  handle_symbol(loaded.api.index_create, "reckit_cuda_index_create");
  handle_symbol(loaded.api.index_destroy, "reckit_cuda_index_destroy");
  handle_symbol(loaded.api.index_search, "reckit_cuda_index_search");
  handle_symbol(loaded.api.index_bytes, "reckit_cuda_index_bytes");
  handle_symbol(loaded.api.table_create, "reckit_cuda_table_create");
  handle_symbol(loaded.api.table_destroy, "reckit_cuda_table_destroy");
  handle_symbol(loaded.api.table_bytes, "reckit_cuda_table_bytes");
  handle_symbol(loaded.api.table_write, "reckit_cuda_table_write");
  handle_symbol(loaded.api.table_set_state, "reckit_cuda_table_set_state");
  handle_symbol(loaded.api.table_read, "reckit_cuda_table_read");
  handle_symbol(loaded.api.table_read_rows, "reckit_cuda_table_read_rows");
  handle_symbol(loaded.api.table_bag, "reckit_cuda_table_bag");
  handle_symbol(loaded.api.table_backward, "reckit_cuda_table_backward");
  handle_symbol(loaded.api.table_step, "reckit_cuda_table_step");
  handle_symbol(loaded.api.mlp_create, "reckit_cuda_mlp_create");
  handle_symbol(loaded.api.mlp_destroy, "reckit_cuda_mlp_destroy");
  handle_symbol(loaded.api.mlp_set_state, "reckit_cuda_mlp_set_state");
  handle_symbol(loaded.api.mlp_read, "reckit_cuda_mlp_read");
  handle_symbol(loaded.api.mlp_train_batch, "reckit_cuda_mlp_train_batch");
  handle_symbol(loaded.api.mlp_write, "reckit_cuda_mlp_write");
  handle_symbol(loaded.api.mlp_read_gradients, "reckit_cuda_mlp_read_gradients");
  handle_symbol(loaded.api.mlp_forward, "reckit_cuda_mlp_forward");
  handle_symbol(loaded.api.mlp_predict, "reckit_cuda_mlp_predict");
  handle_symbol(loaded.api.mlp_backward, "reckit_cuda_mlp_backward");
  handle_symbol(loaded.api.mlp_step, "reckit_cuda_mlp_step");
  handle_symbol(loaded.api.gan_create, "reckit_cuda_gan_create");
  handle_symbol(loaded.api.gan_destroy, "reckit_cuda_gan_destroy");
  handle_symbol(loaded.api.gan_set_state, "reckit_cuda_gan_set_state");
  handle_symbol(loaded.api.gan_read, "reckit_cuda_gan_read");
  handle_symbol(loaded.api.gan_d_step, "reckit_cuda_gan_d_step");
  handle_symbol(loaded.api.gan_g_step, "reckit_cuda_gan_g_step");
  handle_symbol(loaded.api.cfgan_create, "reckit_cuda_cfgan_create");
  handle_symbol(loaded.api.cfgan_destroy, "reckit_cuda_cfgan_destroy");
  handle_symbol(loaded.api.cfgan_read, "reckit_cuda_cfgan_read");
  handle_symbol(loaded.api.cfgan_d_step, "reckit_cuda_cfgan_d_step");
  handle_symbol(loaded.api.cfgan_g_step, "reckit_cuda_cfgan_g_step");
  // The version is checked first: an older library may lack the newer entry points.
  if (!version || version() != RECKIT_CUDA_ABI_VERSION || !loaded.api.probe || !loaded.api.philox_uniform ||
      !loaded.api.describe || !loaded.api.topk_f32 || !loaded.api.embedding_bag || !loaded.api.embedding_bag_backward ||
      !loaded.api.embedding_sparse_step || !loaded.api.gemm_f32 || !loaded.api.loss_f32 || !loaded.api.adam_f32 ||
      !handles_complete) {
    s.reason = "the CUDA library at " + s.library_path + " does not match this addon (rebuild both)";
    loaded.api = CudaApi{};
    return loaded;  // handle stays open: harmless, and closing could run foreign destructors
  }
  s.library_loaded = true;
  char backend[64] = {0}, device[256] = {0};
  loaded.api.describe(backend, sizeof backend, device, sizeof device);
  s.backend = backend;
  char message[512] = {0};
  const int status = loaded.api.probe(&s.devices, message, sizeof message);
  if (status != RECKIT_CUDA_OK) {
    // Tell "no driver at all" apart from "driver too old" / "no device": the runtime reports both alike.
    void* driver = dlopen("libcuda.so.1", RTLD_LAZY | RTLD_LOCAL);
    if (!driver) {
      s.reason = std::string("no NVIDIA driver installed (libcuda.so.1 not found); the CUDA runtime says: ") + message;
    } else {
      dlclose(driver);
      s.reason = std::string("no usable CUDA device: ") + message;
    }
    loaded.api = CudaApi{};
    return loaded;
  }
  s.available = true;
  s.device = device;
  return loaded;
}
#else
Loaded load() {
  Loaded loaded;
  loaded.status.reason = "the CUDA backend is not supported on Windows builds yet";
  return loaded;
}
#endif

const Loaded& loaded() {
  static const Loaded once = load();
  return once;
}

}  // namespace

const CudaStatus& cuda_status() { return loaded().status; }

const CudaApi* cuda_api() { return loaded().status.available ? &loaded().api : nullptr; }

void raise_cuda_status(int status, const char* message) {
  switch (status) {
    case RECKIT_CUDA_OK: return;
    case RECKIT_CUDA_NO_DEVICE: fail(ErrorCode::NoDevice, std::string("CUDA: ") + message);
    case RECKIT_CUDA_OUT_OF_MEMORY: fail(ErrorCode::OutOfMemory, std::string("CUDA: ") + message);
    case RECKIT_CUDA_INVALID: fail(ErrorCode::InvalidArg, std::string("CUDA: ") + message);
    default: fail(ErrorCode::Internal, std::string("CUDA: ") + message);
  }
}

}  // namespace reckit

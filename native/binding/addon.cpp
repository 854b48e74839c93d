// Module entry point. Node-API addons are context-aware: nothing here is static JS state, so the
// addon loads in the main thread and in any number of worker_threads at once.
#include <napi.h>

#include "binding/registry.h"

namespace {

Napi::Object init(Napi::Env env, Napi::Object exports) {
  using namespace reckit::binding;
  register_info(env, exports);
  register_vector_ops(env, exports);
  register_random(env, exports);
  register_cosine_index(env, exports);
  register_safetensors(env, exports);
  register_probe(env, exports);
  register_mlp(env, exports);
  register_gan(env, exports);
  register_gan_spans(env, exports);
  register_cfgan(env, exports);
  register_gemm(env, exports);
  register_embedding_table(env, exports);
  register_recsys(env, exports);
  register_cuda(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(reckit, init)

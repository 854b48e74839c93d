// Each binding file exports one registration function; addon.cpp calls them all at module init.
#pragma once
#include <napi.h>

namespace reckit::binding {

void register_info(Napi::Env env, Napi::Object exports);
void register_vector_ops(Napi::Env env, Napi::Object exports);
void register_random(Napi::Env env, Napi::Object exports);
void register_cosine_index(Napi::Env env, Napi::Object exports);
void register_safetensors(Napi::Env env, Napi::Object exports);
void register_probe(Napi::Env env, Napi::Object exports);
void register_mlp(Napi::Env env, Napi::Object exports);
void register_gan(Napi::Env env, Napi::Object exports);
void register_gan_spans(Napi::Env env, Napi::Object exports);
void register_cfgan(Napi::Env env, Napi::Object exports);
void register_gemm(Napi::Env env, Napi::Object exports);
void register_embedding_table(Napi::Env env, Napi::Object exports);
void register_recsys(Napi::Env env, Napi::Object exports);
void register_cuda(Napi::Env env, Napi::Object exports);

}  // namespace reckit::binding

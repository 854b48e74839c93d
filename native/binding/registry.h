// Each binding file exports one registration function; addon.cpp calls them all at module init.
#pragma once
#include <napi.h>

namespace reckit::binding {

void register_info(Napi::Env env, Napi::Object exports);
void register_vector_ops(Napi::Env env, Napi::Object exports);
void register_random(Napi::Env env, Napi::Object exports);
void register_safetensors(Napi::Env env, Napi::Object exports);
void register_probe(Napi::Env env, Napi::Object exports);
void register_embedding_table(Napi::Env env, Napi::Object exports);

}  // namespace reckit::binding

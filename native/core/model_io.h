// Saving and loading Mlp and Gan models as safetensors (core/safetensors.h): parameters, optimizer
// state (Adam moments and step count, SGD velocity) and, for Gan, the training counters, so a loaded
// model resumes training exactly where the saved one stopped. Layout: "<prefix>layers.<l>.weight"
// [in, out], "<prefix>layers.<l>.bias" [out], "<prefix>optimizer.adam_m|adam_v|velocity" [count];
// the architecture is JSON in __metadata__. Anything inconsistent is ERR_RECKIT_CORRUPT_FILE.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/gan.h"
#include "core/mlp.h"

namespace reckit {

std::vector<uint8_t> mlp_to_buffer(const Mlp& mlp);
void mlp_save(const Mlp& mlp, const std::string& path);
std::unique_ptr<Mlp> mlp_from_buffer(const uint8_t* data, size_t size);
std::unique_ptr<Mlp> mlp_load(const std::string& path);

std::vector<uint8_t> gan_to_buffer(const Gan& gan);
void gan_save(const Gan& gan, const std::string& path);
std::unique_ptr<Gan> gan_from_buffer(const uint8_t* data, size_t size);
std::unique_ptr<Gan> gan_load(const std::string& path);

}  // namespace reckit

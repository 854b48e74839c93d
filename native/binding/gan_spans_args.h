// Readers and writers for the Gan's output-span layout and condition links (shared by the Gan handle
// and the standalone span functions that the tests check against finite differences).
#pragma once
#include <napi.h>

#include <vector>

#include "core/gan_spans.h"

namespace reckit::binding {

// [{ kind, width, start? }, ...]: starts follow from the widths (a given start must match).
std::vector<OutputSpan> spans_arg(const Napi::Value& value, const char* name);
// [{ conditionStart, dataStart, width }, ...]
std::vector<ConditionLink> links_arg(const Napi::Value& value, const char* name);
Napi::Array spans_to_js(Napi::Env env, const std::vector<OutputSpan>& spans);
Napi::Array links_to_js(Napi::Env env, const std::vector<ConditionLink>& links);

}  // namespace reckit::binding

// Access to the core EmbeddingTable behind a JS EmbeddingTable object, for other bindings (e.g. a
// CosineIndex built from a table's rows without a JS copy). Checks the object's type tag first.
#pragma once
#include <napi.h>

#include <memory>

#include "core/embedding_table.h"

namespace reckit::binding {

// The table behind `value` (a native EmbeddingTable object); throws ERR_RECKIT_INVALID_ARG otherwise.
// Read its rows with table->read_view(), which holds the table's read lock while the view lives.
std::shared_ptr<EmbeddingTable> embedding_table_from_js(const Napi::Value& value, const char* name);

}  // namespace reckit::binding

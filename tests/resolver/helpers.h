// Shared helpers of the resolver tests.
#pragma once

#include <string>
#include <vector>

#include "resolver/inventory.h"
#include "schema/entry.h"

namespace qcfg::test {

// Entries of a quant_cfg written in YAML, loaded through the real pipeline (the sources stay
// alive for the whole test run).
std::vector<QuantizerEntry> entries_from_yaml(const std::string& yaml);

// A fresh temporary directory.
std::string temp_dir(const std::string& tag);

void write_file(const std::string& path, const std::string& content);

// Inventory quantizer with a name and parent.
resolver::InventoryQuantizer iq(const std::string& name, const char* parent = nullptr);

}  // namespace qcfg::test

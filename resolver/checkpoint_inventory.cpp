// Deriving ModelOpt quantizer names from checkpoint tensor names (the choices are listed at
// inventory_from_tensors).
#include "resolver/checkpoint_inventory.h"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string_view>
#include <unordered_map>

#include "checkpoint/hf_names.h"
#include "checkpoint/name_hash.h"
#include "checkpoint/tensor_records.h"

namespace qcfg::resolver {
namespace {

using checkpoint::CheckpointConfig;
using checkpoint::FusedExpertRule;
using checkpoint::TensorRecord;

// The last dotted segment of a module name, as split_last cuts it, without a copy.
std::string_view leaf(std::string_view module) {
  const size_t dot = module.rfind('.');
  return dot == std::string_view::npos ? module : module.substr(dot + 1);
}

// The module name before the last dot, as split_last cuts it ("" without a dot).
std::string_view parent_of(std::string_view module) {
  const size_t dot = module.rfind('.');
  return dot == std::string_view::npos ? std::string_view() : module.substr(0, dot);
}

bool contains(std::span<const std::string_view> set, std::string_view s) {
  return std::find(set.begin(), set.end(), s) != set.end();
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Names cut at their dots into segments, each distinct segment's rank, digit-ness and id (equal
// ids: equal text) worked out once: sorting compares each name ~17 times on DeepSeek-V3 (90k
// tensors), and re-cutting and re-ranking at every comparison took most of the time of reading
// its checkpoint. Name i's segment ids are ids[at[i]..at[i + 1]), in one array.
struct Segment {
  std::string_view text;
  int rank;
  bool digits;
};

struct CutNames {
  std::vector<Segment> segments;  // by id
  std::vector<uint32_t> ids;
  std::vector<size_t> at{0};
  std::vector<size_t> size;  // of each name
};

// The length of the longest common prefix of a and b, 8 bytes at a time.
size_t common_prefix(std::string_view a, std::string_view b) {
  static_assert(std::endian::native == std::endian::little, "byte 0 is the lowest");
  const size_t n = std::min(a.size(), b.size());
  size_t i = 0;
  for (uint64_t x, y; i + 8 <= n; i += 8) {
    std::memcpy(&x, a.data() + i, 8);
    std::memcpy(&y, b.data() + i, 8);
    if (x != y) return i + static_cast<size_t>(__builtin_ctzll(x ^ y)) / 8;
  }
  while (i < n && a[i] == b[i]) ++i;
  return i;
}

// Distinct segments are few (a few hundred on DeepSeek-V3's 720k): each is ranked once.
CutNames cut_names(const std::vector<TensorRecord>& tensors) {
  CutNames c;
  checkpoint::NameIndex id_of;
  c.at.reserve(tensors.size() + 1);
  c.size.reserve(tensors.size());
  c.ids.reserve(8 * tensors.size());
  size_t previous = 0;  // where the previous name's ids start
  std::string_view previous_name;
  std::vector<size_t> ends, previous_ends;  // where each segment of the name ends
  for (const TensorRecord& t : tensors) {
    const std::string_view name = t.name;
    const size_t start = c.ids.size(), previous_count = start - previous;
    // Neighbours (in order within a shard) share most segments: a segment that ends at a dot
    // inside the common prefix of the two names is the previous name's segment at the same
    // place (the dots before it are the same), whose id is taken without scanning, comparing or
    // hashing its text; a later one equal to the previous name's at the same place, compared
    // before it is hashed, as well (`experts.7.up_proj` after `experts.6.up_proj`).
    const size_t common = common_prefix(name, previous_name);
    ends.clear();
    size_t i = 0, k = 0;
    for (; k < previous_count && previous_ends[k] < common; ++k) {
      c.ids.push_back(c.ids[previous + k]);
      ends.push_back(previous_ends[k]);
      i = previous_ends[k] + 1;
    }
    for (; i < name.size(); ++k) {
      const size_t end = std::min(name.find('.', i), name.size());
      const std::string_view seg = name.substr(i, end - i);
      ends.push_back(end);
      i = end + 1;
      if (k < previous_count) {
        const size_t from = k == 0 ? 0 : previous_ends[k - 1] + 1;
        if (previous_name.substr(from, previous_ends[k] - from) == seg) {
          c.ids.push_back(c.ids[previous + k]);
          continue;
        }
      }
      const auto [id, fresh] = id_of.try_emplace(seg, static_cast<uint32_t>(c.segments.size()));
      if (fresh) c.segments.push_back({seg, checkpoint::registration_rank(seg), all_digits(seg)});
      c.ids.push_back(id);
    }
    previous = start;
    previous_name = name;
    previous_ends.swap(ends);
    c.at.push_back(c.ids.size());
    c.size.push_back(name.size());
  }
  return c;
}

// Two different segments in order: numbers by value, known module names by their registration
// rank, others alphabetically.
bool segment_less(const Segment& a, const Segment& b) {
  if (a.digits && b.digits)
    return a.text.size() != b.text.size() ? a.text.size() < b.text.size() : a.text < b.text;
  return a.rank != b.rank ? a.rank < b.rank : a.text < b.text;
}

// Names x and y by their dotted segments in order (segment_less); a name that is a prefix of
// another first.
bool natural_less(const CutNames& c, size_t x, size_t y) {
  const size_t n = std::min(c.at[x + 1] - c.at[x], c.at[y + 1] - c.at[y]);
  for (size_t k = 0; k < n; ++k) {
    const uint32_t a = c.ids[c.at[x] + k], b = c.ids[c.at[y] + k];
    if (a == b) continue;
    return segment_less(c.segments[a], c.segments[b]);
  }
  return c.size[x] < c.size[y];
}

// Each distinct segment's place among all of them (by segment id), when segment_less orders them
// totally: then comparing two names' ordinals answers every comparison exactly as natural_less
// does, so the sort gives the same order. Empty when it does not (a number and a name of one rank
// can compare around each other: "9" < "10" < "1a" < "9") or the segments are too many to check.
std::vector<uint32_t> segment_ordinals(const std::vector<Segment>& segments) {
  constexpr size_t kMaxChecked = 4096;  // all pairs are checked: n^2 / 2 comparisons
  if (segments.size() > kMaxChecked) return {};
  std::vector<uint32_t> sorted(segments.size());
  for (size_t k = 0; k < sorted.size(); ++k) sorted[k] = static_cast<uint32_t>(k);
  const auto less = [&](uint32_t a, uint32_t b) { return segment_less(segments[a], segments[b]); };
  std::sort(sorted.begin(), sorted.end(), less);
  for (size_t i = 0; i < sorted.size(); ++i)
    for (size_t j = i + 1; j < sorted.size(); ++j)
      if (!less(sorted[i], sorted[j]) || less(sorted[j], sorted[i])) return {};
  std::vector<uint32_t> ordinal(segments.size());
  for (size_t i = 0; i < sorted.size(); ++i) ordinal[sorted[i]] = static_cast<uint32_t>(i);
  return ordinal;
}

// The same order (c.ids already ordinals) when every name has at most 8 segments, there are
// fewer than 65535 distinct ones and names are shorter than 64 KiB (every checkpoint seen): each
// name's key is its ordinals + 1, 0 where a shorter name has ended (a prefix first), then its
// length, as natural_less; the keys are sorted by stable counting passes from the last digit to
// the first (LSD radix), each over at most 65536 buckets, a pass skipped where every name has
// the same digit. Distinct names have distinct keys, so the order is the comparison sort's;
// linear where comparing 24-byte keys took ~600 instructions a name on DeepSeek-V3.
std::optional<std::vector<size_t>> packed_order(const CutNames& c, size_t distinct) {
  constexpr size_t kSegments = 8, kDigits = kSegments + 1;  // the length last
  if (distinct >= 0xFFFF) return std::nullopt;
  const size_t n = c.size.size();
  if (n > UINT32_MAX) return std::nullopt;
  std::vector<uint16_t> digits(n * kDigits, 0);  // name x's digit k at x * kDigits + k
  size_t buckets = distinct + 1;
  for (size_t x = 0; x < n; ++x) {
    const size_t count = c.at[x + 1] - c.at[x];
    if (count > kSegments || c.size[x] > 0xFFFF) return std::nullopt;
    uint16_t* d = &digits[x * kDigits];
    for (size_t k = 0; k < count; ++k) d[k] = static_cast<uint16_t>(c.ids[c.at[x] + k] + 1);
    d[kSegments] = static_cast<uint16_t>(c.size[x]);
    buckets = std::max(buckets, c.size[x] + 1);
  }
  std::vector<uint32_t> perm(n), next(n), start(buckets + 1);
  for (size_t x = 0; x < n; ++x) perm[x] = static_cast<uint32_t>(x);
  for (size_t k = kDigits; k-- > 0;) {
    std::fill(start.begin(), start.end(), 0);
    for (uint32_t x : perm) ++start[digits[x * kDigits + k] + 1];
    if (std::find(start.begin(), start.end(), n) != start.end()) continue;  // one digit for all
    for (size_t b = 1; b <= buckets; ++b) start[b] += start[b - 1];
    for (uint32_t x : perm) next[start[digits[x * kDigits + k]]++] = x;
    perm.swap(next);
  }
  return std::vector<size_t>(perm.begin(), perm.end());
}

// The order of the names: their segment ordinals compared as integer sequences (a prefix first:
// the name with fewer segments), then by length as natural_less (`a` before `a.`, whose last
// empty segment is not kept); natural_less itself when there are no ordinals.
std::vector<size_t> natural_order(CutNames& c) {
  std::vector<size_t> order(c.size.size());
  for (size_t k = 0; k < order.size(); ++k) order[k] = k;
  const std::vector<uint32_t> ordinal = segment_ordinals(c.segments);
  if (ordinal.empty()) {
    std::sort(order.begin(), order.end(),
              [&](size_t x, size_t y) { return natural_less(c, x, y); });
    return order;
  }
  for (uint32_t& id : c.ids) id = ordinal[id];
  if (std::optional<std::vector<size_t>> packed = packed_order(c, ordinal.size())) return *packed;
  const uint32_t* f = c.ids.data();
  const size_t* at = c.at.data();
  std::sort(order.begin(), order.end(), [&](size_t x, size_t y) {
    const auto [ix, iy] = std::mismatch(f + at[x], f + at[x + 1], f + at[y], f + at[y + 1]);
    if (ix != f + at[x + 1] && iy != f + at[y + 1]) return *ix < *iy;
    return c.size[x] < c.size[y];
  });
  return order;
}

// The tensors' natural order, as indices: the records (~150 bytes each) are read in that order
// where they lie instead of being moved into a sorted copy.
std::vector<size_t> natural_order_of(const std::vector<TensorRecord>& tensors) {
  CutNames cut = cut_names(tensors);
  return natural_order(cut);
}

// A module's weights: one as a rule, kept inline (a vector each was 45k allocations on
// DeepSeek-V3); a grouped module's further ones in `rest_`.
class Weights {
 public:
  bool empty() const { return first_ == nullptr; }
  size_t size() const { return empty() ? 0 : 1 + rest_.size(); }
  const TensorRecord* operator[](size_t k) const { return k == 0 ? first_ : rest_[k - 1]; }
  void push_back(const TensorRecord* t) {
    if (first_ == nullptr) {
      first_ = t;
    } else {
      rest_.push_back(t);
    }
  }

 private:
  const TensorRecord* first_ = nullptr;
  std::vector<const TensorRecord*> rest_;
};

struct ModuleTensors {
  std::string_view name;  // a view of its tensors' names
  // `weight`, or `weight0..N` of a grouped module; taken into the weight quantizer (derive).
  Weights weights;
  bool grouped = false;
  bool has_bias = false;
  bool has_running_stats = false;
  std::vector<const TensorRecord*> fused_experts;  // 3-D [E, ...] parameters of an experts module
};

bool is_fused_expert_param(std::string_view module, std::string_view param, const TensorRecord& t) {
  const size_t dot = module.rfind('.');
  const std::string_view leaf = dot == std::string_view::npos ? module : module.substr(dot + 1);
  return leaf == "experts" && checkpoint::is_fused_expert_param(param) && t.rank == 3;
}

// Module and parameter of a tensor name, as split_last cuts them, without copies.
std::pair<std::string_view, std::string_view> module_and_param(std::string_view name) {
  const size_t dot = name.rfind('.');
  if (dot == std::string_view::npos) return {std::string_view(), name};
  return {name.substr(0, dot), name.substr(dot + 1)};
}

// The modules in order of first tensor (tensors taken in `order`); the index hashes views of the
// tensor names (`tensors` is not resized while it is used), which are copied once per module.
std::vector<ModuleTensors> group_by_module(const std::vector<TensorRecord>& tensors,
                                           const std::vector<size_t>& order) {
  std::vector<ModuleTensors> modules;
  modules.reserve(order.size());  // at most one per tensor; pages are touched only as filled
  checkpoint::NameIndex index(tensors.size());
  std::string_view previous;
  size_t previous_at = 0;
  for (size_t k : order) {
    const TensorRecord& t = tensors[k];
    auto [module, param] = module_and_param(t.name);
    // A module's tensors mostly follow one another (`X.weight`, `X.weight_scale_inv`): the
    // previous tensor's module is compared before the hash is asked.
    if (modules.empty() || module != previous) {
      const auto [at, fresh] = index.try_emplace(module, static_cast<uint32_t>(modules.size()));
      if (fresh) {
        modules.emplace_back();
        modules.back().name = module;
      }
      previous = module;
      previous_at = at;
    }
    ModuleTensors& m = modules[previous_at];
    if (checkpoint::is_weight_param(param)) {
      m.weights.push_back(&t);
      m.grouped = m.grouped || param != "weight";
    } else if (param == "bias") {
      m.has_bias = true;
    } else if (param == "running_mean" || param == "running_var") {
      m.has_running_stats = true;
    } else if (is_fused_expert_param(module, param, t)) {
      m.fused_experts.push_back(&t);
    }
  }
  return modules;
}

// Per-expert checkpoint weights regrouped as transformers >= 5 fuses them (expert_layout.h):
// experts module -> fused parameter -> expert -> row blocks (part, tensor).
using FusedParts = std::map<int, const TensorRecord*>;
using FusedBlock = std::map<std::string, std::map<int64_t, FusedParts>>;

class Deriver {
 public:
  Deriver(const std::optional<CheckpointConfig>& config, Inventory& inv,
          const FusedExpertRule* fused)
      : config_(config), inv_(inv), fused_(fused) {
    if (config_) prefix_ = architecture_prefix(config_->architecture);
  }

  void run(const std::vector<ModuleTensors>& modules) {
    conv_model_ = std::any_of(modules.begin(), modules.end(), [](const ModuleTensors& m) {
      return !m.weights.empty() && m.weights[0]->rank == 4;
    });
    if (fused_) collect_fused_experts(modules);
    inv_.quantizers.reserve(3 * modules.size());  // most modules are linears: 3 quantizers
    inv_.modules.reserve(modules.size());
    for (const ModuleTensors& m : modules) derive(m);
    add_attention_quantizers();
  }

 private:
  static std::string architecture_prefix(std::string arch) {
    for (std::string_view suffix : {"ForCausalLM", "ForConditionalGeneration", "LMHeadModel",
                                    "ForSequenceClassification", "Model"}) {
      if (arch.size() > suffix.size() &&
          arch.compare(arch.size() - suffix.size(), suffix.size(), suffix) == 0)
        return arch.substr(0, arch.size() - suffix.size());
    }
    return arch;
  }

  std::string classify_2d(const ModuleTensors& m) const {
    static constexpr std::string_view heads[] = {"lm_head", "embed_out", "output", "classifier",
                                                 "score"};
    static constexpr std::string_view embeddings[] = {"embed_tokens",
                                                      "wte",
                                                      "wpe",
                                                      "word_embeddings",
                                                      "embed_in",
                                                      "tok_embeddings",
                                                      "embed_positions",
                                                      "position_embeddings",
                                                      "token_type_embeddings",
                                                      "embeddings",
                                                      "shared",
                                                      "embedding"};
    const std::string_view l = leaf(m.name);
    if (contains(heads, l)) return "nn.Linear";
    if (contains(embeddings, l)) return "nn.Embedding";
    const bool vocab_rows =
        config_ && config_->vocab_size > 0 && m.weights[0]->shape_data[0] == config_->vocab_size;
    if (vocab_rows && l.find("embed") != std::string_view::npos) return "nn.Embedding";
    return "nn.Linear";
  }

  static bool is_norm_name(std::string_view l) {
    return l.find("norm") != std::string_view::npos || l.starts_with("ln");
  }

  // Registry key of a module, or "" when ModelOpt would not convert it.
  std::string classify(const ModuleTensors& m) const {
    if (m.grouped) return "te.pytorch.GroupedLinear";
    const size_t rank = m.weights[0]->rank;
    if (rank == 2) return classify_2d(m);
    if (rank == 4) return "nn.Conv2d";
    if (rank == 5) return "nn.Conv3d";
    if (rank == 3) return "nn.Conv1d";
    if (rank == 1 && m.has_running_stats) return conv_model_ ? "nn.BatchNorm2d" : "nn.BatchNorm1d";
    // LayerNorm has a bias; a weight-only norm is an RMSNorm, which ModelOpt does not register.
    if (rank == 1 && m.has_bias && is_norm_name(leaf(m.name))) return "nn.LayerNorm";
    return "";
  }

  void add(std::string name, std::optional<std::string> parent,
           std::vector<TensorInfo> tensors = {}) {
    InventoryQuantizer& q = inv_.quantizers.emplace_back();
    q.name = std::move(name);
    q.parent_class = std::move(parent);
    q.tensors = std::move(tensors);
  }

  // A quantizer `<module>.<suffix>` (`<suffix>` at the root) of a converted module, built in
  // place with one allocation.
  void add_under(std::string_view module, std::string_view suffix, const std::string& key,
                 std::vector<TensorInfo> tensors = {}) {
    InventoryQuantizer& q = inv_.quantizers.emplace_back();
    q.name.reserve(module.size() + 1 + suffix.size());
    q.name.append(module);
    if (!module.empty()) q.name += '.';
    q.name.append(suffix);
    q.parent_class = key;
    q.tensors = std::move(tensors);
  }

  void note_module(std::string_view name, const std::string& key) {
    inv_.modules.push_back({std::string(name), key});
    if (std::find(keys_.begin(), keys_.end(), key) == keys_.end()) keys_.push_back(key);
  }

  void collect_fused_experts(const std::vector<ModuleTensors>& modules) {
    for (const ModuleTensors& m : modules) {
      if (m.weights.size() != 1 || m.grouped || m.weights[0]->rank != 2) continue;
      const auto slot = fused_expert_slot(*fused_, std::string(m.weights[0]->name));
      if (!slot) continue;
      fused_blocks_[slot->experts_module][slot->param][slot->expert][slot->part] = m.weights[0];
      fused_member_of_[std::string(m.name)] = slot->experts_module;
    }
  }

  // True when `m` is covered by the fused layout (emitted once, at the block's first module).
  bool derive_fused_member(const ModuleTensors& m) {
    if (is_replaced_router(*fused_, std::string(m.name))) {
      if (!m.grouped && !m.weights.empty()) inv_.replaced_routers.emplace_back(m.name);
      return true;
    }
    auto it = fused_member_of_.find(m.name);
    if (it == fused_member_of_.end()) return false;
    if (emitted_blocks_.insert(it->second).second) emit_fused_block(it->second);
    return true;
  }

  // As ModelOpt's HF plugin names a fused experts module: per parameter a shared input quantizer
  // (parent `hf.<Arch>Experts`), then one weight quantizer per expert in a ModuleList (parent
  // null) reading that expert's row blocks.
  void emit_fused_block(const std::string& module) {
    const std::string key = "hf." + prefix_ + "Experts";
    note_module(module, key);
    const FusedBlock& block = fused_blocks_.at(module);
    for (const std::string_view param_name : checkpoint::kFusedExpertQuantized) {
      const std::string param(param_name);
      auto p = block.find(param);
      if (p == block.end()) continue;
      add(module + "." + param + "_input_quantizer", key);
      for (const auto& [expert, parts] : p->second) {
        std::vector<TensorInfo> tensors;
        for (const auto& [part, t] : parts) {
          tensors.push_back(t->info());
          tensors.back().fused_part = part;
        }
        add(module + "." + param + "_weight_quantizers." + std::to_string(expert), std::nullopt,
            std::move(tensors));
      }
    }
  }

  void derive(const ModuleTensors& m) {
    if (fused_ && derive_fused_member(m)) return;
    if (!m.fused_experts.empty()) derive_fused_experts(m);
    if (m.weights.empty()) return;
    const std::string key = classify(m);
    if (key.empty()) return;
    note_module(m.name, key);
    if (key.rfind("nn.LayerNorm", 0) == 0 || key.rfind("nn.BatchNorm", 0) == 0) {
      add_under(m.name, "input_quantizer", key);
      add_under(m.name, "output_quantizer", key);
      return;
    }
    const size_t weight_quantizer = inv_.quantizers.size();
    add_under(m.name, "weight_quantizer", key);
    add_under(m.name, "input_quantizer", key);
    add_under(m.name, "output_quantizer", key);
    if (is_attention_projection(leaf(m.name))) note_attention(parent_of(m.name));
    // Taken last: m.name views a tensor name that taking may move away (records_of).
    std::vector<TensorInfo>& weights = inv_.quantizers[weight_quantizer].tensors;
    weights.reserve(m.weights.size());
    for (size_t k = 0; k < m.weights.size(); ++k) weights.push_back(m.weights[k]->take());
  }

  // Fused experts ([E, out, in] parameters on one module): ModelOpt's HF plugin adds a shared
  // `<param>_input_quantizer` and a ModuleList `<param>_weight_quantizers` with one TQ per expert.
  void derive_fused_experts(const ModuleTensors& m) {
    const std::string key = "hf." + (prefix_.empty() ? std::string("") : prefix_) + "Experts";
    note_module(m.name, key);
    const std::string module(m.name);
    for (const TensorRecord* t : m.fused_experts) {
      const std::string param(leaf(t->name));
      add(module + "." + param + "_input_quantizer", key);
      const int64_t experts = t->shape_data[0];
      for (int64_t e = 0; e < experts; ++e) {
        TensorInfo slice = t->info();
        slice.expert_slice = e;
        slice.nbytes = experts > 0 ? t->nbytes / static_cast<uint64_t>(experts) : 0;
        add(module + "." + param + "_weight_quantizers." + std::to_string(e), std::nullopt,
            {slice});
      }
    }
  }

  static bool is_attention_projection(std::string_view l) {
    const checkpoint::ProjectionName* p = checkpoint::projection(l);
    return p != nullptr && p->attention_input;
  }

  void note_attention(std::string_view module) {
    const std::string_view l = leaf(module);
    if (l.find("attn") == std::string_view::npos && l.find("attention") == std::string_view::npos)
      return;
    // Its projections come one after another: the last one noted is the usual answer.
    if (!attention_.empty() && attention_.back() == module) return;
    if (std::find(attention_.begin(), attention_.end(), module) == attention_.end())
      attention_.emplace_back(module);
  }

  // The HF attention plugin adds q/k/v BMM quantizers to each attention module (after its
  // projections, as named_modules() lists them). Only with a config.json naming the
  // architecture: the parent key is `hf.<Arch>Attention`.
  void add_attention_quantizers() {
    if (prefix_.empty()) return;
    const std::string key = "hf." + prefix_ + "Attention";
    if (attention_nested()) {
      for (const std::string& module : attention_) insert_bmm_after_last(module, key);
    } else {
      insert_bmm_in_one_pass(key);
    }
    for (const std::string& module : attention_) note_module(module, key);
    inv_.registry_keys = keys_;
  }

  std::vector<InventoryQuantizer> bmm_quantizers(const std::string& module,
                                                 const std::string& key) const {
    std::vector<InventoryQuantizer> bmm;
    for (const char* q : {"q_bmm_quantizer", "k_bmm_quantizer", "v_bmm_quantizer"})
      bmm.push_back({module + "." + q, key, std::nullopt, std::nullopt, std::nullopt, {}});
    return bmm;
  }

  // One attention module inside another: the blocks then depend on the order of insertion.
  bool attention_nested() const {
    for (const std::string& a : attention_)
      for (const std::string& b : attention_)
        if (&a != &b && b.size() > a.size() && b.compare(0, a.size() + 1, a + ".") == 0)
          return true;
    return false;
  }

  // Each module's BMM quantizers right after the last quantizer under it, one module at a time.
  void insert_bmm_after_last(const std::string& module, const std::string& key) {
    const std::string under = module + ".";
    size_t last = 0;
    for (size_t i = 0; i < inv_.quantizers.size(); ++i)
      if (inv_.quantizers[i].name.rfind(under, 0) == 0) last = i + 1;
    const std::vector<InventoryQuantizer> bmm = bmm_quantizers(module, key);
    inv_.quantizers.insert(inv_.quantizers.begin() + static_cast<std::ptrdiff_t>(last), bmm.begin(),
                           bmm.end());
  }

  // The same result when no module is inside another (every model seen): one pass finds, for each
  // quantizer, the attention module it is under (by its dotted prefixes, hashed as the name is
  // read), and one pass rebuilds the list. Inserting module by module rescanned and shifted the
  // whole list each time, which took seconds on DeepSeek-V3.
  void insert_bmm_in_one_pass(const std::string& key) {
    constexpr uint64_t kFnvBasis = 1469598103934665603ull, kFnvPrime = 1099511628211ull;
    const auto fnv = [&](std::string_view text) {
      uint64_t h = kFnvBasis;
      for (char c : text) h = (h ^ static_cast<unsigned char>(c)) * kFnvPrime;
      return h;
    };
    std::unordered_map<uint64_t, std::vector<size_t>> by_hash;
    for (size_t k = 0; k < attention_.size(); ++k) by_hash[fnv(attention_[k])].push_back(k);
    std::vector<size_t> last(attention_.size(), 0);
    // A quantizer of the same module as the previous one (its name equal up to the last dot:
    // two of every three) is under the same attention module, or none: the hash is not asked.
    constexpr size_t kNone = SIZE_MAX;
    std::string_view previous_module;
    size_t previous_k = kNone;
    for (size_t i = 0; i < inv_.quantizers.size(); ++i) {
      const std::string_view name = inv_.quantizers[i].name;
      const std::string_view module = parent_of(name);
      if (i > 0 && module == previous_module) {
        if (previous_k != kNone) last[previous_k] = i + 1;
        continue;
      }
      previous_module = module;
      previous_k = kNone;
      // Under an attention module, a name holds its leaf, which has `attn` or `attention` in it
      // (note_attention): the other names (nearly all) are not hashed prefix by prefix.
      if (name.find("attn") == std::string_view::npos &&
          name.find("attention") == std::string_view::npos)
        continue;
      uint64_t h = kFnvBasis;
      for (size_t c = 0; c < name.size(); ++c) {
        if (name[c] == '.') {
          if (auto it = by_hash.find(h); it != by_hash.end())
            for (size_t k : it->second)
              if (attention_[k] == name.substr(0, c)) {
                last[k] = i + 1;
                previous_k = k;
              }
        }
        h = (h ^ static_cast<unsigned char>(name[c])) * kFnvPrime;
      }
    }
    std::vector<size_t> order(attention_.size());
    for (size_t k = 0; k < order.size(); ++k) order[k] = k;
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return last[a] < last[b]; });
    // The list grown in place and filled from its end: each block of quantizers moves once, to
    // its final place, and no second list of 135k records is faulted in.
    std::vector<InventoryQuantizer>& q = inv_.quantizers;
    size_t end = q.size();
    q.resize(q.size() + 3 * attention_.size());
    size_t write = q.size();
    for (size_t r = order.size(); r-- > 0;) {
      const size_t k = order[r];
      std::move_backward(q.begin() + static_cast<std::ptrdiff_t>(last[k]),
                         q.begin() + static_cast<std::ptrdiff_t>(end),
                         q.begin() + static_cast<std::ptrdiff_t>(write));
      write -= end - last[k];
      std::vector<InventoryQuantizer> bmm = bmm_quantizers(attention_[k], key);
      for (size_t b = bmm.size(); b-- > 0;) q[--write] = std::move(bmm[b]);
      end = last[k];
    }
  }

 public:
  std::vector<std::string> keys_;

 private:
  const std::optional<CheckpointConfig>& config_;
  Inventory& inv_;
  const FusedExpertRule* fused_;
  std::map<std::string, FusedBlock> fused_blocks_;
  std::map<std::string, std::string, std::less<>>
      fused_member_of_;  // checkpoint module -> experts module
  std::set<std::string> emitted_blocks_;
  std::string prefix_;
  bool conv_model_ = false;
  std::vector<std::string> attention_;
};

}  // namespace

// Choices (documented for users in docs and in `qcfg inventory --help`):
//  * 2-D `X.weight` -> nn.Linear, unless X is an embedding by name (embed_tokens, wte, ...) or by
//    config vocab size (rows == vocab_size and "embed" in the name) -> nn.Embedding; heads
//    (lm_head, embed_out, output) stay nn.Linear.
//  * 3/4/5-D `X.weight` -> nn.Conv1d/2d/3d (transposed convolutions cannot be told apart).
//  * 1-D norm weights: with a bias -> nn.LayerNorm; with running stats -> nn.BatchNorm*d; a
//    weight-only norm is an RMSNorm, which ModelOpt does not register, so it gets no quantizers.
//  * `X.weight0..N` -> one module `te.pytorch.GroupedLinear` whose weight_quantizer reads them all.
//  * `*.experts.<param>` 3-D -> fused experts (`hf.<Arch>Experts`), per-expert quantizers under a
//    ModuleList (parent null).
//  * with a fused expert layout (expert_layout.h: transformers >= 5 and a model type it fuses, or
//    forced): per-expert `<block>.experts.E.<proj>.weight` -> `<tree>.experts.gate_up_proj_*` /
//    `down_proj_*` quantizers as above, each expert's weight quantizer reading its row blocks
//    (gate then up); a router the rule replaces gets no quantizers.
//  * attention modules (parents of q/k/v projections named *attn*/*attention*) -> q/k/v BMM
//    quantizers under `hf.<Arch>Attention` when config.json names the architecture.
Inventory inventory_from_tensors(std::vector<TensorInfo> tensors,
                                 const std::optional<CheckpointConfig>& config,
                                 const std::string& origin, ExpertLayout layout) {
  return inventory_from_records(checkpoint::records_of(tensors), config, origin, layout);
}

Inventory inventory_from_records(const std::vector<TensorRecord>& tensors,
                                 const std::optional<CheckpointConfig>& config,
                                 const std::string& origin, ExpertLayout layout) {
  const std::vector<size_t> order = natural_order_of(tensors);
  Inventory inv;
  inv.origin = origin;
  if (config && !config->architecture.empty())
    inv.description = "derived from " + config->architecture + " checkpoint";
  Deriver d(config, inv, fused_expert_rule(layout, config));
  d.run(group_by_module(tensors, order));
  inv.registry_keys = d.keys_;
  return inv;
}

Inventory inventory_from_checkpoint(const std::string& path, ExpertLayout layout) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(path, ec)) {
    checkpoint::SafetensorsHeader h = checkpoint::read_safetensors_header(path);
    return inventory_from_tensors(std::move(h.tensors),
                                  checkpoint::read_checkpoint_config(fs::path(path).parent_path()),
                                  path, layout);
  }
  // The records when the checkpoint is as usual (the same tensors, no TensorInfo per tensor);
  // else the reference path, which gives the same tensors or the located error.
  checkpoint::RecordedTensors records;
  if (checkpoint::read_indexed_records(path, records))
    return inventory_from_records(records.tensors, checkpoint::read_checkpoint_config(path), path,
                                  layout);
  std::vector<TensorInfo> tensors =
      checkpoint::indexed_tensors(checkpoint::read_checkpoint_files(path));
  return inventory_from_tensors(std::move(tensors), checkpoint::read_checkpoint_config(path), path,
                                layout);
}

}  // namespace qcfg::resolver
